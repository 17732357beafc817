//! Conditional requests and ranges (RFC 9110 §13 and §14), decided from the request head and
//! the file's validators: its strong `ETag` (the BLAKE3 of its content) and its
//! `Last-Modified` time. Pure.

use super::date;
use super::head::Head;

/// What a file is known by, for conditions. `None` in [`evaluate`]: no file has the name.
#[derive(Debug, Clone, Copy)]
pub struct Validators<'a> {
    /// The entity-tag, quotes included: `"…"`.
    pub etag: &'a str,
    /// Seconds since the epoch, when known.
    pub modified: Option<i64>,
}

/// The outcome of the preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    /// 304, for GET and HEAD.
    NotModified,
    /// 412.
    Failed,
}

/// The strong entity-tag of a stored file: its BLAKE3 in hex.
pub fn etag(entry: &crate::store::Entry) -> String {
    match entry.blake3 {
        Some(h) => format!("\"{}\"", h.to_hex()),
        None => "\"\"".to_string(),
    }
}

/// Evaluates the preconditions in the order of RFC 9110 §13.2.2. `read`: the method is GET or
/// HEAD (a failed `If-None-Match` is then 304, not 412).
pub fn evaluate(head: &Head, current: Option<Validators<'_>>, read: bool) -> Verdict {
    let tags = |name| head.elements(name).collect::<Vec<_>>();
    let if_match = tags("if-match");
    if !if_match.is_empty() {
        let ok = current.is_some_and(|c| if_match.iter().any(|t| *t == "*" || strong_eq(t, c.etag)));
        if !ok {
            return Verdict::Failed;
        }
    } else if let (Some(since), Some(c)) = (date_field(head, "if-unmodified-since"), current) {
        if c.modified.is_some_and(|m| m > since) {
            return Verdict::Failed;
        }
    }
    let if_none_match = tags("if-none-match");
    if !if_none_match.is_empty() {
        let matched = current.is_some_and(|c| if_none_match.iter().any(|t| *t == "*" || weak_eq(t, c.etag)));
        if matched {
            return if read {
                Verdict::NotModified
            } else {
                Verdict::Failed
            };
        }
    } else if read {
        if let (Some(since), Some(c)) = (date_field(head, "if-modified-since"), current) {
            if c.modified.is_some_and(|m| m <= since) {
                return Verdict::NotModified;
            }
        }
    }
    Verdict::Proceed
}

/// True when the request's preconditions need the file's validators (`If-Match`,
/// `If-Unmodified-Since`, an `If-None-Match` with entity-tags), not only whether a file is
/// there (`If-None-Match: *`, or no condition).
pub fn needs_validators(head: &Head) -> bool {
    head.elements("if-match").next().is_some()
        || head.field("if-unmodified-since").is_some()
        || head.elements("if-none-match").any(|t| t != "*")
}

/// What part of a file of `size` bytes a GET sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The whole file (200): no `Range`, one nf ignores, several ranges, or a failed `If-Range`.
    Whole,
    /// Bytes `start..=end` (206).
    Part { start: u64, end: u64 },
    /// 416.
    Unsatisfiable,
}

/// The range a GET answers, from `Range` and `If-Range` (RFC 9110 §14.2, §13.1.5).
pub fn range(head: &Head, size: u64, current: Validators<'_>) -> Range {
    let Some(spec) = head.field("range") else {
        return Range::Whole;
    };
    if let Some(if_range) = head.field("if-range") {
        let applies = if if_range.starts_with('"') || if_range.starts_with("W/") {
            strong_eq(if_range, current.etag)
        } else {
            date::parse(if_range).is_some_and(|t| current.modified == Some(t))
        };
        if !applies {
            return Range::Whole;
        }
    }
    let Some((unit, set)) = spec.split_once('=') else {
        return Range::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Range::Whole;
    }
    let mut ranges = set.split(',').map(str::trim).filter(|r| !r.is_empty());
    let (Some(one), None) = (ranges.next(), ranges.next()) else {
        // Several ranges (or none): answering with the whole file is allowed.
        return Range::Whole;
    };
    let Some((first, last)) = one.split_once('-') else {
        return Range::Whole;
    };
    let number = |t: &str| -> Option<u64> {
        let t = t.trim();
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // -N: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                Range::Unsatisfiable
            } else {
                Range::Part {
                    start: size - n.min(size),
                    end: size - 1,
                }
            }
        }
        // A- and A-B.
        (false, Some(start), last_n) => {
            if !last.trim().is_empty() && last_n.is_none() {
                return Range::Whole;
            }
            if last_n.is_some_and(|l| l < start) {
                return Range::Whole;
            }
            if start >= size {
                return Range::Unsatisfiable;
            }
            Range::Part {
                start,
                end: last_n.map_or(size - 1, |l| l.min(size - 1)),
            }
        }
        _ => Range::Whole,
    }
}

fn date_field(head: &Head, name: &str) -> Option<i64> {
    head.field(name).and_then(date::parse)
}

/// Strong comparison: both strong and the same.
fn strong_eq(given: &str, current: &str) -> bool {
    !given.starts_with("W/") && given == current
}

/// Weak comparison: the same opaque tag, weak or not.
fn weak_eq(given: &str, current: &str) -> bool {
    given.trim_start_matches("W/") == current.trim_start_matches("W/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"abc\"";
    const T: i64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    fn head(fields: &str) -> Head {
        super::super::head::parse(
            format!("GET / HTTP/1.1\r\nHost: h\r\n{fields}\r\n").as_bytes(),
            16,
        )
        .unwrap()
    }

    fn current() -> Option<Validators<'static>> {
        Some(Validators {
            etag: TAG,
            modified: Some(T),
        })
    }

    #[test]
    fn preconditions_follow_the_order_of_rfc_9110() {
        let v = |fields: &str, read| evaluate(&head(fields), current(), read);
        assert_eq!(v("", true), Verdict::Proceed);
        assert_eq!(v("If-None-Match: \"abc\"\r\n", true), Verdict::NotModified);
        assert_eq!(v("If-None-Match: W/\"abc\"\r\n", true), Verdict::NotModified);
        assert_eq!(v("If-None-Match: \"x\", \"abc\"\r\n", true), Verdict::NotModified);
        assert_eq!(v("If-None-Match: \"x\"\r\n", true), Verdict::Proceed);
        assert_eq!(v("If-None-Match: *\r\n", false), Verdict::Failed);
        assert_eq!(
            evaluate(&head("If-None-Match: *\r\n"), None, false),
            Verdict::Proceed,
            "nothing there: a create may go on"
        );
        assert_eq!(
            v("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", true),
            Verdict::NotModified
        );
        assert_eq!(
            v("If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", true),
            Verdict::Proceed
        );
        assert_eq!(v("If-Modified-Since: not a date\r\n", true), Verdict::Proceed);
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            v(
                "If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
                true
            ),
            Verdict::Proceed
        );
        assert_eq!(v("If-Match: \"abc\"\r\n", true), Verdict::Proceed);
        assert_eq!(
            v("If-Match: W/\"abc\"\r\n", true),
            Verdict::Failed,
            "If-Match compares strongly"
        );
        assert_eq!(v("If-Match: \"x\"\r\n", true), Verdict::Failed);
        assert_eq!(evaluate(&head("If-Match: *\r\n"), None, false), Verdict::Failed);
        assert_eq!(
            v("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", false),
            Verdict::Failed
        );
        assert_eq!(
            v("If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", false),
            Verdict::Proceed
        );
    }

    #[test]
    fn every_range_form_is_answered_as_rfc_9110_says() {
        let r = |fields: &str, size| range(&head(fields), size, current().unwrap());
        let part = |start, end| Range::Part { start, end };
        assert_eq!(r("", 100), Range::Whole);
        assert_eq!(r("Range: bytes=0-9\r\n", 100), part(0, 9));
        assert_eq!(r("Range: bytes=90-\r\n", 100), part(90, 99));
        assert_eq!(r("Range: bytes=90-1000\r\n", 100), part(90, 99));
        assert_eq!(r("Range: bytes=-10\r\n", 100), part(90, 99));
        assert_eq!(r("Range: bytes=-1000\r\n", 100), part(0, 99));
        assert_eq!(r("Range: bytes=100-\r\n", 100), Range::Unsatisfiable);
        assert_eq!(r("Range: bytes=-0\r\n", 100), Range::Unsatisfiable);
        assert_eq!(r("Range: bytes=0-\r\n", 0), Range::Unsatisfiable);
        assert_eq!(r("Range: bytes=0-1,5-6\r\n", 100), Range::Whole);
        assert_eq!(r("Range: bytes=9-0\r\n", 100), Range::Whole);
        assert_eq!(r("Range: bytes=a-b\r\n", 100), Range::Whole);
        assert_eq!(r("Range: items=0-1\r\n", 100), Range::Whole);
        assert_eq!(r("Range: bytes=0-9\r\nIf-Range: \"abc\"\r\n", 100), part(0, 9));
        assert_eq!(r("Range: bytes=0-9\r\nIf-Range: \"old\"\r\n", 100), Range::Whole);
        assert_eq!(
            r("Range: bytes=0-9\r\nIf-Range: W/\"abc\"\r\n", 100),
            Range::Whole
        );
        assert_eq!(
            r(
                "Range: bytes=0-9\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
                100
            ),
            part(0, 9)
        );
        assert_eq!(
            r(
                "Range: bytes=0-9\r\nIf-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n",
                100
            ),
            Range::Whole
        );
    }
}
