//! Legends: laid out in pixels and placed in the corner of the plot that hides the least data,
//! or beside the plot.

use super::axes::{build, plot_rect, Plot, Span, RIGHT, X_AREA};
use super::err;
use super::style::{anchored, text, LEGEND_PX};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

#[derive(Clone, Copy)]
pub(super) enum Swatch {
    Line { band: bool, dashed: bool },
    Area,
}

#[derive(Clone)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) colour: RGBColor,
    pub(super) swatch: Swatch,
}

/// A legend laid out in pixels.
pub(super) struct Legend {
    entries: Vec<Entry>,
    rows: usize,
    row_h: i32,
    col_w: i32,
    pub(super) w: i32,
    pub(super) h: i32,
}

const PAD: i32 = 10;
const SWATCH_W: i32 = 36;
pub(super) const INSET: i32 = 10;
/// Widest legend name, in pixels, when the legend sits beside the plot.
const OUTSIDE_TEXT: i32 = 260;
/// Most data (in samples, see [`sample_line`]) a legend may hide before it moves out of the
/// plot: a line passing under it for about 20 pixels.
const HIDES_AT_MOST: f32 = 7.0;

/// Text shortened with an ellipsis to fit `max_w` pixels.
pub(super) fn fit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'_>,
    max_w: i32,
) -> Result<String, String> {
    let width = |t: &str| -> Result<i32, String> {
        Ok(root.estimate_text_size(t, style).map_err(err)?.0 as i32)
    };
    if width(s)? <= max_w {
        return Ok(s.to_string());
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let t: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if width(&t)? <= max_w {
            return Ok(t);
        }
    }
    Ok("…".into())
}

/// Lays out a legend for a plot of `rect`: inside it (at most about half its height, names
/// at most 40% of its width) or, `outside`, as a column of at most [`OUTSIDE_TEXT`] pixels of
/// names beside it.
pub(super) fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: Vec<Entry>,
    rect: (i32, i32, i32, i32),
    outside: bool,
) -> Result<Legend, String> {
    let style = text(LEGEND_PX);
    let (plot_w, plot_h) = (rect.2 - rect.0, rect.3 - rect.1);
    let (max_text, max_h) = if outside {
        (OUTSIDE_TEXT, plot_h)
    } else {
        ((plot_w * 2 / 5).max(60), plot_h / 2)
    };
    let mut entries = entries;
    let mut text_w = 0;
    let mut text_h = LEGEND_PX as i32;
    for e in &mut entries {
        e.name = fit(root, &e.name, &style, max_text)?;
        let (w, h) = root.estimate_text_size(&e.name, &style).map_err(err)?;
        text_w = text_w.max(w as i32);
        text_h = text_h.max(h as i32);
    }
    let row_h = text_h + 8;
    let n = entries.len().max(1);
    let fit_rows = (((max_h - 2 * PAD) / row_h).max(1)) as usize;
    let cols = n.div_ceil(fit_rows).clamp(1, 4);
    let rows = n.div_ceil(cols);
    let col_w = SWATCH_W + 8 + text_w + 18;
    Ok(Legend {
        entries,
        rows,
        row_h,
        col_w,
        w: 2 * PAD + cols as i32 * col_w - 18,
        h: 2 * PAD + rows as i32 * row_h,
    })
}

/// Top-left corners of the legend in the four corners of the plot, in order of preference.
pub(super) fn corners(l: &Legend, r: (i32, i32, i32, i32)) -> [(i32, i32); 4] {
    let right = r.2 - INSET - l.w;
    let left = r.0 + INSET;
    let top = r.1 + INSET;
    let bottom = r.3 - INSET - l.h;
    [(right, top), (left, top), (right, bottom), (left, bottom)]
}

/// The corner where the legend covers the least weight of `marks` (pixel samples of the data),
/// and that weight.
fn best_corner(
    l: &Legend,
    r: (i32, i32, i32, i32),
    marks: &[(i32, i32, f32)],
) -> ((i32, i32), f32) {
    let mut best = (corners(l, r)[0], f32::INFINITY);
    for c in corners(l, r) {
        let score: f32 = marks
            .iter()
            .filter(|m| {
                m.0 >= c.0 - 4 && m.0 <= c.0 + l.w + 4 && m.1 >= c.1 - 4 && m.1 <= c.1 + l.h + 4
            })
            .map(|m| m.2)
            .sum();
        if score < best.1 {
            best = (c, score);
        }
    }
    best
}

/// A chart with its legend and where the legend goes.
type Placed<'a, DB> = (Plot<'a, DB>, Legend, (i32, i32));

/// Builds the chart and places the legend of `entries`: in the corner of the plot that hides
/// the least of the data sampled by `marks`, or in a column right of the plot when every
/// corner would hide more than [`HIDES_AT_MOST`].
pub(super) fn with_legend<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &'a DrawingArea<DB, Shift>,
    x: Span,
    y: Span,
    entries: Vec<Entry>,
    marks: impl Fn(&Plot<'a, DB>) -> Vec<(i32, i32, f32)>,
) -> Result<Placed<'a, DB>, String> {
    let chart = build(area, x, y, X_AREA, RIGHT)?;
    let rect = plot_rect(&chart);
    let inside = legend(root, entries.clone(), rect, false)?;
    let (corner, hidden) = best_corner(&inside, rect, &marks(&chart));
    if inside.entries.is_empty() || hidden <= HIDES_AT_MOST {
        return Ok((chart, inside, corner));
    }
    let beside = legend(root, entries, rect, true)?;
    let chart = build(area, x, y, X_AREA, beside.w as u32 + 2 * INSET as u32)?;
    let rect = plot_rect(&chart);
    let at = (rect.2 + INSET, rect.1);
    Ok((chart, beside, at))
}

pub(super) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Legend,
    at: (i32, i32),
) -> Result<(), String> {
    if l.entries.is_empty() {
        return Ok(());
    }
    let (x0, y0) = at;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + l.w, y0 + l.h)],
        WHITE.mix(0.88).filled(),
    ))
    .map_err(err)?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + l.w, y0 + l.h)],
        RGBColor(170, 170, 170).stroke_width(1),
    ))
    .map_err(err)?;
    let style = anchored(LEGEND_PX, HPos::Left, VPos::Center);
    for (i, e) in l.entries.iter().enumerate() {
        let (col, row) = ((i / l.rows) as i32, (i % l.rows) as i32);
        let x = x0 + PAD + col * l.col_w;
        let cy = y0 + PAD + row * l.row_h + l.row_h / 2;
        match e.swatch {
            Swatch::Line { band, dashed } => {
                if band {
                    root.draw(&Rectangle::new(
                        [(x, cy - 8), (x + SWATCH_W, cy + 8)],
                        e.colour.mix(0.22).filled(),
                    ))
                    .map_err(err)?;
                }
                let line = vec![(x, cy), (x + SWATCH_W, cy)];
                if dashed {
                    root.draw(&DashedPathElement::new(
                        line,
                        7,
                        5,
                        e.colour.stroke_width(3),
                    ))
                    .map_err(err)?;
                } else {
                    root.draw(&PathElement::new(line, e.colour.stroke_width(3)))
                        .map_err(err)?;
                }
            }
            Swatch::Area => {
                root.draw(&Rectangle::new(
                    [(x + 6, cy - 9), (x + SWATCH_W - 6, cy + 9)],
                    e.colour.mix(0.8).filled(),
                ))
                .map_err(err)?;
            }
        }
        root.draw(&Text::new(e.name.clone(), (x + SWATCH_W + 8, cy), &style))
            .map_err(err)?;
    }
    Ok(())
}

/// Pixel samples along a polyline in data coordinates, every few pixels.
pub(super) fn sample_line<DB: DrawingBackend>(
    chart: &Plot<'_, DB>,
    run: &[(f64, f64)],
    weight: f32,
    marks: &mut Vec<(i32, i32, f32)>,
) {
    let px: Vec<(i32, i32)> = run.iter().map(|p| chart.backend_coord(p)).collect();
    if let [only] = px.as_slice() {
        marks.push((only.0, only.1, weight));
    }
    for w in px.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = f64::from((b.0 - a.0).abs().max((b.1 - a.1).abs()));
        let n = (len / 3.0).ceil().clamp(1.0, 4000.0) as i32;
        for k in 0..=n {
            let t = f64::from(k) / f64::from(n);
            marks.push((
                a.0 + (t * f64::from(b.0 - a.0)) as i32,
                a.1 + (t * f64::from(b.1 - a.1)) as i32,
                weight,
            ));
        }
    }
}
