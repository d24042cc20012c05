use super::prelude::*;

/// `sql-injection`: untrusted text reaches SQL execution (call sinks from
/// the table, and `execute`/`query`-style methods on database handles).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::SQL);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !SQL_METHODS.contains(&m.name) {
            return;
        }
        let http_builder = {
            let (methods, _) = chain(&m.expr.receiver);
            methods.iter().any(|c| {
                matches!(
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
        let arg_is_params = m
            .expr
            .args
            .first()
            .is_some_and(|a| matches!(peel(a), Expr::Array(_) | Expr::Tuple(_)));
        if !http_builder && !arg_is_params {
            a.report_sink(
                cx,
                taint::SQL,
                m.arg0(),
                &format!("a SQL query (`.{}()`)", m.name),
                (m.span, m.full()),
            );
        }
    }
}

/// Methods that execute SQL on a database handle.
const SQL_METHODS: &[&str] = &[
    "execute",
    "execute_batch",
    "query",
    "query_row",
    "query_map",
    "query_one",
    "query_opt",
    "query_raw",
    "prepare",
    "prepare_cached",
    "batch_execute",
    "simple_query",
    "fetch_all",
    "fetch_one",
    "fetch_optional",
    // mysql / mysql_async `Queryable`.
    "query_drop",
    "query_first",
    "query_iter",
    "query_fold",
    "exec_drop",
    "exec_first",
    "exec_iter",
    "exec_map",
    "exec_fold",
    "prep",
];
