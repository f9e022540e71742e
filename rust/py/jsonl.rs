//! Binding of JSONL records (`crate::jsonl`): the lines of a block parsed without the GIL,
//! then made Python values for `neardup.io.read.RecordReader`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use super::guard::guard;
use crate::error::Error;
use crate::jsonl::{self, Fields, Id, Line, Parsed};

fn number_py<'py>(py: Python<'py>, number: &Number) -> PyResult<Bound<'py, PyAny>> {
    Ok(if let Some(value) = number.as_i64() {
        value.into_pyobject(py)?.into_any()
    } else if let Some(value) = number.as_u64() {
        value.into_pyobject(py)?.into_any()
    } else {
        // Finite: jsonl::python_reads_alike let no other float through.
        number.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
    })
}

fn value_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(number) => number_py(py, number)?,
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            PyList::new(py, items.iter().map(|item| value_py(py, item)).collect::<PyResult<Vec<_>>>()?)?
                .into_any()
        }
        Value::Object(object) => object_py(py, object)?.into_any(),
    })
}

fn object_py<'py>(py: Python<'py>, object: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in object {
        dict.set_item(PyString::new(py, key), value_py(py, value)?)?;
    }
    Ok(dict)
}

fn optional_str<'py>(py: Python<'py>, text: &Option<String>) -> Bound<'py, PyAny> {
    match text {
        Some(text) => PyString::new(py, text).into_any(),
        None => py.None().into_bound(py),
    }
}

/// `(id, text, site, url, extra)`: the id a str, an int or None; the site and url a str or
/// None; extra a dict, or None when not asked for.
fn record_py<'py>(py: Python<'py>, parsed: &Parsed) -> PyResult<Bound<'py, PyAny>> {
    let id = match &parsed.id {
        None => py.None().into_bound(py),
        Some(Id::Text(id)) => PyString::new(py, id).into_any(),
        Some(Id::Int(id)) => number_py(py, id)?,
    };
    let extra = match &parsed.extra {
        Some(object) => object_py(py, object)?.into_any(),
        None => py.None().into_bound(py),
    };
    let text = PyString::new(py, &parsed.text).into_any();
    Ok(PyTuple::new(py, [id, text, optional_str(py, &parsed.site), optional_str(py, &parsed.url), extra])?
        .into_any())
}

/// The lines of `block[:end]` (whole lines; the last may lack its line feed), one item each:
/// None for a blank line, the line's bytes (without the line feed) for the reader's Python
/// path, or the record's parts (`record_py`). The parsing runs without the GIL.
#[pyfunction]
#[pyo3(signature = (block, end, id_field, text_field, site_field, url_field, extra = true))]
#[allow(clippy::too_many_arguments)]
fn parse_jsonl_block<'py>(
    py: Python<'py>,
    block: &Bound<'py, PyBytes>,
    end: usize,
    id_field: &str,
    text_field: &str,
    site_field: &str,
    url_field: &str,
    extra: bool,
) -> PyResult<Bound<'py, PyList>> {
    guard(|| {
        let data = block.as_bytes();
        if end > data.len() {
            return Err(Error::InvalidArgument(format!(
                "end must be at most the block's length, {}, got {end}",
                data.len()
            ))
            .into());
        }
        let data = &data[..end];
        let fields = Fields { id: id_field, text: text_field, site: site_field, url: url_field };
        let lines = py.detach(|| jsonl::parse_block(data, &fields, extra));
        let items = lines
            .iter()
            .map(|line| match line {
                Line::Blank => Ok(py.None().into_bound(py)),
                Line::Python { start, end } => Ok(PyBytes::new(py, &data[*start..*end]).into_any()),
                Line::Record(parsed) => record_py(py, parsed),
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    })
}

/// Each of `texts`, the UTF-8 bytes of a text, as the UTF-8 bytes of a JSON string
/// (`jsonl::json_quote`): texts read as bytes (the spool of cleaned texts) are written as
/// bytes, never made Python strings. The quoting runs without the GIL; bytes that are not
/// UTF-8 are refused, naming the item.
#[pyfunction]
fn json_quote_batch<'py>(py: Python<'py>, texts: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let quoted = guard(|| {
        let mut held = Vec::new();
        for (i, item) in texts.try_iter()?.enumerate() {
            let item = item?;
            let bytes = item.cast::<PyBytes>().map_err(|_| {
                Error::InvalidArgument(format!("texts[{i}] must be bytes, got {}", type_name(&item)))
            })?;
            held.push(bytes.extract::<pyo3::pybacked::PyBackedBytes>()?);
        }
        py.detach(|| {
            held.iter()
                .enumerate()
                .map(|(i, bytes)| match std::str::from_utf8(bytes) {
                    Ok(text) => Ok(jsonl::json_quote(text)),
                    Err(error) => Err(Error::InvalidArgument(format!("texts[{i}] is not UTF-8: {error}"))),
                })
                .collect::<Result<Vec<String>, Error>>()
        })
        .map_err(PyErr::from)
    })?;
    Ok(quoted.iter().map(|text| PyBytes::new(py, text.as_bytes())).collect())
}

fn type_name(item: &Bound<'_, PyAny>) -> String {
    item.get_type().name().map_or_else(|_| "an object".into(), |name| name.to_string())
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_jsonl_block, m)?)?;
    m.add_function(wrap_pyfunction!(json_quote_batch, m)?)?;
    Ok(())
}
