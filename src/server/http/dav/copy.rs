//! COPY's content: a file is read through the operations layer and uploaded under its new
//! name through the verified atomic path (`begin_upload`, the source's BLAKE3 checked at
//! `finish`, `commit`), so a copy is never seen half-written; a folder is made and, with
//! `Depth: infinity` (the default), everything the principal may see in it copied the same
//! way (`Depth: 0` copies the folder alone).

use super::Refused;
use crate::error::{Error, ErrorKind};
use crate::name::{quote, FileName};
use crate::server::http::head::Head;
use crate::server::http::Session;
use crate::store::{Attrs, Entry, Kind};

impl Session<'_> {
    /// Copies `from` (a `kind`) to the free name `to`.
    pub(super) fn copy_tree(
        &mut self,
        head: &Head,
        from: &FileName,
        kind: Kind,
        to: &FileName,
    ) -> Result<(), Refused> {
        if kind == Kind::File {
            return self.copy_file(from, to, None);
        }
        let deep = super::depth_zero_or_infinity(head, "COPY of a folder")?;
        self.svc.mkdir(&self.who, to)?;
        if !deep {
            return Ok(());
        }
        let mut entries: Vec<Entry> = Vec::new();
        self.svc.walk(&self.who, Some(from), true, &mut |e| {
            entries.push(e);
            Ok(())
        })?;
        for entry in entries {
            let Some(rel) = entry.name.below(Some(from)) else {
                continue;
            };
            let there = FileName::join(Some(to), &rel)?;
            match entry.kind {
                Kind::Dir => drop(self.svc.mkdir(&self.who, &there)?),
                Kind::File => self.copy_file(&entry.name, &there, None)?,
            }
        }
        Ok(())
    }

    /// Copies the file `from` to `to` (replacing a file there: the caller checked `Overwrite`
    /// and the right to), keeping its modification time, or giving it `modified`.
    pub(super) fn copy_file(
        &mut self,
        from: &FileName,
        to: &FileName,
        modified: Option<std::time::SystemTime>,
    ) -> Result<(), Refused> {
        let (mut content, entry) = self.svc.read(&self.who, from, 0)?;
        let attrs = Attrs {
            modified: Some(modified.unwrap_or(entry.modified)),
            mode: Some(entry.mode),
        };
        let mut upload = self
            .svc
            .begin_upload(&self.who, to, (0, Some(entry.size)), true, attrs)?;
        let mut source = std::io::BufReader::with_capacity(crate::hashpipe::CHUNK, &mut content);
        let failed = match upload.receive(&mut source, entry.size) {
            Ok(stored) => stored,
            Err((_, e)) => Some(Error::new(
                ErrorKind::Other,
                format!(
                    "cannot read {}: {}",
                    quote(from.as_str()),
                    crate::error::describe_io(&e)
                ),
            )),
        };
        if let Some(err) = failed {
            upload.discard();
            return Err(err.into());
        }
        let expected = entry.blake3.map(|h| h.to_hex().to_string());
        let verified = upload.finish(expected.as_deref())?;
        self.svc.commit(&self.who, vec![(verified, true)]).one()?;
        Ok(())
    }
}
