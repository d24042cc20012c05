use super::prelude::*;

/// `get-unchecked-dynamic-index`: `get_unchecked` with a computed index.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if matches!(m.name, "get_unchecked" | "get_unchecked_mut")
            && m.expr.args.first().is_some_and(|e| !is_const_like(e))
        {
            a.report(
                Some(cx),
                id::GET_UNCHECKED_DYNAMIC_INDEX,
                m.span,
                m.full(),
                format!("`{}` with an index that is not a constant", m.name),
            );
        }
    }
}
