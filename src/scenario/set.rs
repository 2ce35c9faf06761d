//! `--set KEY=VALUE` overrides: assignments applied to the scenario written back as a TOML
//! table with every default filled in, then deserialised and validated again, so an override
//! is checked exactly like a value written in the file and can change one default without
//! restating its whole table.
//!
//! Keys are dotted paths with optional array indices (`world.accounts`,
//! `arms[1].name`, `surfaces.feed.policy.kind`); values are TOML (`50000`, `0.5`, `true`,
//! `"text"`, `[1, 2]`, `{ kind = "random" }`), and a bare word that is not valid TOML is taken
//! as a string (`--set name=sweep-1`). Missing tables are created.

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

/// Applies every `KEY=VALUE` assignment, in order, to `table`.
pub fn apply_sets(table: &mut Table, sets: &[String]) -> Result<(), SetError> {
    let mut root = Value::Table(std::mem::take(table));
    let mut result = Ok(());
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
                assign(&mut root, &path, parse_value(v.trim())).map_err(err)
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
