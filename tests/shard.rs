//! Sharded runs through the binary: `run --shard K/N` computes a share of the work units,
//! `merge` assembles the shards into exactly the files of a one-machine run, and refuses,
//! writing nothing, shards that do not make one whole run.

mod common;

use std::path::{Path, PathBuf};

use common::{driftlab, ok};

fn temp_dir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("shard-{tag}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file of `a` but the manifests (wall time, command line) is in `b` with the same bytes.
fn same_files(a: &Path, b: &Path) {
    let mut n = 0;
    for entry in std::fs::read_dir(a).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "manifest.json" {
            continue;
        }
        if path.is_dir() {
            same_files(&path, &b.join(&name));
        } else {
            assert!(
                std::fs::read(&path).unwrap() == std::fs::read(b.join(&name)).unwrap(),
                "{} differs from the one-machine run",
                b.join(&name).display()
            );
            n += 1;
        }
    }
    assert!(n > 0, "{} is empty", a.display());
}

const SWEEP: [&str; 7] = [
    "scenarios/sweep-recall.toml",
    "--replicates",
    "3",
    "--set",
    "world.accounts=800",
    "--set",
    "steps=10",
];

#[test]
fn shards_merge_into_the_bytes_of_a_one_machine_run() {
    let dir = temp_dir("plain");
    let one = dir.join("one");
    ok(&["run", "scenarios/smoke.toml", "--out", s(&one)]);
    let shards: Vec<PathBuf> = (1..=2).map(|k| dir.join(format!("shard{k}"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        let spec = format!("{}/2", k + 1);
        let out = ok(&[
            "run",
            "scenarios/smoke.toml",
            "--out",
            s(shard),
            "--shard",
            &spec,
            "--threads",
            "1",
        ]);
        assert!(out.contains(&format!("shard {spec}:")), "{out}");
        // A shard writes parts and nothing else.
        assert!(!shard.join("smoke/steps.csv").exists());
        assert!(shard.join("smoke/.parts/identity.json").is_file());
    }
    let merged = dir.join("merged");
    ok(&["merge", "--out", s(&merged), s(&shards[0]), s(&shards[1])]);
    ok(&[
        "compare",
        "--exact",
        s(&one.join("smoke")),
        s(&merged.join("smoke")),
    ]);
    same_files(&one.join("smoke"), &merged.join("smoke"));
    assert!(!merged.join("smoke/.parts").exists());

    // A shard resumes like any run: a lost part is computed again, the rest kept.
    let part = shards[0].join("smoke/.parts/r000000-a0001.part");
    let bytes = std::fs::read(&part).unwrap();
    std::fs::remove_file(&part).unwrap();
    ok(&[
        "run",
        "scenarios/smoke.toml",
        "--out",
        s(&shards[0]),
        "--shard",
        "1/2",
        "--resume",
    ]);
    assert_eq!(std::fs::read(&part).unwrap(), bytes);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sharded_sweep_merges_into_every_point_and_the_sweep_summary() {
    let dir = temp_dir("sweep");
    let one = dir.join("one");
    let mut args = vec!["run"];
    args.extend(SWEEP);
    args.extend(["--out", s(&one)]);
    ok(&args);
    let shards: Vec<PathBuf> = (1..=3).map(|k| dir.join(format!("shard{k}"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        let spec = format!("{}/3", k + 1);
        let mut args = vec!["run"];
        args.extend(SWEEP);
        args.extend(["--out", s(shard), "--shard", &spec]);
        // 6 points x 3 replicates = 18 units, dealt round-robin: 6 each.
        assert!(ok(&args).contains("6 of 18 work units"));
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge", "--out", s(&merged)];
    args.extend(shards.iter().map(|p| s(p)));
    ok(&args);
    same_files(&one.join("sweep-recall"), &merged.join("sweep-recall"));
    for p in 0..6 {
        let point = format!("sweep-recall/p{p:03}");
        ok(&[
            "compare",
            "--exact",
            s(&one.join(&point)),
            s(&merged.join(&point)),
        ]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_refuses_shards_that_do_not_make_one_run_and_writes_nothing() {
    let dir = temp_dir("refuse");
    let shard = |name: &str, spec: &str, extra: &[&str]| {
        let out = dir.join(name);
        let mut args = vec![
            "run",
            "scenarios/smoke.toml",
            "--out",
            s(&out),
            "--shard",
            spec,
        ];
        args.extend(extra);
        ok(&args);
        out
    };
    let a = shard("a", "1/2", &[]);
    let b = shard("b", "2/2", &[]);
    let other_seed = shard("c", "2/2", &["--seed", "2"]);
    let merged = dir.join("merged");
    let refused = |shards: &[&Path], expect: &[&str]| {
        let mut args = vec!["merge", "--out", s(&merged)];
        args.extend(shards.iter().map(|p| s(p)));
        let out = driftlab(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for e in expect {
            assert!(err.contains(e), "expected `{e}` in: {err}");
        }
        assert!(
            !merged.join("smoke").exists(),
            "a refused merge wrote {}",
            merged.display()
        );
    };
    // A shard missing: every missing part is listed.
    refused(
        &[&a],
        &[
            "missing from every shard",
            "replicate 1, arm `baseline`",
            "replicate 1, arm `both`",
        ],
    );
    // A shard of another run (another seed).
    refused(&[&a, &other_seed], &["of another run or build"]);
    // The same part in two shards.
    let dup = a.join("smoke/.parts/r000000-a0000.part");
    std::fs::copy(&dup, b.join("smoke/.parts/r000000-a0000.part")).unwrap();
    refused(&[&a, &b], &["replicate 0, arm `baseline`: in 2 shards"]);
    std::fs::remove_file(b.join("smoke/.parts/r000000-a0000.part")).unwrap();
    // A part outside the run, and a stranger file.
    std::fs::copy(&dup, b.join("smoke/.parts/r000009-a0000.part")).unwrap();
    std::fs::write(b.join("smoke/.parts/notes.txt"), "x").unwrap();
    refused(
        &[&a, &b],
        &[
            "r000009-a0000.part: a part outside the run",
            "notes.txt: not a file of a shard",
        ],
    );
    std::fs::remove_file(b.join("smoke/.parts/r000009-a0000.part")).unwrap();
    std::fs::remove_file(b.join("smoke/.parts/notes.txt")).unwrap();
    // A damaged part (its checksum no longer matches).
    let part = b.join("smoke/.parts/r000001-a0001.part");
    let mut bytes = std::fs::read(&part).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&part, bytes).unwrap();
    refused(&[&a, &b], &["r000001-a0001.part: damaged (checksum)"]);
    // Into a shard's own directory (which would lose its parts).
    let out = driftlab(&["merge", "--out", s(&a), s(&a), s(&b)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a shard's own directory"));
    assert!(a.join("smoke/.parts/r000000-a0000.part").is_file());
    // Not a shard at all.
    refused(&[&dir.join("nowhere")], &["cannot read it"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_shard_is_refused_before_anything_runs() {
    let dir = temp_dir("bad");
    for bad in ["0/2", "3/2", "1/0", "one/two"] {
        let out = driftlab(&[
            "run",
            "scenarios/smoke.toml",
            "--out",
            s(&dir),
            "--shard",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("expected K/N"),
            "{bad}"
        );
    }
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing written"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_imported_world_merges_with_its_files_named_relative_to_the_scenario() {
    let dir = temp_dir("import");
    common::write_sixty_account_world(&dir);
    let scenario = dir.join("scenario.toml");
    std::fs::write(
        &scenario,
        "name = \"imported\"\nseed = 5\nsteps = 6\nreplicates = 2\n[world.import]\n\
         edges = \"edges.txt\"\nlabels = \"labels.txt\"\nflagged_community = 2\n\
         [surfaces.search]\npolicy = { kind = \"popularity\" }\npool = 10\nslate = 5\n\n\
         [[probes]]\ncount = 2\nstart = \"benign\"\n\n[[arms]]\nname = \"baseline\"\n",
    )
    .unwrap();
    let one = dir.join("one");
    ok(&["run", s(&scenario), "--out", s(&one)]);
    let (a, b) = (dir.join("a"), dir.join("b"));
    ok(&["run", s(&scenario), "--out", s(&a), "--shard", "1/2"]);
    ok(&["run", s(&scenario), "--out", s(&b), "--shard", "2/2"]);
    let merged = dir.join("merged");
    ok(&["merge", "--out", s(&merged), s(&a), s(&b)]);
    same_files(&one.join("imported"), &merged.join("imported"));
    let _ = std::fs::remove_dir_all(&dir);
}
