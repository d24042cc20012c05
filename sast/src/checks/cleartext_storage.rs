use super::cleartext_logging::secret_expr_name;
use super::prelude::*;

/// `cleartext-storage`: a value named like a secret written to a file or a
/// plain TCP stream.
pub(crate) struct Check;

/// Functions that write their second argument to a file.
const WRITE_FNS: &[&str] = &["std::fs::write", "tokio::fs::write", "async_std::fs::write"];

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        if !WRITE_FNS.iter().any(|f| path_ends_with(call.callee, f)) {
            return;
        }
        if let Some(secret) = call.expr.args.get(1).and_then(secret_expr_name) {
            let span = call.expr.span();
            a.report(
                Some(cx),
                id::CLEARTEXT_STORAGE,
                span,
                span,
                format!("`{secret}` is written to a file unencrypted"),
            );
        }
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !matches!(m.name, "write_all" | "write") {
            return;
        }
        let ty = a.receiver_type(cx, &m.expr.receiver).unwrap_or_default();
        let sink = if ty.ends_with("TcpStream") {
            "a plain TCP stream"
        } else if ty.ends_with("File") || ty.ends_with("OpenOptions") {
            "a file"
        } else {
            return;
        };
        if let Some(secret) = m.expr.args.first().and_then(secret_expr_name) {
            a.report(
                Some(cx),
                id::CLEARTEXT_STORAGE,
                m.span,
                m.full(),
                format!("`{secret}` is written to {sink} unencrypted"),
            );
        }
    }
}
