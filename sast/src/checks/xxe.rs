use super::prelude::*;
use crate::imports::Imports;

/// `xxe`: XML parsers told to substitute entities or load external DTDs.
///
/// * libxml2 option constants that turn it on (`XML_PARSE_NOENT`,
///   `XML_PARSE_DTDLOAD`, `XML_PARSE_DTDVALID`, the bindgen names
///   `xmlParserOption_XML_PARSE_NOENT`, reader properties
///   `XML_PARSER_SUBST_ENTITIES`/`XML_PARSER_LOADDTD`);
/// * `xmlSubstituteEntitiesDefault(1)`, `xmlLoadExtDtdDefaultValue`, and
///   `xmlRead*`/`xmlCtxtUseOptions` given a literal option mask with the
///   NOENT (2) or DTDLOAD (4) bit or those constants, reported at the
///   document they read unless it is text written in the source;
/// * parser options or builder calls that enable entity resolution or DTDs:
///   a field `allow_dtd: true` / `no_ent: true` / `resolve_entities: true`
///   or a method `.allow_dtd(true)`, `.resolve_entities(true)`,
///   `.load_external_dtd(true)`; names that disable something
///   (`no_net`, `disable_*`) or only concern unknown entity names do not
///   count.
pub(crate) struct Check;

const OPTION_CONSTANTS: &[&str] = &[
    "XML_PARSE_NOENT",
    "XML_PARSE_DTDLOAD",
    "XML_PARSE_DTDVALID",
    "XML_PARSER_SUBST_ENTITIES",
    "XML_PARSER_LOADDTD",
    "XML_PARSER_VALIDATE",
    "xmlLoadExtDtdDefaultValue",
];

const READ_FNS: &[(&str, usize)] = &[
    ("xmlReadMemory", 4),
    ("xmlReadFile", 2),
    ("xmlReadDoc", 3),
    ("xmlReadFd", 4),
    ("xmlCtxtReadMemory", 5),
    ("xmlCtxtReadFile", 3),
    ("xmlCtxtReadDoc", 4),
    ("xmlCtxtUseOptions", 1),
    ("xmlReaderForMemory", 4),
    ("xmlReaderForFile", 2),
];

/// Does this option or builder name turn entity or DTD processing on when
/// set to `true`?
fn enables_entities(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let concerns = n.contains("entit") || n.contains("dtd") || n == "no_ent" || n == "noent";
    let negative = n.starts_with("no_def")
        || n.starts_with("disable")
        || n.starts_with("forbid")
        || n.starts_with("deny")
        || n.starts_with("reject")
        || n.starts_with("ignore")
        || n.contains("unknown")
        || n.contains("limit")
        || n.contains("max");
    concerns && !negative
}

/// The text a document argument passes (`doc.as_ptr() as *const c_char`
/// -> `doc`).
fn document_text(mut e: &Expr) -> &Expr {
    loop {
        e = match peel(e) {
            Expr::Cast(c) => &c.expr,
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "as_ptr" | "as_bytes" | "as_str"
                ) =>
            {
                &m.receiver
            }
            other => return other,
        };
    }
}

/// Is this (resolved) path's last segment a constant turning entities or
/// DTDs on (`XML_PARSE_NOENT`, the bindgen `xmlParserOption_XML_PARSE_NOENT`)?
fn is_option_constant(resolved: &str) -> bool {
    let last = crate::patterns::last_segment(resolved);
    OPTION_CONSTANTS.iter().any(|c| {
        // `c` or `…_c`, without building `_c` for every path.
        last.strip_suffix(*c)
            .is_some_and(|p| p.is_empty() || p.ends_with('_'))
    })
}

/// An option mask that names a constant turning entities or DTDs on
/// (`XML_PARSE_NOENT | XML_PARSE_DTDLOAD`, or an alias of one imported
/// `as NOENT`).
fn names_option_constant(imports: &Imports, e: &Expr) -> bool {
    match peel(e) {
        Expr::Binary(b) => {
            names_option_constant(imports, &b.left) || names_option_constant(imports, &b.right)
        }
        Expr::Cast(c) => names_option_constant(imports, &c.expr),
        Expr::Path(p) => is_option_constant(&imports.resolve(&p.path)),
        _ => false,
    }
}

/// The places of the option constants named in `node` (a function's body,
/// a field's value).
fn option_constants_in(
    imports: &Imports,
    visit: impl FnOnce(&mut dyn FnMut(&syn::ExprPath)),
) -> Vec<Place> {
    let mut out = Vec::new();
    visit(&mut |p: &syn::ExprPath| {
        if is_option_constant(&imports.resolve(&p.path)) {
            out.push(start_of(p.path.span()));
        }
    });
    out
}

/// Calls every `f` on each path expression under a node.
struct Paths<'f>(&'f mut dyn FnMut(&syn::ExprPath));
impl<'ast> syn::visit::Visit<'ast> for Paths<'_> {
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        (self.0)(p);
    }
}

/// Where an option mask is set up: a function of the file (by name) or a
/// field a struct literal sets (`Type.field`). Two namespaces: a getter
/// `fn options(&self)` is not the field `options`; and another struct's
/// field of the same name is another field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Owner {
    Fn(String),
    Field(String),
}

/// A `let` of a local in a function (its lines), whether its value is an
/// option mask turning entities or DTDs on, the functions called and
/// fields read in that value, and whether it is text written in the
/// source.
#[derive(Clone, Debug)]
struct OptionLet {
    function: (usize, usize),
    name: String,
    line: usize,
    enables: bool,
    origins: Vec<Owner>,
    literal: bool,
}

/// The binding of `name` that `at` reads when that binding's value enables
/// entities: the nearest `let` of the name before `at` in the innermost
/// function around it (a later or shadowing `let`, or one in another
/// function of the same name, decides nothing here).
fn option_let<'l>(lets: &'l [OptionLet], name: &str, at: usize) -> Option<&'l OptionLet> {
    binding(lets, name, at).filter(|l| l.enables)
}

/// The `let` of `name` that `at` reads (see [`option_let`]).
fn binding<'l>(lets: &'l [OptionLet], name: &str, at: usize) -> Option<&'l OptionLet> {
    lets.iter()
        .filter(|l| l.name == name && l.line < at && l.function.0 <= at && at <= l.function.1)
        .max_by_key(|l| (l.function.0, l.line))
}

/// Text written in the source: a string or byte-string literal.
fn is_text_literal(e: &Expr) -> bool {
    lit_str(e).is_some()
        || matches!(
            peel(e),
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::ByteStr(_),
                ..
            })
        )
}

/// The names of the functions called and the fields read in an option
/// mask (`feed_options(lenient) | X`, `self.options`, `self.options()`).
fn origins(e: &Expr, self_ty: Option<&str>, out: &mut Vec<Owner>) {
    match peel(e) {
        Expr::Call(c) => {
            if let Expr::Path(p) = &*c.func {
                out.push(Owner::Fn(last_ident(&p.path)));
            }
        }
        Expr::MethodCall(m) => out.push(Owner::Fn(m.method.to_string())),
        // `self.options` in an `impl` of its type (another receiver's
        // type is not known: its field uses nothing).
        Expr::Field(f) => {
            if let (syn::Member::Named(name), Some(ty)) = (&f.member, self_ty) {
                if var_of(&f.base).as_deref() == Some("self") {
                    out.push(Owner::Field(format!("{ty}.{name}")));
                }
            }
        }
        Expr::Binary(b) => {
            origins(&b.left, self_ty, out);
            origins(&b.right, self_ty, out);
        }
        Expr::Cast(c) => origins(&c.expr, self_ty, out),
        _ => {}
    }
}

/// libxml2 option masks set up away from the read that uses them, read
/// from the whole file before its analysis.
///
/// A mask is often built in one place and used in another: a function of
/// the file (`fn feed_options(lenient) -> c_int`, `self.options()`), a
/// struct's field set in a constructor (`SamlReader { options: NOENT |
/// DTDLOAD }`, read as `self.options`), or a local (`let opts = ..`).
/// The read that uses such a mask is the finding (that is where an
/// attacker's document meets it); the constants in the function or field
/// value it uses are not findings of their own. Constants set up where no
/// read of the file uses them are still reported where they are written.
#[derive(Default)]
pub(crate) struct XxeOptions {
    /// Functions and methods naming an option constant, by name.
    fns: crate::HashSet<String>,
    /// Fields given a value naming an option constant in a struct literal.
    fields: crate::HashSet<String>,
    /// Locals of the file's functions, with what they are bound to.
    vars: Vec<OptionLet>,
    /// Each option constant written in a function or a field's value: the
    /// function or field and the constant's place.
    sites: Vec<(Owner, Place)>,
    /// The functions and fields whose masks a reported read of the file's
    /// own (not test) code uses.
    consumed: crate::HashSet<Owner>,
    /// Names the file gives more than one function: which one a call
    /// means is not known, so their constants stay findings.
    ambiguous: crate::HashSet<String>,
    /// Every function name of the file (to find [`Self::ambiguous`]).
    defined: crate::HashSet<String>,
}

impl XxeOptions {
    /// Read a file (or a chunk of one).
    pub(crate) fn collect(&mut self, file: &syn::File, imports: &Imports) {
        struct Sites<'o> {
            o: &'o mut XxeOptions,
            imports: &'o Imports,
            /// The type of the `impl` being read.
            self_ty: Option<String>,
        }
        impl Sites<'_> {
            fn function(&mut self, name: &syn::Ident, block: &syn::Block) {
                if !self.o.defined.insert(name.to_string()) {
                    self.o.ambiguous.insert(name.to_string());
                }
                let places = option_constants_in(self.imports, |f| {
                    syn::visit::Visit::visit_block(&mut Paths(f), block)
                });
                if !places.is_empty() {
                    let name = name.to_string();
                    self.o.fns.insert(name.clone());
                    let owner = Owner::Fn(name);
                    self.o
                        .sites
                        .extend(places.into_iter().map(|p| (owner.clone(), p)));
                }
            }
        }
        impl<'ast> syn::visit::Visit<'ast> for Sites<'_> {
            fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
                let outer = std::mem::replace(&mut self.self_ty, impl_type(i));
                syn::visit::visit_item_impl(self, i);
                self.self_ty = outer;
            }
            fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
                self.function(&f.sig.ident, &f.block);
                syn::visit::visit_item_fn(self, f);
            }
            fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
                self.function(&f.sig.ident, &f.block);
                syn::visit::visit_impl_item_fn(self, f);
            }
            fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
                let ty = match last_ident(&s.path) {
                    t if t == "Self" => self.self_ty.clone(),
                    t => Some(t),
                };
                for field in &s.fields {
                    let syn::Member::Named(name) = &field.member else {
                        continue;
                    };
                    let places = option_constants_in(self.imports, |f| {
                        syn::visit::Visit::visit_expr(&mut Paths(f), &field.expr)
                    });
                    if !places.is_empty() {
                        let name = name.to_string();
                        self.o.fields.insert(name.clone());
                        let owner =
                            Owner::Field(format!("{}.{name}", ty.as_deref().unwrap_or("?")));
                        self.o
                            .sites
                            .extend(places.into_iter().map(|p| (owner.clone(), p)));
                    }
                }
                syn::visit::visit_expr_struct(self, s);
            }
        }
        struct Vars<'o> {
            o: &'o mut XxeOptions,
            imports: &'o Imports,
            /// The lines of the function being read.
            current: (usize, usize),
            /// The type of the `impl` being read.
            self_ty: Option<String>,
        }
        impl Vars<'_> {
            fn in_fn(&mut self, block: &syn::Block, visit: impl FnOnce(&mut Self)) {
                let range = (
                    start_of(block.brace_token.span.open()).0,
                    start_of(block.brace_token.span.close()).0,
                );
                let outer = std::mem::replace(&mut self.current, range);
                visit(self);
                self.current = outer;
            }
        }
        // Test code is not analysed: a read there reports nothing, so it
        // uses no mask (red team rt48).
        impl<'ast> syn::visit::Visit<'ast> for Vars<'_> {
            fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
                let outer = std::mem::replace(&mut self.self_ty, impl_type(i));
                syn::visit::visit_item_impl(self, i);
                self.self_ty = outer;
            }
            fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
                if !f.attrs.iter().any(crate::engine::is_test_attr) {
                    self.in_fn(&f.block, |v| syn::visit::visit_item_fn(v, f));
                }
            }
            fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
                if !f.attrs.iter().any(crate::engine::is_test_attr) {
                    self.in_fn(&f.block, |v| syn::visit::visit_impl_item_fn(v, f));
                }
            }
            fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
                if !m.attrs.iter().any(crate::engine::is_test_attr) {
                    syn::visit::visit_item_mod(self, m);
                }
            }
            fn visit_local(&mut self, l: &'ast syn::Local) {
                let pat = match &l.pat {
                    syn::Pat::Type(t) => &*t.pat,
                    p => p,
                };
                if let syn::Pat::Ident(id) = pat {
                    let init = l.init.as_ref().map(|init| &*init.expr);
                    let enables = init.is_some_and(|e| self.o.names_mask(self.imports, e));
                    let mut names = Vec::new();
                    if let Some(e) = init {
                        origins(e, self.self_ty.as_deref(), &mut names);
                    }
                    self.o.vars.push(OptionLet {
                        function: self.current,
                        name: id.ident.to_string(),
                        line: start_of(l.let_token.span).0,
                        enables,
                        origins: names,
                        literal: init.is_some_and(is_text_literal),
                    });
                }
                syn::visit::visit_local(self, l);
            }
            fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
                // A read given a mask set up elsewhere uses what that mask
                // came from.
                let read = match &*c.func {
                    Expr::Path(p) => READ_FNS.iter().find(|(f, _)| last_ident(&p.path) == *f),
                    _ => None,
                };
                // A document written in the source, or a local bound to
                // one, is not reported (`call` below): a read of one uses
                // no mask.
                let read = read.filter(|(name, _)| {
                    document(name, &c.args).is_none_or(|d| {
                        let d = document_text(d);
                        !is_text_literal(d)
                            && !var_of(d).is_some_and(|v| {
                                binding(&self.o.vars, &v, start_of(d.span()).0)
                                    .is_some_and(|l| l.literal)
                            })
                    })
                });
                if let Some(option) = read.and_then(|(_, index)| c.args.iter().nth(*index)) {
                    // Only a read that is reported (its mask turns entities
                    // on) uses its mask's functions and fields, and only
                    // those that name a constant.
                    let mut names = Vec::new();
                    if self.o.names_mask(self.imports, option) {
                        origins(option, self.self_ty.as_deref(), &mut names);
                    }
                    if let Some(v) = var_of(uncast(option)) {
                        if let Some(l) = option_let(&self.o.vars, &v, start_of(option.span()).0) {
                            names.extend(l.origins.iter().cloned());
                        }
                    }
                    // `opts.parse_flags` of a parameter: the field of the
                    // one type of the file that sets one of that name.
                    if let Expr::Field(f) = peel(uncast(option)) {
                        if let syn::Member::Named(n) = &f.member {
                            if var_of(&f.base).as_deref() != Some("self") {
                                let suffix = format!(".{n}");
                                let mut owners: Vec<&Owner> = Vec::new();
                                for (owner, _) in &self.o.sites {
                                    if matches!(owner, Owner::Field(f) if f.ends_with(&suffix))
                                        && !owners.contains(&owner)
                                    {
                                        owners.push(owner);
                                    }
                                }
                                if let [one] = owners.as_slice() {
                                    names.push((*one).clone());
                                }
                            }
                        }
                    }
                    let o = &mut *self.o;
                    let sets_mask = |owner: &Owner| match owner {
                        Owner::Fn(n) => o.fns.contains(n),
                        Owner::Field(_) => o.sites.iter().any(|(site, _)| site == owner),
                    };
                    let used: Vec<Owner> = names.into_iter().filter(|n| sets_mask(n)).collect();
                    o.consumed.extend(used);
                }
                syn::visit::visit_expr_call(self, c);
            }
        }
        syn::visit::Visit::visit_file(
            &mut Sites {
                o: self,
                imports,
                self_ty: None,
            },
            file,
        );
        syn::visit::Visit::visit_file(
            &mut Vars {
                o: self,
                imports,
                current: (0, 0),
                self_ty: None,
            },
            file,
        );
    }

    /// Is `e` an option mask turning entities or DTDs on: one naming such
    /// a constant, a call of a function of the file naming one, or a field
    /// given one?
    fn names_mask(&self, imports: &Imports, e: &Expr) -> bool {
        names_option_constant(imports, e) || self.uses_option_fn(e) || self.reads_option_field(e)
    }

    /// `feed_options(lenient)`, `Self::options()`: a call of one of the
    /// file's functions that name an option constant.
    fn uses_option_fn(&self, e: &Expr) -> bool {
        match peel(e) {
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if self.fns.contains(&last_ident(&p.path)))
            }
            Expr::MethodCall(m) => self.fns.contains(&m.method.to_string()),
            Expr::Binary(b) => self.uses_option_fn(&b.left) || self.uses_option_fn(&b.right),
            Expr::Cast(c) => self.uses_option_fn(&c.expr),
            _ => false,
        }
    }

    /// `self.options`: a field some struct literal of the file gives a
    /// value naming an option constant.
    fn reads_option_field(&self, e: &Expr) -> bool {
        match peel(e) {
            Expr::Field(f) => {
                matches!(&f.member, syn::Member::Named(n) if self.fields.contains(&n.to_string()))
            }
            Expr::Binary(b) => {
                self.reads_option_field(&b.left) || self.reads_option_field(&b.right)
            }
            Expr::Cast(c) => self.reads_option_field(&c.expr),
            _ => false,
        }
    }

    /// Is the constant at `at` part of a mask that a read of the file
    /// uses (the read is reported instead)?
    fn used_by_a_read(&self, at: Place) -> bool {
        self.sites.iter().any(|(owner, place)| {
            *place == at
                && self.consumed.contains(owner)
                && !matches!(owner, Owner::Fn(n) if self.ambiguous.contains(n))
        })
    }
}

/// The document a read function is given (`xmlCtxt*` take the context
/// first; `xmlCtxtUseOptions` reads none).
fn document<'e>(
    read: &str,
    args: &'e syn::punctuated::Punctuated<Expr, syn::Token![,]>,
) -> Option<&'e Expr> {
    match read {
        "xmlCtxtUseOptions" => None,
        l if l.starts_with("xmlCtxt") => args.iter().nth(1),
        _ => args.first(),
    }
}

/// The last segment of an `impl`'s type (`impl SamlReader`, `impl<T>
/// Reader<T>`).
fn impl_type(i: &syn::ItemImpl) -> Option<String> {
    match &*i.self_ty {
        syn::Type::Path(p) => Some(last_ident(&p.path)),
        _ => None,
    }
}

/// `opts as c_int` -> `opts`.
fn uncast(e: &Expr) -> &Expr {
    match peel(e) {
        Expr::Cast(c) => &c.expr,
        other => other,
    }
}

/// A parser option mask written as integer literals (`2 | 4`, `6`).
fn literal_mask(e: &Expr) -> Option<u64> {
    match peel(e) {
        Expr::Binary(b) if matches!(b.op, syn::BinOp::BitOr(_) | syn::BinOp::Add(_)) => {
            Some(literal_mask(&b.left)? | literal_mask(&b.right)?)
        }
        Expr::Cast(c) => literal_mask(&c.expr),
        other => lit_int(other),
    }
}

impl super::Check for Check {
    fn path(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: Option<&mut FnCx>,
        path: &syn::Path,
        resolved: &str,
    ) {
        let last = crate::patterns::last_segment(resolved);
        let hit = OPTION_CONSTANTS.iter().find(|c| {
            // `c` or `…_c`, without building `_c` for every path.
            last.strip_suffix(**c)
                .is_some_and(|p| p.is_empty() || p.ends_with('_'))
        });
        if let Some(constant) = hit {
            let span = path.span();
            if a.xxe.used_by_a_read(start_of(span)) {
                return;
            }
            a.report(
                cx.as_deref(),
                id::XXE,
                span,
                span,
                format!("libxml2 option `{constant}` makes the parser substitute entities or load external DTDs"),
            );
        }
    }

    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        // Computed on a match only: syn derives it from the call's tokens.
        let span = || call.expr.span();
        if call.last == "xmlSubstituteEntitiesDefault" {
            if call
                .expr
                .args
                .first()
                .and_then(lit_int)
                .is_some_and(|v| v != 0)
            {
                a.report(
                    Some(cx),
                    id::XXE,
                    span(),
                    span(),
                    "`xmlSubstituteEntitiesDefault(1)` makes libxml2 expand external entities"
                        .into(),
                );
            }
            return;
        }
        if let Some((_, index)) = READ_FNS.iter().find(|(f, _)| *f == call.last) {
            let option = call.expr.args.iter().nth(*index);
            let mask = option.and_then(literal_mask);
            // A mask named in the call, or set up away from it: a local
            // bound to one (its `let` line), what a function of the file
            // naming one returns, or a field given one.
            let named = option.is_some_and(|o| a.xxe.names_mask(&a.imports, o));
            let bound = option.and_then(|o| {
                let v = var_of(uncast(o))?;
                option_let(&a.xxe.vars, &v, start_of(o.span()).0).map(|l| l.line)
            });
            if !(mask.is_some_and(|m| m & 0b110 != 0) || named || bound.is_some()) {
                return;
            }
            // Judged here, on the document: the option constants named in
            // the call, or where its local was bound, are not findings of
            // their own.
            // Only this unit's findings: an earlier unit's are recorded for
            // replay (red team rt41: a `let` matched in another function
            // of the same name removed them, and the scan panicked).
            let (first, last) = (start_of(span()).0, end_of(span()).0);
            let mut unit = a.findings.split_off(a.unit_start.min(a.findings.len()));
            unit.retain(|f| {
                f.file.is_some()
                    || f.rule != id::XXE
                    || ((f.line < first || f.line > last) && Some(f.line) != bound)
            });
            a.findings.extend(unit);
            // The document read (`xmlCtxt*` take the context first): text
            // written in the source is not an attacker's.
            let input = document(call.last, &call.expr.args);
            // The same test as the pre-pass (`XxeOptions::collect`), and
            // the local still the literal here: a read this skips never
            // used its mask there (red team rt50: a literal fallback, a
            // literal assigned in one branch).
            let line = start_of(span()).0;
            let written = input.is_some_and(|e| {
                let e = document_text(e);
                is_text_literal(e)
                    || (var_of(e)
                        .is_some_and(|v| binding(&a.xxe.vars, &v, line).is_some_and(|l| l.literal))
                        && literal_held(cx, e).is_some())
            });
            if written {
                return;
            }
            let at = input.map(|e| e.span()).unwrap_or_else(span);
            a.report(
                Some(cx),
                id::XXE,
                at,
                at,
                format!(
                    "`{}` with parser options that substitute entities or load external DTDs",
                    call.last
                ),
            );
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if m.expr.args.len() == 1
            && enables_entities(m.name)
            && m.expr.args.first().and_then(lit_bool) == Some(true)
        {
            a.report(
                Some(cx),
                id::XXE,
                m.span,
                m.full(),
                format!(
                    "`.{}(true)` makes the XML parser process DTDs or external entities",
                    m.name
                ),
            );
        }
    }

    fn binding(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, name: &str, value: &Expr) {
        if lit_bool(value) == Some(true) && enables_entities(name) {
            let span = value.span();
            a.report(
                cx,
                id::XXE,
                span,
                span,
                format!("parser option `{name}: true` makes the XML parser process DTDs or external entities"),
            );
        }
    }
}
