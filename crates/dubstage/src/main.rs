//! The `dubstage` binary: command-line tools over the engine (`render`,
//! `info`). The editor window arrives with the UI crate.

mod cli;
mod play;

use std::process::ExitCode;

fn main() -> ExitCode {
    dubstage_media::install_quiet_decode_panic_hook();
    match cli::run(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
