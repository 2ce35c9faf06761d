//! Up-front estimates of a scenario's peak memory and run time, computed from the validated
//! scenario alone (nothing is allocated), so `validate` can print them and `run` can refuse a
//! scenario that cannot fit before it allocates anything.

use crate::scenario::spec::PolicySpec;
use crate::scenario::Scenario;
use std::fmt;

/// Estimated resources of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostEstimate {
    /// Accounts per world.
    pub accounts: u64,
    /// Expected follow edges per world.
    pub edges: u64,
    /// Heap bytes of one world.
    pub world_bytes: u64,
    /// Worlds alive at once (one per busy thread, at most one per replicate).
    pub concurrent_worlds: u64,
    /// Estimated peak heap bytes of the run.
    pub peak_bytes: u64,
    /// Agent-steps simulated: (probes + panel + active population) x steps x replicates x arms.
    pub probe_steps: u64,
    /// Estimated wall-clock seconds on the given threads (rough: +-50%).
    pub seconds: f64,
}

/// Bytes per account of a world apart from edges: three `dims`-vectors of f32 (content, its
/// copy in cluster order for the platform's index, latent interests), community, activity,
/// popularity rank, hop count, flag, label, CSR offsets (out, in, tags, members), the member
/// entry and tag entries.
pub fn bytes_per_account(dims: u64, tags: u64) -> u64 {
    3 * dims * 4 + 4 + 4 + 4 + 2 + 1 + 1 + 4 * 8 + 4 + tags * 4 * 2
}

/// Bytes of the transposed copy of the members' content that a small world keeps for dense
/// scoring (`World::member_dots`): whole blocks of sixteen rows, none for a large world.
pub fn transposed_members_bytes(accounts: u64, dims: u64) -> u64 {
    if crate::world::index::keeps_transposed(accounts, dims) {
        accounts.div_ceil(16) * 16 * dims * 4
    } else {
        0
    }
}

/// Bytes per follow edge: one `u32` in the out-CSR and one in the in-CSR.
pub const BYTES_PER_EDGE: u64 = 8;

/// Expected out-degree per unit of `mean_degree` once the generator clamps degrees at
/// `max_degree`: degrees are `mean_degree * factor * theta / E[theta]` with
/// `theta ~ Pareto(1, alpha)`, and `E[min(theta, c)] = (alpha - c^(1 - alpha)) / (alpha - 1)` for
/// `c >= 1`. (Duplicate draws, which the generator drops, are not subtracted: the edge count
/// stays an upper estimate, a few percent high.)
fn clamp_factor(degree_exponent: f64, mean_degree: f64, max_degree: f64) -> f64 {
    let alpha = degree_exponent - 1.0;
    let mean_theta = alpha / (alpha - 1.0);
    let c = max_degree * mean_theta / mean_degree.max(1e-9);
    let clamped = if c <= 1.0 {
        c
    } else {
        (alpha - c.powf(1.0 - alpha)) / (alpha - 1.0)
    };
    (clamped / mean_theta).clamp(0.0, 1.0)
}

fn samples(policy: &PolicySpec) -> u64 {
    match policy {
        PolicySpec::CoFollow(c) => u64::from(c.samples),
        PolicySpec::Hybrid(h) => h.components.iter().map(|c| samples(&c.policy)).sum(),
        _ => 0,
    }
}

impl CostEstimate {
    /// Estimates a run of `scenario` on `threads` threads (an imported world counts as empty:
    /// see [`CostEstimate::of_import`]).
    pub fn of(scenario: &Scenario, threads: usize) -> Self {
        Self::with_world(scenario, threads, None)
    }

    /// Estimates a run of `scenario` on an imported world of `accounts` accounts and `edges`
    /// edges, as counted by `world::load::count` (the lines of its files).
    pub fn of_import(scenario: &Scenario, threads: usize, accounts: u64, edges: u64) -> Self {
        Self::with_world(scenario, threads, Some((accounts, edges)))
    }

    fn with_world(scenario: &Scenario, threads: usize, imported: Option<(u64, u64)>) -> Self {
        let spec = scenario.spec();
        let w = &spec.world;
        let accounts = imported.map_or(w.accounts.unwrap_or(0), |(a, _)| a);
        let flagged = scenario.flagged_size(accounts);
        let g = &w.graph;
        let max = f64::from(g.max_degree);
        let degree = g.mean_degree * clamp_factor(g.degree_exponent, g.mean_degree, max);
        let flagged_degree = g.mean_degree
            * g.flagged_degree_factor
            * clamp_factor(
                g.degree_exponent,
                g.mean_degree * g.flagged_degree_factor,
                max,
            );
        let edges = imported.map_or(
            ((accounts.saturating_sub(flagged)) as f64 * degree + flagged as f64 * flagged_degree)
                as u64,
            |(_, e)| e,
        );
        let world_bytes = accounts
            * bytes_per_account(u64::from(w.dims), u64::from(w.terms.tags_per_account))
            + edges * BYTES_PER_EDGE
            + transposed_members_bytes(accounts, u64::from(w.dims));
        let concurrent_worlds = (threads as u64).min(u64::from(spec.replicates)).max(1);
        let probes: u64 = spec.probes.iter().map(|p| u64::from(p.count)).sum();
        let arms = spec.arms.len() as u64;
        // Generation briefly holds the out-edges twice (chunks, then the CSR), the propensities
        // (8 B per account) and the alias tables (16 B per account).
        let generation_extra = edges * 4 + accounts * 24;
        // Each probe keeps its serving buffers warm: candidates (8 B), drawn positions (4 B) and
        // ranking keys (8 B) for up to 2 x pool draws on the largest enabled surface, which is
        // 40 B per unit of pool; measured growth, allocator overhead included, is 53 B (10.7,
        // 33.6 and 58 KB per probe at pools 100, 500 and 1,000), so 60 B are counted.
        let s = &spec.surfaces;
        let max_pool = [&s.search, &s.suggested_accounts, &s.feed, &s.explore]
            .iter()
            .filter(|x| x.enabled)
            .map(|x| u64::from(x.pool))
            .max()
            .unwrap_or(0);
        let probe_bytes = probes
            * (64 * u64::from(w.dims) + 4 * u64::from(spec.steps) + 6144 + 60 * max_pool)
            * arms;
        // A living population keeps the platform's estimate of every account (4 B per
        // dimension, plus its row number and the account it most recently followed) and, once
        // follows are indexed, the arm's own copy of the graph with room for 1/16 more edges,
        // which each rebuild updates in place; a concurrent job runs one arm at a time. A run
        // that may add more follows than that room holds (at most one per active account and
        // step) must grow the copy, and growing a block can copy it: count a second copy then.
        let headroom = crate::world::graph::HEADROOM as u64;
        let population_bytes = if scenario.derived().population {
            let copy = (edges + edges / headroom) * BYTES_PER_EDGE;
            let follows = (accounts.saturating_sub(flagged) as f64
                * spec.population.active_share
                * spec.population.follow_prob.min(1.0)
                * f64::from(spec.steps)) as u64;
            let regrowth = if follows > edges / headroom { copy } else { 0 };
            accounts * (4 * u64::from(w.dims) + 8) + copy + regrowth + accounts * 16
        } else {
            0
        };
        // Precomputed co-follow walk segments: one table per arm being run.
        let walk_bytes = accounts
            * crate::policy::walks::CoFollowWalks::bytes_per_account(
                scenario.derived().co_follow_segments as usize,
            ) as u64;
        // The process itself: code, thread stacks, output tables and plot rendering (15 MB for
        // the smoke scenario, whose world is half a megabyte).
        let process_bytes = 16 << 20;
        // An import is loaded once and its graph shared by every replicate (out- and in-CSR,
        // 8 B per edge and 16 B per account); loading briefly holds the labels as read and
        // sorted with their id index (up to 64 B per account) and the edge list twice, as read
        // and sorted (16 B per edge).
        let import_bytes = imported.map_or(0, |_| edges * (BYTES_PER_EDGE + 16) + accounts * 80);
        let peak_bytes = process_bytes
            + import_bytes
            + concurrent_worlds
                * (world_bytes + generation_extra + probe_bytes + population_bytes + walk_bytes);
        // Every served agent costs about what a probe costs: probes, panel accounts and the
        // active share of the living population.
        let agents = probes
            + u64::from(spec.panel.size)
            + (accounts as f64 * spec.population.active_share) as u64;
        let probe_steps = agents * u64::from(spec.steps) * u64::from(spec.replicates) * arms;
        let s = &spec.surfaces;
        let work: u64 = [&s.search, &s.suggested_accounts, &s.feed, &s.explore]
            .iter()
            .filter(|x| x.enabled)
            .map(|x| u64::from(x.pool) + samples(&x.policy))
            .sum();
        // Calibrated on the quickstart (2-core machine): ~5 us per probe-step plus ~0.1 us per
        // candidate or sampled path, and ~0.1 us per generated edge.
        let per_probe_step = 5e-6 + 1e-7 * work as f64;
        let seconds = (probe_steps as f64 * per_probe_step
            + u64::from(spec.replicates) as f64 * (edges as f64 * 1e-7 + accounts as f64 * 1e-6))
            / threads.max(1) as f64;
        Self {
            accounts,
            edges,
            world_bytes,
            concurrent_worlds,
            peak_bytes,
            probe_steps,
            seconds,
        }
    }
}

/// Memory available to a new process: `MemAvailable` of `/proc/meminfo`, or less when the
/// process's cgroup limit (Slurm `--mem`, a container) leaves less room (`None` where
/// unknown). See `memory.rs`.
pub fn available_memory() -> Option<u64> {
    crate::memory::available_memory()
}

pub(crate) fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

impl fmt::Display for CostEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} accounts and ~{} edges per world ({} each; {} B per account + {} B per edge); \
             peak memory ~{} ({} world(s) at once); {} agent-steps, ~{:.0} s",
            self.accounts,
            self.edges,
            human(self.world_bytes),
            (self.world_bytes - self.edges * BYTES_PER_EDGE)
                .checked_div(self.accounts)
                .unwrap_or(0),
            BYTES_PER_EDGE,
            human(self.peak_bytes),
            self.concurrent_worlds,
            self.probe_steps,
            self.seconds
        )
    }
}

/// The estimate of a whole run: one scenario, or every point of a sweep. A sweep's points run
/// one after the other (each on every thread, its worlds dropped before the next starts), so
/// its time is the sum over its points and its peak memory that of its largest point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunEstimate {
    /// Scenarios estimated: 1, or the points of the sweep.
    pub points: usize,
    /// Position of the point with the largest peak memory (0 for a single scenario).
    pub largest: usize,
    /// That point's estimate.
    pub largest_estimate: CostEstimate,
    /// Agent-steps of the whole run.
    pub probe_steps: u64,
    /// Estimated wall-clock seconds of the whole run.
    pub seconds: f64,
}

impl RunEstimate {
    /// The estimate of running `points` one after the other (`None` for none).
    pub fn sequential(points: &[CostEstimate]) -> Option<Self> {
        let (largest, largest_estimate) = points
            .iter()
            .enumerate()
            .max_by_key(|(i, e)| (e.peak_bytes, std::cmp::Reverse(*i)))?;
        Some(Self {
            points: points.len(),
            largest,
            largest_estimate: *largest_estimate,
            probe_steps: points.iter().map(|e| e.probe_steps).sum(),
            seconds: points.iter().map(|e| e.seconds).sum(),
        })
    }

    /// Estimated peak heap bytes of the run.
    pub fn peak_bytes(&self) -> u64 {
        self.largest_estimate.peak_bytes
    }
}

impl fmt::Display for RunEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.points == 1 {
            return write!(f, "{}", self.largest_estimate);
        }
        write!(
            f,
            "{} sweep points run one after another: {} agent-steps, ~{:.0} s in all; peak \
             memory ~{}, that of the largest point (p{:03}: {})",
            self.points,
            self.probe_steps,
            self.seconds,
            human(self.peak_bytes()),
            self.largest,
            self.largest_estimate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::clamp_factor;
    use super::{CostEstimate, RunEstimate};

    #[test]
    fn a_sweep_takes_the_sum_of_its_times_and_the_peak_of_its_largest_point() {
        let point = |peak_bytes, seconds| CostEstimate {
            accounts: 10,
            edges: 20,
            world_bytes: 1000,
            concurrent_worlds: 1,
            peak_bytes,
            probe_steps: 1000,
            seconds,
        };
        let points = [
            point(5 << 20, 2.0),
            point(9 << 20, 3.0),
            point(9 << 20, 4.0),
        ];
        let run = RunEstimate::sequential(&points).unwrap();
        assert_eq!(run.points, 3);
        assert_eq!(run.largest, 1);
        assert_eq!(run.peak_bytes(), 9 << 20);
        assert_eq!(run.probe_steps, 3000);
        assert!((run.seconds - 9.0).abs() < 1e-9);
        let shown = run.to_string();
        assert!(
            shown.starts_with("3 sweep points run one after another: 3000 agent-steps, ~9 s in all; peak memory ~9.0 MiB, that of the largest point (p001: "),
            "{shown}"
        );
        let one = RunEstimate::sequential(&points[..1]).unwrap();
        assert_eq!(one.to_string(), points[0].to_string());
        assert_eq!(RunEstimate::sequential(&[]), None);
    }

    #[test]
    fn clamping_lowers_the_mean_degree_a_little() {
        // Pareto tail exponent 1.5 (degree_exponent 2.5), mean 57, cap 2000: about 6.5% lower.
        let f = clamp_factor(2.5, 57.0, 2000.0);
        assert!((f - 0.935).abs() < 0.005, "{f}");
        assert!(clamp_factor(2.5, 20.0, 1e9) > 0.999);
        assert!(clamp_factor(2.5, 20.0, 1.0) < 0.1);
    }
}
