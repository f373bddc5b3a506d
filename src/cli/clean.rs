//! `forklint clean`: removes the summary caches (as `ruff clean` does).

use std::path::PathBuf;

use clap::Args;

use crate::cache;

#[derive(Args)]
pub struct CleanArgs {
    /// Directories searched for `.forklint_cache` directories (default: the current
    /// directory).
    paths: Vec<PathBuf>,
    /// Also remove this cache directory (default: `FORKLINT_CACHE_DIR`, if set).
    #[arg(long, value_name = "DIR", env = "FORKLINT_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

pub fn run(args: CleanArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    if let Some(dir) = &args.cache_dir
        && dir.exists()
        && !cache::is_cache_dir(dir)
    {
        eprintln!(
            "error: {} is not a forklint cache (it has no forklint CACHEDIR.TAG); not removed",
            dir.display()
        );
        return super::EXIT_ERROR;
    }
    let mut failed = false;
    for dir in cache::find_cache_dirs(&paths, args.cache_dir.as_deref()) {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => eprintln!("removed {}", dir.display()),
            Err(e) => {
                eprintln!("error: cannot remove {}: {e}", dir.display());
                failed = true;
            }
        }
    }
    if failed {
        super::EXIT_ERROR
    } else {
        super::EXIT_CLEAN
    }
}
