//! End-to-end tests that drive the built `driftlab` binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn driftlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn temp_dir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("cli-{tag}"))
}

/// A valid small scenario; `edit` rewrites one line to break it.
const BASE: &str = r#"name = "bad"
seed = 3
steps = 5
replicates = 1

[world]
accounts = 400
benign_communities = 2

[surfaces.search]
policy = { kind = "popularity" }
pool = 10
slate = 5

[[probes]]
count = 3
follow_prob = 0.5

[[arms]]
name = "baseline"
"#;

/// Writes BASE with `from` replaced by `to`, runs it, and checks the refusal: exit code 2, one
/// message naming the file, the line and the key, no panic and no results directory.
fn refused(tag: &str, from: &str, to: &str, line: usize, needles: &[&str]) -> String {
    assert!(BASE.contains(from), "test set-up: `{from}` not in BASE");
    let dir = temp_dir(tag);
    let file = dir.join("scenario.toml");
    std::fs::write(&file, BASE.replacen(from, to, 1)).unwrap();
    let out_dir = dir.join("results");
    let out = driftlab(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{tag}: stderr was {stderr}");
    assert!(!stderr.contains("panicked"), "{tag}: {stderr}");
    assert!(
        stderr.contains("scenario.toml"),
        "{tag}: no file name in {stderr}"
    );
    assert!(
        stderr.contains(&format!(":{line}")),
        "{tag}: no line {line} in {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{tag}: `{n}` missing from {stderr}");
    }
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{tag}: one message expected: {stderr}"
    );
    assert!(
        !out_dir.exists(),
        "{tag}: a results directory was left behind"
    );
    let _ = std::fs::remove_dir_all(&dir);
    stderr
}

#[test]
fn misspelt_key_names_line_key_and_suggestion() {
    refused(
        "typo",
        "benign_communities = 2",
        "benign_comunities = 2",
        8,
        &["benign_comunities", "benign_communities"],
    );
}

#[test]
fn wrong_type_is_refused() {
    refused(
        "type",
        "accounts = 400",
        "accounts = \"many\"",
        7,
        &["accounts"],
    );
}

#[test]
fn probability_out_of_range_is_refused() {
    refused(
        "prob",
        "follow_prob = 0.5",
        "follow_prob = 1.5",
        17,
        &["follow_prob", "1"],
    );
}

#[test]
fn zero_accounts_is_refused() {
    refused("zero", "accounts = 400", "accounts = 0", 7, &["accounts"]);
}

#[test]
fn flagged_cluster_larger_than_world_is_refused() {
    refused(
        "flagged",
        "benign_communities = 2",
        "benign_communities = 2\nflagged_accounts = 5000",
        9,
        &["flagged_accounts"],
    );
}

#[test]
fn slate_larger_than_pool_is_refused() {
    refused("slate", "slate = 5", "slate = 12", 13, &["slate", "pool"]);
}

#[test]
fn unknown_policy_kind_gets_a_suggestion() {
    refused(
        "kind",
        "kind = \"popularity\"",
        "kind = \"popularty\"",
        11,
        &["popularty", "popularity"],
    );
}

#[test]
fn missing_scenario_file_is_an_input_error() {
    let out = driftlab(&["run", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.toml"));
}

#[test]
fn run_writes_every_output_file() {
    let dir = temp_dir("run");
    let out = driftlab(&[
        "run",
        "scenarios/smoke.toml",
        "--out",
        dir.to_str().unwrap(),
        "--replicates",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = dir.join("smoke");
    let read = |f: &str| std::fs::read_to_string(res.join(f)).unwrap();
    let steps = read("steps.csv");
    assert!(steps.starts_with("arm,replicate,step,impressions,flagged_share,"));
    assert_eq!(
        steps.lines().count(),
        1 + 2 * 30,
        "2 arms x 1 replicate x 30 steps"
    );
    let probes = read("probes.csv");
    assert!(probes.starts_with("arm,replicate,probe,"));
    assert_eq!(probes.lines().count(), 1 + 2 * 30, "2 arms x 30 probes");
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["replicates"], 1);
    assert!(manifest["scenario_hash"].as_str().unwrap().len() >= 8);
    assert!(manifest["wall_seconds"].as_f64().is_some());
    assert_eq!(manifest["resolved_scenario"]["world"]["accounts"], 1500);
    let summary = read("summary.md");
    assert!(summary.contains("| baseline |") && summary.contains("| both |"));
    // No temporary files are left behind (`.lock` is the directory's lock file, kept: removing
    // a lock file while it is held would let a second run lock another inode).
    for entry in std::fs::read_dir(&res).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            !name.starts_with('.') || name == ".lock",
            "temporary file {name} left behind"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_policy_serves_every_surface() {
    // Search and the feed score a given candidate set (`Policy::score`), suggestions and explore
    // generate their own; each policy kind must run on each (a hybrid on the feed used to panic).
    let hybrid = r#"{ kind = "hybrid", components = [{ weight = 1.0, policy = { kind = "co_follow", samples = 50 } }, { weight = 0.5, policy = { kind = "embedding" } }] }"#;
    for policy in [
        r#"{ kind = "random" }"#,
        r#"{ kind = "popularity" }"#,
        r#"{ kind = "co_follow", samples = 50 }"#,
        r#"{ kind = "embedding" }"#,
        r#"{ kind = "uniform_followee" }"#,
        hybrid,
    ] {
        let dir = temp_dir("policies");
        let mut args = vec![
            "run".to_string(),
            "scenarios/smoke.toml".into(),
            "--out".into(),
            dir.to_str().unwrap().into(),
            "--replicates".into(),
            "1".into(),
            "--set".into(),
            "steps=6".into(),
        ];
        for surface in ["search", "suggested_accounts", "feed", "explore"] {
            args.push("--set".into());
            args.push(format!("surfaces.{surface}.policy={policy}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = driftlab(&args);
        assert!(
            out.status.success(),
            "{policy}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Issue 20: changing a policy's kind through `--set` drops the old kind's parameters (the
/// quickstart's feed is `embedding` with `clusters = 3`, which `random` does not take).
#[test]
fn setting_a_policy_kind_drops_the_old_kinds_parameters() {
    let out = driftlab(&[
        "validate",
        "scenarios/quickstart.toml",
        "--set",
        "surfaces.feed.policy.kind=random",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    let feed = &text[text.find("[surfaces.feed.policy]").unwrap()..];
    let feed = &feed[..feed.find("\n\n").unwrap()];
    assert_eq!(feed, "[surfaces.feed.policy]\nkind = \"random\"");
    // A parameter of the new kind, given before or after the kind, is kept.
    for sets in [
        [
            "surfaces.feed.policy.kind=co_follow",
            "surfaces.feed.policy.samples=7",
        ],
        [
            "surfaces.feed.policy.samples=7",
            "surfaces.feed.policy.kind=co_follow",
        ],
    ] {
        let out = driftlab(&[
            "validate",
            "scenarios/quickstart.toml",
            "--set",
            sets[0],
            "--set",
            sets[1],
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("[surfaces.feed.policy]\nkind = \"co_follow\"\nsamples = 7\n"),
            "{text}"
        );
    }
}

/// Issue 20: the README's co-follow-at-scale policy is written as it is accepted.
#[test]
fn the_readmes_co_follow_at_scale_policy_is_accepted() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme.find("At scale, `").unwrap() + "At scale, `".len();
    let written = &readme[start..start + readme[start..].find('`').unwrap()];
    assert_eq!(
        written,
        "policy = { kind = \"co_follow\", samples = 300, segments = 32 }"
    );
    let set = format!("surfaces.feed.{written}");
    let out = driftlab(&["validate", "scenarios/quickstart.toml", "--set", &set]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "[surfaces.feed.policy]\nkind = \"co_follow\"\nsamples = 300\nsegments = 32\n"
        ),
        "{text}"
    );
}

/// Issue 20: a surface table with only some keys is that surface's default with those keys.
#[test]
fn a_partial_surface_table_is_filled_from_the_default_surface() {
    let dir = temp_dir("partial-surface");
    let path = dir.join("partial.toml");
    std::fs::write(
        &path,
        "name = \"partial\"\nseed = 1\n[world]\naccounts = 400\n[[arms]]\nname = \"a\"\n[surfaces.feed]\nslate = 20\n",
    )
    .unwrap();
    let resolved = |path: &Path| {
        let out = driftlab(&["validate", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let partial = resolved(&path);
    std::fs::write(
        &path,
        "name = \"partial\"\nseed = 1\n[world]\naccounts = 400\n[[arms]]\nname = \"a\"\n",
    )
    .unwrap();
    let default = resolved(&path);
    assert_eq!(
        partial,
        default.replacen(
            "[surfaces.feed]\nenabled = true\npool = 100\nslate = 10\n",
            "[surfaces.feed]\nenabled = true\npool = 100\nslate = 20\n",
            1
        )
    );
    assert_ne!(partial, default);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validate_prints_the_resolved_scenario() {
    let out = driftlab(&["validate", "scenarios/quickstart.toml"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("name = \"quickstart\""));
    assert!(Path::new("scenarios/quickstart.toml").exists());
}

/// Issue 19: `validate` estimates a sweep as the whole sweep (its points run one after the
/// other: time and agent-steps add up, peak memory is the largest point's), not as one point.
#[test]
fn validate_estimates_the_whole_sweep() {
    let figure = |stderr: &str, before: &str| -> f64 {
        let end = stderr
            .find(before)
            .unwrap_or_else(|| panic!("no `{before}`: {stderr}"));
        let digits: String = stderr[..end]
            .chars()
            .rev()
            .skip_while(|c| *c == ' ')
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        digits.chars().rev().collect::<String>().parse().unwrap()
    };
    let validate = |extra: &[&str]| {
        let mut args = vec!["validate", "scenarios/sweep-recall.toml"];
        args.extend_from_slice(extra);
        let out = driftlab(&args);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let sweep = validate(&[]);
    let one = validate(&["--set", "sweep={}"]);
    assert!(
        sweep.contains("6 sweep points run one after another"),
        "{sweep}"
    );
    assert_eq!(
        figure(&sweep, " agent-steps"),
        6.0 * figure(&one, " agent-steps"),
        "{sweep}\n{one}"
    );
    let seconds = |stderr: &str| -> f64 {
        let at = stderr.find("agent-steps, ~").unwrap() + "agent-steps, ~".len();
        let digits: String = stderr[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().unwrap()
    };
    assert!(sweep.contains(" s in all;"), "{sweep}");
    assert!(seconds(&sweep) >= 5.0 * seconds(&one), "{sweep}\n{one}");
    assert!(sweep.contains("that of the largest point (p00"), "{sweep}");
}

/// Issue 22: `validate --memory-mib` prints only the peak-memory estimate in MiB, rounded up,
/// for a batch system's memory request (scripts/slurm/submit); the same figure as the
/// human-readable estimate, for the given --threads.
#[test]
fn validate_memory_mib_prints_only_the_peak_memory_estimate() {
    let mib = |extra: &[&str]| -> u64 {
        let mut args = vec!["validate", "scenarios/sweep-recall.toml", "--memory-mib"];
        args.extend_from_slice(extra);
        let out = driftlab(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.ends_with('\n') && stdout.lines().count() == 1,
            "{stdout:?}"
        );
        stdout
            .trim_end()
            .parse()
            .unwrap_or_else(|_| panic!("{stdout:?}"))
    };
    // The human-readable figure (`peak memory ~12.3 MiB`) on one thread.
    let out = driftlab(&["validate", "scenarios/sweep-recall.toml", "--threads", "1"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = stderr.find("peak memory ~").unwrap() + "peak memory ~".len();
    let (figure, unit) = stderr[at..].split_once(' ').unwrap();
    assert!(unit.starts_with("MiB"), "{stderr}");
    let figure: f64 = figure.parse().unwrap();
    let one = mib(&["--threads", "1"]);
    assert!(
        (one as f64) >= figure - 0.05 && (one as f64) < figure + 1.0,
        "{one} MiB against {stderr}"
    );
    // More threads hold more worlds at once; overrides count.
    assert!(mib(&["--threads", "4"]) > one);
    assert!(mib(&["--threads", "1", "--set", "world.accounts=50000"]) > one);
    // A refused scenario prints nothing on stdout, and exits 2.
    let out = driftlab(&[
        "validate",
        "scenarios/sweep-recall.toml",
        "--memory-mib",
        "--set",
        "world.accounts=0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn every_shipped_scenario_validates() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out = driftlab(&["validate", path.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn sweep_runs_every_grid_point_and_plots_the_headline_metric() {
    let dir = temp_dir("sweep");
    let out = driftlab(&[
        "run",
        "scenarios/sweep-recall.toml",
        "--out",
        dir.to_str().unwrap(),
        "--replicates",
        "2",
        "--set",
        "world.accounts=800",
        "--set",
        "steps=10",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res = dir.join("sweep-recall");
    for p in 0..6 {
        let point = res.join(format!("p{p:03}"));
        assert!(point.join("steps.csv").is_file(), "{}", point.display());
        assert!(point.join("summary.md").is_file());
    }
    let md = std::fs::read_to_string(res.join("sweep.md")).unwrap();
    assert!(md.contains("moderation.recall=0.9, world.flagged_fraction=0.02"));
    assert_eq!(md.matches("| [p0").count(), 12, "6 points x 2 arms");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("sweep.json")).unwrap()).unwrap();
    assert!(json.is_object() || json.is_array());
    for stem in ["sweep-moderation_recall", "sweep-world_flagged_fraction"] {
        let png = std::fs::read(res.join(format!("{stem}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    }
    // A point's resolved scenario records its assignment.
    let resolved = std::fs::read_to_string(res.join("p001/scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("flagged_fraction = 0.02"), "{resolved}");

    // `report` on the sweep's directory rebuilds every point's report and the sweep summary,
    // byte for byte, from the CSVs and sweep.json alone.
    let written: Vec<(std::path::PathBuf, Vec<u8>)> = [
        "sweep.md",
        "sweep.json",
        "sweep-moderation_recall.png",
        "p003/summary.md",
        "p003/summary.json",
        "p003/drift.png",
    ]
    .iter()
    .map(|f| (res.join(f), std::fs::read(res.join(f)).unwrap()))
    .collect();
    for (path, _) in &written {
        std::fs::remove_file(path).unwrap();
    }
    std::fs::write(res.join("sweep.json"), &written[1].1).unwrap();
    let out = driftlab(&["report", res.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(6 points)"));
    for (path, bytes) in &written {
        assert!(
            std::fs::read(path).unwrap() == *bytes,
            "{} differs after report",
            path.display()
        );
    }
    // A sweep summary naming a point outside the sweep's directory is refused (exit 2).
    std::fs::write(
        res.join("sweep.json"),
        r#"{"scenario": "x", "parameters": [], "points": [{"point": "../p000"}]}"#,
    )
    .unwrap();
    let out = driftlab(&["report", res.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sweep.json: point 1 is named"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recall_outside_zero_one_is_refused() {
    refused(
        "recall",
        "benign_communities = 2\n",
        "benign_communities = 2\n\n[moderation]\nrecall = 1.2\n",
        11,
        &["moderation.recall", "1.2", "probability"],
    );
}

#[test]
fn detection_delay_beyond_the_horizon_is_refused() {
    refused(
        "delay",
        "benign_communities = 2\n",
        "benign_communities = 2\n\n[moderation]\ndetection_delay = 50\n",
        11,
        &["moderation.detection_delay", "horizon"],
    );
}

#[test]
fn label_mitigation_without_moderation_is_refused() {
    refused(
        "nomod",
        "name = \"baseline\"\n",
        "name = \"baseline\"\nmitigations = [{ kind = \"demote_flagged\" }]\n\n[moderation]\nenabled = false\n",
        21,
        &["arms[0].mitigations[0].kind", "moderation.enabled"],
    );
}

#[test]
fn evasion_without_moderation_is_refused() {
    refused(
        "evade",
        "benign_communities = 2\n",
        "benign_communities = 2\n\n[moderation]\nenabled = false\n\n[adversary]\nlexical_evasion = 0.3\n",
        14,
        &["adversary.lexical_evasion", "moderation.enabled"],
    );
}

/// A scenario on an imported world of 60 accounts in communities 0 and 1 (benign) and 2
/// (flagged), no adjacent community; `probes` is the probe group's table body.
fn imported_scenario(tag: &str, probes: &str) -> (common::Scratch, PathBuf) {
    let dir = temp_dir(tag);
    common::write_sixty_account_world(&dir);
    let text = format!(
        "name = \"imported\"\nseed = 5\nsteps = 6\nreplicates = 1\n\n[world.import]\n\
         edges = \"edges.txt\"\nlabels = \"labels.txt\"\nflagged_community = 2\n\n\
         [surfaces.search]\npolicy = {{ kind = \"popularity\" }}\npool = 10\nslate = 5\n\n\
         [[probes]]\ncount = 2\n{probes}\n\n[[arms]]\nname = \"baseline\"\n"
    );
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// `validate` and `run` both refuse, with exit code 2, the same one-line message naming the
/// file, the line and the key, without panicking and without leaving results behind.
fn import_refused(tag: &str, probes: &str, line: usize, key: &str, needle: &str) {
    let (dir, file) = imported_scenario(tag, probes);
    let out_dir = dir.join("results");
    let validate = driftlab(&["validate", file.to_str().unwrap()]);
    let run = driftlab(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let mut messages = Vec::new();
    for (what, out) in [("validate", validate), ("run", run)] {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{tag} {what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{tag} {what}: {stderr}");
        let expected = format!("scenario.toml:{line}: `{key}`");
        assert!(stderr.contains(&expected), "{tag} {what}: {stderr}");
        assert!(stderr.contains(needle), "{tag} {what}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{tag} {what}: {stderr}");
        messages.push(stderr);
    }
    assert_eq!(messages[0], messages[1], "{tag}: validate and run disagree");
    assert!(
        !out_dir.exists(),
        "{tag}: a results directory was left behind"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imported_world_without_the_probes_start_communities_is_refused() {
    // The import has no adjacent community; probes start in adjacent communities by default.
    import_refused(
        "import-start",
        "start = \"adjacent\"",
        18,
        "probes[0].start",
        "no adjacent communities",
    );
    import_refused(
        "import-community",
        "start = \"benign\"\ncommunity = 2",
        19,
        "probes[0].community",
        "there are 2 benign communities",
    );
    // The same import with probes that fit runs.
    let (dir, file) = imported_scenario("import-ok", "start = \"benign\"\ncommunity = 1");
    let out_dir = dir.join("results");
    for args in [
        vec!["validate", file.to_str().unwrap()],
        vec![
            "run",
            file.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ] {
        let out = driftlab(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 19 (input that is not bounded): a scenario that is not a regular file, or is larger
/// than the limit, is refused before anything is read, with one line and exit 2; an absurd
/// thread count is refused at once.
#[test]
fn special_and_huge_scenario_files_and_absurd_thread_counts_are_refused() {
    let dir = temp_dir("bounded");
    let big = dir.join("big.toml");
    std::fs::write(&big, format!("name = \"big\"\n# {}\n", "x".repeat(2 << 20))).unwrap();
    let fifo = dir.join("pipe.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let mut cases: Vec<(PathBuf, &str)> = vec![
        (PathBuf::from("/dev/zero"), "not a regular file"),
        (dir.clone(), "a directory"),
        (big, "larger than the limit of 1048576 bytes"),
    ];
    if made.is_ok_and(|s| s.success()) {
        cases.push((fifo, "not a regular file"));
    }
    for (path, needle) in cases {
        for command in ["validate", "run"] {
            let started = std::time::Instant::now();
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftlab"));
            cmd.arg(command).arg(&path);
            if command == "run" {
                cmd.arg("--out").arg(dir.join("out"));
            }
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
            assert!(stderr.contains(needle), "{}: {stderr}", path.display());
            assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
            assert!(started.elapsed() < std::time::Duration::from_secs(10));
        }
    }
    assert!(
        !dir.join("out").exists(),
        "nothing is written for a refused scenario"
    );
    let out_dir = dir.join("out");
    let out = driftlab(&[
        "run",
        "scenarios/smoke.toml",
        "--threads",
        "100000",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--threads = 100000 is out of range: expected 1 ..= 1024"),
        "{stderr}"
    );
    assert!(!out_dir.exists());
}

/// Issue 19: two spellings of the same scenario path give results that `compare --exact`
/// accepts (nothing path-dependent is in the compared files).
#[test]
fn two_spellings_of_one_scenario_path_compare_exactly() {
    let dir = temp_dir("spellings");
    let (a, b) = (dir.join("a"), dir.join("b"));
    for (path, out) in [
        ("scenarios/smoke.toml", &a),
        ("./scenarios/../scenarios/smoke.toml", &b),
    ] {
        let out = driftlab(&[
            "run",
            path,
            "--threads",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = driftlab(&[
        "compare",
        "--exact",
        a.join("smoke").to_str().unwrap(),
        b.join("smoke").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Issue 19: two runs into one results directory never mix. A second run while the first holds
/// the directory is refused (exit 2, naming the holder); a rerun into finished results needs
/// --resume (a no-op that says so) or --overwrite.
#[test]
fn results_directories_are_locked_and_never_silently_overwritten() {
    let dir = temp_dir("lock");
    let out = dir.to_str().unwrap();
    let long = [
        "run",
        "scenarios/smoke.toml",
        "--set",
        "steps=300",
        "--replicates",
        "40",
        "--threads",
        "1",
        "--out",
        out,
    ];
    let mut first = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(long)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = dir.join("smoke/.lock");
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&lock)
        .unwrap_or_default()
        .is_empty()
        && start.elapsed() < std::time::Duration::from_secs(30)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let second = driftlab(&["run", "scenarios/smoke.toml", "--seed", "2", "--out", out]);
    let _ = first.kill();
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("is in use by another driftlab run")
            && stderr.contains(&first.id().to_string()),
        "{stderr}"
    );
    // The killed run left parts: a plain rerun is refused, --overwrite replaces them.
    let rerun = driftlab(&["run", "scenarios/smoke.toml", "--out", out]);
    assert_eq!(rerun.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&rerun.stderr).contains("--resume to continue it"));
    let fresh = driftlab(&["run", "scenarios/smoke.toml", "--overwrite", "--out", out]);
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let steps = std::fs::read(dir.join("smoke/steps.csv")).unwrap();
    // Finished: a rerun is refused, --resume is a no-op that says so and changes nothing.
    let again = driftlab(&["run", "scenarios/smoke.toml", "--out", out]);
    assert_eq!(again.status.code(), Some(2));
    let resumed = driftlab(&["run", "scenarios/smoke.toml", "--resume", "--out", out]);
    assert!(resumed.status.success());
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("already complete"));
    assert_eq!(std::fs::read(dir.join("smoke/steps.csv")).unwrap(), steps);
    // --resume of another run's finished results is refused.
    let other = driftlab(&[
        "run",
        "scenarios/smoke.toml",
        "--seed",
        "9",
        "--resume",
        "--out",
        out,
    ]);
    assert_eq!(other.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 19: a scenario whose estimated peak memory is above what is available (here 50
/// million accounts with 10,000 follows each, terabytes) is refused by `validate` and by `run`
/// alike, with exit 2, one line naming the file, at once and before anything is allocated or
/// written. `DRIFTLAB_MEMORY_LIMIT` sets the memory a run may use instead of what is detected
/// (the machine's available memory or the room under its cgroup limit), so the same refusal
/// is tested on a small scenario, and a malformed limit is refused.
#[test]
fn a_scenario_larger_than_the_memory_available_is_refused_by_validate_and_run() {
    let dir = temp_dir("memory");
    let huge = dir.join("huge.toml");
    let text = BASE
        .replace("accounts = 400", "accounts = 50000000")
        .replace(
            "benign_communities = 2",
            "benign_communities = 2\ngraph = { mean_degree = 10000, max_degree = 100000 }",
        );
    std::fs::write(&huge, text).unwrap();
    let out_dir = dir.join("results");
    let refused = |scenario: &Path, limit: Option<&str>, needle: &str| {
        for command in ["validate", "run"] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftlab"));
            cmd.arg(command).arg(scenario);
            if command == "run" {
                cmd.arg("--out").arg(&out_dir);
            }
            match limit {
                Some(l) => cmd.env("DRIFTLAB_MEMORY_LIMIT", l),
                None => cmd.env_remove("DRIFTLAB_MEMORY_LIMIT"),
            };
            let started = std::time::Instant::now();
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
            assert!(stderr.contains(needle), "{command}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "{command}: {stderr}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{command} took {:?}",
                started.elapsed()
            );
            assert!(!out_dir.exists(), "{command} left {}", out_dir.display());
        }
    };
    let huge_needle = format!("{}: scenario `bad` needs about", huge.display());
    refused(&huge, None, &huge_needle);
    // A limit replaces what is detected: a terabyte, more than this machine has, is too small.
    refused(&huge, Some("1000000000000"), &huge_needle);
    let smoke = Path::new("scenarios/smoke.toml");
    refused(
        smoke,
        Some("1000000"),
        "scenarios/smoke.toml: scenario `smoke` needs about 18.",
    );
    refused(
        smoke,
        Some("lots"),
        "DRIFTLAB_MEMORY_LIMIT must be a positive number of bytes",
    );
    let ok = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(["validate", "scenarios/smoke.toml"])
        .env("DRIFTLAB_MEMORY_LIMIT", "1000000000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{stderr}");
    assert!(stderr.contains("(0.93 GiB available)"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
