use super::prelude::*;

/// `sensitive-header-not-marked`: an `Authorization` header value inserted
/// in a function that never calls `set_sensitive(true)`.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        match m.name {
            "set_sensitive" if m.expr.args.first().and_then(lit_bool) == Some(true) => {
                cx.sensitive_header_set = true
            }
            "insert" | "append" | "header" | "insert_header" | "append_header" => {
                let key = match m.expr.args.first().map(peel) {
                    Some(Expr::Tuple(t)) => t.elems.first(),
                    _ => m.expr.args.first(),
                };
                let is_auth = key.is_some_and(|k| match peel(k) {
                    Expr::Path(p) => matches!(
                        last_ident(&p.path).as_str(),
                        "AUTHORIZATION" | "PROXY_AUTHORIZATION"
                    ),
                    other => lit_str(other).is_some_and(|s| {
                        s.eq_ignore_ascii_case("authorization")
                            || s.eq_ignore_ascii_case("proxy-authorization")
                    }),
                });
                if is_auth {
                    let finding = a.finding(
                        cx,
                        id::SENSITIVE_HEADER,
                        m.span,
                        "`Authorization` header value not marked with `set_sensitive(true)`".into(),
                    );
                    cx.deferred_header.push(finding);
                }
            }
            _ => {}
        }
    }
}
