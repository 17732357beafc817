//! Terminal manners shared by the commands: whether stderr is a terminal, `NO_COLOR`, and a
//! closed stdout pipe (`nf ls | head -1`), which ends the program quietly with exit code 0.
//! (clap never colours: its `color` feature is off in Cargo.toml.)

use std::io::{self, IsTerminal, Write};

use crate::error::Error;

/// True when progress bars may be drawn: not quiet, stderr is a terminal that is not "dumb",
/// and `NO_COLOR` does not ask for plain output (bars are cursor escape sequences too).
pub fn bars_allowed(quiet: bool) -> bool {
    !quiet && color_allowed() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// True when colour may be used on stderr.
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal()
}

/// Writes `text` to stdout; a closed pipe is [`ErrorKind::PipeClosed`](crate::ErrorKind),
/// which `main` ends quietly with code 0.
pub fn print(text: &str) -> Result<(), Error> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| stdout_error(&e))
}

/// Turns a write error on stdout into an error: a closed pipe (`nf ls | head -1`) is
/// [`ErrorKind::PipeClosed`](crate::ErrorKind), not a failure.
pub fn stdout_error(e: &io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Error::reported(crate::ErrorKind::PipeClosed);
    }
    Error::io("cannot write to standard output", e)
}

/// Standard output, buffered (64 KiB), for output written as it is produced.
pub type Out = io::BufWriter<io::StdoutLock<'static>>;

/// [`Out`]: flush it before the program ends ([`stdout_error`] for its errors).
pub fn stdout() -> Out {
    io::BufWriter::with_capacity(64 * 1024, io::stdout().lock())
}
