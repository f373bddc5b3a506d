//! Baselines: the findings a project accepted when it adopted forklint, so that a run reports
//! only new ones (`--baseline FILE`, `--write-baseline FILE`, `baseline = "…"`).
//!
//! A finding is matched by the `forklint/v1` fingerprint of the SARIF output (its code, its
//! file and the text of its line with whitespace collapsed, and which occurrence of that
//! triple it is), computed with file paths relative to the baseline's directory: lines moved
//! by edits elsewhere in the file do not make a baselined finding new, and the baseline does
//! not depend on the directory forklint runs in. The format is in docs/adoption.md.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::{Finding, sarif};

/// The version of the file format this build reads and writes.
pub const VERSION: u32 = 1;
/// The fingerprint scheme the entries hold.
pub const FINGERPRINT: &str = "forklint/v1";

/// The file, as written and read.
#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    fingerprint: String,
    findings: Vec<Entry>,
}

/// One accepted finding. Only `fingerprint` is matched; the rest tells a reader what it is.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    code: String,
    path: String,
    message: String,
}

/// A baseline that was read.
#[derive(Debug)]
pub struct Baseline {
    pub path: PathBuf,
    /// The directory fingerprints are computed against (absolute).
    root: PathBuf,
    fingerprints: HashSet<String>,
}

/// Findings that never go into a baseline: a file that does not parse is always reported.
fn baselinable(finding: &Finding) -> bool {
    finding.1.code != crate::rules::general::fl001_syntax_error::RULE.code
}

fn root_of(path: &Path) -> PathBuf {
    crate::discover::absolute(path)
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// Reads the baseline at `path`. The message names the file.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
    let malformed = |e: serde_json::Error| {
        format!(
            "the baseline {} is not a forklint baseline: {e}",
            path.display()
        )
    };
    // The version first: a newer format is named as such, not as a missing field.
    let value: serde_json::Value = serde_json::from_str(&text).map_err(malformed)?;
    match value.get("version").map(serde_json::Value::as_u64) {
        Some(Some(v)) if v == u64::from(VERSION) => {}
        Some(Some(v)) => {
            return Err(format!(
                "the baseline {} has version {v}; this forklint reads version {VERSION} \
                 (write it again with `--write-baseline`)",
                path.display(),
            ));
        }
        _ => {
            return Err(format!(
                "the baseline {} is not a forklint baseline: no `version` number",
                path.display()
            ));
        }
    }
    let file: BaselineFile = serde_json::from_value(value).map_err(malformed)?;
    if file.fingerprint != FINGERPRINT {
        return Err(format!(
            "the baseline {} holds `{}` fingerprints; this forklint computes `{FINGERPRINT}` \
             (write it again with `--write-baseline`)",
            path.display(),
            file.fingerprint
        ));
    }
    Ok(Baseline {
        path: path.to_path_buf(),
        root: root_of(path),
        fingerprints: file.findings.into_iter().map(|e| e.fingerprint).collect(),
    })
}

/// The findings `findings` leaves after `baseline`, how many it matched, and how many of its
/// entries matched nothing (fixed since, or changed beyond recognition).
pub fn filter<'a>(
    findings: Vec<Finding<'a>>,
    baseline: &Baseline,
) -> (Vec<Finding<'a>>, usize, usize) {
    let prints = sarif::fingerprints(&findings, &baseline.root);
    let mut matched: HashSet<&str> = HashSet::new();
    let mut kept = Vec::with_capacity(findings.len());
    for (finding, (_, print)) in findings.into_iter().zip(&prints) {
        if baselinable(&finding) && baseline.fingerprints.contains(print) {
            matched.insert(print);
        } else {
            kept.push(finding);
        }
    }
    let stale = baseline.fingerprints.len() - matched.len();
    (kept, matched.len(), stale)
}

/// Writes `findings` (all but syntax errors) as the baseline at `path`, atomically. Returns
/// how many were written.
pub fn write(path: &Path, findings: &[Finding]) -> std::io::Result<usize> {
    let prints = sarif::fingerprints(findings, &root_of(path));
    let entries: Vec<Entry> = findings
        .iter()
        .zip(prints)
        .filter(|(f, _)| baselinable(f))
        .map(|((_, d), (uri, fingerprint))| Entry {
            fingerprint,
            code: d.code.to_string(),
            path: uri,
            message: d.message.clone(),
        })
        .collect();
    let count = entries.len();
    let file = BaselineFile {
        version: VERSION,
        fingerprint: FINGERPRINT.to_string(),
        findings: entries,
    };
    let mut json = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
    json.push('\n');
    crate::fix::write::atomic_write(path, json.as_bytes(), None)?;
    Ok(count)
}
