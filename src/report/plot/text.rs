//! Fitting text into a width: wrapping into lines (legends, labels under bars and categories)
//! and, where a single line is all there is room for, shortening with an ellipsis.

use super::output::err;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Width of `s` in pixels.
pub(super) fn width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'_>,
) -> Result<i32, String> {
    Ok(root.estimate_text_size(s, style).map_err(err)?.0 as i32)
}

/// Text shortened with an ellipsis to fit `max_w` pixels.
pub(super) fn fit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'_>,
    max_w: i32,
) -> Result<String, String> {
    if width(root, s, style)? <= max_w {
        return Ok(s.to_string());
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let t: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if width(root, &t, style)? <= max_w {
            return Ok(t);
        }
    }
    Ok("…".into())
}

/// `word` cut into pieces that end where a long word may break: after `-`, `_`, `/`, `,`,
/// `=`, `(`, and after a `.` not followed by a digit (so "world.flagged_fraction=0.005" breaks
/// after "world." but not inside "0.005").
fn pieces(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        cur.push(ch);
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if matches!(ch, '-' | '_' | '/' | ',' | '=' | '(') || (ch == '.' && !next_digit) {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `s` wrapped into lines of at most `max_w` pixels: at spaces where possible; a word wider
/// than a line breaks where [`pieces`] allows and, inside a piece wider than a line, between
/// characters. With `max_lines`, the last line kept ends with an ellipsis when text was left
/// out; without, nothing is left out.
pub(super) fn wrap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'_>,
    max_w: i32,
    max_lines: Option<usize>,
) -> Result<Vec<String>, String> {
    let fits = |t: &str| -> Result<bool, String> { Ok(width(root, t, style)? <= max_w) };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let joined = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if fits(&joined)? {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if fits(word)? {
            line = word.to_string();
            continue;
        }
        // A word too wide for a line: break it at its pieces, and a piece too wide between
        // characters.
        for piece in pieces(word) {
            let joined = format!("{line}{piece}");
            if fits(&joined)? {
                line = joined;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for ch in piece.chars() {
                let longer = format!("{line}{ch}");
                if !line.is_empty() && !fits(&longer)? {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(ch);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    match max_lines {
        Some(n) if lines.len() > n => {
            let n = n.max(1);
            let last = fit(root, &format!("{}…", lines[n - 1]), style, max_w)?;
            lines.truncate(n - 1);
            lines.push(last);
            Ok(lines)
        }
        _ => Ok(lines),
    }
}

#[cfg(test)]
mod tests {
    use super::super::style::{register_fonts, text};
    use super::*;

    fn area() -> DrawingArea<SVGBackend<'static>, Shift> {
        register_fonts().unwrap();
        let out: &'static mut String = Box::leak(Box::default());
        SVGBackend::with_string(out, (800, 600)).into_drawing_area()
    }

    #[test]
    fn words_break_after_separators_but_not_inside_numbers() {
        assert_eq!(
            pieces("(world.flagged_fraction=0.005)"),
            vec!["(", "world.", "flagged_", "fraction=", "0.005)"]
        );
    }

    #[test]
    fn lines_break_at_spaces_first() {
        let root = area();
        let style = text(18);
        let label = "exclude_flagged_from_suggestions (moderation.recall=0.0)";
        let lines = wrap(&root, label, &style, 420, None).unwrap();
        assert_eq!(
            lines,
            [
                "exclude_flagged_from_suggestions",
                "(moderation.recall=0.0)"
            ]
        );
    }

    #[test]
    fn wrapping_keeps_every_character_and_fits_the_width() {
        let root = area();
        let style = text(18);
        let label = "exclude_flagged_from_suggestions (world.flagged_fraction=0.005)";
        for max_w in [60, 120, 200, 400, 2000] {
            let lines = wrap(&root, label, &style, max_w, None).unwrap();
            let joined: String = lines.concat();
            assert_eq!(joined.replace(' ', ""), label.replace(' ', ""), "{lines:?}");
            assert!(lines.iter().all(|l| !l.is_empty()), "{lines:?}");
            for l in &lines {
                assert!(width(&root, l, &style).unwrap() <= max_w, "{l:?} > {max_w}");
            }
        }
        let two = wrap(&root, label, &style, 120, Some(2)).unwrap();
        assert_eq!(two.len(), 2);
        assert!(two[1].ends_with('…'));
    }

    #[test]
    fn two_labels_that_differ_at_the_end_stay_different() {
        let root = area();
        let style = text(18);
        let a = wrap(
            &root,
            "exclude_flagged_from_suggestions (flagged_fraction=0.005)",
            &style,
            250,
            None,
        )
        .unwrap();
        let b = wrap(
            &root,
            "exclude_flagged_from_suggestions (flagged_fraction=0.02)",
            &style,
            250,
            None,
        )
        .unwrap();
        assert_ne!(a, b);
    }
}
