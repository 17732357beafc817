//! One file per subcommand: each turns its arguments into client or server calls and the
//! results into terminal output. No socket code lives here.

mod access;
mod completions;
mod config;
mod get;
mod ls;
mod mkdir;
mod mv;
mod put;
mod put_receipts;
mod receipt;
mod receipts;
mod rm;
mod serve;
mod share;
mod stat;
mod sync;
mod user;

use crate::cli::{Cli, ClientArgs, Command, ConfigArgs, ServeArgs, StoreArg};
use crate::client::{Client, Done, Login, Progress, Target};
use crate::config::{flag_sets, Config, ReadBy};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};
use crate::output;
use crate::progress::{Report, Verbosity};

/// What every command gets: the effective config and the output switches.
pub struct Context {
    pub config: Config,
    pub quiet: bool,
    pub verbose: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    tune_allocator();
    // A file-size limit (`ulimit -f`) fails a download's writes with a clear error instead of
    // killing the client.
    crate::sys::ignore_sigxfsz();
    // These work whatever the config file holds: shell start-up files run `nf completions`,
    // and `nf config init -f` must be able to replace a broken file.
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Config(ConfigArgs {
            action: Some(action), ..
        }) => return config::run_action(cli.config.as_deref(), action, cli.quiet),
        _ => {}
    }
    let flags = flags_of(&cli.command);
    let reads = keys_read_by(&cli.command);
    let config = Config::load(cli.config.as_deref(), &|v| std::env::var(v).ok(), &flags, reads)?;
    let ctx = Context {
        config,
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    match cli.command {
        Command::Serve(args) => serve::run(&ctx, &args),
        Command::Put(args) => put::run(&ctx, args),
        Command::Get(args) => get::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::Rm(args) => rm::run(&ctx, args),
        Command::Mkdir(args) => mkdir::run(&ctx, args),
        Command::Mv(args) => mv::run(&ctx, args),
        Command::Stat(args) => stat::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Config(_) => config::show(&ctx),
        Command::User(args) => user::run(&ctx, &args.action),
        Command::Access(args) => access::run(&ctx, &args.action),
        Command::Receipt(args) => receipt::run(&ctx, &args),
        Command::Receipts(args) => receipts::run(&ctx, args),
        Command::Share(args) => share::run(&ctx, args),
        Command::Completions(_) => unreachable!("handled before loading the config"),
    }
}

/// Sets glibc's mmap threshold to a fixed 1 MiB, before any thread starts.
///
/// The server: buffers of 1 MiB and more go back to the system when freed. Large transfers
/// hold such buffers (the 1 MiB blocks of direct writes, the object store's 8 MiB upload
/// parts), often freed on other threads than the ones that allocated them; by default glibc
/// raises its threshold after such frees and then keeps the memory in per-thread arenas, so
/// the server's resident size would stay at the peak of its busiest moment (32 concurrent
/// 64 MiB uploads: 65 MiB peak, 48 MiB left resident, against 50 and 30 without direct writes).
///
/// The client: its 256 KiB socket buffers come from the heap instead of an `mmap` and
/// `munmap` each, which takes about 40 µs (3 %) off a one-file `nf get` (bench/RESULTS.md).
fn tune_allocator() {
    crate::sys::set_mmap_threshold(1 << 20);
}

/// The config keys a command reads: a bad value of another key does not stop it.
fn keys_read_by(command: &Command) -> ReadBy {
    match command {
        // The access file is the server's: `nf user` and `nf access` edit and explain it.
        Command::Serve(_) | Command::User(_) | Command::Access(_) => ReadBy::Server,
        Command::Config(_) => ReadBy::Both,
        _ => ReadBy::Client,
    }
}

/// The config keys set by command-line flags; `config::flag_sets` finds the keys a flag sets in
/// the definitions.
fn flags_of(command: &Command) -> Vec<(&'static str, String)> {
    let mut flags = Vec::new();
    let client = |c: &ClientArgs, flags: &mut Vec<(&'static str, String)>| {
        if let Some(s) = &c.server {
            flags.extend(flag_sets("--server", &[s]));
        }
        if let Some(t) = &c.tls {
            flags.extend(flag_sets("--tls", &[t]));
        }
        if let Some(f) = &c.fingerprint {
            flags.extend(flag_sets("--fingerprint", &[f]));
        }
        if let Some(u) = &c.user {
            flags.extend(flag_sets("--user", &[u]));
        }
    };
    let serve = |a: &ServeArgs, flags: &mut Vec<(&'static str, String)>| {
        if let Some(l) = &a.listen {
            flags.extend(flag_sets("--listen", &[l]));
        }
        if let Some(r) = &a.root {
            flags.extend(flag_sets("--root", &[&r.to_string_lossy()]));
        }
        if a.read_only {
            flags.extend(flag_sets("--read-only", &[]));
        }
        if a.no_compat {
            flags.extend(flag_sets("--no-compat", &[]));
        }
        match &a.store {
            Some(StoreArg::Local) => flags.extend(flag_sets("--store", &["local"])),
            Some(StoreArg::S3 { bucket, prefix }) => {
                flags.extend(flag_sets("--store", &["s3", bucket, prefix]));
            }
            None => {}
        }
        if let Some(url) = &a.s3_endpoint {
            flags.extend(flag_sets("--s3-endpoint", &[url]));
        }
    };
    match command {
        Command::Serve(a) => serve(&a.serve, &mut flags),
        Command::Put(a) => client(&a.client, &mut flags),
        Command::Get(a) => client(&a.client, &mut flags),
        Command::Ls(a) => client(&a.client, &mut flags),
        Command::Rm(a) => client(&a.client, &mut flags),
        Command::Mkdir(a) => client(&a.client, &mut flags),
        Command::Mv(a) => client(&a.client, &mut flags),
        Command::Stat(a) => client(&a.client, &mut flags),
        Command::Sync(a) => client(&a.client, &mut flags),
        Command::Receipts(a) => client(&a.client, &mut flags),
        Command::Share(a) => client(share::client_args(a), &mut flags),
        Command::Config(a) => {
            client(&a.client, &mut flags);
            serve(&a.serve, &mut flags);
        }
        Command::Completions(_) | Command::User(_) | Command::Access(_) | Command::Receipt(_) => {}
    }
    flags
}

impl Context {
    /// How to reach the configured server (asking for the password of `user` on the terminal
    /// when none is set).
    pub fn target(&self) -> Result<Target> {
        Ok(Target {
            login: self.login()?,
            ..self.target_without_login()
        })
    }

    /// How to reach the configured server, without a user to log in as (nothing is asked).
    pub fn target_without_login(&self) -> Target {
        let c = &self.config;
        Target {
            addr: c.server.clone(),
            timeout: c.idle_timeout,
            token: c.token.clone(),
            login: None,
            tls: c.tls,
            fingerprint: c.fingerprint.clone(),
            known_servers: c.known_servers.clone(),
            link: None,
        }
    }

    /// The user to log in as and their secret: `password` (NF_PASSWORD), or asked without echo.
    fn login(&self) -> Result<Option<Login>> {
        let c = &self.config;
        let Some(user) = c.user.clone() else {
            return Ok(None);
        };
        let secret = match &c.password {
            Some(p) => p.clone(),
            None if crate::prompt::can_ask() => {
                crate::prompt::secret(&format!("password of {user} at {}: ", c.server))?
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!(
                        "no password for user {user} and no terminal to ask it on: set NF_PASSWORD \
                         (or `password` in a config file only you can read)"
                    ),
                ))
            }
        };
        Ok(Some(Login { user, secret }))
    }

    /// Connects to the configured server (saying so when a server is trusted on first use);
    /// an interrupt shuts the connection down.
    pub fn connect(&self) -> Result<Client> {
        self.connect_to(self.target()?)
    }

    /// Connects to `target` (the configured server, or the one a share link names).
    pub fn connect_to(&self, target: Target) -> Result<Client> {
        let (mut client, first_use) = Client::connect(&target)?;
        client.retry_busy_for(self.config.busy_retry);
        if !self.quiet {
            client.on_wait(|why| {
                let why = why.strip_suffix("; try again in a moment").unwrap_or(why);
                eprintln!("nf: waiting: {why}");
            });
        }
        if let (Some(fp), false) = (first_use, self.quiet) {
            eprintln!(
                "nf: trusting {} on first use: its key is {fp} (recorded in {})",
                target.server_key(),
                self.config.known_servers.display()
            );
        }
        if let Ok(sock) = client.shutdown_handle() {
            crate::signals::watch(sock);
        }
        Ok(client)
    }
}

impl Context {
    /// How much the transfer commands say besides errors.
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }

    /// The report of a batch of `files` items: bars when stderr is a terminal.
    /// A report of transfers found as they are sent ([`Report::open_ended`]).
    pub fn report_open_ended(&self) -> Report {
        Report::open_ended(self.verbosity(), output::bars_allowed(self.quiet))
    }

    pub fn report(&self, files: usize, total_bytes: u64) -> Report {
        Report::new(
            self.verbosity(),
            output::bars_allowed(self.quiet),
            files,
            total_bytes,
        )
    }
}

/// Makes Ctrl-C or SIGTERM during a transfer end it at once (see [`crate::signals`]).
pub fn on_interrupt() {
    crate::signals::on_interrupt();
}

/// After a transfer: if a stop signal cut it, the error that says what was kept and how to
/// continue (`main` then re-raises the signal).
pub fn interrupted(what: &str) -> Result<()> {
    match crate::signals::interrupted() {
        Some(sig) => Err(Error::new(
            ErrorKind::Interrupted,
            format!("interrupted by {}: {what}", crate::signals::name(sig)),
        )),
        None => Ok(()),
    }
}

/// Progress of the jobs of a batch, reported against the items (command-line arguments) they
/// came from: job `k` is item `items[k]`.
pub struct Items<'a> {
    pub report: &'a Report,
    pub items: Vec<usize>,
}

impl Progress for Items<'_> {
    fn begin(&self, k: usize, name: &str, total: Option<u64>, done: u64) {
        self.report.begin(self.items[k], name, total, done);
    }
    fn advance(&self, k: usize, bytes: u64) {
        self.report.advance(self.items[k], bytes);
    }
    fn end(&self, k: usize, result: &Result<Done>) {
        self.report.end(self.items[k], result);
    }
    fn note(&self, k: usize, text: &str) {
        self.report.note(self.items[k], text);
    }
}

/// True when `arg` holds a glob character (`*`, `?`, `[`).
pub(super) fn has_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
}

/// The arguments as names ([`FileName::from_user`]), each with the index of its argument; a
/// bad one is reported on `report` and left out.
pub fn parse_names(args: &[String], report: &Report) -> Vec<(usize, FileName)> {
    let mut named = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        match FileName::from_user(arg) {
            Ok(name) => named.push((i, name)),
            Err(e) => report.fail(i, &e),
        }
    }
    named
}

/// The names the arguments of `nf get` or `nf rm` stand for, each with the index of its
/// argument. Arguments are put in NFC and tidied ([`FileName::from_user`]). An exact name
/// always wins; an argument that names nothing but holds glob characters in its last
/// component is a pattern the server expands in its directory (as scp does for remote globs),
/// and one that matches nothing is a not-found error; one with non-ASCII characters that names
/// nothing stands for the entry stored under another spelling of it ([`other_spelling`]), if
/// there is one. Bad arguments are reported on `report` and left out.
pub fn expand_names(client: &mut Client, args: &[String], report: &Report) -> Result<Vec<(usize, FileName)>> {
    let named = parse_names(args, report);
    // A pattern that matches its own spelling is listed at once (its listing shows an exact
    // name too): across a long link that saves the `stat`'s round trip.
    let listed_at_once = |n: &FileName| has_glob(n.leaf()) && matches_itself(n.leaf());
    let asked_at: Vec<usize> = (0..named.len())
        .filter(|&k| {
            let n = &named[k].1;
            !listed_at_once(n) && (has_glob(n.leaf()) || !n.as_str().is_ascii())
        })
        .collect();
    if asked_at.is_empty() && !named.iter().any(|(_, n)| listed_at_once(n)) {
        return Ok(named);
    }
    let asked: Vec<FileName> = asked_at.iter().map(|&k| named[k].1.clone()).collect();
    let held = if asked.is_empty() {
        Vec::new()
    } else {
        client.stat(&asked)?
    };
    let mut out = Vec::with_capacity(named.len());
    let mut asked_now = asked_at.iter().zip(held).peekable();
    for (k, (i, name)) in named.into_iter().enumerate() {
        let Some((_, stat)) = asked_now.next_if(|(&a, _)| a == k) else {
            if listed_at_once(&name) {
                expand_glob(client, i, &name, report, &mut out)?;
            } else {
                out.push((i, name));
            }
            continue;
        };
        match stat {
            Ok((None, _)) if has_glob(name.leaf()) => expand_glob(client, i, &name, report, &mut out)?,
            // Not there: the request itself reports it, unless another spelling is.
            Ok((None, _)) => {
                let found = other_spelling(client, &name)?;
                out.push((i, found.unwrap_or(name)));
            }
            Ok((Some(_), _)) => out.push((i, name)),
            Err(e) => report.fail(i, &e),
        }
    }
    // A file named twice (`a.txt '*.txt'`) is fetched or removed once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|(_, name)| seen.insert(name.clone()));
    Ok(out)
}

/// True when the glob `leaf` matches its own spelling: no class (`[a]` does not match `[a]`)
/// and no escape.
fn matches_itself(leaf: &str) -> bool {
    !leaf.contains(['[', '\\'])
}

/// Adds the names the glob `name` matches in its directory (only `name` itself when it is
/// also an exact name: an exact name always wins); none is a not-found error on `report`.
fn expand_glob(
    client: &mut Client,
    i: usize,
    name: &FileName,
    report: &Report,
    out: &mut Vec<(usize, FileName)>,
) -> Result<()> {
    let matched = match client.list(name.parent().as_ref(), Some(name.leaf())) {
        Ok(m) => m,
        Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    if matched.iter().any(|f| f.name == name.as_str()) {
        out.push((i, name.clone()));
        return Ok(());
    }
    if matched.is_empty() {
        let err = Error::new(
            ErrorKind::NotFound,
            format!("no file named or matching {} on the server", quote(name.as_str())),
        );
        report.fail(i, &err);
    }
    for file in matched {
        match FileName::parse(&file.name) {
            Ok(n) => out.push((i, n)),
            Err(e) => report.fail(i, &e),
        }
    }
    Ok(())
}

/// The stored name that is `name` (in NFC) spelled in another normalization form, when there
/// is exactly one: a file uploaded by an older client from a macOS file name (NFD), or placed
/// on the server by hand. nf's client creates names in NFC, so this is the fallback for an
/// argument whose NFC spelling names nothing. One `list` request of its directory, narrowed
/// by [`spellings`] (only the last component is looked for in other spellings).
pub fn other_spelling(client: &mut Client, name: &FileName) -> Result<Option<FileName>> {
    if name.leaf().is_ascii() {
        return Ok(None);
    }
    let pattern = spellings(name.leaf());
    let pattern = (pattern.len() <= crate::glob::MAX_PATTERN_BYTES).then_some(pattern.as_str());
    let listed = match client.list(name.parent().as_ref(), pattern) {
        Ok(l) => l,
        // A folder that may not be listed (a drop folder) has no other spelling to offer.
        Err(e)
            if matches!(
                e.kind,
                ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Forbidden
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let mut found: Vec<FileName> = listed
        .into_iter()
        .filter(|f| f.name != name.as_str() && crate::name::nfc(&f.name) == name.as_str())
        .filter_map(|f| FileName::parse(&f.name).ok())
        .collect();
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// A glob that matches every spelling of the NFC name `name`: any canonically equivalent
/// string holds the same ASCII characters in the same order (NFC never leaves an ASCII letter
/// that could have composed with what follows), so each run of other characters becomes `*`,
/// and the three ASCII characters that a singleton also normalizes to (K from the Kelvin sign,
/// `;` from the Greek question mark, `` ` `` from the Greek varia) become `?`.
fn spellings(name: &str) -> String {
    let mut pattern = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            'K' | ';' | '`' => pattern.push('?'),
            '*' | '?' | '[' | '\\' => {
                pattern.push('\\');
                pattern.push(c);
            }
            c if c.is_ascii() => pattern.push(c),
            _ if pattern.ends_with('*') && !pattern.ends_with("\\*") => {}
            _ => pattern.push('*'),
        }
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spelling_pattern_matches_every_normalization_of_a_name() {
        let nfc = "Caf\u{e9} [K].txt";
        let pattern = spellings(nfc);
        assert_eq!(pattern, "Caf* \\[?].txt");
        for spelling in [nfc, "Cafe\u{301} [K].txt", "Caf\u{e9} [\u{212a}].txt"] {
            assert!(crate::glob::matches(&pattern, spelling), "{spelling:?}");
        }
        assert_eq!(spellings("\u{1f600}\u{e9}*"), "*\\*");
    }
}
