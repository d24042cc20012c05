//! The `[sast]` section of `tollgate.toml`.

use crate::rules::{self, Severity, Suite};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[sast]` in `tollgate.toml`. Unknown keys are an error that names the key.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rules to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// When set, only these rules run (medium-precision ones included).
    #[serde(default)]
    pub enable: Option<Vec<String>>,
    /// Without `enable`: `default` runs the high-precision rules,
    /// `extended` every rule (see `rules::Precision`).
    #[serde(default)]
    pub suite: Suite,
    /// Glob patterns (relative to the directory of `tollgate.toml`) of paths
    /// not to scan, e.g. `"vendor/**"`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Also scan test code (`#[cfg(test)]`, `#[test]`, `tests/`, `benches/`).
    #[serde(default)]
    pub include_tests: bool,
    /// Per-rule severity overrides: `weak-hash = "low"`.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

/// A `[sast]` key that names a rule that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("[sast] {key}: unknown rule `{rule}` (see `tollgate sast --list-rules`)")]
pub struct UnknownRule {
    /// `disable`, `enable` or `severity`.
    pub key: &'static str,
    /// The rule id as written.
    pub rule: String,
}

impl Config {
    /// Check that every rule id the config names exists.
    pub fn validate(&self) -> Result<(), UnknownRule> {
        let named = self
            .disable
            .iter()
            .map(|id| ("disable", id))
            .chain(self.enable.iter().flatten().map(|id| ("enable", id)))
            .chain(self.severity.keys().map(|id| ("severity", id)));
        for (key, rule_id) in named {
            if rules::find(rule_id).is_none() {
                return Err(UnknownRule {
                    key,
                    rule: rule_id.clone(),
                });
            }
        }
        Ok(())
    }

    /// Does the configuration run the rule (`enable`/`disable`)?
    pub fn is_enabled(&self, rule_id: &str) -> bool {
        if rules::is_meta(rule_id) {
            return true;
        }
        if self.disable.iter().any(|d| d == rule_id) {
            return false;
        }
        match &self.enable {
            Some(only) => only.iter().any(|e| e == rule_id),
            None => rules::find(rule_id).is_none_or(|rule| self.suite.runs(rule)),
        }
    }

    /// The rule's severity, as configured or its default.
    pub fn severity_of(&self, rule: &rules::Rule) -> Severity {
        self.severity.get(rule.id).copied().unwrap_or(rule.severity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let config: Config = toml::from_str(
            r#"
            disable = ["weak-hash"]
            exclude = ["vendor/**"]
            include-tests = true
            [severity]
            cleartext-url = "medium"
            "#,
        )
        .unwrap();
        assert!(config.validate().is_ok());
        assert!(!config.is_enabled("weak-hash"));
        assert!(config.is_enabled("sql-injection"));
        assert!(config.is_enabled("parse-error"));
        assert!(!config.is_enabled("log-injection"));
    }

    #[test]
    fn the_extended_suite_or_enable_runs_medium_precision_rules() {
        let extended: Config = toml::from_str(r#"suite = "extended""#).unwrap();
        assert!(extended.is_enabled("log-injection") && extended.is_enabled("sql-injection"));
        let named: Config = toml::from_str(r#"enable = ["mem-transmute"]"#).unwrap();
        assert!(named.is_enabled("mem-transmute") && !named.is_enabled("sql-injection"));
        let err = toml::from_str::<Config>(r#"suite = "all""#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown variant `all`"), "{err}");
    }

    #[test]
    fn unknown_key_and_unknown_rule_are_errors() {
        let err = toml::from_str::<Config>("disabled = []")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `disabled`"), "{err}");
        let config: Config = toml::from_str(r#"disable = ["no-such-rule"]"#).unwrap();
        assert!(config
            .validate()
            .unwrap_err()
            .to_string()
            .contains("no-such-rule"));
    }
}
