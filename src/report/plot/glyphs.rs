//! Bitmap text placed glyph by glyph at the pen position.
//!
//! plotters 0.3.7 draws bitmap text (through ab_glyph) by putting each glyph's *ink* at the
//! pen position, truncated to a whole pixel: the glyph's left side bearing is dropped. A glyph
//! with a wide bearing (`i`, `r`, `D`) moves left by it while its neighbour does not, so the
//! spacing of letters goes uneven and gaps open after narrow letters: "Drift" read "Dri ft"
//! in every title. Neither ligatures nor kerning are involved: plotters maps one character to
//! one glyph (no `ft` ligature is ever used) and applies the font's kerning pairs the same way
//! when measuring and when drawing. [`Glyphs`] wraps a bitmap backend and draws text itself:
//! each glyph at the pen position plus its bearing, at sub-pixel precision, with the same
//! kerning, text box and anchors as plotters (so layouts measured with `estimate_text_size`
//! are unchanged). Every other drawing call goes to the wrapped backend. SVG text is laid out
//! by its viewer and needs none of this.

use super::style;
use ab_glyph::{point, Font, FontRef, GlyphId, ScaleFont};
use plotters::style::FontStyle;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use std::sync::OnceLock;

/// A bitmap backend whose text is drawn glyph by glyph (see the module's documentation).
pub(super) struct Glyphs<B> {
    inner: B,
}

impl<B> Glyphs<B> {
    pub(super) fn new(inner: B) -> Self {
        Glyphs { inner }
    }
}

/// The embedded face of a style: bold for bold, regular otherwise (as registered in `style`).
fn face(bold: bool) -> Option<&'static FontRef<'static>> {
    static REGULAR: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, style::font_bytes(true))
    } else {
        (&REGULAR, style::font_bytes(false))
    };
    cell.get_or_init(|| FontRef::try_from_slice(bytes).ok())
        .as_ref()
}

/// Coverage of every pixel of `text` at `size` pixels, relative to the start of its baseline
/// row as plotters places it (the baseline `size / 2` below the top of the text box): the
/// pixel offsets and their coverage in (0, 1].
fn rasterize(font: &FontRef<'_>, size: f32, text: &str) -> Vec<(i32, i32, f32)> {
    let scaled = font.as_scaled(size);
    let mut pixels = Vec::new();
    let mut pen = 0.0_f32;
    let mut prev: Option<GlyphId> = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(size, point(pen, size / 2.0));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, a| {
                if a > 0.0 {
                    pixels.push((x0 + x as i32, y0 + y as i32, a.min(1.0)));
                }
            });
        }
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    pixels
}

impl<B: DrawingBackend> DrawingBackend for Glyphs<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let Some(font) = face(matches!(style.style(), FontStyle::Bold)) else {
            return self.inner.draw_text(text, style, pos);
        };
        // The box and anchors of plotters' own bitmap text.
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (x, y, a) in rasterize(font, style.size() as f32, text) {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let shade = BackendColor {
                    alpha: color.alpha * f64::from(a),
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), shade)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    /// Columns of a rendered word that hold ink (any pixel darker than near-white).
    fn inked_columns(buf: &[u8], w: usize) -> Vec<bool> {
        (0..w)
            .map(|x| {
                buf.chunks(w * 3)
                    .any(|row| row[x * 3..x * 3 + 3].iter().any(|&c| c < 200))
            })
            .collect()
    }

    fn render(word: &str, glyphs: bool) -> Vec<bool> {
        style::register_fonts().unwrap();
        let (w, h) = (400_usize, 60_usize);
        let mut buf = vec![255_u8; w * h * 3];
        {
            let font = (style::FONT, 28, FontStyle::Bold).into_font().color(&BLACK);
            let bitmap = BitMapBackend::with_buffer(&mut buf, (w as u32, h as u32));
            if glyphs {
                let root = Glyphs::new(bitmap).into_drawing_area();
                root.draw(&Text::new(word, (10, 10), &font)).unwrap();
                root.present().unwrap();
            } else {
                let root = bitmap.into_drawing_area();
                root.draw(&Text::new(word, (10, 10), &font)).unwrap();
                root.present().unwrap();
            }
        }
        inked_columns(&buf, w)
    }

    /// Runs of blank columns between the inked columns of a rendered word, left to right.
    fn gaps(columns: &[bool]) -> Vec<usize> {
        let first = columns.iter().position(|&c| c).unwrap();
        let last = columns.iter().rposition(|&c| c).unwrap();
        columns[first..=last]
            .split(|&c| c)
            .map(<[bool]>::len)
            .filter(|&l| l > 0)
            .collect()
    }

    #[test]
    fn no_gap_opens_inside_a_word() {
        // At 28 pixels bold, the widest space the font leaves between two letters is about 4
        // pixels (between two stems, as in "in").
        for word in ["Drift", "against", "Flagged", "collateral", "suggestions"] {
            let ours = gaps(&render(word, true));
            assert!(ours.iter().all(|&g| g <= 4), "{word}: gaps {ours:?}");
        }
        // "Drift": the blank columns between D|r, r|i and i|f (f and t touch). plotters' own
        // placement drops the bearing of `i`: it moves left, opening the gap after it ("Dri
        // ft"); glyph by glyph, the gap after `i` is no wider than the one before it.
        let ours = gaps(&render("Drift", true));
        let theirs = gaps(&render("Drift", false));
        assert_eq!((ours.len(), theirs.len()), (3, 3), "{ours:?} {theirs:?}");
        assert!(ours[2] <= ours[1] + 1, "ours {ours:?}");
        assert!(theirs[2] >= theirs[1] + 2, "plotters {theirs:?}");
    }

    #[test]
    fn text_keeps_plotters_width_and_anchor() {
        // Measured layouts stay valid: the inked extent starts near the anchor and is about
        // as wide as the estimated text box.
        style::register_fonts().unwrap();
        let font = (style::FONT, 28, FontStyle::Bold).into_font();
        let columns = render("Drift reduction", true);
        let first = columns.iter().position(|&c| c).unwrap() as i32;
        let last = columns.iter().rposition(|&c| c).unwrap() as i32;
        let (w, _) = font.box_size("Drift reduction").unwrap();
        assert!((first - 10).abs() <= 3, "starts at {first}");
        assert!(
            ((last - first) - w as i32).abs() <= 4,
            "{} vs {w}",
            last - first
        );
    }
}
