//! How an arm looks: its colour, marker and dash pattern, chosen from its index in the scenario
//! alone, so that an arm looks the same in every chart of a report (and of a sweep).
//!
//! The colours start with the Okabe-Ito palette (distinct for the common colour-vision
//! deficiencies; its yellow, faint on white, left out) and go on with darker and
//! mid-tone colours picked greedily for the largest CIEDE2000 distance to those before, all
//! readable on white: 16 colours at least 17 CIEDE2000 apart. Colour alone cannot keep 16
//! series apart for every reader, so each arm also gets one of 7 marker shapes (16 and 7 have
//! no common factor: the first 112 arms all differ in colour or shape), and lines past the
//! 16th arm are dashed. Surfaces (the layers of the exposure charts) have their own light
//! colours, so a layer is not mistaken for an arm.

use super::marker::Marker;
use plotters::style::RGBColor;

/// Arm colours, in arm order.
const COLOURS: [RGBColor; 16] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(120, 20, 20),   // maroon
    RGBColor(51, 34, 136),   // indigo
    RGBColor(180, 0, 120),   // magenta
    RGBColor(34, 100, 34),   // forest green
    RGBColor(110, 110, 110), // grey
    RGBColor(110, 150, 0),   // yellow-green
    RGBColor(225, 87, 89),   // light red
    RGBColor(120, 80, 200),  // violet
    RGBColor(156, 117, 95),  // brown
];

/// Marker shapes, in arm order.
pub(super) const MARKERS: [Marker; 7] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Star,
    Marker::Plus,
];

/// A line's dash pattern: solid, or dashes of `on` pixels `off` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Dash {
    Solid,
    Dashed { on: u32, off: u32 },
}

/// Dash patterns, in variant order: solid, dashed, dotted, long dashes.
const DASHES: [Dash; 4] = [
    Dash::Solid,
    Dash::Dashed { on: 12, off: 7 },
    Dash::Dashed { on: 3, off: 5 },
    Dash::Dashed { on: 24, off: 8 },
];

/// Light colours of the stacked layers (surfaces), from Paul Tol's "light" scheme.
const LAYERS: [RGBColor; 8] = [
    RGBColor(119, 170, 221), // light blue
    RGBColor(238, 136, 102), // orange
    RGBColor(68, 187, 153),  // mint
    RGBColor(238, 221, 136), // light yellow
    RGBColor(255, 170, 187), // pink
    RGBColor(153, 221, 255), // light cyan
    RGBColor(187, 204, 51),  // pear
    RGBColor(170, 170, 0),   // olive
];

/// How one line, point set or bar of a chart looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Look {
    pub(super) colour: RGBColor,
    pub(super) marker: Marker,
    pub(super) dash: Dash,
}

/// The look of arm `arm` (its index in the scenario), variant `variant` (0 for its first line):
/// the colour and marker depend on the arm only, the dash pattern on the variant (and, past
/// the 16th arm, on the round of colours).
pub(super) fn look(arm: usize, variant: usize) -> Look {
    Look {
        colour: COLOURS[arm % COLOURS.len()],
        marker: MARKERS[arm % MARKERS.len()],
        dash: DASHES[(variant + arm / COLOURS.len()) % DASHES.len()],
    }
}

/// Colour of stacked layer `i`.
pub(super) fn layer(i: usize) -> RGBColor {
    LAYERS[i % LAYERS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// CIELAB coordinates of an sRGB colour (D65).
    fn lab(c: RGBColor) -> (f64, f64, f64) {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (lin(c.0), lin(c.1), lin(c.2));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        let (fx, fy, fz) = (f(x), f(y), f(z));
        (116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz))
    }

    /// CIE76 colour difference (Euclidean distance in CIELAB): about 2 is just noticeable,
    /// above 20 two colours read as different colours.
    fn delta_e(a: RGBColor, b: RGBColor) -> f64 {
        let (p, q) = (lab(a), lab(b));
        ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2) + (p.2 - q.2).powi(2)).sqrt()
    }

    #[test]
    fn at_least_fifteen_arms_get_pairwise_distinct_colours() {
        let colours: Vec<RGBColor> = (0..16).map(|arm| look(arm, 0).colour).collect();
        for (i, a) in colours.iter().enumerate() {
            for (j, b) in colours.iter().enumerate().skip(i + 1) {
                let d = delta_e(*a, *b);
                assert!(
                    d >= 20.0,
                    "arms {i} and {j}: {a:?} and {b:?} only {d:.1} apart"
                );
            }
            let white = RGBColor(255, 255, 255);
            assert!(
                delta_e(*a, white) >= 40.0,
                "arm {i}: {a:?} is faint on white"
            );
        }
    }

    #[test]
    fn baseline_and_diversity_of_the_matrix_differ() {
        // The mitigation matrix's arms 0 (baseline) and 8 (diversity) once shared a blue.
        let (a, b) = (look(0, 0), look(8, 0));
        assert!(delta_e(a.colour, b.colour) >= 20.0);
        assert_ne!(a.marker, b.marker);
    }

    #[test]
    fn arms_differ_in_colour_or_marker_and_variants_in_dash() {
        let looks: HashSet<(RGBColor, Marker)> = (0..112)
            .map(|arm| {
                let l = look(arm, 0);
                (l.colour, l.marker)
            })
            .collect();
        assert_eq!(looks.len(), 112);
        for arm in 0..20 {
            let dashes: HashSet<Dash> = (0..4).map(|v| look(arm, v).dash).collect();
            assert_eq!(dashes.len(), 4, "arm {arm}");
            assert_eq!(look(arm, 3).colour, look(arm, 0).colour);
            assert_eq!(look(arm, 3).marker, look(arm, 0).marker);
        }
    }

    #[test]
    fn an_arm_looks_the_same_whatever_else_is_drawn() {
        // The look is a function of the arm's index alone: no state, no dependence on the
        // other series of a chart or on the order of drawing.
        let first: Vec<Look> = (0..30).map(|a| look(a, 0)).collect();
        let reversed: Vec<Look> = (0..30).rev().map(|a| look(a, 0)).collect();
        assert!(first.iter().eq(reversed.iter().rev()));
    }

    #[test]
    fn layers_are_not_arm_colours() {
        for i in 0..LAYERS.len() {
            for arm in 0..COLOURS.len() {
                assert_ne!(layer(i), look(arm, 0).colour);
            }
        }
    }
}
