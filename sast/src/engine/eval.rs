//! Evaluation: functions, bindings, statements and expressions, in
//! statement order, with guards that clean variables.

use super::*;
use crate::checks::CHECKS;

/// Sinks remembered per function summary (past it, only the first sink
/// of each (parameters, kind) not yet held is kept).
pub(crate) const MAX_PARAM_SINKS: usize = 32;

/// At most this many sinks in all, one per (parameters, kind).
pub(crate) const MAX_SINK_GROUPS: usize = 1024;

impl FileAnalyzer<'_> {
    // ---- functions --------------------------------------------------------

    pub(crate) fn analyze_fn(
        &mut self,
        attrs: &[syn::Attribute],
        sig: &syn::Signature,
        block: &syn::Block,
    ) {
        self.analyze_fn_as(attrs, sig, block, None, None, false);
    }

    /// Analyse a function; with a `key`, record its summary under it.
    pub(crate) fn analyze_fn_as(
        &mut self,
        attrs: &[syn::Attribute],
        sig: &syn::Signature,
        block: &syn::Block,
        key: Option<String>,
        self_ty: Option<String>,
        public: bool,
    ) {
        if self.skip_as_test(attrs) {
            return;
        }
        let mut cx = FnCx {
            ctor: attrs.iter().any(is_ctor_attr),
            self_ty,
            name: sig.ident.to_string(),
            has_self: sig.receiver().is_some(),
            is_async: sig.asyncness.is_some(),
            // Read only against the file's calls given `true`.
            params: if self.true_args.is_empty() {
                Vec::new()
            } else {
                sig.inputs
                    .iter()
                    .filter_map(|input| match input {
                        syn::FnArg::Typed(pt) => Some(match strip_pat_type(&pt.pat) {
                            syn::Pat::Ident(pi) => pi.ident.to_string(),
                            _ => String::new(),
                        }),
                        syn::FnArg::Receiver(_) => None,
                    })
                    .collect()
            },
            ..FnCx::default()
        };
        cx.secret_context = is_secret_generation_context(&sig.ident.to_string());
        cx.text_credential_fields = self
            .credential_fields
            .iter()
            .map(|(name, text)| (name.clone(), *text))
            .collect();
        for check in CHECKS {
            check.function(self, &cx, sig, block);
        }
        cx.summary.ret_dangling = self.dangling_return.take();
        cx.summary.frees_params = std::mem::take(&mut self.freed_params);
        cx.summary.grows_params = std::mem::take(&mut self.grown_params);
        cx.summary.drops_params = std::mem::take(&mut self.dropped_params);
        cx.summary.grows_fields = std::mem::take(&mut self.grown_fields);
        cx.summary.repoints_fields = std::mem::take(&mut self.repointed_fields);
        cx.summary.frees_fields = std::mem::take(&mut self.freed_fields);
        cx.summary.reads_fields = std::mem::take(&mut self.read_fields);
        cx.summary.sets_fields = std::mem::take(&mut self.set_fields);
        cx.summary.ret_field_ptr = self.ret_field_ptr.take();
        cx.summary.ret_owned = std::mem::take(&mut self.owned_return);
        // Rocket-style routes (`#[get("/<name>")]`) receive every parameter from the request.
        let route_params = attrs.iter().any(|a| {
            let name = last_ident(a.path());
            matches!(
                name.as_str(),
                "get" | "post" | "put" | "delete" | "patch" | "head" | "route"
            ) && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string().contains('<'))
        });
        // A free function a warp filter hands its extracted values to: the
        // positions that are request data.
        let warp_positions = if cx.self_ty.is_none() && !self.warp_handlers.is_empty() {
            self.warp_handlers
                .get(&sig.ident.to_string())
                .copied()
                .unwrap_or(0)
        } else {
            0
        };
        let mut has_self = false;
        for (index, input) in sig.inputs.iter().enumerate() {
            match input {
                syn::FnArg::Receiver(_) => {
                    has_self = true;
                    cx.vars.insert(
                        "self".into(),
                        Var {
                            taint: Taint::from_param(index),
                            ty: cx.self_ty.clone(),
                            ..Var::default()
                        },
                    );
                }
                syn::FnArg::Typed(pt) => {
                    let warp = index < 64
                        && warp_positions & (1u64 << index) != 0
                        && warp_request_type(&pt.ty);
                    let (ty_path, taint) = self.param_info(&mut cx, &pt.ty, route_params || warp);
                    // Request data is a source; any other parameter is
                    // tracked for the function's summary.
                    // A deserialised message's sizes are a source here; the
                    // rest of it is whatever the caller passes.
                    let taint = if !taint.is_tainted() {
                        Taint::from_param(index)
                    } else if taint.kinds & !ALLOC == 0 {
                        taint.union(Taint::from_param(index))
                    } else {
                        taint
                    };
                    // A number or a flag carries no text (its size still counts).
                    let ty = match &*pt.ty {
                        syn::Type::Reference(r) => &*r.elem,
                        other => other,
                    };
                    // Numbers in a slice, array, `Vec` or `Option` too
                    // (`batch_ids: &[i64]`).
                    let scalar = scalar_name(ty);
                    let taint = match scalar.as_deref() {
                        Some("bool") => Taint::CLEAN,
                        Some(name) if is_numeric_type_name(name) => taint.only(ALLOC),
                        _ => taint,
                    };
                    // An extractor (`Form<LoginForm>`, `Json<T>`) is its
                    // payload to everything read here (`Debug` prints it,
                    // fields deref to it): the payload's type.
                    let ty_path = extractor_payload(ty)
                        .map(|p| self.imports.resolve(p))
                        .or(ty_path);
                    // A bare `token: &str`: text, so a credential.
                    let secret = match strip_pat_type(&pt.pat) {
                        syn::Pat::Ident(pi)
                            if crate::patterns::is_bare_credential(&pi.ident.to_string())
                                && is_text_type(&pt.ty)
                                && (crate::patterns::is_credential_context(
                                    &sig.ident.to_string(),
                                ) || cx
                                    .self_ty
                                    .as_deref()
                                    .is_some_and(crate::patterns::is_credential_context)
                                    // Beside the HTTP client that presents
                                    // it (`fetch(agent: &ureq::Agent, url,
                                    // token: &str)`) as a credential (red
                                    // team rt75: a parser's "unexpected
                                    // token" beside a client is not).
                                    || (sig.inputs.iter().any(|i| matches!(i,
                                        syn::FnArg::Typed(t) if self.is_http_client_type(&t.ty)))
                                        && crate::checks::function_mentions(
                                            self,
                                            sig,
                                            block,
                                            PRESENTED_WORDS,
                                        ))) =>
                        {
                            Some(pi.ident.to_string())
                        }
                        _ => None,
                    };
                    let var = Var {
                        taint,
                        ty: ty_path,
                        param: true,
                        secret,
                        ..Var::default()
                    };
                    self.bind_pat(&mut cx, &pt.pat, &var);
                }
            }
        }
        let tail = self.eval_block(&mut cx, block);
        if let Some(key) = key {
            let ret = tail.union(cx.returned);
            let mut summary = std::mem::take(&mut cx.summary);
            summary.has_self = has_self;
            summary.key_params = crate::checks::key_params(sig, cx.self_ty.as_deref());
            summary.public = public;
            summary.ret_params = ret.params;
            summary.ret_secret = returned_secret(&cx, block).or_else(|| made_token(sig));
            if sig
                .receiver()
                .is_some_and(|r| r.reference.is_some() && r.mutability.is_some())
            {
                let stored = cx.vars.get("self").map(|v| v.taint).unwrap_or_default();
                summary.self_params = stored.params & !1;
                summary.self_sanitized = stored.sanitized & summary.self_params;
                summary.self_skinds = stored.skinds;
            }
            summary.ret_pkinds = ret.pkinds;
            summary.ret_sanitized = ret.sanitized & ret.params;
            summary.ret_skinds = ret.skinds;
            // File contents stay a source inside the function that reads
            // them, but are not exported: files a program reads and then
            // acts on (manifests, layouts, configuration) are its own.
            let from_file = cx
                .source_of(ret)
                .is_some_and(|s| s.what.starts_with("file contents"));
            if ret.kinds != 0 && !from_file {
                summary.ret_source = Some((ret.kinds, cx.describe(ret), cx.is_local(ret)));
            }
            // One entry per (parameters, kind, sink): a function that calls
            // a summarised one many times must not multiply its sinks
            // (callers of callers would grow exponentially); bounded.
            let mut seen = HashSet::default();
            let sinks = std::sync::Arc::make_mut(&mut summary.param_sinks);
            sinks.retain(|s| {
                seen.insert((s.params, s.kind, s.line, s.column, s.file.clone(), s.built))
            });
            // The cap keeps first the first sink of each (parameters,
            // kind), so that decoys of one parameter cannot push out
            // another's (red team rt45), then what a public function
            // reports itself (else 32 pass-through sinks could push it
            // out).
            if sinks.len() > MAX_PARAM_SINKS {
                let mut firsts = HashSet::default();
                let front: Vec<bool> = sinks
                    .iter()
                    .map(|s| firsts.insert((s.params, s.kind)) || summary::reports(s))
                    .collect();
                let keep = front.iter().filter(|f| **f).count();
                let mut order: Vec<usize> = (0..sinks.len()).collect();
                order.sort_by_key(|&i| !front[i]);
                let mut slots: Vec<Option<_>> = sinks.drain(..).map(Some).collect();
                sinks.extend(order.into_iter().filter_map(|i| slots[i].take()));
                sinks.truncate(keep.clamp(MAX_PARAM_SINKS, MAX_SINK_GROUPS + 2 * MAX_PARAM_SINKS));
            }
            if public {
                summary::report_public(self, sig, &mut summary);
            }
            self.ret_secrets |= summary.ret_secret.is_some();
            self.put_summary(key, summary);
        }
        if cx.sink_cap_hit {
            // Sinks past the summary's room are not followed into
            // callers: said, never a silent gap (red team rt46).
            self.report(
                Some(&cx),
                crate::rules::id::ANALYSIS_LIMIT,
                sig.ident.span(),
                sig.ident.span(),
                format!(
                    "`{}` has sinks of more than {MAX_SINK_GROUPS} combinations of parameters and kinds; the others are not followed into its callers",
                    sig.ident
                ),
            );
        }
        self.finish_fn(cx);
    }

    pub(crate) fn finish_fn(&mut self, cx: FnCx) {
        crate::checks::finish_cookies(self, &cx);
        if !cx.permissions_set {
            for finding in cx.deferred_storage {
                self.push_finding(finding);
            }
        }

        for (value, finding) in cx.deferred_header {
            let marked = match &value {
                Some(v) => cx.sensitive_values.contains(v),
                None => cx.sensitive_header_set,
            };
            if !marked {
                self.push_finding(finding);
            }
        }
    }

    /// The type path of a parameter, and its taint when it is request data.
    pub(crate) fn param_info(
        &mut self,
        cx: &mut FnCx,
        ty: &syn::Type,
        route_params: bool,
    ) -> (Option<String>, Taint) {
        let mut inner = match ty {
            syn::Type::Reference(r) => &*r.elem,
            other => other,
        };
        // `&Arc<AuthConfig>`, `Box<Client>`: the value shared or boxed.
        while let syn::Type::Path(tp) = inner {
            let Some(last) = tp.path.segments.last() else {
                break;
            };
            let wrapped = match &last.arguments {
                syn::PathArguments::AngleBracketed(a)
                    if a.args.len() == 1
                        && matches!(last.ident.to_string().as_str(), "Arc" | "Rc" | "Box") =>
                {
                    match a.args.first() {
                        Some(syn::GenericArgument::Type(t)) => t,
                        _ => break,
                    }
                }
                _ => break,
            };
            inner = wrapped;
        }
        let syn::Type::Path(tp) = inner else {
            return (None, Taint::CLEAN);
        };
        let resolved = self.imports.resolve(&tp.path);
        // The server's state a framework hands a handler (rocket's
        // `&State<ReportStore>`, actix's `web::Data<AppState>`): not request
        // data, and its methods are the wrapped type's (`store.open(..)`
        // is `ReportStore::open`; blind set j).
        if (resolved == "rocket::State" || resolved.ends_with("actix_web::web::Data"))
            || resolved == "actix_web::Data"
        {
            if let Some(syn::PathArguments::AngleBracketed(a)) =
                tp.path.segments.last().map(|s| &s.arguments)
            {
                if let Some(syn::GenericArgument::Type(syn::Type::Path(state))) = a.args.first() {
                    return (Some(self.imports.resolve(&state.path)), Taint::CLEAN);
                }
            }
        }
        let Some(last) = tp.path.segments.last() else {
            return (None, Taint::CLEAN);
        };
        let name = last.ident.to_string();
        let line = start_of(ty.span()).0;
        let has_generics = matches!(last.arguments, syn::PathArguments::AngleBracketed(_));
        let from_web_crate = WEB_CRATES
            .iter()
            .any(|c| resolved.starts_with(&format!("{c}::")));
        let std_type = resolved.starts_with("std::");
        if EXTRACTOR_TYPES.contains(&name.as_str()) && !std_type && (from_web_crate || has_generics)
        {
            // `Path<u64>`, `Query<(u32, bool)>`: the framework rejects the
            // request unless it parses as a number, so nothing of the
            // attacker's text survives.
            if extracts_only_scalars(&last.arguments) {
                return (Some(resolved), Taint::CLEAN);
            }
            let taint = cx.add_source(format!("request data (`{name}` extractor)"), line);
            return (Some(resolved), taint);
        }
        // axum and actix hand a handler the request's headers as a
        // `HeaderMap` by value (`axum::http::HeaderMap`; `http::HeaderMap`
        // alone is as often a client's, and a `&HeaderMap` helper's are
        // whatever its caller passes).
        if name == "HeaderMap"
            && from_web_crate
            && cx.is_async
            && !matches!(ty, syn::Type::Reference(_))
        {
            let taint = cx.add_source("the request's headers (`HeaderMap`)", line);
            return (Some(resolved), taint);
        }
        // A connection a server accepted, or a client's to a server: what
        // is read from it is the peer's (a hand-written HTTP parser over
        // `BufReader<TcpStream>`).
        if name == "TcpStream"
            && [
                "std::net::",
                "tokio::net::",
                "async_std::net::",
                "smol::net::",
            ]
            .iter()
            .any(|p| resolved.starts_with(p))
        {
            let taint = cx.add_source("a network connection (`TcpStream`)", line);
            return (Some(resolved), taint);
        }
        // A framework's own request type (`salvo::Request`,
        // `poem::Request`, `tide::Request<State>`, `rocket::Request`).
        // tonic's `Streaming<T>` of a client-streaming call: the peer's messages.
        if (any_ends_with(&resolved, REQUEST_TYPES)
            || (name == "Request" && from_web_crate)
            || (name == "Streaming" && resolved.starts_with("tonic::")))
            && (from_web_crate
                || resolved.starts_with("hyper::")
                || resolved.starts_with("http::")
                || name == "HttpRequest")
        {
            let taint = cx.add_source("the HTTP request", line);
            return (Some(resolved), taint);
        }
        // A message of this file's own `#[derive(Deserialize)]` type with
        // size fields (`desc.scratch_bytes`): sizes chosen by whoever
        // wrote the message (only allocation sizes: its text is the
        // caller's business).
        // Not a configuration the operator writes (`AppConfig`,
        // `Settings`), nor statistics the program reports.
        if !crate::engine::is_config_like(&name)
            && self
                .secret_debug_types
                .contains_key(&format!("{name}{}", crate::checks::DESERIALIZE))
        {
            let taint = cx.add_source(format!("a deserialised `{name}` message"), line);
            return (Some(resolved), taint.only(ALLOC));
        }
        // A header or record a function of the file reads from bytes
        // (`rec: &RecHeader` of `read_record(r)`): sizes an input chose.
        if self.input_types.contains(&name) {
            let taint = cx.add_source(format!("a `{name}` read from input"), line);
            return (Some(resolved), taint.only(ALLOC));
        }
        if route_params && !matches!(name.as_str(), "State" | "Db" | "Connection" | "Config") {
            let taint = cx.add_source("a route parameter", line);
            return (Some(resolved), taint);
        }
        (Some(resolved), Taint::CLEAN)
    }

    /// `(i, item)` of `enumerate()` over values of taint `t`: `i` is a
    /// count (a size at most), `item` the value (red team rt77).
    fn bind_enumerated(&mut self, cx: &mut FnCx, pair: &syn::PatTuple, t: Taint) {
        let count = Var {
            taint: t.only(ALLOC),
            ..Var::default()
        };
        self.bind_pat(cx, &pair.elems[0], &count);
        let item = Var {
            taint: t,
            ..Var::default()
        };
        self.bind_pat(cx, &pair.elems[1], &item);
    }

    pub(crate) fn bind_pat(&mut self, cx: &mut FnCx, pat: &Pat, var: &Var) {
        match pat {
            Pat::Ident(pi) => {
                cx.generation += 1;
                let mut bound = var.clone();
                bound.generation = cx.generation;
                let name = pi.ident.to_string();
                let hidden = cx.vars.insert(name.clone(), bound);
                if hidden.is_some() {
                    cx.shadowed.push((name, hidden));
                }
                if let Some((_, sub)) = &pi.subpat {
                    self.bind_pat(cx, sub, var);
                }
            }
            Pat::Type(pt) => {
                let mut var = var.clone();
                if let syn::Type::Path(tp) = &*pt.ty {
                    let name = last_ident(&tp.path);
                    if is_numeric_type_name(&name) {
                        var.taint = var.taint.only(ALLOC);
                    } else if name == "bool" {
                        var.taint = Taint::CLEAN;
                    }
                }
                self.bind_pat(cx, &pt.pat, &var);
            }
            Pat::Reference(r) => self.bind_pat(cx, &r.pat, var),
            // `let (key, iv) = (b"..", b"..")` or a function returning
            // such a tuple: every part is literal bytes.
            Pat::Tuple(t) if var.literal => {
                let part = Var {
                    taint: var.taint,
                    literal: true,
                    literal_at: var.literal_at,
                    ..Var::default()
                };
                t.elems.iter().for_each(|p| self.bind_pat(cx, p, &part));
            }
            // Destructured parts carry the value's taint, not its type facts.
            Pat::Tuple(t) => self.bind_parts(cx, t.elems.iter(), var.taint),
            // `Form(form): Form<LoginForm>`: the payload, with its type.
            Pat::TupleStruct(t)
                if t.elems.len() == 1
                    && t.path
                        .segments
                        .last()
                        .is_some_and(|s| is_extractor(&s.ident.to_string())) =>
            {
                self.bind_pat(cx, &t.elems[0], var)
            }
            // `let Some(host) = url.host_str() else { .. }`: still the URL's
            // host; `Some(t)` of an optional secret, the secret.
            Pat::TupleStruct(t)
                if t.elems.len() == 1
                    && (var.host_of.is_some() || var.secret.is_some())
                    && (t.path.is_ident("Some") || t.path.is_ident("Ok")) =>
            {
                let part = Var {
                    taint: var.taint,
                    secret: var.secret.clone(),
                    host_of: var.host_of.clone(),
                    ..Var::default()
                };
                self.bind_pat(cx, &t.elems[0], &part)
            }
            Pat::TupleStruct(t) => self.bind_parts(cx, t.elems.iter(), var.taint),
            Pat::Struct(s) => self.bind_parts(cx, s.fields.iter().map(|f| &*f.pat), var.taint),
            Pat::Slice(s) => self.bind_parts(cx, s.elems.iter(), var.taint),
            Pat::Or(o) => o.cases.iter().for_each(|p| self.bind_pat(cx, p, var)),
            Pat::Paren(p) => self.bind_pat(cx, &p.pat, var),
            _ => {}
        }
    }

    pub(crate) fn bind_parts<'p>(
        &mut self,
        cx: &mut FnCx,
        parts: impl Iterator<Item = &'p Pat>,
        taint: Taint,
    ) {
        let part = Var {
            taint,
            ..Var::default()
        };
        for p in parts {
            self.bind_pat(cx, p, &part);
        }
    }

    // ---- statements ---------------------------------------------------------

    pub(crate) fn eval_block(&mut self, cx: &mut FnCx, block: &syn::Block) -> Taint {
        let mut last = Taint::CLEAN;
        // The function's own block keeps its bindings (the summary is read
        // from them); an inner block's end hides its own.
        let (mark, outer) = (cx.scope(), cx.block_depth);
        cx.block_depth += 1;
        for stmt in &block.stmts {
            let saved_stmt_line = cx.stmt_line;
            cx.stmt_line = stmt_line(stmt);
            last = self.eval_stmt(cx, stmt);
            cx.stmt_line = saved_stmt_line;
        }
        cx.block_depth = outer;
        if outer > 0 {
            cx.end_scope(mark);
        }
        last
    }

    pub(crate) fn eval_stmt(&mut self, cx: &mut FnCx, stmt: &Stmt) -> Taint {
        match stmt {
            Stmt::Local(local) => {
                self.eval_local(cx, local);
                Taint::CLEAN
            }
            Stmt::Item(item) => {
                self.visit_item(item);
                Taint::CLEAN
            }
            Stmt::Expr(e, semi) => {
                let t = self.eval(cx, e);
                if semi.is_some() {
                    Taint::CLEAN
                } else {
                    t
                }
            }
            Stmt::Macro(m) => {
                self.eval_macro(cx, &m.mac);
                Taint::CLEAN
            }
        }
    }

    pub(crate) fn pat_name(pat: &Pat) -> Option<String> {
        match pat {
            Pat::Ident(pi) => Some(pi.ident.to_string()),
            Pat::Type(pt) => Self::pat_name(&pt.pat),
            Pat::Reference(r) => Self::pat_name(&r.pat),
            _ => None,
        }
    }

    pub(crate) fn eval_local(&mut self, cx: &mut FnCx, local: &syn::Local) {
        let name = Self::pat_name(&local.pat);
        let saved_secret = cx.secret_context;
        if name.as_deref().is_some_and(is_secret_generation_context) {
            cx.secret_context = true;
        }
        let mut var = Var::default();
        if let Pat::Type(pt) = &local.pat {
            self.check_type(cx, &pt.ty);
            if let syn::Type::Path(tp) = &*pt.ty {
                var.ty = Some(self.imports.resolve(&tp.path));
            }
        }
        // `let (a, b) = (x, y)` or `= match .. { .. => (x, y) }`: bind by position.
        if let (Pat::Tuple(tuple), Some(init)) = (strip_pat_type(&local.pat), &local.init) {
            if init.diverge.is_none() {
                if let Some(positions) =
                    self.eval_tuple_positions(cx, &init.expr, tuple.elems.len())
                {
                    cx.secret_context = saved_secret;
                    // `let (host, tok) = (HOST, &self.token);`: each name
                    // holds its own element's secret.
                    let parts: Vec<Option<String>> = match peel(&init.expr) {
                        Expr::Tuple(t) if t.elems.len() == tuple.elems.len() => t
                            .elems
                            .iter()
                            .map(|e| crate::checks::secret_source(cx, e))
                            .collect(),
                        _ => Vec::new(),
                    };
                    // `let (key, iv) = (b"..", b"..")`: each element's bytes.
                    let literals: Vec<Option<Place>> = match peel(&init.expr) {
                        Expr::Tuple(t) if t.elems.len() == tuple.elems.len() => t
                            .elems
                            .iter()
                            .map(|e| self.is_literal_material(e).then(|| self.written_at(e)))
                            .collect(),
                        _ => Vec::new(),
                    };
                    for (i, (pat, taint)) in tuple.elems.iter().zip(positions).enumerate() {
                        let literal_at = literals.get(i).copied().flatten();
                        self.bind_pat(
                            cx,
                            pat,
                            &Var {
                                taint,
                                secret: parts.get(i).cloned().flatten(),
                                literal: literal_at.is_some(),
                                literal_at,
                                ..Var::default()
                            },
                        );
                    }
                    return;
                }
            }
        }
        if let Some(init) = &local.init {
            var.taint = self.eval(cx, &init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.eval(cx, diverge);
            }
            if let Some(name) = name.as_deref() {
                self.binding(Some(cx), name, &init.expr);
            }
            self.describe_init(cx, &init.expr, &mut var);
            var.secret = crate::checks::secret_source(cx, &init.expr)
                .or_else(|| self.call_secret(cx, &init.expr));
            // `let token = bearer_from(meta)?;` in `fn authorize`: a bare
            // `token` of a function about logins, sessions or credentials
            // is one, as its parameter would be.
            if var.secret.is_none() && !matches!(peel(&init.expr), Expr::Lit(_) | Expr::Struct(_)) {
                // The name first: reading the tokens costs a string.
                if let Some(n) = name.as_deref().filter(|n| {
                    crate::patterns::is_bare_credential(n)
                        && (((crate::patterns::is_credential_context(&cx.name)
                            || cx
                                .self_ty
                                .as_deref()
                                .is_some_and(crate::patterns::is_credential_context))
                            && reads_credential(&init.expr))
                            // `env::var("GITHUB_TOKEN")` in any function.
                            || reads_env_token(&init.expr))
                }) {
                    var.secret = Some(n.to_string());
                }
            }
            var.header_built = crate::checks::built_header_value(cx, &init.expr);
            var.lit_false = lit_bool(&init.expr) == Some(false);
            var.dynamic_list = self.is_dynamic_list(&init.expr);
            var.host_of = host_of(&init.expr).map(|url| {
                let generation = cx.vars.get(&url).map_or(0, |v| v.generation);
                (url, generation)
            });
            if matches!(
                peel(&init.expr),
                Expr::MethodCall(_)
                    | Expr::Call(_)
                    | Expr::Binary(_)
                    | Expr::Unary(_)
                    | Expr::Macro(_)
            ) {
                let mut guards = Vec::new();
                let negated = self.guards(cx, &init.expr, &mut guards);
                if !guards.is_empty() {
                    let generations = guards
                        .iter()
                        .map(|(v, _)| cx.var_named(v).map_or(0, |v| v.generation))
                        .collect();
                    var.guards = Some(std::rc::Rc::new((guards, negated, generations)));
                }
            }
            // `let t = (name, password)`: `t.1` holds the secret, `t.0` not.
            if let (Some(name), Expr::Tuple(t)) = (name.as_deref(), peel(&init.expr)) {
                for (i, e) in t.elems.iter().enumerate() {
                    if let Some(secret) = crate::checks::secret_source(cx, e) {
                        let part = Var {
                            secret: Some(secret),
                            ..Var::default()
                        };
                        cx.vars.insert(format!("{name}.{i}"), part);
                    }
                }
            }
            var.closure = closure_of(cx, &init.expr);
            if self.is_literal_material(&init.expr) {
                var.literal = true;
                var.literal_at = Some(self.written_at(&init.expr));
            } else if let Some(held) = literal_held(cx, &init.expr) {
                var.literal = true;
                var.literal_at = held.literal_at;
            } else if let Some(at) = self.literal_or_fallback(&init.expr) {
                var.literal = true;
                var.literal_at = Some(start_of(at));
            }
        }
        cx.secret_context = saved_secret;
        self.bind_pat(cx, &local.pat, &var);
    }

    /// Taints of each position of a tuple-valued expression: a tuple, or a
    /// `match`/`if`/block whose results are tuples. `None` when the shape is
    /// not visible (then the whole value's taint is used). Arms that diverge
    /// (`return`, `bail!`) contribute nothing.
    pub(crate) fn eval_tuple_positions(
        &mut self,
        cx: &mut FnCx,
        e: &Expr,
        n: usize,
    ) -> Option<Vec<Taint>> {
        match e {
            Expr::Tuple(t) if t.elems.len() == n => {
                Some(t.elems.iter().map(|e| self.eval(cx, e)).collect())
            }
            Expr::Paren(p) => self.eval_tuple_positions(cx, &p.expr, n),
            Expr::Block(b)
                if b.block
                    .stmts
                    .last()
                    .is_some_and(|s| matches!(s, Stmt::Expr(_, None))) =>
            {
                let (last, rest) = b.block.stmts.split_last()?;
                for stmt in rest {
                    let saved = cx.stmt_line;
                    cx.stmt_line = stmt_line(stmt);
                    self.eval_stmt(cx, stmt);
                    cx.stmt_line = saved;
                }
                match last {
                    Stmt::Expr(tail, None) => self.eval_tuple_positions(cx, tail, n),
                    _ => None,
                }
            }
            Expr::Match(m)
                if m.arms
                    .iter()
                    .all(|a| tuple_shaped(&a.body, n) || expr_diverges(&a.body)) =>
            {
                let scrutinee = self.eval(cx, &m.expr);
                let mut result = vec![Taint::CLEAN; n];
                for arm in &m.arms {
                    let mark = cx.scope();
                    self.enter_arm(cx, arm, scrutinee);
                    if expr_diverges(&arm.body) {
                        self.eval(cx, &arm.body);
                        cx.end_scope(mark);
                        continue;
                    }
                    let positions = self.eval_tuple_positions(cx, &arm.body, n);
                    cx.end_scope(mark);
                    for (r, t) in result.iter_mut().zip(positions?) {
                        *r = r.union(t);
                    }
                }
                Some(result)
            }
            _ => None,
        }
    }

    /// Facts about a variable that follow from how it was initialised.
    pub(crate) fn describe_init(&mut self, cx: &FnCx, init: &Expr, var: &mut Var) {
        // `match path.canonicalize() { Ok(p) => p, Err(_) => return .. }`
        if let Expr::Match(m) = peel(init) {
            return self.describe_init(cx, &m.expr, var);
        }
        // `{ ..; Token(text) }`: the block's value.
        let tail = |b: &syn::Block| match b.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => Some(t.clone()),
            _ => None,
        };
        match peel(init) {
            Expr::Block(b) => {
                if let Some(t) = tail(&b.block) {
                    self.describe_init(cx, &t, var);
                }
                return;
            }
            // `if .. { Token(a) } else { Token(b) }`: a type both give.
            Expr::If(i) => {
                let else_tail = match i.else_branch.as_ref().map(|(_, e)| peel(e)) {
                    Some(Expr::Block(b)) => tail(&b.block),
                    _ => None,
                };
                if let (Some(a), Some(b)) = (tail(&i.then_branch), else_tail) {
                    let (mut va, mut vb) = (Var::default(), Var::default());
                    self.describe_init(cx, &a, &mut va);
                    self.describe_init(cx, &b, &mut vb);
                    if va.ty.is_some() && va.ty == vb.ty {
                        var.ty = va.ty;
                    }
                }
                return;
            }
            _ => {}
        }
        // `["events", "users"]`, `vec![..]`: a list, whose `get` is not a
        // crate method of that name (red team rt76).
        match peel(init) {
            Expr::Array(_) | Expr::Repeat(_) => {
                var.ty = Some("Vec".into());
                return;
            }
            Expr::Macro(m) if last_ident(&m.mac.path) == "vec" => {
                var.ty = Some("Vec".into());
                return;
            }
            _ => {}
        }
        // `Login { user, password }`: a value of that type.
        if let Expr::Struct(st) = peel(init) {
            if st.qself.is_none() && !st.path.is_ident("Self") {
                var.ty = Some(self.imports.resolve(&st.path));
            }
            return;
        }
        let (methods, root) = chain(init);
        if methods.iter().any(|m| m.method == "canonicalize") {
            var.canonical = true;
        }
        if let Expr::Call(c) = root {
            if let Expr::Path(p) = &*c.func {
                let callee = self.imports.resolve(&p.path);
                if path_ends_with(&callee, "fs::canonicalize")
                    || path_ends_with(&callee, "dunce::canonicalize")
                {
                    var.canonical = true;
                }
                if let Some(ty) = self.constructed_type(cx, root) {
                    // `Arc::new(Verifier::new())`: the wrapped value's type.
                    var.ty = Some(ty);
                } else if path_ends_with(&callee, "Command::new") {
                    var.ty = Some(callee.trim_end_matches("::new").to_string());
                    var.shell = c
                        .args
                        .first()
                        .and_then(lit_str)
                        .is_some_and(|prog| SHELLS.contains(&prog.as_str()));
                } else if path_matches(&callee, "std::env::args")
                    || path_matches(&callee, "std::env::args_os")
                {
                    var.argv = true;
                } else if path_matches(&callee, "std::io::stdout")
                    || path_matches(&callee, "std::io::stderr")
                {
                    // `stdout()`, `stdout().lock()`: standard output or error.
                    let stream = if callee.ends_with("stdout") {
                        "Stdout"
                    } else {
                        "Stderr"
                    };
                    var.ty = Some(format!("std::io::{stream}"));
                } else if (path_ends_with(&callee, "BufWriter::new")
                    || path_ends_with(&callee, "LineWriter::new"))
                    && c.args.len() == 1
                {
                    // `BufWriter::new(File::create(path)?)`: what is written
                    // to it goes to the file (or stream) it wraps.
                    var.ty = self.receiver_type(cx, peel(&c.args[0]));
                } else if path_ends_with(&callee, "Vec::with_capacity") && methods.is_empty() {
                    var.fresh_capacity = true;
                    var.ty = Some("Vec".into());
                } else if var.ty.is_none() {
                    let written = last_ident(&p.path);
                    if methods.is_empty()
                        && p.path.segments.len() == 1
                        && is_type_like(&written)
                        && !matches!(written.as_str(), "Some" | "Ok" | "Err")
                    {
                        // `Token(text)`: a tuple struct's value (its name
                        // as resolved, `crate::auth::Token`).
                        var.ty = Some(callee);
                    } else {
                        // `Client::new()`, `Client::builder()...build()`, `OpenOptions::new()`.
                        let mut segments: Vec<&str> = callee.split("::").collect();
                        if segments.len() >= 2 {
                            segments.pop();
                            var.ty = Some(segments.join("::"));
                        }
                    }
                }
            }
        } else if let Some(base) = var_of(root) {
            if let Some(from) = cx.vars.get(&base) {
                if methods.is_empty()
                    || methods.iter().all(|m| {
                        matches!(
                            m.method.to_string().as_str(),
                            "clone" | "arg" | "args" | "env" | "current_dir"
                        )
                    })
                {
                    var.ty = var.ty.clone().or_else(|| from.ty.clone());
                    var.shell |= from.shell;
                }
                var.canonical |= from.canonical && methods.is_empty();
            }
        }
    }

    /// The type of a value built by a constructor inside a smart pointer
    /// (`Arc::new(X::new())`, `Box::new(X { .. })`, `Arc::new(X)`).
    pub(crate) fn constructed_type(&self, cx: &FnCx, e: &Expr) -> Option<String> {
        let Expr::Call(c) = peel(e) else { return None };
        let Expr::Path(p) = &*c.func else { return None };
        let callee = self.imports.resolve(&p.path);
        let wrapper = ["Arc::new", "Rc::new", "Box::new"]
            .iter()
            .any(|w| path_ends_with(&callee, w));
        if !wrapper || c.args.len() != 1 {
            return None;
        }
        let (_, inner) = chain(&c.args[0]);
        match inner {
            Expr::Struct(s) => Some(self.imports.resolve(&s.path)),
            Expr::Path(p) if p.path.segments.len() > 1 || is_type_like(&last_ident(&p.path)) => {
                Some(self.imports.resolve(&p.path))
            }
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|v| cx.vars.get(&v.to_string()))
                .and_then(|v| v.ty.clone()),
            Expr::Call(inner) => match &*inner.func {
                Expr::Path(p) => {
                    let path = self.imports.resolve(&p.path);
                    if is_type_like(crate::patterns::last_segment(&path)) {
                        // A tuple struct `Platform(x)`.
                        Some(path)
                    } else {
                        self.constructed_type(cx, &c.args[0])
                            .or_else(|| path.rsplit_once("::").map(|(ty, _)| ty.to_string()))
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Bind a match arm's pattern to the scrutinee's taint and evaluate its
    /// guard (which may sanitise what the arm's body sees).
    fn enter_arm(&mut self, cx: &mut FnCx, arm: &syn::Arm, scrutinee: Taint) {
        self.bind_pat(
            cx,
            &arm.pat,
            &Var {
                taint: scrutinee,
                ..Var::default()
            },
        );
        if let Some((_, guard)) = &arm.guard {
            self.eval(cx, guard);
        }
    }

    // ---- expressions ----------------------------------------------------------

    pub(crate) fn eval(&mut self, cx: &mut FnCx, e: &Expr) -> Taint {
        self.eval_ctx(cx, e, false)
    }

    pub(crate) fn eval_ctx(&mut self, cx: &mut FnCx, e: &Expr, as_receiver: bool) -> Taint {
        if self.depth >= crate::limits::MAX_EVAL_DEPTH {
            if self.limit_line.is_none() {
                self.limit_line = Some(start_of(e.span()).0);
            }
            return Taint::CLEAN;
        }
        self.depth += 1;
        let t = self.eval_node(cx, e, as_receiver);
        self.depth -= 1;
        t
    }

    pub(crate) fn eval_node(&mut self, cx: &mut FnCx, e: &Expr, as_receiver: bool) -> Taint {
        match e {
            Expr::Lit(l) => {
                self.check_literal(Some(cx), &l.lit);
                Taint::CLEAN
            }
            Expr::Path(p) => {
                if p.qself.is_none() && p.path.segments.len() == 1 {
                    let segment = &p.path.segments[0];
                    let name = segment.ident.to_string();
                    // A local or parameter: no path rule names one, so
                    // the checks' path hooks are skipped (most paths read
                    // are variables).
                    if let Some(v) = cx.vars.get(&name).filter(|_| segment.arguments.is_none()) {
                        return v.taint;
                    }
                    self.check_path(Some(cx), &p.path);
                    cx.vars.get(&name).map(|v| v.taint).unwrap_or_default()
                } else {
                    self.check_path(Some(cx), &p.path);
                    Taint::CLEAN
                }
            }
            Expr::Call(c) => self.eval_call(cx, c),
            Expr::MethodCall(m) => self.eval_method(cx, m, as_receiver),
            Expr::Macro(m) => self.eval_macro(cx, &m.mac),
            Expr::Binary(b) => self.eval_binary(cx, b),
            Expr::Reference(r) => {
                if r.mutability.is_some() {
                    // `&mut key`: whatever fills it, it is no longer the
                    // literal (nor only random: a generator's fill marks it
                    // again after its arguments).
                    if let Some(name) = var_of(&r.expr) {
                        cx.changed(&name);
                    }
                    if let Some(var) = var_of(&r.expr).and_then(|v| cx.vars.get_mut(&v)) {
                        var.literal = false;
                        var.random = false;
                    }
                }
                self.eval(cx, &r.expr)
            }
            Expr::RawAddr(r) => self.eval(cx, &r.expr),
            Expr::Unary(u) => {
                let t = self.eval(cx, &u.expr);
                match u.op {
                    syn::UnOp::Not(_) => Taint::CLEAN,
                    syn::UnOp::Neg(_) => t.only(ALLOC),
                    _ => t,
                }
            }
            Expr::Paren(p) => self.eval_ctx(cx, &p.expr, as_receiver),
            Expr::Group(g) => self.eval_ctx(cx, &g.expr, as_receiver),
            Expr::Field(f) => {
                let mut t = self.eval(cx, &f.base);
                // `req.max_rows` of a struct of the file declaring it a
                // number (a flag): a size at most (nothing).
                if let syn::Member::Named(name) = &f.member {
                    if (t.is_tainted() || t.params != 0)
                        && self.scalar_field_names.contains(&name.to_string())
                    {
                        if let Some(s) = self.base_struct(cx, &f.base) {
                            if let Some([ty]) = self
                                .struct_fields
                                .get(&format!("{s}.{name}"))
                                .map(Vec::as_slice)
                            {
                                let last = crate::patterns::last_segment(ty);
                                // A flag, or a byte: at most 255 of anything.
                                if matches!(last, "bool" | "u8" | "i8") {
                                    t = Taint::CLEAN;
                                } else if is_numeric_type_name(last) {
                                    t = t.only(ALLOC);
                                }
                            }
                        }
                    }
                }
                // `hdr.len` after `if hdr.len > MAX { return }` (looked up
                // only when the field's variable has checked fields).
                if cx.has_checked_fields {
                    if let Some(path) = field_path(e) {
                        t = t.without(cx.checked_field(&path));
                    }
                }
                // `self.table` declared `&'static str`: fixed text, whoever
                // calls the method (a source's data put there still is).
                match &f.member {
                    syn::Member::Named(name)
                        if t.params != 0
                            && self.base_struct(cx, &f.base).is_some_and(|s| {
                                let key = format!("{s}.{name}");
                                self.static_str_fields.contains(&key)
                                    && !self.nonliteral_fields.contains(&key)
                                    && !self.nonliteral_fields.contains(&name.to_string())
                            }) =>
                    {
                        Taint {
                            params: 0,
                            pkinds: 0,
                            ..t
                        }
                    }
                    _ => t,
                }
            }
            Expr::Index(i) => {
                let base = self.eval(cx, &i.expr);
                self.eval(cx, &i.index);
                for check in CHECKS {
                    check.index(self, cx, i);
                }
                base
            }
            Expr::Try(t) => {
                let r = self.eval_ctx(cx, &t.expr, as_receiver);
                if !self.result_validators.is_empty() {
                    self.validated_by_try(cx, &t.expr);
                }
                r
            }
            Expr::Await(a) => self.eval_ctx(cx, &a.base, as_receiver),
            Expr::Cast(c) => {
                let t = self.eval(cx, &c.expr);
                match &*c.ty {
                    syn::Type::Path(tp) if is_numeric_type_name(&last_ident(&tp.path)) => {
                        t.only(ALLOC)
                    }
                    _ => t,
                }
            }
            // `'checked: { if !ok(&x) { break 'checked; } .. }`: a labeled
            // block is left by its `break`.
            Expr::Block(b) if b.label.is_some() => {
                let outer = std::mem::take(&mut cx.broken);
                let tail = self.framed(cx, |a, cx| a.eval_block(cx, &b.block));
                let broken = std::mem::replace(&mut cx.broken, outer);
                cx.broken = cx.broken.union(broken);
                tail.union(broken)
            }
            Expr::Block(b) => self.eval_block(cx, &b.block),
            Expr::Unsafe(u) => {
                for check in CHECKS {
                    check.unsafe_block(self, cx, u);
                }
                self.eval_block(cx, &u.block)
            }
            // A `return` in an async block leaves the block only.
            Expr::Async(a) => self.framed(cx, |an, cx| an.eval_block(cx, &a.block)),
            Expr::TryBlock(t) => self.eval_block(cx, &t.block),
            Expr::Const(c) => self.eval_block(cx, &c.block),
            Expr::If(i) => self.eval_if(cx, i),
            Expr::Let(l) => {
                let t = self.eval(cx, &l.expr);
                // `if let Some(t) = &self.token`: `t` holds the secret.
                let var = Var {
                    taint: t,
                    secret: crate::checks::secret_source(cx, &l.expr),
                    ..Var::default()
                };
                self.bind_pat(cx, &l.pat, &var);
                Taint::CLEAN
            }
            Expr::Match(m) => {
                let scrutinee = self.eval(cx, &m.expr);
                let literal_pat = |p: &Pat| match p {
                    Pat::Lit(_) => true,
                    Pat::Or(o) => o.cases.iter().all(|c| matches!(c, Pat::Lit(_))),
                    _ => false,
                };
                // A variable, or a field (that field only: red team rt85,
                // `match q.kind.as_str() { "name" | "date" => &q.kind, .. }`).
                let subject = checked_subject(&m.expr);
                let mut result = Taint::CLEAN;
                for arm in &m.arms {
                    let mark = cx.scope();
                    self.enter_arm(cx, arm, scrutinee);
                    // `"tech" | "world" => Some(format!("{BASE}/{name}"))`:
                    // in an arm of literals (no guard), the value is one.
                    let validated = match &subject {
                        Some(v) if arm.guard.is_none() && literal_pat(&arm.pat) => {
                            Some(cx.validated(&[(v.clone(), INJECTION | ALLOC | EXACT)]))
                        }
                        _ => None,
                    };
                    // The value of a match is its arms' values: an allow-list
                    // match that maps input to literals yields clean data.
                    result = result.union(self.framed(cx, |a, cx| a.eval(cx, &arm.body)));
                    if let Some(saved) = validated {
                        cx.restore(saved);
                    }
                    cx.end_scope(mark);
                }
                // `match host { "a" | "b" => {}, _ => return }`: past the
                // match, the value is one of the literals.
                let allow_list = m.arms.iter().all(|arm| {
                    arm.guard.is_none()
                        && (literal_pat(&arm.pat)
                            || (matches!(arm.pat, Pat::Wild(_)) && expr_diverges(&arm.body)))
                }) && m.arms.iter().any(|arm| matches!(arm.pat, Pat::Wild(_)));
                if allow_list {
                    if let Some(v) = var_of(&m.expr) {
                        cx.validated(&[(v, INJECTION | ALLOC | EXACT)]);
                    }
                } else if let Some(checked) = self.guarded_arms(cx, m) {
                    cx.validated(&checked);
                }
                result
            }
            Expr::ForLoop(f) => {
                let t = self.eval(cx, &f.expr);
                let mark = cx.scope();
                // `for (i, name) in names.iter().enumerate()`: `i` is a
                // count (a size at most), `name` the item (red team rt77).
                let enumerated =
                    matches!(peel(&f.expr), Expr::MethodCall(m) if m.method == "enumerate");
                match (&*f.pat, enumerated) {
                    (Pat::Tuple(tp), true) if tp.elems.len() == 2 => {
                        self.bind_enumerated(cx, tp, t);
                    }
                    _ => self.bind_pat(
                        cx,
                        &f.pat,
                        &Var {
                            taint: t,
                            ..Var::default()
                        },
                    ),
                }
                self.framed(cx, |a, cx| a.eval_block(cx, &f.body));
                cx.end_scope(mark);
                Taint::CLEAN
            }
            Expr::While(w) => {
                self.eval(cx, &w.cond);
                self.framed(cx, |a, cx| a.eval_block(cx, &w.body));
                Taint::CLEAN
            }
            Expr::Loop(l) => {
                let outer = std::mem::take(&mut cx.broken);
                self.framed(cx, |a, cx| a.eval_block(cx, &l.body));
                // `loop { .. break value; }`: the loop's value.
                let broken = std::mem::replace(&mut cx.broken, outer);
                cx.broken = cx.broken.union(broken);
                broken
            }
            Expr::Closure(c) => {
                let param = cx.closure_param;
                cx.closure_param = Taint::CLEAN;
                let enumerated = std::mem::take(&mut cx.closure_enumerated);
                let secret = cx.closure_secret.take();
                // Its parameters are the closure's only.
                let mark = cx.scope();
                for input in &c.inputs {
                    if let (Pat::Tuple(tp), true) = (input, enumerated) {
                        if tp.elems.len() == 2 {
                            self.bind_enumerated(cx, tp, param);
                            continue;
                        }
                    }
                    // A closure handed to a router as a handler
                    // (`get(|Path(name): Path<String>| async move { .. })`):
                    // its extractors are request data like a function's
                    // (red team rt82).
                    // Only a web framework's type (not `sqlx::types::Json`
                    // of a row, nor a local `Query<T>`: red team rt83).
                    let web = |ty: &syn::Type| match ty {
                        syn::Type::Path(tp) => {
                            let resolved = self.imports.resolve(&tp.path);
                            crate::patterns::WEB_CRATES
                                .iter()
                                .any(|c| resolved.starts_with(&format!("{c}::")))
                        }
                        _ => false,
                    };
                    let extracted = match input {
                        Pat::Type(pt) if web(&pt.ty) => self.param_info(cx, &pt.ty, false).1,
                        _ => Taint::CLEAN,
                    };
                    self.bind_pat(
                        cx,
                        input,
                        &Var {
                            taint: param.union(extracted),
                            secret: secret.clone().filter(|_| c.inputs.len() == 1),
                            ..Var::default()
                        },
                    );
                }
                let t = self.framed(cx, |a, cx| a.eval(cx, &c.body));
                cx.end_scope(mark);
                t
            }
            Expr::Assign(a) => {
                let t = self.eval(cx, &a.right);
                match peel(&a.left) {
                    Expr::Path(_) => {
                        if let Some(name) = var_of(&a.left) {
                            cx.changed(&name);
                            // Literal bytes assigned make it key material;
                            // anything else leaves it as it was (the
                            // assignment may be one branch of several:
                            // a built-in default key stays reported).
                            let literal = self.is_literal_material(&a.right);
                            let entry = cx.vars.entry(name).or_default();
                            entry.taint = t;
                            if literal {
                                entry.literal = true;
                                entry.literal_at = Some(self.written_at(&a.right));
                            }
                            entry.random = false;
                            // Any other value may be `true` (one branch of several).
                            entry.lit_false &= lit_bool(&a.right) == Some(false);
                        }
                    }
                    Expr::Index(_) => {
                        // `nonce[11] = seq`: a part written with a value
                        // that is not in the source.
                        self.eval(cx, &a.left);
                        if let Some(name) = indexed_var(&a.left) {
                            let written_literal = matches!(peel(&a.right), Expr::Lit(_));
                            let entry = cx.vars.entry(name).or_default();
                            entry.literal &= written_literal;
                            entry.random = false;
                            entry.taint = entry.taint.union(t);
                        }
                    }
                    _ => {
                        self.eval(cx, &a.left);
                        if let Some(path) = field_path(&a.left) {
                            cx.field_changed(&path, t);
                        }
                        if let Some(name) = var_of(&a.left) {
                            let entry = cx.vars.entry(name).or_default();
                            entry.taint = entry.taint.union(t);
                        }
                    }
                }
                Taint::CLEAN
            }
            Expr::Array(a) => {
                taint::union_all(a.elems.iter().map(|e| self.eval(cx, e)).collect::<Vec<_>>())
            }
            Expr::Tuple(t) => {
                taint::union_all(t.elems.iter().map(|e| self.eval(cx, e)).collect::<Vec<_>>())
            }
            Expr::Repeat(r) => {
                let t = self.eval(cx, &r.expr);
                self.eval(cx, &r.len);
                t
            }
            Expr::Struct(s) => {
                let mut t = Taint::CLEAN;
                for field in &s.fields {
                    let saved = cx.secret_context;
                    if let syn::Member::Named(name) = &field.member {
                        let name = name.to_string();
                        self.binding(Some(cx), &name, &field.expr);
                        cx.secret_context |= is_secret_generation_context(&name);
                    }
                    t = t.union(self.eval(cx, &field.expr));
                    cx.secret_context = saved;
                }
                if let Some(rest) = &s.rest {
                    t = t.union(self.eval(cx, rest));
                }
                t
            }
            Expr::Range(r) => {
                let mut t = Taint::CLEAN;
                if let Some(start) = &r.start {
                    t = t.union(self.eval(cx, start));
                }
                if let Some(end) = &r.end {
                    t = t.union(self.eval(cx, end));
                }
                t.only(ALLOC)
            }
            Expr::Return(r) => {
                if let Some(e) = &r.expr {
                    let t = self.eval(cx, e);
                    cx.returned = cx.returned.union(t);
                }
                Taint::CLEAN
            }
            Expr::Break(b) => {
                if let Some(e) = &b.expr {
                    let t = self.eval(cx, e);
                    cx.broken = cx.broken.union(t);
                }
                Taint::CLEAN
            }
            Expr::Yield(y) => {
                if let Some(e) = &y.expr {
                    self.eval(cx, e);
                }
                Taint::CLEAN
            }
            _ => Taint::CLEAN,
        }
    }

    pub(crate) fn eval_binary(&mut self, cx: &mut FnCx, b: &syn::ExprBinary) -> Taint {
        use syn::BinOp::*;
        let left = self.eval(cx, &b.left);
        let right = self.eval(cx, &b.right);
        match b.op {
            Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_) | And(_) | Or(_) => Taint::CLEAN,
            // Other compound assignments change the variable too (a check
            // held in a local no longer covers it; red team rt51).
            DivAssign(_) | RemAssign(_) | BitXorAssign(_) | BitAndAssign(_) | ShrAssign(_) => {
                if let Some(name) = var_of(&b.left) {
                    cx.changed(&name);
                    let entry = cx.vars.entry(name).or_default();
                    entry.taint = entry.taint.union(right);
                }
                Taint::CLEAN
            }
            AddAssign(_) | SubAssign(_) | MulAssign(_) | BitOrAssign(_) | ShlAssign(_) => {
                if let Some(name) = var_of(&b.left) {
                    cx.changed(&name);
                    let entry = cx.vars.entry(name).or_default();
                    // `sql += name`: pasted (a number's `+=` carries no
                    // text to paste).
                    let right = if matches!(b.op, AddAssign(_)) || is_text_operand(&b.right) {
                        right.built()
                    } else {
                        right
                    };
                    entry.taint = entry.taint.union(right);
                }
                Taint::CLEAN
            }
            Add(_) if is_text_operand(&b.left) || is_text_operand(&b.right) => {
                left.union(right).built()
            }
            Add(_) => left.union(right),
            // Arithmetic keeps only the size danger.
            _ => left.union(right).only(ALLOC),
        }
    }

    /// Evaluate a branch, loop body or closure body: checks its early
    /// exits make hold to its end only ([`FnCx::guard_frames`]).
    pub(crate) fn framed<T>(
        &mut self,
        cx: &mut FnCx,
        f: impl FnOnce(&mut Self, &mut FnCx) -> T,
    ) -> T {
        cx.guard_frames.push(Vec::new());
        let t = f(self, cx);
        if let Some(frame) = cx.guard_frames.pop() {
            cx.restore(frame.into_iter().rev().collect());
        }
        t
    }

    /// `if` with sanitising guards: `if ALLOWED.contains(&x) { .. }` cleans
    /// `x` in the branch; `if !ok(&x) { return }` cleans it afterwards.
    pub(crate) fn eval_if(&mut self, cx: &mut FnCx, i: &syn::ExprIf) -> Taint {
        // `if let Ok(n) = ..`: `n` is the then-branch's only.
        let mark = cx.scope();
        self.eval(cx, &i.cond);
        let mut guards = Vec::new();
        let negated = self.guards(cx, &i.cond, &mut guards);
        let then_taint = if negated {
            self.framed(cx, |a, cx| a.eval_block(cx, &i.then_branch))
        } else {
            let saved = cx.validated(&guards);
            let t = self.framed(cx, |a, cx| a.eval_block(cx, &i.then_branch));
            cx.restore(saved);
            t
        };
        cx.end_scope(mark);
        let else_taint = match &i.else_branch {
            Some((_, e)) => {
                if negated {
                    let saved = cx.validated(&guards);
                    let t = self.framed(cx, |a, cx| a.eval(cx, e));
                    cx.restore(saved);
                    t
                } else {
                    self.framed(cx, |a, cx| a.eval(cx, e))
                }
            }
            None => Taint::CLEAN,
        };
        if negated && block_diverges(&i.then_branch) {
            // `if !allowed(&x) { return ...; }`: x is clean from here on
            // (to the end of the enclosing branch, loop body or closure).
            let saved = cx.validated(&guards);
            if let Some(frame) = cx.guard_frames.last_mut() {
                frame.extend(saved);
            }
        }
        then_taint.union(else_taint)
    }

    /// Collect variables a condition validates; returns whether the
    /// condition is negated (`!check`).
    pub(crate) fn guards(&self, cx: &FnCx, cond: &Expr, out: &mut Vec<(String, u16)>) -> bool {
        // `if p.contains("..") || p.is_absolute() { return }`: a rejection
        // test, true for bad input; the variable is a safe path afterwards.
        if let Some(v) = path_rejection(cond) {
            out.push((v, PATH));
            return true;
        }
        if let Some((v, rejects)) = size_bound(cond) {
            out.push((v, ALLOC));
            return rejects;
        }
        match peel(cond) {
            // `!allowed(&x)` holds its guard when false; `!p.contains("..")`
            // (a negated rejection test) when true.
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => !self.guards(cx, &u.expr, out),
            // `if host != A && host != B { return }`: afterwards host is A or B.
            Expr::Binary(b)
                if matches!(b.op, syn::BinOp::And(_)) && all_ne_literal(cond).is_some() =>
            {
                if let Some(v) = all_ne_literal(cond) {
                    out.push((v, INJECTION | ALLOC | EXACT));
                }
                true
            }
            // `if url.host_str() != Some("api.example.com") { return }`
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Ne(_)) => {
                out.extend(compared_checks(&b.left, &b.right));
                true
            }
            // `if role == "a" || role == "b" { .. }`: inside, role is a or b.
            Expr::Binary(b)
                if matches!(b.op, syn::BinOp::Or(_)) && all_eq_literal(cond).is_some() =>
            {
                if let Some(v) = all_eq_literal(cond) {
                    out.push((v, INJECTION | ALLOC | EXACT));
                }
                false
            }
            // `if a || !valid(&x) || b { return }`: once the branch is
            // left, every disjunct is false, so each negated guard holds.
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) => {
                for side in [&b.left, &b.right] {
                    match peel(side) {
                        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                            self.guards(cx, &u.expr, out);
                        }
                        inner @ Expr::Binary(ib) if matches!(ib.op, syn::BinOp::Or(_)) => {
                            self.guards(cx, inner, out);
                        }
                        other => {
                            if let Some(v) = path_rejection(other) {
                                out.push((v, PATH));
                            }
                            if let Some((v, true)) = size_bound(other) {
                                out.push((v, ALLOC));
                            }
                        }
                    }
                }
                true
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.guards(cx, &b.left, out);
                self.guards(cx, &b.right, out);
                false
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => {
                out.extend(compared_checks(&b.left, &b.right));
                false
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                match name.as_str() {
                    "contains" | "contains_key" | "binary_search" => {
                        // A list the input itself supplies (`q.names`, a
                        // split of another field) allows anything (red
                        // team rt85).
                        let dynamic = matches!(peel(&m.receiver), Expr::Array(a) if is_dynamic_array(a))
                            || var_of(&m.receiver)
                                .and_then(|r| cx.vars.get(&r))
                                .is_some_and(|r| r.dynamic_list || r.taint.is_tainted());
                        if let Some(v) = m
                            .args
                            .first()
                            .and_then(checked_subject)
                            .filter(|_| !dynamic)
                        {
                            if var_of(&m.receiver).as_ref() != Some(&v) {
                                // A list (not a string: `contains` of a
                                // `&str` is a substring test).
                                // Not a list built from input either.
                                let exact = if self.is_list(&m.receiver)
                                    && !var_of(&m.receiver)
                                        .and_then(|r| cx.vars.get(&r))
                                        .is_some_and(|r| r.taint.is_tainted())
                                {
                                    EXACT
                                } else {
                                    0
                                };
                                out.push((v, INJECTION | exact));
                            }
                        }
                    }
                    "starts_with" => {
                        if let Some(v) = var_of(&m.receiver) {
                            if cx.vars.get(&v).is_some_and(|var| var.canonical) {
                                out.push((v, PATH));
                            }
                        }
                    }
                    // `ALLOWED.iter().any(|h| *h == host)`: membership.
                    "any" => {
                        // Not of a list built from input.
                        let (_, root) = chain(&m.receiver);
                        let from_input = var_of(root)
                            .and_then(|r| cx.vars.get(&r))
                            .is_some_and(|r| r.taint.is_tainted());
                        if let Some(v) = m.args.first().and_then(closure_compares_var) {
                            if !from_input {
                                out.push((v, INJECTION | EXACT));
                            }
                        }
                    }
                    "all" => {
                        if let Some((v, kinds)) = all_accepted(m) {
                            out.push((v, kinds));
                        } else if let Some(checked) = self.every_item_checked(cx, m) {
                            out.push(checked);
                        }
                    }
                    "is_match" => {
                        if let Some(v) = m.args.first().and_then(var_of) {
                            out.push((v, INJECTION));
                        }
                    }
                    // `url.host_str().map_or(false, |h| ALLOWED.contains(&h))`,
                    // `name.as_deref().is_some_and(|n| valid(n))`: true only
                    // when the closure's check of the value held;
                    // `.map_or(true, |h| !ALLOWED.contains(&h))` false only then.
                    "map_or" | "is_some_and" | "is_ok_and" => {
                        let rejects = match name.as_str() {
                            "map_or" => m.args.first().and_then(lit_bool),
                            _ => Some(false),
                        };
                        if let Some(rejects) = rejects {
                            if let Some(checked) =
                                self.check_of_closure(cx, &m.receiver, m.args.last(), !rejects)
                            {
                                out.extend(checked);
                            }
                            return rejects;
                        }
                    }
                    // `self.plain_name(&x)`: a validator of the file.
                    _ => {
                        self.validator_call(&name, &m.args, out);
                    }
                }
                false
            }
            // `matches!(x, "a" | "b")`: only literal patterns, no guard
            // (`s if s.len() < 50`, `_` allow anything; red team rt85).
            Expr::Macro(m)
                if last_ident(&m.mac.path) == "matches" && literal_patterns(&m.mac.tokens) =>
            {
                if let Some(first) = macros::parse_args(&m.mac.tokens).first() {
                    if let Some(v) = checked_subject(&first.expr) {
                        out.push((v, INJECTION | ALLOC));
                    }
                }
                false
            }
            // `if clean { .. }`: a bool bound to a check is that check.
            Expr::Path(p) => {
                let held = p
                    .path
                    .get_ident()
                    .and_then(|v| cx.vars.get(&v.to_string()))
                    .and_then(|v| v.guards.clone());
                match held {
                    // Only while every variable checked is as it was then
                    // (not bound again, assigned or changed in place).
                    Some(held)
                        if held.0.iter().zip(&held.2).all(|((v, _), generation)| {
                            cx.var_named(v).is_some_and(|v| v.generation == *generation)
                        }) =>
                    {
                        out.extend(held.0.iter().cloned());
                        held.1
                    }
                    _ => false,
                }
            }
            Expr::Call(c) => {
                // `is_valid_name(&x)`, `validate(&x)`, `is_safe_path(&p)`,
                // and the file's own validators (`plain_name(&x)`).
                if let Expr::Path(p) = &*c.func {
                    let name = last_ident(&p.path);
                    // A function of the file is read from its body; another
                    // by its name.
                    if !self.validator_call(&name, &c.args, out)
                        && (name.starts_with("is_valid")
                        || name.starts_with("is_safe")
                        || name.starts_with("is_allowed")
                        || name.starts_with("validate"))
                        // An e-mail address or URL valid by its RFC may hold
                        // quotes, parentheses and any host (red team rt50).
                        && !["email", "mail", "url", "uri", "host"]
                            .iter()
                            .any(|w| crate::patterns::ident_words(&name).iter().any(|x| x == w))
                        && !is_email_or_url_type(&p.path)
                    {
                        for arg in &c.args {
                            if let Some(v) = var_of(arg) {
                                out.push((v, INJECTION));
                            }
                        }
                    }
                }
                false
            }
            _ => false,
        }
    }

    /// `match url.host_str() { Some(h) if ALLOWED.contains(&h) => {}, _ =>
    /// return .. }`: every arm that does not diverge has a guard accepting
    /// its binding of the value; past the match, what every such guard
    /// checks holds ([`Self::checked_binding`]).
    fn guarded_arms(&self, cx: &FnCx, m: &syn::ExprMatch) -> Option<Vec<(String, u16)>> {
        let mut common: Option<Vec<(String, u16)>> = None;
        for arm in &m.arms {
            if expr_diverges(&arm.body) {
                continue;
            }
            let (_, guard) = arm.guard.as_ref()?;
            let binding = match &arm.pat {
                Pat::Ident(p) if p.subpat.is_none() => p.ident.to_string(),
                Pat::TupleStruct(t)
                    if t.elems.len() == 1 && (t.path.is_ident("Some") || t.path.is_ident("Ok")) =>
                {
                    match &t.elems[0] {
                        Pat::Ident(p) if p.subpat.is_none() => p.ident.to_string(),
                        _ => return None,
                    }
                }
                _ => return None,
            };
            let here = self.checked_binding(cx, &m.expr, &binding, guard, true)?;
            common = Some(match common {
                None => here,
                Some(before) => before
                    .into_iter()
                    .filter_map(|(v, k)| {
                        let k2 = here
                            .iter()
                            .filter(|(w, _)| *w == v)
                            .fold(0, |a, (_, k)| a | k);
                        (k & k2 != 0).then_some((v, k & k2))
                    })
                    .collect(),
            });
        }
        common.filter(|c| !c.is_empty())
    }

    /// What a check of an optional value (`recv`) by a closure (`|h|
    /// ALLOWED.contains(&h)`) validates when it holds: the closure
    /// parameter's checks, put on the value's variable (a URL whose host
    /// `recv` is, for a check against a list written in the source).
    fn check_of_closure(
        &self,
        cx: &FnCx,
        recv: &Expr,
        closure: Option<&Expr>,
        accepted_when_true: bool,
    ) -> Option<Vec<(String, u16)>> {
        let Some(Expr::Closure(c)) = closure.map(peel) else {
            return None;
        };
        let [input] = c.inputs.iter().collect::<Vec<_>>()[..] else {
            return None;
        };
        let param = Self::pat_name(input)?;
        self.checked_binding(cx, recv, &param, &c.body, accepted_when_true)
    }

    /// The checks `test` (true when the value is accepted) makes of
    /// `binding`, a name for the value of `subject` (an optional host of
    /// a URL variable, or a variable read whole), put on that variable.
    fn checked_binding(
        &self,
        cx: &FnCx,
        subject: &Expr,
        binding: &str,
        test: &Expr,
        accepted_when_true: bool,
    ) -> Option<Vec<(String, u16)>> {
        let mut inner = Vec::new();
        if self.guards(cx, test, &mut inner) == accepted_when_true {
            return None;
        }
        let kinds = inner
            .iter()
            .filter(|(v, _)| v == binding)
            .fold(0, |all, (_, k)| all | k);
        if kinds == 0 {
            return None;
        }
        if let Some(url) = host_of(subject) {
            return (kinds & EXACT != 0).then(|| vec![(url, taint::URL)]);
        }
        accessed_var(subject).map(|v| vec![(v, kinds)])
    }

    pub(crate) fn eval_args(
        &mut self,
        cx: &mut FnCx,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        closure_param: Taint,
    ) -> Vec<Taint> {
        args.iter()
            .map(|arg| {
                let saved = cx.closure_param;
                cx.closure_param = closure_param;
                let t = self.eval(cx, arg);
                cx.closure_param = saved;
                t
            })
            .collect()
    }
}

/// Words of a function that presents a credential to a server.
const PRESENTED_WORDS: &[&str] = &[
    "Bearer",
    "bearer",
    "Authorization",
    "authorization",
    "AUTHORIZATION",
    "basic_auth",
    "X-Api-Key",
    "x-api-key",
    "token=",
];

/// `name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')`,
/// `name.bytes().all(..)` (every character in a class: the kinds of
/// injection it rules out), and `Path::new(name).components().all(|c|
/// matches!(c, Component::Normal(_)))` (no root, no `..`: a path inside
/// its base); the tested variable, whole (not a field, not a part of it),
/// with the kinds ruled out.
fn all_accepted(m: &syn::ExprMethodCall) -> Option<(String, u16)> {
    let (methods, root) = chain(&m.receiver);
    let [first] = methods.as_slice() else {
        return None;
    };
    let Some(Expr::Closure(test)) = m.args.first().map(peel) else {
        return None;
    };
    let param = test.inputs.first().and_then(FileAnalyzer::pat_name)?;
    match first.method.to_string().as_str() {
        "chars" | "bytes" => {
            let kinds = class_kinds(&test.body, &param)?;
            checked_target(root).map(|v| (v, kinds))
        }
        "components" => {
            // Exactly `matches!(c, [..::]Component::Normal(_))`, or with
            // `| Component::CurDir` (`.`, which stays where it is).
            let Expr::Macro(mac) = peel(&test.body) else {
                return None;
            };
            let tokens = mac.mac.tokens.to_string();
            let pattern = tokens
                .split_once(',')
                .filter(|(subject, _)| subject.trim() == param)
                .map(|(_, pattern)| pattern);
            let normal_only = last_ident(&mac.mac.path) == "matches"
                && tokens.contains("Normal")
                && pattern.is_some_and(|p| {
                    p.split('|').all(|alt| {
                        let alt = alt.trim();
                        alt.ends_with("Normal (_)") || alt.ends_with("CurDir")
                    })
                });
            if !normal_only {
                return None;
            }
            let v = whole_var(root).or_else(|| match peel(root) {
                // `Path::new(name)`, `PathBuf::from(name)`
                Expr::Call(c) if c.args.len() == 1 => c.args.first().and_then(whole_var),
                _ => None,
            })?;
            Some((v, PATH))
        }
        _ => None,
    }
}

/// The kinds of injection a character test rules out: a disjunction of
/// character classes (`c.is_ascii_alphanumeric()`, digits, letters) and
/// single characters (`c == '-'`, `"-_".contains(c)`, `['-', '_'].contains(&c)`,
/// `matches!(c, 'a'..='z' | '-')`). Characters that end a quoted string
/// or a command (quotes, `;`, `|`, `$`, spaces, ..) make it no test;
/// `.`, `/` or `:` let a path or URL through (red team rt49).
fn class_kinds(body: &Expr, param: &str) -> Option<u16> {
    fn terms<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match peel(e) {
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) => {
                terms(&b.left, out);
                terms(&b.right, out);
            }
            other => out.push(other),
        }
    }
    const CLASSES: &[&str] = &[
        "is_alphanumeric",
        "is_ascii_alphanumeric",
        "is_alphabetic",
        "is_ascii_alphabetic",
        "is_ascii_digit",
        "is_numeric",
        "is_ascii_lowercase",
        "is_ascii_uppercase",
        "is_lowercase",
        "is_uppercase",
        "is_ascii_hexdigit",
    ];
    let is_param = |e: &Expr| var_of(e).as_deref() == Some(param);
    let char_of = |e: &Expr| -> Option<char> {
        match peel(e) {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Char(c) => Some(c.value()),
                syn::Lit::Byte(b) => Some(char::from(b.value())),
                _ => None,
            },
            _ => None,
        }
    };
    let mut extras: Vec<char> = Vec::new();
    let mut parts = Vec::new();
    terms(body, &mut parts);
    let mut classed = false;
    for term in parts {
        match term {
            Expr::MethodCall(c)
                if c.args.is_empty()
                    && is_param(&c.receiver)
                    && CLASSES.contains(&c.method.to_string().as_str()) =>
            {
                classed = true;
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => {
                let ch = if is_param(&b.left) {
                    char_of(&b.right)
                } else if is_param(&b.right) {
                    char_of(&b.left)
                } else {
                    None
                };
                extras.push(ch?);
            }
            Expr::MethodCall(c)
                if c.method == "contains" && c.args.first().is_some_and(is_param) =>
            {
                match peel(&c.receiver) {
                    Expr::Lit(l) => match &l.lit {
                        syn::Lit::Str(t) => extras.extend(t.value().chars()),
                        syn::Lit::ByteStr(t) => {
                            extras.extend(t.value().into_iter().map(char::from))
                        }
                        _ => return None,
                    },
                    Expr::Array(a) => {
                        for e in &a.elems {
                            extras.push(char_of(e)?);
                        }
                    }
                    _ => return None,
                }
            }
            Expr::Macro(mac) if last_ident(&mac.mac.path) == "matches" => {
                let mut tokens = mac.mac.tokens.clone().into_iter();
                // `c ,` then literals, ranges and `|` only.
                let subject = tokens.next()?;
                if subject.to_string() != param {
                    return None;
                }
                // Literals, `|`, and `..=`/`..` ranges: every character a
                // range covers counts (`'A'..='z'` covers the backtick).
                let mut literals: Vec<char> = Vec::new();
                let mut range = false;
                for t in tokens {
                    match t {
                        proc_macro2::TokenTree::Punct(p) if matches!(p.as_char(), ',' | '|') => {}
                        proc_macro2::TokenTree::Punct(p) if matches!(p.as_char(), '.' | '=') => {
                            range = true;
                        }
                        proc_macro2::TokenTree::Literal(l) => {
                            let ch = match syn::Lit::new(l) {
                                syn::Lit::Char(c) => c.value(),
                                syn::Lit::Byte(b) => char::from(b.value()),
                                _ => return None,
                            };
                            match (range, literals.last().copied()) {
                                (true, Some(low)) => {
                                    literals.extend((low..=ch).skip(1));
                                    range = false;
                                }
                                _ => literals.push(ch),
                            }
                        }
                        _ => return None,
                    }
                }
                for ch in literals {
                    if ch.is_ascii_alphanumeric() {
                        classed = true;
                    } else {
                        extras.push(ch);
                    }
                }
            }
            _ => return None,
        }
    }
    if !classed
        || extras
            .iter()
            .any(|c| !matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '+' | '=' | ','))
    {
        return None;
    }
    // What each allowed character still lets through (red team rt50):
    // `.`/`/` a path; `-` an SQL comment (`5--`); `.`/`+` a regular
    // expression; `:`/`=` a `javascript:` link.
    let has = |set: &[char]| extras.iter().any(|c| set.contains(c));
    let mut kinds = INJECTION & !taint::URL;
    if has(&['.', '/']) {
        kinds &= !PATH;
    }
    // `-`: pasted unquoted, `5--` comments out the rest of the query
    // (whether the sink quotes it is not known; red team rt51). (A leading
    // `-` can still be an option to the program a shell runs: argument
    // injection, CWE-88, which `command-injection` does not cover.)
    if has(&['-']) {
        kinds &= !taint::SQL;
    }
    if has(&['.', '+']) {
        kinds &= !taint::REGEX;
    }
    if has(&[':', '=']) {
        kinds &= !taint::HTML;
    }
    Some(kinds)
}

/// The scalar a type holds: its own name, or its elements' for a
/// reference, slice, array, `Vec`, `Option` or `Box` of one (`&[i64]`).
fn scalar_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => scalar_name(&r.elem),
        syn::Type::Slice(s) => scalar_name(&s.elem),
        syn::Type::Array(a) => scalar_name(&a.elem),
        syn::Type::Paren(p) => scalar_name(&p.elem),
        syn::Type::Path(tp) => {
            let last = tp.path.segments.last()?;
            match (last.ident.to_string().as_str(), &last.arguments) {
                ("Vec" | "Option" | "Box", syn::PathArguments::AngleBracketed(a))
                    if a.args.len() == 1 =>
                {
                    match a.args.first() {
                        Some(syn::GenericArgument::Type(t)) => scalar_name(t),
                        _ => None,
                    }
                }
                (name, syn::PathArguments::None) => Some(name.to_string()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The variable an expression reads through accessors only (`name`,
/// `&name`, `name.as_deref()`), not a part or a transformation of it.
fn accessed_var(e: &Expr) -> Option<String> {
    let (methods, root) = chain(e);
    methods
        .iter()
        .all(|m| {
            m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_str" | "as_ref" | "as_deref" | "as_slice"
                )
        })
        .then(|| var_of(root))
        .flatten()
}

/// [`whole_var`], or the field a check of it reads (`q.file`,
/// `q.file.as_str()`, `&q.file`): that field only (`FnCx::validated` keeps
/// it beside its variable).
fn checked_target(e: &Expr) -> Option<String> {
    let mut current = peel(e);
    while let Expr::MethodCall(m) = current {
        current = peel(&m.receiver);
    }
    match current {
        Expr::Field(_) => field_path(current),
        _ => whole_var(e),
    }
}

/// The variable an expression reads whole (`name`, `&name`,
/// `name.as_str()`), not through a field (`req.file` is not `req`).
fn whole_var(e: &Expr) -> Option<String> {
    let mut current = peel(e);
    loop {
        match current {
            Expr::Field(_) => return None,
            Expr::MethodCall(m) => current = peel(&m.receiver),
            _ => break,
        }
    }
    var_of(e)
}

/// `..` rejected: `p.contains("..")`,
/// `p.components().any(|c| matches!(c, Component::ParentDir))`.
fn rejects_parent(e: &Expr) -> bool {
    let Expr::MethodCall(m) = peel(e) else {
        return false;
    };
    match m.method.to_string().as_str() {
        "contains" => m.args.first().and_then(lit_str).is_some_and(|s| s == ".."),
        "any" => path_rejection(e).is_some(),
        _ => false,
    }
}

/// What `e`, true, tells of `param`: the taint kinds an acceptance test
/// rules out (`all_accepted`, either side of `&&`), and whether `..` and
/// an absolute path are rejected (negated `path_rejection`s). A path is
/// ruled out by both rejections together: `!p.contains("..")` alone lets
/// `/etc/shadow` through (red team rt49).
fn accepts_parts(e: &Expr, param: &str) -> (u16, bool, bool) {
    match peel(e) {
        Expr::MethodCall(m) if m.method == "all" => {
            let kinds = all_accepted(m)
                .filter(|(v, _)| v == param)
                .map_or(0, |(_, kinds)| kinds);
            // A character class without `/` or `\\` (and no range that
            // could hold one) lets no root or separator through: beside a
            // `..` rejection, a plain file name.
            let text = m
                .args
                .first()
                .map(|a| quote::ToTokens::to_token_stream(a).to_string())
                .unwrap_or_default();
            let no_separator =
                kinds != 0 && !text.contains('/') && !text.contains('\\') && !text.contains("..");
            (kinds, false, no_separator)
        }
        Expr::Unary(u)
            if matches!(u.op, syn::UnOp::Not(_))
                && path_rejection(&u.expr).as_deref() == Some(param) =>
        {
            let parent = rejects_parent(&u.expr);
            (0, parent, !parent)
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            let (l, r) = (
                accepts_parts(&b.left, param),
                accepts_parts(&b.right, param),
            );
            (l.0 | r.0, l.1 || r.1, l.2 || r.2)
        }
        // `n <= MAX_FRAME`, `MAX > n`: true only for a size bounded by a
        // constant (not another parameter, red team rt79, nor `usize::MAX`).
        Expr::Binary(b)
            if (matches!(b.op, syn::BinOp::Le(_) | syn::BinOp::Lt(_))
                && var_of(uncast_expr(&b.left)).as_deref() == Some(param)
                && is_fixed_bound(&b.right))
                || (matches!(b.op, syn::BinOp::Ge(_) | syn::BinOp::Gt(_))
                    && var_of(uncast_expr(&b.right)).as_deref() == Some(param)
                    && is_fixed_bound(&b.left)) =>
        {
            (ALLOC, false, false)
        }
        _ => (0, false, false),
    }
}

/// A bound written in the source: an integer literal, or a constant named
/// in capitals (`MAX_FRAME`, `Self::MAX_LEN`) other than a primitive's
/// own `MAX`.
fn is_fixed_bound(e: &Expr) -> bool {
    match uncast_expr(e) {
        Expr::Lit(l) => matches!(l.lit, syn::Lit::Int(_)),
        Expr::Path(p) => {
            let segs = path_idents(&p.path);
            let primitive = segs.len() == 2 && is_numeric_type_name(&segs[0]);
            !primitive
                && segs.last().is_some_and(|n| {
                    n.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                        && n.chars().any(|c| c.is_ascii_uppercase())
                })
        }
        _ => false,
    }
}

/// `n as u64` -> `n`.
fn uncast_expr(e: &Expr) -> &Expr {
    match peel(e) {
        Expr::Cast(c) => uncast_expr(&c.expr),
        other => other,
    }
}

/// The taint kinds that `e`, true, rules out for `param`.
fn accepts(e: &Expr, param: &str) -> u16 {
    let (kinds, parent, root) = accepts_parts(e, param);
    if parent && root {
        kinds | PATH
    } else {
        kinds
    }
}

/// `EmailAddress::is_valid`, `Url::..`: a validator of an e-mail address
/// or URL type, by its type's name.
fn is_email_or_url_type(path: &syn::Path) -> bool {
    path.segments.iter().rev().nth(1).is_some_and(|s| {
        let t = s.ident.to_string().to_ascii_lowercase();
        t.contains("email") || t.contains("mail") || t.contains("url") || t.contains("uri")
    })
}

/// `url.host_str()?`, `url.host_str().unwrap_or_default()`, `url.host()`,
/// `url.domain()`: the URL variable whose host this is.
fn host_of(e: &Expr) -> Option<String> {
    let (methods, root) = chain(e);
    // Outermost first: the host accessor is the innermost call.
    let (inner, rest) = methods.split_last()?;
    let host = matches!(
        inner.method.to_string().as_str(),
        "host_str" | "host" | "domain"
    );
    let plain = rest.iter().all(|m| {
        matches!(
            m.method.to_string().as_str(),
            "unwrap"
                | "unwrap_or"
                | "unwrap_or_default"
                | "expect"
                | "ok_or"
                | "ok_or_else"
                | "to_string"
                | "to_owned"
                | "to_lowercase"
                | "to_ascii_lowercase"
        )
    });
    if host && plain {
        whole_var(root)
    } else {
        None
    }
}

/// Does this expression read a presented credential: an `Authorization`
/// header, a bearer token, a credential or secret by name
/// (`bearer_from(meta)`, `headers.get("authorization")`,
/// `auth.strip_prefix("Bearer ")`)? Not a lexer's, a page's or a
/// cancellation's token (red team rt78).
fn reads_credential(e: &Expr) -> bool {
    let text = quote::ToTokens::to_token_stream(e)
        .to_string()
        .to_ascii_lowercase();
    [
        "bearer",
        "authorization",
        "auth_header",
        "credential",
        "secret",
        "password",
        "api_key",
        "x-api-key",
        "jwt",
        "jsonwebtoken",
    ]
    .iter()
    .any(|w| text.contains(w))
        || reads_env_token(e)
}

/// `env::var("DEPLOY_TOKEN")`, `std::env::var("GITHUB_TOKEN")?`: a token
/// the operator configured, read from the environment.
fn reads_env_token(e: &Expr) -> bool {
    let (_, root) = chain(e);
    let root = match peel(root) {
        Expr::Try(t) => chain(&t.expr).1,
        other => other,
    };
    matches!(peel(root), Expr::Call(c) if matches!(&*c.func, Expr::Path(p)
    if last_ident(&p.path) == "var" && p.path.segments.iter().any(|s| s.ident == "env"))
    && c.args.first().and_then(lit_str).is_some_and(|name| {
        crate::patterns::ident_words(&name).iter().any(|w| w == "token")
    }))
}

/// [`FileAnalyzer::validator_fns`]: functions and methods returning `bool`
/// whose last expression accepts one of their parameters.
pub(crate) fn collect_validators(file: &syn::File, out: &mut HashMap<String, Vec<(usize, u16)>>) {
    struct Validators<'o> {
        out: &'o mut HashMap<String, Vec<(usize, u16)>>,
        /// Every function name met, and whether it was met twice.
        seen: HashMap<String, bool>,
    }
    impl Validators<'_> {
        fn function(&mut self, sig: &syn::Signature, block: &syn::Block) {
            let name = sig.ident.to_string();
            if let Some(twice) = self.seen.get_mut(&name) {
                // Which one a call means is not known: it validates nothing.
                *twice = true;
                self.out.insert(name, Vec::new());
                return;
            }
            self.seen.insert(name.clone(), false);
            let returns_bool = matches!(&sig.output, syn::ReturnType::Type(_, t)
                if matches!(&**t, syn::Type::Path(p) if p.path.is_ident("bool")));
            // One expression, nothing before it: no early `return true`,
            // no parameter shadowed (red team rt48).
            let tail = match block.stmts.as_slice() {
                [syn::Stmt::Expr(tail, None)] if returns_bool => Some(tail),
                _ => None,
            };
            let Some(tail) = tail else {
                self.out.insert(name, Vec::new());
                return;
            };
            let params = sig.inputs.iter().filter_map(|input| match input {
                syn::FnArg::Typed(pt) => Some(pt),
                syn::FnArg::Receiver(_) => None,
            });
            let accepted: Vec<(usize, u16)> = params
                .enumerate()
                .filter_map(|(i, pt)| match strip_pat_type(&pt.pat) {
                    Pat::Ident(pi) => {
                        Some((i, accepts(tail, &pi.ident.to_string()))).filter(|(_, k)| *k != 0)
                    }
                    _ => None,
                })
                .collect();
            // Every function of the file is recorded: one that is not a
            // validator (an empty list) is read from its body, not its
            // name (`is_valid_name` allowing quotes validates nothing).
            self.out.insert(name, accepted);
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Validators<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.function(&f.sig, &f.block);
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.function(&f.sig, &f.block);
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    // Names already read in another chunk of the file count as met.
    let seen = out.keys().map(|k| (k.clone(), false)).collect();
    syn::visit::Visit::visit_file(&mut Validators { out, seen }, file);
}

/// [`FileAnalyzer::result_validators`]: functions and methods returning a
/// `Result` whose body is only rejections then `Ok(..)`: `if n > MAX {
/// return Err(..); }`, `ensure!(n <= MAX, ..)`, `if p.contains("..") ||
/// p.starts_with('/') { bail!(..) }`. Anything else before the `Ok` (a
/// `let` that could shadow a parameter, an `if` that could return `Ok`)
/// and the function validates nothing; a name defined twice neither.
pub(crate) fn collect_result_validators(
    file: &syn::File,
    out: &mut HashMap<String, Vec<(usize, u16)>>,
) {
    struct Validators<'o> {
        out: &'o mut HashMap<String, Vec<(usize, u16)>>,
        seen: crate::HashSet<String>,
    }
    impl Validators<'_> {
        fn function(&mut self, sig: &syn::Signature, block: &syn::Block) {
            let name = sig.ident.to_string();
            if !self.seen.insert(name.clone()) {
                self.out.insert(name, Vec::new());
                return;
            }
            let returns_result = matches!(&sig.output, syn::ReturnType::Type(_, t)
                if matches!(&**t, syn::Type::Path(p) if last_ident(&p.path) == "Result"));
            let Some((tail, checks)) = block.stmts.split_last() else {
                return;
            };
            let ok_tail = matches!(tail, syn::Stmt::Expr(Expr::Call(c), None)
                if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Ok")));
            // Every name is listed (a validator is known by its name: one
            // the file gives two functions validates nothing).
            self.out.insert(name.clone(), Vec::new());
            if !returns_result || !ok_tail || checks.is_empty() {
                return;
            }
            // Each statement: what it rules out, per parameter name.
            let mut tests: Vec<(std::borrow::Cow<'_, Expr>, bool)> = Vec::new();
            for stmt in checks {
                match stmt {
                    syn::Stmt::Expr(Expr::If(i), _)
                        if i.else_branch.is_none() && rejects_with_err(&i.then_branch) =>
                    {
                        tests.push((std::borrow::Cow::Borrowed(&*i.cond), false));
                    }
                    syn::Stmt::Macro(m) if last_ident(&m.mac.path) == "ensure" => {
                        let args = crate::macros::parse_args(&m.mac.tokens);
                        let Some(first) = args.first() else { return };
                        tests.push((std::borrow::Cow::Owned(first.expr.clone()), true));
                    }
                    _ => return,
                }
            }
            let params = sig.inputs.iter().filter_map(|input| match input {
                syn::FnArg::Typed(pt) => Some(pt),
                syn::FnArg::Receiver(_) => None,
            });
            let checked: Vec<(usize, u16)> = params
                .enumerate()
                .filter_map(|(i, pt)| match strip_pat_type(&pt.pat) {
                    Pat::Ident(pi) if pi.mutability.is_none() => {
                        let name = pi.ident.to_string();
                        let kinds = tests.iter().fold(0, |k, (test, accepting)| {
                            k | if *accepting {
                                accepts(test, &name)
                            } else {
                                rejects(test, &name)
                            }
                        });
                        (kinds != 0).then_some((i, kinds))
                    }
                    _ => None,
                })
                .collect();
            if !checked.is_empty() {
                self.out.insert(name, checked);
            }
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Validators<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.function(&f.sig, &f.block);
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.function(&f.sig, &f.block);
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    let seen = out.keys().cloned().collect();
    syn::visit::Visit::visit_file(&mut Validators { out, seen }, file);
}

/// A block that leaves with an error and only so: its last statement is
/// `return Err(..)` (`.into()` allowed) or `bail!(..)`, and it mentions no
/// `Ok` (no way out that accepts).
fn rejects_with_err(block: &syn::Block) -> bool {
    let text = quote::ToTokens::to_token_stream(block).to_string();
    if text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "Ok")
    {
        return false;
    }
    let is_err = |e: &Expr| {
        let (_, root) = chain(e);
        matches!(peel(root), Expr::Call(c)
            if matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "Err"))
    };
    match block.stmts.last() {
        Some(syn::Stmt::Expr(Expr::Return(r), _)) => r.expr.as_deref().is_some_and(is_err),
        Some(syn::Stmt::Macro(m)) => last_ident(&m.mac.path) == "bail",
        Some(syn::Stmt::Expr(Expr::Macro(m), _)) => last_ident(&m.mac.path) == "bail",
        _ => false,
    }
}

/// What `e`, true, rejects of `param` (the code after `if e { return
/// Err(..) }` may assume it false): a size over a fixed bound, or a path
/// with `..` and one that is absolute, either side of `||`.
fn rejects(e: &Expr, param: &str) -> u16 {
    fn parts(e: &Expr, param: &str) -> (u16, bool, bool) {
        match peel(e) {
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) => {
                let (l, r) = (parts(&b.left, param), parts(&b.right, param));
                (l.0 | r.0, l.1 || r.1, l.2 || r.2)
            }
            Expr::Binary(b)
                if (matches!(b.op, syn::BinOp::Gt(_) | syn::BinOp::Ge(_))
                    && var_of(uncast_expr(&b.left)).as_deref() == Some(param)
                    && is_fixed_bound(&b.right))
                    || (matches!(b.op, syn::BinOp::Lt(_) | syn::BinOp::Le(_))
                        && var_of(uncast_expr(&b.right)).as_deref() == Some(param)
                        && is_fixed_bound(&b.left)) =>
            {
                (ALLOC, false, false)
            }
            other if path_rejection(other).as_deref() == Some(param) => {
                let parent = rejects_parent(other);
                (0, parent, !parent)
            }
            _ => (0, false, false),
        }
    }
    let (kinds, parent, root) = parts(e, param);
    if parent && root {
        kinds | PATH
    } else {
        kinds
    }
}

/// `p.contains("..")`, `p.starts_with('/')`, `p.is_absolute()`: a test that
/// is true for a path that escapes a base directory; the tested variable.
fn path_rejection(cond: &Expr) -> Option<String> {
    let Expr::MethodCall(m) = peel(cond) else {
        return None;
    };
    let arg = m.args.first().map(peel);
    let bad = match m.method.to_string().as_str() {
        "contains" => arg.and_then(lit_str).is_some_and(|s| s.contains("..")),
        "starts_with" => {
            arg.and_then(lit_str).is_some_and(|s| s == "/" || s == "\\")
                || matches!(arg, Some(Expr::Lit(syn::ExprLit { lit: syn::Lit::Char(c), .. })) if c.value() == '/')
        }
        "is_absolute" | "has_root" => true,
        // `p.components().any(|c| matches!(c, Component::ParentDir))`
        "any" => {
            let (methods, _) = chain(&m.receiver);
            methods.first().is_some_and(|c| c.method == "components")
                && m.args.first().is_some_and(|a| {
                    quote::ToTokens::to_token_stream(a)
                        .to_string()
                        .contains("ParentDir")
                })
        }
        _ => false,
    };
    if !bad {
        return None;
    }
    // `req.name.contains("..")` checks that field, not all of `req`
    // (red team rt81: `req.folder` went unchecked).
    let (_, root) = chain(&m.receiver);
    field_path(root).or_else(|| var_of(&m.receiver).or_else(|| var_of(root)))
}

/// `x == "lit"`, `x.host_str() != Some("lit")`, `"lit" == x`: the variable
/// compared with a literal (through accessor methods), if any.
fn compared_with_literal(left: &Expr, right: &Expr) -> Option<String> {
    let is_literal = |e: &Expr| match peel(e) {
        Expr::Lit(_) => true,
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Some"))
                && c.args
                    .first()
                    .is_some_and(|a| matches!(peel(a), Expr::Lit(_)))
        }
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            s.ident
                .to_string()
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_')
        }),
        _ => false,
    };
    // A URL's scheme or port compared says nothing of its host. (A field
    // compared cleans that field only, `compared_checks`.)
    for (side, other) in [(left, right), (right, left)] {
        if is_literal(other) {
            if let Some(v) = checked_subject(side) {
                return Some(v);
            }
        }
    }
    None
}

/// What a test of `e` checks: a field (`q.kind`, `q.kind.as_str()`, as a
/// path `q.kind`: that field only, red team rt84) or a variable (`host`,
/// `url.host_str()`), through accessors that keep the value's text.
fn checked_subject(e: &Expr) -> Option<String> {
    let (methods, root) = chain(e);
    let accessors = methods.iter().all(|m| {
        m.args.is_empty()
            && matches!(
                m.method.to_string().as_str(),
                "host_str"
                    | "host"
                    | "domain"
                    | "as_str"
                    | "as_deref"
                    | "as_ref"
                    | "to_lowercase"
                    | "to_ascii_lowercase"
                    | "to_uppercase"
                    | "to_ascii_uppercase"
                    | "trim"
            )
    });
    if !accessors {
        return None;
    }
    field_path(root).or_else(|| var_of(root))
}

/// What comparing with a literal checks ([`compared_with_literal`]): the
/// variable's text, and its size; a field's size only (`hdr.magic !=
/// MAGIC` bounds no other field of `hdr`).
fn compared_checks(left: &Expr, right: &Expr) -> Vec<(String, u16)> {
    let Some(v) = compared_with_literal(left, right) else {
        return Vec::new();
    };
    // `v` is the field compared (`q.kind`) or a variable.
    let field = v.contains('.').then(|| v.clone());
    // A flag or a number compared (`q.archived == Some(true)`, `q.page ==
    // 1`) says nothing of the value's text fields (blind set n): only that
    // field is checked.
    let scalar = |e: &Expr| {
        let e = match peel(e) {
            Expr::Call(c)
                if matches!(&*c.func, Expr::Path(p) if p.path.is_ident("Some"))
                    && c.args.len() == 1 =>
            {
                &c.args[0]
            }
            other => other,
        };
        matches!(peel(e), Expr::Lit(l) if matches!(l.lit, syn::Lit::Bool(_) | syn::Lit::Int(_) | syn::Lit::Float(_)))
    };
    // A field compared checks that field only (red team rt83: `if
    // q.format != "pdf" { return }` said nothing of `q.file`).
    match field {
        Some(path) if scalar(left) || scalar(right) => vec![(path, INJECTION | ALLOC | EXACT)],
        Some(path) => vec![(path, INJECTION | ALLOC | EXACT)],
        None => vec![(v, INJECTION | ALLOC | EXACT)],
    }
}

/// `x != A && x != B && ...`, every conjunct comparing the same variable
/// with a literal: that variable.
impl FileAnalyzer<'_> {
    /// `names.iter().all(|n| is_plain(n))`: every item of a list passed
    /// the closure's check (a validator of the file, or a test the guards
    /// read), so the list (a variable or a field) holds only such items.
    fn every_item_checked(&self, cx: &FnCx, m: &syn::ExprMethodCall) -> Option<(String, u16)> {
        let (methods, root) = chain(&m.receiver);
        let [first] = methods.as_slice() else {
            return None;
        };
        if !matches!(first.method.to_string().as_str(), "iter" | "into_iter") {
            return None;
        }
        let Some(Expr::Closure(test)) = m.args.first().map(peel) else {
            return None;
        };
        let param = test.inputs.first().and_then(FileAnalyzer::pat_name)?;
        let mut inner = Vec::new();
        if self.guards(cx, &test.body, &mut inner) {
            return None;
        }
        let kinds = inner
            .iter()
            .filter(|(v, _)| *v == param)
            .fold(0, |all, (_, k)| all | k)
            & !EXACT;
        (kinds != 0).then(|| checked_target(root).map(|v| (v, kinds)))?
    }

    /// `check_len(n)?`, `self.check_name(&name).map_err(..)?`: a result
    /// validator of the file (`result_validators`) returned `Ok`, so its
    /// checked arguments are safe for the rest of the block, as after
    /// `if n > MAX { return Err(..) }` written in place.
    fn validated_by_try(&self, cx: &mut FnCx, mut e: &Expr) {
        while let Expr::MethodCall(m) = peel(e) {
            if !matches!(
                m.method.to_string().as_str(),
                "map_err" | "context" | "with_context" | "wrap_err" | "wrap_err_with"
            ) {
                break;
            }
            e = &m.receiver;
        }
        let (name, args) = match peel(e) {
            // `check(n)`, `Self::check(n)`: the file's own (not another
            // module's function of the same name).
            Expr::Call(c) => match &*c.func {
                Expr::Path(p)
                    if p.path.segments.len() == 1
                        || (p.path.segments.len() == 2 && p.path.segments[0].ident == "Self") =>
                {
                    (last_ident(&p.path), &c.args)
                }
                _ => return,
            },
            Expr::MethodCall(m) if matches!(peel(&m.receiver), Expr::Path(p) if p.path.is_ident("self")) => {
                (m.method.to_string(), &m.args)
            }
            _ => return,
        };
        let Some(positions) = self.result_validators.get(&name) else {
            return;
        };
        let guards: Vec<(String, u16)> = positions
            .iter()
            .filter_map(|&(i, kinds)| Some((args.iter().nth(i).and_then(whole_var)?, kinds)))
            .collect();
        if guards.is_empty() {
            return;
        }
        let saved = cx.validated(&guards);
        if let Some(frame) = cx.guard_frames.last_mut() {
            frame.extend(saved);
        }
    }

    /// A call of a function of the file (`validator_fns`): pushes the
    /// arguments its body validates, with the kinds ruled out; `false` for
    /// a function the file does not define.
    fn validator_call(
        &self,
        name: &str,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
        out: &mut Vec<(String, u16)>,
    ) -> bool {
        let Some(positions) = self.validator_fns.get(name) else {
            return false;
        };
        for &(i, kinds) in positions {
            if let Some(v) = args.iter().nth(i).and_then(checked_target) {
                out.push((v, kinds));
            }
        }
        true
    }

    /// A list, clearly: an array or `vec![..]` written here, or a name the
    /// file declares as one (`HOSTS: &[&str]`, `[&str; 3]`, `Vec<..>`,
    /// `HashSet<..>`, `BTreeSet<..>`, `phf::Set`). Anything else (a local
    /// from `env::var`, a `Lazy<String>`, a type declared in another file)
    /// may be text, whose `contains` is a substring test (red team rt50).
    pub(crate) fn is_list(&self, e: &Expr) -> bool {
        match peel(e) {
            Expr::Array(_) => true,
            Expr::Macro(m) => last_ident(&m.mac.path) == "vec",
            other => {
                let name = match other {
                    Expr::Path(p) => last_ident(&p.path),
                    Expr::Field(f) => match &f.member {
                        syn::Member::Named(n) => n.to_string(),
                        syn::Member::Unnamed(_) => return false,
                    },
                    _ => return false,
                };
                [
                    "&[",
                    "[",
                    "Vec<",
                    "HashSet<",
                    "BTreeSet<",
                    "phf::Set<",
                    "&'static [",
                ]
                .iter()
                .any(|t| self.source.contains(&format!("{name}: {t}")))
            }
        }
    }

    /// A list written here with an element that is not a literal
    /// (`vec![other.as_str(), "user"]`, `[a, b]`).
    pub(crate) fn is_dynamic_list(&mut self, e: &Expr) -> bool {
        match peel(e) {
            Expr::Macro(m) if last_ident(&m.mac.path) == "vec" => matches!(
                self.macro_bodies.vec_body(&m.mac).as_deref(),
                Some(Expr::Array(a)) if is_dynamic_array(a)
            ),
            other => matches!(other, Expr::Array(a) if is_dynamic_array(a)),
        }
    }
}

fn is_dynamic_array(a: &syn::ExprArray) -> bool {
    a.elems.iter().any(|e| !matches!(peel(e), Expr::Lit(_)))
}

/// `x == "a" || x == "b"`: the one variable every disjunct compares with
/// a literal (true only when it is one of them).
fn all_eq_literal(cond: &Expr) -> Option<String> {
    match peel(cond) {
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) => {
            let left = all_eq_literal(&b.left)?;
            (all_eq_literal(&b.right)? == left).then_some(left)
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => {
            compared_with_literal(&b.left, &b.right)
        }
        _ => None,
    }
}

fn all_ne_literal(cond: &Expr) -> Option<String> {
    match peel(cond) {
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            let left = all_ne_literal(&b.left)?;
            (all_ne_literal(&b.right)? == left).then_some(left)
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Ne(_)) => {
            compared_with_literal(&b.left, &b.right)
        }
        _ => None,
    }
}

/// A closure `|h| *h == host` (or `host == h`, `h.eq(&host)`): the
/// captured variable it compares its parameter with.
fn closure_compares_var(arg: &Expr) -> Option<String> {
    let Expr::Closure(c) = peel(arg) else {
        return None;
    };
    let params: Vec<String> = c.inputs.iter().filter_map(FileAnalyzer::pat_name).collect();
    let other = |a: &Expr, b: &Expr| -> Option<String> {
        let (va, vb) = (var_of(a)?, var_of(b)?);
        match (params.contains(&va), params.contains(&vb)) {
            (true, false) => Some(vb),
            (false, true) => Some(va),
            _ => None,
        }
    };
    match peel(&c.body) {
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => other(&b.left, &b.right),
        Expr::MethodCall(m) if m.method == "eq" => other(&m.receiver, m.args.first()?),
        _ => None,
    }
}

/// A size comparison against a bound: `n > MAX` (true: it rejects large
/// values, so `n` is bounded after a diverging branch) or `n <= MAX`
/// (false: bounded inside the branch).
fn size_bound(cond: &Expr) -> Option<(String, bool)> {
    let Expr::Binary(b) = peel(cond) else {
        return None;
    };
    let bound = |e: &Expr| !matches!(peel(e), Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) if i.base10_digits() == "0");
    // A field bounds that field (`hdr.len`), not its variable's others. A
    // constant (`MAX < n`) is the bound, never the subject (red team rt76).
    let subject = |e: &Expr| {
        let e = match peel(e) {
            Expr::Cast(c) => &*c.expr,
            other => other,
        };
        field_path(e).or_else(|| {
            var_of(e).filter(|v| {
                !(v.len() > 1
                    && v.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            })
        })
    };
    let (left, right) = (subject(&b.left), subject(&b.right));
    // `v < 2 * v` bounds nothing: the limit must not grow with the value.
    fn names(ts: proc_macro2::TokenStream, v: &str) -> bool {
        ts.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == v,
            proc_macro2::TokenTree::Group(g) => names(g.stream(), v),
            _ => false,
        })
    }
    let other = |v: &String, e: &Expr| {
        let base = v.split_once('.').map_or(v.as_str(), |(base, _)| base);
        !names(quote::ToTokens::to_token_stream(e), base)
    };
    let (left, right) = match (left, right) {
        (Some(l), r) if !other(&l, &b.right) => (None, r),
        (l, Some(r)) if !other(&r, &b.left) => (l, None),
        lr => lr,
    };
    // `max_len < n`, `cfg.max < n`: a name for a limit is the bound, the
    // other side the subject (red team rt77).
    let limit_like = |v: &str| {
        let last = v.rsplit('.').next().unwrap_or(v).to_ascii_lowercase();
        ["max", "limit", "cap", "bound"]
            .iter()
            .any(|w| last.contains(w))
    };
    let (left, right) = match (left, right) {
        (Some(l), Some(r)) if limit_like(&l) && !limit_like(&r) => (None, Some(r)),
        (Some(l), Some(r)) if limit_like(&r) && !limit_like(&l) => (Some(l), None),
        lr => lr,
    };
    match b.op {
        syn::BinOp::Gt(_) | syn::BinOp::Ge(_) => match (left, right) {
            (Some(v), _) if bound(&b.right) => Some((v, true)),
            (_, Some(v)) => Some((v, false)),
            _ => None,
        },
        syn::BinOp::Lt(_) | syn::BinOp::Le(_) => match (left, right) {
            (Some(v), _) => Some((v, false)),
            (_, Some(v)) if bound(&b.left) => Some((v, true)),
            _ => None,
        },
        _ => None,
    }
}

/// `Name` (a type or unit struct) rather than `name` (a variable or function).
fn is_type_like(segment: &str) -> bool {
    segment.chars().next().is_some_and(char::is_uppercase)
}

/// An operand of `+`/`+=` that makes it string concatenation (`String +
/// &str`): a string literal, a reference, `format!`, `to_string()`.
/// Numbers and times are added by value.
fn is_text_operand(e: &Expr) -> bool {
    match e {
        Expr::Paren(p) => is_text_operand(&p.expr),
        Expr::Lit(l) => matches!(l.lit, syn::Lit::Str(_)),
        Expr::Reference(_) => true,
        Expr::Macro(m) => last_ident(&m.mac.path) == "format",
        Expr::MethodCall(m) => matches!(
            m.method.to_string().as_str(),
            "to_string" | "to_owned" | "as_str"
        ),
        _ => false,
    }
}

/// The closure an initialiser binds: written there (`|q| ..`, in a
/// `Box::new` or behind `&`), or held by another local (`let d = c;`,
/// `let d = &c;`), whose calls are then followed like the original's.
fn closure_of(cx: &FnCx, init: &Expr) -> Option<std::rc::Rc<syn::ExprClosure>> {
    match peel(init) {
        Expr::Closure(c) => Some(std::rc::Rc::new(c.clone())),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            cx.vars.get(&name)?.closure.clone()
        }
        Expr::Call(call)
            if call.args.len() == 1
                && matches!(peel(&call.func), Expr::Path(f) if f.path.segments.len() >= 2
                    && f.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "Box" || s.ident == "Rc" || s.ident == "Arc")
                    && f.path.segments.last().is_some_and(|s| s.ident == "new")) =>
        {
            closure_of(cx, &call.args[0])
        }
        _ => None,
    }
}

/// The secret a function's tail expression returns (`format!("Bearer
/// {}", self.token)`, `Ok(password)`), by name.
fn returned_secret(cx: &FnCx, block: &syn::Block) -> Option<String> {
    let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() else {
        return None;
    };
    let tail = match peel(tail) {
        Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            Expr::Path(p) if matches!(last_ident(&p.path).as_str(), "Ok" | "Some") => &c.args[0],
            _ => tail,
        },
        _ => tail,
    };
    // A parameter handed back (`fn or_empty(password: Option<&str>)`)
    // is whatever the caller gave, not this name's secret; a masker
    // (`redact`, `mask`, `hint`) returns something safe to show.
    // (Unless something else is put into it: `url.replacen("https://",
    // &with_token, 1)`.)
    let (_, root) = chain(peel(tail));
    if var_of(root).and_then(|v| cx.vars.get(&v)).is_some_and(|v| {
        v.param && crate::checks::secret_source(cx, root) == crate::checks::secret_source(cx, tail)
    }) {
        return None;
    }
    let words = ident_words(&cx.name);
    if words.iter().any(|w| {
        matches!(
            w.as_str(),
            "redact"
                | "redacted"
                | "mask"
                | "masked"
                | "hint"
                | "hash"
                | "hashed"
                | "encrypt"
                | "obfuscate"
                | "truncate"
                | "preview"
                | "fingerprint"
        )
    }) {
        return None;
    }
    crate::checks::secret_source(cx, tail).filter(|name| crate::patterns::is_secret_name(name))
}

/// A function that makes a token for someone to present later, by its name
/// and its text result: `fn reset_token(user, email) -> String`,
/// `issue_session_token`, `generate_api_token`. Its result is a bearer
/// credential however it is made (a hash of the user and the time is one
/// still). A lexer's `next_token` or `parse_token` is not one.
fn made_token(sig: &syn::Signature) -> Option<String> {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    // `String`, `&str`, `Result<String, _>`, `Option<String>`.
    let text = match &**ty {
        syn::Type::Path(tp) => tp.path.segments.last().is_some_and(|s| {
            s.ident == "String"
                || (matches!(s.ident.to_string().as_str(), "Result" | "Option")
                    && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                        if matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_text_type(t))))
        }),
        other => is_text_type(other),
    };
    if !text {
        return None;
    }
    let name = sig.ident.to_string();
    let words = ident_words(&name);
    let token = words.iter().any(|w| w == "token");
    // Whose token: a verb alone (`generate_token`, `random_token`) may be
    // a tokenizer's or a sampler's.
    let made = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "issue"
                | "mint"
                | "reset"
                | "session"
                | "access"
                | "refresh"
                | "auth"
                | "bearer"
                | "api"
                | "csrf"
                | "invite"
                | "verification"
                | "magic"
                | "login"
        )
    });
    (token && made).then_some(name)
}

impl FileAnalyzer<'_> {
    /// The secret a call's result holds by its function's summary
    /// (`let header = self.auth_header();`, `connection_string(&db)?`).
    pub(crate) fn call_secret(&mut self, cx: &FnCx, e: &Expr) -> Option<String> {
        // Called for every binding and logged argument: nothing to find
        // in a file with no secret-returning function and no type with a
        // secret field (most files).
        if !self.ret_secrets && self.secret_debug_types.is_empty() {
            return None;
        }
        match peel(e) {
            Expr::Try(t) => self.call_secret(cx, &t.expr),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "unwrap" | "expect" | "unwrap_or_default" | "clone" | "to_string"
                ) =>
            {
                self.call_secret(cx, &m.receiver)
            }
            // Only `self.m()`: a method is looked up by its name, and
            // another type's `get` or `as_str` is not this one's.
            Expr::MethodCall(m) if var_of(&m.receiver).as_deref() == Some("self") => {
                let key = self.summary_key(cx, &m.method.to_string(), true)?;
                self.summaries.get(&key)?.ret_secret.clone()
            }
            // Another value's method, when the value's type is known to be
            // the one whose method it is (`let settings =
            // Settings::from_env(); settings.database_url()`).
            // Or a method named for the secret it returns
            // (`issuer.reset_token(user_id)`), whatever the value's type.
            Expr::MethodCall(m) => {
                let method = m.method.to_string();
                // `toml::to_string(&profile).map_err(..)?`.
                if matches!(method.as_str(), "map_err" | "context" | "with_context") {
                    return crate::checks::serialized_secret_field(self, cx, e);
                }
                let key = self.summary_key(cx, &method, true)?;
                if !crate::patterns::is_secret_name(&method) {
                    let ty = self.receiver_type(cx, &m.receiver)?;
                    let (owner, _) = key.rsplit_once("::")?;
                    if crate::patterns::last_segment(&ty) != crate::patterns::last_segment(owner) {
                        return None;
                    }
                }
                self.summaries.get(&key)?.ret_secret.clone()
            }
            Expr::Call(c) => {
                // `let text = toml::to_string(&settings)?;`: the text holds
                // the settings' secret field.
                if let Some(field) = crate::checks::serialized_secret_field(self, cx, e) {
                    return Some(field);
                }
                // A free function or `Self::f`: `String::from(..)` may
                // resolve to a `From` impl of the file for another type.
                let Expr::Path(p) = &*c.func else { return None };
                let segments = p.path.segments.len();
                if segments > 2 || (segments == 2 && p.path.segments[0].ident != "Self") {
                    return None;
                }
                let callee = self.imports.resolve(&p.path);
                let key = self.summary_key(cx, &callee, false)?;
                self.summaries.get(&key)?.ret_secret.clone()
            }
            _ => None,
        }
    }
}

/// A parameter type that can carry a warp filter's request text: not a
/// number or a `bool` (a filter that parsed one rejected anything else).
fn warp_request_type(ty: &syn::Type) -> bool {
    let inner = match ty {
        syn::Type::Reference(r) => &*r.elem,
        other => other,
    };
    let syn::Type::Path(tp) = inner else {
        return false;
    };
    !tp.path.segments.last().is_some_and(|s| {
        let name = s.ident.to_string();
        is_numeric_type_name(&name)
            || matches!(name.as_str(), "bool" | "char" | "Method" | "SocketAddr")
    })
}

/// The payload type of a web framework's request extractor
/// (`Form<LoginForm>`, `web::Json<Order>`, `Query<Params>`), a path.
fn extractor_payload(ty: &syn::Type) -> Option<&syn::Path> {
    let syn::Type::Path(tp) = ty else {
        return None;
    };
    let last = tp.path.segments.last()?;
    if !is_extractor(&last.ident.to_string()) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(syn::Type::Path(inner))] => Some(&inner.path),
        _ => None,
    }
}

/// A request extractor wrapping its payload (axum, actix-web).
fn is_extractor(name: &str) -> bool {
    matches!(
        name,
        "Form" | "Json" | "Query" | "Path" | "Extension" | "Data" | "Valid"
    )
}

/// The patterns of a `matches!(subject, ..)` are literals joined by `|`,
/// with no guard.
fn literal_patterns(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let mut after_comma = false;
    let mut any = false;
    for t in tokens.clone() {
        if !after_comma {
            if matches!(&t, TokenTree::Punct(p) if p.as_char() == ',') {
                after_comma = true;
            }
            continue;
        }
        match t {
            TokenTree::Literal(_) => any = true,
            TokenTree::Punct(p) if p.as_char() == '|' => {}
            // A trailing comma.
            TokenTree::Punct(p) if p.as_char() == ',' => {}
            _ => return false,
        }
    }
    any
}
