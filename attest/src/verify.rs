//! Sigstore bundle verification (v0.1, v0.2 and v0.3 bundles; Rekor v1 and
//! v2 entries; keyed and keyless), through the Sigstore project's
//! `sigstore-verify`: certificate chain to the trusted root, SCTs, Rekor SET,
//! inclusion proof and checkpoint, RFC 3161 timestamps, validity windows,
//! identity and issuer, and the DSSE or message signature.

use crate::Error;
use sigstore_verify::trust_root::{
    TrustedRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT, SIGSTORE_STAGING_TRUSTED_ROOT,
};
use sigstore_verify::types::{Artifact, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};
use std::path::{Path, PathBuf};

/// What was signed: a file, or only its SHA-256 (`sha256:<hex>`).
#[derive(Clone, Debug)]
pub enum Subject {
    File(PathBuf),
    Sha256(String),
}

impl Subject {
    /// The conformance protocol's rule: `sha256:<64 hex>` that is not an
    /// existing path is a digest; anything else is a file.
    pub fn parse(arg: &str) -> Subject {
        let path = Path::new(arg);
        match arg.strip_prefix("sha256:") {
            Some(hex)
                if !path.exists()
                    && hex.len() == 64
                    && hex.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                Subject::Sha256(hex.to_ascii_lowercase())
            }
            _ => Subject::File(path.to_path_buf()),
        }
    }
}

/// Who must have signed.
#[derive(Clone, Debug)]
pub enum Signer {
    /// A public key (SPKI PEM) for keyed bundles.
    Key(PathBuf),
    /// A public key (SPKI PEM) given inline, as policies carry them.
    KeyPem(String),
    /// A keyless identity: the certificate's SAN and OIDC issuer, exactly.
    Identity { identity: String, issuer: String },
    /// Any identity the trusted root's CA certified (a signer checking its
    /// own fresh bundle: chain, SCT and log are verified, identity is not).
    AnyIdentity,
}

/// Which trust root to verify against.
#[derive(Clone, Debug, Default)]
pub enum Trust {
    /// The public-good instance's root, compiled in (works offline).
    #[default]
    PublicGood,
    Staging,
    File(PathBuf),
}

/// What verification established.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verified {
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub integrated_time: Option<String>,
    pub certificate_verified: bool,
    pub sct_verified: bool,
    pub tlog_verified: bool,
}

pub fn load_trust(trust: &Trust) -> Result<TrustedRoot, Error> {
    let parsed = match trust {
        Trust::PublicGood => TrustedRoot::from_json(SIGSTORE_PRODUCTION_TRUSTED_ROOT),
        Trust::Staging => TrustedRoot::from_json(SIGSTORE_STAGING_TRUSTED_ROOT),
        Trust::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            TrustedRoot::from_json(&text)
        }
    };
    parsed.map_err(|e| Error::TrustedRoot {
        path: match trust {
            Trust::File(p) => p.clone(),
            _ => PathBuf::from("<built-in>"),
        },
        message: e.to_string(),
    })
}

/// Verify a bundle file against a subject, a signer and a trust root.
///
/// `ignore_tlog` accepts keyed bundles that carry no transparency-log
/// entry (cosign's `--insecure-ignore-tlog`); it has no effect on keyless
/// bundles, whose certificates are only trusted with a log entry.
pub fn verify_bundle(
    bundle_path: &Path,
    subject: &Subject,
    signer: &Signer,
    trust: &Trust,
    ignore_tlog: bool,
) -> Result<Verified, Error> {
    let text = std::fs::read_to_string(bundle_path).map_err(|source| Error::Io {
        path: bundle_path.to_path_buf(),
        source,
    })?;
    verify_bundle_text(bundle_path, &text, subject, signer, trust, ignore_tlog)
}

/// [`verify_bundle`] on a bundle already in memory; `bundle_path` only
/// names it in errors.
pub fn verify_bundle_text(
    bundle_path: &Path,
    text: &str,
    subject: &Subject,
    signer: &Signer,
    trust: &Trust,
    ignore_tlog: bool,
) -> Result<Verified, Error> {
    // A key file is read once; from here on keys are inline PEM.
    let key_pem = match signer {
        Signer::Key(path) => Some(std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?),
        Signer::KeyPem(pem) => Some(pem.clone()),
        _ => None,
    };
    let key_label = match signer {
        Signer::Key(path) => path.clone(),
        _ => PathBuf::from("<policy key>"),
    };
    if let (Some(pem), true) = (&key_pem, ignore_tlog) {
        if let Some(verified) = verify_unlogged_keyed(bundle_path, text, subject, pem)? {
            return Ok(verified);
        }
    }
    let bundle = Bundle::from_json(text).map_err(|e| Error::Bundle {
        path: bundle_path.to_path_buf(),
        message: e.to_string(),
    })?;
    let root = load_trust(trust)?;
    let verifier = Verifier::new(&root).map_err(|e| Error::TrustedRoot {
        path: PathBuf::from("trusted root"),
        message: e.to_string(),
    })?;
    let bytes;
    let artifact: Artifact = match subject {
        Subject::File(path) => {
            bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            Artifact::from_blob(&bytes)
        }
        Subject::Sha256(hex) => {
            let digest = Sha256Hash::from_hex(hex)
                .map_err(|e| Error::Verification(format!("digest sha256:{hex}: {e}")))?;
            Artifact::from(digest)
        }
    };
    let result = match signer {
        Signer::Key(_) | Signer::KeyPem(_) => {
            let pem = key_pem.as_deref().unwrap_or_default();
            let key = DerPublicKey::from_pem(pem).map_err(|e| Error::Key {
                path: key_label.clone(),
                message: e.to_string(),
            })?;
            let policy = PublicKeyVerificationPolicy::new(key);
            let policy = if ignore_tlog {
                policy.skip_tlog_unsafe()
            } else {
                policy
            };
            verifier.verify(artifact, &bundle, &policy)
        }
        Signer::Identity { identity, issuer } => verifier.verify(
            artifact,
            &bundle,
            &VerificationPolicy::new(identity.clone(), issuer.clone()),
        ),
        Signer::AnyIdentity => {
            verifier.verify(artifact, &bundle, &VerificationPolicy::any_identity())
        }
    }
    .map_err(|e| Error::Verification(e.to_string()))?;
    Ok(Verified {
        identity: result.identity().map(|i| i.to_string()),
        issuer: result.issuer().map(str::to_string),
        integrated_time: result.integrated_time().map(|t| t.to_string()),
        certificate_verified: result.certificate_verified(),
        sct_verified: result.sct_verified(),
        tlog_verified: result.tlog_verified(),
    })
}

/// A keyed message-signature bundle with no transparency-log entry and no
/// timestamp, accepted only under `--insecure-ignore-tlog`.
/// `sigstore-verify` rejects such bundles outright (it requires a log entry
/// or a signed timestamp even when told to skip the log), so the check is
/// done here: the digest in the bundle must be the subject's, and the
/// signature must verify under the given key. `None` when the bundle is
/// not of this shape (then the normal path applies).
fn verify_unlogged_keyed(
    bundle_path: &Path,
    text: &str,
    subject: &Subject,
    pem: &str,
) -> Result<Option<Verified>, Error> {
    use base64::Engine;
    use sha2::Digest;
    let bundle_err = |message: String| Error::Bundle {
        path: bundle_path.to_path_buf(),
        message,
    };
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bundle_err(e.to_string()))?;
    let material = &doc["verificationMaterial"];
    let has_log = material["tlogEntries"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    let has_timestamp = material["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    if has_log || has_timestamp || material.get("publicKey").is_none() {
        return Ok(None);
    }
    if let Some(envelope) = doc.get("dsseEnvelope") {
        return verify_unlogged_dsse(envelope, subject, pem).map(Some);
    }
    let Some(message) = doc.get("messageSignature") else {
        return Ok(None);
    };
    let b64 = |field: &str| -> Result<Vec<u8>, Error> {
        let value = message
            .pointer(field)
            .and_then(|v| v.as_str())
            .ok_or_else(|| bundle_err(format!("missing messageSignature{field}")))?;
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .map_err(|e| bundle_err(format!("messageSignature{field}: {e}")))
    };
    if message
        .pointer("/messageDigest/algorithm")
        .and_then(|v| v.as_str())
        != Some("SHA2_256")
    {
        return Err(Error::Verification(
            "only SHA2_256 message digests are supported".into(),
        ));
    }
    let claimed = b64("/messageDigest/digest")?;
    let signature = b64("/signature")?;
    let actual = match subject {
        Subject::File(path) => {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            if sha2::Sha256::digest(&bytes).as_slice() != claimed.as_slice() {
                return Err(Error::Verification(
                    "the artifact's SHA-256 does not match the bundle's message digest".into(),
                ));
            }
            crate::keys::verify_signature(pem, &bytes, &signature)
        }
        Subject::Sha256(hex_digest) => {
            let digest = hex::decode(hex_digest).map_err(|e| Error::Verification(e.to_string()))?;
            if digest != claimed {
                return Err(Error::Verification(
                    "the digest does not match the bundle's message digest".into(),
                ));
            }
            crate::keys::verify_prehashed(pem, &digest, &signature)
        }
    };
    actual.map_err(|e| Error::Verification(e.to_string()))?;
    Ok(Some(Verified {
        identity: None,
        issuer: None,
        integrated_time: None,
        certificate_verified: false,
        sct_verified: false,
        tlog_verified: false,
    }))
}

/// A keyed DSSE bundle without a log entry: the envelope signature, the
/// in-toto payload type, and a statement subject with the artifact's SHA-256.
fn verify_unlogged_dsse(
    envelope: &serde_json::Value,
    subject: &Subject,
    pem: &str,
) -> Result<Verified, Error> {
    use sha2::Digest;
    let (payload_type, payload) = crate::dsse::verify(envelope, pem)?;
    if payload_type != crate::dsse::INTOTO_PAYLOAD_TYPE {
        return Err(Error::Verification(format!(
            "DSSE payload type is `{payload_type}`, expected `{}`",
            crate::dsse::INTOTO_PAYLOAD_TYPE
        )));
    }
    let statement: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| Error::Verification(format!("in-toto statement: {e}")))?;
    let sha256 = match subject {
        Subject::File(path) => hex::encode(sha2::Sha256::digest(std::fs::read(path).map_err(
            |source| Error::Io {
                path: path.clone(),
                source,
            },
        )?)),
        Subject::Sha256(hex_digest) => hex_digest.clone(),
    };
    if !crate::statement::has_subject_sha256(&statement, &sha256) {
        return Err(Error::Verification(format!(
            "no statement subject has sha256 {sha256}"
        )));
    }
    Ok(Verified {
        identity: None,
        issuer: None,
        integrated_time: None,
        certificate_verified: false,
        sct_verified: false,
        tlog_verified: false,
    })
}
