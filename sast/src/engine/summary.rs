//! Interprocedural taint: function summaries.
//!
//! Before a file's functions are analysed they are ordered callee-first
//! over the file's call graph (free functions by name, methods by
//! `Type::name` through their `impl` block, `self.m()` and `Self::m()`
//! through the enclosing impl, `x.m()` when only one local type has a
//! method `m`). Each function is then analysed once with its parameters
//! bound to parameter taints ([`Taint::from_param`]); what reaches a sink
//! or the return value becomes its [`Summary`]. A call to a summarised
//! function applies the summary: arguments that reach a sink inside the
//! callee are reported at that sink, with the path (source, call, sink) in
//! the message and the finding's flow; the call's value is what the callee
//! returns (its own sources, and the arguments that flow through). When
//! the call graph has cycles, summaries are first iterated to a fixpoint
//! with findings discarded.

use super::*;
use crate::engine::HashMap;
use syn::visit::Visit;

/// A parameter of the function that reaches a sink inside it (or inside a
/// function it calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParamSink {
    /// Parameters (bit i: parameter i, `self` first) that reach it.
    pub params: u16,
    pub kind: u16,
    /// The sink, for messages (`a SQL query (`.execute()`)`).
    pub what: String,
    /// Where the sink is.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub stmt_line: usize,
    /// The calls between the summarised function and the sink, innermost
    /// last: (line, description, file when not the summarised function's).
    pub via: Vec<Step>,
    /// The file the sink is in, when it is not the file being analysed
    /// (a summary imported from another file of the crate).
    pub file: Option<String>,
    /// The parameter's text was pasted into a larger string on the way
    /// ([`crate::taint::BUILT`]).
    pub built: bool,
    /// A public function on the way already reported it (see
    /// [`report_public`]).
    pub reported: bool,
}

/// One step of a flow: line, description, and the file it is in when that
/// is not the file being analysed.
pub(crate) type Step = (usize, String, Option<String>);

/// What a caller needs to know about a function.
/// What a function returning a dangling pointer returns (`dangling-pointer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DanglingReturn {
    /// What the pointer pointed into, for messages ("its local `buf`",
    /// "a temporary").
    pub into: String,
    /// The element of a returned tuple that holds the pointer (`(p, len)`);
    /// `None` when it is the whole value (a pointer, or a struct with one
    /// in a field).
    pub element: Option<usize>,
    /// Where (line, column) the return is reported in the helper's file
    /// (line 0: elsewhere): a caller's use in the same file carries it as
    /// the first step of its flow, and the return's own finding is then
    /// dropped as the same bug (`RawFinding::covers`).
    pub at: (usize, usize),
}

/// Where a function prints or logs some of its parameters (see
/// [`Summary::logged_params`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LoggedParam {
    pub params: u16,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// `the log` or `the console`.
    pub sink: &'static str,
    /// The file of the function when the summary is another file's.
    pub file: Option<String>,
}

/// At most this many [`LoggedParam`]s per function.
pub(crate) const MAX_LOGGED_PARAMS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Parameters whose value reaches the return value, and the kinds for
    /// which it is still dangerous there.
    pub ret_params: u16,
    pub ret_pkinds: u16,
    /// Of `ret_params`, those returned made safe for `ret_skinds` on
    /// every way (`self.root.join(checked(name))`: `name` is no path).
    pub ret_sanitized: u16,
    pub ret_skinds: u16,
    /// A source whose data the function returns: kinds, description, and
    /// whether it is local input.
    pub ret_source: Option<(u16, String, bool)>,
    /// Shared: summaries are copied for every lookup, record and import.
    pub param_sinks: std::sync::Arc<Vec<ParamSink>>,
    /// A method with a receiver: a method call's receiver is parameter 0.
    pub has_self: bool,
    /// Declared `pub`: callers outside the crate choose its arguments.
    pub public: bool,
    /// Returns a pointer to one of its own locals or into a temporary:
    /// the pointer dangles in every caller.
    pub ret_dangling: Option<DanglingReturn>,
    /// Raw-pointer parameters (bits by position, a receiver at 0) whose
    /// memory the function frees (`ctx_free(ctx)`: `Box::from_raw(ctx)`
    /// dropped, `libc::free(p)`): a caller's pointer is gone after the call
    /// (`dangling-pointer`).
    pub frees_params: u16,
    /// Parameters (bits by position) whose buffer the function grows
    /// (`fn extend_with(v: &mut Vec<u32>, n) { v.resize(..) }`): a
    /// caller's pointers into it may dangle after the call.
    pub grows_params: u16,
    /// Owned buffers taken by value (bits by position) that the function
    /// drops (`fn consume(s: String) -> usize { s.len() }`: only borrowed,
    /// never moved on): a caller's pointers into the buffer it passes
    /// dangle after the call.
    pub drops_params: u16,
    /// Fields of `self` whose buffer a `&mut self` method may move or free
    /// (`self.bytes.reserve(n)`, `self.config = Box::new(..)`,
    /// `mem::take(&mut self.buf)`): a caller's pointers into them may
    /// dangle after the call.
    pub grows_fields: Vec<String>,
    /// Pointer fields of `self` a method frees and does not assign again
    /// (`fn release(&mut self) { libc::free(self.data as *mut _) }`): a
    /// caller's `buf.data` is gone after `buf.release()`.
    pub frees_fields: Vec<String>,
    /// Pointer fields of `self` a method reads through and does not free
    /// (`unsafe { *self.data }`, `(*self.inner).len()`,
    /// `slice::from_raw_parts(self.ptr, self.len)`): `buf.first()` after
    /// `buf.release()` uses freed memory.
    pub reads_fields: Vec<String>,
    /// Fields of `self` a method assigns (`self.data = malloc(..)`): a
    /// caller's `buf.data` freed before the call is valid after it.
    pub sets_fields: Vec<String>,
    /// A method returning a pointer into a field of `self`
    /// (`(self.block.as_ptr(), self.block.len())`): the field, and the
    /// pointer's place in a returned tuple. A caller's binding of it
    /// points into its receiver's field, and dies when a method grows it.
    pub ret_field_ptr: Option<(String, Option<usize>)>,
    /// Pointer fields a method points again into a buffer field of `self`
    /// (`self.cursor = self.data.as_ptr()`): valid after the call.
    pub repoints_fields: Vec<(String, String)>,
    /// Declared to return an owned buffer (`Vec`, `String`, `CString`,
    /// `Box`, ..): a caller's binding of the result owns it, and a pointer
    /// into it dies with that binding (`dangling-pointer`).
    pub ret_owned: bool,
    /// Returns a secret (`format!("Bearer {}", self.token)`): the name it
    /// was read from, which a caller's binding of the result carries
    /// (`cleartext-logging`).
    pub ret_secret: Option<String>,
    /// Parameters (bits by position, a receiver at 0) the function prints
    /// or logs (`fn audit_rejected(user: &str, attempted: &str) {
    /// warn!(user, attempted, ..) }`): a caller that passes a secret
    /// writes it to the log there (`cleartext-logging`).
    pub logged_params: Vec<LoggedParam>,
    /// Parameters named like key material (`key` of an encryption
    /// function, `nonce`, `iv`, `salt`, `password`), as bits by position
    /// (`hardcoded-crypto-key` reports literals given to them).
    pub key_params: u16,
    /// Parameters (bits by position, not the receiver) whose value a
    /// `&mut self` method stores in `self` (`fn set_filter(&mut self, f:
    /// &str) { self.filter = f.to_string() }`): a caller's receiver holds
    /// what it passes after the call.
    pub self_params: u16,
    /// Of `self_params`, those stored made safe for `self_skinds`
    /// (`self.file = Path::new(name).file_name()..`).
    pub self_sanitized: u16,
    pub self_skinds: u16,
}

/// A function of the file, found before analysis.
pub(crate) struct FnItem<'ast> {
    pub key: String,
    pub self_ty: Option<String>,
    pub attrs: &'ast [syn::Attribute],
    pub sig: &'ast syn::Signature,
    pub block: &'ast syn::Block,
    /// Declared `pub` (not `pub(crate)`).
    pub public: bool,
    /// Names this function calls: path calls by their last two segments
    /// and last segment, method calls as `.name`.
    pub calls: Vec<String>,
}

/// Collect the file's functions (not test code unless asked), and the
/// names of the trait methods with a default body and a receiver (not
/// analysed as functions, but a `.name()` call may run them).
pub(crate) fn collect<'ast>(
    file: &'ast syn::File,
    include_tests: bool,
) -> (Vec<FnItem<'ast>>, Vec<String>) {
    let mut c = ItemCollector {
        include_tests,
        self_ty: None,
        out: Vec::new(),
        trait_methods: Vec::new(),
    };
    c.visit_file(file);
    (c.out, c.trait_methods)
}

struct ItemCollector<'ast> {
    include_tests: bool,
    self_ty: Option<String>,
    out: Vec<FnItem<'ast>>,
    trait_methods: Vec<String>,
}

impl ItemCollector<'_> {
    fn skip(&self, attrs: &[syn::Attribute]) -> bool {
        !self.include_tests && attrs.iter().any(is_test_attr)
    }
}

fn calls_in(block: &syn::Block) -> Vec<String> {
    struct Calls(Vec<String>);
    impl<'ast> Visit<'ast> for Calls {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let Expr::Path(p) = &*c.func {
                let segments = path_idents(&p.path);
                if let Some(last) = segments.last() {
                    self.0.push(last.clone());
                }
                if segments.len() >= 2 {
                    self.0.push(segments[segments.len() - 2..].join("::"));
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            self.0.push(format!(".{}", m.method));
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut calls = Calls(Vec::new());
    calls.visit_block(block);
    calls.0.sort();
    calls.0.dedup();
    calls.0
}

impl<'ast> Visit<'ast> for ItemCollector<'ast> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if self.skip(&f.attrs) {
            return;
        }
        self.out.push(FnItem {
            key: f.sig.ident.to_string(),
            self_ty: None,
            attrs: &f.attrs,
            sig: &f.sig,
            block: &f.block,
            public: matches!(f.vis, syn::Visibility::Public(_)),
            calls: calls_in(&f.block),
        });
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !self.skip(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if self.skip(&item.attrs) {
            return;
        }
        let ty = match &*item.self_ty {
            syn::Type::Path(tp) => Some(last_ident(&tp.path)),
            _ => None,
        };
        let saved = std::mem::replace(&mut self.self_ty, ty);
        for impl_item in &item.items {
            if let syn::ImplItem::Fn(f) = impl_item {
                if self.skip(&f.attrs) {
                    continue;
                }
                let Some(ty) = &self.self_ty else { continue };
                self.out.push(FnItem {
                    key: format!("{ty}::{}", f.sig.ident),
                    self_ty: Some(ty.clone()),
                    attrs: &f.attrs,
                    sig: &f.sig,
                    block: &f.block,
                    public: matches!(f.vis, syn::Visibility::Public(_)),
                    calls: calls_in(&f.block),
                });
            }
        }
        self.self_ty = saved;
    }

    // Trait default methods and nested functions are analysed by the
    // ordinary walk, without summaries.
    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        if self.skip(&item.attrs) {
            return;
        }
        for trait_item in &item.items {
            if let syn::TraitItem::Fn(f) = trait_item {
                if f.default.is_some() && f.sig.receiver().is_some() && !self.skip(&f.attrs) {
                    self.trait_methods.push(f.sig.ident.to_string());
                }
            }
        }
    }
}

/// Order functions callee-first; the second value says whether the call
/// graph has a cycle.
pub(crate) fn order(items: &[FnItem<'_>]) -> (Vec<usize>, bool) {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut methods: HashMap<String, Vec<usize>> = HashMap::default();
    for (i, item) in items.iter().enumerate() {
        by_key.entry(item.key.as_str()).or_default().push(i);
        if item.self_ty.is_some() {
            let name = crate::patterns::last_segment(&item.key);
            methods.entry(format!(".{name}")).or_default().push(i);
            by_key.entry(name).or_default();
        }
    }
    let callees = |i: usize| -> Vec<usize> {
        let mut out = Vec::new();
        for call in &items[i].calls {
            if let Some(targets) = methods.get(call) {
                out.extend(targets.iter().copied());
            } else if let Some(targets) = by_key.get(call.as_str()) {
                out.extend(targets.iter().copied());
            } else if let Some(name) = call.strip_prefix("Self::") {
                if let Some(ty) = &items[i].self_ty {
                    if let Some(targets) = by_key.get(format!("{ty}::{name}").as_str()) {
                        out.extend(targets.iter().copied());
                    }
                }
            }
        }
        out
    };
    // Iterative DFS, post-order.
    let mut state = vec![0u8; items.len()]; // 0 new, 1 on stack, 2 done
    let mut ordered = Vec::with_capacity(items.len());
    let mut cyclic = false;
    for root in 0..items.len() {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, callees(root), 0usize)];
        state[root] = 1;
        while let Some((node, next, pos)) = stack.last_mut() {
            if let Some(&child) = next.get(*pos) {
                *pos += 1;
                match state[child] {
                    0 => {
                        state[child] = 1;
                        let grandchildren = callees(child);
                        stack.push((child, grandchildren, 0));
                    }
                    1 => cyclic = true,
                    _ => {}
                }
            } else {
                state[*node] = 2;
                ordered.push(*node);
                stack.pop();
            }
        }
    }
    (ordered, cyclic)
}

/// Iterate over the bits set in a parameter mask.
/// The taint of the argument(s) behind parameter bit `i`: the 16th bit
/// stands for every argument from the 16th on (see `Taint::from_param`).
pub(crate) fn arg(args: &[Taint], i: usize) -> Option<Taint> {
    if i < 15 {
        return args.get(i).copied();
    }
    args.get(15..).filter(|rest| !rest.is_empty()).map(|rest| {
        rest.iter()
            .copied()
            .reduce(Taint::union)
            .unwrap_or_default()
    })
}

pub(crate) fn bits(mask: u16) -> impl Iterator<Item = usize> {
    (0..16).filter(move |i| mask & (1 << i) != 0)
}

/// How a [`report_public`] finding's message starts: a flow from a real
/// source to the same sink is reported instead of it.
pub(crate) const PUBLIC_PARAMETER: &str = "the text of parameter";

/// Whether a public function reports this sink itself: a SQL statement or
/// a shell command line made by pasting its parameter's text into a larger
/// string, and not already reported by a public function it calls.
pub(crate) fn reports(sink: &ParamSink) -> bool {
    !sink.reported && reportable(sink.kind, &sink.what, sink.built)
}

/// A sink of this kind and description, reached by text pasted together
/// (`built`), is one a public function reports.
pub(crate) fn reportable(kind: u16, what: &str, built: bool) -> bool {
    built && (kind == taint::SQL || (kind == taint::COMMAND && what != PROGRAM_SINK))
}

/// A library's public function is its input: callers outside the crate
/// choose its arguments. One that pastes a parameter's text into a SQL
/// statement or a shell command line (`format!("SAVEPOINT {name}")` then
/// `execute_batch`; `format!("touch -h {path}")` then `sh -c`) is reported
/// even though no source is in sight, at the sink with the path from the
/// public function, one severity lower than request data. A parameter passed through whole (`fn query(sql: &str)`
/// runs what it is given, by contract) is not, nor a private helper: its
/// callers in the crate are analysed with its summary instead. The sinks
/// reported are marked so that public callers do not report them again.
pub(crate) fn report_public(a: &mut FileAnalyzer<'_>, sig: &syn::Signature, summary: &mut Summary) {
    let mut seen = crate::HashSet::default();
    let function = sig.ident.to_string();
    let sinks = std::sync::Arc::make_mut(&mut summary.param_sinks);
    for sink in sinks.iter_mut() {
        if !reports(sink) {
            continue;
        }
        sink.reported = true;
        let names: Vec<String> = bits(sink.params)
            .filter_map(|i| sig.inputs.iter().nth(i))
            .map(|input| match input {
                syn::FnArg::Receiver(_) => "self".to_string(),
                syn::FnArg::Typed(pt) => match &*pt.pat {
                    syn::Pat::Ident(pi) => pi.ident.to_string(),
                    _ => "_".to_string(),
                },
            })
            .collect();
        let rule = rule_for_kind(sink.kind);
        if !seen.insert((sink.line, sink.column, sink.file.clone(), rule)) {
            continue;
        }
        let decl = start_of(sig.ident.span()).0;
        let mut flow: Vec<Step> = vec![(decl, format!("public function `{function}`"), None)];
        flow.extend(sink.via.iter().cloned());
        flow.push((sink.line, format!("sink: {}", sink.what), sink.file.clone()));
        let path = render_flow(&flow);
        let plural = if names.len() == 1 { "" } else { "s" };
        a.push_finding(RawFinding {
            rule,
            line: sink.line,
            column: sink.column,
            end_line: sink.end_line,
            end_column: sink.end_column,
            message: format!(
                "{PUBLIC_PARAMETER}{plural} `{}` of public function `{function}` is pasted into {}; callers outside the crate choose it: {}",
                names.join("`, `"),
                sink.what,
                path
            ),
            stmt_line: sink.stmt_line,
            local_source: true,
            flow,
            file: sink.file.clone(),
            covers: None,
            also: &[],
        });
    }
}

/// A flow's steps as text for a message: `what (line N)` or `what
/// (file:N)`, joined by arrows.
pub(crate) fn render_flow(flow: &[Step]) -> String {
    flow.iter()
        .map(|(line, what, file)| match file {
            Some(file) => format!("{what} ({file}:{line})"),
            None => format!("{what} (line {line})"),
        })
        .collect::<Vec<_>>()
        .join(" -> ")
}
