//! Mitigations: re-rankers and filters applied, in order, to every ranked pool before the slate
//! is cut. A mitigation may remove or reorder candidates, never add one: the [`Slate`] it gets has
//! no way to insert (only `retain`, `clear` and stable reordering), so the rule holds by type for
//! built-in and user mitigations alike. Mitigations act on the moderation labels of the
//! [`PlatformView`], never on the ground truth.

use crate::ids::TermId;
use crate::platform::PlatformView;
use crate::policy::{Candidate, Surface};
use crate::rng::SimRng;
use crate::scenario::spec::MitigationSpec;

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

    /// Keeps the first `len` candidates.
    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// The underlying buffer, for the pipeline that fills the slate (not for mitigations).
    pub(crate) fn buffer(&mut self) -> &mut Vec<Candidate> {
        &mut self.items
    }
}

/// What a mitigation may consult besides the slate.
#[derive(Clone, Copy)]
pub struct MitigationCtx<'a> {
    /// The platform's observable state, including moderation labels.
    pub view: &'a PlatformView<'a>,
    /// The surface being served.
    pub surface: Surface,
    /// The search term, on the search surface.
    pub query: Option<TermId>,
}

/// A filter or re-ranker over a ranked slate.
pub trait Mitigation: Send + Sync {
    /// Name as written in scenarios and manifests.
    fn name(&self) -> &str;

    /// Removes or reorders candidates of `slate`.
    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng);
}

/// A search for a labelled term returns nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct SuppressFlaggedSearch;

impl Mitigation for SuppressFlaggedSearch {
    fn name(&self) -> &str {
        "suppress_flagged_search"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        if ctx.surface == Surface::Search && ctx.query.is_some_and(|t| ctx.view.labels().term(t)) {
            slate.clear();
        }
    }
}

/// Labelled accounts are removed from suggested accounts (the rest of the pool moves up).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExcludeFlaggedFromSuggestions;

impl Mitigation for ExcludeFlaggedFromSuggestions {
    fn name(&self) -> &str {
        "exclude_flagged_from_suggestions"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, _rng: &mut SimRng) {
        if ctx.surface == Surface::SuggestedAccounts {
            let labels = ctx.view.labels();
            slate.retain(|c| !labels.account(c.account));
        }
    }
}

/// Mitigations applied in the order given; itself a mitigation, and the empty stack is the
/// baseline.
#[derive(Default)]
pub struct MitigationStack {
    stack: Vec<Box<dyn Mitigation>>,
}

impl MitigationStack {
    /// A stack applying `stack` in order.
    pub fn new(stack: Vec<Box<dyn Mitigation>>) -> Self {
        Self { stack }
    }

    /// Builds the stack an arm describes.
    pub fn from_specs(specs: &[MitigationSpec]) -> Self {
        Self::new(specs.iter().map(MitigationSpec::build).collect())
    }

    /// Names in application order.
    pub fn names(&self) -> Vec<String> {
        self.stack.iter().map(|m| m.name().to_string()).collect()
    }
}

impl Mitigation for MitigationStack {
    fn name(&self) -> &str {
        "stack"
    }

    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng) {
        for m in &self.stack {
            m.apply(ctx, slate, rng);
        }
    }
}

impl MitigationSpec {
    /// Builds the mitigation this spec describes.
    pub fn build(&self) -> Box<dyn Mitigation> {
        match self {
            MitigationSpec::SuppressFlaggedSearch(_) => Box::new(SuppressFlaggedSearch),
            MitigationSpec::ExcludeFlaggedFromSuggestions(_) => {
                Box::new(ExcludeFlaggedFromSuggestions)
            }
        }
    }
}
