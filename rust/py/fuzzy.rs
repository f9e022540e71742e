//! Binding of the fuzzy measures of short texts (`crate::fuzzy`).

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;

use super::convert::{labelled_text, text_pairs_arg};
use super::guard::guard;
use crate::fuzzy::{self, Measure};
use crate::parallel::map_ordered;

#[pyfunction]
fn levenshtein(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<usize> {
    guard(|| Ok(fuzzy::levenshtein(&labelled_text(a, "a")?, &labelled_text(b, "b")?)))
}

#[pyfunction]
fn indel(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<usize> {
    guard(|| Ok(fuzzy::indel(&labelled_text(a, "a")?, &labelled_text(b, "b")?)))
}

#[pyfunction]
fn levenshtein_similarity(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    guard(|| Ok(fuzzy::levenshtein_similarity(&labelled_text(a, "a")?, &labelled_text(b, "b")?)))
}

#[pyfunction]
fn ratio(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    guard(|| Ok(fuzzy::ratio(&labelled_text(a, "a")?, &labelled_text(b, "b")?)))
}

#[pyfunction]
fn token_sort_ratio(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    guard(|| Ok(fuzzy::token_sort_ratio(&labelled_text(a, "a")?, &labelled_text(b, "b")?)))
}

#[pyfunction]
fn token_set_ratio(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    guard(|| Ok(fuzzy::token_set_ratio(&labelled_text(a, "a")?, &labelled_text(b, "b")?)))
}

/// One measure over many pairs, as a float64 array (distances are exact integers in it).
#[pyfunction]
#[pyo3(signature = (pairs, measure = "ratio", num_threads = None))]
fn fuzzy_batch<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    measure: &str,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    guard(|| {
        let measure = Measure::parse(measure)?;
        let pairs = text_pairs_arg(pairs)?;
        let values = py.detach(|| map_ordered(&pairs, num_threads, |(a, b)| measure.apply(a, b)))?;
        Ok(values.into_pyarray(py))
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(levenshtein, m)?)?;
    m.add_function(wrap_pyfunction!(indel, m)?)?;
    m.add_function(wrap_pyfunction!(levenshtein_similarity, m)?)?;
    m.add_function(wrap_pyfunction!(ratio, m)?)?;
    m.add_function(wrap_pyfunction!(token_sort_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(token_set_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(fuzzy_batch, m)?)?;
    Ok(())
}
