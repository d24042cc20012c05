//! in-toto Statement v1 and the predicates Tollgate produces.
//!
//! Predicate types:
//! * `https://slsa.dev/provenance/v1` (see [`crate::provenance`]);
//! * `https://cyclonedx.org/bom`: a CycloneDX SBOM;
//! * `https://in-toto.io/attestation/vulns/v0.2`: the dependency audit;
//! * [`SAST_PREDICATE_TYPE`]: Tollgate's SAST summary (there is no standard
//!   SARIF predicate): tool, rule set version, counts by severity, and the
//!   SHA-256 of the full SARIF log.

use crate::Error;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;
use std::path::Path;

/// The in-toto Statement v1 type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// CycloneDX SBOM.
pub const CYCLONEDX_BOM: &str = "https://cyclonedx.org/bom";
/// in-toto vulnerability scan v0.2.
pub const VULNS_V02: &str = "https://in-toto.io/attestation/vulns/v0.2";
/// Tollgate's SAST summary.
pub const SAST_PREDICATE_TYPE: &str =
    "https://github.com/tollgate-dev/tollgate/blob/main/docs/attestations.md#sast-v1";

/// A statement subject: a name and its digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The subject's name.
    pub name: String,
    /// Its digests by algorithm.
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A file, by SHA-256 and SHA-512.
    pub fn file(path: &Path) -> Result<Subject, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut digest = BTreeMap::new();
        digest.insert("sha256".into(), hex::encode(Sha256::digest(&bytes)));
        digest.insert("sha512".into(), hex::encode(Sha512::digest(&bytes)));
        Ok(Subject { name, digest })
    }

    /// An OCI image by manifest digest (`sha256:<hex>`).
    pub fn image(name: &str, digest: &str) -> Result<Subject, Error> {
        let (alg, hex_digest) = digest.split_once(':').ok_or_else(|| {
            Error::Verification(format!("`{digest}` is not an algorithm:hex digest"))
        })?;
        Ok(Subject {
            name: name.to_string(),
            digest: BTreeMap::from([(alg.to_string(), hex_digest.to_string())]),
        })
    }

    fn to_json(&self) -> Value {
        json!({ "name": self.name, "digest": self.digest })
    }
}

/// `{"_type", "subject", "predicateType", "predicate"}` in that order.
pub fn statement(subjects: &[Subject], predicate_type: &str, predicate: Value) -> Value {
    let mut m = Map::new();
    m.insert("_type".into(), json!(STATEMENT_TYPE));
    m.insert(
        "subject".into(),
        Value::Array(subjects.iter().map(Subject::to_json).collect()),
    );
    m.insert("predicateType".into(), json!(predicate_type));
    m.insert("predicate".into(), predicate);
    Value::Object(m)
}

/// Does the statement name this sha256 among its subjects?
pub fn has_subject_sha256(statement: &Value, sha256_hex: &str) -> bool {
    statement["subject"].as_array().is_some_and(|s| {
        s.iter()
            .any(|subj| subj["digest"]["sha256"].as_str() == Some(sha256_hex))
    })
}

/// The vulnerability predicate from `tollgate audit --format json` output.
pub fn vulns_predicate(audit_json: &Value, started: &str, finished: &str) -> Value {
    let findings = audit_json["tollgate"]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let result: Vec<Value> = findings
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
        .map(|f| {
            let mut entry = json!({ "id": f["id"], "severity": [] });
            if let (Some(score), Some(vector)) = (f["score"].as_f64(), f["cvss"].as_str()) {
                entry["severity"] = json!([{ "method": if vector.starts_with("CVSS:4") { "CVSSv4" } else { "CVSSv3" }, "score": format!("{score:.1}") }]);
            }
            entry["annotations"] = json!([{ "package": format!("{}@{}", f["package"].as_str().unwrap_or(""), f["version"].as_str().unwrap_or("")), "reachability": f["reachability"]["state"] }]);
            entry
        })
        .collect();
    json!({
        "scanner": {
            "uri": "https://github.com/tollgate-dev/tollgate",
            "version": env!("CARGO_PKG_VERSION"),
            "db": {
                "uri": "https://github.com/rustsec/advisory-db",
                "version": audit_json["database"]["last-commit"],
                "lastUpdate": audit_json["database"]["last-updated"],
            },
            "result": result,
        },
        "metadata": { "scanStartedOn": started, "scanFinishedOn": finished },
    })
}

/// Tollgate's SAST predicate from a SARIF log: counts by level, every
/// result's level read through [`SastLevel`] (a closed set; an unknown
/// word counts as critical).
pub fn sast_predicate(sarif_bytes: &[u8]) -> Result<Value, Error> {
    use crate::predicate::{SarifReference, SastCounts, SastLevel, SastSummary, SastTool};
    // Strict: a repeated key would let two readers count differently.
    let sarif: Value = crate::bundle::parse_strict_json_bytes(sarif_bytes)
        .map_err(|e| Error::Verification(format!("SARIF: {e}")))?;
    let runs = sarif["runs"]
        .as_array()
        .ok_or_else(|| Error::Verification("SARIF: no runs".into()))?;
    let mut counts = SastCounts::default();
    if runs.is_empty() {
        return Err(Error::Verification("SARIF: no runs".into()));
    }
    for run in runs {
        // A run without `results` did not report (SARIF §3.14.23), and a
        // failed invocation may have stopped early: neither is "clean".
        let results = run["results"].as_array().ok_or_else(|| {
            Error::Verification("SARIF: a run has no `results` (the tool did not report)".into())
        })?;
        if run["invocations"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["executionSuccessful"] == Value::Bool(false))
        {
            return Err(Error::Verification(
                "SARIF: the tool's invocation did not succeed".into(),
            ));
        }
        for r in results {
            counts.add(SastLevel::of_sarif_result(r, run));
        }
    }
    let run = &sarif["runs"][0];
    let summary = SastSummary {
        tool: SastTool {
            name: run["tool"]["driver"]["name"].clone(),
            version: run["tool"]["driver"]["semanticVersion"].clone(),
            ruleset: run["tool"]["driver"]["version"].clone(),
        },
        results: counts.total(),
        counts,
        sarif: SarifReference {
            digest: BTreeMap::from([(
                "sha256".to_string(),
                hex::encode(Sha256::digest(sarif_bytes)),
            )]),
            media_type: "application/sarif+json".into(),
        },
    };
    serde_json::to_value(&summary).map_err(|e| Error::Verification(format!("SARIF: {e}")))
}
