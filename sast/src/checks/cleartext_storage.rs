use super::cleartext_logging::{secret_serialized, secret_source};
use super::prelude::*;

/// `cleartext-storage`: a value named like a secret, or built from one,
/// written to a file or a plain TCP stream; or a secret or private data
/// (`get_phone_number()`, `credit_card_number`; not an e-mail address)
/// stored in a database (the text or a parameter of a SQL statement).
pub(crate) struct Check;

/// Functions that write their second argument to a file.
const WRITE_FNS: &[&str] = &["std::fs::write", "tokio::fs::write", "async_std::fs::write"];

/// serde serialisers that write their second argument to their first (a
/// writer).
const SERIALIZE_TO_WRITER: &[&str] = &[
    "serde_json::to_writer",
    "serde_json::to_writer_pretty",
    "serde_yaml::to_writer",
    "serde_yml::to_writer",
    "serde_cbor::to_writer",
    "ciborium::into_writer",
    "ciborium::ser::into_writer",
    "ron::ser::to_writer",
    "ron::ser::to_writer_pretty",
    "bincode::serialize_into",
    "rmp_serde::encode::write",
    "rmp_serde::encode::write_named",
];

/// serde serialisers that return their argument's serialisation.
const SERIALIZE_TO_TEXT: &[&str] = &[
    "serde_json::to_string",
    "serde_json::to_string_pretty",
    "serde_json::to_vec",
    "serde_json::to_vec_pretty",
    "serde_yaml::to_string",
    "serde_yml::to_string",
    "toml::to_string",
    "toml::to_string_pretty",
    "ron::to_string",
    "ron::ser::to_string",
    "ron::ser::to_string_pretty",
    "bincode::serialize",
    "rmp_serde::to_vec",
    "rmp_serde::to_vec_named",
];

/// Does a call or method of this name restrict a file's permissions
/// (`fs::set_permissions`, `file.set_permissions`, `Permissions::from_mode`,
/// `OpenOptionsExt::mode`, a helper named for it)?
fn restricts_permissions(name: &str) -> bool {
    let last = crate::patterns::last_segment(name);
    last.contains("permission") || matches!(last, "from_mode" | "mode" | "chmod" | "fchmod")
}

/// `serde_json::to_string(&session)`: the type serialised, when it holds
/// a secret field, and that field.
fn serialized_secret(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> Option<(String, String)> {
    let Expr::Call(c) = peel_try(e) else {
        return None;
    };
    let Expr::Path(p) = &*c.func else { return None };
    let callee = a.imports.resolve(&p.path);
    if !SERIALIZE_TO_TEXT.iter().any(|f| path_ends_with(&callee, f)) {
        return None;
    }
    secret_serialized(a, cx, c.args.first()?)
}

/// The secret field of the value `e` serialises to text
/// (`toml::to_string(&settings)?`), for a binding of that text.
pub(crate) fn serialized_secret_field(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> Option<String> {
    serialized_secret(a, cx, e).map(|(_, field)| field)
}

/// [`peel`] (`&e`, `e?`), and `e.unwrap()`, `e.expect(..)`, an error
/// converted (`e.map_err(..)?`, `e.context(..)?`).
fn peel_try(e: &Expr) -> &Expr {
    match peel(e) {
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "unwrap" | "expect" | "map_err" | "context" | "with_context"
            ) =>
        {
            peel_try(&m.receiver)
        }
        other => other,
    }
}

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        if restricts_permissions(call.callee) {
            cx.permissions_set = true;
            return;
        }
        let serializer = SERIALIZE_TO_WRITER
            .iter()
            .any(|f| path_ends_with(call.callee, f));
        let to_file = WRITE_FNS.iter().any(|f| path_ends_with(call.callee, f));
        if serializer || to_file {
            // A value of a type with a secret field, serialised into a
            // writer (`serde_json::to_writer(file, &session)`) or into the
            // text `fs::write` writes.
            let (sink, secret) = if serializer {
                let sink = call
                    .expr
                    .args
                    .first()
                    .and_then(|w| a.receiver_type(cx, peel_try(w)))
                    .and_then(|ty| sink_of(&ty));
                let secret = call
                    .expr
                    .args
                    .get(1)
                    .and_then(|v| secret_serialized(a, cx, v));
                (sink, secret)
            } else {
                let secret = call
                    .expr
                    .args
                    .get(1)
                    .and_then(|v| serialized_secret(a, cx, v));
                (Some("a file"), secret)
            };
            if let (Some(sink), Some((ty, field))) = (sink, secret) {
                let span = call.expr.span();
                let message = format!(
                    "`{ty}` is serialised with its `{field}` and written to {sink} unencrypted"
                );
                if sink == "a file" {
                    // Unless the function restricts the file's permissions.
                    let finding = FileAnalyzer::raw_finding(
                        Some(cx),
                        id::CLEARTEXT_STORAGE,
                        span,
                        span,
                        message,
                    );
                    cx.deferred_storage.push(finding);
                } else {
                    a.report(Some(cx), rule_for(sink), span, span, message);
                }
            }
        }
        let sql_sink = super::call_sinks_by_last_segment()
            .get(crate::patterns::last_segment(call.callee))
            .is_some_and(|sinks| {
                sinks
                    .iter()
                    .any(|s| s.kind == taint::SQL && path_ends_with(call.callee, s.path))
            });
        let (secret, place) = if sql_sink {
            let secret = call.expr.args.iter().find_map(|e| secret_within(cx, e));
            (secret, "stored in a database")
        } else if WRITE_FNS.iter().any(|f| path_ends_with(call.callee, f)) {
            let secret = call.expr.args.get(1).and_then(|e| stored_secret(cx, e));
            (secret, "written to a file")
        } else {
            return;
        };
        if let Some(secret) = secret {
            let span = call.expr.span();
            a.report(
                Some(cx),
                id::CLEARTEXT_STORAGE,
                span,
                span,
                format!("`{secret}` is {place} unencrypted"),
            );
        }
    }

    /// `write!(file, "{}", password)` / `writeln!(stream, "{token_secret}")`.
    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if m.name != "write" && m.name != "writeln" {
            return;
        }
        let Some(target) = m.args.first() else { return };
        let sink = match sink_of(&a.receiver_type(cx, &target.expr).unwrap_or_default()) {
            Some(sink) => sink,
            None => return,
        };
        let secret = m
            .args
            .iter()
            .skip(2)
            .find_map(|arg| stored_secret(cx, &arg.expr))
            .or_else(|| {
                m.captured.iter().find_map(|(name, _, _)| {
                    if is_secret_name(name) {
                        Some(name.clone())
                    } else {
                        cx.vars
                            .get(name)
                            .and_then(|v| v.secret.clone())
                            .filter(|n| is_secret_name(n) || is_bare_credential(n))
                    }
                })
            });
        if let Some(secret) = secret {
            let span = m.mac.span();
            a.report(
                Some(cx),
                rule_for(sink),
                span,
                span,
                format!("`{secret}` is written to {sink} unencrypted"),
            );
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        // A secret as the text or a parameter of a SQL statement, or bound
        // to one (`sqlx::query(..).bind(&password)`).
        // `client.get(url).query(&[..])`: an HTTP request's query string,
        // not a SQL statement.
        let http_request = || {
            let (methods, _) = chain(&m.expr.receiver);
            // A verb given a URL: a literal with a scheme, a `format!` of
            // one, or a variable named for one (`map.get(&k)` is not).
            let url_like = |e: &Expr| match peel(e) {
                Expr::Lit(_) => lit_str(e).is_some_and(|t| t.starts_with("http")),
                Expr::Macro(mac) => mac.mac.tokens.to_string().contains("http"),
                other => var_of(other).is_some_and(|v| {
                    let v = v.to_ascii_lowercase();
                    v.contains("url") || v.contains("uri") || v.contains("endpoint")
                }),
            };
            methods.iter().any(|c| {
                matches!(
                    c.method.to_string().as_str(),
                    "get" | "post" | "put" | "patch" | "delete" | "head"
                ) && c.args.first().is_some_and(url_like)
            })
        };
        let to_database = (method_sinks(m.name, taint::SQL).next().is_some() && !http_request())
            || (m.name == "bind" && {
                let (_, root) = chain(&m.expr.receiver);
                let sql_crate = |t: &str| {
                    ["sqlx", "diesel"]
                        .iter()
                        .any(|c| t == *c || t.strip_prefix(c).is_some_and(|r| r.starts_with("::")))
                };
                match root {
                    Expr::Call(c) => {
                        matches!(&*c.func, Expr::Path(p) if sql_crate(&a.imports.resolve(&p.path)))
                    }
                    // `let q = sqlx::query(..); q.bind(password)`
                    _ => a.receiver_type(cx, root).is_some_and(|t| sql_crate(&t)),
                }
            });
        if to_database {
            if let Some(secret) = m.expr.args.iter().find_map(|e| secret_within(cx, e)) {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_STORAGE,
                    m.span,
                    m.full(),
                    format!("`{secret}` is stored in a database unencrypted"),
                );
            } else if let Some(column) = secret_column(&m.expr.args) {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_STORAGE,
                    m.span,
                    m.full(),
                    format!("a value is stored unencrypted in the column `{column}`"),
                );
            }
            return;
        }
        // diesel: `insert_into(t).values((col.eq(password), ..))`,
        // `update(t).set(col.eq(token))`: the column is given the secret.
        if matches!(m.name, "values" | "set") {
            let mut eqs = Vec::new();
            for arg in &m.expr.args {
                column_eqs(arg, &mut eqs);
            }
            if let Some((eq, secret)) = eqs.into_iter().find_map(|eq| {
                eq.args
                    .first()
                    .and_then(|v| stored_secret(cx, v))
                    .map(|s| (eq, s))
            }) {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_STORAGE,
                    eq.span(),
                    eq.span(),
                    format!("`{secret}` is stored in a database column unencrypted"),
                );
                return;
            }
        }
        // A key-value store (redis): `conn.set_ex(&key, refresh_token, ttl)`.
        let kv = matches!(
            m.name,
            "set_ex"
                | "set_nx"
                | "pset_ex"
                | "setex"
                | "hset"
                | "hset_nx"
                | "lpush"
                | "rpush"
                | "sadd"
        ) || (m.name == "set" && {
            let recv = var_of(&m.expr.receiver)
                .unwrap_or_default()
                .to_ascii_lowercase();
            ["conn", "redis", "cache", "kv"]
                .iter()
                .any(|w| recv.contains(w))
        });
        // sled: `self.db.insert(user, token)` on a `sled::Db` or `Tree`.
        let sled = || {
            m.name == "insert"
                && (a
                    .field_receiver_types(cx, &m.expr.receiver)
                    .iter()
                    .any(|t| t.starts_with("sled::"))
                    || a.receiver_type(cx, &m.expr.receiver)
                        .is_some_and(|t| t.starts_with("sled::")))
        };
        if (kv || sled()) && m.expr.args.len() >= 2 {
            if let Some(secret) = m
                .expr
                .args
                .iter()
                .skip(1)
                .find_map(|e| stored_secret(cx, e))
            {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_STORAGE,
                    m.span,
                    m.full(),
                    format!("`{secret}` is stored in a key-value store unencrypted"),
                );
                return;
            }
        }
        if restricts_permissions(m.name) {
            cx.permissions_set = true;
            return;
        }
        if !matches!(m.name, "write_all" | "write") {
            return;
        }
        let ty = a.receiver_type(cx, &m.expr.receiver).unwrap_or_default();
        let Some(sink) = sink_of(&ty) else { return };
        if let Some(secret) = m.expr.args.first().and_then(|e| stored_secret(cx, e)) {
            a.report(
                Some(cx),
                rule_for(sink),
                m.span,
                m.full(),
                format!("`{secret}` is written to {sink} unencrypted"),
            );
        }
    }
}

const TCP: &str = "a plain TCP stream";

/// A secret written to a plain TCP stream is sent in clear, CWE-319
/// (`cleartext-url`); to a file, stored in clear, CWE-312.
fn rule_for(sink: &str) -> &'static str {
    if sink == TCP {
        id::CLEARTEXT_URL
    } else {
        id::CLEARTEXT_STORAGE
    }
}

/// The `column.eq(value)` calls of a diesel `values(..)` or `set(..)`
/// argument (a tuple or array of them, or one).
fn column_eqs<'e>(e: &'e Expr, out: &mut Vec<&'e syn::ExprMethodCall>) {
    match e {
        Expr::MethodCall(m) if m.method == "eq" && m.args.len() == 1 => out.push(m),
        Expr::Tuple(t) => t.elems.iter().for_each(|e| column_eqs(e, out)),
        Expr::Array(a) => a.elems.iter().for_each(|e| column_eqs(e, out)),
        Expr::Reference(r) => column_eqs(&r.expr, out),
        Expr::Paren(p) => column_eqs(&p.expr, out),
        _ => {}
    }
}

/// What a writer of this type writes to, when it is unencrypted storage or
/// transport.
fn sink_of(ty: &str) -> Option<&'static str> {
    if ty.ends_with("TcpStream") {
        Some(TCP)
    } else if ty.ends_with("File") || ty.ends_with("OpenOptions") {
        Some("a file")
    } else {
        None
    }
}

/// A secret (not merely private data) an expression holds, for a file or
/// a stream.
fn stored_secret(cx: &FnCx, e: &Expr) -> Option<String> {
    secret_source(cx, e)
        .filter(|n| is_secret_name(n) || is_bare_credential(n))
        .or_else(|| text_token(cx, e))
}

/// A bare `token` that is text (`token: &str`, a `String`), stored by a
/// function whose name says it handles credentials (`cache_token`,
/// `save_credentials`, `store_session`): alone the name is as often a
/// lexer's or a tokenizer's token (red team rt46: a BPE vocabulary
/// written to a file).
fn text_token(cx: &FnCx, e: &Expr) -> Option<String> {
    let credential_fn = ident_words(&cx.name).iter().any(|w| {
        matches!(
            w.as_str(),
            "token" | "credential" | "credentials" | "auth" | "session" | "login" | "secret"
        )
    });
    // Or a method of a store named for them (`TokenCache::put(user,
    // token)`, `SessionStore`; not a `TokenPrinter`: red team rt75).
    let credential_type = cx.self_ty.as_deref().is_some_and(|t| {
        let words = ident_words(t);
        words.iter().any(|w| {
            matches!(
                w.as_str(),
                "token" | "tokens" | "credential" | "credentials" | "session" | "sessions"
            )
        }) && words.iter().any(|w| {
            matches!(
                w.as_str(),
                "cache" | "store" | "storage" | "vault" | "db" | "repo" | "repository" | "jar"
            )
        })
    });
    if !credential_fn && !credential_type {
        return None;
    }
    let mut e = peel(e);
    while let Expr::MethodCall(m) = e {
        if !matches!(
            m.method.to_string().as_str(),
            "as_bytes" | "as_str" | "trim" | "to_string" | "clone" | "as_ref"
        ) {
            return None;
        }
        e = peel(&m.receiver);
    }
    let Expr::Path(p) = e else { return None };
    let name = p.path.get_ident()?.to_string();
    if name != "token" {
        return None;
    }
    let ty = cx.vars.get(&name)?.ty.as_deref()?;
    let base = ty.trim_start_matches('&').trim();
    matches!(
        base,
        "str" | "String" | "std::string::String" | "alloc::string::String"
    )
    .then_some(name)
}

/// `conn.exec_drop("INSERT INTO keys (service, api_key) VALUES (?, ?)",
/// (service, &key))`: a parameter bound to a column named like a secret
/// (not `password_hash`), whose value is neither a literal nor named or
/// made as a transformed one (`digest`, `hash_password(..)`). The
/// statement is a literal; its parameters a tuple, an array or
/// `params![..]`, in order.
fn secret_column(args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) -> Option<String> {
    let sql = args.first().and_then(lit_str)?;
    let columns = placeholder_columns(&sql);
    if columns.iter().all(Option::is_none) {
        return None;
    }
    let values: Vec<Expr> = match args.get(1).map(peel)? {
        Expr::Tuple(t) => t.elems.iter().cloned().collect(),
        Expr::Array(a) => a.elems.iter().cloned().collect(),
        Expr::Macro(m) if last_ident(&m.mac.path) == "params" => {
            crate::macros::parse_args(&m.mac.tokens)
                .into_iter()
                .map(|a| a.expr)
                .collect()
        }
        _ => return None,
    };
    columns.iter().zip(&values).find_map(|(column, value)| {
        let column = column.as_deref()?;
        (is_secret_name(column)
            && !super::cleartext_logging::is_transformed_name(column)
            && !ident_words(column).iter().any(|w| is_derived_word(w))
            && holds_plain_value(value))
        .then(|| column.to_string())
    })
}

/// A word naming what was derived from a secret to identify or show it
/// (`api_key_fp`, `token_prefix`, `card_last4`), not the secret.
fn is_derived_word(w: &str) -> bool {
    matches!(
        w,
        "fp" | "fingerprint" | "prefix" | "suffix" | "last4" | "hint" | "len" | "length"
    )
}

/// Not a literal, and not named or made as a transformed value (`digest`,
/// `hash_password(&pw)`, `cipher.encrypt(..)`).
fn holds_plain_value(e: &Expr) -> bool {
    let transformed = |name: &str| {
        super::cleartext_logging::is_transformed_name(name)
            || ident_words(name).iter().any(|w| is_derived_word(w))
            || ident_words(name).iter().any(|w| {
                matches!(
                    w.as_str(),
                    "seal"
                        | "sealed"
                        | "argon2"
                        | "bcrypt"
                        | "scrypt"
                        | "pbkdf2"
                        | "sha256"
                        | "sha512"
                        | "hmac"
                        | "mac"
                )
            })
    };
    match peel(e) {
        Expr::Lit(_) => false,
        Expr::Path(p) => !transformed(&last_ident(&p.path)),
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => !transformed(&n.to_string()),
            syn::Member::Unnamed(_) => true,
        },
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => !p
                .path
                .segments
                .iter()
                .any(|s| transformed(&s.ident.to_string())),
            _ => true,
        },
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            match name.as_str() {
                "as_str" | "as_ref" | "clone" | "to_string" | "as_bytes" | "to_owned" => {
                    holds_plain_value(&m.receiver)
                }
                _ => !transformed(&name),
            }
        }
        _ => true,
    }
}

/// The column each parameter of a statement fills, by parameter position:
/// `INSERT INTO t (a, b) VALUES (?, ?)` gives `[a, b]`; `UPDATE t SET a =
/// $2, b = $1 WHERE id = $3` gives `[b, a, None]`. `None` where unknown.
fn placeholder_columns(sql: &str) -> Vec<Option<String>> {
    let lower = sql.to_ascii_lowercase();
    let mut by_param: Vec<(usize, String)> = Vec::new();
    let mut positional = 0usize;
    let mut place = |value: &str, column: &str, out: &mut Vec<(usize, String)>| {
        let value = value.trim();
        let index = if value == "?" {
            positional += 1;
            Some(positional - 1)
        } else {
            value
                .strip_prefix('$')
                .or_else(|| value.strip_prefix('?'))
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1))
        };
        if let Some(index) = index {
            let column = column
                .trim()
                .trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
            out.push((index, column.to_string()));
        }
    };
    if let Some(rest) = lower.trim_start().strip_prefix("insert") {
        let (Some(open), Some(values)) = (rest.find('('), rest.find("values")) else {
            return Vec::new();
        };
        let Some(close) = rest[open..].find(')').map(|c| c + open) else {
            return Vec::new();
        };
        if close > values {
            return Vec::new();
        }
        let columns: Vec<&str> = rest[open + 1..close].split(',').collect();
        let after = &rest[values + "values".len()..];
        let (Some(vopen), Some(vclose)) = (after.find('('), after.find(')')) else {
            return Vec::new();
        };
        if vclose < vopen {
            return Vec::new();
        }
        let vals: Vec<&str> = after[vopen + 1..vclose].split(',').collect();
        if vals.len() != columns.len() {
            return Vec::new();
        }
        for (column, value) in columns.iter().zip(vals) {
            place(value, column, &mut by_param);
        }
    } else if lower.trim_start().starts_with("update") {
        let Some(set) = lower.find(" set ") else {
            return Vec::new();
        };
        let body = &lower[set + 5..];
        let body = body.split(" where ").next().unwrap_or(body);
        for assignment in body.split(',') {
            if let Some((column, value)) = assignment.split_once('=') {
                place(value, column, &mut by_param);
            }
        }
    }
    let len = by_param.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
    let mut out = vec![None; len.min(64)];
    for (i, column) in by_param {
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(column);
        }
    }
    out
}

/// A secret or private data (a phone number, a card number: see
/// `cleartext_logging::is_private_name`) anywhere in a statement's
/// parameters: the value itself, or inside an array, tuple or
/// `params![..]` list. An e-mail address is not counted: a user table
/// keeps it to find the account and to write to its owner, and CodeQL's
/// sensitive-data heuristics leave it out as too noisy.
fn secret_within(cx: &FnCx, e: &Expr) -> Option<String> {
    if let Some(name) = secret_source(cx, e).filter(|n| !super::cleartext_logging::is_email_name(n))
    {
        return Some(name);
    }
    if let Some(name) = text_token(cx, e) {
        return Some(name);
    }
    match peel(e) {
        Expr::Reference(r) => secret_within(cx, &r.expr),
        Expr::Array(a) => a.elems.iter().find_map(|e| secret_within(cx, e)),
        Expr::Tuple(t) => t.elems.iter().find_map(|e| secret_within(cx, e)),
        // `let values = (&form.name, &form.db_password); exec_drop(sql,
        // values)`: a part of a tuple bound here (see the engine's `let`).
        Expr::Path(_) => var_of(e).and_then(|v| {
            (0..16).find_map(|i| {
                cx.vars
                    .get(&format!("{v}.{i}"))
                    .and_then(|p| p.secret.clone())
                    .filter(|n| !super::cleartext_logging::is_email_name(n))
            })
        }),
        Expr::Macro(m)
            if matches!(
                last_ident(&m.mac.path).as_str(),
                "params" | "named_params" | "vec"
            ) =>
        {
            crate::macros::parse_args(&m.mac.tokens)
                .iter()
                .find_map(|a| secret_within(cx, &a.expr))
        }
        _ => None,
    }
}
