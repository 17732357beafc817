//! Shell-style glob matching for `nf ls PATTERN`: `*` (any run), `?` (one character),
//! `[abc]`, `[a-z]` and `[!abc]` classes, and `\` to escape. Pure string code, no I/O.
//!
//! A pattern is parsed once into tokens ([`Glob::new`]), runs of `*` merged, and matched with
//! one backtracking point: O(name × tokens) per name, whatever the pattern.

/// The longest pattern accepted, in bytes: no name is longer, so no longer pattern is needed.
pub const MAX_PATTERN_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Star,
    Any,
    Literal(char),
    Class { negate: bool, items: Vec<(char, char)> },
}

/// A parsed glob pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
}

impl Glob {
    /// Parses `pattern`; `None` if it is longer than [`MAX_PATTERN_BYTES`].
    pub fn new(pattern: &str) -> Option<Glob> {
        if pattern.len() > MAX_PATTERN_BYTES {
            return None;
        }
        let p: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < p.len() {
            let (token, next) = match p[i] {
                '*' => (Token::Star, i + 1),
                '?' => (Token::Any, i + 1),
                '\\' if i + 1 < p.len() => (Token::Literal(p[i + 1]), i + 2),
                '[' => parse_class(&p, i).unwrap_or((Token::Literal('['), i + 1)),
                c => (Token::Literal(c), i + 1),
            };
            if !(token == Token::Star && tokens.last() == Some(&Token::Star)) {
                tokens.push(token);
            }
            i = next;
        }
        Some(Glob { tokens })
    }

    /// True when `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let n: Vec<char> = name.chars().collect();
        let t = &self.tokens;
        let (mut ti, mut ni) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ni < n.len() {
            if ti < t.len() {
                if t[ti] == Token::Star {
                    star = Some((ti, ni));
                    ti += 1;
                    continue;
                }
                if one(&t[ti], n[ni]) {
                    ti += 1;
                    ni += 1;
                    continue;
                }
            }
            match star {
                Some((st, sn)) => {
                    ti = st + 1;
                    ni = sn + 1;
                    star = Some((st, sn + 1));
                }
                None => return false,
            }
        }
        t[ti..].iter().all(|x| *x == Token::Star)
    }
}

fn one(token: &Token, c: char) -> bool {
    match token {
        Token::Any => true,
        Token::Literal(l) => *l == c,
        Token::Class { negate, items } => items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negate,
        Token::Star => false,
    }
}

/// Parses `[...]` at `start`; `None` when there is no closing bracket (then `[` is literal).
fn parse_class(p: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            items.push((p[i], p[i + 2]));
            i += 3;
        } else {
            items.push((p[i], p[i]));
            i += 1;
        }
    }
    (i < p.len()).then_some((Token::Class { negate, items }, i + 1))
}

/// True when `name` matches `pattern` (a pattern over the length limit matches nothing).
pub fn matches(pattern: &str, name: &str) -> bool {
    Glob::new(pattern).is_some_and(|g| g.matches(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_the_shell() {
        assert!(matches("*", "anything"));
        assert!(matches("*.jpg", "corona.jpg"));
        assert!(!matches("*.jpg", "corona.jpeg"));
        assert!(matches("c?rona.*", "corona.pdf"));
        assert!(matches("[ab]*", "b.txt"));
        assert!(!matches("[!ab]*", "b.txt"));
        assert!(matches("[a-c]x", "bx"));
        assert!(matches("a\\*", "a*"));
        assert!(!matches("a\\*", "ab"));
        assert!(matches("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!matches("*a*b*c*d", "xxaxxbxxcxx"));
        assert!(matches("[", "["));
        assert!(matches("[]]", "]"));
        assert!(matches("**a**", "xa"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn a_pattern_longer_than_any_name_matches_nothing() {
        assert!(Glob::new(&"*".repeat(256)).is_none());
        assert!(!matches(&"[".repeat(300), "["));
    }
}
