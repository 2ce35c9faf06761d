//! Tests of the table reader: every malformed row refused with its file and line, and the
//! committed reference results read back within the bounds of their manifest.

use super::*;

/// The committed reference results are read and pass every check, well inside the bounds.
#[test]
fn real_results_pass_with_room() {
    use crate::analysis::input::MAX_MANIFEST_BYTES;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/reference/smoke");
    let r = ResultsDir::read(&dir).unwrap();
    let s = &r.shape;
    assert_eq!(
        (s.arms.len(), s.replicates, s.steps, s.probes()),
        (2, 3, 30, 30)
    );
    assert_eq!(r.tables.steps.len() as u128, s.step_rows());
    assert_eq!(r.tables.probes.len() as u128, s.probe_rows());
    let size = |f: &str| std::fs::metadata(dir.join(f)).unwrap().len();
    let h = crate::metrics::STEPS_HEADER;
    assert!(size("steps.csv") * 10 < s.steps_bytes(h, STEP_METRICS.len()));
    let h = crate::metrics::PROBES_HEADER;
    let fields = crate::metrics::PROBE_IDENTITY.len() + crate::metrics::PROBE_METRICS.len();
    assert!(size("probes.csv") * 4 < s.probes_bytes(h, fields));
    assert!(size("summary.json") * 4 < s.summary_bytes(STEP_METRICS.len()));
    assert!(size("manifest.json") * 1000 < MAX_MANIFEST_BYTES);
}

/// Two arms, two replicates, three steps, three probes (two `adjacent`, one `benign`).
fn shape() -> RunShape {
    RunShape {
        arms: vec!["a".into(), "b".into()],
        replicates: 2,
        steps: 3,
        probe_groups: vec![("adjacent".into(), 2), ("benign".into(), 1)],
    }
}

/// Complete, valid tables of [`shape`]: flagged share `0.5`, every other metric empty.
fn tables() -> (String, String) {
    let rest = ",".repeat(STEP_METRICS.len() - 2);
    let mut steps = String::from(metrics::STEPS_HEADER);
    let mut probes = String::from(metrics::PROBES_HEADER);
    for arm in ["a", "b"] {
        for r in 0..2 {
            for s in 1..=3 {
                steps += &format!("{arm},{r},{s},1,0.5{rest}\n");
            }
            probes += &format!("{arm},{r},0,adjacent,3,2,,2,0\n");
            probes += &format!("{arm},{r},1,adjacent,3,,,3,1\n");
            probes += &format!("{arm},{r},2,benign,1,1,0,3,0\n");
        }
    }
    (steps, probes)
}

fn parse(steps: &str, probes: &str) -> Result<ResultTables, TableError> {
    ResultTables::parse(steps, probes, &shape(), Path::new("d"))
}

#[test]
fn parses_complete_tables() {
    let (steps, probes) = tables();
    let t = parse(&steps, &probes).unwrap();
    assert_eq!(t.arms, vec!["a", "b"]);
    assert_eq!((t.replicates(), t.horizon()), (2, 3));
    assert_eq!(t.metric(1, 1), vec![vec![0.5; 3]; 2]);
    assert!(t.steps[0].values[2].is_nan());
    assert!(t.probes[1].censored && t.probes[0].first_flagged_step == Some(2));
    assert_eq!(t.probes[2].persona, "benign");
}

/// Replaces line `line` (1-based) of `text` with `with`.
fn edit(text: &str, line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines[line - 1] = with;
    lines.join("\n")
}

/// Every way a table can be wrong is refused with its file, line and reason.
#[test]
fn hostile_tables_are_refused_with_file_and_line() {
    let (steps, probes) = tables();
    let valid_steps = steps.clone();
    let cells = |row: &str| row.split(',').map(String::from).collect::<Vec<_>>();
    let step_row = |f: &dyn Fn(&mut Vec<String>)| {
        let mut c = cells(steps.lines().nth(2).unwrap());
        f(&mut c);
        edit(&steps, 3, &c.join(","))
    };
    let probe_row = |f: &dyn Fn(&mut Vec<String>)| {
        let mut c = cells(probes.lines().nth(2).unwrap());
        f(&mut c);
        edit(&probes, 3, &c.join(","))
    };
    let dup = steps.clone() + steps.lines().nth(4).unwrap() + "\n";
    let mut lines: Vec<&str> = steps.split('\n').collect();
    lines.swap(2, 3);
    let reordered = lines.join("\n");
    let n = 3 + STEP_METRICS.len();
    let fewer = format!("expected {n} fields, found {}", n - 1);
    let more = format!("expected {n} fields, found {}", n + 1);
    let cases: Vec<(&str, String, String, usize, &str)> = vec![
        ("empty", String::new(), probes.clone(), 0, "it is empty"),
        ("header only", metrics::STEPS_HEADER.into(), probes.clone(), 0, "no rows after the header: expected 12 rows (2 arms x 2 replicates x 3 steps)"),
        ("no header", steps.lines().skip(1).collect::<Vec<_>>().join("\n") + "\n", probes.clone(), 1, "not the header"),
        ("truncated", steps[..steps.len() - 3].into(), probes.clone(), 13, "no line break: the file was cut short"),
        ("traversal", step_row(&|c| c[0] = "/../../x".into()), probes.clone(), 3, "arm \"/../../x\" is not a valid name"),
        ("slash", step_row(&|c| c[0] = "a/b".into()), probes.clone(), 3, "not a valid name"),
        ("dots", step_row(&|c| c[0] = "..".into()), probes.clone(), 3, "not a valid name"),
        ("nul", step_row(&|c| c[0] = "a\0".into()), probes.clone(), 3, "\"a\\0\" is not a valid name"),
        ("unknown arm", step_row(&|c| c[0] = "c".into()), probes.clone(), 3, "arm `c` is not one of the manifest's 2 arms"),
        ("huge step", step_row(&|c| c[2] = "4000000000".into()), probes.clone(), 3, "step 4000000000 is out of range: the manifest has 3 steps (1 ..= 3)"),
        ("step 0", step_row(&|c| c[2] = "0".into()), probes.clone(), 3, "step 0 is out of range"),
        ("huge replicate", step_row(&|c| c[1] = "4294967295".into()), probes.clone(), 3, "replicate 4294967295 is out of range: the manifest has 2 replicates (0 ..= 1)"),
        ("past u32", step_row(&|c| c[1] = "99999999999999999999999".into()), probes.clone(), 3, "is out of range"),
        ("negative", step_row(&|c| c[1] = "-1".into()), probes.clone(), 3, "replicate \"-1\" is not a whole number"),
        ("NaN", step_row(&|c| c[4] = "NaN".into()), probes.clone(), 3, "`flagged_share` = \"NaN\" is not a finite number"),
        ("inf", step_row(&|c| c[3] = "inf".into()), probes.clone(), 3, "`impressions` = \"inf\" is not a finite number"),
        ("overflow", step_row(&|c| c[3] = "1e999".into()), probes.clone(), 3, "not a finite number"),
        ("word", step_row(&|c| c[3] = "x".into()), probes.clone(), 3, "`impressions` = \"x\" is not a number"),
        ("columns", step_row(&|c| { c.pop(); }), probes.clone(), 3, &fewer),
        ("extra column", step_row(&|c| c.push("1".into())), probes.clone(), 3, &more),
        ("crlf", edit(&steps, 3, &(steps.lines().nth(2).unwrap().to_string() + "1\r")), probes.clone(), 3, "not a number"),
        ("duplicate", dup, probes.clone(), 14, "arm `a`, replicate 1, step 1 again (first on line 5): a row is repeated"),
        ("missing", edit(&steps, 6, "").replace("\n\n", "\n"), probes.clone(), 0, "no row for arm `a`, replicate 1, step 2: expected 12 rows (2 arms x 2 replicates x 3 steps), found 11 rows"),
        ("missing last", steps[..steps.len() - 1].rsplit_once('\n').unwrap().0.to_string() + "\n", probes.clone(), 0, "no row for arm `b`, replicate 1, step 3"),
        ("reordered", reordered, probes.clone(), 0, "accepted"),
        ("probe arm", steps.clone(), probe_row(&|c| c[0] = "../b".into()), 3, "probes.csv:3: arm \"../b\" is not a valid name"),
        ("huge probe", steps.clone(), probe_row(&|c| c[2] = "4294967295".into()), 3, "probe 4294967295 is out of range: the manifest has 3 probes per replicate (0 ..= 2)"),
        ("persona", steps.clone(), probe_row(&|c| c[3] = "benign".into()), 3, "persona \"benign\" is not the group of probe 1: the manifest's is `adjacent`"),
        ("drift past horizon", steps.clone(), probe_row(&|c| c[7] = "4000000000".into()), 3, "`drift_step` 4000000000 is out of range: the manifest has 3 steps (0 ..= 3)"),
        ("no drift step", steps.clone(), probe_row(&|c| c[7] = String::new()), 3, "`drift_step` is empty"),
        ("censored", steps.clone(), probe_row(&|c| c[8] = "2".into()), 3, "`censored` = \"2\" is not 0 or 1"),
        ("censored early", steps.clone(), probe_row(&|c| c[7] = "2".into()), 3, "a censored probe's `drift_step` is the horizon (3), not 2"),
        ("community", steps.clone(), probe_row(&|c| c[4] = "1.5".into()), 3, "`start_community` \"1.5\" is not a whole number"),
        ("probe missing", steps.clone(), edit(&probes, 3, "").replace("\n\n", "\n"), 0, "no row for arm `a`, replicate 0, probe 1"),
    ];
    for (what, steps, probes, line, needle) in cases {
        let file = if steps == valid_steps {
            "probes.csv"
        } else {
            "steps.csv"
        };
        let e = match parse(&steps, &probes) {
            Err(e) => e,
            Ok(_) if needle == "accepted" => continue,
            Ok(_) => panic!("{what}: accepted"),
        };
        assert_eq!(e.line, line, "{what}: {e}");
        assert!(e.to_string().contains(needle), "{what}: {e}");
        assert!(!e.to_string().contains('\n'), "{what}: {e}");
        let shown = if line == 0 {
            format!("{file}: ")
        } else {
            format!("{file}:{line}: ")
        };
        assert!(
            e.to_string()
                .starts_with(&format!("{}", Path::new("d").join(&shown).display())),
            "{what}: {e}"
        );
    }
}

/// The reader knows every column the writer writes, and reads each where the writer put
/// it; and the reader reads no column the writer does not write.
#[test]
fn reads_every_column_the_writer_writes() {
    use crate::agents::panel::PanelStep;
    use crate::engine::{ArmRun, ProbeRow, StepRow};
    use crate::ids::CommunityId;
    use crate::results::output::{probes_rows, steps_header, steps_rows, PROBES_HEADER};
    use crate::scenario::{Overrides, Scenario};

    let scenario = Scenario::quickstart(&Overrides::default()).unwrap();
    let spec = scenario.spec();
    let full = StepRow {
        step: 1,
        ..metrics::tests::distinct_row()
    };
    let empty = |step| StepRow {
        step,
        impressions: f64::NAN,
        flagged_share: f64::NAN,
        surface_share: [f64::NAN; 4],
        surface_flagged: [f64::NAN; 4],
        flagged_follows: f64::NAN,
        hops_to_flagged: f64::NAN,
        unreachable: f64::NAN,
        profile_cosine: f64::NAN,
        drifted: f64::NAN,
        panel: PanelStep::EMPTY,
        benign_labelled: f64::NAN,
        flagged_labelled: f64::NAN,
        population_flagged_share: f64::NAN,
        cluster: crate::adversary::ClusterStep::EMPTY,
    };
    let probe = |probe, first, follow, drift| ProbeRow {
        group: 0,
        probe,
        community: CommunityId(1),
        first_flagged_step: first,
        first_flagged_follow_step: follow,
        drift_step: drift,
    };
    let run = ArmRun {
        steps: std::iter::once(full.clone())
            .chain((2..=spec.steps).map(empty))
            .collect(),
        probes: vec![
            probe(0, Some(3), Some(0), Some(6)),
            probe(1, None, None, None),
        ],
        adversary: Default::default(),
    };
    let shape = RunShape {
        arms: vec!["a".into()],
        replicates: 3,
        steps: spec.steps,
        probe_groups: vec![(spec.probes[0].name.clone(), 2)],
    };
    let (mut steps, mut probes) = (steps_header(), String::from(PROBES_HEADER));
    for r in 0..3 {
        steps += &steps_rows("a", r, &run);
        probes += &probes_rows(spec, "a", r, &run);
    }
    let t = ResultTables::parse(&steps, &probes, &shape, Path::new("x")).unwrap();

    // Steps: the header is the reader's columns, every value comes back in its column.
    let header: Vec<&str> = steps.lines().next().unwrap().split(',').collect();
    assert_eq!(header[3..], STEP_METRICS);
    let last = 2 * spec.steps as usize;
    assert_eq!((t.steps[last].replicate, t.steps[last].step), (2, 1));
    for (i, m) in metrics::STEP_METRICS.iter().enumerate() {
        assert_eq!(t.steps[last].values[i], (m.value)(&full), "{}", m.column);
        assert!(t.steps[last + 1].values[i].is_nan(), "{}", m.column);
    }

    // Probes: every outcome column is read, and each lands in its field.
    let mut read = PROBE_FIELDS_READ.to_vec();
    read.sort_unstable();
    assert_eq!(
        read,
        (metrics::PROBE_IDENTITY.len()..PROBE_FIELDS).collect::<Vec<_>>()
    );
    let p = &t.probes[4..];
    assert_eq!((p[0].replicate, p[0].probe, p[1].probe), (2, 0, 1));
    assert_eq!(
        (p[0].first_flagged_step, p[0].first_flagged_follow_step),
        (Some(3), Some(0))
    );
    assert_eq!((p[0].drift_step, p[0].censored), (6, false));
    assert_eq!(
        (p[1].first_flagged_step, p[1].first_flagged_follow_step),
        (None, None)
    );
    assert_eq!((p[1].drift_step, p[1].censored), (spec.steps, true));
    assert_eq!(p[1].persona, spec.probes[0].name);
    let identity = metrics::PROBE_IDENTITY;
    assert_eq!(
        (identity[PERSONA], identity[START_COMMUNITY]),
        ("persona", "start_community")
    );
}
