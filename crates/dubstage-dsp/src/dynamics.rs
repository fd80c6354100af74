//! Dynamics inserts: a compressor, a gate / downward expander and a
//! de-esser.
//!
//! All three work in the dB domain: a detector measures the level, a gain
//! computer turns it into a gain change, and the gain is applied sample by
//! sample (no look-ahead, latency 0). Every piece of state is a fixed array
//! of [`MAX_CHANNELS`] entries inside the processor itself (the compressor's
//! scratch rows are allocated once, when it is made), so nothing allocates
//! in `prepare` or `process`; any block length gives exactly the output of
//! processing sample by sample.
//!
//! Stereo link (all three, on by default): a linked processor computes one
//! gain for all channels; unlinked, each channel has its own gain. The
//! compressor links on the largest channel magnitude (peak detector) or on
//! the mean of the channels' mean squares (RMS detector); the gate and the
//! de-esser on the loudest channel. A key (sidechain) input (compressor and
//! gate) is always linked across its channels; a key with no channels
//! counts as none.

use crate::processor::{MAX_CHANNELS, Processor};

/// `ln(10) / 20`: dB to nepers of amplitude.
const DB_TO_LN: f32 = std::f32::consts::LN_10 / 20.0;

/// Level reported for silence (and anything below −200 dB).
const FLOOR_DB: f32 = -200.0;

/// Recursive state below this magnitude is flushed to zero (no denormals).
const FLUSH: f64 = 1e-20;
/// The same for `f32` filter state.
const FLUSH_F32: f32 = 1e-20;

/// Window of the RMS detectors (one-pole mean square), in ms.
const RMS_WINDOW_MS: f32 = 10.0;

/// Sample rate assumed until `prepare` is called.
const DEFAULT_RATE: f32 = 48_000.0;

/// dB to linear amplitude (no silence cut-off: used for computed gains).
#[inline]
fn db_gain(db: f32) -> f32 {
    (db * DB_TO_LN).exp()
}

/// Linear amplitude to dB, floored at [`FLOOR_DB`].
#[inline]
fn amp_db(a: f32) -> f32 {
    if a > 1e-10 {
        20.0 * a.log10()
    } else {
        FLOOR_DB
    }
}

/// Mean square (power) to dB, floored at [`FLOOR_DB`].
#[inline]
fn power_db(p: f64) -> f32 {
    if p > 1e-20 {
        (10.0 * p.log10()) as f32
    } else {
        FLOOR_DB
    }
}

/// The compressor flushes its recursive state every this many samples,
/// counted from the last reset (so blocks of any length give the same
/// output), instead of on every sample.
const FLUSH_EVERY: u32 = 64;

/// Frames in one run of the compressor's passes.
const RUN: usize = FLUSH_EVERY as usize;

/// dB of amplitude to a base-2 exponent: `10^(db/20) = 2^(db · this)`.
const DB_TO_LOG2: f32 = std::f32::consts::LOG2_10 / 20.0;

/// dB of power per octave of power: `10·log10(p) = this · log2(p)`.
const POWER_DB_PER_LOG2: f32 = 10.0 * std::f32::consts::LOG10_2;

/// `v`, or zero when it is below [`FLUSH`].
#[inline]
fn flush(v: f64) -> f64 {
    if v.abs() < FLUSH { 0.0 } else { v }
}

/// `log2(x)` for a positive normal `x`, within 4e-6 of the exact value
/// (the `f32` rounding of the result; 1.2e-5 dB of power):
/// `x = 2^e · m` with `m` in [√½, √2), and `ln m = 2·atanh((m−1)/(m+1))`
/// by its series to the ninth power. Branch-free, so loops over it
/// vectorise.
#[inline(always)]
fn fast_log2(x: f32) -> f32 {
    const SQRT_HALF_BITS: i32 = 0x3f35_04f3;
    let bits = x.to_bits() as i32;
    let e = (bits - SQRT_HALF_BITS) >> 23;
    let m = f32::from_bits((bits - (e << 23)) as u32);
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let series = 1.0 + z2 * (1.0 / 3.0 + z2 * (0.2 + z2 * (1.0 / 7.0 + z2 * (1.0 / 9.0))));
    e as f32 + 2.0 * std::f32::consts::LOG2_E * z * series
}

/// `2^y` for `y` in −126..=126 (clamped there), within 2e-7 relative:
/// `y = k + f` with `k` the nearest integer (found by adding and taking
/// away 1.5·2²³, which leaves `k` in the low bits of the sum) and `f` in
/// [−½, ½], `2^f` by its Taylor series to the sixth power, `2^k` put in
/// the exponent. Exactly 1 at `y = 0`. Branch-free, so loops over it
/// vectorise.
#[inline(always)]
fn fast_exp2(y: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0;
    let y = y.clamp(-126.0, 126.0);
    let r = y + ROUND;
    let k = (r.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let f = (y - (r - ROUND)) * std::f32::consts::LN_2;
    let p = 1.0
        + f * (1.0
            + f * (0.5
                + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0))))));
    p * f32::from_bits((k.wrapping_add(127) << 23) as u32)
}

/// The compressor's static curve prepared for a block: the reduction in dB
/// (≥ 0) for a detector power, as [`compressor_curve`] gives it.
#[derive(Clone, Copy)]
struct Curve {
    threshold: f32,
    slope: f32,
    knee: f32,
    inv_2knee: f32,
    /// Powers below this are under the knee with room to spare (0.01 dB,
    /// far more than [`fast_log2`] is ever off): no reduction.
    quiet: f32,
}

impl Curve {
    fn new(threshold: f32, ratio: f32, knee: f32) -> Curve {
        Curve {
            threshold,
            slope: 1.0 / ratio - 1.0,
            knee,
            inv_2knee: if knee > 0.0 { 0.5 / knee } else { 0.0 },
            quiet: 10f32.powf((threshold - 0.5 * knee - 0.01) / 10.0),
        }
    }

    /// [`Curve::reduction`] of every power in `row`, in place. Eight at a
    /// time: where all eight are quiet, the reduction is none (the value
    /// `reduction` gives there) without the logarithm.
    #[inline(always)]
    fn reduce(self, row: &mut [f32]) {
        for chunk in row.chunks_mut(8) {
            if chunk.iter().all(|&p| p < self.quiet) {
                for v in chunk.iter_mut() {
                    *v = if *v > 1e-20 { -0.0 } else { 0.0 };
                }
            } else {
                for v in chunk.iter_mut() {
                    *v = self.reduction(*v);
                }
            }
        }
    }

    /// The reduction for a power `p` (a squared magnitude or a mean
    /// square); powers at or under 1e-20 (−200 dB) and NaN give none.
    #[inline(always)]
    fn reduction(self, p: f32) -> f32 {
        let x = POWER_DB_PER_LOG2 * fast_log2(p.max(1e-20));
        let d = x - self.threshold;
        let e = d + 0.5 * self.knee;
        let soft = self.slope * e * e * self.inv_2knee;
        let hard = self.slope * d;
        let gain = if 2.0 * d < -self.knee {
            0.0
        } else if 2.0 * d <= self.knee {
            soft
        } else {
            hard
        };
        if p > 1e-20 { -gain } else { 0.0 }
    }
}

/// The largest power (squared sample) across the channels `io` over
/// `span`, frame by frame, into `row`. The first channel writes, the others
/// keep the larger: the reductions are those of a row cleared to zero
/// first (only a NaN could come out otherwise, and it reduces by nothing
/// as zero does).
#[inline(always)]
fn loudest_power<R: AsRef<[f32]>>(row: &mut [f32], io: &[R], span: std::ops::Range<usize>) {
    let Some((first, rest)) = io.split_first() else {
        row.fill(0.0);
        return;
    };
    for (l, x) in row.iter_mut().zip(&first.as_ref()[span.clone()]) {
        *l = x * x;
    }
    for chan in rest {
        for (l, x) in row.iter_mut().zip(&chan.as_ref()[span.clone()]) {
            *l = l.max(x * x);
        }
    }
}

/// One-pole coefficient `exp(−1/(t·rate))` for a time constant of `ms`
/// milliseconds (the output covers 63.2 % of a step after `ms`).
fn time_coef(ms: f32, rate: f32) -> f64 {
    (-1000.0 / (f64::from(ms) * f64::from(rate))).exp()
}

/// `value` clamped to `lo..=hi`, or `None` when it is not finite.
fn finite_clamp(value: f32, lo: f32, hi: f32) -> Option<f32> {
    value.is_finite().then(|| value.clamp(lo, hi))
}

/// The number of channels and frames a block carries.
fn block_shape(io: &[&mut [f32]]) -> (usize, usize) {
    let ch = io.len().min(MAX_CHANNELS);
    let frames = io[..ch].iter().map(|c| c.len()).min().unwrap_or(0);
    (ch, frames)
}

/// Sample `i` of a key channel (silence past its end).
#[inline]
fn key_sample(chan: &[f32], i: usize) -> f32 {
    chan.get(i).copied().unwrap_or(0.0)
}

/// The key (sidechain) level at frame `i`: the largest magnitude across the
/// key's channels (peak), or the updated mean square of the channel mean of
/// the squares (RMS; `key_ms` is the detector state).
#[inline]
fn key_level(key: &[&[f32]], i: usize, detector: Detector, key_ms: &mut f64, coef: f64) -> f32 {
    let kch = key.len().min(MAX_CHANNELS);
    match detector {
        Detector::Peak => amp_db(
            key[..kch]
                .iter()
                .fold(0f32, |m, k| m.max(key_sample(k, i).abs())),
        ),
        Detector::Rms => {
            let sq = key[..kch]
                .iter()
                .map(|k| {
                    let v = f64::from(key_sample(k, i));
                    v * v
                })
                .sum::<f64>()
                / kch as f64;
            *key_ms = one_pole(*key_ms, sq, coef);
            power_db(*key_ms)
        }
    }
}

/// One step of a one-pole smoother from `state` toward `input`.
#[inline]
fn one_pole(state: f64, input: f64, coef: f64) -> f64 {
    let y = input + coef * (state - input);
    if y.abs() < FLUSH { 0.0 } else { y }
}

/// The level detector of a [`Compressor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    /// The instantaneous magnitude `|x|` (the attack and release act on the
    /// gain).
    Peak,
    /// A one-pole mean square with a 10 ms window.
    Rms,
}

/// The static curve of a compressor: the gain change in dB (≤ 0) for an
/// input level `x` dB, threshold `t`, ratio `r` and knee width `w`, soft
/// knee as in Giannoulis, Massberg & Reiss (2012).
fn compressor_curve(x: f32, t: f32, r: f32, w: f32) -> f32 {
    let d = x - t;
    let slope = 1.0 / r - 1.0;
    if 2.0 * d < -w {
        0.0
    } else if w > 0.0 && 2.0 * d <= w {
        let e = d + 0.5 * w;
        slope * e * e / (2.0 * w)
    } else {
        slope * d
    }
}

/// A feed-forward compressor with a soft knee, makeup gain and a key
/// (sidechain) input.
///
/// The gain computer runs on the detector level in dB; the gain reduction is
/// smoothed in dB by a branching one-pole (the attack time constant while
/// the reduction grows, the release one while it shrinks). With a key
/// input, the detector reads the key (all its channels, linked) and the gain
/// applies to the input.
#[derive(Debug, Clone)]
pub struct Compressor {
    threshold_db: f32,
    ratio: f32,
    knee_db: f32,
    attack_ms: f32,
    release_ms: f32,
    makeup_db: f32,
    detector: Detector,
    link: bool,
    rate: f32,
    attack_coef: f64,
    release_coef: f64,
    rms_coef: f64,
    /// Mean square of each input channel (RMS detector).
    ms: [f64; MAX_CHANNELS],
    /// Mean square of the key input (mean over its channels).
    key_ms: f64,
    /// Smoothed gain reduction per channel, dB ≥ 0.
    red: [f64; MAX_CHANNELS],
    /// Channels in the last block (for the meter).
    active: usize,
    /// Samples since the state was last flushed (see [`FLUSH_EVERY`]).
    phase: u32,
    /// Scratch rows of one run: detector levels, then the wanted reduction.
    level: Box<[[f32; RUN]; MAX_CHANNELS]>,
    /// Scratch rows of one run: the gains.
    gain: Box<[[f32; RUN]; MAX_CHANNELS]>,
}

impl Default for Compressor {
    fn default() -> Compressor {
        Compressor::new()
    }
}

impl Compressor {
    /// Threshold −20 dB, ratio 4, knee 6 dB, attack 10 ms, release 120 ms,
    /// no makeup, peak detector, linked.
    pub fn new() -> Compressor {
        let mut c = Compressor {
            threshold_db: -20.0,
            ratio: 4.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 120.0,
            makeup_db: 0.0,
            detector: Detector::Peak,
            link: true,
            rate: DEFAULT_RATE,
            attack_coef: 0.0,
            release_coef: 0.0,
            rms_coef: 0.0,
            ms: [0.0; MAX_CHANNELS],
            key_ms: 0.0,
            red: [0.0; MAX_CHANNELS],
            active: 0,
            phase: 0,
            level: Box::new([[0.0; RUN]; MAX_CHANNELS]),
            gain: Box::new([[0.0; RUN]; MAX_CHANNELS]),
        };
        c.update_coefs();
        c
    }

    fn update_coefs(&mut self) {
        self.attack_coef = time_coef(self.attack_ms, self.rate);
        self.release_coef = time_coef(self.release_ms, self.rate);
        self.rms_coef = time_coef(RMS_WINDOW_MS, self.rate);
    }

    /// Threshold in dB (−100..=0).
    pub fn set_threshold_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, -100.0, 0.0) {
            self.threshold_db = v;
        }
    }

    /// Ratio (1..=100; 100 is close to limiting).
    pub fn set_ratio(&mut self, ratio: f32) {
        if let Some(v) = finite_clamp(ratio, 1.0, 100.0) {
            self.ratio = v;
        }
    }

    /// Knee width in dB (0..=24; 0 is a hard knee).
    pub fn set_knee_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, 0.0, 24.0) {
            self.knee_db = v;
        }
    }

    /// Attack time constant in ms (0.05..=500).
    pub fn set_attack_ms(&mut self, ms: f32) {
        if let Some(v) = finite_clamp(ms, 0.05, 500.0) {
            self.attack_ms = v;
            self.attack_coef = time_coef(v, self.rate);
        }
    }

    /// Release time constant in ms (1..=5000).
    pub fn set_release_ms(&mut self, ms: f32) {
        if let Some(v) = finite_clamp(ms, 1.0, 5000.0) {
            self.release_ms = v;
            self.release_coef = time_coef(v, self.rate);
        }
    }

    /// Makeup gain in dB (−24..=24), applied after the reduction.
    pub fn set_makeup_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, -24.0, 24.0) {
            self.makeup_db = v;
        }
    }

    /// Selects the level detector.
    pub fn set_detector(&mut self, detector: Detector) {
        self.detector = detector;
    }

    /// Links the channels (one gain for all) or not (a gain per channel).
    pub fn set_link(&mut self, link: bool) {
        self.link = link;
    }

    /// The static curve's gain change in dB for a detector level of
    /// `input_db` (≤ 0; makeup not included).
    pub fn static_gain_db(&self, input_db: f32) -> f32 {
        compressor_curve(input_db, self.threshold_db, self.ratio, self.knee_db)
    }
}

impl Processor for Compressor {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        self.rate = rate.max(1) as f32;
        self.update_coefs();
        self.reset();
    }

    /// Works through the block in runs that end on the [`FLUSH_EVERY`]
    /// grid. Each run: the detector levels frame by frame (the recursive
    /// mean squares), the static curve on all of them, the gain smoothers
    /// frame by frame, then the gains applied; the levels and gains go
    /// through [`fast_log2`] and [`fast_exp2`] in loops the compiler
    /// vectorises.
    fn process(&mut self, io: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx2() {
            // SAFETY: the processor has AVX2 (checked just above).
            unsafe { self.process_avx2(io, sidechain) };
            return;
        }
        self.process_body(io, sidechain);
    }

    fn reset(&mut self) {
        self.ms = [0.0; MAX_CHANNELS];
        self.key_ms = 0.0;
        self.red = [0.0; MAX_CHANNELS];
        self.phase = 0;
    }

    fn reduction_db(&self) -> f32 {
        self.red[..self.active]
            .iter()
            .fold(0f32, |m, &r| m.max(r as f32))
    }
}

impl Compressor {
    /// [`Compressor::process_body`] compiled with AVX2 (the same bits, in
    /// wider vectors; see [`crate::simd`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn process_avx2(&mut self, io: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        self.process_body(io, sidechain);
    }

    /// One block, as [`Processor::process`] describes.
    #[inline(always)]
    fn process_body(&mut self, io: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        let (ch, frames) = block_shape(io);
        self.active = ch;
        if ch == 0 {
            return;
        }
        let key = sidechain.filter(|k| !k.is_empty());
        if key.is_none() {
            self.key_ms = 0.0;
        }
        let curve = Curve::new(self.threshold_db, self.ratio, self.knee_db);
        let (a, b) = (self.attack_coef, self.release_coef);
        let (ia, ib) = (1.0 - a, 1.0 - b);
        let rms = self.rms_coef;
        let irms = 1.0 - rms;
        // One level row (linked or keyed) or one per channel.
        let shared = key.is_some() || self.link;
        let rows = if shared { 1 } else { ch };
        let (level, gain) = (&mut *self.level, &mut *self.gain);
        let mut done = 0;
        while done < frames {
            let m = ((FLUSH_EVERY - self.phase) as usize).min(frames - done);
            let span = done..done + m;
            // Detector levels, as powers (squared magnitudes or mean
            // squares). The input's mean squares run whatever the mode, so
            // switching detector, link or key never starts from stale
            // state: here when the level needs them, else with the
            // smoothers below, where their recursion overlaps the
            // smoothers'.
            let ms_here = key.is_none() && self.detector == Detector::Rms;
            match (key, self.detector) {
                (Some(k), Detector::Peak) => {
                    let kch = k.len().min(MAX_CHANNELS);
                    for (j, i) in span.clone().enumerate() {
                        let pk = k[..kch]
                            .iter()
                            .fold(0f32, |mx, c| mx.max(key_sample(c, i).abs()));
                        level[0][j] = pk * pk;
                    }
                }
                (Some(k), Detector::Rms) => {
                    let kch = k.len().min(MAX_CHANNELS);
                    for (j, i) in span.clone().enumerate() {
                        let sq = k[..kch]
                            .iter()
                            .map(|c| {
                                let v = f64::from(key_sample(c, i));
                                v * v
                            })
                            .sum::<f64>()
                            / kch as f64;
                        self.key_ms = rms * self.key_ms + irms * sq;
                        level[0][j] = self.key_ms as f32;
                    }
                }
                (None, Detector::Peak) if shared => {
                    loudest_power(&mut level[0][..m], &io[..ch], span.clone());
                }
                (None, Detector::Peak) => {
                    for (row, chan) in level[..ch].iter_mut().zip(io.iter()) {
                        for (l, x) in row[..m].iter_mut().zip(&chan[span.clone()]) {
                            *l = x * x;
                        }
                    }
                }
                (None, Detector::Rms) => {
                    for (j, i) in span.clone().enumerate() {
                        for (ms, chan) in self.ms[..ch].iter_mut().zip(io.iter()) {
                            let x = f64::from(chan[i]);
                            *ms = rms * *ms + irms * (x * x);
                        }
                        if shared {
                            level[0][j] = (self.ms[..ch].iter().sum::<f64>() / ch as f64) as f32;
                        } else {
                            for (row, ms) in level[..ch].iter_mut().zip(&self.ms) {
                                row[j] = *ms as f32;
                            }
                        }
                    }
                }
            }
            // The static curve: the wanted reduction in dB (≥ 0).
            for row in level[..rows].iter_mut() {
                curve.reduce(&mut row[..m]);
            }
            // The smoothers, leaving the gain in dB in place of the target.
            let in_step = shared && self.red[..ch].iter().all(|r| *r == self.red[0]);
            let smoothers = if in_step || !shared { rows } else { ch };
            for c in 0..smoothers {
                let target = &level[if shared { 0 } else { c }];
                let out = &mut gain[c];
                let mut r = self.red[c];
                // The mean squares this smoother carries along.
                let (lo, hi) = match (ms_here, smoothers) {
                    (true, _) => (0, 0),
                    (false, 1) => (0, ch),
                    (false, _) => (c, c + 1),
                };
                let makeup = self.makeup_db;
                let mut step = |j: usize, r: &mut f64| {
                    let t = f64::from(target[j]);
                    let up = a * *r + ia * t;
                    let down = b * *r + ib * t;
                    *r = if t > *r { up } else { down };
                    out[j] = makeup - *r as f32;
                };
                match hi - lo {
                    0 => (0..m).for_each(|j| step(j, &mut r)),
                    1 => {
                        let (x, mut q) = (&io[lo][span.clone()], self.ms[lo]);
                        for (j, &v) in x.iter().enumerate() {
                            let v = f64::from(v);
                            q = rms * q + irms * (v * v);
                            step(j, &mut r);
                        }
                        self.ms[lo] = q;
                    }
                    2 => {
                        let (x, y) = (&io[lo][span.clone()], &io[lo + 1][span.clone()]);
                        let (mut p, mut q) = (self.ms[lo], self.ms[lo + 1]);
                        for j in 0..m {
                            let (u, v) = (f64::from(x[j]), f64::from(y[j]));
                            p = rms * p + irms * (u * u);
                            q = rms * q + irms * (v * v);
                            step(j, &mut r);
                        }
                        self.ms[lo] = p;
                        self.ms[lo + 1] = q;
                    }
                    _ => {
                        for j in 0..m {
                            for (ms, chan) in self.ms[lo..hi].iter_mut().zip(&io[lo..hi]) {
                                let v = f64::from(chan[done + j]);
                                *ms = rms * *ms + irms * (v * v);
                            }
                            step(j, &mut r);
                        }
                    }
                }
                self.red[c] = r;
                for g in out[..m].iter_mut() {
                    *g = fast_exp2(*g * DB_TO_LOG2);
                }
            }
            if in_step {
                let r0 = self.red[0];
                self.red[..ch].fill(r0);
            }
            // The gains.
            for (c, chan) in io[..ch].iter_mut().enumerate() {
                let g = &gain[if smoothers == 1 { 0 } else { c }];
                for (x, &g) in chan[span.clone()].iter_mut().zip(&g[..m]) {
                    *x *= g;
                }
            }
            self.phase += m as u32;
            if self.phase >= FLUSH_EVERY {
                self.phase = 0;
                crate::processor::flush_below(&mut self.ms, FLUSH);
                crate::processor::flush_below(&mut self.red, FLUSH);
                self.key_ms = flush(self.key_ms);
            }
            done += m;
        }
    }
}

impl Compressor {
    /// Whether [`Compressor::process_pair`] can take this compressor: peak
    /// detector, linked, both channels' reductions in step (as they stay
    /// once linked).
    fn pairs(&self) -> bool {
        self.detector == Detector::Peak && self.link && self.red[0] == self.red[1]
    }

    /// Compresses the stereo block `a` with `self` and `b` with `other` at
    /// once, without keys: the two gain smoothers in one SSE register and
    /// the four channels' mean squares in one AVX register, so the
    /// recursion of one waits on the other's no longer. The same bits as
    /// each alone. Returns whether each output is all finite (checked on
    /// the way out), or `None`, having done nothing, where the pair does not
    /// fit (no AVX2, not two channels each, blocks of different lengths, an
    /// RMS detector, unlinked channels); the caller then runs each alone.
    pub fn process_pair(
        &mut self,
        other: &mut Compressor,
        a: &mut [&mut [f32]],
        b: &mut [&mut [f32]],
    ) -> Option<[bool; 2]> {
        #[cfg(target_arch = "x86_64")]
        {
            let frames = a.first().map_or(0, |r| r.len());
            let fits = crate::simd::has_avx2()
                && a.len() == 2
                && b.len() == 2
                && [a[1].len(), b[0].len(), b[1].len()] == [frames; 3]
                && self.pairs()
                && other.pairs();
            // SAFETY: the processor has AVX2 (checked just above).
            fits.then(|| unsafe { compress_pair_avx2(self, other, a, b) })
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (other, a, b);
            None
        }
    }

    /// The end of one run of `m` frames from `at` in a linked block whose
    /// smoother left the gains in dB in the first gain row: the gains in
    /// amplitude, applied to every channel, and the flush grid. Returns
    /// whether the run's output is all finite.
    #[inline(always)]
    fn finish_linked_run(&mut self, io: &mut [&mut [f32]], at: usize, m: usize) -> bool {
        for g in self.gain[0][..m].iter_mut() {
            *g = fast_exp2(*g * DB_TO_LOG2);
        }
        let (ch, r0) = (io.len().min(MAX_CHANNELS), self.red[0]);
        self.red[..ch].fill(r0);
        const EXPONENT: u32 = 0x7f80_0000;
        let mut bad = 0u32;
        for chan in io.iter_mut() {
            for (x, &g) in chan[at..at + m].iter_mut().zip(&self.gain[0][..m]) {
                *x *= g;
                bad |= u32::from(x.to_bits() & EXPONENT == EXPONENT);
            }
        }
        self.phase += m as u32;
        if self.phase >= FLUSH_EVERY {
            self.phase = 0;
            crate::processor::flush_below(&mut self.ms, FLUSH);
            crate::processor::flush_below(&mut self.red, FLUSH);
            self.key_ms = flush(self.key_ms);
        }
        bad == 0
    }
}

/// [`Compressor::process_pair`]: the unkeyed, linked, peak-detecting
/// branch of [`Compressor::process_body`] for two compressors, with the
/// recursive loop run for both at once.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn compress_pair_avx2(
    ca: &mut Compressor,
    cb: &mut Compressor,
    a: &mut [&mut [f32]],
    b: &mut [&mut [f32]],
) -> [bool; 2] {
    use std::arch::x86_64::{
        _mm_add_pd, _mm_blendv_pd, _mm_cmpgt_pd, _mm_cvtpd_ps, _mm_cvtss_f32, _mm_mul_pd,
        _mm_set_pd, _mm_set_ps, _mm_shuffle_ps, _mm_sub_ps, _mm256_add_pd, _mm256_mul_pd,
        _mm256_set_pd,
    };
    let frames = a[0].len();
    for c in [&mut *ca, &mut *cb] {
        c.active = 2;
        c.key_ms = 0.0;
    }
    let quad = |v: [f64; 4]| _mm256_set_pd(v[3], v[2], v[1], v[0]);
    let duo = |x: f64, y: f64| _mm_set_pd(y, x);
    let (ra, rb) = (ca.rms_coef, cb.rms_coef);
    let rms = quad([ra, ra, rb, rb]);
    let irms = quad([1.0 - ra, 1.0 - ra, 1.0 - rb, 1.0 - rb]);
    let att = duo(ca.attack_coef, cb.attack_coef);
    let rel = duo(ca.release_coef, cb.release_coef);
    let iatt = duo(1.0 - ca.attack_coef, 1.0 - cb.attack_coef);
    let irel = duo(1.0 - ca.release_coef, 1.0 - cb.release_coef);
    let makeup = _mm_set_ps(0.0, 0.0, cb.makeup_db, ca.makeup_db);
    let curves = [
        Curve::new(ca.threshold_db, ca.ratio, ca.knee_db),
        Curve::new(cb.threshold_db, cb.ratio, cb.knee_db),
    ];
    let mut done = 0;
    let mut finite = [true; 2];
    while done < frames {
        let m = ((FLUSH_EVERY - ca.phase).min(FLUSH_EVERY - cb.phase) as usize).min(frames - done);
        let span = done..done + m;
        // Levels (the louder channel's power) and the static curve, each
        // as alone.
        for ((c, io), curve) in [(&mut *ca, &*a), (&mut *cb, &*b)].into_iter().zip(curves) {
            let row = &mut c.level[0];
            loudest_power(&mut row[..m], io, span.clone());
            curve.reduce(&mut row[..m]);
        }
        // The smoothers and the mean squares they carry along.
        let mut ms = quad([ca.ms[0], ca.ms[1], cb.ms[0], cb.ms[1]]);
        let mut r = duo(ca.red[0], cb.red[0]);
        {
            let (ta, tb) = (&ca.level[0], &cb.level[0]);
            let (ga, gb) = (&mut ca.gain[0], &mut cb.gain[0]);
            for j in 0..m {
                let i = done + j;
                let x = quad([
                    f64::from(a[0][i]),
                    f64::from(a[1][i]),
                    f64::from(b[0][i]),
                    f64::from(b[1][i]),
                ]);
                ms = _mm256_add_pd(
                    _mm256_mul_pd(rms, ms),
                    _mm256_mul_pd(irms, _mm256_mul_pd(x, x)),
                );
                let t = duo(f64::from(ta[j]), f64::from(tb[j]));
                let up = _mm_add_pd(_mm_mul_pd(att, r), _mm_mul_pd(iatt, t));
                let down = _mm_add_pd(_mm_mul_pd(rel, r), _mm_mul_pd(irel, t));
                r = _mm_blendv_pd(down, up, _mm_cmpgt_pd(t, r));
                let g = _mm_sub_ps(makeup, _mm_cvtpd_ps(r));
                ga[j] = _mm_cvtss_f32(g);
                gb[j] = _mm_cvtss_f32(_mm_shuffle_ps::<1>(g, g));
            }
        }
        let mut lanes = [0.0f64; 4];
        // SAFETY: `lanes` holds four f64s, as the store writes.
        unsafe { std::arch::x86_64::_mm256_storeu_pd(lanes.as_mut_ptr(), ms) };
        ca.ms[..2].copy_from_slice(&lanes[..2]);
        cb.ms[..2].copy_from_slice(&lanes[2..]);
        let mut reds = [0.0f64; 2];
        // SAFETY: `reds` holds two f64s, as the store writes.
        unsafe { std::arch::x86_64::_mm_storeu_pd(reds.as_mut_ptr(), r) };
        ca.red[0] = reds[0];
        cb.red[0] = reds[1];
        finite[0] &= ca.finish_linked_run(a, done, m);
        finite[1] &= cb.finish_linked_run(b, done, m);
        done += m;
    }
    finite
}

/// A noise gate (ratio 1) or downward expander (ratio > 1), with hold and a
/// key input.
///
/// The detector is a one-pole mean square with a 10 ms window (RMS, in dB);
/// linked, the loudest channel decides, so the gate opens when any channel
/// is above the threshold. Above the threshold the gain is 0 dB. Below it,
/// a gate goes to −range, an expander to `(level − threshold)·(ratio − 1)`
/// dB floored at −range. Once the level falls below the threshold the gain
/// stays open for the hold time before it starts to close. The gain moves
/// in dB with the attack time constant while opening and the release one
/// while closing. A fresh (or reset) gate starts closed.
#[derive(Debug, Clone)]
pub struct Gate {
    threshold_db: f32,
    range_db: f32,
    ratio: f32,
    attack_ms: f32,
    hold_ms: f32,
    release_ms: f32,
    link: bool,
    rate: f32,
    attack_coef: f64,
    release_coef: f64,
    rms_coef: f64,
    hold_samples: u32,
    /// Mean square of each input channel.
    ms: [f64; MAX_CHANNELS],
    /// Mean square of the key input (mean over its channels).
    key_ms: f64,
    /// Gain per channel, dB ≤ 0.
    gain_db: [f64; MAX_CHANNELS],
    /// Samples of hold left per channel.
    hold_left: [u32; MAX_CHANNELS],
    active: usize,
}

impl Default for Gate {
    fn default() -> Gate {
        Gate::new()
    }
}

impl Gate {
    /// Threshold −50 dB, range 40 dB, ratio 1 (a gate), attack 1 ms, hold
    /// 50 ms, release 150 ms, linked.
    pub fn new() -> Gate {
        let mut g = Gate {
            threshold_db: -50.0,
            range_db: 40.0,
            ratio: 1.0,
            attack_ms: 1.0,
            hold_ms: 50.0,
            release_ms: 150.0,
            link: true,
            rate: DEFAULT_RATE,
            attack_coef: 0.0,
            release_coef: 0.0,
            rms_coef: 0.0,
            hold_samples: 0,
            ms: [0.0; MAX_CHANNELS],
            key_ms: 0.0,
            gain_db: [0.0; MAX_CHANNELS],
            hold_left: [0; MAX_CHANNELS],
            active: 0,
        };
        g.update_coefs();
        g.reset();
        g
    }

    fn update_coefs(&mut self) {
        self.attack_coef = time_coef(self.attack_ms, self.rate);
        self.release_coef = time_coef(self.release_ms, self.rate);
        self.rms_coef = time_coef(RMS_WINDOW_MS, self.rate);
        self.hold_samples = (self.hold_ms * 0.001 * self.rate).round() as u32;
    }

    /// Threshold in dB (−100..=0).
    pub fn set_threshold_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, -100.0, 0.0) {
            self.threshold_db = v;
        }
    }

    /// Largest attenuation in dB (0..=100).
    pub fn set_range_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, 0.0, 100.0) {
            self.range_db = v;
        }
    }

    /// Expansion ratio (1..=20; 1 is a gate).
    pub fn set_ratio(&mut self, ratio: f32) {
        if let Some(v) = finite_clamp(ratio, 1.0, 20.0) {
            self.ratio = v;
        }
    }

    /// Opening time constant in ms (0.05..=500).
    pub fn set_attack_ms(&mut self, ms: f32) {
        if let Some(v) = finite_clamp(ms, 0.05, 500.0) {
            self.attack_ms = v;
            self.attack_coef = time_coef(v, self.rate);
        }
    }

    /// Time the gain stays open after the level falls below the threshold,
    /// in ms (0..=2000).
    pub fn set_hold_ms(&mut self, ms: f32) {
        if let Some(v) = finite_clamp(ms, 0.0, 2000.0) {
            self.hold_ms = v;
            self.hold_samples = (v * 0.001 * self.rate).round() as u32;
        }
    }

    /// Closing time constant in ms (1..=5000).
    pub fn set_release_ms(&mut self, ms: f32) {
        if let Some(v) = finite_clamp(ms, 1.0, 5000.0) {
            self.release_ms = v;
            self.release_coef = time_coef(v, self.rate);
        }
    }

    /// Links the channels (one gain for all) or not (a gain per channel).
    pub fn set_link(&mut self, link: bool) {
        self.link = link;
    }

    /// The static gain in dB (≤ 0) for a detector level of `input_db` once
    /// settled, hold aside.
    pub fn static_gain_db(&self, input_db: f32) -> f32 {
        if input_db >= self.threshold_db {
            0.0
        } else if self.ratio <= 1.0 {
            -self.range_db
        } else {
            ((input_db - self.threshold_db) * (self.ratio - 1.0)).max(-self.range_db)
        }
    }

    /// Advances channel `c`'s hold and gain for a detector level of `level`
    /// dB and returns the linear gain.
    #[inline]
    fn step(&mut self, c: usize, level: f32) -> f32 {
        let target = if level >= self.threshold_db {
            self.hold_left[c] = self.hold_samples;
            0.0
        } else if self.hold_left[c] > 0 {
            self.hold_left[c] -= 1;
            0.0
        } else {
            self.static_gain_db(level)
        };
        let target = f64::from(target);
        let g = self.gain_db[c];
        let coef = if target > g {
            self.attack_coef
        } else {
            self.release_coef
        };
        let g = one_pole(g, target, coef);
        self.gain_db[c] = g;
        if g == 0.0 { 1.0 } else { db_gain(g as f32) }
    }
}

impl Processor for Gate {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        self.rate = rate.max(1) as f32;
        self.update_coefs();
        self.reset();
    }

    fn process(&mut self, io: &mut [&mut [f32]], sidechain: Option<&[&[f32]]>) {
        let (ch, frames) = block_shape(io);
        self.active = ch;
        let key = sidechain.filter(|k| !k.is_empty());
        if key.is_none() {
            self.key_ms = 0.0;
        }
        for i in 0..frames {
            for (m, chan) in self.ms[..ch].iter_mut().zip(io.iter()) {
                let x = f64::from(chan[i]);
                *m = one_pole(*m, x * x, self.rms_coef);
            }
            let shared = match key {
                Some(k) => Some(key_level(
                    k,
                    i,
                    Detector::Rms,
                    &mut self.key_ms,
                    self.rms_coef,
                )),
                None if self.link => {
                    Some(power_db(self.ms[..ch].iter().fold(0f64, |m, &v| m.max(v))))
                }
                None => None,
            };
            for (c, chan) in io[..ch].iter_mut().enumerate() {
                let level = shared.unwrap_or_else(|| power_db(self.ms[c]));
                chan[i] *= self.step(c, level);
            }
        }
    }

    fn reset(&mut self) {
        self.ms = [0.0; MAX_CHANNELS];
        self.key_ms = 0.0;
        self.gain_db = [-f64::from(self.range_db); MAX_CHANNELS];
        self.hold_left = [0; MAX_CHANNELS];
    }

    fn reduction_db(&self) -> f32 {
        self.gain_db[..self.active]
            .iter()
            .fold(0f32, |m, &g| m.max(-g as f32))
    }
}

/// Coefficients of a biquad (normalised, `a0 = 1`), run in transposed
/// direct form II.
#[derive(Debug, Clone, Copy)]
struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
}

impl Biquad {
    /// RBJ cookbook high-pass (`high`) or low-pass at `freq` Hz with `q`.
    fn rbj(high: bool, freq: f32, q: f32, rate: f32) -> Biquad {
        let w0 = 2.0 * std::f64::consts::PI * f64::from(freq) / f64::from(rate);
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * f64::from(q));
        let a0 = 1.0 + alpha;
        let (b0, b1) = if high {
            ((1.0 + cos) / 2.0, -(1.0 + cos))
        } else {
            ((1.0 - cos) / 2.0, 1.0 - cos)
        };
        Biquad {
            b0: (b0 / a0) as f32,
            b1: (b1 / a0) as f32,
            b2: (b0 / a0) as f32,
            a1: (-2.0 * cos / a0) as f32,
            a2: ((1.0 - alpha) / a0) as f32,
        }
    }

    #[inline]
    fn run(&self, s: &mut [f32; 2], x: f32) -> f32 {
        let y = self.b0 * x + s[0];
        let s0 = self.b1 * x - self.a1 * y + s[1];
        let s1 = self.b2 * x - self.a2 * y;
        s[0] = if s0.abs() < FLUSH_F32 { 0.0 } else { s0 };
        s[1] = if s1.abs() < FLUSH_F32 { 0.0 } else { s1 };
        y
    }
}

/// Attack of the de-esser's level follower, in ms.
const DEESS_ATTACK_MS: f32 = 0.5;
/// Release of the de-esser's level follower, in ms.
const DEESS_RELEASE_MS: f32 = 60.0;
/// Q of the de-esser's filters (Butterworth).
const DEESS_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// A de-esser: reduces sibilance found above a frequency.
///
/// Detector: the signal high-passed at the frequency (2nd-order RBJ, Q
/// 0.707), followed by a peak level follower (attack 0.5 ms, release 60
/// ms); linked, the loudest channel decides. The reduction is
/// `level − threshold` dB above the threshold (ratio ∞: the detected
/// band is held at the threshold) up to the range.
///
/// Split band: the signal is split at the frequency into a low band (a
/// 2nd-order RBJ low-pass, Q 0.707) and a high band `x − low`, so the two
/// add back to `x` exactly, and the reduction applies to the high band only.
/// (The complement of the low-pass is used rather than the detector's
/// high-pass because the high-pass output leads the input by up to 180°:
/// turning *it* down would leave sibilance just above the frequency almost
/// untouched, or louder.) Wide band: the reduction applies to the whole
/// signal. There is no key input.
#[derive(Debug, Clone)]
pub struct DeEsser {
    freq: f32,
    threshold_db: f32,
    range_db: f32,
    split: bool,
    link: bool,
    rate: f32,
    hp: Biquad,
    lp: Biquad,
    attack_coef: f64,
    release_coef: f64,
    hp_state: [[f32; 2]; MAX_CHANNELS],
    lp_state: [[f32; 2]; MAX_CHANNELS],
    /// Level follower of the high-passed signal, per channel (linear).
    env: [f64; MAX_CHANNELS],
    /// Reduction now applied per channel, dB ≥ 0.
    red: [f32; MAX_CHANNELS],
    active: usize,
}

impl Default for DeEsser {
    fn default() -> DeEsser {
        DeEsser::new()
    }
}

impl DeEsser {
    /// Frequency 6500 Hz, threshold −30 dB, range 10 dB, split band, linked.
    pub fn new() -> DeEsser {
        let mut d = DeEsser {
            freq: 6500.0,
            threshold_db: -30.0,
            range_db: 10.0,
            split: true,
            link: true,
            rate: DEFAULT_RATE,
            hp: Biquad::rbj(true, 6500.0, DEESS_Q, DEFAULT_RATE),
            lp: Biquad::rbj(false, 6500.0, DEESS_Q, DEFAULT_RATE),
            attack_coef: 0.0,
            release_coef: 0.0,
            hp_state: [[0.0; 2]; MAX_CHANNELS],
            lp_state: [[0.0; 2]; MAX_CHANNELS],
            env: [0.0; MAX_CHANNELS],
            red: [0.0; MAX_CHANNELS],
            active: 0,
        };
        d.update_coefs();
        d
    }

    fn update_coefs(&mut self) {
        let f = self.freq.min(0.45 * self.rate);
        self.hp = Biquad::rbj(true, f, DEESS_Q, self.rate);
        self.lp = Biquad::rbj(false, f, DEESS_Q, self.rate);
        self.attack_coef = time_coef(DEESS_ATTACK_MS, self.rate);
        self.release_coef = time_coef(DEESS_RELEASE_MS, self.rate);
    }

    /// Detection (and split) frequency in Hz (1000..=20000, and at most
    /// 0.45 × the sample rate).
    pub fn set_freq(&mut self, hz: f32) {
        if let Some(v) = finite_clamp(hz, 1000.0, 20_000.0) {
            self.freq = v;
            self.update_coefs();
        }
    }

    /// Threshold in dB (−100..=0) for the high-passed level.
    pub fn set_threshold_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, -100.0, 0.0) {
            self.threshold_db = v;
        }
    }

    /// Largest reduction in dB (0..=24).
    pub fn set_range_db(&mut self, db: f32) {
        if let Some(v) = finite_clamp(db, 0.0, 24.0) {
            self.range_db = v;
        }
    }

    /// Reduces the high band only (`true`) or the whole signal.
    pub fn set_split_band(&mut self, split: bool) {
        self.split = split;
    }

    /// Links the channels (one gain for all) or not (a gain per channel).
    pub fn set_link(&mut self, link: bool) {
        self.link = link;
    }

    /// The reduction in dB (≥ 0) for a detected level of `level_db`.
    pub fn static_reduction_db(&self, level_db: f32) -> f32 {
        (level_db - self.threshold_db).clamp(0.0, self.range_db)
    }
}

impl Processor for DeEsser {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        self.rate = rate.max(1) as f32;
        self.update_coefs();
        self.reset();
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let (ch, frames) = block_shape(io);
        self.active = ch;
        let mut low = [0f32; MAX_CHANNELS];
        for i in 0..frames {
            for (c, chan) in io[..ch].iter().enumerate() {
                let x = chan[i];
                let h = self.hp.run(&mut self.hp_state[c], x);
                low[c] = self.lp.run(&mut self.lp_state[c], x);
                let a = f64::from(h.abs());
                let coef = if a > self.env[c] {
                    self.attack_coef
                } else {
                    self.release_coef
                };
                self.env[c] = one_pole(self.env[c], a, coef);
            }
            let shared = self
                .link
                .then(|| self.env[..ch].iter().fold(0f64, |m, &e| m.max(e)));
            for (c, chan) in io[..ch].iter_mut().enumerate() {
                let level = amp_db(shared.unwrap_or(self.env[c]) as f32);
                let r = self.static_reduction_db(level);
                self.red[c] = r;
                if r > 0.0 {
                    let g = db_gain(-r);
                    let x = chan[i];
                    chan[i] = if self.split {
                        low[c] + g * (x - low[c])
                    } else {
                        g * x
                    };
                }
            }
        }
    }

    fn reset(&mut self) {
        self.hp_state = [[0.0; 2]; MAX_CHANNELS];
        self.lp_state = [[0.0; 2]; MAX_CHANNELS];
        self.env = [0.0; MAX_CHANNELS];
        self.red = [0.0; MAX_CHANNELS];
    }

    fn reduction_db(&self) -> f32 {
        self.red[..self.active].iter().fold(0f32, |m, &r| m.max(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::pairs::two_in_blocks;
    use std::f64::consts::PI;

    const RATE: u32 = 48_000;
    const FS: f64 = RATE as f64;

    /// A sine of `freq` Hz whose RMS level is `rms_db` dB.
    fn sine(freq: f64, rms_db: f64, n: usize) -> Vec<f32> {
        let amp = 2f64.sqrt() * 10f64.powf(rms_db / 20.0);
        (0..n)
            .map(|i| (amp * (2.0 * PI * freq * i as f64 / FS).sin()) as f32)
            .collect()
    }

    /// A ±a square wave (|x| constant) at `level_db` dB (its peak and RMS).
    fn square(level_db: f64, n: usize) -> Vec<f32> {
        let a = 10f64.powf(level_db / 20.0) as f32;
        (0..n)
            .map(|i| if (i / 24) % 2 == 0 { a } else { -a })
            .collect()
    }

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) - 0.5
            })
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
    }

    fn db(ratio: f64) -> f64 {
        20.0 * ratio.log10()
    }

    /// Amplitude of the `freq` Hz component of `x` (a window holding whole
    /// periods of every tone in it).
    fn tone_amp(x: &[f32], freq: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let w = 2.0 * PI * freq * i as f64 / FS;
            re += f64::from(v) * w.cos();
            im += f64::from(v) * w.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    /// Runs `p` over `chans` in blocks of `block` frames (with the key
    /// channels cut the same way).
    fn run(p: &mut dyn Processor, chans: &mut [Vec<f32>], key: Option<&[Vec<f32>]>, block: usize) {
        let n = chans[0].len();
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            let mut io: Vec<&mut [f32]> = chans.iter_mut().map(|c| &mut c[start..end]).collect();
            let k: Option<Vec<&[f32]>> = key.map(|k| k.iter().map(|c| &c[start..end]).collect());
            p.process(&mut io, k.as_deref());
            start = end;
        }
    }

    /// The test's own copy of the soft-knee static curve.
    fn curve(x: f64, t: f64, r: f64, w: f64) -> f64 {
        let d = x - t;
        if 2.0 * d < -w {
            0.0
        } else if w > 0.0 && 2.0 * d.abs() <= w {
            (1.0 / r - 1.0) * (d + w / 2.0).powi(2) / (2.0 * w)
        } else {
            d * (1.0 / r - 1.0)
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_compressor_gives_the_bits_of_the_baseline_one() {
        if !crate::simd::has_avx2() {
            return; // nothing to compare on this processor
        }
        let x: Vec<f32> = (0..9_000u32)
            .map(|i| (i as f32 * 0.031).sin() * (0.05 + (i / 1500) as f32 * 0.15))
            .collect();
        let y: Vec<f32> = x.iter().rev().map(|v| v * 0.7).collect();
        for (detector, link, keyed) in [
            (Detector::Peak, true, false),
            (Detector::Peak, false, false),
            (Detector::Rms, true, false),
            (Detector::Rms, false, false),
            (Detector::Peak, true, true),
            (Detector::Rms, true, true),
        ] {
            let run = |avx: bool| {
                let mut c = Compressor::new();
                c.prepare(48_000, 2, 512);
                c.set_detector(detector);
                c.set_link(link);
                let (mut a, mut b) = (x.clone(), y.clone());
                let key = [&y[..], &x[..]];
                for (k, (ca, cb)) in a.chunks_mut(333).zip(b.chunks_mut(333)).enumerate() {
                    let ks = [&key[0][k * 333..], &key[1][k * 333..]];
                    let side = keyed.then_some(&ks[..]);
                    let mut io = [ca, cb];
                    if avx {
                        // SAFETY: AVX2 was checked above.
                        unsafe { c.process_avx2(&mut io, side) };
                    } else {
                        c.process_body(&mut io, side);
                    }
                }
                (a, b, c.red)
            };
            let (base, wide) = (run(false), run(true));
            assert_ne!(base.0, x);
            assert!(base == wide, "{detector:?}, link {link}, keyed {keyed}");
        }
    }

    #[test]
    fn two_compressors_at_once_give_the_bits_of_each_alone() {
        // Bursts at several levels, so both attack and release run; the
        // two compressors differ in every setting, and `b` starts 23
        // samples into its flush grid.
        let burst = |seed: f32, n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| (i as f32 * seed).sin() * (0.02 + ((i / 700) % 5) as f32 * 0.2))
                .collect()
        };
        let len = 6_001;
        let rows: Vec<Vec<f32>> = [0.031, 0.047, 0.013, 0.071]
            .iter()
            .map(|&f| burst(f, len))
            .collect();
        let make = || {
            let mut a = Compressor::new();
            a.prepare(48_000, 2, len);
            let mut b = Compressor::new();
            b.prepare(48_000, 2, len);
            b.set_threshold_db(-30.0);
            b.set_ratio(8.0);
            b.set_knee_db(0.0);
            b.set_attack_ms(1.0);
            b.set_release_ms(40.0);
            b.set_makeup_db(3.0);
            let warm = vec![0.3f32; 23];
            b.process(&mut [&mut warm.clone()[..], &mut warm.clone()[..]], None);
            (a, b)
        };
        let mut paired_any = false;
        for block in [1usize, 7, 64, 500, len] {
            let (mut a, mut b) = make();
            let (mut alone_a, mut alone_b) = (a.clone(), b.clone());
            let mut want = rows.clone();
            let mut got = rows.clone();
            two_in_blocks(&mut want, block, |mut p, mut q| {
                alone_a.process(&mut p, None);
                alone_b.process(&mut q, None);
            });
            two_in_blocks(&mut got, block, |mut p, mut q| {
                if let Some(finite) = a.process_pair(&mut b, &mut p, &mut q) {
                    assert_eq!(finite, [true; 2]);
                    paired_any = true;
                } else {
                    a.process(&mut p, None);
                    b.process(&mut q, None);
                }
            });
            assert_ne!(want[0], rows[0]);
            assert!(want == got, "block {block}");
            assert_eq!(
                (a.red, a.ms, a.phase),
                (alone_a.red, alone_a.ms, alone_a.phase)
            );
            assert_eq!(
                (b.red, b.ms, b.phase),
                (alone_b.red, alone_b.ms, alone_b.phase)
            );
        }
        assert_eq!(paired_any, crate::simd::has_avx2());
        // Pairs that do not fit are refused, untouched.
        let (mut a, mut b) = make();
        let mut four = rows.clone();
        two_in_blocks(&mut four, len, |mut p, mut q| {
            for (detector, link) in [(Detector::Rms, true), (Detector::Peak, false)] {
                b.set_detector(detector);
                b.set_link(link);
                assert!(a.process_pair(&mut b, &mut p, &mut q).is_none());
            }
            b.set_detector(Detector::Peak);
            b.set_link(true);
            assert!(a.process_pair(&mut b, &mut p[..1], &mut q[..1]).is_none());
        });
        assert!(four == rows);
        // A non-finite output is flagged on its side only.
        if crate::simd::has_avx2() {
            for side in 0..2 {
                let (mut a, mut b) = make();
                let mut four = rows.clone();
                four[2 * side][4_321] = f32::NAN;
                let mut finite = None;
                two_in_blocks(&mut four, len, |mut p, mut q| {
                    finite = a.process_pair(&mut b, &mut p, &mut q);
                });
                let want = if side == 0 {
                    [false, true]
                } else {
                    [true, false]
                };
                assert_eq!(finite, Some(want), "side {side}");
            }
        }
    }

    #[test]
    fn the_static_curve_in_eights_gives_the_bits_of_the_curve_one_by_one() {
        // Powers from −240 dB to +20 dB in steps finer than the margin of
        // the quiet test, with zeros and a NaN, for hard and soft knees.
        let mut powers: Vec<f32> = (0..26_000)
            .map(|i| 10f32.powf((-240.0 + i as f32 * 0.01) / 10.0))
            .collect();
        powers.extend([0.0, -0.0, f32::NAN, 1e-21, 1e-20]);
        for (threshold, knee) in [(-24.0, 6.0), (-40.0, 0.0), (-3.0, 12.0), (-100.0, 24.0)] {
            let curve = Curve::new(threshold, 3.0, knee);
            let mut got = powers.clone();
            curve.reduce(&mut got);
            let want: Vec<u32> = powers
                .iter()
                .map(|&p| curve.reduction(p).to_bits())
                .collect();
            let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "threshold {threshold}, knee {knee}");
        }
    }

    #[test]
    fn static_curve_formula() {
        let mut c = Compressor::new();
        c.set_threshold_db(-20.0);
        c.set_ratio(4.0);
        c.set_knee_db(6.0);
        assert_eq!(c.static_gain_db(-30.0), 0.0);
        assert_eq!(c.static_gain_db(-23.0), 0.0);
        assert!((c.static_gain_db(-20.0) - (-0.75 * 9.0 / 12.0)).abs() < 1e-6);
        assert!((c.static_gain_db(0.0) + 15.0).abs() < 1e-5);
        // Continuous at the knee's ends.
        assert!((c.static_gain_db(-17.0) - c.static_gain_db(-16.9999)).abs() < 1e-3);
    }

    #[test]
    fn compressor_static_curve_on_steady_sines() {
        // RMS detector, 1 kHz sines; the level is the sine's RMS in dB
        // (-40..=0 dB RMS, so the loudest peaks at +3 dBFS). Output vs input
        // RMS over the last 100 ms (100 periods) after 300 ms of settling.
        let mut worst = 0f64;
        for knee in [0.0, 6.0, 12.0] {
            for ratio in [2.0, 4.0, 10.0] {
                for step in 0..=20 {
                    let level = -40.0 + 2.0 * f64::from(step);
                    let mut c = Compressor::new();
                    c.set_detector(Detector::Rms);
                    c.set_threshold_db(-20.0);
                    c.set_ratio(ratio as f32);
                    c.set_knee_db(knee as f32);
                    c.prepare(RATE, 1, 19_200);
                    let x = sine(1000.0, level, 19_200);
                    let mut chans = [x.clone()];
                    run(&mut c, &mut chans, None, 19_200);
                    let tail = 14_400..19_200;
                    let got = db(rms(&chans[0][tail.clone()]) / rms(&x[tail]));
                    let want = curve(level, -20.0, ratio, knee);
                    let err = (got - want).abs();
                    worst = worst.max(err);
                    assert!(
                        err < 0.1,
                        "knee {knee} ratio {ratio} level {level}: {got:.3} vs {want:.3}"
                    );
                }
            }
        }
    }

    #[test]
    fn compressor_static_curve_peak_detector_on_squares() {
        // Peak detector on a ±a square: |x| is constant, so the detector is
        // exact and so is the gain; makeup adds on top.
        let mut worst = 0f64;
        for knee in [0.0, 6.0, 12.0] {
            for ratio in [2.0, 4.0, 10.0] {
                for step in 0..=20 {
                    let level = -40.0 + 2.0 * f64::from(step);
                    let mut c = Compressor::new();
                    c.set_threshold_db(-20.0);
                    c.set_ratio(ratio as f32);
                    c.set_knee_db(knee as f32);
                    c.set_makeup_db(3.0);
                    c.prepare(RATE, 1, 9_600);
                    let x = square(level, 9_600);
                    let mut chans = [x.clone()];
                    run(&mut c, &mut chans, None, 9_600);
                    let got = db(f64::from(chans[0][9_599] / x[9_599]));
                    let want = curve(level, -20.0, ratio, knee) + 3.0;
                    let err = (got - want).abs();
                    worst = worst.max(err);
                    assert!(
                        err < 1e-3,
                        "knee {knee} ratio {ratio} level {level}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn compressor_attack_and_release_time_constants() {
        // DC steps -40 -> 0 -> -40 dBFS, peak detector (exact), threshold
        // -20, ratio 100: the reduction covers 63.2 % of its way after the
        // attack time, and recovers 63.2 % after the release time.
        for (attack, release) in [(10.0f32, 120.0f32), (2.0, 500.0), (50.0, 40.0)] {
            let mut c = Compressor::new();
            c.set_threshold_db(-20.0);
            c.set_ratio(100.0);
            c.set_attack_ms(attack);
            c.set_release_ms(release);
            c.prepare(RATE, 1, 512);
            let (s1, s2, n) = (24_000, 72_000, 192_000);
            let x: Vec<f32> = (0..n)
                .map(|i| if (s1..s2).contains(&i) { 1.0 } else { 0.01 })
                .collect();
            let mut red = Vec::with_capacity(n);
            for &v in &x {
                let mut s = [v];
                c.process(&mut [&mut s[..]], None);
                red.push(-db(f64::from(s[0] / v)));
                assert!((c.reduction_db() as f64 - red[red.len() - 1]).abs() < 1e-4);
            }
            let full = -curve(0.0, -20.0, 100.0, 6.0);
            let frac = 1.0 - (-1f64).exp();
            let a = (s1..s2).find(|&i| red[i] >= frac * full).unwrap_or(s2) - s1 + 1;
            let at = red[s2 - 1];
            assert!((at - full).abs() < 1e-3, "{at} vs {full}");
            let r = (s2..n).find(|&i| red[i] <= (1.0 - frac) * at).unwrap_or(n) - s2 + 1;
            let a_ms = a as f64 * 1000.0 / FS;
            let r_ms = r as f64 * 1000.0 / FS;
            assert!(
                (a_ms / f64::from(attack) - 1.0).abs() < 0.02,
                "attack {a_ms}"
            );
            assert!(
                (r_ms / f64::from(release) - 1.0).abs() < 0.02,
                "release {r_ms}"
            );
        }
    }

    #[test]
    fn compressor_sidechain_ducks_music_under_dialogue() {
        // Music: 220 Hz at -10 dB RMS on the input (above the threshold, but
        // the detector reads the key). Key: stereo 1 kHz "dialogue" at -10 dB
        // RMS from 1 s to 2 s. Expected duck: the static curve at -10 dB.
        let n = 4 * RATE as usize;
        let music = sine(220.0, -10.0, n);
        let burst: Vec<f32> = sine(1000.0, -10.0, n)
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if (48_000..96_000).contains(&i) {
                    v
                } else {
                    0.0
                }
            })
            .collect();
        let key = [burst.clone(), burst];
        let mut c = Compressor::new();
        c.set_detector(Detector::Rms);
        c.set_threshold_db(-30.0);
        c.set_ratio(4.0);
        c.prepare(RATE, 2, 480);
        let mut chans = [music.clone(), music.clone()];
        run(&mut c, &mut chans, Some(&key), 480);
        let expected = f64::from(c.static_gain_db(-10.0));
        // 1.3 s .. 1.9 s: 132 whole periods of 220 Hz.
        let during = 62_400..(62_400 + 28_800);
        for ch in &chans {
            let got = db(rms(&ch[during.clone()]) / rms(&music[during.clone()]));
            assert!((got - expected).abs() < 0.1, "{got} vs {expected}");
            let before = db(rms(&ch[9_600..45_600]) / rms(&music[9_600..45_600]));
            assert!(before.abs() < 0.01, "before {before}");
            assert_eq!(&ch[..48_000], &music[..48_000]);
            let after = 168_000..n;
            let got = db(rms(&ch[after.clone()]) / rms(&music[after]));
            assert!(got.abs() < 0.01, "after {got}");
        }
        // Without a key, the same compressor compresses the music itself.
        c.reset();
        let mut chans = [music.clone()];
        run(&mut c, &mut chans, None, 480);
        let got = db(rms(&chans[0][96_000..]) / rms(&music[96_000..]));
        assert!((got - expected).abs() < 0.1);
    }

    #[test]
    fn compressor_link() {
        // Left: a loud tone (0 dB RMS). Right: a quiet tone (-40 dB RMS),
        // below the threshold on its own.
        let n = 24_000;
        let l = sine(1000.0, 0.0, n);
        let r = sine(500.0, -40.0, n);
        let tail = 19_200..n;
        for detector in [Detector::Peak, Detector::Rms] {
            let mut c = Compressor::new();
            c.set_detector(detector);
            c.set_attack_ms(5.0);
            c.set_release_ms(500.0);
            c.prepare(RATE, 2, n);
            let mut chans = [l.clone(), r.clone()];
            run(&mut c, &mut chans, None, 256);
            let gl = db(rms(&chans[0][tail.clone()]) / rms(&l[tail.clone()]));
            let gr = db(rms(&chans[1][tail.clone()]) / rms(&r[tail.clone()]));
            assert!(gl < -5.0, "{gl}");
            assert!((gl - gr).abs() < 0.05, "linked: {gl} vs {gr}");
            assert!((f64::from(c.reduction_db()) + gl).abs() < 1.0);
            if detector == Detector::Rms {
                // Linked RMS: the mean of the channels' mean squares.
                let level = 10.0 * ((2.0 + 2e-4) / 2.0f64 / 2.0).log10();
                let want = curve(level, -20.0, 4.0, 6.0);
                assert!((gl - want).abs() < 0.1, "{gl} vs {want}");
            }
            c.set_link(false);
            c.reset();
            let mut chans = [l.clone(), r.clone()];
            run(&mut c, &mut chans, None, 256);
            let gl2 = db(rms(&chans[0][tail.clone()]) / rms(&l[tail.clone()]));
            match detector {
                // The left channel is the loudest: the same gain either way.
                Detector::Peak => assert!((gl2 - gl).abs() < 1e-4, "{gl2} vs {gl}"),
                // Linked, its mean square was averaged with the quiet one.
                Detector::Rms => assert!(gl2 < gl - 1.0, "unlinked left {gl2} vs linked {gl}"),
            }
            assert_eq!(chans[1], r, "unlinked: the quiet channel is untouched");
        }
    }

    #[test]
    fn gate_range_unity_and_expander() {
        let n = 96_000;
        // Open first (-20 dB), then -60 dB (10 under the threshold): after
        // hold and release the output settles at -range.
        let mut x = sine(1000.0, -20.0, n);
        x[24_000..].copy_from_slice(&sine(1000.0, -60.0, n)[24_000..]);
        let mut g = Gate::new();
        g.prepare(RATE, 1, 512);
        let mut chans = [x.clone()];
        run(&mut g, &mut chans, None, 512);
        assert_eq!(&chans[0][4_800..24_000], &x[4_800..24_000], "open: unity");
        let tail = 86_400..n;
        let got = db(rms(&chans[0][tail.clone()]) / rms(&x[tail.clone()]));
        assert!((got + 40.0).abs() < 0.1, "{got}");
        assert!((g.reduction_db() - 40.0).abs() < 0.1);
        // Expander, ratio 2: 10 dB under the threshold -> -10 dB.
        g.set_ratio(2.0);
        g.reset();
        let mut chans = [x.clone()];
        run(&mut g, &mut chans, None, 512);
        let got = db(rms(&chans[0][tail.clone()]) / rms(&x[tail.clone()]));
        assert!((got + 10.0).abs() < 0.1, "{got}");
        assert_eq!(g.static_gain_db(-100.0), -40.0, "floored at -range");
        // Above the threshold from a closed start: unity once opened.
        g.set_ratio(1.0);
        g.reset();
        let y = sine(1000.0, -40.0, 9_600);
        let mut chans = [y.clone()];
        run(&mut g, &mut chans, None, 512);
        assert!(
            chans[0][..48]
                .iter()
                .zip(&y)
                .all(|(a, b)| a.abs() < b.abs() + 1e-9)
        );
        assert_eq!(&chans[0][4_800..], &y[4_800..]);
        assert_eq!(g.reduction_db(), 0.0);
    }

    #[test]
    fn gate_holds_open_for_the_hold_time() {
        // DC at -40 dB then -80 dB: the RMS detector (10 ms) crosses the
        // -50 dB threshold 10 ms·ln(10) = 23.03 ms after the drop; the gain
        // then stays at 0 dB for the hold time before it starts to fall.
        for hold in [0.0f32, 50.0, 200.0] {
            let mut g = Gate::new();
            g.set_hold_ms(hold);
            g.prepare(RATE, 1, 64);
            let drop = 24_000;
            let x: Vec<f32> = (0..72_000)
                .map(|i| if i < drop { 0.01 } else { 1e-4 })
                .collect();
            let mut red = Vec::new();
            for &v in &x {
                let mut s = [v];
                g.process(&mut [&mut s[..]], None);
                red.push(g.reduction_db());
            }
            assert_eq!(red[drop - 1], 0.0);
            let closes = (drop..x.len()).find(|&i| red[i] > 0.0).unwrap_or(x.len());
            let ms = (closes - drop) as f64 * 1000.0 / FS;
            let want = 10.0 * 10f64.ln() + f64::from(hold);
            assert!((ms - want).abs() < 0.1, "{ms} vs {want}");
        }
    }

    #[test]
    fn gate_key_input_and_link() {
        let n = 48_000;
        let quiet = sine(300.0, -70.0, n);
        let tail = 38_400..n;
        // Keyed: the key (above the threshold) opens the gate for a quiet
        // input; an empty key leaves it closed.
        let key = [sine(1000.0, -20.0, n)];
        let mut g = Gate::new();
        g.prepare(RATE, 1, 480);
        let mut chans = [quiet.clone()];
        run(&mut g, &mut chans, Some(&key), 480);
        assert_eq!(&chans[0][tail.clone()], &quiet[tail.clone()]);
        g.reset();
        let silent = [vec![0.0; n]];
        let mut chans = [quiet.clone()];
        run(&mut g, &mut chans, Some(&silent), 480);
        let got = db(rms(&chans[0][tail.clone()]) / rms(&quiet[tail.clone()]));
        assert!((got + 40.0).abs() < 0.1);
        // Link: a signal in the left channel only opens both when linked.
        let loud = sine(1000.0, -20.0, n);
        g.reset();
        let mut chans = [loud.clone(), quiet.clone()];
        run(&mut g, &mut chans, None, 480);
        assert_eq!(&chans[1][tail.clone()], &quiet[tail.clone()]);
        g.set_link(false);
        g.reset();
        let mut chans = [loud.clone(), quiet.clone()];
        run(&mut g, &mut chans, None, 480);
        assert_eq!(&chans[0][tail.clone()], &loud[tail.clone()]);
        let got = db(rms(&chans[1][tail.clone()]) / rms(&quiet[tail.clone()]));
        assert!((got + 40.0).abs() < 0.1, "unlinked right {got}");
        assert!((g.reduction_db() - 40.0).abs() < 0.1);
    }

    #[test]
    fn de_esser_reduces_sibilance_and_leaves_the_voice() {
        // 500 Hz "voice" at -10 dBFS peak throughout, 7 kHz "sibilance" at
        // -10 dBFS peak from 0.2 s to 0.6 s. Measured 0.3 .. 0.5 s (whole
        // periods of both) by projecting on each tone.
        let n = 38_400;
        let voice = sine(500.0, -13.0103, n);
        let ess: Vec<f32> = sine(7000.0, -13.0103, n)
            .iter()
            .enumerate()
            .map(|(i, &v)| if (9_600..28_800).contains(&i) { v } else { 0.0 })
            .collect();
        let mix: Vec<f32> = voice.iter().zip(&ess).map(|(a, b)| a + b).collect();
        let w = 14_400..24_000;
        let measure = |split: bool, input: &[f32]| {
            let mut d = DeEsser::new();
            d.set_split_band(split);
            d.prepare(RATE, 1, 512);
            let mut chans = [input.to_vec()];
            run(&mut d, &mut chans, None, 512);
            let out = &chans[0];
            let v = db(tone_amp(&out[w.clone()], 500.0) / tone_amp(&input[w.clone()], 500.0));
            let e = db(tone_amp(&out[w.clone()], 7000.0) / tone_amp(&input[w.clone()], 7000.0));
            (v, e, d.reduction_db(), out.clone())
        };
        let (v, e, _, out) = measure(true, &mix);
        assert!(e < -3.0, "sibilance {e}");
        assert!(v.abs() < 0.1, "voice {v}");
        // Before the burst the voice passes bit for bit.
        assert_eq!(&out[..9_600], &mix[..9_600]);
        let (v, e, _, _) = measure(false, &mix);
        assert!((e + 10.0).abs() < 0.2, "wide-band sibilance {e}");
        assert!(
            (v + 10.0).abs() < 0.2,
            "wide band turns the voice down too {v}"
        );
        // The voice alone is untouched, in either mode.
        for split in [true, false] {
            let (_, _, red, out) = measure(split, &voice);
            assert_eq!(red, 0.0);
            assert_eq!(out, voice);
        }
        // The sibilance burst alone: reduced, the meter shows the range
        // during the burst and nothing once it has died away.
        let (_, e, red, _) = measure(true, &ess);
        assert!(e < -3.0 && red == 0.0, "{e}");
        let mut d = DeEsser::new();
        d.prepare(RATE, 1, 24_000);
        let mut chans = [ess[..24_000].to_vec()];
        run(&mut d, &mut chans[..], None, 24_000);
        assert!((d.reduction_db() - 10.0).abs() < 1e-4);
    }

    #[test]
    fn de_esser_link() {
        let n = 19_200;
        let ess = sine(7000.0, -13.0, n);
        let voice = sine(500.0, -13.0, n);
        let tail = 9_600..n;
        let mut d = DeEsser::new();
        d.set_split_band(false);
        d.prepare(RATE, 2, 512);
        let mut chans = [ess.clone(), voice.clone()];
        run(&mut d, &mut chans, None, 512);
        let got = db(rms(&chans[1][tail.clone()]) / rms(&voice[tail.clone()]));
        assert!((got + 10.0).abs() < 0.01, "linked {got}");
        d.set_link(false);
        d.reset();
        let mut chans = [ess.clone(), voice.clone()];
        run(&mut d, &mut chans, None, 512);
        assert_eq!(chans[1], voice);
        assert!((d.reduction_db() - 10.0).abs() < 1e-4);
    }

    /// A test signal with level changes, stereo, and a key.
    fn programme(n: usize) -> ([Vec<f32>; 2], [Vec<f32>; 2]) {
        let env = |i: usize| [0.01f32, 0.5, 0.0001, 1.2, 0.05][(i / 3_000) % 5];
        let mk = |seed: u32, tone: f64| -> Vec<f32> {
            let s = sine(tone, -6.0, n);
            noise(n, seed)
                .iter()
                .zip(&s)
                .enumerate()
                .map(|(i, (a, b))| env(i) * (a + b))
                .collect()
        };
        ([mk(1, 440.0), mk(2, 7000.0)], [mk(3, 200.0), mk(4, 3000.0)])
    }

    fn block_independence(p: &mut dyn Processor, keyed: bool) {
        let n = 24_000;
        let (input, key) = programme(n);
        let key = keyed.then_some(&key[..]);
        p.prepare(RATE, 2, n);
        let mut whole = input.clone();
        run(p, &mut whole, key, n);
        for block in [1, 7, 64, 480, n] {
            p.reset();
            let mut out = input.clone();
            run(p, &mut out, key, block);
            assert_eq!(out, whole, "block {block}");
        }
        assert_ne!(whole, input, "the processor did something");
    }

    #[test]
    fn block_size_independence() {
        for detector in [Detector::Peak, Detector::Rms] {
            for link in [true, false] {
                for keyed in [false, true] {
                    let mut c = Compressor::new();
                    c.set_detector(detector);
                    c.set_link(link);
                    block_independence(&mut c, keyed);
                }
            }
        }
        for ratio in [1.0, 3.0] {
            for keyed in [false, true] {
                let mut g = Gate::new();
                g.set_ratio(ratio);
                g.set_threshold_db(-30.0);
                block_independence(&mut g, keyed);
            }
        }
        for split in [true, false] {
            for link in [true, false] {
                let mut d = DeEsser::new();
                d.set_split_band(split);
                d.set_link(link);
                block_independence(&mut d, false);
            }
        }
    }

    #[test]
    fn setters_clamp_and_ignore_non_finite() {
        let mut c = Compressor::new();
        c.set_ratio(f32::NAN);
        c.set_threshold_db(f32::INFINITY);
        assert_eq!(
            c.static_gain_db(0.0),
            compressor_curve(0.0, -20.0, 4.0, 6.0)
        );
        c.set_ratio(1e6);
        c.set_knee_db(-3.0);
        assert_eq!(
            c.static_gain_db(0.0),
            compressor_curve(0.0, -20.0, 100.0, 0.0)
        );
        c.set_attack_ms(0.0);
        c.set_release_ms(1e9);
        assert_eq!(c.attack_coef, time_coef(0.05, 48_000.0));
        assert_eq!(c.release_coef, time_coef(5000.0, 48_000.0));
        let mut g = Gate::new();
        g.set_range_db(500.0);
        g.set_ratio(f32::NAN);
        assert_eq!(g.static_gain_db(-200.0), -100.0);
        g.set_hold_ms(-1.0);
        assert_eq!(g.hold_samples, 0);
        let mut d = DeEsser::new();
        d.set_range_db(100.0);
        d.set_freq(f32::NAN);
        assert_eq!(d.freq, 6500.0);
        d.set_freq(1e6);
        assert_eq!(d.freq, 20_000.0);
        assert_eq!(d.static_reduction_db(0.0), 24.0);
        // At 32 kHz the frequency stays below Nyquist; silence stays silent
        // and finite through every processor.
        d.prepare(32_000, 1, 64);
        let mut s = [0f32; 64];
        d.process(&mut [&mut s[..]], None);
        assert!(s.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn denormal_free_tails() {
        // After a loud burst then silence, every recursive state decays to
        // exact zeros instead of denormals.
        let mut c = Compressor::new();
        c.set_detector(Detector::Rms);
        let mut g = Gate::new();
        let mut d = DeEsser::new();
        let procs: [&mut dyn Processor; 3] = [&mut c, &mut g, &mut d];
        for p in procs {
            p.prepare(RATE, 1, 4_800);
            let mut x = noise(4_800, 9);
            p.process(&mut [&mut x[..]], None);
            for _ in 0..200 {
                let mut z = vec![0f32; 4_800];
                p.process(&mut [&mut z[..]], None);
            }
        }
        assert!(c.ms[0] == 0.0 && c.red[0] == 0.0);
        assert_eq!(g.ms[0], 0.0);
        assert!(d.env[0] == 0.0 && d.hp_state[0] == [0.0; 2] && d.lp_state[0] == [0.0; 2]);
    }

    #[test]
    fn fast_log_and_exp_are_exact_enough() {
        // Over the whole range a detector or a gain can take: log2 within
        // 4e-6 (1.2e-5 dB of power), exp2 within 4e-7 relative, and
        // exactly 1 for 0 dB.
        let mut worst_log = 0f64;
        let mut x = 1e-20f32;
        while x < 1e6 {
            let err = (f64::from(fast_log2(x)) - f64::from(x).log2()).abs();
            worst_log = worst_log.max(err);
            x *= 1.001_3;
        }
        assert!(worst_log < 4e-6, "log2 off by {worst_log}");
        let mut worst_exp = 0f64;
        let mut y = -40.0f32;
        while y < 8.0 {
            let want = 2f64.powf(f64::from(y));
            let err = ((f64::from(fast_exp2(y)) - want) / want).abs();
            worst_exp = worst_exp.max(err);
            y += 0.000_97;
        }
        assert!(worst_exp < 4e-7, "exp2 off by {worst_exp}");
        assert_eq!(fast_exp2(0.0), 1.0);
        assert_eq!(fast_exp2(1.0), 2.0);
        assert_eq!(fast_exp2(-3.0), 0.125);
    }
}
