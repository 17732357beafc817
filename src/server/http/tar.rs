//! The tar format (POSIX.1-2001 pax, which every tar since the 1990s reads), written by hand:
//! a 512-byte ustar header per file, a pax extended header before it when the name is over
//! 100 bytes or not ASCII or the size or time do not fit ustar's octal fields, the content,
//! zeros to the next 512 bytes, and two zero blocks at the end. Pure: this module makes the
//! bytes around the content; the caller streams the content itself, so an archive of any
//! size costs the server a header's worth of memory.
//!
//! Why not the `tar` crate: it would add a dependency (with `xattr` by default) to produce
//! ~100 lines' worth of headers, and its builder copies content through its own `io::copy`,
//! where nf sends each file with the download path ([`crate::server::body::send`]).

const BLOCK: usize = 512;

/// The largest number ustar's 12-byte octal fields hold (11 digits).
const OCTAL_MAX: u64 = 0o777_7777_7777;

/// The two zero blocks that end an archive.
pub const END: [u8; 2 * BLOCK] = [0; 2 * BLOCK];

/// The header(s) of a regular file `path` (relative, `/`-separated) of `size` bytes, last
/// modified at `mtime` (seconds since the epoch), with permission bits `mode`.
pub fn file_header(path: &str, size: u64, mtime: i64, mode: u32) -> Vec<u8> {
    header(path, size, mtime, mode, b'0')
}

/// The header(s) of a directory `path` (relative, without the trailing `/`, which this adds).
pub fn dir_header(path: &str, mtime: i64, mode: u32) -> Vec<u8> {
    header(&format!("{path}/"), 0, mtime, mode, b'5')
}

fn header(path: &str, size: u64, mtime: i64, mode: u32, kind: u8) -> Vec<u8> {
    let mut pax = Vec::new();
    if path.len() > 100 || !path.is_ascii() {
        pax_record(&mut pax, "path", path);
    }
    if size > OCTAL_MAX {
        pax_record(&mut pax, "size", &size.to_string());
    }
    if mtime < 0 || mtime as u64 > OCTAL_MAX {
        pax_record(&mut pax, "mtime", &mtime.to_string());
    }
    let mut out = Vec::with_capacity(BLOCK * 2);
    if !pax.is_empty() {
        let mut ext = ustar(
            &ascii_stand_in("PaxHeader", path),
            pax.len() as u64,
            0,
            0o644,
            b'x',
        );
        ext.extend_from_slice(&pax);
        ext.resize(ext.len() + padding(pax.len() as u64), 0);
        out.extend_from_slice(&ext);
    }
    let clamped_time = mtime.clamp(0, OCTAL_MAX as i64) as u64;
    out.extend_from_slice(&ustar(
        &ascii_stand_in("", path),
        size.min(OCTAL_MAX),
        clamped_time,
        mode & 0o7777,
        kind,
    ));
    out
}

/// True when the entry `below` (relative to the archived folder) is in an archive of the
/// folder's entries `picked` (all of them when none is picked): one of them, or below one.
pub fn picked(picked: &[&str], below: &crate::name::FileName) -> bool {
    picked.is_empty() || below.components().next().is_some_and(|top| picked.contains(&top))
}

/// Zeros after `size` bytes of content, up to the next block.
pub fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// The name a ustar header holds: `path` itself when it fits (ASCII, at most 100 bytes), else
/// an ASCII stand-in (the pax `path` record carries the real one). `prefix` marks the pax
/// header's own entry.
fn ascii_stand_in(prefix: &str, path: &str) -> String {
    let mut name: String = path
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !prefix.is_empty() {
        name = format!("{prefix}/{name}");
    }
    if name.len() > 100 {
        name.truncate(100);
    }
    name
}

/// One pax record: `LEN key=value\n`, where LEN counts the whole record, its own digits too.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &str) {
    let body = key.len() + value.len() + 3; // space, '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(format!("{len} {key}={value}\n").as_bytes());
}

/// A ustar header block.
fn ustar(name: &str, size: u64, mtime: u64, mode: u32, kind: u8) -> Vec<u8> {
    let mut h = vec![0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], u64::from(mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    // The checksum counts its own field as eight spaces.
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let digits = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(digits.as_bytes());
    h
}

/// `value` in octal, zero-padded, NUL-terminated, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let text = format!("{value:0width$o}");
    field[..width].copy_from_slice(text.as_bytes());
    field[width] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], range: std::ops::Range<usize>) -> String {
        String::from_utf8_lossy(&h[range])
            .trim_end_matches('\0')
            .to_string()
    }

    #[test]
    fn a_short_ascii_name_is_one_ustar_header_with_a_valid_checksum() {
        let h = file_header("notes.txt", 1234, 1_700_000_000, 0o100755);
        assert_eq!(h.len(), BLOCK);
        assert_eq!(field(&h, 0..100), "notes.txt");
        assert_eq!(field(&h, 100..108), "0000755");
        assert_eq!(field(&h, 124..136), format!("{:011o}", 1234));
        assert_eq!(field(&h, 136..148), format!("{:011o}", 1_700_000_000));
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        let mut copy = h.clone();
        copy[148..156].copy_from_slice(b"        ");
        let sum: u64 = copy.iter().map(|&b| u64::from(b)).sum();
        assert_eq!(field(&h, 148..154), format!("{sum:06o}"));
    }

    #[test]
    fn long_unicode_names_and_huge_sizes_go_in_a_pax_header() {
        let name = format!("{}é.bin", "x".repeat(150));
        let h = file_header(&name, 10 << 30, 1, 0o644);
        assert_eq!(h[156], b'x', "a pax header first");
        let pax_len: usize = usize::from_str_radix(field(&h, 124..136).trim_start_matches('0'), 8).unwrap();
        let records = String::from_utf8(h[BLOCK..BLOCK + pax_len].to_vec()).unwrap();
        assert!(records.contains(&format!(" path={name}\n")), "{records}");
        assert!(records.contains(&format!(" size={}\n", 10u64 << 30)), "{records}");
        for record in records.lines() {
            let (len, _) = record.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), record.len() + 1, "{record}");
        }
        let main = &h[h.len() - BLOCK..];
        assert_eq!(main[156], b'0');
        assert!(field(main, 0..100).is_ascii());
        assert_eq!(h.len() % BLOCK, 0);
    }

    #[test]
    fn a_directory_is_a_type_5_entry_whose_name_ends_in_a_slash() {
        let h = dir_header("photos/2020", 1_700_000_000, 0o755);
        assert_eq!(field(&h, 0..100), "photos/2020/");
        assert_eq!(field(&h, 100..108), "0000755");
        assert_eq!(field(&h, 124..136), format!("{:011o}", 0));
        assert_eq!(h[156], b'5');
    }

    #[test]
    fn padding_fills_to_the_next_block() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
        assert_eq!(padding(513), 511);
    }
}
