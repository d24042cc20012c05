//! Typed in-toto statements and the predicates Tollgate writes and reads:
//! one definition shared by the writer (`tollgate attest`) and the reader
//! (the deploy gate), so the two cannot drift apart.
//!
//! Reading is strict where a lax reading would admit: a statement's JSON
//! may not repeat a key; a vulnerability's every severity entry counts and
//! a score that cannot be read counts as critical; SAST levels are a
//! closed set, and an unknown level counts as critical when written and
//! fails to parse when read; SBOM components are read at every depth.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// in-toto Statement v1 (and v0.1, which older cosign attestations use).
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The in-toto Statement v0.1 type, still read.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// Why a statement or predicate could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PredicateError {
    /// A payload that is not an in-toto statement.
    #[error("in-toto statement: {0}")]
    Statement(String),
    /// A predicate that does not read as its type.
    #[error("`{predicate_type}` predicate: {message}")]
    Predicate {
        /// The predicate type.
        predicate_type: String,
        /// The reader's complaint.
        message: String,
    },
    /// A `pkg:cargo` purl that is not in the one accepted spelling.
    #[error("purl `{purl}`: {reason}")]
    Purl {
        /// The purl.
        purl: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A statement subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementSubject {
    #[serde(default)]
    /// The subject's name (file name or image reference).
    pub name: String,
    /// Its digests by algorithm (`sha256` → hex).
    pub digest: BTreeMap<String, String>,
}

/// An in-toto statement read from a verified DSSE payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    /// `_type`: the statement version.
    pub statement_type: String,
    /// What the statement is about.
    pub subject: Vec<StatementSubject>,
    #[serde(rename = "predicateType")]
    /// `predicateType`: the predicate's URI.
    pub predicate_type: String,
    #[serde(default)]
    /// The predicate, untyped (read it with `predicate_as`).
    pub predicate: Value,
}

impl Statement {
    /// Read a statement from payload bytes: strict JSON (no duplicate keys,
    /// nothing after it), a known `_type`, at least one subject, each with
    /// at least one digest.
    pub fn from_payload(payload: &[u8]) -> Result<Statement, PredicateError> {
        let value = crate::bundle::parse_strict_json_bytes(payload)
            .map_err(|e| PredicateError::Statement(e.0))?;
        let statement: Statement =
            serde_json::from_value(value).map_err(|e| PredicateError::Statement(e.to_string()))?;
        if statement.statement_type != STATEMENT_V1 && statement.statement_type != STATEMENT_V01 {
            return Err(PredicateError::Statement(format!(
                "unknown _type `{}`",
                statement.statement_type
            )));
        }
        if statement.subject.is_empty() {
            return Err(PredicateError::Statement("no subject".into()));
        }
        if statement.subject.iter().any(|s| s.digest.is_empty()) {
            return Err(PredicateError::Statement("a subject has no digest".into()));
        }
        Ok(statement)
    }

    /// Does a subject carry this SHA-256 (hex, any case)?
    pub fn names_sha256(&self, sha256_hex: &str) -> bool {
        self.names(&ArtifactDigests::sha256(sha256_hex))
    }

    /// Does a subject name the artifact? A subject matches when every
    /// digest it gives in an algorithm we computed agrees, and it gives at
    /// least one (npm provenance names only sha512, images only sha256).
    pub fn names(&self, digests: &ArtifactDigests) -> bool {
        self.subject.iter().any(|s| {
            let mut matched = false;
            for (alg, value) in &s.digest {
                if let Some(ours) = digests.get(alg) {
                    if !value.eq_ignore_ascii_case(ours) {
                        return false;
                    }
                    matched = true;
                }
            }
            matched
        })
    }

    /// The predicate as `T`, or why it is not one.
    pub fn predicate_as<T: for<'de> Deserialize<'de>>(&self) -> Result<T, PredicateError> {
        serde_json::from_value(self.predicate.clone()).map_err(|e| PredicateError::Predicate {
            predicate_type: self.predicate_type.clone(),
            message: e.to_string(),
        })
    }
}

/// An artifact's digests (lower-case hex) by in-toto algorithm name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArtifactDigests(BTreeMap<&'static str, String>);

impl ArtifactDigests {
    /// SHA-256, SHA-384 and SHA-512 of the bytes.
    pub fn of_bytes(bytes: &[u8]) -> ArtifactDigests {
        use sha2::Digest;
        ArtifactDigests(BTreeMap::from([
            ("sha256", hex::encode(sha2::Sha256::digest(bytes))),
            ("sha384", hex::encode(sha2::Sha384::digest(bytes))),
            ("sha512", hex::encode(sha2::Sha512::digest(bytes))),
        ]))
    }

    /// Only a SHA-256 is known (an image's manifest digest).
    pub fn sha256(hex_digest: &str) -> ArtifactDigests {
        ArtifactDigests(BTreeMap::from([(
            "sha256",
            hex_digest.to_ascii_lowercase(),
        )]))
    }

    fn get(&self, algorithm: &str) -> Option<&str> {
        self.0
            .get(algorithm.to_ascii_lowercase().as_str())
            .map(String::as_str)
    }

    /// The SHA-256, when known.
    pub fn sha256_hex(&self) -> Option<&str> {
        self.get("sha256")
    }
}

// ---------------------------------------------------------------------------
// SLSA provenance v1
// ---------------------------------------------------------------------------

/// SLSA provenance v1 (`https://slsa.dev/provenance/v1`), the fields a
/// policy reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// What was built, and from what.
    pub build_definition: BuildDefinition,
    /// Who built it, and when.
    pub run_details: RunDetails,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// SLSA `buildDefinition`.
pub struct BuildDefinition {
    /// The build type URI.
    pub build_type: String,
    /// Parameters the caller chose.
    pub external_parameters: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Parameters the builder chose (Tollgate's `BuildFacts` under `build`).
    pub internal_parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Inputs the build resolved (sources, crates).
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// SLSA `ResourceDescriptor`: one artifact, by URI, digest or name.
pub struct ResourceDescriptor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Where it is.
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    /// Its digests by algorithm.
    pub digest: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Its name.
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Where it was downloaded from.
    pub download_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Free-form annotations.
    pub annotations: Option<Value>,
}

/// `tollgate build`'s build type: a cargo build fetched first, then run
/// offline in a network sandbox (`docs/build.md`).
pub const CARGO_BUILD_TYPE: &str =
    "https://github.com/tollgate-dev/tollgate/blob/main/docs/build.md#cargo-build-v1";

/// What `tollgate build` records about how it built
/// (`internalParameters.build`). Every field is required when read: a
/// provenance that does not say whether its build was hermetic is not
/// taken to say that it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildFacts {
    /// The build ran in a sandbox with no network.
    pub hermetic: bool,
    /// The sandbox it ran in: a closed set, an unknown value does not read.
    pub sandbox: SandboxKind,
    /// The environment the build saw: the allow-list, with values.
    pub environment: BTreeMap<String, String>,
    /// The toolchain's versions and binary digests.
    pub toolchain: Toolchain,
    /// `cargo auditable` embedded the dependency list in the binaries.
    pub auditable: bool,
    /// Whether a second build was compared, and how it came out.
    pub reproducible: Reproducible,
}

/// The sandbox a `tollgate build` ran in. Closed: any other spelling
/// (`"None"`, `""`) fails to read, and so fails every build condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SandboxKind {
    /// bubblewrap: user, PID, network, mount, IPC and UTS namespaces, an
    /// empty root with the system read-only, no capabilities,
    /// `no_new_privs` (`docs/build.md`). The only kind that is hermetic.
    #[serde(rename = "bwrap")]
    Bwrap,
    /// Earlier builds: a network namespace only (as root). Readable, but
    /// not hermetic: a build script could enter the caller's namespace.
    #[serde(rename = "netns")]
    Netns,
    /// Earlier builds: user and network namespaces only. Not hermetic.
    #[serde(rename = "userns+netns")]
    UsernsNetns,
    /// `--no-sandbox`.
    #[serde(rename = "none")]
    None,
}

impl SandboxKind {
    /// The kind as the provenance spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxKind::Bwrap => "bwrap",
            SandboxKind::Netns => "netns",
            SandboxKind::UsernsNetns => "userns+netns",
            SandboxKind::None => "none",
        }
    }

    /// Whether a build in this sandbox counts as hermetic.
    pub fn is_hermetic(self) -> bool {
        self == SandboxKind::Bwrap
    }
}

impl std::fmt::Display for SandboxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// The toolchain a build used.
pub struct Toolchain {
    /// `rustc -vV`, verbatim.
    pub rustc_version: String,
    /// `cargo -V`, verbatim.
    pub cargo_version: String,
    /// SHA-256 of the real `rustc` and `cargo` binaries (not rustup's proxies).
    pub rustc_sha256: String,
    /// SHA-256 of the real `cargo` binary.
    pub cargo_sha256: String,
}

impl Toolchain {
    /// A `rustc -vV` field (`release`, `commit-hash`, `host`).
    pub fn rustc_field(&self, field: &str) -> Option<&str> {
        self.rustc_version.lines().find_map(|l| {
            l.strip_prefix(field)
                .and_then(|r| r.strip_prefix(": "))
                .map(str::trim)
        })
    }
}

/// The outcome of `--reproducible-check`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reproducible {
    /// A second build was made and compared.
    pub checked: bool,
    /// Checked, and every artifact was byte-identical.
    pub identical: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Where the two builds differed (file and offset or ELF section).
    pub differences: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// SLSA `runDetails`.
pub struct RunDetails {
    /// The builder.
    pub builder: Builder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Invocation id and times.
    pub metadata: Option<BuildMetadata>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// SLSA `builder`.
pub struct Builder {
    /// The builder's id URI.
    pub id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// SLSA build `metadata`.
pub struct BuildMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The invocation's id.
    pub invocation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When the build started (RFC 3339).
    pub started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When the build finished (RFC 3339).
    pub finished_on: Option<String>,
}

/// Registries whose downloads are packages, not source repositories.
const PACKAGE_HOSTS: [&str; 12] = [
    "crates.io",
    "static.crates.io",
    "index.crates.io",
    "registry.npmjs.org",
    "pypi.org",
    "files.pythonhosted.org",
    "proxy.golang.org",
    "rubygems.org",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "api.nuget.org",
    "deb.debian.org",
];

/// GitHub's hosts for one repository's code: `github.com/o/r/...`,
/// `www.github.com/o/r`, `codeload.github.com/o/r/...`,
/// `api.github.com/repos/o/r/...`, `raw.githubusercontent.com/o/r/...`.
fn github_repo(host: &str, segments: &[&str]) -> Option<(String, Option<String>)> {
    let (owner, name, rest): (&str, &str, &[&str]) = match (host, segments) {
        ("github.com" | "www.github.com" | "codeload.github.com", [o, n, rest @ ..]) => {
            (o, n, rest)
        }
        ("raw.githubusercontent.com", [o, n, rest @ ..]) => (o, n, rest),
        ("api.github.com", ["repos", o, n, rest @ ..]) => (o, n, rest),
        _ => return None,
    };
    let name = name.trim_end_matches(".git");
    // A ref inside the path: `archive/refs/heads/x.tar.gz`,
    // `tar.gz/refs/heads/x`, `tarball/x`, `tree/x`, or raw's `o/r/x/...`.
    let path = rest.join("/");
    let git_ref = ["refs/heads/", "refs/tags/"]
        .iter()
        .find_map(|p| path.find(p).map(|at| &path[at..]))
        .map(|r| {
            r.trim_end_matches(".tar.gz")
                .trim_end_matches(".zip")
                .to_string()
        })
        .or_else(|| match rest {
            ["archive", file] => Some(
                file.trim_end_matches(".tar.gz")
                    .trim_end_matches(".zip")
                    .to_string(),
            ),
            ["tarball" | "zipball" | "tree" | "commit", r, ..] => Some((*r).to_string()),
            [r, ..] if host == "raw.githubusercontent.com" => Some((*r).to_string()),
            _ => None,
        });
    Some((
        format!(
            "https://github.com/{}/{}",
            owner.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        ),
        git_ref,
    ))
}

/// A dependency URI as a source repository and ref. Every URI is a source
/// unless it is a package (`pkg:` purls, downloads from a package
/// registry): a policy must allow each one, so a second repository cannot
/// hide behind an unusual spelling. URIs are normalised by the URL parser
/// (scheme and host lower-cased, default port, login and dot segments
/// dropped), `git+`/`hg+`/`svn+` prefixes and `@ref` suffixes split off,
/// scp-like `user@host:path` read as `ssh://host/path`, and GitHub's
/// download hosts mapped to the repository.
fn source_of(uri: &str) -> Option<(String, Option<String>)> {
    if uri.starts_with("pkg:") {
        return None;
    }
    let mut rest = uri.trim();
    for prefix in ["git+", "hg+", "svn+", "bzr+"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
        }
    }
    // scp-like `user@host:owner/repo[.git][@ref]`.
    let owned;
    if !rest.contains("://") {
        if let Some((login_host, path)) = rest.split_once(':') {
            let host = login_host.rsplit('@').next().unwrap_or(login_host);
            owned = format!("ssh://{host}/{path}");
            rest = &owned;
        }
    }
    // `…/repo@refs/heads/main`: a ref after the last `@` that follows the path.
    let (location, mut git_ref) = match rest.split_once("://") {
        Some((_, after)) => match after.find('/') {
            Some(slash) => match after[slash..].rfind('@') {
                Some(at) => {
                    let cut = rest.len() - after.len() + slash + at;
                    (&rest[..cut], Some(rest[cut + 1..].to_string()))
                }
                None => (rest, None),
            },
            None => (rest, None),
        },
        None => (rest, None),
    };
    let Ok(url) = url::Url::parse(location) else {
        // Not a URL at all: the text itself is the source, which no
        // allow-list entry written as a URL matches.
        return Some((uri.to_string(), git_ref));
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    if let Some((repo, path_ref)) = github_repo(&host, &segments) {
        if git_ref.is_none() {
            git_ref = path_ref;
        }
        return Some((repo, git_ref));
    }
    if PACKAGE_HOSTS.contains(&host.as_str()) {
        return None;
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = segments.join("/");
    let path = path.trim_end_matches(".git");
    Some((format!("{}://{host}{port}/{path}", url.scheme()), git_ref))
}

impl Provenance {
    /// The source repositories the provenance names: every source-code
    /// dependency (see `source_of`) and GitHub's
    /// `externalParameters.workflow.repository`. A policy must allow every
    /// one: a second, unlisted source is not hidden by a first, listed one.
    pub fn source_repositories(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .build_definition
            .resolved_dependencies
            .iter()
            .filter_map(|d| d.uri.as_deref())
            .filter_map(source_of)
            .map(|(repo, _)| repo)
            .collect();
        if let Some(r) =
            self.build_definition.external_parameters["workflow"]["repository"].as_str()
        {
            out.extend(source_of(r).map(|(repo, _)| repo));
        }
        out.sort();
        out.dedup();
        out
    }

    /// The build facts `tollgate build` records, or why there are none
    /// (another builder, a field missing or of the wrong type).
    pub fn build_facts(&self) -> Result<BuildFacts, PredicateError> {
        let err = |message: String| PredicateError::Predicate {
            predicate_type: crate::statement::SLSA_PROVENANCE_V1.into(),
            message,
        };
        if self.build_definition.build_type != CARGO_BUILD_TYPE {
            return Err(err(format!(
                "buildType `{}` is not a `tollgate build` ({CARGO_BUILD_TYPE})",
                self.build_definition.build_type
            )));
        }
        let facts = self
            .build_definition
            .internal_parameters
            .as_ref()
            .and_then(|p| p.get("build"))
            .ok_or_else(|| err("internalParameters.build is missing".into()))?;
        serde_json::from_value(facts.clone())
            .map_err(|e| err(format!("internalParameters.build: {e}")))
    }

    /// The crates the build resolved: every `pkg:cargo/` dependency,
    /// parsed strictly ([`CargoPurl::parse`]); an error for one that does
    /// not parse, and for any other `pkg:` purl. The second set holds the
    /// local (path) packages, the ones annotated `"source": "path"`: the
    /// build's own source, not dependencies.
    #[allow(clippy::type_complexity)]
    pub fn cargo_packages(
        &self,
    ) -> Result<(BTreeSet<CargoPurl>, BTreeSet<CargoPurl>), PredicateError> {
        let mut out = BTreeSet::new();
        let mut local = BTreeSet::new();
        for d in &self.build_definition.resolved_dependencies {
            let Some(uri) = d.uri.as_deref() else {
                continue;
            };
            // Non-purl URIs (the git source) are not packages; a purl in
            // any spelling is, and must read as a cargo purl.
            if !uri.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("pkg:")) {
                continue;
            }
            let key = CargoPurl::parse(uri)?;
            let is_local = d
                .annotations
                .as_ref()
                .is_some_and(|a| a["source"] == "path");
            if is_local {
                local.insert(key);
            } else {
                out.insert(key);
            }
        }
        Ok((out, local))
    }

    /// The git refs the provenance names (`…@refs/heads/main` on a source
    /// dependency; GitHub's `externalParameters.workflow.ref`).
    pub fn refs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .build_definition
            .resolved_dependencies
            .iter()
            .filter_map(|d| d.uri.as_deref())
            .filter_map(source_of)
            .filter_map(|(_, r)| r)
            .collect();
        if let Some(r) = self.build_definition.external_parameters["workflow"]["ref"].as_str() {
            out.push(r.to_string());
        }
        out.sort();
        out.dedup();
        out
    }
}

/// `%40` and friends in a purl segment.
/// A cargo package URL in the one spelling `tollgate sbom` and `tollgate
/// build` write: `pkg:cargo/NAME@VERSION`, optionally `?vcs_url=…` or
/// `?repository_url=…` (where the crate came from). Parsed strictly, so
/// that one package has one spelling: the scheme and type in lower case,
/// no namespace, no subpath, no other qualifiers, and every segment
/// percent-encoded exactly as the writer encodes it (`ser%64e` is not
/// `serde`). Two purls name the same package when all of name, version
/// and source qualifiers are equal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CargoPurl {
    /// The crate's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// `vcs_url` / `repository_url`, decoded; empty for crates.io.
    pub qualifiers: BTreeMap<String, String>,
}

impl CargoPurl {
    /// The qualifiers that say where a crate came from.
    const SOURCE_QUALIFIERS: [&'static str; 2] = ["repository_url", "vcs_url"];

    /// Parse a purl in the one spelling Tollgate writes; anything else is an error.
    pub fn parse(purl: &str) -> Result<Self, PredicateError> {
        let fail = |reason: &str| PredicateError::Purl {
            purl: purl.to_string(),
            reason: reason.to_string(),
        };
        let rest = purl
            .strip_prefix("pkg:cargo/")
            .ok_or_else(|| fail("not a cargo purl in canonical form (`pkg:cargo/NAME@VERSION`)"))?;
        if rest.contains('#') {
            return Err(fail("a subpath is not allowed"));
        }
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let (name, version) = main.rsplit_once('@').ok_or_else(|| fail("no version"))?;
        if name.contains('/') {
            return Err(fail("cargo purls have no namespace"));
        }
        let canonical = |segment: &str, what: &str| -> Result<String, PredicateError> {
            let decoded = strict_decode(segment)
                .ok_or_else(|| fail(&format!("{what}: bad percent-encoding")))?;
            if decoded.is_empty() {
                return Err(fail(&format!("{what} is empty")));
            }
            if purl_encode(&decoded) != segment {
                return Err(fail(&format!("{what} is not in canonical spelling")));
            }
            Ok(decoded)
        };
        let name = canonical(name, "the name")?;
        let version = canonical(version, "the version")?;
        let mut qualifiers = BTreeMap::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| fail("a qualifier without a value"))?;
            if !Self::SOURCE_QUALIFIERS.contains(&key) {
                return Err(fail(&format!("unknown qualifier `{key}`")));
            }
            let value = canonical(value, key)?;
            if qualifiers.insert(key.to_string(), value).is_some() {
                return Err(fail(&format!("qualifier `{key}` repeated")));
            }
        }
        Ok(CargoPurl {
            name,
            version,
            qualifiers,
        })
    }
}

impl std::fmt::Display for CargoPurl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.version)?;
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { " (" } else { ", " })?;
        }
        if !self.qualifiers.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Percent-encoding as the purl writer does it (`sbom::cyclonedx`).
fn purl_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding that refuses a stray `%` and invalid UTF-8.
fn strict_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

// ---------------------------------------------------------------------------
// in-toto vulns v0.2
// ---------------------------------------------------------------------------

/// The in-toto vulnerability predicate v0.2.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vulns {
    /// The scanner and what it found.
    pub scanner: Scanner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When the scan ran.
    pub metadata: Option<ScanMetadata>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// The vulns predicate's `scanner`.
pub struct Scanner {
    /// The scanner's URI.
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Its version.
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The database it used.
    pub db: Option<Value>,
    /// Required: a scan that lists nothing must say so with `[]`.
    pub result: Vec<VulnResult>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// The vulns predicate's `metadata`.
pub struct ScanMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When the scan started.
    pub scan_started_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When the scan finished.
    pub scan_finished_on: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
/// One vulnerability found.
pub struct VulnResult {
    /// Its id (`RUSTSEC-…`, `CVE-…`).
    pub id: String,
    #[serde(default)]
    /// Its severities, by method.
    pub severity: Vec<SeverityEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Free-form annotations (Tollgate's reachability among them).
    pub annotations: Vec<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
/// One severity of a vulnerability.
pub struct SeverityEntry {
    /// The scoring method (`CVSS_V3`, `CVSS_V4`).
    pub method: String,
    /// The score or vector.
    pub score: String,
}

/// Severity ranks: 0 none, 1 low, 2 medium, 3 high, 4 critical.
pub const SEVERITY_NAMES: [&str; 5] = ["none", "low", "medium", "high", "critical"];

/// The rank of a score: a CVSS number (0.0–10.0) or a qualitative word
/// (none, low, medium/moderate, high, critical). Anything else is `None`.
pub fn score_rank(score: &str) -> Option<u8> {
    let s = score.trim();
    if let Ok(n) = s.parse::<f64>() {
        if !n.is_finite() || !(0.0..=10.0).contains(&n) {
            return None;
        }
        return Some(match n {
            0.0 => 0,
            n if n < 4.0 => 1,
            n if n < 7.0 => 2,
            n if n < 9.0 => 3,
            _ => 4,
        });
    }
    match s.to_ascii_lowercase().as_str() {
        "none" => Some(0),
        "low" => Some(1),
        "medium" | "moderate" => Some(2),
        "high" => Some(3),
        "critical" => Some(4),
        _ => None,
    }
}

impl VulnResult {
    /// The highest rank over every severity entry; no entry, or an entry
    /// whose score cannot be read, counts as critical (fail closed).
    pub fn rank(&self) -> u8 {
        if self.severity.is_empty() {
            return 4;
        }
        self.severity
            .iter()
            .map(|e| score_rank(&e.score).unwrap_or(4))
            .max()
            .unwrap_or(4)
    }

    /// The highest readable score, for messages.
    pub fn score_text(&self) -> String {
        let scores: Vec<&str> = self.severity.iter().map(|e| e.score.as_str()).collect();
        if scores.is_empty() {
            "unknown".into()
        } else {
            scores.join(", ")
        }
    }

    /// Tollgate's own annotation: the audit found the vulnerable code
    /// unreachable.
    pub fn not_reachable(&self) -> bool {
        self.annotations
            .iter()
            .any(|a| a["reachability"] == "not-reachable")
    }
}

// ---------------------------------------------------------------------------
// Tollgate's SAST summary
// ---------------------------------------------------------------------------

/// A SAST finding's level: a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SastLevel {
    /// SAST `note`.
    Note,
    /// SAST `low`.
    Low,
    /// SAST `medium`.
    Medium,
    /// SAST `high`.
    High,
    /// SAST `critical`.
    Critical,
}

impl SastLevel {
    /// A SARIF result's level, the highest of everything that speaks to
    /// it: `properties.severity` (any case; an unknown word is critical),
    /// the result's `level` or else its rule's
    /// `defaultConfiguration.level` (SARIF 2.1.0 §3.27.10), and
    /// `security-severity` (GitHub's convention: the result's, else its
    /// rule's; >= 9 critical, >= 7 high; unreadable is critical). The rule
    /// is found as SARIF §3.52 describes, through `rule` / `ruleIndex` /
    /// `ruleId` and `toolComponent` into the driver or an extension; when
    /// these name different rules, every one counts, and a hierarchical
    /// `ruleId` (`a/b/c`) falls back to its parents.
    pub fn of_sarif_result(result: &Value, run: &Value) -> SastLevel {
        let components: Vec<&Value> = std::iter::once(&run["tool"]["driver"])
            .chain(run["tool"]["extensions"].as_array().into_iter().flatten())
            .collect();
        let component = |reference: &Value| -> &Value {
            match reference["index"].as_u64() {
                // toolComponent.index: into `extensions`.
                Some(i) => usize::try_from(i)
                    .ok()
                    .and_then(|i| run["tool"]["extensions"].get(i))
                    .unwrap_or(&Value::Null),
                None => &run["tool"]["driver"],
            }
        };
        let mut rules: Vec<&Value> = Vec::new();
        let descriptor = &result["rule"];
        let component_of_rule = if descriptor["toolComponent"].is_object() {
            component(&descriptor["toolComponent"])
        } else {
            &run["tool"]["driver"]
        };
        for (index, within) in [
            (descriptor["index"].as_u64(), component_of_rule),
            (result["ruleIndex"].as_u64(), component_of_rule),
        ] {
            if let Some(rule) = index
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| within["rules"].get(i))
            {
                rules.push(rule);
            }
        }
        for id in [descriptor["id"].as_str(), result["ruleId"].as_str()]
            .into_iter()
            .flatten()
        {
            let mut candidate = id;
            loop {
                let found: Vec<&Value> = components
                    .iter()
                    .flat_map(|c| c["rules"].as_array().into_iter().flatten())
                    .filter(|r| r["id"].as_str() == Some(candidate))
                    .collect();
                if !found.is_empty() {
                    rules.extend(found);
                    break;
                }
                match candidate.rsplit_once('/') {
                    Some((parent, _)) => candidate = parent,
                    None => break,
                }
            }
        }
        let from_sarif_level = |level: Option<&str>| match level {
            None | Some("warning") => SastLevel::Medium,
            Some("note") | Some("none") => SastLevel::Note,
            Some("error") => SastLevel::High,
            Some(_) => SastLevel::Critical,
        };
        let mut levels = Vec::new();
        if let Some(word) = result["properties"]["severity"].as_str() {
            levels.push(Self::from_word(word).unwrap_or(SastLevel::Critical));
        }
        match result["level"].as_str() {
            Some(level) => levels.push(from_sarif_level(Some(level))),
            None => {
                let defaults: Vec<SastLevel> = rules
                    .iter()
                    .filter_map(|r| r["defaultConfiguration"]["level"].as_str())
                    .map(|l| from_sarif_level(Some(l)))
                    .collect();
                if defaults.is_empty() {
                    levels.push(SastLevel::Medium);
                } else {
                    levels.extend(defaults);
                }
            }
        }
        let scores: Vec<&Value> = if result["properties"]["security-severity"].is_null() {
            rules
                .iter()
                .map(|r| &r["properties"]["security-severity"])
                .filter(|v| !v.is_null())
                .collect()
        } else {
            vec![&result["properties"]["security-severity"]]
        };
        for v in scores {
            let x = v
                .as_str()
                .and_then(|s| s.trim().parse::<f64>().ok())
                .or_else(|| v.as_f64());
            levels.push(match x {
                Some(x) if x.is_finite() && (0.0..=10.0).contains(&x) => {
                    if x >= 9.0 {
                        SastLevel::Critical
                    } else if x >= 7.0 {
                        SastLevel::High
                    } else {
                        SastLevel::Note
                    }
                }
                _ => SastLevel::Critical,
            });
        }
        levels.into_iter().max().unwrap_or(SastLevel::Critical)
    }

    fn from_word(word: &str) -> Option<SastLevel> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "critical" => SastLevel::Critical,
            "high" | "error" => SastLevel::High,
            "medium" | "moderate" | "warning" => SastLevel::Medium,
            "low" => SastLevel::Low,
            "note" | "info" | "none" => SastLevel::Note,
            _ => return None,
        })
    }
}

/// Counts by level; every level is present, and no other key may be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SastCounts {
    /// Critical findings.
    pub critical: u64,
    /// High findings.
    pub high: u64,
    /// Medium findings.
    pub medium: u64,
    /// Low findings.
    pub low: u64,
    /// Notes.
    pub note: u64,
}

impl SastCounts {
    /// Count one finding at `level`.
    pub fn add(&mut self, level: SastLevel) {
        let slot = match level {
            SastLevel::Critical => &mut self.critical,
            SastLevel::High => &mut self.high,
            SastLevel::Medium => &mut self.medium,
            SastLevel::Low => &mut self.low,
            SastLevel::Note => &mut self.note,
        };
        *slot += 1;
    }

    /// Error-level findings: critical and high.
    pub fn errors(&self) -> u64 {
        self.critical.saturating_add(self.high)
    }

    /// All findings.
    pub fn total(&self) -> u64 {
        [self.critical, self.high, self.medium, self.low, self.note]
            .iter()
            .fold(0u64, |a, b| a.saturating_add(*b))
    }
}

/// Tollgate's SAST predicate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SastSummary {
    /// The scanner.
    pub tool: SastTool,
    /// Findings by level.
    pub counts: SastCounts,
    /// The number of results in the SARIF log; must equal the counts' total.
    pub results: u64,
    /// The SARIF log the counts summarise.
    pub sarif: SarifReference,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
/// The SAST predicate's `tool`.
pub struct SastTool {
    /// The tool's name.
    pub name: Value,
    #[serde(default)]
    /// Its version.
    pub version: Value,
    #[serde(default)]
    /// Its rule set version.
    pub ruleset: Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// The SARIF log a SAST summary refers to.
pub struct SarifReference {
    /// Its digests by algorithm.
    pub digest: BTreeMap<String, String>,
    /// Its media type.
    pub media_type: String,
}

impl SastSummary {
    /// The summary's own consistency: the counts add up to the results.
    pub fn check(&self) -> Result<(), PredicateError> {
        if self.counts.total() != self.results {
            return Err(PredicateError::Predicate {
                predicate_type: crate::statement::SAST_PREDICATE_TYPE.into(),
                message: format!(
                    "counts add up to {} but {} results are reported",
                    self.counts.total(),
                    self.results
                ),
            });
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// CycloneDX (as an attestation predicate)
// ---------------------------------------------------------------------------

/// The parts of a CycloneDX BOM a policy reads.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycloneDx {
    /// `bomFormat`: must be `CycloneDX`.
    pub bom_format: String,
    /// `specVersion`.
    pub spec_version: String,
    #[serde(default)]
    /// The document's metadata, untyped.
    pub metadata: Option<Value>,
    #[serde(default)]
    /// Top-level components.
    pub components: Vec<Component>,
}

#[derive(Clone, Debug, Deserialize)]
/// A CycloneDX component (nested components included).
pub struct Component {
    /// Its name.
    pub name: String,
    #[serde(default)]
    /// Its version.
    pub version: Option<String>,
    #[serde(default)]
    /// Its purl.
    pub purl: Option<String>,
    #[serde(default)]
    /// Its licences.
    pub licenses: Vec<LicenseChoice>,
    #[serde(default)]
    /// Components nested in it.
    pub components: Vec<Component>,
    /// CycloneDX `properties` (name/value pairs).
    #[serde(default)]
    pub properties: Vec<Property>,
}

/// A CycloneDX property.
#[derive(Clone, Debug, Deserialize)]
pub struct Property {
    /// The property's name.
    pub name: String,
    #[serde(default)]
    /// Its value.
    pub value: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
/// A CycloneDX licence entry: an expression or one licence.
pub struct LicenseChoice {
    #[serde(default)]
    /// An SPDX expression.
    pub expression: Option<String>,
    #[serde(default)]
    /// One licence, by id or name.
    pub license: Option<License>,
}

#[derive(Clone, Debug, Deserialize)]
/// A CycloneDX licence.
pub struct License {
    #[serde(default)]
    /// Its SPDX id.
    pub id: Option<String>,
    #[serde(default)]
    /// Its name, when it has no id.
    pub name: Option<String>,
}

/// Why an SBOM predicate's components or licences cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SbomPredicateError {
    /// A `bomFormat` other than CycloneDX.
    #[error("bomFormat is `{0}`, not CycloneDX")]
    NotCycloneDx(String),
    /// A licence entry with neither an expression, an id nor a name.
    #[error("a licence entry names no licence")]
    EmptyLicence,
    /// A licence text that does not resolve to SPDX ids.
    #[error(transparent)]
    Licence(#[from] LicenceError),
}

/// A licence text that does not name SPDX licences.
#[derive(Debug, thiserror::Error)]
pub enum LicenceError {
    /// A token that is no SPDX licence.
    #[error("`{token}` in `{text}` is not an SPDX licence")]
    UnknownLicence {
        /// The token.
        token: String,
        /// The whole text.
        text: String,
    },
    /// The token after `WITH` is no SPDX exception.
    #[error("`{token}` in `{text}` is not an SPDX exception")]
    UnknownException {
        /// The token.
        token: String,
        /// The whole text.
        text: String,
    },
    /// A text with no licence in it.
    #[error("`{0}` names no licence")]
    Empty(String),
}

impl CycloneDx {
    /// Check the format, then every component at any depth.
    pub fn all_components(&self) -> Result<Vec<&Component>, SbomPredicateError> {
        if self.bom_format != "CycloneDX" {
            return Err(SbomPredicateError::NotCycloneDx(self.bom_format.clone()));
        }
        let mut out = Vec::new();
        let mut stack: Vec<&Component> = self.components.iter().collect();
        while let Some(c) = stack.pop() {
            stack.extend(c.components.iter());
            out.push(c);
        }
        Ok(out)
    }
}

impl Component {
    /// Does the component say it is a cargo path package (`tollgate sbom`'s
    /// property `tollgate:cargo:source` = `path`)? A path package and a
    /// crates.io crate of one name and version share a purl.
    pub fn is_cargo_path_package(&self) -> bool {
        self.properties
            .iter()
            .any(|p| p.name == "tollgate:cargo:source" && p.value.as_deref() == Some("path"))
    }

    /// Every licence the component names, resolved to canonical SPDX ids
    /// (see [`canonical_licenses`]); `Err` with the text that could not be
    /// resolved.
    pub fn licenses(&self) -> Result<Vec<String>, SbomPredicateError> {
        let mut out = Vec::new();
        for l in &self.licenses {
            let texts: Vec<&String> = l
                .expression
                .iter()
                .chain(
                    l.license
                        .iter()
                        .flat_map(|lic| lic.id.iter().chain(lic.name.iter())),
                )
                .collect();
            if texts.is_empty() {
                return Err(SbomPredicateError::EmptyLicence);
            }
            for text in texts {
                out.extend(canonical_licenses(text)?);
            }
        }
        Ok(out)
    }
}

/// The licences an SPDX expression (or a licence id or name written
/// loosely: any case, `/` for OR, `+`, deprecated GNU ids) names, as
/// canonical SPDX ids: `GPL-3.0` becomes `GPL-3.0-only` and `GPL-3.0+`
/// becomes `GPL-3.0-or-later`. `LicenseRef-…` is kept as written. A token
/// that is no licence is an error, so a licence cannot hide behind a
/// spelling the reader does not know.
pub fn canonical_licenses(text: &str) -> Result<Vec<String>, LicenceError> {
    let mut out = Vec::new();
    let mut after_with = false;
    for token in text
        .split(|ch: char| ch.is_whitespace() || matches!(ch, '(' | ')' | '/' | ','))
        .filter(|t| !t.is_empty())
    {
        let upper = token.to_ascii_uppercase();
        if matches!(upper.as_str(), "AND" | "OR") {
            after_with = false;
            continue;
        }
        if upper == "WITH" {
            after_with = true;
            continue;
        }
        // Only SPDX's characters: `MIT;GPL-3.0-only` is not a licence.
        if !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        {
            return Err(LicenceError::UnknownLicence {
                token: token.to_string(),
                text: text.to_string(),
            });
        }
        if after_with {
            // The exception after WITH: an exception, or nothing.
            after_with = false;
            let known = spdx::identifiers::EXCEPTIONS
                .iter()
                .any(|e| e.name.eq_ignore_ascii_case(token));
            if known {
                continue;
            }
            return Err(LicenceError::UnknownException {
                token: token.to_string(),
                text: text.to_string(),
            });
        }
        if token.starts_with("LicenseRef-") || token.starts_with("DocumentRef-") {
            out.push(token.to_string());
            continue;
        }
        let plus = token.ends_with('+');
        let mut base = token.trim_end_matches('+').to_string();
        // Deprecated `GPL-3.0-with-GCC-exception`: the licence is the base.
        if let Some(at) = base.to_ascii_lowercase().find("-with-") {
            base.truncate(at);
        }
        let found = spdx::identifiers::LICENSES
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(&base))
            .and_then(|l| spdx::license_id(l.name))
            .or_else(|| {
                // An imprecise name counts only when it is the whole token
                // (the lookup matches prefixes: `GPL-3` would be GPL-2.0).
                spdx::imprecise_license_id(&base)
                    .filter(|(_, len)| *len == base.len())
                    .map(|(id, _)| id)
            });
        let Some(id) = found else {
            return Err(LicenceError::UnknownLicence {
                token: token.to_string(),
                text: text.to_string(),
            });
        };
        let name = id.name;
        let canonical = if id.is_gnu() && !name.ends_with("-only") && !name.ends_with("-or-later") {
            if plus {
                format!("{name}-or-later")
            } else {
                format!("{name}-only")
            }
        } else if plus && id.is_gnu() && name.ends_with("-only") {
            name.replace("-only", "-or-later")
        } else {
            name.to_string()
        };
        out.push(canonical);
    }
    if out.is_empty() {
        return Err(LicenceError::Empty(text.to_string()));
    }
    Ok(out)
}

/// Does a component licence (canonical) fall under a denied one? The same
/// id, or the `-or-later` form of a denied `-only` (which includes it).
pub fn license_denied(license: &str, denied: &str) -> bool {
    let Ok(denied) = canonical_licenses(denied) else {
        return license.eq_ignore_ascii_case(denied);
    };
    denied.iter().any(|d| {
        license.eq_ignore_ascii_case(d)
            || d.strip_suffix("-only")
                .is_some_and(|base| license.eq_ignore_ascii_case(&format!("{base}-or-later")))
    })
}

/// Crate names compare case-insensitively with `-` and `_` alike, as
/// crates.io treats them.
pub fn same_crate_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_severity_entry_counts() {
        let v: VulnResult = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [{"method": "CVSSv2", "score": "2.0"}, {"method": "CVSSv3", "score": "9.8"}]
        }))
        .unwrap();
        assert_eq!(v.rank(), 4);
        let unreadable: VulnResult = serde_json::from_value(serde_json::json!({
            "id": "X", "severity": [{"method": "CVSSv3", "score": "CVSS:3.1/AV:N"}]
        }))
        .unwrap();
        assert_eq!(unreadable.rank(), 4);
        let none: VulnResult =
            serde_json::from_value(serde_json::json!({"id": "X", "severity": []})).unwrap();
        assert_eq!(none.rank(), 4);
        assert_eq!(score_rank("NaN"), None);
        assert_eq!(score_rank("11"), None);
        assert_eq!(score_rank("5.0"), Some(2));
    }

    #[test]
    fn sast_levels_are_closed() {
        for (word, level) in [
            ("HIGH", SastLevel::High),
            ("error", SastLevel::High),
            ("Critical", SastLevel::Critical),
            ("severe", SastLevel::Critical),
        ] {
            let r = serde_json::json!({"properties": {"severity": word}});
            assert_eq!(
                SastLevel::of_sarif_result(&r, &serde_json::json!({})),
                level,
                "{word}"
            );
        }
        // A result without a level takes its rule's default; a
        // security-severity score raises the level.
        let run = serde_json::json!({"tool": {
            "driver": {"rules": [{"id": "r1", "defaultConfiguration": {"level": "error"}}]},
            "extensions": [{"rules": [{"id": "js/sql", "defaultConfiguration": {"level": "error"},
                "properties": {"security-severity": "9.1"}}]}]}});
        let by_rule = serde_json::json!({"ruleId": "r1"});
        assert_eq!(SastLevel::of_sarif_result(&by_rule, &run), SastLevel::High);
        // CodeQL: rules in an extension, named through toolComponent, and a
        // hierarchical id.
        let ext = serde_json::json!({"rule": {"index": 0, "toolComponent": {"index": 0}}});
        assert_eq!(SastLevel::of_sarif_result(&ext, &run), SastLevel::Critical);
        let child = serde_json::json!({"ruleId": "js/sql/taint"});
        assert_eq!(
            SastLevel::of_sarif_result(&child, &run),
            SastLevel::Critical
        );
        // A word never lowers the level.
        let mixed = serde_json::json!({"level": "error", "properties": {"severity": "low"}});
        assert_eq!(SastLevel::of_sarif_result(&mixed, &run), SastLevel::High);
        let scored =
            serde_json::json!({"level": "warning", "properties": {"security-severity": "9.8"}});
        assert_eq!(
            SastLevel::of_sarif_result(&scored, &serde_json::json!({})),
            SastLevel::Critical
        );
        let counts = serde_json::json!({"critical": 0, "high": 0, "medium": 0, "low": 0, "note": 0, "HIGH": 3});
        assert!(serde_json::from_value::<SastCounts>(counts).is_err());
    }

    #[test]
    fn statements_reject_duplicate_keys_and_unknown_types() {
        let ok = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"AB"}}],"predicateType":"x","predicate":{}}"#;
        let s = Statement::from_payload(ok).unwrap();
        assert!(s.names_sha256("ab"));
        let dup = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"ab"}}],"predicateType":"x","predicateType":"y","predicate":{}}"#;
        assert!(Statement::from_payload(dup).is_err());
        let no_subject =
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}"#;
        assert!(Statement::from_payload(no_subject).is_err());
    }

    #[test]
    fn licences_resolve_loosely_and_deny_strictly() {
        assert_eq!(
            canonical_licenses("gpl-3.0-only OR mit").unwrap(),
            vec!["GPL-3.0-only", "MIT"]
        );
        assert_eq!(
            canonical_licenses("GPL-3.0/MIT").unwrap(),
            vec!["GPL-3.0-only", "MIT"]
        );
        assert_eq!(
            canonical_licenses("GPL-3.0+").unwrap(),
            vec!["GPL-3.0-or-later"]
        );
        assert_eq!(
            canonical_licenses("Apache-2.0 WITH LLVM-exception").unwrap(),
            vec!["Apache-2.0"]
        );
        assert!(canonical_licenses("Some Custom Licence").is_err());
        // Prefix matches and separators outside SPDX's characters are refused.
        for bad in [
            "MIT;GPL-3.0-only",
            "MIT&GPL-3.0-only",
            "GPL-3",
            "LGPLv3",
            "",
            "AND OR",
            "WITH Classpath-exception-2.0",
        ] {
            assert!(canonical_licenses(bad).is_err(), "{bad}");
        }
        assert_eq!(
            canonical_licenses("GPL-3.0-with-GCC-exception").unwrap(),
            vec!["GPL-3.0-only"]
        );
        assert!(license_denied("GPL-3.0-or-later", "GPL-3.0-only"));
        assert!(license_denied("GPL-3.0-only", "GPL-3.0"));
        assert!(!license_denied("MIT", "GPL-3.0-only"));
    }

    #[test]
    fn provenance_sources_include_every_vcs_dependency() {
        let p: Provenance = serde_json::from_value(serde_json::json!({
            "buildDefinition": {"buildType": "x", "externalParameters": {},
                "resolvedDependencies": [
                    {"uri": "git+https://github.com/org/app@refs/heads/main"},
                    {"uri": "https://github.com/evil/backdoor/archive/main.tar.gz"},
                    {"uri": "git://github.com/evil/other@refs/heads/evil"},
                    {"uri": "pkg:cargo/serde@1.0.0"}
                ]},
            "runDetails": {"builder": {"id": "b"}}
        }))
        .unwrap();
        let sources = p.source_repositories();
        for (uri, repo) in [
            (
                "https://codeload.github.com/Evil/x/tar.gz/refs/heads/main",
                "https://github.com/evil/x",
            ),
            (
                "https://api.github.com/repos/evil/x/tarball/main",
                "https://github.com/evil/x",
            ),
            (
                "https://token@github.com:443/evil/x.git",
                "https://github.com/evil/x",
            ),
            (
                "https://github.com./org/app/../../evil/x/archive/main.tar.gz",
                "https://github.com/evil/x",
            ),
            ("deploy@github.com:evil/x.git", "https://github.com/evil/x"),
            (
                "svn://svn.example.org/repo/trunk",
                "svn://svn.example.org/repo/trunk",
            ),
        ] {
            assert_eq!(source_of(uri).map(|s| s.0).as_deref(), Some(repo), "{uri}");
        }
        assert_eq!(source_of("pkg:cargo/serde@1.0.0"), None);
        assert_eq!(
            source_of("https://static.crates.io/crates/serde/serde-1.0.0.crate"),
            None
        );
        assert_eq!(
            source_of("https://github.com/org/app/archive/refs/heads/evil.tar.gz")
                .and_then(|s| s.1)
                .as_deref(),
            Some("refs/heads/evil")
        );
        assert!(
            sources.contains(&"https://github.com/org/app".to_string()),
            "{sources:?}"
        );
        assert!(
            sources.contains(&"https://github.com/evil/backdoor".to_string()),
            "{sources:?}"
        );
        assert!(
            sources.iter().any(|s| s.contains("evil/other")),
            "{sources:?}"
        );
        assert_eq!(sources.len(), 3, "{sources:?}");
        assert!(p.refs().contains(&"refs/heads/evil".to_string()));
    }

    #[test]
    fn nested_components_are_read() {
        let bom: CycloneDx = serde_json::from_value(serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "components": [{"name": "a", "components": [{"name": "openssl", "version": "1"}]}]
        }))
        .unwrap();
        let names: Vec<&str> = bom
            .all_components()
            .unwrap()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert!(names.contains(&"openssl"));
    }

    #[test]
    fn build_facts_are_read_only_from_a_tollgate_build() {
        let mut p: Provenance = serde_json::from_value(serde_json::json!({
            "buildDefinition": {
                "buildType": CARGO_BUILD_TYPE,
                "externalParameters": {},
                "internalParameters": { "build": {
                    "hermetic": true, "sandbox": "netns", "environment": {},
                    "toolchain": { "rustcVersion": "rustc 1.95.0\nrelease: 1.95.0\ncommit-hash: abc",
                        "cargoVersion": "cargo 1.95.0", "rustcSha256": "00", "cargoSha256": "11" },
                    "auditable": true,
                    "reproducible": { "checked": true, "identical": true }
                } },
                "resolvedDependencies": [
                    { "uri": "pkg:cargo/serde@1.0.0", "digest": { "sha256": "aa" } },
                    { "uri": "pkg:cargo/my%2Bcrate@0.1.0?vcs_url=git%2Bhttps%3A%2F%2Fx", "digest": { "gitCommit": "bb" } },
                    { "uri": "pkg:cargo/app@0.1.0", "annotations": { "source": "path" } },
                    { "uri": "git+https://github.com/o/r@refs/heads/main" }
                ]
            },
            "runDetails": { "builder": { "id": "https://example.com/b" } }
        }))
        .unwrap();
        let facts = p.build_facts().unwrap();
        assert!(facts.hermetic);
        assert_eq!(facts.toolchain.rustc_field("release"), Some("1.95.0"));
        assert_eq!(facts.toolchain.rustc_field("commit-hash"), Some("abc"));
        let (deps, local) = p.cargo_packages().unwrap();
        assert_eq!(
            deps.iter()
                .map(|d| (d.name.as_str(), d.version.as_str()))
                .collect::<Vec<_>>(),
            vec![("my+crate", "0.1.0"), ("serde", "1.0.0")]
        );
        assert_eq!(
            deps.iter().next().unwrap().qualifiers["vcs_url"],
            "git+https://x"
        );
        assert_eq!(local.len(), 1);
        // An unknown sandbox spelling does not read.
        for bad in ["None", "", "NETNS", "chroot"] {
            let mut q = p.clone();
            q.build_definition.internal_parameters.as_mut().unwrap()["build"]["sandbox"] =
                serde_json::json!(bad);
            assert!(q.build_facts().is_err(), "{bad}");
        }
        assert!(!facts.sandbox.is_hermetic());
        // The purl is a package, not a source repository.
        assert_eq!(
            p.source_repositories(),
            vec!["https://github.com/o/r".to_string()]
        );
        // A missing field is not a default: the facts do not read.
        p.build_definition.internal_parameters =
            Some(serde_json::json!({ "build": { "hermetic": true } }));
        assert!(p.build_facts().is_err());
        p.build_definition.build_type = "https://example.com/other".into();
        assert!(p
            .build_facts()
            .unwrap_err()
            .to_string()
            .contains("not a `tollgate build`"));
    }

    /// One package, one spelling: every other spelling of a cargo purl is
    /// refused, not silently skipped or folded into `serde`.
    #[test]
    fn cargo_purls_are_parsed_strictly() {
        let ok = CargoPurl::parse("pkg:cargo/serde@1.0.0").unwrap();
        assert_eq!((ok.name.as_str(), ok.version.as_str()), ("serde", "1.0.0"));
        assert!(ok.qualifiers.is_empty());
        let git = CargoPurl::parse("pkg:cargo/x@0.1.0%2Bmeta?vcs_url=git%2Bhttps%3A%2F%2Fe.x%2Fr")
            .unwrap();
        assert_eq!(git.version, "0.1.0+meta");
        assert_eq!(git.qualifiers["vcs_url"], "git+https://e.x/r");
        // Another registry is another package.
        let other = CargoPurl::parse(
            "pkg:cargo/serde@1.0.0?repository_url=https%3A%2F%2Fevil.example%2Findex",
        )
        .unwrap();
        assert_ne!(other, ok);
        for bad in [
            "PKG:CARGO/evil@6.6.6",
            "pkg:Cargo/serde@1.0.0",
            "pkg:npm/serde@1.0.0",
            "pkg:cargo/ser%64e@1.0.0",
            "pkg:cargo/serde@1.0.0+x",
            "pkg:cargo/ns/serde@1.0.0",
            "pkg:cargo/serde",
            "pkg:cargo/@1.0.0",
            "pkg:cargo/serde@1.0.0#sub",
            "pkg:cargo/serde@1.0.0?checksum=sha256:00",
            "pkg:cargo/serde@1.0.0?repository_url=a&repository_url=a",
            "pkg:cargo/serde@1%2",
        ] {
            assert!(CargoPurl::parse(bad).is_err(), "{bad} was accepted");
        }
        // A provenance dependency in another spelling is an error, not skipped.
        let p: Provenance = serde_json::from_value(serde_json::json!({
            "buildDefinition": {
                "buildType": CARGO_BUILD_TYPE, "externalParameters": {},
                "resolvedDependencies": [ { "uri": "PKG:CARGO/evil@6.6.6" } ]
            },
            "runDetails": { "builder": { "id": "https://example.com/b" } }
        }))
        .unwrap();
        assert!(p.cargo_packages().is_err());
    }
}
