//! The send window of a pipelined connection: what was sent and is not answered yet, counted in
//! requests and in bytes. The client keeps sending while the window is not full, and reads each
//! reply as it arrives, so a long fat link stays busy instead of waiting a round trip every few
//! files. Only sizes are kept, never the bytes themselves.

use std::collections::VecDeque;

/// Puts sent ahead of their replies. A put's reply is about 250 bytes and may go unread while
/// the client is writing a body; 512 of them (about 128 KiB) fit in the socket buffers on the
/// way back, so a server writing replies never waits on a client writing bodies.
pub const PUT_COUNT: usize = 512;

/// Body bytes sent ahead of their replies: the bandwidth-delay product of 1 Gbit/s × 100 ms
/// (12.5 MB), rounded up. The bodies are not held: a lost connection starts a new pass.
pub const PUT_BYTES: u64 = 16 << 20;

/// Small requests (get, stat, rm, mkdir) sent ahead of their replies, and the most bytes they
/// may take: their replies (bodies, for a get) are read while no request is being written, and
/// 64 KiB of requests fit in the server's receive buffer, so neither side waits on the other.
pub const REQUEST_COUNT: usize = 512;
pub const REQUEST_BYTES: u64 = 64 * 1024;

/// What is sent and not answered yet, oldest first.
#[derive(Debug)]
pub struct Window {
    sizes: VecDeque<u64>,
    bytes: u64,
    max_count: usize,
    max_bytes: u64,
}

impl Window {
    pub fn new(max_count: usize, max_bytes: u64) -> Window {
        Window {
            sizes: VecDeque::new(),
            bytes: 0,
            max_count,
            max_bytes,
        }
    }

    /// The window for puts.
    pub fn puts() -> Window {
        Window::new(PUT_COUNT, PUT_BYTES)
    }

    /// The window for small requests.
    pub fn requests() -> Window {
        Window::new(REQUEST_COUNT, REQUEST_BYTES)
    }

    /// Whether another item of `bytes` may be sent now: always when nothing is awaited (so one
    /// item larger than the window still goes), else while it stays within both bounds.
    pub fn has_room(&self, bytes: u64) -> bool {
        self.sizes.is_empty() || (self.sizes.len() < self.max_count && self.bytes + bytes <= self.max_bytes)
    }

    /// Whether at most half the window is in use: the time to send more small requests, so
    /// that one flush (one packet) carries many of them instead of one per reply.
    pub fn half_empty(&self) -> bool {
        self.sizes.len() <= self.max_count / 2 && self.bytes <= self.max_bytes / 2
    }

    /// An item of `bytes` was sent.
    pub fn sent(&mut self, bytes: u64) {
        self.sizes.push_back(bytes);
        self.bytes += bytes;
    }

    /// The oldest item was answered.
    pub fn answered(&mut self) {
        if let Some(b) = self.sizes.pop_front() {
            self.bytes -= b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_bounded_by_count_and_bytes_but_always_takes_one() {
        let mut w = Window::new(3, 100);
        assert!(w.has_room(1000), "an empty window takes an item of any size");
        w.sent(1000);
        assert!(!w.has_room(0), "over its bytes");
        w.answered();
        for _ in 0..3 {
            assert!(w.has_room(10));
            w.sent(10);
        }
        assert!(!w.has_room(0), "at its count");
        assert!(!w.half_empty());
        w.answered();
        w.answered();
        assert!(w.half_empty());
        assert!(w.has_room(90) && !w.has_room(91), "one item of 10 bytes awaited");
    }
}
