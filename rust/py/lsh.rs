//! Binding of LSH banding (`crate::lsh`): band keys, candidate pairs and the `LshIndex`.
//! Signatures are copied into owned vectors before the GIL is released.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::{doc_pairs_array, matrix, matrix_arg};
use super::to_py_err;
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
    let (flat, n, num_perm) = matrix_arg(&signatures);
    lsh::check_bands(num_perm, bands, rows).map_err(to_py_err)?;
    let docs: Vec<usize> = (0..n).collect();
    let keys = py
        .detach(|| {
            map_ordered(&docs, num_threads, |&i| {
                lsh::band_keys(&flat[i * num_perm..(i + 1) * num_perm], bands, rows)
            })
        })
        .map_err(to_py_err)?;
    Ok(matrix(py, keys.into_iter().flatten().collect(), n, bands))
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
    let (flat, _, num_perm) = matrix_arg(&signatures);
    let pairs =
        py.detach(|| lsh::candidate_pairs(&flat, num_perm, bands, rows, num_threads)).map_err(to_py_err)?;
    Ok(doc_pairs_array(py, &pairs))
}

/// A batch query's ids, all queries in one array, and where each query's start (n + 1).
type IdsAndOffsets<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<i64>>);

/// A banded LSH index keyed by uint64 ids (the Python layer maps user keys to ids).
#[pyclass(name = "LshIndex", module = "neardup._core")]
struct PyLshIndex {
    inner: LshIndex,
}

#[pymethods]
impl PyLshIndex {
    #[new]
    fn new(num_perm: usize, bands: usize, rows: usize) -> PyResult<Self> {
        Ok(PyLshIndex { inner: LshIndex::new(num_perm, bands, rows).map_err(to_py_err)? })
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
        self.inner.insert(id, &signature.as_array().to_vec()).map_err(to_py_err)
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
        let ids = ids.as_array().to_vec();
        let (flat, n, num_perm) = matrix_arg(&signatures);
        if ids.len() != n {
            return Err(PyValueError::new_err(format!("{} ids for {n} signatures", ids.len())));
        }
        if num_perm != self.inner.num_perm() {
            return Err(PyValueError::new_err(format!(
                "signatures have {num_perm} values, the index expects num_perm={}",
                self.inner.num_perm()
            )));
        }
        let mut seen = std::collections::HashSet::with_capacity(n);
        for (k, &id) in ids.iter().enumerate() {
            if self.inner.contains(id) || !seen.insert(id) {
                return Err(PyValueError::new_err(format!("document {k}: id {id} is already in the index")));
            }
        }
        let inner = &mut self.inner;
        py.detach(|| {
            inner.reserve(n);
            let docs: Vec<usize> = (0..n).collect();
            let keys = map_ordered(&docs, num_threads, |&i| {
                lsh::band_keys(&flat[i * num_perm..(i + 1) * num_perm], inner.bands(), inner.rows())
            })?;
            for (id, keys) in ids.into_iter().zip(keys) {
                inner.insert_keys(id, keys)?;
            }
            Ok(())
        })
        .map_err(to_py_err)
    }

    fn remove(&mut self, id: u64) -> PyResult<()> {
        self.inner.remove(id).map_err(to_py_err)
    }

    fn query<'py>(
        &self,
        py: Python<'py>,
        signature: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        Ok(self.inner.query(&signature.as_array().to_vec()).map_err(to_py_err)?.into_pyarray(py))
    }

    #[pyo3(signature = (signatures, num_threads = None))]
    fn query_batch<'py>(
        &self,
        py: Python<'py>,
        signatures: PyReadonlyArray2<'py, u64>,
        num_threads: Option<usize>,
    ) -> PyResult<IdsAndOffsets<'py>> {
        let (flat, n, num_perm) = matrix_arg(&signatures);
        if n > 0 && num_perm != self.inner.num_perm() {
            return Err(PyValueError::new_err(format!(
                "signatures have {num_perm} values, the index expects num_perm={}",
                self.inner.num_perm()
            )));
        }
        let inner = &self.inner;
        let docs: Vec<usize> = (0..n).collect();
        let found = py
            .detach(|| {
                map_ordered(&docs, num_threads, |&i| inner.query(&flat[i * num_perm..(i + 1) * num_perm]))
            })
            .map_err(to_py_err)?;
        // One flat array and its offsets: one numpy object per query cost more than the lookups.
        let mut ids = Vec::with_capacity(found.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum());
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0i64);
        for result in found {
            ids.extend_from_slice(&result.map_err(to_py_err)?);
            offsets.push(ids.len() as i64);
        }
        Ok((ids.into_pyarray(py), offsets.into_pyarray(py)))
    }

    /// Every indexed id (ascending) and its band keys, one row per id.
    fn band_table<'py>(&self, py: Python<'py>) -> (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray2<u64>>) {
        let (ids, keys) = self.inner.band_table();
        let rows = ids.len();
        (ids.into_pyarray(py), matrix(py, keys, rows, self.inner.bands()))
    }

    /// Index ``ids[i]`` with the band keys ``keys[i]`` (a row of :meth:`band_table`), all or nothing.
    fn insert_band_keys(
        &mut self,
        ids: PyReadonlyArray1<'_, u64>,
        keys: PyReadonlyArray2<'_, u64>,
    ) -> PyResult<()> {
        let ids = ids.as_array().to_vec();
        let (flat, n, bands) = matrix_arg(&keys);
        if n != ids.len() {
            return Err(PyValueError::new_err(format!("{} ids for {n} rows of band keys", ids.len())));
        }
        if n > 0 && bands != self.inner.bands() {
            return Err(PyValueError::new_err(format!(
                "rows of {bands} band keys, the index has {} bands",
                self.inner.bands()
            )));
        }
        let mut seen = std::collections::HashSet::with_capacity(n);
        for (k, &id) in ids.iter().enumerate() {
            if self.inner.contains(id) || !seen.insert(id) {
                return Err(PyValueError::new_err(format!("document {k}: id {id} is already in the index")));
            }
        }
        for (k, &id) in ids.iter().enumerate() {
            self.inner.insert_keys(id, flat[k * bands..(k + 1) * bands].to_vec()).map_err(to_py_err)?;
        }
        Ok(())
    }

    /// Every pair of indexed ids sharing a band, `(m, 2)` uint64, sorted.
    fn candidate_pairs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u64>> {
        let pairs = self.inner.candidate_pairs();
        let n = pairs.len();
        matrix(py, pairs.into_iter().flat_map(|(a, b)| [a, b]).collect(), n, 2)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(candidate_pairs, m)?)?;
    m.add_class::<PyLshIndex>()?;
    Ok(())
}
