//! Walking a local directory tree for `nf put -r` and `nf sync`: each directory's entries in
//! byte order of their names, a directory before what it holds, each with the nf name it is
//! stored under (the tree's own name, then the path below it). Symbolic links are skipped with
//! a warning unless they are followed (`-L`; a loop back to a directory above is skipped
//! then); FIFOs, sockets and devices are always skipped, as rsync does. Names that are not
//! valid nf names (not UTF-8, a control character, `.nf`…) are reported and skipped, and so are
//! directories that cannot be read: the caller decides what that means (`sync --delete` then
//! deletes nothing). Partial downloads of nf (`.NAME.nf-part`) are never part of a tree.

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::glob::Glob;
use crate::name::{quote, FileName};

/// One thing the walk met.
#[derive(Debug)]
pub enum Found {
    /// A regular file to send, with its metadata (of the link's target when followed).
    File {
        path: PathBuf,
        name: FileName,
        md: Metadata,
    },
    /// A directory; `empty` when nothing in it is sent (no files, no directories).
    Dir {
        path: PathBuf,
        name: FileName,
        md: Metadata,
        empty: bool,
    },
    /// Left out on purpose (a symlink, a special file), with the warning to show.
    Skipped { path: PathBuf, why: String },
    /// Could not be read or named: an error to report; what it holds is not known.
    Failed { path: PathBuf, error: Error },
}

/// What to leave out and what to follow.
#[derive(Default)]
pub struct Rules {
    /// Follow symbolic links (`-L`).
    pub follow: bool,
    /// `--exclude` patterns: one without `/` is matched against each entry's own name, one
    /// with `/` against its path below the top of the tree.
    pub exclude: Vec<Glob>,
    /// The patterns as written, beside `exclude` (`true`: it holds a `/`).
    pub anchored: Vec<bool>,
}

impl Rules {
    /// Rules with `--exclude` patterns; `None` if one is too long.
    pub fn new(follow: bool, patterns: &[String]) -> Option<Rules> {
        let mut rules = Rules {
            follow,
            ..Rules::default()
        };
        for p in patterns {
            let anchored = p.contains('/');
            rules
                .exclude
                .push(Glob::new(p.trim_start_matches('/').trim_end_matches('/'))?);
            rules.anchored.push(anchored);
        }
        Some(rules)
    }

    /// True when the entry at `rel` (its path below the top of the tree) is excluded.
    pub fn excluded(&self, rel: &str) -> bool {
        let leaf = rel.rsplit_once('/').map_or(rel, |(_, l)| l);
        self.exclude
            .iter()
            .zip(&self.anchored)
            .any(|(g, &anchored)| g.matches(if anchored { rel } else { leaf }))
    }
}

/// True for a partial download of nf (`.NAME.nf-part`, `.nf-part-HASH`), never part of a tree.
pub fn is_partial_download(leaf: &str) -> bool {
    leaf.starts_with('.') && (leaf.ends_with(".nf-part") || leaf.starts_with(".nf-part-"))
}

/// Walks the directory `root` (metadata `md`, already looked at), whose entries are named
/// below `base` (`None`: at the top of the server's tree). `root` itself is visited first
/// when `base` is given.
pub fn walk(root: &Path, md: Metadata, base: Option<&FileName>, rules: &Rules, visit: &mut dyn FnMut(Found)) {
    let mut above = Vec::new();
    walk_dir(root, md, base, "", rules, &mut above, visit);
}

/// The children of `dir` that are sent: (path, leaf, metadata) sorted by name, and what was
/// skipped or failed among them.
fn children(
    dir: &Path,
    rel: &str,
    rules: &Rules,
    visit: &mut dyn FnMut(Found),
) -> Option<Vec<(PathBuf, String, Metadata)>> {
    let listing = match fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            visit(Found::Failed {
                path: dir.to_path_buf(),
                error: Error::io(format!("cannot read the directory {}", dir.display()), &e),
            });
            return None;
        }
    };
    let mut out = Vec::new();
    for entry in listing {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                visit(Found::Failed {
                    path: dir.to_path_buf(),
                    error: Error::io(format!("cannot read the directory {}", dir.display()), &e),
                });
                continue;
            }
        };
        let path = entry.path();
        let Some(leaf) = entry.file_name().to_str().map(str::to_string) else {
            let error = FileName::from_user_bytes(&crate::sys::os_bytes(entry.file_name().as_os_str()))
                .err()
                .map(|e| e.context(format!("cannot send {}", path.display())))
                .unwrap_or_else(|| Error::new(crate::ErrorKind::BadName, "not UTF-8"));
            visit(Found::Failed { path, error });
            continue;
        };
        let child_rel = if rel.is_empty() {
            leaf.clone()
        } else {
            format!("{rel}/{leaf}")
        };
        if is_partial_download(&leaf) || rules.excluded(&child_rel) {
            continue;
        }
        let md = match entry.metadata() {
            Ok(md) => md,
            Err(e) => {
                visit(Found::Failed {
                    error: Error::io(format!("cannot read {}", path.display()), &e),
                    path,
                });
                continue;
            }
        };
        let md = if md.file_type().is_symlink() {
            if !rules.follow {
                visit(Found::Skipped {
                    why: format!("skipping the symbolic link {} (-L follows links)", path.display()),
                    path,
                });
                continue;
            }
            match fs::metadata(&path) {
                Ok(target) => target,
                Err(e) => {
                    visit(Found::Failed {
                        error: Error::io(format!("cannot follow the symbolic link {}", path.display()), &e),
                        path,
                    });
                    continue;
                }
            }
        } else {
            md
        };
        if !md.is_file() && !md.is_dir() {
            visit(Found::Skipped {
                why: format!("skipping {}: not a regular file or directory", path.display()),
                path,
            });
            continue;
        }
        out.push((path, leaf, md));
    }
    out.sort_by(|a, b| a.1.as_bytes().cmp(b.1.as_bytes()));
    Some(out)
}

fn walk_dir(
    dir: &Path,
    md: Metadata,
    name: Option<&FileName>,
    rel: &str,
    rules: &Rules,
    above: &mut Vec<Option<(u64, u64)>>,
    visit: &mut dyn FnMut(Found),
) {
    let Some(entries) = children(dir, rel, rules, visit) else {
        return;
    };
    if let Some(name) = name {
        visit(Found::Dir {
            path: dir.to_path_buf(),
            name: name.clone(),
            md: md.clone(),
            empty: entries.is_empty(),
        });
    }
    above.push(crate::sys::file_id(dir, &md));
    for (path, leaf, md) in entries {
        let child = match FileName::child(name, &crate::name::nfc(&leaf)) {
            Ok(c) => c,
            Err(e) => {
                visit(Found::Failed {
                    error: e.context(format!("cannot send {}", path.display())),
                    path,
                });
                continue;
            }
        };
        let child_rel = if rel.is_empty() {
            leaf.clone()
        } else {
            format!("{rel}/{leaf}")
        };
        if md.is_dir() {
            let id = crate::sys::file_id(&path, &md);
            if id.is_some() && above.contains(&id) {
                visit(Found::Skipped {
                    why: format!("skipping {}: a link back to a directory above it", path.display()),
                    path,
                });
                continue;
            }
            walk_dir(&path, md, Some(&child), &child_rel, rules, above, visit);
        } else {
            visit(Found::File {
                path,
                name: child,
                md,
            });
        }
    }
    above.pop();
}

/// The name a tree at `path` is stored under by default: the last component of `path`
/// (of its absolute form for `.` and the like), in NFC. A trailing `/` changes nothing.
pub fn tree_name(path: &Path) -> Result<FileName> {
    let base = match path.file_name() {
        Some(b) => b.to_os_string(),
        None => path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|f| f.to_os_string()))
            .ok_or_else(|| {
                Error::new(
                    crate::ErrorKind::Usage,
                    format!(
                        "{} has no name to store it under: give one with --as",
                        quote(&path.display().to_string())
                    ),
                )
            })?,
    };
    FileName::from_user_bytes(&crate::sys::os_bytes(base.as_os_str()))
        .map_err(|e| e.context(format!("cannot upload {}", path.display())))
}
