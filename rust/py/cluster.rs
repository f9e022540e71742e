//! Binding of the verification of candidate pairs and the clusters (`crate::cluster`). Arrays
//! are copied into owned vectors before the GIL is released, but for the shingle hashes of
//! `set_overlaps`, read in place.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::convert::{
    call_text, counts_arg, doc_pairs_arg, flat_values, index_array, matrix_arg, ngram_arg, offsets_arg,
    seed_arg, CallText,
};
use super::guard::guard;
use crate::cluster;
use crate::text::ShingleKind;

#[pyfunction]
#[pyo3(signature = (signatures, pairs, num_threads = None))]
fn estimate_pairs<'py>(
    py: Python<'py>,
    signatures: PyReadonlyArray2<'py, u64>,
    pairs: PyReadonlyArray2<'py, i64>,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    guard(|| {
        let (flat, n, num_perm) = matrix_arg(&signatures);
        let pairs = doc_pairs_arg(&pairs)?;
        let estimates = py.detach(|| cluster::estimate_pairs(&flat, (n, num_perm), &pairs, num_threads))?;
        Ok(estimates.into_pyarray(py))
    })
}

type OverlapsPy<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

#[pyfunction]
#[pyo3(signature = (hashes, offsets, pairs, num_threads = None, need = None))]
fn set_overlaps<'py>(
    py: Python<'py>,
    hashes: PyReadonlyArray1<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    pairs: PyReadonlyArray2<'py, i64>,
    num_threads: Option<usize>,
    need: Option<PyReadonlyArray1<'py, i64>>,
) -> PyResult<OverlapsPy<'py>> {
    guard(|| {
        // Read in place: a copy of every shingle hash doubled the memory of the verification.
        let hashes = flat_values(&hashes);
        let hashes: &[u64] = &hashes;
        let offsets = offsets_arg(&offsets)?;
        let pairs = doc_pairs_arg(&pairs)?;
        let need = need.as_ref().map(|v| counts_arg(v, "need")).transpose()?;
        let (inter, sizes) =
            py.detach(|| cluster::set_overlaps(hashes, &offsets, &pairs, need.as_deref(), num_threads))?;
        Ok((index_array(py, inter), index_array(py, sizes)))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, pairs, n = None, kind = "word", seed = None, num_threads = None, need = None))]
#[allow(clippy::too_many_arguments)]
fn text_overlaps<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    pairs: PyReadonlyArray2<'py, i64>,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    seed: Option<&Bound<'py, PyAny>>,
    num_threads: Option<usize>,
    need: Option<PyReadonlyArray1<'py, i64>>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    guard(|| {
        let n = n.map(ngram_arg).transpose()?.unwrap_or(5);
        let kind = ShingleKind::parse(kind)?;
        let seed = seed.map(seed_arg).transpose()?.unwrap_or(0);
        // Every text is checked (as the reference does, before the pairs), but only those of a
        // pair are kept for the call: the others are never shingled.
        let items = texts.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        for (i, item) in items.iter().enumerate() {
            call_text(item, i)?;
        }
        let pairs = doc_pairs_arg(&pairs)?;
        let need = need.as_ref().map(|v| counts_arg(v, "need")).transpose()?;
        let mut paired = Vec::new();
        for &(i, j) in &pairs {
            let last = i.max(j);
            if paired.len() <= last {
                paired.resize(last + 1, false);
            }
            paired[i] = true;
            paired[j] = true;
        }
        let mut read = Vec::new();
        for (i, item) in items.iter().enumerate() {
            read.push(if paired.get(i) == Some(&true) { call_text(item, i)? } else { CallText::Unread });
        }
        let texts = read;
        let inter = py
            .detach(|| cluster::text_overlaps(&texts, &pairs, need.as_deref(), n, kind, seed, num_threads))?;
        Ok(index_array(py, inter))
    })
}

#[pyfunction]
#[pyo3(name = "cluster", signature = (n, pairs, priority))]
fn cluster_py<'py>(
    py: Python<'py>,
    n: usize,
    pairs: PyReadonlyArray2<'py, i64>,
    priority: PyReadonlyArray2<'py, f64>,
) -> PyResult<OverlapsPy<'py>> {
    guard(|| {
        let pairs = doc_pairs_arg(&pairs)?;
        let (priority, rows, width) = matrix_arg(&priority);
        let (rep, via) = py.detach(|| cluster::cluster(n, &pairs, &priority, (rows, width)))?;
        Ok((index_array(py, rep), index_array(py, via)))
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(estimate_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(set_overlaps, m)?)?;
    m.add_function(wrap_pyfunction!(text_overlaps, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_py, m)?)?;
    Ok(())
}
