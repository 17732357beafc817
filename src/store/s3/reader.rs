//! A download from the object store as a blocking [`Read`]: a task on the store's runtime pulls
//! the response body and hands its pieces over a bounded channel, so at most [`AHEAD`] pieces
//! wait in memory however slowly the client reads. Dropping the reader stops the task and
//! closes the request.

use std::io::{self, Read};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

/// Pieces of the body read ahead of the client (each is what one socket read returned).
const AHEAD: usize = 32;

pub struct Reader {
    pieces: Option<mpsc::Receiver<object_store::Result<Bytes>>>,
    current: Bytes,
}

impl Reader {
    /// Starts pulling `stream` on `rt`.
    pub(super) fn start(
        rt: &tokio::runtime::Handle,
        mut stream: BoxStream<'static, object_store::Result<Bytes>>,
    ) -> Reader {
        let (tx, rx) = mpsc::channel(AHEAD);
        rt.spawn(async move {
            while let Some(piece) = stream.next().await {
                let failed = piece.is_err();
                if tx.send(piece).await.is_err() || failed {
                    break;
                }
            }
        });
        Reader {
            pieces: Some(rx),
            current: Bytes::new(),
        }
    }

    /// Content of no bytes (a read that starts at the end).
    pub(super) fn empty() -> Reader {
        Reader {
            pieces: None,
            current: Bytes::new(),
        }
    }
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            let Some(pieces) = self.pieces.as_mut() else {
                return Ok(0);
            };
            match pieces.blocking_recv() {
                Some(Ok(piece)) => self.current = piece,
                Some(Err(e)) => {
                    self.pieces = None;
                    return Err(io::Error::other(format!(
                        "the object store failed mid-download: {}",
                        super::summary(&e)
                    )));
                }
                None => {
                    self.pieces = None;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}
