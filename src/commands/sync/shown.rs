//! What `nf sync` says: the plan that `-n` prints, the same lines for what a real run did
//! (itemized, with `-v` or when stdout is a terminal), and the line before the summary, which
//! counts what was left alone, the symbolic links skipped among it (once per run, named with
//! `-v`). Lines go to stdout (the plan and the itemized list are data) or stderr (the rest).

use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Kind, Plan, Tree};
use crate::client::{Done, Progress};
use crate::commands::{Context, Items};
use crate::error::Result;
use crate::name::{printable, FileName};
use crate::progress::Report;

/// One line of the plan or of the itemized list: `+ new`, `~ changed`, `- deleted`, with a
/// trailing `/` for a directory.
fn line(mark: char, rel: &FileName, dir: bool) -> String {
    let line = format!("{mark} {}{}", rel.as_str(), if dir { "/" } else { "" });
    format!("{}\n", printable(&line))
}

/// The plan as `-n` prints it: one line per action.
pub(super) fn print_plan(plan: &Plan, dst: &Tree, delete_refused: Option<&str>) -> Result<()> {
    let is_dir = |rel: &FileName| dst.items.get(rel).is_some_and(|i| i.kind == Kind::Dir);
    let mut out = String::new();
    for rel in &plan.clear {
        out.push_str(&line('-', rel, is_dir(rel)));
    }
    for rel in &plan.dirs {
        out.push_str(&line('+', rel, true));
    }
    for (rel, new) in &plan.send {
        out.push_str(&line(if *new { '+' } else { '~' }, rel, false));
    }
    if delete_refused.is_none() {
        for rel in &plan.delete {
            out.push_str(&line('-', rel, is_dir(rel)));
        }
    }
    crate::output::print(&out)
}

/// The itemized list of what a run did, in the lines of the plan, printed as each action
/// succeeds (as `rsync -i` does): on when `-v` is given or stdout is a terminal, never with
/// `-q`.
pub(super) struct Itemize<'a> {
    on: bool,
    /// Whose bars are put aside while a line is printed (the same terminal, often).
    report: &'a Report,
}

impl Itemize<'_> {
    pub(super) fn new<'a>(ctx: &Context, report: &'a Report) -> Itemize<'a> {
        Itemize {
            on: !ctx.quiet && (ctx.verbose || std::io::stdout().is_terminal()),
            report,
        }
    }

    /// Says that `rel` was sent (`+` new, `~` changed), made (`+ dir/`) or removed (`-`).
    pub(super) fn done(&self, mark: char, rel: &FileName, dir: bool) {
        if self.on {
            // A reader of stdout that went away does not stop the sync.
            self.report.suspended(|| {
                let _ = crate::output::print(&line(mark, rel, dir));
            });
        }
    }
}

/// The progress of a batch of transfers that also itemizes each one that succeeded: job `k`
/// is `marks[k]` (its mark and path below the tree).
pub(super) struct Listed<'a> {
    pub items: Items<'a>,
    pub marks: Vec<(char, FileName)>,
    pub itemize: &'a Itemize<'a>,
}

impl Progress for Listed<'_> {
    fn begin(&self, k: usize, name: &str, total: Option<u64>, done: u64) {
        self.items.begin(k, name, total, done);
    }
    fn advance(&self, k: usize, bytes: u64) {
        self.items.advance(k, bytes);
    }
    fn end(&self, k: usize, result: &Result<Done>) {
        if matches!(result, Ok(done) if !done.already) {
            let (mark, rel) = &self.marks[k];
            self.itemize.done(*mark, rel, false);
        }
        self.items.end(k, result);
    }
    fn note(&self, k: usize, text: &str) {
        self.items.note(k, text);
    }
}

/// The symbolic links a scan of a local SRC skipped (without `-L`), said once per run.
#[derive(Default)]
pub(super) struct Links(pub Vec<PathBuf>);

impl Links {
    /// `; 2 symbolic links skipped (-L follows them)`, empty when none were; with `-v`, the
    /// links are named first, one line each.
    fn said(&self, ctx: &Context) -> String {
        let links = &self.0;
        if ctx.verbose {
            for path in links {
                eprintln!(
                    "{}",
                    printable(&format!("nf: skipped the symbolic link {}", path.display()))
                );
            }
        }
        match links.len() {
            0 => String::new(),
            1 => "; 1 symbolic link skipped (-L follows it)".to_string(),
            n => format!("; {n} symbolic links skipped (-L follows them)"),
        }
    }

    /// For `-n`, which has no such line: the same words as a note.
    pub(super) fn note(&self, ctx: &Context) {
        let said = self.said(ctx);
        if let (Some(said), false) = (said.strip_prefix("; "), ctx.quiet) {
            eprintln!("nf: {said}");
        }
    }
}

/// The line before the transfers' summary.
pub(super) fn tail(ctx: &Context, unchanged: usize, made: usize, deleted: usize, links: &Links) {
    if !ctx.quiet {
        eprintln!(
            "{unchanged} unchanged, {made} director{} made, {deleted} deleted{}",
            if made == 1 { "y" } else { "ies" },
            links.said(ctx)
        );
    }
}
