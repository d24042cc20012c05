use super::prelude::*;

/// `cleartext-logging`: a value named like a secret, or built from one
/// (`let line = format!("pw={password}")`), printed or logged.
pub(crate) struct Check;

impl super::Check for Check {
    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        // `write!(&mut text, "pw={}", password)`: the text holds the secret.
        if m.name == "write" || m.name == "writeln" {
            // `writeln!(std::io::stderr(), "{}", password)`: printed.
            if let Some(target) = m.args.first() {
                let target = match peel(&target.expr) {
                    Expr::Reference(r) => &*r.expr,
                    e => e,
                };
                if writes_to_console(cx, target) {
                    if let Some(secret) = written_secret(cx, m).filter(|n| is_plain_secret_name(n))
                    {
                        let span = m.mac.span();
                        a.report(
                            Some(cx),
                            id::CLEARTEXT_LOGGING,
                            span,
                            span,
                            format!("`{secret}` is written to the console"),
                        );
                    }
                    return;
                }
            }
            if let Some(target) = m.args.first().and_then(|t| var_of(&t.expr)) {
                let secret = written_secret(cx, m);
                if let (Some(secret), Some(var)) = (secret, cx.vars.get_mut(&target)) {
                    var.secret.get_or_insert(secret);
                }
            }
            return;
        }
        // A panic's message (`panic!`, `unreachable!`, a failed `assert!`)
        // goes to standard error.
        let panics = is_panic_macro(m.name)
            && (m.resolved.starts_with("std::")
                || m.resolved.starts_with("core::")
                || m.mac.path.segments.len() == 1);
        if !m.is_log && !m.is_print && !panics {
            return;
        }
        let sink = if m.is_log { "the log" } else { "the console" };
        // Only a panic's message: `assert_eq!(password, expected)` compares.
        let message_from = if panics {
            match m
                .args
                .iter()
                .position(|a| a.name.is_none() && lit_str(&a.expr).is_some())
            {
                Some(fi) => fi + 1,
                None => return,
            }
        } else {
            0
        };
        for (i, render) in m.rendered {
            if *i < message_from {
                continue;
            }
            let arg = &m.args[*i];
            if *render == Render::Debug && redacted_debug(a, cx, &arg.expr) {
                continue;
            }
            if *render == Render::Debug {
                if let Some((ty, field)) = var_of(&arg.expr).and_then(|v| secret_debug(a, cx, &v)) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        arg.expr.span(),
                        arg.expr.span(),
                        format!("`{ty}` derives `Debug`, which writes its `{field}` to {sink}"),
                    );
                    continue;
                }
            }
            if *render == Render::Display {
                if let Some((ty, field)) = secret_display(a, cx, &arg.expr) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        arg.expr.span(),
                        arg.expr.span(),
                        format!("`{ty}`'s `Display` writes its `{field}` to {sink}"),
                    );
                    continue;
                }
            }
            // A field named for what it holds: `password = %p`, and the
            // header that carries credentials, `authorization = %value`.
            let secret = arg
                .name
                .as_deref()
                .filter(|n| {
                    is_plain_secret_name(n)
                        || (is_credential_header_field(n) && holds_value(&arg.expr))
                })
                .map(str::to_string)
                .or_else(|| logged_secret(cx, &arg.expr))
                // `println!("{}", self.auth_header())`: a call whose
                // function returns a secret (`Summary::ret_secret`).
                .or_else(|| {
                    a.call_secret(cx, &arg.expr)
                        .filter(|n| is_plain_secret_name(n))
                })
                // `debug!("access_token={}", token)`: the text says what
                // the value is.
                .or_else(|| {
                    let (_, label) = m.labels.iter().find(|(l, _)| l == i)?;
                    // `password: {}`, `auth={}`: the text names the value; in
                    // running text (`issued access token {}`) only a value
                    // named like a credential is one.
                    let separated = label.trim_end().ends_with(['=', ':']);
                    credential_label(label).filter(|_| labelled_value(cx, &arg.expr, separated))
                });
            if let Some(secret) = secret {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_LOGGING,
                    arg.expr.span(),
                    arg.expr.span(),
                    format!("`{secret}` is written to {sink}"),
                );
            } else if !panics {
                // A parameter logged as it is (not its length, nor what a
                // call made of it): a caller's secret is logged here.
                let params = logged_param(cx, &arg.expr);
                logs_params(cx, params, arg.expr.span(), sink);
            }
        }
        // `dbg!(&args)` prints each argument with `Debug`.
        if m.name == "dbg" {
            for arg in m.args.iter() {
                let e = match peel(&arg.expr) {
                    Expr::Reference(r) => &*r.expr,
                    e => e,
                };
                let span = arg.expr.span();
                // A field of a `Debug` type prints the field, not the type.
                let whole = matches!(e, Expr::Path(_));
                if let Some((ty, field)) = var_of(e)
                    .filter(|_| whole)
                    .and_then(|v| secret_debug(a, cx, &v))
                {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        span,
                        span,
                        format!("`{ty}` derives `Debug`, which writes its `{field}` to {sink}"),
                    );
                } else if let Some(secret) = logged_secret(cx, e) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        span,
                        span,
                        format!("`{secret}` is written to {sink}"),
                    );
                }
            }
        }
        for (ident, render, span) in m.captured {
            // `println!("{t}")` of a type whose `Display` writes a secret.
            if *render == Render::Display {
                if let Some((ty, field)) = secret_display_of(a, cx, ident) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        *span,
                        *span,
                        format!("`{ty}`'s `Display` writes its `{field}` to {sink}"),
                    );
                    continue;
                }
            }
            if *render == Render::Debug {
                if let Some((ty, field)) = secret_debug(a, cx, ident) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        *span,
                        *span,
                        format!("`{ty}` derives `Debug`, which writes its `{field}` to {sink}"),
                    );
                    continue;
                }
            }
            let secret = if is_plain_secret_name(ident) {
                Some(ident.clone())
            } else {
                cx.vars
                    .get(ident)
                    .and_then(|v| v.secret.clone())
                    .filter(|n| is_plain_secret_name(n) || is_bare_credential(n))
            };
            if let Some(secret) = secret {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_LOGGING,
                    *span,
                    *span,
                    format!("`{secret}` is written to {sink}"),
                );
            } else if !panics {
                let params = cx
                    .vars
                    .get(ident)
                    .filter(|v| v.param)
                    .map_or(0, |v| v.taint.params);
                logs_params(cx, params, *span, sink);
            }
        }
    }

    /// A secret formatted into a panic message (`opt.expect(&format!(..))`)
    /// or written to standard output or error
    /// (`stdout().lock().write_all(format!(..).as_bytes())`).
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        let sink = match m.name {
            "expect" | "expect_err" => "a panic message",
            "write" | "write_all" | "write_fmt" | "write_str"
                if writes_to_console(cx, &m.expr.receiver) =>
            {
                "the console"
            }
            _ => return,
        };
        let Some(arg) = m.expr.args.first() else {
            return;
        };
        // A literal message names a secret without holding it.
        if lit_str(arg).is_some() {
            return;
        }
        if let Some(secret) = logged_secret(cx, arg) {
            a.report(
                Some(cx),
                id::CLEARTEXT_LOGGING,
                m.span,
                m.full(),
                format!("`{secret}` is written to {sink}"),
            );
        }
    }
}

/// The credential a format string's text names just before a
/// placeholder (`access_token=`, `auth header `, `issued refresh token `,
/// `password: `), by its last words; not a lexer's `unexpected token`, a
/// `password length` or an `api key id`.
fn credential_label(label: &str) -> Option<String> {
    let words: Vec<String> = label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let last = words.last()?.as_str();
    let before = words.len().checked_sub(2).map(|i| words[i].as_str());
    match (before, last) {
        (
            _,
            "password" | "passwd" | "passphrase" | "secret" | "bearer" | "jwt" | "credential"
            | "credentials" | "authorization" | "apikey" | "auth",
        ) => Some(last.to_string()),
        (
            Some(b @ ("access" | "refresh" | "auth" | "session" | "bearer" | "api" | "id" | "jwt")),
            "token",
        )
        | (Some(b @ ("api" | "secret" | "private" | "signing")), "key") => {
            Some(format!("{b}_{last}"))
        }
        (Some(b @ ("auth" | "authorization" | "bearer")), "header" | "value") => {
            Some(b.to_string())
        }
        _ => None,
    }
}

/// A value that a label may name: a variable, a field or a text view of
/// one, not a literal, a count or a digest (`hash`, `len`, `masked`).
fn labelled_value(cx: &FnCx, e: &Expr, separated: bool) -> bool {
    let (methods, root) = chain(peel(e));
    let converts = methods.iter().all(|m| {
        matches!(
            m.method.to_string().as_str(),
            "as_str" | "to_str" | "as_deref" | "unwrap_or_default" | "clone" | "as_ref"
        )
    });
    let name = match peel(root) {
        Expr::Path(_) => var_of(root),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        _ => None,
    };
    let credential_like = |n: &str| {
        ident_words(n).iter().any(|w| {
            matches!(
                w.as_str(),
                "token"
                    | "key"
                    | "auth"
                    | "secret"
                    | "pass"
                    | "password"
                    | "pw"
                    | "pwd"
                    | "cred"
                    | "creds"
                    | "credential"
                    | "bearer"
                    | "jwt"
                    | "access"
                    | "refresh"
            )
        })
    };
    let not_secret = |n: &str| {
        ident_words(n).iter().any(|w| {
            matches!(
                w.as_str(),
                "user"
                    | "username"
                    | "login"
                    | "email"
                    | "name"
                    | "path"
                    | "file"
                    | "dir"
                    | "alias"
                    | "outcome"
                    | "decision"
                    | "result"
                    | "attempts"
                    | "mode"
                    | "method"
                    | "host"
                    | "url"
                    | "reason"
                    | "error"
                    | "err"
                    | "e"
                    | "alg"
            )
        })
    };
    converts
        && name.is_some_and(|n| {
            (credential_like(&n) || (separated && !not_secret(&n)))
                && !is_transformed_name(&n)
                && !ident_words(&n).iter().any(|w| {
                    matches!(
                        w.as_str(),
                        "len"
                            | "length"
                            | "count"
                            | "size"
                            | "id"
                            | "ids"
                            | "expiry"
                            | "expires"
                            | "ttl"
                            | "type"
                            | "kind"
                            | "status"
                            | "ok"
                            | "valid"
                            | "present"
                            | "scheme"
                            | "prefix"
                            | "suffix"
                            | "fingerprint"
                            | "hint"
                            | "last4"
                    )
                })
                && !cx.vars.get(&n).is_some_and(|v| {
                    v.ty.as_deref().is_some_and(|t| {
                        crate::engine::is_numeric_type_name(crate::patterns::last_segment(t))
                            || t == "bool"
                    })
                })
        })
}

/// Macros that panic with a formatted message.
fn is_panic_macro(name: &str) -> bool {
    matches!(
        name,
        "panic"
            | "todo"
            | "unimplemented"
            | "unreachable"
            | "assert"
            | "assert_eq"
            | "assert_ne"
            | "debug_assert"
            | "debug_assert_eq"
            | "debug_assert_ne"
    )
}

/// A `write!`'s secret: a formatted argument or a captured name.
fn written_secret(cx: &FnCx, m: &MacroCall<'_>) -> Option<String> {
    m.args
        .iter()
        .skip(2)
        .find_map(|arg| {
            arg.name
                .as_deref()
                .filter(|n| is_sensitive_name(n))
                .map(str::to_string)
                .or_else(|| secret_source(cx, &arg.expr))
        })
        .or_else(|| {
            m.captured.iter().find_map(|(name, _, _)| {
                if is_sensitive_name(name) {
                    Some(name.clone())
                } else {
                    cx.vars.get(name).and_then(|v| v.secret.clone())
                }
            })
        })
}

/// A writer of standard output or error: `std::io::stdout()`, `.lock()`ed
/// or not, or a variable bound to one.
fn writes_to_console(cx: &FnCx, recv: &Expr) -> bool {
    let (_, root) = chain(recv);
    match root {
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p) if {
            let f = last_ident(&p.path);
            (f == "stdout" || f == "stderr")
                && p.path.segments.len() <= 3
                && p.path.segments.iter().rev().nth(1).is_none_or(|s| s.ident == "io")
        }),
        _ => var_of(root)
            .and_then(|v| cx.vars.get(&v))
            .and_then(|v| v.ty.as_deref())
            .is_some_and(|t| t == "std::io::Stdout" || t == "std::io::Stderr"),
    }
}

/// The parameter `e` is, as it was passed (`name`, `&name`,
/// `name.as_str()`, `name.clone()`), as bits by position; 0 for anything
/// else (a length, a value a call made from it).
fn logged_param(cx: &FnCx, mut e: &Expr) -> u16 {
    loop {
        match peel(e) {
            Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "as_str"
                            | "clone"
                            | "to_string"
                            | "to_owned"
                            | "as_ref"
                            | "as_deref"
                            | "unwrap"
                            | "unwrap_or_default"
                            | "trim"
                            | "borrow"
                    ) =>
            {
                e = &m.receiver
            }
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                return cx
                    .vars
                    .get(&p.path.segments[0].ident.to_string())
                    .filter(|v| v.param)
                    .map_or(0, |v| v.taint.params);
            }
            _ => return 0,
        }
    }
}

/// Remember in the function's summary that `params` are written to `sink`
/// at `span` (`Summary::logged_params`).
fn logs_params(cx: &mut FnCx, params: u16, span: Span, sink: &'static str) {
    if params == 0 {
        return;
    }
    let (line, column) = start_of(span);
    let (end_line, end_column) = end_of(span);
    let logged = &mut cx.summary.logged_params;
    if logged.len() >= crate::engine::summary::MAX_LOGGED_PARAMS
        || logged
            .iter()
            .any(|l| l.params == params && l.line == line && l.column == column)
    {
        return;
    }
    logged.push(crate::engine::summary::LoggedParam {
        params,
        line,
        column,
        end_line,
        end_column,
        sink,
        file: None,
    });
}

/// A call of a function that logs some of its parameters
/// (`Summary::logged_params`) with a secret among them: reported where the
/// callee logs it, with the call as the flow's first step. `args`: the
/// call's arguments, the receiver first for a method with `self`.
pub(crate) fn logged_through(
    a: &mut FileAnalyzer<'_>,
    cx: &FnCx,
    key: &str,
    args: &[&Expr],
    call: Span,
) {
    let Some(summary) = a.summaries.get(key) else {
        return;
    };
    if summary.logged_params.is_empty() {
        return;
    }
    let call_line = start_of(call).0;
    let mut found = Vec::new();
    for logged in &summary.logged_params {
        for i in crate::engine::summary::bits(logged.params) {
            let Some(secret) = args.get(i).and_then(|e| logged_secret(cx, e)) else {
                continue;
            };
            found.push((logged.clone(), secret));
            break;
        }
    }
    for (logged, secret) in found {
        let mut f = crate::engine::RawFinding {
            rule: id::CLEARTEXT_LOGGING,
            line: logged.line,
            column: logged.column,
            end_line: logged.end_line,
            end_column: logged.end_column,
            message: format!(
                "`{secret}` is passed to `{key}` (line {call_line}), which writes it to {}",
                logged.sink
            ),
            stmt_line: logged.line,
            local_source: false,
            flow: vec![
                (call_line, format!("`{secret}` passed to `{key}`"), None),
                (
                    logged.line,
                    format!("written to {}", logged.sink),
                    logged.file.clone(),
                ),
            ],
            file: logged.file.clone(),
            covers: None,
            also: &[],
        };
        // The call is in this file; a sink in another file's function
        // is that file's finding.
        if f.file.is_some() {
            f.flow[0].2 = Some(a.rel.clone());
        }
        a.push_finding(f);
    }
}

/// A secret (not merely private data) an expression holds, for a log.
fn logged_secret(cx: &FnCx, e: &Expr) -> Option<String> {
    secret_source(cx, e).filter(|n| {
        is_plain_secret_name(n)
            || is_bare_credential(n)
            || is_connection_url_name(n)
            || n == "authorization"
    })
}

/// A secret a call returns by what it is: a password typed at a prompt
/// (`rpassword::prompt_password`), or a database connection URL from the
/// environment (`env::var("DATABASE_URL")`: it holds the password).
fn secret_call(c: &syn::ExprCall) -> Option<String> {
    let Expr::Path(p) = &*c.func else {
        return None;
    };
    let name = last_ident(&p.path);
    if matches!(
        name.as_str(),
        "prompt_password"
            | "prompt_password_stdout"
            | "prompt_password_stderr"
            | "read_password"
            | "read_password_from_tty"
    ) {
        return Some("password".into());
    }
    // `std::env::var`, and dotenv's (`dotenvy::var`, `dotenv::var`).
    let env = p.path.segments.iter().any(|s| {
        let s = s.ident.to_string();
        s == "env" || s == "dotenvy" || s == "dotenv"
    });
    if (name == "var" || name == "var_os") && env {
        let var = lit_str(c.args.first()?)?.to_ascii_lowercase();
        // `API_TOKEN`, `DB_PASSWORD`, `STRIPE_SECRET_KEY` (red team rt84);
        // not a setting about one (`TOKEN_TTL_SECS`, `TOKEN_ISSUER`,
        // `API_TOKEN_FILE`: red team rt85).
        let setting = ident_words(&var).iter().any(|w| {
            matches!(
                w.as_str(),
                "ttl"
                    | "secs"
                    | "seconds"
                    | "ms"
                    | "issuer"
                    | "audience"
                    | "url"
                    | "uri"
                    | "file"
                    | "path"
                    | "dir"
                    | "len"
                    | "length"
                    | "min"
                    | "max"
                    | "id"
                    | "name"
                    | "expiry"
                    | "expires"
                    | "timeout"
                    | "header"
                    | "type"
                    | "kind"
                    | "endpoint"
                    | "host"
                    | "port"
                    | "enabled"
                    | "count"
                    | "size"
                    | "version"
                    | "algorithm"
                    | "alg"
                    | "scope"
                    | "scopes"
                    | "prefix"
                    | "env"
                    | "source"
            )
        });
        return (is_connection_url_name(&var) || (is_plain_secret_name(&var) && !setting))
            .then_some(var);
    }
    None
}

/// The name of a database connection URL or DSN (`AUDIT_DATABASE_URL`,
/// `PG_DSN`, `DB_CONNECTION_STRING`).
fn is_connection_url_name(name: &str) -> bool {
    let words = ident_words(name);
    let has = |w: &str| words.iter().any(|x| x == w);
    (has("url") && (has("database") || has("db")))
        || has("dsn")
        || (has("connection") && has("string"))
}

/// Named like a secret ([`is_secret_name`]) or like private data
/// ([`is_private_name`]).
pub(crate) fn is_sensitive_name(name: &str) -> bool {
    (is_secret_name(name) || is_private_name(name)) && !is_transformed_name(name)
}

/// A value as read, not a literal, a flag or what a function made of it
/// (`authorization = %tok`, not `= has_auth`, `= "present"` or
/// `= %redact(tok)`).
fn holds_value(e: &Expr) -> bool {
    match peel(e) {
        Expr::Path(_) | Expr::Field(_) => true,
        Expr::MethodCall(m) => {
            matches!(
                m.method.to_string().as_str(),
                "as_str" | "to_str" | "to_string" | "clone" | "unwrap" | "as_ref" | "as_deref"
            ) && holds_value(&m.receiver)
        }
        _ => false,
    }
}

/// A log field named for a header that carries credentials.
fn is_credential_header_field(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "proxy_authorization" | "auth_header" | "authorization_header"
    )
}

/// Named like a secret and not like one made safe to show.
fn is_plain_secret_name(name: &str) -> bool {
    is_secret_name(name) && !is_transformed_name(name)
}

/// A name saying its value was made safe to show or store
/// (`encrypted_password`, `password_hash`, `masked_token`), as CodeQL's
/// `notSensitiveRegexp`.
pub(crate) fn is_transformed_name(name: &str) -> bool {
    ident_words(name).iter().any(|w| {
        matches!(
            w.as_str(),
            "hash"
                | "hashed"
                | "digest"
                | "encrypted"
                | "encrypt"
                | "crypt"
                | "ciphertext"
                | "encoded"
                | "masked"
                | "redacted"
                | "obfuscated"
                | "censored"
        )
    })
}

/// Named like private data about a person, as CodeQL's `SensitiveData`
/// "private" class: a social security or passport number, a phone number,
/// an e-mail address, a credit card or bank account number, a date of
/// birth, medical or salary data. `email_template`, `phone_id` are not.
pub(crate) fn is_private_name(name: &str) -> bool {
    const PARTS: &[&str] = &[
        "ssn", "social", "phone", "mail", "tel", "mobile", "card", "bank", "account", "passport",
        "birth", "dob", "medical", "salary",
    ];
    if !name.is_ascii() || !PARTS.iter().any(|p| contains_ignore_case(name, p)) {
        return false;
    }
    let words = ident_words(name);
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let Some(last) = w.last() else { return false };
    if matches!(
        *last,
        "path"
            | "file"
            | "filename"
            | "url"
            | "uri"
            | "id"
            | "ids"
            | "type"
            | "kind"
            | "len"
            | "count"
            | "template"
            | "field"
            | "column"
            | "header"
            | "regex"
            | "re"
            | "pattern"
            | "format"
            | "validator"
            | "valid"
            | "verified"
            | "enabled"
            | "sent"
            | "config"
            | "settings"
            | "client"
            | "service"
            | "sender"
            | "server"
            | "host"
            | "port"
    ) || matches!(
        w[0],
        "is" | "has" | "no" | "max" | "min" | "num" | "send" | "validate"
    ) {
        return false;
    }
    let pair = |a: &str, b: &[&str]| w.windows(2).any(|p| p[0] == a && b.contains(&p[1]));
    w.iter().any(|x| {
        matches!(
            *x,
            "ssn" | "phone" | "telephone" | "email" | "dob" | "salary" | "medical" | "emails"
        )
    }) || pair("social", &["security"])
        || pair("e", &["mail"])
        || pair("mobile", &["number", "num", "no"])
        || pair("tel", &["number", "num", "no"])
        || pair("passport", &["number", "num", "no"])
        || pair("credit", &["card", "number", "num", "no"])
        || pair("debit", &["card", "number", "num", "no"])
        || pair("card", &["number", "num", "no"])
        || pair("bank", &["account", "number", "num", "no"])
        || pair("account", &["number", "num", "no"])
        || pair("birth", &["date", "day"])
        || w.windows(3)
            .any(|p| p[0] == "date" && p[1] == "of" && p[2] == "birth")
}

/// Named like an e-mail address and nothing more sensitive
/// (`email`, `user.e_mail`; not `email_password`).
pub(crate) fn is_email_name(name: &str) -> bool {
    if is_secret_name(name) || !is_private_name(name) {
        return false;
    }
    let words = ident_words(name);
    words.iter().all(|w| {
        !matches!(
            w.as_str(),
            "ssn"
                | "phone"
                | "telephone"
                | "dob"
                | "salary"
                | "medical"
                | "social"
                | "mobile"
                | "tel"
                | "passport"
                | "credit"
                | "debit"
                | "card"
                | "bank"
                | "account"
                | "birth"
        )
    }) && words
        .iter()
        .any(|w| matches!(w.as_str(), "email" | "emails" | "mail"))
}

fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// If an expression names a secret (`password`, `self.api_key`,
/// `creds.token.as_str()`), that name; `password.len()` does not.
pub(crate) fn secret_expr_name(e: &Expr) -> Option<String> {
    match peel(e) {
        // Not an enum's variant (`LoginMethod::Password`).
        Expr::Path(p)
            if p.path.segments.len() > 1
                && last_ident(&p.path)
                    .chars()
                    .next()
                    .is_some_and(char::is_uppercase)
                && last_ident(&p.path).chars().any(char::is_lowercase) =>
        {
            None
        }
        Expr::Path(p) => {
            let name = last_ident(&p.path);
            is_sensitive_name(&name).then_some(name)
        }
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) if is_sensitive_name(&n.to_string()) => Some(n.to_string()),
            _ => None,
        },
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_bytes"
                    | "clone"
                    | "to_string"
                    | "expose_secret"
                    | "as_ref"
                    | "unwrap"
                    | "as_deref"
            ) =>
        {
            secret_expr_name(&m.receiver)
        }
        // A getter of a secret: `get_password()`, `creds.api_key()`.
        Expr::MethodCall(m) if m.args.is_empty() => {
            let name = m.method.to_string();
            is_secret_getter(&name).then_some(name)
        }
        Expr::Call(c) if c.args.is_empty() => match &*c.func {
            Expr::Path(p) => {
                let name = last_ident(&p.path);
                is_secret_getter(&name).then_some(name)
            }
            _ => None,
        },
        _ => None,
    }
}

/// A function or method without arguments that returns a secret: named
/// like one (`password()`, `db_password()`), or a getter of one
/// (`get_password`, `read_api_key`); not one that acts on it
/// (`generate_token`, `clear_password`, `hash_password`).
fn is_secret_getter(name: &str) -> bool {
    if !is_sensitive_name(name) {
        return false;
    }
    let words = ident_words(name);
    // A lexer's or a scheduler's token (`next_token`, `peek_token`,
    // `cancel_token`, `cancellation_token`) is not a credential.
    let lexical = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "next"
                | "peek"
                | "current"
                | "prev"
                | "previous"
                | "last"
                | "cancel"
                | "cancellation"
                | "lexer"
                | "eat"
                | "bump"
                | "expect"
        )
    });
    !lexical && !is_verb(words.first().map(String::as_str).unwrap_or_default())
}

/// Words that start a function acting on a secret, not returning it.
fn is_verb(word: &str) -> bool {
    matches!(
        word,
        "set"
            | "clear"
            | "reset"
            | "is"
            | "has"
            | "hash"
            | "verify"
            | "check"
            | "validate"
            | "encrypt"
            | "decrypt"
            | "encode"
            | "decode"
            | "mask"
            | "redact"
            | "generate"
            | "gen"
            | "make"
            | "create"
            | "new"
            | "update"
            | "store"
            | "save"
            | "write"
            | "send"
            | "change"
            | "compare"
            | "zeroize"
            | "drop"
            | "remove"
            | "delete"
            | "rotate"
            | "refresh"
            | "revoke"
            | "parse"
            | "to"
            | "into"
            | "from"
            | "with"
            | "take"
            | "sanitize"
            | "obfuscate"
            | "strip"
            | "forget"
            | "invalidate"
            | "expire"
    )
}

/// The credential a header named for one holds (`X-Deploy-Token`,
/// `x-api-key`, `Authorization`), read by `header`, `get` or `get_all`
/// with the name as a literal.
fn credential_header(m: &syn::ExprMethodCall) -> Option<String> {
    let method = m.method.to_string();
    if !matches!(method.as_str(), "header" | "get" | "get_all") || m.args.len() != 1 {
        return None;
    }
    // `get` of headers only (`req.headers().get(..)`, `headers.get(..)`),
    // not of any map (red team rt81: `usage.get("api_key")`).
    if method != "header" {
        let (methods, root) = chain(&m.receiver);
        let headers = methods
            .iter()
            .any(|c| matches!(c.method.to_string().as_str(), "headers" | "headers_mut"))
            || var_of(root).is_some_and(|v| v.to_ascii_lowercase().contains("header"))
            || matches!(peel(root), Expr::Field(f) if matches!(&f.member,
                syn::Member::Named(n) if n.to_string().contains("header")));
        if !headers {
            return None;
        }
    }
    let name = lit_str(&m.args[0])?.to_ascii_lowercase().replace('-', "_");
    let name = name.trim_start_matches("x_");
    (crate::patterns::is_secret_name(name) || name == "authorization").then(|| name.to_string())
}

/// The secret an expression holds: named like one ([`secret_expr_name`]),
/// or a variable, `format!`, concatenation or conversion built from one
/// (`format!("Bearer {token_secret}")`, `"pw=".to_owned() + &password`).
/// Anything passed through another function (a hash, an encryption, a
/// mask) is not the secret any more.
pub(crate) fn secret_source(cx: &FnCx, e: &Expr) -> Option<String> {
    if let Some(name) = secret_expr_name(e) {
        return Some(name);
    }
    // A credential by where it came from: a header named for one, a
    // password prompt, a database URL from the environment.
    let from_origin = match peel(e) {
        Expr::MethodCall(m) => credential_header(m),
        Expr::Call(c) => secret_call(c),
        _ => None,
    };
    if from_origin.is_some() {
        return from_origin;
    }
    match peel(e) {
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => cx
            .vars
            .get(&p.path.segments[0].ident.to_string())
            .and_then(|v| v.secret.clone()),
        Expr::Reference(r) => secret_source(cx, &r.expr),
        // A part of a tuple bound here (`t.1`, see the engine's `let`).
        Expr::Field(f) => match (&f.member, var_of(&f.base)) {
            (syn::Member::Unnamed(i), Some(v)) => cx
                .vars
                .get(&format!("{v}.{}", i.index))
                .and_then(|p| p.secret.clone())
                .or_else(|| {
                    // `t.0` of a credential's newtype (`struct Token(String)`),
                    // named for its type (`api_key` for `ApiKey`).
                    let ty = var_type(cx, &v)?;
                    let key = format!("{ty}.{}", i.index);
                    cx.text_credential_fields
                        .iter()
                        .any(|(k, text)| *k == key && *text)
                        .then(|| ident_words(ty).join("_"))
                }),
            // `cfg.token` of an `AgentConfig { token: String }`.
            (syn::Member::Named(n), base) if !cx.text_credential_fields.is_empty() => {
                let n = n.to_string();
                let ty = match base.as_deref() {
                    Some("self") => cx.self_ty.clone(),
                    Some(v) => cx.vars.get(v).and_then(|v| v.ty.clone()),
                    None => None,
                };
                // By the base's struct; a base of another type (`Arc<..>`,
                // unknown) by the name.
                let known = |key: &str| {
                    cx.text_credential_fields
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, text)| *text)
                };
                let by_type =
                    ty.and_then(|ty| known(&format!("{}.{n}", crate::patterns::last_segment(&ty))));
                by_type.or_else(|| known(&n)).unwrap_or(false).then_some(n)
            }
            _ => None,
        },
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_bytes"
                    | "clone"
                    | "cloned"
                    | "to_string"
                    | "to_owned"
                    | "into"
                    | "as_ref"
                    | "unwrap"
                    | "as_deref"
                    | "trim"
                    | "to_vec"
                    | "as_slice"
                    | "into_bytes"
                    | "expose_secret"
                    | "push_str"
                    | "unwrap_or"
                    | "unwrap_or_else"
                    | "unwrap_or_default"
                    | "expect"
                    | "ok"
                    | "to_str"
                    | "to_string_lossy"
                    | "into_owned"
                    | "borrow"
            ) =>
        {
            secret_source(cx, &m.receiver)
        }
        // `.map(|v| v.as_str().to_string())`: the value converted.
        Expr::MethodCall(m) if m.method == "map" && m.args.len() == 1 => {
            let Expr::Closure(c) = peel(&m.args[0]) else {
                return None;
            };
            let [syn::Pat::Ident(param)] = c.inputs.iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            let (methods, root) = chain(peel(&c.body));
            let converts = methods.iter().all(|m| {
                matches!(
                    m.method.to_string().as_str(),
                    "as_str" | "to_str" | "to_string" | "to_owned" | "into" | "clone" | "unwrap"
                )
            });
            (converts && var_of(root).is_some_and(|v| param.ident == v))
                .then(|| secret_source(cx, &m.receiver))
                .flatten()
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
            credential_first(secret_source(cx, &b.left), || secret_source(cx, &b.right))
        }
        // `url.replacen("https://", &with_credentials, 1)`: the text
        // holds what is put in; a secret replaced by something else
        // (`text.replace(&token, "***")`) is redacted.
        Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "replace" | "replacen")
                && m.args.len() >= 2 =>
        {
            if secret_source(cx, &m.args[0]).is_some() {
                return None;
            }
            credential_first(secret_source(cx, &m.args[1]), || {
                secret_source(cx, &m.receiver)
            })
        }
        Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            Expr::Path(p)
                if matches!(
                    last_ident(&p.path).as_str(),
                    "from" | "from_utf8" | "from_utf8_lossy" | "from_utf8_unchecked"
                ) =>
            {
                secret_source(cx, &c.args[0])
            }
            _ => None,
        },
        Expr::Unsafe(u) => match u.block.stmts.as_slice() {
            [syn::Stmt::Expr(e, None)] => secret_source(cx, e),
            _ => None,
        },
        // `json!({"to": email, "token": reset_token})`: a value that is a
        // secret (keys are string literals; a value's path names it).
        Expr::Macro(m) if last_ident(&m.mac.path) == "json" => {
            fn idents(ts: proc_macro2::TokenStream, out: &mut Vec<String>) {
                for t in ts {
                    match t {
                        proc_macro2::TokenTree::Ident(i) => out.push(i.to_string()),
                        proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
                        _ => {}
                    }
                }
            }
            let mut names = Vec::new();
            idents(m.mac.tokens.clone(), &mut names);
            // What each names (itself, or the secret a variable holds): a
            // credential first, then other private data, an e-mail last.
            let mut held: Vec<String> = names
                .into_iter()
                .filter_map(|n| {
                    if is_sensitive_name(&n) {
                        Some(n)
                    } else {
                        cx.vars.get(&n).and_then(|v| v.secret.clone())
                    }
                })
                .collect();
            held.sort_by_key(|n| sensitivity_rank(n));
            held.into_iter().next()
        }
        Expr::Macro(m) if matches!(last_ident(&m.mac.path).as_str(), "format" | "format_args") => {
            let args = macros::parse_args(&m.mac.tokens);
            // Every value the text holds, a credential first (an e-mail
            // address before a password must not hide it: red team rt44).
            let mut found: Vec<String> = Vec::new();
            for arg in args.iter().skip(1) {
                if let Some(name) = arg.name.as_deref().filter(|n| is_sensitive_name(n)) {
                    found.push(name.to_string());
                } else if let Some(name) = secret_source(cx, &arg.expr) {
                    found.push(name);
                }
            }
            let template = args.first().and_then(|a| lit_str(&a.expr));
            found.extend(
                template
                    .iter()
                    .flat_map(|t| macros::placeholders(t))
                    .filter_map(|ph| match ph.arg {
                        macros::ArgRef::Name(name)
                            if !args
                                .iter()
                                .any(|a| a.name.as_deref() == Some(name.as_str())) =>
                        {
                            if is_sensitive_name(&name) {
                                Some(name)
                            } else {
                                cx.vars.get(&name).and_then(|v| v.secret.clone())
                            }
                        }
                        _ => None,
                    }),
            );
            found.sort_by_key(|n| sensitivity_rank(n));
            found.into_iter().next()
        }
        _ => None,
    }
}

/// How much a name says its value is worth hiding: a credential (0),
/// other private data (1), an e-mail address (2), anything else (3).
/// Where a value holds several, the most sensitive is the one it holds
/// (`email + password` holds the password, `email + phone` the phone:
/// red teams rt44, rt45).
fn sensitivity_rank(name: &str) -> u8 {
    if crate::patterns::is_secret_name(name) {
        0
    } else if is_email_name(name) {
        2
    } else if is_private_name(name) {
        1
    } else {
        3
    }
}

/// Of two names a value holds, the more sensitive (see
/// [`sensitivity_rank`]).
fn credential_first(
    first: Option<String>,
    second: impl FnOnce() -> Option<String>,
) -> Option<String> {
    if first.as_deref().map(sensitivity_rank) == Some(0) {
        return first;
    }
    match (first, second()) {
        (Some(a), Some(b)) => Some(if sensitivity_rank(&b) < sensitivity_rank(&a) {
            b
        } else {
            a
        }),
        (a, b) => a.or(b),
    }
}

/// Marks a type in `secret_debug_types` whose `Display` writes the field.
const DISPLAY: &str = "#Display";

/// Marks a type in `secret_debug_types` that derives serde's `Serialize`
/// over a secret field.
const SERIALIZE: &str = "#Serialize";

/// Marks a type in `secret_debug_types` that derives serde's
/// `Deserialize` and has an unsigned size field.
pub(crate) const DESERIALIZE: &str = "#Deserialize";

/// A credential's newtype: a tuple struct of one text field named for a
/// token, password, secret, credential or API key (`struct
/// AccessToken(String)`): its `.0` is the credential.
pub(crate) fn is_credential_newtype(s: &syn::ItemStruct) -> bool {
    let syn::Fields::Unnamed(u) = &s.fields else {
        return false;
    };
    let words = ident_words(&s.ident.to_string());
    let named = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "token" | "password" | "passwd" | "secret" | "credential" | "apikey"
        )
    }) || words.windows(2).any(|w| w[0] == "api" && w[1] == "key");
    // Not what names or points at one (`SecretName`, `TokenId`).
    let about = words.last().is_some_and(|w| {
        matches!(
            w.as_str(),
            "name"
                | "id"
                | "ref"
                | "kind"
                | "type"
                | "path"
                | "file"
                | "url"
                | "hash"
                | "digest"
                | "label"
        )
    });
    named && !about && u.unnamed.len() == 1 && is_text_type(&u.unnamed[0].ty)
}

/// Marks a type in `secret_debug_types` whose hand-written `Debug` reads
/// none of its fields.
const REDACTED: &str = "#Redacted";

/// Whether `e` is a variable of a type whose `Debug` shows nothing it
/// holds (see [`REDACTED`]).
fn redacted_debug(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> bool {
    let e = match peel(e) {
        Expr::Reference(r) => &*r.expr,
        other => other,
    };
    // The value itself, not a field of it (`t.0` is what it wraps).
    if !matches!(e, Expr::Path(_)) {
        return false;
    }
    var_of(e)
        .and_then(|v| var_type(cx, &v).map(str::to_string))
        .is_some_and(|ty| {
            // Not a type also known to show a secret (one of its name
            // derives `Debug` over one).
            a.secret_debug_types
                .contains_key(&format!("{ty}{REDACTED}"))
                && !a.secret_debug_types.contains_key(&ty)
        })
}

/// The type name (last segment) of the variable `name`, when known.
fn var_type<'c>(cx: &'c FnCx, name: &str) -> Option<&'c str> {
    Some(crate::patterns::last_segment(
        cx.vars.get(name)?.ty.as_deref()?,
    ))
}

/// The type of `e` (`x`, `&x`, `self`), when it derives `Serialize` over a
/// secret field, and that field.
pub(crate) fn secret_serialized(
    a: &FileAnalyzer<'_>,
    cx: &FnCx,
    e: &Expr,
) -> Option<(String, String)> {
    let e = match peel(e) {
        Expr::Reference(r) => &*r.expr,
        other => other,
    };
    let name = var_of(e)?;
    let ty = if name == "self" {
        cx.self_ty.as_deref()?
    } else {
        cx.vars.get(&name)?.ty.as_deref()?
    };
    let ty = crate::patterns::last_segment(ty);
    let field = a.secret_debug_types.get(&format!("{ty}{SERIALIZE}"))?;
    Some((ty.to_string(), field.clone()))
}

/// The type of variable `name` (`x` or `&x`), when its own `impl Display`
/// writes a secret field, and that field.
fn secret_display(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> Option<(String, String)> {
    let name = match peel(e) {
        Expr::Reference(r) => var_of(&r.expr),
        Expr::Path(_) => var_of(e),
        _ => None,
    }?;
    secret_display_of(a, cx, &name)
}

/// [`secret_display`] of the variable `name`.
fn secret_display_of(a: &FileAnalyzer<'_>, cx: &FnCx, name: &str) -> Option<(String, String)> {
    let ty = var_type(cx, name)?;
    let field = a.secret_debug_types.get(&format!("{ty}{DISPLAY}"))?;
    Some((ty.to_string(), field.clone()))
}

/// The type of variable `name`, when it derives `Debug` over a secret
/// field, and that field.
fn secret_debug(a: &FileAnalyzer<'_>, cx: &FnCx, name: &str) -> Option<(String, String)> {
    let Some(ty) = cx.vars.get(name)?.ty.as_deref() else {
        // A tuple bound here with a secret part (`(user, password)`).
        return (0..8).find_map(|i| {
            let part = cx.vars.get(&format!("{name}.{i}"))?;
            Some(("(..)".to_string(), part.secret.clone()?))
        });
    };
    let ty = crate::patterns::last_segment(ty);
    let field = a.secret_debug_types.get(ty)?;
    Some((ty.to_string(), field.clone()))
}

/// Structs and enums of the file with `#[derive(Debug)]` and a field named
/// like a secret (`secret_key: &str`, `password: String`) whose type does
/// not redact itself (`SecretString`, `Secret<..>`, `Zeroizing` print
/// nothing or are not strings).
pub(crate) fn collect_secret_debug_types(
    file: &syn::File,
    out: &mut crate::HashMap<String, String>,
) {
    /// What the walk finds: the types with a secret field, the types of
    /// the file with a hand-written `Debug`, and the other `Debug` types
    /// with the fields their `Debug` shows.
    type Shown = Vec<(String, Vec<(String, Vec<String>)>)>;
    struct Types<'o>(
        &'o mut crate::HashMap<String, String>,
        &'o crate::HashSet<String>,
        &'o mut Shown,
    );
    /// `#[derive(Trait)]` (serde's `Serialize`).
    fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
        attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && quote::ToTokens::to_token_stream(&a.meta)
                    .to_string()
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == name)
        })
    }
    /// `#[derive(Debug)]`, or `Debug` derived by `educe` or `derivative`
    /// (`#[derive(Educe)] #[educe(Debug)]`).
    fn derives_debug(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| {
            (a.path().is_ident("derive")
                || a.path().is_ident("educe")
                || a.path().is_ident("derivative"))
                && quote::ToTokens::to_token_stream(&a.meta)
                    .to_string()
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "Debug")
        })
    }
    /// A field named like a secret, of text: not one with its own
    /// `Debug` (a `Secret*` wrapper, a type of this file with a hand-written
    /// `impl Debug`), a number, a flag, a path or a time, nor one skipped
    /// by an attribute (`#[debug(skip)]`, `#[educe(Debug(ignore))]`).
    /// `bare`: the type's name says its bare `token` or `pass` is a
    /// credential (`IssuedSession`, `LoginConfig`).
    fn secret_field<'f>(
        fields: impl Iterator<Item = &'f syn::Field>,
        own_debug: &crate::HashSet<String>,
        bare: bool,
    ) -> Option<String> {
        fields.into_iter().find_map(|f| {
            let name = f.ident.as_ref()?.to_string();
            let ty = quote::ToTokens::to_token_stream(&f.ty).to_string();
            let redacted = ty.contains("Secret") || ty.contains("Zeroiz") || ty.contains("Redact");
            let words: Vec<&str> = ty
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .collect();
            let not_text = words.iter().any(|w| {
                is_numeric_type_name(w)
                    || matches!(
                        *w,
                        "bool" | "Path" | "PathBuf" | "Duration" | "Instant" | "SystemTime"
                    )
                    || own_debug.contains(*w)
            });
            // `#[educe(Debug = "ignore")]` names the field "ignore" in
            // the output and prints its value (educe hides a field with
            // `Debug(ignore)`; derivative's `Debug = "ignore"` does hide
            // it): a field its author meant to hide, shown.
            let renamed_not_hidden = f.attrs.iter().any(|a| {
                a.path().is_ident("educe")
                    && match &a.meta {
                        syn::Meta::List(l) => {
                            let words: Vec<String> = l
                                .tokens
                                .clone()
                                .into_iter()
                                .map(|t| t.to_string())
                                .collect();
                            words.windows(3).any(|w| {
                                w[0] == "Debug"
                                    && w[1] == "="
                                    && matches!(
                                        w[2].trim_matches('"'),
                                        "ignore" | "skip" | "hidden" | "hide"
                                    )
                            })
                        }
                        _ => false,
                    }
            });
            if renamed_not_hidden && !redacted {
                return Some(name);
            }
            let skipped = f.attrs.iter().any(|a| {
                let text = quote::ToTokens::to_token_stream(a).to_string();
                text.contains("skip") || text.contains("ignore")
            });
            let secret =
                is_secret_name(&name) || (bare && crate::patterns::is_bare_credential(&name));
            (secret && !redacted && !not_text && !skipped).then_some(name)
        })
    }
    /// Types of the file with a hand-written `impl Debug` (they choose what
    /// they show).
    /// Also types whose hand-written `impl Display` writes a secret field
    /// (`write!(f, "{}", self.password)`), with that field.
    /// And the types whose hand-written `Debug` reads none of their fields
    /// (`f.write_str("Token(***)")`): it shows nothing they hold.
    struct OwnDebug(
        crate::HashSet<String>,
        Vec<(String, String)>,
        Vec<String>,
        crate::HashMap<String, usize>,
    );
    /// `self` anywhere in these tokens (a body that reads the value).
    fn mentions_self(tokens: proc_macro2::TokenStream) -> bool {
        use proc_macro2::TokenTree;
        tokens.into_iter().any(|t| match t {
            TokenTree::Group(g) => mentions_self(g.stream()),
            TokenTree::Ident(id) => id == "self" || id == "Self",
            _ => false,
        })
    }
    /// `self.<secret field>` anywhere in these tokens.
    fn self_secret_field(tokens: proc_macro2::TokenStream) -> Option<String> {
        use proc_macro2::TokenTree;
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        tokens.iter().enumerate().find_map(|(i, t)| match t {
            TokenTree::Group(g) => self_secret_field(g.stream()),
            TokenTree::Ident(id) if id == "self" => match (tokens.get(i + 1), tokens.get(i + 2)) {
                (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(f)))
                    if p.as_char() == '.' && is_plain_secret_name(&f.to_string()) =>
                {
                    Some(f.to_string())
                }
                _ => None,
            },
            _ => None,
        })
    }
    impl<'ast> syn::visit::Visit<'ast> for OwnDebug {
        fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
            let trait_name = item.trait_.as_ref().map(|(_, p, _)| last_ident(p));
            let syn::Type::Path(tp) = &*item.self_ty else {
                return;
            };
            match trait_name.as_deref() {
                Some("Debug") => {
                    self.0.insert(last_ident(&tp.path));
                    let reads_self = item.items.iter().any(|i| match i {
                        syn::ImplItem::Fn(f) => {
                            mentions_self(quote::ToTokens::to_token_stream(&f.block))
                        }
                        _ => true,
                    });
                    if !reads_self {
                        self.2.push(last_ident(&tp.path));
                    }
                }
                Some("Display") => {
                    let body: proc_macro2::TokenStream = item
                        .items
                        .iter()
                        .map(quote::ToTokens::to_token_stream)
                        .collect();
                    let text = body.to_string();
                    if let Some(field) = self_secret_field(body) {
                        self.1.push((last_ident(&tp.path), field));
                    } else if text.contains("self . 0") {
                        // A credential's newtype writing what it wraps
                        // (kept only for such types, below).
                        self.1.push((last_ident(&tp.path), "0".to_string()));
                    }
                }
                _ => {}
            }
        }
        // Items only: not into function bodies (a walk of every expression
        // of every file would cost a tenth of the scan).
        fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
        // Each type's declarations: a name declared twice (a test module's
        // stand-in beside the real type) is not known to redact.
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            *self.3.entry(s.ident.to_string()).or_default() += 1;
        }
        fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
            *self.3.entry(e.ident.to_string()).or_default() += 1;
        }
    }
    let mut own = OwnDebug(
        Default::default(),
        Vec::new(),
        Vec::new(),
        Default::default(),
    );
    syn::visit::Visit::visit_file(&mut own, file);
    let own_debug = own.0;
    // The credential newtypes of the file (a `Display` writing `self.0`
    // shows the credential only for them).
    struct Newtypes(crate::HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for Newtypes {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            if is_credential_newtype(s) {
                self.0.insert(s.ident.to_string());
            }
        }
        fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
    }
    let mut newtypes = Newtypes(Default::default());
    syn::visit::Visit::visit_file(&mut newtypes, file);
    for (ty, field) in own.1 {
        if field != "0" || newtypes.0.contains(&ty) {
            out.insert(format!("{ty}{DISPLAY}"), field);
        }
    }
    for ty in own.2 {
        if own.3.get(&ty).copied().unwrap_or(0) <= 1 {
            out.insert(format!("{ty}{REDACTED}"), String::new());
        }
    }
    /// A `Debug` type's fields that `Debug` prints: name (or position)
    /// and the words of its type.
    fn shown_fields<'f>(
        fields: impl Iterator<Item = &'f syn::Field>,
    ) -> Vec<(String, Vec<String>)> {
        fields
            .enumerate()
            .filter(|(_, f)| {
                !f.attrs.iter().any(|a| {
                    let text = quote::ToTokens::to_token_stream(a).to_string();
                    text.contains("skip") || text.contains("ignore")
                })
            })
            .map(|(i, f)| {
                let name = f
                    .ident
                    .as_ref()
                    .map_or_else(|| i.to_string(), ToString::to_string);
                let words = quote::ToTokens::to_token_stream(&f.ty)
                    .to_string()
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                (name, words)
            })
            .collect()
    }
    impl<'ast> syn::visit::Visit<'ast> for Types<'_> {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            let bare = crate::patterns::is_credential_context(&s.ident.to_string());
            // A credential's newtype deriving `Debug` shows its `.0`.
            if derives_debug(&s.attrs) && is_credential_newtype(s) {
                self.0.insert(s.ident.to_string(), "0".to_string());
                return;
            }
            if derives_debug(&s.attrs) {
                if let Some(field) = secret_field(s.fields.iter(), self.1, bare) {
                    self.0.insert(s.ident.to_string(), field);
                } else {
                    self.2
                        .push((s.ident.to_string(), shown_fields(s.fields.iter())));
                }
            }
            // A deserialised message's sizes (`#[derive(Deserialize)]`
            // with a `usize` field): see `engine::param_info`.
            if derives(&s.attrs, "Deserialize")
                && s.fields.iter().any(|f| {
                    matches!(&f.ty, syn::Type::Path(p) if p.path.get_ident().is_some_and(|i| {
                        matches!(i.to_string().as_str(), "usize" | "u32" | "u64")
                    }))
                })
            {
                self.0
                    .insert(format!("{}{DESERIALIZE}", s.ident), String::new());
            }
            if derives(&s.attrs, "Serialize") {
                let none = crate::HashSet::default();
                if let Some(field) = secret_field(s.fields.iter(), &none, bare) {
                    self.0.insert(format!("{}{SERIALIZE}", s.ident), field);
                }
            }
        }
        fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
        fn visit_item_impl(&mut self, _: &'ast syn::ItemImpl) {}
        fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
            if derives_debug(&e.attrs) {
                let bare = crate::patterns::is_credential_context(&e.ident.to_string());
                if let Some(field) = secret_field(
                    e.variants.iter().flat_map(|v| v.fields.iter()),
                    self.1,
                    bare,
                ) {
                    self.0.insert(e.ident.to_string(), field);
                } else {
                    let fields = shown_fields(e.variants.iter().flat_map(|v| v.fields.iter()));
                    self.2.push((e.ident.to_string(), fields));
                }
            }
        }
    }
    let mut others = Vec::new();
    syn::visit::Visit::visit_file(&mut Types(out, &own_debug, &mut others), file);
    // A `Debug` type holding one of these (`config: Config` whose
    // `Config` holds `password: String`; `Option<Credentials>`) shows the
    // secret too: to a fixed point, one type more per round at least.
    loop {
        let mut found = Vec::new();
        for (ty, fields) in &others {
            let held = fields.iter().find_map(|(name, words)| {
                words
                    .iter()
                    .find_map(|w| out.get(w.as_str()))
                    .map(|inner| format!("{name}.{inner}"))
            });
            if let Some(field) = held {
                found.push((ty.clone(), field));
            }
        }
        if found.is_empty() {
            break;
        }
        others.retain(|(ty, _)| !found.iter().any(|(t, _)| t == ty));
        for (ty, field) in found {
            out.insert(ty, field);
        }
    }
}
