//! The rules of `[[probes]]`, and their start communities against a world's communities.

use super::checker::{Checker, Problem};
use crate::scenario::spec::*;

pub(super) fn check_probes(c: &mut Checker, spec: &ScenarioSpec) {
    let w = &spec.world;
    c.ensure("probes", !spec.probes.is_empty(), || {
        "`probes` is empty: add at least one [[probes]] group".into()
    });
    let total: u64 = spec.probes.iter().map(|p| u64::from(p.count)).sum();
    c.ensure("probes", total <= 1_000_000, || {
        format!("`probes`: {total} probes in all exceed the limit of 1000000")
    });
    for (i, p) in spec.probes.iter().enumerate() {
        let k = format!("probes[{i}]");
        c.name(format!("{k}.name"), &p.name);
        c.range(format!("{k}.count"), p.count, 1, 1_000_000);
        c.range(format!("{k}.seed_follows"), p.seed_follows, 0, 1000);
        c.range(format!("{k}.top_k"), p.top_k, 1, 1000);
        c.range(
            format!("{k}.choice_sharpness"),
            p.choice_sharpness,
            0.0,
            1000.0,
        );
        for (key, v) in [
            ("similarity_threshold", p.similarity_threshold),
            ("no_click_affinity", p.no_click_affinity),
        ] {
            c.range(format!("{k}.{key}"), v, -1.0, 1.0);
        }
        for (key, v) in [
            ("search_prob", p.search_prob),
            ("query_from_content", p.query_from_content),
            ("follow_prob", p.follow_prob),
            ("interest_drift", p.interest_drift),
            ("estimate_rate", p.estimate_rate),
        ] {
            c.prob(format!("{k}.{key}"), v);
        }
        if w.import.is_none() {
            // An imported world's communities are known once its labels are read: see
            // `check_start_communities`.
            let (benign, adjacent) = (w.benign_communities, w.adjacent_communities);
            check_start(c, &k, p, benign.into(), adjacent.into(), false);
        }
    }
}

/// A probe group's `start` kind has a community, and its `community` index is in range, in a
/// world with `benign` and `adjacent` communities (generated, or `imported` from files).
fn check_start(
    c: &mut Checker,
    k: &str,
    p: &ProbeGroupSpec,
    benign: u64,
    adjacent: u64,
    imported: bool,
) {
    let (kind, available, other, other_available) = match p.start {
        StartSpec::Benign => ("benign", benign, "adjacent", adjacent),
        StartSpec::Adjacent => ("adjacent", adjacent, "benign", benign),
    };
    c.ensure(format!("{k}.start"), available > 0, || {
        let why = match (imported, p.start) {
            (false, _) => format!("`world.{kind}_communities` = 0"),
            (true, StartSpec::Adjacent) => "`world.import.adjacent_communities` is empty".into(),
            (true, StartSpec::Benign) => {
                "every community of `world.import.labels` is the flagged or an adjacent one".into()
            }
        };
        let world = if imported { "imported world" } else { "world" };
        let instead = if other_available > 0 || !imported {
            format!("start them in \"{other}\" communities instead")
        } else {
            "label some accounts with a benign community".into()
        };
        format!(
            "`{k}.start` = \"{kind}\" but the {world} has no {kind} communities ({why}): {instead}"
        )
    });
    if let Some(idx) = p.community {
        c.ensure(format!("{k}.community"), u64::from(idx) < available, || {
            let order = if imported {
                " (in ascending order of their labels)"
            } else {
                ""
            };
            format!(
                "`{k}.community` = {idx} is out of range: there are {available} {kind} \
                 communities, numbered 0 ..= {}{order}",
                available.saturating_sub(1)
            )
        });
    }
}

/// [`check_start`] for every probe group, in a world with `benign` and `adjacent`
/// communities: for an imported world, whose communities are known only once its labels are
/// read.
pub(crate) fn check_start_communities(
    spec: &ScenarioSpec,
    benign: u64,
    adjacent: u64,
) -> Option<Problem> {
    let mut c = Checker { first: None };
    let imported = spec.world.import.is_some();
    for (i, p) in spec.probes.iter().enumerate() {
        check_start(
            &mut c,
            &format!("probes[{i}]"),
            p,
            benign,
            adjacent,
            imported,
        );
    }
    c.first
}
