//! `nf get`: download files into the current directory, a directory, a file, or stdout. Every
//! name is tried; arguments that name no file but hold glob characters are expanded by the
//! server; each failure gets its own line and the summary comes last.

use std::path::{Path, PathBuf};

use crate::cli::GetArgs;
use crate::client::{GetJob, Sink};
use crate::commands::{expand_names, interrupted, on_interrupt, Context, Items};
use crate::error::{Error, ErrorKind, Result};
use crate::name::FileName;

pub fn run(ctx: &Context, args: GetArgs) -> Result<()> {
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if to_stdout && args.resume {
        return Err(Error::new(
            ErrorKind::Usage,
            "--resume cannot be used with -o - (standard output)",
        ));
    }
    let out_dir = match args.output.as_deref() {
        Some(out) if !to_stdout => output_dir(out)?,
        _ => None,
    };
    let report = ctx.report(args.names.len(), 0);
    let mut client = ctx.connect()?;
    let named = expand_names(&mut client, &args.names, &report)?;
    let mut jobs = Vec::with_capacity(named.len());
    let mut items = Vec::with_capacity(named.len());
    for (i, name) in named.iter() {
        let sink = if to_stdout {
            Ok(Sink::Stdout)
        } else {
            target_for(args.output.as_deref(), out_dir.as_deref(), name, named.len()).map(|target| {
                Sink::File {
                    target,
                    force: args.force,
                }
            })
        };
        match sink {
            Ok(sink) => {
                jobs.push(GetJob {
                    name: name.clone(),
                    sink,
                });
                items.push(*i);
            }
            Err(e) => report.fail(*i, &e),
        }
    }
    if !jobs.is_empty() {
        on_interrupt();
        client.get(
            &jobs,
            args.resume,
            &Items {
                report: &report,
                items,
            },
        );
        report.cut_short(interrupted(
            "downloads cut off are kept beside their targets as .NAME.nf-part; run the same \
             command with --resume to continue",
        ))?;
    }
    report.finish("downloaded")
}

/// The directory `-o` names, if it names one: an existing directory, or a path ending in `/`,
/// which is created (with its parents) as `mkdir -p` would.
fn output_dir(out: &Path) -> Result<Option<PathBuf>> {
    if out.is_dir() {
        return Ok(Some(out.to_path_buf()));
    }
    if !out.as_os_str().to_string_lossy().ends_with('/') {
        return Ok(None);
    }
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("cannot create the directory {}", out.display()), &e))?;
    Ok(Some(out.to_path_buf()))
}

/// Where `name` goes given `-o` (`dir`: the directory it names): the current directory, into
/// a directory, or a file name.
fn target_for(output: Option<&Path>, dir: Option<&Path>, name: &FileName, count: usize) -> Result<PathBuf> {
    if let Some(dir) = dir {
        return Ok(dir.join(name.as_str()));
    }
    let Some(out) = output else {
        return Ok(PathBuf::from(name.as_str()));
    };
    if count > 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "-o {}: with several files, -o must be a directory (end it with / to create it)",
                out.display()
            ),
        ));
    }
    Ok(out.to_path_buf())
}
