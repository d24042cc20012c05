//! Calls and method calls: sources, sanitisers, what a call returns, and
//! the hooks every check sees at a call.

use super::*;
use crate::checks::CHECKS;
use crate::checks::{Call, Method};

impl FileAnalyzer<'_> {
    pub(crate) fn eval_call(&mut self, cx: &mut FnCx, c: &syn::ExprCall) -> Taint {
        let callee = match &*c.func {
            Expr::Path(p) => Some(self.imports.resolve(&p.path)),
            _ => None,
        };
        self.eval(cx, &c.func);
        let args = self.eval_args(cx, &c.args, Taint::CLEAN);
        let default = taint::union_all(args.iter().copied());
        let Some(callee) = callee else {
            return default;
        };
        if let Some(t) = self.call_closure(cx, c, &args) {
            return t;
        }
        let last = crate::patterns::last_segment(&callee);
        if is_decoder(&callee) {
            return default.decoded();
        }
        let call = Call {
            expr: c,
            callee: &callee,
            last,
            args: &args,
        };
        for check in CHECKS {
            check.call(self, cx, &call);
        }

        // `getrandom::fill(&mut buf)`, `aws_lc_rs::rand::fill(&mut buf)`.
        if matches!(last, "fill" | "getrandom" | "fill_bytes")
            && callee
                .split("::")
                .any(|s| matches!(s, "getrandom" | "rand"))
        {
            mark_random(cx, c.args.first());
        }
        // A number decoded from bytes (`u32::from_be_bytes(header)`,
        // byteorder's `BigEndian::read_u32(&buf)`): in parsers, a length
        // prefix chosen by whoever wrote the input (not bytes written in
        // the source, nor bytes a generator filled).
        let byte_order = callee.rsplit("::").nth(1).is_some_and(|t| {
            matches!(
                t,
                "BigEndian" | "LittleEndian" | "NetworkEndian" | "NativeEndian" | "BE" | "LE"
            )
        });
        let decodes = matches!(last, "from_le_bytes" | "from_be_bytes" | "from_ne_bytes")
            || (byte_order && is_number_read(last));
        if decodes
            && !c.args.first().is_some_and(|a| {
                self.is_literal_material(a) || FileAnalyzer::is_random_bytes(cx, a)
            })
        {
            let line = start_of(leftmost_span(&c.func)).0;
            let source = cx.add_source(
                format!("a number decoded from input bytes (`{}`)", short(&callee)),
                line,
            );
            return source.only(ALLOC).union(default.only(ALLOC));
        }
        // Sources (all local: the operator controls them).
        if is_argument_parser(&callee, last, c.args.len())
            && ["clap", "structopt", "argh", "pico_args", "Parser"]
                .iter()
                .any(|k| self.source.contains(k))
            && !self.summaries.contains_key(callee.as_str())
        {
            // A command-line tool opening, fetching, logging, matching or
            // sizing what its operator named is its job (examples and
            // test harnesses in the registry: 26 such reports, none a
            // vulnerability); text pasted into SQL or a shell is still an
            // injection. Only where the file names a parser crate, and not
            // when the crate defines the function itself.
            let line = start_of(leftmost_span(&c.func)).0;
            return cx
                .add_local_source(
                    format!("command-line arguments (`{}`)", short(&callee)),
                    line,
                )
                .only(taint::SQL | taint::COMMAND);
        }
        for (path, what) in SOURCE_FNS {
            if path_ends_with(&callee, path) {
                let is_env = callee.starts_with("std::env::var");
                let trusted_env = is_env
                    && (self.build_script
                        || c.args
                            .first()
                            .and_then(lit_str)
                            .is_some_and(|name| is_toolchain_env(&name)));
                if trusted_env {
                    return Taint::CLEAN;
                }
                let line = start_of(leftmost_span(&c.func)).0;
                // Not a path or URL source (see `add_local_source`).
                return cx.add_local_source(format!("{what} (`{}`)", short(&callee)), line);
            }
        }
        // `File::open(path)`: as `OpenOptions::open` (see the methods).
        if ["File::open", "File::create", "File::create_new"]
            .iter()
            .any(|p| path_ends_with(&callee, p))
        {
            return default.without(LOG);
        }
        // `Url::parse_with_params("https://api.example.com/x", &[("q", v)])`:
        // the values go into the query string, the host is the literal's.
        if path_ends_with(&callee, "Url::parse_with_params")
            && c.args
                .first()
                .and_then(lit_str)
                .is_some_and(|base| base.contains("://"))
        {
            return default.without(crate::taint::URL);
        }
        // A digest, or bytes as hex: fixed-size text of hex digits.
        if [
            "md5::compute",
            "Md5::digest",
            "Sha1::digest",
            "Sha256::digest",
            "Sha512::digest",
            "blake3::hash",
            "hex::encode",
            "hex::encode_upper",
        ]
        .iter()
        .any(|p| path_ends_with(&callee, p))
        {
            return Taint::CLEAN;
        }
        // Sanitisers.
        for (path, kinds) in SANITIZER_FNS {
            if path_ends_with(&callee, path) {
                return default.without(*kinds);
            }
        }
        // A layout's size is its first argument (the alignment sizes nothing).
        if [
            "Layout::from_size_align",
            "Layout::from_size_align_unchecked",
        ]
        .iter()
        .any(|p| path_ends_with(&callee, p))
        {
            return args.first().copied().unwrap_or_default();
        }
        // sea-orm's `Statement::from_sql_and_values(backend, sql, values)`:
        // the statement's text is `sql`; the values are bound.
        if matches!(last, "from_sql_and_values" | "from_string")
            && args.len() >= 2
            && callee.contains("Statement")
        {
            return args[1];
        }
        // `clamp(v, lo, hi)`, a free function (the crate's own or a
        // library's): bounded like `min`, whatever its body says.
        if last == "clamp" && args.len() == 3 {
            return args
                .iter()
                .copied()
                .reduce(Taint::intersect)
                .unwrap_or_default();
        }
        if let Some(key) = self.summary_key(cx, &callee, false) {
            let exprs: Vec<&Expr> = c.args.iter().collect();
            crate::checks::logged_through(self, cx, &key, &exprs, leftmost_span(&c.func));
            if let Some(t) = self.apply_summary(cx, &key, &args, leftmost_span(&c.func)) {
                return t;
            }
        }
        // A statement built by a SQL sink (`diesel::sql_query(..)`,
        // `sqlx::query(..)`) was reported there; executing it is not a
        // second injection.
        if CALL_SINKS
            .iter()
            .flat_map(|g| g.iter())
            .any(|s| s.kind == taint::SQL && path_ends_with(&callee, s.path))
        {
            return default.without(taint::SQL);
        }
        if path_ends_with(&callee, "std::cmp::min") || callee == "min" {
            return args
                .iter()
                .copied()
                .reduce(Taint::intersect)
                .unwrap_or_default();
        }
        default
    }

    /// A call of a closure held in a local variable (`run(&name)`): its
    /// body is evaluated again with the parameters bound to the arguments'
    /// taints (captured variables are those of the caller at this point),
    /// and its value is the call's. Nested at most `MAX_CLOSURE_CALLS` deep
    /// and at most `MAX_CLOSURE_EVALS` bodies per function; a tainted call
    /// past either is an `analysis-limit` note (once per function), never
    /// a silent gap (red team rt45: a sink five closures down was hidden).
    fn call_closure(&mut self, cx: &mut FnCx, c: &syn::ExprCall, args: &[Taint]) -> Option<Taint> {
        const MAX_CLOSURE_CALLS: usize = 16;
        const MAX_CLOSURE_EVALS: usize = 4096;
        let Expr::Path(p) = peel(&c.func) else {
            return None;
        };
        if p.qself.is_some() || p.path.segments.len() != 1 {
            return None;
        }
        let name = p.path.segments[0].ident.to_string();
        let var = cx.vars.get(&name)?;
        let closure = var.closure.clone()?;
        if !args.iter().any(|t| t.is_tainted() || t.pkinds != 0) {
            // `let u32_at = |i| u32::from_le_bytes(..)`: what the body
            // gives with untainted parameters, worked out where it was
            // bound.
            return var.taint.is_tainted().then_some(var.taint);
        }
        if cx.closure_calls >= MAX_CLOSURE_CALLS || cx.closure_evals >= MAX_CLOSURE_EVALS {
            if !std::mem::replace(&mut cx.closure_limit_reported, true) {
                self.report(
                    Some(cx),
                    crate::rules::id::ANALYSIS_LIMIT,
                    c.span(),
                    c.span(),
                    format!(
                        "closure `{name}` called with tainted data past the analysis limit ({MAX_CLOSURE_CALLS} nested closure calls, {MAX_CLOSURE_EVALS} evaluated in one function); what it does with them is not checked"
                    ),
                );
            }
            return None;
        }
        cx.closure_evals += 1;
        // Parameters shadow the caller's variables only inside the body.
        let saved = cx.vars.clone();
        for (input, taint) in closure.inputs.iter().zip(args) {
            let var = Var {
                taint: *taint,
                ..Var::default()
            };
            self.bind_pat(cx, input, &var);
        }
        cx.closure_calls += 1;
        let t = self.eval(cx, &closure.body);
        cx.closure_calls -= 1;
        cx.vars = saved;
        Some(t)
    }

    pub(crate) fn receiver_type(&self, cx: &FnCx, recv: &Expr) -> Option<String> {
        let (_, root) = chain(recv);
        match root {
            Expr::Path(_) => var_of(root)
                .and_then(|v| cx.vars.get(&v))
                .and_then(|v| v.ty.clone()),
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => {
                    let callee = self.imports.resolve(&p.path);
                    let mut segments: Vec<&str> = callee.split("::").collect();
                    segments.pop();
                    Some(segments.join("::"))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Is the receiver a local of a type from another crate, not the one
    /// whose method `key` names? Methods are found by name, and
    /// `headers.get(..)` on an `http::HeaderMap` is not the crate's only
    /// `get` (axum: a test client's `get(url)` made every header lookup
    /// a request to the header's value), nor is `names.push(..)` on a
    /// `Vec` a queue's `push`.
    ///
    /// Not foreign: a path into the crate itself (a module the file
    /// declares or names after `crate::`: `resolve` drops that prefix), a
    /// wrapper (`Arc<Runner>`), a type the crate defines methods of (its
    /// own trait on a library type; `Path`'s on a `PathBuf`), and any
    /// receiver of a blanket impl's method (red teams rt46, rt47).
    fn foreign_receiver(&self, cx: &FnCx, recv: &Expr, key: &str) -> bool {
        let Some(var) = (match peel(recv) {
            Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
            _ => None,
        }) else {
            return false;
        };
        if var == "self" {
            return false;
        }
        let Some(ty) = cx.vars.get(&var).and_then(|v| v.ty.as_deref()) else {
            return false;
        };
        let base = ty
            .split('<')
            .next()
            .unwrap_or(ty)
            .trim_start_matches('&')
            .trim();
        let last = crate::patterns::last_segment(base);
        let owner = key.rsplit("::").nth(1).unwrap_or("");
        // A blanket impl's `T` (a generic parameter's name is short).
        let generic_owner = owner.len() <= 2;
        let wrapper = matches!(
            last,
            "Arc"
                | "Rc"
                | "Box"
                | "Cow"
                | "Mutex"
                | "RwLock"
                | "RefCell"
                | "Cell"
                | "Option"
                | "Data"
                | "State"
                | "Extension"
                | "Pin"
                | "Weak"
        );
        if last == owner || generic_owner || wrapper {
            return false;
        }
        let library = match base.split_once("::") {
            Some((root, _)) => !self.imports.is_crate_root(root),
            None => matches!(
                last,
                "Vec"
                    | "String"
                    | "HashMap"
                    | "HashSet"
                    | "BTreeMap"
                    | "BTreeSet"
                    | "VecDeque"
                    | "str"
                    | "PathBuf"
                    | "Path"
            ),
        };
        if !library {
            return false;
        }
        // What the crate defines methods of, also through auto-deref.
        let derefs_to = match last {
            "PathBuf" => Some("Path"),
            "String" => Some("str"),
            "Vec" => Some("[T]"),
            _ => None,
        };
        !self.methods.values().flatten().any(|k| {
            let o = k.rsplit("::").nth(1);
            o == Some(last) || (derefs_to.is_some() && o == derefs_to)
        })
    }

    /// A receiver known to be a map or set (its type, or the type the
    /// file's structs declare for the field it is).
    fn is_map(&self, cx: &FnCx, recv: &Expr) -> bool {
        let is_map = |t: &str| {
            t.split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| {
                    matches!(
                        w,
                        "HashMap" | "BTreeMap" | "IndexMap" | "HashSet" | "BTreeSet" | "IndexSet"
                    )
                })
        };
        self.receiver_type(cx, recv).is_some_and(|t| is_map(&t))
            || self
                .field_receiver_types(cx, recv)
                .iter()
                .any(|t| is_map(t))
    }

    /// The types the file's structs declare for the field a method is
    /// called on (`self.http.get(..)`, `st.client.post(..)`,
    /// `self.ua.as_ref().unwrap().get(..)`); empty for another receiver.
    pub(crate) fn field_receiver_types(&self, cx: &FnCx, recv: &Expr) -> &[String] {
        let (methods, root) = chain(recv);
        let pass_through = methods.iter().all(|m| {
            matches!(
                m.method.to_string().as_str(),
                "as_ref" | "unwrap" | "expect" | "clone" | "borrow" | "deref"
            )
        });
        match root {
            Expr::Field(f) if pass_through => match &f.member {
                // `self.client` in an `impl` of one of the file's structs,
                // `c.client` with `c` of one: exactly that field's type.
                syn::Member::Named(name) if self.base_struct(cx, &f.base).is_some() => {
                    let t = self.base_struct(cx, &f.base).unwrap_or_default();
                    self.struct_fields
                        .get(&format!("{t}.{name}"))
                        .map_or(&[], Vec::as_slice)
                }
                syn::Member::Named(name) => self
                    .field_types
                    .get(&name.to_string())
                    .map_or(&[], Vec::as_slice),
                syn::Member::Unnamed(_) => &[],
            },
            _ => &[],
        }
    }

    /// Where the literal bytes a struct field may hold are written
    /// (`&self.key`, `cfg.key.as_slice()`), per
    /// [`FileAnalyzer::literal_fields`].
    pub(crate) fn literal_field(&self, cx: &FnCx, e: &Expr) -> Option<proc_macro2::Span> {
        if self.literal_fields.is_empty() {
            return None;
        }
        let mut e = peel(e);
        while let Expr::MethodCall(m) = e {
            if !matches!(
                m.method.to_string().as_str(),
                "into" | "as_ref" | "as_slice" | "to_vec" | "clone" | "as_bytes" | "to_owned"
            ) {
                return None;
            }
            e = peel(&m.receiver);
        }
        let Expr::Field(f) = e else {
            return None;
        };
        let syn::Member::Named(name) = &f.member else {
            return None;
        };
        let s = self.base_struct(cx, &f.base)?;
        self.literal_fields.get(&format!("{s}.{name}")).copied()
    }

    /// The file's struct a field's base is of: `self` in its `impl`, or a
    /// variable of its type (`c: &Cfg`).
    pub(crate) fn base_struct(&self, cx: &FnCx, base: &Expr) -> Option<String> {
        let Expr::Path(p) = peel(base) else {
            return None;
        };
        let ty = if p.path.is_ident("self") {
            cx.self_ty.clone()?
        } else {
            cx.vars.get(&p.path.get_ident()?.to_string())?.ty.clone()?
        };
        let name = last_segment(&ty).to_string();
        self.struct_fields
            .keys()
            .any(|k| {
                k.strip_prefix(name.as_str())
                    .is_some_and(|r| r.starts_with('.'))
            })
            .then_some(name)
    }

    pub(crate) fn is_shell_command(&self, cx: &FnCx, recv: &Expr) -> bool {
        let (_, root) = chain(recv);
        match root {
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => {
                    path_ends_with(&self.imports.resolve(&p.path), "Command::new")
                        && c.args
                            .first()
                            .and_then(lit_str)
                            .is_some_and(|prog| SHELLS.contains(&prog.as_str()))
                }
                _ => false,
            },
            other => var_of(other)
                .and_then(|v| cx.vars.get(&v))
                .is_some_and(|v| v.shell),
        }
    }

    /// What a warp filter extracts, in order, as bits (set: request data;
    /// clear: a value the application adds, `warp::any().map(..)` or its
    /// own filter `with_db(db)`); `None` when the chain is not read
    /// (`.or`, more than 64 values).
    pub(crate) fn warp_extracts(&self, filter: &Expr) -> Option<u64> {
        let mut out: Vec<bool> = Vec::new();
        self.warp_extract_into(filter, &mut out)?;
        if out.len() > 64 {
            return None;
        }
        Some(
            out.iter()
                .enumerate()
                .fold(0u64, |bits, (i, r)| if *r { bits | 1 << i } else { bits }),
        )
    }

    fn warp_extract_into(&self, filter: &Expr, into: &mut Vec<bool>) -> Option<()> {
        // This filter's own values (a `.map` inside an `.and(..)` replaces
        // only those: red team rt36).
        let mut out: Vec<bool> = Vec::new();
        let (methods, root) = chain(filter);
        // The root: a `warp::` filter or `warp::path!`.
        let resolved = |p: &syn::Path| {
            if p.segments.len() == 1 {
                self.imports.resolve_ident(&last_ident(p))
            } else {
                self.imports.resolve(p)
            }
        };
        match root {
            Expr::Macro(m) => {
                if !resolved(&m.mac.path).starts_with("warp::") {
                    out.push(false);
                } else {
                    // `path!("a" / String / std::primitive::u32)`: one
                    // value per segment that is not a literal.
                    let mut segment_has_type = false;
                    for tt in m.mac.tokens.clone() {
                        match tt {
                            proc_macro2::TokenTree::Punct(p) if p.as_char() == '/' => {
                                if segment_has_type {
                                    out.push(true);
                                }
                                segment_has_type = false;
                            }
                            proc_macro2::TokenTree::Ident(_) => segment_has_type = true,
                            _ => {}
                        }
                    }
                    if segment_has_type {
                        out.push(true);
                    }
                }
            }
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    into.push(false);
                    return Some(());
                };
                let path = resolved(&p.path);
                if let Some(rest) = path.strip_prefix("warp::") {
                    let last = rest.rsplit("::").next().unwrap_or(rest);
                    let none = matches!(
                        last,
                        "any"
                            | "get"
                            | "post"
                            | "put"
                            | "delete"
                            | "patch"
                            | "head"
                            | "options"
                            | "end"
                            | "path"
                            | "content_length_limit"
                            | "exact"
                            | "host"
                            | "log"
                            | "cors"
                            | "trace"
                            | "reply"
                    ) && !(last == "path" && rest.starts_with("path::"));
                    if !none {
                        out.push(true);
                    }
                } else {
                    // The application's own filter: one value of its own.
                    out.push(false);
                }
            }
            // A filter bound to a variable (`let with_db = warp::any()
            // .map(move || db.clone());` .. `.and(with_db.clone())`): read
            // like the application's own filter function, one value.
            Expr::Path(p) if p.path.segments.len() == 1 => out.push(false),
            _ => return None,
        }
        // Methods from the root outwards.
        for m in methods.iter().rev() {
            match m.method.to_string().as_str() {
                "and" => {
                    let arg = m.args.first()?;
                    self.warp_extract_into(arg, &mut out)?;
                }
                // `.map(|..| value)` replaces the values with one, which the
                // application made (from request data or not: read as
                // request data if any went in).
                "map" | "and_then" | "then" => {
                    let any = out.iter().any(|r| *r);
                    out.clear();
                    out.push(any);
                }
                "untuple_one" | "boxed" | "clone" | "with" | "recover" | "unify" => {}
                _ => return None,
            }
        }
        into.extend(out);
        Some(())
    }

    /// A warp filter chain: rooted at a `warp::` function or `warp::path!`.
    pub(crate) fn is_warp_filter(&self, recv: &Expr) -> bool {
        let (methods, root) = chain(recv);
        // A filter of warp's, not its re-exported `http`/`hyper` types.
        let filter_path = |path: &str| {
            path.starts_with("warp::")
                && ![
                    "warp::http::",
                    "warp::hyper::",
                    "warp::reply",
                    "warp::reject",
                ]
                .iter()
                .any(|p| path.starts_with(p))
        };
        let is_warp = |e: &Expr| match e {
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if filter_path(&self.imports.resolve(&p.path)))
            }
            Expr::Macro(m) => {
                let path = if m.mac.path.segments.len() == 1 {
                    self.imports.resolve_ident(&last_ident(&m.mac.path))
                } else {
                    self.imports.resolve(&m.mac.path)
                };
                path.starts_with("warp::")
            }
            _ => false,
        };
        is_warp(root)
            || methods
                .iter()
                .any(|m| m.method == "and" && m.args.first().is_some_and(|a| is_warp(peel(a))))
    }

    pub(crate) fn chain_has_http_response(&self, recv: &Expr) -> bool {
        let (methods, root) = chain(recv);
        if methods
            .iter()
            .any(|m| m.method == "send" || m.method == "call")
        {
            return true;
        }
        match root {
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => {
                    let callee = self.imports.resolve(&p.path);
                    HTTP_GET_FNS.iter().any(|f| path_ends_with(&callee, f))
                }
                _ => false,
            },
            _ => false,
        }
    }

    pub(crate) fn eval_method(
        &mut self,
        cx: &mut FnCx,
        m: &syn::ExprMethodCall,
        as_receiver: bool,
    ) -> Taint {
        // `candidate.starts_with(&base).then_some(candidate)`: the value is
        // given only when the check holds, as in `if check { Some(..) }`.
        // `then_some`'s argument is evaluated whatever the check says
        // (`ok.then_some(fs::remove_file(p))` removes it anyway): only a
        // value read as it is counts (red team rt48).
        let lazy = m.method == "then"
            || (m.method == "then_some" && m.args.first().is_some_and(|a| var_of(a).is_some()));
        if lazy {
            let mut guards = Vec::new();
            if !self.guards(cx, &m.receiver, &mut guards) && !guards.is_empty() {
                let saved = cx.validated(&guards);
                let t = self.eval_method_call(cx, m, as_receiver);
                cx.restore(saved);
                return t;
            }
        }
        let t = self.eval_method_call(cx, m, as_receiver);
        // `percent_decode_str(s).decode_utf8_lossy()`, a base64 engine's
        // `STANDARD.decode(s)`: decoded text (`Taint::decoded`).
        let name = m.method.to_string();
        let engine = || {
            let (_, root) = chain(&m.receiver);
            matches!(peel(root), Expr::Path(p) if p.path.segments.iter().any(|s| {
                let s = s.ident.to_string();
                s.contains("STANDARD") || s.contains("URL_SAFE") || s == "general_purpose" || s == "BASE64"
            }))
        };
        if matches!(name.as_str(), "decode_utf8" | "decode_utf8_lossy")
            || (name == "decode" && engine())
        {
            return t.decoded();
        }
        match (name.as_str(), m.args.first().map(peel)) {
            // `name.chars().filter(|c| c.is_ascii_alphanumeric())`: letters
            // and digits only.
            ("filter", Some(Expr::Closure(c)))
                if keeps_only_alphanumeric(&c.body)
                    && matches!(peel(&m.receiver), Expr::MethodCall(r) if r.method == "chars") =>
            {
                t.without(taint::INJECTION)
            }
            // `names.iter().filter(|n| is_relative_clean(n))`: what is left
            // passed the test.
            ("filter", Some(Expr::Closure(c))) if c.inputs.len() == 1 => {
                let Some(param) = Self::pat_name(&c.inputs[0]) else {
                    return t;
                };
                let mut inner = Vec::new();
                if self.guards(cx, &c.body, &mut inner) {
                    return t;
                }
                let kinds = inner
                    .iter()
                    .filter(|(v, _)| *v == param)
                    .fold(0, |all, (_, k)| all | k);
                t.without(kinds & !taint::EXACT)
            }
            // `id.replace(|c: char| !c.is_ascii_alphanumeric(), "_")`: only
            // letters and digits are left (and what replaces the rest);
            // not `replacen`, which replaces the first few only.
            ("replace", Some(Expr::Closure(c)))
                if replaces_all_but_alphanumeric(&c.body)
                    && m.args.get(1).and_then(lit_str).is_some_and(|r| {
                        r.chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                    }) =>
            {
                t.without(taint::INJECTION)
            }
            // `.replace("_", "/")`: what a check ruled out may be written
            // back in (red team rt84).
            ("replace" | "replacen", Some(_))
                if m.args.get(1).and_then(lit_str).is_some_and(|r| {
                    r.contains(['/', '\\', '.', ';', '|', '&', '$', '`', '\'', '"', ' '])
                }) =>
            {
                t.decoded()
            }
            _ => t,
        }
    }

    fn eval_method_call(
        &mut self,
        cx: &mut FnCx,
        m: &syn::ExprMethodCall,
        as_receiver: bool,
    ) -> Taint {
        let recv = self.eval_ctx(cx, &m.receiver, true);
        let mut closure_taint = recv;
        if matches!(m.method.to_string().as_str(), "map" | "and_then" | "then")
            && self.is_warp_filter(&m.receiver)
        {
            // warp hands extracted request data to the handler closure.
            let line = start_of(m.method.span()).0;
            closure_taint = cx.add_source("request data (warp filter)", line);
        }
        let name = m.method.to_string();
        // `token.as_ref().map(|t| log::info!("{t}"))`: `t` is the secret.
        let saved_secret = cx.closure_secret.take();
        if matches!(
            name.as_str(),
            "map" | "and_then" | "inspect" | "for_each" | "is_some_and"
        ) {
            cx.closure_secret = crate::checks::secret_source(cx, &m.receiver);
        }
        // `.enumerate().map(|(i, name)| ..)`: `i` is a count.
        let enumerated =
            matches!(peel(&m.receiver), Expr::MethodCall(r) if r.method == "enumerate");
        let saved_enumerated = std::mem::replace(&mut cx.closure_enumerated, enumerated);
        let args = self.eval_args(cx, &m.args, closure_taint);
        cx.closure_enumerated = saved_enumerated;
        cx.closure_secret = saved_secret;
        let span = m.method.span();
        let all_args = taint::union_all(args.iter().copied());
        let method = Method {
            expr: m,
            name: &name,
            args: &args,
            span,
        };
        for check in CHECKS {
            check.method(self, cx, &method);
        }
        if let Some(var) = var_of(&m.receiver).and_then(|v| cx.vars.get_mut(&v)) {
            // Any use other than reserving may write the spare capacity.
            var.fresh_capacity = matches!(name.as_str(), "reserve" | "reserve_exact")
                || (var.fresh_capacity && name == "set_len");
            let reads = matches!(
                name.as_str(),
                "into"
                    | "as_ref"
                    | "as_slice"
                    | "as_bytes"
                    | "to_vec"
                    | "clone"
                    | "len"
                    | "iter"
                    | "align_to"
                    | "try_into"
                    | "as_ptr"
            );
            var.literal &= reads;
            var.random &= reads;
        } else if matches!(
            name.as_str(),
            "copy_from_slice" | "clone_from_slice" | "swap_with_slice"
        ) && !m.args.first().is_some_and(|a| self.is_literal_material(a))
        {
            // `nonce[4..].copy_from_slice(&seq)`: a part of it is written
            // with bytes that are not in the source.
            if let Some(var) = indexed_var(&m.receiver).and_then(|v| cx.vars.get_mut(&v)) {
                var.literal = false;
            }
        }
        if is_rng_fill(&name, &m.receiver) {
            mark_random(cx, m.args.first());
        }
        if !as_receiver {
            for check in CHECKS {
                check.chain_top(self, cx, m);
            }
        }
        if let Some(turbofish) = &m.turbofish {
            for arg in &turbofish.args {
                if let syn::GenericArgument::Type(ty) = arg {
                    self.check_type(cx, ty);
                }
            }
        }

        if let Some(key) = self
            .summary_key(cx, &name, true)
            .filter(|key| !self.foreign_receiver(cx, &m.receiver, key))
        {
            let has_self = self.summaries.get(&key).is_some_and(|s| s.has_self);
            let mut full = Vec::with_capacity(args.len() + 1);
            if has_self {
                full.push(recv);
            }
            full.extend(args.iter().copied());
            // A setter: the receiver holds what it stored (only a
            // variable of this function, by its own summary's bits).
            let (stored, safe, skinds) = self
                .summaries
                .get(&key)
                .filter(|s| s.has_self)
                .map_or((0, 0, 0), |s| {
                    (s.self_params, s.self_sanitized, s.self_skinds)
                });
            if stored != 0 {
                if let Some(v) = var_of(&m.receiver) {
                    let t = taint::union_all(summary::bits(stored).filter_map(|i| {
                        let t = summary::arg(&full, i)?;
                        Some(if safe & (1 << i) != 0 {
                            t.without(skinds)
                        } else {
                            t
                        })
                    }));
                    if t != Taint::CLEAN {
                        cx.changed(&v);
                        let entry = cx.vars.entry(v).or_default();
                        entry.taint = entry.taint.union(t);
                    }
                }
            }
            let mut exprs: Vec<&Expr> = Vec::with_capacity(m.args.len() + 1);
            if has_self {
                exprs.push(&m.receiver);
            }
            exprs.extend(m.args.iter());
            crate::checks::logged_through(self, cx, &key, &exprs, span);
            if let Some(t) = self.apply_summary(cx, &key, &full, span) {
                return t;
            }
        }
        match name.as_str() {
            // `opt.map(|s| ..)`, `it.filter_map(|s| s.parse::<i64>().ok())`,
            // `ok.then(|| ..)`: the value is what the closure returns (its
            // parameter holds the receiver's taint), not the receiver.
            "map" | "and_then" | "filter_map" | "flat_map" | "then"
                if m.args.len() == 1
                    && matches!(m.args.first().map(peel), Some(Expr::Closure(_))) =>
            {
                all_args
            }
            // A hasher's digest.
            "finalize" | "finalize_reset" if m.args.is_empty() => Taint::CLEAN,
            // Values that carry no attacker-chosen text.
            "len" | "count" | "is_empty" | "contains" | "contains_key" | "starts_with"
            | "ends_with" | "eq" | "ne" | "cmp" | "partial_cmp" | "is_some" | "is_none"
            | "is_ok" | "is_err" | "exists" | "is_file" | "is_dir" | "hash" | "matches"
            | "is_match" | "chars_count" | "capacity" => Taint::CLEAN,
            // Numbers (`timeout.as_millis()`): a size at most.
            "as_millis" | "as_secs" | "as_micros" | "as_nanos" | "as_secs_f32" | "as_secs_f64"
            | "subsec_millis" | "subsec_micros" | "subsec_nanos" | "count_ones"
            | "leading_zeros" | "trailing_zeros" => recv.only(ALLOC),
            // `name.replace('\'', "''")`: a quote doubled is SQL's escape.
            "replace"
                if matches!(
                    (
                        m.args.first().and_then(lit_char_or_str).as_deref(),
                        m.args.get(1).and_then(lit_str).as_deref()
                    ),
                    (Some("'"), Some("''")) | (Some("\""), Some("\"\""))
                ) =>
            {
                recv.without(taint::SQL)
            }
            "parse" => {
                let numeric = m.turbofish.as_ref().is_some_and(|tf| {
                    tf.args.iter().any(|a| matches!(a, syn::GenericArgument::Type(syn::Type::Path(tp)) if is_numeric_type_name(&last_ident(&tp.path)) || last_ident(&tp.path) == "bool"))
                });
                if numeric {
                    recv.only(ALLOC)
                } else {
                    recv
                }
            }
            "min" | "clamp" => recv.union(all_args).without(ALLOC),
            // A statement prepared from SQL text (`conn.prepare(&sql)?`):
            // the text's taint is reported at `prepare`, a sink; the
            // statement run later (`client.query_one(&stmt, &[])`) is the
            // same bug, not another.
            "prepare" | "prepare_cached" | "prepare_typed" | "prep" if !m.args.is_empty() => {
                recv.union(all_args).without(taint::SQL)
            }
            "escape_debug" | "escape_default" => recv.without(LOG),
            // Opening a file: a handle, or an `io::Error` whose text is the
            // system's message, never the path's.
            "open" | "create" | "create_new" => recv.union(all_args).without(LOG),
            "replace" | "replacen" => {
                let strips_newline = m.args.first().is_some_and(|a| match peel(a) {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => s.value().contains('\n'),
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Char(c),
                        ..
                    }) => c.value() == '\n',
                    _ => false,
                });
                let t = recv.union(args.get(1).copied().unwrap_or_default());
                if strips_newline {
                    t.without(LOG)
                } else {
                    t
                }
            }
            // The server's own state a request carries (tide's
            // `req.state()` and `req.ext::<T>()`, actix's
            // `req.app_data::<T>()`, poem's `req.data::<T>()`, what
            // middleware put in `req.extensions()`), not the client's data
            // (red team rt75).
            "state" | "app_data" | "data" | "ext" | "extensions" | "extensions_mut"
                if m.args.is_empty()
                    && self.receiver_type(cx, &m.receiver).is_some_and(|t| {
                        t.split('<').next().unwrap_or("").ends_with("Request")
                    }) =>
            {
                Taint::CLEAN
            }
            // `routes.get(&req.service)`: a lookup in one of the
            // application's maps returns its value, not the key it was
            // given (an allow-list keyed by request data).
            "get" | "get_mut" | "get_key_value" if self.is_map(cx, &m.receiver) => recv,
            // A path's last component; not a multipart field's
            // `file_name()`, which is the client's name for the upload,
            // whole (red team rt81: `../../etc/cron.d/x`).
            "file_name" | "file_stem" if !is_upload_field(cx, &m.receiver) => recv.without(PATH),
            // zip's checked accessor: `None` for names that leave the directory.
            "enclosed_name" => recv.without(PATH),
            // Archive entries: their names are chosen by whoever built the archive.
            "by_index" | "by_name" | "entries"
                if self.receiver_type(cx, &m.receiver).is_some_and(|t| {
                    t.starts_with("zip::") || t.starts_with("tar::") || t.starts_with("async_zip::")
                }) =>
            {
                let line = start_of(span).0;
                cx.add_source("an archive entry (`{name}`)".replace("{name}", &name), line)
            }
            // Mutation: the receiver variable absorbs the argument's taint.
            // A URL's parts set in place (`url.set_host(..)`) change it too.
            "set_host" | "set_ip_host" | "set_scheme" | "set_port" | "set_path" | "set_query"
            | "set_username" | "set_password" | "set_file_name" | "set_extension" | "push_str"
            | "push" | "extend" | "extend_from_slice" | "insert" | "insert_str" | "append"
            | "write_str" | "write_all" => {
                let secret = m
                    .args
                    .iter()
                    .find_map(|a| crate::checks::secret_source(cx, a));
                // Text appended to a string is pasted into it (`q.push_str(to)`
                // after `String::from("UPDATE .. '")`), as `format!` pastes.
                let pasted = if matches!(name.as_str(), "push_str" | "insert_str" | "write_str") {
                    all_args.built()
                } else {
                    all_args
                };
                if let Some(v) = var_of(&m.receiver) {
                    cx.changed(&v);
                    let entry = cx.vars.entry(v).or_default();
                    entry.taint = entry.taint.union(pasted);
                    if entry.secret.is_none() {
                        entry.secret = secret;
                    }
                }
                // `Extend::extend` returns `()`; `Layout::extend` a layout
                // sized by both.
                if name == "extend" {
                    return recv.union(all_args);
                }
                Taint::CLEAN
            }
            // A peer's or this end's address: digits, dots and colons.
            "peer_addr" | "local_addr" => Taint::CLEAN,
            // Reads into a buffer argument.
            "read_line" | "read_to_string" | "read_to_end" | "read_exact" | "read"
            | "read_until" => {
                // A reader given as a parameter passes its taint on too
                // (the function's summary: parameter to buffer).
                if recv.is_tainted() || recv.params != 0 {
                    for arg in &m.args {
                        if let Some(v) = var_of(arg) {
                            let entry = cx.vars.entry(v).or_default();
                            entry.taint = entry.taint.union(recv);
                        }
                    }
                }
                // Given a buffer, the result is a count it bounds (not
                // `RwLock::read()`, whose guard is the data).
                if m.args.is_empty() {
                    recv
                } else {
                    recv.without(ALLOC)
                }
            }
            // A length field read from a byte stream or buffer
            // (byteorder `read_u32::<BigEndian>()`, bytes `get_u32()`).
            _ if is_number_read(&name) => {
                let line = start_of(span).0;
                cx.add_source(format!("a number read from input (`.{name}()`)"), line)
                    .only(ALLOC)
            }
            // clap's builder: `Command::new("x").arg(..).get_matches()`.
            "get_matches" | "try_get_matches" | "get_matches_safe" | "get_matches_mut"
                if m.args.is_empty() =>
            {
                let line = start_of(span).0;
                cx.add_local_source(format!("command-line arguments (`.{name}()`)"), line)
                    .only(taint::SQL | taint::COMMAND)
            }
            _ if RESPONSE_BODY_METHODS.contains(&name.as_str())
                && self.chain_has_http_response(&m.receiver) =>
            {
                let line = start_of(span).0;
                cx.add_source("an HTTP response body", line)
            }
            _ => recv.union(all_args),
        }
    }

    pub(crate) fn report_sink(
        &mut self,
        cx: &mut FnCx,
        kind: u16,
        taint: Taint,
        what: &str,
        (start, end): (Span, Span),
    ) {
        if taint.has(kind) {
            let message = format!("{} reaches {what}", cx.describe(taint));
            self.report_flow(cx, kind, taint, message, (start, end));
        }
        self.param_sink(cx, kind, taint, what, (start, end));
    }

    /// The summary a call resolves to: `callee` as written and resolved
    /// (`helper`, `Self::new`, `Store::open`), or a method name.
    /// Every lookup is recorded in `probes` (see [`super::Probes`]).
    pub(crate) fn summary_key(&mut self, cx: &FnCx, callee: &str, method: bool) -> Option<String> {
        if method {
            self.probes.method(callee);
            let key = match self.methods.get(callee).map(Vec::as_slice) {
                Some([only]) => only.clone(),
                _ => return None,
            };
            // Its summary is read next.
            self.probes.key(&key);
            return Some(key);
        }
        if let Some(name) = callee.strip_prefix("Self::") {
            let key = format!("{}::{name}", cx.self_ty.as_ref()?);
            self.probes.key(&key);
            return self.summaries.contains_key(&key).then_some(key);
        }
        self.probes.key(callee);
        if self.summaries.contains_key(callee) {
            return Some(callee.to_string());
        }
        // `module::f` or `module::Type::f` of this file.
        let segments: Vec<&str> = callee.split("::").collect();
        for n in [2, 1] {
            if segments.len() > n {
                let key = segments[segments.len() - n..].join("::");
                self.probes.key(&key);
                if self.summaries.contains_key(&key) {
                    return Some(key);
                }
            }
        }
        None
    }

    /// Apply a callee's summary at a call: report arguments that reach a
    /// sink inside it, extend this function's summary with arguments that
    /// are its own parameters, and return the call's taint.
    pub(crate) fn apply_summary(
        &mut self,
        cx: &mut FnCx,
        key: &str,
        args: &[Taint],
        call_span: Span,
    ) -> Option<Taint> {
        // Borrowed, not cloned (a summary holds strings for every sink):
        // the fields written below are disjoint from `summaries`.
        let summary = self.summaries.get(key)?;
        let (findings, local_keys, rel, unit_start, dropped, flows) = (
            &mut self.findings,
            &self.local_keys,
            &self.rel,
            self.unit_start,
            &mut self.dropped_findings,
            &mut self.unit_flows,
        );
        let call_line = start_of(call_span).0;
        let step = || format!("call to `{key}`");
        for sink in summary.param_sinks.iter() {
            for i in summary::bits(sink.params) {
                let Some(t) = summary::arg(args, i) else {
                    continue;
                };
                // Across files only remote sources (request data) are
                // followed: an operator's own arguments, environment and
                // files reaching a path or a program in another module is
                // how a command-line tool works (CodeQL's default threat
                // model leaves these local sources out too). Within a
                // file they are still reported, one severity lower.
                let crosses_files = sink.file.is_some() || !local_keys.contains(key);
                if t.has(sink.kind)
                    && !(crosses_files && cx.is_local(t))
                    && first_flow_here(flows, dropped.count, sink, cx.is_local(t))
                {
                    let source = cx
                        .source_of(t)
                        .map(|s| (s.line, s.what.clone()))
                        .unwrap_or((call_line, "untrusted input".into()));
                    // Steps here are in this file; the callee's in its own.
                    let here = sink.file.as_ref().map(|_| rel.clone());
                    let mut flow = vec![(source.0, format!("source: {}", source.1), here.clone())];
                    flow.push((call_line, step(), here));
                    flow.extend(sink.via.iter().cloned());
                    flow.push((sink.line, format!("sink: {}", sink.what), sink.file.clone()));
                    let path = summary::render_flow(&flow);
                    push_capped(
                        findings,
                        unit_start,
                        dropped,
                        RawFinding {
                            rule: rule_for_kind(sink.kind),
                            line: sink.line,
                            column: sink.column,
                            end_line: sink.end_line,
                            end_column: sink.end_column,
                            message: format!(
                                "{} reaches {} through `{key}`: {}",
                                cx.describe(t),
                                sink.what,
                                path
                            ),
                            stmt_line: sink.stmt_line,
                            local_source: cx.is_local(t),
                            flow,
                            file: sink.file.clone(),
                            covers: None,
                            also: &[],
                        },
                    );
                }
                if t.has_param(sink.kind)
                    && cx.wants_param_sink(
                        t.params_for(sink.kind),
                        sink.kind,
                        sink.line,
                        sink.column,
                        sink.file.as_deref(),
                        summary::reportable(sink.kind, &sink.what, sink.built || t.is_built()),
                    )
                {
                    let here = sink.file.as_ref().map(|_| rel.clone());
                    let mut via = vec![(call_line, step(), here)];
                    via.extend(sink.via.iter().cloned());
                    std::sync::Arc::make_mut(&mut cx.summary.param_sinks).push(
                        summary::ParamSink {
                            params: t.params_for(sink.kind),
                            kind: sink.kind,
                            what: sink.what.clone(),
                            line: sink.line,
                            column: sink.column,
                            end_line: sink.end_line,
                            end_column: sink.end_column,
                            stmt_line: sink.stmt_line,
                            via,
                            file: sink.file.clone(),
                            built: sink.built || t.is_built(),
                            reported: sink.reported || (summary.public && summary::reports(sink)),
                        },
                    );
                }
            }
        }
        let mut result = Taint::CLEAN;
        let imported = !local_keys.contains(key);
        if let Some((kinds, what, local)) = summary
            .ret_source
            .as_ref()
            .filter(|(_, _, local)| !(imported && *local))
        {
            let source = cx.push_source(format!("{what}, returned by `{key}`"), call_line, *local);
            result = result.union(source.only(*kinds));
        }
        for i in summary::bits(summary.ret_params) {
            if let Some(t) = &summary::arg(args, i) {
                let mut r = t.only(summary.ret_pkinds);
                // Made safe for some kinds on every way it is returned.
                if summary.ret_sanitized & (1 << i) != 0 {
                    r = r.without(summary.ret_skinds);
                }
                if summary.ret_pkinds & taint::BUILT != 0 {
                    r = r.built();
                }
                result = result.union(r);
            }
        }
        Some(result)
    }
}

/// Whether a flow to `sink` (from a `local` source or not) is to be
/// reported: always for the unit's first [`super::SUMMARY_FLOWS_UNTRACKED`]
/// flows, and after that only for a place it has not reported yet (the
/// final de-duplication keeps one finding per place; its severity depends
/// on `local`, so both are kept). A compaction that dropped findings
/// (`dropped` grew) may have dropped a remembered place's: the places are
/// forgotten then (red team rt49: a flow into another file's sink, ranked
/// after 10,000 local findings, was dropped and never reported again).
fn first_flow_here(
    flows: &mut super::UnitFlows,
    dropped: usize,
    sink: &summary::ParamSink,
    local: bool,
) -> bool {
    flows.count += 1;
    if flows.count <= super::SUMMARY_FLOWS_UNTRACKED {
        return true;
    }
    if flows.dropped_at != dropped {
        flows.seen.clear();
        flows.dropped_at = dropped;
    }
    let place = (sink.line, sink.column, sink.kind, local);
    match flows.seen.get_mut(&sink.file) {
        Some(places) => places.insert(place),
        None => {
            flows
                .seen
                .entry(sink.file.clone())
                .or_default()
                .insert(place);
            true
        }
    }
}

/// `read_u32`, `read_u64_le`, `get_u16`, `get_i32_le`, `read_varint`: a
/// multi-byte number read from a stream or buffer.
fn is_number_read(name: &str) -> bool {
    let rest = name
        .strip_prefix("read_")
        .or_else(|| name.strip_prefix("get_"));
    let Some(rest) = rest else { return false };
    if rest.starts_with("var") {
        return name.starts_with("read_");
    }
    let digits = rest
        .strip_prefix('u')
        .or_else(|| rest.strip_prefix('i'))
        .unwrap_or("");
    let width: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let tail = &digits[width.len()..];
    matches!(width.as_str(), "16" | "24" | "32" | "64" | "128")
        && matches!(tail, "" | "_le" | "_be" | "_ne")
}

/// A random number generator filling its argument: `fill_bytes` and
/// `try_fill_bytes` (rand's `RngCore`), or `fill`/`try_fill` on a receiver
/// named as a generator (`rng.fill(&mut buf)`, `secure_random.fill(..)`,
/// `thread_rng().fill(..)`); another `fill(&mut buf)` may be a reader's.
fn is_rng_fill(method: &str, receiver: &Expr) -> bool {
    match method {
        "fill_bytes" | "try_fill_bytes" => true,
        "fill" | "try_fill" => {
            let text = quote::ToTokens::to_token_stream(receiver)
                .to_string()
                .to_ascii_lowercase();
            text.contains("rng") || text.contains("random")
        }
        _ => false,
    }
}

/// `&mut buf` given to a generator: `buf` holds random bytes (until
/// anything else writes it).
fn mark_random(cx: &mut FnCx, arg: Option<&Expr>) {
    let mut arg = arg;
    while let Some(
        Expr::Paren(syn::ExprParen { expr, .. }) | Expr::Group(syn::ExprGroup { expr, .. }),
    ) = arg
    {
        arg = Some(expr);
    }
    if let Some(Expr::Reference(r)) = arg {
        if r.mutability.is_some() {
            if let Some(var) = var_of(&r.expr).and_then(|v| cx.vars.get_mut(&v)) {
                var.random = true;
            }
        }
    }
}

/// A string or char literal's text (`'"'`, `"'"`).
fn lit_char_or_str(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Char(c),
            ..
        }) => Some(c.value().to_string()),
        other => lit_str(other),
    }
}

/// A derived command-line parser's constructor: clap's `Cli::parse()` and
/// `try_parse()`, structopt's `Opt::from_args()`, `argh::from_env()`,
/// pico-args' `Arguments::from_env()`. Only a call without arguments on a
/// type (`Url::parse(s)` and `str::parse` take one) reads the process's
/// arguments.
fn is_argument_parser(callee: &str, last: &str, args: usize) -> bool {
    if args != 0 {
        return false;
    }
    if path_ends_with(callee, "argh::from_env") || path_ends_with(callee, "Arguments::from_env") {
        return true;
    }
    if !matches!(last, "parse" | "try_parse" | "from_args" | "from_args_safe") {
        return false;
    }
    let ty = callee
        .len()
        .checked_sub(last.len() + 2)
        .map(|end| crate::patterns::last_segment(&callee[..end]))
        .unwrap_or_default();
    ty.chars().next().is_some_and(char::is_uppercase) && ty != "Self"
}

/// A multipart form field (`while let Some(field) = multipart.next_field()
/// ..`): by its type (`Field`, `MultipartField`) or, with none known, by
/// the names such code gives it.
fn is_upload_field(cx: &FnCx, recv: &Expr) -> bool {
    let Some(name) = var_of(recv) else {
        return false;
    };
    match cx.vars.get(&name).and_then(|v| v.ty.as_deref()) {
        Some(ty) => {
            let ty = crate::patterns::last_segment(ty.split('<').next().unwrap_or(ty));
            ty.ends_with("Field") || ty == "Part"
        }
        None => matches!(
            name.as_str(),
            "field" | "part" | "upload" | "file_field" | "form_field" | "multipart_field"
        ),
    }
}

/// A function that decodes text (`urlencoding::decode`,
/// `percent_encoding::percent_decode_str`, `base64::decode`,
/// `html_escape::decode_html_entities`): its result is [`Taint::decoded`].
fn is_decoder(callee: &str) -> bool {
    let last = crate::patterns::last_segment(callee);
    // Form and JSON decoders (`form_urlencoded::parse`,
    // `serde_urlencoded::from_str`, `serde_json::from_str`: `\u002e`).
    let crate_of = |c: &str| callee.split("::").any(|s| s == c);
    if (last == "parse" && crate_of("form_urlencoded"))
        || (matches!(last, "from_str" | "from_bytes" | "from_slice")
            && (crate_of("serde_urlencoded") || crate_of("serde_json") || crate_of("serde_qs")))
    {
        return true;
    }
    let decodes =
        last.starts_with("decode") || last.starts_with("percent_decode") || last == "unescape";
    decodes
        && callee.split("::").any(|s| {
            matches!(
                s,
                "urlencoding"
                    | "percent_encoding"
                    | "base64"
                    | "html_escape"
                    | "form_urlencoded"
                    | "hex"
                    | "data_encoding"
                    | "url_escape"
            )
        })
}

/// `!c.is_ascii_alphanumeric()` (or `is_alphanumeric`), optionally with
/// `&& c != '_'`-style exceptions for `_` and `-`: a closure that picks
/// every character but letters and digits.
fn replaces_all_but_alphanumeric(body: &Expr) -> bool {
    match peel(body) {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => matches!(peel(&u.expr),
            Expr::MethodCall(m) if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "is_ascii_alphanumeric" | "is_alphanumeric")),
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            replaces_all_but_alphanumeric(&b.left)
                && matches!(peel(&b.right), Expr::Binary(r) if matches!(r.op, syn::BinOp::Ne(_))
                    && matches!(peel(&r.right), Expr::Lit(syn::ExprLit { lit: syn::Lit::Char(ch), .. })
                        if matches!(ch.value(), '_' | '-')))
        }
        _ => false,
    }
}

/// `c.is_ascii_alphanumeric()` (or `is_alphanumeric`, `is_ascii_digit`),
/// optionally `|| *c == '_'` or `'-'`: a closure that keeps letters and
/// digits only.
fn keeps_only_alphanumeric(body: &Expr) -> bool {
    match peel(body) {
        Expr::MethodCall(m) => {
            m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "is_ascii_alphanumeric"
                        | "is_alphanumeric"
                        | "is_ascii_digit"
                        | "is_ascii_alphabetic"
                )
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) => {
            keeps_only_alphanumeric(&b.left)
                && matches!(peel(&b.right), Expr::Binary(r) if matches!(r.op, syn::BinOp::Eq(_))
                    && matches!(peel(&r.right), Expr::Lit(syn::ExprLit { lit: syn::Lit::Char(ch), .. })
                        if matches!(ch.value(), '_' | '-')))
        }
        _ => false,
    }
}
