//! Bring your own recommender: a user-written policy and mitigation, registered with driftlab
//! and run on a scenario file that names them, with everything `driftlab run` gives a built-in
//! (parallel jobs, shared random numbers between arms, parts and `--resume`, CSVs, manifest,
//! summary, plots, sweeps).
//!
//! ```text
//! cargo run --release --example custom_policy -- --out results
//! cargo run --release --example custom_policy -- scenarios/plugins/custom-policy.toml --out results \
//!     --threads 2 --overwrite --set steps=60
//! cargo run --release --example custom_policy -- --list
//! ```
//!
//! Exit codes as `driftlab`'s: 0 done, 1 failure, 2 bad input (file, line and key named),
//! 130 interrupted (continue with `--resume`).

use driftlab::experiment::{Experiment, Outcome};
use driftlab::mitigation::{Mitigation, MitigationCtx, Slate};
use driftlab::plugin::{ParamError, Registry};
use driftlab::policy::{Candidate, Context, Policy};
use driftlab::rng::SimRng;
use driftlab::scenario::{Overrides, Scenario};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// A ranking change under test: `alpha` of log-popularity plus `1 - alpha` of the similarity
/// of an account's content to the platform's estimate of the viewer, over the `candidates` most
/// followed accounts the viewer does not follow yet.
struct BlendedPopularity {
    alpha: f32,
    candidates: usize,
}

/// Its parameters, as written in the scenario (unknown keys refused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlendParams {
    /// Weight of popularity, 0 ..= 1.
    alpha: f32,
    /// Popular accounts considered per request (default 100).
    #[serde(default = "default_candidates")]
    candidates: usize,
}

fn default_candidates() -> usize {
    100
}

impl BlendedPopularity {
    fn from_params(p: BlendParams) -> Result<Self, ParamError> {
        if !(0.0..=1.0).contains(&p.alpha) {
            return Err(ParamError::new(
                "alpha",
                format!("= {} is out of range: expected 0 ..= 1", p.alpha),
            ));
        }
        if !(1..=100_000).contains(&p.candidates) {
            return Err(ParamError::new(
                "candidates",
                format!("= {} is out of range: expected 1 ..= 100000", p.candidates),
            ));
        }
        Ok(Self {
            alpha: p.alpha,
            candidates: p.candidates,
        })
    }

    fn blend(&self, cx: &Context<'_>, account: driftlab::ids::AccountId) -> f32 {
        let popularity = (cx.view.follower_count(account) as f32).ln_1p();
        let similarity = driftlab::world::dot(cx.viewer.estimate, cx.view.content(account));
        self.alpha * popularity + (1.0 - self.alpha) * similarity
    }
}

impl Policy for BlendedPopularity {
    fn name(&self) -> &str {
        "blended_popularity"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        let (view, viewer) = (cx.view, cx.viewer);
        let unfollowed = view.by_popularity().iter().filter(|a| !viewer.follows(**a));
        for &account in unfollowed.take(self.candidates.min(cx.limit.max(1) * 4)) {
            out.push(Candidate {
                account,
                score: self.blend(cx, account),
            });
        }
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        for c in candidates {
            c.score = self.blend(cx, c.account);
        }
    }
}

/// A user-written mitigation: at most `max_labelled` accounts carrying a moderation label per
/// slate; the rest are removed (on every surface).
struct CapLabelled {
    max_labelled: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapParams {
    /// Labelled accounts allowed per slate (default 0).
    #[serde(default)]
    max_labelled: usize,
}

impl Mitigation for CapLabelled {
    fn name(&self) -> &str {
        "cap_labelled"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        let labels = ctx.view.labels();
        let mut kept = 0;
        // Only the first `slate_size` places are shown; labelled accounts beyond the cap leave
        // the pool, so unlabelled ones move up.
        slate.retain(|c| {
            if labels.account(c.account) {
                kept += 1;
                kept <= self.max_labelled
            } else {
                true
            }
        });
    }
}

/// The plug-ins of this example.
fn registry() -> Registry {
    let mut r = Registry::new();
    r.policy("blended_popularity", BlendedPopularity::from_params)
        .describe(
            "blended_popularity",
            "alpha of log-popularity plus (1 - alpha) of estimated-interest similarity",
            &[
                ("alpha", "required", "weight of popularity, 0 ..= 1"),
                (
                    "candidates",
                    "100",
                    "popular accounts considered per request",
                ),
            ],
        )
        .mitigation("cap_labelled", |p: CapParams| {
            Ok(CapLabelled {
                max_labelled: p.max_labelled,
            })
        })
        .describe(
            "cap_labelled",
            "at most max_labelled labelled accounts per slate",
            &[("max_labelled", "0", "labelled accounts allowed per slate")],
        );
    r
}

/// Command-line options (a deliberately small parser: the point is the library call).
struct Options {
    scenario: PathBuf,
    out: PathBuf,
    threads: Option<usize>,
    resume: bool,
    overwrite: bool,
    sets: Vec<String>,
    list: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        scenario: PathBuf::from("scenarios/plugins/custom-policy.toml"),
        out: PathBuf::from("results"),
        threads: None,
        resume: false,
        overwrite: false,
        sets: Vec::new(),
        list: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--out" => o.out = value("--out")?.into(),
            "--threads" => {
                let v = value("--threads")?;
                o.threads = Some(
                    v.parse()
                        .map_err(|_| format!("--threads: {v:?} is not a number"))?,
                );
            }
            "--set" => o.sets.push(value("--set")?),
            "--resume" => o.resume = true,
            "--overwrite" => o.overwrite = true,
            "--list" => o.list = true,
            s if !s.starts_with("--") => o.scenario = s.into(),
            s => return Err(format!("unknown option {s}; expected [SCENARIO] --out DIR [--threads N] [--resume | --overwrite] [--set K=V] [--list]")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if o.list {
        for e in registry().entries().iter().filter(|e| e.plugin) {
            println!("{} {}: {}", e.category, e.name, e.description);
        }
        return ExitCode::SUCCESS;
    }
    let overrides = Overrides {
        sets: o.sets.clone(),
        ..Overrides::default()
    };
    let scenario = match Scenario::load(&o.scenario, &overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut command = format!(
        "cargo run --release --example custom_policy -- {}",
        o.scenario.display()
    );
    for s in &o.sets {
        command.push_str(&format!(" --set {s}"));
    }
    let mut experiment = Experiment::new(scenario)
        .registry(registry())
        .out(&o.out)
        .resume(o.resume)
        .overwrite(o.overwrite)
        .command(command);
    if let Some(n) = o.threads {
        experiment = experiment.threads(n);
    }
    match experiment.run() {
        Ok(Outcome::Finished(report)) => {
            for arm in &report.arms {
                println!(
                    "{:<20} drifted {:>5.1}%",
                    arm.name,
                    100.0 * arm.drifted_share.estimate.unwrap_or(f64::NAN)
                );
            }
            println!("results: {}", report.dir.display());
            ExitCode::SUCCESS
        }
        Ok(Outcome::Interrupted(stop)) => {
            eprintln!(
                "interrupted: {} of {} jobs saved; rerun with --resume",
                stop.saved, stop.total
            );
            ExitCode::from(130)
        }
        // A shard's run (not asked for here) and any later kind of ending.
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_input() { 2 } else { 1 })
        }
    }
}
