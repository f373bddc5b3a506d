//! Paths → source files with module names.
//!
//! Walks with `walkdir` (no symlinked directories are followed, so symlink loops cannot hang
//! it), honours `.gitignore` files (matched with the `ignore` crate's gitignore matcher) and the
//! exclude globs, and never opens anything that is not a regular file: a FIFO named `x.py` is
//! reported and skipped, because reading it would block forever.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::Match;
use ignore::gitignore::Gitignore;
use walkdir::WalkDir;

use crate::settings::Settings;

/// A Python file found for analysis (not yet read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    /// Dotted module name (`pkg.sub.mod`; `pkg` for `pkg/__init__.py`).
    pub module: String,
    /// `__init__.py`: the module is a package.
    pub is_package: bool,
    /// Given on the command line by name: checked even when excluded.
    pub explicit: bool,
}

/// A path that could not be used, with the reason; reported, never fatal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<FoundFile>,
    pub skipped: Vec<Skipped>,
    /// The directories module names are computed against, most specific first.
    pub source_roots: Vec<PathBuf>,
    pub project_root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("invalid glob `{glob}`: {source}")]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
    },
    #[error("path `{0}` does not exist")]
    Missing(PathBuf),
}

fn glob_set(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let g = Glob::new(glob).map_err(|source| DiscoverError::Glob {
            glob: glob.clone(),
            source,
        })?;
        builder.add(g);
    }
    builder.build().map_err(|source| DiscoverError::Glob {
        glob: globs.join(", "),
        source,
    })
}

/// The project root: the nearest ancestor of `start` holding a `pyproject.toml`, `setup.py`,
/// `setup.cfg` or `.git`; else `start` itself (its parent for a file).
pub fn find_project_root(start: &Path) -> PathBuf {
    let start = if start.is_file() {
        start.parent().unwrap_or(start)
    } else {
        start
    };
    let start = absolute(start);
    for dir in start.ancestors() {
        if ["pyproject.toml", "setup.py", "setup.cfg", ".git"]
            .iter()
            .any(|m| dir.join(m).exists())
        {
            return dir.to_path_buf();
        }
    }
    start
}

/// An absolute, lexically normalised path (no file-system access beyond the current directory).
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Gitignore matchers that apply at some depth of the walk.
struct IgnoreStack {
    /// (walk depth of the directory that holds the file, matcher); `usize::MAX` for ancestors.
    layers: Vec<(usize, Gitignore)>,
}

impl IgnoreStack {
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        // The deepest matcher that has an opinion wins, as in git.
        for (_, gi) in self.layers.iter().rev() {
            match gi.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
    fn push_dir(&mut self, depth: usize, dir: &Path) {
        let file = dir.join(".gitignore");
        if file.is_file() {
            let (gi, _err) = Gitignore::new(&file);
            self.layers.push((depth, gi));
        }
    }
    fn pop_to(&mut self, depth: usize) {
        while self
            .layers
            .last()
            .is_some_and(|(d, _)| *d != usize::MAX && *d >= depth)
        {
            self.layers.pop();
        }
    }
}

/// Finds the Python files under `paths`.
pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<Discovery, DiscoverError> {
    // Absolute globs (the configuration's, anchored at its directory) match absolute paths;
    // the others match a file name or the path relative to the walked directory.
    let (anchored, relative): (Vec<String>, Vec<String>) = settings
        .exclude
        .iter()
        .cloned()
        .partition(|g| Path::new(g).is_absolute());
    let excludes = Excludes {
        relative: glob_set(&relative)?,
        anchored: glob_set(&anchored)?,
    };
    let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let project_root = find_project_root(&first);
    let mut source_roots: Vec<PathBuf> = settings
        .src
        .iter()
        .map(|p| absolute(&project_root.join(p)))
        .collect();
    let src_dir = project_root.join("src");
    if src_dir.is_dir() {
        source_roots.push(src_dir);
    }
    source_roots.push(project_root.clone());
    // Most specific (longest) root first, so `src/pkg/a.py` is `pkg.a`, not `src.pkg.a`.
    source_roots.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    source_roots.dedup();

    let mut out = Discovery {
        project_root: project_root.clone(),
        source_roots,
        ..Discovery::default()
    };
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) if std::fs::symlink_metadata(path).is_ok() => {
                out.skipped.push(Skipped {
                    path: path.clone(),
                    reason: "broken symbolic link".into(),
                });
                continue;
            }
            Err(_) => return Err(DiscoverError::Missing(path.clone())),
        };
        if meta.is_dir() {
            // Where symlinked files may point: inside the project or the walked directory.
            let inside: Vec<PathBuf> = if settings.follow_external_symlinks {
                Vec::new()
            } else {
                [&project_root, path]
                    .iter()
                    .filter_map(|p| std::fs::canonicalize(p).ok())
                    .collect()
            };
            walk_dir(path, &excludes, &inside, &mut out);
        } else if meta.is_file() {
            // Named explicitly: always checked, whatever its extension or the excludes say.
            push_file(&mut out, path, true);
        } else {
            out.skipped.push(Skipped {
                path: path.clone(),
                reason: "not a regular file".into(),
            });
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

struct Excludes {
    relative: GlobSet,
    anchored: GlobSet,
}

fn excluded(excludes: &Excludes, path: &Path, relative: &Path, abs: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| excludes.relative.is_match(name))
        || excludes.relative.is_match(relative)
        || excludes.anchored.is_match(abs)
}

/// `inside`: the canonical directories a symlinked file must point into to be analysed (empty:
/// anywhere).
fn walk_dir(root: &Path, excludes: &Excludes, inside: &[PathBuf], out: &mut Discovery) {
    let abs_root = absolute(root);
    let mut stack = IgnoreStack { layers: Vec::new() };
    // .gitignore files above the walked directory, up to the repository root, apply too.
    let mut ancestors: Vec<&Path> = abs_root.ancestors().skip(1).collect();
    if let Some(repo) = ancestors.iter().position(|d| d.join(".git").exists()) {
        ancestors.truncate(repo + 1);
        for dir in ancestors.iter().rev() {
            let file = dir.join(".gitignore");
            if file.is_file() {
                stack.layers.push((usize::MAX, Gitignore::new(&file).0));
            }
        }
    }
    let mut it = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                out.skipped.push(Skipped {
                    path,
                    reason: err.to_string(),
                });
                continue;
            }
        };
        let depth = entry.depth();
        stack.pop_to(depth);
        let path = entry.path();
        let abs = absolute(path);
        let relative = abs.strip_prefix(&abs_root).unwrap_or(&abs);
        let ft = entry.file_type();
        if ft.is_dir() {
            if depth > 0 && (excluded(excludes, path, relative, &abs) || stack.ignored(&abs, true))
            {
                it.skip_current_dir();
                continue;
            }
            // Rooted at the absolute directory: matches are asked with absolute paths.
            stack.push_dir(depth, &abs);
            continue;
        }
        let native = crate::summary::is_native(path);
        if path.extension().is_none_or(|e| e != "py") && !native {
            continue;
        }
        if excluded(excludes, path, relative, &abs) || stack.ignored(&abs, false) {
            continue;
        }
        if entry.path_is_symlink() && !inside.is_empty() {
            match std::fs::canonicalize(path) {
                Ok(target) if !inside.iter().any(|d| target.starts_with(d)) => {
                    out.skipped.push(Skipped {
                        path: path.to_path_buf(),
                        reason: format!(
                            "symbolic link to {}, outside the project: not followed \
                             (--follow-external-symlinks analyses it)",
                            target.display()
                        ),
                    });
                    continue;
                }
                _ => {}
            }
        }
        // Symlinked files are followed only when they point at a regular file.
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => push_file(out, path, false),
            Ok(_) => out.skipped.push(Skipped {
                path: path.to_path_buf(),
                reason: "not a regular file".into(),
            }),
            Err(e) => out.skipped.push(Skipped {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        }
    }
}

fn push_file(out: &mut Discovery, path: &Path, explicit: bool) {
    let abs = absolute(path);
    // Native sources (FL402) are scanned as text; they are not Python modules.
    let (module, is_package) = if crate::summary::is_native(path) {
        (String::new(), false)
    } else {
        module_name(&abs, &out.source_roots)
    };
    out.files.push(FoundFile {
        path: path.to_path_buf(),
        module,
        is_package,
        explicit,
    });
}

/// The module name of a file: its path relative to the most specific source root, dotted.
pub fn module_name(abs: &Path, roots: &[PathBuf]) -> (String, bool) {
    let is_package = abs.file_name().is_some_and(|n| n == "__init__.py");
    let relative = roots.iter().find_map(|r| abs.strip_prefix(r).ok());
    let relative = match relative {
        Some(r) => r.to_path_buf(),
        None => PathBuf::from(abs.file_name().unwrap_or_default()),
    };
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut()
        && let Some(stem) = last.strip_suffix(".py")
    {
        *last = stem.to_string();
    }
    if is_package {
        parts.pop();
    }
    let name = parts.join(".");
    (
        if name.is_empty() {
            "__init__".to_string()
        } else {
            name
        },
        is_package,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_from_roots() {
        let roots = vec![PathBuf::from("/p/src"), PathBuf::from("/p")];
        assert_eq!(
            module_name(Path::new("/p/src/pkg/a.py"), &roots),
            ("pkg.a".into(), false)
        );
        assert_eq!(
            module_name(Path::new("/p/src/pkg/__init__.py"), &roots),
            ("pkg".into(), true)
        );
        assert_eq!(
            module_name(Path::new("/p/main.py"), &roots),
            ("main".into(), false)
        );
        assert_eq!(
            module_name(Path::new("/elsewhere/x.py"), &roots),
            ("x".into(), false)
        );
    }
}
