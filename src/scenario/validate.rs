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

use super::spec::*;
use std::fmt::Display;
use std::path::Path;

/// The first problem found: key path and message.
pub(crate) type Problem = (String, String);

/// Collects the first failed check; later checks still run but cannot overwrite it, so every
/// check must be safe on values that an earlier check refused (no overflow, no division).
struct Checker {
    first: Option<Problem>,
}

impl Checker {
    fn ensure(&mut self, path: impl Into<String>, ok: bool, message: impl FnOnce() -> String) {
        if !ok && self.first.is_none() {
            self.first = Some((path.into(), message()));
        }
    }

    /// `lo <= v <= hi` (false for NaN).
    fn range<T: PartialOrd + Display + Copy>(
        &mut self,
        path: impl Into<String>,
        v: T,
        lo: T,
        hi: T,
    ) {
        let path = path.into();
        let ok = v >= lo && v <= hi;
        self.ensure(path.clone(), ok, || {
            format!("`{path}` = {v} is out of range: expected {lo} ..= {hi}")
        });
    }

    /// `0 < v <= hi` (false for NaN).
    fn positive(&mut self, path: impl Into<String>, v: f64, hi: f64) {
        let path = path.into();
        self.ensure(path.clone(), v > 0.0 && v <= hi, || {
            format!("`{path}` = {v} is out of range: expected 0 < value <= {hi}")
        });
    }

    fn prob(&mut self, path: impl Into<String>, v: f64) {
        let path = path.into();
        self.ensure(path.clone(), (0.0..=1.0).contains(&v), || {
            format!("`{path}` = {v} is not a probability: expected 0 ..= 1")
        });
    }

    fn name(&mut self, path: impl Into<String>, v: &str) {
        let path = path.into();
        self.ensure(path.clone(), is_valid_name(v), || {
            format!("`{path}` = {v:?} must be {NAME_RULE} (it names a directory)")
        });
    }
}

/// The longest name of a scenario, an arm or a probe group, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 64;

/// What a valid name is, for messages.
pub(crate) const NAME_RULE: &str =
    "1 to 64 letters, digits, `_`, `-` or `.`, not starting with `.`";

/// Whether `v` is a valid name of a scenario, an arm or a probe group (names become directory
/// and file names, so nothing that could leave a directory): [`NAME_RULE`]. Names read back
/// from results files are checked with the same rule.
pub(crate) fn is_valid_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_NAME_LEN
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !v.starts_with('.')
}

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
    check_panel(&mut c, &spec.panel);
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

fn check_world(c: &mut Checker, w: &WorldSpec, base_dir: &Path) {
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

fn check_graph(c: &mut Checker, g: &GraphSpec) {
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

fn check_panel(c: &mut Checker, p: &PanelSpec) {
    c.range("panel.size", p.size, 0, 100_000);
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

fn check_probes(c: &mut Checker, spec: &ScenarioSpec) {
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
