//! The classroom dialect: `LIST`, `GET NAME`, `UPLOAD NAME BASE64` (or `POST`) and
//! `DELETE NAME`, the command word in any case. Every reply is one Python-style JSON object
//! with a `status` of `OK` or `ERROR`, followed by `\r\n\r\n`, and then the connection closes.
//! `GET` streams its base64 inside the JSON string; uploads are decoded as they arrive and
//! overwrite, as the old server did. It reads only through [`Wire`] and stores only through
//! [`Intake`] and the operations layer ([`Service`]), as `anonymous`.

use super::b64::Layout;
use super::intake::Intake;
use super::wire::{Got, Wire};
use super::{pyjson, split_word, Done};
use crate::error::{Error, ErrorKind};
use crate::name::quote;
use crate::service::Service;

/// Ends every reply.
const END: &[u8] = b"\r\n\r\n";

/// Answers a request line.
pub(super) fn request(wire: &mut Wire, shared: &Service, text: &[u8]) -> Done {
    let (word, rest) = split_word(text);
    let lower = word.to_ascii_lowercase();
    match lower.as_slice() {
        b"list" => list(wire, shared),
        b"get" => get(wire, shared, rest),
        b"delete" => delete(wire, shared, rest),
        b"upload" | b"post" => {
            let err = Error::new(
                ErrorKind::BadName,
                format!(
                    "{} needs a name and the content: {} NAME BASE64",
                    String::from_utf8_lossy(word),
                    String::from_utf8_lossy(word)
                ),
            );
            let op = if lower == b"post" {
                "classroom:post"
            } else {
                "classroom:upload"
            };
            Done::new(op, None, 0, fail(wire, err))
        }
        _ => {
            let err = Error::new(
                ErrorKind::Protocol,
                format!(
                    "unknown command {}; the commands are LIST, GET NAME, UPLOAD NAME BASE64, \
                     POST NAME BASE64 and DELETE NAME",
                    quote(&String::from_utf8_lossy(word))
                ),
            );
            Done::new("classroom:unknown", Some(word), 0, fail(wire, err))
        }
    }
}

/// Answers a request that could not be read (too long).
pub(super) fn refuse(wire: &mut Wire, err: Error) -> Done {
    Done::new("classroom:unknown", None, 0, fail(wire, err))
}

/// Sends `{"status": "OK", "data": DATA}` (DATA already JSON).
fn ok(wire: &mut Wire, data_json: &str) -> Result<(), Error> {
    send(wire, &pyjson::status_data("OK", data_json))
}

/// Sends `err` as `{"status": "ERROR", "data": MESSAGE}` and returns it for the log.
fn fail(wire: &mut Wire, err: Error) -> Result<(), Error> {
    send(wire, &pyjson::status_data("ERROR", &pyjson::string(&err.message)))?;
    Err(err)
}

fn send(wire: &mut Wire, json: &str) -> Result<(), Error> {
    let mut reply = Vec::with_capacity(json.len() + END.len());
    reply.extend_from_slice(json.as_bytes());
    reply.extend_from_slice(END);
    wire.send(&reply)
        .map_err(|e| Error::io("cannot send the reply", &e))
}

fn list(wire: &mut Wire, shared: &Service) -> Done {
    let result = match shared.list(&super::WHO, None, None).map(super::files_only) {
        Ok(files) => ok(wire, &pyjson::string_list(files.iter().map(|f| f.name.as_str()))),
        Err(e) => fail(wire, e),
    };
    Done::new("classroom:list", None, 0, result)
}

/// `{"status": "OK", "data_namafile": NAME, "data_file": BASE64}`, the base64 streamed.
fn get(wire: &mut Wire, shared: &Service, name: &[u8]) -> Done {
    let op = "classroom:get";
    let (file, info) = match super::open_for_download(shared, name) {
        Ok(x) => x,
        Err(e) => return Done::new(op, Some(name), 0, fail(wire, e)),
    };
    let prefix = format!(
        "{{\"status\": \"OK\", \"data_namafile\": {}, \"data_file\": \"",
        pyjson::string(info.name.as_str())
    );
    let sent = wire
        .send(prefix.as_bytes())
        .map_err(|e| Error::io("cannot send the reply", &e))
        .map_err(|e| (0, e))
        .and_then(|()| super::send_file(wire.output(), file, &info, Layout::OneLine))
        .and_then(|sent| {
            wire.send(b"\"}\r\n\r\n")
                .map(|()| sent)
                .map_err(|e| (sent, Error::io("cannot send the reply", &e)))
        });
    match sent {
        Ok(sent) => Done::new(op, Some(name), sent, Ok(())),
        // Part of the reply is out: all that is left is to close the connection.
        Err((sent, e)) => Done::new(op, Some(name), sent, Err(e)),
    }
}

fn delete(wire: &mut Wire, shared: &Service, name: &[u8]) -> Done {
    let removed = shared
        .top_name(name)
        .and_then(|n| shared.remove(&super::WHO, &n, false).map(|_| n));
    let result = match removed {
        Ok(n) => ok(wire, &pyjson::string(&format!("{} deleted", n.as_str()))),
        Err(e) => fail(wire, e),
    };
    Done::new("classroom:delete", Some(name), 0, result)
}

/// Receives `UPLOAD NAME BASE64`: the base64 (one line, or several) ends at the first `\r`
/// (of `\r\n\r\n`), at the client's half-close, or when the client goes quiet right after a
/// `\n`. After a failure the rest of the request is read and dropped (bounded), then the error
/// is the reply.
pub(super) fn upload(wire: &mut Wire, shared: &Service, word: &[u8], name: &[u8]) -> Done {
    let op = if word.eq_ignore_ascii_case(b"post") {
        "classroom:post"
    } else {
        "classroom:upload"
    };
    let mut intake = Intake::begin(shared, name);
    let mut ended = false;
    let mut last = 0u8;
    loop {
        if let Some(&b) = wire.buf.last() {
            last = b;
        }
        match wire.buf.iter().position(|&b| b == b'\r') {
            Some(i) => {
                intake.feed(&wire.buf[..i]);
                ended = true;
            }
            None => intake.feed(&wire.buf),
        }
        wire.buf.clear();
        if ended || (intake.failed().is_some() && wire.received > intake.drain_limit()) {
            break;
        }
        match wire.read_more(last == b'\n') {
            Ok(Got::Data) => {}
            Ok(Got::Quiet | Got::Eof) => break,
            Err(e) => {
                let bytes = intake.bytes;
                intake.abandon();
                return Done::new(op, Some(name), bytes, Err(Error::io("upload cut off", &e)));
            }
        }
    }
    let bytes = intake.bytes;
    if !ended && shared.is_stopping() {
        intake.abandon();
        let err = Error::new(ErrorKind::Interrupted, "the server stopped; nothing was stored");
        return Done::new(op, Some(name), bytes, Err(err));
    }
    let result = match intake.finish(shared) {
        Ok(info) => {
            let message = format!("{} stored ({} bytes)", info.name.as_str(), info.size);
            ok(wire, &pyjson::string(&message)).map(|()| info.size)
        }
        Err(e) => fail(wire, e).map(|()| 0),
    };
    match result {
        Ok(size) => Done::new(op, Some(name), size, Ok(())),
        Err(e) => Done::new(op, Some(name), bytes, Err(e)),
    }
}
