//! What the object store honours, tried once at start-up on a few keys of its own
//! (`PREFIX/.nf/probe/UNIQUE/…`, deleted afterwards), so that nf adapts where a store differs
//! from AWS S3 and the log says so in one line. Each feature is `yes`, `no`, or `unknown` (the
//! probe could not tell, for example with a key that may not write): nf then assumes what AWS
//! does and still checks at run time where it can (ETags in listings, the ETag of every
//! download).

use std::fmt::Write as _;

use object_store::{
    Attribute, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
};

use super::{upload, Store};

/// What one feature turned out to be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Seen {
    Yes,
    No,
    #[default]
    Unknown,
}

impl Seen {
    fn of(yes: bool) -> Seen {
        if yes {
            Seen::Yes
        } else {
            Seen::No
        }
    }

    /// False only when the store was seen to lack the feature.
    pub fn assumed(self) -> bool {
        self != Seen::No
    }

    fn word(self) -> &'static str {
        match self {
            Seen::Yes => "yes",
            Seen::No => "no",
            Seen::Unknown => "unknown",
        }
    }
}

/// The features nf relies on, as the probe saw them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// PutObject with `If-None-Match: *` refuses (412) when the key exists.
    pub create_if_absent: Seen,
    /// CompleteMultipartUpload with `If-None-Match: *` refuses when the key exists.
    pub complete_if_absent: Seen,
    /// GetObject with a wrong `If-Match` is refused (412).
    pub get_if_match: Seen,
    /// ListObjects gives each object's ETag.
    pub list_etags: Seen,
    /// ListParts gives each part's ETag.
    pub part_etags: Seen,
    /// ListMultipartUploads answers.
    pub list_uploads: Seen,
    /// User metadata (`x-amz-meta-*`) given at upload comes back with HEAD.
    pub metadata: Seen,
}

/// The user metadata key under which nf marks each upload with a token of its own
/// (`x-amz-meta-nf-upload`), to recognise it when the answer to its completion was lost.
pub const UPLOAD_METADATA: &str = "nf-upload";

impl Features {
    /// The start-up log line: `name=yes|no|unknown` for each feature, then what nf does about
    /// each one that is missing.
    pub fn line(&self) -> String {
        let mut text = String::from("object store probe:");
        let mut adapts = Vec::new();
        for (name, seen, adapt) in [
            (
                "create-if-absent",
                self.create_if_absent,
                "an upload without --force of less than 8 MiB checks for the name just before it \
                 stores, but two servers racing for one name can both succeed",
            ),
            (
                "complete-if-absent",
                self.complete_if_absent,
                "an upload without --force of 8 MiB or more checks for the name just before it \
                 completes, but two servers racing for one name can both succeed",
            ),
            (
                "get-if-match",
                self.get_if_match,
                "each download's ETag is compared before its first byte is sent",
            ),
            (
                "list-etags",
                self.list_etags,
                "ls asks for each file's ETag (one HEAD per file) and keeps every hash entry",
            ),
            (
                "part-etags",
                self.part_etags,
                "interrupted uploads cannot be checked part by part: they are aborted, and a \
                 resumed upload starts over",
            ),
            (
                "list-uploads",
                self.list_uploads,
                "nothing changes (nf does not use it)",
            ),
            (
                "metadata",
                self.metadata,
                "an upload whose answer was lost is checked by reading the object back",
            ),
        ] {
            let _ = write!(text, " {name}={}", seen.word());
            if seen == Seen::No {
                adapts.push(format!("without {name}, {adapt}"));
            }
        }
        if !adapts.is_empty() {
            let _ = write!(text, "; {}", adapts.join("; "));
        }
        text
    }
}

impl Store {
    /// Tries each feature on keys under `PREFIX/.nf/probe/UNIQUE/` and deletes them. A step
    /// that fails for another reason leaves its features unknown.
    pub(super) async fn probe(&self) -> Features {
        let mut seen = Features::default();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = format!(".nf/probe/{:x}-{nanos:x}", std::process::id());
        let (Ok(a), Ok(c), Ok(dir_path)) = (
            self.path(&format!("{dir}/a")),
            self.path(&format!("{dir}/c")),
            self.path(&dir),
        ) else {
            return seen;
        };
        let s3 = &self.inner.s3;
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::Metadata(UPLOAD_METADATA.into()), "probe".into());
        let create = PutOptions {
            mode: PutMode::Create,
            attributes,
            ..PutOptions::default()
        };
        if s3
            .put_opts(&a, PutPayload::from_static(b"nf probe"), create)
            .await
            .is_err()
        {
            return seen;
        }
        let again = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        seen.create_if_absent = match s3.put_opts(&a, PutPayload::from_static(b"again"), again).await {
            Ok(_) => Seen::No,
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                Seen::Yes
            }
            Err(_) => Seen::Unknown,
        };
        let head = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        if let Ok(got) = s3.get_opts(&a, head).await {
            let value = got.attributes.get(&Attribute::Metadata(UPLOAD_METADATA.into()));
            seen.metadata = Seen::of(value.is_some_and(|v| v.as_ref() == "probe"));
        }
        let mismatch = GetOptions {
            if_match: Some("\"00000000000000000000000000000000\"".into()),
            ..GetOptions::default()
        };
        seen.get_if_match = match s3.get_opts(&a, mismatch).await {
            Ok(_) => Seen::No,
            Err(object_store::Error::Precondition { .. }) => Seen::Yes,
            Err(_) => Seen::Unknown,
        };
        if let Ok(listed) = self.list_all(&dir_path).await {
            if let Some(meta) = listed.first() {
                seen.list_etags = Seen::of(super::etag_token(meta).is_some());
            }
        }
        self.probe_multipart(&c, &mut seen).await;
        self.delete_under(dir_path).await;
        seen
    }

    /// The multipart features, on the key `c`: an object is stored there first, so that a
    /// conditional completion must be refused.
    async fn probe_multipart(&self, c: &object_store::path::Path, seen: &mut Features) {
        use object_store::multipart::MultipartStore;
        let s3 = &self.inner.s3;
        if s3.put(c, PutPayload::from_static(b"old")).await.is_err() {
            return;
        }
        let Ok(id) = s3.create_multipart(c).await else {
            return;
        };
        let part = s3
            .put_part(c, &id, 0, PutPayload::from_static(b"nf probe part"))
            .await;
        seen.list_uploads = Seen::of(self.lists_uploads(c, &id).await);
        if let Ok(Some(parts)) = self.list_parts(c, &id).await {
            if let Some(first) = parts.first() {
                seen.part_etags = Seen::of(first.etag.is_some());
            }
        }
        if let Ok(part) = part {
            seen.complete_if_absent = match upload::complete_if_absent(self, c, &id, &[part]).await {
                Ok(upload::Completion::Done(_)) => Seen::No,
                Ok(upload::Completion::Exists) => Seen::Yes,
                _ => Seen::Unknown,
            };
        }
        let _ = s3.abort_multipart(c, &id).await;
    }

    /// True when ListMultipartUploads answers and names the upload `id` of `key`.
    async fn lists_uploads(&self, key: &object_store::path::Path, id: &str) -> bool {
        let request = super::signed::Request {
            method: reqwest::Method::GET,
            key: &object_store::path::Path::default(),
            query: vec![("uploads", String::new()), ("prefix", key.to_string())],
            if_absent: false,
            body: None,
            retry_conflict: false,
            what: "ListMultipartUploads",
        };
        match super::signed::send(self, &request).await {
            Ok(reply) => !reply.failed() && reply.text.contains(id),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_every_feature_and_what_nf_does_without_it() {
        let f = Features {
            create_if_absent: Seen::Yes,
            complete_if_absent: Seen::Yes,
            get_if_match: Seen::No,
            list_etags: Seen::No,
            part_etags: Seen::Unknown,
            list_uploads: Seen::No,
            metadata: Seen::Yes,
        };
        let line = f.line();
        assert!(line.starts_with(
            "object store probe: create-if-absent=yes complete-if-absent=yes get-if-match=no \
             list-etags=no part-etags=unknown list-uploads=no metadata=yes; without get-if-match,"
        ));
        assert!(line.contains("without list-etags, ls asks"), "{line}");
        assert!(!line.contains("without part-etags"), "{line}");
        assert!(Seen::Unknown.assumed() && !Seen::No.assumed());
    }
}
