use super::prelude::*;

/// `ctor-uses-std`: std used in a `#[ctor]`/`#[dtor]` function (reported
/// once per function).
pub(crate) struct Check;

impl super::Check for Check {
    fn macro_enter(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if cx.ctor && !cx.ctor_reported && (m.is_print || m.resolved.starts_with("std::")) {
            cx.ctor_reported = true;
            let span = m.mac.path.span();
            a.report(
                Some(cx),
                id::CTOR_USES_STD,
                span,
                span,
                format!("`{}!` uses std before `main` runs", m.name),
            );
        }
    }

    fn path(
        &self,
        a: &mut FileAnalyzer<'_>,
        cx: Option<&mut FnCx>,
        path: &syn::Path,
        resolved: &str,
    ) {
        let Some(cx) = cx else { return };
        if cx.ctor
            && !cx.ctor_reported
            && STD_ONLY_PREFIXES
                .iter()
                .any(|p| path_matches(resolved, p) && resolved.starts_with("std::"))
        {
            cx.ctor_reported = true;
            let span = path.span();
            a.report(
                Some(cx),
                id::CTOR_USES_STD,
                span,
                span,
                format!("`{}` used before `main` runs", short(resolved)),
            );
        }
    }
}

/// Parts of std that need the runtime (unlike `core` re-exports such as
/// atomics, `ptr` and `mem`, which are fine before `main`).
const STD_ONLY_PREFIXES: &[&str] = &[
    "std::io",
    "std::fs",
    "std::thread",
    "std::env",
    "std::process",
    "std::net",
    "std::path",
    "std::os",
    "std::sync::Mutex",
    "std::sync::RwLock",
    "std::sync::mpsc",
    "std::time::SystemTime",
    "std::time::Instant",
    "std::collections",
];
