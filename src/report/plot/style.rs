//! The look shared by every chart: the embedded font, text sizes and the ink of text and axes
//! (the colours of arms are in `palette`).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use std::sync::OnceLock;

pub(super) const FONT: &str = "sans-serif";
pub(super) const TITLE_PX: u32 = 28;
pub(super) const AXIS_PX: u32 = 20;
pub(super) const TICK_PX: u32 = 16;
pub(super) const LEGEND_PX: u32 = 18;
pub(super) const LABEL_PX: u32 = 16;

pub(super) const INK: RGBColor = RGBColor(30, 30, 30);
pub(super) const GREY: RGBColor = RGBColor(110, 110, 110);

pub(super) fn text(px: u32) -> TextStyle<'static> {
    (FONT, px).into_font().color(&INK)
}

pub(super) fn anchored(px: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text(px).pos(Pos::new(h, v))
}

/// The embedded DejaVu Sans, bold or regular.
pub(super) fn font_bytes(bold: bool) -> &'static [u8] {
    if bold {
        dejavu::sans::bold()
    } else {
        dejavu::sans::regular()
    }
}

/// Registers the embedded fonts with plotters, once per process.
pub(super) fn register_fonts() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let invalid = |_| "the embedded DejaVu Sans font is not a valid font".to_string();
            plotters::style::register_font(FONT, FontStyle::Normal, font_bytes(false))
                .map_err(invalid)?;
            plotters::style::register_font(FONT, FontStyle::Bold, font_bytes(true)).map_err(invalid)
        })
        .clone()
}
