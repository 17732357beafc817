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
    },
    /// Download from `offset`: answered by a [`GetReply`] and `size - offset` raw bytes.
    Get {
        name: String,
        #[serde(default, skip_serializing_if = "is_zero")]
        offset: u64,
    },
    /// What the server holds under a name: the file, and how much of a partial upload.
    Stat { name: String },
    /// List stored files, optionally only those matching a glob.
    List {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
    },
    /// Delete a stored file.
    Rm { name: String },
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

/// One stored file, as `ls --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub name: String,
    pub size: u64,
    /// RFC 3339, UTC.
    pub modified: String,
    /// BLAKE3 of the content, 64 lowercase hex digits.
    pub blake3: String,
}

/// A listing as `nf ls --json` prints it (and HTTP's folder JSON serves it): a pretty-printed
/// array of [`FileInfo`] and a final newline. The one place this text is made.
pub fn listing_json(files: &[FileInfo]) -> String {
    let mut text = serde_json::to_string_pretty(files).expect("file infos serialize");
    text.push('\n');
    text
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
}

impl ErrorReply {
    /// The reply that carries `err`.
    pub fn of(err: &crate::error::Error) -> ErrorReply {
        ErrorReply {
            ok: false,
            code: err.kind.code().to_string(),
            message: err.message.clone(),
            pending: err.pending,
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
}

/// The answer to a `put`, after its body and trailer: the file as committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutReply {
    pub ok: bool,
    #[serde(flatten)]
    pub file: FileInfo,
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

/// The answer to `list`: followed by `count` lines, one [`FileInfo`] each, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListReply {
    pub ok: bool,
    pub count: u64,
}

/// The answer to `rm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RmReply {
    pub ok: bool,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_the_documented_shape() {
        let put = Request::Put {
            name: "a.txt".into(),
            size: Some(5),
            offset: 0,
            force: false,
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
