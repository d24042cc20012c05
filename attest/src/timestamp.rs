//! A strict reading of RFC 3161 timestamps, done before any cryptography.
//!
//! A bundle's `rfc3161Timestamps[].signedTimestamp` is a DER
//! `TimeStampResp`. The TSA's signature covers only the `TSTInfo` and the
//! signed attributes; `sigstore-verify` checks those, but reads the rest of
//! the response leniently: the `SignedData` digestAlgorithms set, the
//! encapsulated content-type tag, the embedded certificates and the
//! signer's signatureAlgorithm can all be changed and the token still
//! verifies. Each of those lets one reader see a token another does not.
//! This module refuses every such response up front, so that every byte of
//! a timestamp is either signed or fixed by the rules below:
//!
//! * the response is DER and re-encodes to exactly its own bytes (no
//!   trailing data, no other length or `SET OF` order), status granted (0)
//!   with no statusString or failInfo, and a token;
//! * the token is `id-signedData` (version 1 or 3: GitHub's TSA writes 1)
//!   whose eContentType is `id-ct-TSTInfo` in an OCTET STRING, with no
//!   CRLs and exactly one signerInfo;
//! * digestAlgorithms holds exactly the signer's digest algorithm, one of
//!   SHA-256/384/512, parameters absent or NULL;
//! * the signerInfo's version matches its sid form, its signed attributes
//!   hold one content-type (`id-ct-TSTInfo`) and one message-digest
//!   attribute and no type twice, and it has no unsigned attributes;
//! * against one timestamp authority of the trusted root: the sid names
//!   the authority's leaf, every embedded certificate is byte for byte one
//!   of the authority's chain (the leaf among them), and the
//!   signatureAlgorithm fits the leaf's key and the digest
//!   (`ecdsa-with-SHA*` or `id-ecPublicKey` for EC keys;
//!   `sha*WithRSAEncryption`, `rsaEncryption` or RSASSA-PSS for RSA; Ed25519).
//!
//! Whether the signature verifies, the chain is valid and the time falls
//! in the authority's window is `sigstore-verify`'s question, asked next.

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{Any, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use sigstore_verify::types::TsaAuthority;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// RFC 3161 §2.4.2, with statusString and failInfo read as one optional
/// field: a granted response carries neither.
#[derive(Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    time_stamp_token: Option<ContentInfo>,
}

#[derive(Sequence)]
struct PkiStatusInfo {
    status: u8,
    more: Option<Any>,
}

/// Why a timestamp is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimestampError {
    #[error("not a DER TimeStampResp: {0}")]
    /// Not DER, or not a TimeStampResp.
    Der(#[from] der::Error),
    #[error("{0} is not in canonical DER (it re-encodes to other bytes)")]
    /// DER that is not canonical.
    NotCanonical(&'static str),
    #[error("PKIStatus {0} (only 0, granted, is accepted)")]
    /// Not granted.
    NotGranted(u8),
    #[error("{0}")]
    /// A field that is missing or not allowed.
    Malformed(&'static str),
    #[error("no timestamp authority of the trusted root matches it: {0}")]
    /// No trusted TSA matches.
    NoAuthority(&'static str),
}

use TimestampError::Malformed;

/// The hash a digest OID names, if it is SHA-256, SHA-384 or SHA-512.
fn digest_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    match *oid {
        SHA256 => Some("SHA-256"),
        SHA384 => Some("SHA-384"),
        SHA512 => Some("SHA-512"),
        _ => None,
    }
}

fn absent_or_null(alg: &AlgorithmIdentifierOwned) -> bool {
    alg.parameters
        .as_ref()
        .is_none_or(|p| p.tag() == Tag::Null && p.value().is_empty())
}

/// Check a `TimeStampResp` (`der`) against the trusted root's timestamp
/// authorities, before its signature is.
pub fn check(der: &[u8], authorities: &[TsaAuthority]) -> Result<(), TimestampError> {
    let resp = TimeStampResp::from_der(der)?;
    if resp.to_der()? != der {
        return Err(TimestampError::NotCanonical("the TimeStampResp"));
    }
    if resp.status.status != 0 {
        return Err(TimestampError::NotGranted(resp.status.status));
    }
    if resp.status.more.is_some() {
        return Err(Malformed(
            "a granted response carries a statusString or failInfo",
        ));
    }
    let token = resp
        .time_stamp_token
        .ok_or(Malformed("the response carries no timeStampToken"))?;
    if token.content_type != ID_SIGNED_DATA {
        return Err(Malformed("the token's content type is not id-signedData"));
    }
    let signed_data_der = token.content.to_der()?;
    let sd = SignedData::from_der(&signed_data_der)?;
    if sd.to_der()? != signed_data_der {
        return Err(TimestampError::NotCanonical("the SignedData"));
    }
    if !matches!(sd.version, CmsVersion::V1 | CmsVersion::V3) {
        return Err(Malformed("the SignedData version is not 1 or 3"));
    }
    let encap = &sd.encap_content_info;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(Malformed("the eContentType is not id-ct-TSTInfo"));
    }
    let content = encap
        .econtent
        .as_ref()
        .ok_or(Malformed("the token has no TSTInfo"))?;
    if content.tag() != Tag::OctetString {
        return Err(Malformed("the eContent is not an OCTET STRING"));
    }
    if sd.crls.is_some() {
        return Err(Malformed("the token carries CRLs"));
    }
    let [signer] = sd.signer_infos.0.as_slice() else {
        return Err(Malformed("the token has other than one signerInfo"));
    };
    let digest = &signer.digest_alg;
    if digest_name(&digest.oid).is_none() || !absent_or_null(digest) {
        return Err(Malformed(
            "the signer's digest algorithm is not SHA-256, SHA-384 or SHA-512",
        ));
    }
    match sd.digest_algorithms.as_slice() {
        [only] if only.oid == digest.oid && absent_or_null(only) => {}
        _ => {
            return Err(Malformed(
                "digestAlgorithms is not exactly the signer's digest algorithm",
            ))
        }
    }
    let version_fits = match signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => signer.version == CmsVersion::V1,
        SignerIdentifier::SubjectKeyIdentifier(_) => signer.version == CmsVersion::V3,
    };
    if !version_fits {
        return Err(Malformed("the signerInfo version does not fit its sid"));
    }
    if signer.unsigned_attrs.is_some() {
        return Err(Malformed("the signerInfo carries unsigned attributes"));
    }
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or(Malformed("the signerInfo has no signed attributes"))?;
    let mut types: Vec<&ObjectIdentifier> = attrs.iter().map(|a| &a.oid).collect();
    types.sort();
    if types.windows(2).any(|w| w[0] == w[1]) {
        return Err(Malformed("a signed attribute type appears twice"));
    }
    let content_type_ok = attrs.iter().any(|a| {
        a.oid == ID_CONTENT_TYPE
            && matches!(a.values.as_slice(), [v] if v.decode_as::<ObjectIdentifier>() == Ok(ID_CT_TST_INFO))
    });
    if !content_type_ok {
        return Err(Malformed(
            "the signed content-type attribute is not one id-ct-TSTInfo",
        ));
    }
    let digest_ok = attrs.iter().any(|a| {
        a.oid == ID_MESSAGE_DIGEST
            && matches!(a.values.as_slice(), [v] if v.decode_as::<OctetString>().is_ok())
    });
    if !digest_ok {
        return Err(Malformed(
            "the signed message-digest attribute is not one OCTET STRING",
        ));
    }
    let embedded = match &sd.certificates {
        None => Vec::new(),
        Some(set) => set
            .0
            .iter()
            .map(|c| match c {
                CertificateChoices::Certificate(cert) => cert.to_der().map_err(Into::into),
                CertificateChoices::Other(_) => {
                    Err(Malformed("an embedded certificate is not X.509"))
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut last = TimestampError::NoAuthority("the trusted root lists none");
    for authority in authorities {
        match check_authority(signer, &embedded, authority) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The checks that depend on who signed: the sid, the embedded
/// certificates and the signature algorithm, against one authority.
fn check_authority(
    signer: &cms::signed_data::SignerInfo,
    embedded: &[Vec<u8>],
    authority: &TsaAuthority,
) -> Result<(), TimestampError> {
    let no = TimestampError::NoAuthority;
    let leaf_der = authority.leaf.as_bytes();
    let leaf = Certificate::from_der(leaf_der)
        .map_err(|_| no("a trusted TSA leaf certificate cannot be read"))?;
    let tbs = &leaf.tbs_certificate;
    let sid_names_leaf = match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == tbs.issuer && ias.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => tbs.extensions.iter().flatten().any(|ext| {
            ext.extn_id == SUBJECT_KEY_ID
                && OctetString::from_der(ext.extn_value.as_bytes()).is_ok_and(|v| v == ski.0)
        }),
    };
    if !sid_names_leaf {
        return Err(no("the signer's sid does not name the trusted TSA leaf"));
    }
    if !embedded.is_empty() {
        let chain: Vec<&[u8]> = std::iter::once(leaf_der)
            .chain(authority.intermediates.iter().map(|c| c.as_bytes()))
            .chain(std::iter::once(authority.root.as_bytes()))
            .collect();
        if !embedded.iter().all(|c| chain.contains(&c.as_slice())) {
            return Err(no(
                "an embedded certificate is not in the trusted TSA chain",
            ));
        }
        if !embedded.iter().any(|c| c.as_slice() == leaf_der) {
            return Err(no("the embedded certificates lack the trusted TSA leaf"));
        }
    }
    let alg = &signer.signature_algorithm;
    let digest = &signer.digest_alg.oid;
    let fits = match tbs.subject_public_key_info.algorithm.oid {
        EC_PUBLIC_KEY => {
            alg.parameters.is_none()
                && match alg.oid {
                    EC_PUBLIC_KEY => true,
                    ECDSA_SHA256 => *digest == SHA256,
                    ECDSA_SHA384 => *digest == SHA384,
                    ECDSA_SHA512 => *digest == SHA512,
                    _ => false,
                }
        }
        RSA_ENCRYPTION => match alg.oid {
            RSA_ENCRYPTION => absent_or_null(alg),
            RSA_SHA256 => absent_or_null(alg) && *digest == SHA256,
            RSA_SHA384 => absent_or_null(alg) && *digest == SHA384,
            RSA_SHA512 => absent_or_null(alg) && *digest == SHA512,
            RSA_PSS => alg
                .parameters
                .as_ref()
                .is_some_and(|p| p.tag() == Tag::Sequence),
            _ => false,
        },
        ED25519 => alg.oid == ED25519 && alg.parameters.is_none(),
        _ => false,
    };
    if !fits {
        return Err(no(
            "the signatureAlgorithm does not fit the TSA key and the digest",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use sigstore_verify::trust_root::TrustedRoot;
    use std::path::PathBuf;

    fn case(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/sigstore/conformance/bundle-verify")
            .join(name)
    }

    /// The conformance case's timestamp and its trust root's authorities.
    fn load(name: &str) -> (Vec<u8>, Vec<TsaAuthority>) {
        let dir = case(name);
        let bundle: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("bundle.sigstore.json")).unwrap())
                .unwrap();
        let b64 = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            [0]["signedTimestamp"]
            .as_str()
            .unwrap();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let root = std::fs::read_to_string(dir.join("trusted_root.json")).unwrap();
        let root = TrustedRoot::from_json(&root).unwrap();
        (der, root.tsa_authorities())
    }

    /// `der` with the first occurrence of `from` replaced by `to` (same
    /// length).
    fn replace(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = der.windows(from.len()).position(|w| w == from).unwrap();
        let mut out = der.to_vec();
        out[at..at + from.len()].copy_from_slice(to);
        out
    }

    #[test]
    fn a_real_timestamp_with_its_tsa_certificate_passes() {
        let (der, authorities) = load("rekor2-timestamp-with-embedded-cert");
        assert_eq!(check(&der, &authorities), Ok(()));
        let (der, authorities) = load("rekor2-timestamp-without-embedded-cert");
        assert_eq!(check(&der, &authorities), Ok(()));
    }

    #[test]
    fn unsigned_parts_are_refused() {
        let (der, authorities) = load("rekor2-timestamp-with-embedded-cert");
        let sha256 = SHA256.as_bytes();
        let mut sha512 = sha256.to_vec();
        *sha512.last_mut().unwrap() = 3;
        // digestAlgorithms is the first SHA-256 OID (the signer's comes later).
        assert!(matches!(
            check(&replace(&der, sha256, &sha512), &authorities),
            Err(Malformed(m)) if m.contains("digestAlgorithms")
        ));
        let tst = ID_CT_TST_INFO.as_bytes();
        let mut other = tst.to_vec();
        *other.last_mut().unwrap() = 5;
        assert!(matches!(
            check(&replace(&der, tst, &other), &authorities),
            Err(Malformed(m)) if m.contains("eContentType")
        ));
        let ecdsa = ECDSA_SHA256.as_bytes();
        let mut ecdsa384 = ecdsa.to_vec();
        *ecdsa384.last_mut().unwrap() = 3;
        // The certificate's own signatureAlgorithm comes first: replace the
        // last occurrence, the signerInfo's.
        let at = der.windows(ecdsa.len()).rposition(|w| w == ecdsa).unwrap();
        let mut changed = der.clone();
        changed[at..at + ecdsa.len()].copy_from_slice(&ecdsa384);
        assert!(matches!(
            check(&changed, &authorities),
            Err(TimestampError::NoAuthority(m)) if m.contains("signatureAlgorithm")
        ));
        // Trailing bytes, and a long-form length where a short one fits.
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(matches!(
            check(&trailing, &authorities),
            Err(TimestampError::Der(_))
        ));
        assert_eq!(
            check(&[0x30, 0x81, 0x03, 0x30, 0x01, 0x00], &authorities).ok(),
            None
        );
    }

    #[test]
    fn a_certificate_the_trusted_root_does_not_list_is_refused() {
        // The case's token embeds a chain its root does not list.
        let (der, authorities) = load("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail");
        assert!(check(&der, &authorities).is_err());
        // The good token checked against the public-good root's TSA.
        let (good, _) = load("rekor2-timestamp-with-embedded-cert");
        let public_good =
            std::fs::read_to_string(case("").join("../../trusted_root.public-good.json")).unwrap();
        let public_good = TrustedRoot::from_json(&public_good).unwrap();
        assert!(matches!(
            check(&good, &public_good.tsa_authorities()),
            Err(TimestampError::NoAuthority(_))
        ));
        assert!(matches!(
            check(&good, &[]),
            Err(TimestampError::NoAuthority(_))
        ));
    }
}
