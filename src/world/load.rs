//! Loading a follow graph and community labels from files, as public graph datasets ship them:
//! an edge list (`src dst` a line) and a label file (`account community` a line). Lines that are
//! empty or start with `#` or `%` are comments. Account ids may be any non-negative integers;
//! they are renumbered densely in ascending order. Vectors and tags are still drawn per
//! replicate from the seed tree.

use super::generate::{finish, Layout};
use super::graph::FollowGraph;
use super::{CommunityKind, World};
use crate::ids::{AccountId, CommunityId};
use crate::rng::SeedTree;
use crate::scenario::spec::{ImportSpec, WorldSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest imported world (the same bound as generated worlds).
const MAX_ACCOUNTS: usize = 50_000_000;

/// Why an imported world could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of a file is malformed or inconsistent.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when the problem concerns the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A graph and community layout read from files.
#[derive(Clone, Debug)]
pub struct Imported {
    layout: Layout,
    graph: FollowGraph,
    /// Original id of each dense account id.
    pub original_ids: Vec<u64>,
}

impl Imported {
    /// The world of one replicate on the imported graph.
    pub fn world(&self, spec: &WorldSpec, tree: &SeedTree, replicate: u32) -> World {
        finish(
            spec,
            self.layout.clone(),
            self.graph.clone(),
            tree,
            replicate,
        )
    }

    /// The imported follow graph.
    pub fn graph(&self) -> &FollowGraph {
        &self.graph
    }

    /// The kind of each community, in community id order.
    pub fn kinds(&self) -> &[CommunityKind] {
        &self.layout.kinds
    }
}

/// Parses the non-comment lines of a file of integer pairs.
fn pairs(path: &Path) -> Result<Vec<(usize, u64, u64)>, WorldError> {
    let text = std::fs::read_to_string(path).map_err(|source| WorldError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('%') {
            continue;
        }
        let bad = |message: String| WorldError::Format {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let mut fields = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|f| !f.is_empty());
        let mut next = || -> Result<u64, WorldError> {
            let f = fields
                .next()
                .ok_or_else(|| bad(format!("expected two integers, found `{line}`")))?;
            f.parse()
                .map_err(|_| bad(format!("`{f}` is not a non-negative integer")))
        };
        let (a, b) = (next()?, next()?);
        out.push((i + 1, a, b));
    }
    Ok(out)
}

/// The labels file of an import: each account's community label and line, the community
/// labels in ascending order (community `i` has the `i`-th label) and the kind of each.
struct LabelFile {
    by_id: BTreeMap<u64, (u64, usize)>,
    community_labels: Vec<u64>,
    kinds: Vec<CommunityKind>,
}

/// Reads and checks the labels file of an import and classifies its communities.
fn read_labels(spec: &ImportSpec, base_dir: &Path) -> Result<LabelFile, WorldError> {
    let labels_path = base_dir.join(&spec.labels);
    let labels = pairs(&labels_path)?;
    let mut by_id: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
    for &(line, id, label) in &labels {
        if let Some((_, first)) = by_id.insert(id, (label, line)) {
            return Err(WorldError::Format {
                path: labels_path,
                line,
                message: format!("account {id} is labelled twice (first on line {first})"),
            });
        }
    }
    if by_id.len() > MAX_ACCOUNTS {
        return Err(WorldError::Format {
            path: labels_path,
            line: 0,
            message: format!(
                "{} accounts exceed the limit of {MAX_ACCOUNTS}",
                by_id.len()
            ),
        });
    }
    let community_labels: Vec<u64> = {
        let mut v: Vec<u64> = by_id.values().map(|(l, _)| *l).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let missing = |label: u64, what: &str| WorldError::Format {
        path: labels_path.clone(),
        line: 0,
        message: format!("the {what} community {label} has no account in this file"),
    };
    let flagged = u64::from(spec.flagged_community);
    if community_labels.binary_search(&flagged).is_err() {
        return Err(missing(flagged, "flagged"));
    }
    for &a in &spec.adjacent_communities {
        if community_labels.binary_search(&u64::from(a)).is_err() {
            return Err(missing(a.into(), "adjacent"));
        }
    }
    let kinds: Vec<CommunityKind> = community_labels
        .iter()
        .map(|&l| {
            if l == flagged {
                CommunityKind::Flagged
            } else if spec.adjacent_communities.iter().any(|&a| u64::from(a) == l) {
                CommunityKind::Adjacent
            } else {
                CommunityKind::Benign
            }
        })
        .collect();
    Ok(LabelFile {
        by_id,
        community_labels,
        kinds,
    })
}

/// The kind of each community of an import, in community id order, from its labels file alone
/// (the edge list is not read): enough to check a scenario's probes against the import before
/// loading the graph.
pub fn community_kinds(
    spec: &ImportSpec,
    base_dir: &Path,
) -> Result<Vec<CommunityKind>, WorldError> {
    read_labels(spec, base_dir).map(|l| l.kinds)
}

/// Reads an import: labels define the accounts, edges must only name labelled accounts.
pub fn read(spec: &ImportSpec, base_dir: &Path) -> Result<Imported, WorldError> {
    let edges_path = base_dir.join(&spec.edges);
    let LabelFile {
        by_id,
        community_labels,
        kinds,
    } = read_labels(spec, base_dir)?;
    let original_ids: Vec<u64> = by_id.keys().copied().collect();
    let community: Vec<CommunityId> = by_id
        .values()
        .map(|(l, _)| CommunityId(community_labels.binary_search(l).unwrap_or(0) as u32))
        .collect();
    let dense = |id: u64| {
        original_ids
            .binary_search(&id)
            .ok()
            .map(|i| AccountId(i as u32))
    };
    let mut edges = Vec::new();
    for (line, a, b) in pairs(&edges_path)? {
        match (dense(a), dense(b)) {
            (Some(x), Some(y)) => edges.push((x, y)),
            _ => {
                let id = if dense(a).is_none() { a } else { b };
                return Err(WorldError::Format {
                    path: edges_path,
                    line,
                    message: format!("account {id} has no community label"),
                });
            }
        }
    }
    let graph = FollowGraph::from_edges(original_ids.len(), &edges);
    let parent = parents(&kinds, &community, &graph);
    Ok(Imported {
        layout: Layout {
            community,
            kinds,
            parent,
        },
        graph,
        original_ids,
    })
}

/// Each adjacent community leans toward the benign community its members follow most.
fn parents(
    kinds: &[CommunityKind],
    community: &[CommunityId],
    graph: &FollowGraph,
) -> Vec<Option<CommunityId>> {
    let mut counts = vec![vec![0usize; kinds.len()]; kinds.len()];
    for (a, c) in community.iter().enumerate() {
        if kinds[c.index()] == CommunityKind::Adjacent {
            for t in graph.followees(AccountId(a as u32)) {
                counts[c.index()][community[t.index()].index()] += 1;
            }
        }
    }
    let benign: Vec<usize> = (0..kinds.len())
        .filter(|&c| kinds[c] == CommunityKind::Benign)
        .collect();
    (0..kinds.len())
        .map(|c| {
            if kinds[c] != CommunityKind::Adjacent {
                return None;
            }
            benign
                .iter()
                .max_by(|&&x, &&y| counts[c][x].cmp(&counts[c][y]).then(y.cmp(&x)))
                .map(|&b| CommunityId(b as u32))
        })
        .collect()
}
