//! Results as columns for pandas: one typed array per column, handed over as raw native-endian
//! bytes (numpy reads them without a copy per value), never as CSV text. An in-process run's
//! tables and a results directory's go through the same [`ResultTables`], so `run()` and
//! `load()` give equal frames.

use driftlab::analysis::summary::{summarize, ArmStats, Estimate};
use driftlab::analysis::tables::{ResultTables, STEP_METRICS};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use std::path::PathBuf;

/// One column: (name, kind, data, extra). Kinds: `f8` (float64), `i8` (int64), `bool`, `Int64`
/// (nullable int64: `extra` is the mask, 1 = missing), `cat` (int32 codes, `extra` the
/// categories), `str` (`extra` the values).
type Column<'py> = (
    String,
    &'static str,
    Option<Bound<'py, PyBytes>>,
    Option<Bound<'py, PyAny>>,
);

fn bytes<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    values: impl Iterator<Item = T>,
    to: fn(T) -> [u8; N],
) -> Bound<'py, PyBytes> {
    let v: Vec<u8> = values.flat_map(to).collect();
    PyBytes::new(py, &v)
}

fn f8<'py>(py: Python<'py>, name: &str, v: impl Iterator<Item = f64>) -> Column<'py> {
    (
        name.into(),
        "f8",
        Some(bytes(py, v, f64::to_ne_bytes)),
        None,
    )
}

fn i8<'py>(py: Python<'py>, name: &str, v: impl Iterator<Item = i64>) -> Column<'py> {
    (
        name.into(),
        "i8",
        Some(bytes(py, v, i64::to_ne_bytes)),
        None,
    )
}

fn flag<'py>(py: Python<'py>, name: &str, v: impl Iterator<Item = bool>) -> Column<'py> {
    (
        name.into(),
        "bool",
        Some(bytes(py, v, |b| [u8::from(b)])),
        None,
    )
}

fn nullable<'py>(py: Python<'py>, name: &str, v: &[Option<u32>]) -> Column<'py> {
    let values = bytes(
        py,
        v.iter().map(|x| i64::from(x.unwrap_or(0))),
        i64::to_ne_bytes,
    );
    let mask = bytes(py, v.iter().map(|x| x.is_none()), |b| [u8::from(b)]);
    (name.into(), "Int64", Some(values), Some(mask.into_any()))
}

fn categorical<'py>(
    py: Python<'py>,
    name: &str,
    categories: &[String],
    codes: impl Iterator<Item = usize>,
) -> PyResult<Column<'py>> {
    let codes = bytes(py, codes.map(|c| c as i32), i32::to_ne_bytes);
    let cats = PyList::new(py, categories)?.into_any();
    Ok((name.into(), "cat", Some(codes), Some(cats)))
}

/// The results of a run: in memory, or read from a results directory.
#[pyclass(module = "driftlab._native", frozen)]
pub struct Results {
    tables: ResultTables,
    dir: Option<PathBuf>,
}

impl Results {
    pub fn new(tables: ResultTables, dir: Option<PathBuf>) -> Self {
        Self { tables, dir }
    }
}

/// Reads one estimate of an arm's figures.
type Figure = fn(&ArmStats) -> &Estimate;

/// The estimates of the summary, by column name.
const ESTIMATES: [(&str, Figure); 12] = [
    ("final_flagged_share", |a| &a.final_flagged_share),
    ("mean_flagged_share", |a| &a.mean_flagged_share),
    ("drifted_share", |a| &a.drifted_share),
    ("median_drift_step", |a| &a.median_drift_step),
    ("final_flagged_follows", |a| &a.final_flagged_follows),
    ("drifted_share_difference", |a| &a.drifted_share_difference),
    ("flagged_share_difference", |a| &a.flagged_share_difference),
    ("drift_reduction", |a| &a.drift_reduction),
    ("relevance_loss", |a| &a.relevance_loss),
    ("engagement_loss", |a| &a.engagement_loss),
    ("benign_labelled", |a| &a.benign_labelled),
    ("panel_reach", |a| &a.panel_reach),
];

fn nan(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

#[pymethods]
impl Results {
    /// Arm names, in the scenario's order.
    #[getter]
    fn arms(&self) -> Vec<String> {
        self.tables.arms.clone()
    }

    /// The results directory, or None for a run in memory.
    #[getter]
    fn dir(&self) -> Option<PathBuf> {
        self.dir.clone()
    }

    /// The columns of `steps.csv`.
    fn steps_columns<'py>(&self, py: Python<'py>) -> PyResult<Vec<Column<'py>>> {
        let rows = &self.tables.steps;
        let mut out = vec![
            categorical(py, "arm", &self.tables.arms, rows.iter().map(|r| r.arm))?,
            i8(py, "replicate", rows.iter().map(|r| i64::from(r.replicate))),
            i8(py, "step", rows.iter().map(|r| i64::from(r.step))),
        ];
        for (m, name) in STEP_METRICS.iter().enumerate() {
            out.push(f8(py, name, rows.iter().map(|r| r.values[m])));
        }
        Ok(out)
    }

    /// The columns of `probes.csv`.
    fn probes_columns<'py>(&self, py: Python<'py>) -> PyResult<Vec<Column<'py>>> {
        let rows = &self.tables.probes;
        // Personas in order of first appearance: the rows' order is the files', so this is
        // the same for a run in memory and its directory.
        let mut personas: Vec<String> = Vec::new();
        let codes: Vec<usize> = rows
            .iter()
            .map(|r| match personas.iter().position(|p| *p == r.persona) {
                Some(i) => i,
                None => {
                    personas.push(r.persona.clone());
                    personas.len() - 1
                }
            })
            .collect();
        let first: Vec<Option<u32>> = rows.iter().map(|r| r.first_flagged_step).collect();
        let follow: Vec<Option<u32>> = rows.iter().map(|r| r.first_flagged_follow_step).collect();
        Ok(vec![
            categorical(py, "arm", &self.tables.arms, rows.iter().map(|r| r.arm))?,
            i8(py, "replicate", rows.iter().map(|r| i64::from(r.replicate))),
            i8(py, "probe", rows.iter().map(|r| i64::from(r.probe))),
            categorical(py, "persona", &personas, codes.into_iter())?,
            i8(
                py,
                "start_community",
                rows.iter().map(|r| i64::from(r.start_community)),
            ),
            nullable(py, "first_flagged_step", &first),
            nullable(py, "first_flagged_follow_step", &follow),
            i8(
                py,
                "drift_step",
                rows.iter().map(|r| i64::from(r.drift_step)),
            ),
            flag(py, "censored", rows.iter().map(|r| r.censored)),
        ])
    }

    /// The headline figures per arm (those of `summary.json`), each estimate with its 95%
    /// interval as `<figure>`, `<figure>_lower`, `<figure>_upper`.
    fn summary_columns<'py>(&self, py: Python<'py>) -> PyResult<Vec<Column<'py>>> {
        let arms = summarize(&self.tables);
        let names = PyList::new(py, arms.iter().map(|a| a.name.as_str()))?.into_any();
        let mut out: Vec<Column<'py>> = vec![
            ("arm".into(), "str", None, Some(names)),
            i8(py, "probes", arms.iter().map(|a| a.probes as i64)),
        ];
        let triple =
            |out: &mut Vec<Column<'py>>, name: &str, get: &dyn Fn(&ArmStats) -> Estimate| {
                out.push(f8(py, name, arms.iter().map(|a| nan(get(a).estimate))));
                out.push(f8(
                    py,
                    &format!("{name}_lower"),
                    arms.iter().map(|a| nan(get(a).lower)),
                ));
                out.push(f8(
                    py,
                    &format!("{name}_upper"),
                    arms.iter().map(|a| nan(get(a).upper)),
                ));
            };
        for (name, get) in ESTIMATES {
            triple(&mut out, name, &|a| *get(a));
        }
        out.push(flag(
            py,
            "pareto_optimal",
            arms.iter().map(|a| a.pareto_optimal),
        ));
        if let Some(first) = arms.first() {
            for (i, (name, _)) in first.cluster.columns().into_iter().enumerate() {
                triple(&mut out, name, &|a| *a.cluster.columns()[i].1);
            }
        }
        out.push(f8(
            py,
            "log_rank_chi2",
            arms.iter().map(|a| nan(a.log_rank_chi2)),
        ));
        out.push(f8(py, "log_rank_p", arms.iter().map(|a| nan(a.log_rank_p))));
        Ok(out)
    }
}
