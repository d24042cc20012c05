//! Image references, normalised once by the OCI / Docker reference grammar
//! (distribution's `reference.ParseNormalizedNamed`), so that the spelling
//! of an image can never change which policy applies to it:
//!
//! * the registry defaults to `docker.io`, and `index.docker.io`,
//!   `registry-1.docker.io` and `registry.hub.docker.com` are the same
//!   registry; a first component is a registry when it contains `.` or `:`,
//!   is `localhost`, or has upper-case letters;
//! * a one-segment name on Docker Hub is in `library/` (`nginx` is
//!   `docker.io/library/nginx`);
//! * the host is lower-cased and its port kept; the repository path must be
//!   lower-case (the grammar does not allow anything else);
//! * the tag and the digest are split off (`name:tag@sha256:…` keeps both).
//!
//! Anything the grammar rejects is an error, and the caller denies.

use std::fmt;

/// The registry of a reference that names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// Other names of Docker Hub's registry (red team rt59:
/// `registry.hub.docker.com/library/nginx` pulls Docker Hub's nginx but
/// was outside a `docker.io` scope).
const DOCKER_HUB_ALIASES: [&str; 3] = [
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// A parsed, normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Lower-cased host, with its port (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// The repository path (`library/nginx`, `evalorg/app`).
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// `sha256:<64 hex>` (or another algorithm's `alg:hex`).
    pub digest: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{reference}` is not a valid image reference: {reason}")]
/// A string that is not an image reference.
pub struct ReferenceError {
    /// The string.
    pub reference: String,
    /// Why not.
    pub reason: String,
}

fn bad(reference: &str, reason: impl Into<String>) -> ReferenceError {
    ReferenceError {
        reference: reference.to_string(),
        reason: reason.into(),
    }
}

/// A path component: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__`, or any number of `-`.
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// A registry host: DNS labels or an IP literal, an optional port.
fn valid_host(host: &str) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        // [IPv6]:port
        match rest.split_once(']') {
            Some((ip, after)) => {
                if ip.parse::<std::net::Ipv6Addr>().is_err() {
                    return false;
                }
                match after {
                    "" => return true,
                    p => match p.strip_prefix(':') {
                        Some(p) => return !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
                        None => return false,
                    },
                }
            }
            None => return false,
        }
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err() {
            return false;
        }
    }
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Is the first component of a name a registry host?
fn is_registry(first: &str) -> bool {
    first.contains('.')
        || first.contains(':')
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

fn normalise_registry(host: &str) -> String {
    let lower = host.to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&lower.as_str()) {
        DEFAULT_REGISTRY.to_string()
    } else {
        lower
    }
}

/// Why a registry host has no single spelling (see [`canonical_host`]).
#[derive(Debug, thiserror::Error)]
enum HostError {
    #[error("IPv6 literal registries are not supported: give the registry a host name")]
    Ipv6,
    #[error("port `{0}` has leading zeros")]
    LeadingZeros(String),
    #[error("invalid port `{0}`")]
    InvalidPort(String),
    #[error("`:{0}` is the {1} default: write the host without it")]
    DefaultPort(u16, &'static str),
    #[error("`{0}` is a registry only by its upper case; in lower case it would name a Docker Hub account: write the registry's full lower-case name")]
    UpperCaseOnly(String),
    #[error("`0.0.0.0` names no registry (it reaches this machine)")]
    Unspecified,
    #[error("`{0}` is numeric but not a dotted-quad IPv4 address")]
    NotDottedQuad(String),
}

/// The one spelling of a registry host (already checked by [`valid_host`]),
/// or why the host has no single spelling. Two spellings of one registry
/// must never be two scopes, so a spelling that a client would read as
/// the same endpoint as another is refused rather than guessed:
/// * a port with leading zeros, port 0, or the HTTPS default `:443`;
/// * a dotless, portless host other than `localhost` (it is a registry
///   only because of its upper case, and lower-cased it would name a Docker
///   Hub account);
/// * a numeric last label that is not a dotted-quad IPv4 address as
///   written by `inet_ntoa` (`127.1`, `0x7f.1`, `0127.0.0.1`);
/// * a numeric last label, or a host `inet_aton` reads as IPv4 (decimal,
///   octal or `0x` parts: `0x7f000001`, `127.0.0.0x1`), that is not the
///   dotted quad as written;
/// * any IPv6 literal (the registry client cannot reach one, and a scope
///   glob would read its brackets as a character class).
fn canonical_host(host: &str) -> Result<String, HostError> {
    if host.starts_with('[') {
        // The registry client cannot reach an IPv6 literal, and a scope glob
        // reads `[...]` as a character class: refused everywhere.
        return Err(HostError::Ipv6);
    }
    let (name, port) = match host.split_once(':') {
        Some((n, p)) => (n.to_ascii_lowercase(), Some(p)),
        None => (host.to_ascii_lowercase(), None),
    };
    if let Some(p) = port {
        if p.len() > 1 && p.starts_with('0') {
            return Err(HostError::LeadingZeros(p.to_string()));
        }
        match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(HostError::InvalidPort(p.to_string())),
            Ok(443) => return Err(HostError::DefaultPort(443, "HTTPS")),
            Ok(80) => return Err(HostError::DefaultPort(80, "HTTP")),
            Ok(_) => {}
        }
    }
    if port.is_none() && !name.contains('.') && name != "localhost" {
        return Err(HostError::UpperCaseOnly(host.to_string()));
    }
    // What `inet_aton` (and so `getaddrinfo`) reads as an IPv4 address: one
    // to four parts, each decimal, octal or `0x` hex. Such a host must be
    // the dotted quad itself, and a numeric last label anything else is not
    // a host name.
    let numeric = |label: &str| match label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"))
    {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()),
    };
    let last = name.rsplit('.').next().unwrap_or_default();
    if numeric(last) || name.split('.').all(numeric) {
        match name.parse::<std::net::Ipv4Addr>() {
            Ok(ip) if ip.is_unspecified() => return Err(HostError::Unspecified),
            Ok(ip) if ip.to_string() == name => {}
            _ => return Err(HostError::NotDottedQuad(name)),
        }
    }
    let name = normalise_registry(&name);
    Ok(match port {
        Some(p) => format!("{name}:{p}"),
        None => name,
    })
}

impl ImageRef {
    /// Parse and normalise.
    pub fn parse(text: &str) -> Result<ImageRef, ReferenceError> {
        if text.is_empty() {
            return Err(bad(text, "empty"));
        }
        if text.len() > 4096 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(text, "too long, or contains white space"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (text, None),
        };
        if let Some(d) = digest {
            let Some((alg, hex)) = d.split_once(':') else {
                return Err(bad(text, "digest must be `algorithm:hex`"));
            };
            let hex_ok = |len: usize| {
                hex.len() == len
                    && hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            };
            let ok = match alg {
                "sha256" => hex_ok(64),
                "sha512" => hex_ok(128),
                _ => false,
            };
            if !ok {
                return Err(bad(text, format!("unsupported or malformed digest `{d}`")));
            }
        }
        // A tag is after the last `:` that follows the last `/`.
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            let b = t.as_bytes();
            let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
            if b.is_empty()
                || b.len() > 128
                || !word(b[0])
                || !b.iter().all(|&c| word(c) || c == b'.' || c == b'-')
            {
                return Err(bad(text, format!("invalid tag `{t}`")));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path)) if is_registry(first) => {
                if !valid_host(first) {
                    return Err(bad(text, format!("invalid registry host `{first}`")));
                }
                let host = canonical_host(first)
                    .map_err(|why| bad(text, format!("registry host `{first}`: {why}")))?;
                (host, path.to_string())
            }
            _ => (DEFAULT_REGISTRY.to_string(), name.to_string()),
        };
        let repository = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if repository.is_empty() || !repository.split('/').all(valid_component) {
            return Err(bad(
                text,
                format!("invalid repository `{repository}` (lower-case letters, digits, and . _ __ - separators)"),
            ));
        }
        if registry.len() + 1 + repository.len() > 255 {
            return Err(bad(text, "name longer than 255 characters"));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }

    /// `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Every spelling of the image that a scope glob is matched against
    /// (see [`Spellings`]).
    pub fn spellings(&self) -> Spellings {
        // The registry's spellings: Docker Hub's other names and no name
        // at all (`bitnami/redis`), `localhost` for `127.0.0.1`, and a
        // portless host with the default ports written out
        // (`ghcr.io:443`, which references may not use but a scope
        // `ghcr.io:*/*` describes; red team rt71).
        let mut hosts = vec![self.registry.clone()];
        if self.registry == DEFAULT_REGISTRY {
            hosts.extend(DOCKER_HUB_ALIASES.iter().map(|h| h.to_string()));
        }
        match self.registry.split_once(':') {
            Some(("localhost", port)) => hosts.push(format!("127.0.0.1:{port}")),
            Some(("127.0.0.1", port)) => hosts.push(format!("localhost:{port}")),
            None if self.registry == "localhost" => hosts.push("127.0.0.1".to_string()),
            None if self.registry == "127.0.0.1" => hosts.push("localhost".to_string()),
            _ => {}
        }
        let portless: Vec<String> = hosts.iter().filter(|h| !h.contains(':')).cloned().collect();
        for h in portless {
            hosts.push(format!("{h}:443"));
            hosts.push(format!("{h}:80"));
        }
        if self.registry == DEFAULT_REGISTRY {
            hosts.push(String::new());
        }
        let mut repos = vec![self.repository.clone()];
        if let Some(official) = self.repository.strip_prefix("library/") {
            if !official.contains('/') {
                repos.push(official.to_string());
            }
        }
        let mut names = Vec::new();
        for h in &hosts {
            for r in &repos {
                names.push(if h.is_empty() {
                    r.clone()
                } else {
                    format!("{h}/{r}")
                });
            }
        }
        let mut forms = Vec::with_capacity(names.len() * 4);
        for name in &names {
            match (&self.tag, &self.digest) {
                (Some(t), Some(d)) => {
                    forms.push(format!("{name}:{t}@{d}"));
                    forms.push(format!("{name}:{t}"));
                    forms.push(format!("{name}@{d}"));
                }
                (Some(t), None) => forms.push(format!("{name}:{t}")),
                (None, Some(d)) => forms.push(format!("{name}@{d}")),
                // What a runtime pulls for a bare name: a scope `*:latest`
                // must see `app` as `app:latest`, as a policy's subject does.
                (None, None) => forms.push(format!("{name}:latest")),
            }
            forms.push(name.clone());
        }
        // The canonical spelling first: most scopes match it.
        forms.insert(0, self.to_string());
        forms.dedup();
        Spellings { forms, names }
    }

    /// The reference as a policy reads it (Rego's `input.subject`): the
    /// canonical spelling, with the tag a runtime pulls made explicit
    /// (`:latest` when neither a tag nor a digest is given), so that
    /// `app` and `app:latest` are one subject.
    pub fn subject(&self) -> String {
        if self.tag.is_none() && self.digest.is_none() {
            format!("{self}:latest")
        } else {
            self.to_string()
        }
    }

    /// The sha256 hex of a `sha256:` digest reference.
    pub fn sha256(&self) -> Option<&str> {
        self.digest.as_deref()?.strip_prefix("sha256:")
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

/// Normalise the registry part of a scope glob the way references are
/// normalised, so that `evalorg/*`, `docker.io/evalorg/*` and
/// `index.docker.io/evalorg/*` are one scope, and `nginx` is
/// `docker.io/library/nginx`. A glob whose first component is itself a
/// pattern (`*`, `**/app`, `*.example.com/...`) is left as written.
pub fn normalise_glob(glob: &str) -> String {
    let glob = glob.trim();
    let (first, rest) = match glob.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (glob, None),
    };
    if has_glob_meta(first) && rest.is_some() {
        return glob.to_string();
    }
    match rest {
        // One component: a Docker Hub official image (or a bare pattern).
        None => {
            if glob.starts_with('*') || glob.starts_with('?') || glob.starts_with('[') {
                glob.to_string()
            } else {
                format!("{DEFAULT_REGISTRY}/library/{glob}")
            }
        }
        Some(rest) if is_registry(first) => {
            // A host with no single spelling is refused by ScopeGlob::new.
            let host = canonical_host(first).unwrap_or_else(|_| normalise_registry(first));
            if host == DEFAULT_REGISTRY && !rest.contains('/') && !rest.starts_with('*') {
                format!("{host}/library/{rest}")
            } else {
                format!("{host}/{rest}")
            }
        }
        Some(_) => format!("{DEFAULT_REGISTRY}/{glob}"),
    }
}

/// What a scope glob may be made of, so that it is normalised like a
/// reference and can match one (red teams rt58, rt59):
/// * no `\` escapes, and no `/`, `:`, `@`, `[`, `{`, `}` in a `[..]` class;
/// * no `/` inside `{..}` alternatives, and neither `{..}` nor `[..]` in a
///   registry or a Docker Hub short name (the first component, or a single
///   component's name): those cannot be normalised;
/// * in the last component, only what a name, a tag or a digest holds
///   (`[A-Za-z0-9_.-]`, `:`, `@`) and glob syntax, and no upper case after
///   `@` (digests are lower case).
fn check_glob_shape(glob: &str) -> Result<(), &'static str> {
    if glob.matches('?').count() > MAX_QUESTION_MARKS {
        return Err("more than 16 `?`: write `*` (a scope selects more images, never fewer)");
    }
    if glob.matches('*').count() > MAX_STARS {
        return Err("more than 16 `*`");
    }
    let mut depth = 0usize;
    let mut chars = glob.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => return Err("`\\` escapes are not supported in a scope"),
            '[' => {
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    if matches!(d, '/' | ':' | '@' | '[' | '{' | '}') {
                        return Err("a `[..]` class may not hold `/`, `:`, `@`, `[` or braces");
                    }
                }
            }
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '/' if depth > 0 => {
                return Err("`{..}` alternatives across a repository path (holding a `/`) cannot be normalised: write one scope for each")
            }
            _ => {}
        }
    }
    let name_part = match glob.split_once('/') {
        Some((first, _)) => first,
        None => glob.split([':', '@']).next().unwrap_or(glob),
    };
    if name_part.contains(['{', '[']) {
        return Err("`{..}` or `[..]` in a registry or a Docker Hub name cannot be normalised: write one scope for each");
    }
    let last = glob.rsplit('/').next().unwrap_or(glob);
    // A tag or digest separator with nothing valid after it (`app:`,
    // `app@`, `app:-x`): no reference is spelt so.
    if glob.is_empty() || last.ends_with([':', '@']) || last.contains(":-") || last.contains(":.") {
        return Err(
            "an empty tag or digest, or a tag starting with `-` or `.`: it would match no image",
        );
    }
    let mut in_digest = false;
    let mut prev = ' ';
    let mut depth = 0usize;
    for c in last.chars() {
        match c {
            '@' => in_digest = true,
            // `,` separates alternatives only inside `{..}` (`app:v1,v2`
            // would match no tag), and `{}` offers none.
            ',' if depth == 0 => {
                return Err("`,` outside `{..}` matches no tag: write `{v1,v2}` or one scope each")
            }
            '}' if prev == '{' => return Err("`{}` offers no alternative"),
            // globset drops an empty alternative (`app{,-dev}` would cover
            // `app-dev` only, not `app`; red team rt71).
            ',' | '}' if matches!(prev, '{' | ',') => {
                return Err("an empty `{..}` alternative matches nothing (globset drops it): write each alternative out")
            }
            '{' => depth += 1,
            ',' => in_digest = false,
            '}' => {
                depth = depth.saturating_sub(1);
                in_digest = false;
            }
            c if in_digest && c.is_ascii_uppercase() => {
                return Err("upper case in a digest matches no reference (digests are lower case)")
            }
            // `[!..]`, `[^..]`: a negated class.
            '!' | '^' if prev == '[' => {}
            c if c.is_ascii_alphanumeric()
                || matches!(c, '_' | '.' | '-' | ':' | '*' | '?' | '[' | ']') => {}
            _ => return Err("a character no name, tag or digest holds: it would match no image"),
        }
        prev = c;
    }
    Ok(())
}

/// Most globs one policy's scope may list: all of them are one matcher,
/// and a lazy DFA of thousands of globs needs more than its cache (red
/// team rt72: 1,984 globs validated, then no server could load them).
pub const MAX_SCOPE_GLOBS: usize = 256;
/// Most `?` in one glob: after a `*`, each doubles the states a DFA may
/// need (`*a` and 40 `?` put a review at 12 s and 3 GB beside ordinary
/// globs; red team rt72).
const MAX_QUESTION_MARKS: usize = 16;
/// Most `*` in one glob.
const MAX_STARS: usize = 16;
/// Longest glob.
const MAX_GLOB_BYTES: usize = 512;

/// A scope glob that does not compile, or names a registry host in a
/// spelling that references may not use (so it could never match).
#[derive(Debug, thiserror::Error)]
#[error("image scope `{written}`: {reason}")]
pub struct ScopeGlobError {
    /// The glob as the policy writes it.
    pub written: String,
    /// Why not.
    pub reason: String,
}

/// What may follow a name in a reference, as a small automaton: a tag
/// (`[A-Za-z0-9_.-]+`), optionally followed by `@` and a digest; a digest
/// (`alg:hex`, the algorithm `[a-z0-9+._-]+`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Rest {
    /// The first character of a tag.
    Tag,
    /// Within a tag (it may end here).
    InTag,
    /// The first character of a tag that a digest must follow.
    TagThenDigest,
    /// Within such a tag.
    InTagThenDigest,
    /// The first character of a digest's algorithm.
    Algorithm,
    /// Within the algorithm.
    InAlgorithm,
    /// The first hex digit.
    Hex,
    /// Within the hex (it may end here).
    InHex,
}

impl Rest {
    fn accepts(self) -> bool {
        matches!(self, Rest::InTag | Rest::InHex)
    }

    fn next(self, b: u8) -> Option<Rest> {
        let tag = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
        let alg =
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-');
        match (self, b) {
            (Rest::Tag | Rest::InTag, _) if tag => Some(Rest::InTag),
            (Rest::TagThenDigest | Rest::InTagThenDigest, _) if tag => Some(Rest::InTagThenDigest),
            (Rest::InTag | Rest::InTagThenDigest, b'@') => Some(Rest::Algorithm),
            (Rest::Algorithm | Rest::InAlgorithm, _) if alg => Some(Rest::InAlgorithm),
            (Rest::InAlgorithm, b':') => Some(Rest::Hex),
            (Rest::Hex | Rest::InHex, _) if b.is_ascii_hexdigit() => Some(Rest::InHex),
            _ => None,
        }
    }
}

/// Every byte a tag or a digest may hold.
const REST_BYTES: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-+:@";

/// Every spelling of an image a scope glob is matched against
/// ([`ImageRef::spellings`]): the registry's other names (Docker Hub's
/// aliases and no registry at all, `localhost` for `127.0.0.1`, the default
/// ports written out), an official image with and without `library/`,
/// and each name with its tag and/or digest as written (`:latest` for a
/// bare name). Computed once per image, whatever the number of globs.
#[derive(Clone, Debug)]
pub struct Spellings {
    /// Full spellings, the canonical one first.
    forms: Vec<String>,
    /// The names alone (registry and repository), for the parts a
    /// spelling leaves out (see [`Matcher::matches`]).
    names: Vec<String>,
}

/// A compiled, normalised scope glob.
#[derive(Clone, Debug)]
pub struct ScopeGlob {
    /// The glob as the policy writes it.
    pub written: String,
    /// The glob with its registry part normalised.
    pub normalised: String,
    /// The readings of the glob: as normalised, as written, and for a
    /// glob whose registry part is itself a pattern (`acme-*/*`, `?ginx`),
    /// also as a Docker Hub name (`docker.io/acme-*/*`,
    /// `docker.io/library/?ginx`).
    readings: Vec<globset::Glob>,
    /// The readings, compiled.
    matcher: Matcher,
}

/// Every reading of one or more scope globs as one matcher: a glob set (is
/// any spelling matched?) and the same globs as one lazy DFA (is some
/// completion of a spelling matched? see [`Matcher::matches`]). One
/// matcher per policy, so a review's cost grows with its images, not with
/// the number of globs times images (red team rt71: 300 globs and a
/// 1,000-image pod took 14.7 s, one glob at a time).
#[derive(Clone, Debug)]
struct Matcher {
    set: globset::GlobSet,
    dfa: std::sync::Arc<regex_automata::hybrid::dfa::DFA>,
    /// The lazy DFA's caches, kept between images: the states one image
    /// needed are there for the next (most of a pod's images share their
    /// registry and path), instead of being determinised again.
    caches: std::sync::Arc<std::sync::Mutex<Vec<regex_automata::hybrid::dfa::Cache>>>,
    /// How many images ran out of [`MATCH_BUDGET`]. Past
    /// [`EXHAUSTED_LIMIT`] the globs are pathological (`*a??????????b`
    /// and the like: 8 ms an image, a 1,000-image review 8.5 s), and every
    /// image the glob set does not match outright counts as in scope at
    /// once: a scope selects more images, never fewer.
    exhausted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// See [`Matcher::exhausted`].
const EXHAUSTED_LIMIT: usize = 8;

/// Most caches a matcher keeps (one per thread matching at once).
const KEPT_CACHES: usize = 8;

/// Most (state, grammar) pairs `Matcher::matches_some` explores for one
/// image, over all its spellings, before it counts the image as matching
/// (a pathological glob, `*a??????????!`, has tens of thousands of states;
/// one budget per image keeps a 1,000-image review bounded whatever the
/// globs).
const MATCH_BUDGET: usize = 4096;

impl Matcher {
    fn new(globs: &[&globset::Glob]) -> Result<Matcher, String> {
        let mut set = globset::GlobSetBuilder::new();
        for g in globs {
            set.add((*g).clone());
        }
        let set = set.build().map_err(|e| e.to_string())?;
        let regexes: Vec<&str> = globs.iter().map(|g| g.regex()).collect();
        let dfa = regex_automata::hybrid::dfa::DFA::builder()
            // globset's regexes match bytes (`(?-u)`), not only UTF-8.
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
            .build_many(&regexes)
            .map_err(|e| format!("cannot be matched: {e}"))?;
        Ok(Matcher {
            set,
            dfa: std::sync::Arc::new(dfa),
            caches: Default::default(),
            exhausted: Default::default(),
        })
    }

    /// Does any glob match the image (in any of its spellings)?
    fn matches(&self, image: &ImageRef, spellings: &Spellings) -> bool {
        if spellings.forms.iter().any(|f| self.set.is_match(f)) {
            return true;
        }
        // The parts a spelling leaves out. Pinned by digest, an image is
        // pulled as that digest whatever tag is written (`app:v2@<v1's>`
        // is v1): the scope covers it if it matches the name with some
        // tag. A tag may resolve to any digest: the scope covers it if it
        // matches the name (and tag) with some digest. Asked of the glob
        // itself, whatever its shape (`*:v1`, `{app:v1,web:v2}`,
        // `app[:]v1`): a scope selects more images, never fewer.
        use std::sync::atomic::Ordering;
        if self.exhausted.load(Ordering::Relaxed) >= EXHAUSTED_LIMIT {
            return true;
        }
        let kept = self.caches.lock().ok().and_then(|mut c| c.pop());
        let mut cache = kept.unwrap_or_else(|| self.dfa.create_cache());
        let mut budget = MATCH_BUDGET;
        let latest = "latest".to_string();
        let matched = spellings.names.iter().any(|name| {
            let mut some = |prefix: String, rest: Rest| {
                self.matches_some(&mut cache, &mut budget, &prefix, rest)
            };
            if image.digest.is_some() {
                some(format!("{name}:"), Rest::Tag)
            } else {
                let tag = image.tag.as_ref().unwrap_or(&latest);
                // (Also a scope naming a digest beside another tag: its
                // tag is no more than decoration.)
                some(format!("{name}@"), Rest::Algorithm)
                    || some(format!("{name}:{tag}@"), Rest::Algorithm)
                    || some(format!("{name}:"), Rest::TagThenDigest)
            }
        });
        if budget == 0 {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut caches) = self.caches.lock() {
            if caches.len() < KEPT_CACHES {
                caches.push(cache);
            }
        }
        matched
    }

    /// Does a glob match `prefix` followed by some tag (`Rest::Tag`: a
    /// tag, optionally with `@` and a digest after it) or some digest
    /// (`Rest::Digest`: `alg:hex`)? The automaton is walked over the
    /// prefix, then over both at once (the globs' states and the rest's
    /// grammar) looking for an accepting pair. Past [`MATCH_BUDGET`]
    /// pairs, or on any error of the lazy DFA, it counts as a match.
    fn matches_some(
        &self,
        cache: &mut regex_automata::hybrid::dfa::Cache,
        budget: &mut usize,
        prefix: &str,
        rest: Rest,
    ) -> bool {
        let dfa = &*self.dfa;
        // A lazy DFA whose cache fills is cleared, and every state ID taken
        // before (the walk's `seen` and `todo`) is then invalid: a walk
        // over a cleared cache stops, counting as a match.
        let input = regex_automata::Input::new(prefix).anchored(regex_automata::Anchored::Yes);
        let Ok(mut state) = dfa.start_state_forward(cache, &input) else {
            return true;
        };
        let clears = cache.clear_count();
        let cleared = |cache: &regex_automata::hybrid::dfa::Cache| cache.clear_count() != clears;
        for &b in prefix.as_bytes() {
            state = match dfa.next_state(cache, state, b) {
                Ok(_) if cleared(cache) => return true,
                Ok(s) => s,
                Err(_) => return true,
            };
            if state.is_dead() {
                return false;
            }
            if state.is_quit() {
                return true;
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut todo = vec![(state, rest)];
        while let Some((s, r)) = todo.pop() {
            if !seen.insert((s, r)) {
                continue;
            }
            *budget = budget.saturating_sub(1);
            if *budget == 0 || s.is_quit() {
                return true;
            }
            if r.accepts() {
                match dfa.next_eoi_state(cache, s) {
                    Ok(_) if cleared(cache) => return true,
                    Ok(eoi) if eoi.is_match() => return true,
                    Ok(_) => {}
                    Err(_) => return true,
                }
            }
            // Only the bytes the rest's grammar allows.
            for &b in REST_BYTES {
                let Some(next_r) = r.next(b) else { continue };
                let next = match dfa.next_state(cache, s, b) {
                    Ok(_) if cleared(cache) => return true,
                    Ok(n) => n,
                    Err(_) => return true,
                };
                if !next.is_dead() && !seen.contains(&(next, next_r)) {
                    todo.push((next, next_r));
                }
            }
        }
        false
    }
}

/// The image scope of one policy: every glob's readings as one matcher.
#[derive(Clone, Debug)]
pub struct ScopeSet {
    /// `None`: no globs, every image.
    matcher: Option<Matcher>,
}

impl ScopeSet {
    /// One matcher for these globs (none: every image is in scope).
    pub fn new(globs: &[ScopeGlob]) -> Result<ScopeSet, ScopeGlobError> {
        if globs.is_empty() {
            return Ok(ScopeSet { matcher: None });
        }
        if globs.len() > MAX_SCOPE_GLOBS {
            return Err(ScopeGlobError {
                written: format!("{} globs", globs.len()),
                reason: format!(
                    "a scope lists at most {MAX_SCOPE_GLOBS} images: split it into several policies"
                ),
            });
        }
        let readings: Vec<&globset::Glob> = globs.iter().flat_map(|g| g.readings.iter()).collect();
        let matcher = Matcher::new(&readings).map_err(|reason| ScopeGlobError {
            written: globs
                .iter()
                .map(|g| g.written.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reason,
        })?;
        Ok(ScopeSet {
            matcher: Some(matcher),
        })
    }

    /// Does the scope list no globs (every image is in it)?
    pub fn is_all(&self) -> bool {
        self.matcher.is_none()
    }

    /// Is the image in scope (in any of its spellings)?
    pub fn matches(&self, image: &ImageRef, spellings: &Spellings) -> bool {
        self.matcher
            .as_ref()
            .is_none_or(|m| m.matches(image, spellings))
    }
}

impl ScopeGlob {
    /// Compile a scope glob.
    pub fn new(written: &str) -> Result<ScopeGlob, ScopeGlobError> {
        let error = |reason: String| ScopeGlobError {
            written: written.to_string(),
            reason,
        };
        let trimmed = written.trim();
        // A scope that could never match a normalised reference is a
        // policy error, not a silent no-match (which `noMatch: allow`
        // would admit): a trailing `/`, or upper case anywhere but in a
        // tag (hosts are lower-cased, repository paths are lower case).
        if trimmed.ends_with('/') {
            return Err(error("ends with `/`, so it matches no image".into()));
        }
        // A reference is at most 255 bytes of name, a 128-byte tag and a
        // digest; a longer glob only costs memory (red team rt73: 256
        // globs of 200 classes each, in 40 files, took 1.1 GB).
        if trimmed.len() > MAX_GLOB_BYTES {
            return Err(error(format!("longer than {MAX_GLOB_BYTES} bytes")));
        }
        if !trimmed.contains('/') {
            // One component is a Docker Hub official image; a registry host
            // alone (`127.0.0.1:5000`, `localhost`) would be read as one.
            let name = trimmed.split(':').next().unwrap_or(trimmed);
            if name == "localhost" || name.parse::<std::net::Ipv4Addr>().is_ok() {
                return Err(error(
                    "names a registry host but no repository: write `host/*`".into(),
                ));
            }
        }
        let before_tag = match trimmed.rsplit_once('/') {
            Some((path, last)) => {
                let last = last.split([':', '@']).next().unwrap_or(last);
                format!("{path}/{last}")
            }
            None => trimmed
                .split([':', '@'])
                .next()
                .unwrap_or(trimmed)
                .to_string(),
        };
        let host_plain = trimmed
            .split_once('/')
            .is_some_and(|(first, _)| !has_glob_meta(first) && is_registry(first));
        let checked = match (host_plain, before_tag.split_once('/')) {
            (true, Some((_, path))) => path,
            _ => before_tag.as_str(),
        };
        if checked.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(error(
                "has upper case outside a tag, so it matches no normalised image (repositories are lower case)".into(),
            ));
        }
        check_glob_shape(trimmed).map_err(|why| error(why.into()))?;
        if let Some((first, _)) = trimmed.split_once('/') {
            // `[::1]:5000` would be read as a one-character class (with or
            // without a zone id).
            let ipv6 = first
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .is_some_and(|(ip, _)| ip.contains(':'));
            if ipv6 {
                return Err(error(format!(
                    "registry host `{first}`: IPv6 literal registries are not supported"
                )));
            }
            if !has_glob_meta(first) && is_registry(first) {
                if !valid_host(first) {
                    return Err(error(format!("invalid registry host `{first}`")));
                }
                canonical_host(first)
                    .map_err(|why| error(format!("registry host `{first}`: {why}")))?;
            }
        }
        let normalised = normalise_glob(written);
        let mut texts = vec![normalised.clone()];
        // A registry part that is a pattern may also be a Docker Hub name
        // (`acme-*/app`, `?ginx`), or name Docker Hub in another spelling
        // (`index.docker.i?/library/nginx`): read it both ways.
        if normalised == trimmed {
            match trimmed.split_once('/') {
                Some((first, rest)) if has_glob_meta(first) => {
                    texts.push(format!("{DEFAULT_REGISTRY}/{trimmed}"));
                    if !rest.contains('/') {
                        texts.push(format!("{DEFAULT_REGISTRY}/library/{trimmed}"));
                    }
                    let host = globset::Glob::new(first).map(|g| g.compile_matcher()).ok();
                    if host.is_some_and(|h| {
                        [
                            "index.docker.io",
                            "registry-1.docker.io",
                            "registry.hub.docker.com",
                            DEFAULT_REGISTRY,
                        ]
                        .iter()
                        .any(|d| h.is_match(d))
                    }) {
                        texts.push(format!("{DEFAULT_REGISTRY}/{rest}"));
                        // `docker.i?/nginx`: an official image.
                        if !rest.contains('/') {
                            texts.push(format!("{DEFAULT_REGISTRY}/library/{rest}"));
                        }
                    }
                }
                None => texts.push(format!("{DEFAULT_REGISTRY}/library/{trimmed}")),
                _ => {}
            }
        }
        // A written registry host, in its one spelling, before the rest
        // as written (`Docker.io/bitnami*` is `docker.io/bitnami*` too, not
        // only `docker.io/library/bitnami*`; red team rt72).
        if let Some((first, rest)) = trimmed.split_once('/') {
            if !has_glob_meta(first) && is_registry(first) {
                let host = canonical_host(first).unwrap_or_else(|_| normalise_registry(first));
                texts.push(format!("{}/{rest}", normalise_registry(&host)));
            }
        }
        // And the glob as written, matched against every spelling of an
        // image: a wildcard may span what normalising reads as a registry
        // or a Docker Hub name (`bitnami*` covers `bitnami/redis`,
        // `ghcr.io*` covers `ghcr.io/acme/app`, `docker.io/acme*` covers
        // `docker.io/acme/app`; red team rt71).
        texts.push(trimmed.to_string());
        texts.dedup();
        let mut readings = Vec::new();
        for text in &texts {
            if readings.iter().any(|g: &globset::Glob| g.glob() == text) {
                continue;
            }
            let glob = globset::GlobBuilder::new(text)
                .literal_separator(false)
                .build()
                .map_err(|e| error(e.to_string()))?;
            readings.push(glob);
        }
        let matcher = Matcher::new(&readings.iter().collect::<Vec<_>>()).map_err(error)?;
        Ok(ScopeGlob {
            written: written.to_string(),
            normalised,
            readings,
            matcher,
        })
    }

    /// Does the glob match the reference (in any of its spellings)?
    pub fn matches(&self, image: &ImageRef) -> bool {
        self.matcher.matches(image, &image.spellings())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        ImageRef::parse(s).unwrap().to_string()
    }

    #[test]
    fn docker_hub_defaults_and_aliases() {
        assert_eq!(n("nginx"), "docker.io/library/nginx");
        assert_eq!(n("nginx:1.25"), "docker.io/library/nginx:1.25");
        assert_eq!(n("evalorg/app:v1"), "docker.io/evalorg/app:v1");
        assert_eq!(n("docker.io/evalorg/app:v1"), "docker.io/evalorg/app:v1");
        assert_eq!(
            n("index.docker.io/evalorg/app:v1"),
            "docker.io/evalorg/app:v1"
        );
        assert_eq!(
            n("INDEX.DOCKER.IO/evalorg/app:v1"),
            "docker.io/evalorg/app:v1"
        );
        assert_eq!(n("docker.io/nginx"), "docker.io/library/nginx");
        // What a policy reads: the tag a runtime pulls, made explicit.
        let subject = |r: &str| ImageRef::parse(r).unwrap().subject();
        assert_eq!(subject("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(subject("nginx:latest"), "docker.io/library/nginx:latest");
        assert_eq!(subject("nginx:1"), "docker.io/library/nginx:1");
        let pinned = format!("nginx@sha256:{}", "a".repeat(64));
        assert!(!subject(&pinned).contains(":latest"));
        assert_eq!(
            n("index.docker.io/library/nginx"),
            "docker.io/library/nginx"
        );
        assert_eq!(
            n("Registry.Hub.Docker.com/library/nginx"),
            "docker.io/library/nginx"
        );
    }

    #[test]
    fn hosts_ports_tags_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageRef::parse(&format!("Registry.Example.COM:5000/team/app:v1@{d}")).unwrap();
        assert_eq!(r.registry, "registry.example.com:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.sha256(), Some("a".repeat(64).as_str()));
        let r = ImageRef::parse("localhost/app").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost", "app")
        );
        let r = ImageRef::parse("127.0.0.1:5000/demo/app:1").unwrap();
        assert_eq!(r.name(), "127.0.0.1:5000/demo/app");
        assert!(ImageRef::parse("[::1]:5000/demo/app").is_err());
        // A port-looking suffix on a one-component name is a tag.
        let r = ImageRef::parse("app:5000").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("library/app", Some("5000"))
        );
    }

    #[test]
    fn invalid_references_are_errors() {
        for bad in [
            "",
            "Evalorg/App",
            "docker.io/Evalorg/app",
            "app:",
            "app@sha256:abc",
            "app@md5:00",
            "app:-x",
            "a//b",
            "a/b/",
            "app name",
            "host:99999/app",
            "ex_ample.com/app",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    /// Red team: one registry, another spelling. Each must be refused (a
    /// client would reach the same endpoint under a scope that does not
    /// name it), and every accepted reference must print as a string that
    /// parses back to itself (the registry client is given that string).
    #[test]
    fn a_registry_has_one_spelling() {
        for other in [
            "127.0.0.1:05730/demo/evil:1",
            "127.0.0.1:0/demo/evil:1",
            "ghcr.io:443/org/app:1",
            "ghcr.io:0443/org/app:1",
            "Myreg/app:1",
            "Acme/app:1",
            "127.1:5730/demo/evil:1",
            "0x7f.1:5730/demo/evil:1",
            "0127.0.0.1:5730/demo/evil:1",
            "1.2.3.04/app",
            "[::ffff:127.0.0.1]:5730/demo/evil:1",
            "[::ffff:7f00:1]:5730/demo/evil:1",
            "[0:0:0:0:0:0:0:1]:5730/demo/evil:1",
            "[::1]:443/app",
            "[::1]:5000/app",
            "[2001:db8::1]/app",
            "0x7f000001:5732/demo/evil:1",
            "0x7f.0.0.0x1:5732/demo/evil:1",
            "127.0.0.0x1:5732/demo/evil:1",
            "0xa010203:5000/org/app",
            "0x.1/app",
            "example.0x10/app",
            "2130706433:5000/app",
            "127.0.0.1:80/demo/evil:1",
            "0.0.0.0:5734/demo/evil:1",
        ] {
            let e = ImageRef::parse(other).expect_err(other);
            assert!(e.reason.contains("registry host"), "{other}: {e}");
        }
        for ok in [
            "127.0.0.1:5730/demo/evil:1",
            "ghcr.io/org/app:1",
            "GHCR.IO/org/app:1",
            "LocalHost/app",
            "LOCALHOST:5000/app",
            "Myreg:5000/app",
            "registry-1.docker.io/library/nginx",
            "nginx",
            "10.0.0.1/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let r = ImageRef::parse(ok).expect(ok);
            assert_eq!(ImageRef::parse(&r.to_string()).as_ref(), Ok(&r), "{ok}");
        }
        for scope in [
            "ghcr.io:443/org/*",
            "127.0.0.1:05730/*",
            "Myreg/*",
            "127.1/*",
            "[::1]:5733/demo/*",
            "0x7f000001:5732/*",
            // Scopes that could never match a normalised image.
            "[fe80::1%lo]:5734/demo/*",
            "127.0.0.1:5734/Demo/*",
            "ghcr.io/MyOrg/*",
            "{127.0.0.1:5734,LOCALHOST:5734}/demo/*",
            "127.0.0.1:5734/demo/evil/",
            "127.0.0.1:80/demo/*",
            "127.0.0.1:5734",
            // Red team rt71: an empty alternative, and tags no image has.
            "ghcr.io/acme/app{,-dev}",
            "ghcr.io/acme/app:v1{,.0}",
            "ghcr.io/acme/app:{v1,}",
            "",
            "ghcr.io/acme/app:",
            "ghcr.io/acme/app@",
            "ghcr.io/acme/app:-x",
            "localhost:5000",
        ] {
            assert!(ScopeGlob::new(scope).is_err(), "{scope}");
        }
        for ok in [
            "ghcr.io/org/*",
            "GHCR.io/org/*",
            "ghcr.io/org/app:V1",
            "nginx:Latest-RC",
        ] {
            assert!(ScopeGlob::new(ok).is_ok(), "{ok}");
        }
        // `app` is pulled as `app:latest`, and a scope on `:latest` sees it.
        let latest = ScopeGlob::new("127.0.0.1:5734/demo/*:latest").unwrap();
        assert!(latest.matches(&ImageRef::parse("127.0.0.1:5734/demo/signed").unwrap()));
        assert!(!latest.matches(&ImageRef::parse("127.0.0.1:5734/demo/signed:1").unwrap()));
    }

    #[test]
    fn globs_are_normalised_like_references() {
        assert_eq!(normalise_glob("evalorg/*"), "docker.io/evalorg/*");
        assert_eq!(
            normalise_glob("index.docker.io/evalorg/*"),
            "docker.io/evalorg/*"
        );
        assert_eq!(normalise_glob("nginx"), "docker.io/library/nginx");
        assert_eq!(
            normalise_glob("docker.io/nginx*"),
            "docker.io/library/nginx*"
        );
        assert_eq!(normalise_glob("GHCR.io/Org/*"), "ghcr.io/Org/*");
        assert_eq!(normalise_glob("*"), "*");
        assert_eq!(normalise_glob("**/app"), "**/app");
        let scope = ScopeGlob::new("docker.io/evalorg/*").unwrap();
        for image in [
            "evalorg/app:v1",
            "index.docker.io/evalorg/app:v1",
            "docker.io/evalorg/app",
            "docker.io/evalorg/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(scope.matches(&ImageRef::parse(image).unwrap()), "{image}");
        }
        for image in ["ghcr.io/evalorg/app:v1", "evalorgx/app", "library/evalorg"] {
            assert!(!scope.matches(&ImageRef::parse(image).unwrap()), "{image}");
        }
        let exact = ScopeGlob::new("nginx").unwrap();
        assert!(exact.matches(&ImageRef::parse("docker.io/library/nginx:1.25").unwrap()));
        let tagged = ScopeGlob::new("evalorg/app:v1").unwrap();
        assert!(tagged.matches(&ImageRef::parse("index.docker.io/evalorg/app:v1").unwrap()));
        assert!(!tagged.matches(&ImageRef::parse("evalorg/app:v2").unwrap()));
    }

    /// Red team rt55: a scope naming a tag was escaped by the digest alone
    /// (or with another tag beside it), and `localhost` by `127.0.0.1`.
    #[test]
    /// Red team rt71: a wildcard spanning what normalising reads as a
    /// registry or a Docker Hub name, default ports, and Docker Hub's
    /// aliases written around a wildcard. Each scope must cover each image
    /// (or be refused: never accepted and escaped).
    fn wildcards_across_registry_and_name_cover_every_spelling() {
        let cases: &[(&str, &[&str])] = &[
            ("bitnami*", &["bitnami/redis:7", "docker.io/bitnami/redis:7"]),
            ("nginx*", &["nginxinc/nginx-unprivileged:1", "nginx:1"]),
            ("ghcr.io*", &["ghcr.io/acme/app:v1"]),
            ("gh*", &["ghcr.io/acme/app:v1"]),
            ("ghcr.io:*", &["ghcr.io:5000/acme/app:v1"]),
            ("ghcr.io:5000*", &["ghcr.io:5000/acme/app:v1"]),
            ("registry.example.com:8443*", &["registry.example.com:8443/a/b:v1"]),
            ("localhost*", &["localhost:5000/app:v1", "127.0.0.1:5000/app:v1"]),
            ("127.0.0.1*", &["localhost:5000/app:v1", "127.0.0.1:5000/app:v1"]),
            ("docker.io/acme*", &["docker.io/acme/app:v2", "acme/app:v2"]),
            ("docker.io/bitnami*", &["docker.io/bitnami/redis:7"]),
            ("docker.io/?*", &["acme/app:v2", "nginx"]),
            ("docker.io/[a-z]*", &["acme/app:v2"]),
            ("index.docker.io/acme*", &["acme/app:v2"]),
            ("docker.io/acme-*", &["acme-x/app:v2"]),
            ("docker.io/library*:1.25", &["docker.io/library/nginx:1.25"]),
            ("index.docker.io/li*", &["nginx:1.25"]),
            ("ghcr.io:*/*", &["ghcr.io/acme/app:v1"]),
            ("ghcr.io:4?3/*", &["ghcr.io/acme/app:v1"]),
            ("localhost:*/*", &["localhost/app:v1", "127.0.0.1/app:v1"]),
            ("127.0.0.1:*/*", &["localhost/app:v1", "127.0.0.1/app:v1"]),
            ("*:*/*", &["ghcr.io/acme/app:v1", "nginx"]),
            ("index.docker.io*library/nginx:1", &["index.docker.io/library/nginx:1", "nginx:1"]),
            // Red team rt72: an upper-case Docker Hub host before a
            // one-segment pattern.
            ("Docker.io/bitnami*", &["docker.io/bitnami/nginx:1.25", "bitnami/nginx:1"]),
            ("DOCKER.IO/acme-*", &["acme-prod/app:1"]),
            ("DOCKER.IO/ac?e*", &["acme/app"]),
            ("Registry-1.Docker.IO/acme*", &["acme/app"]),
            ("INDEX.DOCKER.IO/l*", &["nginx", "docker.io/library/redis"]),
            ("DOCKER.IO/library*:*", &["redis"]),
            ("ind*ibrary/*", &["nginx:1", "docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"]),
        ];
        for (glob, images) in cases {
            let Ok(scope) = ScopeGlob::new(glob) else {
                continue;
            };
            let set = ScopeSet::new(std::slice::from_ref(&scope)).unwrap();
            for image in *images {
                let r = ImageRef::parse(image).unwrap();
                assert!(scope.matches(&r), "{glob} escaped by {image}");
                assert!(
                    set.matches(&r, &r.spellings()),
                    "{glob} (set) escaped by {image}"
                );
            }
        }
        // Still only what the glob describes.
        let scope = ScopeGlob::new("bitnami*").unwrap();
        assert!(!scope.matches(&ImageRef::parse("ghcr.io/bitnami/redis:7").unwrap()));
        let scope = ScopeGlob::new("docker.io/acme*").unwrap();
        assert!(!scope.matches(&ImageRef::parse("ghcr.io/acme/app").unwrap()));
        assert!(!scope.matches(&ImageRef::parse("other/app").unwrap()));
    }

    #[test]
    fn tag_scopes_cover_digests_and_loopback_is_one_registry() {
        let d = "sha256:f579000000000000000000000000000000000000000000000000000000000000";
        for glob in ["127.0.0.1:5000/team/app:*", "127.0.0.1:5000/team/app:v1"] {
            let scope = ScopeGlob::new(glob).unwrap();
            for image in [
                format!("127.0.0.1:5000/team/app@{d}"),
                format!("127.0.0.1:5000/team/app:zzz@{d}"),
                format!("localhost:5000/team/app@{d}"),
                "localhost:5000/team/app:v1".to_string(),
            ] {
                assert!(
                    scope.matches(&ImageRef::parse(&image).unwrap()),
                    "{glob} {image}"
                );
            }
            for image in [
                format!("127.0.0.1:5000/team/app2@{d}"),
                format!("127.0.0.1:5001/team/app@{d}"),
                "127.0.0.1:5000/team/app2:v1".to_string(),
            ] {
                assert!(
                    !scope.matches(&ImageRef::parse(&image).unwrap()),
                    "{glob} {image}"
                );
            }
        }
        let v1 = ScopeGlob::new("127.0.0.1:5000/team/app:v1").unwrap();
        assert!(!v1.matches(&ImageRef::parse("127.0.0.1:5000/team/app:v2").unwrap()));
        // Red team rt56: a tag scope without a `/`, alternatives, and
        // scopes naming a digest.
        let any_v1 = ScopeGlob::new("*:v1").unwrap();
        assert!(any_v1.matches(&ImageRef::parse(&format!("127.0.0.1:5000/team/app@{d}")).unwrap()));
        assert!(any_v1.matches(&ImageRef::parse(&format!("nginx:zzz@{d}")).unwrap()));
        assert!(!any_v1.matches(&ImageRef::parse("nginx:v2").unwrap()));
        let either = ScopeGlob::new("127.0.0.1:5000/team/{app:v1,web:v2}").unwrap();
        assert!(either.matches(&ImageRef::parse(&format!("127.0.0.1:5000/team/web@{d}")).unwrap()));
        assert!(!either.matches(&ImageRef::parse(&format!("127.0.0.1:5000/team/db@{d}")).unwrap()));
        for glob in [
            format!("127.0.0.1:5000/team/app@{d}"),
            "127.0.0.1:5000/team/app@sha256:*".to_string(),
            format!("127.0.0.1:5000/team/app:v1@{d}"),
        ] {
            let scope = ScopeGlob::new(&glob).unwrap();
            for image in [
                "127.0.0.1:5000/team/app:v1".to_string(),
                "127.0.0.1:5000/team/app".to_string(),
                format!("127.0.0.1:5000/team/app:zzz@{d}"),
                format!("127.0.0.1:5000/team/app@{d}"),
            ] {
                assert!(
                    scope.matches(&ImageRef::parse(&image).unwrap()),
                    "{glob} {image}"
                );
            }
            assert!(!scope.matches(&ImageRef::parse("127.0.0.1:5000/team/web:v1").unwrap()));
        }
        // Red team rt58: whatever the glob's shape, asked of the glob.
        let pinned = ImageRef::parse(&format!("127.0.0.1:5000/team/app@{d}")).unwrap();
        let tagged = ImageRef::parse("127.0.0.1:5000/team/app:v1").unwrap();
        for glob in [
            "127.0.0.1:5000/team/{app:v1,web:v1}",
            "127.0.0.1:5000/team/app?v1",
            "127.0.0.1:5000/team/app*v1",
            "127.0.0.1:5000/team/app:{v1,v2}",
            "127.0.0.1:5000/team/app[!a-z]v1",
        ] {
            let scope = ScopeGlob::new(glob).unwrap();
            assert!(scope.matches(&pinned), "{glob}");
        }
        for glob in [
            "127.0.0.1:5000/team/app?sha256:*",
            "127.0.0.1:5000/team/{app@sha256:*,web@sha256:*}",
        ] {
            let scope = ScopeGlob::new(glob).unwrap();
            assert!(scope.matches(&tagged), "{glob}");
        }
        let two = ScopeGlob::new("127.0.0.1:5000/team/app:{v1,v2}").unwrap();
        assert!(!two.matches(&ImageRef::parse("127.0.0.1:5000/team/app:v3").unwrap()));
        let latest = ScopeGlob::new("127.0.0.1:5000/demo/*:latest").unwrap();
        assert!(!latest.matches(&ImageRef::parse("127.0.0.1:5000/demo/app:1").unwrap()));
        for refused in [
            "{127.0.0.1:5000/team/app:v1,127.0.0.1:5000/team/web:v1}",
            "127.0.0.1:5000/team/{app:v1,sub/web:v2}",
            "{nginx,ghcr.io/x/y}",
            "[n]ginx",
            "[l]ibrary/nginx",
            // Red team rt59: escapes and classes hiding a brace, digests in
            // upper case, characters no tag holds.
            "docker.io/{x\\},nginx,bitnami/redis}",
            "docker.io/{[}]x,nginx,bitnami/redis}",
            "127.0.0.1:5000/team/app[:]v1",
            "127.0.0.1:5000/team/app@SHA256:*",
            "127.0.0.1:5000/team/app@sha256:F579*",
            "127.0.0.1:5000/team/app:v1!",
        ] {
            assert!(ScopeGlob::new(refused).is_err(), "{refused}");
        }
        // A registry part that is a pattern is also read as a Docker Hub
        // name; tag patterns on a short name load.
        let hub = format!("docker.io/acme-prod/app@{d}");
        assert!(ScopeGlob::new("acme-*/*")
            .unwrap()
            .matches(&ImageRef::parse("acme-prod/app:1").unwrap()));
        assert!(ScopeGlob::new("acme-*/*")
            .unwrap()
            .matches(&ImageRef::parse(&hub).unwrap()));
        for glob in [
            "?ginx",
            "?ginx:*",
            "librar?/nginx",
            "index.docker.i?/library/nginx",
        ] {
            let scope = ScopeGlob::new(glob).unwrap();
            assert!(
                scope.matches(&ImageRef::parse("nginx:1.25").unwrap()),
                "{glob}"
            );
            assert!(
                scope.matches(&ImageRef::parse(&format!("nginx@{d}")).unwrap()),
                "{glob}"
            );
        }
        // Red team rt60: a pattern registry and an official image; a `,`
        // outside braces.
        for glob in [
            "docker.i?/nginx",
            "*.docker.io/nginx",
            "docker.i?/nginx:1.*",
        ] {
            let scope = ScopeGlob::new(glob).unwrap();
            assert!(
                scope.matches(&ImageRef::parse("nginx:1.25").unwrap()),
                "{glob}"
            );
            assert!(
                scope.matches(&ImageRef::parse(&format!("nginx@{d}")).unwrap()),
                "{glob}"
            );
        }
        for refused in ["ghcr.io/org/app:v1,v2", "ghcr.io/org/app:{}"] {
            assert!(ScopeGlob::new(refused).is_err(), "{refused}");
        }
        for glob in [
            "nginx:[0-9]*",
            "nginx:1.2[45]",
            "nginx:{1.25,1.26}",
            "*:v[12]",
        ] {
            let scope = ScopeGlob::new(glob).unwrap();
            assert!(
                scope.matches(&ImageRef::parse(&format!("nginx@{d}")).unwrap()),
                "{glob}"
            );
        }
        // Pathological but valid: answered within the budget, as covered.
        let hard = ScopeGlob::new("*a??????????????!x").err();
        assert!(hard.is_some(), "`!` is no tag character");
        let hard = ScopeGlob::new("*a????????????????b").unwrap();
        let started = std::time::Instant::now();
        for _ in 0..20 {
            let _ =
                hard.matches(&ImageRef::parse(&format!("127.0.0.1:5000/team/app:t1@{d}")).unwrap());
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Red team rt72: a long run of `?` is refused (each after a `*`
        // doubles a DFA's states), as are more globs than one matcher holds.
        assert!(ScopeGlob::new(&format!("ghcr.io/acme/*:{}", "?".repeat(40))).is_err());
        assert!(ScopeGlob::new(&format!("*a{}", "?".repeat(17))).is_err());
        assert!(ScopeGlob::new(&format!("ghcr.io/acme/{}*", "[^a]".repeat(200))).is_err());
        let many: Vec<ScopeGlob> = (0..=MAX_SCOPE_GLOBS)
            .map(|i| ScopeGlob::new(&format!("ghcr.io/team{i}/*")).unwrap())
            .collect();
        assert!(ScopeSet::new(&many).is_err());
        assert!(ScopeSet::new(&many[..MAX_SCOPE_GLOBS]).is_ok());
        let scope = ScopeGlob::new("localhost:5000/team/*").unwrap();
        assert!(scope.matches(&ImageRef::parse("127.0.0.1:5000/team/x:v1").unwrap()));
        assert!(!scope.matches(&ImageRef::parse("127.0.0.2:5000/team/x:v1").unwrap()));
    }
}
