//! `nf get`: download files into the current directory, a directory, a file, or stdout; with
//! `-r`, directory trees, each under its own name in the destination (`nf get -r photos -o
//! backup` makes `backup/photos/…`), empty directories included. Every name is tried;
//! arguments that name nothing but hold glob characters are expanded by the server; each
//! failure gets its own line and the summary comes last. Files get the time and mode the
//! server keeps; directories are made with the local default mode (the server keeps no mode
//! or time of a directory).

use std::path::{Path, PathBuf};

use crate::cli::GetArgs;
use crate::client::{GetJob, Sink};
use crate::commands::{expand_names, interrupted, on_interrupt, Context, Items};
use crate::error::{Error, ErrorKind, Result};
use crate::name::FileName;

pub fn run(ctx: &Context, mut args: GetArgs) -> Result<()> {
    let linked = link_arg(ctx, &mut args)?;
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if to_stdout && args.resume {
        return Err(Error::new(
            ErrorKind::Usage,
            "--resume cannot be used with -o - (standard output)",
        ));
    }
    if to_stdout && args.recursive {
        return Err(Error::new(
            ErrorKind::Usage,
            "-r cannot write to -o - (standard output): give a directory",
        ));
    }
    let out_dir = match args.output.as_deref() {
        Some(out) if !to_stdout => output_dir(out, args.recursive)?,
        None if args.recursive => Some(PathBuf::from(".")),
        _ => None,
    };
    let report = ctx.report(args.names.len(), 0);
    let mut client = match linked {
        Some(client) => client,
        None => ctx.connect()?,
    };
    let named = expand_names(&mut client, &args.names, &report)?;
    let mut jobs = Vec::with_capacity(named.len());
    let mut items = Vec::with_capacity(named.len());
    for (i, name) in named.iter() {
        if args.recursive {
            let dest = out_dir.as_deref().unwrap_or(Path::new("."));
            match tree(&mut client, name, dest, args.force) {
                Ok((files, failed)) => {
                    if let Some(e) = failed {
                        report.fail(*i, &e);
                    }
                    for job in files {
                        jobs.push(job);
                        items.push(*i);
                    }
                }
                Err(e) => report.fail(*i, &e),
            }
            continue;
        }
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

/// `nf get URL`: a share link's URL as the one NAME. Connects as the link and names what it
/// shares (a folder link is fetched with `-r`, as a tree under the folder's name).
fn link_arg(ctx: &Context, args: &mut GetArgs) -> Result<Option<crate::client::Client>> {
    let url = match args.names.as_slice() {
        [one] => match super::share::link_url(one) {
            Some(url) => url?,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let (client, name, top) = super::share::connect_link(ctx, &url)?;
    let Some(name) = name else {
        return Err(Error::new(
            ErrorKind::Usage,
            "this link shares the whole server: nf get takes a name in it (URL/NAME), or fetch URL?tar",
        ));
    };
    args.recursive |= top;
    args.names = vec![name.to_string()];
    Ok(Some(client))
}

/// The downloads of the tree `name` (a directory, or a single file) into `dest`, under the
/// name's last component; its directories are created here, empty ones too.
/// Also the first thing that went wrong besides (a directory that could not be made, a name
/// the server should not have listed).
fn tree(
    client: &mut crate::client::Client,
    name: &FileName,
    dest: &Path,
    force: bool,
) -> Result<(Vec<GetJob>, Option<Error>)> {
    let mut files = Vec::new();
    let base = name.parent();
    // Every name here is `name` or below it (checked), so below its parent.
    let local = |entry: &FileName| -> PathBuf {
        let rel = entry
            .below(base.as_ref())
            .expect("a name below the tree's parent");
        dest.join(rel.as_str())
    };
    let mut failed: Option<Error> = None;
    let mut entries = Vec::new();
    client.list_each(Some(name), true, None, &mut |e| {
        entries.push(e);
        Ok(())
    })?;
    let top_is_dir = entries
        .first()
        .is_some_and(|e| e.is_dir() || e.name != name.as_str());
    if top_is_dir {
        let path = local(name);
        crate::localname::check_dir(&path, cfg!(windows))?;
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::io(format!("cannot create the directory {}", path.display()), &e))?;
    }
    for e in entries {
        // The server's names are checked like any other before they become local paths.
        let entry = match FileName::parse(&e.name) {
            Ok(n) if name.contains(&n) => n,
            _ => {
                failed.get_or_insert(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the server listed {} under {}",
                        crate::name::quote(&e.name),
                        crate::name::quote(name.as_str())
                    ),
                ));
                continue;
            }
        };
        let path = local(&entry);
        if e.is_dir() {
            // A name this system cannot hold is refused, not made under another name.
            if let Err(err) = crate::localname::check_dir(&path, cfg!(windows)) {
                failed.get_or_insert(err);
            } else if let Err(err) = std::fs::create_dir_all(&path) {
                failed.get_or_insert(Error::io(
                    format!("cannot create the directory {}", path.display()),
                    &err,
                ));
            }
        } else {
            files.push(GetJob {
                name: entry,
                sink: Sink::File { target: path, force },
            });
        }
    }
    Ok((files, failed))
}

/// The directory `-o` names, if it names one: an existing directory, or a path ending in `/`
/// (or any path, with `-r`), which is created (with its parents) as `mkdir -p` would.
fn output_dir(out: &Path, recursive: bool) -> Result<Option<PathBuf>> {
    if out.is_dir() {
        return Ok(Some(out.to_path_buf()));
    }
    if !recursive && !out.as_os_str().to_string_lossy().ends_with('/') {
        return Ok(None);
    }
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("cannot create the directory {}", out.display()), &e))?;
    Ok(Some(out.to_path_buf()))
}

/// Where `name` goes given `-o` (`dir`: the directory it names): the current directory, into
/// a directory, or a file name. A file is stored under its own last component.
fn target_for(output: Option<&Path>, dir: Option<&Path>, name: &FileName, count: usize) -> Result<PathBuf> {
    if let Some(dir) = dir {
        return Ok(dir.join(name.leaf()));
    }
    let Some(out) = output else {
        return Ok(PathBuf::from(name.leaf()));
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
