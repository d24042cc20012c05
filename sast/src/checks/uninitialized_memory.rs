use super::prelude::*;

/// `uninitialized-memory`: `assume_init` on fresh `uninit()`, `set_len`
/// right after reserving (`mem::uninitialized` is in the path table).
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        match m.name {
            "assume_init" => {
                let (_, root) = chain(&m.expr.receiver);
                let uninit = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if matches!(last_ident(&p.path).as_str(), "uninit" | "uninit_array")));
                if uninit {
                    a.report(
                        Some(cx),
                        id::UNINITIALIZED_MEMORY,
                        m.span,
                        m.full(),
                        "`assume_init` on memory that was never written".into(),
                    );
                }
            }
            "set_len" => {
                let fresh = var_of(&m.expr.receiver)
                    .and_then(|v| cx.vars.get(&v))
                    .is_some_and(|v| v.fresh_capacity);
                if fresh {
                    a.report(
                        Some(cx),
                        id::UNINITIALIZED_MEMORY,
                        m.span,
                        m.full(),
                        "`set_len` right after reserving capacity exposes elements that were never written".into(),
                    );
                }
            }
            _ => {}
        }
    }
}
