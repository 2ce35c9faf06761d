//! Ban evasion and recruitment: which bans the adversary follows, the returns of banned
//! identities and the recruits that take freed ones.

use super::{Adversary, RECRUITS};
use crate::platform::Labels;
use rand::RngExt;

impl Adversary {
    /// Decides the bans that have come: every flagged identity whose label is at least `after`
    /// steps old now is banned (exactly when `ban_detected` removes it from the platform) and,
    /// with probability `ban_evasion`, its return is scheduled `return_delay` steps later;
    /// otherwise its identity is free for a recruit from the next step on. One draw per newly
    /// banned identity, in account order (none when `ban_evasion` is 0).
    ///
    /// It runs before the step's returns and again after them when any arrived: a returned
    /// identity labelled at once (`detection_delay` 0 and a first review that succeeds, with a
    /// ban delay of 0) is then banned in the step it returns, as the platform bans it, not one
    /// step later. Only such identities are decided by the second pass, so a scenario with a
    /// detection or ban delay of at least one step draws exactly as with a single pass.
    pub(super) fn decide_bans(
        &mut self,
        after: u32,
        labels: &Labels,
        rng: &mut crate::rng::SimRng,
    ) {
        let now = labels.now();
        for i in 0..self.overlay.accounts.len() {
            let a = self.overlay.accounts[i];
            match labels.labelled_since(a) {
                Some(since) if !self.ban_decided[i] && since.saturating_add(after) <= now => {
                    self.ban_decided[i] = true;
                    if self.spec.ban_evasion > 0.0 && rng.random_bool(self.spec.ban_evasion) {
                        self.returns
                            .push((now.saturating_add(self.spec.return_delay), a));
                    } else {
                        self.vacant.push(i);
                    }
                }
                _ => {}
            }
        }
    }

    /// Brings back the banned identities whose return is due (in the order their returns were
    /// scheduled), each a fresh, unlabelled account with its own classifier draw; returns
    /// whether any came back. An identity returns at most once per step: one banned again at
    /// once by the second ban pass with `return_delay` 0 comes back the next step.
    pub(super) fn arrive(&mut self, labels: &mut Labels, rng: &mut crate::rng::SimRng) -> bool {
        let now = labels.now();
        let mut any = false;
        let mut k = 0;
        while k < self.returns.len() {
            let (at, a) = self.returns[k];
            if at <= now {
                self.returns.remove(k);
                // A fresh identity: unlabelled until the classifier finds it again.
                let found = self.first_label(self.moderation.recall, now, rng);
                labels.relabel(a, found);
                if let Ok(i) = self.overlay.accounts.binary_search(&a) {
                    self.ban_decided[i] = false;
                }
                self.stats.returns += 1;
                any = true;
            } else {
                k += 1;
            }
        }
        any
    }

    /// Recruits of step `step`, from its recruitment stream: a Poisson number with mean
    /// `recruitment_rate`, each taking a uniformly random free identity (while there is one)
    /// and labelled by its own classifier draw, as a returned identity is.
    pub(super) fn recruit(&mut self, step: u32, labels: &mut Labels) {
        if self.spec.recruitment_rate <= 0.0 {
            return;
        }
        let mut rng = self.streams.agent(RECRUITS + u64::from(step));
        let joining = crate::rng::poisson(&mut rng, self.spec.recruitment_rate);
        let now = labels.now();
        for _ in 0..joining {
            if self.vacant.is_empty() {
                break;
            }
            let i = self
                .vacant
                .swap_remove(crate::rng::index(&mut rng, self.vacant.len()));
            let found = self.first_label(self.moderation.recall, now, &mut rng);
            labels.relabel(self.overlay.accounts[i], found);
            self.ban_decided[i] = false;
            self.stats.recruits += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{adversary, world};
    use super::*;
    use crate::live_graph::LiveGraph;
    use crate::mitigation::{Mitigation, MitigationStack};
    use crate::rng::{SeedTree, StreamId};
    use crate::scenario::spec::{AdversarySpec, ModerationSpec};
    use crate::world::World;

    /// An adversary in an arm that bans at once (`ban_detected`, delay 0) under a classifier
    /// that labels every flagged identity the step it appears (recall 1, no delay), so every
    /// identity, fresh or returned, is banned the step it is labelled.
    fn banning(w: &World, spec: &AdversarySpec, horizon: u32) -> (Adversary, Labels) {
        let moderation = ModerationSpec::default();
        let stack =
            MitigationStack::from_specs(&[crate::scenario::spec::MitigationSpec::BanDetected(
                crate::scenario::spec::BanSpec { delay: 0 },
            )]);
        let tree = SeedTree::new(3);
        let adv = adversary(w, spec, &moderation, horizon, stack.capabilities());
        let labels = Labels::classify(
            w,
            &moderation,
            horizon,
            &mut tree.stream(0, StreamId::Moderation),
        );
        (adv, labels)
    }

    #[test]
    fn a_returned_identity_labelled_at_once_is_banned_in_the_step_it_returns_like_a_fresh_one() {
        let w = world();
        let spec = AdversarySpec {
            ban_evasion: 1.0,
            return_delay: 2,
            ..AdversarySpec::default()
        };
        let (mut adv, mut labels) = banning(&w, &spec, 20);
        let n = adv.overlay.accounts.len() as u32;
        assert!(n > 0);
        let mut returns = Vec::new();
        for step in 1..=9 {
            labels.advance(step);
            adv.step(step, &w, &mut labels, &mut LiveGraph::new());
            returns.push(adv.stats().returns / n);
            // The adversary's record of bans is the platform's: `ban_detected` with delay 0
            // removes exactly the identities labelled by now.
            for (i, &a) in adv.overlay.accounts.iter().enumerate() {
                assert_eq!(
                    adv.ban_decided[i],
                    labels.labelled_since(a).is_some(),
                    "step {step}, account {a:?}"
                );
            }
        }
        // Fresh identities are labelled at step 0, banned at step 1 and back at step 3; each
        // return is labelled and banned in the step it comes back (3, 5, 7, 9) and is back
        // `return_delay` = 2 steps later. Were bans decided only before the returns, a
        // returned identity would be banned one step late and come back at 3, 6, 9.
        assert_eq!(returns, [0, 0, 1, 1, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn recruits_take_identities_freed_by_bans_and_a_recruit_labelled_at_once_is_banned_at_once() {
        let w = world();
        let spec = AdversarySpec {
            recruitment_rate: 1000.0,
            ..AdversarySpec::default()
        };
        let (mut adv, mut labels) = banning(&w, &spec, 20);
        let n = adv.overlay.accounts.len() as u32;
        assert!(n > 0);
        for step in 1..=5 {
            labels.advance(step);
            adv.step(step, &w, &mut labels, &mut LiveGraph::new());
            // Step 1 bans every identity (nothing was free before it); from step 2 on, recruits
            // take every freed identity, are labelled and banned in the step they join, and
            // free it again.
            assert_eq!(adv.stats().recruits, n * (step - 1), "step {step}");
            assert_eq!(adv.vacant.len() as u32, n);
            for &a in &adv.overlay.accounts {
                assert_eq!(
                    labels.labelled_since(a),
                    Some(if step == 1 { 0 } else { step })
                );
            }
        }
        assert_eq!(adv.stats().returns, 0);

        // An arm that does not ban frees no identity: no one joins, no label changes.
        let mut adv = adversary(
            &w,
            &spec,
            &ModerationSpec::default(),
            20,
            MitigationStack::new(Vec::new()).capabilities(),
        );
        assert!(!adv.active());
        let before = labels.clone();
        adv.step(6, &w, &mut labels, &mut LiveGraph::new());
        assert_eq!((adv.stats().recruits, &labels), (0, &before));
    }
}
