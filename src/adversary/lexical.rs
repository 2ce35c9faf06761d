//! Lexical evasion: the variant spellings of flagged terms and the postings the platform
//! sees for them.

use super::Adversary;
use crate::ids::TermId;
use crate::platform::Labels;
use crate::world::World;

impl Adversary {
    /// The spelling a moving account of family `f` adopts: the newest one not labelled now, or
    /// a new variant (labelled later by the classifier's own draw) while the budget lasts.
    pub(super) fn variant_for(
        &mut self,
        f: usize,
        step: u32,
        labels: &mut Labels,
        rng: &mut crate::rng::SimRng,
    ) -> Option<TermId> {
        if let Some(&v) = self.families[f]
            .spellings
            .iter()
            .rev()
            .find(|&&v| !labels.term(v))
        {
            return Some(v);
        }
        if self.families[f].spellings.len() > self.spec.max_variants as usize {
            return None;
        }
        let id = TermId(self.overlay.family_of.len() as u32);
        let found = self.first_label(self.moderation.term_recall, step, rng);
        labels.add_term(found);
        self.overlay.family_of.push(f as u32);
        self.overlay.postings.push(Vec::new());
        self.families[f].spellings.push(id);
        self.stats.variants += 1;
        Some(id)
    }

    pub(super) fn rebuild_postings(&mut self, world: &World) {
        for family in &self.families {
            for &t in &family.spellings {
                self.overlay.postings[t.index()].clear();
            }
        }
        // Accounts outside the cluster that use a flagged base term keep it.
        for family in &self.families {
            let base = family.spellings[0];
            let truth = world.truth();
            for &a in world.term_postings(base) {
                if !truth.is_flagged(a) {
                    self.overlay.postings[base.index()].push(a);
                }
            }
        }
        for (i, &a) in self.overlay.accounts.iter().enumerate() {
            for &t in &self.overlay.tags[i] {
                if self
                    .overlay
                    .family_of
                    .get(t.index())
                    .is_some_and(|&f| f != u32::MAX)
                {
                    self.overlay.postings[t.index()].push(a);
                }
            }
        }
        let graph = world.graph();
        for family in &self.families {
            for &t in &family.spellings {
                let p = &mut self.overlay.postings[t.index()];
                p.sort_unstable_by(|x, y| {
                    graph
                        .followers(*y)
                        .len()
                        .cmp(&graph.followers(*x).len())
                        .then(x.cmp(y))
                });
            }
        }
        self.postings_dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{adversary, world};
    use super::*;
    use crate::live_graph::LiveGraph;
    use crate::mitigation::{Mitigation, MitigationStack};
    use crate::scenario::spec::{AdversarySpec, ModerationSpec};

    #[test]
    fn lexical_evasion_moves_tags_to_unlabelled_variants_with_their_own_postings() {
        let w = world();
        let spec = AdversarySpec {
            lexical_evasion: 1.0,
            ..AdversarySpec::default()
        };
        let moderation = ModerationSpec {
            detection_delay: 3,
            ..ModerationSpec::default()
        };
        let stack = MitigationStack::from_specs(&[
            crate::scenario::spec::MitigationSpec::SuppressFlaggedSearch(Default::default()),
        ]);
        let mut adv = adversary(&w, &spec, &moderation, 20, stack.capabilities());
        let mut labels = Labels::none(w.accounts(), w.terms());
        let flagged_terms: Vec<TermId> = (0..w.terms() as u32)
            .map(TermId)
            .filter(|&t| w.truth().is_flagged_term(t))
            .collect();
        for &t in &flagged_terms {
            labels.set_term(t, true);
        }
        labels.advance(1);
        adv.step(1, &w, &mut labels, &mut LiveGraph::new());
        assert!(adv.stats().variants > 0 && adv.stats().moves > 0);
        let f = adv.overlay.accounts[0];
        let tags = adv.overlay().tags(f).unwrap();
        for &t in tags {
            assert!(!labels.term(t), "moved to an unlabelled spelling");
            if t.index() >= w.terms() {
                assert!(adv.overlay().postings(t).unwrap().contains(&f));
            }
        }
        // The base terms no longer list flagged accounts that moved.
        for &t in &flagged_terms {
            assert!(adv
                .overlay()
                .postings(t)
                .unwrap()
                .iter()
                .all(|&a| !w.truth().is_flagged(a)));
        }
        // Every moved account is active (no arm bans here), so every variant created is in use.
        let c = adv.cluster(&labels);
        assert_eq!(c.variants, f64::from(adv.stats().variants));
        assert_eq!(
            (c.active, c.banned),
            (adv.overlay.accounts.len() as f64, 0.0)
        );
        // Variants are caught after the detection delay.
        labels.advance(4);
        assert!((w.terms()..adv.overlay().terms()).all(|t| labels.term(TermId(t as u32))));
    }
}
