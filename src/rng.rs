//! The seed tree: every random number in driftlab comes from one named, portable generator
//! (ChaCha8 from `rand_chacha`), keyed by (master seed, replicate, subsystem) and, inside a
//! subsystem, one ChaCha stream per agent.
//!
//! Why a tree and not one seed: handing one seed to several generators makes their sequences
//! identical (the flaw of T-RECS and RecSim), and one shared sequence makes results depend on the
//! order in which subsystems or threads draw. Here an extra draw in the policy never shifts world
//! generation or a probe's choices, and an agent's stream does not depend on which thread runs it.
//!
//! Keys are derived from (master, replicate) only, never from the arm: replicate `r` of every arm
//! sees the same world and the same random numbers (common random numbers, a paired comparison).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The one generator of the simulation: portable and stable across platforms and versions.
pub type SimRng = ChaCha8Rng;

/// The subsystems that own a random stream. The discriminant is part of the seed derivation:
/// never renumber a variant (it would change every result); append new ones at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum StreamId {
    /// Communities, centroids, content and interest vectors.
    World = 0,
    /// The follow graph (one stream per chunk of source accounts).
    Graph = 1,
    /// Term vocabulary and account tags.
    Terms = 2,
    /// Probe personas and behaviour (one stream per probe).
    Probe = 3,
    /// Recommendation policies (one stream per viewer).
    Policy = 4,
    /// Mitigations (one stream per viewer).
    Mitigation = 5,
    /// The moderation classifier.
    Moderation = 6,
    /// The panel of ordinary accounts (membership, then three streams per member).
    Panel = 7,
    /// The adversary's adaptations (evasion, returns, bridges).
    Adversary = 8,
    /// The living population (streams per (step, chunk of accounts)).
    Population = 9,
    /// The platform's precomputed co-follow walk segments (streams per (rebuild, chunk)).
    Walks = 10,
    /// Seeds handed to batched plug-ins (one per step, surface, agent group and stage).
    Plugin = 11,
}

/// Derives independent, reproducible [`SimRng`] streams from one master seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedTree {
    master: u64,
}

impl SeedTree {
    /// A tree rooted at the scenario's master seed.
    pub fn new(master: u64) -> Self {
        Self { master }
    }

    /// The master seed.
    pub fn master(&self) -> u64 {
        self.master
    }

    fn key(&self, replicate: u32, stream: StreamId) -> [u8; 32] {
        let mut root = SimRng::seed_from_u64(self.master);
        root.set_stream(u64::from(replicate));
        let mut replicate_key = [0u8; 32];
        root.fill_bytes(&mut replicate_key);
        let mut sub = SimRng::from_seed(replicate_key);
        sub.set_stream(stream as u64);
        let mut key = [0u8; 32];
        sub.fill_bytes(&mut key);
        key
    }

    /// The stream of one subsystem in one replicate.
    pub fn stream(&self, replicate: u32, stream: StreamId) -> SimRng {
        let mut rng = SimRng::from_seed(self.key(replicate, stream));
        rng.set_stream(u64::MAX);
        rng
    }

    /// A family of per-agent streams of one subsystem in one replicate: cheap to index, so an
    /// agent (a probe, a chunk of accounts) gets the same numbers on any thread.
    pub fn agents(&self, replicate: u32, stream: StreamId) -> AgentStreams {
        AgentStreams {
            key: self.key(replicate, stream),
        }
    }
}

/// Per-agent streams under one (replicate, subsystem) key; see [`SeedTree::agents`].
#[derive(Clone, Copy, Debug)]
pub struct AgentStreams {
    key: [u8; 32],
}

impl AgentStreams {
    /// The stream of agent `agent` (any `u64` below `u64::MAX`).
    pub fn agent(&self, agent: u64) -> SimRng {
        let mut rng = SimRng::from_seed(self.key);
        rng.set_stream(agent);
        rng
    }
}

/// A stream of the report's own randomness (the bootstrap of [`crate::stats`]), keyed by a fixed
/// constant `domain` naming its use and by `key`, what is being estimated (an arm, a metric, a
/// step): the 32-byte ChaCha key is `domain` and the three words of `key`, little-endian. It
/// depends on nothing else (not the thread, the order of the estimates or the run's seed), so a
/// report recomputed from the same tables gets the same numbers on any thread count.
pub fn keyed_stream(domain: u64, key: [u64; 3]) -> SimRng {
    let mut seed = [0u8; 32];
    for (chunk, word) in seed
        .chunks_exact_mut(8)
        .zip([domain, key[0], key[1], key[2]])
    {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    SimRng::from_seed(seed)
}

/// A uniform index in `0..len` (`len > 0`), exact (Lemire's multiply-and-reject on one 32-bit
/// draw, a second draw with probability below `len / 2^32`). The hot sampling loops (co-follow
/// paths, embedding draws) use it instead of `random_range`: it is inlined, and it is part of
/// the stream contract, so changing it changes results. Lengths beyond `u32::MAX` fall back to
/// `random_range`.
#[inline(always)]
pub fn index(rng: &mut SimRng, len: usize) -> usize {
    let Ok(range) = u32::try_from(len) else {
        return rand::RngExt::random_range(rng, 0..len);
    };
    debug_assert!(range > 0);
    let mut m = u64::from(rng.next_u32()) * u64::from(range);
    if (m as u32) < range {
        let threshold = range.wrapping_neg() % range;
        while (m as u32) < threshold {
            m = u64::from(rng.next_u32()) * u64::from(range);
        }
    }
    (m >> 32) as usize
}

/// A Poisson count with mean `mean` (negative or non-finite: 0, with no draw): inversion by
/// sequential search, one uniform draw per chunk of at most 64 of the mean (a sum of
/// independent Poisson counts is Poisson), so no probability underflows and the cost is linear
/// in the mean. Like [`index`], part of the stream contract.
pub fn poisson(rng: &mut SimRng, mean: f64) -> u64 {
    const CHUNK: f64 = 64.0;
    let mut left = if mean.is_finite() { mean.max(0.0) } else { 0.0 };
    let mut total = 0;
    while left > 0.0 {
        let mu = left.min(CHUNK);
        left -= mu;
        let u: f64 = rand::RngExt::random(rng);
        let mut p = (-mu).exp();
        let (mut cdf, mut k) = (p, 0u64);
        // Rounding can leave the summed distribution a hair below a `u` near 1: stop where the
        // tail is far below one draw's resolution.
        let cap = (mu + 40.0 * mu.sqrt() + 40.0) as u64;
        while cdf <= u && k < cap {
            k += 1;
            p *= mu / k as f64;
            cdf += p;
        }
        total += k;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn value_stability() {
        // Pins the first draws: a dependency bump that changes streams must fail here loudly.
        let tree = SeedTree::new(1);
        let a: u64 = tree.stream(0, StreamId::World).random();
        let b: u64 = tree.agents(3, StreamId::Probe).agent(7).random();
        assert_eq!((a, b), PINNED);
    }
    const PINNED: (u64, u64) = (2312521112335620480, 13320674488228258729);

    #[test]
    fn keyed_streams_are_fixed_and_distinct() {
        let draw = |domain, key| keyed_stream(domain, key).random::<u64>();
        assert_eq!(draw(1, [2, 3, 4]), draw(1, [2, 3, 4]));
        let draws = [
            draw(1, [2, 3, 4]),
            draw(0, [2, 3, 4]),
            draw(1, [3, 2, 4]),
            draw(1, [2, 3, 5]),
        ];
        let mut unique = draws.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), draws.len());
    }

    #[test]
    fn index_is_uniform_and_in_range() {
        let mut rng = SeedTree::new(9).stream(0, StreamId::Policy);
        // A range that does not divide 2^32, small enough to count: chi-square with 6 dof.
        let (n, draws) = (7usize, 70_000usize);
        let mut counts = [0usize; 7];
        for _ in 0..draws {
            counts[index(&mut rng, n)] += 1;
        }
        let expected = (draws / n) as f64;
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi2 < 22.46,
            "chi2 {chi2} beyond the 0.999 quantile, counts {counts:?}"
        );
        // Ranges of one, near 2^32, and beyond u32 stay in range.
        assert_eq!(index(&mut rng, 1), 0);
        for len in [u32::MAX as usize, u32::MAX as usize - 1, 1usize << 33] {
            assert!((0..100).all(|_| index(&mut rng, len) < len));
        }
    }

    #[test]
    fn poisson_counts_have_the_mean_and_variance_of_a_poisson_law() {
        let mut rng = SeedTree::new(5).stream(0, StreamId::Adversary);
        // One chunk, several chunks, and a fractional last chunk.
        for mean in [0.3, 3.7, 150.5] {
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, mean) as f64).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            // Standard error of the mean sqrt(mean / n); of the variance about
            // mean * sqrt(2 / n) (plus a fourth-moment term of order 1/mean).
            let se = (mean / n as f64).sqrt();
            assert!((m - mean).abs() < 4.0 * se, "mean {m} for {mean}");
            let se_var = mean * (2.0 / n as f64 + 1.0 / (mean * n as f64)).sqrt();
            assert!(
                (var - mean).abs() < 4.0 * se_var,
                "variance {var} for {mean}"
            );
        }
        // No draw for a zero, negative or non-finite mean.
        let mut a = SeedTree::new(5).stream(1, StreamId::Adversary);
        let b = a.clone();
        assert_eq!(
            [0.0, -1.0, f64::NAN, f64::INFINITY].map(|m| poisson(&mut a, m)),
            [0; 4]
        );
        assert_eq!(a, b);
    }

    #[test]
    fn streams_are_distinct() {
        let tree = SeedTree::new(42);
        let draws: Vec<u64> = [
            tree.stream(0, StreamId::World),
            tree.stream(0, StreamId::Graph),
            tree.stream(1, StreamId::World),
            tree.agents(0, StreamId::Probe).agent(0),
            tree.agents(0, StreamId::Probe).agent(1),
            tree.agents(0, StreamId::Policy).agent(0),
        ]
        .into_iter()
        .map(|mut r| r.random())
        .collect();
        let mut unique = draws.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), draws.len());
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = SeedTree::new(9).stream(2, StreamId::Terms);
        let mut b = SeedTree::new(9).stream(2, StreamId::Terms);
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }
}
