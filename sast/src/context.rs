//! The context pass's parse of one chunk of a large file.
//!
//! A file of several chunks (see [`crate::limits`]) is read twice: first
//! every chunk for the file's context (its imports, literal constants,
//! TLS verifiers and `Debug` types: `engine::FileAnalyzer::add_context`),
//! then each chunk again for the analysis, one tree at a time so that
//! memory stays proportional to the largest chunk. The first read needs
//! only the items that carry context, not the function bodies and
//! `extern` blocks that make up most of such files (bindings, generated
//! arithmetic): [`parse`] builds a [`syn::File`] that leaves them out,
//! stepping over their tokens instead of building their trees.
//!
//! What `add_context` reads, and so what is never left out:
//! - `use` and `extern crate` items anywhere, even inside a function body
//!   (`Imports::extend_from` visits the whole tree);
//! - constants, statics and inline modules (parsed whole);
//! - structs and enums (for `Debug` types; parsed whole);
//! - `impl` blocks of a `Debug`, `Display` or `...Verifier` trait, and any
//!   `impl` block inside a function body (TLS verifiers are found anywhere).
//!
//! A function or `impl` block is left out only when its tokens hold no
//! `use`, `extern` or `impl` keyword inside its body. Anything the
//! shallow parse does not understand falls back to the full parse, so the
//! context is never smaller than `syn::parse_file`'s; a file that mentions
//! `danger_accept_invalid` (whose calls are read inside every body) is
//! always parsed whole by the caller.

use proc_macro2::Delimiter;
use syn::buffer::Cursor;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::Token;

/// Keywords that, inside a body, may start an item the context reads.
const ITEM_WORDS: [&str; 3] = ["use", "extern", "impl"];

/// Trait names whose `impl` blocks the context reads.
fn context_trait(name: &str) -> bool {
    name == "Debug" || name == "Display" || name.ends_with("Verifier")
}

/// The context items of `text` (one chunk), or the error of the full
/// parse when the text is not valid Rust.
pub(crate) fn parse(text: &str) -> syn::Result<syn::File> {
    // `syn::parse_file` strips a byte-order mark and a shebang line: the
    // first chunk of such a file goes the full way.
    if text.starts_with('\u{feff}') || text.starts_with("#!") {
        return syn::parse_file(text);
    }
    match items.parse_str(text) {
        Ok(file) => Ok(file),
        // The full parse names the error (or reads what the shallow one
        // was too strict for). The failed parse's spans are dead: counted.
        Err(_) => {
            crate::trees::spans_done(text.len());
            syn::parse_file(text)
        }
    }
}

/// [`parse`] of `text` already lexed into `tokens` (which the analysis
/// pass parses again, whole, without lexing the text a second time). On
/// failure `text` is parsed whole to name the error; the caller counts
/// that parse's spans.
pub(crate) fn parse_tokens(tokens: proc_macro2::TokenStream, text: &str) -> syn::Result<syn::File> {
    match items.parse2(tokens) {
        Ok(file) => Ok(file),
        Err(_) => syn::parse_file(text),
    }
}

fn items(input: ParseStream) -> syn::Result<syn::File> {
    let attrs = input.call(syn::Attribute::parse_inner)?;
    let items = item_list(input)?;
    Ok(syn::File {
        shebang: None,
        attrs,
        items,
    })
}

/// Items up to the end of `input`, the ones without context left out.
fn item_list(input: ParseStream) -> syn::Result<Vec<syn::Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let ahead = input.fork();
        match step_over(&ahead)? {
            Step::Skip => input.advance_to(&ahead),
            Step::Module(item) => {
                input.advance_to(&ahead);
                items.push(syn::Item::Mod(item));
            }
            Step::Whole => items.push(input.parse()?),
        }
    }
    Ok(items)
}

enum Step {
    /// An item with no context, stepped over.
    Skip,
    /// An inline module, its own items parsed the same way.
    Module(syn::ItemMod),
    /// An item to parse whole.
    Whole,
}

/// What to do with the item at `input`: step over it, read a module
/// shallowly, or parse it whole. An error inside a module ends the
/// shallow parse (the caller parses the chunk whole once): parsing that
/// module whole at each enclosing level instead would cost the nesting
/// depth times its size (red team rt56: 109 s for 1,400 nested modules
/// in 512 KB).
fn step_over(input: ParseStream) -> syn::Result<Step> {
    let Ok(attrs) = input.call(syn::Attribute::parse_outer) else {
        return Ok(Step::Whole);
    };
    let Ok(vis) = input.parse::<syn::Visibility>() else {
        return Ok(Step::Whole);
    };
    if input.peek(Token![mod]) || (input.peek(Token![unsafe]) && input.peek2(Token![mod])) {
        return Ok(module(input, attrs, vis)?.map_or(Step::Whole, Step::Module));
    }
    let skip = |stepped: bool| if stepped { Step::Skip } else { Step::Whole };
    // `[unsafe] extern ["abi"] { .. }`: foreign items carry no context.
    let fork = input.fork();
    let unsafety = fork.parse::<Option<Token![unsafe]>>().is_ok();
    if unsafety
        && fork.peek(Token![extern])
        && fork.parse::<Token![extern]>().is_ok()
        && fork.parse::<Option<syn::LitStr>>().is_ok()
        && fork.peek(syn::token::Brace)
    {
        input.advance_to(&fork);
        return Ok(skip(skip_body(input, |_| false)));
    }
    // `[default] [unsafe] impl .. { .. }` of a trait the context does not
    // read.
    let fork = input.fork();
    if fork.parse::<Option<Token![default]>>().is_ok()
        && fork.parse::<Option<Token![unsafe]>>().is_ok()
        && fork.peek(Token![impl])
    {
        input.advance_to(&fork);
        return Ok(skip(skip_body(input, context_trait)));
    }
    // A function: `[const] [async] [unsafe] [extern "abi"] fn ..`.
    let fork = input.fork();
    if fork.parse::<Option<Token![const]>>().is_ok()
        && fork.parse::<Option<Token![async]>>().is_ok()
        && fork.parse::<Option<Token![unsafe]>>().is_ok()
        && fork.parse::<Option<syn::Abi>>().is_ok()
        && fork.peek(Token![fn])
    {
        return Ok(skip(skip_body(input, |_| false)));
    }
    Ok(Step::Whole)
}

/// An inline module read shallowly; `None` for `mod x;`.
fn module(
    input: ParseStream,
    mut attrs: Vec<syn::Attribute>,
    vis: syn::Visibility,
) -> syn::Result<Option<syn::ItemMod>> {
    let unsafety: Option<Token![unsafe]> = input.parse()?;
    let mod_token: Token![mod] = input.parse()?;
    let ident: syn::Ident = input.parse()?;
    if !input.peek(syn::token::Brace) {
        return Ok(None);
    }
    let content;
    let brace = syn::braced!(content in input);
    attrs.extend(content.call(syn::Attribute::parse_inner)?);
    let items = item_list(&content)?;
    Ok(Some(syn::ItemMod {
        attrs,
        vis,
        unsafety,
        mod_token,
        ident,
        content: Some((brace, items)),
        semi: None,
    }))
}

/// Step `input` over everything up to and including the first brace
/// group (the item's body), unless an identifier before it (the header:
/// a trait's name) is one that `header_word` accepts or the body holds
/// one of [`ITEM_WORDS`]. A `;` first (no body), or the end, means the
/// item is parsed whole.
fn skip_body(input: ParseStream, header_word: impl Fn(&str) -> bool) -> bool {
    let in_header = |ident: &proc_macro2::Ident| header_word(&ident.to_string());
    input
        .step(|cursor| {
            let mut c = *cursor;
            loop {
                if let Some((inside, delimiter, _, next)) = c.any_group() {
                    if delimiter == Delimiter::Brace {
                        if mentions(inside, |i| ITEM_WORDS.iter().any(|w| i == w)) {
                            return Err(cursor.error("the body may hold context"));
                        }
                        return Ok(((), next));
                    }
                    if mentions(inside, in_header) {
                        return Err(cursor.error("the header names a context trait"));
                    }
                    c = next;
                } else if let Some((ident, next)) = c.ident() {
                    if in_header(&ident) {
                        return Err(cursor.error("the header names a context trait"));
                    }
                    c = next;
                } else if let Some((punct, next)) = c.punct() {
                    if punct.as_char() == ';' {
                        return Err(cursor.error("no body"));
                    }
                    c = next;
                } else if let Some((_, next)) = c.token_tree() {
                    c = next;
                } else {
                    return Err(cursor.error("no body"));
                }
            }
        })
        .is_ok()
}

/// Whether an identifier that `wanted` accepts occurs in the tokens at
/// `start` (groups included, at any depth), up to its scope's end.
fn mentions(start: Cursor, wanted: impl Fn(&proc_macro2::Ident) -> bool) -> bool {
    let mut stack = vec![start];
    while let Some(mut c) = stack.pop() {
        while !c.eof() {
            if let Some((inside, _, _, next)) = c.any_group() {
                stack.push(inside);
                c = next;
            } else if let Some((ident, next)) = c.ident() {
                if wanted(&ident) {
                    return true;
                }
                c = next;
            } else if let Some((_, next)) = c.token_tree() {
                c = next;
            } else {
                break;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failed test

    /// The names of the items [`super::parse`] keeps, modules' included.
    fn kept(text: &str) -> Vec<String> {
        fn names(items: &[syn::Item], out: &mut Vec<String>) {
            for item in items {
                let name = match item {
                    syn::Item::Use(_) => "use".to_string(),
                    syn::Item::ExternCrate(e) => format!("extern crate {}", e.ident),
                    syn::Item::Const(c) => format!("const {}", c.ident),
                    syn::Item::Static(s) => format!("static {}", s.ident),
                    syn::Item::Struct(s) => format!("struct {}", s.ident),
                    syn::Item::Fn(f) => format!("fn {}", f.sig.ident),
                    syn::Item::ForeignMod(_) => "extern block".to_string(),
                    syn::Item::Impl(i) => {
                        let path = i.trait_.as_ref().map(|t| &t.1);
                        let last = path.and_then(|p| p.segments.last());
                        format!("impl {}", last.map_or("-".into(), |s| s.ident.to_string()))
                    }
                    syn::Item::Mod(m) => {
                        out.push(format!("mod {}", m.ident));
                        if let Some((_, items)) = &m.content {
                            names(items, out);
                        }
                        continue;
                    }
                    _ => "other".to_string(),
                };
                out.push(name);
            }
        }
        let file = super::parse(text).unwrap();
        let mut out = Vec::new();
        names(&file.items, &mut out);
        out
    }

    #[test]
    fn keeps_what_carries_context_and_steps_over_the_rest() {
        let text = r#"
            use std::process::Command as Cmd;
            extern crate alloc as a;
            const KEY: [u8; 4] = [1, 2, 3, 4];
            static NAME: &str = "x";
            #[derive(Debug)] struct Login { password: String }
            pub fn plain(x: u32) -> impl Fn() { move || { let _ = x; } }
            pub unsafe extern "C" fn exported() -> u32 { 1 }
            async fn with_local_use() { use std::fs::File as F; let _ = F::open("x"); }
            fn with_inner_impl() { struct S; impl Default for S { fn default() -> S { S } } }
            extern "C" { fn ffi(x: u32) -> u32; }
            unsafe extern "C" { fn ffi2(); }
            impl Clone for Login { fn clone(&self) -> Self { Login { password: self.password.clone() } } }
            impl std::fmt::Debug for Login { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { Ok(()) } }
            impl Display for Login { fn fmt(&self, f: &mut Formatter) -> Result { write!(f, "{}", self.password) } }
            impl rustls::client::danger::ServerCertVerifier for V { fn verify_server_cert(&self) {} }
            impl Login { fn local(&self) { use std::env::var as v; } }
            impl<T: Debug> Wrapper<T> { fn get(&self) {} }
            pub mod inner { fn hidden() {} const C: u8 = 1; mod deeper { fn f() { use a::b; } } }
            mod outline;
        "#;
        assert_eq!(
            kept(text),
            [
                "use",
                "extern crate alloc",
                "const KEY",
                "static NAME",
                "struct Login",
                "fn with_local_use",
                "fn with_inner_impl",
                "impl Debug",
                "impl Display",
                "impl ServerCertVerifier",
                "impl -",
                "impl -",
                "mod inner",
                "const C",
                "mod deeper",
                "fn f",
                "mod outline",
            ]
        );
    }

    #[test]
    fn falls_back_to_the_full_parse_on_an_error_or_a_shebang() {
        // An error outside the bodies stepped over: the full parse's.
        let broken = "fn a() {}\nstruct ;\n";
        let shallow = super::parse(broken).unwrap_err();
        let full = syn::parse_file(broken).unwrap_err();
        assert_eq!(shallow.to_string(), full.to_string());
        assert_eq!(shallow.span().start(), full.span().start());
        // One inside a body stepped over is the analysis pass's to report
        // (it parses every chunk whole): `robustness.rs` checks it is.
        assert!(super::parse("fn b() { let x = ; }\n").is_ok());
        // A shebang line, as `syn::parse_file` reads it.
        let file = super::parse("#!/usr/bin/env run-cargo-script\nfn main() {}\n").unwrap();
        assert_eq!(file.items.len(), 1);
        // A const generic argument in braces before the body is taken for
        // the body; the real one then fails to parse as an item, and the
        // whole chunk is parsed in full (its `use` kept).
        assert_eq!(
            kept("fn f() -> A<{ 1 }> { use x::y; }\nfn g() {}\n"),
            ["fn f", "fn g"]
        );
    }

    #[test]
    fn an_error_in_a_nested_module_ends_the_shallow_parse() {
        // Red team rt56: each level parsed its module whole again when
        // something inside it failed (1,400 levels of 512 KB: 109 s).
        // Now the first failure ends the shallow parse and the chunk is
        // parsed whole once: the full parse's result.
        let levels = 300;
        let mut text = String::new();
        for i in 0..levels {
            text.push_str(&format!("mod m{i} {{ fn f(a: u32) -> u32 {{ a + 1 }}\n"));
        }
        for _ in 0..levels {
            text.push_str("fn g() -> A<{ 1 }> { loop {} } }\n");
        }
        // syn recurses once per level: a large stack, as every scan has.
        let same = std::thread::Builder::new()
            .stack_size(crate::limits::STACK_SIZE)
            .spawn(move || super::parse(&text).unwrap() == syn::parse_file(&text).unwrap())
            .unwrap()
            .join()
            .unwrap();
        assert!(same);
    }
}
