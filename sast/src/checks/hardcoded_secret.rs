use super::prelude::*;

/// `hardcoded-secret`: a name that says password/token/key bound to a
/// literal that is not an obvious placeholder.
pub(crate) struct Check;

impl super::Check for Check {
    fn binding(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, name: &str, e: &Expr) {
        // A number or other non-string literal (most constants) is never
        // one: skip the name check.
        if matches!(peel(e), Expr::Lit(l) if !matches!(l.lit, syn::Lit::Str(_))) {
            return;
        }
        if !is_secret_name_for_literal(name) {
            return;
        }
        let Some(value) = lit_str(e) else { return };
        let placeholder = value.len() < 4
            || value.contains(char::is_whitespace)
            || value.starts_with(['$', '{', '<', '%', '/'])
            || value
                .chars()
                .all(|c| c == value.chars().next().unwrap_or('x'))
            || (value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
                && value.contains('_'))
            || value.eq_ignore_ascii_case("redacted")
            || value.contains("://");
        if !placeholder {
            let span = e.span();
            a.report(
                cx,
                id::HARDCODED_SECRET,
                span,
                span,
                format!("`{name}` is set from a string literal"),
            );
        }
    }
}
