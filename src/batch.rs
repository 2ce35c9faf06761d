//! Batched plug-ins: a ranker or a mitigation called once per step and surface with every
//! pending request's candidates (the probes', then the panel's) as flat columns, instead of once
//! per request.
//!
//! This is how recommenders written in another language (Python, through the `driftlab`
//! package) plug in at a cost of one call per step and surface. Candidate retrieval stays
//! native and seeded: a batched policy names a built-in `source` whose candidates (and their
//! source scores) make up the batch; the plug-in returns one score per candidate, and the
//! pipeline ranks, cuts the pool, applies the arm's mitigations and cuts the slate as for any
//! policy. A batched mitigation returns one key per candidate of the ranked pools: NaN removes
//! the candidate, the others are re-ranked by key, highest first, ties in their current order.
//! It may remove or reorder, never add.
//!
//! What a batch carries is what the platform can observe (its estimate of each viewer, the
//! candidates' content, follower counts and moderation labels): ground truth is not in it.
//!
//! Batched plug-ins serve probes and the collateral panel; a scenario with a living population
//! (`[population]`) is refused with them, since the population's streams are per chunk of
//! accounts and serving it surface by surface would change its numbers.

use crate::ids::{AccountId, TermId};
use crate::platform::PlatformView;
use crate::rng::SimRng;
use crate::slate::{Candidate, Surface};

/// The group of an agent in a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum AgentGroup {
    /// The sock-puppet probes (agent = probe index in the replicate).
    Probes = 0,
    /// The collateral panel of ordinary accounts (agent = panel member index).
    Panel = 1,
}

/// One step's requests on one surface, as flat columns. Requests are in agent order (the
/// probes, then the collateral panel); the candidates of request `i` are `offsets[i] .. offsets[i + 1]` of the
/// per-candidate columns, in rank order (by source score for a policy, by the current ranking
/// for a mitigation).
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// The replicate.
    pub replicate: u32,
    /// The arm's index in the scenario.
    pub arm: usize,
    /// The step (from 1).
    pub step: u32,
    /// The surface served.
    pub surface: Surface,
    /// A seed for the plug-in's own random numbers, from the seed tree: the same in every arm
    /// (paired comparisons) and on any thread count; it differs between replicates, steps,
    /// surfaces and stages.
    pub seed: u64,
    /// Dimensions of estimates and contents.
    pub dims: usize,
    /// Per request: the agent's group (0: a probe, 1: a member of the panel).
    pub groups: &'a [u8],
    /// Per request: the agent's index in its group.
    pub agents: &'a [u32],
    /// Per request: the search term, or -1.
    pub queries: &'a [i64],
    /// Per request: the platform's estimate of the viewer's interests (`dims` values each).
    pub estimates: &'a [f32],
    /// Per request: how many accounts the viewer follows.
    pub followees: &'a [u32],
    /// Requests + 1 offsets into the per-candidate columns.
    pub offsets: &'a [u32],
    /// Per candidate: the account.
    pub accounts: &'a [u32],
    /// Per candidate: the source's score (policy) or the current score (mitigation).
    pub scores: &'a [f32],
    /// Per candidate: its content vector (`dims` values each).
    pub contents: &'a [f32],
    /// Per candidate: its follower count.
    pub followers: &'a [u32],
    /// Per candidate: 1 if the platform's moderation labels the account now, else 0.
    pub labelled: &'a [u8],
}

impl Batch<'_> {
    /// Number of requests.
    pub fn requests(&self) -> usize {
        self.agents.len()
    }

    /// Number of candidates over all requests.
    pub fn candidates(&self) -> usize {
        self.accounts.len()
    }
}

/// Why a batched plug-in stopped the run (a Python exception, with its traceback).
#[derive(Debug)]
pub struct PluginFailure {
    /// The plug-in's kind.
    pub kind: String,
    /// Where it failed: replicate, arm name, step and surface.
    pub place: String,
    /// What went wrong (for Python: the traceback).
    pub message: String,
    /// The underlying error, for a caller that can re-raise it (a Python exception).
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// What was saved for a resume, when the run writes results.
    pub saved: Option<String>,
}

impl PluginFailure {
    /// A failure with a message and no underlying error.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: String::new(),
            place: String::new(),
            message: message.into(),
            source: None,
            saved: None,
        }
    }
}

impl std::fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "plug-in `{}` failed", self.kind)?;
        if !self.place.is_empty() {
            write!(f, " ({})", self.place)?;
        }
        write!(f, ": {}", self.message.trim_end())?;
        if let Some(saved) = &self.saved {
            write!(f, "\n{saved}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PluginFailure {}

/// A ranker scoring whole batches (one call per step and surface).
pub trait BatchPolicy: Send + Sync {
    /// Name as written in scenarios.
    fn name(&self) -> &str;

    /// Writes one score per candidate of `batch` into `scores` (higher ranks first, ties by
    /// lower account). An error stops the run; finished (arm, replicate) parts are kept.
    fn score(&self, batch: &Batch<'_>, scores: &mut [f32]) -> Result<(), PluginFailure>;
}

/// A mitigation over whole batches of ranked pools (one call per step and surface).
pub trait BatchMitigation: Send + Sync {
    /// Name as written in scenarios.
    fn name(&self) -> &str;

    /// Writes one key per candidate into `keys` (all NaN on entry): NaN removes the candidate,
    /// the rest are re-ranked by key, highest first, ties kept in their current order. An
    /// error stops the run; finished (arm, replicate) parts are kept.
    fn apply(&self, batch: &Batch<'_>, keys: &mut [f64]) -> Result<(), PluginFailure>;
}

/// Reusable columns of one batch, filled request by request.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub groups: Vec<u8>,
    pub agents: Vec<u32>,
    pub queries: Vec<i64>,
    pub estimates: Vec<f32>,
    pub followees: Vec<u32>,
    pub offsets: Vec<u32>,
    pub accounts: Vec<u32>,
    pub scores: Vec<f32>,
    pub contents: Vec<f32>,
    pub followers: Vec<u32>,
    pub labelled: Vec<u8>,
}

impl Columns {
    /// Empties every column (keeping their capacity).
    pub fn clear(&mut self) {
        self.groups.clear();
        self.agents.clear();
        self.queries.clear();
        self.estimates.clear();
        self.followees.clear();
        self.offsets.clear();
        self.offsets.push(0);
        self.accounts.clear();
        self.scores.clear();
        self.contents.clear();
        self.followers.clear();
        self.labelled.clear();
    }

    /// Appends one request and its candidates.
    pub fn push(
        &mut self,
        view: &PlatformView<'_>,
        (group, agent): (AgentGroup, u32),
        query: Option<TermId>,
        estimate: &[f32],
        followees: usize,
        candidates: &[Candidate],
    ) {
        self.groups.push(group as u8);
        self.agents.push(agent);
        self.queries.push(query.map_or(-1, |t| i64::from(t.0)));
        self.estimates.extend_from_slice(estimate);
        self.followees.push(followees as u32);
        let labels = view.labels();
        for c in candidates {
            let a: AccountId = c.account;
            self.accounts.push(a.0);
            self.scores.push(c.score);
            self.contents.extend_from_slice(view.content(a));
            self.followers.push(view.follower_count(a) as u32);
            self.labelled.push(u8::from(labels.account(a)));
        }
        self.offsets.push(self.accounts.len() as u32);
    }

    /// The batch these columns hold.
    pub fn batch(&self, head: BatchHead) -> Batch<'_> {
        Batch {
            replicate: head.replicate,
            arm: head.arm,
            step: head.step,
            surface: head.surface,
            seed: head.seed,
            dims: head.dims,
            groups: &self.groups,
            agents: &self.agents,
            queries: &self.queries,
            estimates: &self.estimates,
            followees: &self.followees,
            offsets: &self.offsets,
            accounts: &self.accounts,
            scores: &self.scores,
            contents: &self.contents,
            followers: &self.followers,
            labelled: &self.labelled,
        }
    }
}

/// The scalar fields of a [`Batch`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct BatchHead {
    pub replicate: u32,
    pub arm: usize,
    pub step: u32,
    pub surface: Surface,
    pub seed: u64,
    pub dims: usize,
}

/// The seed handed to a plug-in call: a draw from the seed tree's plug-in stream of the
/// replicate, keyed by step, surface and stage (0: the policy, 1 + i: the i-th mitigation of
/// the stack), so it is the same in every arm.
pub(crate) fn call_seed(
    streams: &crate::rng::AgentStreams,
    step: u32,
    surface: Surface,
    stage: usize,
) -> u64 {
    use rand::Rng;
    let key = (u64::from(step) * 4 + surface.index() as u64) * 64 + stage.min(63) as u64;
    let mut rng: SimRng = streams.agent(key);
    rng.next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_seeds_differ_by_key_and_repeat() {
        let tree = crate::rng::SeedTree::new(3);
        let s = tree.agents(0, crate::rng::StreamId::Plugin);
        let a = call_seed(&s, 1, Surface::Feed, 0);
        assert_eq!(a, call_seed(&s, 1, Surface::Feed, 0));
        assert_ne!(a, call_seed(&s, 2, Surface::Feed, 0));
        assert_ne!(a, call_seed(&s, 1, Surface::Explore, 0));
        assert_ne!(a, call_seed(&s, 1, Surface::Feed, 1));
    }
}
