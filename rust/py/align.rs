//! Binding of passage alignment (`crate::align`).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::convert::{doc_pairs_arg, labelled_text, shared_text_pairs_arg};
use super::guard::guard;
use super::spool::SpoolArg;
use crate::align::{self as core_align, Params, Passage};
use crate::error::Error;
use crate::spool::local_pairs;

/// (a_start, a_end, b_start, b_end, score, matches, tokens_a, tokens_b, anchors)
type PassagePy = (usize, usize, usize, usize, f64, usize, usize, usize, usize);

fn passage_py(p: &Passage) -> PassagePy {
    (p.a.0, p.a.1, p.b.0, p.b.1, p.score, p.matches, p.tokens_a, p.tokens_b, p.anchors)
}

/// The parameters, checked before the texts are read.
fn params(k: usize, max_gap: usize, min_tokens: usize) -> PyResult<Params> {
    let p = Params { k, max_gap, min_tokens };
    p.check()?;
    Ok(p)
}

/// What every batch binding does first: the parameters checked, the (a, b) pairs of str read
/// (`convert::shared_text_pairs_arg`), then `run` on the texts, the pairs of indices into them
/// and the parameters, without the GIL.
fn on_text_pairs<T: Send>(
    py: Python<'_>,
    pairs: &Bound<'_, PyAny>,
    (k, max_gap, min_tokens): (usize, usize, usize),
    run: impl FnOnce(&[String], &[(usize, usize)], Params) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let p = params(k, max_gap, min_tokens)?;
    let shared = shared_text_pairs_arg(pairs)?;
    Ok(py.detach(|| run(&shared.texts, &shared.pairs, p))?)
}

/// `on_text_pairs` for pairs of documents of a spool (`(m, 2)` indices): the texts the pairs
/// name are read from the spool without the GIL, each once.
fn on_spooled_pairs<T: Send>(
    py: Python<'_>,
    spool: SpoolArg,
    pairs: &PyReadonlyArray2<'_, i64>,
    (k, max_gap, min_tokens): (usize, usize, usize),
    num_threads: Option<usize>,
    run: impl FnOnce(&[String], &[(usize, usize)], Params) -> Result<T, Error> + Send,
) -> PyResult<T> {
    let p = params(k, max_gap, min_tokens)?;
    let pairs = doc_pairs_arg(pairs)?;
    Ok(py.detach(|| {
        let (docs, local) = local_pairs(spool.count(), &pairs)?;
        let texts = spool.read(&docs, num_threads)?;
        run(&texts, &local, p)
    })?)
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
    guard(|| {
        let p = params(k, max_gap, min_tokens)?;
        let (a, b) = (labelled_text(a, "a")?, labelled_text(b, "b")?);
        let passages = core_align::align(&a, &b, p)?;
        Ok(passages.iter().map(passage_py).collect())
    })
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
    guard(|| {
        let results = on_text_pairs(py, pairs, (k, max_gap, min_tokens), |texts, pairs, p| {
            core_align::align_batch(texts, pairs, p, num_threads)
        })?;
        Ok(results.iter().map(|passages| passages.iter().map(passage_py).collect()).collect())
    })
}

/// (b_tokens, (m, 3) int64 array of (b0, b1, matches) per passage)
type TokenRangesPy<'py> = (usize, Bound<'py, PyArray2<i64>>);

#[pyfunction]
#[pyo3(signature = (pairs, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
fn align_token_ranges_batch<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Vec<TokenRangesPy<'py>>> {
    guard(|| {
        let results = on_text_pairs(py, pairs, (k, max_gap, min_tokens), |texts, pairs, p| {
            core_align::align_token_ranges_batch(texts, pairs, p, num_threads)
        })?;
        Ok(results
            .into_iter()
            .map(|(b_tokens, ranges)| {
                let flat: Vec<i64> = ranges
                    .iter()
                    .flat_map(|&(b0, b1, matches)| [b0 as i64, b1 as i64, matches as i64])
                    .collect();
                (b_tokens, flat.into_pyarray(py).reshape([ranges.len(), 3]).expect("m x 3 ranges reshape"))
            })
            .collect())
    })
}

#[pyfunction]
#[pyo3(signature = (pairs, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
fn matched_share_batch<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    guard(|| {
        let shares = on_text_pairs(py, pairs, (k, max_gap, min_tokens), |texts, pairs, p| {
            core_align::matched_share_batch(texts, pairs, p, num_threads)
        })?;
        Ok(shares.into_pyarray(py))
    })
}

/// `matched_share_batch` of pairs of documents of a spool: document `i` is the text of
/// `sizes[i]` bytes at byte `starts[i]` of the file open as `fd`.
#[pyfunction]
#[pyo3(signature = (fd, starts, sizes, pairs, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn matched_share_spooled<'py>(
    py: Python<'py>,
    fd: i32,
    starts: PyReadonlyArray1<'py, i64>,
    sizes: PyReadonlyArray1<'py, i64>,
    pairs: PyReadonlyArray2<'py, i64>,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    guard(|| {
        let spool = SpoolArg::new(fd, &starts, &sizes)?;
        let shares =
            on_spooled_pairs(py, spool, &pairs, (k, max_gap, min_tokens), num_threads, |texts, pairs, p| {
                core_align::matched_share_batch(texts, pairs, p, num_threads)
            })?;
        Ok(shares.into_pyarray(py))
    })
}

#[pyfunction]
#[pyo3(signature = (pairs, min_chars, min_share, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn wraps_batch<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    min_chars: usize,
    min_share: f64,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Vec<bool>> {
    guard(|| {
        on_text_pairs(py, pairs, (k, max_gap, min_tokens), |texts, pairs, p| {
            core_align::wraps_batch(texts, pairs, p, min_chars, min_share, num_threads)
        })
    })
}

#[pyfunction]
#[pyo3(signature = (pairs, num_threads = None))]
fn word_swaps_batch<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    num_threads: Option<usize>,
) -> PyResult<Vec<(u64, u64)>> {
    guard(|| {
        // No alignment, so no parameters: the pairs read as on_text_pairs reads them.
        let shared = shared_text_pairs_arg(pairs)?;
        Ok(py.detach(|| core_align::word_swaps_batch(&shared.texts, &shared.pairs, num_threads))?)
    })
}

/// `wraps_batch` of `(outer, inner)` pairs of documents of a spool (as in
/// `matched_share_spooled`).
#[pyfunction]
#[pyo3(signature = (fd, starts, sizes, pairs, min_chars, min_share, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn wraps_spooled<'py>(
    py: Python<'py>,
    fd: i32,
    starts: PyReadonlyArray1<'py, i64>,
    sizes: PyReadonlyArray1<'py, i64>,
    pairs: PyReadonlyArray2<'py, i64>,
    min_chars: usize,
    min_share: f64,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Vec<bool>> {
    guard(|| {
        let spool = SpoolArg::new(fd, &starts, &sizes)?;
        on_spooled_pairs(py, spool, &pairs, (k, max_gap, min_tokens), num_threads, |texts, pairs, p| {
            core_align::wraps_batch(texts, pairs, p, min_chars, min_share, num_threads)
        })
    })
}

#[pyfunction]
#[pyo3(signature = (pairs, min_line_share, k = 3, max_gap = 24, min_tokens = 8, num_threads = None))]
fn lines_shared_batch<'py>(
    py: Python<'py>,
    pairs: &Bound<'py, PyAny>,
    min_line_share: f64,
    k: usize,
    max_gap: usize,
    min_tokens: usize,
    num_threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyArray1<bool>>>> {
    guard(|| {
        let lines = on_text_pairs(py, pairs, (k, max_gap, min_tokens), |texts, pairs, p| {
            core_align::lines_shared_batch(texts, pairs, p, min_line_share, num_threads)
        })?;
        Ok(lines.into_iter().map(|flags| flags.into_pyarray(py)).collect())
    })
}

#[pyfunction]
#[pyo3(signature = (a, b, k = 3))]
fn align_anchors<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    k: usize,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    guard(|| {
        params(k, core_align::DEFAULT_MAX_GAP, core_align::DEFAULT_MIN_TOKENS)?;
        let (a, b) = (labelled_text(a, "a")?, labelled_text(b, "b")?);
        let anchors = core_align::align_anchors(&a, &b, k)?;
        let flat: Vec<i64> = anchors.iter().flat_map(|&(i, j)| [i as i64, j as i64]).collect();
        Ok(flat.into_pyarray(py).reshape([anchors.len(), 2]).expect("n x 2 anchors reshape"))
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(align, m)?)?;
    m.add_function(wrap_pyfunction!(align_batch, m)?)?;
    m.add_function(wrap_pyfunction!(align_token_ranges_batch, m)?)?;
    m.add_function(wrap_pyfunction!(matched_share_batch, m)?)?;
    m.add_function(wrap_pyfunction!(wraps_batch, m)?)?;
    m.add_function(wrap_pyfunction!(word_swaps_batch, m)?)?;
    m.add_function(wrap_pyfunction!(matched_share_spooled, m)?)?;
    m.add_function(wrap_pyfunction!(wraps_spooled, m)?)?;
    m.add_function(wrap_pyfunction!(lines_shared_batch, m)?)?;
    m.add_function(wrap_pyfunction!(align_anchors, m)?)?;
    Ok(())
}
