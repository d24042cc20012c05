//! Finding comments in Rust source. syn drops comments (except doc
//! comments), but suppressions and `// SAFETY:` notes live in them, so this
//! is a small lexer that knows strings, raw strings, byte strings and char
//! literals well enough never to mistake `"// not a comment"` for one.

/// One comment: 1-based line and column of its start, and its text
/// including the `//` or `/*` opener.
#[derive(Debug, PartialEq, Eq)]
pub struct Comment<'a> {
    pub line: usize,
    pub column: usize,
    pub text: &'a str,
    /// Code precedes the comment on its line.
    pub trailing: bool,
}

pub fn comments(source: &str) -> Vec<Comment<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut line_start = 0;
    let mut code_on_line = false;
    let column = |at: usize, line_start: usize| source[line_start..at].chars().count() + 1;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                code_on_line = false;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = source[i..].find('\n').map_or(bytes.len(), |n| i + n);
                out.push(Comment {
                    line,
                    column: column(i, line_start),
                    text: &source[i..end],
                    trailing: code_on_line,
                });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                let (start_line, start_col, trailing) = (line, column(i, line_start), code_on_line);
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if bytes[i] == b'\n' {
                            line += 1;
                            line_start = i + 1;
                        }
                        i += 1;
                    }
                }
                out.push(Comment {
                    line: start_line,
                    column: start_col,
                    text: &source[start..i.min(bytes.len())],
                    trailing,
                });
            }
            b'"' => {
                code_on_line = true;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    if bytes.get(i) == Some(&b'\n') {
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'r' | b'b' | b'c' if is_raw_string_start(bytes, i) => {
                code_on_line = true;
                // Skip the prefix (`r`, `br`, `cr`), count the hashes.
                while bytes[i] != b'#' && bytes[i] != b'"' {
                    i += 1;
                }
                let hashes = bytes[i..].iter().take_while(|c| **c == b'#').count();
                i += hashes + 1;
                let mut closing = String::from("\"");
                closing.push_str(&"#".repeat(hashes));
                let end = source[i..].find(&closing).map_or(bytes.len(), |n| i + n);
                for (offset, c) in source[i..end].bytes().enumerate() {
                    if c == b'\n' {
                        line += 1;
                        line_start = i + offset + 1;
                    }
                }
                i = (end + closing.len()).min(bytes.len());
            }
            b'\'' => {
                code_on_line = true;
                // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
                if bytes.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < bytes.len() && bytes[i] != b'\'' && bytes[i] != b'\n' {
                        i += 1;
                    }
                    i += 1;
                } else {
                    let next_len = source[i + 1..].chars().next().map_or(1, char::len_utf8);
                    if bytes.get(i + 1 + next_len) == Some(&b'\'') {
                        i += 2 + next_len;
                    } else {
                        i += 1;
                    }
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                code_on_line = true;
                i += 1;
            }
        }
    }
    out
}

fn is_raw_string_start(bytes: &[u8], i: usize) -> bool {
    if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        return false;
    }
    let mut j = i;
    if bytes[j] == b'b' || bytes[j] == b'c' {
        j += 1;
    }
    if bytes.get(j) != Some(&b'r') {
        return false;
    }
    j += 1;
    while bytes.get(j) == Some(&b'#') {
        j += 1;
    }
    bytes.get(j) == Some(&b'"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_but_not_strings() {
        let src = "let a = \"// not\"; // yes\nlet r = r#\"/* no */\"#;\n/* block\n still */ let c = '/'; // 'x\nlet l: &'a str = x; // after lifetime\n";
        let found = comments(src);
        let texts: Vec<&str> = found.iter().map(|c| c.text).collect();
        assert_eq!(
            texts,
            vec![
                "// yes",
                "/* block\n still */",
                "// 'x",
                "// after lifetime"
            ]
        );
        assert_eq!((found[0].line, found[0].trailing), (1, true));
        assert_eq!((found[1].line, found[1].trailing), (3, false));
        assert_eq!(found[2].line, 4);
        assert_eq!(found[3].line, 5);
    }
}
