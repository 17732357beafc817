//! One file per subcommand: each turns its arguments into client or server calls and the
//! results into terminal output. No socket code lives here.

mod get;
mod ls;
mod put;
mod rm;
mod serve;

use crate::cli::{Cli, ClientArgs, Command};
use crate::client::Client;
use crate::config::Config;
use crate::error::{Error, Result};

/// What every command gets: the effective config and the output switches.
pub struct Context {
    pub config: Config,
    pub quiet: bool,
    pub verbose: bool,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let flags = flags_of(&cli.command);
    let config = Config::load(cli.config.as_deref(), &|v| std::env::var(v).ok(), &flags)?;
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
    }
}

/// The config keys set by command-line flags.
fn flags_of(command: &Command) -> Vec<(&'static str, String)> {
    let mut flags = Vec::new();
    let client = |c: &ClientArgs, flags: &mut Vec<(&'static str, String)>| {
        if let Some(s) = &c.server {
            flags.push(("server", s.clone()));
        }
    };
    match command {
        Command::Serve(a) => {
            if let Some(l) = &a.listen {
                flags.push(("listen", l.clone()));
            }
            if let Some(r) = &a.root {
                flags.push(("root", r.to_string_lossy().to_string()));
            }
            if a.no_compat {
                flags.push(("compat", "false".to_string()));
            }
        }
        Command::Put(a) => client(&a.client, &mut flags),
        Command::Get(a) => client(&a.client, &mut flags),
        Command::Ls(a) => client(&a.client, &mut flags),
        Command::Rm(a) => client(&a.client, &mut flags),
    }
    flags
}

impl Context {
    /// Connects to the configured server.
    pub fn connect(&self) -> Result<Client> {
        Client::connect(&self.config.server, self.config.idle_timeout, None)
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
