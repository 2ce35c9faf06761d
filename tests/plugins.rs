//! Bring your own recommender, tested through the public API and through a user's program
//! (`examples/custom_policy.rs`): a plug-in that re-implements a built-in gives the built-in's
//! bytes, plug-in arms are the same on any thread count, survive kill -9 and `--resume`, run in
//! sweeps, and a plug-in's bad parameter is refused with file, line and key.

mod common;

use driftlab::experiment::{Experiment, Outcome};
use driftlab::ids::AccountId;
use driftlab::mitigation::{Mitigation, MitigationCtx, Slate};
use driftlab::plugin::{NoParams, ParamError, Registry};
use driftlab::policy::{Candidate, Context, Policy, Surface};
use driftlab::rng::SimRng;
use driftlab::scenario::{Overrides, Scenario};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn temp_dir(tag: &str) -> common::Scratch {
    common::Scratch::new(&format!("plugins-{tag}"))
}

/// Popularity, written by a user against the public API only.
struct MyPopularity;

fn log_followers(cx: &Context<'_>, a: AccountId) -> f32 {
    (cx.view.follower_count(a) as f32).ln_1p()
}

impl Policy for MyPopularity {
    fn name(&self) -> &str {
        "my_popularity"
    }
    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        let viewer = cx.viewer;
        let top = cx
            .view
            .by_popularity()
            .iter()
            .filter(|a| !viewer.follows(**a));
        for &account in top.take(cx.limit) {
            out.push(Candidate {
                account,
                score: log_followers(cx, account),
            });
        }
    }
    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        for c in candidates {
            c.score = log_followers(cx, c.account);
        }
    }
}

/// The built-in `exclude_flagged_from_suggestions`, written by a user.
struct MyExclude;

impl Mitigation for MyExclude {
    fn name(&self) -> &str {
        "my_exclude"
    }
    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _: &mut SimRng) {
        if ctx.surface == Surface::SuggestedAccounts {
            let labels = ctx.view.labels();
            slate.retain(|c| !labels.account(c.account));
        }
    }
}

/// A policy that draws from its seeded stream (the random policy, written by a user).
struct MyRandom;

impl Policy for MyRandom {
    fn name(&self) -> &str {
        "my_random"
    }
    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        use rand::RngExt;
        let n = cx.view.accounts() as u32;
        for _ in 0..cx.limit {
            let account = AccountId(cx.rng.random_range(0..n));
            if !cx.viewer.follows(account) {
                out.push(Candidate {
                    account,
                    score: cx.rng.random(),
                });
            }
        }
    }
    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        use rand::RngExt;
        candidates
            .iter_mut()
            .for_each(|c| c.score = cx.rng.random());
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleParams {
    factor: f32,
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.policy("my_popularity", |_: NoParams| Ok(MyPopularity))
        .policy("my_random", |_: NoParams| Ok(MyRandom))
        .mitigation("my_exclude", |_: NoParams| Ok(MyExclude))
        .policy("scaled_popularity", |p: ScaleParams| {
            if p.factor > 0.0 {
                Ok(MyPopularity)
            } else {
                Err(ParamError::new("factor", "must be positive"))
            }
        });
    r
}

/// The smoke scenario with `from` replaced by `to` everywhere.
fn smoke_with(replacements: &[(&str, &str)], sets: &[&str]) -> Scenario {
    let mut text = std::fs::read_to_string("scenarios/smoke.toml").unwrap();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    let overrides = Overrides {
        sets: sets.iter().map(|s| s.to_string()).collect(),
        ..Overrides::default()
    };
    Scenario::from_toml_str(&text, "smoke.toml", Path::new("scenarios"), &overrides).unwrap()
}

fn run_to(scenario: Scenario, out: &Path, threads: usize) -> PathBuf {
    match Experiment::new(scenario)
        .registry(registry())
        .threads(threads)
        .out(out)
        .run()
        .unwrap()
    {
        Outcome::Finished(r) => r.dir,
        other => panic!("not finished: {other:?}"),
    }
}

use common::same_tables;

#[test]
fn a_plugin_reimplementing_builtins_gives_their_bytes() {
    let builtin = smoke_with(
        &[
            (
                "policy = { kind = \"random\" }",
                "policy = { kind = \"popularity\" }",
            ),
            (
                "policy = { kind = \"embedding\" }\npool",
                "policy = { kind = \"popularity\" }\npool",
            ),
        ],
        &[],
    );
    let plugin = smoke_with(
        &[
            (
                "policy = { kind = \"random\" }",
                "policy = { kind = \"my_popularity\" }",
            ),
            (
                "policy = { kind = \"embedding\" }\npool",
                "policy = { kind = \"my_popularity\" }\npool",
            ),
            ("{ kind = \"popularity\" }", "{ kind = \"my_popularity\" }"),
            (
                "{ kind = \"exclude_flagged_from_suggestions\" }",
                "{ kind = \"my_exclude\" }",
            ),
        ],
        &[],
    );
    let (a, b) = (temp_dir("builtin"), temp_dir("plugin"));
    same_tables(&run_to(builtin, &a, 2), &run_to(plugin, &b, 2));
}

#[test]
fn a_plugin_drawing_random_numbers_matches_the_builtin_on_any_thread_count() {
    let builtin = smoke_with(&[], &[]);
    let plugin = smoke_with(
        &[(
            "policy = { kind = \"random\" }",
            "policy = { kind = \"my_random\" }",
        )],
        &[],
    );
    let (a, b, c) = (temp_dir("rand-b"), temp_dir("rand-p1"), temp_dir("rand-p2"));
    let reference = run_to(builtin, &a, 2);
    same_tables(&reference, &run_to(plugin.clone(), &b, 1));
    same_tables(&reference, &run_to(plugin, &c, 2));
}

#[test]
fn plugin_errors_name_file_line_and_key() {
    let text = std::fs::read_to_string("scenarios/smoke.toml")
        .unwrap()
        .replace(
            "policy = { kind = \"random\" }",
            "policy = { kind = \"scaled_popularity\", factor = -1 }",
        );
    let s = Scenario::from_toml_str(&text, "smoke.toml", Path::new("."), &Overrides::default())
        .unwrap();
    let err = Experiment::new(s).registry(registry()).check().unwrap_err();
    assert!(err.is_input());
    assert_eq!(
        err.to_string(),
        "smoke.toml:40: `surfaces.explore.policy.factor`: must be positive"
    );
    let s = Scenario::from_toml_str(
        &text.replace("factor = -1", "facter = 1"),
        "smoke.toml",
        Path::new("."),
        &Overrides::default(),
    )
    .unwrap();
    let err = Experiment::new(s).registry(registry()).check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "smoke.toml:40:40: `surfaces.explore.policy.facter`: unknown key `facter`, did you mean \
         `factor`?"
    );
    // Without the plug-in, the kind is unknown, and the registered names are listed.
    let s = Scenario::from_toml_str(&text, "smoke.toml", Path::new("."), &Overrides::default())
        .unwrap();
    let err = Experiment::new(s.clone()).check().unwrap_err().to_string();
    assert!(
        err.starts_with(
            "smoke.toml:40:19: `surfaces.explore.policy.kind`: unknown kind \
                         `scaled_popularity`: expected one of `random`"
        ),
        "{err}"
    );
    let mut only = Registry::new();
    only.policy("my_popularity", |_: NoParams| Ok(MyPopularity));
    let err = Experiment::new(s)
        .registry(only)
        .check()
        .unwrap_err()
        .to_string();
    assert!(err.contains("`uniform_followee`, `my_popularity`"), "{err}");
}

// ----- through a user's program: examples/custom_policy.rs -----

/// The example binary: `cargo test` builds it beside the test binaries; a filtered run
/// (`cargo test --test plugins`) does not, so it is built here once if missing.
fn example() -> Command {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let path = BUILT.get_or_init(|| {
        let driftlab = PathBuf::from(env!("CARGO_BIN_EXE_driftlab"));
        let name = format!("custom_policy{}", std::env::consts::EXE_SUFFIX);
        let path = driftlab.parent().unwrap().join("examples").join(name);
        if !path.is_file() {
            let status = Command::new(env!("CARGO"))
                .args(["build", "--profile", "test", "--example", "custom_policy"])
                .status()
                .unwrap();
            assert!(status.success(), "building examples/custom_policy.rs");
        }
        path
    });
    Command::new(path)
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Long enough to interrupt: 36 jobs of about a quarter of a second each.
const LONG: [&str; 6] = [
    "--set",
    "replicates=12",
    "--set",
    "steps=100",
    "--threads",
    "2",
];

fn parts(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("custom-policy/.parts"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".part"))
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn the_example_writes_the_full_report() {
    let dir = temp_dir("example");
    let out = example().arg("--out").arg(&dir).output().unwrap();
    ok(&out);
    let results = dir.join("custom-policy");
    for file in [
        "steps.csv",
        "probes.csv",
        "manifest.json",
        "summary.md",
        "summary.json",
        "scenario.resolved.toml",
        "drift.png",
        "survival.png",
        "reduction.png",
        "exposure-cap_labelled.png",
    ] {
        assert!(results.join(file).is_file(), "{file}");
    }
    let manifest = std::fs::read_to_string(results.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"cap_labelled\""),
        "arms keep their own mitigations"
    );
    assert!(manifest.contains("cargo run --release --example custom_policy"));
    let steps = std::fs::read_to_string(results.join("steps.csv")).unwrap();
    for arm in ["baseline", "cap_labelled", "cap_and_exclude"] {
        assert!(steps.contains(&format!("\n{arm},")), "{arm}");
    }
}

#[test]
fn a_custom_arm_survives_kill_9_and_resume() {
    let (dir, reference) = (temp_dir("kill"), temp_dir("kill-ref"));
    ok(&example()
        .args(LONG)
        .arg("--out")
        .arg(&reference)
        .output()
        .unwrap());
    let child = example()
        .args(LONG)
        .arg("--out")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while parts(&dir) < 3 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut child = child;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let saved = parts(&dir);
    assert!((3..36).contains(&saved), "interrupted after {saved} parts");
    ok(&example()
        .args(LONG)
        .arg("--out")
        .arg(&dir)
        .arg("--resume")
        .output()
        .unwrap());
    for file in ["steps.csv", "probes.csv", "summary.json", "summary.md"] {
        let a = std::fs::read(dir.join("custom-policy").join(file)).unwrap();
        let b = std::fs::read(reference.join("custom-policy").join(file)).unwrap();
        assert!(a == b, "{file} differs after resume");
    }
    assert!(!dir.join("custom-policy/.parts").exists());
}

#[test]
fn a_custom_policy_runs_in_a_sweep() {
    let dir = temp_dir("sweep");
    let out = example()
        .args([
            "--set",
            "sweep={\"surfaces.suggested_accounts.policy.alpha\" = [0.0, 0.5]}",
            "--set",
            "replicates=2",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    ok(&out);
    let root = dir.join("custom-policy");
    assert!(root.join("sweep.md").is_file());
    for p in ["p000", "p001"] {
        assert!(root.join(p).join("steps.csv").is_file(), "{p}");
    }
    let resolved = std::fs::read_to_string(root.join("p001/scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("alpha = 0.5"), "{resolved}");
}

#[test]
fn a_bad_plugin_parameter_exits_2_with_file_line_and_key() {
    let dir = temp_dir("bad");
    let text = std::fs::read_to_string("scenarios/plugins/custom-policy.toml")
        .unwrap()
        .replace("alpha = 0.1, candidates", "alpha = 1.5, candidates");
    let file = dir.join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let results = dir.join("results");
    let out = example()
        .arg(&file)
        .arg("--out")
        .arg(&results)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.contains("alpha = 1.5"))
        .unwrap()
        + 1;
    assert_eq!(
        stderr.trim(),
        format!(
            "error: {}:{line}: `surfaces.suggested_accounts.policy.alpha`: = 1.5 is out of \
             range: expected 0 ..= 1",
            file.display()
        )
    );
    assert!(
        !results.exists(),
        "nothing is written for a refused scenario"
    );
    // The driftlab binary does not know the plug-ins: an unknown kind, exit 2, names listed.
    let out = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(["validate", "scenarios/plugins/custom-policy.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "`surfaces.suggested_accounts.policy.kind`: unknown kind `blended_popularity`"
        ),
        "{stderr}"
    );
}
