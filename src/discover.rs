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

use crate::config::{self, ConfigError, ConfigFile};
use crate::settings::Settings;
use std::collections::HashMap;

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
    /// Index of its project in [`Discovery::projects`].
    pub project: usize,
    /// A module of an installed dependency (see [`crate::environment`]), analysed for what
    /// the project calls in it but never reported in.
    pub library: bool,
}

/// The [`Skipped::reason`] of a FIFO, device or socket: never opened (a read could block).
pub const NOT_A_REGULAR_FILE: &str = "not a regular file";

/// A path that could not be used, with the reason; reported, never fatal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// The files analysed together as one program, with one set of settings: those of one
/// configuration file (the closest above them), or of one project root when no configuration
/// applies or one was forced (`--config`, `--isolated`).
#[derive(Clone, Debug)]
pub struct Project {
    /// The configuration file's directory, else the project root ([`find_project_root`]).
    pub root: PathBuf,
    /// The configuration file whose settings apply (none: defaults or forced settings).
    pub config: Option<PathBuf>,
    pub settings: Settings,
    /// The directories module names were computed against, most specific first: the
    /// configured `src`, nested `src/` layouts and sub-projects that were found, and the root.
    pub source_roots: Vec<PathBuf>,
}

#[derive(Debug, Default)]
pub struct Discovery {
    /// Sorted by path.
    pub files: Vec<FoundFile>,
    pub skipped: Vec<Skipped>,
    pub projects: Vec<Project>,
}

impl Discovery {
    /// The files of each project, in project order (projects without files are left out).
    pub fn by_project(self) -> (Vec<(Project, Vec<FoundFile>)>, Vec<Skipped>) {
        let mut groups: Vec<(Project, Vec<FoundFile>)> =
            self.projects.into_iter().map(|p| (p, Vec::new())).collect();
        for f in self.files {
            groups[f.project].1.push(f);
        }
        groups.retain(|(_, files)| !files.is_empty());
        (groups, self.skipped)
    }
}

/// Where each file's settings come from.
#[derive(Clone, Copy)]
pub enum SettingsSource<'a> {
    /// These settings for every file (`--config`, `--isolated`, the editor, tests); files are
    /// still grouped by project root.
    Fixed(&'a Settings),
    /// The closest configuration file above each file (Ruff's hierarchical configuration),
    /// made into settings by the function (`None`: no configuration applies).
    Closest(&'a (dyn Fn(Option<&ConfigFile>) -> Settings + Sync)),
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
    #[error(transparent)]
    Config(#[from] ConfigError),
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

/// Files that make a directory the root of a Python project.
const PROJECT_MARKERS: [&str; 3] = ["pyproject.toml", "setup.py", "setup.cfg"];

/// The project root: the nearest ancestor of `start` holding a `pyproject.toml`, `setup.py` or
/// `setup.cfg`; else the nearest holding `.git` (a repository of scripts); else `start` itself
/// (its parent for a file). A build file wins over a nearer `.git`, and a `.git` higher up
/// does not hide a nearer build file: `repo/.git` + `repo/services/api/pyproject.toml` roots
/// `services/api/app.py` at `services/api`.
pub fn find_project_root(start: &Path) -> PathBuf {
    let start = if start.is_file() {
        start.parent().unwrap_or(start)
    } else {
        start
    };
    let start = absolute(start);
    // A build file above the repository is not this project's (a stray `~/pyproject.toml`).
    let repository = start.ancestors().find(|dir| dir.join(".git").exists());
    let searched = start
        .ancestors()
        .take_while(|dir| repository.is_none_or(|repo| dir.starts_with(repo)));
    searched
        .clone()
        .find(|dir| PROJECT_MARKERS.iter().any(|m| dir.join(m).exists()))
        .or(repository)
        .map_or(start.clone(), Path::to_path_buf)
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

/// Finds the Python files under `paths`, all analysed with `settings`.
pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<Discovery, DiscoverError> {
    discover_with(paths, SettingsSource::Fixed(settings))
}

/// Finds the Python files under `paths` and the project each belongs to, with its settings.
pub fn discover_with(
    paths: &[PathBuf],
    source: SettingsSource<'_>,
) -> Result<Discovery, DiscoverError> {
    let mut walker = Walker {
        source,
        out: Discovery::default(),
        by_root: HashMap::new(),
        excludes: Vec::new(),
    };
    for path in paths {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) if std::fs::symlink_metadata(path).is_ok() => {
                walker.out.skipped.push(Skipped {
                    path: path.clone(),
                    reason: "broken symbolic link".into(),
                });
                continue;
            }
            Err(_) => return Err(DiscoverError::Missing(path.clone())),
        };
        let project = walker.project_of(path)?;
        if meta.is_dir() {
            walker.walk_dir(path, project)?;
        } else if meta.is_file() {
            // Named explicitly: always checked, whatever its extension or the excludes say.
            walker.push_file(path, true, project);
        } else {
            walker.out.skipped.push(Skipped {
                path: path.clone(),
                reason: NOT_A_REGULAR_FILE.into(),
            });
        }
    }
    let mut out = walker.out;
    name_modules(&mut out);
    // The module name of each directory given (a file's directory for a file).
    for path in paths {
        let abs = absolute(path);
        let dir = if abs.is_dir() {
            abs
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        // Inside a package, `import x` never means the package's `x` (Python 3 has no
        // implicit relative imports).
        if dir.join("__init__.py").exists() {
            continue;
        }
        for project in &mut out.projects {
            if !dir.starts_with(&project.root) {
                continue;
            }
            let (parts, _, _) = name_parts(&dir.join("__init__.py"), &project.source_roots, true);
            let prefix = parts.join(".");
            if !prefix.is_empty() && !project.settings.import_prefixes.contains(&prefix) {
                project.settings.import_prefixes.push(prefix);
            }
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// The state of one discovery: the projects found so far and their excludes.
struct Walker<'a> {
    source: SettingsSource<'a>,
    out: Discovery,
    /// Project index by root directory.
    by_root: HashMap<PathBuf, usize>,
    /// Each project's excludes, by project index.
    excludes: Vec<Excludes>,
}

impl Walker<'_> {
    /// The project of a path given on the command line: that of its closest configuration
    /// file, else of its project root.
    fn project_of(&mut self, path: &Path) -> Result<usize, DiscoverError> {
        let config = match self.source {
            SettingsSource::Fixed(_) => None,
            SettingsSource::Closest(_) => config::find(path)?,
        };
        match config {
            Some(config) => {
                let root = config.path.parent().unwrap_or(Path::new("/")).to_path_buf();
                self.project(&root, Some(config))
            }
            None => self.project(&find_project_root(path), None),
        }
    }

    /// The project rooted at `root` (created on first use).
    fn project(&mut self, root: &Path, config: Option<ConfigFile>) -> Result<usize, DiscoverError> {
        if let Some(&i) = self.by_root.get(root) {
            return Ok(i);
        }
        let mut settings = match self.source {
            SettingsSource::Fixed(settings) => settings.clone(),
            SettingsSource::Closest(make) => make(config.as_ref()),
        };
        settings.script_targets = crate::entry_points::script_targets(root);
        settings.deployments = crate::deploy::deployments(root)
            .into_iter()
            .map(|mut d| {
                d.config_file = d.config_file.map(|c| absolute(&root.join(c)));
                d
            })
            .collect();
        let (anchored, relative): (Vec<String>, Vec<String>) = settings
            .exclude
            .iter()
            .cloned()
            .partition(|g| Path::new(g).is_absolute());
        self.excludes.push(Excludes {
            relative: glob_set(&relative)?,
            anchored: glob_set(&anchored)?,
        });
        let mut source_roots: Vec<PathBuf> = settings
            .src
            .iter()
            .map(|p| absolute(&root.join(p)))
            .collect();
        let src_dir = root.join("src");
        if src_dir.is_dir() {
            source_roots.push(src_dir);
        }
        // A configuration inside a package (`pkg/forklint.toml` beside `pkg/__init__.py`):
        // its modules are still named from above the package (`pkg.mod`).
        let above_packages = root
            .ancestors()
            .find(|d| !d.join("__init__.py").exists())
            .unwrap_or(root);
        source_roots.push(above_packages.to_path_buf());
        let i = self.out.projects.len();
        self.out.projects.push(Project {
            root: root.to_path_buf(),
            config: config.map(|c| c.path),
            settings,
            source_roots,
        });
        self.by_root.insert(root.to_path_buf(), i);
        Ok(i)
    }

    /// A directory inside a walk that holds its own configuration starts a project (only
    /// when configurations are looked up per file).
    fn project_starting_at(&mut self, dir: &Path) -> Result<Option<usize>, DiscoverError> {
        if matches!(self.source, SettingsSource::Fixed(_)) {
            return Ok(None);
        }
        match config::configured_in(dir)? {
            Some(config) => self.project(dir, Some(config)).map(Some),
            None => Ok(None),
        }
    }

    /// `project`: the project of `root` itself; directories below may start their own.
    fn walk_dir(&mut self, root: &Path, project: usize) -> Result<(), DiscoverError> {
        let abs_root = absolute(root);
        // Where symlinked files may point: inside the project or the walked directory.
        let inside: Vec<PathBuf> = if self.out.projects[project].settings.follow_external_symlinks {
            Vec::new()
        } else {
            [&self.out.projects[project].root, root]
                .iter()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .collect()
        };
        let mut stack = IgnoreStack { layers: Vec::new() };
        // (walk depth of the directory that starts it, project): the innermost applies.
        let mut projects: Vec<(usize, usize)> = vec![(0, project)];
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
                    self.out.skipped.push(Skipped {
                        path,
                        reason: err.to_string(),
                    });
                    continue;
                }
            };
            let depth = entry.depth();
            stack.pop_to(depth);
            while projects.len() > 1 && projects.last().is_some_and(|&(d, _)| d >= depth) {
                projects.pop();
            }
            let current = projects.last().map_or(project, |&(_, p)| p);
            let excludes = &self.excludes[current];
            let path = entry.path();
            let abs = absolute(path);
            let relative = abs.strip_prefix(&abs_root).unwrap_or(&abs);
            let ft = entry.file_type();
            if ft.is_dir() {
                // The enclosing project's excludes decide whether a directory is walked; its
                // own configuration, if any, decides inside it.
                if depth > 0
                    && (excluded(excludes, path, relative, &abs) || stack.ignored(&abs, true))
                {
                    it.skip_current_dir();
                    continue;
                }
                if depth > 0
                    && let Some(p) = self.project_starting_at(&abs)?
                {
                    projects.push((depth, p));
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
                        self.out.skipped.push(Skipped {
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
                Ok(m) if m.is_file() => self.push_file(path, false, current),
                Ok(_) => self.out.skipped.push(Skipped {
                    path: path.to_path_buf(),
                    reason: NOT_A_REGULAR_FILE.into(),
                }),
                Err(e) => self.out.skipped.push(Skipped {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                }),
            }
        }
        Ok(())
    }

    /// Module names are given once every file is found ([`name_modules`]).
    fn push_file(&mut self, path: &Path, explicit: bool, project: usize) {
        self.out.files.push(FoundFile {
            path: path.to_path_buf(),
            module: String::new(),
            is_package: false,
            explicit,
            project,
            library: false,
        });
    }
}

/// Whether `dir` is the root of an import tree below the project root: a `src/` layout
/// directory (`libs/foo/src/foo`) or a sub-project (`libs/foo/pyproject.toml`), at any depth.
/// A directory with an `__init__.py` is a package, never a root.
/// Nor is one inside a package (`pkg/src/` without `__init__.py` is the namespace
/// subpackage `pkg.src`).
fn is_nested_root(dir: &Path) -> bool {
    !dir.join("__init__.py").exists()
        && !dir.parent().is_some_and(|p| p.join("__init__.py").exists())
        && (dir.file_name().is_some_and(|n| n == "src")
            || PROJECT_MARKERS.iter().any(|m| dir.join(m).is_file()))
}

/// Adds the nested roots above each file to its project's source roots, then names every
/// file's module against them.
fn name_modules(out: &mut Discovery) {
    // Whether each directory is a nested root, asked once per directory.
    let mut known: HashMap<PathBuf, bool> = HashMap::new();
    for f in &out.files {
        let project = &mut out.projects[f.project];
        let abs = absolute(&f.path);
        for dir in abs.ancestors().skip(1) {
            if !dir.starts_with(&project.root) || dir == project.root {
                break;
            }
            let nested = *known
                .entry(dir.to_path_buf())
                .or_insert_with(|| is_nested_root(dir));
            if nested {
                if !project.source_roots.iter().any(|r| r == dir) {
                    project.source_roots.push(dir.to_path_buf());
                }
                break;
            }
        }
    }
    for project in &mut out.projects {
        // Most specific (longest) root first, so `src/pkg/a.py` is `pkg.a`, not `src.pkg.a`.
        project
            .source_roots
            .sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        project.source_roots.dedup();
    }
    // Each file's name from its most specific root. Two directories may then give one
    // top-level name (`services/a-svc/app.py` and `services/b-svc/app.py` are both `app`;
    // two `src/` layouts may both hold `utils`): those files keep their full, unique names
    // (from the broadest root, directories and all), and their imports resolve as scripts' do, beside
    // the importer.
    let named: Vec<Option<(Vec<String>, bool, PathBuf)>> = out
        .files
        .iter()
        .map(|f| {
            // Native sources (FL402) are scanned as text; they are not Python modules.
            (!crate::summary::is_native(&f.path)).then(|| {
                name_parts(
                    &absolute(&f.path),
                    &out.projects[f.project].source_roots,
                    true,
                )
            })
        })
        .collect();
    let mut starts: HashMap<(usize, &str), Vec<&Path>> = HashMap::new();
    for (f, named) in out.files.iter().zip(&named) {
        if let Some((parts, _, start)) = named {
            let top = parts.first().map_or("", String::as_str);
            let seen = starts.entry((f.project, top)).or_default();
            if !seen.contains(&start.as_path()) {
                seen.push(start);
            }
        }
    }
    let ambiguous: Vec<(usize, String)> = starts
        .into_iter()
        .filter(|(_, dirs)| dirs.len() > 1)
        .map(|((project, top), _)| (project, top.to_string()))
        .collect();
    for (f, named) in out.files.iter_mut().zip(named) {
        let Some((parts, is_package, _)) = named else {
            continue;
        };
        let top = parts.first().cloned().unwrap_or_default();
        let roots = &out.projects[f.project].source_roots;
        f.module = if ambiguous.contains(&(f.project, top)) {
            // From the broadest root: two nested roots may each hold a `utils`.
            let broadest_first: Vec<PathBuf> = roots.iter().rev().cloned().collect();
            join_name(&name_parts(&absolute(&f.path), &broadest_first, false).0)
        } else {
            join_name(&parts)
        };
        f.is_package = is_package;
    }
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

/// The module name of a file: its path relative to the most specific source root, dotted,
/// from below the last directory that is not an identifier.
pub fn module_name(abs: &Path, roots: &[PathBuf]) -> (String, bool) {
    let (parts, is_package, _) = name_parts(abs, roots, true);
    (join_name(&parts), is_package)
}

fn join_name(parts: &[String]) -> String {
    if parts.is_empty() {
        "__init__".to_string()
    } else {
        parts.join(".")
    }
}

/// The dotted parts of a file's module name, whether it is a package, and the directory the
/// name starts in. `cut`: start below the last directory that is not an identifier.
fn name_parts(abs: &Path, roots: &[PathBuf], cut: bool) -> (Vec<String>, bool, PathBuf) {
    let is_package = abs.file_name().is_some_and(|n| n == "__init__.py");
    let found = roots.iter().find_map(|r| {
        abs.strip_prefix(r)
            .ok()
            .map(|rel| (r.clone(), rel.to_path_buf()))
    });
    let (mut start, relative) = match found {
        Some(found) => found,
        None => (
            abs.parent().map(Path::to_path_buf).unwrap_or_default(),
            PathBuf::from(abs.file_name().unwrap_or_default()),
        ),
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
    // A directory that is not an identifier (`my-service`, `2024`, `.hidden`) cannot be part
    // of an import: the module's name starts below the last such directory, where Python
    // finds it when that directory is on `sys.path` (the script's own directory, or a root).
    let dirs = if is_package {
        parts.len()
    } else {
        parts.len().saturating_sub(1)
    };
    if cut && let Some(at) = parts[..dirs].iter().rposition(|p| !is_identifier(p)) {
        for dir in parts.drain(..=at) {
            start.push(dir);
        }
    }
    (parts, is_package, start)
}

/// A Python identifier (PEP 3131, approximated with Unicode's alphabetic and numeric classes).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
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
        // Directories that are not identifiers are not part of the name.
        assert_eq!(
            module_name(Path::new("/p/services/my-service/app.py"), &roots),
            ("app".into(), false)
        );
        assert_eq!(
            module_name(Path::new("/p/my-tools/pkg/__init__.py"), &roots),
            ("pkg".into(), true)
        );
        assert_eq!(
            module_name(Path::new("/p/a/my-pkg/__init__.py"), &roots),
            ("__init__".into(), true)
        );
    }
}
