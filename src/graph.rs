//! The import-time effect graph (`forklint graph`): which project modules import which at
//! import time, and which modules' import starts threads, spawns processes or forks, with the
//! chain of calls to each effect. A small model built from the [`Program`], then two
//! renderers (Graphviz DOT and Mermaid). Nothing here knows any rule; "import time" is the same
//! notion the import-time rules use ([`Program::context`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::diagnostic::FileId;
use crate::knowledge::SpawnKind;
use crate::program::{Context, Effect, EffectId, Program};
use crate::rules::import_time::{Hit, flow, function_name, loc};

/// What a marked module's import does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EffectKind {
    ThreadStart,
    ProcessSpawn,
    Fork,
}

impl EffectKind {
    pub fn label(self) -> &'static str {
        match self {
            EffectKind::ThreadStart => "starts thread",
            EffectKind::ProcessSpawn => "spawns process",
            EffectKind::Fork => "forks",
        }
    }

    /// The kind and API of an effect the graph marks; `None` for the others.
    fn of(effect: &Effect) -> Option<(EffectKind, &str)> {
        match effect {
            Effect::ThreadStart { api, .. } => Some((EffectKind::ThreadStart, api)),
            Effect::ProcessSpawn {
                api,
                kind: SpawnKind::Fork,
                ..
            } => Some((EffectKind::Fork, api)),
            Effect::ProcessSpawn { api, .. } => Some((EffectKind::ProcessSpawn, api)),
            _ => None,
        }
    }
}

/// A project module: an endpoint of an import edge, or one whose import runs an effect.
#[derive(Debug, PartialEq, Eq)]
pub struct ModuleNode {
    /// A node id safe in both formats (`m_pkg_mod`), unique in the graph.
    pub id: String,
    pub name: String,
    /// The kinds of effect its import runs (sorted, no repeats); empty: not marked.
    pub kinds: Vec<EffectKind>,
    /// An installed dependency's module (docs/dependencies.md), not the project's.
    pub library: bool,
}

/// `from`'s top level imports `to` at import time (indices into [`Graph::modules`]).
#[derive(Debug, PartialEq, Eq)]
pub struct ImportEdge {
    pub from: usize,
    pub to: usize,
    /// Every import of `to` by `from` is dynamic (`importlib.import_module`, `__import__`).
    pub dynamic: bool,
}

/// Where a thread start, process spawn or fork happens.
#[derive(Debug, PartialEq, Eq)]
pub struct EffectNode {
    pub id: String,
    pub kind: EffectKind,
    pub api: String,
    /// `util.py:4`.
    pub at: String,
}

impl EffectNode {
    /// "starts thread: threading.Thread.start at util.py:4".
    pub fn label(&self) -> String {
        format!("{}: {} at {}", self.kind.label(), self.api, self.at)
    }
}

/// Importing `module` runs `effect`, through `chain`.
#[derive(Debug, PartialEq, Eq)]
pub struct EffectEdge {
    pub module: usize,
    pub effect: usize,
    /// `app.py:10 start_worker()`, …, `util.py:4`: the top-level statement and the function it
    /// calls, each call on the way, then the effect.
    pub chain: Vec<String>,
}

impl EffectEdge {
    pub fn label(&self) -> String {
        self.chain.join(" → ")
    }
}

/// The whole graph, sorted: modules by name, edges by endpoints, effects by place.
#[derive(Debug, Default)]
pub struct Graph {
    pub modules: Vec<ModuleNode>,
    pub imports: Vec<ImportEdge>,
    pub effects: Vec<EffectNode>,
    pub reaches: Vec<EffectEdge>,
}

/// A path as shown in labels: as discovered, without a leading `./`.
fn short(s: String) -> String {
    match s.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// The chain from a top-level statement to the effect it reaches.
fn chain(program: &Program, hit: &Hit) -> Vec<String> {
    let site = program.effect(hit.effect);
    let start = short(loc(
        program,
        hit.file,
        program.event_range(hit.file, hit.event),
    ));
    let Some(via) = hit.via else {
        return vec![start];
    };
    let mut out = vec![format!("{start} {}()", function_name(program, via))];
    for step in program.call_path(via, hit.effect) {
        out.push(format!(
            "{} {}()",
            short(loc(program, step.caller.file, step.range)),
            function_name(program, step.callee)
        ));
    }
    out.push(short(loc(program, site.body.file(), site.range)));
    out
}

/// Letters, digits and `_` only, with a prefix: never a keyword of DOT or Mermaid (`end`,
/// `graph`, `node`), unique among `taken`.
fn node_id(prefix: &str, name: &str, taken: &mut HashSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let base = format!("{prefix}_{clean}");
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

impl Graph {
    pub fn build(program: &Program) -> Graph {
        // Import edges, keyed by (importer, imported); a static import beats a dynamic one.
        let mut edges: BTreeMap<(FileId, FileId), bool> = BTreeMap::new();
        // Per module, the effects its import runs (first hit of each site, in execution order).
        let mut reached: BTreeMap<FileId, Vec<(EffectId, Vec<String>)>> = BTreeMap::new();
        for file in program.file_ids() {
            for (i, event) in program.summary(file).body.iter().enumerate() {
                if program.context(file, event.in_main_guard) != Context::Import {
                    continue;
                }
                for (id, _) in program.event_effects(file, i) {
                    if let Effect::Import {
                        modules, dynamic, ..
                    } = &program.effect(id).effect
                    {
                        for &m in modules.iter().filter(|&&m| m != file) {
                            let d = edges.entry((file, m)).or_insert(*dynamic);
                            *d &= *dynamic;
                        }
                    }
                }
            }
            let mut seen = HashSet::new();
            for hit in flow(program, file, Context::Import) {
                if EffectKind::of(&program.effect(hit.effect).effect).is_some()
                    && seen.insert(hit.effect)
                {
                    let chain = chain(program, &hit);
                    reached.entry(file).or_default().push((hit.effect, chain));
                }
            }
        }

        // Modules: those with an edge or an effect, sorted by name (then path).
        let mut files: Vec<FileId> = edges
            .keys()
            .flat_map(|&(a, b)| [a, b])
            .chain(reached.keys().copied())
            .collect();
        files.sort_by(|&a, &b| {
            (&program.summary(a).module, &program.file(a).path)
                .cmp(&(&program.summary(b).module, &program.file(b).path))
        });
        files.dedup();
        let mut taken = HashSet::new();
        let index: HashMap<FileId, usize> =
            files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
        let mut graph = Graph::default();
        for &f in &files {
            let name = program.summary(f).module.clone();
            let mut kinds: Vec<EffectKind> = reached
                .get(&f)
                .into_iter()
                .flatten()
                .filter_map(|(id, _)| EffectKind::of(&program.effect(*id).effect))
                .map(|(kind, _)| kind)
                .collect();
            kinds.sort();
            kinds.dedup();
            graph.modules.push(ModuleNode {
                id: node_id("m", &name, &mut taken),
                name,
                kinds,
                library: program.file(f).library,
            });
        }
        graph.imports = edges
            .iter()
            .map(|(&(a, b), &dynamic)| ImportEdge {
                from: index[&a],
                to: index[&b],
                dynamic,
            })
            .collect();
        graph.imports.sort_by_key(|e| (e.from, e.to));

        // Effect nodes: one per site, sorted by file path and position. Every effect in
        // `reached` is one `EffectKind::of` marks (it was collected that way).
        let mut sites: Vec<(EffectId, EffectKind, &str)> = reached
            .values()
            .flatten()
            .filter_map(|(id, _)| {
                EffectKind::of(&program.effect(*id).effect).map(|(kind, api)| (*id, kind, api))
            })
            .collect();
        let place = |id: EffectId| {
            let site = program.effect(id);
            (
                &program.file(site.body.file()).path,
                site.range.start(),
                id.0,
            )
        };
        sites.sort_by(|a, b| place(a.0).cmp(&place(b.0)));
        sites.dedup_by_key(|s| s.0);
        let mut site_index: HashMap<EffectId, usize> = HashMap::new();
        for (i, &(id, kind, api)) in sites.iter().enumerate() {
            let site = program.effect(id);
            site_index.insert(id, i);
            graph.effects.push(EffectNode {
                id: node_id("fx", &(i + 1).to_string(), &mut taken),
                kind,
                api: api.to_string(),
                at: short(loc(program, site.body.file(), site.range)),
            });
        }
        for (f, list) in &reached {
            for (id, chain) in list {
                graph.reaches.push(EffectEdge {
                    module: index[f],
                    effect: site_index[id],
                    chain: chain.clone(),
                });
            }
        }
        graph.reaches.sort_by_key(|e| (e.module, e.effect));
        graph
    }

    /// Only the marked modules and the modules whose import leads to one (through import
    /// edges), with the edges among them: the hazards and how they are reached, for a large
    /// project. Ids, order and effect nodes are kept.
    pub fn only_hazards(self) -> Graph {
        let n = self.modules.len();
        let mut keep: Vec<bool> = self.modules.iter().map(|m| !m.kinds.is_empty()).collect();
        // Importers of kept modules are kept, to a fixpoint (edges are few; a module is
        // revisited only when it became kept).
        let mut importers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for e in &self.imports {
            importers[e.to].push(e.from);
        }
        let mut stack: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        while let Some(m) = stack.pop() {
            for &imp in &importers[m] {
                if !keep[imp] {
                    keep[imp] = true;
                    stack.push(imp);
                }
            }
        }
        let mut new_index = vec![usize::MAX; n];
        let mut modules = Vec::new();
        for (i, m) in self.modules.into_iter().enumerate() {
            if keep[i] {
                new_index[i] = modules.len();
                modules.push(m);
            }
        }
        let imports = self
            .imports
            .into_iter()
            .filter(|e| keep[e.from] && keep[e.to])
            .map(|e| ImportEdge {
                from: new_index[e.from],
                to: new_index[e.to],
                dynamic: e.dynamic,
            })
            .collect();
        let reaches = self
            .reaches
            .into_iter()
            .map(|r| EffectEdge {
                module: new_index[r.module],
                ..r
            })
            .collect();
        Graph {
            modules,
            imports,
            effects: self.effects,
            reaches,
        }
    }

    /// A module's name, then one line per effect its import runs ("starts thread:
    /// threading.Thread.start at util.py:4").
    fn module_label(&self, module: usize) -> Vec<String> {
        let node = &self.modules[module];
        let mut lines = vec![if node.library {
            format!("{} (installed)", node.name)
        } else {
            node.name.clone()
        }];
        lines.extend(
            self.reaches
                .iter()
                .filter(|r| r.module == module)
                .map(|r| self.effects[r.effect].label()),
        );
        lines
    }

    /// An effect node: the API, then where.
    fn effect_label(&self, effect: usize) -> Vec<String> {
        let e = &self.effects[effect];
        vec![format!("{}: {}", e.kind.label(), e.api), e.at.clone()]
    }
}

const MARK_FILL: &str = "#fde2dd";
const MARK_LINE: &str = "#c0392b";
const SITE_FILL: &str = "#fff4c2";

/// What differs between the two output languages; [`render`] walks the graph once for both.
trait Syntax {
    /// Everything before the first node.
    const HEADER: &'static str;
    /// A line break inside a quoted label.
    const LINE_BREAK: &'static str;
    /// Appends `c` as it must appear inside a quoted label (line breaks are handled already).
    fn escape_char(c: char, out: &mut String);
    fn module(id: &str, label: &str, marked: bool) -> String;
    fn effect(id: &str, label: &str) -> String;
    fn import(from: &str, to: &str, dynamic: bool) -> String;
    fn reach(module: &str, effect: &str, label: &str) -> String;
    /// Everything after the last edge.
    fn footer(g: &Graph) -> String;
}

/// A quoted label: lines joined by the syntax's line break, every character escaped.
fn quote<S: Syntax>(lines: &[String]) -> String {
    let mut out = String::from("\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str(S::LINE_BREAK);
        }
        for c in line.chars() {
            match c {
                '\n' => out.push_str(S::LINE_BREAK),
                '\r' => {}
                c => S::escape_char(c, &mut out),
            }
        }
    }
    out.push('"');
    out
}

fn render<S: Syntax>(g: &Graph) -> String {
    let mut out = String::from(S::HEADER);
    for (i, m) in g.modules.iter().enumerate() {
        let label = quote::<S>(&g.module_label(i));
        out.push_str(&S::module(&m.id, &label, !m.kinds.is_empty()));
    }
    for (i, e) in g.effects.iter().enumerate() {
        out.push_str(&S::effect(&e.id, &quote::<S>(&g.effect_label(i))));
    }
    for e in &g.imports {
        let (from, to) = (&g.modules[e.from].id, &g.modules[e.to].id);
        out.push_str(&S::import(from, to, e.dynamic));
    }
    for r in &g.reaches {
        let (module, effect) = (&g.modules[r.module].id, &g.effects[r.effect].id);
        out.push_str(&S::reach(module, effect, &quote::<S>(&[r.label()])));
    }
    out.push_str(&S::footer(g));
    out
}

struct Dot;

impl Syntax for Dot {
    const HEADER: &'static str = "// forklint graph: what runs at import time. Solid edge: \
        import; dashed: dynamic import; red: the module's import starts threads or processes \
        (the chain of calls on the edge to each place).\n\
        digraph forklint {\n  rankdir=LR;\n  \
        node [shape=box, fontname=\"Helvetica\"];\n  \
        edge [fontname=\"Helvetica\", fontsize=10];\n";
    const LINE_BREAK: &'static str = "\\n";

    fn escape_char(c: char, out: &mut String) {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }

    fn module(id: &str, label: &str, marked: bool) -> String {
        if marked {
            format!(
                "  {id} [label={label}, style=filled, fillcolor=\"{MARK_FILL}\", \
                 color=\"{MARK_LINE}\", penwidth=2];\n"
            )
        } else {
            format!("  {id} [label={label}];\n")
        }
    }

    fn effect(id: &str, label: &str) -> String {
        format!("  {id} [label={label}, shape=note, style=filled, fillcolor=\"{SITE_FILL}\"];\n")
    }

    fn import(from: &str, to: &str, dynamic: bool) -> String {
        let style = if dynamic {
            " [style=dashed, label=\"dynamic\"]"
        } else {
            ""
        };
        format!("  {from} -> {to}{style};\n")
    }

    fn reach(module: &str, effect: &str, label: &str) -> String {
        format!(
            "  {module} -> {effect} [label={label}, color=\"{MARK_LINE}\", \
             fontcolor=\"{MARK_LINE}\", style=bold];\n"
        )
    }

    fn footer(_: &Graph) -> String {
        "}\n".into()
    }
}

struct Mermaid;

impl Syntax for Mermaid {
    const HEADER: &'static str = "flowchart LR\n  %% forklint graph: what runs at import time. \
        Solid: import; dotted: dynamic import; thick: the module's import starts threads or \
        processes (the chain of calls on the edge to each place).\n";
    const LINE_BREAK: &'static str = "<br/>";

    /// Quotes, `#` (Mermaid's entity marker), `|` (edge-label delimiter), HTML and Markdown
    /// characters as entity codes.
    fn escape_char(c: char, out: &mut String) {
        if matches!(c, '"' | '#' | '<' | '>' | '`' | '&' | '|') {
            out.push_str(&format!("#{};", c as u32));
        } else {
            out.push(c);
        }
    }

    fn module(id: &str, label: &str, _: bool) -> String {
        format!("  {id}[{label}]\n")
    }

    fn effect(id: &str, label: &str) -> String {
        format!("  {id}{{{{{label}}}}}\n")
    }

    fn import(from: &str, to: &str, dynamic: bool) -> String {
        let arrow = if dynamic { "-.->|\"dynamic\"|" } else { "-->" };
        format!("  {from} {arrow} {to}\n")
    }

    fn reach(module: &str, effect: &str, label: &str) -> String {
        format!("  {module} ==>|{label}| {effect}\n")
    }

    fn footer(g: &Graph) -> String {
        let mut out = String::new();
        let marked: Vec<&str> = g
            .modules
            .iter()
            .filter(|m| !m.kinds.is_empty())
            .map(|m| m.id.as_str())
            .collect();
        if !marked.is_empty() {
            out.push_str(&format!(
                "  classDef marked fill:{MARK_FILL},stroke:{MARK_LINE},stroke-width:2px\n  \
                 class {} marked\n",
                marked.join(",")
            ));
        }
        if !g.effects.is_empty() {
            let ids: Vec<&str> = g.effects.iter().map(|e| e.id.as_str()).collect();
            out.push_str(&format!(
                "  classDef site fill:{SITE_FILL}\n  class {} site\n",
                ids.join(",")
            ));
        }
        out
    }
}

/// Graphviz DOT.
pub fn render_dot(g: &Graph) -> String {
    render::<Dot>(g)
}

/// A Mermaid flowchart.
pub fn render_mermaid(g: &Graph) -> String {
    render::<Mermaid>(g)
}

/// A call graph as PyCG writes it: a JSON object from each function's dotted name to the
/// sorted names of what it calls. Every callee is a key too (with no callees of its own when
/// it is outside the project), as in PyCG's output, so that a reader sees every node.
pub fn render_pycg_json(calls: &BTreeMap<String, std::collections::BTreeSet<String>>) -> String {
    let mut all: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (caller, callees) in calls {
        all.insert(caller, callees.iter().map(String::as_str).collect());
        for c in callees {
            all.entry(c).or_default();
        }
    }
    let mut text = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(node_id("m", "pkg.mod", &mut taken), "m_pkg_mod");
        assert_eq!(node_id("m", "pkg_mod", &mut taken), "m_pkg_mod_2");
        assert_eq!(node_id("m", "end", &mut taken), "m_end");
        assert_eq!(node_id("m", "é-x", &mut taken), "m___x");
    }

    #[test]
    fn labels_are_escaped() {
        let lines = vec!["say \"hi\" \\ now".to_string(), "#<b>&`|".to_string()];
        assert_eq!(quote::<Dot>(&lines), r#""say \"hi\" \\ now\n#<b>&`|""#);
        assert_eq!(
            quote::<Mermaid>(&lines),
            "\"say #34;hi#34; \\ now<br/>#35;#60;b#62;#38;#96;#124;\""
        );
        assert_eq!(quote::<Dot>(&["a\nb\r".into()]), r#""a\nb""#);
        assert_eq!(quote::<Mermaid>(&["a\nb".into()]), "\"a<br/>b\"");
    }
}
