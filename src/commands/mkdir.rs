//! `nf mkdir`: create directories on the server, with the missing ones above them (one that
//! exists is fine, as with `mkdir -p`, and the summary counts it apart). Every name is tried;
//! each failure gets its own line and the summary comes last.

use crate::cli::MkdirArgs;
use crate::commands::Context;
use crate::error::Result;
use crate::name::FileName;
use crate::protocol::EntryType;

pub fn run(ctx: &Context, args: MkdirArgs) -> Result<()> {
    let report = ctx.report(args.names.len(), 0);
    let named = super::parse_names(&args.names, &report);
    let (mut made, mut existed) = (0, 0);
    if !named.is_empty() {
        let mut client = ctx.connect()?;
        let names: Vec<FileName> = named.iter().map(|(_, n)| n.clone()).collect();
        // Asked first only to tell the summary which were there already.
        let before = client.stat(&names)?;
        for (((i, _), result), before) in named.iter().zip(client.mkdir(&names)?).zip(before) {
            let was_dir = matches!(before, Ok((Some(f), _)) if f.kind == EntryType::Dir);
            match result {
                Ok(()) if was_dir => existed += 1,
                Ok(()) => made += 1,
                Err(e) => report.fail(*i, &e),
            }
        }
    }
    report.finish_made(made, existed)
}
