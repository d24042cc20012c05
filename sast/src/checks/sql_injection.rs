use super::prelude::*;

/// `sql-injection`: untrusted text reaches SQL execution (call sinks from
/// the table, and `execute`/`query`-style methods on database handles from
/// `patterns::METHOD_SINKS`).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::SQL);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        let Some(sink) = method_sinks(m.name, taint::SQL).next() else {
            return;
        };
        let http_builder = {
            let (methods, _) = chain(&m.expr.receiver);
            // `client.get(url)`, not a pool's `pool.get()`.
            methods.iter().any(|c| {
                !c.args.is_empty()
                    && matches!(
                        c.method.to_string().as_str(),
                        "get"
                            | "post"
                            | "put"
                            | "delete"
                            | "patch"
                            | "request"
                            | "header"
                            | "bearer_auth"
                    )
            }) || a.receiver_type(cx, &m.expr.receiver).is_some_and(|t| {
                HTTP_CLIENT_TYPES.iter().any(|h| path_ends_with(&t, h))
                    || t.contains("RequestBuilder")
            })
        };
        // A prepared statement's parameters (`stmt.query([id])`,
        // `stmt.query_map(params![a, b], ..)`), bound, not pasted.
        let arg_is_params = m.expr.args.first().is_some_and(|a| match peel(a) {
            Expr::Array(_) | Expr::Tuple(_) => true,
            Expr::Macro(mac) => matches!(
                last_ident(&mac.mac.path).as_str(),
                "params" | "named_params"
            ),
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "params_from_iter")
            }
            _ => false,
        });
        if !http_builder && !arg_is_params {
            a.report_sink(
                cx,
                taint::SQL,
                m.args.get(sink.arg).copied().unwrap_or_default(),
                &format!("{} (`.{}()`)", sink.what, m.name),
                (m.span, m.full()),
            );
        }
    }
}
