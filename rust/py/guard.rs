//! The body of every entry point runs in [`guard`], so that a panic of the core never
//! reaches Python as PyO3's `pyo3_runtime.PanicException`: that derives from BaseException,
//! which `except Exception` lets through. A panic becomes `Error::Internal`, raised as
//! `neardup.InternalError`, an ordinary exception. The accessors that only read a stored
//! number or look an id up (getters, `__len__`, `__contains__`) cannot panic and are not
//! wrapped.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::PyResult;

use crate::error::Error;

/// Run `body`; a panic in it, on this thread or on a rayon worker (rayon carries a worker's
/// panic over to the thread that waits for it), fails the call with `Error::Internal`.
pub(crate) fn guard<T>(body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    // Unwind safety asserted: a call that panics fails as a whole, and an object it was
    // changing is left as it would be after any other error PyO3 reports (the state before
    // these guards, when PyO3 caught the panic).
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(Error::Internal(message(&*payload)).into()))
}

/// The panic's message, as PyO3 words it.
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        "panic from Rust code".to_owned()
    }
}
