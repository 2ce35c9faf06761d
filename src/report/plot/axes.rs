//! Axis ranges, tick labels and clipping, and the frame of a chart: title, plotting area and
//! axes.

use super::marker::draw_marker;
use super::output::err;
use super::palette::look;
use super::spec::{Chart, Unit};
use super::style::{anchored, text, AXIS_PX, FONT, GREY, INK, LABEL_PX, TICK_PX, TITLE_PX};
use super::text::{width, wrap};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
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

/// Tick label formatter for an axis spanning `span` (in data units) written in `unit`.
fn ticks(span: Span, unit: Unit) -> impl Fn(&f64) -> String {
    let (scale, suffix) = match unit {
        Unit::Plain => (1.0, ""),
        Unit::Percent => (100.0, "%"),
    };
    let width = (span.1 - span.0) * scale;
    let magnitude = span.0.abs().max(span.1.abs()) * scale;
    let scientific = magnitude >= 1e6 || width < 1e-4;
    let decimals = (-(width / 10.0).log10().floor()).clamp(0.0, 8.0) as usize;
    move |v: &f64| {
        let v = v * scale;
        let v = if v.abs() < width * 1e-9 { 0.0 } else { v };
        if scientific {
            format!("{v:.2e}{suffix}")
        } else {
            format!("{v:.decimals$}{suffix}")
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

/// Fills the background, writes the title (after the marker of `arm`, in its colour, when the
/// chart is about one arm) and returns the area left for the chart.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    arm: Option<usize>,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(err)?;
    let style = (FONT, TITLE_PX, FontStyle::Bold).into_font().color(&INK);
    let area = root
        .margin(14, 0, 0, 0)
        .titled(title, style.clone())
        .map_err(err)?;
    if let Some(arm) = arm {
        let w = width(root, title, &style)?;
        let (root_w, _) = root.dim_in_pixel();
        let x = root_w as i32 / 2 - w / 2 - 22;
        let l = look(arm, 0);
        draw_marker(root, l.marker, (x, 25), 9.0, l.colour, 0)?;
    }
    Ok(area)
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
    let fx = ticks(x, spec.x_unit);
    let fy = ticks(y, spec.y_unit);
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

// ---------------------------------------------------------------------------------------------
// Categories along x.

/// The x span of `n` categories: category `i` is centred on x = i.
pub(super) fn category_span(n: usize) -> Span {
    (-0.5, n.max(1) as f64 - 0.5)
}

/// Names of `n` categories wrapped to the width of one category's slot in a plot `plot_w`
/// pixels wide (at most three lines each), and the height of the x label area that holds them
/// with the axis label under them.
pub(super) fn category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    names: &[String],
    plot_w: i32,
) -> Result<(Vec<Vec<String>>, u32), String> {
    let n = names.len().max(1) as i32;
    let slot = plot_w / n;
    let style = anchored(LABEL_PX, HPos::Center, VPos::Top);
    let labels: Vec<Vec<String>> = names
        .iter()
        .map(|name| wrap(root, name, &style, (slot - 8).max(16), Some(3)))
        .collect::<Result<_, _>>()?;
    let lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1) as i32;
    let x_area = (12 + lines * category_line_height(root)? + 12 + AXIS_PX as i32 + 12) as u32;
    Ok((labels, x_area.max(X_AREA)))
}

fn category_line_height<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>) -> Result<i32, String> {
    let style = anchored(LABEL_PX, HPos::Center, VPos::Top);
    Ok(root.estimate_text_size("Ag", &style).map_err(err)?.1 as i32 + 2)
}

/// Writes the wrapped category names under their slots of `chart`.
pub(super) fn draw_category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Plot<'_, DB>,
    labels: &[Vec<String>],
    y0: f64,
) -> Result<(), String> {
    let style = anchored(LABEL_PX, HPos::Center, VPos::Top);
    let line_h = category_line_height(root)?;
    let bottom = plot_rect(chart).3;
    for (i, label) in labels.iter().enumerate() {
        let (px, _) = chart.backend_coord(&(i as f64, y0));
        for (k, line) in label.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (px, bottom + 10 + k as i32 * line_h),
                &style,
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_ticks_write_fractions_as_percentages() {
        let f = ticks((0.0, 1.0), Unit::Percent);
        assert_eq!(f(&0.5), "50%");
        assert_eq!(f(&1.0), "100%");
        let g = ticks((0.0, 0.003), Unit::Percent);
        assert_eq!(g(&0.0025), "0.25%");
        let h = ticks((0.0, 1.0), Unit::Plain);
        assert_eq!(h(&0.5), "0.5");
    }
}
