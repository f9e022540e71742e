//! Bindings of MinHash, LSH, verification and clustering. Array arguments are copied into
//! owned vectors before the GIL is released (except the shingle hashes of `minhash_shingles`,
//! read in place as numpy itself does, and texts, borrowed); results come back as numpy arrays.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::{ngram_arg, seed_arg, texts_arg, to_py_err};
use crate::cluster;
use crate::lsh::{self, LshIndex};
use crate::minhash::{DatasketchHasher, DatasketchScheme, MinHasher, Scheme};
use crate::parallel::{fill_rows, map_ordered};
use crate::text::{self, ShingleKind};

fn matrix<'py, T: numpy::Element>(
    py: Python<'py>,
    flat: Vec<T>,
    rows: usize,
    cols: usize,
) -> Bound<'py, PyArray2<T>> {
    flat.into_pyarray(py).reshape([rows, cols]).expect("rows x cols reshape")
}

fn matrix_arg<T: numpy::Element + Copy>(array: &PyReadonlyArray2<'_, T>) -> (Vec<T>, usize, usize) {
    let view = array.as_array();
    let (rows, cols) = view.dim();
    // A contiguous array (the usual case) is one memcpy.
    let flat = match array.as_slice() {
        Ok(slice) => slice.to_vec(),
        Err(_) => view.iter().copied().collect(),
    };
    (flat, rows, cols)
}

/// `(m, 2)` int64 pairs of document indices.
fn pairs_arg(pairs: &PyReadonlyArray2<'_, i64>) -> PyResult<Vec<(usize, usize)>> {
    let view = pairs.as_array();
    if view.ncols() != 2 {
        return Err(PyValueError::new_err(format!(
            "pairs must be an (m, 2) array, got {} columns",
            view.ncols()
        )));
    }
    view.rows()
        .into_iter()
        .enumerate()
        .map(|(k, row)| match (usize::try_from(row[0]), usize::try_from(row[1])) {
            (Ok(i), Ok(j)) => Ok((i, j)),
            _ => Err(PyValueError::new_err(format!("pair {k}: negative document index"))),
        })
        .collect()
}

fn offsets_arg(offsets: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    offsets
        .as_array()
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| PyValueError::new_err("offsets must be >= 0")))
        .collect()
}

fn pairs_out<'py>(py: Python<'py>, pairs: &[(usize, usize)]) -> Bound<'py, PyArray2<i64>> {
    let flat = pairs.iter().flat_map(|&(i, j)| [i as i64, j as i64]).collect();
    matrix(py, flat, pairs.len(), 2)
}

fn signatures_out<'py>(py: Python<'py>, rows: Vec<Vec<u64>>, num_perm: usize) -> Bound<'py, PyArray2<u64>> {
    let n = rows.len();
    matrix(py, rows.into_iter().flatten().collect(), n, num_perm)
}

/// MinHash signatures of texts: shingle (as `shingles`), then sign, all without the GIL.
#[pyfunction]
#[pyo3(signature = (texts, num_perm = 128, seed = None, scheme = "classic", n = None, kind = "word", shingle_seed = None, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn minhash_texts<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    num_perm: usize,
    seed: Option<&Bound<'py, PyAny>>,
    scheme: &str,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    shingle_seed: Option<&Bound<'py, PyAny>>,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let seed = seed.map(seed_arg).transpose()?.unwrap_or(1);
    let hasher =
        MinHasher::new(Scheme::parse(scheme).map_err(to_py_err)?, num_perm, seed).map_err(to_py_err)?;
    let n = n.map(ngram_arg).transpose()?.unwrap_or(5);
    text::check_ngram(n).map_err(to_py_err)?;
    let kind = ShingleKind::parse(kind).map_err(to_py_err)?;
    let shingle_seed = shingle_seed.map(seed_arg).transpose()?.unwrap_or(0);
    let texts = texts_arg(texts)?;
    let mut flat = vec![0u64; texts.len() * num_perm];
    py.detach(|| {
        fill_rows(
            &texts,
            &mut flat,
            num_perm,
            num_threads,
            || (text::ShingleBuffers::default(), Vec::new()),
            |(buffers, hashes), t, row| {
                text::shingles_into(t, n, kind, shingle_seed, buffers, hashes).expect("n was checked");
                hasher.sign_scratch(hashes, row);
            },
        )
    })
    .map_err(to_py_err)?;
    Ok(matrix(py, flat, texts.len(), num_perm))
}

/// MinHash signatures of pre-hashed shingles in CSR layout (`hashes`, `offsets`).
#[pyfunction]
#[pyo3(signature = (hashes, offsets, num_perm = 128, seed = None, scheme = "classic", num_threads = None))]
fn minhash_shingles<'py>(
    py: Python<'py>,
    hashes: PyReadonlyArray1<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    num_perm: usize,
    seed: Option<&Bound<'py, PyAny>>,
    scheme: &str,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let seed = seed.map(seed_arg).transpose()?.unwrap_or(1);
    let hasher =
        MinHasher::new(Scheme::parse(scheme).map_err(to_py_err)?, num_perm, seed).map_err(to_py_err)?;
    // Read in place, not copied: like numpy's own operations, which also run without the
    // GIL, this relies on no other thread writing the array meanwhile.
    let copied: Vec<u64>;
    let hashes = match hashes.as_slice() {
        Ok(slice) => slice,
        Err(_) => {
            copied = hashes.as_array().to_vec();
            &copied
        }
    };
    let offsets = offsets_arg(&offsets)?;
    let n = crate::csr::check_offsets(&offsets, hashes.len()).map_err(to_py_err)?;
    let docs: Vec<usize> = (0..n).collect();
    let mut flat = vec![0u64; n * num_perm];
    py.detach(|| {
        fill_rows(&docs, &mut flat, num_perm, num_threads, Vec::new, |scratch, &i, row| {
            hasher.sign_with(&hashes[offsets[i]..offsets[i + 1]], scratch, row)
        })
    })
    .map_err(to_py_err)?;
    Ok(matrix(py, flat, n, num_perm))
}

type PermutationsPy<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u64>>);

/// The classic scheme's permutation parameters `(a, b)`.
#[pyfunction]
#[pyo3(signature = (num_perm, seed = None))]
fn classic_permutations<'py>(
    py: Python<'py>,
    num_perm: usize,
    seed: Option<&Bound<'py, PyAny>>,
) -> PyResult<PermutationsPy<'py>> {
    let seed = seed.map(seed_arg).transpose()?.unwrap_or(1);
    let hasher = MinHasher::new(Scheme::Classic, num_perm, seed).map_err(to_py_err)?;
    let (a, b) = hasher.permutations();
    Ok((a.to_vec().into_pyarray(py), b.to_vec().into_pyarray(py)))
}

/// Copy a sequence of sequences of bytes-like shingles.
fn byte_docs_arg(docs: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<Vec<u8>>>> {
    let mut out = Vec::new();
    for (i, doc) in docs.try_iter()?.enumerate() {
        let doc = doc?;
        if doc.is_instance_of::<pyo3::types::PyString>() || doc.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(format!(
                "document {i}: expected a sequence of bytes shingles, got {}",
                doc.get_type().name()?
            )));
        }
        let mut shingles = Vec::new();
        for (j, item) in doc.try_iter()?.enumerate() {
            let item = item?;
            let bytes = if let Ok(b) = item.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else if item.is_instance_of::<pyo3::types::PyString>() {
                return Err(PyTypeError::new_err(format!(
                    "document {i}, shingle {j}: expected bytes, got str (encode it, e.g. as UTF-8)"
                )));
            } else {
                item.extract::<Vec<u8>>().map_err(|_| {
                    let name = item.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                    PyTypeError::new_err(format!("document {i}, shingle {j}: expected bytes, got {name}"))
                })?
            };
            shingles.push(bytes);
        }
        out.push(shingles);
    }
    Ok(out)
}

/// datasketch-compatible hash values of byte shingles, given datasketch's permutations.
#[pyfunction]
#[pyo3(signature = (docs, a, b, scheme = "affine32", num_threads = None))]
fn datasketch_minhash<'py>(
    py: Python<'py>,
    docs: &Bound<'py, PyAny>,
    a: PyReadonlyArray1<'py, u64>,
    b: PyReadonlyArray1<'py, u64>,
    scheme: &str,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let scheme = DatasketchScheme::parse(scheme).map_err(to_py_err)?;
    let hasher =
        DatasketchHasher::new(scheme, a.as_array().to_vec(), b.as_array().to_vec()).map_err(to_py_err)?;
    let num_perm = a.len()?;
    let docs = byte_docs_arg(docs)?;
    let rows = py.detach(|| map_ordered(&docs, num_threads, |d| hasher.sign(d))).map_err(to_py_err)?;
    Ok(signatures_out(py, rows, num_perm))
}

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
    Ok(pairs_out(py, &pairs))
}

#[pyfunction]
#[pyo3(signature = (signatures, pairs, num_threads = None))]
fn estimate_pairs<'py>(
    py: Python<'py>,
    signatures: PyReadonlyArray2<'py, u64>,
    pairs: PyReadonlyArray2<'py, i64>,
    num_threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (flat, n, num_perm) = matrix_arg(&signatures);
    let pairs = pairs_arg(&pairs)?;
    if num_perm == 0 {
        cluster::check_pairs(n, &pairs).map_err(to_py_err)?;
        return Ok(vec![0.0; pairs.len()].into_pyarray(py));
    }
    let estimates =
        py.detach(|| cluster::estimate_pairs(&flat, num_perm, &pairs, num_threads)).map_err(to_py_err)?;
    Ok(estimates.into_pyarray(py))
}

type OverlapsPy<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

#[pyfunction]
#[pyo3(signature = (hashes, offsets, pairs, num_threads = None))]
fn set_overlaps<'py>(
    py: Python<'py>,
    hashes: PyReadonlyArray1<'py, u64>,
    offsets: PyReadonlyArray1<'py, i64>,
    pairs: PyReadonlyArray2<'py, i64>,
    num_threads: Option<usize>,
) -> PyResult<OverlapsPy<'py>> {
    let hashes = hashes.as_array().to_vec();
    let offsets = offsets_arg(&offsets)?;
    let pairs = pairs_arg(&pairs)?;
    let (inter, sizes) =
        py.detach(|| cluster::set_overlaps(&hashes, &offsets, &pairs, num_threads)).map_err(to_py_err)?;
    let as_i64 = |v: Vec<usize>| v.into_iter().map(|x| x as i64).collect::<Vec<_>>();
    Ok((as_i64(inter).into_pyarray(py), as_i64(sizes).into_pyarray(py)))
}

#[pyfunction]
#[pyo3(name = "cluster", signature = (n, pairs, priority))]
fn cluster_py<'py>(
    py: Python<'py>,
    n: usize,
    pairs: PyReadonlyArray2<'py, i64>,
    priority: PyReadonlyArray2<'py, f64>,
) -> PyResult<OverlapsPy<'py>> {
    let pairs = pairs_arg(&pairs)?;
    let (priority, rows, width) = matrix_arg(&priority);
    if rows != n {
        return Err(PyValueError::new_err(format!("priority has {rows} rows for {n} documents")));
    }
    let (rep, via) = py.detach(|| cluster::cluster(n, &pairs, &priority, width)).map_err(to_py_err)?;
    let as_i64 = |v: Vec<usize>| v.into_iter().map(|x| x as i64).collect::<Vec<_>>();
    Ok((as_i64(rep).into_pyarray(py), as_i64(via).into_pyarray(py)))
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

    /// Every pair of indexed ids sharing a band, `(m, 2)` uint64, sorted.
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

    fn candidate_pairs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u64>> {
        let pairs = self.inner.candidate_pairs();
        let n = pairs.len();
        matrix(py, pairs.into_iter().flat_map(|(a, b)| [a, b]).collect(), n, 2)
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(minhash_texts, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_shingles, m)?)?;
    m.add_function(wrap_pyfunction!(classic_permutations, m)?)?;
    m.add_function(wrap_pyfunction!(datasketch_minhash, m)?)?;
    m.add_function(wrap_pyfunction!(band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(candidate_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(set_overlaps, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_py, m)?)?;
    m.add_class::<PyLshIndex>()?;
    Ok(())
}
