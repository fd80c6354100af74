//! Helpers shared by the integration tests: fixture paths, the reference
//! signal, and small signal-analysis tools.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;
use std::sync::OnceLock;

use dubstage_media::{AudioBuffer, Decoded, decode_file};

/// Frames in every 48 kHz fixture (0.25 s).
pub const FRAMES_48K: usize = 12_000;
/// Frames in the 44.1 kHz fixtures (0.25 s).
pub const FRAMES_44K: usize = 11_025;

/// One least-significant bit of 16-bit PCM, in full scale.
pub const LSB16: f32 = 1.0 / 32_768.0;
/// One least-significant bit of 24-bit PCM, in full scale.
pub const LSB24: f32 = 1.0 / 8_388_608.0;

fn repo_dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/media")
        .join(sub)
}

pub fn fixture(name: &str) -> PathBuf {
    repo_dir("fixtures").join(name)
}

pub fn bad(name: &str) -> PathBuf {
    repo_dir("bad").join(name)
}

pub fn decode_fixture(name: &str) -> Decoded {
    decode_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The float32 reference (`ref.wav`): 440 Hz at -6 dBFS left, 660 Hz at
/// -12 dBFS right, 48 kHz.
pub fn reference() -> &'static AudioBuffer {
    static REF: OnceLock<AudioBuffer> = OnceLock::new();
    REF.get_or_init(|| decode_fixture("ref.wav").audio)
}

/// The reference signal evaluated analytically (what the fixture script
/// computes in double precision): sine of `freq` Hz at `dbfs`.
pub fn sine(rate: u32, freq: f64, dbfs: f64, frames: usize) -> Vec<f32> {
    let amp = 10f64.powf(dbfs / 20.0);
    (0..frames)
        .map(|i| {
            (amp * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as f32
        })
        .collect()
}

/// Largest absolute sample difference (over the common length).
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Signal-to-noise ratio of `test` against `reference`, in dB, over the
/// common length.
pub fn snr_db(reference: &[f32], test: &[f32]) -> f64 {
    let (mut signal, mut noise) = (0.0f64, 0.0f64);
    for (&r, &t) in reference.iter().zip(test) {
        signal += f64::from(r) * f64::from(r);
        noise += (f64::from(t) - f64::from(r)).powi(2);
    }
    10.0 * (signal / noise.max(1e-30)).log10()
}

/// The shift `lag` (in frames, within ±`max_lag`) that best aligns `test`
/// with `reference`: `test[i + lag] ≈ reference[i]`. Chosen by the
/// normalised cross-correlation over the overlapping part.
pub fn best_lag(reference: &[f32], test: &[f32], max_lag: usize) -> isize {
    let max_lag = max_lag as isize;
    (-max_lag..=max_lag)
        .max_by(|&a, &b| {
            correlation(reference, test, a)
                .partial_cmp(&correlation(reference, test, b))
                .expect("correlations are finite")
        })
        .expect("the lag range is not empty")
}

/// `(reference[i], test[i + lag])` pairs where both exist.
pub fn aligned<'a>(reference: &'a [f32], test: &'a [f32], lag: isize) -> (Vec<f32>, Vec<f32>) {
    let pairs: Vec<(f32, f32)> = reference
        .iter()
        .enumerate()
        .filter_map(|(i, &r)| {
            let j = usize::try_from(i as isize + lag).ok()?;
            test.get(j).map(|&t| (r, t))
        })
        .collect();
    pairs.into_iter().unzip()
}

fn correlation(reference: &[f32], test: &[f32], lag: isize) -> f64 {
    let (r, t) = aligned(reference, test, lag);
    let dot: f64 = r
        .iter()
        .zip(&t)
        .map(|(&a, &b)| f64::from(a) * f64::from(b))
        .sum();
    let norm = (rms(&r) * rms(&t)).max(1e-30) * r.len().max(1) as f64;
    dot / norm
}

/// Power of `freq` in `x` (Goertzel algorithm), normalised so that a sine of
/// amplitude `a` at exactly `freq` gives about `a`.
pub fn goertzel_amplitude(x: &[f32], rate: u32, freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s0 = f64::from(v) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / x.len() as f64
}

/// The frequency (searched in 1 Hz steps over `range`) with the most energy.
pub fn dominant_frequency(x: &[f32], rate: u32, range: std::ops::RangeInclusive<u32>) -> u32 {
    range
        .max_by(|&a, &b| {
            goertzel_amplitude(x, rate, f64::from(a))
                .partial_cmp(&goertzel_amplitude(x, rate, f64::from(b)))
                .expect("amplitudes are finite")
        })
        .expect("the frequency range is not empty")
}
