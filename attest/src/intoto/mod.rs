//! Classic in-toto: supply-chain layouts and link metadata, as the in-toto
//! specification v0.9 and the Python reference implementation (in-toto
//! 3.x, securesystemslib 1.x) define them, so that files made here are
//! accepted by `in-toto-verify` and files made by `in-toto-run` and
//! `in-toto-sign` are verified here.
//!
//! * [`canonical`]: securesystemslib's canonical JSON, which signatures cover.
//! * [`keys`]: in-toto key objects (Ed25519, ECDSA P-256) and their ids.
//! * [`artifacts`]: recording materials and products (paths and SHA-256).
//! * [`link`]: running a step and signing its link (`tollgate attest link`).
//! * [`layout`]: building a layout from a YAML spec, and signing it.
//! * [`rules`]: artifact rules (MATCH, ALLOW, DISALLOW, CREATE, DELETE,
//!   MODIFY, REQUIRE) and Python's `fnmatch` patterns.
//! * [`verify`]: the whole verification (`tollgate verify-layout`).
//!
//! The `in-toto` crate (0.4) is not used: measured against the Python
//! tools it rejects PKCS#8 Ed25519 keys, SPKI Ed25519 public keys and
//! ECDSA layouts, computes key ids securesystemslib does not, and writes
//! links with a null `environment` that Python rejects.
//!
//! Metadata is the classic signed envelope `{"signed": ..., "signatures":
//! [{"keyid", "sig"}]}` or, as in-toto 2.x+ writes with `--use-dsse`, a
//! DSSE envelope; sublayouts are refused with a clear error rather than
//! half-verified.

pub mod artifacts;
pub mod canonical;
pub mod keys;
pub mod layout;
pub mod link;
pub mod rules;
pub mod verify;

use std::path::PathBuf;

/// What can go wrong with in-toto metadata. `Verification` is a failed
/// check of well-formed input (exit 1); the others are bad input (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum IntotoError {
    #[error("{path}: {source}")]
    /// A file that cannot be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    /// Metadata that is malformed.
    Metadata {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    #[error("{path}: not a usable key: {source}")]
    /// A key file that is not a usable public key.
    Key {
        /// The key file.
        path: PathBuf,
        /// Why it is not usable.
        source: keys::KeyError,
    },
    #[error("{0}")]
    /// A layout spec or option that cannot be used.
    Spec(String),
    #[error("in-toto verification failed: {0}")]
    /// A check of well-formed metadata failed.
    Verification(String),
}

impl IntotoError {
    pub(crate) fn metadata(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        IntotoError::Metadata {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the only date format in-toto metadata uses.
pub fn format_time(seconds: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parse `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && b[10] == b'T'
        && [13, 16].iter().all(|&i| b[i] == b':')
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::from(num(0..4)?),
        month,
        u8::try_from(num(8..10)?).ok()?,
    )
    .ok()?;
    let at = date
        .with_hms(
            u8::try_from(num(11..13)?).ok()?,
            u8::try_from(num(14..16)?).ok()?,
            u8::try_from(num(17..19)?).ok()?,
        )
        .ok()?;
    Some(at.assume_utc().unix_timestamp())
}

/// Serialise metadata as the Python tools write it: sorted keys, one-space
/// indent, a final newline. (Signatures cover the canonical form, not this.)
pub fn to_file_bytes(value: &serde_json::Value) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    if value.serialize(&mut ser).is_err() {
        return Vec::new();
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        for s in [0, 951_782_400, 1_795_392_000, 4_102_444_799] {
            assert_eq!(parse_time(&format_time(s)), Some(s), "{}", format_time(s));
        }
        assert_eq!(format_time(1_795_392_000), "2026-11-23T00:00:00Z");
        assert_eq!(parse_time("2026-11-23 00:00:00Z"), None);
        assert_eq!(parse_time("2026-13-01T00:00:00Z"), None);
    }
}
