//! The checker every rule reports to (it keeps the first problem), and the rules shared by
//! many keys: ranges, probabilities, names.

use std::fmt::Display;

/// The first problem found: key path and message.
pub(crate) type Problem = (String, String);

/// Collects the first failed check; later checks still run but cannot overwrite it, so every
/// check must be safe on values that an earlier check refused (no overflow, no division).
pub(super) struct Checker {
    pub(super) first: Option<Problem>,
}

impl Checker {
    pub(super) fn ensure(
        &mut self,
        path: impl Into<String>,
        ok: bool,
        message: impl FnOnce() -> String,
    ) {
        if !ok && self.first.is_none() {
            self.first = Some((path.into(), message()));
        }
    }

    /// `lo <= v <= hi` (false for NaN).
    pub(super) fn range<T: PartialOrd + Display + Copy>(
        &mut self,
        path: impl Into<String>,
        v: T,
        lo: T,
        hi: T,
    ) {
        let path = path.into();
        let ok = v >= lo && v <= hi;
        self.ensure(path.clone(), ok, || {
            format!("`{path}` = {v} is out of range: expected {lo} ..= {hi}")
        });
    }

    /// `0 < v <= hi` (false for NaN).
    pub(super) fn positive(&mut self, path: impl Into<String>, v: f64, hi: f64) {
        let path = path.into();
        self.ensure(path.clone(), v > 0.0 && v <= hi, || {
            format!("`{path}` = {v} is out of range: expected 0 < value <= {hi}")
        });
    }

    pub(super) fn prob(&mut self, path: impl Into<String>, v: f64) {
        let path = path.into();
        self.ensure(path.clone(), (0.0..=1.0).contains(&v), || {
            format!("`{path}` = {v} is not a probability: expected 0 ..= 1")
        });
    }

    pub(super) fn name(&mut self, path: impl Into<String>, v: &str) {
        let path = path.into();
        self.ensure(path.clone(), is_valid_name(v), || {
            format!("`{path}` = {v:?} must be {NAME_RULE} (it names a directory)")
        });
    }
}

/// The longest name of a scenario, an arm or a probe group, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 64;

/// What a valid name is, for messages.
pub(crate) const NAME_RULE: &str =
    "1 to 64 letters, digits, `_`, `-` or `.`, not starting with `.`";

/// Whether `v` is a valid name of a scenario, an arm or a probe group (names become directory
/// and file names, so nothing that could leave a directory): [`NAME_RULE`]. Names read back
/// from results files are checked with the same rule.
pub(crate) fn is_valid_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_NAME_LEN
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !v.starts_with('.')
}
