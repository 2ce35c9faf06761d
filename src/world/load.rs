//! Loading a follow graph and community labels from files, as public graph datasets (SNAP,
//! KONECT, ...) ship them: an edge list (`src dst` a line) and a label file (`account community`
//! a line).
//!
//! **Format.** The first two fields of a line are read; fields are separated by spaces, tabs or
//! a comma, and further fields (weights, timestamps) are ignored. Lines that are empty or start
//! with `#` or `%` are comments. Windows line endings (CRLF) are accepted. A line must be UTF-8
//! text (in practice ASCII) of at most [`MAX_LINE_BYTES`] bytes.
//!
//! **Ids.** Account ids and community labels are integers `0 ..= 18446744073709551615` (64 bits:
//! SNAP's ids are sparse, and some datasets use 64-bit user ids). The accounts are the labelled
//! ones, renumbered densely in ascending order of their ids (`Imported::original_ids` maps back);
//! community `i` is the `i`-th smallest label. Memory therefore follows the number of lines, never
//! the size of the ids: `4294967295 1` costs what `1 0` costs. Every account of the edge list
//! needs a label; self-follows and repeated edges are dropped.
//!
//! **Bounds**, checked before anything large is allocated: each file must be a regular file (not
//! a directory, device or pipe) of at most [`MAX_IMPORT_BYTES`]; files are read line by line with
//! a fixed buffer; [`count`], a first pass that keeps nothing per line, checks the syntax and
//! counts the accounts (at most [`MAX_ACCOUNTS`]) and edges, so a run's memory estimate can refuse
//! an import that would not fit before [`check`] or [`read`] keeps anything per account.
//!
//! Every error names the file and, for a line, its 1-based number, and says how to fix it.
//! Vectors and tags are still drawn per replicate from the seed tree.

use super::generate::{finish, Layout};
use super::graph::FollowGraph;
use super::{CommunityKind, World};
use crate::ids::{AccountId, CommunityId};
use crate::rng::SeedTree;
use crate::scenario::spec::{ImportSpec, WorldSpec};
use std::fs::{File, Metadata};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Most accounts an imported world may have (the bound of generated worlds).
pub const MAX_ACCOUNTS: u64 = 50_000_000;

/// Largest data file of an import (4 GiB, about 300 million edges of 9-digit ids), refused
/// before it is read.
pub const MAX_IMPORT_BYTES: u64 = 1 << 32;

/// Longest line of a data file (64 KiB; a data line needs at most 41 bytes).
pub const MAX_LINE_BYTES: usize = 1 << 16;

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
    /// A file cannot be used as a whole: missing, not a regular file, too large.
    #[error("{message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (naming the file) and what to give instead.
        message: String,
    },
    /// A line of a file is malformed or inconsistent.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// A value of the scenario's `[world.import]` contradicts the files (a flagged or adjacent
    /// community no account has); the runner reports it at the key's line of the scenario.
    #[error("{message}")]
    Value {
        /// Key path, e.g. `world.import.flagged_community`.
        key: String,
        /// What is wrong (naming the key and the file), and how to fix it.
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

/// What an edge list is called in messages.
const EDGES: &str = "edge list (one `src dst` pair of account ids a line)";
/// What a labels file is called in messages.
const LABELS: &str = "labels file (one `account community` pair a line)";

/// Why the file at `path` cannot be a data file of an import (`what` names it: "edge list"),
/// as a sentence naming the file; `None` when it can be read. Only metadata is read, so a pipe
/// or a device is refused without being opened.
pub(crate) fn file_problem(path: &Path, what: &str) -> Option<String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "file {} does not exist (a relative path is relative to the scenario file)",
            path.display()
        )),
        Err(e) => Some(format!("cannot read {}: {}", path.display(), e.kind())),
        Ok(meta) => metadata_problem(&meta, path, what),
    }
}

/// Why a file of this metadata cannot be a data file (see [`file_problem`]).
fn metadata_problem(meta: &Metadata, path: &Path, what: &str) -> Option<String> {
    let path = path.display();
    if meta.is_dir() {
        Some(format!(
            "{path} is a directory, not a file: give the {what}"
        ))
    } else if !meta.is_file() {
        Some(format!(
            "{path} is not a regular file (a device, pipe or socket): give the {what}"
        ))
    } else if meta.len() > MAX_IMPORT_BYTES {
        Some(format!(
            "{path} is {} bytes, larger than the limit of {MAX_IMPORT_BYTES} bytes (4 GiB) for a \
             file of an import",
            meta.len()
        ))
    } else {
        None
    }
}

/// Opens a data file after checking it is a regular file within [`MAX_IMPORT_BYTES`], before
/// and (in case it was swapped) after opening. On Linux it is opened without blocking, so a
/// pipe put in its place cannot hang the open.
fn open(path: &Path, what: &str) -> Result<BufReader<File>, WorldError> {
    let refused = |message| WorldError::File {
        path: path.to_path_buf(),
        message,
    };
    let io = |source| WorldError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(message) = file_problem(path, what) {
        return Err(refused(message));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    if let Some(message) = metadata_problem(&file.metadata().map_err(io)?, path, what) {
        return Err(refused(message));
    }
    Ok(BufReader::with_capacity(1 << 16, file))
}

/// Calls `f` with the number and trimmed text of every line of a data file that is not blank or
/// a comment, and returns how many there were. The file is read a line at a time into one
/// buffer of at most [`MAX_LINE_BYTES`]; an error of `f` is reported at its line.
fn for_each_line(
    path: &Path,
    what: &str,
    mut f: impl FnMut(usize, &str) -> Result<(), String>,
) -> Result<u64, WorldError> {
    let mut reader = open(path, what)?;
    let at = |line, message| WorldError::Format {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut buf = Vec::with_capacity(256);
    let (mut line, mut bytes, mut data) = (0usize, 0u64, 0u64);
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| WorldError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(data);
        }
        line += 1;
        bytes += n as u64;
        if bytes > MAX_IMPORT_BYTES {
            return Err(WorldError::File {
                path: path.to_path_buf(),
                message: format!(
                    "{} grew beyond the limit of {MAX_IMPORT_BYTES} bytes (4 GiB) for a file of \
                     an import while it was read",
                    path.display()
                ),
            });
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else if buf.len() > MAX_LINE_BYTES {
            return Err(at(
                line,
                format!("the line is longer than {MAX_LINE_BYTES} bytes; is this the {what}?"),
            ));
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            let i = e.valid_up_to();
            at(
                line,
                format!(
                    "the line is not UTF-8 text (byte {} is 0x{:02x}); give the {what} as plain \
                     text",
                    i + 1,
                    buf[i]
                ),
            )
        })?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') || text.starts_with('%') {
            continue;
        }
        data += 1;
        f(line, text).map_err(|message| at(line, message))?;
    }
}

/// A field of a line as shown in a message: control characters escaped, at most 32 characters.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(32).flat_map(char::escape_debug).collect();
    if s.chars().nth(32).is_some() {
        out.push_str("...");
    }
    out
}

/// A field read as an id (an account id or a community label, `name`).
fn id(field: &str, name: &str) -> Result<u64, String> {
    field.parse::<u64>().map_err(|_| {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let f = shown(field);
        if field.strip_prefix('-').is_some_and(digits) {
            format!(
                "the {name} `{f}` is negative; ids and labels are integers 0 ..= {}",
                u64::MAX
            )
        } else if digits(field.strip_prefix('+').unwrap_or(field)) {
            format!(
                "the {name} `{f}` is larger than {}, the largest id or label an import takes",
                u64::MAX
            )
        } else {
            format!(
                "the {name} `{f}` is not an integer; ids and labels are integers 0 ..= {}",
                u64::MAX
            )
        }
    })
}

/// The first two fields of a data line as ids; `names` says what they are and `form` how the
/// line should look.
fn two_ids(text: &str, names: [&str; 2], form: &str) -> Result<(u64, u64), String> {
    let mut fields = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|f| !f.is_empty());
    let mut out = [0u64; 2];
    for (slot, name) in out.iter_mut().zip(names) {
        let field = fields.next().ok_or_else(|| {
            format!(
                "expected two integers `{form}`, found `{}`; separate them with spaces, tabs or \
                 a comma (`#` or `%` starts a comment line)",
                shown(text)
            )
        })?;
        *slot = id(field, name)?;
    }
    Ok((out[0], out[1]))
}

/// A labels line: account id and community label.
fn label_line(text: &str) -> Result<(u64, u64), String> {
    two_ids(text, ["account id", "community label"], "account community")
}

/// An edge line: source and target account ids.
fn edge_line(text: &str) -> Result<(u64, u64), String> {
    two_ids(text, ["source account id", "target account id"], "src dst")
}

/// The error for more than [`MAX_ACCOUNTS`] labelled accounts.
fn too_many_accounts() -> String {
    format!(
        "more than {MAX_ACCOUNTS} accounts, the most a world may have; import a smaller graph \
         (a sample of it, or fewer communities)"
    )
}

/// The error for a data file without a data line (reported at line 1).
fn no_data(path: &Path, what: &str) -> WorldError {
    WorldError::Format {
        path: path.to_path_buf(),
        line: 1,
        message: format!("the file is empty or holds only comments: give the {what}"),
    }
}

/// Sizes of an import, from [`count`]: data lines, which bound what loading it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportCounts {
    /// Lines of the labels file: its accounts (each may be labelled once).
    pub accounts: u64,
    /// Lines of the edge list: its edges, before repeated edges and self-follows are dropped.
    pub edges: u64,
}

/// The cheap first pass over an import: checks that both files are readable regular files
/// within [`MAX_IMPORT_BYTES`], that every line is well formed, that there are at most
/// [`MAX_ACCOUNTS`] accounts and at least one account and one edge, and counts them. Nothing is
/// kept per line, so it runs in constant memory; what only the whole files can tell (a label
/// given twice, an edge to an unlabelled account, a missing flagged community) is left to
/// [`check`] and [`read`].
pub fn count(spec: &ImportSpec, base_dir: &Path) -> Result<ImportCounts, WorldError> {
    let labels = base_dir.join(&spec.labels);
    let mut accounts = 0u64;
    let lines = for_each_line(&labels, LABELS, |_, text| {
        label_line(text)?;
        accounts += 1;
        if accounts > MAX_ACCOUNTS {
            return Err(too_many_accounts());
        }
        Ok(())
    })?;
    if lines == 0 {
        return Err(no_data(&labels, LABELS));
    }
    let edges_path = base_dir.join(&spec.edges);
    let edges = for_each_line(&edges_path, EDGES, |_, text| edge_line(text).map(|_| ()))?;
    if edges == 0 {
        return Err(no_data(&edges_path, EDGES));
    }
    Ok(ImportCounts { accounts, edges })
}

/// The labels file of an import, checked: the accounts' original ids in ascending order (dense
/// account `i` has the `i`-th), each account's community and the kind of each community.
struct Labels {
    path: PathBuf,
    ids: Vec<u64>,
    community: Vec<CommunityId>,
    kinds: Vec<CommunityKind>,
}

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

/// At most six labels of `labels` (ascending), for a message.
fn listing(labels: &[u64]) -> String {
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
fn read_labels(spec: &ImportSpec, base_dir: &Path) -> Result<Labels, WorldError> {
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
    let community = rows
        .iter()
        .map(|r| CommunityId(labels.binary_search(&r.1).unwrap_or(0) as u32))
        .collect();
    Ok(Labels {
        path,
        ids: rows.into_iter().map(|r| r.0).collect(),
        community,
        kinds,
    })
}

/// Reads the edge list of an import, checking that every account it names is labelled, and
/// hands each edge (as dense ids) to `keep`.
fn read_edges(
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

/// Checks both files of an import completely (their syntax, a label given twice, an edge to an
/// unlabelled account, the flagged and adjacent communities) without building the graph, and
/// returns the kind of each community in community id order. Keeps about 24 bytes per account
/// while it runs and nothing per edge: run [`count`] first to bound that.
pub fn check(spec: &ImportSpec, base_dir: &Path) -> Result<Vec<CommunityKind>, WorldError> {
    let labels = read_labels(spec, base_dir)?;
    read_edges(spec, base_dir, &labels, |_, _| ())?;
    Ok(labels.kinds)
}

/// Reads an import: labels define the accounts, edges must only name labelled accounts.
pub fn read(spec: &ImportSpec, base_dir: &Path) -> Result<Imported, WorldError> {
    let labels = read_labels(spec, base_dir)?;
    let mut edges = Vec::new();
    read_edges(spec, base_dir, &labels, |a, b| edges.push((a, b)))?;
    let graph = FollowGraph::from_edges(labels.ids.len(), &edges);
    drop(edges);
    let parent = parents(&labels.kinds, &labels.community, &graph);
    Ok(Imported {
        layout: Layout {
            community: labels.community,
            kinds: labels.kinds,
            parent,
        },
        graph,
        original_ids: labels.ids,
    })
}

/// Each adjacent community leans toward the benign community its members follow most (ties and
/// no benign follow at all: the lowest such community id).
///
/// Only follows from adjacent accounts into benign communities are counted, as sorted (adjacent,
/// benign) pairs: memory grows with those follows, not with communities x communities (30,000
/// single-account communities would need a 7 GB table).
fn parents(
    kinds: &[CommunityKind],
    community: &[CommunityId],
    graph: &FollowGraph,
) -> Vec<Option<CommunityId>> {
    let mut follows: Vec<(u32, u32)> = Vec::new();
    for (a, c) in community.iter().enumerate() {
        if kinds[c.index()] == CommunityKind::Adjacent {
            for t in graph.followees(AccountId(a as u32)) {
                let tc = community[t.index()];
                if kinds[tc.index()] == CommunityKind::Benign {
                    follows.push((c.0, tc.0));
                }
            }
        }
    }
    follows.sort_unstable();
    let first_benign = kinds
        .iter()
        .position(|k| *k == CommunityKind::Benign)
        .map(|b| CommunityId(b as u32));
    let mut parent: Vec<Option<CommunityId>> = kinds
        .iter()
        .map(|k| {
            (*k == CommunityKind::Adjacent)
                .then_some(first_benign)
                .flatten()
        })
        .collect();
    for of_one in follows.chunk_by(|x, y| x.0 == y.0) {
        // Runs of one benign target, in ascending target order: a later run wins only with
        // strictly more follows, so ties go to the lower id.
        let mut best: Option<(usize, u32)> = None;
        for run in of_one.chunk_by(|x, y| x.1 == y.1) {
            if best.is_none_or(|(n, _)| run.len() > n) {
                best = Some((run.len(), run[0].1));
            }
        }
        parent[of_one[0].0 as usize] = best.map(|(_, b)| CommunityId(b));
    }
    parent
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory holding `labels.txt` and `edges.txt` with these contents.
    fn files(tag: &str, labels: &[u8], edges: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("driftlab-load-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("labels.txt"), labels).unwrap();
        std::fs::write(dir.join("edges.txt"), edges).unwrap();
        dir
    }

    fn spec(flagged: u32, adjacent: &[u32]) -> ImportSpec {
        ImportSpec {
            edges: "edges.txt".into(),
            labels: "labels.txt".into(),
            flagged_community: flagged,
            adjacent_communities: adjacent.to_vec(),
        }
    }

    const LABELS: &[u8] = b"# account community\n0 0\n1 0\n2 1\n3 1\n4 2\n";
    const EDGES: &[u8] = b"# src dst\n0 1\n1 2\n2 3\n3 4\n4 0\n";

    /// The error of importing these files, after checking that `count` (for a syntax error),
    /// `check` and `read` agree on it; as `(file name, line, message)`.
    fn refusal(tag: &str, labels: &[u8], edges: &[u8]) -> (String, usize, String) {
        let dir = files(tag, labels, edges);
        let s = spec(2, &[]);
        let read = read(&s, &dir).expect_err("refused");
        let checked = check(&s, &dir).expect_err("refused");
        assert_eq!(read.to_string(), checked.to_string(), "{tag}");
        if let Err(e) = count(&s, &dir) {
            assert_eq!(e.to_string(), read.to_string(), "{tag}: count disagrees");
        }
        let _ = std::fs::remove_dir_all(&dir);
        match read {
            WorldError::Format {
                path,
                line,
                message,
            } => (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                line,
                message,
            ),
            other => panic!("{tag}: {other}"),
        }
    }

    /// A refused import: tag, labels, edges, then the file, line and words of the refusal.
    type Case = (
        &'static str,
        &'static [u8],
        &'static [u8],
        &'static str,
        usize,
        &'static str,
    );

    #[test]
    fn data_errors_name_the_file_and_the_one_based_line() {
        let cases: &[Case] = &[
            (
                "edge-one-field",
                LABELS,
                b"# c\n0 1\n1\n",
                "edges.txt",
                3,
                "expected two integers `src dst`, found `1`",
            ),
            (
                "edge-not-int",
                LABELS,
                b"0 1\n\n1 x\n",
                "edges.txt",
                3,
                "the target account id `x` is not an integer",
            ),
            (
                "edge-negative",
                LABELS,
                b"0 1\n-1 2\n",
                "edges.txt",
                2,
                "`-1` is negative",
            ),
            (
                "edge-overflow",
                LABELS,
                b"18446744073709551616 1\n",
                "edges.txt",
                1,
                "larger than 18446744073709551615",
            ),
            (
                "edge-unknown",
                LABELS,
                b"0 1\n% c\n2 99\n",
                "edges.txt",
                3,
                "account 99 has no community label in",
            ),
            (
                "edge-unknown-source",
                LABELS,
                b"77 1\n",
                "edges.txt",
                1,
                "account 77 has no community label",
            ),
            (
                "edge-unknown-beyond-table",
                LABELS,
                b"0 18446744073709551615\n",
                "edges.txt",
                1,
                "account 18446744073709551615 has no community label",
            ),
            (
                "edge-nul",
                LABELS,
                b"0 1\n1\x002 3\n",
                "edges.txt",
                2,
                "`1\\02` is not an integer",
            ),
            (
                "edge-not-utf8",
                LABELS,
                b"0 1\n1 \xff2\n",
                "edges.txt",
                2,
                "not UTF-8 text (byte 3 is 0xff)",
            ),
            (
                "edge-empty",
                LABELS,
                b"",
                "edges.txt",
                1,
                "the file is empty or holds only comments",
            ),
            (
                "edge-comments",
                LABELS,
                b"# a\n% b\n\n",
                "edges.txt",
                1,
                "empty or holds only comments",
            ),
            (
                "label-bad",
                b"0 0\n1 x\n4 2\n",
                EDGES,
                "labels.txt",
                2,
                "the community label `x` is not an integer",
            ),
            (
                "label-one-field",
                b"0 0\n1\n4 2\n",
                EDGES,
                "labels.txt",
                2,
                "`account community`",
            ),
            (
                "label-twice",
                b"0 0\n1 0\n2 1\n3 1\n1 2\n4 2\n1 1\n",
                EDGES,
                "labels.txt",
                5,
                "account 1 is labelled twice (first on line 2)",
            ),
            (
                "label-empty",
                b"",
                EDGES,
                "labels.txt",
                1,
                "empty or holds only comments",
            ),
            (
                "label-overflow",
                b"0 0\n1 99999999999999999999\n",
                EDGES,
                "labels.txt",
                2,
                "the community label `99999999999999999999` is larger than",
            ),
        ];
        for &(tag, labels, edges, file, line, needle) in cases {
            let (f, l, message) = refusal(tag, labels, edges);
            assert_eq!((f.as_str(), l), (file, line), "{tag}: {message}");
            assert!(message.contains(needle), "{tag}: {message}");
            assert!(!message.contains("os error"), "{tag}: {message}");
        }
    }

    #[test]
    fn a_long_field_is_cut_and_a_long_line_refused() {
        let mut edges = b"0 1\n".to_vec();
        edges.extend(std::iter::repeat_n(b'7', 100));
        edges.extend(b"x 1\n");
        let (_, line, message) = refusal("long-field", LABELS, &edges);
        assert_eq!(line, 2);
        assert!(
            message.contains("77777...`") && message.len() < 200,
            "{message}"
        );
        let mut edges = b"0 1\n# ".to_vec();
        edges.extend(std::iter::repeat_n(b'c', MAX_LINE_BYTES));
        edges.extend(b"\n1 2\n");
        let (_, line, message) = refusal("long-line", LABELS, &edges);
        assert_eq!(line, 2);
        assert!(message.contains("longer than 65536 bytes"), "{message}");
        // A line of exactly the limit is read.
        let mut edges = b"0 1\n#".to_vec();
        edges.extend(std::iter::repeat_n(b'c', MAX_LINE_BYTES - 1));
        edges.extend(b"\n1 2\n");
        let dir = files("limit-line", LABELS, &edges);
        assert_eq!(read(&spec(2, &[]), &dir).unwrap().graph().edges(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_community_the_scenario_names_must_be_in_the_labels() {
        let dir = files("value", LABELS, EDGES);
        for (s, key, needle) in [
            (
                spec(7, &[]),
                "world.import.flagged_community",
                "= 7 is not a community of",
            ),
            (
                spec(2, &[1, 5]),
                "world.import.adjacent_communities",
                "names 5, which is not",
            ),
        ] {
            match read(&s, &dir).expect_err("refused") {
                WorldError::Value { key: k, message } => {
                    assert_eq!(k, key);
                    assert!(message.contains(needle), "{message}");
                    assert!(
                        message.contains("labels.txt (3 communities: 0, 1, 2)"),
                        "{message}"
                    );
                    assert!(message.contains(&format!("`{key}`")), "{message}");
                }
                other => panic!("{other}"),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(listing(&[1, 2, 3]), "1, 2, 3");
        assert_eq!(
            listing(&(0..30_000).collect::<Vec<_>>()),
            "0, 1, 2, 3, 4, ..., 29999"
        );
    }

    #[test]
    fn files_that_are_not_regular_or_too_large_are_refused_before_reading() {
        let dir = files("not-regular", LABELS, EDGES);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let big = dir.join("big.txt");
        // Sparse: no disk space is used.
        File::create(&big)
            .unwrap()
            .set_len(MAX_IMPORT_BYTES + 1)
            .unwrap();
        for (labels, needle) in [
            ("sub", "is a directory, not a file: give the labels file"),
            (
                "/dev/zero",
                "is not a regular file (a device, pipe or socket)",
            ),
            (
                "big.txt",
                "is 4294967297 bytes, larger than the limit of 4294967296 bytes",
            ),
            ("missing.txt", "does not exist"),
        ] {
            let s = ImportSpec {
                labels: labels.into(),
                ..spec(2, &[])
            };
            for e in [
                count(&s, &dir).err(),
                check(&s, &dir).err(),
                read(&s, &dir).err(),
            ] {
                match e.expect("refused") {
                    WorldError::File { path, message } => {
                        assert!(path.ends_with(labels), "{message}");
                        assert!(message.contains(needle), "{labels}: {message}");
                    }
                    other => panic!("{labels}: {other}"),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn crlf_comments_commas_and_extra_fields_read_like_plain_lines() {
        let plain = files("plain", LABELS, EDGES);
        let dos = files(
            "crlf",
            b"# account community\r\n0 0\r\n1\t0\r\n2,1\r\n  3 1 extra\r\n4 2",
            b"% src dst\r\n0 1 0.5\r\n1,2\r\n\r\n2 3\r\n3 4 1700000000\r\n4 0\r\n",
        );
        let (a, b) = (
            read(&spec(2, &[]), &plain).unwrap(),
            read(&spec(2, &[]), &dos).unwrap(),
        );
        assert_eq!(a.original_ids, b.original_ids);
        assert_eq!(a.kinds(), b.kinds());
        assert_eq!(a.layout.community, b.layout.community);
        for i in 0..5 {
            assert_eq!(
                a.graph().followees(AccountId(i)),
                b.graph().followees(AccountId(i))
            );
        }
        assert_eq!(
            count(&spec(2, &[]), &dos).unwrap(),
            ImportCounts {
                accounts: 5,
                edges: 5
            }
        );
        let _ = std::fs::remove_dir_all(&plain);
        let _ = std::fs::remove_dir_all(&dos);
    }

    #[test]
    fn sparse_ids_are_renumbered_densely_whatever_their_size() {
        let dir = files(
            "sparse",
            b"4294967295 1\n18446744073709551615 3000000000\n7 1\n4294967296 3000000000\n",
            b"4294967295 18446744073709551615\n7 4294967296\n18446744073709551615 7\n",
        );
        let s = ImportSpec {
            flagged_community: 1,
            ..spec(0, &[])
        };
        let imported = read(&s, &dir).unwrap();
        assert_eq!(
            imported.original_ids,
            [7, 4294967295, 4294967296, 18446744073709551615]
        );
        // Labels 1 and 3000000000 are communities 0 and 1.
        assert_eq!(
            imported.kinds(),
            [CommunityKind::Flagged, CommunityKind::Benign]
        );
        assert_eq!(imported.graph().followees(AccountId(1)), [AccountId(3)]);
        assert_eq!(imported.graph().followees(AccountId(3)), [AccountId(0)]);
        assert_eq!(
            count(&s, &dir).unwrap(),
            ImportCounts {
                accounts: 4,
                edges: 3
            }
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The parent rule as it was first written, with a communities x communities table.
    fn parents_quadratic(
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

    #[test]
    fn parents_match_the_quadratic_rule() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for round in 0..300 {
            let k = rng.random_range(1..9usize);
            let n = rng.random_range(1..40usize);
            let kinds: Vec<CommunityKind> = (0..k)
                .map(|_| match rng.random_range(0..3) {
                    0 => CommunityKind::Benign,
                    1 => CommunityKind::Adjacent,
                    _ => CommunityKind::Flagged,
                })
                .collect();
            let community: Vec<CommunityId> = (0..n)
                .map(|_| CommunityId(rng.random_range(0..k as u32)))
                .collect();
            let edges: Vec<(AccountId, AccountId)> = (0..rng.random_range(0..4 * n))
                .map(|_| {
                    (
                        AccountId(rng.random_range(0..n as u32)),
                        AccountId(rng.random_range(0..n as u32)),
                    )
                })
                .collect();
            let graph = FollowGraph::from_edges(n, &edges);
            assert_eq!(
                parents(&kinds, &community, &graph),
                parents_quadratic(&kinds, &community, &graph),
                "round {round}: {kinds:?}"
            );
        }
    }
}
