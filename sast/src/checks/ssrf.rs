use super::prelude::*;

/// `ssrf`: untrusted URLs for outgoing requests.
pub(crate) struct Check;

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        super::report_call_sinks(a, cx, call, taint::URL);
    }

    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        match m.name {
            "get" | "post" | "put" | "patch" | "delete" | "head" | "request" => {
                let ty = a.receiver_type(cx, &m.expr.receiver).unwrap_or_default();
                let is_client = |ty: &str| HTTP_CLIENT_TYPES.iter().any(|h| path_ends_with(ty, h));
                if is_client(&ty)
                    || a.field_receiver_types(cx, &m.expr.receiver)
                        .iter()
                        .any(|t| is_client(t))
                {
                    let url = if m.name == "request" {
                        m.args.get(1).copied().unwrap_or_default()
                    } else {
                        m.arg0()
                    };
                    a.report_sink(
                        cx,
                        taint::URL,
                        url,
                        "the URL of an outgoing HTTP request",
                        (m.span, m.full()),
                    );
                }
            }
            "uri" => a.report_sink(
                cx,
                taint::URL,
                m.arg0(),
                "the URI of an outgoing HTTP request",
                (m.span, m.full()),
            ),
            _ => {}
        }
    }
}
