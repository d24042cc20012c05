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
    /// A struct with a secret field, serialized and then hashed
    /// (`let s = User { password, .. }; let text =
    /// serde_json::to_string(&s)?; md5_hasher.update(text)`), followed
    /// through the body's statements.
    fn function(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: &FnCx,
        sig: &syn::Signature,
        block: &syn::Block,
    ) {
        // The rarer words first.
        if !super::function_mentions(a, sig, block, &["update(", "digest("])
            || !super::function_mentions(a, sig, block, &["to_string(", "to_vec(", "to_bytes("])
        {
            return;
        }
        let mut walk = Serialized::default();
        walk.stmts(a, cx, &block.stmts);
    }

    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        let callee = call.callee;
        // Cheap first: most calls are not a hash's.
        if call.last == "copy" {
            copy_into_hasher(a, cx, call);
            return;
        }
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
            // `md5::compute(pw)`, also under a renamed import of the
            // crate (`md5_legacy::compute`).
            "compute" => segments.first().is_some_and(|s| s.starts_with("md5")),
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
    // Also a password by its own name where the secret names stop short
    // (`password_str`, `password_vec`).
    let named = |e: &Expr| {
        let name = var_of(e)?;
        let words = ident_words(&name);
        let place = words.last().is_some_and(|w| {
            matches!(
                w.as_str(),
                "path" | "file" | "filename" | "name" | "url" | "id"
            )
        });
        (is_password_name(&name) && !place).then_some(name)
    };
    let Some(name) = args.find_map(|e| {
        super::secret_source(cx, e)
            .filter(sensitive)
            .or_else(|| named(e))
    }) else {
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

/// What [`Check::function`] follows: variables holding a struct with a
/// secret field or its serialized text (with that field, and whether it
/// is the text), and hashers (with their type).
#[derive(Default)]
struct Serialized {
    secrets: Vec<(String, String, bool)>,
    hashers: Vec<(String, String)>,
}

/// `serde_json::to_string(&s)`, `bincode::serialize(&s)`,
/// `serde_urlencoded::to_string(&s)`, with `.unwrap()`/`?` after it: the
/// value serialized.
fn serialized_arg(e: &Expr) -> Option<&Expr> {
    let (methods, root) = chain(e);
    if !methods.iter().all(|m| {
        matches!(
            m.method.to_string().as_str(),
            "unwrap" | "expect" | "unwrap_or_default" | "into_bytes" | "as_bytes"
        )
    }) {
        return None;
    }
    let Expr::Call(c) = root else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let last = last_ident(&p.path);
    let serializer = p.path.segments.len() >= 2
        && matches!(
            last.as_str(),
            "to_string"
                | "to_string_pretty"
                | "to_vec"
                | "to_vec_pretty"
                | "to_bytes"
                | "serialize"
        );
    serializer.then(|| c.args.first()).flatten()
}

impl Serialized {
    fn secret_of(&self, e: &Expr, text: bool) -> Option<&str> {
        // The value itself (`text`, `&text`, `text.as_bytes()`), not a field
        // of it (`s.password` is judged by `method`).
        let name = match peel(e) {
            Expr::Field(_) => return None,
            other => var_of(other)?,
        };
        self.secrets
            .iter()
            .rev()
            .find(|(n, _, t)| *n == name && *t == text)
            .map(|(_, f, _)| f.as_str())
    }

    fn stmts(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, stmts: &[syn::Stmt]) {
        for stmt in stmts {
            match stmt {
                syn::Stmt::Local(l) => {
                    let (syn::Pat::Ident(id), Some(init)) = (strip_pat_type(&l.pat), &l.init)
                    else {
                        continue;
                    };
                    let name = id.ident.to_string();
                    self.secrets.retain(|(n, _, _)| *n != name);
                    self.hashers.retain(|(n, _)| *n != name);
                    let value = peel(&init.expr);
                    if let Expr::Struct(st) = value {
                        let field = st.fields.iter().find_map(|f| match &f.member {
                            syn::Member::Named(n)
                                if is_password_name(&n.to_string())
                                    || super::cleartext_logging::is_sensitive_name(
                                        &n.to_string(),
                                    ) =>
                            {
                                Some(n.to_string())
                            }
                            _ => None,
                        });
                        if let Some(field) = field {
                            self.secrets.push((name, field, false));
                        }
                    } else if let Some(field) = serialized_arg(value)
                        .and_then(|arg| self.secret_of(arg, false))
                        .map(str::to_string)
                    {
                        self.secrets.push((name, field, true));
                    } else if let Expr::Call(c) = value {
                        // `let mut h = md5::Md5::new()`.
                        if let Expr::Path(p) = &*c.func {
                            let path = a.imports.resolve(&p.path);
                            if c.args.is_empty()
                                && last_ident(&p.path) == "new"
                                && path.split("::").any(is_hasher_name)
                            {
                                self.hashers.push((name, path));
                            }
                        }
                    }
                }
                syn::Stmt::Expr(e, _) => self.expr(a, cx, e),
                _ => {}
            }
        }
    }

    fn expr(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, e: &Expr) {
        match e {
            Expr::Block(b) => self.stmts(a, cx, &b.block.stmts),
            Expr::Assign(x) if matches!(&*x.left, Expr::Infer(_)) => self.expr(a, cx, &x.right),
            Expr::MethodCall(m)
                if m.args.len() == 1
                    && matches!(
                        m.method.to_string().as_str(),
                        "update" | "chain_update" | "input"
                    ) =>
            {
                let Some(hasher) = var_of(&m.receiver) else {
                    return;
                };
                let Some((_, ty)) = self.hashers.iter().rev().find(|(n, _)| *n == hasher) else {
                    return;
                };
                let Some(field) = self.secret_of(&m.args[0], true) else {
                    return;
                };
                let broken = ty.split("::").any(is_broken_hash_name);
                if !broken && !is_password_name(field) {
                    return;
                }
                let span = m.method.span();
                let message = format!(
                    "serialized value with the field `{field}` hashed with a {} hash (`{}`); use a password hashing function (argon2, scrypt, bcrypt, PBKDF2) for passwords and SHA-256 or better otherwise",
                    if broken { "broken" } else { "fast" },
                    short(ty)
                );
                a.report(Some(cx), id::WEAK_HASH, span, span, message);
            }
            _ => {}
        }
    }
}

/// `std::io::copy(&mut reader, &mut hasher)`: a hasher fed from a reader
/// of passwords (`password_file`), as `hasher.update(..)` would be.
fn copy_into_hasher(a: &mut FileAnalyzer<'_>, cx: &FnCx, call: &Call<'_>) {
    if !path_ends_with(call.callee, "io::copy") || call.expr.args.len() != 2 {
        return;
    }
    let ty = a.receiver_type(cx, &call.expr.args[1]).unwrap_or_default();
    if !ty.split("::").any(is_hasher_name) {
        return;
    }
    let broken = ty.split("::").any(is_broken_hash_name);
    let reader = &call.expr.args[0];
    // A reader is named for what it reads (`password_file`).
    let Some(name) = var_of(reader)
        .filter(|n| is_password_name(n))
        .or_else(|| super::secret_source(cx, reader).filter(|n| is_password_name(n)))
    else {
        return;
    };
    let span = syn::spanned::Spanned::span(call.expr);
    let message = format!(
        "`{name}` read into a {} hash (`{}`); use a password hashing function (argon2, scrypt, bcrypt, PBKDF2)",
        if broken { "broken" } else { "fast" },
        short(&ty)
    );
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
