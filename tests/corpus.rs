//! The committed corpus of malformed and hostile inputs (`tests/corpus/`), driven through the
//! binary. Every `*.toml` below `tests/corpus/` is one case, given to both `driftlab validate`
//! and `driftlab run`; each must exit 2 with exactly one line on stderr that starts `error: `,
//! names the file, contains every `# expect: TEXT` of the case, and leaves nothing in the results
//! directory. Import cases keep their data files beside the scenario (relative paths). No
//! message may name a Rust type or use serde's words for one ([`rust_words`]).
//!
//! An import case is a directory, `<case>/scenario.toml` beside its data files, and its first
//! `# expect:` is the `FILE:LINE:` the refusal must name: a data file's line (a malformed edge,
//! an unknown account) or the scenario's (a missing or unusable path, an absent flagged
//! community). For such a case "names the file" means naming that file inside the case's
//! directory, `<case>/FILE:LINE:`, as the path the scenario resolves.

use driftlab::scenario::rust_words;
mod common;

use std::path::Path;
use std::process::Command;

/// The `# expect: TEXT` lines of a case (read as bytes: a case may be invalid UTF-8).
fn expectations(case: &Path) -> Vec<String> {
    let bytes = std::fs::read(case).unwrap();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|s| s.trim().to_string())
        .collect()
}

/// What a case's refusal must name: its file name, or for an import case (a directory holding
/// `scenario.toml`) `<case>/` followed by its first expectation, the `FILE:LINE:` to blame.
fn named(case: &Path) -> String {
    let file = case.file_name().unwrap().to_str().unwrap();
    if file != "scenario.toml" {
        return file.to_string();
    }
    let dir = case
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let first = expectations(case).into_iter().next().unwrap_or_default();
    let blamed = first
        .strip_suffix(':')
        .and_then(|f| f.rsplit_once(':'))
        .is_some_and(|(file, line)| !file.is_empty() && line.parse::<usize>().is_ok_and(|l| l > 0));
    assert!(
        blamed,
        "{}: an import case's first `# expect:` is the FILE:LINE: it blames, not `{first}`",
        case.display()
    );
    format!("{dir}/{first}")
}

fn check(case: &Path, command: &str, out_dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(out_dir);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftlab"));
    cmd.arg(command).arg(case);
    if command == "run" {
        cmd.args(["--threads", "1", "--out"]).arg(out_dir);
    }
    let out = cmd.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let name = named(case);
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit {:?}, want 2", out.status.code()));
    }
    if stderr.lines().count() != 1 || !stderr.starts_with("error: ") {
        problems.push("stderr is not one `error: ` line".to_string());
    }
    if !stderr.contains(&name) {
        problems.push(format!("stderr does not name {name}"));
    }
    for needle in expectations(case) {
        if !stderr.contains(&needle) {
            problems.push(format!("stderr lacks `{needle}`"));
        }
    }
    if stderr.trim_end().chars().count() > 500 || stderr.contains("[...]") {
        problems.push("stderr is not short: a hostile key or value is echoed at length".into());
    }
    let without_name = stderr.replace(&case.display().to_string(), "");
    let words = rust_words(&without_name);
    if !words.is_empty() {
        problems.push(format!("stderr speaks Rust: {words:?}"));
    }
    if stderr.contains("panicked") || stderr.contains("os error") {
        problems.push("stderr shows a panic or an OS error code".to_string());
    }
    if out_dir.exists() && std::fs::read_dir(out_dir).unwrap().next().is_some() {
        problems.push(format!("{} was left behind", out_dir.display()));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} ({command}): {}\n  stderr: {}",
            case.display(),
            problems.join("; "),
            stderr.trim_end()
        ))
    }
}

#[test]
fn every_malformed_input_is_refused_in_one_line_and_leaves_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let all = common::files_with_extension(&root, "toml");
    assert!(all.len() >= 65, "the corpus shrank to {} cases", all.len());
    let imports = all.iter().filter(|c| c.ends_with("scenario.toml")).count();
    assert!(imports >= 12, "the import corpus shrank to {imports} cases");
    let out_dir = std::env::temp_dir().join(format!("driftlab-corpus-{}", std::process::id()));
    let mut failures = Vec::new();
    for case in &all {
        for command in ["validate", "run"] {
            if let Err(e) = check(case, command, &out_dir) {
                failures.push(e);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(
        failures.is_empty(),
        "{} of {} corpus checks failed:\n{}",
        failures.len(),
        2 * all.len(),
        failures.join("\n")
    );
}
