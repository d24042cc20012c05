//! Writing to a Rekor v2 log (`POST /api/v2/log/entries`).
//!
//! Rekor v2 is backed by tiles: an accepted entry comes back as a
//! `TransparencyLogEntry` with an inclusion proof and a signed checkpoint,
//! and no SET and no integrated time (time comes from a timestamp
//! authority instead). Its one entry type is `hashedrekord` v0.0.2; a DSSE
//! envelope is logged as a `hashedrekord` over the SHA-256 of its PAE with
//! the envelope's signature (rekor-v2-spec §6.1.4, as sigstore-python 4
//! and the Sigstore verifiers expect).
//!
//! The reply is checked before it goes into a bundle: the right kind and
//! version, a canonical body recording exactly the digest, signature and
//! verifier that were sent, and an RFC 6962 inclusion proof that leads
//! from that body to the checkpoint's root. The checkpoint's signature is
//! the verifier's business (it needs the trusted root).

use crate::Error;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Who signed: a Fulcio certificate or a public key (both DER).
pub enum Verifier<'a> {
    /// A keyless entry: the signing certificate (DER).
    Certificate(&'a [u8]),
    /// A keyed entry: the public key (SPKI DER).
    PublicKey(&'a [u8]),
}

/// The protobuf-specs `PublicKeyDetails` of a signature Rekor v2 accepts
/// from this client.
pub const KEY_DETAILS_P256: &str = "PKIX_ECDSA_P256_SHA_256";

fn err(url: &str, message: impl std::fmt::Display) -> Error {
    Error::Service {
        url: url.to_string(),
        message: format!("Rekor v2: {message}"),
    }
}

impl Verifier<'_> {
    fn to_json(&self) -> Value {
        match self {
            Verifier::Certificate(der) => json!({
                "x509Certificate": { "rawBytes": B64.encode(der) },
                "keyDetails": KEY_DETAILS_P256,
            }),
            Verifier::PublicKey(der) => json!({
                "publicKey": { "rawBytes": B64.encode(der) },
                "keyDetails": KEY_DETAILS_P256,
            }),
        }
    }
}

/// Log the signature of an artifact whose SHA-256 is `digest`; returns the
/// bundle's `tlogEntries[0]`.
pub fn hashedrekord_entry(
    rekor_url: &str,
    digest: &[u8],
    signature: &[u8],
    verifier: &Verifier<'_>,
) -> Result<Value, Error> {
    let url = format!("{}/api/v2/log/entries", rekor_url.trim_end_matches('/'));
    let request = json!({
        "hashedRekordRequestV002": {
            "digest": B64.encode(digest),
            "signature": { "content": B64.encode(signature), "verifier": verifier.to_json() },
        }
    });
    let response = crate::keyless::post_json(&url, &request)?;
    entry_from_response(&url, &response, digest, signature, verifier)
}

/// Log a DSSE envelope signature: a `hashedrekord` over SHA-256(PAE).
pub fn dsse_entry(
    rekor_url: &str,
    payload_type: &str,
    payload: &[u8],
    signature: &[u8],
    verifier: &Verifier<'_>,
) -> Result<Value, Error> {
    let pae = crate::dsse::pae(payload_type, payload);
    hashedrekord_entry(rekor_url, &Sha256::digest(&pae), signature, verifier)
}

/// The bundle's `TransparencyLogEntry`, after checking the reply.
fn entry_from_response(
    url: &str,
    response: &Value,
    digest: &[u8],
    signature: &[u8],
    verifier: &Verifier<'_>,
) -> Result<Value, Error> {
    let field = |p: &str| {
        response
            .pointer(p)
            .ok_or_else(|| err(url, format!("reply has no {p}")))
    };
    let string = |p: &str| {
        field(p)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| err(url, format!("{p} is not a string")))
    };
    let number = |p: &str| -> Result<u64, Error> {
        let v = field(p)?;
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_u64())
            .ok_or_else(|| err(url, format!("{p} is not a number")))
    };
    let bytes = |p: &str| -> Result<Vec<u8>, Error> {
        B64.decode(string(p)?)
            .map_err(|e| err(url, format!("{p}: {e}")))
    };
    if string("/kindVersion/kind")? != "hashedrekord" || string("/kindVersion/version")? != "0.0.2"
    {
        return Err(err(url, "the entry is not a hashedrekord v0.0.2"));
    }
    let body = bytes("/canonicalizedBody")?;
    let recorded: Value = serde_json::from_slice(&body)
        .map_err(|e| err(url, format!("canonicalizedBody is not JSON: {e}")))?;
    let expected = json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": { "hashedRekordV002": {
            "data": { "algorithm": "SHA2_256", "digest": B64.encode(digest) },
            "signature": { "content": B64.encode(signature), "verifier": verifier.to_json() },
        }},
    });
    if recorded != expected {
        return Err(err(
            url,
            "the logged body is not the digest, signature and verifier that were sent",
        ));
    }
    let index = number("/logIndex")?;
    let proof_index = number("/inclusionProof/logIndex")?;
    let tree_size = number("/inclusionProof/treeSize")?;
    let checkpoint = string("/inclusionProof/checkpoint/envelope")?;
    let hashes = field("/inclusionProof/hashes")?
        .as_array()
        .ok_or_else(|| err(url, "inclusionProof.hashes is not a list"))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(|s| B64.decode(s).ok())
                .filter(|b| b.len() == 32)
                .ok_or_else(|| err(url, "inclusionProof.hashes: not base64 SHA-256 hashes"))
        })
        .collect::<Result<Vec<Vec<u8>>, Error>>()?;
    let root = checkpoint_root(&checkpoint, tree_size).ok_or_else(|| {
        err(
            url,
            "the checkpoint does not name this tree size and a root hash",
        )
    })?;
    if index != proof_index || !inclusion_ok(&body, index, tree_size, &hashes, &root) {
        return Err(err(
            url,
            "the inclusion proof does not lead from the entry to the checkpoint's root",
        ));
    }
    Ok(json!({
        "logIndex": index.to_string(),
        "logId": { "keyId": string("/logId/keyId")? },
        "kindVersion": { "kind": "hashedrekord", "version": "0.0.2" },
        "inclusionProof": {
            "logIndex": index.to_string(),
            "rootHash": B64.encode(&root),
            "treeSize": tree_size.to_string(),
            "hashes": hashes.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            "checkpoint": { "envelope": checkpoint },
        },
        "canonicalizedBody": B64.encode(&body),
    }))
}

/// The root hash of a C2SP checkpoint of `tree_size` entries.
fn checkpoint_root(note: &str, tree_size: u64) -> Option<Vec<u8>> {
    let mut lines = note.lines();
    let _origin = lines.next()?;
    if lines.next()?.parse::<u64>().ok()? != tree_size {
        return None;
    }
    B64.decode(lines.next()?).ok().filter(|r| r.len() == 32)
}

fn hash_children(left: &[u8], right: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().to_vec()
}

/// RFC 9162 §2.1.3.2: verify an inclusion proof for leaf `body` at `index`.
fn inclusion_ok(body: &[u8], index: u64, size: u64, proof: &[Vec<u8>], root: &[u8]) -> bool {
    if index >= size {
        return false;
    }
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    let mut r = h.finalize().to_vec();
    let (mut f_n, mut s_n) = (index, size - 1);
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = hash_children(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = hash_children(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == root
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn leaf(b: &[u8]) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(b);
        h.finalize().to_vec()
    }

    #[test]
    fn inclusion_proofs_in_a_five_leaf_tree() {
        let leaves: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i]).collect();
        let l: Vec<Vec<u8>> = leaves.iter().map(|b| leaf(b)).collect();
        let h01 = hash_children(&l[0], &l[1]);
        let h23 = hash_children(&l[2], &l[3]);
        let h0123 = hash_children(&h01, &h23);
        let root = hash_children(&h0123, &l[4]);
        assert!(inclusion_ok(
            &leaves[4],
            4,
            5,
            std::slice::from_ref(&h0123),
            &root
        ));
        assert!(inclusion_ok(
            &leaves[2],
            2,
            5,
            &[l[3].clone(), h01.clone(), l[4].clone()],
            &root
        ));
        assert!(!inclusion_ok(
            &leaves[2],
            3,
            5,
            &[l[3].clone(), h01.clone(), l[4].clone()],
            &root
        ));
        assert!(!inclusion_ok(
            &leaves[4],
            4,
            5,
            &[h0123.clone(), l[0].clone()],
            &root
        ));
        assert!(!inclusion_ok(&leaves[4], 5, 5, &[h0123], &root));
        assert!(inclusion_ok(&leaves[0], 0, 1, &[], &l[0]));
    }

    #[test]
    fn checkpoint_root_must_match_the_tree_size() {
        let root = B64.encode([7u8; 32]);
        let note = format!("log.example\n5\n{root}\n\n— log.example AAAA\n");
        assert_eq!(checkpoint_root(&note, 5), Some(vec![7u8; 32]));
        assert_eq!(checkpoint_root(&note, 6), None);
    }
}
