//! `driftlab._native`: the Python extension module behind the `driftlab` package. It is a thin
//! edge over the library, as `src/cli.rs` is for the command line: scenarios are read by
//! [`Scenario::load`] with the CLI's `--set` overrides, runs go through [`Experiment`] (so a run
//! with `out` writes the files `driftlab run` writes, byte for byte), results are read by the
//! library's table reader, and `list()` is the CLI's catalogue. Nothing here prints; runs
//! release the GIL; every error is a Python exception (a panic too).

mod convert;
mod errors;
mod plugins;
mod results;

use driftlab::analysis::tables::ResultTables;
use driftlab::experiment::{Event, Experiment, Outcome};
use driftlab::plugin::Registry;
use driftlab::scenario::{Overrides, Scenario as Checked};
use errors::{no_panic, scenario_error, to_py, Place};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use results::Results;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The origin of a scenario given as a dict.
const DICT: &str = "<dict>";

/// A checked scenario, ready to run.
#[pyclass(module = "driftlab._native", frozen)]
struct Scenario {
    scenario: Checked,
    /// Set for a scenario given as a dict: its errors name key paths, not lines.
    dict: bool,
}

/// The `set={...}` overrides as the CLI's assignments, or the error naming the key.
fn overrides(
    py: Python<'_>,
    set: Option<&Bound<'_, PyDict>>,
    seed: Option<u64>,
    replicates: Option<u32>,
) -> PyResult<Overrides> {
    let sets = convert::assignments(set).map_err(|e| {
        scenario_error(
            py,
            format!("set: `{}`: {}", e.key, e.message),
            Place {
                file: Some("set".into()),
                key: Some(e.key),
                ..Place::default()
            },
        )
    })?;
    Ok(Overrides {
        seed,
        replicates,
        sets,
    })
}

#[pymethods]
impl Scenario {
    /// Reads and checks a scenario file, as `driftlab run PATH --set K=V ...` does.
    #[staticmethod]
    #[pyo3(signature = (path, set=None, seed=None, replicates=None))]
    fn from_toml(
        py: Python<'_>,
        path: PathBuf,
        set: Option<&Bound<'_, PyDict>>,
        seed: Option<u64>,
        replicates: Option<u32>,
    ) -> PyResult<Self> {
        let o = overrides(py, set, seed, replicates)?;
        no_panic(|| {
            let scenario = Checked::load(&path, &o).map_err(|e| errors::refused(py, &e, None))?;
            Ok(Self {
                scenario,
                dict: false,
            })
        })
    }

    /// Checks TOML text; `origin` names it in errors, imports resolve against `base_dir`.
    #[staticmethod]
    #[pyo3(signature = (text, origin="<string>", base_dir=PathBuf::from("."), set=None, seed=None, replicates=None))]
    fn from_toml_str(
        py: Python<'_>,
        text: &str,
        origin: &str,
        base_dir: PathBuf,
        set: Option<&Bound<'_, PyDict>>,
        seed: Option<u64>,
        replicates: Option<u32>,
    ) -> PyResult<Self> {
        let o = overrides(py, set, seed, replicates)?;
        no_panic(|| {
            let scenario = Checked::from_toml_str(text, origin, &base_dir, &o)
                .map_err(|e| errors::refused(py, &e, None))?;
            Ok(Self {
                scenario,
                dict: false,
            })
        })
    }

    /// Checks a scenario given as a dict (the TOML file's tables as nested dicts).
    #[staticmethod]
    #[pyo3(signature = (data, base_dir=PathBuf::from("."), set=None, seed=None, replicates=None))]
    fn from_dict(
        py: Python<'_>,
        data: &Bound<'_, PyDict>,
        base_dir: PathBuf,
        set: Option<&Bound<'_, PyDict>>,
        seed: Option<u64>,
        replicates: Option<u32>,
    ) -> PyResult<Self> {
        let table = convert::to_table(data, "").map_err(|e| {
            scenario_error(
                py,
                format!("{DICT}: `{}`: {}", e.key, e.message),
                Place {
                    file: Some(DICT.into()),
                    key: Some(e.key),
                    ..Place::default()
                },
            )
        })?;
        let text = toml::to_string(&table).map_err(|e| {
            scenario_error(
                py,
                format!("{DICT}: cannot be written as TOML: {e}"),
                Place {
                    file: Some(DICT.into()),
                    ..Place::default()
                },
            )
        })?;
        let o = overrides(py, set, seed, replicates)?;
        no_panic(|| {
            let scenario = Checked::from_toml_str(&text, DICT, &base_dir, &o)
                .map_err(|e| errors::refused(py, &e, Some(DICT)))?;
            Ok(Self {
                scenario,
                dict: true,
            })
        })
    }

    /// The quickstart scenario embedded in driftlab (`driftlab run` without a file).
    #[staticmethod]
    #[pyo3(signature = (set=None, seed=None, replicates=None))]
    fn quickstart(
        py: Python<'_>,
        set: Option<&Bound<'_, PyDict>>,
        seed: Option<u64>,
        replicates: Option<u32>,
    ) -> PyResult<Self> {
        let o = overrides(py, set, seed, replicates)?;
        no_panic(|| {
            let scenario = Checked::quickstart(&o).map_err(|e| errors::refused(py, &e, None))?;
            Ok(Self {
                scenario,
                dict: false,
            })
        })
    }

    /// The scenario's name (its results go to `<out>/<name>/`).
    #[getter]
    fn name(&self) -> String {
        self.scenario.spec().name.clone()
    }

    /// The master seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.scenario.spec().seed
    }

    /// Steps per run.
    #[getter]
    fn steps(&self) -> u32 {
        self.scenario.spec().steps
    }

    /// Replicates.
    #[getter]
    fn replicates(&self) -> u32 {
        self.scenario.spec().replicates
    }

    /// Arm names, in order (the first is the baseline of differences).
    #[getter]
    fn arms(&self) -> Vec<String> {
        self.scenario
            .spec()
            .arms
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// Whether the scenario has a `[sweep]` (a run then writes one directory per point).
    #[getter]
    fn is_sweep(&self) -> bool {
        !driftlab::scenario::sweep::grid(&self.scenario.spec().sweep).is_empty()
    }

    /// The stable hash of the resolved scenario (`manifest.json`'s `scenario_hash`).
    #[getter]
    fn hash(&self) -> String {
        self.scenario.hash().to_string()
    }

    /// The scenario with every default filled in, as TOML (`scenario.resolved.toml`).
    fn to_toml(&self) -> String {
        self.scenario.resolved_toml()
    }

    /// The scenario with every default filled in, as nested dicts.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value: toml::Value = toml::from_str(&self.scenario.resolved_toml())
            .map_err(|e| errors::DriftlabError::new_err(e.to_string()))?;
        convert::to_python(py, &value)
    }

    /// Runs the scenario with the GIL released. `progress(done, total, name)` is called after
    /// every finished (arm, replicate) job, from any thread. Returns the Results (a list of
    /// them for a sweep, one per point in grid order). Ctrl-C stops the run at the next step
    /// (finished jobs are kept for `resume`) and raises KeyboardInterrupt.
    #[pyo3(signature = (threads=None, out=None, resume=false, overwrite=false, progress=None, plugins=None))]
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        py: Python<'_>,
        threads: Option<usize>,
        out: Option<PathBuf>,
        resume: bool,
        overwrite: bool,
        progress: Option<Py<PyAny>>,
        plugins: Option<Vec<Py<PyAny>>>,
    ) -> PyResult<Py<PyAny>> {
        let spec = self.scenario.spec();
        let total = spec.replicates as usize * spec.arms.len();
        let cancel = Arc::new(AtomicBool::new(false));
        let mut registry = Registry::new();
        plugins::register(py, plugins.as_deref().unwrap_or_default(), &mut registry)?;
        let mut experiment = Experiment::new(self.scenario.clone())
            .registry(registry)
            .resume(resume)
            .overwrite(overwrite)
            .cancel_flag(Arc::clone(&cancel));
        if let Some(n) = threads {
            experiment = experiment.threads(n);
        }
        if let Some(callback) = progress {
            let state = Mutex::new((spec.name.clone(), 0usize, total));
            experiment = experiment.on_event(move |event| {
                let (name, done, total) = {
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    match event {
                        Event::Jobs { name, done, total } => *s = (name.clone(), *done, *total),
                        Event::JobDone => s.1 += 1,
                        _ => return,
                    }
                    s.clone()
                };
                Python::attach(|py| {
                    if let Err(e) = callback.call1(py, (done, total, name)) {
                        e.write_unraisable(py, None);
                    }
                });
            });
        }
        let dict = self.dict.then_some(DICT);
        if out.is_none() && self.is_sweep() {
            return Err(errors::DriftlabError::new_err(
                "a sweep writes one results directory per point: pass out=",
            ));
        }
        let ran = detached(py, &cancel, move || match &out {
            // The checks `run` makes first (threads, memory), then the run in memory.
            None => experiment
                .plan()
                .and_then(|_| experiment.run_in_memory())
                .map(|result| {
                    Ran::Memory(driftlab::results::output::tables(
                        experiment.scenario(),
                        &result,
                    ))
                }),
            Some(out) => experiment.out(out).run().map(Ran::Disk),
        })?;
        let ran = ran.map_err(|e| to_py(py, e, dict))?;
        match ran {
            Ran::Memory(tables) => Ok(Py::new(py, Results::new(tables, None))?.into_any()),
            Ran::Disk(Outcome::Interrupted(stop)) => Err(errors::DriftlabError::new_err(format!(
                "interrupted: {} of {} arm-replicates are saved in {}; run again with resume=True",
                stop.saved,
                stop.total,
                stop.parts.display()
            ))),
            Ran::Disk(Outcome::Finished(report)) if report.points.is_empty() => {
                Ok(Py::new(py, read(py, &report.dir)?)?.into_any())
            }
            Ran::Disk(Outcome::Finished(report)) => {
                let mut points = Vec::new();
                for (p, _) in &report.points {
                    points.push(Py::new(py, read(py, &report.dir.join(p.name()))?)?);
                }
                Ok(points.into_pyobject(py)?.into_any().unbind())
            }
            // A shard's run (never asked for here) and any later kind of ending.
            Ran::Disk(other) => Err(errors::DriftlabError::new_err(format!(
                "the run ended in an unexpected way: {other:?}"
            ))),
        }
    }

    fn __repr__(&self) -> String {
        let s = self.scenario.spec();
        format!(
            "Scenario(name={:?}, seed={}, steps={}, replicates={}, arms={:?})",
            s.name,
            s.seed,
            s.steps,
            s.replicates,
            self.arms()
        )
    }
}

/// What a run gave: tables in memory, or a results directory.
enum Ran {
    Memory(ResultTables),
    Disk(Outcome),
}

/// Runs `work` on its own thread with the GIL released, checking for Ctrl-C every 100 ms: a
/// signal raises `cancel` (the run stops at its next step), and its exception is returned once
/// the run has stopped. A panic of the run becomes a `DriftlabError`.
fn detached<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    let mut signal: Option<PyErr> = None;
    let joined = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<()>();
            let handle = scope.spawn(move || {
                let r = work();
                let _ = tx.send(());
                r
            });
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(Duration::from_millis(100))
            {
                if signal.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        signal = Some(e);
                        cancel.store(true, Ordering::SeqCst);
                    }
                }
            }
            handle.join()
        })
    });
    if let Some(e) = signal {
        return Err(e);
    }
    joined.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        errors::DriftlabError::new_err(format!(
            "internal error (a bug in driftlab, please report it): {what}"
        ))
    })
}

/// A results directory read by the library's checked reader.
fn read(py: Python<'_>, dir: &Path) -> PyResult<Results> {
    let dir = dir.to_path_buf();
    let tables = py
        .detach(|| std::panic::catch_unwind(|| ResultTables::load(&dir)))
        .map_err(|_| errors::DriftlabError::new_err("internal error reading results"))?
        .map_err(|e| errors::DriftlabError::new_err(e.to_string()))?;
    Ok(Results::new(tables, Some(dir)))
}

/// Reads the results of a finished run from its directory (`<out>/<scenario name>`).
#[pyfunction]
fn load(py: Python<'_>, results_dir: PathBuf) -> PyResult<Results> {
    read(py, &results_dir)
}

/// One entry of the catalogue: (category, name, description, [(param, default, meaning)]).
type Entry = (String, String, String, Vec<(String, String, String)>);

/// What a scenario can name: policies, mitigations, adaptations, behaviours and metrics, with
/// the Python plug-ins `plugins` registered beside the built-ins.
#[pyfunction]
#[pyo3(signature = (plugins=None))]
fn catalog(py: Python<'_>, plugins: Option<Vec<Py<PyAny>>>) -> PyResult<Vec<Entry>> {
    let mut registry = Registry::new();
    plugins::register(py, plugins.as_deref().unwrap_or_default(), &mut registry)?;
    Ok(registry
        .entries()
        .into_iter()
        .map(|e| (e.category, e.name, e.description, e.params))
        .collect())
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ScenarioError", py.get_type::<errors::ScenarioError>())?;
    m.add("DriftlabError", py.get_type::<errors::DriftlabError>())?;
    m.add("PluginError", py.get_type::<errors::PluginError>())?;
    m.add_class::<Scenario>()?;
    m.add_class::<Results>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    Ok(())
}
