//! The serving pipeline of one request: candidate source -> scoring -> de-duplication ->
//! ranking -> pool cut -> the arm's mitigations (remove or reorder only) -> slate cut.
//!
//! It sits above [`crate::policy`] and [`crate::mitigation`]: a policy only generates and
//! scores candidates, a mitigation only filters and re-ranks a slate; the pipeline decides
//! what a surface's candidates are (the term's postings for search, followees' fresh posts for
//! the feed, the policy's own source for suggested accounts and explore) and runs the steps in
//! order.

use crate::ids::TermId;
use crate::mitigation::{Mitigation, MitigationCtx};
use crate::platform::{PlatformView, Viewer};
use crate::policy::{is_unique, rank_top, Context, Policy, Scratch};
use crate::rng::SimRng;
use crate::slate::{Candidate, Slate, Surface};
use rand::RngExt;

/// One request to a surface.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The surface.
    pub surface: Surface,
    /// Who is served.
    pub viewer: Viewer<'a>,
    /// The search term (search only).
    pub query: Option<TermId>,
    /// Candidates kept after ranking, before mitigations.
    pub pool: usize,
    /// Items shown.
    pub slate: usize,
}

/// Runs the pipeline for one request and leaves the result in `slate`: candidate source ->
/// scoring -> dedup -> ranking -> pool cut -> mitigations (remove or reorder only) -> slate cut.
#[allow(clippy::too_many_arguments)]
pub fn serve(
    policy: &dyn Policy,
    mitigation: &dyn Mitigation,
    view: &PlatformView<'_>,
    request: &Request<'_>,
    policy_rng: &mut SimRng,
    mitigation_rng: &mut SimRng,
    scratch: &mut Scratch,
    slate: &mut Slate,
) {
    let keep = keep(mitigation.capabilities().stays_within_slate, request);
    candidates(
        policy,
        view,
        request,
        policy_rng,
        scratch,
        slate.buffer(),
        keep,
    );
    mitigate(mitigation, view, request, mitigation_rng, slate);
}

/// How many ranked candidates the pipeline keeps before the mitigations: the pool, or only the
/// slate when no mitigation could reach past it (ranking beyond it would change nothing shown).
pub(crate) fn keep(stays_within_slate: bool, request: &Request<'_>) -> usize {
    if stays_within_slate {
        request.pool.min(request.slate)
    } else {
        request.pool
    }
}

/// The candidate source, scoring, de-duplication, ranking and the cut to `keep`: leaves the
/// ranked candidates of one request in `out`.
pub(crate) fn candidates(
    policy: &dyn Policy,
    view: &PlatformView<'_>,
    request: &Request<'_>,
    policy_rng: &mut SimRng,
    scratch: &mut Scratch,
    out: &mut Vec<Candidate>,
    keep: usize,
) {
    out.clear();
    let viewer = &request.viewer;
    let mut cx = Context {
        view,
        viewer,
        surface: request.surface,
        query: request.query,
        limit: request.pool,
        rng: policy_rng,
        scratch,
    };
    match request.surface {
        Surface::Search => {
            if let Some(term) = request.query {
                let postings = view.term_postings(term);
                let take = postings.len().min(request.pool);
                out.extend(postings[..take].iter().map(|&account| Candidate {
                    account,
                    score: 0.0,
                }));
                policy.score(&mut cx, out);
                rank_top(out, keep, &mut cx.scratch.keys);
            }
        }
        Surface::Feed => {
            // Each followee's activity is read once, behind a random draw: start the loads first.
            for &account in viewer.followees {
                view.prefetch_activity(account);
            }
            for &account in viewer.followees {
                if cx.rng.random::<f32>() < view.activity(account) {
                    out.push(Candidate {
                        account,
                        score: 0.0,
                    });
                }
            }
            policy.score(&mut cx, out);
            rank_top(out, keep, &mut cx.scratch.keys);
        }
        Surface::SuggestedAccounts | Surface::Explore => {
            policy.generate_top(&mut cx, keep, out);
        }
    }
    // Search results (term postings) and the feed (followees) hold distinct accounts.
    debug_assert!(is_unique(out));
}

/// The arm's mitigations over the ranked candidates in `slate`, then the slate cut.
pub(crate) fn mitigate(
    mitigation: &dyn Mitigation,
    view: &PlatformView<'_>,
    request: &Request<'_>,
    mitigation_rng: &mut SimRng,
    slate: &mut Slate,
) {
    mitigation.apply(&mitigation_ctx(view, request), slate, mitigation_rng);
    slate.truncate(request.slate);
}

/// What the mitigations serving `request` may consult.
pub(crate) fn mitigation_ctx<'a>(
    view: &'a PlatformView<'a>,
    request: &Request<'_>,
) -> MitigationCtx<'a> {
    MitigationCtx {
        view,
        surface: request.surface,
        query: request.query,
        slate_size: request.slate,
    }
}

/// A served surface, as the engine configures it.
pub struct SurfacePlan<'a> {
    /// The surface.
    pub surface: Surface,
    /// Its policy.
    pub policy: &'a dyn Policy,
    /// Pool size.
    pub pool: usize,
    /// Slate size.
    pub slate: usize,
}

/// The random streams and buffers of the viewer a request is served for.
pub struct Serving<'s> {
    /// Draws made by the policy.
    pub policy_rng: &'s mut SimRng,
    /// Draws made by the mitigations.
    pub mitigation_rng: &'s mut SimRng,
    /// Policy scratch buffers.
    pub scratch: &'s mut Scratch,
    /// Where the served slate is left.
    pub slate: &'s mut Slate,
}

impl SurfacePlan<'_> {
    /// The request this surface serves to `viewer`: none for a search without a query.
    pub(crate) fn request<'v>(
        &self,
        viewer: Viewer<'v>,
        query: Option<TermId>,
    ) -> Option<Request<'v>> {
        if self.surface == Surface::Search && query.is_none() {
            return None;
        }
        Some(Request {
            surface: self.surface,
            viewer,
            query,
            pool: self.pool,
            slate: self.slate,
        })
    }

    /// Serves this surface to `viewer` (probe, panel or population account), leaving the slate
    /// in `serving.slate`. A search without a query serves nothing and returns false.
    pub fn serve(
        &self,
        view: &PlatformView<'_>,
        mitigation: &dyn Mitigation,
        viewer: Viewer<'_>,
        query: Option<TermId>,
        serving: Serving<'_>,
    ) -> bool {
        let Some(request) = self.request(viewer, query) else {
            return false;
        };
        serve(
            self.policy,
            mitigation,
            view,
            &request,
            serving.policy_rng,
            serving.mitigation_rng,
            serving.scratch,
            serving.slate,
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;
    use crate::scenario::spec::PolicySpec;

    /// A mitigation that changes nothing but, like any user mitigation, does not promise to
    /// stay within the slate: the pipeline ranks its whole pool.
    struct PassThrough;

    impl Mitigation for PassThrough {
        fn name(&self) -> &str {
            "pass_through"
        }
        fn apply(&self, _: &MitigationCtx<'_>, _: &mut Slate, _: &mut SimRng) {}
    }

    #[test]
    fn ranking_only_the_slate_without_mitigations_gives_the_same_slates() {
        use crate::mitigation::MitigationStack;
        use crate::platform::{Labels, PlatformView, Viewer};
        use crate::scenario::spec::{CoFollowSpec, EmbeddingSpec, WorldSpec};
        let spec = WorldSpec {
            accounts: Some(2000),
            benign_communities: 4,
            ..WorldSpec::default()
        };
        let world = crate::world::generate(&spec, 40, &crate::rng::SeedTree::new(5), 0);
        let labels = Labels::none(world.accounts(), world.terms());
        let view = PlatformView::new(&world, &labels);
        let (none, pass) = (MitigationStack::default(), PassThrough);
        assert!(none.capabilities().stays_within_slate && !pass.capabilities().stays_within_slate);
        for policy in [
            PolicySpec::CoFollow(CoFollowSpec::default()).build(),
            PolicySpec::Embedding(EmbeddingSpec::default()).build(),
        ] {
            for a in (0..2000u32).step_by(97).map(AccountId) {
                let estimate = world.content(a).to_vec();
                let request = Request {
                    surface: Surface::SuggestedAccounts,
                    viewer: Viewer {
                        followees: world.graph().followees(a),
                        last_followed: None,
                        estimate: &estimate,
                    },
                    query: None,
                    pool: 50,
                    slate: 5,
                };
                let served = |m: &dyn Mitigation| {
                    let tree = crate::rng::SeedTree::new(9);
                    let (mut p, mut q) = (
                        tree.stream(0, crate::rng::StreamId::Policy),
                        tree.stream(0, crate::rng::StreamId::Mitigation),
                    );
                    let (mut scratch, mut slate) = (Scratch::default(), Slate::new());
                    serve(
                        &*policy,
                        m,
                        &view,
                        &request,
                        &mut p,
                        &mut q,
                        &mut scratch,
                        &mut slate,
                    );
                    slate.items().to_vec()
                };
                let shown = served(&none);
                assert_eq!(shown.len(), 5);
                assert_eq!(shown, served(&pass), "account {a:?}, {}", policy.name());
            }
        }
    }
}
