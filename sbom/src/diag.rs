//! Diagnostics of the dependency checks, with stable codes.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

/// Stable diagnostic codes (they appear in JSON and SARIF; never reused).
pub mod code {
    pub const DB_STALE: &str = "advisory-db-stale";
    pub const IGNORE_EXPIRED: &str = "advisory-ignore-expired";
    pub const IGNORE_UNMATCHED: &str = "advisory-ignore-unmatched";
    pub const IGNORE_UNKNOWN: &str = "advisory-ignore-unknown";
    pub const LICENSE_NOT_ALLOWED: &str = "license-not-allowed";
    pub const LICENSE_MISSING: &str = "license-missing";
    pub const LICENSE_UNPARSABLE: &str = "license-unparsable";
    pub const LICENSE_UNKNOWN: &str = "license-unavailable";
    pub const SOURCE_NOT_ALLOWED: &str = "source-not-allowed";
    pub const BANNED: &str = "banned-crate";
    pub const DUPLICATE: &str = "duplicate-versions";
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub level: Level,
    pub code: &'static str,
    /// `name@version` the diagnostic is about, if any.
    pub package: Option<String>,
    pub message: String,
    /// Line of the package's entry in `Cargo.lock`.
    pub lockfile_line: Option<usize>,
}

impl Diagnostic {
    pub fn new(level: Level, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            code,
            package: None,
            message: message.into(),
            lockfile_line: None,
        }
    }

    pub fn for_package(mut self, package: String, line: Option<usize>) -> Self {
        self.package = Some(package);
        self.lockfile_line = line;
        self
    }
}
