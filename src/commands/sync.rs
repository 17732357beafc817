//! `nf sync SRC DST`: make DST's tree equal SRC's, where exactly one side is on the server
//! (written `:NAME`). Both trees are read first — the server's with one recursive `list`
//! (sizes, times and BLAKE3s it keeps, so it reads no content), the local one with
//! [`localtree::walk`] — then compared path by path: new and changed files are sent (changed:
//! size or modification time differ, or with `-c` the BLAKE3), missing directories made, and
//! with `--delete` what DST has and SRC lacks removed, last, and only when nothing went wrong
//! before (a source that could not be read or a transfer that failed). `-n` prints the plan
//! and changes nothing. Excluded paths are neither sent nor deleted.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::cli::SyncArgs;
use crate::client::{same_content, Client, GetJob, Progress, PutJob, Sink};
use crate::commands::{interrupted, on_interrupt, Context, Items};
use crate::error::{Error, ErrorKind, Result};
use crate::localtree::{self, Found, Rules};
use crate::name::{printable, quote, FileName};
use crate::progress::Report;

/// What a path of one side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
    /// Something nf does not sync (a symbolic link, a FIFO) in a local DST: in the way of
    /// anything SRC has under that name.
    Other,
}

/// One entry of one side, by its path below the top of the synced tree.
#[derive(Debug, Clone)]
struct Item {
    kind: Kind,
    size: u64,
    modified: Option<SystemTime>,
    /// The server's BLAKE3 of a remote file (hex).
    blake3: String,
    /// The local path of a local entry.
    path: Option<PathBuf>,
}

/// One side, read whole: its entries, and how many of them could not be read.
#[derive(Default)]
struct Tree {
    items: BTreeMap<FileName, Item>,
    unreadable: usize,
}

/// What to do, by path below the top of the tree.
#[derive(Default)]
struct Plan {
    /// DST entries in the way of SRC's (a file where SRC has a directory, or the reverse):
    /// removed before anything is sent (only with `--delete`).
    clear: Vec<FileName>,
    /// Directories to make on DST.
    dirs: Vec<FileName>,
    /// Files to send, each `true` when DST lacks it (else it changed).
    send: Vec<(FileName, bool)>,
    /// What DST has and SRC lacks (only the topmost of a removed subtree).
    delete: Vec<FileName>,
    /// Files the same on both sides.
    unchanged: usize,
    /// Type conflicts left alone (without `--delete`).
    conflicts: Vec<Error>,
}

pub fn run(ctx: &Context, args: SyncArgs) -> Result<()> {
    let rules = Rules::new(args.follow, &args.exclude)
        .ok_or_else(|| Error::new(ErrorKind::Usage, "an --exclude pattern is too long"))?;
    match (remote(&args.src)?, remote(&args.dst)?) {
        (None, Some(dst)) => up(ctx, &args, &rules, Path::new(&args.src), dst.as_ref()),
        (Some(src), None) => down(ctx, &args, &rules, src.as_ref(), Path::new(&args.dst)),
        _ => Err(Error::new(
            ErrorKind::Usage,
            "exactly one of SRC and DST is on the server, written with a leading `:` \
             (nf sync ./site :www, or nf sync :www ./site)",
        )),
    }
}

/// `Some(dir)` for an argument naming the server's side (`:NAME`; `:` alone is the top).
fn remote(arg: &str) -> Result<Option<Option<FileName>>> {
    match arg.strip_prefix(':') {
        Some(rest) => FileName::from_user_dir(rest).map(Some),
        None => Ok(None),
    }
}

/// True when `rel` or a directory above it is excluded.
fn excluded(rules: &Rules, rel: &FileName) -> bool {
    rules.excluded(rel.as_str()) || rel.ancestors().any(|a| rules.excluded(a.as_str()))
}

/// The server's tree under `dir` (none: the top). `missing_ok`: a directory that does not exist
/// is an empty tree (a destination), else a `not_found` error (a source).
fn remote_tree(client: &mut Client, dir: Option<&FileName>, rules: &Rules, missing_ok: bool) -> Result<Tree> {
    let mut tree = Tree::default();
    let mut bad: Option<Error> = None;
    let listed = client.list_each(dir, true, None, &mut |e| {
        let name = match FileName::parse(&e.name) {
            Ok(n) => n,
            Err(err) => {
                bad.get_or_insert(err.context("the server listed a bad name"));
                return Ok(());
            }
        };
        if Some(&name) == dir {
            if !e.is_dir() {
                bad.get_or_insert(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{} on the server is a file; nf sync takes directories",
                        quote(&e.name)
                    ),
                ));
            }
            return Ok(());
        }
        let Some(rel) = name.below(dir) else {
            bad.get_or_insert(Error::new(
                ErrorKind::Protocol,
                format!("the server listed {} outside the tree asked for", quote(&e.name)),
            ));
            return Ok(());
        };
        if excluded(rules, &rel) {
            return Ok(());
        }
        tree.items.insert(
            rel,
            Item {
                kind: if e.is_dir() { Kind::Dir } else { Kind::File },
                size: e.size,
                modified: crate::human::parse_rfc3339(&e.modified),
                blake3: e.blake3,
                path: None,
            },
        );
        Ok(())
    });
    match listed {
        Ok(_) => {}
        Err(e) if e.kind == ErrorKind::NotFound && missing_ok => return Ok(Tree::default()),
        Err(e) if e.kind == ErrorKind::NotFound => {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "no directory named {} on the server",
                    quote(dir.map_or("", FileName::as_str))
                ),
            ))
        }
        Err(e) => return Err(e),
    }
    match bad {
        Some(e) => Err(e),
        None => Ok(tree),
    }
}

/// The local tree at `root`, reporting what was skipped (`warn`) and what could not be read
/// (`fail`); `dst`: the tree is a destination, where what is skipped is in the way.
fn local_tree(
    root: &Path,
    rules: &Rules,
    dst: bool,
    warn: &mut dyn FnMut(&str),
    fail: &mut dyn FnMut(&Error),
) -> Result<Tree> {
    let md = std::fs::metadata(root).map_err(|e| Error::io(format!("cannot read {}", root.display()), &e))?;
    if !md.is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("{} is not a directory; nf sync takes directories", root.display()),
        ));
    }
    let mut tree = Tree::default();
    localtree::walk(root, md, None, rules, &mut |found| match found {
        Found::File { path, name, md } => {
            tree.items.insert(
                name,
                Item {
                    kind: Kind::File,
                    size: md.len(),
                    modified: md.modified().ok(),
                    blake3: String::new(),
                    path: Some(path),
                },
            );
        }
        Found::Dir { path, name, .. } => {
            tree.items.insert(
                name,
                Item {
                    kind: Kind::Dir,
                    size: 0,
                    modified: None,
                    blake3: String::new(),
                    path: Some(path),
                },
            );
        }
        Found::Skipped { path, why } => {
            let rel = path
                .strip_prefix(root)
                .ok()
                .and_then(|r| r.to_str())
                .and_then(|r| FileName::from_user(r).ok());
            match rel {
                Some(rel) if dst => {
                    tree.items.insert(
                        rel,
                        Item {
                            kind: Kind::Other,
                            size: 0,
                            modified: None,
                            blake3: String::new(),
                            path: Some(path),
                        },
                    );
                }
                _ => warn(&format!("warning: {why}")),
            }
        }
        Found::Failed { error, .. } => {
            tree.unreadable += 1;
            fail(&error);
        }
    });
    Ok(tree)
}

/// Compares the trees. `up`: SRC is the local side (which `-c` hashes either way).
fn plan(src: &Tree, dst: &Tree, up: bool, args: &SyncArgs) -> Plan {
    let mut plan = Plan::default();
    let mut gone: HashSet<&FileName> = HashSet::new();
    for (rel, s) in &src.items {
        let Some(d) = dst.items.get(rel) else {
            match s.kind {
                Kind::Dir => plan.dirs.push(rel.clone()),
                Kind::File => plan.send.push((rel.clone(), true)),
                Kind::Other => {}
            }
            continue;
        };
        if d.kind != s.kind {
            if args.delete {
                plan.clear.push(rel.clone());
                gone.insert(rel);
                match s.kind {
                    Kind::Dir => plan.dirs.push(rel.clone()),
                    Kind::File => plan.send.push((rel.clone(), true)),
                    Kind::Other => {}
                }
            } else {
                let what = |k: Kind| match k {
                    Kind::File => "a file",
                    Kind::Dir => "a directory",
                    Kind::Other => "neither a file nor a directory",
                };
                plan.conflicts.push(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "{} is {} in SRC and {} in DST (--delete replaces it)",
                        quote(rel.as_str()),
                        what(s.kind),
                        what(d.kind)
                    ),
                ));
            }
            continue;
        }
        if s.kind != Kind::File {
            continue;
        }
        let changed = if s.size != d.size {
            true
        } else if args.checksum {
            let (local, remote) = if up { (s, d) } else { (d, s) };
            !local
                .path
                .as_deref()
                .is_some_and(|p| same_content(p, &remote.blake3))
        } else {
            s.modified.is_none() || s.modified != d.modified
        };
        if changed {
            plan.send.push((rel.clone(), false));
        } else {
            plan.unchanged += 1;
        }
    }
    if args.delete {
        for rel in dst.items.keys() {
            if src.items.contains_key(rel) || rel.ancestors().any(|a| gone.contains(&a)) {
                continue;
            }
            plan.delete.push(rel.clone());
            gone.insert(rel);
        }
    }
    plan
}

/// Why `--delete` deletes nothing, if it does not.
fn refuse_delete(unreadable: usize, failed: usize) -> Option<String> {
    if unreadable > 0 {
        Some(format!(
            "not deleting anything: {unreadable} part{} of a tree could not be read",
            if unreadable == 1 { "" } else { "s" }
        ))
    } else if failed > 0 {
        Some("not deleting anything: not everything could be synced".to_string())
    } else {
        None
    }
}

/// The plan as `-n` prints it: one line per action.
fn print_plan(plan: &Plan, dst: &Tree, delete_refused: Option<&str>) -> Result<()> {
    let dir = |rel: &FileName, items: &Tree| {
        if items.items.get(rel).is_some_and(|i| i.kind == Kind::Dir) {
            "/"
        } else {
            ""
        }
    };
    let mut out = String::new();
    for rel in &plan.clear {
        out.push_str(&format!("- {}{}\n", rel.as_str(), dir(rel, dst)));
    }
    for rel in &plan.dirs {
        out.push_str(&format!("+ {}/\n", rel.as_str()));
    }
    for (rel, new) in &plan.send {
        out.push_str(&format!("{} {}\n", if *new { '+' } else { '~' }, rel.as_str()));
    }
    if delete_refused.is_none() {
        for rel in &plan.delete {
            out.push_str(&format!("- {}{}\n", rel.as_str(), dir(rel, dst)));
        }
    }
    let shown: String = out.lines().map(|l| format!("{}\n", printable(l))).collect();
    crate::output::print(&shown)
}

/// The report of a sync: the files to send are items `0..`, then one per error met reading
/// or comparing the trees (already reported), then one for everything else, whose index is
/// returned with it.
fn begin(ctx: &Context, plan: &Plan, bytes: u64, notes: &[String], errors: &[Error]) -> (Report, usize) {
    let base = plan.send.len();
    let other = base + errors.len() + plan.conflicts.len();
    let report = ctx.report(other + 1, bytes);
    for w in notes {
        report.note(base, w);
    }
    for (k, e) in errors.iter().chain(&plan.conflicts).enumerate() {
        report.fail(base + k, e);
    }
    (report, other)
}

/// `-n`: prints the plan (without the deletions `--delete` would refuse, saying why) and
/// changes nothing.
fn dry_run(
    report: &Report,
    other: usize,
    plan: &Plan,
    dst: &Tree,
    args: &SyncArgs,
    unreadable: usize,
) -> Result<()> {
    let refused = args
        .delete
        .then(|| refuse_delete(unreadable, report.failed()))
        .flatten();
    print_plan(plan, dst, refused.as_deref())?;
    if let (Some(why), false) = (&refused, plan.delete.is_empty()) {
        report.fail(other, &Error::new(ErrorKind::Usage, why.clone()));
    }
    report.outcome()
}

fn no_empty_source(args: &SyncArgs, src: &Tree) -> Result<()> {
    if args.delete && src.items.is_empty() && src.unreadable == 0 {
        return Err(Error::new(
            ErrorKind::Usage,
            format!(
                "refusing --delete: SRC {} is empty, so it would delete everything in DST",
                quote(&args.src)
            ),
        ));
    }
    Ok(())
}

/// The line after the transfers' summary.
fn tail(ctx: &Context, plan: &Plan, deleted: usize) {
    if !ctx.quiet {
        eprintln!(
            "{} unchanged, {} director{} made, {deleted} deleted",
            plan.unchanged,
            plan.dirs.len(),
            if plan.dirs.len() == 1 { "y" } else { "ies" }
        );
    }
}

fn up(ctx: &Context, args: &SyncArgs, rules: &Rules, src_dir: &Path, dst: Option<&FileName>) -> Result<()> {
    let mut client = ctx.connect()?;
    let remote = remote_tree(&mut client, dst, rules, true)?;
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    let local = local_tree(
        src_dir,
        rules,
        false,
        &mut |w| notes.push(w.to_string()),
        &mut |e| errors.push(e.clone()),
    )?;
    no_empty_source(args, &local)?;
    let plan = plan(&local, &remote, true, args);
    let full = |rel: &FileName| FileName::join(dst, rel);
    let bytes: u64 = plan.send.iter().map(|(rel, _)| local.items[rel].size).sum();
    let (report, other) = begin(ctx, &plan, bytes, &notes, &errors);
    if args.dry_run {
        return dry_run(&report, other, &plan, &remote, args, local.unreadable);
    }
    on_interrupt();
    // The server's names of paths below the tree (one too long there is reported).
    let names_of = |rels: &[FileName], report: &Report| -> Vec<FileName> {
        rels.iter()
            .filter_map(|rel| full(rel).map_err(|e| report.fail(other, &e)).ok())
            .collect()
    };
    if !plan.clear.is_empty() {
        let names = names_of(&plan.clear, &report);
        for r in client.remove(&names, true)? {
            if let Err(e) = r {
                report.fail(other, &e);
            }
        }
    }
    if !plan.dirs.is_empty() {
        let names = names_of(&plan.dirs, &report);
        for r in client.mkdir(&names)? {
            if let Err(e) = r {
                report.fail(other, &e);
            }
        }
    }
    let mut jobs = Vec::with_capacity(plan.send.len());
    let mut items = Vec::with_capacity(plan.send.len());
    for (k, (rel, _)) in plan.send.iter().enumerate() {
        match full(rel) {
            Ok(name) => {
                jobs.push(PutJob {
                    path: local.items[rel].path.clone().expect("a local file has its path"),
                    name,
                });
                items.push(k);
            }
            Err(e) => report.fail(k, &e),
        }
    }
    if !jobs.is_empty() {
        client.put(
            &jobs,
            true,
            false,
            &Items {
                report: &report,
                items,
            },
        );
    }
    report.cut_short(interrupted("run the same nf sync again to finish"))?;
    let mut deleted = 0;
    if !plan.delete.is_empty() {
        match refuse_delete(local.unreadable, report.failed()) {
            Some(why) => report.fail(other, &Error::new(ErrorKind::Usage, why)),
            None => {
                let names = names_of(&plan.delete, &report);
                for r in client.remove(&names, true)? {
                    match r {
                        Ok(()) => deleted += 1,
                        Err(e) => report.fail(other, &e),
                    }
                }
            }
        }
    }
    tail(ctx, &plan, deleted);
    report.finish("sent")
}

fn down(ctx: &Context, args: &SyncArgs, rules: &Rules, src: Option<&FileName>, dst_dir: &Path) -> Result<()> {
    let mut client = ctx.connect()?;
    let remote = remote_tree(&mut client, src, rules, false)?;
    no_empty_source(args, &remote)?;
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    let local = if dst_dir.exists() || std::fs::symlink_metadata(dst_dir).is_ok() {
        local_tree(
            dst_dir,
            rules,
            true,
            &mut |w| notes.push(w.to_string()),
            &mut |e| errors.push(e.clone()),
        )?
    } else {
        Tree::default()
    };
    let plan = plan(&remote, &local, false, args);
    let bytes: u64 = plan.send.iter().map(|(rel, _)| remote.items[rel].size).sum();
    let (report, other) = begin(ctx, &plan, bytes, &notes, &errors);
    // What DST could not show is not known to be absent from it: delete nothing then either.
    if args.dry_run {
        return dry_run(&report, other, &plan, &local, args, local.unreadable);
    }
    on_interrupt();
    let path_of = |rel: &FileName| dst_dir.join(rel.as_str());
    std::fs::create_dir_all(dst_dir)
        .map_err(|e| Error::io(format!("cannot create the directory {}", dst_dir.display()), &e))?;
    for rel in &plan.clear {
        if let Err(e) = remove_local(&path_of(rel)) {
            report.fail(other, &e);
        }
    }
    for rel in &plan.dirs {
        let path = path_of(rel);
        if let Err(e) = std::fs::create_dir_all(&path) {
            report.fail(
                other,
                &Error::io(format!("cannot create the directory {}", path.display()), &e),
            );
        }
    }
    let mut jobs = Vec::with_capacity(plan.send.len());
    let mut items = Vec::with_capacity(plan.send.len());
    for (k, (rel, _)) in plan.send.iter().enumerate() {
        match FileName::join(src, rel) {
            Ok(name) => {
                jobs.push(GetJob {
                    name,
                    sink: Sink::File {
                        target: path_of(rel),
                        force: true,
                    },
                });
                items.push(k);
            }
            Err(e) => report.fail(k, &e),
        }
    }
    if !jobs.is_empty() {
        client.get(
            &jobs,
            false,
            &Items {
                report: &report,
                items,
            },
        );
    }
    report.cut_short(interrupted(
        "what was not complete is kept as .NAME.nf-part; run the same nf sync again to finish",
    ))?;
    let mut deleted = 0;
    if !plan.delete.is_empty() {
        match refuse_delete(local.unreadable, report.failed()) {
            Some(why) => report.fail(other, &Error::new(ErrorKind::Usage, why)),
            None => {
                for rel in &plan.delete {
                    match remove_local(&path_of(rel)) {
                        Ok(()) => deleted += 1,
                        Err(e) => report.fail(other, &e),
                    }
                }
            }
        }
    }
    tail(ctx, &plan, deleted);
    report.finish("fetched")
}

/// Removes a local file, symbolic link or directory tree (a link is removed, never followed).
fn remove_local(path: &Path) -> Result<()> {
    let md = std::fs::symlink_metadata(path)
        .map_err(|e| Error::io(format!("cannot remove {}", path.display()), &e))?;
    let done = if md.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    done.map_err(|e| Error::io(format!("cannot remove {}", path.display()), &e))
}
