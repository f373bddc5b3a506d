//! `forklint knowledge [NAME]`: what the knowledge base says of known APIs and modules, with
//! the source each entry cites (`rules/*.toml` and the user's `--knowledge` files). The
//! Markdown form is `docs/knowledge.md` (a test keeps it current).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::knowledge::{Api, Knowledge};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KnowledgeFormat {
    /// A table of every entry; with NAME, each matching entry in full.
    Text,
    /// An array of entries, with the knowledge files' keys (and `source-file`).
    Json,
    /// The page `docs/knowledge.md`.
    Markdown,
}

#[derive(Args)]
pub struct KnowledgeArgs {
    /// An API or module name (`grpc.insecure_channel`), or a package or class whose entries to
    /// show (`grpc`, `threading.Thread`).
    name: Option<String>,
    /// A knowledge file to read after the built-in ones (as `check --knowledge`); repeatable.
    #[arg(long, value_name = "FILE")]
    knowledge: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = KnowledgeFormat::Text)]
    output_format: KnowledgeFormat,
}

pub fn run(args: KnowledgeArgs) -> u8 {
    let knowledge = match Knowledge::load(&args.knowledge) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let entries: Vec<&Api> = match &args.name {
        None => knowledge.entries().iter().collect(),
        Some(name) => {
            let found = matching(&knowledge, name);
            if found.is_empty() {
                eprintln!(
                    "error: no known API or module is `{name}` or below it{}",
                    suggestion(&knowledge, name)
                );
                return super::EXIT_ERROR;
            }
            found
        }
    };
    let out = match args.output_format {
        KnowledgeFormat::Text if args.name.is_some() => entries
            .iter()
            .map(|a| detail(a))
            .collect::<Vec<_>>()
            .join("\n"),
        KnowledgeFormat::Text => table(&entries),
        KnowledgeFormat::Json => json(&entries),
        KnowledgeFormat::Markdown => markdown(&entries),
    };
    super::rule::print_out(&out)
}

/// The entries named `name` (or with it as an alias), and those below it (`name.…`).
fn matching<'k>(knowledge: &'k Knowledge, name: &str) -> Vec<&'k Api> {
    let below = format!("{name}.");
    knowledge
        .entries()
        .iter()
        .filter(|a| {
            std::iter::once(&a.name)
                .chain(&a.aliases)
                .any(|n| n == name || n.starts_with(&below))
        })
        .collect()
}

/// `; did you mean `x`?` for the known name or package closest to `name`, if one is close.
fn suggestion(knowledge: &Knowledge, name: &str) -> String {
    let mut candidates: Vec<&str> = Vec::new();
    for n in knowledge
        .entries()
        .iter()
        .flat_map(|a| std::iter::once(&a.name).chain(&a.aliases))
    {
        // The name and each package or class above it (`grpc`, `grpc.aio`).
        candidates.extend(n.match_indices('.').map(|(i, _)| &n[..i]));
        candidates.push(n);
    }
    candidates
        .into_iter()
        .map(|n| (strsim::jaro_winkler(name, n), n))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

fn kind(api: &Api) -> &'static str {
    match api.kind {
        crate::knowledge::ApiKind::Function => "function",
        crate::knowledge::ApiKind::Class => "class",
        crate::knowledge::ApiKind::Method => "method",
        crate::knowledge::ApiKind::Module => "module",
    }
}

/// What an entry does, in a few words: its effects, then the flags that change them.
fn what(api: &Api) -> String {
    let mut parts: Vec<String> = api.effects.iter().map(|e| effect_name(*e)).collect();
    if let Some(spawn) = api.spawn {
        parts.push(format!("spawn={}", json_name(&spawn)));
    }
    if let Some(exit) = api.exit_effect {
        parts.push(format!("with-exit={}", effect_name(exit)));
    }
    for (on, flag) in [
        (api.library, "library"),
        (api.lazy, "lazy"),
        (api.fork_safe, "fork-safe"),
        (api.pooled, "pooled"),
        (api.daemon_default == Some(true), "daemon"),
        (api.subinterp_target, "subinterp-target"),
        (api.target.is_some(), "target"),
        (api.returns.is_some(), "returns"),
    ] {
        if on {
            parts.push(flag.to_string());
        }
    }
    if parts.is_empty() {
        "(tracked; no effect of its own)".to_string()
    } else {
        parts.join(", ")
    }
}

fn json_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn effect_name(effect: crate::knowledge::EffectKind) -> String {
    json_name(&effect)
}

fn table(entries: &[&Api]) -> String {
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|a| [a.name.clone(), kind(a).to_string(), what(a), a.file.clone()])
        .collect();
    let header = ["Name", "Kind", "Does", "File"].map(str::to_string);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 4]| {
        let mut out = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&header);
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push_str(&format!(
        "\n{} entries. `forklint knowledge NAME` shows one in full (docs/knowledge.md).\n",
        rows.len()
    ));
    out
}

fn detail(api: &Api) -> String {
    let mut out = format!("{} ({}, {})\n", api.name, kind(api), api.file);
    out.push_str(&format!("  does:    {}\n", what(api)));
    if !api.aliases.is_empty() {
        out.push_str(&format!("  aliases: {}\n", api.aliases.join(", ")));
    }
    if let Some(returns) = &api.returns {
        out.push_str(&format!("  returns: {returns}\n"));
    }
    for (word, cond) in [("unless: ", &api.unless), ("requires:", &api.requires)] {
        if let Some(c) = cond {
            let selective = if api.selective && word.starts_with("unless") {
                " (selective: or another keyword passed True without it)"
            } else {
                ""
            };
            out.push_str(&format!("  {word} {}={}{selective}\n", c.keyword, c.value));
        }
    }
    if let Some(note) = &api.note {
        out.push_str(&format!("  source:  {note}\n"));
    }
    out
}

/// The entries as JSON, each with only the keys it sets (as it would be written in a file).
fn json(entries: &[&Api]) -> String {
    let values: Vec<serde_json::Value> = entries
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.retain(|_, v| {
                    !(v.is_null()
                        || v == &serde_json::Value::Bool(false)
                        || v.as_array().is_some_and(Vec::is_empty))
                });
            }
            v
        })
        .collect();
    serde_json::to_string_pretty(&values).unwrap_or_default() + "\n"
}

/// One file's entries, by top-level package in the order each first appears.
type ByPackage<'a> = Vec<(&'a str, Vec<&'a Api>)>;

/// `docs/knowledge.md`: every entry, by file and top-level package.
fn markdown(entries: &[&Api]) -> String {
    let mut out = String::from(
        "# What forklint knows\n\n\
         <!-- Generated by `forklint knowledge --output-format markdown` from rules/*.toml; \
         do not edit by hand (scripts/docs.sh regenerates it, tests/knowledge.rs checks it). -->\n\n\
         forklint reads your code, and the code of your installed dependencies \
         ([dependencies.md](dependencies.md)). What it cannot read, it takes from its knowledge \
         base: the standard library's threading, process and interpreter APIs, and the libraries \
         whose threads are native or started in ways the code alone does not show. Each entry \
         cites its source. `forklint knowledge NAME` shows one entry; `--knowledge FILE` adds \
         your own (schema: `rules/README.md`).\n",
    );
    // By file, then by top-level package in the order each first appears.
    let mut groups: Vec<(&str, ByPackage<'_>)> = Vec::new();
    for a in entries {
        let root = a.name.split('.').next().unwrap_or(&a.name);
        if groups.last().is_none_or(|(file, _)| *file != a.file) {
            groups.push((&a.file, Vec::new()));
        }
        let Some((_, roots)) = groups.last_mut() else {
            continue;
        };
        match roots.iter_mut().find(|(r, _)| *r == root) {
            Some((_, list)) => list.push(a),
            None => roots.push((root, vec![a])),
        }
    }
    let packages: usize = groups.iter().map(|(_, roots)| roots.len()).sum();
    out.push_str(&format!(
        "\n{} entries for {packages} top-level modules and packages.\n",
        entries.len()
    ));
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for (file, roots) in groups {
        out.push_str(&format!("\n## `{file}`\n"));
        for (root, list) in roots {
            out.push_str(&format!(
                "\n### `{root}`\n\n| Name | Kind | Does | Source |\n|---|---|---|---|\n"
            ));
            for a in list {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    a.name,
                    kind(a),
                    cell(&what(a)),
                    cell(a.note.as_deref().unwrap_or(""))
                ));
            }
        }
    }
    out
}
