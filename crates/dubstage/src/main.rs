//! The `dubstage` binary: command-line tools over the engine (`render`,
//! `info`). The editor window arrives with the UI crate.

mod cli;
mod play;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
