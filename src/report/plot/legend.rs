//! Legends: laid out in pixels with every name in full (wrapped over several lines when
//! long), optional notes under the entries, and placed in the corner of the plot that hides
//! the least data, or beside the plot.

use super::axes::{build, plot_rect, Plot, Span, RIGHT};
use super::marker::draw_marker;
use super::output::err;
use super::palette::{Dash, Look};
use super::style::{anchored, text, GREY, LABEL_PX, LEGEND_PX};
use super::text::{width, wrap};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// How an interval is drawn around a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Band {
    None,
    /// A shaded band.
    Filled,
    /// Thin lines along both edges, no fill.
    Edges,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Swatch {
    /// A line in its dash pattern, its band, and its marker when the line's points are marked.
    Line {
        look: Look,
        band: Band,
        marker: bool,
    },
    /// A marker with an error bar (points on a categorical axis).
    Point { look: Look },
    /// A filled area.
    Area { colour: RGBColor },
}

#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) swatch: Swatch,
}

/// Where a legend goes, which sets its size limits and type size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// In a corner of the plot.
    Inside,
    /// Beside the plot.
    Beside,
    /// Beside the plot, set small and tight: the key to numbered points.
    Key,
}

/// A legend laid out in pixels.
pub(super) struct Legend {
    /// Type size of the names, space between entries, width of the swatches.
    px: u32,
    gap: i32,
    swatch_w: i32,
    /// Each entry with its name's lines.
    entries: Vec<(Swatch, Vec<String>)>,
    /// Note lines under the entries.
    notes: Vec<String>,
    /// Entries per column.
    rows: usize,
    line_h: i32,
    note_h: i32,
    col_w: i32,
    pub(super) w: i32,
    pub(super) h: i32,
}

const PAD: i32 = 10;
pub(super) const INSET: i32 = 10;
/// Widest legend name, in pixels, when the legend sits beside the plot (longer names wrap).
const OUTSIDE_TEXT: i32 = 270;
/// Share of the chart's width a legend beside the plot takes at most, and when its entries do
/// not fit the plot's height otherwise.
const OUTSIDE_SHARE: f64 = 0.4;
const OUTSIDE_SHARE_AT_MOST: f64 = 0.55;
/// Most data (in samples, see [`sample_line`]) a legend may hide before it moves out of the
/// plot: a line passing under it for about 20 pixels.
const HIDES_AT_MOST: f32 = 7.0;

/// Lays out a legend for a plot of `rect`: inside it (at most about half its height, names
/// at most 40% of its width) or beside it, as columns of at most [`OUTSIDE_TEXT`] pixels of
/// names, the whole at most [`OUTSIDE_SHARE`] of the chart's width (names wrap narrower when
/// needed). Names are wrapped, never cut; `notes` are wrapped to the legend's width.
pub(super) fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    notes: &[String],
    rect: (i32, i32, i32, i32),
    place: Place,
) -> Result<Legend, String> {
    let (plot_w, plot_h) = (rect.2 - rect.0, rect.3 - rect.1);
    let (px, gap, swatch_w) = match place {
        Place::Inside | Place::Beside => (LEGEND_PX, 8, 40),
        Place::Key => (LABEL_PX, 2, 22),
    };
    if place == Place::Inside {
        let max_text = (plot_w * 2 / 5).max(60);
        return layout(
            root,
            entries,
            notes,
            (px, gap, swatch_w),
            max_text,
            plot_h / 2,
        );
    }
    // The widest names that keep the legend within the share of the chart's width and the
    // plot's height; failing that, within a larger share; failing that (more entries than the
    // height holds: the legend runs past the bottom), the shortest within that larger share.
    let chart_w = f64::from(root.dim_in_pixel().0);
    let metrics = (px, gap, swatch_w);
    let mut options = Vec::new();
    for max_text in (80..=OUTSIDE_TEXT).rev().step_by(20) {
        options.push(layout(root, entries, notes, metrics, max_text, plot_h)?);
    }
    for share in [OUTSIDE_SHARE, OUTSIDE_SHARE_AT_MOST] {
        let cap = (chart_w * share) as i32;
        if let Some(i) = options.iter().position(|l| l.w <= cap && l.h <= plot_h) {
            return Ok(options.swap_remove(i));
        }
    }
    let cap = (chart_w * OUTSIDE_SHARE_AT_MOST) as i32;
    let best = (0..options.len())
        .min_by_key(|&i| (options[i].w > cap, options[i].h, options[i].w))
        .unwrap_or(0);
    Ok(options.swap_remove(best))
}

/// A legend with names of `px` pixels wrapped to `max_text` pixels, `gap` pixels between
/// entries and swatches `swatch_w` wide, in the fewest columns (at most 4) whose tallest column
/// fits `max_h` pixels.
fn layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    notes: &[String],
    (px, gap, swatch_w): (u32, i32, i32),
    max_text: i32,
    max_h: i32,
) -> Result<Legend, String> {
    let style = text(px);
    let note_style = text(LABEL_PX);
    let line_h = root.estimate_text_size("Ag", &style).map_err(err)?.1 as i32 + 2 + gap / 4;
    let note_h = root.estimate_text_size("Ag", &note_style).map_err(err)?.1 as i32 + 3;
    let mut laid = Vec::with_capacity(entries.len());
    let mut text_w = 0;
    for e in entries {
        let lines = wrap(root, &e.name, &style, max_text, None)?;
        for l in &lines {
            text_w = text_w.max(width(root, l, &style)?);
        }
        laid.push((e.swatch, lines));
    }
    let entry_h = |lines: &Vec<String>| lines.len() as i32 * line_h + gap;
    let n = laid.len().max(1);
    let column_h = |rows: usize| -> i32 {
        laid.chunks(rows)
            .map(|c| c.iter().map(|(_, l)| entry_h(l)).sum::<i32>())
            .max()
            .unwrap_or(0)
    };
    let mut cols = 1;
    while cols < 4 && column_h(n.div_ceil(cols)) > max_h - 2 * PAD {
        cols += 1;
    }
    let rows = n.div_ceil(cols);
    let cols = laid.len().div_ceil(rows).max(1);
    let col_w = swatch_w + 10 + text_w + 18;
    let entries_w = cols as i32 * col_w - 18;
    let mut note_lines = Vec::new();
    let note_w = entries_w.max(max_text.min(300));
    for note in notes {
        note_lines.extend(wrap(root, note, &note_style, note_w, None)?);
    }
    let mut w = entries_w;
    for l in &note_lines {
        w = w.max(width(root, l, &note_style)?);
    }
    let notes_h = if note_lines.is_empty() {
        0
    } else {
        4 + note_lines.len() as i32 * note_h
    };
    Ok(Legend {
        px,
        gap,
        swatch_w,
        h: 2 * PAD + column_h(rows) - gap + notes_h,
        w: 2 * PAD + w,
        entries: laid,
        notes: note_lines,
        rows,
        line_h,
        note_h,
        col_w,
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
pub(super) type Placed<'a, DB> = (Plot<'a, DB>, Legend, (i32, i32));

/// Builds the chart (with an x label area `x_area` pixels high) and places the legend of
/// `entries` and `notes`: in the corner of the plot that hides the least of the data sampled
/// by `marks`, or in a column right of the plot when every corner would hide more than
/// [`HIDES_AT_MOST`] or the legend is too big for the plot.
#[allow(clippy::too_many_arguments)]
pub(super) fn with_legend<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &'a DrawingArea<DB, Shift>,
    x: Span,
    y: Span,
    x_area: u32,
    entries: &[Entry],
    notes: &[String],
    marks: impl Fn(&Plot<'a, DB>) -> Vec<(i32, i32, f32)>,
) -> Result<Placed<'a, DB>, String> {
    let chart = build(area, x, y, x_area, RIGHT)?;
    let rect = plot_rect(&chart);
    let inside = legend(root, entries, notes, rect, Place::Inside)?;
    let fits = inside.h <= (rect.3 - rect.1) * 2 / 3 && inside.w <= (rect.2 - rect.0) / 2;
    let (corner, hidden) = best_corner(&inside, rect, &marks(&chart));
    if inside.entries.is_empty() && inside.notes.is_empty() || fits && hidden <= HIDES_AT_MOST {
        return Ok((chart, inside, corner));
    }
    let beside = legend(root, entries, notes, rect, Place::Beside)?;
    let chart = build(area, x, y, x_area, beside.w as u32 + 2 * INSET as u32)?;
    let rect = plot_rect(&chart);
    let at = (rect.2 + INSET, rect.1);
    Ok((chart, beside, at))
}

/// A polyline through `points` (pixels) in the dash pattern `dash`.
pub(super) fn dashed_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
    dash: Dash,
    style: ShapeStyle,
) -> Result<(), String> {
    match dash {
        Dash::Solid => root.draw(&PathElement::new(points, style)).map_err(err),
        Dash::Dashed { on, off } => root
            .draw(&DashedPathElement::new(points, on, off, style))
            .map_err(err),
    }
}

fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    (x, cy): (i32, i32),
    swatch_w: i32,
) -> Result<(), String> {
    let mid = x + swatch_w / 2;
    match swatch {
        Swatch::Line { look, band, marker } => {
            let c = look.colour;
            match band {
                Band::None => {}
                Band::Filled => root
                    .draw(&Rectangle::new(
                        [(x, cy - 8), (x + swatch_w, cy + 8)],
                        c.mix(0.2).filled(),
                    ))
                    .map_err(err)?,
                Band::Edges => {
                    for dy in [-8, 8] {
                        root.draw(&PathElement::new(
                            vec![(x, cy + dy), (x + swatch_w, cy + dy)],
                            c.stroke_width(1),
                        ))
                        .map_err(err)?;
                    }
                }
            }
            dashed_line(
                root,
                vec![(x, cy), (x + swatch_w, cy)],
                look.dash,
                c.stroke_width(3),
            )?;
            if marker {
                draw_marker(root, look.marker, (mid, cy), 5.5, c, 1)?;
            }
        }
        Swatch::Point { look } => {
            root.draw(&PathElement::new(
                vec![(mid, cy - 9), (mid, cy + 9)],
                look.colour.stroke_width(2),
            ))
            .map_err(err)?;
            draw_marker(root, look.marker, (mid, cy), 6.5, look.colour, 1)?;
        }
        Swatch::Area { colour } => {
            root.draw(&Rectangle::new(
                [(x + 6, cy - 9), (x + swatch_w - 6, cy + 9)],
                colour.filled(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

pub(super) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Legend,
    at: (i32, i32),
) -> Result<(), String> {
    if l.entries.is_empty() && l.notes.is_empty() {
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
    let style = anchored(l.px, HPos::Left, VPos::Center);
    let mut bottom = y0 + PAD;
    for (col, column) in l.entries.chunks(l.rows.max(1)).enumerate() {
        let x = x0 + PAD + col as i32 * l.col_w;
        let mut top = y0 + PAD;
        for (swatch, lines) in column {
            draw_swatch(root, *swatch, (x, top + l.line_h / 2), l.swatch_w)?;
            for (k, line) in lines.iter().enumerate() {
                let cy = top + k as i32 * l.line_h + l.line_h / 2;
                root.draw(&Text::new(line.clone(), (x + l.swatch_w + 10, cy), &style))
                    .map_err(err)?;
            }
            top += lines.len() as i32 * l.line_h + l.gap;
        }
        bottom = bottom.max(top - l.gap);
    }
    let note_style = anchored(LABEL_PX, HPos::Left, VPos::Top).color(&GREY);
    for (k, line) in l.notes.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (x0 + PAD, bottom + 4 + k as i32 * l.note_h),
            &note_style,
        ))
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
