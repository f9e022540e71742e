//! Binding of SimHash fingerprints and the Hamming-distance search (`crate::simhash`). Arrays
//! are copied before the GIL is released; fingerprints come back as numpy uint64 arrays.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;

use super::convert::{ngram_arg, offsets_arg, seed_arg, text_arg, texts_arg};
use super::guard::guard;
use crate::simhash::{self, SimHashIndex, Tables, Weighting};
use crate::text::ShingleKind;

type PairsPy<'py, T> = (Bound<'py, PyArray2<T>>, Bound<'py, PyArray1<i64>>);

fn pairs_out<'py, T: numpy::Element + Copy>(py: Python<'py>, pairs: Vec<(T, T, u32)>) -> PairsPy<'py, T> {
    let n = pairs.len();
    let flat: Vec<T> = pairs.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    let distances: Vec<i64> = pairs.iter().map(|&(_, _, d)| d as i64).collect();
    let matrix = flat.into_pyarray(py).reshape([n, 2]).expect("n x 2 reshape");
    (matrix, distances.into_pyarray(py))
}

/// The fingerprint of one text.
#[pyfunction]
#[pyo3(signature = (text, n = None, kind = "word", weighting = "tf", shingle_seed = None))]
fn simhash_text(
    text: &Bound<'_, PyAny>,
    n: Option<&Bound<'_, PyAny>>,
    kind: &str,
    weighting: &str,
    shingle_seed: Option<&Bound<'_, PyAny>>,
) -> PyResult<u64> {
    guard(|| {
        let n = n.map(ngram_arg).transpose()?.unwrap_or(3);
        let kind = ShingleKind::parse(kind)?;
        let weighting = Weighting::parse(weighting)?;
        let shingle_seed = shingle_seed.map(seed_arg).transpose()?.unwrap_or(0);
        let text = text_arg(text, None)?;
        Ok(simhash::from_text(&text, n, kind, weighting, shingle_seed)?)
    })
}

/// Fingerprints of many texts, in parallel without the GIL.
#[pyfunction]
#[pyo3(signature = (texts, n = None, kind = "word", weighting = "tf", shingle_seed = None, num_threads = None))]
fn simhash_texts<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    weighting: &str,
    shingle_seed: Option<&Bound<'py, PyAny>>,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    guard(|| {
        let n = n.map(ngram_arg).transpose()?.unwrap_or(3);
        let kind = ShingleKind::parse(kind)?;
        let weighting = Weighting::parse(weighting)?;
        let shingle_seed = shingle_seed.map(seed_arg).transpose()?.unwrap_or(0);
        let texts = texts_arg(texts)?;
        let out = py.detach(|| simhash::from_texts(&texts, n, kind, weighting, shingle_seed, num_threads))?;
        Ok(out.into_pyarray(py))
    })
}

/// Fingerprints of pre-hashed shingles in CSR layout (`hashes`, `offsets`).
#[pyfunction]
#[pyo3(signature = (hashes, offsets, weighting = "tf", num_threads = None))]
fn simhash_shingles<'py>(
    py: Python<'py>,
    hashes: PyReadonlyArray1<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    weighting: &str,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    guard(|| {
        let weighting = Weighting::parse(weighting)?;
        let hashes = hashes.as_array().to_vec();
        let offsets = offsets_arg(&offsets)?;
        let out = py.detach(|| simhash::from_shingles_csr(&hashes, &offsets, weighting, num_threads))?;
        Ok(out.into_pyarray(py))
    })
}

/// Fingerprints of weighted features in CSR layout (`hashes`, `weights`, `offsets`).
#[pyfunction]
#[pyo3(signature = (hashes, weights, offsets, num_threads = None))]
fn simhash_weighted<'py>(
    py: Python<'py>,
    hashes: PyReadonlyArray1<'py, u64>,
    weights: PyReadonlyArray1<'py, f64>,
    offsets: PyReadonlyArray1<'py, i64>,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    guard(|| {
        let hashes = hashes.as_array().to_vec();
        let weights = weights.as_array().to_vec();
        let offsets = offsets_arg(&offsets)?;
        let out = py.detach(|| simhash::from_weighted_csr(&hashes, &weights, &offsets, num_threads))?;
        Ok(out.into_pyarray(py))
    })
}

/// Every pair of fingerprints within Hamming distance `k`: `(m, 2)` int64 pairs, sorted, and
/// their distances.
#[pyfunction]
#[pyo3(signature = (fingerprints, k = 3, blocks = None, num_threads = None))]
fn simhash_pairs<'py>(
    py: Python<'py>,
    fingerprints: PyReadonlyArray1<'py, u64>,
    k: u32,
    blocks: Option<u32>,
    num_threads: Option<usize>,
) -> PyResult<PairsPy<'py, i64>> {
    guard(|| {
        let tables = Tables::new(k, blocks)?;
        let fingerprints = fingerprints.as_array().to_vec();
        let pairs = py.detach(|| simhash::pairs_within(&fingerprints, &tables, num_threads))?;
        Ok(pairs_out(py, pairs.into_iter().map(|(i, j, d)| (i as i64, j as i64, d)).collect()))
    })
}

type HitsPy<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i64>>);

/// A Hamming-distance index keyed by uint64 ids (the Python layer maps user keys to ids).
#[pyclass(name = "SimHashIndex", module = "neardup._core")]
struct PySimHashIndex {
    inner: SimHashIndex,
}

#[pymethods]
impl PySimHashIndex {
    #[new]
    #[pyo3(signature = (k = 3, blocks = None))]
    fn new(k: u32, blocks: Option<u32>) -> PyResult<Self> {
        guard(|| Ok(PySimHashIndex { inner: SimHashIndex::new(k, blocks)? }))
    }

    #[getter]
    fn k(&self) -> u32 {
        self.inner.k()
    }
    #[getter]
    fn blocks(&self) -> u32 {
        self.inner.blocks()
    }
    #[getter]
    fn num_tables(&self) -> usize {
        self.inner.num_tables()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __contains__(&self, id: u64) -> bool {
        self.inner.contains(id)
    }

    fn insert(&mut self, id: u64, fingerprint: u64) -> PyResult<()> {
        guard(|| Ok(self.inner.insert(id, fingerprint)?))
    }

    /// Insert `fingerprints[i]` under `ids[i]`; all or nothing.
    fn insert_batch(
        &mut self,
        ids: PyReadonlyArray1<'_, u64>,
        fingerprints: PyReadonlyArray1<'_, u64>,
    ) -> PyResult<()> {
        guard(|| Ok(self.inner.insert_batch(&ids.as_array().to_vec(), &fingerprints.as_array().to_vec())?))
    }

    fn remove(&mut self, id: u64) -> PyResult<()> {
        guard(|| Ok(self.inner.remove(id)?))
    }

    /// The ids within distance `k` of `fingerprint`, ascending, and their distances.
    fn query<'py>(&self, py: Python<'py>, fingerprint: u64) -> PyResult<HitsPy<'py>> {
        guard(|| {
            let hits = self.inner.query(fingerprint);
            let ids: Vec<u64> = hits.iter().map(|&(id, _)| id).collect();
            let distances: Vec<i64> = hits.iter().map(|&(_, d)| d as i64).collect();
            Ok((ids.into_pyarray(py), distances.into_pyarray(py)))
        })
    }

    /// Every pair of indexed ids within distance `k`: `(m, 2)` uint64, sorted, and distances.
    fn pairs<'py>(&self, py: Python<'py>) -> PyResult<PairsPy<'py, u64>> {
        guard(|| Ok(pairs_out(py, self.inner.pairs())))
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simhash_text, m)?)?;
    m.add_function(wrap_pyfunction!(simhash_texts, m)?)?;
    m.add_function(wrap_pyfunction!(simhash_shingles, m)?)?;
    m.add_function(wrap_pyfunction!(simhash_weighted, m)?)?;
    m.add_function(wrap_pyfunction!(simhash_pairs, m)?)?;
    m.add_class::<PySimHashIndex>()?;
    Ok(())
}
