//! Lines and step functions with interval bands: the drift curves, the Kaplan-Meier survival
//! curves and the sweep charts; on a categorical x axis, points with error bars instead.

use super::axes::{
    build, category_labels, category_span, clamp_limit, draw_category_labels, extent, frame,
    inside, mesh, plot_rect, runs, user_range, Span, RIGHT, X_AREA,
};
use super::legend::{dashed_line, draw_legend, sample_line, with_legend, Band, Entry, Swatch};
use super::marker::{coinciding, draw_marker, error_bar, ring};
use super::output::{err, write, Figure, PlotError};
use super::palette::look;
use super::spec::{BandPoint, BandSeries, Chart};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Lines with interval bands (drift curves per arm, sweep charts). Writes `<stem>.png`
/// (1200 x 750) and `<stem>.svg`.
///
/// Each series is drawn in the colour, marker and dash pattern of its arm and variant (see
/// [`BandSeries`]). On a continuous x axis, consecutive points are joined by straight lines
/// (a NaN `y` breaks the line) and marked: every point when a series has at most 25, else
/// about eight evenly spaced markers (step functions: eight, evenly spaced in x). On a
/// categorical x axis (`chart.x_categories`), points are marked with their interval as an
/// error bar, side by side within their category, and never joined.
///
/// When bands of different series overlap, bands are drawn as thin lines along their edges
/// rather than shaded, so no blended colour appears, and the legend says so. Markers of
/// different series that coincide are drawn as rings around the first (at most three), and
/// series equal to within about half a pixel (which hide each other's lines) are named in the
/// legend. The legend goes in the corner of the plot that hides the least data, or beside the
/// plot; names are never cut.
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

/// Most points a series may have for every one of them to be marked.
const MARK_ALL: usize = 25;
/// Markers along a longer series.
const SPARSE_MARKERS: usize = 8;
/// Marker radius; where markers of several series coincide, the later ones are rings around
/// the first, each `RING_STEP` wider, at most `MAX_RINGS` of them.
const MARKER_R: f64 = 5.5;
const RING_STEP: f64 = 3.0;
const MAX_RINGS: usize = 3;

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

/// Whether the bands of two series overlap: at some x both have, their intervals intersect
/// with a positive length.
fn bands_overlap(a: &[BandPoint], b: &[BandPoint]) -> bool {
    let finite = |p: &BandPoint| p.lower.is_finite() && p.upper.is_finite();
    a.iter().filter(|p| finite(p)).any(|p| {
        b.iter()
            .filter(|q| finite(q) && q.x == p.x)
            .any(|q| p.lower.max(q.lower) < p.upper.min(q.upper))
    })
}

/// Whether two series hold the same values at the same x: their values and band edges differ
/// by at most `tol` (NaN matching NaN).
fn same_values(a: &[BandPoint], b: &[BandPoint], tol: f64) -> bool {
    let eq = |u: f64, v: f64| (u - v).abs() <= tol || u == v || (u.is_nan() && v.is_nan());
    a.len() == b.len()
        && !a.is_empty()
        && a.iter().zip(b).all(|(p, q)| {
            p.x == q.x && eq(p.y, q.y) && eq(p.lower, q.lower) && eq(p.upper, q.upper)
        })
}

/// Groups of series with the same values (indices in series order), and for each series its
/// group and rank in it, when it has one.
type Groups = (Vec<Vec<usize>>, Vec<Option<(usize, usize)>>);

/// Groups of at least two series with the same values (to within `tol`), each in series
/// order, and for each series the index of its group and its rank in it, when it has one.
fn identical_groups(series: &[BandSeries], tol: f64) -> Groups {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut member: Vec<Option<(usize, usize)>> = vec![None; series.len()];
    for i in 0..series.len() {
        if member[i].is_some() {
            continue;
        }
        let group: Vec<usize> = (i..series.len())
            .filter(|&j| {
                member[j].is_none() && same_values(&series[i].points, &series[j].points, tol)
            })
            .collect();
        if group.len() >= 2 {
            for (rank, &j) in group.iter().enumerate() {
                member[j] = Some((groups.len(), rank));
            }
            groups.push(group);
        }
    }
    (groups, member)
}

/// Indices of the points of a series of `n` points that carry a marker: all of them when
/// there are few, else about [`SPARSE_MARKERS`] evenly spaced, shifted by the arm so that
/// arms with close curves do not put their markers at the same steps.
fn marked(n: usize, arm: usize) -> Vec<usize> {
    if n <= MARK_ALL {
        return (0..n).collect();
    }
    let stride = n.div_ceil(SPARSE_MARKERS);
    let phase = (stride / 2 + arm * 3) % stride;
    (phase..n).step_by(stride).collect()
}

/// Markers along a step function (points in x order, each value holding until the next
/// point): [`SPARSE_MARKERS`] evenly spaced across the x span `x`, shifted by the arm so that
/// arms with close curves do not put their markers at the same x, each on the curve's value
/// there; none before the first point or after the last. Spacing by x, not by point, keeps
/// curves with few steps from being marked at every step.
fn step_marks(points: &[&BandPoint], x: Span, arm: usize) -> Vec<(f64, f64)> {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let n = SPARSE_MARKERS;
    let phase = ((arm * 3) % n) as f64 + 0.5;
    (0..n)
        .map(|k| x.0 + (k as f64 + phase / n as f64) * (x.1 - x.0) / n as f64)
        .filter(|&at| at >= first.x && at <= last.x)
        .filter_map(|at| points.iter().rev().find(|p| p.x <= at).map(|p| (at, p.y)))
        .collect()
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    series: &[BandSeries],
    steps: bool,
) -> Result<(), String> {
    let categorical = !spec.x_categories.is_empty();
    let finite_x: Vec<Vec<BandPoint>> = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .copied()
                .filter(|p| p.x.is_finite())
                .collect()
        })
        .collect();
    let curves: Vec<Vec<BandPoint>> = finite_x
        .iter()
        .map(|c| {
            if steps && !categorical {
                stepify(c)
            } else {
                c.clone()
            }
        })
        .collect();
    let all = || curves.iter().flatten();
    let x = if categorical {
        category_span(spec.x_categories.len())
    } else {
        // When every point is marked (a sweep), a little room at both ends keeps the markers
        // of the first and last points off the frame.
        let all_marked = !steps && finite_x.iter().all(|c| c.len() <= MARK_ALL);
        extent(
            all()
                .filter(|p| p.y.is_finite() || (p.lower.is_finite() && p.upper.is_finite()))
                .map(|p| p.x),
            if all_marked { 0.03 } else { 0.0 },
        )
        .unwrap_or((0.0, 1.0))
    };
    // Marked points on a fixed range's edge (a share of 0% or 100%) get the same room, so
    // their markers stay off the axis and its tick labels.
    let all_marked = !categorical && !steps && finite_x.iter().all(|c| c.len() <= MARK_ALL);
    let y = user_range(spec.y_range)
        .map(|(lo, hi)| {
            let pad = if all_marked { 0.03 * (hi - lo) } else { 0.0 };
            (lo - pad, hi + pad)
        })
        .or_else(|| extent(all().flat_map(|p| [p.y, p.lower, p.upper]), 0.05))
        .unwrap_or((0.0, 1.0));
    let bands: Vec<Vec<Vec<(f64, f64)>>> = if categorical {
        vec![Vec::new(); curves.len()]
    } else {
        curves.iter().map(|c| band_polygons(c, y)).collect()
    };
    let overlapping = (0..curves.len()).any(|i| {
        (i + 1..curves.len()).any(|j| {
            !bands[i].is_empty() && !bands[j].is_empty() && bands_overlap(&curves[i], &curves[j])
        })
    });
    let band = if overlapping {
        Band::Edges
    } else {
        Band::Filled
    };
    let lines: Vec<Vec<Vec<(f64, f64)>>> = curves
        .iter()
        .map(|c| runs(c.iter().map(|p| (p.x, p.y)), x, y))
        .collect();
    // Series closer than about half a pixel everywhere look the same: they are named.
    let (groups, member) = identical_groups(series, (y.1 - y.0) / 1000.0);
    // Offsets of each series within its category, so that points side by side stay visible.
    let dodge = |i: usize| -> f64 {
        if !categorical || series.len() < 2 {
            return 0.0;
        }
        let w = (0.7 / series.len() as f64).min(0.12);
        (i as f64 - (series.len() - 1) as f64 / 2.0) * w
    };
    // Points that carry a marker, per series: (x, y) before the dodge.
    let markers: Vec<Vec<(f64, f64)>> = finite_x
        .iter()
        .zip(series)
        .map(|(c, s)| {
            let drawn: Vec<&BandPoint> = c.iter().filter(|p| p.y.is_finite()).collect();
            if steps && !categorical {
                return step_marks(&drawn, x, s.arm);
            }
            marked(drawn.len(), s.arm)
                .into_iter()
                .map(|k| (drawn[k].x, drawn[k].y))
                .collect()
        })
        .collect();

    let entries: Vec<Entry> = series
        .iter()
        .zip(&bands)
        .map(|(s, b)| Entry {
            name: s.name.clone(),
            swatch: if categorical {
                Swatch::Point {
                    look: look(s.arm, s.variant),
                }
            } else {
                Swatch::Line {
                    look: look(s.arm, s.variant),
                    band: if b.is_empty() { Band::None } else { band },
                    marker: true,
                }
            },
        })
        .collect();
    let mut notes = Vec::new();
    if overlapping {
        notes.push(
            "Thin lines: edges of each interval band, left unfilled so that overlapping \
             bands do not mix colours."
                .to_string(),
        );
    }
    for g in &groups {
        let names: Vec<&str> = g.iter().map(|&i| series[i].name.as_str()).collect();
        notes.push(format!(
            "Equal to within a pixel, drawn over each other: {}.",
            names.join("; ")
        ));
    }

    let area = frame(root, spec.title, spec.arm)?;
    let (labels, x_area) = if categorical {
        let probe = build(&area, x, y, X_AREA, RIGHT)?;
        let rect = plot_rect(&probe);
        category_labels(root, spec.x_categories, rect.2 - rect.0)?
    } else {
        (Vec::new(), X_AREA)
    };
    let (mut chart, l, at) = with_legend(root, &area, x, y, x_area, &entries, &notes, |chart| {
        let mut marks = Vec::new();
        // Covering a band hides less than covering a line: its edges weigh less.
        for poly in bands.iter().flatten() {
            let half = poly.len() / 2;
            sample_line(chart, &poly[..half], 0.2, &mut marks);
            sample_line(chart, &poly[half..], 0.2, &mut marks);
        }
        if !categorical {
            for run in lines.iter().flatten() {
                sample_line(chart, run, 1.0, &mut marks);
            }
        }
        for (i, c) in curves.iter().enumerate() {
            for p in c.iter().filter(|p| p.y.is_finite()) {
                let at = (p.x + dodge(i), p.y.clamp(y.0, y.1));
                sample_line(chart, &[at], 3.0, &mut marks);
                if categorical && p.lower.is_finite() && p.upper.is_finite() {
                    let (lo, hi) = (p.lower.clamp(y.0, y.1), p.upper.clamp(y.0, y.1));
                    sample_line(chart, &[(at.0, lo), (at.0, hi)], 1.0, &mut marks);
                }
            }
        }
        marks
    })?;
    mesh(&mut chart, spec, x, y, !categorical)?;
    if categorical {
        draw_category_labels(root, &chart, &labels, y.0)?;
    }
    let to_px = |p: (f64, f64)| chart.backend_coord(&p);
    // Bands, then lines, then markers: no line hides a marker.
    for (i, (s, polys)) in series.iter().zip(&bands).enumerate() {
        // The band of a series identical to an earlier one is that one's: drawn once.
        if member[i].is_some_and(|(_, rank)| rank > 0) {
            continue;
        }
        let c = look(s.arm, s.variant).colour;
        for poly in polys {
            if overlapping {
                let half = poly.len() / 2;
                for edge in [&poly[..half], &poly[half..]] {
                    let px: Vec<(i32, i32)> = edge.iter().map(|&p| to_px(p)).collect();
                    root.draw(&PathElement::new(px, c.stroke_width(1)))
                        .map_err(err)?;
                }
            } else {
                let px: Vec<(i32, i32)> = poly.iter().map(|&p| to_px(p)).collect();
                root.draw(&Polygon::new(px, c.mix(0.2).filled()))
                    .map_err(err)?;
            }
        }
    }
    if !categorical {
        for (s, runs) in series.iter().zip(&lines) {
            let l = look(s.arm, s.variant);
            for run in runs.iter().filter(|r| r.len() >= 2) {
                let px: Vec<(i32, i32)> = run.iter().map(|&p| to_px(p)).collect();
                dashed_line(root, px, l.dash, l.colour.stroke_width(3))?;
            }
        }
    } else {
        for (i, (s, c)) in series.iter().zip(&curves).enumerate() {
            let colour = look(s.arm, s.variant).colour;
            for p in c
                .iter()
                .filter(|p| p.lower.is_finite() && p.upper.is_finite())
            {
                let px = p.x + dodge(i);
                let a = to_px((px, p.lower.clamp(y.0, y.1)));
                let b = to_px((px, p.upper.clamp(y.0, y.1)));
                error_bar(root, a, b, colour)?;
            }
        }
    }
    // Markers: where marks of several series coincide, the later ones are rings around the
    // first (the widest drawn first).
    let mut marks: Vec<(usize, (i32, i32))> = Vec::new();
    for (i, points) in markers.iter().enumerate() {
        for &(px, py) in points {
            let p = (px + dodge(i), py);
            if inside(p, x, y) {
                marks.push((i, to_px(p)));
            }
        }
    }
    let groups = coinciding(
        &marks.iter().map(|&(_, c)| c).collect::<Vec<_>>(),
        MARKER_R * 1.5,
    );
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&k| (std::cmp::Reverse(groups[k].rank), k));
    for k in order {
        let (i, _) = marks[k];
        let g = groups[k];
        let l = look(series[i].arm, series[i].variant);
        let at = marks[g.first].1;
        if g.rank == 0 {
            draw_marker(root, l.marker, at, MARKER_R, l.colour, 1)?;
        } else if g.rank <= MAX_RINGS {
            let r = MARKER_R * 1.6 + RING_STEP * g.rank as f64;
            ring(root, at, r, l.colour, 2)?;
        }
    }
    draw_legend(root, &l, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(x: f64, y: f64) -> BandPoint {
        BandPoint {
            x,
            y,
            lower: y - 0.1,
            upper: y + 0.1,
        }
    }

    fn series(name: &str, arm: usize, ys: &[f64]) -> BandSeries {
        BandSeries {
            name: name.into(),
            points: ys
                .iter()
                .enumerate()
                .map(|(i, &y)| pt(i as f64, y))
                .collect(),
            arm,
            variant: 0,
        }
    }

    #[test]
    fn identical_series_are_grouped_in_order() {
        let s = vec![
            series("a", 0, &[0.1, 0.2]),
            series("b", 1, &[0.5, 0.6]),
            series("c", 2, &[0.1, 0.2]),
            series("d", 3, &[0.1, 0.2]),
            series("e", 4, &[0.5, 0.6]),
            series("f", 5, &[0.9, 0.9]),
        ];
        let (groups, member) = identical_groups(&s, 0.0);
        assert_eq!(groups, vec![vec![0, 2, 3], vec![1, 4]]);
        assert_eq!(member[3], Some((0, 2)));
        assert_eq!(member[5], None);
    }

    #[test]
    fn series_within_the_tolerance_are_grouped() {
        let s = vec![
            series("a", 0, &[0.1, 0.2]),
            series("b", 1, &[0.1004, 0.2]),
            series("c", 2, &[0.102, 0.2]),
        ];
        assert_eq!(identical_groups(&s, 0.001).0, vec![vec![0, 1]]);
        assert!(identical_groups(&s, 0.0).0.is_empty());
    }

    #[test]
    fn bands_overlap_only_where_intervals_meet() {
        let a = series("a", 0, &[0.1, 0.2]).points;
        let b = series("b", 1, &[0.15, 0.9]).points;
        let c = series("c", 2, &[0.8, 0.9]).points;
        assert!(bands_overlap(&a, &b));
        assert!(!bands_overlap(&a, &c));
    }

    #[test]
    fn step_functions_are_marked_evenly_in_x() {
        let points: Vec<BandPoint> = [(0.0, 1.0), (3.0, 0.9), (50.0, 0.5), (90.0, 0.4)]
            .iter()
            .map(|&(x, y)| pt(x, y))
            .collect();
        let refs: Vec<&BandPoint> = points.iter().collect();
        let marks = step_marks(&refs, (0.0, 100.0), 0);
        // Eight positions 12.5 apart, from 0.78 to 88.28: all on the curve (it ends at 90).
        let xs: Vec<f64> = marks.iter().map(|m| m.0).collect();
        assert_eq!(xs.len(), 8, "{xs:?}");
        assert!((xs[1] - xs[0] - 12.5).abs() < 1e-9);
        // Each on the value holding there.
        assert_eq!(marks[0].1, 1.0);
        assert_eq!(marks[1].1, 0.9);
        assert_eq!(marks[4].1, 0.5);
        assert_eq!(marks[7].1, 0.5);
        // None past the end of a curve.
        assert_eq!(step_marks(&refs[..3], (0.0, 100.0), 0).len(), 4);
        assert_ne!(step_marks(&refs, (0.0, 100.0), 1)[0].0, xs[0]);
    }

    #[test]
    fn few_points_are_all_marked_and_long_series_sparsely() {
        assert_eq!(marked(3, 7), vec![0, 1, 2]);
        let m = marked(100, 0);
        assert!(
            m.len() >= SPARSE_MARKERS - 1 && m.len() <= SPARSE_MARKERS + 1,
            "{m:?}"
        );
        assert_ne!(marked(100, 0), marked(100, 1));
    }
}
