//! The threads that serve requests, and the slots that bound them. A connection gets a worker
//! only while it has a request to serve; [`Slot`]s are counted and given back by `Drop`, so a
//! panic in a handler can never leak one. The table of running slots lets the server stop
//! every connection at once, and cut the slowest transfer when all workers are taken.
//!
//! Threads start on demand up to the number of slots, and an idle thread ends after a while;
//! a thread that cannot be started is the caller's error to answer (never a panic).

use std::collections::{HashMap, VecDeque};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::transport::Activity;

/// A worker thread with nothing to do ends after this long.
const IDLE_THREAD: Duration = Duration::from_secs(30);

/// Stack of each worker thread: the handlers keep their buffers on the heap.
const STACK: usize = 256 * 1024;

/// A transfer is cut to make room only if it has run this long…
pub const SLOW_AFTER: Duration = Duration::from_secs(1);
/// …and its peer took fewer bytes per second than this over the last
/// [`RATE_WINDOW`](crate::transport::RATE_WINDOW) (or since it began, if that is sooner).
pub const SLOW_RATE: u64 = 64 * 1024;

/// Work for a thread; it owns its [`Slot`]. It is called with [`Run::Serve`] on a worker, or
/// with [`Run::Refuse`] by the caller when no thread could take it (it then only says so).
pub type Job = Box<dyn FnOnce(Run) + Send>;

/// Whether a job serves its request or only answers `busy`.
pub enum Run {
    Serve,
    Refuse,
}

struct Running {
    /// A handle on the socket, to shut it down from here.
    socket: TcpStream,
    activity: Arc<Activity>,
}

pub struct Workers {
    max: usize,
    taken: AtomicUsize,
    next_id: AtomicU64,
    running: Mutex<HashMap<u64, Running>>,
    queue: Mutex<Queue>,
    wake: Condvar,
    /// Told whenever a slot is given back (the accept loop waits on it when all are taken).
    pub freed: tokio::sync::Notify,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

/// The right to run one request; given back when dropped, whatever happens.
pub struct Slot {
    workers: Arc<Workers>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.workers.running.lock().unwrap().remove(&self.id);
        self.workers.taken.fetch_sub(1, Ordering::AcqRel);
        self.workers.freed.notify_one();
    }
}

impl Workers {
    pub fn new(max: usize) -> Arc<Workers> {
        Arc::new(Workers {
            max: max.max(1),
            taken: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            running: Mutex::new(HashMap::new()),
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            freed: tokio::sync::Notify::new(),
        })
    }

    /// Slots taken now.
    pub fn taken(&self) -> usize {
        self.taken.load(Ordering::Acquire)
    }

    /// A free slot, if there is one.
    pub fn try_slot(self: &Arc<Self>) -> Option<Slot> {
        self.taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()?;
        Some(Slot {
            workers: Arc::clone(self),
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Records the connection a slot serves, so that [`Workers::stop_all`] and
    /// [`Workers::cut_slowest`] can reach it.
    pub fn register(&self, slot: &Slot, socket: TcpStream, activity: Arc<Activity>) {
        self.running
            .lock()
            .unwrap()
            .insert(slot.id, Running { socket, activity });
    }

    /// Runs `job` on a worker thread, starting one if none is idle. Gives the job back if no
    /// thread can be started and none is there to take it.
    pub fn submit(self: &Arc<Self>, job: Job) -> Result<(), Job> {
        let mut q = self.queue.lock().unwrap();
        if q.idle > q.jobs.len() {
            q.jobs.push_back(job);
            self.wake.notify_one();
            return Ok(());
        }
        let workers = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name("worker".into())
            .stack_size(STACK)
            .spawn(move || workers.work());
        match started {
            Ok(_) => {
                q.threads += 1;
                q.jobs.push_back(job);
                self.wake.notify_one();
                Ok(())
            }
            Err(_) if q.threads > 0 => {
                // Some thread will get to it.
                q.jobs.push_back(job);
                Ok(())
            }
            Err(_) => Err(job),
        }
    }

    fn work(self: Arc<Self>) {
        let mut q = self.queue.lock().unwrap();
        loop {
            if let Some(job) = q.jobs.pop_front() {
                drop(q);
                // A panic in a handler ends that request only; its slot and connection are
                // given back as the job unwinds.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Run::Serve)));
                q = self.queue.lock().unwrap();
                continue;
            }
            q.idle += 1;
            let (next, waited) = self.wake.wait_timeout(q, IDLE_THREAD).unwrap();
            q = next;
            q.idle -= 1;
            if waited.timed_out() && q.jobs.is_empty() {
                q.threads -= 1;
                return;
            }
        }
    }

    /// Shuts down the reading side of every connection being served: each ends at its next
    /// read (an upload cut this way stays a partial).
    pub fn stop_all(&self) {
        for r in self.running.lock().unwrap().values() {
            let _ = r.socket.shutdown(Shutdown::Read);
        }
    }

    /// Transfers cut but not yet ended (their slots free up soon).
    pub fn cutting(&self) -> usize {
        let running = self.running.lock().unwrap();
        running.values().filter(|r| r.activity.is_cut()).count()
    }

    /// Cuts the slowest transfer, if one is waiting on its peer, has run for [`SLOW_AFTER`]
    /// and its peer took under [`SLOW_RATE`] lately (what it read or acknowledged, not what the
    /// kernel buffered): room for a new request when all workers are taken (a dripping or
    /// stalled peer gives way to one that has work). True if one was.
    pub fn cut_slowest(&self) -> bool {
        let running = self.running.lock().unwrap();
        let slowest = running
            .values()
            .filter_map(|r| {
                // One already being cut frees its slot soon: another waiter cuts another.
                if r.activity.is_cut() {
                    return None;
                }
                let rate = r.activity.waiting_rate(crate::sys::socket_fd(&r.socket))?;
                (rate.ran >= SLOW_AFTER && rate.per_sec() < SLOW_RATE as f64).then_some((rate.per_sec(), r))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match slowest {
            Some((_, r)) => {
                r.activity.mark_cut();
                let _ = r.socket.shutdown(Shutdown::Both);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_slow_transfer_that_waits_on_its_peer_is_cut() {
        let workers = Workers::new(2);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        let slot = workers.try_slot().unwrap();
        let activity = Arc::new(Activity::default());
        activity.begin(crate::sys::socket_fd(&server));
        workers.register(&slot, server.try_clone().unwrap(), Arc::clone(&activity));
        // Not waiting on its peer (working, or just started): never cut.
        assert!(!workers.cut_slowest());
        drop((client, server, slot));
    }

    #[test]
    fn the_transfer_whose_peer_took_little_lately_is_cut_and_a_fast_one_is_not() {
        use std::io::Read;
        let workers = Workers::new(2);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        let mut open = || {
            let client = TcpStream::connect(addr).unwrap();
            let (server, _) = listener.accept().unwrap();
            let slot = workers.try_slot().unwrap();
            let activity = Arc::new(Activity::default());
            activity.begin(crate::sys::socket_fd(&server));
            // Blocked in a write or a read, as the transport marks it.
            activity.enter_wait();
            workers.register(&slot, server.try_clone().unwrap(), Arc::clone(&activity));
            held.push((server, slot));
            (client, activity)
        };
        let (mut slow_client, slow) = open();
        let (_fast_client, fast) = open();
        // Both have run long enough to be judged; the fast one's peer sent a megabyte meanwhile.
        std::thread::sleep(SLOW_AFTER);
        fast.read.fetch_add(1 << 20, Ordering::Relaxed);
        assert!(workers.cut_slowest());
        assert!(slow.is_cut() && !fast.is_cut());
        // The slow one's socket was shut down: its client sees the end.
        slow_client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(slow_client.read(&mut [0u8; 1]).unwrap(), 0);
        // The fast one is not cut, even when room is asked for again.
        assert!(!workers.cut_slowest());
        assert!(!fast.is_cut());
    }

    #[test]
    fn slots_are_bounded_and_given_back_even_by_a_panicking_job() {
        let workers = Workers::new(2);
        let a = workers.try_slot().unwrap();
        let b = workers.try_slot().unwrap();
        assert!(workers.try_slot().is_none());
        drop(a);
        assert_eq!(workers.taken(), 1);
        let (tx, rx) = std::sync::mpsc::channel();
        let job: Job = Box::new(move |_| {
            let _held = b;
            let _ = tx.send(());
            panic!("a handler bug");
        });
        // The panic message is expected in the test output.
        workers.submit(job).map_err(|_| ()).unwrap();
        rx.recv().unwrap();
        for _ in 0..200 {
            if workers.taken() == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(workers.taken(), 0, "the panicking job gave its slot back");
        // The thread survived the panic and serves the next job.
        let (tx, rx) = std::sync::mpsc::channel();
        workers
            .submit(Box::new(move |_| tx.send(7).unwrap()))
            .map_err(|_| ())
            .unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 7);
    }
}
