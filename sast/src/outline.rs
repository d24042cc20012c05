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

impl Outline<'_> {
    fn function(&mut self, name: &syn::Ident, first: proc_macro2::Span, last: proc_macro2::Span) {
        let mut path = self.names.clone();
        path.push(name.to_string());
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
        self.nested(m.ident.to_string(), |v| syn::visit::visit_item_mod(v, m));
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
        self.nested(name, |v| syn::visit::visit_item_impl(v, i));
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.nested(t.ident.to_string(), |v| syn::visit::visit_item_trait(v, t));
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let first = f
            .attrs
            .first()
            .map_or(f.sig.fn_token.span, |a| a.pound_token.span);
        self.function(&f.sig.ident, first, f.block.brace_token.span.close());
        let name = f.sig.ident.to_string();
        self.nested(name, |v| syn::visit::visit_item_fn(v, f));
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let first = f
            .attrs
            .first()
            .map_or(f.sig.fn_token.span, |a| a.pound_token.span);
        self.function(&f.sig.ident, first, f.block.brace_token.span.close());
        let name = f.sig.ident.to_string();
        self.nested(name, |v| syn::visit::visit_impl_item_fn(v, f));
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            let first = f
                .attrs
                .first()
                .map_or(f.sig.fn_token.span, |a| a.pound_token.span);
            self.function(&f.sig.ident, first, block.brace_token.span.close());
        }
        let name = f.sig.ident.to_string();
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
