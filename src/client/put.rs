//! Uploads: many files over one connection, each streamed as raw bytes and hashed while it is
//! read, while what awaits its reply stays within the put [`Window`] (replies are read as they
//! arrive, between files and between a large body's chunks), so that small files do not each
//! cost a round trip and a long fat link stays full. A regular file goes as one body of its declared size; anything else (a pipe,
//! a FIFO, standard input, a character device) is read to its end and sent as a stream of
//! chunks, since its length is known only then.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{settle, with_restart, Client, Done, Progress, Slot, Window};
use crate::error::{Error, ErrorKind, Result};
use crate::hashpipe::{hash_prefix, Hashing};
use crate::name::{quote, FileName};
use crate::protocol::{self, PutReply, Request, Trailer};

/// The path that stands for standard input.
pub const STDIN: &str = "-";

/// What a put asks the server to keep with a regular file, as the wire writes it.
struct Kept {
    modified: Option<String>,
    mode: String,
}

/// How the puts of one call go: overwrite existing names, continue partials, ask the server
/// for a signed receipt of each upload.
#[derive(Debug, Clone, Copy, Default)]
pub struct PutOptions {
    pub force: bool,
    pub resume: bool,
    pub receipt: bool,
}

/// One file to upload: the local path (`-`: standard input) and the name to store it under.
#[derive(Debug, Clone)]
pub struct PutJob {
    pub path: PathBuf,
    pub name: FileName,
}

impl PutJob {
    fn is_stdin(&self) -> bool {
        self.path == Path::new(STDIN)
    }

    /// How the path reads in messages.
    fn shown(&self) -> String {
        if self.is_stdin() {
            "standard input".to_string()
        } else {
            self.path.display().to_string()
        }
    }

    /// Opens the source: a regular file with its size and what to keep with it (its
    /// modification time and permission bits), or a stream (`None`, `None`).
    fn open(&self) -> Result<(File, Option<u64>, Option<Kept>)> {
        let file = if self.is_stdin() {
            crate::sys::stdin_file().map_err(|e| Error::io("cannot read standard input", &e))?
        } else {
            File::open(&self.path).map_err(|e| Error::io(format!("cannot open {}", self.shown()), &e))?
        };
        let md = match file.metadata() {
            Ok(md) => md,
            // A pipe has no file information on Windows; standard input is read as a stream
            // in any case.
            Err(_) if self.is_stdin() => return Ok((file, None, None)),
            Err(e) => return Err(Error::io(format!("cannot read {}", self.shown()), &e)),
        };
        if md.is_dir() {
            let dir = self.path.display().to_string();
            let dir = dir.trim_end_matches('/');
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{dir} is a directory; nf put takes files (try `nf put {dir}/*`)"),
            ));
        }
        // Standard input is always read as a stream: even a redirected file may be read from
        // wherever its offset is.
        if md.is_file() && !self.is_stdin() {
            let kept = Kept {
                modified: md.modified().ok().map(crate::human::rfc3339_exact),
                mode: protocol::mode_text(crate::sys::mode_of(&md)),
            };
            Ok((file, Some(md.len()), Some(kept)))
        } else {
            Ok((file, None, None))
        }
    }

    /// The size of a regular file to upload, for deciding whether to ask the server first.
    fn regular_len(&self) -> Option<u64> {
        if self.is_stdin() {
            return None;
        }
        std::fs::metadata(&self.path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }
}

impl Client {
    /// Uploads every job; one result per job, in order. With `resume`, each upload continues
    /// the server's partial of that name (and starts over if the partial turns out not to be a
    /// prefix of the file), and a name that already holds exactly this content is done at once.
    pub fn put(&mut self, jobs: &[PutJob], opts: PutOptions, progress: &dyn Progress) -> Vec<Result<Done>> {
        let PutOptions { force, resume, .. } = opts;
        let mut results: Vec<Slot> = vec![None; jobs.len()];
        let mut offsets = vec![0u64; jobs.len()];
        // Ask first only where it saves something: a resume offset, or a large body that would
        // be sent in vain to an existing name or that has a partial the user should know of.
        // Small files just go; the server refuses them.
        let check: Vec<usize> = (0..jobs.len())
            .filter(|&i| match jobs[i].regular_len() {
                Some(len) => resume || len >= PREFLIGHT_MIN,
                None => false,
            })
            .collect();
        if !check.is_empty() {
            let names: Vec<FileName> = check.iter().map(|&i| jobs[i].name.clone()).collect();
            let stats = match self.stat(&names) {
                Ok(stats) => stats,
                Err(e) => return vec![Err(e); jobs.len()],
            };
            for (&i, stat) in check.iter().zip(stats) {
                let job = &jobs[i];
                match stat {
                    Err(e) if resume => results[i] = Some(Err(e)),
                    // Only advice without --resume (a name being replaced right now may fail
                    // to answer): the upload itself decides.
                    Err(_) => {}
                    Ok((Some(stored), _))
                        if resume && super::get::same_content(&job.path, &stored.blake3) =>
                    {
                        results[i] = Some(Ok(Done::already(stored)));
                    }
                    Ok((Some(_), _)) if !force => results[i] = Some(Err(exists(&job.name))),
                    Ok((_, partial)) if resume => offsets[i] = partial,
                    Ok((_, partial)) if partial > 0 => progress.note(
                        i,
                        &format!(
                            "the server holds {} of an interrupted upload of {}; add --resume to \
                             continue from there",
                            crate::human::size(partial),
                            quote(job.name.as_str())
                        ),
                    ),
                    Ok(_) => {}
                }
            }
            for (i, result) in results.iter().enumerate() {
                if let Some(result) = result {
                    progress.end(i, result);
                }
            }
        }
        with_restart(results, &offsets, |offsets, todo, results| {
            self.put_pass(jobs, opts, offsets, todo, results, progress)
        })
    }

    /// Sends the jobs in `todo`, filling in their results as replies arrive.
    fn put_pass(
        &mut self,
        jobs: &[PutJob],
        opts: PutOptions,
        offsets: &[u64],
        todo: &[usize],
        results: &mut [Slot],
        progress: &dyn Progress,
    ) {
        let mut pipe = Pipe {
            waiting: VecDeque::new(),
            window: Window::puts(),
            results,
            broken: None,
            progress,
        };
        for &i in todo {
            let job = &jobs[i];
            if let Some(e) = &pipe.broken {
                pipe.results[i] = Some(Err(e.clone()));
                continue;
            }
            self.make_room(&mut pipe);
            match self.send_one(i, job, opts, offsets[i], progress, &mut pipe) {
                Ok(sent) => {
                    pipe.window.sent(sent.moved);
                    pipe.waiting.push_back(sent);
                }
                Err(Sent::Nothing(e)) => {
                    let result = Err(e);
                    progress.end(i, &result);
                    pipe.results[i] = Some(result);
                }
                Err(Sent::Refused(e)) => {
                    let result = Err(e);
                    progress.end(i, &result);
                    pipe.results[i] = Some(result);
                    // The server closed the connection after its answer: the rest go over a
                    // new one.
                    if let Err(e) = self.reopen() {
                        pipe.broken = Some(e);
                    }
                }
                Err(Sent::Partly(e)) => {
                    let result = Err(e.clone());
                    progress.end(i, &result);
                    pipe.results[i] = Some(result);
                    pipe.broken = Some(Error::new(
                        ErrorKind::Connect,
                        format!(
                            "not sent: the connection was abandoned after an error ({})",
                            e.message
                        ),
                    ));
                }
            }
        }
        while !pipe.waiting.is_empty() {
            self.receive_put(&mut pipe);
        }
    }

    /// Before the next put: reads the replies that have arrived (the hello's first: a put's
    /// reply may not be there yet), without waiting, then, while the window is full, waits for
    /// the oldest.
    fn make_room(&mut self, pipe: &mut Pipe) {
        while pipe.broken.is_none() && self.has_input() {
            if self.hello_pending() {
                if self.ensure_hello().is_err() {
                    // Refused: each put awaiting a reply gets the refusal in turn.
                    break;
                }
            } else if pipe.waiting.is_empty() {
                break;
            } else {
                self.receive_put(pipe);
            }
        }
        while !pipe.window.has_room(0) && pipe.broken.is_none() {
            self.receive_put(pipe);
        }
    }

    /// Reads the reply to the oldest put awaiting one.
    fn receive_put(&mut self, pipe: &mut Pipe) {
        let Some(sent) = pipe.waiting.pop_front() else {
            return;
        };
        pipe.window.answered();
        let reply = match &pipe.broken {
            Some(e) => Err(e.clone()),
            None => match self.flush() {
                Ok(()) => self.read_reply::<PutReply>().map(|r| (r.file, r.receipt)),
                Err(e) => Err(e),
            },
        };
        let result = match (reply, sent.canceled) {
            // The server's answer to a canceled upload matters less than why it was canceled.
            (
                Ok(_)
                | Err(Error {
                    kind: ErrorKind::Interrupted,
                    ..
                }),
                Some(why),
            ) => Err(why),
            (reply, _) => reply.map(|(file, receipt)| Done {
                receipt,
                ..Done::moved(file, sent.moved)
            }),
        };
        settle(
            sent.index,
            result,
            sent.resumed,
            &mut pipe.broken,
            pipe.progress,
            pipe.results,
        );
    }

    /// While a body is being sent: what ends it early, if the server has said something.
    /// Replies to the puts before it are read as they come; once none is awaited, what the
    /// server says is its answer to this put before its body (a refusal: no space, a limit),
    /// after which it closes the connection.
    fn answered_early(&mut self, pipe: &mut Pipe) -> Option<Sent> {
        while self.has_input() {
            if pipe.waiting.is_empty() {
                return Some(match self.read_reply::<PutReply>() {
                    Err(e) if !matches!(e.kind, ErrorKind::Connect | ErrorKind::Protocol) => Sent::Refused(e),
                    Err(e) => Sent::Partly(e),
                    Ok(_) => Sent::Partly(Error::new(
                        ErrorKind::Protocol,
                        "the server answered an upload before its body",
                    )),
                });
            }
            self.receive_put(pipe);
            if let Some(e) = &pipe.broken {
                return Some(Sent::Partly(e.clone()));
            }
        }
        None
    }

    /// Sends one put: header, body from `offset`, trailer.
    fn send_one(
        &mut self,
        index: usize,
        job: &PutJob,
        opts: PutOptions,
        offset: u64,
        progress: &dyn Progress,
        pipe: &mut Pipe,
    ) -> Result<Waiting, Sent> {
        let (mut file, size, kept) = job.open().map_err(Sent::Nothing)?;
        let (Some(size), Some(kept)) = (size, kept) else {
            return self.send_stream(index, job, file, opts, progress);
        };
        let offset = if offset <= size { offset } else { 0 };
        // Small bodies go out with the hello; a larger one waits for the server's limit.
        self.before_body(size - offset).map_err(Sent::Partly)?;
        if let Some(max) = self.max_file_size.filter(|&m| size > m) {
            return Err(Sent::Nothing(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} is {size} bytes, over this server's limit of {max} bytes",
                    job.shown()
                ),
            )));
        }
        let hasher = if offset == 0 {
            // Just opened: already at the start, nothing to hash yet.
            blake3::Hasher::new()
        } else {
            hash_prefix(&file, offset)
                .and_then(|h| file.seek(SeekFrom::Start(offset)).map(|_| h))
                .map_err(|e| Sent::Nothing(Error::io(format!("cannot read {}", job.shown()), &e)))?
        };
        progress.begin(index, job.name.as_str(), Some(size), offset);
        let header = Request::Put {
            name: job.name.to_string(),
            size: Some(size),
            offset,
            force: opts.force,
            modified: kept.modified,
            mode: Some(kept.mode),
            receipt: opts.receipt,
        };
        self.send(&header).map_err(Sent::Partly)?;
        let body = size - offset;
        let mut hashing = Hashing::new(hasher, body);
        let sent = self.send_body(&mut file, body, job, index, &mut hashing, pipe);
        let hasher = hashing.finish();
        let canceled = match sent? {
            Ended::Whole if grew(&mut file) => Some(changed(job, "grew")),
            Ended::Whole => None,
            Ended::Short => Some(changed(job, "shrank")),
        };
        self.end_body(index, hasher, canceled, body, offset > 0)
    }

    /// Sends a source of unknown length (pipe, FIFO, standard input) as a stream of chunks.
    fn send_stream(
        &mut self,
        index: usize,
        job: &PutJob,
        mut source: File,
        opts: PutOptions,
        progress: &dyn Progress,
    ) -> Result<Waiting, Sent> {
        // The body may be of any length: learn the server's limit first.
        self.ensure_hello().map_err(Sent::Partly)?;
        let max = self.max_file_size.unwrap_or(u64::MAX);
        progress.begin(index, job.name.as_str(), None, 0);
        let header = Request::Put {
            name: job.name.to_string(),
            size: None,
            offset: 0,
            force: opts.force,
            modified: None,
            mode: None,
            receipt: opts.receipt,
        };
        self.send(&header).map_err(Sent::Partly)?;
        // Of unknown length, so possibly long: hash on a helper thread.
        let mut hashing = Hashing::new(blake3::Hasher::new(), u64::MAX);
        let mut sent = 0u64;
        let canceled = loop {
            let mut buf = hashing.buffer();
            let n = match source.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    hashing.hash(buf, 0);
                    continue;
                }
                Err(e) => break Some(Error::io(format!("cannot read {}", job.shown()), &e)),
            };
            if sent + n as u64 > max {
                break Some(Error::new(
                    ErrorKind::TooLarge,
                    format!(
                        "{} is over this server's limit of {max} bytes; nothing was stored",
                        job.shown()
                    ),
                ));
            }
            let mut out = self.out();
            protocol::write_chunk_header(&mut out, n)
                .and_then(|()| out.write_all(&buf[..n]))
                .map_err(|e| Sent::Partly(self.lost(&e)))?;
            hashing.hash(buf, n);
            sent += n as u64;
            progress.advance(index, n as u64);
        };
        protocol::write_chunk_header(&mut self.out(), 0).map_err(|e| Sent::Partly(self.lost(&e)))?;
        self.end_body(index, hashing.finish(), canceled, sent, false)
    }

    /// Sends the trailer: the whole file's hash, or the reason the upload is canceled.
    fn end_body(
        &mut self,
        index: usize,
        hasher: blake3::Hasher,
        canceled: Option<Error>,
        moved: u64,
        resumed: bool,
    ) -> Result<Waiting, Sent> {
        let trailer = match &canceled {
            Some(why) => Trailer {
                blake3: String::new(),
                cancel: Some(why.message.clone()),
            },
            None => Trailer {
                blake3: hasher.finalize().to_hex().to_string(),
                cancel: None,
            },
        };
        protocol::write_message(&mut self.out(), &trailer).map_err(|e| Sent::Partly(self.lost(&e)))?;
        Ok(Waiting {
            index,
            moved,
            resumed,
            canceled,
        })
    }

    /// Sends `len` bytes of `file`, hashing each chunk as it goes. A file that ends early is
    /// padded with zeros to `len`, so the connection stays in step; the upload is then canceled.
    fn send_body(
        &mut self,
        file: &mut File,
        len: u64,
        job: &PutJob,
        index: usize,
        hashing: &mut Hashing,
        pipe: &mut Pipe,
    ) -> Result<Ended, Sent> {
        let mut left = len;
        let mut ended = Ended::Whole;
        // A large body is watched for an answer before its end (a refusal: the server does
        // not read it), and stops there, as scp and rsync stop.
        let watch = len >= WATCH_MIN;
        while left > 0 {
            if watch {
                if let Some(ended) = self.answered_early(pipe) {
                    return Err(ended);
                }
            }
            let mut buf = hashing.buffer();
            let want = buf.len().min(left as usize);
            let n = match file.read(&mut buf[..want]) {
                Ok(0) => {
                    ended = Ended::Short;
                    buf[..want].fill(0);
                    want
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    hashing.hash(buf, 0);
                    continue;
                }
                Err(e) => {
                    return Err(Sent::Partly(Error::io(
                        format!("cannot read {}", job.shown()),
                        &e,
                    )))
                }
            };
            if let Err(e) = self.out().write_all(&buf[..n]) {
                // The server may have answered, then closed, before this write.
                let early = watch.then(|| self.answered_early(pipe)).flatten();
                return Err(early.unwrap_or_else(|| Sent::Partly(self.lost(&e))));
            }
            hashing.hash(buf, n);
            left -= n as u64;
            pipe.progress.advance(index, n as u64);
        }
        Ok(ended)
    }
}

/// How a regular file's body ended.
enum Ended {
    /// All its declared bytes were read.
    Whole,
    /// It ended before them (it shrank); the rest was sent as zeros.
    Short,
}

/// The puts of a pass on the wire: those awaiting their reply (in order), the results so
/// far, the error that ended the connection, if one did, and where progress goes.
struct Pipe<'a> {
    waiting: VecDeque<Waiting>,
    /// The sizes of the bodies in `waiting`.
    window: Window,
    results: &'a mut [Slot],
    broken: Option<Error>,
    progress: &'a dyn Progress,
}

/// Bodies at least this large are watched for an early answer while they are sent (the
/// server checks its free space for bodies from 1 MiB: server/body.rs).
const WATCH_MIN: u64 = 1 << 20;

/// A put sent and awaiting its reply.
struct Waiting {
    index: usize,
    /// Body bytes sent.
    moved: u64,
    /// It continued a partial (from an offset past 0).
    resumed: bool,
    /// Why the client canceled it (its trailer said so), if it did.
    canceled: Option<Error>,
}

/// True when `file`, read to the size it had, has more to give: it grew while being sent.
fn grew(file: &mut File) -> bool {
    let mut probe = [0u8; 1];
    matches!(file.read(&mut probe), Ok(1))
}

fn changed(job: &PutJob, how: &str) -> Error {
    Error::new(
        ErrorKind::Other,
        format!(
            "{} {how} while it was being uploaded; nothing was stored (upload it again once it \
             stops changing)",
            job.shown()
        ),
    )
}

/// How far a failed put got: nothing on the wire (the connection is fine), part of it (the
/// connection cannot be used again), or part of it when the server refused it before its
/// body (and closed the connection: the next puts go over a new one).
enum Sent {
    Nothing(Error),
    Partly(Error),
    Refused(Error),
}

/// Files at least this large are checked with `stat` before sending.
const PREFLIGHT_MIN: u64 = 1 << 20;

fn exists(name: &FileName) -> Error {
    Error::exists(format!("{} on the server", quote(name.as_str())))
}
