use super::prelude::*;

/// `hardcoded-crypto-key`: key or nonce constructors (and an AEAD's
/// `encrypt`/`decrypt` nonce) given literal bytes, directly or through a
/// constant or a variable holding them. Reported at the call that uses
/// them, with the line the bytes are written on: every blind author
/// (`benches/blind`, 27 of 27 markers) marks the use, not the literal,
/// where CodeQL's `rust/hard-coded-cryptographic-value` puts its alert
/// at the literal and the use at the end of its path.
pub(crate) struct Check;

/// Where the key material an argument carries is written: `Some(None)` in
/// the argument itself, `Some(Some(place))` at the literal a variable,
/// field or constant of the file was given.
fn literal_source(a: &FileAnalyzer<'_>, cx: &FnCx, e: &Expr) -> Option<Option<Place>> {
    if a.is_literal_material(e) {
        return Some(a.const_written_at(e));
    }
    if let Some(v) = literal_held(cx, e) {
        return Some(v.literal_at);
    }
    a.literal_field(cx, e).map(|s| Some(start_of(s)))
}

/// Report where the bytes are written, as CodeQL's
/// `rust/hard-coded-cryptographic-value` does (its tests mark the literal
/// an alert and the use a sink), with a two-step flow from there to the
/// use (SARIF `codeFlows`); bytes written in the call itself are reported
/// at the call. It is the one finding for that literal: a
/// `hardcoded-secret` where the bytes are written (`const JWT_SECRET:
/// &str = ".."`) is dropped as the same bug when this one is kept
/// (`covers`), and two uses of one literal are one finding.
fn report(a: &mut FileAnalyzer<'_>, cx: &FnCx, sink: Span, at: Option<Place>, message: String) {
    let used = start_of(sink).0;
    let message = match at {
        Some(written) if written.0 != used => {
            message.replace(&written_at(at), &format!(" (used at line {used})"))
        }
        _ => message,
    };
    if a.report(Some(cx), id::HARDCODED_CRYPTO_KEY, sink, sink, message) {
        let end = at.and_then(|w| a.lines.get(w.0.wrapping_sub(1)).map(|l| l.len() + 1));
        if let (Some(written), Some(last)) = (at, a.findings.last_mut()) {
            last.cover(
                written,
                "key material written in the source",
                "used as a key or nonce",
            );
            if written.0 != used {
                (last.line, last.column) = written;
                last.end_line = written.0;
                last.end_column = end.unwrap_or(written.1 + 1).max(written.1 + 1);
                last.stmt_line = written.0;
            }
        }
    }
}

/// ` (written at line N)` for bytes a variable was given elsewhere.
fn written_at(at: Option<Place>) -> String {
    at.map(|p| format!(" (written at line {})", p.0))
        .unwrap_or_default()
}

/// What a parameter's name says it holds.
#[derive(PartialEq)]
enum KeyParam {
    /// A key, nonce, IV or salt: bytes or a number.
    Material,
    /// A password or passphrase: text too.
    Password,
}

/// Words naming key material in a parameter of an encryption function
/// (`crypto_key`, `aes_key`, `signing_key`).
const CRYPTO_WORDS: &[&str] = &[
    "crypto",
    "cipher",
    "crypt",
    "encrypt",
    "decrypt",
    "encryption",
    "decryption",
    "aes",
    "hmac",
    "mac",
    "sign",
    "signing",
    "seal",
    "aead",
    "secret",
    "private",
    "master",
    "symmetric",
];

/// Whether a name's words say it encrypts, signs or seals
/// (`encrypt_with`, `MyCryptor`, `seal_box`).
fn is_crypto_name(name: &str) -> bool {
    ident_words(name)
        .iter()
        .any(|w| CRYPTO_WORDS.contains(&w.as_str()) || w.contains("crypt") || w.contains("cipher"))
}

/// What a parameter named `name` of type `ty` holds, in a function named
/// `func` (of type `self_ty`): a `nonce`, `iv` or `salt` anywhere; a
/// `password`; a `key` only of bytes and beside encryption (`key: &[u8;
/// 16]` of `encrypt_with`, `crypto_key`): `primary_key: &str` of a
/// database call, a map's `key` are not.
fn key_param(name: &str, ty: &syn::Type, func: &str, self_ty: Option<&str>) -> Option<KeyParam> {
    let mut words = ident_words(name);
    // `iv_bytes`, `key_data`: the same material.
    while words.len() > 1
        && matches!(
            words.last().map(String::as_str),
            Some("bytes" | "data" | "buf" | "slice" | "arr" | "array" | "material")
        )
    {
        words.pop();
    }
    let (last, qualifiers) = words.split_last()?;
    if !matches!(
        last.as_str(),
        "nonce" | "iv" | "salt" | "password" | "passphrase" | "passwd" | "key"
    ) {
        return None;
    }
    let ty = quote::ToTokens::to_token_stream(ty).to_string();
    if ty.contains("bool") || ty.contains("Fn") {
        return None;
    }
    match last.as_str() {
        "nonce" | "iv" | "salt" => Some(KeyParam::Material),
        "password" | "passphrase" | "passwd" => Some(KeyParam::Password),
        "key" => {
            let bytes = ty.contains("u8") || ty.ends_with("Key") || ty.contains("Key <");
            let crypto = qualifiers
                .iter()
                .any(|w| CRYPTO_WORDS.contains(&w.as_str()))
                || is_crypto_name(func)
                || self_ty.is_some_and(is_crypto_name);
            (bytes && crypto).then_some(KeyParam::Material)
        }
        _ => None,
    }
}

/// The positions (in `sig.inputs`, a receiver first) of parameters that
/// hold key material (`key_param`), for the function's summary.
pub(crate) fn key_params(sig: &syn::Signature, self_ty: Option<&str>) -> u16 {
    let func = sig.ident.to_string();
    let mut bits = 0u16;
    for (i, input) in sig.inputs.iter().enumerate().take(16) {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        let syn::Pat::Ident(id) = strip_pat_type(&pt.pat) else {
            continue;
        };
        // Cheap first: most parameters name nothing of the kind.
        let name = id.ident.to_string();
        let lower = name.to_ascii_lowercase();
        if !["key", "nonce", "iv", "salt", "pass"]
            .iter()
            .any(|w| lower.contains(w))
        {
            continue;
        }
        if key_param(&name, &pt.ty, &func, self_ty).is_some() {
            bits |= 1 << i;
        }
    }
    bits
}

/// A literal given to a parameter of this crate's functions that holds
/// key material (`encrypt_with(data, &[0u8; 16], iv)`,
/// `cryptor.set_nonce(&[0; 12])`, `Cryptor::new("secret")`): where it is
/// written, and the callee.
fn literal_to_key_param(
    a: &mut FileAnalyzer<'_>,
    cx: &FnCx,
    callee: &str,
    method: bool,
    args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
) -> Option<(Option<Place>, Span, String)> {
    // Cheap first: an argument written in the source.
    let literal = |a: &FileAnalyzer<'_>, e: &Expr| -> Option<Option<Place>> {
        match peel(e) {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(_),
                ..
            }) => Some(None),
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) if s.value().is_empty() => None,
            _ => literal_source(a, cx, e),
        }
    };
    if !args.iter().any(|e| literal(a, e).is_some()) {
        return None;
    }
    let key = a.summary_key(cx, callee, method)?;
    let summary = a.summaries.get(&key)?;
    let bits = summary.key_params;
    // A method call's receiver is parameter 0; so is the first argument
    // of `Type::method(obj, ..)`.
    let offset = usize::from(method);
    args.iter().enumerate().find_map(|(i, e)| {
        let bit = i + offset;
        if bit >= 16 || bits & (1 << bit) == 0 {
            return None;
        }
        let at = literal(a, e)?;
        Some((at, e.span(), key.clone()))
    })
}

impl super::Check for Check {
    fn call(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, call: &Call<'_>) {
        let (callee, last) = (call.callee, call.last);
        if let Some((at, sink, key)) = literal_to_key_param(a, cx, callee, false, &call.expr.args) {
            let message = format!(
                "written in the source{} and given to `{key}` as a key, nonce, salt or password",
                written_at(at)
            );
            report(a, cx, sink, at, message);
            return;
        }
        let type_segment = callee.rsplit("::").nth(1).unwrap_or("");
        // `type Enc = cbc::Encryptor<Aes128>; Enc::new(..)`: the alias's
        // name or the type it names.
        let aliased = a.type_aliases.get(type_segment).map(String::as_str);
        let key_ctor = KEY_CONSTRUCTORS.contains(&last)
            || (matches!(last, "from_slice" | "new" | "from" | "clone_from_slice")
                && (is_key_type(type_segment) || aliased.is_some_and(is_key_type)))
            || callee.ends_with("symm::encrypt")
            || callee.ends_with("symm::decrypt");
        if !key_ctor {
            return;
        }
        // Every literal of the call (`Encryptor::new(&KEY.into(),
        // &IV.into())`: the key and the IV), once per place written.
        let mut places: Vec<Option<Place>> = Vec::new();
        for e in &call.expr.args {
            if let Some(at) = literal_source(a, cx, e) {
                if !places.contains(&at) {
                    places.push(at);
                }
            }
        }
        let sink = call.expr.span();
        for at in places {
            let message = format!(
                "key or nonce for `{}` is written in the source{}",
                short(callee),
                written_at(at)
            );
            report(a, cx, sink, at, message);
        }
    }

    /// `cipher.encrypt(&nonce.into(), plaintext)`: an AEAD's nonce (its
    /// first of two arguments) that is literal bytes.
    fn method(&self, a: &mut FileAnalyzer<'_>, cx: &mut FnCx, m: &Method<'_>) {
        if let Some((at, sink, key)) = literal_to_key_param(a, cx, m.name, true, &m.expr.args) {
            let message = format!(
                "written in the source{} and given to `{key}` as a key, nonce, salt or password",
                written_at(at)
            );
            report(a, cx, sink, at, message);
            return;
        }
        // `encrypt(nonce, plaintext)`, `encrypt_in_place(nonce, aad, buffer)`.
        let arity = if m.name.ends_with("_in_place") { 3 } else { 2 };
        if !matches!(
            m.name,
            "encrypt" | "decrypt" | "encrypt_in_place" | "decrypt_in_place"
        ) || m.expr.args.len() != arity
        {
            return;
        }
        let nonce = &m.expr.args[0];
        // Bytes, not text: a string literal first is a plaintext or a
        // label of some other API.
        // `&[1u8; 12].into()`, `&NONCE.into()`: the bytes converted.
        let mut bare = peel(nonce);
        while let Expr::MethodCall(c) = bare {
            if !c.args.is_empty()
                || !matches!(
                    c.method.to_string().as_str(),
                    "into" | "as_ref" | "as_slice" | "try_into" | "unwrap"
                )
            {
                break;
            }
            bare = peel(&c.receiver);
        }
        let bytes = match bare {
            Expr::Array(_) | Expr::Repeat(_) => true,
            Expr::Lit(_) => false,
            // A byte constant of the file (`&NONCE.into()`), not a string.
            Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                literal_held(cx, nonce).is_some()
                    || (!a.str_consts.contains_key(&name) && a.is_literal_material(bare))
            }
            _ => literal_held(cx, nonce).is_some(),
        };
        if !bytes {
            return;
        }
        let Some(at) = literal_source(a, cx, nonce) else {
            return;
        };
        // At the nonce (not the whole call, whose start a key constructor
        // in the same chain shares: red team rt41 saw one deduplicated).
        let sink = nonce.span();
        let message = format!(
            "nonce of `.{}` is written in the source{}",
            m.name,
            written_at(at)
        );
        report(a, cx, sink, at, message);
    }
}
