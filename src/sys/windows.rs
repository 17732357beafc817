//! Windows: what the client needs from the system (console echo and Ctrl-C, file locks, socket
//! polls, the free space of a disk) through windows-sys. The local store's calls (handle-
//! relative opens that refuse reparse points, POSIX-semantics renames, per-file metadata) are
//! not written yet: each answers `Unsupported`, and the local store refuses to open, so
//! `nf serve` on Windows says so at start instead of half-working.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use windows_sys::Win32::Foundation::HANDLE;

/// A socket (or, for the console, a handle) as a number, as `RawFd` is on Unix.
pub type RawFd = u64;

/// The controlling terminal's input and output (the console's).
pub const TTY_IN: &str = "CONIN$";
pub const TTY_OUT: &str = "CONOUT$";

/// Never delivered on Windows; the server's reload-on-SIGHUP has no Windows counterpart.
pub const SIGHUP: i32 = 1;

/// Open flags the local store passes; they mean nothing here (the store does not open).
pub const O_NOFOLLOW: i32 = 0;
pub const O_DIRECTORY: i32 = 0;
pub const O_CLOEXEC: i32 = 0;
pub const O_NONBLOCK: i32 = 0;

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "not available on Windows yet (nf serve runs on Linux and macOS)",
    )
}

// ---------------------------------------------------------------------------------------
// Process

/// Allocator tuning is glibc's; nothing to do.
pub fn set_mmap_threshold(_bytes: usize) {}

/// Windows has no per-process limit on handles to raise; a generous figure for the log.
pub fn raise_fd_limit() -> u64 {
    16 * 1024
}

/// There is no SIGXFSZ.
pub fn ignore_sigxfsz() {}

/// The console's stop events (Ctrl-C, Ctrl-Break, the window closing), as signal numbers,
/// queued by the handler for [`StopSignals::wait`].
static PENDING: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static ARRIVED: Condvar = Condvar::new();

/// The console's stop events, taken over from the default (which ends the process).
pub struct StopSignals(());

unsafe extern "system" fn on_console_event(event: u32) -> windows_sys::core::BOOL {
    use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT};
    restore_saved_echo();
    let sig = match event {
        CTRL_C_EVENT | CTRL_BREAK_EVENT => libc::SIGINT,
        _ => libc::SIGTERM,
    };
    PENDING.lock().unwrap_or_else(|e| e.into_inner()).push(sig);
    ARRIVED.notify_all();
    1
}

/// Takes Ctrl-C, Ctrl-Break and closing the console over from the default action.
pub fn block_stop_signals() -> StopSignals {
    // SAFETY: registers a handler with the signature the system calls.
    unsafe {
        windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(on_console_event), 1);
    }
    StopSignals(())
}

/// As [`block_stop_signals`]; Windows has no other signals to take.
pub fn block_signals(_signals: &[i32]) -> StopSignals {
    block_stop_signals()
}

impl StopSignals {
    /// Waits for a stop event; returns it as SIGINT (Ctrl-C, Ctrl-Break) or SIGTERM.
    pub fn wait(&self) -> Option<i32> {
        let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(sig) = pending.pop() {
                return Some(sig);
            }
            pending = ARRIVED.wait(pending).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Ends the process as Ctrl-C would (exit status `STATUS_CONTROL_C_EXIT`), or with 128 + `sig`.
pub fn die_by(sig: i32) -> ! {
    if sig == libc::SIGINT {
        std::process::exit(0xC000_013A_u32 as i32)
    }
    std::process::exit(128 + sig)
}

/// This machine's name (`COMPUTERNAME`).
pub fn hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|n| !n.is_empty())
}

// ---------------------------------------------------------------------------------------
// Sockets

fn handle(file: &File) -> HANDLE {
    std::os::windows::io::AsRawHandle::as_raw_handle(file) as HANDLE
}

/// Takes an exclusive lock on all of `file` (`LockFileEx`), waiting for it; it is released
/// when the file is closed.
pub fn lock_exclusive(file: &File) -> io::Result<()> {
    use windows_sys::Win32::Storage::FileSystem::{LockFileEx, LOCKFILE_EXCLUSIVE_LOCK};
    // SAFETY: OVERLAPPED is plain data; all zeroes locks from offset 0.
    let mut overlapped: windows_sys::Win32::System::IO::OVERLAPPED = unsafe { std::mem::zeroed() };
    // SAFETY: a handle the File owns and an OVERLAPPED that outlives the (synchronous) call.
    let ok = unsafe {
        LockFileEx(
            handle(file),
            LOCKFILE_EXCLUSIVE_LOCK,
            0,
            u32::MAX,
            u32::MAX,
            &mut overlapped,
        )
    };
    if ok != 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The (volume serial number, file index) of the file or directory at `path`, following a
/// link as opening it does (`GetFileInformationByHandle`); `None` when it cannot be opened.
pub fn file_index(path: &Path) -> Option<(u64, u64)> {
    use std::os::windows::fs::OpenOptionsExt;
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS,
    };
    // No access asked for: the file's attributes are readable through any handle, and a
    // directory opens only with FILE_FLAG_BACKUP_SEMANTICS.
    let file = std::fs::OpenOptions::new()
        .access_mode(0)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)
        .ok()?;
    // SAFETY: plain data, filled in by the call.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: a handle the File owns, and a struct that outlives the call.
    if unsafe { GetFileInformationByHandle(handle(&file), &mut info) } == 0 {
        return None;
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Some((u64::from(info.dwVolumeSerialNumber), index))
}

/// Windows sets the backlog at `listen` only.
pub fn set_backlog(_fd: RawFd, _backlog: i32) -> io::Result<()> {
    Ok(())
}

/// Events [`poll_one`] can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Events {
    pub readable: bool,
    pub writable: bool,
    /// The connection failed or hung up.
    pub hangup: bool,
}

/// Waits up to `timeout` for the socket `fd` to become readable, writable, or hung up
/// (`WSAPoll`). A peer that shut its sending side reads as readable (a read returns 0);
/// `half_close` cannot ask for more.
pub fn poll_one(
    fd: RawFd,
    read: bool,
    write: bool,
    _half_close: bool,
    timeout: Duration,
) -> io::Result<Events> {
    use windows_sys::Win32::Networking::WinSock::{
        WSAPoll, POLLERR, POLLHUP, POLLRDNORM, POLLWRNORM, WSAPOLLFD,
    };
    let mut events = 0;
    if read {
        events |= POLLRDNORM;
    }
    if write {
        events |= POLLWRNORM;
    }
    let mut pfd = WSAPOLLFD {
        fd: fd as usize,
        events,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid WSAPOLLFD.
    let n = unsafe { WSAPoll(&mut pfd, 1, ms) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let r = pfd.revents;
    Ok(Events {
        readable: r & POLLRDNORM != 0,
        writable: r & POLLWRNORM != 0,
        hangup: r & (POLLHUP | POLLERR) != 0,
    })
}

/// Windows does not tell the send window; the callers pace without it.
pub fn tcp_send_room(_fd: RawFd, _max: usize) -> Option<usize> {
    None
}

/// No `TCP_NOTSENT_LOWAT` on Windows.
pub fn set_notsent_lowat(_fd: RawFd, _bytes: u32) -> io::Result<()> {
    Err(unsupported())
}

/// Windows does not tell what is queued.
pub fn tcp_queued(_fd: RawFd) -> Option<u64> {
    None
}

/// Windows does not tell what is acknowledged.
pub fn tcp_bytes_acked(_fd: RawFd) -> Option<u64> {
    None
}

// ---------------------------------------------------------------------------------------
// Files

/// Renames `from` to `to` unless `to` exists: `MoveFileExW` without `MOVEFILE_REPLACE_EXISTING`
/// (std's `hard_link` then `remove_file` does the same atomically, and is what fsutil falls
/// back to); here, `Unsupported` so that the caller takes that path.
pub fn rename_noreplace(_from: &Path, _to: &Path) -> io::Result<()> {
    Err(unsupported())
}

/// No anonymous files on Windows.
pub fn link_fd(_file: &File, _target: &Path) -> io::Result<()> {
    Err(unsupported())
}

/// No file system types to tell (no O_DIRECT here).
pub fn fs_type(_file: &File) -> io::Result<i64> {
    Err(unsupported())
}

/// Not asked on Windows (the local store does not open).
pub fn free_bytes(_file: &File) -> io::Result<u64> {
    Err(unsupported())
}

/// No early write-back; the final flush does it all.
pub fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

/// Flushes `file` (`FlushFileBuffers`, as `sync_all`): Windows has no per-file-system flush.
pub fn syncfs(file: &File) -> io::Result<()> {
    file.sync_all()
}

/// No extended attributes on Windows (the local store does not open).
pub fn get_xattr_path(_path: &Path, _name: &[u8], _buf: &mut [u8]) -> io::Result<usize> {
    Err(unsupported())
}

/// No extended attributes on Windows.
pub fn get_xattr_at(_dir: &File, _leaf: &str, _name: &[u8], _buf: &mut [u8]) -> io::Result<usize> {
    Err(unsupported())
}

/// No extended attributes on Windows.
pub fn get_xattr(_file: &File, _name: &[u8], _buf: &mut [u8]) -> io::Result<usize> {
    Err(unsupported())
}

/// No extended attributes on Windows.
pub fn set_xattr(_file: &File, _name: &[u8], _value: &[u8]) -> io::Result<()> {
    Err(unsupported())
}

/// Not written for Windows yet (handle-relative opens refusing reparse points).
pub fn open_beneath(_dir: &File, _path: &str, _flags: i32, _mode: u32) -> io::Result<File> {
    Err(unsupported())
}

/// Not written for Windows yet.
pub fn open_beneath_walk(
    _dir: &File,
    _path: &str,
    _flags: i32,
    _mode: u32,
) -> Result<File, (usize, io::Error)> {
    Err((0, unsupported()))
}

/// Not written for Windows yet.
pub fn openat(_dir: &File, _name: &str, _flags: i32, _mode: u32) -> io::Result<File> {
    Err(unsupported())
}

/// Not written for Windows yet.
pub fn mkdirat(_dir: &File, _name: &str, _mode: u32) -> io::Result<()> {
    Err(unsupported())
}

/// Not written for Windows yet.
pub fn unlinkat(_dir: &File, _name: &str, _directory: bool) -> io::Result<()> {
    Err(unsupported())
}

/// Not written for Windows yet.
pub fn renameat(
    _from_dir: Option<&File>,
    _from: &Path,
    _to_dir: &File,
    _to: &str,
    _noreplace: bool,
) -> io::Result<()> {
    Err(unsupported())
}

/// Not written for Windows yet.
pub fn linkat(_from_dir: Option<&File>, _from: &Path, _to_dir: &File, _to: &str) -> io::Result<()> {
    Err(unsupported())
}

/// Not written for Windows yet.
pub fn link_fd_at(_file: &File, _to_dir: &File, _to: &str) -> io::Result<()> {
    Err(unsupported())
}

/// Windows has no path to an open directory's entries; one that leads nowhere.
pub fn path_at(_dir: &File, name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("\\\\?\\nf-unsupported\\{name}"))
}

/// Not written for Windows yet.
pub fn read_dir(_dir: &File) -> io::Result<std::fs::ReadDir> {
    Err(unsupported())
}

// ---------------------------------------------------------------------------------------
// The console

/// The console input's mode, as it was before [`echo_off`].
pub struct TermSettings(u32);

/// The console whose echo is off and its mode before, for the Ctrl-C handler.
static ECHO_BEFORE: Mutex<Option<(usize, u32)>> = Mutex::new(None);

fn restore_saved_echo() {
    if let Ok(mut saved) = ECHO_BEFORE.try_lock() {
        if let Some((console, mode)) = saved.take() {
            // SAFETY: a console handle that was valid when saved; a failure is harmless.
            unsafe { windows_sys::Win32::System::Console::SetConsoleMode(console as HANDLE, mode) };
        }
    }
}

unsafe extern "system" fn restore_then_default(_event: u32) -> windows_sys::core::BOOL {
    restore_saved_echo();
    0
}

/// The handle of a console opened as a file, as [`echo_off`] takes it.
pub fn file_fd(file: &File) -> RawFd {
    handle(file) as usize as RawFd
}

/// Turns the echo of the console input `fd` (from [`file_fd`]) off, and makes Ctrl-C put it
/// back before the process ends; returns the mode to give [`echo_restore`].
pub fn echo_off(fd: RawFd) -> io::Result<TermSettings> {
    use windows_sys::Win32::System::Console::{
        GetConsoleMode, SetConsoleCtrlHandler, SetConsoleMode, ENABLE_ECHO_INPUT,
    };
    let console = fd as usize as HANDLE;
    let mut before = 0;
    // SAFETY: a console handle the caller holds open; `before` is a valid out pointer.
    if unsafe { GetConsoleMode(console, &mut before) } == 0 {
        return Err(io::Error::last_os_error());
    }
    *ECHO_BEFORE.lock().unwrap_or_else(|e| e.into_inner()) = Some((fd as usize, before));
    // SAFETY: registers a handler with the signature the system calls; then sets a mode.
    unsafe {
        SetConsoleCtrlHandler(Some(restore_then_default), 1);
        if SetConsoleMode(console, before & !ENABLE_ECHO_INPUT) == 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(TermSettings(before))
}

/// Puts back the mode [`echo_off`] returned.
pub fn echo_restore(fd: RawFd, settings: &TermSettings) {
    ECHO_BEFORE.lock().unwrap_or_else(|e| e.into_inner()).take();
    // SAFETY: the console handle the caller holds open.
    unsafe { windows_sys::Win32::System::Console::SetConsoleMode(fd as usize as HANDLE, settings.0) };
}
