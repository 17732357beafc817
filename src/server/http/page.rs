//! The HTML page of a folder, a small file manager that works on a desktop and a phone: a
//! breadcrumb, a table of entries (folders first, sorted by `?sort=` ([`Sort`]); name, size,
//! time in UTC; links that work without JavaScript), links to the JSON and the tar of the
//! folder, who is logged in (with a "log in" link for anonymous on a server with users), and
//! the controls the principal's rights allow in the folder ([`Controls`]). Long names are cut
//! in the middle by the style ([`halves`]: the head ellipsized, the end always in sight), the
//! whole name in the link's title; the style (page/page.css) fits a 360-px screen and follows
//! `prefers-color-scheme`.
//!
//! The script (page/page.js) sorts in place, filters, and picks entries for `?tar&name=…`, for
//! every reader; where the rights allow it uploads files and whole folders (chosen, or dropped,
//! with their structure: folders by MKCOL) with progress, each file over 8 MiB through tus in
//! 8 MiB PATCHes that are retried with backoff and resumed after a reload (the upload's URL in
//! localStorage), the rest as one PUT streamed from the `File`; it asks before replacing a
//! file, makes folders (MKCOL), renames or moves (MOVE) and deletes (DELETE) after asking.
//! Each upload asks for the server's signed receipt (`NF-Receipt: 1`) and the page then lists,
//! for this tab's uploads to the folder, `NAME: received: SIZE, BLAKE3 <16 hex>…, TIME —
//! download receipt` (the link saves the receipt exactly as the server sent it, for `nf
//! receipt verify`). Every name is escaped twice over: for the screen ([`crate::name::shown`])
//! and for HTML; links carry it percent-encoded. The script's dialogs show names by the same
//! rule, through its own `shown`, whose class of hidden characters is generated from
//! [`crate::name::hidden_ranges`]; the server's words go through its `printable`. The page's
//! own script and style are allowed by their hashes in a strict Content-Security-Policy.

use base64::Engine;

use super::folder::{Entry, Kind};
use super::target::href;
use crate::human;
use crate::name::shown;

/// The page's style (light, and dark where the system prefers it; fits a 360-px screen).
const STYLE: &str = include_str!("page/page.css");

/// The page's script; `HIDDEN_CLASS` is replaced by [`hidden_class`].
const SCRIPT_SOURCE: &str = include_str!("page/page.js");

/// The page's script, with the hidden characters' class made from [`crate::name::hidden_ranges`]
/// (the one list), so that every dialog shows a name as the listing does.
fn script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| SCRIPT_SOURCE.replacen("HIDDEN_CLASS", &hidden_class(), 1))
}

/// `[\u{0}-\u{1f}…]`: a regular expression class (with the `u` flag) of every hidden character.
fn hidden_class() -> String {
    let ranges: String = crate::name::hidden_ranges()
        .map(|(lo, hi)| match lo == hi {
            true => format!("\\u{{{lo:x}}}"),
            false => format!("\\u{{{lo:x}}}-\\u{{{hi:x}}}"),
        })
        .collect();
    format!("[{ranges}]")
}

/// What the page offers, from the principal's rights in the folder, and who they are.
#[derive(Clone, Debug, Default)]
pub struct Controls {
    /// An upload control, for files and folders, and dropping them on the page (`write`).
    pub upload: bool,
    /// Delete buttons (`delete`).
    pub delete: bool,
    /// A "new folder" button (`write`).
    pub mkdir: bool,
    /// Rename or move buttons (`write` and `delete`: the target is written, the source removed).
    pub rename: bool,
    /// The line saying who is logged in (`None`: a server without users says nothing).
    pub who: Option<Who>,
}

/// Who the page is for, on a server with users.
#[derive(Clone, Debug)]
pub enum Who {
    /// Not logged in: a "log in" link (`?login`, which makes the browser ask).
    Anonymous,
    /// Logged in with the token.
    Token,
    User(String),
}

/// The order of the rows (`?sort=name`, `size`, `time`; a leading `-` for descending): folders
/// always first, ties by name. The script sorts the same way in the page without a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub key: Key,
    pub descending: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Key {
    #[default]
    Name,
    Size,
    Time,
}

impl Key {
    const ALL: [(Key, &'static str, &'static str); 3] = [
        (Key::Name, "name", "Name"),
        (Key::Size, "size", "Size"),
        (Key::Time, "time", "Modified (UTC)"),
    ];
}

impl Sort {
    /// The `sort` value of a query; anything else is the default (by name).
    pub fn parse(value: &str) -> Sort {
        let (descending, key) = match value.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, value),
        };
        match Key::ALL.iter().find(|(_, name, _)| *name == key) {
            Some((key, _, _)) => Sort {
                key: *key,
                descending,
            },
            None => Sort::default(),
        }
    }

    /// Sorts `entries`: folders first, then by the key, ties by name.
    pub fn apply(self, entries: &mut [Entry]) {
        entries.sort_by(|a, b| {
            let by_key = match self.key {
                Key::Name => std::cmp::Ordering::Equal,
                Key::Size => a.size.cmp(&b.size),
                Key::Time => a.modified.cmp(&b.modified),
            };
            let within = by_key.then_with(|| a.name.cmp(&b.name));
            a.kind
                .cmp(&b.kind)
                .then(if self.descending { within.reverse() } else { within })
        });
    }
}

/// The page of the folder at `folder` (segments from the root) listing `entries` (in the
/// order given: see [`Sort::apply`]), sorted by `sort`.
pub fn render(folder: &[String], entries: &[Entry], controls: &Controls, sort: Sort) -> String {
    let title = format!("/{}", folder.iter().map(|s| format!("{s}/")).collect::<String>());
    let mut html = String::with_capacity(4096 + entries.len() * 512);
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Index of {}</title><style>{STYLE}</style></head>\n<body>\n",
        escape(&shown(&title))
    ));
    html.push_str(&breadcrumb(folder));
    html.push_str(&format!("<h1>Index of {}</h1>\n", escape(&shown(&title))));
    if let Some(who) = &controls.who {
        html.push_str(&who_line(who));
    }
    html.push_str(&control_bar(controls));
    html.push_str(
        "<div id=\"tools\"><input type=\"search\" id=\"filter\" placeholder=\"Filter\" \
         aria-label=\"Filter the names\" hidden><a id=\"picked\" hidden></a></div>\n",
    );
    html.push_str(&table_head(controls, sort));
    for e in entries {
        html.push_str(&row(e, controls));
    }
    html.push_str("</tbody></table>\n");
    let total: u64 = entries
        .iter()
        .filter(|e| e.kind == Kind::File)
        .map(|e| e.size)
        .sum();
    let files = entries.iter().filter(|e| e.kind == Kind::File).count();
    html.push_str(&format!(
        "<footer>{files} file{}, {}. <a href=\"?json\">JSON</a> · <a href=\"?tar\">Download all \
         as tar</a></footer>\n",
        if files == 1 { "" } else { "s" },
        human::size(total)
    ));
    html.push_str(&format!("<script>{}</script>\n", script()));
    html.push_str("</body></html>\n");
    html
}

/// The controls that change the folder, as the rights allow (shown by the script: they need
/// it), the status line and the uploads' progress and receipts.
fn control_bar(c: &Controls) -> String {
    let mut html = String::new();
    if c.upload || c.mkdir {
        html.push_str("<div id=\"controls\" hidden>");
        if c.upload {
            html.push_str(
                "<label>Upload files: <input type=\"file\" id=\"files\" multiple></label>\
                 <label>Upload a folder: <input type=\"file\" id=\"folder\" webkitdirectory>\
                 </label><span>or drop files and folders here</span>",
            );
        }
        if c.mkdir {
            html.push_str("<button type=\"button\" id=\"mkdir\">New folder</button>");
        }
        html.push_str("</div>\n");
    }
    if c.upload || c.delete || c.mkdir || c.rename {
        html.push_str("<p id=\"status\" role=\"status\"></p>\n");
    }
    if c.upload {
        html.push_str("<ul id=\"uploads\" hidden></ul>\n<ul id=\"receipts\" hidden></ul>\n");
    }
    html
}

/// The table's head: each column's title a link that sorts by it (ascending, or descending
/// when it already sorts ascending), the sorting one marked.
fn table_head(c: &Controls, sort: Sort) -> String {
    let mut html = String::from("<table><thead><tr>");
    for (key, name, label) in Key::ALL {
        let class = match key {
            Key::Name => "name",
            Key::Size => "size",
            Key::Time => "time",
        };
        let current = key == sort.key;
        let (mark, state, next) = match (current, sort.descending) {
            (true, false) => (" ▲", "asc", format!("-{name}")),
            (true, true) => (" ▼", "desc", name.to_string()),
            (false, _) => ("", "", name.to_string()),
        };
        html.push_str(&format!(
            "<th class=\"{class}\"><a class=\"sort\" href=\"?sort={next}\" data-key=\"{name}\" \
             data-label=\"{label}\" data-current=\"{state}\">{label}{mark}</a></th>"
        ));
    }
    if c.delete || c.rename {
        html.push_str("<th class=\"act\"></th>");
    }
    html.push_str("<th class=\"sel\"></th></tr></thead>\n<tbody>\n");
    html
}

/// The Content-Security-Policy of the page: nothing but its own style and script (by hash),
/// and requests to this server.
pub fn policy() -> String {
    format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; \
         img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hash(STYLE),
        hash(script())
    )
}

fn hash(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

fn breadcrumb(folder: &[String]) -> String {
    let mut nav = String::from("<nav><a href=\"/\">nf</a> /");
    let mut path = String::from("/");
    for segment in folder {
        path.push_str(&href(segment));
        path.push('/');
        nav.push_str(&format!(
            " <a href=\"{}\">{}</a> /",
            escape(&path),
            escape(&shown(segment))
        ));
    }
    nav.push_str("</nav>\n");
    nav
}

/// Who is logged in, or a link to log in.
fn who_line(who: &Who) -> String {
    let text = match who {
        Who::Anonymous => "Not logged in · <a href=\"?login\">Log in</a>".to_string(),
        Who::Token => "Logged in with the server's token".to_string(),
        Who::User(name) => format!("Logged in as {}", escape(&shown(name))),
    };
    format!("<p class=\"who\">{text}</p>\n")
}

/// One entry's row: its name (a link, ellipsized in the middle when the column is narrow, the
/// whole name in its title), size, time, the buttons the rights allow, and a checkbox to pick
/// it for a tar of several.
fn row(e: &Entry, c: &Controls) -> String {
    let (link, size, kind) = match e.kind {
        Kind::Folder => (format!("{}/", href(&e.name)), "—".to_string(), "folder"),
        Kind::File => (href(&e.name), human::size(e.size), "file"),
    };
    let label = match e.kind {
        Kind::Folder => format!("{}/", shown(&e.name)),
        Kind::File => shown(&e.name).into_owned(),
    };
    let (head, tail) = halves(&label);
    // To the second, as `nf ls` shows it (the JSON keeps the nanoseconds).
    let seconds = e.modified.split(['.', 'Z']).next().unwrap_or(&e.modified);
    let time = seconds.replacen('T', " ", 1);
    let name = escape(&e.name);
    let mut row = format!(
        "<tr><td><a href=\"{}\" class=\"n\" title=\"{}\" data-name=\"{name}\" data-kind=\"{kind}\" \
         data-size=\"{}\" data-time=\"{}\"><span class=\"h\">{}</span><span class=\"t\">{}</span></a>\
         </td><td class=\"size\" title=\"{} bytes\">{}</td>\
         <td class=\"time\"><time datetime=\"{}\">{}</time></td>",
        escape(&link),
        escape(&label),
        e.size,
        escape(&e.modified),
        escape(head),
        escape(tail),
        e.size,
        escape(&size),
        escape(&e.modified),
        escape(&time)
    );
    if c.delete || c.rename {
        row.push_str("<td class=\"act\">");
        if c.rename {
            row.push_str(&format!(
                "<button class=\"rename\" data-name=\"{name}\" data-kind=\"{kind}\" title=\"Rename or move\" \
                 aria-label=\"Rename or move\" hidden>✎</button>"
            ));
        }
        if c.delete && e.kind == Kind::File {
            row.push_str(&format!(
                "<button class=\"delete\" data-name=\"{name}\" title=\"Delete\" aria-label=\"Delete\" \
                 hidden>✕</button>"
            ));
        }
        row.push_str("</td>");
    }
    row.push_str(&format!(
        "<td class=\"sel\"><input type=\"checkbox\" class=\"sel\" value=\"{name}\" \
         aria-label=\"Pick for the tar\"></td></tr>\n"
    ));
    row
}

/// How many characters a name keeps at its end when the column is too narrow for the whole
/// (the extension and a little before it stay in sight).
const TAIL: usize = 10;

/// A label cut in two: the head, which the style ellipsizes, and the last [`TAIL`] characters,
/// which always show (`very long na…ort 2026.pdf`). The cut never separates a character from a
/// mark or joiner that belongs with it.
fn halves(label: &str) -> (&str, &str) {
    let chars: Vec<(usize, char)> = label.char_indices().collect();
    if chars.len() <= TAIL {
        return (label, "");
    }
    let mut cut = chars.len() - TAIL;
    while cut > 0 && joins_previous(chars[cut].1) {
        cut -= 1;
    }
    match cut {
        0 => (label, ""),
        _ => label.split_at(chars[cut].0),
    }
}

/// True for a character drawn with the one before it: combining marks, variation selectors,
/// joiners and emoji modifiers.
fn joins_previous(c: char) -> bool {
    matches!(c as u32,
        0x300..=0x36f | 0x1ab0..=0x1aff | 0x1dc0..=0x1dff | 0x20d0..=0x20ff | 0xfe20..=0xfe2f
        | 0xfe00..=0xfe0f | 0x200c | 0x200d | 0x1f3fb..=0x1f3ff | 0xe0100..=0xe01ef)
}

/// Text for HTML content and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Controls {
        Controls {
            upload: true,
            delete: true,
            mkdir: true,
            rename: true,
            who: None,
        }
    }

    fn rendered(entries: &[Entry], controls: &Controls) -> String {
        render(&[], entries, controls, Sort::default())
    }

    #[test]
    fn each_control_follows_its_right_and_the_page_says_who_is_logged_in() {
        let upload_only = Controls {
            upload: true,
            mkdir: true,
            who: Some(Who::User("al<i>ce".into())),
            ..Controls::default()
        };
        let page = rendered(&[file("a.txt")], &upload_only);
        assert!(page.contains("type=\"file\"") && !page.contains("class=\"delete\""));
        assert!(page.contains("id=\"mkdir\"") && !page.contains("class=\"rename\""));
        assert!(page.contains("Logged in as al&lt;i&gt;ce"), "{page}");
        let delete_only = Controls {
            delete: true,
            who: Some(Who::Anonymous),
            ..Controls::default()
        };
        let page = rendered(&[file("a.txt")], &delete_only);
        assert!(!page.contains("type=\"file\"") && page.contains("class=\"delete\""));
        assert!(!page.contains("id=\"mkdir\"") && !page.contains("class=\"rename\""));
        assert!(page.contains("<a href=\"?login\">Log in</a>"), "{page}");
        assert!(page.contains(&format!("<script>{}</script>", script())));
    }

    fn file(name: &str) -> Entry {
        Entry {
            name: name.into(),
            kind: Kind::File,
            size: 1536,
            modified: "2026-11-24T04:22:44.250000000Z".into(),
        }
    }

    #[test]
    fn names_are_escaped_for_html_and_links_are_percent_encoded() {
        let page = rendered(&[file("<script>alert(1)</script>\".txt")], &all());
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;.txt"),
            "{page}"
        );
        assert!(
            page.contains("href=\"%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22.txt\""),
            "{page}"
        );
        let page = rendered(&[file("invoice_\u{202e}txt.exe")], &Controls::default());
        assert!(
            page.contains("invoice_\\u{202e}txt.exe"),
            "bidi controls never reach the page raw"
        );
        assert!(page.contains("1.5 KiB") && page.contains(">2026-11-24 04:22:44</time>"));
    }

    #[test]
    fn write_controls_appear_only_on_a_writable_server() {
        let read_only = rendered(&[file("a.txt")], &Controls::default());
        assert!(!read_only.contains("type=\"file\"") && !read_only.contains("<button"));
        assert!(!read_only.contains("id=\"receipts\"") && !read_only.contains("id=\"status\""));
        // Sorting, the filter and picking for a tar are for readers too.
        assert!(read_only.contains("class=\"sel\"") && read_only.contains("id=\"filter\""));
        assert!(read_only.contains(&format!("<script>{}</script>", script())));
        let writable = rendered(&[file("a.txt")], &all());
        assert!(writable.contains("type=\"file\"") && writable.contains("class=\"delete\""));
        assert!(writable.contains("webkitdirectory") && writable.contains("class=\"rename\""));
        assert!(
            writable.contains("<ul id=\"receipts\" hidden></ul>") && script().contains("'NF-Receipt': '1'")
        );
        assert!(writable.contains(&format!("<script>{}</script>", script())));
        let policy = policy();
        assert!(policy.contains(&hash(script())) && policy.contains(&hash(STYLE)));
    }

    #[test]
    fn a_long_name_keeps_its_end_in_sight_and_marks_stay_with_their_letter() {
        assert_eq!(halves("short.txt"), ("short.txt", ""));
        assert_eq!(
            halves("a very long name of a report 2026.pdf"),
            ("a very long name of a repor", "t 2026.pdf")
        );
        // `e` and its combining acute accent are never drawn apart.
        let (head, tail) = halves("xxxxxxxxxxe\u{301}abcdefghi");
        assert_eq!((head, tail), ("xxxxxxxxxx", "e\u{301}abcdefghi"));
        let long = "n".repeat(200);
        let row = row(&file(&long), &all());
        assert!(
            row.contains(&format!("title=\"{long}\"")),
            "the whole name on hover: {row}"
        );
        assert!(row.contains(&format!(
            "<span class=\"h\">{}</span><span class=\"t\">{}</span>",
            &long[10..],
            &long[..10]
        )));
    }

    #[test]
    fn rows_sort_by_name_size_or_time_with_folders_first_and_the_head_links_each_order() {
        let at = |name: &str, kind, size, minute: u8| Entry {
            name: name.into(),
            kind,
            size,
            modified: format!("2026-11-24T04:{minute:02}:00.000000000Z"),
        };
        let entries = [
            at("b", Kind::File, 30, 1),
            at("z", Kind::Folder, 0, 5),
            at("a", Kind::File, 20, 3),
            at("c", Kind::File, 20, 2),
            at("y", Kind::Folder, 0, 9),
        ];
        let names = |sort: &str| {
            let mut e = entries.to_vec();
            Sort::parse(sort).apply(&mut e);
            e.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join("")
        };
        assert_eq!(names(""), "yzabc");
        assert_eq!(names("name"), "yzabc");
        assert_eq!(names("-name"), "zycba");
        assert_eq!(names("size"), "yzacb");
        assert_eq!(names("-size"), "zybca");
        assert_eq!(names("time"), "zybca");
        assert_eq!(names("-time"), "yzacb");
        assert_eq!(Sort::parse("bogus"), Sort::default());
        let page = render(&[], &entries, &all(), Sort::parse("size"));
        assert!(
            page.contains(
                "href=\"?sort=-size\" data-key=\"size\" data-label=\"Size\" data-current=\"asc\">Size ▲</a>"
            ),
            "{page}"
        );
        assert!(page.contains("href=\"?sort=name\" data-key=\"name\""), "{page}");
        assert!(page.contains("href=\"?sort=time\" data-key=\"time\""), "{page}");
    }
}
