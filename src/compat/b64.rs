//! Base64 as a stream, for the old text dialects: a [`Decoder`] fed text in pieces of any size
//! (whitespace is skipped, everything else must be standard base64), and [`copy_encoded`],
//! which reads a file and writes its base64 (one line, or MIME lines of 76 characters) in
//! large writes. Memory stays bounded by the chunk sizes here, whatever the file's size.
//! This module knows nothing of sockets, names or the store.

use std::fmt;
use std::io::{self, Read, Write};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, DecodeError, DecodeSliceError, Engine};

/// The last quantum of a stream may come without its `=` padding.
const LENIENT_END: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Input bytes per MIME line.
const LINE_BYTES: usize = 57;

/// Characters per MIME line (before its `\n`).
pub const LINE_CHARS: usize = LINE_BYTES / 3 * 4;

/// Input read per step of [`copy_encoded`]: a multiple of 3 and of 57, so that every step
/// but the last ends on a whole quantum and a whole line. 21 KiB in, 29 KiB of text out: a
/// download holds about 50 KiB, so that hundreds of stalled old clients cost little memory
/// (175 KiB steps cost 256 abandoned downloads 106 MiB); the seed dialect's paced writes are
/// 64 KiB at most anyway.
const READ_CHUNK: usize = LINE_BYTES * 3 * 128;

/// [`copy_encoded`] writes in multiples of this many bytes (except the last write), because
/// the seed client stops reading at the first `recv(1024)` that returns less.
pub const WRITE_UNIT: usize = 1024;

/// How the base64 text is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One line, no line breaks (Python's `base64.b64encode`).
    OneLine,
    /// Lines of 76 characters, each ending in `\n`, the last one too (Python's
    /// `base64.encodebytes`).
    Mime,
}

/// Text that is not base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBase64(pub String);

impl fmt::Display for BadBase64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decodes base64 fed in pieces of any size.
#[derive(Default)]
pub struct Decoder {
    /// Up to 3 characters of an incomplete quantum, carried to the next piece.
    carry: Vec<u8>,
    /// Whitespace-free text of the current piece (scratch, reused).
    clean: Vec<u8>,
    /// Base64 characters seen before the current piece, for error messages.
    seen: u64,
    /// A padded quantum was decoded: the data has ended.
    padded: bool,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Decodes the next piece of text, appending the bytes it completes to `out`.
    pub fn feed(&mut self, text: &[u8], out: &mut Vec<u8>) -> Result<(), BadBase64> {
        self.clean.clear();
        self.clean.append(&mut self.carry);
        self.clean
            .extend(text.iter().copied().filter(|b| !b.is_ascii_whitespace()));
        let whole = self.clean.len() / 4 * 4;
        self.carry.extend_from_slice(&self.clean[whole..]);
        self.decode(whole, &STANDARD, out)
    }

    /// Ends the stream: decodes the last quantum (its padding may be missing) into `out`.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), BadBase64> {
        self.clean.clear();
        self.clean.append(&mut self.carry);
        let len = self.clean.len();
        self.decode(len, &LENIENT_END, out)
    }

    /// Decodes `self.clean[..len]`, appending to `out`.
    fn decode(&mut self, len: usize, engine: &GeneralPurpose, out: &mut Vec<u8>) -> Result<(), BadBase64> {
        if len == 0 {
            return Ok(());
        }
        let at = self.seen;
        if self.padded {
            return Err(BadBase64(format!(
                "not base64: more data after the `=` padding at character {at}"
            )));
        }
        let start = out.len();
        out.resize(start + len / 4 * 3 + 3, 0);
        let decoded = engine.decode_slice(&self.clean[..len], &mut out[start..]);
        let n = *decoded.as_ref().unwrap_or(&0);
        out.truncate(start + n);
        decoded.map_err(|e| describe(e, at))?;
        self.padded = self.clean[len - 1] == b'=';
        self.seen += len as u64;
        Ok(())
    }
}

fn describe(e: DecodeSliceError, at: u64) -> BadBase64 {
    let text = match e {
        DecodeSliceError::DecodeError(DecodeError::InvalidByte(i, b'=')) => {
            format!("misplaced `=` padding at character {}", at + i as u64)
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidByte(i, b)) => {
            format!("invalid character {:?} at character {}", b as char, at + i as u64)
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLength(_)) => {
            "the text ends in the middle of a quantum (a lone last character)".to_string()
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidLastSymbol(i, _)) => {
            format!("invalid last character at character {}", at + i as u64)
        }
        DecodeSliceError::DecodeError(DecodeError::InvalidPadding) => "invalid `=` padding".to_string(),
        DecodeSliceError::OutputSliceTooSmall => "internal decoding error".to_string(),
    };
    BadBase64(format!("not base64: {text}"))
}

/// Appends the base64 of `input` to `out` in `layout`. Called on a stream's chunks, each but
/// the last must be a multiple of 57 bytes for [`Layout::Mime`] (of 3 for [`Layout::OneLine`]).
pub fn encode_into(input: &[u8], layout: Layout, out: &mut Vec<u8>) {
    let step = match layout {
        Layout::OneLine => input.len().max(1),
        Layout::Mime => LINE_BYTES,
    };
    for piece in input.chunks(step) {
        let start = out.len();
        out.resize(start + piece.len().div_ceil(3) * 4, 0);
        // The slice is sized exactly for the padded encoding, so this cannot fail.
        let n = STANDARD.encode_slice(piece, &mut out[start..]).unwrap_or(0);
        out.truncate(start + n);
        if layout == Layout::Mime {
            out.push(b'\n');
        }
    }
}

/// Reads `src` to its end and writes its base64 in `layout` to `dst`, in writes that are
/// multiples of [`WRITE_UNIT`] bytes except the last. Returns the number of input bytes.
pub fn copy_encoded(src: &mut impl Read, layout: Layout, dst: &mut impl Write) -> io::Result<u64> {
    let mut input = vec![0u8; READ_CHUNK];
    let mut text = Vec::with_capacity(READ_CHUNK / 3 * 4 + READ_CHUNK / LINE_BYTES + WRITE_UNIT);
    let mut total = 0u64;
    loop {
        let n = read_full(src, &mut input)?;
        total += n as u64;
        encode_into(&input[..n], layout, &mut text);
        if n < input.len() {
            dst.write_all(&text)?;
            return Ok(total);
        }
        let whole = text.len() / WRITE_UNIT * WRITE_UNIT;
        dst.write_all(&text[..whole])?;
        text.drain(..whole);
    }
}

/// How many input bytes the first `text` characters of an encoding in `layout` carry (whole
/// quanta only): what a client that received that much of a download was sent of the file.
pub fn decoded_len(text: u64, layout: Layout) -> u64 {
    let quanta = match layout {
        Layout::OneLine => text / 4,
        Layout::Mime => {
            let line = LINE_CHARS as u64 + 1;
            text / line * (LINE_CHARS as u64 / 4) + (text % line).min(LINE_CHARS as u64) / 4
        }
    };
    quanta * 3
}

/// Fills `buf` from `src`; returns less than its length only at the end of `src`.
fn read_full(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The longest base64 text (MIME lines included) of `bytes` bytes of content.
pub fn encoded_len(bytes: u64) -> u64 {
    let chars = bytes.div_ceil(3).saturating_mul(4);
    chars.saturating_add(bytes.div_ceil(LINE_BYTES as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_a_cut_download_carried_are_counted_from_its_text() {
        for layout in [Layout::OneLine, Layout::Mime] {
            for len in [0, 3, 57, 300, 3 * 1000] {
                let mut text = Vec::new();
                encode_into(&vec![9u8; len], layout, &mut text);
                assert_eq!(
                    decoded_len(text.len() as u64, layout),
                    len as u64,
                    "{layout:?} {len}"
                );
            }
        }
        // A MIME line cut after 10 characters carries 2 whole quanta.
        assert_eq!(decoded_len(77 + 10, Layout::Mime), 57 + 6);
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 13) as u8).collect()
    }

    fn decode_in_pieces(text: &[u8], piece: usize) -> Result<Vec<u8>, BadBase64> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for p in text.chunks(piece.max(1)) {
            d.feed(p, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn mime_encoding_matches_python_encodebytes() {
        let mut out = Vec::new();
        encode_into(b"", Layout::Mime, &mut out);
        assert_eq!(out, b"");
        encode_into(b"hello", Layout::Mime, &mut out);
        assert_eq!(out, b"aGVsbG8=\n");
        let data = sample(100);
        let mut out = Vec::new();
        encode_into(&data, Layout::Mime, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 76);
        assert_eq!(STANDARD.encode(&data), lines.concat());
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn copy_encoded_writes_whole_kilobytes_and_round_trips() {
        struct Writes(Vec<usize>, Vec<u8>);
        impl Write for Writes {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.push(b.len());
                self.1.extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        for (len, layout) in [
            (0, Layout::Mime),
            (1, Layout::OneLine),
            (READ_CHUNK, Layout::Mime),
            (READ_CHUNK * 2 + 5, Layout::Mime),
            (READ_CHUNK * 3 + 1, Layout::OneLine),
        ] {
            let data = sample(len);
            let mut w = Writes(Vec::new(), Vec::new());
            let n = copy_encoded(&mut &data[..], layout, &mut w).unwrap();
            assert_eq!(n, len as u64);
            if let Some((_, rest)) = w.0.split_last() {
                assert!(rest.iter().all(|n| n % WRITE_UNIT == 0), "{:?}", w.0);
            }
            let mut whole = Vec::new();
            encode_into(&data, layout, &mut whole);
            assert_eq!(w.1, whole);
            assert!(w.1.len() as u64 <= encoded_len(len as u64));
            assert_eq!(decode_in_pieces(&w.1, 1000).unwrap(), data);
        }
    }

    #[test]
    fn decoding_in_any_pieces_gives_the_same_bytes() {
        let data = sample(1000);
        let mut text = Vec::new();
        encode_into(&data, Layout::Mime, &mut text);
        for piece in [1, 2, 3, 4, 5, 7, 76, 77, 1024, 5000] {
            assert_eq!(decode_in_pieces(&text, piece).unwrap(), data, "piece {piece}");
        }
        // CR LF line ends and a missing final padding are accepted.
        assert_eq!(decode_in_pieces(b"aGVs\r\nbG8", 3).unwrap(), b"hello");
        assert_eq!(decode_in_pieces(b"", 3).unwrap(), b"");
    }

    #[test]
    fn bad_base64_is_reported_with_its_position() {
        let err = decode_in_pieces(b"aGVs!!!!", 100).unwrap_err();
        assert!(err.0.contains("invalid character '!' at character 4"), "{err}");
        let err = decode_in_pieces(b"aGVsbG8=aGVs", 4).unwrap_err();
        assert!(err.0.contains("after the `=` padding"), "{err}");
        let err = decode_in_pieces(b"aGVsbG8=aGVs", 100).unwrap_err();
        assert!(err.0.contains("padding"), "{err}");
        let err = decode_in_pieces(b"aGVsb", 100).unwrap_err();
        assert!(err.0.contains("lone last character"), "{err}");
        assert!(decode_in_pieces(b"../../etc/passwd", 100).is_err());
    }
}
