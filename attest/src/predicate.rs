//! Typed in-toto statements and the predicates Tollgate writes and reads:
//! one definition shared by the writer (`tollgate attest`) and the reader
//! (the deploy gate), so the two cannot drift apart.
//!
//! Reading is strict where a lax reading would admit: a statement's JSON
//! may not repeat a key; a vulnerability's every severity entry counts and
//! a score that cannot be read counts as critical; SAST levels are a
//! closed set, and an unknown level counts as critical when written and
//! fails to parse when read; SBOM components are read at every depth.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// in-toto Statement v1 (and v0.1, which older cosign attestations use).
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// Why a statement or predicate could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PredicateError {
    #[error("in-toto statement: {0}")]
    Statement(String),
    #[error("`{predicate_type}` predicate: {message}")]
    Predicate {
        predicate_type: String,
        message: String,
    },
}

/// A statement subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSubject {
    #[serde(default)]
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// An in-toto statement read from a verified DSSE payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<StatementSubject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: Value,
}

impl Statement {
    /// Read a statement from payload bytes: strict JSON (no duplicate keys,
    /// nothing after it), a known `_type`, at least one subject, each with
    /// at least one digest.
    pub fn from_payload(payload: &[u8]) -> Result<Statement, PredicateError> {
        let value = crate::bundle::parse_strict_json_bytes(payload)
            .map_err(|e| PredicateError::Statement(e.0))?;
        let statement: Statement =
            serde_json::from_value(value).map_err(|e| PredicateError::Statement(e.to_string()))?;
        if statement.statement_type != STATEMENT_V1 && statement.statement_type != STATEMENT_V01 {
            return Err(PredicateError::Statement(format!(
                "unknown _type `{}`",
                statement.statement_type
            )));
        }
        if statement.subject.is_empty() {
            return Err(PredicateError::Statement("no subject".into()));
        }
        if statement.subject.iter().any(|s| s.digest.is_empty()) {
            return Err(PredicateError::Statement("a subject has no digest".into()));
        }
        Ok(statement)
    }

    /// Does a subject carry this SHA-256 (hex, any case)?
    pub fn names_sha256(&self, sha256_hex: &str) -> bool {
        self.names(&ArtifactDigests::sha256(sha256_hex))
    }

    /// Does a subject name the artifact? A subject matches when every
    /// digest it gives in an algorithm we computed agrees, and it gives at
    /// least one (npm provenance names only sha512, images only sha256).
    pub fn names(&self, digests: &ArtifactDigests) -> bool {
        self.subject.iter().any(|s| {
            let mut matched = false;
            for (alg, value) in &s.digest {
                if let Some(ours) = digests.get(alg) {
                    if !value.eq_ignore_ascii_case(ours) {
                        return false;
                    }
                    matched = true;
                }
            }
            matched
        })
    }

    /// The predicate as `T`, or why it is not one.
    pub fn predicate_as<T: for<'de> Deserialize<'de>>(&self) -> Result<T, PredicateError> {
        serde_json::from_value(self.predicate.clone()).map_err(|e| PredicateError::Predicate {
            predicate_type: self.predicate_type.clone(),
            message: e.to_string(),
        })
    }
}

/// An artifact's digests (lower-case hex) by in-toto algorithm name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArtifactDigests(BTreeMap<&'static str, String>);

impl ArtifactDigests {
    /// SHA-256, SHA-384 and SHA-512 of the bytes.
    pub fn of_bytes(bytes: &[u8]) -> ArtifactDigests {
        use sha2::Digest;
        ArtifactDigests(BTreeMap::from([
            ("sha256", hex::encode(sha2::Sha256::digest(bytes))),
            ("sha384", hex::encode(sha2::Sha384::digest(bytes))),
            ("sha512", hex::encode(sha2::Sha512::digest(bytes))),
        ]))
    }

    /// Only a SHA-256 is known (an image's manifest digest).
    pub fn sha256(hex_digest: &str) -> ArtifactDigests {
        ArtifactDigests(BTreeMap::from([(
            "sha256",
            hex_digest.to_ascii_lowercase(),
        )]))
    }

    fn get(&self, algorithm: &str) -> Option<&str> {
        self.0
            .get(algorithm.to_ascii_lowercase().as_str())
            .map(String::as_str)
    }

    /// The SHA-256, when known.
    pub fn sha256_hex(&self) -> Option<&str> {
        self.get("sha256")
    }
}

// ---------------------------------------------------------------------------
// SLSA provenance v1
// ---------------------------------------------------------------------------

/// SLSA provenance v1 (`https://slsa.dev/provenance/v1`), the fields a
/// policy reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub build_definition: BuildDefinition,
    pub run_details: RunDetails,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    pub build_type: String,
    pub external_parameters: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    pub builder: Builder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Builder {
    pub id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// Code forges whose `https://host/owner/repo/…` URLs are source
/// repositories, whatever follows the repository.
const FORGES: [&str; 4] = ["github.com", "gitlab.com", "bitbucket.org", "codeberg.org"];

/// A dependency URI that is source code: a VCS URI (`git+…`, `git://`,
/// `ssh://`, `git@host:`, `hg+…`, `svn+…`) or a forge URL. Returns the
/// repository (without `@ref`, `.git` or a path below the repository) and
/// the ref, if any. Package URLs (`pkg:`) and registry downloads are not
/// sources.
fn source_of(uri: &str) -> Option<(String, Option<String>)> {
    let vcs = ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .find_map(|p| uri.strip_prefix(p));
    let (rest, is_vcs) = match vcs {
        Some(r) => (r, true),
        None if uri.starts_with("git://") || uri.starts_with("ssh://") => (uri, true),
        None if uri.starts_with("git@") => (uri, true),
        None => (uri, false),
    };
    let (repo, git_ref) = match rest.split_once("://") {
        Some((scheme, after)) => match after.split_once('@') {
            // `user@host/...` is a login, not a ref, when it comes first.
            Some((left, right)) if left.contains('/') => {
                (format!("{scheme}://{left}"), Some(right.to_string()))
            }
            _ => (rest.to_string(), None),
        },
        // scp-like `git@host:owner/repo[@ref]`.
        None => match rest.rsplit_once('@') {
            Some((left, right)) if left.contains(':') => {
                (left.to_string(), Some(right.to_string()))
            }
            _ => (rest.to_string(), None),
        },
    };
    let trimmed = |r: &str| r.trim_end_matches('/').trim_end_matches(".git").to_string();
    if is_vcs {
        return Some((trimmed(&repo), git_ref));
    }
    // A forge URL: the repository is the first two path segments.
    let after = repo
        .strip_prefix("https://")
        .or_else(|| repo.strip_prefix("http://"))?;
    let mut parts = after.split('/');
    let host = parts.next()?.to_ascii_lowercase();
    if !FORGES.contains(&host.as_str()) {
        return None;
    }
    let (owner, name) = (parts.next()?, parts.next()?);
    Some((
        format!("https://{host}/{owner}/{}", name.trim_end_matches(".git")),
        git_ref,
    ))
}

impl Provenance {
    /// The source repositories the provenance names: every source-code
    /// dependency (see `source_of`) and GitHub's
    /// `externalParameters.workflow.repository`. A policy must allow every
    /// one: a second, unlisted source is not hidden by a first, listed one.
    pub fn source_repositories(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .build_definition
            .resolved_dependencies
            .iter()
            .filter_map(|d| d.uri.as_deref())
            .filter_map(source_of)
            .map(|(repo, _)| repo)
            .collect();
        if let Some(r) =
            self.build_definition.external_parameters["workflow"]["repository"].as_str()
        {
            out.push(r.trim_end_matches('/').trim_end_matches(".git").to_string());
        }
        out.sort();
        out.dedup();
        out
    }

    /// The git refs the provenance names (`…@refs/heads/main` on a source
    /// dependency; GitHub's `externalParameters.workflow.ref`).
    pub fn refs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .build_definition
            .resolved_dependencies
            .iter()
            .filter_map(|d| d.uri.as_deref())
            .filter_map(source_of)
            .filter_map(|(_, r)| r)
            .collect();
        if let Some(r) = self.build_definition.external_parameters["workflow"]["ref"].as_str() {
            out.push(r.to_string());
        }
        out.sort();
        out.dedup();
        out
    }
}

// ---------------------------------------------------------------------------
// in-toto vulns v0.2
// ---------------------------------------------------------------------------

/// The in-toto vulnerability predicate v0.2.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vulns {
    pub scanner: Scanner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ScanMetadata>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scanner {
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<Value>,
    /// Required: a scan that lists nothing must say so with `[]`.
    pub result: Vec<VulnResult>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_finished_on: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VulnResult {
    pub id: String,
    #[serde(default)]
    pub severity: Vec<SeverityEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SeverityEntry {
    pub method: String,
    pub score: String,
}

/// Severity ranks: 0 none, 1 low, 2 medium, 3 high, 4 critical.
pub const SEVERITY_NAMES: [&str; 5] = ["none", "low", "medium", "high", "critical"];

/// The rank of a score: a CVSS number (0.0–10.0) or a qualitative word
/// (none, low, medium/moderate, high, critical). Anything else is `None`.
pub fn score_rank(score: &str) -> Option<u8> {
    let s = score.trim();
    if let Ok(n) = s.parse::<f64>() {
        if !n.is_finite() || !(0.0..=10.0).contains(&n) {
            return None;
        }
        return Some(match n {
            0.0 => 0,
            n if n < 4.0 => 1,
            n if n < 7.0 => 2,
            n if n < 9.0 => 3,
            _ => 4,
        });
    }
    match s.to_ascii_lowercase().as_str() {
        "none" => Some(0),
        "low" => Some(1),
        "medium" | "moderate" => Some(2),
        "high" => Some(3),
        "critical" => Some(4),
        _ => None,
    }
}

impl VulnResult {
    /// The highest rank over every severity entry; no entry, or an entry
    /// whose score cannot be read, counts as critical (fail closed).
    pub fn rank(&self) -> u8 {
        if self.severity.is_empty() {
            return 4;
        }
        self.severity
            .iter()
            .map(|e| score_rank(&e.score).unwrap_or(4))
            .max()
            .unwrap_or(4)
    }

    /// The highest readable score, for messages.
    pub fn score_text(&self) -> String {
        let scores: Vec<&str> = self.severity.iter().map(|e| e.score.as_str()).collect();
        if scores.is_empty() {
            "unknown".into()
        } else {
            scores.join(", ")
        }
    }

    /// Tollgate's own annotation: the audit found the vulnerable code
    /// unreachable.
    pub fn not_reachable(&self) -> bool {
        self.annotations
            .iter()
            .any(|a| a["reachability"] == "not-reachable")
    }
}

// ---------------------------------------------------------------------------
// Tollgate's SAST summary
// ---------------------------------------------------------------------------

/// A SAST finding's level: a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SastLevel {
    Note,
    Low,
    Medium,
    High,
    Critical,
}

impl SastLevel {
    /// A SARIF result's level: `properties.severity` when present (any
    /// case), else the SARIF `level`, else the rule's
    /// `defaultConfiguration.level` (SARIF 2.1.0 §3.27.10), else warning;
    /// raised to the `security-severity` score (GitHub's convention, on the
    /// result or its rule) when that is higher. A word outside the set
    /// counts as critical, so an unexpected spelling can never hide a
    /// finding. `rules` is the run's `tool.driver.rules`.
    pub fn of_sarif_result(result: &Value, rules: &[Value]) -> SastLevel {
        let rule = result["ruleIndex"]
            .as_u64()
            .and_then(|i| rules.get(usize::try_from(i).ok()?))
            .or_else(|| {
                let id = result["ruleId"].as_str()?;
                rules.iter().find(|r| r["id"].as_str() == Some(id))
            });
        let level = match result["properties"]["severity"].as_str() {
            Some(word) => Self::from_word(word).unwrap_or(SastLevel::Critical),
            None => {
                let sarif_level = result["level"]
                    .as_str()
                    .or_else(|| rule.and_then(|r| r["defaultConfiguration"]["level"].as_str()));
                match sarif_level {
                    None | Some("warning") => SastLevel::Medium,
                    Some("note") | Some("none") => SastLevel::Note,
                    Some("error") => SastLevel::High,
                    Some(_) => SastLevel::Critical,
                }
            }
        };
        // The result's own score, else its rule's; only error-level scores
        // (>= 7, GitHub's high and critical) raise the level. An
        // unreadable score counts as critical.
        let score = [
            &result["properties"]["security-severity"],
            rule.map_or(&Value::Null, |r| &r["properties"]["security-severity"]),
        ]
        .into_iter()
        .find(|v| !v.is_null());
        let security = score.map(|v| {
            let x = v
                .as_str()
                .and_then(|s| s.trim().parse::<f64>().ok())
                .or_else(|| v.as_f64());
            match x {
                Some(x) if x.is_finite() && (0.0..=10.0).contains(&x) => {
                    if x >= 9.0 {
                        SastLevel::Critical
                    } else if x >= 7.0 {
                        SastLevel::High
                    } else {
                        SastLevel::Note
                    }
                }
                _ => SastLevel::Critical,
            }
        });
        security.map_or(level, |s| s.max(level))
    }

    fn from_word(word: &str) -> Option<SastLevel> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "critical" => SastLevel::Critical,
            "high" | "error" => SastLevel::High,
            "medium" | "moderate" | "warning" => SastLevel::Medium,
            "low" => SastLevel::Low,
            "note" | "info" | "none" => SastLevel::Note,
            _ => return None,
        })
    }
}

/// Counts by level; every level is present, and no other key may be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SastCounts {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub note: u64,
}

impl SastCounts {
    pub fn add(&mut self, level: SastLevel) {
        let slot = match level {
            SastLevel::Critical => &mut self.critical,
            SastLevel::High => &mut self.high,
            SastLevel::Medium => &mut self.medium,
            SastLevel::Low => &mut self.low,
            SastLevel::Note => &mut self.note,
        };
        *slot += 1;
    }

    /// Error-level findings: critical and high.
    pub fn errors(&self) -> u64 {
        self.critical.saturating_add(self.high)
    }

    pub fn total(&self) -> u64 {
        [self.critical, self.high, self.medium, self.low, self.note]
            .iter()
            .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// Tollgate's SAST predicate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SastSummary {
    pub tool: SastTool,
    pub counts: SastCounts,
    /// The number of results in the SARIF log; must equal the counts' total.
    pub results: u64,
    pub sarif: SarifReference,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SastTool {
    pub name: Value,
    #[serde(default)]
    pub version: Value,
    #[serde(default)]
    pub ruleset: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifReference {
    pub digest: BTreeMap<String, String>,
    pub media_type: String,
}

impl SastSummary {
    /// The summary's own consistency: the counts add up to the results.
    pub fn check(&self) -> Result<(), PredicateError> {
        if self.counts.total() != self.results {
            return Err(PredicateError::Predicate {
                predicate_type: crate::statement::SAST_PREDICATE_TYPE.into(),
                message: format!(
                    "counts add up to {} but {} results are reported",
                    self.counts.total(),
                    self.results
                ),
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// CycloneDX (as an attestation predicate)
// ---------------------------------------------------------------------------

/// The parts of a CycloneDX BOM a policy reads.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycloneDx {
    pub bom_format: String,
    pub spec_version: String,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub components: Vec<Component>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Component {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
    #[serde(default)]
    pub licenses: Vec<LicenseChoice>,
    #[serde(default)]
    pub components: Vec<Component>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LicenseChoice {
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub license: Option<License>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct License {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl CycloneDx {
    /// Check the format, then every component at any depth.
    pub fn all_components(&self) -> Result<Vec<&Component>, String> {
        if self.bom_format != "CycloneDX" {
            return Err(format!("bomFormat is `{}`, not CycloneDX", self.bom_format));
        }
        let mut out = Vec::new();
        let mut stack: Vec<&Component> = self.components.iter().collect();
        while let Some(c) = stack.pop() {
            stack.extend(c.components.iter());
            out.push(c);
        }
        Ok(out)
    }
}

impl Component {
    /// Every licence the component names, resolved to canonical SPDX ids
    /// (see [`canonical_licenses`]); `Err` with the text that could not be
    /// resolved.
    pub fn licenses(&self) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for l in &self.licenses {
            let texts = l.expression.iter().chain(
                l.license
                    .iter()
                    .flat_map(|lic| lic.id.iter().chain(lic.name.iter())),
            );
            for text in texts {
                out.extend(canonical_licenses(text)?);
            }
        }
        Ok(out)
    }
}

/// The licences an SPDX expression (or a licence id or name written
/// loosely: any case, `/` for OR, `+`, deprecated GNU ids) names, as
/// canonical SPDX ids: `GPL-3.0` becomes `GPL-3.0-only` and `GPL-3.0+`
/// becomes `GPL-3.0-or-later`. `LicenseRef-…` is kept as written. A token
/// that is no licence is an error, so a licence cannot hide behind a
/// spelling the reader does not know.
pub fn canonical_licenses(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for token in text
        .split(|ch: char| ch.is_whitespace() || matches!(ch, '(' | ')' | '/' | ','))
        .filter(|t| !t.is_empty())
    {
        if matches!(token.to_ascii_uppercase().as_str(), "AND" | "OR" | "WITH") {
            continue;
        }
        if token.starts_with("LicenseRef-") || token.starts_with("DocumentRef-") {
            out.push(token.to_string());
            continue;
        }
        let plus = token.ends_with('+');
        let base = token.trim_end_matches('+');
        let found = spdx::identifiers::LICENSES
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(base))
            .and_then(|l| spdx::license_id(l.name))
            .or_else(|| spdx::imprecise_license_id(base).map(|(id, _)| id));
        let Some(id) = found else {
            // An exception after WITH (`LLVM-exception`) is no licence.
            if spdx::exception_id(base).is_some()
                || spdx::identifiers::EXCEPTIONS
                    .iter()
                    .any(|e| e.name.eq_ignore_ascii_case(base))
            {
                continue;
            }
            return Err(format!("`{token}` in `{text}` is not an SPDX licence"));
        };
        let name = id.name;
        let canonical = if id.is_gnu() && !name.ends_with("-only") && !name.ends_with("-or-later") {
            if plus {
                format!("{name}-or-later")
            } else {
                format!("{name}-only")
            }
        } else if plus && id.is_gnu() && name.ends_with("-only") {
            name.replace("-only", "-or-later")
        } else {
            name.to_string()
        };
        out.push(canonical);
    }
    Ok(out)
}

/// Does a component licence (canonical) fall under a denied one? The same
/// id, or the `-or-later` form of a denied `-only` (which includes it).
pub fn license_denied(license: &str, denied: &str) -> bool {
    let Ok(denied) = canonical_licenses(denied) else {
        return license.eq_ignore_ascii_case(denied);
    };
    denied.iter().any(|d| {
        license.eq_ignore_ascii_case(d)
            || d.strip_suffix("-only")
                .is_some_and(|base| license.eq_ignore_ascii_case(&format!("{base}-or-later")))
    })
}

/// Crate names compare case-insensitively with `-` and `_` alike, as
/// crates.io treats them.
pub fn same_crate_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_severity_entry_counts() {
        let v: VulnResult = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [{"method": "CVSSv2", "score": "2.0"}, {"method": "CVSSv3", "score": "9.8"}]
        }))
        .unwrap();
        assert_eq!(v.rank(), 4);
        let unreadable: VulnResult = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [{"method": "CVSSv3", "score": "CVSS:3.1/AV:N"}]
        }))
        .unwrap();
        assert_eq!(unreadable.rank(), 4);
        let none: VulnResult =
            serde_json::from_value(serde_json::json!({"id": "X", "severity": []})).unwrap();
        assert_eq!(none.rank(), 4);
        assert_eq!(score_rank("NaN"), None);
        assert_eq!(score_rank("11"), None);
        assert_eq!(score_rank("5.0"), Some(2));
    }

    #[test]
    fn sast_levels_are_closed() {
        for (word, level) in [
            ("HIGH", SastLevel::High),
            ("error", SastLevel::High),
            ("Critical", SastLevel::Critical),
            ("severe", SastLevel::Critical),
        ] {
            let r = serde_json::json!({"properties": {"severity": word}});
            assert_eq!(SastLevel::of_sarif_result(&r, &[]), level, "{word}");
        }
        // A result without a level takes its rule's default; a
        // security-severity score raises the level.
        let rules =
            vec![serde_json::json!({"id": "r1", "defaultConfiguration": {"level": "error"}})];
        let by_rule = serde_json::json!({"ruleId": "r1"});
        assert_eq!(
            SastLevel::of_sarif_result(&by_rule, &rules),
            SastLevel::High
        );
        let scored =
            serde_json::json!({"level": "warning", "properties": {"security-severity": "9.8"}});
        assert_eq!(
            SastLevel::of_sarif_result(&scored, &[]),
            SastLevel::Critical
        );
        let counts = serde_json::json!({"critical": 0, "high": 0, "medium": 0, "low": 0, "note": 0, "HIGH": 3});
        assert!(serde_json::from_value::<SastCounts>(counts).is_err());
    }

    #[test]
    fn statements_reject_duplicate_keys_and_unknown_types() {
        let ok = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"AB"}}],"predicateType":"x","predicate":{}}"#;
        let s = Statement::from_payload(ok).unwrap();
        assert!(s.names_sha256("ab"));
        let dup = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ab"}}],"predicateType":"x","predicateType":"y","predicate":{}}"#;
        assert!(Statement::from_payload(dup).is_err());
        let no_subject =
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}"#;
        assert!(Statement::from_payload(no_subject).is_err());
    }

    #[test]
    fn licences_resolve_loosely_and_deny_strictly() {
        assert_eq!(
            canonical_licenses("gpl-3.0-only OR mit").unwrap(),
            vec!["GPL-3.0-only", "MIT"]
        );
        assert_eq!(
            canonical_licenses("GPL-3.0/MIT").unwrap(),
            vec!["GPL-3.0-only", "MIT"]
        );
        assert_eq!(
            canonical_licenses("GPL-3.0+").unwrap(),
            vec!["GPL-3.0-or-later"]
        );
        assert_eq!(
            canonical_licenses("Apache-2.0 WITH LLVM-exception").unwrap(),
            vec!["Apache-2.0"]
        );
        assert!(canonical_licenses("Some Custom Licence").is_err());
        assert!(license_denied("GPL-3.0-or-later", "GPL-3.0-only"));
        assert!(license_denied("GPL-3.0-only", "GPL-3.0"));
        assert!(!license_denied("MIT", "GPL-3.0-only"));
    }

    #[test]
    fn provenance_sources_include_every_vcs_dependency() {
        let p: Provenance = serde_json::from_value(serde_json::json!({
            "buildDefinition": {"buildType": "x", "externalParameters": {},
                "resolvedDependencies": [
                    {"uri": "git+https://github.com/org/app@refs/heads/main"},
                    {"uri": "https://github.com/evil/backdoor/archive/main.tar.gz"},
                    {"uri": "git://github.com/evil/other@refs/heads/evil"},
                    {"uri": "pkg:cargo/serde@1.0.0"}
                ]},
            "runDetails": {"builder": {"id": "b"}}
        }))
        .unwrap();
        let sources = p.source_repositories();
        assert!(
            sources.contains(&"https://github.com/org/app".to_string()),
            "{sources:?}"
        );
        assert!(
            sources.contains(&"https://github.com/evil/backdoor".to_string()),
            "{sources:?}"
        );
        assert!(
            sources.iter().any(|s| s.contains("evil/other")),
            "{sources:?}"
        );
        assert_eq!(sources.len(), 3, "{sources:?}");
        assert!(p.refs().contains(&"refs/heads/evil".to_string()));
    }

    #[test]
    fn nested_components_are_read() {
        let bom: CycloneDx = serde_json::from_value(serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "components": [{"name": "a", "components": [{"name": "openssl", "version": "1"}]}]
        }))
        .unwrap();
        let names: Vec<&str> = bom
            .all_components()
            .unwrap()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert!(names.contains(&"openssl"));
    }
}
