//! Formatting and parsing for people: byte sizes (shown in binary units, read in decimal or
//! binary ones), RFC 3339 timestamps in UTC, durations. Pure functions, no I/O.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `1536` → `"1.5 KiB"`; below 1 KiB the exact count: `"512 B"`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Parses a size as a person writes it into bytes: `"4096"`, `"10 GB"` (10^10), `"10 GiB"`
/// (10 × 2^30), `"64K"`. Decimal units (`kB`, `MB`, `GB`, `TB`, `PB`) are powers of 1000, binary
/// ones (`KiB`, `MiB`, `GiB`, `TiB`, `PiB`) powers of 1024, and a bare `K`, `M`, `G`, `T` or `P`
/// is binary, as in GNU `truncate -s 10G` or `dd bs=1M` and the sizes `ls -h` and `df -h` print.
/// Units ignore case (`kb` = `kB`; `k` = `K`); `B` alone is bytes. Used for config values; the
/// display side ([`size`]) stays binary.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    if unit.is_empty() || unit == "b" {
        return Some(n);
    }
    let mut chars = unit.chars();
    let power = "kmgtp".find(chars.next()?)? as u32 + 1;
    let base: u64 = match chars.as_str() {
        "" | "ib" => 1024,
        "b" => 1000,
        _ => return None,
    };
    n.checked_mul(base.pow(power))
}

/// `n` bytes written as [`parse_size`] reads them, as short as it can be exactly: `"1 TiB"`,
/// `"64 KiB"`, `"10 GB"`, `"1500"` (a number below 1000, or one no unit divides, stays a
/// number).
pub fn exact_size(n: u64) -> String {
    let mut best: Option<(u64, &str)> = None;
    for (base, units) in [
        (1024u64, ["KiB", "MiB", "GiB", "TiB", "PiB"]),
        (1000, ["kB", "MB", "GB", "TB", "PB"]),
    ] {
        let mut scale = 1u64;
        for unit in units {
            scale *= base;
            if n == 0 || n % scale != 0 {
                break;
            }
            if best.is_none_or(|(m, _)| n / scale < m) {
                best = Some((n / scale, unit));
            }
        }
    }
    match best {
        Some((m, unit)) => format!("{m} {unit}"),
        None => n.to_string(),
    }
}

/// A rate in human units per second.
pub fn rate(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!("{}/s", size((bytes as f64 / secs) as u64))
}

/// A short duration: `"850ms"`, `"2.4s"`, `"3m05s"`.
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{}ms", ms)
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// RFC 3339 in UTC with second precision: `2026-11-24T04:22:44Z`.
pub fn rfc3339(t: SystemTime) -> String {
    // The whole second: no fraction is written.
    rfc3339_exact(from_unix(unix_nanos(t).0, 0))
}

/// RFC 3339 in UTC, exact: `2026-11-24T04:22:44Z`, or with 9 fractional digits when the
/// time has a fraction of a second (`2026-11-24T04:22:44.250000000Z`). What the wire carries.
pub fn rfc3339_exact(t: SystemTime) -> String {
    let mut out = Vec::with_capacity(30);
    write_rfc3339_exact(&mut out, t);
    String::from_utf8(out).expect("digits and ASCII punctuation")
}

/// Appends [`rfc3339_exact`]'s text to `out` without allocating: what a listing of a million
/// entries writes once per entry.
pub fn write_rfc3339_exact(out: &mut Vec<u8>, t: SystemTime) {
    let (secs, nanos) = unix_nanos(t);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // Years outside 0000–9999 are not RFC 3339; they are written as `format!("{y:04}")` would.
    if (0..=9999).contains(&y) {
        digits(out, y as u64, 4);
    } else {
        out.extend_from_slice(format!("{y:04}").as_bytes());
    }
    out.push(b'-');
    digits(out, u64::from(m), 2);
    out.push(b'-');
    digits(out, u64::from(d), 2);
    out.push(b'T');
    digits(out, (rem / 3600) as u64, 2);
    out.push(b':');
    digits(out, ((rem / 60) % 60) as u64, 2);
    out.push(b':');
    digits(out, (rem % 60) as u64, 2);
    if nanos != 0 {
        out.push(b'.');
        digits(out, u64::from(nanos), 9);
    }
    out.push(b'Z');
}

/// Appends `n` in decimal, zero-padded to `width` digits (`n` has at most `width` digits).
fn digits(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Seconds and nanoseconds since the Unix epoch (seconds negative before 1970, nanoseconds
/// always counted forward).
pub fn unix_nanos(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

/// The time `secs` seconds and `nanos` nanoseconds after the epoch (`secs` may be negative).
pub fn from_unix(secs: i64, nanos: u32) -> SystemTime {
    let base = if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    };
    base + Duration::from_nanos(u64::from(nanos.min(999_999_999)))
}

/// Parses RFC 3339 in UTC as [`rfc3339_exact`] writes it (also `+00:00` for `Z`, and 0 to 9
/// fractional digits); years 0000 to 9999.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(r)?;
        (!part.is_empty() && part.bytes().all(|c| c.is_ascii_digit())).then(|| part.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (h, mi, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = frac[..n].parse::<u32>().ok()? * 10u32.pow(9 - n as u32);
        rest = &frac[n..];
    }
    if !matches!(rest, "Z" | "z" | "+00:00") {
        return None;
    }
    let month_days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s.min(59);
    let t = from_unix(secs, nanos);
    // 29 February of a year that has none, and such, do not survive the round trip.
    (unix_nanos(t).0.div_euclid(86_400) == days && civil_from_days(days) == (y, mo as u32, d as u32))
        .then_some(t)
}

/// `2026-11-24 04:22` in UTC, for the `nf ls` table.
pub fn short_time(t: SystemTime) -> String {
    let full = rfc3339(t);
    format!("{} {}", &full[..10], &full[11..16])
}

/// (year, month, day) to days since 1970-01-01, after Howard Hinnant's `days_from_civil`.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_read_back_as_written() {
        for secs in [0i64, 951_782_400, 1_700_000_000, 4_102_444_799, -86_400] {
            let t = if secs >= 0 {
                UNIX_EPOCH + Duration::from_secs(secs as u64)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            assert_eq!(
                parse_rfc3339(&rfc3339(t)).map(|t| unix_nanos(t).0),
                Some(secs),
                "{secs}"
            );
        }
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-01-01 00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00"), None);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(10 * 1024 * 1024), "10 MiB");
        assert_eq!(parse_size("64 KiB"), Some(65536));
        assert_eq!(parse_size("10M"), Some(10 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1 parsec"), None);
    }

    #[test]
    fn sizes_are_read_as_written_decimal_or_binary() {
        assert_eq!(parse_size("10 GB"), Some(10_000_000_000));
        assert_eq!(parse_size("10GB"), Some(10_000_000_000));
        assert_eq!(parse_size("10 GiB"), Some(10 << 30));
        assert_eq!(parse_size("10 G"), Some(10 << 30));
        assert_eq!(parse_size("10g"), Some(10 << 30));
        for (text, bytes) in [
            ("1 kB", 1000),
            ("1 KB", 1000),
            ("1 kb", 1000),
            ("1 KiB", 1024),
            ("1K", 1024),
            ("1k", 1024),
            ("3 MB", 3_000_000),
            ("3 MiB", 3 << 20),
            ("2 TB", 2_000_000_000_000),
            ("2 TiB", 2 << 40),
            ("1 PB", 1_000_000_000_000_000),
            ("7 B", 7),
        ] {
            assert_eq!(parse_size(text), Some(bytes), "{text}");
        }
        for bad in [
            "",
            "GB",
            "10 GiBs",
            "10 Gb/s",
            "1.5 GB",
            "-1",
            "10 XB",
            "99999999 PiB",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn exact_sizes_take_the_shortest_exact_unit() {
        assert_eq!(exact_size(1 << 40), "1 TiB");
        assert_eq!(exact_size(64 << 20), "64 MiB");
        assert_eq!(exact_size(65536), "64 KiB");
        assert_eq!(exact_size(10_000_000_000), "10 GB");
        assert_eq!(exact_size(1000), "1 kB");
        assert_eq!(exact_size(1500), "1500");
        assert_eq!(exact_size(512), "512");
        assert_eq!(exact_size(0), "0");
        for n in [
            1u64 << 40,
            64 << 20,
            65536,
            10_000_000_000,
            1000,
            1500,
            3 << 30,
            12_345_000,
        ] {
            assert_eq!(parse_size(&exact_size(n)), Some(n), "{n}");
        }
    }

    #[test]
    fn exact_timestamps_round_trip_to_the_nanosecond() {
        for (secs, nanos) in [
            (0, 0),
            (1_700_000_000, 123_456_789),
            (-1, 500),
            (-86_401, 0),
            (253_402_300_799, 999_999_999),
        ] {
            let t = from_unix(secs, nanos);
            assert_eq!(unix_nanos(t), (secs, nanos));
            let text = rfc3339_exact(t);
            assert_eq!(parse_rfc3339(&text), Some(t), "{text}");
        }
        assert_eq!(rfc3339_exact(from_unix(1_700_000_000, 0)), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc3339_exact(from_unix(1_700_000_000, 5)),
            "2023-11-14T22:13:20.000000005Z"
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.5+00:00"),
            Some(from_unix(1_700_000_000, 500_000_000))
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(from_unix(-1, 0)));
        for bad in [
            "",
            "2023-11-14 22:13:20Z",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20.1234567890Z",
            "+2023-11-14T22:13:20Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_494_164);
        assert_eq!(rfc3339(t), "2026-11-24T04:22:44Z");
        assert_eq!(short_time(t), "2026-11-24 04:22");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}
