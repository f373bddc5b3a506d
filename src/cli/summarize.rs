//! `forklint summarize`: the per-file half of `check`, for build systems that cache and
//! distribute per-target actions (docs/build-systems.md). Each file is parsed and summarised
//! as `check` would; the summaries are written as one bundle that `check --summaries` links.

use std::path::PathBuf;

use clap::Args;

use super::analysis::AnalysisArgs;
use crate::config::ConfigFile;
use crate::discover::{self, SettingsSource};
use crate::knowledge::Knowledge;
use crate::program::Analyser;
use crate::rules::selection::SelectionLayer;
use crate::settings::Settings;

#[derive(Args)]
pub struct SummarizeArgs {
    /// Files or directories to summarise.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write the bundle of summaries to this file (atomically).
    #[arg(long, short, value_name = "FILE")]
    output: PathBuf,
    /// Files or directories the summarised files may import (a target's dependencies): not
    /// read, but their module names count as the project's; repeatable.
    #[arg(long = "with", value_name = "PATH")]
    with: Vec<PathBuf>,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

pub fn run(args: SummarizeArgs) -> u8 {
    // The settings `check` would use (rule selection does not change summaries).
    let settings = match args
        .analysis
        .resolve(&args.paths[0], SelectionLayer::default(), false)
    {
        Ok(resolved) => resolved.settings,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let closest = |config: Option<&ConfigFile>| -> Settings {
        let options = config.map(|c| c.options.clone()).unwrap_or_default();
        args.analysis
            .resolve_with(options, SelectionLayer::default(), false)
            .settings
    };
    let source = if args.analysis.forces_configuration() {
        SettingsSource::Fixed(&settings)
    } else {
        SettingsSource::Closest(&closest)
    };
    let all: Vec<PathBuf> = args.paths.iter().chain(&args.with).cloned().collect();
    let summarised: Vec<PathBuf> = args.paths.iter().map(|p| discover::absolute(p)).collect();
    let made = crate::analysis_pool().install(|| -> Result<_, crate::Error> {
        let found = discover::discover_with(&all, source)?;
        let (groups, skipped) = found.by_project();
        for s in &skipped {
            eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
        }
        let mut entries = Vec::new();
        for (project, files) in groups {
            let knowledge = Knowledge::load(&project.settings.knowledge_files)?;
            let mut modules: rustc_hash::FxHashSet<String> = files
                .iter()
                .filter(|f| !f.module.is_empty())
                .map(|f| f.module.clone())
                .collect();
            // As `check` sees them: the environment's modules exist for the imports.
            if let Some(libraries) =
                crate::libraries_of(&project.settings, &project.root, &files, &knowledge)?
            {
                modules.extend(libraries.names().cloned());
            }
            let key = crate::cache::settings_key(&project.settings);
            let analyser = Analyser::new(&modules, &knowledge, &project.settings);
            for file in files {
                let path = discover::absolute(&file.path);
                if !summarised.iter().any(|p| path.starts_with(p)) {
                    continue;
                }
                match analyser.stored_summary(file, key) {
                    Ok(Some(entry)) => entries.push(entry),
                    // `check` makes these again (a native source, an undecodable file).
                    Ok(None) => {}
                    Err(u) => eprintln!("warning: skipped {}: {}", u.path.display(), u.reason),
                }
            }
        }
        Ok(entries)
    });
    let entries = match made {
        Ok(made) => made,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    if let Err(e) = crate::cache::write_bundle(&args.output, &args.paths, &entries) {
        eprintln!("error: cannot write {}: {e}", args.output.display());
        return super::EXIT_ERROR;
    }
    super::EXIT_CLEAN
}
