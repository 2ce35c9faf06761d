//! Nothing lost: an interrupted run (kill -9 or Ctrl-C) continued with `--resume` computes only
//! what is missing and ends with the same bytes as an uninterrupted run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_driftlab"))
}

fn temp_dir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("resume-{tag}"))
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

/// Runs ARGS again into `dir` with `--resume`, to the end.
fn resume(dir: &Path) -> std::process::Output {
    bin()
        .args(ARGS)
        .arg("--out")
        .arg(dir)
        .arg("--resume")
        .output()
        .unwrap()
}

/// The Parquet copies of the tables, where the build writes them (feature `parquet`).
const PARQUET: &[&str] = if cfg!(feature = "parquet") {
    &["steps.parquet", "probes.parquet"]
} else {
    &[]
};

fn resume_and_compare(dir: &Path, reference: &Path, saved: usize) {
    assert!(saved >= 4, "the run was interrupted before saving parts");
    assert!(
        saved < 100,
        "the run finished before it could be interrupted"
    );
    let out = resume(dir);
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
    ]
    .into_iter()
    .chain(PARQUET.iter().copied())
    {
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
    let out = resume(&dir);
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
    for file in ["steps.csv", "probes.csv", "summary.json"]
        .into_iter()
        .chain(PARQUET.iter().copied())
    {
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

/// Issue 19: parts of another build (another source, compiler or math library) are never
/// mixed with this build's. The parts directory's identity names the build, and each part's
/// trailer carries it: a foreign identity refuses `--resume`, foreign trailers make the parts
/// count as damaged and computed again.
#[test]
fn parts_of_another_build_are_never_used() {
    let dir = temp_dir("build");
    let (saved, _) = interrupted(&dir, "-KILL");
    assert!(saved >= 4, "the run was interrupted before saving parts");
    let parts_dir = dir.join("smoke/.parts");
    let id_path = parts_dir.join("identity.json");
    let identity = std::fs::read_to_string(&id_path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&identity).unwrap();
    let build = json["build"].as_str().unwrap().to_string();
    assert!(build.len() >= 16, "no build fingerprint in {identity}");
    assert!(json["seed"].is_u64(), "no seed in {identity}");
    // Another build's parts directory: refused, naming both builds.
    std::fs::write(&id_path, identity.replace(&build, "0000-other-build")).unwrap();
    let out = resume(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("0000-other-build") && stderr.contains(&build),
        "{stderr}"
    );
    // This build's identity, but one part written by another build: recomputed.
    std::fs::write(&id_path, &identity).unwrap();
    let mut part = std::fs::read_dir(&parts_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .min()
        .unwrap();
    let text = std::fs::read_to_string(&part).unwrap();
    assert!(text.contains(&build), "the part's trailer lacks the build");
    std::fs::write(&part, text.replace(&build, "0000-other-build")).unwrap();
    let out = resume(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    part = part.canonicalize().unwrap_or(part);
    assert!(
        stderr.contains("was damaged")
            && stderr.contains(part.file_name().unwrap().to_str().unwrap()),
        "{stderr}"
    );
}

/// Files of a results directory that must not be there once a run has finished: temporaries,
/// saved parts.
fn strays(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.contains(".tmp") || name == ".parts" {
            found.push(name);
        }
    }
    found
}

/// Starts a run (resuming whatever is there) and kills it with SIGKILL once `ready` holds for
/// its results directory and `delay` more has passed; true when the run had already finished.
fn kill_when(dir: &Path, ready: impl Fn(&Path) -> bool, delay: Duration) -> bool {
    let mut child = bin()
        .args(ARGS)
        .arg("--out")
        .arg(dir)
        .arg("--resume")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready(&dir.join("smoke")) && start.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
    false
}

/// Issue 19: kill -9 at random moments (seeded, so a failure can be replayed), then twice
/// during the final assembly (as soon as the first final file appears, and a little later, while
/// the plots are drawn), each followed by `--resume`: the finished directory has the bytes of
/// an uninterrupted run and no temporary file or part left.
#[test]
fn kill_9_at_random_moments_and_during_assembly_loses_nothing() {
    let (dir, reference) = (temp_dir("random-kill"), temp_dir("random-kill-ref"));
    let begun = Instant::now();
    uninterrupted(&reference);
    let full = begun.elapsed();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..6 {
        let delay = full.mul_f64((next() % 1000) as f64 / 1000.0 * 0.6);
        if kill_when(&dir, |_| true, delay) {
            break;
        }
    }
    // The final files are written after every part is saved: kill as soon as one appears.
    let assembling = |d: &Path| {
        std::fs::read_dir(d).is_ok_and(|mut e| {
            e.any(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.contains(".tmp") && !name.ends_with(".part")
                    || name == "steps.csv"
                    || name == "manifest.json"
            })
        })
    };
    let finished_early = kill_when(&dir, assembling, Duration::ZERO);
    let mid_report = next() % 40;
    let finished_late = kill_when(
        &dir,
        |d| d.join("manifest.json").exists(),
        Duration::from_millis(mid_report),
    );
    // What a kill in the middle of writing a final file or a plot leaves (the kills above hit
    // such a moment only by chance): never used, removed.
    for stale in [".steps.csv.tmp-4194300", ".drift.4194300-7.tmp.png"] {
        std::fs::write(dir.join("smoke").join(stale), b"half a file").unwrap();
    }
    let out = resume(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(reference.join("smoke"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".lock" && n != "manifest.json") // it records wall time and argv
        .collect();
    names.sort();
    assert!(names.len() > 10, "{names:?}");
    for file in &names {
        let a = std::fs::read(dir.join("smoke").join(file)).unwrap();
        let b = std::fs::read(reference.join("smoke").join(file)).unwrap();
        assert!(a == b, "{file} differs after the kills and resumes");
    }
    assert_eq!(strays(&dir.join("smoke")), Vec::<String>::new());
    let compare = bin()
        .args(["compare", "--exact"])
        .arg(reference.join("smoke"))
        .arg(dir.join("smoke"))
        .output()
        .unwrap();
    assert!(compare.status.success(), "{compare:?}");
    // The assembly kills must have hit a run still working, or the test proved nothing.
    assert!(
        !(finished_early && finished_late),
        "no kill landed during the assembly"
    );
}

/// Issue 19: a full disk. In a private mount namespace (`unshare`), the results directory is a
/// tmpfs large enough for the parts but not for the final files: the run exits 1 with one line
/// naming the file it could not write and the cause, keeps every part, and leaves no temporary.
/// With room again, `--resume` computes nothing new and gives the bytes of a run that never
/// hit the limit. Skipped (with a note) only where mount namespaces are unavailable.
#[test]
fn a_full_disk_keeps_the_parts_and_resume_finishes() {
    if !Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("skipped: no mount namespaces here (unshare -rm failed)");
        return;
    }
    let (dir, reference) = (temp_dir("full"), temp_dir("full-ref"));
    uninterrupted(&reference);
    let mnt = dir.join("mnt");
    let copy = dir.join("copy");
    std::fs::create_dir_all(&mnt).unwrap();
    let args = ARGS.join(" ");
    // The parts take about 4.2 MB; the final files need 6 MB more.
    let script = format!(
        r#"set -u
mount -t tmpfs -o size=7m tmpfs "$MNT" || exit 99
"$BIN" {args} --out "$MNT" >/dev/null 2>"$DIR/full.err"; echo $? >"$DIR/full.rc"
ls -a "$MNT/smoke" >"$DIR/full.ls"; ls "$MNT/smoke/.parts" >"$DIR/full.parts"
mount -o remount,size=64m "$MNT" || exit 98
"$BIN" {args} --out "$MNT" --resume >/dev/null 2>"$DIR/resume.err"; echo $? >"$DIR/resume.rc"
cp -r "$MNT/smoke" "$COPY"
"#
    );
    let status = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env("MNT", &mnt)
        .env("DIR", &dir)
        .env("COPY", &copy)
        .env("BIN", env!("CARGO_BIN_EXE_driftlab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "the namespace script failed: {status}");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let err = read("full.err");
    assert_eq!(read("full.rc").trim(), "1", "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot write ") && err.contains("No space left on device"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
    let parts = read("full.parts");
    assert_eq!(
        parts.lines().filter(|l| l.ends_with(".part")).count(),
        100,
        "every part is kept: {parts}"
    );
    let listing = read("full.ls");
    assert!(!listing.contains(".tmp"), "a temporary was left: {listing}");
    assert_eq!(read("resume.rc").trim(), "0", "{}", read("resume.err"));
    for file in [
        "steps.csv",
        "probes.csv",
        "summary.json",
        "summary.md",
        "drift.svg",
    ] {
        let a = std::fs::read(copy.join(file)).unwrap();
        let b = std::fs::read(reference.join("smoke").join(file)).unwrap();
        assert!(a == b, "{file} differs after the resume");
    }
    assert_eq!(strays(&copy), Vec::<String>::new());
}
