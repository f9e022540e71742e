//! The PyO3 binding: `neardup._core`. Converts arguments, releases the GIL for batch work,
//! and maps core errors to Python exceptions in one place (`to_py_err`).
//! One submodule per area registers its functions.

mod align;
mod chrome;
mod dedup;
mod simhash;
mod text;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyString};

use crate::error::Error;

pub(crate) fn to_py_err(error: Error) -> PyErr {
    match error {
        Error::InvalidArgument(message) => PyValueError::new_err(message),
    }
}

fn describe(doc: Option<usize>) -> String {
    match doc {
        Some(i) => format!("document {i}"),
        None => "text".to_owned(),
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

/// Borrow a Python str as UTF-8, or raise the error the reference raises for the same input.
pub(crate) fn text_arg<'a>(
    obj: &'a Bound<'_, PyAny>,
    doc: Option<usize>,
) -> PyResult<std::borrow::Cow<'a, str>> {
    let string = obj.cast::<PyString>().map_err(|_| {
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
        PyTypeError::new_err(format!("{}: expected str, got {type_name}", describe(doc)))
    })?;
    match string.to_str() {
        Ok(s) => Ok(std::borrow::Cow::Borrowed(s)),
        Err(original) => match find_surrogate(string)? {
            Some((index, cp)) => Err(PyValueError::new_err(format!(
                "{}: lone surrogate U+{cp:04X} at index {index}; decode bytes with errors='replace' \
                 before passing text to neardup",
                describe(doc)
            ))),
            None => Err(original),
        },
    }
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

pub(crate) fn seed_arg(seed: &Bound<'_, PyAny>) -> PyResult<u64> {
    let not_bool = if seed.is_instance_of::<pyo3::types::PyBool>() { None } else { Some(seed) };
    not_bool.and_then(|s| s.extract::<u64>().ok()).ok_or_else(|| {
        let shown = seed.repr().map(|r| r.to_string()).unwrap_or_default();
        PyValueError::new_err(format!("seed must be an int in [0, 2**64), got {shown}"))
    })
}

pub(crate) fn ngram_arg(n: &Bound<'_, PyAny>) -> PyResult<usize> {
    match n.extract::<i64>() {
        Ok(value) if (1..1 << 32).contains(&value) && !n.is_instance_of::<pyo3::types::PyBool>() => {
            Ok(value as usize)
        }
        _ => {
            let shown = n.repr().map(|r| r.to_string()).unwrap_or_default();
            Err(PyValueError::new_err(format!("n must be an int >= 1 and < 2**32, got {shown}")))
        }
    }
}

/// Test hook, not API (absent from the stubs and from `neardup`): panics, on the calling
/// thread or inside a rayon worker of a batch, so that the tests can check that a panic of
/// the core reaches Python as `neardup.InternalError` and leaves the process running.
#[pyfunction]
#[pyo3(signature = (in_worker = false))]
fn _panic_for_test(py: Python<'_>, in_worker: bool) -> PyResult<()> {
    if !in_worker {
        panic!("deliberate panic for the test suite");
    }
    let items: Vec<usize> = (0..64).collect();
    py.detach(|| {
        crate::parallel::map_ordered(&items, Some(2), |&i| {
            assert!(i != 37, "deliberate panic in a worker thread for the test suite");
            i
        })
    })
    .map_err(to_py_err)?;
    Ok(())
}

/// Test and benchmark hook, not API (absent from the stubs): the SIMD path the core takes
/// (`NEARDUP_SIMD`, read once: `crate::simd`), or ValueError saying why the path that variable
/// asks for cannot be taken. `neardup` calls it when it loads the core.
#[pyfunction]
fn _simd_path() -> PyResult<&'static str> {
    crate::simd::configured().map(|path| path.name()).map_err(to_py_err)
}

/// Test and benchmark hook, not API: the SIMD paths this CPU can run, narrowest first.
#[pyfunction]
fn _simd_paths() -> Vec<&'static str> {
    crate::simd::supported().iter().map(|path| path.name()).collect()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("UNICODE_VERSION", crate::unicode_tables::UNICODE_VERSION)?;
    // Benchmarks refuse to time a build with debug assertions (the quick test profile).
    m.add("DEBUG_BUILD", cfg!(debug_assertions))?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(_simd_path, m)?)?;
    m.add_function(wrap_pyfunction!(_simd_paths, m)?)?;
    text::register(m)?;
    dedup::register(m)?;
    chrome::register(m)?;
    align::register(m)?;
    simhash::register(m)?;
    Ok(())
}
