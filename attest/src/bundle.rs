//! A strict reading of Sigstore bundles, done before any cryptography.
//!
//! `sigstore-verify` reads a bundle leniently: a missing `mediaType` means
//! v0.1, a bundle holding both a `messageSignature` and a `dsseEnvelope` is
//! read as whichever comes first, and (through `serde_json`) a duplicated
//! key silently keeps its last value. Each of those lets a verifier check
//! one thing and a policy read another. This module rejects every such
//! bundle up front, so that the bytes `sigstore-verify` checks are the only
//! bytes there are:
//!
//! * the JSON is one object with no duplicate keys anywhere and nothing
//!   after it;
//! * `mediaType` is present and one of the bundle versions (0.1, 0.2, 0.3);
//! * exactly one of `messageSignature` and `dsseEnvelope`, and exactly one
//!   kind of verification material (`publicKey`, `x509CertificateChain`
//!   before v0.3, `certificate`);
//! * no field the bundle specification does not define;
//! * every binary field is valid base64;
//! * at most one transparency-log entry, with an inclusion proof and its
//!   checkpoint (any version: the version label is not signed, so a v0.1
//!   label must not excuse a missing proof) and, for v0.1, a promise too;
//!   timestamps are not repeated;
//! * a DSSE envelope carries exactly one signature.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Standard base64, with or without padding (protobuf's JSON mapping
/// accepts both).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The bundle format versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// Bundle v0.1.
    V0_1,
    /// Bundle v0.2.
    V0_2,
    /// Bundle v0.3.
    V0_3,
}

impl Version {
    /// The version a `mediaType` names; `None` for anything else.
    pub fn from_media_type(media_type: &str) -> Option<Version> {
        match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(Version::V0_1),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(Version::V0_2),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(Version::V0_3),
            _ => None,
        }
    }
}

/// What the bundle signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact's bytes (or its digest).
    MessageSignature,
    /// A DSSE envelope: the payload is what is signed, not the artifact.
    Dsse {
        /// The DSSE payload type.
        payload_type: String,
        /// The payload bytes.
        payload: Vec<u8>,
    },
}

/// Who signed, as far as the bundle says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Material {
    /// A public-key hint (keyed).
    PublicKey,
    /// A certificate chain (older keyless bundles).
    CertificateChain,
    /// A single leaf certificate (keyless, v0.3).
    Certificate,
}

/// A bundle that passed the structural checks. `text` is the bundle as
/// given, which (having no duplicate or unknown keys) means the same to
/// every JSON reader.
#[derive(Clone, Debug)]
pub struct StrictBundle {
    /// The bundle format version, from its `mediaType`.
    pub version: Version,
    /// What it signs.
    pub content: Content,
    /// Who signed, as the bundle says.
    pub material: Material,
    /// How many transparency-log entries it carries (0 or 1).
    pub tlog_entries: usize,
    /// How many RFC 3161 timestamps it carries.
    pub rfc3161_timestamps: usize,
    /// The message signature's digest (SHA2_256 only), when present.
    pub message_digest: Option<Vec<u8>>,
    /// The message signature or the single DSSE signature.
    pub signature: Vec<u8>,
    /// The bundle text as given.
    pub text: String,
}

/// Why a bundle is not well-formed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("not JSON: {0}")]
    /// Not JSON, or JSON two readers could read differently (duplicate keys, trailing data).
    Json(String),
    #[error("`{path}`: {message}")]
    /// A field that is missing, unknown or malformed.
    Field {
        /// The JSON path of the field.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    #[error("holds both a messageSignature and a dsseEnvelope (a bundle signs exactly one)")]
    /// Two contents.
    BothContents,
    #[error("holds neither a messageSignature nor a dsseEnvelope")]
    /// No content.
    NoContent,
    #[error("no mediaType (the bundle version must be stated)")]
    /// No `mediaType`.
    NoMediaType,
    #[error("unknown mediaType `{0}`")]
    /// A `mediaType` no bundle version has.
    UnknownMediaType(String),
}

fn field(path: &str, message: impl Into<String>) -> BundleError {
    BundleError::Field {
        path: path.to_string(),
        message: message.into(),
    }
}

/// A JSON value read with duplicate keys rejected at any depth.
pub struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue::deserialize(d).map(|v| v.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// JSON that is not strictly well-formed: a syntax error, a duplicate key,
/// data after the value, or bytes that are not UTF-8.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct StrictJsonError(pub String);

/// Parse JSON text with duplicate keys rejected and nothing after the value.
pub fn parse_strict_json(text: &str) -> Result<Value, StrictJsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let StrictValue(v) =
        StrictValue::deserialize(&mut de).map_err(|e| StrictJsonError(e.to_string()))?;
    de.end().map_err(|e| StrictJsonError(e.to_string()))?;
    Ok(v)
}

/// [`parse_strict_json`] over bytes (which must be UTF-8).
pub fn parse_strict_json_bytes(bytes: &[u8]) -> Result<Value, StrictJsonError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| StrictJsonError(format!("not UTF-8: {e}")))?;
    parse_strict_json(text)
}

/// The object at `path`, with only `allowed` keys and every `required` one.
fn object<'a>(
    value: &'a Value,
    path: &str,
    allowed: &[&str],
    required: &[&str],
) -> Result<&'a Map<String, Value>, BundleError> {
    let map = value
        .as_object()
        .ok_or_else(|| field(path, "expected an object"))?;
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(field(
            &format!("{path}.{unknown}"),
            "not a field of a Sigstore bundle",
        ));
    }
    if let Some(missing) = required.iter().find(|k| !map.contains_key(**k)) {
        return Err(field(&format!("{path}.{missing}"), "missing"));
    }
    Ok(map)
}

fn string<'a>(map: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, BundleError> {
    map.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| field(&format!("{path}.{key}"), "expected a string"))
}

fn bytes(map: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<u8>, BundleError> {
    let text = string(map, path, key)?;
    B64.decode(text)
        .map_err(|e| field(&format!("{path}.{key}"), format!("invalid base64: {e}")))
}

fn nonempty_bytes(map: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<u8>, BundleError> {
    let b = bytes(map, path, key)?;
    if b.is_empty() {
        return Err(field(&format!("{path}.{key}"), "empty"));
    }
    Ok(b)
}

/// A protobuf int64 in JSON: a decimal string or a number.
fn int64(map: &Map<String, Value>, path: &str, key: &str) -> Result<i64, BundleError> {
    let bad = || field(&format!("{path}.{key}"), "expected an integer");
    match map.get(key) {
        Some(Value::String(s)) => {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                return Err(bad());
            }
            s.parse::<i64>().map_err(|_| bad())
        }
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn array<'a>(
    map: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a [Value], BundleError> {
    match map.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(field(&format!("{path}.{key}"), "expected an array")),
    }
}

/// Check a bundle's structure. Nothing cryptographic happens here.
pub fn parse(text: &str) -> Result<StrictBundle, BundleError> {
    let doc = parse_strict_json(text).map_err(|e| BundleError::Json(e.0))?;
    let top = object(
        &doc,
        "bundle",
        &[
            "mediaType",
            "verificationMaterial",
            "messageSignature",
            "dsseEnvelope",
        ],
        &["verificationMaterial"],
    )?;
    let media_type = match top.get("mediaType") {
        None => return Err(BundleError::NoMediaType),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(field("bundle.mediaType", "expected a string")),
    };
    let version = Version::from_media_type(media_type)
        .ok_or_else(|| BundleError::UnknownMediaType(media_type.to_string()))?;

    // The content: exactly one kind.
    let (content, message_digest, signature) =
        match (top.get("messageSignature"), top.get("dsseEnvelope")) {
            (Some(Value::Null), _) | (_, Some(Value::Null)) => {
                return Err(field("bundle", "a content field is null"))
            }
            (Some(_), Some(_)) => return Err(BundleError::BothContents),
            (None, None) => return Err(BundleError::NoContent),
            (Some(m), None) => {
                let p = "messageSignature";
                let m = object(m, p, &["messageDigest", "signature"], &["signature"])?;
                let signature = nonempty_bytes(m, p, "signature")?;
                let digest = match m.get("messageDigest") {
                    None => None,
                    Some(d) => {
                        let p = "messageSignature.messageDigest";
                        let d = object(d, p, &["algorithm", "digest"], &["algorithm", "digest"])?;
                        let algorithm = string(d, p, "algorithm")?;
                        let digest = bytes(d, p, "digest")?;
                        let expected_len = match algorithm {
                            "SHA2_256" => 32,
                            "SHA2_384" => 48,
                            "SHA2_512" => 64,
                            other => {
                                return Err(field(
                                    &format!("{p}.algorithm"),
                                    format!("unknown hash algorithm `{other}`"),
                                ))
                            }
                        };
                        if digest.len() != expected_len {
                            return Err(field(
                                &format!("{p}.digest"),
                                format!("{} bytes, {algorithm} has {expected_len}", digest.len()),
                            ));
                        }
                        Some(digest)
                    }
                };
                (Content::MessageSignature, digest, signature)
            }
            (None, Some(e)) => {
                let p = "dsseEnvelope";
                let e = object(
                    e,
                    p,
                    &["payload", "payloadType", "signatures"],
                    &["payload", "payloadType", "signatures"],
                )?;
                let payload = bytes(e, p, "payload")?;
                let payload_type = string(e, p, "payloadType")?.to_string();
                let signatures = array(e, p, "signatures")?;
                if signatures.len() != 1 {
                    return Err(field(
                        "dsseEnvelope.signatures",
                        format!(
                            "{} signatures; a bundle's envelope carries exactly one",
                            signatures.len()
                        ),
                    ));
                }
                let p = "dsseEnvelope.signatures[0]";
                let s = object(&signatures[0], p, &["sig", "keyid"], &["sig"])?;
                if let Some(k) = s.get("keyid") {
                    if !k.is_string() {
                        return Err(field(&format!("{p}.keyid"), "expected a string"));
                    }
                }
                let signature = nonempty_bytes(s, p, "sig")?;
                (
                    Content::Dsse {
                        payload_type,
                        payload,
                    },
                    None,
                    signature,
                )
            }
        };

    // The verification material.
    let p = "verificationMaterial";
    let vm = object(
        &top["verificationMaterial"],
        p,
        &[
            "publicKey",
            "x509CertificateChain",
            "certificate",
            "tlogEntries",
            "timestampVerificationData",
        ],
        &[],
    )?;
    let kinds: Vec<&str> = ["publicKey", "x509CertificateChain", "certificate"]
        .into_iter()
        .filter(|k| vm.contains_key(*k))
        .collect();
    let material = match kinds.as_slice() {
        ["publicKey"] => {
            let p = "verificationMaterial.publicKey";
            let k = object(&vm["publicKey"], p, &["hint"], &[])?;
            if let Some(h) = k.get("hint") {
                if !h.is_string() {
                    return Err(field(&format!("{p}.hint"), "expected a string"));
                }
            }
            Material::PublicKey
        }
        ["x509CertificateChain"] => {
            if version >= Version::V0_3 {
                return Err(field(
                    "verificationMaterial.x509CertificateChain",
                    "v0.3 bundles carry a single `certificate`, not a chain",
                ));
            }
            let p = "verificationMaterial.x509CertificateChain";
            let c = object(
                &vm["x509CertificateChain"],
                p,
                &["certificates"],
                &["certificates"],
            )?;
            let certs = array(c, p, "certificates")?;
            if certs.is_empty() {
                return Err(field(&format!("{p}.certificates"), "empty"));
            }
            for (i, cert) in certs.iter().enumerate() {
                let p = format!("{p}.certificates[{i}]");
                let c = object(cert, &p, &["rawBytes"], &["rawBytes"])?;
                nonempty_bytes(c, &p, "rawBytes")?;
            }
            Material::CertificateChain
        }
        ["certificate"] => {
            let p = "verificationMaterial.certificate";
            let c = object(&vm["certificate"], p, &["rawBytes"], &["rawBytes"])?;
            nonempty_bytes(c, p, "rawBytes")?;
            Material::Certificate
        }
        [] => {
            return Err(field(
                p,
                "no publicKey, x509CertificateChain or certificate",
            ))
        }
        _ => {
            return Err(field(
                p,
                format!("holds {} (exactly one is allowed)", kinds.join(" and ")),
            ))
        }
    };

    // Transparency-log entries.
    let entries = array(vm, p, "tlogEntries")?;
    if entries.len() > 1 {
        return Err(field(
            "verificationMaterial.tlogEntries",
            format!(
                "{} entries; Tollgate accepts at most one per bundle",
                entries.len()
            ),
        ));
    }
    for (i, entry) in entries.iter().enumerate() {
        let p = format!("verificationMaterial.tlogEntries[{i}]");
        let e = object(
            entry,
            &p,
            &[
                "logIndex",
                "logId",
                "kindVersion",
                "integratedTime",
                "inclusionPromise",
                "inclusionProof",
                "canonicalizedBody",
            ],
            &["logId", "kindVersion", "canonicalizedBody"],
        )?;
        if e.contains_key("logIndex") {
            int64(e, &p, "logIndex")?;
        }
        if e.contains_key("integratedTime") {
            int64(e, &p, "integratedTime")?;
        }
        let id = object(&e["logId"], &format!("{p}.logId"), &["keyId"], &["keyId"])?;
        nonempty_bytes(id, &format!("{p}.logId"), "keyId")?;
        let kv = object(
            &e["kindVersion"],
            &format!("{p}.kindVersion"),
            &["kind", "version"],
            &["kind", "version"],
        )?;
        string(kv, &format!("{p}.kindVersion"), "kind")?;
        string(kv, &format!("{p}.kindVersion"), "version")?;
        nonempty_bytes(e, &p, "canonicalizedBody")?;
        match e.get("inclusionPromise") {
            Some(promise) => {
                let pp = format!("{p}.inclusionPromise");
                let promise = object(
                    promise,
                    &pp,
                    &["signedEntryTimestamp"],
                    &["signedEntryTimestamp"],
                )?;
                nonempty_bytes(promise, &pp, "signedEntryTimestamp")?;
            }
            None if version == Version::V0_1 => {
                return Err(field(
                    &format!("{p}.inclusionPromise"),
                    "missing (v0.1 bundles must carry the log's promise)",
                ))
            }
            None => {}
        }
        match e.get("inclusionProof") {
            Some(proof) => {
                let pp = format!("{p}.inclusionProof");
                let proof = object(
                    proof,
                    &pp,
                    &["logIndex", "rootHash", "treeSize", "hashes", "checkpoint"],
                    &["logIndex", "rootHash", "treeSize", "checkpoint"],
                )?;
                int64(proof, &pp, "logIndex")?;
                int64(proof, &pp, "treeSize")?;
                if bytes(proof, &pp, "rootHash")?.len() != 32 {
                    return Err(field(&format!("{pp}.rootHash"), "not a SHA-256 hash"));
                }
                for (j, h) in array(proof, &pp, "hashes")?.iter().enumerate() {
                    let ok = h
                        .as_str()
                        .and_then(|s| B64.decode(s).ok())
                        .is_some_and(|b| b.len() == 32);
                    if !ok {
                        return Err(field(&format!("{pp}.hashes[{j}]"), "not a SHA-256 hash"));
                    }
                }
                let cp = format!("{pp}.checkpoint");
                let checkpoint = object(&proof["checkpoint"], &cp, &["envelope"], &["envelope"])?;
                if string(checkpoint, &cp, "envelope")?.is_empty() {
                    return Err(field(&format!("{cp}.envelope"), "empty"));
                }
            }
            // Every version: a v0.1 label is not signed, so accepting a
            // promise alone would let a relabelled bundle shed its proof.
            None => {
                return Err(field(
                    &format!("{p}.inclusionProof"),
                    "missing (a log entry must carry an inclusion proof)",
                ))
            }
        }
    }

    // RFC 3161 timestamps.
    let mut timestamps = 0;
    if let Some(tvd) = vm.get("timestampVerificationData") {
        let p = "verificationMaterial.timestampVerificationData";
        let tvd = object(tvd, p, &["rfc3161Timestamps"], &[])?;
        let mut seen = BTreeSet::new();
        for (i, ts) in array(tvd, p, "rfc3161Timestamps")?.iter().enumerate() {
            let p = format!("{p}.rfc3161Timestamps[{i}]");
            let t = object(ts, &p, &["signedTimestamp"], &["signedTimestamp"])?;
            let token = nonempty_bytes(t, &p, "signedTimestamp")?;
            if !seen.insert(token) {
                return Err(field(&p, "the same timestamp twice"));
            }
            timestamps += 1;
        }
    }

    Ok(StrictBundle {
        version,
        content,
        material,
        tlog_entries: entries.len(),
        rfc3161_timestamps: timestamps,
        message_digest,
        signature,
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYED: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"abc"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="},"signature":"MEUCIQ=="}}"#;

    #[test]
    fn accepts_a_well_formed_keyed_bundle() {
        let b = parse(KEYED).unwrap();
        assert_eq!(b.version, Version::V0_3);
        assert_eq!(b.content, Content::MessageSignature);
        assert_eq!(b.material, Material::PublicKey);
    }

    #[test]
    fn rejects_ambiguous_and_incomplete_bundles() {
        let both = KEYED.replace(
            r#""messageSignature""#,
            r#""dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUCIQ=="}]},"messageSignature""#,
        );
        assert_eq!(parse(&both).unwrap_err(), BundleError::BothContents);
        let no_media = KEYED.replace(
            r#""mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","#,
            "",
        );
        assert_eq!(parse(&no_media).unwrap_err(), BundleError::NoMediaType);
        let unknown_media = KEYED.replace("v0.3+json", "v0.9+json");
        assert!(matches!(
            parse(&unknown_media),
            Err(BundleError::UnknownMediaType(_))
        ));
        let dup = KEYED.replace(r#"{"hint":"abc"}"#, r#"{"hint":"abc","hint":"def"}"#);
        assert!(matches!(parse(&dup), Err(BundleError::Json(m)) if m.contains("duplicate")));
        let trailing = format!("{KEYED} {{}}");
        assert!(matches!(parse(&trailing), Err(BundleError::Json(_))));
        let extra = KEYED.replace(r#""publicKey""#, r#""x":1,"publicKey""#);
        assert!(matches!(parse(&extra), Err(BundleError::Field { .. })));
        let bad_b64 = KEYED.replace("MEUCIQ==", "MEUC*Q==");
        assert!(matches!(parse(&bad_b64), Err(BundleError::Field { .. })));
    }

    #[test]
    fn dsse_envelopes_carry_one_signature() {
        let two = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUCIQ=="},{"sig":"MEUCIQ=="}]}}"#;
        assert!(
            matches!(parse(two), Err(BundleError::Field { path, .. }) if path == "dsseEnvelope.signatures")
        );
        let one = two.replace(r#",{"sig":"MEUCIQ=="}"#, "");
        let b = parse(&one).unwrap();
        assert_eq!(
            b.content,
            Content::Dsse {
                payload_type: "application/vnd.in-toto+json".into(),
                payload: b"{}".to_vec()
            }
        );
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert!(parse_strict_json(r#"{"a":[{"b":{"c":1,"c":2}}]}"#).is_err());
        assert!(parse_strict_json(r#"{"a":[{"b":{"c":1,"d":2}}]}"#).is_ok());
    }
}
