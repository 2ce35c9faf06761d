//! Charts: every function writes a 1200 x 750 PNG and an SVG with its text, atomically, and
//! survives empty and non-finite input.
//!
//! `cargo test --test plots -- --ignored gallery` renders realistic examples of every chart
//! into `/tmp/plots-demo/` (or `$PLOTS_DEMO_DIR`) for looking at.

use driftlab::report::plot::*;
use std::path::{Path, PathBuf};

fn interval(estimate: f64, lower: f64, upper: f64) -> Interval {
    Interval {
        estimate,
        lower,
        upper,
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftlab-plots-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chart(title: &str) -> Chart<'_> {
    Chart::new(title, "step", "share of probes")
}

/// Checks `<stem>.png` (signature, IHDR size, not trivially small) and `<stem>.svg` (contains
/// every expected text), and that no temporary file is left in the directory.
fn check(stem: &Path, texts: &[&str]) {
    let png = std::fs::read(stem.with_extension("png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 750));
    assert!(png.len() > 10_000, "PNG only {} bytes", png.len());
    let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
    assert!(svg.starts_with("<svg"), "not an SVG");
    assert!(svg.contains(r#"width="1200""#) && svg.contains(r#"height="750""#));
    for t in texts {
        assert!(svg.contains(t), "SVG lacks {t:?}");
    }
    for entry in std::fs::read_dir(stem.parent().unwrap()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temporary file {name} left behind");
    }
}

/// A smooth rising curve in [0, 1] with a band of +-0.05, like a drift curve.
fn curve(name: &str, rate: f64, steps: usize) -> BandSeries {
    BandSeries {
        name: name.into(),
        arm: 0,
        variant: 0,
        points: (0..steps)
            .map(|i| {
                let x = i as f64;
                let y = 0.05 + 0.9 * (1.0 - (-rate * x).exp());
                BandPoint {
                    x,
                    y,
                    lower: (y - 0.05).max(0.0),
                    upper: (y + 0.05).min(1.0),
                }
            })
            .collect(),
    }
}

fn survival(name: &str, hazard: f64, steps: usize) -> BandSeries {
    let mut s = 1.0;
    let mut points = Vec::new();
    for i in 0..steps {
        if i > 0 && i % 5 == 0 {
            s *= 1.0 - hazard;
        }
        let half = 0.05 * (i as f64 / steps as f64).sqrt();
        points.push(BandPoint {
            x: i as f64,
            y: s,
            lower: (s - half).max(0.0),
            upper: (s + half).min(1.0),
        });
    }
    BandSeries {
        name: name.into(),
        points,
        arm: 0,
        variant: 0,
    }
}

/// `s` as the series of arm `arm`.
/// `arms` series named `arm N{suffix}` over categories `0..values`, each point's value and
/// band `at(arm, category)`.
fn categorical(
    arms: usize,
    values: usize,
    suffix: &str,
    at: impl Fn(usize, usize) -> (f64, f64, f64),
) -> Vec<BandSeries> {
    (0..arms)
        .map(|arm| BandSeries {
            name: format!("arm {arm}{suffix}"),
            points: (0..values)
                .map(|i| {
                    let (y, lower, upper) = at(arm, i);
                    BandPoint {
                        x: i as f64,
                        y,
                        lower,
                        upper,
                    }
                })
                .collect(),
            arm,
            variant: 0,
        })
        .collect()
}

fn of_arm(s: BandSeries, arm: usize) -> BandSeries {
    BandSeries { arm, ..s }
}

fn arms() -> Vec<BandSeries> {
    vec![
        of_arm(curve("baseline", 0.06, 100), 0),
        of_arm(curve("downrank", 0.03, 100), 1),
        of_arm(curve("friction", 0.02, 100), 2),
        of_arm(curve("diversify", 0.01, 100), 3),
    ]
}

fn layers(n: usize) -> (Vec<f64>, Layers) {
    let x: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let layer = |scale: f64, phase: f64| -> Vec<f64> {
        x.iter()
            .map(|&t| scale * (1.0 - (-t / 30.0).exp()) * (1.0 + 0.2 * (t / 9.0 + phase).sin()))
            .collect()
    };
    let layers = vec![
        ("home_feed".to_string(), layer(0.6, 0.0)),
        ("search".to_string(), layer(0.3, 1.0)),
        ("related".to_string(), layer(0.4, 2.0)),
        ("notifications".to_string(), layer(0.1, 3.0)),
    ];
    (x, layers)
}

fn bar(name: &str, arm: usize, e: f64, l: f64, u: f64) -> Bar {
    Bar {
        name: name.into(),
        arm,
        value: interval(e, l, u),
    }
}

fn bars() -> Vec<Bar> {
    vec![
        bar("downrank", 1, 0.35, 0.22, 0.47),
        bar("friction", 2, 0.52, 0.41, 0.63),
        bar("diversify", 3, 0.71, 0.60, 0.80),
        bar("label-only", 4, -0.04, -0.15, 0.08),
    ]
}

type Layers = Vec<(String, Vec<f64>)>;

/// A point of arm 0 at (x [xl, xu], y [yl, yu]).
fn point(name: &str, x: f64, xl: f64, xu: f64, y: f64, yl: f64, yu: f64) -> ScatterPoint {
    ScatterPoint {
        name: name.into(),
        arm: 0,
        x: interval(x, xl, xu),
        y: interval(y, yl, yu),
    }
}

fn pareto() -> Vec<ScatterPoint> {
    let points = vec![
        point("downrank", 0.04, 0.02, 0.06, 0.35, 0.22, 0.47),
        point("friction", 0.09, 0.06, 0.12, 0.52, 0.41, 0.63),
        point("diversify", 0.15, 0.11, 0.19, 0.71, 0.60, 0.80),
        point("label-only", 0.01, 0.0, 0.02, -0.04, -0.15, 0.08),
    ];
    points
        .into_iter()
        .enumerate()
        .map(|(i, p)| ScatterPoint { arm: i + 1, ..p })
        .collect()
}

#[test]
fn line_bands_writes_png_and_svg() {
    let dir = temp_dir("lines");
    let stem = dir.join("drift");
    let c = Chart {
        y_range: Some((0.0, 1.0)),
        ..chart("Flagged share of impressions")
    };
    line_bands(&stem, &c, &arms()).unwrap();
    check(
        &stem,
        &[
            "Flagged share of impressions",
            "step",
            "share of probes",
            "baseline",
            "downrank",
            "friction",
            "diversify",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn step_bands_writes_png_and_svg() {
    let dir = temp_dir("steps");
    let stem = dir.join("survival");
    let series = vec![
        of_arm(survival("baseline", 0.2, 100), 0),
        of_arm(survival("downrank", 0.1, 100), 1),
        of_arm(survival("friction", 0.05, 100), 2),
    ];
    step_bands(&stem, &chart("Probes not yet drifted"), &series).unwrap();
    check(
        &stem,
        &["Probes not yet drifted", "baseline", "downrank", "friction"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stacked_areas_writes_png_and_svg() {
    let dir = temp_dir("stacked");
    let stem = dir.join("exposure-baseline");
    let (x, layers) = layers(100);
    stacked_areas(&stem, &chart("Flagged impressions by surface"), &x, &layers).unwrap();
    check(
        &stem,
        &[
            "Flagged impressions by surface",
            "home_feed",
            "search",
            "related",
            "notifications",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bars_with_errors_writes_png_and_svg() {
    let dir = temp_dir("bars");
    let stem = dir.join("reduction");
    bars_with_errors(&stem, &chart("Drift reduction"), &bars()).unwrap();
    check(
        &stem,
        &[
            "Drift reduction",
            "downrank",
            "friction",
            "diversify",
            "label-only",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn labelled_scatter_writes_png_and_svg() {
    let dir = temp_dir("scatter");
    let stem = dir.join("pareto");
    labelled_scatter(&stem, &chart("Reduction against cost"), &pareto()).unwrap();
    check(
        &stem,
        &[
            "Reduction against cost",
            "downrank",
            "friction",
            "diversify",
            "label-only",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stem_with_a_dot_keeps_it() {
    let dir = temp_dir("dotted");
    let stem = dir.join("sweep-rank.alpha");
    line_bands(&stem, &chart("dotted"), &arms()).unwrap();
    assert!(dir.join("sweep-rank.alpha.png").is_file());
    assert!(dir.join("sweep-rank.alpha.svg").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replacing_an_existing_chart_works() {
    let dir = temp_dir("replace");
    let stem = dir.join("drift");
    line_bands(&stem, &chart("first"), &arms()).unwrap();
    line_bands(&stem, &chart("second"), &arms()[..1]).unwrap();
    check(&stem, &["second", "baseline"]);
    let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
    assert!(!svg.contains("first") && !svg.contains("diversify"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_directory_is_an_error_naming_the_file() {
    let root = temp_dir("missing");
    let dir = root.join("no").join("such");
    let e = line_bands(&dir.join("drift"), &chart("t"), &arms()).unwrap_err();
    let PlotError::Draw { path, .. } = &e else {
        panic!("unexpected error {e:?}")
    };
    assert_eq!(path, &dir.join("drift.png"));
    assert!(e.to_string().contains("drift.png"), "{e}");
    assert!(std::fs::read_dir(&root).unwrap().next().is_none());
    let _ = std::fs::remove_dir_all(&root);
}

/// The colour an arm is drawn in, as the SVG files write it: the first colours of the palette.
const ARM_COLOURS: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

fn svg(stem: &Path) -> String {
    std::fs::read_to_string(stem.with_extension("svg")).unwrap()
}

#[test]
fn an_arm_has_its_own_colour_in_every_chart() {
    // Arm 5 alone, or after arm 2: in first position or second, in lines, steps, points and
    // bars, it is drawn in the palette's sixth colour, and no chart uses the colours of arms
    // that are not in it.
    let dir = temp_dir("colours");
    let lines = [
        of_arm(curve("five", 0.02, 30), 5),
        of_arm(curve("two", 0.05, 30), 2),
    ];
    line_bands(&dir.join("lines"), &chart("lines"), &lines).unwrap();
    step_bands(&dir.join("steps"), &chart("steps"), &lines[..1]).unwrap();
    let points = [
        ScatterPoint {
            arm: 2,
            ..point("two", 0.1, 0.05, 0.15, 0.5, 0.4, 0.6)
        },
        ScatterPoint {
            arm: 5,
            ..point("five", 0.3, 0.25, 0.35, 0.7, 0.6, 0.8)
        },
    ];
    labelled_scatter(&dir.join("points"), &chart("points"), &points).unwrap();
    bars_with_errors(
        &dir.join("bars"),
        &chart("bars"),
        &[bar("five", 5, 0.3, 0.2, 0.4)],
    )
    .unwrap();
    for (stem, arms) in [
        ("lines", &[2, 5][..]),
        ("steps", &[5][..]),
        ("points", &[2, 5][..]),
        ("bars", &[5][..]),
    ] {
        let text = svg(&dir.join(stem));
        for (arm, colour) in ARM_COLOURS.iter().enumerate() {
            assert_eq!(
                text.contains(colour),
                arms.contains(&arm),
                "{stem}: colour {colour} of arm {arm}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn charts_are_byte_for_byte_reproducible() {
    let dir = temp_dir("same-bytes");
    let mut crowded = pareto();
    crowded.extend((0..12).map(|i| ScatterPoint {
        arm: 5 + i,
        ..point(
            &format!("arm_{i}"),
            0.001 * i as f64,
            nan(),
            nan(),
            0.99,
            0.9,
            1.0,
        )
    }));
    let draw = |tag: &str| {
        line_bands(&dir.join(format!("lines-{tag}")), &chart("t"), &arms()).unwrap();
        labelled_scatter(&dir.join(format!("points-{tag}")), &chart("t"), &crowded).unwrap();
    };
    draw("a");
    draw("b");
    for kind in ["lines", "points"] {
        for ext in ["png", "svg"] {
            let a = std::fs::read(dir.join(format!("{kind}-a.{ext}"))).unwrap();
            let b = std::fs::read(dir.join(format!("{kind}-b.{ext}"))).unwrap();
            assert!(a == b, "{kind}.{ext} differs between two drawings");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn nan() -> f64 {
    f64::NAN
}

/// Polylines of the SVG drawn in `colour` with more than two points (lines joining points,
/// not error bars or caps).
fn joining_lines(svg: &str, colour: &str) -> usize {
    svg.lines()
        .filter(|l| l.contains("<polyline") && l.contains(colour))
        .filter(|l| {
            l.split("points=\"").nth(1).map_or(0, |p| {
                p.split('"').next().unwrap_or("").split_whitespace().count()
            }) > 2
        })
        .count()
}

#[test]
fn a_categorical_axis_marks_points_without_joining_them() {
    let dir = temp_dir("categories");
    let categories = vec![
        "\"popularity\"".to_string(),
        "\"embedding\"".to_string(),
        "\"co_follow\"".to_string(),
    ];
    let series = categorical(2, 3, "", |arm, i| {
        let y = 0.2 + 0.1 * i as f64 + 0.3 * arm as f64;
        (y, y - 0.05, y + 0.05)
    });
    let stem = dir.join("sweep-policy");
    let c = Chart {
        x_categories: &categories,
        y_unit: Unit::Percent,
        y_range: Some((0.0, 1.0)),
        ..chart("Probes drifted against policy")
    };
    line_bands(&stem, &c, &series).unwrap();
    check(
        &stem,
        &[
            "popularity",
            "embedding",
            "co_follow",
            "arm 0",
            "arm 1",
            "50%",
        ],
    );
    let text = svg(&stem);
    assert_eq!(joining_lines(&text, ARM_COLOURS[0]), 0);
    assert_eq!(joining_lines(&text, ARM_COLOURS[1]), 0);
    // The same series on a continuous axis are joined.
    line_bands(&stem, &chart("continuous"), &series).unwrap();
    assert!(joining_lines(&svg(&stem), ARM_COLOURS[0]) >= 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn identical_series_are_named_and_long_names_kept_whole() {
    let dir = temp_dir("identical");
    let long = |arm: usize, tail: &str| BandSeries {
        name: format!("exclude_flagged_from_suggestions (world.flagged_fraction={tail})"),
        ..of_arm(curve("x", 0.05, 3), arm)
    };
    let series = vec![
        of_arm(curve("baseline (moderation.recall=0.0)", 0.05, 3), 0),
        long(1, "0.005"),
        long(1, "0.02"),
    ];
    let stem = dir.join("sweep");
    line_bands(&stem, &chart("Probes drifted"), &series).unwrap();
    let text = svg(&stem);
    assert!(
        text.contains("Equal to within a pixel"),
        "no note on identical series"
    );
    assert!(!text.contains('…'), "a legend name was cut");
    // Both endings of the long names are written, so the two entries read differently.
    assert!(text.contains("0.005)") && text.contains("0.02)"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every awkward input draws a chart (with its title) and returns Ok.
#[test]
fn empty_and_non_finite_inputs_do_not_panic() {
    let dir = temp_dir("awkward");
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let p = |x: f64, y: f64, lower: f64, upper: f64| BandPoint { x, y, lower, upper };
    let awkward_series: Vec<Vec<BandSeries>> = vec![
        vec![],
        vec![BandSeries {
            name: "empty".into(),
            arm: 0,
            variant: 0,
            points: vec![],
        }],
        vec![BandSeries {
            name: "all nan".into(),
            arm: 0,
            variant: 0,
            points: (0..10).map(|i| p(i as f64, nan, nan, nan)).collect(),
        }],
        vec![BandSeries {
            name: "one point".into(),
            arm: 0,
            variant: 0,
            points: vec![p(3.0, 0.5, 0.4, 0.6)],
        }],
        vec![BandSeries {
            name: "flat".into(),
            arm: 0,
            variant: 0,
            points: (0..10).map(|i| p(i as f64, 0.25, 0.25, 0.25)).collect(),
        }],
        vec![BandSeries {
            name: "same x".into(),
            arm: 0,
            variant: 0,
            points: (0..10).map(|i| p(7.0, i as f64, nan, nan)).collect(),
        }],
        vec![BandSeries {
            name: "gaps and infinities".into(),
            arm: 0,
            variant: 0,
            points: vec![
                p(0.0, 0.1, 0.0, 0.2),
                p(1.0, nan, nan, nan),
                p(2.0, 0.3, nan, 0.4),
                p(3.0, inf, -inf, inf),
                p(nan, 0.5, 0.4, 0.6),
                p(5.0, -inf, 0.1, 0.2),
                p(6.0, 0.7, 0.9, 0.5),
                p(inf, 0.7, 0.6, 0.8),
            ],
        }],
        vec![BandSeries {
            name: "huge".into(),
            arm: 0,
            variant: 0,
            points: vec![
                p(0.0, f64::MAX, f64::MIN, f64::MAX),
                p(1.0, f64::MIN, f64::MIN_POSITIVE, 1e300),
                p(2.0, 1e-320, 0.0, 5e-324),
            ],
        }],
        vec![BandSeries {
            name: "tiny span".into(),
            arm: 0,
            variant: 0,
            points: (0..10)
                .map(|i| p(1e15 + i as f64 * 1e-3, 1e-200 * i as f64, nan, nan))
                .collect(),
        }],
        (0..20)
            .map(|i| {
                of_arm(
                    curve(
                        &format!("series number {i} with a rather long name"),
                        0.01 * i as f64,
                        50,
                    ),
                    i,
                )
            })
            .collect(),
    ];
    let ranges = [
        None,
        Some((0.0, 1.0)),
        Some((1.0, 0.0)),
        Some((0.5, 0.5)),
        Some((nan, 1.0)),
        Some((0.0, inf)),
        Some((0.4, 0.6)),
    ];
    let mut k = 0;
    for series in &awkward_series {
        for range in ranges {
            let title = format!("awkward {k}");
            let c = Chart {
                title: &title,
                x_label: "x",
                y_label: "y",
                y_range: range,
                ..Chart::new("", "", "")
            };
            let stem = dir.join(format!("lines-{k}"));
            line_bands(&stem, &c, series).unwrap();
            check(&stem, &[&title]);
            let stem = dir.join(format!("steps-{k}"));
            step_bands(&stem, &c, series).unwrap();
            check(&stem, &[&title]);
            k += 1;
        }
    }

    let awkward_layers: Vec<(Vec<f64>, Layers)> = vec![
        (vec![], vec![]),
        (vec![1.0, 2.0], vec![]),
        (vec![], vec![("a".into(), vec![1.0])]),
        (vec![1.0, 2.0, 3.0], vec![("short".into(), vec![1.0])]),
        (
            vec![1.0, nan, 3.0, inf],
            vec![("bad".into(), vec![nan, -1.0, inf, 2.0, 9.0])],
        ),
        (vec![5.0], vec![("one".into(), vec![1.0])]),
        (vec![0.0, 1.0], vec![("zero".into(), vec![0.0, 0.0])]),
        (vec![0.0, 1.0], vec![("huge".into(), vec![f64::MAX, 1e300])]),
    ];
    for (x, layers) in &awkward_layers {
        for range in ranges {
            let title = format!("awkward {k}");
            let c = Chart {
                title: &title,
                x_label: "x",
                y_label: "y",
                y_range: range,
                ..Chart::new("", "", "")
            };
            let stem = dir.join(format!("stacked-{k}"));
            stacked_areas(&stem, &c, x, layers).unwrap();
            check(&stem, &[&title]);
            k += 1;
        }
    }

    let awkward_bars: Vec<Vec<Bar>> = vec![
        vec![],
        vec![bar("nan", 0, nan, nan, nan)],
        vec![bar("interval only", 1, nan, -0.1, 0.2)],
        vec![bar("inf", 2, inf, -inf, inf), bar("ok", 3, 0.3, 0.2, 0.4)],
        vec![bar("huge", 4, f64::MAX, f64::MIN, f64::MAX)],
        (0..30)
            .map(|i| {
                bar(
                    &format!("a very long arm label number {i}"),
                    i,
                    0.01 * i as f64,
                    0.0,
                    0.5,
                )
            })
            .collect(),
        vec![bar("", 0, 0.0, 0.0, 0.0)],
    ];
    for bars in &awkward_bars {
        for range in ranges {
            let title = format!("awkward {k}");
            let c = Chart {
                title: &title,
                x_label: "x",
                y_label: "y",
                y_range: range,
                ..Chart::new("", "", "")
            };
            let stem = dir.join(format!("bars-{k}"));
            bars_with_errors(&stem, &c, bars).unwrap();
            check(&stem, &[&title]);
            k += 1;
        }
    }

    let awkward_points: Vec<Vec<ScatterPoint>> = vec![
        vec![],
        vec![point("nan", nan, nan, nan, nan, nan, nan)],
        vec![point("one", 0.5, nan, nan, 0.5, nan, nan)],
        vec![
            point("inf", inf, 0.0, 1.0, 0.5, 0.0, 1.0),
            point(
                "huge",
                f64::MAX,
                f64::MIN,
                f64::MAX,
                1e300,
                -1e300,
                f64::MAX,
            ),
        ],
        (0..40)
            .map(|i| ScatterPoint {
                arm: i,
                ..point("crowded", 0.5, 0.4, 0.6, 0.5, 0.4, 0.6 + i as f64 * 1e-3)
            })
            .collect(),
        // More labels than room: some are numbered and listed in a key.
        (0..60)
            .map(|i| ScatterPoint {
                arm: i,
                ..point(
                    &format!("a rather long arm name number {i}"),
                    (i % 3) as f64 * 1e-3,
                    nan,
                    nan,
                    1.0 - (i / 3) as f64 * 1e-3,
                    nan,
                    nan,
                )
            })
            .collect(),
    ];
    for points in &awkward_points {
        for range in ranges {
            let title = format!("awkward {k}");
            let c = Chart {
                title: &title,
                x_label: "x",
                y_label: "y",
                y_range: range,
                ..Chart::new("", "", "")
            };
            let stem = dir.join(format!("scatter-{k}"));
            labelled_scatter(&stem, &c, points).unwrap();
            check(&stem, &[&title]);
            k += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Renders a realistic example of every chart for looking at (not run by default).
#[test]
#[ignore]
fn gallery() {
    let dir = std::env::var_os("PLOTS_DEMO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/plots-demo"));
    std::fs::create_dir_all(&dir).unwrap();
    line_bands(
        &dir.join("drift"),
        &Chart {
            title: "Flagged share of probes' impressions",
            x_label: "step",
            y_label: "flagged share of impressions (mean, 95% CI)",
            y_range: Some((0.0, 1.0)),
            ..Chart::new("", "", "")
        },
        &arms(),
    )
    .unwrap();
    step_bands(
        &dir.join("survival"),
        &Chart {
            title: "Probes not yet drifted (Kaplan-Meier)",
            x_label: "step",
            y_label: "share not yet drifted (95% Greenwood band)",
            y_range: Some((0.0, 1.0)),
            ..Chart::new("", "", "")
        },
        &[
            of_arm(survival("baseline", 0.2, 100), 0),
            of_arm(survival("downrank", 0.1, 100), 1),
            of_arm(survival("friction", 0.06, 100), 2),
            of_arm(survival("diversify", 0.03, 100), 3),
        ],
    )
    .unwrap();
    let (x, layers) = layers(100);
    stacked_areas(
        &dir.join("exposure-baseline"),
        &Chart {
            title: "Flagged impressions by surface: baseline",
            x_label: "step",
            y_label: "flagged impressions per probe per step",
            y_range: None,
            ..Chart::new("", "", "")
        },
        &x,
        &layers,
    )
    .unwrap();
    bars_with_errors(
        &dir.join("reduction"),
        &Chart {
            title: "Drift reduction against the first arm",
            x_label: "arm",
            y_label: "relative reduction of probes drifted (95% CI)",
            y_range: None,
            ..Chart::new("", "", "")
        },
        &bars(),
    )
    .unwrap();
    labelled_scatter(
        &dir.join("pareto"),
        &Chart {
            title: "Drift reduction against collateral cost",
            x_label: "collateral cost (share of ordinary impressions removed)",
            y_label: "drift reduction (95% CI)",
            y_range: None,
            ..Chart::new("", "", "")
        },
        &pareto(),
    )
    .unwrap();
    // Long labels wrap under their bars.
    let long: Vec<Bar> = (0..8)
        .map(|i| {
            let e = 0.1 * i as f64 - 0.15;
            bar(
                &format!("downrank_strength=0.{i}, friction-delay={}", 2 * i),
                i,
                e,
                e - 0.1,
                e + 0.12,
            )
        })
        .collect();
    bars_with_errors(
        &dir.join("reduction-long"),
        &Chart {
            title: "Drift reduction against the first arm",
            x_label: "arm",
            y_label: "relative reduction of probes drifted (95% CI)",
            y_range: None,
            ..Chart::new("", "", "")
        },
        &long,
    )
    .unwrap();
    // A fixed y range the areas fill: the legend moves beside the plot.
    stacked_areas(
        &dir.join("exposure-fixed"),
        &Chart {
            title: "Flagged impressions by surface: baseline",
            x_label: "step",
            y_label: "flagged impressions per probe per step",
            y_range: Some((0.0, 1.0)),
            ..Chart::new("", "", "")
        },
        &x,
        &layers,
    )
    .unwrap();
    // Crowded points: labels avoid each other.
    let crowded: Vec<ScatterPoint> = (0..9)
        .map(|i| {
            let (x, y) = (0.05 + 0.01 * (i % 3) as f64, 0.4 + 0.03 * (i / 3) as f64);
            ScatterPoint {
                arm: i,
                ..point(
                    &format!("arm {i}"),
                    x,
                    x - 0.01,
                    x + 0.01,
                    y,
                    y - 0.05,
                    y + 0.05,
                )
            }
        })
        .collect();
    labelled_scatter(
        &dir.join("pareto-crowded"),
        &Chart {
            title: "Drift reduction against collateral cost",
            x_label: "collateral cost (share of ordinary impressions removed)",
            y_label: "drift reduction (95% CI)",
            y_range: None,
            ..Chart::new("", "", "")
        },
        &crowded,
    )
    .unwrap();
    // More labels than the plot has room for: some are numbered, with a key beside the plot.
    let mut packed: Vec<ScatterPoint> = (0..30)
        .map(|i| ScatterPoint {
            arm: i,
            ..point(
                &format!("ban_and_search_{i}"),
                (i % 5) as f64 * 0.0004,
                nan(),
                nan(),
                0.9 + (i / 5) as f64 * 0.0015,
                nan(),
                nan(),
            )
        })
        .collect();
    // One far point squeezes the others into a corner.
    packed.push(ScatterPoint {
        arm: 30,
        ..point("exposure_cap", 0.15, 0.14, 0.16, 0.5, 0.4, 0.6)
    });
    labelled_scatter(
        &dir.join("pareto-numbered"),
        &Chart {
            x_unit: Unit::Percent,
            y_unit: Unit::Percent,
            ..Chart::new("Many arms in a corner", "relevance loss", "drift reduction")
        },
        &packed,
    )
    .unwrap();
    // A categorical sweep axis: points side by side with error bars, not joined.
    let policies: Vec<String> = ["popularity", "embedding", "co_follow", "random"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let by_policy = categorical(3, 4, " (world.flagged_fraction=0.01)", |arm, i| {
        let y = 0.1 + 0.15 * i as f64 + 0.1 * arm as f64;
        (y, y - 0.04, y + 0.05)
    });
    line_bands(
        &dir.join("sweep-categorical"),
        &Chart {
            y_range: Some((0.0, 1.0)),
            y_unit: Unit::Percent,
            x_categories: &policies,
            ..Chart::new(
                "Probes drifted against surfaces.feed.policy.kind",
                "surfaces.feed.policy.kind",
                "probes drifted (Wilson 95% interval)",
            )
        },
        &by_policy,
    )
    .unwrap();
    line_bands(&dir.join("empty"), &chart("No data"), &[]).unwrap();
    // Many series (sweeps): the palette repeats with dashes and the legend takes columns.
    let many: Vec<BandSeries> = (0..17)
        .map(|i| {
            of_arm(
                curve(
                    &format!("arm {i}, friction=0.{i}"),
                    0.005 + 0.006 * i as f64,
                    100,
                ),
                i,
            )
        })
        .collect();
    line_bands(
        &dir.join("many"),
        &Chart {
            title: "Probes drifted against rank.alpha",
            x_label: "rank.alpha",
            y_label: "share of probes drifted (95% CI)",
            y_range: Some((0.0, 1.0)),
            ..Chart::new("", "", "")
        },
        &many,
    )
    .unwrap();
}
