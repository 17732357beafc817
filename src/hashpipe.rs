//! Hashing off the I/O thread. A [`HashPipe`] owns a small pool of buffers and a helper thread
//! that feeds them to BLAKE3, so the caller can read or write the next buffer while the last
//! one is hashed: on a two-core machine that overlaps the hash with the copy instead of
//! adding to it. Memory is bounded by the pool (`count × size`). Small transfers should hash
//! inline instead; starting the thread costs tens of microseconds.

use std::fs::File;
use std::io::{self, BufRead};
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

pub struct HashPipe {
    to_worker: Option<SyncSender<(Vec<u8>, usize)>>,
    returned: Receiver<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    worker: Option<JoinHandle<blake3::Hasher>>,
    size: usize,
}

impl HashPipe {
    /// Continues `hasher` on a helper thread with `count` buffers of `size` bytes.
    pub fn new(hasher: blake3::Hasher, count: usize, size: usize) -> HashPipe {
        let count = count.max(2);
        let (to_worker, inbox) = mpsc::sync_channel::<(Vec<u8>, usize)>(count);
        let (give_back, returned) = mpsc::sync_channel::<Vec<u8>>(count);
        let worker = std::thread::Builder::new()
            .name("hash".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut hasher = hasher;
                for (buf, len) in inbox {
                    hasher.update(&buf[..len]);
                    if give_back.send(buf).is_err() {
                        break;
                    }
                }
                hasher
            })
            .expect("start the hash thread");
        HashPipe {
            to_worker: Some(to_worker),
            returned,
            spare: (0..count).map(|_| vec![0u8; size]).collect(),
            worker: Some(worker),
            size,
        }
    }

    /// A buffer of `size` bytes to fill (waits for the hasher to return one if all are busy).
    /// Its content is whatever it last held: it is not cleared.
    pub fn buffer(&mut self) -> Vec<u8> {
        match self.spare.pop() {
            Some(b) => b,
            None => self.returned.recv().unwrap_or_else(|_| vec![0u8; self.size]),
        }
    }

    /// Hands `buf` to the hasher, which hashes its first `len` bytes.
    pub fn hash(&mut self, buf: Vec<u8>, len: usize) {
        if let Some(tx) = &self.to_worker {
            if let Err(mpsc::SendError((buf, _))) = tx.send((buf, len)) {
                self.spare.push(buf);
            }
        }
    }

    /// Waits for every buffer to be hashed and returns the hasher.
    pub fn finish(mut self) -> blake3::Hasher {
        self.to_worker.take();
        self.worker
            .take()
            .and_then(|w| w.join().ok())
            .expect("the hash thread does not panic")
    }
}

impl Drop for HashPipe {
    fn drop(&mut self) {
        self.to_worker.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// Transfers of at least this many bytes hash on a helper thread; smaller ones inline.
pub const PIPELINE_MIN: u64 = 1 << 20;

/// Size of each chunk a transfer moves.
pub const CHUNK: usize = 256 * 1024;

/// The hashing side of one transfer: inline for small ones, a [`HashPipe`] for large ones.
/// Either way the caller fills a buffer from [`Hashing::buffer`], moves its bytes, and hands
/// it back with [`Hashing::hash`] and the number of bytes it filled.
pub enum Hashing {
    Inline {
        hasher: Box<blake3::Hasher>,
        buf: Vec<u8>,
    },
    Piped(HashPipe),
}

impl Hashing {
    /// Continues `hasher` over a transfer of `len` bytes.
    pub fn new(hasher: blake3::Hasher, len: u64) -> Hashing {
        if len >= PIPELINE_MIN {
            Hashing::Piped(HashPipe::new(hasher, 4, CHUNK))
        } else {
            Hashing::Inline {
                hasher: Box::new(hasher),
                buf: vec![0u8; (len as usize).clamp(1, CHUNK)],
            }
        }
    }

    /// A buffer to fill; its length is the most to read at once.
    pub fn buffer(&mut self) -> Vec<u8> {
        match self {
            Hashing::Inline { buf, .. } => std::mem::take(buf),
            Hashing::Piped(p) => p.buffer(),
        }
    }

    /// Hashes the first `len` bytes of `buf` and takes the buffer back.
    pub fn hash(&mut self, buf: Vec<u8>, len: usize) {
        match self {
            Hashing::Inline { hasher, buf: slot } => {
                hasher.update(&buf[..len]);
                *slot = buf;
            }
            Hashing::Piped(p) => p.hash(buf, len),
        }
    }

    /// The hasher, once every buffer handed over is hashed.
    pub fn finish(self) -> blake3::Hasher {
        match self {
            Hashing::Inline { hasher, .. } => *hasher,
            Hashing::Piped(p) => p.finish(),
        }
    }
}

/// Moves a body of `len` bytes from the connection `reader` to `write`, hashing it on the way
/// (from the reader's own buffer for small bodies; through a [`HashPipe`] for large ones) and
/// reporting each piece to `moved`. Both ends of a transfer use it: the server storing an
/// upload, the client saving a download.
///
/// A failing `write` does not stop the reading: the rest of the body is read and dropped so the
/// stream stays in step for the next message, and the first write error comes back with the
/// hasher. A failing read (or the peer closing early) is `Err((bytes read, error))`.
pub fn pump<E>(
    reader: &mut impl BufRead,
    len: u64,
    hasher: blake3::Hasher,
    mut write: impl FnMut(&[u8]) -> Result<(), E>,
    mut moved: impl FnMut(usize),
) -> Result<(blake3::Hasher, Option<E>), (u64, io::Error)> {
    let mut failed = None;
    let mut got = 0u64;
    if len < PIPELINE_MIN {
        let mut hasher = hasher;
        while got < len {
            let chunk = match reader.fill_buf() {
                Ok([]) => return Err((got, io::ErrorKind::UnexpectedEof.into())),
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err((got, e)),
            };
            let n = chunk.len().min((len - got) as usize);
            if failed.is_none() {
                hasher.update(&chunk[..n]);
                failed = write(&chunk[..n]).err();
            }
            reader.consume(n);
            got += n as u64;
            moved(n);
        }
        return Ok((hasher, failed));
    }
    let mut pipe = HashPipe::new(hasher, 4, CHUNK);
    while got < len {
        let mut buf = pipe.buffer();
        let want = buf.len().min((len - got) as usize);
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => return Err((got, io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err((got, e)),
        };
        if failed.is_none() {
            failed = write(&buf[..n]).err();
        }
        got += n as u64;
        moved(n);
        pipe.hash(buf, n);
    }
    Ok((pipe.finish(), failed))
}

/// Hashes the first `len` bytes of `file` (reading at offsets, so its position does not
/// matter and does not change); `UnexpectedEof` if the file is shorter.
pub fn hash_prefix(file: &File, len: u64) -> io::Result<blake3::Hasher> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK.min(len as usize).max(1)];
    let mut pos = 0u64;
    while pos < len {
        let want = buf.len().min((len - pos) as usize);
        match file.read_at(&mut buf[..want], pos) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                hasher.update(&buf[..n]);
                pos += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pump_moves_and_hashes_exactly_the_body_and_drains_after_a_write_error() {
        for len in [0usize, 1, 5000, 3 << 20] {
            let body: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut wire = body.clone();
            wire.extend_from_slice(b"next message\n");
            let mut reader = io::BufReader::with_capacity(CHUNK, &wire[..]);
            let mut out = Vec::new();
            let (hasher, failed) = pump(
                &mut reader,
                len as u64,
                blake3::Hasher::new(),
                |c| {
                    out.extend_from_slice(c);
                    Ok::<(), ()>(())
                },
                |_| {},
            )
            .unwrap();
            assert!(failed.is_none());
            assert!(out == body, "{len}");
            assert_eq!(hasher.finalize(), blake3::hash(&body));
            // A write error: the body is still read to its end, the stream stays in step.
            let mut reader = io::BufReader::with_capacity(CHUNK, &wire[..]);
            let (_, failed) = pump(
                &mut reader,
                len as u64,
                blake3::Hasher::new(),
                |_| Err("disk full"),
                |_| {},
            )
            .unwrap();
            assert_eq!(failed, if len == 0 { None } else { Some("disk full") });
            let mut rest = String::new();
            reader.read_line(&mut rest).unwrap();
            assert_eq!(rest, "next message\n");
        }
        let mut short = io::BufReader::new(&b"abc"[..]);
        let err = pump(
            &mut short,
            10,
            blake3::Hasher::new(),
            |_| Ok::<(), ()>(()),
            |_| {},
        )
        .unwrap_err();
        assert_eq!((err.0, err.1.kind()), (3, io::ErrorKind::UnexpectedEof));
    }

    #[test]
    fn hash_prefix_hashes_exactly_len_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..700_000u32).map(|i| i as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = File::open(&path).unwrap();
        assert_eq!(
            hash_prefix(&file, 300_001).unwrap().finalize(),
            blake3::hash(&data[..300_001])
        );
        assert_eq!(hash_prefix(&file, 0).unwrap().finalize(), blake3::hash(b""));
        assert_eq!(
            hash_prefix(&file, 700_001).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    #[test]
    fn the_pipe_hashes_exactly_what_was_handed_over() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let mut pipe = HashPipe::new(blake3::Hasher::new(), 3, 100_000);
        for chunk in data.chunks(77_777) {
            let mut buf = pipe.buffer();
            buf[..chunk.len()].copy_from_slice(chunk);
            pipe.hash(buf, chunk.len());
        }
        assert_eq!(pipe.finish().finalize(), blake3::hash(&data));
    }
}
