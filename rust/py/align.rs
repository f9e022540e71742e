//! Bindings of passage alignment and the fuzzy measures.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use super::{text_arg, to_py_err};
use crate::align::{self as core_align, Params, Passage};
use crate::fuzzy::{self, Measure};
use crate::parallel::map_ordered;

/// (a_start, a_end, b_start, b_end, score, matches, tokens_a, tokens_b, anchors)
type PassagePy = (usize, usize, usize, usize, f64, usize, usize, usize, usize);

fn passage_py(p: &Passage) -> PassagePy {
    (p.a.0, p.a.1, p.b.0, p.b.1, p.score, p.matches, p.tokens_a, p.tokens_b, p.anchors)
}

fn params(k: usize, max_gap: usize, min_tokens: usize) -> PyResult<Params> {
    let p = Params { k, max_gap, min_tokens };
    p.check().map_err(to_py_err)?;
    Ok(p)
}

/// A str argument as an owned string; errors name it by `label` (`a`, `pair 3 (b)`).
fn labelled_text(obj: &Bound<'_, PyAny>, label: &str) -> PyResult<String> {
    match text_arg(obj, None) {
        Ok(text) => Ok(text.into_owned()),
        Err(err) => {
            let py = obj.py();
            let message = err.value(py).str()?.to_string();
            let message = format!("{label}{}", message.strip_prefix("text").unwrap_or(&message));
            if err.is_instance_of::<PyTypeError>(py) {
                Err(PyTypeError::new_err(message))
            } else {
                Err(PyValueError::new_err(message))
            }
        }
    }
}

/// Copy a sequence of (a, b) pairs of str into owned strings, so the GIL can be released.
fn pairs_arg(pairs: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, item) in pairs.try_iter()?.enumerate() {
        let item = item?;
        let sides: Vec<Bound<'_, PyAny>> = match item.try_iter() {
            Ok(iter) if !item.is_instance_of::<pyo3::types::PyString>() => iter.collect::<PyResult<_>>()?,
            _ => Vec::new(),
        };
        if sides.len() != 2 {
            return Err(PyTypeError::new_err(format!("pair {i}: expected a pair (a, b) of str")));
        }
        out.push((
            labelled_text(&sides[0], &format!("pair {i} (a)"))?,
            labelled_text(&sides[1], &format!("pair {i} (b)"))?,
        ));
    }
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (a, b, k = 3, max_gap = 24, min_tokens = 8))]
fn align(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
) -> PyResult<Vec<PassagePy>> {
    let p = params(k, max_gap, min_tokens)?;
    let (a, b) = (labelled_text(a, "a")?, labelled_text(b, "b")?);
    let passages = core_align::align(&a, &b, p).map_err(to_py_err)?;
    Ok(passages.iter().map(passage_py).collect())
}

#[pyfunction]
#[pyo3(signature = (pairs, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
fn align_batch(
    py: Python<'_>,
    pairs: &Bound<'_, PyAny>,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Vec<Vec<PassagePy>>> {
    let p = params(k, max_gap, min_tokens)?;
    let pairs = pairs_arg(pairs)?;
    let results = py
        .detach(|| map_ordered(&pairs, num_threads, |(a, b)| core_align::align(a, b, p)))
        .map_err(to_py_err)?;
    results.into_iter().map(|r| Ok(r.map_err(to_py_err)?.iter().map(passage_py).collect())).collect()
}

#[pyfunction]
#[pyo3(signature = (a, b, k = 3))]
fn align_anchors<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    k: usize,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    params(k, core_align::DEFAULT_MAX_GAP, core_align::DEFAULT_MIN_TOKENS)?;
    let (a, b) = (labelled_text(a, "a")?, labelled_text(b, "b")?);
    let anchors = core_align::align_anchors(&a, &b, k).map_err(to_py_err)?;
    let flat: Vec<i64> = anchors.iter().flat_map(|&(i, j)| [i as i64, j as i64]).collect();
    Ok(flat.into_pyarray(py).reshape([anchors.len(), 2]).expect("n x 2 anchors reshape"))
}

#[pyfunction]
fn levenshtein(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<usize> {
    Ok(fuzzy::levenshtein(&labelled_text(a, "a")?, &labelled_text(b, "b")?))
}

#[pyfunction]
fn indel(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<usize> {
    Ok(fuzzy::indel(&labelled_text(a, "a")?, &labelled_text(b, "b")?))
}

#[pyfunction]
fn levenshtein_similarity(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(fuzzy::levenshtein_similarity(&labelled_text(a, "a")?, &labelled_text(b, "b")?))
}

#[pyfunction]
fn ratio(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(fuzzy::ratio(&labelled_text(a, "a")?, &labelled_text(b, "b")?))
}

#[pyfunction]
fn token_sort_ratio(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(fuzzy::token_sort_ratio(&labelled_text(a, "a")?, &labelled_text(b, "b")?))
}

#[pyfunction]
fn token_set_ratio(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    Ok(fuzzy::token_set_ratio(&labelled_text(a, "a")?, &labelled_text(b, "b")?))
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
    let measure = Measure::parse(measure).map_err(to_py_err)?;
    let pairs = pairs_arg(pairs)?;
    let values =
        py.detach(|| map_ordered(&pairs, num_threads, |(a, b)| measure.apply(a, b))).map_err(to_py_err)?;
    Ok(values.into_pyarray(py))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(align, m)?)?;
    m.add_function(wrap_pyfunction!(align_batch, m)?)?;
    m.add_function(wrap_pyfunction!(align_anchors, m)?)?;
    m.add_function(wrap_pyfunction!(levenshtein, m)?)?;
    m.add_function(wrap_pyfunction!(indel, m)?)?;
    m.add_function(wrap_pyfunction!(levenshtein_similarity, m)?)?;
    m.add_function(wrap_pyfunction!(ratio, m)?)?;
    m.add_function(wrap_pyfunction!(token_sort_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(token_set_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(fuzzy_batch, m)?)?;
    Ok(())
}
