use super::prelude::*;
use crate::patterns::PathRule;
use crate::HashMap;
use std::sync::OnceLock;

/// The rules that are a table of API paths (`patterns::PATH_RULES`):
/// `weak-hash`, `weak-cipher`, `mem-transmute` and the other entries there,
/// each reported under the rule id its table row names.
pub(crate) struct Check;

/// The table's entries by their first segment, each with its place in the
/// table (reports keep the table's order). A pattern occurs in a path on
/// segment boundaries only where the path has a segment equal to the
/// pattern's first (as `patterns::path_matches` finds them), so each segment of a path
/// is looked up once instead of matching every entry at every segment.
fn by_first_segment() -> &'static HashMap<&'static str, Vec<(usize, &'static PathRule)>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<(usize, &'static PathRule)>>> =
        OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<&'static str, Vec<(usize, &'static PathRule)>> = HashMap::default();
        for (n, rule) in PATH_RULES.iter().flat_map(|g| g.iter()).enumerate() {
            let first = rule.pattern.split("::").next().unwrap_or(rule.pattern);
            index.entry(first).or_default().push((n, rule));
        }
        index
    })
}

impl super::Check for Check {
    fn path(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: Option<&mut FnCx>,
        path: &syn::Path,
        resolved: &str,
    ) {
        let index = by_first_segment();
        let mut hits: Vec<(usize, &'static PathRule)> = Vec::new();
        let mut rest = resolved;
        loop {
            let (segment, next) = match rest.find("::") {
                Some(at) => (&rest[..at], Some(&rest[at + 2..])),
                None => (rest, None),
            };
            if let Some(rules) = index.get(segment) {
                for &(n, rule) in rules {
                    let here = rest
                        .strip_prefix(rule.pattern)
                        .is_some_and(|after| after.is_empty() || after.starts_with("::"));
                    if here && !hits.iter().any(|(m, _)| *m == n) {
                        hits.push((n, rule));
                    }
                }
            }
            match next {
                Some(next) => rest = next,
                None => break,
            }
        }
        if hits.is_empty() {
            return;
        }
        hits.sort_by_key(|(n, _)| *n);
        // Only on a match: syn derives a path's span from its tokens,
        // which costs an allocation per segment.
        let span = path.span();
        if websocket_accept(a, span.start().line) {
            hits.retain(|(_, rule)| !(rule.rule == id::BROKEN_HASH && is_sha1(resolved)));
        }
        if cx.as_deref().is_some_and(names_a_non_security_digest) {
            hits.retain(|(_, rule)| rule.rule != id::BROKEN_HASH);
        }
        for (_, rule) in hits {
            let message = format!("{} (`{}`)", rule.message, short(resolved));
            a.report(cx.as_deref(), rule.rule, span, span, message);
        }
    }
}

/// A function that names what it computes as an identifier nobody gains
/// by colliding: an HTTP cache validator (`avatar_etag`), a Gravatar URL
/// (whose API hashes the e-mail address with MD5), or a cache key, shard
/// or bucket index (`cache_key`, `shard_of`: two of cache, shard, bucket,
/// key, index, id, of, for), with no word of a security use in its name
/// (auth, sign, verify, check, integrity, password, token, secret,
/// session, login, credential) and no parameter or local so far named
/// like a credential (`patterns::is_secret_name`, or pw, pwd, pass, key
/// material: `sig`, `hmac`, `salt`, `expected`). A broken hash there is no
/// `broken-hash`; a password or private value hashed with it is still
/// `weak-hash`, which does not look at the function's name.
fn names_a_non_security_digest(cx: &FnCx) -> bool {
    const SECURITY: &[&str] = &[
        "auth",
        "sign",
        "signed",
        "signature",
        "verify",
        "check",
        "integrity",
        "password",
        "passwd",
        "token",
        "secret",
        "session",
        "login",
        "credential",
        "credentials",
        "hmac",
        "mac",
        "nonce",
    ];
    const SHORT_SECRETS: &[&str] = &[
        "pw", "pwd", "pass", "creds", "cred", "sig", "hmac", "mac", "salt", "pepper", "expected",
    ];
    let words = crate::patterns::ident_words(&cx.name);
    let has = |w: &str| words.iter().any(|x| x == w);
    let named = has("etag")
        || has("gravatar")
        || (["cache", "shard", "bucket"].iter().any(|w| has(w))
            && words
                .iter()
                .filter(|w| {
                    matches!(
                        w.as_str(),
                        "cache" | "shard" | "bucket" | "key" | "index" | "id" | "of" | "for"
                    )
                })
                .count()
                >= 2);
    named
        && !words.iter().any(|w| SECURITY.contains(&w.as_str()))
        && !cx.vars.keys().any(|v| {
            crate::patterns::is_secret_name(v)
                || crate::patterns::ident_words(v)
                    .iter()
                    .any(|w| SHORT_SECRETS.contains(&w.as_str()))
        })
}

/// RFC 6455's key for the `Sec-WebSocket-Accept` header, which the
/// protocol computes with SHA-1 (`base64(SHA-1(key + GUID))`): not a
/// choice the code can make otherwise, and no secret is hashed.
const WEBSOCKET_GUID: &str = "\"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\"";

fn is_sha1(resolved: &str) -> bool {
    resolved.to_ascii_lowercase().contains("sha1")
}

/// Whether the function around `line` (from the `fn` line before it to
/// the next `fn` line) writes the WebSocket GUID as a string literal.
fn websocket_accept(a: &FileAnalyzer<'_>, line: usize) -> bool {
    if !a.source.contains(WEBSOCKET_GUID) {
        return false;
    }
    let is_fn = |l: &&str| {
        let t = l.trim_start();
        t.starts_with("fn ") || t.contains(" fn ")
    };
    let at = line.saturating_sub(1).min(a.lines.len());
    let start = a.lines[..at].iter().rposition(is_fn).unwrap_or(0);
    let end = a.lines[at..]
        .iter()
        .skip(1)
        .position(is_fn)
        .map_or(a.lines.len(), |n| at + 1 + n);
    a.lines[start..end]
        .iter()
        .any(|l| l.contains(WEBSOCKET_GUID))
}
