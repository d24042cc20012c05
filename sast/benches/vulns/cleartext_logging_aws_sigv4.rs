// https://github.com/awslabs/aws-sdk-rust/security/advisories/GHSA-mjv9-vp6w-3rc9 (CVE-2023-30610, RUSTSEC-2023-0125: SigningParams derived Debug and was traced with the secret key; fix smithy-rs PR #2562, commit 33b24bb7f3)
use std::fmt;
use std::time::SystemTime;

/// Parameters to use when signing.
#[derive(Debug)]
pub struct SigningParams<'a> {
    /// Access Key ID to use.
    pub(crate) access_key: &'a str,
    /// Secret access key to use.
    pub(crate) secret_key: &'a str,
    /// (Optional) Security token to use.
    pub(crate) security_token: Option<&'a str>,
    /// Region to sign for.
    pub(crate) region: &'a str,
    /// AWS Service Name to sign for.
    pub(crate) service_name: &'a str,
    pub(crate) time: SystemTime,
}

pub struct SignableRequest<'a> {
    pub uri: &'a str,
}

impl fmt::Debug for SignableRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignableRequest").field("uri", &self.uri).finish()
    }
}

pub fn sign<'a>(request: SignableRequest<'a>, params: &'a SigningParams<'a>) -> String {
    tracing::trace!(request = ?request, params = ?params, "signing request"); //~ cleartext-logging
    format!("{}/{}", params.region, params.service_name)
}

/// The fix: the same struct with a Debug that redacts the credentials.
pub struct FixedSigningParams<'a> {
    pub(crate) access_key: &'a str,
    pub(crate) secret_key: &'a str,
    pub(crate) security_token: Option<&'a str>,
    pub(crate) region: &'a str,
    pub(crate) service_name: &'a str,
    pub(crate) time: SystemTime,
}

impl fmt::Debug for FixedSigningParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningParams")
            .field("access_key", &"** redacted **")
            .field("secret_key", &"** redacted **")
            .field("security_token", &"** redacted **")
            .field("region", &self.region)
            .field("service_name", &self.service_name)
            .field("time", &self.time)
            .finish()
    }
}

pub fn fixed_sign<'a>(request: SignableRequest<'a>, params: &'a FixedSigningParams<'a>) -> String {
    tracing::trace!(request = ?request, params = ?params, "signing request");
    format!("{}/{}", params.region, params.service_name)
}
