//! The one clap tree. Every flag and help text of nf is defined here; completions and man
//! pages are generated from it. Parsing only: no I/O, no config lookups.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueHint};
pub use clap_complete::Shell;

/// A fast, safe network file tool.
#[derive(Debug, Parser)]
#[command(
    name = "nf",
    version,
    about = "A fast, safe network file tool",
    long_about = "nf moves files between machines over TCP: `nf serve` keeps files in a storage \
                  directory; `nf put`, `nf get`, `nf ls` and `nf rm` talk to it. Every transfer \
                  is streamed, checked end to end with BLAKE3, committed atomically, and resumable.",
    after_help = "Examples:\n  nf serve\n  nf put corona.jpg -s fileserver:8889\n  nf ls --json | jq '.[].name'",
    propagate_version = true
)]
pub struct Cli {
    /// Read this config file instead of the default one.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "PATH",
        env = "NF_CONFIG",
        value_hint = ValueHint::FilePath,
        global = true
    )]
    pub config: Option<PathBuf>,

    /// Print nothing but data and errors (no progress, no summary, no server log).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail: one line per file transferred; the server logs connections too.
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
    Serve(ServeCommand),

    /// Upload files.
    #[command(
        long_about = "Upload one or many files over one connection. Each file is stored under \
                      its base name (or --as NAME), verified with BLAKE3 and made visible only \
                      when complete. An existing name is an error unless --force. FILE may be - \
                      (standard input, which needs --as) or anything else that is not a regular \
                      file (a pipe, a FIFO, <(command), a character device): it is read to its \
                      end and stored whole. Such a stream cannot be resumed. Every FILE is tried: \
                      each failure gets its own error line and the summary comes last.",
        after_help = "Examples:\n  nf put photos/*.jpg -s fileserver:8889\n  nf put big.iso --resume\n  tar c photos | nf put - --as photos.tar"
    )]
    Put(PutArgs),

    /// Download files.
    #[command(
        long_about = "Download one or many files into the current directory, or to -o PATH. A \
                      download is written beside its target and renamed into place only when \
                      complete and verified; a local file is never overwritten without --force. \
                      A NAME that names no file but holds *, ? or [ is a pattern the server \
                      expands (quote it so your shell does not). Every NAME is tried: each \
                      failure gets its own error line and the summary comes last.",
        after_help = "Examples:\n  nf get a.txt b.txt -o downloads/\n  nf get '*.pdf' -o pdfs/\n  nf get notes.txt -o - | less"
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
        long_about = "Delete files on the server. A NAME that names no file but holds *, ? or [ \
                      is a pattern the server expands (an exact name always wins). A name that \
                      does not exist is reported (exit code 3) and the other names are still \
                      deleted.",
        after_help = "Examples:\n  nf rm old.log\n  nf rm a.txt b.txt -s fileserver:8889\n  nf rm '*.tmp'"
    )]
    Rm(RmArgs),

    /// Show stored files by exact name.
    #[command(
        long_about = "Show the size, modification time (UTC) and BLAKE3 of stored files by their \
                      exact names, with no glob matching (so `nf stat 'report [1].txt'` finds that \
                      file), as a table or as JSON with --json (the objects `nf ls --json` prints). \
                      A name with no file is reported (exit code 3) and the others are still shown.",
        after_help = "Examples:\n  nf stat big.iso\n  nf stat 'report [1].txt' --json | jq -r '.[0].blake3'"
    )]
    Stat(StatArgs),

    /// Show, locate or create the config file.
    #[command(
        long_about = "Print the effective configuration as TOML, each value followed by a comment \
                      saying where it came from: a flag, an environment variable, the config \
                      file, or the built-in default. Flags given here (-s and the `nf serve` flags) show \
                      what they would change. `nf config path` prints the config file nf reads; \
                      `nf config init` writes a commented starting file there.",
        after_help = "Examples:\n  nf config\n  nf config init && $EDITOR \"$(nf config path)\"\n  NF_SERVER=backup:8889 nf config",
        args_conflicts_with_subcommands = true
    )]
    Config(ConfigArgs),

    /// Print a shell completion script.
    #[command(
        long_about = "Print the completion script for SHELL on standard output, generated from \
                      nf's own command-line definition. Save it where your shell looks for \
                      completions (README.md, \"Shell completions and man pages\", says where).",
        after_help = "Examples:\n  nf completions bash > ~/.local/share/bash-completion/completions/nf\n  nf completions zsh > ~/.zfunc/_nf\n  nf completions fish > ~/.config/fish/completions/nf.fish"
    )]
    Completions(CompletionsArgs),
}

/// Flags every client command shares.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Server address, HOST:PORT [default: 127.0.0.1:8889].
    #[arg(short = 's', long = "server", value_name = "ADDR", value_hint = ValueHint::Other)]
    pub server: Option<String>,

    /// Use TLS: auto (to every server not on loopback), always or never [default: auto].
    #[arg(long, value_name = "WHEN", value_parser = ["auto", "always", "never"])]
    pub tls: Option<String>,

    /// The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`).
    #[arg(long, value_name = "SHA256")]
    pub fingerprint: Option<String>,
}

/// `nf serve`: its settings, and what only it does.
#[derive(Debug, Args)]
pub struct ServeCommand {
    #[command(flatten)]
    pub serve: ServeArgs,

    /// Print the server's TLS identity (sha256//BASE64, the fingerprint clients pin) and exit.
    #[arg(long = "fingerprint")]
    pub show_fingerprint: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8889].
    #[arg(long, value_name = "ADDR", value_hint = ValueHint::Other)]
    pub listen: Option<String>,

    /// Storage directory [default: ~/.local/share/nf/files].
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub root: Option<PathBuf>,

    /// Serve files but refuse put and rm.
    #[arg(long)]
    pub read_only: bool,
    /// Do not answer the old classroom clients (text dialects); same as `compat = false`.
    #[arg(long)]
    pub no_compat: bool,

    /// Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the
    /// local directory (local) [default: local].
    #[arg(long, value_name = "STORE", value_parser = parse_store, value_hint = ValueHint::Other)]
    pub store: Option<StoreArg>,

    /// URL of the object store, such as http://127.0.0.1:8333 [default: AWS].
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub s3_endpoint: Option<String>,
}

/// The value of `nf serve --store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreArg {
    Local,
    S3 { bucket: String, prefix: String },
}

fn parse_store(text: &str) -> Result<StoreArg, String> {
    if text == "local" {
        return Ok(StoreArg::Local);
    }
    let (bucket, prefix) = crate::store::S3Location::parse_url(text)
        .map_err(|why| format!("{why}; expected s3://BUCKET[/PREFIX] or local"))?;
    Ok(StoreArg::S3 { bucket, prefix })
}

#[derive(Debug, Args)]
pub struct PutArgs {
    /// Files to upload; - reads standard input (give --as).
    #[arg(required = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,

    /// Store the file under this name (only with one file).
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,

    /// Overwrite files that already exist on the server.
    #[arg(short, long)]
    pub force: bool,

    /// Continue interrupted uploads from where they stopped; a file the server already holds
    /// whole is done at once. Streams (-, pipes) cannot be resumed.
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

    /// Where to write: a directory (created if PATH ends with /), a file name (one NAME), or -
    /// for standard output.
    #[arg(short, long, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub output: Option<PathBuf>,

    /// Overwrite local files that already exist.
    #[arg(short, long)]
    pub force: bool,

    /// Continue interrupted downloads from where they stopped; a local file that already holds
    /// the server's content is done at once.
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
pub struct StatArgs {
    /// Exact names of stored files.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,

    /// Print a JSON array of {name, size, modified, blake3} objects.
    #[arg(long)]
    pub json: bool,

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

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: Option<ConfigAction>,

    #[command(flatten)]
    pub client: ClientArgs,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the path of the config file nf reads.
    #[command(
        long_about = "Print the path of the config file nf reads: the one given with --config or \
                      NF_CONFIG, otherwise config.toml in the platform config directory \
                      ($XDG_CONFIG_HOME/nf, ~/.config/nf on Linux). The file need not exist.",
        after_help = "Examples:\n  nf config path\n  $EDITOR \"$(nf config path)\""
    )]
    Path,

    /// Write a commented config file.
    #[command(
        long_about = "Write a commented config file listing every key with its built-in default \
                      (the same text as config.example.toml) to the path `nf config path` \
                      prints, creating its directory. An existing file is kept unless --force.",
        after_help = "Examples:\n  nf config init\n  nf config init --force\n  nf -c ./nf.toml config init"
    )]
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite the config file if it already exists.
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// The short usage `nf` prints when run without arguments: what nf is, the usage line and the
/// commands.
pub fn short_usage() -> String {
    let mut cmd = Cli::command();
    let usage = cmd.render_usage().to_string();
    let commands: Vec<&str> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| c.get_name())
        .collect();
    format!(
        "{}.\n\n{usage}\n\nCommands: {}\nRun `nf --help` for more, or `nf COMMAND --help` for one command.\n",
        cmd.get_about().map(|a| a.to_string()).unwrap_or_default(),
        commands.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clap_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
