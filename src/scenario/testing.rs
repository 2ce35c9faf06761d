//! A scenario for tests that holds every kind of table and value of the spec (an import, a
//! hybrid policy, every mitigation with its parameters, a sweep), and the paths into it; and
//! the smallest scenario, loaded or refused.

use super::{kinds, Overrides, Scenario, ScenarioError};
use std::path::Path;
use toml::Value;

/// The quickstart with every kind of table added, resolved (every default written).
pub(crate) fn every_kind() -> Value {
    let extra = "[world.import]\nedges = \"e\"\nlabels = \"l\"\nflagged_community = 1\n\
        adjacent_communities = [2]\n\
        [surfaces.feed]\npool = 10\nslate = 5\npolicy = { kind = \"hybrid\", components = \
        [{ weight = 1, policy = { kind = \"co_follow\" } }] }\n\
        [[arms]]\nname = \"all\"\nmitigations = [\
        { kind = \"suppress_flagged_search\", click_through = 0.5 }, \
        { kind = \"demote_flagged\" }, { kind = \"ban_detected\" }, \
        { kind = \"cofollow_dampening\" }, { kind = \"graph_distance_guard\" }, \
        { kind = \"exposure_cap\" }, { kind = \"diversity_injection\" }, \
        { kind = \"friction\" }]\n\
        [sweep]\n\"steps\" = [10]\n";
    let quickstart = include_str!("../../scenarios/quickstart.toml").replace(
        "[surfaces.feed]\npolicy = { kind = \"embedding\" }\npool = 100\nslate = 10\n",
        "",
    );
    let spec: super::ScenarioSpec = toml::from_str(&format!("{quickstart}\n{extra}")).unwrap();
    Value::Table(toml::Table::try_from(&spec).unwrap())
}

/// The path of every table (`tables`) or of every other value in `value`, e.g.
/// `arms[1].mitigations[0].factor`.
pub(crate) fn paths(value: &Value, tables: bool) -> Vec<String> {
    fn walk(prefix: &str, value: &Value, tables: bool, out: &mut Vec<String>) {
        match value {
            Value::Table(t) => {
                if tables && !prefix.is_empty() {
                    out.push(prefix.to_string());
                }
                for (k, v) in t {
                    let dot = if prefix.is_empty() { "" } else { "." };
                    walk(&format!("{prefix}{dot}{k}"), v, tables, out);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, tables, out);
                }
            }
            _ if !tables => out.push(prefix.to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", value, tables, &mut out);
    out
}

/// The value at `path` (as [`paths`] writes it; keys without dots).
pub(crate) fn at<'a>(doc: &'a mut Value, path: &str) -> &'a mut Value {
    let mut slot = doc;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        slot = slot.get_mut(key).unwrap();
        if let Some(i) = index {
            slot = slot.get_mut(i).unwrap();
        }
    }
    slot
}

/// The smallest valid scenario.
pub(crate) const MINIMAL: &str =
    "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[[arms]]\nname = \"baseline\"\n";

/// `text` loaded as `t.toml`, its kinds checked against the built-ins only.
pub(crate) fn load(text: &str) -> Result<Scenario, ScenarioError> {
    let s = Scenario::from_toml_str(text, "t.toml", Path::new("."), &Overrides::default())?;
    s.check_kinds(&kinds::BuiltinsOnly)?;
    Ok(s)
}

/// The message of loading `text`, which must be refused.
pub(crate) fn message(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// The message of loading [`MINIMAL`] with overrides `o`, which must be refused.
pub(crate) fn overridden(o: &Overrides) -> String {
    match Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), o) {
        Ok(_) => panic!("accepted {o:?}"),
        Err(e) => e.to_string(),
    }
}
