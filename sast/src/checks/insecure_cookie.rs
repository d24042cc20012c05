use super::prelude::*;

/// `insecure-cookie`: cookies built without `Secure`/`HttpOnly`, or with
/// them explicitly off.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        if path_ends_with(call.callee, "Cookie::new") {
            let finding = a.finding(
                cx,
                id::INSECURE_COOKIE,
                call.expr.span(),
                "cookie created without `set_secure(true)`".into(),
            );
            cx.deferred_cookie.push(finding);
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !matches!(
            m.name,
            "secure" | "set_secure" | "http_only" | "set_http_only"
        ) {
            return;
        }
        match m.expr.args.first().and_then(lit_bool) {
            Some(false) => a.report(
                Some(cx),
                id::INSECURE_COOKIE,
                m.span,
                m.full(),
                format!("cookie built with `{}(false)`", m.name),
            ),
            Some(true) if m.name == "set_secure" => cx.secure_cookie_set = true,
            _ => {}
        }
    }

    fn chain_top(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &syn::ExprMethodCall) {
        let outer = Expr::MethodCall(m.clone());
        let (methods, root) = chain(&outer);
        let Expr::Call(c) = root else { return };
        let Expr::Path(p) = &*c.func else { return };
        let callee = a.imports.resolve(&p.path);
        if path_ends_with(&callee, "Cookie::build") || path_ends_with(&callee, "CookieBuilder::new")
        {
            let secure = methods.iter().any(|c| c.method == "secure");
            let http_only = methods.iter().any(|c| c.method == "http_only");
            if !secure || !http_only {
                let missing = match (secure, http_only) {
                    (false, false) => "`secure(true)` and `http_only(true)`",
                    (false, true) => "`secure(true)`",
                    _ => "`http_only(true)`",
                };
                a.report(
                    Some(cx),
                    id::INSECURE_COOKIE,
                    c.span(),
                    c.span(),
                    format!("cookie built without {missing}"),
                );
            }
        }
    }
}
