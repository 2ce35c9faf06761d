//! Pointing at the place in a scenario file: byte spans to lines, key paths to spans, and the
//! nearest valid key for a misspelt one.

use toml::de::{DeTable, DeValue};

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, column)
}

/// Splits `a.b[2].c` into key and index segments.
fn segments(path: &str) -> Vec<Result<String, usize>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Ok(rest[..i].to_string()));
            rest = &rest[i..];
            while let Some(s) = rest.strip_prefix('[') {
                let end = s.find(']').unwrap_or(s.len());
                if let Ok(n) = s[..end].parse() {
                    out.push(Err(n));
                }
                rest = s.get(end + 1..).unwrap_or("");
            }
        } else {
            out.push(Ok(rest.to_string()));
        }
    }
    out
}

/// The 1-based line of the key at `path` (or of the deepest enclosing key that exists).
pub(crate) fn line_of(text: &str, path: &str) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = root.get_ref();
    let mut value: Option<&DeValue<'_>> = None;
    let mut span = None;
    for seg in segments(path) {
        match seg {
            Ok(key) => {
                let t = match value {
                    None => table,
                    Some(v) => match v.as_table() {
                        Some(t) => t,
                        None => break,
                    },
                };
                let Some((k, v)) = t.iter().find(|(k, _)| k.get_ref().as_ref() == key) else {
                    break;
                };
                span = Some(k.span());
                table = t;
                value = Some(v.get_ref());
            }
            Err(index) => {
                let Some(item) = value.and_then(|v| v.as_array()).and_then(|a| a.get(index)) else {
                    break;
                };
                span = Some(item.span());
                value = Some(item.get_ref());
            }
        }
    }
    span.map(|s| line_col(text, s.start).0)
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

/// From a serde message such as "unknown field `exploraton`, expected one of `a`, `b`", the
/// unknown word and the expected word nearest to it.
pub(crate) fn suggestion(message: &str) -> Option<(String, String)> {
    let ticked: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (unknown, expected) = ticked.split_first()?;
    if !(message.starts_with("unknown field") || message.starts_with("unknown variant")) {
        return None;
    }
    let best = expected
        .iter()
        .map(|e| (distance(unknown, e), *e))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))?;
    let limit = (unknown.chars().count() / 3).max(2);
    (best.0 <= limit).then(|| (unknown.to_string(), best.1.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_paths() {
        let text = "name = \"x\"\n[world]\naccounts = 3\n[[arms]]\nname = \"a\"\n[[arms]]\nname = \"b\"\nmitigations = [{ kind = \"k\" }]\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_of(text, "world.accounts"), Some(3));
        assert_eq!(line_of(text, "arms[1].name"), Some(7));
        assert_eq!(line_of(text, "arms[1].mitigations[0].kind"), Some(8));
        assert_eq!(line_of(text, "world.missing"), Some(2));
        assert_eq!(line_of(text, "nothing"), None);
    }

    #[test]
    fn nearest_key() {
        let m = "unknown field `exploraton`, expected one of `count`, `exploration`";
        assert_eq!(
            suggestion(m),
            Some(("exploraton".into(), "exploration".into()))
        );
        assert_eq!(
            suggestion("unknown field `zzzzzz`, expected `count` or `exploration`"),
            None
        );
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
