//! Uploads: many files over one connection, each streamed as raw bytes and hashed while it is
//! read, with up to `WINDOW` uploads awaiting their reply so that small files do not each cost
//! a round trip.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use super::{settle, with_restart, Client, Progress, Slot, WINDOW};
use crate::error::{Error, ErrorKind, Result};
use crate::hashpipe::{hash_prefix, Hashing};
use crate::name::{quote, FileName};
use crate::protocol::{self, FileInfo, PutReply, Request, Trailer};

/// One file to upload: the local path and the name to store it under.
#[derive(Debug, Clone)]
pub struct PutJob {
    pub path: PathBuf,
    pub name: FileName,
}

impl Client {
    /// Uploads every job; one result per job, in order. With `resume`, each upload continues
    /// the server's partial of that name (and starts over if the partial turns out not to be a
    /// prefix of the file).
    pub fn put(
        &mut self,
        jobs: &[PutJob],
        force: bool,
        resume: bool,
        progress: &dyn Progress,
    ) -> Vec<Result<FileInfo>> {
        let mut results: Vec<Slot> = vec![None; jobs.len()];
        let mut offsets = vec![0u64; jobs.len()];
        // Ask first only where it saves something: a resume offset, or a large body that would
        // be sent in vain to an existing name. Small files just go; the server refuses them.
        let check: Vec<usize> = (0..jobs.len())
            .filter(|&i| resume || (!force && local_len(&jobs[i]) >= PREFLIGHT_MIN))
            .collect();
        if !check.is_empty() {
            let names: Vec<FileName> = check.iter().map(|&i| jobs[i].name.clone()).collect();
            match self.stat(&names) {
                Ok(stats) => {
                    for (&i, stat) in check.iter().zip(stats) {
                        match stat {
                            Ok((Some(_), _)) if !force => {
                                results[i] = Some(Err(exists(&jobs[i].name)));
                            }
                            Ok((_, partial)) if resume => offsets[i] = partial,
                            Ok(_) => {}
                            Err(e) => results[i] = Some(Err(e)),
                        }
                    }
                }
                Err(e) => return vec![Err(e); jobs.len()],
            }
        }
        with_restart(results, &offsets, |offsets, todo, results| {
            self.put_pass(jobs, force, offsets, todo, results, progress)
        })
    }

    /// Sends the jobs in `todo`, filling in their results as replies arrive.
    fn put_pass(
        &mut self,
        jobs: &[PutJob],
        force: bool,
        offsets: &[u64],
        todo: &[usize],
        results: &mut [Slot],
        progress: &dyn Progress,
    ) {
        let mut waiting: VecDeque<usize> = VecDeque::new();
        let mut broken: Option<Error> = None;
        for &i in todo {
            let job = &jobs[i];
            if let Some(e) = &broken {
                results[i] = Some(Err(e.clone()));
                continue;
            }
            match self.send_one(i, job, force, offsets[i], progress) {
                Ok(()) => waiting.push_back(i),
                Err(Sent::Nothing(e)) => {
                    progress.end(i, false);
                    results[i] = Some(Err(e));
                }
                Err(Sent::Partly(e)) => {
                    progress.end(i, false);
                    results[i] = Some(Err(e.clone()));
                    broken = Some(Error::new(
                        ErrorKind::Connect,
                        format!(
                            "not sent: the connection was abandoned after an error ({})",
                            e.message
                        ),
                    ));
                }
            }
            if waiting.len() > WINDOW {
                // Collect replies in a batch, so the server can commit a batch at a time.
                while waiting.len() > WINDOW / 2 && broken.is_none() {
                    self.receive_put(&mut waiting, results, &mut broken, progress);
                }
            }
        }
        while !waiting.is_empty() {
            self.receive_put(&mut waiting, results, &mut broken, progress);
        }
    }

    fn receive_put(
        &mut self,
        waiting: &mut VecDeque<usize>,
        results: &mut [Slot],
        broken: &mut Option<Error>,
        progress: &dyn Progress,
    ) {
        let Some(i) = waiting.pop_front() else { return };
        let reply = match broken {
            Some(e) => Err(e.clone()),
            None => match self.flush() {
                Ok(()) => self.read_reply::<PutReply>().map(|r| r.file),
                Err(e) => Err(e),
            },
        };
        settle(i, reply, broken, progress, results);
    }

    /// Sends one put: header, body from `offset`, trailer.
    fn send_one(
        &mut self,
        index: usize,
        job: &PutJob,
        force: bool,
        offset: u64,
        progress: &dyn Progress,
    ) -> Result<(), Sent> {
        let shown = job.path.display().to_string();
        let local = |what: &str, e: &std::io::Error| Error::io(format!("{what} {shown}"), e);
        let mut file = File::open(&job.path).map_err(|e| Sent::Nothing(local("cannot open", &e)))?;
        let md = file
            .metadata()
            .map_err(|e| Sent::Nothing(local("cannot read", &e)))?;
        if md.is_dir() {
            return Err(Sent::Nothing(Error::new(
                ErrorKind::Usage,
                format!("{shown} is a directory; nf put takes files (try `nf put {shown}/*`)"),
            )));
        }
        let size = md.len();
        let offset = if offset <= size { offset } else { 0 };
        // Small bodies go out with the hello; a larger one waits for the server's limit.
        self.before_body(size - offset).map_err(Sent::Partly)?;
        if let Some(max) = self.max_file_size.filter(|&m| size > m) {
            return Err(Sent::Nothing(Error::new(
                ErrorKind::TooLarge,
                format!("{shown} is {size} bytes, over this server's limit of {max} bytes"),
            )));
        }
        let hasher = if offset == 0 {
            // Just opened: already at the start, nothing to hash yet.
            blake3::Hasher::new()
        } else {
            hash_prefix(&file, offset)
                .and_then(|h| file.seek(SeekFrom::Start(offset)).map(|_| h))
                .map_err(|e| Sent::Nothing(local("cannot read", &e)))?
        };
        progress.begin(index, job.name.as_str(), size, offset);
        let header = Request::Put {
            name: job.name.to_string(),
            size,
            offset,
            force,
        };
        self.send(&header).map_err(Sent::Partly)?;
        let body = size - offset;
        let mut hashing = Hashing::new(hasher, body);
        let sent = self.send_body(&mut file, body, &shown, index, progress, &mut hashing);
        let hasher = hashing.finish();
        sent?;
        let trailer = Trailer {
            blake3: hasher.finalize().to_hex().to_string(),
        };
        protocol::write_message(&mut self.writer, &trailer).map_err(|e| Sent::Partly(self.lost(&e)))?;
        Ok(())
    }
}

impl Client {
    /// Sends `len` bytes of `file`, hashing each chunk as it goes.
    fn send_body(
        &mut self,
        file: &mut File,
        len: u64,
        shown: &str,
        index: usize,
        progress: &dyn Progress,
        hashing: &mut Hashing,
    ) -> Result<(), Sent> {
        let mut left = len;
        while left > 0 {
            let mut buf = hashing.buffer();
            let want = buf.len().min(left as usize);
            let n = match file.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(Sent::Partly(Error::new(
                        ErrorKind::Other,
                        format!("{shown} shrank while it was being uploaded"),
                    )))
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    hashing.hash(buf, 0);
                    continue;
                }
                Err(e) => return Err(Sent::Partly(Error::io(format!("cannot read {shown}"), &e))),
            };
            self.writer
                .write_all(&buf[..n])
                .map_err(|e| Sent::Partly(self.lost(&e)))?;
            hashing.hash(buf, n);
            left -= n as u64;
            progress.advance(index, n as u64);
        }
        Ok(())
    }
}

/// How far a failed put got: nothing on the wire (the connection is fine), or part of it
/// (the connection cannot be used again).
enum Sent {
    Nothing(Error),
    Partly(Error),
}

/// Files at least this large are checked with `stat` before sending when not forcing.
const PREFLIGHT_MIN: u64 = 1 << 20;

fn local_len(job: &PutJob) -> u64 {
    std::fs::metadata(&job.path).map(|m| m.len()).unwrap_or(0)
}

fn exists(name: &FileName) -> Error {
    Error::exists(format!("{} on the server", quote(name.as_str())))
}
