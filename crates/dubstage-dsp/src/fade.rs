//! Fade curves.
//!
//! A curve maps `x ∈ [0, 1]` (position through a fade-in) to a gain in
//! `[0, 1]`, with `curve(0) = 0` and `curve(1) = 1`. A fade-out is the mirror
//! image: the k-th sample counted back from the end gets `curve(k / L)`.

use dubstage_model::FadeShape;
use std::f64::consts::{FRAC_PI_2, PI};

/// Gain of a fade-in of `shape` at `x` (clamped to `[0, 1]`).
///
/// - linear: `x`
/// - equal power: `sin(x·π/2)`
/// - S-curve: `(1 − cos(x·π)) / 2`
/// - exponential: `(1000^x − 1) / 999` — linear in dB over the last 60 dB, exactly 0 at the start
pub fn fade_gain(shape: FadeShape, x: f64) -> f32 {
    let x = x.clamp(0.0, 1.0);
    let g = match shape {
        FadeShape::Linear => x,
        FadeShape::EqualPower => (x * FRAC_PI_2).sin(),
        FadeShape::SCurve => (1.0 - (x * PI).cos()) / 2.0,
        FadeShape::Exponential => (1000f64.powf(x) - 1.0) / 999.0,
    };
    g as f32
}
