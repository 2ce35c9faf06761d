//! Set-up shared by the tests that run the engine in-process: a test's scenario from its TOML,
//! a run on a given number of threads, one arm's rows of a CSV, and the surfaces of a scenario
//! whose probes see account suggestions only.

// Each test crate uses the part it needs.
#![allow(dead_code)]

use driftlab::experiment::{self, ExperimentResult};
use driftlab::scenario::{Overrides, Scenario};
use std::path::Path;

/// The scenario of `text`, named `origin` in errors; a test scenario must be valid.
pub fn scenario(text: &str, origin: &str) -> Scenario {
    Scenario::from_toml_str(text, origin, Path::new("."), &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs every job of `s` on a pool of `threads` threads.
pub fn run(s: &Scenario, threads: usize) -> ExperimentResult {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| experiment::run(s, &|| {}).unwrap())
}

/// The rows of one arm of a CSV, with the arm name cut off.
pub fn arm_rows(csv: &str, arm: &str) -> Vec<String> {
    csv.lines()
        .filter_map(|l| l.strip_prefix(&format!("{arm},")).map(str::to_string))
        .collect()
}

/// The `[surfaces.*]` tables of a scenario whose only surface is account suggestions, a slate
/// of one served by the policy of kind `policy`: search, feed and explore are off.
pub fn suggestions_only(policy: &str) -> String {
    let off = |surface: &str, kind: &str| {
        format!(
            "[surfaces.{surface}]\nenabled = false\npolicy = {{ kind = \"{kind}\" }}\npool = 1\n\
             slate = 1\n"
        )
    };
    format!(
        "{}\n{}\n{}\n[surfaces.suggested_accounts]\npolicy = {{ kind = \"{policy}\" }}\npool = 1\n\
         slate = 1\n",
        off("search", "popularity"),
        off("feed", "random"),
        off("explore", "random")
    )
}

/// The files under `dir` (recursively, in name order) whose extension is `ext`.
pub fn files_with_extension(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for path in entries {
        if path.is_dir() {
            out.extend(files_with_extension(&path, ext));
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out
}

/// Writes `labels.txt` and `edges.txt` of a world of 60 accounts into `dir`: communities 0 and 1
/// (benign) and 2 (to be named flagged), 20 accounts each, every account following 3 others.
pub fn write_sixty_account_world(dir: &Path) {
    let mut labels = String::from("# account community\n");
    let mut edges = String::from("# src dst\n");
    for a in 0..60u32 {
        labels.push_str(&format!("{a} {}\n", a / 20));
        for d in [1, 7, 21] {
            edges.push_str(&format!("{a} {}\n", (a + d) % 60));
        }
    }
    std::fs::write(dir.join("labels.txt"), labels).unwrap();
    std::fs::write(dir.join("edges.txt"), edges).unwrap();
}

/// A scratch directory of a test, `<temp>/driftlab-<tag>-<pid>`, created empty and removed
/// when dropped, also when the test fails (set `DRIFTLAB_KEEP_TEST_DIRS` to keep it).
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    /// A new empty scratch directory named by `tag`.
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("driftlab-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::PathBuf;

    fn deref(&self) -> &std::path::PathBuf {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("DRIFTLAB_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

/// Runs the `driftlab` binary with `args`.
pub fn driftlab(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(args)
        .output()
        .expect("driftlab runs")
}

/// Runs the `driftlab` binary with `args`, which must succeed, and returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let out = driftlab(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts that two results directories hold the same `steps.csv` and `probes.csv`, byte for
/// byte.
pub fn same_tables(a: &Path, b: &Path) {
    for file in ["steps.csv", "probes.csv"] {
        let (x, y) = (
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
        );
        assert!(
            x == y,
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}
