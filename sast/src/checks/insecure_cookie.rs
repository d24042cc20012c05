use super::prelude::*;

/// `insecure-cookie`, `cookie-without-httponly`, `cookie-without-samesite`:
/// cookies built without `Secure`, `HttpOnly` or `SameSite`, or with
/// `Secure`/`HttpOnly` explicitly off. A finding takes the rule of the
/// first attribute missing in that order (`rule_for`): a cookie without
/// `Secure` is `insecure-cookie` whatever else it lacks. Builder chains
/// (`Cookie::build(..)` of the cookie crate, actix-web and axum-extra;
/// `CookieBuilder::new`) are judged on the chain; `Cookie::new` on the
/// setters called in the same function. A cookie created without `Secure`
/// and added to a jar or response (`jar.add(c.clone())`,
/// `cookies.insert(c)`) is also reported at that call, following the
/// variable through the function's statements. A cookie built to be
/// removed (`jar.remove(Cookie::new(..))`, `.removal()`) is not a finding.
pub(crate) struct Check;

const SECURE: u8 = 1;
const HTTP_ONLY: u8 = 2;
const SAME_SITE: u8 = 4;
const ALL: u8 = SECURE | HTTP_ONLY | SAME_SITE;

/// The rule for a cookie that sets the flags in `set` (not all of them).
fn rule_for(set: u8) -> &'static str {
    if set & SECURE == 0 {
        id::INSECURE_COOKIE
    } else if set & HTTP_ONLY == 0 {
        id::COOKIE_WITHOUT_HTTPONLY
    } else {
        id::COOKIE_WITHOUT_SAMESITE
    }
}

/// Whether `rule` is one of this check's rules.
fn is_cookie_rule(rule: &str) -> bool {
    rule == id::INSECURE_COOKIE
        || rule == id::COOKIE_WITHOUT_HTTPONLY
        || rule == id::COOKIE_WITHOUT_SAMESITE
}

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
    let off = arg.is_some_and(is_off);
    // `Secure` from a variable or a condition (`secure(cfg.tls)`) may be
    // off: only a literal `true` (or `Some(true)`) sets it.
    if flag == SECURE && !off && !arg.is_some_and(is_literal_true) {
        return None;
    }
    (!off).then_some(flag)
}

/// `false` or `None`: a flag explicitly turned off.
fn is_off(e: &Expr) -> bool {
    lit_bool(e) == Some(false) || matches!(peel(e), Expr::Path(p) if p.path.is_ident("None"))
}

/// `true` or `Some(true)`.
fn is_literal_true(e: &Expr) -> bool {
    match peel(e) {
        Expr::Call(c) if c.args.len() == 1 => {
            matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Some"))
                && lit_bool(&c.args[0]) == Some(true)
        }
        e => lit_bool(e) == Some(true),
    }
}

fn is_cookie_ctor(callee: &str) -> bool {
    path_ends_with(callee, "Cookie::build") || path_ends_with(callee, "CookieBuilder::new")
}

/// Report the deferred `Cookie::new` findings of a finished function whose
/// setters did not set every flag.
pub(crate) fn finish(a: &mut FileAnalyzer<'_>, cx: &FnCx) {
    if cx.deferred_cookie.is_empty() || cx.cookie_flags & ALL == ALL {
        return;
    }
    let message = format!("cookie created without {}", missing(cx.cookie_flags, false));
    for finding in &cx.deferred_cookie {
        let mut finding = finding.clone();
        finding.rule = rule_for(cx.cookie_flags);
        finding.message = message.clone();
        a.findings.push(finding);
    }
}

/// Whether a cookie value made by this call is `Secure`: `Some(false)` for
/// a cookie created with no attributes (`Cookie::new`, `Cookie::named`,
/// `Cookie::from("name")`, biscotti's `ResponseCookie::new`/`from`),
/// `None` when the call makes no cookie.
fn created_cookie(a: &FileAnalyzer<'_>, e: &Expr) -> Option<bool> {
    let Expr::Call(c) = peel(e) else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    let n = p.path.segments.len();
    if n < 2 {
        return None;
    }
    let ty = p.path.segments[n - 2].ident.to_string();
    let f = p.path.segments[n - 1].ident.to_string();
    if !matches!(f.as_str(), "new" | "named" | "from" | "new_with_str") {
        return None;
    }
    let resolved = a.imports.resolve(&p.path);
    // Also under a local alias (`use actix_web::cookie::Cookie as
    // ActixCookie` inside a function); a request's cookies are not sent.
    let cookie_ty = (ty.ends_with("Cookie") || resolved.rsplit("::").nth(1) == Some("Cookie"))
        && ty != "RequestCookie";
    if !cookie_ty {
        return None;
    }
    // `Cookie::from(builder)`: what the builder set.
    let secure = c.args.first().is_some_and(|arg| {
        let (methods, _) = chain(arg);
        secure_after(false, &methods, false)
    });
    Some(secure)
}

/// `Secure` after these calls (outermost first, as [`chain`] lists them).
/// Under a condition only turning it off counts: the cookie may still be
/// insecure after `if c { cookie.set_secure(true) }`.
fn secure_after(mut secure: bool, methods: &[&syn::ExprMethodCall], conditional: bool) -> bool {
    for m in methods.iter().rev() {
        let name = m.method.to_string();
        let on = m.args.first().and_then(lit_bool) == Some(true);
        match name.as_str() {
            "secure" | "set_secure" if !on => secure = false,
            "secure" | "set_secure" | "partitioned" | "set_partitioned" if on => {
                secure |= !conditional
            }
            _ => {}
        }
    }
    secure
}

/// Cookies of one function followed in source order: created without
/// `Secure` (or with it turned off) and added to a jar or a response
/// (`jar.add(c.clone())`, `private_jar.add(c)`, `cookies.insert(c)`).
struct CookieFlow {
    /// Cookie variables: name, `Secure`, line created.
    vars: Vec<(String, bool, usize)>,
}

impl CookieFlow {
    fn get(&self, name: &str) -> Option<(bool, usize)> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .map(|(_, s, l)| (*s, *l))
    }

    fn set(&mut self, name: String, secure: bool, line: usize) {
        self.vars.retain(|(n, _, _)| *n != name);
        self.vars.push((name, secure, line));
    }

    /// A cookie value: its `Secure` and the line it was created on.
    fn value(&self, a: &FileAnalyzer<'_>, e: &Expr) -> Option<(bool, usize)> {
        let (methods, root) = chain(e);
        // Still the cookie (not its name or its text).
        let same_cookie = methods.iter().all(|m| {
            let name = m.method.to_string();
            name.starts_with("set_")
                || name.starts_with("unset_")
                || name.starts_with("make_")
                || matches!(
                    name.as_str(),
                    "clone"
                        | "into"
                        | "to_owned"
                        | "into_owned"
                        | "unwrap"
                        | "build"
                        | "finish"
                        | "secure"
                        | "http_only"
                        | "same_site"
                        | "partitioned"
                        | "path"
                        | "domain"
                        | "expires"
                        | "max_age"
                        | "permanent"
                )
        });
        if !same_cookie {
            return None;
        }
        let (secure, line) = match created_cookie(a, root) {
            Some(secure) => (secure, start_of(root.span()).0),
            None => self.get(&var_of(root)?)?,
        };
        Some((secure_after(secure, &methods, false), line))
    }

    /// Cookies lent mutably to a call are forgotten.
    fn lent(&mut self, args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) {
        for arg in args {
            if let Expr::Reference(r) = arg {
                if r.mutability.is_some() {
                    if let Some(v) = var_of(&r.expr) {
                        self.vars.retain(|(n, _, _)| *n != v);
                    }
                }
            }
        }
    }

    fn stmts(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, stmts: &[syn::Stmt], cond: bool) {
        for stmt in stmts {
            match stmt {
                syn::Stmt::Local(l) => {
                    let Some(init) = &l.init else { continue };
                    self.expr(a, cx, &init.expr, cond);
                    let pat = match &l.pat {
                        syn::Pat::Type(t) => &*t.pat,
                        p => p,
                    };
                    if let syn::Pat::Ident(id) = pat {
                        let name = id.ident.to_string();
                        match self.value(a, &init.expr) {
                            Some((secure, line)) => self.set(name, secure, line),
                            None => self.vars.retain(|(n, _, _)| *n != name),
                        }
                    }
                }
                syn::Stmt::Expr(e, _) => self.expr(a, cx, e, cond),
                _ => {}
            }
        }
    }

    fn expr(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, e: &Expr, cond: bool) {
        match e {
            Expr::If(i) => {
                self.stmts(a, cx, &i.then_branch.stmts, true);
                if let Some((_, other)) = &i.else_branch {
                    self.expr(a, cx, other, true);
                }
            }
            Expr::ForLoop(f) => self.stmts(a, cx, &f.body.stmts, true),
            Expr::While(w) => self.stmts(a, cx, &w.body.stmts, true),
            Expr::Loop(l) => self.stmts(a, cx, &l.body.stmts, true),
            Expr::Block(b) => self.stmts(a, cx, &b.block.stmts, cond),
            Expr::Assign(x) if matches!(&*x.left, Expr::Infer(_)) => {
                self.expr(a, cx, &x.right, cond)
            }
            Expr::Call(c) => self.lent(&c.args),
            Expr::MethodCall(m) => {
                // `harden(&mut cookie)`: set elsewhere, no longer known.
                self.lent(&m.args);
                let name = m.method.to_string();
                if m.args.len() == 1
                    && matches!(
                        name.as_str(),
                        "add" | "add_original" | "insert" | "add_cookie" | "cookie"
                    )
                {
                    if let Some((false, line)) = self.value(a, &m.args[0]) {
                        let span = m.span();
                        a.report(
                            Some(cx),
                            id::INSECURE_COOKIE,
                            span,
                            span,
                            format!(
                                "cookie without `Secure` (created on line {line}) is sent by `.{name}`"
                            ),
                        );
                    }
                }
                // `cookie.set_secure(..)` on a followed cookie.
                let (methods, root) = chain(e);
                if let Some(var) = var_of(root) {
                    if let Some((secure, line)) = self.get(&var) {
                        let after = secure_after(secure, &methods, cond);
                        self.set(var, after, line);
                    }
                }
            }
            _ => {}
        }
    }
}

impl super::Check for Check {
    fn function(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: &FnCx,
        sig: &syn::Signature,
        block: &syn::Block,
    ) {
        // Only a body that names a cookie can make or send one.
        if !super::function_mentions(a, sig, block, &["ookie", "OOKIE"]) {
            return;
        }
        let mut flow = CookieFlow { vars: Vec::new() };
        flow.stmts(a, cx, &block.stmts, false);
    }

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
                rule_for(set),
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
                let inside =
                    |f: &RawFinding| is_cookie_rule(f.rule) && f.line >= first && f.line <= last;
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
            let rule = if m.name.ends_with("secure") {
                id::INSECURE_COOKIE
            } else {
                id::COOKIE_WITHOUT_HTTPONLY
            };
            a.report(
                Some(cx),
                rule,
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
        let (mut secure_off, mut http_only_off) = (false, false);
        for call in &methods {
            let name = call.method.to_string();
            if matches!(name.as_str(), "removal" | "make_removal") {
                return;
            }
            match flag_of(&name, call.args.first()) {
                Some(flag) => set |= flag,
                None => {
                    let off = call.args.first().is_some_and(is_off);
                    secure_off |= off && name == "secure";
                    http_only_off |= off && name == "http_only";
                }
            }
        }
        // An explicit `secure(false)` or `http_only(false)` is reported at
        // that call (`method`); a missing `Secure` beside the latter still
        // is here.
        let report = if http_only_off {
            set & SECURE == 0
        } else {
            set & ALL != ALL
        };
        if report && !secure_off {
            a.report(
                Some(cx),
                rule_for(set),
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
