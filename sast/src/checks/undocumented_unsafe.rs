use super::prelude::*;

/// `undocumented-unsafe`: `unsafe` blocks and impls without `// SAFETY:`.
pub(crate) struct Check;

impl super::Check for Check {
    fn unsafe_block(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, u: &syn::ExprUnsafe) {
        let line = start_of(u.unsafe_token.span).0;
        if !a.has_safety_comment(line, cx.stmt_line) {
            a.report(
                Some(cx),
                id::UNDOCUMENTED_UNSAFE,
                u.unsafe_token.span,
                u.unsafe_token.span,
                "`unsafe` block without a `// SAFETY:` comment".into(),
            );
        }
    }

    fn item_impl(&self, a: &mut FileAnalyzer<'_>, item: &syn::ItemImpl) {
        let Some(unsafety) = item.unsafety else {
            return;
        };
        let line = start_of(unsafety.span).0;
        if !a.has_safety_comment(line, line) {
            a.report(
                None,
                id::UNDOCUMENTED_UNSAFE,
                unsafety.span,
                unsafety.span,
                "`unsafe impl` without a `// SAFETY:` comment".into(),
            );
        }
    }
}
