//! An old-dialect upload on its way into the store: base64 text in pieces goes through the
//! streaming [`Decoder`] into a [`store::Upload`](crate::store::Upload) (hashed as written),
//! bounded by `compat_max_bytes` and `max_file_size`. Once anything fails
//! (bad name, bad base64, too large, disk), the partial is deleted and later pieces are only
//! counted, so that the dialect can keep the stream in step and answer once the client is
//! done; an upload dropped unfinished is deleted too (old clients cannot resume). It never
//! reads the socket or writes replies.

use crate::error::{Error, ErrorKind};
use crate::name::quote;
use crate::service::Service;
use crate::store::Entry;
use crate::store::Upload;

use super::b64::{encoded_len, BadBase64, Decoder};

pub struct Intake {
    name: String,
    upload: Option<Upload>,
    decoder: Decoder,
    /// Decoded bytes of the current piece (scratch, reused).
    scratch: Vec<u8>,
    /// Content bytes decoded so far.
    pub bytes: u64,
    limit: u64,
    failed: Option<Error>,
}

impl Intake {
    /// Starts an upload of `raw_name` (raw bytes from the wire); a bad name fails it at once.
    pub fn begin(shared: &Service, raw_name: &[u8]) -> Intake {
        let mut limit = shared.settings.compat_max_bytes;
        let started = shared.top_name(raw_name).and_then(|n| {
            limit = limit.min(shared.upload_limit(&super::WHO, &n)?.bytes);
            shared.begin_upload(&super::WHO, &n, (0, None), true, Default::default())
        });
        let (upload, failed) = match started {
            Ok(u) => (Some(u), None),
            Err(e) => (None, Some(e)),
        };
        Intake {
            name: String::from_utf8_lossy(raw_name).into_owned(),
            upload,
            decoder: Decoder::new(),
            scratch: Vec::new(),
            bytes: 0,
            limit,
            failed,
        }
    }

    /// The failure so far, if any.
    pub fn failed(&self) -> Option<&Error> {
        self.failed.as_ref()
    }

    /// How many bytes a client may send in all before a failed upload stops being read:
    /// enough for the largest allowed upload twice over, so that a normal client finishes its
    /// request and sees the error.
    pub fn drain_limit(&self) -> u64 {
        encoded_len(self.limit).saturating_mul(2).saturating_add(1 << 20)
    }

    /// Takes the next piece of base64 text.
    pub fn feed(&mut self, text: &[u8]) {
        self.step(|decoder, out| decoder.feed(text, out));
    }

    /// Decodes with `decode` into the scratch buffer, checks the limit and stores the bytes.
    fn step(&mut self, decode: impl FnOnce(&mut Decoder, &mut Vec<u8>) -> Result<(), BadBase64>) {
        if self.failed.is_some() {
            return;
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let result = match decode(&mut self.decoder, &mut out) {
            Err(e) => Err(Error::new(ErrorKind::Protocol, e.0)),
            Ok(()) if self.bytes + out.len() as u64 > self.limit => Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} is over this server's limit of {} bytes for the old text dialects",
                    quote(&self.name),
                    self.limit
                ),
            )),
            Ok(()) => match self.upload.as_mut() {
                Some(upload) => upload.write(&out),
                None => Ok(()),
            },
        };
        self.bytes += out.len() as u64;
        self.scratch = out;
        if let Err(err) = result {
            if let Some(upload) = self.upload.take() {
                upload.discard();
            }
            self.failed = Some(err);
        }
    }

    /// Abandons the upload: nothing becomes visible (dropping does the same).
    pub fn abandon(self) {}

    /// Ends the stream: decodes the last quantum and commits the file through the operations
    /// layer, overwriting any file of that name (as the old server did).
    pub fn finish(mut self, shared: &Service) -> Result<Entry, Error> {
        self.step(|decoder, out| decoder.finish(out));
        if let Some(err) = self.failed.take() {
            return Err(err);
        }
        match self.upload.take() {
            Some(upload) => {
                let verified = upload.finish(None)?;
                shared.commit(&super::WHO, vec![(verified, true)]).one()
            }
            None => Err(Error::new(ErrorKind::Other, "the upload was not started")),
        }
    }
}

impl Drop for Intake {
    /// An upload that was neither committed nor finished is deleted, never kept as a partial:
    /// the old clients cannot resume.
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            upload.discard();
        }
    }
}
