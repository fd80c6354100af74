//! Equalisation: biquad sections designed from the RBJ Audio EQ Cookbook, a
//! six-band parametric [`Eq`] and a Butterworth high/low-pass
//! [`PassFilter`] of 6 to 24 dB per octave.
//!
//! Cascades run in direct form I with `f64` coefficients and
//! state; a cascade stays in `f64` between sections and is rounded to `f32`
//! once per sample. Two channels run at once, in one SSE2 register on
//! x86_64 (the same operations as the one-channel code, so the same bits).
//! Every 64 samples, counted from reset so the block length never matters,
//! state below 1e-20 is flushed to zero, so decaying tails never reach
//! denormals.

use crate::processor::{MAX_CHANNELS, Processor};
use std::f64::consts::PI;
use std::mem::MaybeUninit;

/// Rate used for coefficient design before `prepare`.
const DEFAULT_RATE: f32 = 48_000.0;

/// Recursive state smaller than this is set to zero.
const FLUSH: f64 = 1e-20;

/// The shape of one equaliser band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandType {
    /// Peaking boost or cut around the frequency.
    Bell,
    /// Shelf below the frequency.
    LowShelf,
    /// Shelf above the frequency.
    HighShelf,
    /// Band-reject at the frequency (gain ignored).
    Notch,
    /// 12 dB/oct high-pass, resonance set by Q (gain ignored).
    HighPass,
    /// 12 dB/oct low-pass, resonance set by Q (gain ignored).
    LowPass,
}

impl BandType {
    /// Every band type, in menu order.
    pub const ALL: [BandType; 6] = [
        BandType::Bell,
        BandType::LowShelf,
        BandType::HighShelf,
        BandType::Notch,
        BandType::HighPass,
        BandType::LowPass,
    ];

    /// Short name for menus.
    pub fn label(self) -> &'static str {
        match self {
            BandType::Bell => "Bell",
            BandType::LowShelf => "Low shelf",
            BandType::HighShelf => "High shelf",
            BandType::Notch => "Notch",
            BandType::HighPass => "High-pass",
            BandType::LowPass => "Low-pass",
        }
    }
}

/// Biquad coefficients normalised by `a0`:
/// `H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coeffs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

/// Clamps a design frequency to 1 Hz .. 0.49 × rate.
fn clamp_freq(freq: f32, rate: f64) -> f64 {
    let f = if freq.is_finite() {
        f64::from(freq)
    } else {
        1000.0
    };
    f.clamp(1.0, 0.49 * rate)
}

/// A usable sample rate (positive and finite, else 48 kHz).
fn sane_rate(rate: f32) -> f64 {
    if rate.is_finite() && rate > 0.0 {
        f64::from(rate)
    } else {
        f64::from(DEFAULT_RATE)
    }
}

impl Coeffs {
    /// The section that passes the signal unchanged.
    pub fn identity() -> Coeffs {
        Coeffs {
            b0: 1.0,
            b1: 0.0,
            b2: 0.0,
            a1: 0.0,
            a2: 0.0,
        }
    }

    /// Designs one section with the RBJ Audio EQ Cookbook formulas
    /// (`alpha = sin(w0)/(2Q)`, shelves also defined by Q). `freq` is
    /// clamped to 1 Hz .. 0.49 × `rate`, `q` to 0.05..=40, `gain_db` to
    /// ±30 dB.
    pub fn design(kind: BandType, rate: f32, freq: f32, gain_db: f32, q: f32) -> Coeffs {
        let rate = sane_rate(rate);
        let f0 = clamp_freq(freq, rate);
        let q = f64::from(if q.is_finite() { q } else { 0.707 }.clamp(0.05, 40.0));
        let gain = f64::from(if gain_db.is_finite() { gain_db } else { 0.0 }.clamp(-30.0, 30.0));
        let a = 10f64.powf(gain / 40.0);
        let w0 = 2.0 * PI * f0 / rate;
        let (sn, cs) = w0.sin_cos();
        let alpha = sn / (2.0 * q);
        let (b0, b1, b2, a0, a1, a2) = match kind {
            BandType::Bell => (
                1.0 + alpha * a,
                -2.0 * cs,
                1.0 - alpha * a,
                1.0 + alpha / a,
                -2.0 * cs,
                1.0 - alpha / a,
            ),
            BandType::LowShelf => {
                let sa = 2.0 * a.sqrt() * alpha;
                (
                    a * ((a + 1.0) - (a - 1.0) * cs + sa),
                    2.0 * a * ((a - 1.0) - (a + 1.0) * cs),
                    a * ((a + 1.0) - (a - 1.0) * cs - sa),
                    (a + 1.0) + (a - 1.0) * cs + sa,
                    -2.0 * ((a - 1.0) + (a + 1.0) * cs),
                    (a + 1.0) + (a - 1.0) * cs - sa,
                )
            }
            BandType::HighShelf => {
                let sa = 2.0 * a.sqrt() * alpha;
                (
                    a * ((a + 1.0) + (a - 1.0) * cs + sa),
                    -2.0 * a * ((a - 1.0) + (a + 1.0) * cs),
                    a * ((a + 1.0) + (a - 1.0) * cs - sa),
                    (a + 1.0) - (a - 1.0) * cs + sa,
                    2.0 * ((a - 1.0) - (a + 1.0) * cs),
                    (a + 1.0) - (a - 1.0) * cs - sa,
                )
            }
            BandType::Notch => (1.0, -2.0 * cs, 1.0, 1.0 + alpha, -2.0 * cs, 1.0 - alpha),
            BandType::HighPass => (
                (1.0 + cs) / 2.0,
                -(1.0 + cs),
                (1.0 + cs) / 2.0,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
            BandType::LowPass => (
                (1.0 - cs) / 2.0,
                1.0 - cs,
                (1.0 - cs) / 2.0,
                1.0 + alpha,
                -2.0 * cs,
                1.0 - alpha,
            ),
        };
        Coeffs {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        }
    }

    /// First-order Butterworth high- or low-pass by the bilinear transform
    /// (prewarped, so −3.01 dB at `freq`); `b2 = a2 = 0`. `freq` is clamped
    /// to 1 Hz .. 0.49 × `rate`.
    pub fn first_order(high: bool, rate: f32, freq: f32) -> Coeffs {
        let rate = sane_rate(rate);
        let k = (PI * clamp_freq(freq, rate) / rate).tan();
        let a1 = (k - 1.0) / (k + 1.0);
        let (b0, b1) = if high {
            (1.0 / (1.0 + k), -1.0 / (1.0 + k))
        } else {
            (k / (1.0 + k), k / (1.0 + k))
        };
        Coeffs {
            b0,
            b1,
            b2: 0.0,
            a1,
            a2: 0.0,
        }
    }

    /// Magnitude of `H(e^jw)` at `freq` Hz for `rate`, in dB (floored at
    /// −200 dB so a notch's centre stays finite).
    pub fn magnitude_db(&self, freq: f32, rate: f32) -> f32 {
        let w = 2.0 * PI * f64::from(freq) / sane_rate(rate);
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        // e^{-jw} = c1 - j s1, e^{-2jw} = c2 - j s2.
        let nr = self.b0 + self.b1 * c1 + self.b2 * c2;
        let ni = -self.b1 * s1 - self.b2 * s2;
        let dr = 1.0 + self.a1 * c1 + self.a2 * c2;
        let di = -self.a1 * s1 - self.a2 * s2;
        let num = nr * nr + ni * ni;
        let den = (dr * dr + di * di).max(1e-300);
        (10.0 * (num / den).max(1e-20).log10()) as f32
    }
}

/// One transposed-direct-form-II step with denormal flushing.
#[inline(always)]
fn tick(c: &Coeffs, s: &mut [f64; 2], x: f64) -> f64 {
    let y = c.b0 * x + s[0];
    let s0 = c.b1 * x - c.a1 * y + s[1];
    let s1 = c.b2 * x - c.a2 * y;
    s[0] = if s0.abs() < FLUSH { 0.0 } else { s0 };
    s[1] = if s1.abs() < FLUSH { 0.0 } else { s1 };
    y
}

/// The cascades flush their state every this many samples, counted from
/// the last reset, so the output never depends on how the signal is cut
/// into blocks. Between flushes a decaying state shrinks by far less than
/// the gap from [`FLUSH`] to the denormals, so none are ever reached.
const FLUSH_EVERY: u32 = 64;

/// Most sections a cascade has ([`EQ_BANDS`]).
const MAX_SECTIONS: usize = EQ_BANDS;

/// A cascade section's state in direct form I: the last two inputs and the
/// last two outputs, `[x₋₁, x₋₂, y₋₁, y₋₂]`. In a running cascade a
/// section's inputs are the outputs of the section before it, so the
/// kernels keep one input history (the first section's) and each section's
/// outputs, and read a later section's input history from the one before
/// it.
type Section = [f64; 4];

/// Sets state below [`FLUSH`] to zero.
fn flush(s: &mut [Section]) {
    crate::processor::flush_below(s.as_flattened_mut(), FLUSH);
}

/// The arithmetic of one direct-form-I section, on scalars or on both
/// lanes of an SSE2 register alike: `y = b0·x + b1·x₋₁ + b2·x₋₂ − a2·y₋₂ −
/// a1·y₋₁`, in that order, so a sample waits on the one before for a
/// multiply and a subtraction only.
macro_rules! df1 {
    ($c:expr, $x:expr, $x1:expr, $x2:expr, $y1:expr, $y2:expr, $add:ident, $sub:ident, $mul:ident) => {{
        let [b0, b1, b2, a1, a2] = $c;
        let t = $sub(
            $add($add($mul(b0, $x), $mul(b1, $x1)), $mul(b2, $x2)),
            $mul(a2, $y2),
        );
        $sub(t, $mul(a1, $y1))
    }};
}

#[inline(always)]
fn add1(a: f64, b: f64) -> f64 {
    a + b
}
#[inline(always)]
fn sub1(a: f64, b: f64) -> f64 {
    a - b
}
#[inline(always)]
fn mul1(a: f64, b: f64) -> f64 {
    a * b
}

/// Runs `N` sections (state `s[i]` for section `c[i]`) over `buf` in
/// place, in `f64` between sections; `N` is a constant so the state stays
/// in registers.
#[inline]
fn cascade1<const N: usize>(c: &[Coeffs], s: &mut [Section], buf: &mut [f32]) {
    let mut co = [[0.0f64; 5]; N];
    let mut ys = [[0.0f64; 2]; N];
    for k in 0..N {
        let q = &c[k];
        co[k] = [q.b0, q.b1, q.b2, q.a1, q.a2];
        ys[k] = [s[k][2], s[k][3]];
    }
    let (mut x1, mut x2) = (s[0][0], s[0][1]);
    for v in buf.iter_mut() {
        let input = f64::from(*v);
        let (mut x, mut p1, mut p2) = (input, x1, x2);
        for k in 0..N {
            let [y1, y2] = ys[k];
            let y = df1!(co[k], x, p1, p2, y1, y2, add1, sub1, mul1);
            ys[k] = [y, y1];
            (p1, p2, x) = (y1, y2, y);
        }
        (x1, x2) = (input, x1);
        *v = x as f32;
    }
    s[0][0] = x1;
    s[0][1] = x2;
    for k in 0..N {
        if k > 0 {
            s[k][0] = ys[k - 1][0];
            s[k][1] = ys[k - 1][1];
        }
        s[k][2] = ys[k][0];
        s[k][3] = ys[k][1];
    }
}

/// The first `len` elements of `buf`, each set to `f(i)`: a run's scratch
/// row, not zeroed first (that had cost as much as filling it).
#[inline(always)]
fn filled<T>(buf: &mut [MaybeUninit<T>], len: usize, mut f: impl FnMut(usize) -> T) -> &mut [T] {
    let part = &mut buf[..len];
    for (i, v) in part.iter_mut().enumerate() {
        v.write(f(i));
    }
    // SAFETY: every element of `part` was just written, and
    // `MaybeUninit<T>` has the layout of `T`.
    unsafe { &mut *(part as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// [`cascade1`] on two channels at once, both in one SSE2 register: the
/// same IEEE operations in the same order as the scalar code, so the same
/// bits. The sections go over the run two at a time, through a buffer of
/// `f64` pairs: the two sections' coefficients and state stay in
/// registers, and the second works on each sample while the first starts
/// on the next. Runs are at most [`FLUSH_EVERY`] frames (as
/// [`run_channels`] cuts them); longer ones go in pieces.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn cascade2_sse2<const N: usize>(
    c: &[Coeffs],
    sa: &mut [Section],
    sb: &mut [Section],
    a: &mut [f32],
    b: &mut [f32],
) {
    use std::arch::x86_64::{
        __m128d, _mm_add_pd, _mm_cvtpd_ps, _mm_cvtsd_f64, _mm_cvtss_f32, _mm_mul_pd, _mm_set_pd,
        _mm_set1_pd, _mm_shuffle_ps, _mm_sub_pd, _mm_unpackhi_pd,
    };
    const RUN: usize = FLUSH_EVERY as usize;
    let lo = |v: __m128d| _mm_cvtsd_f64(v);
    let hi = |v: __m128d| _mm_cvtsd_f64(_mm_unpackhi_pd(v, v));
    let pair = |x: f64, y: f64| _mm_set_pd(y, x);
    let coeffs = |q: &Coeffs| {
        [
            _mm_set1_pd(q.b0),
            _mm_set1_pd(q.b1),
            _mm_set1_pd(q.b2),
            _mm_set1_pd(q.a1),
            _mm_set1_pd(q.a2),
        ]
    };
    for (a, b) in a.chunks_mut(RUN).zip(b.chunks_mut(RUN)) {
        let len = a.len().min(b.len());
        let mut scratch = [MaybeUninit::uninit(); RUN];
        let buf = filled(&mut scratch, len, |i| {
            pair(f64::from(a[i]), f64::from(b[i]))
        });
        // Input history of the first section; each section's outputs.
        let mut h = [pair(sa[0][0], sb[0][0]), pair(sa[0][1], sb[0][1])];
        let mut k = 0;
        while k < N {
            if k + 1 < N {
                let (c0, c1) = (coeffs(&c[k]), coeffs(&c[k + 1]));
                let [mut u1, mut u2] = [pair(sa[k][2], sb[k][2]), pair(sa[k][3], sb[k][3])];
                let [mut w1, mut w2] = [
                    pair(sa[k + 1][2], sb[k + 1][2]),
                    pair(sa[k + 1][3], sb[k + 1][3]),
                ];
                let [mut x1, mut x2] = h;
                // The next pass reads the last section's outputs from before the run.
                h = [w1, w2];
                for v in buf.iter_mut() {
                    let x = *v;
                    let u = df1!(c0, x, x1, x2, u1, u2, _mm_add_pd, _mm_sub_pd, _mm_mul_pd);
                    let w = df1!(c1, u, u1, u2, w1, w2, _mm_add_pd, _mm_sub_pd, _mm_mul_pd);
                    (x1, x2) = (x, x1);
                    (u1, u2) = (u, u1);
                    (w1, w2) = (w, w1);
                    *v = w;
                }
                store(sa, sb, k, [x1, x2], [u1, u2], lo, hi);
                store(sa, sb, k + 1, [u1, u2], [w1, w2], lo, hi);
                k += 2;
            } else {
                let c0 = coeffs(&c[k]);
                let [mut u1, mut u2] = [pair(sa[k][2], sb[k][2]), pair(sa[k][3], sb[k][3])];
                let [mut x1, mut x2] = h;
                h = [u1, u2];
                for v in buf.iter_mut() {
                    let x = *v;
                    let u = df1!(c0, x, x1, x2, u1, u2, _mm_add_pd, _mm_sub_pd, _mm_mul_pd);
                    (x1, x2) = (x, x1);
                    (u1, u2) = (u, u1);
                    *v = u;
                }
                store(sa, sb, k, [x1, x2], [u1, u2], lo, hi);
                k += 1;
            }
        }
        for ((v, x), y) in buf.iter().zip(a.iter_mut()).zip(b.iter_mut()) {
            let f = _mm_cvtpd_ps(*v);
            *x = _mm_cvtss_f32(f);
            *y = _mm_cvtss_f32(_mm_shuffle_ps::<1>(f, f));
        }
    }

    /// Section `k`'s state back from its input and output histories.
    #[inline(always)]
    fn store(
        sa: &mut [Section],
        sb: &mut [Section],
        k: usize,
        x: [__m128d; 2],
        y: [__m128d; 2],
        lo: impl Fn(__m128d) -> f64,
        hi: impl Fn(__m128d) -> f64,
    ) {
        sa[k] = [lo(x[0]), lo(x[1]), lo(y[0]), lo(y[1])];
        sb[k] = [hi(x[0]), hi(x[1]), hi(y[0]), hi(y[1])];
    }
}

/// [`cascade1`] on two channels at once.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn cascade2<const N: usize>(
    c: &[Coeffs],
    sa: &mut [Section],
    sb: &mut [Section],
    a: &mut [f32],
    b: &mut [f32],
) {
    cascade1::<N>(c, sa, a);
    cascade1::<N>(c, sb, b);
}

/// [`cascade2_sse2`]: SSE2 is part of the x86_64 baseline.
#[cfg(target_arch = "x86_64")]
#[inline]
fn cascade2<const N: usize>(
    c: &[Coeffs],
    sa: &mut [Section],
    sb: &mut [Section],
    a: &mut [f32],
    b: &mut [f32],
) {
    // SAFETY: every x86_64 processor has SSE2 (it is in the target's
    // baseline feature set), so the feature the function enables is there.
    unsafe { cascade2_sse2::<N>(c, sa, sb, a, b) }
}

/// Runs `c.len()` (1 to [`MAX_SECTIONS`]) sections over one channel.
fn run_cascade(c: &[Coeffs], s: &mut [Section], buf: &mut [f32]) {
    match c.len() {
        1 => cascade1::<1>(c, s, buf),
        2 => cascade1::<2>(c, s, buf),
        3 => cascade1::<3>(c, s, buf),
        4 => cascade1::<4>(c, s, buf),
        5 => cascade1::<5>(c, s, buf),
        6 => cascade1::<6>(c, s, buf),
        _ => {}
    }
}

/// Runs `c.len()` (1 to [`MAX_SECTIONS`]) sections over two channels.
fn run_cascade2(
    c: &[Coeffs],
    sa: &mut [Section],
    sb: &mut [Section],
    a: &mut [f32],
    b: &mut [f32],
) {
    match c.len() {
        1 => cascade2::<1>(c, sa, sb, a, b),
        2 => cascade2::<2>(c, sa, sb, a, b),
        3 => cascade2::<3>(c, sa, sb, a, b),
        4 => cascade2::<4>(c, sa, sb, a, b),
        5 => cascade2::<5>(c, sa, sb, a, b),
        6 => cascade2::<6>(c, sa, sb, a, b),
        _ => {}
    }
}

/// Runs a cascade over every channel of `io` (state `st[ch][section]`), two
/// channels at a time, flushing the state on the [`FLUSH_EVERY`] grid
/// (`phase` counts the samples since the last flush). Every channel is
/// processed over the shortest channel's length.
fn run_channels<const N: usize>(
    c: &[Coeffs],
    st: &mut [[Section; N]],
    io: &mut [&mut [f32]],
    phase: &mut u32,
) {
    let n = c.len().min(N).min(MAX_SECTIONS);
    let ch = io.len().min(st.len());
    let frames = io[..ch].iter().map(|r| r.len()).min().unwrap_or(0);
    if n == 0 || frames == 0 {
        return;
    }
    let mut done = 0;
    while done < frames {
        let seg = ((FLUSH_EVERY - *phase) as usize).min(frames - done);
        let range = done..done + seg;
        let mut rest_io = &mut io[..ch];
        let mut rest_st = &mut st[..ch];
        while !rest_io.is_empty() {
            if rest_io.len() >= 2 {
                let (io2, io_tail) = rest_io.split_at_mut(2);
                let (st2, st_tail) = rest_st.split_at_mut(2);
                let (ia, ib) = io2.split_at_mut(1);
                let (sa, sb) = st2.split_at_mut(1);
                run_cascade2(
                    &c[..n],
                    &mut sa[0][..n],
                    &mut sb[0][..n],
                    &mut ia[0][range.clone()],
                    &mut ib[0][range.clone()],
                );
                rest_io = io_tail;
                rest_st = st_tail;
            } else {
                let (io1, io_tail) = rest_io.split_at_mut(1);
                let (st1, st_tail) = rest_st.split_at_mut(1);
                run_cascade(&c[..n], &mut st1[0][..n], &mut io1[0][range.clone()]);
                rest_io = io_tail;
                rest_st = st_tail;
            }
        }
        *phase += seg as u32;
        if *phase >= FLUSH_EVERY {
            *phase = 0;
            for s in st[..ch].iter_mut() {
                flush(&mut s[..n]);
            }
        }
        done += seg;
    }
}

/// [`cascade2_sse2`] on two stereo blocks at once: the four channels
/// `rows` (`a` left, `a` right, `b` left, `b` right) in the four lanes of
/// one AVX register, `a`'s coefficients `ca` in the first two lanes and
/// `b`'s `cb` in the others. The same IEEE operations in the same order as
/// the one-channel code in every lane, so each channel gets the bits it
/// gets alone. Every row is at most [`FLUSH_EVERY`] frames long, and all
/// are as long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn cascade4_avx<const N: usize>(
    ca: &[Coeffs],
    cb: &[Coeffs],
    st: [&mut [Section]; 4],
    rows: [&mut [f32]; 4],
) -> [bool; 2] {
    use std::arch::x86_64::{
        __m256d, _mm_and_ps, _mm_castsi128_ps, _mm_cmpeq_ps, _mm_loadu_ps, _mm_movemask_ps,
        _mm_or_ps, _mm_set1_epi32, _mm_setzero_ps, _mm_storeu_ps, _mm256_add_pd, _mm256_cvtpd_ps,
        _mm256_cvtps_pd, _mm256_mul_pd, _mm256_set_pd, _mm256_storeu_pd, _mm256_sub_pd,
    };
    const RUN: usize = FLUSH_EVERY as usize;
    let mut st = st;
    let [r0, r1, r2, r3] = rows;
    let len = r0.len().min(r1.len()).min(r2.len()).min(r3.len()).min(RUN);
    if ca.len() < N || cb.len() < N || st.iter().any(|s| s.len() < N) {
        return [true; 2];
    }
    let lanes = |v: [f64; 4]| _mm256_set_pd(v[3], v[2], v[1], v[0]);
    let coeffs = |p: &Coeffs, q: &Coeffs| {
        [
            lanes([p.b0, p.b0, q.b0, q.b0]),
            lanes([p.b1, p.b1, q.b1, q.b1]),
            lanes([p.b2, p.b2, q.b2, q.b2]),
            lanes([p.a1, p.a1, q.a1, q.a1]),
            lanes([p.a2, p.a2, q.a2, q.a2]),
        ]
    };
    let mut scratch = [MaybeUninit::uninit(); RUN];
    // Four frames at a time: four rows of four loaded and turned into
    // four frames of four lanes (the exact conversion to f64 either way).
    let whole = len - len % 4;
    for i in (0..whole).step_by(4) {
        // SAFETY: `i + 4 ≤ len`, and every row is at least `len` long.
        let f = unsafe {
            transpose4([
                _mm_loadu_ps(r0.as_ptr().add(i)),
                _mm_loadu_ps(r1.as_ptr().add(i)),
                _mm_loadu_ps(r2.as_ptr().add(i)),
                _mm_loadu_ps(r3.as_ptr().add(i)),
            ])
        };
        for (k, f) in f.into_iter().enumerate() {
            scratch[i + k].write(_mm256_cvtps_pd(f));
        }
    }
    for i in whole..len {
        scratch[i].write(lanes([
            f64::from(r0[i]),
            f64::from(r1[i]),
            f64::from(r2[i]),
            f64::from(r3[i]),
        ]));
    }
    // SAFETY: every element of `scratch[..len]` was just written, and
    // `MaybeUninit<T>` has the layout of `T`.
    let buf =
        unsafe { &mut *(&mut scratch[..len] as *mut [MaybeUninit<__m256d>] as *mut [__m256d]) };
    let state = |s: &[&mut [Section]; 4], k: usize, i: usize| {
        lanes([s[0][k][i], s[1][k][i], s[2][k][i], s[3][k][i]])
    };
    // Section `k`'s state back from its input and output histories.
    let put = |s: &mut [&mut [Section]; 4], k: usize, x: [__m256d; 2], y: [__m256d; 2]| {
        let mut t = [[0.0f64; 4]; 4];
        for (row, v) in t.iter_mut().zip([x[0], x[1], y[0], y[1]]) {
            // SAFETY: `row` holds four f64s, as the store writes.
            unsafe { _mm256_storeu_pd(row.as_mut_ptr(), v) };
        }
        for (lane, s) in s.iter_mut().enumerate() {
            s[k] = [t[0][lane], t[1][lane], t[2][lane], t[3][lane]];
        }
    };
    // Input history of the first section; each section's outputs.
    let mut h = [state(&st, 0, 0), state(&st, 0, 1)];
    let mut k = 0;
    while k < N {
        if k + 1 < N {
            let (c0, c1) = (coeffs(&ca[k], &cb[k]), coeffs(&ca[k + 1], &cb[k + 1]));
            let [mut u1, mut u2] = [state(&st, k, 2), state(&st, k, 3)];
            let [mut w1, mut w2] = [state(&st, k + 1, 2), state(&st, k + 1, 3)];
            let [mut x1, mut x2] = h;
            h = [w1, w2];
            for v in buf.iter_mut() {
                let x = *v;
                let u = df1!(
                    c0,
                    x,
                    x1,
                    x2,
                    u1,
                    u2,
                    _mm256_add_pd,
                    _mm256_sub_pd,
                    _mm256_mul_pd
                );
                let w = df1!(
                    c1,
                    u,
                    u1,
                    u2,
                    w1,
                    w2,
                    _mm256_add_pd,
                    _mm256_sub_pd,
                    _mm256_mul_pd
                );
                (x1, x2) = (x, x1);
                (u1, u2) = (u, u1);
                (w1, w2) = (w, w1);
                *v = w;
            }
            put(&mut st, k, [x1, x2], [u1, u2]);
            put(&mut st, k + 1, [u1, u2], [w1, w2]);
            k += 2;
        } else {
            let c0 = coeffs(&ca[k], &cb[k]);
            let [mut u1, mut u2] = [state(&st, k, 2), state(&st, k, 3)];
            let [mut x1, mut x2] = h;
            h = [u1, u2];
            for v in buf.iter_mut() {
                let x = *v;
                let u = df1!(
                    c0,
                    x,
                    x1,
                    x2,
                    u1,
                    u2,
                    _mm256_add_pd,
                    _mm256_sub_pd,
                    _mm256_mul_pd
                );
                (x1, x2) = (x, x1);
                (u1, u2) = (u, u1);
                *v = u;
            }
            put(&mut st, k, [x1, x2], [u1, u2]);
            k += 1;
        }
    }
    // Output samples whose exponent bits are all ones (infinities and
    // NaNs), flagged lane by lane on the way out.
    let exponent = _mm_castsi128_ps(_mm_set1_epi32(EXPONENT as i32));
    let mut bad = [_mm_setzero_ps(); 4];
    for (i, q) in buf.chunks_exact(4).enumerate() {
        let rows = transpose4([
            _mm256_cvtpd_ps(q[0]),
            _mm256_cvtpd_ps(q[1]),
            _mm256_cvtpd_ps(q[2]),
            _mm256_cvtpd_ps(q[3]),
        ]);
        for (b, r) in bad.iter_mut().zip(rows) {
            *b = _mm_or_ps(*b, _mm_cmpeq_ps(_mm_and_ps(r, exponent), exponent));
        }
        let at = 4 * i;
        // SAFETY: `at + 4 ≤ len`, and every row is at least `len` long.
        unsafe {
            _mm_storeu_ps(r0.as_mut_ptr().add(at), rows[0]);
            _mm_storeu_ps(r1.as_mut_ptr().add(at), rows[1]);
            _mm_storeu_ps(r2.as_mut_ptr().add(at), rows[2]);
            _mm_storeu_ps(r3.as_mut_ptr().add(at), rows[3]);
        }
    }
    let mut tail_bad = [false; 2];
    for i in whole..len {
        let mut o = [0.0f32; 4];
        // SAFETY: `o` holds four f32s, as the store writes.
        unsafe { _mm_storeu_ps(o.as_mut_ptr(), _mm256_cvtpd_ps(buf[i])) };
        r0[i] = o[0];
        r1[i] = o[1];
        r2[i] = o[2];
        r3[i] = o[3];
        for (k, v) in o.iter().enumerate() {
            tail_bad[k / 2] |= v.to_bits() & EXPONENT == EXPONENT;
        }
    }
    let a_bad = _mm_movemask_ps(_mm_or_ps(bad[0], bad[1])) != 0 || tail_bad[0];
    let b_bad = _mm_movemask_ps(_mm_or_ps(bad[2], bad[3])) != 0 || tail_bad[1];
    [!a_bad, !b_bad]
}

/// The exponent bits of an `f32`: all ones for an infinity or a NaN.
const EXPONENT: u32 = 0x7f80_0000;

/// A 4 × 4 block of `f32`s transposed: four rows of four frames become four
/// frames of four lanes, and back.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
fn transpose4(r: [std::arch::x86_64::__m128; 4]) -> [std::arch::x86_64::__m128; 4] {
    use std::arch::x86_64::{_mm_movehl_ps, _mm_movelh_ps, _mm_unpackhi_ps, _mm_unpacklo_ps};
    let t0 = _mm_unpacklo_ps(r[0], r[1]);
    let t1 = _mm_unpackhi_ps(r[0], r[1]);
    let t2 = _mm_unpacklo_ps(r[2], r[3]);
    let t3 = _mm_unpackhi_ps(r[2], r[3]);
    [
        _mm_movelh_ps(t0, t2),
        _mm_movehl_ps(t2, t0),
        _mm_movelh_ps(t1, t3),
        _mm_movehl_ps(t3, t1),
    ]
}

/// Runs `ca.len()` (1 to [`MAX_SECTIONS`]) sections of two cascades over
/// two stereo blocks at once ([`cascade4_avx`]).
///
/// # Safety
/// The processor must have AVX.
#[cfg(target_arch = "x86_64")]
unsafe fn run_cascade4(
    ca: &[Coeffs],
    cb: &[Coeffs],
    st: [&mut [Section]; 4],
    rows: [&mut [f32]; 4],
) -> [bool; 2] {
    // SAFETY (every arm): AVX is there, by the caller's promise.
    unsafe {
        match ca.len() {
            1 => cascade4_avx::<1>(ca, cb, st, rows),
            2 => cascade4_avx::<2>(ca, cb, st, rows),
            3 => cascade4_avx::<3>(ca, cb, st, rows),
            4 => cascade4_avx::<4>(ca, cb, st, rows),
            5 => cascade4_avx::<5>(ca, cb, st, rows),
            6 => cascade4_avx::<6>(ca, cb, st, rows),
            _ => [true; 2],
        }
    }
}

/// One side of [`run_pair`]: a cascade's coefficients, its per-channel
/// state, the block and its flush phase.
struct Side<'a, 'b, const N: usize> {
    c: &'a [Coeffs],
    st: &'a mut [[Section; N]],
    io: &'a mut [&'b mut [f32]],
    phase: &'a mut u32,
}

/// [`run_channels`] for two stereo cascades of the same length at once, in
/// one AVX register, cut where either one's flush grid falls and each
/// flushed on its own: the same bits as each run alone. Returns whether
/// each side's output is all finite, or `None`, having done nothing, where
/// the pair does not fit (no AVX, another number of sections or channels,
/// blocks of different lengths).
fn run_pair<const N: usize>(a: Side<'_, '_, N>, b: Side<'_, '_, N>) -> Option<[bool; 2]> {
    #[cfg(target_arch = "x86_64")]
    {
        let n = a.c.len();
        let stereo = |s: &Side<'_, '_, N>| s.io.len() == 2 && s.st.len() >= 2;
        if !crate::simd::has_avx2()
            || n == 0
            || n > N.min(MAX_SECTIONS)
            || b.c.len() != n
            || !stereo(&a)
            || !stereo(&b)
        {
            return None;
        }
        let frames = a.io[0].len();
        if [a.io[1].len(), b.io[0].len(), b.io[1].len()] != [frames; 3] {
            return None;
        }
        let Side {
            c: ca,
            st: sa,
            io: ia,
            phase: pa,
        } = a;
        let Side {
            c: cb,
            st: sb,
            io: ib,
            phase: pb,
        } = b;
        let (sa0, sa1) = sa.split_at_mut(1);
        let (sb0, sb1) = sb.split_at_mut(1);
        let (ia0, ia1) = ia.split_at_mut(1);
        let (ib0, ib1) = ib.split_at_mut(1);
        let mut done = 0;
        let mut finite = [true; 2];
        while done < frames {
            let seg = ((FLUSH_EVERY - *pa).min(FLUSH_EVERY - *pb) as usize).min(frames - done);
            let range = done..done + seg;
            // SAFETY: `has_avx2` said yes above, and AVX2 implies AVX.
            let ok = unsafe {
                run_cascade4(
                    &ca[..n],
                    &cb[..n],
                    [
                        &mut sa0[0][..n],
                        &mut sa1[0][..n],
                        &mut sb0[0][..n],
                        &mut sb1[0][..n],
                    ],
                    [
                        &mut ia0[0][range.clone()],
                        &mut ia1[0][range.clone()],
                        &mut ib0[0][range.clone()],
                        &mut ib1[0][range],
                    ],
                )
            };
            finite = [finite[0] && ok[0], finite[1] && ok[1]];
            for (phase, l, r) in [
                (&mut *pa, &mut *sa0, &mut *sa1),
                (&mut *pb, &mut *sb0, &mut *sb1),
            ] {
                *phase += seg as u32;
                if *phase >= FLUSH_EVERY {
                    *phase = 0;
                    flush(&mut l[0][..n]);
                    flush(&mut r[0][..n]);
                }
            }
            done += seg;
        }
        Some(finite)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, b);
        None
    }
}

/// One biquad section with independent state for up to [`MAX_CHANNELS`]
/// channels (transposed direct form II, `f64`).
#[derive(Debug, Clone)]
pub struct Biquad {
    coeffs: Coeffs,
    state: [[f64; 2]; MAX_CHANNELS],
}

impl Default for Biquad {
    fn default() -> Biquad {
        Biquad::new(Coeffs::identity())
    }
}

impl Biquad {
    /// A section with cleared state.
    pub fn new(coeffs: Coeffs) -> Biquad {
        Biquad {
            coeffs,
            state: [[0.0; 2]; MAX_CHANNELS],
        }
    }

    /// The coefficients in use.
    pub fn coeffs(&self) -> Coeffs {
        self.coeffs
    }

    /// Replaces the coefficients, keeping the state.
    pub fn set_coeffs(&mut self, coeffs: Coeffs) {
        self.coeffs = coeffs;
    }

    /// Filters one sample of channel `ch` (returned unchanged for a channel
    /// past [`MAX_CHANNELS`]).
    #[inline]
    pub fn tick(&mut self, ch: usize, x: f64) -> f64 {
        match self.state.get_mut(ch) {
            Some(s) => tick(&self.coeffs, s, x),
            None => x,
        }
    }

    /// Filters `buf` in place as channel `ch`; channels past
    /// [`MAX_CHANNELS`] are left untouched.
    pub fn process(&mut self, ch: usize, buf: &mut [f32]) {
        if let Some(s) = self.state.get_mut(ch) {
            for v in buf.iter_mut() {
                *v = tick(&self.coeffs, s, f64::from(*v)) as f32;
            }
        }
    }

    /// Clears every channel's state.
    pub fn reset(&mut self) {
        self.state = [[0.0; 2]; MAX_CHANNELS];
    }
}

/// Q of the second-order sections of a Butterworth cascade of `order`
/// (2 to 4), first-order section first for odd orders.
fn butterworth_q(order: u32) -> [f64; 2] {
    match order {
        3 => [0.0, 1.0],
        4 => [
            1.0 / (2.0 * (PI / 8.0).cos()),
            1.0 / (2.0 * (3.0 * PI / 8.0).cos()),
        ],
        _ => [std::f64::consts::FRAC_1_SQRT_2, 0.0],
    }
}

/// Butterworth high-pass or low-pass of 6, 12, 18 or 24 dB/oct (a proper
/// cascade: −3.01 dB at the cutoff for every slope).
#[derive(Debug, Clone)]
pub struct PassFilter {
    high: bool,
    freq: f32,
    slope: u32,
    rate: f32,
    /// Sections in use: `order / 2` rounded up.
    n: usize,
    coeffs: [Coeffs; 2],
    state: [[Section; 2]; MAX_CHANNELS],
    /// Samples since the last flush (see [`FLUSH_EVERY`]).
    phase: u32,
}

impl PassFilter {
    /// A high-pass (`high`) or low-pass at `freq` Hz, `slope_db_per_oct`
    /// rounded to the nearest of 6, 12, 18, 24.
    pub fn new(high: bool, freq: f32, slope_db_per_oct: u32) -> PassFilter {
        let mut f = PassFilter {
            high,
            freq: 1000.0,
            slope: 12,
            rate: DEFAULT_RATE,
            n: 1,
            coeffs: [Coeffs::identity(); 2],
            state: [[[0.0; 4]; 2]; MAX_CHANNELS],
            phase: 0,
        };
        if freq.is_finite() {
            f.freq = freq.max(1.0);
        }
        f.slope = Self::round_slope(slope_db_per_oct);
        f.design();
        f
    }

    fn round_slope(s: u32) -> u32 {
        (s.saturating_add(3) / 6).clamp(1, 4) * 6
    }

    fn design(&mut self) {
        let order = self.slope / 6;
        let q = butterworth_q(order);
        let second = if self.high {
            BandType::HighPass
        } else {
            BandType::LowPass
        };
        let n = order.div_ceil(2) as usize;
        match order {
            1 => self.coeffs[0] = Coeffs::first_order(self.high, self.rate, self.freq),
            3 => {
                self.coeffs[0] = Coeffs::first_order(self.high, self.rate, self.freq);
                self.coeffs[1] = Coeffs::design(second, self.rate, self.freq, 0.0, q[1] as f32);
            }
            _ => {
                for (c, &q) in self.coeffs.iter_mut().zip(&q).take(n) {
                    *c = Coeffs::design(second, self.rate, self.freq, 0.0, q as f32);
                }
            }
        }
        // A section that comes into use starts from silence.
        for ch in self.state.iter_mut() {
            for s in ch.iter_mut().take(n).skip(self.n) {
                *s = [0.0; 4];
            }
        }
        self.n = n;
    }

    /// Cutoff in Hz (kept at least 1 Hz; 0.49 × rate at most when designed).
    /// Non-finite values are ignored.
    pub fn set_freq(&mut self, freq: f32) {
        if freq.is_finite() {
            self.freq = freq.max(1.0);
            self.design();
        }
    }

    /// Slope in dB/oct, rounded to the nearest of 6, 12, 18, 24.
    pub fn set_slope(&mut self, slope_db_per_oct: u32) {
        self.slope = Self::round_slope(slope_db_per_oct);
        self.design();
    }

    /// High-pass (`true`) or low-pass.
    pub fn set_high(&mut self, high: bool) {
        self.high = high;
        self.design();
    }

    /// Cutoff as set, in Hz.
    pub fn freq(&self) -> f32 {
        self.freq
    }

    /// Slope in dB/oct (6, 12, 18 or 24).
    pub fn slope(&self) -> u32 {
        self.slope
    }

    /// Whether this is a high-pass.
    pub fn is_high(&self) -> bool {
        self.high
    }

    /// Magnitude response at `freq` Hz in dB, for drawing.
    pub fn response_db(&self, freq: f32) -> f32 {
        self.coeffs[..self.n]
            .iter()
            .map(|c| c.magnitude_db(freq, self.rate))
            .sum()
    }
}

impl PassFilter {
    /// Processes `a` through `self` and `b` through `other` at once, both
    /// stereo, in one AVX register: the same bits as each on its own.
    /// Returns whether each output is all finite (checked on the way out),
    /// or `None`, having done nothing, where the pair does not fit (no AVX,
    /// different slopes, not two channels each, blocks of different
    /// lengths); the caller then processes each alone.
    pub fn process_pair(
        &mut self,
        other: &mut PassFilter,
        a: &mut [&mut [f32]],
        b: &mut [&mut [f32]],
    ) -> Option<[bool; 2]> {
        run_pair(self.side(a), other.side(b))
    }

    /// This filter's part of [`run_pair`], on `io`.
    fn side<'a, 'b>(&'a mut self, io: &'a mut [&'b mut [f32]]) -> Side<'a, 'b, 2> {
        Side {
            c: &self.coeffs[..self.n],
            st: &mut self.state,
            io,
            phase: &mut self.phase,
        }
    }
}

impl Processor for PassFilter {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        self.rate = if rate > 0 { rate as f32 } else { DEFAULT_RATE };
        self.design();
        self.reset();
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let n = self.n;
        run_channels(&self.coeffs[..n], &mut self.state, io, &mut self.phase);
    }

    fn reset(&mut self) {
        self.state = [[[0.0; 4]; 2]; MAX_CHANNELS];
        self.phase = 0;
    }
}

/// Bands in an [`Eq`].
pub const EQ_BANDS: usize = 6;

/// One equaliser band's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub kind: BandType,
    /// Centre, corner or cutoff frequency in Hz.
    pub freq: f32,
    /// Boost (+) or cut (−) in dB, ±30 (unused by notch and pass types).
    pub gain_db: f32,
    /// Q, 0.05..=40.
    pub q: f32,
    pub enabled: bool,
}

impl Default for Band {
    fn default() -> Band {
        Band {
            kind: BandType::Bell,
            freq: 1000.0,
            gain_db: 0.0,
            q: 0.707,
            enabled: false,
        }
    }
}

/// Six-band parametric equaliser. Disabled bands cost nothing; with no
/// band enabled the signal passes bit for bit.
#[derive(Debug, Clone)]
pub struct Eq {
    bands: [Band; EQ_BANDS],
    coeffs: [Coeffs; EQ_BANDS],
    rate: f32,
    /// Indices of the enabled bands, in band order.
    active: [usize; EQ_BANDS],
    n_active: usize,
    /// The enabled bands' coefficients, in the order of `active`.
    active_coeffs: [Coeffs; EQ_BANDS],
    /// `state[ch][j]`: the state of the `j`-th enabled band, so the
    /// cascade runs on it in place.
    state: [[Section; EQ_BANDS]; MAX_CHANNELS],
    /// Samples since the last flush (see [`FLUSH_EVERY`]).
    phase: u32,
}

impl Default for Eq {
    fn default() -> Eq {
        Eq::new()
    }
}

impl Eq {
    /// An equaliser with every band disabled.
    pub fn new() -> Eq {
        Eq {
            bands: [Band::default(); EQ_BANDS],
            coeffs: [Coeffs::identity(); EQ_BANDS],
            rate: DEFAULT_RATE,
            active: [0; EQ_BANDS],
            n_active: 0,
            active_coeffs: [Coeffs::identity(); EQ_BANDS],
            state: [[[0.0; 4]; EQ_BANDS]; MAX_CHANNELS],
            phase: 0,
        }
    }

    /// Sets band `i` (ignored when `i ≥ EQ_BANDS`). Gain and Q are clamped,
    /// the frequency kept at least 1 Hz (and designed at 0.49 × rate at
    /// most); a non-finite field keeps its previous value. A band that is
    /// switched on starts from silence; otherwise the state is kept.
    pub fn set_band(&mut self, i: usize, band: Band) {
        let Some(old) = self.bands.get(i).copied() else {
            return;
        };
        let pick = |v: f32, prev: f32| if v.is_finite() { v } else { prev };
        let b = Band {
            kind: band.kind,
            freq: pick(band.freq, old.freq).max(1.0),
            gain_db: pick(band.gain_db, old.gain_db).clamp(-30.0, 30.0),
            q: pick(band.q, old.q).clamp(0.05, 40.0),
            enabled: band.enabled,
        };
        self.bands[i] = b;
        self.coeffs[i] = Coeffs::design(b.kind, self.rate, b.freq, b.gain_db, b.q);
        // The enabled bands again; each keeps its state, a band switched
        // on starts from silence.
        let (was, n_was) = (self.active, self.n_active);
        self.n_active = 0;
        for (j, band) in self.bands.iter().enumerate() {
            if band.enabled {
                self.active[self.n_active] = j;
                self.n_active += 1;
            }
        }
        for ch in self.state.iter_mut() {
            let old = *ch;
            for (slot, band) in ch.iter_mut().zip(&self.active[..self.n_active]) {
                *slot = was[..n_was]
                    .iter()
                    .position(|w| w == band)
                    .map_or([0.0; 4], |p| old[p]);
            }
        }
        self.arrange();
    }

    /// Copies the enabled bands' coefficients into `active_coeffs`.
    fn arrange(&mut self) {
        for (c, &i) in self
            .active_coeffs
            .iter_mut()
            .zip(&self.active[..self.n_active])
        {
            *c = self.coeffs[i];
        }
    }

    /// Band `i` as stored (the default band when `i ≥ EQ_BANDS`).
    pub fn band(&self, i: usize) -> Band {
        self.bands.get(i).copied().unwrap_or_default()
    }

    /// Whether any band is enabled.
    pub fn is_active(&self) -> bool {
        self.n_active > 0
    }

    /// Sum of the enabled bands' magnitude at `freq` Hz in dB, at the
    /// prepared rate (48 kHz before `prepare`), for drawing the curve.
    pub fn response_db(&self, freq: f32) -> f32 {
        self.active[..self.n_active]
            .iter()
            .map(|&i| self.coeffs[i].magnitude_db(freq, self.rate))
            .sum()
    }
}

impl Eq {
    /// [`PassFilter::process_pair`] for equalisers with as many enabled
    /// bands as each other.
    pub fn process_pair(
        &mut self,
        other: &mut Eq,
        a: &mut [&mut [f32]],
        b: &mut [&mut [f32]],
    ) -> Option<[bool; 2]> {
        run_pair(self.side(a), other.side(b))
    }

    /// This equaliser's part of [`run_pair`], on `io`.
    fn side<'a, 'b>(&'a mut self, io: &'a mut [&'b mut [f32]]) -> Side<'a, 'b, EQ_BANDS> {
        Side {
            c: &self.active_coeffs[..self.n_active],
            st: &mut self.state,
            io,
            phase: &mut self.phase,
        }
    }
}

impl Processor for Eq {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        self.rate = if rate > 0 { rate as f32 } else { DEFAULT_RATE };
        for (c, b) in self.coeffs.iter_mut().zip(&self.bands) {
            *c = Coeffs::design(b.kind, self.rate, b.freq, b.gain_db, b.q);
        }
        self.arrange();
        self.reset();
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let n = self.n_active;
        if n == 0 {
            return;
        }
        let ch = io.len().min(MAX_CHANNELS);
        run_channels(
            &self.active_coeffs[..n],
            &mut self.state[..ch],
            &mut io[..ch],
            &mut self.phase,
        );
    }

    fn reset(&mut self) {
        self.state = [[[0.0; 4]; EQ_BANDS]; MAX_CHANNELS];
        self.phase = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::pairs::two_in_blocks;

    const RATE: u32 = 48_000;
    const IMPULSE_LEN: usize = 65_536;

    /// `count` log-spaced frequencies from 20 Hz to 20 kHz.
    fn log_freqs(count: usize) -> Vec<f64> {
        (0..count)
            .map(|i| 20.0 * 1000f64.powf(i as f64 / (count - 1) as f64))
            .collect()
    }

    /// Runs an impulse through `p` (mono) and returns the response.
    fn impulse_response(p: &mut dyn Processor) -> Vec<f32> {
        let mut x = vec![0.0f32; IMPULSE_LEN];
        x[0] = 1.0;
        p.process(&mut [&mut x[..]], None);
        x
    }

    /// Magnitude in dB of the DTFT of `h` at `freq` Hz.
    fn dft_db(h: &[f32], freq: f64, rate: f64) -> f64 {
        let w = 2.0 * std::f64::consts::PI * freq / rate;
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (n, &v) in h.iter().enumerate() {
            let (s, c) = (w * n as f64).sin_cos();
            re += f64::from(v) * c;
            im -= f64::from(v) * s;
        }
        10.0 * (re * re + im * im).log10()
    }

    /// The cookbook magnitude, written out again: coefficients
    /// `[b0, b1, b2, a0, a1, a2]` and `|H(e^jw)|` in dB.
    fn cookbook_db(kind: BandType, rate: f64, f0: f64, gain_db: f64, q: f64, f: f64) -> f64 {
        let pi = std::f64::consts::PI;
        let big_a = 10f64.powf(gain_db / 40.0);
        let w0 = 2.0 * pi * f0 / rate;
        let alpha = w0.sin() / (2.0 * q);
        let cw = w0.cos();
        let root = big_a.sqrt();
        let k: [f64; 6] = match kind {
            BandType::LowPass => [
                (1.0 - cw) / 2.0,
                1.0 - cw,
                (1.0 - cw) / 2.0,
                1.0 + alpha,
                -2.0 * cw,
                1.0 - alpha,
            ],
            BandType::HighPass => [
                (1.0 + cw) / 2.0,
                -(1.0 + cw),
                (1.0 + cw) / 2.0,
                1.0 + alpha,
                -2.0 * cw,
                1.0 - alpha,
            ],
            BandType::Notch => [1.0, -2.0 * cw, 1.0, 1.0 + alpha, -2.0 * cw, 1.0 - alpha],
            BandType::Bell => [
                1.0 + alpha * big_a,
                -2.0 * cw,
                1.0 - alpha * big_a,
                1.0 + alpha / big_a,
                -2.0 * cw,
                1.0 - alpha / big_a,
            ],
            BandType::LowShelf => [
                big_a * ((big_a + 1.0) - (big_a - 1.0) * cw + 2.0 * root * alpha),
                2.0 * big_a * ((big_a - 1.0) - (big_a + 1.0) * cw),
                big_a * ((big_a + 1.0) - (big_a - 1.0) * cw - 2.0 * root * alpha),
                (big_a + 1.0) + (big_a - 1.0) * cw + 2.0 * root * alpha,
                -2.0 * ((big_a - 1.0) + (big_a + 1.0) * cw),
                (big_a + 1.0) + (big_a - 1.0) * cw - 2.0 * root * alpha,
            ],
            BandType::HighShelf => [
                big_a * ((big_a + 1.0) + (big_a - 1.0) * cw + 2.0 * root * alpha),
                -2.0 * big_a * ((big_a - 1.0) + (big_a + 1.0) * cw),
                big_a * ((big_a + 1.0) + (big_a - 1.0) * cw - 2.0 * root * alpha),
                (big_a + 1.0) - (big_a - 1.0) * cw + 2.0 * root * alpha,
                2.0 * ((big_a - 1.0) - (big_a + 1.0) * cw),
                (big_a + 1.0) - (big_a - 1.0) * cw - 2.0 * root * alpha,
            ],
        };
        // H(z) at z = e^{jw}: polynomials in z⁻¹ evaluated as complex sums.
        let w = 2.0 * pi * f / rate;
        let poly = |c0: f64, c1: f64, c2: f64| {
            let re = c0 + c1 * (-w).cos() + c2 * (-2.0 * w).cos();
            let im = c1 * (-w).sin() + c2 * (-2.0 * w).sin();
            re.hypot(im)
        };
        20.0 * (poly(k[0], k[1], k[2]) / poly(k[3], k[4], k[5])).log10()
    }

    #[test]
    fn every_band_type_matches_the_cookbook_from_its_impulse_response() {
        let freqs = log_freqs(24);
        let settings: [(f32, f32, f32); 4] = [
            (60.0, 9.0, 0.707),
            (1000.0, -12.0, 3.0),
            (7500.0, 6.0, 0.5),
            (15_000.0, -18.0, 8.0),
        ];
        let mut worst = 0f64;
        let mut compared = 0;
        let mut floored = 0;
        for kind in BandType::ALL {
            for &(f0, g, q) in &settings {
                let mut eq = Eq::new();
                eq.prepare(RATE, 1, IMPULSE_LEN);
                eq.set_band(
                    2,
                    Band {
                        kind,
                        freq: f0,
                        gain_db: g,
                        q,
                        enabled: true,
                    },
                );
                let h = impulse_response(&mut eq);
                for &f in &freqs {
                    let want = cookbook_db(
                        kind,
                        f64::from(RATE),
                        f64::from(f0),
                        f64::from(g),
                        f64::from(q),
                        f,
                    );
                    if kind == BandType::Notch && want < -40.0 {
                        continue; // the notch's centre: −∞ in theory
                    }
                    if want < -90.0 {
                        // Under the floor of an f32 impulse response
                        // (rounding noise near −140 dB).
                        floored += 1;
                        continue;
                    }
                    let got = dft_db(&h, f, f64::from(RATE));
                    let err = (got - want).abs();
                    assert!(
                        err < 0.01,
                        "{kind:?} f0 {f0} g {g} q {q} at {f:.1} Hz: {got:.4} vs {want:.4}"
                    );
                    // The drawing curve agrees too.
                    let drawn = f64::from(eq.response_db(f as f32));
                    assert!((drawn - want).abs() < 0.01, "{kind:?} drawn {drawn} {want}");
                    worst = worst.max(err);
                    compared += 1;
                }
            }
        }
        assert!(compared > 6 * 4 * 20, "{compared}");
        assert!(
            floored < compared,
            "{floored} of {compared} points under -90 dB"
        );
    }

    #[test]
    fn magnitude_db_of_the_identity_is_zero() {
        assert_eq!(Coeffs::identity().magnitude_db(1234.0, 48_000.0), 0.0);
        // A notch at its centre is floored, not -inf or NaN.
        let n = Coeffs::design(BandType::Notch, 48_000.0, 1000.0, 0.0, 1.0);
        assert!(n.magnitude_db(1000.0, 48_000.0).is_finite());
    }

    #[test]
    fn design_clamps_its_parameters() {
        let r = 48_000.0;
        assert_eq!(
            Coeffs::design(BandType::Bell, r, 1e9, 100.0, 1000.0),
            Coeffs::design(BandType::Bell, r, 0.49 * r, 30.0, 40.0)
        );
        assert_eq!(
            Coeffs::design(BandType::LowShelf, r, 0.0, -100.0, 0.0),
            Coeffs::design(BandType::LowShelf, r, 1.0, -30.0, 0.05)
        );
        let c = Coeffs::design(BandType::HighShelf, r, f32::NAN, f32::NAN, f32::NAN);
        for v in [c.b0, c.b1, c.b2, c.a1, c.a2] {
            assert!(v.is_finite());
        }
    }

    /// A pass filter prepared at 48 kHz (mono).
    fn pass(high: bool, freq: f32, slope: u32) -> PassFilter {
        let mut p = PassFilter::new(high, freq, slope);
        p.prepare(RATE, 1, IMPULSE_LEN);
        p
    }

    #[test]
    fn pass_filters_are_3_db_down_at_the_cutoff_and_fall_at_their_slope() {
        let rate = f64::from(RATE);
        let mut report = String::new();
        for slope in [6u32, 12, 18, 24] {
            let n = f64::from(slope / 6);
            // Low-pass at 200 Hz: one and two octaves well into the
            // stopband at 1.6 and 3.2 kHz.
            let mut lp = pass(false, 200.0, slope);
            let h = impulse_response(&mut lp);
            let at_fc = dft_db(&h, 200.0, rate);
            assert!((at_fc + 3.0103).abs() < 0.05, "LPF {slope}: {at_fc}");
            let drop = dft_db(&h, 1600.0, rate) - dft_db(&h, 3200.0, rate);
            assert!((drop - 6.0 * n).abs() < 0.5, "LPF {slope}: {drop}");
            assert!((f64::from(lp.response_db(200.0)) - at_fc).abs() < 0.01);
            report += &format!("LPF {slope}: fc {at_fc:.4} dB, octave {drop:.3} dB; ");
            // High-pass at 3.2 kHz, measured at 400 and 200 Hz.
            let mut hp = pass(true, 3200.0, slope);
            let h = impulse_response(&mut hp);
            let at_fc = dft_db(&h, 3200.0, rate);
            assert!((at_fc + 3.0103).abs() < 0.05, "HPF {slope}: {at_fc}");
            let drop = dft_db(&h, 400.0, rate) - dft_db(&h, 200.0, rate);
            assert!((drop - 6.0 * n).abs() < 0.5, "HPF {slope}: {drop}");
            assert!((f64::from(hp.response_db(3200.0)) - at_fc).abs() < 0.01);
            // The passband is flat.
            assert!(dft_db(&h, 20_000.0, rate).abs() < 0.1);
            report += &format!("HPF {slope}: fc {at_fc:.4} dB, octave {drop:.3} dB; ");
        }
    }

    #[test]
    fn pass_filter_slopes_round_to_the_nearest_and_setters_redesign() {
        assert_eq!(PassFilter::new(true, 100.0, 0).slope(), 6);
        assert_eq!(PassFilter::new(true, 100.0, 8).slope(), 6);
        assert_eq!(PassFilter::new(true, 100.0, 10).slope(), 12);
        assert_eq!(PassFilter::new(true, 100.0, 17).slope(), 18);
        assert_eq!(PassFilter::new(true, 100.0, 22).slope(), 24);
        assert_eq!(PassFilter::new(true, 100.0, u32::MAX).slope(), 24);
        let mut p = pass(true, 100.0, 12);
        p.set_freq(f32::NAN);
        assert_eq!(p.freq(), 100.0);
        p.set_high(false);
        p.set_slope(24);
        p.set_freq(500.0);
        assert!(!p.is_high());
        let fresh = pass(false, 500.0, 24);
        assert_eq!(p.response_db(2000.0), fresh.response_db(2000.0));
    }

    #[test]
    fn setting_the_same_value_keeps_the_filter_state() {
        let sig = noise(2000, 7);
        let mut a = pass(true, 300.0, 18);
        let mut b = pass(true, 300.0, 18);
        let mut x = sig.clone();
        let mut y = sig.clone();
        a.process(&mut [&mut x[..1000]], None);
        b.process(&mut [&mut y[..1000]], None);
        b.set_freq(300.0);
        b.set_slope(18);
        b.set_high(true);
        a.process(&mut [&mut x[1000..]], None);
        b.process(&mut [&mut y[1000..]], None);
        assert_eq!(x, y);
    }

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9e37_79b9) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// Processes `chans` in blocks of `block` frames.
    fn in_blocks(p: &mut dyn Processor, chans: &mut [Vec<f32>], block: usize) {
        let frames = chans[0].len();
        let mut start = 0;
        while start < frames {
            let end = (start + block).min(frames);
            let mut views: Vec<&mut [f32]> = chans.iter_mut().map(|c| &mut c[start..end]).collect();
            p.process(&mut views, None);
            start = end;
        }
    }

    fn busy_eq() -> Eq {
        let mut eq = Eq::new();
        eq.prepare(RATE, 2, 480);
        let bands = [
            (BandType::HighPass, 40.0, 0.0, 0.707),
            (BandType::LowShelf, 120.0, 4.0, 0.707),
            (BandType::Bell, 900.0, -6.0, 2.0),
            (BandType::Notch, 3000.0, 0.0, 10.0),
            (BandType::HighShelf, 9000.0, 3.0, 0.9),
            (BandType::LowPass, 16_000.0, 0.0, 0.707),
        ];
        for (i, &(kind, freq, gain_db, q)) in bands.iter().enumerate() {
            eq.set_band(
                i,
                Band {
                    kind,
                    freq,
                    gain_db,
                    q,
                    enabled: true,
                },
            );
        }
        eq
    }

    #[test]
    fn output_does_not_depend_on_the_block_size() {
        let input = vec![noise(4800, 1), noise(4800, 2)];
        let makers: [fn() -> Box<dyn Processor>; 2] = [
            || Box::new(busy_eq()),
            || {
                let mut p = PassFilter::new(true, 150.0, 18);
                p.prepare(RATE, 2, 480);
                Box::new(p)
            },
        ];
        for make in makers {
            let mut whole = input.clone();
            in_blocks(make().as_mut(), &mut whole, 4800);
            assert_ne!(whole, input);
            for block in [1, 7, 64, 480] {
                let mut parts = input.clone();
                in_blocks(make().as_mut(), &mut parts, block);
                assert_eq!(parts, whole, "block {block}");
            }
        }
    }

    #[test]
    fn channels_are_filtered_independently() {
        let makers: [fn() -> Box<dyn Processor>; 2] = [
            || Box::new(busy_eq()),
            || {
                let mut p = PassFilter::new(false, 2000.0, 24);
                p.prepare(RATE, 4, 512);
                Box::new(p)
            },
        ];
        for make in makers {
            let mut mono = vec![noise(512, 3)];
            in_blocks(make().as_mut(), &mut mono, 512);
            let mut multi = vec![noise(512, 3), vec![0.0; 512], vec![0.0; 512], noise(512, 4)];
            in_blocks(make().as_mut(), &mut multi, 512);
            assert_eq!(multi[0], mono[0]);
            assert!(multi[1].iter().chain(&multi[2]).all(|&v| v == 0.0));
            let mut other = vec![noise(512, 4)];
            in_blocks(make().as_mut(), &mut other, 512);
            assert_eq!(multi[3], other[0]);
        }
    }

    #[test]
    fn an_eq_with_no_band_enabled_is_bit_exact() {
        let mut eq = Eq::new();
        eq.prepare(RATE, 2, 1024);
        // Bands set up but switched off.
        eq.set_band(
            0,
            Band {
                kind: BandType::Bell,
                freq: 500.0,
                gain_db: 12.0,
                q: 1.0,
                enabled: false,
            },
        );
        let input = vec![noise(1024, 5), noise(1024, 6)];
        let mut out = input.clone();
        in_blocks(&mut eq, &mut out, 1024);
        assert_eq!(out, input);
        assert_eq!(eq.response_db(500.0), 0.0);
        assert!(!eq.is_active());
    }

    #[test]
    fn eq_bands_are_stored_and_clamped() {
        let mut eq = Eq::new();
        let b = Band {
            kind: BandType::HighShelf,
            freq: 4000.0,
            gain_db: 50.0,
            q: 0.0,
            enabled: true,
        };
        eq.set_band(3, b);
        eq.set_band(EQ_BANDS, b);
        assert_eq!(
            eq.band(3),
            Band {
                gain_db: 30.0,
                q: 0.05,
                ..b
            }
        );
        eq.set_band(
            3,
            Band {
                freq: f32::NAN,
                gain_db: f32::INFINITY,
                ..b
            },
        );
        assert_eq!(eq.band(3).freq, 4000.0);
        assert_eq!(eq.band(3).gain_db, 30.0);
        assert_eq!(eq.band(EQ_BANDS), Band::default());
        assert!(eq.is_active());
        // Before prepare the curve is drawn at 48 kHz.
        let want = Coeffs::design(BandType::HighShelf, 48_000.0, 4000.0, 30.0, 0.05);
        assert_eq!(eq.response_db(8000.0), want.magnitude_db(8000.0, 48_000.0));
        assert_eq!(BandType::ALL.len(), 6);
        assert_eq!(BandType::Notch.label(), "Notch");
    }

    #[test]
    fn decaying_state_is_flushed_to_zero() {
        let mut eq = busy_eq();
        let mut x = vec![0.0f32; 48_000];
        x[0] = 1.0;
        eq.process(&mut [&mut x[..]], None);
        assert!(
            eq.state[0]
                .iter()
                .flatten()
                .all(|&s| s == 0.0 || s.abs() >= FLUSH)
        );
        let mut silence = vec![0.0f32; 480_000];
        eq.process(&mut [&mut silence[..]], None);
        assert!(eq.state[0].iter().flatten().all(|&s| s == 0.0));
    }

    #[test]
    fn two_channels_at_once_give_the_bits_of_one_channel_alone() {
        // The paired (SSE2 on x86_64) kernel and the one-channel kernel do
        // the same operations: a stereo pair of equal channels comes out
        // as the mono channel does, for every cascade length.
        let x: Vec<f32> = (0..4_801u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32) - 0.5)
            .collect();
        for slope in [6, 12, 18, 24] {
            let mut f = PassFilter::new(true, 90.0, slope);
            f.prepare(RATE, 2, 4_801);
            let mut mono = x.clone();
            f.process(&mut [&mut mono[..]], None);
            f.reset();
            let (mut l, mut r) = (x.clone(), x.clone());
            f.process(&mut [&mut l[..], &mut r[..]], None);
            assert_eq!(l, mono, "slope {slope}");
            assert_eq!(r, mono, "slope {slope}");
            assert_ne!(mono, x);
            // Different channels stay apart: each comes out as it does
            // alone, whatever the run length.
            let y: Vec<f32> = x.iter().rev().map(|v| v * 0.5).collect();
            f.reset();
            let mut mono_y = y.clone();
            f.process(&mut [&mut mono_y[..]], None);
            for block in [1usize, 3, 64, 4_801] {
                f.reset();
                let (mut l, mut r) = (x.clone(), y.clone());
                for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                    f.process(&mut [a, b], None);
                }
                assert_eq!(l, mono, "slope {slope}, block {block}");
                assert_eq!(r, mono_y, "slope {slope}, block {block}");
            }
        }
        for bands in 1..=EQ_BANDS {
            let mut eq = busy_eq();
            for b in bands..EQ_BANDS {
                let band = eq.band(b);
                eq.set_band(
                    b,
                    Band {
                        enabled: false,
                        ..band
                    },
                );
            }
            let mut mono = x.clone();
            eq.process(&mut [&mut mono[..]], None);
            eq.reset();
            let (mut l, mut r, mut third) = (x.clone(), x.clone(), x.clone());
            eq.process(&mut [&mut l[..], &mut r[..], &mut third[..]], None);
            assert_eq!(l, mono, "{bands} bands");
            assert_eq!(r, mono, "{bands} bands");
            assert_eq!(third, mono, "{bands} bands");
        }
    }

    #[test]
    fn two_filters_at_once_give_the_bits_of_each_alone() {
        // Two stereo blocks in one AVX register: each filter's output and
        // state are those of the filter run alone, whatever the cascade
        // length, the block length and where each one's flush grid falls.
        let noise = |seed: u32, n: usize| -> Vec<f32> {
            (0..n as u32)
                .map(|i| {
                    let h = (i ^ seed)
                        .wrapping_mul(2_654_435_761)
                        .rotate_left(seed % 31);
                    ((h >> 8) as f32 / (1u32 << 24) as f32) - 0.5
                })
                .collect()
        };
        let len = 3_001;
        let rows: Vec<Vec<f32>> = (0..4).map(|k| noise(k + 1, len)).collect();
        // The four rows through two processors, each on its own.
        let alone = |p: &mut dyn Processor, q: &mut dyn Processor, block: usize| {
            let mut want = rows.clone();
            two_in_blocks(&mut want, block, |mut a, mut b| {
                p.process(&mut a, None);
                q.process(&mut b, None);
            });
            want
        };
        let mut paired_any = false;
        for slope in [6, 12, 18, 24] {
            for block in [1usize, 5, 64, 700, len] {
                let mut fa = PassFilter::new(true, 90.0, slope);
                let mut fb = PassFilter::new(false, 7_000.0, slope);
                fa.prepare(RATE, 2, len);
                fb.prepare(RATE, 2, len);
                // `b` starts 17 samples into its flush grid.
                let warm = noise(9, 17);
                fb.process(&mut [&mut warm.clone()[..], &mut warm.clone()[..]], None);
                let (mut ga, mut gb) = (fa.clone(), fb.clone());
                let want = alone(&mut ga, &mut gb, block);
                let mut got = rows.clone();
                two_in_blocks(&mut got, block, |mut a, mut b| {
                    if let Some(finite) = fa.process_pair(&mut fb, &mut a, &mut b) {
                        assert_eq!(finite, [true; 2]);
                        paired_any = true;
                    } else {
                        fa.process(&mut a, None);
                        fb.process(&mut b, None);
                    }
                });
                assert!(got == want, "slope {slope}, block {block}");
                assert_eq!(fa.state, ga.state);
                assert_eq!(fb.state, gb.state);
                assert_eq!((fa.phase, fb.phase), (ga.phase, gb.phase));
            }
        }
        for bands in 1..=EQ_BANDS {
            let mut ea = busy_eq();
            let mut eb = busy_eq();
            for b in 0..EQ_BANDS {
                let band = eb.band(b);
                eb.set_band(
                    b,
                    Band {
                        freq: band.freq * 1.3,
                        gain_db: -band.gain_db,
                        ..band
                    },
                );
            }
            for e in [&mut ea, &mut eb] {
                for b in bands..EQ_BANDS {
                    let band = e.band(b);
                    e.set_band(
                        b,
                        Band {
                            enabled: false,
                            ..band
                        },
                    );
                }
            }
            let warm = noise(5, 40);
            ea.process(&mut [&mut warm.clone()[..], &mut warm.clone()[..]], None);
            let (mut ga, mut gb) = (ea.clone(), eb.clone());
            let want = alone(&mut ga, &mut gb, 333);
            let mut got = rows.clone();
            two_in_blocks(&mut got, 333, |mut a, mut b| {
                if ea.process_pair(&mut eb, &mut a, &mut b).is_none() {
                    ea.process(&mut a, None);
                    eb.process(&mut b, None);
                }
            });
            assert!(got == want, "{bands} bands");
        }
        // Where the processor has AVX, the pairs ran in it.
        assert_eq!(paired_any, crate::simd::has_avx2());
        // Pairs that do not fit are refused, untouched.
        let mut fa = PassFilter::new(true, 90.0, 24);
        let mut fb = PassFilter::new(true, 90.0, 12);
        let mut four = rows.clone();
        two_in_blocks(&mut four, len, |mut a, mut b| {
            assert!(fa.process_pair(&mut fb, &mut a, &mut b).is_none());
            let mut same = PassFilter::new(true, 90.0, 24);
            assert!(
                fa.process_pair(&mut same, &mut a[..1], &mut b[..1])
                    .is_none()
            );
        });
        assert_eq!(four, rows);
        // A non-finite output is flagged on its side only, wherever it
        // falls (in the four-frame part or the tail of a run).
        if crate::simd::has_avx2() {
            for (side, at) in [(0usize, 0usize), (1, 2), (0, 3_000), (1, 2_999)] {
                let mut fa = PassFilter::new(true, 90.0, 24);
                let mut fb = PassFilter::new(true, 120.0, 24);
                let mut four = rows.clone();
                four[2 * side + 1][at] = f32::INFINITY;
                let mut finite = None;
                two_in_blocks(&mut four, len, |mut a, mut b| {
                    finite = fa.process_pair(&mut fb, &mut a, &mut b);
                });
                let want = if side == 0 {
                    [false, true]
                } else {
                    [true, false]
                };
                assert_eq!(finite, Some(want), "side {side}, sample {at}");
            }
        }
    }

    #[test]
    fn blocks_of_any_length_give_the_same_bits() {
        // State is flushed on a grid counted from reset, not per block.
        let mut x: Vec<f32> = (0..9_000u32)
            .map(|i| (i as f32 * 0.37).sin() * 0.5)
            .collect();
        x[3_000..].fill(0.0);
        let mut eq = busy_eq();
        let mut hpf = PassFilter::new(true, 80.0, 24);
        hpf.prepare(RATE, 2, 9_000);
        let procs: [&mut dyn Processor; 2] = [&mut eq, &mut hpf];
        for p in procs {
            p.reset();
            let (mut wl, mut wr) = (x.clone(), x.clone());
            p.process(&mut [&mut wl[..], &mut wr[..]], None);
            for block in [1, 5, 63, 64, 65, 480] {
                p.reset();
                let (mut l, mut r) = (x.clone(), x.clone());
                for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                    p.process(&mut [a, b], None);
                }
                assert_eq!(l, wl, "block {block}");
                assert_eq!(r, wr, "block {block}");
            }
        }
    }
}
