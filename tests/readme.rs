//! The README's figures come from the committed reference results, never from memory.
//!
//! Every table and quoted number of `README.md` that a run produces sits between markers and is
//! regenerated here from the reports committed under `results/reference/` (their `summary.md`
//! tables, formatted by `driftlab report`):
//!
//! ```text
//! <!-- generated table (DRIFTLAB_UPDATE_README=1 cargo test --test readme)
//! from results/reference/quickstart
//! arm <- summary.md | arm
//! probes drifted <- summary.md | probes drifted
//! -->
//! ...the table, one row per row of the first column's source table...
//! <!-- end generated table -->
//!
//! <!-- value results/reference/quickstart/summary.md | suppress_flagged_search | drift reduction vs first arm -->0.2% [-2.3, 2.7]<!-- end value -->
//! ```
//!
//! A column `title <- file | column` takes, for each row, the cell of the first table of `file`
//! that has the column and the row (by its first cell); a value takes one cell, or with a
//! fourth part `estimate` the cell without its interval. The test fails when the README differs
//! from what the references give; `DRIFTLAB_UPDATE_README=1 cargo test --test readme` rewrites
//! it (then re-read the prose around every changed number). `.ci/run` runs it with the suite,
//! and reruns the references themselves (`compare --exact`).
//!
//! A conclusion drawn in prose is pinned by a claim beside it, which renders nothing and fails
//! the test (also when updating) once the references no longer support it:
//!
//! ```text
//! <!-- claim FILE | ROW | COLUMN | interval contains 0 -->   no detectable effect
//! <!-- claim FILE | ROW | COLUMN | interval above 0 -->      a detectable effect
//! <!-- claim FILE | ROW | COLUMN | estimate below 2 -->      (or `estimate above N`)
//! <!-- claim FILE | ROW | COLUMN | overlaps | FILE | ROW | COLUMN -->  not distinguishable
//! <!-- claim FILE | ROW | COLUMN | exceeds | FILE | ROW | COLUMN -->   lower bound above the other's upper
//! ```

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const README: &str = "README.md";
const UPDATE: &str = "DRIFTLAB_UPDATE_README";
const TABLE_OPEN: &str = "<!-- generated table";
const TABLE_CLOSE: &str = "<!-- end generated table -->";
const VALUE_OPEN: &str = "<!-- value ";
const VALUE_CLOSE: &str = "<!-- end value -->";
const CLAIM_OPEN: &str = "<!-- claim ";

/// A markdown table: its header, the alignment cell of each column and its rows.
#[derive(Debug)]
struct Table {
    header: Vec<String>,
    align: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// Every table of a markdown file, in order.
fn tables(text: &str) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < lines.len() {
        let is_rule = |l: &str| {
            l.trim_start().starts_with('|')
                && cells(l)
                    .iter()
                    .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'))
        };
        if lines[i].trim_start().starts_with('|') && is_rule(lines[i + 1]) {
            let mut table = Table {
                header: cells(lines[i]),
                align: cells(lines[i + 1]),
                rows: Vec::new(),
            };
            i += 2;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                table.rows.push(cells(lines[i]));
                i += 1;
            }
            out.push(table);
        } else {
            i += 1;
        }
    }
    out
}

/// The reference reports read so far, by path.
#[derive(Default)]
struct Sources(BTreeMap<PathBuf, Vec<Table>>);

impl Sources {
    fn tables(&mut self, path: &Path) -> Result<&[Table], String> {
        if !self.0.contains_key(path) {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            self.0.insert(path.to_path_buf(), tables(&text));
        }
        Ok(&self.0[path])
    }

    /// The first table of `path` with `column`, with its column index.
    fn table_with(&mut self, path: &Path, column: &str) -> Result<(&Table, usize), String> {
        let tables = self.tables(path)?;
        tables
            .iter()
            .find_map(|t| t.header.iter().position(|h| h == column).map(|c| (t, c)))
            .ok_or_else(|| {
                let known: Vec<&str> = tables
                    .iter()
                    .flat_map(|t| t.header.iter().map(String::as_str))
                    .collect();
                format!(
                    "{} has no table with a column `{column}` (its columns: {})",
                    path.display(),
                    known.join(", ")
                )
            })
    }

    /// The cell of row `row` (by first cell) and `column` in the first table of `path` that
    /// has both.
    fn cell(&mut self, path: &Path, row: &str, column: &str) -> Result<String, String> {
        self.table_with(path, column)?;
        let tables = self.tables(path)?;
        tables
            .iter()
            .find_map(|t| {
                let c = t.header.iter().position(|h| h == column)?;
                let r = t
                    .rows
                    .iter()
                    .find(|r| r.first().map(String::as_str) == Some(row))?;
                r.get(c).cloned()
            })
            .ok_or_else(|| {
                format!(
                    "{} has no row `{row}` with a column `{column}`",
                    path.display()
                )
            })
    }
}

/// `| a | b |` with the cells joined as the reports write them.
fn row_line(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// The table of a `generated table` block from its spec (the lines inside the opening comment).
fn render_table(spec: &str, sources: &mut Sources) -> Result<String, String> {
    let mut base = PathBuf::new();
    let mut columns: Vec<(String, PathBuf, String)> = Vec::new();
    for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(dir) = line.strip_prefix("from ") {
            base = PathBuf::from(dir.trim());
        } else if let Some((title, source)) = line.split_once(" <- ") {
            let (file, column) = source
                .split_once(" | ")
                .ok_or_else(|| format!("column `{line}`: expected `title <- file | column`"))?;
            columns.push((
                title.trim().into(),
                base.join(file.trim()),
                column.trim().into(),
            ));
        } else {
            return Err(format!(
                "table spec line `{line}`: expected `from DIR` or `title <- file | column`"
            ));
        }
    }
    let (first_title, first_file, first_column) = columns
        .first()
        .cloned()
        .ok_or("a generated table needs at least one column")?;
    let (table, c) = sources.table_with(&first_file, &first_column)?;
    let keys: Vec<String> = table.rows.iter().map(|r| r[c].clone()).collect();
    let mut align = vec![table.align[c].clone()];
    for (_, file, column) in &columns[1..] {
        let (t, c) = sources.table_with(file, column)?;
        align.push(t.align[c].clone());
    }
    let mut out = vec![
        row_line(
            &std::iter::once(first_title)
                .chain(columns[1..].iter().map(|(t, _, _)| t.clone()))
                .collect::<Vec<_>>(),
        ),
        format!("|{}|", align.join("|")),
    ];
    for key in &keys {
        let mut row = vec![key.clone()];
        for (_, file, column) in &columns[1..] {
            row.push(sources.cell(file, key, column)?);
        }
        out.push(row_line(&row));
    }
    Ok(out.join("\n"))
}

/// The text of a `value` marker from its spec `file | row | column [| estimate]`.
fn render_value(spec: &str, sources: &mut Sources) -> Result<String, String> {
    let parts: Vec<&str> = spec.split(" | ").map(str::trim).collect();
    let (file, row, column, part) = match parts[..] {
        [f, r, c] => (f, r, c, None),
        [f, r, c, p] => (f, r, c, Some(p)),
        _ => {
            return Err(format!(
                "value `{spec}`: expected `file | row | column [| estimate]`"
            ))
        }
    };
    let cell = sources.cell(Path::new(file), row, column)?;
    match part {
        None => Ok(cell),
        Some("estimate") => Ok(cell.split(" [").next().unwrap_or_default().to_string()),
        Some(other) => Err(format!(
            "value `{spec}`: unknown part `{other}` (known: estimate)"
        )),
    }
}

/// A cell as numbers: its estimate and, when it has one, its interval (`75.5% [64.9, 83.8]`,
/// `> 100`, `0.2392`, `< 0.0001`).
fn numbers(cell: &str) -> Result<(f64, Option<(f64, f64)>), String> {
    let num = |t: &str| {
        t.trim()
            .trim_start_matches(['<', '>'])
            .trim()
            .trim_end_matches('%')
            .parse::<f64>()
            .map_err(|_| format!("`{cell}` is not a number with an optional [lower, upper]"))
    };
    match cell.split_once(" [") {
        None => Ok((num(cell)?, None)),
        Some((estimate, interval)) => {
            let (lower, upper) = interval
                .trim_end_matches(']')
                .split_once(',')
                .ok_or_else(|| format!("`{cell}`: the interval is not [lower, upper]"))?;
            Ok((num(estimate)?, Some((num(lower)?, num(upper)?))))
        }
    }
}

/// Checks a `claim` marker's spec against the references: `Err` says why it does not hold.
fn check_claim(spec: &str, sources: &mut Sources) -> Result<(), String> {
    let parts: Vec<&str> = spec.split(" | ").map(str::trim).collect();
    if parts.len() < 4 {
        return Err(format!(
            "claim `{spec}`: expected `file | row | column | predicate`"
        ));
    }
    let cell = sources.cell(Path::new(parts[0]), parts[1], parts[2])?;
    let (estimate, _) = numbers(&cell)?;
    let interval_of = |cell: &str| {
        numbers(cell)?
            .1
            .ok_or_else(|| format!("`{cell}` has no interval"))
    };
    let other = |sources: &mut Sources| -> Result<String, String> {
        match parts[4..] {
            [f, r, c] => sources.cell(Path::new(f), r, c),
            _ => Err(format!(
                "claim `{spec}`: expected `... | {} | file | row | column`",
                parts[3]
            )),
        }
    };
    let words: Vec<&str> = parts[3].split_whitespace().collect();
    let holds = match words[..] {
        ["interval", "contains", "0"] => {
            let (l, u) = interval_of(&cell)?;
            l <= 0.0 && 0.0 <= u
        }
        ["interval", "above", "0"] => interval_of(&cell)?.0 > 0.0,
        ["estimate", "below", n] | ["estimate", "above", n] => {
            let n: f64 = n.parse().map_err(|_| format!("claim `{spec}`: `{n}` is not a number"))?;
            if words[1] == "below" { estimate < n } else { estimate > n }
        }
        ["overlaps"] => {
            let b = other(sources)?;
            let ((l1, u1), (l2, u2)) = (interval_of(&cell)?, interval_of(&b)?);
            l1 <= u2 && l2 <= u1
        }
        ["exceeds"] => {
            let b = other(sources)?;
            interval_of(&cell)?.0 > interval_of(&b)?.1
        }
        _ => {
            return Err(format!(
                "claim `{spec}`: unknown predicate `{}` (known: interval contains 0, interval above 0, estimate below N, estimate above N, overlaps, exceeds)",
                parts[3]
            ))
        }
    };
    if holds {
        Ok(())
    } else {
        Err(format!(
            "the claim `{spec}` no longer holds (the cell is `{cell}`): rewrite the prose it pins"
        ))
    }
}

/// The README with every generated part regenerated; errors name the marker's line.
fn regenerate(readme: &str, sources: &mut Sources) -> Result<String, String> {
    let line_of = |pos: usize| readme[..pos].lines().count() + 1;
    for (pos, _) in readme.match_indices(CLAIM_OPEN) {
        let end = readme[pos..]
            .find("-->")
            .ok_or_else(|| format!("{README}:{}: claim never closed with -->", line_of(pos)))?;
        check_claim(&readme[pos + CLAIM_OPEN.len()..pos + end], sources)
            .map_err(|e| format!("{README}:{}: {e}", line_of(pos)))?;
    }
    let mut out = String::with_capacity(readme.len());
    let mut rest = 0;
    loop {
        let next_table = readme[rest..].find(TABLE_OPEN).map(|p| p + rest);
        let next_value = readme[rest..].find(VALUE_OPEN).map(|p| p + rest);
        let (start, is_table) = match (next_table, next_value) {
            (Some(t), Some(v)) if t < v => (t, true),
            (Some(t), None) => (t, true),
            (_, Some(v)) => (v, false),
            (None, None) => break,
        };
        let at = |e: String| format!("{README}:{}: {e}", line_of(start));
        let open_end = readme[start..]
            .find("-->")
            .map(|p| p + start)
            .ok_or_else(|| at("marker never closed with -->".into()))?;
        let (close, open) = if is_table {
            (TABLE_CLOSE, TABLE_OPEN)
        } else {
            (VALUE_CLOSE, VALUE_OPEN)
        };
        let body_start = open_end + 3;
        let body_end = readme[body_start..]
            .find(close)
            .map(|p| p + body_start)
            .ok_or_else(|| at(format!("no `{close}` after this marker")))?;
        let spec = &readme[start + open.len()..open_end];
        out.push_str(&readme[rest..body_start]);
        if is_table {
            // The spec starts after the marker's first line (its how-to-update note).
            let spec = spec.split_once('\n').map_or("", |(_, s)| s);
            out.push('\n');
            out.push_str(&render_table(spec, sources).map_err(at)?);
            out.push('\n');
        } else {
            out.push_str(&render_value(spec.trim(), sources).map_err(at)?);
        }
        out.push_str(close);
        rest = body_end + close.len();
    }
    out.push_str(&readme[rest..]);
    Ok(out)
}

#[test]
fn the_readme_quotes_the_committed_reference_results() {
    let readme = std::fs::read_to_string(README).unwrap();
    let regenerated = match regenerate(&readme, &mut Sources::default()) {
        Ok(text) => text,
        Err(e) => panic!("{e}"),
    };
    assert!(
        readme.matches(TABLE_OPEN).count() >= 2 && readme.matches(VALUE_OPEN).count() >= 5,
        "the README's generated parts are gone"
    );
    if regenerated == readme {
        return;
    }
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(README, &regenerated).unwrap();
        return;
    }
    let first = readme
        .lines()
        .zip(regenerated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(0);
    let show = |text: &str| {
        text.lines()
            .skip(first)
            .take(6)
            .collect::<Vec<_>>()
            .join("\n")
    };
    panic!(
        "README.md differs from the committed reference results from line {}:\n--- README.md\n{}\n--- from results/reference/\n{}\n\nRegenerate with `{UPDATE}=1 cargo test --test readme`, then re-read the prose around every changed number.",
        first + 1,
        show(&readme),
        show(&regenerated)
    );
}

#[cfg(test)]
mod generator {
    use super::*;

    const REPORT: &str = "| arm | probes drifted | p |\n|---|---:|:---:|\n| a | 1.0% [0.5, 1.5] | yes |\n| b | 3.0% [2.0, 4.0] |  |\n";

    fn sources(dir: &Path) -> Sources {
        let _ = std::fs::create_dir_all(dir);
        std::fs::write(dir.join("summary.md"), REPORT).unwrap();
        Sources::default()
    }

    #[test]
    fn tables_and_values_are_regenerated_and_stale_ones_detected() {
        let dir = std::env::temp_dir().join(format!("driftlab-readme-{}", std::process::id()));
        let mut src = sources(&dir);
        let d = dir.display();
        let readme = format!(
            "x\n{TABLE_OPEN} (note)\nfrom {d}\narm <- summary.md | arm\ndrifted <- summary.md | probes drifted\nPareto <- summary.md | p\n-->\nstale\n{TABLE_CLOSE}\nb drifts {VALUE_OPEN}{d}/summary.md | b | probes drifted | estimate -->9%{VALUE_CLOSE}.\n"
        );
        let out = regenerate(&readme, &mut src).unwrap();
        assert!(out.contains("-->\n| arm | drifted | Pareto |\n|---|---:|:---:|\n| a | 1.0% [0.5, 1.5] | yes |\n| b | 3.0% [2.0, 4.0] |  |\n<!-- end generated table -->"), "{out}");
        assert!(
            out.contains("b drifts <!-- value ") && out.contains("-->3.0%<!-- end value -->."),
            "{out}"
        );
        assert_ne!(out, readme, "a stale part must be seen as differing");
        assert_eq!(
            regenerate(&out, &mut src).unwrap(),
            out,
            "regenerating is idempotent"
        );
        let missing = format!("{VALUE_OPEN}{d}/summary.md | c | probes drifted -->1%{VALUE_CLOSE}");
        let err = regenerate(&missing, &mut src).unwrap_err();
        assert!(
            err.contains("README.md:1:") && err.contains("no row `c`"),
            "{err}"
        );
        let claim = |c: &str| format!("{CLAIM_OPEN}{d}/summary.md | {c} -->");
        for holds in [
            "a | probes drifted | interval above 0",
            "a | probes drifted | estimate below 2",
            "b | probes drifted | estimate above 2",
            "b | probes drifted | exceeds | {d}/summary.md | a | probes drifted",
            "a | probes drifted | overlaps | {d}/summary.md | a | probes drifted",
        ] {
            let text = claim(&holds.replace("{d}", &d.to_string()));
            assert_eq!(regenerate(&text, &mut src).unwrap(), text, "{holds}");
        }
        for fails in [
            "a | probes drifted | interval contains 0",
            "a | probes drifted | estimate above 2",
            "a | probes drifted | exceeds | {d}/summary.md | b | probes drifted",
            "a | probes drifted | overlaps | {d}/summary.md | b | probes drifted",
            "a | probes drifted | is large",
        ] {
            let err =
                regenerate(&claim(&fails.replace("{d}", &d.to_string())), &mut src).unwrap_err();
            assert!(err.starts_with("README.md:1: "), "{fails}: {err}");
        }
        let unclosed = format!("{VALUE_OPEN}{d}/summary.md | a | p -->yes");
        assert!(regenerate(&unclosed, &mut src)
            .unwrap_err()
            .contains("no `<!-- end value -->`"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The local targets of the markdown links `](target)` of a text (no web addresses, no anchors).
fn local_links(text: &str) -> Vec<&str> {
    text.match_indices("](")
        .filter_map(|(i, _)| {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')')?];
            let target = target.split('#').next().unwrap_or_default();
            (!target.is_empty() && !target.contains("://") && !target.contains(' '))
                .then_some(target)
        })
        .collect()
}

#[test]
fn every_link_of_the_readme_and_the_reference_reports_resolves() {
    let mut files = vec![PathBuf::from(README), PathBuf::from("benches/README.md")];
    files.extend(common::files_with_extension(
        Path::new("results/reference"),
        "md",
    ));
    assert!(files.len() > 5, "{files:?}");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let dir = file.parent().unwrap_or(Path::new("."));
        for target in local_links(&text) {
            if !dir.join(target).exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to files that are not committed (commit them or link only what is):\n{}",
        broken.join("\n")
    );
    assert_eq!(
        local_links("[a](x.png) [b](https://e.org/y) [c](z.md#s)"),
        ["x.png", "z.md"]
    );
}
