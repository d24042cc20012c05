use super::prelude::*;

/// `unbounded-allocation`: untrusted sizes reach allocations (call sinks,
/// method sinks `reserve`/`resize`/`repeat`/`with_capacity`; `vec![x; n]` is handled by
/// the engine's macro evaluation).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::ALLOC);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        for sink in method_sinks(m.name, taint::ALLOC) {
            a.report_sink(
                cx,
                taint::ALLOC,
                m.args.get(sink.arg).copied().unwrap_or_default(),
                &format!("{} (`.{}()`)", sink.what, m.name),
                (m.span, m.full()),
            );
        }
    }
}
