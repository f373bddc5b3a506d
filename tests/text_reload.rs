//! Source text is not kept after analysis; it is read again from disk for diagnostics. A file
//! that changed (or vanished) in between must be noticed and must never cause a panic.

use std::sync::Arc;

use forklint::diagnostic::FileId;
use forklint::discover::FoundFile;
use forklint::knowledge::Knowledge;
use forklint::program::{Program, Source};
use forklint::settings::Settings;

fn program_for(path: &std::path::Path, analysed_text: &str) -> Program {
    let source = Source {
        found: FoundFile {
            path: path.to_path_buf(),
            module: "app".into(),
            is_package: false,
            explicit: true,
            project: 0,
            library: false,
        },
        text: Arc::from(analysed_text),
        keep_text: false,
        encoding: forklint::program::SourceEncoding::Utf8,
    };
    let knowledge =
        Knowledge::load(&Vec::<std::path::PathBuf>::new()).expect("built-in knowledge loads");
    Program::from_sources(vec![source], Vec::new(), knowledge, Settings::default())
}

#[test]
fn unchanged_file_is_read_back_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.py");
    let text = "import threading\nthreading.Thread(target=print).start()\n";
    std::fs::write(&path, text).unwrap();
    let program = program_for(&path, text);
    let file = program.file(FileId(0));
    assert!(!file.text_changed());
    assert_eq!(file.text(), text);
    assert_eq!(file.line_col(ruff_text_size::TextSize::new(17)), (2, 1));
}

#[test]
fn changed_or_deleted_file_is_noticed_and_offsets_are_clamped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.py");
    let analysed = "import threading\nthreading.Thread(target=print).start()\n";
    std::fs::write(&path, "x = 1\n").unwrap();
    let program = program_for(&path, analysed);
    let file = program.file(FileId(0));
    assert!(file.text_changed());
    // An offset past the end of the new text is clamped, not a panic.
    let far = ruff_text_size::TextSize::new(analysed.len() as u32);
    assert_eq!(file.line_col(far), (2, 1));
    let range = ruff_text_size::TextRange::new(0.into(), far);
    assert_eq!(file.slice(range), "");

    let gone = dir.path().join("gone.py");
    let program = program_for(&gone, analysed);
    let file = program.file(FileId(0));
    assert!(file.text_changed());
    assert_eq!(file.text(), "");
    assert_eq!(file.line_col(far), (1, 1));
}
