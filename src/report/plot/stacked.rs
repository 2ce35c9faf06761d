//! Stacked areas: the exposure of an arm's probes per surface over steps.

use super::axes::{
    build, clamp_limit, extent, frame, mesh, plot_rect, runs, user_range, widen, Span, RIGHT,
    X_AREA,
};
use super::legend::{
    corners, draw_legend, legend, sample_line, with_legend, Entry, Place, Swatch, INSET,
};
use super::output::{err, write, Figure, PlotError};
use super::palette::layer;
use super::spec::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Stacked areas (exposure per surface over steps): `layers[i]` is (name, y value per `x`),
/// stacked in order from the bottom, each in its own light colour (not an arm's: the arm is
/// `chart.arm`, marked before the title). A missing, NaN or negative value counts as zero; an x
/// that is not finite is skipped. With `y_range: None` the range runs from zero to above the
/// total, with room for the legend; give every chart of a set the same `y_range` to compare
/// them.
pub fn stacked_areas(
    stem: &Path,
    chart: &Chart<'_>,
    x: &[f64],
    layers: &[(String, Vec<f64>)],
) -> Result<(), PlotError> {
    write(
        stem,
        &Stacked {
            spec: *chart,
            x,
            layers,
        },
    )
}

/// [`stacked_areas`].
struct Stacked<'a> {
    spec: Chart<'a>,
    x: &'a [f64],
    layers: &'a [(String, Vec<f64>)],
}

impl Figure for Stacked<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_stacked(root, &self.spec, self.x, self.layers)
    }
}

fn draw_stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    xs: &[f64],
    layers: &[(String, Vec<f64>)],
) -> Result<(), String> {
    // Columns with a finite x, and the cumulative totals below and above each layer.
    let cols: Vec<usize> = (0..xs.len()).filter(|&i| xs[i].is_finite()).collect();
    let xs: Vec<f64> = cols.iter().map(|&i| clamp_limit(xs[i])).collect();
    let mut levels = vec![vec![0.0; cols.len()]];
    for (_, values) in layers {
        let below = levels.last().cloned().unwrap_or_default();
        let level = cols
            .iter()
            .zip(below)
            .map(|(&i, b)| {
                let v = values
                    .get(i)
                    .copied()
                    .filter(|v| v.is_finite())
                    .unwrap_or(0.0);
                clamp_limit(b + v.max(0.0))
            })
            .collect();
        levels.push(level);
    }
    let total = levels.last().cloned().unwrap_or_default();
    let x = extent(xs.iter().copied(), 0.0).unwrap_or((0.0, 1.0));
    let entries: Vec<Entry> = layers
        .iter()
        .enumerate()
        .map(|(i, (name, _))| Entry {
            name: name.clone(),
            swatch: Swatch::Area { colour: layer(i) },
        })
        .collect();

    let area = frame(root, spec.title, spec.arm)?;
    let y = match user_range(spec.y_range) {
        Some(y) => y,
        None => {
            let top = total.iter().copied().fold(0.0, f64::max);
            if top > 0.0 {
                widen((
                    0.0,
                    headroom(root, &area, x, &xs, &total, &entries)?.max(top * 1.05),
                ))
            } else {
                (0.0, 1.0)
            }
        }
    };
    let clamp = |v: f64| v.clamp(y.0, y.1);
    let (mut chart, l, at) = with_legend(root, &area, x, y, X_AREA, &entries, &[], |chart| {
        // The filled region under the total, and the total itself.
        let mut marks = Vec::new();
        let bottom = chart.backend_coord(&(x.0, y.0)).1;
        for (&xv, &t) in xs.iter().zip(&total) {
            let (px, top) = chart.backend_coord(&(xv, clamp(t)));
            marks.extend((top..=bottom).step_by(4).map(|py| (px, py, 0.5)));
        }
        for run in runs(xs.iter().copied().zip(total.iter().copied()), x, y) {
            sample_line(chart, &run, 1.0, &mut marks);
        }
        marks
    })?;
    mesh(&mut chart, spec, x, y, true)?;
    for (l, pair) in levels.windows(2).enumerate() {
        let c = layer(l);
        if xs.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = xs
                .iter()
                .zip(&pair[1])
                .map(|(&a, &b)| (a, clamp(b)))
                .collect();
            poly.extend(xs.iter().zip(&pair[0]).rev().map(|(&a, &b)| (a, clamp(b))));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.filled())))
                .map_err(err)?;
        }
        for run in runs(xs.iter().copied().zip(pair[1].iter().copied()), x, y) {
            if run.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(run[0], 4, c.filled())))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(run, WHITE.mix(0.9).stroke_width(1)))
                    .map_err(err)?;
            }
        }
    }
    draw_legend(root, &l, at)
}

/// The top of the y range that leaves room for the legend above the stacked `total` in one
/// of the upper corners (the one needing less); zero if the legend is too tall for that.
fn headroom<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    x: Span,
    xs: &[f64],
    total: &[f64],
    entries: &[Entry],
) -> Result<f64, String> {
    let probe = build(area, x, (0.0, 1.0), X_AREA, RIGHT)?;
    let rect = plot_rect(&probe);
    let l = legend(root, entries, &[], rect, Place::Inside)?;
    let (w, h) = (f64::from(rect.2 - rect.0), f64::from(rect.3 - rect.1));
    let below = f64::from(INSET + l.h + 8) / h;
    if below >= 0.8 {
        return Ok(0.0);
    }
    let to_x = |px: i32| x.0 + f64::from(px - rect.0) / w * (x.1 - x.0);
    Ok(corners(&l, rect)[..2]
        .iter()
        .map(|c| {
            let (a, b) = (to_x(c.0 - 4), to_x(c.0 + l.w + 4));
            let under = xs
                .iter()
                .zip(total)
                .filter(|(xv, _)| **xv >= a && **xv <= b)
                .map(|(_, t)| *t)
                .fold(0.0, f64::max);
            under / (1.0 - below)
        })
        .fold(f64::INFINITY, f64::min))
}
