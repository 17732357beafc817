//! Downloads: many names over one connection, requests pipelined, each body hashed as it
//! arrives and written to a partial file beside the target (`.NAME.nf-part`), which is renamed
//! to the target only when complete and verified. An interrupted download leaves only that
//! partial, which `--resume` continues.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::put::read_exact_into;
use super::{settle, Client, Progress, CHUNK, WINDOW};
use crate::error::{Error, ErrorKind, Result};
use crate::hashpipe::Hashing;
use crate::name::{quote, FileName};
use crate::protocol::{FileInfo, GetReply, Request};

/// Where a download goes.
#[derive(Debug, Clone)]
pub enum Sink {
    /// A local file; an existing one is replaced only with `force`.
    File { target: PathBuf, force: bool },
    /// Standard output (no partial, no resume).
    Stdout,
}

/// One name to download and where to put it.
#[derive(Debug, Clone)]
pub struct GetJob {
    pub name: FileName,
    pub sink: Sink,
}

/// The partial file a download of `target` writes to.
pub fn partial_path(target: &Path) -> PathBuf {
    let dir = target.parent().unwrap_or(Path::new(""));
    let file = target
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = format!(".{file}.nf-part");
    if name.len() <= 255 {
        dir.join(name)
    } else {
        dir.join(format!(
            ".nf-part-{}",
            &blake3::hash(file.as_bytes()).to_hex()[..24]
        ))
    }
}

impl Client {
    /// Downloads every job; one result per job, in order.
    pub fn get(&mut self, jobs: &[GetJob], resume: bool, progress: &dyn Progress) -> Vec<Result<FileInfo>> {
        let mut results: Vec<Option<Result<FileInfo>>> = vec![None; jobs.len()];
        let mut offsets = vec![0u64; jobs.len()];
        for (i, job) in jobs.iter().enumerate() {
            if let Sink::File { target, force } = &job.sink {
                if !force && fs::symlink_metadata(target).is_ok() {
                    results[i] = Some(Err(Error::new(
                        ErrorKind::Exists,
                        format!("{} already exists; use --force to overwrite it", target.display()),
                    )));
                } else if resume {
                    offsets[i] = fs::metadata(partial_path(target)).map(|m| m.len()).unwrap_or(0);
                }
            }
        }
        let todo: Vec<usize> = (0..jobs.len()).filter(|&i| results[i].is_none()).collect();
        self.get_pass(jobs, &offsets, &todo, &mut results, progress);
        let retry: Vec<usize> = todo
            .into_iter()
            .filter(|&i| offsets[i] > 0)
            .filter(|&i| matches!(&results[i], Some(Err(e)) if e.kind == ErrorKind::HashMismatch))
            .collect();
        if !retry.is_empty() {
            self.get_pass(jobs, &vec![0; jobs.len()], &retry, &mut results, progress);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Other, "not attempted"))))
            .collect()
    }

    fn get_pass(
        &mut self,
        jobs: &[GetJob],
        offsets: &[u64],
        todo: &[usize],
        results: &mut [Option<Result<FileInfo>>],
        progress: &dyn Progress,
    ) {
        let mut sent = 0;
        let mut broken: Option<Error> = None;
        for (k, &i) in todo.iter().enumerate() {
            if let Some(e) = &broken {
                results[i] = Some(Err(e.clone()));
                continue;
            }
            while sent < todo.len() && sent < k + WINDOW {
                let j = todo[sent];
                let request = Request::Get {
                    name: jobs[j].name.to_string(),
                    offset: offsets[j],
                };
                if let Err(e) = self.send(&request) {
                    broken = Some(e);
                    break;
                }
                sent += 1;
            }
            if broken.is_none() {
                if let Err(e) = self.flush() {
                    broken = Some(e);
                }
            }
            if let Some(e) = &broken {
                results[i] = Some(Err(e.clone()));
                continue;
            }
            let result = self.receive_get(i, &jobs[i], offsets[i], progress);
            settle(i, result, &mut broken, progress, results);
        }
    }

    /// Reads one get reply and its body into the job's sink.
    fn receive_get(
        &mut self,
        index: usize,
        job: &GetJob,
        offset: u64,
        progress: &dyn Progress,
    ) -> Result<FileInfo> {
        let reply: GetReply = self.read_reply()?;
        if reply.offset != offset || reply.offset > reply.file.size {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the server answered a different offset than asked",
            ));
        }
        let expected = blake3::Hash::from_hex(&reply.file.blake3)
            .map_err(|_| Error::new(ErrorKind::Protocol, "the server sent a malformed BLAKE3"))?;
        progress.begin(index, job.name.as_str(), reply.file.size, offset);
        let body = reply.file.size - offset;
        match &job.sink {
            Sink::Stdout => {
                let stdout = io::stdout();
                let mut out = stdout.lock();
                let mut hashing = Hashing::new(blake3::Hasher::new(), body);
                let mut out_err = None;
                let received = self.receive_body(index, body, progress, &mut hashing, |chunk| {
                    if out_err.is_none() {
                        if let Err(e) = out.write_all(chunk) {
                            out_err = Some(e);
                        }
                    }
                });
                let hasher = hashing.finish();
                received?;
                if let Some(e) = out_err.or_else(|| out.flush().err()) {
                    return Err(crate::output::stdout_error(&e));
                }
                verify(&hasher.finalize(), &expected, &job.name)?;
            }
            Sink::File { target, force } => {
                let partial = partial_path(target);
                let local = |what: &str, e: &io::Error| Error::io(format!("{what} {}", partial.display()), e);
                let (mut file, hasher) = match open_partial(&partial, offset) {
                    Ok(x) => x,
                    Err(e) => {
                        // The body still has to be read off the wire before the next reply.
                        let mut sink = Hashing::new(blake3::Hasher::new(), 0);
                        let _ = self.receive_body(index, body, progress, &mut sink, |_| {});
                        return Err(local("cannot write", &e));
                    }
                };
                let mut hashing = Hashing::new(hasher, body);
                let mut write_err = None;
                let received = self.receive_body(index, body, progress, &mut hashing, |chunk| {
                    if write_err.is_none() {
                        if let Err(e) = file.write_all(chunk) {
                            write_err = Some(e);
                        }
                    }
                });
                let hasher = hashing.finish();
                received?;
                if let Some(e) = write_err {
                    let _ = fs::remove_file(&partial);
                    return Err(local("cannot write", &e));
                }
                drop(file);
                if let Err(e) = verify(&hasher.finalize(), &expected, &job.name) {
                    let _ = fs::remove_file(&partial);
                    return Err(e);
                }
                place(&partial, target, *force)?;
            }
        }
        Ok(reply.file)
    }

    /// Reads `len` body bytes off the connection, hashing each chunk and passing it to `out`.
    fn receive_body(
        &mut self,
        index: usize,
        len: u64,
        progress: &dyn Progress,
        hashing: &mut Hashing,
        mut out: impl FnMut(&[u8]),
    ) -> Result<()> {
        let mut left = len;
        while left > 0 {
            let mut buf = hashing.buffer();
            let want = buf.len().min(left as usize);
            let n = match self.reader.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(Error::new(
                        ErrorKind::Connect,
                        format!("the server closed the connection {left} bytes before the end"),
                    ))
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
                Err(e) => return Err(self.lost(&e)),
            };
            out(&buf[..n]);
            hashing.hash(buf, n);
            left -= n as u64;
            progress.advance(index, n as u64);
        }
        Ok(())
    }
}

/// Opens the partial for writing at `offset` and hashes what it already holds.
fn open_partial(partial: &Path, offset: u64) -> io::Result<(File, blake3::Hasher)> {
    let mut hasher = blake3::Hasher::new();
    if offset == 0 {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(partial)?;
        return Ok((file, hasher));
    }
    let mut file = OpenOptions::new().read(true).write(true).open(partial)?;
    let mut buf = vec![0u8; CHUNK];
    read_exact_into(&mut file, offset, &mut buf, |c| {
        hasher.update(c);
    })?;
    file.set_len(offset)?;
    Ok((file, hasher))
}

fn verify(actual: &blake3::Hash, expected: &blake3::Hash, name: &FileName) -> Result<()> {
    if actual == expected {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::HashMismatch,
            format!(
                "the content received for {} does not match its BLAKE3; nothing was saved",
                quote(name.as_str())
            ),
        ))
    }
}

/// Moves a verified partial to its target; without `force`, never replaces an existing file.
fn place(partial: &Path, target: &Path, force: bool) -> Result<()> {
    let placed = if force {
        fs::rename(partial, target)
    } else {
        crate::fsutil::rename_noreplace(partial, target)
    };
    placed.map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            Error::new(
                ErrorKind::Exists,
                format!("{} already exists; use --force to overwrite it", target.display()),
            )
        } else {
            Error::io(format!("cannot create {}", target.display()), &e)
        }
    })
}
