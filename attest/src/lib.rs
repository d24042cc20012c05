//! `tollgate-attest`: signatures and attestations for what the pipeline
//! ships.
//!
//! [`keys`] (cosign's encrypted key format; ECDSA P-256 and P-384, RSA,
//! Ed25519); [`pkcs11`] (hardware keys named by cosign's `pkcs11:` URIs);
//! [`sign`] and [`keyless`] (Sigstore bundles, keyed or through Fulcio and
//! Rekor); [`dsse`], [`statement`] and [`provenance`] (in-toto Statement v1
//! attestations, SLSA provenance from git); [`oci`] (cosign-compatible
//! image signatures and attestations, OCI 1.1 referrers); [`verify`] (full
//! Sigstore bundle verification against a trusted root); and [`intoto`]
//! (classic in-toto layouts and links, interoperable with the Python
//! reference tools).
//!
//! It is not the policy: deciding what is admitted is `tollgate-verifier`'s.
//! It never fetches a trust root at verification time: the public-good
//! root is compiled in, and others come from files.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod dsse;
pub mod identity;
pub mod intoto;
pub mod keyless;
pub mod keys;
pub mod oci;
pub mod pkcs11;
pub mod predicate;
pub mod provenance;
pub mod rekor_v2;
pub mod sign;
pub mod signing_config;
pub mod statement;
pub mod timestamp;
pub mod tsa;
pub mod tuf;
pub mod verify;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid Sigstore bundle: {message}")]
    Bundle { path: PathBuf, message: String },
    #[error("{path}: not a valid trusted root: {message}")]
    TrustedRoot { path: PathBuf, message: String },
    #[error("{path}: not a usable public key: {message}")]
    Key { path: PathBuf, message: String },
    #[error("verification failed: {0}")]
    Verification(String),
    #[error("{url}: {message}")]
    Service { url: String, message: String },
    #[error("identity token: {0}")]
    Token(String),
    #[error("{reference}: {message}")]
    Registry { reference: String, message: String },
    #[error("{path}: cannot read the source repository: {message}")]
    Source { path: PathBuf, message: String },
    #[error("{path}: not a usable signing config: {message}")]
    SigningConfig { path: PathBuf, message: String },
}
