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
    long_about = "nf moves files and directory trees between machines over TCP: `nf serve` keeps \
                  them in a storage directory; `nf put`, `nf get`, `nf ls`, `nf rm`, `nf mkdir`, \
                  `nf mv` and `nf sync` talk to it. Every transfer is streamed, checked end to end \
                  with BLAKE3, committed atomically, and resumable; times and modes are kept.",
    after_help = "Examples:\n  nf serve\n  nf put -r photos -s fileserver:8889\n  nf ls --json | jq '.[].name'",
    propagate_version = true
)]
pub struct Cli {
    /// Read this config file instead of the default one (long form only: -c is sync's
    /// --checksum, as in rsync and rclone).
    #[arg(
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
                      SIGTERM; an upload cut off by the stop is kept as a partial for --resume. \
                      The access file (users and rules) is re-read on SIGHUP and when it changes.",
        after_help = "Examples:\n  nf serve\n  nf serve --listen 0.0.0.0:8889 --root /srv/files"
    )]
    Serve(ServeCommand),

    /// Upload files and directory trees.
    #[command(
        long_about = "Upload one or many files over one connection. Each file is stored under \
                      its base name (or --as NAME, which may be a path such as docs/a.txt), \
                      verified with BLAKE3 and made visible only when complete, with its \
                      modification time and permission bits. An existing name is an error unless \
                      --force. With -r, each DIRECTORY is stored with everything in it under its \
                      own name, as scp -r does (`nf put -r photos` stores photos/...; a trailing \
                      slash changes nothing), empty directories included; symbolic links in it \
                      are skipped with a warning unless -L. FILE may be - (standard input, which \
                      needs --as) or anything else that is not a regular file (a pipe, a FIFO, \
                      <(command), a character device): it is read to its end and stored whole. \
                      Such a stream cannot be resumed. Every FILE is tried: each failure gets its \
                      own error line and the summary comes last. With --receipt, the server's \
                      signed receipt of each upload is written as it is committed (check it with \
                      nf receipt verify).",
        after_help = "Examples:\n  nf put -r photos -s fileserver:8889\n  nf put big.iso --resume\n  tar c photos | nf put - --as photos.tar"
    )]
    Put(PutArgs),

    /// Download files and directory trees.
    #[command(
        long_about = "Download one or many files into the current directory, or to -o PATH, each \
                      with the modification time and permission bits the server keeps. A \
                      download is written beside its target and renamed into place only when \
                      complete and verified; a local file is never overwritten without --force. \
                      With -r, each directory NAME is fetched with everything in it under its own \
                      name (`nf get -r photos -o backup` makes backup/photos/...), empty \
                      directories included. A NAME that names no file but holds *, ? or [ is a \
                      pattern the server expands in its directory (quote it so your shell does \
                      not). Every NAME is tried: each failure gets its own error line and the \
                      summary comes last.",
        after_help = "Examples:\n  nf get -r photos -o backup\n  nf get 'docs/*.pdf' -o pdfs/\n  nf get notes.txt -o - | less"
    )]
    Get(GetArgs),

    /// List stored files and directories.
    #[command(
        long_about = "List a directory on the server (PATH, or the top) one level deep as a table of \
                      size, modification time (UTC) and name, directories first and marked with a \
                      trailing /; -r lists the whole tree below it, with full paths. PATH may also \
                      be a file, or a pattern (*, ?, [abc]) for the names in its directory. With \
                      --json, a JSON array of {name, type, size, modified, mode, blake3} objects, \
                      name being the full path.",
        after_help = "Examples:\n  nf ls photos\n  nf ls 'photos/*.jpg'\n  nf ls -r --json | jq -r '.[] | select(.type == \"file\") | .name'"
    )]
    Ls(LsArgs),

    /// Delete stored files and directories.
    #[command(
        long_about = "Delete files on the server; with -r, also directories and everything in \
                      them. A NAME that names no file but holds *, ? or [ is a pattern the server \
                      expands in its directory (an exact name always wins). A name that does not \
                      exist is reported (exit code 3) and the other names are still deleted.",
        after_help = "Examples:\n  nf rm old.log -s fileserver:8889\n  nf rm -r photos/2019\n  nf rm 'logs/*.tmp'"
    )]
    Rm(RmArgs),

    /// Create directories.
    #[command(
        long_about = "Create directories on the server, with the missing directories above them \
                      (as mkdir -p). A directory that exists already is fine; a file in the way is \
                      an error (exit code 4).",
        after_help = "Examples:\n  nf mkdir photos/2024\n  nf mkdir inbox outbox"
    )]
    Mkdir(MkdirArgs),

    /// Move or rename a file or directory.
    #[command(
        long_about = "Move or rename a file or a directory on the server. If DST is a directory \
                      (or ends with /), SRC goes into it under its own name. An existing file at \
                      the destination is replaced only with --force; a directory never is. The \
                      directories above the destination are created as needed. Atomic on a \
                      server that stores in a directory; on an object store a copy, then a \
                      delete.",
        after_help = "Examples:\n  nf mv draft.txt final.txt\n  nf mv photos/2024 archive/\n  nf mv -f new.cfg app.cfg"
    )]
    Mv(MvArgs),

    /// Make a tree equal another, sending only what changed.
    #[command(
        long_about = "Make DST's tree equal SRC's: exactly one of them is on the server, written \
                      with a leading : (`nf sync ./site :www` uploads, `nf sync :www ./site` \
                      downloads; `:` alone is the top of the server's tree). Only new and changed \
                      files are sent: changed means the size or the modification time differs, \
                      or with -c/--checksum the BLAKE3 (the server keeps each file's, so it reads nothing). \
                      Times and modes are kept, empty directories made. --delete also removes \
                      what DST has and SRC lacks; it is refused when SRC is empty or anything \
                      could not be read or sent. -n prints the plan, one line per action (+ new, \
                      ~ changed, - deleted; a directory ends with /), and changes nothing. A \
                      real run prints the same lines on stdout for what it did, as each action \
                      succeeds (as rsync -i), when stdout is a terminal or with -v (not with \
                      -q). Symbolic links in a local SRC are skipped unless -L: the line before \
                      the summary counts them once per run, and -v names them.",
        after_help = "Examples:\n  nf sync ./site :www -s fileserver:8889\n  nf sync -n --delete ./site :www\n  nf sync -c :backup ./restore --exclude '*.tmp'"
    )]
    Sync(SyncArgs),

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

    /// Add, change, remove and list the users of the access file.
    #[command(
        long_about = "Manage the users of the access file (the `access_file` key; README.md, \
                      \"Users and rights\"): `add` a user with a password and groups, change a \
                      password with `passwd`, `rm` a user, `ls` the users and their groups (never \
                      a password's hash). A password is read from standard input when it is not a \
                      terminal (one line, as htpasswd -i), else asked twice without echo; \
                      --generate makes a random one and prints it once. The file keeps its \
                      comments, rules and order; it is checked before it is written, written \
                      atomically with mode 0600, and created (with its directory) by the first \
                      `nf user add`. A running `nf serve` picks the change up by itself.",
        after_help = "Examples:\n  nf user add alice --group students\n  echo \"$PASS\" | nf user passwd alice\n  nf user ls --json"
    )]
    User(UserArgs),

    /// Explain what a user may do at a path.
    #[command(
        long_about = "Inspect the access file (the `access_file` key). `nf access check USER PATH` \
                      prints the rights USER (a user's name, or anonymous) has at PATH on the \
                      server, each rule that gives them as FILE:LINE, and whether PATH is hidden \
                      from USER (asking for it answers \"no file named\") or only traversable (a \
                      folder above a grant: listing it shows only the way there).",
        after_help = "Examples:\n  nf access check alice /submissions/alice\n  nf access check anonymous /pub --json"
    )]
    Access(AccessArgs),

    /// Print a shell completion script.
    #[command(
        long_about = "Print the completion script for SHELL on standard output, generated from \
                      nf's own command-line definition. Save it where your shell looks for \
                      completions (README.md, \"Shell completions and man pages\", says where).",
        after_help = "Examples:\n  nf completions bash > ~/.local/share/bash-completion/completions/nf\n  nf completions zsh > ~/.zfunc/_nf\n  nf completions fish > ~/.config/fish/completions/nf.fish"
    )]
    Completions(CompletionsArgs),

    /// Check receipts: what a server signed that it accepted.
    #[command(
        long_about = "Check receipts offline. A receipt (`curl -H 'NF-Receipt: 1' -T FILE URL`) \
                      states a file's name, size, BLAKE3, commit time and who sent it, signed \
                      with the server's identity key. `nf receipt verify` checks the signature \
                      against the fingerprint given with --fingerprint, or else the key recorded \
                      for a server in known_servers; a receipt signed by any other key proves \
                      nothing and is refused. With --file, it also checks that a local file is \
                      the content the receipt states.",
        after_help = "Examples:\n  nf receipt verify essay.receipt.json\n  nf receipt verify r.json --fingerprint sha256//… --file essay.pdf"
    )]
    Receipt(ReceiptArgs),

    /// Share a file or folder by a link that needs no account.
    #[command(
        long_about = "Make a share link to PATH and print its URL (http(s)://HOST:PORT/s/ID; the \
                      host is the server's public_url, else the address nf connected to). \
                      Whoever holds a read link can download the file, or browse and download \
                      the folder (its page, ?json, ?tar), with curl, a browser or `nf get URL`; \
                      an upload link (--upload, to a folder) takes new files only, from its page \
                      or `nf put FILE URL`. A link does what its creator may do now, no more: \
                      you share only what you may read (or write, for --upload). It ends when \
                      it expires, is used up or removed (`nf share rm`), and then answers \
                      410 Gone. `nf share ls` lists your links.",
        after_help = "Examples:\n  nf share report.pdf --expires 7d\n  nf share photos/2024 --max-uses 10 --qr\n  nf share --upload submissions/week3 --expires 2d",
        args_conflicts_with_subcommands = true
    )]
    Share(ShareArgs),
    /// List the uploads the server recorded: what arrived when.
    #[command(
        long_about = "List the uploads the server recorded (its receipt store) under PATH, or \
                      everywhere: those in folders you may list (a teacher's view of \
                      submissions/), and your own wherever they are (a student's hand-ins, even \
                      in a drop folder that cannot be listed), in order of commit time, as a \
                      table of time (UTC), who sent it, size, the start of its BLAKE3 and path. \
                      With --json, one signed receipt per line, each exactly what \
                      nf receipt verify reads (signed now by the server's key: the same fields, \
                      the same proof). --since keeps those committed at or after a time; --who \
                      those one user sent.",
        after_help = "Examples:\n  nf receipts submissions/\n  nf receipts --since 2026-12-01 --who alice\n  nf receipts submissions --json > arrived.jsonl"
    )]
    Receipts(ReceiptsArgs),
}

#[derive(Debug, Args)]
pub struct ReceiptsArgs {
    /// A folder or file on the server (default: everywhere).
    #[arg(value_name = "PATH")]
    pub path: Option<String>,

    /// Print one signed receipt (a JSON object) per line instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Only uploads committed at or after TIME: RFC 3339 (2026-12-20T23:59:00Z, or with
    /// +01:00), a day in UTC (2026-12-20), or an age (30m, 12h, 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only uploads sent by this user (or anonymous).
    #[arg(long, value_name = "NAME")]
    pub who: Option<String>,

    #[command(flatten)]
    pub client: ClientArgs,
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

    /// Log in as this user (password from NF_PASSWORD, or asked on the terminal).
    #[arg(long, value_name = "NAME", value_hint = ValueHint::Username)]
    pub user: Option<String>,
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

    /// Serve files but refuse put, rm, mkdir and mv.
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
    /// Files (with -r, also directories) to upload; - reads standard input (give --as).
    #[arg(required = true, value_name = "FILE", value_hint = ValueHint::AnyPath)]
    pub files: Vec<PathBuf>,

    /// Upload directories with everything in them, each under its own name.
    #[arg(short, long)]
    pub recursive: bool,

    /// With -r, follow symbolic links (a link to a directory is uploaded as a directory);
    /// without it, links are skipped with a warning.
    #[arg(short = 'L', long = "dereference", requires = "recursive")]
    pub follow: bool,

    /// Store the file (or with -r the directory) under this name (only with one FILE); with a
    /// trailing slash (`--as docs/`), store each FILE under its own name inside that
    /// directory, as cp and scp do.
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,

    /// Overwrite files that already exist on the server.
    #[arg(short, long)]
    pub force: bool,

    /// Continue interrupted uploads from where they stopped; a file the server already holds
    /// whole is done at once. Streams (-, pipes) cannot be resumed.
    #[arg(long)]
    pub resume: bool,

    /// Write the server's signed receipt of the upload to this file (one file uploaded); with a
    /// trailing slash, or an existing directory, one receipt per upload inside it, named after
    /// the uploaded name with / as %2F and % as %25, plus .receipt.json. Check them with
    /// `nf receipt verify`.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub receipt: Option<PathBuf>,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Names of the files (with -r, also directories) to download.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,

    /// Download directories with everything in them, each under its own name.
    #[arg(short, long)]
    pub recursive: bool,

    /// Where to write: a directory (created if PATH ends with /, or with -r), a file name (one
    /// NAME), or - for standard output.
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
    /// Print a JSON array of {name, type, size, modified, mode, blake3} objects.
    #[arg(long)]
    pub json: bool,

    /// List the whole tree below PATH.
    #[arg(short, long)]
    pub recursive: bool,

    /// The directory to list (default: the top), a file, or a glob (*, ?, [abc]) for names in
    /// a directory.
    #[arg(value_name = "PATH")]
    pub path: Option<String>,

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
    /// Names of the files (with -r, also directories) to delete.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,

    /// Delete directories and everything in them.
    #[arg(short, long)]
    pub recursive: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The tree to copy from: a local directory, or :NAME on the server.
    #[arg(value_name = "SRC", value_hint = ValueHint::AnyPath)]
    pub src: String,

    /// The tree to make equal to SRC: :NAME on the server, or a local directory.
    #[arg(value_name = "DST", value_hint = ValueHint::AnyPath)]
    pub dst: String,

    /// Compare files by BLAKE3 instead of size and modification time, as rsync's -c (the
    /// server keeps each file's hash, so it reads nothing).
    #[arg(short = 'c', long)]
    pub checksum: bool,

    /// Delete what DST has and SRC lacks (refused when SRC is empty or after any error).
    #[arg(long)]
    pub delete: bool,

    /// Print what would be done, one line per action, and change nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Leave out entries matching this glob (without /: any entry of that name; with /: that
    /// path below the top of the tree); neither sent nor deleted. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Follow symbolic links in a local SRC; without it, they are skipped (counted once in
    /// the summary, named with -v).
    #[arg(short = 'L', long = "dereference")]
    pub follow: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// Directories to create.
    #[arg(required = true, value_name = "DIR")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct MvArgs {
    /// The file or directory to move.
    #[arg(value_name = "SRC")]
    pub from: String,

    /// The new name, or a directory to move SRC into.
    #[arg(value_name = "DST")]
    pub to: String,

    /// Replace a file that exists at the destination.
    #[arg(short, long)]
    pub force: bool,

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
        after_help = "Examples:\n  nf config init\n  nf config init --force\n  nf --config ./nf.toml config init"
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
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user with a password.
    #[command(
        long_about = "Add a user to the access file (created with mode 0600 if missing), with a \
                      password (from standard input when it is not a terminal, else asked twice; \
                      or --generate) and the groups given with --group.",
        after_help = "Examples:\n  nf user add alice --group students\n  nf user add teacher --generate\n  printf '%s\\n' \"$PASS\" | nf user add bob"
    )]
    Add(UserAddArgs),

    /// Change a user's password.
    #[command(
        long_about = "Set a new password for a user of the access file (from standard input when \
                      it is not a terminal, else asked twice; or --generate). The user's groups \
                      and the rest of the file stay as they are.",
        after_help = "Examples:\n  nf user passwd alice\n  nf user passwd alice --generate"
    )]
    Passwd(UserPasswdArgs),

    /// Remove a user.
    #[command(
        long_about = "Remove a user's table from the access file. Rules that name the user stay \
                      (they give nothing to nobody until a user of that name is added again).",
        after_help = "Examples:\n  nf user rm alice\n  nf --config /etc/nf/serve.toml user rm alice"
    )]
    Rm(UserNameArg),

    /// List the users and their groups.
    #[command(
        long_about = "List the users of the access file with their groups, one per line; with \
                      --json, a JSON array of {name, groups} objects. Password hashes are never \
                      shown.",
        after_help = "Examples:\n  nf user ls\n  nf user ls --json | jq -r '.[].name'"
    )]
    Ls(UserLsArgs),
}

#[derive(Debug, Args)]
pub struct UserNameArg {
    /// The user's name (letters, digits, `.`, `_`, `-`).
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    pub user: UserNameArg,

    /// A group the user belongs to (rules name it as @GROUP). Repeatable.
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,

    /// Make a random password and print it once, instead of reading one.
    #[arg(long)]
    pub generate: bool,
}

#[derive(Debug, Args)]
pub struct UserPasswdArgs {
    #[command(flatten)]
    pub user: UserNameArg,

    /// Make a random password and print it once, instead of reading one.
    #[arg(long)]
    pub generate: bool,
}

#[derive(Debug, Args)]
pub struct UserLsArgs {
    /// Print a JSON array of {name, groups} objects.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    #[command(subcommand)]
    pub action: AccessAction,
}

#[derive(Debug, Subcommand)]
pub enum AccessAction {
    /// Print the rights a user has at a path, and the rules that give them.
    #[command(
        long_about = "Print the rights USER has at PATH (and everything below it), each rule that \
                      gives them as FILE:LINE, whether PATH is hidden from USER or only \
                      traversable, and the limits on writing there: the largest file \
                      (max_file_size), quotas, and deadlines (until) with whether they passed. \
                      Reads the access file only: no server is asked.",
        after_help = "Examples:\n  nf access check alice /submissions/alice\n  nf access check anonymous /pub --json"
    )]
    Check(AccessCheckArgs),
}

#[derive(Debug, Args)]
pub struct AccessCheckArgs {
    /// A user's name, or anonymous (whoever did not log in, and the old dialects).
    #[arg(value_name = "USER")]
    pub user: String,

    /// A path on the server (/ is the top).
    #[arg(value_name = "PATH")]
    pub path: String,

    /// Print a JSON object {user, path, rights, hidden, traversable, rules, limits}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(subcommand)]
    pub action: Option<ShareAction>,

    /// The file or folder to share (a folder for --upload); none: the top.
    #[arg(value_name = "PATH")]
    pub path: Option<String>,

    /// An upload link: new files into the folder PATH, nothing else (no list, read or overwrite).
    #[arg(long)]
    pub upload: bool,

    /// How long the link works: a number and s, m, h, d or w (30m, 7d); none: until removed.
    #[arg(long, value_name = "SPAN")]
    pub expires: Option<String>,

    /// How many files may be read (or uploaded) through it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_uses: Option<u64>,

    /// Also print the URL as a QR code (for phones).
    #[arg(long)]
    pub qr: bool,

    /// Print the link as one JSON object (with its url).
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Subcommand)]
pub enum ShareAction {
    /// List the share links you made.
    #[command(
        long_about = "List the share links you made: ID, URL, path, kind, when it expires, uses \
                      and its state (active, expired, used up, removed).",
        after_help = "Examples:\n  nf share ls\n  nf share ls --json"
    )]
    Ls(ShareLsArgs),
    /// Remove share links: they answer 410 Gone from then on.
    #[command(
        long_about = "Remove share links you made, by ID or URL: from then on they answer 410 Gone.",
        after_help = "Examples:\n  nf share rm q7mxk2c4vbf5gh7jka3nwe6rtu\n  nf share rm http://host:8889/s/q7mxk2c4vbf5gh7jka3nwe6rtu"
    )]
    Rm(ShareRmArgs),
}

#[derive(Debug, Args)]
pub struct ShareLsArgs {
    /// Print a JSON array of the links (each with its url).
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ShareRmArgs {
    /// Links to remove: their ID or URL.
    #[arg(required = true, value_name = "ID|URL")]
    pub links: Vec<String>,

    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    #[command(subcommand)]
    pub action: ReceiptAction,
}

#[derive(Debug, Subcommand)]
pub enum ReceiptAction {
    /// Check that receipts were signed by a server you trust and were not changed.
    #[command(
        long_about = "Check each receipt's signature against the fingerprint given with \
                      --fingerprint, or else the key recorded for a server in known_servers, \
                      and print what it proves. Exit 0 when every receipt verifies; otherwise \
                      each failure says why (a changed field, another server's key, a key with \
                      no reason to be trusted) and the exit code is 6.",
        after_help = "Examples:\n  nf receipt verify essay.receipt.json\n  nf receipt verify receipts/*.json --fingerprint sha256//…"
    )]
    Verify(ReceiptVerifyArgs),
}

#[derive(Debug, Args)]
pub struct ReceiptVerifyArgs {
    /// Receipt files (JSON, as the server answered).
    #[arg(required = true, value_name = "RECEIPT", value_hint = ValueHint::FilePath)]
    pub receipts: Vec<PathBuf>,

    /// The fingerprint of the server that must have signed (sha256//BASE64, from
    /// `nf serve --fingerprint`); without it, any key recorded in known_servers.
    #[arg(long, value_name = "FINGERPRINT")]
    pub fingerprint: Option<String>,

    /// Also check that this local file is the content the receipt states (size and BLAKE3).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub file: Option<PathBuf>,
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
