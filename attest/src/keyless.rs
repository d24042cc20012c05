//! Signing through Sigstore's services: an ephemeral key, a Fulcio
//! certificate for an OIDC identity (`POST /api/v2/signingCert`), and a
//! Rekor `hashedrekord` entry (`POST /api/v1/log/entries`) whose SET and
//! inclusion proof go into the bundle. Keyed signatures can be logged to
//! Rekor the same way. Works against the public-good instance, a private
//! one, or a local stand-in (`@sigstore/mock` in the tests).
//!
//! Plain `http://` is accepted only for loopback hosts.
//!
//! The `*_via` functions sign with the services a SigningConfig selected
//! ([`Services`]): a Rekor v1 or v2 log ([`crate::rekor_v2`]) and an RFC
//! 3161 timestamp authority ([`crate::tsa`]) whose timestamp goes into the
//! bundle's `timestampVerificationData`.

use crate::keys::{KeyKind, KeyPair};
use crate::sign::BUNDLE_MEDIA_TYPE_V03;
pub use crate::signing_config::{RekorLog, Services};
use crate::Error;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The public-good Fulcio.
pub const DEFAULT_FULCIO_URL: &str = "https://fulcio.sigstore.dev";
/// The public-good Rekor.
pub const DEFAULT_REKOR_URL: &str = "https://rekor.sigstore.dev";

fn service_err(url: &str, message: impl std::fmt::Display) -> Error {
    Error::Service {
        url: url.to_string(),
        message: message.to_string(),
    }
}

/// Refuse cleartext HTTP except to this machine.
pub fn check_url(url: &str) -> Result<(), Error> {
    let parsed = url::Url::parse(url).map_err(|e| service_err(url, format!("invalid URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(service_err(
                    url,
                    "plain http is only allowed to a loopback address",
                ))
            }
        }
        other => Err(service_err(url, format!("unsupported scheme `{other}`"))),
    }
}

/// The HTTP client for Sigstore services: statuses are read, not raised,
/// and one exchange may take at most 30 s.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

pub(crate) fn post_json(url: &str, body: &Value) -> Result<Value, Error> {
    check_url(url)?;
    let mut response = agent()
        .post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send(serde_json::to_string(body).map_err(|e| service_err(url, e))?)
        .map_err(|e| service_err(url, e))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| service_err(url, e))?;
    if !status.is_success() {
        return Err(service_err(
            url,
            format!(
                "HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            ),
        ));
    }
    serde_json::from_str(&text).map_err(|e| service_err(url, format!("invalid JSON response: {e}")))
}

/// The claims of an OIDC identity token (not verified here: Fulcio verifies it).
pub fn token_claims(token: &str) -> Result<Value, Error> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::Token("not a JWT (expected header.payload.signature)".into()))?;
    let bytes = B64URL
        .decode(payload.trim_end_matches('='))
        .map_err(|e| Error::Token(format!("payload is not base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Token(format!("payload is not JSON: {e}")))
}

/// PEM certificates in a Fulcio response, leaf first.
fn fulcio_chain(response: &Value) -> Option<Vec<String>> {
    let chain = response
        .pointer("/signedCertificateEmbeddedSct/chain/certificates")
        .or_else(|| response.pointer("/signedCertificateDetachedSct/chain/certificates"))?;
    chain
        .as_array()?
        .iter()
        .map(|c| c.as_str().map(str::to_string))
        .collect()
}

/// Decode PEM leniently: services differ in line width (RFC 7468 says 64).
fn pem_to_der(pem: &str) -> Result<Vec<u8>, Error> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    B64.decode(body)
        .map_err(|e| Error::Token(format!("certificate PEM: {e}")))
}

/// A Fulcio certificate (DER) for `key`, bound to the token's identity.
pub fn fulcio_certificate(fulcio_url: &str, token: &str, key: &KeyPair) -> Result<Vec<u8>, Error> {
    let claims = token_claims(token)?;
    // Proof of possession: the identity claim, signed with the key.
    let subject = claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Token("token has no `sub` or `email` claim".into()))?;
    let body = json!({
        "credentials": { "oidcIdentityToken": token },
        "publicKeyRequest": {
            "publicKey": { "algorithm": if key.kind() == KeyKind::Ed25519 { "ED25519" } else { "ECDSA" }, "content": key.public_key_pem() },
            "proofOfPossession": B64.encode(key.sign(subject.as_bytes())),
        },
    });
    let url = format!("{}/api/v2/signingCert", fulcio_url.trim_end_matches('/'));
    let response = post_json(&url, &body)?;
    let chain = fulcio_chain(&response)
        .ok_or_else(|| service_err(&url, "response has no certificate chain"))?;
    let leaf = chain
        .first()
        .ok_or_else(|| service_err(&url, "empty certificate chain"))?;
    pem_to_der(leaf)
}

/// Log a `hashedrekord` entry; returns the bundle's `tlogEntries[0]`.
pub fn rekor_entry(
    rekor_url: &str,
    digest: &[u8],
    signature: &[u8],
    verifier_pem: &str,
) -> Result<Value, Error> {
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": { "hash": { "algorithm": "sha256", "value": hex::encode(digest) } },
            "signature": { "content": B64.encode(signature), "publicKey": { "content": B64.encode(verifier_pem) } },
        },
    });
    log_entry(rekor_url, &body, "hashedrekord")
}

/// Log a `dsse` v0.0.1 entry for a signed envelope; returns the bundle's
/// `tlogEntries[0]`. Rekor verifies every envelope signature against the
/// verifiers and stores only the envelope and payload hashes and the
/// signatures, which is what verifiers compare the bundle against.
pub fn dsse_rekor_entry(
    rekor_url: &str,
    envelope: &Value,
    verifier_pem: &str,
) -> Result<Value, Error> {
    let envelope_text = serde_json::to_string(envelope).map_err(|e| service_err(rekor_url, e))?;
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": { "envelope": envelope_text, "verifiers": [B64.encode(verifier_pem)] },
        },
    });
    log_entry(rekor_url, &body, "dsse")
}

/// Propose an entry to Rekor's v1 API and turn the response into a bundle
/// `TransparencyLogEntry` (SET, inclusion proof, checkpoint, body).
fn log_entry(rekor_url: &str, body: &Value, kind: &str) -> Result<Value, Error> {
    let url = format!("{}/api/v1/log/entries", rekor_url.trim_end_matches('/'));
    let response = post_json(&url, body)?;
    let entry = response
        .as_object()
        .and_then(|o| o.values().next())
        .ok_or_else(|| service_err(&url, "empty response"))?;
    let field = |p: &str| {
        entry
            .pointer(p)
            .ok_or_else(|| service_err(&url, format!("response has no {p}")))
    };
    let hex_b64 = |v: &Value| -> Result<String, Error> {
        let s = v
            .as_str()
            .ok_or_else(|| service_err(&url, "expected a hex string"))?;
        Ok(B64.encode(hex::decode(s).map_err(|e| service_err(&url, e))?))
    };
    let num = |v: &Value| v.as_i64().map(|n| n.to_string()).unwrap_or_default();
    let proof = field("/verification/inclusionProof")?;
    let hashes: Result<Vec<String>, Error> = proof
        .get("hashes")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(&hex_b64).collect())
        .unwrap_or_else(|| Ok(Vec::new()));
    Ok(json!({
        "logIndex": num(field("/logIndex")?),
        "logId": { "keyId": hex_b64(field("/logID")?)? },
        "kindVersion": { "kind": kind, "version": "0.0.1" },
        "integratedTime": num(field("/integratedTime")?),
        "inclusionPromise": { "signedEntryTimestamp": field("/verification/signedEntryTimestamp")? },
        "inclusionProof": {
            "logIndex": num(proof.get("logIndex").unwrap_or(&Value::Null)),
            "rootHash": hex_b64(proof.get("rootHash").unwrap_or(&Value::Null))?,
            "treeSize": num(proof.get("treeSize").unwrap_or(&Value::Null)),
            "hashes": hashes?,
            "checkpoint": { "envelope": proof.get("checkpoint").and_then(Value::as_str).unwrap_or_default() },
        },
        "canonicalizedBody": field("/body")?,
    }))
}

fn message_signature(artifact: &[u8], signature: &[u8]) -> Value {
    json!({
        "messageDigest": { "algorithm": "SHA2_256", "digest": B64.encode(Sha256::digest(artifact)) },
        "signature": B64.encode(signature),
    })
}

/// Keyless: ephemeral key, Fulcio certificate, Rekor entry. The bundle
/// carries only the leaf certificate, never the root.
pub fn sign_keyless(
    artifact: &[u8],
    token: &str,
    fulcio_url: &str,
    rekor_url: &str,
) -> Result<Value, Error> {
    let key = KeyPair::generate(KeyKind::EcdsaP256);
    let leaf = fulcio_certificate(fulcio_url, token, &key)?;
    let signature = key.sign(artifact);
    let leaf_pem = pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, &leaf)
        .map_err(|e| Error::Token(e.to_string()))?;
    let entry = rekor_entry(rekor_url, &Sha256::digest(artifact), &signature, &leaf_pem)?;
    Ok(json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": { "certificate": { "rawBytes": B64.encode(&leaf) }, "tlogEntries": [entry] },
        "messageSignature": message_signature(artifact, &signature),
    }))
}

/// Keyed, logged to Rekor.
pub fn sign_keyed_logged(artifact: &[u8], key: &KeyPair, rekor_url: &str) -> Result<Value, Error> {
    let signature = key.sign(artifact);
    let entry = rekor_entry(
        rekor_url,
        &Sha256::digest(artifact),
        &signature,
        &key.public_key_pem(),
    )?;
    Ok(json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": { "publicKey": { "hint": key.key_hint() }, "tlogEntries": [entry] },
        "messageSignature": message_signature(artifact, &signature),
    }))
}

/// How an in-toto statement is signed into a DSSE bundle.
pub enum StatementSigner<'a> {
    /// A long-lived key; logged to Rekor only when a URL is given.
    Keyed {
        /// The signing key.
        key: &'a KeyPair,
        /// The Rekor to log to, if any.
        rekor_url: Option<&'a str>,
    },
    /// An ephemeral key with a Fulcio certificate for the token's identity,
    /// always logged to Rekor (the certificate is only trusted with a log
    /// entry that proves the signature was made while it was valid).
    Keyless {
        /// The OIDC identity token.
        token: &'a str,
        /// The Fulcio to certify the key.
        fulcio_url: &'a str,
        /// The Rekor to log to.
        rekor_url: &'a str,
    },
}

/// Sign `statement` into a Sigstore bundle (v0.3) with a DSSE envelope.
pub fn sign_statement(signer: &StatementSigner<'_>, statement: &Value) -> Result<Value, Error> {
    let payload = serde_json::to_vec(statement).unwrap_or_default();
    match signer {
        StatementSigner::Keyed {
            key,
            rekor_url: None,
        } => Ok(crate::sign::keyed_dsse_bundle(key, statement)),
        StatementSigner::Keyed {
            key,
            rekor_url: Some(rekor_url),
        } => {
            let envelope = crate::dsse::sign(key, crate::dsse::INTOTO_PAYLOAD_TYPE, &payload);
            let entry = dsse_rekor_entry(rekor_url, &envelope, &key.public_key_pem())?;
            Ok(json!({
                "mediaType": BUNDLE_MEDIA_TYPE_V03,
                "verificationMaterial": { "publicKey": { "hint": key.key_hint() }, "tlogEntries": [entry] },
                "dsseEnvelope": envelope,
            }))
        }
        StatementSigner::Keyless {
            token,
            fulcio_url,
            rekor_url,
        } => {
            let key = KeyPair::generate(KeyKind::EcdsaP256);
            let leaf = fulcio_certificate(fulcio_url, token, &key)?;
            let leaf_pem =
                pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, &leaf)
                    .map_err(|e| Error::Token(e.to_string()))?;
            let envelope = crate::dsse::sign(&key, crate::dsse::INTOTO_PAYLOAD_TYPE, &payload);
            let entry = dsse_rekor_entry(rekor_url, &envelope, &leaf_pem)?;
            Ok(json!({
                "mediaType": BUNDLE_MEDIA_TYPE_V03,
                "verificationMaterial": { "certificate": { "rawBytes": B64.encode(&leaf) }, "tlogEntries": [entry] },
                "dsseEnvelope": envelope,
            }))
        }
    }
}

/// An identity token from GitHub Actions (`id-token: write`), with the
/// audience Sigstore expects; `None` outside Actions.
pub fn github_actions_token() -> Result<Option<String>, Error> {
    let (Ok(url), Ok(bearer)) = (
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        return Ok(None);
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{sep}audience=sigstore");
    check_url(&full)?;
    let mut authorization = ureq::http::HeaderValue::from_str(&format!("bearer {bearer}"))
        .map_err(|e| Error::Token(format!("ACTIONS_ID_TOKEN_REQUEST_TOKEN: {e}")))?;
    authorization.set_sensitive(true);
    // The GitHub runner sets this URL for its OIDC endpoint; check_url
    // allows only https or loopback.
    let mut response = agent()
        .get(&full)
        .header("Authorization", authorization)
        .call()
        .map_err(|e| service_err(&url, e))?;
    if !response.status().is_success() {
        return Err(service_err(&url, format!("HTTP {}", response.status())));
    }
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| service_err(&url, e))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| service_err(&url, e))?;
    value
        .get("value")
        .and_then(Value::as_str)
        .map(|s| Some(s.to_string()))
        .ok_or_else(|| service_err(&url, "response has no `value`"))
}

impl Services {
    /// Services named by flags: Fulcio, optionally a Rekor v1 log, no TSA.
    pub fn from_urls(fulcio_url: &str, rekor_url: Option<&str>) -> Services {
        Services {
            fulcio_url: fulcio_url.to_string(),
            rekor: rekor_url.map(|url| RekorLog {
                url: url.to_string(),
                major_api_version: 1,
            }),
            tsa_url: None,
        }
    }
}

/// What a signature is made with: who signs, and how they are proved.
enum Material<'a> {
    Certificate(&'a [u8]),
    Key(&'a KeyPair),
}

/// The log entry and timestamps for `signature`, as
/// `verificationMaterial` fields. `data`: what was signed (artifact or
/// PAE), for the log entry; `dsse`: the envelope, for Rekor v1's `dsse` type.
fn log_and_timestamp(
    services: &Services,
    material: &Material<'_>,
    data: &[u8],
    signature: &[u8],
    dsse: Option<&Value>,
) -> Result<serde_json::Map<String, Value>, Error> {
    let mut fields = serde_json::Map::new();
    let cert_pem;
    let verifier_pem = match material {
        Material::Certificate(der) => {
            cert_pem = pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
                .map_err(|e| Error::Token(e.to_string()))?;
            cert_pem.as_str()
        }
        Material::Key(key) => {
            cert_pem = key.public_key_pem();
            cert_pem.as_str()
        }
    };
    let mut entries = Vec::new();
    if let Some(log) = &services.rekor {
        let entry = match (log.major_api_version, dsse) {
            (1, Some(envelope)) => dsse_rekor_entry(&log.url, envelope, verifier_pem)?,
            (1, None) => rekor_entry(&log.url, &Sha256::digest(data), signature, verifier_pem)?,
            (2, _) => {
                let key_der;
                let verifier = match material {
                    Material::Certificate(der) => crate::rekor_v2::Verifier::Certificate(der),
                    Material::Key(key) if key.kind() == KeyKind::EcdsaP256 => {
                        key_der = key.public_key_der();
                        crate::rekor_v2::Verifier::PublicKey(&key_der)
                    }
                    Material::Key(key) => {
                        return Err(service_err(
                            &log.url,
                            format!(
                                "writing a {} signature to Rekor v2 is not supported (ECDSA P-256 only)",
                                key.kind().as_str()
                            ),
                        ))
                    }
                };
                crate::rekor_v2::hashedrekord_entry(
                    &log.url,
                    &Sha256::digest(data),
                    signature,
                    &verifier,
                )?
            }
            (other, _) => {
                return Err(service_err(
                    &log.url,
                    format!("Rekor API version {other} is not supported"),
                ))
            }
        };
        entries.push(entry);
    }
    let logged_time = services
        .rekor
        .as_ref()
        .is_some_and(|log| log.major_api_version == 1);
    match &services.tsa_url {
        Some(tsa) => {
            let token = crate::tsa::timestamp(tsa, signature)?;
            fields.insert(
                "timestampVerificationData".into(),
                json!({ "rfc3161Timestamps": [{ "signedTimestamp": B64.encode(token) }] }),
            );
        }
        // A certificate is only trusted for a signature made while it was
        // valid: something must say when. Rekor v2 does not.
        None if matches!(material, Material::Certificate(_)) && !logged_time => {
            return Err(Error::Token(
                "keyless signing needs a time: a Rekor v1 log or a timestamp authority (Rekor v2 records no time)".into(),
            ));
        }
        None => {}
    }
    fields.insert("tlogEntries".into(), Value::Array(entries));
    Ok(fields)
}

/// Keyless through `services`: ephemeral key, Fulcio certificate, Rekor
/// entry (v1 or v2) and, when the services name one, an RFC 3161 timestamp.
pub fn sign_keyless_via(artifact: &[u8], token: &str, services: &Services) -> Result<Value, Error> {
    let key = KeyPair::generate(KeyKind::EcdsaP256);
    let leaf = fulcio_certificate(&services.fulcio_url, token, &key)?;
    let signature = key.sign(artifact);
    let mut material = log_and_timestamp(
        services,
        &Material::Certificate(&leaf),
        artifact,
        &signature,
        None,
    )?;
    material.insert(
        "certificate".into(),
        json!({ "rawBytes": B64.encode(&leaf) }),
    );
    Ok(json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": material,
        "messageSignature": message_signature(artifact, &signature),
    }))
}

/// Keyed through `services` (no Fulcio): logged when they name a log,
/// timestamped when they name a TSA.
pub fn sign_keyed_via(artifact: &[u8], key: &KeyPair, services: &Services) -> Result<Value, Error> {
    let signature = key.sign(artifact);
    let mut material =
        log_and_timestamp(services, &Material::Key(key), artifact, &signature, None)?;
    material.insert("publicKey".into(), json!({ "hint": key.key_hint() }));
    Ok(json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": material,
        "messageSignature": message_signature(artifact, &signature),
    }))
}

/// [`sign_statement`] with the services a SigningConfig selected instead
/// of the signer's URLs (`None`: exactly [`sign_statement`]). The key or
/// token still comes from `signer`; an unlogged keyed signer stays unlogged.
pub fn sign_statement_via(
    signer: &StatementSigner<'_>,
    services: Option<&Services>,
    statement: &Value,
) -> Result<Value, Error> {
    let Some(services) = services else {
        return sign_statement(signer, statement);
    };
    let payload = serde_json::to_vec(statement).unwrap_or_default();
    let pae = crate::dsse::pae(crate::dsse::INTOTO_PAYLOAD_TYPE, &payload);
    let generated;
    let (key, leaf) = match signer {
        StatementSigner::Keyed {
            rekor_url: None, ..
        } => return sign_statement(signer, statement),
        StatementSigner::Keyed { key, .. } => (*key, None),
        StatementSigner::Keyless { token, .. } => {
            generated = KeyPair::generate(KeyKind::EcdsaP256);
            let leaf = fulcio_certificate(&services.fulcio_url, token, &generated)?;
            (&generated, Some(leaf))
        }
    };
    let envelope = crate::dsse::sign(key, crate::dsse::INTOTO_PAYLOAD_TYPE, &payload);
    let signature = envelope
        .pointer("/signatures/0/sig")
        .and_then(Value::as_str)
        .and_then(|s| B64.decode(s).ok())
        .unwrap_or_default();
    let material_of = match &leaf {
        Some(der) => Material::Certificate(der),
        None => Material::Key(key),
    };
    let mut material =
        log_and_timestamp(services, &material_of, &pae, &signature, Some(&envelope))?;
    match &leaf {
        Some(der) => material.insert("certificate".into(), json!({ "rawBytes": B64.encode(der) })),
        None => material.insert("publicKey".into(), json!({ "hint": key.key_hint() })),
    };
    Ok(json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": material,
        "dsseEnvelope": envelope,
    }))
}
