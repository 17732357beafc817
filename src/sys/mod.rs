//! Every call into the operating system that std does not make portable, each behind a safe
//! function, one file per family of systems: `unix.rs` (Linux, with its fast paths: `openat2`,
//! `O_TMPFILE`, `splice`-friendly sockets, `syncfs`, `getxattrat`; and macOS, with portable
//! fallbacks chosen by `#[cfg]` inside it) and `windows.rs` (the client's needs: console echo,
//! Ctrl-C, file locks, socket polls; the local store's calls answer "unsupported", so `nf serve`
//! refuses to start there). The rest of nf is `#![deny(unsafe_code)]` (lib.rs): a reviewer of
//! memory safety reads this folder and nothing else. This file holds the portable helpers the
//! rest of nf calls instead of `std::os::unix` extension traits.
#![allow(unsafe_code)]

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs::{DirBuilder, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// The bytes of a name the system gave (a file name, a path): as they are on Unix; on
/// Windows the UTF-8 of its UTF-16, with U+FFFD for what is not valid UTF-16 (so that the
/// name check refuses it as it refuses bad UTF-8 on Unix).
pub fn os_bytes(s: &OsStr) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    return Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s));
    #[cfg(windows)]
    return match s.to_string_lossy() {
        Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
        Cow::Owned(o) => Cow::Owned(o.into_bytes()),
    };
}

/// The permission bits of a file as Unix gives them. Windows keeps none: 0644 for a file (0444
/// when marked read-only), 0755 for a directory; whether Windows would run a file is not a
/// bit nf can read, so nothing is sent as executable.
pub fn mode_of(md: &Metadata) -> u32 {
    #[cfg(unix)]
    return std::os::unix::fs::PermissionsExt::mode(&md.permissions());
    #[cfg(windows)]
    return match (md.is_dir(), md.permissions().readonly()) {
        (true, _) => 0o40755,
        (false, true) => 0o100444,
        (false, false) => 0o100644,
    };
}

/// Gives `file` the permission bits `mode`; on Windows, which keeps none, does nothing.
pub fn set_mode(file: &std::fs::File, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    return file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
    #[cfg(windows)]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// Files `opts` creates get the permission bits `mode` (Unix; Windows keeps none).
pub fn create_mode(opts: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
    #[cfg(unix)]
    return std::os::unix::fs::OpenOptionsExt::mode(opts, mode);
    #[cfg(windows)]
    {
        let _ = mode;
        opts
    }
}

/// Directories `builder` creates get the permission bits `mode` (Unix; Windows keeps none).
pub fn dir_mode(builder: &mut DirBuilder, mode: u32) -> &mut DirBuilder {
    #[cfg(unix)]
    return std::os::unix::fs::DirBuilderExt::mode(builder, mode);
    #[cfg(windows)]
    {
        let _ = mode;
        builder
    }
}

/// What tells the file or directory at `path` (whose metadata is `md`) apart from every other
/// on this machine: (device, inode) on Unix; on Windows (volume serial number, file index),
/// asked of the file itself (`GetFileInformationByHandle`), or `None` when it cannot be
/// opened: no two `None`s are the same file.
pub fn file_id(path: &Path, md: &Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        let _ = path;
        Some((
            std::os::unix::fs::MetadataExt::dev(md),
            std::os::unix::fs::MetadataExt::ino(md),
        ))
    }
    #[cfg(windows)]
    {
        let _ = md;
        file_index(path)
    }
}

/// A file's identity, size, and modification and change times (seconds, nanoseconds).
pub type ChangeStamp = ((u64, u64), u64, (i64, i64), (i64, i64));

/// Changes to a file seen without reading it: its identity, size, modification and change
/// times (Windows: its creation time for its identity, its last write time twice).
pub fn change_stamp(md: &Metadata) -> ChangeStamp {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (
            (md.dev(), md.ino()),
            md.len(),
            (md.mtime(), md.mtime_nsec()),
            (md.ctime(), md.ctime_nsec()),
        )
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::MetadataExt;
        let t = md.last_write_time() as i64;
        ((md.creation_time(), 0), md.len(), (t, 0), (t, 0))
    }
}

/// Reads up to `buf.len()` bytes of `file` at `offset`, leaving its cursor where it is on Unix
/// (`pread`); on Windows the cursor moves, which nf's callers do not rely on.
pub fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_at(file, buf, offset);
    #[cfg(windows)]
    return std::os::windows::fs::FileExt::seek_read(file, buf, offset);
}

/// Writes all of `buf` to `file` at `offset` (`pwrite` until done).
pub fn write_all_at(file: &std::fs::File, buf: &[u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::write_all_at(file, buf, offset);
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_write(file, buf, offset) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The descriptor (Unix) or socket handle (Windows) of a TCP stream, for [`poll_one`] and the
/// TCP queries.
pub fn socket_fd(sock: &std::net::TcpStream) -> RawFd {
    #[cfg(unix)]
    return std::os::unix::io::AsRawFd::as_raw_fd(sock);
    #[cfg(windows)]
    return std::os::windows::io::AsRawSocket::as_raw_socket(sock);
}

/// The listener's counterpart of [`socket_fd`].
pub fn listener_fd(sock: &std::net::TcpListener) -> RawFd {
    #[cfg(unix)]
    return std::os::unix::io::AsRawFd::as_raw_fd(sock);
    #[cfg(windows)]
    return std::os::windows::io::AsRawSocket::as_raw_socket(sock);
}

/// Standard input as a `File` of its own (a second descriptor or handle of it).
pub fn stdin_file() -> io::Result<std::fs::File> {
    #[cfg(unix)]
    let owned = std::os::fd::AsFd::as_fd(&std::io::stdin()).try_clone_to_owned()?;
    #[cfg(windows)]
    let owned = std::os::windows::io::AsHandle::as_handle(&std::io::stdin()).try_clone_to_owned()?;
    Ok(std::fs::File::from(owned))
}

/// True for the errors that mean the disk (or the user's quota, or the size a file may have)
/// is full: the store's "no space" kind.
pub fn is_no_space(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
    )
}

/// The permission bits (`& 0o777`) of the file at `path` when its group or others may read
/// it, for warnings about secrets kept in it; `None` when they may not, or cannot be told
/// (Windows keeps access in ACLs, which nf does not read).
pub fn shared_mode(path: &std::path::Path) -> Option<u32> {
    #[cfg(unix)]
    {
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).ok()?.permissions()) & 0o777;
        (mode & 0o044 != 0).then_some(mode)
    }
    #[cfg(windows)]
    {
        let _ = path;
        None
    }
}

/// Makes the entries of the directory `dir` durable (Unix: `fsync` of the directory). Windows
/// cannot open a directory as a file; NTFS journals its entries, so there is nothing to do.
pub fn sync_dir(dir: &std::path::Path) -> io::Result<()> {
    #[cfg(unix)]
    return std::fs::File::open(dir).and_then(|d| d.sync_all());
    #[cfg(windows)]
    {
        let _ = dir;
        Ok(())
    }
}
