//! Axis ranges, tick labels and clipping, and the frame of a chart: title, plotting area and
//! axes.

use super::err;
use super::style::{text, AXIS_PX, FONT, GREY, INK, TICK_PX, TITLE_PX};
use super::Chart;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

// ---------------------------------------------------------------------------------------------
// Ranges, ticks and clipping.

/// Magnitudes beyond this are clamped (keeps every span and pixel computation finite).
const LIMIT: f64 = 1e100;

pub(super) type Span = (f64, f64);
type Cart = Cartesian2d<RangedCoordf64, RangedCoordf64>;
pub(super) type Plot<'a, DB> = ChartContext<'a, DB, Cart>;

pub(super) fn clamp_limit(v: f64) -> f64 {
    v.clamp(-LIMIT, LIMIT)
}

/// A valid axis span: ordered, finite, and wide enough for plotters to place ticks.
pub(super) fn widen((a, b): Span) -> Span {
    let (lo, hi) = (clamp_limit(a.min(b)), clamp_limit(a.max(b)));
    let magnitude = lo.abs().max(hi.abs());
    if hi - lo > magnitude * 1e-9 && hi - lo > 1e-200 {
        return (lo, hi);
    }
    let mid = (lo + hi) / 2.0;
    let half = if magnitude > 1e-100 {
        magnitude * 0.1
    } else {
        0.5
    };
    (mid - half, mid + half)
}

/// Padded extent of the finite values, or `None` when there are none.
pub(super) fn extent(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<Span> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .map(clamp_limit)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return None;
    }
    let span = hi - lo;
    Some(widen((lo - pad * span, hi + pad * span)))
}

/// The caller's range when it is a finite non-empty interval.
pub(super) fn user_range(range: Option<Span>) -> Option<Span> {
    range
        .filter(|(a, b)| a.is_finite() && b.is_finite() && a != b)
        .map(widen)
}

/// Tick label formatter for an axis spanning `span`.
fn ticks(span: Span) -> impl Fn(&f64) -> String {
    let width = span.1 - span.0;
    let magnitude = span.0.abs().max(span.1.abs());
    let scientific = magnitude >= 1e6 || width < 1e-4;
    let decimals = (-(width / 10.0).log10().floor()).clamp(0.0, 8.0) as usize;
    move |v: &f64| {
        let v = if v.abs() < width * 1e-9 { 0.0 } else { *v };
        if scientific {
            format!("{v:.2e}")
        } else {
            format!("{v:.decimals$}")
        }
    }
}

pub(super) fn inside(p: (f64, f64), x: Span, y: Span) -> bool {
    p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1
}

/// The part of segment a-b inside the rectangle x by y (Liang-Barsky).
fn clip(a: (f64, f64), b: (f64, f64), x: Span, y: Span) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - x.0),
        (dx, x.1 - a.0),
        (-dy, a.1 - y.0),
        (dy, y.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Visible runs of a polyline: split at non-finite points and clipped to the rectangle.
pub(super) fn runs(
    points: impl IntoIterator<Item = (f64, f64)>,
    x: Span,
    y: Span,
) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    for p in points {
        if !(p.0.is_finite() && p.1.is_finite()) {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            prev = None;
            continue;
        }
        let p = (clamp_limit(p.0), clamp_limit(p.1));
        match prev {
            None if inside(p, x, y) => run.push(p),
            None => {}
            Some(q) => match clip(q, p, x, y) {
                Some((a, b)) => {
                    if run.last() != Some(&a) {
                        if !run.is_empty() {
                            out.push(std::mem::take(&mut run));
                        }
                        run.push(a);
                    }
                    run.push(b);
                }
                None => {
                    if !run.is_empty() {
                        out.push(std::mem::take(&mut run));
                    }
                }
            },
        }
        prev = Some(p);
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Frame: title, plotting area and axes.

const MARGIN: (u32, u32, u32) = (12, 8, 10); // top, bottom, left
/// Right margin: room for the last x tick label.
pub(super) const RIGHT: u32 = 30;
pub(super) const X_AREA: u32 = 58;
const Y_AREA: u32 = 88;

/// Fills the background, writes the title and returns the area left for the chart.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(err)?;
    root.margin(14, 0, 0, 0)
        .titled(
            title,
            (FONT, TITLE_PX, FontStyle::Bold).into_font().color(&INK),
        )
        .map_err(err)
}

pub(super) fn build<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Span,
    y: Span,
    x_area: u32,
    right: u32,
) -> Result<Plot<'a, DB>, String> {
    ChartBuilder::on(area)
        .margin_top(MARGIN.0)
        .margin_bottom(MARGIN.1)
        .margin_left(MARGIN.2)
        .margin_right(right)
        .x_label_area_size(x_area)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(err)
}

/// Pixel rectangle of the plotting area: (x0, y0, x1, y1), in root coordinates.
pub(super) fn plot_rect<DB: DrawingBackend>(chart: &Plot<'_, DB>) -> (i32, i32, i32, i32) {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    (xs.start, ys.start, xs.end, ys.end)
}

pub(super) fn mesh<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    spec: &Chart<'_>,
    x: Span,
    y: Span,
    x_ticks: bool,
) -> Result<(), String> {
    let fx = ticks(x);
    let fy = ticks(y);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(spec.x_label)
        .y_desc(spec.y_label)
        .axis_desc_style(text(AXIS_PX))
        .label_style(text(TICK_PX))
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(243, 243, 243))
        .max_light_lines(1)
        .set_all_tick_mark_size(6)
        .axis_style(GREY)
        .x_labels(11)
        .y_labels(11);
    if !x_ticks {
        mesh.x_labels(0).disable_x_mesh();
    }
    mesh.draw().map_err(err)
}
