use super::prelude::*;
use crate::HashMap;

/// `unsafe-send-sync`: `unsafe impl Send/Sync` without the matching bounds
/// on the type parameters.
pub(crate) struct Check;

/// What the file says about its traits, for this check (collected only
/// where the file has an `unsafe impl`).
#[derive(Default)]
pub(crate) struct Facts {
    /// Traits of the file and the last segments of their supertraits
    /// (`trait Schedule: Sync + Sized` -> `Sync`, `Sized`); `None` for a
    /// name the file defines twice (in two modules), which is not
    /// worked out.
    pub(crate) supertraits: HashMap<String, Option<Vec<String>>>,
    /// The file defines a trait named `Send` or `Sync` of its own.
    pub(crate) shadows_auto_traits: bool,
}

/// [`Facts`] of (a chunk of) the file: the traits at its top level, not
/// test code (a trait of a nested module is another name's: red team
/// rt45). Any `Send` or `Sync` trait anywhere shadows the auto traits.
pub(crate) fn collect(file: &syn::File, out: &mut Facts) {
    struct Shadows<'a>(&'a mut Facts);
    impl<'ast> syn::visit::Visit<'ast> for Shadows<'_> {
        fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
            if t.ident == "Send" || t.ident == "Sync" {
                self.0.shadows_auto_traits = true;
            }
            syn::visit::visit_item_trait(self, t);
        }
    }
    syn::visit::Visit::visit_file(&mut Shadows(out), file);
    for item in &file.items {
        if let syn::Item::Trait(t) = item {
            if t.attrs.iter().any(crate::engine::is_test_attr) {
                continue;
            }
            let name = t.ident.to_string();
            let supers: Vec<String> = t
                .supertraits
                .iter()
                .filter_map(|b| match b {
                    syn::TypeParamBound::Trait(tb) => {
                        tb.path.segments.last().map(|s| s.ident.to_string())
                    }
                    _ => None,
                })
                .collect();
            out.supertraits
                .entry(name)
                .and_modify(|old| {
                    if old.as_ref() != Some(&supers) {
                        *old = None;
                    }
                })
                .or_insert(Some(supers));
        }
    }
}

/// Does the bound name one of the traits, directly or through the
/// supertraits of a trait of the file (`S: Schedule` where `trait
/// Schedule: Sync`)?
fn bound_implies(a: &FileAnalyzer<'_>, bound: &syn::TypeParamBound, accepted: &[&str]) -> bool {
    let facts = &a.send_sync_facts;
    let syn::TypeParamBound::Trait(tb) = bound else {
        return false;
    };
    let Some(last) = tb.path.segments.last() else {
        return false;
    };
    let name = last.ident.to_string();
    if accepted.contains(&name.as_str()) {
        return true;
    }
    // A trait of the file: named by one segment the file does not import
    // (`tower::Service` is not the file's own `Service`).
    let relative = tb
        .path
        .segments
        .iter()
        .rev()
        .skip(1)
        .all(|s| s.ident == "super" || s.ident == "crate" || s.ident == "self");
    if facts.shadows_auto_traits
        || !relative
        || (tb.path.segments.len() == 1 && a.imports.resolve(&tb.path).contains("::"))
    {
        return false;
    }
    let mut seen: Vec<String> = Vec::new();
    let mut todo = vec![name];
    while let Some(name) = todo.pop() {
        if accepted.contains(&name.as_str()) {
            return true;
        }
        if seen.contains(&name) || seen.len() > 64 {
            continue;
        }
        if let Some(Some(supers)) = facts.supertraits.get(&name) {
            todo.extend(supers.iter().cloned());
        }
        seen.push(name);
    }
    false
}

impl super::Check for Check {
    fn item_impl(&self, a: &mut FileAnalyzer<'_>, item: &syn::ItemImpl) {
        if item.unsafety.is_none() {
            return;
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
        // `T: Sync` also makes `Send` sound for types that only hand out
        // `&T` (the way `&T: Send` follows from `T: Sync`).
        let accepted: &[&str] = if trait_name == "Send" {
            &["Send", "Sync"]
        } else {
            &["Sync", "Send"]
        };
        let mut missing = Vec::new();
        for param in item.generics.type_params() {
            let mut bounded = param.bounds.iter().any(|b| bound_implies(a, b, accepted));
            if let Some(where_clause) = &item.generics.where_clause {
                for predicate in &where_clause.predicates {
                    if let syn::WherePredicate::Type(pt) = predicate {
                        // `T: Sync` or `T::Target: Sync` both constrain T.
                        let about_param = matches!(&pt.bounded_ty, syn::Type::Path(tp) if tp.path.segments.first().is_some_and(|s| s.ident == param.ident));
                        if about_param && pt.bounds.iter().any(|b| bound_implies(a, b, accepted)) {
                            bounded = true;
                        }
                    }
                }
            }
            if !bounded {
                missing.push(param.ident.to_string());
            }
        }
        for name in missing {
            let span = item.impl_token.span;
            a.report(
                None,
                id::UNSAFE_SEND_SYNC,
                span,
                item.self_ty.span(),
                format!("`unsafe impl {trait_name}` does not require `{name}: {trait_name}`"),
            );
        }
    }
}
