//! Request bodies the test controls chunk by chunk: slow uploads, bodies that never end.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::mpsc;

/// Sends the chunks of a [`channel_body`]; dropping it ends the body.
pub type BodySender = mpsc::Sender<Result<Bytes, std::io::Error>>;

struct Chunks(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// A request body fed through the returned sender (chunked, no Content-Length).
pub fn channel_body() -> (BodySender, reqwest::Body) {
    let (sender, receiver) = mpsc::channel(1);
    (sender, reqwest::Body::wrap_stream(Chunks(receiver)))
}
