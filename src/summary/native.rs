//! A heuristic scan of in-project native sources (Rust with PyO3, C) for extension modules
//! whose module init spawns a thread that calls back into Python (FL402). Python's AST cannot
//! see these threads (RULES.md §5.1); this reads the text, skipping comments and string
//! literals when matching brackets. It looks for one shape only:
//!
//! - Rust: a `#[pymodule]` function whose body calls `thread::spawn(...)` (or a thread
//!   `Builder`'s `.spawn(...)`) with `with_gil(` or `Python::attach(` inside the spawned
//!   closure;
//! - C/C++: a `PyInit_<name>` function that calls `pthread_create(...)`, whose thread
//!   function (or, when it cannot be found, the file) calls `PyGILState_Ensure`.

use ruff_text_size::{TextRange, TextSize};

/// A module init that starts a native thread which takes the GIL.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NativeInit {
    /// The module name Python imports (its last component).
    pub module: String,
    /// The init function's name.
    pub init: TextRange,
    /// The thread spawn call.
    pub spawn: TextRange,
}

/// Source extensions scanned as native code.
pub const NATIVE_EXTENSIONS: &[&str] = &["rs", "c", "cc", "cpp", "cxx"];

pub fn is_native(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NATIVE_EXTENSIONS.contains(&e))
}

pub fn scan(text: &str, rust: bool) -> Vec<NativeInit> {
    let code = blank_comments_and_strings(text, rust);
    if rust {
        scan_rust(text, &code)
    } else {
        scan_c(&code)
    }
}

fn range(start: usize, len: usize) -> TextRange {
    TextRange::at(TextSize::new(start as u32), TextSize::new(len as u32))
}

fn scan_rust(text: &str, code: &str) -> Vec<NativeInit> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("#[pymodule").map(|i| i + from) {
        from = at + 1;
        let Some(fn_at) = code[at..].find("fn ").map(|i| i + at) else {
            break;
        };
        // Attributes between `#[pymodule]` and `fn` may rename the module: `name = "…"`
        // (read from the original text: string contents are blanked in `code`).
        let attrs = &text[at..fn_at];
        let name_start = fn_at + 3;
        let name_len = code[name_start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(0);
        let fn_name = &code[name_start..name_start + name_len];
        let module = attr_name(attrs).unwrap_or(fn_name).to_string();
        let Some(open) = code[name_start..].find('{').map(|i| i + name_start) else {
            continue;
        };
        let Some(close) = matching(code, open) else {
            continue;
        };
        let body = &code[open..close];
        for needle in ["thread::spawn(", ".spawn("] {
            let Some(spawn_rel) = body.find(needle) else {
                continue;
            };
            let spawn = open + spawn_rel;
            let paren = spawn + needle.len() - 1;
            let end = matching(code, paren).unwrap_or(close);
            let closure = &code[paren..end];
            if closure.contains("with_gil(") || closure.contains("Python::attach(") {
                out.push(NativeInit {
                    module: module.clone(),
                    init: range(name_start, name_len),
                    spawn: range(spawn, needle.len() - 1),
                });
                break;
            }
        }
        from = close;
    }
    out
}

/// `name = "x"` inside attributes (`#[pyo3(name = "x")]`, `#[pymodule(name = "x")]`).
fn attr_name(attrs: &str) -> Option<&str> {
    let i = attrs.find("name")?;
    let rest = attrs[i + 4..].trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

fn scan_c(code: &str) -> Vec<NativeInit> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("PyInit_").map(|i| i + from) {
        from = at + 1;
        let name_start = at + "PyInit_".len();
        let name_len = code[name_start..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(0);
        let module = &code[name_start..name_start + name_len];
        let after = &code[name_start + name_len..];
        // A definition: `(...)` then `{`, not a declaration or a call.
        let Some(params_close) = after.trim_start().strip_prefix('(').and(matching(
            code,
            name_start + name_len + after.find('(').unwrap_or(0),
        )) else {
            continue;
        };
        let rest = &code[params_close + 1..];
        if !rest.trim_start().starts_with('{') {
            continue;
        }
        let open = params_close + 1 + rest.find('{').unwrap_or(0);
        let Some(close) = matching(code, open) else {
            continue;
        };
        let body = &code[open..close];
        let Some(spawn_rel) = body.find("pthread_create(") else {
            from = close;
            continue;
        };
        let spawn = open + spawn_rel;
        let paren = spawn + "pthread_create".len();
        let end = matching(code, paren).unwrap_or(close);
        let thread_fn = code[paren + 1..end]
            .split(',')
            .nth(2)
            .map(|a| a.trim().trim_start_matches('&').trim())
            .unwrap_or("");
        let takes_gil = function_body(code, thread_fn)
            .map_or(code.contains("PyGILState_Ensure"), |b| {
                b.contains("PyGILState_Ensure")
            });
        if takes_gil {
            out.push(NativeInit {
                module: module.to_string(),
                init: range(at, "PyInit_".len() + name_len),
                spawn: range(spawn, "pthread_create".len()),
            });
        }
        from = close;
    }
    out
}

/// The body of C function `name`'s definition, if the file has one.
fn function_body<'c>(code: &'c str, name: &str) -> Option<&'c str> {
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let mut from = 0;
    while let Some(at) = code[from..].find(name).map(|i| i + from) {
        from = at + name.len();
        let before_ok = at == 0
            || !code[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &code[from..];
        if !before_ok || !after.trim_start().starts_with('(') {
            continue;
        }
        let paren = from + after.find('(').unwrap_or(0);
        let close = matching(code, paren)?;
        let rest = &code[close + 1..];
        if rest.trim_start().starts_with('{') {
            let open = close + 1 + rest.find('{').unwrap_or(0);
            let end = matching(code, open)?;
            return Some(&code[open..end]);
        }
    }
    None
}

/// The index of the bracket closing the one at `open` (`(`, `[` or `{`).
fn matching(code: &str, open: usize) -> Option<usize> {
    let bytes = code.as_bytes();
    let (o, c) = match bytes.get(open)? {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        if b == o {
            depth += 1;
        } else if b == c {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The text with comments and the contents of string and character literals replaced by
/// spaces (same length, same offsets), so brackets and names inside them do not count.
fn blank_comments_and_strings(text: &str, rust: bool) -> String {
    let mut out: Vec<u8> = text.as_bytes().to_vec();
    let b = text.as_bytes();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for x in &mut out[from..to.min(b.len())] {
            if *x != b'\n' {
                *x = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j);
                i = j + 1;
            }
            // C character literals; in Rust a quote is also a lifetime, so only `'x'` and
            // `'\x'` forms are treated as literals there.
            b'\'' => {
                let lit = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map(|p| i + 2 + p)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else if !rust {
                    b[i + 1..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map(|p| i + 1 + p)
                } else {
                    None
                };
                match lit {
                    Some(end) => {
                        blank(&mut out, i + 1, end);
                        i = end + 1;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were replaced by ASCII spaces inside whole literals/comments, but a
    // multi-byte character may have been cut by a stray quote: fall back to a lossy copy.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyo3_init_thread_with_gil() {
        let src = r#"
use pyo3::prelude::*;
// thread::spawn( in a comment does not count
#[pymodule]
fn spinner(m: &Bound<'_, PyModule>) -> PyResult<()> {
    std::thread::spawn(|| loop { Python::with_gil(|_py| {}); });
    Ok(())
}
"#;
        let found = scan(src, true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].module, "spinner");
        assert_eq!(
            &src[found[0].spawn],
            "std::thread::spawn".trim_start_matches("std::")
        );
    }

    #[test]
    fn pyo3_renamed_and_gil_free_threads() {
        let renamed = "#[pymodule]\n#[pyo3(name = \"_native\")]\nfn native(m: &Bound<'_, PyModule>) -> PyResult<()> {\n    thread::spawn(move || Python::attach(|py| py.None()));\n    Ok(())\n}\n";
        assert_eq!(scan(renamed, true)[0].module, "_native");
        let no_gil = "#[pymodule]\nfn quiet(m: &Bound<'_, PyModule>) -> PyResult<()> {\n    std::thread::spawn(|| loop { work(); });\n    Ok(())\n}\n";
        assert!(scan(no_gil, true).is_empty());
        let in_pyfunction = "#[pyfunction]\nfn start() { std::thread::spawn(|| Python::with_gil(|_| ())); }\n#[pymodule]\nfn m(m: &Bound<'_, PyModule>) -> PyResult<()> { Ok(()) }\n";
        assert!(scan(in_pyfunction, true).is_empty());
    }

    #[test]
    fn c_init_pthread_with_gilstate() {
        let src = "static void *beat(void *arg) {\n  PyGILState_STATE s = PyGILState_Ensure();\n  PyGILState_Release(s);\n  return NULL;\n}\nPyMODINIT_FUNC PyInit_heartbeat(void) {\n  pthread_t t;\n  pthread_create(&t, NULL, beat, NULL);\n  return PyModule_Create(&def);\n}\n";
        let found = scan(src, false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].module, "heartbeat");
        let no_gil = src.replace("PyGILState_Ensure()", "0");
        assert!(scan(&no_gil, false).is_empty());
    }

    #[test]
    fn unbalanced_input_is_harmless() {
        for src in [
            "#[pymodule] fn x(",
            "PyInit_y(void) { pthread_create(",
            "\"",
            "'",
            "/*",
        ] {
            let _ = scan(src, true);
            let _ = scan(src, false);
        }
    }
}
