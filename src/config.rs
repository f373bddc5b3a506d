//! Configuration files: `[tool.forklint]` in `pyproject.toml`, or `forklint.toml` /
//! `.forklint.toml` (the same keys at top level). See docs/configuration.md.
//!
//! The file is read twice with serde: once as a map of keys (with spans) to report unknown keys
//! with a suggestion, then into [`RawOptions`], whose `Spanned` values let every bad value be
//! reported at its own line and column. Paths are made absolute against the file's directory
//! here, so nothing downstream needs to know where the file was.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use toml::Spanned;

use crate::discover::absolute;
use crate::rules::selection::{PerFileIgnore, RuleSelector, SelectionLayer};
use crate::settings::{Platform, PythonVersion};

/// Names looked for in each directory, in order of precedence (as Ruff: `.ruff.toml`,
/// `ruff.toml`, `pyproject.toml`). A `pyproject.toml` counts only with a `[tool.forklint]`.
pub const CONFIG_FILE_NAMES: [&str; 3] = [".forklint.toml", "forklint.toml", "pyproject.toml"];

/// Every key a configuration accepts.
pub const KEYS: &[&str] = &[
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "src",
    "target-version",
    "platforms",
    "knowledge",
    "output-format",
    "entry",
    "python",
    "baseline",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A directory, FIFO or other special file where a configuration file is looked for:
    /// never read (a FIFO would block), and not silently skipped either.
    #[error("{path}: not a regular file; a configuration must be a file")]
    NotAFile { path: String },
    /// Options that cannot be combined (`--config PATH` twice, or with `--isolated`).
    #[error("{0}")]
    Usage(String),
    #[error("{path}:{line}:{column}: {message}")]
    At {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A position in a configuration file, kept for values checked later (`output-format`).
#[derive(Clone, Debug)]
pub struct Located<T> {
    pub value: T,
    path: String,
    line: usize,
    column: usize,
}

impl<T> Located<T> {
    /// An error about this value.
    pub fn error(&self, message: String) -> ConfigError {
        ConfigError::At {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message,
        }
    }
}

/// What a configuration file says, validated, with paths absolute.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub selection: SelectionLayer,
    pub per_file_ignores: Vec<PerFileIgnore>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    pub src: Vec<PathBuf>,
    /// `target-version`, else the lowest version `[project] requires-python` allows.
    pub target_version: Option<PythonVersion>,
    /// Every supported version `requires-python` allows, when `target-version` is not set:
    /// the versions rules that depend on the version evaluate (the matrix).
    pub allowed_versions: Option<Vec<PythonVersion>>,
    pub platforms: Option<Vec<Platform>>,
    pub knowledge: Vec<PathBuf>,
    /// Checked by the CLI against its formats.
    pub output_format: Option<Located<String>>,
    pub entry: Vec<String>,
    /// `python`: the project's environment (an interpreter, an environment's directory or a
    /// `site-packages`), absolute.
    pub python: Option<PathBuf>,
    /// `baseline`: the findings accepted so far (docs/adoption.md), absolute.
    pub baseline: Option<PathBuf>,
}

/// A configuration file that was found and read.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub options: Options,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawOptions {
    select: Option<Vec<Spanned<String>>>,
    extend_select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    per_file_ignores: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    exclude: Option<Vec<String>>,
    extend_exclude: Option<Vec<String>>,
    src: Option<Vec<String>>,
    target_version: Option<Spanned<String>>,
    platforms: Option<Spanned<Vec<Platform>>>,
    knowledge: Option<Vec<String>>,
    output_format: Option<Spanned<String>>,
    entry: Option<Vec<String>>,
    python: Option<String>,
    baseline: Option<String>,
}

/// The keys of a table with the spans of each key and value (the first read).
type KeyMap = BTreeMap<Spanned<String>, Spanned<IgnoredAny>>;

#[derive(Deserialize)]
struct PyProject<T> {
    tool: Option<Tool<T>>,
    project: Option<Project>,
}

#[derive(Deserialize)]
struct Tool<T> {
    forklint: Option<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Project {
    requires_python: Option<Spanned<String>>,
}

/// A file being read: its path and text, to turn byte spans into positions.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn locate<T>(&self, value: T, span: &Range<usize>) -> Located<T> {
        let mut start = span.start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Located {
            value,
            path: self.path.display().to_string(),
            line,
            column,
        }
    }

    fn error(&self, span: &Range<usize>, message: String) -> ConfigError {
        self.locate((), span).error(message)
    }

    fn parse<T: DeserializeOwned>(
        &self,
        context: impl Fn(usize) -> String,
    ) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = format!(
                "{}{}",
                context(span.start),
                e.message().trim_end().replace('\n', "; ")
            );
            self.error(&span, message)
        })
    }
}

/// A `--config KEY = VALUE` override: a TOML fragment of configuration keys, applied over
/// every configuration file (and over the defaults), as Ruff's `--config` overrides are.
/// Relative paths in it are relative to the current directory.
#[derive(Clone, Debug)]
pub struct Override {
    /// As given, for messages.
    pub fragment: String,
    /// The keys it sets, in order.
    keys: Vec<String>,
    options: Options,
}

/// Reads a `--config` override; the error names what is wrong with it (the caller names the
/// fragment).
pub fn parse_override(fragment: &str) -> Result<Override, String> {
    let path = PathBuf::from("--config");
    let src = Source {
        path: &path,
        text: fragment,
    };
    let strip = |e: ConfigError| match e {
        ConfigError::At { message, .. } => message,
        other => other.to_string(),
    };
    let keys: KeyMap = src.parse(|_| String::new()).map_err(strip)?;
    if keys.is_empty() {
        return Err("no configuration key in it".to_string());
    }
    let options = check_and_read(&src, &keys, &absolute(Path::new("."))).map_err(strip)?;
    Ok(Override {
        fragment: fragment.to_string(),
        keys: keys.keys().map(|k| k.get_ref().clone()).collect(),
        options,
    })
}

impl Options {
    /// `over`'s keys replace this configuration's values of the same keys.
    pub fn apply(&mut self, over: &Override) {
        let o = &over.options;
        for key in &over.keys {
            match key.as_str() {
                "select" => self.selection.select = o.selection.select.clone(),
                "extend-select" => self.selection.extend_select = o.selection.extend_select.clone(),
                "ignore" => self.selection.ignore = o.selection.ignore.clone(),
                "per-file-ignores" => self.per_file_ignores = o.per_file_ignores.clone(),
                "exclude" => self.exclude = o.exclude.clone(),
                "extend-exclude" => self.extend_exclude = o.extend_exclude.clone(),
                "src" => self.src = o.src.clone(),
                "target-version" => {
                    // A named version replaces the matrix `requires-python` gave.
                    self.target_version = o.target_version;
                    self.allowed_versions = None;
                }
                "platforms" => self.platforms = o.platforms.clone(),
                "knowledge" => self.knowledge = o.knowledge.clone(),
                "output-format" => self.output_format = o.output_format.clone(),
                "entry" => self.entry = o.entry.clone(),
                "python" => self.python = o.python.clone(),
                "baseline" => self.baseline = o.baseline.clone(),
                // `check_and_read` rejected every other key.
                _ => {}
            }
        }
    }
}

/// The closest configuration file at or above `start` (a file's directory for a file).
pub fn find(start: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let start = absolute(start);
    let dir = if start.is_file() {
        start.parent().unwrap_or(&start).to_path_buf()
    } else {
        start
    };
    for dir in dir.ancestors() {
        if let Some(config) = configured_in(dir)? {
            return Ok(Some(config));
        }
    }
    Ok(None)
}

/// The configuration file in `dir` itself, if it has one (a `pyproject.toml` counts only
/// with a `[tool.forklint]` table).
pub fn configured_in(dir: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    for name in CONFIG_FILE_NAMES {
        let path = dir.join(name);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {
                if let Some(config) = load_if_configured(&path)? {
                    return Ok(Some(config));
                }
            }
            Ok(_) => return Err(not_a_file(&path)),
            Err(_) => {}
        }
    }
    Ok(None)
}

/// Reads the configuration file at `path` (`--config`): a `pyproject.toml` without
/// `[tool.forklint]` gives the defaults (and its `requires-python`).
pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
    let path = absolute(path);
    let text = read(&path)?;
    let options = parse(&path, &text)?.unwrap_or_default();
    Ok(ConfigFile { path, options })
}

fn load_if_configured(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
    let text = read(path)?;
    Ok(parse(path, &text)?.map(|options| ConfigFile {
        path: path.to_path_buf(),
        options,
    }))
}

fn not_a_file(path: &Path) -> ConfigError {
    ConfigError::NotAFile {
        path: path.display().to_string(),
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(not_a_file(path));
    }
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn is_pyproject(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "pyproject.toml")
}

/// The options in `text`; `None` for a `pyproject.toml` without `[tool.forklint]`.
fn parse(path: &Path, text: &str) -> Result<Option<Options>, ConfigError> {
    let src = Source { path, text };
    let dir = path.parent().unwrap_or(Path::new("/"));
    let no_context = |_| String::new();
    let (keys, requires_python) = if is_pyproject(path) {
        let doc: PyProject<KeyMap> = src.parse(no_context)?;
        let keys = doc.tool.and_then(|t| t.forklint);
        let requires = doc.project.and_then(|p| p.requires_python);
        match keys {
            Some(keys) => (keys, requires),
            None => return Ok(None),
        }
    } else {
        // A `[tool.forklint]` table copied from a pyproject.toml: say so, rather than let the
        // TOML reader trip over the implicit `tool` table.
        if let Some(offset) = table_header_offset(text, "tool.forklint") {
            return Err(src.error(
                &(offset..offset),
                "a forklint.toml holds its keys at the top level, without the \
                 `[tool.forklint]` table (that table belongs in pyproject.toml)"
                    .to_string(),
            ));
        }
        let keys: KeyMap = src.parse(no_context)?;
        // `requires-python` of a `pyproject.toml` beside a forklint.toml (as Ruff does).
        let sibling = dir.join("pyproject.toml");
        let requires = match std::fs::read_to_string(&sibling) {
            Ok(text) => Source {
                path: &sibling,
                text: &text,
            }
            .parse::<PyProject<IgnoredAny>>(no_context)?
            .project
            .and_then(|p| p.requires_python)
            .map(|r| (sibling.clone(), text.clone(), r)),
            Err(_) => None,
        };
        let options = check_and_read(&src, &keys, dir)?;
        return finish(
            options,
            requires
                .as_ref()
                .map(|(p, t, r)| (p.as_path(), t.as_str(), r)),
        )
        .map(Some);
    };
    let options = check_and_read(&src, &keys, dir)?;
    finish(options, requires_python.as_ref().map(|r| (path, text, r))).map(Some)
}

/// Byte offset of a `[name]` table header line (spaces allowed inside the brackets).
fn table_header_offset(text: &str, name: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        // A header may end in a comment: `[tool.forklint]  # settings`.
        let trimmed = line.split('#').next().unwrap_or("").trim();
        if let Some(inner) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']'))
            && !inner.starts_with('[')
            && inner.split('.').map(str::trim).eq(name.split('.'))
        {
            return Some(offset + (line.len() - line.trim_start().len()));
        }
        offset += line.len();
    }
    None
}

/// Fills `target-version` from `requires-python` (path and text of its file) when unset.
fn finish(
    mut options: Options,
    requires_python: Option<(&Path, &str, &Spanned<String>)>,
) -> Result<Options, ConfigError> {
    if options.target_version.is_none()
        && let Some((path, text, spec)) = requires_python
    {
        let versions = allowed_versions(spec.get_ref()).ok_or_else(|| {
            Source { path, text }.error(
                &spec.span(),
                format!(
                    "cannot derive a target version from requires-python `{}`; set `target-version` in the forklint configuration",
                    spec.get_ref()
                ),
            )
        })?;
        options.target_version = versions.first().copied();
        options.allowed_versions = Some(versions);
    }
    Ok(options)
}

/// Unknown keys (with a suggestion), then the typed read.
fn check_and_read(src: &Source, keys: &KeyMap, dir: &Path) -> Result<Options, ConfigError> {
    for key in keys.keys() {
        if !KEYS.contains(&key.get_ref().as_str()) {
            let mut message = format!("unknown configuration key `{}`", key.get_ref());
            if let Some(near) = suggest(key.get_ref()) {
                message.push_str(&format!("; did you mean `{near}`?"));
            } else {
                message.push_str(&format!("; expected one of: {}", KEYS.join(", ")));
            }
            return Err(src.error(&key.span(), message));
        }
    }
    // A type error is reported with the key whose value holds it.
    let key_at = |offset: usize| {
        keys.iter()
            .find(|(_, v)| v.span().contains(&offset))
            .map_or(String::new(), |(k, _)| format!("`{}`: ", k.get_ref()))
    };
    let raw: RawOptions = if is_pyproject(src.path) {
        let doc: PyProject<RawOptions> = src.parse(key_at)?;
        doc.tool.and_then(|t| t.forklint)
    } else {
        Some(src.parse(key_at)?)
    }
    .expect("the key pass found the table");
    convert(src, raw, dir)
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn suggest(key: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn convert(src: &Source, raw: RawOptions, dir: &Path) -> Result<Options, ConfigError> {
    let selectors = |list: Option<Vec<Spanned<String>>>| -> Result<_, ConfigError> {
        list.map(|l| {
            l.iter()
                .map(|s| {
                    s.get_ref()
                        .parse::<RuleSelector>()
                        .map_err(|e| src.error(&s.span(), e))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
    };
    let paths = |list: Option<Vec<String>>| -> Vec<PathBuf> {
        list.into_iter()
            .flatten()
            .map(|p| absolute(&dir.join(p)))
            .collect()
    };
    let mut per_file_ignores = Vec::new();
    for (pattern, codes) in raw.per_file_ignores.into_iter().flatten() {
        let codes = selectors(Some(codes))?.unwrap_or_default();
        per_file_ignores.push(
            PerFileIgnore::new(pattern.get_ref(), dir, codes)
                .map_err(|e| src.error(&pattern.span(), e))?,
        );
    }
    let target_version = raw
        .target_version
        .map(|v| {
            v.get_ref()
                .parse::<PythonVersion>()
                .map_err(|e| src.error(&v.span(), format!("`target-version`: {e}")))
        })
        .transpose()?;
    if let Some(p) = raw.platforms.as_ref().filter(|p| p.get_ref().is_empty()) {
        return Err(src.error(
            &p.span(),
            "`platforms` must name at least one of linux, macos, windows".into(),
        ));
    }
    Ok(Options {
        selection: SelectionLayer {
            select: selectors(raw.select)?,
            extend_select: selectors(raw.extend_select)?.unwrap_or_default(),
            ignore: selectors(raw.ignore)?.unwrap_or_default(),
        },
        per_file_ignores,
        exclude: raw.exclude.map(|g| anchor_globs(g, dir)),
        extend_exclude: anchor_globs(raw.extend_exclude.unwrap_or_default(), dir),
        src: paths(raw.src),
        target_version,
        allowed_versions: None,
        platforms: raw.platforms.map(Spanned::into_inner),
        knowledge: paths(raw.knowledge),
        output_format: raw.output_format.map(|f| {
            let span = f.span();
            src.locate(f.into_inner(), &span)
        }),
        entry: anchor_globs(raw.entry.unwrap_or_default(), dir),
        python: raw.python.map(|p| absolute(&dir.join(p))),
        baseline: raw.baseline.map(|p| absolute(&dir.join(p))),
    })
}

/// Globs with a `/` are relative to the configuration file's directory; a bare name
/// (`.mypy_cache`, `gen_*.py`) matches that name anywhere, as in Ruff.
fn anchor_globs(globs: Vec<String>, dir: &Path) -> Vec<String> {
    globs
        .into_iter()
        .map(|g| {
            if g.contains('/') {
                dir.join(g.trim_start_matches("./"))
                    .to_string_lossy()
                    .into_owned()
            } else {
                g
            }
        })
        .collect()
}

/// Every supported Python version (py38…py314) a PEP 440 `requires-python` allows, oldest
/// first: a minor version counts when some release of it satisfies every clause (`>=3.9` →
/// 3.9…3.14, `~=3.10` → 3.10…3.14, `>=3.8,<3.11` → 3.8…3.10, `==3.11.*` → 3.11, `!=3.12.*`
/// leaves 3.12 out, `!=3.12.1` does not). A spec that allows none of them is clamped to the
/// nearest (`>=3.15` → 3.14, `<3.8` → 3.8). `None` when a clause cannot be read.
pub fn allowed_versions(spec: &str) -> Option<Vec<PythonVersion>> {
    let mut clauses = Vec::new();
    for clause in spec.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let split = clause
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(clause.len());
        let (op, version) = (clause[..split].trim(), clause[split..].trim());
        let wildcard = version.ends_with(".*");
        let mut parts = version.trim_end_matches(".*").split('.');
        let major: u8 = parts.next()?.parse().ok()?;
        let minor: Option<u8> = match parts.next() {
            Some(m) => Some(m.parse().ok()?),
            None => None,
        };
        let rest: Vec<u32> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
        if !matches!(op, ">=" | "~=" | "==" | "===" | ">" | "<" | "<=" | "!=") {
            return None;
        }
        clauses.push((
            op.to_string(),
            major,
            minor,
            !rest.is_empty() || wildcard,
            rest,
        ));
    }
    // Whether some release of 3.m satisfies one clause, compared at minor granularity.
    let allows =
        |m: u8, (op, major, minor, finer, rest): &(String, u8, Option<u8>, bool, Vec<u32>)| {
            let this = (3u8, m);
            let bound = (*major, minor.unwrap_or(0));
            let patch_above_zero = rest.first().is_some_and(|p| *p > 0);
            match op.as_str() {
                ">=" | ">" => this >= bound,
                // `~=3.10` is `>=3.10, ==3.*`; `~=3.10.2` is `>=3.10.2, ==3.10.*`.
                "~=" => {
                    if *finer {
                        this == bound
                    } else {
                        this >= bound && this.0 == bound.0
                    }
                }
                "==" | "===" => match minor {
                    Some(_) => this == bound,
                    None => this.0 == *major,
                },
                // `<3.12` excludes 3.12; `<3.12.1` allows 3.12.0.
                "<" => this < bound || (patch_above_zero && this == bound),
                "<=" => this <= bound || (minor.is_none() && this.0 == *major),
                // Only `!=3.12.*` (or `!=3.12`, meaning 3.12.0) can rule a minor version out.
                "!=" => !(minor.is_some() && rest.is_empty() && *finer && this == bound),
                _ => false,
            }
        };
    let supported = PythonVersion::SUPPORTED;
    let allowed: Vec<PythonVersion> = supported
        .clone()
        .filter(|&m| clauses.iter().all(|c| allows(m, c)))
        .map(|m| PythonVersion::new(3, m))
        .collect();
    if !allowed.is_empty() {
        return Some(allowed);
    }
    // Nothing supported is allowed: the nearest end of the supported range.
    let above = clauses.iter().any(|(op, major, minor, ..)| {
        op.starts_with('>') && (*major, minor.unwrap_or(0)) > (3, *supported.end())
    });
    Some(vec![PythonVersion::new(
        3,
        if above {
            *supported.end()
        } else {
            *supported.start()
        },
    )])
}

/// The oldest version of [`allowed_versions`].
pub fn lowest_allowed(spec: &str) -> Option<PythonVersion> {
    allowed_versions(spec)?.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python_gives_every_allowed_version() {
        let v = |s| {
            allowed_versions(s).map(|vs| {
                vs.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        };
        assert_eq!(v(">=3.11").as_deref(), Some("3.11 3.12 3.13 3.14"));
        assert_eq!(v(">=3.8,<3.11").as_deref(), Some("3.8 3.9 3.10"));
        assert_eq!(v(">=3.8,<3.11.2").as_deref(), Some("3.8 3.9 3.10 3.11"));
        assert_eq!(v("~=3.12").as_deref(), Some("3.12 3.13 3.14"));
        assert_eq!(v("~=3.12.1").as_deref(), Some("3.12"));
        assert_eq!(v("==3.11.*").as_deref(), Some("3.11"));
        assert_eq!(v(">=3.10,!=3.12.*").as_deref(), Some("3.10 3.11 3.13 3.14"));
        assert_eq!(
            v(">=3.10,!=3.12.1").as_deref(),
            Some("3.10 3.11 3.12 3.13 3.14")
        );
        assert_eq!(v("<=3.9").as_deref(), Some("3.8 3.9"));
        assert_eq!(
            v(">=3.8,<4").as_deref(),
            Some("3.8 3.9 3.10 3.11 3.12 3.13 3.14")
        );
        assert_eq!(v(">=3.15").as_deref(), Some("3.14"));
        assert_eq!(v("<3.7").as_deref(), Some("3.8"));
    }

    #[test]
    fn requires_python_gives_the_lowest_allowed_version() {
        let v = |s| lowest_allowed(s).map(|v| v.to_string());
        assert_eq!(v(">=3.9").as_deref(), Some("3.9"));
        assert_eq!(v("~=3.10").as_deref(), Some("3.10"));
        assert_eq!(v("~=3.10.2").as_deref(), Some("3.10"));
        assert_eq!(v(">=3.8,<4").as_deref(), Some("3.8"));
        assert_eq!(v(">= 3.11, != 3.11.1").as_deref(), Some("3.11"));
        assert_eq!(v("==3.12.*").as_deref(), Some("3.12"));
        assert_eq!(v(">3.10").as_deref(), Some("3.10"));
        assert_eq!(v("<3.12").as_deref(), Some("3.8"));
        assert_eq!(
            v(">=3").as_deref(),
            Some("3.8"),
            "clamped to the oldest supported"
        );
        assert_eq!(v(">=3.6").as_deref(), Some("3.8"));
        assert_eq!(
            v(">=3.15").as_deref(),
            Some("3.14"),
            "clamped to the newest"
        );
        assert_eq!(v(""), Some("3.8".into()));
        for bad in ["python3", ">=three", "^3.9", ">=3.x"] {
            assert_eq!(lowest_allowed(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_key_can_be_overridden() {
        let fragments = [
            ("select", "select = ['FL1']"),
            ("extend-select", "extend-select = ['FL002']"),
            ("ignore", "ignore = ['FL101']"),
            (
                "per-file-ignores",
                "per-file-ignores = { 'a.py' = ['FL1'] }",
            ),
            ("exclude", "exclude = ['gen']"),
            ("extend-exclude", "extend-exclude = ['gen']"),
            ("src", "src = ['lib']"),
            ("target-version", "target-version = 'py310'"),
            ("platforms", "platforms = ['macos']"),
            ("knowledge", "knowledge = ['k.toml']"),
            ("output-format", "output-format = 'json'"),
            ("entry", "entry = ['run.py']"),
            ("python", "python = '.venv'"),
            ("baseline", "baseline = 'forklint-baseline.json'"),
        ];
        assert_eq!(
            fragments.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            KEYS,
            "a fragment for each key"
        );
        for (key, fragment) in fragments {
            let over = parse_override(fragment).unwrap_or_else(|e| panic!("{fragment}: {e}"));
            let mut options = Options {
                allowed_versions: Some(vec![PythonVersion::PY312]),
                ..Options::default()
            };
            let before = format!("{options:?}");
            options.apply(&over);
            assert_ne!(format!("{options:?}"), before, "`{key}` changed nothing");
        }
        let mut options = Options {
            allowed_versions: Some(vec![PythonVersion::PY312]),
            ..Options::default()
        };
        options.apply(&parse_override("target-version = 'py310'").unwrap());
        assert_eq!(options.target_version, Some(PythonVersion::new(3, 10)));
        assert!(options.allowed_versions.is_none());
        assert!(parse_override("").is_err());
        assert!(parse_override("[tool.forklint]\nselect = ['FL1']").is_err());
    }

    #[test]
    fn near_miss_keys_get_a_suggestion() {
        assert_eq!(suggest("extend-selct"), Some("extend-select"));
        assert_eq!(suggest("extend_select"), Some("extend-select"));
        assert_eq!(suggest("platform"), Some("platforms"));
        assert_eq!(suggest("target_version"), Some("target-version"));
        assert_eq!(suggest("colour"), None);
    }
}
