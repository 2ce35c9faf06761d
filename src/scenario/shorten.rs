//! Echoes of the input in a message are cut: a key or value longer than [`MAX_ECHO`]
//! characters is quoted by its first characters and `...`, so a 100,000-character key or
//! string is shown once, briefly, and the message stays one readable line.

/// The most characters of one key or value a message quotes.
pub(crate) const MAX_ECHO: usize = 80;

/// `text` with every span between backticks or double quotes, and every run of other text
/// without whitespace, that is longer than [`MAX_ECHO`] characters cut to its first
/// [`MAX_ECHO`] characters and `...` (a quoted span keeps its closing quote).
pub(crate) fn echoes(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * MAX_ECHO));
    let mut rest = text;
    while !rest.is_empty() {
        let quote = rest.find(['`', '"']).unwrap_or(rest.len());
        plain(&rest[..quote], &mut out);
        rest = &rest[quote..];
        let Some(delimiter) = rest.chars().next() else {
            break;
        };
        let inner = &rest[1..];
        let (content, closed) = match inner.find(delimiter) {
            Some(end) => (&inner[..end], true),
            None => (inner, false),
        };
        out.push(delimiter);
        out.push_str(&cut(content));
        if closed {
            out.push(delimiter);
            rest = &inner[content.len() + 1..];
        } else {
            rest = "";
        }
    }
    out
}

/// Text outside quotes: each run without whitespace is cut on its own (keeping the `:` or
/// `,` that ends it), except a file path (a run with a `/`), which is the user's own.
fn plain(text: &str, out: &mut String) {
    let run = |run: &str, out: &mut String| match run.strip_suffix([':', ',']) {
        _ if run.contains('/') => out.push_str(run),
        Some(head) => {
            out.push_str(&cut(head));
            out.push_str(&run[head.len()..]);
        }
        None => out.push_str(&cut(run)),
    };
    let mut run_start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), run_start) {
            (false, None) => run_start = Some(i),
            (true, Some(start)) => {
                run(&text[start..i], out);
                out.push(c);
                run_start = None;
            }
            (true, None) => out.push(c),
            (false, Some(_)) => {}
        }
    }
    if let Some(start) = run_start {
        run(&text[start..], out);
    }
}

/// `s`, or its first [`MAX_ECHO`] characters and `...`.
fn cut(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_ECHO) {
        Some((at, _)) => format!("{}...", &s[..at]).into(),
        None => s.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Overrides, Scenario};

    #[test]
    fn long_quotes_and_runs_are_cut_and_short_ones_kept() {
        let k = "k".repeat(100_000);
        let m = echoes(&format!(
            "unknown key `{k}`: expected one of `name`, `seed`"
        ));
        assert_eq!(
            m,
            format!(
                "unknown key `{}...`: expected one of `name`, `seed`",
                "k".repeat(80)
            )
        );
        let words = "a ".repeat(50_000);
        let m = echoes(&format!("found the string \"{words}\""));
        assert!(m.len() < 120 && m.ends_with("...\""), "{m}");
        let m = echoes(&format!("--set {k}=1: not a key"));
        assert_eq!(m, format!("--set {}...: not a key", "k".repeat(80)));
        let m = echoes(&format!("`unclosed {k}"));
        assert!(m.len() < 100, "{m}");
        let path = format!("/scratch/{}/edges.txt", "deep/".repeat(30));
        let m = format!("`world.import.edges`: file {path} does not exist");
        assert_eq!(echoes(&m), m);
        for short in [
            "t.toml:3: `world.accounts` = 0 is out of range: expected 2 ..= 50000000",
            "found the string \"x\", did you mean `world`?",
            "`sweep.\"world.accounts\"` has no values",
            "é`ü`\"",
        ] {
            assert_eq!(echoes(short), short);
        }
        // Cuts fall between characters, never inside one.
        assert!(echoes(&"é".repeat(200)).starts_with(&"é".repeat(80)));
    }

    #[test]
    fn scenario_errors_quote_at_most_a_short_piece_of_a_hostile_key_or_value() {
        let minimal = "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[[arms]]\nname = \"b\"\n";
        let long = "k".repeat(100_000);
        let load = |text: &str, sets: &[String]| {
            let o = Overrides {
                sets: sets.to_vec(),
                ..Overrides::default()
            };
            Scenario::from_toml_str(text, "t.toml", ".".as_ref(), &o)
                .and_then(|s| s.check_kinds(&crate::scenario::kinds::BuiltinsOnly))
                .unwrap_err()
                .to_string()
        };
        for m in [
            load(&format!("{long} = 1\n{minimal}"), &[]),
            load(&minimal.replace("\"t\"", &format!("\"{long}\"")), &[]),
            load(&minimal.replace("2000", &format!("\"{long}\"")), &[]),
            load(
                &format!("{minimal}[surfaces.feed]\npool = 9\nslate = 3\npolicy = {{ kind = \"{long}\" }}\n"),
                &[],
            ),
            load(&format!("{minimal}[sweep]\n\"{long}\" = []\n"), &[]),
            load(minimal, &[format!("{long}=1")]),
            load(minimal, &[format!("name={long}")]),
        ] {
            assert!(m.len() < 400, "{} characters: {}", m.len(), &m[..400]);
            assert!(m.contains("kkk...") && !m.contains(&"k".repeat(81)), "{m}");
        }
    }
}
