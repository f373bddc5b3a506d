//! `forklint graph`: the import-time effect graph as Graphviz DOT or Mermaid, on stdout.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::analysis::AnalysisArgs;
use crate::graph::{Graph, render_dot, render_mermaid};
use crate::knowledge::Knowledge;
use crate::program::Program;
use crate::rules::selection::SelectionLayer;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz (`forklint graph | dot -Tsvg > graph.svg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// With `--calls`: the call graph as JSON in PyCG's shape (`{"mod.f": ["mod.g", ...]}`).
    PycgJson,
}

#[derive(Args)]
pub struct GraphArgs {
    /// Files or directories to read (default: the current directory).
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Only the modules whose import starts threads or processes, and the modules that import
    /// them (directly or through others): the hazards and their import paths.
    #[arg(long)]
    only_hazards: bool,
    /// The resolved call graph instead of the import graph: every function of the project
    /// (and each module's top level) with what it calls, as the value-flow analysis resolves
    /// it. Requires `--format pycg-json`.
    #[arg(long)]
    calls: bool,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

pub fn run(args: GraphArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    // The same configuration as `check` (rule selection does not matter here: no rule runs).
    let settings = match args
        .analysis
        .resolve(&paths[0], SelectionLayer::default(), false)
    {
        Ok(resolved) => resolved.settings,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    // The same phases as `check` up to the linked program; no rules run.
    let built = crate::analysis_pool().install(|| -> Result<Program, crate::Error> {
        let knowledge = Knowledge::load(&settings.knowledge_files)?;
        let found = crate::discover::discover(&paths, &settings)?;
        for s in &found.skipped {
            eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
        }
        // The installed dependencies the project's imports reach, as `check` reads them
        // (docs/dependencies.md): their frames appear in the graph.
        let root = crate::discover::find_project_root(&paths[0]);
        let libraries = crate::libraries_of(&settings, &root, &found.files, &knowledge)?;
        Ok(Program::build_overlaid(
            found.files,
            &Default::default(),
            knowledge,
            settings,
            crate::program::Stored::default(),
            libraries.as_ref(),
        ))
    });
    let program = match built {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    for u in &program.unreadable {
        eprintln!("warning: skipped {}: {}", u.path.display(), u.reason);
    }
    if args.calls != matches!(args.format, GraphFormat::PycgJson) {
        eprintln!("error: `--calls` and `--format pycg-json` go together");
        return super::EXIT_ERROR;
    }
    if args.calls {
        let text = crate::graph::render_pycg_json(&program.points_to().call_graph());
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        return super::EXIT_CLEAN;
    }
    let mut graph = Graph::build(&program);
    if args.only_hazards {
        graph = graph.only_hazards();
    }
    let text = match args.format {
        GraphFormat::Dot => render_dot(&graph),
        GraphFormat::Mermaid => render_mermaid(&graph),
        GraphFormat::PycgJson => unreachable!("checked above"),
    };
    // A closed pipe (`forklint graph | head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    super::EXIT_CLEAN
}
