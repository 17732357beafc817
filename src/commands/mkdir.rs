//! `nf mkdir`: create directories on the server, with the missing ones above them. Every name
//! is tried; each failure gets its own line and the summary comes last.

use crate::cli::MkdirArgs;
use crate::commands::Context;
use crate::error::Result;
use crate::name::FileName;

pub fn run(ctx: &Context, args: MkdirArgs) -> Result<()> {
    let report = ctx.report(args.names.len(), 0);
    let named = super::parse_names(&args.names, &report);
    let mut made = 0;
    if !named.is_empty() {
        let mut client = ctx.connect()?;
        let names: Vec<FileName> = named.iter().map(|(_, n)| n.clone()).collect();
        for ((i, _), result) in named.iter().zip(client.mkdir(&names)?) {
            match result {
                Ok(()) => made += 1,
                Err(e) => report.fail(*i, &e),
            }
        }
    }
    report.finish_count_of("created", made, "directory", "directories")
}
