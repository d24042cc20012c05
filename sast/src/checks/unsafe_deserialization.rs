use super::prelude::*;

/// `unsafe-deserialization`: untrusted bytes decoded by formats that trust
/// their input.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::DESER);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !matches!(m.name, "deserialize" | "deserialize_from") {
            return;
        }
        let (_, root) = chain(&m.expr.receiver);
        let bincode = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if a.imports.resolve(&p.path).starts_with("bincode")));
        if bincode {
            a.report_sink(
                cx,
                taint::DESER,
                m.arg0(),
                "a deserialiser that trusts its input (`bincode`)",
                (m.span, m.full()),
            );
        }
    }
}
