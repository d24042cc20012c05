use super::prelude::*;

/// `tls-verification-disabled`: certificate or hostname checks turned off
/// on a client builder, or a rustls verifier that accepts everything.
pub(crate) struct Check;

impl super::Check for Check {
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        let (span, full_span, name) = (m.span, m.full(), m.name);
        let first_bool = m.expr.args.first().and_then(lit_bool);
        match name {
            // A non-literal argument is a user's explicit `--insecure`
            // choice wired through; the literal `true` is the bug.
            "danger_accept_invalid_certs" | "danger_accept_invalid_hostnames"
                if first_bool == Some(true) =>
            {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    full_span,
                    format!("`{name}` turns off TLS verification"),
                );
            }
            "verify_hostname" | "set_verify_hostname" if first_bool == Some(false) => {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    full_span,
                    "hostname verification turned off".into(),
                );
            }
            // Delegating to webpki or the platform verifier checks certificates.
            "with_custom_certificate_verifier" | "set_certificate_verifier"
                if !m.expr.args.iter().any(|e| {
                    let tokens = quote::ToTokens::to_token_stream(e).to_string()
                        + &a.receiver_type(cx, e).unwrap_or_default();
                    let tokens = tokens.to_ascii_lowercase();
                    tokens.contains("webpki") || tokens.contains("platform_verifier")
                }) =>
            {
                a.report(
                    Some(cx),
                    id::TLS_VERIFICATION_DISABLED,
                    span,
                    full_span,
                    format!("`{name}` replaces rustls certificate verification"),
                );
            }
            "set_verify_callback" => {
                let accepts_all = m.expr.args.iter().any(
                    |e| matches!(peel(e), Expr::Closure(c) if lit_bool(&c.body) == Some(true)),
                );
                if accepts_all {
                    a.report(
                        Some(cx),
                        id::TLS_VERIFICATION_DISABLED,
                        span,
                        full_span,
                        "verify callback accepts every certificate".into(),
                    );
                }
            }
            _ => {}
        }
    }

    /// A rustls verifier whose `verify_server_cert` returns success without
    /// verifying anything.
    fn item_impl(&self, a: &mut FileAnalyzer<'_>, item: &syn::ItemImpl) {
        let Some((_, trait_path, _)) = &item.trait_ else {
            return;
        };
        let trait_name = last_ident(trait_path);
        if trait_name != "ServerCertVerifier" && trait_name != "ClientCertVerifier" {
            return;
        }
        for impl_item in &item.items {
            if let syn::ImplItem::Fn(f) = impl_item {
                let name = f.sig.ident.to_string();
                if name != "verify_server_cert" && name != "verify_client_cert" {
                    continue;
                }
                let body = quote::ToTokens::to_token_stream(&f.block).to_string();
                let delegates = body.contains("verify_server_cert")
                    || body.contains("verify_client_cert")
                    || body.contains("verify_server_name")
                    || body.contains("verify_signature")
                    || body.contains("Err");
                if body.contains("assertion") && !delegates {
                    let span = f.sig.ident.span();
                    a.report(
                        None,
                        id::TLS_VERIFICATION_DISABLED,
                        span,
                        span,
                        format!("`{trait_name}::{name}` accepts every certificate"),
                    );
                }
            }
        }
    }
}
