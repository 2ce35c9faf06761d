//! What a chart is asked to show: the plain data types of the public API.

/// How an axis writes its values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    /// As they are.
    #[default]
    Plain,
    /// Fractions written as percentages (0.25 is "25%"), as the report's tables write shares.
    Percent,
}

/// Title and axes of a chart. Units belong in the axis labels (or in [`Unit`]).
#[derive(Clone, Copy, Debug)]
pub struct Chart<'a> {
    /// Title above the plot.
    pub title: &'a str,
    /// Label of the x axis (with its unit).
    pub x_label: &'a str,
    /// Label of the y axis (with its unit).
    pub y_label: &'a str,
    /// Fixed y range `(low, high)`, in data units; `None`: fitted to the data. Values outside
    /// are clipped.
    pub y_range: Option<(f64, f64)>,
    /// How the x axis writes its values.
    pub x_unit: Unit,
    /// How the y axis writes its values.
    pub y_unit: Unit,
    /// Names of the categories of a categorical x axis, where x = 0, 1, ... is the category of
    /// that index: points are marked (with error bars), never joined by lines. Empty: the x
    /// axis is continuous.
    pub x_categories: &'a [String],
    /// The arm (its index in the scenario) the whole chart is about: its marker, in its colour,
    /// goes before the title.
    pub arm: Option<usize>,
}

impl<'a> Chart<'a> {
    /// A chart with plain units, a continuous x axis and a fitted y range.
    pub fn new(title: &'a str, x_label: &'a str, y_label: &'a str) -> Self {
        Chart {
            title,
            x_label,
            y_label,
            y_range: None,
            x_unit: Unit::Plain,
            y_unit: Unit::Plain,
            x_categories: &[],
            arm: None,
        }
    }
}

/// One line with an optional interval band.
#[derive(Clone, Debug, PartialEq)]
pub struct BandSeries {
    /// Name shown in the legend.
    pub name: String,
    /// Points in increasing x order.
    pub points: Vec<BandPoint>,
    /// The arm's index in its scenario: picks the colour and marker, so that an arm looks the
    /// same in every chart of a report.
    pub arm: usize,
    /// Variant of the arm's line, 0 for the first: picks the dash pattern (one variant per
    /// combination of the other swept parameters, for example).
    pub variant: usize,
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

/// An estimate with its interval; NaN for what is missing (the statistics' own type).
pub use crate::stats::Interval;

/// A labelled point with error bars in x and y.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterPoint {
    /// Label written next to the point.
    pub name: String,
    /// The arm's index in its scenario (colour and marker).
    pub arm: usize,
    /// Position and interval along x.
    pub x: Interval,
    /// Position and interval along y.
    pub y: Interval,
}

/// A bar with an error bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Label written under the bar.
    pub name: String,
    /// The arm's index in its scenario (colour).
    pub arm: usize,
    /// Height and interval.
    pub value: Interval,
}
