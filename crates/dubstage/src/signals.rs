//! SIGINT / SIGTERM during a render: the first asks the work in progress to
//! stop (its progress callback sees [`interrupted`] and cancels, so every
//! temporary file is removed and nothing half-written is published); a
//! second one ends the process at once.

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal that arrived (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: an atomic swap, and `_exit`.
    if SIGNAL.swap(sig, Ordering::SeqCst) != 0 {
        // SAFETY: `_exit` is async-signal-safe and takes no pointers.
        unsafe { libc::_exit(128 + sig) };
    }
}

/// Routes SIGINT and SIGTERM to [`interrupted`] from now on.
pub fn install() {
    #[cfg(unix)]
    // SAFETY: the handler only touches an atomic and calls `_exit`, both
    // async-signal-safe.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether SIGINT or SIGTERM has arrived.
pub fn interrupted() -> bool {
    SIGNAL.load(Ordering::SeqCst) != 0
}

/// The exit code for the signal that arrived (130 for SIGINT, 143 for
/// SIGTERM), if one did.
pub fn exit_code() -> Option<u8> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(u8::try_from(128 + s).unwrap_or(1)),
    }
}
