//! What the adversary's cluster looks like and what the adversary did: the counts a run
//! reports ([`ClusterStep`] per step, [`AdversaryStats`] per run).

/// The flagged cluster in one step of one arm, as the platform serves it (after the
/// adversary's step): the `cluster_*` columns of `steps.csv`. Counts, held as `f64` like every
/// metric of the schema (NaN: not measured).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ClusterStep {
    /// Flagged accounts on the platform: not banned by the arm's `ban_detected` (all of them in
    /// an arm that does not ban).
    pub active: f64,
    /// Flagged accounts banned now (awaiting their return, or banned for good until a recruit
    /// takes the identity).
    pub banned: f64,
    /// Returns of banned accounts so far.
    pub returned: f64,
    /// Recruits that joined so far.
    pub recruited: f64,
    /// Variant spellings in use now: tagged by at least one active flagged account.
    pub variants: f64,
    /// Bridge follows made so far.
    pub bridges: f64,
}

impl ClusterStep {
    /// Not measured: every count NaN (an empty CSV cell).
    pub const EMPTY: ClusterStep = ClusterStep {
        active: f64::NAN,
        banned: f64::NAN,
        returned: f64::NAN,
        recruited: f64::NAN,
        variants: f64::NAN,
        bridges: f64::NAN,
    };
}

/// What the adversary did in a run (for tests and reports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AdversaryStats {
    /// Variant spellings created.
    pub variants: u32,
    /// Moves of an account to a variant spelling.
    pub moves: u32,
    /// Banned accounts that returned.
    pub returns: u32,
    /// Recruits that joined (each taking a free identity).
    pub recruits: u32,
    /// Bridge follows made.
    pub bridges: u32,
}
