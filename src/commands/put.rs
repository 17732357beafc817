//! `nf put`: upload files, with progress bars on a terminal and a summary line otherwise.

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;

use crate::cli::PutArgs;
use crate::client::PutJob;
use crate::commands::{finish, interrupt_message, Context};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::{output, progress};

pub fn run(ctx: &Context, args: PutArgs) -> Result<()> {
    if args.as_name.is_some() && args.files.len() > 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            "--as names one file; give exactly one FILE with it",
        ));
    }
    let mut jobs = Vec::with_capacity(args.files.len());
    let mut seen = HashSet::new();
    for path in &args.files {
        let name = match &args.as_name {
            Some(n) => FileName::parse(n)?,
            None => {
                let base = path.file_name().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Usage,
                        format!("{} does not name a file", path.display()),
                    )
                })?;
                FileName::parse_bytes(base.as_bytes())
                    .map_err(|e| e.context(format!("cannot upload {}", path.display())))?
            }
        };
        if !seen.insert(name.clone()) {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "two of the files would both be stored as {}; upload one of them with --as",
                    quote(name.as_str())
                ),
            ));
        }
        jobs.push(PutJob {
            path: path.clone(),
            name,
        });
    }
    // The total for the progress bars; without bars, no stat per file for it.
    let show = output::bars_allowed(ctx.quiet);
    let estimate: u64 = if show {
        jobs.iter()
            .filter_map(|j| std::fs::metadata(&j.path).ok())
            .map(|m| m.len())
            .sum()
    } else {
        0
    };
    interrupt_message("uploads cut off are kept on the server (files of 1 MiB or more); run the same command with --resume to continue");
    let mut client = ctx.connect()?;
    let bars = progress::Bars::new(show, jobs.len(), estimate);
    let results = client.put(&jobs, args.force, args.resume, &bars);
    finish(ctx, "uploaded", &results, &bars)
}
