//! The decision: which authorities signed verified attestations for this
//! subject, and whether each required attestation says what the policy
//! demands. Only verified statements reach a condition.

use crate::policy::IdentityRule;
use crate::policy::{expand_type, severity_rank, valid_date, Authority, Policy, Requirement};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use tollgate_attest::verify::{verify_bundle, Signer, Subject, Trust};

/// One checked requirement.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub requirement: String,
    pub passed: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub subject: String,
    pub digest: String,
    pub policy: String,
    pub mode: crate::policy::Mode,
    /// The deploy may go ahead (in warn mode, always; see `violations`).
    pub allowed: bool,
    /// Requirements that failed (in warn mode these are warnings).
    pub violations: usize,
    pub authorities: Vec<String>,
    pub checks: Vec<Check>,
}

/// A statement whose signature, signer and subject were verified.
struct Verified {
    authority: String,
    statement: Value,
    /// When it was attested: the log entry's time, else the signed predicate's.
    time: Option<i64>,
}

/// The time a verified statement was made: the transparency log's time
/// when logged; otherwise the time the signed predicate records.
fn attested_at(integrated_time: Option<&str>, statement: &Value) -> Option<i64> {
    if let Some(t) = integrated_time.and_then(|t| t.parse::<i64>().ok()) {
        return Some(t);
    }
    let p = &statement["predicate"];
    [
        &p["runDetails"]["metadata"]["finishedOn"],
        &p["runDetails"]["metadata"]["startedOn"],
        &p["metadata"]["timestamp"],
        &p["metadata"]["scanFinishedOn"],
        &p["metadata"]["scanStartedOn"],
        &p["timestamp"],
    ]
    .iter()
    .find_map(|v| v.as_str().and_then(crate::policy::parse_rfc3339_utc))
}

/// What is being admitted.
pub enum Target<'a> {
    File(&'a std::path::Path),
    /// An image (or anything) known only by its SHA-256 (hex).
    Digest {
        name: &'a str,
        sha256: &'a str,
    },
}

/// How to verify a bundle for an authority, and the identity rule to apply
/// afterwards when the identity is a pattern (the Sigstore verifier checks
/// exact identities itself; a pattern needs the certified identity first).
fn authority_signer(a: &Authority) -> Option<(Signer, Trust, Option<IdentityRule>)> {
    match (&a.key, &a.keyless) {
        (Some(key), None) => Some((Signer::KeyPem(key.value.clone()), Trust::PublicGood, None)),
        (None, Some(k)) => {
            let rule = k.rule().ok()?;
            match &rule.exact {
                Some(identity) => Some((
                    Signer::Identity {
                        identity: identity.clone(),
                        issuer: rule.issuer.clone(),
                    },
                    k.trust(),
                    None,
                )),
                None => Some((Signer::AnyIdentity, k.trust(), Some(rule))),
            }
        }
        _ => None,
    }
}

/// Is the authority's key usable at `now` (Unix seconds)?
fn in_window(a: &Authority, now: i64) -> Result<(), String> {
    if let Some(from) = a.valid_from.as_ref().and_then(|d| valid_date(&d.value)) {
        if now < from {
            return Err(format!(
                "authority `{}` is valid only from {}",
                a.name.value,
                a.valid_from
                    .as_ref()
                    .map(|d| d.value.as_str())
                    .unwrap_or("")
            ));
        }
    }
    if let Some(until) = a.valid_until.as_ref().and_then(|d| valid_date(&d.value)) {
        if now >= until + 86_400 {
            return Err(format!(
                "authority `{}` expired on {}",
                a.name.value,
                a.valid_until
                    .as_ref()
                    .map(|d| d.value.as_str())
                    .unwrap_or("")
            ));
        }
    }
    Ok(())
}

/// Every crate `cargo auditable` recorded in the binary (the root package
/// aside) must be a component of the SBOM, by name and version.
fn binary_matches_sbom(binary: Option<&std::path::Path>, sbom: &Value) -> Result<(), String> {
    let Some(path) = binary else {
        return Err(
            "matchBinary: the subject is not a file, so there is no binary to compare".into(),
        );
    };
    let inventory = tollgate_sbom::auditable::inventory_from_binary(path)
        .map_err(|e| format!("matchBinary: {e}"))?;
    let listed: BTreeSet<(String, String)> = sbom["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                c["version"].as_str()?.to_string(),
            ))
        })
        .collect();
    let missing: Vec<String> = inventory
        .items
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != inventory.root)
        .filter(|(_, item)| !listed.contains(&(item.name.clone(), item.version.clone())))
        .map(|(_, item)| format!("{}@{}", item.name, item.version))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the binary contains {} crate(s) the SBOM does not list: {}",
            missing.len(),
            missing.join(", ")
        ))
    }
}

fn statement_of(bundle_path: &std::path::Path) -> Option<Value> {
    let bundle: Value = serde_json::from_slice(&std::fs::read(bundle_path).ok()?).ok()?;
    let payload = B64
        .decode(bundle["dsseEnvelope"]["payload"].as_str()?)
        .ok()?;
    serde_json::from_slice(&payload).ok()
}

/// Decide. `now` is Unix seconds (key validity windows).
pub fn decide(
    policy: &Policy,
    target: &Target<'_>,
    bundles: &[std::path::PathBuf],
    now: i64,
) -> Decision {
    let (subject_name, sha256) = match target {
        Target::File(path) => {
            use sha2::Digest;
            let digest = std::fs::read(path)
                .map(|b| hex::encode(sha2::Sha256::digest(b)))
                .unwrap_or_default();
            (
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                digest,
            )
        }
        Target::Digest { name, sha256 } => (name.to_string(), sha256.to_string()),
    };
    let subject = match target {
        Target::File(path) => Subject::File(path.to_path_buf()),
        Target::Digest { sha256, .. } => Subject::Sha256(sha256.to_string()),
    };
    let mut checks = Vec::new();
    let mut verified: Vec<Verified> = Vec::new();
    let mut notes: BTreeSet<String> = BTreeSet::new();

    for bundle in bundles {
        let mut accepted = false;
        for authority in &policy.authorities {
            let Some((signer, trust, pattern)) = authority_signer(authority) else {
                continue;
            };
            if let Err(reason) = in_window(authority, now) {
                notes.insert(reason);
                continue;
            }
            let ignore_tlog = authority.allow_unlogged && authority.key.is_some();
            let Ok(certified) = verify_bundle(bundle, &subject, &signer, &trust, ignore_tlog)
            else {
                continue;
            };
            if let Some(rule) = &pattern {
                let (Some(identity), Some(issuer)) = (&certified.identity, &certified.issuer)
                else {
                    continue;
                };
                if !rule.matches(issuer, identity) {
                    notes.insert(format!(
                        "{}: signed by {identity} ({issuer}), which authority `{}` does not accept",
                        bundle.display(),
                        authority.name.value
                    ));
                    continue;
                }
            }
            // Defence in depth: the verified statement must name this subject.
            if let Some(statement) = statement_of(bundle) {
                if tollgate_attest::statement::has_subject_sha256(&statement, &sha256) {
                    let time = attested_at(certified.integrated_time.as_deref(), &statement);
                    verified.push(Verified {
                        authority: authority.name.value.clone(),
                        statement,
                        time,
                    });
                    accepted = true;
                } else {
                    notes.insert(format!(
                        "{}: statement does not name sha256:{sha256}",
                        bundle.display()
                    ));
                }
            } else {
                // A plain signature over the artifact (no statement).
                verified.push(Verified {
                    authority: authority.name.value.clone(),
                    statement: Value::Null,
                    time: None,
                });
                accepted = true;
            }
            break;
        }
        if !accepted {
            notes.insert(format!(
                "{}: not verified by any authority of the policy",
                bundle.display()
            ));
        }
    }

    let signers: BTreeSet<String> = verified.iter().map(|v| v.authority.clone()).collect();
    let binary = match target {
        Target::File(path) => Some(*path),
        Target::Digest { .. } => None,
    };
    let threshold = policy.threshold();
    checks.push(Check {
        requirement: format!(
            "signed by {threshold} of {} authorities",
            policy.authorities.len()
        ),
        passed: signers.len() >= threshold,
        reason: if signers.is_empty() {
            format!(
                "no valid signature from a trusted authority{}",
                if notes.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        notes.iter().cloned().collect::<Vec<_>>().join("; ")
                    )
                }
            )
        } else {
            format!(
                "signed by {}",
                signers.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        },
    });
    for requirement in &policy.attestations {
        checks.push(check_requirement(requirement, &verified, binary, now));
    }
    if let Some(rego) = &policy.rego {
        let input = serde_json::json!({
            "subject": subject_name,
            "digest": format!("sha256:{sha256}"),
            "signers": signers.iter().collect::<Vec<_>>(),
            "attestations": verified
                .iter()
                .filter(|v| !v.statement.is_null())
                .map(|v| serde_json::json!({
                    "authority": v.authority,
                    "predicateType": v.statement["predicateType"],
                    "predicate": v.statement["predicate"],
                }))
                .collect::<Vec<_>>(),
        });
        checks.push(match crate::rego::deny(&rego.value, &input) {
            Ok(messages) if messages.is_empty() => Check {
                requirement: "rego".into(),
                passed: true,
                reason: "no deny rule matched".into(),
            },
            Ok(messages) => Check {
                requirement: "rego".into(),
                passed: false,
                reason: messages.join("; "),
            },
            // Fail closed: a rule that cannot be evaluated denies.
            Err(e) => Check {
                requirement: "rego".into(),
                passed: false,
                reason: format!("evaluation failed: {e}"),
            },
        });
    }
    let violations = checks.iter().filter(|c| !c.passed).count();
    Decision {
        subject: subject_name,
        digest: format!("sha256:{sha256}"),
        policy: policy.name.clone(),
        mode: policy.mode,
        allowed: violations == 0 || policy.mode == crate::policy::Mode::Warn,
        violations,
        authorities: signers.into_iter().collect(),
        checks,
    }
}

fn check_requirement(
    r: &Requirement,
    verified: &[Verified],
    binary: Option<&std::path::Path>,
    now: i64,
) -> Check {
    let ty = expand_type(&r.predicate_type.value).to_string();
    let candidates: Vec<&Verified> = verified
        .iter()
        .filter(|v| v.statement["predicateType"] == Value::String(ty.clone()))
        .collect();
    let requirement = format!("attestation {}", r.predicate_type.value);
    if candidates.is_empty() {
        return Check {
            requirement,
            passed: false,
            reason: format!("missing: no verified `{ty}` attestation for this subject"),
        };
    }
    let mut failures = Vec::new();
    let max_age = r
        .max_age
        .as_ref()
        .and_then(|a| crate::policy::parse_age(&a.value).map(|s| (s, a.value.clone())));
    for c in &candidates {
        if let Some((seconds, text)) = &max_age {
            match c.time {
                None => {
                    failures.push(format!(
                        "maxAge {text}: the attestation records no time to check"
                    ));
                    continue;
                }
                Some(t) if now - t > *seconds => {
                    failures.push(format!(
                        "attested {} days ago (maxAge {text})",
                        (now - t) / 86_400
                    ));
                    continue;
                }
                Some(_) => {}
            }
        }
        match conditions(r, &c.statement["predicate"], binary) {
            Ok(()) => {
                return Check {
                    requirement,
                    passed: true,
                    reason: format!("verified, signed by {}", c.authority),
                }
            }
            Err(reason) => failures.push(reason),
        }
    }
    Check {
        requirement,
        passed: false,
        reason: failures.join("; "),
    }
}

fn conditions(
    r: &Requirement,
    predicate: &Value,
    binary: Option<&std::path::Path>,
) -> Result<(), String> {
    if let Some(p) = &r.provenance {
        let builder = predicate["runDetails"]["builder"]["id"]
            .as_str()
            .unwrap_or("");
        if !p.builder_ids.is_empty() && !p.builder_ids.iter().any(|b| b == builder) {
            return Err(format!("builder `{builder}` is not allowed"));
        }
        let deps: Vec<&str> = predicate["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["uri"].as_str())
            .collect();
        let workflow_repo =
            predicate["buildDefinition"]["externalParameters"]["workflow"]["repository"].as_str();
        let repos: Vec<String> = deps
            .iter()
            .filter_map(|u| {
                u.strip_prefix("git+")
                    .map(|u| u.split('@').next().unwrap_or(u).to_string())
            })
            .chain(workflow_repo.map(str::to_string))
            .collect();
        if !p.source_repositories.is_empty()
            && !repos.iter().any(|r| p.source_repositories.contains(r))
        {
            return Err(format!("source repository {repos:?} is not allowed"));
        }
        let workflow_ref =
            predicate["buildDefinition"]["externalParameters"]["workflow"]["ref"].as_str();
        let refs: Vec<String> = deps
            .iter()
            .filter_map(|u| u.rsplit_once('@').map(|(_, r)| r.to_string()))
            .chain(workflow_ref.map(str::to_string))
            .collect();
        if !p.refs.is_empty() && !refs.iter().any(|r| p.refs.contains(r)) {
            return Err(format!("ref {refs:?} is not allowed"));
        }
    }
    if let Some(s) = &r.sbom {
        if s.match_binary {
            binary_matches_sbom(binary, predicate)?;
        }
        for c in predicate["components"].as_array().into_iter().flatten() {
            let name = c["name"].as_str().unwrap_or("");
            let version = c["version"].as_str().unwrap_or("");
            if s.banned_crates.iter().any(|b| b == name) {
                return Err(format!("banned crate {name}@{version} in the SBOM"));
            }
            for l in c["licenses"].as_array().into_iter().flatten() {
                let text = l["expression"]
                    .as_str()
                    .or_else(|| l["license"]["id"].as_str())
                    .unwrap_or("");
                let ids: Vec<&str> = text
                    .split(|ch: char| ch.is_whitespace() || ch == '(' || ch == ')')
                    .filter(|t| !t.is_empty() && *t != "AND" && *t != "OR" && *t != "WITH")
                    .collect();
                if let Some(denied) = ids
                    .iter()
                    .find(|id| s.denied_licenses.iter().any(|d| d == *id))
                {
                    return Err(format!("denied licence {denied} on {name}@{version}"));
                }
            }
        }
    }
    if let Some(v) = &r.vulns {
        let max = severity_rank(&v.max_severity.value).unwrap_or(0);
        for result in predicate["scanner"]["result"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let id = result["id"].as_str().unwrap_or("?");
            let score = result["severity"]
                .as_array()
                .and_then(|s| s.first())
                .and_then(|s| s["score"].as_str())
                .and_then(|s| s.parse::<f64>().ok());
            // No score: unknown severity counts as critical (fail closed).
            let rank = match score {
                Some(0.0) => 0,
                Some(s) if s < 4.0 => 1,
                Some(s) if s < 7.0 => 2,
                Some(s) if s < 9.0 => 3,
                _ => 4,
            };
            let not_reachable = result["annotations"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["reachability"] == "not-reachable");
            if rank > max && !(v.ignore_not_reachable && not_reachable) {
                return Err(format!(
                    "{id} (score {}) exceeds the allowed severity `{}`",
                    score
                        .map(|s| format!("{s:.1}"))
                        .unwrap_or_else(|| "unknown".into()),
                    v.max_severity.value
                ));
            }
        }
    }
    if let Some(s) = &r.sast {
        let errors = predicate["counts"]["critical"].as_u64().unwrap_or(0)
            + predicate["counts"]["high"].as_u64().unwrap_or(0);
        if errors > s.max_errors {
            return Err(format!(
                "{errors} error-level SAST findings (at most {} allowed)",
                s.max_errors
            ));
        }
    }
    Ok(())
}
