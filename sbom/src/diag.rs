//! Diagnostics of the dependency checks, with stable codes.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
/// How serious a diagnostic is.
pub enum Level {
    /// Reported; does not fail the run.
    Warning,
    /// Fails the run.
    Error,
}

macro_rules! codes {
    ($( $variant:ident = $konst:ident, $id:literal, $doc:literal; )*) => {
        /// A stable diagnostic code: the id is what text, JSON and SARIF
        /// show, and is never renamed or reused.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $( #[doc = $doc] $variant, )*
        }

        impl Code {
            /// Every code, in the order `docs/audit.md` lists them.
            pub const ALL: &'static [Code] = &[$( Code::$variant, )*];

            /// The code as it appears in reports (`advisory-db-stale`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$variant => $id, )*
                }
            }

            /// What the diagnostic means and what to do about it (the text
            /// of its section in `docs/audit.md`).
            pub fn explanation(self) -> &'static str {
                match self {
                    $( Code::$variant => $doc, )*
                }
            }
        }

        /// The codes by their former constant names.
        pub mod code {
            use super::Code;
            $(
                #[doc = concat!("`", $id, "`")]
                pub const $konst: Code = Code::$variant;
            )*
        }
    };
}

codes! {
    DbStale = DB_STALE, "advisory-db-stale",
        "Warning: the database is older than `--max-db-age`. Run `tollgate db fetch`.";
    IgnoreExpired = IGNORE_EXPIRED, "advisory-ignore-expired",
        "Error: an ignore's `expires` date has passed; the advisory is reported again.";
    IgnoreUnmatched = IGNORE_UNMATCHED, "advisory-ignore-unmatched",
        "Warning: an ignore matched no package in the lockfile; remove it.";
    IgnoreUnknown = IGNORE_UNKNOWN, "advisory-ignore-unknown",
        "Error: an ignored id is not in the database (a typo, or a withdrawn advisory).";
    LicenseNotAllowed = LICENSE_NOT_ALLOWED, "license-not-allowed",
        "Error: the package's SPDX expression cannot be satisfied with the allowed ids.";
    LicenseMissing = LICENSE_MISSING, "license-missing",
        "Error: the package declares no licence expression.";
    LicenseUnparsable = LICENSE_UNPARSABLE, "license-unparsable",
        "Error: the licence field is not a valid SPDX expression.";
    LicenseUnavailable = LICENSE_UNKNOWN, "license-unavailable",
        "Warning: licences cannot be read from a bare `Cargo.lock`; audit the manifest.";
    SourceNotAllowed = SOURCE_NOT_ALLOWED, "source-not-allowed",
        "A package comes from a registry or git repository that is not allowed.";
    BannedCrate = BANNED, "banned-crate",
        "Error: the package is on the `[audit.bans] deny` list.";
    DuplicateVersions = DUPLICATE, "duplicate-versions",
        "Several versions of one crate are in the graph.";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Codes order by their text, as reports always sorted them.
impl Ord for Code {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Code {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The "Diagnostic codes" section of `docs/audit.md`, generated from
/// [`Code`] (a test keeps the file current).
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "## Diagnostic codes\n\nCodes are stable; they appear in text, JSON (`tollgate.diagnostics`) and SARIF.\n",
    );
    for code in Code::ALL {
        let _ = write!(out, "\n### {}\n{}\n", code, code.explanation());
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
/// A finding of the dependency checks that is not an advisory.
pub struct Diagnostic {
    /// Warning or error.
    pub level: Level,
    /// Its stable code.
    pub code: Code,
    /// `name@version` the diagnostic is about, if any.
    pub package: Option<String>,
    /// What is wrong, in words.
    pub message: String,
    /// Line of the package's entry in `Cargo.lock`.
    pub lockfile_line: Option<usize>,
}

impl Diagnostic {
    /// A diagnostic about the graph as a whole.
    pub fn new(level: Level, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            code,
            package: None,
            message: message.into(),
            lockfile_line: None,
        }
    }

    /// Attach the package (`name@version`) and its `Cargo.lock` line.
    pub fn for_package(mut self, package: String, line: Option<usize>) -> Self {
        self.package = Some(package);
        self.lockfile_line = line;
        self
    }
}
