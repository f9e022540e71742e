//! neardup's core: text primitives, hashing and (in later modules) the dedup machinery.
//!
//! Pure Rust; the PyO3 binding lives in `py/` behind the `python` feature.

pub mod align;
pub mod error;
pub mod fuzzy;
pub mod hash;
pub mod parallel;
pub mod text;
pub mod unicode_tables;

#[cfg(feature = "python")]
mod py;

pub use error::Error;
