//! Binding of the text primitives (`crate::text`) and the hash (`crate::hash`).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyMemoryView, PyString};

use super::convert::{counts_arg, index_array, ngram_arg, seed_arg, spans_array, text_arg, texts_arg};
use super::guard::guard;
use super::spool::SpoolArg;
use crate::error::Error;
use crate::hash::{hash64, HashSorter};
use crate::parallel::{map_ordered, map_ordered_init};
use crate::text::{self, ShingleKind, Span};

type NormalizedPy<'py> = (String, Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

fn normalized_py(py: Python<'_>, n: text::Normalized) -> NormalizedPy<'_> {
    (n.text, index_array(py, n.starts), index_array(py, n.ends))
}

#[pyfunction]
#[pyo3(signature = (text, mask_digits = false))]
fn normalize<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    mask_digits: bool,
) -> PyResult<NormalizedPy<'py>> {
    guard(|| {
        let text = text_arg(text, None)?;
        Ok(normalized_py(py, text::normalize(&text, mask_digits)))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, mask_digits = false, num_threads = None))]
fn normalize_batch<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    mask_digits: bool,
    num_threads: Option<usize>,
) -> PyResult<Vec<NormalizedPy<'py>>> {
    guard(|| {
        let texts = texts_arg(texts)?;
        let results = py.detach(|| map_ordered(&texts, num_threads, |t| text::normalize(t, mask_digits)))?;
        Ok(results.into_iter().map(|n| normalized_py(py, n)).collect())
    })
}

type SegmentsPy<'py> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<i64>>);

#[pyfunction]
fn segment<'py>(py: Python<'py>, text: &Bound<'py, PyAny>) -> PyResult<SegmentsPy<'py>> {
    guard(|| {
        let text = text_arg(text, None)?;
        let (lines, paragraphs) = text::segment(&text);
        Ok((spans_array(py, &lines), spans_array(py, &paragraphs)))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, num_threads = None))]
fn segment_batch<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    num_threads: Option<usize>,
) -> PyResult<Vec<SegmentsPy<'py>>> {
    guard(|| {
        let texts = texts_arg(texts)?;
        let results = py.detach(|| map_ordered(&texts, num_threads, |t| text::segment(t)))?;
        Ok(results.iter().map(|(l, p)| (spans_array(py, l), spans_array(py, p))).collect())
    })
}

type TokensPy<'py> = (Bound<'py, PyList>, Bound<'py, PyArray2<i64>>);

fn tokens_py(py: Python<'_>, (tokens, spans): (Vec<String>, Vec<Span>)) -> PyResult<TokensPy<'_>> {
    Ok((PyList::new(py, tokens)?, spans_array(py, &spans)))
}

#[pyfunction]
fn tokenize<'py>(py: Python<'py>, text: &Bound<'py, PyAny>) -> PyResult<TokensPy<'py>> {
    guard(|| {
        let text = text_arg(text, None)?;
        tokens_py(py, text::tokenize(&text))
    })
}

#[pyfunction]
#[pyo3(signature = (texts, num_threads = None))]
fn tokenize_batch<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    num_threads: Option<usize>,
) -> PyResult<Vec<TokensPy<'py>>> {
    guard(|| {
        let texts = texts_arg(texts)?;
        let results = py.detach(|| map_ordered(&texts, num_threads, |t| text::tokenize(t)))?;
        results.into_iter().map(|r| tokens_py(py, r)).collect()
    })
}

#[pyfunction]
#[pyo3(signature = (text, n = None, kind = "word", seed = None))]
fn shingles<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    seed: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    guard(|| {
        let n = n.map(ngram_arg).transpose()?.unwrap_or(5);
        let kind = ShingleKind::parse(kind)?;
        let seed = seed.map(seed_arg).transpose()?.unwrap_or(0);
        let text = text_arg(text, None)?;
        Ok(text::shingles(&text, n, kind, seed)?.into_pyarray(py))
    })
}

type FlatShinglesPy<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i64>>);

/// Shingles of many documents as one flat uint64 array and int64 offsets (CSR layout):
/// document i owns hashes[offsets[i]:offsets[i + 1]]; with `distinct`, each document's set:
/// its distinct hashes in ascending order.
#[pyfunction]
#[pyo3(signature = (texts, n = None, kind = "word", seed = None, num_threads = None, distinct = false))]
fn shingles_batch<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    seed: Option<&Bound<'py, PyAny>>,
    num_threads: Option<usize>,
    distinct: bool,
) -> PyResult<FlatShinglesPy<'py>> {
    guard(|| {
        let (n, kind, seed) = shingle_args(n, kind, seed)?;
        let texts = texts_arg(texts)?;
        let per_doc = py.detach(|| {
            map_ordered_init(&texts, num_threads, HashSorter::default, |sorter, t| {
                doc_shingles(t, n, kind, seed, distinct.then_some(sorter))
            })
        })?;
        flat_shingles(py, per_doc)
    })
}

/// The shingle sets (as `shingles_batch(..., distinct=True)` gives them) of documents `docs` of
/// a spool: document `i` is the text of `sizes[i]` bytes at byte `starts[i]` of the file open
/// as `fd`; the texts are read without the GIL.
#[pyfunction]
#[pyo3(signature = (fd, starts, sizes, docs, n = None, kind = "word", seed = None, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn shingle_sets_spooled<'py>(
    py: Python<'py>,
    fd: i32,
    starts: PyReadonlyArray1<'py, i64>,
    sizes: PyReadonlyArray1<'py, i64>,
    docs: PyReadonlyArray1<'py, i64>,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    seed: Option<&Bound<'py, PyAny>>,
    num_threads: Option<usize>,
) -> PyResult<FlatShinglesPy<'py>> {
    guard(|| {
        let (n, kind, seed) = shingle_args(n, kind, seed)?;
        let spool = SpoolArg::new(fd, &starts, &sizes)?;
        let docs = counts_arg(&docs, "docs")?;
        let per_doc = py.detach(|| -> Result<_, Error> {
            let texts = spool.read(&docs, num_threads)?;
            map_ordered_init(&texts, num_threads, HashSorter::default, |sorter, t| {
                doc_shingles(t, n, kind, seed, Some(sorter))
            })
        })?;
        flat_shingles(py, per_doc)
    })
}

fn shingle_args(
    n: Option<&Bound<'_, PyAny>>,
    kind: &str,
    seed: Option<&Bound<'_, PyAny>>,
) -> PyResult<(usize, ShingleKind, u64)> {
    let n = n.map(ngram_arg).transpose()?.unwrap_or(5);
    let kind = ShingleKind::parse(kind)?;
    let seed = seed.map(seed_arg).transpose()?.unwrap_or(0);
    Ok((n, kind, seed))
}

/// A document's shingles; with a sorter (`distinct`), its set in ascending order.
fn doc_shingles(
    text: &str,
    n: usize,
    kind: ShingleKind,
    seed: u64,
    distinct: Option<&mut HashSorter>,
) -> Result<Vec<u64>, Error> {
    text::shingles(text, n, kind, seed).map(|mut hashes| {
        if let Some(sorter) = distinct {
            sorter.sort_distinct(&mut hashes);
        }
        hashes
    })
}

/// Per-document shingles in CSR layout (the first error, if any).
fn flat_shingles(py: Python<'_>, per_doc: Vec<Result<Vec<u64>, Error>>) -> PyResult<FlatShinglesPy<'_>> {
    let mut offsets = Vec::with_capacity(per_doc.len() + 1);
    offsets.push(0i64);
    let total: usize = per_doc.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    let mut flat = Vec::with_capacity(total);
    for result in per_doc {
        flat.extend(result?);
        offsets.push(flat.len() as i64);
    }
    Ok((flat.into_pyarray(py), offsets.into_pyarray(py)))
}

#[pyfunction]
#[pyo3(name = "hash64", signature = (data, seed = None))]
fn hash64_py(data: &Bound<'_, PyAny>, seed: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    guard(|| {
        let seed = seed.map(seed_arg).transpose()?.unwrap_or(0);
        if let Ok(bytes) = data.cast::<PyBytes>() {
            return Ok(hash64(bytes.as_bytes(), seed));
        }
        if data.is_instance_of::<PyString>() {
            return Ok(hash64(text_arg(data, None)?.as_bytes(), seed));
        }
        if let Ok(bytes) = data.cast::<PyByteArray>() {
            return Ok(hash64(&bytes.to_vec(), seed));
        }
        if data.is_instance_of::<PyMemoryView>() {
            let bytes = data.call_method0("tobytes")?;
            return Ok(hash64(bytes.cast::<PyBytes>()?.as_bytes(), seed));
        }
        // Not any sequence of ints (the reference's bytes() would read an int as a length).
        let type_name = data.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
        Err(Error::WrongType(format!("data must be bytes, bytearray, memoryview or str, got {type_name}"))
            .into())
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_batch, m)?)?;
    m.add_function(wrap_pyfunction!(segment, m)?)?;
    m.add_function(wrap_pyfunction!(segment_batch, m)?)?;
    m.add_function(wrap_pyfunction!(tokenize, m)?)?;
    m.add_function(wrap_pyfunction!(tokenize_batch, m)?)?;
    m.add_function(wrap_pyfunction!(shingles, m)?)?;
    m.add_function(wrap_pyfunction!(shingles_batch, m)?)?;
    m.add_function(wrap_pyfunction!(shingle_sets_spooled, m)?)?;
    m.add_function(wrap_pyfunction!(hash64_py, m)?)?;
    Ok(())
}
