//! Mitigations: re-rankers and filters applied, in order, to every ranked pool before the slate
//! is cut. A mitigation may remove or reorder candidates, never add one: the [`Slate`] it gets has
//! no way to insert (only `retain`, `clear` and stable reordering), so the rule holds by type for
//! built-in and user mitigations alike. Mitigations act on the moderation labels of the
//! [`PlatformView`], never on the ground truth.

use crate::ids::{AccountId, TermId};
use crate::platform::PlatformView;
use crate::rng::SimRng;
use crate::scenario::spec::MitigationSpec;
pub use crate::slate::Slate;
use crate::slate::Surface;

mod builtin;
pub use builtin::*;

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
///
/// # Example
///
/// A custom mitigation, registered and run in an arm of a scenario that names it:
///
/// ```
/// use driftlab::experiment::Experiment;
/// use driftlab::mitigation::{Mitigation, MitigationCtx, Slate};
/// use driftlab::plugin::ParamError;
/// use driftlab::rng::SimRng;
/// use driftlab::scenario::{Overrides, Scenario};
///
/// /// Keeps at most `keep` candidates per slate (a "shorter slates" experiment).
/// struct Shorter { keep: usize }
///
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct ShorterParams { keep: usize }
///
/// impl Mitigation for Shorter {
///     fn name(&self) -> &str { "shorter" }
///     fn apply(&self, _: &MitigationCtx<'_>, slate: &mut Slate, _: &mut SimRng) {
///         slate.truncate(self.keep);
///     }
/// }
///
/// let text = r#"
/// name = "shorter-demo"
/// seed = 7
/// steps = 5
/// [world]
/// accounts = 2000
/// [[probes]]
/// name = "p"
/// count = 4
/// [[arms]]
/// name = "baseline"
/// [[arms]]
/// name = "shorter"
/// mitigations = [{ kind = "shorter", keep = 2 }]
/// "#;
/// let scenario = Scenario::from_toml_str(text, "demo.toml", ".".as_ref(), &Overrides::default())?;
/// let result = Experiment::new(scenario)
///     .mitigation("shorter", |p: ShorterParams| {
///         if p.keep == 0 {
///             return Err(ParamError::new("keep", "must be at least 1"));
///         }
///         Ok(Shorter { keep: p.keep })
///     })
///     .threads(1)
///     .run_in_memory()?;
/// let (baseline, shorter) = (&result.runs[0][0], &result.runs[0][1]);
/// assert!(shorter.steps[0].impressions < baseline.steps[0].impressions);
/// # Ok::<(), driftlab::Error>(())
/// ```
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

    /// The batched mitigation this is ([`crate::batch::BatchMitigation`]): the step loop
    /// then applies it to whole batches of pools. None for a mitigation applied per request.
    #[doc(hidden)]
    fn as_batched(&self) -> Option<&dyn crate::batch::BatchMitigation> {
        None
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
        plugin: &crate::scenario::kinds::BuildPlugin<'_, dyn Mitigation>,
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

    /// The mitigations in application order.
    pub fn items(&self) -> &[Box<dyn Mitigation>] {
        &self.stack
    }

    /// Whether a mitigation of the stack is batched (see [`crate::batch`]).
    pub fn is_batched(&self) -> bool {
        self.stack.iter().any(|m| m.as_batched().is_some())
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
    use crate::slate::Candidate;
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
            let mut slate = Slate::from_ranked(input.clone());
            let mut rng = SeedTree::new(seed).stream(0, crate::rng::StreamId::Mitigation);
            let first = rng.clone();
            MitigationStack::from_specs(&specs).apply(&ctx, &mut slate, &mut rng);
            prop_assert!(is_submultiset(&sorted(slate.items()), &sorted(&input)));
            // The stack equals its mitigations applied one after another, in order (same
            // random numbers).
            let mut rng = first;
            let mut one_by_one = Slate::from_ranked(input.clone());
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
            let mut untouched = Slate::from_ranked(input.clone());
            MitigationStack::from_specs(&label_based).apply(&ctx, &mut untouched, &mut rng);
            prop_assert_eq!(untouched.items(), &input[..]);
        }

        #[test]
        fn user_mitigations_only_remove_or_reorder(
            accounts in proptest::collection::vec(0u32..300, 0..40),
            order in proptest::collection::vec(0usize..10, 0..4),
            seed in any::<u64>(),
        ) {
            // A user's mitigation, registered like any plug-in, tries everything the Slate
            // allows (shuffles, drops, sorts, moves to the back), mixed into a built-in stack.
            let world = world();
            let labels = Labels::none(world.accounts(), world.terms());
            let view = PlatformView::new(&world, &labels);
            let ctx = MitigationCtx { view: &view, surface: Surface::Feed, query: None, slate_size: 5 };
            let mut registry = crate::plugin::Registry::new();
            registry.mitigation("scramble", |_: crate::plugin::NoParams| Ok(Scramble));
            let mut specs: Vec<MitigationSpec> = order.iter().map(|&i| all_specs()[i].clone()).collect();
            let plugin = crate::scenario::spec::PluginSpec { kind: "scramble".into(), params: Default::default() };
            specs.insert(specs.len() / 2, MitigationSpec::Plugin(plugin));
            let stack = registry.build_stack(&specs).unwrap();
            let input: Vec<Candidate> = accounts
                .iter()
                .enumerate()
                .map(|(i, &a)| Candidate { account: AccountId(a), score: -(i as f32) })
                .collect();
            let mut slate = Slate::from_ranked(input.clone());
            let mut rng = SeedTree::new(seed).stream(0, crate::rng::StreamId::Mitigation);
            stack.apply(&ctx, &mut slate, &mut rng);
            prop_assert!(is_submultiset(&sorted(slate.items()), &sorted(&input)));
        }
    }

    /// A user mitigation that uses every operation a Slate offers.
    struct Scramble;

    impl Mitigation for Scramble {
        fn name(&self) -> &str {
            "scramble"
        }
        fn apply(&self, _: &MitigationCtx<'_>, slate: &mut Slate, rng: &mut SimRng) {
            use rand::RngExt;
            let n = slate.len();
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            slate.reorder(&order);
            slate.retain(|_| rng.random_bool(0.8));
            slate.move_to_back(|c| c.account.0 % 3 == 0);
            slate.sort_by(|a, b| a.score.total_cmp(&b.score));
            slate.truncate(rng.random_range(0..=n));
        }
    }
}
