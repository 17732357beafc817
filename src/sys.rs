//! Every call into libc, each behind a safe function. The rest of nf is `#![deny(unsafe_code)]`
//! (lib.rs): a reviewer of memory safety reads this file and nothing else. Each function says
//! what it wraps; none keeps state. Constants (`libc::O_NOFOLLOW`…) may be used anywhere.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, RawFd};
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
    // SAFETY: plain libc calls on a local sigset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
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

// ---------------------------------------------------------------------------------------
// Sockets

/// Sets the accept queue of the listening socket `fd` to `backlog` (Linux applies a second
/// `listen` to a listening socket as a new backlog).
pub fn set_backlog(fd: RawFd, backlog: i32) -> io::Result<()> {
    // SAFETY: listen on a socket descriptor we own.
    check(unsafe { libc::listen(fd, backlog) })
}

/// Events [`poll_one`] can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Events {
    pub readable: bool,
    pub writable: bool,
    /// The peer shut down its sending side (FIN), or the connection failed or hung up.
    pub hangup: bool,
}

/// Waits up to `timeout` for `fd` to become readable (`read`), writable (`write`), or to be
/// hung up (always watched); returns what happened (all false: timed out).
pub fn poll_one(fd: RawFd, read: bool, write: bool, timeout: Duration) -> io::Result<Events> {
    let mut events = libc::POLLRDHUP;
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
        hangup: r & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0,
    })
}

/// How many more bytes the kernel can send on the TCP socket `fd` at once: the smaller of the
/// peer's receive window and the congestion window, less what is already sent and
/// unacknowledged or queued. On older kernels, whose `TCP_INFO` lacks the peer's window (Linux
/// 5.4 added it), `max` once everything earlier is acknowledged. `None` if the kernel answers
/// neither.
pub fn tcp_send_room(fd: RawFd, max: usize) -> Option<usize> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int through the pointer, which is valid.
    if unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued) } != 0 {
        return None;
    }
    let queued = usize::try_from(queued).unwrap_or(0);
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
    let has_window = std::mem::offset_of!(libc::tcp_info, tcpi_snd_wnd) + 4;
    if rc != 0 || (len as usize) < has_window {
        return Some(if queued == 0 { max } else { 0 });
    }
    let cwnd = info.tcpi_snd_cwnd as usize * info.tcpi_snd_mss as usize;
    Some((info.tcpi_snd_wnd as usize).min(cwnd).saturating_sub(queued))
}

// ---------------------------------------------------------------------------------------
// Files

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

/// Flushes the whole file system holding `file` to stable storage (`syncfs`).
pub fn syncfs(file: &File) -> io::Result<()> {
    // SAFETY: plain syscall on an fd we own.
    check(unsafe { libc::syncfs(file.as_raw_fd()) })
}

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
