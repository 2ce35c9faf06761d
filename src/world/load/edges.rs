//! The edge list of an import, resolved against its labels.

use super::error::WorldError;
use super::fields::{edge_line, EDGES};
use super::file::{for_each_line, no_data};
use super::labels::Labels;
use crate::ids::AccountId;
use crate::scenario::spec::ImportSpec;
use std::path::Path;

/// The dense account of each original id, for the edge list's look-ups (one per endpoint):
/// a table indexed by id when the ids are nearly dense (the largest below twice the accounts,
/// at most 8 bytes per account), else a hash map (about 30 bytes per account). A binary search
/// of the sorted ids costs a cache miss per step: 5 s for 10 million edges on a million accounts.
enum IdIndex {
    /// `table[id]` is the account, or `u32::MAX` for an unlabelled id.
    Table(Vec<u32>),
    /// Id to account (with the standard library's keyed hash: ids chosen to collide cannot make
    /// the look-ups quadratic).
    Map(std::collections::HashMap<u64, u32>),
}

impl IdIndex {
    /// The index of `ids`, sorted ascending and distinct.
    fn new(ids: &[u64]) -> Self {
        let n = ids.len() as u64;
        match ids.last() {
            Some(&max) if max < 2 * n + 1024 => {
                let mut table = vec![u32::MAX; max as usize + 1];
                for (i, &id) in ids.iter().enumerate() {
                    table[id as usize] = i as u32;
                }
                Self::Table(table)
            }
            _ => Self::Map(
                ids.iter()
                    .enumerate()
                    .map(|(i, &id)| (id, i as u32))
                    .collect(),
            ),
        }
    }

    /// The dense account of an original id, if it is labelled.
    #[inline]
    fn get(&self, id: u64) -> Option<AccountId> {
        match self {
            Self::Table(t) => usize::try_from(id)
                .ok()
                .and_then(|i| t.get(i))
                .filter(|&&a| a != u32::MAX)
                .map(|&a| AccountId(a)),
            Self::Map(m) => m.get(&id).map(|&a| AccountId(a)),
        }
    }
}

/// Reads the edge list of an import, checking that every account it names is labelled, and
/// hands each edge (as dense ids) to `keep`.
pub(super) fn read_edges(
    spec: &ImportSpec,
    base_dir: &Path,
    labels: &Labels,
    mut keep: impl FnMut(AccountId, AccountId),
) -> Result<(), WorldError> {
    let path = base_dir.join(&spec.edges);
    let index = IdIndex::new(&labels.ids);
    let dense = |id: u64| index.get(id);
    let edges = for_each_line(&path, EDGES, |_, text| {
        let (a, b) = edge_line(text)?;
        match (dense(a), dense(b)) {
            (Some(x), Some(y)) => {
                keep(x, y);
                Ok(())
            }
            (x, _) => {
                let id = if x.is_none() { a } else { b };
                Err(format!(
                    "account {id} has no community label in {}; add a `{id} <community>` line \
                     there or remove the edge",
                    labels.path.display()
                ))
            }
        }
    })?;
    if edges == 0 {
        return Err(no_data(&path, EDGES));
    }
    Ok(())
}
