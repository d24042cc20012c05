use super::prelude::*;

/// `xss`: untrusted text in an HTML response body.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::HTML);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if m.name != "body" {
            return;
        }
        let (methods, _) = chain(&m.expr.receiver);
        let html = methods.iter().any(|c| {
            (c.method == "content_type" || c.method == "insert_header" || c.method == "header")
                && c.args.iter().any(tokens_mention_html)
        });
        if html {
            a.report_sink(
                cx,
                taint::HTML,
                m.arg0(),
                "an HTML response body",
                (m.span, m.full()),
            );
        }
    }
}

fn tokens_mention_html(e: &Expr) -> bool {
    quote::ToTokens::to_token_stream(e)
        .to_string()
        .to_ascii_lowercase()
        .contains("html")
}
