//! `driftlab export-world` through the binary: the world of a replicate, written as the files
//! `[world.import]` reads, imports as the same world, so a run on the import gives the bytes of
//! the run that generated it; bad requests exit 2 and leave nothing behind.

mod common;

use std::path::Path;
use std::process::Command;

use common::{driftlab, ok};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const SMOKE: &str = "scenarios/smoke.toml";

/// The smoke scenario on the world exported into `dir`: its text without the generated world's
/// size (`world.accounts`, `world.flagged_accounts`), with the `[world.import]` table of
/// `dir/world.toml`, written to `dir/scenario.toml` (so the table's paths hold).
fn import_scenario(dir: &Path) -> std::path::PathBuf {
    let smoke = read(Path::new(SMOKE));
    let kept: Vec<&str> = smoke
        .lines()
        .filter(|l| !l.starts_with("accounts =") && !l.starts_with("flagged_accounts ="))
        .collect();
    assert_eq!(
        kept.len() + 2,
        smoke.lines().count(),
        "the smoke scenario changed"
    );
    let table = read(&dir.join("world.toml"));
    let file = dir.join("scenario.toml");
    std::fs::write(&file, format!("{}\n\n{table}", kept.join("\n"))).unwrap();
    file
}

/// The lines of a results CSV of one replicate (the second field), header first.
fn replicate_rows(csv: &str, replicate: u32) -> Vec<&str> {
    let r = replicate.to_string();
    csv.lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.split(',').nth(1) == Some(r.as_str()))
        .map(|(_, l)| l)
        .collect()
}

#[test]
fn an_exported_world_imports_into_a_run_with_the_same_bytes() {
    let dir = common::Scratch::new("export-world-same");
    let world = dir.join("world");
    let said = ok(&[
        "export-world",
        SMOKE,
        "--replicate",
        "0",
        "--out",
        s(&world),
    ]);
    assert!(said.contains("1500 accounts"), "{said}");
    let table = read(&world.join("world.toml"));
    assert!(
        table.contains(
            "flagged_community = 8\nadjacent_communities = [6, 7]\nadjacent_parents = [0, 1]\n"
        ),
        "{table}"
    );
    let labels = read(&world.join("labels.txt"));
    assert!(labels
        .starts_with("# driftlab community labels: the world of replicate 0 of scenario `smoke`"));
    assert_eq!(labels.lines().filter(|l| !l.starts_with('#')).count(), 1500);
    let accounts = read(&world.join("accounts.csv"));
    assert!(accounts.starts_with("account,community,kind,flagged,followers,followees\n"));
    let flagged: Vec<&str> = accounts.lines().filter(|l| l.contains(",true,")).collect();
    assert_eq!(flagged.len(), 40);
    assert!(flagged.iter().all(|l| l.contains(",8,flagged,true,")));
    // Every follow is once in each end's degree.
    let (mut followers, mut followees) = (0u64, 0u64);
    for l in accounts.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        followers += f[4].parse::<u64>().unwrap();
        followees += f[5].parse::<u64>().unwrap();
    }
    let edges = read(&world.join("edges.txt"));
    let edge_lines = edges.lines().filter(|l| !l.starts_with('#')).count() as u64;
    assert_eq!((followers, followees), (edge_lines, edge_lines));

    // One replicate: the whole run is the same.
    let scenario = import_scenario(&world);
    let (generated, imported) = (dir.join("generated"), dir.join("imported"));
    ok(&["run", SMOKE, "--replicates", "1", "--out", s(&generated)]);
    ok(&[
        "run",
        s(&scenario),
        "--replicates",
        "1",
        "--out",
        s(&imported),
    ]);
    let (a, b) = (generated.join("smoke"), imported.join("smoke"));
    for file in ["steps.csv", "probes.csv"] {
        assert!(
            read(&a.join(file)) == read(&b.join(file)),
            "{file} of the run on the imported world differs"
        );
    }
    // summary.json names the scenario by its hash, which differs (one scenario generates its
    // world, the other imports it); everything else is the same.
    let hash = |dir: &Path| {
        let summary = read(&dir.join("summary.json"));
        let key = "\"scenario_hash\": \"";
        let at = summary.find(key).unwrap() + key.len();
        summary[at..at + 16].to_string()
    };
    let (ha, hb) = (hash(&a), hash(&b));
    assert_ne!(ha, hb);
    assert!(
        read(&a.join("summary.json")) == read(&b.join("summary.json")).replace(&hb, &ha),
        "summary.json of the run on the imported world differs"
    );
    // `compare --exact` agrees on everything but the scenario's hash (in the manifest and in
    // summary.json).
    let cmp = driftlab(&["compare", "--exact", s(&a), s(&b)]);
    let said = String::from_utf8_lossy(&cmp.stdout);
    assert_eq!(cmp.status.code(), Some(1), "{said}");
    assert!(
        said.contains("differ (exact): 2 of 6 checks failed"),
        "{said}"
    );
    let rows: Vec<&str> = said
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 2, "{said}");
    assert!(rows.iter().all(|r| r.contains("scenario_hash")), "{said}");
}

#[test]
fn replicate_r_of_the_import_is_replicate_r_of_the_generated_run() {
    let dir = common::Scratch::new("export-world-replicate");
    let world = dir.join("nested").join("world-2");
    ok(&[
        "export-world",
        SMOKE,
        "--replicate",
        "2",
        "--out",
        s(&world),
    ]);
    let scenario = import_scenario(&world);
    let (generated, imported) = (dir.join("generated"), dir.join("imported"));
    ok(&["run", SMOKE, "--out", s(&generated)]);
    ok(&["run", s(&scenario), "--out", s(&imported)]);
    for file in ["steps.csv", "probes.csv"] {
        let a = read(&generated.join("smoke").join(file));
        let b = read(&imported.join("smoke").join(file));
        let (ra, rb) = (replicate_rows(&a, 2), replicate_rows(&b, 2));
        assert!(ra.len() > 1);
        assert!(ra == rb, "{file}: replicate 2 differs");
        // The other replicates draw their vectors on replicate 2's graph, not their own.
        assert!(replicate_rows(&a, 0) != replicate_rows(&b, 0), "{file}");
    }
}

#[test]
fn bad_requests_exit_2_and_leave_nothing() {
    let dir = common::Scratch::new("export-world-refused");
    let out = dir.join("out");
    let refused = |args: &[&str], needle: &str| {
        let o = driftlab(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    let o = s(&out);
    refused(
        &["export-world", SMOKE, "--replicate", "3", "--out", o],
        "--replicate 3 is out of range: scenario `smoke` has 3 replicate(s), numbered 0 ..= 2",
    );
    refused(
        &["export-world", SMOKE, "--replicate", "-1", "--out", o],
        "--replicate",
    );
    refused(&["export-world", SMOKE, "--out", o], "--replicate");
    refused(
        &[
            "export-world",
            "scenarios/sweep-recall.toml",
            "--replicate",
            "0",
            "--out",
            o,
        ],
        "choose one with --point NAME",
    );
    refused(
        &[
            "export-world",
            SMOKE,
            "--replicate",
            "0",
            "--point",
            "p000",
            "--out",
            o,
        ],
        "has no [sweep]",
    );
    refused(
        &[
            "export-world",
            "missing.toml",
            "--replicate",
            "0",
            "--out",
            o,
        ],
        "missing.toml",
    );
    refused(
        &[
            "export-world",
            SMOKE,
            "--replicate",
            "0",
            "--set",
            "world.accounts=0",
            "--out",
            o,
        ],
        "world.accounts",
    );
    let small = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(["export-world", SMOKE, "--replicate", "0", "--out", o])
        .env("DRIFTLAB_MEMORY_LIMIT", "1000000")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&small.stderr);
    assert_eq!(small.status.code(), Some(2), "{err}");
    assert!(err.contains("export a smaller world"), "{err}");
    assert!(!out.exists());
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    refused(
        &["export-world", SMOKE, "--replicate", "0", "--out", o],
        "exists and is not an empty directory",
    );
    assert_eq!(read(&out.join("notes.txt")), "mine");
    let file = dir.join("file");
    std::fs::write(&file, "x").unwrap();
    refused(
        &["export-world", SMOKE, "--replicate", "0", "--out", s(&file)],
        "is not an empty directory",
    );
    // Nothing but what the test made.
    let mut names: Vec<String> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["file", "out"]);
    let help = ok(&["--help"]);
    assert!(help.contains("export-world"), "{help}");
}
