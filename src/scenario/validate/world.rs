//! The rules of `[world]`: a generated world's sizes and graph, or an imported world's files.

use super::checker::Checker;
use crate::scenario::spec::*;
use std::path::Path;

pub(super) fn check_world(c: &mut Checker, w: &WorldSpec, base_dir: &Path) {
    c.range("world.dims", w.dims, 2, 512);
    c.range("world.benign_communities", w.benign_communities, 1, 100_000);
    c.range(
        "world.adjacent_communities",
        w.adjacent_communities,
        0,
        1000,
    );
    c.range(
        "world.community_size_exponent",
        w.community_size_exponent,
        0.0,
        5.0,
    );
    c.range("world.adjacent_fraction", w.adjacent_fraction, 0.0, 0.9);
    c.prob("world.adjacent_mix", w.adjacent_mix);
    c.range("world.content_noise", w.content_noise, 0.0, 10.0);
    c.range("world.interest_noise", w.interest_noise, 0.0, 10.0);
    c.prob("world.mean_activity", w.mean_activity);
    c.range(
        "world.flagged_activity_factor",
        w.flagged_activity_factor,
        0.0,
        100.0,
    );
    c.ensure(
        "world.adjacent_fraction",
        w.adjacent_communities == 0 || w.adjacent_fraction > 0.0,
        || {
            format!(
                "`world.adjacent_fraction` is 0 but `world.adjacent_communities` = {}: give the \
                 adjacent communities a share of the accounts, or set their number to 0",
                w.adjacent_communities
            )
        },
    );
    c.ensure(
        "world.flagged_fraction",
        w.flagged_accounts.is_none() || w.flagged_fraction.is_none(),
        || "`world.flagged_fraction` and `world.flagged_accounts` are both set: give one".into(),
    );
    if let Some(f) = w.flagged_fraction {
        c.positive("world.flagged_fraction", f, 0.5);
    }
    if let Some(n) = w.flagged_accounts {
        c.ensure("world.flagged_accounts", n >= 1, || {
            "`world.flagged_accounts` = 0: the flagged cluster needs at least 1 account".into()
        });
    }
    let t = &w.terms;
    c.range("world.terms.per_community", t.per_community, 1, 100);
    c.range("world.terms.tags_per_account", t.tags_per_account, 1, 16);
    c.prob(
        "world.terms.adjacent_flagged_tag_prob",
        t.adjacent_flagged_tag_prob,
    );
    c.prob("world.terms.stray_tag_prob", t.stray_tag_prob);
    let Some(import) = &w.import else {
        return check_generated_sizes(c, w);
    };
    c.ensure("world.accounts", w.accounts.is_none(), || {
        "`world.accounts` is set but the world is imported: the edge list gives the accounts; \
         remove one of them"
            .into()
    });
    for (key, path, what) in [
        ("world.import.edges", &import.edges, "edge list"),
        ("world.import.labels", &import.labels, "labels file"),
    ] {
        let problem = crate::world::load::file_problem(&base_dir.join(path), what);
        c.ensure(key, problem.is_none(), || {
            format!("`{key}`: {}", problem.unwrap_or_default())
        });
    }
    c.ensure(
        "world.import.adjacent_communities",
        !import
            .adjacent_communities
            .contains(&import.flagged_community),
        || {
            format!(
                "`world.import.adjacent_communities` contains the flagged community ({})",
                import.flagged_community
            )
        },
    );
    if let Some(parents) = &import.adjacent_parents {
        let key = "world.import.adjacent_parents";
        c.ensure(
            key,
            parents.len() == import.adjacent_communities.len(),
            || {
                format!(
                    "`{key}` has {} entries but `world.import.adjacent_communities` has {}: give \
                 one benign community per adjacent community, in the same order",
                    parents.len(),
                    import.adjacent_communities.len()
                )
            },
        );
        let not_benign = parents
            .iter()
            .find(|p| **p == import.flagged_community || import.adjacent_communities.contains(p));
        c.ensure(key, not_benign.is_none(), || {
            format!(
                "`{key}` names {}, the flagged or an adjacent community: a parent must be a \
                 benign community",
                not_benign.copied().unwrap_or_default()
            )
        });
    }
}

/// Sizes of a generated world: enough accounts for every community (counted as the generator
/// does, at least 2 accounts per community).
fn check_generated_sizes(c: &mut Checker, w: &WorldSpec) {
    let Some(n) = w.accounts else {
        return c.ensure("world.accounts", false, || {
            "`world.accounts` is missing: give the number of accounts (2 ..= 50000000) or a \
             [world.import]"
                .into()
        });
    };
    c.range("world.accounts", n, 2, 50_000_000);
    let flagged = w.flagged_accounts.unwrap_or_else(|| {
        ((n as f64) * w.flagged_fraction.unwrap_or(0.01))
            .round()
            .max(1.0) as u64
    });
    let key = if w.flagged_accounts.is_some() {
        "world.flagged_accounts"
    } else {
        "world.flagged_fraction"
    };
    c.ensure(key, flagged < n, || {
        format!(
            "the flagged cluster ({flagged} accounts) is larger than the world: it must be \
             smaller than `world.accounts` = {n}"
        )
    });
    let rest = n.saturating_sub(flagged);
    let (benign, adjacent) = (
        u64::from(w.benign_communities),
        u64::from(w.adjacent_communities),
    );
    let need = 2 * (benign + adjacent);
    c.ensure("world.accounts", rest >= need, || {
        format!(
            "`world.accounts` = {n} is too small for the communities: {} benign and {adjacent} \
             adjacent communities need at least 2 accounts each ({need}) besides the {flagged} \
             flagged accounts",
            benign
        )
    });
    let adjacent_total = if adjacent > 0 {
        ((rest as f64 * w.adjacent_fraction).round() as u64).max(2 * adjacent)
    } else {
        0
    };
    let left = rest.saturating_sub(adjacent_total);
    c.ensure("world.adjacent_fraction", left >= 2 * benign, || {
        format!(
            "`world.adjacent_fraction` = {} leaves {left} accounts for {benign} benign \
             communities, which need at least {}: lower it or raise `world.accounts`",
            w.adjacent_fraction,
            2 * benign
        )
    });
}

pub(super) fn check_graph(c: &mut Checker, g: &GraphSpec) {
    c.range("world.graph.mean_degree", g.mean_degree, 1.0, 10_000.0);
    c.range("world.graph.degree_exponent", g.degree_exponent, 2.05, 10.0);
    c.range("world.graph.max_degree", g.max_degree, 1, 1_000_000);
    c.ensure(
        "world.graph.min_degree",
        f64::from(g.min_degree) <= g.mean_degree && g.min_degree <= g.max_degree,
        || {
            format!(
                "`world.graph.min_degree` = {} must not exceed `mean_degree` ({}) or \
                 `max_degree` ({})",
                g.min_degree, g.mean_degree, g.max_degree
            )
        },
    );
    c.range(
        "world.graph.flagged_degree_factor",
        g.flagged_degree_factor,
        0.0,
        100.0,
    );
    let flagged = [g.flagged.within, g.flagged.to_adjacent, 0.0];
    for (name, shares) in [
        (
            "benign",
            [g.benign.within, g.benign.to_adjacent, g.benign.to_flagged],
        ),
        (
            "adjacent",
            [
                g.adjacent.within,
                g.adjacent.to_adjacent,
                g.adjacent.to_flagged,
            ],
        ),
        ("flagged", flagged),
    ] {
        let p = format!("world.graph.{name}");
        let keys = ["within", "to_adjacent", "to_flagged"];
        let written = if name == "flagged" { 2 } else { 3 };
        for (key, share) in keys.iter().zip(shares).take(written) {
            c.prob(format!("{p}.{key}"), share);
        }
        let sum: f64 = shares.iter().sum();
        c.ensure(p.clone(), sum <= 1.0 + 1e-9, || {
            format!(
                "`{p}`: the edge shares {} = {sum} exceed 1",
                keys[..written].join(" + ")
            )
        });
    }
}
