//! `forklint rule` and `forklint rules`: the rules' documentation, from their metadata.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::rules::docs::{RuleJson, rule_text};
use crate::rules::{RULES, Rule, by_code};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RuleFormat {
    /// The documentation as Markdown text.
    Text,
    /// One JSON object (an array with `--all`): code, name, family, severity,
    /// default_enabled, fix, summary, doc, url.
    Json,
}

#[derive(Args)]
pub struct RuleArgs {
    /// A rule code (`FL101`) or name (`import-time-thread-start`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    code: Option<String>,
    /// Every rule, in code order.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = RuleFormat::Text)]
    output_format: RuleFormat,
}

pub fn run(args: RuleArgs) -> u8 {
    let rules: Vec<&Rule> = match &args.code {
        Some(code) => match by_code(code) {
            Some(rule) => vec![rule],
            None => {
                eprintln!("error: unknown rule `{code}` (see `forklint rules`)");
                return super::EXIT_ERROR;
            }
        },
        None => RULES.to_vec(),
    };
    let out = match args.output_format {
        RuleFormat::Text => rules
            .iter()
            .map(|r| rule_text(r))
            .collect::<Vec<_>>()
            .join("\n"),
        RuleFormat::Json => {
            let json: Vec<RuleJson> = rules.iter().map(|r| RuleJson::from(*r)).collect();
            let rendered = if args.all {
                serde_json::to_string_pretty(&json)
            } else {
                serde_json::to_string_pretty(&json[0])
            };
            // Serialising plain strings and booleans cannot fail.
            rendered.unwrap_or_default() + "\n"
        }
    };
    print_out(&out)
}

/// `forklint rules`: one aligned row per rule, under a header (the summary last, unpadded).
pub fn list() -> u8 {
    let header = ["Code", "Name", "Family", "Default", "Fix", "Summary"];
    let rows: Vec<[&str; 6]> = RULES
        .iter()
        .map(|r| {
            [
                r.code,
                r.name,
                r.family.id(),
                if r.default_enabled { "on" } else { "off" },
                r.fix.as_str(),
                r.summary,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    print_out(&out)
}

/// Prints to stdout; a closed pipe (`forklint rule --all | head`) is not an error.
pub(super) fn print_out(s: &str) -> u8 {
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
    super::EXIT_CLEAN
}
