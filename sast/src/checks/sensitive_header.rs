use super::prelude::*;

/// `sensitive-header-not-marked`: an `Authorization` header value built in
/// the function (text, or a `HeaderValue` made from text there) and
/// inserted without `set_sensitive(true)`. Tracked per value: a variable
/// inserted as the value must itself have been marked; a value that is not
/// a plain variable is accepted when anything in the function was marked.
///
/// A value the function did not build (a parameter or field holding a
/// `HeaderValue`, another function's result: reqwest's `util::basic_auth`,
/// a proxy's stored credentials) was marked or not where it was built; it
/// is not reported at the insert. Text is always reported: a `String` or
/// `&str` cannot carry the flag, so the header made from it is unmarked.
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
                let built = value.is_some_and(|v| built_header_value(cx, v));
                if is_auth && built {
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

/// Whether `e` is a header value built by this function: text (a literal,
/// `format!`, `to_string()`, a `String`/`&str` variable or parameter), a
/// `HeaderValue`/`String` constructor, `.parse()` of anything, or a
/// variable bound to one of these. Unknown origin is `false`.
pub(crate) fn built_header_value(cx: &FnCx, e: &Expr) -> bool {
    match peel(e) {
        Expr::Lit(l) => matches!(l.lit, syn::Lit::Str(_) | syn::Lit::ByteStr(_)),
        Expr::Macro(m) => matches!(
            m.mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .as_deref(),
            Some("format" | "concat")
        ),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => cx
            .vars
            .get(&p.path.segments[0].ident.to_string())
            .is_some_and(|v| {
                v.header_built
                    || v.ty.as_deref().is_some_and(|t| {
                        matches!(t.rsplit("::").next(), Some("String" | "str" | "Cow"))
                    })
            }),
        Expr::Call(c) => match peel(&c.func) {
            Expr::Path(p) => {
                let segments = path_idents(&p.path);
                segments.iter().any(|s| matches!(s.as_str(), "HeaderValue" | "String"))
                    // `HeaderValue::try_from(x)` with `x` built here.
                    || (matches!(segments.last().map(String::as_str), Some("from" | "try_from"))
                        && c.args.first().is_some_and(|a| built_header_value(cx, a)))
            }
            _ => false,
        },
        Expr::MethodCall(m) => match m.method.to_string().as_str() {
            "parse" | "to_string" | "to_owned" => true,
            "unwrap" | "expect" | "unwrap_or_default" | "into" | "try_into" | "clone"
            | "as_str" | "as_ref" | "as_bytes" | "into_bytes" | "to_vec" => {
                built_header_value(cx, &m.receiver)
            }
            _ => false,
        },
        Expr::Block(b) => b
            .block
            .stmts
            .last()
            .is_some_and(|s| matches!(s, syn::Stmt::Expr(e, None) if built_header_value(cx, e))),
        _ => false,
    }
}
