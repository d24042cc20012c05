use super::prelude::*;

/// `cleartext-logging`: a value named like a secret printed or logged.
pub(crate) struct Check;

impl super::Check for Check {
    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if !m.is_log && !m.is_print {
            return;
        }
        let sink = if m.is_log { "the log" } else { "the console" };
        for (i, _) in m.rendered {
            let arg = &m.args[*i];
            let secret = arg
                .name
                .as_deref()
                .filter(|n| is_secret_name(n))
                .map(str::to_string)
                .or_else(|| secret_expr_name(&arg.expr));
            if let Some(secret) = secret {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_LOGGING,
                    arg.expr.span(),
                    arg.expr.span(),
                    format!("`{secret}` is written to {sink}"),
                );
            }
        }
        for (ident, _, span) in m.captured {
            if is_secret_name(ident) {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_LOGGING,
                    *span,
                    *span,
                    format!("`{ident}` is written to {sink}"),
                );
            }
        }
    }
}

/// If an expression names a secret (`password`, `self.api_key`,
/// `creds.token.as_str()`), that name; `password.len()` does not.
pub(crate) fn secret_expr_name(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Path(p) => {
            let name = last_ident(&p.path);
            is_secret_name(&name).then_some(name)
        }
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) if is_secret_name(&n.to_string()) => Some(n.to_string()),
            _ => None,
        },
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_bytes"
                    | "clone"
                    | "to_string"
                    | "expose_secret"
                    | "as_ref"
                    | "unwrap"
                    | "as_deref"
            ) =>
        {
            secret_expr_name(&m.receiver)
        }
        _ => None,
    }
}
