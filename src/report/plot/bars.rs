//! Bars with error bars: the drift reduction of each arm when there is no collateral cost to
//! plot it against.

use super::axes::{
    build, category_labels, category_span, draw_category_labels, extent, frame, mesh, plot_rect,
    user_range, RIGHT, X_AREA,
};
use super::marker::error_bar;
use super::output::{err, write, Figure, PlotError};
use super::palette::look;
use super::spec::{Bar, Chart};
use super::style::{anchored, GREY, INK, LABEL_PX};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::path::Path;

/// Bars with error bars (drift reduction per arm), in order along the x axis, each in its
/// arm's colour. Bars start at zero; names are written under their bar (wrapped if long);
/// `chart.x_label` names the categories and `chart.y_label` the value. A bar whose estimate is
/// NaN is drawn as "n/a" (with its interval if that is finite).
pub fn bars_with_errors(stem: &Path, chart: &Chart<'_>, bars: &[Bar]) -> Result<(), PlotError> {
    write(stem, &Bars { spec: *chart, bars })
}

/// [`bars_with_errors`].
struct Bars<'a> {
    spec: Chart<'a>,
    bars: &'a [Bar],
}

impl Figure for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_bars(root, &self.spec, self.bars)
    }
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Chart<'_>,
    bars: &[Bar],
) -> Result<(), String> {
    let x = category_span(bars.len());
    let y = user_range(spec.y_range)
        .or_else(|| {
            extent(
                bars.iter()
                    .flat_map(|b| [b.value.estimate, b.value.lower, b.value.upper])
                    .chain(std::iter::once(0.0)),
                0.08,
            )
        })
        .unwrap_or((0.0, 1.0));
    let area = frame(root, spec.title, spec.arm)?;
    // Wrap the names to the width of a bar's slot, then size the x label area to fit them.
    let probe = build(&area, x, y, X_AREA, RIGHT)?;
    let rect = plot_rect(&probe);
    let names: Vec<String> = bars.iter().map(|b| b.name.clone()).collect();
    let (labels, x_area) = category_labels(root, &names, rect.2 - rect.0)?;
    let mut chart = build(&area, x, y, x_area, RIGHT)?;
    mesh(&mut chart, spec, x, y, false)?;
    draw_category_labels(root, &chart, &labels, y.0)?;
    let rect = plot_rect(&chart);

    let clamp = |v: f64| v.clamp(y.0, y.1);
    let base = clamp(0.0);
    let px_per_x = f64::from(rect.2 - rect.0) / (x.1 - x.0);
    let half = 0.3_f64.min(70.0 / px_per_x);
    for (i, b) in bars.iter().enumerate() {
        let cx = i as f64;
        let v = b.value;
        if v.estimate.is_finite() {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(cx - half, base), (cx + half, clamp(v.estimate))],
                    look(b.arm, 0).colour.mix(0.85).filled(),
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
        if v.lower.is_finite() && v.upper.is_finite() {
            let (px, lo) = chart.backend_coord(&(cx, clamp(v.lower)));
            let (_, hi) = chart.backend_coord(&(cx, clamp(v.upper)));
            error_bar(root, (px, lo), (px, hi), INK)?;
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
