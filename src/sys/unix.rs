//! Linux and macOS: every call into libc, each behind a safe function. Linux's fast paths
//! (`openat2`, `renameat2`, `O_TMPFILE`, `getxattrat`, `syncfs`, `TCP_INFO`) have `#[cfg]`
//! fallbacks for macOS beside them. Each function says what it wraps; none keeps state.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
pub use std::os::unix::io::RawFd;

/// The controlling terminal, for reading and for writing.
pub const TTY_IN: &str = "/dev/tty";
pub const TTY_OUT: &str = "/dev/tty";

#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::*;

pub use libc::{O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, SIGHUP};

/// The descriptor of an open file (the terminal, for [`echo_off`]).
pub fn file_fd(file: &File) -> RawFd {
    file.as_raw_fd()
}
use std::path::Path;
use std::time::Duration;

fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

// ---------------------------------------------------------------------------------------
// Process

/// Fixes glibc's mmap threshold (`mallopt(M_MMAP_THRESHOLD)`). Call before threads start.
pub fn set_mmap_threshold(bytes: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, bytes as libc::c_int);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = bytes;
}

/// Raises the soft limit on open files to the hard limit; returns the limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: get/setrlimit on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        if lim.rlim_cur < lim.rlim_max {
            let mut raised = lim;
            raised.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
    }
    lim.rlim_cur
}

/// Makes a file-size limit (`ulimit -f`) fail writes with EFBIG instead of killing the
/// process (SIGXFSZ ignored).
pub fn ignore_sigxfsz() {
    // SAFETY: setting a signal disposition to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The set of stop signals (SIGINT, SIGTERM), blocked in the calling thread and in every
/// thread it starts afterwards.
pub struct StopSignals(libc::sigset_t);

/// Blocks SIGINT and SIGTERM in this thread (and the threads it starts from now on).
pub fn block_stop_signals() -> StopSignals {
    block_signals(&[libc::SIGINT, libc::SIGTERM])
}

/// Blocks `signals` in this thread (and the threads it starts from now on).
pub fn block_signals(signals: &[i32]) -> StopSignals {
    // SAFETY: plain libc calls on a local sigset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &sig in signals {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        StopSignals(set)
    }
}

impl StopSignals {
    /// Waits for one of the blocked stop signals (`sigwait`); returns its number.
    pub fn wait(&self) -> Option<i32> {
        let mut sig = 0;
        // SAFETY: the set is valid; sig is a valid out pointer.
        (unsafe { libc::sigwait(&self.0, &mut sig) } == 0).then_some(sig)
    }
}

/// Ends the process the way `sig` would if nf did not handle it (so the shell sees "killed by
/// SIGINT" and exit status 130): restores the default action, unblocks it and raises it.
pub fn die_by(sig: i32) -> ! {
    // SAFETY: plain signal calls; if the signal does not end the process, exit does.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig)
}

/// This machine's host name (`gethostname`), if it has a readable one.
pub fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its length; the name ends at a NUL within it (or is
    // cut at the end, which the search below handles).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec())
        .ok()
        .filter(|n| !n.is_empty())
}

// ---------------------------------------------------------------------------------------
// Sockets

/// Takes an exclusive advisory lock on `file` (`flock`), waiting for it; it is released when
/// the file is closed.
pub fn lock_exclusive(file: &File) -> io::Result<()> {
    loop {
        // SAFETY: flock on a descriptor the File owns.
        match check(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Sets the accept queue of the listening socket `fd` to `backlog` (Linux applies a second
/// `listen` to a listening socket as a new backlog).
pub fn set_backlog(fd: RawFd, backlog: i32) -> io::Result<()> {
    // SAFETY: listen on a socket descriptor we own.
    check(unsafe { libc::listen(fd, backlog) })
}

/// The peer shut its sending side (Linux); elsewhere a read of 0 bytes tells it.
#[cfg(target_os = "linux")]
use libc::POLLRDHUP;
#[cfg(not(target_os = "linux"))]
const POLLRDHUP: libc::c_short = 0;

/// Events [`poll_one`] can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Events {
    pub readable: bool,
    pub writable: bool,
    /// The connection failed or hung up (or, when watched, the peer shut its sending side).
    pub hangup: bool,
}

/// Waits up to `timeout` for `fd` to become readable (`read`), writable (`write`), or to be
/// hung up (always watched: a reset or both sides shut); with `half_close`, the peer shutting
/// its sending side counts as a hang-up too. Returns what happened (all false: timed out).
pub fn poll_one(
    fd: RawFd,
    read: bool,
    write: bool,
    half_close: bool,
    timeout: Duration,
) -> io::Result<Events> {
    let mut events = if half_close { POLLRDHUP } else { 0 };
    if read {
        events |= libc::POLLIN;
    }
    if write {
        events |= libc::POLLOUT;
    }
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(Events {
                readable: false,
                writable: false,
                hangup: false,
            });
        }
        return Err(err);
    }
    let r = pfd.revents;
    Ok(Events {
        readable: r & libc::POLLIN != 0,
        writable: r & libc::POLLOUT != 0,
        hangup: r & (POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0,
    })
}

#[cfg(target_os = "linux")]
/// How many more bytes the kernel can send on the TCP socket `fd` at once: the smaller of the
/// peer's receive window and the congestion window, less what is already sent and
/// unacknowledged or queued. On older kernels, whose `TCP_INFO` lacks the peer's window (Linux
/// 5.4 added it), `max` once everything earlier is acknowledged. `None` if the kernel answers
/// neither.
pub fn tcp_send_room(fd: RawFd, max: usize) -> Option<usize> {
    let queued = usize::try_from(tcp_queued(fd)?).unwrap_or(usize::MAX);
    let has_window = std::mem::offset_of!(libc::tcp_info, tcpi_snd_wnd) + 4;
    match tcp_info(fd) {
        Some((info, len)) if len >= has_window => {
            let cwnd = info.tcpi_snd_cwnd as usize * info.tcpi_snd_mss as usize;
            Some((info.tcpi_snd_wnd as usize).min(cwnd).saturating_sub(queued))
        }
        _ => Some(if queued == 0 { max } else { 0 }),
    }
}

#[cfg(target_os = "linux")]
/// Sets `TCP_NOTSENT_LOWAT` on the TCP socket `fd`: the kernel takes more to send only while
/// fewer than `bytes` of what it holds are not yet sent. What is in flight is not limited.
pub fn set_notsent_lowat(fd: RawFd, bytes: u32) -> io::Result<()> {
    let value = bytes as libc::c_int;
    // SAFETY: one int, passed by pointer with its size.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
}

/// Bytes the kernel still holds to send on the TCP socket `fd`, sent or not, that the peer
/// has not acknowledged (`SIOCOUTQ`); `None` if the kernel does not say.
pub fn tcp_queued(fd: RawFd) -> Option<u64> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int through the pointer, which is valid.
    if unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued) } != 0 {
        return None;
    }
    Some(u64::try_from(queued).unwrap_or(0))
}

#[cfg(target_os = "linux")]
/// Bytes the peer of the TCP socket `fd` has acknowledged over the connection's life
/// (`TCP_INFO`'s `tcpi_bytes_acked`, Linux 4.1 and later); `None` if the kernel does not say.
pub fn tcp_bytes_acked(fd: RawFd) -> Option<u64> {
    let has_acked = std::mem::offset_of!(libc::tcp_info, tcpi_bytes_acked) + 8;
    match tcp_info(fd) {
        Some((info, len)) if len >= has_acked => Some(info.tcpi_bytes_acked),
        _ => None,
    }
}

#[cfg(target_os = "linux")]
/// The kernel's `TCP_INFO` for `fd` and how many of its bytes the kernel filled in.
fn tcp_info(fd: RawFd) -> Option<(libc::tcp_info, usize)> {
    // SAFETY: tcp_info is plain old data; all zeroes is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `info` and stores the length in `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some((info, len as usize))
}

// ---------------------------------------------------------------------------------------
// Files

#[cfg(target_os = "linux")]
/// `renameat2(from, to, RENAME_NOREPLACE)`.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (cf, ct) = (cstring(from)?, cstring(to)?);
    // SAFETY: both are NUL-terminated paths that outlive the call.
    check(unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            cf.as_ptr(),
            libc::AT_FDCWD,
            ct.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    })
}

/// Gives the open file `file` the name `target` (`linkat` of `/proc/self/fd/N`, following
/// it): how an anonymous `O_TMPFILE` file becomes visible.
pub fn link_fd(file: &File, target: &Path) -> io::Result<()> {
    let source = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let target = cstring(target)?;
    // SAFETY: both paths are NUL-terminated C strings that outlive the call.
    check(unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            source.as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    })
}

/// The type of the file system holding `file` (`fstatfs`'s `f_type`).
pub fn fs_type(file: &File) -> io::Result<i64> {
    // SAFETY: fstatfs fills the zeroed struct for an fd we own.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    check(unsafe { libc::fstatfs(file.as_raw_fd(), &mut fs) })?;
    Ok(fs.f_type as i64)
}

/// The bytes an unprivileged writer can still store on the file system holding `file`
/// (`fstatvfs`: available blocks times the fragment size).
pub fn free_bytes(file: &File) -> io::Result<u64> {
    // SAFETY: fstatvfs fills the zeroed struct for an fd we own.
    let mut fs: libc::statvfs = unsafe { std::mem::zeroed() };
    check(unsafe { libc::fstatvfs(file.as_raw_fd(), &mut fs) })?;
    Ok((fs.f_bavail as u64).saturating_mul(fs.f_frsize as u64))
}

#[cfg(target_os = "linux")]
/// Starts write-back of `len` bytes of `file` from `offset` (`sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`); failure only loses the optimisation.
pub fn start_writeback(file: &File, offset: u64, len: u64) {
    // SAFETY: plain syscall on our own fd.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as i64,
            len as i64,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(target_os = "linux")]
/// Flushes the whole file system holding `file` to stable storage (`syncfs`).
pub fn syncfs(file: &File) -> io::Result<()> {
    // SAFETY: plain syscall on an fd we own.
    check(unsafe { libc::syncfs(file.as_raw_fd()) })
}

#[cfg(target_os = "linux")]
/// Reads the extended attribute `name` (NUL-terminated) of the file at `path`, not following a
/// final symlink (`lgetxattr`), into `buf`; returns its length.
pub fn get_xattr_path(path: &Path, name: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    debug_assert!(name.ends_with(b"\0"));
    let c_path = cstring(path)?;
    // SAFETY: c_path and name are NUL-terminated; buf is valid for buf.len() bytes.
    let n = unsafe {
        libc::lgetxattr(
            c_path.as_ptr(),
            name.as_ptr().cast(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// `getxattrat(2)` (Linux 6.13): 464 on x86_64 and aarch64, as on every architecture since the
/// numbers were unified at 424 (the libc crate defines it for only a few so far).
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
const SYS_GETXATTRAT: libc::c_long = 464;

/// Set once `getxattrat` turned out to be missing (`ENOSYS`): an older kernel.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
static NO_GETXATTRAT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `struct xattr_args` of `getxattrat(2)` (its first version, 16 bytes).
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
#[repr(C)]
struct XattrArgs {
    value: u64,
    size: u32,
    flags: u32,
}

#[cfg(target_os = "linux")]
/// Reads the extended attribute `name` (NUL-terminated) of the entry `leaf` of the open
/// directory `dir`, not following a final symlink, into `buf`; returns its length. One
/// `getxattrat` relative to the descriptor where the kernel has it; else `lgetxattr` through
/// [`path_at`], which resolves `/proc/self/fd/N` on every call.
pub fn get_xattr_at(dir: &File, leaf: &str, name: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    debug_assert!(name.ends_with(b"\0"));
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    if !NO_GETXATTRAT.load(std::sync::atomic::Ordering::Relaxed) {
        let c_leaf = CString::new(leaf).map_err(io::Error::other)?;
        let mut args = XattrArgs {
            value: buf.as_mut_ptr() as u64,
            size: u32::try_from(buf.len()).unwrap_or(u32::MAX),
            flags: 0,
        };
        // SAFETY: c_leaf and name are NUL-terminated; args points at buf, valid for
        // args.size <= buf.len() bytes, and is itself valid for size_of::<XattrArgs>().
        let n = unsafe {
            libc::syscall(
                SYS_GETXATTRAT,
                dir.as_raw_fd(),
                c_leaf.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW as libc::c_uint,
                name.as_ptr(),
                std::ptr::addr_of_mut!(args),
                std::mem::size_of::<XattrArgs>(),
            )
        };
        match usize::try_from(n) {
            Ok(n) => return Ok(n),
            Err(_) => {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::ENOSYS) => NO_GETXATTRAT.store(true, std::sync::atomic::Ordering::Relaxed),
                    // Refused by a seccomp filter that does not know the call.
                    Some(libc::EPERM) => {}
                    _ => return Err(e),
                }
            }
        }
    }
    get_xattr_path(&path_at(dir, leaf), name, buf)
}

#[cfg(target_os = "linux")]
/// Reads the extended attribute `name` (NUL-terminated) of an open file into `buf`.
pub fn get_xattr(file: &File, name: &[u8], buf: &mut [u8]) -> io::Result<usize> {
    debug_assert!(name.ends_with(b"\0"));
    // SAFETY: the fd is open for the duration of the call; name is NUL-terminated.
    let n = unsafe {
        libc::fgetxattr(
            file.as_raw_fd(),
            name.as_ptr().cast(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

#[cfg(target_os = "linux")]
/// Sets the extended attribute `name` (NUL-terminated) of an open file to `value`.
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
        )
    })
}

// ---------------------------------------------------------------------------------------
// Names beneath a directory descriptor (the local store's tree)

fn cname(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(io::Error::other)
}

#[cfg(target_os = "linux")]
/// Set once `openat2(2)` turned out to be missing (Linux before 5.6, or a sandbox that filters
/// it): [`open_beneath`] then walks the components itself.
static NO_OPENAT2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[cfg(target_os = "linux")]
/// Opens `path` (a relative path of `/`-separated components, none of them `.` or `..` or
/// empty) beneath the directory `dir`, never following a symlink at any component and never
/// leaving `dir`: `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
/// RESOLVE_NO_MAGICLINKS`, or where the kernel lacks it, [`open_beneath_walk`]. A symlink
/// anywhere is `ELOOP`; a file where a directory should be is `ENOTDIR`. `flags` are
/// `open(2)` flags (`O_CLOEXEC` is added), `mode` the mode of a created file.
pub fn open_beneath(dir: &File, path: &str, flags: libc::c_int, mode: u32) -> io::Result<File> {
    use std::sync::atomic::Ordering;
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        let c_path = cname(path)?;
        // SAFETY: open_how is plain old data; all zeroes is a valid value.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (flags | libc::O_CLOEXEC) as u64;
        if flags & (libc::O_CREAT | libc::O_TMPFILE) != 0 {
            how.mode = u64::from(mode);
        }
        how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        for _ in 0..8 {
            // SAFETY: openat2 with a valid dirfd, a NUL-terminated path and an open_how we
            // own whose size we pass; on success it returns a new descriptor we then own.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    dir.as_raw_fd(),
                    c_path.as_ptr(),
                    &mut how as *mut libc::open_how,
                    std::mem::size_of::<libc::open_how>(),
                )
            };
            if fd >= 0 {
                // SAFETY: a fresh descriptor returned by the kernel, owned by nobody else.
                return Ok(unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd as RawFd) });
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                // A rename or mount raced with the lookup: the kernel asks to try again.
                Some(libc::EAGAIN) | Some(libc::EINTR) => continue,
                Some(libc::ENOSYS) => {
                    NO_OPENAT2.store(true, Ordering::Relaxed);
                    break;
                }
                // Some sandboxes refuse unknown system calls with EPERM: the walk decides; a
                // path over PATH_MAX, which the walk does not hand to the kernel whole, too.
                Some(libc::EPERM) | Some(libc::ENAMETOOLONG) => break,
                _ => return Err(err),
            }
        }
    }
    open_beneath_walk(dir, path, flags, mode).map_err(|(_, e)| e)
}

/// Makes [`open_beneath`] walk the components itself from now on, as on a kernel without
/// `openat2` (for tests of that path).
#[cfg(all(test, target_os = "linux"))]
pub fn disable_openat2() {
    NO_OPENAT2.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// [`open_beneath`] without `openat2`: one `openat` per component, each with `O_NOFOLLOW`
/// (the directories also with `O_DIRECTORY`), so a symlink at any component is `ELOOP` and a
/// file where a directory should be is `ENOTDIR`. On failure, also says which component
/// (0-based) failed.
pub fn open_beneath_walk(
    dir: &File,
    path: &str,
    flags: libc::c_int,
    mode: u32,
) -> Result<File, (usize, io::Error)> {
    let components: Vec<&str> = path.split('/').collect();
    let last = components.len() - 1;
    let mut current: Option<File> = None;
    for (i, component) in components.iter().enumerate() {
        let at = current.as_ref().unwrap_or(dir);
        let opened = if i == last {
            openat(at, component, flags | libc::O_NOFOLLOW, mode)
        } else {
            openat(
                at,
                component,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            )
            .map_err(|e| {
                // O_DIRECTORY is checked first: a symlink reads as "not a directory". Say
                // what openat2 says of it.
                let link = std::fs::symlink_metadata(path_at(at, component))
                    .is_ok_and(|m| m.file_type().is_symlink());
                if e.raw_os_error() == Some(libc::ENOTDIR) && link {
                    io::Error::from_raw_os_error(libc::ELOOP)
                } else {
                    e
                }
            })
        };
        current = Some(opened.map_err(|e| (i, e))?);
    }
    Ok(current.expect("at least one component"))
}

/// `openat(dir, name, flags | O_CLOEXEC, mode)` for one component `name`.
pub fn openat(dir: &File, name: &str, flags: libc::c_int, mode: u32) -> io::Result<File> {
    let c_name = cname(name)?;
    loop {
        // SAFETY: a valid dirfd and a NUL-terminated name; the result is a descriptor we own.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c_name.as_ptr(),
                flags | libc::O_CLOEXEC,
                mode as libc::c_uint,
            )
        };
        if fd >= 0 {
            // SAFETY: a fresh descriptor returned by the kernel.
            return Ok(unsafe { <File as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// `mkdirat(dir, name, mode)`.
pub fn mkdirat(dir: &File, name: &str, mode: u32) -> io::Result<()> {
    let c_name = cname(name)?;
    // SAFETY: a valid dirfd and a NUL-terminated name.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), c_name.as_ptr(), mode as libc::mode_t) })
}

/// `unlinkat(dir, name, 0)`, or with `AT_REMOVEDIR` for an (empty) directory.
pub fn unlinkat(dir: &File, name: &str, directory: bool) -> io::Result<()> {
    let c_name = cname(name)?;
    let flags = if directory { libc::AT_REMOVEDIR } else { 0 };
    // SAFETY: a valid dirfd and a NUL-terminated name.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), c_name.as_ptr(), flags) })
}

#[cfg(target_os = "linux")]
/// `renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE or 0)`; `from_dir` `None` means
/// `from` is a path taken as it is (an absolute path of nf's own, such as a partial upload).
pub fn renameat(
    from_dir: Option<&File>,
    from: &Path,
    to_dir: &File,
    to: &str,
    noreplace: bool,
) -> io::Result<()> {
    let (c_from, c_to) = (cstring(from)?, cname(to)?);
    let from_fd = from_dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    let flags = if noreplace { libc::RENAME_NOREPLACE } else { 0 };
    // SAFETY: valid dirfds (or AT_FDCWD) and NUL-terminated names that outlive the call.
    check(unsafe { libc::renameat2(from_fd, c_from.as_ptr(), to_dir.as_raw_fd(), c_to.as_ptr(), flags) })
}

/// `linkat(from_dir, from, to_dir, to, 0)`: a second name for a file (no symlink followed).
pub fn linkat(from_dir: Option<&File>, from: &Path, to_dir: &File, to: &str) -> io::Result<()> {
    let (c_from, c_to) = (cstring(from)?, cname(to)?);
    let from_fd = from_dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: valid dirfds (or AT_FDCWD) and NUL-terminated names that outlive the call.
    check(unsafe { libc::linkat(from_fd, c_from.as_ptr(), to_dir.as_raw_fd(), c_to.as_ptr(), 0) })
}

/// Gives the open file `file` the name `to` in the directory `to_dir` (`linkat` of
/// `/proc/self/fd/N`, following that magic link): how an anonymous `O_TMPFILE` file becomes
/// visible in the tree.
pub fn link_fd_at(file: &File, to_dir: &File, to: &str) -> io::Result<()> {
    let source = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let c_to = cname(to)?;
    // SAFETY: NUL-terminated paths that outlive the call and valid descriptors.
    check(unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            source.as_ptr(),
            to_dir.as_raw_fd(),
            c_to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    })
}

#[cfg(target_os = "linux")]
/// The path through which the entry `name` of the open directory `dir` can be reached by
/// calls that take paths (`/proc/self/fd/N/NAME`): the directory is the one the descriptor
/// holds, whatever happened to its own path. Only for calls that do not follow a final
/// symlink (`lgetxattr`, `symlink_metadata`).
pub fn path_at(dir: &File, name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/proc/self/fd/{}/{name}", dir.as_raw_fd()))
}

#[cfg(target_os = "linux")]
/// The entries of the open directory `dir` (through `/proc/self/fd/N`: std reads directories
/// by path). `DirEntry::metadata` does not follow symlinks.
pub fn read_dir(dir: &File) -> io::Result<std::fs::ReadDir> {
    std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd()))
}

/// A terminal's settings, as they were before [`echo_off`].
pub struct TermSettings(libc::termios);

/// The terminal whose echo is off (-1: none) and its settings before, for the SIGINT handler.
static ECHO_OFF_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
static ECHO_BEFORE: std::sync::OnceLock<std::sync::Mutex<Option<libc::termios>>> = std::sync::OnceLock::new();

/// Turns the echo of the terminal `fd` off (keeping the line end's echo), and makes SIGINT
/// put it back before the process dies of it; returns the settings to give [`echo_restore`].
pub fn echo_off(fd: RawFd) -> io::Result<TermSettings> {
    // SAFETY: termios is plain data, filled by tcgetattr before it is read.
    let mut before: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `before` is a valid termios to write; a bad fd is an error, not UB.
    if unsafe { libc::tcgetattr(fd, &mut before) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut quiet = before;
    quiet.c_lflag &= !libc::ECHO;
    quiet.c_lflag |= libc::ECHONL;
    *ECHO_BEFORE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(before);
    ECHO_OFF_FD.store(fd, std::sync::atomic::Ordering::SeqCst);
    extern "C" fn on_sigint(_: libc::c_int) {
        let fd = ECHO_OFF_FD.load(std::sync::atomic::Ordering::SeqCst);
        if let (true, Some(saved)) = (fd >= 0, ECHO_BEFORE.get()) {
            if let Ok(Some(before)) = saved.try_lock().as_deref() {
                // SAFETY: tcsetattr is async-signal-safe; `before` is a valid termios.
                unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, before) };
            }
        }
        // SAFETY: resetting the action and raising again are async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::raise(libc::SIGINT);
        }
    }
    // SAFETY: the handler calls only async-signal-safe functions.
    unsafe { libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t) };
    // SAFETY: `quiet` is a valid termios.
    if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
        ECHO_OFF_FD.store(-1, std::sync::atomic::Ordering::SeqCst);
        return Err(io::Error::last_os_error());
    }
    Ok(TermSettings(before))
}

/// Puts back the settings [`echo_off`] returned.
pub fn echo_restore(fd: RawFd, settings: &TermSettings) {
    // SAFETY: `settings.0` is a valid termios read from this terminal.
    unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &settings.0) };
    ECHO_OFF_FD.store(-1, std::sync::atomic::Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk that stands in for `openat2` where the kernel lacks it refuses what `openat2`
    /// refuses, the same way: a symlink at any component is `ELOOP`, a file where a directory
    /// should be `ENOTDIR`; it says which component failed; and nothing outside is opened.
    #[test]
    fn the_component_walk_refuses_symlinks_and_files_in_the_way_as_openat2_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f"), b"inside").unwrap();
        std::fs::write(root.join("file"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/secret"), b"secret").unwrap();
        std::os::unix::fs::symlink("../outside", root.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("a/etc")).unwrap();
        std::os::unix::fs::symlink("f", root.join("a/b/last")).unwrap();
        let fd = File::open(&root).unwrap();
        let read = libc::O_RDONLY;
        let mut buf = String::new();
        use std::io::Read;
        open_beneath_walk(&fd, "a/b/f", read, 0)
            .unwrap()
            .read_to_string(&mut buf)
            .unwrap();
        assert_eq!(buf, "inside");
        let code =
            |r: Result<File, (usize, io::Error)>| r.map(|_| ()).map_err(|(i, e)| (i, e.raw_os_error()));
        assert_eq!(
            code(open_beneath_walk(&fd, "link/secret", read, 0)),
            Err((0, Some(libc::ELOOP)))
        );
        assert_eq!(
            code(open_beneath_walk(&fd, "a/etc/passwd", read, 0)),
            Err((1, Some(libc::ELOOP)))
        );
        assert_eq!(
            code(open_beneath_walk(&fd, "a/b/last", read, 0)),
            Err((2, Some(libc::ELOOP)))
        );
        assert_eq!(
            code(open_beneath_walk(&fd, "file/x", read, 0)),
            Err((0, Some(libc::ENOTDIR)))
        );
        assert_eq!(
            code(open_beneath_walk(&fd, "a/nope/x", read, 0)),
            Err((1, Some(libc::ENOENT)))
        );
        // openat2 (where the kernel has it) agrees on each.
        for (path, errno) in [
            ("link/secret", libc::ELOOP),
            ("a/etc/passwd", libc::ELOOP),
            ("a/b/last", libc::ELOOP),
            ("file/x", libc::ENOTDIR),
            ("a/nope/x", libc::ENOENT),
        ] {
            let got = open_beneath(&fd, path, read, 0)
                .map(|_| ())
                .map_err(|e| e.raw_os_error());
            assert_eq!(got, Err(Some(errno)), "{path}");
        }
        // Creating a file through the walk lands beneath the root, never through a link.
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL;
        assert!(open_beneath_walk(&fd, "link/new", flags, 0o600).is_err());
        open_beneath_walk(&fd, "a/b/new", flags, 0o600).unwrap();
        assert!(root.join("a/b/new").exists());
        assert!(!dir.path().join("outside/new").exists());
    }

    /// An extended attribute read relative to the directory's descriptor is the one the path
    /// gives; a symlink is not followed (nothing is read through it); a missing one is
    /// `ENODATA`; a buffer too small is `ERANGE`, as with `lgetxattr`.
    #[test]
    #[cfg(target_os = "linux")]
    fn get_xattr_at_reads_what_the_path_reads_and_follows_no_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let file = File::create(tmp.path().join("f")).unwrap();
        if set_xattr(&file, b"user.nf.test\0", b"value one").is_err() {
            eprintln!("skipped: this file system keeps no user extended attributes");
            return;
        }
        std::os::unix::fs::symlink("f", tmp.path().join("link")).unwrap();
        let dir = File::open(tmp.path()).unwrap();
        let mut buf = [0u8; 64];
        let n = get_xattr_at(&dir, "f", b"user.nf.test\0", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"value one");
        let mut by_path = [0u8; 64];
        let m = get_xattr_path(&path_at(&dir, "f"), b"user.nf.test\0", &mut by_path).unwrap();
        assert_eq!(&buf[..n], &by_path[..m]);
        assert!(get_xattr_at(&dir, "link", b"user.nf.test\0", &mut buf).is_err());
        let missing = get_xattr_at(&dir, "f", b"user.nf.other\0", &mut buf).unwrap_err();
        assert_eq!(missing.raw_os_error(), Some(libc::ENODATA));
        let small = get_xattr_at(&dir, "f", b"user.nf.test\0", &mut buf[..3]).unwrap_err();
        assert_eq!(small.raw_os_error(), Some(libc::ERANGE));
        let gone = get_xattr_at(&dir, "nothing", b"user.nf.test\0", &mut buf).unwrap_err();
        assert_eq!(gone.kind(), io::ErrorKind::NotFound);
    }
}
