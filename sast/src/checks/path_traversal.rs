use super::prelude::*;

/// `path-traversal`: untrusted paths reach file system calls.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::PATH);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if m.name != "open" {
            return;
        }
        let ty = a.receiver_type(cx, &m.expr.receiver).unwrap_or_default();
        let (_, root) = chain(&m.expr.receiver);
        let from_options = ty.ends_with("OpenOptions")
            || matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "options"));
        if from_options {
            a.report_sink(
                cx,
                taint::PATH,
                m.arg0(),
                "a file system path (`OpenOptions::open`)",
                (m.span, m.full()),
            );
        }
    }
}
