//! Signing files into Sigstore bundles (v0.3).
//!
//! Keyed: a message signature over the file with the public-key hint in
//! the verification material. Without a Rekor log the bundle has no
//! transparency-log entry, so verifiers must be told to accept that
//! (cosign's `--insecure-ignore-tlog`).

use crate::keys::KeyPair;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Media type of Sigstore bundle v0.3.
pub const BUNDLE_MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A keyed message-signature bundle for `artifact`.
pub fn keyed_bundle(key: &KeyPair, artifact: &[u8]) -> Value {
    let digest = Sha256::digest(artifact);
    let signature = key.sign(artifact);
    json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": {
            "publicKey": { "hint": key.key_hint() },
            "tlogEntries": [],
        },
        "messageSignature": {
            "messageDigest": { "algorithm": "SHA2_256", "digest": B64.encode(digest) },
            "signature": B64.encode(signature),
        },
    })
}

/// Serialise a bundle the way it is written to disk.
pub fn to_bytes(bundle: &Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(bundle).unwrap_or_default();
    out.push(b'\n');
    out
}

/// A keyed DSSE bundle (v0.3) for an in-toto statement.
pub fn keyed_dsse_bundle(key: &KeyPair, statement: &Value) -> Value {
    let payload = serde_json::to_vec(statement).unwrap_or_default();
    json!({
        "mediaType": BUNDLE_MEDIA_TYPE_V03,
        "verificationMaterial": {
            "publicKey": { "hint": key.key_hint() },
            "tlogEntries": [],
        },
        "dsseEnvelope": crate::dsse::sign(key, crate::dsse::INTOTO_PAYLOAD_TYPE, &payload),
    })
}

/// One line of an `.intoto.jsonl` file: the DSSE envelope.
pub fn intoto_jsonl_line(key: &KeyPair, statement: &Value) -> Vec<u8> {
    let payload = serde_json::to_vec(statement).unwrap_or_default();
    let mut line = serde_json::to_vec(&crate::dsse::sign(
        key,
        crate::dsse::INTOTO_PAYLOAD_TYPE,
        &payload,
    ))
    .unwrap_or_default();
    line.push(b'\n');
    line
}
