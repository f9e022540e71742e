//! Binding of MinHash signatures (`crate::minhash`). Array arguments are copied into owned
//! vectors before the GIL is released, except the shingle hashes of `minhash_shingles`, read in
//! place as numpy itself does, and texts, borrowed; signatures come back as numpy arrays.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::convert::{call_text, flat_values, matrix, ngram_arg, offsets_arg, seed_arg, texts_arg};
use super::guard::guard;
use crate::csr::check_offsets;
use crate::error::Error;
use crate::hash::HashSorter;
use crate::lsh;
use crate::minhash::{DatasketchHasher, DatasketchScheme, MinHasher, Scheme};
use crate::parallel::{fill_rows, map_ordered, map_ordered_init};
use crate::text::{self, ShingleKind};

/// The hasher and shingling of the calls that sign texts, from their arguments (defaults:
/// seed 1, word 5-grams, shingle seed 0).
fn text_signing(
    num_perm: usize,
    seed: Option<&Bound<'_, PyAny>>,
    scheme: &str,
    n: Option<&Bound<'_, PyAny>>,
    kind: &str,
    shingle_seed: Option<&Bound<'_, PyAny>>,
) -> PyResult<(MinHasher, usize, ShingleKind, u64)> {
    let seed = seed.map(seed_arg).transpose()?.unwrap_or(1);
    let hasher = MinHasher::new(Scheme::parse(scheme)?, num_perm, seed)?;
    let n = n.map(ngram_arg).transpose()?.unwrap_or(5);
    let kind = ShingleKind::parse(kind)?;
    let shingle_seed = shingle_seed.map(seed_arg).transpose()?.unwrap_or(0);
    Ok((hasher, n, kind, shingle_seed))
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
    guard(|| {
        let (hasher, n, kind, shingle_seed) = text_signing(num_perm, seed, scheme, n, kind, shingle_seed)?;
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
                    text::shingles_into(t, n, kind, shingle_seed, buffers, hashes)
                        .expect("ngram_arg gave n >= 1");
                    hasher.sign_scratch(hashes, row);
                },
            )
        })?;
        Ok(matrix(py, flat, texts.len(), num_perm))
    })
}

/// Texts `minhash_texts_sized` shingles and signs per call without the GIL.
const TEXT_BLOCK: usize = 2048;

/// Signatures `(n, num_perm)` and distinct-shingle counts `(n,)`.
type SignaturesAndSizesPy<'py> = (Bound<'py, PyArray2<u64>>, Bound<'py, PyArray1<i64>>);

/// `minhash_texts` with each text's distinct-shingle count: what verification needs of a text
/// besides its shingles, which are dropped as soon as signed (a set signs as its list does).
#[pyfunction]
#[pyo3(signature = (texts, num_perm = 128, seed = None, scheme = "classic", n = None, kind = "word", shingle_seed = None, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn minhash_texts_sized<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    num_perm: usize,
    seed: Option<&Bound<'py, PyAny>>,
    scheme: &str,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    shingle_seed: Option<&Bound<'py, PyAny>>,
    num_threads: Option<usize>,
) -> PyResult<SignaturesAndSizesPy<'py>> {
    guard(|| {
        let signing = text_signing(num_perm, seed, scheme, n, kind, shingle_seed)?;
        let signed = sign_texts(py, texts, &signing, None, num_threads)?;
        let count = signed.sizes.len();
        Ok((matrix(py, signed.signatures, count, num_perm), signed.sizes.into_pyarray(py)))
    })
}

/// Signatures `(n, num_perm)`, distinct-shingle counts `(n,)`, and the anchors of every text
/// in CSR layout (values, offsets `(n + 1,)`).
type AnchoredPy<'py> = (
    Bound<'py, PyArray2<u64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<i64>>,
);

/// `minhash_texts_sized` with each text's anchors: its distinct shingle hashes whose top
/// `anchor_bits` bits are 0 (one in `2**anchor_bits` of them, the same ones in every text that
/// holds them), sorted, taken from the set as it is signed.
#[pyfunction]
#[pyo3(signature = (texts, num_perm = 128, seed = None, scheme = "classic", n = None, kind = "word", shingle_seed = None, anchor_bits = 5, num_threads = None))]
#[allow(clippy::too_many_arguments)]
fn minhash_texts_anchored<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    num_perm: usize,
    seed: Option<&Bound<'py, PyAny>>,
    scheme: &str,
    n: Option<&Bound<'py, PyAny>>,
    kind: &str,
    shingle_seed: Option<&Bound<'py, PyAny>>,
    anchor_bits: u32,
    num_threads: Option<usize>,
) -> PyResult<AnchoredPy<'py>> {
    guard(|| {
        if anchor_bits > 63 {
            return Err(
                Error::InvalidArgument(format!("anchor_bits must be in 0..=63, got {anchor_bits}")).into()
            );
        }
        let signing = text_signing(num_perm, seed, scheme, n, kind, shingle_seed)?;
        let signed = sign_texts(py, texts, &signing, Some(anchor_bits), num_threads)?;
        let count = signed.sizes.len();
        Ok((
            matrix(py, signed.signatures, count, num_perm),
            signed.sizes.into_pyarray(py),
            signed.anchors.into_pyarray(py),
            signed.anchor_offsets.into_pyarray(py),
        ))
    })
}

/// What `sign_texts` gives back, in the texts' order (the anchors empty without `anchor_bits`).
struct SignedTexts {
    signatures: Vec<u64>,
    sizes: Vec<i64>,
    anchors: Vec<u64>,
    anchor_offsets: Vec<i64>,
}

/// Each text shingled, its set signed and counted, and with `anchor_bits` its anchors kept:
/// a block of texts at a time, so that the UTF-8 made of non-ASCII texts and a block's
/// results are held for one block, not the whole corpus.
fn sign_texts(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    (hasher, n, kind, shingle_seed): &(MinHasher, usize, ShingleKind, u64),
    anchor_bits: Option<u32>,
    num_threads: Option<usize>,
) -> PyResult<SignedTexts> {
    let num_perm = hasher.num_perm();
    let expected = texts.len().unwrap_or(0);
    let mut signed = SignedTexts {
        signatures: Vec::with_capacity(expected * num_perm),
        sizes: Vec::with_capacity(expected),
        anchors: Vec::new(),
        anchor_offsets: if anchor_bits.is_some() { vec![0] } else { Vec::new() },
    };
    let mut block = Vec::with_capacity(TEXT_BLOCK);
    let mut items = texts.try_iter()?.enumerate().peekable();
    // At least one round: an empty input has its thread count checked alike.
    loop {
        block.clear();
        for (i, item) in items.by_ref().take(TEXT_BLOCK) {
            block.push(call_text(&item?, i)?);
        }
        let rows = py.detach(|| {
            map_ordered_init(
                &block,
                num_threads,
                || (text::ShingleBuffers::default(), Vec::new(), HashSorter::default()),
                |(buffers, hashes, sorter), t| {
                    text::shingles_into(t.as_ref(), *n, *kind, *shingle_seed, buffers, hashes)
                        .expect("ngram_arg gave n >= 1");
                    sorter.sort_distinct(hashes);
                    // Taken before signing, which reorders the set in place.
                    let anchors = anchor_bits.map(|bits| lsh::anchors(hashes, bits).to_vec());
                    let size = hashes.len();
                    let mut signature = vec![0u64; num_perm];
                    hasher.sign_scratch(hashes, &mut signature);
                    (signature, size, anchors)
                },
            )
        })?;
        for (signature, size, anchors) in rows {
            signed.signatures.extend_from_slice(&signature);
            signed.sizes.push(size as i64);
            if let Some(anchors) = anchors {
                signed.anchors.extend_from_slice(&anchors);
                signed.anchor_offsets.push(signed.anchors.len() as i64);
            }
        }
        if items.peek().is_none() {
            break;
        }
    }
    Ok(signed)
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
    guard(|| {
        let seed = seed.map(seed_arg).transpose()?.unwrap_or(1);
        let hasher = MinHasher::new(Scheme::parse(scheme)?, num_perm, seed)?;
        let hashes = flat_values(&hashes);
        let hashes: &[u64] = &hashes;
        let offsets = offsets_arg(&offsets)?;
        let n = check_offsets(&offsets, hashes.len())?;
        let docs: Vec<usize> = (0..n).collect();
        let mut flat = vec![0u64; n * num_perm];
        py.detach(|| {
            fill_rows(&docs, &mut flat, num_perm, num_threads, Vec::new, |scratch, &i, row| {
                hasher.sign_with(&hashes[offsets[i]..offsets[i + 1]], scratch, row)
            })
        })?;
        Ok(matrix(py, flat, n, num_perm))
    })
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
    guard(|| {
        let seed = seed.map(seed_arg).transpose()?.unwrap_or(1);
        let hasher = MinHasher::new(Scheme::Classic, num_perm, seed)?;
        let (a, b) = hasher.permutations();
        Ok((a.to_vec().into_pyarray(py), b.to_vec().into_pyarray(py)))
    })
}

/// Copy a sequence of sequences of bytes-like shingles.
fn byte_docs_arg(docs: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<Vec<u8>>>> {
    let mut out = Vec::new();
    for (i, doc) in docs.try_iter()?.enumerate() {
        let doc = doc?;
        if doc.is_instance_of::<pyo3::types::PyString>() || doc.is_instance_of::<PyBytes>() {
            return Err(Error::WrongType(format!(
                "document {i}: expected a sequence of bytes shingles, got {}",
                doc.get_type().name()?
            ))
            .into());
        }
        let mut shingles = Vec::new();
        for (j, item) in doc.try_iter()?.enumerate() {
            let item = item?;
            let bytes = if let Ok(b) = item.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else if item.is_instance_of::<pyo3::types::PyString>() {
                return Err(Error::WrongType(format!(
                    "document {i}, shingle {j}: expected bytes, got str (encode it, e.g. as UTF-8)"
                ))
                .into());
            } else {
                item.extract::<Vec<u8>>().map_err(|_| {
                    let name = item.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                    Error::WrongType(format!("document {i}, shingle {j}: expected bytes, got {name}"))
                })?
            };
            shingles.push(bytes);
        }
        out.push(shingles);
    }
    Ok(out)
}

fn signatures_out<'py>(py: Python<'py>, rows: Vec<Vec<u64>>, num_perm: usize) -> Bound<'py, PyArray2<u64>> {
    let n = rows.len();
    matrix(py, rows.into_iter().flatten().collect(), n, num_perm)
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
    guard(|| {
        let scheme = DatasketchScheme::parse(scheme)?;
        let hasher = DatasketchHasher::new(scheme, a.as_array().to_vec(), b.as_array().to_vec())?;
        let num_perm = a.len()?;
        let docs = byte_docs_arg(docs)?;
        let rows = py.detach(|| map_ordered(&docs, num_threads, |d| hasher.sign(d)))?;
        Ok(signatures_out(py, rows, num_perm))
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(minhash_texts, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_texts_sized, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_texts_anchored, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_shingles, m)?)?;
    m.add_function(wrap_pyfunction!(classic_permutations, m)?)?;
    m.add_function(wrap_pyfunction!(datasketch_minhash, m)?)?;
    Ok(())
}
