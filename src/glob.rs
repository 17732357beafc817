//! Shell-style glob matching for `nf ls PATTERN`: `*` (any run), `?` (one character),
//! `[abc]`, `[a-z]` and `[!abc]` classes, and `\` to escape. Pure string code, no I/O.

/// True when `name` matches `pattern` as a whole.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matcher with one backtrack point for the last `*`: linear in practice and
    // never exponential, whatever the pattern.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
            continue;
        }
        if pi < p.len() {
            if let Some(next) = match_one(&p, pi, n[ni]) {
                pi = next;
                ni += 1;
                continue;
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches one pattern element at `pi` against `c`; returns the index after the element.
fn match_one(p: &[char], pi: usize, c: char) -> Option<usize> {
    match p[pi] {
        '?' => Some(pi + 1),
        '\\' if pi + 1 < p.len() => (p[pi + 1] == c).then_some(pi + 2),
        '[' => match_class(p, pi, c),
        lit => (lit == c).then_some(pi + 1),
    }
}

fn match_class(p: &[char], start: usize, c: char) -> Option<usize> {
    let mut i = start + 1;
    let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                found = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                found = true;
            }
            i += 1;
        }
    }
    if i >= p.len() {
        // No closing bracket: treat `[` as a literal.
        return (c == '[').then_some(start + 1);
    }
    (found != negate).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::matches;

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
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }
}
