//! `--output-format json-lines`: one JSON object per line (JSON Lines), each the same object
//! as an element of `json`'s array; nothing at all when there are no findings.

use super::json;

pub fn render(findings: &[super::Finding]) -> String {
    let mut out = String::new();
    for &(program, d) in findings {
        // Serialising plain structs of strings and numbers cannot fail.
        out.push_str(&serde_json::to_string(&json::finding(program, d)).expect("serialisable"));
        out.push('\n');
    }
    out
}
