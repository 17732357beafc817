//! The server-wide limit on upload bytes an object-store server holds in memory: parts being
//! filled and parts on their way to the store. An upload reserves the whole part it is about to
//! fill (or what is left of its file, if less) before it reads the first byte of it, and the
//! reservation is given back when that part is stored or the upload ends. A reservation that
//! must wait blocks the connection's thread, which then stops reading from its socket, so the
//! client waits too. Waiting happens only between parts, with no part half-filled, so the
//! uploads holding the budget can always finish their parts and give it back.

use std::sync::{Arc, Condvar, Mutex};

pub struct Budget {
    held: Mutex<u64>,
    freed: Condvar,
    limit: u64,
}

/// Bytes reserved from a [`Budget`]; given back when dropped.
pub struct Held {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Arc<Budget> {
        Arc::new(Budget {
            held: Mutex::new(0),
            freed: Condvar::new(),
            limit,
        })
    }

    /// Reserves `bytes` (at most the whole budget), waiting until they are free.
    pub fn take(self: &Arc<Budget>, bytes: u64) -> Held {
        let bytes = bytes.min(self.limit);
        let mut held = self.held.lock().unwrap();
        while *held + bytes > self.limit {
            held = self.freed.wait(held).unwrap();
        }
        *held += bytes;
        Held {
            budget: Arc::clone(self),
            bytes,
        }
    }

    /// Bytes reserved now.
    #[cfg(test)]
    pub fn held(&self) -> u64 {
        *self.held.lock().unwrap()
    }
}

impl Held {
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        *self.budget.held.lock().unwrap() -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_reservation_waits_until_enough_is_given_back() {
        let budget = Budget::new(10);
        let first = budget.take(6);
        let second = budget.take(4);
        assert_eq!(budget.held(), 10);
        let b = Arc::clone(&budget);
        let waiter = std::thread::spawn(move || b.take(5).bytes());
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "no room yet");
        drop(second);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "4 free is not 5");
        drop(first);
        assert_eq!(waiter.join().unwrap(), 5);
        assert_eq!(budget.held(), 0);
        // More than the whole budget is clamped to it rather than waiting forever.
        assert_eq!(budget.take(50).bytes(), 10);
    }
}
