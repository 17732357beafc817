//! Downloads: many names over one connection, requests pipelined, each body hashed as it
//! arrives and written to a partial file beside the target (`.NAME.nf-part`), which is renamed
//! to the target only when complete and verified. An interrupted download leaves only that
//! partial, which `--resume` continues.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{settle, with_restart, Ahead, Client, Done, Progress, Slot};
use crate::error::{Error, ErrorKind, Result};
use crate::hashpipe::{hash_prefix, pump};
use crate::name::{quote, FileName};
use crate::protocol::{GetReply, Request};

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
    /// Downloads every job; one result per job, in order. With `resume`, each download
    /// continues its partial beside the target, and a target that already holds exactly the
    /// server's content is done at once.
    pub fn get(&mut self, jobs: &[GetJob], resume: bool, progress: &dyn Progress) -> Vec<Result<Done>> {
        let mut results: Vec<Slot> = vec![None; jobs.len()];
        let mut offsets = vec![0u64; jobs.len()];
        let mut present = Vec::new();
        let mut seen = crate::localname::Seen::new();
        for (i, job) in jobs.iter().enumerate() {
            if let Sink::File { target, force } = &job.sink {
                if let Err(e) = crate::localname::check_target(target, &mut seen, cfg!(windows)) {
                    let result = Err(e);
                    progress.end(i, &result);
                    results[i] = Some(result);
                } else if !force && fs::symlink_metadata(target).is_ok() {
                    if resume {
                        present.push(i);
                    } else {
                        let result = Err(Error::exists(target.display()));
                        progress.end(i, &result);
                        results[i] = Some(result);
                    }
                } else if resume {
                    offsets[i] = fs::metadata(partial_path(target)).map(|m| m.len()).unwrap_or(0);
                } else if let Ok(md) = fs::metadata(partial_path(target)) {
                    progress.note(
                        i,
                        &format!(
                            "found a partial download of {} ({}); starting over (use --resume \
                             to continue)",
                            target.display(),
                            crate::human::size(md.len())
                        ),
                    );
                }
            }
        }
        if !present.is_empty() {
            // Resuming onto targets that exist: done if they hold the server's content.
            let names: Vec<FileName> = present.iter().map(|&i| jobs[i].name.clone()).collect();
            let stats = match self.stat(&names) {
                Ok(stats) => stats,
                Err(e) => return vec![Err(e); jobs.len()],
            };
            for (&i, stat) in present.iter().zip(stats) {
                let Sink::File { target, .. } = &jobs[i].sink else {
                    continue;
                };
                let result = match stat {
                    Ok((Some(file), _)) if same_content(target, &file.blake3) => Ok(Done::already(file)),
                    Ok((Some(_), _)) => Err(Error::exists(target.display())),
                    Ok((None, _)) => Err(super::not_found(&jobs[i].name)),
                    Err(e) => Err(e),
                };
                progress.end(i, &result);
                results[i] = Some(result);
            }
        }
        with_restart(results, &offsets, |offsets, todo, results| {
            self.get_pass(jobs, offsets, todo, results, progress)
        })
    }

    fn get_pass(
        &mut self,
        jobs: &[GetJob],
        offsets: &[u64],
        todo: &[usize],
        results: &mut [Slot],
        progress: &dyn Progress,
    ) {
        let mut ahead = Ahead::default();
        let mut broken: Option<Error> = None;
        for &i in todo {
            if let Some(e) = &broken {
                results[i] = Some(Err(e.clone()));
                continue;
            }
            let request = |s: usize| Request::Get {
                name: jobs[todo[s]].name.to_string(),
                offset: offsets[todo[s]],
            };
            if let Err(e) = self.top_up(&mut ahead, todo.len(), request) {
                broken = Some(e);
            }
            if let Some(e) = &broken {
                results[i] = Some(Err(e.clone()));
                continue;
            }
            let result = self.receive_get(i, &jobs[i], offsets[i], progress);
            ahead.window.answered();
            settle(i, result, offsets[i] > 0, &mut broken, progress, results);
        }
    }

    /// Reads one get reply and its body into the job's sink.
    fn receive_get(
        &mut self,
        index: usize,
        job: &GetJob,
        offset: u64,
        progress: &dyn Progress,
    ) -> Result<Done> {
        let reply: GetReply = self.read_reply()?;
        if reply.offset != offset || reply.offset > reply.file.size {
            return Err(Error::new(
                ErrorKind::Protocol,
                "the server answered a different offset than asked",
            ));
        }
        let expected = blake3::Hash::from_hex(&reply.file.blake3)
            .map_err(|_| Error::new(ErrorKind::Protocol, "the server sent a malformed BLAKE3"))?;
        progress.begin(index, job.name.as_str(), Some(reply.file.size), offset);
        let body = reply.file.size - offset;
        match &job.sink {
            Sink::Stdout => {
                let stdout = io::stdout();
                let mut out = stdout.lock();
                let (hasher, failed) =
                    self.receive_body(index, body, blake3::Hasher::new(), progress, |c| out.write_all(c))?;
                if let Some(e) = failed.or_else(|| out.flush().err()) {
                    return Err(crate::output::stdout_error(&e));
                }
                verify(&hasher.finalize(), &expected, &job.name)?;
            }
            Sink::File { target, force } => {
                let partial = partial_path(target);
                let opened = open_partial(&partial, offset);
                let (hasher, written) = match opened {
                    Ok((mut file, hasher)) => {
                        let (hasher, failed) =
                            self.receive_body(index, body, hasher, progress, |c| file.write_all(c))?;
                        (hasher, failed.map_or(Ok(file), Err))
                    }
                    // The body still has to be read off the wire before the next reply.
                    Err(e) => {
                        let (hasher, _) =
                            self.receive_body(index, body, blake3::Hasher::new(), progress, |_| Ok(()))?;
                        (hasher, Err(e))
                    }
                };
                // Errors name the user's file, never the hidden partial it is written to.
                let checked = match written {
                    Err(e) => Err(Error::io(format!("cannot write {}", target.display()), &e)),
                    Ok(file) => verify(&hasher.finalize(), &expected, &job.name).and_then(|()| {
                        keep_attrs(&file, &reply.file).map_err(|e| {
                            Error::io(
                                format!("cannot set the time and mode of {}", target.display()),
                                &e,
                            )
                        })
                    }),
                };
                if let Err(e) = checked {
                    let _ = fs::remove_file(&partial);
                    return Err(e);
                }
                place(&partial, target, *force)?;
            }
        }
        Ok(Done::moved(reply.file, body))
    }

    /// Reads a `len`-byte body off the connection into `write`, continuing `hasher` over it.
    /// A write error does not stop the reading (the connection stays in step); it is returned
    /// with the hasher.
    fn receive_body(
        &mut self,
        index: usize,
        len: u64,
        hasher: blake3::Hasher,
        progress: &dyn Progress,
        write: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<(blake3::Hasher, Option<io::Error>)> {
        pump(&mut self.conn, len, hasher, write, |n| {
            progress.advance(index, n as u64)
        })
        .map_err(|(got, e)| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                Error::new(
                    ErrorKind::Connect,
                    format!(
                        "the server closed the connection {} bytes before the end",
                        len - got
                    ),
                )
            } else {
                self.lost(&e)
            }
        })
    }
}

/// Gives a downloaded file, through the handle it was written with, the modification time and
/// permission bits the server keeps (as `rsync -t -p` and `scp -p` do).
fn keep_attrs(written: &File, file: &crate::protocol::FileInfo) -> io::Result<()> {
    if let Some(t) = crate::human::parse_rfc3339(&file.modified) {
        written.set_times(std::fs::FileTimes::new().set_modified(t))?;
    }
    if let Some(mode) = crate::protocol::parse_mode(&file.mode) {
        crate::sys::set_mode(written, mode)?;
    }
    Ok(())
}

/// Opens the partial for writing at `offset` and hashes what it already holds.
fn open_partial(partial: &Path, offset: u64) -> io::Result<(File, blake3::Hasher)> {
    if offset == 0 {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(partial)?;
        return Ok((file, blake3::Hasher::new()));
    }
    let mut file = OpenOptions::new().read(true).write(true).open(partial)?;
    let hasher = hash_prefix(&file, offset)?;
    file.set_len(offset)?;
    file.seek(SeekFrom::Start(offset))?;
    Ok((file, hasher))
}

/// True when the local file at `path` has the BLAKE3 `hex` (read in full to find out).
pub fn same_content(path: &Path, hex: &str) -> bool {
    let hashed = File::open(path).and_then(|f| {
        let md = f.metadata()?;
        if !md.is_file() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        hash_prefix(&f, md.len())
    });
    hashed.is_ok_and(|h| h.finalize().to_hex().as_str() == hex)
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
            Error::exists(target.display())
        } else {
            Error::io(format!("cannot create {}", target.display()), &e)
        }
    })
}
