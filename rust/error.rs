use std::fmt;

/// Errors of the core; the binding maps each kind to one Python exception type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument outside its domain (maps to ValueError).
    InvalidArgument(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
