//! `nf put --receipt PATH`: where the server's signed receipts go (one file, or one file per
//! upload in a directory), and writing each one, atomically, as its upload's reply arrives.
//! A failed upload writes none; an upload the server answered without one is an error that
//! says the file was stored all the same.

use std::path::{Path, PathBuf};

use crate::client::{Done, Progress};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

/// Where receipts are written.
pub enum Receipts {
    /// The one upload's receipt, in this file.
    File(PathBuf),
    /// One file per upload in this directory (made when the first receipt arrives), named by
    /// [`file_name`].
    Dir(PathBuf),
}

impl Receipts {
    /// Where `--receipt PATH` writes for `uploads` uploads: a directory when PATH ends with `/`
    /// or is one; else one file, which takes the receipt of one upload only.
    pub fn of(path: &Path, uploads: usize) -> Result<Receipts> {
        if crate::sys::os_bytes(path.as_os_str()).ends_with(b"/") || path.is_dir() {
            return Ok(Receipts::Dir(path.to_path_buf()));
        }
        if uploads > 1 {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "--receipt {} is one file, for the receipt of one upload, and this is {uploads} \
                     uploads; give a directory (--receipt {}/) for one receipt per upload",
                    path.display(),
                    path.display()
                ),
            ));
        }
        Ok(Receipts::File(path.to_path_buf()))
    }

    /// The file that takes the receipt of the upload stored as `name`.
    fn path_for(&self, name: &FileName) -> PathBuf {
        match self {
            Receipts::File(path) => path.clone(),
            Receipts::Dir(dir) => dir.join(file_name(name.as_str())),
        }
    }

    /// Writes the receipt of `done`, the upload stored as `name`, atomically (a reader sees no
    /// file or the whole receipt); an error when there is none or it cannot be written.
    fn write(&self, name: &FileName, done: &Done) -> Result<()> {
        let Some(receipt) = &done.receipt else {
            return Err(missing(name, done.already));
        };
        let path = self.path_for(name);
        let cannot = |e: &std::io::Error| {
            Error::io(
                format!(
                    "{} was uploaded, but its receipt cannot be written to {}",
                    quote(name.as_str()),
                    path.display()
                ),
                e,
            )
        };
        if let Receipts::Dir(dir) = self {
            std::fs::create_dir_all(dir).map_err(|e| cannot(&e))?;
        }
        let mut text = serde_json::to_vec(receipt).expect("receipts serialize");
        text.push(b'\n');
        crate::fsutil::replace_private(&path, &text).map_err(|e| cannot(&e))
    }
}

/// The name of the receipt file of the upload stored as `name` in a receipt directory: the
/// whole name in one component (`%` as `%25`, then `/` as `%2F`, so that two names never
/// share a file) and `.receipt.json`: `docs/plan.txt` → `docs%2Fplan.txt.receipt.json`.
pub fn file_name(name: &str) -> String {
    format!("{}.receipt.json", name.replace('%', "%25").replace('/', "%2F"))
}

/// The error for an upload answered without a receipt.
fn missing(name: &FileName, already: bool) -> Error {
    let name = quote(name.as_str());
    if already {
        return Error::new(
            ErrorKind::Exists,
            format!(
                "{name} is already on the server whole, so nothing was uploaded and no receipt \
                 was signed; upload it again with --force (without --resume) for one"
            ),
        );
    }
    Error::new(
        ErrorKind::Version,
        format!(
            "{name} was uploaded, but the server sent no receipt (it is older than receipts, or \
             cannot sign them: see its log); upgrade the server, or put without --receipt"
        ),
    )
}

/// The progress of `nf put --receipt`: each upload's receipt is written as its reply arrives,
/// before the upload is reported (a receipt that cannot be written fails the item).
pub struct Writing<'a> {
    pub inner: &'a dyn Progress,
    pub receipts: Receipts,
    /// The name of each upload, by its index.
    pub names: Vec<FileName>,
}

impl Progress for Writing<'_> {
    fn begin(&self, k: usize, name: &str, total: Option<u64>, done: u64) {
        self.inner.begin(k, name, total, done);
    }
    fn advance(&self, k: usize, bytes: u64) {
        self.inner.advance(k, bytes);
    }
    fn end(&self, k: usize, result: &Result<Done>) {
        let written = result.as_ref().map_err(Error::clone).and_then(|done| {
            self.receipts.write(&self.names[k], done)?;
            Ok(done.clone())
        });
        self.inner.end(k, &written);
    }
    fn note(&self, k: usize, text: &str) {
        self.inner.note(k, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_names_keep_the_whole_name_in_one_component_and_never_collide() {
        assert_eq!(file_name("essay.pdf"), "essay.pdf.receipt.json");
        assert_eq!(
            file_name("docs/2024/plan.txt"),
            "docs%2F2024%2Fplan.txt.receipt.json"
        );
        assert_eq!(file_name("a%2Fb"), "a%252Fb.receipt.json");
        assert_ne!(file_name("a%2Fb"), file_name("a/b"));
    }

    #[test]
    fn a_receipt_file_takes_one_upload_and_a_directory_any_number() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.json");
        assert!(matches!(Receipts::of(&file, 1), Ok(Receipts::File(_))));
        let err = Receipts::of(&file, 2).err().unwrap();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert!(
            err.message.contains("/) for one receipt per upload"),
            "{}",
            err.message
        );
        assert!(matches!(Receipts::of(dir.path(), 2), Ok(Receipts::Dir(_))));
        let slash = PathBuf::from(format!("{}/new/", dir.path().display()));
        assert!(matches!(Receipts::of(&slash, 5), Ok(Receipts::Dir(_))));
    }
}
