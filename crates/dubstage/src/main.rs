//! The `dubstage` binary: the editor window (no subcommand) and the
//! command-line tools (`render`, `info`, `play`, `devices`, `picture`).

mod cli;
mod gui;
mod play;
mod process;
mod signals;
mod turnover;

use std::process::ExitCode;

fn main() -> ExitCode {
    dubstage_media::install_quiet_decode_panic_hook();
    // A file-size limit (ulimit -f) must fail the write with an error the
    // user can read, like a full disk does, not kill the process.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" before any other
    // thread exists; no handler code runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let result = cli::run(std::env::args_os());
    if let Some(code) = signals::exit_code() {
        eprintln!("interrupted: stopped; unfinished outputs were removed");
        return ExitCode::from(code);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once (library errors
/// already name their cause in their message).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}
