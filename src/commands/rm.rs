//! `nf rm`: delete files on the server.

use crate::cli::RmArgs;
use crate::commands::{report_failures, Context};
use crate::error::Result;
use crate::name::FileName;

pub fn run(ctx: &Context, args: RmArgs) -> Result<()> {
    let names = args
        .names
        .iter()
        .map(|n| FileName::parse(n))
        .collect::<Result<Vec<_>>>()?;
    let mut client = ctx.connect()?;
    let results = client.remove(&names)?;
    let removed = results.iter().filter(|r| r.is_ok()).count();
    if !ctx.quiet {
        let noun = if removed == 1 { "file" } else { "files" };
        eprintln!("removed {removed} {noun}");
    }
    report_failures(&results)
}
