//! The decision: which authorities signed verified attestations for this
//! subject, and whether each required attestation says what the policy
//! demands. Only verified statements reach a condition: a statement is read
//! from the DSSE payload bytes whose signature was just checked, never
//! from a second parse of the bundle, and into the typed predicates
//! `tollgate-attest` writes (`tollgate_attest::predicate`).

use crate::policy::IdentityRule;
use crate::policy::{expand_type, severity_rank, valid_date, Authority, Policy, Requirement};
use serde::Serialize;
use std::collections::BTreeSet;
use tollgate_attest::predicate::{self, Statement};
use tollgate_attest::verify::{verify_bundle_text, Signer, Subject, Trust, VerifiedContent};

/// A bundle to weigh: its bytes exactly as read (file or registry), and a
/// label for messages. `signed_payload` is what a message-signature bundle
/// signs when that is not the subject itself: the cosign simple-signing
/// payload of an image signature (which names the image digest).
#[derive(Clone, Debug)]
pub struct BundleInput {
    /// A name for messages (file path or image reference).
    pub label: String,
    /// The bundle's bytes exactly as read.
    pub bytes: Vec<u8>,
    /// The payload a message-signature bundle signs, when it is not the subject.
    pub signed_payload: Option<Vec<u8>>,
}

impl BundleInput {
    /// A bundle over the subject itself.
    pub fn new(label: impl Into<String>, bytes: Vec<u8>) -> BundleInput {
        BundleInput {
            label: label.into(),
            bytes,
            signed_payload: None,
        }
    }

    /// A message-signature bundle over an image's simple-signing payload.
    pub fn with_signed_payload(mut self, payload: Vec<u8>) -> BundleInput {
        self.signed_payload = Some(payload);
        self
    }
}

/// A bundle that did not count, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// The bundle's label.
    pub bundle: String,
    /// Why it did not count.
    pub reason: String,
}

/// One checked requirement.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    /// What was required (`signed by 1 of 2 principals`, `attestation sbom`).
    pub requirement: String,
    /// Whether it was met.
    pub passed: bool,
    /// Why it passed or failed.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
/// The gate's verdict on one subject under one policy, with every check.
pub struct Decision {
    /// The subject's name.
    pub subject: String,
    /// The subject's digest, `sha256:<hex>`.
    pub digest: String,
    /// The policy's name.
    pub policy: String,
    /// Enforce or warn.
    pub mode: crate::policy::Mode,
    /// The deploy may go ahead (in warn mode, always; see `violations`).
    pub allowed: bool,
    /// Requirements that failed (in warn mode these are warnings).
    pub violations: usize,
    /// The principals whose signatures counted.
    pub authorities: Vec<String>,
    /// Every requirement checked, in policy order.
    pub checks: Vec<Check>,
    /// Bundles that were not counted, each with its reason.
    pub rejected: Vec<Rejected>,
}

/// A bundle whose signature, signer and subject were verified.
struct Verified {
    authority: String,
    /// Who holds the key (the authority's `principal`, else its name).
    principal: String,
    /// The bundle's label.
    label: String,
    /// `None` for a plain signature over the artifact.
    statement: Option<Statement>,
    /// When it was signed, as [`judged_time`] reads it.
    time: Option<i64>,
}

/// The time an attestation is judged by (`maxAge`, the newest of an
/// authority). A keyless signature's log entry or timestamp is its signing
/// time: the certificate it is checked against lived ten minutes. A keyed
/// signature's entry or timestamp only proves that it existed by then:
/// anyone holding an old bundle can have its signature timestamped or
/// logged today (red team rt37: an old clean scan, timestamped afresh,
/// outranked the newer failing one and passed `maxAge`). So a keyed
/// attestation is dated by the time its signed predicate records, never
/// later than its earliest proof; with no such time it has none (it fails
/// `maxAge`, and where an authority has several, every one is judged).
fn judged_time(
    authority: &Authority,
    signed_at: Option<i64>,
    statement: Option<&Statement>,
) -> Option<i64> {
    let claimed = statement.and_then(predicate_time);
    if authority.keyless.is_some() {
        return signed_at.or(claimed);
    }
    match (claimed, signed_at) {
        (Some(c), Some(proof)) => Some(c.min(proof)),
        (claimed, _) => claimed,
    }
}

/// The time the signed predicate records.
fn predicate_time(statement: &Statement) -> Option<i64> {
    let p = &statement.predicate;
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
    /// A file, read once for its digests and bytes.
    File(&'a std::path::Path),
    /// An image (or anything) known only by its SHA-256 (hex).
    Digest {
        /// A name for messages.
        name: &'a str,
        /// The SHA-256, hex.
        sha256: &'a str,
    },
}

/// Why a bundle is not verified for an authority, or a verified statement
/// fails a requirement's conditions (the text is the reason a decision shows).
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("authority `{authority}` is valid only from {from}")]
    NotYetValid { authority: String, from: String },
    #[error("authority `{authority}` expired on {until}")]
    Expired { authority: String, until: String },
    #[error("authority `{0}` is not usable")]
    AuthorityUnusable(String),
    #[error("{0}")]
    Bundle(tollgate_attest::Error),
    #[error("the certificate names no identity or issuer")]
    NoIdentity,
    #[error("signed by {identity} ({issuer}), which authority `{authority}` does not accept")]
    IdentityNotAccepted {
        identity: String,
        issuer: String,
        authority: String,
    },
    #[error("signed from source repository {source_repository}, which authority `{authority}` does not accept (it requires {required})")]
    SourceRepositoryNotAccepted {
        source_repository: String,
        required: String,
        authority: String,
    },
    #[error("authority `{0}` requires a transparency-log entry")]
    NotLogged(String),
    #[error("signed payload: {0}")]
    PayloadNotJson(tollgate_attest::bundle::StrictJsonError),
    #[error("signed payload is not a cosign container image signature")]
    NotSimpleSigning,
    #[error("signed payload names {named}, not sha256:{sha256}")]
    PayloadDigest { named: String, sha256: String },
    #[error("a DSSE bundle does not sign a separate payload")]
    DsseWithPayload,
    #[error("statement does not name sha256:{0}")]
    WrongSubject(String),
    /// A statement or predicate that does not parse into its type.
    #[error("{0}")]
    Predicate(#[from] predicate::PredicateError),
    #[error("{0}")]
    SbomPredicate(#[from] predicate::SbomPredicateError),
    #[error("matchBinary: the subject is not a file, so there is no binary to compare")]
    NoBinary,
    #[error("matchBinary: {0}")]
    BinaryUnreadable(tollgate_sbom::Error),
    #[error("the binary contains {} crate(s) the SBOM does not list: {}", .0.len(), .0.join(", "))]
    BinaryNotInSbom(Vec<String>),
    #[error("the build was not hermetic (hermetic: {hermetic}, sandbox: {sandbox})")]
    NotHermetic { hermetic: bool, sandbox: String },
    #[error("toolchain rustc {release} ({binary}) is not allowed")]
    Toolchain { release: String, binary: String },
    #[error("the build is not reproducible: {}", .0.join("; "))]
    NotReproducible(Vec<String>),
    #[error("the build was not checked for reproducibility")]
    ReproducibilityUnchecked,
    #[error("matchSbom: no verified SBOM attestation for this subject")]
    NoSbom,
    #[error("matchSbom: SBOM component `{0}` has no purl")]
    NoPurl(String),
    #[error("matchSbom: SBOM component `{name}`: {source}")]
    BadPurl {
        name: String,
        source: predicate::PredicateError,
    },
    #[error("matchSbom: SBOM component `{name}@{version}` does not match its purl `{purl}`")]
    PurlMismatch {
        name: String,
        version: String,
        purl: String,
    },
    #[error("matchSbom: SBOM component `{0}` is a path package, which the provenance does not list as one")]
    UnlistedPathPackage(String),
    #[error("matchSbom: the SBOM and the provenance list different crates (only in the SBOM: [{only_sbom}]; only in the provenance: [{only_provenance}])")]
    SbomProvenanceDiffer {
        only_sbom: String,
        only_provenance: String,
    },
    #[error("builder `{0}` is not allowed")]
    Builder(String),
    #[error("source repository {0:?} is not allowed")]
    SourceRepository(Vec<String>),
    #[error("ref {0:?} is not allowed")]
    Ref(Vec<String>),
    #[error("banned crate {banned} ({name}@{version}) in the SBOM")]
    Banned {
        banned: String,
        name: String,
        version: String,
    },
    #[error("{name}@{version}: licence unreadable: {source}")]
    LicenceUnreadable {
        name: String,
        version: String,
        source: predicate::SbomPredicateError,
    },
    #[error("denied licence {denied} ({licence}) on {name}@{version}")]
    DeniedLicence {
        denied: String,
        licence: String,
        name: String,
        version: String,
    },
    #[error("{id} (score {score}) exceeds the allowed severity `{max}`")]
    Severity {
        id: String,
        score: String,
        max: String,
    },
    #[error("{errors} error-level SAST findings (at most {max} allowed)")]
    SastErrors { errors: u64, max: u64 },
}

/// How to verify a bundle for an authority, and the identity rule to check
/// on the certified identity afterwards (keyless: the Sigstore verifier
/// checks an exact identity itself, a pattern needs the certified identity
/// first, and a `github` rule's source repository is checked for both).
fn authority_signer(a: &Authority) -> Option<(Signer, Trust, Option<IdentityRule>)> {
    match (&a.key, &a.keyless) {
        (Some(key), None) => Some((Signer::KeyPem(key.value.clone()), Trust::PublicGood, None)),
        // The rule is checked on the certificate whatever the signer: an
        // exact `github` identity (workflow and ref) also requires the
        // source repository (red team rt59: with `ref` given, a reusable
        // workflow called from another repository was admitted).
        (None, Some(k)) => {
            let rule = k.rule().ok()?;
            let signer = match &rule.exact {
                Some(identity) => Signer::Identity {
                    identity: identity.clone(),
                    issuer: rule.issuer.clone(),
                },
                None => Signer::AnyIdentity,
            };
            Some((signer, k.trust(), Some(rule)))
        }
        _ => None,
    }
}

/// Is the authority's key usable at `at` (Unix seconds)? `at` is the
/// authenticated signing time (log entry or RFC 3161 timestamp) when there
/// is one, so a rotated-out key's signatures stay valid for what it signed
/// inside its window; otherwise it is now.
fn in_window(a: &Authority, at: i64) -> Result<(), Failure> {
    let now = at;
    if let Some(from) = a.valid_from.as_ref().and_then(|d| valid_date(&d.value)) {
        if now < from {
            return Err(Failure::NotYetValid {
                authority: a.name.value.clone(),
                from: a
                    .valid_from
                    .as_ref()
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            });
        }
    }
    if let Some(until) = a.valid_until.as_ref().and_then(|d| valid_date(&d.value)) {
        if now >= until + 86_400 {
            return Err(Failure::Expired {
                authority: a.name.value.clone(),
                until: a
                    .valid_until
                    .as_ref()
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            });
        }
    }
    Ok(())
}

/// Every crate `cargo auditable` recorded in the binary (the root package
/// aside) must be a component of the SBOM, by name and version.
fn binary_matches_sbom(
    binary: Option<&std::path::Path>,
    components: &[&predicate::Component],
) -> Result<(), Failure> {
    let Some(path) = binary else {
        return Err(Failure::NoBinary);
    };
    let inventory =
        tollgate_sbom::auditable::inventory_from_binary(path).map_err(Failure::BinaryUnreadable)?;
    let listed: BTreeSet<(String, String)> = components
        .iter()
        .filter_map(|c| Some((c.name.clone(), c.version.clone()?)))
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
        Err(Failure::BinaryNotInSbom(missing))
    }
}

/// The cosign simple-signing payload of an image signature must name this
/// exact manifest digest.
fn simple_signing_names(payload: &[u8], sha256: &str) -> Result<(), Failure> {
    let doc = tollgate_attest::bundle::parse_strict_json_bytes(payload)
        .map_err(Failure::PayloadNotJson)?;
    if doc["critical"]["type"] != "cosign container image signature" {
        return Err(Failure::NotSimpleSigning);
    }
    let named = doc["critical"]["image"]["docker-manifest-digest"].as_str();
    if named.map(str::to_ascii_lowercase) != Some(format!("sha256:{sha256}")) {
        return Err(Failure::PayloadDigest {
            named: named.unwrap_or("no digest").to_string(),
            sha256: sha256.to_string(),
        });
    }
    Ok(())
}

/// Verify one bundle against one authority: the verified statement (none
/// for a plain signature) and the authenticated signing time, or why not.
fn verify_for(
    bundle: &BundleInput,
    text: &str,
    authority: &Authority,
    subject: &Subject,
    digests: &predicate::ArtifactDigests,
) -> Result<(Option<Statement>, Option<i64>), Failure> {
    let sha256 = digests.sha256_hex().unwrap_or_default();
    let (signer, trust, rule) = authority_signer(authority)
        .ok_or_else(|| Failure::AuthorityUnusable(authority.name.value.clone()))?;
    let ignore_tlog = authority.allow_unlogged && authority.key.is_some();
    let label = std::path::Path::new(&bundle.label);
    // An image signature signs a payload that names the digest.
    let payload_subject;
    let subject = match &bundle.signed_payload {
        Some(payload) => {
            payload_subject = Subject::Bytes(payload.clone());
            &payload_subject
        }
        None => subject,
    };
    let certified = verify_bundle_text(label, text, subject, &signer, &trust, ignore_tlog)
        .map_err(Failure::Bundle)?;
    if let Some(rule) = &rule {
        let (Some(identity), Some(issuer)) = (&certified.identity, &certified.issuer) else {
            return Err(Failure::NoIdentity);
        };
        if !rule.matches(issuer, identity) {
            return Err(Failure::IdentityNotAccepted {
                identity: identity.clone(),
                issuer: issuer.clone(),
                authority: authority.name.value.clone(),
            });
        }
        if let Some(required) = &rule.source_repository {
            if certified.source_repository.as_ref() != Some(required) {
                return Err(Failure::SourceRepositoryNotAccepted {
                    source_repository: certified.source_repository.clone().unwrap_or_else(|| {
                        "none (the certificate names no source repository)".into()
                    }),
                    required: required.clone(),
                    authority: authority.name.value.clone(),
                });
            }
        }
    }
    if authority.require_tlog && !certified.tlog_verified {
        return Err(Failure::NotLogged(authority.name.value.clone()));
    }
    match certified.content {
        VerifiedContent::Artifact => {
            if let Some(payload) = &bundle.signed_payload {
                simple_signing_names(payload, sha256)?;
            }
            Ok((None, certified.signed_at))
        }
        VerifiedContent::Statement(payload) => {
            if bundle.signed_payload.is_some() {
                return Err(Failure::DsseWithPayload);
            }
            let statement = Statement::from_payload(&payload)?;
            // Defence in depth: the verified statement must name this subject.
            if !statement.names(digests) {
                return Err(Failure::WrongSubject(sha256.to_string()));
            }
            Ok((Some(statement), certified.signed_at))
        }
    }
}

/// Decide. `now` is Unix seconds (key validity windows, maxAge).
pub fn decide(policy: &Policy, target: &Target<'_>, bundles: &[BundleInput], now: i64) -> Decision {
    let mut checks = Vec::new();
    // The subject is read once: its digests and the bytes every bundle is
    // verified against come from the same read.
    let (subject_name, subject, digests) = match target {
        Target::File(path) => {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // tollgate:allow(path-traversal): a `Target::File` is the CLI gate's own argument; the admission webhook decides on `Target::Image`, never a path from a request
            match std::fs::read(path) {
                Ok(b) => {
                    let digests = predicate::ArtifactDigests::of_bytes(&b);
                    (name, Some(Subject::Bytes(b)), digests)
                }
                Err(e) => {
                    // Fail closed: nothing can be verified for an unreadable subject.
                    checks.push(Check {
                        requirement: "subject".into(),
                        passed: false,
                        reason: format!("{}: cannot read: {e}", path.display()),
                    });
                    (name, None, predicate::ArtifactDigests::default())
                }
            }
        }
        Target::Digest { name, sha256 } => (
            name.to_string(),
            Some(Subject::Sha256(sha256.to_ascii_lowercase())),
            predicate::ArtifactDigests::sha256(sha256),
        ),
    };
    let sha256 = digests.sha256_hex().unwrap_or_default().to_string();
    let mut verified: Vec<Verified> = Vec::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    let mut seen_signatures: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut seen_contents: std::collections::BTreeMap<(String, bool, Vec<u8>), usize> =
        std::collections::BTreeMap::new();

    for bundle in bundles {
        let reject = |reason: String| Rejected {
            bundle: bundle.label.clone(),
            reason,
        };
        let Some(subject) = &subject else {
            rejected.push(reject("the subject could not be read".into()));
            continue;
        };
        let Ok(text) = std::str::from_utf8(&bundle.bytes) else {
            rejected.push(reject("not parsed: not UTF-8".into()));
            continue;
        };
        let strict = match tollgate_attest::bundle::parse(text) {
            Ok(b) => b,
            Err(e) => {
                rejected.push(reject(format!("not parsed: {e}")));
                continue;
            }
        };
        // One signature counts once, however many copies of it (with or
        // without a log entry, under different roots) are presented. Only
        // a copy that verified uses it up: a decoy with a genuine bundle's
        // signature bytes and a changed payload (red team rt37) must not
        // hide the genuine one, a newer failing scan, from the gate.
        if seen_signatures.contains(&strict.signature) {
            rejected.push(reject(
                "the same signature as another bundle (counted once)".into(),
            ));
            continue;
        }
        let mut reasons = Vec::new();
        let mut accepted = false;
        let mut duplicate = false;
        for authority in &policy.authorities {
            match verify_for(bundle, text, authority, subject, &digests) {
                Ok((statement, signed_at)) => {
                    if let Err(reason) = in_window(authority, signed_at.unwrap_or(now)) {
                        reasons.push(reason.to_string());
                        continue;
                    }
                    // The same content signed for the same principal counts
                    // once too, whatever its signature bytes (red team
                    // rt38: an ECDSA signature (r, n-s) verifies like
                    // (r, s) and was counted twice).
                    // (A statement that cannot be written back is keyed by
                    // its signature: never merged with another.)
                    let content = match &statement {
                        Some(s) => {
                            serde_json::to_vec(s).unwrap_or_else(|_| strict.signature.clone())
                        }
                        None => bundle
                            .signed_payload
                            .clone()
                            .or_else(|| strict.message_digest.clone())
                            .unwrap_or_else(|| strict.signature.clone()),
                    };
                    let signed = (
                        authority.principal().to_string(),
                        statement.is_some(),
                        <sha2::Sha256 as sha2::Digest>::digest(&content).to_vec(),
                    );
                    seen_signatures.insert(strict.signature.clone());
                    let time = judged_time(authority, signed_at, statement.as_ref());
                    if let Some(&first) = seen_contents.get(&signed) {
                        // Signed again later: judged at its newest time, not
                        // at whichever copy is listed first (red team rt39).
                        if let Some(v) = verified.get_mut(first) {
                            v.time = v.time.max(time);
                        }
                        reasons.push(format!(
                            "{}: the same signed content as another bundle (counted once)",
                            authority.name.value
                        ));
                        accepted = true;
                        duplicate = true;
                        break;
                    }
                    seen_contents.insert(signed, verified.len());
                    verified.push(Verified {
                        authority: authority.name.value.clone(),
                        principal: authority.principal().to_string(),
                        label: bundle.label.clone(),
                        statement,
                        time,
                    });
                    accepted = true;
                    break;
                }
                Err(reason) => reasons.push(format!("{}: {reason}", authority.name.value)),
            }
        }
        if duplicate {
            rejected.push(reject(reasons.pop().unwrap_or_default()));
        } else if !accepted {
            rejected.push(reject(if reasons.is_empty() {
                "not verified by any authority of the policy".into()
            } else {
                reasons.join("; ")
            }));
        }
    }

    // What counts towards the threshold: a plain signature over the subject,
    // or an attestation of a type the policy requires. An attestation the
    // policy does not ask for (a scan of a build nobody released) is not a
    // signature. Authorities count by principal, so one key holder with an
    // old and a new key (a rotation) counts once.
    let required: BTreeSet<&str> = policy
        .attestations
        .iter()
        .map(|r| expand_type(&r.predicate_type.value))
        .collect();
    let signers: BTreeSet<String> = verified
        .iter()
        .filter(|v| {
            v.statement
                .as_ref()
                .is_none_or(|s| required.contains(s.predicate_type.as_str()))
        })
        .map(|v| v.principal.clone())
        .collect();
    for v in &verified {
        if let Some(s) = &v.statement {
            if !required.contains(s.predicate_type.as_str()) && policy.rego.is_none() {
                rejected.push(Rejected {
                    bundle: v.label.clone(),
                    reason: format!(
                        "a `{}` attestation, which the policy does not require, is not a signature",
                        s.predicate_type
                    ),
                });
            }
        }
    }
    let binary = match target {
        Target::File(path) => Some(*path),
        Target::Digest { .. } => None,
    };
    let threshold = policy.threshold();
    checks.push(Check {
        requirement: format!(
            "signed by {threshold} of {} principals",
            policy
                .authorities
                .iter()
                .map(|a| a.principal())
                .collect::<BTreeSet<_>>()
                .len()
        ),
        passed: signers.len() >= threshold,
        reason: if signers.is_empty() {
            format!(
                "no valid signature from a trusted authority{}",
                if rejected.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        rejected
                            .iter()
                            .map(|r| format!("{}: {}", r.bundle, r.reason))
                            .collect::<Vec<_>>()
                            .join("; ")
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
                .filter_map(|v| v.statement.as_ref().map(|s| (v, s)))
                .map(|(v, s)| serde_json::json!({
                    "authority": v.authority,
                    "predicateType": s.predicate_type,
                    "predicate": s.predicate,
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
        rejected,
    }
}

fn check_requirement(
    r: &Requirement,
    verified: &[Verified],
    binary: Option<&std::path::Path>,
    now: i64,
) -> Check {
    let ty = expand_type(&r.predicate_type.value).to_string();
    let candidates: Vec<(&Verified, &Statement)> = verified
        .iter()
        .filter_map(|v| v.statement.as_ref().map(|s| (v, s)))
        .filter(|(_, s)| s.predicate_type == ty)
        .collect();
    let requirement = format!("attestation {}", r.predicate_type.value);
    if candidates.is_empty() {
        return Check {
            requirement,
            passed: false,
            reason: format!("missing: no verified `{ty}` attestation for this subject"),
        };
    }
    // Judge the newest attestation of each authority (by signing time): an
    // older clean scan must not outvote a newer failing one. Where times
    // are missing and there are several, every one must pass.
    let mut selected: Vec<(&Verified, &Statement)> = Vec::new();
    let authorities: BTreeSet<&str> = candidates
        .iter()
        .map(|(v, _)| v.authority.as_str())
        .collect();
    for a in authorities {
        let mine: Vec<(&Verified, &Statement)> = candidates
            .iter()
            .copied()
            .filter(|(v, _)| v.authority == a)
            .collect();
        if mine.len() > 1 && mine.iter().any(|(v, _)| v.time.is_none()) {
            selected.extend(mine);
            continue;
        }
        // Future-dated ones are kept (they fail below) but never outrank
        // today's.
        let newest = mine
            .iter()
            .filter_map(|(v, _)| v.time)
            .filter(|t| *t <= now + 300)
            .max();
        let future: Vec<(&Verified, &Statement)> = mine
            .iter()
            .copied()
            .filter(|(v, _)| v.time.is_some_and(|t| t > now + 300))
            .collect();
        selected.extend(future);
        selected.extend(mine.into_iter().filter(|(v, _)| v.time == newest));
    }
    let candidates = selected;
    let mut failures = Vec::new();
    let mut passed_by = Vec::new();
    let max_age = r
        .max_age
        .as_ref()
        .and_then(|a| crate::policy::parse_age(&a.value).map(|s| (s, a.value.clone())));
    for (v, statement) in &candidates {
        // A time in the future is wrong whatever the policy's maxAge: it
        // would otherwise win the newest-attestation selection above.
        if v.time.is_some_and(|t| t > now + 300) {
            failures.push("the attestation is dated in the future".to_string());
            continue;
        }
        if let Some((seconds, text)) = &max_age {
            match v.time {
                None => {
                    failures.push(format!(
                        "maxAge {text}: the attestation records no time to check"
                    ));
                    continue;
                }
                Some(t) if t > now + 300 => {
                    failures.push(format!(
                        "maxAge {text}: the attestation is dated in the future"
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
        match conditions(r, statement, binary, verified) {
            Ok(()) => passed_by.push(v.authority.clone()),
            Err(reason) => failures.push(reason.to_string()),
        }
    }
    if failures.is_empty() && !passed_by.is_empty() {
        passed_by.sort();
        passed_by.dedup();
        return Check {
            requirement,
            passed: true,
            reason: format!("verified, signed by {}", passed_by.join(", ")),
        };
    }
    Check {
        requirement,
        passed: false,
        reason: failures.join("; "),
    }
}

/// What a policy asks of how the artifact was built (`tollgate build`'s
/// facts). Fail closed: a provenance without the facts asked about, from
/// another builder or with a field missing, fails.
fn build_conditions(
    p: &crate::policy::ProvenanceConditions,
    provenance: &predicate::Provenance,
    verified: &[Verified],
) -> Result<(), Failure> {
    if !(p.hermetic || p.reproducible || p.match_sbom || !p.toolchains.is_empty()) {
        return Ok(());
    }
    let facts = provenance.build_facts()?;
    if p.hermetic && !(facts.hermetic && facts.sandbox.is_hermetic()) {
        return Err(Failure::NotHermetic {
            hermetic: facts.hermetic,
            sandbox: facts.sandbox.to_string(),
        });
    }
    if !p.toolchains.is_empty() {
        let tc = &facts.toolchain;
        let binary = format!("sha256:{}", tc.rustc_sha256);
        let allowed = p.toolchains.iter().any(|t| {
            Some(t.as_str()) == tc.rustc_field("release")
                || Some(t.as_str()) == tc.rustc_field("commit-hash")
                || t.eq_ignore_ascii_case(&binary)
        });
        if !allowed {
            return Err(Failure::Toolchain {
                release: tc
                    .rustc_field("release")
                    .unwrap_or("of unknown release")
                    .to_string(),
                binary,
            });
        }
    }
    if p.reproducible && !(facts.reproducible.checked && facts.reproducible.identical) {
        return Err(if facts.reproducible.checked {
            Failure::NotReproducible(facts.reproducible.differences.clone())
        } else {
            Failure::ReproducibilityUnchecked
        });
    }
    if p.match_sbom {
        // The project's own (path) packages are the subject, which an SBOM
        // names as its root; every other crate must be in both.
        let (resolved, local) = provenance.cargo_packages()?;
        let sbom_type = expand_type("sbom");
        let sboms: Vec<&Statement> = verified
            .iter()
            .filter_map(|v| v.statement.as_ref())
            .filter(|s| s.predicate_type == sbom_type)
            .collect();
        if sboms.is_empty() {
            return Err(Failure::NoSbom);
        }
        for s in sboms {
            let bom: predicate::CycloneDx = s.predicate_as()?;
            // Every component must be a cargo package named by its purl,
            // in the one spelling the provenance uses: no purl, another
            // type, another spelling or an unknown qualifier fails.
            let mut listed = BTreeSet::new();
            for c in bom.all_components()? {
                let purl = c
                    .purl
                    .as_deref()
                    .ok_or_else(|| Failure::NoPurl(c.name.clone()))?;
                let key = predicate::CargoPurl::parse(purl).map_err(|source| Failure::BadPurl {
                    name: c.name.clone(),
                    source,
                })?;
                if key.name != c.name || c.version.as_deref() != Some(key.version.as_str()) {
                    return Err(Failure::PurlMismatch {
                        name: c.name.clone(),
                        version: c.version.clone().unwrap_or_default(),
                        purl: purl.to_string(),
                    });
                }
                // A path package is left out only when the SBOM says it is
                // one: a crates.io crate of the same name and version has
                // the same purl, and is not the project's own.
                match (local.contains(&key), c.is_cargo_path_package()) {
                    (true, true) => {}
                    (false, true) => return Err(Failure::UnlistedPathPackage(purl.to_string())),
                    (_, false) => {
                        listed.insert(key);
                    }
                }
            }
            if listed != resolved {
                let only = |a: &BTreeSet<predicate::CargoPurl>,
                            b: &BTreeSet<predicate::CargoPurl>| {
                    a.difference(b)
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(Failure::SbomProvenanceDiffer {
                    only_sbom: only(&listed, &resolved),
                    only_provenance: only(&resolved, &listed),
                });
            }
        }
    }
    Ok(())
}

/// A requirement's conditions over a statement's typed predicate. A
/// predicate that does not parse into its type fails, with the reason.
fn conditions(
    r: &Requirement,
    statement: &Statement,
    binary: Option<&std::path::Path>,
    verified: &[Verified],
) -> Result<(), Failure> {
    if let Some(p) = &r.provenance {
        let provenance: predicate::Provenance = statement.predicate_as()?;
        let builder = provenance.run_details.builder.id.as_str();
        if !p.builder_ids.is_empty() && !p.builder_ids.iter().any(|b| b == builder) {
            return Err(Failure::Builder(builder.to_string()));
        }
        // Every source and ref the provenance names must be allowed, and
        // there must be at least one: a second, unlisted source is not
        // hidden by a first, listed one.
        let repos = provenance.source_repositories();
        if !p.source_repositories.is_empty()
            && (repos.is_empty() || !repos.iter().all(|r| p.source_repositories.contains(r)))
        {
            return Err(Failure::SourceRepository(repos));
        }
        let refs = provenance.refs();
        if !p.refs.is_empty() && (refs.is_empty() || !refs.iter().all(|r| p.refs.contains(r))) {
            return Err(Failure::Ref(refs));
        }
        build_conditions(p, &provenance, verified)?;
    }
    if let Some(s) = &r.sbom {
        let bom: predicate::CycloneDx = statement.predicate_as()?;
        let components = bom.all_components()?;
        if s.match_binary {
            binary_matches_sbom(binary, &components)?;
        }
        for c in &components {
            let version = c.version.as_deref().unwrap_or("");
            if let Some(b) = s
                .banned_crates
                .iter()
                .find(|b| predicate::same_crate_name(b, &c.name))
            {
                return Err(Failure::Banned {
                    banned: b.clone(),
                    name: c.name.clone(),
                    version: version.to_string(),
                });
            }
            if s.denied_licenses.is_empty() {
                continue;
            }
            // A licence that cannot be resolved cannot be shown not to be
            // denied: it fails the requirement.
            let licenses = c.licenses().map_err(|source| Failure::LicenceUnreadable {
                name: c.name.clone(),
                version: version.to_string(),
                source,
            })?;
            for l in &licenses {
                if let Some(d) = s
                    .denied_licenses
                    .iter()
                    .find(|d| predicate::license_denied(l, d))
                {
                    return Err(Failure::DeniedLicence {
                        denied: d.clone(),
                        licence: l.clone(),
                        name: c.name.clone(),
                        version: version.to_string(),
                    });
                }
            }
        }
    }
    if let Some(v) = &r.vulns {
        let vulns: predicate::Vulns = statement.predicate_as()?;
        // An unknown maxSeverity cannot pass policy validation; if it ever
        // did, nothing above `none` is allowed.
        let max = severity_rank(&v.max_severity.value).unwrap_or(0);
        for result in &vulns.scanner.result {
            let rank = result.rank();
            if rank > max && !(v.ignore_not_reachable && result.not_reachable()) {
                return Err(Failure::Severity {
                    id: result.id.clone(),
                    score: result.score_text(),
                    max: v.max_severity.value.clone(),
                });
            }
        }
    }
    if let Some(s) = &r.sast {
        let summary: predicate::SastSummary = statement.predicate_as()?;
        summary.check()?;
        let errors = summary.counts.errors();
        if errors > s.max_errors {
            return Err(Failure::SastErrors {
                errors,
                max: s.max_errors,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provenance(sandbox: &str, hermetic: bool) -> predicate::Provenance {
        serde_json::from_value(serde_json::json!({
            "buildDefinition": {
                "buildType": predicate::CARGO_BUILD_TYPE,
                "externalParameters": {},
                "internalParameters": { "build": {
                    "hermetic": hermetic, "sandbox": sandbox, "environment": {},
                    "toolchain": { "rustcVersion": "release: 1.95.0", "cargoVersion": "cargo 1.95.0",
                        "rustcSha256": "00", "cargoSha256": "11" },
                    "auditable": true,
                    "reproducible": { "checked": false, "identical": false }
                } }
            },
            "runDetails": { "builder": { "id": "https://example.com/b" } }
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A keyed signature's log entry or timestamp proves only that it
    /// existed by then (anyone can have an old one timestamped today): it
    /// is dated by its signed predicate, never later than the proof. A
    /// keyless one is dated by its proof (its certificate lived minutes).
    #[test]
    fn keyed_attestations_are_dated_by_their_signed_predicate() {
        let authority = |yaml: &str| -> Authority {
            serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
        };
        let keyed = authority("name: k\nkey: PEM\n");
        let keyless = authority(
            "name: ci\nkeyless:\n  issuer: https://issuer.example\n  subject: a@example.com\n",
        );
        let statement = |predicate: serde_json::Value| -> Statement {
            let payload = serde_json::json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": "app", "digest": {"sha256": "00"}}],
                "predicateType": "https://example.com/p",
                "predicate": predicate,
            });
            Statement::from_payload(payload.to_string().as_bytes())
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let dated =
            statement(serde_json::json!({"metadata": {"scanFinishedOn": "2025-01-01T00:00:00Z"}}));
        let undated = statement(serde_json::json!({}));
        let claimed = 1_735_689_600; // 2025-01-01
        let fresh_proof = Some(1_900_000_000);
        // An old signature timestamped today keeps its signed date.
        assert_eq!(
            judged_time(&keyed, fresh_proof, Some(&dated)),
            Some(claimed)
        );
        // A proof earlier than the claim bounds it.
        assert_eq!(
            judged_time(&keyed, Some(claimed - 10), Some(&dated)),
            Some(claimed - 10)
        );
        assert_eq!(judged_time(&keyed, None, Some(&dated)), Some(claimed));
        // No signed date: none at all, however fresh the proof.
        assert_eq!(judged_time(&keyed, fresh_proof, Some(&undated)), None);
        assert_eq!(judged_time(&keyed, fresh_proof, None), None);
        // Keyless: the proof, then the predicate.
        assert_eq!(
            judged_time(&keyless, fresh_proof, Some(&dated)),
            fresh_proof
        );
        assert_eq!(judged_time(&keyless, None, Some(&dated)), Some(claimed));
    }

    /// `hermetic: true` needs the bubblewrap sandbox: `none`, the old
    /// network-namespace-only kinds, and any unknown spelling deny (F5).
    #[test]
    fn hermetic_needs_the_bwrap_sandbox() {
        let p = crate::policy::ProvenanceConditions {
            hermetic: true,
            ..Default::default()
        };
        assert!(build_conditions(&p, &provenance("bwrap", true), &[]).is_ok());
        for (sandbox, hermetic) in [
            ("bwrap", false),
            ("netns", true),
            ("userns+netns", true),
            ("none", true),
            ("None", true),
            ("", true),
        ] {
            assert!(
                build_conditions(&p, &provenance(sandbox, hermetic), &[]).is_err(),
                "{sandbox:?} {hermetic}"
            );
        }
    }
}
