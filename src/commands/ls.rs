//! `nf ls [PATH]`: one directory as a table, directories first and marked with a trailing `/`;
//! `-r` the whole tree below it, with full paths, printed as it arrives; or `--json`, an array
//! of the entries as the server sends them (`name` the full path), also printed as it arrives,
//! so a listing of any size never sits whole in memory. The table shows names through
//! [`name::shown`] (bidi and invisible characters escaped, names not in NFC marked); the JSON is
//! the exact data. PATH may be a file (it is listed alone) or a pattern for the names in its
//! directory.

use std::io::Write;

use crate::cli::LsArgs;
use crate::client::Client;
use crate::commands::{has_glob, Context};
use crate::error::{ErrorKind, Result};
use crate::name::FileName;
use crate::output::{self, Out};
use crate::protocol::{FileInfo, ListingJson};
use crate::{human, name};

/// The width of the size column of a table printed as it arrives (`-r`): `1023.9 KiB`.
const SIZE_WIDTH: usize = 10;

pub fn run(ctx: &Context, args: LsArgs) -> Result<()> {
    let mut client = ctx.connect()?;
    let (dir, pattern) = target(&mut client, args.path.as_deref())?;
    let mut out = output::stdout();
    if args.json {
        return json(
            &mut client,
            &mut out,
            dir.as_ref(),
            args.recursive,
            pattern.as_deref(),
        );
    }
    if args.recursive {
        client.list_each(dir.as_ref(), true, pattern.as_deref(), &mut |e| {
            let line = row(&e, &e.name, SIZE_WIDTH);
            out.write_all(line.as_bytes())
                .map_err(|e| output::stdout_error(&e))
        })?;
        return out.flush().map_err(|e| output::stdout_error(&e));
    }
    let mut entries = client.list(dir.as_ref(), pattern.as_deref())?;
    // Directories first, each group by name (as the server sorted it).
    entries.sort_by_key(|e| !e.is_dir());
    let listed_file = entries.len() == 1
        && !entries[0].is_dir()
        && dir.as_ref().is_some_and(|d| d.as_str() == entries[0].name);
    let width = entries.iter().map(|e| size_of(e).len()).max().unwrap_or(0);
    let mut text = String::new();
    for e in &entries {
        // A directory's entries by their own names; a file asked for by its path.
        let shown = if listed_file {
            e.name.as_str()
        } else {
            e.name.rsplit_once('/').map_or(e.name.as_str(), |(_, leaf)| leaf)
        };
        text.push_str(&row(e, shown, width));
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| output::stdout_error(&e))
}

/// What to list for the argument: a directory (or file) and a pattern for its entries. An
/// argument whose last component holds glob characters and that names nothing is a pattern
/// in its directory.
fn target(client: &mut Client, arg: Option<&str>) -> Result<(Option<FileName>, Option<String>)> {
    let Some(arg) = arg else {
        return Ok((None, None));
    };
    let Some(name) = FileName::from_user_dir(arg)? else {
        return Ok((None, None));
    };
    if has_glob(name.leaf()) {
        let held = client
            .stat(std::slice::from_ref(&name))?
            .pop()
            .expect("one result per name");
        if !matches!(held, Ok((Some(_), _))) {
            let pattern = name.leaf().to_string();
            return Ok((name.parent(), Some(pattern)));
        }
    }
    Ok((Some(name), None))
}

/// `--json`: `[`, one entry per line, `]`, each line written as the entry arrives.
fn json(
    client: &mut Client,
    out: &mut Out,
    dir: Option<&FileName>,
    recursive: bool,
    pattern: Option<&str>,
) -> Result<()> {
    let write = |out: &mut Out, text: &[u8]| out.write_all(text).map_err(|e| output::stdout_error(&e));
    // `[` goes with the first entry, so a listing refused at once prints nothing on stdout.
    let mut json = ListingJson::default();
    let listed = client.list_each(dir, recursive, pattern, &mut |e| write(out, &json.entry(&e)));
    if let Err(e) = listed {
        // What was printed is not a whole array: say nothing more on stdout.
        if e.kind != ErrorKind::PipeClosed {
            let _ = out.flush();
        }
        return Err(e);
    }
    write(out, json.end())?;
    out.flush().map_err(|e| output::stdout_error(&e))
}

fn size_of(e: &FileInfo) -> String {
    if e.is_dir() {
        "-".to_string()
    } else {
        human::size(e.size)
    }
}

/// One line of the table: size, time, name (a directory's with a trailing `/`).
fn row(e: &FileInfo, shown: &str, width: usize) -> String {
    let slash = if e.is_dir() { "/" } else { "" };
    format!(
        "{:>width$}  {}  {}{slash}\n",
        size_of(e),
        short(&e.modified),
        name::shown(shown)
    )
}

/// `2026-11-24T04:22:44.5Z` → `2026-11-24 04:22:44`.
pub(super) fn short(rfc3339: &str) -> String {
    let whole = rfc3339.get(..19).unwrap_or(rfc3339);
    whole.trim_end_matches('Z').replacen('T', " ", 1)
}
