//! The PyO3 binding: `neardup._core`. One file per stage binds that stage (`text.rs` binds
//! `crate::text`, and so on), converting arguments with `convert`, releasing the GIL for batch
//! work; core errors become Python exceptions in one place (`to_py_err`).

mod align;
mod chrome;
mod cluster;
mod convert;
mod fuzzy;
mod lsh;
mod minhash;
mod repeats;
mod simhash;
mod text;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::Error;

pub(crate) fn to_py_err(error: Error) -> PyErr {
    match error {
        Error::InvalidArgument(message) => PyValueError::new_err(message),
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

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("UNICODE_VERSION", crate::unicode_tables::UNICODE_VERSION)?;
    // Benchmarks refuse to time a build with debug assertions (the quick test profile).
    m.add("DEBUG_BUILD", cfg!(debug_assertions))?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    text::register(m)?;
    repeats::register(m)?;
    chrome::register(m)?;
    minhash::register(m)?;
    lsh::register(m)?;
    cluster::register(m)?;
    simhash::register(m)?;
    align::register(m)?;
    fuzzy::register(m)?;
    Ok(())
}
