//! Replays the saved fuzz corpus (fuzz/corpus/<target>/) and the minimised inputs of fixed
//! crashes (fuzz/regressions/<target>/) through the fuzz targets' bodies, on stable Rust:
//! the CI half of the cargo-fuzz campaigns (docs/fuzzing.md). A test module of the library
//! (rust/lib.rs): `cargo test --lib fuzz_replay`.

use std::fs;
use std::path::Path;

use crate::fuzz_checks as checks;

#[test]
fn replay_saved_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut total = 0;
    for (name, check) in checks::TARGETS {
        let mut count = 0;
        for folder in ["corpus", "regressions"] {
            let Ok(entries) = fs::read_dir(root.join(folder).join(name)) else { continue };
            let mut paths: Vec<_> = entries.map(|e| e.expect("corpus entry").path()).collect();
            paths.sort();
            for path in paths {
                let data = fs::read(&path).expect("corpus file");
                // Name the input that fails, so that it can be run again under the fuzzer.
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "fuzz target {name} fails on {}", path.display());
                count += 1;
            }
        }
        assert!(count > 0, "no saved inputs for fuzz target {name}");
        total += count;
    }
    println!("replayed {total} saved fuzz inputs");
}

#[test]
fn targets_accept_empty_and_tiny_inputs() {
    for (_, check) in checks::TARGETS {
        for data in [&b""[..], b"\0", b"\xff\xff\xff\xff", b"a\nb\n\na\nb"] {
            check(data);
        }
    }
}
