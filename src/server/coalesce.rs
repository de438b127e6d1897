//! Output coalescing for HTTP/2 connections: the responses that finish in the same round of
//! the scheduler leave in one write.
//!
//! hyper's HTTP/2 server answers each stream in its own task. Every finished stream wakes
//! the connection's task, which encodes the response and flushes it at once: one TLS record
//! and one `writev` per response, and every write wakes the client (the API server). With
//! several reviews in flight on a connection, as the API server's connection pool has, most
//! of those writes carry one small response each.
//!
//! [`Coalesce`] sits between hyper and the TLS stream. It keeps what the connection writes,
//! and on the first flush after new output it yields once: it wakes its own task and returns
//! `Pending`, which tokio treats as a yield, running the tasks already ready (the other
//! streams finishing their reviews) before the connection again. Their responses join the
//! buffer, and the next flush writes them all. The delay is one round of the scheduler,
//! also for a lone review (measured below); what is kept is bounded by [`MAX_PENDING`],
//! beyond which writes go through at once. HTTP/1.1 connections carry one request at a time
//! and are not wrapped.
//!
//! Measured with `scripts/load.sh` (HTTP/2, 16 connections × 8 streams; the old build against
//! the new with `DSGUARD_BIN`): `writev` calls per review 1.0 → 0.13 (`/validate`) and
//! 1.0 → 0.49 (`/mutate`), server CPU per review 21 → 16–17 µs (`/validate`) and
//! 19.4–19.9 → 16–17 µs (`/mutate`), mean latency 2.6 → 2.0–2.1 ms; at 2,000 reviews/s one at
//! a time (`steady`), CPU within the noise, p50 latency some 10–30 µs higher. Yielding
//! only while other requests of the same connection were in progress (counted from hyper's
//! accept) was tried: it batched `/mutate` less (0.87 writes per review, 1.5 µs more CPU
//! each) and its lone-review latency was no better in the same runs, so every first flush
//! yields.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes kept before they are written through: a few dozen responses, and one TLS record's
/// worth of plaintext.
pub(crate) const MAX_PENDING: usize = 16 * 1024;

/// A stream whose output is written out once per round of the scheduler (see the module).
#[derive(Debug)]
pub(crate) struct Coalesce<T> {
    inner: T,
    /// Output not yet handed to `inner`.
    pending: Vec<u8>,
    /// How much of `pending` `inner` has taken.
    written: usize,
    /// Whether the current flush has yielded once already.
    yielded: bool,
}

impl<T> Coalesce<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
            yielded: false,
        }
    }
}

impl<T: AsyncWrite + Unpin> Coalesce<T> {
    /// Hands everything kept to `inner`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Keeps `len` more bytes, written by `put`; when they would not fit, writes out what is
    /// kept first, and then the bytes themselves if they alone do not fit.
    fn poll_keep(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        put: impl FnOnce(&mut Vec<u8>),
    ) -> Poll<io::Result<bool>> {
        if self.pending.len() + len > MAX_PENDING {
            ready!(self.poll_drain(cx))?;
            if len > MAX_PENDING {
                return Poll::Ready(Ok(false));
            }
        }
        put(&mut self.pending);
        Poll::Ready(Ok(true))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Coalesce<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Coalesce<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if ready!(this.poll_keep(cx, buf.len(), |p| p.extend_from_slice(buf)))? {
            Poll::Ready(Ok(buf.len()))
        } else {
            Pin::new(&mut this.inner).poll_write(cx, buf)
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let len = bufs.iter().map(|b| b.len()).sum();
        let put = |p: &mut Vec<u8>| {
            for b in bufs {
                p.extend_from_slice(b);
            }
        };
        if ready!(this.poll_keep(cx, len, put))? {
            Poll::Ready(Ok(len))
        } else {
            Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pending.len() > this.written && !this.yielded {
            this.yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        ready!(this.poll_drain(cx))?;
        this.yielded = false;
        if this.pending.capacity() > MAX_PENDING {
            this.pending = Vec::new();
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn output_leaves_on_flush_in_one_piece_and_in_order() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut w = Coalesce::new(client);
        w.write_all(b"one ").await.unwrap();
        let n = w
            .write_vectored(&[IoSlice::new(b"two "), IoSlice::new(b"three ")])
            .await
            .unwrap();
        assert_eq!(n, 10, "both slices kept");
        // Nothing has left before the flush.
        let mut buf = vec![0u8; 64];
        let early = tokio::time::timeout(
            std::time::Duration::from_millis(20),
            tokio::io::AsyncReadExt::read(&mut server, &mut buf),
        )
        .await;
        assert!(early.is_err(), "kept until flushed");
        w.flush().await.unwrap();
        let n = tokio::io::AsyncReadExt::read(&mut server, &mut buf)
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"one two three ");
    }

    #[tokio::test]
    async fn large_writes_go_through_and_nothing_is_lost() {
        let (client, mut server) = tokio::io::duplex(64);
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut server, &mut all)
                .await
                .unwrap();
            all
        });
        let mut w = Coalesce::new(client);
        let mut want = Vec::new();
        for i in 0..200u32 {
            // Small pieces, and some larger than the whole buffer.
            let piece: Vec<u8> = if i % 50 == 0 {
                vec![(i % 251) as u8; MAX_PENDING + 1000]
            } else {
                format!("piece {i};").into_bytes()
            };
            w.write_all(&piece).await.unwrap();
            want.extend_from_slice(&piece);
            if i % 7 == 0 {
                w.flush().await.unwrap();
            }
        }
        w.shutdown().await.unwrap();
        drop(w);
        assert_eq!(reader.await.unwrap(), want);
    }
}
