//! Why a scenario was refused, in one line that names the file, the line, the key and the
//! valid range or the nearest valid word: the rewriting of serde's and toml's messages for
//! people, and where each problem is blamed (the file, or the `--set` that caused it).

use super::blame::{Input, COMMAND_LINE};
use super::{kinds, locate, shorten, validate, words};
use std::fmt;
use std::path::PathBuf;

/// Why a scenario was refused. Displays as one line naming where the problem is:
/// `{file}:{line}:{column}: `{key}`: {message}[, did you mean `{suggestion}`?]` for a parse
/// error, `{file}:{line}: {message}` for an invalid value written in the file, `{file}: ...`
/// for a default value, and `command line: ...` for an override.
#[derive(Debug)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown or a value has the wrong type.
    Parse {
        /// File (or "command line").
        file: String,
        /// 1-based line (0 when unknown, e.g. for a `--set` override).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// Key path, e.g. `world.graph.mean_degree` (empty for a syntax error).
        key: String,
        /// What is wrong.
        message: String,
        /// The nearest valid key or variant.
        suggestion: Option<String>,
    },
    /// A point of the file's `[sweep]` is refused: the error of the scenario with the point's
    /// values, blamed on the sweep key at fault where there is one.
    SweepPoint {
        /// The point's name (`p001`).
        point: String,
        /// Its values (`world.accounts=100, steps=5`).
        label: String,
        /// Why the point is refused.
        error: Box<ScenarioError>,
    },
    /// A value is out of range or contradicts another.
    Invalid {
        /// File (or "command line").
        file: String,
        /// 1-based line of the key, when it is written in the file.
        line: Option<usize>,
        /// Key path (or the option, e.g. `--replicates`).
        key: String,
        /// What is wrong, with the valid range.
        message: String,
    },
}

/// "`key`: " unless the message already names the key or the override.
pub(super) fn key_prefix(key: &str, message: &str) -> String {
    if key.is_empty() || message.contains(&format!("`{key}`")) || message.starts_with("--") {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

impl ScenarioError {
    /// Where the problem is: `file:line:column: `, `file: `, `command line: `.
    fn place(&self) -> String {
        match self {
            Self::Io { .. } => String::new(),
            Self::Parse {
                file, line, column, ..
            } => match (line, column) {
                (0, _) => format!("{file}: "),
                (l, 0) => format!("{file}:{l}: "),
                (l, c) => format!("{file}:{l}:{c}: "),
            },
            Self::Invalid { file, line, .. } => match line {
                Some(l) => format!("{file}:{l}: "),
                None => format!("{file}: "),
            },
            Self::SweepPoint { error, .. } => error.place(),
        }
    }

    /// What the problem is, after [`Self::place`].
    fn what(&self) -> String {
        match self {
            Self::Io { path, source } => {
                format!("cannot read scenario {}: {source}", path.display())
            }
            Self::Parse {
                key,
                message,
                suggestion,
                ..
            } => {
                let suggestion = suggestion
                    .as_ref()
                    .map_or(String::new(), |s| format!(", did you mean `{s}`?"));
                format!("{}{message}{suggestion}", key_prefix(key, message))
            }
            Self::Invalid { key, message, .. } => {
                format!("{}{message}", key_prefix(key, message))
            }
            Self::SweepPoint {
                point,
                label,
                error,
            } => format!("sweep point {point} ({label}): {}", error.what()),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Self::Io { .. } = self {
            return f.write_str(&self.what());
        }
        // The keys and values quoted in what follows the place are cut to a few dozen
        // characters (a hostile 100k-character key is echoed briefly, once).
        write!(f, "{}{}", self.place(), shorten::echoes(&self.what()))
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The words between backticks in a serde message.
pub(super) fn ticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// `a`, `b`, `c`.
pub(super) fn listed(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    quoted.join(", ")
}

/// Rewrites a serde or toml message for people and finds the nearest valid word for an unknown
/// key or variant. `key` is the path of the offending value.
pub(super) fn describe(raw: &str, key: &str) -> (String, Option<String>) {
    let words = ticked(raw);
    let unknown = |what: &str| -> (String, Option<String>) {
        let word = words.first().copied().unwrap_or_default();
        let candidates = if raw.contains(", expected") {
            words.get(1..).unwrap_or_default()
        } else {
            &[]
        };
        let suggestion = locate::nearest(word, candidates).map(str::to_string);
        let message = match (suggestion.is_some(), candidates.is_empty()) {
            (true, _) => format!("unknown {what} `{word}`"),
            (false, false) => format!(
                "unknown {what} `{word}`: expected one of {}",
                listed(candidates)
            ),
            (false, true) => format!("unknown {what} `{word}`: this table takes no other keys"),
        };
        (message, suggestion)
    };
    if raw.starts_with("unknown field `") {
        return unknown("key");
    }
    if raw.starts_with("unknown variant `") {
        return unknown(if last_key(key) == "kind" {
            "kind"
        } else {
            "value"
        });
    }
    if let Some(message) = words::toml_message(raw) {
        return (message, None);
    }
    if let Some(field) = raw.strip_prefix("missing field ") {
        return (format!("missing key {field}"), None);
    }
    if let Some(field) = raw.strip_prefix("duplicate field ") {
        return (format!("duplicate key {field}"), None);
    }
    if let Some((length, exp)) = raw
        .strip_prefix("invalid length ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        let exp = words::expected(exp, false);
        return (format!("expected {exp}, found {length} values"), None);
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((what, exp)) = raw
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            let exp = words::expected(exp, what.starts_with("integer "));
            if let Some(message) = words::too_large(what).filter(|_| exp == "a value") {
                return (message, None);
            }
            if what == "unit variant" {
                // toml's `--set` values reach an enum as a variant without a name.
                return (format!("expected {exp}"), None);
            }
            return (
                format!("expected {exp}, found {}", words::found(what)),
                None,
            );
        }
    }
    (raw.to_string(), None)
}

/// The last key of a path (`a.b[2].c` -> `c`).
pub(super) fn last_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or_default()
}

/// Turns a toml or serde error found in `text` into a located parse error.
pub(super) fn parse_error(
    text: &str,
    file: &str,
    key: String,
    err: &toml::de::Error,
) -> ScenarioError {
    located(text, file, key, err.message().trim(), err.span())
}

/// A located parse error for the raw serde or toml message `raw` about the value at `key`
/// (with its byte span in `text`, when known).
pub(super) fn located(
    text: &str,
    file: &str,
    key: String,
    raw: &str,
    span: Option<std::ops::Range<usize>>,
) -> ScenarioError {
    let (mut line, mut column) = match &span {
        Some(s) => locate::line_col(text, s.start),
        None => (locate::line_of(text, &key).unwrap_or(0), 0),
    };
    // Inside an internally tagged table (`policy = { kind = ..., ... }`) serde reports an
    // unknown key, or an unknown kind of a nested policy, at the table: find the key itself.
    let word = ticked(raw).first().copied().unwrap_or_default();
    let wanted = if raw.starts_with("unknown field `") && last_key(&key) != word {
        Some((word, None))
    } else if raw.starts_with("unknown variant `") && last_key(&key) != "kind" {
        Some(("kind", Some(word)))
    } else {
        None
    };
    let mut key = key;
    if words::about_variant(raw) {
        // About `start` in `start = { benign = 1 }`, blamed on `start.benign`.
        if let Some((parent, _)) = key.rsplit_once('.') {
            key = parent.to_string();
        }
    }
    // Without a span (a table checked after parsing), an unknown key's path ends with the key
    // itself: look for it inside its table.
    if span.is_none() && raw.starts_with("unknown field `") && last_key(&key) == word {
        if let Some((parent, _)) = key.rsplit_once('.') {
            if let Some((_, l, c)) = locate::key_inside(text, parent, word, None) {
                (line, column) = (l, c);
            }
        }
    }
    if let Some((inner, l, c)) =
        wanted.and_then(|(name, value)| locate::key_inside(text, &key, name, value))
    {
        key = if key.is_empty() {
            inner
        } else {
            format!("{key}.{inner}")
        };
        (line, column) = (l, c);
    }
    let (mut message, suggestion) = describe(raw, &key);
    // Say what was found, from the file, where serde did not (`wanted string or table`) or
    // could not (a date-time reaches serde as a table, or inside a policy as a string).
    if message.starts_with("expected ") {
        let had_found = message.contains(", found ");
        if let Some(written) = locate::with_value_at(text, &key, |v| {
            (v.as_datetime().is_some() || !had_found).then(|| words::written(v))
        })
        .flatten()
        {
            let before = message.split_once(", found ").map_or(&*message, |(b, _)| b);
            message = format!("{before}, found {written}");
        }
    }
    if raw == "duplicate key" {
        if let Some(name) = span.and_then(|s| text.get(s)).map(str::trim) {
            if !name.is_empty() && name.len() <= 64 && !name.contains('\n') {
                message = format!("duplicate key `{name}`");
            }
        }
    }
    ScenarioError::Parse {
        file: file.to_string(),
        line,
        column,
        key,
        message,
        suggestion,
    }
}

/// The error of a kind problem of the scenario read from `input`.
pub(super) fn kind_error(input: &Input<'_>, problem: kinds::KindProblem) -> ScenarioError {
    use kinds::ProblemKind;
    let (text, origin) = (input.text, input.origin);
    let table = problem.table;
    match problem.kind {
        ProblemKind::Unknown { word, known } => {
            let key = format!("{table}.kind");
            let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
            let suggestion = locate::nearest(&word, &candidates).map(str::to_string);
            let mut message = format!("unknown kind `{word}`");
            if suggestion.is_none() {
                message.push_str(&format!(": expected one of {}", listed(&candidates)));
            }
            if let Some(place) = input.blame(&key) {
                return ScenarioError::Parse {
                    file: place.file,
                    line: place.line.unwrap_or(0),
                    column: 0,
                    key,
                    message: format!("{}{message}", place.prefix),
                    suggestion,
                };
            }
            // Point at the misspelt value (`kind = "here"`) when it is on the key's line.
            let (line, column) = locate::key_inside(text, &table, "kind", Some(&word)).map_or(
                (locate::line_of(text, &key).unwrap_or(0), 0),
                |(_, l, c)| {
                    let quoted = format!("\"{word}\"");
                    let at = text.lines().nth(l.saturating_sub(1)).and_then(|line| {
                        let start = line.char_indices().nth(c.saturating_sub(1))?.0;
                        let found = line.get(start..)?.find(&quoted)?;
                        Some(line[..start + found].chars().count() + 1)
                    });
                    (l, at.unwrap_or(c))
                },
            );
            ScenarioError::Parse {
                file: origin.to_string(),
                line,
                column,
                key,
                message,
                suggestion,
            }
        }
        ProblemKind::Param(e) => {
            let key = if e.key.is_empty() {
                table
            } else if e.key.starts_with('[') {
                format!("{table}{}", e.key)
            } else {
                format!("{table}.{}", e.key)
            };
            if let Some(place) = input.blame(&key) {
                let (message, suggestion) = describe(&e.message, &key);
                return ScenarioError::Parse {
                    file: place.file,
                    line: place.line.unwrap_or(0),
                    column: 0,
                    message: format!("{}{message}", place.prefix),
                    key,
                    suggestion,
                };
            }
            located(text, origin, key, &e.message, None)
        }
    }
}

/// serde_path_to_error's path as a key (`.` is the root).
pub(super) fn key_of(path: &serde_path_to_error::Path) -> String {
    let key = path.to_string();
    if key == "." {
        String::new()
    } else {
        key
    }
}

/// A validation problem as an error: blamed on the override that set the key, if any, else on
/// the key's line in `text` (no line for a default value).
pub(super) fn located_problem(problem: validate::Problem, input: &Input<'_>) -> ScenarioError {
    let (key, message) = problem;
    if key == "replicates" && input.replicates_overridden {
        ScenarioError::Invalid {
            file: COMMAND_LINE.into(),
            line: None,
            key: "--replicates".into(),
            message: message.replace("`replicates`", "`--replicates`"),
        }
    } else if let Some(place) = input.blame(&key) {
        ScenarioError::Invalid {
            file: place.file,
            line: place.line,
            message: format!("{}{message}", place.prefix),
            key,
        }
    } else {
        ScenarioError::Invalid {
            file: input.origin.to_string(),
            line: locate::line_of(input.text, &key),
            key,
            message,
        }
    }
}
