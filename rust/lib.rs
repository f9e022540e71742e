//! neardup's core: text primitives, hashing, MinHash/LSH/clusters, chrome, repeats, alignment.
//!
//! Pure Rust; the PyO3 binding lives in `py/` behind the `python` feature.

pub mod align;
pub mod chrome;
pub mod cluster;
pub mod csr;
pub mod error;
pub mod fuzzy;
pub mod hash;
pub mod jsonl;
pub mod lsh;
pub mod minhash;
pub mod parallel;
pub mod repeats;
pub mod simd;
pub mod simhash;
pub mod spool;
pub mod text;
pub mod unicode_tables;

#[cfg(feature = "python")]
mod py;

pub use error::Error;
