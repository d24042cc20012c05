//! RFC 3161 timestamps for signatures (Sigstore's `timestampVerificationData`).
//!
//! The request (`TimeStampReq`, DER, `application/timestamp-query`) asks
//! for a SHA-256 imprint of the signature bytes with a random nonce and
//! the signer's certificate in the reply. The reply is read with the `der`
//! and `cms` crates and checked before it goes into a bundle: status
//! granted, a CMS `SignedData` whose `TSTInfo` carries the imprint and
//! nonce that were asked for. Whether the TSA's signature and chain are
//! trusted is the verifier's question (against the trusted root's
//! `timestampAuthorities`), not the signer's.

use crate::Error;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{AnyRef, Int, Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, Tagged};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// The largest reply read from a TSA.
const MAX_RESPONSE: u64 = 1 << 20;

#[derive(Sequence)]
struct AlgorithmIdentifier {
    algorithm: ObjectIdentifier,
    parameters: Option<Null>,
}

#[derive(Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifier,
    hashed_message: OctetString,
}

/// RFC 3161 §2.4.1 (no policy, no extensions).
#[derive(Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    nonce: Option<Int>,
    cert_req: bool,
}

fn err(url: &str, message: impl std::fmt::Display) -> Error {
    Error::Service {
        url: url.to_string(),
        message: format!("timestamp authority: {message}"),
    }
}

/// The DER `TimeStampReq` for `signature`, with its nonce.
fn request(signature: &[u8]) -> Result<(Vec<u8>, Vec<u8>), der::Error> {
    let mut nonce = [0u8; 16];
    OsRng.fill_bytes(&mut nonce);
    nonce[0] &= 0x7f; // positive
    nonce[0] |= 0x01; // and minimally encoded at full length
    let req = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                algorithm: SHA256,
                parameters: Some(Null),
            },
            hashed_message: OctetString::new(Sha256::digest(signature).to_vec())?,
        },
        nonce: Some(Int::new(&nonce)?),
        cert_req: true,
    };
    Ok((req.to_der()?, nonce.to_vec()))
}

/// A timestamp for `signature` from the TSA at `url` (the full endpoint,
/// e.g. `.../api/v1/timestamp`): the DER `TimeStampResp` as the TSA sent
/// it, which is what a bundle's `rfc3161Timestamps[].signedTimestamp`
/// holds (cosign and sigstore-python parse it as a response).
pub fn timestamp(url: &str, signature: &[u8]) -> Result<Vec<u8>, Error> {
    crate::keyless::check_url(url)?;
    let (body, nonce) = request(signature).map_err(|e| err(url, e))?;
    let mut response = crate::keyless::agent()
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .send(&body[..])
        .map_err(|e| err(url, e))?;
    let status = response.status();
    let reply = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_vec()
        .map_err(|e| err(url, e))?;
    if !status.is_success() {
        return Err(err(
            url,
            format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&reply)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ),
        ));
    }
    token_from_reply(&reply, &Sha256::digest(signature), &nonce).map_err(|e| err(url, e))?;
    Ok(reply)
}

/// Why a TSA's reply is not a timestamp for this request.
#[derive(Debug, thiserror::Error)]
enum ReplyError {
    #[error("{0}")]
    Der(der::Error),
    #[error("{what}: {source}")]
    At {
        what: &'static str,
        source: der::Error,
    },
    #[error("request refused (PKIStatus {0})")]
    Refused(u8),
    #[error("{0}")]
    Invalid(&'static str),
}

fn at(what: &'static str) -> impl FnOnce(der::Error) -> ReplyError {
    move |source| ReplyError::At { what, source }
}

/// The `TimeStampToken` of a `TimeStampResp`, after checking it answers
/// this request (status granted, SHA-256 imprint `digest`, `nonce`).
fn token_from_reply(reply: &[u8], digest: &[u8], nonce: &[u8]) -> Result<Vec<u8>, ReplyError> {
    let mut reader = SliceReader::new(reply).map_err(ReplyError::Der)?;
    let (status, token) = reader
        .sequence(|r| {
            let status: AnyRef<'_> = r.decode()?;
            let token: Option<AnyRef<'_>> = r.decode()?;
            Ok((status, token))
        })
        .map_err(at("not a TimeStampResp"))?;
    reader
        .finish(())
        .map_err(at("trailing data after the TimeStampResp"))?;
    let code = SliceReader::new(status.value())
        .and_then(|mut r| r.decode::<u8>())
        .map_err(at("PKIStatusInfo"))?;
    // 0 granted, 1 grantedWithMods; anything else is a refusal.
    if code > 1 {
        return Err(ReplyError::Refused(code));
    }
    let token = token
        .ok_or(ReplyError::Invalid("status granted but no timeStampToken"))?
        .to_der()
        .map_err(ReplyError::Der)?;
    let content = ContentInfo::from_der(&token).map_err(at("timeStampToken"))?;
    if content.content_type != ID_SIGNED_DATA {
        return Err(ReplyError::Invalid("timeStampToken is not CMS SignedData"));
    }
    let signed: SignedData = content
        .content
        .decode_as()
        .map_err(at("timeStampToken SignedData"))?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(ReplyError::Invalid(
            "timeStampToken does not encapsulate a TSTInfo",
        ));
    }
    if signed.signer_infos.0.len() != 1 {
        return Err(ReplyError::Invalid(
            "timeStampToken must have exactly one signer",
        ));
    }
    let econtent = signed
        .encap_content_info
        .econtent
        .ok_or(ReplyError::Invalid("timeStampToken has no TSTInfo"))?;
    let tst_info = econtent.decode_as::<OctetString>().map_err(at("TSTInfo"))?;
    check_tst_info(tst_info.as_bytes(), digest, nonce)?;
    Ok(token)
}

/// `TSTInfo` (RFC 3161 §2.4.2): the imprint and nonce must be ours.
fn check_tst_info(der: &[u8], digest: &[u8], nonce: &[u8]) -> Result<(), ReplyError> {
    let mut reader = SliceReader::new(der).map_err(ReplyError::Der)?;
    reader
        .sequence(|r| {
            let _version: u8 = r.decode()?;
            let _policy: ObjectIdentifier = r.decode()?;
            let imprint: MessageImprint = r.decode()?;
            let _serial: Int = r.decode()?;
            let _gen_time: der::asn1::GeneralizedTime = r.decode()?;
            let mut found_nonce = None;
            while !r.is_finished() {
                let any: AnyRef<'_> = r.decode()?;
                // accuracy SEQUENCE, ordering BOOLEAN, then nonce INTEGER.
                if any.tag() == Tag::Integer && found_nonce.is_none() {
                    found_nonce = Some(any.value().to_vec());
                }
            }
            Ok((imprint, found_nonce))
        })
        .map_err(at("TSTInfo"))
        .and_then(|(imprint, found_nonce)| {
            if imprint.hash_algorithm.algorithm != SHA256
                || imprint.hashed_message.as_bytes() != digest
            {
                return Err(ReplyError::Invalid(
                    "the TSTInfo imprint is not the signature's SHA-256",
                ));
            }
            if found_nonce.as_deref() != Some(nonce) {
                return Err(ReplyError::Invalid(
                    "the TSTInfo nonce is not the request's",
                ));
            }
            Ok(())
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn request_is_a_der_timestamp_query_with_a_positive_nonce() {
        let (der, nonce) = request(b"signature").unwrap();
        // SEQUENCE { INTEGER 1, SEQUENCE { SEQUENCE { OID sha256, NULL }, OCTET STRING[32] }, INTEGER nonce, BOOLEAN TRUE }
        assert_eq!(der[0], 0x30);
        assert_eq!(&der[2..5], &[0x02, 0x01, 0x01]);
        assert_eq!(nonce.len(), 16);
        assert!(nonce[0] < 0x80 && nonce[0] != 0);
        let tail = &der[der.len() - 3..];
        assert_eq!(tail, &[0x01, 0x01, 0xff]);
        let imprint = Sha256::digest(b"signature");
        assert!(der.windows(32).any(|w| w == imprint.as_slice()));
        assert!(der.windows(16).any(|w| w == nonce.as_slice()));
    }

    #[test]
    fn refusals_and_garbage_are_errors() {
        // TimeStampResp { status { rejection(2) } }
        let refused = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02];
        assert!(token_from_reply(&refused, &[0; 32], &[1])
            .unwrap_err()
            .to_string()
            .contains("refused"));
        // granted without a token
        let empty = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert!(token_from_reply(&empty, &[0; 32], &[1])
            .unwrap_err()
            .to_string()
            .contains("no timeStampToken"));
        assert!(token_from_reply(b"<html>", &[0; 32], &[1]).is_err());
        let mut trailing = empty.to_vec();
        trailing.push(0);
        assert!(token_from_reply(&trailing, &[0; 32], &[1]).is_err());
    }
}
