use super::prelude::*;

/// `world-writable-permissions`: modes with the other-write bit.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        if call.last == "from_mode" {
            check_mode(a, cx, call.expr.args.first(), call.expr.span());
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if matches!(m.name, "mode" | "set_mode") {
            check_mode(a, cx, m.expr.args.first(), m.full());
        }
    }
}

fn check_mode(a: &mut FileAnalyzer<'_>, cx: &mut FnCx, arg: Option<&Expr>, span: Span) {
    if let Some(mode) = arg.and_then(lit_int) {
        if mode & 0o002 != 0 {
            a.report(
                Some(cx),
                id::WORLD_WRITABLE,
                span,
                span,
                format!("mode {mode:#o} lets every user write"),
            );
        }
    }
}
