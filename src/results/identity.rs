//! What a set of saved parts was computed from, and why parts could not be used.

use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::PathBuf;

/// What a set of parts was computed from; a resume must match it exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// driftlab version.
    pub version: String,
    /// Hash of the resolved scenario (seed and replicates included).
    pub scenario_hash: String,
    /// The scenario's seed (also inside the hash; kept apart to be read).
    pub seed: u64,
    /// The build that computes: see [`build_fingerprint`].
    pub build: String,
}

impl RunIdentity {
    /// The identity of a run of `scenario` with this build.
    pub fn of(scenario: &Scenario) -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_hash: scenario.hash().to_string(),
            seed: scenario.spec().seed,
            build: build_fingerprint().to_string(),
        }
    }

    /// The identity as one word, as each part's trailer carries it:
    /// `<scenario hash>@<version>+<build>`.
    pub fn word(&self) -> String {
        format!("{}@{}+{}", self.scenario_hash, self.version, self.build)
    }
}

/// What makes two builds compute the same bytes: a hash of the source they were built from
/// (every file under `src/`, `Cargo.toml`, `Cargo.lock`, the compiler version and target; made
/// by `build.rs`), then a hash of what this process's math library returns for the functions
/// the simulation calls (`exp`, `ln`, `ln_1p`, `powf`, `sin`, `cos`, `hypot`, `log10`, in `f64`
/// and `f32`) on 512 fixed arguments. Two machines whose math libraries round one of them
/// differently have different fingerprints, so their parts are never mixed.
pub fn build_fingerprint() -> &'static str {
    static PRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PRINT.get_or_init(|| {
        format!(
            "{}-{:016x}",
            env!("DRIFTLAB_SOURCE_HASH"),
            math_fingerprint()
        )
    })
}

/// FNV-1a 64 of the bits of each math function the simulation uses, on fixed arguments spread
/// over the ranges it calls them with. `std::hint::black_box` keeps the compiler from folding
/// the calls at build time: the process's own library must answer.
fn math_fingerprint() -> u64 {
    use std::hint::black_box;
    let mut bytes = Vec::with_capacity(512 * 12 * 8);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..512 {
        // splitmix64: fixed arguments, no generator state shared with the simulation.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let u = (z >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
        let x = black_box(u * 40.0 - 20.0);
        let p = black_box(u * 1e3 + 1e-9);
        for v in [
            x.exp(),
            p.ln(),
            x.abs().ln_1p(),
            p.powf(black_box(-1.0 / (1.0 + u))),
            x.sin(),
            x.cos(),
            x.hypot(p),
            p.log10(),
        ] {
            bytes.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        let (xf, pf) = (black_box(x as f32), black_box(p as f32));
        for v in [
            xf.exp(),
            pf.ln(),
            xf.abs().ln_1p(),
            pf.powf(black_box(-0.5f32)),
        ] {
            bytes.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }
    crate::scenario::fnv1a(&bytes)
}

/// Why parts could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PartsError {
    /// The parts on disk come from another scenario, seed, version or build.
    #[error(
        "{dir} holds parts of a different run (scenario hash {}, driftlab {}, build {}; this \
         run: {}, driftlab {}, build {}); parts of another scenario, seed or build are never \
         mixed: run again with --overwrite to start over",
        .found.scenario_hash, .found.version, .found.build,
        .expected.scenario_hash, .expected.version, .expected.build
    )]
    Mismatch {
        /// The parts directory.
        dir: PathBuf,
        /// The identity found on disk.
        found: Box<RunIdentity>,
        /// The identity of this run.
        expected: Box<RunIdentity>,
    },
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}
