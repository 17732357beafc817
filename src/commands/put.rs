//! `nf put`: upload files (and standard input as `-`), with progress bars on a terminal, each
//! failure on its own line as it happens, and a summary line last.

use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::cli::PutArgs;
use crate::client::{PutJob, STDIN};
use crate::commands::{interrupted, on_interrupt, Context, Items};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

pub fn run(ctx: &Context, args: PutArgs) -> Result<()> {
    if args.as_name.is_some() && args.files.len() > 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            "--as names one file; give exactly one FILE with it",
        ));
    }
    // The total for the progress bars (regular files only; a stream's length is unknown).
    let estimate: u64 = args
        .files
        .iter()
        .filter(|p| p.as_path() != Path::new(STDIN))
        .filter_map(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let report = ctx.report(args.files.len(), estimate);
    let mut jobs = Vec::with_capacity(args.files.len());
    let mut items = Vec::with_capacity(args.files.len());
    let mut seen = HashSet::new();
    for (i, path) in args.files.iter().enumerate() {
        let job = job_for(path, args.as_name.as_deref()).and_then(|job| {
            if seen.insert(job.name.clone()) {
                Ok(job)
            } else {
                Err(Error::new(
                    ErrorKind::Usage,
                    format!(
                        "{} would be stored as {} too; upload it on its own with --as",
                        path.display(),
                        quote(job.name.as_str())
                    ),
                ))
            }
        });
        match job {
            Ok(job) => {
                jobs.push(job);
                items.push(i);
            }
            Err(e) => report.fail(i, &e),
        }
    }
    if !jobs.is_empty() {
        on_interrupt();
        let mut client = ctx.connect()?;
        client.put(
            &jobs,
            args.force,
            args.resume,
            &Items {
                report: &report,
                items,
            },
        );
        report.cut_short(interrupted(
            "uploads cut off are kept on the server (files of 1 MiB or more); run the same \
             command with --resume to continue",
        ))?;
    }
    report.finish("uploaded")
}

/// The upload of `path`: under `as_name`, else under its base name, in NFC either way.
fn job_for(path: &Path, as_name: Option<&str>) -> Result<PutJob> {
    let stdin = path == Path::new(STDIN);
    let name = match as_name {
        Some(n) => FileName::from_user(n)?,
        None if stdin => {
            return Err(Error::new(
                ErrorKind::Usage,
                "standard input (-) has no name: give one with --as NAME",
            ))
        }
        None => {
            let base = path.file_name().ok_or_else(|| {
                Error::new(
                    ErrorKind::Usage,
                    format!("{} does not name a file", path.display()),
                )
            })?;
            FileName::from_user_bytes(base.as_bytes())
                .map_err(|e| e.context(format!("cannot upload {}", path.display())))?
        }
    };
    Ok(PutJob {
        path: path.to_path_buf(),
        name,
    })
}
