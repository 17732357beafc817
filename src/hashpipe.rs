//! Hashing off the I/O thread. A [`HashPipe`] owns a small pool of buffers and a helper thread
//! that feeds them to BLAKE3, so the caller can read or write the next buffer while the last
//! one is hashed: on a two-core machine that overlaps the hash with the copy instead of
//! adding to it. Memory is bounded by the pool (`count × size`). Small transfers should hash
//! inline instead; starting the thread costs tens of microseconds.

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

#[cfg(test)]
mod tests {
    use super::*;

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
