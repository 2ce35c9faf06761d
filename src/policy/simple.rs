//! The simple policies: random, popularity and the uniform-followee walk.

use super::{Candidate, Context, Policy};
use crate::ids::AccountId;
use crate::platform::PlatformView;
use rand::RngExt;

/// Uniformly random accounts, in random order: the null recommender.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomPolicy;

impl Policy for RandomPolicy {
    fn name(&self) -> &str {
        "random"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        let (view, viewer, limit) = (cx.view, cx.viewer, cx.limit);
        let n = view.accounts() as u32;
        for _ in 0..limit {
            let account = AccountId(cx.rng.random_range(0..n));
            if !viewer.follows(account) {
                out.push(Candidate {
                    account,
                    score: cx.rng.random(),
                });
            }
        }
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        candidates
            .iter_mut()
            .for_each(|c| c.score = cx.rng.random());
    }
}

/// Most-followed accounts first (score `ln(1 + followers)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Popularity;

fn popularity(view: &PlatformView<'_>, a: AccountId) -> f32 {
    (view.follower_count(a) as f32).ln_1p()
}

impl Policy for Popularity {
    fn name(&self) -> &str {
        "popularity"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        let (view, viewer, limit) = (cx.view, cx.viewer, cx.limit);
        let top = view.by_popularity().iter().filter(|a| !viewer.follows(**a));
        out.extend(top.take(limit).map(|&account| Candidate {
            account,
            score: popularity(view, account),
        }));
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        candidates
            .iter_mut()
            .for_each(|c| c.score = popularity(cx.view, c.account));
    }
}

/// A uniformly random account among those followed by the account the viewer most recently
/// followed. A probe that always follows its top suggestion then performs a simple random walk
/// on the follow graph, which gives a closed-form check of the simulator. Already-followed
/// accounts are not excluded (the walk must stay a walk). Further candidates are further
/// independent draws, ranked in draw order. A viewer that has followed no one during the run
/// (see [`crate::platform::Viewer::last_followed`]) is served nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct UniformFollowee;

impl Policy for UniformFollowee {
    fn name(&self) -> &str {
        "uniform_followee"
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        let (view, viewer, limit) = (cx.view, cx.viewer, cx.limit);
        let Some(last) = viewer.last_followed else {
            return;
        };
        let followees = view.followees(last);
        if followees.is_empty() {
            return;
        }
        for i in 0..limit.min(followees.len()) {
            let account = followees[cx.rng.random_range(0..followees.len())];
            out.push(Candidate {
                account,
                score: -(i as f32),
            });
        }
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        RandomPolicy.score(cx, candidates);
    }
}
