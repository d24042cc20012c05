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
#![deny(missing_docs)]

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
/// What can go wrong with keys, bundles, services and registries.
pub enum Error {
    #[error("{path}: {source}")]
    /// A file that cannot be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    #[error("{path}: not a valid Sigstore bundle: {message}")]
    /// A bundle that is not a valid Sigstore bundle.
    Bundle {
        /// The bundle file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    #[error("{path}: not a valid trusted root: {message}")]
    /// A trusted root that cannot be loaded.
    TrustedRoot {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    #[error("{path}: not a usable public key: {message}")]
    /// A public key that cannot be used.
    Key {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    #[error("verification failed: {0}")]
    /// A signature, certificate, log entry or timestamp that does not verify.
    Verification(String),
    #[error("{url}: {message}")]
    /// A Sigstore service (Fulcio, Rekor, TSA) failed or answered nonsense.
    Service {
        /// The service URL.
        url: String,
        /// Why, in words.
        message: String,
    },
    #[error("identity token: {0}")]
    /// An OIDC identity token that cannot be used.
    Token(String),
    #[error("{reference}: {message}")]
    /// A registry request failed.
    Registry {
        /// The image reference.
        reference: String,
        /// Why, in words.
        message: String,
    },
    #[error("{path}: cannot read the source repository: {message}")]
    /// The source repository's facts cannot be read.
    Source {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    #[error("{path}: not a usable signing config: {message}")]
    /// A signing config that cannot be used.
    SigningConfig {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
}
