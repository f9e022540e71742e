use std::fmt;

/// The errors of neardup's core, by kind. The message is what the user reads, word for word
/// the reference's; the binding maps each kind to one Python exception type
/// (`rust/py/mod.rs`, the one mapping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument outside its domain: a value out of range, lengths that disagree, an id
    /// already indexed (ValueError).
    InvalidArgument(String),
    /// An argument of the wrong type: a number where a str belongs, a str where bytes do
    /// (TypeError). Rust's types rule these out inside the core; the binding finds them when
    /// it converts a Python value.
    WrongType(String),
    /// A key asked for that is not there: a site the chrome model never counted (KeyError).
    NotFound(String),
    /// Reading or writing a file failed: a spool cut short, a read the system refused
    /// (OSError).
    Io(String),
    /// A bug: the core panicked, with this message (neardup.InternalError). Raised by the
    /// binding, which catches every panic at its boundary.
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(message)
            | Error::WrongType(message)
            | Error::NotFound(message)
            | Error::Io(message)
            | Error::Internal(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
