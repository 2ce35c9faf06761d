//! Charts as PNG (1200 x 750) and SVG, drawn with plotters from plain data.
//!
//! Every function takes a file *stem* and writes `<stem>.png` and `<stem>.svg` next to each
//! other (the stem's own extension, if any, is kept: `a/drift.v2` gives `a/drift.v2.png`). Each
//! file is drawn under a hidden temporary name in the same directory and renamed into place, so
//! a directory never holds a half-written chart. The same data always gives the same bytes.
//!
//! Text uses DejaVu Sans embedded in the binary (registered once as the `sans-serif` family),
//! so charts render on machines without any font package; PNG text is placed glyph by glyph
//! (see `glyphs`). The SVG files name the family `sans-serif` and leave the choice of glyphs to
//! the viewer.
//!
//! An arm looks the same in every chart: its colour, marker shape and (per variant) dash
//! pattern come from its index in the scenario (see `palette`), never from its position in a
//! chart. Shares are written as percentages when a chart's axis says [`Unit::Percent`], as in
//! the report's tables.
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
//!
//! Modules, one concept each: `spec` (the data types of the API) and `output` (writing a chart
//! to its two files); one per kind of chart: `bands` (drift and survival curves, sweep charts),
//! `stacked` (exposure per surface), `bars` and `scatter` (drift reduction, alone or against
//! collateral cost); and what they share: `style` (font, sizes, ink), `palette` (how an arm
//! looks), `marker` (marker shapes and error bars), `text` (wrapping and fitting text),
//! `glyphs` (bitmap text rendering), `axes` (ranges, ticks, frame), `legend`, and `labels`
//! (placing point labels without overlap).

mod axes;
mod bands;
mod bars;
mod glyphs;
mod labels;
mod legend;
mod marker;
mod output;
mod palette;
mod scatter;
mod spec;
mod stacked;
mod style;
mod text;

pub use bands::{line_bands, step_bands};
pub use bars::bars_with_errors;
pub use output::{PlotError, SIZE};
pub use scatter::labelled_scatter;
pub use spec::{BandPoint, BandSeries, Bar, Chart, Interval, ScatterPoint, Unit};
pub use stacked::stacked_areas;
