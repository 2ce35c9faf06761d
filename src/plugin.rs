//! Plug-ins: a user's own policies and mitigations, registered by name and named in scenario
//! files exactly like the built-ins, with their own typed parameters.
//!
//! A plug-in is a factory from typed parameters (any `serde` struct; use
//! `#[serde(deny_unknown_fields)]` so misspelt keys are caught) to a [`Policy`] or a
//! [`Mitigation`]. The scenario's table for it (`policy = { kind = "my_ranker", alpha = 0.3 }`)
//! is deserialised into the parameters when the experiment is checked, so a bad parameter gets
//! the same `file:line: key: message` error as a built-in's; the factory may refuse values with
//! a [`ParamError`] naming the key.
//!
//! Plug-ins get no random numbers of their own making: a policy draws from [`Context::rng`] and
//! a mitigation from the `rng` of [`Mitigation::apply`], both streams of the seed tree, so a
//! plug-in arm is as reproducible as a built-in one, on any number of threads.
//!
//! [`Context::rng`]: crate::policy::Context::rng

use crate::batch::{BatchMitigation, BatchPolicy};
use crate::catalog::{self, Entry};
use crate::mitigation::{Mitigation, MitigationCtx, MitigationStack, Slate};
use crate::policy::{Candidate, Context, Policy};
use crate::rng::SimRng;
pub use crate::scenario::kinds::ParamError;
use crate::scenario::kinds::{parse_params, Category, KindCatalog};
use crate::scenario::spec::{MitigationSpec, PluginSpec, PolicySpec};
use crate::scenario::{Scenario, ScenarioError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Parameters of a plug-in that takes none (any key is refused).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

type Factory<T> = Arc<dyn Fn(&toml::Table) -> Result<Box<T>, ParamError> + Send + Sync>;

/// One registered plug-in.
struct Plugin<T: ?Sized> {
    about: String,
    params: Vec<(String, String, String)>,
    factory: Factory<T>,
}

impl<T: ?Sized> Plugin<T> {
    /// An undocumented plug-in built by `factory`.
    fn new(factory: Factory<T>) -> Self {
        Self {
            about: String::new(),
            params: Vec::new(),
            factory,
        }
    }
}

impl<T: ?Sized> Clone for Plugin<T> {
    fn clone(&self) -> Self {
        Self {
            about: self.about.clone(),
            params: self.params.clone(),
            factory: Arc::clone(&self.factory),
        }
    }
}

/// The policies and mitigations a scenario may name besides the built-ins.
#[derive(Clone, Default)]
pub struct Registry {
    policies: BTreeMap<String, Plugin<dyn Policy>>,
    mitigations: BTreeMap<String, Plugin<dyn Mitigation>>,
    /// Registration mistakes, reported when the registry is used.
    problems: Vec<String>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("policies", &self.policies.keys().collect::<Vec<_>>())
            .field("mitigations", &self.mitigations.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a registry or the plug-ins of a scenario were refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// A plug-in was registered under a name that cannot be used.
    #[error("plug-in registration: {0}")]
    Registration(String),
    /// The scenario names an unknown kind or gives a plug-in bad parameters.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Registry {
    /// A registry of the built-ins alone.
    pub fn new() -> Self {
        Self::default()
    }

    fn check_name(&mut self, category: Category, kind: &str, taken: bool) -> bool {
        let builtin = match category {
            Category::Policy => PolicySpec::BUILTIN.contains(&kind),
            Category::Mitigation => MitigationSpec::BUILTIN.contains(&kind),
        };
        let problem = if !valid_kind(kind) {
            Some(format!(
                "{} kind {kind:?} must be 1 to 64 lower-case letters, digits or `_`",
                category.name()
            ))
        } else if builtin {
            Some(format!(
                "{} kind `{kind}` is built in; register yours under another name",
                category.name()
            ))
        } else if taken {
            Some(format!(
                "{} kind `{kind}` is registered twice",
                category.name()
            ))
        } else {
            None
        };
        match problem {
            Some(p) => {
                self.problems.push(p);
                false
            }
            None => true,
        }
    }

    /// Adds a policy factory under `kind` if the name can be used.
    fn add_policy(&mut self, kind: &str, factory: Factory<dyn Policy>) -> &mut Self {
        if self.check_name(Category::Policy, kind, self.policies.contains_key(kind)) {
            self.policies.insert(kind.to_string(), Plugin::new(factory));
        }
        self
    }

    /// Adds a mitigation factory under `kind` if the name can be used.
    fn add_mitigation(&mut self, kind: &str, factory: Factory<dyn Mitigation>) -> &mut Self {
        let taken = self.mitigations.contains_key(kind);
        if self.check_name(Category::Mitigation, kind, taken) {
            self.mitigations
                .insert(kind.to_string(), Plugin::new(factory));
        }
        self
    }

    /// Registers a policy `kind` built by `factory` from its typed parameters `P` (use
    /// [`NoParams`] for none). The factory runs once per experiment (per sweep point), never
    /// per request.
    pub fn policy<P, T, F>(&mut self, kind: &str, factory: F) -> &mut Self
    where
        P: DeserializeOwned + 'static,
        T: Policy + 'static,
        F: Fn(P) -> Result<T, ParamError> + Send + Sync + 'static,
    {
        self.add_policy(
            kind,
            Arc::new(move |table: &toml::Table| {
                Ok(Box::new(factory(parse_params::<P>(table)?)?) as Box<dyn Policy>)
            }),
        )
    }

    /// Registers a mitigation `kind` built by `factory` from its typed parameters `P`.
    pub fn mitigation<P, T, F>(&mut self, kind: &str, factory: F) -> &mut Self
    where
        P: DeserializeOwned + 'static,
        T: Mitigation + 'static,
        F: Fn(P) -> Result<T, ParamError> + Send + Sync + 'static,
    {
        self.add_mitigation(
            kind,
            Arc::new(move |table: &toml::Table| {
                Ok(Box::new(factory(parse_params::<P>(table)?)?) as Box<dyn Mitigation>)
            }),
        )
    }

    /// Registers a batched policy `kind` ([`crate::batch`]): `factory` builds its scorer from
    /// typed parameters `P` (every key of the scenario's table but `source`); `source` names
    /// the built-in policy retrieving its candidates (default `{ kind = "co_follow" }`). The
    /// scorer is called once per step and surface.
    pub fn batch_policy<P, T, F>(&mut self, kind: &str, factory: F) -> &mut Self
    where
        P: DeserializeOwned + 'static,
        T: BatchPolicy + 'static,
        F: Fn(P) -> Result<T, ParamError> + Send + Sync + 'static,
    {
        self.add_policy(
            kind,
            Arc::new(move |table: &toml::Table| {
                let (source, rest) = split_source(table)?;
                let source = source.build_with(&|p| {
                    Err(ParamError::new(
                        "source.kind",
                        format!("`{}`: a source must be a built-in policy", p.kind),
                    ))
                })?;
                let scorer = factory(parse_params::<P>(&rest)?)?;
                Ok(Box::new(Batched::new(source, Box::new(scorer))) as Box<dyn Policy>)
            }),
        )
    }

    /// Registers a batched mitigation `kind` ([`crate::batch`]) built by `factory` from its
    /// typed parameters `P`; it is applied once per step and surface.
    pub fn batch_mitigation<P, T, F>(&mut self, kind: &str, factory: F) -> &mut Self
    where
        P: DeserializeOwned + 'static,
        T: BatchMitigation + 'static,
        F: Fn(P) -> Result<T, ParamError> + Send + Sync + 'static,
    {
        self.add_mitigation(
            kind,
            Arc::new(move |table: &toml::Table| {
                let inner = factory(parse_params::<P>(table)?)?;
                Ok(Box::new(BatchedMitigation::new(Box::new(inner))) as Box<dyn Mitigation>)
            }),
        )
    }

    /// Documents a registered plug-in for `driftlab list` and [`Registry::entries`]: one line
    /// on what it models, and its parameters as (name, default, meaning).
    pub fn describe(
        &mut self,
        kind: &str,
        about: &str,
        params: &[(&str, &str, &str)],
    ) -> &mut Self {
        let params: Vec<(String, String, String)> = params
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        if let Some(p) = self.policies.get_mut(kind) {
            p.about = about.to_string();
            p.params.clone_from(&params);
        } else if let Some(m) = self.mitigations.get_mut(kind) {
            m.about = about.to_string();
            m.params = params;
        } else {
            self.problems.push(format!(
                "`describe({kind:?})`: no plug-in of that name is registered"
            ));
        }
        self
    }

    /// Registered kinds of a category, in name order.
    pub fn kinds(&self, category: Category) -> Vec<&str> {
        match category {
            Category::Policy => self.policies.keys().map(String::as_str).collect(),
            Category::Mitigation => self.mitigations.keys().map(String::as_str).collect(),
        }
    }

    /// Everything a scenario can name: the built-ins of [`catalog::entries`] and the registered
    /// plug-ins (marked `plugin`), by category.
    pub fn entries(&self) -> Vec<Entry> {
        let mut all = catalog::entries();
        let plugin = |category: Category,
                      kind: &str,
                      about: &str,
                      params: &[(String, String, String)]| Entry {
            category: category.name().to_string(),
            name: kind.to_string(),
            description: if about.is_empty() {
                "(registered plug-in)".to_string()
            } else {
                about.to_string()
            },
            params: params.to_vec(),
            plugin: true,
        };
        let mut extra: Vec<Entry> = self
            .policies
            .iter()
            .map(|(k, p)| plugin(Category::Policy, k, &p.about, &p.params))
            .chain(
                self.mitigations
                    .iter()
                    .map(|(k, p)| plugin(Category::Mitigation, k, &p.about, &p.params)),
            )
            .collect();
        // Each plug-in goes after the last built-in of its category.
        for e in extra.drain(..) {
            let at = all
                .iter()
                .rposition(|x| x.category == e.category)
                .map_or(all.len(), |i| i + 1);
            all.insert(at, e);
        }
        all
    }

    /// Checks a scenario against the built-ins and the registered plug-ins: every kind known,
    /// every plug-in's parameters accepted (file:line:key errors otherwise).
    pub fn check(&self, scenario: &Scenario) -> Result<(), PluginError> {
        if let Some(p) = self.problems.first() {
            return Err(PluginError::Registration(p.clone()));
        }
        scenario.check_kinds(self)?;
        Ok(())
    }

    /// Builds the policy a (checked) spec describes.
    pub fn build_policy(&self, spec: &PolicySpec) -> Result<Box<dyn Policy>, ParamError> {
        spec.build_with(&|p: &PluginSpec| match self.policies.get(&p.kind) {
            Some(plugin) => (plugin.factory)(&p.params),
            None => Err(unknown(Category::Policy, &p.kind)),
        })
    }

    /// Builds the mitigation stack of an arm (checked specs).
    pub fn build_stack(&self, specs: &[MitigationSpec]) -> Result<MitigationStack, ParamError> {
        MitigationStack::from_specs_with(specs, &|p: &PluginSpec| match self
            .mitigations
            .get(&p.kind)
        {
            Some(plugin) => (plugin.factory)(&p.params),
            None => Err(unknown(Category::Mitigation, &p.kind)),
        })
    }
}

fn unknown(category: Category, kind: &str) -> ParamError {
    ParamError::new("kind", format!("unknown {} kind `{kind}`", category.name()))
}

impl KindCatalog for Registry {
    fn kinds(&self, category: Category) -> Vec<&str> {
        Registry::kinds(self, category)
    }

    fn check_params(
        &self,
        category: Category,
        kind: &str,
        params: &toml::Table,
    ) -> Option<Result<(), ParamError>> {
        match category {
            Category::Policy => self
                .policies
                .get(kind)
                .map(|p| (p.factory)(params).map(|_| ())),
            Category::Mitigation => self
                .mitigations
                .get(kind)
                .map(|p| (p.factory)(params).map(|_| ())),
        }
    }
}

/// A batched policy ([`crate::batch`]) with its native candidate source, as a [`Policy`]. Serving a request on
/// its own (outside the batched step loop) would use the source alone, so the step loop
/// serves every arm with a batched policy surface by surface (see [`crate::agents`]).
pub struct Batched {
    source: Box<dyn Policy>,
    scorer: Box<dyn BatchPolicy>,
}

impl Batched {
    /// A batched policy scoring the candidates `source` retrieves.
    pub fn new(source: Box<dyn Policy>, scorer: Box<dyn BatchPolicy>) -> Self {
        Self { source, scorer }
    }

    /// The native source of candidates.
    pub fn source(&self) -> &dyn Policy {
        self.source.as_ref()
    }

    /// The batch scorer.
    pub fn scorer(&self) -> &dyn BatchPolicy {
        self.scorer.as_ref()
    }
}

impl Policy for Batched {
    fn name(&self) -> &str {
        self.scorer.name()
    }

    fn generate(&self, cx: &mut Context<'_>, out: &mut Vec<Candidate>) {
        self.source.generate(cx, out);
    }

    fn score(&self, cx: &mut Context<'_>, candidates: &mut [Candidate]) {
        self.source.score(cx, candidates);
    }

    fn generates_unique_accounts(&self) -> bool {
        self.source.generates_unique_accounts()
    }

    fn generate_top(&self, cx: &mut Context<'_>, keep: usize, out: &mut Vec<Candidate>) {
        self.source.generate_top(cx, keep, out);
    }

    fn as_batched(&self) -> Option<(&dyn Policy, &dyn BatchPolicy)> {
        Some((self.source.as_ref(), self.scorer.as_ref()))
    }
}

/// A batched mitigation as a member of an arm's [`crate::mitigation::MitigationStack`]. Applied
/// per request it would do nothing, so the step loop serves every arm with one batch by batch.
pub struct BatchedMitigation {
    inner: Box<dyn BatchMitigation>,
}

impl BatchedMitigation {
    /// Wraps a batched mitigation.
    pub fn new(inner: Box<dyn BatchMitigation>) -> Self {
        Self { inner }
    }
}

impl Mitigation for BatchedMitigation {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn apply(&self, _: &MitigationCtx<'_>, _: &mut Slate, _: &mut SimRng) {
        debug_assert!(false, "a batched mitigation is applied batch by batch");
    }

    fn as_batched(&self) -> Option<&dyn BatchMitigation> {
        Some(self.inner.as_ref())
    }
}

/// The `source` parameter of a batched policy: a built-in policy spec, by default co-follow.
/// Returns the source's spec and the other parameters (those of the plug-in itself).
pub fn split_source(params: &toml::Table) -> Result<(PolicySpec, toml::Table), ParamError> {
    let mut rest = params.clone();
    let source = match rest.remove("source") {
        None => PolicySpec::CoFollow(Default::default()),
        Some(value) => {
            let Some(table) = value.as_table() else {
                return Err(ParamError::new(
                    "source",
                    "must be a table naming a built-in policy, like `{ kind = \"co_follow\" }`",
                ));
            };
            let mut params = table.clone();
            let kind = match params.remove("kind") {
                Some(toml::Value::String(kind)) => kind,
                _ => {
                    return Err(ParamError::new(
                        "source.kind",
                        "missing or not a string: name a built-in policy, like \
                         `{ kind = \"co_follow\" }`",
                    ))
                }
            };
            let named = PluginSpec { kind, params };
            let Some(spec) = PolicySpec::builtin(&named) else {
                return Err(ParamError::new(
                    "source.kind",
                    format!(
                        "`{}`: a batched policy's source must be a built-in policy (`co_follow`, \
                         `embedding`, `popularity`, `random`, `uniform_followee`, `hybrid`)",
                        named.kind
                    ),
                ));
            };
            let spec = spec.map_err(|e| {
                let key = if e.key.is_empty() {
                    "source".to_string()
                } else {
                    format!("source.{}", e.key)
                };
                ParamError::new(key, e.message)
            })?;
            spec
        }
    };
    Ok((source, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Candidate, Context};
    use crate::scenario::Overrides;
    use std::path::Path;

    struct Constant(f32);

    impl Policy for Constant {
        fn name(&self) -> &str {
            "constant"
        }
        fn generate(&self, _: &mut Context<'_>, _: &mut Vec<Candidate>) {}
        fn score(&self, _: &mut Context<'_>, candidates: &mut [Candidate]) {
            candidates.iter_mut().for_each(|c| c.score = self.0);
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct ConstantParams {
        #[serde(default)]
        value: f32,
    }

    fn registry() -> Registry {
        let mut r = Registry::new();
        r.policy("constant", |p: ConstantParams| {
            if (0.0..=1.0).contains(&p.value) {
                Ok(Constant(p.value))
            } else {
                Err(ParamError::new(
                    "value",
                    format!("= {} is out of range: expected 0 ..= 1", p.value),
                ))
            }
        });
        r
    }

    const BASE: &str = "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[[arms]]\nname = \"baseline\"\n[surfaces.feed]\npool = 5\nslate = 2\n";

    fn check(policy: &str) -> Result<(), String> {
        let text = format!("{BASE}policy = {policy}\n");
        let s = Scenario::from_toml_str(&text, "t.toml", Path::new("."), &Overrides::default())
            .map_err(|e| e.to_string())?;
        registry().check(&s).map_err(|e| e.to_string())
    }

    #[test]
    fn plugins_are_checked_like_builtins() {
        assert_eq!(check("{ kind = \"constant\", value = 0.5 }"), Ok(()));
        assert_eq!(
            check("{ kind = \"constant\", valu = 0.5 }").unwrap_err(),
            "t.toml:10:31: `surfaces.feed.policy.valu`: unknown key `valu`, did you mean `value`?"
        );
        assert_eq!(
            check("{ kind = \"constant\", value = 2 }").unwrap_err(),
            "t.toml:10: `surfaces.feed.policy.value`: = 2 is out of range: expected 0 ..= 1"
        );
        assert_eq!(
            check("{ kind = \"constant\", value = \"x\" }").unwrap_err(),
            "t.toml:10: `surfaces.feed.policy.value`: expected a number, found the string \"x\""
        );
        assert_eq!(
            check("{ kind = \"constnt\" }").unwrap_err(),
            "t.toml:10:19: `surfaces.feed.policy.kind`: unknown kind `constnt`, did you mean \
             `constant`?"
        );
        let m = check("{ kind = \"zzz\" }").unwrap_err();
        assert!(
            m.contains("expected one of `random`") && m.ends_with("`constant`"),
            "{m}"
        );
    }

    #[test]
    fn registration_mistakes_are_reported() {
        let text = format!("{BASE}policy = {{ kind = \"random\" }}\n");
        let s = Scenario::from_toml_str(&text, "t.toml", Path::new("."), &Overrides::default())
            .unwrap();
        for kind in ["random", "Bad Name", ""] {
            let mut r = Registry::new();
            r.policy(kind, |_: NoParams| Ok(Constant(0.0)));
            assert!(
                matches!(r.check(&s), Err(PluginError::Registration(_))),
                "{kind}"
            );
        }
        let mut r = registry();
        r.policy("constant", |_: NoParams| Ok(Constant(0.0)));
        assert!(r.check(&s).is_err());
        let mut r = registry();
        r.describe(
            "constant",
            "a constant score",
            &[("value", "0", "the score")],
        );
        assert!(r.check(&s).is_ok());
        let e = r.entries();
        let c = e.iter().find(|e| e.name == "constant").unwrap();
        assert!(c.plugin && c.category == "policy" && c.params.len() == 1);
    }

    #[test]
    fn the_source_defaults_to_co_follow_and_is_split_off() {
        let t: toml::Table = toml::from_str("alpha = 0.5").unwrap();
        let (s, rest) = split_source(&t).unwrap();
        assert!(matches!(s, PolicySpec::CoFollow(_)));
        assert_eq!(rest.len(), 1);
        let t: toml::Table =
            toml::from_str("alpha = 0.5\nsource = { kind = \"popularity\" }").unwrap();
        let (s, rest) = split_source(&t).unwrap();
        assert!(matches!(s, PolicySpec::Popularity(_)));
        assert!(!rest.contains_key("source"));
    }

    #[test]
    fn a_bad_source_names_its_key() {
        let t: toml::Table =
            toml::from_str("source = { kind = \"co_follow\", sampels = 3 }").unwrap();
        let e = split_source(&t).unwrap_err();
        assert!(e.key.starts_with("source"), "{e:?}");
        let t: toml::Table = toml::from_str("source = { kind = \"mine\" }").unwrap();
        let e = split_source(&t).unwrap_err();
        assert_eq!(e.key, "source.kind", "{e:?}");
    }
}
