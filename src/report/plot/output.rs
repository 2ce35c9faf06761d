//! Writing a chart: the same drawing to `<stem>.png` and `<stem>.svg`, each under a hidden
//! temporary name then renamed into place.

use super::glyphs::Glyphs;
use super::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Pixel size of every chart (the PNG's size and the SVG's view box).
pub const SIZE: (u32, u32) = (1200, 750);

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

/// A chart that draws itself on any plotters backend (the PNG's and the SVG's).
pub(super) trait Figure {
    /// Draws the whole chart on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws `figure` to `<stem>.png` and `<stem>.svg`, each under a temporary name then renamed.
pub(super) fn write(stem: &Path, figure: &impl Figure) -> Result<(), PlotError> {
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
