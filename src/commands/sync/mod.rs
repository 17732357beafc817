//! `nf sync SRC DST`: make DST's tree equal SRC's, where exactly one side is on the server
//! (written `:NAME`). The server's tree is read first, with one recursive `list` (sizes, times
//! and BLAKE3s it keeps, so it reads no content); the local one with [`localtree::walk`]. The
//! trees are compared path by path: new and changed files are sent (changed: size or
//! modification time differ, or with `-c` the BLAKE3), missing directories made, and with
//! `--delete` what DST has and SRC lacks removed, last, and only when nothing went wrong before
//! (a source that could not be read or a transfer that failed). `-n` prints the plan and
//! changes nothing. Excluded paths are neither sent nor deleted.
//!
//! Upwards, the local tree is walked (and with `-c` hashed) on a thread of its own that decides
//! each entry the moment it is found and hands what is to be done over a bounded channel to the
//! sender, which sends it in pipelined batches (all that is waiting, up to [`BATCH`]), so the
//! first files go out while the rest of the tree is still being read. Downwards, the local
//! tree (DST) is walked whole first (a stat per entry, no content), then what is new or of
//! another size is fetched while, with `-c`, the local files of the same size are hashed on a
//! thread of their own; those whose content differs are fetched after.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::SystemTime;

use crate::cli::SyncArgs;
use crate::client::{same_content, Client, GetJob, Progress, PutJob, Sink};
use crate::commands::{interrupted, on_interrupt, Context, Items};
use crate::error::{Error, ErrorKind, Result};
use crate::localtree::{self, Found, Rules};
use crate::name::{quote, FileName};
use crate::progress::Report;

mod shown;

use shown::{print_plan, tail, Itemize, Links, Listed};

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

impl Item {
    /// A local entry of `kind` at `path`, with the size and modification time of a file
    /// (`md`).
    fn local(kind: Kind, path: PathBuf, md: Option<&std::fs::Metadata>) -> Item {
        Item {
            kind,
            size: md.map_or(0, std::fs::Metadata::len),
            modified: md.and_then(|m| m.modified().ok()),
            blake3: String::new(),
            path: Some(path),
        }
    }
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
    /// Downwards with `-c`: local files of the same size as the server's, whose content is
    /// still to be hashed to know whether they changed ([`changed_content`]).
    check: Vec<FileName>,
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
    let md = top_dir(root)?;
    let mut tree = Tree::default();
    localtree::walk(root, md, None, rules, &mut |found| match found {
        Found::File { path, name, md } => {
            tree.items.insert(name, Item::local(Kind::File, path, Some(&md)));
        }
        Found::Dir { path, name, .. } => {
            tree.items.insert(name, Item::local(Kind::Dir, path, None));
        }
        Found::Skipped { path, why } => {
            let rel = path
                .strip_prefix(root)
                .ok()
                .and_then(|r| r.to_str())
                .and_then(|r| FileName::from_user(r).ok());
            match rel {
                Some(rel) if dst => {
                    tree.items.insert(rel, Item::local(Kind::Other, path, None));
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

/// What one SRC entry asks of DST.
enum Verdict {
    /// DST has it the same (a file) or has it (a directory): nothing to do.
    Same,
    /// DST lacks it, or has a file that changed (`new: false`): make or send it.
    Make { new: bool },
    /// DST has something else under that name, which `--delete` removes first.
    Replace,
    /// As `Replace`, without `--delete`: a conflict left alone.
    Conflict(Error),
    /// With `-c`, a file of the same size on both sides: the local one's BLAKE3 decides.
    Check,
}

/// Compares SRC's entry `s` at `rel` with DST's `d`. Content is not read here: with `-c`, a
/// file of the same size on both sides is `Check`, for the caller to hash when it suits it.
fn compare(rel: &FileName, s: &Item, d: Option<&Item>, args: &SyncArgs) -> Verdict {
    let Some(d) = d else {
        return Verdict::Make { new: true };
    };
    if d.kind != s.kind {
        if args.delete {
            return Verdict::Replace;
        }
        let what = |k: Kind| match k {
            Kind::File => "a file",
            Kind::Dir => "a directory",
            Kind::Other => "neither a file nor a directory",
        };
        return Verdict::Conflict(Error::new(
            ErrorKind::Conflict,
            format!(
                "{} is {} in SRC and {} in DST (--delete replaces it)",
                quote(rel.as_str()),
                what(s.kind),
                what(d.kind)
            ),
        ));
    }
    if s.kind != Kind::File {
        return Verdict::Same;
    }
    let changed = if s.size != d.size {
        true
    } else if args.checksum {
        return Verdict::Check;
    } else {
        s.modified.is_none() || s.modified != d.modified
    };
    if changed {
        Verdict::Make { new: false }
    } else {
        Verdict::Same
    }
}

/// What DST has and SRC lacks, only the topmost of each removed subtree, in DST's order;
/// `gone`: what is removed already (replaced entries), which takes what is below it along.
fn deletions(src: &Tree, dst: &Tree, mut gone: HashSet<FileName>) -> Vec<FileName> {
    let mut delete = Vec::new();
    for rel in dst.items.keys() {
        if src.items.contains_key(rel) || rel.ancestors().any(|a| gone.contains(&a)) {
            continue;
        }
        delete.push(rel.clone());
        gone.insert(rel.clone());
    }
    delete
}

/// Compares the trees, SRC the server's and DST the local one (the download side); files
/// `-c` must hash are left in `check`.
fn plan(src: &Tree, dst: &Tree, args: &SyncArgs) -> Plan {
    let mut plan = Plan::default();
    let mut gone: HashSet<FileName> = HashSet::new();
    for (rel, s) in &src.items {
        let make = |plan: &mut Plan, new: bool| match s.kind {
            Kind::Dir => plan.dirs.push(rel.clone()),
            Kind::File => plan.send.push((rel.clone(), new)),
            Kind::Other => {}
        };
        match compare(rel, s, dst.items.get(rel), args) {
            Verdict::Check => plan.check.push(rel.clone()),
            Verdict::Same if s.kind == Kind::File => plan.unchanged += 1,
            Verdict::Same => {}
            Verdict::Make { new } => make(&mut plan, new),
            Verdict::Replace => {
                plan.clear.push(rel.clone());
                gone.insert(rel.clone());
                make(&mut plan, true);
            }
            Verdict::Conflict(e) => plan.conflicts.push(e),
        }
    }
    if args.delete {
        plan.delete = deletions(src, dst, gone);
    }
    plan
}

/// Downwards with `-c`: which of `check` (files of the same size on both sides) differ in
/// content, hashing each local file under `dst_dir` against the BLAKE3 the server keeps. Stops
/// at an interrupt (what is left is not known to differ, so it is not fetched).
fn changed_content(check: &[FileName], remote: &Tree, dst_dir: &Path) -> Vec<FileName> {
    check
        .iter()
        .take_while(|_| crate::signals::interrupted().is_none())
        .filter(|rel| !same_content(&dst_dir.join(rel.as_str()), &remote.items[*rel].blake3))
        .cloned()
        .collect()
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

/// The report index of everything that is not one file's transfer nor one error met reading
/// SRC (the last in order, so that its kind decides the exit code only when nothing else
/// failed).
const OTHER: usize = usize::MAX;

/// How many steps of the scan may wait for the sender (a bound on the memory between them).
const QUEUE: usize = 4096;

/// The most steps sent as one batch (one pipelined `put`, whose replies all come back before
/// the next batch goes).
const BATCH: usize = 1024;

/// What the scan of a local SRC decided, in the order of the walk (a directory before what it
/// holds), for the sender.
#[derive(Debug)]
enum Step {
    /// Remove DST's entry in the way (only with `--delete`), before anything below it is sent.
    Clear(FileName),
    /// Make this directory on DST.
    Mkdir(FileName),
    /// Send this file (`new`: DST lacks it).
    Send {
        rel: FileName,
        path: PathBuf,
        size: u64,
        new: bool,
    },
    /// A warning about something left out.
    Note(String),
    /// Something that could not be read, or a conflict left alone.
    Fail(Error),
}

/// What the scan leaves behind when it is done: the local tree (for `--delete`), what it
/// cleared, and how many files were the same on both sides.
struct Scanned {
    local: Tree,
    cleared: HashSet<FileName>,
    unchanged: usize,
    /// Symbolic links skipped (without `-L`), said once at the end.
    links: Vec<PathBuf>,
}

/// The metadata of a local tree's top, which must be a directory.
fn top_dir(root: &Path) -> Result<std::fs::Metadata> {
    let md = std::fs::metadata(root).map_err(|e| Error::io(format!("cannot read {}", root.display()), &e))?;
    if !md.is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("{} is not a directory; nf sync takes directories", root.display()),
        ));
    }
    Ok(md)
}

/// Walks the local SRC at `root`, deciding each entry against `remote` the moment it is found
/// (with `-c` hashing it) and handing on at once what is to be done, so that sending starts
/// while the rest of the tree is still being scanned. Once the receiver is gone (the sender
/// stopped), it decides nothing more.
fn scan(
    root: &Path,
    md: std::fs::Metadata,
    rules: &Rules,
    remote: &Tree,
    args: &SyncArgs,
    out: SyncSender<Step>,
) -> Scanned {
    let mut scanned = Scanned {
        local: Tree::default(),
        cleared: HashSet::new(),
        unchanged: 0,
        links: Vec::new(),
    };
    let open = std::cell::Cell::new(true);
    let send = |step: Step| open.set(open.get() && out.send(step).is_ok());
    localtree::walk(root, md, None, rules, &mut |found| {
        let (rel, item) = match found {
            Found::File { path, name, md } => (name, Item::local(Kind::File, path, Some(&md))),
            Found::Dir { path, name, .. } => (name, Item::local(Kind::Dir, path, None)),
            Found::Skipped { path, .. } if !rules.follow && is_link(&path) => {
                return scanned.links.push(path);
            }
            Found::Skipped { why, .. } => return send(Step::Note(format!("warning: {why}"))),
            Found::Failed { error, .. } => {
                scanned.local.unreadable += 1;
                return send(Step::Fail(error));
            }
        };
        if !open.get() {
            return;
        }
        let make = |rel: &FileName, item: &Item, new: bool| match item.kind {
            Kind::Dir => Step::Mkdir(rel.clone()),
            _ => Step::Send {
                rel: rel.clone(),
                path: item.path.clone().expect("a local file has its path"),
                size: item.size,
                new,
            },
        };
        let d = remote.items.get(&rel);
        match compare(&rel, &item, d, args) {
            // With -c: hashed here, on the scan's own thread, as the walk goes.
            Verdict::Check
                if item
                    .path
                    .as_deref()
                    .zip(d)
                    .is_some_and(|(p, d)| same_content(p, &d.blake3)) =>
            {
                scanned.unchanged += 1
            }
            Verdict::Check => send(make(&rel, &item, false)),
            Verdict::Same if item.kind == Kind::File => scanned.unchanged += 1,
            Verdict::Same => {}
            Verdict::Make { new } => send(make(&rel, &item, new)),
            Verdict::Replace => {
                send(Step::Clear(rel.clone()));
                send(make(&rel, &item, true));
                scanned.cleared.insert(rel.clone());
            }
            Verdict::Conflict(e) => send(Step::Fail(e)),
        }
        scanned.local.items.insert(rel, item);
    });
    scanned
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Hands on what arrives on `rx` in batches until the sending side is done or `each` returns
/// false: all the steps that are waiting when the previous batch is done (at most `max`), so
/// that the sender waits for the scan only when it has nothing else to send, and a scan that
/// runs ahead gets its files sent many to a batch.
fn batches<T>(rx: &Receiver<T>, max: usize, each: &mut dyn FnMut(Vec<T>) -> bool) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < max {
            match rx.try_recv() {
                Ok(step) => batch.push(step),
                Err(_) => break,
            }
        }
        if !each(batch) {
            return;
        }
    }
}

/// The upload side's sender: what it has sent and made so far.
struct Upload<'a> {
    client: Client,
    report: &'a Report,
    dst: Option<&'a FileName>,
    /// The report index of the next file or error.
    next: usize,
    /// Directories made (or asked to be).
    made: usize,
    itemize: &'a Itemize<'a>,
}

impl Upload<'_> {
    /// The server's names of paths below the tree, each with its path (one too long there is
    /// reported and left out).
    fn names(&self, rels: &[FileName]) -> (Vec<FileName>, Vec<FileName>) {
        rels.iter()
            .filter_map(|rel| {
                FileName::join(self.dst, rel)
                    .map(|name| (name, rel.clone()))
                    .map_err(|e| self.report.fail(OTHER, &e))
                    .ok()
            })
            .unzip()
    }

    /// Removes the paths `rels` (and what they hold) on the server; returns how many went.
    fn remove(&mut self, rels: &[FileName], dirs: &Tree) -> Result<usize> {
        let (names, rels) = self.names(rels);
        let mut removed = 0;
        for (r, rel) in self.client.remove(&names, true)?.into_iter().zip(&rels) {
            match r {
                Ok(()) => {
                    removed += 1;
                    let dir = dirs.items.get(rel).is_some_and(|i| i.kind == Kind::Dir);
                    self.itemize.done('-', rel, dir);
                }
                Err(e) => self.report.fail(OTHER, &e),
            }
        }
        Ok(removed)
    }

    /// Does what one batch of steps asks, in order: what is in the way is removed, then the
    /// directories made, then the files sent over one pipelined `put`. An error of the
    /// connection itself ends the sync.
    fn run(&mut self, steps: Vec<Step>, remote: &Tree) -> Result<()> {
        let report = self.report;
        let (mut clear, mut dirs, mut jobs, mut items) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut marks = Vec::new();
        let mut bytes = 0;
        for step in steps {
            match step {
                Step::Note(w) => report.note(OTHER, &w),
                Step::Fail(e) => {
                    report.fail(self.next, &e);
                    self.next += 1;
                }
                Step::Clear(rel) => clear.push(rel),
                Step::Mkdir(rel) => dirs.push(rel),
                Step::Send { rel, path, size, new } => {
                    let k = self.next;
                    self.next += 1;
                    match FileName::join(self.dst, &rel) {
                        Ok(name) => {
                            jobs.push(PutJob { path, name });
                            items.push(k);
                            marks.push((if new { '+' } else { '~' }, rel));
                            bytes += size;
                        }
                        Err(e) => report.fail(k, &e),
                    }
                }
            }
        }
        report.grow(jobs.len(), bytes);
        if !clear.is_empty() {
            self.remove(&clear, remote)?;
        }
        if !dirs.is_empty() {
            self.made += dirs.len();
            let (names, rels) = self.names(&dirs);
            for (r, rel) in self.client.mkdir(&names)?.into_iter().zip(&rels) {
                match r {
                    Ok(()) => self.itemize.done('+', rel, true),
                    Err(e) => report.fail(OTHER, &e),
                }
            }
        }
        if !jobs.is_empty() {
            let listed = Listed {
                items: Items { report, items },
                marks,
                itemize: self.itemize,
            };
            self.client.put(
                &jobs,
                crate::client::PutOptions {
                    force: true,
                    ..Default::default()
                },
                &listed,
            );
        }
        Ok(())
    }
}

/// `-n` on the upload side: the steps of the scan gathered into the plan, in the order of the
/// trees (as the download side prints it), with its conflicts and errors reported.
fn gather(plan: &mut Plan, report: &Report, next: &mut usize, steps: Vec<Step>) {
    for step in steps {
        match step {
            Step::Note(w) => report.note(OTHER, &w),
            Step::Fail(e) => {
                report.fail(*next, &e);
                *next += 1;
            }
            Step::Clear(rel) => plan.clear.push(rel),
            Step::Mkdir(rel) => plan.dirs.push(rel),
            Step::Send { rel, new, .. } => plan.send.push((rel, new)),
        }
    }
}

fn up(ctx: &Context, args: &SyncArgs, rules: &Rules, src_dir: &Path, dst: Option<&FileName>) -> Result<()> {
    let md = top_dir(src_dir)?;
    let mut client = ctx.connect()?;
    let remote = remote_tree(&mut client, dst, rules, true)?;
    // -n sends nothing: no total to show.
    let report = if args.dry_run {
        ctx.report(0, 0)
    } else {
        ctx.report_open_ended()
    };
    if !args.dry_run {
        on_interrupt();
    }
    let itemize = Itemize::new(ctx, &report);
    let mut upload = Upload {
        client,
        report: &report,
        dst,
        next: 0,
        made: 0,
        itemize: &itemize,
    };
    let mut plan = Plan::default();
    let mut broken = None;
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    let scanned = std::thread::scope(|scope| {
        let remote = &remote;
        let scanner = scope.spawn(move || scan(src_dir, md, rules, remote, args, tx));
        batches(&rx, BATCH, &mut |steps| {
            if args.dry_run {
                gather(&mut plan, &report, &mut upload.next, steps);
                return true;
            }
            if let Err(e) = upload.run(steps, remote) {
                broken = Some(e);
                return false;
            }
            crate::signals::interrupted().is_none()
        });
        // The scan stops deciding once nobody listens.
        drop(rx);
        scanner.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    if let Some(e) = broken {
        return report.cut_short(Err(e));
    }
    report.cut_short(interrupted("run the same nf sync again to finish"))?;
    report.cut_short(no_empty_source(args, &scanned.local))?;
    let delete = if args.delete {
        deletions(&scanned.local, &remote, scanned.cleared)
    } else {
        Vec::new()
    };
    let links = Links(scanned.links);
    if args.dry_run {
        plan.clear.sort();
        plan.dirs.sort();
        plan.send.sort();
        plan.delete = delete;
        links.note(ctx);
        return dry_run(&report, OTHER, &plan, &remote, args, scanned.local.unreadable);
    }
    let mut deleted = 0;
    if !delete.is_empty() {
        match refuse_delete(scanned.local.unreadable, report.failed()) {
            Some(why) => report.fail(OTHER, &Error::new(ErrorKind::Usage, why)),
            None => deleted = upload.remove(&delete, &remote)?,
        }
    }
    tail(ctx, scanned.unchanged, upload.made, deleted, &links);
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
    let mut plan = plan(&remote, &local, args);
    if args.dry_run {
        // The plan is printed whole: hash now.
        let check = std::mem::take(&mut plan.check);
        let changed = changed_content(&check, &remote, dst_dir);
        plan.unchanged += check.len() - changed.len();
        plan.send.extend(changed.into_iter().map(|rel| (rel, false)));
        plan.send.sort();
    }
    let bytes: u64 = plan.send.iter().map(|(rel, _)| remote.items[rel].size).sum();
    let (report, other) = begin(ctx, &plan, bytes, &notes, &errors);
    // What DST could not show is not known to be absent from it: delete nothing then either.
    if args.dry_run {
        return dry_run(&report, other, &plan, &local, args, local.unreadable);
    }
    on_interrupt();
    let itemize = Itemize::new(ctx, &report);
    let path_of = |rel: &FileName| dst_dir.join(rel.as_str());
    let is_dir = |rel: &FileName| local.items.get(rel).is_some_and(|i| i.kind == Kind::Dir);
    std::fs::create_dir_all(dst_dir)
        .map_err(|e| Error::io(format!("cannot create the directory {}", dst_dir.display()), &e))?;
    for rel in &plan.clear {
        match remove_local(&path_of(rel)) {
            Ok(()) => itemize.done('-', rel, is_dir(rel)),
            Err(e) => report.fail(other, &e),
        }
    }
    for rel in &plan.dirs {
        let path = path_of(rel);
        // A name this system cannot hold is refused, not made under another name.
        if let Err(e) = crate::localname::check_dir(&path, cfg!(windows)) {
            report.fail(other, &e);
            continue;
        }
        match std::fs::create_dir_all(&path) {
            Ok(()) => itemize.done('+', rel, true),
            Err(e) => report.fail(
                other,
                &Error::io(format!("cannot create the directory {}", path.display()), &e),
            ),
        }
    }
    // With -c, the local files of the same size are hashed on a thread of their own while the
    // files known to be new or changed are fetched; those whose content differs follow.
    let check = std::mem::take(&mut plan.check);
    // Each path with `true` when DST lacks it (else it changed).
    let fetch = |client: &mut Client, rels: &[(FileName, bool)], first: usize| {
        let mut jobs = Vec::with_capacity(rels.len());
        let mut items = Vec::with_capacity(rels.len());
        let mut marks = Vec::with_capacity(rels.len());
        for (k, (rel, new)) in rels.iter().enumerate() {
            match FileName::join(src, rel) {
                Ok(name) => {
                    jobs.push(GetJob {
                        name,
                        sink: Sink::File {
                            target: path_of(rel),
                            force: true,
                        },
                    });
                    items.push(first + k);
                    marks.push((if *new { '+' } else { '~' }, rel.clone()));
                }
                Err(e) => report.fail(first + k, &e),
            }
        }
        if !jobs.is_empty() {
            let listed = Listed {
                items: Items {
                    report: &report,
                    items,
                },
                marks,
                itemize: &itemize,
            };
            client.get(&jobs, false, &listed);
        }
    };
    let known = plan.send.clone();
    let changed = std::thread::scope(|scope| {
        let hasher = scope.spawn(|| changed_content(&check, &remote, dst_dir));
        fetch(&mut client, &known, 0);
        hasher.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    plan.unchanged += check.len() - changed.len();
    if !changed.is_empty() && crate::signals::interrupted().is_none() {
        report.grow(
            changed.len(),
            changed.iter().map(|rel| remote.items[rel].size).sum(),
        );
        // After every item the report knew of when it began.
        let changed: Vec<(FileName, bool)> = changed.into_iter().map(|rel| (rel, false)).collect();
        fetch(&mut client, &changed, other + 1);
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
                        Ok(()) => {
                            deleted += 1;
                            itemize.done('-', rel, is_dir(rel));
                        }
                        Err(e) => report.fail(other, &e),
                    }
                }
            }
        }
    }
    tail(ctx, plan.unchanged, plan.dirs.len(), deleted, &Links::default());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The sender gets the first steps while the scan is still going: here the scan does not go
    /// on until the first batch has been handed on, so a sender that waited for the whole scan
    /// would never see it (the scan gives up after a long bound and says so).
    #[test]
    fn batches_go_out_while_the_scan_is_still_running() {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let scanner = std::thread::spawn(move || {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
            // Goes on only once the sender has the first steps.
            let went = go_rx.recv_timeout(Duration::from_secs(60)).is_ok();
            tx.send(3).unwrap();
            went
        });
        let mut seen = Vec::new();
        batches(&rx, BATCH, &mut |batch| {
            seen.push(batch);
            let _ = go_tx.send(());
            true
        });
        assert!(
            scanner.join().unwrap(),
            "the first batch was not handed on during the scan"
        );
        // Everything arrives, in order; the first steps before the last was found.
        assert_eq!(seen.concat(), vec![1, 2, 3]);
        assert!(!seen[0].contains(&3), "{seen:?}");
    }

    /// Steps that wait are sent together, at most `max` to a batch, and the sender can stop.
    #[test]
    fn waiting_steps_make_one_batch_of_at_most_max_and_false_stops() {
        let (tx, rx) = mpsc::sync_channel(16);
        for k in 0..10 {
            tx.send(k).unwrap();
        }
        drop(tx);
        let mut seen = Vec::new();
        batches(&rx, 4, &mut |batch| {
            seen.push(batch);
            true
        });
        assert_eq!(seen, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);

        let (tx, rx) = mpsc::sync_channel(16);
        for k in 0..10 {
            tx.send(k).unwrap();
        }
        let mut calls = 0;
        batches(&rx, 3, &mut |_| {
            calls += 1;
            false
        });
        assert_eq!(calls, 1);
    }
}
