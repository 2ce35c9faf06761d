//! The panel of ordinary accounts on which the collateral cost of a mitigation is measured.
//!
//! A mitigation that slows drift may also take relevant content away from everyone else: a
//! classifier with false positives hides benign accounts, an exposure cap or diversity slots
//! push less relevant items into slates. To measure that, each replicate draws a panel of
//! ordinary accounts (benign, plus a share from adjacent communities, the accounts a mitigation
//! is most likely to catch) and serves them every surface every step, exactly as probes are
//! served. Panel accounts keep the follows the graph gives them and never follow anyone new, so
//! they do not change the world; the platform learns its estimate of each from engagement.
//!
//! The panel is the same accounts, with the same random streams, in every arm of a replicate,
//! so per-step differences against the baseline arm are paired. Measured per step (ground truth,
//! never shown to policies): the mean affinity of shown items to the account's latent
//! interests (relevance), the logit probability of engaging with the slate (engagement), the
//! flagged share of impressions, and the share of panel accounts exposed to the flagged cluster
//! at least once so far (reach).

use super::batched::{BatchAgent, Parts};
use super::{respond, serve_and_respond, Buffers, Choice, ChoiceModel, Persona, Platform, Streams};
use crate::batch::AgentGroup;
use crate::ids::{AccountId, CommunityId, TermId};
use crate::mitigation::Mitigation;
use crate::pipeline::SurfacePlan;
use crate::platform::{InterestEstimates, PlatformView, Viewer};
use crate::rng::{AgentStreams, SimRng};
use crate::scenario::spec::PanelSpec;
use crate::slate::{Candidate, Surface};
use crate::world::{dot, World};
use rand::RngExt;
use rayon::prelude::*;

/// One panel account: its identity and its random streams (the platform's estimate of it is a
/// row of the panel's [`InterestEstimates`]).
struct Member {
    account: AccountId,
    community: CommunityId,
    exposed: bool,
    behaviour: SimRng,
    policy: SimRng,
    mitigation: SimRng,
}

/// What one member saw in one step.
#[derive(Clone, Copy, Debug, Default)]
struct MemberStep {
    /// Sum of affinities of shown items and their count.
    affinity: f64,
    shown: u32,
    flagged: u32,
    /// Sum over surfaces with a non-empty slate of the probability of engaging, and their count.
    engage: f64,
    slates: u32,
}

/// Panel metrics of one step, reduced serially in member order.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PanelStep {
    /// Mean over members with impressions of the mean affinity (cosine of latent interests and
    /// content) of the items they were shown.
    pub relevance: f64,
    /// Mean over served slates of the logit probability of engaging with something.
    pub engagement: f64,
    /// Mean over members with impressions of their flagged share of impressions.
    pub flagged_share: f64,
    /// Share of members shown a flagged account at least once so far.
    pub reach: f64,
}

impl PanelStep {
    /// The step of an empty panel: every metric NaN (written as an empty CSV cell).
    pub const EMPTY: PanelStep = PanelStep {
        relevance: f64::NAN,
        engagement: f64::NAN,
        flagged_share: f64::NAN,
        reach: f64::NAN,
    };
}

/// The panel of one arm in one replicate.
pub struct Panel {
    members: Vec<Member>,
    /// The platform's estimate of each member, rows in member order.
    estimates: InterestEstimates,
    records: Vec<MemberStep>,
    /// Per member serving buffers of the batched loop (empty until it is used).
    buffers: Vec<Buffers>,
}

impl Panel {
    /// Draws `spec.size` distinct ordinary accounts (benign, and `adjacent_share` of them from
    /// adjacent communities) with the streams of `streams`; the same accounts and streams in
    /// every arm of a replicate.
    pub fn new(world: &World, spec: &PanelSpec, streams: &AgentStreams) -> Self {
        use crate::world::CommunityKind;
        let truth = world.truth();
        let pool = |kind| -> Vec<AccountId> {
            truth
                .communities_of(kind)
                .into_iter()
                .flat_map(|c| world.members(c).iter().copied())
                .collect()
        };
        let (benign, adjacent) = (pool(CommunityKind::Benign), pool(CommunityKind::Adjacent));
        let size = spec.size as usize;
        let from_adjacent =
            ((size as f64 * spec.adjacent_share).round() as usize).min(adjacent.len());
        let mut rng = streams.agent(0);
        let mut chosen = sample_distinct(&adjacent, from_adjacent, &mut rng);
        chosen.extend(sample_distinct(&benign, size - from_adjacent, &mut rng));
        let members = chosen
            .into_iter()
            .enumerate()
            .map(|(m, account)| {
                let m = 1 + 3 * m as u64;
                Member {
                    account,
                    community: world.community(account),
                    exposed: false,
                    behaviour: streams.agent(m),
                    policy: streams.agent(m + 1),
                    mitigation: streams.agent(m + 2),
                }
            })
            .collect::<Vec<_>>();
        // The platform's first estimate: the mean content the account follows (or its own
        // content when it follows no one), both observable.
        let estimates = InterestEstimates::initial(world, members.len(), |i| {
            let account = &members[i].account;
            let followees = world.graph().followees(*account);
            if followees.is_empty() {
                std::slice::from_ref(account)
            } else {
                followees
            }
        });
        let records = vec![MemberStep::default(); members.len()];
        Self {
            members,
            estimates,
            records,
            buffers: Vec::new(),
        }
    }

    /// Number of panel accounts.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the panel is empty (collateral metrics disabled).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Serves every surface to every member (in parallel; each member owns its streams), then
    /// reduces serially in member order.
    pub fn step(
        &mut self,
        spec: &PanelSpec,
        world: &World,
        view: &PlatformView<'_>,
        surfaces: &[SurfacePlan<'_>],
        mitigation: &dyn Mitigation,
    ) -> PanelStep {
        if self.members.is_empty() {
            return PanelStep::EMPTY;
        }
        let truth = world.truth();
        self.members
            .par_iter_mut()
            .zip(self.records.par_iter_mut())
            .zip(self.estimates.par_rows_mut())
            .for_each_init(Buffers::default, |buffers, ((member, record), estimate)| {
                *record = MemberStep::default();
                let query = member.query(spec, world);
                let mut turn = Turn {
                    world,
                    followees: world.graph().followees(member.account),
                    latent: truth.latent(member.account),
                    record,
                };
                let streams = Streams {
                    behaviour: &mut member.behaviour,
                    policy: &mut member.policy,
                    mitigation: &mut member.mitigation,
                };
                let platform = Platform {
                    view,
                    surfaces,
                    mitigation,
                };
                serve_and_respond(
                    &mut turn,
                    estimate,
                    &platform,
                    query,
                    model(spec),
                    streams,
                    buffers,
                );
                if record.flagged > 0 {
                    member.exposed = true;
                }
            });
        self.reduce()
    }

    /// The members as agents of the batched loop ([`super::batched`]) for one step: their
    /// records reset and their queries drawn; [`Panel::reduce`] gives the step's metrics once
    /// they are served.
    pub(crate) fn batch_slots<'a>(
        &'a mut self,
        spec: &'a PanelSpec,
        world: &'a World,
    ) -> Vec<MemberSlot<'a>> {
        self.buffers
            .resize_with(self.members.len(), Buffers::default);
        self.members
            .iter_mut()
            .zip(self.records.iter_mut())
            .zip(self.estimates.rows_mut())
            .zip(self.buffers.iter_mut())
            .enumerate()
            .map(|(index, (((member, record), estimate), buffers))| {
                *record = MemberStep::default();
                let query = member.query(spec, world);
                MemberSlot {
                    index: index as u32,
                    member,
                    record,
                    estimate,
                    buffers,
                    query,
                    world,
                    spec,
                }
            })
            .collect()
    }

    /// The panel's metrics of the step just served, reduced serially in member order
    /// (`PanelStep::EMPTY` for an empty panel).
    pub(crate) fn reduce(&self) -> PanelStep {
        if self.members.is_empty() {
            return PanelStep::EMPTY;
        }
        let (mut relevance, mut flagged_share, mut with_impressions) = (0.0, 0.0, 0usize);
        let (mut engage, mut slates) = (0.0, 0u32);
        for r in &self.records {
            if r.shown > 0 {
                relevance += r.affinity / f64::from(r.shown);
                flagged_share += f64::from(r.flagged) / f64::from(r.shown);
                with_impressions += 1;
            }
            engage += r.engage;
            slates += r.slates;
        }
        let mean = |sum: f64, n: usize| {
            if n > 0 {
                sum / n as f64
            } else {
                f64::NAN
            }
        };
        let exposed = self.members.iter().filter(|m| m.exposed).count();
        PanelStep {
            relevance: mean(relevance, with_impressions),
            engagement: mean(engage, slates as usize),
            flagged_share: mean(flagged_share, with_impressions),
            reach: exposed as f64 / self.members.len() as f64,
        }
    }
}

impl Member {
    /// The member's search term this step: one of its community's terms, with probability
    /// `spec.search_prob`.
    fn query(&mut self, spec: &PanelSpec, world: &World) -> Option<TermId> {
        let query = self.behaviour.random_bool(spec.search_prob).then(|| {
            let terms = world.community_terms(self.community);
            (!terms.is_empty()).then(|| TermId(self.behaviour.random_range(terms)))
        });
        query.flatten()
    }
}

/// How a panel member chooses and how the platform learns from it.
fn model(spec: &PanelSpec) -> ChoiceModel {
    ChoiceModel {
        sharpness: spec.choice_sharpness,
        no_click: spec.no_click_affinity,
        estimate_rate: spec.estimate_rate as f32,
    }
}

/// A member during one step of the batched loop.
pub(crate) struct MemberSlot<'a> {
    index: u32,
    member: &'a mut Member,
    record: &'a mut MemberStep,
    estimate: &'a mut [f32],
    buffers: &'a mut Buffers,
    query: Option<TermId>,
    world: &'a World,
    spec: &'a PanelSpec,
}

impl BatchAgent for MemberSlot<'_> {
    fn id(&self) -> (AgentGroup, u32) {
        (AgentGroup::Panel, self.index)
    }

    fn parts(&mut self) -> Parts<'_> {
        Parts {
            viewer: Viewer {
                followees: self.world.graph().followees(self.member.account),
                last_followed: None,
                estimate: self.estimate,
            },
            query: self.query,
            policy_rng: &mut self.member.policy,
            mitigation_rng: &mut self.member.mitigation,
            buffers: self.buffers,
        }
    }

    fn respond(&mut self, platform: &Platform<'_>, plan: &SurfacePlan<'_>) {
        let mut turn = Turn {
            world: self.world,
            followees: self.world.graph().followees(self.member.account),
            latent: self.world.truth().latent(self.member.account),
            record: self.record,
        };
        respond(
            &mut turn,
            self.estimate,
            platform,
            plan,
            model(self.spec),
            &mut self.member.behaviour,
            &mut self.member.mitigation,
            self.buffers,
        );
        if self.record.flagged > 0 {
            self.member.exposed = true;
        }
    }
}

/// A panel account during one step: the persona of the shared agent loop. It never follows.
struct Turn<'a> {
    world: &'a World,
    followees: &'a [AccountId],
    latent: &'a [f32],
    record: &'a mut MemberStep,
}

impl Persona for Turn<'_> {
    fn followees(&self) -> &[AccountId] {
        self.followees
    }

    fn last_followed(&self) -> Option<AccountId> {
        // Panel accounts follow no one during the run, and the graph's follows have no order.
        None
    }

    fn latent(&self) -> &[f32] {
        self.latent
    }

    fn shown(&mut self, _: Surface, items: &[Candidate], _: &mut SimRng) {
        let truth = self.world.truth();
        for c in items {
            self.record.affinity += f64::from(dot(self.latent, self.world.content(c.account)));
            if truth.is_flagged(c.account) {
                self.record.flagged += 1;
            }
        }
        self.record.shown += items.len() as u32;
    }

    fn chose(&mut self, choice: &Choice) {
        self.record.engage += choice.engage_prob;
        self.record.slates += 1;
    }

    fn pick_follow(&mut self, _: &[Candidate], _: &mut SimRng) -> Option<AccountId> {
        None
    }

    fn followed(&mut self, _: AccountId) -> bool {
        false
    }
}

/// `k` distinct items of `from` (all of them when `k >= from.len()`), by partial Fisher-Yates
/// on a copy, in draw order.
fn sample_distinct(from: &[AccountId], k: usize, rng: &mut SimRng) -> Vec<AccountId> {
    let mut pool = from.to_vec();
    let k = k.min(pool.len());
    for i in 0..k {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedTree, StreamId};

    #[test]
    fn sample_distinct_is_distinct_and_bounded() {
        let from: Vec<AccountId> = (0..50).map(AccountId).collect();
        let mut rng = SeedTree::new(1).stream(0, StreamId::Panel);
        let mut s = sample_distinct(&from, 20, &mut rng);
        assert_eq!(s.len(), 20);
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 20);
        assert_eq!(sample_distinct(&from, 80, &mut rng).len(), 50);
    }
}
