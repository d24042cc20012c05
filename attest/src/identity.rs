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

/// Fulcio's Source Repository URI extension (a DER UTF8String, e.g.
/// `https://github.com/org/app`): the repository whose workflow run asked
/// for the certificate, which for a reusable workflow is the caller, not
/// the repository of the workflow in the SAN.
pub const SOURCE_REPOSITORY_URI_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.12");
/// Fulcio's deprecated GitHub Workflow Repository extension (raw text,
/// `org/app`), in certificates from before the URI extension.
pub const GITHUB_WORKFLOW_REPOSITORY_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.5");

/// The certificate's source repository as a URL: the Source Repository
/// URI extension, or else the deprecated GitHub Workflow Repository one
/// (`org/app` read as `https://github.com/org/app`). `None` when it has
/// neither; an error when one is present twice, does not decode, or the
/// two disagree.
pub fn source_repository(der_cert: &[u8]) -> Result<Option<String>, IdentityError> {
    let cert = x509_cert::Certificate::from_der(der_cert)
        .map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let mut uri: Option<String> = None;
    let mut legacy: Option<String> = None;
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        let slot = if ext.extn_id == SOURCE_REPOSITORY_URI_OID {
            let value = Utf8StringRef::from_der(ext.extn_value.as_bytes())
                .map_err(|e| IdentityError::Certificate(format!("source repository: {e}")))?;
            (&mut uri, value.to_string())
        } else if ext.extn_id == GITHUB_WORKFLOW_REPOSITORY_OID {
            let value = std::str::from_utf8(ext.extn_value.as_bytes()).map_err(|e| {
                IdentityError::Certificate(format!("GitHub workflow repository: {e}"))
            })?;
            (&mut legacy, format!("https://github.com/{value}"))
        } else {
            continue;
        };
        if slot.0.replace(slot.1).is_some() {
            return Err(IdentityError::Certificate(
                "a source repository extension appears twice".into(),
            ));
        }
    }
    match (uri, legacy) {
        (Some(u), Some(l)) if u != l => Err(IdentityError::Certificate(format!(
            "the source repository extensions disagree: {u} and {l}"
        ))),
        (Some(u), _) => Ok(Some(u)),
        (None, l) => Ok(l),
    }
}

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
    #[error("the signing certificate has extension {0} more than once (RFC 5280 allows one)")]
    /// An extension appears more than once.
    RepeatedExtension(String),
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
    // RFC 5280 4.2: an extension appears at most once. Of two OIDC issuer
    // extensions the Sigstore verifier reads the first, a policy would
    // match that one, and another reader the second (red team rt61): a
    // certificate with a repeated extension has no identity.
    let mut seen = std::collections::BTreeSet::new();
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        if !seen.insert(ext.extn_id) {
            return Err(IdentityError::RepeatedExtension(ext.extn_id.to_string()));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// A real public-good certificate (sigstore-conformance's GitHub
    /// workflow beacon): its identity is the workflow, its source
    /// repository the repository the run belongs to.
    #[test]
    fn a_real_fulcio_certificate_names_its_source_repository() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../shared/sigstore/conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json",
        );
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (required from ../shared)", path.display()));
        let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
        let der = base64::engine::general_purpose::STANDARD
            .decode(
                bundle["verificationMaterial"]["certificate"]["rawBytes"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(
            source_repository(&der).unwrap().as_deref(),
            Some("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
        );
        assert!(san_identity(&der)
            .unwrap()
            .as_str()
            .starts_with("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/"));
    }
}
