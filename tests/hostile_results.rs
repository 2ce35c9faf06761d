//! Results files as hostile input: `driftlab report` and `driftlab compare` given a results
//! directory that was edited, truncated or booby-trapped. A real results directory is built once
//! (`scenarios/smoke.toml`, 2 replicates); each case copies it, mutates the copy, and runs the
//! commands it applies to. Each must exit 2 with exactly one stderr line starting `error: ` that
//! names the file (and the line where there is one), not panic, write nothing outside the copy
//! (the copy's parent and grandparent hold only what they held) and nothing inside it (same
//! files, same bytes).

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A command that hangs (a FIFO read) or runs away (`/dev/zero`) is killed after this.
const TIMEOUT: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    std::env::temp_dir().join(format!("driftlab-hostile-{}", std::process::id()))
}

/// Runs the binary with a time limit: (exit code, stdout, stderr); `None` as the code when it
/// was killed.
fn driftlab(args: &[&Path]) -> (Option<i32>, String, String) {
    let dir = root().join("io");
    std::fs::create_dir_all(&dir).unwrap();
    let serial = {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::Relaxed)
    };
    let (out, err) = (
        dir.join(format!("{serial}.out")),
        dir.join(format!("{serial}.err")),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("binary runs");
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| {
        let text = String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
        let _ = std::fs::remove_file(p);
        text
    };
    (code, read(&out), read(&err))
}

/// The tests of this file; the last to finish removes the shared base results (a failed case's
/// copy is kept for inspection, and with it the root).
const TESTS: usize = 3;

/// Held by each test: its drop counts the test as finished.
struct Finished;

impl Drop for Finished {
    fn drop(&mut self) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static DONE: AtomicUsize = AtomicUsize::new(0);
        if DONE.fetch_add(1, Ordering::SeqCst) + 1 == TESTS {
            let _ = std::fs::remove_dir_all(root().join("base"));
            let _ = std::fs::remove_dir_all(root().join("io"));
            let _ = std::fs::remove_dir(root());
        }
    }
}

/// The pristine results directory, built once.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let out = root().join("base");
        let _ = std::fs::remove_dir_all(&out);
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/smoke.toml");
        let (code, _, stderr) = driftlab(&[
            Path::new("run"),
            &scenario,
            Path::new("--replicates"),
            Path::new("2"),
            Path::new("--threads"),
            Path::new("1"),
            Path::new("--out"),
            &out,
        ]);
        assert_eq!(code, Some(0), "building the base results: {stderr}");
        out.join("smoke")
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every entry below `dir`: relative path -> its bytes (regular files), or what it is (never
/// read: a FIFO would block).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let (path, rel) = (entry.path(), rel.join(entry.file_name()));
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_dir() {
                out.insert(rel.clone(), b"<dir>".to_vec());
                walk(&path, &rel, out);
            } else if kind.is_file() {
                let meta = std::fs::metadata(&path).unwrap();
                // A sparse "absurdly large" file is recorded by size, not read.
                let bytes = if meta.len() > 64 << 20 {
                    format!("<{} bytes>", meta.len()).into_bytes()
                } else {
                    std::fs::read(&path).unwrap()
                };
                out.insert(rel, bytes);
            } else {
                out.insert(rel, format!("<{kind:?}>").into_bytes());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, Path::new(""), &mut out);
    out
}

/// Rewrites the lines of a table (without their line breaks).
fn edit_lines(path: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    edit(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// Sets field `field` of line `line` (1-based) of a table.
fn set_field(path: &Path, line: usize, field: usize, value: &str) {
    edit_lines(path, |lines| {
        let mut f: Vec<String> = lines[line - 1].split(',').map(String::from).collect();
        f[field] = value.to_string();
        lines[line - 1] = f.join(",");
    });
}

/// Renames arm `both` in both tables.
fn rename_arm(dir: &Path, to: &str) {
    for table in ["steps.csv", "probes.csv"] {
        edit_lines(&dir.join(table), |lines| {
            for l in lines.iter_mut() {
                if let Some(rest) = l.strip_prefix("both,") {
                    *l = format!("{to},{rest}");
                }
            }
        });
    }
}

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap() + "\n").unwrap();
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// Which command a case runs on the mutated copy.
#[derive(Clone, Copy, Debug)]
enum Run {
    /// `driftlab report COPY`.
    Report,
    /// `driftlab compare --exact BASE COPY`.
    Exact,
    /// `driftlab compare COPY BASE`.
    Statistical,
}

const ALL: &[Run] = &[Run::Report, Run::Exact, Run::Statistical];

struct Case {
    name: &'static str,
    /// Mutates the copy (its path given); false: the case cannot be set up here (skipped).
    mutate: Box<dyn Fn(&Path) -> bool>,
    /// The file the message must name.
    file: &'static str,
    /// The line it must name (`file:line:`), where the problem has one; `Some(0)`: some line.
    line: Option<usize>,
    /// What else the message must say.
    says: &'static str,
    runs: &'static [Run],
}

fn case(
    name: &'static str,
    file: &'static str,
    line: Option<usize>,
    says: &'static str,
    runs: &'static [Run],
    mutate: impl Fn(&Path) -> bool + 'static,
) -> Case {
    Case {
        name,
        mutate: Box::new(mutate),
        file,
        line,
        says,
        runs,
    }
}

fn steps(dir: &Path) -> PathBuf {
    dir.join("steps.csv")
}

fn probes(dir: &Path) -> PathBuf {
    dir.join("probes.csv")
}

fn cases() -> Vec<Case> {
    vec![
        // Names read back become file names (`exposure-<arm>.png`): a name that climbs out of
        // the directory, with the directory it climbs through planted, so the old code wrote
        // `<parent>/x.png`.
        case(
            "arm-traversal",
            "steps.csv",
            Some(62),
            "not a valid name",
            ALL,
            |d| {
                std::fs::create_dir(d.join("exposure-")).unwrap();
                rename_arm(d, "/../../x");
                true
            },
        ),
        case(
            "arm-traversal-in-manifest",
            "manifest.json",
            Some(0),
            "not a valid name",
            ALL,
            |d| {
                std::fs::create_dir(d.join("exposure-")).unwrap();
                edit_manifest(d, |m| {
                    m["arms"][1]["name"] = "/../../x".into();
                    m["resolved_scenario"]["arms"][1]["name"] = "/../../x".into();
                });
                rename_arm(d, "/../../x");
                true
            },
        ),
        case(
            "arm-slash",
            "steps.csv",
            Some(62),
            "not a valid name",
            ALL,
            |d| {
                rename_arm(d, "a/b");
                true
            },
        ),
        case(
            "arm-dot-dot",
            "probes.csv",
            Some(5),
            "not a valid name",
            ALL,
            |d| {
                set_field(&probes(d), 5, 0, "..");
                true
            },
        ),
        case(
            "arm-control-chars",
            "steps.csv",
            Some(9),
            "not a valid name",
            ALL,
            |d| {
                set_field(&steps(d), 9, 0, "bo\u{1}th\u{0}\u{1b}[2J");
                true
            },
        ),
        case(
            "arm-unknown",
            "steps.csv",
            Some(9),
            "not one of the manifest's 2 arms",
            ALL,
            |d| {
                set_field(&steps(d), 9, 0, "other");
                true
            },
        ),
        case(
            "huge-step",
            "steps.csv",
            Some(7),
            "step 4000000000 is out of range",
            ALL,
            |d| {
                set_field(&steps(d), 7, 2, "4000000000");
                true
            },
        ),
        case(
            "huge-replicate",
            "steps.csv",
            Some(7),
            "replicate 4294967295 is out of range",
            ALL,
            |d| {
                set_field(&steps(d), 7, 1, "4294967295");
                true
            },
        ),
        case(
            "huge-probe",
            "probes.csv",
            Some(4),
            "probe 4294967295 is out of range",
            ALL,
            |d| {
                set_field(&probes(d), 4, 2, "4294967295");
                true
            },
        ),
        case(
            "huge-drift-step",
            "probes.csv",
            Some(4),
            "out of range",
            ALL,
            |d| {
                set_field(&probes(d), 4, 7, "4000000000");
                true
            },
        ),
        case("empty-steps", "steps.csv", None, "it is empty", ALL, |d| {
            std::fs::write(steps(d), "").unwrap();
            true
        }),
        case(
            "header-only",
            "steps.csv",
            None,
            "no rows after the header",
            ALL,
            |d| {
                edit_lines(&steps(d), |l| l.truncate(1));
                true
            },
        ),
        case(
            "header-only-probes",
            "probes.csv",
            None,
            "no rows after the header",
            ALL,
            |d| {
                edit_lines(&probes(d), |l| l.truncate(1));
                true
            },
        ),
        case(
            "nan-filled",
            "steps.csv",
            Some(2),
            "is not a finite number",
            ALL,
            |d| {
                edit_lines(&steps(d), |lines| {
                    for l in lines.iter_mut().skip(1) {
                        let f: Vec<&str> = l.split(',').collect();
                        let mut g: Vec<String> = f[..3].iter().map(|s| s.to_string()).collect();
                        g.extend(f[3..].iter().map(|_| "NaN".to_string()));
                        *l = g.join(",");
                    }
                });
                true
            },
        ),
        case(
            "inf",
            "steps.csv",
            Some(12),
            "`flagged_share` = \"inf\" is not a finite number",
            ALL,
            |d| {
                set_field(&steps(d), 12, 4, "inf");
                true
            },
        ),
        case(
            "not-a-number",
            "steps.csv",
            Some(12),
            "is not a number",
            ALL,
            |d| {
                set_field(&steps(d), 12, 5, "0.5x");
                true
            },
        ),
        case(
            "wrong-column-count",
            "steps.csv",
            Some(20),
            "fields, found",
            ALL,
            |d| {
                edit_lines(&steps(d), |l| {
                    let cut = l[19].rfind(',').unwrap();
                    l[19].truncate(cut);
                });
                true
            },
        ),
        case(
            "truncated-last-line",
            "steps.csv",
            Some(121),
            "no line break: the file was cut short",
            ALL,
            |d| {
                let text = std::fs::read_to_string(steps(d)).unwrap();
                std::fs::write(steps(d), &text[..text.len() - 4]).unwrap();
                true
            },
        ),
        case(
            "duplicated-row",
            "steps.csv",
            Some(122),
            "again (first on line 30)",
            ALL,
            |d| {
                edit_lines(&steps(d), |l| {
                    let row = l[29].clone();
                    l.push(row);
                });
                true
            },
        ),
        case(
            "duplicated-row-replacing-one",
            "probes.csv",
            Some(9),
            "again (first on line 8)",
            ALL,
            |d| {
                edit_lines(&probes(d), |l| l[8] = l[7].clone());
                true
            },
        ),
        case(
            "missing-row",
            "steps.csv",
            None,
            "no row for arm `baseline`, replicate 1, step 2",
            ALL,
            |d| {
                edit_lines(&steps(d), |l| {
                    l.remove(32);
                });
                true
            },
        ),
        case("non-utf8", "steps.csv", Some(15), "not UTF-8", ALL, |d| {
            let mut bytes = std::fs::read(steps(d)).unwrap();
            let at = bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(13)
                .unwrap()
                .0
                + 3;
            bytes[at] = 0xff;
            std::fs::write(steps(d), bytes).unwrap();
            true
        }),
        case("crlf", "steps.csv", Some(2), "is not a number", ALL, |d| {
            // Every data row ends in "\r\n" (the header stays, so the rows are blamed).
            let text = std::fs::read_to_string(steps(d)).unwrap();
            let (header, rows) = text.split_once('\n').unwrap();
            let rows = rows.replace('\n', "\r\n");
            std::fs::write(steps(d), format!("{header}\n{rows}")).unwrap();
            true
        }),
        case(
            "missing-manifest",
            "manifest.json",
            None,
            "does not exist",
            ALL,
            |d| {
                std::fs::remove_file(d.join("manifest.json")).unwrap();
                true
            },
        ),
        case(
            "manifest-is-a-directory",
            "manifest.json",
            None,
            "is a directory",
            ALL,
            |d| {
                std::fs::remove_file(d.join("manifest.json")).unwrap();
                std::fs::create_dir(d.join("manifest.json")).unwrap();
                true
            },
        ),
        case(
            "manifest-truncated",
            "manifest.json",
            Some(1),
            "not valid JSON",
            ALL,
            |d| {
                std::fs::write(
                    d.join("manifest.json"),
                    "{\"scenario\": \"smoke\", \"arms\": [",
                )
                .unwrap();
                true
            },
        ),
        case(
            "manifest-huge-replicates",
            "steps.csv",
            None,
            "no row for arm `baseline`, replicate 2, step 1",
            ALL,
            |d| {
                edit_manifest(d, |m| m["replicates"] = 4294967295u64.into());
                true
            },
        ),
        case(
            "manifest-no-replicates",
            "manifest.json",
            None,
            "`replicates` is missing",
            ALL,
            |d| {
                edit_manifest(d, |m| {
                    m.as_object_mut().unwrap().remove("replicates");
                });
                true
            },
        ),
        case(
            "missing-steps",
            "steps.csv",
            None,
            "does not exist",
            ALL,
            |d| {
                std::fs::remove_file(steps(d)).unwrap();
                true
            },
        ),
        case(
            "steps-fifo",
            "steps.csv",
            None,
            "not a regular file",
            ALL,
            |d| {
                std::fs::remove_file(steps(d)).unwrap();
                // `mkfifo` is part of coreutils; where it is missing the case is skipped.
                mkfifo(&steps(d))
            },
        ),
        case(
            "steps-dev-zero",
            "steps.csv",
            None,
            "not a regular file",
            ALL,
            |d| {
                std::fs::remove_file(steps(d)).unwrap();
                cfg!(unix) && {
                    #[cfg(unix)]
                    std::os::unix::fs::symlink("/dev/zero", steps(d)).unwrap();
                    true
                }
            },
        ),
        case(
            "steps-absurdly-large",
            "steps.csv",
            None,
            "bytes, more than",
            ALL,
            |d| {
                let f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(steps(d))
                    .unwrap();
                f.set_len((64 << 20) + 1).unwrap();
                true
            },
        ),
        case(
            "summary-malformed",
            "summary.json",
            Some(1),
            "not valid JSON",
            &[Run::Exact],
            |d| {
                std::fs::write(d.join("summary.json"), "{\"arms\": [1, 2").unwrap();
                true
            },
        ),
        case(
            "summary-missing",
            "summary.json",
            None,
            "does not exist",
            &[Run::Exact],
            |d| {
                std::fs::remove_file(d.join("summary.json")).unwrap();
                true
            },
        ),
        // An output the report would replace is a directory: refused before any chart is drawn.
        case(
            "output-is-a-directory",
            "summary.md",
            None,
            "not a regular file",
            &[Run::Report],
            |d| {
                std::fs::remove_file(d.join("summary.md")).unwrap();
                std::fs::create_dir(d.join("summary.md")).unwrap();
                std::fs::remove_file(d.join("drift.png")).unwrap();
                true
            },
        ),
    ]
}

/// Whether `stderr` names `file` with `line` (`Some(0)`: any line; `None`: no line).
fn names(stderr: &str, file: &str, line: Option<usize>) -> bool {
    stderr.match_indices(file).any(|(at, _)| {
        let rest = &stderr[at + file.len()..];
        match line {
            None => rest.starts_with(": "),
            Some(0) => rest
                .strip_prefix(':')
                .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()))
                .is_some_and(|r| r.starts_with(": ") && rest.len() > r.len() + 1),
            Some(n) => rest.starts_with(&format!(":{n}: ")),
        }
    })
}

fn check(case: &Case, copy: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let sentinel = copy.parent().unwrap();
    let grandparent = sentinel.parent().unwrap();
    let before = snapshot(copy);
    for run in case.runs {
        let args: Vec<&Path> = match run {
            Run::Report => vec![Path::new("report"), copy],
            Run::Exact => vec![Path::new("compare"), Path::new("--exact"), base(), copy],
            Run::Statistical => vec![Path::new("compare"), copy, base()],
        };
        let (code, stdout, stderr) = driftlab(&args);
        let what = format!("{} ({run:?})", case.name);
        if code != Some(2) {
            problems.push(format!("{what}: exit {code:?}, want 2; stdout: {stdout}"));
        }
        if stderr.lines().count() != 1 || !stderr.starts_with("error: ") {
            problems.push(format!("{what}: stderr is not one `error: ` line"));
        }
        let named = match case.line {
            Some(0) => format!("{}:<line>: ", case.file),
            Some(line) => format!("{}:{line}: ", case.file),
            None => format!("{}: ", case.file),
        };
        if !names(&stderr, case.file, case.line) {
            problems.push(format!("{what}: stderr does not name `{named}`"));
        }
        if !stderr.contains(case.says) {
            problems.push(format!("{what}: stderr does not say `{}`", case.says));
        }
        if stderr.contains("panicked") || stderr.contains("os error") {
            problems.push(format!("{what}: a panic or an OS error code"));
        }
        if !problems.is_empty() {
            problems.push(format!("{what}: stderr was: {}", stderr.trim_end()));
        }
        let beside: Vec<_> = std::fs::read_dir(sentinel)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if beside != ["smoke"] {
            problems.push(format!(
                "{what}: files appeared beside the copy: {beside:?}"
            ));
        }
        let above: Vec<_> = std::fs::read_dir(grandparent)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if above != ["sentinel"] {
            problems.push(format!("{what}: files appeared above the copy: {above:?}"));
        }
        let after = snapshot(copy);
        if after != before {
            let changed: Vec<_> = after
                .keys()
                .chain(before.keys())
                .filter(|k| after.get(*k) != before.get(*k))
                .collect();
            problems.push(format!("{what}: the copy changed: {changed:?}"));
        }
    }
    problems
}

#[test]
fn hostile_results_are_refused_in_one_line_and_nothing_is_written() {
    let _finished = Finished;
    let base = base();
    let pristine = snapshot(base);
    let cases = cases();
    assert!(cases.len() >= 15);
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for case in &cases {
        let copy = root()
            .join("cases")
            .join(case.name)
            .join("sentinel")
            .join("smoke");
        let _ = std::fs::remove_dir_all(copy.parent().unwrap().parent().unwrap());
        copy_dir(base, &copy);
        if !(case.mutate)(&copy) {
            skipped.push(case.name);
            continue;
        }
        failures.extend(check(case, &copy));
    }
    assert_eq!(snapshot(base), pristine, "the base results changed");
    // Only the FIFO case may be skipped (no `mkfifo` on this machine).
    assert!(skipped.iter().all(|s| *s == "steps-fifo"), "{skipped:?}");
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(root().join("cases"));
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `compare` on a missing directory (either side), or a file given for one, is bad input (2),
/// never "the results differ" (1).
#[test]
fn compare_refuses_what_is_not_a_results_directory() {
    let _finished = Finished;
    let base = base();
    let missing = root().join("no-such-results");
    let file = base.join("steps.csv");
    for (a, b, named) in [
        (
            base,
            missing.as_path(),
            "no-such-results: no such results directory",
        ),
        (
            missing.as_path(),
            base,
            "no-such-results: no such results directory",
        ),
        (base, file.as_path(), "steps.csv: it is not a directory"),
    ] {
        for exact in [true, false] {
            let mut args = vec![Path::new("compare")];
            if exact {
                args.push(Path::new("--exact"));
            }
            args.extend([a, b]);
            let (code, _, stderr) = driftlab(&args);
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.starts_with("error: ") && stderr.contains(named),
                "{stderr}"
            );
        }
    }
    let (code, _, stderr) = driftlab(&[Path::new("report"), &missing]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no-such-results: no such results directory"),
        "{stderr}"
    );
    // The exit codes are documented.
    let (code, help, _) = driftlab(&[Path::new("compare"), Path::new("--help")]);
    assert_eq!(code, Some(0));
    assert!(help.contains("1 they differ; 2 bad input"), "{help}");
}

/// The control: an unmutated copy is reported with exit 0, rewriting the same bytes and
/// adding nothing, and compares equal to the base.
#[test]
fn a_good_results_directory_reports_the_same_bytes() {
    let _finished = Finished;
    let base = base();
    let copy = root().join("good").join("smoke");
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
    copy_dir(base, &copy);
    let before = snapshot(&copy);
    let (code, _, stderr) = driftlab(&[Path::new("report"), &copy]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(snapshot(&copy), before);
    for exact in [true, false] {
        let mut args = vec![Path::new("compare")];
        if exact {
            args.push(Path::new("--exact"));
        }
        args.extend([base, copy.as_path()]);
        let (code, stdout, stderr) = driftlab(&args);
        assert_eq!(code, Some(0), "{stdout}{stderr}");
    }
    let _ = std::fs::remove_dir_all(copy.parent().unwrap());
}
