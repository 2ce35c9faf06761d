//! Validation of a deserialised scenario: every range, every cross-field rule. The first
//! problem is reported with its key path (e.g. `surfaces.feed.slate`) so the loader can point
//! at the line.

use super::spec::*;
use std::fmt::Display;
use std::path::Path;

/// The first problem found: key path and message.
pub(crate) type Problem = (String, String);

struct Checker {
    first: Option<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: String) {
        if self.first.is_none() {
            self.first = Some((path.into(), message));
        }
    }

    fn ensure(&mut self, path: impl Into<String>, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(path, message());
        }
    }

    fn range<T: PartialOrd + Display + Copy>(
        &mut self,
        path: impl Into<String>,
        v: T,
        lo: T,
        hi: T,
    ) {
        let path = path.into();
        let ok = v >= lo && v <= hi; // false for NaN
        self.ensure(path.clone(), ok, || {
            format!("`{path}` = {v} is out of range: expected {lo} ..= {hi}")
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
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !v.starts_with('.');
        self.ensure(path.clone(), ok, || {
            format!("`{path}` = \"{v}\" must be 1 to 64 letters, digits, `_`, `-` or `.` (it names a directory)")
        });
    }
}

fn check_policy(c: &mut Checker, path: &str, policy: &PolicySpec, nested: bool) {
    match policy {
        PolicySpec::CoFollow(s) => c.range(format!("{path}.samples"), s.samples, 1, 100_000),
        PolicySpec::Embedding(s) => c.range(format!("{path}.clusters"), s.clusters, 1, 1000),
        PolicySpec::Hybrid(h) => {
            c.ensure(format!("{path}.kind"), !nested, || {
                format!("`{path}`: a hybrid policy cannot contain another hybrid")
            });
            c.ensure(
                format!("{path}.components"),
                !h.components.is_empty(),
                || format!("`{path}.components` is empty: a hybrid needs at least one component"),
            );
            for (i, comp) in h.components.iter().enumerate() {
                let p = format!("{path}.components[{i}]");
                c.range(format!("{p}.weight"), comp.weight, 0.0, 1000.0);
                check_policy(c, &format!("{p}.policy"), &comp.policy, true);
            }
            c.ensure(
                format!("{path}.components"),
                h.components.iter().any(|x| x.weight > 0.0),
                || format!("`{path}.components`: at least one weight must be positive"),
            );
        }
        PolicySpec::Random(_) | PolicySpec::Popularity(_) | PolicySpec::UniformFollowee(_) => {}
    }
}

/// Checks a whole scenario; `base_dir` resolves import paths.
pub(crate) fn check(spec: &ScenarioSpec, base_dir: &Path) -> Option<Problem> {
    let mut c = Checker { first: None };
    c.name("name", &spec.name);
    c.range("steps", spec.steps, 1, 100_000);
    c.range("replicates", spec.replicates, 1, 100_000);

    let w = &spec.world;
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
    c.ensure("world.adjacent_fraction", w.adjacent_communities == 0 || w.adjacent_fraction > 0.0, || {
        "`world.adjacent_fraction` is 0 but `world.adjacent_communities` > 0: give the adjacent communities a share of accounts".into()
    });
    c.ensure(
        "world.flagged_fraction",
        !(w.flagged_accounts.is_some() && w.flagged_fraction.is_some()),
        || {
            "`world.flagged_fraction` and `world.flagged_accounts` are both set: give one of them"
                .into()
        },
    );
    if let Some(f) = w.flagged_fraction {
        c.ensure("world.flagged_fraction", f > 0.0 && f <= 0.5, || {
            format!("`world.flagged_fraction` = {f} is out of range: expected 0 < fraction <= 0.5")
        });
    }
    match &w.import {
        Some(import) => {
            c.ensure("world.accounts", w.accounts.is_none(), || {
                "`world.accounts` is set but the world is imported: the edge list sets the accounts".into()
            });
            for (key, path) in [("world.import.edges", &import.edges), ("world.import.labels", &import.labels)] {
                let full = base_dir.join(path);
                c.ensure(key, full.is_file(), || format!("`{key}`: file {} does not exist", full.display()));
            }
            c.ensure("world.import.adjacent_communities", !import.adjacent_communities.contains(&import.flagged_community), || {
                "`world.import.adjacent_communities` contains the flagged community".into()
            });
        }
        None => match w.accounts {
            None => c.fail("world.accounts", "`world.accounts` is missing: give the number of accounts (2 ..= 50000000) or a [world.import]".into()),
            Some(n) => {
                c.range("world.accounts", n, 2, 50_000_000);
                let flagged = w
                    .flagged_accounts
                    .unwrap_or_else(|| ((n as f64) * w.flagged_fraction.unwrap_or(0.01)).round().max(1.0) as u64);
                let key = if w.flagged_accounts.is_some() { "world.flagged_accounts" } else { "world.flagged_fraction" };
                c.ensure(key, flagged >= 1 && flagged < n, || {
                    format!("the flagged cluster ({flagged} accounts) must be smaller than the world (`world.accounts` = {n})")
                });
                let need = 2 * u64::from(w.benign_communities + w.adjacent_communities);
                c.ensure("world.accounts", n.saturating_sub(flagged) >= need, || {
                    format!(
                        "`world.accounts` = {n} is too small: {} communities need at least {need} accounts besides the {flagged} flagged",
                        w.benign_communities + w.adjacent_communities
                    )
                });
            }
        },
    }

    let g = &w.graph;
    c.range("world.graph.mean_degree", g.mean_degree, 1.0, 10_000.0);
    c.range("world.graph.degree_exponent", g.degree_exponent, 2.05, 10.0);
    c.range("world.graph.max_degree", g.max_degree, 1, 1_000_000);
    c.ensure("world.graph.min_degree", f64::from(g.min_degree) <= g.mean_degree && g.min_degree <= g.max_degree, || {
        format!("`world.graph.min_degree` = {} must not exceed `mean_degree` ({}) or `max_degree` ({})", g.min_degree, g.mean_degree, g.max_degree)
    });
    c.range(
        "world.graph.flagged_degree_factor",
        g.flagged_degree_factor,
        0.0,
        100.0,
    );
    for (name, m) in [("benign", &g.benign), ("adjacent", &g.adjacent)] {
        let p = format!("world.graph.{name}");
        c.prob(format!("{p}.within"), m.within);
        c.prob(format!("{p}.to_adjacent"), m.to_adjacent);
        c.prob(format!("{p}.to_flagged"), m.to_flagged);
        let sum = m.within + m.to_adjacent + m.to_flagged;
        c.ensure(format!("{p}.within"), sum <= 1.0 + 1e-9, || {
            format!("`{p}`: within + to_adjacent + to_flagged = {sum} exceeds 1")
        });
    }
    c.prob("world.graph.flagged.within", g.flagged.within);
    c.prob("world.graph.flagged.to_adjacent", g.flagged.to_adjacent);
    let sum = g.flagged.within + g.flagged.to_adjacent;
    c.ensure("world.graph.flagged.within", sum <= 1.0 + 1e-9, || {
        format!("`world.graph.flagged`: within + to_adjacent = {sum} exceeds 1")
    });

    let t = &w.terms;
    c.range("world.terms.per_community", t.per_community, 1, 100);
    c.range("world.terms.tags_per_account", t.tags_per_account, 1, 16);
    c.prob(
        "world.terms.adjacent_flagged_tag_prob",
        t.adjacent_flagged_tag_prob,
    );
    c.prob("world.terms.stray_tag_prob", t.stray_tag_prob);

    let m = &spec.moderation;
    c.prob("moderation.recall", m.recall);
    c.prob("moderation.false_positive_rate", m.false_positive_rate);
    c.prob("moderation.term_recall", m.term_recall);
    c.prob("moderation.report_prob", m.report_prob);
    c.ensure("moderation.detection_delay", m.detection_delay <= spec.steps, || {
        format!(
            "`moderation.detection_delay` = {} is longer than the horizon (`steps` = {}): nothing would ever be labelled",
            m.detection_delay, spec.steps
        )
    });
    c.range(
        "moderation.review_interval",
        m.review_interval,
        0,
        spec.steps.max(1),
    );
    c.range(
        "moderation.report_delay",
        m.report_delay,
        0,
        spec.steps.max(1),
    );

    let s = &spec.surfaces;
    for (name, surface) in [
        ("search", &s.search),
        ("suggested_accounts", &s.suggested_accounts),
        ("feed", &s.feed),
        ("explore", &s.explore),
    ] {
        let p = format!("surfaces.{name}");
        c.range(format!("{p}.pool"), surface.pool, 1, 10_000);
        c.ensure(format!("{p}.slate"), surface.slate >= 1 && surface.slate <= surface.pool, || {
            format!("`{p}.slate` = {} must be between 1 and the pool (`{p}.pool` = {}): a slate cannot be larger than the pool", surface.slate, surface.pool)
        });
        check_policy(&mut c, &format!("{p}.policy"), &surface.policy, false);
    }

    c.ensure("probes", !spec.probes.is_empty(), || {
        "`probes` is empty: add at least one [[probes]] group".into()
    });
    let total: u64 = spec.probes.iter().map(|p| u64::from(p.count)).sum();
    c.ensure("probes", total <= 1_000_000, || {
        format!("{total} probes in all exceed the limit of 1000000")
    });
    for (i, p) in spec.probes.iter().enumerate() {
        let k = format!("probes[{i}]");
        c.name(format!("{k}.name"), &p.name);
        c.range(format!("{k}.count"), p.count, 1, 1_000_000);
        c.range(format!("{k}.seed_follows"), p.seed_follows, 0, 1000);
        c.prob(format!("{k}.search_prob"), p.search_prob);
        c.prob(format!("{k}.query_from_content"), p.query_from_content);
        c.prob(format!("{k}.follow_prob"), p.follow_prob);
        c.range(format!("{k}.top_k"), p.top_k, 1, 1000);
        c.range(
            format!("{k}.similarity_threshold"),
            p.similarity_threshold,
            -1.0,
            1.0,
        );
        c.range(
            format!("{k}.choice_sharpness"),
            p.choice_sharpness,
            0.0,
            1000.0,
        );
        c.range(
            format!("{k}.no_click_affinity"),
            p.no_click_affinity,
            -1.0,
            1.0,
        );
        c.prob(format!("{k}.interest_drift"), p.interest_drift);
        c.prob(format!("{k}.estimate_rate"), p.estimate_rate);
        if w.import.is_none() {
            let available = match p.start {
                StartSpec::Benign => w.benign_communities,
                StartSpec::Adjacent => w.adjacent_communities,
            };
            c.ensure(format!("{k}.start"), available > 0, || {
                format!(
                    "`{k}.start` = \"{}\" but the world has no such community",
                    if p.start == StartSpec::Adjacent {
                        "adjacent"
                    } else {
                        "benign"
                    }
                )
            });
            if let Some(idx) = p.community {
                c.ensure(format!("{k}.community"), idx < available, || {
                    format!(
                        "`{k}.community` = {idx} is out of range: expected 0 ..= {}",
                        available.saturating_sub(1)
                    )
                });
            }
        }
    }

    c.range(
        "metrics.drift_window",
        spec.metrics.drift_window,
        1,
        spec.steps.max(1),
    );
    let th = spec.metrics.drift_threshold;
    c.ensure("metrics.drift_threshold", th > 0.0 && th <= 1.0, || {
        format!("`metrics.drift_threshold` = {th} is out of range: expected 0 < threshold <= 1")
    });

    c.ensure("arms", !spec.arms.is_empty(), || {
        "no [[arms]]: add at least one arm (e.g. name = \"baseline\")".into()
    });
    for (i, arm) in spec.arms.iter().enumerate() {
        c.name(format!("arms[{i}].name"), &arm.name);
        for (j, mitigation) in arm.mitigations.iter().enumerate() {
            let k = format!("arms[{i}].mitigations[{j}]");
            c.ensure(format!("{k}.kind"), spec.moderation.enabled || !mitigation.uses_labels(), || {
                format!(
                    "`{k}` = {} acts on moderation labels, but `moderation.enabled` is false: enable moderation or drop it",
                    mitigation.kind()
                )
            });
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
                MitigationSpec::ExposureCap(e) => c.ensure(
                    format!("{k}.max_share"),
                    e.max_share > 0.0 && e.max_share <= 1.0,
                    || {
                        format!(
                            "`{k}.max_share` = {} is out of range: expected 0 < share <= 1",
                            e.max_share
                        )
                    },
                ),
                MitigationSpec::DiversityInjection(d) => c.prob(format!("{k}.share"), d.share),
                MitigationSpec::Friction(f) => c.prob(format!("{k}.factor"), f.factor),
                MitigationSpec::ExcludeFlaggedFromSuggestions(_) => {}
            }
        }
        if let Some(j) = spec.arms[..i].iter().position(|a| a.name == arm.name) {
            c.fail(
                format!("arms[{i}].name"),
                format!("arm name \"{}\" is used twice (arms {j} and {i})", arm.name),
            );
        }
    }
    c.first
}
