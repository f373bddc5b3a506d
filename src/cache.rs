//! The summary cache (docs/configuration.md#cache): each file's summary, stored as bytes under
//! a key of everything it depends on, so that a run reads back the summaries of unchanged
//! files instead of parsing them again.
//!
//! - **Key.** A summary depends on the file's text, its module name, whether it is a package,
//!   the settings that reach the summariser (target versions, platforms, the directories given
//!   on the command line, the knowledge base) and the forklint build. Those are hashed into
//!   the entry's name ([`SummaryCache::key`]). It also depends on which other modules the
//!   project has; those answers travel in the summary ([`crate::summary::Assumption`]) and are
//!   checked against the project on every read ([`ProjectIndex::confirms`]).
//! - **Entries are immutable and named by their key**, so concurrent runs can only ever write
//!   the same bytes to the same name. Each is written to a temporary file and renamed into
//!   place: a reader sees a whole entry or none.
//! - **Nothing read is trusted.** An entry starts with a magic number, the format, the build
//!   and its own key, and ends its header with the length and a checksum of the payload; a
//!   short, corrupt or foreign entry is a miss (and is written again).
//! - **Bounded.** Each project's directory keeps an index of the entry each file last used;
//!   after a run, files that no longer exist leave the index and entries the index does not
//!   name are deleted: one entry per existing file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::settings::Settings;
use crate::summary::{ModuleSummary, ProjectIndex};

/// The directory made at a project's root when no other is configured.
pub const CACHE_DIR_NAME: &str = ".forklint_cache";

/// First bytes of every file forklint stores (cache entries, indices, `summarize` bundles).
const MAGIC: &[u8; 8] = b"FORKLNT\0";

/// The layout of a stored file. The summary types themselves are covered by the build id.
const FORMAT: u32 = 1;

/// What a stored file holds, so that one kind is never read as another.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Kind {
    Summary = 1,
    Index = 2,
    Bundle = 3,
}

/// The build this binary is: its version and a hash of its sources and built-in knowledge
/// (`build.rs`). Development builds of one version differ.
pub fn build_id() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), "+", env!("FORKLINT_BUILD_ID"))
}

/// Where a project's summary cache lives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CacheLocation {
    /// No cache: every file is parsed (`--no-cache`, and programs built by tests).
    #[default]
    Off,
    /// `.forklint_cache` at the project's root (the default of `forklint check`).
    AtProjectRoot,
    /// `--cache-dir DIR` or `FORKLINT_CACHE_DIR`: one directory for every project.
    Dir(PathBuf),
}

/// Serialises `value` as a stored file of `kind`: header, then the payload.
///
/// The header is the magic number, the format, the kind, the build id, `key`, the payload's
/// length and its checksum. Fails on what serde cannot write: a path that is not UTF-8 (in an
/// index or a bundle); the caller then stores nothing.
pub fn encode<T: Serialize>(kind: Kind, key: u128, value: &T) -> Result<Vec<u8>, postcard::Error> {
    let payload = postcard::to_stdvec(value)?;
    let build = build_id().as_bytes();
    let mut out = Vec::with_capacity(64 + build.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.push(kind as u8);
    out.extend_from_slice(&(build.len() as u32).to_le_bytes());
    out.extend_from_slice(build);
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&xxh3_64(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Why a stored file was not read back.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a forklint file, or one of another kind or format.
    Foreign,
    /// Written by another build of forklint.
    OtherBuild(String),
    /// Stored under another key than the one asked for.
    OtherKey,
    /// Cut short, or its bytes do not match their checksum, or do not decode.
    Corrupt,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Foreign => f.write_str("not a forklint summary file"),
            DecodeError::OtherBuild(build) => write!(
                f,
                "written by forklint {build}, not by this build ({})",
                build_id()
            ),
            DecodeError::OtherKey => f.write_str("made with other settings"),
            DecodeError::Corrupt => f.write_str("truncated or corrupt"),
        }
    }
}

/// The key a stored file of `kind` was written under, after checking everything but the
/// key (see [`decode`]).
fn split(kind: Kind, bytes: &[u8]) -> Result<(u128, &[u8]), DecodeError> {
    fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Result<&'b [u8], DecodeError> {
        if bytes.len() < n {
            return Err(DecodeError::Corrupt);
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    }
    let mut rest = bytes;
    let fixed = |b: &[u8]| -> [u8; 8] { b.try_into().unwrap_or_default() };
    if take(&mut rest, MAGIC.len()).map_err(|_| DecodeError::Foreign)? != MAGIC {
        return Err(DecodeError::Foreign);
    }
    let format = take(&mut rest, 4)?;
    let stored_kind = take(&mut rest, 1)?[0];
    if format != FORMAT.to_le_bytes() || stored_kind != kind as u8 {
        return Err(DecodeError::Foreign);
    }
    let build_len = u32::from_le_bytes(take(&mut rest, 4)?.try_into().unwrap_or_default());
    let build = take(&mut rest, build_len as usize)?;
    if build != build_id().as_bytes() {
        return Err(DecodeError::OtherBuild(
            String::from_utf8_lossy(build).into_owned(),
        ));
    }
    let key = u128::from_le_bytes(take(&mut rest, 16)?.try_into().unwrap_or_default());
    let len = u64::from_le_bytes(fixed(take(&mut rest, 8)?));
    let sum = u64::from_le_bytes(fixed(take(&mut rest, 8)?));
    if rest.len() as u64 != len || xxh3_64(rest) != sum {
        return Err(DecodeError::Corrupt);
    }
    Ok((key, rest))
}

/// Reads back a stored file of `kind` written under `key` (`None`: any key, returned).
pub fn decode<T: DeserializeOwned>(
    kind: Kind,
    key: Option<u128>,
    bytes: &[u8],
) -> Result<(u128, T), DecodeError> {
    let (stored, payload) = split(kind, bytes)?;
    if key.is_some_and(|k| k != stored) {
        return Err(DecodeError::OtherKey);
    }
    let value = postcard::from_bytes(payload).map_err(|_| DecodeError::Corrupt)?;
    Ok((stored, value))
}

/// Writes `bytes` to `path` through a temporary file in the same directory renamed into
/// place: a reader (or a concurrent run) sees the old file, the new one, or none.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The hash of everything in `settings` that a summary depends on, with the build and the
/// format: the part of each entry's key shared by a project's files.
pub fn settings_key(settings: &Settings) -> u128 {
    let mut h = Xxh3::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(build_id().as_bytes());
    field(&FORMAT.to_le_bytes());
    for v in &settings.target_versions {
        field(format!("{v:?}").as_bytes());
    }
    field(b"platforms");
    for p in &settings.platforms {
        field(format!("{p:?}").as_bytes());
    }
    field(b"import-prefixes");
    for p in &settings.import_prefixes {
        field(p.as_bytes());
    }
    // The user's knowledge files by content (the built-in ones are part of the build).
    field(b"knowledge");
    // By content, not path: a build system's sandboxes put one file at different paths.
    for k in &settings.knowledge_files {
        field(&std::fs::read(k).unwrap_or_default());
    }
    h.digest128()
}

/// The key of one file's summary: its text, module name and kind, under `settings_key`.
pub fn entry_key(settings_key: u128, module: &str, is_package: bool, text: &str) -> u128 {
    let mut h = Xxh3::new();
    h.update(&settings_key.to_le_bytes());
    h.update(&(module.len() as u64).to_le_bytes());
    h.update(module.as_bytes());
    h.update(&[u8::from(is_package)]);
    h.update(text.as_bytes());
    h.digest128()
}

/// One project's summary cache, open for a run.
pub struct SummaryCache {
    /// The project's directory in the cache: entries and the index.
    dir: PathBuf,
    settings_key: u128,
    /// Each file read or summarised in this run, with the key of its entry (for the index).
    used: Mutex<Vec<(PathBuf, u128)>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// How a run used the cache (for `FORKLINT_TIMING` and the tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

impl SummaryCache {
    /// Opens (making it if needed) the cache of the project at `root`; `Ok(None)` when the
    /// cache is off. A cache directory that cannot be made is an error the caller reports
    /// as a warning: the run goes on without a cache.
    pub fn open(
        location: &CacheLocation,
        root: &Path,
        settings: &Settings,
    ) -> Result<Option<SummaryCache>, String> {
        let base = match location {
            CacheLocation::Off => return Ok(None),
            CacheLocation::AtProjectRoot => root.join(CACHE_DIR_NAME),
            CacheLocation::Dir(dir) => dir.clone(),
        };
        let fail = |e: std::io::Error| format!("cannot use the cache {}: {e}", base.display());
        make_cache_dir(&base).map_err(fail)?;
        // One directory per project root, so that one `--cache-dir` can serve many projects
        // whose indices do not prune each other's entries.
        let root = crate::discover::absolute(root);
        let project = format!("{:016x}", xxh3_64(root.to_string_lossy().as_bytes()));
        let dir = base.join(format!("summaries-{FORMAT}")).join(project);
        std::fs::create_dir_all(&dir).map_err(fail)?;
        Ok(Some(SummaryCache {
            dir,
            settings_key: settings_key(settings),
            used: Mutex::new(Vec::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }))
    }

    pub fn key(&self, module: &str, is_package: bool, text: &str) -> u128 {
        entry_key(self.settings_key, module, is_package, text)
    }

    fn entry_path(&self, key: u128) -> PathBuf {
        self.dir.join(format!("{key:032x}"))
    }

    /// The stored summary of `path` under `key`, if there is a sound one whose assumptions
    /// about the project's modules `index` confirms.
    pub fn get(&self, path: &Path, key: u128, index: &ProjectIndex<'_>) -> Option<ModuleSummary> {
        let found = std::fs::read(self.entry_path(key))
            .ok()
            .and_then(|bytes| decode::<ModuleSummary>(Kind::Summary, Some(key), &bytes).ok())
            .map(|(_, summary)| summary)
            .filter(|summary| index.confirms(&summary.assumptions));
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if found.is_some() {
            self.note_used(path, key);
        }
        found
    }

    /// Stores a fresh summary of `path` under `key`. A failure to write loses nothing but
    /// time on the next run, so it is not reported.
    pub fn put(&self, path: &Path, key: u128, summary: &ModuleSummary) {
        let Ok(bytes) = encode(Kind::Summary, key, summary) else {
            return;
        };
        if write_atomically(&self.entry_path(key), &bytes).is_ok() {
            self.note_used(path, key);
        }
    }

    fn note_used(&self, path: &Path, key: u128) {
        let path = crate::discover::absolute(path);
        if let Ok(mut used) = self.used.lock() {
            used.push((path, key));
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Ends the run: the index now maps each file used to its entry, files that no longer
    /// exist leave it, and entries it does not name are deleted.
    pub fn finish(self) -> CacheStats {
        let stats = self.stats();
        let index_path = self.dir.join("index");
        let mut index: std::collections::BTreeMap<PathBuf, u128> = std::fs::read(&index_path)
            .ok()
            .and_then(|bytes| decode(Kind::Index, Some(0), &bytes).ok())
            .map(|(_, index)| index)
            .unwrap_or_default();
        index.retain(|path, _| path.exists());
        for (path, key) in self.used.into_inner().unwrap_or_default() {
            index.insert(path, key);
        }
        // Files whose path is not UTF-8 cannot be named in the index: their entries go.
        index.retain(|path, _| path.to_str().is_some());
        let Ok(bytes) = encode(Kind::Index, 0, &index) else {
            return stats;
        };
        if write_atomically(&index_path, &bytes).is_err() {
            return stats;
        }
        let keep: rustc_hash::FxHashSet<String> =
            index.values().map(|k| format!("{k:032x}")).collect();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                // Entries are 32 hex digits; anything else (the index, a temporary file of a
                // run still writing) is left alone.
                let is_entry = name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit());
                if is_entry && !keep.contains(name) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        stats
    }
}

/// Makes the cache directory with a `.gitignore` that ignores it whole and a `CACHEDIR.TAG`
/// (<https://bford.info/cachedir/>) that tells backup tools to skip it.
fn make_cache_dir(base: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(base)?;
    let gitignore = base.join(".gitignore");
    if !gitignore.exists() {
        write_atomically(&gitignore, b"# Automatically created by forklint.\n*\n")?;
    }
    let tag = base.join("CACHEDIR.TAG");
    if !tag.exists() {
        write_atomically(
            &tag,
            b"Signature: 8a477f597d28d172789f06886806bc55\n\
              # This file is a cache directory tag created by forklint.\n\
              # For information about cache directory tags see https://bford.info/cachedir/\n",
        )?;
    }
    Ok(())
}

/// The cache directories `forklint clean` removes under `paths`: each `.forklint_cache`
/// found by walking them (not descending into one), plus `extra` (`--cache-dir`).
pub fn find_cache_dirs(paths: &[PathBuf], extra: Option<&Path>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        let mut walk = walkdir::WalkDir::new(path).follow_links(false).into_iter();
        while let Some(Ok(entry)) = walk.next() {
            if entry.file_type().is_dir() && entry.file_name() == CACHE_DIR_NAME {
                out.push(entry.path().to_path_buf());
                walk.skip_current_dir();
            }
        }
    }
    if let Some(extra) = extra
        && extra.is_dir()
    {
        out.push(extra.to_path_buf());
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `dir` looks like a forklint cache (its tag, or its name): `clean` refuses to
/// delete a `--cache-dir` that does not, so a mistyped path cannot remove a user's data.
pub fn is_cache_dir(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == CACHE_DIR_NAME)
        || std::fs::read(dir.join("CACHEDIR.TAG")).is_ok_and(|t| {
            String::from_utf8_lossy(&t).contains("cache directory tag created by forklint")
        })
}

/// The summaries `forklint summarize` wrote, given to `check --summaries`: looked up by
/// their key before a file is parsed (see docs/build-systems.md).
pub struct Bundles {
    by_key: Mutex<rustc_hash::FxHashMap<u128, ModuleSummary>>,
    /// Files whose summary came from a bundle, and files that had to be parsed.
    used: AtomicUsize,
    parsed: AtomicUsize,
}

/// The suffix of a bundle file.
pub const BUNDLE_SUFFIX: &str = "flsum";

/// Writes the summaries `entries` (each with its [`entry_key`]) as one bundle at `out`, with
/// the `paths` given to `summarize` (what `check --summaries` checks when given none: the
/// same paths give the same projects and module names).
pub fn write_bundle(
    out: &Path,
    paths: &[PathBuf],
    entries: &[(u128, ModuleSummary)],
) -> std::io::Result<()> {
    let bytes = encode(Kind::Bundle, 0, &(paths, entries)).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{e} (a path that is not UTF-8?)"),
        )
    })?;
    write_atomically(out, &bytes)
}

/// The bundle files of `paths`: each file, and each `*.flsum` under each directory.
fn bundle_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path)
                .follow_links(true)
                .sort_by_file_name()
            {
                let entry = entry.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if entry.file_type().is_file()
                    && entry.path().extension().is_some_and(|e| e == BUNDLE_SUFFIX)
                {
                    files.push(entry.into_path());
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// The paths given to `summarize` for the bundles of `paths` (what `check --summaries`
/// checks when it is given none), read without decoding the summaries.
pub fn bundled_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for file in bundle_files(paths)? {
        let bytes =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let (_, payload) = split(Kind::Bundle, &bytes)
            .map_err(|e| format!("cannot use {}: {e}", file.display()))?;
        let (paths, _): (Vec<PathBuf>, _) = postcard::take_from_bytes(payload)
            .map_err(|_| format!("cannot use {}: {}", file.display(), DecodeError::Corrupt))?;
        out.extend(paths);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

impl Bundles {
    /// Reads each bundle file, and each `*.flsum` under each directory, of `paths`. A file
    /// that is not a sound bundle of this build is an error naming it.
    pub fn load(paths: &[PathBuf]) -> Result<Bundles, String> {
        let files = bundle_files(paths)?;
        let mut by_key = rustc_hash::FxHashMap::default();
        for file in files {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            type Bundle = (Vec<PathBuf>, Vec<(u128, ModuleSummary)>);
            let (_, (_, entries)): (u128, Bundle) = decode(Kind::Bundle, Some(0), &bytes)
                .map_err(|e| format!("cannot use {}: {e}", file.display()))?;
            by_key.extend(entries);
        }
        Ok(Bundles {
            by_key: Mutex::new(by_key),
            used: AtomicUsize::new(0),
            parsed: AtomicUsize::new(0),
        })
    }

    /// The summary stored under `key`, if its assumptions hold in this project (each is
    /// given out once).
    pub fn take(&self, key: u128, index: &ProjectIndex<'_>) -> Option<ModuleSummary> {
        let found = self
            .by_key
            .lock()
            .ok()
            .and_then(|mut by_key| by_key.remove(&key))
            .filter(|summary| index.confirms(&summary.assumptions));
        let counter = if found.is_some() {
            &self.used
        } else {
            &self.parsed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// How many files were read from the bundles, and how many had to be parsed.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.used.load(Ordering::Relaxed),
            self.parsed.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_file_round_trips_and_every_damage_is_refused() {
        let value = vec![("a".to_string(), 1u32), ("b".to_string(), 2)];
        let bytes = encode(Kind::Summary, 7, &value).unwrap();
        let (key, back): (u128, Vec<(String, u32)>) =
            decode(Kind::Summary, Some(7), &bytes).unwrap();
        assert_eq!((key, &back), (7, &value));
        assert_eq!(
            decode::<Vec<(String, u32)>>(Kind::Summary, Some(8), &bytes).unwrap_err(),
            DecodeError::OtherKey
        );
        assert_eq!(
            decode::<Vec<(String, u32)>>(Kind::Index, Some(7), &bytes).unwrap_err(),
            DecodeError::Foreign
        );
        // Every truncation, and every flipped byte, is refused (never a panic).
        for len in 0..bytes.len() {
            assert!(decode::<Vec<(String, u32)>>(Kind::Summary, Some(7), &bytes[..len]).is_err());
        }
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x40;
            assert!(
                decode::<Vec<(String, u32)>>(Kind::Summary, Some(7), &damaged).is_err(),
                "byte {i} flipped was accepted"
            );
        }
        assert_eq!(
            decode::<u32>(Kind::Summary, None, b"#!/usr/bin/env python\n").unwrap_err(),
            DecodeError::Foreign
        );
    }
}
