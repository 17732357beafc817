//! The one error type of nf. Every failure a user can act on has its own [`ErrorKind`]; the
//! kind decides the process exit code and the stable code sent on the wire. This module owns
//! no I/O beyond classifying `std::io::Error`s.

use std::fmt;
use std::io;

/// What went wrong, as far as a user (or a script reading the exit code) can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The named file does not exist.
    NotFound,
    /// A share link that was removed, expired or used up (HTTP 410).
    Gone,
    /// The target name already exists and overwriting was not asked for.
    Exists,
    /// A file stands where a directory is needed, or a directory where a file is (which
    /// `--force` does not change).
    Conflict,
    /// A file name breaks the naming rules.
    BadName,
    /// A size, count or length is over a configured limit.
    TooLarge,
    /// Content did not match its BLAKE3 hash.
    HashMismatch,
    /// Client and server speak different protocol versions.
    Version,
    /// Missing or wrong access token.
    Auth,
    /// The operation is not allowed (for example a read-only server).
    Denied,
    /// The principal (a user, or anonymous) lacks the right this operation needs on its path
    /// (the access file's rules).
    Forbidden,
    /// No space left (or a file-size limit) on the receiving side.
    NoSpace,
    /// The server is at its connection limit.
    Busy,
    /// Could not connect, or the connection broke or timed out.
    Connect,
    /// The peer closed or reset the connection in the middle of a request (the server logs
    /// this; it is never sent, as nobody is left to read it).
    Hangup,
    /// The server's object store failed or could not be reached (try again later).
    Unavailable,
    /// The peer sent something that is not valid protocol.
    Protocol,
    /// Bad command-line arguments or configuration.
    Usage,
    /// Interrupted by a signal.
    Interrupted,
    /// The reader of standard output went away (`nf ls | head -1`): not a failure; the
    /// program ends quietly with exit code 0, as other Unix tools do.
    PipeClosed,
    /// Any other failure (local I/O, server-side trouble).
    Other,
}

impl ErrorKind {
    /// The stable code used on the wire (docs/PROTOCOL.md lists them).
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Gone => "gone",
            ErrorKind::Exists => "exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::BadName => "bad_name",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::HashMismatch => "hash_mismatch",
            ErrorKind::Version => "version",
            ErrorKind::Auth => "auth",
            ErrorKind::Denied => "denied",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NoSpace => "no_space",
            ErrorKind::Busy => "busy",
            ErrorKind::Connect => "connect",
            ErrorKind::Hangup => "hangup",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Usage => "usage",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::PipeClosed => "pipe_closed",
            ErrorKind::Other => "internal",
        }
    }

    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 21] = [
        ErrorKind::NotFound,
        ErrorKind::Gone,
        ErrorKind::Exists,
        ErrorKind::Conflict,
        ErrorKind::BadName,
        ErrorKind::TooLarge,
        ErrorKind::HashMismatch,
        ErrorKind::Version,
        ErrorKind::Auth,
        ErrorKind::Denied,
        ErrorKind::Forbidden,
        ErrorKind::NoSpace,
        ErrorKind::Busy,
        ErrorKind::Connect,
        ErrorKind::Hangup,
        ErrorKind::Unavailable,
        ErrorKind::Protocol,
        ErrorKind::Usage,
        ErrorKind::Interrupted,
        ErrorKind::PipeClosed,
        ErrorKind::Other,
    ];

    /// Parses a wire code; unknown codes (from a newer peer) become [`ErrorKind::Other`].
    pub fn from_code(code: &str) -> ErrorKind {
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .unwrap_or(ErrorKind::Other)
    }

    /// The process exit code for this kind (README.md, "Exit codes").
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Usage | ErrorKind::BadName => 2,
            ErrorKind::NotFound | ErrorKind::Gone => 3,
            ErrorKind::Exists | ErrorKind::Conflict => 4,
            ErrorKind::Connect | ErrorKind::Hangup | ErrorKind::Busy | ErrorKind::Unavailable => 5,
            ErrorKind::HashMismatch => 6,
            ErrorKind::Auth | ErrorKind::Denied | ErrorKind::Forbidden => 7,
            ErrorKind::Interrupted => 130,
            ErrorKind::PipeClosed => 0,
            _ => 1,
        }
    }
}

/// An error with a kind and a message written for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// For `busy`: how many pieces of work (files being hashed for the first time) the server
    /// still has to do before it can answer. Asking again gets further, so a client waits and
    /// asks again instead of failing (see `client::Patience`).
    pub pending: Option<u64>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            pending: None,
        }
    }

    /// `what` already exists and overwriting was not asked for.
    pub fn exists(what: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::Exists,
            format!("{what} already exists; use --force to overwrite it"),
        )
    }

    /// Adds context in front of the message: `context: message`.
    pub fn context(self, what: impl fmt::Display) -> Error {
        Error {
            message: format!("{what}: {}", self.message),
            ..self
        }
    }

    /// The same error, saying the server still has `pending` pieces of work to do.
    pub fn with_pending(self, pending: u64) -> Error {
        Error {
            pending: Some(pending),
            ..self
        }
    }

    /// Classifies an I/O error met while doing `what`.
    pub fn io(what: impl fmt::Display, err: &io::Error) -> Error {
        Error::new(kind_of_io(err), format!("{what}: {}", describe_io(err)))
    }
}

/// What people see (`nf: error: …`): the message with characters that must not reach a
/// terminal escaped ([`crate::name::printable`]), whichever side wrote it. The message itself
/// (on the wire, in the log) is unchanged.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::name::printable(&self.message))
    }
}

impl std::error::Error for Error {}

/// Maps an I/O error to the kind a user can act on.
pub fn kind_of_io(err: &io::Error) -> ErrorKind {
    match err.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound,
        io::ErrorKind::AlreadyExists => ErrorKind::Exists,
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            ErrorKind::NoSpace
        }
        io::ErrorKind::PermissionDenied => ErrorKind::Denied,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::TimedOut
        | io::ErrorKind::WouldBlock
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::AddrNotAvailable => ErrorKind::Connect,
        io::ErrorKind::Interrupted => ErrorKind::Interrupted,
        _ if crate::sys::is_no_space(err) => ErrorKind::NoSpace,
        _ => ErrorKind::Other,
    }
}

/// A short human description of an I/O error, without Rust's "(os error N)" noise.
pub fn describe_io(err: &io::Error) -> String {
    if let Some(why) = err.get_ref() {
        // A message of nf's own (a deadline that says which).
        return why.to_string();
    }
    match err.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => "timed out".to_string(),
        io::ErrorKind::UnexpectedEof => "connection closed early".to_string(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text,
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error whose message was already printed; it only carries the exit code.
    pub fn reported(kind: ErrorKind) -> Error {
        Error::new(kind, String::new())
    }
}
