use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = nf::cli::Cli::parse();
    match nf::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !err.message.is_empty() {
                eprintln!("nf: error: {err}");
            }
            ExitCode::from(err.kind.exit_code())
        }
    }
}
