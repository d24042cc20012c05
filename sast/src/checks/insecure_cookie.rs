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
/// removed (`jar.remove(Cookie::new(..))`, `.removal()`) is not a finding,
/// nor is a cookie whose literal name says it holds a display preference
/// (`theme`, `lang`, `tz`: [`is_preference_name`]).
pub(crate) struct Check;

/// Words of cookie names that hold a visitor's display preference, which
/// nobody gains by reading or forging (`theme`, `ui_theme`, `lang`, `tz`,
/// `cookie_consent`). A closed list: a name with any other word
/// (`session`, `sid`, `token`, `user`, `id`, `cart`) is judged.
const PREFERENCE_WORDS: &[&str] = &[
    "theme",
    "ui",
    "color",
    "colour",
    "scheme",
    "dark",
    "light",
    "mode",
    "lang",
    "language",
    "locale",
    "tz",
    "timezone",
    "currency",
    "consent",
    "cookie",
    "cookies",
    "banner",
    "dismissed",
    "font",
    "size",
    "layout",
    "sidebar",
    "units",
    "prefs",
    "preferences",
];

/// Whether a cookie's name (the first argument of its constructor, or the
/// first element of a `(name, value)` tuple) is a literal made only of
/// [`PREFERENCE_WORDS`].
fn is_preference_name(arg: Option<&Expr>) -> bool {
    let name = match arg.map(peel) {
        Some(Expr::Tuple(t)) => t.elems.first().and_then(lit_str),
        Some(e) => lit_str(e),
        None => None,
    };
    name.is_some_and(|n| preference_text(&n))
}

/// [`is_preference_name`] of a name as text.
fn preference_text(name: &str) -> bool {
    // A name written out in full: not `{}_ui` with a placeholder.
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Every word a preference's, or one word of an application's name
    // then a display setting (`forum_locale`, `app_theme`; not `sudo_mode`
    // or `ssid_lang`, red team rt83).
    let sensitive = |w: &str| {
        matches!(
            w,
            "session"
                | "sess"
                | "sessid"
                | "sid"
                | "ssid"
                | "token"
                | "auth"
                | "authz"
                | "login"
                | "remember"
                | "rememberme"
                | "csrf"
                | "xsrf"
                | "jwt"
                | "id"
                | "idtoken"
                | "user"
                | "account"
                | "key"
                | "secret"
                | "refresh"
                | "access"
                | "identity"
                | "credential"
                | "credentials"
                | "cred"
                | "creds"
                | "sudo"
                | "admin"
                | "impersonate"
                | "role"
                | "mfa"
                | "otp"
                | "pass"
                | "passwd"
                | "password"
                | "signed"
                | "bearer"
                | "oauth"
        )
    };
    let setting = |w: &str| {
        matches!(
            w,
            "theme"
                | "color"
                | "colour"
                | "lang"
                | "language"
                | "locale"
                | "tz"
                | "timezone"
                | "currency"
                | "font"
        )
    };
    words.iter().all(|w| PREFERENCE_WORDS.contains(w))
        || matches!(words.as_slice(), [app, last] if setting(last) && !sensitive(app))
}

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

/// The rules after [`rule_for`]'s for a cookie that sets the flags in
/// `set`: the finding stands for them too (`RawFinding::also`).
fn also_for(set: u8) -> &'static [&'static str] {
    const H: &str = id::COOKIE_WITHOUT_HTTPONLY;
    const S: &str = id::COOKIE_WITHOUT_SAMESITE;
    match (
        set & SECURE == 0,
        set & HTTP_ONLY == 0,
        set & SAME_SITE == 0,
    ) {
        (true, true, true) => &[H, S],
        (true, true, false) => &[H],
        (true, false, true) | (false, true, true) => &[S],
        _ => &[],
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
/// off (`false`, `None`). `known_on`: the check's walk worked the argument
/// out to be `true` (`let always = true; .. .secure(always)`).
fn flag_of(name: &str, arg: Option<&Expr>, known_on: bool) -> Option<u8> {
    match setting(name, arg, known_on) {
        Some((flag, Some(true))) => Some(flag),
        _ => None,
    }
}

/// The flag a builder method or setter is about, and whether it turns it
/// on (`Some(true)`), off (`Some(false)`: `false`, `None`) or may do
/// either (`secure(cfg.tls)`: only a literal `true` or `Some(true)`, or a
/// value the walk worked out, sets `Secure`). `partitioned(true)`
/// implies `Secure`; any other `partitioned` says nothing about it.
fn setting(name: &str, arg: Option<&Expr>, known_on: bool) -> Option<(u8, Option<bool>)> {
    let flag = match name {
        "secure" | "set_secure" => SECURE,
        "partitioned" | "set_partitioned" => {
            return (known_on || arg.is_some_and(is_literal_true)).then_some((SECURE, Some(true)))
        }
        "http_only" | "set_http_only" => HTTP_ONLY,
        "same_site" | "set_same_site" => SAME_SITE,
        _ => return None,
    };
    if arg.is_some_and(is_off) || flag == SAME_SITE && arg.is_some_and(is_same_site_none) {
        return Some((flag, Some(false)));
    }
    if flag == SECURE && !known_on && !arg.is_some_and(is_literal_true) {
        return Some((flag, None));
    }
    Some((flag, Some(true)))
}

/// `FnCx::cookie_marks`: a `secure(x)`/`partitioned(x)` call whose `x` the
/// walk worked out to be `true` (a local bound to `true`, `!never`, a
/// guard `if x { .. }`).
const MARK_ON: u8 = 1;
/// `FnCx::cookie_marks`: a `set_secure(false)`/`secure(false)` whose
/// cookie the walk reports where it is sent or used; not reported again
/// at the call itself.
const MARK_SENT: u8 = 2;

/// Whether the walk marked the call whose method name is at `span`.
fn marked(cx: &FnCx, span: Span, mark: u8) -> bool {
    let (line, column) = start_of(span);
    cx.cookie_marks
        .borrow()
        .iter()
        .any(|&(l, c, m)| l == line && c == column && m == mark)
}

fn mark(cx: &FnCx, span: Span, mark: u8) {
    mark_pos(cx, start_of(span), mark);
}

/// A flag's value worked out from literals and the locals in `bools`
/// (`always`, `!never`, `always || never`); `None` when it may be either.
fn eval_bool(e: &Expr, bools: &[(String, bool)]) -> Option<bool> {
    match peel(e) {
        Expr::Lit(_) => lit_bool(e),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            bools
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| *b)
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            eval_bool(&u.expr, bools).map(|b| !b)
        }
        Expr::Binary(b) => {
            let (l, r) = (eval_bool(&b.left, bools), eval_bool(&b.right, bools));
            match b.op {
                syn::BinOp::And(_) if l == Some(false) || r == Some(false) => Some(false),
                syn::BinOp::And(_) => l.and(r),
                syn::BinOp::Or(_) if l == Some(true) || r == Some(true) => Some(true),
                syn::BinOp::Or(_) => l.and(r),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `false` or `None`: a flag explicitly turned off.
fn is_off(e: &Expr) -> bool {
    lit_bool(e) == Some(false) || matches!(peel(e), Expr::Path(p) if p.path.is_ident("None"))
}

/// `SameSite::None` (`Some(SameSite::None)`): sent on cross-site requests,
/// which is the protection `SameSite` gives turned off.
fn is_same_site_none(e: &Expr) -> bool {
    let e = match peel(e) {
        Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Some")) => {
            match c.args.first() {
                Some(arg) => peel(arg),
                None => return false,
            }
        }
        e => e,
    };
    let Expr::Path(p) = e else { return false };
    let mut names = p.path.segments.iter().rev().map(|s| s.ident.to_string());
    names.next().as_deref() == Some("None") && names.next().as_deref() == Some("SameSite")
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
    // A flag turned off explicitly is reported at its setter, not again.
    let set = cx.cookie_flags | cx.cookie_off;
    if cx.deferred_cookie.is_empty() || set & ALL == ALL {
        return;
    }
    let message = format!("cookie created without {}", missing(set, false));
    for finding in &cx.deferred_cookie {
        let mut finding = finding.clone();
        finding.rule = rule_for(set);
        finding.also = also_for(set);
        finding.message = message.clone();
        a.push_finding(finding);
    }
}

/// Where a call turned `Secure` off explicitly: the line and column of its
/// method name (as `FnCx::cookie_marks` keeps them).
type Pos = (usize, usize);

/// What the walk knows of a cookie value: whether it is `Secure`, the line
/// it was created on, and the call that last turned `Secure` off with a
/// literal (`set_secure(false)`), which `method` reports unless the
/// cookie is reported where it is sent.
#[derive(Clone, Copy)]
struct CookieState {
    secure: bool,
    line: usize,
    off_at: Option<Pos>,
    /// Named as a display preference ([`is_preference_name`]): never
    /// reported for a missing attribute.
    preference: bool,
    /// `HTTP_ONLY` and `SAME_SITE` as the calls followed set them: what a
    /// finding for a missing `Secure` stands for too (`also_for`).
    flags: u8,
}

/// A cookie variable followed by the walk.
struct CookieVar {
    name: String,
    state: CookieState,
    /// Block nesting where it was bound: a setter deeper than that may
    /// not run.
    depth: usize,
    /// Already reported where it was used by a call that does not send it.
    used: bool,
}

/// Cookies of one function followed in source order: created without
/// `Secure` (or with it turned off) and added to a jar or a response
/// (`jar.add(c.clone())`, `private_jar.add(c)`, `cookies.insert(c)`), or
/// settings with `Secure` turned off handed to a call
/// (`ServerSession::new(config, ..)`). Also works out flags given as
/// local booleans (`let always = true; .. .secure(always)`, a guard
/// `if x { .. .secure(x) }`) for the builder checks (`FnCx::cookie_marks`).
struct CookieFlow {
    vars: Vec<CookieVar>,
    /// Booleans known here: immutable locals bound to one, guards.
    bools: Vec<(String, bool)>,
    depth: usize,
}

/// Methods after which a value is still the cookie (not its name or its
/// text): setters and builder calls.
fn keeps_cookie(m: &syn::ExprMethodCall) -> bool {
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
        // Builder setters (`name("sid")`), not the getters.
        || (matches!(name.as_str(), "name" | "value") && !m.args.is_empty())
}

/// `Cookie::split_parse(header)` and its `_encoded` form: the cookies of a
/// request's `Cookie` header, which carry no attributes.
fn parsed_cookies(e: &Expr) -> bool {
    let Expr::Call(c) = peel(e) else { return false };
    let Expr::Path(p) = &*c.func else {
        return false;
    };
    let n = p.path.segments.len();
    n >= 2
        && p.path.segments[n - 1]
            .ident
            .to_string()
            .starts_with("split_parse")
        && p.path.segments[n - 2].ident.to_string().ends_with("Cookie")
}

/// A call that only wraps or converts its argument (`Ok(c)`,
/// `Box::new(c)`, `Cookie::from(c)`): not a use.
fn wraps(func: &Expr) -> bool {
    let Expr::Path(p) = func else { return true };
    let n = p.path.segments.len();
    let last = p.path.segments[n - 1].ident.to_string();
    (n == 1 && last.starts_with(char::is_uppercase))
        || last == "from"
        || (n >= 2
            && last == "new"
            && matches!(
                p.path.segments[n - 2].ident.to_string().as_str(),
                "Box" | "Arc" | "Rc" | "RefCell" | "Cell" | "Mutex" | "RwLock"
            ))
}

impl CookieFlow {
    fn get(&self, name: &str) -> Option<&CookieVar> {
        self.vars.iter().rev().find(|v| v.name == name)
    }

    fn forget(&mut self, name: &str) {
        self.vars.retain(|v| v.name != name);
    }

    fn set(&mut self, name: String, state: CookieState) {
        self.forget(&name);
        self.vars.push(CookieVar {
            name,
            state,
            depth: self.depth,
            used: false,
        });
    }

    /// The state after these calls (outermost first, as [`chain`] lists
    /// them). Under a condition only turning `Secure` off counts: the
    /// cookie may still be insecure after `if c { cookie.set_secure(true) }`.
    fn after(
        &self,
        mut state: CookieState,
        methods: &[&syn::ExprMethodCall],
        conditional: bool,
    ) -> CookieState {
        for m in methods.iter().rev() {
            let name = m.method.to_string();
            let arg = m.args.first();
            let on = arg.and_then(|a| eval_bool(a, &self.bools)) == Some(true);
            match name.as_str() {
                "secure" | "set_secure" if !on => {
                    state.secure = false;
                    state.off_at = arg.is_some_and(is_off).then(|| start_of(m.method.span()));
                }
                "secure" | "set_secure" | "partitioned" | "set_partitioned"
                    if on && !conditional =>
                {
                    state.secure = true;
                    state.off_at = None;
                }
                "http_only" | "set_http_only" if !on => state.flags &= !HTTP_ONLY,
                "http_only" | "set_http_only" if !conditional => state.flags |= HTTP_ONLY,
                "same_site" | "set_same_site"
                    if arg.is_none_or(|a| is_off(a) || is_same_site_none(a)) =>
                {
                    state.flags &= !SAME_SITE
                }
                "same_site" | "set_same_site" if !conditional => state.flags |= SAME_SITE,
                _ => {}
            }
        }
        state
    }

    /// Whether a cookie value made by this call is `Secure`: `Some(false)`
    /// for a cookie created with no attributes (`Cookie::new`,
    /// `Cookie::named`, `Cookie::from("name")`, biscotti's
    /// `ResponseCookie::new`/`from`), `None` when the call makes no cookie.
    fn created(&self, a: &FileAnalyzer<'_>, e: &Expr) -> Option<bool> {
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
            let start = CookieState {
                secure: false,
                line: 0,
                off_at: None,
                preference: false,
                flags: 0,
            };
            self.after(start, &methods, false).secure
        });
        Some(secure)
    }

    /// A cookie value (or settings with `Secure` turned off explicitly).
    fn value(&self, a: &FileAnalyzer<'_>, e: &Expr) -> Option<CookieState> {
        let (methods, root) = chain(e);
        if !methods.iter().all(|m| keeps_cookie(m)) {
            return None;
        }
        // `Cookie::build(..)`: a builder, `Secure` as its calls set it.
        let built = match root {
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if is_cookie_ctor(&a.imports.resolve(&p.path)))
            }
            _ => false,
        };
        let created = if built {
            Some(false)
        } else {
            self.created(a, root)
        };
        let start = match created {
            Some(secure) => CookieState {
                secure,
                line: start_of(root.span()).0,
                off_at: None,
                preference: matches!(root, Expr::Call(c) if is_preference_name(c.args.first())),
                flags: 0,
            },
            None => match var_of(root).and_then(|v| self.get(&v)) {
                Some(v) => v.state,
                // Settings of another kind (`CookieConfig::new()`): only
                // followed once `secure(false)` turned `Secure` off.
                None => {
                    let state = self.after(
                        CookieState {
                            secure: true,
                            line: start_of(root.span()).0,
                            off_at: None,
                            preference: false,
                            flags: HTTP_ONLY | SAME_SITE,
                        },
                        &methods,
                        false,
                    );
                    return state.off_at.is_some().then_some(state);
                }
            },
        };
        let state = self.after(start, &methods, false);
        // A builder without `Secure` is reported where it is built
        // (`chain_top`), not again where it is sent.
        if built && !state.secure && state.off_at.is_none() {
            return None;
        }
        Some(state)
    }

    /// Cookies lent mutably to a call are forgotten.
    fn lent(&mut self, args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) {
        for arg in args {
            if let Expr::Reference(r) = arg {
                if r.mutability.is_some() {
                    if let Some(v) = var_of(&r.expr) {
                        self.forget(&v);
                    }
                }
            }
        }
    }

    /// Settings with `Secure` turned off (`set_secure(false)`) handed to a
    /// call that does not send them itself (`ServerSession::new(config,
    /// ..)`): reported there, once, instead of at the setter.
    fn used(
        &mut self,
        a: &mut FileAnalyzer<'_>,
        cx: &FnCx,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        span: Span,
    ) {
        for arg in args {
            if matches!(arg, Expr::Reference(r) if r.mutability.is_some()) {
                continue;
            }
            let Some(var) = var_of(arg) else { continue };
            let Some(state) = self.value(a, arg) else {
                continue;
            };
            let (Some(off), false) = (state.off_at, state.secure) else {
                continue;
            };
            if self.get(&var).is_none_or(|v| v.used) {
                continue;
            }
            a.report(
                Some(cx),
                id::INSECURE_COOKIE,
                span,
                span,
                format!(
                    "cookie settings with `Secure` turned off (line {}) are used here",
                    off.0
                ),
            );
            mark_pos(cx, off, MARK_SENT);
            if let Some(v) = self.vars.iter_mut().rev().find(|v| v.name == var) {
                v.used = true;
            }
        }
    }

    /// Mark the `secure(x)` calls of a chain (and of chains in its
    /// arguments) whose `x` is known to be `true`.
    fn mark_known(&self, cx: &FnCx, e: &Expr) {
        let (methods, _) = chain(e);
        for m in methods {
            let name = m.method.to_string();
            if matches!(
                name.as_str(),
                "secure" | "set_secure" | "partitioned" | "set_partitioned"
            ) {
                if let Some(arg) = m.args.first() {
                    if lit_bool(arg).is_none() && eval_bool(arg, &self.bools) == Some(true) {
                        mark(cx, m.method.span(), MARK_ON);
                    }
                }
            }
            for arg in &m.args {
                if matches!(peel(arg), Expr::MethodCall(_)) {
                    self.mark_known(cx, arg);
                }
            }
        }
    }

    fn stmts(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, stmts: &[syn::Stmt]) {
        let bools = self.bools.len();
        for stmt in stmts {
            match stmt {
                syn::Stmt::Local(l) => {
                    let Some(init) = &l.init else { continue };
                    self.expr(a, cx, &init.expr);
                    let pat = match &l.pat {
                        syn::Pat::Type(t) => &*t.pat,
                        p => p,
                    };
                    if let syn::Pat::Ident(id) = pat {
                        let name = id.ident.to_string();
                        self.bools.retain(|(n, _)| *n != name);
                        if id.mutability.is_none() && id.by_ref.is_none() {
                            if let Some(b) = eval_bool(&init.expr, &self.bools) {
                                self.bools.push((name.clone(), b));
                            }
                        }
                        match self.value(a, &init.expr) {
                            Some(state) => self.set(name, state),
                            None => self.forget(&name),
                        }
                    }
                }
                syn::Stmt::Expr(e, _) => self.expr(a, cx, e),
                _ => {}
            }
        }
        self.bools.truncate(bools);
    }

    /// A nested block that may not run (a branch, a loop body), with
    /// `guard` known inside it.
    fn nested(
        &mut self,
        a: &mut FileAnalyzer<'_>,
        cx: &FnCx,
        stmts: &[syn::Stmt],
        guard: Option<(String, bool)>,
    ) {
        self.depth += 1;
        let bools = self.bools.len();
        self.bools.extend(guard);
        self.stmts(a, cx, stmts);
        self.bools.truncate(bools);
        self.depth -= 1;
    }

    fn expr(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, e: &Expr) {
        match e {
            Expr::If(i) => {
                // `if x { .. }`: `x` is true inside, false in the else.
                let guard = match peel(&i.cond) {
                    Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                        var_of(&u.expr).map(|v| (v, false))
                    }
                    Expr::Path(_) => var_of(&i.cond).map(|v| (v, true)),
                    _ => None,
                };
                self.nested(a, cx, &i.then_branch.stmts, guard.clone());
                if let Some((_, other)) = &i.else_branch {
                    let guard = guard.map(|(v, b)| (v, !b));
                    match &**other {
                        Expr::Block(b) => self.nested(a, cx, &b.block.stmts, guard),
                        other => {
                            self.depth += 1;
                            self.expr(a, cx, other);
                            self.depth -= 1;
                        }
                    }
                }
            }
            Expr::ForLoop(f) => {
                self.depth += 1;
                // `for c in Cookie::split_parse(header)`: cookies without
                // attributes.
                if let (true, syn::Pat::Ident(id)) = (parsed_cookies(&f.expr), &*f.pat) {
                    let state = CookieState {
                        secure: false,
                        line: start_of(f.expr.span()).0,
                        off_at: None,
                        preference: false,
                        flags: 0,
                    };
                    self.set(id.ident.to_string(), state);
                }
                self.stmts(a, cx, &f.body.stmts);
                self.depth -= 1;
            }
            Expr::While(w) => self.nested(a, cx, &w.body.stmts, None),
            Expr::Loop(l) => self.nested(a, cx, &l.body.stmts, None),
            Expr::Block(b) => self.stmts(a, cx, &b.block.stmts),
            Expr::Assign(x) if matches!(&*x.left, Expr::Infer(_)) => self.expr(a, cx, &x.right),
            Expr::Assign(x) => {
                if let Some(v) = var_of(&x.left) {
                    self.bools.retain(|(n, _)| *n != v);
                }
            }
            Expr::Call(c) => {
                for arg in &c.args {
                    self.mark_known(cx, arg);
                }
                if !wraps(&c.func) {
                    self.used(a, cx, &c.args, c.span());
                }
                self.lent(&c.args);
            }
            Expr::MethodCall(m) => {
                self.mark_known(cx, e);
                let name = m.method.to_string();
                let sends = m.args.len() == 1
                    && matches!(
                        name.as_str(),
                        "add" | "add_original" | "insert" | "add_cookie" | "cookie"
                    );
                if sends {
                    if let Some(state) = self
                        .value(a, &m.args[0])
                        .filter(|s| !s.secure && !s.preference)
                    {
                        let span = m.span();
                        let mut finding = FileAnalyzer::raw_finding(
                            Some(cx),
                            id::INSECURE_COOKIE,
                            span,
                            span,
                            format!(
                                "cookie without `Secure` (created on line {}) is sent by `.{name}`",
                                state.line
                            ),
                        );
                        finding.also = also_for(state.flags);
                        a.push_finding(finding);
                        if let Some(off) = state.off_at {
                            mark_pos(cx, off, MARK_SENT);
                        }
                    }
                } else if !name.starts_with("remove") && !keeps_cookie(m) {
                    self.used(a, cx, &m.args, m.span());
                }
                // `harden(&mut cookie)`: set elsewhere, no longer known.
                self.lent(&m.args);
                // `cookie.set_secure(..)` on a followed cookie.
                let (methods, root) = chain(e);
                if let Some(var) = var_of(root) {
                    if let Some(v) = self.get(&var) {
                        let conditional = self.depth > v.depth;
                        let after = self.after(v.state, &methods, conditional);
                        if let Some(v) = self.vars.iter_mut().rev().find(|v| v.name == var) {
                            v.state = after;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn mark_pos(cx: &FnCx, (line, column): Pos, mark: u8) {
    let mut marks = cx.cookie_marks.borrow_mut();
    if !marks.contains(&(line, column, mark)) {
        marks.push((line, column, mark));
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
        let mut flow = CookieFlow {
            vars: Vec::new(),
            bools: Vec::new(),
            depth: 0,
        };
        flow.stmts(a, cx, &block.stmts);
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
            let mut finding = FileAnalyzer::raw_finding(
                cx,
                rule_for(set),
                span,
                span,
                format!("cookie written as `Set-Cookie` text without {missing}"),
            );
            finding.also = also_for(set);
            a.push_finding(finding);
        }
    }

    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        // poem's `Cookie::new_with_str(name, value)` too.
        if (path_ends_with(call.callee, "Cookie::new")
            || path_ends_with(call.callee, "Cookie::new_with_str"))
            && !is_preference_name(call.expr.args.first())
        {
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
        // A builder rooted in another type's constructor is not a cookie
        // (`minio::ClientBuilder::new(ep).secure(false)`, red team rt78).
        let other_builder = || {
            let (_, root) = chain(&m.expr.receiver);
            matches!(peel(root), Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if {
                let callee = a.imports.resolve(&p.path);
                !is_cookie_ctor(&callee)
                    && !callee.split("::").any(|s| s.to_ascii_lowercase().contains("cookie"))
            }))
        };
        if matches!(
            m.name,
            "secure" | "set_secure" | "http_only" | "set_http_only"
        ) && arg.and_then(lit_bool) == Some(false)
            && !other_builder()
        {
            // Reported where the cookie is sent (the walk's `MARK_SENT`),
            // and not again where a setter's cookie is created (`finish`).
            if marked(cx, m.span, MARK_SENT) {
                if m.name.starts_with("set_") {
                    cx.cookie_off |= if m.name.ends_with("secure") {
                        SECURE
                    } else {
                        HTTP_ONLY
                    };
                }
                return;
            }
            let (rule, flag) = if m.name.ends_with("secure") {
                (id::INSECURE_COOKIE, SECURE)
            } else {
                (id::COOKIE_WITHOUT_HTTPONLY, HTTP_ONLY)
            };
            // A setter's (as the function's setters count for its
            // `Cookie::new`, `finish`); not a builder's.
            if m.name.starts_with("set_") {
                cx.cookie_off |= flag;
            }
            // From the start of the chain, as CodeQL locates a call: a
            // builder written over several lines is reported on the line
            // that creates the cookie, with the region to this call.
            a.report(
                Some(cx),
                rule,
                m.full(),
                m.full(),
                format!("cookie built with `{}(false)`", m.name),
            );
            return;
        }
        // `cookie.set_same_site(SameSite::None)`: sent on cross-site
        // requests, reported at that setter (a builder's `.same_site(..)`
        // is reported from its chain's first line, `chain_top`).
        if m.name == "set_same_site" && arg.is_some_and(is_same_site_none) && !other_builder() {
            cx.cookie_off |= SAME_SITE;
            a.report(
                Some(cx),
                id::COOKIE_WITHOUT_SAMESITE,
                m.full(),
                m.full(),
                "cookie set with `SameSite::None`, sent on cross-site requests".to_string(),
            );
            return;
        }
        if m.name.starts_with("set_") {
            if let Some(flag) = flag_of(m.name, arg, marked(cx, m.span, MARK_ON)) {
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
        if !is_cookie_ctor(&callee) || is_preference_name(c.args.first()) {
            return;
        }
        let (mut set, mut seen) = (0, 0);
        let (mut secure_off, mut http_only_off, mut same_site_none) = (false, false, false);
        // Outermost first: the last call setting a flag wins.
        for call in &methods {
            let name = call.method.to_string();
            if matches!(name.as_str(), "removal" | "make_removal") {
                return;
            }
            let known_on = marked(cx, call.method.span(), MARK_ON);
            let Some((flag, on)) = setting(&name, call.args.first(), known_on) else {
                continue;
            };
            if seen & flag != 0 {
                // `secure(false).secure(true)`: set again later, so what
                // `method` reported of this call does not hold (but does
                // when the later call turns it off too, red team rt79).
                if on == Some(false) && set & flag != 0 {
                    let at = start_of(call.span());
                    let rule = if flag == SECURE {
                        id::INSECURE_COOKIE
                    } else {
                        id::COOKIE_WITHOUT_HTTPONLY
                    };
                    a.findings
                        .retain(|f| f.file.is_some() || f.rule != rule || (f.line, f.column) != at);
                }
                continue;
            }
            seen |= flag;
            match on {
                Some(true) => set |= flag,
                Some(false) => {
                    secure_off |= flag == SECURE;
                    http_only_off |= flag == HTTP_ONLY;
                    same_site_none |= flag == SAME_SITE;
                }
                None => {}
            }
        }
        // An explicit `secure(false)` or `http_only(false)` is reported at
        // that call (`method`); the flags neither set nor turned off so are
        // reported here, beside it (red team rt78: `.secure(false)` hid a
        // missing `HttpOnly` and `SameSite::None`).
        let off = if secure_off { SECURE } else { 0 } | if http_only_off { HTTP_ONLY } else { 0 };
        let remaining = ALL & !set & !off;
        if remaining != 0 {
            let named = ALL & !remaining;
            let message = if remaining == SAME_SITE && same_site_none {
                "cookie built with `SameSite::None`, sent on cross-site requests".to_string()
            } else if same_site_none {
                format!(
                    "cookie built without {} and with `SameSite::None`",
                    missing(named | SAME_SITE, true)
                )
            } else {
                format!("cookie built without {}", missing(named, true))
            };
            let mut finding = FileAnalyzer::raw_finding(
                Some(cx),
                rule_for(named),
                c.span(),
                // The region covers the whole builder chain, to its last
                // call (`.finish()`, `.build()`).
                m.paren_token.span.close(),
                message,
            );
            finding.also = also_for(named);
            a.push_finding(finding);
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
    if name.is_empty()
        || name.contains(char::is_whitespace)
        || value.is_empty()
        || preference_text(name)
    {
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
