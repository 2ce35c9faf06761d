//! Tests of the metric schema: every column reads its own field, the headers, and the
//! README's list of columns.

use super::*;
use crate::agents::panel::PanelStep;
use crate::ids::CommunityId;

/// A row whose every value is distinct (and exact in six decimals), so a column reading the
/// wrong field shows.
pub(crate) fn distinct_row() -> StepRow {
    let mut next = 0.0;
    let mut v = || {
        next += 1.125;
        next
    };
    StepRow {
        step: 7,
        impressions: v(),
        flagged_share: v(),
        surface_share: [v(), v(), v(), v()],
        surface_flagged: [v(), v(), v(), v()],
        flagged_follows: v(),
        hops_to_flagged: v(),
        unreachable: v(),
        profile_cosine: v(),
        drifted: v(),
        panel: PanelStep {
            relevance: v(),
            engagement: v(),
            flagged_share: v(),
            reach: v(),
        },
        benign_labelled: v(),
        flagged_labelled: v(),
        population_flagged_share: v(),
        cluster: crate::adversary::ClusterStep {
            active: v(),
            banned: v(),
            returned: v(),
            recruited: v(),
            variants: v(),
            bridges: v(),
        },
    }
}

#[test]
fn every_step_column_reads_its_own_field() {
    let row = distinct_row();
    let mut seen: Vec<f64> = STEP_METRICS.iter().map(|m| (m.value)(&row)).collect();
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    assert_eq!(seen.len(), STEP_METRICS.len(), "two columns read one field");
    let mut names: Vec<&str> = STEP_METRICS.iter().map(|m| m.column).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), STEP_METRICS.len(), "a column name is repeated");
    for (i, m) in STEP_METRICS.iter().enumerate() {
        assert_eq!(step_column(m.column), i);
    }
}

#[test]
fn per_surface_columns_are_named_and_read_by_their_surface() {
    let row = distinct_row();
    let families: Vec<&[StepMetric]> = STEP_METRICS
        .chunk_by(|a, b| a.surface.is_some() && b.surface > a.surface)
        .filter(|f| f[0].surface.is_some())
        .collect();
    assert_eq!(families.len(), 2);
    for family in families {
        let surfaces: Vec<Surface> = family.iter().filter_map(|m| m.surface).collect();
        assert_eq!(surfaces, Surface::ALL, "{}", family[0].column);
        let prefix = family[0].column.strip_suffix(Search.name()).unwrap();
        for (m, s) in family.iter().zip(Surface::ALL) {
            assert_eq!(m.column, format!("{prefix}{}", s.name()));
            assert_eq!(m.description, family[0].description);
            let array = match prefix {
                "flagged_share_" => row.surface_share,
                "flagged_impressions_" => row.surface_flagged,
                other => panic!("unknown per-surface metric {other}"),
            };
            assert_eq!((m.value)(&row), array[s.index()], "{}", m.column);
        }
    }
}

/// Every metric's interval fits its quantity: whatever its name calls a share is kept in
/// [0, 1], the shares of probes use Wilson's interval, and only the cosine and the affinity
/// may go below 0.
#[test]
fn every_metric_has_the_interval_of_its_kind() {
    for m in STEP_METRICS {
        let kind = m.interval;
        if m.column.contains("share") || m.column.contains("labelled") {
            assert_eq!(kind, IntervalKind::Share, "{}", m.column);
        }
        let probes = ["drifted", "unreachable"].contains(&m.column);
        assert_eq!(kind == IntervalKind::ProbeShare, probes, "{}", m.column);
        let signed = ["profile_cosine", "panel_relevance"].contains(&m.column);
        assert_eq!(kind == IntervalKind::Signed, signed, "{}", m.column);
        assert_eq!(kind.range().0 == 0.0, !signed, "{}", m.column);
    }
}

/// The bootstrap's description in `summary.json` names the number of resamples it uses.
#[test]
fn the_bootstrap_method_names_its_resamples() {
    let resamples = crate::stats::BOOTSTRAP_RESAMPLES.to_string();
    assert!(IntervalKind::NonNegative
        .method()
        .contains(&format!(" {resamples} resamples")));
}

#[test]
fn the_readme_lists_every_steps_column() {
    let readme = include_str!("../../README.md");
    for column in STEPS_HEADER.trim_end_matches('\n').split(',') {
        assert!(
            readme.contains(&format!("`{column}`")),
            "README.md does not list the steps.csv column `{column}`"
        );
    }
}

#[test]
fn headers_are_the_tables() {
    let steps: Vec<&str> = STEPS_HEADER.trim_end_matches('\n').split(',').collect();
    assert_eq!(steps[..3], ["arm", "replicate", "step"]);
    assert_eq!(steps[3..], step_columns());
    let probes: Vec<&str> = PROBES_HEADER.trim_end_matches('\n').split(',').collect();
    assert_eq!(probes[..PROBE_IDENTITY.len()], PROBE_IDENTITY);
    assert_eq!(probes[PROBE_IDENTITY.len()..], probe_columns());
    assert!(STEPS_HEADER.ends_with("population_flagged_share,cluster_active,cluster_banned,cluster_returned,cluster_recruited,cluster_variants,cluster_bridges\n"));
    assert_eq!(STEPS_HEADER.matches('\n').count(), 1);
}

#[test]
fn probe_columns_read_the_outcome() {
    let row = |drift_step| ProbeRow {
        group: 0,
        probe: 3,
        community: CommunityId(2),
        first_flagged_step: Some(4),
        first_flagged_follow_step: None,
        drift_step,
    };
    let cells = |p: &ProbeRow| -> Vec<Option<u32>> {
        PROBE_METRICS.iter().map(|m| (m.value)(p, 30)).collect()
    };
    assert_eq!(cells(&row(Some(9))), [Some(4), None, Some(9), Some(0)]);
    assert_eq!(cells(&row(None)), [Some(4), None, Some(30), Some(1)]);
    for (i, m) in PROBE_METRICS.iter().enumerate() {
        assert_eq!(probe_column(m.column), i);
    }
}
