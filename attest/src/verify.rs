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
    /// A keyless identity: the certificate's SAN and OIDC issuer, exactly.
    Identity { identity: String, issuer: String },
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
pub fn verify_bundle(
    bundle_path: &Path,
    subject: &Subject,
    signer: &Signer,
    trust: &Trust,
) -> Result<Verified, Error> {
    let text = std::fs::read_to_string(bundle_path).map_err(|source| Error::Io {
        path: bundle_path.to_path_buf(),
        source,
    })?;
    let bundle = Bundle::from_json(&text).map_err(|e| Error::Bundle {
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
        Signer::Key(path) => {
            let pem = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let key = DerPublicKey::from_pem(&pem).map_err(|e| Error::Key {
                path: path.clone(),
                message: e.to_string(),
            })?;
            verifier.verify(artifact, &bundle, &PublicKeyVerificationPolicy::new(key))
        }
        Signer::Identity { identity, issuer } => verifier.verify(
            artifact,
            &bundle,
            &VerificationPolicy::new(identity.clone(), issuer.clone()),
        ),
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
