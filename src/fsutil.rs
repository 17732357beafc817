//! Small file-system helpers shared by the store and the client.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Renames `from` to `to` unless `to` exists (then `AlreadyExists`), atomically: one
/// `renameat2(RENAME_NOREPLACE)`. Where the file system lacks it, a hard link and an unlink
/// (also atomic against a racing creator); where it lacks hard links too (FAT), a check and a
/// rename.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (cf, ct) = (c(from)?, c(to)?);
    // SAFETY: both are NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            cf.as_ptr(),
            libc::AT_FDCWD,
            ct.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {}
        _ => return Err(err),
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => std::fs::remove_file(from),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if std::fs::symlink_metadata(to).is_ok() => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(from, to),
    }
}

/// Creates an anonymous file (O_TMPFILE) in `dir`, mode 0600, readable and writable. It has no
/// name until [`link_fd`] gives it one, and vanishes if the process dies first.
pub fn anonymous_file(dir: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
}

/// Gives an anonymous file its name `target`; fails with `AlreadyExists` if `target` exists.
pub fn link_fd(file: &std::fs::File, target: &Path) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let source = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let target = CString::new(target.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated C strings that outlive the call.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            source.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// File systems on which nf writes large bodies with O_DIRECT: local disk file systems, where
/// it spares a copy into the page cache and most of the final fsync. Elsewhere (NFS, FUSE,
/// tmpfs, overlayfs) a direct write can be a synchronous round trip or a plain copy, so the
/// page cache is kept.
const DIRECT_FS: [libc::c_long; 3] = [
    0xEF53,      // ext2/3/4
    0x5846_5342, // xfs
    0x9123_683E, // btrfs
];

/// A second descriptor of `file`, opened for writing with O_DIRECT, when `file` lives on one
/// of the file systems in [`DIRECT_FS`] and opening it that way works; `None` otherwise.
pub fn direct_twin(file: &std::fs::File) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    // SAFETY: fstatfs fills the zeroed struct for an fd we own.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut fs) } != 0
        || !DIRECT_FS.contains(&(fs.f_type as libc::c_long))
    {
        return None;
    }
    // Through /proc/self/fd: the same inode, whatever happened to its path since.
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::io::AsRawFd;

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

    fn fs_type(path: &Path) -> libc::c_long {
        let file = std::fs::File::open(path).unwrap();
        // SAFETY: as in direct_twin.
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::fstatfs(file.as_raw_fd(), &mut fs) }, 0);
        fs.f_type as libc::c_long
    }

    #[test]
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
                // SAFETY: reads the flags of an fd we own.
                let flags = unsafe { libc::fcntl(twin.as_raw_fd(), libc::F_GETFL) };
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
