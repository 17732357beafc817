//! Asking a person for a secret: from the terminal (`/dev/tty`; on Windows the console,
//! `CONIN$` and `CONOUT$`; so it works while standard
//! input and output are redirected) without echo, the terminal's settings put back however
//! the read ends, Ctrl-C included (it ends the program as it would anywhere else, with the
//! echo restored). Nothing here is used when no terminal is attached.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

use crate::error::{Error, ErrorKind, Result};

/// True when a person can be asked: the process has a controlling terminal.
pub fn can_ask() -> bool {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(crate::sys::TTY_IN)
        .is_ok()
}

/// Shows `prompt` on the terminal and reads one line without echo (without its line end).
pub fn secret(prompt: &str) -> Result<String> {
    let no_terminal = |e| Error::io("cannot ask for a password: no terminal", &e);
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open(crate::sys::TTY_IN)
        .map_err(no_terminal)?;
    let out = match crate::sys::TTY_OUT == crate::sys::TTY_IN {
        true => tty.try_clone(),
        false => OpenOptions::new().write(true).open(crate::sys::TTY_OUT),
    }
    .map_err(no_terminal)?;
    let fd = crate::sys::file_fd(&tty);
    let mut writer = &out;
    writer
        .write_all(prompt.as_bytes())
        .and_then(|()| writer.flush())
        .map_err(|e| Error::io("cannot write to the terminal", &e))?;
    let guard = EchoOff::new(fd)?;
    let line = read_line(&tty);
    drop(guard);
    let _ = writer.write_all(b"\n");
    line
}

fn read_line(tty: &File) -> Result<String> {
    let mut line = String::new();
    let n = BufReader::new(tty)
        .read_line(&mut line)
        .map_err(|e| Error::io("cannot read from the terminal", &e))?;
    if n == 0 {
        return Err(Error::new(
            ErrorKind::Interrupted,
            "no password given (end of input)",
        ));
    }
    while line.ends_with(['\n', '\r']) {
        line.pop();
    }
    Ok(line)
}

/// Echo off on a terminal while it lives.
struct EchoOff {
    fd: crate::sys::RawFd,
    before: crate::sys::TermSettings,
}

impl EchoOff {
    fn new(fd: crate::sys::RawFd) -> Result<EchoOff> {
        let before =
            crate::sys::echo_off(fd).map_err(|e| Error::io("cannot turn the terminal's echo off", &e))?;
        Ok(EchoOff { fd, before })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        crate::sys::echo_restore(self.fd, &self.before);
    }
}
