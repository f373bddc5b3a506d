//! The functions a project's build configuration names as its commands: `[project.scripts]`
//! and `[project.gui-scripts]` in `pyproject.toml`, and `console_scripts`/`gui_scripts` under
//! `[options.entry_points]` in `setup.cfg`. The launcher pip writes imports the module and
//! calls the function, so each is a root of what runs (`program::reached`).
//!
//! `setup.py`'s `entry_points=` is code, not data, and is not read.

use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize)]
struct PyProject {
    project: Option<Project>,
}

#[derive(Deserialize)]
struct Project {
    scripts: Option<std::collections::BTreeMap<String, String>>,
    #[serde(rename = "gui-scripts")]
    gui_scripts: Option<std::collections::BTreeMap<String, String>>,
}

/// The dotted names (`app.cli.main`) of the functions the project root's build files declare
/// as commands. A file that cannot be read or parsed declares none: it is the build tool's
/// to reject, not forklint's.
pub fn script_targets(root: &Path) -> Vec<String> {
    let mut specs: Vec<String> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(root.join("pyproject.toml"))
        && let Ok(doc) = toml::from_str::<PyProject>(&text)
        && let Some(project) = doc.project
    {
        specs.extend(project.scripts.into_iter().flatten().map(|(_, v)| v));
        specs.extend(project.gui_scripts.into_iter().flatten().map(|(_, v)| v));
    }
    if let Ok(text) = std::fs::read_to_string(root.join("setup.cfg")) {
        specs.extend(setup_cfg_scripts(&text));
    }
    let mut out: Vec<String> = specs.iter().filter_map(|s| dotted(s)).collect();
    out.sort();
    out.dedup();
    out
}

/// `module:attr.path [extra]` → `module.attr.path`; `None` for anything else.
fn dotted(spec: &str) -> Option<String> {
    let spec = spec.split('[').next().unwrap_or(spec).trim();
    let (module, attr) = spec.split_once(':')?;
    let (module, attr) = (module.trim(), attr.trim());
    let name = |s: &str| s.split('.').all(crate::discover::is_identifier);
    (name(module) && name(attr)).then(|| format!("{module}.{attr}"))
}

/// The `name = module:attr` lines of `console_scripts` and `gui_scripts` under
/// `[options.entry_points]` (an INI section whose values continue on indented lines).
fn setup_cfg_scripts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut in_scripts = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            in_section = trimmed == "[options.entry_points]";
            in_scripts = false;
            continue;
        }
        if !in_section {
            continue;
        }
        let continued = line.starts_with(char::is_whitespace);
        if !continued {
            // `console_scripts =` (entries on the following lines, or after the `=`).
            let (key, rest) = trimmed.split_once('=').unwrap_or((trimmed, ""));
            in_scripts = matches!(key.trim(), "console_scripts" | "gui_scripts");
            if in_scripts && let Some((_, spec)) = rest.split_once('=') {
                out.push(spec.to_string());
            }
            continue;
        }
        if in_scripts && let Some((_, spec)) = trimmed.split_once('=') {
            out.push(spec.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_become_dotted_names() {
        assert_eq!(dotted("app.cli:main").as_deref(), Some("app.cli.main"));
        assert_eq!(
            dotted(" pkg : App.run [gui] ").as_deref(),
            Some("pkg.App.run")
        );
        assert_eq!(dotted("no_colon"), None);
        assert_eq!(dotted("a-b:main"), None);
    }

    #[test]
    fn setup_cfg_console_and_gui_scripts() {
        let cfg = "[metadata]\nname = x\n\n[options.entry_points]\nconsole_scripts =\n    tool = x.cli:main\n    other = x.other:run [extra]\ngui_scripts =\n    win = x.gui:start\nx.plugins =\n    p = x.plug:P\n\n[options]\npackages = find:\n";
        assert_eq!(
            setup_cfg_scripts(cfg)
                .iter()
                .filter_map(|s| dotted(s))
                .collect::<Vec<_>>(),
            ["x.cli.main", "x.other.run", "x.gui.start"]
        );
    }
}
