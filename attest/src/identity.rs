//! The signer identity a Fulcio certificate asserts, read from its Subject
//! Alternative Name.
//!
//! Fulcio puts exactly one name there: an email address, a URI (CI
//! workflows, SPIFFE IDs) or, for username identities, an `otherName` of
//! type 1.3.6.1.4.1.57264.1.7 holding a UTF8String. A certificate with
//! several names, or a kind of name other than these, has no identity a
//! policy can match: it is refused rather than matched on whichever name
//! came first.

use der::asn1::{ObjectIdentifier, Utf8StringRef};
use der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;

/// Fulcio's OID for username identities in an otherName SAN.
pub const FULCIO_USERNAME_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// The kind and value of a certificate's single SAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SanIdentity {
    /// An `rfc822Name` (email).
    Email(String),
    /// A `uniformResourceIdentifier` (workflow or SPIFFE identity).
    Uri(String),
    /// Fulcio's username identity (`otherName`).
    Username(String),
}

impl SanIdentity {
    /// The identity as text.
    pub fn as_str(&self) -> &str {
        match self {
            SanIdentity::Email(v) | SanIdentity::Uri(v) | SanIdentity::Username(v) => v,
        }
    }
}

/// Why no identity could be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdentityError {
    #[error("the signing certificate cannot be parsed: {0}")]
    /// The certificate does not parse.
    Certificate(String),
    #[error("the signing certificate has no Subject Alternative Name")]
    /// No Subject Alternative Name.
    NoSan,
    #[error(
        "the signing certificate has {0} Subject Alternative Names (Fulcio issues exactly one)"
    )]
    /// More than one name.
    SeveralNames(usize),
    #[error("the signing certificate's Subject Alternative Name is of an unsupported kind")]
    /// A name of another kind.
    UnsupportedKind,
}

/// The identity in a DER certificate's SAN.
pub fn san_identity(der_cert: &[u8]) -> Result<SanIdentity, IdentityError> {
    let cert = x509_cert::Certificate::from_der(der_cert)
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let san: Option<(bool, SubjectAltName)> = cert
        .tbs_certificate
        .get()
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let Some((_, san)) = san else {
        return Err(IdentityError::NoSan);
    };
    match san.0.as_slice() {
        [] => Err(IdentityError::NoSan),
        [GeneralName::Rfc822Name(email)] => Ok(SanIdentity::Email(email.to_string())),
        [GeneralName::UniformResourceIdentifier(uri)] => Ok(SanIdentity::Uri(uri.to_string())),
        [GeneralName::OtherName(other)] if other.type_id == FULCIO_USERNAME_OID => {
            let value = Utf8StringRef::try_from(&other.value)
                .map_err(|e| IdentityError::Certificate(format!("otherName: {e}")))?;
            Ok(SanIdentity::Username(value.to_string()))
        }
        [_] => Err(IdentityError::UnsupportedKind),
        names => Err(IdentityError::SeveralNames(names.len())),
    }
}
