use super::prelude::*;

/// `unsafe-send-sync`: `unsafe impl Send/Sync` without the matching bounds
/// on the type parameters.
pub(crate) struct Check;

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
                a.report(
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
}

fn bound_names(bound: &syn::TypeParamBound, trait_name: &str) -> bool {
    matches!(bound, syn::TypeParamBound::Trait(tb) if tb.path.segments.last().is_some_and(|s| s.ident == trait_name))
}
