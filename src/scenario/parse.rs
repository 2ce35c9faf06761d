//! From text to spec: reading a scenario file within bounds (or the embedded quickstart),
//! deserialising it with the key path of any error, and applying `--set` assignments.

use super::blame::{set_prefix, Input, COMMAND_LINE};
use super::error::{describe, key_of, parse_error, ScenarioError};
use super::spec::ScenarioSpec;
use super::{set, tables_only};
use std::path::Path;

/// The quickstart scenario, embedded in the binary.
pub(super) const QUICKSTART: &str = include_str!("../../scenarios/quickstart.toml");

/// The largest scenario file read (1 MiB): far above any real scenario (the largest shipped
/// one is a few KiB), far below what could exhaust memory while parsing.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Reads a scenario file, refusing before reading anything what is not a regular file (a
/// directory, a device such as `/dev/zero`, a pipe that would block) or is larger than
/// [`MAX_SCENARIO_BYTES`]; a file that grows while it is read is refused too.
pub(super) fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let meta = std::fs::metadata(path)?;
    let too_large = |n: u64| {
        Error::other(format!(
            "it is {n} bytes, larger than the limit of {MAX_SCENARIO_BYTES} bytes for a scenario \
             file"
        ))
    };
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, pipe or socket)"
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("it is {what}; give a scenario file (TOML)"),
        ));
    }
    if meta.len() > MAX_SCENARIO_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "it is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The origin of the embedded quickstart.
pub(super) const QUICKSTART_ORIGIN: &str = "<embedded quickstart>";

/// Deserialises the file with the key path of any error.
pub(super) fn deserialize(text: &str, file: &str) -> Result<ScenarioSpec, ScenarioError> {
    let de =
        toml::Deserializer::parse(text).map_err(|e| parse_error(text, file, String::new(), &e))?;
    tables_only::deserialize(de).map_err(|e| {
        let key = key_of(e.path());
        parse_error(text, file, key, e.inner())
    })
}

/// Applies the `--set` assignments to the file's scenario with every default filled in (so a
/// default can be changed without writing its whole table) and deserialises the result.
pub(super) fn apply_sets(
    spec: &ScenarioSpec,
    input: &Input<'_>,
) -> Result<ScenarioSpec, ScenarioError> {
    let mut table = toml::Table::try_from(spec).map_err(|e| ScenarioError::Invalid {
        file: input.origin.to_string(),
        line: None,
        key: String::new(),
        message: format!("the scenario cannot be written as TOML: {e}"),
    })?;
    set::apply_sets(&mut table, input.sets).map_err(|e| {
        let key = e.assignment.split_once('=').map_or("", |(k, _)| k).trim();
        let place = input.place_of_set(&e.assignment);
        ScenarioError::Invalid {
            file: place.file,
            line: place.line,
            key: key.to_string(),
            message: format!("{}{}", place.prefix, e.message),
        }
    })?;
    tables_only::deserialize(toml::Value::Table(table)).map_err(|e| {
        let key = key_of(e.path());
        let (message, suggestion) = describe(e.inner().message().trim(), &key);
        let place = input.blame(&key);
        ScenarioError::Parse {
            file: place
                .as_ref()
                .map_or(COMMAND_LINE.into(), |p| p.file.clone()),
            line: place.as_ref().and_then(|p| p.line).unwrap_or(0),
            column: 0,
            message: format!(
                "{}{message}",
                place.map_or_else(|| set_prefix(None), |p| p.prefix)
            ),
            key,
            suggestion,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{load, message, overridden, MINIMAL};
    use super::super::{Overrides, Scenario};
    use super::*;

    #[test]
    fn misspelt_key_gets_file_line_key_and_suggestion() {
        assert_eq!(
            message(&MINIMAL.replace("accounts = 2000", "acounts = 2000")),
            "t.toml:4:1: `world.acounts`: unknown key `acounts`, did you mean `accounts`?"
        );
        let m = message(&MINIMAL.replace("[world]", "[wrld]"));
        assert!(m.starts_with("t.toml:3:2: unknown key `wrld`"), "{m}");
        assert!(m.ends_with("did you mean `world`?"), "{m}");
        let m = message(&format!("{MINIMAL}zzz = 1\n"));
        assert!(
            m.contains("unknown key `zzz`: expected one of `name`"),
            "{m}"
        );
    }

    #[test]
    fn wrong_type_reads_well() {
        assert_eq!(
            message(&MINIMAL.replace("2000", "\"many\"")),
            "t.toml:4:12: `world.accounts`: expected an integer, found the string \"many\""
        );
        assert_eq!(
            message(&MINIMAL.replace("seed = 1", "seed = -1")),
            "t.toml:2:8: `seed`: expected an integer in 0 ..= 18446744073709551615, found the \
             integer -1"
        );
        let m = message(&MINIMAL.replace("[[arms]]", "[arms]"));
        assert!(
            m.contains("`arms`: expected an array, found a table"),
            "{m}"
        );
    }

    #[test]
    fn syntax_errors_have_a_line_and_column() {
        let m = message("name = \"t\"\nseed = 1\n[world\n");
        assert!(m.starts_with("t.toml:3:"), "{m}");
        let m = message(&format!("{MINIMAL}[world]\n"));
        assert!(
            m.starts_with("t.toml:7:") && m.contains("duplicate key"),
            "{m}"
        );
        // Odd bytes anywhere never panic.
        for text in [
            "é = ",
            "a = \"😀",
            "\u{0}",
            "[[",
            "x = 1e999999",
            "=\n=",
            "a.b.c = [{",
        ] {
            assert!(load(text).is_err());
        }
    }

    #[test]
    fn overrides_are_blamed_on_the_command_line() {
        let o = Overrides {
            replicates: Some(0),
            ..Overrides::default()
        };
        assert_eq!(
            overridden(&o),
            "command line: `--replicates` = 0 is out of range: expected 1 ..= 100000"
        );
        let set = |s: &str| Overrides {
            sets: vec![s.into()],
            ..Overrides::default()
        };
        assert_eq!(
            overridden(&set("world.accounts=1")),
            "command line: --set world.accounts=1: `world.accounts` = 1 is out of range: \
             expected 2 ..= 50000000"
        );
        assert_eq!(
            overridden(&set("world.acounts=5")),
            "command line: --set world.acounts=5: unknown key `acounts`, did you mean `accounts`?"
        );
        assert!(overridden(&set("a..b=1")).starts_with("command line: --set a..b=1:"));
        let ok = Scenario::from_toml_str(
            MINIMAL,
            "t.toml",
            Path::new("."),
            &set("world.accounts=5000"),
        )
        .unwrap();
        assert_eq!(ok.spec().world.accounts, Some(5000));
        // Defaults can be changed without writing their whole table.
        let o = Overrides {
            sets: vec![
                "surfaces.feed.slate=50".into(),
                "world.graph.benign.within=0.5".into(),
            ],
            ..Overrides::default()
        };
        let ok = Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), &o).unwrap();
        assert_eq!(ok.spec().surfaces.feed.slate, 50);
        assert_eq!(ok.spec().world.graph.benign.within, 0.5);
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e =
            Scenario::load(Path::new("no/such/scenario.toml"), &Overrides::default()).unwrap_err();
        assert!(matches!(e, ScenarioError::Io { .. }));
        assert!(e
            .to_string()
            .starts_with("cannot read scenario no/such/scenario.toml: "));
    }

    #[test]
    fn embedded_quickstart_is_valid() {
        let q = Scenario::quickstart(&Overrides::default()).unwrap();
        assert_eq!(q.origin(), "<embedded quickstart>");
    }
}
