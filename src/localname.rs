//! Names the local system can hold. A Linux server stores names Windows cannot: the device
//! names (`CON`, `NUL`, `AUX`, `PRN`, `COM1`–`COM9`, `LPT1`–`LPT9`, with or without an
//! extension), names ending in a dot or a space (Windows drops them silently), the characters
//! `<>:"|?*` and control characters, and names differing only by case in one folder. On
//! Windows a download (`get`, `get -r`, `sync` down) that meets one fails for that item, with a
//! message saying why and what to do, and the rest completes: never a silent rename, never an
//! overwrite. Elsewhere every name passes. The client calls [`check_target`] for each file a
//! download writes and [`check_dir`] for each directory it makes (`get -r`, `sync` down).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::name::quote;

/// Why Windows cannot hold a file or folder named `component`, if it cannot.
pub fn windows_problem(component: &str) -> Option<&'static str> {
    if component.ends_with('.') || component.ends_with(' ') {
        return Some("Windows drops a trailing dot or space from a name");
    }
    if component.chars().any(|c| "<>:\"|?*\\".contains(c) || c < ' ') {
        return Some("Windows does not allow the characters <>:\"|?*\\ or control characters in names");
    }
    let stem = component
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && matches!(stem.as_bytes()[3], b'1'..=b'9'));
    device.then_some("it is a device name on Windows")
}

/// The targets of one download so far, by their name folded to lower case: what Windows sees
/// as the same file.
pub type Seen = HashMap<String, PathBuf>;

/// The error for a path with a component Windows cannot hold, if it has one.
fn unholdable(path: &Path, what: &str) -> Option<Error> {
    path.components().find_map(|part| {
        let Component::Normal(part) = part else {
            return None;
        };
        let why = windows_problem(&part.to_string_lossy())?;
        Some(Error::new(
            ErrorKind::BadName,
            format!(
                "{what} {}: {why}; fetch it under another name (nf get NAME -o OTHER) or rename \
                 it on the server",
                quote(&path.display().to_string())
            ),
        ))
    })
}

/// Refuses a directory a download would make when this system cannot hold its name as given
/// (on Windows, `windows` true: `a.` would silently become `a`). Elsewhere, always `Ok`.
pub fn check_dir(path: &Path, windows: bool) -> Result<()> {
    match unholdable(path, "not made the directory").filter(|_| windows) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Refuses `target` when this system cannot hold it as given (on Windows, `windows` true): a
/// component Windows cannot hold, a name that only the case tells from an earlier target of
/// the same download (`seen`), or from a file already in the target's folder (which writing
/// it would replace, `-f` or not). Elsewhere, always `Ok`.
pub fn check_target(target: &Path, seen: &mut Seen, windows: bool) -> Result<()> {
    if !windows {
        return Ok(());
    }
    if let Some(e) = unholdable(target, "not saved as") {
        return Err(e);
    }
    let by_case = |first: &Path| {
        Error::new(
            ErrorKind::Exists,
            format!(
                "not saved as {}: it differs from {} only by case, which Windows does not tell \
                 apart; fetch it under another name (nf get NAME -o OTHER)",
                quote(&target.display().to_string()),
                quote(&first.display().to_string())
            ),
        )
    };
    let folded = target.to_string_lossy().replace('\\', "/").to_lowercase();
    if let Some(first) = seen.get(&folded) {
        return if first == target {
            Ok(())
        } else {
            Err(by_case(first))
        };
    }
    if let Some(other) = other_case_on_disk(target) {
        return Err(by_case(&other));
    }
    seen.insert(folded, target.to_path_buf());
    Ok(())
}

/// The file already in `target`'s folder that is `target` but for case, when the folder holds
/// no entry of exactly that name (on a system that tells names apart by case, never).
fn other_case_on_disk(target: &Path) -> Option<PathBuf> {
    // Only a folder that does not tell case apart finds `target` under another spelling.
    std::fs::symlink_metadata(target).ok()?;
    let leaf = target.file_name()?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let wanted = leaf.to_string_lossy().to_lowercase();
    let mut other = None;
    // Bounded by the folder's size; stops at the exact name.
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name();
        if name == leaf {
            return None;
        }
        if other.is_none() && name.to_string_lossy().to_lowercase() == wanted {
            other = Some(target.with_file_name(name));
        }
    }
    other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_windows_cannot_hold_are_told_apart_from_those_it_can() {
        for bad in [
            "CON",
            "con",
            "Nul.txt",
            "aux.tar.gz",
            "COM1",
            "lpt9.log",
            "trailing.",
            "space ",
            "a:b",
            "q?",
            "x*y",
            "p|q",
            "<a>",
            "\"q\"",
            "tab\t",
        ] {
            assert!(windows_problem(bad).is_some(), "{bad}");
        }
        for good in [
            "CONSOLE", "com10", "COM0", "a.b", ".hidden", "ümlaut", "LPT", "nul_", "a b",
        ] {
            assert_eq!(windows_problem(good), None, "{good}");
        }
    }

    #[test]
    fn a_download_refuses_on_windows_what_windows_cannot_hold_and_a_second_name_by_case() {
        let mut seen = Seen::new();
        let kind = |r: Result<()>| r.map_err(|e| e.kind);
        assert_eq!(
            kind(check_target(Path::new("d/CON"), &mut seen, true)),
            Err(ErrorKind::BadName)
        );
        assert_eq!(
            kind(check_target(Path::new("trailing./f"), &mut seen, true)),
            Err(ErrorKind::BadName)
        );
        assert_eq!(kind(check_target(Path::new("d/A.txt"), &mut seen, true)), Ok(()));
        assert_eq!(kind(check_target(Path::new("d/A.txt"), &mut seen, true)), Ok(()));
        assert_eq!(
            kind(check_target(Path::new("D/a.TXT"), &mut seen, true)),
            Err(ErrorKind::Exists)
        );
        assert_eq!(
            kind(check_dir(Path::new("d/a./b"), true)),
            Err(ErrorKind::BadName)
        );
        assert_eq!(kind(check_dir(Path::new("d/a/b"), true)), Ok(()));
        assert_eq!(kind(check_dir(Path::new("d/a."), false)), Ok(()));
        // Elsewhere every name passes.
        let mut seen = Seen::new();
        for name in ["d/CON", "a:b", "A", "a"] {
            assert_eq!(kind(check_target(Path::new(name), &mut seen, false)), Ok(()));
        }
    }
}
