//! Bars with error bars: the drift reduction of each arm when there is no collateral cost to
//! plot it against.

use super::axes::{build, extent, frame, mesh, plot_rect, user_range, RIGHT, X_AREA};
use super::legend::fit;
use super::style::{anchored, colour, AXIS_PX, GREY, INK, LABEL_PX};
use super::{err, write, Chart, Figure, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// Bars with error bars (drift reduction per arm): (label, estimate, lower, upper) per bar, in
/// order along the x axis. Bars start at zero; labels are written under their bar (wrapped if
/// long); `chart.x_label` names the categories and `chart.y_label` the value. A bar whose
/// estimate is NaN is drawn as "n/a" (with its interval if that is finite).
pub fn bars_with_errors(
    stem: &Path,
    chart: &Chart<'_>,
    bars: &[(String, f64, f64, f64)],
) -> Result<(), PlotError> {
    write(stem, &Bars { spec: *chart, bars })
}

/// [`bars_with_errors`].
struct Bars<'a> {
    spec: Chart<'a>,
    bars: &'a [(String, f64, f64, f64)],
}

impl Figure for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_bars(root, &self.spec, self.bars)
    }
}

/// `label` broken into at most `max_lines` lines of at most `max_w` pixels, at spaces and
/// after `-`, `_`, `/`, `,`, `=` where possible.
fn wrap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    label: &str,
    style: &TextStyle<'_>,
    max_w: i32,
    max_lines: usize,
) -> Result<Vec<String>, String> {
    let width = |t: &str| -> Result<i32, String> {
        Ok(root.estimate_text_size(t, style).map_err(err)?.0 as i32)
    };
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    for ch in label.chars() {
        cur.push(ch);
        if matches!(ch, ' ' | '-' | '_' | '/' | ',' | '=') {
            tokens.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for token in tokens {
        let joined = format!("{line}{token}");
        if line.is_empty() || width(joined.trim_end())? <= max_w {
            line = joined;
        } else {
            lines.push(line.trim_end().to_string());
            line = token;
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i + 1 == max_lines && i + 1 < lines.len() {
            out.push(fit(root, &format!("{l}{}", "\u{2026}"), style, max_w)?);
            break;
        }
        out.push(fit(root, l, style, max_w)?);
    }
    Ok(out)
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    bars: &[(String, f64, f64, f64)],
) -> Result<(), String> {
    let n = bars.len().max(1);
    let x = (-0.5, n as f64 - 0.5);
    let y = user_range(spec.y_range)
        .or_else(|| {
            extent(
                bars.iter()
                    .flat_map(|b| [b.1, b.2, b.3])
                    .chain(std::iter::once(0.0)),
                0.08,
            )
        })
        .unwrap_or((0.0, 1.0));
    let area = frame(root, spec.title)?;
    // Wrap the labels to the width of a bar's slot, then size the x label area to fit them.
    let probe = build(&area, x, y, X_AREA, RIGHT)?;
    let rect = plot_rect(&probe);
    let slot = (rect.2 - rect.0) / n as i32;
    let label_style = anchored(LABEL_PX, HPos::Center, VPos::Top);
    let labels: Vec<Vec<String>> = bars
        .iter()
        .map(|b| wrap(root, &b.0, &label_style, (slot - 8).max(16), 3))
        .collect::<Result<_, _>>()?;
    let line_h = root.estimate_text_size("Ag", &label_style).map_err(err)?.1 as i32 + 2;
    let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1) as i32;
    let x_area = (12 + lines * line_h + 12 + AXIS_PX as i32 + 12) as u32;
    let mut chart = build(&area, x, y, x_area.max(X_AREA), RIGHT)?;
    mesh(&mut chart, spec, x, y, false)?;
    let rect = plot_rect(&chart);

    let clamp = |v: f64| v.clamp(y.0, y.1);
    let base = clamp(0.0);
    let px_per_x = f64::from(rect.2 - rect.0) / (x.1 - x.0);
    let half = 0.3_f64.min(70.0 / px_per_x);
    let fill = colour(0);
    for (i, (b, label)) in bars.iter().zip(&labels).enumerate() {
        let cx = i as f64;
        if b.1.is_finite() {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(cx - half, base), (cx + half, clamp(b.1))],
                    fill.mix(0.85).filled(),
                )))
                .map_err(err)?;
        } else {
            let (px, py) = chart.backend_coord(&(cx, base));
            root.draw(&Text::new(
                "n/a",
                (px, py - 6),
                anchored(LABEL_PX, HPos::Center, VPos::Bottom).color(&GREY),
            ))
            .map_err(err)?;
        }
        if b.2.is_finite() && b.3.is_finite() {
            let (px, lo) = chart.backend_coord(&(cx, clamp(b.2)));
            let (_, hi) = chart.backend_coord(&(cx, clamp(b.3)));
            error_bar(root, (px, lo), (px, hi), INK)?;
        }
        let (px, _) = chart.backend_coord(&(cx, y.0));
        for (k, line) in label.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (px, rect.3 + 10 + k as i32 * line_h),
                &label_style,
            ))
            .map_err(err)?;
        }
    }
    if y.0 < 0.0 && y.1 > 0.0 {
        let (_, py) = chart.backend_coord(&(x.0, 0.0));
        root.draw(&PathElement::new(
            vec![(rect.0, py), (rect.2, py)],
            GREY.stroke_width(1),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// An error bar from `a` to `b` (pixels) with caps across its ends.
pub(super) fn error_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    c: RGBColor,
) -> Result<(), String> {
    let style = c.stroke_width(2);
    let cap = 7;
    let across = |p: (i32, i32)| {
        if a.0 == b.0 {
            vec![(p.0 - cap, p.1), (p.0 + cap, p.1)]
        } else {
            vec![(p.0, p.1 - cap), (p.0, p.1 + cap)]
        }
    };
    root.draw(&PathElement::new(vec![a, b], style))
        .map_err(err)?;
    root.draw(&PathElement::new(across(a), style))
        .map_err(err)?;
    root.draw(&PathElement::new(across(b), style)).map_err(err)
}
