//! Which SIMD code path the core takes: the widest one the CPU can run, or the one the
//! environment variable `NEARDUP_SIMD` forces (`auto`, the default, `avx512`, `avx2` or
//! `portable`), read once per process. Every path gives the same values, bit for bit; the
//! switch exists so that the tests run each path on any CPU that can run it, and so that a
//! benchmark can measure what a CPU without AVX-512 (or without AVX2) gets.
//!
//! * `avx512`: AVX-512 F, DQ and VL (the MinHash kernels); the tokenizer's byte-compressing
//!   path needs BW, VBMI2, BMI2 and POPCNT as well and checks them itself (without them it
//!   takes the `avx2` path's).
//! * `avx2`: AVX2 and FMA (every x86-64 CPU with AVX2 since 2013 has both); the tokenizer's
//!   64-bytes-per-step path needs POPCNT as well and checks it itself.
//! * `portable`: plain Rust, as the compiler vectorizes it for the target's baseline (SSE2 on
//!   x86-64).
//!
//! A forced path is a ceiling: code that has no kernel for it takes the next narrower one.
//! A path the CPU cannot run, or an unknown name, is refused: [`configured`] says why (the
//! Python binding raises it when `neardup` loads the core), and [`current`] panics with that
//! message rather than run another path than the one asked for.

use std::sync::OnceLock;

use crate::error::Error;

/// The environment variable that forces a path.
pub const ENV_VAR: &str = "NEARDUP_SIMD";

/// A SIMD code path, from the narrowest to the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdPath {
    Portable,
    Avx2,
    Avx512,
}

impl SimdPath {
    pub const ALL: [SimdPath; 3] = [SimdPath::Portable, SimdPath::Avx2, SimdPath::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Portable => "portable",
            SimdPath::Avx2 => "avx2",
            SimdPath::Avx512 => "avx512",
        }
    }

    /// The CPU features the path needs (as `is_x86_feature_detected!` names them).
    pub fn features(self) -> &'static [&'static str] {
        match self {
            SimdPath::Portable => &[],
            SimdPath::Avx2 => &["avx2", "fma"],
            SimdPath::Avx512 => &["avx512f", "avx512dq", "avx512vl"],
        }
    }

    /// Whether this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self.missing_features() {
            Some(missing) => missing.is_empty(),
            None => self == SimdPath::Portable,
        }
    }

    /// The features of [`Self::features`] this CPU lacks (None off x86-64).
    fn missing_features(self) -> Option<Vec<&'static str>> {
        #[cfg(target_arch = "x86_64")]
        {
            Some(self.features().iter().copied().filter(|&feature| !has_feature(feature)).collect())
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            None
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn has_feature(feature: &str) -> bool {
    match feature {
        "avx2" => std::arch::is_x86_feature_detected!("avx2"),
        "fma" => std::arch::is_x86_feature_detected!("fma"),
        "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
        "avx512dq" => std::arch::is_x86_feature_detected!("avx512dq"),
        "avx512vl" => std::arch::is_x86_feature_detected!("avx512vl"),
        _ => false,
    }
}

/// The widest path this CPU can run.
pub fn detected() -> SimdPath {
    *SimdPath::ALL.iter().rev().find(|path| path.is_supported()).unwrap_or(&SimdPath::Portable)
}

/// The paths this CPU can run, narrowest first.
pub fn supported() -> Vec<SimdPath> {
    SimdPath::ALL.into_iter().filter(|path| path.is_supported()).collect()
}

/// The path named by a value of `NEARDUP_SIMD`: [`detected`] for `auto` or an empty value;
/// an error naming the problem for an unknown name or a path this CPU cannot run.
pub fn parse(value: &str) -> Result<SimdPath, Error> {
    let name = value.trim().to_ascii_lowercase();
    if name.is_empty() || name == "auto" {
        return Ok(detected());
    }
    let Some(path) = SimdPath::ALL.into_iter().find(|path| path.name() == name) else {
        return Err(Error::InvalidArgument(format!(
            "{ENV_VAR} must be auto, avx512, avx2 or portable, got '{value}'"
        )));
    };
    if path.is_supported() {
        return Ok(path);
    }
    let runnable: Vec<&str> = supported().iter().map(|p| p.name()).collect();
    let why = match path.missing_features() {
        Some(missing) => format!("it lacks {}", missing.join(", ")),
        None => "it is not an x86-64 CPU".to_owned(),
    };
    Err(Error::InvalidArgument(format!(
        "{ENV_VAR}={name}, but this CPU cannot run that path ({why}); it can run: {}",
        runnable.join(", ")
    )))
}

/// The path `NEARDUP_SIMD` asks for (read once, the first time any code asks), or why it
/// cannot be taken.
pub fn configured() -> Result<SimdPath, Error> {
    static CONFIGURED: OnceLock<Result<SimdPath, Error>> = OnceLock::new();
    CONFIGURED.get_or_init(|| parse(&std::env::var(ENV_VAR).unwrap_or_default())).clone()
}

/// The path the SIMD code takes now: [`configured`] (in the crate's own tests, a path set for
/// the calling thread by `tests::force` comes first).
///
/// # Panics
/// When `NEARDUP_SIMD` names a path this CPU cannot run, or no path: running another path
/// than the one asked for would make a test of that path pass without running it. (Python
/// never gets here: the binding checks [`configured`] when `neardup` loads the core.)
#[inline]
pub fn current() -> SimdPath {
    #[cfg(test)]
    if let Some(path) = tests::FORCED.with(|forced| forced.get()) {
        return path;
    }
    match configured() {
        Ok(path) => path,
        Err(error) => panic!("{error}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        pub(super) static FORCED: Cell<Option<SimdPath>> = const { Cell::new(None) };
    }

    /// Run `f` with [`current`] returning `path` on this thread (the path must be supported).
    pub(crate) fn force<R>(path: SimdPath, f: impl FnOnce() -> R) -> R {
        assert!(path.is_supported(), "{} is not supported here", path.name());
        let before = FORCED.with(|forced| forced.replace(Some(path)));
        let result = f();
        FORCED.with(|forced| forced.set(before));
        result
    }

    #[test]
    fn names_parse_and_unsupported_paths_are_refused() {
        assert_eq!(parse("").unwrap(), detected());
        assert_eq!(parse(" Auto ").unwrap(), detected());
        assert_eq!(parse("portable").unwrap(), SimdPath::Portable);
        assert!(parse("sse9").unwrap_err().to_string().contains("must be auto, avx512, avx2 or portable"));
        for path in SimdPath::ALL {
            assert_eq!(parse(path.name()).is_ok(), path.is_supported(), "{}", path.name());
            if !path.is_supported() {
                let message = parse(path.name()).unwrap_err().to_string();
                assert!(
                    message.contains("cannot run") && message.contains("it can run: portable"),
                    "{message}"
                );
            }
        }
        assert!(supported().contains(&SimdPath::Portable));
        assert_eq!(supported().last(), Some(&detected()));
    }
}
