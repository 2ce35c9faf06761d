//! Part files: every finished (replicate, arm) is written to `<results>/.parts/` as soon as it
//! completes, atomically, so an interrupted run (Ctrl-C or kill -9) loses no completed work.
//! The final CSVs are always assembled from the parts in job order, so a resumed run produces
//! the same bytes as an uninterrupted one.

use super::identity::{PartsError, RunIdentity};
use super::output::{probes_rows, steps_rows};
use crate::atomic::write_atomic;
use crate::engine::ArmRun;
use crate::experiment::jobs::{JobSink, WorldStats};
use crate::scenario::Scenario;
use std::io;
use std::path::{Path, PathBuf};

/// The parts directory of one results directory.
pub struct PartStore<'a> {
    dir: PathBuf,
    scenario: &'a Scenario,
    on_part: Box<dyn Fn() + Sync + 'a>,
}

const SEPARATOR: &str = "--probes--\n";

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PartsError + '_ {
    move |source| PartsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl<'a> PartStore<'a> {
    /// Opens `<results>/.parts`. With `resume`, existing parts are kept if they belong to the
    /// same run (else an error); without it, any existing parts are discarded.
    pub fn open(results: &Path, scenario: &'a Scenario, resume: bool) -> Result<Self, PartsError> {
        let dir = results.join(".parts");
        let identity = RunIdentity::of(scenario);
        let id_path = dir.join("identity.json");
        if resume && id_path.exists() {
            let text = std::fs::read_to_string(&id_path).map_err(io_err(&id_path))?;
            let found: Option<RunIdentity> = serde_json::from_str(&text).ok();
            if found.as_ref() != Some(&identity) {
                let found = found.unwrap_or(RunIdentity {
                    version: "?".into(),
                    scenario_hash: "?".into(),
                });
                return Err(PartsError::Mismatch {
                    dir,
                    found: found.scenario_hash,
                    found_version: found.version,
                    expected: identity.scenario_hash,
                    expected_version: identity.version,
                });
            }
        } else if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let json = serde_json::to_string_pretty(&identity).unwrap_or_default();
        write_atomic(&id_path, json.as_bytes()).map_err(io_err(&id_path))?;
        Ok(Self {
            dir,
            scenario,
            on_part: Box::new(|| {}),
        })
    }

    /// Calls `f` after each part is written (progress reporting).
    pub fn on_part(mut self, f: impl Fn() + Sync + 'a) -> Self {
        self.on_part = Box::new(f);
        self
    }

    fn part_path(&self, replicate: u32, arm: usize) -> PathBuf {
        self.dir.join(format!("r{replicate:06}-a{arm:04}.part"))
    }

    fn world_path(&self) -> PathBuf {
        self.dir.join("world.json")
    }

    /// Number of parts on disk.
    pub fn completed(&self) -> usize {
        let spec = self.scenario.spec();
        (0..spec.replicates)
            .flat_map(|r| (0..spec.arms.len()).map(move |a| (r, a)))
            .filter(|&(r, a)| self.part_path(r, a).exists())
            .count()
    }

    /// Figures of replicate 0's world, if recorded.
    pub fn world_stats(&self) -> Option<WorldStats> {
        let text = std::fs::read_to_string(self.world_path()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Concatenates every part into the bodies of `steps.csv` and `probes.csv`, rows ordered by
    /// arm, then replicate. Fails if a part is missing.
    pub fn assemble(&self) -> Result<(String, String), PartsError> {
        let spec = self.scenario.spec();
        let (mut steps, mut probes) = (String::new(), String::new());
        for a in 0..spec.arms.len() {
            for r in 0..spec.replicates {
                let path = self.part_path(r, a);
                let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
                let (s, p) = text.split_once(SEPARATOR).ok_or_else(|| PartsError::Io {
                    path: path.clone(),
                    source: io::Error::other("malformed part file"),
                })?;
                steps.push_str(s);
                probes.push_str(p);
            }
        }
        Ok((steps, probes))
    }

    /// Removes the parts directory (after the final files are written).
    pub fn remove(self) -> Result<(), PartsError> {
        std::fs::remove_dir_all(&self.dir).map_err(io_err(&self.dir))
    }
}

impl JobSink for PartStore<'_> {
    fn skip(&self, replicate: u32, arm: usize) -> bool {
        self.part_path(replicate, arm).exists()
    }

    fn world(&self, replicate: u32, stats: &WorldStats) -> io::Result<()> {
        if replicate == 0 {
            let json = serde_json::to_string(stats).map_err(io::Error::other)?;
            write_atomic(&self.world_path(), json.as_bytes())?;
        }
        Ok(())
    }

    fn finished(&self, replicate: u32, arm: usize, run: ArmRun) -> io::Result<()> {
        let spec = self.scenario.spec();
        let name = &spec.arms[arm].name;
        let mut text = steps_rows(name, replicate, &run);
        text.push_str(SEPARATOR);
        text.push_str(&probes_rows(spec, name, replicate, &run));
        write_atomic(&self.part_path(replicate, arm), text.as_bytes())?;
        (self.on_part)();
        Ok(())
    }
}
