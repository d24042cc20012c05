//! `use` resolution: maps the names a file brings into scope to the full
//! paths they stand for, so `use md5::Md5 as Hasher; Hasher::new()` is seen
//! as `md5::Md5::new`.
//!
//! Resolution is per file and not scope-aware: every `use` in the file (at
//! any nesting depth) is recorded. Shadowing between modules of one file is
//! rare enough that the precision is not worth a scope tree.

use crate::HashMap;
use syn::visit::Visit;

#[derive(Debug, Default)]
pub struct Imports {
    /// local name -> full path segments joined with `::`.
    names: HashMap<String, String>,
    /// The crate's own module names the file shows: modules it declares
    /// (`mod state;`) and the first segment after `crate::`, `self::` or
    /// `super::` in any path it writes (`use crate::state::AppState`),
    /// which `resolve` drops.
    crate_roots: crate::HashSet<String>,
}

impl Imports {
    pub fn from_file(file: &syn::File) -> Imports {
        let mut collector = Collector::default();
        collector.visit_file(file);
        collector.imports
    }

    /// Add the imports of another part of the same file (a large file is
    /// parsed in chunks).
    pub fn extend_from(&mut self, file: &syn::File) {
        let mut collector = Collector::default();
        collector.visit_file(file);
        self.names.extend(collector.imports.names);
        self.crate_roots.extend(collector.imports.crate_roots);
    }

    /// Is this the first segment of a path into the crate itself (see
    /// `crate_roots`)?
    pub fn is_crate_root(&self, segment: &str) -> bool {
        self.crate_roots.contains(segment)
    }

    /// Resolve a path written in the source to its full path, normalised:
    /// leading `::`, `crate::`, `self::` and `super::` are dropped, and
    /// `core::`/`alloc::` become `std::` so one pattern matches all three.
    pub fn resolve(&self, path: &syn::Path) -> String {
        let mut segments = path.segments.iter().map(|s| s.ident.to_string());
        let mut out = String::with_capacity(32);
        let Some(mut first) = segments.next() else {
            return out;
        };
        while first == "crate" || first == "self" || first == "super" {
            match segments.next() {
                Some(next) => first = next,
                None => return first,
            }
        }
        match self.names.get(&first) {
            Some(full) => out.push_str(full),
            None => out.push_str(&first),
        }
        for segment in segments {
            out.push_str("::");
            out.push_str(&segment);
        }
        normalise_std(out)
    }

    /// Resolve a single identifier (e.g. a macro name).
    pub fn resolve_ident(&self, ident: &str) -> String {
        match self.names.get(ident) {
            Some(full) => normalise_std(full.clone()),
            None => ident.to_string(),
        }
    }

    fn insert(&mut self, local: String, full: String) {
        // `use foo::{self}` and renames to `_` bring nothing nameable.
        if local != "_" {
            self.names.insert(local, full);
        }
    }
}

fn normalise_std(path: String) -> String {
    for prefix in ["core::", "alloc::"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return format!("std::{rest}");
        }
    }
    path
}

#[derive(Default)]
struct Collector {
    imports: Imports,
}

impl Collector {
    fn add_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                let segment = p.ident.to_string();
                let pushed = !(prefix.is_empty()
                    && (segment == "crate" || segment == "self" || segment == "super"));
                if pushed {
                    prefix.push(segment);
                }
                self.add_tree(prefix, &p.tree);
                if pushed {
                    prefix.pop();
                }
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last() {
                        self.imports.insert(last.clone(), prefix.join("::"));
                    }
                } else {
                    let full = join(prefix, &name);
                    self.imports.insert(name, full);
                }
            }
            syn::UseTree::Rename(r) => {
                let name = r.ident.to_string();
                let full = if name == "self" {
                    prefix.join("::")
                } else {
                    join(prefix, &name)
                };
                self.imports.insert(r.rename.to_string(), full);
            }
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.add_tree(prefix, item);
                }
            }
            // Glob imports cannot be resolved without the imported module's
            // contents; names behind them stay unresolved.
            // `use salvo::prelude::*;`: a web framework's request type
            // is what a handler's `Request` names (unless the file
            // imports another by name).
            syn::UseTree::Glob(_) => {
                if let Some(krate) = prefix.first() {
                    if crate::patterns::WEB_CRATES.contains(&krate.as_str()) {
                        self.imports
                            .names
                            .entry("Request".to_string())
                            .or_insert_with(|| format!("{krate}::Request"));
                    }
                }
            }
        }
    }
}

fn join(prefix: &[String], name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{}::{name}", prefix.join("::"))
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        self.add_tree(&mut prefix, &item.tree);
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        if let Some((_, rename)) = &item.rename {
            self.imports
                .insert(rename.to_string(), item.ident.to_string());
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.imports.crate_roots.insert(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
    }

    fn visit_use_path(&mut self, p: &'ast syn::UsePath) {
        if p.ident == "crate" || p.ident == "self" || p.ident == "super" {
            match &*p.tree {
                syn::UseTree::Path(next) => {
                    self.imports.crate_roots.insert(next.ident.to_string());
                }
                syn::UseTree::Group(g) => {
                    for item in &g.items {
                        if let syn::UseTree::Path(next) = item {
                            self.imports.crate_roots.insert(next.ident.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        syn::visit::visit_use_path(self, p);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if let (Some(first), Some(next)) = (segments.next(), segments.next()) {
            if first.ident == "crate" || first.ident == "self" || first.ident == "super" {
                self.imports.crate_roots.insert(next.ident.to_string());
            }
        }
        syn::visit::visit_path(self, path);
    }

    // Expressions cannot contain `use` items except inside blocks, which the
    // default traversal reaches; nothing else to override.
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(src: &str, path: &str) -> String {
        let file: syn::File = syn::parse_str(src).unwrap();
        let path: syn::Path = syn::parse_str(path).unwrap();
        Imports::from_file(&file).resolve(&path)
    }

    #[test]
    fn resolves_plain_renamed_grouped_and_nested_imports() {
        let src = r#"
            use std::env;
            use md5::Md5 as Hasher;
            use std::{process::{self, Command}, fs::File};
            use ::core::mem;
            extern crate sha1 as legacy_sha;
            fn f() { use reqwest::blocking::Client; }
        "#;
        assert_eq!(resolve(src, "env::var"), "std::env::var");
        assert_eq!(resolve(src, "Hasher::new"), "md5::Md5::new");
        assert_eq!(resolve(src, "Command::new"), "std::process::Command::new");
        assert_eq!(resolve(src, "process::exit"), "std::process::exit");
        assert_eq!(resolve(src, "File::open"), "std::fs::File::open");
        assert_eq!(resolve(src, "mem::transmute"), "std::mem::transmute");
        assert_eq!(resolve(src, "legacy_sha::Sha1"), "sha1::Sha1");
        assert_eq!(
            resolve(src, "Client::new"),
            "reqwest::blocking::Client::new"
        );
        assert_eq!(resolve(src, "crate::db::run"), "db::run");
        assert_eq!(resolve(src, "unknown::thing"), "unknown::thing");
    }
}
