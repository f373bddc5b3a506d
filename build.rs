//! Build identity for the summary cache: a hash of the sources and the built-in knowledge
//! base, so that a binary built from other code never trusts summaries an earlier build
//! wrote (the version number alone does not change between development builds).

use std::hash::{Hash, Hasher};
use std::path::Path;

fn hash_dir(dir: &Path, h: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_dir(&path, h);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.to_string_lossy().hash(h);
            bytes.hash(h);
        }
    }
}

fn main() {
    // `DefaultHasher::new()` has fixed keys: the same sources give the same id.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    for dir in ["src", "rules"] {
        hash_dir(Path::new(dir), &mut h);
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rustc-env=FORKLINT_BUILD_ID={:016x}", h.finish());
}
