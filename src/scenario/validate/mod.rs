//! Validation of a deserialised scenario: every range, every cross-field rule. The first
//! problem is reported with its key path (e.g. `surfaces.feed.slate`) so the loader can point
//! at the line.
//!
//! Decisions beyond the ranges documented in [`super::spec`]:
//! - `to_adjacent` shares are accepted when the world has no adjacent communities: the
//!   generator then sends those edges to benign communities, so a scenario can switch adjacent
//!   communities off without rewriting its graph.
//! - `world.adjacent_fraction` > 0 with no adjacent communities is accepted (and ignored); the
//!   reverse, adjacent communities with no accounts, is refused.
//! - Community-size rules count accounts exactly as the generator does: at least 2 accounts per
//!   community after the flagged cluster and the adjacent share are taken.
//! - Nothing here reads the imported files beyond their metadata (each must exist and be a
//!   regular file within `world::load::MAX_IMPORT_BYTES`); their contents are checked by
//!   `Experiment::check` and when the world is loaded, and the probes' start communities against the labels
//!   ([`check_start_communities`], run by `Scenario::check_start_communities`).

mod checker;
mod probes;
mod world;

pub(crate) use checker::Problem;
pub(crate) use checker::{is_valid_name, MAX_NAME_LEN, NAME_RULE};
pub(crate) use probes::check_start_communities;

use super::spec::*;
use std::path::Path;

use checker::Checker;
use probes::check_probes;
use world::{check_graph, check_world};

fn check_policy(c: &mut Checker, path: &str, policy: &PolicySpec, nested: bool) {
    match policy {
        PolicySpec::CoFollow(s) => {
            c.range(format!("{path}.samples"), s.samples, 1, 100_000);
            c.range(format!("{path}.segments"), s.segments, 0, 256);
        }
        PolicySpec::Embedding(s) => c.range(format!("{path}.clusters"), s.clusters, 1, 1000),
        PolicySpec::Hybrid(h) => {
            c.ensure(format!("{path}.kind"), !nested, || {
                format!("`{path}.kind` = \"hybrid\": a hybrid policy cannot contain another hybrid")
            });
            let comps = format!("{path}.components");
            c.ensure(comps.clone(), !h.components.is_empty(), || {
                format!("`{comps}` is empty: a hybrid needs at least one component")
            });
            for (i, comp) in h.components.iter().enumerate() {
                let p = format!("{comps}[{i}]");
                c.range(format!("{p}.weight"), comp.weight, 0.0, 1000.0);
                check_policy(c, &format!("{p}.policy"), &comp.policy, true);
            }
            c.ensure(
                comps.clone(),
                h.components.iter().any(|x| x.weight > 0.0),
                || format!("`{comps}`: every weight is 0; at least one must be positive"),
            );
        }
        PolicySpec::Random(_)
        | PolicySpec::Popularity(_)
        | PolicySpec::UniformFollowee(_)
        | PolicySpec::Plugin(_) => {}
    }
}

/// The most points a sweep grid may have.
pub(crate) const MAX_SWEEP_POINTS: usize = 1000;

/// Checks a whole scenario; `base_dir` resolves import paths.
pub(crate) fn check(spec: &ScenarioSpec, base_dir: &Path) -> Option<Problem> {
    let mut c = Checker { first: None };
    c.name("name", &spec.name);
    c.range("steps", spec.steps, 1, 100_000);
    c.range("replicates", spec.replicates, 1, 100_000);
    check_world(&mut c, &spec.world, base_dir);
    check_graph(&mut c, &spec.world.graph);
    check_moderation(&mut c, &spec.moderation, spec.steps);
    let s = &spec.surfaces;
    for (name, surface) in [
        ("search", &s.search),
        ("suggested_accounts", &s.suggested_accounts),
        ("feed", &s.feed),
        ("explore", &s.explore),
    ] {
        let p = format!("surfaces.{name}");
        c.range(format!("{p}.pool"), surface.pool, 1, 10_000);
        let (slate, pool) = (surface.slate, surface.pool);
        c.ensure(format!("{p}.slate"), slate >= 1 && slate <= pool, || {
            if slate == 0 {
                format!("`{p}.slate` = 0 is out of range: expected 1 ..= {pool} (the pool)")
            } else {
                format!(
                    "`{p}.slate` = {slate} is larger than the pool (`{p}.pool` = {pool}): a \
                     slate larger than the pool cannot be filled; expected 1 ..= {pool}"
                )
            }
        });
        check_policy(&mut c, &format!("{p}.policy"), &surface.policy, false);
    }
    check_probes(&mut c, spec);
    c.range(
        "metrics.drift_window",
        spec.metrics.drift_window,
        1,
        spec.steps.max(1),
    );
    c.positive("metrics.drift_threshold", spec.metrics.drift_threshold, 1.0);
    check_arms(&mut c, spec);
    check_panel(&mut c, &spec.panel, spec.steps);
    check_adversary(&mut c, spec);
    let pop = &spec.population;
    c.prob("population.active_share", pop.active_share);
    c.prob("population.search_prob", pop.search_prob);
    c.prob("population.follow_prob", pop.follow_prob);
    c.range(
        "population.choice_sharpness",
        pop.choice_sharpness,
        0.0,
        100.0,
    );
    c.range(
        "population.no_click_affinity",
        pop.no_click_affinity,
        -1.0,
        1.0,
    );
    c.prob("population.estimate_rate", pop.estimate_rate);
    c.ensure(
        "population.graph_refresh",
        pop.graph_refresh.is_none(),
        || {
            "`population.graph_refresh` moved to `surfaces.index_refresh` (one interval for the \
         platform's follow index, whoever follows)"
                .into()
        },
    );
    for (key, values) in &spec.sweep {
        let path = format!("sweep.{key:?}");
        c.ensure(path.clone(), !values.is_empty(), || {
            format!("`{path}` has no values: give at least one, or remove the key")
        });
    }
    // Bounded before any point is expanded (each point is loaded and checked on its own).
    let points = spec
        .sweep
        .values()
        .try_fold(1usize, |n, v| n.checked_mul(v.len().max(1)))
        .unwrap_or(usize::MAX);
    c.ensure("sweep".to_string(), points <= MAX_SWEEP_POINTS, || {
        format!(
            "`sweep` has {} grid points, more than {MAX_SWEEP_POINTS}: split it into several \
             scenarios or sweep fewer values",
            if points == usize::MAX {
                "too many".to_string()
            } else {
                points.to_string()
            }
        )
    });
    c.first
}

fn check_moderation(c: &mut Checker, m: &ModerationSpec, steps: u32) {
    c.prob("moderation.recall", m.recall);
    c.prob("moderation.false_positive_rate", m.false_positive_rate);
    c.prob("moderation.term_recall", m.term_recall);
    c.prob("moderation.report_prob", m.report_prob);
    c.ensure(
        "moderation.detection_delay",
        m.detection_delay <= steps,
        || {
            format!(
            "`moderation.detection_delay` = {} is longer than the horizon (`steps` = {steps}): \
             nothing would ever be labelled",
            m.detection_delay
        )
        },
    );
    c.range(
        "moderation.review_interval",
        m.review_interval,
        0,
        steps.max(1),
    );
    c.range("moderation.report_delay", m.report_delay, 0, steps.max(1));
}

fn check_panel(c: &mut Checker, p: &PanelSpec, steps: u32) {
    c.range("panel.size", p.size, 0, 100_000);
    c.range("panel.every", p.every, 1, steps.max(1));
    c.prob("panel.adjacent_share", p.adjacent_share);
    c.prob("panel.search_prob", p.search_prob);
    c.range("panel.choice_sharpness", p.choice_sharpness, 0.0, 100.0);
    c.range("panel.no_click_affinity", p.no_click_affinity, -1.0, 1.0);
    c.prob("panel.estimate_rate", p.estimate_rate);
}

fn check_adversary(c: &mut Checker, spec: &ScenarioSpec) {
    let a = &spec.adversary;
    c.prob("adversary.lexical_evasion", a.lexical_evasion);
    c.range("adversary.max_variants", a.max_variants, 1, 1_000);
    c.prob("adversary.ban_evasion", a.ban_evasion);
    c.ensure(
        "adversary.return_delay",
        a.return_delay <= spec.steps,
        || {
            format!(
            "`adversary.return_delay` = {} is longer than the horizon (`steps` = {}): no banned \
             account could ever return",
            a.return_delay, spec.steps
        )
        },
    );
    c.range(
        "adversary.recruitment_rate",
        a.recruitment_rate,
        0.0,
        10_000.0,
    );
    c.prob("adversary.bridge_rate", a.bridge_rate);
    c.ensure("adversary.graph_refresh", a.graph_refresh.is_none(), || {
        "`adversary.graph_refresh` moved to `surfaces.index_refresh` (one interval for the \
         platform's follow index, whoever follows)"
            .into()
    });
    c.range(
        "surfaces.index_refresh",
        spec.surfaces.index_refresh,
        1,
        100_000,
    );
    // Adaptation to moderation needs moderation to adapt to.
    for (key, on) in [
        ("adversary.lexical_evasion", a.lexical_evasion > 0.0),
        ("adversary.ban_evasion", a.ban_evasion > 0.0),
    ] {
        c.ensure(key, !on || spec.moderation.enabled, || {
            format!(
                "`{key}` evades moderation, but `moderation.enabled` is false: enable \
                 moderation or set it to 0"
            )
        });
    }
}

fn check_arms(c: &mut Checker, spec: &ScenarioSpec) {
    c.ensure("arms", !spec.arms.is_empty(), || {
        "`arms` is empty: add at least one [[arms]] (e.g. name = \"baseline\")".into()
    });
    for (i, arm) in spec.arms.iter().enumerate() {
        c.name(format!("arms[{i}].name"), &arm.name);
        if let Some(j) = spec.arms[..i].iter().position(|a| a.name == arm.name) {
            c.ensure(format!("arms[{i}].name"), false, || {
                format!(
                    "`arms[{i}].name` = {:?} is already the name of arms[{j}]",
                    arm.name
                )
            });
        }
        for (j, mitigation) in arm.mitigations.iter().enumerate() {
            let k = format!("arms[{i}].mitigations[{j}]");
            c.ensure(
                format!("{k}.kind"),
                spec.moderation.enabled || !mitigation.uses_labels(),
                || {
                    format!(
                        "`{k}.kind` = \"{}\" acts on moderation labels, but \
                         `moderation.enabled` is false: enable moderation or drop it",
                        mitigation.kind()
                    )
                },
            );
            match mitigation {
                MitigationSpec::SuppressFlaggedSearch(s) => {
                    if let Some(p) = s.click_through {
                        c.prob(format!("{k}.click_through"), p);
                    }
                }
                MitigationSpec::DemoteFlagged(d) => c.prob(format!("{k}.factor"), d.factor),
                MitigationSpec::BanDetected(b) => {
                    c.range(format!("{k}.delay"), b.delay, 0, spec.steps)
                }
                MitigationSpec::CofollowDampening(d) => {
                    c.range(format!("{k}.strength"), d.strength, 0.0, 1000.0)
                }
                MitigationSpec::GraphDistanceGuard(g) => {
                    c.range(format!("{k}.hops"), g.hops, 0, 10)
                }
                MitigationSpec::ExposureCap(e) => {
                    c.positive(format!("{k}.max_share"), e.max_share, 1.0)
                }
                MitigationSpec::DiversityInjection(d) => c.prob(format!("{k}.share"), d.share),
                MitigationSpec::Friction(f) => c.prob(format!("{k}.factor"), f.factor),
                MitigationSpec::ExcludeFlaggedFromSuggestions(_) | MitigationSpec::Plugin(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ScenarioSpec {
        toml::from_str(
            "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[[arms]]\nname = \"baseline\"\n",
        )
        .unwrap()
    }

    fn problem(edit: impl FnOnce(&mut ScenarioSpec)) -> Option<Problem> {
        let mut s = spec();
        edit(&mut s);
        check(&s, Path::new("."))
    }

    #[test]
    fn minimal_and_default_scenario_is_valid() {
        assert_eq!(problem(|_| {}), None);
    }

    #[test]
    fn ranges_name_key_and_bounds() {
        let (key, msg) = problem(|s| s.world.accounts = Some(0)).unwrap();
        assert_eq!(key, "world.accounts");
        assert_eq!(
            msg,
            "`world.accounts` = 0 is out of range: expected 2 ..= 50000000"
        );
        let (key, msg) = problem(|s| s.moderation.recall = 1.5).unwrap();
        assert_eq!(key, "moderation.recall");
        assert!(msg.contains("not a probability"), "{msg}");
        let (key, _) = problem(|s| s.world.graph.benign.within = f64::NAN).unwrap();
        assert_eq!(key, "world.graph.benign.within");
    }

    #[test]
    fn cross_field_rules() {
        let (key, msg) = problem(|s| s.world.flagged_accounts = Some(5000)).unwrap();
        assert_eq!(key, "world.flagged_accounts");
        assert!(msg.contains("larger than the world"), "{msg}");
        let (key, _) = problem(|s| s.world.flagged_accounts = Some(0)).unwrap();
        assert_eq!(key, "world.flagged_accounts");
        let (key, msg) = problem(|s| s.surfaces.feed.slate = 120).unwrap();
        assert_eq!(key, "surfaces.feed.slate");
        assert!(
            msg.contains("= 120 is larger than the pool (`surfaces.feed.pool` = 100)"),
            "{msg}"
        );
        let (key, msg) = problem(|s| s.world.accounts = Some(40)).unwrap();
        assert_eq!(key, "world.accounts");
        assert!(msg.contains("too small for the communities"), "{msg}");
        let (key, _) = problem(|s| {
            s.world.benign_communities = 400;
            s.world.adjacent_fraction = 0.9;
        })
        .unwrap();
        assert_eq!(key, "world.adjacent_fraction");
        let (key, _) = problem(|s| s.arms.push(s.arms[0].clone())).unwrap();
        assert_eq!(key, "arms[1].name");
        let (key, msg) = problem(|s| s.world.adjacent_communities = 0).unwrap();
        assert_eq!(key, "probes[0].start");
        assert!(msg.contains("no adjacent communities"), "{msg}");
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let (key, _) = problem(|s| {
            s.world.benign_communities = u32::MAX;
            s.world.adjacent_communities = u32::MAX;
            s.world.flagged_accounts = Some(u64::MAX);
        })
        .unwrap();
        assert_eq!(key, "world.benign_communities");
        let (key, _) = problem(|s| {
            s.probes = vec![
                ProbeGroupSpec {
                    count: u32::MAX,
                    ..ProbeGroupSpec::default()
                };
                3
            ]
        })
        .unwrap();
        assert_eq!(key, "probes");
    }

    #[test]
    fn nested_hybrid_is_refused() {
        let inner = PolicySpec::Hybrid(HybridSpec { components: vec![] });
        let (key, msg) = problem(|s| {
            s.surfaces.feed.policy = PolicySpec::Hybrid(HybridSpec {
                components: vec![HybridComponentSpec {
                    weight: 1.0,
                    policy: inner,
                }],
            })
        })
        .unwrap();
        assert_eq!(key, "surfaces.feed.policy.components[0].policy.kind");
        assert!(msg.contains("cannot contain another hybrid"), "{msg}");
    }
}
