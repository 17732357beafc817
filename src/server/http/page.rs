//! The HTML page of a folder: a breadcrumb, a table of entries (folders first; name, size,
//! time in UTC; links that work without JavaScript), links to the JSON and the tar of the
//! folder, who is logged in (with a "log in" link for anonymous on a server with users), and
//! the controls the principal's rights allow in the folder ([`Controls`]): an upload control
//! (`write`) and delete buttons (`delete`). Those
//! need JavaScript and stay hidden without it: the script streams each chosen file as the body
//! of a PUT (`fetch` with the `File` itself, never read into memory), asks before replacing a
//! file, and deletes with DELETE. Each upload asks for the server's signed receipt
//! (`NF-Receipt: 1`) and the page then lists, for this tab's uploads to the folder, `NAME:
//! received: SIZE, BLAKE3 <16 hex>…, TIME — download receipt` (the link saves the receipt
//! exactly as the server sent it, for `nf receipt verify`). Every name is escaped twice over: for the screen
//! ([`crate::name::shown`]) and for HTML; links carry it percent-encoded. The script's dialogs
//! (its confirmations and status line) show names by the same rule, through its own `shown`,
//! whose class of hidden characters is generated from [`crate::name::hidden_ranges`]; the
//! server's words go through its `printable`. The page's own
//! script and style are allowed by their hashes in a strict Content-Security-Policy.

use base64::Engine;

use super::folder::{Entry, Kind};
use super::target::href;
use crate::human;
use crate::name::shown;

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
nav{margin-bottom:.5rem}h1{font-size:1.3rem;margin:.2rem 0 1rem}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}
td.size,th.size{text-align:right;white-space:nowrap}td.time{white-space:nowrap;color:#555}
a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}
#controls{margin:1rem 0;padding:.6rem;background:#f4f4f4}#status{margin-left:1rem}
footer{margin-top:1rem;color:#555}.blake3{font-family:ui-monospace,monospace}
";

/// The page's script; `HIDDEN_CLASS` is replaced by [`hidden_class`].
const SCRIPT_SOURCE: &str = "
(() => {
  const hidden = /HIDDEN_CLASS/u;
  const esc = (c) => {
    const u = c.codePointAt(0);
    return {9: '\\\\t', 10: '\\\\n', 13: '\\\\r'}[u] || '\\\\u{' + u.toString(16) + '}';
  };
  // A name as the listing shows it (name::shown): hidden characters escaped, and in a name
  // not in NFC those normalization would change (a combining mark, one that composes).
  const shown = (name) => {
    const cs = Array.from(name);
    const nfc = name === name.normalize('NFC');
    let marks = cs.map((c, i) => !nfc && c.codePointAt(0) > 127 && (/\\p{Mn}/u.test(c)
      || (i > 0 && (cs[i - 1] + c).normalize('NFC') !== cs[i - 1] + c)
      || c.normalize('NFC') !== c));
    if (!nfc && !marks.includes(true)) marks = cs.map((c) => c.codePointAt(0) > 127);
    return cs.map((c, i) => (hidden.test(c) || marks[i] ? esc(c) : c)).join('');
  };
  // The server's words (an error), with hidden characters escaped (name::printable).
  const printable = (text) => Array.from(text).map((c) => (hidden.test(c) ? esc(c) : c)).join('');
  const status = document.getElementById('status');
  const input = document.getElementById('files');
  const say = (text) => { status.textContent = text; };
  document.querySelectorAll('button.delete').forEach((b) => { b.hidden = false; });
  const put = (file, replace) => fetch(encodeURIComponent(file.name), {
    method: 'PUT', body: file,
    headers: replace ? {'NF-Receipt': '1'} : {'NF-Receipt': '1', 'If-None-Match': '*'}
  });
  // Sizes as the listing shows them (human::size), times to the second in UTC.
  const human = (n) => {
    if (n < 1024) return n + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
    let v = n / 1024, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
    return (v < 10 ? v.toFixed(1) : v.toFixed(0)) + ' ' + units[u];
  };
  const when = (t) => String(t).split(/[.Z]/)[0].replace('T', ' ') + ' UTC';
  // The receipts of this tab's uploads to this folder (they outlive the reload that lists
  // the files), each the server's answer exactly as sent, so that it still verifies.
  const receipts = document.getElementById('receipts');
  const key = 'nf-receipts ' + location.pathname;
  const kept = () => { try { return JSON.parse(sessionStorage.getItem(key)) || []; } catch (e) { return []; } };
  const keep = (name, text) => {
    try { sessionStorage.setItem(key, JSON.stringify(kept().concat([{name, text}]))); } catch (e) { /* not kept */ }
  };
  const showReceipt = ({name, text}) => {
    let r;
    try { r = JSON.parse(text); } catch (e) { return; }
    if (!receipts || !r || r.receipt !== 1 || typeof r.blake3 !== 'string') return;
    const hash = document.createElement('span');
    hash.className = 'blake3';
    hash.title = r.blake3;
    hash.textContent = r.blake3.slice(0, 16) + '…';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], {type: 'application/json'}));
    link.download = shown(name) + '.receipt.json';
    link.textContent = 'download receipt';
    const item = document.createElement('li');
    item.append(shown(name) + ': received: ' + human(r.size) + ', BLAKE3 ', hash,
      ', ' + when(r.committed) + ' — ', link);
    receipts.append(item);
    receipts.hidden = false;
  };
  kept().forEach(showReceipt);
  if (input) document.getElementById('controls').hidden = false;
  if (input) input.addEventListener('change', async () => {
    for (const file of input.files) {
      const name = shown(file.name);
      say('Uploading ' + name + '…');
      let r = await put(file, false);
      if (r.status === 412 && confirm(name + ' is already here. Replace it?')) {
        r = await put(file, true);
      }
      if (!r.ok && r.status !== 412) { say(name + ': ' + printable(await r.text())); return; }
      if (r.ok) keep(file.name, await r.text());
    }
    say('Uploaded.');
    location.reload();
  });
  document.querySelectorAll('button.delete').forEach((b) => b.addEventListener('click', async () => {
    const name = shown(b.dataset.name);
    if (!confirm('Delete ' + name + '?')) return;
    const r = await fetch(encodeURIComponent(b.dataset.name), {method: 'DELETE'});
    if (r.ok) { b.closest('tr').remove(); say('Deleted ' + name + '.'); }
    else say(name + ': ' + printable(await r.text()));
  }));
})();
";

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
    /// An upload control (`write`).
    pub upload: bool,
    /// Delete buttons (`delete`).
    pub delete: bool,
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

/// The page of the folder at `folder` (segments from the root) listing `entries`.
pub fn render(folder: &[String], entries: &[Entry], controls: &Controls) -> String {
    let (upload, delete) = (controls.upload, controls.delete);
    let title = format!("/{}", folder.iter().map(|s| format!("{s}/")).collect::<String>());
    let mut html = String::with_capacity(2048 + entries.len() * 256);
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
    if upload {
        html.push_str(
            "<form id=\"controls\" hidden><label>Upload files: <input type=\"file\" id=\"files\" \
             multiple></label></form>\n",
        );
    }
    if upload || delete {
        html.push_str("<p id=\"status\" role=\"status\"></p>\n");
    }
    if upload {
        html.push_str("<ul id=\"receipts\" hidden></ul>\n");
    }
    html.push_str("<table><thead><tr><th>Name</th><th class=\"size\">Size</th><th>Modified (UTC)</th>");
    if delete {
        html.push_str("<th></th>");
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for e in entries {
        html.push_str(&row(e, delete));
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
    if upload || delete {
        html.push_str(&format!("<script>{}</script>\n", script()));
    }
    html.push_str("</body></html>\n");
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

fn row(e: &Entry, delete: bool) -> String {
    let (link, size) = match e.kind {
        Kind::Folder => (format!("{}/", href(&e.name)), "—".to_string()),
        Kind::File => (href(&e.name), human::size(e.size)),
    };
    let label = match e.kind {
        Kind::Folder => format!("{}/", shown(&e.name)),
        Kind::File => shown(&e.name).into_owned(),
    };
    // To the second, as `nf ls` shows it (the JSON keeps the nanoseconds).
    let seconds = e.modified.split(['.', 'Z']).next().unwrap_or(&e.modified);
    let time = seconds.replacen('T', " ", 1);
    let mut row = format!(
        "<tr><td><a href=\"{}\">{}</a></td><td class=\"size\" title=\"{} bytes\">{}</td>\
         <td class=\"time\"><time datetime=\"{}\">{}</time></td>",
        escape(&link),
        escape(&label),
        e.size,
        escape(&size),
        escape(&e.modified),
        escape(&time)
    );
    if delete {
        match e.kind {
            Kind::File => row.push_str(&format!(
                "<td><button class=\"delete\" data-name=\"{}\" hidden>Delete</button></td>",
                escape(&e.name)
            )),
            Kind::Folder => row.push_str("<td></td>"),
        }
    }
    row.push_str("</tr>\n");
    row
}

/// Text for HTML content and attribute values.
fn escape(text: &str) -> String {
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
            who: None,
        }
    }

    #[test]
    fn each_control_follows_its_right_and_the_page_says_who_is_logged_in() {
        let upload_only = Controls {
            upload: true,
            delete: false,
            who: Some(Who::User("al<i>ce".into())),
        };
        let page = render(&[], &[file("a.txt")], &upload_only);
        assert!(page.contains("type=\"file\"") && !page.contains("class=\"delete\""));
        assert!(page.contains("Logged in as al&lt;i&gt;ce"), "{page}");
        let delete_only = Controls {
            upload: false,
            delete: true,
            who: Some(Who::Anonymous),
        };
        let page = render(&[], &[file("a.txt")], &delete_only);
        assert!(!page.contains("type=\"file\"") && page.contains("class=\"delete\""));
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
        let page = render(&[], &[file("<script>alert(1)</script>\".txt")], &all());
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;.txt"),
            "{page}"
        );
        assert!(
            page.contains("href=\"%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22.txt\""),
            "{page}"
        );
        let page = render(&[], &[file("invoice_\u{202e}txt.exe")], &Controls::default());
        assert!(
            page.contains("invoice_\\u{202e}txt.exe"),
            "bidi controls never reach the page raw"
        );
        assert!(page.contains("1.5 KiB") && page.contains(">2026-11-24 04:22:44</time>"));
    }

    #[test]
    fn write_controls_appear_only_on_a_writable_server() {
        let read_only = render(&[], &[file("a.txt")], &Controls::default());
        assert!(!read_only.contains("<script>") && !read_only.contains("type=\"file\""));
        assert!(!read_only.contains("button") && !read_only.contains("id=\"receipts\""));
        let writable = render(&[], &[file("a.txt")], &all());
        assert!(writable.contains("type=\"file\"") && writable.contains("class=\"delete\""));
        assert!(
            writable.contains("<ul id=\"receipts\" hidden></ul>") && script().contains("'NF-Receipt': '1'")
        );
        assert!(writable.contains(&format!("<script>{}</script>", script())));
        let policy = policy();
        assert!(policy.contains(&hash(script())) && policy.contains(&hash(STYLE)));
    }
}
