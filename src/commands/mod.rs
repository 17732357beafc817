//! One file per subcommand: each turns its arguments into client or server calls and the
//! results into terminal output. No socket code lives here.

mod completions;
mod config;
mod get;
mod ls;
mod put;
mod rm;
mod serve;

use crate::cli::{Cli, ClientArgs, Command, ConfigArgs, ServeArgs, StoreArg};
use crate::client::Client;
use crate::config::{flag_sets, Config, ReadBy};
use crate::error::{Error, Result};

/// What every command gets: the effective config and the output switches.
pub struct Context {
    pub config: Config,
    pub quiet: bool,
    pub verbose: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    tune_allocator();
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
        Command::Serve(_) => serve::run(&ctx),
        Command::Put(args) => put::run(&ctx, args),
        Command::Get(args) => get::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::Rm(args) => rm::run(&ctx, args),
        Command::Config(_) => config::show(&ctx),
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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// The config keys a command reads: a bad value of another key does not stop it.
fn keys_read_by(command: &Command) -> ReadBy {
    match command {
        Command::Serve(_) => ReadBy::Server,
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
        Command::Serve(a) => serve(a, &mut flags),
        Command::Put(a) => client(&a.client, &mut flags),
        Command::Get(a) => client(&a.client, &mut flags),
        Command::Ls(a) => client(&a.client, &mut flags),
        Command::Rm(a) => client(&a.client, &mut flags),
        Command::Config(a) => {
            client(&a.client, &mut flags);
            serve(&a.serve, &mut flags);
        }
        Command::Completions(_) => {}
    }
    flags
}

impl Context {
    /// Connects to the configured server.
    pub fn connect(&self) -> Result<Client> {
        Client::connect(
            &self.config.server,
            self.config.idle_timeout,
            self.config.token.as_deref(),
        )
    }
}

/// Prints each failed item's error and returns the first one as already reported, so that the
/// exit code follows it without printing it twice.
pub fn report_failures<T>(results: &[Result<T>]) -> Result<()> {
    let mut first = None;
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        eprintln!("nf: error: {err}");
        first.get_or_insert(err.kind);
    }
    match first {
        Some(kind) => Err(Error::reported(kind)),
        None => Ok(()),
    }
}

/// On Ctrl-C or SIGTERM during a transfer: say what was kept and how to continue, exit 130.
pub fn interrupt_message(what: &'static str) {
    crate::signals::on_stop(move |sig| {
        eprintln!("\nnf: interrupted by {}: {what}", crate::signals::name(sig));
        std::process::exit(130);
    });
}

/// Ends a transfer: clears the bars, prints the one-line summary (unless quiet, or nothing
/// succeeded), then each failure; the exit code follows the first failure.
pub fn finish(
    ctx: &Context,
    verb: &str,
    results: &[Result<crate::protocol::FileInfo>],
    bars: &crate::progress::Bars,
) -> Result<()> {
    bars.clear();
    let (files, bytes) = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .fold((0, 0), |(n, b), f| (n + 1, b + f.size));
    if !ctx.quiet && (files > 0 || results.is_empty()) {
        eprintln!("{}", crate::progress::summary(verb, files, bytes, bars.elapsed()));
    }
    report_failures(results)
}
