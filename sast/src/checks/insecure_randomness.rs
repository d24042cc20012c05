use super::prelude::*;

/// `insecure-randomness`: a predictable generator used where a secret is
/// being generated (the engine tracks that context from names).
pub(crate) struct Check;

impl super::Check for Check {
    fn path(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: Option<&mut FnCx>,
        path: &syn::Path,
        resolved: &str,
    ) {
        let Some(cx) = cx else { return };
        if cx.secret_context && WEAK_RNG_PATTERNS.iter().any(|p| path_matches(resolved, p)) {
            let span = path.span();
            let message = format!(
                "secret generated with a predictable generator (`{}`)",
                short(resolved)
            );
            a.report(Some(cx), id::INSECURE_RANDOMNESS, span, span, message);
        }
    }
}
