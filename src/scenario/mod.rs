//! Scenario files: the one place where user input enters. A TOML file (or the embedded
//! quickstart) is parsed into the serde types of [`spec`], command-line overrides are applied,
//! and every value is validated; the engine only ever receives a [`Scenario`].
//!
//! Errors name the file, the line, the key and the valid range, or the nearest valid key for a
//! misspelt one: `scenario.toml:8:1: `world.benign_comunities`: unknown key, did you mean
//! `benign_communities`?`.

mod check;
mod locate;
pub mod set;
pub mod spec;

pub use spec::*;

use std::fmt;
use std::path::{Path, PathBuf};

/// Command-line overrides, applied before validation.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--replicates`.
    pub replicates: Option<u32>,
    /// `--set KEY=VALUE` assignments, in order.
    pub sets: Vec<String>,
}

/// Why a scenario was refused. Displays as one line naming where the problem is.
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
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column.
        column: usize,
        /// Key path, e.g. `world.graph.mean_degree` (empty for a syntax error).
        key: String,
        /// What is wrong.
        message: String,
        /// The nearest valid key or variant.
        suggestion: Option<String>,
    },
    /// A value is out of range or contradicts another.
    Invalid {
        /// File (or "command line").
        file: String,
        /// 1-based line of the key, when it is written in the file.
        line: Option<usize>,
        /// Key path.
        key: String,
        /// What is wrong, with the valid range.
        message: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => {
                write!(f, "cannot read scenario {}: {source}", path.display())
            }
            Self::Parse {
                file,
                line,
                column,
                key,
                message,
                suggestion,
            } => {
                write!(f, "{file}:{line}:{column}: ")?;
                if !key.is_empty() {
                    write!(f, "`{key}`: ")?;
                }
                write!(f, "{message}")?;
                if let Some(s) = suggestion {
                    write!(f, ", did you mean `{s}`?")?;
                }
                Ok(())
            }
            Self::Invalid {
                file,
                line,
                key,
                message,
            } => {
                match line {
                    Some(l) => write!(f, "{file}:{l}: ")?,
                    None => write!(f, "{file}: ")?,
                }
                if !message.contains(&format!("`{key}`")) {
                    write!(f, "`{key}`: ")?;
                }
                write!(f, "{message}")
            }
        }
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

/// A validated scenario: the only thing the engine accepts.
#[derive(Clone, Debug)]
pub struct Scenario {
    spec: ScenarioSpec,
    origin: String,
    base_dir: PathBuf,
    hash: String,
}

/// The quickstart scenario, embedded in the binary.
const QUICKSTART: &str = include_str!("../../scenarios/quickstart.toml");

/// FNV-1a, 64 bits: a stable hash with no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Turns a toml error into a located parse error.
fn parse_error(text: &str, file: &str, key: String, err: &toml::de::Error) -> ScenarioError {
    let (line, column) = err
        .span()
        .map_or((0, 0), |s| locate::line_col(text, s.start));
    let message = err.message().trim().to_string();
    let suggestion = locate::suggestion(&message).map(|(_, s)| s);
    let message = match message.strip_prefix("unknown field") {
        Some(rest) if suggestion.is_some() => {
            format!("unknown key{}", rest.split(',').next().unwrap_or(""))
        }
        Some(rest) => format!("unknown key{rest}"),
        None => message,
    };
    ScenarioError::Parse {
        file: file.to_string(),
        line,
        column,
        key,
        message,
        suggestion,
    }
}

/// Deserialises with the key path of any error.
fn deserialize(text: &str, file: &str) -> Result<ScenarioSpec, ScenarioError> {
    let de =
        toml::Deserializer::parse(text).map_err(|e| parse_error(text, file, String::new(), &e))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        parse_error(text, file, key, e.inner())
    })
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Self::from_toml_str(&text, &path.display().to_string(), base, overrides)
    }

    /// The embedded quickstart scenario.
    pub fn quickstart(overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        Self::from_toml_str(
            QUICKSTART,
            "<embedded quickstart>",
            Path::new("."),
            overrides,
        )
    }

    /// Parses and validates TOML text; `origin` names it in errors; relative import paths
    /// resolve against `base_dir`.
    pub fn from_toml_str(
        text: &str,
        origin: &str,
        base_dir: &Path,
        overrides: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        // The file alone first, so its own mistakes are reported at their lines.
        let mut spec = deserialize(text, origin)?;
        let set_keys: Vec<String> = overrides
            .sets
            .iter()
            .filter_map(|s| s.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect();
        if !overrides.sets.is_empty() {
            let cmd = "command line (--set)";
            let mut table: toml::Table = text
                .parse()
                .map_err(|e| parse_error(text, origin, String::new(), &e))?;
            set::apply_sets(&mut table, &overrides.sets).map_err(|e| ScenarioError::Invalid {
                file: cmd.into(),
                line: None,
                key: e.assignment.clone(),
                message: e.to_string(),
            })?;
            let value = toml::Value::Table(table);
            spec = serde_path_to_error::deserialize(value).map_err(|e| {
                let key = e.path().to_string();
                let message = e.inner().to_string().trim().to_string();
                let suggestion = locate::suggestion(&message).map(|(_, s)| s);
                ScenarioError::Parse {
                    file: cmd.into(),
                    line: 0,
                    column: 0,
                    key,
                    message,
                    suggestion,
                }
            })?;
        }
        if let Some(seed) = overrides.seed {
            spec.seed = seed;
        }
        if let Some(r) = overrides.replicates {
            spec.replicates = r;
        }
        if let Some((key, message)) = check::check(&spec, base_dir) {
            let from_cli = (key == "replicates" && overrides.replicates.is_some())
                || set_keys.iter().any(|k| {
                    key == *k
                        || key.starts_with(&format!("{k}."))
                        || k.starts_with(&format!("{key}."))
                });
            let (file, line) = if from_cli {
                let flag = if key == "replicates" {
                    "--replicates"
                } else {
                    "--set"
                };
                (format!("command line ({flag})"), None)
            } else {
                (origin.to_string(), locate::line_of(text, &key))
            };
            return Err(ScenarioError::Invalid {
                file,
                line,
                key,
                message,
            });
        }
        let resolved = toml::to_string(&spec).unwrap_or_default();
        Ok(Scenario {
            hash: format!("{:016x}", fnv1a(resolved.as_bytes())),
            spec,
            origin: origin.to_string(),
            base_dir: base_dir.to_path_buf(),
        })
    }

    /// The validated spec.
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// Where the scenario came from (a path or `<embedded quickstart>`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Directory against which import paths resolve.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Stable 16-hex-digit hash of the resolved scenario (overrides included).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The resolved scenario as TOML, every default filled in.
    pub fn resolved_toml(&self) -> String {
        toml::to_string(&self.spec).unwrap_or_default()
    }

    /// Size of the flagged cluster in a world of `accounts` accounts.
    pub fn flagged_size(&self, accounts: u64) -> u64 {
        let w = &self.spec.world;
        w.flagged_accounts.unwrap_or_else(|| {
            ((accounts as f64) * w.flagged_fraction.unwrap_or(0.01))
                .round()
                .max(1.0) as u64
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[[arms]]\nname = \"baseline\"\n";

    fn load(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_str(text, "t.toml", Path::new("."), &Overrides::default())
    }

    fn message(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn minimal_scenario_round_trips() {
        let s = load(MINIMAL).unwrap();
        let again = load(&s.resolved_toml()).unwrap();
        assert_eq!(s.spec(), again.spec());
        assert_eq!(s.hash(), again.hash());
        assert_eq!(s.hash().len(), 16);
        let other = load(&MINIMAL.replace("seed = 1", "seed = 2")).unwrap();
        assert_ne!(s.hash(), other.hash());
    }

    #[test]
    fn misspelt_key_gets_line_key_and_suggestion() {
        let m = message(&MINIMAL.replace("accounts = 2000", "acounts = 2000"));
        assert!(
            m.starts_with("t.toml:4:1: `world.acounts`: unknown key"),
            "{m}"
        );
        assert!(m.ends_with("did you mean `accounts`?"), "{m}");
    }

    #[test]
    fn nested_policy_typo_points_at_its_line() {
        let m = message(&format!("{MINIMAL}[surfaces.feed]\npolicy = {{ kind = \"co_follow\", sampels = 3 }}\npool = 5\nslate = 2\n"));
        assert!(m.contains("t.toml:8:"), "{m}");
        assert!(m.contains("samples"), "{m}");
        let m = message(&format!(
            "{MINIMAL}[surfaces.feed]\npolicy = {{ kind = \"co_folow\" }}\npool = 5\nslate = 2\n"
        ));
        assert!(m.contains("did you mean `co_follow`?"), "{m}");
    }

    #[test]
    fn wrong_type_and_ranges() {
        assert!(message(&MINIMAL.replace("2000", "\"many\"")).contains("t.toml:4:"));
        let m = message(&MINIMAL.replace("2000", "0"));
        assert!(
            m.contains("t.toml:4:") && m.contains("2 ..= 50000000"),
            "{m}"
        );
        let m = message(&format!("{MINIMAL}[moderation]\nrecall = 1.5\n"));
        assert!(m.contains("t.toml:8:") && m.contains("probability"), "{m}");
        let m = message(&MINIMAL.replace(
            "accounts = 2000",
            "accounts = 2000\nflagged_accounts = 5000",
        ));
        assert!(
            m.contains("t.toml:5:") && m.contains("smaller than the world"),
            "{m}"
        );
        let m = message(&format!(
            "{MINIMAL}[surfaces.feed]\npolicy = {{ kind = \"random\" }}\npool = 10\nslate = 12\n"
        ));
        assert!(
            m.contains("t.toml:10:") && m.contains("larger than the pool"),
            "{m}"
        );
    }

    #[test]
    fn overrides_are_blamed_on_the_command_line() {
        let o = Overrides {
            replicates: Some(0),
            ..Overrides::default()
        };
        let m = Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), &o)
            .unwrap_err()
            .to_string();
        assert!(m.starts_with("command line (--replicates)"), "{m}");
        let o = Overrides {
            sets: vec!["world.accounts=1".into()],
            ..Overrides::default()
        };
        let m = Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), &o)
            .unwrap_err()
            .to_string();
        assert!(m.starts_with("command line (--set)"), "{m}");
        let o = Overrides {
            sets: vec!["world.acounts=5".into()],
            ..Overrides::default()
        };
        let m = Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), &o)
            .unwrap_err()
            .to_string();
        assert!(m.contains("did you mean `accounts`?"), "{m}");
        let o = Overrides {
            sets: vec!["world.accounts=5000".into()],
            ..Overrides::default()
        };
        assert_eq!(
            Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), &o)
                .unwrap()
                .spec()
                .world
                .accounts,
            Some(5000)
        );
    }

    #[test]
    fn embedded_quickstart_is_valid() {
        assert!(Scenario::quickstart(&Overrides::default()).is_ok());
    }
}
