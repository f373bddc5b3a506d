//! The options every analysing command shares (`check`, `graph`): where the configuration
//! comes from, and the settings the command line can override. One place, so that `graph`
//! draws what `check` reports on.

use crate::cache::CacheLocation;
use crate::environment::PythonEnvironment;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{self, ConfigError, Located};
use crate::rules::selection::{RuleSelection, SelectionLayer};
use crate::settings::{DEFAULT_EXCLUDES, Platform, PythonVersion, Settings};

/// Also built by the editor server from the client's settings (`Default`: nothing given).
#[derive(Args, Default)]
pub struct AnalysisArgs {
    /// The one Python version the code runs on: py38 … py314 [default: the configuration's
    /// `target-version`, else every version the configuration's `requires-python` allows,
    /// else py312].
    #[arg(long, value_parser = parse_version)]
    pub(crate) target_version: Option<PythonVersion>,
    /// The platforms the code runs on; comma-separated, repeatable [default: the
    /// configuration's `platforms`, else linux].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub(crate) platform: Vec<Platform>,
    /// A configuration file to use instead of the closest `.forklint.toml`, `forklint.toml`
    /// or `pyproject.toml` with `[tool.forklint]`; or a TOML `KEY = VALUE` pair (`--config
    /// "select = ['FL1']"`) that overrides that key of every configuration; repeatable
    /// (docs/configuration.md).
    #[arg(long, value_name = "PATH|KEY=VALUE", value_parser = parse_config_arg)]
    pub(crate) config: Vec<ConfigArg>,
    /// Ignore all configuration files.
    #[arg(long)]
    pub(crate) isolated: bool,
    /// An extra knowledge-base file (TOML, see rules/README.md); repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) knowledge: Vec<PathBuf>,
    /// Replace the default excludes with these globs; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// Add globs to the excludes; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) extend_exclude: Vec<String>,
    /// An extra source root module names are computed against; repeatable.
    #[arg(long, value_name = "DIR")]
    pub(crate) src: Vec<PathBuf>,
    /// Files (globs) that are entry scripts: their whole top level is the main flow; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(crate) entry: Vec<String>,
    /// Also analyse symlinked files that point outside the project (by default they are
    /// reported and skipped, so a link cannot make forklint read elsewhere).
    #[arg(long)]
    pub(crate) follow_external_symlinks: bool,
    /// Parse every file: neither read nor write the summary cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Keep the summary cache in this directory [default: `.forklint_cache` at each
    /// project's root].
    #[arg(long, value_name = "DIR", env = "FORKLINT_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// The project's Python environment, whose installed dependencies are analysed with it:
    /// an interpreter (`.venv/bin/python`), an environment's directory or a `site-packages`
    /// [default: the configuration's `python`, else `VIRTUAL_ENV`, else `CONDA_PREFIX`, else
    /// `.venv` or `venv` at the project root] (docs/dependencies.md).
    #[arg(long, value_name = "PATH", conflicts_with = "no_python")]
    pub(crate) python: Option<PathBuf>,
    /// Analyse no installed dependencies: third-party code is known only through the
    /// knowledge base.
    #[arg(long)]
    pub(crate) no_python: bool,
}

fn parse_version(s: &str) -> Result<PythonVersion, String> {
    s.parse()
}

/// One `--config`: a configuration file, or an override of some of its keys.
#[derive(Clone, Debug)]
pub enum ConfigArg {
    Path(PathBuf),
    Override(Box<config::Override>),
}

/// As Ruff reads `--config`: an existing file, or a value without `=`, is a path (a missing
/// one is reported when it is read); anything else is a TOML `KEY = VALUE` fragment.
fn parse_config_arg(s: &str) -> Result<ConfigArg, String> {
    if !s.contains('=') || Path::new(s).is_file() {
        return Ok(ConfigArg::Path(PathBuf::from(s)));
    }
    config::parse_override(s)
        .map(|o| ConfigArg::Override(Box::new(o)))
        .map_err(|e| {
            format!(
                "{e}\n\n  tip: a `--config` value is either the path of a configuration file or a \
             TOML `KEY = VALUE` pair such as `--config \"select = ['FL1']\"`"
            )
        })
}

/// Settings from the command line over the configuration over the defaults, and the
/// configuration's `output-format` (for `check` to validate).
pub struct Resolved {
    pub settings: Settings,
    pub output_format: Option<Located<String>>,
    /// The configuration's `baseline`, absolute.
    pub baseline: Option<PathBuf>,
}

impl AnalysisArgs {
    /// `--config` or `--isolated`: one set of settings for every file, whatever
    /// configuration files lie above it.
    pub fn forces_configuration(&self) -> bool {
        self.isolated || self.config_file().is_some()
    }

    /// The `--config PATH`, if one was given (checked by [`AnalysisArgs::check_config`]).
    pub(crate) fn config_file(&self) -> Option<&Path> {
        self.config.iter().find_map(|c| match c {
            ConfigArg::Path(p) => Some(p.as_path()),
            ConfigArg::Override(_) => None,
        })
    }

    /// At most one `--config PATH`, and not with `--isolated` (overrides go with both).
    pub fn check_config(&self) -> Result<(), ConfigError> {
        let files: Vec<&Path> = self
            .config
            .iter()
            .filter_map(|c| match c {
                ConfigArg::Path(p) => Some(p.as_path()),
                ConfigArg::Override(_) => None,
            })
            .collect();
        match files[..] {
            [_, second, ..] => Err(ConfigError::Usage(format!(
                "only one configuration file can be given with `--config` (`{}` is the second; \
                 a `KEY = VALUE` override needs an `=`)",
                second.display()
            ))),
            [file] if self.isolated => Err(ConfigError::Usage(format!(
                "`--config {}` cannot be used with `--isolated` (a `KEY = VALUE` override can)",
                file.display()
            ))),
            _ => Ok(()),
        }
    }

    /// The `--config KEY = VALUE` overrides applied over `options`, in order.
    pub fn overridden(&self, mut options: config::Options) -> config::Options {
        for c in &self.config {
            if let ConfigArg::Override(o) = c {
                options.apply(o);
            }
        }
        options
    }

    /// The configuration file in force: `--config`, else the closest one at or above the first
    /// path, else none (and none with `--isolated`).
    fn config(&self, first: &Path) -> Result<config::Options, ConfigError> {
        self.check_config()?;
        if self.isolated {
            return Ok(config::Options::default());
        }
        let file = match self.config_file() {
            Some(path) => Some(config::load(path)?),
            None => config::find(first)?,
        };
        Ok(file.map(|f| f.options).unwrap_or_default())
    }

    /// `selection` is the command line's rule selection (a layer over the configuration's).
    pub fn resolve(
        &self,
        first: &Path,
        selection: SelectionLayer,
        show_info: bool,
    ) -> Result<Resolved, ConfigError> {
        let config = self.config(first)?;
        Ok(self.resolve_with(config, selection, show_info))
    }

    /// Like [`AnalysisArgs::resolve`], with the configuration already read.
    pub fn resolve_with(
        &self,
        config: config::Options,
        selection: SelectionLayer,
        show_info: bool,
    ) -> Resolved {
        let config = self.overridden(config);
        let mut exclude: Vec<String> = if !self.exclude.is_empty() {
            self.exclude.clone()
        } else if let Some(exclude) = &config.exclude {
            exclude.clone()
        } else {
            DEFAULT_EXCLUDES.iter().map(|s| (*s).to_string()).collect()
        };
        exclude.extend(config.extend_exclude.iter().cloned());
        exclude.extend(self.extend_exclude.iter().cloned());
        let platforms = if !self.platform.is_empty() {
            self.platform.clone()
        } else {
            config.platforms.unwrap_or_else(|| vec![Platform::Linux])
        };
        let selection = RuleSelection::new(&[config.selection, selection], config.per_file_ignores);
        // A named version is the only cell; else every version requires-python allows.
        let target_versions = match (self.target_version, &config.allowed_versions) {
            (Some(v), _) => vec![v],
            (None, Some(allowed)) => allowed.clone(),
            (None, None) => vec![config.target_version.unwrap_or(PythonVersion::PY312)],
        };
        let settings = Settings {
            target_version: target_versions[0],
            target_versions,
            platform: platforms[0],
            platforms,
            selection,
            knowledge_files: [config.knowledge, self.knowledge.clone()].concat(),
            // Paths typed on the command line are relative to where the command runs (the
            // configuration's are already absolute, relative to its file).
            src: config
                .src
                .into_iter()
                .chain(self.src.iter().map(|p| crate::discover::absolute(p)))
                .collect(),
            entry_globs: [config.entry, self.entry.clone()].concat(),
            // Read by discovery from each project root's build files.
            script_targets: Vec::new(),
            deployments: Vec::new(),
            import_prefixes: Vec::new(),
            exclude,
            show_info,
            report_only: None,
            follow_external_symlinks: self.follow_external_symlinks,
            cache: match (&self.cache_dir, self.no_cache) {
                (_, true) => CacheLocation::Off,
                (Some(dir), false) => CacheLocation::Dir(crate::discover::absolute(dir)),
                (None, false) => CacheLocation::AtProjectRoot,
            },
            summaries: Vec::new(),
            python: match (&self.python, config.python, self.no_python) {
                (_, _, true) => PythonEnvironment::Off,
                (Some(path), _, false) => PythonEnvironment::At(crate::discover::absolute(path)),
                (None, Some(path), false) => PythonEnvironment::At(path),
                (None, None, false) => PythonEnvironment::Auto,
            },
            ignore_noqa: false,
            unfixable: Vec::new(),
        };
        Resolved {
            settings,
            output_format: config.output_format,
            baseline: config.baseline,
        }
    }
}
