use super::prelude::*;

/// The rules that are a table of API paths (`patterns::PATH_RULES`):
/// `weak-hash`, `weak-cipher`, `mem-transmute` and the other entries there,
/// each reported under the rule id its table row names.
pub(crate) struct Check;

impl super::Check for Check {
    fn path(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: Option<&mut FnCx>,
        path: &syn::Path,
        resolved: &str,
    ) {
        for group in PATH_RULES {
            for rule in group.iter() {
                if path_matches(resolved, rule.pattern) {
                    // Only on a match: syn derives a path's span from its
                    // tokens, which costs an allocation per segment.
                    let span = path.span();
                    let message = format!("{} (`{}`)", rule.message, short(resolved));
                    a.report(cx.as_deref(), rule.rule, span, span, message);
                }
            }
        }
    }
}
