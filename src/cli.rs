//! The one clap tree. Every flag and help text of nf is defined here; completions and man
//! pages are generated from it. Parsing only: no I/O, no config lookups.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A fast, safe network file tool.
#[derive(Debug, Parser)]
#[command(
    name = "nf",
    version,
    about = "A fast, safe network file tool",
    long_about = "nf moves files between machines over TCP: `nf serve` keeps files in a storage \
                  directory; `nf put`, `nf get`, `nf ls` and `nf rm` talk to it. Every transfer \
                  is streamed, checked end to end with BLAKE3, committed atomically, and resumable.",
    arg_required_else_help = true,
    propagate_version = true
)]
pub struct Cli {
    /// Read this config file instead of the default one.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "PATH",
        env = "NF_CONFIG",
        global = true
    )]
    pub config: Option<PathBuf>,

    /// Print nothing but data and errors (no progress, no summary, no server log).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail (the server logs connections too).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the file server.
    #[command(
        long_about = "Run the file server: listen on an address and keep files in a storage \
                      directory. Logs one line per request to stderr. Stops cleanly on Ctrl-C or \
                      SIGTERM; an upload cut off by the stop is kept as a partial for --resume.",
        after_help = "Examples:\n  nf serve\n  nf serve --listen 0.0.0.0:8889 --root /srv/files"
    )]
    Serve(ServeArgs),

    /// Upload files.
    #[command(
        long_about = "Upload one or many files over one connection. Each file is stored under \
                      its base name (or --as NAME), verified with BLAKE3 and made visible only \
                      when complete. An existing name is an error unless --force.",
        after_help = "Examples:\n  nf put corona.jpg\n  nf put photos/*.jpg -s fileserver:8889\n  nf put big.iso --resume"
    )]
    Put(PutArgs),

    /// Download files.
    #[command(
        long_about = "Download one or many files into the current directory, or to -o PATH. A \
                      download is written beside its target and renamed into place only when \
                      complete and verified; a local file is never overwritten without --force.",
        after_help = "Examples:\n  nf get coronaa.pdf\n  nf get a.txt b.txt -o downloads/\n  nf get notes.txt -o - | less"
    )]
    Get(GetArgs),

    /// List stored files.
    #[command(
        long_about = "List the files on the server as a table of name, size and modification time \
                      (UTC), sorted by name, or as JSON with --json.",
        after_help = "Examples:\n  nf ls\n  nf ls '*.jpg'\n  nf ls --json | jq '.[].name'"
    )]
    Ls(LsArgs),

    /// Delete stored files.
    #[command(
        long_about = "Delete files on the server.",
        after_help = "Examples:\n  nf rm old.log\n  nf rm a.txt b.txt"
    )]
    Rm(RmArgs),
}

/// Flags every client command shares.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Server address, HOST:PORT [default: 127.0.0.1:8889].
    #[arg(short = 's', long = "server", value_name = "ADDR")]
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8889].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Storage directory [default: ~/.local/share/nf/files].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Do not answer the old classroom clients (text dialects); same as `compat = false`.
    #[arg(long)]
    pub no_compat: bool,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    /// Files to upload.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Store the file under this name (only with one file).
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,

    /// Overwrite files that already exist on the server.
    #[arg(short, long)]
    pub force: bool,

    /// Continue interrupted uploads from where they stopped.
    #[arg(long)]
    pub resume: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Names of the files to download.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,

    /// Where to write: a directory, a file name (one NAME), or - for standard output.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Overwrite local files that already exist.
    #[arg(short, long)]
    pub force: bool,

    /// Continue interrupted downloads from where they stopped.
    #[arg(long)]
    pub resume: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print a JSON array of {name, size, modified, blake3} objects.
    #[arg(long)]
    pub json: bool,

    /// Only names matching this glob (*, ?, [abc]).
    #[arg(value_name = "PATTERN")]
    pub pattern: Option<String>,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Names of the files to delete.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
