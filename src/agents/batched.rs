//! The batched serving loop: the surfaces of one step served surface by surface to every agent
//! (the probes, then the collateral panel), so that a batched plug-in ([`crate::batch`]) is
//! called once per step and surface with every request's candidates.
//!
//! For each surface in order: every agent's candidates come from the policy's native source
//! (in parallel, each agent on its own streams); a batched policy scores them all in one call
//! and each agent ranks its own; the arm's mitigations run in order, native ones per agent in
//! parallel and batched ones in one call each; then each agent sees its slate and responds.
//! Since agents do not interact within a step and each draws only from its own
//! streams, in the same order as in `serve_and_respond`, serving surface by surface gives the
//! same numbers as serving agent by agent would with the same (native) policy.

use super::{Buffers, Platform};
use crate::batch::{call_seed, AgentGroup, BatchHead, Columns, PluginFailure};
use crate::ids::TermId;
use crate::mitigation::{Mitigation, MitigationStack};
use crate::pipeline::{candidates, keep, mitigation_ctx, Request, SurfacePlan};
use crate::platform::Viewer;
use crate::policy::{rank_top, Policy};
use crate::rng::{AgentStreams, SimRng};
use crate::slate::{Candidate, Slate};
use rayon::prelude::*;

/// What the batched loop needs of one agent for one step: disjoint borrows of its state.
pub(crate) struct Parts<'a> {
    /// Who is served (followees, last follow, the platform's estimate).
    pub viewer: Viewer<'a>,
    /// Its search term this step.
    pub query: Option<TermId>,
    /// The draws of the policies serving it.
    pub policy_rng: &'a mut SimRng,
    /// The draws of the mitigations serving it.
    pub mitigation_rng: &'a mut SimRng,
    /// Its serving buffers (the slate stays there between the phases of a surface).
    pub buffers: &'a mut Buffers,
}

/// An agent served batch by batch.
pub(crate) trait BatchAgent: Send {
    /// Its group and its index in the group (what a batch names it by).
    fn id(&self) -> (AgentGroup, u32);

    /// The agent's state, split for serving.
    fn parts(&mut self) -> Parts<'_>;

    /// Lets the agent respond to the slate left in its buffers on `plan`'s surface (the
    /// persona's part of [`respond`]).
    fn respond(&mut self, platform: &Platform<'_>, plan: &SurfacePlan<'_>);
}

/// Which (replicate, arm, step) a batch belongs to, and where its seeds come from.
pub(crate) struct BatchScope<'a> {
    /// The replicate.
    pub replicate: u32,
    /// The arm's index.
    pub arm: usize,
    /// The arm's name (for error messages).
    pub arm_name: &'a str,
    /// The step.
    pub step: u32,
    /// The replicate's plug-in seed streams.
    pub seeds: &'a AgentStreams,
}

/// Reusable state of the batched loop (one per arm).
#[derive(Debug, Default)]
pub(crate) struct BatchState {
    columns: Columns,
    scores: Vec<f32>,
    keys: Vec<f64>,
    /// Per agent: its candidates' range in the columns (empty when it has no request).
    ranges: Vec<(u32, u32)>,
    /// Per agent: whether it has a request on the current surface.
    active: Vec<bool>,
}

/// Serves every surface of `platform` to `agents`, batch by batch; see the module doc.
pub(crate) fn serve_batched<A: BatchAgent>(
    agents: &mut [A],
    platform: &Platform<'_>,
    stack: &MitigationStack,
    scope: &BatchScope<'_>,
    state: &mut BatchState,
) -> Result<(), PluginFailure> {
    let view = platform.view;
    let items = stack.items();
    let within_slate = stack.capabilities().stays_within_slate;
    state.active.resize(agents.len(), false);
    state.ranges.resize(agents.len(), (0, 0));
    for plan in platform.surfaces {
        let batched = plan.policy.as_batched();
        let scorer = batched.map(|(_, scorer)| scorer);
        let source: &dyn Policy = batched.map_or(plan.policy, |(source, _)| source);
        // The native mitigations before the first batched one run with the candidates.
        let first = next_batched(items, 0);
        agents
            .par_iter_mut()
            .zip(state.active.par_iter_mut())
            .for_each(|(agent, active)| {
                let p = agent.parts();
                let Some(request) = plan.request(p.viewer, p.query) else {
                    p.buffers.slate.clear();
                    *active = false;
                    return;
                };
                *active = true;
                let kept = if scorer.is_some() {
                    request.pool
                } else {
                    keep(within_slate, &request)
                };
                let Buffers { scratch, slate, .. } = p.buffers;
                candidates(
                    source,
                    view,
                    &request,
                    p.policy_rng,
                    scratch,
                    slate.buffer(),
                    kept,
                );
                if scorer.is_none() {
                    apply_native(&items[..first], view, &request, p.mitigation_rng, slate);
                }
            });
        if let Some(scorer) = scorer {
            let head = head(scope, plan, 0, view.dims());
            gather(agents, state, view);
            state.scores.clear();
            state.scores.resize(state.columns.accounts.len(), 0.0);
            scorer
                .score(&state.columns.batch(head), &mut state.scores)
                .map_err(|e| located(e, scorer.name(), scope, plan))?;
            let scores = &state.scores;
            scatter(agents, state, plan, |p, request, (start, end)| {
                let Buffers { scratch, slate, .. } = p.buffers;
                let out = slate.buffer();
                for (c, &s) in out.iter_mut().zip(&scores[start..end]) {
                    c.score = s;
                }
                rank_top(out, keep(within_slate, request), &mut scratch.keys);
                apply_native(&items[..first], view, request, p.mitigation_rng, slate);
            });
        }
        let mut at = first;
        while at < items.len() {
            let batched = items[at].as_batched().expect("a batched mitigation");
            let head = head(scope, plan, 1 + at, view.dims());
            gather(agents, state, view);
            state.keys.clear();
            state.keys.resize(state.columns.accounts.len(), f64::NAN);
            batched
                .apply(&state.columns.batch(head), &mut state.keys)
                .map_err(|e| located(e, batched.name(), scope, plan))?;
            let next = next_batched(items, at + 1);
            let keys = &state.keys;
            scatter(agents, state, plan, |p, request, (start, end)| {
                let Buffers { slate, order, .. } = p.buffers;
                apply_keys(slate, &keys[start..end], order);
                let rest = &items[at + 1..next];
                apply_native(rest, view, request, p.mitigation_rng, slate);
            });
            at = next;
        }
        agents
            .par_iter_mut()
            .zip(state.active.par_iter())
            .for_each(|(agent, &active)| {
                if active {
                    agent.parts().buffers.slate.truncate(plan.slate);
                    agent.respond(platform, plan);
                }
            });
    }
    Ok(())
}

/// Runs `f` on every agent with a request, in parallel, with its parts, its request and its
/// candidates' range in the batch just gathered (to hand each agent its share of the results).
fn scatter<A: BatchAgent>(
    agents: &mut [A],
    state: &BatchState,
    plan: &SurfacePlan<'_>,
    f: impl Fn(Parts<'_>, &Request<'_>, (usize, usize)) + Sync,
) {
    agents
        .par_iter_mut()
        .zip(state.active.par_iter())
        .zip(state.ranges.par_iter())
        .for_each(|((agent, &active), &(start, end))| {
            if active {
                let p = agent.parts();
                let request = plan.request(p.viewer, p.query).expect("an active request");
                f(p, &request, (start as usize, end as usize));
            }
        });
}

/// The index of the first batched mitigation at or after `from` (the length if none).
fn next_batched(items: &[Box<dyn Mitigation>], from: usize) -> usize {
    items[from..]
        .iter()
        .position(|m| m.as_batched().is_some())
        .map_or(items.len(), |i| from + i)
}

/// Native mitigations of the stack, in order, on one request's ranked candidates.
fn apply_native(
    items: &[Box<dyn Mitigation>],
    view: &crate::platform::PlatformView<'_>,
    request: &Request<'_>,
    rng: &mut SimRng,
    slate: &mut Slate,
) {
    let ctx = mitigation_ctx(view, request);
    for m in items {
        m.apply(&ctx, slate, rng);
    }
}

/// Fills the columns with every active agent's current candidates, in agent order.
fn gather<A: BatchAgent>(
    agents: &mut [A],
    state: &mut BatchState,
    view: &crate::platform::PlatformView<'_>,
) {
    let BatchState {
        columns,
        ranges,
        active,
        ..
    } = state;
    columns.clear();
    for ((agent, range), &on) in agents.iter_mut().zip(ranges.iter_mut()).zip(active.iter()) {
        let start = columns.accounts.len() as u32;
        if on {
            let id = agent.id();
            let p = agent.parts();
            columns.push(
                view,
                id,
                p.query,
                p.viewer.estimate,
                p.viewer.followees.len(),
                p.buffers.slate.items(),
            );
        }
        *range = (start, columns.accounts.len() as u32);
    }
}

/// Removes the candidates whose key is NaN and re-ranks the rest by key, highest first, ties
/// in their current order. `order` is a reusable buffer.
pub(crate) fn apply_keys(slate: &mut Slate, keys: &[f64], order: &mut Vec<(f64, Candidate)>) {
    order.clear();
    order.extend(
        slate
            .items()
            .iter()
            .zip(keys)
            .filter(|(_, k)| !k.is_nan())
            // + 0.0 makes -0.0 equal to 0.0 for the total order.
            .map(|(c, &k)| (k + 0.0, *c)),
    );
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let out = slate.buffer();
    out.clear();
    out.extend(order.iter().map(|&(_, c)| c));
}

fn head(scope: &BatchScope<'_>, plan: &SurfacePlan<'_>, stage: usize, dims: usize) -> BatchHead {
    BatchHead {
        replicate: scope.replicate,
        arm: scope.arm,
        step: scope.step,
        surface: plan.surface,
        seed: call_seed(scope.seeds, scope.step, plan.surface, stage),
        dims,
    }
}

/// A plug-in's failure with its kind and place filled in.
fn located(
    mut e: PluginFailure,
    kind: &str,
    scope: &BatchScope<'_>,
    plan: &SurfacePlan<'_>,
) -> PluginFailure {
    e.kind = kind.to_string();
    e.place = format!(
        "replicate {}, arm `{}`, step {}, surface {}",
        scope.replicate,
        scope.arm_name,
        scope.step,
        plan.surface.name()
    );
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;

    #[test]
    fn keys_remove_nan_and_rerank_stably() {
        let mut slate = Slate::new();
        slate.buffer().extend((0..5).map(|i| Candidate {
            account: AccountId(i),
            score: 0.0,
        }));
        apply_keys(
            &mut slate,
            &[1.0, f64::NAN, 2.0, 1.0, -0.0],
            &mut Vec::new(),
        );
        let order: Vec<u32> = slate.items().iter().map(|c| c.account.0).collect();
        assert_eq!(order, vec![2, 0, 3, 4]);
        let mut slate2 = Slate::new();
        slate2.buffer().extend((0..3).map(|i| Candidate {
            account: AccountId(i),
            score: 0.0,
        }));
        apply_keys(&mut slate2, &[0.0, -0.0, 0.0], &mut Vec::new());
        let order: Vec<u32> = slate2.items().iter().map(|c| c.account.0).collect();
        assert_eq!(order, vec![0, 1, 2], "-0.0 ties with 0.0");
    }
}
