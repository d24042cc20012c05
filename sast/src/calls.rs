//! An index of call sites in non-test code: every path a function call or
//! function reference resolves to (through `use` imports), and every method
//! call by name. The dependency audit uses it to decide whether the
//! workspace calls a function an advisory names as vulnerable.

use crate::imports::Imports;
use crate::{macros, Error, Options};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use syn::visit::Visit;

/// One call.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CallSite {
    /// Repository-relative path of the file.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// For a path call or function reference: the resolved path
    /// (`smallvec::SmallVec::insert_many`).
    pub path: Option<String>,
    /// For a method call: the method name; the receiver's type is unknown.
    pub method: Option<String>,
}

/// Parsed call sites of a set of files or directories (test code skipped,
/// as in a scan). Files that do not parse contribute nothing.
pub fn call_sites(targets: &[PathBuf], options: &Options) -> Result<Vec<CallSite>, Error> {
    let files = crate::collect_files(targets, options)?;
    let collect = || -> Vec<CallSite> {
        files
            .par_iter()
            .flat_map(|path| sites_of(path, options))
            .collect()
    };
    let mut sites = match crate::limits::pool() {
        Some(pool) => pool.install(collect),
        None => crate::limits::on_big_stack(|| {
            files
                .iter()
                .flat_map(|path| sites_of(path, options))
                .collect()
        })
        .unwrap_or_default(),
    };
    sites.sort();
    sites.dedup();
    Ok(sites)
}

/// The call sites of one file; nothing for a file that cannot be read,
/// does not parse, or nests deeper than the analysis limit.
fn sites_of(path: &std::path::Path, options: &Options) -> Vec<CallSite> {
    let rel = crate::relative(path, &options.root);
    let Ok(source) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    if crate::limits::prescan(&source)
        .iter()
        .any(|c| c.depth > crate::limits::MAX_NESTING)
    {
        return Vec::new();
    }
    let tables = crate::limits::blank_tables(&source);
    let Ok(file) = syn::parse_file(tables.as_deref().unwrap_or(&source)) else {
        return Vec::new();
    };
    let mut collector = Collector {
        file: rel,
        imports: Imports::from_file(&file),
        sites: Vec::new(),
        include_tests: options.include_tests,
    };
    collector.visit_file(&file);
    collector.sites
}

struct Collector {
    file: String,
    imports: Imports,
    sites: Vec<CallSite>,
    include_tests: bool,
}

impl Collector {
    fn push(&mut self, span: proc_macro2::Span, path: Option<String>, method: Option<String>) {
        let start = span.start();
        self.sites.push(CallSite {
            file: self.file.clone(),
            line: start.line,
            column: start.column + 1,
            path,
            method,
        });
    }

    fn is_test(&self, attrs: &[syn::Attribute]) -> bool {
        !self.include_tests && attrs.iter().any(crate::engine::is_test_attr)
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !self.is_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !self.is_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !self.is_test(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // Calls (`f(x)`) and references (`.map(f)`) both reach here.
        if p.path.segments.len() > 1
            || p.path.segments.first().is_some_and(|s| {
                s.ident
                    .to_string()
                    .chars()
                    .all(|c| c.is_lowercase() || c == '_')
            })
        {
            let resolved = self.imports.resolve(&p.path);
            if resolved.contains("::") {
                self.push(syn::spanned::Spanned::span(&p.path), Some(resolved), None);
            }
        }
        syn::visit::visit_expr_path(self, p);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.push(m.method.span(), None, Some(m.method.to_string()));
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for arg in macros::parse_args(&mac.tokens) {
            self.visit_expr(&arg.expr);
        }
    }
}
