use super::prelude::*;

/// `cleartext-url`: `http://` and `ws://` literals to non-local hosts, and
/// `http://` URLs formatted from untrusted input or a secret
/// (`format!("http://{host}/login?pw={password}")`).
pub(crate) struct Check;

impl super::Check for Check {
    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if m.name != "format" {
            return;
        }
        let Some(template) = m.args.first().and_then(|arg| lit_str(&arg.expr)) else {
            return;
        };
        let lower = template
            .get(..7)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if lower != "http://" && !lower.starts_with("ws://") {
            return;
        }
        let rest = template.split_once("://").map(|(_, r)| r).unwrap_or("");
        if rest.starts_with("localhost") || rest.starts_with("127.") || rest.starts_with('[') {
            return;
        }
        let tainted = m.taints.iter().skip(1).any(|t| t.is_tainted())
            || m.captured
                .iter()
                .any(|(name, _, _)| cx.vars.get(name).is_some_and(|v| v.taint.is_tainted()));
        let secret_arg = m.args.iter().skip(1).any(|arg| {
            arg.name.as_deref().is_some_and(is_secret_name)
                || var_of(&arg.expr).is_some_and(|v| is_secret_name(&v))
        }) || m.captured.iter().any(|(name, _, _)| is_secret_name(name));
        if tainted || secret_arg {
            let span = m.mac.span();
            let what = if secret_arg {
                "a secret"
            } else {
                "untrusted input"
            };
            a.report(
                Some(cx),
                id::CLEARTEXT_URL,
                span,
                span,
                format!("an `http://` URL is built from {what} and sent without TLS"),
            );
        }
    }

    fn literal(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, lit: &syn::Lit, value: &str) {
        let lower = value
            .get(..7)
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let rest = if lower == "http://" {
            Some(&value[7..])
        } else if lower.starts_with("ws://") {
            value.get(5..)
        } else {
            None
        };
        if let Some(rest) = rest {
            if !is_benign_http_host(rest) {
                let shown: String = value.chars().take(60).collect();
                let span = lit.span();
                a.report(
                    cx,
                    id::CLEARTEXT_URL,
                    span,
                    span,
                    format!("`{shown}` is fetched without TLS"),
                );
            }
        }
    }
}

/// Hosts for which plain http is fine: loopback, documentation and XML
/// namespace URIs that are identifiers, not endpoints.
fn is_benign_http_host(rest: &str) -> bool {
    // Schema and namespace identifiers are names, never fetched.
    let lower_rest = rest.to_ascii_lowercase();
    if lower_rest.contains("/schema/")
        || lower_rest.ends_with(".xsd")
        || lower_rest.ends_with(".schema.json")
        || lower_rest.contains("/ns/")
    {
        return true;
    }
    let host = rest
        .split(['/', ':', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    host.is_empty()
        || host == "localhost"
        || host.starts_with("127.")
        || host.starts_with('[')
        || host == "0.0.0.0"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".test")
        || host.ends_with(".invalid")
        || host.ends_with(".internal")
        || host.ends_with(".svc")
        || host.contains("example.")
        || host.contains('{')
        || host.contains('*')
        || matches!(
            host.as_str(),
            "www.w3.org"
                | "json-schema.org"
                | "purl.org"
                | "schemas.xmlsoap.org"
                | "schemas.microsoft.com"
                | "ns.adobe.com"
                | "xmlns.com"
                | "www.apache.org"
                | "opensource.org"
                | "www.opengis.net"
        )
}

//==IMPL1
