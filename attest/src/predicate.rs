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
        let statement: Statement = serde_json::from_value(value)
            .map_err(|e| PredicateError::Statement(e.to_string()))?;
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
        self.subject.iter().any(|s| {
            s.digest
                .get("sha256")
                .is_some_and(|d| d.eq_ignore_ascii_case(sha256_hex))
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

impl Provenance {
    /// The source repositories the provenance names: each git
    /// `resolvedDependencies` URI without its `@ref`, and GitHub's
    /// `externalParameters.workflow.repository`.
    pub fn source_repositories(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .build_definition
            .resolved_dependencies
            .iter()
            .filter_map(|d| d.uri.as_deref())
            .filter_map(|u| u.strip_prefix("git+"))
            .map(|u| match u.rsplit_once('@') {
                Some((repo, _)) if !repo.ends_with(':') && repo.contains("://") => {
                    repo.to_string()
                }
                _ => u.to_string(),
            })
            .collect();
        if let Some(r) = self.build_definition.external_parameters["workflow"]["repository"].as_str()
        {
            out.push(r.to_string());
        }
        out.sort();
        out.dedup();
        out
    }

    /// The git refs the provenance names (`…@refs/heads/main` on a git
    /// dependency; GitHub's `externalParameters.workflow.ref`).
    pub fn refs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .build_definition
            .resolved_dependencies
            .iter()
            .filter_map(|d| d.uri.as_deref())
            .filter(|u| u.starts_with("git+"))
            .filter_map(|u| u.rsplit_once('@').map(|(_, r)| r.to_string()))
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
            n if n == 0.0 => 0,
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
    /// case), else the SARIF `level`. A word outside the set counts as
    /// critical, so an unexpected spelling can never hide a finding.
    pub fn of_sarif_result(result: &Value) -> SastLevel {
        match result["properties"]["severity"].as_str() {
            Some(word) => Self::from_word(word).unwrap_or(SastLevel::Critical),
            None => match result["level"].as_str() {
                None | Some("warning") => SastLevel::Medium,
                Some("note") | Some("none") => SastLevel::Note,
                Some("error") => SastLevel::High,
                Some(_) => SastLevel::Critical,
            },
        }
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
    /// Every licence identifier the component names: SPDX ids, names, and
    /// the identifiers inside expressions.
    pub fn license_ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in &self.licenses {
            if let Some(e) = &l.expression {
                out.extend(
                    e.split(|ch: char| ch.is_whitespace() || ch == '(' || ch == ')')
                        .filter(|t| !t.is_empty())
                        .filter(|t| !matches!(*t, "AND" | "OR" | "WITH" | "and" | "or" | "with"))
                        .map(|t| t.trim_end_matches('+').to_string()),
                );
            }
            if let Some(lic) = &l.license {
                out.extend(lic.id.iter().cloned());
                out.extend(lic.name.iter().cloned());
            }
        }
        out
    }
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
            assert_eq!(SastLevel::of_sarif_result(&r), level, "{word}");
        }
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
