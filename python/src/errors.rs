//! driftlab's errors as Python exceptions: a refused scenario raises `driftlab.ScenarioError`
//! carrying where it is (file, line, key, suggestion); everything else a `driftlab.DriftlabError`
//! (or `OSError` for I/O). A panic inside the library never crosses into Python: it becomes a
//! `DriftlabError` naming it an internal error.

use driftlab::scenario::ScenarioError as Refused;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    driftlab,
    DriftlabError,
    PyException,
    "A run, a results directory or the engine failed (not the scenario itself)."
);
pyo3::create_exception!(
    driftlab,
    PluginError,
    DriftlabError,
    "A Python policy or mitigation raised during a run: `kind`, `place` (replicate, arm, step, \
     surface), `saved` (what was kept for `resume=True`, or None); the plug-in's \
     exception is the `__cause__`, and the message holds its traceback."
);
pyo3::create_exception!(
    driftlab,
    ScenarioError,
    PyValueError,
    "A scenario was refused: `file`, `line` (None when unknown), `column`, `key` (the key path, \
     e.g. `world.accounts`), `suggestion` (the nearest valid key or kind, or None) and `message`."
);

/// Where a refused scenario is at fault, as the exception's attributes.
#[derive(Default)]
pub struct Place {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub key: Option<String>,
    pub suggestion: Option<String>,
    pub point: Option<String>,
}

impl Place {
    fn of(err: &Refused) -> Self {
        match err {
            Refused::Io { path, .. } => Self {
                file: Some(path.display().to_string()),
                ..Self::default()
            },
            Refused::Parse {
                file,
                line,
                column,
                key,
                suggestion,
                ..
            } => Self {
                file: Some(file.clone()),
                line: (*line > 0).then_some(*line),
                column: (*column > 0).then_some(*column),
                key: (!key.is_empty()).then(|| key.clone()),
                suggestion: suggestion.clone(),
                point: None,
            },
            Refused::Invalid {
                file, line, key, ..
            } => Self {
                file: Some(file.clone()),
                line: *line,
                key: (!key.is_empty()).then(|| key.clone()),
                ..Self::default()
            },
            Refused::SweepPoint { point, error, .. } => Self {
                point: Some(point.clone()),
                ..Self::of(error)
            },
            _ => Self::default(),
        }
    }
}

/// A `ScenarioError` with `message` and the attributes of `place`.
pub fn scenario_error(py: Python<'_>, message: String, place: Place) -> PyErr {
    let err = ScenarioError::new_err(message.clone());
    let value = err.value(py);
    let attrs: [(&str, Option<String>); 4] = [
        ("file", place.file),
        ("key", place.key),
        ("suggestion", place.suggestion),
        ("point", place.point),
    ];
    // Setting attributes on a fresh exception instance cannot fail but for memory.
    for (name, v) in attrs {
        let _ = value.setattr(name, v);
    }
    let _ = value.setattr("line", place.line);
    let _ = value.setattr("column", place.column);
    let _ = value.setattr("message", message);
    err
}

/// A refused scenario; `origin` replaces the place in the message and the file (a dict has no
/// lines: its errors name the key path alone).
pub fn refused(py: Python<'_>, err: &Refused, dict_origin: Option<&str>) -> PyErr {
    let mut place = Place::of(err);
    let mut message = err.to_string();
    if let Some(origin) = dict_origin {
        if place.file.as_deref() == Some(origin) {
            // `<dict>:12:1: `key`: ...` -> `<dict>: `key`: ...`: the lines are of the TOML the
            // dict was written as, which the caller never saw.
            if let Some(rest) = message.strip_prefix(origin) {
                let rest = rest.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
                message = format!("{origin}:{rest}");
            }
            place.line = None;
            place.column = None;
        }
    }
    scenario_error(py, message, place)
}

/// Any error of the library as a Python exception.
pub fn to_py(py: Python<'_>, err: driftlab::Error, dict_origin: Option<&str>) -> PyErr {
    match err {
        driftlab::Error::Scenario(e) => refused(py, &e, dict_origin),
        driftlab::Error::Plugins(driftlab::plugin::PluginError::Scenario(e)) => {
            refused(py, &e, dict_origin)
        }
        e @ driftlab::Error::Plugins(_) => scenario_error(py, e.to_string(), Place::default()),
        driftlab::Error::Io(e) => PyOSError::new_err(e.to_string()),
        driftlab::Error::PluginFailed(f) => plugin_error(py, *f),
        e => DriftlabError::new_err(e.to_string()),
    }
}

/// A plug-in's failure as a `PluginError` whose cause is the plug-in's own exception.
fn plugin_error(py: Python<'_>, mut f: driftlab::batch::PluginFailure) -> PyErr {
    let cause = f
        .source
        .take()
        .and_then(|s| s.downcast::<PyErr>().ok())
        .map(|e| *e);
    let err = PluginError::new_err(f.to_string());
    let value = err.value(py);
    let _ = value.setattr("kind", &f.kind);
    let _ = value.setattr("place", &f.place);
    let _ = value.setattr("saved", f.saved.as_deref());
    err.set_cause(py, cause);
    err
}

/// Runs `f`, turning a panic into a `DriftlabError` (a bug in driftlab, named as one).
pub fn no_panic<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(DriftlabError::new_err(format!(
                "internal error (a bug in driftlab, please report it): {what}"
            )))
        }
    }
}
