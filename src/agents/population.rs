//! The living population: ordinary accounts that act every step.
//!
//! With `population.active_share > 0`, each step every ordinary (non-flagged) account is active
//! with that probability. An active account is served its surfaces like a probe (search on one
//! of its community's terms with `search_prob`, suggested accounts, feed, explore), engages with
//! at most one item per slate through the logit choice on its latent interests, the platform's
//! estimate of it learns from that engagement, and it follows its top suggestion with
//! `follow_prob` (subject to the arm's friction and bans). Follows go to the arm's
//! [`LiveGraph`] and change co-follow signals and popularity for everyone, probes included, at
//! the next index rebuild.
//!
//! Accounts are processed cluster by cluster (in the order of the world's member lists, the
//! platform's cluster-ordered index), so that consecutive accounts read the same neighbourhood
//! of the graph and the same clusters of content, which stay in cache, instead of jumping
//! across a graph of hundreds of megabytes at every account. They are split into chunks of
//! [`CHUNK`] consecutive accounts of that order; chunk `c` in step `s` draws from its own
//! streams, keyed by `(s, c)`, and owns its rows of the estimate matrix (stored in the same
//! order), and follows are applied serially in chunk order, so the result is the same for any
//! number of threads. Nothing is allocated per account: buffers live per chunk.

use super::{serve_and_respond, Buffers, ChoiceModel, Persona, Platform, Streams};
use crate::ids::{AccountId, TermId};
use crate::live_graph::LiveGraph;
use crate::mitigation::Mitigation;
use crate::pipeline::SurfacePlan;
use crate::platform::{InterestEstimates, PlatformView};
use crate::rng::{AgentStreams, SimRng};
use crate::scenario::spec::PopulationSpec;
use crate::slate::{Candidate, Surface};
use crate::world::World;
use rand::RngExt;
use rayon::prelude::*;

/// Accounts per parallel work unit (and per random stream).
pub const CHUNK: usize = 1024;

/// No account followed yet, in `Population::last_followed`.
const NONE: u32 = u32::MAX;

/// What the population did in one step.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PopulationStep {
    /// Accounts active in the step.
    pub active: u64,
    /// Impressions served to them.
    pub impressions: u64,
    /// Impressions of flagged accounts among them.
    pub flagged: u64,
    /// New follows (before the index rebuild makes them visible).
    pub follows: u64,
    /// New follows of flagged accounts.
    pub flagged_follows: u64,
}

impl PopulationStep {
    /// Flagged share of the population's impressions (NaN without impressions).
    pub fn flagged_share(&self) -> f64 {
        if self.impressions == 0 {
            f64::NAN
        } else {
            self.flagged as f64 / self.impressions as f64
        }
    }
}

/// Per-chunk output of one step.
#[derive(Default)]
struct ChunkOut {
    stats: PopulationStep,
    follows: Vec<(AccountId, AccountId)>,
}

/// The living population of one arm in one replicate.
pub struct Population {
    /// The platform's estimate of every account, rows in the order of the world's member lists
    /// (cluster by cluster).
    estimates: InterestEstimates,
    /// Row of each account in `estimates`.
    row_of: Vec<u32>,
    /// The account each account most recently followed during the run ([`NONE`] before its
    /// first follow), rows as in `estimates`.
    last_followed: Vec<u32>,
    streams: AgentStreams,
    outputs: Vec<ChunkOut>,
}

impl Population {
    /// The population of `world`: the platform's first estimate of each account is the mean
    /// content of what it follows (its own content when it follows no one).
    pub fn new(world: &World, streams: AgentStreams) -> Self {
        let estimates = InterestEstimates::initial(world, world.accounts(), |p| {
            let a = world.member_at(p);
            let followees = world.graph().followees(a);
            if followees.is_empty() {
                world.member_slice(p)
            } else {
                followees
            }
        });
        let chunks = world.accounts().div_ceil(CHUNK);
        let mut row_of = vec![0u32; world.accounts()];
        for p in 0..world.accounts() {
            // Positions are below the number of accounts, which fits in u32.
            row_of[world.member_at(p).index()] = p as u32;
        }
        Self {
            estimates,
            row_of,
            last_followed: vec![NONE; world.accounts()],
            streams,
            outputs: (0..chunks).map(|_| ChunkOut::default()).collect(),
        }
    }

    /// The platform's estimate of an account.
    pub fn estimate(&self, a: AccountId) -> &[f32] {
        self.estimates.row(self.row_of[a.index()] as usize)
    }

    /// One step of every active account, served under `view` (which borrows the live graph);
    /// their follows wait for [`Population::commit`].
    pub fn step(
        &mut self,
        step: u32,
        spec: &PopulationSpec,
        world: &World,
        view: &PlatformView<'_>,
        surfaces: &[SurfacePlan<'_>],
        mitigation: &dyn Mitigation,
    ) {
        let truth = world.truth();
        let (dims, streams, chunks) = (
            self.estimates.dims().max(1),
            self.streams,
            self.outputs.len() as u64,
        );
        self.estimates
            .par_blocks_mut(CHUNK)
            .zip(self.last_followed.par_chunks_mut(CHUNK))
            .zip(self.outputs.par_iter_mut())
            .enumerate()
            .for_each(|(chunk, ((rows, last_followed), out))| {
                out.stats = PopulationStep::default();
                out.follows.clear();
                let key = 3 * (u64::from(step) * chunks + chunk as u64);
                let (mut behaviour, mut policy_rng, mut mitigation_rng) = (
                    streams.agent(key),
                    streams.agent(key + 1),
                    streams.agent(key + 2),
                );
                let mut buffers = Buffers::default();
                let model = ChoiceModel {
                    sharpness: spec.choice_sharpness,
                    no_click: spec.no_click_affinity,
                    estimate_rate: spec.estimate_rate as f32,
                };
                for (i, (estimate, last)) in rows
                    .chunks_mut(dims)
                    .zip(last_followed.iter_mut())
                    .enumerate()
                {
                    let a = world.member_at(chunk * CHUNK + i);
                    if truth.is_flagged(a) || !behaviour.random_bool(spec.active_share) {
                        continue;
                    }
                    out.stats.active += 1;
                    let terms = world.community_terms(world.community(a));
                    let query = (behaviour.random_bool(spec.search_prob) && !terms.is_empty())
                        .then(|| TermId(behaviour.random_range(terms)));
                    let mut turn = Turn {
                        world,
                        account: a,
                        followees: view.followees(a),
                        latent: truth.latent(a),
                        last,
                        spec,
                        out: &mut *out,
                    };
                    let streams = Streams {
                        behaviour: &mut behaviour,
                        policy: &mut policy_rng,
                        mitigation: &mut mitigation_rng,
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
                        model,
                        streams,
                        &mut buffers,
                    );
                }
            });
    }

    /// Adds the step's follows to `live`, serially in processing order, and sums the step.
    pub fn commit(&self, world: &World, live: &mut LiveGraph) -> PopulationStep {
        let truth = world.truth();
        let mut total = PopulationStep::default();
        for out in &self.outputs {
            total.active += out.stats.active;
            total.impressions += out.stats.impressions;
            total.flagged += out.stats.flagged;
            for &(a, t) in &out.follows {
                if live.follow(world, a, t) {
                    total.follows += 1;
                    if truth.is_flagged(t) {
                        total.flagged_follows += 1;
                    }
                }
            }
        }
        total
    }
}

/// An ordinary account during one step: the persona of the shared agent loop.
struct Turn<'a> {
    world: &'a World,
    account: AccountId,
    followees: &'a [AccountId],
    latent: &'a [f32],
    last: &'a mut u32,
    spec: &'a PopulationSpec,
    out: &'a mut ChunkOut,
}

impl Persona for Turn<'_> {
    fn followees(&self) -> &[AccountId] {
        self.followees
    }

    fn last_followed(&self) -> Option<AccountId> {
        (*self.last != NONE).then_some(AccountId(*self.last))
    }

    fn latent(&self) -> &[f32] {
        self.latent
    }

    fn shown(&mut self, _: Surface, items: &[Candidate], _: &mut SimRng) {
        let truth = self.world.truth();
        self.out.stats.impressions += items.len() as u64;
        self.out.stats.flagged +=
            items.iter().filter(|c| truth.is_flagged(c.account)).count() as u64;
    }

    fn pick_follow(&mut self, items: &[Candidate], behaviour: &mut SimRng) -> Option<AccountId> {
        behaviour
            .random_bool(self.spec.follow_prob)
            .then_some(items[0].account)
    }

    fn followed(&mut self, target: AccountId) -> bool {
        self.out.follows.push((self.account, target));
        // The most recent follow action, even of an account already followed (as for probes);
        // an account cannot follow itself.
        if target != self.account {
            *self.last = target.0;
        }
        // The platform's estimate of an ordinary account learns from its engagement only.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::panel::Panel;
    use crate::mitigation::MitigationStack;
    use crate::platform::Labels;
    use crate::policy::{Candidate, Context, Policy};
    use crate::rng::{SeedTree, StreamId};
    use crate::scenario::spec::{PanelSpec, WorldSpec};
    use std::sync::Mutex;

    /// Suggests one account to everyone and records the `last_followed` of every viewer served.
    struct SuggestOne {
        account: AccountId,
        seen: Mutex<Vec<Option<AccountId>>>,
    }

    impl Policy for SuggestOne {
        fn name(&self) -> &str {
            "suggest_one"
        }

        fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
            self.seen.lock().unwrap().push(cx.viewer.last_followed);
            out.push(Candidate {
                account: self.account,
                score: 1.0,
            });
        }

        fn score(&self, _: &mut Context<'_>, _: &mut [Candidate]) {}
    }

    #[test]
    fn agents_are_served_with_the_account_they_most_recently_followed() {
        let spec = WorldSpec {
            accounts: Some(2000),
            benign_communities: 4,
            ..WorldSpec::default()
        };
        let tree = SeedTree::new(5);
        let world = crate::world::generate(&spec, 40, &tree, 0);
        // The lowest id: never the highest id an account follows, unless its only followee.
        let x = AccountId(0);
        assert!(!world.truth().is_flagged(x));
        let policy = SuggestOne {
            account: x,
            seen: Mutex::new(Vec::new()),
        };
        let surfaces = [SurfacePlan {
            surface: Surface::SuggestedAccounts,
            policy: &policy,
            pool: 5,
            slate: 1,
        }];
        let labels = Labels::none(world.accounts(), world.terms());
        let none = MitigationStack::default();
        let pop_spec = PopulationSpec {
            active_share: 1.0,
            search_prob: 0.0,
            follow_prob: 1.0,
            ..PopulationSpec::default()
        };
        let mut population = Population::new(&world, tree.agents(0, StreamId::Population));
        let mut live = LiveGraph::new();
        // Step 1: every active account follows x; the index rebuild makes the follows visible.
        let view = PlatformView::new(&world, &labels).with_live_graph(&live);
        population.step(1, &pop_spec, &world, &view, &surfaces, &none);
        let follows = population.commit(&world, &mut live).follows;
        assert!(follows > 1000, "{follows}");
        live.rebuild(&world);
        policy.seen.lock().unwrap().clear();
        // Step 2: each is served with x as the account it most recently followed (x itself,
        // which cannot follow itself, with none).
        let view = PlatformView::new(&world, &labels).with_live_graph(&live);
        population.step(2, &pop_spec, &world, &view, &surfaces, &none);
        let seen = std::mem::take(&mut *policy.seen.lock().unwrap());
        let flagged = world.truth().flagged_accounts();
        assert_eq!(seen.len(), world.accounts() - flagged);
        let other: Vec<_> = seen.iter().filter(|&&s| s != Some(x)).collect();
        assert!(
            other == [&None],
            "{} of {} viewers served with another account, e.g. {:?}",
            other.len(),
            seen.len(),
            other.first()
        );
        // The panel keeps the follows the graph gives it and follows no one.
        let panel_spec = PanelSpec {
            size: 20,
            ..PanelSpec::default()
        };
        let mut panel = Panel::new(&world, &panel_spec, &tree.agents(0, StreamId::Panel));
        panel.step(&panel_spec, &world, &view, &surfaces, &none);
        let seen = std::mem::take(&mut *policy.seen.lock().unwrap());
        assert_eq!(seen, vec![None; 20]);
    }
}
