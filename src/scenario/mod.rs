//! Scenario files: the one place where user input enters. A TOML file (or the embedded
//! quickstart) is parsed into the serde types of [`spec`], command-line overrides are applied,
//! and every value is validated; the engine only ever receives a [`Scenario`].
//!
//! Errors are one line naming the file, the line, the key and the valid range, or the nearest
//! valid key for a misspelt one:
//!
//! ```text
//! scenario.toml:8:1: `world.benign_comunities`: unknown key `benign_comunities`, did you mean `benign_communities`?
//! scenario.toml:7:12: `world.accounts`: expected an integer, found the string "many"
//! scenario.toml:13: `surfaces.feed.slate` = 12 is larger than the pool (`surfaces.feed.pool` = 10): ...
//! command line: `--replicates` = 0 is out of range: expected 1 ..= 100000
//! ```

mod blame;
mod error;
pub mod kinds;
mod locate;
mod parse;
pub mod set;
mod shorten;
pub mod spec;
pub mod sweep;
mod tables_only;
mod tagged;
#[cfg(test)]
mod testing;
mod validate;
mod words;

pub use error::ScenarioError;
pub use parse::MAX_SCENARIO_BYTES;
pub use spec::*;
pub(crate) use validate::{is_valid_name, MAX_NAME_LEN, NAME_RULE};
#[doc(hidden)]
pub use words::rust_words;

use blame::Input;
use error::{kind_error, located_problem};
use parse::{apply_sets, deserialize, read_bounded, QUICKSTART, QUICKSTART_ORIGIN};
use std::path::{Path, PathBuf};
use sweep::GridPoint;

/// Command-line overrides, applied before validation.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--replicates`.
    pub replicates: Option<u32>,
    /// `--set KEY=VALUE` assignments, in order (see [`set`]).
    pub sets: Vec<String>,
}

/// A validated scenario: the only thing the engine accepts.
#[derive(Clone, Debug)]
pub struct Scenario {
    spec: ScenarioSpec,
    derived: Derived,
    /// The text the scenario was read from (for locating errors found later).
    text: std::sync::Arc<str>,
    /// The overrides it was read with.
    overrides: Overrides,
    origin: String,
    base_dir: PathBuf,
    resolved: String,
    hash: String,
    /// The sweep point this scenario is, if it is one.
    point: Option<Point>,
}

/// Values derived from a checked spec once, when it is loaded: the engine reads these and never
/// re-applies the rules that give them.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Derived {
    /// Accounts of the flagged cluster of a generated world (`world.flagged_accounts`, or
    /// `world.flagged_fraction` of the accounts, at least 1); `None` for an imported world,
    /// whose labels file gives it.
    pub flagged_accounts: Option<u64>,
    /// Steps between rebuilds of the platform's follow index (`surfaces.index_refresh`).
    pub index_refresh: u32,
    /// Probability that a probe reports a flagged impression: `moderation.report_prob`, 0 with
    /// moderation off (and then no draws are made for reports).
    pub report_prob: f64,
    /// Co-follow walk segments per account the platform precomputes (the most any enabled
    /// surface's policy asks for).
    pub co_follow_segments: u32,
    /// Whether the living population acts (`population.active_share` > 0).
    pub population: bool,
}

/// FNV-1a, 64 bits: a stable hash with no dependency.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// The point of its file's sweep a scenario is: its name, its values, and how many of the
/// scenario's `--set` assignments are its own (the last ones).
#[derive(Clone, Debug)]
struct Point {
    name: String,
    label: String,
    sets: usize,
}

impl Scenario {
    /// Reads and validates a scenario file; import paths resolve against its directory.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        let text = read_bounded(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Self::from_toml_str(&text, &path.display().to_string(), base, overrides)
    }

    /// The embedded quickstart scenario (`scenarios/quickstart.toml`).
    pub fn quickstart(overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        Self::from_toml_str(QUICKSTART, QUICKSTART_ORIGIN, Path::new("."), overrides)
    }

    /// Parses and validates TOML text; `origin` names it in errors (a path or
    /// `<embedded quickstart>`); relative import paths resolve against `base_dir`.
    pub fn from_toml_str(
        text: &str,
        origin: &str,
        base_dir: &Path,
        overrides: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        Self::read(text, origin, base_dir, overrides, None)
    }

    /// [`Self::from_toml_str`] for the scenario or, with `point`, one point of its sweep (the
    /// point's assignments are the last of `overrides.sets`): an error then names the point and
    /// is blamed on the sweep key at fault.
    fn read(
        text: &str,
        origin: &str,
        base_dir: &Path,
        overrides: &Overrides,
        point: Option<Point>,
    ) -> Result<Scenario, ScenarioError> {
        let input = Input {
            text,
            origin,
            sets: &overrides.sets,
            command_line: overrides.sets.len() - point.as_ref().map_or(0, |p| p.sets),
            replicates_overridden: overrides.replicates.is_some(),
        };
        Self::read_input(&input, base_dir, overrides, point.clone())
            .map_err(|e| in_point(point.as_ref(), e))
    }

    fn read_input(
        input: &Input<'_>,
        base_dir: &Path,
        overrides: &Overrides,
        point: Option<Point>,
    ) -> Result<Scenario, ScenarioError> {
        let (text, origin) = (input.text, input.origin);
        // The file alone first, so its own mistakes are reported at their lines.
        let mut spec = deserialize(text, origin)?;
        let file_alone = Input {
            sets: &[],
            ..*input
        };
        if let Some(p) = kinds::problems(&spec, None).into_iter().next() {
            return Err(kind_error(&file_alone, p));
        }
        if !overrides.sets.is_empty() {
            spec = apply_sets(&spec, input)?;
            if let Some(p) = kinds::problems(&spec, None).into_iter().next() {
                return Err(kind_error(input, p));
            }
        }
        if let Some(seed) = overrides.seed {
            spec.seed = seed;
        }
        if let Some(r) = overrides.replicates {
            spec.replicates = r;
        }
        if let Some(problem) = validate::check(&spec, base_dir) {
            return Err(located_problem(problem, input));
        }
        let resolved = toml::to_string(&spec).map_err(|e| ScenarioError::Invalid {
            file: origin.to_string(),
            line: None,
            key: String::new(),
            message: format!("the resolved scenario cannot be written as TOML: {e}"),
        })?;
        let derived = Derived {
            flagged_accounts: spec
                .world
                .import
                .is_none()
                .then(|| flagged_size(&spec.world, spec.world.accounts.unwrap_or(0))),
            index_refresh: spec.surfaces.index_refresh.max(1),
            report_prob: if spec.moderation.enabled {
                spec.moderation.report_prob
            } else {
                0.0
            },
            co_follow_segments: spec.surfaces.co_follow_segments(),
            population: spec.population.active_share > 0.0,
        };
        Ok(Scenario {
            derived,
            hash: format!("{:016x}", fnv1a(resolved.as_bytes())),
            resolved,
            spec,
            text: text.into(),
            overrides: overrides.clone(),
            origin: origin.to_string(),
            base_dir: base_dir.to_path_buf(),
            point,
        })
    }

    /// The text, origin and assignments the scenario was read from, for locating errors.
    fn input(&self) -> Input<'_> {
        Input {
            text: &self.text,
            origin: &self.origin,
            sets: &self.overrides.sets,
            command_line: self.overrides.sets.len() - self.point.as_ref().map_or(0, |p| p.sets),
            replicates_overridden: self.overrides.replicates.is_some(),
        }
    }

    /// Checks every probe group against the world's communities: its `start` kind must have at
    /// least one community and its `community` index must be in range, in a world with
    /// `benign` benign and `adjacent` adjacent communities. Loading does this for a generated
    /// world; an imported world's communities are known once its labels file is read, so the
    /// runner calls this then (`experiment::WorldSource::check` and `prepare`). Errors name the
    /// file, line and key as loading does.
    pub fn check_start_communities(
        &self,
        benign: usize,
        adjacent: usize,
    ) -> Result<(), ScenarioError> {
        match validate::check_start_communities(&self.spec, benign as u64, adjacent as u64) {
            None => Ok(()),
            Some(problem) => Err(in_point(
                self.point.as_ref(),
                located_problem(problem, &self.input()),
            )),
        }
    }

    /// A problem with the value of `key` found after loading (an imported world's files
    /// contradict it), located as loading locates one: at the key's line of the file, or at the
    /// `--set` that gave the value. `message` should name the key.
    pub fn problem_at(&self, key: &str, message: String) -> ScenarioError {
        in_point(
            self.point.as_ref(),
            located_problem((key.to_string(), message), &self.input()),
        )
    }

    /// The validated spec.
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// Checks every policy and mitigation kind against the built-ins and the plug-ins a
    /// `catalog` knows (their parameters included), with the file:line:key error of the first
    /// problem.
    pub fn check_kinds(&self, catalog: &dyn kinds::KindCatalog) -> Result<(), ScenarioError> {
        match kinds::problems(&self.spec, Some(catalog))
            .into_iter()
            .next()
        {
            None => Ok(()),
            Some(p) => Err(in_point(self.point.as_ref(), kind_error(&self.input(), p))),
        }
    }

    /// The `driftlab run` command that reproduces a run of this scenario: its file (none for
    /// the embedded quickstart), its `--set` overrides, seed and replicates.
    pub fn reproduce_command(&self) -> String {
        let mut cmd = String::from("driftlab run");
        if self.origin != QUICKSTART_ORIGIN {
            cmd.push_str(&format!(" {}", self.origin));
        }
        for s in &self.overrides.sets {
            cmd.push_str(&format!(" --set {s}"));
        }
        cmd.push_str(&format!(
            " --seed {} --replicates {}",
            self.spec.seed, self.spec.replicates
        ));
        cmd
    }

    /// The overrides the scenario was read with.
    pub fn overrides(&self) -> &Overrides {
        &self.overrides
    }

    /// The same scenario read again with `extra` assignments after its own `--set`s (a sweep
    /// point), validated like the original.
    pub fn with_sets(&self, extra: &[String]) -> Result<Scenario, ScenarioError> {
        let mut overrides = self.overrides.clone();
        overrides.sets.extend_from_slice(extra);
        Self::from_toml_str(&self.text, &self.origin, &self.base_dir, &overrides)
    }

    /// The scenario of one point of its sweep: the point's values applied after the
    /// scenario's own `--set`s, named after the point (`p001`), with no sweep of its own, and
    /// validated like the original. An error names the point and, when a sweep value is at
    /// fault, the file and the line of its key in `[sweep]`.
    pub fn sweep_point(&self, point: &GridPoint) -> Result<Scenario, ScenarioError> {
        let mut own = point.sets();
        own.push("sweep={}".into());
        own.push(format!("name={}", point.name()));
        let mut overrides = self.overrides.clone();
        overrides.sets.extend_from_slice(&own);
        let point = Point {
            name: point.name(),
            label: point.label(),
            sets: own.len(),
        };
        Self::read(
            &self.text,
            &self.origin,
            &self.base_dir,
            &overrides,
            Some(point),
        )
    }

    /// Where the scenario came from (a path or `<embedded quickstart>`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Directory against which import paths resolve.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Stable 16-hex-digit FNV-1a 64 hash of [`Scenario::resolved_toml`] (overrides included).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The resolved scenario as TOML, every default filled in.
    pub fn resolved_toml(&self) -> String {
        self.resolved.clone()
    }

    /// Values derived from the spec when it was loaded.
    pub fn derived(&self) -> &Derived {
        &self.derived
    }

    /// Size of the flagged cluster in a world of `accounts` accounts: `flagged_accounts`, or
    /// `flagged_fraction` (default 0.01) of the accounts rounded, at least 1.
    pub fn flagged_size(&self, accounts: u64) -> u64 {
        flagged_size(&self.spec.world, accounts)
    }
}

/// `error` of the scenario of a sweep point, naming the point.
fn in_point(point: Option<&Point>, error: ScenarioError) -> ScenarioError {
    match point {
        None => error,
        Some(p) => ScenarioError::SweepPoint {
            point: p.name.clone(),
            label: p.label.clone(),
            error: Box::new(error),
        },
    }
}

/// Size of the flagged cluster in a world of `accounts` accounts: `flagged_accounts`, or
/// `flagged_fraction` (default 0.01) of the accounts rounded, at least 1.
fn flagged_size(w: &WorldSpec, accounts: u64) -> u64 {
    w.flagged_accounts.unwrap_or_else(|| {
        ((accounts as f64) * w.flagged_fraction.unwrap_or(0.01))
            .round()
            .max(1.0) as u64
    })
}

#[cfg(test)]
mod tests {
    use super::testing::{load, message, MINIMAL};
    use super::*;

    fn with_feed(policy: &str, pool: u32, slate: u32) -> String {
        format!("{MINIMAL}[surfaces.feed]\npolicy = {policy}\npool = {pool}\nslate = {slate}\n")
    }

    #[test]
    fn minimal_scenario_round_trips() {
        let s = load(MINIMAL).unwrap();
        let again = load(&s.resolved_toml()).unwrap();
        assert_eq!(s.spec(), again.spec());
        assert_eq!(s.hash(), again.hash());
        assert_eq!(s.flagged_size(2000), 20);
        assert_eq!(s.origin(), "t.toml");
    }

    #[test]
    fn hash_is_stable_and_tracks_values() {
        let a = load(MINIMAL).unwrap();
        let b = load(MINIMAL).unwrap();
        assert_eq!(a.hash(), b.hash());
        assert_eq!(a.hash().len(), 16);
        assert!(a.hash().chars().all(|c| c.is_ascii_hexdigit()));
        let other = load(&MINIMAL.replace("accounts = 2000", "accounts = 2001")).unwrap();
        assert_ne!(a.hash(), other.hash());
        let o = Overrides {
            seed: Some(2),
            ..Overrides::default()
        };
        let seeded = Scenario::from_toml_str(MINIMAL, "t.toml", Path::new("."), &o).unwrap();
        assert_ne!(a.hash(), seeded.hash());
    }

    #[test]
    fn out_of_range_values_point_at_their_line() {
        assert_eq!(
            message(&MINIMAL.replace("2000", "0")),
            "t.toml:4: `world.accounts` = 0 is out of range: expected 2 ..= 50000000"
        );
        let m = message(&format!("{MINIMAL}[moderation]\nrecall = 1.5\n"));
        assert_eq!(
            m,
            "t.toml:8: `moderation.recall` = 1.5 is not a probability: expected 0 ..= 1"
        );
        let m = message(&MINIMAL.replace(
            "accounts = 2000",
            "accounts = 2000\nflagged_accounts = 5000",
        ));
        assert!(
            m.starts_with("t.toml:5: `world.flagged_accounts`: the flagged cluster (5000")
                && m.contains("larger than the world"),
            "{m}"
        );
        let m = message(&with_feed("{ kind = \"random\" }", 10, 12));
        assert!(
            m.starts_with("t.toml:10: `surfaces.feed.slate` = 12 is larger than the pool (`surfaces.feed.pool` = 10)"),
            "{m}"
        );
        // A default that does not fit the rest has no line.
        let m = message(&MINIMAL.replace(
            "accounts = 2000",
            "accounts = 2000\nadjacent_communities = 0",
        ));
        assert!(m.starts_with("t.toml: `probes[0].start`"), "{m}");
    }

    #[test]
    fn policies_inside_inline_tables() {
        assert_eq!(
            message(&with_feed("{ kind = \"co_folow\" }", 5, 2)),
            "t.toml:8:19: `surfaces.feed.policy.kind`: unknown kind `co_folow`, did you mean \
             `co_follow`?"
        );
        assert_eq!(
            message(&with_feed("{ kind = \"co_follow\", sampels = 3 }", 5, 2)),
            "t.toml:8:32: `surfaces.feed.policy.sampels`: unknown key `sampels`, did you mean \
             `samples`?"
        );
        let hybrid = "{ kind = \"hybrid\", components = [\n  { weight = 1, policy = { kind = \"co_follow\", sampels = 3 } },\n] }";
        let m = message(&with_feed(hybrid, 5, 2));
        assert!(
            m.starts_with("t.toml:9:48: `surfaces.feed.policy.components[0].policy.sampels`"),
            "{m}"
        );
        let m = message(&with_feed(
            &hybrid.replace("\"co_follow\"", "\"co_folow\""),
            5,
            2,
        ));
        assert!(
            m.starts_with("t.toml:9:35: `surfaces.feed.policy.components[0].policy.kind`: unknown kind `co_folow`"),
            "{m}"
        );
        let m = message(&with_feed("{ kind = \"random\", samples = 3 }", 5, 2));
        assert!(
            m.contains("unknown key `samples`: this table takes no other keys"),
            "{m}"
        );
        let m = message(&with_feed(
            "{ kind = \"co_follow\", samples = \"x\" }",
            5,
            2,
        ));
        assert!(
            m.starts_with("t.toml:8:") && m.contains("expected an integer"),
            "{m}"
        );
        let m = message(&with_feed("{ kind = \"hybrid\", components = [{ weight = 1, policy = { kind = \"hybrid\", components = [] } }] }", 5, 2));
        assert!(
            m.starts_with("t.toml:8: `surfaces.feed.policy.components[0].policy.kind`"),
            "{m}"
        );
    }

    #[test]
    fn imports_are_checked() {
        let m = message(
            "name = \"t\"\nseed = 1\n[world.import]\nedges = \"no/such/edges.txt\"\nlabels = \"l\"\nflagged_community = 1\n[[arms]]\nname = \"a\"\n"
        );
        assert!(
            m.starts_with(
                "t.toml:4: `world.import.edges`: file ./no/such/edges.txt does not exist"
            ),
            "{m}"
        );
    }

    #[test]
    fn the_index_refresh_is_one_key_and_the_old_ones_say_where_it_went() {
        let refresh = |extra: &str| {
            load(&format!("{MINIMAL}{extra}"))
                .unwrap()
                .derived()
                .index_refresh
        };
        assert_eq!(refresh(""), 5);
        assert_eq!(refresh("[surfaces]\nindex_refresh = 8\n"), 8);
        // Longer than the run is allowed: the index is then never rebuilt.
        assert_eq!(refresh("[surfaces]\nindex_refresh = 1000\n"), 1000);
        for old in ["population", "adversary"] {
            let m = message(&format!("{MINIMAL}[{old}]\ngraph_refresh = 2\n"));
            assert_eq!(
                m,
                format!(
                    "t.toml:8: `{old}.graph_refresh` moved to `surfaces.index_refresh` (one \
                     interval for the platform's follow index, whoever follows)"
                )
            );
        }
    }

    #[test]
    fn sweep_grids_are_bounded_before_they_are_expanded() {
        let values = |n: usize| {
            (0..n)
                .map(|i| format!("{}", 1000 + i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let grid = |a: usize, b: usize| {
            format!(
                "{MINIMAL}[sweep]\n\"world.accounts\" = [{}]\n\"steps\" = [{}]\n",
                values(a),
                values(b)
            )
        };
        assert!(load(&grid(10, 100)).is_ok());
        let started = std::time::Instant::now();
        let m = message(&grid(1000, 1000));
        assert!(
            m.contains("`sweep` has 1000000 grid points, more than 1000"),
            "{m}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
