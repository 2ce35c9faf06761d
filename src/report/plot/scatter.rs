//! Labelled points with error bars in x and y: drift reduction against collateral cost.

use super::axes::{build, extent, frame, inside, mesh, plot_rect, user_range, RIGHT, X_AREA};
use super::marker::{draw_marker, error_bar};
use super::output::{err, write, Figure, PlotError};
use super::palette::look;
use super::spec::{Chart, ScatterPoint};
use super::style::{text, GREY, LABEL_PX};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

/// Labelled points with error bars in x and y (drift reduction against collateral cost, a
/// Pareto view). Each point has its arm's colour and marker, and its label is placed next to
/// it where it overlaps the fewest other marks. Dotted grey lines mark
/// x = 0 and y = 0 when they are in range. A point with a non-finite coordinate, or outside a
/// fixed `y_range`, is left out; error bars are clipped to the plot.
pub fn labelled_scatter(
    stem: &Path,
    chart: &Chart<'_>,
    points: &[ScatterPoint],
) -> Result<(), PlotError> {
    let tuples: Vec<LabelledPoint> = points
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.x.estimate,
                p.x.lower,
                p.x.upper,
                p.y.estimate,
                p.y.lower,
                p.y.upper,
            )
        })
        .collect();
    let arms: Vec<usize> = points.iter().map(|p| p.arm).collect();
    write(
        stem,
        &Scatter {
            spec: *chart,
            points: &tuples,
            arms: &arms,
        },
    )
}

/// [`labelled_scatter`].
struct Scatter<'a> {
    spec: Chart<'a>,
    points: &'a [LabelledPoint],
    arms: &'a [usize],
}

impl Figure for Scatter<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_scatter(root, &self.spec, self.points, self.arms)
    }
}

type Boxed = (i32, i32, i32, i32);
/// (label, x, x_lo, x_hi, y, y_lo, y_hi).
type LabelledPoint = (String, f64, f64, f64, f64, f64, f64);

fn overlap(a: Boxed, b: Boxed) -> i64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0);
    i64::from(w) * i64::from(h)
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    points: &[LabelledPoint],
    arms: &[usize],
) -> Result<(), String> {
    let shown: Vec<(usize, &LabelledPoint)> = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.1.is_finite() && p.4.is_finite())
        .collect();
    let x = extent(shown.iter().flat_map(|(_, p)| [p.1, p.2, p.3]), 0.1).unwrap_or((0.0, 1.0));
    let y = user_range(spec.y_range)
        .or_else(|| extent(shown.iter().flat_map(|(_, p)| [p.4, p.5, p.6]), 0.1))
        .unwrap_or((0.0, 1.0));
    let area = frame(root, spec.title, spec.arm)?;
    let mut chart = build(&area, x, y, X_AREA, RIGHT)?;
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

    let cx = |v: f64| v.clamp(x.0, x.1);
    let cy = |v: f64| v.clamp(y.0, y.1);
    let mut centres = Vec::new();
    // Thin boxes around the error bars, for the labels to avoid.
    let mut bars: Vec<Boxed> = Vec::new();
    let thin = |a: (i32, i32), b: (i32, i32)| {
        (
            a.0.min(b.0) - 3,
            a.1.min(b.1) - 3,
            a.0.max(b.0) + 3,
            a.1.max(b.1) + 3,
        )
    };
    for &(i, p) in &shown {
        let c = look(arms[i], 0).colour;
        if !inside((p.1, p.4), x, y) {
            continue;
        }
        let centre = chart.backend_coord(&(p.1, p.4));
        if p.2.is_finite() && p.3.is_finite() {
            let a = chart.backend_coord(&(cx(p.2), p.4));
            let b = chart.backend_coord(&(cx(p.3), p.4));
            error_bar(root, a, b, c)?;
            bars.push(thin(a, b));
        }
        if p.5.is_finite() && p.6.is_finite() {
            let a = chart.backend_coord(&(p.1, cy(p.5)));
            let b = chart.backend_coord(&(p.1, cy(p.6)));
            error_bar(root, a, b, c)?;
            bars.push(thin(a, b));
        }
        centres.push((i, centre));
    }
    let radius = 8;
    for &(i, centre) in &centres {
        let l = look(arms[i], 0);
        draw_marker(root, l.marker, centre, f64::from(radius) - 1.0, l.colour, 2)?;
    }

    // Labels: next to their point, avoiding other points and labels, inside the plot.
    let style = text(LABEL_PX);
    let mut taken: Vec<Boxed> = centres
        .iter()
        .map(|(_, (px, py))| (px - radius, py - radius, px + radius, py + radius))
        .collect();
    for &(i, (px, py)) in &centres {
        let label = &points[i].0;
        let (w, h) = root.estimate_text_size(label, &style).map_err(err)?;
        let (w, h) = (w as i32, h as i32);
        let gap = radius + 4;
        let candidates = [
            (px + gap, py - gap - h),
            (px + gap, py + gap),
            (px - gap - w, py - gap - h),
            (px - gap - w, py + gap),
            (px + gap, py - h / 2),
            (px - gap - w, py - h / 2),
            (px - w / 2, py - gap - h),
            (px - w / 2, py + gap),
        ];
        let own = (px - radius, py - radius, px + radius, py + radius);
        let mut best = (candidates[0], i64::MAX);
        for (tx, ty) in candidates {
            let b = (tx - 2, ty - 2, tx + w + 2, ty + h + 2);
            let outside = i64::from(b.0 < rect.0 || b.1 < rect.1 || b.2 > rect.2 || b.3 > rect.3);
            let cost = outside * 1_000_000
                + taken
                    .iter()
                    .filter(|t| **t != own)
                    .map(|t| 4 * overlap(*t, b))
                    .sum::<i64>()
                + bars.iter().map(|t| overlap(*t, b)).sum::<i64>();
            if cost < best.1 {
                best = ((tx, ty), cost);
            }
        }
        let (tx, ty) = best.0;
        taken.push((tx - 2, ty - 2, tx + w + 2, ty + h + 2));
        root.draw(&Rectangle::new(
            [(tx - 2, ty - 1), (tx + w + 2, ty + h + 1)],
            WHITE.mix(0.75).filled(),
        ))
        .map_err(err)?;
        root.draw(&Text::new(label.clone(), (tx, ty), &style))
            .map_err(err)?;
    }
    Ok(())
}
