use super::prelude::*;

/// `raw-parts-dynamic-length`: `from_raw_parts` with a computed length.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        if !matches!(call.last, "from_raw_parts" | "from_raw_parts_mut") {
            return;
        }
        if let Some(len) = call.expr.args.get(1) {
            if !is_const_like(len) {
                let span = call.expr.span();
                a.report(
                    Some(cx),
                    id::RAW_PARTS_DYNAMIC_LENGTH,
                    span,
                    span,
                    format!(
                        "`{}` with a length that is not a constant",
                        short(call.callee)
                    ),
                );
            }
        }
    }
}
