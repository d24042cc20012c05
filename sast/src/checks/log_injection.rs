use super::prelude::*;

/// `log-injection`: untrusted text rendered with `Display` into a log macro.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::LOG);
    }

    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if !m.is_log {
            return;
        }
        for (i, render) in m.rendered {
            if *render == Render::Display {
                let arg = &m.args[*i];
                a.report_sink(
                    cx,
                    taint::LOG,
                    m.taints[*i],
                    &format!("a log entry (`{}!`)", m.name),
                    (arg.expr.span(), arg.expr.span()),
                );
            }
        }
        for (ident, render, span) in m.captured {
            if *render == Render::Display {
                let t = cx.vars.get(ident).map(|v| v.taint).unwrap_or_default();
                a.report_sink(
                    cx,
                    taint::LOG,
                    t,
                    &format!("a log entry (`{}!`)", m.name),
                    (*span, *span),
                );
            }
        }
    }
}
