//! The message types of protocol version 1, as serde structs. Field names here are the wire
//! names; docs/PROTOCOL.md shows each one.

use serde::{Deserialize, Serialize};

/// A request from client to server: one JSON line whose `op` field names the operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The first message after the greeting.
    Hello {
        #[serde(default)]
        client: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// A user of the server's access file logging in, with [`Request::Hello::secret`]
        /// (their password or generated secret); sent only over TLS or to loopback.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        /// The ID of a share link: the connection acts as the link (no token or login needed),
        /// and the reply says what it shares ([`HelloReply::link`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<String>,
        /// The client understands a [`Notice`] line before a reply (a server that does not
        /// know the field ignores it, and an old client never gets one).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        notices: bool,
    },
    /// Upload: followed by `size - offset` raw bytes, then a [`Trailer`] line. Without `size`
    /// (a pipe, whose length is known only at its end) the body is a stream of chunks, each a
    /// decimal length line and that many bytes, ended by the line `0` (see [`super::chunk`]).
    Put {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(default, skip_serializing_if = "is_zero")]
        offset: u64,
        #[serde(default, skip_serializing_if = "is_false")]
        force: bool,
        /// The file's modification time to keep, RFC 3339 in UTC with up to 9 fractional
        /// digits; without it, the time of the commit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        modified: Option<String>,
        /// Its permission bits to keep, in octal (`"0755"`; only `0o777` is kept); without
        /// it, `0644`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        /// Asks for the server's signed receipt in the reply ([`PutReply::receipt`]); a server
        /// that does not know the field ignores it and answers without one.
        #[serde(default, skip_serializing_if = "is_false")]
        receipt: bool,
    },
    /// Download from `offset`: answered by a [`GetReply`] and `size - offset` raw bytes.
    Get {
        name: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        offset: u64,
    },
    /// What the server holds under a name: the file, and how much of a partial upload.
    Stat { name: String },
    /// List a directory (`path`; none: the top), one level or with `recursive` the whole
    /// tree below it, optionally only entries whose last component matches a glob. A `path`
    /// that names a file lists that file. Answered by the entries, one line each, then a
    /// [`ListEnd`].
    List {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        recursive: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// Delete a stored file, or with `recursive` a directory and everything in it.
    Rm {
        name: String,
        #[serde(default, skip_serializing_if = "is_false")]
        recursive: bool,
    },
    /// Create a directory, and the directories above it that are missing.
    Mkdir { name: String },
    /// Rename a file or a directory (replacing a file at `to` only with `force`).
    Mv {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "is_false")]
        force: bool,
    },
    /// The recorded uploads (the receipt store) under `path` (none: everywhere) in folders
    /// the principal may list, and a user's own anywhere; only those committed at or after
    /// `since` (RFC 3339 in UTC) and sent by `who`, if given. Answered by one signed
    /// [`Receipt`](crate::receipt::Receipt) per line, in order of commit time, then a
    /// [`ListEnd`].
    Receipts {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        who: Option<String>,
    },
    /// Make a share link to `path` (none: the top): a read link, or with `upload` an upload
    /// link to a folder; it ends after `expires_secs` seconds or `max_uses` uses, if given.
    /// Answered by a [`ShareReply`].
    Share {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        upload: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_secs: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_uses: Option<u64>,
    },
    /// The share links the caller made (removed and ended ones too): a [`SharesReply`].
    Shares,
    /// Remove one of the caller's share links: a [`ShareReply`] with the link as it now is.
    Unshare { id: String },
}

impl Request {
    /// The operation's wire name, for logs.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::Put { .. } => "put",
            Request::Get { .. } => "get",
            Request::Stat { .. } => "stat",
            Request::List { .. } => "list",
            Request::Rm { .. } => "rm",
            Request::Mkdir { .. } => "mkdir",
            Request::Mv { .. } => "mv",
            Request::Receipts { .. } => "receipts",
            Request::Share { .. } => "share",
            Request::Shares => "shares",
            Request::Unshare { .. } => "unshare",
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The line after a `put` body: the BLAKE3 of the whole file, as 64 lowercase hex digits; or,
/// from a client that found its source changed while sending it, `cancel` with the reason
/// (nothing is stored and the partial is dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub blake3: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<String>,
}

/// What an entry of the tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    #[default]
    File,
    Dir,
}

/// One entry of the tree (a file or a directory), as `ls --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The whole path from the top of the tree.
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: EntryType,
    /// Bytes (0 for a directory).
    pub size: u64,
    /// Modification time: RFC 3339, UTC, with 9 fractional digits when the time has any.
    pub modified: String,
    /// Permission bits in octal (`"0644"`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mode: String,
    /// BLAKE3 of the content, 64 lowercase hex digits (files only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub blake3: String,
}

/// A listing as `nf ls --json` prints it and HTTP's folder JSON serves it: `[`, one compact
/// entry per line, `]`, made piece by piece so that a long listing streams. The one place this
/// text is made.
#[derive(Debug, Default)]
pub struct ListingJson {
    started: bool,
}

impl ListingJson {
    /// The text that goes before the next entry: `[` and a newline first, then `,` and one.
    pub fn separator(&mut self) -> &'static [u8] {
        let sep: &'static [u8] = if self.started { b",\n" } else { b"[\n" };
        self.started = true;
        sep
    }

    /// The text that goes before and with `entry`.
    pub fn entry(&mut self, entry: &FileInfo) -> Vec<u8> {
        let mut text = self.separator().to_vec();
        serde_json::to_writer(&mut text, entry).expect("entries serialize");
        text
    }

    /// The text that ends the array (all of it, for an empty listing).
    pub fn end(&self) -> &'static [u8] {
        if self.started {
            b"\n]\n"
        } else {
            b"[]\n"
        }
    }
}

impl FileInfo {
    pub fn is_dir(&self) -> bool {
        self.kind == EntryType::Dir
    }
}

/// A line the server may send before a reply, to a client whose hello asked for notices:
/// `{"notice":"queued","message":"…"}` when its request has waited about a second in line for a
/// worker. It carries no `ok`; the reply follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub notice: String,
    pub message: String,
}

impl Notice {
    /// The request waits in line for a worker.
    pub fn queued(message: impl Into<String>) -> Notice {
        Notice {
            notice: "queued".into(),
            message: message.into(),
        }
    }
}

/// Every failure reply: `{"ok":false,"code":"not_found","message":"…"}`; a `busy` reply may
/// add `"pending":N` (the server is still working towards the answer; ask again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub ok: bool,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    /// True when the server refused the whole connection before doing anything on it (at
    /// admission, or after a request waited in line too long) and closes it: the only `busy`
    /// a client may answer by sending the same requests again on a new connection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closing: bool,
}

impl ErrorReply {
    /// The reply that carries `err`.
    pub fn of(err: &crate::error::Error) -> ErrorReply {
        ErrorReply {
            ok: false,
            code: err.kind.code().to_string(),
            message: err.message.clone(),
            pending: err.pending,
            closing: false,
        }
    }
}

/// The answer to `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloReply {
    pub ok: bool,
    pub version: u32,
    pub server: String,
    /// The largest file this server accepts, so clients can refuse bigger ones up front.
    #[serde(default)]
    pub max_file_size: Option<u64>,
    /// For a hello with a share link: what it shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkReply>,
}

/// What a share link a connection acts as shares: `path` (`""`: the top), whether it is a
/// folder, and `read` or `upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkReply {
    pub path: String,
    pub folder: bool,
    pub kind: String,
}

/// The answer to a `put`, after its body and trailer: the file as committed, and the server's
/// signed receipt for it when the put asked for one (an old client ignores the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutReply {
    pub ok: bool,
    #[serde(flatten)]
    pub file: FileInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<crate::receipt::Receipt>,
}

/// The answer to a `get`: followed by `size - offset` raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetReply {
    pub ok: bool,
    #[serde(flatten)]
    pub file: FileInfo,
    pub offset: u64,
}

/// The answer to `stat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatReply {
    pub ok: bool,
    pub file: Option<FileInfo>,
    /// Bytes held in a partial upload of this name that `put` with an offset can continue.
    pub partial: u64,
}

/// The last line of the answer to `list`, after its `count` entry lines. (A failure after
/// some entries ends the answer with an [`ErrorReply`] instead.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEnd {
    pub ok: bool,
    pub count: u64,
}

/// The answer to `rm` and `mkdir`: the name done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RmReply {
    pub ok: bool,
    pub name: String,
}

/// The answer to `mv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MvReply {
    pub ok: bool,
    pub from: String,
    pub to: String,
}

/// A share link as the server keeps it (the JSON of its record under `.nf/shares/ID`) and
/// as `share`, `shares` and `unshare` answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareInfo {
    /// 128 random bits, lower-case base32 without padding (26 characters): the `ID` of `/s/ID`.
    pub id: String,
    /// The file or folder shared (`""`: the top).
    pub path: String,
    /// `read` or `upload`.
    pub kind: String,
    /// The path names a folder.
    #[serde(default)]
    pub folder: bool,
    /// Who made it: `token`, `anonymous` or `user:NAME`.
    pub creator: String,
    /// RFC 3339, UTC.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u64>,
    /// Files read through it (a read link) or committed through it (an upload link).
    #[serde(default)]
    pub uses: u64,
    /// When it was removed (it then answers 410, not 404).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
    /// `active`, `expired`, `used up` or `removed`, as of the answer (not kept in the record).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
}

/// The answer to `share` and `unshare`: the link, and the server's `public_url` if it has one
/// (else the client makes the URL from the address it connected to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReply {
    pub ok: bool,
    pub share: ShareInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// The answer to `shares`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharesReply {
    pub ok: bool,
    pub shares: Vec<ShareInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// Permission bits as the wire writes them: 4 octal digits (`"0644"`), only `0o777`.
pub fn mode_text(mode: u32) -> String {
    format!("{:04o}", mode & 0o777)
}

/// Permission bits from the wire: 1 to 4 octal digits; set-id and sticky bits are dropped.
pub fn parse_mode(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(text, 8).ok().map(|m| m & 0o777)
}

#[cfg(test)]
mod tests {
    #[test]
    fn modes_are_four_octal_digits_and_never_set_id_bits() {
        assert_eq!(super::mode_text(0o100755), "0755");
        assert_eq!(super::parse_mode("644"), Some(0o644));
        assert_eq!(super::parse_mode("4755"), Some(0o755));
        for bad in ["", "8", "07777x", "12345", "-1", "0x1"] {
            assert_eq!(super::parse_mode(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn requests_have_the_documented_shape() {
        let put = Request::Put {
            name: "a.txt".into(),
            size: Some(5),
            offset: 0,
            force: false,
            modified: None,
            mode: None,
            receipt: false,
        };
        assert_eq!(
            serde_json::to_string(&put).unwrap(),
            r#"{"op":"put","name":"a.txt","size":5}"#
        );
        let parsed: Request =
            serde_json::from_str(r#"{"op":"get","name":"x","offset":3,"future":1}"#).unwrap();
        assert_eq!(
            parsed,
            Request::Get {
                name: "x".into(),
                offset: 3
            }
        );
        assert!(serde_json::from_str::<Request>(r#"{"op":"format_disk"}"#).is_err());
    }
}
