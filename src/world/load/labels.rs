//! The labels file of an import: the accounts, their communities and the kind of each
//! community.

use super::error::WorldError;
use super::fields::{label_line, LABELS};
use super::file::{for_each_line, no_data};
use crate::ids::CommunityId;
use crate::scenario::spec::ImportSpec;
use crate::world::CommunityKind;
use std::path::{Path, PathBuf};

/// Most accounts an imported world may have (the bound of generated worlds).
pub const MAX_ACCOUNTS: u64 = 50_000_000;

/// The error for more than [`MAX_ACCOUNTS`] labelled accounts.
pub(super) fn too_many_accounts() -> String {
    format!(
        "more than {MAX_ACCOUNTS} accounts, the most a world may have; import a smaller graph \
         (a sample of it, or fewer communities)"
    )
}

/// The labels file of an import, checked: the accounts' original ids in ascending order (dense
/// account `i` has the `i`-th), each account's community and the kind of each community.
pub(super) struct Labels {
    pub(super) path: PathBuf,
    pub(super) ids: Vec<u64>,
    pub(super) community: Vec<CommunityId>,
    pub(super) kinds: Vec<CommunityKind>,
    /// The parent of each adjacent community, when the scenario gives them
    /// (`world.import.adjacent_parents`); in community id order, `None` for the others.
    pub(super) parents: Option<Vec<Option<CommunityId>>>,
}

/// At most six labels of `labels` (ascending), for a message.
pub(super) fn listing(labels: &[u64]) -> String {
    let shown: Vec<String> = if labels.len() <= 6 {
        labels.iter().map(u64::to_string).collect()
    } else {
        let mut v: Vec<String> = labels[..5].iter().map(u64::to_string).collect();
        v.push(format!("..., {}", labels[labels.len() - 1]));
        v
    };
    shown.join(", ")
}

/// Reads and checks the labels file of an import and classifies its communities.
pub(super) fn read_labels(spec: &ImportSpec, base_dir: &Path) -> Result<Labels, WorldError> {
    let path = base_dir.join(&spec.labels);
    // (account id, community label, line): 24 bytes per account.
    let mut rows: Vec<(u64, u64, usize)> = Vec::new();
    for_each_line(&path, LABELS, |line, text| {
        let (id, label) = label_line(text)?;
        if rows.len() as u64 >= MAX_ACCOUNTS {
            return Err(too_many_accounts());
        }
        rows.push((id, label, line));
        Ok(())
    })?;
    if rows.is_empty() {
        return Err(no_data(&path, LABELS));
    }
    rows.sort_unstable_by_key(|&(id, _, line)| (id, line));
    // The earliest line that labels an account a second time.
    if let Some(w) = rows
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .min_by_key(|w| w[1].2)
    {
        return Err(WorldError::Format {
            path,
            line: w[1].2,
            message: format!(
                "account {} is labelled twice (first on line {}); give each account one community",
                w[1].0, w[0].2
            ),
        });
    }
    let mut labels: Vec<u64> = rows.iter().map(|r| r.1).collect();
    labels.sort_unstable();
    labels.dedup();
    let absent = |label: &u64| labels.binary_search(label).is_err();
    let communities = || {
        format!(
            "{} ({} communities: {})",
            path.display(),
            labels.len(),
            listing(&labels)
        )
    };
    let flagged = u64::from(spec.flagged_community);
    if absent(&flagged) {
        return Err(WorldError::Value {
            key: "world.import.flagged_community".into(),
            message: format!(
                "`world.import.flagged_community` = {flagged} is not a community of {}; give \
                 one of them",
                communities()
            ),
        });
    }
    if let Some(a) = spec
        .adjacent_communities
        .iter()
        .map(|&a| u64::from(a))
        .find(absent)
    {
        return Err(WorldError::Value {
            key: "world.import.adjacent_communities".into(),
            message: format!(
                "`world.import.adjacent_communities` names {a}, which is not a community of {}; \
                 give only communities of the file",
                communities()
            ),
        });
    }
    if let Some(p) = spec
        .adjacent_parents
        .iter()
        .flatten()
        .map(|&p| u64::from(p))
        .find(absent)
    {
        return Err(WorldError::Value {
            key: "world.import.adjacent_parents".into(),
            message: format!(
                "`world.import.adjacent_parents` names {p}, which is not a community of {}; \
                 give only communities of the file",
                communities()
            ),
        });
    }
    let mut adjacent: Vec<u64> = spec
        .adjacent_communities
        .iter()
        .map(|&a| u64::from(a))
        .collect();
    adjacent.sort_unstable();
    let kinds = labels
        .iter()
        .map(|l| {
            if *l == flagged {
                CommunityKind::Flagged
            } else if adjacent.binary_search(l).is_ok() {
                CommunityKind::Adjacent
            } else {
                CommunityKind::Benign
            }
        })
        .collect();
    let id_of = |label: u64| CommunityId(labels.binary_search(&label).unwrap_or(0) as u32);
    let community = rows.iter().map(|r| id_of(r.1)).collect();
    // Checked when the scenario was loaded: one parent per adjacent community, each benign.
    let parents = spec.adjacent_parents.as_ref().map(|given| {
        let mut parent = vec![None; labels.len()];
        for (&a, &p) in spec.adjacent_communities.iter().zip(given) {
            parent[id_of(u64::from(a)).index()] = Some(id_of(u64::from(p)));
        }
        parent
    });
    Ok(Labels {
        path,
        ids: rows.into_iter().map(|r| r.0).collect(),
        community,
        kinds,
        parents,
    })
}
