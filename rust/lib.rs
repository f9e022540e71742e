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

// The cargo-fuzz targets' bodies (fuzz/src/lib.rs, a crate of its own under cargo-fuzz, where
// it names this one `neardup`) replayed over the saved corpus as tests of this library: as an
// integration test the crate was compiled twice by `cargo test` (40 s against 24 s on 2 cores).
#[cfg(test)]
extern crate self as neardup;
#[cfg(test)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;
#[cfg(test)]
#[path = "../fuzz/replay.rs"]
mod fuzz_replay;

pub use error::Error;
