//! Policy and mitigation kinds: every `policy = { kind = ... }` and `mitigations = [{ kind =
//! ... }]` table of a scenario is checked here, built-ins and registered plug-ins alike, so that
//! a misspelt kind or a bad parameter gets the same file:line:key error with a suggestion
//! whoever defined the kind.
//!
//! A table whose kind is not built in, or a built-in table that does not parse, reads as a
//! [`PluginSpec`]. Loading a scenario reports the built-in tables' own errors at once; a kind
//! that is neither built in nor registered is reported when the scenario is checked against the
//! plug-ins of an experiment ([`crate::plugin::Registry::check`]).

use super::spec::*;
use serde::de::DeserializeOwned;

/// A category of plug-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A ranking policy.
    Policy,
    /// A mitigation.
    Mitigation,
}

impl Category {
    /// `policy` or `mitigation`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Policy => "policy",
            Self::Mitigation => "mitigation",
        }
    }
}

/// Why a plug-in's parameters were refused: where inside its table, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// Path of the offending key inside the plug-in's table (`alpha`, `weights[2]`); empty for
    /// the table as a whole.
    pub key: String,
    /// What is wrong, with the valid range where there is one.
    pub message: String,
}

impl ParamError {
    /// A parameter `key` that is out of range or contradicts another.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ParamError {}

/// Builds a registered plug-in (a policy or mitigation `T`) from its table.
pub type BuildPlugin<'a, T> = dyn Fn(&PluginSpec) -> Result<Box<T>, ParamError> + 'a;

/// Deserialises typed parameters from a plug-in's table; the error names the key inside it.
pub fn parse_params<P: DeserializeOwned>(params: &toml::Table) -> Result<P, ParamError> {
    super::tables_only::deserialize(toml::Value::Table(params.clone())).map_err(|e| {
        let key = e.path().to_string();
        ParamError {
            key: if key == "." { String::new() } else { key },
            message: e.inner().message().trim().to_string(),
        }
    })
}

/// What the kind check knows of registered plug-ins.
pub trait KindCatalog {
    /// Registered kinds of a category, in name order.
    fn kinds(&self, category: Category) -> Vec<&str>;

    /// Checks the parameters of a registered kind (`None`: not registered).
    fn check_params(
        &self,
        category: Category,
        kind: &str,
        params: &toml::Table,
    ) -> Option<Result<(), ParamError>>;
}

/// The catalog of no plug-ins: only built-in kinds are known.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuiltinsOnly;

impl KindCatalog for BuiltinsOnly {
    fn kinds(&self, _: Category) -> Vec<&str> {
        Vec::new()
    }

    fn check_params(
        &self,
        _: Category,
        _: &str,
        _: &toml::Table,
    ) -> Option<Result<(), ParamError>> {
        None
    }
}

/// A problem found by the kind check.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KindProblem {
    /// Key path of the policy or mitigation table.
    pub table: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ProblemKind {
    /// A kind neither built in nor registered; the known kinds of its category.
    Unknown { word: String, known: Vec<String> },
    /// A parameter error inside the table (serde's raw message or a plug-in's own).
    Param(ParamError),
}

/// The error a built-in kind's table gives (it read as a plug-in table because it failed).
fn builtin_error(category: Category, plugin: &PluginSpec) -> Option<ParamError> {
    let parsed = match category {
        Category::Policy => PolicySpec::builtin(plugin).map(|r| r.map(drop)),
        Category::Mitigation => MitigationSpec::builtin(plugin).map(|r| r.map(drop)),
    };
    match parsed? {
        Err(e) => Some(e),
        // A built-in table that failed, although its parameters alone parse: say so rather
        // than accept it.
        Ok(()) => Some(ParamError::new(
            "",
            "this table does not describe the built-in kind",
        )),
    }
}

fn builtins(category: Category) -> &'static [&'static str] {
    match category {
        Category::Policy => &PolicySpec::BUILTIN,
        Category::Mitigation => &MitigationSpec::BUILTIN,
    }
}

/// Checks one plug-in table at `path`.
fn check_plugin(
    category: Category,
    path: &str,
    plugin: &PluginSpec,
    catalog: Option<&dyn KindCatalog>,
    out: &mut Vec<KindProblem>,
) {
    let problem = if builtins(category).contains(&plugin.kind.as_str()) {
        builtin_error(category, plugin).map(ProblemKind::Param)
    } else {
        match catalog {
            None => None,
            Some(c) => match c.check_params(category, &plugin.kind, &plugin.params) {
                Some(Ok(())) => None,
                Some(Err(e)) => Some(ProblemKind::Param(e)),
                None => {
                    let mut known: Vec<String> =
                        builtins(category).iter().map(|s| s.to_string()).collect();
                    known.extend(c.kinds(category).into_iter().map(str::to_string));
                    Some(ProblemKind::Unknown {
                        word: plugin.kind.clone(),
                        known,
                    })
                }
            },
        }
    };
    if let Some(kind) = problem {
        out.push(KindProblem {
            table: path.to_string(),
            kind,
        });
    }
}

fn walk_policy(
    path: &str,
    policy: &PolicySpec,
    catalog: Option<&dyn KindCatalog>,
    out: &mut Vec<KindProblem>,
) {
    match policy {
        PolicySpec::Plugin(p) => check_plugin(Category::Policy, path, p, catalog, out),
        PolicySpec::Hybrid(h) => {
            for (i, c) in h.components.iter().enumerate() {
                walk_policy(
                    &format!("{path}.components[{i}].policy"),
                    &c.policy,
                    catalog,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Every kind problem of a scenario, in file order of their tables (surfaces, then arms).
/// Without a catalog, kinds that are not built in are not reported.
pub(crate) fn problems(spec: &ScenarioSpec, catalog: Option<&dyn KindCatalog>) -> Vec<KindProblem> {
    let mut out = Vec::new();
    for (name, surface) in spec.surfaces.all() {
        walk_policy(
            &format!("surfaces.{name}.policy"),
            &surface.policy,
            catalog,
            &mut out,
        );
    }
    for (i, arm) in spec.arms.iter().enumerate() {
        for (j, m) in arm.mitigations.iter().enumerate() {
            if let MitigationSpec::Plugin(p) = m {
                let path = format!("arms[{i}].mitigations[{j}]");
                check_plugin(Category::Mitigation, &path, p, catalog, &mut out);
            }
        }
    }
    out
}
