//! The `Content-Type` of a stored file, from its extension (case-insensitive); anything
//! unknown is `application/octet-stream`. Text types say UTF-8. Also which types a browser
//! would run script in, so that such a file is served in a sandbox (see [`runs_script`]).

/// Extension → media type, for what people commonly share.
const TYPES: &[(&str, &str)] = &[
    ("7z", "application/x-7z-compressed"),
    ("aac", "audio/aac"),
    ("avif", "image/avif"),
    ("bmp", "image/bmp"),
    ("bz2", "application/x-bzip2"),
    ("c", "text/plain"),
    ("conf", "text/plain"),
    ("cpp", "text/plain"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("deb", "application/vnd.debian.binary-package"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("epub", "application/epub+zip"),
    ("flac", "audio/flac"),
    ("gif", "image/gif"),
    ("go", "text/plain"),
    ("gz", "application/gzip"),
    ("h", "text/plain"),
    ("heic", "image/heic"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("ini", "text/plain"),
    ("iso", "application/x-iso9660-image"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("log", "text/plain"),
    ("m4a", "audio/mp4"),
    ("md", "text/markdown"),
    ("mjs", "text/javascript"),
    ("mkv", "video/x-matroska"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("oga", "audio/ogg"),
    ("ogg", "audio/ogg"),
    ("ogv", "video/ogg"),
    ("opus", "audio/opus"),
    ("otf", "font/otf"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("ppt", "application/vnd.ms-powerpoint"),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("py", "text/plain"),
    ("rs", "text/plain"),
    ("rtf", "application/rtf"),
    ("sh", "text/plain"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tgz", "application/gzip"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("toml", "text/plain"),
    ("ttf", "font/ttf"),
    ("txt", "text/plain"),
    ("wasm", "application/wasm"),
    ("wav", "audio/wav"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("xhtml", "application/xhtml+xml"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xml", "application/xml"),
    ("xz", "application/x-xz"),
    ("yaml", "text/plain"),
    ("yml", "text/plain"),
    ("zip", "application/zip"),
    ("zst", "application/zstd"),
];

/// The media type for a file name.
pub fn of(name: &str) -> String {
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return "application/octet-stream".into(),
    };
    match TYPES.binary_search_by(|(e, _)| (*e).cmp(ext.as_str())) {
        Ok(i) => {
            let t = TYPES[i].1;
            if t.starts_with("text/") || t == "application/json" || t == "image/svg+xml" {
                format!("{t}; charset=utf-8")
            } else {
                t.to_string()
            }
        }
        Err(_) => "application/octet-stream".into(),
    }
}

/// True when a browser would run script in a document of this type: such files (which anyone
/// who may upload can place here) are served with `Content-Security-Policy: sandbox`, so their
/// script cannot act on this server with the visitor's credentials.
pub fn runs_script(media_type: &str) -> bool {
    let base = media_type.split(';').next().unwrap_or("").trim();
    matches!(
        base,
        "text/html" | "application/xhtml+xml" | "image/svg+xml" | "application/xml" | "text/xml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_extension_in_any_case_and_default_to_bytes() {
        assert!(TYPES.windows(2).all(|w| w[0].0 < w[1].0), "the table is sorted");
        assert_eq!(of("photo.JPG"), "image/jpeg");
        assert_eq!(of("notes.txt"), "text/plain; charset=utf-8");
        assert_eq!(of("a.tar.gz"), "application/gzip");
        assert_eq!(of("Makefile"), "application/octet-stream");
        assert_eq!(of(".bashrc"), "application/octet-stream");
        assert_eq!(of("x.unknown"), "application/octet-stream");
        assert!(runs_script(&of("page.html")) && runs_script(&of("logo.svg")));
        assert!(!runs_script(&of("doc.pdf")) && !runs_script(&of("a.txt")));
    }
}
