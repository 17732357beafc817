//! Small file-system helpers shared by the store and the client.

use std::io;
use std::path::Path;

/// Renames `from` to `to` unless `to` exists (then `AlreadyExists`), atomically: one
/// `renameat2(RENAME_NOREPLACE)`. Where the file system lacks it, a hard link and an unlink
/// (also atomic against a racing creator); where it lacks hard links too (FAT), a check and a
/// rename.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let Err(err) = crate::sys::rename_noreplace(from, to) else {
        return Ok(());
    };
    if !no_such_call(&err) {
        return Err(err);
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if std::fs::symlink_metadata(to).is_ok() => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(from, to),
    }
}

/// [`rename_noreplace`] into the open directory `dir` under the name `leaf` (one component),
/// with the same fallbacks.
pub fn rename_noreplace_at(from: &Path, dir: &std::fs::File, leaf: &str) -> io::Result<()> {
    let Err(err) = crate::sys::renameat(None, from, dir, leaf, true) else {
        return Ok(());
    };
    if !no_such_call(&err) {
        return Err(err);
    }
    match crate::sys::linkat(None, from, dir, leaf) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if std::fs::symlink_metadata(crate::sys::path_at(dir, leaf)).is_ok() => {
            Err(io::ErrorKind::AlreadyExists.into())
        }
        Err(_) => crate::sys::renameat(None, from, dir, leaf, false),
    }
}

/// True when `err` says the system or file system lacks the call (the caller falls back).
fn no_such_call(err: &io::Error) -> bool {
    #[cfg(unix)]
    if matches!(
        err.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
    ) {
        return true;
    }
    err.kind() == io::ErrorKind::Unsupported
}

/// Creates an anonymous file (O_TMPFILE) in `dir`, mode 0600, readable and writable. It has no
/// name until [`link_fd`] gives it one, and vanishes if the process dies first. Linux only
/// (elsewhere `Unsupported`: callers use a named partial file).
pub fn anonymous_file(dir: &Path) -> io::Result<std::fs::File> {
    #[cfg(target_os = "linux")]
    return std::os::unix::fs::OpenOptionsExt::custom_flags(
        crate::sys::create_mode(std::fs::OpenOptions::new().read(true).write(true), 0o600),
        libc::O_TMPFILE,
    )
    .open(dir);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Gives an anonymous file its name `target`; fails with `AlreadyExists` if `target` exists.
pub fn link_fd(file: &std::fs::File, target: &Path) -> io::Result<()> {
    crate::sys::link_fd(file, target)
}

/// File systems on which nf writes large bodies with O_DIRECT: local disk file systems, where
/// it spares a copy into the page cache and most of the final fsync. Elsewhere (NFS, FUSE,
/// tmpfs, overlayfs) a direct write can be a synchronous round trip or a plain copy, so the
/// page cache is kept.
#[cfg(target_os = "linux")]
const DIRECT_FS: [i64; 3] = [
    0xEF53,      // ext2/3/4
    0x5846_5342, // xfs
    0x9123_683E, // btrfs
];

/// A second descriptor of `file`, opened for writing with O_DIRECT, when `file` lives on one
/// of the file systems in [`DIRECT_FS`] and opening it that way works; `None` otherwise (and
/// always off Linux).
#[cfg(not(target_os = "linux"))]
pub fn direct_twin(_file: &std::fs::File) -> Option<std::fs::File> {
    None
}

/// See the other `direct_twin`.
#[cfg(target_os = "linux")]
pub fn direct_twin(file: &std::fs::File) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    if !crate::sys::fs_type(file).is_ok_and(|t| DIRECT_FS.contains(&t)) {
        return None;
    }
    // Through /proc/self/fd: the same inode, whatever happened to its path since.
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .ok()
}

/// Writes `bytes` to `temp`, a new owner-only (0600) file, and makes them durable (fsync); on
/// failure the file is removed again. The first half of an atomic replace: rename it next.
pub fn write_private_new(temp: &Path, bytes: &[u8]) -> io::Result<()> {
    write_private(temp, bytes, true)
}

/// [`write_private_new`] without the fsync: for what may be lost in a crash (it is durable
/// after the file system's next sync).
pub fn write_private_new_unsynced(temp: &Path, bytes: &[u8]) -> io::Result<()> {
    write_private(temp, bytes, false)
}

fn write_private(temp: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    use std::io::Write;
    let written = crate::sys::create_mode(std::fs::OpenOptions::new().write(true).create_new(true), 0o600)
        .open(temp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            if sync {
                f.sync_all()?;
            }
            Ok(())
        });
    if written.is_err() {
        let _ = std::fs::remove_file(temp);
    }
    written
}

/// Replaces `path` with a new owner-only file holding `bytes`, atomically: a temporary file in
/// the same directory ([`write_private_new`]), renamed over `path`, then the directory fsynced.
/// A reader sees the old file or the whole new one, never part of it.
pub fn replace_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let leaf = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let temp = dir.join(format!(".{leaf}.{}.tmp", std::process::id()));
    write_private_new(&temp, bytes)?;
    if let Err(e) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    crate::sys::sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_noreplace_moves_or_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"one").unwrap();
        rename_noreplace(&a, &b).unwrap();
        assert!(!a.exists());
        assert_eq!(std::fs::read(&b).unwrap(), b"one");
        std::fs::write(&a, b"two").unwrap();
        let err = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"one");
        assert!(a.exists());
    }

    #[cfg(target_os = "linux")]
    fn fs_type(path: &Path) -> i64 {
        crate::sys::fs_type(&std::fs::File::open(path).unwrap()).unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn direct_twin_is_offered_on_disk_file_systems_only_and_writes_the_same_file() {
        let mut dirs = vec![tempfile::tempdir().unwrap()];
        if let Ok(shm) = tempfile::tempdir_in("/dev/shm") {
            dirs.push(shm); // tmpfs: never direct
        }
        for dir in dirs {
            let path = dir.path().join("f");
            let file = std::fs::File::create(&path).unwrap();
            let twin = direct_twin(&file);
            let on_disk = DIRECT_FS.contains(&fs_type(dir.path()));
            assert_eq!(twin.is_some(), on_disk, "{}", dir.path().display());
            if let Some(twin) = twin {
                use std::os::unix::io::AsRawFd;
                let flags =
                    std::fs::read_to_string(format!("/proc/self/fdinfo/{}", twin.as_raw_fd())).unwrap();
                let octal = flags
                    .lines()
                    .find_map(|l| l.strip_prefix("flags:"))
                    .unwrap()
                    .trim();
                let flags = i32::from_str_radix(octal, 8).unwrap();
                assert_ne!(flags & libc::O_DIRECT, 0);
                // An aligned write from aligned memory lands in the same file.
                let mut mem = vec![5u8; 8192];
                let at = mem.as_ptr().align_offset(4096);
                use std::os::unix::fs::FileExt;
                twin.write_all_at(&mem[at..at + 4096], 0).unwrap();
                mem.clear();
                assert_eq!(std::fs::read(&path).unwrap(), vec![5u8; 4096]);
            }
        }
    }
}
