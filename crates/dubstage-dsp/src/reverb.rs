//! An algorithmic stereo reverb for worldizing dialogue and Foley on an FX
//! return: small room, room, hall, car interior and exterior slap.
//!
//! Signal flow, per frame: the input (the two channels summed to mono) goes
//! through a pre-delay line (up to 250 ms), then two ways:
//!
//! - an early-reflection tap line, with different taps for left and right,
//!   which gives the room its character (for [`ReverbPreset::ExteriorSlap`]
//!   these are the discrete slap echoes, 60–200 ms);
//! - four series allpasses (input diffusion) into a feedback delay network
//!   of eight lines mixed by a Hadamard matrix. Each line's gain comes from
//!   the RT60, `g = 10^(−3·delay/(RT60·rate))`, so every line decays at the
//!   same rate, and a first-order high shelf in each line shortens the decay
//!   above about 3 kHz by `damping` (the low and mid decay stays the set
//!   RT60). Left and right read the lines through orthogonal output vectors,
//!   so the two tails are decorrelated.
//!
//! The wet signal then gets the preset's tone (high-pass, low-pass and, for
//! the car, a low-mid bump) and is mixed with the dry signal.
//!
//! Channels: one channel (a mono strip) gives a mono reverb (the eight lines
//! through a third output vector and both reflection sets summed, ·0.707);
//! two channels are summed into the network and come out as stereo; with
//! more than two channels only the first two are processed and the others
//! pass through untouched.
//!
//! Latency is 0 (the pre-delay is the effect itself). Recursive state is
//! flushed to zero below 1e-20, so the tail ends in exact silence rather
//! than in denormals. Changes: the mix glides over 10 ms; a pre-delay
//! change crossfades between the old and new taps over 5 ms; a preset
//! change fades the wet out over 10 ms, clears the tail (the pre-delay and
//! reflection lines keep their input history), switches the structure and
//! fades the wet back in. Every buffer is sized in `prepare` for the largest
//! preset and the longest pre-delay, so nothing allocates afterwards.

use crate::processor::Processor;
use std::f32::consts::{FRAC_1_SQRT_2, PI};

/// Longest pre-delay, in milliseconds.
pub const MAX_PREDELAY_MS: f32 = 250.0;
/// Shortest decay time (RT60), in seconds.
pub const MIN_DECAY_S: f32 = 0.1;
/// Longest decay time (RT60), in seconds.
pub const MAX_DECAY_S: f32 = 10.0;

const LINES: usize = 8;
const DIFFUSERS: usize = 4;
const ER_TAPS: usize = 8;

/// Wet fade-out (and fade-in) around a preset change, in seconds.
const PRESET_FADE_S: f32 = 0.01;
/// Crossfade between the old and new pre-delay taps, in seconds.
const PREDELAY_GLIDE_S: f32 = 0.005;
/// Time the mix takes to travel the whole 0..1 range, in seconds.
const MIX_GLIDE_S: f32 = 0.01;
/// Recursive state below this is set to zero.
const DENORMAL: f32 = 1e-20;
/// Crossover of the damping shelf in the feedback lines, in Hz.
const SHELF_HZ: f32 = 3000.0;

/// Feedback line lengths at size 1, in milliseconds (ascending).
const LINE_MS: [f32; LINES] = [29.7, 35.3, 39.1, 44.2, 48.9, 53.6, 59.3, 66.8];
/// Input allpass lengths at diffuser size 1, in milliseconds.
const DIFFUSER_MS: [f32; DIFFUSERS] = [1.7, 2.9, 4.3, 6.1];
/// Input allpass gains at diffusion 1.
const DIFFUSER_GAIN: [f32; DIFFUSERS] = [0.75, 0.7, 0.65, 0.6];
/// How the diffused input enters each line.
const IN_SIGNS: [f32; LINES] = [1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0, -1.0];
/// Output vectors: left and right are orthogonal; mono uses every line.
const OUT_L: [f32; LINES] = [1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0];
const OUT_R: [f32; LINES] = [1.0, -1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0];
const OUT_M: [f32; LINES] = [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0];
/// Gain of each output vector element (the vectors have norm 1 at 1/√8).
const OUT_GAIN: f32 = 0.5;

/// Early-reflection pattern, as fractions of the preset's span, and gains.
const ER_L: [(f32, f32); ER_TAPS] = [
    (0.0, 0.9),
    (0.11, -0.75),
    (0.23, 0.62),
    (0.31, -0.55),
    (0.46, 0.45),
    (0.58, -0.38),
    (0.77, 0.3),
    (1.0, -0.24),
];
const ER_R: [(f32, f32); ER_TAPS] = [
    (0.04, 0.85),
    (0.15, 0.7),
    (0.19, -0.6),
    (0.36, 0.52),
    (0.5, -0.43),
    (0.66, 0.36),
    (0.83, -0.29),
    (0.95, 0.22),
];
/// Exterior slap echoes (ms, gain): a few discrete returns off buildings.
const SLAP_L: [(f32, f32); ER_TAPS] = [
    (68.0, 0.72),
    (121.0, -0.5),
    (176.0, 0.34),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
];
const SLAP_R: [(f32, f32); ER_TAPS] = [
    (83.0, 0.66),
    (139.0, -0.46),
    (193.0, 0.3),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
    (0.0, 0.0),
];

/// A room to put a sound in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverbPreset {
    /// A small furnished room: short, close reflections.
    SmallRoom,
    /// A medium room.
    Room,
    /// A concert hall or large interior: long, smooth tail.
    Hall,
    /// A car interior: very short, dense, boxy, low-mid coloured.
    Car,
    /// Outdoors between buildings: discrete slap echoes, little tail.
    ExteriorSlap,
}

/// The user-facing reverb settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReverbSettings {
    /// Delay before the reverb starts, 0..=250 ms.
    pub predelay_ms: f32,
    /// Decay time (RT60) of the tail below the damping shelf, 0.1..=10 s.
    pub decay_s: f32,
    /// High-frequency damping in the feedback, 0..=1 (0: the highs decay as
    /// long as the mids; 1: about a seventh as long).
    pub damping: f32,
    /// Wet/dry balance, 0 (dry) ..= 1 (wet only, for an FX return).
    pub mix: f32,
}

/// The structure behind a preset.
#[derive(Debug, Clone, Copy)]
struct Character {
    /// Scale of the feedback lines.
    size: f32,
    /// Scale of the input allpass gains.
    diffusion: f32,
    /// Scale of the input allpass lengths.
    diffuser_size: f32,
    /// Span of the early-reflection pattern, ms (unused for the slap).
    er_span_ms: f32,
    er_level: f32,
    tail_level: f32,
    hp_hz: f32,
    lp_hz: f32,
    peak_hz: f32,
    peak_db: f32,
    peak_q: f32,
}

impl ReverbPreset {
    /// Every preset, in menu order.
    pub const ALL: [ReverbPreset; 5] = [
        ReverbPreset::SmallRoom,
        ReverbPreset::Room,
        ReverbPreset::Hall,
        ReverbPreset::Car,
        ReverbPreset::ExteriorSlap,
    ];

    /// Name for menus.
    pub fn label(self) -> &'static str {
        match self {
            ReverbPreset::SmallRoom => "Small room",
            ReverbPreset::Room => "Room",
            ReverbPreset::Hall => "Hall",
            ReverbPreset::Car => "Car interior",
            ReverbPreset::ExteriorSlap => "Exterior slap",
        }
    }

    /// The preset's starting settings (mix 1: an FX return).
    pub fn defaults(self) -> ReverbSettings {
        let (predelay_ms, decay_s, damping) = match self {
            ReverbPreset::SmallRoom => (2.0, 0.4, 0.45),
            ReverbPreset::Room => (8.0, 0.7, 0.4),
            ReverbPreset::Hall => (20.0, 2.2, 0.35),
            ReverbPreset::Car => (0.0, 0.25, 0.55),
            ReverbPreset::ExteriorSlap => (0.0, 0.9, 0.6),
        };
        ReverbSettings {
            predelay_ms,
            decay_s,
            damping,
            mix: 1.0,
        }
    }

    fn character(self) -> Character {
        let flat = Character {
            size: 1.0,
            diffusion: 1.0,
            diffuser_size: 1.0,
            er_span_ms: 30.0,
            er_level: 0.6,
            tail_level: 1.0,
            hp_hz: 40.0,
            lp_hz: 12_000.0,
            peak_hz: 1000.0,
            peak_db: 0.0,
            peak_q: 1.0,
        };
        match self {
            ReverbPreset::SmallRoom => Character {
                size: 0.3,
                diffuser_size: 0.6,
                er_span_ms: 14.0,
                er_level: 0.7,
                hp_hz: 80.0,
                lp_hz: 10_000.0,
                ..flat
            },
            ReverbPreset::Room => Character {
                size: 0.55,
                diffuser_size: 0.9,
                er_span_ms: 30.0,
                er_level: 0.6,
                hp_hz: 60.0,
                lp_hz: 11_000.0,
                ..flat
            },
            ReverbPreset::Hall => Character {
                size: 1.45,
                diffuser_size: 1.6,
                er_span_ms: 70.0,
                er_level: 0.45,
                hp_hz: 40.0,
                lp_hz: 9_000.0,
                ..flat
            },
            ReverbPreset::Car => Character {
                size: 0.1,
                diffusion: 0.9,
                diffuser_size: 0.3,
                er_span_ms: 5.0,
                er_level: 0.8,
                hp_hz: 110.0,
                lp_hz: 5_000.0,
                peak_hz: 330.0,
                peak_db: 4.0,
                peak_q: 1.0,
                ..flat
            },
            ReverbPreset::ExteriorSlap => Character {
                size: 0.7,
                diffuser_size: 1.0,
                er_span_ms: 0.0,
                er_level: 1.0,
                tail_level: 0.18,
                hp_hz: 150.0,
                lp_hz: 6_000.0,
                ..flat
            },
        }
    }

    /// Early-reflection taps (ms, gain) for left and right.
    fn taps(self) -> [[(f32, f32); ER_TAPS]; 2] {
        if self == ReverbPreset::ExteriorSlap {
            return [SLAP_L, SLAP_R];
        }
        let span = self.character().er_span_ms;
        let scale = |p: [(f32, f32); ER_TAPS]| p.map(|(t, g)| (t * span, g));
        [scale(ER_L), scale(ER_R)]
    }
}

/// Samples in `ms` milliseconds at `rate`, rounded.
fn ms_to_samples(ms: f32, rate: f32) -> usize {
    (ms * 0.001 * rate).round().max(0.0) as usize
}

fn is_prime(n: usize) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

fn next_prime(mut n: usize) -> usize {
    while !is_prime(n) {
        n += 1;
    }
    n
}

/// Feedback line lengths for `preset` at `rate`: distinct primes, ascending.
fn line_lengths(preset: ReverbPreset, rate: f32) -> [usize; LINES] {
    let size = preset.character().size;
    let mut out = [0; LINES];
    let mut prev = 1;
    for (o, ms) in out.iter_mut().zip(LINE_MS) {
        *o = next_prime(ms_to_samples(ms * size, rate).max(prev + 1));
        prev = *o;
    }
    out
}

/// Input allpass lengths for `preset` at `rate` (at least one sample).
fn diffuser_lengths(preset: ReverbPreset, rate: f32) -> [usize; DIFFUSERS] {
    let size = preset.character().diffuser_size;
    DIFFUSER_MS.map(|ms| next_prime(ms_to_samples(ms * size, rate).max(1)))
}

#[inline]
fn flush(v: f32) -> f32 {
    if v.abs() < DENORMAL { 0.0 } else { v }
}

/// In-place fast Walsh–Hadamard transform of eight values, scaled to be
/// orthonormal.
#[inline]
fn hadamard(v: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        let mut i = 0;
        while i < LINES {
            for j in i..i + h {
                let (a, b) = (v[j], v[j + h]);
                v[j] = a + b;
                v[j + h] = a - b;
            }
            i += 2 * h;
        }
        h *= 2;
    }
    let s = 1.0 / (LINES as f32).sqrt();
    for x in v.iter_mut() {
        *x *= s;
    }
}

/// Coefficients of the wet tone: one-pole high-pass and low-pass, and a
/// peaking biquad.
#[derive(Debug, Clone, Copy, Default)]
struct ToneCoefs {
    hp: f32,
    lp: f32,
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
}

impl ToneCoefs {
    fn new(c: &Character, rate: f32) -> ToneCoefs {
        let nyq = 0.49 * rate;
        let hp = (-2.0 * PI * c.hp_hz.min(nyq) / rate).exp();
        let lp = 1.0 - (-2.0 * PI * c.lp_hz.min(nyq) / rate).exp();
        let (b0, b1, b2, a1, a2) = if c.peak_db == 0.0 || c.peak_hz >= nyq {
            (1.0, 0.0, 0.0, 0.0, 0.0)
        } else {
            let a = 10f32.powf(c.peak_db / 40.0);
            let w0 = 2.0 * PI * c.peak_hz / rate;
            let alpha = w0.sin() / (2.0 * c.peak_q);
            let cw = w0.cos();
            let a0 = 1.0 + alpha / a;
            (
                (1.0 + alpha * a) / a0,
                -2.0 * cw / a0,
                (1.0 - alpha * a) / a0,
                -2.0 * cw / a0,
                (1.0 - alpha / a) / a0,
            )
        };
        ToneCoefs {
            hp,
            lp,
            b0,
            b1,
            b2,
            a1,
            a2,
        }
    }
}

/// Tone filter state of one output channel.
#[derive(Debug, Clone, Copy, Default)]
struct Tone {
    hp_x: f32,
    hp_y: f32,
    lp_y: f32,
    s1: f32,
    s2: f32,
}

impl Tone {
    #[inline]
    fn tick(&mut self, k: &ToneCoefs, x: f32) -> f32 {
        let hp = k.hp * (self.hp_y + x - self.hp_x);
        self.hp_x = x;
        self.hp_y = flush(hp);
        self.lp_y = flush(self.lp_y + k.lp * (hp - self.lp_y));
        let v = self.lp_y;
        let y = k.b0 * v + self.s1;
        self.s1 = flush(k.b1 * v - k.a1 * y + self.s2);
        self.s2 = flush(k.b2 * v - k.a2 * y);
        y
    }
}

/// Algorithmic stereo reverb (see the module documentation).
pub struct Reverb {
    preset: ReverbPreset,
    /// Preset waiting for the wet fade-out to finish.
    pending: Option<ReverbPreset>,
    settings: ReverbSettings,
    rate: f32,

    // Pre-delay line.
    pd_buf: Vec<f32>,
    pd_pos: usize,
    pd_from: usize,
    pd_to: usize,
    /// Crossfade position from `pd_from` to `pd_to`, 0..=1.
    pd_x: f32,
    pd_step: f32,

    // Early reflections.
    er_buf: Vec<f32>,
    er_pos: usize,
    er_taps: [[(usize, f32); ER_TAPS]; 2],
    er_level: f32,

    // Input diffusion: DIFFUSERS rings of `ap_cap` samples.
    ap_buf: Vec<f32>,
    ap_cap: usize,
    ap_pos: usize,
    ap_len: [usize; DIFFUSERS],
    ap_gain: [f32; DIFFUSERS],

    // Feedback delay network: LINES rings of `line_cap` samples.
    lines: Vec<f32>,
    line_cap: usize,
    line_pos: usize,
    line_len: [usize; LINES],
    /// Shelf per line: out = k0·x + k1·allpass(x).
    k0: [f32; LINES],
    k1: [f32; LINES],
    shelf_a: f32,
    shelf_s: [f32; LINES],
    tail_level: f32,

    tone_k: ToneCoefs,
    tone: [Tone; 2],

    mix: f32,
    mix_step: f32,
    /// Wet gain for preset changes, 0..=1.
    preset_gain: f32,
    preset_step: f32,
}

impl std::fmt::Debug for Reverb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reverb")
            .field("preset", &self.preset)
            .field("pending", &self.pending)
            .field("settings", &self.settings)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl Reverb {
    /// A reverb with `preset`'s structure and default settings. It passes
    /// audio through untouched until [`Processor::prepare`]d.
    pub fn new(preset: ReverbPreset) -> Reverb {
        let settings = preset.defaults();
        Reverb {
            preset,
            pending: None,
            settings,
            rate: 0.0,
            pd_buf: Vec::new(),
            pd_pos: 0,
            pd_from: 0,
            pd_to: 0,
            pd_x: 1.0,
            pd_step: 1.0,
            er_buf: Vec::new(),
            er_pos: 0,
            er_taps: [[(0, 0.0); ER_TAPS]; 2],
            er_level: 0.0,
            ap_buf: Vec::new(),
            ap_cap: 0,
            ap_pos: 0,
            ap_len: [1; DIFFUSERS],
            ap_gain: [0.0; DIFFUSERS],
            lines: Vec::new(),
            line_cap: 0,
            line_pos: 0,
            line_len: [1; LINES],
            k0: [0.0; LINES],
            k1: [0.0; LINES],
            shelf_a: 0.0,
            shelf_s: [0.0; LINES],
            tail_level: 0.0,
            tone_k: ToneCoefs::default(),
            tone: [Tone::default(); 2],
            mix: settings.mix,
            mix_step: 1.0,
            preset_gain: 1.0,
            preset_step: 1.0,
        }
    }

    /// The preset in use (or about to be, during a preset change's fade).
    pub fn preset(&self) -> ReverbPreset {
        self.pending.unwrap_or(self.preset)
    }

    /// The current settings (targets, when a change is gliding).
    pub fn settings(&self) -> ReverbSettings {
        self.settings
    }

    /// Changes the room structure (line lengths, diffusion, reflections,
    /// tone). The four settings are kept: apply [`ReverbPreset::defaults`]
    /// through [`Reverb::set_settings`] to load the preset's own. Once
    /// prepared, the wet fades out over 10 ms, the tail is cleared, and the
    /// new room fades in.
    pub fn set_preset(&mut self, preset: ReverbPreset) {
        if self.rate == 0.0 {
            self.preset = preset;
            return;
        }
        if preset == self.preset && self.pending.is_none() {
            return;
        }
        self.pending = Some(preset);
    }

    /// [`Reverb::set_preset`] and the preset's default settings.
    pub fn load_preset(&mut self, preset: ReverbPreset) {
        self.set_preset(preset);
        self.set_settings(preset.defaults());
    }

    /// Sets all four settings (each clamped as by its own setter).
    pub fn set_settings(&mut self, s: ReverbSettings) {
        self.set_predelay_ms(s.predelay_ms);
        self.set_decay_s(s.decay_s);
        self.set_damping(s.damping);
        self.set_mix(s.mix);
    }

    /// Pre-delay, clamped to 0..=250 ms; a change crossfades over 5 ms.
    pub fn set_predelay_ms(&mut self, ms: f32) {
        if !ms.is_finite() {
            return;
        }
        self.settings.predelay_ms = ms.clamp(0.0, MAX_PREDELAY_MS);
        if self.rate == 0.0 {
            return;
        }
        let to = self.predelay_samples();
        if to != self.pd_to {
            // Start from wherever the output mostly is now.
            if self.pd_x >= 0.5 {
                self.pd_from = self.pd_to;
            }
            self.pd_to = to;
            self.pd_x = 0.0;
        }
    }

    /// Decay time (RT60), clamped to 0.1..=10 s.
    pub fn set_decay_s(&mut self, s: f32) {
        if !s.is_finite() {
            return;
        }
        self.settings.decay_s = s.clamp(MIN_DECAY_S, MAX_DECAY_S);
        self.update_tail();
    }

    /// High-frequency damping in the feedback, clamped to 0..=1.
    pub fn set_damping(&mut self, damping: f32) {
        if !damping.is_finite() {
            return;
        }
        self.settings.damping = damping.clamp(0.0, 1.0);
        self.update_tail();
    }

    /// Wet/dry mix, clamped to 0..=1 (glides over up to 10 ms).
    pub fn set_mix(&mut self, mix: f32) {
        if !mix.is_finite() {
            return;
        }
        self.settings.mix = mix.clamp(0.0, 1.0);
    }

    fn predelay_samples(&self) -> usize {
        let cap = self.pd_buf.len().saturating_sub(1);
        ms_to_samples(self.settings.predelay_ms, self.rate).min(cap)
    }

    /// Per-line gains and damping shelves from the decay, the damping and
    /// the line lengths.
    fn update_tail(&mut self) {
        if self.rate == 0.0 {
            return;
        }
        let t_lo = self.settings.decay_s;
        let t_hi = t_lo * (1.0 - 0.85 * self.settings.damping);
        for i in 0..LINES {
            let m = self.line_len[i] as f32;
            let g_lo = 10f32.powf(-3.0 * m / (t_lo * self.rate));
            let g_hi = 10f32.powf(-3.0 * m / (t_hi * self.rate));
            self.k0[i] = 0.5 * (g_lo + g_hi);
            self.k1[i] = 0.5 * (g_lo - g_hi);
        }
        let t = (PI * SHELF_HZ.min(0.45 * self.rate) / self.rate).tan();
        self.shelf_a = (t - 1.0) / (t + 1.0);
    }

    /// Sets the structure of `self.preset` (no allocation: every buffer is
    /// already sized for the largest preset).
    fn apply_structure(&mut self) {
        if self.rate == 0.0 {
            return;
        }
        let c = self.preset.character();
        self.line_len = line_lengths(self.preset, self.rate);
        self.ap_len = diffuser_lengths(self.preset, self.rate);
        for (g, base) in self.ap_gain.iter_mut().zip(DIFFUSER_GAIN) {
            *g = base * c.diffusion;
        }
        let er_cap = self.er_buf.len().saturating_sub(1);
        let taps = self.preset.taps();
        for (side, set) in self.er_taps.iter_mut().zip(taps) {
            for (t, (ms, g)) in side.iter_mut().zip(set) {
                *t = (ms_to_samples(ms, self.rate).min(er_cap), g);
            }
        }
        self.er_level = c.er_level;
        self.tail_level = c.tail_level * OUT_GAIN;
        self.tone_k = ToneCoefs::new(&c, self.rate);
        self.update_tail();
    }

    /// Clears the tail: feedback lines, diffusers, shelves and tone.
    fn clear_tail(&mut self) {
        self.ap_buf.fill(0.0);
        self.lines.fill(0.0);
        self.shelf_s = [0.0; LINES];
        self.tone = [Tone::default(); 2];
    }

    /// Advances the glides (mix, pre-delay crossfade, preset fade) by one
    /// sample.
    #[inline]
    fn glide(&mut self) {
        let target = self.settings.mix;
        if self.mix < target {
            self.mix = (self.mix + self.mix_step).min(target);
        } else if self.mix > target {
            self.mix = (self.mix - self.mix_step).max(target);
        }
        if self.pd_x < 1.0 {
            self.pd_x = (self.pd_x + self.pd_step).min(1.0);
            if self.pd_x >= 1.0 {
                self.pd_from = self.pd_to;
            }
        }
        if let Some(p) = self.pending {
            self.preset_gain -= self.preset_step;
            if self.preset_gain <= 0.0 {
                self.preset_gain = 0.0;
                self.pending = None;
                self.preset = p;
                self.apply_structure();
                self.clear_tail();
            }
        } else if self.preset_gain < 1.0 {
            self.preset_gain = (self.preset_gain + self.preset_step).min(1.0);
        }
    }

    /// One frame of mono input → wet (left, right, mono).
    #[inline]
    fn tick(&mut self, x: f32, want_mono: bool) -> (f32, f32) {
        // Pre-delay.
        let pd_cap = self.pd_buf.len();
        self.pd_buf[self.pd_pos] = x;
        let read = |buf: &[f32], pos: usize, d: usize| {
            let i = pos + buf.len() - d;
            buf[if i >= buf.len() { i - buf.len() } else { i }]
        };
        let mut xp = read(&self.pd_buf, self.pd_pos, self.pd_to);
        if self.pd_x < 1.0 {
            let old = read(&self.pd_buf, self.pd_pos, self.pd_from);
            xp = old + self.pd_x * (xp - old);
        }
        self.pd_pos += 1;
        if self.pd_pos == pd_cap {
            self.pd_pos = 0;
        }

        // Early reflections.
        self.er_buf[self.er_pos] = xp;
        let mut er = [0.0f32; 2];
        for (e, side) in er.iter_mut().zip(&self.er_taps) {
            for &(d, g) in side {
                *e += g * read(&self.er_buf, self.er_pos, d);
            }
        }
        self.er_pos += 1;
        if self.er_pos == self.er_buf.len() {
            self.er_pos = 0;
        }

        // Input diffusion.
        let mut d = xp;
        let cap = self.ap_cap;
        for k in 0..DIFFUSERS {
            let ring = &mut self.ap_buf[k * cap..(k + 1) * cap];
            let delayed = read(ring, self.ap_pos, self.ap_len[k]);
            let g = self.ap_gain[k];
            let w = flush(d + g * delayed);
            ring[self.ap_pos] = w;
            d = delayed - g * w;
        }
        self.ap_pos += 1;
        if self.ap_pos == cap {
            self.ap_pos = 0;
        }

        // Feedback delay network.
        let cap = self.line_cap;
        let mut z = [0.0f32; LINES];
        for (i, zi) in z.iter_mut().enumerate() {
            let ring = &self.lines[i * cap..(i + 1) * cap];
            let y = read(ring, self.line_pos, self.line_len[i]);
            // Shelf: k0·y + k1·A(y), A a first-order allpass.
            let v = self.shelf_a * y + self.shelf_s[i];
            self.shelf_s[i] = flush(y - self.shelf_a * v);
            *zi = self.k0[i] * y + self.k1[i] * v;
        }
        let (mut l, mut r) = (0.0f32, 0.0f32);
        if want_mono {
            for (zi, s) in z.iter().zip(OUT_M) {
                l += s * zi;
            }
        } else {
            for ((zi, sl), sr) in z.iter().zip(OUT_L).zip(OUT_R) {
                l += sl * zi;
                r += sr * zi;
            }
        }
        hadamard(&mut z);
        for (i, zi) in z.iter().enumerate() {
            self.lines[i * cap + self.line_pos] = flush(zi + IN_SIGNS[i] * d);
        }
        self.line_pos += 1;
        if self.line_pos == cap {
            self.line_pos = 0;
        }

        // Wet, toned.
        let g = self.preset_gain;
        if want_mono {
            let w = self.tail_level * l + self.er_level * FRAC_1_SQRT_2 * (er[0] + er[1]);
            (g * self.tone[0].tick(&self.tone_k, w), 0.0)
        } else {
            let wl = self.tail_level * l + self.er_level * er[0];
            let wr = self.tail_level * r + self.er_level * er[1];
            (
                g * self.tone[0].tick(&self.tone_k, wl),
                g * self.tone[1].tick(&self.tone_k, wr),
            )
        }
    }

    #[inline]
    fn blend(&self, dry: f32, wet: f32) -> f32 {
        if self.mix == 0.0 {
            dry
        } else {
            dry * (1.0 - self.mix) + wet * self.mix
        }
    }
}

impl Processor for Reverb {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        let rate = rate.max(1) as f32;
        self.rate = rate;
        let line_cap = ReverbPreset::ALL
            .iter()
            .map(|&p| line_lengths(p, rate)[LINES - 1])
            .max()
            .unwrap_or(1)
            + 1;
        let ap_cap = ReverbPreset::ALL
            .iter()
            .flat_map(|&p| diffuser_lengths(p, rate))
            .max()
            .unwrap_or(1)
            + 1;
        let er_max = ReverbPreset::ALL
            .iter()
            .flat_map(|&p| p.taps().into_iter().flatten())
            .map(|(ms, _)| ms_to_samples(ms, rate))
            .max()
            .unwrap_or(0);
        self.pd_buf = vec![0.0; ms_to_samples(MAX_PREDELAY_MS, rate) + 1];
        self.er_buf = vec![0.0; er_max + 1];
        self.ap_cap = ap_cap;
        self.ap_buf = vec![0.0; DIFFUSERS * ap_cap];
        self.line_cap = line_cap;
        self.lines = vec![0.0; LINES * line_cap];
        self.pd_step = 1.0 / (PREDELAY_GLIDE_S * rate).max(1.0);
        self.mix_step = 1.0 / (MIX_GLIDE_S * rate).max(1.0);
        self.preset_step = 1.0 / (PRESET_FADE_S * rate).max(1.0);
        self.reset();
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        if self.rate == 0.0 || io.is_empty() {
            return;
        }
        if io.len() == 1 {
            for s in io[0].iter_mut() {
                self.glide();
                let (w, _) = self.tick(*s, true);
                *s = self.blend(*s, w);
            }
            return;
        }
        let (a, b) = io.split_at_mut(1);
        for (l, r) in a[0].iter_mut().zip(b[0].iter_mut()) {
            self.glide();
            let (wl, wr) = self.tick(0.5 * (*l + *r), false);
            *l = self.blend(*l, wl);
            *r = self.blend(*r, wr);
        }
    }

    fn reset(&mut self) {
        if let Some(p) = self.pending.take() {
            self.preset = p;
        }
        self.apply_structure();
        self.pd_buf.fill(0.0);
        self.er_buf.fill(0.0);
        self.clear_tail();
        self.pd_pos = 0;
        self.er_pos = 0;
        self.ap_pos = 0;
        self.line_pos = 0;
        self.pd_to = if self.rate == 0.0 {
            0
        } else {
            self.predelay_samples()
        };
        self.pd_from = self.pd_to;
        self.pd_x = 1.0;
        self.mix = self.settings.mix;
        self.preset_gain = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn noise(seed: u32, n: usize, amp: f32) -> Vec<f32> {
        let mut x = seed.max(1);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                amp * ((x as f32 / u32::MAX as f32) * 2.0 - 1.0)
            })
            .collect()
    }

    fn prepared(preset: ReverbPreset) -> Reverb {
        let mut r = Reverb::new(preset);
        r.prepare(RATE, 2, 512);
        r
    }

    /// Processes a stereo signal in blocks of 512.
    fn run(r: &mut Reverb, l: &mut [f32], rr: &mut [f32]) {
        for (a, b) in l.chunks_mut(512).zip(rr.chunks_mut(512)) {
            r.process(&mut [a, b], None);
        }
    }

    /// Wet stereo impulse response of `n` samples.
    fn impulse(r: &mut Reverb, n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut l = vec![0.0; n];
        let mut rr = vec![0.0; n];
        l[0] = 1.0;
        rr[0] = 1.0;
        run(r, &mut l, &mut rr);
        (l, rr)
    }

    /// RT60 from the Schroeder energy decay curve of `energy` (squared
    /// samples), fitted between −5 and −25 dB (T20 ×3).
    fn rt60(energy: &[f64]) -> f64 {
        let mut edc = vec![0.0f64; energy.len()];
        let mut acc = 0.0;
        for i in (0..energy.len()).rev() {
            acc += energy[i];
            edc[i] = acc;
        }
        let db: Vec<f64> = edc.iter().map(|e| 10.0 * (e / edc[0]).log10()).collect();
        let start = db.iter().position(|&d| d <= -5.0).expect("reaches −5 dB");
        let end = db.iter().position(|&d| d <= -25.0).expect("reaches −25 dB");
        // Least-squares slope of dB against time.
        let n = (end - start + 1) as f64;
        let (mut st, mut sd, mut stt, mut std) = (0.0, 0.0, 0.0, 0.0);
        for (i, &d) in db.iter().enumerate().take(end + 1).skip(start) {
            let t = i as f64 / f64::from(RATE);
            st += t;
            sd += d;
            stt += t * t;
            std += t * d;
        }
        let slope = (n * std - st * sd) / (n * stt - st * st);
        -60.0 / slope
    }

    fn energy(l: &[f32], r: &[f32]) -> Vec<f64> {
        l.iter()
            .zip(r)
            .map(|(a, b)| f64::from(*a).powi(2) + f64::from(*b).powi(2))
            .collect()
    }

    /// Octave band around `hz`: two passes of a band-pass biquad.
    fn octave(x: &[f32], hz: f64) -> Vec<f32> {
        let w0 = 2.0 * std::f64::consts::PI * hz / f64::from(RATE);
        let alpha = w0.sin() / (2.0 * std::f64::consts::SQRT_2);
        let a0 = 1.0 + alpha;
        let (b0, b2, a1, a2) = (
            alpha / a0,
            -alpha / a0,
            -2.0 * w0.cos() / a0,
            (1.0 - alpha) / a0,
        );
        let mut y: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        for _ in 0..2 {
            let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
            for v in y.iter_mut() {
                let out = b0 * *v + b2 * x2 - a1 * y1 - a2 * y2;
                x2 = x1;
                x1 = *v;
                y2 = y1;
                y1 = out;
                *v = out;
            }
        }
        y.iter().map(|&v| v as f32).collect()
    }

    fn ir_len(decay_s: f32) -> usize {
        ((2.0 * decay_s + 0.5) * RATE as f32) as usize
    }

    /// Measured RT60s of a preset's impulse response: broadband, and in
    /// the octaves around 500 Hz, 1 kHz and 8 kHz.
    struct Decay {
        broad: f64,
        b500: f64,
        b1k: f64,
        b8k: f64,
    }

    fn decay_of(r: &mut Reverb, seconds: f32) -> Decay {
        r.reset();
        let (l, rr) = impulse(r, ir_len(seconds));
        let band = |hz| rt60(&energy(&octave(&l, hz), &octave(&rr, hz)));
        Decay {
            broad: rt60(&energy(&l, &rr)),
            b500: band(500.0),
            b1k: band(1000.0),
            b8k: band(8000.0),
        }
    }

    fn within(measured: f64, set: f32, tol: f64) -> bool {
        (measured / f64::from(set) - 1.0).abs() <= tol
    }

    #[test]
    fn each_room_decays_at_its_rt60() {
        for p in ReverbPreset::ALL {
            if p == ReverbPreset::ExteriorSlap {
                continue;
            }
            let mut r = prepared(p);
            let t = p.defaults().decay_s;
            // With the preset's damping, the mids decay at the set time
            // (the highs, by design, sooner).
            let d = decay_of(&mut r, t);
            // Undamped, every frequency does, so the broadband curve too.
            r.set_damping(0.0);
            let flat = decay_of(&mut r, t);
            assert!(within(d.b1k, t, 0.15), "{p:?} 1 kHz {:.3}", d.b1k);
            assert!(within(d.b500, t, 0.15), "{p:?} 500 Hz {:.3}", d.b500);
            assert!(within(flat.broad, t, 0.15), "{p:?} {:.3}", flat.broad);
        }
    }

    #[test]
    fn exterior_slap_has_discrete_echoes_and_a_short_tail() {
        let mut r = prepared(ReverbPreset::ExteriorSlap);
        let (l, rr) = impulse(&mut r, 4 * RATE as usize);
        let e = energy(&l, &rr);
        // Energy per millisecond.
        let ms = RATE as usize / 1000;
        let frames: Vec<f64> = e.chunks(ms).map(|c| c.iter().sum()).collect();
        let mut sorted = frames[..250].to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[125];
        // Echoes: milliseconds at least 20 dB over the median of the first
        // 250 ms, grouped when closer than 10 ms.
        let mut echoes: Vec<usize> = Vec::new();
        for (i, &f) in frames[..250].iter().enumerate() {
            if f > 100.0 * median && echoes.last().is_none_or(|&j| i > j + 10) {
                echoes.push(i);
            }
        }
        assert!(echoes.len() >= 3, "{echoes:?}");
        assert!(
            echoes.iter().all(|&i| (60..=200).contains(&i)),
            "{echoes:?}"
        );
        // The tail decays: 40 dB down after a second, silent after four.
        let early: f64 = frames[..250].iter().sum();
        let late: f64 = frames[1000..1250].iter().sum();
        let end: f64 = frames[3900..].iter().sum();
        assert!(late < early * 1e-4);
        assert!(end < early * 1e-12);
    }

    #[test]
    fn set_decay_changes_the_decay() {
        let mut r = prepared(ReverbPreset::Room);
        for t in [0.5, 1.5] {
            r.set_decay_s(t);
            let d = decay_of(&mut r, t);
            r.set_damping(0.0);
            let flat = decay_of(&mut r, t);
            r.set_damping(ReverbPreset::Room.defaults().damping);
            assert!(within(d.b1k, t, 0.15), "{t}: {:.3}", d.b1k);
            assert!(within(flat.broad, t, 0.15), "{t}: {:.3}", flat.broad);
        }
    }

    #[test]
    fn damping_shortens_the_high_frequency_decay() {
        let mut r = prepared(ReverbPreset::Hall);
        r.set_damping(0.7);
        let d = decay_of(&mut r, 2.2);
        assert!(d.b8k < 0.7 * d.b500, "{:.3} vs {:.3}", d.b8k, d.b500);
        r.set_damping(0.0);
        let flat = decay_of(&mut r, 2.2);
        assert!(within(flat.b8k, 2.2, 0.1), "{:.3}", flat.b8k);
    }

    #[test]
    fn mix_zero_is_the_dry_signal_bit_for_bit() {
        for channels in [1, 2, 3] {
            let mut r = Reverb::new(ReverbPreset::Hall);
            r.set_mix(0.0);
            r.prepare(RATE, channels, 512);
            let input: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    let mut v = noise(7 + c as u32, 48_000, 0.8);
                    v[100] = -0.0;
                    v
                })
                .collect();
            let mut io = input.clone();
            for start in (0..48_000).step_by(512) {
                let mut rows: Vec<&mut [f32]> = io
                    .iter_mut()
                    .map(|v| &mut v[start..(start + 512).min(48_000)])
                    .collect();
                r.process(&mut rows, None);
            }
            for (a, b) in io.iter().zip(&input) {
                assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()));
            }
        }
    }

    #[test]
    fn the_wet_starts_at_the_predelay() {
        for p in [ReverbPreset::Room, ReverbPreset::Hall, ReverbPreset::Car] {
            for pd in [12.0f32, 40.0, 250.0] {
                let mut r = prepared(p);
                r.set_predelay_ms(pd);
                r.reset();
                let (l, rr) = impulse(&mut r, RATE as usize / 2);
                let peak = l.iter().chain(&rr).fold(0f32, |m, v| m.max(v.abs()));
                let first = l
                    .iter()
                    .zip(&rr)
                    .position(|(a, b)| a.abs().max(b.abs()) > 1e-3 * peak)
                    .expect("some wet");
                let nonzero = l.iter().zip(&rr).position(|(a, b)| *a != 0.0 || *b != 0.0);
                let first_ms = first as f32 * 1000.0 / RATE as f32;
                assert_eq!((l[0], rr[0]), (0.0, 0.0), "no dry impulse");
                assert!((first_ms - pd).abs() <= 1.0, "{first_ms}");
                assert!(nonzero.is_some_and(|i| i as f32 * 1000.0 / RATE as f32 >= pd - 1.0));
            }
        }
    }

    #[test]
    fn left_and_right_are_decorrelated() {
        for p in ReverbPreset::ALL {
            let mut r = prepared(p);
            let (l, rr) = impulse(&mut r, RATE as usize);
            let dot = |a: &[f32], b: &[f32]| -> f64 {
                a.iter()
                    .zip(b)
                    .map(|(x, y)| f64::from(*x) * f64::from(*y))
                    .sum()
            };
            let corr = dot(&l, &rr) / (dot(&l, &l) * dot(&rr, &rr)).sqrt();
            assert!(corr.abs() < 0.5, "{p:?} {corr}");
        }
    }

    #[test]
    fn loud_noise_then_silence_stays_finite_and_dies_away() {
        for (p, seconds) in [
            (ReverbPreset::Hall, 60),
            (ReverbPreset::Room, 10),
            (ReverbPreset::SmallRoom, 10),
            (ReverbPreset::Car, 10),
            (ReverbPreset::ExteriorSlap, 10),
        ] {
            let mut r = prepared(p);
            r.set_damping(0.0);
            let t = r.settings().decay_s;
            let n = seconds * RATE as usize;
            let mut l = noise(3, n, 1.0);
            let mut rr = noise(11, n, 1.0);
            run(&mut r, &mut l, &mut rr);
            assert!(l.iter().chain(&rr).all(|v| v.is_finite()), "{p:?}");
            let loud = l.iter().chain(&rr).fold(0f32, |m, v| m.max(v.abs()));
            assert!(loud > 0.0, "{p:?} makes sound");
            let tail = (3.0 * t * RATE as f32) as usize;
            let mut sl = vec![0.0; tail + RATE as usize / 10];
            let mut sr = sl.clone();
            run(&mut r, &mut sl, &mut sr);
            assert!(sl.iter().chain(&sr).all(|v| v.is_finite()), "{p:?}");
            let after = sl[tail..]
                .iter()
                .chain(&sr[tail..])
                .fold(0f32, |m, v| m.max(v.abs()));
            assert!(after < 1e-6, "{p:?} {after}");
        }
    }

    /// A setter call at a sample position.
    type Event = (usize, fn(&mut Reverb));

    /// Runs `input` (planar) through a fresh reverb in blocks of `block`,
    /// applying `events` (sample, action) at their sample.
    fn run_blocks(
        channels: usize,
        input: &[Vec<f32>],
        block: usize,
        events: &[Event],
    ) -> Vec<Vec<f32>> {
        let n = input[0].len();
        let mut r = Reverb::new(ReverbPreset::Room);
        r.prepare(RATE, channels, block.max(480));
        let mut io = input.to_vec();
        let mut pos = 0;
        while pos < n {
            for (at, f) in events {
                if *at == pos {
                    f(&mut r);
                }
            }
            let next_event = events.iter().map(|e| e.0).filter(|&a| a > pos).min();
            let end = (pos + block).min(n).min(next_event.unwrap_or(n));
            let mut rows: Vec<&mut [f32]> = io.iter_mut().map(|v| &mut v[pos..end]).collect();
            r.process(&mut rows, None);
            pos = end;
        }
        io
    }

    #[test]
    fn any_block_size_gives_the_same_output() {
        let n = 2 * RATE as usize;
        let events: [Event; 6] = [
            (5_000, |r| r.set_mix(0.4)),
            (9_001, |r| r.set_predelay_ms(31.0)),
            (20_000, |r| r.set_preset(ReverbPreset::Car)),
            (40_000, |r| r.set_decay_s(1.3)),
            (50_003, |r| r.set_damping(0.9)),
            (60_000, |r| r.set_preset(ReverbPreset::Hall)),
        ];
        for channels in [1, 2, 3] {
            let input: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    let mut v = noise(5 + c as u32, n, 0.5);
                    v[n / 2..].fill(0.0);
                    v
                })
                .collect();
            let whole = run_blocks(channels, &input, n, &events);
            for block in [1, 7, 64, 480] {
                let out = run_blocks(channels, &input, block, &events);
                assert!(
                    out.iter()
                        .flatten()
                        .zip(whole.iter().flatten())
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{channels} channels, blocks of {block}"
                );
            }
        }
    }

    #[test]
    fn mono_strips_get_a_mono_reverb_and_extra_channels_pass_dry() {
        let mut r = Reverb::new(ReverbPreset::Room);
        r.prepare(RATE, 1, 512);
        let mut m = vec![0.0; RATE as usize];
        m[0] = 1.0;
        for c in m.chunks_mut(512) {
            r.process(&mut [c], None);
        }
        let e: f64 = m.iter().map(|v| f64::from(*v).powi(2)).sum();
        assert!(e > 0.01 && m.iter().all(|v| v.is_finite()), "{e}");

        let mut r = Reverb::new(ReverbPreset::Room);
        r.prepare(RATE, 4, 512);
        let input: Vec<Vec<f32>> = (0..4).map(|c| noise(20 + c, 4_800, 0.5)).collect();
        let mut io = input.clone();
        let mut rows: Vec<&mut [f32]> = io.iter_mut().map(|v| &mut v[..]).collect();
        r.process(&mut rows, None);
        assert_ne!(io[0], input[0]);
        assert_ne!(io[1], input[1]);
        assert_eq!(io[2], input[2]);
        assert_eq!(io[3], input[3]);
    }

    #[test]
    fn setters_clamp_and_ignore_non_finite_values() {
        let mut r = prepared(ReverbPreset::Room);
        r.set_predelay_ms(900.0);
        r.set_decay_s(0.01);
        r.set_damping(-1.0);
        r.set_mix(2.0);
        let s = r.settings();
        assert_eq!(
            (s.predelay_ms, s.decay_s, s.damping, s.mix),
            (250.0, 0.1, 0.0, 1.0)
        );
        r.set_decay_s(f32::INFINITY);
        r.set_predelay_ms(f32::NAN);
        r.set_damping(f32::NAN);
        r.set_mix(f32::NEG_INFINITY);
        assert_eq!(r.settings(), s);
        r.set_decay_s(99.0);
        assert_eq!(r.settings().decay_s, 10.0);
        for p in ReverbPreset::ALL {
            assert!(!p.label().is_empty());
            let d = p.defaults();
            assert!((0.0..=250.0).contains(&d.predelay_ms) && (0.1..=10.0).contains(&d.decay_s));
        }
    }

    #[test]
    fn a_preset_change_fades_the_wet_and_switches_the_room() {
        let mut r = prepared(ReverbPreset::Hall);
        let n = RATE as usize;
        let mut l = noise(1, n, 0.5);
        let mut rr = noise(2, n, 0.5);
        run(&mut r, &mut l, &mut rr);
        let before = l[n / 2..].iter().fold(0f32, |m, v| m.max(v.abs()));
        r.load_preset(ReverbPreset::Car);
        assert_eq!(r.preset(), ReverbPreset::Car);
        assert_eq!(r.settings(), ReverbPreset::Car.defaults());
        // During the fade out and back in, the output only gets quieter.
        let fade = (2.0 * PRESET_FADE_S * RATE as f32) as usize;
        let mut fl = vec![0.0; fade];
        let mut fr = vec![0.0; fade];
        run(&mut r, &mut fl, &mut fr);
        let during = fl.iter().chain(&fr).fold(0f32, |m, v| m.max(v.abs()));
        assert!(during <= before, "{during} vs {before}");
        // The hall's tail was cleared at the switch: a second later the
        // car's short decay has died away (the hall's would still be at
        // about −27 dB).
        let mut sl = vec![0.0; RATE as usize];
        let mut sr = sl.clone();
        run(&mut r, &mut sl, &mut sr);
        let left = sl[RATE as usize - 4_800..]
            .iter()
            .chain(&sr[RATE as usize - 4_800..])
            .fold(0f32, |m, v| m.max(v.abs()));
        assert!(left < 1e-7, "{left}");
        let d = decay_of(&mut r, 0.25);
        assert!(within(d.b1k, 0.25, 0.15), "{:.3}", d.b1k);
    }
}
