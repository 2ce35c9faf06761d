//! Lines and step functions with interval bands: the drift curves, the Kaplan-Meier survival
//! curves and the sweep charts.

use super::axes::{clamp_limit, extent, frame, mesh, runs, user_range, Span};
use super::legend::{draw_legend, sample_line, with_legend, Entry, Swatch};
use super::style::{colour, dashed};
use super::{err, write, BandPoint, BandSeries, Chart, Figure, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Lines with shaded interval bands (drift curves per arm). Writes `<stem>.png` (1200 x 750)
/// and `<stem>.svg`. Consecutive points are joined by straight lines; a NaN `y` breaks the
/// line, and a point alone between gaps is drawn as a dot. The legend goes in the corner of the
/// plot that hides the least data.
pub fn line_bands(stem: &Path, chart: &Chart<'_>, series: &[BandSeries]) -> Result<(), PlotError> {
    write(
        stem,
        &Lines {
            spec: *chart,
            series,
            steps: false,
        },
    )
}

/// Step functions with bands (Kaplan-Meier survival curves): the same data as [`line_bands`],
/// drawn as right-continuous steps (each point's value and band hold until the next point's x;
/// the last point ends the curve).
pub fn step_bands(stem: &Path, chart: &Chart<'_>, series: &[BandSeries]) -> Result<(), PlotError> {
    write(
        stem,
        &Lines {
            spec: *chart,
            series,
            steps: true,
        },
    )
}

/// [`line_bands`] or, with `steps`, [`step_bands`].
struct Lines<'a> {
    spec: Chart<'a>,
    series: &'a [BandSeries],
    steps: bool,
}

impl Figure for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_lines(root, &self.spec, self.series, self.steps)
    }
}

/// Right-continuous step version of a series (each point holds until the next point's x).
fn stepify(points: &[BandPoint]) -> Vec<BandPoint> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, p) in points.iter().enumerate() {
        out.push(*p);
        if let Some(next) = points.get(i + 1) {
            out.push(BandPoint { x: next.x, ..*p });
        }
    }
    out
}

/// Band polygons (upper edge forward, lower edge back) for each run of finite bounds, clamped
/// to the y range.
fn band_polygons(points: &[BandPoint], y: Span) -> Vec<Vec<(f64, f64)>> {
    let ok = |p: &BandPoint| p.x.is_finite() && p.lower.is_finite() && p.upper.is_finite();
    points
        .split(|p| !ok(p))
        .filter(|run| run.len() >= 2)
        .map(|run| {
            let mut poly: Vec<(f64, f64)> = run
                .iter()
                .map(|p| (clamp_limit(p.x), p.upper.clamp(y.0, y.1)))
                .collect();
            poly.extend(
                run.iter()
                    .rev()
                    .map(|p| (clamp_limit(p.x), p.lower.clamp(y.0, y.1))),
            );
            poly
        })
        .collect()
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    series: &[BandSeries],
    steps: bool,
) -> Result<(), String> {
    let curves: Vec<Vec<BandPoint>> = series
        .iter()
        .map(|s| {
            let finite_x: Vec<BandPoint> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.x.is_finite())
                .collect();
            if steps {
                stepify(&finite_x)
            } else {
                finite_x
            }
        })
        .collect();
    let all = || curves.iter().flatten();
    let x = extent(
        all()
            .filter(|p| p.y.is_finite() || (p.lower.is_finite() && p.upper.is_finite()))
            .map(|p| p.x),
        0.0,
    )
    .unwrap_or((0.0, 1.0));
    let y = user_range(spec.y_range)
        .or_else(|| extent(all().flat_map(|p| [p.y, p.lower, p.upper]), 0.05))
        .unwrap_or((0.0, 1.0));
    let bands: Vec<Vec<Vec<(f64, f64)>>> = curves.iter().map(|c| band_polygons(c, y)).collect();
    let lines: Vec<Vec<Vec<(f64, f64)>>> = curves
        .iter()
        .map(|c| runs(c.iter().map(|p| (p.x, p.y)), x, y))
        .collect();
    let entries = series
        .iter()
        .zip(&bands)
        .enumerate()
        .map(|(i, (s, b))| Entry {
            name: s.name.clone(),
            colour: colour(i),
            swatch: Swatch::Line {
                band: !b.is_empty(),
                dashed: dashed(i),
            },
        })
        .collect();

    let area = frame(root, spec.title)?;
    let (mut chart, l, at) = with_legend(root, &area, x, y, entries, |chart| {
        let mut marks = Vec::new();
        // Covering a band hides less than covering a line: its edges weigh less.
        for poly in bands.iter().flatten() {
            let half = poly.len() / 2;
            sample_line(chart, &poly[..half], 0.2, &mut marks);
            sample_line(chart, &poly[half..], 0.2, &mut marks);
        }
        for run in lines.iter().flatten() {
            sample_line(chart, run, 1.0, &mut marks);
        }
        marks
    })?;
    mesh(&mut chart, spec, x, y, true)?;
    for (i, polys) in bands.into_iter().enumerate() {
        let fill = colour(i).mix(0.2).filled();
        chart
            .draw_series(polys.into_iter().map(|poly| Polygon::new(poly, fill)))
            .map_err(err)?;
    }
    for (i, runs) in lines.into_iter().enumerate() {
        let c = colour(i);
        let style = c.stroke_width(3);
        for run in runs {
            if run.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(run[0], 4, c.filled())))
                    .map_err(err)?;
            } else if dashed(i) {
                chart
                    .draw_series(DashedLineSeries::new(run, 10, 6, style))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(run, style))
                    .map_err(err)?;
            }
        }
    }
    draw_legend(root, &l, at)
}
