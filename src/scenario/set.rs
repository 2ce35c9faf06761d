//! `--set KEY=VALUE` overrides: assignments applied to the scenario written back as a TOML
//! table with every default filled in, then deserialised and validated again, so an override
//! is checked exactly like a value written in the file and can change one default without
//! restating its whole table.
//!
//! Keys are dotted paths with optional array indices (`world.accounts`,
//! `arms[1].name`, `surfaces.feed.policy.kind`); values are TOML (`50000`, `0.5`, `true`,
//! `"text"`, `[1, 2]`, `{ kind = "random" }`), and a bare word that is not valid TOML is taken
//! as a string (`--set name=sweep-1`). Missing tables are created.
//!
//! Changing a table's `kind` (`--set surfaces.feed.policy.kind=random`) drops the old kind's
//! parameters from that table: only the parameters given by earlier `--set`s are kept, so
//! `--set policy.kind=co_follow --set policy.samples=5` and the reverse order both work.

use toml::{Table, Value};

/// A malformed `--set` assignment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--set {assignment}: {message}")]
pub struct SetError {
    /// The assignment as given.
    pub assignment: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("`{part}` is not a key"));
        }
        out.push(Segment::Key(key.to_string()));
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in `{part}`"))?;
            let index = stripped[..end]
                .parse()
                .map_err(|_| format!("`{}` is not an index", &stripped[..end]))?;
            out.push(Segment::Index(index));
            rest = &stripped[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected `{rest}` in `{part}`"));
        }
    }
    Ok(out)
}

fn parse_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    match doc.parse::<Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

fn assign(target: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *target = value;
        return Ok(());
    };
    match first {
        Segment::Key(k) => {
            let table = target
                .as_table_mut()
                .ok_or_else(|| format!("`{k}` is inside a value that is not a table"))?;
            let slot = table
                .entry(k.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            assign(slot, rest, value)
        }
        Segment::Index(i) => {
            let array = target
                .as_array_mut()
                .ok_or_else(|| format!("[{i}] applied to a value that is not an array"))?;
            let len = array.len();
            let slot = array.get_mut(*i).ok_or_else(|| {
                format!("index {i} is out of range (the array has {len} entries)")
            })?;
            assign(slot, rest, value)
        }
    }
}

fn lookup_mut<'a>(target: &'a mut Value, path: &[Segment]) -> Option<&'a mut Value> {
    path.iter().try_fold(target, |v, s| match s {
        Segment::Key(k) => v.as_table_mut()?.get_mut(k),
        Segment::Index(i) => v.as_array_mut()?.get_mut(*i),
    })
}

/// Before `path` (ending in `kind`) is set to `value`: when the table holding it has another
/// kind, drops its keys but `kind` and those set by an earlier assignment (`earlier`).
fn drop_old_kind_params(
    root: &mut Value,
    path: &[Segment],
    value: &Value,
    earlier: &[Vec<Segment>],
) {
    let Some((Segment::Key(last), parent)) = path.split_last() else {
        return;
    };
    if last != "kind" {
        return;
    }
    let Some(table) = lookup_mut(root, parent).and_then(Value::as_table_mut) else {
        return;
    };
    match table.get("kind") {
        Some(old) if old != value => {}
        _ => return,
    }
    table.retain(|key, _| {
        key == "kind"
            || earlier.iter().any(|p| {
                p.len() > parent.len()
                    && p[..parent.len()] == *parent
                    && matches!(&p[parent.len()], Segment::Key(k) if k == key)
            })
    });
}

/// Applies every `KEY=VALUE` assignment, in order, to `table`.
pub fn apply_sets(table: &mut Table, sets: &[String]) -> Result<(), SetError> {
    let mut root = Value::Table(std::mem::take(table));
    let mut result = Ok(());
    let mut earlier: Vec<Vec<Segment>> = Vec::new();
    for set in sets {
        let err = |message: String| SetError {
            assignment: set.clone(),
            message,
        };
        let applied = set
            .split_once('=')
            .ok_or_else(|| err("expected KEY=VALUE".into()))
            .and_then(|(k, v)| {
                let path = parse_path(k.trim()).map_err(err)?;
                let value = parse_value(v.trim());
                drop_old_kind_params(&mut root, &path, &value, &earlier);
                assign(&mut root, &path, value).map_err(err)?;
                earlier.push(path);
                Ok(())
            });
        if let Err(e) = applied {
            result = Err(e);
            break;
        }
    }
    if let Value::Table(t) = root {
        *table = t;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(doc: &str, sets: &[&str]) -> Result<Table, SetError> {
        let mut t: Table = doc.parse().unwrap();
        apply_sets(
            &mut t,
            &sets.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )?;
        Ok(t)
    }

    #[test]
    fn sets_nested_values_and_creates_tables() {
        let t = applied(
            "[world]\naccounts = 10\n[[arms]]\nname = \"a\"\n",
            &[
                "world.accounts=50000",
                "arms[0].name=b",
                "moderation.recall=0.5",
                "world.graph.benign = { within = 0.5, to_adjacent = 0.0, to_flagged = 0.1 }",
            ],
        )
        .unwrap();
        assert_eq!(t["world"]["accounts"].as_integer(), Some(50000));
        assert_eq!(t["arms"][0]["name"].as_str(), Some("b"));
        assert_eq!(t["moderation"]["recall"].as_float(), Some(0.5));
        assert_eq!(
            t["world"]["graph"]["benign"]["within"].as_float(),
            Some(0.5)
        );
    }

    #[test]
    fn changing_a_kind_drops_the_old_kinds_parameters() {
        let doc = "[p]\nkind = \"co_follow\"\nsamples = 5\nsegments = 2\n";
        let t = applied(doc, &["p.kind=random"]).unwrap();
        assert_eq!(t["p"].as_table().unwrap().len(), 1);
        assert_eq!(t["p"]["kind"].as_str(), Some("random"));
        // Parameters set before or after the kind are kept.
        let t = applied(doc, &["p.kind=hybrid", "p.weight=0.5"]).unwrap();
        assert_eq!(t["p"].as_table().unwrap().len(), 2);
        let t = applied(doc, &["p.samples=7", "p.kind=embedding"]).unwrap();
        assert_eq!(t["p"]["samples"].as_integer(), Some(7));
        assert!(t["p"].get("segments").is_none());
        // The same kind keeps its parameters.
        let t = applied(doc, &["p.kind=co_follow"]).unwrap();
        assert_eq!(t["p"]["segments"].as_integer(), Some(2));
    }

    #[test]
    fn malformed_assignments_are_explained() {
        assert!(applied("", &["world.accounts"])
            .unwrap_err()
            .message
            .contains("KEY=VALUE"));
        assert!(applied("[[arms]]\nname=\"a\"\n", &["arms[3].name=x"])
            .unwrap_err()
            .message
            .contains("out of range"));
        assert!(applied("", &["a..b=1"]).is_err());
        assert!(applied("x = 1\n", &["x.y=1"])
            .unwrap_err()
            .message
            .contains("not a table"));
    }
}
