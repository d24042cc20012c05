//! Sigstore bundle verification (v0.1, v0.2 and v0.3 bundles; Rekor v1 and
//! v2 entries; keyed and keyless), through the Sigstore project's
//! `sigstore-verify`: certificate chain to the trusted root, SCTs, Rekor SET,
//! inclusion proof and checkpoint, RFC 3161 timestamps, validity windows,
//! identity and issuer, and the DSSE or message signature.

use crate::Error;
use sigstore_verify::trust_root::{
    TrustedRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT, SIGSTORE_STAGING_TRUSTED_ROOT,
};
use sigstore_verify::types::bundle::SignatureContent;
use sigstore_verify::types::{Artifact, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};
use std::path::{Path, PathBuf};

/// What was signed: a file, bytes in memory, or only a SHA-256
/// (`sha256:<hex>`).
#[derive(Clone, Debug)]
pub enum Subject {
    /// A file, read once.
    File(PathBuf),
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// Only a SHA-256 digest (hex), e.g. an image manifest's.
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
    Identity {
        /// The certificate identity, exactly.
        identity: String,
        /// The OIDC issuer, exactly.
        issuer: String,
    },
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
    /// Sigstore's staging instance.
    Staging,
    /// A trusted root file (a private instance).
    File(PathBuf),
}

/// What verification established.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verified {
    /// The certificate's identity (keyless).
    pub identity: Option<String>,
    /// The certificate's OIDC issuer (keyless).
    pub issuer: Option<String>,
    /// The certificate's source repository URL (keyless, CI identities:
    /// Fulcio's Source Repository URI extension).
    pub source_repository: Option<String>,
    /// The log entry's integrated time, if logged.
    pub integrated_time: Option<String>,
    /// The earliest authenticated signing time (Unix seconds): the log's
    /// integrated time or a verified RFC 3161 timestamp.
    pub signed_at: Option<i64>,
    /// The certificate chain was verified to the trusted root.
    pub certificate_verified: bool,
    /// The certificate's SCT was verified.
    pub sct_verified: bool,
    /// A transparency-log entry was verified (inclusion proof or promise).
    pub tlog_verified: bool,
    /// The bundle's content, taken from the bytes whose signature was
    /// checked (never from a second reading of the bundle).
    #[serde(skip)]
    pub content: VerifiedContent,
}

/// What a verified bundle signs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum VerifiedContent {
    /// The artifact itself (a message signature).
    #[default]
    Artifact,
    /// An in-toto statement: the DSSE payload whose signature verified.
    Statement(Vec<u8>),
}

/// Load a trusted root: built in, or from a file.
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
///
/// The bundle is first read strictly ([`crate::bundle::parse`]): one content
/// type, a known `mediaType`, no duplicate or unknown keys. A statement is
/// returned only from the DSSE payload whose signature verified.
pub fn verify_bundle_text(
    bundle_path: &Path,
    text: &str,
    subject: &Subject,
    signer: &Signer,
    trust: &Trust,
    ignore_tlog: bool,
) -> Result<Verified, Error> {
    let bundle_err = |message: String| Error::Bundle {
        path: bundle_path.to_path_buf(),
        message,
    };
    let strict = crate::bundle::parse(text).map_err(|e| bundle_err(e.to_string()))?;
    if let crate::bundle::Content::Dsse { payload_type, .. } = &strict.content {
        if payload_type != crate::dsse::INTOTO_PAYLOAD_TYPE {
            return Err(Error::Verification(format!(
                "DSSE payload type is `{payload_type}`, expected `{}`",
                crate::dsse::INTOTO_PAYLOAD_TYPE
            )));
        }
    }
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
    let is_keyed = key_pem.is_some();
    match (is_keyed, strict.material) {
        (true, crate::bundle::Material::PublicKey) => {}
        (true, _) => {
            return Err(Error::Verification(
                "the bundle carries a certificate, but a public key was given".into(),
            ))
        }
        (false, crate::bundle::Material::PublicKey) => {
            return Err(Error::Verification(
                "the bundle was signed with a key, but an identity was given".into(),
            ))
        }
        (false, _) => {}
    }
    if let Some(pem) = &key_pem {
        let unsupported = || {
            Error::Key {
            path: key_label.clone(),
            message: "unsupported key type (supported: ECDSA P-256, P-384, RSA of 2048 bits or more, Ed25519)".into(),
        }
        };
        // A signed timestamp dates a keyed signature but does not log it:
        // without a log entry, a keyed bundle needs the explicit relaxation.
        if strict.tlog_entries == 0 && !ignore_tlog {
            return Err(Error::Verification(
                "the bundle has no transparency-log entry (accepted only with --insecure-ignore-tlog)".into(),
            ));
        }
        if strict.tlog_entries == 0 && strict.rfc3161_timestamps == 0 {
            // The key is parsed once, by the signature check itself.
            return verify_unlogged_keyed(&strict, subject, pem).map_err(|e| match e {
                Error::Verification(m) if m.contains("unsupported key type") => unsupported(),
                other => other,
            });
        }
        if crate::keys::public_key_algorithm(pem).is_none() {
            return Err(unsupported());
        }
    } else if strict.tlog_entries == 0 && strict.rfc3161_timestamps == 0 {
        return Err(Error::Verification(
            "the bundle has neither a transparency-log entry nor a signed timestamp".into(),
        ));
    }
    let mut bundle = Bundle::from_json(text).map_err(|e| bundle_err(e.to_string()))?;
    // A v0.1 bundle with no log entry (GitHub's timestamp-only attestations
    // are labelled so): v0.1's only extra rule is the log promise, which has
    // nothing to apply to, but `sigstore-verify` demands one regardless.
    // Under the v0.2 rules, which are otherwise the same, it is checked on
    // its timestamps.
    if strict.version == crate::bundle::Version::V0_1 && strict.tlog_entries == 0 {
        bundle.media_type = sigstore_verify::types::bundle::MediaType::Bundle0_2;
    }
    // The two readings must agree on what is signed.
    let content = match (&strict.content, &bundle.content) {
        (crate::bundle::Content::MessageSignature, SignatureContent::MessageSignature(_)) => {
            VerifiedContent::Artifact
        }
        (
            crate::bundle::Content::Dsse {
                payload_type,
                payload,
            },
            SignatureContent::DsseEnvelope(envelope),
        ) if envelope.payload.as_bytes() == payload.as_slice()
            && envelope.payload_type == *payload_type =>
        {
            VerifiedContent::Statement(envelope.payload.as_bytes().to_vec())
        }
        _ => return Err(bundle_err("the bundle's content is ambiguous".into())),
    };
    let trusted = verifier_for(trust)?;
    let verifier = &trusted.1;
    // Every byte of a timestamp is signed or fixed by the strict reading,
    // checked before the TSA's signature is (`sigstore-verify` reads the
    // unsigned parts leniently).
    let timestamps = &bundle
        .verification_material
        .timestamp_verification_data
        .rfc3161_timestamps;
    if !timestamps.is_empty() {
        let authorities = trusted.0.tsa_authorities();
        for (i, ts) in timestamps.iter().enumerate() {
            crate::timestamp::check(ts.signed_timestamp.as_bytes(), &authorities)
                .map_err(|e| Error::Verification(format!("RFC 3161 timestamp {i}: {e}")))?;
        }
    }
    if !(is_keyed && ignore_tlog) {
        check_log_entries(&bundle, &trusted.0)?;
    }
    let bytes;
    let artifact: Artifact = match subject {
        Subject::File(path) => {
            // tollgate:allow(path-traversal): a `Subject::File` is built from the CLI's own arguments; the admission webhook verifies images (`Subject::Image`), never a path from a request
            bytes = std::fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            Artifact::from_blob(&bytes)
        }
        Subject::Bytes(b) => Artifact::from_blob(b),
        Subject::Sha256(hex) => {
            let digest = Sha256Hash::from_hex(hex)
                .map_err(|e| Error::Verification(format!("digest sha256:{hex}: {e}")))?;
            Artifact::from(digest)
        }
    };
    // A keyless bundle with signed timestamps and no log entry (GitHub's
    // attestations for private repositories) is verified on its
    // timestamps, as sigstore-go and cosign do; `tlog_verified` stays
    // false, so a policy can still demand a log entry.
    let timestamp_only = strict.tlog_entries == 0;
    // ... but only where the trust root has no transparency log (GitHub's
    // private-repository instance): where a log exists, a bundle that is
    // not in it escapes every log monitor, so its entry is required.
    if timestamp_only && !is_keyed && !trusted.0.tlogs.is_empty() {
        return Err(Error::Verification(
            "the bundle has no transparency-log entry, and its trust root has a log".into(),
        ));
    }
    let result = match signer {
        Signer::Key(_) | Signer::KeyPem(_) => {
            let pem = key_pem.as_deref().unwrap_or_default();
            let key = DerPublicKey::from_pem(pem).map_err(|e| Error::Key {
                path: key_label.clone(),
                message: e.to_string(),
            })?;
            let policy = PublicKeyVerificationPolicy::new(key);
            let policy = if ignore_tlog || timestamp_only {
                policy.skip_tlog_unsafe()
            } else {
                policy
            };
            verifier.verify(artifact, &bundle, &policy)
        }
        Signer::Identity { .. } | Signer::AnyIdentity => {
            let policy = match signer {
                Signer::Identity { issuer, .. } => {
                    VerificationPolicy::any_identity().require_issuer(issuer.clone())
                }
                _ => VerificationPolicy::any_identity(),
            };
            let policy = if timestamp_only {
                policy.skip_tlog_unsafe()
            } else {
                policy
            };
            // A trust root without certificate-transparency logs (GitHub's
            // private-repository instance) issues certificates without SCTs,
            // as sigstore-go reads such a root.
            let policy = if trusted.0.ctlogs.is_empty() {
                policy.skip_sct()
            } else {
                policy
            };
            verifier.verify(artifact, &bundle, &policy)
        }
    }
    .map_err(|e| Error::Verification(e.to_string()))?;
    // The identity is read here, from the certificate's single SAN (email,
    // URI or Fulcio's otherName username), not from the first SAN found.
    let identity = match bundle.signing_certificate() {
        Some(cert) if !is_keyed => Some(
            crate::identity::san_identity(cert.as_bytes())
                .map_err(|e| Error::Verification(e.to_string()))?,
        ),
        _ => None,
    };
    if let (Signer::Identity { identity: want, .. }, got) = (signer, &identity) {
        let got = got.as_ref().map(|g| g.as_str());
        if got != Some(want.as_str()) {
            return Err(Error::Verification(format!(
                "certificate identity mismatch: expected {want}, got {}",
                got.unwrap_or("none")
            )));
        }
    }
    let source_repository = match bundle.signing_certificate() {
        Some(cert) if !is_keyed => crate::identity::source_repository(cert.as_bytes())
            .map_err(|e| Error::Verification(e.to_string()))?,
        _ => None,
    };
    let tlog_verified = result.tlog_verified() && !timestamp_only && !ignore_tlog;
    Ok(Verified {
        identity: identity.map(|i| i.as_str().to_string()),
        source_repository,
        issuer: result.issuer().map(str::to_string),
        integrated_time: result.integrated_time().map(|t| t.to_string()),
        signed_at: result
            .integrated_time()
            .into_iter()
            .chain(result.verified_timestamps().iter().copied())
            .map(|t| t.as_second())
            .min(),
        certificate_verified: result.certificate_verified(),
        sct_verified: result.sct_verified(),
        tlog_verified,
        content,
    })
}

/// A built-in root that failed to load, cached as its message.
#[derive(Clone, Debug)]
struct BuiltInRootError(String);

/// A trust root and its verifier; the built-in roots are parsed once.
type Trusted = std::sync::Arc<(TrustedRoot, Verifier)>;

fn verifier_for(trust: &Trust) -> Result<Trusted, Error> {
    use std::sync::{Arc, OnceLock};
    // The error is kept as its text: `Error` is not `Clone`, and the
    // cached failure is reported again as the built-in root's.
    static PUBLIC_GOOD: OnceLock<Result<Trusted, BuiltInRootError>> = OnceLock::new();
    static STAGING: OnceLock<Result<Trusted, BuiltInRootError>> = OnceLock::new();
    let build = |trust: &Trust| -> Result<Trusted, Error> {
        let root = load_trust(trust)?;
        let verifier = Verifier::new(&root).map_err(|e| Error::TrustedRoot {
            path: match trust {
                Trust::File(p) => p.clone(),
                _ => PathBuf::from("<built-in>"),
            },
            message: e.to_string(),
        })?;
        Ok(Arc::new((root, verifier)))
    };
    let cached = |cell: &OnceLock<Result<Trusted, BuiltInRootError>>| {
        cell.get_or_init(|| build(trust).map_err(|e| BuiltInRootError(e.to_string())))
            .clone()
            .map_err(|e| Error::TrustedRoot {
                path: PathBuf::from("<built-in>"),
                message: e.0,
            })
    };
    match trust {
        Trust::PublicGood => cached(&PUBLIC_GOOD),
        Trust::Staging => cached(&STAGING),
        Trust::File(_) => build(trust),
    }
}

/// What `sigstore-verify` leaves unchecked in a log entry, checked here: the
/// entry's log is one the trusted root lists, an inclusion proof's
/// checkpoint carries a valid signature by that log's key, valid by now (its
/// key hint the first bytes of the entry's logId: `sigstore-verify` accepts
/// a checkpoint signed by any log of the root, and sigstore-python, for a
/// logId that is not its key's hash, as Rekor v2's are, too),
/// and the proof's own root hash, tree size and (without a Rekor v1
/// promise, whose proof index is the shard's) index agree with its signed
/// checkpoint and the entry. Otherwise those fields could be changed and
/// the bundle still verify.
fn check_log_entries(bundle: &Bundle, root: &TrustedRoot) -> Result<(), Error> {
    let bad = |m: String| Error::Verification(format!("transparency-log entry: {m}"));
    let keys = root
        .rekor_keys()
        .map_err(|e| bad(format!("the trusted root's log keys: {e}")))?;
    for entry in &bundle.verification_material.tlog_entries {
        let id = entry.log_id.key_id.as_bytes();
        if !root.tlogs.iter().any(|t| t.log_id.key_id.as_bytes() == id) {
            return Err(bad(
                "its logId names a log the trusted root does not list".into()
            ));
        }
        let Some(proof) = &entry.inclusion_proof else {
            continue;
        };
        let checkpoint = proof
            .checkpoint
            .checkpoint()
            .ok_or_else(|| bad("the inclusion proof's checkpoint cannot be read".into()))?;
        let key_id = Sha256Hash::try_from(id)
            .map_err(|_| bad("its logId is not a SHA-256 key id".into()))?;
        // The log's key as the crate takes it: one whose validity window
        // has started (an expired key still verifies old entries).
        let key = keys.key_started_by(&key_id, jiff::Timestamp::now());
        let signed_by_its_log = key.is_some_and(|key| {
            checkpoint.signatures().iter().any(|sig| {
                id.get(..4) == Some(sig.key_id.as_bytes().as_slice())
                    && key.verify(checkpoint.signed_data(), &sig.signature).is_ok()
            })
        });
        if !signed_by_its_log {
            return Err(bad(
                "its checkpoint is not signed by the log its logId names".into(),
            ));
        }
        if checkpoint.root_hash().as_bytes() != proof.root_hash.as_bytes() {
            return Err(bad(
                "the inclusion proof's rootHash is not the checkpoint's".into(),
            ));
        }
        if checkpoint.tree_size() != proof.tree_size {
            return Err(bad(
                "the inclusion proof's treeSize is not the checkpoint's".into(),
            ));
        }
        if proof.log_index.get() >= proof.tree_size {
            return Err(bad(
                "the inclusion proof's logIndex is outside the tree".into()
            ));
        }
        if entry.inclusion_promise.is_none() && proof.log_index.get() != entry.log_index.get() {
            return Err(bad(
                "the inclusion proof's logIndex is not the entry's".into()
            ));
        }
    }
    Ok(())
}

/// A keyed bundle with no transparency-log entry and no timestamp,
/// accepted only under `--insecure-ignore-tlog`. `sigstore-verify` rejects
/// such bundles outright (it requires a log entry or a signed timestamp
/// even when told to skip the log), so the check is done here, on the
/// strictly parsed bundle: the digest in the bundle must be the subject's
/// and the signature must verify under the given key; for DSSE, the
/// envelope's signature over its PAE and a statement subject naming the
/// artifact.
fn verify_unlogged_keyed(
    strict: &crate::bundle::StrictBundle,
    subject: &Subject,
    pem: &str,
) -> Result<Verified, Error> {
    use sha2::Digest;
    let unlogged = |content| Verified {
        identity: None,
        issuer: None,
        source_repository: None,
        integrated_time: None,
        signed_at: None,
        certificate_verified: false,
        sct_verified: false,
        tlog_verified: false,
        content,
    };
    let artifact_sha256 = |subject: &Subject| -> Result<(Vec<u8>, Vec<u8>), Error> {
        let bytes = match subject {
            // tollgate:allow(path-traversal): a `Subject::File` is built from the CLI's own arguments; the admission webhook verifies images, never a path from a request
            Subject::File(path) => std::fs::read(path).map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?,
            Subject::Bytes(b) => b.clone(),
            Subject::Sha256(_) => Vec::new(),
        };
        let digest = sha2::Sha256::digest(&bytes).to_vec();
        Ok((bytes, digest))
    };
    match &strict.content {
        crate::bundle::Content::MessageSignature => {
            let claimed = strict
                .message_digest
                .as_deref()
                .ok_or_else(|| Error::Verification("the message signature has no digest".into()))?;
            let checked = match subject {
                Subject::File(_) | Subject::Bytes(_) => {
                    let (bytes, sha256) = artifact_sha256(subject)?;
                    // The strict reading allows SHA2_256, _384 and _512
                    // (sigstore-go writes SHA2_384 for P-384 keys), each with
                    // its own length.
                    let digest = match claimed.len() {
                        32 => sha256,
                        48 => sha2::Sha384::digest(&bytes).to_vec(),
                        _ => sha2::Sha512::digest(&bytes).to_vec(),
                    };
                    if digest != claimed {
                        return Err(Error::Verification(
                            "the artifact's SHA-256 does not match the bundle's message digest"
                                .into(),
                        ));
                    }
                    crate::keys::verify_signature(pem, &bytes, &strict.signature)
                }
                Subject::Sha256(hex_digest) => {
                    if claimed.len() != 32 {
                        return Err(Error::Verification(
                            "the bundle signs a SHA-384/512 digest: give the artifact, not its SHA-256".into(),
                        ));
                    }
                    let digest =
                        hex::decode(hex_digest).map_err(|e| Error::Verification(e.to_string()))?;
                    if digest != claimed {
                        return Err(Error::Verification(
                            "the digest does not match the bundle's message digest".into(),
                        ));
                    }
                    crate::keys::verify_prehashed(pem, &digest, &strict.signature)
                }
            };
            checked.map_err(|e| Error::Verification(e.to_string()))?;
            Ok(unlogged(VerifiedContent::Artifact))
        }
        crate::bundle::Content::Dsse {
            payload_type,
            payload,
        } => {
            crate::keys::verify_signature(
                pem,
                &crate::dsse::pae(payload_type, payload),
                &strict.signature,
            )
            .map_err(|e| Error::Verification(format!("DSSE envelope: {e}")))?;
            let statement = crate::predicate::Statement::from_payload(payload)
                .map_err(|e| Error::Verification(e.to_string()))?;
            let digests = match subject {
                Subject::File(_) | Subject::Bytes(_) => {
                    crate::predicate::ArtifactDigests::of_bytes(&artifact_sha256(subject)?.0)
                }
                Subject::Sha256(hex_digest) => {
                    crate::predicate::ArtifactDigests::sha256(hex_digest)
                }
            };
            if !statement.names(&digests) {
                return Err(Error::Verification(format!(
                    "no statement subject has sha256 {}",
                    digests.sha256_hex().unwrap_or_default()
                )));
            }
            Ok(unlogged(VerifiedContent::Statement(payload.clone())))
        }
    }
}
