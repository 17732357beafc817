//! `nf receipts [PATH]`: the uploads the server recorded (its receipt store) that the caller may
//! see, in order of commit time, printed as they arrive: a table of time (UTC), who, size,
//! BLAKE3 prefix and path, or with `--json` one signed receipt per line, each what
//! `nf receipt verify` reads. `--since` takes RFC 3339, a day, or an age.

use std::io::Write;
use std::time::{Duration, SystemTime};

use crate::cli::ReceiptsArgs;
use crate::commands::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::name::{shown, FileName};
use crate::output;
use crate::receipt::Receipt;

/// The width of the size column: `1023.9 KiB`.
const SIZE_WIDTH: usize = 10;

/// How many hex digits of the BLAKE3 the table shows.
const HASH_PREFIX: usize = 16;

pub fn run(ctx: &Context, args: ReceiptsArgs) -> Result<()> {
    let path = match args.path.as_deref().map(|p| p.trim_matches('/')) {
        None | Some("") => None,
        Some(p) => Some(FileName::from_user(p)?),
    };
    let since = args
        .since
        .as_deref()
        .map(|t| since(t, SystemTime::now()).map(crate::human::rfc3339_exact))
        .transpose()?;
    let mut client = ctx.connect()?;
    let mut out = output::stdout();
    client.receipts(path.as_ref(), since, args.who, &mut |receipt| {
        let line = if args.json {
            let mut line = serde_json::to_string(&receipt).expect("receipts serialize");
            line.push('\n');
            line
        } else {
            row(&receipt)
        };
        out.write_all(line.as_bytes())
            .map_err(|e| output::stdout_error(&e))
    })?;
    out.flush().map_err(|e| output::stdout_error(&e))
}

/// One line of the table: `2026-12-08 01:23:45  alice  12.1 KiB  0123456789abcdef  path`.
fn row(r: &Receipt) -> String {
    let time = r
        .committed
        .get(..19)
        .unwrap_or(&r.committed)
        .replacen('T', " ", 1);
    format!(
        "{time}  {}  {:>SIZE_WIDTH$}  {}  {}\n",
        shown(&r.principal),
        crate::human::size(r.size),
        r.blake3.get(..HASH_PREFIX).unwrap_or(&r.blake3),
        shown(&r.path)
    )
}

/// The moment `--since` names, seen at `now`: RFC 3339 with a zone, a day (`2026-12-20`,
/// midnight UTC), or an age (`30s`, `30m`, `12h`, `7d`).
fn since(text: &str, now: SystemTime) -> Result<SystemTime> {
    let text = text.trim();
    let day = || crate::human::parse_rfc3339(&format!("{text}T00:00:00Z"));
    let age = || {
        let unit = match text.chars().last()? {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: u64 = text[..text.len() - 1].parse().ok()?;
        now.checked_sub(Duration::from_secs(n.checked_mul(unit)?))
    };
    crate::service::access::parse_deadline(text)
        .or_else(day)
        .or_else(age)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                format!(
                    "--since {text:?} is not a time: give RFC 3339 (2026-12-20T23:59:00Z), a day \
                     (2026-12-20) or an age (30m, 12h, 7d)"
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::human::rfc3339_exact;

    #[test]
    fn since_takes_a_moment_a_day_or_an_age() {
        let now = crate::human::parse_rfc3339("2026-12-08T12:00:00Z").unwrap();
        let at = |t: &str| rfc3339_exact(since(t, now).unwrap());
        assert_eq!(at("2026-12-01T10:00:00Z"), "2026-12-01T10:00:00Z");
        assert_eq!(at("2026-12-01T10:00:00+01:00"), "2026-12-01T09:00:00Z");
        assert_eq!(at("2026-12-01"), "2026-12-01T00:00:00Z");
        assert_eq!(at("7d"), "2026-12-01T12:00:00Z");
        assert_eq!(at("90m"), "2026-12-08T10:30:00Z");
        for bad in ["", "yesterday", "7w", "d", "2026-13-01", "-3h"] {
            assert_eq!(since(bad, now).unwrap_err().kind, ErrorKind::Usage, "{bad:?}");
        }
    }
}
