//! Settings from the editor (`initializationOptions`, `workspace/configuration`): the rule
//! selection, target version, platforms and info findings. Each one given overrides the
//! project's configuration file, as the same command-line flag does.

use std::path::Path;

use clap::ValueEnum;
use serde_json::Value;

use crate::cli::analysis::AnalysisArgs;
use crate::config::{self, ConfigError};
use crate::rules::selection::{RuleSelector, SelectionLayer};
use crate::settings::{Platform, PythonVersion, Settings};

/// The settings a client gave; `None` for each one it left to the configuration file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientSettings {
    pub select: Option<Vec<RuleSelector>>,
    pub extend_select: Option<Vec<RuleSelector>>,
    pub ignore: Option<Vec<RuleSelector>>,
    pub target_version: Option<PythonVersion>,
    pub platforms: Option<Vec<Platform>>,
    pub show_info: Option<bool>,
}

/// The keys read, as the client spells them (camelCase, as VS Code settings are).
pub const KEYS: [&str; 6] = [
    "select",
    "extendSelect",
    "ignore",
    "targetVersion",
    "platforms",
    "showInfo",
];

impl ClientSettings {
    /// Reads settings from a JSON object; returns them and a message for each value that
    /// cannot be used (that value is left out, the rest still apply). `null` is "not set".
    pub fn from_json(value: &Value) -> (ClientSettings, Vec<String>) {
        let mut out = ClientSettings::default();
        let mut problems = Vec::new();
        let Some(mut object) = value.as_object() else {
            // Neovim encodes an empty Lua table as `[]`: no settings, as `null` is.
            let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
            if !empty {
                problems.push(format!("settings must be an object, not `{value}`"));
            }
            return (out, problems);
        };
        // Clients that send one table both ways (Helix) may nest the keys under `forklint`.
        if object.len() == 1
            && let Some(inner) = object.get("forklint").and_then(Value::as_object)
        {
            object = inner;
        }
        for (key, value) in object {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "select" => out.select = selectors(key, value, &mut problems),
                "extendSelect" => out.extend_select = selectors(key, value, &mut problems),
                "ignore" => out.ignore = selectors(key, value, &mut problems),
                "targetVersion" => match value.as_str().map(str::parse::<PythonVersion>) {
                    Some(Ok(v)) => out.target_version = Some(v),
                    Some(Err(e)) => problems.push(format!("`targetVersion`: {e}")),
                    None => problems.push(format!("`targetVersion` must be a string like \"py312\", not `{value}`")),
                },
                "platforms" => {
                    out.platforms = strings(key, value, &mut problems).map(|names| {
                        names
                            .iter()
                            .filter_map(|n| match Platform::from_str(n, true) {
                                Ok(p) => Some(p),
                                Err(_) => {
                                    problems.push(format!(
                                        "`platforms`: unknown platform `{n}` (expected linux, macos or windows)"
                                    ));
                                    None
                                }
                            })
                            .collect()
                    })
                }
                "showInfo" => match value.as_bool() {
                    Some(b) => out.show_info = Some(b),
                    None => problems.push(format!("`showInfo` must be true or false, not `{value}`")),
                },
                // Settings of the editor extension itself (the executable's path, tracing).
                "path" | "trace" | "args" => {}
                other => {
                    let hint = KEYS
                        .iter()
                        .max_by(|a, b| {
                            strsim::jaro_winkler(other, a).total_cmp(&strsim::jaro_winkler(other, b))
                        })
                        .filter(|k| strsim::jaro_winkler(other, k) > 0.8)
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_default();
                    problems.push(format!("unknown setting `{other}`{hint}"));
                }
            }
        }
        (out, problems)
    }

    /// These settings, with each one `other` sets replaced by its value.
    pub fn overridden_by(&self, other: &ClientSettings) -> ClientSettings {
        ClientSettings {
            select: other.select.clone().or_else(|| self.select.clone()),
            extend_select: other
                .extend_select
                .clone()
                .or_else(|| self.extend_select.clone()),
            ignore: other.ignore.clone().or_else(|| self.ignore.clone()),
            target_version: other.target_version.or(self.target_version),
            platforms: other.platforms.clone().or_else(|| self.platforms.clone()),
            show_info: other.show_info.or(self.show_info),
        }
    }

    fn args(&self) -> (AnalysisArgs, SelectionLayer, bool) {
        let args = AnalysisArgs {
            target_version: self.target_version,
            platform: self.platforms.clone().unwrap_or_default(),
            // As `check` reads it (clap's `env`), so both share one cache.
            cache_dir: std::env::var_os("FORKLINT_CACHE_DIR")
                .filter(|dir| !dir.is_empty())
                .map(std::path::PathBuf::from),
            ..Default::default()
        };
        let selection = SelectionLayer {
            select: self.select.clone(),
            extend_select: self.extend_select.clone().unwrap_or_default(),
            ignore: self.ignore.clone().unwrap_or_default(),
        };
        (args, selection, self.show_info.unwrap_or(false))
    }

    /// The settings of a project at `start`: its configuration file (the closest one at or
    /// above `start`) under these settings.
    pub fn resolve(&self, start: &Path) -> Result<Settings, ConfigError> {
        let (args, selection, show_info) = self.args();
        args.resolve(start, selection, show_info)
            .map(|r| r.settings)
    }

    /// These settings over the defaults, with no configuration file (when it is broken).
    pub fn without_configuration(&self) -> Settings {
        let (args, selection, show_info) = self.args();
        args.resolve_with(config::Options::default(), selection, show_info)
            .settings
    }
}

fn strings(key: &str, value: &Value, problems: &mut Vec<String>) -> Option<Vec<String>> {
    // A single string is accepted for a list of one.
    if let Some(s) = value.as_str() {
        return Some(vec![s.to_string()]);
    }
    let Some(items) = value.as_array() else {
        problems.push(format!("`{key}` must be a list of strings, not `{value}`"));
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(|item| match item.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    problems.push(format!("`{key}`: `{item}` is not a string"));
                    None
                }
            })
            .collect(),
    )
}

fn selectors(key: &str, value: &Value, problems: &mut Vec<String>) -> Option<Vec<RuleSelector>> {
    strings(key, value, problems).map(|names| {
        names
            .iter()
            .filter_map(|n| match n.parse::<RuleSelector>() {
                Ok(s) => Some(s),
                Err(e) => {
                    problems.push(format!("`{key}`: {e}"));
                    None
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_settings_and_reports_bad_values() {
        let (s, problems) = ClientSettings::from_json(&json!({
            "select": ["FL1", "FL203"],
            "ignore": "FL106",
            "targetVersion": "py311",
            "platforms": ["linux", "beos"],
            "showInfo": "yes",
            "extendSelect": null,
            "selct": [],
            "path": ["/bin/forklint"],
        }));
        assert_eq!(s.select.as_ref().map(Vec::len), Some(2));
        assert_eq!(s.ignore.as_ref().map(Vec::len), Some(1));
        assert_eq!(s.target_version, Some(PythonVersion::new(3, 11)));
        assert_eq!(s.platforms, Some(vec![Platform::Linux]));
        assert_eq!(s.show_info, None);
        assert_eq!(s.extend_select, None);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("`beos`")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("did you mean `select`?"))
        );
        assert!(problems.iter().any(|p| p.contains("showInfo")));
    }

    #[test]
    fn empty_lists_and_nested_sections_are_understood() {
        let (s, problems) = ClientSettings::from_json(&json!([]));
        assert_eq!((s, problems.len()), (ClientSettings::default(), 0));
        let (s, problems) = ClientSettings::from_json(&json!({"forklint": {"showInfo": true}}));
        assert_eq!((s.show_info, problems.len()), (Some(true), 0));
        let (_, problems) = ClientSettings::from_json(&json!([1]));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn later_settings_override_key_by_key() {
        let (init, _) = ClientSettings::from_json(&json!({"select": ["FL1"], "showInfo": true}));
        let (pulled, _) = ClientSettings::from_json(&json!({"select": ["FL2"]}));
        let merged = init.overridden_by(&pulled);
        assert_eq!(merged.select, pulled.select);
        assert_eq!(merged.show_info, Some(true));
    }

    #[test]
    fn client_settings_override_the_configuration_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("forklint.toml"),
            "target-version = \"py39\"\nplatforms = [\"macos\"]\n",
        )
        .unwrap();
        let (client, _) = ClientSettings::from_json(&json!({"targetVersion": "py313"}));
        let settings = client.resolve(dir.path()).unwrap();
        assert_eq!(settings.target_versions, vec![PythonVersion::new(3, 13)]);
        assert_eq!(settings.platforms, vec![Platform::Macos]);
        let settings = ClientSettings::default().resolve(dir.path()).unwrap();
        assert_eq!(settings.target_versions, vec![PythonVersion::new(3, 9)]);
    }
}
