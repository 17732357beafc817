//! JSON written the way Python's `json.dumps` writes it with its defaults (`", "` and `": "`
//! separators, everything outside printable ASCII escaped as `\uXXXX`), because the old
//! clients print the replies as they are. Only the few shapes the dialects reply with; pure
//! functions, no I/O.

/// `s` as a JSON string literal, escaped like `json.dumps(s)` (`ensure_ascii=True`).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// `["a", "b"]`.
pub fn string_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<String> = items.into_iter().map(string).collect();
    format!("[{}]", parts.join(", "))
}

/// `{"status": STATUS, "data": DATA}` where `data` is already JSON.
pub fn status_data(status: &str, data_json: &str) -> String {
    format!("{{\"status\": {}, \"data\": {data_json}}}", string(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_python() {
        // json.dumps('a"b\\c\n\x7f é 😀')
        assert_eq!(
            string("a\"b\\c\n\u{7f} é 😀"),
            r#""a\"b\\c\n\u007f \u00e9 \ud83d\ude00""#
        );
        assert_eq!(string("\u{1}"), r#""\u0001""#);
    }

    #[test]
    fn replies_use_python_separators() {
        assert_eq!(
            status_data("succes", &string_list(["corona.jpg", "pesan.txt"])),
            r#"{"status": "succes", "data": ["corona.jpg", "pesan.txt"]}"#
        );
        assert_eq!(string_list([]), "[]");
        assert_eq!(
            status_data("ERROR", &string("no")),
            r#"{"status": "ERROR", "data": "no"}"#
        );
    }
}
