use super::prelude::*;

/// `trusted-exe-path`: `argv[0]` used as if it named the program.
pub(crate) struct Check;

impl super::Check for Check {
    fn index(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, i: &syn::ExprIndex) {
        if lit_int(&i.index) == Some(0)
            && var_of(&i.expr)
                .and_then(|v| cx.vars.get(&v))
                .is_some_and(|v| v.argv)
        {
            a.report(
                Some(cx),
                id::TRUSTED_EXE_PATH,
                i.span(),
                i.span(),
                "`argv[0]` is chosen by whoever starts the process".into(),
            );
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !matches!(m.name, "next" | "nth") {
            return;
        }
        let first = m.name == "next" || m.expr.args.first().and_then(lit_int) == Some(0);
        let (methods, root) = chain(&m.expr.receiver);
        let from_args = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if { let r = a.imports.resolve(&p.path); path_ends_with(&r, "std::env::args") || path_ends_with(&r, "std::env::args_os") }));
        if first && from_args && methods.is_empty() {
            a.report(
                Some(cx),
                id::TRUSTED_EXE_PATH,
                m.span,
                m.full(),
                "`argv[0]` is chosen by whoever starts the process".into(),
            );
        }
    }
}
