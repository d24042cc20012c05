use super::prelude::*;

/// `weak-hash` (password form): a password hashed with a fast
/// general-purpose hash (SHA-2, SHA-3, BLAKE), salted or not, or with a broken one (MD5, SHA-1: `broken-hash`
/// wherever they are named, `weak-hash` where a password goes in).
/// Such hashes are built to be cheap, so a stolen table is brute-forced
/// at billions of guesses a second; passwords need a deliberately slow,
/// salted function (argon2, scrypt, bcrypt, PBKDF2). CodeQL's
/// `rust/weak-sensitive-data-hashing` draws the same line. Only passwords:
/// a token or key is random and long, and a fast hash of it is fine.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        let callee = call.callee;
        // Cheap first: most calls are not a hash's.
        if !matches!(call.last, "digest" | "new_with_prefix" | "hash" | "compute")
            && !call.last.starts_with("sha")
        {
            return;
        }
        let segments: Vec<&str> = callee.split("::").collect();
        // The digest an argument names: `&SHA1_FOR_LEGACY_USE_ONLY`,
        // openssl's `MessageDigest::md5()`.
        let named = |e: &Expr| match peel(e) {
            Expr::Path(p) => Some(last_ident(&p.path)),
            Expr::Call(c) if c.args.is_empty() => match &*c.func {
                Expr::Path(p)
                    if p.path
                        .segments
                        .iter()
                        .rev()
                        .nth(1)
                        .is_some_and(|s| s.ident == "MessageDigest") =>
                {
                    Some(last_ident(&p.path))
                }
                _ => None,
            },
            _ => None,
        };
        let broken = segments.iter().any(|s| is_broken_hash_name(s))
            || call
                .expr
                .args
                .iter()
                .any(|e| named(e).is_some_and(|n| is_broken_hash_name(&n)));
        let fast = match call.last {
            // `Sha256::digest(pw)`, `sha256::digest(pw)`, `ring::digest::digest(&SHA256, pw)`.
            "digest" | "new_with_prefix" => {
                segments.iter().any(|s| is_hasher_name(s))
                    || call.expr.args.iter().any(|e| match peel(e) {
                        Expr::Path(p) => is_hasher_name(&last_ident(&p.path)),
                        _ => false,
                    })
            }
            // `openssl::sha::sha256(pw)`, `blake3::hash(pw)`,
            // `openssl::hash::hash(MessageDigest::md5(), pw)`.
            "hash" => {
                segments.first() == Some(&"blake3")
                    || (segments.first() == Some(&"openssl")
                        && call
                            .expr
                            .args
                            .first()
                            .and_then(named)
                            .is_some_and(|n| is_hasher_name(&n)))
            }
            // `md5::compute(pw)`.
            "compute" => segments.first() == Some(&"md5"),
            // `openssl::sha::sha256(pw)`, `openssl::sha::sha1(pw)`.
            name => {
                segments.len() >= 2 && segments[segments.len() - 2] == "sha" && is_hasher_name(name)
            }
        };
        if !fast {
            return;
        }
        report(
            a,
            cx,
            call.expr.args.iter(),
            syn::spanned::Spanned::span(call.expr),
            callee,
            broken,
        );
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !matches!(m.name, "update" | "chain_update" | "chain" | "input") {
            return;
        }
        // `Sha256::new().chain_update(pw)`, `hasher.update(pw)` with
        // `hasher: Sha256`.
        let ty = a.receiver_type(cx, &m.expr.receiver).unwrap_or_default();
        let (_, root) = chain(&m.expr.receiver);
        let constructed = match root {
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => p
                    .path
                    .segments
                    .iter()
                    .any(|s| is_hasher_name(&s.ident.to_string())),
                _ => false,
            },
            _ => false,
        };
        let typed = ty.split("::").any(is_hasher_name);
        if !(typed || constructed) {
            return;
        }
        let broken = if typed {
            ty.split("::").any(is_broken_hash_name)
        } else {
            match root {
                Expr::Call(c) => match &*c.func {
                    Expr::Path(p) => p
                        .path
                        .segments
                        .iter()
                        .any(|s| is_broken_hash_name(&s.ident.to_string())),
                    _ => false,
                },
                _ => false,
            }
        };
        let what = if typed { ty } else { m.name.to_string() };
        report(a, cx, m.expr.args.iter(), m.span, &what, broken);
    }
}

fn report<'e>(
    a: &mut FileAnalyzer<'_>,
    cx: &FnCx,
    mut args: impl Iterator<Item = &'e Expr>,
    span: Span,
    hash: &str,
    broken: bool,
) {
    // A broken hash protects no sensitive value (a password, a token, a
    // card number); a fast one protects everything but a password.
    let sensitive = |n: &String| {
        is_password_name(n) || (broken && super::cleartext_logging::is_sensitive_name(n))
    };
    let Some(name) = args.find_map(|e| super::secret_source(cx, e).filter(sensitive)) else {
        return;
    };
    let message = if broken {
        format!(
            "`{name}` hashed with a broken hash (`{}`); use a password hashing function (argon2, scrypt, bcrypt, PBKDF2) for passwords and SHA-256 or better otherwise",
            short(hash)
        )
    } else {
        format!(
            "password `{name}` hashed with a fast hash (`{}`); use a password hashing function (argon2, scrypt, bcrypt, PBKDF2)",
            short(hash)
        )
    };
    a.report(Some(cx), id::WEAK_HASH, span, span, message);
}

/// MD4, MD5 or SHA-1 (`Md5`, `md5`, `Sha1`, `sha1_checked`).
fn is_broken_hash_name(s: &str) -> bool {
    let starts =
        |p: &str| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    starts("md5") || starts("md4") || starts("sha1")
}

/// A fast, general-purpose hash type or module that is not broken
/// (`Sha256`, `sha2`, `Blake2b`, `SHA512`, `Keccak256`); MD5 and SHA-1 are
/// reported wherever they are named.
fn is_fast_hash_name(s: &str) -> bool {
    let starts =
        |p: &str| s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    (starts("sha") && !starts("sha1")) || starts("blake") || starts("keccak") || starts("ripemd")
}

/// A fast hash, or a broken one (MD5, SHA-1) fed through a hasher object:
/// `md5_hasher.update(password)` is reported at the update.
fn is_hasher_name(s: &str) -> bool {
    is_fast_hash_name(s) || is_broken_hash_name(s)
}

/// A password, as opposed to a token or key: `password`, `passwd`, `pwd`,
/// `passphrase`, `user_pass`.
fn is_password_name(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    // Already protected (`encrypted_password`): not the password itself.
    if l.starts_with("encrypted") || l.starts_with("enc_") {
        return false;
    }
    // A reset token, a salt, a stored hash or an already stretched value
    // (`salted_password` in SCRAM) is not the password itself.
    let derived = ["token", "salt", "hash", "hashed", "digest", "len", "length"]
        .iter()
        .any(|w| l.ends_with(w))
        || ["salted", "hashed", "scrambled"]
            .iter()
            .any(|w| l.starts_with(w));
    if derived {
        return false;
    }
    l.contains("password")
        || l.contains("passwd")
        || l.contains("passphrase")
        || l == "pwd"
        || l.ends_with("_pwd")
        || l == "pass"
        || l.ends_with("_pass")
}
