//! Python rankers and mitigations as batched plug-ins of the library ([`driftlab::batch`]).
//!
//! A subclass of `driftlab.Policy` (or `driftlab.Mitigation`) given to `Scenario.run(plugins=)`
//! is registered under its `kind`, so scenario files name it like any plug-in. Its parameters
//! (the scenario table's keys but `kind`, and `source` for a policy) are checked against its
//! `__init__` when the scenario is checked, and it is instantiated once per sweep point. Each
//! call takes the GIL, hands the batch's columns over as bytes (the package wraps them in
//! read-only numpy arrays, `driftlab._plugins`) and copies the returned scores or keys back.
//! A Python exception becomes a [`PluginFailure`] carrying the traceback and the exception
//! itself, which `Scenario.run` re-raises as the cause of a `driftlab.PluginError`.

use crate::convert;
use driftlab::batch::{Batch, BatchMitigation, BatchPolicy, PluginFailure};
use driftlab::plugin::{ParamError, Registry};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

/// The package's helper module, `driftlab._plugins`.
fn helpers(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("driftlab._plugins")
}

/// Registers every class of `plugins` (subclasses of `driftlab.Policy` or
/// `driftlab.Mitigation`) under its `kind`.
pub fn register(py: Python<'_>, plugins: &[Py<PyAny>], registry: &mut Registry) -> PyResult<()> {
    let h = helpers(py)?;
    for cls in plugins {
        // (category, kind, about, [(name, default, meaning)]) or a TypeError naming the problem.
        let (category, kind, about, params): (
            String,
            String,
            String,
            Vec<(String, String, String)>,
        ) = h.call_method1("describe", (cls.bind(py),))?.extract()?;
        let params_ref: Vec<(&str, &str, &str)> = params
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        let class = cls.clone_ref(py);
        let name = kind.clone();
        if category == "policy" {
            registry.batch_policy(&kind, move |params: toml::Table| {
                Ok(PyPolicy {
                    kind: name.clone(),
                    instance: instantiate(&class, params)?,
                })
            });
        } else {
            registry.batch_mitigation(&kind, move |params: toml::Table| {
                Ok(PyMitigation {
                    kind: name.clone(),
                    instance: instantiate(&class, params)?,
                })
            });
        }
        registry.describe(&kind, &about, &params_ref);
    }
    Ok(())
}

/// An instance of `cls` built from a scenario table's parameters, or the parameter error
/// (`driftlab._plugins.build` checks them against `__init__`).
fn instantiate(cls: &Py<PyAny>, params: toml::Table) -> Result<Py<PyAny>, ParamError> {
    Python::attach(|py| {
        let built = (|| -> PyResult<Py<PyAny>> {
            let dict = convert::to_python(py, &toml::Value::Table(params))?;
            Ok(helpers(py)?
                .call_method1("build", (cls.bind(py), dict))?
                .unbind())
        })();
        built.map_err(|e| {
            let value = e.value(py);
            let key: Option<String> = value.getattr("key").and_then(|k| k.extract()).ok();
            let message: Option<String> = value.getattr("message").and_then(|k| k.extract()).ok();
            match (key, message) {
                (Some(key), Some(message)) => ParamError::new(key, message),
                _ => ParamError::new("", traceback(py, &e)),
            }
        })
    })
}

/// The formatted traceback of a Python exception.
fn traceback(py: Python<'_>, e: &PyErr) -> String {
    helpers(py)
        .and_then(|h| {
            h.call_method1("format_error", (e.value(py), e.traceback(py)))?
                .extract()
        })
        .unwrap_or_else(|_| e.to_string())
}

/// A Python exception as the failure of a plug-in call.
fn failure(py: Python<'_>, e: PyErr) -> PluginFailure {
    let mut f = PluginFailure::new(traceback(py, &e));
    f.source = Some(Box::new(e));
    f
}

/// The little-endian bytes of a column, as a Python `bytes`.
fn column<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    xs: &[T],
    le: fn(T) -> [u8; N],
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, xs.len() * N, |buf| {
        for (chunk, &x) in buf.chunks_exact_mut(N).zip(xs) {
            chunk.copy_from_slice(&le(x));
        }
        Ok(())
    })
}

/// The batch as the tuple `driftlab._plugins.Batch` unpacks.
fn pack<'py>(py: Python<'py>, b: &Batch<'_>) -> PyResult<Bound<'py, PyTuple>> {
    let items: Vec<Bound<'py, PyAny>> = vec![
        b.replicate.into_pyobject(py)?.into_any(),
        b.arm.into_pyobject(py)?.into_any(),
        b.step.into_pyobject(py)?.into_any(),
        b.surface.name().into_pyobject(py)?.into_any(),
        b.seed.into_pyobject(py)?.into_any(),
        b.dims.into_pyobject(py)?.into_any(),
        PyBytes::new(py, b.groups).into_any(),
        column(py, b.agents, u32::to_le_bytes)?.into_any(),
        column(py, b.queries, i64::to_le_bytes)?.into_any(),
        column(py, b.estimates, f32::to_le_bytes)?.into_any(),
        column(py, b.followees, u32::to_le_bytes)?.into_any(),
        column(py, b.offsets, u32::to_le_bytes)?.into_any(),
        column(py, b.accounts, u32::to_le_bytes)?.into_any(),
        column(py, b.scores, f32::to_le_bytes)?.into_any(),
        column(py, b.contents, f32::to_le_bytes)?.into_any(),
        column(py, b.followers, u32::to_le_bytes)?.into_any(),
        PyBytes::new(py, b.labelled).into_any(),
    ];
    PyTuple::new(py, items)
}

/// Calls `driftlab._plugins.<helper>(instance, batch)` and decodes the `N`-byte values it
/// returns into `out`.
fn call<T, const N: usize>(
    helper: &str,
    instance: &Py<PyAny>,
    batch: &Batch<'_>,
    out: &mut [T],
    decode: fn([u8; N]) -> T,
) -> Result<(), PluginFailure> {
    Python::attach(|py| {
        let result = (|| -> PyResult<()> {
            let packed = pack(py, batch)?;
            let returned = helpers(py)?.call_method1(helper, (instance.bind(py), packed))?;
            let bytes = returned.cast::<PyBytes>()?.as_bytes();
            if bytes.len() != out.len() * N {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "returned {} values for {} candidates",
                    bytes.len() / N,
                    out.len()
                )));
            }
            for (x, chunk) in out.iter_mut().zip(bytes.chunks_exact(N)) {
                *x = decode(chunk.try_into().expect("N bytes"));
            }
            Ok(())
        })();
        result.map_err(|e| failure(py, e))
    })
}

/// A `driftlab.Policy` subclass's instance.
struct PyPolicy {
    kind: String,
    instance: Py<PyAny>,
}

impl BatchPolicy for PyPolicy {
    fn name(&self) -> &str {
        &self.kind
    }

    fn score(&self, batch: &Batch<'_>, scores: &mut [f32]) -> Result<(), PluginFailure> {
        call(
            "call_policy",
            &self.instance,
            batch,
            scores,
            f32::from_le_bytes,
        )
    }
}

/// A `driftlab.Mitigation` subclass's instance.
struct PyMitigation {
    kind: String,
    instance: Py<PyAny>,
}

impl BatchMitigation for PyMitigation {
    fn name(&self) -> &str {
        &self.kind
    }

    fn apply(&self, batch: &Batch<'_>, keys: &mut [f64]) -> Result<(), PluginFailure> {
        call(
            "call_mitigation",
            &self.instance,
            batch,
            keys,
            f64::from_le_bytes,
        )
    }
}
