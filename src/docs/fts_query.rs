//! Turns a user's search text into an FTS5 query that is always well formed.
//!
//! Supported: words (`rust`), prefixes (`rus*`), phrases (`"hello world"`, `"hello wor"*`),
//! `AND`, `OR`, `NOT` (upper case; `NOT` excludes what follows from what precedes),
//! parentheses, and the column filters `title:` and `text:`. Every word and phrase is
//! quoted, so FTS5's own syntax characters in user input are only ever text; a query this
//! grammar does not accept is refused with a message saying what is wrong.

use super::DocError;

/// Longest accepted search text, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most words and phrases in one query.
pub const MAX_TERMS: usize = 64;

#[derive(Debug, PartialEq)]
enum Tok {
    Term {
        text: String,
        prefix: bool,
        column: Option<&'static str>,
    },
    Op(&'static str),
    Open,
    Close,
}

fn bad(m: impl Into<String>) -> DocError {
    DocError::BadQuery(m.into())
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn lex(q: &str) -> Result<Vec<Tok>, DocError> {
    let mut toks = Vec::new();
    let mut chars = q.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        match c {
            '(' => {
                chars.next();
                toks.push(Tok::Open);
            }
            ')' => {
                chars.next();
                toks.push(Tok::Close);
            }
            _ => {
                // A word, maybe `column:` then a word or a phrase.
                let mut column = None;
                let rest = &q[i..];
                for (name, col) in [("title:", "title"), ("text:", "search_text")] {
                    if rest.starts_with(name) {
                        column = Some(col);
                        for _ in 0..name.chars().count() {
                            chars.next();
                        }
                        break;
                    }
                }
                if chars.peek().map(|&(_, c)| c) == Some('"') {
                    chars.next();
                    let mut text = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == '"' {
                            closed = true;
                            break;
                        }
                        text.push(c);
                    }
                    if !closed {
                        return Err(bad("unterminated quote: close the phrase with '\"'"));
                    }
                    let prefix = chars.peek().map(|&(_, c)| c) == Some('*');
                    if prefix {
                        chars.next();
                    }
                    if text.trim().is_empty() {
                        return Err(bad("empty phrase \"\""));
                    }
                    toks.push(Tok::Term {
                        text,
                        prefix,
                        column,
                    });
                    continue;
                }
                let mut word = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                if word.is_empty() {
                    if column.is_some() {
                        return Err(bad(
                            "a column filter (title:, text:) needs a word or phrase after it",
                        ));
                    }
                    continue;
                }
                match word.as_str() {
                    "AND" | "OR" | "NOT" if column.is_none() => {
                        toks.push(Tok::Op(match word.as_str() {
                            "AND" => "AND",
                            "OR" => "OR",
                            _ => "NOT",
                        }));
                    }
                    _ => {
                        let prefix = word.ends_with('*');
                        let text = word.trim_end_matches('*').to_owned();
                        if text.is_empty() || text.contains('*') {
                            return Err(bad(format!(
                                "{word:?}: '*' marks a prefix and goes at the end of a word (rus*)"
                            )));
                        }
                        toks.push(Tok::Term {
                            text,
                            prefix,
                            column,
                        });
                    }
                }
            }
        }
    }
    Ok(toks)
}

/// The FTS5 query for `q`, or why `q` is not a valid search.
pub fn to_fts(q: &str) -> Result<String, DocError> {
    if q.trim().is_empty() {
        return Err(bad("q is empty: give words to search for"));
    }
    if q.len() > MAX_QUERY_BYTES {
        return Err(bad(format!(
            "q is {} bytes; at most {MAX_QUERY_BYTES}",
            q.len()
        )));
    }
    let toks = lex(q)?;
    let terms = toks
        .iter()
        .filter(|t| matches!(t, Tok::Term { .. }))
        .count();
    if terms == 0 {
        return Err(bad("q has no words to search for"));
    }
    if terms > MAX_TERMS {
        return Err(bad(format!("{terms} words; at most {MAX_TERMS}")));
    }
    let mut out = String::new();
    let mut depth = 0usize;
    // Whether the previous token ends an operand (a term or ')').
    let mut after_operand = false;
    for t in &toks {
        match t {
            Tok::Term {
                text,
                prefix,
                column,
            } => {
                if after_operand {
                    out.push_str(" AND ");
                }
                if let Some(c) = column {
                    out.push_str(c);
                    out.push_str(" : ");
                }
                out.push_str(&quote(text));
                if *prefix {
                    out.push('*');
                }
                after_operand = true;
            }
            Tok::Op(op) => {
                if !after_operand {
                    return Err(bad(format!(
                        "{op} needs a word or phrase before it{}",
                        if *op == "NOT" {
                            " (a NOT b: a without b)"
                        } else {
                            ""
                        }
                    )));
                }
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                after_operand = false;
            }
            Tok::Open => {
                if after_operand {
                    out.push_str(" AND ");
                }
                depth += 1;
                if depth > 16 {
                    return Err(bad("parentheses nested deeper than 16"));
                }
                out.push('(');
                after_operand = false;
            }
            Tok::Close => {
                if depth == 0 {
                    return Err(bad("unbalanced ')'"));
                }
                if !after_operand {
                    return Err(bad("empty parentheses or an operator before ')'"));
                }
                depth -= 1;
                out.push(')');
                after_operand = true;
            }
        }
    }
    if depth != 0 {
        return Err(bad("unbalanced '(': close it with ')'"));
    }
    if !after_operand {
        return Err(bad("the query ends with an operator; add a word after it"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        assert_eq!(to_fts("rust").unwrap(), "\"rust\"");
        assert_eq!(to_fts("rus* web").unwrap(), "\"rus\"* AND \"web\"");
        assert_eq!(to_fts("\"hello world\"").unwrap(), "\"hello world\"");
        assert_eq!(to_fts("a OR b NOT c").unwrap(), "\"a\" OR \"b\" NOT \"c\"");
        assert_eq!(to_fts("(a OR b) c").unwrap(), "(\"a\" OR \"b\") AND \"c\"");
        assert_eq!(to_fts("title:rust").unwrap(), "title : \"rust\"");
        assert_eq!(
            to_fts("and or not").unwrap(),
            "\"and\" AND \"or\" AND \"not\""
        );
        assert_eq!(
            to_fts("NEAR(a b) x:y").unwrap(),
            "\"NEAR\" AND (\"a\" AND \"b\") AND \"x:y\""
        );
        assert_eq!(
            to_fts("a^b {c} -d +e").unwrap(),
            "\"a^b\" AND \"{c}\" AND \"-d\" AND \"+e\""
        );
    }

    #[test]
    fn refused() {
        for q in [
            "", "   ", "\"open", "a OR", "NOT a", "(a", "a)", "()", "*", "a*b", "AND", "title:",
            "\"\"",
        ] {
            assert!(to_fts(q).is_err(), "{q:?}");
        }
    }
}
