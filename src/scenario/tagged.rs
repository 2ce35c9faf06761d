//! Policy and mitigation tables (`policy = { kind = "co_follow", samples = 300 }`), read by
//! hand rather than by serde's internally tagged derive: that derive buffers its input and so
//! reads a table written as an array positionally (`policy = ["co_follow", 5, 2]` as
//! `samples = 5, segments = 2`), out of reach of [`TablesOnly`](super::tables_only). Here the
//! value must be a table with a string `kind`; a built-in kind whose parameters parse is that
//! variant, and any other table reads as a plug-in table: a kind that is not registered, or a
//! built-in kind's parameter error, is reported when the kinds are checked ([`super::kinds`]).

use super::kinds::{parse_params, ParamError};
use super::spec::{MitigationSpec, PluginSpec, PolicySpec};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;

/// What a policy or mitigation is written as.
const KIND_TABLE: &str = "a table with a string `kind` (the name of a built-in or registered kind)";

/// Reads a table with a string `kind`: the kind, and the other keys as its parameters.
fn kind_table<'de, D: Deserializer<'de>>(d: D) -> Result<PluginSpec, D::Error> {
    struct KindTable;
    impl<'de> Visitor<'de> for KindTable {
        type Value = toml::Table;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(KIND_TABLE)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<toml::Table, A::Error> {
            toml::Table::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    let mut params = d.deserialize_map(KindTable)?;
    match params.remove("kind") {
        Some(toml::Value::String(kind)) => Ok(PluginSpec { kind, params }),
        Some(_) => Err(de::Error::custom(format!(
            "`kind` is not a string: expected {KIND_TABLE}"
        ))),
        None => Err(de::Error::custom(format!(
            "missing key `kind`: expected {KIND_TABLE}"
        ))),
    }
}

impl PolicySpec {
    /// The built-in policy a table describes: `None` when its kind is not built in, the error
    /// of its parameters when they do not parse.
    pub(crate) fn builtin(table: &PluginSpec) -> Option<Result<Self, ParamError>> {
        let p = &table.params;
        Some(match table.kind.as_str() {
            "random" => parse_params(p).map(Self::Random),
            "popularity" => parse_params(p).map(Self::Popularity),
            "co_follow" => parse_params(p).map(Self::CoFollow),
            "embedding" => parse_params(p).map(Self::Embedding),
            "hybrid" => parse_params(p).map(Self::Hybrid),
            "uniform_followee" => parse_params(p).map(Self::UniformFollowee),
            _ => return None,
        })
    }
}

impl MitigationSpec {
    /// The built-in mitigation a table describes: `None` when its kind is not built in, the
    /// error of its parameters when they do not parse.
    pub(crate) fn builtin(table: &PluginSpec) -> Option<Result<Self, ParamError>> {
        let p = &table.params;
        Some(match table.kind.as_str() {
            "suppress_flagged_search" => parse_params(p).map(Self::SuppressFlaggedSearch),
            "exclude_flagged_from_suggestions" => {
                parse_params(p).map(Self::ExcludeFlaggedFromSuggestions)
            }
            "demote_flagged" => parse_params(p).map(Self::DemoteFlagged),
            "ban_detected" => parse_params(p).map(Self::BanDetected),
            "cofollow_dampening" => parse_params(p).map(Self::CofollowDampening),
            "graph_distance_guard" => parse_params(p).map(Self::GraphDistanceGuard),
            "exposure_cap" => parse_params(p).map(Self::ExposureCap),
            "diversity_injection" => parse_params(p).map(Self::DiversityInjection),
            "friction" => parse_params(p).map(Self::Friction),
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for PolicySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let table = kind_table(d)?;
        match Self::builtin(&table) {
            Some(Ok(builtin)) => Ok(builtin),
            _ => Ok(Self::Plugin(table)),
        }
    }
}

impl<'de> Deserialize<'de> for MitigationSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let table = kind_table(d)?;
        match Self::builtin(&table) {
            Some(Ok(builtin)) => Ok(builtin),
            _ => Ok(Self::Plugin(table)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::spec::{CoFollowSpec, DemoteSpec, EmptySpec};

    fn policy(text: &str) -> Result<PolicySpec, String> {
        let value: toml::Value = toml::from_str::<toml::Table>(&format!("p = {text}"))
            .unwrap()
            .remove("p")
            .unwrap();
        PolicySpec::deserialize(value).map_err(|e| e.message().to_string())
    }

    #[test]
    fn built_in_kinds_read_as_their_variant_and_others_as_plug_ins() {
        assert_eq!(
            policy("{ kind = \"co_follow\", samples = 5 }").unwrap(),
            PolicySpec::CoFollow(CoFollowSpec {
                samples: 5,
                segments: 0
            })
        );
        assert_eq!(
            policy("{ kind = \"random\" }").unwrap(),
            PolicySpec::Random(EmptySpec {})
        );
        // A built-in kind whose table does not parse reads as a plug-in table (the kind check
        // reports the built-in's error).
        let PolicySpec::Plugin(p) = policy("{ kind = \"co_follow\", sampels = 5 }").unwrap() else {
            panic!("not a plug-in table");
        };
        assert_eq!(p.kind, "co_follow");
        assert!(PolicySpec::builtin(&p).unwrap().is_err());
        assert!(matches!(
            policy("{ kind = \"mine\", alpha = [1, 2] }").unwrap(),
            PolicySpec::Plugin(_)
        ));
        let m = MitigationSpec::deserialize(toml::Value::Table(
            toml::from_str("kind = \"demote_flagged\"\nfactor = 0.5").unwrap(),
        ))
        .unwrap();
        assert_eq!(m, MitigationSpec::DemoteFlagged(DemoteSpec { factor: 0.5 }));
    }

    #[test]
    fn anything_but_a_table_with_a_string_kind_is_refused() {
        for (text, message) in [
            (
                "[\"co_follow\", 5, 2]",
                "invalid type: sequence, expected a table with",
            ),
            (
                "[\"random\"]",
                "invalid type: sequence, expected a table with",
            ),
            (
                "\"random\"",
                "invalid type: string \"random\", expected a table with",
            ),
            ("{}", "missing key `kind`"),
            ("{ kind = 1 }", "`kind` is not a string"),
        ] {
            let m = policy(text).unwrap_err();
            assert!(m.starts_with(message), "{text}: {m}");
        }
    }

    #[test]
    fn serialising_is_unchanged() {
        let p = PolicySpec::CoFollow(CoFollowSpec {
            samples: 5,
            segments: 1,
        });
        let t = toml::Table::try_from(&p).unwrap();
        assert_eq!(t["kind"].as_str(), Some("co_follow"));
        assert_eq!(PolicySpec::deserialize(toml::Value::Table(t)).unwrap(), p);
    }
}
