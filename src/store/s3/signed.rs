//! The requests object_store cannot send (ListParts, ListMultipartUploads, the conditional
//! multipart completion): signed by object_store, sent with reqwest, and retried as
//! object_store retries its own: a broken connection, a 5xx (500 InternalError, 503 SlowDown),
//! 429 or 408 is tried again up to [`RETRIES`] times within [`RETRY_WINDOW`], with a backoff
//! that doubles from 100 ms. Each of these requests may be repeated safely: a listing reads, and
//! a repeated completion is decided by what the store holds (see `upload.rs`).

use std::time::{Duration, Instant};

use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use reqwest::header::{HeaderValue, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};

use super::Store;

/// Retries after the first try, and the time within which a retry may start (object_store's
/// settings in `Store::open`).
pub const RETRIES: u32 = 4;
pub const RETRY_WINDOW: Duration = Duration::from_secs(20);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(15);

/// One request to send.
pub struct Request<'a> {
    pub method: Method,
    pub key: &'a Path,
    pub query: Vec<(&'static str, String)>,
    /// Send (and sign) `If-None-Match: *`.
    pub if_absent: bool,
    pub body: Option<String>,
    /// Also retry `409 Conflict` (a conditional completion that met a conflicting write).
    pub retry_conflict: bool,
    /// The request's S3 name, for errors.
    pub what: &'static str,
}

/// The store's answer: its status and body, once retries are over.
pub struct Reply {
    pub status: StatusCode,
    pub text: String,
}

impl Reply {
    /// True for an error answer, including S3's `200 OK` whose body is an error.
    pub fn failed(&self) -> bool {
        !self.status.is_success() || self.text.contains("<Error>")
    }

    /// The S3 error code of the answer (`NoSuchUpload`, …), if any.
    pub fn code(&self) -> Option<String> {
        super::xml_values(&self.text, "Code").into_iter().next()
    }
}

/// True for an answer worth another try.
fn retryable(reply: &Reply, retry_conflict: bool) -> bool {
    let s = reply.status;
    s.is_server_error()
        || s == StatusCode::TOO_MANY_REQUESTS
        || s == StatusCode::REQUEST_TIMEOUT
        || (retry_conflict && s == StatusCode::CONFLICT)
        // S3 may answer a completion 200 and report an internal error in the body.
        || (s.is_success() && reply.text.contains("<Error>") && reply.text.contains("InternalError"))
}

/// The wait before retry number `n` (1-based): doubling from 100 ms, at most 15 s, with a
/// jitter of up to a quarter taken from the clock (so that servers retrying together spread).
fn backoff(n: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << n.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    base + base / 4 * (nanos % 1000) / 1000
}

/// Sends `request` with retries; a transport failure that outlasts them is an error.
pub async fn send(store: &Store, request: &Request<'_>) -> object_store::Result<Reply> {
    let mut options =
        SignedUrlOptions::default().with_query(request.query.iter().map(|(k, v)| (*k, v.as_str())));
    if request.if_absent {
        options = options.with_signed_header(IF_NONE_MATCH, HeaderValue::from_static("*"));
    }
    let url = store
        .inner
        .s3
        .signed_url_opts(
            request.method.clone(),
            request.key,
            Duration::from_secs(900),
            &options,
        )
        .await?;
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let mut http = store.inner.http.request(request.method.clone(), url.clone());
        if request.if_absent {
            http = http.header(IF_NONE_MATCH, "*");
        }
        if let Some(body) = &request.body {
            http = http.body(body.clone());
        }
        let answer = match http.send().await {
            Ok(response) => {
                let status = response.status();
                response.text().await.map(|text| Reply { status, text })
            }
            Err(e) => Err(e),
        };
        let again = tries <= RETRIES && started.elapsed() < RETRY_WINDOW;
        match answer {
            Ok(reply) if again && retryable(&reply, request.retry_conflict) => {}
            Ok(reply) => return Ok(reply),
            Err(_) if again => {}
            Err(e) => {
                return Err(super::upload::generic(format!(
                    "{} failed after {tries} tries: {e}",
                    request.what
                )))
            }
        }
        tokio::time::sleep(backoff(tries)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, text: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            text: text.into(),
        }
    }

    #[test]
    fn server_errors_and_throttling_are_retried_refusals_are_not() {
        let slow = "<Error><Code>SlowDown</Code></Error>";
        assert!(retryable(&reply(503, slow), false));
        assert!(retryable(
            &reply(500, "<Error><Code>InternalError</Code></Error>"),
            false
        ));
        assert!(retryable(
            &reply(200, "<Error><Code>InternalError</Code></Error>"),
            false
        ));
        assert!(!retryable(&reply(412, ""), false));
        assert!(!retryable(
            &reply(404, "<Error><Code>NoSuchUpload</Code></Error>"),
            false
        ));
        assert!(!retryable(&reply(409, ""), false));
        assert!(retryable(&reply(409, ""), true));
        assert!(reply(200, "<Error><Code>InternalError</Code></Error>").failed());
        assert_eq!(reply(503, slow).code().as_deref(), Some("SlowDown"));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert!(backoff(1) >= FIRST_BACKOFF && backoff(1) < FIRST_BACKOFF * 2);
        assert!(backoff(3) >= FIRST_BACKOFF * 4);
        assert!(backoff(30) <= MAX_BACKOFF + MAX_BACKOFF / 4);
    }
}
