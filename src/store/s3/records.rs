//! The bucket's records ([`crate::store::records`]): one object per record under
//! `PREFIX/.nf/KIND/`, so every server of the bucket sees the same ones. A PUT of an object is
//! atomic in S3: a reader gets the old record or the whole new one.

use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

use super::Store;
use crate::error::Result;
use crate::name::RESERVED;
use crate::store::records::{check_key, Kind};

impl Store {
    fn records_dir(&self, kind: Kind) -> Result<Path> {
        self.path(&format!("{RESERVED}/{}", kind.dir()))
    }

    fn record_path(&self, kind: Kind, key: &str) -> Result<Path> {
        check_key(key)?;
        self.path(&format!("{RESERVED}/{}/{key}", kind.dir()))
    }

    /// Writes the record `key` of `kind`, replacing it.
    pub fn record_put(&self, kind: Kind, key: &str, bytes: &[u8]) -> Result<()> {
        let path = self.record_path(kind, key)?;
        let payload = PutPayload::from(bytes.to_vec());
        self.block(self.inner.s3.put(&path, payload))
            .map(drop)
            .map_err(|e| self.error("writing a record", e))
    }

    /// [`Store::record_put`]: an object's PUT is durable once acknowledged.
    pub fn record_put_lazy(&self, kind: Kind, key: &str, bytes: &[u8]) -> Result<()> {
        self.record_put(kind, key, bytes)
    }

    /// The record `key` of `kind`, if there is one.
    pub fn record_get(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.record_path(kind, key)?;
        let got = self.block(async { self.inner.s3.get(&path).await?.bytes().await });
        match got {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error("reading a record", e)),
        }
    }

    /// The keys of the records of `kind`, in byte order.
    pub fn record_keys(&self, kind: Kind) -> Result<Vec<String>> {
        let dir = self.records_dir(kind)?;
        let listed = self
            .block(self.list_all(&dir))
            .map_err(|e| self.error("listing records", e))?;
        let mut keys: Vec<String> = listed
            .iter()
            .filter_map(|m| m.location.filename().map(str::to_string))
            .filter(|k| check_key(k).is_ok())
            .collect();
        keys.sort_unstable();
        Ok(keys)
    }

    /// Removes the record `key` of `kind`; false if there was none.
    pub fn record_remove(&self, kind: Kind, key: &str) -> Result<bool> {
        let path = self.record_path(kind, key)?;
        let head = self.block(self.inner.s3.head(&path));
        match head {
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(self.error("reading a record", e)),
            Ok(_) => {}
        }
        self.block(self.inner.s3.delete(&path))
            .map_err(|e| self.error("removing a record", e))?;
        Ok(true)
    }
}
