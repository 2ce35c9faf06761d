//! serde's and toml's words for a value, in the words of a scenario's author: `u32` is "an
//! integer in 0 ..= 4294967295", `struct GraphSpec` is "a table", `integer `1e20` as i128` is
//! "the integer 1e20". No Rust type name reaches a message.

/// What serde found, in words: `string "x"` -> `the string "x"`, `integer `7` as i128` ->
/// `the integer 7`, `sequence` -> `an array`.
pub(super) fn found(what: &str) -> String {
    let literal = |prefix: &str| {
        what.strip_prefix(prefix).map(|rest| {
            // serde writes a 128-bit integer as "integer `N` as i128".
            let rest = rest
                .strip_suffix(" as i128")
                .or_else(|| rest.strip_suffix(" as u128"))
                .unwrap_or(rest);
            rest.trim_matches('`').to_string()
        })
    };
    if let Some(s) = what.strip_prefix("string ") {
        format!("the string {s}")
    } else if let Some(n) = literal("integer ") {
        format!("the integer {n}")
    } else if let Some(n) = literal("floating point ") {
        format!("the number {n}")
    } else if let Some(b) = literal("boolean ") {
        format!("the boolean {b}")
    } else {
        match what {
            "sequence" => "an array".into(),
            "map" => "a table".into(),
            "unit value" | "unit variant" => "nothing".into(),
            other => other.into(),
        }
    }
}

/// A value as written in the file, in words: `the integer 5`, `the date-time 1979-05-27`,
/// `an array` (strings are not quoted here: serde's own message quotes them).
pub(super) fn written(value: &toml::de::DeValue<'_>) -> String {
    use toml::de::DeValue;
    match value {
        DeValue::Integer(n) => format!("the integer {n}"),
        DeValue::Float(x) => format!("the number {x}"),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date-time {d}"),
        DeValue::String(_) => "a string".into(),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

/// The smallest and largest value of a Rust integer type named in a serde message.
fn integer_range(ty: &str) -> Option<(i128, u128)> {
    Some(match ty {
        "u8" => (0, u128::from(u8::MAX)),
        "u16" => (0, u128::from(u16::MAX)),
        "u32" => (0, u128::from(u32::MAX)),
        "u64" | "usize" => (0, u128::from(u64::MAX)),
        "u128" => (0, u128::MAX),
        "i8" => (i128::from(i8::MIN), i8::MAX as u128),
        "i16" => (i128::from(i16::MIN), i16::MAX as u128),
        "i32" => (i128::from(i32::MIN), i32::MAX as u128),
        "i64" | "isize" => (i128::from(i64::MIN), i64::MAX as u128),
        "i128" => (i128::MIN, i128::MAX as u128),
        _ => return None,
    })
}

/// What serde expected, in words: `u32` -> `an integer`, with its range when the value found
/// was an integer (`an integer in 0 ..= 4294967295`); `struct X` -> `a table`.
pub(super) fn expected(what: &str, found_integer: bool) -> String {
    if let Some((lo, hi)) = integer_range(what) {
        return if found_integer {
            format!("an integer in {lo} ..= {hi}")
        } else {
            "an integer".into()
        };
    }
    match what {
        "f32" | "f64" => "a number".into(),
        "a string" | "path string" | "a borrowed string" | "a character" | "char" => {
            "a string".into()
        }
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        "option" | "any valid TOML value" | "any value" => "a value".into(),
        "string only" => "a string".into(),
        w if w.starts_with("struct ") || w.starts_with("tuple") => "a table".into(),
        w if w.starts_with("enum ") || w.ends_with(" identifier") => "a string".into(),
        w if w.starts_with("internally tagged enum") => "a table with a `kind`".into(),
        w => w.into(),
    }
}

/// toml's messages about the value of an enum's variant (`start = { benign = 1 }`): blamed
/// on the variant, they are about the enum, which should have been a string.
pub(super) fn about_variant(raw: &str) -> bool {
    [
        "expected empty table",
        "expected empty array",
        "expected table, found ",
        "expected tuple with length",
    ]
    .iter()
    .any(|p| raw.starts_with(p))
}

/// toml's own messages about a value, in words (`None`: not one of them). An enum written as
/// a table (`start = { benign = 1 }`) gets several; each means a string was expected.
pub(super) fn toml_message(raw: &str) -> Option<String> {
    let table_for_enum = [
        "wanted exactly 1 element",
        "expected table with exactly 1 entry",
    ];
    if about_variant(raw) || table_for_enum.iter().any(|p| raw.starts_with(p)) {
        return Some("expected a string, found a table".into());
    }
    if raw == "wanted string or table" || raw.starts_with("expected string only") {
        return Some("expected a string".into());
    }
    if raw == "u64 value was too large" || raw == "integer number overflowed" {
        return Some("the integer is too large".into());
    }
    if raw == "floating-point number overflowed" {
        return Some("the number is too large".into());
    }
    None
}

/// A 128-bit integer that serde could not hold (`integer `N` as i128`), as a message.
pub(super) fn too_large(what: &str) -> Option<String> {
    (what.starts_with("integer ") && (what.ends_with(" as i128") || what.ends_with(" as u128")))
        .then(|| format!("{} is too large", found(what)))
}

/// The words of Rust and serde in a message (type names, `struct`, `variant`, ...): none
/// should be there. For tests of the messages (the crate's and `tests/corpus.rs`); not part of
/// the API.
#[doc(hidden)]
pub fn rust_words(message: &str) -> Vec<&str> {
    const RUST: [&str; 30] = [
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "usize", "isize",
        "f32", "f64", "bool", "char", "str", "String", "Vec", "Option", "Some", "None", "struct",
        "enum", "variant", "tuple", "unit", "sequence", "map", "serde",
    ];
    message
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '$')
        .filter(|w| RUST.contains(w) || w.ends_with("Spec") || w.contains("__"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::testing::{at, every_kind, paths};
    use crate::scenario::{Overrides, Scenario};

    #[test]
    fn no_wrong_value_anywhere_is_described_in_rust_words() {
        let bad = [
            "true",
            "1.5",
            "7",
            "-7",
            "\"x\"",
            "[1, \"a\"]",
            "[]",
            "{ a = 1 }",
            "{}",
            "1979-05-27T07:32:00Z",
            "07:32:00",
            "99999999999999999999",
            "-99999999999999999999",
            "999999999999999999999999999999999999999999",
            "1e400",
            "nan",
        ];
        let resolved = every_kind();
        let leaves = paths(&resolved, false);
        assert!(leaves.len() > 100, "{leaves:?}");
        let (mut refused, mut checked) = (0, 0);
        for path in &leaves {
            let mut doc = resolved.clone();
            *at(&mut doc, path) = toml::Value::String("@@".into());
            let template = toml::to_string(&doc).unwrap();
            let clean = toml::to_string(&resolved).unwrap();
            for value in bad {
                let file = template.replace("\"@@\"", value);
                let set = Overrides {
                    sets: vec![format!("{path}={value}")],
                    ..Overrides::default()
                };
                for (text, overrides) in [(&file, Overrides::default()), (&clean, set)] {
                    checked += 1;
                    let Err(e) = Scenario::from_toml_str(text, "t.toml", ".".as_ref(), &overrides)
                    else {
                        continue;
                    };
                    refused += 1;
                    let m = e.to_string();
                    assert!(rust_words(&m).is_empty(), "{path} = {value}: {m}");
                    if overrides.sets.is_empty() && m.contains(": expected ") {
                        assert!(m.starts_with("t.toml:"), "{path} = {value}: {m}");
                    }
                }
            }
        }
        assert!(refused > checked / 2, "{refused} of {checked} refused");
    }

    #[test]
    fn rust_words_are_found() {
        assert_eq!(
            rust_words("expected struct FlaggedMixingSpec, found `1` as i128"),
            ["struct", "FlaggedMixingSpec", "i128"]
        );
        assert!(rust_words("expected an integer in 0 ..= 4294967295, found a table").is_empty());
    }

    #[test]
    fn integers_get_their_range_when_an_integer_was_found() {
        assert_eq!(expected("u32", true), "an integer in 0 ..= 4294967295");
        assert_eq!(expected("u32", false), "an integer");
        assert_eq!(
            expected("i64", true),
            "an integer in -9223372036854775808 ..= 9223372036854775807"
        );
        assert_eq!(
            found("integer `99999999999999999999` as i128"),
            "the integer 99999999999999999999"
        );
        assert_eq!(
            too_large("integer `99999999999999999999` as i128").as_deref(),
            Some("the integer 99999999999999999999 is too large")
        );
        assert_eq!(too_large("integer `5`"), None);
    }

    #[test]
    fn type_names_become_words() {
        for (serde, words) in [
            ("struct FlaggedMixingSpec", "a table"),
            ("struct FlaggedMixingSpec with 2 elements", "a table"),
            ("enum StartSpec", "a string"),
            ("variant identifier", "a string"),
            ("f64", "a number"),
            ("option", "a value"),
            ("any valid TOML value", "a value"),
            ("a sequence", "an array"),
            ("string only", "a string"),
        ] {
            assert_eq!(expected(serde, false), words, "{serde}");
        }
        assert_eq!(found("sequence"), "an array");
        assert_eq!(found("map"), "a table");
        assert_eq!(found("unit variant"), "nothing");
    }

    #[test]
    fn toml_messages_about_enum_tables_mean_a_string_was_expected() {
        for raw in [
            "wanted exactly 1 element, found 0 elements",
            "wanted exactly 1 element, more than 1 element",
            "expected table, found integer",
            "expected empty table",
        ] {
            assert_eq!(
                toml_message(raw).as_deref(),
                Some("expected a string, found a table")
            );
        }
        assert_eq!(
            toml_message("u64 value was too large").as_deref(),
            Some("the integer is too large")
        );
        assert_eq!(toml_message("duplicate key"), None);
    }
}
