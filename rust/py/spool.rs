//! What the spooled batch bindings share: a spool file given by its descriptor, where each
//! document's text lies in it, and the texts a batch needs read without the GIL
//! (`crate::spool`).

use std::fs::File;
use std::mem::ManuallyDrop;

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use super::convert::flat_values;
use crate::error::Error;
use crate::spool;

/// A spool open in the caller (borrowed: the caller keeps it open during the call and closes
/// it) and its documents' extents.
pub(crate) struct SpoolArg {
    file: ManuallyDrop<File>,
    extents: Vec<(u64, usize)>,
}

impl SpoolArg {
    pub(crate) fn new(
        fd: i32,
        starts: &PyReadonlyArray1<'_, i64>,
        sizes: &PyReadonlyArray1<'_, i64>,
    ) -> PyResult<Self> {
        if fd < 0 {
            return Err(Error::InvalidArgument(format!("fd must be a file descriptor >= 0, got {fd}")).into());
        }
        let extents = spool::extents(&flat_values(starts), &flat_values(sizes))?;
        Ok(SpoolArg { file: borrowed_file(fd)?, extents })
    }

    /// The number of documents.
    pub(crate) fn count(&self) -> usize {
        self.extents.len()
    }

    /// The texts of `docs`, read in parallel.
    pub(crate) fn read(&self, docs: &[usize], num_threads: Option<usize>) -> Result<Vec<String>, Error> {
        spool::read_texts(&self.file, &self.extents, docs, num_threads)
    }
}

#[cfg(unix)]
fn borrowed_file(fd: i32) -> PyResult<ManuallyDrop<File>> {
    use std::os::unix::io::FromRawFd;
    // Never dropped, so never closed: the descriptor stays the caller's.
    Ok(ManuallyDrop::new(unsafe { File::from_raw_fd(fd) }))
}

#[cfg(not(unix))]
fn borrowed_file(_fd: i32) -> PyResult<ManuallyDrop<File>> {
    Err(Error::InvalidArgument("a spool is read by its file descriptor on POSIX systems only".into()).into())
}
