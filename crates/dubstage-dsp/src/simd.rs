//! Which wider instruction sets the processor offers, for kernels compiled
//! twice: for the x86_64 baseline and with AVX2. Both versions are the same
//! source, with the same IEEE operations in the same order (Rust never fuses
//! a multiply and an add on its own), so they give the same bits; the AVX2
//! one uses 256-bit vectors where the compiler vectorises and the
//! three-operand encoding everywhere.
//!
//! The answer comes from the standard library's cache of the processor's
//! features (`cpuid` once, then an atomic load): safe on the audio thread.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the AVX2 versions may run (see [`use_avx2`]).
static ALLOWED: AtomicBool = AtomicBool::new(true);

/// Lets the AVX2 versions run where the processor has them (the default),
/// or keeps every kernel on the baseline: for the benchmark's comparison.
pub fn use_avx2(allowed: bool) {
    ALLOWED.store(allowed, Ordering::Relaxed);
}

/// Whether the AVX2 versions run: the processor has AVX2 and
/// [`use_avx2`] did not turn them off (always false off x86_64).
#[inline]
pub fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        ALLOWED.load(Ordering::Relaxed) && std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
