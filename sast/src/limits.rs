//! Guards that keep one hostile file from aborting a scan.
//!
//! syn parses recursively, our analysis recurses over the tree it builds,
//! and dropping that tree recurses again, so a file with thousands of nested
//! parentheses or a 30,000-term `a + a + ...` chain would overflow the stack
//! of whichever thread touches it (a stack overflow aborts the process, it
//! cannot be caught). Before anything is parsed, [`prescan`] lexes the file
//! once (a few MB/s-cheap pass that understands comments, strings, raw
//! strings and char literals) and measures the deepest syntax tree the text
//! can produce; a part of the file that is deeper than [`MAX_NESTING`] is not
//! parsed but reported as an `analysis-limit` note. Every parse and analysis
//! runs on a thread with a [`STACK_SIZE`] stack, which is far more than that
//! limit needs, and the evaluator has its own depth guard as a second line.
//!
//! The same pass splits a large file into chunks of whole top-level items,
//! each parsed on its own. A file of one chunk keeps its tree from reading
//! its imports to analysing it; a larger one is parsed again and analysed a
//! chunk at a time, so memory stays proportional to the largest chunk
//! rather than to the whole file's syntax tree. A generated literal table
//! ([`blank_tables`]) is parsed as an empty one.

use std::ops::Range;

/// The deepest syntax tree (as estimated by [`prescan`]) that is parsed.
/// Hand-written code stays far below it: on the ~400 crates of a cargo
/// registry the deepest file scores under 200.
pub const MAX_NESTING: usize = 1_500;

/// Stack of every thread that parses or analyses (reserved address space;
/// only the part a file actually needs is ever touched). The second line
/// of defence when [`prescan`] underestimates a depth: red team rt40's
/// 150k closures with two parameters each (`|_a, _b| |_a, _b| ..`, whose
/// commas reset the count) needed over 256 MB at 900 KB; a chunk is at
/// most [`MAX_CHUNK_BYTES`], and 1 GB holds such a chunk of any of the
/// shapes measured with room to spare.
pub const STACK_SIZE: usize = 1024 * 1024 * 1024;

/// Depth at which the evaluator stops descending (a backstop: the pre-scan
/// keeps parsed trees shallower than this).
pub const MAX_EVAL_DEPTH: usize = 4_000;

/// Files at most this large (and of at most [`CHUNK_TOKENS`]) are parsed
/// in one piece; larger ones are split into chunks of about this size at
/// top-level item boundaries.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Nor more tokens than this (dense code, many one-character tokens to a
/// line, is split sooner): a chunk's tree then stays well inside
/// [`MIN_TREE_BUDGET`].
pub const CHUNK_TOKENS: usize = 80 * 1024;

/// A chunk (one top-level item, when items are larger than
/// [`CHUNK_BYTES`]) larger than this is not parsed: its syntax tree would
/// take up to ~90 times its size (a literal table is the worst case), and
/// such items are generated data, not code. It is reported as an
/// `analysis-limit` note instead.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;

/// Findings listed per file at most (the most severe kept, then an
/// `analysis-limit` note with the count of the others).
pub const MAX_FINDINGS_PER_FILE: usize = 5_000;

/// What syn's tree of one token costs at most, in bytes (peak resident
/// memory of `syn::parse_file`, token stream and buffer included, over
/// the tree's size: measured 290-310 bytes a token on ordinary code,
/// 430-480 on dense one-character-token code such as `a(b(c(1,2),3),4)`
/// or `1+2+3+..`, and 580 on empty statements `;;;`; rounded up).
pub const TREE_BYTES_PER_TOKEN: usize = 640;

/// Tokens a doc comment counts for: syn makes each a `#[doc = ".."]`
/// attribute (measured 1.2 KB of tree for a 4-byte `///` line).
pub const DOC_COMMENT_TOKENS: usize = 3;

/// What a doc comment of `len` bytes counts for: its text is copied into
/// the attribute's string literal, escaped (a control character becomes
/// `\u{7f}`, six bytes), and syn keeps more than one copy (red team rt46:
/// 40 DEL bytes a line went over the budget).
fn doc_tokens(len: usize) -> usize {
    DOC_COMMENT_TOKENS + len / 16
}

/// A file's memory budget, as a multiple of its size.
pub const MEMORY_FACTOR: usize = 20;

/// The budget of a small file: any chunk whose tree fits in this is
/// parsed, whatever the file's size (about 130,000 tokens, a 500 KB item
/// of ordinary code).
pub const MIN_TREE_BUDGET: usize = 64 * 1024 * 1024;

/// The most memory one chunk's syntax tree may take in a file of
/// `file_bytes`: [`MEMORY_FACTOR`] times the file's size, and at least
/// [`MIN_TREE_BUDGET`]. A chunk whose estimated tree
/// ([`tree_estimate`]) is larger is not parsed: it is reported as an
/// `analysis-limit` note, so that a dense item (one-character tokens,
/// each a syn node of a few hundred bytes) cannot make a scan's memory
/// hundreds of times the size of the file.
pub fn tree_budget(file_bytes: usize) -> usize {
    file_bytes
        .saturating_mul(MEMORY_FACTOR)
        .max(MIN_TREE_BUDGET)
}

/// The most memory parsing `tokens` tokens can take.
pub fn tree_estimate(tokens: usize) -> usize {
    tokens.saturating_mul(TREE_BYTES_PER_TOKEN)
}

/// The number of tokens (as proc-macro2 counts them: each punctuation
/// character one, a literal one) in `source`.
pub fn tokens(source: &str) -> usize {
    prescan(source).iter().map(|c| c.tokens).sum()
}

/// One piece of a file to parse on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Byte range in the file.
    pub range: Range<usize>,
    /// 1-based line and 0-based column (in chars) where the range starts.
    pub line: usize,
    /// See `line`.
    pub column: usize,
    /// Estimated syntax-tree depth of the chunk, and the 1-based line
    /// where the deepest point is.
    pub depth: usize,
    /// See `depth`.
    pub deepest_line: usize,
    /// Tokens in the chunk (each punctuation character one, a literal
    /// one): what its syntax tree costs ([`tree_estimate`]).
    pub tokens: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// Nothing special about the next token.
    None,
    /// A `}` just closed a block: a following identifier starts a new
    /// statement (or, at the top level, a new item), while `else`, `.`,
    /// `?` or an operator continues the expression.
    AfterBrace,
}

/// Lex `source` and split it into chunks of whole top-level items, each
/// with its estimated syntax-tree depth.
///
/// The estimate for a point in the file is the sum, over every enclosing
/// bracket and the top level, of one for the bracket plus the operators
/// (`+`, `.`, `&`, `as`, `else`, ...) seen since the last `,`, `;` or `=>`
/// at that level: each of those can put one more node between the root
/// of the tree and that point.
pub fn prescan(source: &str) -> Vec<Chunk> {
    let bytes = source.as_bytes();
    let mut chunks = Vec::new();
    // Per open bracket: operators since the last separator at that level.
    let mut stack: Vec<usize> = Vec::new();
    let mut top = 0usize; // the top level's counter
                          // Per open bracket: `Some(in_pattern)` for the body of a `match`,
                          // whose arm patterns (`'a' | 'b' | ..`) are flat lists to syn.
    let mut arms: Vec<Option<bool>> = Vec::new();
    // Bracket depths at which a `match` keyword waits for its body.
    let mut match_at: Vec<usize> = Vec::new();
    let mut match_scrutinee = false;
    // The previous significant token was a `|`.
    let mut last_pipe = false;
    // Where the last `}` ended (a split point if an item follows).
    let mut brace_end: Option<(usize, usize)> = None;
    let mut depth = 0usize; // current estimate
    let mut chunk_start = 0usize;
    let mut chunk_line = 1usize;
    let mut chunk_column = 0usize;
    let mut chunk_depth = 0usize;
    let mut deepest_line = 1usize;
    // Significant tokens so far, and where the current chunk's began.
    let mut tokens = 0usize;
    let mut chunk_tokens_from = 0usize;
    // Tokens up to the last `}` and up to the last split point.
    let mut brace_tokens = 0usize;
    let mut boundary_tokens = 0usize;
    let mut boundary: Option<(usize, usize)> = None; // last safe split point and its line
    let mut pending = Pending::None;
    let mut line = 1usize;
    // syn skips a `#!` line (not `#![..]`); so does the depth count, or a
    // quote in it would hide the rest of the file.
    let mut i = shebang_end(source);

    // Helpers as macros so they can touch the locals.
    macro_rules! level {
        () => {
            match stack.last_mut() {
                Some(c) => c,
                None => &mut top,
            }
        };
    }
    macro_rules! deepen {
        ($n:expr) => {{
            depth += $n;
            if depth > chunk_depth {
                chunk_depth = depth;
                deepest_line = line;
            }
        }};
    }
    // Counted in arm patterns too: `!`, `-`, `<..>` nest there as
    // anywhere (only `|` lists alternatives, see below), and a `{` taken
    // for a match body by mistake must not switch counting off.
    macro_rules! op {
        ($n:expr) => {{
            *level!() += $n;
            deepen!($n);
        }};
    }
    macro_rules! arm_pattern {
        ($v:expr) => {{
            if let Some(Some(p)) = arms.last_mut() {
                *p = $v;
            }
        }};
    }
    macro_rules! separator {
        () => {{
            let c = level!();
            depth -= *c;
            *c = 0;
        }};
    }

    while i < bytes.len() {
        let b = bytes[i];
        // Trivia first: it does not affect `pending`.
        match b {
            b'\n' => {
                line += 1;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            _ if unicode_space(bytes, i) > 0 => {
                i += unicode_space(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                // `///` (not `////`) and `//!` are `#[doc = ".."]`
                // attributes to syn: tokens and a node each.
                let end = source[i..].find('\n').map_or(bytes.len(), |n| i + n);
                if (bytes.get(i + 2) == Some(&b'/') && bytes.get(i + 3) != Some(&b'/'))
                    || bytes.get(i + 2) == Some(&b'!')
                {
                    tokens += doc_tokens(end - i);
                }
                i = end;
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // `/**` (not `/***` or `/**/`) and `/*!` are doc comments.
                let doc = match bytes.get(i + 2) {
                    Some(b'!') => true,
                    Some(b'*') => !matches!(bytes.get(i + 3), Some(b'*' | b'/')),
                    _ => false,
                };
                let doc_start = i;
                let mut nest = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        nest += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        nest -= 1;
                        i += 2;
                        if nest == 0 {
                            break;
                        }
                    } else {
                        if bytes[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
                if doc {
                    tokens += doc_tokens(i - doc_start);
                }
                continue;
            }
            _ => {}
        }

        tokens += 1;
        // A significant token starts at `i`. Right after `match` (and
        // `unsafe`, `async`, ... after it) a `{` opens a block that is the
        // scrutinee, not the body: `match { x } { arms }`.
        let scrutinee_start = std::mem::take(&mut match_scrutinee);
        let prev_pipe = std::mem::replace(&mut last_pipe, b == b'|');
        let is_ident_start = b == b'_' || b.is_ascii_alphabetic() || b >= 0x80;
        let after_brace = pending == Pending::AfterBrace;
        pending = Pending::None;
        if after_brace {
            let continues = match b {
                b'.' | b'?' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|' | b'<'
                | b'>' | b'=' | b';' | b',' | b')' | b']' | b'}' | b'(' | b'[' => true,
                _ if is_ident_start => {
                    let end = ident_end(bytes, i);
                    matches!(&source[i..end], "else" | "as")
                }
                _ => false,
            };
            if !continues {
                // A new statement, item or match arm begins.
                separator!();
                arm_pattern!(true);
                if stack.is_empty() {
                    // Right after the `}`: a `///` comment between it and
                    // here documents the next item and goes with it.
                    boundary = Some(brace_end.unwrap_or((i, line)));
                    boundary_tokens = if brace_end.is_some() {
                        brace_tokens
                    } else {
                        tokens - 1
                    };
                }
            }
        }
        if stack.is_empty() && (is_ident_start || b == b'#') {
            // Top-level split: when the current chunk is big enough, cut
            // at the last boundary before this token.
            if let Some((at, at_line)) = boundary.take() {
                if at - chunk_start >= CHUNK_BYTES
                    || boundary_tokens - chunk_tokens_from >= CHUNK_TOKENS
                {
                    // This token (and any comment after the boundary) is
                    // the next chunk's.
                    chunks.push(Chunk {
                        range: chunk_start..at,
                        line: chunk_line,
                        column: chunk_column,
                        depth: chunk_depth,
                        deepest_line,
                        tokens: boundary_tokens - chunk_tokens_from,
                    });
                    chunk_tokens_from = boundary_tokens;
                    chunk_start = at;
                    chunk_line = at_line;
                    chunk_column = source[..at]
                        .rfind('\n')
                        .map_or(source[..at].chars().count(), |nl| {
                            source[nl + 1..at].chars().count()
                        });
                    chunk_depth = depth;
                    deepest_line = line;
                }
            }
        }

        match b {
            b'(' | b'[' | b'{' => {
                let match_body =
                    b == b'{' && match_at.last() == Some(&stack.len()) && !scrutinee_start;
                if match_body {
                    match_at.pop();
                }
                stack.push(0);
                arms.push(match_body.then_some(true));
                deepen!(1);
                i += 1;
            }
            b')' | b']' | b'}' => {
                if let Some(c) = stack.pop() {
                    depth -= c + 1;
                }
                arms.pop();
                while match_at.last().is_some_and(|d| *d > stack.len()) {
                    match_at.pop();
                }
                if b == b'}' {
                    pending = Pending::AfterBrace;
                    brace_end = Some((i + 1, line));
                    brace_tokens = tokens;
                }
                i += 1;
            }
            b';' => {
                separator!();
                if stack.is_empty() {
                    boundary = Some((i + 1, line));
                    boundary_tokens = tokens;
                }
                i += 1;
            }
            b',' => {
                separator!();
                arm_pattern!(true);
                i += 1;
            }
            b'=' if bytes.get(i + 1) == Some(&b'>') => {
                separator!();
                arm_pattern!(false);
                i += 2;
            }
            b'"' => {
                // A suffix (`"x"r`) belongs to the literal.
                i = ident_end(bytes, skip_string(bytes, i + 1, &mut line));
            }
            b'\'' => {
                i = ident_end(bytes, skip_quote(bytes, source, i, &mut line));
            }
            b'0'..=b'9' => {
                i = ident_end(bytes, i);
            }
            _ if is_ident_start => {
                let end = ident_end(bytes, i);
                let word = &source[i..end];
                let next = bytes.get(end).copied();
                match (word, next) {
                    ("r" | "br" | "cr", Some(b'"' | b'#'))
                        if !(next == Some(b'#')
                            && bytes
                                .get(end + 1)
                                .is_some_and(|c| *c == b'_' || c.is_ascii_alphabetic())) =>
                    {
                        i = ident_end(bytes, skip_raw_string(bytes, end, &mut line));
                    }
                    ("b" | "c", Some(b'"')) => {
                        i = ident_end(bytes, skip_string(bytes, end + 1, &mut line));
                    }
                    ("b", Some(b'\'')) => {
                        i = ident_end(bytes, skip_quote(bytes, source, end, &mut line));
                    }
                    // `r#match` is a name, not the keyword.
                    ("r", Some(b'#')) => {
                        i = ident_end(bytes, end + 1);
                    }
                    _ => {
                        if word == "match" {
                            match_at.push(stack.len());
                            match_scrutinee = true;
                        } else if scrutinee_start
                            && matches!(word, "unsafe" | "async" | "move" | "const" | "loop")
                        {
                            match_scrutinee = true;
                        } else if word == "if" {
                            // A guard after an arm's pattern is an expression.
                            arm_pattern!(false);
                        }
                        if matches!(
                            word,
                            "as" | "else"
                                | "if"
                                | "return"
                                | "break"
                                | "move"
                                | "yield"
                                | "become"
                                | "box"
                        ) {
                            op!(1);
                        }
                        i = end;
                    }
                }
            }
            // In an arm's pattern `|` lists alternatives (flat to syn), but
            // `&` nests (`&&&x` is three reference patterns).
            // Two `|` in a row (`||`, `|_| |_|`) are closures, never a
            // pattern's alternatives: counted, so that a closure chain in
            // a `{` taken for a match body still nests (red team rt40).
            b'|' if arms.last() == Some(&Some(true))
                && !prev_pipe
                && bytes[i + 1..]
                    .iter()
                    .find(|c| !c.is_ascii_whitespace())
                    .is_none_or(|c| *c != b'|') =>
            {
                separator!();
                i += 1;
            }
            b'&' => {
                *level!() += 1;
                deepen!(1);
                i += 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'!' | b'|' | b'<' | b'>' | b'=' | b'.'
            | b'?' | b'@' | b'~' => {
                op!(1);
                i += 1;
            }
            _ => {
                // `:`, `$`, `#` and anything else: no nesting of its own.
                i += utf8_len(b);
            }
        }
    }
    chunks.push(Chunk {
        range: chunk_start..bytes.len(),
        line: chunk_line,
        column: chunk_column,
        depth: chunk_depth,
        deepest_line,
        tokens: tokens - chunk_tokens_from,
    });
    chunks
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

fn ident_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len()
        && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80)
        && unicode_space(bytes, i) == 0
    {
        i += 1;
    }
    i
}

/// The length of the non-ASCII white space Rust's lexer skips at `i`
/// (U+0085, U+200E, U+200F, U+2028, U+2029), or 0: not part of a word.
/// [`unicode_space`], for the crate's other lexers.
pub(crate) fn unicode_space_len(bytes: &[u8], i: usize) -> usize {
    unicode_space(bytes, i)
}

#[inline]
fn unicode_space(bytes: &[u8], i: usize) -> usize {
    // Every such space starts with 0xc2 or 0xe2 (most bytes are ASCII).
    if !matches!(bytes.get(i), Some(0xc2 | 0xe2)) {
        return 0;
    }
    match bytes.get(i..i + 3) {
        Some([0xe2, 0x80, 0x8e | 0x8f | 0xa8 | 0xa9]) => 3,
        _ if bytes.get(i..i + 2) == Some(&[0xc2, 0x85]) => 2,
        _ => 0,
    }
}

/// Skip a `"..."` body starting after the opening quote.
fn skip_string(bytes: &[u8], mut i: usize, line: &mut usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    *line += 1;
                }
                i += 2;
            }
            b'"' => return i + 1,
            b'\n' => {
                *line += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Skip `#*"..."#*` starting at the first `#` or `"` after `r`.
fn skip_raw_string(bytes: &[u8], mut i: usize, line: &mut usize) -> usize {
    let mut hashes = 0;
    while bytes.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    if bytes.get(i) != Some(&b'"') {
        return i;
    }
    i += 1;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            *line += 1;
        }
        if bytes[i] == b'"'
            && bytes.len() >= i + 1 + hashes
            && bytes[i + 1..i + 1 + hashes].iter().all(|c| *c == b'#')
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    bytes.len()
}

/// At a `'`: skip a char literal, or a lifetime / label.
fn skip_quote(bytes: &[u8], source: &str, i: usize, line: &mut usize) -> usize {
    let j = i + 1;
    match bytes.get(j) {
        Some(b'\\') => {
            // Escaped char literal: up to the closing quote.
            let mut k = j + 2;
            while k < bytes.len() && bytes[k] != b'\'' && bytes[k] != b'\n' {
                k += 1;
            }
            k + 1
        }
        Some(_) => {
            let ch_len = source[j..].chars().next().map_or(1, char::len_utf8);
            if bytes.get(j + ch_len) == Some(&b'\'') {
                if bytes[j] == b'\n' {
                    *line += 1;
                }
                j + ch_len + 1
            } else {
                // Lifetime or label.
                ident_end(bytes, j)
            }
        }
        None => j,
    }
}

/// Run `f` on a thread with a [`STACK_SIZE`] stack and return its result;
/// `None` if the thread could not be started or panicked.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("tollgate-sast".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, f)
            .ok()?
            .join()
            .ok()
    })
}

/// A rayon pool whose workers have [`STACK_SIZE`] stacks.
pub fn pool() -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("tollgate-sast-{i}"))
        .stack_size(STACK_SIZE)
        .build()
        .ok()
}

/// A bracketed literal table (`[0x43F0, 0x4C32, ..]`) at least this long
/// is not parsed as written but as an empty `[]` (see [`blank_tables`]).
pub const TABLE_BYTES: usize = 16 * 1024;

/// A stretch of more than [`TABLE_BYTES`] without a `;`: where a table
/// could be (code has a `;` every few lines; a table of literals has none,
/// unless a comment or a `';'` in it has one, and then it is parsed as
/// written, under the file's memory budget). A `memchr` scan, so that the
/// lexing pass of [`blank_tables`] runs only on files that may hold one.
fn long_run_without_semicolon(b: &[u8]) -> bool {
    let mut last = 0usize;
    for at in memchr::memchr_iter(b';', b) {
        if at - last > TABLE_BYTES {
            return true;
        }
        last = at;
    }
    b.len() - last > TABLE_BYTES
}

/// Generated data tables cost syn ~30 times their size (encoding_rs's
/// 2.6 MB `data.rs` peaked at 89 MB) and hold nothing a rule looks at:
/// only numbers, `true`/`false`, char literals, commas and brackets. Each
/// such `[..]` of at least [`TABLE_BYTES`] is returned with its contents
/// replaced by spaces (line breaks kept, so every position after it is
/// unchanged); `None` when there is none. Strings, comments and char
/// literals outside tables are skipped; a table with a string, a name or
/// an operator in it is code or text and is kept.
pub fn blank_tables(text: &str) -> Option<String> {
    if text.len() < TABLE_BYTES || !long_run_without_semicolon(text.as_bytes()) {
        return None;
    }
    // The lexing is `prescan`'s (its string, raw string and quote rules).
    let b = text.as_bytes();
    let mut line = 0usize;
    let mut out: Option<Vec<u8>> = None;
    let mut i = shebang_end(text);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => i = block_comment_end(b, i),
            // A suffix (`"x"r`) belongs to the literal.
            b'"' => i = ident_end(b, skip_string(b, i + 1, &mut line)),
            b'\'' => i = ident_end(b, skip_quote(b, text, i, &mut line).max(i + 1)),
            _ if unicode_space(b, i) > 0 => i += unicode_space(b, i),
            // Either way past what was scanned, so the scan stays linear
            // (`[[[[..` does not rescan from every bracket); a table inside
            // a rejected one stays as written.
            b'[' => match table_end(b, text, i) {
                Ok(end) if end - i > TABLE_BYTES => {
                    let buf = out.get_or_insert_with(|| b.to_vec());
                    for byte in &mut buf[i + 1..end] {
                        if *byte != b'\n' {
                            *byte = b' ';
                        }
                    }
                    // `[0 ..]`, not `[]`: still a table of literals (a
                    // 16 KB key written in the source stays a finding).
                    if let Some(first) = buf[i + 1..end].iter().position(|&c| c != b'\n') {
                        buf[i + 1 + first] = b'0';
                    }
                    i = end + 1;
                }
                Ok(end) => i = end + 1,
                Err(at) => i = at.max(i + 1),
            },
            b'0'..=b'9' => i = ident_end(b, i),
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let end = ident_end(b, i);
                let next = b.get(end).copied();
                i = match (&b[i..end], next) {
                    (b"r" | b"br" | b"cr", Some(b'"' | b'#'))
                        if !(next == Some(b'#')
                            && b.get(end + 1)
                                .is_some_and(|c| *c == b'_' || c.is_ascii_alphabetic())) =>
                    {
                        ident_end(b, skip_raw_string(b, end, &mut line))
                    }
                    (b"b" | b"c", Some(b'"')) => ident_end(b, skip_string(b, end + 1, &mut line)),
                    (b"b", Some(b'\'')) => ident_end(b, skip_quote(b, text, end, &mut line)),
                    (b"r", Some(b'#')) => ident_end(b, end + 1),
                    _ => end,
                }
                .max(i + 1);
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes of ASCII tables were replaced: still UTF-8.
    out.and_then(|buf| String::from_utf8(buf).ok())
}

/// Where the code of a file starts: after a `#!` line that is not an
/// inner attribute (`#![..]`), which syn skips too.
pub(crate) fn shebang_end(text: &str) -> usize {
    // syn drops a byte-order mark first.
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let Some(rest) = text[bom..].strip_prefix("#!") else {
        return bom;
    };
    // `#!` then white space and comments then `[` is an inner attribute.
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
        } else if unicode_space(b, i) > 0 {
            i += unicode_space(b, i);
        } else if b[i..].starts_with(b"//") {
            i = line_end(b, i);
        } else if b[i..].starts_with(b"/*") {
            i = block_comment_end(b, i);
        } else {
            break;
        }
    }
    if b.get(i) == Some(&b'[') {
        return bom;
    }
    text.find('\n').unwrap_or(text.len())
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The index of the `]` closing the `[` at `open` when everything between
/// is ASCII table data: numbers (with suffixes), `true`/`false`, char
/// literals, `,`, `-`, brackets and parentheses, white space and line
/// comments; else `Err` with where the scan stopped. No block comment, no
/// quote, no other byte: should the lexing above ever be out of step with
/// Rust's, what it takes for a table cannot be code.
fn table_end(b: &[u8], text: &str, open: usize) -> Result<usize, usize> {
    let mut depth = 0usize;
    let mut line = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'[' | b'(' => {
                depth += 1;
                i += 1;
            }
            b']' | b')' => {
                depth = depth.checked_sub(1).ok_or(i)?;
                if depth == 0 {
                    return if b[i] == b']' { Ok(i) } else { Err(i) };
                }
                i += 1;
            }
            b',' | b'-' | b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = line_end(b, i);
                if !b[i..end].is_ascii() {
                    return Err(i);
                }
                i = end;
            }
            b'\'' => {
                let end = skip_quote(b, text, i, &mut line);
                // A char literal (not a lifetime), of ASCII, on one line.
                if end <= i + 2
                    || b[end - 1] != b'\''
                    || !b[i..end].is_ascii()
                    || b[i..end].contains(&b'\n')
                {
                    return Err(i);
                }
                i = end;
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if !matches!(&b[start..i], b"true" | b"false") {
                    return Err(start);
                }
            }
            _ => return Err(i),
        }
    }
    Err(b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize, row: &str) -> String {
        let mut t = String::from("[\n");
        for _ in 0..rows {
            t.push_str(row);
            t.push('\n');
        }
        t.push(']');
        t
    }

    #[test]
    fn literal_tables_are_blanked_in_place() {
        let data = table(
            2000,
            "    0x43F0, 0x4C32, -1, 2u8, 1.5e-3, true, '\\'', '\"', (1, 2), [3, 4], // note",
        );
        let source = format!(
            "pub static T: [u16; 4] = {data};\nconst S: &str = \"[\";\nfn f() {{ let k = [1, 2]; }}\n"
        );
        let blanked = blank_tables(&source).expect("a table");
        assert_eq!(blanked.len(), source.len());
        assert_eq!(blanked.matches('\n').count(), source.matches('\n').count());
        assert!(blanked.contains("= [") && !blanked.contains("0x43F0"));
        // What follows the table is where it was.
        let tail = source.find("const S").unwrap();
        assert_eq!(&blanked[tail..], &source[tail..]);
        assert!(syn::parse_file(&blanked).is_ok());
    }

    #[test]
    fn a_shebang_line_hides_nothing_from_the_depth_count() {
        let deep = format!("fn f() {{ {}1{} }}", "(".repeat(3000), ")".repeat(3000));
        for shebang in ["#!/bin/sh \"", "#!/bin/sh /*"] {
            assert!(
                depth(&format!("{shebang}\n{deep}")) > MAX_NESTING,
                "{shebang}"
            );
        }
        // `#![..]` is an attribute, not a shebang.
        assert!(depth("#![allow(x)]\nfn f() {}") < 10);
    }

    #[test]
    fn prefix_chains_syn_nests_are_counted() {
        // `yield yield ..`, `become become ..` and `&&&..x` patterns nest.
        for chain in [
            format!("fn f() {{ {} 1 }}", "yield ".repeat(3000)),
            format!("fn f() {{ {} g() }}", "become ".repeat(3000)),
            format!(
                "fn f(x: u8) {{ match x {{ {}_ => () }} }}",
                "&".repeat(3000)
            ),
        ] {
            assert!(depth(&chain) > MAX_NESTING);
        }
        // Alternatives in a pattern are a flat list.
        let alternatives = (0..3000)
            .map(|i| format!("&{i}"))
            .collect::<Vec<_>>()
            .join(" | ");
        assert!(
            depth(&format!(
                "fn f(x: &u16) {{ match x {{ {alternatives} => () }} }}"
            )) < 20
        );
    }

    #[test]
    fn lexing_follows_rust_on_the_red_team_s_second_round() {
        // rt39: Unicode white space before `r"..."`, a BOM before `#!`, a
        // comment between `#!` and `[`, literal suffixes (`"x"r"\"`).
        let pad = format!("let pad = \"{}\";", "x".repeat(TABLE_BYTES));
        let code =
            format!("let s = \"[0, //\"; run(&format!(\"{{}}\", user)); {pad} let t = \"]; // \";");
        for prefix in [
            "const A: &str = \u{200e}r\"\\\";",
            "const A: &str = \u{2028}r\"\\\";",
            "\u{feff}#!/usr/bin/env run \"",
            "#!/* c */[allow(dead_code)] const A: &str = \"\\\"\";",
            "m!(\"x\"r\"\\\");",
            "m!('x'r\"\\\");",
        ] {
            let source = format!("{prefix}\nfn f(user: &str) {{ {code} }}\n");
            assert_eq!(blank_tables(&source), None, "{prefix}");
        }
        // The same slips hid deep nesting from the depth count.
        let deep = format!("fn g() {{ {}1{} }}", "(".repeat(3000), ")".repeat(3000));
        for prefix in [
            "\u{feff}#!/bin/sh \"",
            "const A: &str = \u{200e}r\"\\\";",
            "m!(\"x\"r\"\\\"\");",
        ] {
            assert!(
                depth(&format!("{prefix}\n{deep}")) > MAX_NESTING,
                "{prefix}"
            );
        }
    }

    #[test]
    fn match_scrutinee_blocks_and_patterns_are_counted() {
        for source in [
            format!(
                "fn f() {{ match {{ {}x }} {{ _ => () }} }}",
                "!".repeat(3000)
            ),
            format!(
                "fn f() {{ match unsafe {{ {}x }} {{ _ => () }} }}",
                "-".repeat(3000)
            ),
            format!("fn f() {{ let r#match = 1; {{ {}x }} }}", "!".repeat(3000)),
            format!(
                "fn f(x: u8) {{ match x {{ {}y => () }} }}",
                "box ".repeat(3000)
            ),
            // rt40: closures in a `{` taken for the match body.
            format!(
                "fn f() {{ match &{{ {}x }} {{ _ => 0 }} }}",
                "|| ".repeat(3000)
            ),
            format!(
                "fn f() {{ match !{{ {}x }} {{ _ => 0 }} }}",
                "|_| ".repeat(3000)
            ),
        ] {
            assert!(depth(&source) > MAX_NESTING);
        }
    }

    #[test]
    fn a_doc_comment_goes_with_the_item_it_documents() {
        let item = format!(
            "fn f() {{ let x = [{}]; }}\n",
            "1, ".repeat(CHUNK_BYTES / 2)
        );
        let source = format!("{item}/// Documents g.\nfn g() {{}}\n");
        let chunks = prescan(&source);
        assert!(chunks.len() > 1);
        for c in &chunks {
            assert!(
                syn::parse_file(&source[c.range.clone()]).is_ok(),
                "chunk at line {}",
                c.line
            );
        }
    }

    #[test]
    fn tables_that_could_be_misread_are_kept() {
        // Non-ASCII (blanking it would move the columns after it), a block
        // comment (a string misread as code could open one).
        for row in ["    1, 'é',", "    1, /* c */ 2,", "    1, 2, // é"] {
            let source = format!("const T: X = {};\n", table(3000, row));
            assert_eq!(blank_tables(&source), None, "{row}");
        }
    }

    #[test]
    fn strings_that_look_like_tables_stay_strings() {
        // Each prefix once put the lexer out of step with Rust's, so that
        // the string `"[0, /*"` opened a "table" that swallowed real code
        // up to a later `*/ 0]` (red team rt38).
        let pad = format!("let pad = \"{}\";", "x".repeat(TABLE_BYTES));
        let code =
            format!("let s = \"[0, /*\"; run(&format!(\"{{}}\", user)); {pad} let t = \"*/ 0]\";");
        for prefix in [
            "pub static C: &core::ffi::CStr = cr\"\\\";",
            "const C: (char, char) = ('\\u{0_0_0_0_4_1}', '\"');",
            "#!/usr/bin/env run \"",
        ] {
            let source = format!("{prefix}\nfn f(user: &str) {{ {code} }}\n");
            assert_eq!(blank_tables(&source), None, "{prefix}");
        }
    }

    #[test]
    fn blanking_is_linear_in_open_brackets() {
        // Every `[` would rescan to the end: 1 MB of them must still be
        // one pass (this test would not finish otherwise).
        let source = format!("const T: X = {};", "[".repeat(1 << 20));
        assert_eq!(blank_tables(&source), None);
        let source = format!("const T: X = {}x", "[1, ".repeat(1 << 18));
        assert_eq!(blank_tables(&source), None);
    }

    #[test]
    fn code_strings_and_small_tables_are_not_blanked() {
        // A name, a call or a string inside: code or text, kept.
        for row in [
            "    key(1), 2,",
            "    \"secret\", 2,",
            "    1 + 2, 3,",
            "    x, 1,",
        ] {
            let source = format!("const T: X = {};\n", table(3000, row));
            assert_eq!(blank_tables(&source), None, "{row}");
        }
        // A table inside a string or a comment is not touched.
        let inner = table(3000, "    1, 2,");
        for source in [
            format!("const S: &str = \"{inner}\";"),
            format!("// {}\n", inner.replace('\n', " ")),
            format!("const S: &str = r#\"{inner}\"#;"),
        ] {
            assert_eq!(blank_tables(&source), None);
        }
        let small = format!("const T: [u8; 4] = {};", table(10, "    1, 2,"));
        assert_eq!(blank_tables(&small), None);
    }

    fn depth(source: &str) -> usize {
        prescan(source).iter().map(|c| c.depth).max().unwrap_or(0)
    }

    #[test]
    fn measures_brackets_and_operator_chains() {
        assert!(depth("fn f() { let x = (((1))); }") < 12);
        let parens = format!("fn f() {{ {}1{} }}", "(".repeat(3000), ")".repeat(3000));
        assert!(depth(&parens) >= 3000);
        let chain = format!("fn f() -> u32 {{ 1{} }}", " + 1".repeat(30_000));
        assert!(depth(&chain) >= 30_000);
        // Separators reset the chain: a long array of sums is shallow.
        let flat = format!("const A: [u32; 3000] = [{}];", "1 + 1, ".repeat(3000));
        assert!(depth(&flat) < 10, "{}", depth(&flat));
        // Statements after a block do not add up.
        let stmts = format!("fn f() {{ {} }}", "if a == b { c(); } ".repeat(3000));
        assert!(depth(&stmts) < 12, "{}", depth(&stmts));
        // Match-arm patterns are flat lists, guards are expressions.
        let arms = format!(
            "fn f(c: char) -> bool {{ match c {{ {} => true, _ => false }} }}",
            "'a'..='b' | ".repeat(3000) + "'c'"
        );
        assert!(depth(&arms) < 12, "{}", depth(&arms));
        let guard = format!(
            "fn f(c: u8) -> bool {{ match c {{ 1 if {} => {{ true }} _ => false }} }}",
            "c + ".repeat(3000) + "c == 1"
        );
        assert!(depth(&guard) >= 3000);
        // `else if` chains do.
        let elifs = format!("fn f() {{ if a {{}} {} }}", "else if a {} ".repeat(3000));
        assert!(depth(&elifs) >= 3000);
    }

    #[test]
    fn strings_comments_and_chars_are_opaque() {
        let s = format!(
            "fn f() {{ let s = \"{}\"; let r = r#\"{}\"#; /* {} */ let c = '('; let l: &'a str = \"\"; }}\n// {}",
            "(".repeat(5000),
            ")".repeat(5000),
            "((".repeat(5000),
            "[".repeat(5000)
        );
        assert!(depth(&s) < 12, "{}", depth(&s));
    }

    #[test]
    fn counts_tokens_as_proc_macro2_splits_them() {
        // Each bracket, punctuation character, word and literal is one.
        assert_eq!(tokens("fn f() { 1+2 }"), 9);
        assert_eq!(tokens("let s = \"a ( b\"; // ((((\n/* )) */ x::y"), 9);
        // (A lifetime is one here, two to proc-macro2: close enough.)
        assert_eq!(tokens("r#\"(\"#; b'x'; 'a; c\"z\""), 7);
        // Chunks add up to the file.
        let item = "fn g() -> u8 { h(1, 2) }\n";
        let source = item.repeat(40_000);
        let chunks = prescan(&source);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.iter().map(|c| c.tokens).sum::<usize>(), 15 * 40_000);
    }

    #[test]
    fn the_tree_budget_is_twenty_times_the_file_with_a_floor() {
        assert_eq!(tree_budget(1000), MIN_TREE_BUDGET);
        assert_eq!(tree_budget(8 << 20), 160 << 20);
        assert_eq!(tree_budget(usize::MAX), usize::MAX);
        assert_eq!(tree_estimate(usize::MAX), usize::MAX);
    }

    #[test]
    fn splits_large_files_at_item_boundaries() {
        let item = "fn f() -> u32 { let x = 1; x + 2 }\nconst C: u8 = { 1 };\n";
        let source = item.repeat(CHUNK_BYTES / item.len() * 3);
        let chunks = prescan(&source);
        assert!(chunks.len() >= 3, "{}", chunks.len());
        let mut end = 0;
        for c in &chunks {
            assert_eq!(c.range.start, end);
            end = c.range.end;
            let text = &source[c.range.clone()];
            assert!(syn::parse_file(text).is_ok(), "chunk at line {}", c.line);
            let expected_line = source[..c.range.start].matches('\n').count() + 1;
            assert_eq!(c.line, expected_line);
        }
        assert_eq!(end, source.len());
    }
}
