//! The `dubstage` binary: the editor window (no subcommand) and the
//! command-line tools (`render`, `info`, `play`, `devices`, `picture`).

mod cli;
mod gui;
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
