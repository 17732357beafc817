//! `nf ls`: a table sorted by name, or `--json`. The table shows names through
//! [`name::shown`] (bidi and invisible characters escaped, names not in NFC marked); the JSON
//! is the exact data.

use crate::cli::LsArgs;
use crate::commands::Context;
use crate::error::Result;
use crate::{human, name, output};

pub fn run(ctx: &Context, args: LsArgs) -> Result<()> {
    let mut client = ctx.connect()?;
    let files = client.list(args.pattern.as_deref())?;
    if args.json {
        return output::print(&crate::protocol::listing_json(&files));
    }
    let rows: Vec<(String, String, _)> = files
        .iter()
        .map(|f| (human::size(f.size), short(&f.modified), name::shown(&f.name)))
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut text = String::new();
    for (size, modified, name) in rows {
        text.push_str(&format!("{size:>width$}  {modified}  {name}\n"));
    }
    output::print(&text)
}

/// `2026-11-24T04:22:44Z` → `2026-11-24 04:22:44`.
pub(super) fn short(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
}
