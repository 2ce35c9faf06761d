//! Charts as PNG (1200 x 750) and SVG, drawn with plotters from plain data.
//!
//! Every function takes a file *stem* and writes `<stem>.png` and `<stem>.svg` next to each
//! other (the stem's own extension, if any, is kept: `a/drift.v2` gives `a/drift.v2.png`). Each
//! file is drawn under a hidden temporary name in the same directory and renamed into place, so
//! a directory never holds a half-written chart.
//!
//! Text uses DejaVu Sans embedded in the binary (registered once as the `sans-serif` family),
//! so charts render on machines without any font package. The SVG files name the family
//! `sans-serif` and leave the choice of glyphs to the viewer.
//!
//! Colours come from the Okabe-Ito palette (safe for the common colour-vision deficiencies);
//! past its eight colours, line series repeat the palette with dashed lines.
//!
//! Bad data never panics and is not an error:
//! - empty input draws an empty chart (title, axes, unit range) and returns `Ok`;
//! - a NaN or infinite value is a gap (lines), no band (bands), zero (stacked areas) or a
//!   missing mark (bars, points);
//! - values outside the chart's y range are clipped at the edge of the plot, and a
//!   `y_range` that is not a finite, non-empty interval is ignored (the range is fitted);
//! - magnitudes beyond 1e100 are clamped to it.
//!
//! The only errors are failures to draw or write a file ([`PlotError::Draw`]), for example a
//! missing or read-only directory.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Pixel size of every chart (the PNG's size and the SVG's view box).
pub const SIZE: (u32, u32) = (1200, 750);

/// One line with an optional interval band.
#[derive(Clone, Debug, PartialEq)]
pub struct BandSeries {
    /// Name shown in the legend.
    pub name: String,
    /// Points in increasing x order.
    pub points: Vec<BandPoint>,
}

/// A point of a [`BandSeries`]: a NaN `y` is a gap in the line, a NaN `lower` or `upper` means
/// no band at this x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandPoint {
    /// Position on the x axis.
    pub x: f64,
    /// Value of the line.
    pub y: f64,
    /// Lower edge of the band.
    pub lower: f64,
    /// Upper edge of the band.
    pub upper: f64,
}

/// Title and axes of a chart. Units belong in the axis labels.
#[derive(Clone, Copy, Debug)]
pub struct Chart<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Label of the x axis (with its unit).
    pub x_label: &'a str,
    /// Label of the y axis (with its unit).
    pub y_label: &'a str,
    /// Fixed y range `(low, high)`; `None`: fitted to the data. Values outside are clipped.
    pub y_range: Option<(f64, f64)>,
}

/// A chart that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// Drawing or writing an output file failed.
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The output file (`<stem>.png` or `<stem>.svg`).
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Lines with shaded interval bands (drift curves per arm). Writes `<stem>.png` (1200 x 750)
/// and `<stem>.svg`. Consecutive points are joined by straight lines; a NaN `y` breaks the
/// line, and a point alone between gaps is drawn as a dot. The legend goes in the corner of the
/// plot that hides the least data.
pub fn line_bands(stem: &Path, chart: &Chart<'_>, series: &[BandSeries]) -> Result<(), PlotError> {
    write(
        stem,
        &Figure::Lines {
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
        &Figure::Lines {
            spec: *chart,
            series,
            steps: true,
        },
    )
}

/// Stacked areas (exposure per surface over steps): `layers[i]` is (name, y value per `x`),
/// stacked in order from the bottom. A missing, NaN or negative value counts as zero; an x
/// that is not finite is skipped. With `y_range: None` the range runs from zero to above the
/// total, with room for the legend.
pub fn stacked_areas(
    stem: &Path,
    chart: &Chart<'_>,
    x: &[f64],
    layers: &[(String, Vec<f64>)],
) -> Result<(), PlotError> {
    write(
        stem,
        &Figure::Stacked {
            spec: *chart,
            x,
            layers,
        },
    )
}

/// Bars with error bars (drift reduction per arm): (label, estimate, lower, upper) per bar, in
/// order along the x axis. Bars start at zero; labels are written under their bar (wrapped if
/// long); `chart.x_label` names the categories and `chart.y_label` the value. A bar whose
/// estimate is NaN is drawn as "n/a" (with its interval if that is finite).
pub fn bars_with_errors(
    stem: &Path,
    chart: &Chart<'_>,
    bars: &[(String, f64, f64, f64)],
) -> Result<(), PlotError> {
    write(stem, &Figure::Bars { spec: *chart, bars })
}

/// Labelled points with error bars in x and y (drift reduction against collateral cost, a
/// Pareto view): (label, x, x_lo, x_hi, y, y_lo, y_hi). Each point gets its own colour and its
/// label is placed next to it where it overlaps the fewest other marks. Dotted grey lines mark
/// x = 0 and y = 0 when they are in range. A point with a non-finite coordinate, or outside a
/// fixed `y_range`, is left out; error bars are clipped to the plot.
pub fn labelled_scatter(
    stem: &Path,
    chart: &Chart<'_>,
    points: &[(String, f64, f64, f64, f64, f64, f64)],
) -> Result<(), PlotError> {
    write(
        stem,
        &Figure::Scatter {
            spec: *chart,
            points,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Style.

const FONT: &str = "sans-serif";
const TITLE_PX: u32 = 28;
const AXIS_PX: u32 = 20;
const TICK_PX: u32 = 16;
const LEGEND_PX: u32 = 18;
const LABEL_PX: u32 = 16;
/// Magnitudes beyond this are clamped (keeps every span and pixel computation finite).
const LIMIT: f64 = 1e100;

/// Okabe-Ito colours in series order: the most distinct first, yellow (weak on white) last.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];
const INK: RGBColor = RGBColor(30, 30, 30);
const GREY: RGBColor = RGBColor(110, 110, 110);

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn dashed(i: usize) -> bool {
    i >= PALETTE.len()
}

fn text(px: u32) -> TextStyle<'static> {
    (FONT, px).into_font().color(&INK)
}

fn anchored(px: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text(px).pos(Pos::new(h, v))
}

/// Registers the embedded fonts with plotters, once per process.
fn register_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let invalid = |_| "the embedded DejaVu Sans font is not a valid font".to_string();
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(invalid)?;
            plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
                .map_err(invalid)
        })
        .clone()
}

// ---------------------------------------------------------------------------------------------
// Output.

enum Figure<'a> {
    Lines {
        spec: Chart<'a>,
        series: &'a [BandSeries],
        steps: bool,
    },
    Stacked {
        spec: Chart<'a>,
        x: &'a [f64],
        layers: &'a [(String, Vec<f64>)],
    },
    Bars {
        spec: Chart<'a>,
        bars: &'a [(String, f64, f64, f64)],
    },
    Scatter {
        spec: Chart<'a>,
        points: &'a [(String, f64, f64, f64, f64, f64, f64)],
    },
}

impl Figure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        match self {
            Figure::Lines {
                spec,
                series,
                steps,
            } => draw_lines(root, spec, series, *steps),
            Figure::Stacked { spec, x, layers } => draw_stacked(root, spec, x, layers),
            Figure::Bars { spec, bars } => draw_bars(root, spec, bars),
            Figure::Scatter { spec, points } => draw_scatter(root, spec, points),
        }
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `figure` to `<stem>.png` and `<stem>.svg`, each under a temporary name then renamed.
fn write(stem: &Path, figure: &Figure<'_>) -> Result<(), PlotError> {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let Some(name) = stem.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(PlotError::Draw {
            path: stem.to_path_buf(),
            message: "the output stem has no file name".into(),
        });
    };
    for ext in ["png", "svg"] {
        let path = stem.with_file_name(format!("{name}.{ext}"));
        let fail = |message: String| PlotError::Draw {
            path: path.clone(),
            message,
        };
        register_fonts().map_err(fail)?;
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        // The temporary name keeps the extension: the bitmap backend picks the format from it.
        let tmp = stem.with_file_name(format!(".{name}.{}-{serial}.tmp.{ext}", std::process::id()));
        // Each backend is dropped at the end of its block, before the clean-up below.
        let drawn = if ext == "png" {
            let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
            figure
                .draw(&root)
                .and_then(|()| root.present().map_err(err))
        } else {
            let root = SVGBackend::new(&tmp, SIZE).into_drawing_area();
            figure
                .draw(&root)
                .and_then(|()| root.present().map_err(err))
        };
        let done = drawn.and_then(|()| std::fs::rename(&tmp, &path).map_err(err));
        if let Err(message) = done {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(message));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Ranges, ticks and clipping.

type Span = (f64, f64);
type Cart = Cartesian2d<RangedCoordf64, RangedCoordf64>;
type Plot<'a, DB> = ChartContext<'a, DB, Cart>;

fn clamp_limit(v: f64) -> f64 {
    v.clamp(-LIMIT, LIMIT)
}

/// A valid axis span: ordered, finite, and wide enough for plotters to place ticks.
fn widen((a, b): Span) -> Span {
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
fn extent(values: impl IntoIterator<Item = f64>, pad: f64) -> Option<Span> {
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
fn user_range(range: Option<Span>) -> Option<Span> {
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

fn inside(p: (f64, f64), x: Span, y: Span) -> bool {
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
fn runs(points: impl IntoIterator<Item = (f64, f64)>, x: Span, y: Span) -> Vec<Vec<(f64, f64)>> {
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
const RIGHT: u32 = 30;
const X_AREA: u32 = 58;
const Y_AREA: u32 = 88;

/// Fills the background, writes the title and returns the area left for the chart.
fn frame<DB: DrawingBackend>(
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

fn build<'a, DB: DrawingBackend>(
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
fn plot_rect<DB: DrawingBackend>(chart: &Plot<'_, DB>) -> (i32, i32, i32, i32) {
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    (xs.start, ys.start, xs.end, ys.end)
}

fn mesh<DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------------------------
// Legend.

#[derive(Clone, Copy)]
enum Swatch {
    Line { band: bool, dashed: bool },
    Area,
}

#[derive(Clone)]
struct Entry {
    name: String,
    colour: RGBColor,
    swatch: Swatch,
}

/// A legend laid out in pixels.
struct Legend {
    entries: Vec<Entry>,
    rows: usize,
    row_h: i32,
    col_w: i32,
    w: i32,
    h: i32,
}

const PAD: i32 = 10;
const SWATCH_W: i32 = 36;
const INSET: i32 = 10;
/// Widest legend name, in pixels, when the legend sits beside the plot.
const OUTSIDE_TEXT: i32 = 260;
/// Most data (in samples, see [`sample_line`]) a legend may hide before it moves out of the
/// plot: a line passing under it for about 20 pixels.
const HIDES_AT_MOST: f32 = 7.0;

/// Text shortened with an ellipsis to fit `max_w` pixels.
fn fit<DB: DrawingBackend>(
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
fn legend<DB: DrawingBackend>(
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
fn corners(l: &Legend, r: (i32, i32, i32, i32)) -> [(i32, i32); 4] {
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
fn with_legend<'a, DB: DrawingBackend>(
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

fn draw_legend<DB: DrawingBackend>(
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
fn sample_line<DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------------------------
// Lines and steps.

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

// ---------------------------------------------------------------------------------------------
// Stacked areas.

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
            colour: colour(i),
            swatch: Swatch::Area,
        })
        .collect();

    let area = frame(root, spec.title)?;
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
    let (mut chart, l, at) = with_legend(root, &area, x, y, entries, |chart| {
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
        let c = colour(l);
        if xs.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = xs
                .iter()
                .zip(&pair[1])
                .map(|(&a, &b)| (a, clamp(b)))
                .collect();
            poly.extend(xs.iter().zip(&pair[0]).rev().map(|(&a, &b)| (a, clamp(b))));
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.8).filled())))
                .map_err(err)?;
        }
        for run in runs(xs.iter().copied().zip(pair[1].iter().copied()), x, y) {
            if run.len() == 1 {
                chart
                    .draw_series(std::iter::once(Circle::new(run[0], 4, c.filled())))
                    .map_err(err)?;
            } else {
                chart
                    .draw_series(LineSeries::new(run, c.stroke_width(2)))
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
    let l = legend(root, entries.to_vec(), rect, false)?;
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

// ---------------------------------------------------------------------------------------------
// Bars.

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
fn error_bar<DB: DrawingBackend>(
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

// ---------------------------------------------------------------------------------------------
// Labelled scatter.

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
    points: &[(String, f64, f64, f64, f64, f64, f64)],
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
    let area = frame(root, spec.title)?;
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
        let c = colour(i);
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
        root.draw(&Circle::new(centre, radius, colour(i).filled()))
            .map_err(err)?;
        root.draw(&Circle::new(centre, radius, WHITE.stroke_width(2)))
            .map_err(err)?;
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
