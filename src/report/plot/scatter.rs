//! Labelled points with error bars in x and y: drift reduction against collateral cost.

use super::axes::{build, extent, frame, inside, mesh, plot_rect, user_range, Plot, Span};
use super::axes::{RIGHT, X_AREA};
use super::labels::{place, Rect, Request};
use super::legend::{draw_legend, legend, Entry, Place, Swatch, INSET};
use super::marker::{coinciding, draw_marker, error_bar, ring};
use super::output::{err, write, Figure, PlotError};
use super::palette::look;
use super::spec::{Chart, ScatterPoint};
use super::style::{anchored, text, GREY, LABEL_PX};
use super::text::width;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// Labelled points with error bars in x and y (drift reduction against collateral cost, a
/// Pareto view). Each point has its arm's colour and marker; dotted grey lines mark x = 0 and
/// y = 0 when they are in range. A point with a non-finite coordinate, or outside a fixed
/// `y_range`, is left out; error bars are clipped to the plot.
///
/// Labels never overlap each other or a marker: each goes next to its point where there is
/// room (and nearer to it than to any other point), else into a column beside its cluster of
/// points, with a leader line (see `labels`). When a name has no room anywhere, every point is
/// labelled with its number in the list instead, and a key beside the plot names them.
///
/// Points that coincide (closer than a marker's radius) stay visible: the first in the list is
/// drawn as its marker, each further one as a ring around it in its arm's colour (up to six
/// rings; a larger group gets a badge counting its points). A label's swatch shows the marker,
/// or the ring, of its point.
pub fn labelled_scatter(
    stem: &Path,
    chart: &Chart<'_>,
    points: &[ScatterPoint],
) -> Result<(), PlotError> {
    write(
        stem,
        &Scatter {
            spec: *chart,
            points,
        },
    )
}

/// [`labelled_scatter`].
struct Scatter<'a> {
    spec: Chart<'a>,
    points: &'a [ScatterPoint],
}

impl Figure for Scatter<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_scatter(root, &self.spec, self.points)
    }
}

/// Marker radius, and how much wider each further ring of coinciding points is.
const RADIUS: f64 = 7.0;
const RING_STEP: f64 = 4.0;
/// Padding around a label's text inside its box.
const LABEL_PAD: i32 = 3;
/// Room for the small marker (or ring) before a label's text, which ties the name to the
/// colour and shape drawn at the point.
const SWATCH: i32 = 16;

/// The number of points of a group too large for rings, above its outermost ring.
fn badge<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    size: usize,
) -> Result<(), String> {
    let top = c.1 - ring_radius(MAX_RINGS).ceil() as i32 - 3;
    let text = format!("{size} points");
    let style = anchored(LABEL_PX, HPos::Center, VPos::Bottom);
    let w = width(root, &text, &style)? + 8;
    root.draw(&Rectangle::new(
        [(c.0 - w / 2, top - BADGE_H + 2), (c.0 + w / 2, top)],
        WHITE.filled(),
    ))
    .map_err(err)?;
    root.draw(&Rectangle::new(
        [(c.0 - w / 2, top - BADGE_H + 2), (c.0 + w / 2, top)],
        GREY.stroke_width(1),
    ))
    .map_err(err)?;
    root.draw(&Text::new(text, (c.0, top - 2), &style))
        .map_err(err)
}

/// Most rings drawn around a marker; the points of a larger group are counted on a badge.
const MAX_RINGS: usize = 6;

/// Radius of ring `rank` (from 1) around a marker.
fn ring_radius(rank: usize) -> f64 {
    RADIUS * 1.6 + RING_STEP * rank.min(MAX_RINGS) as f64
}

/// Half the side of the square the marker of a point fits in, with the rings of its group of
/// `size` coinciding points (the widest shape, the star, reaches 1.6 radii from its centre; a
/// ring is 3 pixels wide) and the count badge of a group too large for rings, with a pixel to
/// spare.
fn half_size(size: usize) -> i32 {
    let rings = size.saturating_sub(1);
    let r = if rings == 0 {
        RADIUS * 1.6 + 1.0
    } else {
        ring_radius(rings) + 3.0
    };
    r.ceil() as i32 + if rings > MAX_RINGS { BADGE_H } else { 0 }
}

/// Height of the badge counting the points of a group too large for rings.
const BADGE_H: i32 = 20;

/// A visible point on the chart.
#[derive(Clone, Copy)]
struct Centre {
    /// Index into the points.
    index: usize,
    /// Pixel position.
    at: (i32, i32),
    /// Ring rank and size of its group of coinciding points (see `marker::coinciding`).
    rank: usize,
    size: usize,
}

/// What is drawn for the shown points on one chart geometry.
struct Layout {
    /// The visible points.
    centres: Vec<Centre>,
    /// Placed label per centre, if it found room.
    labels: Vec<Option<super::labels::Placed>>,
}

/// The text of point `i`'s label: its name, or with `numbered` its number (its position in the
/// list, from 1).
fn label_text(points: &[ScatterPoint], i: usize, numbered: bool) -> String {
    if numbered {
        (i + 1).to_string()
    } else {
        points[i].name.clone()
    }
}

/// Where the visible points of `shown` go on `chart`, and their labels (names, or with
/// `numbered` numbers).
fn layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Plot<'_, DB>,
    points: &[ScatterPoint],
    shown: &[usize],
    (x, y): (Span, Span),
    numbered: bool,
) -> Result<Layout, String> {
    let rect = plot_rect(chart);
    let style = text(LABEL_PX);
    let visible: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|&i| inside((points[i].x.estimate, points[i].y.estimate), x, y))
        .collect();
    let px: Vec<(i32, i32)> = visible
        .iter()
        .map(|&i| chart.backend_coord(&(points[i].x.estimate, points[i].y.estimate)))
        .collect();
    let groups = coinciding(&px, RADIUS);
    // The points of a group are drawn, and labelled, around its first point.
    let px: Vec<(i32, i32)> = groups.iter().map(|g| px[g.first]).collect();
    let ranks: Vec<(usize, usize)> = groups.iter().map(|g| (g.rank, g.size)).collect();
    let markers: Vec<Rect> = px
        .iter()
        .zip(&ranks)
        .map(|(&c, &(_, size))| Rect::around(c, half_size(size)))
        .collect();
    let soft = bar_boxes(chart, points, &visible, x, y);
    let requests: Vec<Request> = visible
        .iter()
        .zip(&px)
        .zip(&ranks)
        .map(|((&i, &anchor), &(_, size))| {
            let (w, h) = root
                .estimate_text_size(&label_text(points, i, numbered), &style)
                .map_err(err)?;
            let swatch = if numbered { 0 } else { SWATCH };
            Ok(Request {
                anchor,
                size: (swatch + w as i32 + 2 * LABEL_PAD, h as i32 + 2 * LABEL_PAD),
                clearance: half_size(size),
            })
        })
        .collect::<Result<_, String>>()?;
    let bounds = Rect {
        x0: rect.0,
        y0: rect.1,
        x1: rect.2,
        y1: rect.3,
    };
    let labels = place(&requests, &markers, &soft, bounds);
    Ok(Layout {
        centres: visible
            .into_iter()
            .zip(px)
            .zip(ranks)
            .map(|((index, at), (rank, size))| Centre {
                index,
                at,
                rank,
                size,
            })
            .collect(),
        labels,
    })
}

/// Thin boxes around the error bars of the visible points, for labels to avoid.
fn bar_boxes<DB: DrawingBackend>(
    chart: &Plot<'_, DB>,
    points: &[ScatterPoint],
    visible: &[usize],
    x: Span,
    y: Span,
) -> Vec<Rect> {
    let thin = |a: (i32, i32), b: (i32, i32)| Rect {
        x0: a.0.min(b.0) - 3,
        y0: a.1.min(b.1) - 3,
        x1: a.0.max(b.0) + 3,
        y1: a.1.max(b.1) + 3,
    };
    let mut out = Vec::new();
    for &i in visible {
        let p = &points[i];
        if p.x.lower.is_finite() && p.x.upper.is_finite() {
            let a = chart.backend_coord(&(p.x.lower.clamp(x.0, x.1), p.y.estimate));
            let b = chart.backend_coord(&(p.x.upper.clamp(x.0, x.1), p.y.estimate));
            out.push(thin(a, b));
        }
        if p.y.lower.is_finite() && p.y.upper.is_finite() {
            let a = chart.backend_coord(&(p.x.estimate, p.y.lower.clamp(y.0, y.1)));
            let b = chart.backend_coord(&(p.x.estimate, p.y.upper.clamp(y.0, y.1)));
            out.push(thin(a, b));
        }
    }
    out
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    points: &[ScatterPoint],
) -> Result<(), String> {
    let shown: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].x.estimate.is_finite() && points[i].y.estimate.is_finite())
        .collect();
    let x = extent(
        shown
            .iter()
            .flat_map(|&i| [points[i].x.estimate, points[i].x.lower, points[i].x.upper]),
        0.1,
    )
    .unwrap_or((0.0, 1.0));
    let y = user_range(spec.y_range)
        .or_else(|| {
            extent(
                shown
                    .iter()
                    .flat_map(|&i| [points[i].y.estimate, points[i].y.lower, points[i].y.upper]),
                0.1,
            )
        })
        .unwrap_or((0.0, 1.0));
    let area = frame(root, spec.title, spec.arm)?;
    let mut chart = build(&area, x, y, X_AREA, RIGHT)?;
    let mut placed = layout(root, &chart, points, &shown, (x, y), false)?;
    // When a name has no room, every point is numbered instead, with a key beside the plot.
    let numbered = placed.labels.iter().any(Option::is_none);
    let mut key = None;
    if numbered {
        let entries: Vec<Entry> = placed
            .centres
            .iter()
            .map(|&Centre { index: i, .. }| Entry {
                name: format!("{}: {}", i + 1, points[i].name),
                swatch: Swatch::Point {
                    look: look(points[i].arm, 0),
                },
            })
            .collect();
        let l = legend(root, &entries, &[], plot_rect(&chart), Place::Key)?;
        chart = build(&area, x, y, X_AREA, l.w as u32 + 2 * INSET as u32)?;
        placed = layout(root, &chart, points, &shown, (x, y), true)?;
        let rect = plot_rect(&chart);
        key = Some((l, (rect.2 + INSET, rect.1)));
    }
    mesh(&mut chart, spec, x, y, true)?;
    let rect = plot_rect(&chart);
    let reference = GREY.mix(0.8).stroke_width(1);
    if x.0 < 0.0 && x.1 > 0.0 {
        let (px, _) = chart.backend_coord(&(0.0, y.0));
        root.draw(&DashedPathElement::new(
            vec![(px, rect.1), (px, rect.3)],
            4,
            4,
            reference,
        ))
        .map_err(err)?;
    }
    if y.0 < 0.0 && y.1 > 0.0 {
        let (_, py) = chart.backend_coord(&(x.0, 0.0));
        root.draw(&DashedPathElement::new(
            vec![(rect.0, py), (rect.2, py)],
            4,
            4,
            reference,
        ))
        .map_err(err)?;
    }

    // Error bars, leader lines, markers (widest rings first), then labels on top.
    for &Centre { index: i, .. } in &placed.centres {
        let p = &points[i];
        let c = look(p.arm, 0).colour;
        if p.x.lower.is_finite() && p.x.upper.is_finite() {
            let a = chart.backend_coord(&(p.x.lower.clamp(x.0, x.1), p.y.estimate));
            let b = chart.backend_coord(&(p.x.upper.clamp(x.0, x.1), p.y.estimate));
            error_bar(root, a, b, c)?;
        }
        if p.y.lower.is_finite() && p.y.upper.is_finite() {
            let a = chart.backend_coord(&(p.x.estimate, p.y.lower.clamp(y.0, y.1)));
            let b = chart.backend_coord(&(p.x.estimate, p.y.upper.clamp(y.0, y.1)));
            error_bar(root, a, b, c)?;
        }
    }
    for label in placed.labels.iter().flatten() {
        if let Some((a, b)) = label.leader {
            root.draw(&PathElement::new(vec![a, b], GREY.stroke_width(1)))
                .map_err(err)?;
        }
    }
    let mut order: Vec<usize> = (0..placed.centres.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(placed.centres[k].rank));
    for k in order {
        let Centre {
            index: i,
            at: c,
            rank,
            size,
        } = placed.centres[k];
        let l = look(points[i].arm, 0);
        if rank == 0 {
            draw_marker(root, l.marker, c, RADIUS, l.colour, 2)?;
            if size > MAX_RINGS + 1 {
                badge(root, c, size)?;
            }
        } else if rank <= MAX_RINGS {
            ring(root, c, ring_radius(rank), l.colour, 3)?;
        }
    }
    let style = text(LABEL_PX);
    for (&Centre { index: i, rank, .. }, label) in placed.centres.iter().zip(&placed.labels) {
        let Some(label) = label else { continue };
        let b = label.rect;
        let l = look(points[i].arm, 0);
        // A framed box reads as a label: its swatch is not taken for a point.
        root.draw(&Rectangle::new(
            [(b.x0, b.y0), (b.x1, b.y1)],
            WHITE.mix(0.9).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [(b.x0, b.y0), (b.x1, b.y1)],
            l.colour.mix(0.6).stroke_width(1),
        ))
        .map_err(err)?;
        let mut text_x = b.x0 + LABEL_PAD;
        if !numbered {
            let at = (b.x0 + LABEL_PAD + SWATCH / 2 - 1, (b.y0 + b.y1) / 2);
            if rank == 0 {
                draw_marker(root, l.marker, at, 4.5, l.colour, 0)?;
            } else {
                ring(root, at, 5.0, l.colour, 2)?;
            }
            text_x += SWATCH;
        }
        root.draw(&Text::new(
            label_text(points, i, numbered),
            (text_x, b.y0 + LABEL_PAD + 1),
            &style,
        ))
        .map_err(err)?;
    }
    if let Some((l, at)) = key {
        draw_legend(root, &l, at)?;
    }
    Ok(())
}
