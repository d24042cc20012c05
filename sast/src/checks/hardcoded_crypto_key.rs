use super::prelude::*;

/// `hardcoded-crypto-key`: key or nonce constructors (and an AEAD's
/// `encrypt`/`decrypt` nonce) given literal bytes, directly or through a
/// constant or a variable holding them. Bytes held in a variable are
/// reported where they are written, as CodeQL's
/// `rust/hard-coded-cryptographic-value` does.
pub(crate) struct Check;

/// Where the key material an argument carries is written: `Some(None)` in
/// the argument itself (or a constant), `Some(Some(span))` at the literal
/// a variable was given.
fn literal_source(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> Option<Option<Span>> {
    if a.is_literal_material(e) {
        return Some(None);
    }
    literal_held(cx, e).map(|v| v.literal_at)
}

fn report(a: &mut FileAnalyzer<'_>, cx: &FnCx, at: Option<Span>, sink: Span, message: String) {
    let span = at.unwrap_or(sink);
    a.report(Some(cx), id::HARDCODED_CRYPTO_KEY, span, span, message);
}

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        let (callee, last) = (call.callee, call.last);
        let type_segment = callee.rsplit("::").nth(1).unwrap_or("");
        let key_ctor = KEY_CONSTRUCTORS.contains(&last)
            || (matches!(last, "from_slice" | "new" | "from" | "clone_from_slice")
                && is_key_type(type_segment))
            || callee.ends_with("symm::encrypt")
            || callee.ends_with("symm::decrypt");
        if !key_ctor {
            return;
        }
        let Some(at) = call.expr.args.iter().find_map(|e| literal_source(a, cx, e)) else {
            return;
        };
        let sink = call.expr.span();
        let message = match at {
            Some(_) => format!(
                "bytes written here are the key or nonce of `{}` (line {})",
                short(callee),
                start_of(sink).0
            ),
            None => format!(
                "key or nonce for `{}` is written in the source",
                short(callee)
            ),
        };
        report(a, cx, at, sink, message);
    }

    /// `cipher.encrypt(&nonce.into(), plaintext)`: an AEAD's nonce (its
    /// first of two arguments) that is literal bytes.
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if !matches!(
            m.name,
            "encrypt" | "decrypt" | "encrypt_in_place" | "decrypt_in_place"
        ) || m.expr.args.len() != 2
        {
            return;
        }
        let nonce = &m.expr.args[0];
        // Bytes, not text: a string literal first is a plaintext or a
        // label of some other API.
        let bytes = match peel(nonce) {
            Expr::Array(_) | Expr::Repeat(_) => true,
            Expr::Lit(_) => false,
            _ => literal_held(cx, nonce).is_some(),
        };
        if !bytes {
            return;
        }
        let Some(at) = literal_source(a, cx, nonce) else {
            return;
        };
        let sink = m.full();
        let message = format!(
            "bytes written here are the nonce of `.{}` (line {})",
            m.name,
            start_of(sink).0
        );
        report(a, cx, at, sink, message);
    }
}
