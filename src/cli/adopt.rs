//! Adopting forklint on an existing codebase: `check --add-noqa`, `--write-baseline` and the
//! summary of `--baseline` (docs/adoption.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ruff_text_size::TextSize;

use crate::baseline::Baseline;
use crate::diagnostic::FileId;
use crate::program::{Program, SourceEncoding};
use crate::report::Finding;

/// A file's program and id, and where each of its findings starts, with its code.
type FileTargets<'a> = (&'a Program, FileId, Vec<(TextSize, &'a str)>);

/// `--add-noqa`: a directive for every finding (but syntax errors and FL002, which a `# noqa`
/// cannot suppress), written atomically file by file. Prints "Added N noqa directives." on
/// stderr, as Ruff does; exit 2 when a file could not be changed.
pub(super) fn add_noqa(findings: &[Finding], quiet: bool) -> u8 {
    let mut by_file: BTreeMap<PathBuf, FileTargets> = BTreeMap::new();
    for &(program, d) in findings {
        if matches!(d.code, "FL001" | "FL002") {
            continue;
        }
        let path = program.file(d.primary.file).path.clone();
        by_file
            .entry(path)
            .or_insert_with(|| (program, d.primary.file, Vec::new()))
            .2
            .push((d.primary.range.start(), d.code));
    }
    let mut added = 0usize;
    let mut failed = false;
    for (path, (program, file, targets)) in by_file {
        match add_to_file(program, file, &targets) {
            Ok(n) => added += n,
            Err(e) => {
                failed = true;
                eprintln!("error: cannot add `# noqa` to {}: {e}", path.display());
            }
        }
    }
    if !quiet {
        eprintln!(
            "Added {added} noqa {}.",
            if added == 1 {
                "directive"
            } else {
                "directives"
            }
        );
    }
    if failed {
        super::EXIT_ERROR
    } else {
        super::EXIT_CLEAN
    }
}

/// Adds the directives to one file; how many lines changed.
fn add_to_file(
    program: &Program,
    file: FileId,
    targets: &[(TextSize, &str)],
) -> Result<usize, String> {
    let f = program.file(file);
    if f.text_changed() {
        return Err(
            "the file changed on disk since it was read; not changed (run forklint again)".into(),
        );
    }
    let text = f.text();
    let Some(added) = crate::add_noqa::add_noqa(text, targets).map_err(|e| e.to_string())? else {
        return Ok(0);
    };
    // The file is written back in its own encoding (the directives are ASCII).
    let (original, new): (Vec<u8>, Vec<u8>) = match &f.encoding {
        SourceEncoding::Utf8 => (text.as_bytes().to_vec(), added.text.into_bytes()),
        SourceEncoding::Latin1 => {
            let latin1 = |t: &str| -> Option<Vec<u8>> {
                t.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
            };
            match (latin1(text), latin1(&added.text)) {
                (Some(a), Some(b)) => (a, b),
                _ => return Err("the text does not fit its encoding (latin-1)".into()),
            }
        }
        SourceEncoding::Other(encoding) => {
            let (a, _, bad_a) = encoding.encode(text);
            let (b, _, bad_b) = encoding.encode(&added.text);
            let on_disk = std::fs::read(&f.path).map_err(|e| e.to_string())?;
            if bad_a || bad_b || a.as_ref() != on_disk.as_slice() {
                return Err(format!(
                    "its encoding ({}) does not read back to the same bytes; not changed",
                    encoding.name()
                ));
            }
            (a.into_owned(), b.into_owned())
        }
        SourceEncoding::Invalid(_) => return Ok(0),
    };
    crate::fix::write::write_fixed_bytes(&f.path, &original, &new).map_err(|e| e.to_string())?;
    Ok(added.lines)
}

/// `--write-baseline FILE`: every finding (but syntax errors) into the baseline, atomically.
pub(super) fn write_baseline(path: &Path, findings: &[Finding], quiet: bool) -> u8 {
    match crate::baseline::write(path, findings) {
        Ok(n) => {
            if !quiet {
                eprintln!(
                    "Wrote {n} {} to the baseline {}.",
                    if n == 1 { "finding" } else { "findings" },
                    path.display()
                );
                let syntax = findings.iter().filter(|(_, d)| d.code == "FL001").count();
                if syntax > 0 {
                    eprintln!(
                        "warning: {syntax} syntax {} (FL001) not baselined: they are always \
                         reported",
                        if syntax == 1 {
                            "error is"
                        } else {
                            "errors are"
                        }
                    );
                }
            }
            super::EXIT_CLEAN
        }
        Err(e) => {
            eprintln!("error: cannot write the baseline {}: {e}", path.display());
            super::EXIT_ERROR
        }
    }
}

/// The lines the summary gets for a baseline: how many findings it hid, and how many of its
/// entries matched nothing.
pub(super) fn baseline_summary(baseline: &Baseline, matched: usize, stale: usize) -> String {
    let mut out = format!(
        "{matched} baselined {} not shown ({}).",
        if matched == 1 { "finding" } else { "findings" },
        baseline.path.display()
    );
    if stale > 0 {
        out.push_str(&format!(
            "\n{stale} baseline {} matched nothing (fixed, or the line changed); \
             `--write-baseline {}` drops {}.",
            if stale == 1 { "entry" } else { "entries" },
            baseline.path.display(),
            if stale == 1 { "it" } else { "them" }
        ));
    }
    out
}
