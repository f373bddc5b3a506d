//! The project's Python environment: where its installed dependencies are, so that the code
//! the project calls in them is analysed with the project's own (docs/dependencies.md).
//!
//! The environment is found the way users expect (as ty and pyright do): `--python` or the
//! configuration's `python`, else an active `VIRTUAL_ENV` (or conda's `CONDA_PREFIX`), else a
//! `.venv` or `venv` at the project root. Its `site-packages` directories are read from its
//! layout; its interpreter is never run (forklint never executes the code it analyses, nor
//! anything of the project's).

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use walkdir::WalkDir;

use crate::discover::{FoundFile, is_identifier};
use crate::knowledge::Knowledge;

/// Where the project's installed dependencies are looked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PythonEnvironment {
    /// Not looked for: third-party imports are known only through the knowledge base.
    #[default]
    Off,
    /// `VIRTUAL_ENV`, else `CONDA_PREFIX`, else `.venv` or `venv` at the project root, else
    /// none.
    Auto,
    /// `--python PATH` or `python = "PATH"`: an interpreter in an environment (`.venv/bin/python`),
    /// an environment's directory, or a `site-packages` directory itself.
    At(PathBuf),
}

/// The `site-packages` directories of the environment `setting` names for the project at
/// `root` (empty when none is configured or found). An environment named explicitly that
/// has none is an error.
pub fn site_packages(setting: &PythonEnvironment, root: &Path) -> Result<Vec<PathBuf>, String> {
    match setting {
        PythonEnvironment::Off => Ok(Vec::new()),
        PythonEnvironment::Auto => {
            // An activated virtual environment, then an activated conda environment.
            let active = ["VIRTUAL_ENV", "CONDA_PREFIX"]
                .into_iter()
                .filter_map(|var| {
                    std::env::var_os(var)
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from)
                });
            let candidates = active
                .into_iter()
                .chain([root.join(".venv"), root.join("venv")]);
            for env in candidates {
                let found = of_environment(&env);
                if !found.is_empty() {
                    return Ok(found);
                }
            }
            Ok(Vec::new())
        }
        PythonEnvironment::At(path) => {
            let found = of_path(path);
            if found.is_empty() {
                Err(format!(
                    "`--python {}`: no site-packages directory found there (give an interpreter \
                     of a virtual environment, the environment's directory, or its \
                     site-packages directory)",
                    path.display()
                ))
            } else {
                Ok(found)
            }
        }
    }
}

/// The `site-packages` directories an explicitly given path stands for.
fn of_path(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if path.is_dir() && (name == "site-packages" || name == "dist-packages") {
        return vec![path.to_path_buf()];
    }
    if path.is_file() {
        // An interpreter: `<env>/bin/python3` (POSIX) or `<env>\Scripts\python.exe` (Windows),
        // or `<env>\python.exe` (a Windows base installation).
        let dir = path.parent().unwrap_or(Path::new(""));
        let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let env = if dir_name == "bin" || dir_name.eq_ignore_ascii_case("scripts") {
            dir.parent().unwrap_or(dir)
        } else {
            dir
        };
        return of_environment(env);
    }
    of_environment(path)
}

/// The `site-packages` (or Debian's `dist-packages`) directories of an environment or
/// installation prefix, by its layout: `lib/pythonX.Y/site-packages` (POSIX; also `lib64`),
/// `Lib/site-packages` (Windows). Sorted, so that the newest `pythonX.Y` is not chosen by
/// the order the directory happens to list in.
fn of_environment(env: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for lib in ["lib", "lib64"] {
        let Ok(entries) = std::fs::read_dir(env.join(lib)) else {
            continue;
        };
        let mut versions: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("python3"))
            })
            .collect();
        versions.sort();
        for v in versions {
            for sub in ["site-packages", "dist-packages"] {
                let dir = v.join(sub);
                if dir.is_dir() && !found.contains(&dir) {
                    found.push(dir);
                }
            }
        }
    }
    let windows = env.join("Lib").join("site-packages");
    if windows.is_dir() && !found.contains(&windows) {
        found.push(windows);
    }
    found
}

/// The modules of an environment that can be analysed: its pure-Python source files, by
/// module name.
#[derive(Debug, Default)]
pub struct Libraries {
    modules: HashMap<String, FoundFile>,
}

impl Libraries {
    /// Every `.py` module under `dirs` (earlier directories win), except:
    /// - packages the knowledge base describes (`grpc`, `torch`): what they do is known, and
    ///   their internals would only be analysed again;
    /// - names the project itself defines (its own module wins, as on `sys.path` when it runs
    ///   from its root);
    /// - anything that is not a module name: `*.dist-info`, `__pycache__`, `foo-stubs`, and
    ///   `.pyi` stubs, which are not code.
    ///
    /// Only names are collected here; a file is read when the project's imports reach it.
    ///
    /// Paths below the current directory are kept relative to it (`.venv/lib/…`), as the
    /// project's own files are shown.
    pub fn scan(dirs: &[PathBuf], knowledge: &Knowledge, project: &HashSet<String>) -> Libraries {
        let cwd = std::env::current_dir().ok();
        let shown = |path: &Path| -> PathBuf {
            match cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()) {
                Some(relative) => relative.to_path_buf(),
                None => path.to_path_buf(),
            }
        };
        let mut modules: HashMap<String, FoundFile> = HashMap::default();
        let project_roots: HashSet<&str> = project
            .iter()
            .map(|m| m.split('.').next().unwrap_or(m))
            .collect();
        for dir in dirs {
            let walk = WalkDir::new(dir).sort_by_file_name().into_iter();
            // A top-level package the knowledge base describes, or the project shadows, is
            // never descended into (torch alone is thousands of files).
            let skipped_root = |e: &walkdir::DirEntry| {
                e.depth() == 1
                    && e.file_type().is_dir()
                    && e.file_name().to_str().is_some_and(|name| {
                        knowledge.knows_root(name) || project_roots.contains(name)
                    })
            };
            let walk = walk.filter_entry(|e| {
                e.depth() == 0
                    || e.file_type().is_file()
                    || e.file_name().to_str().is_some_and(is_identifier) && !skipped_root(e)
            });
            for entry in walk.filter_map(Result::ok) {
                if !entry.file_type().is_file() {
                    continue;
                }
                let Ok(relative) = entry.path().strip_prefix(dir) else {
                    continue;
                };
                let Some((module, is_package)) = module_of(relative) else {
                    continue;
                };
                let root = module.split('.').next().unwrap_or(&module);
                if knowledge.knows_root(root) || project_roots.contains(root) {
                    continue;
                }
                modules.entry(module.clone()).or_insert(FoundFile {
                    path: shown(entry.path()),
                    module,
                    is_package,
                    explicit: false,
                    project: 0,
                    library: true,
                });
            }
        }
        Libraries { modules }
    }

    /// The names of every module found.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.modules.keys()
    }

    /// The file of library module `name`.
    pub fn get(&self, name: &str) -> Option<&FoundFile> {
        self.modules.get(name)
    }

    /// The library modules importing `name` runs: each package above it and the module
    /// itself (`a`, `a.b`, `a.b.c` for `a.b.c`), as far as they are library modules. `name`
    /// may go on past a module (`a.b.attr`).
    pub fn run_by_import(&self, name: &str) -> Vec<&FoundFile> {
        name.match_indices('.')
            .map(|(i, _)| &name[..i])
            .chain(std::iter::once(name))
            .filter_map(|prefix| self.modules.get(prefix))
            .collect()
    }
}

/// The module name of a source file at `relative` below a `site-packages` directory.
fn module_of(relative: &Path) -> Option<(String, bool)> {
    let mut parts: Vec<&str> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    let file = parts.pop()?;
    let stem = file.strip_suffix(".py")?;
    if !parts.iter().all(|p| is_identifier(p)) {
        return None;
    }
    if stem == "__init__" {
        if parts.is_empty() {
            return None;
        }
        return Some((parts.join("."), true));
    }
    if !is_identifier(stem) {
        return None;
    }
    parts.push(stem);
    Some((parts.join("."), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn finds_site_packages_from_an_interpreter_an_environment_or_itself() {
        let dir = tempfile::tempdir().unwrap();
        let env = dir.path().join(".venv");
        let sp = env.join("lib/python3.12/site-packages");
        std::fs::create_dir_all(&sp).unwrap();
        touch(&env.join("bin/python3"));
        for given in [env.join("bin/python3"), env.clone(), sp.clone()] {
            assert_eq!(
                site_packages(&PythonEnvironment::At(given.clone()), dir.path()),
                Ok(vec![sp.clone()]),
                "{}",
                given.display()
            );
        }
        let missing = site_packages(&PythonEnvironment::At(dir.path().join("nope")), dir.path());
        assert!(missing.unwrap_err().contains("no site-packages"));
        assert_eq!(
            site_packages(&PythonEnvironment::Off, dir.path()),
            Ok(vec![])
        );
    }

    #[test]
    fn module_names_skip_metadata_stubs_and_caches() {
        let dir = tempfile::tempdir().unwrap();
        let sp = dir.path();
        for f in [
            "wrapper/__init__.py",
            "wrapper/client.py",
            "wrapper/__pycache__/client.cpython-312.py",
            "wrapper-1.0.dist-info/METADATA.py",
            "wrapper-stubs/__init__.py",
            "typed/__init__.pyi",
            "single.py",
            "ns/part.py",
            "grpc/__init__.py",
            "app/__init__.py",
        ] {
            touch(&sp.join(f));
        }
        let knowledge = Knowledge::builtin().unwrap();
        let project: HashSet<String> = ["app.main".to_string()].into_iter().collect();
        let libraries = Libraries::scan(&[sp.to_path_buf()], &knowledge, &project);
        let mut names: Vec<&String> = libraries.names().collect();
        names.sort();
        assert_eq!(
            names,
            ["ns.part", "single", "wrapper", "wrapper.client"],
            "grpc is known, app is the project's"
        );
        let run: Vec<&str> = libraries
            .run_by_import("wrapper.client.Client")
            .into_iter()
            .map(|f| f.module.as_str())
            .collect();
        assert_eq!(run, ["wrapper", "wrapper.client"]);
        assert!(libraries.get("wrapper").unwrap().is_package);
    }
}
