//! `nf stat`: what the server holds under exact names (no globs): size, modification time and
//! BLAKE3 as a table (names as [`shown`] escapes them), or `--json` (the objects `nf ls --json`
//! prints). Names are put in NFC; one that names no file stands for another spelling of it
//! that does ([`other_spelling`]). A name with no file is an error line (exit code 3); the
//! others are still shown.

use crate::cli::StatArgs;
use crate::commands::{other_spelling, Context};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, shown, FileName};
use crate::{human, output};

pub fn run(ctx: &Context, args: StatArgs) -> Result<()> {
    let report = ctx.report(args.names.len(), 0);
    let named = super::parse_names(&args.names, &report);
    let mut client = ctx.connect()?;
    let names: Vec<FileName> = named.iter().map(|(_, n)| n.clone()).collect();
    let held = client.stat(&names)?;
    let mut found = Vec::new();
    for ((i, name), stat) in named.iter().zip(held) {
        let stat = match stat {
            Ok((None, _)) => match other_spelling(&mut client, name)? {
                Some(other) => client.stat(&[other])?.pop().expect("one result per name"),
                None => stat,
            },
            stat => stat,
        };
        match stat {
            Ok((Some(file), partial)) => found.push((file, partial)),
            Ok((None, partial)) => {
                let also = if partial > 0 {
                    format!(
                        " (it holds {} of an interrupted upload; `nf put --resume` continues it)",
                        human::size(partial)
                    )
                } else {
                    String::new()
                };
                let err = Error::new(
                    ErrorKind::NotFound,
                    format!("no file named {} on the server{also}", quote(name.as_str())),
                );
                report.fail(*i, &err);
            }
            Err(e) => report.fail(*i, &e),
        }
    }
    let text = if args.json {
        let files: Vec<_> = found.iter().map(|(f, _)| f).collect();
        let mut text = serde_json::to_string_pretty(&files).expect("file infos serialize");
        text.push('\n');
        text
    } else {
        let width = found
            .iter()
            .map(|(f, _)| human::size(f.size).len())
            .max()
            .unwrap_or(0);
        found
            .iter()
            .map(|(f, partial)| {
                let also = if *partial > 0 {
                    format!("  (+{} of an interrupted upload)", human::size(*partial))
                } else {
                    String::new()
                };
                format!(
                    "{:>width$}  {}  {}  {}{also}\n",
                    human::size(f.size),
                    super::ls::short(&f.modified),
                    f.blake3,
                    shown(&f.name)
                )
            })
            .collect()
    };
    output::print(&text)?;
    report.outcome()
}
