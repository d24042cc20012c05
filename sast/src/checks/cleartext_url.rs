use super::prelude::*;
use super::secret_source;
use crate::HashSet;

/// `cleartext-url`: `http://` and `ws://` literals to non-local hosts, and
/// `http://` URLs formatted from untrusted input or a secret
/// (`format!("http://{host}/login?pw={password}")`); HTTP client requests
/// (`reqwest::get(url)`, `client.post(url)`) whose URL a variable carries
/// from an `http://` literal or with a secret pasted in without `https://`.
pub(crate) struct Check;

/// What a URL held in a variable is known to be.
#[derive(Clone, Copy, PartialEq)]
enum Url {
    /// `http://` to a host that is not local.
    Plain,
    /// Carries a secret (`format!("..?password={pw}")`) and is not
    /// `https://`.
    Secret,
}

/// The URL an expression builds: an `http://` literal, `format!` from one
/// (or from a variable holding one), text with a secret pasted in, or a
/// call of one argument on a URL followed (`Url::parse(&address)`).
fn url_of(vars: &[(String, Url)], e: &Expr) -> Option<Url> {
    let held = |e: &Expr| {
        var_of(e).and_then(|v| vars.iter().rev().find(|(n, _)| *n == v).map(|(_, u)| *u))
    };
    let (_, root) = chain(e);
    if let Some(text) = lit_str(root) {
        return plain_http(&text).then_some(Url::Plain);
    }
    match root {
        Expr::Macro(m) if last_ident(&m.mac.path) == "format" => {
            let args = crate::macros::parse_args(&m.mac.tokens);
            let template = args.first().and_then(|a| lit_str(&a.expr))?;
            if plain_http(&template) {
                return Some(Url::Plain);
            }
            if template.starts_with("https://") || template.starts_with("wss://") {
                return None;
            }
            // `format!("{}{}", base, path)` with `base` an http URL.
            if template.starts_with('{')
                && args.get(1).and_then(|a| held(&a.expr)) == Some(Url::Plain)
            {
                return Some(Url::Plain);
            }
            let captured = template
                .split('{')
                .skip(1)
                .filter_map(|p| p.split(['}', ':']).next())
                .any(|name| !name.is_empty() && is_secret_name(name));
            let secret = captured
                || args.iter().skip(1).any(|a| {
                    a.name.as_deref().is_some_and(is_secret_name)
                        || var_of(&a.expr).is_some_and(|v| is_secret_name(&v))
                        || super::cleartext_logging::secret_expr_name(&a.expr).is_some()
                });
            // Only in a URL (a query or a scheme), not a cache key
            // (`format!("session:{token}")`).
            let url_like = template.contains('?') || template.contains("://");
            (secret && url_like).then_some(Url::Secret)
        }
        Expr::Call(c) if c.args.len() == 1 => held(&c.args[0]),
        _ => held(root),
    }
}

/// `http://` (or `ws://`) to a host that is not this machine or a private
/// network.
fn plain_http(text: &str) -> bool {
    let Some(rest) = after_plain_scheme(text) else {
        return false;
    };
    // The scheme alone (`"http://"`) is joined to a host later.
    if rest.is_empty() {
        return true;
    }
    let host = url_host(rest);
    !(host.is_empty() || is_local_host(&host) || host.contains('{'))
}

/// The host of a URL's text after its scheme, lower-cased.
fn url_host(rest: &str) -> String {
    rest.split(['/', ':', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Loopback, unspecified and private-network hosts (RFC 1918).
fn is_local_host(host: &str) -> bool {
    let private_172 = host
        .strip_prefix("172.")
        .and_then(|r| r.split('.').next())
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (16..=31).contains(&n));
    host == "localhost"
        || host.starts_with("127.")
        || host.starts_with('[')
        || host == "0.0.0.0"
        || host.starts_with("10.")
        || host.starts_with("192.168.")
        || private_172
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".internal")
        || host.ends_with(".svc")
}

/// HTTP client calls and the argument that is the URL: `reqwest::get(url)`,
/// `ureq::post(url)`.
fn request_call_url<'e>(a: &FileAnalyzer<'_>, e: &'e Expr) -> Option<(&'e Expr, String)> {
    let Expr::Call(c) = e else { return None };
    if c.args.len() != 1 {
        return None;
    }
    let Expr::Path(p) = &*c.func else { return None };
    let resolved = a.imports.resolve(&p.path);
    let last = crate::patterns::last_segment(&resolved);
    let client = ["reqwest", "ureq", "isahc", "surf", "minreq", "attohttpc"]
        .iter()
        .any(|k| resolved.starts_with(k));
    (client && VERBS.contains(&last)).then(|| (&c.args[0], short(&resolved).to_string()))
}

const VERBS: &[&str] = &["get", "post", "put", "delete", "patch", "head"];

/// `client.post(LICENSE_SERVER)`, `get(&BASE)`, `get(API.to_string())`: a
/// constant or static of the file holding an `http://` URL
/// ([`FileAnalyzer::http_url_fns`] keeps their names with the functions').
fn http_const(a: &FileAnalyzer<'_>, url: &Expr) -> bool {
    let (_, root) = chain(url);
    // `LICENSE_SERVER`, `Self::URL`, `cfg::LICENSE_SERVER`: by the
    // constant's name, written in capitals (a function is called).
    matches!(peel(root), Expr::Path(p) if p.qself.is_none()
    && p.path.segments.last().is_some_and(|s| {
        let name = s.ident.to_string();
        (p.path.segments.len() == 1
            || name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            && a.http_url_fns.contains(&name)
    }))
}

/// `client.get(url)`, `client.request(Method::PUT, url)`: the URL.
fn request_method_url(m: &syn::ExprMethodCall) -> Option<(&Expr, String)> {
    let name = m.method.to_string();
    let url = match m.args.len() {
        1 if VERBS.contains(&name.as_str()) => &m.args[0],
        2 if name == "request" => &m.args[1],
        _ => return None,
    };
    Some((url, format!(".{name}")))
}

/// [`FileAnalyzer::http_url_fns`] of a file: functions and methods whose
/// body ends in an `http://` literal or `format!` (any host but this
/// machine or a private network).
pub(crate) fn collect_http_url_fns(file: &syn::File, out: &mut HashSet<String>) {
    // A name that another function of the file also has, returning
    // something else, is not one (red team rt41: `DevServer::url` and
    // `Endpoint::url`).
    struct Fns<'o>(&'o mut HashSet<String>, HashSet<String>);
    fn returns_http(block: &syn::Block) -> bool {
        let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() else {
            return false;
        };
        let template = match peel(tail) {
            Expr::Macro(m) if last_ident(&m.mac.path) == "format" => {
                crate::macros::parse_args(&m.mac.tokens)
                    .first()
                    .and_then(|a| lit_str(&a.expr))
            }
            e => {
                let (_, root) = chain(e);
                lit_str(root)
            }
        };
        template.is_some_and(|t| http_any_host(&t))
    }
    impl Fns<'_> {
        fn add(&mut self, name: String, http: bool) {
            if http {
                self.0.insert(name);
            } else {
                self.1.insert(name);
            }
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Fns<'_> {
        // `const MANIFEST_BASE: &str = "http://config.internal";`: a
        // credential must not go there either (any host but this machine:
        // a private network's is still a network).
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            let http = lit_str(&c.expr).is_some_and(|t| http_not_loopback(&t));
            self.add(c.ident.to_string(), http);
        }
        fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
            let http = lit_str(&s.expr).is_some_and(|t| http_not_loopback(&t));
            self.add(s.ident.to_string(), http);
        }
        // `impl Client { const URL: &str = "http://.."; }`
        fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
            let http = lit_str(&c.expr).is_some_and(|t| http_not_loopback(&t));
            self.add(c.ident.to_string(), http);
        }
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.add(f.sig.ident.to_string(), returns_http(&f.block));
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.add(f.sig.ident.to_string(), returns_http(&f.block));
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    let mut fns = Fns(out, HashSet::default());
    syn::visit::Visit::visit_file(&mut fns, file);
    let other = fns.1;
    out.retain(|name| !other.contains(name));
}

/// `http://` (or `ws://`) to any host but this machine or a private
/// network, a placeholder host (`http://{}/push`) included.
fn http_any_host(text: &str) -> bool {
    after_plain_scheme(text).is_some_and(|rest| !is_local_host(&url_host(rest)))
}

/// `http://` (or `ws://`) to any host but this machine.
fn http_not_loopback(text: &str) -> bool {
    after_plain_scheme(text).is_some_and(|rest| {
        let host = url_host(rest);
        !(host == "localhost"
            || host.ends_with(".localhost")
            || host.starts_with("127.")
            || host.starts_with('[')
            || host == "0.0.0.0"
            || host.is_empty())
    })
}

/// What follows `http://` or `ws://` (any case); `None` for another scheme.
fn after_plain_scheme(text: &str) -> Option<&str> {
    let lower = text
        .get(..7)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if lower == "http://" {
        text.get(7..)
    } else if lower.starts_with("ws://") {
        text.get(5..)
    } else {
        None
    }
}

/// Does a request's URL go without TLS, as far as a secret sent with it
/// is concerned: what [`url_of`] finds, an `http://` `format!` to a host
/// given later, or what a function of the file that returns an `http://`
/// URL returns (`self.cfg.metrics_url()`).
fn http_request_url(a: &FileAnalyzer<'_>, flow: &Flow, url: &Expr) -> bool {
    if url_of(&flow.vars, url).is_some() || var_of(url).is_some_and(|v| flow.http_vars.contains(&v))
    {
        return true;
    }
    let (methods, root) = chain(url);
    // `.replacen("http://", "https://", 1)`: upgraded.
    if methods.iter().any(|m| {
        matches!(m.method.to_string().as_str(), "replace" | "replacen")
            && m.args
                .iter()
                .nth(1)
                .and_then(lit_str)
                .is_some_and(|t| t.starts_with("https://"))
    }) {
        return false;
    }
    if methods
        .iter()
        .any(|m| a.http_url_fns.contains(&m.method.to_string()))
    {
        return true;
    }
    match root {
        Expr::Macro(m) if last_ident(&m.mac.path) == "format" => {
            let args = crate::macros::parse_args(&m.mac.tokens);
            let template = args.first().and_then(|a| lit_str(&a.expr));
            template.as_deref().is_some_and(http_any_host)
                // `format!("{}/rollout/{id}", MANIFEST_BASE)`
                || (template.is_some_and(|t| t.starts_with('{'))
                    && args.get(1).and_then(|a| var_of(&a.expr)).is_some_and(|v| {
                        a.http_url_fns.contains(&v) || flow.http_vars.contains(&v)
                    }))
        }
        Expr::MethodCall(m) => a.http_url_fns.contains(&m.method.to_string()),
        // `ureq::post("http://mailer.corp.internal/send")`: a credential
        // must not cross a private network in the clear either.
        Expr::Lit(_) => lit_str(root).is_some_and(|t| http_not_loopback(&t)),
        // A constant of the file holding an `http://` URL.
        Expr::Path(p) if p.path.segments.len() == 1 => {
            a.http_url_fns.contains(&last_ident(&p.path))
        }
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => a.http_url_fns.contains(&last_ident(&p.path)),
            _ => false,
        },
        _ => false,
    }
}

/// Headers that carry credentials whatever the value's name.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-access-token",
    "cookie",
];

/// A call in a request's chain that sends a credential:
/// `.header("X-Api-Key", &cfg.api_key)`, `.bearer_auth(token)`,
/// `.basic_auth(user, Some(password))`.
fn sends_credential(cx: &FnCx, flow: &Flow, m: &syn::ExprMethodCall) -> Option<String> {
    let secret = |e: &Expr| {
        super::cleartext_logging::secret_expr_name(e).is_some() || secret_source(cx, e).is_some()
    };
    // A credential, not private data such as an e-mail address.
    let credential = |e: &Expr| {
        holds_credential(cx, e) || var_of(e).is_some_and(|v| flow.secret_vars.contains(&v))
    };
    match (m.method.to_string().as_str(), m.args.len()) {
        ("bearer_auth", 1) => Some("a bearer token".into()),
        ("basic_auth", 2) => Some("a password".into()),
        // A body holding a secret (`.send_json(json!({"token": t}))`).
        (
            "json" | "send_json" | "form" | "send_form" | "body" | "send_string" | "send_bytes"
            | "body_json" | "body_form" | "body_string",
            1,
        ) if credential(&m.args[0]) => Some("a secret in the request body".into()),
        // `.query(&[("password", pw)])`: in the URL itself.
        ("query", 1) if credential(&m.args[0]) => Some("a secret in the query string".into()),
        // ureq 2's `.set(name, value)`.
        ("header" | "set_header" | "set", 2) => {
            let name = lit_str(&m.args[0])
                .or_else(|| match peel(&m.args[0]) {
                    Expr::Path(p) => Some(last_ident(&p.path).replace('_', "-")),
                    _ => None,
                })
                .map(|n| n.to_ascii_lowercase());
            let value = &m.args[1];
            let literal = lit_str(value).is_some();
            (secret(value)
                || (!literal
                    && name
                        .as_deref()
                        .is_some_and(|n| CREDENTIAL_HEADERS.contains(&n))))
            .then(|| format!("header `{}`", name.unwrap_or_default()))
        }
        _ => None,
    }
}

/// A credential, or a form, tuple, array or `json!` body holding one:
/// `[("user", name), ("password", pw)]`, `json!({"api_key": key})` (a key
/// named for a secret given anything but a literal).
fn holds_credential(cx: &FnCx, e: &Expr) -> bool {
    if secret_source(cx, e).is_some_and(|n| is_secret_name(&n)) {
        return true;
    }
    let named_pair = |elems: &syn::punctuated::Punctuated<Expr, syn::Token![,]>| {
        matches!(elems.len(), 2)
            && lit_str(&elems[0]).is_some_and(|k| is_secret_name(&k))
            && lit_str(&elems[1]).is_none()
    };
    match peel(e) {
        Expr::Reference(r) => holds_credential(cx, &r.expr),
        Expr::Tuple(t) => named_pair(&t.elems) || t.elems.iter().any(|e| holds_credential(cx, e)),
        Expr::Array(a) => a.elems.iter().any(|e| holds_credential(cx, e)),
        // `Enrollment { agent_id, enrollment_secret: &self.secret }`: a
        // field named for a secret given anything but a literal.
        Expr::Struct(st) => st.fields.iter().any(|f| {
            matches!(&f.member, syn::Member::Named(n) if is_secret_name(&n.to_string()))
                && !matches!(peel(&f.expr), Expr::Lit(_))
        }),
        Expr::Macro(m) if last_ident(&m.mac.path) == "vec" => {
            crate::macros::parse_args(&m.mac.tokens)
                .iter()
                .any(|a| holds_credential(cx, &a.expr))
        }
        Expr::Macro(m) if last_ident(&m.mac.path) == "json" => {
            // `"key": value` pairs of the object, at any depth.
            let mut tokens: Vec<proc_macro2::TokenTree> = Vec::new();
            fn flatten(ts: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::TokenTree>) {
                for t in ts {
                    match t {
                        proc_macro2::TokenTree::Group(g) => flatten(g.stream(), out),
                        other => out.push(other),
                    }
                }
            }
            flatten(m.mac.tokens.clone(), &mut tokens);
            tokens.windows(3).any(|w| match (&w[0], &w[1], &w[2]) {
                (proc_macro2::TokenTree::Literal(k), proc_macro2::TokenTree::Punct(p), value)
                    if p.as_char() == ':' =>
                {
                    let key = k.to_string();
                    key.starts_with('"')
                        && is_secret_name(key.trim_matches('"'))
                        && !matches!(value, proc_macro2::TokenTree::Literal(_))
                }
                _ => false,
            })
        }
        _ => false,
    }
}

/// URLs followed through one function's statements, in source order.
struct Flow {
    vars: Vec<(String, Url)>,
    /// Variables holding a URL that a credential must not be sent to
    /// ([`http_request_url`]).
    http_vars: Vec<String>,
    /// Variables bound here to a secret or a value built from one
    /// (`let body = json!({"token": reset_token});`).
    secret_vars: Vec<String>,
}

impl Flow {
    fn stmts(&mut self, a: &mut FileAnalyzer<'_>, cx: &FnCx, stmts: &[syn::Stmt]) {
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
                        self.vars.retain(|(n, _)| *n != name);
                        let http = http_request_url(a, self, &init.expr);
                        self.http_vars.retain(|n| *n != name);
                        if http {
                            self.http_vars.push(name.clone());
                        }
                        self.secret_vars.retain(|n| *n != name);
                        if holds_credential(cx, &init.expr) {
                            self.secret_vars.push(name.clone());
                        }
                        if let Some(url) = url_of(&self.vars, &init.expr) {
                            self.vars.push((name, url));
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
            Expr::Block(b) => return self.stmts(a, cx, &b.block.stmts),
            Expr::Unsafe(b) => return self.stmts(a, cx, &b.block.stmts),
            Expr::If(i) => {
                self.stmts(a, cx, &i.then_branch.stmts);
                if let Some((_, other)) = &i.else_branch {
                    self.expr(a, cx, other);
                }
                return;
            }
            _ => {}
        }
        // The request is the root of a chain or one of its calls
        // (`client.post(url).body(..).send()`).
        let (methods, root) = chain(e);
        let mut found = None;
        let calls = methods
            .iter()
            .filter_map(|m| request_method_url(m))
            .chain(request_call_url(a, root));
        // A credential sent on a request without TLS, reported at the call
        // that adds it (`.header("X-Api-Key", &self.cfg.api_key)`).
        let urls: Vec<&Expr> = methods
            .iter()
            .filter_map(|m| request_method_url(m))
            .chain(request_call_url(a, root))
            .map(|(url, _)| url)
            .collect();
        if urls.iter().any(|url| http_request_url(a, self, url)) {
            for m in &methods {
                if let Some(what) = sends_credential(cx, self, m) {
                    let span = m.method.span();
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_URL,
                        span,
                        span,
                        format!("{what} is sent to an `http://` URL, without TLS"),
                    );
                }
            }
        }
        for (url, what) in calls {
            // A literal is reported where it is written unless its host
            // passes there as a placeholder (`example.com`).
            let literal = lit_str(url).and_then(|t| t.get(7..).map(is_benign_http_host));
            if literal == Some(false) {
                continue;
            }
            if let Some(kind) = url_of(&self.vars, url) {
                found = Some((kind, what));
            } else if http_const(a, url) {
                found = Some((Url::Plain, what));
            }
        }
        if let Some((kind, what)) = found {
            let span = e.span();
            let message = match kind {
                Url::Plain => format!("request `{what}` goes to an `http://` URL, without TLS"),
                Url::Secret => format!("request `{what}` sends a secret in its URL, without TLS"),
            };
            a.report(Some(cx), id::CLEARTEXT_URL, span, span, message);
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
        // A URL followed here starts as a literal with a scheme or as a
        // `format!` in this body, or is what a function of the file that
        // returns an `http://` URL returns.
        if !super::function_mentions(a, sig, block, &["://", "format!"]) {
            let names: Vec<String> = a.http_url_fns.iter().cloned().collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if names.is_empty() || !super::function_mentions_any(a, sig, block, &names) {
                return;
            }
        }
        let mut flow = Flow {
            vars: Vec::new(),
            http_vars: Vec::new(),
            secret_vars: Vec::new(),
        };
        flow.stmts(a, cx, &block.stmts);
    }

    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if m.name != "format" {
            return;
        }
        let Some(template) = m.args.first().and_then(|arg| lit_str(&arg.expr)) else {
            return;
        };
        let lower = template
            .get(..7)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if lower != "http://" && !lower.starts_with("ws://") {
            return;
        }
        let rest = template.split_once("://").map(|(_, r)| r).unwrap_or("");
        if rest.starts_with("localhost") || rest.starts_with("127.") || rest.starts_with('[') {
            return;
        }
        let tainted = m.taints.iter().skip(1).any(|t| t.is_tainted())
            || m.captured
                .iter()
                .any(|(name, _, _)| cx.vars.get(name).is_some_and(|v| v.taint.is_tainted()));
        // A name that holds a secret (`let (gw, tok) = (HOST, &self.token)`).
        let holds_secret = |name: &str| {
            cx.vars
                .get(name)
                .and_then(|v| v.secret.as_deref())
                .is_some_and(|s| is_secret_name(s) || is_bare_credential(s))
        };
        let secret_arg = m.args.iter().skip(1).any(|arg| {
            arg.name.as_deref().is_some_and(is_secret_name)
                || var_of(&arg.expr).is_some_and(|v| is_secret_name(&v) || holds_secret(&v))
                || super::cleartext_logging::secret_expr_name(&arg.expr).is_some()
        }) || m
            .captured
            .iter()
            .any(|(name, _, _)| is_secret_name(name) || holds_secret(name));
        if tainted || secret_arg {
            let span = m.mac.span();
            let what = if secret_arg {
                "a secret"
            } else {
                "untrusted input"
            };
            a.report(
                Some(cx),
                id::CLEARTEXT_URL,
                span,
                span,
                format!("an `http://` URL is built from {what} and sent without TLS"),
            );
        }
    }

    fn literal(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, lit: &syn::Lit, value: &str) {
        let lower = value
            .get(..7)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let rest = if lower == "http://" {
            Some(&value[7..])
        } else if lower.starts_with("ws://") {
            value.get(5..)
        } else {
            None
        };
        if let Some(rest) = rest {
            if !is_benign_http_host(rest) {
                let shown: String = value.chars().take(60).collect();
                let span = lit.span();
                a.report(
                    cx,
                    id::CLEARTEXT_URL,
                    span,
                    span,
                    format!("`{shown}` is fetched without TLS"),
                );
            }
        }
    }
}

/// Hosts for which plain http is fine: loopback, documentation and XML
/// namespace URIs that are identifiers, not endpoints.
fn is_benign_http_host(rest: &str) -> bool {
    // Schema and namespace identifiers are names, never fetched.
    let lower_rest = rest.to_ascii_lowercase();
    if lower_rest.contains("/schema/")
        || lower_rest.ends_with(".xsd")
        || lower_rest.ends_with(".schema.json")
        || lower_rest.contains("/ns/")
    {
        return true;
    }
    let host = url_host(rest);
    host.is_empty()
        || is_local_host(&host)
        || host.ends_with(".test")
        || host.ends_with(".invalid")
        || host.contains("example.")
        || host.contains('{')
        || host.contains('*')
        || matches!(
            host.as_str(),
            "www.w3.org"
                | "json-schema.org"
                | "purl.org"
                | "schemas.xmlsoap.org"
                | "schemas.microsoft.com"
                | "ns.adobe.com"
                | "xmlns.com"
                | "www.apache.org"
                | "opensource.org"
                | "www.opengis.net"
        )
}

//==IMPL1
