//! What the serving pipeline hands around: a scored [`Candidate`], the [`Surface`] it is
//! served on, and the [`Slate`] that mitigations may shrink or reorder but never grow. Shared
//! by policies, mitigations and the pipeline, and depending on none of them.

use crate::ids::AccountId;
use serde::Serialize;

/// A scored account in a candidate pool or slate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The account whose content (or profile) is shown.
    pub account: AccountId,
    /// The policy's score; higher ranks first, ties broken by lower account id.
    pub score: f32,
}

/// The surfaces a platform serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Surface {
    /// Term -> accounts.
    Search,
    /// Accounts to follow.
    SuggestedAccounts,
    /// Content of followed accounts.
    Feed,
    /// Content from anywhere.
    Explore,
}

impl Surface {
    /// All surfaces in serving order.
    pub const ALL: [Surface; 4] = [
        Surface::Search,
        Surface::SuggestedAccounts,
        Surface::Feed,
        Surface::Explore,
    ];

    /// Name as used in scenario files and output columns.
    pub fn name(self) -> &'static str {
        match self {
            Surface::Search => "search",
            Surface::SuggestedAccounts => "suggested_accounts",
            Surface::Feed => "feed",
            Surface::Explore => "explore",
        }
    }

    /// Position in [`Surface::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A ranked candidate list that can shrink or be reordered but never grow.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Slate {
    items: Vec<Candidate>,
}

impl Slate {
    /// An empty slate.
    pub fn new() -> Self {
        Self::default()
    }

    /// The candidates in rank order.
    pub fn items(&self) -> &[Candidate] {
        &self.items
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the slate is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Keeps the candidates for which `keep` is true, in order.
    pub fn retain(&mut self, keep: impl FnMut(&Candidate) -> bool) {
        self.items.retain(keep);
    }

    /// Removes every candidate.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Reorders by `compare` (stable: equal candidates keep their order).
    pub fn sort_by(&mut self, compare: impl FnMut(&Candidate, &Candidate) -> std::cmp::Ordering) {
        self.items.sort_by(compare);
    }

    /// Moves the candidates for which `to_back` is true (called once per candidate, in rank
    /// order) behind the others, keeping the relative order of both groups.
    pub fn move_to_back(&mut self, mut to_back: impl FnMut(&Candidate) -> bool) {
        let (mut front, mut back): (Vec<Candidate>, Vec<Candidate>) = (Vec::new(), Vec::new());
        for c in self.items.drain(..) {
            if to_back(&c) {
                back.push(c);
            } else {
                front.push(c);
            }
        }
        front.extend(back);
        self.items = front;
    }

    /// Puts the candidates in the order `order` (indices into the current order). Returns false
    /// and leaves the slate unchanged unless `order` is a permutation.
    pub fn reorder(&mut self, order: &[usize]) -> bool {
        let n = self.items.len();
        let mut seen = vec![false; n];
        if order.len() != n
            || !order
                .iter()
                .all(|&i| i < n && !std::mem::replace(&mut seen[i], true))
        {
            return false;
        }
        self.items = order.iter().map(|&i| self.items[i]).collect();
        true
    }

    /// Keeps the first `len` candidates.
    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// A slate of already ranked candidates (tests and tools).
    pub fn from_ranked(items: Vec<Candidate>) -> Self {
        Self { items }
    }

    /// The underlying buffer, for the pipeline that fills the slate (not for mitigations).
    pub(crate) fn buffer(&mut self) -> &mut Vec<Candidate> {
        &mut self.items
    }
}
