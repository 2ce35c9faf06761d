//! Batched plug-ins (the interface Python rankers and mitigations use), through the public
//! API: a batched policy that returns its source's scores and a batched mitigation that
//! re-implements a built-in give the built-ins' bytes (so serving surface by surface changes
//! nothing), a seeded batched policy is the same on 1 and 2 threads, and a failing plug-in stops
//! the run with its message while finished parts are kept for `--resume`.

mod common;

use driftlab::batch::{Batch, BatchMitigation, BatchPolicy, PluginFailure};
use driftlab::experiment::{Experiment, Outcome};
use driftlab::plugin::{NoParams, Registry};
use driftlab::policy::Surface;
use driftlab::scenario::{Overrides, Scenario};
use driftlab::Error;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Scores every candidate with its source's score.
struct Echo;

impl BatchPolicy for Echo {
    fn name(&self) -> &str {
        "echo"
    }
    fn score(&self, batch: &Batch<'_>, scores: &mut [f32]) -> Result<(), PluginFailure> {
        assert_eq!(scores.len(), batch.candidates());
        assert_eq!(batch.offsets.len(), batch.requests() + 1);
        assert_eq!(batch.contents.len(), batch.candidates() * batch.dims);
        assert_eq!(batch.estimates.len(), batch.requests() * batch.dims);
        scores.copy_from_slice(batch.scores);
        Ok(())
    }
}

/// Random scores from the seed driftlab hands in.
struct Noise;

impl BatchPolicy for Noise {
    fn name(&self) -> &str {
        "noise"
    }
    fn score(&self, batch: &Batch<'_>, scores: &mut [f32]) -> Result<(), PluginFailure> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(batch.seed);
        scores.iter_mut().for_each(|s| *s = rng.random());
        Ok(())
    }
}

/// Fails at step `at`.
struct FailAt {
    at: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailParams {
    at: u32,
}

impl BatchPolicy for FailAt {
    fn name(&self) -> &str {
        "fail_at"
    }
    fn score(&self, batch: &Batch<'_>, scores: &mut [f32]) -> Result<(), PluginFailure> {
        if batch.step == self.at && batch.replicate == 2 {
            return Err(PluginFailure::new("deliberate failure"));
        }
        scores.copy_from_slice(batch.scores);
        Ok(())
    }
}

/// `exclude_flagged_from_suggestions`, batched: labelled accounts removed from suggestions.
struct BatchExclude;

impl BatchMitigation for BatchExclude {
    fn name(&self) -> &str {
        "batch_exclude"
    }
    fn apply(&self, batch: &Batch<'_>, keys: &mut [f64]) -> Result<(), PluginFailure> {
        for r in 0..batch.requests() {
            let (start, end) = (batch.offsets[r] as usize, batch.offsets[r + 1] as usize);
            for (rank, (key, &labelled)) in keys[start..end]
                .iter_mut()
                .zip(&batch.labelled[start..end])
                .enumerate()
            {
                let drop = batch.surface == Surface::SuggestedAccounts && labelled == 1;
                *key = if drop { f64::NAN } else { -(rank as f64) };
            }
        }
        Ok(())
    }
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.batch_policy("echo", |_: NoParams| Ok(Echo))
        .batch_policy("noise", |_: NoParams| Ok(Noise))
        .batch_policy("fail_at", |p: FailParams| Ok(FailAt { at: p.at }))
        .batch_mitigation("batch_exclude", |_: NoParams| Ok(BatchExclude));
    r
}

/// The smoke scenario with each `(from, to)` replaced.
fn smoke_with(replacements: &[(&str, &str)]) -> Scenario {
    let mut text = std::fs::read_to_string("scenarios/smoke.toml").unwrap();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    Scenario::from_toml_str(
        &text,
        "smoke.toml",
        Path::new("scenarios"),
        &Overrides::default(),
    )
    .unwrap()
}

/// Every surface's policy wrapped in the batched policy `kind`, its source the original.
fn batched(kind: &str) -> Vec<(String, String)> {
    [
        "policy = { kind = \"popularity\" }",
        "policy = { kind = \"hybrid\", components = [\n  { weight = 1.0, policy = { kind = \"co_follow\", samples = 100 } },\n  { weight = 0.5, policy = { kind = \"embedding\" } },\n] }",
        "policy = { kind = \"embedding\" }",
        "policy = { kind = \"random\" }",
    ]
    .iter()
    .map(|p| {
        let source = p.trim_start_matches("policy = ");
        (
            format!("{p}\npool"),
            format!("policy = {{ kind = \"{kind}\", source = {source} }}\npool"),
        )
    })
    .collect()
}

fn run_to(scenario: Scenario, out: &Path, threads: usize) -> Result<Outcome, Error> {
    Experiment::new(scenario)
        .registry(registry())
        .threads(threads)
        .out(out)
        .run()
}

fn finished(outcome: Result<Outcome, Error>) -> PathBuf {
    match outcome.unwrap() {
        Outcome::Finished(r) => r.dir,
        other => panic!("not finished: {other:?}"),
    }
}

use common::same_tables;

fn refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect()
}

#[test]
fn batched_plugins_reimplementing_builtins_give_their_bytes() {
    let mut swaps = batched("echo");
    swaps.push((
        "{ kind = \"exclude_flagged_from_suggestions\" }".into(),
        "{ kind = \"batch_exclude\" }".into(),
    ));
    let (a, b) = (
        common::Scratch::new("batch-builtin"),
        common::Scratch::new("batch-echo"),
    );
    let builtin = finished(run_to(smoke_with(&[]), &a, 2));
    let plugin = finished(run_to(smoke_with(&refs(&swaps)), &b, 2));
    same_tables(&builtin, &plugin);
}

#[test]
fn a_seeded_batched_policy_is_the_same_on_any_thread_count() {
    let swaps = batched("noise");
    let (a, b) = (
        common::Scratch::new("batch-noise-1"),
        common::Scratch::new("batch-noise-2"),
    );
    let one = finished(run_to(smoke_with(&refs(&swaps)), &a, 1));
    let two = finished(run_to(smoke_with(&refs(&swaps)), &b, 2));
    same_tables(&one, &two);
    // And it is not the builtins' run: the scores did change the slates.
    let c = common::Scratch::new("batch-noise-builtin");
    let builtin = finished(run_to(smoke_with(&[]), &c, 2));
    assert_ne!(
        std::fs::read(one.join("steps.csv")).unwrap(),
        std::fs::read(builtin.join("steps.csv")).unwrap()
    );
}

#[test]
fn a_failing_plugin_stops_the_run_and_keeps_parts_for_resume() {
    let swaps = batched("fail_at");
    let swaps: Vec<(String, String)> = swaps
        .into_iter()
        .map(|(a, b)| {
            (
                a,
                b.replace("kind = \"fail_at\"", "kind = \"fail_at\", at = 7"),
            )
        })
        .collect();
    let dir = common::Scratch::new("batch-fail");
    // One thread: replicates 0 and 1 finish before replicate 2 fails.
    let e = run_to(smoke_with(&refs(&swaps)), &dir, 1).unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, Error::PluginFailed(_)), "{message}");
    assert!(message.contains("deliberate failure"), "{message}");
    assert!(message.contains("plug-in `fail_at`"), "{message}");
    assert!(message.contains("replicate 2"), "{message}");
    assert!(message.contains("step 7"), "{message}");
    assert!(message.contains("--resume"), "{message}");
    let parts = dir.join("smoke").join(".parts");
    let saved = std::fs::read_dir(&parts).unwrap().count();
    assert!(saved >= 4, "{saved} files in {}", parts.display());
    // The same scenario with a plug-in that no longer fails resumes to the uninterrupted bytes.
    let fixed: Vec<(String, String)> = refs(&swaps)
        .iter()
        .map(|(a, b)| (a.to_string(), b.replace("at = 7", "at = 1000")))
        .collect();
    // A different parameter is a different scenario: resume refuses it; the same one resumes.
    let resumed = Experiment::new(smoke_with(&refs(&swaps)))
        .registry({
            let mut r = Registry::new();
            r.batch_policy("fail_at", |_: FailParams| Ok(Echo));
            r
        })
        .threads(2)
        .out(&*dir)
        .resume(true)
        .run();
    let resumed = finished(resumed);
    let whole = common::Scratch::new("batch-fail-whole");
    let whole = finished(run_to(smoke_with(&refs(&fixed)), &whole, 2));
    same_tables(&resumed, &whole);
}

#[test]
fn batched_plugins_are_refused_with_a_living_population() {
    let swaps = batched("echo");
    let mut swaps = refs(&swaps);
    swaps.push(("[[arms]]", "[population]\nactive_share = 0.1\n\n[[arms]]"));
    let dir = common::Scratch::new("batch-population");
    let e = run_to(smoke_with(&swaps), &dir, 1).unwrap_err();
    assert!(e.to_string().contains("living population"), "{e}");
}

#[test]
fn a_batched_source_must_be_built_in_and_its_keys_are_checked() {
    let text = std::fs::read_to_string("scenarios/smoke.toml")
        .unwrap()
        .replacen(
            "policy = { kind = \"random\" }",
            "policy = { kind = \"echo\", source = { kind = \"co_follow\", sampels = 3 } }",
            1,
        );
    let s = Scenario::from_toml_str(
        &text,
        "smoke.toml",
        Path::new("scenarios"),
        &Overrides::default(),
    )
    .unwrap();
    let e = registry().check(&s).unwrap_err().to_string();
    assert!(e.contains("source.sampels"), "{e}");
}
