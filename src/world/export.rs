//! Writing a world as files: the edge list and labels file that `[world.import]` reads, a table
//! of the accounts, and the `[world.import]` table that imports them.
//!
//! Accounts keep their ids (`0 .. accounts`) and communities their ids, which the labels file
//! gives as community labels: an import renumbers labelled accounts and labels in ascending
//! order, so both come back unchanged. With the flagged community, the adjacent communities and
//! the benign community each adjacent one leans toward (`adjacent_parents`), importing the files
//! rebuilds the same graph and communities; the content and interest vectors, activity and tags
//! are drawn from the seed tree as for a generated world, so a scenario with the same seed and
//! `[world]` keys imports the same world for the same replicate.
//!
//! [`write()`] writes into a directory that must exist; `driftlab export-world`
//! (`experiment::export`) writes into a temporary directory and renames it at the end.

use super::{CommunityKind, World};
use crate::ids::{AccountId, CommunityId};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// The edge list: one `src dst` line per follow.
pub const EDGES_FILE: &str = "edges.txt";
/// The community labels: one `account community` line per account.
pub const LABELS_FILE: &str = "labels.txt";
/// One row per account: its community, the community's kind, its flag and degrees.
pub const ACCOUNTS_FILE: &str = "accounts.csv";
/// The `[world.import]` table that imports the edge list and labels.
pub const IMPORT_FILE: &str = "world.toml";

/// Accounts written between two looks at the cancel flag.
const CANCEL_EVERY: usize = 4096;

/// What [`write()`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Accounts (lines of the labels file, rows of the accounts table).
    pub accounts: usize,
    /// Follows (lines of the edge list).
    pub edges: usize,
    /// Communities.
    pub communities: usize,
    /// The flagged community's id (its label in the labels file).
    pub flagged_community: u32,
    /// The adjacent communities' ids, ascending.
    pub adjacent_communities: Vec<u32>,
    /// The benign community each adjacent community leans toward, in the same order.
    pub adjacent_parents: Vec<u32>,
}

/// The name of a community kind in the accounts table.
pub fn kind_name(kind: CommunityKind) -> &'static str {
    match kind {
        CommunityKind::Benign => "benign",
        CommunityKind::Adjacent => "adjacent",
        CommunityKind::Flagged => "flagged",
    }
}

/// The `[world.import]` table of a world's files (paths relative to its directory).
fn import_table(w: &Written) -> String {
    let list = |v: &[u32]| {
        let items: Vec<String> = v.iter().map(u32::to_string).collect();
        format!("[{}]", items.join(", "))
    };
    format!(
        "[world.import]\nedges = \"{EDGES_FILE}\"\nlabels = \"{LABELS_FILE}\"\n\
         flagged_community = {}\nadjacent_communities = {}\nadjacent_parents = {}\n",
        w.flagged_community,
        list(&w.adjacent_communities),
        list(&w.adjacent_parents)
    )
}

/// An error for a world the files cannot hold.
fn unsupported(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// Writes `world` into the existing directory `dir` as [`EDGES_FILE`], [`LABELS_FILE`],
/// [`ACCOUNTS_FILE`] and [`IMPORT_FILE`]; `about` (one line, e.g. which scenario and replicate
/// the world is) heads every file as a comment, except the CSV table, which has none. Raising
/// `cancel` stops it with an error of kind [`std::io::ErrorKind::Interrupted`], the files left
/// part-written.
///
/// The flagged community and every other community must have members (an import knows the
/// communities from the accounts' labels); a generated or imported world always does.
pub fn write(
    world: &World,
    dir: &Path,
    about: &str,
    cancel: &AtomicBool,
) -> std::io::Result<Written> {
    let truth = world.truth();
    let communities = world.communities();
    let ids = || (0..communities as u32).map(CommunityId);
    if let Some(c) = ids().find(|&c| world.members(c).is_empty()) {
        return Err(unsupported(format!(
            "community {} has no accounts: a labels file cannot hold an empty community",
            c.0
        )));
    }
    let flagged = truth.communities_of(CommunityKind::Flagged);
    let &[flagged_community] = flagged.as_slice() else {
        return Err(unsupported(format!(
            "the world has {} flagged communities; an import has exactly one",
            flagged.len()
        )));
    };
    let adjacent = truth.communities_of(CommunityKind::Adjacent);
    let mut parents = Vec::with_capacity(adjacent.len());
    for &a in &adjacent {
        match truth.adjacent_parent(a) {
            Some(p) if truth.community_kind(p) == CommunityKind::Benign => parents.push(p.0),
            _ => {
                return Err(unsupported(format!(
                    "adjacent community {} leans toward no benign community",
                    a.0
                )))
            }
        }
    }
    let about = about.replace(['\n', '\r'], " ");
    let stopped = || {
        std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "the export was interrupted",
        )
    };
    let create = |name: &str| std::fs::File::create(dir.join(name)).map(BufWriter::new);
    let mut edges = create(EDGES_FILE)?;
    let mut labels = create(LABELS_FILE)?;
    let mut accounts = create(ACCOUNTS_FILE)?;
    writeln!(
        edges,
        "# driftlab follow edges: {about}\n# src dst (src follows dst); accounts as in \
         {LABELS_FILE}"
    )?;
    writeln!(
        labels,
        "# driftlab community labels: {about}\n# account community (flagged community \
         {}; see {IMPORT_FILE})",
        flagged_community.0
    )?;
    writeln!(
        accounts,
        "account,community,kind,flagged,followers,followees"
    )?;
    let mut line = String::new();
    let mut edge_count = 0;
    for a in (0..world.accounts() as u32).map(AccountId) {
        if a.index() % CANCEL_EVERY == 0 && cancel.load(Ordering::Relaxed) {
            return Err(stopped());
        }
        let c = world.community(a);
        let followees = world.graph().followees(a);
        line.clear();
        for t in followees {
            let _ = writeln!(line, "{} {}", a.0, t.0);
        }
        edges.write_all(line.as_bytes())?;
        edge_count += followees.len();
        writeln!(labels, "{} {}", a.0, c.0)?;
        writeln!(
            accounts,
            "{},{},{},{},{},{}",
            a.0,
            c.0,
            kind_name(truth.community_kind(c)),
            truth.is_flagged(a),
            world.graph().followers(a).len(),
            followees.len()
        )?;
    }
    for mut f in [edges, labels, accounts] {
        f.flush()?;
        f.get_ref().sync_all()?;
    }
    let written = Written {
        accounts: world.accounts(),
        edges: edge_count,
        communities,
        flagged_community: flagged_community.0,
        adjacent_communities: adjacent.iter().map(|c| c.0).collect(),
        adjacent_parents: parents,
    };
    let benign = communities - 1 - adjacent.len();
    let toml = format!(
        "# driftlab world: {about}\n\
         # {} accounts, {} follows, {} communities ({benign} benign, {} adjacent, 1 flagged).\n\
         #\n\
         # To run on this world, put the table below into a scenario in place of\n\
         # `world.accounts` (and `world.flagged_accounts` or `world.flagged_fraction`). Its\n\
         # paths are relative to this file; in a scenario elsewhere, make them relative to the\n\
         # scenario file. Vectors, activity and tags are drawn from the seed, the other [world]\n\
         # keys (dims, noise, activity, adjacent_mix) and [world.terms]: keep them and the seed\n\
         # as they were, and replicate R of the import is this world (with replicates = 1 the\n\
         # whole run, when this is replicate 0).\n\
         {}",
        written.accounts,
        written.edges,
        written.communities,
        adjacent.len(),
        import_table(&written)
    );
    std::fs::write(dir.join(IMPORT_FILE), toml)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeedTree;
    use crate::scenario::spec::{ImportSpec, WorldSpec};
    use crate::world::load;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("driftlab-export-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The world's fields that the simulation reads, as comparable text.
    fn fingerprint(w: &World) -> String {
        let mut s = String::new();
        for a in (0..w.accounts() as u32).map(AccountId) {
            let _ = write!(
                s,
                "{} {:?} {:?} {:?} {:?} {:?} {};",
                w.community(a).0,
                w.graph().followees(a),
                w.graph().followers(a),
                w.content(a),
                w.truth().latent(a),
                w.tags(a),
                w.activity(a)
            );
        }
        for c in (0..w.communities() as u32).map(CommunityId) {
            let _ = write!(
                s,
                "{:?} {:?} {:?};",
                w.truth().community_kind(c),
                w.truth().adjacent_parent(c),
                w.cluster_mean(c)
            );
        }
        let _ = write!(s, "{:?}", w.by_popularity());
        s
    }

    #[test]
    fn an_exported_world_imports_as_it_was_generated() {
        let spec = WorldSpec {
            accounts: Some(400),
            benign_communities: 4,
            adjacent_communities: 3,
            ..WorldSpec::default()
        };
        let tree = SeedTree::new(17);
        let world = super::super::generate(&spec, 9, &tree, 2);
        let dir = scratch("roundtrip");
        let written = write(&world, &dir, "a test world", &AtomicBool::new(false)).unwrap();
        assert_eq!(written.accounts, 400);
        assert_eq!(written.edges, world.graph().edges());
        assert_eq!(written.flagged_community, 7);
        assert_eq!(written.adjacent_communities, [4, 5, 6]);
        // The generator's rule: adjacent community k leans toward benign community k mod 4.
        assert_eq!(written.adjacent_parents, [0, 1, 2]);
        let toml = std::fs::read_to_string(dir.join(IMPORT_FILE)).unwrap();
        let table: toml::Table = toml.parse().unwrap();
        let import: ImportSpec = table["world"]["import"].clone().try_into().unwrap();
        let imported = load::read(&import, &dir).unwrap();
        let spec = WorldSpec {
            accounts: None,
            import: Some(import),
            ..spec
        };
        let again = imported.world(&spec, &tree, 2);
        assert_eq!(fingerprint(&again), fingerprint(&world));
        let csv = std::fs::read_to_string(dir.join(ACCOUNTS_FILE)).unwrap();
        assert_eq!(csv.lines().count(), 401);
        let flagged = csv.lines().filter(|l| l.contains(",flagged,true,")).count();
        assert_eq!(flagged, 9);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_raised_cancel_flag_stops_the_export() {
        let spec = WorldSpec {
            accounts: Some(100),
            benign_communities: 2,
            adjacent_communities: 0,
            ..WorldSpec::default()
        };
        let world = super::super::generate(&spec, 3, &SeedTree::new(1), 0);
        let dir = scratch("cancel");
        let e = write(&world, &dir, "x", &AtomicBool::new(true)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
