//! The `list` pattern: a glob that arrives on the wire and is matched against every stored
//! name by `glob::matches`. No panic, and the answer equals that of a plain dynamic-programming
//! matcher over the same tokens (`*`, `?`, `[…]`/`[!…]` classes with ranges, `\` escapes, an
//! unclosed `[` as a literal). Names are at most 255 bytes, as on the server.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nf::glob::matches;

enum Tok {
    Star,
    Any,
    Lit(char),
    Class(bool, Vec<(char, char)>),
}

fn tokens(p: &[char]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => {
                out.push(Tok::Star);
                i += 1;
            }
            '?' => {
                out.push(Tok::Any);
                i += 1;
            }
            '\\' if i + 1 < p.len() => {
                out.push(Tok::Lit(p[i + 1]));
                i += 2;
            }
            '[' => {
                let mut j = i + 1;
                let negate = j < p.len() && (p[j] == '!' || p[j] == '^');
                if negate {
                    j += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                while j < p.len() && (p[j] != ']' || first) {
                    first = false;
                    if j + 2 < p.len() && p[j + 1] == '-' && p[j + 2] != ']' {
                        ranges.push((p[j], p[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((p[j], p[j]));
                        j += 1;
                    }
                }
                if j >= p.len() {
                    out.push(Tok::Lit('['));
                    i += 1;
                } else {
                    out.push(Tok::Class(negate, ranges));
                    i = j + 1;
                }
            }
            c => {
                out.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    out
}

fn one(t: &Tok, c: char) -> bool {
    match t {
        Tok::Star => unreachable!(),
        Tok::Any => true,
        Tok::Lit(l) => *l == c,
        Tok::Class(negate, ranges) => ranges.iter().any(|&(a, b)| a <= c && c <= b) != *negate,
    }
}

/// `m[i][j]`: tokens from `i` match name characters from `j`.
fn reference(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let t = tokens(&p);
    let mut m = vec![vec![false; n.len() + 1]; t.len() + 1];
    m[t.len()][n.len()] = true;
    for i in (0..t.len()).rev() {
        for j in (0..=n.len()).rev() {
            m[i][j] = match &t[i] {
                Tok::Star => m[i + 1][j] || (j < n.len() && m[i][j + 1]),
                tok => j < n.len() && one(tok, n[j]) && m[i + 1][j + 1],
            };
        }
    }
    m[0][0]
}

fuzz_target!(|data: &[u8]| {
    // Layout: name, 0xFF, pattern (0xFF never occurs in UTF-8).
    let Some(split) = data.iter().position(|&b| b == 0xff) else {
        return;
    };
    let (Ok(name), Ok(pattern)) = (
        std::str::from_utf8(&data[..split]),
        std::str::from_utf8(&data[split + 1..]),
    ) else {
        return;
    };
    if name.len() > 255 {
        return;
    }
    assert_eq!(
        matches(pattern, name),
        reference(pattern, name),
        "pattern {pattern:?} against {name:?}"
    );
});
