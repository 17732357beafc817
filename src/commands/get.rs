//! `nf get`: download files into the current directory, a directory, a file, or stdout.

use std::path::{Path, PathBuf};

use crate::cli::GetArgs;
use crate::client::{GetJob, Sink};
use crate::commands::{finish, interrupt_message, Context};
use crate::error::{Error, ErrorKind, Result};
use crate::name::FileName;
use crate::{output, progress};

pub fn run(ctx: &Context, args: GetArgs) -> Result<()> {
    let names = args
        .names
        .iter()
        .map(|n| FileName::parse(n))
        .collect::<Result<Vec<_>>>()?;
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if to_stdout && args.resume {
        return Err(Error::new(
            ErrorKind::Usage,
            "--resume cannot be used with -o - (standard output)",
        ));
    }
    // Asked once, not once per name.
    let into_dir = args.output.as_deref().is_some_and(Path::is_dir);
    let jobs = names
        .iter()
        .map(|name| {
            let sink = if to_stdout {
                Sink::Stdout
            } else {
                Sink::File {
                    target: target_for(args.output.as_deref(), into_dir, name, names.len())?,
                    force: args.force,
                }
            };
            Ok(GetJob {
                name: name.clone(),
                sink,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    interrupt_message("downloads cut off are kept beside their targets as .NAME.nf-part; run the same command with --resume to continue");
    let mut client = ctx.connect()?;
    let bars = progress::Bars::new(output::bars_allowed(ctx.quiet), jobs.len(), 0);
    let results = client.get(&jobs, args.resume, &bars);
    finish(ctx, "downloaded", &results, &bars)
}

/// Where `name` goes given `-o` (`into_dir`: it names an existing directory): the current
/// directory, into a directory, or a file name.
fn target_for(output: Option<&Path>, into_dir: bool, name: &FileName, count: usize) -> Result<PathBuf> {
    let Some(out) = output else {
        return Ok(PathBuf::from(name.as_str()));
    };
    if into_dir {
        return Ok(out.join(name.as_str()));
    }
    let text = out.to_string_lossy();
    if text.ends_with('/') {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("-o {text}: no such directory"),
        ));
    }
    if count > 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("-o {text}: with several names, -o must be an existing directory"),
        ));
    }
    Ok(out.to_path_buf())
}
