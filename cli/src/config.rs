//! `tollgate.toml`: found next to the scanned path or in a parent directory
//! (the nearest one wins, like `rustfmt.toml`), or named with `--config`.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tollgate_sbom::audit::Kind;
use toml::Spanned;

pub const FILE_NAME: &str = "tollgate.toml";

/// The whole file. Unknown sections and keys are errors that name them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub sast: tollgate_sast::Config,
    #[serde(default)]
    pub audit: tollgate_sbom::config::AuditConfig,
    #[serde(default, rename = "pre-merge")]
    pub pre_merge: crate::premerge_cmd::PreMergeConfig,
    #[serde(default)]
    pub advisories: AdvisoriesConfig,
}

/// `[advisories]`: fetching the advisory database (`tollgate db fetch`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AdvisoriesConfig {
    /// PEM CA bundle for the HTTPS fetch, relative to this file; used when
    /// neither `--ca-file` nor `SSL_CERT_FILE` is given.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// `tollgate.toml` checked in full, before any work starts: every value a
/// command would otherwise reject later (rule ids, advisory kinds, dates,
/// version requirements, globs) is checked here, and every problem is
/// reported at once as `FILE:LINE:COL: ...`, as `policy.yaml` errors are.
#[derive(Debug, Default)]
pub struct ValidConfig {
    pub config: FileConfig,
    /// The directory its relative paths start from (`None`: no file).
    pub dir: Option<PathBuf>,
    /// `[audit] deny`, parsed.
    pub deny: Vec<Kind>,
}

/// The configuration named with `--config`, else the nearest
/// `tollgate.toml` at or above `start`, else the defaults.
pub fn load(explicit: Option<&Path>, start: &Path) -> Result<ValidConfig> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => find(start),
    };
    let Some(path) = path else {
        return Ok(ValidConfig::default());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read configuration", path.display()))?;
    let (config, deny) = validate(&text).map_err(|problems| {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("{}:{p}", path.display()))
            .collect();
        anyhow::anyhow!("invalid configuration:\n  {}", list.join("\n  "))
    })?;
    let dir = path.parent().map(|p| {
        if p.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            p.to_path_buf()
        }
    });
    Ok(ValidConfig { config, dir, deny })
}

/// One problem in the file: where, and what.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// The positions of the values [`validate`] checks (the same document,
/// read a second time with `toml::Spanned`; everything else is ignored).
#[derive(Default, Deserialize)]
struct Positions {
    #[serde(default)]
    sast: SastPositions,
    #[serde(default)]
    audit: AuditPositions,
    #[serde(default, rename = "pre-merge")]
    pre_merge: PreMergePositions,
}

#[derive(Default, Deserialize)]
struct SastPositions {
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, toml::Value>,
}

#[derive(Default, Deserialize)]
struct AuditPositions {
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<IgnorePositions>,
    #[serde(default)]
    bans: BansPositions,
}

#[derive(Deserialize)]
struct IgnorePositions {
    #[serde(default)]
    id: String,
    #[serde(default)]
    expires: Option<Spanned<toml::Value>>,
}

#[derive(Default, Deserialize)]
struct BansPositions {
    #[serde(default)]
    deny: Vec<BanPositions>,
}

#[derive(Deserialize)]
struct BanPositions {
    #[serde(default, rename = "crate")]
    name: String,
    #[serde(default)]
    version: Option<Spanned<String>>,
}

#[derive(Default, Deserialize)]
struct PreMergePositions {
    #[serde(default)]
    critical: Vec<Spanned<String>>,
}

/// Line and column (1-based, in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Check a whole `tollgate.toml`: the configuration and its parsed
/// `[audit] deny` kinds, or every problem found.
pub fn validate(text: &str) -> Result<(FileConfig, Vec<Kind>), Vec<Problem>> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        Problem {
            line,
            column,
            message,
        }
    };
    let config: FileConfig = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        vec![at(offset, e.message().trim_end().to_string())]
    })?;
    let positions: Positions = toml::from_str(text).unwrap_or_default();
    let mut problems = Vec::new();

    let rules = positions
        .sast
        .disable
        .iter()
        .map(|id| ("disable", id))
        .chain(positions.sast.enable.iter().map(|id| ("enable", id)))
        .chain(positions.sast.severity.keys().map(|id| ("severity", id)));
    for (key, id) in rules {
        if tollgate_sast::rules::find(id.get_ref()).is_none() {
            problems.push(at(
                id.span().start,
                format!(
                    "[sast] {key}: unknown rule `{}` (see `tollgate sast --list-rules`)",
                    id.get_ref()
                ),
            ));
        }
    }
    // Anything the positions above do not cover.
    if problems.is_empty() {
        if let Err(e) = config.sast.validate() {
            problems.push(at(0, e.to_string()));
        }
    }

    let mut deny = Vec::new();
    for kind in &positions.audit.deny {
        match Kind::parse(kind.get_ref()) {
            Some(k) if k != Kind::Vulnerability => deny.push(k),
            _ => problems.push(at(
                kind.span().start,
                format!(
                    "[audit] deny: unknown advisory kind `{}` (expected unmaintained, unsound, notice or yanked)",
                    kind.get_ref()
                ),
            )),
        }
    }
    for entry in &positions.audit.ignore {
        let Some(expires) = &entry.expires else {
            continue;
        };
        let text = match expires.get_ref() {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let Err(e) = crate::dates::parse_date(&text) {
            problems.push(at(
                expires.span().start,
                format!("[audit] ignore {}: expires {e}", entry.id),
            ));
        }
    }
    for ban in &positions.audit.bans.deny {
        let Some(version) = &ban.version else {
            continue;
        };
        if let Err(e) = semver::VersionReq::parse(version.get_ref()) {
            problems.push(at(
                version.span().start,
                format!(
                    "[audit.bans] {}: version `{}`: {e}",
                    ban.name,
                    version.get_ref()
                ),
            ));
        }
    }
    for pattern in &positions.pre_merge.critical {
        if let Err(e) = globset::Glob::new(pattern.get_ref()) {
            problems.push(at(
                pattern.span().start,
                format!(
                    "[pre-merge] critical: bad glob `{}`: {}",
                    pattern.get_ref(),
                    e.kind()
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok((config, deny))
    } else {
        Err(problems)
    }
}

fn find(start: &Path) -> Option<PathBuf> {
    // Absolute first: a bare `Cargo.lock` has an empty parent.
    let absolute = std::path::absolute(start).ok()?;
    let dir = if absolute.is_file() {
        absolute.parent()?
    } else {
        &absolute
    };
    dir.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// The repository root of `start` (the nearest ancestor with `.git`), used
/// to make reported paths repository-relative as code scanning expects.
pub fn repo_root(start: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(start).ok()?;
    absolute
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match validate(text) {
            Ok(_) => Vec::new(),
            Err(list) => list.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_misspelt_deny_kind_is_reported_at_its_position() {
        let text = "[audit]\ndeny = [\"unsound\", \"unmaintaned\"]\n";
        assert_eq!(
            problems(text),
            ["2:20: [audit] deny: unknown advisory kind `unmaintaned` (expected unmaintained, unsound, notice or yanked)"]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = "[sast]\nenable = [\"weak-hash\", \"nope\"]\n\n[audit]\ndeny = [\"vulnerability\"]\n\n[[audit.bans.deny]]\ncrate = \"openssl\"\nversion = \"one\"\nreason = \"no\"\n\n[[audit.ignore]]\nid = \"RUSTSEC-2020-0001\"\nreason = \"r\"\nexpires = \"2025-02-29\"\n\n[pre-merge]\ncritical = [\"a/[b\"]\n";
        let found = problems(text);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("2:24: [sast] enable: unknown rule `nope`"));
        assert!(found[1].starts_with("5:9: [audit] deny: unknown advisory kind `vulnerability`"));
        assert!(found[2].starts_with("15:11: [audit] ignore RUSTSEC-2020-0001: expires `2025-02-29` is not a date in the calendar"));
        assert!(found[3].starts_with("9:11: [audit.bans] openssl: version `one`"));
        assert!(found[4].starts_with("18:13: [pre-merge] critical: bad glob `a/[b`"));
    }

    #[test]
    fn syntax_and_type_errors_carry_their_position() {
        assert_eq!(
            problems("[audit]\ndeny = 3\n"),
            ["2:8: invalid type: integer `3`, expected a sequence"]
        );
        let unknown = problems("[audit]\ndenny = []\n");
        assert!(
            unknown[0].starts_with("2:1: unknown field `denny`"),
            "{unknown:?}"
        );
    }

    #[test]
    fn a_valid_file_yields_its_deny_kinds() {
        let (config, deny) = validate(
            "[audit]\ndeny = [\"yanked\", \"unsound\"]\n[[audit.ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = 2024-02-29\n",
        )
        .unwrap_or_default();
        assert_eq!(deny, [Kind::Yanked, Kind::Unsound]);
        assert_eq!(config.audit.ignore.len(), 1);
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("é = 1\nab", 8), (2, 2));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
