//! Charts as PNG (1200 x 750) and SVG, drawn with plotters from plain data.
//!
//! Every function takes a file *stem* and writes `<stem>.png` and `<stem>.svg` next to each
//! other (the stem's own extension, if any, is kept: `a/drift.v2` gives `a/drift.v2.png`). Each
//! file is drawn under a hidden temporary name in the same directory and renamed into place, so
//! a directory never holds a half-written chart.
//!
//! Text uses DejaVu Sans embedded in the binary (registered once as the `sans-serif` family),
//! so charts render on machines without any font package; PNG text is placed glyph by glyph
//! (see `glyphs`). The SVG files name the family `sans-serif` and leave the choice of glyphs to
//! the viewer.
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
//!
//! One file per kind of chart: `bands` (drift and survival curves, sweep charts), `stacked`
//! (exposure per surface), `bars` and `scatter` (drift reduction, alone or against collateral
//! cost); `style`, `axes` and `legend` hold what they share, and `glyphs` draws bitmap text.

use glyphs::Glyphs;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

mod axes;
mod bands;
mod bars;
mod glyphs;
mod legend;
mod scatter;
mod stacked;
mod style;

pub use bands::{line_bands, step_bands};
pub use bars::bars_with_errors;
pub use scatter::labelled_scatter;
pub use stacked::stacked_areas;

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

// ---------------------------------------------------------------------------------------------
// Output.

/// A chart that draws itself on any plotters backend (the PNG's and the SVG's).
trait Figure {
    /// Draws the whole chart on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `figure` to `<stem>.png` and `<stem>.svg`, each under a temporary name then renamed.
fn write(stem: &Path, figure: &impl Figure) -> Result<(), PlotError> {
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
        style::register_fonts().map_err(fail)?;
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        // The temporary name keeps the extension: the bitmap backend picks the format from it.
        let tmp = stem.with_file_name(format!(".{name}.{}-{serial}.tmp.{ext}", std::process::id()));
        // A leftover of that name (or a link planted there) is removed, never written through.
        let _ = std::fs::remove_file(&tmp);
        // Each backend is dropped at the end of its block, before the clean-up below.
        let drawn = if ext == "png" {
            // Bitmap text is laid out glyph by glyph here (see `glyphs`); the SVG's text is laid
            // out by its viewer.
            let root = Glyphs::new(BitMapBackend::new(&tmp, SIZE)).into_drawing_area();
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
