//! Validation of the simulator against a closed-form result.
//!
//! Set-up: a two-community world (one benign community B, the flagged cluster F), the
//! `uniform_followee` policy on suggested accounts with a slate of one, every other surface off,
//! and probes that follow their top suggestion every step (`follow_prob = 1`) after one seed
//! follow of a uniformly random member of B.
//!
//! Derivation. Let X_0 be the seed account and X_t the account followed at step t. The policy
//! suggests a uniformly random followee of the most recently followed account, and the probe
//! follows it, so (X_t) is the simple random walk on the follow graph: P(X_{t+1} = j | X_t = i)
//! = 1/d_i for each of the d_i followees j of i. The step at which the probe first follows a
//! flagged account is the hitting time T = min{t >= 1 : X_t in F}. Make F absorbing; for a
//! transient (benign) state i, first-step analysis gives
//!
//!   h_i = E[T | X_0 = i] = 1 + (1/d_i) * sum_{j in out(i)} h_j,   with h_j = 0 for j in F,
//!
//! i.e. h = (I - Q)^{-1} 1 for the transient block Q of the transition matrix. Writing
//! T = 1 + T' with T' the remaining time from X_1, the second moment satisfies
//!
//!   s_i = E[T^2 | X_0 = i] = 1 + 2 (1/d_i) sum_j h_j + (1/d_i) sum_j s_j
//!                         = 2 h_i - 1 + (1/d_i) sum_j s_j,     with s_j = 0 for j in F.
//!
//! With X_0 uniform on B: mu = mean_i h_i and sigma^2 = mean_i s_i - mu^2. Probes are
//! independent given the graph, so the mean of n simulated hitting times has standard error
//! sigma / sqrt(n), and must lie within mu +- 2.576 sigma / sqrt(n) (99%). If every benign
//! account sent the same share q of its edges into F, T would be geometric with mean 1/q; on
//! one fixed random graph the node-level mu is the exact value and 1/q only an approximation,
//! so the test also prints 1/q (with q the pooled share of benign out-edges into F).

use driftlab::engine::accounts_of;
use driftlab::experiment::{self, WorldSource};
use driftlab::ids::AccountId;
use driftlab::scenario::Scenario;
use driftlab::world::{CommunityKind, World};

mod common;

const PROBES: u32 = 20_000;
const HORIZON: u32 = 400;

fn scenario() -> Scenario {
    let surfaces = common::suggestions_only("uniform_followee");
    let toml = format!(
        r#"
name = "closed-form"
seed = 7
steps = {HORIZON}
replicates = 1

[world]
accounts = 600
benign_communities = 1
adjacent_communities = 0
adjacent_fraction = 0.0
flagged_fraction = 0.1

[world.graph]
mean_degree = 6
degree_exponent = 6.0
min_degree = 2
benign = {{ within = 0.9, to_adjacent = 0.0, to_flagged = 0.1 }}
flagged = {{ within = 0.9, to_adjacent = 0.0 }}

{surfaces}
[[probes]]
count = {PROBES}
start = "benign"
seed_follows = 1
search_prob = 0.0
behaviour = "follow_top"
follow_prob = 1.0

[[arms]]
name = "baseline"
"#
    );
    common::scenario(&toml, "<closed-form test>")
}

/// Solves h and s on the walk's transient states by Gauss-Seidel sweeps to convergence.
fn moments(world: &World) -> (Vec<f64>, Vec<f64>) {
    let n = world.accounts();
    let truth = world.truth();
    let graph = world.graph();
    let (mut h, mut s) = (vec![0.0f64; n], vec![0.0f64; n]);
    for sweep in 0.. {
        assert!(sweep < 100_000, "moments did not converge");
        let mut change = 0.0f64;
        for i in 0..n {
            let a = AccountId(i as u32);
            if truth.is_flagged(a) {
                continue;
            }
            let out = graph.followees(a);
            assert!(
                !out.is_empty(),
                "benign account {i} has no followee: the walk would stop"
            );
            let d = out.len() as f64;
            let mean = |v: &[f64]| out.iter().map(|j| v[j.index()]).sum::<f64>() / d;
            let hi = 1.0 + mean(&h);
            let si = 2.0 * hi - 1.0 + mean(&s);
            change = change
                .max((hi - h[i]).abs() / hi)
                .max((si - s[i]).abs() / si);
            h[i] = hi;
            s[i] = si;
        }
        if change < 1e-13 {
            break;
        }
    }
    (h, s)
}

#[test]
fn first_flagged_follow_matches_absorbing_chain() {
    let scenario = scenario();
    let world = WorldSource::prepare(&scenario).unwrap().world(&scenario, 0);
    let benign = accounts_of(&world, CommunityKind::Benign);
    let (h, s) = moments(&world);
    let mu = benign.iter().map(|a| h[a.index()]).sum::<f64>() / benign.len() as f64;
    let second = benign.iter().map(|a| s[a.index()]).sum::<f64>() / benign.len() as f64;
    let sigma = (second - mu * mu).sqrt();
    let (into, total) = benign.iter().fold((0usize, 0usize), |(f, t), &a| {
        let out = world.graph().followees(a);
        (
            f + out.iter().filter(|&&j| world.truth().is_flagged(j)).count(),
            t + out.len(),
        )
    });
    let q = into as f64 / total as f64;

    let result = experiment::run(&scenario, &|| {}).unwrap();
    let probes = &result.run(0, 0).probes;
    assert_eq!(probes.len(), PROBES as usize);
    let times: Vec<f64> = probes
        .iter()
        .map(|p| {
            f64::from(
                p.first_flagged_follow_step
                    .expect("walk censored at the horizon"),
            )
        })
        .collect();
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let half = 2.576 * sigma / (times.len() as f64).sqrt();
    println!(
        "closed form: mu = {mu:.4}, sigma = {sigma:.4}, 99% CI for the mean of {} walks = [{:.4}, {:.4}]; \
         simulated mean = {mean:.4}; block-level 1/q = {:.4} (q = {q:.4})",
        times.len(),
        mu - half,
        mu + half,
        1.0 / q
    );
    assert!(
        (mean - mu).abs() <= half,
        "simulated mean {mean:.4} outside the 99% interval {mu:.4} +- {half:.4}"
    );
}
