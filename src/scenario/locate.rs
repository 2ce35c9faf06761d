//! Pointing at the place in a scenario file: byte offsets to lines and columns, key paths to
//! the keys written in the file, and the nearest valid key for a misspelt one.

use toml::de::{DeTable, DeValue};

/// 1-based line and column (in characters) of a byte offset; never panics, whatever the offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// One step of a key path.
#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` (or `sweep."world.accounts"`) into key and index segments.
fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push(Segment::Key(quoted[..end].to_string()));
            rest = quoted.get(end + 1..).unwrap_or("");
        } else if let Some(index) = rest.strip_prefix('[') {
            let end = index.find(']').unwrap_or(index.len());
            if let Ok(n) = index[..end].parse() {
                out.push(Segment::Index(n));
            }
            rest = index.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            out.push(Segment::Key(rest[..end].to_string()));
            rest = &rest[end..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    out
}

/// The value at `path` (or at the deepest prefix of it written in the file) and the byte offset
/// of its key (or array element); `None` when not even the first segment is in the file.
fn deepest<'a, 'i>(root: &'a DeTable<'i>, path: &str) -> Option<(&'a DeValue<'i>, usize)> {
    let mut found: Option<(&DeValue<'_>, usize)> = None;
    for segment in segments(path) {
        let next = match (&segment, found) {
            (Segment::Key(key), None) => find_key(root, key),
            (Segment::Key(key), Some((value, _))) => {
                value.as_table().and_then(|t| find_key(t, key))
            }
            (Segment::Index(i), Some((value, _))) => value
                .as_array()
                .and_then(|a| a.get(*i))
                .map(|item| (item.get_ref(), item.span().start)),
            (Segment::Index(_), None) => None,
        };
        match next {
            Some(n) => found = Some(n),
            None => break,
        }
    }
    found
}

/// The value at exactly `path`, if it is written in the file.
fn value_at<'a, 'i>(root: &'a DeTable<'i>, path: &str) -> Option<&'a DeValue<'i>> {
    let mut segments = segments(path).into_iter();
    let Segment::Key(first) = segments.next()? else {
        return None;
    };
    let mut value = find_key(root, &first)?.0;
    for segment in segments {
        value = match segment {
            Segment::Key(key) => find_key(value.as_table()?, &key)?.0,
            Segment::Index(i) => value.as_array()?.get(i)?.get_ref(),
        };
    }
    Some(value)
}

/// `f` of the value written at exactly `path`, if there is one.
pub(crate) fn with_value_at<R>(
    text: &str,
    path: &str,
    f: impl FnOnce(&DeValue<'_>) -> R,
) -> Option<R> {
    let root = DeTable::parse(text).ok()?;
    value_at(root.get_ref(), path).map(f)
}

fn find_key<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<(&'a DeValue<'i>, usize)> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, v)| (v.get_ref(), k.span().start))
}

/// The 1-based line of the key at `path`, or of the deepest enclosing key written in the file;
/// `None` when the key is absent from the file altogether (a default).
pub(crate) fn line_of(text: &str, path: &str) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    deepest(root.get_ref(), path).map(|(_, offset)| line_col(text, offset).0)
}

/// The first key named `name` (holding the string `value`, if given) written anywhere inside the
/// value at `path`, e.g. an unknown key inside an inline policy table, which serde reports only
/// at the table: its path relative to `path` and its 1-based line and column.
pub(crate) fn key_inside(
    text: &str,
    path: &str,
    name: &str,
    value: Option<&str>,
) -> Option<(String, usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let (at, _) = deepest(root.get_ref(), path)?;
    let (relative, offset) = search(at, name, value)?;
    let (line, column) = line_col(text, offset);
    Some((relative, line, column))
}

/// Depth-first search for a key named `name` (holding the string `wanted`, if given); the match
/// earliest in the file wins.
fn search(value: &DeValue<'_>, name: &str, wanted: Option<&str>) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    let mut consider = |candidate: Option<(String, usize)>| {
        if let Some(c) = candidate {
            if best.as_ref().is_none_or(|b| c.1 < b.1) {
                best = Some(c);
            }
        }
    };
    if let Some(table) = value.as_table() {
        for (k, v) in table.iter() {
            let key = k.get_ref().as_ref();
            if key == name && wanted.is_none_or(|w| v.get_ref().as_str() == Some(w)) {
                consider(Some((key.to_string(), k.span().start)));
            }
            consider(search(v.get_ref(), name, wanted).map(|(p, o)| (join(key, &p), o)));
        }
    } else if let Some(array) = value.as_array() {
        for (i, item) in array.iter().enumerate() {
            consider(
                search(item.get_ref(), name, wanted).map(|(p, o)| (format!("[{i}]{}", dot(&p)), o)),
            );
        }
    }
    best
}

fn dot(path: &str) -> String {
    if path.starts_with('[') {
        path.to_string()
    } else {
        format!(".{path}")
    }
}

fn join(key: &str, rest: &str) -> String {
    format!("{key}{}", dot(rest))
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The word of `candidates` nearest to `word`, if it is near enough to be a likely misspelling
/// (edit distance at most a third of the word's length, and at least 2 allowed).
pub(crate) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let (d, best) = candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))?;
    (d <= (word.chars().count() / 3).max(2)).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n[world]\naccounts = 3\n[[arms]]\nname = \"a\"\n[[arms]]\nname = \"b\"\nmitigations = [{ kind = \"k\" }]\n[surfaces.feed]\npolicy = { kind = \"hybrid\", components = [\n  { weight = 1, policy = { kind = \"co_follow\", sampels = 3 } },\n] }\n[sweep]\n\"world.accounts\" = [1, 2]\n";

    #[test]
    fn lines_and_columns() {
        assert_eq!(line_col(TEXT, 0), (1, 1));
        assert_eq!(line_col(TEXT, 13), (2, 3));
        assert_eq!(line_col("é = 1", 1), (1, 1)); // inside a character: no panic
        assert_eq!(line_col("é = 1", 2), (1, 2)); // columns count characters
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn key_paths_find_their_lines() {
        assert_eq!(line_of(TEXT, "world.accounts"), Some(3));
        assert_eq!(line_of(TEXT, "arms[1].name"), Some(7));
        assert_eq!(line_of(TEXT, "arms[1].mitigations[0].kind"), Some(8));
        assert_eq!(line_of(TEXT, "world.missing"), Some(2));
        assert_eq!(line_of(TEXT, "sweep.\"world.accounts\""), Some(14));
        assert_eq!(line_of(TEXT, "nothing"), None);
        assert_eq!(line_of("not = [toml", "not"), None);
    }

    #[test]
    fn values_are_found_at_exact_paths() {
        let text = "a = 1979-05-27\n[t]\nb = [1, 07:32:00]\nc = \"1979-05-27\"\n";
        let kind = |path: &str| with_value_at(text, path, |v| v.type_str());
        assert_eq!(kind("a"), Some("datetime"));
        assert_eq!(kind("t.b[1]"), Some("datetime"));
        assert_eq!(kind("t.b[0]"), Some("integer"));
        assert_eq!(kind("t.c"), Some("string"));
        assert_eq!(kind("t.missing"), None);
        assert_eq!(kind("t.b[7]"), None);
    }

    #[test]
    fn keys_inside_inline_tables_are_found() {
        assert_eq!(
            key_inside(TEXT, "surfaces.feed.policy", "sampels", None),
            Some(("components[0].policy.sampels".into(), 11, 48))
        );
        assert_eq!(
            key_inside(TEXT, "surfaces.feed.policy", "kind", Some("co_follow")),
            Some(("components[0].policy.kind".into(), 11, 28))
        );
        assert_eq!(
            key_inside(TEXT, "surfaces.feed.policy", "absent", None),
            None
        );
    }

    #[test]
    fn nearest_word() {
        let expected = ["count", "exploration"];
        assert_eq!(nearest("exploraton", &expected), Some("exploration"));
        assert_eq!(nearest("zzzzzz", &expected), None);
        assert_eq!(nearest("x", &[]), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
