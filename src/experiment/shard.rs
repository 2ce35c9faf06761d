//! Sharding: one run split over N processes or machines (`driftlab run --shard K/N`), each
//! computing its share of the work units into parts, merged afterwards (`driftlab merge`) into
//! the files of an unsharded run.
//!
//! A work unit is one replicate of one scenario (of one sweep point) with all its arms, since
//! the arms of a replicate share its world and random numbers. Units are numbered in run order
//! (sweep points in grid order, replicates in order within a point) and dealt round-robin:
//! shard K of N takes the units whose number is K-1 modulo N. Units differ in size only through
//! their point's settings, so over a sweep every shard gets points of every kind; no shard has
//! more than one unit more than another.

use crate::engine::ArmRun;
use crate::experiment::jobs::{JobSink, WorldStats};
use std::fmt;
use std::str::FromStr;

/// The most shards a run may be split into.
pub const MAX_SHARDS: u32 = 100_000;

/// Shard `index + 1` of `count` (written `K/N`, from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `k` of `n`, counted from 1 (`None` unless 1 <= k <= n <= [`MAX_SHARDS`]).
    pub fn new(k: u32, n: u32) -> Option<Self> {
        (1..=n).contains(&k).then_some(())?;
        (n <= MAX_SHARDS).then_some(Self {
            index: k - 1,
            count: n,
        })
    }

    /// Whether work unit `unit` (numbered from 0 in run order) is this shard's.
    pub fn owns(&self, unit: u64) -> bool {
        unit % u64::from(self.count) == u64::from(self.index)
    }

    /// How many of `units` consecutive units starting at `first` are this shard's.
    pub fn share(&self, first: u64, units: u64) -> u64 {
        (first..first + units).filter(|&u| self.owns(u)).count() as u64
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "--shard `{s}`: expected K/N with 1 <= K <= N <= {MAX_SHARDS}, e.g. \
                 --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" for an array 1-N"
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Shard::new(k, n).ok_or_else(bad)
    }
}

/// A sink that computes only a shard's units: every job of another shard's replicate counts as
/// done. `first_unit` is the number of the scenario's replicate 0 in the run's unit order.
pub(crate) struct ShardSink<'a> {
    pub inner: &'a dyn JobSink,
    pub shard: Shard,
    pub first_unit: u64,
}

impl JobSink for ShardSink<'_> {
    fn skip(&self, replicate: u32, arm: usize) -> bool {
        !self.shard.owns(self.first_unit + u64::from(replicate)) || self.inner.skip(replicate, arm)
    }

    fn world(&self, replicate: u32, stats: &WorldStats) -> std::io::Result<()> {
        self.inner.world(replicate, stats)
    }

    fn finished(&self, replicate: u32, arm: usize, run: ArmRun) -> std::io::Result<()> {
        self.inner.finished(replicate, arm, run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_parsed_and_bad_ones_refused() {
        assert_eq!("2/3".parse::<Shard>().unwrap(), Shard::new(2, 3).unwrap());
        assert_eq!(Shard::new(2, 3).unwrap().to_string(), "2/3");
        for bad in [
            "0/3", "4/3", "1/0", "x/2", "1", "1/2/3", "", "-1/2", "1/100001",
        ] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("expected K/N"), "{bad}: {err}");
        }
    }

    #[test]
    fn every_unit_has_exactly_one_shard_and_shares_differ_by_at_most_one() {
        for n in 1..=7u32 {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard::new(k, n).unwrap()).collect();
            for unit in 0..100u64 {
                assert_eq!(shards.iter().filter(|s| s.owns(unit)).count(), 1);
            }
            let shares: Vec<u64> = shards.iter().map(|s| s.share(3, 41)).collect();
            assert_eq!(shares.iter().sum::<u64>(), 41);
            assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
        }
    }
}
