//! The seed dialect, the first classroom server's: `list`, `download NAME` and
//! `upload NAME BASE64`, with no terminator. Replies are bare: a Python-style JSON listing,
//! the file's MIME base64 followed by the end of the connection, `OK`/`ERROR` for every piece
//! of an upload, `ERRCMD` for anything else. Uploads overwrite, as the old server did.
//! It reads only through [`Wire`] and reaches the store only through [`Intake`] and the
//! operations layer ([`Service`]), as `anonymous`.

use super::b64::Layout;
use super::intake::Intake;
use super::wire::{Got, Wire};
use super::{pyjson, split_word, Done};
use crate::error::{Error, ErrorKind};
use crate::service::Service;

/// The acknowledgement of a stored piece of an upload.
const OK: &[u8] = b"OK";
/// The reply to any failure.
const ERROR: &[u8] = b"ERROR";
/// The reply to an unknown command.
const ERRCMD: &[u8] = b"ERRCMD";

/// Answers a request line (`list`, `download NAME`, or an unknown word).
pub(super) fn request(wire: &mut Wire, shared: &Service, text: &[u8]) -> Done {
    let (word, rest) = split_word(text);
    match word {
        b"list" => list(wire, shared),
        b"download" => download(wire, shared, rest),
        b"upload" => {
            let err = Error::new(ErrorKind::BadName, "upload needs a name: upload NAME BASE64");
            let result = reply(wire, ERROR).and(Err(err));
            Done::new("seed:upload", Some(rest), 0, result)
        }
        _ => {
            let err = Error::new(
                ErrorKind::Protocol,
                "unknown command; the seed dialect knows list, download NAME, upload NAME BASE64",
            );
            let result = reply(wire, ERRCMD).and(Err(err));
            Done::new("seed:unknown", Some(word), 0, result)
        }
    }
}

/// Answers a request that could not be read (too long).
pub(super) fn refuse(wire: &mut Wire, err: Error) -> Done {
    let result = reply(wire, ERROR).and(Err(err));
    Done::new("seed:unknown", None, 0, result)
}

fn reply(wire: &mut Wire, bytes: &[u8]) -> Result<(), Error> {
    wire.send(bytes)
        .map_err(|e| Error::io("cannot send the reply", &e))
}

fn list(wire: &mut Wire, shared: &Service) -> Done {
    let result = match shared.list(&super::WHO, None, None).map(super::files_only) {
        Ok(files) => {
            let names = pyjson::string_list(files.iter().map(|f| f.name.as_str()));
            // "succes" is the old server's spelling; its clients print the reply as it is.
            reply(wire, pyjson::status_data("succes", &names).as_bytes())
        }
        Err(e) => reply(wire, ERROR).and(Err(e)),
    };
    Done::new("seed:list", None, 0, result)
}

/// Sends the file's MIME base64 and nothing else; the end of the connection ends it.
fn download(wire: &mut Wire, shared: &Service, name: &[u8]) -> Done {
    let (file, info) = match super::open_for_download(shared, name) {
        Ok(x) => x,
        Err(e) => {
            let result = reply(wire, ERROR).and(Err(e));
            return Done::new("seed:download", Some(name), 0, result);
        }
    };
    // The client stops at its first short read: pace the writes (see `Paced`).
    match super::send_file(&mut wire.paced(), file, &info, Layout::Mime) {
        Ok(sent) => Done::new("seed:download", Some(name), sent, Ok(())),
        Err((sent, e)) => Done::new("seed:download", Some(name), sent, Err(e)),
    }
}

/// Receives an upload piece by piece: every piece read is answered `OK` once stored (`ERROR`
/// once anything failed), and the client closing its side ends the upload.
pub(super) fn upload(wire: &mut Wire, shared: &Service, name: &[u8]) -> Done {
    let op = "seed:upload";
    let mut intake = Intake::begin(shared, name);
    intake.feed(&wire.buf);
    wire.buf.clear();
    loop {
        let ack = if intake.failed().is_some() { ERROR } else { OK };
        if let Err(e) = reply(wire, ack) {
            let bytes = intake.bytes;
            intake.abandon();
            return Done::new(op, Some(name), bytes, Err(e));
        }
        if intake.failed().is_some() && wire.received > intake.drain_limit() {
            break;
        }
        match wire.read_more(false) {
            Ok(Got::Data) => {
                intake.feed(&wire.buf);
                wire.buf.clear();
            }
            Ok(Got::Eof) => break,
            Ok(Got::Quiet) => {}
            Err(e) => {
                let bytes = intake.bytes;
                intake.abandon();
                return Done::new(op, Some(name), bytes, Err(Error::io("upload cut off", &e)));
            }
        }
    }
    let bytes = intake.bytes;
    if shared.is_stopping() {
        // The end of the stream may be the server's stop, not the client's close.
        intake.abandon();
        let err = Error::new(ErrorKind::Interrupted, "the server stopped; nothing was stored");
        return Done::new(op, Some(name), bytes, Err(err));
    }
    match intake.finish(shared) {
        Ok(info) => Done::new(op, Some(name), info.size, Ok(())),
        Err(e) => Done::new(op, Some(name), bytes, Err(e)),
    }
}
