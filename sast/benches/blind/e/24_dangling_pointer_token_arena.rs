// Scenario: a zero-copy tokenizer for a routing-rules DSL, read from stdin by a
// CLI linter. Spans are raw (ptr, len) pairs so they can cross into a C matcher.
use std::io::Read;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Ident,
    Number,
    Punct,
}

#[derive(Clone, Copy)]
struct Span {
    ptr: *const u8,
    len: usize,
}

#[derive(Clone, Copy)]
struct Token {
    kind: Kind,
    span: Span,
}

impl Span {
    fn new(ptr: *const u8, len: usize) -> Self {
        Span { ptr, len }
    }

    unsafe fn as_str<'a>(&self) -> &'a str {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr, self.len))
    }
}

struct Arena {
    source: &'static str,
    folded: Vec<Box<str>>,
}

impl Arena {
    fn new(text: String) -> Self {
        Arena {
            source: Box::leak(text.into_boxed_str()),
            folded: Vec::new(),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let s = &self.source[start..end];
        Span::new(s.as_ptr(), s.len())
    }

    fn fold_kept(&mut self, s: &str) -> Span {
        let owned: Box<str> = s.to_ascii_lowercase().into_boxed_str();
        let span = Span::new(owned.as_ptr(), owned.len());
        self.folded.push(owned);
        span
    }

    fn fold_temp(&self, s: &str) -> Span {
        let owned = s.to_ascii_lowercase();
        Span::new(owned.as_ptr(), owned.len()) //~ dangling-pointer
    }

    fn tokens(&mut self) -> Vec<Token> {
        let src = self.source;
        let mut out = Vec::new();
        for word in src.split_ascii_whitespace() {
            let start = word.as_ptr() as usize - src.as_ptr() as usize;
            let kind = classify(word);
            let span = if kind == Kind::Ident {
                self.fold_kept(word)
            } else {
                self.span(start, start + word.len())
            };
            out.push(Token { kind, span });
        }
        out
    }
}

fn classify(word: &str) -> Kind {
    if word.bytes().all(|c| c.is_ascii_digit()) {
        Kind::Number
    } else if word.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        Kind::Ident
    } else {
        Kind::Punct
    }
}

fn line_buffer() -> *mut u8 {
    let mut buf = [0u8; 256];
    buf.as_mut_ptr() //~ dangling-pointer
}

fn first_kind(arena: &mut Arena) -> Option<Kind> {
    let toks = arena.tokens();
    let head = toks.first()? as *const Token;
    drop(toks);
    Some(unsafe { (*head).kind }) //~ dangling-pointer
}

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("stdin");
    let mut arena = Arena::new(text);
    for t in arena.tokens() {
        println!("{:?} {}", t.kind, unsafe { t.span.as_str() });
    }
    let header = arena.fold_temp(arena.source.lines().next().unwrap_or(""));
    println!("header: {}", unsafe { header.as_str() });
    let scratch = line_buffer();
    unsafe { scratch.write(b'#') };
    println!("first: {:?}", first_kind(&mut arena));
}
