use super::prelude::*;

/// `hardcoded-crypto-key`: key or nonce constructors given literal bytes
/// (directly or through a constant holding them).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        let (callee, last) = (call.callee, call.last);
        let type_segment = callee.rsplit("::").nth(1).unwrap_or("");
        let key_ctor = KEY_CONSTRUCTORS.contains(&last)
            || (matches!(last, "from_slice" | "new" | "from" | "clone_from_slice")
                && is_key_type(type_segment))
            || callee.ends_with("symm::encrypt")
            || callee.ends_with("symm::decrypt");
        let literal = |e: &Expr| {
            let (methods, root) = chain(e);
            a.is_literal_material(e)
                || (methods.iter().all(|m| {
                    matches!(
                        m.method.to_string().as_str(),
                        "into"
                            | "as_ref"
                            | "as_slice"
                            | "to_vec"
                            | "clone"
                            | "as_bytes"
                            | "to_owned"
                            | "as_str"
                    )
                }) && var_of(root)
                    .and_then(|v| cx.vars.get(&v))
                    .is_some_and(|v| v.literal))
        };
        if key_ctor && call.expr.args.iter().any(literal) {
            let span = call.expr.span();
            a.report(
                Some(cx),
                id::HARDCODED_CRYPTO_KEY,
                span,
                span,
                format!(
                    "key or nonce for `{}` is written in the source",
                    short(callee)
                ),
            );
        }
    }
}
