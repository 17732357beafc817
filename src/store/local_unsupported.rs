//! The local store on Windows: not written yet. [`Store::open`] refuses with a message that
//! says so and what to do instead, so `nf serve` on Windows stops at start rather than
//! half-working; the types exist so that the rest of nf (the S3 store, every client command)
//! builds and runs there. What a Windows store needs (handle-relative opens that refuse
//! reparse points, `FILE_RENAME_POSIX_SEMANTICS`, `FlushFileBuffers`, metadata in a sidecar
//! under `.nf/`) is listed in README's "Platforms".

use std::convert::Infallible;
use std::fs::File;
use std::io::{self, BufRead};
use std::path::Path;
use std::time::Duration;

use super::records::Kind as RecordKind;
use super::{Attrs, Descend, Entry, Partials, Visit};
use crate::error::{Error, ErrorKind, Result};
use crate::name::FileName;

/// A local store, which cannot be opened on Windows (no value of it exists).
#[derive(Clone)]
pub struct Store(Infallible);

/// An upload into a local store (none exists on Windows).
pub struct Upload(Infallible);

/// A verified local upload (none exists on Windows).
pub struct Verified(Infallible);

impl Store {
    /// Refuses: the local store is not available on Windows yet.
    pub fn open(root: &Path, _partials: Partials) -> Result<Store> {
        Err(Error::new(
            ErrorKind::Usage,
            format!(
                "nf serve is not supported on Windows yet: its local store ({}) needs \
                 reparse-point-safe opens and durable renames that are not written; run nf serve \
                 on Linux or macOS (or serve an S3 bucket with --store s3), and use nf.exe as the \
                 client",
                root.display()
            ),
        ))
    }

    pub fn root(&self) -> &Path {
        match self.0 {}
    }

    pub fn clean_partials(&self, _max_age: Duration) -> usize {
        match self.0 {}
    }

    pub fn free_bytes(&self) -> Option<u64> {
        match self.0 {}
    }

    pub fn record_put(&self, _kind: RecordKind, _key: &str, _bytes: &[u8]) -> Result<()> {
        match self.0 {}
    }

    pub fn record_put_lazy(&self, _kind: RecordKind, _key: &str, _bytes: &[u8]) -> Result<()> {
        match self.0 {}
    }

    pub fn record_get(&self, _kind: RecordKind, _key: &str) -> Result<Option<Vec<u8>>> {
        match self.0 {}
    }

    pub fn record_keys(&self, _kind: RecordKind) -> Result<Vec<String>> {
        match self.0 {}
    }

    pub fn record_remove(&self, _kind: RecordKind, _key: &str) -> Result<bool> {
        match self.0 {}
    }

    pub fn walk_into(
        &self,
        _from: Option<&FileName>,
        _into: &Descend,
        _visit: &mut Visit<'_>,
    ) -> Result<u64> {
        match self.0 {}
    }

    pub fn stat(&self, _name: &FileName) -> Result<(Option<Entry>, u64)> {
        match self.0 {}
    }

    pub fn read(&self, _name: &FileName, _offset: u64) -> Result<(File, Entry)> {
        match self.0 {}
    }

    pub fn exists(&self, _name: &FileName) -> bool {
        match self.0 {}
    }

    pub fn remove(&self, _name: &FileName, _recursive: bool) -> Result<u64> {
        match self.0 {}
    }

    pub fn mkdir(&self, _name: &FileName) -> Result<Entry> {
        match self.0 {}
    }

    pub fn rename(&self, _from: &FileName, _to: &FileName, _force: bool) -> Result<()> {
        match self.0 {}
    }

    pub fn begin_upload(
        &self,
        _name: &FileName,
        _offset: u64,
        _resumable: bool,
        _attrs: Attrs,
    ) -> Result<Upload> {
        match self.0 {}
    }

    pub fn commit(&self, _batch: Vec<(Verified, bool)>) -> Vec<Result<Entry>> {
        match self.0 {}
    }
}

impl Upload {
    pub fn write(&mut self, _data: &[u8]) -> Result<()> {
        match self.0 {}
    }

    pub fn receive(
        &mut self,
        _reader: &mut impl BufRead,
        _body: u64,
    ) -> std::result::Result<Option<Error>, (u64, io::Error)> {
        match self.0 {}
    }

    pub fn whole_hash(&self) -> blake3::Hash {
        match self.0 {}
    }

    pub fn finish(self, _actual: blake3::Hash) -> Result<Verified> {
        match self.0 {}
    }

    pub fn discard(self) {
        match self.0 {}
    }
}
