//! The denoisers never allocate once prepared: `process`, `reset` and the
//! real-time setters run under an allocation guard (`set_print` is not
//! real-time and stays outside).
//!
//! `nnnoiseless` keeps its FFT plans and scratch in thread-local caches
//! filled by the first frame a thread processes, so this thread is warmed
//! first, as the audio thread must be.

use std::sync::Arc;

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_dsp::Processor;
use dubstage_dsp::denoise::{NoisePrint, RnnDenoise, SpectralDenoise};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

fn noise(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            0.1 * ((x as f32 / u32::MAX as f32) * 2.0 - 1.0)
        })
        .collect()
}

fn blocks(p: &mut dyn Processor, a: &mut [f32], b: &mut [f32], block: usize) {
    for (x, y) in a.chunks_mut(block).zip(b.chunks_mut(block)) {
        p.process(&mut [x, y], None);
    }
}

#[test]
fn rnn_denoise_is_allocation_free() {
    for rate in [48_000u32, 44_100, 96_000] {
        RnnDenoise::warm_thread();
        let mut d = RnnDenoise::new();
        d.prepare(rate, 2, 1024);
        let (mut a, mut b) = (noise(20_000, 3), noise(20_000, 4));
        assert_no_alloc(|| {
            d.set_mix(0.7);
            d.set_limit_db(18.0);
            d.set_mix(f32::NAN);
            blocks(&mut d, &mut a, &mut b, 333);
            let _ = d.reduction_db();
            let _ = d.latency();
            d.reset();
            blocks(&mut d, &mut a, &mut b, 1);
        });
    }
}

#[test]
fn spectral_denoise_is_allocation_free() {
    let room = noise(48_000, 5);
    let print = Arc::new(NoisePrint::learn(&[&room], 48_000).expect("print"));
    for rate in [48_000u32, 44_100] {
        let mut d = SpectralDenoise::new(Some(print.clone()));
        d.prepare(rate, 2, 1024);
        let (mut a, mut b) = (noise(20_000, 6), noise(20_000, 7));
        assert_no_alloc(|| {
            d.set_reduction_db(20.0);
            d.set_smoothing(0.8);
            d.set_reduction_db(f32::INFINITY);
            blocks(&mut d, &mut a, &mut b, 1000);
            let _ = d.reduction_db();
            let _ = d.reduction_curve();
            d.reset();
            blocks(&mut d, &mut a, &mut b, 7);
        });
        // Without a print: the passthrough path.
        d.set_print(None);
        assert_no_alloc(|| {
            blocks(&mut d, &mut a, &mut b, 64);
        });
    }
}
