use super::prelude::*;

/// `permissive-cors`: CORS that allows every origin.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        match m.name {
            "allow_any_origin" | "send_wildcard" => {
                a.report(
                    Some(cx),
                    id::PERMISSIVE_CORS,
                    m.span,
                    m.full(),
                    format!("`{}()` lets every origin call the API", m.name),
                );
            }
            "allow_origin" | "allowed_origin" => {
                let any = m.expr.args.first().is_some_and(|e| {
                    lit_str(e).as_deref() == Some("*")
                        || matches!(peel(e), Expr::Path(p) if last_ident(&p.path) == "Any")
                });
                if any {
                    a.report(
                        Some(cx),
                        id::PERMISSIVE_CORS,
                        m.span,
                        m.full(),
                        "CORS origin `*` lets every origin call the API".into(),
                    );
                }
            }
            _ => {}
        }
    }
}
