//! Marks at a point: marker shapes (their outlines in pixels and how they are drawn), rings,
//! error bars, and which marks coincide on screen. The shapes are sized to cover about the same
//! area as a circle of the same radius, so no arm's marker looks heavier.

use super::output::err;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::f64::consts::{FRAC_PI_2, PI};

/// A filled marker shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Star,
    Plus,
}

/// Points of a regular polygon of `n` corners around `c`, the first at angle `start`
/// (radians, counter-clockwise from the right, y pointing down on screen).
fn regular(c: (f64, f64), radius: f64, n: usize, start: f64) -> Vec<(f64, f64)> {
    (0..n)
        .map(|k| {
            let a = start + 2.0 * PI * k as f64 / n as f64;
            (c.0 + radius * a.cos(), c.1 - radius * a.sin())
        })
        .collect()
}

impl Marker {
    /// The outline of the shape centred on `c` for a circle-equivalent radius `r`, as a
    /// polygon in pixels (a circle is a 32-gon).
    pub(super) fn outline(self, c: (i32, i32), r: f64) -> Vec<(i32, i32)> {
        let cf = (f64::from(c.0), f64::from(c.1));
        let points = match self {
            Marker::Circle => regular(cf, r, 32, 0.0),
            Marker::Square => regular(cf, 1.25 * r, 4, PI / 4.0),
            Marker::Diamond => regular(cf, 1.3 * r, 4, 0.0),
            Marker::TriangleUp => regular(cf, 1.5 * r, 3, FRAC_PI_2),
            Marker::TriangleDown => regular(cf, 1.5 * r, 3, -FRAC_PI_2),
            Marker::Star => (0..10)
                .map(|k| {
                    let radius = if k % 2 == 0 { 1.6 * r } else { 0.68 * r };
                    let a = FRAC_PI_2 + PI * k as f64 / 5.0;
                    (cf.0 + radius * a.cos(), cf.1 - radius * a.sin())
                })
                .collect(),
            Marker::Plus => {
                let (l, t) = (1.2 * r, 0.45 * r);
                [
                    (-t, -l),
                    (t, -l),
                    (t, -t),
                    (l, -t),
                    (l, t),
                    (t, t),
                    (t, l),
                    (-t, l),
                    (-t, t),
                    (-l, t),
                    (-l, -t),
                    (-t, -t),
                ]
                .iter()
                .map(|(dx, dy)| (cf.0 + dx, cf.1 + dy))
                .collect()
            }
        };
        points
            .into_iter()
            .map(|(x, y)| (x.round() as i32, y.round() as i32))
            .collect()
    }
}

/// Draws `marker` at `c` (pixels on `root`): filled with `fill`, edged with `edge` pixels of
/// white so that touching markers stay apart.
pub(super) fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    marker: Marker,
    c: (i32, i32),
    r: f64,
    fill: RGBColor,
    edge: u32,
) -> Result<(), String> {
    let outline = marker.outline(c, r);
    root.draw(&Polygon::new(outline.clone(), fill.filled()))
        .map_err(err)?;
    if edge > 0 {
        let mut closed = outline;
        closed.push(closed[0]);
        root.draw(&PathElement::new(closed, WHITE.stroke_width(edge)))
            .map_err(err)?;
    }
    Ok(())
}

/// A circle of radius `r` around `c` in `colour`, `width` pixels wide, edged with white.
pub(super) fn ring<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    r: f64,
    colour: RGBColor,
    width: u32,
) -> Result<(), String> {
    let mut outline = Marker::Circle.outline(c, r);
    outline.push(outline[0]);
    root.draw(&PathElement::new(
        outline.clone(),
        WHITE.stroke_width(width + 2),
    ))
    .map_err(err)?;
    root.draw(&PathElement::new(outline, colour.stroke_width(width)))
        .map_err(err)
}

/// Where a mark stands among the marks that coincide with it on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Coincidence {
    /// The first mark of its group (itself when alone): the group is drawn around it.
    pub(super) first: usize,
    /// Its position in its group, in list order (0 for the first).
    pub(super) rank: usize,
    /// How many marks its group has.
    pub(super) size: usize,
}

/// Groups of marks that coincide on screen: marks closer than `within` pixels join a group
/// (transitively). The caller draws the later marks of a group around the first one, larger or
/// as rings, so that none hides another.
pub(super) fn coinciding(centres: &[(i32, i32)], within: f64) -> Vec<Coincidence> {
    let n = centres.len();
    let mut group: Vec<usize> = (0..n).collect();
    let close = |a: (i32, i32), b: (i32, i32)| {
        let (dx, dy) = (f64::from(a.0 - b.0), f64::from(a.1 - b.1));
        dx.hypot(dy) < within
    };
    // Repeated relabelling to the smallest index reachable (a few hundred marks at most).
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..n {
            for j in 0..n {
                if group[j] < group[i] && close(centres[i], centres[j]) {
                    group[i] = group[j];
                    changed = true;
                }
            }
        }
    }
    (0..n)
        .map(|i| Coincidence {
            first: group[i],
            rank: (0..i).filter(|&j| group[j] == group[i]).count(),
            size: (0..n).filter(|&j| group[j] == group[i]).count(),
        })
        .collect()
}

/// An error bar from `a` to `b` (pixels) with caps across its ends.
pub(super) fn error_bar<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Area of a polygon (shoelace).
    fn area(points: &[(i32, i32)]) -> f64 {
        let n = points.len();
        (0..n)
            .map(|i| {
                let (a, b) = (points[i], points[(i + 1) % n]);
                f64::from(a.0) * f64::from(b.1) - f64::from(b.0) * f64::from(a.1)
            })
            .sum::<f64>()
            .abs()
            / 2.0
    }

    #[test]
    fn coinciding_marks_get_successive_ranks() {
        let marks = [
            (100, 100),
            (300, 100),
            (101, 102),
            (100, 100),
            (500, 500),
            (106, 106),
        ];
        let found: Vec<(usize, usize, usize)> = coinciding(&marks, 7.0)
            .iter()
            .map(|c| (c.first, c.rank, c.size))
            .collect();
        assert_eq!(
            found,
            vec![
                (0, 0, 4),
                (1, 0, 1),
                (0, 1, 4),
                (0, 2, 4),
                (4, 0, 1),
                (0, 3, 4)
            ]
        );
    }

    #[test]
    fn shapes_cover_about_the_area_of_their_circle() {
        let circle = area(&Marker::Circle.outline((100, 100), 20.0));
        for m in super::super::palette::MARKERS {
            let a = area(&m.outline((100, 100), 20.0));
            assert!(
                a > 0.6 * circle && a < 1.3 * circle,
                "{m:?}: {a} against {circle}"
            );
        }
    }
}
