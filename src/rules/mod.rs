//! The lint rules (code). Not to be confused with top-level `rules/`, the knowledge base (data).
//!
//! Each rule is one file holding its metadata, its documentation and its check. This table is
//! the one place a rule is registered.

pub mod combine;
pub mod docs;
pub mod fork;
pub mod general;
pub mod import_time;
pub mod selection;
pub mod shutdown;
pub mod subinterp;

use crate::diagnostic::{Diagnostic, Severity};
use crate::program::Program;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    General,
    ImportTime,
    Fork,
    Subinterp,
    Shutdown,
}

impl Family {
    /// Every family, in code order (the order of the rules index).
    pub const ALL: [Family; 5] = [
        Family::General,
        Family::ImportTime,
        Family::Fork,
        Family::Subinterp,
        Family::Shutdown,
    ];

    /// The identifier used in JSON output (`general`, `import-time`).
    pub fn id(self) -> &'static str {
        match self {
            Family::General => "general",
            Family::ImportTime => "import-time",
            Family::Fork => "fork",
            Family::Subinterp => "subinterp",
            Family::Shutdown => "shutdown",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::General => "General",
            Family::ImportTime => "Import-time hazards (FL1xx)",
            Family::Fork => "Fork hazards (FL2xx)",
            Family::Subinterp => "Subinterpreter hazards (FL3xx)",
            Family::Shutdown => "Shutdown and finalization hazards (FL4xx)",
        }
    }
}

/// Whether a rule can offer an edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    None,
    /// A suggestion in words only.
    Display,
    Unsafe,
    Safe,
}

impl FixAvailability {
    /// The identifier used in JSON output and tables (`none`, `display`, `unsafe`, `safe`).
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Display => "display",
            FixAvailability::Unsafe => "unsafe",
            FixAvailability::Safe => "safe",
        }
    }

    /// What it means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Display => "a suggestion in words only (no edit)",
            FixAvailability::Unsafe => "an edit that may change behaviour (unsafe)",
            FixAvailability::Safe => "an edit that keeps behaviour (safe)",
        }
    }
}

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub family: Family,
    pub severity: Severity,
    pub default_enabled: bool,
    pub fix: FixAvailability,
    /// One line, shown by `forklint rules`.
    pub summary: &'static str,
    /// Markdown: What it does / Why is this bad? / Example / Use instead / When it does not
    /// apply / Python versions and platforms.
    pub doc: &'static str,
    pub check: fn(&Program, &mut Vec<Diagnostic>),
}

/// Where a rule's documentation is published (`docs/rules/<CODE>.md` in the repository).
pub const DOCS_BASE_URL: &str = "https://github.com/forklint/forklint/blob/main/docs/rules";

impl Rule {
    /// The rule's documentation page, generated from this metadata (`docs/rules/<CODE>.md`).
    pub fn docs_url(&self) -> String {
        format!("{DOCS_BASE_URL}/{}.md", self.code)
    }
}

/// Every rule, in code order.
pub static RULES: &[&Rule] = &[
    &general::fl001_syntax_error::RULE,
    &general::fl002_unused_noqa::RULE,
    &import_time::fl101_import_time_thread_start::RULE,
    &import_time::fl102_import_time_thread_wait::RULE,
    &import_time::fl103_import_time_process_spawn::RULE,
    &import_time::fl104_import_time_thread_imports::RULE,
    &import_time::fl105_import_of_side_effect_module::RULE,
    &import_time::fl106_import_time_daemon_thread::RULE,
    &import_time::fl107_mp_start_without_main_guard::RULE,
    &fork::fl201_fork_after_threads::RULE,
    &fork::fl202_fork_after_library_threads::RULE,
    &fork::fl203_preexec_fn_with_threads::RULE,
    &fork::fl204_explicit_fork_start_method::RULE,
    &fork::fl205_implicit_start_method_portability::RULE,
    &fork::fl206_lock_held_across_fork::RULE,
    &fork::fl207_fork_child_without_exit::RULE,
    &fork::fl208_forkserver_preload_threads::RULE,
    &subinterp::fl301_subinterp_exec_on_pooled_thread::RULE,
    &subinterp::fl302_subinterp_destroy_without_join::RULE,
    &subinterp::fl303_subinterp_racy_is_running::RULE,
    &subinterp::fl304_subinterp_signal_handler::RULE,
    &subinterp::fl305_shielded_unbounded_teardown::RULE,
    &subinterp::fl306_subinterp_forbidden_operation::RULE,
    &subinterp::fl307_subinterp_private_module::RULE,
    &subinterp::fl308_interp_pool_unshareable_callable::RULE,
    &subinterp::fl309_subinterp_legacy_shared_gil::RULE,
    &shutdown::fl401_daemon_thread_python_work::RULE,
    &shutdown::fl402_native_thread_extension_at_import::RULE,
    &shutdown::fl403_atexit_stops_nondaemon_thread::RULE,
    &shutdown::fl404_thread_never_joined::RULE,
    &shutdown::fl405_spawn_during_finalization::RULE,
    &shutdown::fl406_import_after_shutdown::RULE,
    &shutdown::fl407_subinterp_threads_at_exit::RULE,
];

pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// Runs every rule `selection` enables and returns the findings, minus those its
/// `per-file-ignores` drop, sorted by file, position and code.
pub fn check_all(program: &Program, selection: &selection::RuleSelection) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    // Rules only read the program: they run in parallel, and the sort below makes the
    // order independent of which finished first.
    let mut out: Vec<Diagnostic> = RULES
        .par_iter()
        .filter(|rule| selection.is_enabled(rule.code))
        .flat_map_iter(|rule| {
            let mut found = Vec::new();
            (rule.check)(program, &mut found);
            found
        })
        .collect();
    sort_diagnostics(&mut out);
    out.retain(|d| !selection.ignored_in_file(d.code, &program.file(d.primary.file).path));
    out
}

/// Sorts findings by file, position and code, and drops repeats of the same finding.
pub fn sort_diagnostics(out: &mut Vec<Diagnostic>) {
    out.sort_by(|a, b| {
        (a.primary.file, a.primary.range.start(), a.code).cmp(&(
            b.primary.file,
            b.primary.range.start(),
            b.code,
        ))
    });
    out.dedup_by(|a, b| a.code == b.code && a.primary == b.primary);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(seen.insert(r.name), "duplicate name {}", r.name);
            assert!(r.code.len() == 5 && r.code.starts_with("FL"), "{}", r.code);
            assert!(
                r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.name
            );
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(r.doc.contains(section), "{} doc lacks {section}", r.code);
            }
        }
    }
}
