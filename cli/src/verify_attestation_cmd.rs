//! `tollgate verify-attestation`: cosign's `verify-attestation` for a file
//! (`--bundle`), a `sha256:<hex>` digest (`--bundle`) or an OCI image (the
//! DSSE bundles attached to it as referrers).
//!
//! An attestation counts when its bundle verifies (keyed, or keyless under
//! the identity rule), it is a DSSE in-toto statement read from the very
//! payload whose signature verified, a statement subject names the artifact
//! (all the digests it gives that we computed agree), and its
//! `predicateType` is exactly the one `--type` names. At least one must
//! count; the statements that do are printed, one JSON line each.
//!
//! `--type` takes cosign's names (`slsaprovenance` = SLSA v0.2,
//! `slsaprovenance1`, `cyclonedx`, `spdx`, `vuln`, `openvex`, `link`,
//! `custom`), tollgate's (`provenance`, `sbom`, `vulns`, `sast`) or a URI.
//! It has no default: which predicate is being relied on is always said.

use crate::identity_flags::SignerArgs;
use crate::keys_cmd::RegistryArgs;
use crate::{checks, output};
use anyhow::{bail, Result};
use clap::{ArgGroup, Args};
use std::path::{Path, PathBuf};
use tollgate_attest::predicate::{ArtifactDigests, Statement};
use tollgate_attest::verify::{verify_bundle_text, Subject, Trust, VerifiedContent};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("signer").required(true).args(["key", "certificate_identity", "certificate_identity_regexp"])))]
#[command(
    after_help = "Types: slsaprovenance (v0.2), slsaprovenance02, slsaprovenance1, cyclonedx, spdx, spdxjson,\nvuln, openvex, link, custom (cosign's names); provenance, sbom, vulns, sast (tollgate's); or a URI.\nExit status: 0 verified, 1 verification failed, 2 usage or input error."
)]
pub struct VerifyAttestationArgs {
    /// A file, `sha256:<hex>` (both with --bundle), or an image reference.
    pub subject: String,
    /// The predicate type the attestation must have (a name or a URI).
    #[arg(long = "type", value_name = "TYPE")]
    pub predicate_type: String,
    /// The attestation bundle for a file or digest; without it SUBJECT is an image.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Accept a keyed attestation without a transparency-log entry (cosign's flag).
    #[arg(long, requires = "key")]
    pub insecure_ignore_tlog: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Never touch the network: files and digests (with --bundle) only; an
    /// image is refused.
    #[arg(long)]
    pub offline: bool,
}

/// The predicate type URI a `--type` value stands for; `None` when it is
/// neither a known name nor a URI.
pub fn predicate_type_uri(t: &str) -> Option<String> {
    let uri = match t {
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "link" => "https://in-toto.io/Link/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        other => {
            let expanded = tollgate_verifier::policy::expand_type(other);
            if expanded != other || other.contains("://") || other.starts_with("urn:") {
                expanded
            } else {
                return None;
            }
        }
    };
    Some(uri.to_string())
}

pub fn run(args: VerifyAttestationArgs) -> Result<u8> {
    let Some(want_type) = predicate_type_uri(&args.predicate_type) else {
        bail!(
            "--type {}: not a known predicate name or a URI (see --help for the names)",
            args.predicate_type
        );
    };
    let (signer, matcher) = args.signer.signer()?;
    let trust = args.signer.trust(Trust::PublicGood)?;
    // What the statement must name, and the bundles to try.
    let (what, subject, digests, bundles) = match &args.bundle {
        Some(bundle) => {
            checks::digest_argument(&args.subject)?;
            let subject = Subject::parse(&args.subject);
            let digests = match &subject {
                Subject::File(path) => {
                    checks::subject_file(path)?;
                    let bytes = std::fs::read(path).map_err(|e| {
                        anyhow::anyhow!(
                            "{}: cannot read ({e}; a digest is written sha256:<64 hex>)",
                            path.display()
                        )
                    })?;
                    ArtifactDigests::of_bytes(&bytes)
                }
                Subject::Sha256(hex) => ArtifactDigests::sha256(hex),
                Subject::Bytes(_) => unreachable_subject()?,
            };
            checks::bundle_shape(bundle)?;
            let text = std::fs::read_to_string(bundle)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", bundle.display()))?;
            (
                args.subject.clone(),
                subject,
                digests,
                vec![(bundle.display().to_string(), text.into_bytes())],
            )
        }
        None => {
            if args.offline {
                crate::verify_image_cmd::refuse_offline(&args.subject)?;
            }
            let (pinned, digest, attached) =
                crate::verify_image_cmd::pinned_bundles(&args.subject, &args.registry)?;
            let hex = digest.trim_start_matches("sha256:").to_string();
            let bundles = attached
                .into_iter()
                .filter(|b| b.signed_payload.is_none())
                .map(|b| (b.referrer, b.bytes))
                .collect();
            (
                pinned,
                Subject::Sha256(hex.clone()),
                ArtifactDigests::sha256(&hex),
                bundles,
            )
        }
    };
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (label, bytes) in &bundles {
        let outcome = std::str::from_utf8(bytes)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|text| {
                verify_bundle_text(
                    Path::new(label),
                    text,
                    &subject,
                    &signer,
                    &trust,
                    args.insecure_ignore_tlog,
                )
                .map_err(|e| e.to_string())
            })
            .and_then(|v| {
                if let Some(rule) = &matcher {
                    rule.check(&v)?;
                }
                let VerifiedContent::Statement(payload) = &v.content else {
                    return Err("a message signature, not an attestation".into());
                };
                let statement = Statement::from_payload(payload).map_err(|e| e.to_string())?;
                if !statement.names(&digests) {
                    return Err(format!("no statement subject names {what}"));
                }
                if statement.predicate_type != want_type {
                    return Err(format!(
                        "predicate type is {}, not {want_type}",
                        statement.predicate_type
                    ));
                }
                Ok(statement)
            });
        match outcome {
            Ok(statement) => accepted.push(statement),
            Err(reason) => refused.push(format!("{label}: {reason}")),
        }
    }
    if accepted.is_empty() {
        let why = if refused.is_empty() {
            "no attestation is attached".to_string()
        } else {
            refused.join("; ")
        };
        eprintln!(
            "error: {what}: verification failed: no {want_type} attestation verifies ({why})"
        );
        return Ok(crate::EXIT_FINDINGS);
    }
    for statement in &accepted {
        output::line(&serde_json::to_string(statement)?)?;
    }
    output::info!(
        "Verified OK: {} {want_type} attestation(s) for {what}",
        accepted.len()
    );
    Ok(0)
}

fn unreachable_subject() -> Result<ArtifactDigests> {
    bail!("internal: a subject in memory is never parsed from the command line")
}
