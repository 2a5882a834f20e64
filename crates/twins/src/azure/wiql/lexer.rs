//! WIQL tokens: bracketed or bare field names, quoted strings (`''` escapes a quote), numbers,
//! `@macros`, comparison symbols, parentheses and commas. Keywords are bare words, any case.

use crate::azure::errors::AzureError;

/// One token and where it starts in the query text.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Byte offset in the query.
    pub at: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `[System.Title]` (the name without brackets).
    Bracketed(String),
    /// A bare word: a keyword or an unbracketed field name.
    Word(String),
    /// `'text'` or `"text"`.
    Text(String),
    /// `42`, `3.5`.
    Number(f64),
    /// `@project`, `@today`.
    Macro(String),
    /// `=`, `<>`, `!=`, `<`, `>`, `<=`, `>=`.
    Symbol(&'static str),
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// `+`.
    Plus,
    /// `-`.
    Minus,
}

impl Kind {
    /// Whether this is the keyword `word` (any case).
    pub fn is(&self, word: &str) -> bool {
        matches!(self, Kind::Word(w) if w.eq_ignore_ascii_case(word))
    }

    /// How the token reads in an error message.
    pub fn show(&self) -> String {
        match self {
            Kind::Bracketed(name) => format!("[{name}]"),
            Kind::Word(w) => w.clone(),
            Kind::Text(t) => format!("'{t}'"),
            Kind::Number(n) => n.to_string(),
            Kind::Macro(m) => format!("@{m}"),
            Kind::Symbol(s) => s.to_string(),
            Kind::Open => "(".into(),
            Kind::Close => ")".into(),
            Kind::Comma => ",".into(),
            Kind::Plus => "+".into(),
            Kind::Minus => "-".into(),
        }
    }
}

fn syntax(detail: &str, near: &str) -> AzureError {
    AzureError::QuerySyntax { detail: detail.into(), near: near.into() }
}

/// Splits a WIQL statement into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, AzureError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '[' => {
                let end = chars[i..].iter().position(|(_, c)| *c == ']').map(|p| p + i);
                let end = end.ok_or_else(|| syntax("Expecting ']'", &text[at..]))?;
                let name: String = chars[i + 1..end].iter().map(|(_, c)| c).collect();
                i = end + 1;
                Kind::Bracketed(name.trim().to_string())
            }
            '\'' | '"' => {
                let mut value = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err(syntax("Expecting the end of a string", &text[at..])),
                        Some((_, q)) if *q == c && chars.get(j + 1).is_some_and(|(_, n)| *n == c) => {
                            value.push(c);
                            j += 2;
                        }
                        Some((_, q)) if *q == c => break,
                        Some((_, other)) => {
                            value.push(*other);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
                Kind::Text(value)
            }
            '@' => {
                let mut j = i + 1;
                while chars.get(j).is_some_and(|(_, c)| c.is_alphanumeric() || *c == '_') {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().map(|(_, c)| c).collect();
                i = j;
                Kind::Macro(name)
            }
            '0'..='9' => {
                let mut j = i;
                while chars.get(j).is_some_and(|(_, c)| c.is_ascii_digit() || *c == '.') {
                    j += 1;
                }
                let number: String = chars[i..j].iter().map(|(_, c)| c).collect();
                i = j;
                Kind::Number(number.parse().map_err(|_| syntax("Expecting a number", &number))?)
            }
            '(' | ')' | ',' | '+' | '-' => {
                i += 1;
                match c {
                    '(' => Kind::Open,
                    ')' => Kind::Close,
                    ',' => Kind::Comma,
                    '+' => Kind::Plus,
                    _ => Kind::Minus,
                }
            }
            '=' | '<' | '>' | '!' => {
                let next = chars.get(i + 1).map(|(_, c)| *c);
                let (symbol, width) = match (c, next) {
                    ('<', Some('>')) => ("<>", 2),
                    ('!', Some('=')) => ("<>", 2),
                    ('<', Some('=')) => ("<=", 2),
                    ('>', Some('=')) => (">=", 2),
                    ('=', _) => ("=", 1),
                    ('<', _) => ("<", 1),
                    ('>', _) => (">", 1),
                    _ => return Err(syntax("Unexpected character", &c.to_string())),
                };
                i += width;
                Kind::Symbol(symbol)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i;
                while chars.get(j).is_some_and(|(_, c)| c.is_alphanumeric() || matches!(c, '.' | '_')) {
                    j += 1;
                }
                let word: String = chars[i..j].iter().map(|(_, c)| c).collect();
                i = j;
                Kind::Word(word)
            }
            other => return Err(syntax("Unexpected character", &other.to_string())),
        };
        tokens.push(Token { kind, at });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_a_statement() {
        let kinds: Vec<Kind> =
            tokenize("SELECT [System.Id] FROM WorkItems WHERE [State] <> 'It''s' AND Id >= 12 OR [x] IN (@today - 1)")
                .unwrap()
                .into_iter()
                .map(|t| t.kind)
                .collect();
        assert_eq!(kinds[1], Kind::Bracketed("System.Id".into()));
        assert_eq!(kinds[6], Kind::Symbol("<>"));
        assert_eq!(kinds[7], Kind::Text("It's".into()));
        assert_eq!(kinds[10], Kind::Symbol(">="));
        assert_eq!(kinds[11], Kind::Number(12.0));
        assert_eq!(kinds[16], Kind::Macro("today".into()));
        assert_eq!(kinds[17], Kind::Minus);
    }

    #[test]
    fn refuses_broken_text() {
        for text in ["SELECT [System.Id FROM x", "WHERE [a] = 'open", "WHERE [a] ~ 1"] {
            assert!(tokenize(text).is_err(), "{text}");
        }
    }
}
