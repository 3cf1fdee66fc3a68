//! A WebSocket after its handshake: frames read from and written to the TCP socket directly with
//! actix-http's WebSocket codec, through buffers that exist only while bytes are in flight.
//!
//! An idle connection holds no buffer at all: it waits for readability without one, and both
//! buffers are given back once empty. (Left on the HTTP/1 dispatcher, every socket kept two 8 KiB
//! buffers for its whole life: more than the rest of a connection together.)

use std::io;

use actix_codec::{Decoder, Encoder};
use actix_http::ws::{CloseReason, Codec, Frame, Item, Message, ProtocolError};
use bytes::{Buf, Bytes, BytesMut};
use bytestring::ByteString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How much room a read makes in the read buffer at least.
const READ_CHUNK: usize = 4096;

/// Pushes gathered into one write at most (a socket write per push would cost a system call
/// each; a full group fan-out queues many at once).
pub const WRITE_BATCH_BYTES: usize = 64 * 1024;

/// One whole message from the client.
#[derive(Debug)]
pub enum Incoming {
    /// A text message (continuations joined), valid UTF-8.
    Text(ByteString),
    /// A binary message (not part of the protocol; answered with an error frame).
    Binary,
    /// A ping, to be answered with a pong of the same payload.
    Ping(Bytes),
    /// A pong (any frame keeps the connection alive).
    Pong,
    /// The client closes, maybe saying why.
    Close(Option<CloseReason>),
}

/// Why reading stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// A frame, or a message joined from continuations, is larger than allowed.
    #[error("message too large")]
    TooLarge,
    /// The client broke the WebSocket protocol (bad opcode, unmasked frame, …).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A text message is not valid UTF-8 (RFC 6455 closes that with 1007).
    #[error("text frame is not valid UTF-8")]
    BadUtf8,
}

/// A message arriving in continuation frames.
struct Partial {
    text: bool,
    bytes: BytesMut,
}

/// The server side of one WebSocket.
pub struct Socket {
    io: TcpStream,
    codec: Codec,
    /// Bytes read and not yet decoded; unallocated while empty.
    read: BytesMut,
    /// Frames encoded and not yet written; unallocated while empty.
    write: BytesMut,
    partial: Option<Partial>,
    max_message: usize,
}

impl Socket {
    /// Wraps a socket whose handshake is done; `leftover` holds bytes the client sent after its
    /// handshake request and that were already read.
    pub fn new(io: TcpStream, leftover: BytesMut, max_message: usize) -> Self {
        // Copied, not kept: `leftover` lives in the dispatcher's 8 KiB read buffer, which is
        // freed with it.
        let read = if leftover.is_empty() { BytesMut::new() } else { BytesMut::from(&leftover[..]) };
        Self { io, codec: Codec::new().max_size(max_message), read, write: BytesMut::new(), partial: None, max_message }
    }

    /// The next whole message, or `None` once the client is gone. Cancel-safe: a call dropped
    /// while waiting loses nothing (what was read stays buffered).
    pub async fn recv(&mut self) -> Option<Result<Incoming, RecvError>> {
        loop {
            match self.decode_buffered() {
                Ok(Some(message)) => return Some(Ok(message)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            if self.io.readable().await.is_err() {
                return None;
            }
            if self.read.capacity() - self.read.len() < READ_CHUNK / 4 {
                self.read.reserve(READ_CHUNK);
            }
            match self.io.try_read_buf(&mut self.read) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return None,
            }
        }
    }

    /// Decodes frames already read until one completes a message.
    fn decode_buffered(&mut self) -> Result<Option<Incoming>, RecvError> {
        let outcome = loop {
            match self.codec.decode(&mut self.read) {
                Ok(Some(frame)) => {
                    if let Some(message) = self.assemble(frame)? {
                        break Some(message);
                    }
                }
                Ok(None) => break None,
                Err(ProtocolError::Overflow) => return Err(RecvError::TooLarge),
                Err(e) => return Err(RecvError::Protocol(e.to_string())),
            }
        };
        if self.read.is_empty() {
            // Give the buffer back: an idle connection keeps none.
            self.read = BytesMut::new();
        }
        Ok(outcome)
    }

    /// Turns one frame into a message, joining continuations.
    fn assemble(&mut self, frame: Frame) -> Result<Option<Incoming>, RecvError> {
        Ok(Some(match frame {
            Frame::Text(bytes) => Incoming::Text(utf8(bytes)?),
            Frame::Binary(_) => Incoming::Binary,
            Frame::Ping(bytes) => Incoming::Ping(bytes),
            Frame::Pong(_) => Incoming::Pong,
            Frame::Close(reason) => Incoming::Close(reason),
            Frame::Continuation(Item::FirstText(bytes)) => return self.begin(true, &bytes),
            Frame::Continuation(Item::FirstBinary(bytes)) => return self.begin(false, &bytes),
            Frame::Continuation(Item::Continue(bytes)) => return self.extend(&bytes).map(|()| None),
            Frame::Continuation(Item::Last(bytes)) => {
                self.extend(&bytes)?;
                let Some(Partial { text, bytes }) = self.partial.take() else {
                    return Err(RecvError::Protocol("continuation without a first frame".into()));
                };
                if text { Incoming::Text(utf8(bytes.freeze())?) } else { Incoming::Binary }
            }
        }))
    }

    fn begin(&mut self, text: bool, first: &[u8]) -> Result<Option<Incoming>, RecvError> {
        self.partial = Some(Partial { text, bytes: BytesMut::new() });
        self.extend(first).map(|()| None)
    }

    fn extend(&mut self, more: &[u8]) -> Result<(), RecvError> {
        let Some(partial) = self.partial.as_mut() else {
            return Err(RecvError::Protocol("continuation without a first frame".into()));
        };
        if partial.bytes.len() + more.len() > self.max_message {
            return Err(RecvError::TooLarge);
        }
        partial.bytes.extend_from_slice(more);
        Ok(())
    }

    /// Encodes a frame to be written by the next [`Socket::flush`].
    pub fn queue(&mut self, message: Message) {
        if let Err(e) = self.codec.encode(message, &mut self.write) {
            // The server codec only fails on frames it cannot frame (never ours).
            tracing::error!(error = %e, "could not encode a WebSocket frame");
        }
    }

    /// Encodes a text frame to be written by the next [`Socket::flush`].
    pub fn queue_text(&mut self, text: ByteString) {
        self.queue(Message::Text(text));
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.write.len()
    }

    /// Writes everything queued. Cancel-safe: a call dropped half-way keeps what was not written
    /// yet, so the frame stream stays whole.
    pub async fn flush(&mut self) -> io::Result<()> {
        while self.write.has_remaining() {
            let n = self.io.write(&self.write).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.write.advance(n);
        }
        // Give the buffer back: an idle connection keeps none.
        self.write = BytesMut::new();
        Ok(())
    }

    /// Queues one frame and writes everything queued.
    pub async fn send(&mut self, message: Message) -> io::Result<()> {
        self.queue(message);
        self.flush().await
    }

    /// Sends a close frame, shuts the socket's write side, then reads (and drops) whatever the
    /// client still sends until it closes its side too. Dropping the socket while the client
    /// still writes (a pong, its answering close frame) would make the kernel answer with a
    /// reset, which can destroy the close frame before the client has read it. Callers bound
    /// the wait.
    pub async fn close(&mut self, reason: Option<CloseReason>) -> io::Result<()> {
        self.send(Message::Close(reason)).await?;
        self.io.shutdown().await?;
        let mut sink = [0u8; 512];
        while self.io.read(&mut sink).await? > 0 {}
        Ok(())
    }
}

fn utf8(bytes: Bytes) -> Result<ByteString, RecvError> {
    ByteString::try_from(bytes).map_err(|_| RecvError::BadUtf8)
}
