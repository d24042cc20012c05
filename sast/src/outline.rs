//! Which function each line of a file is in: the outline `pre-merge` keys
//! findings by, so that a finding the change fixes in one function cannot
//! stand for a textually identical one the change adds in another (red
//! team rt80's "fix one, add one").
//!
//! Parsed with the scan's own limits: the pre-scan's chunks (a file too
//! deep, an item too large or a tree over the file's memory budget gives
//! no outline) on a thread with a [`limits::STACK_SIZE`] stack.

use crate::limits;
use syn::visit::Visit;

/// One function of a file: its first and last line and its path within the
/// file, `::`-joined from the outermost item (`api::Handlers::list`, a
/// nested function `run::step`; `impl Trait for Type` items as
/// `<Type as Trait>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSpan {
    /// First line, from 1.
    pub line: usize,
    /// Last line, from 1.
    pub end_line: usize,
    /// The function's path within the file.
    pub path: String,
}

/// The functions of `source`, outermost first; `None` when it does not
/// parse or is beyond the analysis's limits (then nothing is known about
/// where its lines are).
pub fn functions(source: &str) -> Option<Vec<FunctionSpan>> {
    if source.len() as u64 > crate::MAX_FILE_BYTES {
        return None;
    }
    let chunks = limits::prescan(source);
    if chunks
        .iter()
        .any(|c| c.depth > limits::MAX_NESTING || c.range.len() > limits::MAX_CHUNK_BYTES)
    {
        return None;
    }
    let budget = limits::tree_budget(source.len());
    limits::on_big_stack(|| {
        let mut out = Vec::new();
        for chunk in &chunks {
            // The chunk at its place: lines counted from its first line,
            // columns from its first column; literal tables blanked and
            // the tree's size bounded, as the scan does.
            let padded = format!(
                "{}{}",
                " ".repeat(chunk.column),
                &source[chunk.range.clone()]
            );
            let tables = limits::blank_tables(&padded);
            let text = tables.as_deref().unwrap_or(&padded);
            let tokens = match &tables {
                Some(_) => limits::tokens(text),
                None => chunk.tokens,
            };
            if limits::tree_estimate(tokens) > budget {
                return None;
            }
            let file = syn::parse_file(text).ok()?;
            let mut v = Outline {
                offset: chunk.line - 1,
                names: Vec::new(),
                out: &mut out,
            };
            v.visit_file(&file);
        }
        proc_macro2::extra::invalidate_current_thread_spans();
        Some(out)
    })
    .flatten()
}

/// The innermost function of `spans` that holds `line`.
pub fn function_at(spans: &[FunctionSpan], line: usize) -> Option<&FunctionSpan> {
    spans
        .iter()
        .filter(|s| s.line <= line && line <= s.end_line)
        .max_by_key(|s| (s.line, std::cmp::Reverse(s.end_line)))
}

struct Outline<'a> {
    offset: usize,
    names: Vec<String>,
    out: &'a mut Vec<FunctionSpan>,
}

/// An item's name with its `#[cfg(..)]` attributes (`get_file[cfg(unix)]`):
/// two items of one name under different configurations are two places
/// (red team rt82).
fn with_cfg(name: String, attrs: &[syn::Attribute]) -> String {
    let mut out = name;
    for a in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let mut text = quote_tokens(&a.meta);
        text.retain(|c| !c.is_whitespace());
        out.push('[');
        out.push_str(&text);
        out.push(']');
    }
    out
}

impl Outline<'_> {
    fn function(&mut self, name: String, first: proc_macro2::Span, last: proc_macro2::Span) {
        let mut path = self.names.clone();
        path.push(name);
        self.out.push(FunctionSpan {
            line: first.start().line + self.offset,
            end_line: last.end().line + self.offset,
            path: path.join("::"),
        });
    }

    fn nested<T>(&mut self, name: String, f: impl FnOnce(&mut Self) -> T) -> T {
        self.names.push(name);
        let r = f(self);
        self.names.pop();
        r
    }
}

/// A type as written, without spaces (`Vec<u8>`, `crate::Db`).
fn type_name(ty: &syn::Type) -> String {
    let mut s = quote_tokens(ty);
    s.retain(|c| !c.is_whitespace());
    s
}

fn quote_tokens(t: &impl quote::ToTokens) -> String {
    t.to_token_stream().to_string()
}

impl<'ast> Visit<'ast> for Outline<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let name = with_cfg(m.ident.to_string(), &m.attrs);
        self.nested(name, |v| syn::visit::visit_item_mod(v, m));
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let ty = type_name(&i.self_ty);
        let name = match &i.trait_ {
            Some((_, t, _)) => {
                let mut t = quote_tokens(t);
                t.retain(|c| !c.is_whitespace());
                format!("<{ty} as {t}>")
            }
            None => ty,
        };
        let name = with_cfg(name, &i.attrs);
        self.nested(name, |v| syn::visit::visit_item_impl(v, i));
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let name = with_cfg(t.ident.to_string(), &t.attrs);
        self.nested(name, |v| syn::visit::visit_item_trait(v, t));
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let first = f
            .attrs
            .first()
            .map_or(f.sig.fn_token.span, |a| a.pound_token.span);
        let name = with_cfg(f.sig.ident.to_string(), &f.attrs);
        self.function(name.clone(), first, f.block.brace_token.span.close());
        self.nested(name, |v| syn::visit::visit_item_fn(v, f));
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let first = f
            .attrs
            .first()
            .map_or(f.sig.fn_token.span, |a| a.pound_token.span);
        let name = with_cfg(f.sig.ident.to_string(), &f.attrs);
        self.function(name.clone(), first, f.block.brace_token.span.close());
        self.nested(name, |v| syn::visit::visit_impl_item_fn(v, f));
    }

    /// A closure is a place of its own (a router's handlers are often
    /// closures), named `{closure}` in its function: two of them in one
    /// function share the name, and are told apart by that function's
    /// text (see `pre-merge`).
    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        let first = c.or1_token.span;
        let last = match &*c.body {
            syn::Expr::Block(b) => b.block.brace_token.span.close(),
            syn::Expr::Async(a) => a.block.brace_token.span.close(),
            other => syn::spanned::Spanned::span(other),
        };
        self.function("{closure}".to_string(), first, last);
        self.nested("{closure}".to_string(), |v| {
            syn::visit::visit_expr_closure(v, c)
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            let first = f
                .attrs
                .first()
                .map_or(f.sig.fn_token.span, |a| a.pound_token.span);
            self.function(
                with_cfg(f.sig.ident.to_string(), &f.attrs),
                first,
                block.brace_token.span.close(),
            );
        }
        let name = with_cfg(f.sig.ident.to_string(), &f.attrs);
        self.nested(name, |v| syn::visit::visit_trait_item_fn(v, f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_in_its_innermost_function() {
        let src = "mod api {\n    pub struct H;\n    impl H {\n        pub fn list(&self) {\n            fn step() {\n                run();\n            }\n            go();\n        }\n    }\n    impl Drop for H {\n        fn drop(&mut self) {}\n    }\n}\nconst K: u8 = 1;\n";
        let spans = functions(src).expect("parses");
        let at = |l| function_at(&spans, l).map(|s| s.path.as_str());
        assert_eq!(at(6), Some("api::H::list::step"));
        assert_eq!(at(8), Some("api::H::list"));
        assert_eq!(at(12), Some("api::<H as Drop>::drop"));
        assert_eq!(at(15), None);
        let src = "fn routes() {\n    let a = |x: u8| {\n        x\n    };\n    let b = move |y: u8| async move {\n        y\n    };\n}\n";
        let spans = functions(src).expect("parses");
        let at = |l| function_at(&spans, l).map(|s| s.path.as_str());
        assert_eq!(at(3), Some("routes::{closure}"));
        assert_eq!(at(6), Some("routes::{closure}"));
        assert_eq!(at(8), Some("routes"));
        let attrs = "#[cfg(unix)]\nfn get() {}\n#[cfg(not(unix))]\nfn get() {}\n";
        let spans = functions(attrs).expect("parses");
        assert_eq!(spans[0].path, "get[cfg(unix)]");
        assert_eq!(spans[1].path, "get[cfg(not(unix))]");
    }

    #[test]
    fn no_outline_for_what_does_not_parse_or_is_too_deep() {
        assert_eq!(functions("fn a( {"), None);
        let deep = format!(
            "fn a() {{ let x = {}1{}; }}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        assert_eq!(functions(&deep), None);
    }
}
