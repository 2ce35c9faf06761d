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

mod builtin;
pub use builtin::*;

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

/// What a mitigation declares about itself, so that the engine and the adversary can react
/// without knowing its type. The default declares nothing: a mitigation that only filters or
/// re-ranks what it is given, and may reach past the slate (so the whole pool is ranked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// It suppresses labelled search *terms* (what lexical evasion reacts to).
    pub suppresses_terms: bool,
    /// It bans labelled accounts this many steps after the label (what ban evasion reacts to).
    pub bans_after: Option<u32>,
    /// It reads [`crate::platform::Labels::hops_to_labelled`], which the engine then keeps up
    /// to date every step.
    pub reads_label_hops: bool,
    /// [`Mitigation::apply`] never changes which candidates end up in the first `slate_size`
    /// places, so the pipeline may rank only the candidates that will be shown (the empty
    /// stack of a baseline arm). False by default: the whole pool is ranked.
    pub stays_within_slate: bool,
}

impl Capabilities {
    /// Nothing declared (the default).
    pub const NONE: Capabilities = Capabilities {
        suppresses_terms: false,
        bans_after: None,
        reads_label_hops: false,
        stays_within_slate: false,
    };

    /// Declares that the mitigation suppresses labelled terms.
    pub fn suppressing_terms(mut self) -> Self {
        self.suppresses_terms = true;
        self
    }

    /// Declares that the mitigation bans labelled accounts `delay` steps after the label.
    pub fn banning_after(mut self, delay: u32) -> Self {
        self.bans_after = Some(delay);
        self
    }

    /// Declares that the mitigation reads hops to the nearest labelled account.
    pub fn reading_label_hops(mut self) -> Self {
        self.reads_label_hops = true;
        self
    }

    /// Declares that the mitigation never reaches past the slate (see the field).
    pub fn within_slate(mut self) -> Self {
        self.stays_within_slate = true;
        self
    }

    /// The capabilities of several mitigations applied in order.
    pub fn combine(items: impl IntoIterator<Item = Capabilities>) -> Self {
        items.into_iter().fold(
            Capabilities {
                stays_within_slate: true,
                ..Capabilities::NONE
            },
            |acc, c| Capabilities {
                suppresses_terms: acc.suppresses_terms || c.suppresses_terms,
                bans_after: match (acc.bans_after, c.bans_after) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                reads_label_hops: acc.reads_label_hops || c.reads_label_hops,
                stays_within_slate: acc.stays_within_slate && c.stays_within_slate,
            },
        )
    }
}

/// A filter or re-ranker over a ranked slate. Implement it to plug your own mitigation into
/// driftlab, register it with [`crate::plugin::Registry::mitigation`] (or
/// [`crate::experiment::Experiment::mitigation`]) and name it in an arm like a built-in:
/// `mitigations = [{ kind = "my_filter" }]`.
///
/// One method is required, [`Mitigation::apply`]: it receives the ranked pool as a [`Slate`],
/// which can only shrink or be reordered, so a mitigation cannot add a candidate, by type.
/// What the engine must know about it is declared in [`Mitigation::capabilities`].
pub trait Mitigation: Send + Sync {
    /// Name as written in scenarios and manifests.
    fn name(&self) -> &str;

    /// Removes or reorders candidates of `slate`. Draw random numbers from `rng` only (the
    /// viewer's mitigation stream from the seed tree, shared by every arm).
    fn apply(&self, ctx: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng);

    /// Probability that a follow of `account` goes through (friction); 1 by default.
    fn follow_probability(&self, _ctx: &MitigationCtx<'_>, _account: AccountId) -> f64 {
        1.0
    }

    /// What the mitigation declares about itself ([`Capabilities::NONE`] by default).
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
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

    /// Builds the stack an arm describes; `plugin` builds registered plug-ins.
    pub fn from_specs_with(
        specs: &[MitigationSpec],
        plugin: &crate::policy::BuildPlugin<'_, dyn Mitigation>,
    ) -> Result<Self, crate::scenario::kinds::ParamError> {
        Ok(Self::new(
            specs
                .iter()
                .map(|s| s.build_with(plugin))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// Builds a stack of built-in mitigations (tests).
    #[cfg(test)]
    pub(crate) fn from_specs(specs: &[MitigationSpec]) -> Self {
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

    fn capabilities(&self) -> Capabilities {
        Capabilities::combine(self.stack.iter().map(|m| m.capabilities()))
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
