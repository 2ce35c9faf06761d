//! Python values to TOML and back: a scenario given as a dict is the TOML file it would be, and
//! a `set={key: value}` override is the `--set key=value` the CLI takes, the value written as a
//! TOML literal. TOML has no null: `None` is refused with the key path (leave the key out for
//! its default).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// Why a Python value is not a TOML value, with the key path at fault.
pub struct NotToml {
    pub key: String,
    pub message: String,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `value` (at key path `path`) as a TOML value.
pub fn to_toml(value: &Bound<'_, PyAny>, path: &str) -> Result<toml::Value, NotToml> {
    let bad = |message: String| NotToml {
        key: path.to_string(),
        message,
    };
    // bool before int: a Python bool is an int.
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(toml::Value::Boolean(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return value
            .extract::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| bad("the integer does not fit 64 bits".into()));
    }
    if value.is_instance_of::<PyFloat>() {
        let f: f64 = value.extract().map_err(|e: PyErr| bad(e.to_string()))?;
        return Ok(toml::Value::Float(f));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_string()));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        return to_table(d, path).map(toml::Value::Table);
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in value
            .try_iter()
            .map_err(|e| bad(e.to_string()))?
            .enumerate()
        {
            let item = item.map_err(|e| bad(e.to_string()))?;
            items.push(to_toml(&item, &format!("{path}[{i}]"))?);
        }
        return Ok(toml::Value::Array(items));
    }
    let type_name = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    Err(bad(if value.is_none() {
        "None is not a value (TOML has no null): leave the key out for its default".into()
    } else {
        format!(
            "a {type_name} is not a scenario value: expected a bool, int, float, str, list or dict"
        )
    }))
}

/// A dict with string keys as a TOML table.
pub fn to_table(dict: &Bound<'_, PyDict>, path: &str) -> Result<toml::Table, NotToml> {
    let mut table = toml::Table::new();
    for (k, v) in dict.iter() {
        let Ok(key) = k.extract::<String>() else {
            return Err(NotToml {
                key: path.to_string(),
                message: format!(
                    "the key {} is not a string",
                    k.repr().map_or_else(|_| "?".into(), |r| r.to_string())
                ),
            });
        };
        let value = to_toml(&v, &join(path, &key))?;
        table.insert(key, value);
    }
    Ok(table)
}

/// `set={key: value}` as the CLI's `--set key=value` assignments, in the dict's order.
pub fn assignments(set: Option<&Bound<'_, PyDict>>) -> Result<Vec<String>, NotToml> {
    let Some(set) = set else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(set.len());
    for (k, v) in set.iter() {
        let Ok(key) = k.extract::<String>() else {
            return Err(NotToml {
                key: String::new(),
                message:
                    "a `set` key is not a string (expected a key path, e.g. \"world.accounts\")"
                        .into(),
            });
        };
        let value = to_toml(&v, &key)?;
        out.push(format!("{key}={value}"));
    }
    Ok(out)
}

/// A TOML value as a Python value (tables as dicts, in the TOML's key order).
pub fn to_python<'py>(py: Python<'py>, value: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        toml::Value::String(s) => s.into_pyobject(py)?.into_any(),
        toml::Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        toml::Value::Float(f) => f.into_pyobject(py)?.into_any(),
        toml::Value::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        toml::Value::Datetime(d) => d.to_string().into_pyobject(py)?.into_any(),
        toml::Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        toml::Value::Table(table) => {
            let dict = PyDict::new(py);
            for (k, v) in table {
                dict.set_item(k, to_python(py, v)?)?;
            }
            dict.into_any()
        }
    })
}
