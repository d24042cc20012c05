use super::prelude::*;

/// `command-injection`: untrusted program names (call sinks) and untrusted
/// arguments to a shell (`sh -c`).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::COMMAND);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if matches!(m.name, "arg" | "args" | "raw_arg") && a.is_shell_command(cx, &m.expr.receiver)
        {
            a.report_sink(
                cx,
                taint::COMMAND,
                m.arg0(),
                "a shell command line",
                (m.span, m.full()),
            );
        }
    }
}
