//! Nothing lost: an interrupted run (kill -9 or Ctrl-C) continued with `--resume` computes only
//! what is missing and ends with the same bytes as an uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_driftlab"))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftlab-resume-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The smoke scenario made long enough to interrupt (about 100 jobs of a fraction of a second).
const ARGS: [&str; 10] = [
    "run",
    "scenarios/smoke.toml",
    "--set",
    "steps=200",
    "--set",
    "panel.size=10",
    "--replicates",
    "50",
    "--threads",
    "2",
];

fn parts(dir: &Path) -> usize {
    part_files(&dir.join("smoke/.parts"))
}

/// Part files in a parts directory (0 when it does not exist).
fn part_files(parts: &Path) -> usize {
    std::fs::read_dir(parts)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".part"))
            })
            .count()
        })
        .unwrap_or(0)
}

fn uninterrupted(dir: &Path) {
    let out = bin().args(ARGS).arg("--out").arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a run and interrupts it with `signal` once a few parts are saved.
fn interrupted(dir: &Path, signal: &str) -> (usize, std::process::Output) {
    let child = bin()
        .args(ARGS)
        .arg("--out")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while parts(dir) < 4 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    (parts(dir), out)
}

fn resume_and_compare(dir: &Path, reference: &Path, saved: usize) {
    assert!(saved >= 4, "the run was interrupted before saving parts");
    assert!(
        saved < 100,
        "the run finished before it could be interrupted"
    );
    let out = bin()
        .args(ARGS)
        .arg("--out")
        .arg(dir)
        .arg("--resume")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "steps.csv",
        "probes.csv",
        "summary.md",
        "summary.json",
        "scenario.resolved.toml",
        "drift.svg",
    ] {
        let a = std::fs::read(dir.join("smoke").join(file)).unwrap();
        let b = std::fs::read(reference.join("smoke").join(file)).unwrap();
        assert!(a == b, "{file} differs after resume");
    }
    assert!(
        !dir.join("smoke/.parts").exists(),
        "parts are removed once assembled"
    );
}

#[test]
fn resume_after_kill_9_gives_identical_bytes() {
    let (dir, reference) = (temp_dir("kill"), temp_dir("kill-ref"));
    uninterrupted(&reference);
    let (saved, _) = interrupted(&dir, "-KILL");
    resume_and_compare(&dir, &reference, saved);
}

#[test]
fn ctrl_c_stops_promptly_and_says_how_to_resume() {
    let (dir, reference) = (temp_dir("int"), temp_dir("int-ref"));
    uninterrupted(&reference);
    let (saved, out) = interrupted(&dir, "-INT");
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--resume"), "{stderr}");
    resume_and_compare(&dir, &reference, saved);
}

#[test]
fn resume_refuses_parts_of_another_scenario() {
    let dir = temp_dir("other");
    let (_, _) = interrupted(&dir, "-KILL");
    let out = bin()
        .args(ARGS)
        .args(["--seed", "99", "--resume", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different run"));
}

/// Issue 18: the Ctrl-C handler was installed once per sweep point and the second install
/// failed silently, so from the second point on Ctrl-C was ignored. Now one interrupt during a
/// later point stops the sweep with exit 130 and the resume hint, and `--resume` finishes it.
#[test]
fn ctrl_c_stops_a_sweep_in_a_later_point() {
    let dir = temp_dir("sweep-int");
    let args = [
        "run",
        "scenarios/sweep-recall.toml",
        "--set",
        "steps=200",
        "--replicates",
        "24",
        "--threads",
        "2",
    ];
    let child = bin()
        .args(args)
        .arg("--out")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the second point has saved a part.
    let second = dir.join("sweep-recall/p001/.parts");
    let start = Instant::now();
    let saved = part_files;
    while saved(&second) < 1 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saved(&second) >= 1, "the second point never started");
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "the interrupt took {:?}",
        sent.elapsed()
    );
    assert!(!dir.join("sweep-recall/sweep.md").exists());
}

/// Issue 19: parts carry the run identity and a checksum. After kill -9, a part with one
/// changed digit, a truncated part and a leftover temporary file are not used: `--resume`
/// reports the damaged parts, computes them again, and ends with the uninterrupted bytes and
/// no stray files.
#[test]
fn damaged_parts_are_reported_and_recomputed() {
    let (dir, reference) = (temp_dir("damaged"), temp_dir("damaged-ref"));
    uninterrupted(&reference);
    let (saved, _) = interrupted(&dir, "-KILL");
    assert!(saved >= 4, "the run was interrupted before saving parts");
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir.join("smoke/.parts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect();
    parts.sort();
    // One digit changed in the first part.
    let text = std::fs::read_to_string(&parts[0]).unwrap();
    let at = text.find(|c: char| c.is_ascii_digit() && c != '0').unwrap();
    let mut changed = text.into_bytes();
    changed[at] = if changed[at] == b'9' {
        b'8'
    } else {
        changed[at] + 1
    };
    std::fs::write(&parts[0], changed).unwrap();
    // The second part cut in half.
    let text = std::fs::read(&parts[1]).unwrap();
    std::fs::write(&parts[1], &text[..text.len() / 2]).unwrap();
    // A temporary file a kill during a write would leave.
    std::fs::write(dir.join("smoke/.parts/.r000099-a0000.part.tmp-1"), b"half").unwrap();
    let out = bin()
        .args(ARGS)
        .arg("--out")
        .arg(&dir)
        .arg("--resume")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for p in &parts[..2] {
        assert!(
            stderr.contains(&format!("{} was damaged", p.display())),
            "{stderr}"
        );
    }
    for file in ["steps.csv", "probes.csv", "summary.json"] {
        let a = std::fs::read(dir.join("smoke").join(file)).unwrap();
        let b = std::fs::read(reference.join("smoke").join(file)).unwrap();
        assert!(a == b, "{file} differs after resume");
    }
    assert!(!dir.join("smoke/.parts").exists());
    for entry in std::fs::read_dir(dir.join("smoke")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.contains(".tmp-"), "stray temporary {name}");
    }
}
