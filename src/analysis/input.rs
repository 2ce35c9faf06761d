//! Results files read back as untrusted input (`driftlab report`, `driftlab compare`, a resumed
//! sweep): a results directory may have been edited, truncated, replaced or written by hand, so
//! nothing in it is believed before it is checked.
//!
//! - Every file is refused before it is read when it is not a regular file (a directory, a pipe
//!   that would block, a device such as `/dev/zero`) or is larger than its bound: the manifest
//!   [`MAX_MANIFEST_BYTES`]; the tables what the manifest's arms, replicates, steps and probes
//!   allow at the longest row the writer can write ([`RunShape::steps_bytes`],
//!   [`RunShape::probes_bytes`]); `summary.json` [`RunShape::summary_bytes`]. A file must be
//!   UTF-8.
//! - The manifest gives the shape of the run ([`RunShape`]): its names are checked with the rule
//!   of scenario names (they become file names), its counts must be whole numbers.
//! - The tables are then checked row by row against that shape
//!   ([`super::tables::ResultTables::parse`]), so no value read from a table sizes an
//!   allocation: memory stays proportional to the files' sizes.
//!
//! Every problem is a [`TableError`] naming the file and, where there is one, the line.

use crate::scenario::{is_valid_name, MAX_NAME_LEN, NAME_RULE};
use serde_json::Value;
use std::path::Path;
use std::path::PathBuf;

/// A results file (table, manifest, summary) or results directory that is missing, unreadable,
/// malformed or does not agree with the manifest: bad input. Shown as `path:line: message`, or
/// `path: message` when no line is to blame (line 0).
#[derive(Debug, thiserror::Error)]
pub struct TableError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 for the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.path.display(), self.message),
            line => write!(f, "{}:{line}: {}", self.path.display(), self.message),
        }
    }
}

/// The largest `manifest.json` read (16 MiB): the manifest holds the resolved scenario (itself
/// read from at most 1 MiB of TOML) and a few run facts, so a real one is a few KiB.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// The longest cell a finite `f64` gives in `steps.csv` (`{:.6}`: sign, 309 digits, point and
/// six decimals), rounded up.
const MAX_FLOAT_CELL: u64 = 320;
/// The longest whole-number cell (a `u64`).
const MAX_INT_CELL: u64 = 20;

/// The shape of a run as its manifest states it: what the tables must hold, exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunShape {
    /// Arm names, in the scenario's order (the order of the tables).
    pub arms: Vec<String>,
    /// Replicates (`0 .. replicates` in the tables).
    pub replicates: u32,
    /// Steps (`1 ..= steps` in `steps.csv`).
    pub steps: u32,
    /// Probe groups in order: name (the `persona` column) and number of probes.
    pub probe_groups: Vec<(String, u32)>,
}

impl RunShape {
    /// Reads the shape from a parsed manifest (`text` is its source, to point at lines).
    pub fn from_manifest(manifest: &Value, text: &str, path: &Path) -> Result<Self, TableError> {
        let err = |line: usize, message: String| TableError {
            path: path.to_path_buf(),
            line,
            message,
        };
        if !manifest.is_object() {
            return Err(err(1, "expected a JSON object".into()));
        }
        let key_line = |key: &str| line_of(text, &format!("\n  \"{key}\":"));
        let count = |key: &str| -> Result<u32, TableError> {
            manifest[key]
                .as_u64()
                .filter(|&n| n >= 1)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    err(
                        key_line(key),
                        format!(
                            "`{key}` is {}: expected a whole number from 1 to {}",
                            describe(&manifest[key]),
                            u32::MAX
                        ),
                    )
                })
        };
        let name = |what: &str, v: &Value| -> Result<String, TableError> {
            match v.as_str() {
                Some(s) if is_valid_name(s) => Ok(s.to_string()),
                Some(s) => Err(err(
                    line_of(text, &Value::from(s).to_string()),
                    format!("{what} {} is not a valid name: {NAME_RULE}", shown(s)),
                )),
                None => Err(err(
                    0,
                    format!("{what} is {}: expected a name", describe(v)),
                )),
            }
        };
        name("`scenario`", &manifest["scenario"])?;
        let replicates = count("replicates")?;
        let steps = count("steps")?;
        let arms = match manifest["arms"].as_array() {
            Some(a) if !a.is_empty() => a,
            _ => {
                return Err(err(
                    key_line("arms"),
                    format!(
                        "`arms` is {}: expected a list of at least one arm",
                        describe(&manifest["arms"])
                    ),
                ))
            }
        };
        let mut names: Vec<String> = Vec::with_capacity(arms.len());
        for (i, arm) in arms.iter().enumerate() {
            let n = name(&format!("`arms[{i}].name`"), &arm["name"])?;
            if names.contains(&n) {
                return Err(err(
                    key_line("arms"),
                    format!("arm `{n}` is listed twice in `arms`"),
                ));
            }
            names.push(n);
        }
        let groups = match manifest["resolved_scenario"]["probes"].as_array() {
            Some(g) if !g.is_empty() => g,
            _ => {
                return Err(err(
                    key_line("resolved_scenario"),
                    format!(
                        "`resolved_scenario.probes` is {}: expected a list of at least one probe \
                         group",
                        describe(&manifest["resolved_scenario"]["probes"])
                    ),
                ))
            }
        };
        let mut probe_groups = Vec::with_capacity(groups.len());
        let mut total = 0u64;
        for (i, g) in groups.iter().enumerate() {
            let n = name(&format!("`resolved_scenario.probes[{i}].name`"), &g["name"])?;
            let c = g["count"]
                .as_u64()
                .filter(|&c| c >= 1)
                .and_then(|c| u32::try_from(c).ok())
                .ok_or_else(|| {
                    err(
                        key_line("resolved_scenario"),
                        format!(
                            "`resolved_scenario.probes[{i}].count` is {}: expected a whole number \
                             from 1 to {}",
                            describe(&g["count"]),
                            u32::MAX
                        ),
                    )
                })?;
            total += u64::from(c);
            probe_groups.push((n, c));
        }
        if total > u64::from(u32::MAX) {
            return Err(err(
                key_line("resolved_scenario"),
                format!(
                    "`resolved_scenario.probes` count {total} probes, more than {}",
                    u32::MAX
                ),
            ));
        }
        Ok(Self {
            arms: names,
            replicates,
            steps,
            probe_groups,
        })
    }

    /// Probes per (arm, replicate).
    pub fn probes(&self) -> u32 {
        // `from_manifest` checked that the sum fits.
        self.probe_groups.iter().map(|(_, c)| *c).sum()
    }

    /// The persona (probe group name) of probe `probe`, as the engine numbers probes: group by
    /// group, in order.
    pub fn persona(&self, probe: u32) -> Option<&str> {
        let mut first = 0u64;
        for (name, count) in &self.probe_groups {
            first += u64::from(*count);
            if u64::from(probe) < first {
                return Some(name);
            }
        }
        None
    }

    /// Rows of `steps.csv`: arms x replicates x steps.
    pub fn step_rows(&self) -> u128 {
        self.arms.len() as u128 * u128::from(self.replicates) * u128::from(self.steps)
    }

    /// Rows of `probes.csv`: arms x replicates x probes.
    pub fn probe_rows(&self) -> u128 {
        self.arms.len() as u128 * u128::from(self.replicates) * u128::from(self.probes())
    }

    /// The largest `steps.csv` accepted: the header and [`Self::step_rows`] rows of the longest
    /// the writer can write (an arm name of the longest a name may be, 64 bytes, every metric
    /// at the longest finite value), so any real file passes and a file that cannot be the
    /// run's is refused unread.
    pub fn steps_bytes(&self, header: &str, metrics: usize) -> u64 {
        let row = MAX_NAME_LEN as u64
            + 2 * (1 + MAX_INT_CELL)
            + metrics as u64 * (1 + MAX_FLOAT_CELL)
            + 1;
        bound(header, self.step_rows(), row)
    }

    /// The largest `probes.csv` accepted, as [`Self::steps_bytes`]: two names (arm, persona)
    /// and whole numbers in every other field.
    pub fn probes_bytes(&self, header: &str, fields: usize) -> u64 {
        let row = 2 * (MAX_NAME_LEN as u64 + 1) + fields as u64 * (1 + MAX_INT_CELL);
        bound(header, self.probe_rows(), row)
    }

    /// The largest `summary.json` accepted: 1 MiB plus 1 KiB per (arm, step, step metric) and
    /// per (arm, step) of the survival curve, about six times what the writer writes.
    pub fn summary_bytes(&self, metrics: usize) -> u64 {
        let points = self.arms.len() as u128 * (u128::from(self.steps) + 1) * (metrics as u128 + 2);
        u64::try_from((1u128 << 20) + points * 1024).unwrap_or(u64::MAX)
    }
}

fn bound(header: &str, rows: u128, row: u64) -> u64 {
    u64::try_from(header.len() as u128 + 1 + rows * u128::from(row)).unwrap_or(u64::MAX)
}

/// A JSON value as a message shows it: its kind, and its text when short.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "missing".into(),
        Value::String(s) => format!("the string {}", shown(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => {
            let t = other.to_string();
            if t.len() > 40 {
                format!("{}...", &t[..40])
            } else {
                t
            }
        }
    }
}

/// A value read from a file, quoted and escaped (control characters and NUL stay visible and
/// on one line), cut at 40 characters.
pub(crate) fn shown(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((cut, _)) => format!("{:?}...", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// The 1-based line of the first occurrence of `needle` in `text` (where a leading line break
/// of the needle ends), 0 when it does not occur.
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |at| {
        let at = at + usize::from(needle.starts_with('\n'));
        text[..at].matches('\n').count() + 1
    })
}

/// Reads a results file, refusing before reading anything what is not a regular file or is
/// larger than `limit` bytes (`why` says where the limit comes from), and what is not UTF-8.
pub(crate) fn read_bounded(path: &Path, limit: u64, why: &str) -> Result<String, TableError> {
    use std::io::Read;
    let err = |line: usize, message: String| TableError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let cannot = |e: std::io::Error| {
        err(
            0,
            match e.kind() {
                std::io::ErrorKind::NotFound => "it does not exist".to_string(),
                std::io::ErrorKind::PermissionDenied => "cannot read it: permission denied".into(),
                _ => format!("cannot read it: {e}"),
            },
        )
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(err(0, "it is a directory, not a file".into()));
    }
    if !meta.is_file() {
        return Err(err(
            0,
            "it is not a regular file (a device, pipe or socket)".into(),
        ));
    }
    let too_large = |n: u64| err(0, format!("it is {n} bytes, more than {limit} ({why})"));
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        err(
            line,
            format!("it is not UTF-8 text (invalid byte at column {column})"),
        )
    })
}

/// Reads and parses `manifest.json` of a results directory (bounded by
/// [`MAX_MANIFEST_BYTES`]); returns it with its text.
pub(crate) fn read_manifest_text(dir: &Path) -> Result<(Value, String), TableError> {
    let path = dir.join("manifest.json");
    let text = read_bounded(&path, MAX_MANIFEST_BYTES, "the limit for a manifest")?;
    let value = parse_json(&text, &path)?;
    Ok((value, text))
}

/// Parses a JSON file, a syntax error pointing at its line.
pub(crate) fn parse_json(text: &str, path: &Path) -> Result<Value, TableError> {
    serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        TableError {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not valid JSON: {message} (column {})", e.column()),
        }
    })
}

/// Checks that `dir` is an existing directory (a results directory given on the command line).
pub(crate) fn check_results_dir(dir: &Path) -> Result<(), TableError> {
    let err = |message: &str| TableError {
        path: dir.to_path_buf(),
        line: 0,
        message: message.into(),
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(err("it is not a directory: give a results directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(err("no such results directory")),
        Err(e) => Err(err(&format!("cannot read it: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest() -> Value {
        json!({
            "scenario": "s",
            "replicates": 2,
            "steps": 3,
            "arms": [{ "name": "a" }, { "name": "b" }],
            "resolved_scenario": { "probes": [
                { "name": "adjacent", "count": 2 },
                { "name": "benign", "count": 1 },
            ] },
        })
    }

    fn shape_of(m: &Value) -> Result<RunShape, TableError> {
        let text = serde_json::to_string_pretty(m).unwrap();
        RunShape::from_manifest(m, &text, Path::new("m.json"))
    }

    #[test]
    fn the_shape_comes_from_the_manifest() {
        let s = shape_of(&manifest()).unwrap();
        assert_eq!(s.arms, ["a", "b"]);
        assert_eq!((s.replicates, s.steps, s.probes()), (2, 3, 3));
        assert_eq!(s.step_rows(), 12);
        assert_eq!(s.probe_rows(), 12);
        let personas: Vec<_> = (0..4).map(|p| s.persona(p)).collect();
        assert_eq!(
            personas,
            [Some("adjacent"), Some("adjacent"), Some("benign"), None]
        );
    }

    #[test]
    fn names_and_counts_of_a_manifest_are_checked() {
        let refused = |edit: &dyn Fn(&mut Value), needle: &str| {
            let mut m = manifest();
            edit(&mut m);
            let e = shape_of(&m).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
            e
        };
        for bad in ["/../../x", "a/b", "..", ".hidden", "", "a\0b", "a\nb", "é"] {
            let e = refused(
                &|m| m["arms"][1]["name"] = json!(bad),
                "is not a valid name",
            );
            assert!(!e.to_string().contains('\n') && !e.to_string().contains('\0'));
        }
        let e = refused(
            &|m| m["arms"][1]["name"] = json!("../x"),
            "not a valid name",
        );
        assert_eq!(e.line, 7, "{e}");
        refused(&|m| m["arms"][1]["name"] = json!(7), "expected a name");
        refused(&|m| m["arms"][1]["name"] = json!("a"), "listed twice");
        refused(&|m| m["arms"] = json!([]), "at least one arm");
        refused(&|m| m["scenario"] = json!("x/y"), "not a valid name");
        refused(
            &|m| m["resolved_scenario"]["probes"][0]["name"] = json!(".."),
            "valid name",
        );
        refused(
            &|m| m["resolved_scenario"]["probes"][0]["count"] = json!(0),
            "count",
        );
        refused(&|m| m["resolved_scenario"] = json!(null), "probe group");
        for bad in [
            json!(0),
            json!(-1),
            json!(4294967296u64),
            json!(1.5),
            json!("3"),
        ] {
            let e = refused(&|m| m["replicates"] = bad.clone(), "`replicates` is");
            assert_eq!(e.line, 10, "{e}");
            refused(&|m| m["steps"] = bad.clone(), "`steps` is");
        }
        refused(&|m| *m = json!([1]), "expected a JSON object");
    }

    #[test]
    fn bounds_admit_the_longest_real_rows() {
        let s = shape_of(&manifest()).unwrap();
        let longest = format!(
            "{},4294967295,4294967295{}\n",
            "n".repeat(MAX_NAME_LEN),
            format!(",{:.6}", -f64::MAX).repeat(2)
        );
        assert!(s.steps_bytes("h", 2) >= 2 + 12 * longest.len() as u64);
        let huge = RunShape {
            replicates: u32::MAX,
            steps: u32::MAX,
            ..s.clone()
        };
        // A manifest's counts cannot overflow the bound: it saturates.
        assert_eq!(huge.steps_bytes("h", 24), u64::MAX);
        assert!(s.summary_bytes(24) > 1 << 20);
    }

    #[test]
    fn files_are_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("driftlab-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = read_bounded(&dir, 100, "test").unwrap_err();
        assert!(e.message.contains("directory"), "{e}");
        let e = read_bounded(&dir.join("missing"), 100, "test").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: it does not exist", dir.join("missing").display())
        );
        #[cfg(unix)]
        {
            let e = read_bounded(Path::new("/dev/zero"), 100, "test").unwrap_err();
            assert!(e.message.contains("not a regular file"), "{e}");
        }
        let f = dir.join("f");
        std::fs::write(&f, "0123456789").unwrap();
        assert_eq!(read_bounded(&f, 10, "test").unwrap(), "0123456789");
        let e = read_bounded(&f, 9, "the test's limit").unwrap_err();
        assert!(
            e.message
                .contains("10 bytes, more than 9 (the test's limit)"),
            "{e}"
        );
        std::fs::write(&f, b"a\nbc\xff\n").unwrap();
        let e = read_bounded(&f, 100, "test").unwrap_err();
        assert_eq!((e.line, e.message.contains("column 3")), (2, true), "{e}");
        assert!(check_results_dir(&dir).is_ok());
        assert!(check_results_dir(&f)
            .unwrap_err()
            .message
            .contains("not a directory"));
        assert!(check_results_dir(&dir.join("missing")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn json_errors_point_at_their_line() {
        let e = parse_json("{\n  \"a\": 1,\n  oops\n}", Path::new("m.json")).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(!e.message.contains("at line"), "{e}");
        let e = parse_json("", Path::new("m.json")).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }
}
