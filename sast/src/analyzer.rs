//! One file's analysis: a single walk over the syntax tree that tracks taint
//! within each function (in statement order) and runs every rule at the node
//! it concerns, so each node is visited once.

use crate::imports::Imports;
use crate::macros::{self, ArgRef, Render};
use crate::patterns::*;
use crate::rules::id;
use crate::taint::{self, Taint, ALLOC, INJECTION, LOG, PATH};
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, Pat, Stmt};

/// A finding before suppression and reporting: 1-based lines, 1-based columns.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub rule: &'static str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    /// First line of the innermost statement containing the finding, so a
    /// suppression above a statement covers it however rustfmt wraps it.
    pub stmt_line: usize,
    /// The tainted value came only from a local source (argv, environment,
    /// stdin, files), which the operator controls: reported one severity
    /// level lower than input from the network.
    pub local_source: bool,
}

/// Where a tainted value came from, for messages.
struct Source {
    what: String,
    line: usize,
    local: bool,
}

/// What the analysis knows about a local variable.
#[derive(Clone, Default)]
struct Var {
    taint: Taint,
    /// Resolved type path, when known (`std::process::Command`).
    ty: Option<String>,
    /// A `Command` that runs a shell.
    shell: bool,
    /// Produced by `canonicalize()`.
    canonical: bool,
    /// The command-line argument vector (`env::args().collect()`).
    argv: bool,
    /// A `Vec` with reserved but unwritten capacity (`with_capacity`,
    /// `reserve`) and nothing done to it since.
    fresh_capacity: bool,
}

/// Per-function state.
#[derive(Default)]
struct FnCx {
    vars: HashMap<String, Var>,
    sources: Vec<Source>,
    stmt_line: usize,
    /// Inside `#[ctor]`/`#[dtor]`.
    ctor: bool,
    ctor_reported: bool,
    /// Evaluating something that is a secret (a token, key, password).
    secret_context: bool,
    /// Taint given to the parameters of closures passed to a method.
    closure_param: Taint,
    /// Findings that a later call in the function can cancel.
    deferred_cookie: Vec<RawFinding>,
    deferred_header: Vec<RawFinding>,
    secure_cookie_set: bool,
    sensitive_header_set: bool,
}

impl FnCx {
    fn add_source(&mut self, what: impl Into<String>, line: usize) -> Taint {
        self.push_source(what.into(), line, false)
    }

    fn add_local_source(&mut self, what: impl Into<String>, line: usize) -> Taint {
        self.push_source(what.into(), line, true)
    }

    fn push_source(&mut self, what: String, line: usize, local: bool) -> Taint {
        self.sources.push(Source { what, line, local });
        Taint::from_source(self.sources.len() - 1)
    }

    fn is_local(&self, taint: Taint) -> bool {
        (taint.source as usize)
            .checked_sub(1)
            .and_then(|i| self.sources.get(i))
            .is_some_and(|s| s.local)
    }

    fn describe(&self, taint: Taint) -> String {
        match (taint.source as usize)
            .checked_sub(1)
            .and_then(|i| self.sources.get(i))
        {
            Some(source) => format!("{} (line {})", source.what, source.line),
            None => "untrusted input".to_string(),
        }
    }
}

pub struct FileAnalyzer<'a> {
    source: &'a str,
    lines: Vec<&'a str>,
    /// Per line: (has a comment mentioning SAFETY, is only a comment or
    /// attribute). Computed on the first `unsafe` seen.
    comment_lines: Option<Vec<(bool, bool)>>,
    imports: Imports,
    include_tests: bool,
    /// A build script: its environment is set by cargo, not an attacker.
    build_script: bool,
    /// Names of constants/statics whose value is a literal (key material).
    literal_consts: HashSet<String>,
    pub findings: Vec<RawFinding>,
    /// Current expression nesting of `eval` (a backstop to the pre-scan).
    depth: usize,
    /// First line where `eval` hit [`crate::limits::MAX_EVAL_DEPTH`].
    limit_line: Option<usize>,
}

thread_local! {
    /// Lines before the chunk being analysed (a large file is parsed in
    /// chunks, each with spans starting at line 1).
    static LINE_OFFSET: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Run `f` with spans shifted down by `offset` lines.
pub(crate) fn with_line_offset<T>(offset: usize, f: impl FnOnce() -> T) -> T {
    let saved = LINE_OFFSET.with(|o| o.replace(offset));
    let out = f();
    LINE_OFFSET.with(|o| o.set(saved));
    out
}

fn start_of(span: Span) -> (usize, usize) {
    let start = span.start();
    (start.line + LINE_OFFSET.with(|o| o.get()), start.column + 1)
}

fn end_of(span: Span) -> (usize, usize) {
    let end = span.end();
    (end.line + LINE_OFFSET.with(|o| o.get()), end.column + 1)
}

/// Strip wrappers that do not change which value an expression denotes.
fn peel(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::Paren(p) => &p.expr,
            Expr::Group(g) => &g.expr,
            Expr::Reference(r) => &r.expr,
            Expr::Try(t) => &t.expr,
            Expr::Await(a) => &a.base,
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &u.expr,
            _ => return e,
        }
    }
}

/// `x`, `&x`, `x.as_str()`, `x.clone()`... -> `x`.
fn var_of(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_ref"
                    | "as_bytes"
                    | "clone"
                    | "to_string"
                    | "to_owned"
                    | "as_path"
                    | "borrow"
                    | "as_deref"
                    | "trim"
            ) =>
        {
            var_of(&m.receiver)
        }
        Expr::Field(f) => var_of(&f.base),
        _ => None,
    }
}

/// The method calls of a chain, outermost first, and the chain's root.
fn chain(e: &Expr) -> (Vec<&syn::ExprMethodCall>, &Expr) {
    let mut methods = Vec::new();
    let mut current = peel(e);
    while let Expr::MethodCall(m) = current {
        methods.push(m);
        current = peel(&m.receiver);
    }
    (methods, current)
}

fn lit_str(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "to_string" | "to_owned" | "into" | "as_str"
            ) =>
        {
            lit_str(&m.receiver)
        }
        Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "from") => {
                lit_str(&c.args[0])
            }
            _ => None,
        },
        _ => None,
    }
}

fn lit_bool(e: &Expr) -> Option<bool> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Some(b.value),
        _ => None,
    }
}

fn lit_int(e: &Expr) -> Option<u64> {
    match peel(e) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<u64>().ok(),
        _ => None,
    }
}

fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn is_numeric_type_name(name: &str) -> bool {
    matches!(
        name,
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
    )
}

fn strip_pat_type(pat: &Pat) -> &Pat {
    match pat {
        Pat::Type(pt) => strip_pat_type(&pt.pat),
        other => other,
    }
}

/// Is this expression visibly an `n`-tuple (a tuple, or a block ending in one)?
fn tuple_shaped(e: &Expr, n: usize) -> bool {
    match e {
        Expr::Tuple(t) => t.elems.len() == n,
        Expr::Paren(p) => tuple_shaped(&p.expr, n),
        Expr::Block(b) => {
            matches!(b.block.stmts.last(), Some(Stmt::Expr(tail, None)) if tuple_shaped(tail, n) || expr_diverges(tail))
        }
        _ => false,
    }
}

/// A block that never falls through (ends in `return`, `continue`, `break`,
/// `panic!`-like macros, or `Err(..)?`).
fn block_diverges(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(Stmt::Expr(e, _)) => expr_diverges(e),
        Some(Stmt::Macro(m)) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

fn expr_diverges(e: &Expr) -> bool {
    match e {
        Expr::Return(_) | Expr::Continue(_) | Expr::Break(_) => true,
        Expr::Macro(m) => is_diverging_macro(&m.mac),
        Expr::Try(_) => true,
        Expr::Block(b) => block_diverges(&b.block),
        _ => false,
    }
}

fn is_diverging_macro(mac: &syn::Macro) -> bool {
    matches!(
        last_ident(&mac.path).as_str(),
        "panic" | "bail" | "unreachable" | "todo" | "unimplemented"
    )
}

pub(crate) fn is_test_attr(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if path
        .segments
        .last()
        .is_some_and(|s| s.ident == "test" || s.ident == "bench")
    {
        return true;
    }
    if path.is_ident("cfg") {
        if let syn::Meta::List(list) = &attr.meta {
            return list
                .tokens
                .clone()
                .into_iter()
                .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(ref i) if i == "test"));
        }
    }
    false
}

fn is_ctor_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "ctor" || s.ident == "dtor")
}

fn leaked_credential_patterns() -> &'static regex::RegexSet {
    static SET: OnceLock<regex::RegexSet> = OnceLock::new();
    SET.get_or_init(|| {
        let patterns = [
            r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bgh[pousr]_[A-Za-z0-9]{36}\b",
            r"\bgithub_pat_[A-Za-z0-9_]{80,}",
            r"\bglpat-[A-Za-z0-9_\-]{20}\b",
            r"\bxox[baprs]-[A-Za-z0-9-]{10,}",
            r"\b[sr]k_live_[A-Za-z0-9]{20,}",
            r"\bAIza[0-9A-Za-z_\-]{35}\b",
            r"\bnpm_[A-Za-z0-9]{36}\b",
            r"\bsk-(proj-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
            // A header alone (a parser looking for one) is not a key: the
            // base64 body must follow, after any `Name: value` header lines.
            r"-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----\s*(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{16,}",
        ];
        // The patterns are constants checked by the unit tests below.
        regex::RegexSet::new(patterns).unwrap_or_else(|_| regex::RegexSet::empty())
    })
}

const CREDENTIAL_NAMES: &[&str] = &[
    "an AWS access key id",
    "a GitHub token",
    "a GitHub fine-grained token",
    "a GitLab token",
    "a Slack token",
    "a Stripe live key",
    "a Google API key",
    "an npm token",
    "an OpenAI API key",
    "a JSON Web Token",
    "a PEM private key",
];

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
    let host = rest
        .split(['/', ':', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    host.is_empty()
        || host == "localhost"
        || host.starts_with("127.")
        || host.starts_with('[')
        || host == "0.0.0.0"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".test")
        || host.ends_with(".invalid")
        || host.ends_with(".internal")
        || host.ends_with(".svc")
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

impl<'a> FileAnalyzer<'a> {
    pub fn new(path: &str, source: &'a str, include_tests: bool) -> Self {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        FileAnalyzer {
            build_script: file_name == "build.rs",
            source,
            comment_lines: None,
            lines: source.lines().collect(),
            imports: Imports::default(),
            include_tests,
            literal_consts: HashSet::new(),
            findings: Vec::new(),
            depth: 0,
            limit_line: None,
        }
    }

    /// Learn the imports and literal constants of (a chunk of) the file;
    /// every chunk is added before any is run.
    pub fn add_context(&mut self, file: &syn::File) {
        self.imports.extend_from(file);
        self.collect_literal_consts(&file.items);
    }

    pub fn run(&mut self, file: &syn::File) {
        self.visit_file(file);
    }

    /// Where the evaluator's depth guard stopped descending, if it did.
    pub fn limit_line(&self) -> Option<usize> {
        self.limit_line
    }

    fn collect_literal_consts(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Const(c) if self.is_literal_material(&c.expr) => {
                    self.literal_consts.insert(c.ident.to_string());
                }
                syn::Item::Static(s) if self.is_literal_material(&s.expr) => {
                    self.literal_consts.insert(s.ident.to_string());
                }
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        self.collect_literal_consts(items);
                    }
                }
                _ => {}
            }
        }
    }

    /// Is this expression fixed bytes written in the source (a literal, an
    /// array of literals, a constant holding one)?
    fn is_literal_material(&self, e: &Expr) -> bool {
        match peel(e) {
            Expr::Lit(l) => matches!(
                l.lit,
                syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_)
            ),
            Expr::Array(a) => {
                !a.elems.is_empty() && a.elems.iter().all(|e| matches!(peel(e), Expr::Lit(_)))
            }
            Expr::Repeat(r) => matches!(peel(&r.expr), Expr::Lit(_)),
            Expr::Path(p) if p.path.segments.len() == 1 => self
                .literal_consts
                .contains(&p.path.segments[0].ident.to_string()),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "as_bytes" | "into" | "to_vec" | "as_slice" | "as_ref" | "to_owned"
                ) =>
            {
                self.is_literal_material(&m.receiver)
            }
            Expr::Call(c) if c.args.len() == 1 => match &*c.func {
                Expr::Path(p) => {
                    let name = last_ident(&p.path);
                    matches!(
                        name.as_str(),
                        "from_slice" | "from" | "clone_from_slice" | "decode" | "Some"
                    ) && self.is_literal_material(&c.args[0])
                }
                _ => false,
            },
            Expr::Macro(m) => {
                let name = last_ident(&m.mac.path);
                name == "hex" || name == "b64" || name == "base64"
            }
            _ => false,
        }
    }

    fn report(
        &mut self,
        cx: Option<&FnCx>,
        rule: &'static str,
        start: Span,
        end: Span,
        message: String,
    ) {
        let (line, column) = start_of(start);
        let (end_line, end_column) = end_of(end);
        let stmt_line = cx
            .map(|cx| cx.stmt_line)
            .filter(|l| *l > 0 && *l <= line)
            .unwrap_or(line);
        self.findings.push(RawFinding {
            rule,
            line,
            column,
            end_line,
            end_column,
            message,
            stmt_line,
            local_source: false,
        });
    }

    /// Report a tainted value reaching a sink.
    fn report_flow(
        &mut self,
        cx: &FnCx,
        kind: u16,
        taint: Taint,
        message: String,
        (start, end): (Span, Span),
    ) {
        self.report(Some(cx), rule_for_kind(kind), start, end, message);
        if let Some(last) = self.findings.last_mut() {
            last.local_source = cx.is_local(taint);
        }
    }

    fn finding(&self, cx: &FnCx, rule: &'static str, span: Span, message: String) -> RawFinding {
        let (line, column) = start_of(span);
        let (end_line, end_column) = end_of(span);
        let stmt_line = if cx.stmt_line > 0 && cx.stmt_line <= line {
            cx.stmt_line
        } else {
            line
        };
        RawFinding {
            rule,
            line,
            column,
            end_line,
            end_column,
            message,
            stmt_line,
            local_source: false,
        }
    }

    fn skip_as_test(&self, attrs: &[syn::Attribute]) -> bool {
        !self.include_tests && attrs.iter().any(is_test_attr)
    }

    /// Is there a `// SAFETY:` comment on `line`, on the lines of the
    /// statement that contains it, or in the comment block just above?
    fn has_safety_comment(&mut self, line: usize, stmt_line: usize) -> bool {
        let lines = self.comment_lines.get_or_insert_with(|| {
            let mut per_line: Vec<(bool, bool)> = self
                .lines
                .iter()
                .map(|text| {
                    let t = text.trim_start();
                    (
                        false,
                        t.starts_with("#[")
                            || t.starts_with("//")
                            || t.starts_with("/*")
                            || t.starts_with('*'),
                    )
                })
                .collect();
            for comment in crate::comments::comments(self.source) {
                let lower = comment.text.to_ascii_lowercase();
                if lower.contains("safety:") || lower.contains("# safety") {
                    let span = comment.text.lines().count().max(1);
                    for l in comment.line..comment.line + span {
                        if let Some(entry) = per_line.get_mut(l - 1) {
                            entry.0 = true;
                        }
                    }
                }
            }
            per_line
        });
        let at = |l: usize| {
            lines
                .get(l.wrapping_sub(1))
                .copied()
                .unwrap_or((false, false))
        };
        let first = stmt_line.min(line).max(1);
        if (first..=line).any(|l| at(l).0) {
            return true;
        }
        let mut l = first;
        while l > 1 {
            l -= 1;
            let (safety, comment_only) = at(l);
            if safety {
                return true;
            }
            if !comment_only {
                return false;
            }
        }
        false
    }

    // ---- functions --------------------------------------------------------

    fn analyze_fn(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature, block: &syn::Block) {
        if self.skip_as_test(attrs) {
            return;
        }
        let mut cx = FnCx {
            ctor: attrs.iter().any(is_ctor_attr),
            ..FnCx::default()
        };
        cx.secret_context = is_secret_generation_context(&sig.ident.to_string());
        // Rocket-style routes (`#[get("/<name>")]`) receive every parameter from the request.
        let route_params = attrs.iter().any(|a| {
            let name = last_ident(a.path());
            matches!(
                name.as_str(),
                "get" | "post" | "put" | "delete" | "patch" | "head" | "route"
            ) && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string().contains('<'))
        });
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let (ty_path, taint) = self.param_info(&mut cx, &pt.ty, route_params);
                let var = Var {
                    taint,
                    ty: ty_path,
                    ..Var::default()
                };
                self.bind_pat(&mut cx, &pt.pat, &var);
            }
        }
        self.eval_block(&mut cx, block);
        self.finish_fn(cx);
    }

    fn finish_fn(&mut self, cx: FnCx) {
        if !cx.secure_cookie_set {
            self.findings.extend(cx.deferred_cookie);
        }
        if !cx.sensitive_header_set {
            self.findings.extend(cx.deferred_header);
        }
    }

    /// The type path of a parameter, and its taint when it is request data.
    fn param_info(
        &mut self,
        cx: &mut FnCx,
        ty: &syn::Type,
        route_params: bool,
    ) -> (Option<String>, Taint) {
        let inner = match ty {
            syn::Type::Reference(r) => &*r.elem,
            other => other,
        };
        let syn::Type::Path(tp) = inner else {
            return (None, Taint::CLEAN);
        };
        let resolved = self.imports.resolve(&tp.path);
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
        if any_ends_with(&resolved, REQUEST_TYPES)
            && (from_web_crate
                || resolved.starts_with("hyper::")
                || resolved.starts_with("http::")
                || name == "HttpRequest")
        {
            let taint = cx.add_source("the HTTP request", line);
            return (Some(resolved), taint);
        }
        if route_params && !matches!(name.as_str(), "State" | "Db" | "Connection" | "Config") {
            let taint = cx.add_source("a route parameter", line);
            return (Some(resolved), taint);
        }
        (Some(resolved), Taint::CLEAN)
    }

    fn bind_pat(&mut self, cx: &mut FnCx, pat: &Pat, var: &Var) {
        match pat {
            Pat::Ident(pi) => {
                cx.vars.insert(pi.ident.to_string(), var.clone());
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
            // Destructured parts carry the value's taint, not its type facts.
            Pat::Tuple(t) => self.bind_parts(cx, t.elems.iter(), var.taint),
            Pat::TupleStruct(t) => self.bind_parts(cx, t.elems.iter(), var.taint),
            Pat::Struct(s) => self.bind_parts(cx, s.fields.iter().map(|f| &*f.pat), var.taint),
            Pat::Slice(s) => self.bind_parts(cx, s.elems.iter(), var.taint),
            Pat::Or(o) => o.cases.iter().for_each(|p| self.bind_pat(cx, p, var)),
            Pat::Paren(p) => self.bind_pat(cx, &p.pat, var),
            _ => {}
        }
    }

    fn bind_parts<'p>(
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

    fn eval_block(&mut self, cx: &mut FnCx, block: &syn::Block) -> Taint {
        let mut last = Taint::CLEAN;
        for stmt in &block.stmts {
            let saved_stmt_line = cx.stmt_line;
            cx.stmt_line = start_of(stmt.span()).0;
            last = self.eval_stmt(cx, stmt);
            cx.stmt_line = saved_stmt_line;
        }
        last
    }

    fn eval_stmt(&mut self, cx: &mut FnCx, stmt: &Stmt) -> Taint {
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

    fn pat_name(pat: &Pat) -> Option<String> {
        match pat {
            Pat::Ident(pi) => Some(pi.ident.to_string()),
            Pat::Type(pt) => Self::pat_name(&pt.pat),
            Pat::Reference(r) => Self::pat_name(&r.pat),
            _ => None,
        }
    }

    fn eval_local(&mut self, cx: &mut FnCx, local: &syn::Local) {
        let name = Self::pat_name(&local.pat);
        let secret_name = name.as_deref().is_some_and(is_secret_name_for_literal);
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
                    for (pat, taint) in tuple.elems.iter().zip(positions) {
                        self.bind_pat(
                            cx,
                            pat,
                            &Var {
                                taint,
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
            if secret_name {
                self.check_hardcoded_secret(Some(cx), name.as_deref().unwrap_or(""), &init.expr);
            }
            self.describe_init(cx, &init.expr, &mut var);
        }
        cx.secret_context = saved_secret;
        self.bind_pat(cx, &local.pat, &var);
    }

    /// Taints of each position of a tuple-valued expression: a tuple, or a
    /// `match`/`if`/block whose results are tuples. `None` when the shape is
    /// not visible (then the whole value's taint is used). Arms that diverge
    /// (`return`, `bail!`) contribute nothing.
    fn eval_tuple_positions(&mut self, cx: &mut FnCx, e: &Expr, n: usize) -> Option<Vec<Taint>> {
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
                    cx.stmt_line = start_of(stmt.span()).0;
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
                    if expr_diverges(&arm.body) {
                        self.eval(cx, &arm.body);
                        continue;
                    }
                    let positions = self.eval_tuple_positions(cx, &arm.body, n)?;
                    for (r, t) in result.iter_mut().zip(positions) {
                        *r = r.union(t);
                    }
                }
                Some(result)
            }
            _ => None,
        }
    }

    /// Facts about a variable that follow from how it was initialised.
    fn describe_init(&mut self, cx: &FnCx, init: &Expr, var: &mut Var) {
        let (methods, root) = chain(init);
        if methods.iter().any(|m| m.method == "canonicalize") {
            var.canonical = true;
        }
        if let Expr::Call(c) = root {
            if let Expr::Path(p) = &*c.func {
                let callee = self.imports.resolve(&p.path);
                if path_ends_with(&callee, "Command::new") {
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
                } else if path_ends_with(&callee, "Vec::with_capacity") && methods.is_empty() {
                    var.fresh_capacity = true;
                    var.ty = Some("Vec".into());
                } else if var.ty.is_none() {
                    // `Client::new()`, `Client::builder()...build()`, `OpenOptions::new()`.
                    let mut segments: Vec<&str> = callee.split("::").collect();
                    if segments.len() >= 2 {
                        segments.pop();
                        var.ty = Some(segments.join("::"));
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

    // ---- expressions ----------------------------------------------------------

    fn eval(&mut self, cx: &mut FnCx, e: &Expr) -> Taint {
        self.eval_ctx(cx, e, false)
    }

    fn eval_ctx(&mut self, cx: &mut FnCx, e: &Expr, as_receiver: bool) -> Taint {
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

    fn eval_node(&mut self, cx: &mut FnCx, e: &Expr, as_receiver: bool) -> Taint {
        match e {
            Expr::Lit(l) => {
                self.check_literal(Some(cx), &l.lit);
                Taint::CLEAN
            }
            Expr::Path(p) => {
                self.check_path(Some(cx), &p.path);
                if p.qself.is_none() && p.path.segments.len() == 1 {
                    let name = p.path.segments[0].ident.to_string();
                    cx.vars.get(&name).map(|v| v.taint).unwrap_or_default()
                } else {
                    Taint::CLEAN
                }
            }
            Expr::Call(c) => self.eval_call(cx, c),
            Expr::MethodCall(m) => self.eval_method(cx, m, as_receiver),
            Expr::Macro(m) => self.eval_macro(cx, &m.mac),
            Expr::Binary(b) => self.eval_binary(cx, b),
            Expr::Reference(r) => self.eval(cx, &r.expr),
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
            Expr::Field(f) => self.eval(cx, &f.base),
            Expr::Index(i) => {
                let base = self.eval(cx, &i.expr);
                self.eval(cx, &i.index);
                if lit_int(&i.index) == Some(0)
                    && var_of(&i.expr)
                        .and_then(|v| cx.vars.get(&v))
                        .is_some_and(|v| v.argv)
                {
                    self.report(
                        Some(cx),
                        id::TRUSTED_EXE_PATH,
                        i.span(),
                        i.span(),
                        "`argv[0]` is chosen by whoever starts the process".into(),
                    );
                }
                base
            }
            Expr::Try(t) => self.eval_ctx(cx, &t.expr, as_receiver),
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
            Expr::Block(b) => self.eval_block(cx, &b.block),
            Expr::Unsafe(u) => {
                let line = start_of(u.unsafe_token.span).0;
                if !self.has_safety_comment(line, cx.stmt_line) {
                    self.report(
                        Some(cx),
                        id::UNDOCUMENTED_UNSAFE,
                        u.unsafe_token.span,
                        u.unsafe_token.span,
                        "`unsafe` block without a `// SAFETY:` comment".into(),
                    );
                }
                self.eval_block(cx, &u.block)
            }
            Expr::Async(a) => self.eval_block(cx, &a.block),
            Expr::TryBlock(t) => self.eval_block(cx, &t.block),
            Expr::Const(c) => self.eval_block(cx, &c.block),
            Expr::If(i) => self.eval_if(cx, i),
            Expr::Let(l) => {
                let t = self.eval(cx, &l.expr);
                let var = Var {
                    taint: t,
                    ..Var::default()
                };
                self.bind_pat(cx, &l.pat, &var);
                Taint::CLEAN
            }
            Expr::Match(m) => {
                let scrutinee = self.eval(cx, &m.expr);
                let mut result = Taint::CLEAN;
                for arm in &m.arms {
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
                    // The value of a match is its arms' values: an allow-list
                    // match that maps input to literals yields clean data.
                    result = result.union(self.eval(cx, &arm.body));
                }
                result
            }
            Expr::ForLoop(f) => {
                let t = self.eval(cx, &f.expr);
                self.bind_pat(
                    cx,
                    &f.pat,
                    &Var {
                        taint: t,
                        ..Var::default()
                    },
                );
                self.eval_block(cx, &f.body);
                Taint::CLEAN
            }
            Expr::While(w) => {
                self.eval(cx, &w.cond);
                self.eval_block(cx, &w.body);
                Taint::CLEAN
            }
            Expr::Loop(l) => {
                self.eval_block(cx, &l.body);
                Taint::CLEAN
            }
            Expr::Closure(c) => {
                let param = cx.closure_param;
                cx.closure_param = Taint::CLEAN;
                for input in &c.inputs {
                    self.bind_pat(
                        cx,
                        input,
                        &Var {
                            taint: param,
                            ..Var::default()
                        },
                    );
                }
                self.eval(cx, &c.body)
            }
            Expr::Assign(a) => {
                let t = self.eval(cx, &a.right);
                match peel(&a.left) {
                    Expr::Path(_) => {
                        if let Some(name) = var_of(&a.left) {
                            let entry = cx.vars.entry(name).or_default();
                            entry.taint = t;
                        }
                    }
                    _ => {
                        self.eval(cx, &a.left);
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
                        if is_secret_name_for_literal(&name) {
                            self.check_hardcoded_secret(Some(cx), &name, &field.expr);
                        }
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
                    self.eval(cx, e);
                }
                Taint::CLEAN
            }
            Expr::Break(b) => {
                if let Some(e) = &b.expr {
                    self.eval(cx, e);
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

    fn eval_binary(&mut self, cx: &mut FnCx, b: &syn::ExprBinary) -> Taint {
        use syn::BinOp::*;
        let left = self.eval(cx, &b.left);
        let right = self.eval(cx, &b.right);
        match b.op {
            Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_) | And(_) | Or(_) => Taint::CLEAN,
            AddAssign(_) | SubAssign(_) | MulAssign(_) | BitOrAssign(_) | ShlAssign(_) => {
                if let Some(name) = var_of(&b.left) {
                    let entry = cx.vars.entry(name).or_default();
                    entry.taint = entry.taint.union(right);
                }
                Taint::CLEAN
            }
            Add(_) => left.union(right),
            // Arithmetic keeps only the size danger.
            _ => left.union(right).only(ALLOC),
        }
    }

    /// `if` with sanitising guards: `if ALLOWED.contains(&x) { .. }` cleans
    /// `x` in the branch; `if !ok(&x) { return }` cleans it afterwards.
    fn eval_if(&mut self, cx: &mut FnCx, i: &syn::ExprIf) -> Taint {
        self.eval(cx, &i.cond);
        let mut guards = Vec::new();
        let negated = self.guards(cx, &i.cond, &mut guards);
        let apply = |cx: &mut FnCx, guards: &[(String, u16)]| -> Vec<(String, Taint)> {
            let mut saved = Vec::new();
            for (name, kinds) in guards {
                if let Some(var) = cx.vars.get_mut(name) {
                    saved.push((name.clone(), var.taint));
                    var.taint = var.taint.without(*kinds);
                }
            }
            saved
        };
        let restore = |cx: &mut FnCx, saved: Vec<(String, Taint)>| {
            for (name, taint) in saved {
                if let Some(var) = cx.vars.get_mut(&name) {
                    var.taint = taint;
                }
            }
        };
        let then_taint = if negated {
            self.eval_block(cx, &i.then_branch)
        } else {
            let saved = apply(cx, &guards);
            let t = self.eval_block(cx, &i.then_branch);
            restore(cx, saved);
            t
        };
        let else_taint = match &i.else_branch {
            Some((_, e)) => {
                if negated {
                    let saved = apply(cx, &guards);
                    let t = self.eval(cx, e);
                    restore(cx, saved);
                    t
                } else {
                    self.eval(cx, e)
                }
            }
            None => Taint::CLEAN,
        };
        if negated && block_diverges(&i.then_branch) {
            // `if !allowed(&x) { return ...; }`: x is clean from here on.
            apply(cx, &guards);
        }
        then_taint.union(else_taint)
    }

    /// Collect variables a condition validates; returns whether the
    /// condition is negated (`!check`).
    fn guards(&self, cx: &FnCx, cond: &Expr, out: &mut Vec<(String, u16)>) -> bool {
        match peel(cond) {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                self.guards(cx, &u.expr, out);
                true
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
                        _ => {}
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
                for (side, other) in [(&b.left, &b.right), (&b.right, &b.left)] {
                    if let (Some(v), Expr::Lit(_)) = (var_of(side), peel(other)) {
                        out.push((v, INJECTION | ALLOC));
                    }
                }
                false
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                match name.as_str() {
                    "contains" | "contains_key" | "binary_search" => {
                        if let Some(v) = m.args.first().and_then(var_of) {
                            if var_of(&m.receiver).as_ref() != Some(&v) {
                                out.push((v, INJECTION));
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
                    "all" => {
                        let (methods, root) = chain(&m.receiver);
                        if methods
                            .first()
                            .is_some_and(|c| c.method == "chars" || c.method == "bytes")
                        {
                            if let Some(v) = var_of(root) {
                                out.push((v, INJECTION));
                            }
                        }
                    }
                    "is_match" => {
                        if let Some(v) = m.args.first().and_then(var_of) {
                            out.push((v, INJECTION));
                        }
                    }
                    _ => {}
                }
                false
            }
            Expr::Macro(m) if last_ident(&m.mac.path) == "matches" => {
                if let Some(first) = macros::parse_args(&m.mac.tokens).first() {
                    if let Some(v) = var_of(&first.expr) {
                        out.push((v, INJECTION | ALLOC));
                    }
                }
                false
            }
            Expr::Call(c) => {
                // `is_valid_name(&x)`, `validate(&x)`, `is_safe_path(&p)`.
                if let Expr::Path(p) = &*c.func {
                    let name = last_ident(&p.path);
                    if name.starts_with("is_valid")
                        || name.starts_with("is_safe")
                        || name.starts_with("is_allowed")
                        || name.starts_with("validate")
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

    fn eval_args(
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

    fn eval_call(&mut self, cx: &mut FnCx, c: &syn::ExprCall) -> Taint {
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
        let span = c.span();

        // Sinks.
        for group in CALL_SINKS {
            for sink in group.iter() {
                if let Some(t) = args.get(sink.arg) {
                    if t.has(sink.kind) && path_ends_with(&callee, sink.path) {
                        let message = format!(
                            "{} reaches {} (`{}`)",
                            cx.describe(*t),
                            sink.what,
                            short(&callee)
                        );
                        self.report_flow(cx, sink.kind, *t, message, (span, span));
                    }
                }
            }
        }

        let last = callee.rsplit("::").next().unwrap_or("");
        self.check_call_patterns(cx, c, &callee, last);

        // Sources (all local: the operator controls them).
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
                let line = start_of(span).0;
                return cx.add_local_source(format!("{what} (`{}`)", short(&callee)), line);
            }
        }
        // Sanitisers.
        for (path, kinds) in SANITIZER_FNS {
            if path_ends_with(&callee, path) {
                return default.without(*kinds);
            }
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

    fn check_call_patterns(&mut self, cx: &mut FnCx, c: &syn::ExprCall, callee: &str, last: &str) {
        let span = c.span();
        // Hard-coded key material.
        let type_segment = callee.rsplit("::").nth(1).unwrap_or("");
        let key_ctor = KEY_CONSTRUCTORS.contains(&last)
            || (matches!(last, "from_slice" | "new" | "from" | "clone_from_slice")
                && is_key_type(type_segment))
            || callee.ends_with("symm::encrypt")
            || callee.ends_with("symm::decrypt");
        if key_ctor && c.args.iter().any(|a| self.is_literal_material(a)) {
            self.report(
                Some(cx),
                id::HARDCODED_CRYPTO_KEY,
                span,
                span,
                format!(
                    "key or nonce for `{}` is written in the source",
                    short(callee)
                ),
            );
        }
        match last {
            "from_mode" => self.check_mode(cx, c.args.first(), span),
            "temp_dir" => {}
            "from_raw_parts" | "from_raw_parts_mut" => {
                if let Some(len) = c.args.get(1) {
                    if !is_const_like(len) {
                        self.report(
                            Some(cx),
                            id::RAW_PARTS_DYNAMIC_LENGTH,
                            span,
                            span,
                            format!("`{}` with a length that is not a constant", short(callee)),
                        );
                    }
                }
            }
            "spawn" if cx.ctor => {}
            _ => {}
        }
        if path_ends_with(callee, "Cookie::new") {
            let finding = self.finding(
                cx,
                id::INSECURE_COOKIE,
                span,
                "cookie created without `set_secure(true)`".into(),
            );
            cx.deferred_cookie.push(finding);
        }
    }

    fn check_mode(&mut self, cx: &mut FnCx, arg: Option<&Expr>, span: Span) {
        if let Some(mode) = arg.and_then(lit_int) {
            if mode & 0o002 != 0 {
                self.report(
                    Some(cx),
                    id::WORLD_WRITABLE,
                    span,
                    span,
                    format!("mode {mode:#o} lets every user write"),
                );
            }
        }
    }

    fn receiver_type(&self, cx: &FnCx, recv: &Expr) -> Option<String> {
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

    fn is_shell_command(&self, cx: &FnCx, recv: &Expr) -> bool {
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

    /// A warp filter chain: rooted at a `warp::` function or `warp::path!`.
    fn is_warp_filter(&self, recv: &Expr) -> bool {
        let (methods, root) = chain(recv);
        let is_warp = |e: &Expr| match e {
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if self.imports.resolve(&p.path).starts_with("warp::"))
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

    fn chain_has_http_response(&self, recv: &Expr) -> bool {
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

    fn eval_method(&mut self, cx: &mut FnCx, m: &syn::ExprMethodCall, as_receiver: bool) -> Taint {
        let recv = self.eval_ctx(cx, &m.receiver, true);
        let mut closure_taint = recv;
        if matches!(m.method.to_string().as_str(), "map" | "and_then" | "then")
            && self.is_warp_filter(&m.receiver)
        {
            // warp hands extracted request data to the handler closure.
            let line = start_of(m.method.span()).0;
            closure_taint = cx.add_source("request data (warp filter)", line);
        }
        let args = self.eval_args(cx, &m.args, closure_taint);
        let name = m.method.to_string();
        let span = m.method.span();
        let all_args = taint::union_all(args.iter().copied());
        self.check_method(cx, m, &name, &args, span);
        if let Some(var) = var_of(&m.receiver).and_then(|v| cx.vars.get_mut(&v)) {
            // Any use other than reserving may write the spare capacity.
            var.fresh_capacity = matches!(name.as_str(), "reserve" | "reserve_exact")
                || (var.fresh_capacity && name == "set_len");
        }
        if !as_receiver {
            self.check_chain_top(cx, m);
        }
        if let Some(turbofish) = &m.turbofish {
            for arg in &turbofish.args {
                if let syn::GenericArgument::Type(ty) = arg {
                    self.check_type(cx, ty);
                }
            }
        }

        match name.as_str() {
            // Values that carry no attacker-chosen text.
            "len" | "count" | "is_empty" | "contains" | "contains_key" | "starts_with"
            | "ends_with" | "eq" | "ne" | "cmp" | "partial_cmp" | "is_some" | "is_none"
            | "is_ok" | "is_err" | "exists" | "is_file" | "is_dir" | "hash" | "matches"
            | "is_match" | "chars_count" | "capacity" => Taint::CLEAN,
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
            "escape_debug" | "escape_default" => recv.without(LOG),
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
            "file_name" | "file_stem" => recv.without(PATH),
            // Mutation: the receiver variable absorbs the argument's taint.
            "push_str" | "push" | "extend" | "extend_from_slice" | "insert" | "insert_str"
            | "append" | "write_str" | "write_all" => {
                if let Some(v) = var_of(&m.receiver) {
                    let entry = cx.vars.entry(v).or_default();
                    entry.taint = entry.taint.union(all_args);
                }
                Taint::CLEAN
            }
            // Reads into a buffer argument.
            "read_line" | "read_to_string" | "read_to_end" | "read_exact" | "read" => {
                if recv.is_tainted() {
                    for arg in &m.args {
                        if let Some(v) = var_of(arg) {
                            let entry = cx.vars.entry(v).or_default();
                            entry.taint = entry.taint.union(recv);
                        }
                    }
                }
                recv
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

    fn report_sink(
        &mut self,
        cx: &FnCx,
        kind: u16,
        taint: Taint,
        what: &str,
        (start, end): (Span, Span),
    ) {
        if taint.has(kind) {
            let message = format!("{} reaches {what}", cx.describe(taint));
            self.report_flow(cx, kind, taint, message, (start, end));
        }
    }

    fn check_method(
        &mut self,
        cx: &mut FnCx,
        m: &syn::ExprMethodCall,
        name: &str,
        args: &[Taint],
        span: Span,
    ) {
        let arg0 = args.first().copied().unwrap_or_default();
        let full_span = m.span();
        match name {
            // SQL execution on a database handle.
            "execute" | "execute_batch" | "query" | "query_row" | "query_map" | "query_one"
            | "query_opt" | "query_raw" | "prepare" | "prepare_cached" | "batch_execute"
            | "simple_query" | "fetch_all" | "fetch_one" | "fetch_optional" => {
                let http_builder = {
                    let (methods, _) = chain(&m.receiver);
                    methods.iter().any(|c| {
                        matches!(
                            c.method.to_string().as_str(),
                            "get"
                                | "post"
                                | "put"
                                | "delete"
                                | "patch"
                                | "request"
                                | "header"
                                | "bearer_auth"
                        )
                    }) || self.receiver_type(cx, &m.receiver).is_some_and(|t| {
                        HTTP_CLIENT_TYPES.iter().any(|h| path_ends_with(&t, h))
                            || t.contains("RequestBuilder")
                    })
                };
                let arg_is_params = m
                    .args
                    .first()
                    .is_some_and(|a| matches!(peel(a), Expr::Array(_) | Expr::Tuple(_)));
                if !http_builder && !arg_is_params {
                    self.report_sink(
                        cx,
                        taint::SQL,
                        arg0,
                        &format!("a SQL query (`.{name}()`)"),
                        (span, full_span),
                    );
                }
            }
            "arg" | "args" | "raw_arg" if self.is_shell_command(cx, &m.receiver) => {
                self.report_sink(
                    cx,
                    taint::COMMAND,
                    arg0,
                    "a shell command line",
                    (span, full_span),
                );
            }
            "open" => {
                let ty = self.receiver_type(cx, &m.receiver).unwrap_or_default();
                let (_, root) = chain(&m.receiver);
                let from_options = ty.ends_with("OpenOptions")
                    || matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "options"));
                if from_options {
                    self.report_sink(
                        cx,
                        taint::PATH,
                        arg0,
                        "a file system path (`OpenOptions::open`)",
                        (span, full_span),
                    );
                }
            }
            "get" | "post" | "put" | "patch" | "delete" | "head" | "request" => {
                let ty = self.receiver_type(cx, &m.receiver).unwrap_or_default();
                if HTTP_CLIENT_TYPES.iter().any(|h| path_ends_with(&ty, h)) {
                    let url = if name == "request" {
                        args.get(1).copied().unwrap_or_default()
                    } else {
                        arg0
                    };
                    self.report_sink(
                        cx,
                        taint::URL,
                        url,
                        "the URL of an outgoing HTTP request",
                        (span, full_span),
                    );
                }
            }
            "uri" => self.report_sink(
                cx,
                taint::URL,
                arg0,
                "the URI of an outgoing HTTP request",
                (span, full_span),
            ),
            "body" => {
                let (methods, _) = chain(&m.receiver);
                let html = methods.iter().any(|c| {
                    (c.method == "content_type"
                        || c.method == "insert_header"
                        || c.method == "header")
                        && c.args.iter().any(tokens_mention_html)
                });
                if html {
                    self.report_sink(
                        cx,
                        taint::HTML,
                        arg0,
                        "an HTML response body",
                        (span, full_span),
                    );
                }
            }
            "reserve" | "reserve_exact" | "resize" | "repeat" | "with_capacity" => {
                self.report_sink(
                    cx,
                    ALLOC,
                    arg0,
                    &format!("an allocation size (`.{name}()`)"),
                    (span, full_span),
                );
            }
            "deserialize" | "deserialize_from" => {
                let (_, root) = chain(&m.receiver);
                let bincode = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if self.imports.resolve(&p.path).starts_with("bincode")));
                if bincode {
                    self.report_sink(
                        cx,
                        taint::DESER,
                        arg0,
                        "a deserialiser that trusts its input (`bincode`)",
                        (span, full_span),
                    );
                }
            }
            // A non-literal argument is a user's explicit `--insecure`
            // choice wired through; the literal `true` is the bug.
            "danger_accept_invalid_certs" | "danger_accept_invalid_hostnames"
                if m.args.first().and_then(lit_bool) == Some(true) =>
            {
                self.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    full_span,
                    format!("`{name}` turns off TLS verification"),
                );
            }
            "verify_hostname" | "set_verify_hostname"
                if m.args.first().and_then(lit_bool) == Some(false) =>
            {
                self.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    full_span,
                    "hostname verification turned off".into(),
                );
            }
            "with_custom_certificate_verifier" | "set_certificate_verifier" => {
                self.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    full_span,
                    format!("`{name}` replaces rustls certificate verification"),
                );
            }
            "set_verify_callback" => {
                let accepts_all = m.args.iter().any(
                    |a| matches!(peel(a), Expr::Closure(c) if lit_bool(&c.body) == Some(true)),
                );
                if accepts_all {
                    self.report(
                        Some(cx),
                        id::TLS_VERIFICATION_DISABLED,
                        span,
                        full_span,
                        "verify callback accepts every certificate".into(),
                    );
                }
            }
            "secure" | "set_secure" | "http_only" | "set_http_only" => {
                match m.args.first().and_then(lit_bool) {
                    Some(false) => self.report(
                        Some(cx),
                        id::INSECURE_COOKIE,
                        span,
                        full_span,
                        format!("cookie built with `{name}(false)`"),
                    ),
                    Some(true) if name == "set_secure" => cx.secure_cookie_set = true,
                    _ => {}
                }
            }
            "set_sensitive" if m.args.first().and_then(lit_bool) == Some(true) => {
                cx.sensitive_header_set = true
            }
            "allow_any_origin" | "send_wildcard" => {
                self.report(
                    Some(cx),
                    id::PERMISSIVE_CORS,
                    span,
                    full_span,
                    format!("`{name}()` lets every origin call the API"),
                );
            }
            "allow_origin" | "allowed_origin" => {
                let any = m.args.first().is_some_and(|a| {
                    lit_str(a).as_deref() == Some("*")
                        || matches!(peel(a), Expr::Path(p) if last_ident(&p.path) == "Any")
                });
                if any {
                    self.report(
                        Some(cx),
                        id::PERMISSIVE_CORS,
                        span,
                        full_span,
                        "CORS origin `*` lets every origin call the API".into(),
                    );
                }
            }
            "mode" | "set_mode" => self.check_mode(cx, m.args.first(), full_span),
            "join" => {
                let (_, root) = chain(&m.receiver);
                let from_temp = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if path_ends_with(&self.imports.resolve(&p.path), "std::env::temp_dir")));
                if from_temp && m.args.first().and_then(lit_str).is_some() {
                    self.report(
                        Some(cx),
                        id::PREDICTABLE_TEMP_FILE,
                        span,
                        full_span,
                        "fixed file name in the shared temporary directory".into(),
                    );
                }
            }
            "next" | "nth" => {
                let first = name == "next" || m.args.first().and_then(lit_int) == Some(0);
                let (_, root) = chain(&m.receiver);
                let from_args = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if { let r = self.imports.resolve(&p.path); path_ends_with(&r, "std::env::args") || path_ends_with(&r, "std::env::args_os") }));
                if first && from_args && chain(&m.receiver).0.is_empty() {
                    self.report(
                        Some(cx),
                        id::TRUSTED_EXE_PATH,
                        span,
                        full_span,
                        "`argv[0]` is chosen by whoever starts the process".into(),
                    );
                }
            }
            "assume_init" => {
                let (_, root) = chain(&m.receiver);
                let uninit = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if matches!(last_ident(&p.path).as_str(), "uninit" | "uninit_array")));
                if uninit {
                    self.report(
                        Some(cx),
                        id::UNINITIALIZED_MEMORY,
                        span,
                        full_span,
                        "`assume_init` on memory that was never written".into(),
                    );
                }
            }
            "set_len" => {
                let fresh = var_of(&m.receiver)
                    .and_then(|v| cx.vars.get(&v))
                    .is_some_and(|v| v.fresh_capacity);
                if fresh {
                    self.report(Some(cx), id::UNINITIALIZED_MEMORY, span, full_span, "`set_len` right after reserving capacity exposes elements that were never written".into());
                }
            }
            "get_unchecked" | "get_unchecked_mut"
                if m.args.first().is_some_and(|a| !is_const_like(a)) =>
            {
                self.report(
                    Some(cx),
                    id::GET_UNCHECKED_DYNAMIC_INDEX,
                    span,
                    full_span,
                    format!("`{name}` with an index that is not a constant"),
                );
            }
            "insert" | "append" | "header" | "insert_header" | "append_header" => {
                let key = match m.args.first().map(peel) {
                    Some(Expr::Tuple(t)) => t.elems.first(),
                    _ => m.args.first(),
                };
                let is_auth = key.is_some_and(|k| match peel(k) {
                    Expr::Path(p) => matches!(
                        last_ident(&p.path).as_str(),
                        "AUTHORIZATION" | "PROXY_AUTHORIZATION"
                    ),
                    other => lit_str(other).is_some_and(|s| {
                        s.eq_ignore_ascii_case("authorization")
                            || s.eq_ignore_ascii_case("proxy-authorization")
                    }),
                });
                if is_auth {
                    let finding = self.finding(
                        cx,
                        id::SENSITIVE_HEADER,
                        span,
                        "`Authorization` header value not marked with `set_sensitive(true)`".into(),
                    );
                    cx.deferred_header.push(finding);
                }
            }
            _ => {}
        }
    }

    /// Checks that need a whole builder chain (`Cookie::build(..).secure(true)...`).
    fn check_chain_top(&mut self, cx: &mut FnCx, m: &syn::ExprMethodCall) {
        let outer = Expr::MethodCall(m.clone());
        let (methods, root) = chain(&outer);
        let Expr::Call(c) = root else { return };
        let Expr::Path(p) = &*c.func else { return };
        let callee = self.imports.resolve(&p.path);
        if path_ends_with(&callee, "Cookie::build") || path_ends_with(&callee, "CookieBuilder::new")
        {
            let secure = methods.iter().any(|c| c.method == "secure");
            let http_only = methods.iter().any(|c| c.method == "http_only");
            if !secure || !http_only {
                let missing = match (secure, http_only) {
                    (false, false) => "`secure(true)` and `http_only(true)`",
                    (false, true) => "`secure(true)`",
                    _ => "`http_only(true)`",
                };
                self.report(
                    Some(cx),
                    id::INSECURE_COOKIE,
                    c.span(),
                    c.span(),
                    format!("cookie built without {missing}"),
                );
            }
        }
    }

    // ---- macros --------------------------------------------------------------

    fn eval_macro(&mut self, cx: &mut FnCx, mac: &syn::Macro) -> Taint {
        let name = last_ident(&mac.path);
        let resolved = if mac.path.segments.len() == 1 {
            self.imports.resolve_ident(&name)
        } else {
            self.imports.resolve(&mac.path)
        };
        if name == "vec" {
            if let Some(body) = macros::parse_vec_body(&mac.tokens) {
                if let Expr::Repeat(r) = &body {
                    let elem = self.eval(cx, &r.expr);
                    let len = self.eval(cx, &r.len);
                    self.report_sink(
                        cx,
                        ALLOC,
                        len,
                        "an allocation size (`vec![_; n]`)",
                        (r.len.span(), r.len.span()),
                    );
                    return elem;
                }
                return self.eval(cx, &body);
            }
            return Taint::CLEAN;
        }
        let args = macros::parse_args(&mac.tokens);
        let is_print = matches!(
            name.as_str(),
            "println" | "eprintln" | "print" | "eprint" | "dbg"
        );
        let is_log = matches!(
            name.as_str(),
            "info" | "warn" | "error" | "debug" | "trace" | "event" | "log"
        ) && (resolved.starts_with("log::")
            || resolved.starts_with("tracing::")
            || mac.path.segments.len() == 1);
        if cx.ctor && !cx.ctor_reported && (is_print || resolved.starts_with("std::")) {
            cx.ctor_reported = true;
            let span = mac.path.span();
            self.report(
                Some(cx),
                id::CTOR_USES_STD,
                span,
                span,
                format!("`{name}!` uses std before `main` runs"),
            );
        }

        // Evaluate every argument once; remember taints by position.
        let taints: Vec<Taint> = args.iter().map(|a| self.eval(cx, &a.expr)).collect();
        let fmt_index = args.iter().position(|a| {
            a.name.is_none()
                && matches!(
                    a.expr,
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(_),
                        ..
                    })
                )
        });

        // How each argument is rendered: by its placeholder, or its sigil.
        let mut rendered: Vec<(usize, Render)> = Vec::new();
        let mut captured: Vec<(String, Render, Span)> = Vec::new();
        if let Some(fi) = fmt_index {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &args[fi].expr
            {
                let positional: Vec<usize> = (fi + 1..args.len())
                    .filter(|i| args[*i].name.is_none())
                    .collect();
                let mut next = 0;
                for ph in macros::placeholders(&s.value()) {
                    let target = match &ph.arg {
                        ArgRef::Next => {
                            next += 1;
                            positional.get(next - 1).copied()
                        }
                        ArgRef::Index(n) => positional.get(*n).copied(),
                        ArgRef::Name(n) => {
                            let named = (fi + 1..args.len())
                                .find(|i| args[*i].name.as_deref() == Some(n.as_str()));
                            if named.is_none() {
                                captured.push((n.clone(), ph.render, s.span()));
                            }
                            named
                        }
                    };
                    if let Some(t) = target {
                        rendered.push((t, ph.render));
                    }
                }
            }
        }
        for (i, arg) in args.iter().enumerate() {
            if Some(i) == fmt_index || fmt_index.is_some_and(|fi| i > fi && arg.name.is_none()) {
                continue;
            }
            if fmt_index.is_some_and(|fi| i > fi) {
                continue; // named format arguments: rendered through placeholders
            }
            // tracing fields / args without a format string.
            let render = arg.sigil.unwrap_or(if is_log && arg.name.is_some() {
                Render::Debug
            } else {
                Render::Display
            });
            rendered.push((i, render));
        }

        if is_log || is_print {
            for (i, render) in &rendered {
                let arg = &args[*i];
                if is_log && *render == Render::Display {
                    self.report_sink(
                        cx,
                        LOG,
                        taints[*i],
                        &format!("a log entry (`{name}!`)"),
                        (arg.expr.span(), arg.expr.span()),
                    );
                }
                let secret = arg
                    .name
                    .as_deref()
                    .filter(|n| is_secret_name(n))
                    .map(str::to_string)
                    .or_else(|| secret_expr_name(&arg.expr));
                if let Some(secret) = secret {
                    self.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        arg.expr.span(),
                        arg.expr.span(),
                        format!(
                            "`{secret}` is written to {}",
                            if is_log { "the log" } else { "the console" }
                        ),
                    );
                }
            }
            for (ident, render, span) in &captured {
                let t = cx.vars.get(ident).map(|v| v.taint).unwrap_or_default();
                if is_log && *render == Render::Display {
                    self.report_sink(
                        cx,
                        LOG,
                        t,
                        &format!("a log entry (`{name}!`)"),
                        (*span, *span),
                    );
                }
                if is_secret_name(ident) {
                    self.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        *span,
                        *span,
                        format!(
                            "`{ident}` is written to {}",
                            if is_log { "the log" } else { "the console" }
                        ),
                    );
                }
            }
        }

        // The macro's value: formatted text carries its arguments' taint
        // (Debug rendering escapes control characters, so not LOG).
        let mut result = Taint::CLEAN;
        for (i, render) in &rendered {
            let t = taints[*i];
            result = result.union(if *render == Render::Debug {
                t.without(LOG)
            } else {
                t
            });
        }
        for (ident, render, _) in &captured {
            let t = cx.vars.get(ident).map(|v| v.taint).unwrap_or_default();
            result = result.union(if *render == Render::Debug {
                t.without(LOG)
            } else {
                t
            });
        }
        if fmt_index.is_none() {
            result = result.union(taint::union_all(taints.iter().copied()));
        }
        if matches!(name.as_str(), "write" | "writeln") {
            if let Some(target) = args.first().and_then(|a| var_of(&a.expr)) {
                let entry = cx.vars.entry(target).or_default();
                entry.taint = entry.taint.union(result);
            }
            return Taint::CLEAN;
        }
        if name == "matches"
            || name.starts_with("assert")
            || name.starts_with("debug_assert")
            || is_print
            || is_log
        {
            return Taint::CLEAN;
        }
        result
    }

    // ---- paths, types, literals ------------------------------------------------

    fn check_type(&mut self, cx: &mut FnCx, ty: &syn::Type) {
        if let syn::Type::Path(tp) = ty {
            self.check_path(Some(cx), &tp.path);
        }
    }

    fn check_path(&mut self, cx: Option<&mut FnCx>, path: &syn::Path) {
        // Generic arguments first (`Hmac<Sha1>`, `Hmac::<Sha1>::new`).
        let mut cx = cx;
        for segment in &path.segments {
            if let syn::PathArguments::AngleBracketed(ab) = &segment.arguments {
                for arg in &ab.args {
                    if let syn::GenericArgument::Type(syn::Type::Path(tp)) = arg {
                        self.check_path(cx.as_deref_mut(), &tp.path);
                    }
                }
            }
        }
        let resolved = self.imports.resolve(path);
        let span = path.span();
        for group in PATH_RULES {
            for rule in group.iter() {
                if path_matches(&resolved, rule.pattern) {
                    let message = format!("{} (`{}`)", rule.message, short(&resolved));
                    self.report(cx.as_deref(), rule.rule, span, span, message);
                }
            }
        }
        if let Some(cx) = cx {
            if cx.secret_context && WEAK_RNG_PATTERNS.iter().any(|p| path_matches(&resolved, p)) {
                let message = format!(
                    "secret generated with a predictable generator (`{}`)",
                    short(&resolved)
                );
                self.report(Some(cx), id::INSECURE_RANDOMNESS, span, span, message);
            }
            if cx.ctor
                && !cx.ctor_reported
                && STD_ONLY_PREFIXES
                    .iter()
                    .any(|p| path_matches(&resolved, p) && resolved.starts_with("std::"))
            {
                cx.ctor_reported = true;
                self.report(
                    Some(cx),
                    id::CTOR_USES_STD,
                    span,
                    span,
                    format!("`{}` used before `main` runs", short(&resolved)),
                );
            }
        }
    }

    fn check_literal(&mut self, cx: Option<&FnCx>, lit: &syn::Lit) {
        let value = match lit {
            syn::Lit::Str(s) => s.value(),
            syn::Lit::ByteStr(b) => String::from_utf8_lossy(&b.value()).into_owned(),
            _ => return,
        };
        let span = lit.span();
        if value.len() >= 16 {
            let matches = leaked_credential_patterns().matches(&value);
            if let Some(first) = matches.iter().next() {
                let what = CREDENTIAL_NAMES
                    .get(first)
                    .copied()
                    .unwrap_or("a credential");
                self.report(
                    cx,
                    id::LEAKED_CREDENTIAL,
                    span,
                    span,
                    format!("string literal contains {what}"),
                );
            }
        }
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
                self.report(
                    cx,
                    id::CLEARTEXT_URL,
                    span,
                    span,
                    format!("`{shown}` is fetched without TLS"),
                );
            }
        }
        if ["/tmp/", "/var/tmp/", "/dev/shm/"]
            .iter()
            .any(|p| value.starts_with(p) && value.len() > p.len())
        {
            self.report(
                cx,
                id::PREDICTABLE_TEMP_FILE,
                span,
                span,
                format!("fixed path `{value}` in a shared temporary directory"),
            );
        }
    }

    fn check_hardcoded_secret(&mut self, cx: Option<&FnCx>, name: &str, e: &Expr) {
        let Some(value) = lit_str(e) else { return };
        let placeholder = value.len() < 4
            || value.contains(char::is_whitespace)
            || value.starts_with(['$', '{', '<', '%', '/'])
            || value
                .chars()
                .all(|c| c == value.chars().next().unwrap_or('x'))
            || (value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
                && value.contains('_'))
            || value.eq_ignore_ascii_case("redacted")
            || value.contains("://");
        if !placeholder {
            let span = e.span();
            self.report(
                cx,
                id::HARDCODED_SECRET,
                span,
                span,
                format!("`{name}` is set from a string literal"),
            );
        }
    }

    fn analyze_item_expr(&mut self, name: &str, e: &Expr) {
        let mut cx = FnCx::default();
        if is_secret_name_for_literal(name) {
            self.check_hardcoded_secret(None, name, e);
        }
        cx.secret_context = is_secret_generation_context(name);
        self.eval(&mut cx, e);
        self.finish_fn(cx);
    }

    fn check_unsafe_impl(&mut self, item: &syn::ItemImpl) {
        let Some(unsafety) = item.unsafety else {
            return;
        };
        let line = start_of(unsafety.span).0;
        if !self.has_safety_comment(line, line) {
            self.report(
                None,
                id::UNDOCUMENTED_UNSAFE,
                unsafety.span,
                unsafety.span,
                "`unsafe impl` without a `// SAFETY:` comment".into(),
            );
        }
        let Some((_, trait_path, _)) = &item.trait_ else {
            return;
        };
        let trait_name = last_ident(trait_path);
        if trait_name != "Send" && trait_name != "Sync" {
            return;
        }
        // `Send` needs `T: Send`; `Sync` is sound with `T: Sync`, or with
        // `T: Send` for types that hand out `T` under a lock (like `Mutex`).
        let accepted: &[&str] = if trait_name == "Send" {
            &["Send"]
        } else {
            &["Sync", "Send"]
        };
        for param in item.generics.type_params() {
            let mut bounded = param
                .bounds
                .iter()
                .any(|b| accepted.iter().any(|t| bound_names(b, t)));
            if let Some(where_clause) = &item.generics.where_clause {
                for predicate in &where_clause.predicates {
                    if let syn::WherePredicate::Type(pt) = predicate {
                        // `T: Sync` or `T::Target: Sync` both constrain T.
                        let about_param = matches!(&pt.bounded_ty, syn::Type::Path(tp) if tp.path.segments.first().is_some_and(|s| s.ident == param.ident));
                        if about_param
                            && pt
                                .bounds
                                .iter()
                                .any(|b| accepted.iter().any(|t| bound_names(b, t)))
                        {
                            bounded = true;
                        }
                    }
                }
            }
            if !bounded {
                let span = item.impl_token.span;
                self.report(
                    None,
                    id::UNSAFE_SEND_SYNC,
                    span,
                    item.self_ty.span(),
                    format!(
                        "`unsafe impl {trait_name}` does not require `{}: {trait_name}`",
                        param.ident
                    ),
                );
            }
        }
    }

    /// A rustls verifier whose `verify_server_cert` returns success without
    /// verifying anything.
    fn check_cert_verifier_impl(&mut self, item: &syn::ItemImpl) {
        let Some((_, trait_path, _)) = &item.trait_ else {
            return;
        };
        let trait_name = last_ident(trait_path);
        if trait_name != "ServerCertVerifier" && trait_name != "ClientCertVerifier" {
            return;
        }
        for impl_item in &item.items {
            if let syn::ImplItem::Fn(f) = impl_item {
                let name = f.sig.ident.to_string();
                if name != "verify_server_cert" && name != "verify_client_cert" {
                    continue;
                }
                let body = quote::ToTokens::to_token_stream(&f.block).to_string();
                let delegates = body.contains("verify_server_cert")
                    || body.contains("verify_client_cert")
                    || body.contains("verify_server_name")
                    || body.contains("verify_signature")
                    || body.contains("Err");
                if body.contains("assertion") && !delegates {
                    let span = f.sig.ident.span();
                    self.report(
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

/// Parts of std that need the runtime (unlike `core` re-exports such as
/// atomics, `ptr` and `mem`, which are fine before `main`).
const STD_ONLY_PREFIXES: &[&str] = &[
    "std::io",
    "std::fs",
    "std::thread",
    "std::env",
    "std::process",
    "std::net",
    "std::path",
    "std::os",
    "std::sync::Mutex",
    "std::sync::RwLock",
    "std::sync::mpsc",
    "std::time::SystemTime",
    "std::time::Instant",
    "std::collections",
];

/// Environment variables cargo and the toolchain set for builds and tools.
fn is_toolchain_env(name: &str) -> bool {
    name.starts_with("CARGO")
        || name.starts_with("RUSTC")
        || name.starts_with("DEP_")
        || matches!(
            name,
            "RUSTDOC"
                | "RUSTFLAGS"
                | "OUT_DIR"
                | "TARGET"
                | "HOST"
                | "PROFILE"
                | "OPT_LEVEL"
                | "DEBUG"
                | "NUM_JOBS"
                | "CC"
                | "CXX"
                | "AR"
                | "RUSTUP_TOOLCHAIN"
                // The operator's own directories, used to find configuration.
                | "HOME"
                | "USERPROFILE"
                | "APPDATA"
                | "LOCALAPPDATA"
                | "TMPDIR"
                | "TEMP"
                | "TMP"
                | "DOCKER_CONFIG"
                | "KUBECONFIG"
        )
        || name.starts_with("XDG_")
}

fn bound_names(bound: &syn::TypeParamBound, trait_name: &str) -> bool {
    matches!(bound, syn::TypeParamBound::Trait(tb) if tb.path.segments.last().is_some_and(|s| s.ident == trait_name))
}

fn tokens_mention_html(e: &Expr) -> bool {
    quote::ToTokens::to_token_stream(e)
        .to_string()
        .to_ascii_lowercase()
        .contains("html")
}

/// A length or index that is a compile-time constant.
fn is_const_like(e: &Expr) -> bool {
    match peel(e) {
        Expr::Lit(_) => true,
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }),
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if last_ident(&p.path).starts_with("size_of"))
        }
        Expr::Binary(b) => is_const_like(&b.left) && is_const_like(&b.right),
        Expr::Cast(c) => is_const_like(&c.expr),
        _ => false,
    }
}

/// If an expression names a secret (`password`, `self.api_key`,
/// `creds.token.as_str()`), that name; `password.len()` does not.
fn secret_expr_name(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Path(p) => {
            let name = last_ident(&p.path);
            is_secret_name(&name).then_some(name)
        }
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) if is_secret_name(&n.to_string()) => Some(n.to_string()),
            _ => None,
        },
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
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
        _ => None,
    }
}

fn rule_for_kind(kind: u16) -> &'static str {
    match kind {
        taint::SQL => id::SQL_INJECTION,
        taint::COMMAND => id::COMMAND_INJECTION,
        taint::PATH => id::PATH_TRAVERSAL,
        taint::URL => id::SSRF,
        taint::HTML => id::XSS,
        taint::REGEX => id::REGEX_INJECTION,
        taint::LOG => id::LOG_INJECTION,
        taint::DESER => id::UNSAFE_DESERIALIZATION,
        _ => id::UNBOUNDED_ALLOCATION,
    }
}

/// The last two segments of a path, for messages.
fn short(path: &str) -> String {
    let segments: Vec<&str> = path.rsplitn(3, "::").collect();
    match segments.as_slice() {
        [last, prev, ..] => format!("{prev}::{last}"),
        _ => path.to_string(),
    }
}

impl<'ast> Visit<'ast> for FileAnalyzer<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.analyze_fn(&f.attrs, &f.sig, &f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.analyze_fn(&f.attrs, &f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.analyze_fn(&f.attrs, &f.sig, block);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !self.skip_as_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if self.skip_as_test(&item.attrs) {
            return;
        }
        self.check_unsafe_impl(item);
        self.check_cert_verifier_impl(item);
        syn::visit::visit_item_impl(self, item);
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        if !self.skip_as_test(&c.attrs) {
            self.analyze_item_expr(&c.ident.to_string(), &c.expr);
        }
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        if !self.skip_as_test(&s.attrs) {
            self.analyze_item_expr(&s.ident.to_string(), &s.expr);
        }
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.analyze_item_expr(&c.ident.to_string(), &c.expr);
    }

    // Macros at item level (`lazy_static!`, `thread_local!`) are opaque.
    fn visit_item_macro(&mut self, _: &'ast syn::ItemMacro) {}
}

/// The module path this file's functions live in is not needed: ids are
/// reported per file. Exposed for tests.
#[cfg(test)]
pub(crate) fn analyze_source(source: &str) -> Vec<RawFinding> {
    let Ok(file) = syn::parse_file(source) else {
        return Vec::new();
    };
    let mut analyzer = FileAnalyzer::new("src/lib.rs", source, false);
    analyzer.add_context(&file);
    analyzer.run(&file);
    analyzer.findings
}

/// True when every type argument of an extractor is a number or `bool`
/// (possibly in a tuple), which the framework parses before the handler runs.
fn extracts_only_scalars(arguments: &syn::PathArguments) -> bool {
    fn scalar(ty: &syn::Type) -> bool {
        match ty {
            syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(scalar),
            syn::Type::Path(p) => {
                p.qself.is_none()
                    && p.path.get_ident().is_some_and(|i| {
                        let name = i.to_string();
                        name == "bool" || is_numeric_type_name(&name)
                    })
            }
            _ => false,
        }
    }
    let syn::PathArguments::AngleBracketed(args) = arguments else {
        return false;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let Some(first) = types.next() else {
        return false;
    };
    scalar(first) && types.all(scalar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_regexes_compile() {
        assert!(!leaked_credential_patterns().is_empty());
        assert_eq!(leaked_credential_patterns().len(), CREDENTIAL_NAMES.len());
    }

    #[test]
    fn taint_flows_through_let_format_and_push_str() {
        let src = r#"
            fn handler() {
                let name = std::env::args().nth(1).unwrap();
                let mut q = String::from("SELECT * FROM t WHERE n = '");
                q.push_str(&name);
                let q2 = format!("{q}'");
                conn.execute(&q2, []).unwrap();
            }
        "#;
        let findings = analyze_source(src);
        assert!(
            findings
                .iter()
                .any(|f| f.rule == id::SQL_INJECTION && f.line == 7),
            "{findings:?}"
        );
    }
}
