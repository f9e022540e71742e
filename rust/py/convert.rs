//! Conversions between Python values and the core's, shared by the stages' bindings: borrowed
//! texts, checked ints, numpy arrays in and out. The binding checks here what only the Python
//! value shows (its type, an array's shape, an int beyond the core's integers), with the
//! error the reference raises for the same input; the core checks the values.

use std::borrow::Cow;
use std::collections::HashMap;

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyString};

use crate::error::Error;
use crate::text::Span;

fn describe(doc: Option<usize>) -> String {
    match doc {
        Some(i) => format!("document {i}"),
        None => "text".to_owned(),
    }
}

/// Why a Python value is not a str neardup can read.
pub(crate) enum NotText {
    /// Not a str at all: the name of its type.
    Type(String),
    /// A str with a lone surrogate (no UTF-8 form): its index and code point.
    Surrogate(usize, u32),
}

impl NotText {
    /// The error that names the argument `name` ("text", "document 3", "pair 2 (a)").
    pub(crate) fn error(self, name: &str) -> Error {
        match self {
            NotText::Type(type_name) => Error::WrongType(format!("{name}: expected str, got {type_name}")),
            NotText::Surrogate(index, cp) => Error::InvalidArgument(format!(
                "{name}: lone surrogate U+{cp:04X} at index {index}; decode bytes with errors='replace' \
                 before passing text to neardup"
            )),
        }
    }
}

/// Borrow a Python str as UTF-8, or say why it cannot be.
pub(crate) fn borrow_str<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Result<Cow<'a, str>, NotText>> {
    let Ok(string) = obj.cast::<PyString>() else {
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
        return Ok(Err(NotText::Type(type_name)));
    };
    match string.to_str() {
        Ok(s) => Ok(Ok(Cow::Borrowed(s))),
        Err(original) => match find_surrogate(string)? {
            Some((index, cp)) => Ok(Err(NotText::Surrogate(index, cp))),
            None => Err(original),
        },
    }
}

/// The first lone surrogate of a str that failed to encode as UTF-8, as (index, code point).
fn find_surrogate(text: &Bound<'_, PyString>) -> PyResult<Option<(usize, u32)>> {
    let encoded = text.call_method1("encode", ("utf-32-le", "surrogatepass"))?;
    let bytes = encoded.cast::<PyBytes>()?.as_bytes();
    Ok(bytes.chunks_exact(4).enumerate().find_map(|(i, unit)| {
        let cp = u32::from_le_bytes([unit[0], unit[1], unit[2], unit[3]]);
        (0xD800..=0xDFFF).contains(&cp).then_some((i, cp))
    }))
}

/// Borrow a Python str as UTF-8, or raise the error the reference raises for the same input
/// (naming it "text", or "document {doc}" in a batch).
pub(crate) fn text_arg<'a>(obj: &'a Bound<'_, PyAny>, doc: Option<usize>) -> PyResult<Cow<'a, str>> {
    Ok(borrow_str(obj)?.map_err(|why| why.error(&describe(doc)))?)
}

/// The strs of a Python sequence, borrowed (not copied) for use without the GIL: CPython keeps
/// a str's UTF-8 form for as long as the object lives, and `PyBackedStr` holds a reference.
/// A str that cannot be borrowed gets the error `text_arg` gives for it.
pub(crate) fn texts_arg(texts: &Bound<'_, PyAny>) -> PyResult<Vec<PyBackedStr>> {
    let mut out = Vec::new();
    for (i, item) in texts.try_iter()?.enumerate() {
        let item = item?;
        match item.extract::<PyBackedStr>() {
            Ok(text) => out.push(text),
            Err(original) => {
                text_arg(&item, Some(i))?;
                return Err(original);
            }
        }
    }
    Ok(out)
}

/// A text of `uncached_texts_arg`: an ASCII str borrowed in place, or another str's UTF-8 form
/// made for the call.
pub(crate) enum CallText {
    Borrowed(PyBackedStr),
    Encoded(PyBackedBytes),
    /// A text the call checked but does not read (read as empty).
    Unread,
}

impl AsRef<str> for CallText {
    fn as_ref(&self) -> &str {
        match self {
            CallText::Borrowed(text) => text,
            // Made by `PyString::encode_utf8`, so UTF-8.
            CallText::Encoded(bytes) => std::str::from_utf8(bytes).expect("encode_utf8 gives UTF-8"),
            CallText::Unread => "",
        }
    }
}

/// A str as UTF-8 for use without the GIL, like an item of `texts_arg`, but without leaving a
/// UTF-8 copy in a non-ASCII str: CPython caches the form `texts_arg` borrows for as long as the
/// str lives, which for a corpus held by the caller doubles the memory of its non-ASCII texts.
/// An ASCII str is its own UTF-8 and is borrowed; another is encoded for the call only. Errors
/// are `text_arg`'s for document `doc`.
pub(crate) fn call_text(item: &Bound<'_, PyAny>, doc: usize) -> PyResult<CallText> {
    let Ok(string) = item.cast::<PyString>() else {
        let why = text_arg(item, Some(doc)).err();
        return Err(why.unwrap_or_else(|| Error::WrongType(format!("document {doc}: expected str")).into()));
    };
    let text = if string.call_method0("isascii")?.is_truthy()? {
        string.to_owned().try_into().map(CallText::Borrowed)
    } else {
        string.encode_utf8().map(|bytes| CallText::Encoded(bytes.into()))
    };
    text.or_else(|original| {
        text_arg(item, Some(doc))?;
        Err(original)
    })
}

/// A str argument as an owned string; errors name it by `label` (`a`, `pair 3 (b)`).
pub(crate) fn labelled_text(obj: &Bound<'_, PyAny>, label: &str) -> PyResult<String> {
    Ok(borrow_str(obj)?.map_err(|why| why.error(label))?.into_owned())
}

/// The two sides of item `i` of a sequence of (a, b) pairs.
fn pair_sides<'py>(item: &Bound<'py, PyAny>, i: usize) -> PyResult<[Bound<'py, PyAny>; 2]> {
    let sides: Vec<Bound<'py, PyAny>> = match item.try_iter() {
        Ok(iter) if !item.is_instance_of::<pyo3::types::PyString>() => iter.collect::<PyResult<_>>()?,
        _ => Vec::new(),
    };
    sides.try_into().map_err(|_| Error::WrongType(format!("pair {i}: expected a pair (a, b) of str")).into())
}

/// Copy a sequence of (a, b) pairs of str into owned strings, so the GIL can be released.
pub(crate) fn text_pairs_arg(pairs: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, item) in pairs.try_iter()?.enumerate() {
        let [a, b] = pair_sides(&item?, i)?;
        out.push((
            labelled_text(&a, &format!("pair {i} (a)"))?,
            labelled_text(&b, &format!("pair {i} (b)"))?,
        ));
    }
    Ok(out)
}

/// Pairs of texts as indices into their distinct texts.
pub(crate) struct SharedTextPairs {
    pub texts: Vec<String>,
    pub pairs: Vec<(usize, usize)>,
}

/// A sequence of (a, b) pairs of str as owned texts and the pairs as indices into them, a str
/// object that several pairs share copied once (callers pair one document with many). The
/// same errors as `text_pairs_arg`, in the same order.
pub(crate) fn shared_text_pairs_arg<'py>(pairs: &Bound<'py, PyAny>) -> PyResult<SharedTextPairs> {
    let mut texts = Vec::new();
    let mut out = Vec::new();
    let mut index_of: HashMap<*mut pyo3::ffi::PyObject, usize> = HashMap::new();
    // Every str indexed by address is held until the end, so no later str can reuse its address.
    let mut held: Vec<Bound<'py, PyAny>> = Vec::new();
    for (i, item) in pairs.try_iter()?.enumerate() {
        let [a, b] = pair_sides(&item?, i)?;
        let mut index = |side: Bound<'py, PyAny>, name: &str| -> PyResult<usize> {
            if let Some(&known) = index_of.get(&side.as_ptr()) {
                return Ok(known);
            }
            texts.push(labelled_text(&side, &format!("pair {i} ({name})"))?);
            index_of.insert(side.as_ptr(), texts.len() - 1);
            held.push(side);
            Ok(texts.len() - 1)
        };
        out.push((index(a, "a")?, index(b, "b")?));
    }
    Ok(SharedTextPairs { texts, pairs: out })
}

pub(crate) fn seed_arg(seed: &Bound<'_, PyAny>) -> PyResult<u64> {
    let not_bool = if seed.is_instance_of::<pyo3::types::PyBool>() { None } else { Some(seed) };
    not_bool.and_then(|s| s.extract::<u64>().ok()).ok_or_else(|| {
        let shown = seed.repr().map(|r| r.to_string()).unwrap_or_default();
        Error::InvalidArgument(format!("seed must be an int in [0, 2**64), got {shown}")).into()
    })
}

pub(crate) fn ngram_arg(n: &Bound<'_, PyAny>) -> PyResult<usize> {
    match n.extract::<i64>() {
        Ok(value) if (1..1 << 32).contains(&value) && !n.is_instance_of::<pyo3::types::PyBool>() => {
            Ok(value as usize)
        }
        _ => {
            let shown = n.repr().map(|r| r.to_string()).unwrap_or_default();
            Err(Error::InvalidArgument(format!("n must be an int >= 1 and < 2**32, got {shown}")).into())
        }
    }
}

/// CSR offsets (see `crate::csr`) as indices.
pub(crate) fn offsets_arg(offsets: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    offsets
        .as_array()
        .iter()
        .map(|&v| {
            usize::try_from(v).map_err(|_| Error::InvalidArgument("offsets must be >= 0".into()).into())
        })
        .collect()
}

/// Counts, one per pair (`what` names them in the error for a negative one).
pub(crate) fn counts_arg(values: &PyReadonlyArray1<'_, i64>, what: &str) -> PyResult<Vec<usize>> {
    values
        .as_array()
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            usize::try_from(v)
                .map_err(|_| Error::InvalidArgument(format!("{what}[{k}] must be >= 0, got {v}")).into())
        })
        .collect()
}

/// `(m, 2)` int64 pairs of document indices.
pub(crate) fn doc_pairs_arg(pairs: &PyReadonlyArray2<'_, i64>) -> PyResult<Vec<(usize, usize)>> {
    let view = pairs.as_array();
    if view.ncols() != 2 {
        return Err(Error::InvalidArgument(format!(
            "pairs must be an (m, 2) array, got {} columns",
            view.ncols()
        ))
        .into());
    }
    view.rows()
        .into_iter()
        .enumerate()
        .map(|(k, row)| match (usize::try_from(row[0]), usize::try_from(row[1])) {
            (Ok(i), Ok(j)) => Ok((i, j)),
            _ => Err(Error::InvalidArgument(format!("pair {k}: negative document index")).into()),
        })
        .collect()
}

/// The values of a numpy array in row-major order: borrowed in place when it is contiguous
/// (the usual case), else copied. Read without the GIL, a borrowed array relies, as numpy's own
/// operations do, on no other thread writing it meanwhile.
pub(crate) fn flat_values<'a, T, D>(array: &'a numpy::PyReadonlyArray<'_, T, D>) -> Cow<'a, [T]>
where
    T: numpy::Element + Copy,
    D: numpy::ndarray::Dimension,
{
    // ndarray's `as_slice` (not numpy's, which also takes a Fortran-ordered array as it lies in
    // memory) borrows only a row-major layout.
    let view = array.as_array();
    match view.to_slice() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(view.iter().copied().collect()),
    }
}

/// A 2-d array copied into a flat row-major vector, with its rows and columns.
pub(crate) fn matrix_arg<T: numpy::Element + Copy>(
    array: &PyReadonlyArray2<'_, T>,
) -> (Vec<T>, usize, usize) {
    let view = array.as_array();
    let (rows, cols) = view.dim();
    // A row-major array (the usual case) is one memcpy; a Fortran-ordered one is read in
    // row-major order, not as it lies in memory.
    let flat = match view.as_slice() {
        Some(slice) => slice.to_vec(),
        None => view.iter().copied().collect(),
    };
    (flat, rows, cols)
}

pub(crate) fn matrix<'py, T: numpy::Element>(
    py: Python<'py>,
    flat: Vec<T>,
    rows: usize,
    cols: usize,
) -> Bound<'py, PyArray2<T>> {
    flat.into_pyarray(py).reshape([rows, cols]).expect("rows x cols reshape")
}

/// `(m, 2)` int64 pairs of document indices made of `pairs` without a copy: the array takes
/// the vector's memory (a corpus of a million documents has tens of millions of candidates).
pub(crate) fn owned_pairs_array<'py>(py: Python<'py>, pairs: Vec<[usize; 2]>) -> Bound<'py, PyArray2<i64>> {
    const { assert!(std::mem::size_of::<usize>() == std::mem::size_of::<i64>()) };
    const { assert!(std::mem::align_of::<usize>() == std::mem::align_of::<i64>()) };
    let count = pairs.len();
    let mut pairs = std::mem::ManuallyDrop::new(pairs);
    let (pointer, length, capacity) = (pairs.as_mut_ptr(), pairs.len(), pairs.capacity());
    // SAFETY: `[usize; 2]` is two `usize`s in a row (arrays have no padding), and `usize` has
    // the size and alignment of `i64` (checked above), so the allocation of `capacity` pairs
    // is one of `2 * capacity` i64 with the same layout; `pairs` is not dropped. Document
    // indices are below `isize::MAX`, so each value is the same as an i64.
    let flat: Vec<i64> = unsafe { Vec::from_raw_parts(pointer.cast::<i64>(), 2 * length, 2 * capacity) };
    flat.into_pyarray(py).reshape([count, 2]).expect("n x 2 pairs reshape")
}

pub(crate) fn spans_array<'py>(py: Python<'py>, spans: &[Span]) -> Bound<'py, PyArray2<i64>> {
    let flat: Vec<i64> = spans.iter().flat_map(|&(s, e)| [s as i64, e as i64]).collect();
    let array = flat.into_pyarray(py);
    array.reshape([spans.len(), 2]).expect("n x 2 spans reshape")
}

pub(crate) fn index_array<'py>(py: Python<'py>, values: Vec<usize>) -> Bound<'py, PyArray1<i64>> {
    values.into_iter().map(|v| v as i64).collect::<Vec<_>>().into_pyarray(py)
}
