use super::prelude::*;

/// `unbounded-allocation`: untrusted sizes reach allocations (call sinks,
/// `reserve`/`resize`/`repeat`/`with_capacity`; `vec![x; n]` is handled by
/// the engine's macro evaluation).
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::ALLOC);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if matches!(
            m.name,
            "reserve" | "reserve_exact" | "resize" | "repeat" | "with_capacity"
        ) {
            a.report_sink(
                cx,
                taint::ALLOC,
                m.arg0(),
                &format!("an allocation size (`.{}()`)", m.name),
                (m.span, m.full()),
            );
        }
    }
}
