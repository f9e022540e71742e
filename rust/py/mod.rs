//! The PyO3 binding: `neardup._core`. One file per stage binds that stage (`text.rs` binds
//! `crate::text`, and so on) and registers its functions here. The stages' bindings share
//! `convert` (Python values to the core's and back) and `guard` (panics); they raise every
//! error as a core `Error` with `?`, and the one mapping below gives its Python type.

mod align;
mod chrome;
mod cluster;
mod convert;
mod fuzzy;
mod guard;
mod jsonl;
mod lsh;
mod minhash;
mod repeats;
mod simhash;
mod spool;
mod text;

use pyo3::exceptions::{PyKeyError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::panic::PanicException;
use pyo3::prelude::*;

use crate::error::Error;
use guard::guard;

pyo3::create_exception!(
    neardup,
    InternalError,
    PyRuntimeError,
    "A bug in neardup: the compiled core panicked. Raised, like any error, as an ordinary\n\
     exception (never an abort of the process); the message says where the core failed."
);

/// The one mapping of the core's errors to Python exceptions.
impl From<Error> for PyErr {
    fn from(error: Error) -> PyErr {
        match error {
            Error::InvalidArgument(message) => PyValueError::new_err(message),
            Error::WrongType(message) => PyTypeError::new_err(message),
            Error::NotFound(message) => PyKeyError::new_err(message),
            Error::Io(message) => PyOSError::new_err(message),
            Error::Internal(message) => Python::attach(|py| {
                let error = InternalError::new_err(format!(
                    "neardup internal error (a bug in the compiled core; please report it with the \
                     input that caused it): {message}"
                ));
                // The panic, as PyO3 itself would have raised it, is the cause.
                error.set_cause(py, Some(PanicException::new_err(message)));
                error
            }),
        }
    }
}

/// Test hook, not API (absent from the stubs and from `neardup`): panics, on the calling
/// thread or inside a rayon worker of a batch, so that the tests can check that a panic of
/// the core reaches Python as `neardup.InternalError` and leaves the process running.
#[pyfunction]
#[pyo3(signature = (in_worker = false))]
fn _panic_for_test(py: Python<'_>, in_worker: bool) -> PyResult<()> {
    guard(|| {
        if !in_worker {
            panic!("deliberate panic for the test suite");
        }
        let items: Vec<usize> = (0..64).collect();
        py.detach(|| {
            crate::parallel::map_ordered(&items, Some(2), |&i| {
                assert!(i != 37, "deliberate panic in a worker thread for the test suite");
                i
            })
        })?;
        Ok(())
    })
}

/// Test and benchmark hook, not API (absent from the stubs): the SIMD path the core takes
/// (`NEARDUP_SIMD`, read once: `crate::simd`).
#[pyfunction]
fn _simd_path() -> PyResult<&'static str> {
    Ok(crate::simd::configured()?.name())
}

/// Test and benchmark hook, not API: the SIMD paths this CPU can run, narrowest first.
#[pyfunction]
fn _simd_paths() -> Vec<&'static str> {
    crate::simd::supported().iter().map(|path| path.name()).collect()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A NEARDUP_SIMD path this CPU cannot run, or an unknown name, fails the import with a
    // ValueError saying why, before any work (a kernel would otherwise panic at its first call).
    crate::simd::configured()?;
    m.add("UNICODE_VERSION", crate::unicode_tables::UNICODE_VERSION)?;
    // Benchmarks refuse to time a build with debug assertions (the quick test profile).
    m.add("DEBUG_BUILD", cfg!(debug_assertions))?;
    m.add("InternalError", m.py().get_type::<InternalError>())?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(_simd_path, m)?)?;
    m.add_function(wrap_pyfunction!(_simd_paths, m)?)?;
    text::register(m)?;
    repeats::register(m)?;
    chrome::register(m)?;
    minhash::register(m)?;
    lsh::register(m)?;
    cluster::register(m)?;
    simhash::register(m)?;
    align::register(m)?;
    fuzzy::register(m)?;
    jsonl::register(m)?;
    Ok(())
}
