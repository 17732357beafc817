//! macOS: the calls that Linux makes with its own system calls, made with macOS's. Names
//! beneath the root resolve with one `openat(O_NOFOLLOW_ANY)` (macOS 11; a symlink at any
//! component is refused), or the component walk where that flag is unknown; renames that must
//! not replace use `renameatx_np(RENAME_EXCL)`; extended attributes take macOS's extra
//! arguments (`XATTR_NOFOLLOW`); an open directory's path comes from `fcntl(F_GETPATH)` (there
//! is no `/proc`). Durability needs nothing here: std's `sync_all` is `F_FULLFSYNC` on macOS.
//! No `TCP_INFO` queries, no `syncfs`, no early write-back: callers fall back.

use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::{check, cname, cstring, open_beneath_walk, RawFd};

fn unsupported() -> io::Error {
    io::ErrorKind::Unsupported.into()
}

/// macOS does not say the send window here; callers pace without it.
pub fn tcp_send_room(_fd: RawFd, _max: usize) -> Option<usize> {
    None
}

/// `TCP_NOTSENT_LOWAT` (0x201 in macOS's netinet/tcp.h, which the libc crate lacks).
pub fn set_notsent_lowat(fd: RawFd, bytes: u32) -> io::Result<()> {
    const TCP_NOTSENT_LOWAT: libc::c_int = 0x201;
    let value = bytes as libc::c_int;
    // SAFETY: one int, passed by pointer with its size.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            TCP_NOTSENT_LOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
}

/// macOS does not say what is acknowledged here.
pub fn tcp_bytes_acked(_fd: RawFd) -> Option<u64> {
    None
}

/// `renamex_np(from, to, RENAME_EXCL)`.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (cf, ct) = (cstring(from)?, cstring(to)?);
    // SAFETY: both are NUL-terminated paths that outlive the call.
    check(unsafe { libc::renamex_np(cf.as_ptr(), ct.as_ptr(), libc::RENAME_EXCL) })
}

/// No early write-back on macOS; the final `F_FULLFSYNC` does it all.
pub fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

/// No `syncfs` on macOS: `Unsupported`, so the caller flushes each file.
pub fn syncfs(_file: &File) -> io::Result<()> {
    Err(unsupported())
}

/// `getxattr(path, name, buf, size, 0, XATTR_NOFOLLOW)`.
pub fn get_xattr_path(path: &Path, name: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    debug_assert!(name.ends_with(b"\0"));
    let c_path = cstring(path)?;
    // SAFETY: c_path and name are NUL-terminated; buf is valid for buf.len() bytes.
    let n = unsafe {
        libc::getxattr(
            c_path.as_ptr(),
            name.as_ptr().cast(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            libc::XATTR_NOFOLLOW,
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// The attribute `name` of the entry `leaf` of `dir`, through [`path_at`] (no symlink followed).
pub fn get_xattr_at(dir: &File, leaf: &str, name: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    get_xattr_path(&path_at(dir, leaf), name, buf)
}

/// `fgetxattr(fd, name, buf, size, 0, 0)`.
pub fn get_xattr(file: &File, name: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    debug_assert!(name.ends_with(b"\0"));
    // SAFETY: the fd is open for the duration of the call; name is NUL-terminated.
    let n = unsafe {
        libc::fgetxattr(
            file.as_raw_fd(),
            name.as_ptr().cast(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            0,
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// `fsetxattr(fd, name, value, size, 0, 0)`.
pub fn set_xattr(file: &File, name: &[u8], value: &[u8]) -> io::Result<()> {
    debug_assert!(name.ends_with(b"\0"));
    // SAFETY: the fd is open; name is NUL-terminated; value is valid for its length.
    check(unsafe {
        libc::fsetxattr(
            file.as_raw_fd(),
            name.as_ptr().cast(),
            value.as_ptr().cast(),
            value.len(),
            0,
            0,
        )
    })
}

/// Opens `path` beneath `dir` without following a symlink at any component: one
/// `openat(O_NOFOLLOW_ANY)`; where the system does not know the flag (before macOS 11,
/// `EINVAL`), the component walk.
pub fn open_beneath(dir: &File, path: &str, flags: libc::c_int, mode: u32) -> io::Result<File> {
    use std::sync::atomic::Ordering;
    if !NO_NOFOLLOW_ANY.load(Ordering::Relaxed) {
        match super::openat(dir, path, flags | libc::O_NOFOLLOW_ANY, mode) {
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                NO_NOFOLLOW_ANY.store(true, Ordering::Relaxed)
            }
            other => return other,
        }
    }
    open_beneath_walk(dir, path, flags, mode).map_err(|(_, e)| e)
}

/// Set once `O_NOFOLLOW_ANY` turned out to be unknown (before macOS 11).
static NO_NOFOLLOW_ANY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes [`open_beneath`] walk the components itself from now on (for tests of that path;
/// named after Linux's counterpart).
#[cfg(test)]
pub fn disable_openat2() {
    NO_NOFOLLOW_ANY.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// `renameatx_np(from_dir, from, to_dir, to, RENAME_EXCL or 0)`; `from_dir` `None` means
/// `from` is a path taken as it is.
pub fn renameat(
    from_dir: Option<&File>,
    from: &Path,
    to_dir: &File,
    to: &str,
    noreplace: bool,
) -> io::Result<()> {
    let (c_from, c_to) = (cstring(from)?, cname(to)?);
    let from_fd = from_dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    let flags = if noreplace { libc::RENAME_EXCL } else { 0 };
    // SAFETY: valid dirfds (or AT_FDCWD) and NUL-terminated names that outlive the call.
    check(unsafe { libc::renameatx_np(from_fd, c_from.as_ptr(), to_dir.as_raw_fd(), c_to.as_ptr(), flags) })
}

/// The path of the open directory `dir` now (`fcntl(F_GETPATH)`); empty if it cannot say.
fn dir_path(dir: &File) -> PathBuf {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: F_GETPATH writes at most PATH_MAX bytes, NUL-terminated, into buf.
    if unsafe { libc::fcntl(dir.as_raw_fd(), libc::F_GETPATH, buf.as_mut_ptr()) } != 0 {
        return PathBuf::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.truncate(end);
    PathBuf::from(std::ffi::OsStr::from_bytes(&buf))
}

/// The path of the entry `name` of the open directory `dir`, through the directory's path now
/// (macOS has no `/proc/self/fd`): a rename of the directory between this and its use is not
/// seen, unlike on Linux. Only for calls that do not follow a final symlink.
pub fn path_at(dir: &File, name: &str) -> PathBuf {
    dir_path(dir).join(name)
}

/// The entries of the open directory `dir` (through its path now, see [`path_at`]).
pub fn read_dir(dir: &File) -> io::Result<std::fs::ReadDir> {
    std::fs::read_dir(dir_path(dir))
}
