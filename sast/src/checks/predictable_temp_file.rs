use super::prelude::*;

/// `predictable-temp-file`: fixed names under `/tmp` or `temp_dir()`.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if m.name != "join" {
            return;
        }
        let (_, root) = chain(&m.expr.receiver);
        let from_temp = matches!(root, Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if path_ends_with(&a.imports.resolve(&p.path), "std::env::temp_dir")));
        if from_temp && m.expr.args.first().and_then(lit_str).is_some() {
            a.report(
                Some(cx),
                id::PREDICTABLE_TEMP_FILE,
                m.span,
                m.full(),
                "fixed file name in the shared temporary directory".into(),
            );
        }
    }

    fn literal(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, lit: &syn::Lit, value: &str) {
        if ["/tmp/", "/var/tmp/", "/dev/shm/"]
            .iter()
            .any(|p| value.starts_with(p) && value.len() > p.len())
        {
            let span = lit.span();
            a.report(
                cx,
                id::PREDICTABLE_TEMP_FILE,
                span,
                span,
                format!("fixed path `{value}` in a shared temporary directory"),
            );
        }
    }
}
