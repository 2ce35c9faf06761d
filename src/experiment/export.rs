//! `driftlab export-world`: the world of one replicate of a scenario, as the files
//! `[world.import]` reads plus a table of the accounts (see [`crate::world::export`]), so that
//! it can be analysed elsewhere or imported again.
//!
//! The world is the one a run of the scenario builds for that replicate
//! ([`WorldSource::world`]). The files are written into a temporary directory beside `out` and
//! renamed to `out` at the end, so a failed or interrupted export leaves nothing at `out`.

use super::jobs::WorldSource;
use crate::error::Error;
use crate::estimate::{available_memory, human};
use crate::scenario::sweep::grid;
use crate::scenario::Scenario;
use crate::world::export::{write, Written};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What [`WorldExport::write`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The directory holding the files.
    pub dir: PathBuf,
    /// The replicate whose world it is.
    pub replicate: u32,
    /// The sweep point, for a sweep (`p000`, ...).
    pub point: Option<String>,
    /// Sizes and the communities of the `[world.import]` table.
    pub written: Written,
}

/// The scenario of the sweep point named `point` (`p000`, ...), or `scenario` itself when it
/// has no sweep; a sweep needs a point, and only a sweep has them.
fn choose_point(scenario: &Scenario, point: Option<&str>) -> Result<Scenario, Error> {
    let points = grid(&scenario.spec().sweep);
    let name = &scenario.spec().name;
    let Some(last) = points.last() else {
        return match point {
            None => Ok(scenario.clone()),
            Some(p) => Err(Error::Refused(format!(
                "--point {p}: scenario `{name}` has no [sweep], so no points; leave --point out"
            ))),
        };
    };
    let range = format!("{} ..= {}", points[0].name(), last.name());
    let Some(p) = point else {
        return Err(Error::Refused(format!(
            "scenario `{name}` is a sweep of {} points ({range}), each with its own worlds: \
             choose one with --point NAME",
            points.len()
        )));
    };
    match points.iter().find(|g| g.name() == p) {
        Some(g) => Ok(scenario.sweep_point(g)?),
        None => Err(Error::Refused(format!(
            "--point {p} is not a point of scenario `{name}`: its points are {range}"
        ))),
    }
}

/// Refuses an `out` that exists and is not an empty directory.
fn check_out(out: &Path) -> Result<(), Error> {
    let Ok(meta) = std::fs::metadata(out) else {
        return Ok(());
    };
    let empty = meta.is_dir()
        && std::fs::read_dir(out)
            .map_err(|e| Error::Refused(format!("cannot read {}: {e}", out.display())))?
            .next()
            .is_none();
    if empty {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "--out {} exists and is not an empty directory: give a new directory (the export \
             never writes over files)",
            out.display()
        )))
    }
}

/// An I/O error with the path it happened at.
fn at(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| match e.kind() {
        // A world the files cannot hold.
        std::io::ErrorKind::InvalidInput => Error::Refused(e.to_string()),
        kind => Error::Io(std::io::Error::new(
            kind,
            format!("{}: {e}", path.display()),
        )),
    }
}

/// The export of one replicate's world of a scenario: [`WorldExport::write`] writes it into a
/// new directory as the edge list, the labels file, the accounts table and the
/// `[world.import]` table ([`crate::world::export::write`]).
///
/// ```no_run
/// use driftlab::experiment::WorldExport;
/// use driftlab::scenario::{Overrides, Scenario};
///
/// let scenario = Scenario::load("scenarios/smoke.toml".as_ref(), &Overrides::default())?;
/// let done = WorldExport::new(&scenario, 0).write("exports/smoke-0".as_ref())?;
/// println!("{} follows", done.written.edges);
/// # Ok::<(), driftlab::Error>(())
/// ```
pub struct WorldExport<'a> {
    scenario: &'a Scenario,
    replicate: u32,
    point: Option<String>,
    memory_limit: Option<u64>,
    cancel: Option<Arc<AtomicBool>>,
}

impl<'a> WorldExport<'a> {
    /// The world of replicate `replicate` (from 0) of `scenario`.
    pub fn new(scenario: &'a Scenario, replicate: u32) -> Self {
        Self {
            scenario,
            replicate,
            point: None,
            memory_limit: None,
            cancel: None,
        }
    }

    /// For a scenario with a sweep (which needs it): the point whose world to write (`p000`,
    /// ...).
    pub fn point(mut self, name: impl Into<String>) -> Self {
        self.point = Some(name.into());
        self
    }

    /// The memory the export may use, in bytes, instead of what is available.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// A flag that stops the export when raised (from a signal handler, say): the temporary
    /// directory is removed and the error is an I/O error of kind `Interrupted`.
    pub fn cancel_flag(mut self, cancel: Arc<AtomicBool>) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// Writes the world into the new directory `out`.
    ///
    /// Refused, before anything is written: a replicate not below the scenario's replicates, a
    /// point that names no point (or a sweep without a point), an `out` that exists and is not
    /// an empty directory, a world whose estimated size (the memory a one-thread run of it
    /// needs) exceeds the memory available, an import's bad files. The files go to a
    /// temporary directory beside `out` (`.<name>.export-<pid>`), renamed to `out` once
    /// complete; on any error, or when the cancel flag is raised, it is removed and `out` is
    /// left as it was. `out`'s parent directories are created if missing.
    pub fn write(&self, out: &Path) -> Result<Exported, Error> {
        let (replicate, point) = (self.replicate, self.point.as_deref());
        let title = self.scenario.spec().name.clone();
        let scenario = choose_point(self.scenario, point)?;
        let spec = scenario.spec();
        if replicate >= spec.replicates {
            return Err(Error::Refused(format!(
                "--replicate {replicate} is out of range: scenario `{title}` has {} \
                 replicate(s), numbered 0 ..= {}",
                spec.replicates,
                spec.replicates - 1
            )));
        }
        check_out(out)?;
        let estimate = super::estimate(&scenario, 1)?;
        if let Some(available) = self.memory_limit.or_else(available_memory) {
            if estimate.peak_bytes > available {
                return Err(Error::Refused(format!(
                    "the world of scenario `{title}` ({} accounts, about {} follows) needs \
                     about {} but {} are available: export a smaller world",
                    estimate.accounts,
                    estimate.edges,
                    human(estimate.peak_bytes),
                    human(available)
                )));
            }
        }
        let source = WorldSource::prepare(&scenario)?;
        let world = source.world(&scenario, replicate);
        drop(source);
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                Error::Refused(format!(
                    "--out {} does not name a directory: give a path such as exports/world-0",
                    out.display()
                ))
            })?;
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(at(parent))?;
        let tmp = parent.join(format!(".{name}.export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir(&tmp).map_err(at(&tmp))?;
        let about = format!(
            "the world of replicate {replicate} of scenario `{title}`{} ({}; seed {}, scenario \
             hash {}), driftlab {}",
            point.map_or(String::new(), |p| format!(", sweep point {p}")),
            scenario.origin(),
            spec.seed,
            scenario.hash(),
            env!("CARGO_PKG_VERSION")
        );
        let never = AtomicBool::new(false);
        let cancel = self.cancel.as_deref().unwrap_or(&never);
        let done = write(&world, &tmp, &about, cancel)
            .map_err(at(&tmp))
            .and_then(|written| {
                std::fs::rename(&tmp, out).map_err(at(out))?;
                crate::atomic::sync_dir(parent).map_err(at(parent))?;
                Ok(written)
            });
        match done {
            Ok(written) => Ok(Exported {
                dir: out.to_path_buf(),
                replicate,
                point: point.map(str::to_string),
                written,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Overrides;

    const SCENARIO: &str = "name = \"w\"\nseed = 4\nsteps = 10\nreplicates = 2\n\
        [world]\naccounts = 300\nbenign_communities = 3\nadjacent_communities = 1\n\
        [[probes]]\ncount = 2\nstart = \"benign\"\n[[arms]]\nname = \"a\"\n";

    fn scenario(extra: &str) -> Scenario {
        Scenario::from_toml_str(
            &format!("{SCENARIO}{extra}"),
            "test",
            Path::new("."),
            &Overrides::default(),
        )
        .unwrap()
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "driftlab-export-world-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The export of `s` (replicate `r`, sweep point `point`), cancelled from the start when
    /// `cancel` is set.
    fn export_world(
        s: &Scenario,
        point: Option<&str>,
        r: u32,
        out: &Path,
        cancel: bool,
    ) -> Result<Exported, Error> {
        let mut e = WorldExport::new(s, r).cancel_flag(Arc::new(AtomicBool::new(cancel)));
        if let Some(p) = point {
            e = e.point(p);
        }
        e.write(out)
    }

    fn refusal(r: Result<Exported, Error>) -> String {
        match r {
            Err(e @ Error::Refused(_)) => e.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_requests_are_refused_and_leave_nothing() {
        let dir = scratch("refused");
        let no = false;
        let s = scenario("");
        let out = dir.join("out");
        let e = refusal(export_world(&s, None, 2, &out, no));
        assert!(e.contains("--replicate 2 is out of range"), "{e}");
        assert!(e.contains("0 ..= 1"), "{e}");
        let e = refusal(export_world(&s, Some("p000"), 0, &out, no));
        assert!(e.contains("has no [sweep]"), "{e}");
        let sweep = scenario("[sweep]\n\"world.content_noise\" = [0.1, 0.2]\n");
        let e = refusal(export_world(&sweep, None, 0, &out, no));
        assert!(e.contains("sweep of 2 points (p000 ..= p001)"), "{e}");
        let e = refusal(export_world(&sweep, Some("p7"), 0, &out, no));
        assert!(e.contains("--point p7 is not a point"), "{e}");
        let e = refusal(WorldExport::new(&s, 0).memory_limit(1 << 20).write(&out));
        assert!(
            e.contains("needs about") && e.contains("but 1.0 MiB are available"),
            "{e}"
        );
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("keep"), "x").unwrap();
        let e = refusal(export_world(&s, None, 0, &out, no));
        assert!(e.contains("is not an empty directory"), "{e}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
        // Interrupted: the temporary directory is gone and `out` never appeared.
        let fresh = dir.join("fresh");
        let e = export_world(&s, None, 0, &fresh, true).unwrap_err();
        assert!(!e.is_input() && !fresh.exists(), "{e}");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_point_and_replicate_are_exported_into_an_empty_directory() {
        let dir = scratch("point");
        let sweep = scenario("[sweep]\n\"world.accounts\" = [200, 300]\n");
        let out = dir.join("empty");
        std::fs::create_dir_all(&out).unwrap();
        let done = export_world(&sweep, Some("p001"), 1, &out, false).unwrap();
        assert_eq!(done.written.accounts, 300);
        assert_eq!((done.replicate, done.point.as_deref()), (1, Some("p001")));
        let mut names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["accounts.csv", "edges.txt", "labels.txt", "world.toml"]
        );
        let edges = std::fs::read_to_string(out.join("edges.txt")).unwrap();
        assert!(edges.starts_with(
            "# driftlab follow edges: the world of replicate 1 of scenario `w`, sweep point p001"
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
