//! TEMPORARY stand-in for the scenario loader (being replaced by the full validator).
#![allow(missing_docs)]
pub mod spec;
pub use spec::*;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub replicates: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    spec: ScenarioSpec,
    origin: String,
    base_dir: PathBuf,
    hash: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

impl Scenario {
    pub fn load(path: &Path, o: &Overrides) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.into(),
            source,
        })?;
        Self::from_toml_str(
            &text,
            &path.display().to_string(),
            path.parent().unwrap_or(Path::new(".")),
            o,
        )
    }
    pub fn from_toml_str(
        text: &str,
        origin: &str,
        base_dir: &Path,
        o: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        let mut spec: ScenarioSpec = toml::from_str(text).map_err(|e| ScenarioError::Invalid {
            file: origin.into(),
            message: e.to_string(),
        })?;
        if let Some(s) = o.seed {
            spec.seed = s;
        }
        if let Some(r) = o.replicates {
            spec.replicates = r;
        }
        Ok(Scenario {
            spec,
            origin: origin.into(),
            base_dir: base_dir.into(),
            hash: "0000000000000000".into(),
        })
    }
    pub fn quickstart(o: &Overrides) -> Result<Scenario, ScenarioError> {
        Self::from_toml_str(
            include_str!("../../scenarios/quickstart.toml"),
            "<embedded quickstart>",
            Path::new("."),
            o,
        )
    }
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }
    pub fn origin(&self) -> &str {
        &self.origin
    }
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }
    pub fn hash(&self) -> &str {
        &self.hash
    }
    pub fn resolved_toml(&self) -> String {
        toml::to_string(&self.spec).unwrap_or_default()
    }
    pub fn flagged_size(&self, accounts: u64) -> u64 {
        let w = &self.spec.world;
        w.flagged_accounts.unwrap_or_else(|| {
            ((accounts as f64) * w.flagged_fraction.unwrap_or(0.01))
                .round()
                .max(1.0) as u64
        })
    }
}
