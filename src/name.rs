//! Validated names. Every name that comes from the wire or the command line is parsed here,
//! once, into a [`FileName`]: a relative path of one or more components separated by `/`.
//! Nothing downstream handles raw strings, and the store resolves only `FileName`s beneath its
//! root. This module does no I/O.
//!
//! It also owns how names (and any other text from a peer) look on a terminal: [`hidden`] is
//! the one list of characters that never reach a terminal as themselves, and [`quote`],
//! [`shown`] and [`printable`] escape them. And it owns Unicode normalization: names a person
//! gives are put in NFC ([`FileName::from_user`]); names from the wire are taken exactly.

use std::borrow::Cow;
use std::fmt;

use icu_normalizer::properties::{CanonicalCombiningClassMapBorrowed, CanonicalCompositionBorrowed};
use icu_normalizer::ComposingNormalizerBorrowed;

use crate::error::{Error, ErrorKind};

/// The longest component, in bytes, that any configuration allows (most file systems' limit).
pub const MAX_NAME_BYTES: usize = 255;
/// The default longest path, in bytes (`max_path_bytes`; Linux's `PATH_MAX`).
pub const MAX_PATH_BYTES: usize = 4096;
/// The default most components of a path (`max_path_components`).
pub const MAX_PATH_COMPONENTS: usize = 128;

/// The store keeps its own data in a directory of this name (and the object store marks an
/// empty directory with an object of this name in it): it is not a valid component anywhere.
pub const RESERVED: &str = ".nf";

/// How long a name may be: each component, the whole path, and how many components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one component (`max_name_bytes`, at most [`MAX_NAME_BYTES`]).
    pub component_bytes: usize,
    /// Bytes of the whole path (`max_path_bytes`).
    pub path_bytes: usize,
    /// Components of the path (`max_path_components`).
    pub components: usize,
}

impl Limits {
    /// The defaults of the config keys.
    pub const DEFAULT: Limits = Limits {
        component_bytes: MAX_NAME_BYTES,
        path_bytes: MAX_PATH_BYTES,
        components: MAX_PATH_COMPONENTS,
    };

    /// Only names at the top (one component): what the old text dialects see.
    pub const TOP: Limits = Limits {
        component_bytes: MAX_NAME_BYTES,
        path_bytes: MAX_NAME_BYTES,
        components: 1,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// A name in nf's namespace: a relative path of 1 to 128 components separated by single `/`,
/// at most 4096 bytes (both configurable). Each component is 1..=255 bytes of UTF-8, not `.`,
/// `..` or `.nf`, without `\`, NUL or other control characters. No leading or trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileName(String);

impl FileName {
    /// Checks `raw` against the naming rules with the default limits.
    pub fn parse(raw: &str) -> Result<FileName, Error> {
        FileName::parse_with(raw, &Limits::DEFAULT)
    }

    /// Checks `raw` against the naming rules within `limits`.
    pub fn parse_with(raw: &str, limits: &Limits) -> Result<FileName, Error> {
        let bad = |why: &str| Error::new(ErrorKind::BadName, format!("invalid name {}: {why}", quote(raw)));
        if raw.is_empty() {
            return Err(bad("names cannot be empty"));
        }
        if limits.components <= 1 && raw.contains('/') {
            return Err(bad(
                "names cannot contain `/` here (the old text dialects see only the top level)",
            ));
        }
        if raw.starts_with('/') {
            return Err(bad("names are relative paths: no leading `/`"));
        }
        if raw.ends_with('/') {
            return Err(bad("no trailing `/`: a name ends with its last component"));
        }
        if raw.len() > limits.path_bytes {
            return Err(bad(&format!(
                "names are at most {} bytes (this one has {})",
                limits.path_bytes,
                raw.len()
            )));
        }
        let mut count = 0;
        for component in raw.split('/') {
            count += 1;
            check_component(component, limits.component_bytes.min(MAX_NAME_BYTES))
                .map_err(|why| bad(&why))?;
        }
        if count > limits.components {
            return Err(bad(&format!(
                "names have at most {} components (this one has {count})",
                limits.components
            )));
        }
        Ok(FileName(raw.to_string()))
    }

    /// Checks a name given as raw bytes (for example a local file name that may not be UTF-8).
    pub fn parse_bytes(raw: &[u8]) -> Result<FileName, Error> {
        FileName::parse_bytes_with(raw, &Limits::DEFAULT)
    }

    /// Checks a name given as raw bytes within `limits`.
    pub fn parse_bytes_with(raw: &[u8], limits: &Limits) -> Result<FileName, Error> {
        match std::str::from_utf8(raw) {
            Ok(s) => FileName::parse_with(s, limits),
            Err(_) => Err(not_utf8(raw)),
        }
    }

    /// A name a person gave (a command-line argument, `--as`, a local path): put in NFC, and
    /// written the way people write paths: `./dir`, `dir/`, `dir//x` and `/dir` are `dir`
    /// and `dir/x` (`.` components and empty ones dropped). So the same name typed on Linux
    /// (NFC) and taken from a macOS file name (NFD) is one name on the server. The whole tree
    /// (`.`, `/`, nothing) is not a name: see [`FileName::from_user_dir`].
    pub fn from_user(raw: &str) -> Result<FileName, Error> {
        match FileName::from_user_dir(raw)? {
            Some(name) => Ok(name),
            None => Err(Error::new(
                ErrorKind::BadName,
                format!(
                    "invalid name {}: it names the whole tree, not a file or directory",
                    quote(raw)
                ),
            )),
        }
    }

    /// [`FileName::from_user`] for a directory argument, where `.`, `/`, `./` and the empty
    /// string stand for the top of the tree (`None`).
    pub fn from_user_dir(raw: &str) -> Result<Option<FileName>, Error> {
        let nfc = nfc(raw);
        let tidy: Vec<&str> = nfc.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
        if tidy.is_empty() {
            return Ok(None);
        }
        let joined = tidy.join("/");
        FileName::parse(&joined).map(Some).map_err(|e| {
            if joined == raw {
                e
            } else {
                e.context(format!("{} is {}", quote(raw), quote(&joined)))
            }
        })
    }

    /// [`FileName::from_user`] for a name given as raw bytes (a local file name).
    pub fn from_user_bytes(raw: &[u8]) -> Result<FileName, Error> {
        match std::str::from_utf8(raw) {
            Ok(s) => FileName::from_user(s),
            Err(_) => Err(not_utf8(raw)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The components, from the top.
    pub fn components(&self) -> std::str::Split<'_, char> {
        self.0.split('/')
    }

    /// How many components.
    pub fn depth(&self) -> usize {
        self.0.bytes().filter(|&b| b == b'/').count() + 1
    }

    /// The last component.
    pub fn leaf(&self) -> &str {
        self.0.rsplit_once('/').map_or(&self.0, |(_, leaf)| leaf)
    }

    /// The directory holding this name (`None`: the top of the tree).
    pub fn parent(&self) -> Option<FileName> {
        self.0.rsplit_once('/').map(|(dir, _)| FileName(dir.to_string()))
    }

    /// Every directory above this name, from the top (`a`, `a/b` for `a/b/c`).
    pub fn ancestors(&self) -> impl Iterator<Item = FileName> + '_ {
        self.0
            .match_indices('/')
            .map(|(i, _)| FileName(self.0[..i].to_string()))
    }

    /// `dir/leaf` (`leaf` at the top when `dir` is `None`). The leaf must be one valid
    /// component, as it is when it comes from a listing this code made.
    pub fn child(dir: Option<&FileName>, leaf: &str) -> Result<FileName, Error> {
        let raw = match dir {
            Some(d) => format!("{}/{leaf}", d.0),
            None => leaf.to_string(),
        };
        check_component(leaf, MAX_NAME_BYTES)
            .map_err(|why| Error::new(ErrorKind::BadName, format!("invalid name {}: {why}", quote(&raw))))?;
        Ok(FileName(raw))
    }

    /// This name with `from` (itself or a directory above it) replaced by `to`: where it goes
    /// when `from` is moved to `to`. `None` when `from` is neither.
    pub fn moved(&self, from: &FileName, to: &FileName) -> Option<FileName> {
        if self == from {
            return Some(to.clone());
        }
        let rest = self.0.strip_prefix(&from.0)?.strip_prefix('/')?;
        Some(FileName(format!("{}/{rest}", to.0)))
    }

    /// True when `self` is `other` or a directory above it.
    pub fn contains(&self, other: &FileName) -> bool {
        other == self || other.0.strip_prefix(&self.0).is_some_and(|r| r.starts_with('/'))
    }

    /// `dir/rel` (`rel` itself when `dir` is `None`), checked against the default limits (the
    /// joined path may be too long or too deep even when both parts are not).
    pub fn join(dir: Option<&FileName>, rel: &FileName) -> Result<FileName, Error> {
        match dir {
            Some(d) => FileName::parse(&format!("{}/{}", d.0, rel.0)),
            None => Ok(rel.clone()),
        }
    }

    /// This name's path below `dir` (itself when `dir` is `None`); `None` when `dir` is not a
    /// directory above it.
    pub fn below(&self, dir: Option<&FileName>) -> Option<FileName> {
        match dir {
            None => Some(self.clone()),
            Some(d) => {
                let rest = self.0.strip_prefix(&d.0)?.strip_prefix('/')?;
                Some(FileName(rest.to_string()))
            }
        }
    }
}

/// Why one component of a path is not valid, if it is not.
fn check_component(c: &str, max_bytes: usize) -> Result<(), String> {
    if c.is_empty() {
        return Err("empty component (`//`)".into());
    }
    if c == "." || c == ".." {
        return Err("`.` and `..` are not names".into());
    }
    if c == RESERVED {
        return Err("`.nf` is reserved for the server's own data".into());
    }
    if c.len() > max_bytes {
        return Err(format!(
            "each component is at most {max_bytes} bytes (one has {})",
            c.len()
        ));
    }
    if c.contains('\\') {
        return Err("names cannot contain `\\`".into());
    }
    if c.chars().any(char::is_control) {
        return Err("names cannot contain control characters".into());
    }
    Ok(())
}

fn not_utf8(raw: &[u8]) -> Error {
    Error::new(
        ErrorKind::BadName,
        format!(
            "invalid name {}: names must be valid UTF-8",
            quote(&String::from_utf8_lossy(raw))
        ),
    )
}

/// `raw` in Unicode Normalization Form C (borrowed when it already is).
pub fn nfc(raw: &str) -> Cow<'_, str> {
    ComposingNormalizerBorrowed::new_nfc().normalize(raw)
}

/// True when `raw` is in NFC (always for ASCII).
pub fn is_nfc(raw: &str) -> bool {
    raw.is_ascii() || ComposingNormalizerBorrowed::new_nfc().is_normalized(raw)
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True for a character that must never reach a terminal as itself, because it moves the
/// cursor, reorders or hides text, or looks like something else:
/// - control characters (C0, DEL, C1);
/// - bidi controls: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 (an override turns
///   `invoice_<U+202E>txt.exe` into `invoice_exe.txt` on screen);
/// - every other format character (Unicode category Cf), invisible by definition: soft hyphen,
///   zero-width space, joiners and non-joiner, word joiner and invisible operators, BOM,
///   interlinear annotations, the Arabic, Syriac, Kaithi and Egyptian format marks, tags;
/// - the rest of the default-ignorable code points, which fonts draw as nothing: combining
///   grapheme joiner, the Hangul fillers, Khmer inherent vowels, Mongolian and standard
///   variation selectors (U+180B–U+180F, U+FE00–U+FE0F, U+E0100–U+E01EF), reserved ranges;
/// - spaces other than U+0020 (no-break, en/em, thin, ideographic, Ogham…) and the line and
///   paragraph separators U+2028/U+2029, which look like a plain space or break a line (a
///   forged log line); the blank Braille pattern U+2800, which looks like a space;
/// - noncharacters (U+FDD0–U+FDEF and the last two of every plane), never text.
pub fn hidden(c: char) -> bool {
    let u = c as u32;
    if (0x20..0x7f).contains(&u) {
        return false;
    }
    (u & 0xFFFE) == 0xFFFE
        || HIDDEN
            .binary_search_by(|&(lo, hi)| {
                if hi < u {
                    std::cmp::Ordering::Less
                } else if lo > u {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// Every [`hidden`] character as ranges of code points (first, last), in order: the table
/// itself and the noncharacters at the end of each plane. Other code that must apply the same
/// rule (the folder page's script) is generated from this.
pub fn hidden_ranges() -> impl Iterator<Item = (u32, u32)> {
    let plane_ends = (0..=16u32).map(|plane| (plane << 16 | 0xFFFE, plane << 16 | 0xFFFF));
    HIDDEN.iter().copied().chain(plane_ends)
}

/// The [`hidden`] code points but the last two of every plane, as sorted, disjoint ranges.
const HIDDEN: &[(u32, u32)] = &[
    (0x0000, 0x001F),
    (0x007F, 0x009F),
    (0x00A0, 0x00A0),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x206F),
    (0x2800, 0x2800),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xFDD0, 0xFDEF),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// The characters of `raw` to escape besides the [`hidden`] ones: none for a name in NFC; for
/// one that is not, those that normalization would change (a combining mark, a character
/// that composes with the one before it, one that NFC replaces), so that two spellings of one
/// name never look the same: `café` in NFD shows as `cafe\u{301}`. Should that find none
/// (it cannot for the cases Unicode defines), every non-ASCII character.
fn unnormalized(raw: &str) -> Option<Vec<bool>> {
    if is_nfc(raw) {
        return None;
    }
    let ccc = CanonicalCombiningClassMapBorrowed::new();
    let compose = CanonicalCompositionBorrowed::new();
    let mut prev: Option<char> = None;
    let mut marks = Vec::new();
    let mut buf = [0u8; 4];
    for c in raw.chars() {
        let changed = !c.is_ascii()
            && (ccc.get_u8(c) != 0
                || prev.is_some_and(|p| compose.compose(p, c).is_some())
                || !is_nfc(c.encode_utf8(&mut buf)));
        marks.push(changed);
        prev = Some(c);
    }
    if !marks.contains(&true) {
        marks = raw.chars().map(|c| !c.is_ascii()).collect();
    }
    Some(marks)
}

/// The one escaping routine: `raw` with [`hidden`] characters escaped (`\n`, `\u{202e}`),
/// also `"` and `\` when `quotes`, and also the characters [`unnormalized`] picks when
/// `names`. Borrowed when nothing needs escaping.
fn escape(raw: &str, quotes: bool, names: bool) -> Cow<'_, str> {
    let extra = if names { unnormalized(raw) } else { None };
    let special = |i: usize, c: char| {
        hidden(c) || (quotes && (c == '"' || c == '\\')) || extra.as_ref().is_some_and(|m| m[i])
    };
    if !raw.chars().enumerate().any(|(i, c)| special(i, c)) {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len() + 16);
    for (i, c) in raw.chars().enumerate() {
        if !special(i, c) {
            out.push(c);
        } else if c.is_ascii() {
            // `\n`, `\t`, `\"`, `\\`, `\u{1b}`: as Rust (and most people) write them.
            out.extend(c.escape_default());
        } else {
            out.extend(c.escape_unicode());
        }
    }
    Cow::Owned(out)
}

/// Quotes a name (or any client-provided string) for messages and logs: `"…"`, with quotes,
/// backslashes and every [`hidden`] character escaped, and a name not in NFC marked (see
/// [`shown`]), so a client-provided string can never forge a log line, move the terminal
/// cursor, reorder what is shown, or pass for another name.
pub fn quote(raw: &str) -> String {
    format!("\"{}\"", escape(raw, true, true))
}

/// A name as the `ls` and `stat` tables show it, without quotes: every [`hidden`] character
/// escaped (`invoice_\u{202e}txt.exe`), and in a name that is not in NFC the characters
/// normalization would change (`cafe\u{301}.txt`), so two names never look the same. Names
/// cannot hold `\`, so what is shown is never ambiguous.
pub fn shown(name: &str) -> Cow<'_, str> {
    escape(name, false, true)
}

/// A line of text for the terminal or the log (an error message, a note): every [`hidden`]
/// character escaped, nothing else changed. Text that went through [`quote`] is unchanged.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, false, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names_and_paths() {
        let deep = vec!["d"; 128].join("/");
        for ok in [
            "a",
            "corona.jpg",
            ".hidden",
            "naïve café.txt",
            "a b",
            "..a",
            "a/b",
            "photos/2020/[1] a b.jpg",
            "a/.nfx/..b",
            "x".repeat(255).as_str(),
            deep.as_str(),
        ] {
            assert_eq!(FileName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_every_bad_name() {
        let long = "x".repeat(256);
        let too_deep = vec!["d"; 129].join("/");
        let too_long = vec!["x".repeat(200); 21].join("/");
        for bad in [
            "",
            ".",
            "..",
            ".nf",
            "a/.nf",
            "a/.nf/b",
            "../../etc/passwd",
            "a/../../x",
            "a/./b",
            "/etc/passwd",
            "/abs",
            "a//b",
            "a/",
            "/",
            "a\\b",
            "a\0b",
            "a/b\nc",
            "\u{7f}",
            long.as_str(),
            too_deep.as_str(),
            too_long.as_str(),
        ] {
            let err = FileName::parse(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::BadName, "{bad:?}");
        }
        assert_eq!(
            FileName::parse_bytes(b"a\xffb").unwrap_err().kind,
            ErrorKind::BadName
        );
        let small = Limits {
            component_bytes: 3,
            path_bytes: 7,
            components: 2,
        };
        assert!(FileName::parse_with("abc/def", &small).is_ok());
        for bad in ["abcd", "ab/cd/e", "abc/defg", "a/b/c"] {
            assert_eq!(
                FileName::parse_with(bad, &small).unwrap_err().kind,
                ErrorKind::BadName,
                "{bad}"
            );
        }
        let top = FileName::parse_with("a/b", &Limits::TOP).unwrap_err();
        assert!(top.message.contains("see only the top level"), "{}", top.message);
    }

    #[test]
    fn paths_people_type_are_tidied() {
        for (typed, name) in [
            ("dir/", "dir"),
            ("./dir", "dir"),
            ("dir//x", "dir/x"),
            ("/dir/./x/", "dir/x"),
            ("cafe\u{301}/x", "caf\u{e9}/x"),
        ] {
            assert_eq!(FileName::from_user(typed).unwrap().as_str(), name, "{typed}");
        }
        for top in ["", ".", "/", "./", "//."] {
            assert_eq!(FileName::from_user_dir(top).unwrap(), None, "{top:?}");
            assert_eq!(FileName::from_user(top).unwrap_err().kind, ErrorKind::BadName);
        }
        for bad in ["a/../b", "..", "a/.nf"] {
            assert_eq!(
                FileName::from_user(bad).unwrap_err().kind,
                ErrorKind::BadName,
                "{bad}"
            );
        }
    }

    #[test]
    fn path_helpers_split_and_join_names() {
        let n = FileName::parse("a/b/c.txt").unwrap();
        assert_eq!(n.leaf(), "c.txt");
        assert_eq!(n.depth(), 3);
        assert_eq!(n.parent().unwrap().as_str(), "a/b");
        assert_eq!(FileName::parse("a").unwrap().parent(), None);
        let up: Vec<String> = n.ancestors().map(|a| a.as_str().to_string()).collect();
        assert_eq!(up, ["a", "a/b"]);
        let a = FileName::parse("a").unwrap();
        assert_eq!(FileName::child(Some(&a), "x").unwrap().as_str(), "a/x");
        assert_eq!(FileName::child(None, "x").unwrap().as_str(), "x");
        assert!(FileName::child(None, "..").is_err());
        assert!(a.contains(&n) && a.contains(&a));
        assert!(!a.contains(&FileName::parse("ab/c").unwrap()));
        let to = FileName::parse("z").unwrap();
        assert_eq!(n.moved(&a, &to).unwrap().as_str(), "z/b/c.txt");
        assert_eq!(FileName::parse("ab").unwrap().moved(&a, &to), None);
    }

    #[test]
    fn quote_escapes_control_characters() {
        assert_eq!(quote("a\nb\x1b[2J\""), r#""a\nb\u{1b}[2J\"""#);
    }

    #[test]
    fn bidi_controls_and_invisible_characters_are_escaped_everywhere_they_are_shown() {
        let name = "invoice_\u{202e}txt.exe";
        assert_eq!(quote(name), r#""invoice_\u{202e}txt.exe""#);
        assert_eq!(shown(name), r"invoice_\u{202e}txt.exe");
        assert_eq!(
            printable(&format!("no file named {}", quote(name))),
            r#"no file named "invoice_\u{202e}txt.exe""#
        );
        let listed = [
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}',
            '\u{feff}',
            '\u{00ad}',
            '\u{034f}',
            '\u{115f}',
            '\u{1160}',
            '\u{3164}',
            '\u{ffa0}',
            '\u{180e}',
            '\u{e0000}',
            '\u{e0001}',
            '\u{e0041}',
            '\u{e007f}',
            // Chosen besides: variation selectors, odd spaces and separators, the blank
            // Braille pattern, interlinear annotations, noncharacters.
            '\u{fe0f}',
            '\u{e0100}',
            '\u{00a0}',
            '\u{2003}',
            '\u{202f}',
            '\u{3000}',
            '\u{2028}',
            '\u{2029}',
            '\u{2800}',
            '\u{fff9}',
            '\u{fdd0}',
            '\u{fffe}',
            '\u{10ffff}',
        ];
        for c in listed {
            assert!(hidden(c), "U+{:04X}", c as u32);
            let name = format!("a{c}b");
            assert_eq!(shown(&name), format!("a\\u{{{:x}}}b", c as u32));
            assert_eq!(quote(&name), format!("\"a\\u{{{:x}}}b\"", c as u32));
        }
        // What people write stays as it is.
        for plain in [
            "corona.jpg",
            "naïve café.txt",
            "日本語.txt",
            "Ωmega",
            "a b",
            "emoji😀.png",
        ] {
            assert_eq!(shown(plain), plain);
            assert_eq!(quote(plain), format!("\"{plain}\""));
        }
        // Escaping twice changes nothing more.
        let once = printable("a\u{202e}b\n");
        assert_eq!(printable(&once), once);
    }

    #[test]
    fn the_hidden_table_is_sorted_and_holds_every_control_character() {
        assert!(HIDDEN.iter().all(|&(lo, hi)| lo <= hi));
        assert!(HIDDEN.windows(2).all(|w| w[0].1 < w[1].0));
        for u in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(u) else { continue };
            let ranged = hidden_ranges().any(|(lo, hi)| (lo..=hi).contains(&u));
            assert_eq!(hidden(c), ranged, "U+{u:04X}");
            if c.is_control() {
                assert!(hidden(c), "U+{u:04X}");
            }
        }
    }

    #[test]
    fn names_in_nfc_and_nfd_never_look_the_same() {
        let composed = "caf\u{e9}.txt";
        let decomposed = "cafe\u{301}.txt";
        assert!(is_nfc(composed) && !is_nfc(decomposed));
        assert_eq!(shown(composed), composed);
        assert_eq!(shown(decomposed), r"cafe\u{301}.txt");
        assert_eq!(quote(decomposed), r#""cafe\u{301}.txt""#);
        // Hangul in conjoining jamo, the Angstrom sign, marks out of order, an excluded
        // composition: each shows at least one escape.
        for odd in [
            "\u{1112}\u{1161}\u{11ab}",
            "\u{212b}",
            "a\u{301}\u{323}",
            "\u{958}",
        ] {
            assert!(!is_nfc(odd), "{odd:?}");
            assert!(shown(odd).contains("\\u{"), "{odd:?} shows as {}", shown(odd));
        }
        // Only what normalization changes is escaped; the rest reads as usual.
        assert_eq!(shown("\u{212b}ngstr\u{f6}m"), "\\u{212b}ngstr\u{f6}m");
    }

    #[test]
    fn names_people_give_are_put_in_nfc() {
        assert_eq!(
            FileName::from_user("cafe\u{301}.txt").unwrap().as_str(),
            "caf\u{e9}.txt"
        );
        assert_eq!(
            FileName::from_user_bytes("e\u{301}".as_bytes()).unwrap().as_str(),
            "\u{e9}"
        );
        assert_eq!(FileName::from_user("\u{212b}").unwrap().as_str(), "\u{c5}");
        // Names from the wire are taken exactly.
        assert_eq!(
            FileName::parse("cafe\u{301}.txt").unwrap().as_str(),
            "cafe\u{301}.txt"
        );
        assert_eq!(nfc("plain"), Cow::Borrowed("plain"));
        assert_eq!(FileName::from_user("a/b").unwrap().as_str(), "a/b");
    }
}
