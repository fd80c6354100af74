//! Fade curves.
//!
//! A curve maps `x ∈ [0, 1]` (position through a fade-in) to a gain in
//! `[0, 1]`, with `curve(0) = 0` and `curve(1) = 1`. A fade-out is the mirror
//! image: the k-th sample counted back from the end gets `curve(k / L)`.

use dubstage_model::FadeShape;
use std::f64::consts::FRAC_PI_2;

/// Gain of a fade-in of `shape` at `x` (clamped to `[0, 1]`).
///
/// - linear: `x`
/// - equal power: `sin(x·π/2)`
/// - S-curve: `(1 − cos(x·π)) / 2`, which is `sin²(x·π/2)`
/// - exponential: `(1000^x − 1) / 999` — linear in dB over the last 60 dB, exactly 0 at the start
///
/// Equal power and S-curve come from [`quarter_sine`], not the library's
/// sine: a clip's fades are computed every sample, and that was a twentieth
/// of an offline render.
pub fn fade_gain(shape: FadeShape, x: f64) -> f32 {
    let x = x.clamp(0.0, 1.0);
    let g = match shape {
        FadeShape::Linear => x,
        FadeShape::EqualPower => quarter_sine(x),
        FadeShape::SCurve => {
            let s = quarter_sine(x);
            s * s
        }
        FadeShape::Exponential => (1000f64.powf(x) - 1.0) / 999.0,
    };
    g as f32
}

/// Multiplies `out[k]` by the gain of a fade of `shape` and length `len`
/// at position `first + dir·k` (`dir` is 1 through a fade-in, −1 back
/// through a fade-out): `fade_gain(shape, (first + dir·k) / len)`, the same
/// bits, with the choice of shape out of the loop so it vectorises.
pub fn scale_by_fade(shape: FadeShape, out: &mut [f32], first: i64, dir: i64, len: i64) {
    let len = len as f64;
    let x = |k: usize| ((first + dir * k as i64) as f64 / len).clamp(0.0, 1.0);
    match shape {
        FadeShape::Linear => {
            for (k, v) in out.iter_mut().enumerate() {
                *v *= x(k) as f32;
            }
        }
        FadeShape::EqualPower => {
            for (k, v) in out.iter_mut().enumerate() {
                *v *= quarter_sine(x(k)) as f32;
            }
        }
        FadeShape::SCurve => {
            for (k, v) in out.iter_mut().enumerate() {
                let s = quarter_sine(x(k));
                *v *= (s * s) as f32;
            }
        }
        FadeShape::Exponential => {
            for (k, v) in out.iter_mut().enumerate() {
                *v *= fade_gain(shape, x(k));
            }
        }
    }
}

/// `sin(x·π/2)` for `x` in `[0, 1]`, within 1e-11: its Taylor series to the
/// 15th power (the first term left out is under 6.1e-12 there), in Horner
/// form. Exactly 0 at 0, and 1 at 1 once rounded to `f32`.
#[inline]
fn quarter_sine(x: f64) -> f64 {
    const C: [f64; 8] = [
        1.0,
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5_040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
    ];
    let t = x * FRAC_PI_2;
    let t2 = t * t;
    let mut p = C[7];
    for c in C[..7].iter().rev() {
        p = p * t2 + c;
    }
    t * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarter_sine_is_the_sine_within_1e_11() {
        let worst = (0..=100_000)
            .map(|i| {
                let x = f64::from(i) / 100_000.0;
                (quarter_sine(x) - (x * FRAC_PI_2).sin()).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst < 1e-11, "{worst:e}");
        assert_eq!(quarter_sine(0.0), 0.0);
        for shape in [FadeShape::EqualPower, FadeShape::SCurve] {
            assert_eq!(fade_gain(shape, 0.0), 0.0);
            assert_eq!(fade_gain(shape, 1.0), 1.0);
        }
        let s = f64::from(fade_gain(FadeShape::SCurve, 0.3));
        assert!((s - (1.0 - (0.3 * std::f64::consts::PI).cos()) / 2.0).abs() < 1e-7);
    }

    #[test]
    fn a_fade_scaled_in_one_go_has_the_bits_of_the_gains_one_by_one() {
        for shape in [
            FadeShape::Linear,
            FadeShape::EqualPower,
            FadeShape::SCurve,
            FadeShape::Exponential,
        ] {
            for (first, dir, len) in [
                (0i64, 1i64, 997i64),
                (996, -1, 997),
                (-5, 1, 300),
                (310, -1, 300),
            ] {
                let mut got = vec![0.7f32; 1_000];
                scale_by_fade(shape, &mut got, first, dir, len);
                let want: Vec<f32> = (0..1_000i64)
                    .map(|k| 0.7 * fade_gain(shape, (first + dir * k) as f64 / len as f64))
                    .collect();
                assert_eq!(got, want, "{shape:?} from {first} by {dir}");
            }
        }
        let s = f64::from(fade_gain(FadeShape::SCurve, 0.3));
        assert!((s - (1.0 - (0.3 * std::f64::consts::PI).cos()) / 2.0).abs() < 1e-7);
    }
}
