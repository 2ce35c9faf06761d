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

mod edges;
mod error;
mod fields;
mod file;
mod labels;
mod parents;

pub use error::WorldError;
pub(crate) use file::file_problem;
pub use file::{MAX_IMPORT_BYTES, MAX_LINE_BYTES};
pub use labels::MAX_ACCOUNTS;

use super::generate::{finish, Layout};
use super::graph::FollowGraph;
use super::{CommunityKind, World};
use crate::rng::SeedTree;
use crate::scenario::spec::{ImportSpec, WorldSpec};
use edges::read_edges;
use fields::{edge_line, label_line, EDGES, LABELS};
use file::{for_each_line, no_data};
use labels::{read_labels, too_many_accounts};
use parents::parents;
use std::path::Path;

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
    let parent = match labels.parents {
        Some(given) => given,
        None => parents(&labels.kinds, &labels.community, &graph),
    };
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

#[cfg(test)]
mod tests {
    use super::labels::listing;
    use super::*;
    use crate::ids::{AccountId, CommunityId};
    use std::fs::File;
    use std::path::PathBuf;

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
            adjacent_parents: None,
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
    fn given_adjacent_parents_replace_the_inferred_ones() {
        // Communities 0 and 1 benign, 2 adjacent (its accounts follow community 1), 3 flagged.
        let dir = files(
            "parents",
            b"0 0\n1 0\n2 1\n3 1\n4 2\n5 2\n6 3\n",
            b"4 2\n4 3\n5 3\n5 0\n6 4\n",
        );
        let inferred = read(&spec(3, &[2]), &dir).unwrap();
        assert_eq!(
            inferred.layout.parent,
            [None, None, Some(CommunityId(1)), None]
        );
        let s = ImportSpec {
            adjacent_parents: Some(vec![0]),
            ..spec(3, &[2])
        };
        let given = read(&s, &dir).unwrap();
        assert_eq!(
            given.layout.parent,
            [None, None, Some(CommunityId(0)), None]
        );
        assert_eq!(check(&s, &dir).unwrap(), inferred.kinds());
        let absent = ImportSpec {
            adjacent_parents: Some(vec![9]),
            ..spec(3, &[2])
        };
        for e in [read(&absent, &dir).err(), check(&absent, &dir).err()] {
            match e.expect("refused") {
                WorldError::Value { key, message } => {
                    assert_eq!(key, "world.import.adjacent_parents");
                    assert!(message.contains("names 9, which is not"), "{message}");
                }
                other => panic!("{other}"),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
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
}
