use super::prelude::*;

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

/// An option mask that names a constant turning entities or DTDs on
/// (`XML_PARSE_NOENT | XML_PARSE_DTDLOAD`).
fn names_option_constant(e: &Expr) -> bool {
    match peel(e) {
        Expr::Binary(b) => names_option_constant(&b.left) || names_option_constant(&b.right),
        Expr::Cast(c) => names_option_constant(&c.expr),
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let last = s.ident.to_string();
            OPTION_CONSTANTS.iter().any(|c| {
                last.strip_suffix(*c)
                    .is_some_and(|p| p.is_empty() || p.ends_with('_'))
            })
        }),
        _ => false,
    }
}

/// Does any path in this function name an option constant?
fn mentions_option_constant(block: &syn::Block) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if names_option_constant(&Expr::Path(p.clone())) {
                self.0 = true;
            }
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_block(&mut finder, block);
    finder.0
}

/// A `let` of a local in a function (its lines), and whether its value is
/// an option mask turning entities or DTDs on.
#[derive(Clone, Debug)]
pub(crate) struct OptionLet {
    function: (usize, usize),
    name: String,
    line: usize,
    enables: bool,
}

/// The line of the `let` that binds `name` where `at` reads it, when that
/// binding's value enables entities: the nearest `let` of the name before
/// `at` in the innermost function around it (a later or shadowing `let`,
/// or one in another function of the same name, decides nothing here).
fn option_let(lets: &[OptionLet], name: &str, at: usize) -> Option<usize> {
    lets.iter()
        .filter(|l| l.name == name && l.line < at && l.function.0 <= at && at <= l.function.1)
        .max_by_key(|l| (l.function.0, l.line))
        .filter(|l| l.enables)
        .map(|l| l.line)
}

/// [`FileAnalyzer::xxe_option_fns`] and [`FileAnalyzer::xxe_option_vars`].
pub(crate) fn collect_xxe_options(
    file: &syn::File,
    fns: &mut crate::HashSet<String>,
    vars: &mut Vec<OptionLet>,
) {
    struct Fns<'o>(&'o mut crate::HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for Fns<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            if mentions_option_constant(&f.block) {
                self.0.insert(f.sig.ident.to_string());
            }
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            if mentions_option_constant(&f.block) {
                self.0.insert(f.sig.ident.to_string());
            }
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    struct Vars<'o> {
        fns: &'o crate::HashSet<String>,
        out: &'o mut Vec<OptionLet>,
        /// The lines of the function being read.
        current: (usize, usize),
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
    impl<'ast> syn::visit::Visit<'ast> for Vars<'_> {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            self.in_fn(&f.block, |v| syn::visit::visit_item_fn(v, f));
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            self.in_fn(&f.block, |v| syn::visit::visit_impl_item_fn(v, f));
        }
        fn visit_local(&mut self, l: &'ast syn::Local) {
            let pat = match &l.pat {
                syn::Pat::Type(t) => &*t.pat,
                p => p,
            };
            if let syn::Pat::Ident(id) = pat {
                let enables = l.init.as_ref().is_some_and(|init| {
                    names_option_constant(&init.expr) || calls_option_fn(self.fns, &init.expr)
                });
                self.out.push(OptionLet {
                    function: self.current,
                    name: id.ident.to_string(),
                    line: start_of(l.let_token.span).0,
                    enables,
                });
            }
            syn::visit::visit_local(self, l);
        }
    }
    syn::visit::Visit::visit_file(&mut Fns(fns), file);
    syn::visit::Visit::visit_file(
        &mut Vars {
            fns,
            out: vars,
            current: (0, 0),
        },
        file,
    );
}

/// `feed_options(lenient)`, `Self::options()`: a call of one of the file's
/// functions that name an option constant.
fn calls_option_fn(fns: &crate::HashSet<String>, e: &Expr) -> bool {
    match peel(e) {
        Expr::Call(c) => matches!(&*c.func, Expr::Path(p) if fns.contains(&last_ident(&p.path))),
        Expr::MethodCall(m) => fns.contains(&m.method.to_string()),
        Expr::Binary(b) => calls_option_fn(fns, &b.left) || calls_option_fn(fns, &b.right),
        _ => false,
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
            let named = option.is_some_and(names_option_constant);
            // A mask set up away from the call: a local bound to one (its
            // `let` line), or what a function of the file naming one returns.
            let bound = option.and_then(|o| {
                // `opts as c_int`
                let v = var_of(match peel(o) {
                    Expr::Cast(c) => &c.expr,
                    other => other,
                })?;
                option_let(&a.xxe_option_vars, &v, start_of(o.span()).0)
            });
            let returned = option.is_some_and(|o| calls_option_fn(&a.xxe_option_fns, o));
            if !(mask.is_some_and(|m| m & 0b110 != 0) || named || bound.is_some() || returned) {
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
            let input = match call.last {
                "xmlCtxtUseOptions" => None,
                l if l.starts_with("xmlCtxt") => call.expr.args.iter().nth(1),
                _ => call.expr.args.first(),
            };
            let written = input.is_some_and(|e| {
                let e = document_text(e);
                lit_str(e).is_some() || literal_held(cx, e).is_some()
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
