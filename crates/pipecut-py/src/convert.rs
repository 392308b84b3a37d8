//! Python values -> Rust values, every failure a [`Error::Invalid`] naming
//! the argument: lists, tuples, NumPy arrays and torch tensors of numbers
//! (anything with `tolist()` or iterable), ints that must be ints.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::error::{Error, Result};

/// `repr(obj)`, for messages.
pub fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map_or_else(|_| "<unprintable>".to_string(), |r| r.to_string())
}

/// `obj.tolist()` for arrays and tensors, else `obj`.
fn listed<'py>(obj: &Bound<'py, PyAny>) -> Bound<'py, PyAny> {
    if obj.is_instance_of::<PyString>() {
        return obj.clone();
    }
    match obj.getattr("tolist").and_then(|f| f.call0()) {
        Ok(list) => list,
        Err(_) => obj.clone(),
    }
}

/// A number (int or float, not bool) as `f64`.
pub fn number(obj: &Bound<'_, PyAny>, field: &str) -> Result<f64> {
    let bad = || Error::invalid(field, repr(obj), "must be a number");
    if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyString>() {
        return Err(bad());
    }
    if obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>() {
        return obj.extract::<f64>().map_err(|_| bad());
    }
    // NumPy scalars and other numbers implement __float__.
    match obj.call_method0("__float__") {
        Ok(f) => f.extract::<f64>().map_err(|_| bad()),
        Err(_) => Err(bad()),
    }
}

/// Whether `obj` is a single number rather than a sequence.
pub fn is_number(obj: &Bound<'_, PyAny>) -> bool {
    !obj.is_instance_of::<PyBool>()
        && (obj.is_instance_of::<PyFloat>()
            || obj.is_instance_of::<PyInt>()
            || (obj.hasattr("__float__").unwrap_or(false)
                && !obj.hasattr("__len__").unwrap_or(false)))
}

/// A sequence of numbers (list, tuple, NumPy array, tensor, iterable).
pub fn numbers(obj: &Bound<'_, PyAny>, field: &str) -> Result<Vec<f64>> {
    let list = listed(obj);
    if is_number(&list) || list.is_instance_of::<PyString>() {
        return Err(Error::invalid(
            field,
            repr(obj),
            "must be a list of numbers",
        ));
    }
    // Fast path: a list of floats and ints converts in one call (bools, ints
    // in Python, pass as 0 and 1).
    if let Ok(values) = list.extract::<Vec<f64>>() {
        return Ok(values);
    }
    each_item(&list, obj, field, "must be a list of numbers", number)
}

/// `convert(item, "field[i]")` for every item of `list` (the listed form of
/// `obj`); a `list` that does not iterate is `not_a_list` for `field`.
fn each_item<'py, T>(
    list: &Bound<'py, PyAny>,
    obj: &Bound<'py, PyAny>,
    field: &str,
    not_a_list: &str,
    convert: impl Fn(&Bound<'py, PyAny>, &str) -> Result<T>,
) -> Result<Vec<T>> {
    let iter = list
        .try_iter()
        .map_err(|_| Error::invalid(field, repr(obj), not_a_list))?;
    iter.enumerate()
        .map(|(i, item)| {
            let name = format!("{field}[{i}]");
            let item = item.map_err(|e| Error::invalid(&name, "?", e.to_string()))?;
            convert(&item, &name)
        })
        .collect()
}

/// An integer (int or anything with `__index__`, not bool or float).
pub fn integer(obj: &Bound<'_, PyAny>, field: &str) -> Result<i64> {
    let bad = || Error::invalid(field, repr(obj), "must be an integer");
    if obj.is_instance_of::<PyBool>() || obj.is_instance_of::<PyFloat>() {
        return Err(bad());
    }
    if let Ok(v) = obj.extract::<i64>() {
        return Ok(v);
    }
    match obj.call_method0("__index__") {
        Ok(i) => i.extract::<i64>().map_err(|_| bad()),
        Err(_) => Err(bad()),
    }
}

/// An optional non-negative integer.
pub fn count(obj: Option<&Bound<'_, PyAny>>, field: &str) -> Result<Option<usize>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => {
            let v = integer(o, field)?;
            usize::try_from(v)
                .map(Some)
                .map_err(|_| Error::invalid(field, v, "must be >= 0"))
        }
    }
}

/// A sequence of non-negative integers (byte counts, starts).
pub fn counts(obj: &Bound<'_, PyAny>, field: &str) -> Result<Vec<u64>> {
    each_item(
        &listed(obj),
        obj,
        field,
        "must be a list of integers",
        |item, name| {
            let v = whole(item, name)?;
            u64::try_from(v).map_err(|_| Error::invalid(name, v, "must be >= 0"))
        },
    )
}

/// An integer, or a float with no fractional part (NumPy byte columns come
/// back as floats).
fn whole(obj: &Bound<'_, PyAny>, field: &str) -> Result<i128> {
    if let Ok(v) = integer(obj, field) {
        return Ok(v.into());
    }
    let f = number(obj, field)?;
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.8e19 {
        Ok(f as i128)
    } else {
        Err(Error::invalid(field, repr(obj), "must be a whole number"))
    }
}

/// A sequence of strings.
pub fn strings(obj: &Bound<'_, PyAny>, field: &str) -> Result<Vec<String>> {
    if obj.is_instance_of::<PyString>() {
        return Err(Error::invalid(
            field,
            repr(obj),
            "must be a list of strings",
        ));
    }
    each_item(
        obj,
        obj,
        field,
        "must be a list of strings",
        |item, name| {
            item.extract::<String>()
                .map_err(|_| Error::invalid(name, repr(item), "must be a string"))
        },
    )
}

/// A schedule given by name or as PyTorch's schedule class (its
/// `__name__`).
pub fn schedule_name(obj: &Bound<'_, PyAny>, field: &str) -> Result<String> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(s);
    }
    obj.getattr("__name__")
        .and_then(|n| n.extract::<String>())
        .map_err(|_| Error::invalid(field, repr(obj), "must be a schedule name"))
}

/// A byte count: an int, or a string with an optional decimal or binary
/// suffix (`80GiB`, `8e10`, `512MB`).
pub fn bytes(obj: &Bound<'_, PyAny>, field: &str) -> Result<u64> {
    if let Ok(text) = obj.extract::<String>() {
        return pipecut::core::format::parse_bytes(&text)
            .map_err(|reason| Error::invalid(field, repr(obj), reason));
    }
    let v = whole(obj, field)?;
    u64::try_from(v).map_err(|_| Error::invalid(field, v, "must be >= 0"))
}
