//! Imported worlds through the binary (issue 19): what the committed corpus
//! (`tests/corpus/imports/`) cannot hold, because it is made at test time (a pipe, a sparse
//! 4 GiB file, 30,000 communities) or because it must be accepted (CRLF, sparse ids). Every
//! refusal exits 2 with one `error: ` line and leaves no results directory; children are
//! killed after a deadline, so a hang fails instead of blocking.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a child did: exit code, stderr, peak resident set size (KiB).
struct Finished {
    code: Option<i32>,
    stderr: String,
    max_rss_kib: i64,
}

/// Runs the binary with `args`, killed after `deadline`; its own peak RSS is read with `wait4`
/// (which reaps it: `Child::wait` would not give the RSS).
#[allow(clippy::zombie_processes)]
fn driftlab(args: &[&str], deadline: Duration) -> Finished {
    static CHILDREN: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "driftlab-import-child-{}-{}",
        std::process::id(),
        CHILDREN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let err_path = dir.join("stderr");
    let child = Command::new(env!("CARGO_BIN_EXE_driftlab"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("binary runs");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: `rusage` is plain data; `wait4` writes it and `status` for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let rc = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if rc == pid {
            break;
        }
        assert!(rc == 0, "wait4 failed");
        if start.elapsed() > deadline {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            let _ = std::fs::remove_dir_all(&dir);
            panic!("{args:?} still ran after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    Finished {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr,
        max_rss_kib: usage.ru_maxrss,
    }
}

const MINUTE: Duration = Duration::from_secs(60);

/// A fresh directory with `labels.txt`, `edges.txt` and `scenario.toml` (communities 0 and 1
/// benign, 2 flagged unless `import` says otherwise); `top` is added to the scenario's top-level
/// keys and `import` to its `[world.import]` table.
fn case(tag: &str, labels: &[u8], edges: &[u8], top: &str, import: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("driftlab-import-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("labels.txt"), labels).unwrap();
    std::fs::write(dir.join("edges.txt"), edges).unwrap();
    let import = if import.contains("flagged_community") {
        import.to_string()
    } else {
        format!("flagged_community = 2\n{import}")
    };
    let text = format!(
        "name = \"imported\"\nseed = 5\nsteps = 6\nreplicates = 1\n{top}\n[world.import]\n\
         edges = \"edges.txt\"\nlabels = \"labels.txt\"\n{import}\n\
         [surfaces.search]\npolicy = {{ kind = \"popularity\" }}\npool = 10\nslate = 5\n\n\
         [[probes]]\ncount = 2\nstart = \"benign\"\n\n[[arms]]\nname = \"baseline\"\n"
    );
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// Labels and edges of 60 accounts in communities 0, 1, 2 (20 each); `id` maps an account to
/// its id in the files and `eol` ends each line.
fn sixty(id: impl Fn(u64) -> u64, eol: &str) -> (Vec<u8>, Vec<u8>) {
    let mut labels = format!("# account community{eol}");
    let mut edges = format!("# src dst{eol}");
    for a in 0..60u64 {
        labels.push_str(&format!("{} {}{eol}", id(a), a / 20));
        for d in [1, 7, 21] {
            edges.push_str(&format!("{} {}{eol}", id(a), id((a + d) % 60)));
        }
    }
    (labels.into_bytes(), edges.into_bytes())
}

/// `validate` and `run` (both given `args`) refuse `file` with exit 2 and the same single
/// `error: ` line containing every needle, and `run` leaves no results directory; returns the
/// line.
fn refused(file: &Path, needles: &[&str], args: &[&str]) -> String {
    let out = file.parent().unwrap().join("results");
    let f = file.to_str().unwrap();
    let mut validate = vec!["validate", f];
    validate.extend_from_slice(args);
    let mut run = vec!["run", f, "--out", out.to_str().unwrap()];
    run.extend_from_slice(args);
    let lines: Vec<String> = [validate, run]
        .iter()
        .map(|args| refusal(args, needles))
        .collect();
    assert!(!out.exists(), "{} was left behind", out.display());
    assert_eq!(lines[0], lines[1], "validate and run disagree");
    lines[0].clone()
}

/// The single `error: ` line of a child that exits 2, containing every needle.
fn refusal(args: &[&str], needles: &[&str]) -> String {
    let done = driftlab(args, MINUTE);
    let e = &done.stderr;
    assert_eq!(done.code, Some(2), "{args:?}: {e}");
    assert!(
        e.starts_with("error: ") && e.lines().count() == 1,
        "{args:?}: {e}"
    );
    for n in needles {
        assert!(e.contains(n), "{args:?}: no `{n}` in {e}");
    }
    assert!(!e.contains("os error") && !e.contains("panicked"), "{e}");
    done.stderr
}

/// The bytes of a finished run's tables.
fn tables(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("imported/steps.csv")).unwrap(),
        std::fs::read(dir.join("imported/probes.csv")).unwrap(),
    )
}

/// Runs `file` into `<its dir>/results` and returns its tables and the child's peak RSS.
fn ran(file: &Path) -> ((Vec<u8>, Vec<u8>), i64) {
    let out = file.parent().unwrap().join("results");
    let done = driftlab(
        &[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            "2",
        ],
        MINUTE,
    );
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    (tables(&out), done.max_rss_kib)
}

#[test]
fn a_pipe_a_huge_file_and_a_directory_are_refused_before_reading() {
    let (labels, edges) = sixty(|a| a, "\n");
    let (dir, file) = case("special", &labels, &edges, "", "");
    // A pipe nobody writes to: opening it for reading would block.
    let fifo = dir.join("edges.txt");
    std::fs::remove_file(&fifo).unwrap();
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    refused(
        &file,
        &[
            "scenario.toml:7: `world.import.edges`",
            "edges.txt is not a regular file",
        ],
        &[],
    );
    // A sparse file one byte over the limit (no disk space used).
    std::fs::remove_file(&fifo).unwrap();
    let big = std::fs::File::create(&fifo).unwrap();
    big.set_len((1 << 32) + 1).unwrap();
    refused(
        &file,
        &["edges.txt is 4294967297 bytes, larger than the limit of 4294967296 bytes"],
        &[],
    );
    std::fs::remove_file(&fifo).unwrap();
    std::fs::create_dir(&fifo).unwrap();
    refused(&file, &["edges.txt is a directory, not a file"], &[]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validate_estimates_an_import_from_its_counted_lines() {
    let (labels, edges) = sixty(|a| a, "\n");
    let (dir, file) = case("estimate", &labels, &edges, "", "");
    let done = driftlab(&["validate", file.to_str().unwrap()], MINUTE);
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains("60 accounts and ~180 edges per world"),
        "{}",
        done.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_import_that_cannot_fit_in_memory_is_refused_before_loading() {
    // 100,000 accounts of 512 dimensions (~0.6 GB a world) on 1,024 threads and replicates:
    // ~650 GB. Counted as zero accounts, it would start.
    let mut labels = String::new();
    for a in 0..100_000u32 {
        labels.push_str(&format!("{a} {}\n", a % 3));
    }
    let (dir, file) = case(
        "memory",
        labels.as_bytes(),
        b"0 1\n1 2\n2 0\n",
        "\n[world]\ndims = 512\n",
        "",
    );
    let out = dir.join("results");
    let args = [
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1024",
        "--replicates",
        "1024",
    ];
    refusal(
        &args,
        &[
            "needs about",
            "GiB are available; import a smaller graph",
            "100000 accounts and ~3 edges",
        ],
    );
    assert!(!out.exists(), "{} was left behind", out.display());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_flagged_community_set_on_the_command_line_is_blamed_there() {
    let (labels, edges) = sixty(|a| a, "\n");
    let (dir, file) = case("set", &labels, &edges, "", "");
    let line = refused(
        &file,
        &[
            "command line: --set world.import.flagged_community=9",
            "= 9 is not a community of",
            "labels.txt (3 communities: 0, 1, 2)",
        ],
        &["--set", "world.import.flagged_community=9"],
    );
    assert!(!line.contains("scenario.toml:"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn crlf_files_and_sparse_ids_give_the_same_results_as_plain_dense_ones() {
    let (labels, edges) = sixty(|a| a, "\n");
    let (plain_dir, plain) = case("plain", &labels, &edges, "", "");
    let (expected, _) = ran(&plain);
    let (labels, edges) = sixty(|a| a, "\r\n");
    let (crlf_dir, crlf) = case("crlf", &labels, &edges, "", "");
    assert_eq!(ran(&crlf).0, expected, "CRLF files read differently");
    // Ids in ascending order far beyond the line count (and beyond 32 bits): renumbered
    // densely, the same world, and no memory per id.
    let (labels, edges) = sixty(|a| 4_294_967_295 + a * 1_000_000_007_000, "\n");
    let (sparse_dir, sparse) = case("sparse", &labels, &edges, "", "");
    let (tables, rss) = ran(&sparse);
    assert_eq!(tables, expected, "sparse ids give another world");
    assert!(rss < 200 * 1024, "peak RSS {rss} KiB for 60 accounts");
    for d in [plain_dir, crlf_dir, sparse_dir] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn thirty_thousand_single_account_communities_run_in_bounded_memory() {
    // A 338 KB labels file. The parent rule of adjacent communities used a communities x
    // communities table: 7.2 GB here.
    let n = 30_000u32;
    let labels: String = (0..n).map(|i| format!("{i} {i}\n")).collect();
    let edges: String = (0..n)
        .map(|i| format!("{i} {}\n{i} {}\n", (i + 1) % n, (i + 7) % n))
        .collect();
    let (dir, file) = case(
        "30k",
        labels.as_bytes(),
        edges.as_bytes(),
        "",
        "flagged_community = 0\nadjacent_communities = [1]\n",
    );
    let (_, rss) = ran(&file);
    assert!(rss < 1024 * 1024, "peak RSS {rss} KiB");
    let done = driftlab(&["validate", file.to_str().unwrap()], MINUTE);
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains("30000 accounts and ~60000 edges"),
        "{}",
        done.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
