//! Parsing of macro invocations. syn leaves a macro's body as raw tokens;
//! security-relevant data flows through `format!`, `println!`, `log` and
//! `tracing` macros and `sqlx::query!`, so their arguments are parsed here.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

/// How an argument is rendered by a formatting macro.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Render {
    /// `{}` or tracing's `%value`: the raw text.
    Display,
    /// `{:?}`, tracing's `?value` or a plain tracing field: escaped.
    Debug,
}

/// One argument of a macro call.
#[derive(Debug)]
pub struct MacroArg {
    /// `name` in `name = value` (format named arguments, tracing fields).
    pub name: Option<String>,
    /// Explicit `%`/`?` sigil (tracing), if any.
    pub sigil: Option<Render>,
    pub expr: syn::Expr,
}

/// Split a macro body at top-level commas and parse each piece as an
/// expression, understanding `target: expr`, `name = expr`, `%expr` and
/// `?expr`. Pieces that are not expressions (patterns in `matches!`, types)
/// are skipped.
pub fn parse_args(tokens: &TokenStream) -> Vec<MacroArg> {
    let mut pieces: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for tt in tokens.clone() {
        // `;` separates too, for `vec![x; n]`-like bodies.
        if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',' || p.as_char() == ';') {
            pieces.push(Vec::new());
            continue;
        }
        if let Some(last) = pieces.last_mut() {
            last.push(tt);
        }
    }
    let mut args = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        // A comma inside a closure's parameters or a generic argument list
        // (`|a, b| ..`, `HashMap::<K, V>::new()`) splits one expression in
        // two: when a piece does not parse, retry it joined with the next.
        let mut end = i;
        // `pieces[i]` is not looked at again; a piece is copied only when
        // a failed parse may be retried joined with the next one.
        let mut joined = std::mem::take(&mut pieces[i]);
        let mut consumed = false;
        loop {
            let last_try = end + 1 >= pieces.len() || end - i >= 3;
            let attempt = if last_try {
                std::mem::take(&mut joined)
            } else {
                joined.clone()
            };
            if parse_piece(attempt, &mut args) {
                consumed = true;
                break;
            }
            if last_try {
                break;
            }
            end += 1;
            joined.push(TokenTree::Punct(proc_macro2::Punct::new(
                ',',
                proc_macro2::Spacing::Alone,
            )));
            joined.extend(pieces[end].iter().cloned());
        }
        i = if consumed { end + 1 } else { i + 1 };
    }
    args
}

fn is_punct(tt: Option<&TokenTree>, ch: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == ch)
}

/// Parse one comma-separated piece; `true` when it was consumed (parsed, or
/// empty), `false` when it is not an expression on its own.
fn parse_piece(mut piece: Vec<TokenTree>, args: &mut Vec<MacroArg>) -> bool {
    if piece.is_empty() {
        return true;
    }
    // `target: "x"`, `parent: span`, `name: "n"` prefixes of log/tracing.
    if let (Some(TokenTree::Ident(kw)), true) = (piece.first(), is_punct(piece.get(1), ':')) {
        let second_colon = is_punct(piece.get(2), ':');
        let kw = kw.to_string();
        if !second_colon && matches!(kw.as_str(), "target" | "parent" | "name" | "level") {
            // Metadata, not data: dropped so `target: "x"` is not taken
            // for the format string. A target computed from a value
            // (`target: &name`) is written to the log: kept as a named
            // argument rendered like a field.
            let literal = matches!(piece.get(2), Some(TokenTree::Literal(_))) && piece.len() == 3;
            if kw != "target" || literal || piece.len() < 3 {
                return true;
            }
            let stream: TokenStream = piece.drain(2..).collect();
            return match syn::parse2::<syn::Expr>(stream) {
                Ok(expr) => {
                    args.push(MacroArg {
                        name: Some(kw),
                        sigil: Some(Render::Debug),
                        expr,
                    });
                    true
                }
                Err(_) => false,
            };
        }
        // `log`'s key-values with a capture sigil: `key:? = value`,
        // `key:% = value`, or `key:?` alone (the variable `key`).
        let sigil = match piece.get(2) {
            Some(TokenTree::Punct(p)) if !second_colon && p.as_char() == '?' => Some(Render::Debug),
            Some(TokenTree::Punct(p)) if !second_colon && p.as_char() == '%' => {
                Some(Render::Display)
            }
            _ => None,
        };
        if let (Some(sigil), TokenTree::Ident(key)) = (sigil, &piece[0]) {
            let key = key.clone();
            let rest: Vec<TokenTree> = piece.drain(3..).collect();
            let expr = match rest.split_first() {
                None => single_token_expr(&TokenTree::Ident(key.clone())),
                Some((eq, value)) if is_punct(Some(eq), '=') && !value.is_empty() => {
                    syn::parse2::<syn::Expr>(value.iter().cloned().collect()).ok()
                }
                _ => None,
            };
            return match expr {
                Some(expr) => {
                    args.push(MacroArg {
                        name: Some(key.to_string()),
                        sigil: Some(sigil),
                        expr,
                    });
                    true
                }
                None => false,
            };
        }
    }
    // `name = value` or `a.b.c = value` (but not `==`, `=>`).
    let mut name = None;
    if let Some(eq) = piece.iter().position(|tt| is_punct(Some(tt), '=')) {
        let lhs_is_name = eq > 0
            && piece[..eq].iter().enumerate().all(|(i, tt)| {
                if i % 2 == 0 {
                    matches!(tt, TokenTree::Ident(_))
                } else {
                    is_punct(Some(tt), '.')
                }
            });
        let doubled = is_punct(piece.get(eq + 1), '=') || is_punct(piece.get(eq + 1), '>');
        if lhs_is_name && !doubled {
            name = Some(
                piece[..eq]
                    .iter()
                    .map(ToString::to_string)
                    .collect::<String>(),
            );
            piece.drain(..=eq);
        }
    }
    let sigil = match piece.first() {
        Some(TokenTree::Punct(p)) if p.as_char() == '%' => Some(Render::Display),
        Some(TokenTree::Punct(p)) if p.as_char() == '?' => Some(Render::Debug),
        _ => None,
    };
    if sigil.is_some() {
        piece.remove(0);
    }
    if piece.is_empty() {
        return true;
    }
    // A lone literal or name (most arguments) is the expression syn would
    // parse from it, built without the parser.
    if let [token] = piece.as_slice() {
        if let Some(expr) = single_token_expr(token) {
            args.push(MacroArg { name, sigil, expr });
            return true;
        }
    }
    let stream: TokenStream = piece.into_iter().collect();
    match syn::parse2::<syn::Expr>(stream) {
        Ok(expr) => {
            args.push(MacroArg { name, sigil, expr });
            true
        }
        Err(_) => false,
    }
}

/// The expression of a piece that is one literal or one plain name, as
/// `syn::parse2::<syn::Expr>` gives it; `None` for other tokens (keywords,
/// `_`, raw names, groups, puncts), which are left to the parser.
fn single_token_expr(token: &TokenTree) -> Option<syn::Expr> {
    match token {
        TokenTree::Literal(lit) => Some(syn::Expr::Lit(syn::ExprLit {
            attrs: Vec::new(),
            lit: syn::Lit::new(lit.clone()),
        })),
        TokenTree::Ident(ident) => {
            let name = ident.to_string();
            if name.starts_with("r#") || is_keyword(&name) {
                return None;
            }
            Some(syn::Expr::Path(syn::ExprPath {
                attrs: Vec::new(),
                qself: None,
                path: syn::Path::from(ident.clone()),
            }))
        }
        _ => None,
    }
}

/// Rust's keywords (strict, reserved and weak) and `_`: an identifier
/// token that may not be a plain path expression.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "_" | "abstract"
            | "as"
            | "async"
            | "auto"
            | "await"
            | "become"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "default"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "final"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "macro"
            | "macro_rules"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "override"
            | "priv"
            | "pub"
            | "raw"
            | "ref"
            | "return"
            | "safe"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "typeof"
            | "union"
            | "unsafe"
            | "unsized"
            | "use"
            | "virtual"
            | "where"
            | "while"
            | "yield"
    )
}

/// Parse `vec![elem; len]` / `vec![a, b]` bodies as an array expression.
pub fn parse_vec_body(tokens: &TokenStream) -> Option<syn::Expr> {
    let group = TokenTree::Group(Group::new(Delimiter::Bracket, tokens.clone()));
    syn::parse2::<syn::Expr>(TokenStream::from(group)).ok()
}

/// Which argument a `{..}` placeholder in a format string refers to.
#[derive(Debug, PartialEq, Eq)]
pub enum ArgRef {
    Next,
    Index(usize),
    /// A named argument, or an identifier captured from scope (`{user}`).
    Name(String),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub arg: ArgRef,
    pub render: Render,
    /// Byte range of the placeholder (`{..}`) in the format string.
    pub range: std::ops::Range<usize>,
}

/// A piece of formatted text, in order: literal text, an argument whose
/// text is known (a literal or a constant), or one whose text is not.
pub enum Piece<'a> {
    Text(&'a str),
    Known(String),
    Unknown,
}

/// Whether the text formatted from `pieces` has a fixed host: an
/// argument after these pieces lands in a URL's path, query or fragment
/// and cannot choose where the request goes. Either the pieces hold
/// `scheme://` then a host written out in full (no argument in it) ended
/// by `/`, `?` or `#` (`"https://api.example.com/users/{id}"`, a constant
/// `BASE` = `"https://cdn.example.com"` then `"/avatars/{}"`), or they
/// start with an argument (a base URL) followed by text starting with `/`
/// (`"{}/users/{}"`, the base's own taint is judged on its own).
/// `"https://api.example.com{}"` and `"https://{}/x/{}"` are not fixed,
/// nor is `"https://api.example.com@{}"`.
pub fn host_fixed(pieces: &[Piece<'_>]) -> bool {
    if let [Piece::Unknown, Piece::Text(t), ..] = pieces {
        if t.starts_with('/') && !t.starts_with("//") {
            return true;
        }
    }
    let mut text = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => text.push_str(&t.replace("{{", "{").replace("}}", "}")),
            Piece::Known(k) => text.push_str(k),
            Piece::Unknown => text.push('\0'),
        }
    }
    let Some(at) = text.find("://") else {
        return false;
    };
    let scheme = &text[..at];
    let authority = &text[at + 3..];
    !scheme.contains('\0')
        && authority
            .find(['/', '?', '#', '\\'])
            .is_some_and(|end| end > 0 && !authority[..end].contains('\0'))
}

/// The placeholders of a `format!`-style string, in order.
/// Whether a format string has text besides its placeholders (`"SAVEPOINT
/// {}"` has, `"{}"` and `"{name}"` have not).
pub fn has_literal_text(fmt: &str) -> bool {
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => return true,
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
            }
            '}' => {}
            _ => return true,
        }
    }
    false
}

pub fn placeholders(fmt: &str) -> Vec<Placeholder> {
    let mut out = Vec::new();
    let mut chars = fmt.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                if matches!(chars.peek(), Some((_, '{'))) {
                    chars.next();
                    continue;
                }
                let Some(end) = fmt[i + 1..].find('}') else {
                    break;
                };
                let inner = &fmt[i + 1..i + 1 + end];
                let (arg, spec) = inner.split_once(':').unwrap_or((inner, ""));
                let arg = arg.trim();
                let arg = if arg.is_empty() {
                    ArgRef::Next
                } else if let Ok(n) = arg.parse::<usize>() {
                    ArgRef::Index(n)
                } else {
                    ArgRef::Name(arg.to_string())
                };
                let render = if spec.contains('?') {
                    Render::Debug
                } else {
                    Render::Display
                };
                out.push(Placeholder {
                    arg,
                    render,
                    range: i..i + end + 2,
                });
                while let Some((j, _)) = chars.peek() {
                    if *j > i + end {
                        break;
                    }
                    chars.next();
                }
            }
            '}' => {
                if matches!(chars.peek(), Some((_, '}'))) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(src: &str) -> Vec<MacroArg> {
        let tokens: TokenStream = src.parse().unwrap();
        parse_args(&tokens)
    }

    /// A lone literal or name is built without the parser, as the parser
    /// would build it; keywords and `_` still go through the parser.
    #[test]
    fn single_tokens_are_the_parsed_expression() {
        for src in [
            r#""fmt {}""#,
            "b'x'",
            "42u8",
            "1.5e3",
            r##"r#"raw"#"##,
            "c\"c\"",
            "name",
            "Name",
            "union",
            "_",
            "true",
            "self",
            "Self",
            "r#type",
        ] {
            let tokens: TokenStream = src.parse().unwrap();
            let token = tokens.clone().into_iter().next().unwrap();
            let parsed = syn::parse2::<syn::Expr>(tokens).ok();
            match single_token_expr(&token) {
                Some(built) => assert_eq!(Some(built), parsed, "{src}"),
                None => assert!(
                    matches!(token, TokenTree::Ident(_)),
                    "{src}: a literal is always built"
                ),
            }
        }
    }

    #[test]
    fn splits_log_and_tracing_forms() {
        let parsed =
            args(r#"target: "audit", user = %name, id = ?id, "login {} {x}", attempt, x = 3"#);
        let names: Vec<_> = parsed.iter().map(|a| a.name.clone()).collect();
        assert_eq!(
            names,
            vec![
                Some("user".into()),
                Some("id".into()),
                None,
                None,
                Some("x".into())
            ]
        );
        assert_eq!(parsed[0].sigil, Some(Render::Display));
        assert_eq!(parsed[1].sigil, Some(Render::Debug));
        assert!(matches!(parsed[2].expr, syn::Expr::Lit(_)));
    }

    #[test]
    fn keeps_comparisons_and_closures_intact() {
        let parsed = args("a == b, |x, y| x + y, f(a, b), HashMap::<K, V>::new()");
        assert_eq!(parsed.len(), 4);
        assert!(matches!(parsed[1].expr, syn::Expr::Closure(_)));
        assert!(parsed.iter().all(|a| a.name.is_none()));
    }

    #[test]
    fn finds_placeholders() {
        let found = placeholders("{} {{literal}} {0:?} {name:>8} {user} {:#?}");
        assert_eq!(
            found,
            vec![
                Placeholder {
                    arg: ArgRef::Next,
                    render: Render::Display,
                    range: 0..2,
                },
                Placeholder {
                    arg: ArgRef::Index(0),
                    render: Render::Debug,
                    range: 15..20,
                },
                Placeholder {
                    arg: ArgRef::Name("name".into()),
                    render: Render::Display,
                    range: 21..30,
                },
                Placeholder {
                    arg: ArgRef::Name("user".into()),
                    render: Render::Display,
                    range: 31..37,
                },
                Placeholder {
                    arg: ArgRef::Next,
                    render: Render::Debug,
                    range: 38..43,
                },
            ]
        );
    }

    #[test]
    fn a_url_host_is_fixed_only_when_written_out_and_ended() {
        use Piece::*;
        let fixed = |p: &[Piece<'_>]| host_fixed(p);
        assert!(fixed(&[Text("https://api.example.com/users/")]));
        assert!(fixed(&[Text("http://api.example.com?q=")]));
        assert!(fixed(&[
            Known("https://cdn.example.com".into()),
            Text("/avatars/")
        ]));
        assert!(fixed(&[Unknown, Text("/users/")]));
        assert!(fixed(&[
            Text("https://api.example.com/"),
            Unknown,
            Text("/")
        ]));
        // The host is not ended, or an argument is part of it.
        assert!(!fixed(&[Text("https://api.example.com")]));
        assert!(!fixed(&[Text("https://api.example.com@")]));
        assert!(!fixed(&[Text("https://"), Unknown, Text("/x/")]));
        assert!(!fixed(&[Text("https://user:"), Unknown, Text("@h/")]));
        assert!(!fixed(&[Text("https:///")]));
        assert!(!fixed(&[Unknown, Text("//x/")]));
        assert!(!fixed(&[Unknown]));
        assert!(!fixed(&[Text("/relative/")]));
        assert!(!fixed(&[Unknown, Text("."), Unknown, Text("/")]));
    }

    #[test]
    fn parses_vec_repeat() {
        let tokens: TokenStream = "0u8; n".parse().unwrap();
        assert!(matches!(
            parse_vec_body(&tokens),
            Some(syn::Expr::Repeat(_))
        ));
    }
}
