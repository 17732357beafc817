//! `nf config`: prints the effective configuration with each value's origin. `nf config path`
//! prints the config file nf reads; `nf config init` writes a commented one there, with the
//! text of `config.example.toml` (both come from `config::example_toml`). `path` and `init`
//! do not load the config, so they work even when the file is missing or broken.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::ConfigAction;
use crate::commands::Context;
use crate::config;
use crate::error::{Error, ErrorKind, Result};
use crate::output;

/// `nf config`: the effective configuration as TOML, with origins.
pub fn show(ctx: &Context) -> Result<()> {
    output::print(&config::effective_toml(&ctx.config))
}

/// `nf config path` and `nf config init`; `explicit` is `--config` / `NF_CONFIG`.
pub fn run_action(explicit: Option<&Path>, action: &ConfigAction, quiet: bool) -> Result<()> {
    let path = file_path(explicit)?;
    match action {
        ConfigAction::Path => output::print(&format!("{}\n", path.display())),
        ConfigAction::Init(args) => {
            init(&path, args.force)?;
            if !quiet {
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

/// The config file nf reads: the explicit one, else the platform default (existing or not).
fn file_path(explicit: Option<&Path>) -> Result<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(config::default_path)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "cannot find the config directory (HOME is not set); use --config PATH",
            )
        })
}

/// Writes the commented example config to `path` (mode 0600 when new), creating its directory;
/// an existing file is an error unless `force`.
fn init(path: &Path, force: bool) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), &e))?;
    }
    let mut options = OpenOptions::new();
    // Owner-only: the file may come to hold secrets (such as an access token).
    crate::sys::create_mode(options.write(true), 0o600);
    if force {
        options.create(true).truncate(true);
    } else {
        // create_new: no window between checking for the file and creating it.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::exists(path.display())
        } else {
            Error::io(format!("cannot write {}", path.display()), &e)
        }
    })?;
    file.write_all(config::example_toml().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), &e))
}
