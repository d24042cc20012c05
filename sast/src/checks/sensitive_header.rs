use super::prelude::*;

/// `sensitive-header-not-marked`: an `Authorization` header value inserted
/// without `set_sensitive(true)`. Tracked per value: a variable inserted as
/// the value must itself have been marked; a value that is not a plain
/// variable is accepted when anything in the function was marked.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        match m.name {
            "set_sensitive" if m.expr.args.first().and_then(lit_bool) == Some(true) => {
                cx.sensitive_header_set = true;
                if let Some(v) = var_of(&m.expr.receiver) {
                    cx.sensitive_values.push(v);
                }
            }
            "insert" | "append" | "header" | "insert_header" | "append_header" => {
                let (key, value) = match m.expr.args.first().map(peel) {
                    Some(Expr::Tuple(t)) => (t.elems.first(), t.elems.get(1)),
                    _ => (m.expr.args.first(), m.expr.args.get(1)),
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
                    cx.deferred_header.push((value.and_then(var_of), finding));
                }
            }
            _ => {}
        }
    }
}
