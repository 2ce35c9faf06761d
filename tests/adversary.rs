//! Mitigations under realistic moderation: recall 0 turns every label-based mitigation into the
//! baseline byte for byte, lexical evasion erodes search suppression over time, banned accounts
//! come back, bridges change co-follow, and all of it stays deterministic across thread counts.

use driftlab::results::output;
use driftlab::scenario::Scenario;

mod common;
use common::{arm_rows, run};

/// A small world where probes search and follow co-follow suggestions.
fn scenario(extra: &str, arms: &str) -> Scenario {
    let text = format!(
        r#"
name = "adversary-test"
seed = 11
steps = 60
replicates = 4

[world]
accounts = 3000
benign_communities = 8
adjacent_communities = 2
adjacent_fraction = 0.1
flagged_accounts = 60

[world.graph]
mean_degree = 14
flagged_degree_factor = 3.0
adjacent = {{ within = 0.6, to_adjacent = 0.05, to_flagged = 0.1 }}
flagged = {{ within = 0.75, to_adjacent = 0.25 }}

[world.terms]
adjacent_flagged_tag_prob = 0.3

[surfaces.search]
policy = {{ kind = "popularity" }}
pool = 20
slate = 10

[surfaces.suggested_accounts]
policy = {{ kind = "co_follow", samples = 100 }}
pool = 20
slate = 5

[surfaces.explore]
policy = {{ kind = "embedding" }}
pool = 20
slate = 5

[panel]
size = 20

[[probes]]
name = "searcher"
count = 30
start = "adjacent"
search_prob = 1.0
query_from_content = 0.9
follow_prob = 0.3

{extra}

[[arms]]
name = "baseline"
{arms}
"#
    );
    common::scenario(&text, "adversary-test")
}

/// Every mitigation of the catalogue that acts on labels.
const LABEL_BASED: [(&str, &str); 7] = [
    ("suppress", r#"{ kind = "suppress_flagged_search" }"#),
    (
        "exclude",
        r#"{ kind = "exclude_flagged_from_suggestions" }"#,
    ),
    ("demote", r#"{ kind = "demote_flagged" }"#),
    ("ban", r#"{ kind = "ban_detected", delay = 1 }"#),
    ("dampening", r#"{ kind = "cofollow_dampening" }"#),
    ("guard", r#"{ kind = "graph_distance_guard", hops = 1 }"#),
    ("friction", r#"{ kind = "friction", factor = 0.1 }"#),
];

const ADAPTING: &str = "[surfaces]\nindex_refresh = 2\n[adversary]\nlexical_evasion = 0.5\nban_evasion = 0.5\nreturn_delay = 2\nbridge_rate = 0.05\n";

#[test]
fn recall_zero_makes_every_label_based_mitigation_the_baseline_byte_for_byte() {
    let arms: String = LABEL_BASED
        .iter()
        .map(|(name, m)| format!("\n[[arms]]\nname = \"{name}\"\nmitigations = [{m}]\n"))
        .collect();
    let moderation = "[moderation]\nrecall = 0.0\nterm_recall = 0.0\nfalse_positive_rate = 0.0\nreport_prob = 0.0\n";
    let s = scenario(&format!("{moderation}\n{ADAPTING}"), &arms);
    let result = run(&s, 2);
    let (steps, probes) = (output::steps_csv(&result), output::probes_csv(&s, &result));
    let (base_steps, base_probes) = (arm_rows(&steps, "baseline"), arm_rows(&probes, "baseline"));
    assert_eq!(base_steps.len(), 4 * 60);
    for (name, _) in LABEL_BASED {
        assert_eq!(
            arm_rows(&steps, name),
            base_steps,
            "{name}: steps.csv differs"
        );
        assert_eq!(
            arm_rows(&probes, name),
            base_probes,
            "{name}: probes.csv differs"
        );
    }
    // With some recall the same arms do differ (the test can fail).
    let s = scenario(&format!("[moderation]\nrecall = 0.9\n\n{ADAPTING}"), &arms);
    let result = run(&s, 2);
    let steps = output::steps_csv(&result);
    let base = arm_rows(&steps, "baseline");
    assert_ne!(arm_rows(&steps, "exclude"), base);
    assert_ne!(arm_rows(&steps, "suppress"), base);
}

/// Mean over replicates and the given steps of one `steps.csv` column for one arm.
fn column_mean(csv: &str, arm: &str, column: &str, steps: std::ops::RangeInclusive<u32>) -> f64 {
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let c = header.iter().position(|h| *h == column).unwrap();
    let (mut sum, mut n) = (0.0, 0);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let step: u32 = f[2].parse().unwrap();
        if f[0] == arm && steps.contains(&step) {
            if let Ok(x) = f[c].parse::<f64>() {
                sum += x;
                n += 1;
            }
        }
    }
    if n == 0 {
        f64::NAN
    } else {
        sum / f64::from(n)
    }
}

#[test]
fn lexical_evasion_erodes_search_suppression_over_time() {
    let arms =
        "\n[[arms]]\nname = \"suppress\"\nmitigations = [{ kind = \"suppress_flagged_search\" }]\n";
    let moderation = "[moderation]\nrecall = 0.0\nterm_recall = 1.0\ndetection_delay = 15\nreview_interval = 15\n";
    let evading = scenario(
        &format!("{moderation}\n[adversary]\nlexical_evasion = 0.3\n"),
        arms,
    );
    let static_ = scenario(moderation, arms);
    let (e, s) = (run(&evading, 2), run(&static_, 2));
    let (e, s) = (output::steps_csv(&e), output::steps_csv(&s));
    let col = "flagged_impressions_search";
    // Before the first detection (step 15) suppression has nothing to act on: identical.
    let early = 1..=14;
    assert_eq!(
        column_mean(&e, "suppress", col, early.clone()),
        column_mean(&s, "suppress", col, early)
    );
    // Without evasion, suppression holds once terms are labelled; with evasion, flagged
    // accounts move to new spellings the classifier has not caught yet, and flagged search
    // results come back.
    let late = 30..=60;
    let held = column_mean(&s, "suppress", col, late.clone());
    let eroded = column_mean(&e, "suppress", col, late.clone());
    let unmitigated = column_mean(&s, "baseline", col, late);
    assert!(
        eroded > held + 0.2 * (unmitigated - held),
        "evasion should erode suppression: held {held:.3}, eroded {eroded:.3}, baseline {unmitigated:.3}"
    );
    // Only an arm that suppresses terms triggers evasion: the baselines are identical.
    assert_eq!(arm_rows(&e, "baseline"), arm_rows(&s, "baseline"));
}

#[test]
fn banned_accounts_return_and_bridges_feed_co_follow() {
    let arms = "\n[[arms]]\nname = \"ban\"\nmitigations = [{ kind = \"ban_detected\" }]\n";
    let returning = scenario(
        "[moderation]\nrecall = 1.0\ndetection_delay = 4\n\n[adversary]\nban_evasion = 1.0\nreturn_delay = 3\n",
        arms,
    );
    let r = run(&returning, 2);
    let stats = r.run(0, 1).adversary;
    assert!(stats.returns > 0, "{stats:?}");
    assert_eq!(r.run(0, 0).adversary.returns, 0, "no bans, no returns");
    // Returned accounts are unlabelled for a while: the realised recall dips below 1.
    let steps = output::steps_csv(&r);
    let header: Vec<&str> = steps.lines().next().unwrap().split(',').collect();
    let c = header
        .iter()
        .position(|h| *h == "flagged_labelled")
        .unwrap();
    let dips = arm_rows(&steps, "ban")
        .iter()
        .filter(|l| l.split(',').nth(c - 1).unwrap().parse::<f64>().unwrap() < 1.0)
        .count();
    assert!(dips > 0);

    let bridging = scenario(
        "[surfaces]\nindex_refresh = 1\n[adversary]\nbridge_rate = 0.2\n",
        "",
    );
    let quiet = scenario("", "");
    let (b, q) = (run(&bridging, 2), run(&quiet, 2));
    assert!(b.run(0, 0).adversary.bridges > 0);
    // The bridges change what co-follow serves (their structure is checked in the unit tests
    // of `adversary`; their net effect on drift is what the mitigation matrix measures).
    assert_ne!(
        arm_rows(&output::steps_csv(&b), "baseline"),
        arm_rows(&output::steps_csv(&q), "baseline")
    );
}

#[test]
fn adapting_adversary_and_panel_are_identical_on_1_and_4_threads() {
    let arms: String = LABEL_BASED
        .iter()
        .take(4)
        .map(|(name, m)| format!("\n[[arms]]\nname = \"{name}\"\nmitigations = [{m}]\n"))
        .collect();
    let s = scenario(
        &format!("[moderation]\nrecall = 0.7\nfalse_positive_rate = 0.01\nreport_prob = 0.1\n\n{ADAPTING}"),
        &arms,
    );
    let (one, four) = (run(&s, 1), run(&s, 4));
    assert_eq!(output::steps_csv(&one), output::steps_csv(&four));
    assert_eq!(output::probes_csv(&s, &one), output::probes_csv(&s, &four));
    // Debug text: NaN (an empty metric) compares unequal to itself with `==`.
    assert_eq!(format!("{one:?}"), format!("{four:?}"));
}

#[test]
fn living_population_changes_the_graph_and_stays_identical_on_1_and_4_threads() {
    let arms = "\n[[arms]]\nname = \"exclude\"\nmitigations = [{ kind = \"exclude_flagged_from_suggestions\" }]\n";
    let living = scenario(
        "[surfaces]\nindex_refresh = 3\n[population]\nactive_share = 0.2\nfollow_prob = 0.5\n\n[adversary]\nbridge_rate = 0.05\n",
        arms,
    );
    let (one, four) = (run(&living, 1), run(&living, 4));
    let steps = output::steps_csv(&one);
    assert_eq!(steps, output::steps_csv(&four));
    // Debug text: NaN (an empty metric) compares unequal to itself with `==`.
    assert_eq!(format!("{one:?}"), format!("{four:?}"));
    // The population is served and sees the cluster; its follows change what probes are shown.
    let share = column_mean(&steps, "baseline", "population_flagged_share", 1..=60);
    assert!(share > 0.0 && share < 1.0, "{share}");
    let static_ = run(&scenario("[adversary]\nbridge_rate = 0.05\n", arms), 2);
    let static_steps = output::steps_csv(&static_);
    assert!(column_mean(
        &static_steps,
        "baseline",
        "population_flagged_share",
        1..=60
    )
    .is_nan());
    assert_ne!(
        arm_rows(&steps, "baseline"),
        arm_rows(&static_steps, "baseline")
    );
}

#[test]
fn the_index_refresh_interval_is_one_key_whoever_follows() {
    let living = |refresh: u32, adversary: &str| {
        let extra = format!(
            "[surfaces]\nindex_refresh = {refresh}\n\n\
             [population]\nactive_share = 0.2\nfollow_prob = 0.5\n\n\
             [adversary]\n{adversary}\n"
        );
        output::steps_csv(&run(&scenario(&extra, ""), 2))
    };
    // The population's follows become visible at the interval asked for...
    assert!(
        living(2, "") != living(6, ""),
        "surfaces.index_refresh did not change a run with a living population"
    );
    // ... and nothing else caps it: bridges are seen at the same interval.
    assert!(
        living(6, "bridge_rate = 0.05") != living(2, "bridge_rate = 0.05"),
        "surfaces.index_refresh did not change a run with bridges"
    );
}
