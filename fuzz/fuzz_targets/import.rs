//! Fuzzes the world importer: the input is split at the first `|` into an edge list and a
//! label file, written to a private directory, and read as `[world.import]` would read them
//! (flagged community 2, adjacent community 3). Any bytes must give a world or an error, never
//! a panic or an unbounded allocation.
#![no_main]

use driftlab::scenario::spec::ImportSpec;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("driftlab-fuzz-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'|').unwrap_or(data.len());
    let (edges, labels) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let dir = dir();
    std::fs::write(dir.join("edges.txt"), edges).unwrap();
    std::fs::write(dir.join("labels.txt"), labels).unwrap();
    let spec = ImportSpec {
        edges: "edges.txt".into(),
        labels: "labels.txt".into(),
        flagged_community: 2,
        adjacent_communities: vec![3],
        adjacent_parents: None,
    };
    // The counting pass, the full check and the load must agree on whether the input is good.
    let counted = driftlab::world::load::count(&spec, dir);
    let checked = driftlab::world::load::check(&spec, dir);
    let read = driftlab::world::load::read(&spec, dir);
    assert_eq!(checked.is_ok(), read.is_ok(), "check and read disagree");
    if read.is_ok() {
        assert!(counted.is_ok(), "read accepts what count refuses");
    }
});
