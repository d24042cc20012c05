use super::prelude::*;

/// `hardcoded-secret`: a name that says password/token/key bound to a
/// literal that is not an obvious placeholder.
pub(crate) struct Check;

impl super::Check for Check {
    fn binding(&self, a: &mut FileAnalyzer<'_>, cx: Option<&FnCx>, name: &str, e: &Expr) {
        // A number or other non-string literal (most constants) is never
        // one: skip the name check.
        if matches!(peel(e), Expr::Lit(l) if !matches!(l.lit, syn::Lit::Str(_))) {
            return;
        }
        if !is_secret_name_for_literal(name) {
            return;
        }
        let Some(value) = lit_str(e) else { return };
        if !is_placeholder(&value) && !names_itself(name, &value) {
            let span = e.span();
            a.report(
                cx,
                id::HARDCODED_SECRET,
                span,
                span,
                format!("`{name}` is set from a string literal"),
            );
        }
    }

    /// A key/value setter given a secret's name and a literal:
    /// `.with_value("secret_key", json!("dev-key"))`, `.set("password",
    /// "hunter22")`, `map.insert("api_token", "..".to_string())`.
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        // `debug_struct(..).field("key", &"[elided]")` is what `Debug` shows.
        if m.name == "field" {
            return;
        }
        let [key, value] = match m.expr.args.len() {
            2 => [&m.expr.args[0], &m.expr.args[1]],
            _ => return,
        };
        let Some(name) = lit_str(key).filter(|k| is_secret_name_for_literal(k)) else {
            return;
        };
        let value_expr = match peel(value) {
            Expr::Macro(mac) if last_ident(&mac.mac.path) == "json" => {
                match mac.mac.parse_body::<Expr>() {
                    Ok(inner) => inner,
                    Err(_) => return,
                }
            }
            other => other.clone(),
        };
        let Some(text) = lit_str(&value_expr).or_else(|| match &value_expr {
            // `String::from("..")`
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p) if last_ident(&p.path) == "from") =>
            {
                lit_str(&c.args[0])
            }
            _ => None,
        }) else {
            return;
        };
        if !is_placeholder(&text) {
            let span = value.span();
            a.report(
                Some(cx),
                id::HARDCODED_SECRET,
                span,
                span,
                format!("`{name}` is set from a string literal"),
            );
        }
    }
}

/// Text that stands for a secret rather than being one: short, with
/// spaces, a `${VAR}`/`<value>`/`[elided]` template, one repeated
/// character, an `ENV_NAME`, "redacted", "masked", a URL.
/// A literal that is one of its own name's words (`AUTH_SCHEME_BEARER =
/// "Bearer"`, `TOKEN_TYPE = "token"`): a label, not a credential (but
/// `password = "password"` is a password).
fn names_itself(name: &str, value: &str) -> bool {
    ident_words(name).iter().any(|w| {
        w.eq_ignore_ascii_case(value)
            && !matches!(
                w.as_str(),
                "password" | "passwd" | "passphrase" | "pass" | "secret" | "key"
            )
    })
}

fn is_placeholder(value: &str) -> bool {
    value.len() < 4
        || value.contains(char::is_whitespace)
        || value.starts_with(['$', '{', '<', '%', '/', '[', '(', '*'])
        || ["elided", "redacted", "hidden", "masked"]
            .iter()
            .any(|w| value.to_ascii_lowercase().contains(w))
        || value
            .chars()
            .all(|c| c == value.chars().next().unwrap_or('x'))
        || (value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && value.contains('_'))
        || value.contains("://")
}
