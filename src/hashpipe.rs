//! Hashing off the I/O thread. A [`HashPipe`] owns a small pool of buffers and a helper thread
//! that feeds them to BLAKE3, so the caller can read or write the next buffer while the last
//! one is hashed: on a two-core machine that overlaps the hash with the copy instead of
//! adding to it. Memory is bounded by the pool (`count × size`). Small transfers should hash
//! inline instead; starting the thread costs tens of microseconds.

use std::fs::File;
use std::io::{self, BufRead};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;

pub struct HashPipe {
    to_worker: Option<SyncSender<(Vec<u8>, usize)>>,
    returned: Receiver<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    worker: Option<JoinHandle<blake3::Hasher>>,
    size: usize,
}

impl HashPipe {
    /// Continues `hasher` on a helper thread with `count` buffers of `size` bytes; gives the
    /// hasher back if the thread cannot be started (the caller then hashes inline).
    pub fn new(hasher: blake3::Hasher, count: usize, size: usize) -> Result<HashPipe, Box<blake3::Hasher>> {
        let count = count.max(2);
        let (to_worker, inbox) = mpsc::sync_channel::<(Vec<u8>, usize)>(count);
        let (give_back, returned) = mpsc::sync_channel::<Vec<u8>>(count);
        // Kept in case the thread cannot start (a copy of 2 KB, once per large transfer).
        let fallback = hasher.clone();
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
            });
        let Ok(worker) = worker else {
            return Err(Box::new(fallback));
        };
        Ok(HashPipe {
            to_worker: Some(to_worker),
            returned,
            spare: (0..count).map(|_| vec![0u8; size]).collect(),
            worker: Some(worker),
            size,
        })
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

    /// Waits for every buffer to be hashed and returns the hasher. Should the hash thread
    /// ever panic, the hasher returned hashes to a value no content has, so the transfer fails
    /// its check rather than passing unverified.
    pub fn finish(mut self) -> blake3::Hasher {
        self.to_worker.take();
        self.worker
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_else(|| blake3::Hasher::new_derive_key("nf: the hash thread failed"))
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

/// Size of each chunk a transfer moves: 256 KiB; 2 MiB on Windows, where each socket call
/// costs more (under Wine a round trip to its server: a 1 GiB get made 4096 of them at 256 KiB,
/// bench/wine).
pub const CHUNK: usize = if cfg!(windows) { 2 << 20 } else { 256 * 1024 };

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
    /// Continues `hasher` over a transfer of `len` bytes (inline if no thread can be started).
    pub fn new(hasher: blake3::Hasher, len: u64) -> Hashing {
        let hasher = if len >= PIPELINE_MIN {
            match HashPipe::new(hasher, 4, CHUNK) {
                Ok(pipe) => return Hashing::Piped(pipe),
                Err(hasher) => *hasher,
            }
        } else {
            hasher
        };
        Hashing::Inline {
            hasher: Box::new(hasher),
            buf: vec![0u8; (len.min(CHUNK as u64) as usize).max(1)],
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
    let pipe = if len < PIPELINE_MIN {
        Err(Box::new(hasher))
    } else {
        HashPipe::new(hasher, 4, CHUNK)
    };
    let mut pipe = match pipe {
        Ok(pipe) => pipe,
        // Small, or no thread to be had: hash from the reader's buffer.
        Err(hasher) => {
            let mut hasher = *hasher;
            let failed = stream(
                reader,
                len,
                |chunk| {
                    hasher.update(chunk);
                    write(chunk)
                },
                moved,
            )?;
            return Ok((hasher, failed));
        }
    };
    let (mut failed, mut got) = (None, 0u64);
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

/// Moves a body of `len` bytes from `reader` to `write` straight from the reader's buffer,
/// without hashing it, reporting each piece to `moved`. As with [`pump`], a failing `write`
/// does not stop the reading (the first write error comes back), and a failing read is
/// `Err((bytes read, error))`.
pub fn stream<E>(
    reader: &mut impl BufRead,
    len: u64,
    mut write: impl FnMut(&[u8]) -> Result<(), E>,
    mut moved: impl FnMut(usize),
) -> Result<Option<E>, (u64, io::Error)> {
    let (mut failed, mut got) = (None, 0u64);
    while got < len {
        let chunk = match reader.fill_buf() {
            Ok([]) => return Err((got, io::ErrorKind::UnexpectedEof.into())),
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((got, e)),
        };
        let n = chunk.len().min((len - got) as usize);
        if failed.is_none() {
            failed = write(&chunk[..n]).err();
        }
        reader.consume(n);
        got += n as u64;
        moved(n);
    }
    Ok(failed)
}

/// Alignment of file offsets, lengths and memory for O_DIRECT writes (the page size; every
/// Linux file system that supports O_DIRECT accepts it).
const ALIGN: usize = 4096;

/// Bodies at least this large are worth [`pump_to_file`]: below it, the page cache costs less
/// than starting two threads and filling the blocks.
pub const DIRECT_MIN: u64 = 8 << 20;

/// Size of each block [`pump_to_file`] moves, and how many one transfer uses: one filling
/// from the socket, one or two being written, one being hashed. 1 MiB direct writes keep this
/// machine's disk as busy as 2 or 4 MiB ones once a writer thread overlaps them with the
/// socket (1 GiB uploads: 4 × 1 MiB 598–621 ms, 3 × 2 MiB 579–603 ms, 4 × 512 KiB 670–680 ms),
/// for a third of the memory.
pub const BLOCK: usize = 1 << 20;
pub const BLOCKS: usize = 4;

/// Blocks kept from one [`pump_to_file`] for the next (at most [`BLOCKS`], shared by all).
/// A tus upload calls it once per chunk: with fresh blocks each time, the allocator hands the
/// memory back and the next chunk faults it in and zeroes it again, which doubled the server's
/// CPU for a 1 GiB upload in 8 MiB chunks against one PUT (bench section dav). Only what a
/// transfer reads into a block is ever used, so a block's old bytes never leave it.
static SPARE_BLOCKS: Mutex<Vec<Block>> = Mutex::new(Vec::new());

/// A block from [`SPARE_BLOCKS`], or a new one.
fn take_block() -> Block {
    let spare = SPARE_BLOCKS.lock().ok().and_then(|mut spare| spare.pop());
    spare.unwrap_or_else(|| Block::new(BLOCK))
}

/// Keeps `blocks` in [`SPARE_BLOCKS`] up to its bound; the rest are freed.
fn keep_blocks(blocks: impl Iterator<Item = Block>) {
    if let Ok(mut spare) = SPARE_BLOCKS.lock() {
        for block in blocks {
            if spare.len() >= BLOCKS {
                break;
            }
            spare.push(block);
        }
    }
}

/// A buffer whose usable part starts at an [`ALIGN`]ed address, as O_DIRECT requires.
struct Block {
    mem: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    fn new(size: usize) -> Block {
        let mem = vec![0u8; size + ALIGN];
        let start = mem.as_ptr().align_offset(ALIGN);
        Block { mem, start, len: 0 }
    }

    fn space(&mut self) -> &mut [u8] {
        let end = self.mem.len() - ALIGN + self.start;
        &mut self.mem[self.start..end]
    }

    fn data(&self) -> &[u8] {
        &self.mem[self.start..self.start + self.len]
    }
}

/// Writes `data` at `pos`: its aligned part through `direct` (a descriptor of the same file
/// opened with O_DIRECT) while `use_direct` holds, the rest through `file`. A file system that
/// refuses a direct write (EINVAL) turns `use_direct` off and gets the page cache from then on.
fn write_block(file: &File, direct: &File, use_direct: &mut bool, data: &[u8], pos: u64) -> io::Result<()> {
    let aligned = if *use_direct && pos % ALIGN as u64 == 0 {
        data.len() / ALIGN * ALIGN
    } else {
        0
    };
    if aligned > 0 {
        match crate::sys::write_all_at(direct, &data[..aligned], pos) {
            Ok(()) => return crate::sys::write_all_at(file, &data[aligned..], pos + aligned as u64),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => *use_direct = false,
            Err(e) => return Err(e),
        }
    }
    crate::sys::write_all_at(file, data, pos)
}

/// Like [`pump`], for a body that goes into a regular file at offset `start`: the bytes are
/// written with O_DIRECT through `direct` (a second descriptor of `file`), so they go from
/// nf's buffer to the disk without a copy into the page cache and the final fsync has almost
/// nothing left to write. Three threads overlap: this one reads the socket, a writer waits on
/// the disk, a hasher runs BLAKE3; memory is [`BLOCKS`] × [`BLOCK`]. The first block only
/// reaches the next aligned offset (a resumed upload may start anywhere) and the end of the
/// body goes through the page cache, so any offset and length work.
///
/// As with [`pump`], a write error does not stop the reading. When the peer stops early,
/// everything received is still written (it is kept for a resume) before the error returns.
pub fn pump_to_file(
    reader: &mut impl BufRead,
    len: u64,
    hasher: blake3::Hasher,
    file: &File,
    direct: &File,
    start: u64,
    mut moved: impl FnMut(usize),
) -> Result<Pumped, (u64, io::Error)> {
    // Kept in case a thread cannot start (a copy of 2 KB, once per large upload).
    let fallback = hasher.clone();
    std::thread::scope(|scope| {
        let (to_writer, writer_inbox) = mpsc::sync_channel::<Block>(BLOCKS);
        let (to_hasher, hasher_inbox) = mpsc::sync_channel::<Block>(BLOCKS);
        let (give_back, returned) = mpsc::sync_channel::<Block>(BLOCKS);
        let writer = std::thread::Builder::new()
            .name("write".into())
            .stack_size(64 * 1024)
            .spawn_scoped(scope, move || {
                let (mut pos, mut failed, mut use_direct) = (start, None, true);
                for block in writer_inbox {
                    if failed.is_none() {
                        failed = write_block(file, direct, &mut use_direct, block.data(), pos).err();
                    }
                    pos += block.len as u64;
                    if to_hasher.send(block).is_err() {
                        break;
                    }
                }
                failed
            });
        let Ok(writer) = writer else {
            return Ok(Pumped::NoThreads(fallback));
        };
        let hashing = std::thread::Builder::new()
            .name("hash".into())
            .stack_size(64 * 1024)
            .spawn_scoped(scope, move || {
                let mut hasher = hasher;
                for block in hasher_inbox {
                    hasher.update(block.data());
                    // The channel has room for every block made: this never waits.
                    let _ = give_back.send(block);
                }
                hasher
            });
        let Ok(hashing) = hashing else {
            drop(to_writer);
            let _ = writer.join();
            return Ok(Pumped::NoThreads(fallback));
        };
        let (mut got, mut made, mut cut) = (0u64, 0usize, None);
        while got < len && cut.is_none() {
            let mut block = match returned.try_recv() {
                Ok(b) => b,
                Err(_) if made < BLOCKS => {
                    made += 1;
                    take_block()
                }
                Err(_) => match returned.recv() {
                    Ok(b) => b,
                    Err(_) => break,
                },
            };
            let misaligned = ((start + got) % ALIGN as u64) as usize;
            let room = if misaligned == 0 {
                BLOCK
            } else {
                ALIGN - misaligned
            };
            let want = room.min((len - got) as usize);
            block.len = 0;
            while block.len < want {
                let filled = block.len;
                match reader.read(&mut block.space()[filled..want]) {
                    Ok(0) => {
                        cut = Some(io::Error::from(io::ErrorKind::UnexpectedEof));
                        break;
                    }
                    Ok(n) => {
                        block.len += n;
                        got += n as u64;
                        moved(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        cut = Some(e);
                        break;
                    }
                }
            }
            // Even a block cut short is written: what arrived is kept for a resume.
            if block.len > 0 && to_writer.send(block).is_err() {
                break;
            }
        }
        drop(to_writer);
        let failed = writer
            .join()
            .unwrap_or_else(|_| Some(io::Error::other("the write thread failed")));
        // Should the hash thread ever panic, a hasher no content matches: the check fails.
        let hasher = hashing
            .join()
            .unwrap_or_else(|_| blake3::Hasher::new_derive_key("nf: the hash thread failed"));
        // Every block made is back (the channel holds all of them), kept for the next transfer.
        keep_blocks(returned.try_iter());
        match cut {
            Some(e) => Err((got, e)),
            None => Ok(Pumped::Done(hasher, failed)),
        }
    })
}

/// What [`pump_to_file`] did: the body's hash and the first write error, or nothing at all
/// because its threads could not be started (the caller then uses [`pump`]; the hasher is
/// handed back untouched).
#[derive(Debug)]
pub enum Pumped {
    Done(blake3::Hasher, Option<io::Error>),
    NoThreads(blake3::Hasher),
}

/// Hashes the first `len` bytes of `file` (reading at offsets, so its position does not
/// matter and does not change); `UnexpectedEof` if the file is shorter.
pub fn hash_prefix(file: &File, len: u64) -> io::Result<blake3::Hasher> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK.min(len as usize).max(1)];
    let mut pos = 0u64;
    while pos < len {
        let want = buf.len().min((len - pos) as usize);
        match crate::sys::read_at(file, &mut buf[..want], pos) {
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

    /// A descriptor to hand `pump_to_file` as its direct one: the real O_DIRECT twin where
    /// the test's file system has one, else a second plain descriptor (the pipeline is the same).
    fn twin(file: &File, path: &std::path::Path) -> File {
        crate::fsutil::direct_twin(file)
            .unwrap_or_else(|| std::fs::OpenOptions::new().write(true).open(path).unwrap())
    }

    #[test]
    fn pump_to_file_writes_any_offset_and_length_and_keeps_what_arrived_when_cut() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..(BLOCK * 5 + 4097) as u32)
            .map(|i| (i * 13 + i / 4099) as u8)
            .collect();
        for (start, len) in [
            (0usize, 1usize),
            (0, ALIGN),
            (0, BLOCK * 5 + 4097),
            (100, BLOCK + 3),
            (4095, BLOCK * 3),
            (ALIGN, 2 * BLOCK),
        ] {
            let path = dir.path().join(format!("f{start}.{len}"));
            let prefix = vec![7u8; start];
            std::fs::write(&path, &prefix).unwrap();
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .unwrap();
            let mut wire = body[..len].to_vec();
            wire.extend_from_slice(b"next\n");
            let mut reader = io::BufReader::with_capacity(CHUNK, &wire[..]);
            let mut moved = 0;
            let Pumped::Done(hasher, failed) = pump_to_file(
                &mut reader,
                len as u64,
                blake3::Hasher::new(),
                &file,
                &twin(&file, &path),
                start as u64,
                |n| moved += n,
            )
            .unwrap() else {
                panic!("threads start here")
            };
            assert!(failed.is_none());
            assert_eq!(
                (moved, hasher.finalize()),
                (len, blake3::hash(&body[..len])),
                "{start} {len}"
            );
            let stored = std::fs::read(&path).unwrap();
            assert!(
                stored[..start] == prefix[..] && stored[start..] == body[..len],
                "{start} {len}"
            );
            let mut rest = String::new();
            reader.read_line(&mut rest).unwrap();
            assert_eq!(rest, "next\n");
        }
        // The peer stops 3 bytes into the third block: all it sent is on disk.
        let path = dir.path().join("cut");
        let file = File::create(&path).unwrap();
        let sent = 2 * BLOCK + 3;
        let mut reader = io::BufReader::new(&body[..sent]);
        let err = pump_to_file(
            &mut reader,
            body.len() as u64,
            blake3::Hasher::new(),
            &file,
            &twin(&file, &path),
            0,
            |_| {},
        )
        .unwrap_err();
        assert_eq!((err.0, err.1.kind()), (sent as u64, io::ErrorKind::UnexpectedEof));
        assert!(std::fs::read(&path).unwrap() == body[..sent]);
    }

    #[test]
    #[cfg(unix)]
    fn pump_to_file_reads_the_whole_body_after_a_write_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro");
        std::fs::write(&path, b"").unwrap();
        // Read-only descriptors: every write fails with EBADF.
        let file = File::open(&path).unwrap();
        let body = vec![1u8; 3 * BLOCK + 5];
        let mut wire = body.clone();
        wire.extend_from_slice(b"next\n");
        let mut reader = io::BufReader::new(&wire[..]);
        let Pumped::Done(hasher, failed) = pump_to_file(
            &mut reader,
            body.len() as u64,
            blake3::Hasher::new(),
            &file,
            &File::open(&path).unwrap(),
            0,
            |_| {},
        )
        .unwrap() else {
            panic!("threads start here")
        };
        assert_eq!(failed.map(|e| e.raw_os_error()), Some(Some(libc::EBADF)));
        assert_eq!(hasher.finalize(), blake3::hash(&body));
        let mut rest = String::new();
        reader.read_line(&mut rest).unwrap();
        assert_eq!(rest, "next\n");
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
        let mut pipe = HashPipe::new(blake3::Hasher::new(), 3, 100_000).ok().unwrap();
        for chunk in data.chunks(77_777) {
            let mut buf = pipe.buffer();
            buf[..chunk.len()].copy_from_slice(chunk);
            pipe.hash(buf, chunk.len());
        }
        assert_eq!(pipe.finish().finalize(), blake3::hash(&data));
    }
}
