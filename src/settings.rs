//! Resolved settings: what the analysis needs to know about the target environment.
//! The CLI (and, later, configuration files) produce one of these.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::rules::selection::RuleSelection;

/// A CPython minor version, 3.8 to 3.14.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PythonVersion {
    pub major: u8,
    pub minor: u8,
}

impl PythonVersion {
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }
    pub const PY38: Self = Self::new(3, 8);
    pub const PY312: Self = Self::new(3, 12);
    pub const PY314: Self = Self::new(3, 14);
    pub const SUPPORTED: std::ops::RangeInclusive<u8> = 8..=14;
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for PythonVersion {
    type Err = String;
    /// Accepts `py312`, `3.12` and `312`.
    fn from_str(s: &str) -> Result<Self, String> {
        let digits = s.strip_prefix("py").unwrap_or(s).replace('.', "");
        let minor = digits
            .strip_prefix('3')
            .and_then(|m| m.parse::<u8>().ok())
            .filter(|m| Self::SUPPORTED.contains(m));
        match minor {
            Some(minor) => Ok(Self::new(3, minor)),
            None => Err(format!(
                "unsupported target version `{s}`: expected one of py38, py39, py310, py311, py312, py313, py314"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Linux,
    Macos,
    Windows,
}

impl Platform {
    /// Every platform, in bit order.
    pub const ALL: [Platform; 3] = [Platform::Linux, Platform::Macos, Platform::Windows];
    /// A set of platforms with every bit set.
    pub const ALL_BITS: u8 = 0b111;

    /// This platform's bit in a set of platforms (an event's `platforms`).
    pub const fn bit(self) -> u8 {
        match self {
            Platform::Linux => 1,
            Platform::Macos => 2,
            Platform::Windows => 4,
        }
    }

    /// Whether `os.fork` exists there.
    pub const fn is_posix(self) -> bool {
        !matches!(self, Platform::Windows)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::Linux => "Linux",
            Platform::Macos => "macOS",
            Platform::Windows => "Windows",
        })
    }
}

/// How `multiprocessing` creates children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartMethod {
    Fork,
    Spawn,
    Forkserver,
}

impl StartMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fork" => Some(Self::Fork),
            "spawn" => Some(Self::Spawn),
            "forkserver" => Some(Self::Forkserver),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fork => "fork",
            Self::Spawn => "spawn",
            Self::Forkserver => "forkserver",
        }
    }
    /// Whether children re-import the main module (spawn and forkserver do; fork copies it).
    pub fn reimports_main(self) -> bool {
        !matches!(self, Self::Fork)
    }

    /// The default start method of a (version, platform) cell: RULES.md §0.3, from the
    /// multiprocessing docs (macOS default changed to spawn in 3.8, bpo-33725) and What's New
    /// 3.14 (POSIX default changed to forkserver, gh-84559).
    pub fn default_for(version: PythonVersion, platform: Platform) -> Self {
        match platform {
            Platform::Windows => Self::Spawn,
            Platform::Macos if version >= PythonVersion::PY38 => Self::Spawn,
            Platform::Macos => Self::Fork,
            Platform::Linux if version >= PythonVersion::PY314 => Self::Forkserver,
            Platform::Linux => Self::Fork,
        }
    }
}

/// Everything the analysis is configured with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The oldest of [`Self::target_versions`].
    pub target_version: PythonVersion,
    /// Every Python version the code runs on (never empty, oldest first): `--target-version`
    /// or `target-version` names one; otherwise every supported version `requires-python`
    /// allows. FL107 reports when any version and platform re-imports the main module.
    pub target_versions: Vec<PythonVersion>,
    /// The first of [`Self::platforms`]: the cell single-platform code evaluates.
    pub platform: Platform,
    /// Every platform the code runs on (never empty); FL107 reports when any of them re-imports
    /// the main module.
    pub platforms: Vec<Platform>,
    /// Which rules run, and the per-file ignores applied to their findings.
    pub selection: RuleSelection,
    /// Extra knowledge-base files (TOML) given by the user.
    pub knowledge_files: Vec<PathBuf>,
    /// Extra source roots, beside the project root and an automatically found `src/`.
    pub src: Vec<PathBuf>,
    /// Globs naming files that are entry scripts: their whole top level is the main flow.
    pub entry_globs: Vec<String>,
    /// The functions the project's build files declare as commands (`[project.scripts]`,
    /// `console_scripts`), dotted: each runs, called by its launcher.
    pub script_targets: Vec<String>,
    /// How the project runs gunicorn, read from its deployment files (`deploy.rs`), with
    /// each configuration file's path made absolute: with `preload_app`, the app's import
    /// runs in the master, which forks every worker (`program::servers`).
    pub deployments: Vec<crate::deploy::Deployment>,
    /// The module names of the directories given on the command line that are inside a
    /// source root (`services.api` for `check services/api`): an absolute import that names
    /// no project module is also tried below each, as mypy searches the directories it is
    /// given and pyright its execution roots.
    pub import_prefixes: Vec<String>,
    /// Directory and file globs never walked into. Explicit file arguments are still checked.
    pub exclude: Vec<String>,
    /// Show info-level findings (they never change the exit code).
    pub show_info: bool,
    /// `--whole-project`: report only the findings that involve these paths (absolute; a
    /// file, or every file under a directory) at their location or anywhere in their chain.
    /// `None` reports every finding.
    pub report_only: Option<Vec<PathBuf>>,
    /// Analyse symlinked files whose target lies outside the project root and the walked
    /// directory; by default they are reported and skipped.
    pub follow_external_symlinks: bool,
    /// Where summaries are cached between runs (docs/configuration.md#cache).
    pub cache: crate::cache::CacheLocation,
    /// `check --summaries`: bundles of summaries written by `forklint summarize`, used
    /// instead of parsing the files they hold.
    pub summaries: Vec<PathBuf>,
    /// Where the project's installed dependencies are (docs/dependencies.md).
    pub python: crate::environment::PythonEnvironment,
    /// `check --ignore-noqa`: `# noqa` directives suppress nothing (and FL002 says nothing).
    pub ignore_noqa: bool,
    /// The rules whose fixes are dropped from their findings (`--fixable`, `--unfixable`).
    pub unfixable: Vec<&'static str>,
}

pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".nox",
    "build",
    "dist",
    "site-packages",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
];

impl Default for Settings {
    fn default() -> Self {
        Self {
            target_version: PythonVersion::PY312,
            target_versions: vec![PythonVersion::PY312],
            platform: Platform::Linux,
            platforms: vec![Platform::Linux],
            selection: RuleSelection::default(),
            knowledge_files: Vec::new(),
            src: Vec::new(),
            entry_globs: Vec::new(),
            script_targets: Vec::new(),
            deployments: Vec::new(),
            import_prefixes: Vec::new(),
            exclude: DEFAULT_EXCLUDES.iter().map(|s| (*s).to_string()).collect(),
            show_info: false,
            report_only: None,
            follow_external_symlinks: false,
            cache: crate::cache::CacheLocation::Off,
            summaries: Vec::new(),
            python: crate::environment::PythonEnvironment::Off,
            ignore_noqa: false,
            unfixable: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_in_three_spellings() {
        assert_eq!(
            "py314".parse::<PythonVersion>().unwrap(),
            PythonVersion::PY314
        );
        assert_eq!("3.8".parse::<PythonVersion>().unwrap(), PythonVersion::PY38);
        assert_eq!(
            "312".parse::<PythonVersion>().unwrap(),
            PythonVersion::PY312
        );
        assert!("py27".parse::<PythonVersion>().is_err());
        assert!("py315".parse::<PythonVersion>().is_err());
        assert!("python".parse::<PythonVersion>().is_err());
    }

    #[test]
    fn default_start_method_matrix() {
        use Platform::*;
        let v = |m| PythonVersion::new(3, m);
        assert_eq!(StartMethod::default_for(v(13), Linux), StartMethod::Fork);
        assert_eq!(
            StartMethod::default_for(v(14), Linux),
            StartMethod::Forkserver
        );
        assert_eq!(StartMethod::default_for(v(8), Macos), StartMethod::Spawn);
        assert_eq!(StartMethod::default_for(v(12), Windows), StartMethod::Spawn);
    }
}
