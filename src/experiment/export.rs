//! `driftlab export-world`: the world of one replicate of a scenario, as the files
//! `[world.import]` reads plus a table of the accounts (see [`crate::world::export`]), so that
//! it can be analysed elsewhere or imported again.
//!
//! The world is the one a run of the scenario builds for that replicate
//! ([`WorldSource::world`]). The files are written into a temporary directory beside `out` and
//! renamed to `out` at the end, so a failed or interrupted export leaves nothing at `out`.

use super::jobs::WorldSource;
use crate::error::Error;
use crate::scenario::sweep::grid;
use crate::scenario::Scenario;
use crate::world::export::{write, Written};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// What [`export_world`] wrote.
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

/// Writes the world of replicate `replicate` (from 0) of `scenario` (of its sweep point named
/// `point`, for a sweep) into the new directory `out`: the edge list, the labels file, the
/// accounts table and the `[world.import]` table ([`crate::world::export::write`]).
///
/// Refused, before anything is written, when `replicate` is not below the scenario's
/// replicates, when `point` names no point (or the scenario is a sweep and `point` is `None`),
/// when `out` exists and is not an empty directory, or when an imported world's files are bad.
/// The files go to a temporary directory beside `out` (`.<name>.export-<pid>`), renamed to
/// `out` once complete; on any error, or when `cancel` is raised, it is removed and `out` is
/// left as it was. `out`'s parent directories are created if missing.
pub fn export_world(
    scenario: &Scenario,
    point: Option<&str>,
    replicate: u32,
    out: &Path,
    cancel: &AtomicBool,
) -> Result<Exported, Error> {
    let title = scenario.spec().name.clone();
    let scenario = choose_point(scenario, point)?;
    let spec = scenario.spec();
    if replicate >= spec.replicates {
        return Err(Error::Refused(format!(
            "--replicate {replicate} is out of range: scenario `{title}` has {} replicate(s), \
             numbered 0 ..= {}",
            spec.replicates,
            spec.replicates - 1
        )));
    }
    check_out(out)?;
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
        "the world of replicate {replicate} of scenario `{title}`{} ({}; seed {}, scenario hash \
         {}), driftlab {}",
        point.map_or(String::new(), |p| format!(", sweep point {p}")),
        scenario.origin(),
        spec.seed,
        scenario.hash(),
        env!("CARGO_PKG_VERSION")
    );
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

    fn refusal(r: Result<Exported, Error>) -> String {
        match r {
            Err(e @ Error::Refused(_)) => e.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_requests_are_refused_and_leave_nothing() {
        let dir = scratch("refused");
        let no = AtomicBool::new(false);
        let s = scenario("");
        let out = dir.join("out");
        let e = refusal(export_world(&s, None, 2, &out, &no));
        assert!(e.contains("--replicate 2 is out of range"), "{e}");
        assert!(e.contains("0 ..= 1"), "{e}");
        let e = refusal(export_world(&s, Some("p000"), 0, &out, &no));
        assert!(e.contains("has no [sweep]"), "{e}");
        let sweep = scenario("[sweep]\n\"world.content_noise\" = [0.1, 0.2]\n");
        let e = refusal(export_world(&sweep, None, 0, &out, &no));
        assert!(e.contains("sweep of 2 points (p000 ..= p001)"), "{e}");
        let e = refusal(export_world(&sweep, Some("p7"), 0, &out, &no));
        assert!(e.contains("--point p7 is not a point"), "{e}");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("keep"), "x").unwrap();
        let e = refusal(export_world(&s, None, 0, &out, &no));
        assert!(e.contains("is not an empty directory"), "{e}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
        // Interrupted: the temporary directory is gone and `out` never appeared.
        let fresh = dir.join("fresh");
        let e = export_world(&s, None, 0, &fresh, &AtomicBool::new(true)).unwrap_err();
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
        let done = export_world(&sweep, Some("p001"), 1, &out, &AtomicBool::new(false)).unwrap();
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
