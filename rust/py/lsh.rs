//! Binding of LSH banding (`crate::lsh`): band keys, candidate pairs and the `LshIndex`.
//! Signatures are copied into owned vectors before the GIL is released, but for `candidate_pairs`,
//! which reads a contiguous array in place.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use super::convert::{flat_values, matrix, matrix_arg, offsets_arg, owned_pairs_array};
use super::guard::guard;
use crate::lsh::{self, LshIndex};
use crate::parallel::map_ordered;

/// The band keys of every signature, `(n, bands)`.
#[pyfunction]
#[pyo3(signature = (signatures, bands, rows, num_threads = None))]
fn band_keys<'py>(
    py: Python<'py>,
    signatures: PyReadonlyArray2<'py, u64>,
    bands: usize,
    rows: usize,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    guard(|| {
        let (flat, n, num_perm) = matrix_arg(&signatures);
        lsh::check_bands(num_perm, bands, rows)?;
        let docs: Vec<usize> = (0..n).collect();
        let keys = py.detach(|| {
            map_ordered(&docs, num_threads, |&i| {
                lsh::band_keys(&flat[i * num_perm..(i + 1) * num_perm], bands, rows)
            })
        })?;
        Ok(matrix(py, keys.into_iter().flatten().collect(), n, bands))
    })
}

/// All pairs of rows sharing a band, `(m, 2)` int64, sorted.
#[pyfunction]
#[pyo3(signature = (signatures, bands, rows, num_threads = None))]
fn candidate_pairs<'py>(
    py: Python<'py>,
    signatures: PyReadonlyArray2<'py, u64>,
    bands: usize,
    rows: usize,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    guard(|| {
        let num_perm = signatures.as_array().ncols();
        let flat = flat_values(&signatures);
        let flat: &[u64] = &flat;
        let pairs = py.detach(|| lsh::candidate_pairs(flat, num_perm, bands, rows, num_threads))?;
        Ok(owned_pairs_array(py, pairs))
    })
}

/// All pairs of rows sharing a band key (`keys` of shape `(n, bands)` as `band_keys` makes
/// them), `(m, 2)` int64, sorted.
#[pyfunction]
#[pyo3(signature = (keys, num_threads = None))]
fn candidate_pairs_of_keys<'py>(
    py: Python<'py>,
    keys: PyReadonlyArray2<'py, u64>,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    guard(|| {
        let bands = keys.as_array().ncols();
        let flat = flat_values(&keys);
        let flat: &[u64] = &flat;
        let pairs = py.detach(|| lsh::candidate_pairs_of_keys(flat, bands, num_threads))?;
        Ok(owned_pairs_array(py, pairs))
    })
}

/// Pairs of documents sharing at least half the anchors of the one with fewer (CSR `values`,
/// `offsets`; values of more than `max_docs` documents passed over), `(m, 2)` int64, sorted.
#[pyfunction]
#[pyo3(signature = (values, offsets, max_docs, num_threads = None))]
fn anchor_pairs<'py>(
    py: Python<'py>,
    values: PyReadonlyArray1<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    max_docs: usize,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    guard(|| {
        let values = flat_values(&values);
        let values: &[u64] = &values;
        let offsets = offsets_arg(&offsets)?;
        let pairs = py.detach(|| lsh::anchor_pairs(values, &offsets, max_docs, num_threads))?;
        Ok(owned_pairs_array(py, pairs))
    })
}

/// A batch query's ids, all queries in one array, and where each query's start (n + 1).
type IdsAndOffsets<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i64>>);

/// Every indexed id and its row of band keys.
type BandTablePy<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray2<u64>>);

/// A banded LSH index keyed by uint64 ids (the Python layer maps user keys to ids).
#[pyclass(name = "LshIndex", module = "neardup._core")]
struct PyLshIndex {
    inner: LshIndex,
}

#[pymethods]
impl PyLshIndex {
    #[new]
    fn new(num_perm: usize, bands: usize, rows: usize) -> PyResult<Self> {
        guard(|| Ok(PyLshIndex { inner: LshIndex::new(num_perm, bands, rows)? }))
    }

    #[getter]
    fn num_perm(&self) -> usize {
        self.inner.num_perm()
    }
    #[getter]
    fn bands(&self) -> usize {
        self.inner.bands()
    }
    #[getter]
    fn rows(&self) -> usize {
        self.inner.rows()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __contains__(&self, id: u64) -> bool {
        self.inner.contains(id)
    }

    fn insert(&mut self, id: u64, signature: PyReadonlyArray1<'_, u64>) -> PyResult<()> {
        guard(|| Ok(self.inner.insert(id, &signature.as_array().to_vec())?))
    }

    /// Insert rows of `signatures` under `ids`; all or nothing.
    #[pyo3(signature = (ids, signatures, num_threads = None))]
    fn insert_batch(
        &mut self,
        py: Python<'_>,
        ids: PyReadonlyArray1<'_, u64>,
        signatures: PyReadonlyArray2<'_, u64>,
        num_threads: Option<usize>,
    ) -> PyResult<()> {
        guard(|| {
            let ids = ids.as_array().to_vec();
            let (flat, n, num_perm) = matrix_arg(&signatures);
            let inner = &mut self.inner;
            Ok(py.detach(|| inner.insert_batch(&ids, &flat, (n, num_perm), num_threads))?)
        })
    }

    fn remove(&mut self, id: u64) -> PyResult<()> {
        guard(|| Ok(self.inner.remove(id)?))
    }

    fn query<'py>(
        &self,
        py: Python<'py>,
        signature: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        guard(|| Ok(self.inner.query(&signature.as_array().to_vec())?.into_pyarray(py)))
    }

    #[pyo3(signature = (signatures, num_threads = None))]
    fn query_batch<'py>(
        &self,
        py: Python<'py>,
        signatures: PyReadonlyArray2<'py, u64>,
        num_threads: Option<usize>,
    ) -> PyResult<IdsAndOffsets<'py>> {
        guard(|| {
            let (flat, n, num_perm) = matrix_arg(&signatures);
            let inner = &self.inner;
            let found = py.detach(|| inner.query_batch(&flat, (n, num_perm), num_threads))?;
            // One flat array and its offsets: one numpy object per query cost more than the lookups.
            let mut ids = Vec::with_capacity(found.iter().map(Vec::len).sum());
            let mut offsets = Vec::with_capacity(n + 1);
            offsets.push(0i64);
            for hits in found {
                ids.extend_from_slice(&hits);
                offsets.push(ids.len() as i64);
            }
            Ok((ids.into_pyarray(py), offsets.into_pyarray(py)))
        })
    }

    /// Every indexed id (ascending) and its band keys, one row per id.
    fn band_table<'py>(&self, py: Python<'py>) -> PyResult<BandTablePy<'py>> {
        guard(|| {
            let (ids, keys) = self.inner.band_table();
            let rows = ids.len();
            Ok((ids.into_pyarray(py), matrix(py, keys, rows, self.inner.bands())))
        })
    }

    /// Index ``ids[i]`` with the band keys ``keys[i]`` (a row of :meth:`band_table`), all or nothing.
    fn insert_band_keys(
        &mut self,
        ids: PyReadonlyArray1<'_, u64>,
        keys: PyReadonlyArray2<'_, u64>,
    ) -> PyResult<()> {
        guard(|| {
            let ids = ids.as_array().to_vec();
            let (flat, n, bands) = matrix_arg(&keys);
            Ok(self.inner.insert_band_keys(&ids, &flat, (n, bands))?)
        })
    }

    /// Every pair of indexed ids sharing a band, `(m, 2)` uint64, sorted.
    fn candidate_pairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u64>>> {
        guard(|| {
            let pairs = self.inner.candidate_pairs();
            let n = pairs.len();
            Ok(matrix(py, pairs.into_iter().flat_map(|(a, b)| [a, b]).collect(), n, 2))
        })
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(candidate_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(candidate_pairs_of_keys, m)?)?;
    m.add_function(wrap_pyfunction!(anchor_pairs, m)?)?;
    m.add_class::<PyLshIndex>()?;
    Ok(())
}
