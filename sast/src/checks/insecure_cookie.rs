use super::prelude::*;

/// `insecure-cookie`: cookies built without `Secure`, `HttpOnly` or
/// `SameSite`, or with `Secure`/`HttpOnly` explicitly off. Builder chains
/// (`Cookie::build(..)` of the cookie crate, actix-web and axum-extra;
/// `CookieBuilder::new`) are judged on the chain; `Cookie::new` on the
/// setters called in the same function. A cookie built to be removed
/// (`jar.remove(Cookie::new(..))`, `.removal()`) is not a finding.
pub(crate) struct Check;

const SECURE: u8 = 1;
const HTTP_ONLY: u8 = 2;
const SAME_SITE: u8 = 4;
const ALL: u8 = SECURE | HTTP_ONLY | SAME_SITE;

/// `secure(true)` and `http_only(true)`, … for the flags missing from `set`.
fn missing(set: u8, builder: bool) -> String {
    let names: &[(u8, &str, &str)] = &[
        (SECURE, "`secure(true)`", "`set_secure(true)`"),
        (HTTP_ONLY, "`http_only(true)`", "`set_http_only(true)`"),
        (SAME_SITE, "`same_site(..)`", "`set_same_site(..)`"),
    ];
    let parts: Vec<&str> = names
        .iter()
        .filter(|(flag, _, _)| set & flag == 0)
        .map(|(_, b, s)| if builder { *b } else { *s })
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The flag a builder method or setter sets, unless its argument turns it
/// off (`false`, `None`).
fn flag_of(name: &str, arg: Option<&Expr>) -> Option<u8> {
    let flag = match name {
        "secure" | "set_secure" => SECURE,
        "http_only" | "set_http_only" => HTTP_ONLY,
        "same_site" | "set_same_site" => SAME_SITE,
        _ => return None,
    };
    let off = arg.is_some_and(|a| {
        lit_bool(a) == Some(false) || matches!(peel(a), Expr::Path(p) if p.path.is_ident("None"))
    });
    (!off).then_some(flag)
}

fn is_cookie_ctor(callee: &str) -> bool {
    path_ends_with(callee, "Cookie::build") || path_ends_with(callee, "CookieBuilder::new")
}

/// Report the deferred `Cookie::new` findings of a finished function whose
/// setters did not set every flag.
pub(crate) fn finish(a: &mut FileAnalyzer<'_>, cx: &FnCx) {
    if cx.cookie_flags & ALL == ALL {
        return;
    }
    let message = format!("cookie created without {}", missing(cx.cookie_flags, false));
    for finding in &cx.deferred_cookie {
        let mut finding = finding.clone();
        finding.message = message.clone();
        a.findings.push(finding);
    }
}

impl super::Check for Check {
    /// A `Set-Cookie` value written as text (`format!("auth={v}; Max-Age=60;
    /// Secure")`, then `Cookie::parse` or a `SET_COOKIE` header): judged on
    /// the attributes the text names.
    fn literal(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, lit: &syn::Lit, value: &str) {
        if cx.is_none() || !matches!(lit, syn::Lit::Str(_)) {
            return;
        }
        let Some(set) = cookie_text_flags(value) else {
            return;
        };
        // Only where the file sets cookies from text: a `Set-Cookie`
        // header or a parsed cookie (not a client's cookie store). Looked
        // at only for cookie-like text (a whole-file search per literal
        // would cost a pass over the file for each).
        let source = a.source;
        let sets_cookies = [
            "SET_COOKIE",
            "Cookie::parse",
            "Set-Cookie",
            "set-cookie",
            "SET-COOKIE",
        ]
        .iter()
        .any(|needle| source.contains(needle));
        if !sets_cookies {
            return;
        }
        if set & ALL != ALL {
            let span = lit.span();
            let missing = ["Secure", "HttpOnly", "SameSite"]
                .iter()
                .zip([SECURE, HTTP_ONLY, SAME_SITE])
                .filter(|(_, flag)| set & flag == 0)
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", ");
            a.report(
                cx,
                id::INSECURE_COOKIE,
                span,
                span,
                format!("cookie written as `Set-Cookie` text without {missing}"),
            );
        }
    }

    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        if path_ends_with(call.callee, "Cookie::new") {
            let finding = a.finding(
                cx,
                id::INSECURE_COOKIE,
                call.expr.span(),
                "cookie created without its security attributes".into(),
            );
            cx.deferred_cookie.push(finding);
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if matches!(
            m.name,
            "remove" | "remove_private" | "remove_signed" | "force_remove"
        ) {
            // A removal cookie is sent expired; its attributes do not matter.
            if let Some(arg) = m.expr.args.first() {
                let (first, last) = (start_of(arg.span()).0, end_of(arg.span()).0);
                let inside = |f: &RawFinding| {
                    f.rule == id::INSECURE_COOKIE && f.line >= first && f.line <= last
                };
                cx.deferred_cookie.retain(|f| !inside(f));
                a.findings.retain(|f| f.file.is_some() || !inside(f));
            }
            return;
        }
        let arg = m.expr.args.first();
        if matches!(
            m.name,
            "secure" | "set_secure" | "http_only" | "set_http_only"
        ) && arg.and_then(lit_bool) == Some(false)
        {
            a.report(
                Some(cx),
                id::INSECURE_COOKIE,
                m.span,
                m.full(),
                format!("cookie built with `{}(false)`", m.name),
            );
            return;
        }
        if m.name.starts_with("set_") {
            if let Some(flag) = flag_of(m.name, arg) {
                cx.cookie_flags |= flag;
            }
        }
    }

    fn chain_top(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &syn::ExprMethodCall) {
        // `chain` of the whole call, without cloning it into an `Expr`.
        let (rest, root) = chain(&m.receiver);
        let methods: Vec<&syn::ExprMethodCall> = std::iter::once(m).chain(rest).collect();
        let Expr::Call(c) = root else { return };
        let Expr::Path(p) = &*c.func else { return };
        let callee = a.imports.resolve(&p.path);
        if !is_cookie_ctor(&callee) {
            return;
        }
        let mut set = 0;
        let mut explicit_off = false;
        for call in &methods {
            let name = call.method.to_string();
            if matches!(name.as_str(), "removal" | "make_removal") {
                return;
            }
            match flag_of(&name, call.args.first()) {
                Some(flag) => set |= flag,
                None => explicit_off |= matches!(name.as_str(), "secure" | "http_only"),
            }
        }
        // An explicit `secure(false)` is reported at that call (`method`).
        if set & ALL != ALL && !explicit_off {
            a.report(
                Some(cx),
                id::INSECURE_COOKIE,
                c.span(),
                c.span(),
                format!("cookie built without {}", missing(set, true)),
            );
        }
    }
}

/// The flags a `Set-Cookie` value written as text sets, or `None` when the
/// text is not one: `name=value` then `;`-separated attributes, at least
/// one of them a cookie attribute (`Path`, `Domain`, `Max-Age`, `Expires`,
/// `SameSite`, `Secure`, `HttpOnly`). A cookie that deletes itself
/// (`Max-Age=0`, an empty value) is not judged.
fn cookie_text_flags(text: &str) -> Option<u8> {
    let mut parts = text.split(';').map(str::trim);
    let first = parts.next()?;
    let (name, value) = first.split_once('=')?;
    if name.is_empty() || name.contains(char::is_whitespace) || value.is_empty() {
        return None;
    }
    let mut set = 0;
    let mut attributes = 0;
    for part in parts.filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "secure" => set |= SECURE,
            "httponly" => set |= HTTP_ONLY,
            "samesite" => set |= SAME_SITE,
            // Deleting the cookie: no lifetime left, or a date in the past.
            "max-age" if value.trim().parse::<i64>().is_ok_and(|n| n <= 0) => return None,
            "expires" if value.contains("1970") => return None,
            "path" | "domain" | "max-age" | "expires" | "partitioned" => {}
            _ => return None,
        }
        attributes += 1;
    }
    // Text that starts with an attribute (`Domain=..; Path=/; ..` appended
    // to a cookie built elsewhere, or an HSTS `max-age=..; ..` value) is
    // not judged on its own.
    if matches!(
        name.trim().to_ascii_lowercase().as_str(),
        "domain" | "path" | "max-age" | "expires" | "samesite"
    ) {
        return None;
    }
    // At least one attribute after a `;`: `path={}` alone is a key=value
    // line (git's credential protocol), not a cookie.
    (attributes > 0).then_some(set)
}
