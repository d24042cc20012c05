//! DSSE envelopes (Dead Simple Signing Envelope): the signature covers the
//! pre-authentication encoding `PAE(type, body) = "DSSEv1" SP LEN(type) SP
//! type SP LEN(body) SP body`, so the payload type cannot be swapped.
//! ECDSA signatures are accepted in DER and raw `r || s` form on
//! verification (both occur in real attestations).

use crate::keys::{verify_signature, KeyPair};
use crate::Error;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};

/// The DSSE payload type of in-toto statements.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// DSSE's pre-authentication encoding of a payload: what a DSSE signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Sign `payload` into a DSSE envelope (JSON with `payload`, `payloadType`, `signatures`).
pub fn sign(key: &KeyPair, payload_type: &str, payload: &[u8]) -> Value {
    let signature = key.sign(&pae(payload_type, payload));
    json!({
        "payload": B64.encode(payload),
        "payloadType": payload_type,
        "signatures": [{ "keyid": key.key_hint(), "sig": B64.encode(signature) }],
    })
}

/// Verify an envelope with a public key; returns the payload. At least one
/// signature must verify over the PAE of the envelope's own type and body.
pub fn verify(envelope: &Value, public_key_pem: &str) -> Result<(String, Vec<u8>), Error> {
    let bad = |m: &str| Error::Verification(format!("DSSE envelope: {m}"));
    let payload_type = envelope["payloadType"]
        .as_str()
        .ok_or_else(|| bad("no payloadType"))?;
    let payload = B64
        .decode(
            envelope["payload"]
                .as_str()
                .ok_or_else(|| bad("no payload"))?,
        )
        .map_err(|e| bad(&format!("payload: {e}")))?;
    let signatures = envelope["signatures"]
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no signatures"))?;
    let message = pae(payload_type, &payload);
    let verified = signatures.iter().any(|s| {
        s["sig"]
            .as_str()
            .and_then(|sig| B64.decode(sig).ok())
            .is_some_and(|sig| verify_signature(public_key_pem, &message, &sig).is_ok())
    });
    if !verified {
        return Err(bad("no signature verifies with the given key"));
    }
    Ok((payload_type.to_string(), payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyKind;

    #[test]
    fn pae_matches_the_specification_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = KeyPair::generate(KeyKind::EcdsaP256);
        let env = sign(&key, INTOTO_PAYLOAD_TYPE, b"{\"a\":1}");
        let (ty, body) = verify(&env, &key.public_key_pem()).unwrap();
        assert_eq!(
            (ty.as_str(), body.as_slice()),
            (INTOTO_PAYLOAD_TYPE, b"{\"a\":1}".as_slice())
        );

        let mut swapped_type = env.clone();
        swapped_type["payloadType"] = json!("application/json");
        assert!(
            verify(&swapped_type, &key.public_key_pem()).is_err(),
            "payloadType is covered by the signature"
        );
        let mut changed = env.clone();
        changed["payload"] = json!(B64.encode(b"{\"a\":2}"));
        assert!(verify(&changed, &key.public_key_pem()).is_err());
        let other = KeyPair::generate(KeyKind::EcdsaP256);
        assert!(verify(&env, &other.public_key_pem()).is_err());
    }

    #[test]
    fn accepts_raw_r_s_ecdsa_signatures() {
        use p256::ecdsa::signature::Signer;
        let key = KeyPair::generate(KeyKind::EcdsaP256);
        let signing = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let _ = key;
        let pem = {
            use pkcs8::EncodePublicKey;
            signing
                .verifying_key()
                .to_public_key_pem(pkcs8::LineEnding::LF)
                .unwrap()
        };
        let payload = b"{}";
        let sig: p256::ecdsa::Signature = signing.sign(&pae(INTOTO_PAYLOAD_TYPE, payload));
        let env = json!({"payload": B64.encode(payload), "payloadType": INTOTO_PAYLOAD_TYPE, "signatures": [{"keyid": "", "sig": B64.encode(sig.to_bytes())}]});
        assert!(verify(&env, &pem).is_ok(), "64-byte r||s signature");
    }
}
