use super::prelude::*;

/// `tls-verification-disabled`: certificate or hostname checks turned off
/// on a client builder, or a rustls verifier that accepts everything.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        // The whole call's span only when reporting (`full` tokenises it).
        let (span, name) = (m.span, m.name);
        let first_bool = m.expr.args.first().and_then(lit_bool);
        match name {
            "danger_accept_invalid_certs" | "danger_accept_invalid_hostnames"
                if first_bool == Some(true) =>
            {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    format!("`{name}` turns off TLS verification"),
                );
            }
            // A flag that may be `true` (not provably `false`): a local, a
            // parameter this file passes `true` to, a choice between values,
            // input. Another parameter or a configuration field is the
            // caller's explicit choice passed through (an `--insecure`
            // option, a client library forwarding its own `danger_*`).
            "danger_accept_invalid_certs" | "danger_accept_invalid_hostnames"
                if first_bool.is_none()
                    && m.expr
                        .args
                        .first()
                        .is_some_and(|e| may_be_true(a, cx, e, m.arg0())) =>
            {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    format!(
                        "`{name}` is given a flag that may be `true`, turning off TLS verification"
                    ),
                );
            }
            // Other clients' switches: lettre `dangerous_accept_invalid_certs`,
            // mysql `with_danger_accept_invalid_certs`, mongodb
            // `tls_allow_invalid_certificates`, ldap3 `set_no_tls_verify`,
            // ureq `disable_verification`.
            _ if first_bool == Some(true) && turns_off_when_true(name) => {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    format!("`{name}(true)` turns off TLS verification"),
                );
            }
            // curl `ssl_verify_peer(false)`/`ssl_verify_host(false)`.
            "ssl_verify_peer" | "ssl_verify_host" | "verify_peer" | "set_verify_peer"
            | "verify_certificate" | "tls_verify" | "verify_certs"
                if first_bool == Some(false) =>
            {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    format!("`{name}(false)` turns off TLS verification"),
                );
            }
            // tiberius: trust whatever certificate the server presents.
            "trust_cert" if m.expr.args.is_empty() => {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    "`trust_cert()` accepts any server certificate".into(),
                );
            }
            "verify_hostname" | "set_verify_hostname" if first_bool == Some(false) => {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    "hostname verification turned off".into(),
                );
            }
            // Delegating to webpki or the platform verifier checks
            // certificates; a verifier of this file is judged by its impl.
            "with_custom_certificate_verifier" | "set_certificate_verifier"
                if m.expr.args.iter().any(|e| accepts_everything(a, cx, e)) =>
            {
                // The impl's own finding, when it is a verifier of this
                // file, is the same bug: this one covers it.
                let impl_at = m
                    .expr
                    .args
                    .iter()
                    .filter_map(|e| verifier_type(a, cx, e))
                    .find_map(|ty| {
                        a.verifier_places
                            .get(crate::patterns::last_segment(&ty))
                            .copied()
                            .flatten()
                    });
                if a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    m.full(),
                    format!("`{name}` installs a verifier that accepts every certificate"),
                ) {
                    if let (Some(at), Some(last)) = (impl_at, a.findings.last_mut()) {
                        last.cover(
                            at,
                            "the verifier accepts every certificate",
                            "and is installed",
                        );
                    }
                }
            }
            "set_verify_callback" => {
                // A closure written in place, or a function of the file
                // named (`set_verify_callback(PEER, tolerate_chain)`).
                let accepts_all = m.expr.args.iter().any(|e| match peel(e) {
                    Expr::Closure(c) => callback_accepts_all(&c.body),
                    Expr::Path(p) => p
                        .path
                        .get_ident()
                        .is_some_and(|i| a.accepting_fns.contains(&i.to_string())),
                    _ => false,
                });
                if accepts_all {
                    a.report(
                        Some(cx),
                        id::TLS_VERIFICATION_DISABLED,
                        span,
                        m.full(),
                        "verify callback accepts every certificate".into(),
                    );
                }
            }
            _ => {}
        }
    }

    /// A configuration field that turns verification off
    /// (`accept_invalid_certs: true`, `tls_allow_invalid_certificates: Some(true)`).
    fn binding(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, name: &str, e: &Expr) {
        let on = lit_bool(e) == Some(true)
            || matches!(peel(e), Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Some")) && c.args.first().and_then(lit_bool) == Some(true));
        // A field a `danger_accept_invalid_*` call reads is reported there.
        if on
            && (turns_off_when_true(name) || name == "insecure_skip_tls_verify")
            && !a.true_args.contains_key(&format!("used:{name}"))
        {
            let span = e.span();
            a.report(
                cx,
                id::TLS_VERIFICATION_DISABLED,
                span,
                span,
                format!("`{name}: true` turns off TLS verification"),
            );
        }
    }

    /// A rustls verifier whose `verify_server_cert` returns success without
    /// verifying anything.
    fn item_impl(&self, a: &mut FileAnalyzer<'_>, item: &syn::ItemImpl) {
        let Some((_, trait_path, _)) = &item.trait_ else {
            return;
        };
        let trait_name = last_ident(trait_path);
        // russh's `client::Handler::check_server_key`: the SSH host key
        // check, `Ok(true)` accepts any server.
        for impl_item in &item.items {
            if let syn::ImplItem::Fn(f) = impl_item {
                if f.sig.ident == "check_server_key" {
                    if let Some(span) = accepts_any_host_key(f) {
                        a.report(
                            None,
                            id::TLS_VERIFICATION_DISABLED,
                            span,
                            span,
                            format!("`{trait_name}::check_server_key` accepts every SSH host key"),
                        );
                    }
                }
            }
        }
        if trait_name != "ServerCertVerifier" && trait_name != "ClientCertVerifier" {
            return;
        }
        for impl_item in &item.items {
            if let syn::ImplItem::Fn(f) = impl_item {
                let name = f.sig.ident.to_string();
                if name != "verify_server_cert" && name != "verify_client_cert" {
                    continue;
                }
                if accepts_all(f) {
                    let span = accepting_return(f).unwrap_or(f.sig.ident.span());
                    a.report(
                        None,
                        id::TLS_VERIFICATION_DISABLED,
                        span,
                        span,
                        format!("`{trait_name}::{name}` accepts every certificate"),
                    );
                }
            }
        }
    }
}

/// A verify callback's body that says yes whatever happens: `true`, or a
/// block ending in `true` that never says `false` nor returns early
/// (`{ if !preverify_ok { warn!(..) } true }`).
fn callback_accepts_all(body: &Expr) -> bool {
    if lit_bool(body) == Some(true) {
        return true;
    }
    let Expr::Block(b) = peel(body) else {
        return false;
    };
    if !matches!(b.block.stmts.last(), Some(syn::Stmt::Expr(e, None)) if lit_bool(e) == Some(true))
    {
        return false;
    }
    let text = quote::ToTokens::to_token_stream(&b.block).to_string();
    !text.contains("false") && !text.contains("return") && !text.contains('?')
}

/// [`FileAnalyzer::accepting_fns`]: free functions whose body is one that
/// [`callback_accepts_all`] (a name given two functions is neither).
pub(crate) fn collect_accepting_fns(file: &syn::File, out: &mut crate::HashSet<String>) {
    struct Fns<'o> {
        out: &'o mut crate::HashSet<String>,
        seen: crate::HashSet<String>,
    }
    impl<'ast> syn::visit::Visit<'ast> for Fns<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            let name = f.sig.ident.to_string();
            if !self.seen.insert(name.clone()) {
                self.out.remove(&name);
            } else if f.sig.inputs.len() == 2 {
                let body = Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: (*f.block).clone(),
                });
                if callback_accepts_all(&body) {
                    self.out.insert(name);
                }
            }
            syn::visit::visit_item_fn(self, f);
        }
    }
    syn::visit::Visit::visit_file(
        &mut Fns {
            out,
            seen: Default::default(),
        },
        file,
    );
}

/// A `verify_server_cert`/`verify_client_cert` that returns success
/// without calling anything that verifies (a delegate verifier, webpki's
/// `verify_*`, or any path that returns an error).
fn accepts_all(f: &syn::ImplItemFn) -> bool {
    let body = quote::ToTokens::to_token_stream(&f.block).to_string();
    let delegates = body.contains("verify_server_cert")
        || body.contains("verify_client_cert")
        || body.contains("verify_server_name")
        || body.contains("verify_signature")
        || body.contains("verify_for_usage")
        || body.contains("verify_is_valid_for")
        || body.contains("Err");
    body.contains("assertion") && !delegates
}

/// Where an accepting verifier says yes: its first
/// `Ok(ServerCertVerified::assertion())`.
fn accepting_return(f: &syn::ImplItemFn) -> Option<Span> {
    struct Yes(Option<Span>);
    impl<'ast> syn::visit::Visit<'ast> for Yes {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            let ok = matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "Ok");
            if ok && self.0.is_none() && c.args.len() == 1 {
                let arg = quote::ToTokens::to_token_stream(&c.args[0]).to_string();
                if arg.contains("assertion") {
                    self.0 = Some(c.span());
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
    }
    let mut v = Yes(None);
    syn::visit::Visit::visit_block(&mut v, &f.block);
    v.0
}

/// A `check_server_key` that answers `Ok(true)` and never `false` or an
/// error, and looks nothing up (`known_hosts`, a stored key): where it
/// accepts.
fn accepts_any_host_key(f: &syn::ImplItemFn) -> Option<Span> {
    struct Accepts(Option<Span>);
    impl<'ast> syn::visit::Visit<'ast> for Accepts {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            let ok_true = matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "Ok")
                && c.args.len() == 1
                && c.args.first().and_then(lit_bool) == Some(true);
            if ok_true && self.0.is_none() {
                self.0 = Some(c.span());
            }
            syn::visit::visit_expr_call(self, c);
        }
    }
    let body = quote::ToTokens::to_token_stream(&f.block).to_string();
    if body.contains("false")
        || body.contains("Err")
        || body.contains("known")
        || body.contains("==")
    {
        return None;
    }
    let mut v = Accepts(None);
    syn::visit::Visit::visit_block(&mut v, &f.block);
    v.0
}

/// The file's rustls verifier impls, by type name: whether each accepts
/// every certificate, and where that is reported (`places`).
pub(crate) fn collect_verifiers(
    file: &syn::File,
    out: &mut crate::HashMap<String, bool>,
    places: &mut crate::HashMap<String, Option<(usize, usize)>>,
) {
    struct Impls<'o>(
        &'o mut crate::HashMap<String, bool>,
        &'o mut crate::HashMap<String, Option<(usize, usize)>>,
    );
    impl<'ast> syn::visit::Visit<'ast> for Impls<'_> {
        fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
            let is_verifier = item.trait_.as_ref().is_some_and(|(_, p, _)| {
                matches!(
                    last_ident(p).as_str(),
                    "ServerCertVerifier" | "ClientCertVerifier"
                )
            });
            if let (true, syn::Type::Path(tp)) = (is_verifier, &*item.self_ty) {
                let accepting = item.items.iter().find_map(|i| match i {
                    syn::ImplItem::Fn(f)
                        if matches!(
                            f.sig.ident.to_string().as_str(),
                            "verify_server_cert" | "verify_client_cert"
                        ) && accepts_all(f) =>
                    {
                        Some(start_of(accepting_return(f).unwrap_or(f.sig.ident.span())))
                    }
                    _ => None,
                });
                let name = last_ident(&tp.path);
                // Two verifier types of one name (in two modules): which
                // one an install names is not worked out, so neither
                // install covers an impl (red team rt45).
                self.1
                    .entry(name.clone())
                    .and_modify(|old| {
                        if *old != accepting || accepting.is_none() {
                            *old = None;
                        }
                    })
                    .or_insert(accepting);
                *self.0.entry(name).or_default() |= accepting.is_some();
            }
            syn::visit::visit_item_impl(self, item);
        }
    }
    syn::visit::Visit::visit_file(&mut Impls(out, places), file);
}

/// A verifier argument that accepts everything: a type of this file whose
/// impl does, or a type from elsewhere named like one (`NoVerifier`,
/// `AcceptAnyCert`, `DangerousVerifier`). Webpki and the platform
/// verifier check certificates.
fn accepts_everything(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> bool {
    let ty = verifier_type(a, cx, e);
    let tokens = quote::ToTokens::to_token_stream(e).to_string();
    let lower = format!("{tokens} {}", ty.clone().unwrap_or_default()).to_ascii_lowercase();
    if lower.contains("webpki") || lower.contains("platform_verifier") {
        return false;
    }
    let Some(ty) = ty else {
        return false;
    };
    let name = crate::patterns::last_segment(&ty);
    if let Some(accepts) = a.verifiers.get(name) {
        return *accepts;
    }
    let lower = name.to_ascii_lowercase();
    [
        "noverif",
        "nocert",
        "noop",
        "accept",
        "insecure",
        "danger",
        "skip",
        "dummy",
        "trustall",
        "trustany",
        "allowany",
        "allowall",
        "null",
        "fake",
        "unverified",
        "disabled",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// The type of a verifier argument (`Arc::new(NoVerifier)`, a local).
fn verifier_type(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Path(p) if p.path.segments.len() == 1 => p
            .path
            .get_ident()
            .and_then(|v| cx.vars.get(&v.to_string()))
            .and_then(|v| v.ty.clone())
            .or_else(|| Some(last_ident(&p.path))),
        other => a.constructed_type(cx, other),
    }
}

/// A method or field name that disables certificate or hostname checks
/// when given `true`.
fn turns_off_when_true(name: &str) -> bool {
    let name = name.strip_prefix("set_").unwrap_or(name);
    let name = name.strip_prefix("with_").unwrap_or(name);
    name.contains("accept_invalid")
        || name.contains("allow_invalid_cert")
        || name.contains("allow_invalid_host")
        || name.contains("skip_domain_validation")
        || name.contains("skip_verif")
        || name.contains("insecure_skip_verify")
        || matches!(
            name,
            "no_tls_verify" | "disable_verification" | "danger_disable_verification"
        )
}

/// May this flag be `true`? A local bound to something other than the
/// literal `false`, a parameter of a function this file calls with `true`,
/// a branch that may yield `true`, or a value from input.
fn may_be_true(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr, taint: taint::Taint) -> bool {
    if taint.is_tainted() {
        return true;
    }
    match peel(e) {
        Expr::Lit(_) => lit_bool(e) == Some(true),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => cx
            .vars
            .get(&p.path.segments[0].ident.to_string())
            .is_some_and(|v| {
                if v.param {
                    called_with_true(a, cx, &p.path.segments[0].ident.to_string())
                } else {
                    !v.lit_false
                }
            }),
        // `self.cfg.skip_verify` of a field some configuration of the file
        // sets `true` (`fn lab() -> Self { Self { skip_verify: true, .. } }`).
        Expr::Field(f) => field_set(a, &f.member, 1),
        // `!verify` with `verify` bound to `false`, or `!false`.
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => match peel(&u.expr) {
            Expr::Lit(_) => lit_bool(&u.expr) == Some(false),
            // `!settings.verify_hostname` of a field set `false` somewhere.
            Expr::Field(f) => field_set(a, &f.member, 2),
            inner => var_of(inner)
                .and_then(|v| cx.vars.get(&v))
                .is_some_and(|v| v.lit_false && !v.param),
        },
        Expr::If(i) => {
            block_may_be_true(a, cx, &i.then_branch)
                || i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| may_be_true(a, cx, e, taint::Taint::CLEAN))
        }
        Expr::Block(b) => block_may_be_true(a, cx, &b.block),
        Expr::Match(m) => m
            .arms
            .iter()
            .any(|arm| may_be_true(a, cx, &arm.body, taint::Taint::CLEAN)),
        _ => false,
    }
}

/// Does a struct literal of the file set this field to `true` (`bit` 1)
/// or `false` (`bit` 2)? See [`collect_true_args`].
fn field_set(a: &FileAnalyzer<'_>, member: &syn::Member, bit: u64) -> bool {
    let syn::Member::Named(n) = member else {
        return false;
    };
    a.true_args
        .get(&format!("field:{n}"))
        .is_some_and(|mask| mask & bit != 0)
}

fn block_may_be_true(a: &FileAnalyzer<'_>, cx: &FnCx, b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(e, None)) => may_be_true(a, cx, e, taint::Taint::CLEAN),
        _ => false,
    }
}

/// Does the file call this function with a literal `true` in the
/// position of its parameter `param` (`check(url, true)` for `fn
/// check(url: &str, insecure: bool)`, `self.connect(true)`,
/// `Conn::new(true)` for `Conn`'s `new`)? Looked up in the table
/// [`collect_true_args`] made of the file's calls: `Vec::new()` or
/// `AtomicBool::new(true)` is not a call of `Conn::new`.
fn called_with_true(a: &FileAnalyzer<'_>, cx: &FnCx, param: &str) -> bool {
    let Some(index) = cx.params.iter().position(|p| p == param) else {
        return false;
    };
    let given = |key: &str, at: usize| {
        at < 64
            && a.true_args
                .get(key)
                .is_some_and(|mask| mask & (1u64 << at) != 0)
    };
    let name = &cx.name;
    match &cx.self_ty {
        // `x.name(true)`, or `Type::name(&x, true)` with the receiver first.
        Some(ty) if cx.has_self => {
            given(&format!(".{name}"), index) || given(&format!("{ty}::{name}"), index + 1)
        }
        Some(ty) => given(&format!("{ty}::{name}"), index),
        None => given(name, index),
    }
}

/// The file's calls given a literal `true`: callee key -> the argument
/// positions (a bit each, the first 64). Keys: `name` for a function
/// called by its name or through a module path (`net::connect`),
/// `Type::name` for a type's associated function (`Self::name` inside
/// `impl Type`), `.name` for a method call. Arguments of macros that
/// read as expressions (`assert!(f(true))`) are included. Made once per
/// file that turns off TLS checks with a flag: linear in the file.
pub(crate) fn collect_true_args(file: &syn::File, out: &mut crate::HashMap<String, u64>) {
    /// Macro bodies inside macro bodies parsed at most this deep.
    const MAX_MACRO_DEPTH: usize = 8;
    struct Calls<'o> {
        out: &'o mut crate::HashMap<String, u64>,
        self_ty: Option<String>,
        macro_depth: usize,
    }
    impl Calls<'_> {
        fn record<'e>(&mut self, key: String, args: impl Iterator<Item = &'e Expr>) {
            let mut mask = 0u64;
            for (i, arg) in args.take(64).enumerate() {
                if lit_bool(arg) == Some(true) {
                    mask |= 1 << i;
                }
            }
            if mask != 0 {
                *self.out.entry(key).or_default() |= mask;
            }
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Calls<'_> {
        fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
            let ty = match &*item.self_ty {
                syn::Type::Path(tp) => Some(last_ident(&tp.path)),
                _ => None,
            };
            let saved = std::mem::replace(&mut self.self_ty, ty);
            syn::visit::visit_item_impl(self, item);
            self.self_ty = saved;
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let Expr::Path(p) = &*c.func {
                let segs = path_idents(&p.path);
                let key = match segs.as_slice() {
                    [] => None,
                    [name] => Some(name.clone()),
                    [.., ty, name] if ty == "Self" => {
                        self.self_ty.as_ref().map(|t| format!("{t}::{name}"))
                    }
                    [.., ty, name] if ty.starts_with(|ch: char| ch.is_ascii_uppercase()) => {
                        Some(format!("{ty}::{name}"))
                    }
                    [.., name] => Some(name.clone()),
                };
                if let Some(key) = key {
                    self.record(key, c.args.iter());
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.record(format!(".{}", m.method), m.args.iter());
            // `.danger_accept_invalid_certs(self.cfg.skip_verify)`: the
            // field is reported where it is used (`used:skip_verify`).
            if m.method.to_string().starts_with("danger_accept_invalid") {
                let arg = m.args.first().map(peel).map(|e| match e {
                    Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => peel(&u.expr),
                    e => e,
                });
                if let Some(Expr::Field(f)) = arg {
                    if let syn::Member::Named(n) = &f.member {
                        self.out.entry(format!("used:{n}")).or_default();
                    }
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        // `Settings { skip_verify: true, .. }`: key `field:skip_verify`,
        // bit 0 when some literal sets it `true`, bit 1 `false`.
        fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
            for f in &s.fields {
                if let syn::Member::Named(n) = &f.member {
                    let bit = match lit_bool(&f.expr) {
                        Some(true) => 1,
                        Some(false) => 2,
                        None => 0,
                    };
                    if bit != 0 {
                        *self.out.entry(format!("field:{n}")).or_default() |= bit;
                    }
                }
            }
            syn::visit::visit_expr_struct(self, s);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            // Each level parses the tokens of every level inside it again:
            // a few levels (`vec![format!(..)]`) are real code, hundreds
            // are an input made to cost depth x size.
            if self.macro_depth >= MAX_MACRO_DEPTH {
                return;
            }
            let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
            if let Ok(args) = mac.parse_body_with(parser) {
                self.macro_depth += 1;
                for arg in &args {
                    self.visit_expr(arg);
                }
                self.macro_depth -= 1;
            }
        }
    }
    syn::visit::Visit::visit_file(
        &mut Calls {
            out,
            self_ty: None,
            macro_depth: 0,
        },
        file,
    );
}
