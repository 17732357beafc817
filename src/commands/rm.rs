//! `nf rm`: delete files (with `-r`, also directories and all they hold) on the server. Every
//! name is tried; each failure gets its own line and the summary (files and directories
//! removed) comes last.

use crate::cli::RmArgs;
use crate::commands::{expand_names, Context};
use crate::error::Result;
use crate::protocol::EntryType;

pub fn run(ctx: &Context, args: RmArgs) -> Result<()> {
    let report = ctx.report(args.names.len(), 0);
    let mut client = ctx.connect()?;
    let named = expand_names(&mut client, &args.names, &report)?;
    let names: Vec<_> = named.iter().map(|(_, n)| n.clone()).collect();
    // Without -r only files can go; with it, asked first to tell files from directories.
    let dirs: Vec<bool> = if args.recursive {
        client
            .stat(&names)?
            .into_iter()
            .map(|s| matches!(s, Ok((Some(f), _)) if f.kind == EntryType::Dir))
            .collect()
    } else {
        vec![false; names.len()]
    };
    let results = client.remove(&names, args.recursive)?;
    let (mut files, mut dirs_removed) = (0, 0);
    for (((i, _), result), dir) in named.iter().zip(results).zip(dirs) {
        match result {
            Ok(()) if dir => dirs_removed += 1,
            Ok(()) => files += 1,
            Err(e) => report.fail(*i, &e),
        }
    }
    report.finish_removed(files, dirs_removed)
}
