use super::prelude::*;

/// `cleartext-logging`: a value named like a secret, or built from one
/// (`let line = format!("pw={password}")`), printed or logged.
pub(crate) struct Check;

impl super::Check for Check {
    fn macro_call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &MacroCall<'_>) {
        if !m.is_log && !m.is_print {
            return;
        }
        let sink = if m.is_log { "the log" } else { "the console" };
        for (i, render) in m.rendered {
            let arg = &m.args[*i];
            if *render == Render::Debug {
                if let Some((ty, field)) = var_of(&arg.expr).and_then(|v| secret_debug(a, cx, &v)) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        arg.expr.span(),
                        arg.expr.span(),
                        format!("`{ty}` derives `Debug`, which writes its `{field}` to {sink}"),
                    );
                    continue;
                }
            }
            let secret = arg
                .name
                .as_deref()
                .filter(|n| is_secret_name(n))
                .map(str::to_string)
                .or_else(|| secret_source(cx, &arg.expr));
            if let Some(secret) = secret {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_LOGGING,
                    arg.expr.span(),
                    arg.expr.span(),
                    format!("`{secret}` is written to {sink}"),
                );
            }
        }
        for (ident, render, span) in m.captured {
            if *render == Render::Debug {
                if let Some((ty, field)) = secret_debug(a, cx, ident) {
                    a.report(
                        Some(cx),
                        id::CLEARTEXT_LOGGING,
                        *span,
                        *span,
                        format!("`{ty}` derives `Debug`, which writes its `{field}` to {sink}"),
                    );
                    continue;
                }
            }
            let secret = if is_secret_name(ident) {
                Some(ident.clone())
            } else {
                cx.vars.get(ident).and_then(|v| v.secret.clone())
            };
            if let Some(secret) = secret {
                a.report(
                    Some(cx),
                    id::CLEARTEXT_LOGGING,
                    *span,
                    *span,
                    format!("`{secret}` is written to {sink}"),
                );
            }
        }
    }
}

/// If an expression names a secret (`password`, `self.api_key`,
/// `creds.token.as_str()`), that name; `password.len()` does not.
pub(crate) fn secret_expr_name(e: &Expr) -> Option<String> {
    match peel(e) {
        Expr::Path(p) => {
            let name = last_ident(&p.path);
            is_secret_name(&name).then_some(name)
        }
        Expr::Field(f) => match &f.member {
            syn::Member::Named(n) if is_secret_name(&n.to_string()) => Some(n.to_string()),
            _ => None,
        },
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_bytes"
                    | "clone"
                    | "to_string"
                    | "expose_secret"
                    | "as_ref"
                    | "unwrap"
                    | "as_deref"
            ) =>
        {
            secret_expr_name(&m.receiver)
        }
        _ => None,
    }
}

/// The secret an expression holds: named like one ([`secret_expr_name`]),
/// or a variable, `format!`, concatenation or conversion built from one
/// (`format!("Bearer {token_secret}")`, `"pw=".to_owned() + &password`).
/// Anything passed through another function (a hash, an encryption, a
/// mask) is not the secret any more.
pub(crate) fn secret_source(cx: &FnCx, e: &Expr) -> Option<String> {
    if let Some(name) = secret_expr_name(e) {
        return Some(name);
    }
    match peel(e) {
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => cx
            .vars
            .get(&p.path.segments[0].ident.to_string())
            .and_then(|v| v.secret.clone()),
        Expr::Reference(r) => secret_source(cx, &r.expr),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "as_str"
                    | "as_bytes"
                    | "clone"
                    | "to_string"
                    | "to_owned"
                    | "into"
                    | "as_ref"
                    | "unwrap"
                    | "as_deref"
                    | "trim"
                    | "to_vec"
                    | "as_slice"
                    | "into_bytes"
                    | "expose_secret"
                    | "push_str"
            ) =>
        {
            secret_source(cx, &m.receiver)
        }
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
            secret_source(cx, &b.left).or_else(|| secret_source(cx, &b.right))
        }
        Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            Expr::Path(p) if last_ident(&p.path) == "from" => secret_source(cx, &c.args[0]),
            _ => None,
        },
        Expr::Macro(m) if last_ident(&m.mac.path) == "format" => {
            let args = macros::parse_args(&m.mac.tokens);
            for arg in args.iter().skip(1) {
                if let Some(name) = arg.name.as_deref().filter(|n| is_secret_name(n)) {
                    return Some(name.to_string());
                }
                if let Some(name) = secret_source(cx, &arg.expr) {
                    return Some(name);
                }
            }
            let template = args.first().and_then(|a| lit_str(&a.expr))?;
            macros::placeholders(&template)
                .into_iter()
                .find_map(|ph| match ph.arg {
                    macros::ArgRef::Name(name)
                        if !args
                            .iter()
                            .any(|a| a.name.as_deref() == Some(name.as_str())) =>
                    {
                        if is_secret_name(&name) {
                            Some(name)
                        } else {
                            cx.vars.get(&name).and_then(|v| v.secret.clone())
                        }
                    }
                    _ => None,
                })
        }
        _ => None,
    }
}

/// The type of variable `name`, when it derives `Debug` over a secret
/// field, and that field.
fn secret_debug(a: &FileAnalyzer<'_>, cx: &FnCx, name: &str) -> Option<(String, String)> {
    let ty = cx.vars.get(name)?.ty.as_deref()?;
    let ty = ty.rsplit("::").next().unwrap_or(ty);
    let field = a.secret_debug_types.get(ty)?;
    Some((ty.to_string(), field.clone()))
}

/// Structs and enums of the file with `#[derive(Debug)]` and a field named
/// like a secret (`secret_key: &str`, `password: String`) whose type does
/// not redact itself (`SecretString`, `Secret<..>`, `Zeroizing` print
/// nothing or are not strings).
pub(crate) fn collect_secret_debug_types(
    file: &syn::File,
    out: &mut std::collections::HashMap<String, String>,
) {
    struct Types<'o>(
        &'o mut std::collections::HashMap<String, String>,
        &'o std::collections::HashSet<String>,
    );
    fn derives_debug(attrs: &[syn::Attribute]) -> bool {
        attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && quote::ToTokens::to_token_stream(&a.meta)
                    .to_string()
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "Debug")
        })
    }
    /// A field named like a secret, of text: not one with its own
    /// `Debug` (a `Secret*` wrapper, a type of this file with a hand-written
    /// `impl Debug`), a number, a flag, a path or a time, nor one skipped
    /// by an attribute (`#[debug(skip)]`, `#[educe(Debug(ignore))]`).
    fn secret_field<'f>(
        fields: impl Iterator<Item = &'f syn::Field>,
        own_debug: &std::collections::HashSet<String>,
    ) -> Option<String> {
        fields.into_iter().find_map(|f| {
            let name = f.ident.as_ref()?.to_string();
            let ty = quote::ToTokens::to_token_stream(&f.ty).to_string();
            let redacted = ty.contains("Secret") || ty.contains("Zeroiz") || ty.contains("Redact");
            let words: Vec<&str> = ty
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .collect();
            let not_text = words.iter().any(|w| {
                is_numeric_type_name(w)
                    || matches!(
                        *w,
                        "bool" | "Path" | "PathBuf" | "Duration" | "Instant" | "SystemTime"
                    )
                    || own_debug.contains(*w)
            });
            let skipped = f.attrs.iter().any(|a| {
                let text = quote::ToTokens::to_token_stream(a).to_string();
                text.contains("skip") || text.contains("ignore")
            });
            (is_secret_name(&name) && !redacted && !not_text && !skipped).then_some(name)
        })
    }
    /// Types of the file with a hand-written `impl Debug` (they choose what
    /// they show).
    struct OwnDebug(std::collections::HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for OwnDebug {
        fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
            let is_debug = item
                .trait_
                .as_ref()
                .is_some_and(|(_, p, _)| last_ident(p) == "Debug");
            if let (true, syn::Type::Path(tp)) = (is_debug, &*item.self_ty) {
                self.0.insert(last_ident(&tp.path));
            }
        }
        // Items only: not into function bodies (a walk of every expression
        // of every file would cost a tenth of the scan).
        fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
    }
    let mut own = OwnDebug(Default::default());
    syn::visit::Visit::visit_file(&mut own, file);
    let own_debug = own.0;
    impl<'ast> syn::visit::Visit<'ast> for Types<'_> {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            if derives_debug(&s.attrs) {
                if let Some(field) = secret_field(s.fields.iter(), self.1) {
                    self.0.insert(s.ident.to_string(), field);
                }
            }
        }
        fn visit_item_fn(&mut self, _: &'ast syn::ItemFn) {}
        fn visit_item_impl(&mut self, _: &'ast syn::ItemImpl) {}
        fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
            if derives_debug(&e.attrs) {
                if let Some(field) =
                    secret_field(e.variants.iter().flat_map(|v| v.fields.iter()), self.1)
                {
                    self.0.insert(e.ident.to_string(), field);
                }
            }
        }
    }
    syn::visit::Visit::visit_file(&mut Types(out, &own_debug), file);
}
