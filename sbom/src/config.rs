//! `[audit]` in `tollgate.toml`: advisory ignores, informational kinds that
//! fail the run, and the licence, source and ban policies.

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
/// The `[audit]` section of `tollgate.toml`.
pub struct AuditConfig {
    /// Advisories to ignore, each with a reason and an optional expiry.
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
    /// Informational advisory kinds that fail the run like vulnerabilities:
    /// `unmaintained`, `unsound`, `notice`, `yanked`.
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    /// Licences that are acceptable; no licence check when absent.
    pub licenses: Option<LicensesConfig>,
    #[serde(default)]
    /// Registries and git sources that are acceptable.
    pub sources: SourcesConfig,
    #[serde(default)]
    /// Banned crates and the duplicate-versions lint.
    pub bans: BansConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// One ignored advisory.
pub struct IgnoreEntry {
    /// The advisory id.
    pub id: String,
    /// Why it is ignored (required).
    pub reason: String,
    /// `YYYY-MM-DD` (a TOML date or a string); after it the ignore is an error.
    #[serde(default)]
    pub expires: Option<DateValue>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
/// A date as TOML writes it, or as a string.
pub enum DateValue {
    /// A TOML date.
    Toml(toml::value::Datetime),
    /// A quoted date.
    Text(String),
}

/// A date that is not `YYYY-MM-DD`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a YYYY-MM-DD date")]
pub struct NotADate(pub String);

impl DateValue {
    /// `(year, month, day)`, or why not.
    pub fn ymd(&self) -> Result<(i64, u32, u32), NotADate> {
        let text = match self {
            DateValue::Toml(d) => d.to_string(),
            DateValue::Text(s) => s.clone(),
        };
        let mut parts = text.get(..10).unwrap_or(&text).split('-');
        let parse = |p: Option<&str>| p.and_then(|v| v.parse::<i64>().ok());
        match (
            parse(parts.next()),
            parse(parts.next()),
            parse(parts.next()),
        ) {
            (Some(y), Some(m @ 1..=12), Some(d @ 1..=31)) => Ok((y, m as u32, d as u32)),
            _ => Err(NotADate(text)),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
/// The `[audit.licenses]` section.
pub struct LicensesConfig {
    /// SPDX licence ids that are acceptable.
    pub allow: Vec<String>,
    /// Extra ids allowed for particular crates.
    #[serde(default)]
    pub exceptions: Vec<LicenseException>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
/// Licences allowed for one crate beyond the general list.
pub struct LicenseException {
    #[serde(rename = "crate")]
    /// The crate's name.
    pub name: String,
    /// The SPDX ids allowed for it.
    pub allow: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
/// How a lint is reported.
pub enum LintLevel {
    /// Not reported.
    Allow,
    #[default]
    /// Reported as a warning.
    Warn,
    /// Reported as an error, which fails the run.
    Deny,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
/// The `[audit.sources]` section.
pub struct SourcesConfig {
    /// Registry index URLs that are allowed (crates.io is always allowed).
    #[serde(default)]
    pub allow_registry: Vec<String>,
    /// Git repositories (URL prefixes such as `https://github.com/my-org/`) that are allowed.
    #[serde(default)]
    pub allow_git: Vec<String>,
    /// What to do with a registry that is not allowed.
    #[serde(default = "deny")]
    pub unknown_registry: LintLevel,
    /// What to do with a git source that is not allowed.
    #[serde(default)]
    pub unknown_git: LintLevel,
}

fn deny() -> LintLevel {
    LintLevel::Deny
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            allow_registry: Vec::new(),
            allow_git: Vec::new(),
            unknown_registry: LintLevel::Deny,
            unknown_git: LintLevel::Warn,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
/// The `[audit.bans]` section.
pub struct BansConfig {
    #[serde(default)]
    /// Crates that must not be in the graph.
    pub deny: Vec<BanEntry>,
    /// Several versions of one crate in the graph.
    #[serde(default)]
    pub multiple_versions: LintLevel,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
/// One banned crate.
pub struct BanEntry {
    #[serde(rename = "crate")]
    /// The crate's name.
    pub name: String,
    /// A semver requirement; all versions when absent.
    #[serde(default)]
    pub version: Option<String>,
    /// Why it is banned (shown in the diagnostic).
    pub reason: String,
}
