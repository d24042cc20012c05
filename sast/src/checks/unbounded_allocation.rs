use super::prelude::*;

/// `unbounded-allocation`: untrusted sizes reach allocations (call sinks,
/// method sinks `reserve`/`resize`/`repeat`/`with_capacity`; `vec![x; n]` is handled by
/// the engine's macro evaluation). A `Layout` built from an untrusted size
/// carries its taint to the allocator call that uses it: `alloc(layout)`,
/// `System.alloc(layout)`, `Global.allocate(layout)`, `a.grow(p, old, new)`.
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
        if let Some(arg) = allocator_size_arg(m) {
            a.report_sink(
                cx,
                taint::ALLOC,
                m.args.get(arg).copied().unwrap_or_default(),
                &format!("an allocation's layout (`.{}()`)", m.name),
                (m.span, m.full()),
            );
        }
    }
}

/// The argument of an allocator method (`GlobalAlloc`, `Allocator`) that
/// sizes the memory: the layout, or the new layout or size. `alloc`,
/// `alloc_zeroed` and `realloc` are common names (arenas allocate values),
/// so they count only on the standard allocators `System` and `Global`;
/// the `Allocator` methods by their arity.
fn allocator_size_arg(m: &Method<'_>) -> Option<usize> {
    let n = m.expr.args.len();
    let std_allocator = || match peel(&m.expr.receiver) {
        Expr::Path(p) => matches!(last_ident(&p.path).as_str(), "System" | "Global"),
        _ => false,
    };
    match m.name {
        "allocate" | "allocate_zeroed" if n == 1 => Some(0),
        "grow" | "grow_zeroed" if n == 3 => Some(2),
        "alloc" | "alloc_zeroed" if n == 1 && std_allocator() => Some(0),
        "realloc" if n == 3 && std_allocator() => Some(2),
        _ => None,
    }
}
