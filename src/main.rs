//! The `nf` executable: parse the command line, run it, and map the error to one
//! `nf: error: …` line and an exit code. Everything else lives in the library.

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind as ClapErrorKind;
use clap::Parser;

fn main() -> ExitCode {
    let cli = match nf::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    match nf::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind == nf::ErrorKind::Interrupted => {
            eprintln!("\nnf: {err}");
            // End as the signal would have: the shell sees 130 for Ctrl-C.
            match nf::signals::interrupted() {
                Some(sig) => nf::sys::die_by(sig),
                None => ExitCode::from(err.kind.exit_code()),
            }
        }
        Err(err) => {
            if !err.message.is_empty() {
                eprintln!("nf: error: {err}");
            }
            ExitCode::from(err.kind.exit_code())
        }
    }
}

/// What clap could not parse: help and version go to stdout (exit 0). A missing command (`nf`
/// alone, or with only global flags) gets the short usage; every other mistake gets clap's
/// message as `nf: error: …` on stderr (exit 2).
fn clap_exit(err: &clap::Error) -> ExitCode {
    let code = ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
    if !err.use_stderr() {
        return match nf::output::print(&err.render().to_string()) {
            Ok(()) => code,
            Err(e) => {
                eprintln!("nf: error: {e}");
                ExitCode::from(e.kind.exit_code())
            }
        };
    }
    let text = match err.kind() {
        ClapErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ClapErrorKind::MissingSubcommand => {
            nf::cli::short_usage()
        }
        _ => {
            let mut text = format!("nf: {}", err.render());
            // Under the error line, as clap places its own tips.
            if let (Some(tip), Some(at)) = (config_hint(err), text.find("\n\n")) {
                text.insert_str(at + 1, tip);
            }
            text
        }
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
    code
}

/// `-c` was `--config` before it became `nf sync`'s `--checksum`: a `-c` nothing takes gets a
/// pointer to the long form.
fn config_hint(err: &clap::Error) -> Option<&'static str> {
    use clap::error::{ContextKind, ContextValue};
    let unknown_c = err.kind() == ClapErrorKind::UnknownArgument
        && matches!(err.get(ContextKind::InvalidArg), Some(ContextValue::String(a)) if a == "-c");
    unknown_c.then_some(
        "\n  tip: the config file is given with --config PATH (or NF_CONFIG); -c is nf sync's --checksum\n",
    )
}
