//! Which rules run, and where their findings are dropped: the one place rule selection is
//! resolved (configuration files and `--select`/`--extend-select`/`--ignore` both end here).
//!
//! Semantics follow Ruff (docs/configuration.md):
//! - a selector is `ALL`, a full code (`FL101`) or a code prefix (`FL`, `FL1`, `FL10`);
//! - start from the default-enabled rules; a layer (the config file, then the command line)
//!   with `select` starts over from exactly what it selects;
//! - within a layer, `select`/`extend-select` enable and `ignore` disables, applied from the
//!   least specific selector to the most specific (`ALL` < `FL` < `FL1` < `FL10` < `FL101`), so
//!   the more specific one wins; at equal specificity `ignore` wins;
//! - a rule that is not default-enabled runs only when some selector matches it: its code, a
//!   prefix of it or `ALL` (as Ruff's RUF100);
//! - `per-file-ignores` then drops findings whose primary file matches a glob.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use globset::{Glob, GlobMatcher};

use super::{RULES, Rule};

/// `ALL`, or a code prefix that matches at least one rule (a full code is its own prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSelector {
    All,
    Prefix(String),
}

impl RuleSelector {
    /// Parses against `rules`; `None` when the selector matches no rule.
    pub fn parse_in(s: &str, rules: &[&Rule]) -> Option<Self> {
        let s = s.trim();
        if s == "ALL" {
            return Some(Self::All);
        }
        let upper = s.to_ascii_uppercase();
        (upper.starts_with("FL") && rules.iter().any(|r| r.code.starts_with(&upper)))
            .then_some(Self::Prefix(upper))
    }

    pub fn matches(&self, code: &str) -> bool {
        match self {
            Self::All => true,
            Self::Prefix(p) => code.starts_with(p.as_str()),
        }
    }

    /// `ALL` is 0; a prefix counts its characters, so a full code is the most specific.
    fn specificity(&self) -> usize {
        match self {
            Self::All => 0,
            Self::Prefix(p) => p.len(),
        }
    }
}

impl FromStr for RuleSelector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse_in(s, RULES).ok_or_else(|| {
            format!("unknown rule code or prefix `{s}` (expected `ALL`, a code such as `FL101`, or a prefix such as `FL1`; `forklint rules` lists them)")
        })
    }
}

impl fmt::Display for RuleSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("ALL"),
            Self::Prefix(p) => f.write_str(p),
        }
    }
}

/// One source of selection options: the configuration file or the command line.
#[derive(Clone, Debug, Default)]
pub struct SelectionLayer {
    /// Replaces everything enabled so far.
    pub select: Option<Vec<RuleSelector>>,
    pub extend_select: Vec<RuleSelector>,
    pub ignore: Vec<RuleSelector>,
}

/// The codes enabled after applying `layers` in order to the default-enabled rules of `rules`.
pub fn resolve(rules: &[&Rule], layers: &[SelectionLayer]) -> Vec<&'static str> {
    let mut enabled: Vec<bool> = rules.iter().map(|r| r.default_enabled).collect();
    for layer in layers {
        if layer.select.is_some() {
            enabled.iter_mut().for_each(|e| *e = false);
        }
        // (specificity, is_ignore, selector): sorted, later entries override earlier ones.
        let mut steps: Vec<(usize, bool, &RuleSelector)> = layer
            .select
            .iter()
            .flatten()
            .chain(&layer.extend_select)
            .map(|s| (s.specificity(), false, s))
            .chain(layer.ignore.iter().map(|s| (s.specificity(), true, s)))
            .collect();
        steps.sort_by_key(|(specificity, ignore, _)| (*specificity, *ignore));
        for (_, ignore, selector) in steps {
            for (rule, on) in rules.iter().zip(enabled.iter_mut()) {
                if selector.matches(rule.code) {
                    *on = !ignore;
                }
            }
        }
    }
    rules
        .iter()
        .zip(enabled)
        .filter(|(_, on)| *on)
        .map(|(r, _)| r.code)
        .collect()
}

/// `per-file-ignores`: findings of `codes` in files matching the glob are dropped.
#[derive(Clone, Debug)]
pub struct PerFileIgnore {
    /// As written, for messages.
    pub pattern: String,
    /// The glob made absolute against the configuration file's directory.
    absolute: GlobMatcher,
    /// A glob without `/` also matches a file's name anywhere (as in Ruff).
    basename: Option<GlobMatcher>,
    codes: Vec<RuleSelector>,
}

impl PerFileIgnore {
    /// `pattern` relative to `base` (the configuration file's directory).
    pub fn new(pattern: &str, base: &Path, codes: Vec<RuleSelector>) -> Result<Self, String> {
        let glob = |p: &str| {
            Glob::new(p)
                .map(|g| g.compile_matcher())
                .map_err(|e| format!("invalid glob `{pattern}`: {e}"))
        };
        let absolute = glob(&base.join(pattern).to_string_lossy())?;
        let basename = if pattern.contains('/') {
            None
        } else {
            Some(glob(pattern)?)
        };
        Ok(Self {
            pattern: pattern.to_string(),
            absolute,
            basename,
            codes,
        })
    }

    /// The rule selectors it drops (for `--show-settings`).
    pub fn codes(&self) -> &[RuleSelector] {
        &self.codes
    }

    fn matches(&self, abs: &Path) -> bool {
        self.absolute.is_match(abs)
            || self
                .basename
                .as_ref()
                .is_some_and(|b| abs.file_name().is_some_and(|n| b.is_match(n)))
    }
}

/// Resolved selection: the rules that run and the per-file ignores applied to their findings.
#[derive(Clone, Debug)]
pub struct RuleSelection {
    enabled: Vec<&'static str>,
    pub per_file_ignores: Vec<PerFileIgnore>,
}

impl Default for RuleSelection {
    /// The default-enabled rules, no per-file ignores.
    fn default() -> Self {
        Self::new(&[], Vec::new())
    }
}

impl RuleSelection {
    pub fn new(layers: &[SelectionLayer], per_file_ignores: Vec<PerFileIgnore>) -> Self {
        Self {
            enabled: resolve(RULES, layers),
            per_file_ignores,
        }
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        self.enabled.contains(&code)
    }

    /// The codes of the rules that run, in catalogue order.
    pub fn enabled(&self) -> &[&'static str] {
        &self.enabled
    }

    /// Whether a finding of `code` whose primary file is `path` is dropped by `per-file-ignores`.
    pub fn ignored_in_file(&self, code: &str, path: &Path) -> bool {
        if self.per_file_ignores.is_empty() {
            return false;
        }
        let abs: PathBuf = crate::discover::absolute(path);
        self.per_file_ignores
            .iter()
            .any(|p| p.codes.iter().any(|c| c.matches(code)) && p.matches(&abs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::rules::{Family, FixAvailability};

    const fn rule(code: &'static str, default_enabled: bool) -> Rule {
        Rule {
            code,
            name: "x",
            family: Family::General,
            severity: Severity::Warning,
            default_enabled,
            fix: FixAvailability::None,
            summary: "",
            doc: "",
            check: |_, _| {},
        }
    }
    static FL001: Rule = rule("FL001", true);
    static FL002: Rule = rule("FL002", false);
    static FL101: Rule = rule("FL101", true);
    static FL102: Rule = rule("FL102", true);
    static FL110: Rule = rule("FL110", true);
    static TABLE: &[&Rule] = &[&FL001, &FL002, &FL101, &FL102, &FL110];

    fn sel(s: &str) -> RuleSelector {
        RuleSelector::parse_in(s, TABLE).unwrap_or_else(|| panic!("{s}"))
    }
    fn sels(list: &[&str]) -> Vec<RuleSelector> {
        list.iter().map(|s| sel(s)).collect()
    }
    fn layer(select: Option<&[&str]>, extend: &[&str], ignore: &[&str]) -> SelectionLayer {
        SelectionLayer {
            select: select.map(sels),
            extend_select: sels(extend),
            ignore: sels(ignore),
        }
    }

    #[test]
    fn prefixes_match_by_leading_characters() {
        assert!(sel("FL1").matches("FL101"));
        assert!(sel("fl10").matches("FL102"), "case-insensitive");
        assert!(!sel("FL10").matches("FL110"));
        assert!(sel("FL101").matches("FL101"));
        assert!(sel("ALL").matches("FL002"));
        for unknown in ["FL9", "FL1010", "F", "", "all", "FL-1"] {
            assert_eq!(RuleSelector::parse_in(unknown, TABLE), None, "{unknown}");
        }
        assert!("FL107".parse::<RuleSelector>().is_ok());
        assert!("FL999".parse::<RuleSelector>().is_err());
    }

    #[test]
    fn defaults_exclude_rules_that_are_not_default_enabled() {
        assert_eq!(resolve(TABLE, &[]), ["FL001", "FL101", "FL102", "FL110"]);
    }

    #[test]
    fn select_replaces_and_extend_select_adds() {
        let l = layer(Some(&["FL1"]), &[], &[]);
        assert_eq!(resolve(TABLE, &[l]), ["FL101", "FL102", "FL110"]);
        let l = layer(None, &["FL002"], &[]);
        assert_eq!(
            resolve(TABLE, &[l]),
            ["FL001", "FL002", "FL101", "FL102", "FL110"]
        );
        // A non-default rule comes in through a prefix or ALL too.
        let l = layer(Some(&["FL0"]), &[], &[]);
        assert_eq!(resolve(TABLE, &[l]), ["FL001", "FL002"]);
        let l = layer(Some(&["ALL"]), &[], &[]);
        assert_eq!(resolve(TABLE, &[l]).len(), 5);
    }

    #[test]
    fn the_more_specific_selector_wins_and_ignore_wins_ties() {
        let l = layer(Some(&["FL1"]), &[], &["FL10"]);
        assert_eq!(resolve(TABLE, &[l]), ["FL110"]);
        let l = layer(Some(&["FL101"]), &[], &["FL1"]);
        assert_eq!(resolve(TABLE, &[l]), ["FL101"]);
        let l = layer(Some(&["ALL"]), &[], &["ALL"]);
        assert!(resolve(TABLE, &[l]).is_empty());
        let l = layer(None, &["FL101"], &["FL101"]);
        assert_eq!(resolve(TABLE, &[l]), ["FL001", "FL102", "FL110"]);
    }

    #[test]
    fn a_later_layer_with_select_starts_over_otherwise_it_adjusts() {
        let config = layer(Some(&["FL1"]), &[], &["FL102"]);
        let cli = layer(None, &["FL001"], &[]);
        assert_eq!(
            resolve(TABLE, &[config.clone(), cli]),
            ["FL001", "FL101", "FL110"]
        );
        let cli = layer(Some(&["FL102"]), &[], &[]);
        assert_eq!(resolve(TABLE, &[config, cli]), ["FL102"]);
    }

    #[test]
    fn per_file_ignores_match_relative_globs_and_basenames() {
        let base = Path::new("/proj");
        let tests = PerFileIgnore::new("tests/**", base, sels(&["FL1"])).unwrap();
        let conftest = PerFileIgnore::new("conftest.py", base, sels(&["FL101"])).unwrap();
        let s = RuleSelection {
            enabled: vec![],
            per_file_ignores: vec![tests, conftest],
        };
        assert!(s.ignored_in_file("FL101", Path::new("/proj/tests/a/b.py")));
        assert!(!s.ignored_in_file("FL001", Path::new("/proj/tests/a/b.py")));
        assert!(!s.ignored_in_file("FL101", Path::new("/other/tests/b.py")));
        assert!(s.ignored_in_file("FL101", Path::new("/proj/x/conftest.py")));
        assert!(!s.ignored_in_file("FL102", Path::new("/proj/x/conftest.py")));
        assert!(PerFileIgnore::new("[bad", base, vec![]).is_err());
    }
}
