//! The flagged cluster's own dynamics: its steady level under bans, returns and recruitment
//! against the birth-death formula of the model, and the `cluster_*` columns' bookkeeping.
//!
//! # The model (`src/adversary/`) and its steady level
//!
//! Parameters: classifier recall `p` per review, first review `D` = `detection_delay` steps
//! after an identity appears, re-reviews every `R` = `review_interval` steps; ban delay `B`
//! (`ban_detected`); return probability `r` = `ban_evasion`; recruitment rate `λ` =
//! `recruitment_rate` (a Poisson count per step). The cluster is counted at the end of each
//! step's adversary phase (what the platform serves in that step).
//!
//! A *visit* of an identity starts at the step `s` it appears (a recruit, or a return); the
//! classifier labels it at `L = s + D + K R`, where `K`, the failed reviews before the first
//! success, is geometric: `P(K = k) = (1 - p)^k p`, `E[K] = (1 - p) / p`. It is banned at step
//! `L + B`, in that same step whether it is a recruit, a return or an identity from the start
//! (recruits join before the step's bans, and a second ban pass follows the returns). So it is
//! counted active at the end of steps `s, s + 1, ..., L + B - 1`: a visit lasts
//!
//!   `V = D + B + K R` steps,   `E[V] = D + B + R (1 - p) / p`.
//!
//! After each ban the identity returns with probability `r` (a new visit) and otherwise frees
//! the identity for a later recruit. A recruit therefore makes `1 + G` visits, `G` geometric
//! with `P(G = g) = (1 - r) r^g`, so `1 / (1 - r)` visits on average, each independent of the
//! others. Recruits arrive as independent Poisson(`λ`) counts per step and, as long as free
//! identities never run out, evolve independently of each other: the number active at a step
//! in the steady state is a Poisson thinning of Poisson arrivals, hence itself Poisson, with
//! mean `λ` times the expected number of steps a recruit spends active over its life:
//!
//!   `N* = λ (D + B + R (1 - p) / p) / (1 - r)`.
//!
//! (Little's law gives the same mean: arrivals per step `A = λ + r A`, i.e. `A = λ / (1 - r)`,
//! each staying `E[V]`.) Identities present at step 0 and their returns die out geometrically
//! and are cut by a burn-in. The birth-death balance `λ + r·bans = bans` of the issue is the
//! arrival balance above, since every arrival is banned once per visit.
//!
//! # The test
//!
//! `p = 0.3, D = 1, R = 1, B = 1, r = 0.5, λ = 4`: `E[V] = 1 + 1 + 0.7 / 0.3 = 13 / 3`, so
//! `N* = 4 · (13 / 3) / 0.5 = 104 / 3 ≈ 34.67`. Identities active or awaiting their return
//! number about `N* + (λ / (1 - r)) · r · return_delay = 34.7 + 12` on average (Poisson, sd
//! about 7) out of 300 flagged accounts, so free identities never run out after the start.
//!
//! The per-step count is Poisson(`N*`) (variance 34.7) but correlated from step to step: a
//! visit lasts 4.3 steps on average, returns come back 3 steps after a ban, and a recruit's
//! visits together last about 15 steps, so the autocorrelation is still 0.4 at lag 6 and 0.06
//! at lag 28 (integrated autocorrelation time about 25 steps). The standard error of a
//! long-run mean is therefore measured rather than assumed: each replicate is an independent
//! run, and the spread of the 32 replicates' time-averages (steps 101..=1100, after a burn-in
//! long enough for the start's 300 identities and their returns to have died out, about
//! `0.5^(100 / 7)` of them left) gives the standard error of their mean (about 0.15, 0.4% of
//! `N*`). The test requires that standard error below 1% of `N*` (so the comparison is tight:
//! a model off by one step in `D`, `B` or the order of bans and returns would be off by 23%,
//! more than 50 standard errors), and the mean within 4.5 standard errors of `N*` (t with 31
//! degrees of freedom: two-sided p below 0.0001 for the true model; the seeds are fixed, so the
//! outcome is deterministic). It checks the Poisson law's variance the same way: each
//! replicate's variance of its per-step counts, their mean within 4.5 standard errors of `N*`.
//! (Offline, 128 replicates gave a mean of 34.70 ± 0.07 and a variance of 35.2.)

use driftlab::analysis::input::RunShape;
use driftlab::analysis::summary::summarize;
use driftlab::analysis::tables::ResultTables;
use driftlab::results::output;
use driftlab::scenario::{Overrides, Scenario};
use std::path::Path;

mod common;
use common::{arm_rows, run};

fn scenario(steps: u32, replicates: u32, adversary: &str, arms: &str) -> Scenario {
    let surfaces = common::suggestions_only("random");
    let text = format!(
        r#"
name = "cluster-test"
seed = 20
steps = {steps}
replicates = {replicates}

[world]
accounts = 1200
benign_communities = 2
adjacent_communities = 1
adjacent_fraction = 0.1
flagged_accounts = 300

{surfaces}
[panel]
size = 0

[moderation]
recall = 0.3
detection_delay = 1
review_interval = 1

[adversary]
{adversary}

[[probes]]
name = "probe"
count = 1
start = "benign"

{arms}
"#
    );
    common::scenario(&text, "cluster-test")
}

const BAN: &str =
    "[[arms]]\nname = \"ban\"\nmitigations = [{ kind = \"ban_detected\", delay = 1 }]\n";
const BASELINE: &str = "[[arms]]\nname = \"baseline\"\n";

/// One column of `steps.csv` for one arm: `[replicate][step - 1]`.
fn column(csv: &str, arm: &str, name: &str) -> Vec<Vec<f64>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let c = header.iter().position(|h| *h == name).unwrap();
    let mut out: Vec<Vec<f64>> = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] != arm {
            continue;
        }
        let r: usize = f[1].parse().unwrap();
        if out.len() <= r {
            out.resize(r + 1, Vec::new());
        }
        out[r].push(f[c].parse().unwrap());
    }
    out
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Mean of independent values and its standard error.
fn mean_and_se(xs: &[f64]) -> (f64, f64) {
    let (m, n) = (mean(xs), xs.len() as f64);
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn the_steady_level_of_the_active_cluster_is_the_birth_death_formula() {
    let (p, d, r, b, lambda) = (0.3, 1.0, 1.0, 1.0, 4.0);
    let ban_evasion = 0.5;
    let visit = d + b + r * (1.0 - p) / p;
    let predicted = lambda * visit / (1.0 - ban_evasion);
    let s = scenario(
        1100,
        32,
        &format!("ban_evasion = {ban_evasion}\nreturn_delay = 3\nrecruitment_rate = {lambda}\n"),
        BAN,
    );
    let steps = output::steps_csv(&run(&s, 2));
    let active = column(&steps, "ban", "cluster_active");
    assert_eq!(active.len(), 32);
    let burn_in = 100;
    let late: Vec<&[f64]> = active.iter().map(|a| &a[burn_in..]).collect();
    let (m, se) = mean_and_se(&late.iter().map(|a| mean(a)).collect::<Vec<_>>());
    let variances: Vec<f64> = late
        .iter()
        .map(|a| a.iter().map(|x| (x - m).powi(2)).sum::<f64>() / a.len() as f64)
        .collect();
    let (variance, se_variance) = mean_and_se(&variances);
    eprintln!(
        "steady active cluster: simulated {m:.3} (se {se:.3}), predicted {predicted:.3}; \
         variance {variance:.2} (se {se_variance:.2}), Poisson {predicted:.2}"
    );
    assert!(se < 0.01 * predicted, "not tight: se {se} for {predicted}");
    assert!(
        (m - predicted).abs() < 4.5 * se,
        "simulated {m} against predicted {predicted} (se {se})"
    );
    assert!(
        (variance - predicted).abs() < 4.5 * se_variance,
        "variance {variance} (se {se_variance}), Poisson {predicted}"
    );
    // The test can tell a model one step off: a visit one step shorter or longer.
    for off in [-1.0, 1.0] {
        let wrong = lambda * (visit + off) / (1.0 - ban_evasion);
        assert!((m - wrong).abs() > 20.0 * se, "{wrong}");
    }
    // Identities are conserved: active + banned = the world's flagged accounts, every step.
    let banned = column(&steps, "ban", "cluster_banned");
    for (a, b) in active.iter().flatten().zip(banned.iter().flatten()) {
        assert_eq!(a + b, 300.0);
    }
}

#[test]
fn recruitment_is_thread_independent_and_leaves_arms_that_do_not_ban_alone() {
    let adversary =
        "ban_evasion = 0.5\nreturn_delay = 2\nbridge_rate = 0.05\nlexical_evasion = 0.3\n";
    let arms = format!(
        "{BASELINE}\n{BAN}\n[[arms]]\nname = \"ban_search\"\nmitigations = [{{ kind = \"ban_detected\" }}, {{ kind = \"suppress_flagged_search\" }}]\n"
    );
    let recruiting = scenario(
        80,
        3,
        &format!("{adversary}recruitment_rate = 1.5\n"),
        &arms,
    );
    let (one, four) = (run(&recruiting, 1), run(&recruiting, 4));
    let steps = output::steps_csv(&one);
    assert_eq!(steps, output::steps_csv(&four));
    assert_eq!(
        output::probes_csv(&recruiting, &one),
        output::probes_csv(&recruiting, &four)
    );
    // Recruits join the arms that ban, and only them.
    let last = |arm: &str, name: &str| -> Vec<f64> {
        column(&steps, arm, name)
            .iter()
            .map(|r| *r.last().unwrap())
            .collect()
    };
    assert!(last("ban", "cluster_recruited").iter().all(|&x| x > 0.0));
    assert!(last("ban_search", "cluster_recruited")
        .iter()
        .all(|&x| x > 0.0));
    assert!(last("baseline", "cluster_recruited")
        .iter()
        .all(|&x| x == 0.0));
    // Without bans no identity is freed: the baseline is the same bytes without recruitment.
    let still = run(&scenario(80, 3, adversary, &arms), 2);
    let still = output::steps_csv(&still);
    assert_eq!(arm_rows(&steps, "baseline"), arm_rows(&still, "baseline"));
    assert_ne!(arm_rows(&steps, "ban"), arm_rows(&still, "ban"));
    // Counts only grow where they are counts so far.
    for arm in ["baseline", "ban", "ban_search"] {
        for name in ["cluster_returned", "cluster_recruited", "cluster_bridges"] {
            for rep in column(&steps, arm, name) {
                assert!(rep.windows(2).all(|w| w[0] <= w[1]), "{arm} {name}");
            }
        }
    }
    assert!(last("ban_search", "cluster_variants")
        .iter()
        .any(|&x| x > 0.0));

    // The summary's cluster figures are the final-step means over replicates.
    let probes = output::probes_csv(&recruiting, &one);
    let spec = recruiting.spec();
    let shape = RunShape {
        arms: spec.arms.iter().map(|a| a.name.clone()).collect(),
        replicates: spec.replicates,
        steps: spec.steps,
        probe_groups: spec
            .probes
            .iter()
            .map(|g| (g.name.clone(), g.count))
            .collect(),
    };
    let tables = ResultTables::parse(&steps, &probes, &shape, Path::new("x")).unwrap();
    let stats = summarize(&tables);
    for s in &stats {
        for (name, e) in s.cluster.columns() {
            let expected = mean(&last(&s.name, name));
            let got = e.estimate.unwrap();
            assert!(
                (got - expected).abs() < 1e-9,
                "{} {name}: {got} {expected}",
                s.name
            );
            assert!(e.lower.unwrap() >= 0.0);
        }
    }
}

#[test]
fn a_recruitment_rate_out_of_range_is_refused_naming_the_key() {
    for bad in ["-1.0", "10001.0", "nan", "inf"] {
        let text = format!(
            "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[adversary]\nrecruitment_rate = {bad}\n[[arms]]\nname = \"baseline\"\n"
        );
        let err = Scenario::from_toml_str(&text, "t", Path::new("."), &Overrides::default())
            .err()
            .unwrap_or_else(|| panic!("{bad} accepted"))
            .to_string();
        assert!(err.contains("adversary.recruitment_rate"), "{bad}: {err}");
    }
}
