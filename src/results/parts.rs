//! Part files: every finished (replicate, arm) is written to `<results>/.parts/` as soon as it
//! completes, atomically, so an interrupted run (Ctrl-C or kill -9) loses no completed work.
//! The final CSVs are always assembled from the parts in job order, so a resumed run produces
//! the same bytes as an uninterrupted one.

use super::identity::{PartsError, RunIdentity};
use super::output::{probes_rows, steps_rows};
use crate::atomic::{write_atomic, write_named};
use crate::engine::ArmRun;
use crate::experiment::jobs::{JobSink, WorldStats};
use crate::scenario::Scenario;
use std::io;
use std::path::{Path, PathBuf};

/// The parts directory of one results directory.
pub struct PartStore<'a> {
    dir: PathBuf,
    scenario: &'a Scenario,
    identity: String,
    damaged: Vec<PathBuf>,
    on_part: Box<dyn Fn() + Sync + 'a>,
}

const SEPARATOR: &str = "--probes--\n";

/// The last line of a part: `--part-- <run identity word> <FNV-1a 64 of every byte before it>`
/// (see [`RunIdentity::word`]).
const TRAILER: &str = "--part-- ";

/// The bodies of `steps.csv` and `probes.csv` a part holds, when it is whole, of this run and
/// unchanged since it was written; `None` otherwise.
fn verified<'t>(text: &'t str, identity: &str) -> Option<(&'t str, &'t str)> {
    let body_end = text.strip_suffix('\n')?.rfind('\n').map_or(0, |i| i + 1);
    let (body, trailer) = text.split_at(body_end);
    let rest = trailer.strip_prefix(TRAILER)?.trim_end_matches('\n');
    let (id, sum) = rest.split_once(' ')?;
    if id != identity || sum != format!("{:016x}", crate::scenario::fnv1a(body.as_bytes())) {
        return None;
    }
    body.split_once(SEPARATOR)
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PartsError + '_ {
    move |source| PartsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether the part file at `path` is whole and of the run whose identity word is `identity`
/// ([`RunIdentity::word`]).
pub(crate) fn is_whole(path: &Path, identity: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| verified(&text, identity).is_some())
}

/// The file name of the part of (`replicate`, `arm`).
pub(crate) fn part_name(replicate: u32, arm: usize) -> String {
    format!("r{replicate:06}-a{arm:04}.part")
}

/// The (replicate, arm) a part's file name stands for, if it is one ([`part_name`]).
pub(crate) fn parse_part_name(name: &str) -> Option<(u32, usize)> {
    let rest = name.strip_prefix('r')?.strip_suffix(".part")?;
    let (r, a) = rest.split_once("-a")?;
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    (digits(r, 6) && digits(a, 4)).then(|| Some((r.parse().ok()?, a.parse().ok()?)))?
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
                    seed: 0,
                    build: "?".into(),
                });
                return Err(PartsError::Mismatch {
                    dir,
                    found: Box::new(found),
                    expected: Box::new(identity),
                });
            }
        } else if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        // A resumed run uses only whole parts of this run: a damaged, truncated or foreign part
        // (and a temporary file a kill left) is removed, reported, and computed again.
        let mut damaged = Vec::new();
        let ident = identity.word();
        for entry in std::fs::read_dir(&dir).map_err(io_err(&dir))? {
            let path = entry.map_err(io_err(&dir))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            let bad = if crate::atomic::is_temporary(&name) {
                true
            } else if name.ends_with(".part") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                verified(&text, &ident).is_none()
            } else {
                false
            };
            if bad {
                std::fs::remove_file(&path).map_err(io_err(&path))?;
                if name.ends_with(".part") {
                    damaged.push(path);
                }
            }
        }
        damaged.sort();
        let json = serde_json::to_string_pretty(&identity).unwrap_or_default();
        write_atomic(&id_path, json.as_bytes()).map_err(io_err(&id_path))?;
        Ok(Self {
            dir,
            scenario,
            identity: ident,
            damaged,
            on_part: Box::new(|| {}),
        })
    }

    /// Parts of an earlier invocation that were damaged (changed, truncated, of another run)
    /// and were removed when the store was opened, to be computed again.
    pub fn damaged(&self) -> &[PathBuf] {
        &self.damaged
    }

    /// Calls `f` after each part is written (progress reporting).
    pub fn on_part(mut self, f: impl Fn() + Sync + 'a) -> Self {
        self.on_part = Box::new(f);
        self
    }

    fn part_path(&self, replicate: u32, arm: usize) -> PathBuf {
        self.dir.join(part_name(replicate, arm))
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

    /// Hands every part's bodies of `steps.csv` and `probes.csv` to `append` (a
    /// [`TableWriter`](super::output::TableWriter)'s), rows ordered by arm, then replicate,
    /// reading one part at a time. Fails if a part is missing or damaged, or with `append`'s
    /// error.
    pub fn assemble<E: From<PartsError>>(
        &self,
        mut append: impl FnMut(&str, &str) -> Result<(), E>,
    ) -> Result<(), E> {
        let spec = self.scenario.spec();
        for a in 0..spec.arms.len() {
            for r in 0..spec.replicates {
                let path = self.part_path(r, a);
                let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
                let (s, p) = verified(&text, &self.identity).ok_or_else(|| PartsError::Io {
                    path: path.clone(),
                    source: io::Error::other(
                        "damaged part (checksum or identity); run again with --resume to \
                         compute it again",
                    ),
                })?;
                append(s, p)?;
            }
        }
        Ok(())
    }

    /// Copies the part of (`replicate`, `arm`) computed elsewhere (a shard) from `from` into
    /// this store. Not checked here: the merge checked it, and [`Self::assemble`] checks every
    /// part it reads.
    pub(crate) fn adopt(&self, replicate: u32, arm: usize, from: &Path) -> Result<(), PartsError> {
        let to = self.part_path(replicate, arm);
        std::fs::copy(from, &to).map_err(io_err(&to))?;
        Ok(())
    }

    /// Copies the figures of replicate 0's world recorded elsewhere (a shard's `world.json`).
    pub(crate) fn adopt_world(&self, from: &Path) -> Result<(), PartsError> {
        let to = self.world_path();
        std::fs::copy(from, &to).map_err(io_err(&to))?;
        Ok(())
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
            write_named(&self.world_path(), json.as_bytes())?;
        }
        Ok(())
    }

    fn finished(&self, replicate: u32, arm: usize, run: ArmRun) -> io::Result<()> {
        let spec = self.scenario.spec();
        let name = &spec.arms[arm].name;
        let mut text = steps_rows(name, replicate, &run);
        text.push_str(SEPARATOR);
        text.push_str(&probes_rows(spec, name, replicate, &run));
        let sum = crate::scenario::fnv1a(text.as_bytes());
        text.push_str(&format!("{TRAILER}{} {sum:016x}\n", self.identity));
        write_named(&self.part_path(replicate, arm), text.as_bytes())?;
        (self.on_part)();
        Ok(())
    }
}
