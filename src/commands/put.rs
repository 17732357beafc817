//! `nf put`: upload files (and standard input as `-`), and with `-r` directory trees, each
//! under its own name as `scp -r` stores them (empty directories with `mkdir`), with progress
//! bars on a terminal, each failure on its own line as it happens, and a summary line last.

use std::collections::HashSet;
use std::path::Path;

use crate::cli::PutArgs;
use crate::client::{Progress, PutJob, PutOptions, STDIN};
use crate::commands::put_receipts::{Receipts, Writing};
use crate::commands::{interrupted, on_interrupt, Context, Items};
use crate::error::{Error, ErrorKind, Result};
use crate::localtree::{self, Found, Rules};
use crate::name::{quote, FileName};

pub fn run(ctx: &Context, mut args: PutArgs) -> Result<()> {
    let linked = link_arg(ctx, &mut args)?;
    let dest = Dest::of(args.as_name.as_deref())?;
    if matches!(dest, Dest::Named(_)) && args.files.len() > 1 {
        return Err(Error::new(
            ErrorKind::Usage,
            "--as NAME names one file; give exactly one FILE with it, or store them all in a \
             directory with --as DIR/",
        ));
    }
    let plan = plan(&args, &dest);
    let report = ctx.report(plan.jobs.len() + plan.failed.len(), plan.bytes);
    for (i, why) in plan.skipped.iter() {
        report.note(*i, &format!("warning: {why}"));
    }
    for (i, e) in &plan.failed {
        report.fail(*i, e);
    }
    let mut jobs = Vec::with_capacity(plan.jobs.len());
    let mut items = Vec::with_capacity(plan.jobs.len());
    let mut seen = HashSet::new();
    for (i, job) in plan.jobs {
        if seen.insert(job.name.clone()) {
            jobs.push(job);
            items.push(i);
        } else {
            let e = Error::new(
                ErrorKind::Usage,
                format!(
                    "{} would be stored as {} too; upload it on its own with --as",
                    job.path.display(),
                    quote(job.name.as_str())
                ),
            );
            report.fail(i, &e);
        }
    }
    if jobs.is_empty() && plan.dirs.is_empty() {
        return report.finish("uploaded");
    }
    let receipts = args
        .receipt
        .as_deref()
        .map(|path| Receipts::of(path, jobs.len()))
        .transpose()?;
    on_interrupt();
    let mut client = match linked {
        Some(client) => client,
        None => ctx.connect()?,
    };
    if !plan.dirs.is_empty() {
        let names: Vec<FileName> = plan.dirs.iter().map(|(_, n)| n.clone()).collect();
        for ((i, _), made) in plan.dirs.iter().zip(client.mkdir(&names)?) {
            if let Err(e) = made {
                report.fail(*i, &e);
            }
        }
    }
    let opts = PutOptions {
        force: args.force,
        resume: args.resume,
        receipt: receipts.is_some(),
    };
    let items = Items {
        report: &report,
        items,
    };
    match receipts {
        Some(receipts) => {
            let names = jobs.iter().map(|j| j.name.clone()).collect();
            let writing = Writing {
                inner: &items,
                receipts,
                names,
            };
            client.put(&jobs, opts, &writing)
        }
        None => client.put(&jobs, opts, &items),
    };
    report.cut_short(interrupted(
        "uploads cut off are kept on the server (files of 1 MiB or more); run the same \
         command with --resume to continue",
    ))?;
    report.finish("uploaded")
}

/// `nf put FILE… URL`: a share link's URL as the last argument. Connects as the link, and
/// the files go into the folder it names (`--as NAME`: under that name in it).
fn link_arg(ctx: &Context, args: &mut PutArgs) -> Result<Option<crate::client::Client>> {
    let url = match args.files.as_slice() {
        [_, .., last] => match last.to_str().and_then(super::share::link_url) {
            Some(url) => url?,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    args.files.pop();
    let (client, folder, _) = super::share::connect_link(ctx, &url)?;
    let inside = folder.map_or(String::new(), |f| format!("{f}/"));
    args.as_name = Some(match args.as_name.take() {
        Some(name) => format!("{inside}{}", name.trim_start_matches('/')),
        None if inside.is_empty() => "/".to_string(),
        None => inside,
    });
    Ok(Some(client))
}

/// What the arguments stand for: files to upload (each with its item number in the report),
/// empty directories to create, and what was skipped or failed on the way.
#[derive(Default)]
struct Plan {
    jobs: Vec<(usize, PutJob)>,
    dirs: Vec<(usize, FileName)>,
    skipped: Vec<(usize, String)>,
    failed: Vec<(usize, Error)>,
    /// The bytes of the regular files, for the progress bars.
    bytes: u64,
}

impl Plan {
    /// The next item number: each file, empty directory and failure is one.
    fn next(&self) -> usize {
        self.jobs.len() + self.dirs.len() + self.failed.len()
    }
}

/// Where `--as` puts what is uploaded.
enum Dest {
    /// No `--as`: each file or tree under its own name, at the top.
    Own,
    /// `--as NAME`: the one file or tree under this name.
    Named(FileName),
    /// `--as DIR/` (a trailing slash, as `cp` and `scp` read it): each under its own name
    /// inside DIR (`None`: the top, for `--as /`).
    Inside(Option<FileName>),
}

impl Dest {
    fn of(as_name: Option<&str>) -> Result<Dest> {
        Ok(match as_name {
            None => Dest::Own,
            Some(dir) if dir.ends_with('/') => Dest::Inside(FileName::from_user_dir(dir)?),
            Some(name) => Dest::Named(FileName::from_user(name)?),
        })
    }

    /// The name of a file or tree whose default name `own` makes (which fails for standard
    /// input, or a path without a last component).
    fn name(&self, own: impl FnOnce() -> Result<FileName>) -> Result<FileName> {
        match self {
            Dest::Own => own(),
            Dest::Named(name) => Ok(name.clone()),
            Dest::Inside(dir) => FileName::join(dir.as_ref(), &own()?),
        }
    }
}

fn plan(args: &PutArgs, dest: &Dest) -> Plan {
    let mut plan = Plan::default();
    let rules = Rules {
        follow: args.follow,
        ..Rules::default()
    };
    for path in &args.files {
        let stdin = path.as_path() == Path::new(STDIN);
        let md = if stdin { None } else { std::fs::metadata(path).ok() };
        if let Some(md) = md.filter(|m| m.is_dir()) {
            if !args.recursive {
                let dir = path.display().to_string();
                let dir = dir.trim_end_matches('/');
                let i = plan.next();
                plan.failed.push((
                    i,
                    Error::new(
                        ErrorKind::Usage,
                        format!("{dir} is a directory; upload it with -r (nf put -r {dir})"),
                    ),
                ));
                continue;
            }
            let base = match dest.name(|| localtree::tree_name(path)) {
                Ok(b) => b,
                Err(e) => {
                    let i = plan.next();
                    plan.failed.push((i, e));
                    continue;
                }
            };
            localtree::walk(path, md, Some(&base), &rules, &mut |found| {
                let i = plan.next();
                match found {
                    Found::File { path, name, md } => {
                        plan.bytes += md.len();
                        plan.jobs.push((i, PutJob { path, name }));
                    }
                    Found::Dir {
                        name, empty: true, ..
                    } => plan.dirs.push((i, name)),
                    Found::Dir { .. } => {}
                    Found::Skipped { why, .. } => plan.skipped.push((i, why)),
                    Found::Failed { error, .. } => plan.failed.push((i, error)),
                }
            });
            continue;
        }
        let i = plan.next();
        match job_for(path, dest) {
            Ok(job) => {
                if let Some(md) = std::fs::metadata(path).ok().filter(|m| m.is_file() && !stdin) {
                    plan.bytes += md.len();
                }
                plan.jobs.push((i, job));
            }
            Err(e) => plan.failed.push((i, e)),
        }
    }
    plan
}

/// The upload of `path`: where `dest` says, under its base name by default, in NFC either way.
fn job_for(path: &Path, dest: &Dest) -> Result<PutJob> {
    let name = dest.name(|| own_name(path))?;
    Ok(PutJob {
        path: path.to_path_buf(),
        name,
    })
}

/// The name a file is stored under by default: its base name.
fn own_name(path: &Path) -> Result<FileName> {
    if path == Path::new(STDIN) {
        return Err(Error::new(
            ErrorKind::Usage,
            "standard input (-) has no name: give one with --as NAME",
        ));
    }
    let base = path.file_name().ok_or_else(|| {
        Error::new(
            ErrorKind::Usage,
            format!("{} does not name a file", path.display()),
        )
    })?;
    FileName::from_user_bytes(&crate::sys::os_bytes(base))
        .map_err(|e| e.context(format!("cannot upload {}", path.display())))
}
