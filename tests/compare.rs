//! The CI gate: `driftlab compare` passes on a rerun and fails on a real difference; `driftlab
//! report` rebuilds the summary and plots from the CSVs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn driftlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(args)
        .output()
        .unwrap()
}

fn run_smoke(tag: &str, extra: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftlab-cmp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut args = vec![
        "run",
        "scenarios/smoke.toml",
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = driftlab(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("smoke")
}

#[test]
fn exact_compare_passes_on_rerun_and_fails_on_a_changed_value() {
    let (a, b) = (
        run_smoke("a", &["--threads", "1"]),
        run_smoke("b", &["--threads", "2"]),
    );
    let out = driftlab(&[
        "compare",
        "--exact",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Change one number of steps.csv in b.
    let steps = std::fs::read_to_string(b.join("steps.csv")).unwrap();
    let changed = steps.replacen(",0.", ",1.", 1);
    assert_ne!(steps, changed);
    std::fs::write(b.join("steps.csv"), changed).unwrap();
    let out = driftlab(&[
        "compare",
        "--exact",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("steps.csv line"), "{text}");
}

#[test]
fn statistical_compare_tolerates_noise_and_catches_a_real_change() {
    let a = run_smoke("s1", &[]);
    let b = run_smoke("s2", &["--seed", "2"]);
    let out = driftlab(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--tolerance",
        "0.1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    compare_criteria_are_explicit(&a, &b);
    // A world without bridges to the flagged cluster is a real change.
    let c = run_smoke(
        "s3",
        &[
            "--set",
            "world.graph.adjacent.to_flagged=0.0",
            "--set",
            "world.graph.flagged.to_adjacent=0.0",
            "--set",
            "world.terms.adjacent_flagged_tag_prob=0.0",
        ],
    );
    let out = driftlab(&[
        "compare",
        a.to_str().unwrap(),
        c.to_str().unwrap(),
        "--tolerance",
        "0.02",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("baseline /"));
}

/// Issue 20: the two criteria of the statistical comparison are separate options. `a` and `b`
/// are the smoke scenario under two seeds, whose headline shares differ by a little (less than
/// 0.1) but not by nothing.
fn compare_criteria_are_explicit(a: &Path, b: &Path) {
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let compare = |extra: &[&str], x: &str, y: &str| {
        let mut args = vec!["compare", x, y];
        args.extend_from_slice(extra);
        let out = driftlab(&args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    // The absolute bound alone accepts the small difference...
    let (code, text) = compare(&["--tolerance", "0.1", "--z", "off"], a, b);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("agree (statistical: |difference| <= 0.1)"),
        "{text}"
    );
    // ...`--tolerance 0` alone does not: the z rule no longer excuses it.
    for off in [["--tolerance", "0"], ["--tolerance", "off"]] {
        let (code, text) = compare(&[off[0], off[1], "--z", "off"], a, b);
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("differ (statistical: equal estimates)"),
            "{text}"
        );
        assert!(text.contains("|z| "), "{text}");
    }
    // With the z rule on (the default) the same difference is sampling noise, as before.
    let (code, text) = compare(&["--tolerance", "0"], a, b);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("agree (statistical: |z| < 3.29)"), "{text}");
    let (code, text) = compare(&[], a, b);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("|difference| <= 0.02 or |z| < 3.29"),
        "{text}"
    );
    // Equal estimates agree with both criteria off.
    let (code, text) = compare(&["--tolerance", "off", "--z", "off"], a, a);
    assert_eq!(code, Some(0), "{text}");
    // Bad values and criteria with --exact are bad input.
    for bad in [
        &["--z", "0"][..],
        &["--z", "-1"],
        &["--tolerance", "-0.1"],
        &["--tolerance", "nan"],
        &["--exact", "--tolerance", "0.1"],
        &["--exact", "--z", "off"],
    ] {
        let (code, text) = compare(bad, a, b);
        assert_eq!(code, Some(2), "{bad:?}: {text}");
    }
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    assert!(bytes.len() > 10_000, "{} looks empty", path.display());
    (be(16), be(20))
}

#[test]
fn report_rebuilds_summary_and_plots_from_csvs() {
    let dir = run_smoke("report", &[]);
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    for file in [
        "summary.md",
        "summary.json",
        "drift.png",
        "survival.png",
        "reduction.png",
    ] {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
    let out = driftlab(&["report", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.md")).unwrap(),
        summary
    );
    for plot in [
        "drift",
        "survival",
        "reduction",
        "exposure-baseline",
        "exposure-both",
    ] {
        assert_eq!(png_size(&dir.join(format!("{plot}.png"))), (1200, 750));
        assert!(dir.join(format!("{plot}.svg")).exists());
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["arms"].as_array().unwrap().len(), 2);
    assert!(json["arms"][1]["log_rank_p"].is_number());
}

#[test]
fn report_of_a_missing_directory_is_an_input_error() {
    let out = driftlab(&["report", "no/such/results"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/results"));
}
