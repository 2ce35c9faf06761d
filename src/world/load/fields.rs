//! The fields of a data line: two ids (`src dst` or `account community`), and how a field is
//! quoted in a message.

/// What an edge list is called in messages.
pub(super) const EDGES: &str = "edge list (one `src dst` pair of account ids a line)";
/// What a labels file is called in messages.
pub(super) const LABELS: &str = "labels file (one `account community` pair a line)";

/// A field of a line as shown in a message: control characters escaped, at most 32 characters.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(32).flat_map(char::escape_debug).collect();
    if s.chars().nth(32).is_some() {
        out.push_str("...");
    }
    out
}

/// A field read as an id (an account id or a community label, `name`).
fn id(field: &str, name: &str) -> Result<u64, String> {
    field.parse::<u64>().map_err(|_| {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let f = shown(field);
        if field.strip_prefix('-').is_some_and(digits) {
            format!(
                "the {name} `{f}` is negative; ids and labels are integers 0 ..= {}",
                u64::MAX
            )
        } else if digits(field.strip_prefix('+').unwrap_or(field)) {
            format!(
                "the {name} `{f}` is larger than {}, the largest id or label an import takes",
                u64::MAX
            )
        } else {
            format!(
                "the {name} `{f}` is not an integer; ids and labels are integers 0 ..= {}",
                u64::MAX
            )
        }
    })
}

/// The first two fields of a data line as ids; `names` says what they are and `form` how the
/// line should look.
fn two_ids(text: &str, names: [&str; 2], form: &str) -> Result<(u64, u64), String> {
    let mut fields = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|f| !f.is_empty());
    let mut out = [0u64; 2];
    for (slot, name) in out.iter_mut().zip(names) {
        let field = fields.next().ok_or_else(|| {
            format!(
                "expected two integers `{form}`, found `{}`; separate them with spaces, tabs or \
                 a comma (`#` or `%` starts a comment line)",
                shown(text)
            )
        })?;
        *slot = id(field, name)?;
    }
    Ok((out[0], out[1]))
}

/// A labels line: account id and community label.
pub(super) fn label_line(text: &str) -> Result<(u64, u64), String> {
    two_ids(text, ["account id", "community label"], "account community")
}

/// An edge line: source and target account ids.
pub(super) fn edge_line(text: &str) -> Result<(u64, u64), String> {
    two_ids(text, ["source account id", "target account id"], "src dst")
}
