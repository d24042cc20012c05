//! The admission policy: who may sign, which attestations must exist, and
//! what they must say. YAML, strict: unknown keys are errors, and every
//! error names its line.

use serde::Deserialize;
use serde_saphyr::Spanned;

/// The only `apiVersion` a policy may have.
pub const API_VERSION: &str = "tollgate.dev/v1";

/// A pattern that must match a whole value (an identity, an issuer), as
/// `^(?:PATTERN)$`. The pattern is compiled on its own first: spliced into
/// the anchors unchecked, an unbalanced `a)|(b` would close the group
/// itself and turn the anchors into alternatives that match anything
/// ending in `b`. A pattern that is not a regular expression by itself is
/// refused (Go's regexp, which cosign uses, refuses it too).
pub fn whole_value_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(pattern)?;
    regex::Regex::new(&format!("^(?:{pattern})$"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// A deploy policy (`policy.yaml`), as written, with positions for errors.
pub struct Policy {
    /// Must be [`API_VERSION`].
    pub api_version: Spanned<String>,
    /// Must be `Policy`.
    pub kind: Spanned<String>,
    /// The policy's name (unique in a policy set).
    pub name: String,
    #[serde(default)]
    /// Enforce (the default) or warn.
    pub mode: Mode,
    /// Which images and namespaces the policy applies to (admission).
    #[serde(default)]
    pub scope: Scope,
    /// An image in a namespace this policy covers that no policy's image
    /// scope matches: `deny` (the default), `warn` or `allow`.
    #[serde(default)]
    pub no_match: NoMatch,
    /// Who may sign: keys and keyless identities.
    pub authorities: Vec<Authority>,
    /// How many distinct authorities must have signed valid attestations.
    #[serde(default)]
    pub threshold: Option<Spanned<usize>>,
    #[serde(default)]
    /// Attestations the subject must carry, with their conditions.
    pub attestations: Vec<Requirement>,
    /// A Rego module (`package tollgate`, a `deny` set of messages) over
    /// the verified attestations, for conditions the built-in ones lack.
    #[serde(default)]
    pub rego: Option<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// What a failed policy does.
pub enum Mode {
    #[default]
    /// Deny the deploy.
    Enforce,
    /// Allow it, reporting the violations as warnings.
    Warn,
}

/// What admission does with an image no policy's image scope matches.
#[derive(
    Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, PartialOrd, Ord, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum NoMatch {
    /// Admit the image.
    Allow,
    /// Admit the image with a warning.
    Warn,
    #[default]
    /// Deny the image.
    Deny,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// Where a policy applies (admission).
pub struct Scope {
    #[serde(default)]
    /// Image globs (`ghcr.io/org/*`); all images when empty.
    pub images: Vec<String>,
    #[serde(default)]
    /// Kubernetes namespaces; all namespaces when empty.
    pub namespaces: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// One signer the policy trusts: a key or a keyless identity.
pub struct Authority {
    /// The authority's name (reports, decisions).
    pub name: Spanned<String>,
    /// Who holds the key: authorities with the same principal (an old and
    /// a new key of one signer, after a rotation) count once towards the
    /// threshold. Default: the authority's name.
    #[serde(default)]
    pub principal: Option<Spanned<String>>,
    /// SPKI PEM public key.
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    #[serde(default)]
    /// A Fulcio certificate identity instead of a key.
    pub keyless: Option<Keyless>,
    /// The key may only be trusted between these dates (`YYYY-MM-DD`), so
    /// keys rotate without a flag day.
    #[serde(default)]
    pub valid_from: Option<Spanned<String>>,
    #[serde(default)]
    /// The last day the key may be trusted (`YYYY-MM-DD`).
    pub valid_until: Option<Spanned<String>>,
    /// Accept keyed bundles without a transparency-log entry.
    #[serde(default)]
    pub allow_unlogged: bool,
    /// Demand a verified transparency-log entry: keyless bundles that carry
    /// only an RFC 3161 timestamp (GitHub's attestations for private
    /// repositories) are then refused.
    #[serde(default)]
    pub require_tlog: bool,
}

impl Authority {
    /// The principal this authority's signatures count for.
    pub fn principal(&self) -> &str {
        self.principal
            .as_ref()
            .map(|p| p.value.as_str())
            .unwrap_or(&self.name.value)
    }
}

/// A keyless signer: the OIDC issuer and the certificate's identity, given
/// exactly (`subject`), as a pattern over the whole identity
/// (`subjectRegExp`, like cosign's `--certificate-identity-regexp`), or as
/// a GitHub Actions workflow (`github`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Keyless {
    #[serde(default)]
    /// The OIDC issuer, exactly.
    pub issuer: Option<Spanned<String>>,
    #[serde(default)]
    /// The certificate identity, exactly.
    pub subject: Option<Spanned<String>>,
    #[serde(default)]
    /// The certificate identity, as a regular expression over the whole identity.
    pub subject_reg_exp: Option<Spanned<String>>,
    #[serde(default)]
    /// A GitHub Actions workflow identity, spelled as repository, workflow and ref.
    pub github: Option<GitHubIdentity>,
    /// A Sigstore trusted root (JSON file) for a private Fulcio/Rekor
    /// instance; relative to the policy file. Default: the public-good root.
    #[serde(default)]
    pub trusted_root: Option<Spanned<String>>,
}

/// `github: {repository: org/app, workflow: release.yml, ref: refs/heads/main}`.
/// Without `workflow`, any workflow of the repository; without `ref`, any
/// branch or tag.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitHubIdentity {
    /// `org/app`.
    pub repository: Spanned<String>,
    #[serde(default)]
    /// The workflow file (`release.yml`); any when absent.
    pub workflow: Option<String>,
    #[serde(default, rename = "ref")]
    /// The git ref (`refs/heads/main`); any when absent.
    pub git_ref: Option<String>,
}

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// What a keyless authority accepts, resolved from the policy.
#[derive(Debug, Clone)]
pub struct IdentityRule {
    /// The OIDC issuer, exactly.
    pub issuer: String,
    /// The identity, exactly; or else `pattern`, matched against the whole identity.
    pub exact: Option<String>,
    /// A pattern anchored to the whole identity.
    pub pattern: Option<regex::Regex>,
    /// The source repository the certificate must name (`github`
    /// identities): a reusable workflow's certificate carries the caller's
    /// repository here and the workflow's own in its identity, so the
    /// identity alone would admit any repository calling it.
    pub source_repository: Option<String>,
}

impl IdentityRule {
    /// Does a certificate's issuer and identity satisfy the rule?
    pub fn matches(&self, issuer: &str, identity: &str) -> bool {
        issuer == self.issuer
            && match (&self.exact, &self.pattern) {
                (Some(exact), _) => identity == exact,
                (None, Some(pattern)) => pattern.is_match(identity),
                (None, None) => false,
            }
    }
}

impl Keyless {
    /// The trust root bundles for this authority are verified against.
    pub fn trust(&self) -> tollgate_attest::verify::Trust {
        match &self.trusted_root {
            Some(path) => tollgate_attest::verify::Trust::File(path.value.clone().into()),
            None => tollgate_attest::verify::Trust::PublicGood,
        }
    }

    /// The rule, or a problem (with its line) when the entry is ambiguous or invalid.
    pub fn rule(&self) -> Result<IdentityRule, (usize, String)> {
        let line = self
            .issuer
            .as_ref()
            .map(|i| i.referenced.line() as usize)
            .or(self.subject.as_ref().map(|s| s.referenced.line() as usize))
            .or(self
                .subject_reg_exp
                .as_ref()
                .map(|s| s.referenced.line() as usize))
            .or(self
                .github
                .as_ref()
                .map(|g| g.repository.referenced.line() as usize))
            .unwrap_or(1);
        let given = [
            self.subject.is_some(),
            self.subject_reg_exp.is_some(),
            self.github.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            return Err((
                line,
                "keyless: give exactly one of `subject`, `subjectRegExp` or `github`".into(),
            ));
        }
        let anchored = |p: &str, line: usize| {
            whole_value_regex(p).map_err(|e| {
                (
                    line,
                    format!("keyless: subjectRegExp is not a valid pattern: {e}"),
                )
            })
        };
        if let Some(github) = &self.github {
            if let Some(issuer) = &self.issuer {
                if issuer.value != GITHUB_ISSUER {
                    return Err((
                        issuer.referenced.line() as usize,
                        format!("keyless: `github` identities are issued by {GITHUB_ISSUER}"),
                    ));
                }
            }
            let repo = github.repository.value.trim_matches('/');
            let repo_line = github.repository.referenced.line() as usize;
            if repo.split('/').count() != 2 || repo.split('/').any(str::is_empty) {
                return Err((
                    repo_line,
                    format!("keyless: github repository `{repo}` must be `owner/name`"),
                ));
            }
            let workflow = github.workflow.as_deref().map(|w| {
                let w = w.trim_start_matches("./");
                if w.starts_with(".github/workflows/") {
                    w.to_string()
                } else {
                    format!(".github/workflows/{w}")
                }
            });
            let prefix = format!("https://github.com/{repo}/");
            let source = format!("https://github.com/{repo}");
            return Ok(match (&workflow, &github.git_ref) {
                (Some(w), Some(r)) => IdentityRule {
                    issuer: GITHUB_ISSUER.into(),
                    exact: Some(format!("{prefix}{w}@{r}")),
                    pattern: None,
                    source_repository: Some(source),
                },
                _ => {
                    let w = workflow
                        .as_deref()
                        .map_or_else(|| r"\.github/workflows/[^@/]+".to_string(), regex::escape);
                    let r = github
                        .git_ref
                        .as_deref()
                        .map_or_else(|| "refs/(?:heads|tags)/.+".to_string(), regex::escape);
                    IdentityRule {
                        issuer: GITHUB_ISSUER.into(),
                        exact: None,
                        pattern: Some(anchored(
                            &format!("{}{w}@{r}", regex::escape(&prefix)),
                            repo_line,
                        )?),
                        source_repository: Some(source),
                    }
                }
            });
        }
        let Some(issuer) = &self.issuer else {
            return Err((
                line,
                "keyless: `issuer` is required (the OIDC issuer URL)".into(),
            ));
        };
        if let Some(subject) = &self.subject {
            let v = &subject.value;
            if !v.starts_with("https://") && !v.contains('@') && !v.starts_with("repo:") {
                return Err((
                    subject.referenced.line() as usize,
                    "keyless: subject should be a URI or an email address".into(),
                ));
            }
            return Ok(IdentityRule {
                issuer: issuer.value.clone(),
                exact: Some(v.clone()),
                pattern: None,
                source_repository: None,
            });
        }
        let pattern = self
            .subject_reg_exp
            .as_ref()
            .map(|p| anchored(&p.value, p.referenced.line() as usize));
        match pattern {
            Some(p) => Ok(IdentityRule {
                issuer: issuer.value.clone(),
                exact: None,
                pattern: Some(p?),
                source_repository: None,
            }),
            None => Err((line, "keyless: no identity".into())),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// One attestation the subject must carry, and its conditions.
pub struct Requirement {
    /// Predicate type URI, or `provenance`, `sbom`, `vulns`, `sast`.
    #[serde(rename = "type")]
    pub predicate_type: Spanned<String>,
    #[serde(default)]
    /// Conditions on a SLSA provenance.
    pub provenance: Option<ProvenanceConditions>,
    #[serde(default)]
    /// Conditions on a CycloneDX SBOM.
    pub sbom: Option<SbomConditions>,
    #[serde(default)]
    /// Conditions on a vulnerability scan.
    pub vulns: Option<VulnsConditions>,
    #[serde(default)]
    /// Conditions on Tollgate's SAST summary.
    pub sast: Option<SastConditions>,
    /// The attestation must be at most this old (`30d`, `12h`, `2w`),
    /// counted from its log entry's time or, unlogged, the time its signed
    /// predicate records.
    #[serde(default)]
    pub max_age: Option<Spanned<String>>,
}

/// A `toolchains:` entry: a release (`1.95.0`, `1.96.0-nightly`), a
/// commit hash (40 hex) or the rustc binary's `sha256:<64 hex>`. Only the
/// last is strong: a release or commit is what the binary says of itself
/// (`rustc -vV`), which a wrapper can say too.
fn toolchain_entry_valid(t: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(h) = t.strip_prefix("sha256:") {
        return hex(h, 64);
    }
    if hex(t, 40) {
        return true;
    }
    let (core, pre) = match t.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (t, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        })
}

/// `30d`, `12h`, `2w`, `90m` to seconds.
pub fn parse_age(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    let unit = match unit {
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// RFC 3339 in UTC (`2026-01-02T03:04:05Z`, fractions ignored) to Unix seconds.
pub fn parse_rfc3339_utc(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let day = valid_date(date)?;
    let time = rest
        .strip_suffix('Z')
        .or_else(|| rest.strip_suffix("+00:00"))?;
    let time = time.split('.').next()?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    match (hms.next()?, hms.next()?, hms.next()?, hms.next()) {
        (Some(h @ 0..=23), Some(m @ 0..=59), Some(s @ 0..=60), None) => {
            Some(day + h * 3_600 + m * 60 + s)
        }
        _ => None,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// What a provenance must say about the build.
pub struct ProvenanceConditions {
    #[serde(default)]
    /// Allowed `builder.id`s; any when empty.
    pub builder_ids: Vec<String>,
    #[serde(default)]
    /// Allowed source repositories; any when empty.
    pub source_repositories: Vec<String>,
    #[serde(default)]
    /// Allowed git refs; any when empty.
    pub refs: Vec<String>,
    /// The build ran without network (`tollgate build` in its sandbox).
    #[serde(default)]
    pub hermetic: bool,
    /// The rustc the build used: each entry a release (`1.95.0`), a
    /// commit hash, or the binary's `sha256:<hex>`. Only `sha256:` is
    /// strong: a release or commit is what the binary printed of itself.
    /// Checked on load (no empty or malformed entries).
    #[serde(default)]
    pub toolchains: Vec<String>,
    /// A second build elsewhere produced identical artifacts.
    #[serde(default)]
    pub reproducible: bool,
    /// Every verified SBOM for the subject lists exactly the crates the
    /// provenance resolved (by name and version): one build, one truth.
    #[serde(default)]
    pub match_sbom: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// What an SBOM must not contain.
pub struct SbomConditions {
    #[serde(default)]
    /// Licences no component may have (SPDX ids).
    pub denied_licenses: Vec<String>,
    #[serde(default)]
    /// Crates that must not be components.
    pub banned_crates: Vec<String>,
    /// The artifact must be a binary built with `cargo auditable`, and
    /// every crate compiled into it must be listed in the attested SBOM
    /// (so the SBOM describes this binary, not some other build).
    #[serde(default)]
    pub match_binary: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// How severe the vulnerabilities of a scan may be.
pub struct VulnsConditions {
    /// The highest CVSS severity allowed: none, low, medium, high, critical.
    pub max_severity: Spanned<String>,
    /// A vulnerability whose vulnerable code is not reachable (a VEX-style
    /// `not_affected` judgement from the audit) does not count.
    #[serde(default)]
    pub ignore_not_reachable: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
/// How many SAST findings are allowed.
pub struct SastConditions {
    /// The most error-level (critical or high) findings allowed.
    #[serde(default)]
    pub max_errors: u64,
}

/// The rank of a severity name (`none` 0 … `critical` 4), any case.
pub fn severity_rank(name: &str) -> Option<u8> {
    ["none", "low", "medium", "high", "critical"]
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name))
        .map(|p| p as u8)
}

/// A policy problem at a line.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn at<T>(s: &Spanned<T>, message: impl Into<String>) -> Problem {
    Problem {
        line: s.referenced.line() as usize,
        message: message.into(),
    }
}

/// The built-in predicate type a short name stands for.
pub fn expand_type(t: &str) -> &str {
    match t {
        "provenance" => "https://slsa.dev/provenance/v1",
        "sbom" => "https://cyclonedx.org/bom",
        "vulns" => "https://in-toto.io/attestation/vulns/v0.2",
        "sast" => tollgate_attest::statement::SAST_PREDICATE_TYPE,
        other => other,
    }
}

/// A calendar date (`YYYY-MM-DD`, a real day: no `2026-02-31`) to Unix
/// seconds at its start, UTC.
pub fn valid_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// How long before an authority's `validUntil` a notice is given (the
/// rotation policy asks for 7 days' notice).
pub const EXPIRY_NOTICE_DAYS: i64 = 7;

impl Policy {
    /// Authorities whose key expires within `EXPIRY_NOTICE_DAYS` of `now`
    /// (Unix seconds), or has expired: `(name, validUntil)`.
    pub fn expiring_authorities(&self, now: i64) -> Vec<(String, String)> {
        self.authorities
            .iter()
            .filter_map(|a| {
                let until = a.valid_until.as_ref()?;
                let end = valid_date(&until.value)? + 86_400;
                (end - now <= EXPIRY_NOTICE_DAYS * 86_400)
                    .then(|| (a.name.value.clone(), until.value.clone()))
            })
            .collect()
    }

    /// Keyless authorities that name a GitHub Actions identity as
    /// `subject` or `subjectRegExp`: like cosign's
    /// `--certificate-identity`, they match the workflow's identity only,
    /// which a reusable workflow keeps when another repository calls it
    /// (red team rt61). `github: {repository, workflow, ref}` also
    /// requires the certificate's source repository. Their names.
    pub fn github_identities_without_source(&self) -> Vec<String> {
        self.authorities
            .iter()
            .filter(|a| {
                a.keyless.as_ref().is_some_and(|k| {
                    k.github.is_none()
                        && k.issuer.as_ref().is_some_and(|i| i.value == GITHUB_ISSUER)
                })
            })
            .map(|a| a.name.value.clone())
            .collect()
    }

    /// How many distinct authorities must have signed (default 1).
    pub fn threshold(&self) -> usize {
        self.threshold.as_ref().map(|t| t.value).unwrap_or(1)
    }

    /// The files a policy reads besides its own text (each keyless
    /// authority's `trustedRoot`), as written or, after
    /// [`Policy::anchor_files`], as absolute paths.
    pub fn referenced_files(&self) -> Vec<std::path::PathBuf> {
        self.authorities
            .iter()
            .filter_map(|a| a.keyless.as_ref()?.trusted_root.as_ref())
            .map(|r| std::path::PathBuf::from(&r.value))
            .collect()
    }

    /// Resolve file references (keyless `trustedRoot`) against the policy
    /// file's directory and check that each one loads, so a missing or
    /// broken trust root is a policy error, not a silent denial later.
    pub fn anchor_files(&mut self, base_dir: &std::path::Path) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        for a in &mut self.authorities {
            let name = a.name.value.clone();
            let Some(root) = a.keyless.as_mut().and_then(|k| k.trusted_root.as_mut()) else {
                continue;
            };
            let path = base_dir.join(&root.value);
            root.value = path.to_string_lossy().into_owned();
            let trust = tollgate_attest::verify::Trust::File(path);
            if let Err(e) = tollgate_attest::verify::load_trust(&trust) {
                problems.push(at(root, format!("authority `{name}`: trustedRoot: {e}")));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Parse and check a policy; every problem carries its line.
    pub fn parse(text: &str) -> Result<Policy, Vec<Problem>> {
        let policy: Policy = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line() as usize).unwrap_or(0);
            let message = e
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .to_string();
            vec![Problem { line, message }]
        })?;
        let problems = policy.check();
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems)
        }
    }

    fn check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        // Names appear in logs, reasons and annotations, one per line, and
        // must read as what they are: printable ASCII, so no control,
        // invisible or bidirectional character makes two names look alike.
        // Lists of names are joined with ", ", so no name may hold a comma
        // or start or end with a space.
        if self.name.trim().is_empty()
            || self.name.trim() != self.name
            || self.name.len() > 253
            || self.name.contains(',')
            || !self.name.chars().all(|c| c.is_ascii_graphic() || c == ' ')
        {
            out.push(Problem {
                line: 1,
                message: format!(
                    "name {:?}: must be non-empty, at most 253 bytes of printable ASCII (no control characters, no comma, no leading or trailing space)",
                    self.name
                ),
            });
        }
        for r in &self.attestations {
            for t in r.provenance.iter().flat_map(|p| &p.toolchains) {
                if !toolchain_entry_valid(t) {
                    out.push(at(
                        &r.predicate_type,
                        format!("toolchains: `{t}` is not a rustc release (`1.95.0`), a 40-hex commit hash or `sha256:<64 hex>`"),
                    ));
                }
            }
            if let Some(age) = &r.max_age {
                if parse_age(&age.value).is_none() {
                    out.push(at(
                        age,
                        format!(
                            "maxAge `{}`: expected a number and a unit (m, h, d, w), like `30d`",
                            age.value
                        ),
                    ));
                }
            }
        }
        let mut globs = Vec::new();
        for g in &self.scope.images {
            match crate::reference::ScopeGlob::new(g) {
                Ok(glob) => globs.push(glob),
                Err(e) => out.push(Problem {
                    line: 1,
                    message: e.to_string(),
                }),
            }
        }
        // All of them as one matcher, as a server loads them.
        if globs.len() == self.scope.images.len() {
            if let Err(e) = crate::reference::ScopeSet::new(&globs) {
                out.push(Problem {
                    line: 1,
                    message: e.to_string(),
                });
            }
        }
        // Namespaces are matched by name: one that is not a valid name
        // (`prod*`, `Prod`, `"prod "`) would match nothing, and the policy
        // would silently apply nowhere.
        for ns in &self.scope.namespaces {
            let label = !ns.is_empty()
                && ns.len() <= 63
                && ns
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !ns.starts_with('-')
                && !ns.ends_with('-');
            if !label {
                out.push(Problem {
                    line: 1,
                    message: format!(
                        "scope.namespaces: `{ns}` is not a namespace name (lower-case letters, digits and `-`, at most 63; no patterns): it would match no namespace"
                    ),
                });
            }
        }
        if let Some(rego) = &self.rego {
            if let Err(e) = crate::rego::check(&rego.value) {
                out.push(at(rego, format!("rego: {e}")));
            }
        }
        if self.api_version.value != API_VERSION {
            out.push(at(
                &self.api_version,
                format!("apiVersion must be `{API_VERSION}`"),
            ));
        }
        if self.kind.value != "Policy" {
            out.push(at(&self.kind, "kind must be `Policy`"));
        }
        if self.authorities.is_empty() {
            out.push(Problem {
                line: 1,
                message: "at least one authority is required".into(),
            });
        }
        for a in &self.authorities {
            match (&a.key, &a.keyless) {
                (Some(key), None) => {
                    if tollgate_attest::keys::public_key_algorithm(&key.value).is_none() {
                        out.push(at(key, format!("authority `{}`: key is not an SPKI PEM public key of a supported type (ECDSA P-256 or P-384, RSA of 2048 bits or more, Ed25519)", a.name.value)));
                    }
                    if a.require_tlog && a.allow_unlogged {
                        out.push(at(&a.name, format!("authority `{}`: requireTlog and allowUnlogged contradict each other", a.name.value)));
                    }
                }
                (None, Some(k)) => {
                    if a.allow_unlogged {
                        out.push(at(&a.name, format!("authority `{}`: allowUnlogged is for keyed authorities (keyless certificates are trusted only with a log entry or a signed timestamp)", a.name.value)));
                    }
                    if let Err((line, message)) = k.rule() {
                        out.push(Problem {
                            line,
                            message: format!("authority `{}`: {message}", a.name.value),
                        });
                    }
                }
                _ => out.push(at(
                    &a.name,
                    format!(
                        "authority `{}`: give exactly one of `key` or `keyless`",
                        a.name.value
                    ),
                )),
            }
            for d in [&a.valid_from, &a.valid_until].into_iter().flatten() {
                if valid_date(&d.value).is_none() {
                    out.push(at(
                        d,
                        format!(
                            "authority `{}`: `{}` is not a YYYY-MM-DD date",
                            a.name.value, d.value
                        ),
                    ));
                }
            }
        }
        // Names are unique, and one key belongs to one principal: otherwise
        // a single key holder could count twice towards the threshold.
        let mut names = std::collections::BTreeSet::new();
        let mut keys: std::collections::BTreeMap<Vec<u8>, &str> = Default::default();
        for a in &self.authorities {
            if !names.insert(a.name.value.as_str()) {
                out.push(at(
                    &a.name,
                    format!("authority `{}` is listed twice", a.name.value),
                ));
            }
            if let Some(key) = &a.key {
                let Some(normalised) = tollgate_attest::keys::public_key_fingerprint(&key.value)
                else {
                    out.push(at(
                        key,
                        format!(
                            "authority `{}`: key must be exactly one PEM public key block",
                            a.name.value
                        ),
                    ));
                    continue;
                };
                match keys.get(&normalised) {
                    Some(other) if *other != a.principal() => out.push(at(
                        key,
                        format!(
                            "authority `{}`: the same key as principal `{other}` (give both the same `principal`)",
                            a.name.value
                        ),
                    )),
                    _ => {
                        keys.insert(normalised, a.principal());
                    }
                }
            }
        }
        if let Some(t) = &self.threshold {
            let principals: std::collections::BTreeSet<&str> =
                self.authorities.iter().map(|a| a.principal()).collect();
            if t.value == 0 || t.value > principals.len().max(1) {
                out.push(at(
                    t,
                    format!(
                        "threshold {} must be between 1 and the number of principals ({})",
                        t.value,
                        principals.len()
                    ),
                ));
            }
        }
        for r in &self.attestations {
            let ty = expand_type(&r.predicate_type.value);
            let conditions = [
                (r.provenance.is_some(), "provenance"),
                (r.sbom.is_some(), "sbom"),
                (r.vulns.is_some(), "vulns"),
                (r.sast.is_some(), "sast"),
            ];
            for (present, name) in conditions {
                if present && ty != expand_type(name) {
                    out.push(at(
                        &r.predicate_type,
                        format!(
                            "`{name}` conditions need type `{name}` ({})",
                            expand_type(name)
                        ),
                    ));
                }
            }
            if let Some(sb) = &r.sbom {
                for d in &sb.denied_licenses {
                    if let Err(e) = tollgate_attest::predicate::canonical_licenses(d) {
                        out.push(at(&r.predicate_type, format!("sbom.deniedLicenses: {e}")));
                    }
                }
            }
            if let Some(v) = &r.vulns {
                if severity_rank(&v.max_severity.value).is_none() {
                    out.push(at(
                        &v.max_severity,
                        format!(
                            "maxSeverity `{}` is not one of none, low, medium, high, critical",
                            v.max_severity.value
                        ),
                    ));
                }
            }
        }
        out
    }
}

/// `tollgate policy init`: a commented example that validates.
pub const EXAMPLE: &str = r#"# Tollgate admission policy. Validate with `tollgate policy validate FILE`.
apiVersion: tollgate.dev/v1
kind: Policy
name: production
# enforce: deny what fails; warn: admit, but report what failed.
mode: enforce
# Where the policy applies (admission webhook): image globs and namespaces.
scope:
  images: ["ghcr.io/example/*"]
  namespaces: ["production"]
# Who may sign. A key may be limited to a validity window for rotation.
authorities:
  - name: release-key
    key: |
      -----BEGIN PUBLIC KEY-----
      MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGmsWpZNuu+SUX70n3lVK4JLsaoV7
      T+rhea2rQUu29EQiatoLB06QdsmSd+GsQGlQzfcDtsKPzb+B2zLggrWZjg==
      -----END PUBLIC KEY-----
    validFrom: "2026-01-01"
    validUntil: "2027-01-01"
    # Attestations made with `tollgate attest --key` are not logged to Rekor.
    allowUnlogged: true
  # Keyless: `subject` (exact), `subjectRegExp` (matched against the whole
  # identity) or `github` (a workflow; without `ref`, any branch or tag).
  - name: github-release
    keyless:
      github:
        repository: example/app
        workflow: release.yml
        ref: refs/heads/main
# How many distinct authorities must have signed valid attestations.
threshold: 1
# What must be attested, and what it must say.
attestations:
  - type: provenance
    provenance:
      sourceRepositories: ["https://github.com/example/app"]
      refs: ["refs/heads/main"]
  - type: sbom
    sbom:
      deniedLicenses: ["GPL-3.0-only", "AGPL-3.0-only"]
      bannedCrates: ["openssl"]
  - type: vulns
    vulns:
      maxSeverity: medium
      ignoreNotReachable: true
  - type: sast
    sast:
      maxErrors: 0
"#;

#[cfg(test)]
mod tests {

    #[test]
    fn ages_and_times_parse() {
        assert_eq!(parse_age("30d"), Some(30 * 86_400));
        assert_eq!(parse_age("12h"), Some(12 * 3_600));
        assert_eq!(parse_age("d"), None);
        assert_eq!(parse_age("30"), None);
        assert_eq!(
            parse_rfc3339_utc("2023-11-14T22:13:20Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_rfc3339_utc("2023-11-14T22:13:20.5+00:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_rfc3339_utc("2023-11-14T22:13:20+02:00"), None);
    }

    use super::*;

    #[test]
    fn a_pattern_cannot_break_out_of_its_anchors() {
        let good = whole_value_regex(r"https://github\.com/org/app/.*@refs/heads/main").unwrap();
        assert!(good.is_match("https://github.com/org/app/x.yml@refs/heads/main"));
        assert!(!good.is_match("https://github.com/org/app/x.yml@refs/heads/main-evil"));
        for breakout in [
            r"https://github\.com/org/app/.*)|(.*@refs/heads/main",
            "x)|(.*",
            "(?x)a#",
            "a\\",
        ] {
            assert!(whole_value_regex(breakout).is_err(), "{breakout}");
        }
    }

    /// Red team rt58: a namespace pattern matched nothing, and the policy
    /// applied nowhere.
    #[test]
    fn namespaces_are_names() {
        assert!(EXAMPLE.contains("namespaces: [\"production\"]"));
        for bad in ["prod*", "*", "Prod", "prod ", "", "-prod"] {
            let text = EXAMPLE.replace("[\"production\"]", &format!("[\"{bad}\"]"));
            let problems = Policy::parse(&text).expect_err(bad);
            assert!(
                problems
                    .iter()
                    .any(|p| p.message.contains("not a namespace name")),
                "{bad}: {problems:?}"
            );
        }
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(valid_date("2026-02-28"), Some(1_772_236_800));
        assert!(valid_date("2024-02-29").is_some());
        for bad in [
            "2026-02-31",
            "2025-02-29",
            "2026-13-01",
            "2026-1-1",
            "26-01-01",
            "",
        ] {
            assert_eq!(valid_date(bad), None, "{bad}");
        }
        let text = EXAMPLE.replace("validUntil: \"2027-01-01\"", "validUntil: \"2026-02-31\"");
        let problems = Policy::parse(&text).unwrap_err();
        assert!(
            problems.iter().any(|p| p.message.contains("2026-02-31")),
            "{problems:?}"
        );
    }

    #[test]
    fn example_validates() {
        let p = Policy::parse(EXAMPLE).unwrap();
        assert_eq!(p.authorities.len(), 2);
        assert_eq!(p.attestations.len(), 4);
    }

    #[test]
    fn build_conditions_belong_to_provenance() {
        let text = EXAMPLE.replace(
            "      refs: [\"refs/heads/main\"]\n",
            "      refs: [\"refs/heads/main\"]\n      hermetic: true\n      reproducible: true\n      toolchains: [\"1.95.0\"]\n      matchSbom: true\n",
        );
        let p = Policy::parse(&text).unwrap();
        let c = p.attestations[0].provenance.as_ref().unwrap();
        assert!(c.hermetic && c.reproducible && c.match_sbom);
        assert_eq!(c.toolchains, vec!["1.95.0".to_string()]);
        // Empty or malformed toolchain entries are refused, not matched.
        for bad in ["\"\"", "\" \"", "\"1.95\"", "\"sha256:\"", "\"stable\""] {
            let t = text.replace("[\"1.95.0\"]", &format!("[{bad}]"));
            let problems = Policy::parse(&t).expect_err(bad);
            assert!(
                problems.iter().any(|p| p.message.contains("toolchains:")),
                "{bad}: {problems:?}"
            );
        }
        let typo = text.replace("matchSbom", "matchSBOM");
        assert!(Policy::parse(&typo).is_err());
    }

    #[test]
    fn errors_carry_line_numbers() {
        let text = EXAMPLE
            .replace("threshold: 1", "threshold: 3")
            .replace("maxSeverity: medium", "maxSeverity: severe")
            .replace("validUntil: \"2027-01-01\"", "validUntil: \"next year\"");
        let problems = Policy::parse(&text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
        assert!(lines.contains(&line_of("next year")), "{problems:?}");
        assert!(lines.contains(&line_of("threshold: 3")), "{problems:?}");
        assert!(lines.contains(&line_of("severe")), "{problems:?}");

        let unknown = Policy::parse(&EXAMPLE.replace("mode: enforce", "mode: enforce\nmodes: x"))
            .unwrap_err();
        assert!(unknown[0].message.contains("modes"), "{unknown:?}");
        assert!(unknown[0].line > 0);
    }

    /// Red team: `"a\nb"` joined with other names in a cache key collided
    /// with the names `a` and `b`; an empty name names nothing.
    #[test]
    fn names_are_one_printable_line() {
        let line = EXAMPLE.lines().find(|l| l.starts_with("name: ")).unwrap();
        for bad in [
            "name: \"a\\nb\"",
            "name: \"\"",
            "name: \" \"",
            "name: \"a\\tb\"",
            "name: \"strict\\u200B\"",
            "name: \"a\\u202Eb\"",
            "name: \"strict \"",
            "name: \"baseline, strict\"",
        ] {
            let text = EXAMPLE.replace(line, bad);
            let problems = Policy::parse(&text).expect_err(bad);
            assert!(
                problems
                    .iter()
                    .any(|p| p.message.contains("control characters")),
                "{bad}: {problems:?}"
            );
        }
    }
}
