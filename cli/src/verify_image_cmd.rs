//! `tollgate verify-image`: cosign's `verify` for an OCI image, keyed
//! (`--key`, the `.sig` layers and bundle referrers, see
//! `keys_cmd::run_verify_image`) or keyless (`--certificate-identity[-regexp]`
//! with `--certificate-oidc-issuer[-regexp]`).
//!
//! Keyless: the tag is resolved once and everything after that is read by
//! digest. Each Sigstore bundle attached as a referrer with the cosign
//! simple-signing payload it signs is verified (chain to the trusted root,
//! SCT, transparency log, the signature over the payload), the payload must
//! name this exact manifest digest, and the certificate's single SAN and
//! issuer must satisfy the identity rule. One such signature is enough;
//! none is a failed verification (exit 1) that lists why each was refused.

use crate::identity_flags::{IdentityArgs, IdentityMatcher};
use crate::keys_cmd::RegistryArgs;
use crate::{checks, output};
use anyhow::Result;
use clap::{ArgGroup, Args};
use serde_json::json;
use std::path::{Path, PathBuf};
use tollgate_attest::oci::AttachedBundle;
use tollgate_attest::verify::{verify_bundle_text, Subject, Trust, VerifiedContent};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("signer").required(true).args(["key", "certificate_identity", "certificate_identity_regexp"])))]
#[command(after_help = "Exit status: 0 verified, 1 verification failed, 2 usage or input error.")]
pub struct VerifyImageArgs {
    /// Image reference; a tag is resolved to its digest first.
    pub image: String,
    /// Public key (SPKI PEM) for keyed signatures.
    #[arg(long, value_name = "PEM", conflicts_with_all = ["certificate_identity", "certificate_oidc_issuer", "certificate_identity_regexp", "certificate_oidc_issuer_regexp", "trusted_root"])]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub identity: IdentityArgs,
    /// Trusted root JSON for keyless signatures (default: the Sigstore public-good root, built in).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Never touch the network: an image is refused (its signatures live in
    /// its registry); verify a saved bundle with `verify-bundle` instead.
    #[arg(long)]
    pub offline: bool,
}

/// `--offline` with an image: nothing can be read without its registry.
pub fn refuse_offline(image: &str) -> Result<()> {
    anyhow::bail!(
        "{image}: --offline: an image's signatures and attestations are read from its registry; verify a saved bundle with `tollgate verify-bundle` or `verify-attestation --bundle`"
    )
}

pub fn run(args: VerifyImageArgs) -> Result<u8> {
    let matcher = args.identity.matcher()?;
    if args.offline {
        refuse_offline(&args.image)?;
    }
    match (args.key, matcher) {
        (Some(key), None) => crate::keys_cmd::run_verify_image(crate::keys_cmd::VerifyImageArgs {
            image: args.image,
            key,
            registry: args.registry,
        }),
        (None, Some(rule)) => {
            let trust = trust(args.trusted_root.as_deref())?;
            keyless(&args.image, &rule, &trust, &args.registry)
        }
        _ => anyhow::bail!(
            "give --key, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]"
        ),
    }
}

/// The trust root, checked to be one before any network traffic (exit 2).
pub fn trust(root: Option<&Path>) -> Result<Trust> {
    Ok(match root {
        Some(path) => {
            checks::trusted_root(path)?;
            Trust::File(path.to_path_buf())
        }
        None => Trust::PublicGood,
    })
}

/// The image pinned to its digest: `(repository@sha256:…, sha256:…)`, and
/// the bundles attached to that digest.
pub fn pinned_bundles(
    image: &str,
    registry: &RegistryArgs,
) -> Result<(String, String, Vec<AttachedBundle>)> {
    let options = registry.options()?;
    let (name, digest) = tollgate_attest::oci::resolve_image(image, &options)?;
    let pinned = format!("{name}@{digest}");
    let (_, bundles) = tollgate_attest::oci::attached_bundles(&pinned, &options)?;
    Ok((pinned, digest, bundles))
}

/// Does a cosign simple-signing payload (read strictly) name this digest?
fn payload_names(payload: &[u8], digest: &str) -> bool {
    tollgate_attest::bundle::parse_strict_json_bytes(payload).is_ok_and(|p| {
        p.pointer("/critical/type") == Some(&json!("cosign container image signature"))
            && p.pointer("/critical/image/docker-manifest-digest") == Some(&json!(digest))
    })
}

fn keyless(
    image: &str,
    rule: &IdentityMatcher,
    trust: &Trust,
    registry: &RegistryArgs,
) -> Result<u8> {
    let (pinned, digest, bundles) = pinned_bundles(image, registry)?;
    let signer = rule.signer();
    let mut signers = Vec::new();
    let mut refused = Vec::new();
    for bundle in &bundles {
        // DSSE bundles are attestations, not signatures of the image.
        let Some(payload) = &bundle.signed_payload else {
            continue;
        };
        let label = Path::new(&bundle.referrer);
        let outcome = std::str::from_utf8(&bundle.bytes)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|text| {
                verify_bundle_text(
                    label,
                    text,
                    &Subject::Bytes(payload.clone()),
                    &signer,
                    trust,
                    false,
                )
                .map_err(|e| e.to_string())
            })
            .and_then(|v| {
                if v.content != VerifiedContent::Artifact {
                    return Err("the bundle does not sign the payload beside it".into());
                }
                if !payload_names(payload, &digest) {
                    return Err(format!("the signed payload does not name {digest}"));
                }
                rule.check(&v)?;
                Ok(v)
            });
        match outcome {
            Ok(v) => signers.push(json!({
                "referrer": bundle.referrer,
                "identity": v.identity,
                "issuer": v.issuer,
                "tlogVerified": v.tlog_verified,
            })),
            Err(reason) => refused.push(format!("{}: {reason}", bundle.referrer)),
        }
    }
    if signers.is_empty() {
        let why = if refused.is_empty() {
            "no signature bundle is attached".to_string()
        } else {
            refused.join("; ")
        };
        eprintln!("error: {pinned}: verification failed: no keyless signature satisfies the identity rule ({why})");
        return Ok(crate::EXIT_FINDINGS);
    }
    output::line(&serde_json::to_string_pretty(&json!({
        "image": pinned,
        "digest": digest,
        "signatures": signers,
    }))?)?;
    output::info!(
        "Verified OK: {pinned} ({} keyless signature(s))",
        signers.len()
    );
    Ok(0)
}
