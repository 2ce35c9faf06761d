//! Mitigations: re-rankers and filters applied, in order, to every ranked pool before the slate
//! is cut. A mitigation may remove or reorder candidates, never add one: the [`Slate`] it gets has
//! no way to insert (only `retain`, `clear` and stable reordering), so the rule holds by type for
//! built-in and user mitigations alike. Mitigations act on the moderation labels of the
//! [`PlatformView`], never on the ground truth.

use crate::ids::{AccountId, TermId};
use crate::platform::PlatformView;
use crate::policy::{Candidate, Surface};
use crate::rng::SimRng;
use crate::scenario::spec::MitigationSpec;

mod catalogue;
pub use catalogue::*;

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
    /// Items that will be shown (the slate is cut to this after the mitigations).
    pub slate_size: usize,
}

/// A filter or re-ranker over a ranked slate.
pub trait Mitigation: Send + Sync {
    /// Name as written in scenarios and manifests.
    fn name(&self) -> &str;

    /// Removes or reorders candidates of `slate`.
    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng);

    /// Probability that a follow of `account` goes through (friction); 1 by default.
    fn follow_probability(&self, _ctx: &MitigationCtx<'_>, _account: AccountId) -> f64 {
        1.0
    }

    /// Whether the mitigation suppresses labelled *terms* (what lexical evasion reacts to).
    fn suppresses_terms(&self) -> bool {
        false
    }

    /// Steps from label to ban when the mitigation bans labelled accounts (what ban evasion
    /// reacts to); `None` when it does not ban.
    fn bans_after(&self) -> Option<u32> {
        None
    }

    /// Whether the mitigation reads [`crate::platform::Labels::hops_to_labelled`], which the
    /// engine then keeps up to date.
    fn needs_label_hops(&self) -> bool {
        false
    }

    /// Whether [`Mitigation::apply`] may change which candidates end up in the first
    /// `slate_size` places, and so needs the whole pool ranked (true by default). When it
    /// cannot (the empty stack of a baseline arm), the pipeline ranks only the candidates that
    /// will be shown, which gives the same slate.
    fn needs_ranked_pool(&self) -> bool {
        true
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

    fn follow_probability(&self, ctx: &MitigationCtx<'_>, account: AccountId) -> f64 {
        self.stack
            .iter()
            .map(|m| m.follow_probability(ctx, account))
            .product()
    }

    fn needs_label_hops(&self) -> bool {
        self.stack.iter().any(|m| m.needs_label_hops())
    }

    fn suppresses_terms(&self) -> bool {
        self.stack.iter().any(|m| m.suppresses_terms())
    }

    fn bans_after(&self) -> Option<u32> {
        self.stack.iter().filter_map(|m| m.bans_after()).min()
    }

    fn needs_ranked_pool(&self) -> bool {
        self.stack.iter().any(|m| m.needs_ranked_pool())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, TermId};
    use crate::platform::Labels;
    use crate::rng::SeedTree;
    use crate::scenario::spec::WorldSpec;
    use proptest::prelude::*;

    fn world() -> crate::world::World {
        let spec = WorldSpec {
            accounts: Some(300),
            benign_communities: 3,
            adjacent_communities: 1,
            ..WorldSpec::default()
        };
        crate::world::generate(&spec, 20, &SeedTree::new(5), 0)
    }

    fn all_specs() -> Vec<MitigationSpec> {
        use crate::scenario::spec::*;
        vec![
            MitigationSpec::SuppressFlaggedSearch(SuppressSearchSpec::default()),
            MitigationSpec::ExcludeFlaggedFromSuggestions(EmptySpec {}),
            MitigationSpec::DemoteFlagged(DemoteSpec::default()),
            MitigationSpec::BanDetected(BanSpec::default()),
            MitigationSpec::CofollowDampening(DampeningSpec::default()),
            MitigationSpec::GraphDistanceGuard(GuardSpec::default()),
            MitigationSpec::ExposureCap(ExposureCapSpec::default()),
            MitigationSpec::DiversityInjection(DiversitySpec::default()),
            MitigationSpec::Friction(FrictionSpec::default()),
            MitigationSpec::SuppressFlaggedSearch(SuppressSearchSpec {
                click_through: Some(0.5),
            }),
        ]
    }

    fn sorted(items: &[Candidate]) -> Vec<(AccountId, u32)> {
        let mut v: Vec<_> = items
            .iter()
            .map(|c| (c.account, c.score.to_bits()))
            .collect();
        v.sort_unstable();
        v
    }

    /// Whether `small` is a sub-multiset of `big`.
    fn is_submultiset(small: &[(AccountId, u32)], big: &[(AccountId, u32)]) -> bool {
        let mut j = 0;
        small.iter().all(|x| {
            while j < big.len() && big[j] < *x {
                j += 1;
            }
            let found = j < big.len() && big[j] == *x;
            j += 1;
            found
        })
    }

    proptest! {
        #[test]
        fn stacks_only_remove_or_reorder_and_keep_their_order(
            accounts in proptest::collection::vec(0u32..300, 0..40),
            labelled in proptest::collection::vec(any::<bool>(), 300),
            order in proptest::collection::vec(0usize..10, 0..5),
            surface in 0usize..4,
            query in 0u32..30,
            seed in any::<u64>(),
        ) {
            let world = world();
            let mut labels = Labels::none(world.accounts(), world.terms());
            for (a, l) in labelled.iter().enumerate() {
                labels.set_account(AccountId(a as u32), *l);
            }
            labels.set_term(TermId(query % world.terms() as u32), labelled[0]);
            labels.refresh_hops(&world);
            let view = PlatformView::new(&world, &labels);
            let ctx = MitigationCtx {
                view: &view,
                surface: Surface::ALL[surface],
                query: Some(TermId(query % world.terms() as u32)),
                slate_size: 5,
            };
            let specs: Vec<MitigationSpec> = order.iter().map(|&i| all_specs()[i].clone()).collect();
            let input: Vec<Candidate> = accounts
                .iter()
                .enumerate()
                .map(|(i, &a)| Candidate { account: AccountId(a), score: -(i as f32) })
                .collect();
            let mut slate = Slate { items: input.clone() };
            let mut rng = SeedTree::new(seed).stream(0, crate::rng::StreamId::Mitigation);
            let first = rng.clone();
            MitigationStack::from_specs(&specs).apply(&ctx, &mut slate, &mut rng);
            prop_assert!(is_submultiset(&sorted(slate.items()), &sorted(&input)));
            // The stack equals its mitigations applied one after another, in order (same
            // random numbers).
            let mut rng = first;
            let mut one_by_one = Slate { items: input.clone() };
            for spec in &specs {
                spec.build().apply(&ctx, &mut one_by_one, &mut rng);
            }
            prop_assert_eq!(&slate, &one_by_one);
            // Label-based mitigations never fire without labels (input ranked, as the
            // pipeline delivers it).
            let mut none = Labels::none(world.accounts(), world.terms());
            none.refresh_hops(&world);
            let bare = PlatformView::new(&world, &none);
            let ctx = MitigationCtx { view: &bare, ..ctx };
            let label_based: Vec<MitigationSpec> = specs.iter().filter(|s| s.uses_labels()).cloned().collect();
            let mut untouched = Slate { items: input.clone() };
            MitigationStack::from_specs(&label_based).apply(&ctx, &mut untouched, &mut rng);
            prop_assert_eq!(untouched.items(), &input[..]);
        }
    }
}
