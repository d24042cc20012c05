use super::prelude::*;
use crate::HashMap;

/// `unsafe-send-sync`: `unsafe impl Send/Sync` without the matching bounds
/// on the type parameters.
pub(crate) struct Check;

/// What the file says about its types and traits, for this check
/// (collected only where the file has an `unsafe impl`).
#[derive(Default)]
pub(crate) struct Facts {
    /// Structs and enums of the file: for each type parameter, whether
    /// the type holds no value of it (the parameter appears in no field,
    /// or only inside `PhantomData<..>`, and no field is an erased
    /// pointer such as `*mut u8` that could hold one).
    pub(crate) holds_param: HashMap<String, Vec<bool>>,
    /// Traits of the file and the last segments of their supertraits
    /// (`trait Schedule: Sync + Sized` -> `Sync`, `Sized`).
    pub(crate) supertraits: HashMap<String, Vec<String>>,
}

/// [`Facts`] of (a chunk of) the file.
pub(crate) fn collect(file: &syn::File, out: &mut Facts) {
    struct Collect<'a>(&'a mut Facts);
    impl<'ast> syn::visit::Visit<'ast> for Collect<'_> {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            let fields: Vec<&syn::Type> = s.fields.iter().map(|f| &f.ty).collect();
            record(self.0, &s.ident, &s.generics, &fields);
            syn::visit::visit_item_struct(self, s);
        }
        fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
            let fields: Vec<&syn::Type> = e
                .variants
                .iter()
                .flat_map(|v| v.fields.iter().map(|f| &f.ty))
                .collect();
            record(self.0, &e.ident, &e.generics, &fields);
            syn::visit::visit_item_enum(self, e);
        }
        fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
            let supers = t
                .supertraits
                .iter()
                .filter_map(|b| match b {
                    syn::TypeParamBound::Trait(tb) => {
                        tb.path.segments.last().map(|s| s.ident.to_string())
                    }
                    _ => None,
                })
                .collect();
            self.0.supertraits.insert(t.ident.to_string(), supers);
            syn::visit::visit_item_trait(self, t);
        }
    }
    syn::visit::Visit::visit_file(&mut Collect(out), file);
}

fn record(out: &mut Facts, ident: &syn::Ident, generics: &syn::Generics, fields: &[&syn::Type]) {
    let erased = fields.iter().any(|ty| is_erased_pointer(ty));
    let holds: Vec<bool> = generics
        .type_params()
        .map(|p| erased || fields.iter().any(|ty| mentions(ty, &p.ident)))
        .collect();
    // Two types of one name in a file (in different modules): hold
    // whatever either holds.
    out.holds_param
        .entry(ident.to_string())
        .and_modify(|old: &mut Vec<bool>| {
            if old.len() == holds.len() {
                for (o, n) in old.iter_mut().zip(&holds) {
                    *o |= *n;
                }
            } else {
                old.iter_mut().for_each(|o| *o = true);
            }
        })
        .or_insert(holds);
}

/// Does the type name the parameter outside `PhantomData<..>`? A macro in
/// type position might, so it counts.
fn mentions(ty: &syn::Type, param: &syn::Ident) -> bool {
    struct Find<'p> {
        param: &'p syn::Ident,
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Find<'_> {
        fn visit_type_path(&mut self, tp: &'ast syn::TypePath) {
            if tp.qself.is_none()
                && tp
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "PhantomData")
            {
                return;
            }
            if tp
                .path
                .segments
                .first()
                .is_some_and(|s| s.ident == *self.param)
            {
                self.found = true;
            }
            syn::visit::visit_type_path(self, tp);
        }
        fn visit_type_macro(&mut self, _: &'ast syn::TypeMacro) {
            self.found = true;
        }
        fn visit_macro(&mut self, _: &'ast syn::Macro) {
            self.found = true;
        }
    }
    let mut find = Find {
        param,
        found: false,
    };
    syn::visit::Visit::visit_type(&mut find, ty);
    find.found
}

/// `*mut u8`, `*const ()`, `*mut c_void`, `NonNull<u8>`, `AtomicPtr<()>`:
/// a pointer to memory of any type.
fn is_erased_pointer(ty: &syn::Type) -> bool {
    let erased = |t: &syn::Type| match t {
        syn::Type::Tuple(t) => t.elems.is_empty(),
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "u8" | "c_void" | "c_char" | "i8"
            )
        }),
        _ => false,
    };
    match ty {
        syn::Type::Ptr(p) => erased(&p.elem),
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            matches!(s.ident.to_string().as_str(), "NonNull" | "AtomicPtr")
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if erased(t))))
        }),
        syn::Type::Array(a) => is_erased_pointer(&a.elem),
        syn::Type::Paren(p) => is_erased_pointer(&p.elem),
        syn::Type::Group(g) => is_erased_pointer(&g.elem),
        _ => false,
    }
}

/// Does the bound name one of the traits, directly or through the
/// supertraits of a trait of the file (`S: Schedule` where `trait
/// Schedule: Sync`)?
fn bound_implies(bound: &syn::TypeParamBound, accepted: &[&str], facts: &Facts) -> bool {
    let syn::TypeParamBound::Trait(tb) = bound else {
        return false;
    };
    let Some(last) = tb.path.segments.last() else {
        return false;
    };
    let mut seen: Vec<String> = Vec::new();
    let mut todo = vec![last.ident.to_string()];
    while let Some(name) = todo.pop() {
        if accepted.contains(&name.as_str()) {
            return true;
        }
        if seen.contains(&name) || seen.len() > 64 {
            continue;
        }
        if let Some(supers) = facts.supertraits.get(&name) {
            todo.extend(supers.iter().cloned());
        }
        seen.push(name);
    }
    false
}

/// Is the impl's parameter the self type's argument at a position where
/// the type (a struct or enum of the file) holds no value of it?
fn not_held(item: &syn::ItemImpl, param: &syn::Ident, facts: &Facts) -> bool {
    let syn::Type::Path(tp) = &*item.self_ty else {
        return false;
    };
    let Some(last) = tp.path.segments.last() else {
        return false;
    };
    let Some(holds) = facts.holds_param.get(&last.ident.to_string()) else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    let types: Vec<&syn::Type> = args
        .args
        .iter()
        .filter_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    if types.len() != holds.len() {
        return false;
    }
    let mut at_a_free_position = false;
    for (ty, holds) in types.iter().zip(holds) {
        let names_param = mentions(ty, param);
        if !names_param {
            continue;
        }
        // `X<T>` only: `X<Vec<T>>` is not worked out.
        let plain = matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident(param));
        if *holds || !plain {
            return false;
        }
        at_a_free_position = true;
    }
    at_a_free_position
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
        let facts = &a.send_sync_facts;
        let mut missing = Vec::new();
        for param in item.generics.type_params() {
            let mut bounded = param
                .bounds
                .iter()
                .any(|b| bound_implies(b, accepted, facts));
            if let Some(where_clause) = &item.generics.where_clause {
                for predicate in &where_clause.predicates {
                    if let syn::WherePredicate::Type(pt) = predicate {
                        // `T: Sync` or `T::Target: Sync` both constrain T.
                        let about_param = matches!(&pt.bounded_ty, syn::Type::Path(tp) if tp.path.segments.first().is_some_and(|s| s.ident == param.ident));
                        if about_param
                            && pt.bounds.iter().any(|b| bound_implies(b, accepted, facts))
                        {
                            bounded = true;
                        }
                    }
                }
            }
            // A type that holds no `T` (`PhantomData<T>` at most) shares
            // none across threads.
            if !bounded && !not_held(item, &param.ident, facts) {
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
