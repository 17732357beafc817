//! A URL as a QR code on a terminal (`nf share --qr`): qrcodegen makes the code (error
//! correction level M, with a quiet zone of 2 modules), and each two rows of modules become
//! one line of Unicode half blocks (`▀`, `▄`, `█`, space), the glyphs drawing the dark
//! modules. With colour allowed the lines are black on white, so the code reads on dark and
//! light themes alike; without (`NO_COLOR`, not a terminal) they are plain text, dark modules
//! in the text's colour (phones read the inverted code a dark theme shows too). No I/O here.

use qrcodegen::{QrCode, QrCodeEcc};

use crate::error::{Error, ErrorKind, Result};

/// Modules of light border around the code.
const QUIET: i32 = 2;

/// The lines that draw `text` as a QR code, each ending in `\n` (`color`: black on white).
pub fn terminal(text: &str, color: bool) -> Result<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| Error::new(ErrorKind::TooLarge, "the URL is too long for a QR code"))?;
    Ok(draw(|x, y| code.get_module(x, y), code.size(), color))
}

/// Draws a `size`×`size` grid whose dark modules `dark` tells (outside it: light).
fn draw(dark: impl Fn(i32, i32) -> bool, size: i32, color: bool) -> String {
    let at = |x: i32, y: i32| (0..size).contains(&x) && (0..size).contains(&y) && dark(x, y);
    let mut out = String::new();
    for y in (-QUIET..size + QUIET).step_by(2) {
        if color {
            out.push_str("\x1b[30;47m");
        }
        for x in -QUIET..size + QUIET {
            out.push(match (at(x, y), at(x, y + 1)) {
                (false, false) => ' ',
                (true, false) => '▀',
                (false, true) => '▄',
                (true, true) => '█',
            });
        }
        if color {
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line holds two rows of modules: a checked 2×2 grid with its border is 3 lines of
    /// 6 cells, the grid's halves where they belong.
    #[test]
    fn two_rows_of_modules_make_one_line_of_half_blocks() {
        let grid = draw(|x, y| (x + y) % 2 == 0, 2, false);
        assert_eq!(grid, "      \n  ▀▄  \n      \n");
        let code = terminal("http://127.0.0.1:8889/s/q7mxk2c4vbf5gh7jka3nwe6rtu", false).unwrap();
        let lines: Vec<&str> = code.lines().collect();
        // Version 4 (33 modules: 46 bytes at level M) with 2 on each side: 37 cells, 19 lines.
        assert_eq!(lines.len(), 19);
        assert!(lines.iter().all(|l| l.chars().count() == 37));
        // The finder pattern's top edge: 7 dark modules from the quiet zone on.
        assert!(
            lines[1].chars().skip(2).take(7).all(|c| c == '█' || c == '▀'),
            "{}",
            lines[1]
        );
    }
}
