//! `nf rm`: delete files (with `-r`, also directories and all they hold) on the server. Every
//! name is tried; each failure gets its own line and the summary comes last.

use crate::cli::RmArgs;
use crate::commands::{expand_names, Context};
use crate::error::Result;

pub fn run(ctx: &Context, args: RmArgs) -> Result<()> {
    let report = ctx.report(args.names.len(), 0);
    let mut client = ctx.connect()?;
    let named = expand_names(&mut client, &args.names, &report)?;
    let names: Vec<_> = named.iter().map(|(_, n)| n.clone()).collect();
    let results = client.remove(&names, args.recursive)?;
    let mut removed = 0;
    for ((i, _), result) in named.iter().zip(results) {
        match result {
            Ok(()) => removed += 1,
            Err(e) => report.fail(*i, &e),
        }
    }
    if args.recursive {
        report.finish_count_of("removed", removed, "name", "names")
    } else {
        report.finish_count("removed", removed)
    }
}
