//! Dialogue noise reduction, two ways.
//!
//! - [`RnnDenoise`]: RNNoise (the `nnnoiseless` port), a recurrent network
//!   that tells voice from noise without being told what the noise is. It
//!   works on 480-sample frames at 48 kHz; other host rates are converted to
//!   48 kHz and back inside the processor with a windowed-sinc interpolator,
//!   and the dry signal is delayed to match, so the latency stays an exact
//!   whole number of host samples.
//! - [`SpectralDenoise`]: spectral subtraction against a [`NoisePrint`]
//!   learnt from a stretch of room tone, on a Hann-windowed STFT with 75 %
//!   overlap.
//!
//! Both buffer internally so any host block size gives the same output, and
//! report the delay through [`Processor::latency`]. Everything they need is
//! allocated in `prepare` (the noise print is learnt off the audio thread).
//!
//! One caveat for [`RnnDenoise`]: `nnnoiseless` keeps its FFT plans and
//! scratch buffers in thread-local caches, so the first frame it processes
//! on a given thread allocates them (once per thread; every later frame on
//! that thread is allocation-free). [`RnnDenoise::warm_thread`] fills them
//! ahead of time.

use std::fmt;
use std::sync::Arc;

use nnnoiseless::DenoiseState;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::processor::{MAX_CHANNELS, Processor};

/// Which noise reducer a dialogue strip uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenoiseMode {
    /// RNNoise ([`RnnDenoise`]): no noise print needed.
    Rnn,
    /// Spectral subtraction against a learnt print ([`SpectralDenoise`]).
    Spectral,
}

// ---------------------------------------------------------------------------
// RNNoise
// ---------------------------------------------------------------------------

/// The rate the RNNoise model was trained at.
const RNN_RATE: u32 = 48_000;
/// RNNoise frame (and hop) length at 48 kHz.
const FRAME: usize = DenoiseState::FRAME_SIZE;
/// RNNoise works on 16-bit sample values held in `f32`.
const I16_SCALE: f32 = 32_768.0;
/// Zero frames that flush the model's input, pitch and synthesis memories
/// (its pitch buffer is 1728 samples, plus one frame of overlap-add).
const FLUSH_FRAMES: usize = 5;

/// Half-width of the rate-conversion kernel, in samples of the lower rate.
const SINC_HALF: usize = 24;
/// Kernel table points per sample.
const SINC_OVERSAMPLE: usize = 256;
/// Cut-off of the rate-conversion low-pass, as a fraction of the lower rate
/// (0.45 puts the −6 dB point at 90 % of the lower rate's Nyquist).
const SINC_CUTOFF: f64 = 0.45;
/// Kaiser window β of the kernel (about 70 dB stop-band).
const SINC_BETA: f64 = 7.0;

/// Host rates the processors accept; others are clamped into this range.
const MIN_RATE: u32 = 8_000;
const MAX_RATE: u32 = 768_000;

/// A windowed-sinc low-pass kernel, tabulated, in units of the lower rate's
/// samples.
struct Kernel {
    table: Vec<f32>,
}

impl Kernel {
    fn new() -> Kernel {
        let n = SINC_HALF * SINC_OVERSAMPLE;
        let i0_beta = bessel_i0(SINC_BETA);
        let mut table = vec![0.0f32; n + 2];
        for (i, t) in table.iter_mut().enumerate().take(n + 1) {
            let u = i as f64 / SINC_OVERSAMPLE as f64;
            let x = u / SINC_HALF as f64;
            let w = if x >= 1.0 {
                0.0
            } else {
                bessel_i0(SINC_BETA * (1.0 - x * x).sqrt()) / i0_beta
            };
            let arg = 2.0 * SINC_CUTOFF * u;
            let sinc = if arg == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * arg).sin() / (std::f64::consts::PI * arg)
            };
            *t = (2.0 * SINC_CUTOFF * sinc * w) as f32;
        }
        Kernel { table }
    }

    /// The kernel at `u` lower-rate samples from its centre.
    #[inline]
    fn eval(&self, u: f32) -> f32 {
        let pos = u.abs() * SINC_OVERSAMPLE as f32;
        let i = pos as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let f = pos - i as f32;
        self.table[i] + (self.table[i + 1] - self.table[i]) * f
    }
}

/// Modified Bessel function of the first kind, order 0 (series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// One direction of a fixed-ratio band-limited rate conversion: output
/// sample `k` sits at input position `start + k·num/den` (exact rational
/// stepping, so the timing never drifts).
struct Stage {
    hist: Vec<f32>,
    mask: usize,
    /// Input samples pushed so far.
    written: i64,
    /// Position of the next output: `next_int + frac/den` input samples.
    next_int: i64,
    frac: u64,
    num: u64,
    den: u64,
    start_int: i64,
    start_frac: u64,
    /// Kernel time scale (below 1 when the output rate is the lower one).
    scale: f32,
    /// Inputs on each side of the centre the kernel reaches.
    reach: i64,
}

impl Stage {
    /// A stage from rate `from` to rate `to` whose first output sits at
    /// input position `offset_out · from / to` (an offset in output
    /// periods, may be negative); the history ring holds at least
    /// `ring_min` inputs beyond the kernel's span.
    fn new(from: u64, to: u64, offset_out: i64, ring_min: usize) -> Stage {
        let g = gcd(from, to);
        let (num, den) = (from / g, to / g);
        let scale = if to < from {
            to as f32 / from as f32
        } else {
            1.0
        };
        let reach = reach(from, to);
        let start = i128::from(offset_out) * i128::from(num);
        let start_int = start.div_euclid(i128::from(den)) as i64;
        let start_frac = start.rem_euclid(i128::from(den)) as u64;
        let size = (ring_min + 2 * reach as usize + (num / den) as usize + 8).next_power_of_two();
        Stage {
            hist: vec![0.0; size],
            mask: size - 1,
            written: 0,
            next_int: start_int,
            frac: start_frac,
            num,
            den,
            start_int,
            start_frac,
            scale,
            reach,
        }
    }

    fn reset(&mut self) {
        self.hist.fill(0.0);
        self.written = 0;
        self.next_int = self.start_int;
        self.frac = self.start_frac;
    }

    #[inline]
    fn push(&mut self, x: f32) {
        self.hist[(self.written as usize) & self.mask] = x;
        self.written += 1;
    }

    /// Whether every input the next output needs has arrived.
    #[inline]
    fn ready(&self) -> bool {
        self.next_int + self.reach < self.written
    }

    /// The next output sample (inputs before the stream start count as 0).
    fn pull(&mut self, kernel: &Kernel) -> f32 {
        let frac = self.frac as f32 / self.den as f32;
        let lo = (self.next_int - self.reach + 1).max(0);
        let hi = (self.next_int + self.reach).min(self.written - 1);
        let mut acc = 0.0f32;
        let mut i = lo;
        while i <= hi {
            let u = ((self.next_int - i) as f32 + frac) * self.scale;
            acc += self.hist[(i as usize) & self.mask] * kernel.eval(u);
            i += 1;
        }
        self.frac += self.num;
        self.next_int += (self.frac / self.den) as i64;
        self.frac %= self.den;
        acc * self.scale
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Reach of a conversion kernel from rate `from` to rate `to`: inputs on
/// each side of the centre it touches.
fn reach(from: u64, to: u64) -> i64 {
    if to < from {
        (SINC_HALF as f64 * from as f64 / to as f64).ceil() as i64
    } else {
        SINC_HALF as i64
    }
}

/// One model state and its frame buffers (16-bit scale).
struct Model {
    state: Box<DenoiseState<'static>>,
    /// Input frame being filled.
    fifo_in: Vec<f32>,
    /// The last processed frame.
    fifo_out: Vec<f32>,
    /// Energies of the last two input frames and of the last output frame
    /// (which belongs to the older input frame), for the meter.
    energy_in: [f32; 2],
    energy_out: f32,
}

impl Model {
    /// Runs the model on the full input frame into `fifo_out`.
    fn run(&mut self) {
        self.energy_in[1] = self.energy_in[0];
        self.energy_in[0] = self.fifo_in.iter().map(|v| v * v).sum();
        self.state.process_frame(&mut self.fifo_out, &self.fifo_in);
        self.energy_out = self.fifo_out.iter().map(|v| v * v).sum();
    }
}

/// Per-channel state of [`RnnDenoise`].
struct RnnChannel {
    model: Model,
    pos: usize,
    /// Whether the model's first (warm-up) frame has been discarded; only
    /// used with rate conversion.
    primed: bool,
    /// Dry signal delayed by the latency.
    dry: Vec<f32>,
    dry_pos: usize,
    /// Rate conversion host → 48 kHz and back (None at 48 kHz).
    up: Option<Stage>,
    down: Option<Stage>,
}

impl RnnChannel {
    fn reset(&mut self) {
        let m = &mut self.model;
        m.fifo_in.fill(0.0);
        // Flush the model's memories of earlier audio (see `RnnDenoise::reset`).
        for _ in 0..FLUSH_FRAMES {
            m.state.process_frame(&mut m.fifo_out, &m.fifo_in);
        }
        m.fifo_out.fill(0.0);
        m.energy_in = [0.0; 2];
        m.energy_out = 0.0;
        self.pos = 0;
        self.primed = false;
        self.dry.fill(0.0);
        self.dry_pos = 0;
        if let Some(up) = &mut self.up {
            up.reset();
        }
        if let Some(down) = &mut self.down {
            down.reset();
        }
    }

    /// One host sample through the model; returns the wet sample, delayed
    /// by the processor's latency.
    #[inline]
    fn wet(&mut self, x: f32, kernel: Option<&Kernel>) -> f32 {
        let m = &mut self.model;
        if let (Some(up), Some(down), Some(kernel)) = (&mut self.up, &mut self.down, kernel) {
            up.push(x);
            while up.ready() {
                m.fifo_in[self.pos] = up.pull(kernel) * I16_SCALE;
                self.pos += 1;
                if self.pos == FRAME {
                    self.pos = 0;
                    m.run();
                    // The model's output lags its input by one frame: the
                    // first frame out is the warm-up before the stream.
                    if self.primed {
                        for &v in &m.fifo_out {
                            down.push(v / I16_SCALE);
                        }
                    }
                    self.primed = true;
                }
            }
            debug_assert!(down.ready(), "the latency covers the converters");
            down.pull(kernel)
        } else {
            m.fifo_in[self.pos] = x * I16_SCALE;
            let wet = m.fifo_out[self.pos] / I16_SCALE;
            self.pos += 1;
            if self.pos == FRAME {
                self.pos = 0;
                m.run();
            }
            wet
        }
    }

    /// The input delayed by the latency.
    #[inline]
    fn dry(&mut self, x: f32) -> f32 {
        let d = self.dry[self.dry_pos];
        self.dry[self.dry_pos] = x;
        self.dry_pos += 1;
        if self.dry_pos == self.dry.len() {
            self.dry_pos = 0;
        }
        d
    }

    /// Reduction estimate for the last frame: the model's amplitude ratio
    /// `r` (its output against the input frame it belongs to), blended like
    /// the output, `−20·log10((1 − k) + k·r)`.
    fn meter(&self, k: f32) -> f32 {
        let e_in = self.model.energy_in[1];
        if e_in <= 1e-3 {
            return 0.0;
        }
        let r = (self.model.energy_out / e_in).sqrt().min(1.0);
        let g = (1.0 - k) + k * r;
        if g <= 1e-5 {
            100.0
        } else {
            (-20.0 * g.log10()).max(0.0)
        }
    }
}

/// RNNoise dialogue denoiser, one model state per channel (channels are
/// processed independently).
///
/// Output: `out = dry + k·(wet − dry)` with `k = mix·(1 − 10^(−limit/20))`,
/// where `dry` is the input delayed by the latency and `wet` the model's
/// output. With `mix` 1, wherever the model removes everything the output
/// sits exactly `limit` dB below the dry signal, never lower; `mix` 0 gives
/// the delayed input bit for bit.
///
/// At 48 kHz the latency is 960 samples (one frame of buffering plus the
/// model's own frame of overlap-add). At other rates the signal is
/// converted to 48 kHz and back (windowed sinc, 48 taps at the lower rate,
/// pass band to about 40 % of the lower rate); the latency then also covers
/// the converters (931 samples at 44.1 kHz, 2015 at 96 kHz). Rates are
/// clamped to 8–768 kHz.
pub struct RnnDenoise {
    mix: f32,
    limit_db: f32,
    /// `mix·(1 − 10^(−limit/20))`.
    k: f32,
    rate: u32,
    latency: usize,
    chans: Vec<RnnChannel>,
    kernel: Option<Kernel>,
    reduction: f32,
}

impl fmt::Debug for RnnDenoise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RnnDenoise")
            .field("mix", &self.mix)
            .field("limit_db", &self.limit_db)
            .field("rate", &self.rate)
            .field("channels", &self.chans.len())
            .field("latency", &self.latency)
            .finish()
    }
}

impl Default for RnnDenoise {
    fn default() -> Self {
        RnnDenoise::new()
    }
}

impl RnnDenoise {
    /// A denoiser, fully wet (`mix` 1) with a 100 dB limit; prepare it
    /// before use.
    pub fn new() -> RnnDenoise {
        let mut d = RnnDenoise {
            mix: 1.0,
            limit_db: 100.0,
            k: 0.0,
            rate: RNN_RATE,
            latency: 2 * FRAME,
            chans: Vec::new(),
            kernel: None,
            reduction: 0.0,
        };
        d.update_k();
        d
    }

    fn update_k(&mut self) {
        self.k = self.mix * (1.0 - crate::gain::db_to_gain(-self.limit_db));
    }

    /// Wet amount, 0 (dry) to 1 (fully processed); clamped.
    pub fn set_mix(&mut self, mix: f32) {
        if mix.is_finite() {
            self.mix = mix.clamp(0.0, 1.0);
            self.update_k();
        }
    }

    /// The wet amount.
    pub fn mix(&self) -> f32 {
        self.mix
    }

    /// Attenuation limit, 0 to 100 dB: the most the output is taken below
    /// the dry signal; clamped.
    pub fn set_limit_db(&mut self, limit_db: f32) {
        if limit_db.is_finite() {
            self.limit_db = limit_db.clamp(0.0, 100.0);
            self.update_k();
        }
    }

    /// The attenuation limit in dB.
    pub fn limit_db(&self) -> f32 {
        self.limit_db
    }

    /// Fills the calling thread's FFT plan and scratch caches that
    /// `nnnoiseless` keeps per thread, by running one silent frame through
    /// a throwaway model. Allocates: call it once on the audio thread
    /// before real-time work starts (at stream start); otherwise the first
    /// frame processed on that thread allocates them.
    pub fn warm_thread() {
        let mut state = DenoiseState::new();
        let input = [0.0f32; FRAME];
        let mut output = [0.0f32; FRAME];
        state.process_frame(&mut output, &input);
    }

    /// The latency at `rate`: 960 at 48 kHz, otherwise the frame delay seen
    /// through the two converters plus their reach.
    fn latency_for(rate: u32) -> usize {
        if rate == RNN_RATE {
            return 2 * FRAME;
        }
        let host = u64::from(rate.clamp(MIN_RATE, MAX_RATE));
        let g = gcd(host, u64::from(RNN_RATE));
        let (p, q) = (host / g, u64::from(RNN_RATE) / g);
        let model = u64::from(RNN_RATE);
        let reach_up = reach(host, model) as u64;
        let reach_down = reach(model, host) as u64;
        // The newest 48 kHz output the down stage needs lies `reach_down`
        // past its centre, and the model delivers a sample up to
        // `2·FRAME − 1` samples after it went in.
        let lead = (reach_down + 2 * FRAME as u64 - 1) * p;
        (lead.div_ceil(q) + reach_up + 1) as usize
    }
}

impl Processor for RnnDenoise {
    fn prepare(&mut self, rate: u32, channels: usize, _max_block: usize) {
        let rate = rate.clamp(MIN_RATE, MAX_RATE);
        let channels = channels.clamp(1, MAX_CHANNELS);
        self.rate = rate;
        self.latency = RnnDenoise::latency_for(rate);
        self.kernel = (rate != RNN_RATE).then(Kernel::new);
        let host = u64::from(rate);
        let model = u64::from(RNN_RATE);
        self.chans = (0..channels)
            .map(|_| {
                let (up, down) = if rate == RNN_RATE {
                    (None, None)
                } else {
                    // Down stage: host output n reads the 48 kHz stream at
                    // (n − latency)·48000/rate.
                    let ring = 4 * FRAME + SINC_HALF * 4;
                    (
                        Some(Stage::new(host, model, 0, 16)),
                        Some(Stage::new(model, host, -(self.latency as i64), ring)),
                    )
                };
                RnnChannel {
                    model: Model {
                        state: DenoiseState::new(),
                        fifo_in: vec![0.0; FRAME],
                        fifo_out: vec![0.0; FRAME],
                        energy_in: [0.0; 2],
                        energy_out: 0.0,
                    },
                    pos: 0,
                    primed: false,
                    dry: vec![0.0; self.latency],
                    dry_pos: 0,
                    up,
                    down,
                }
            })
            .collect();
        self.reduction = 0.0;
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let k = self.k;
        let kernel = self.kernel.as_ref();
        let mut reduction = 0.0f32;
        for (ch, buf) in self.chans.iter_mut().zip(io.iter_mut()) {
            for s in buf.iter_mut() {
                let x = *s;
                let wet = ch.wet(x, kernel);
                let dry = ch.dry(x);
                *s = dry + k * (wet - dry);
            }
            reduction = reduction.max(ch.meter(k));
        }
        self.reduction = reduction;
    }

    fn latency(&self) -> usize {
        self.latency
    }

    /// Clears the delay lines and converters and flushes each model's
    /// memories of earlier audio (input, pitch and overlap-add buffers) by
    /// running it on five silent frames; what remains of the old audio is
    /// the decay of the model's 15 Hz input high-pass, far below −100 dBFS.
    /// The network's recurrent state cannot be cleared without re-creating
    /// the model (which allocates), so it is kept: it only steers the gains
    /// and follows new audio within a few frames. Costs five model frames
    /// per channel.
    fn reset(&mut self) {
        for ch in &mut self.chans {
            ch.reset();
        }
        self.reduction = 0.0;
    }

    /// Estimated reduction of the last frame (loudest channel), in dB.
    fn reduction_db(&self) -> f32 {
        self.reduction
    }
}

// ---------------------------------------------------------------------------
// Noise print and spectral subtraction
// ---------------------------------------------------------------------------

/// The FFT length the spectral denoiser uses at `rate`: the smallest power
/// of two of at least `rate · 2048/48000` samples (42.7 ms; 2048 at 48 kHz,
/// 4096 at 96 kHz), and at least 256.
pub fn fft_size_for(rate: u32) -> usize {
    let want = (u64::from(rate) * 2048).div_ceil(48_000) as usize;
    want.max(256).next_power_of_two()
}

/// Periodic Hann window of length `n`.
fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = std::f64::consts::PI * i as f64 / n as f64;
            (x.sin() * x.sin()) as f32
        })
        .collect()
}

/// Why a noise print could not be learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnError {
    /// The stretch is shorter than one analysis frame.
    TooShort {
        /// Samples one frame needs.
        needed: usize,
        /// Samples given (the shortest channel).
        got: usize,
    },
    /// The stretch is digital silence (below −120 dBFS RMS).
    Silent,
    /// The sample rate is 0.
    InvalidRate,
}

impl fmt::Display for LearnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LearnError::TooShort { needed, got } => write!(
                f,
                "the noise stretch is too short: {got} samples, at least {needed} needed"
            ),
            LearnError::Silent => write!(f, "the noise stretch is silent"),
            LearnError::InvalidRate => write!(f, "the sample rate is 0"),
        }
    }
}

impl std::error::Error for LearnError {}

/// The mean magnitude spectrum of a noise, learnt from room tone.
#[derive(Debug, Clone, PartialEq)]
pub struct NoisePrint {
    /// Sample rate the print was learnt at.
    pub rate: u32,
    /// FFT length of the analysis (Hann window, hop `fft_size/4`).
    pub fft_size: usize,
    /// Mean `|X[k]|` per bin of the Hann-windowed, unnormalised FFT,
    /// `fft_size/2 + 1` bins.
    pub magnitudes: Vec<f32>,
}

impl NoisePrint {
    /// Learns a print from a stretch of noise alone (planar channels, all
    /// averaged together; the shortest channel sets the length), using
    /// [`fft_size_for`]`(rate)`, a Hann window and a hop of a quarter
    /// frame. Allocates: call off the audio thread.
    pub fn learn(channels: &[&[f32]], rate: u32) -> Result<NoisePrint, LearnError> {
        if rate == 0 {
            return Err(LearnError::InvalidRate);
        }
        let n = fft_size_for(rate);
        let len = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        if len < n {
            return Err(LearnError::TooShort {
                needed: n,
                got: len,
            });
        }
        let mut energy = 0.0f64;
        for c in channels {
            for &v in &c[..len] {
                if v.is_finite() {
                    energy += f64::from(v) * f64::from(v);
                }
            }
        }
        let rms = (energy / (len * channels.len()) as f64).sqrt();
        if rms < 1e-6 {
            return Err(LearnError::Silent);
        }
        let hop = n / 4;
        let window = hann(n);
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(n);
        let mut frame = fft.make_input_vec();
        let mut spec = fft.make_output_vec();
        let mut scratch = fft.make_scratch_vec();
        let mut sum = vec![0.0f64; n / 2 + 1];
        let mut count = 0usize;
        for c in channels {
            let mut start = 0;
            while start + n <= len {
                for ((f, &x), &w) in frame.iter_mut().zip(&c[start..start + n]).zip(&window) {
                    *f = if x.is_finite() { x * w } else { 0.0 };
                }
                if fft
                    .process_with_scratch(&mut frame, &mut spec, &mut scratch)
                    .is_ok()
                {
                    for (s, x) in sum.iter_mut().zip(&spec) {
                        *s += f64::from(x.norm());
                    }
                    count += 1;
                }
                start += hop;
            }
        }
        let count = count.max(1) as f64;
        Ok(NoisePrint {
            rate,
            fft_size: n,
            magnitudes: sum.iter().map(|s| (s / count) as f32).collect(),
        })
    }

    /// Whether the print is usable (a positive rate and `fft_size/2 + 1`
    /// finite, non-negative magnitudes).
    pub fn is_valid(&self) -> bool {
        self.rate > 0
            && self.fft_size >= 2
            && self.magnitudes.len() == self.fft_size / 2 + 1
            && self.magnitudes.iter().all(|m| m.is_finite() && *m >= 0.0)
    }

    /// Maps the print onto `out.len()` bins of an `fft_size`-point analysis
    /// at `rate`: bins are matched by frequency (linear interpolation, the
    /// last bin held above the print's Nyquist) and scaled for the change
    /// of window length and rate, so the same noise gives the same figures.
    pub fn map_to(&self, rate: u32, fft_size: usize, out: &mut [f32]) {
        let last = self.magnitudes.len().saturating_sub(1);
        if last == 0 || rate == 0 || self.rate == 0 || fft_size == 0 {
            out.fill(0.0);
            return;
        }
        if rate == self.rate && fft_size == self.fft_size && out.len() == self.magnitudes.len() {
            out.copy_from_slice(&self.magnitudes);
            return;
        }
        let scale = ((f64::from(rate) * fft_size as f64)
            / (f64::from(self.rate) * self.fft_size as f64))
            .sqrt();
        let ratio =
            (f64::from(rate) / fft_size as f64) * (self.fft_size as f64 / f64::from(self.rate));
        for (k, o) in out.iter_mut().enumerate() {
            let src = k as f64 * ratio;
            let i = src.floor() as usize;
            let m = if i >= last {
                f64::from(self.magnitudes[last])
            } else {
                let f = src - i as f64;
                f64::from(self.magnitudes[i]) * (1.0 - f) + f64::from(self.magnitudes[i + 1]) * f
            };
            *o = (m * scale) as f32;
        }
    }
}

/// Mean power over squared mean magnitude of Gaussian noise in one bin
/// (Rayleigh-distributed magnitudes): turns the print's magnitudes into the
/// noise power the gain rule needs.
const RAYLEIGH_POWER: f32 = 4.0 / std::f32::consts::PI;

/// Time constant of the decision-directed smoothing at `smoothing` 1, in
/// seconds.
const SMOOTHING_MAX_S: f32 = 0.5;

/// Per-channel STFT buffers.
struct SpecChannel {
    /// The last `n` input samples (newest at the end).
    input: Vec<f32>,
    /// Overlap-add accumulator; `output[..hop]` is being read out.
    output: Vec<f32>,
    spec: Vec<Complex<f32>>,
}

/// Noise reduction against a learnt [`NoisePrint`], on a Hann-windowed
/// STFT (length [`fft_size_for`] the rate, hop a quarter of it, weighted
/// overlap-add with the same window).
///
/// Gain per bin: a Wiener gain `g = max(floor, ξ/(1 + ξ))` with `floor =
/// 10^(−reduction/20)`, where the a-priori SNR ξ is estimated
/// decision-directed (Ephraim–Malah): `ξ = a·(g_prev²·|X_prev|²)/N +
/// (1 − a)·max(|X|²/N − 1, 0)`. `N` is the noise power per bin, `4/π` times
/// the print's mean magnitude squared (Gaussian noise), and `|X|²` the mean
/// over channels (one set of gains for all channels, so the image holds).
/// The recursion in ξ is the temporal smoothing that keeps residual noise
/// from twinkling ("musical noise"); the gains are also blended with their
/// neighbouring bins. Unlike plain magnitude subtraction (`1 − α·N/|X|`),
/// this leaves bins well above the noise nearly untouched, which keeps
/// the dialogue's level.
///
/// The latency is the FFT length (2048 at 48 kHz). With no print, or a
/// reduction of 0 dB, the output is the input delayed by the latency.
/// Rates are clamped to 8–768 kHz.
pub struct SpectralDenoise {
    print: Option<Arc<NoisePrint>>,
    reduction: f32,
    floor: f32,
    smoothing: f32,
    /// Decision-directed smoothing factor per hop.
    dd: f32,
    rate: u32,
    n: usize,
    hop: usize,
    /// Noise magnitudes mapped to this rate and FFT length; empty or unused
    /// when there is no usable print.
    noise: Vec<f32>,
    has_noise: bool,
    window: Vec<f32>,
    /// Window squared, scaled for the overlap-add (no-print path).
    window_sq: Vec<f32>,
    /// Synthesis window with the inverse FFT's and overlap-add scaling.
    window_syn: Vec<f32>,
    fwd: Option<Arc<dyn RealToComplex<f32>>>,
    inv: Option<Arc<dyn ComplexToReal<f32>>>,
    chans: Vec<SpecChannel>,
    frame: Vec<f32>,
    scratch_fwd: Vec<Complex<f32>>,
    scratch_inv: Vec<Complex<f32>>,
    /// Channel-mean power per bin of the current frame.
    power: Vec<f32>,
    /// Gains before the blend across bins.
    raw: Vec<f32>,
    /// Estimated clean power per bin of the last frame (`g²·|X|²`).
    clean_pow: Vec<f32>,
    /// Gains applied to the current frame.
    gain: Vec<f32>,
    curve_db: Vec<f32>,
    pos: usize,
    applied: f32,
}

impl fmt::Debug for SpectralDenoise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpectralDenoise")
            .field("has_print", &self.print.is_some())
            .field("reduction_db", &self.reduction)
            .field("smoothing", &self.smoothing)
            .field("rate", &self.rate)
            .field("fft_size", &self.n)
            .field("channels", &self.chans.len())
            .finish()
    }
}

impl SpectralDenoise {
    /// A denoiser with `print` (or none: passthrough), 12 dB reduction and
    /// smoothing 0.5; prepare it before use.
    pub fn new(print: Option<Arc<NoisePrint>>) -> SpectralDenoise {
        let n = fft_size_for(48_000);
        let mut d = SpectralDenoise {
            print,
            reduction: 12.0,
            floor: 1.0,
            smoothing: 0.5,
            dd: 0.0,
            rate: 48_000,
            n,
            hop: n / 4,
            noise: Vec::new(),
            has_noise: false,
            window: Vec::new(),
            window_sq: Vec::new(),
            window_syn: Vec::new(),
            fwd: None,
            inv: None,
            chans: Vec::new(),
            frame: Vec::new(),
            scratch_fwd: Vec::new(),
            scratch_inv: Vec::new(),
            power: Vec::new(),
            raw: Vec::new(),
            clean_pow: Vec::new(),
            gain: Vec::new(),
            curve_db: Vec::new(),
            pos: 0,
            applied: 0.0,
        };
        d.floor = crate::gain::db_to_gain(-d.reduction);
        d.update_dd();
        d
    }

    /// Replaces the noise print (None: passthrough). Not real-time safe
    /// (may drop the last reference to the old print, and maps the new one
    /// onto this rate): call it off the audio thread, before handing the
    /// processor over. The gains carry on from their current state (no
    /// reduction after a stretch without a print).
    pub fn set_print(&mut self, print: Option<Arc<NoisePrint>>) {
        self.print = print;
        self.map_print();
    }

    /// The noise print in use.
    pub fn print(&self) -> Option<&Arc<NoisePrint>> {
        self.print.as_ref()
    }

    /// Reduction, 0 to 40 dB: how far noise-only bins are taken down;
    /// clamped.
    pub fn set_reduction_db(&mut self, db: f32) {
        if db.is_finite() {
            self.reduction = db.clamp(0.0, 40.0);
            self.floor = crate::gain::db_to_gain(-self.reduction);
        }
    }

    /// The reduction setting in dB.
    pub fn reduction_setting_db(&self) -> f32 {
        self.reduction
    }

    /// Smoothing against musical noise, 0 to 1 (clamped): the time
    /// constant of the decision-directed SNR estimate is `smoothing` × 0.5 s
    /// (0: the instantaneous SNR), and each gain is blended with its two
    /// neighbouring bins by `smoothing/4` each.
    pub fn set_smoothing(&mut self, smoothing: f32) {
        if smoothing.is_finite() {
            self.smoothing = smoothing.clamp(0.0, 1.0);
            self.update_dd();
        }
    }

    /// The smoothing setting.
    pub fn smoothing(&self) -> f32 {
        self.smoothing
    }

    /// The FFT length at the prepared rate.
    pub fn fft_size(&self) -> usize {
        self.n
    }

    /// The gain now applied per bin, in dB (≤ 0), for display; `fft_size/2
    /// + 1` values once prepared, all 0 with no print.
    pub fn reduction_curve(&self) -> &[f32] {
        &self.curve_db
    }

    fn update_dd(&mut self) {
        let tau = self.smoothing * SMOOTHING_MAX_S;
        self.dd = if tau <= 0.0 {
            0.0
        } else {
            (-(self.hop as f32) / (self.rate as f32 * tau)).exp()
        };
    }

    fn map_print(&mut self) {
        self.has_noise = false;
        if self.noise.len() != self.n / 2 + 1 {
            return;
        }
        if let Some(p) = &self.print
            && p.is_valid()
        {
            p.map_to(self.rate, self.n, &mut self.noise);
            self.has_noise = true;
        }
    }

    /// One hop: analyse the last `n` inputs of every channel, apply the
    /// gains and overlap-add into the output accumulators.
    fn hop(&mut self) {
        let (n, hop) = (self.n, self.hop);
        let spectral = self.has_noise;
        if let (true, Some(fwd), Some(inv)) = (spectral, &self.fwd, &self.inv) {
            self.power.fill(0.0);
            for ch in &mut self.chans {
                for ((f, &x), &w) in self.frame.iter_mut().zip(&ch.input).zip(&self.window) {
                    *f = x * w;
                }
                if fwd
                    .process_with_scratch(&mut self.frame, &mut ch.spec, &mut self.scratch_fwd)
                    .is_err()
                {
                    ch.spec.fill(Complex::new(0.0, 0.0));
                }
                for (m, x) in self.power.iter_mut().zip(&ch.spec) {
                    *m += x.norm_sqr();
                }
            }
            // Decision-directed Wiener gain per bin on the channel-mean power.
            let inv_ch = 1.0 / self.chans.len().max(1) as f32;
            let dd = self.dd;
            for (((r, &x_pow), &noise), clean) in self
                .raw
                .iter_mut()
                .zip(&self.power)
                .zip(&self.noise)
                .zip(self.clean_pow.iter_mut())
            {
                let x_pow = x_pow * inv_ch;
                let n_pow = RAYLEIGH_POWER * noise * noise;
                let g = if n_pow > 1e-30 {
                    let post = x_pow / n_pow;
                    let prior = dd * *clean / n_pow + (1.0 - dd) * (post - 1.0).max(0.0);
                    (prior / (1.0 + prior)).clamp(self.floor, 1.0)
                } else {
                    1.0
                };
                let c = g * g * x_pow;
                *clean = if c < 1e-30 { 0.0 } else { c };
                *r = g;
            }
            // Across bins: [a/2, 1 − a, a/2] with a = smoothing/2.
            let a = 0.5 * self.smoothing;
            let bins = self.raw.len();
            let mut prev = self.raw[0];
            let mut sum_db = 0.0f32;
            for k in 0..bins {
                let here = self.raw[k];
                let next = if k + 1 < bins { self.raw[k + 1] } else { here };
                let g = (1.0 - a) * here + 0.5 * a * (prev + next);
                prev = here;
                self.gain[k] = g;
                let db = if g > 1e-7 { 20.0 * g.log10() } else { -140.0 };
                self.curve_db[k] = db;
                sum_db += db;
            }
            self.applied = (-sum_db / bins as f32).max(0.0);
            let last = bins - 1;
            for ch in &mut self.chans {
                for (x, &g) in ch.spec.iter_mut().zip(&self.gain) {
                    *x *= g;
                }
                ch.spec[0].im = 0.0;
                ch.spec[last].im = 0.0;
                if inv
                    .process_with_scratch(&mut ch.spec, &mut self.frame, &mut self.scratch_inv)
                    .is_err()
                {
                    self.frame.fill(0.0);
                }
                ch.output.copy_within(hop.., 0);
                ch.output[n - hop..].fill(0.0);
                for ((o, &y), &w) in ch.output.iter_mut().zip(&self.frame).zip(&self.window_syn) {
                    *o += y * w;
                }
                ch.input.copy_within(hop.., 0);
            }
        } else {
            // No print: the same windowed overlap-add without the FFT pair
            // (identical up to rounding), so the latency does not change.
            for ch in &mut self.chans {
                ch.output.copy_within(hop.., 0);
                ch.output[n - hop..].fill(0.0);
                for ((o, &x), &w) in ch.output.iter_mut().zip(&ch.input).zip(&self.window_sq) {
                    *o += x * w;
                }
                ch.input.copy_within(hop.., 0);
            }
            self.gain.fill(1.0);
            self.clean_pow.fill(0.0);
            self.curve_db.fill(0.0);
            self.applied = 0.0;
        }
    }
}

impl Processor for SpectralDenoise {
    fn prepare(&mut self, rate: u32, channels: usize, _max_block: usize) {
        let rate = rate.clamp(MIN_RATE, MAX_RATE);
        let channels = channels.clamp(1, MAX_CHANNELS);
        let n = fft_size_for(rate);
        self.rate = rate;
        self.n = n;
        self.hop = n / 4;
        let bins = n / 2 + 1;
        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(n);
        let inv = planner.plan_fft_inverse(n);
        self.window = hann(n);
        // Σ hann² over the four overlapping frames is 1.5 at every sample.
        let ola = 1.0 / 1.5;
        self.window_sq = self.window.iter().map(|w| w * w * ola).collect();
        self.window_syn = self.window.iter().map(|w| w * ola / n as f32).collect();
        self.frame = fwd.make_input_vec();
        self.scratch_fwd = fwd.make_scratch_vec();
        self.scratch_inv = inv.make_scratch_vec();
        self.chans = (0..channels)
            .map(|_| SpecChannel {
                input: vec![0.0; n],
                output: vec![0.0; n],
                spec: fwd.make_output_vec(),
            })
            .collect();
        self.fwd = Some(fwd);
        self.inv = Some(inv);
        self.power = vec![0.0; bins];
        self.raw = vec![1.0; bins];
        self.clean_pow = vec![0.0; bins];
        self.gain = vec![1.0; bins];
        self.curve_db = vec![0.0; bins];
        self.noise = vec![0.0; bins];
        self.pos = 0;
        self.applied = 0.0;
        self.update_dd();
        self.map_print();
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        if self.chans.is_empty() {
            return;
        }
        let frames = io.iter().map(|c| c.len()).min().unwrap_or(0);
        let (n, hop) = (self.n, self.hop);
        let mut i = 0;
        while i < frames {
            let len = (hop - self.pos).min(frames - i);
            for (ch, buf) in self.chans.iter_mut().zip(io.iter_mut()) {
                let at = n - hop + self.pos;
                ch.input[at..at + len].copy_from_slice(&buf[i..i + len]);
                buf[i..i + len].copy_from_slice(&ch.output[self.pos..self.pos + len]);
            }
            self.pos += len;
            i += len;
            if self.pos == hop {
                self.pos = 0;
                self.hop();
            }
        }
    }

    fn latency(&self) -> usize {
        self.n
    }

    fn reset(&mut self) {
        for ch in &mut self.chans {
            ch.input.fill(0.0);
            ch.output.fill(0.0);
        }
        self.gain.fill(1.0);
        self.raw.fill(1.0);
        self.clean_pow.fill(0.0);
        self.curve_db.fill(0.0);
        self.pos = 0;
        self.applied = 0.0;
    }

    /// Mean over bins of the reduction now applied, in dB.
    fn reduction_db(&self) -> f32 {
        self.applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u32, amp: f32) -> Vec<f32> {
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

    type Planar = Vec<Vec<f32>>;

    fn run(p: &mut dyn Processor, input: &[Vec<f32>], block: usize) -> Planar {
        let mut out: Vec<Vec<f32>> = input.to_vec();
        let len = out[0].len();
        let mut i = 0;
        while i < len {
            let end = (i + block).min(len);
            let mut rows: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[i..end]).collect();
            p.process(&mut rows, None);
            i = end;
        }
        out
    }

    #[test]
    fn fft_sizes_keep_about_43_ms() {
        assert_eq!(fft_size_for(48_000), 2048);
        assert_eq!(fft_size_for(44_100), 2048);
        assert_eq!(fft_size_for(96_000), 4096);
        assert_eq!(fft_size_for(192_000), 8192);
        assert_eq!(fft_size_for(8_000), 512);
    }

    #[test]
    fn learn_rejects_short_silent_and_rateless_input() {
        let short = noise(1000, 3, 0.1);
        assert_eq!(
            NoisePrint::learn(&[&short], 48_000),
            Err(LearnError::TooShort {
                needed: 2048,
                got: 1000
            })
        );
        let silent = vec![0.0f32; 10_000];
        assert_eq!(
            NoisePrint::learn(&[&silent], 48_000),
            Err(LearnError::Silent)
        );
        assert_eq!(
            NoisePrint::learn(&[], 48_000),
            Err(LearnError::TooShort {
                needed: 2048,
                got: 0
            })
        );
        assert!(LearnError::Silent.to_string().contains("silent"));
        let ok = noise(10_000, 3, 0.1);
        assert_eq!(NoisePrint::learn(&[&ok], 0), Err(LearnError::InvalidRate));
        let p = NoisePrint::learn(&[&ok, &ok], 48_000).expect("print");
        assert_eq!(p.magnitudes.len(), 1025);
        assert!(p.is_valid());
    }

    #[test]
    fn print_maps_across_rates_to_the_same_levels() {
        // A flat 48 kHz print at 96 kHz: the same noise density seen
        // through twice the rate and twice the frame length gives twice the
        // per-bin magnitude.
        let p = NoisePrint {
            rate: 48_000,
            fft_size: 2048,
            magnitudes: vec![1.0; 1025],
        };
        let mut out = vec![0.0; 2049];
        p.map_to(96_000, 4096, &mut out);
        assert!(out.iter().all(|v| (v - 2.0).abs() < 1e-6));
        let mut same = vec![0.0; 1025];
        p.map_to(48_000, 2048, &mut same);
        assert_eq!(same, p.magnitudes);
    }

    #[test]
    fn spectral_passthrough_without_print_or_reduction() {
        let x = noise(20_000, 9, 0.5);
        for print in [false, true] {
            let mut d = if print {
                let p = NoisePrint::learn(&[&x], 48_000).expect("print");
                let mut d = SpectralDenoise::new(Some(Arc::new(p)));
                d.set_reduction_db(0.0);
                d
            } else {
                SpectralDenoise::new(None)
            };
            d.prepare(48_000, 1, 512);
            let lat = d.latency();
            assert_eq!(lat, 2048);
            let y = run(&mut d, std::slice::from_ref(&x), 333);
            let worst = (lat..x.len())
                .map(|i| (y[0][i] - x[i - lat]).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "print {print}: {worst}");
            assert!(y[0][..lat].iter().all(|v| v.abs() < 1e-5));
        }
    }

    #[test]
    fn rate_conversion_round_trip_is_a_pure_delay() {
        // The up/down stages around a model stand-in that only delays by a
        // frame, as the model does: a band-limited tone comes back delayed
        // by exactly the latency.
        for rate in [44_100u32, 96_000, 32_000, 88_200, 192_000, 22_050, 8_000] {
            let lat = RnnDenoise::latency_for(rate);
            let kernel = Kernel::new();
            let mut up = Stage::new(u64::from(rate), 48_000, 0, 16);
            let mut down = Stage::new(48_000, u64::from(rate), -(lat as i64), 4 * FRAME + 96);
            let mut fifo = vec![0.0f32; FRAME];
            let mut pos = 0;
            let mut primed = false;
            let mut delayed = vec![0.0f32; FRAME];
            // 1 kHz, and a tone at 30 % of the lower rate (13.2 kHz at
            // 44.1 kHz), well inside the converters' pass band.
            let f = 1000.0 / rate as f32;
            let f2 = 0.3 * rate.min(48_000) as f32 / rate as f32;
            let x: Vec<f32> = (0..rate as usize / 2)
                .map(|i| {
                    let t = i as f32;
                    (2.0 * std::f32::consts::PI * f * t).sin() * 0.4
                        + (2.0 * std::f32::consts::PI * f2 * t).sin() * 0.1
                })
                .collect();
            let mut y = Vec::new();
            for &v in &x {
                up.push(v);
                while up.ready() {
                    fifo[pos] = up.pull(&kernel);
                    pos += 1;
                    if pos == FRAME {
                        pos = 0;
                        if primed {
                            for &d in &delayed {
                                down.push(d);
                            }
                        }
                        primed = true;
                        delayed.copy_from_slice(&fifo);
                    }
                }
                assert!(down.next_int + down.reach < down.written, "rate {rate}");
                y.push(down.pull(&kernel));
            }
            let worst = (lat + 200..x.len())
                .map(|i| (y[i] - x[i - lat]).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 5e-4, "rate {rate}: {worst}");
        }
    }

    /// Noise with a tone burst in the middle: something for both models to
    /// work on.
    fn test_signal(rate: u32, len: usize, seed: u32) -> Vec<f32> {
        let mut x = noise(len, seed, 0.02);
        for (i, v) in x.iter_mut().enumerate() {
            if (len / 3..2 * len / 3).contains(&i) {
                let t = i as f32 / rate as f32;
                *v += 0.2 * (2.0 * std::f32::consts::PI * 220.0 * t).sin()
                    + 0.1 * (2.0 * std::f32::consts::PI * 660.0 * t).sin();
            }
        }
        x
    }

    #[test]
    fn rnn_with_mix_zero_is_the_input_delayed_exactly() {
        for rate in [48_000u32, 44_100, 96_000] {
            let x = test_signal(rate, rate as usize / 2, 5);
            let mut d = RnnDenoise::new();
            d.set_mix(0.0);
            d.prepare(rate, 1, 1000);
            let lat = d.latency();
            if rate == 48_000 {
                assert_eq!(lat, 960);
            }
            let y = run(&mut d, std::slice::from_ref(&x), 64);
            assert!(y[0][..lat].iter().all(|v| *v == 0.0));
            for i in lat..x.len() {
                assert_eq!(y[0][i], x[i - lat], "rate {rate}, sample {i}");
            }
        }
    }

    #[test]
    fn rnn_latency_lines_the_wet_signal_up_with_the_dry() {
        // At full wet a tone burst survives the model and lines up with the
        // delayed input (correlation peak at lag 0). The tones sit well
        // above the model's 15 Hz input high-pass, whose phase lead would
        // shift the peak at low frequencies.
        for rate in [48_000u32, 44_100, 96_000] {
            let mut x = noise(rate as usize, 6, 0.01);
            for (i, v) in x.iter_mut().enumerate().skip(rate as usize / 4) {
                let t = i as f32 / rate as f32;
                *v += 0.2 * (2.0 * std::f32::consts::PI * 1500.0 * t).sin()
                    + 0.1 * (2.0 * std::f32::consts::PI * 3100.0 * t).sin();
            }
            let mut d = RnnDenoise::new();
            d.prepare(rate, 1, 512);
            let lat = d.latency();
            let y = run(&mut d, std::slice::from_ref(&x), 512);
            let (a, b) = (rate as usize * 4 / 10, rate as usize * 6 / 10);
            let corr = |lag: isize| -> f64 {
                (a..b)
                    .map(|i| f64::from(y[0][i + lat]) * f64::from(x[(i as isize + lag) as usize]))
                    .sum()
            };
            let best = (-40isize..=40)
                .max_by(|&p, &q| corr(p).total_cmp(&corr(q)))
                .unwrap_or(0);
            assert_eq!(best, 0, "rate {rate}");
        }
    }

    #[test]
    fn both_modes_are_block_size_independent() {
        for rate in [48_000u32, 44_100] {
            let x = test_signal(rate, rate as usize * 6 / 10, 7);
            let x2 = test_signal(rate, rate as usize * 6 / 10, 8);
            let input = vec![x.clone(), x2];
            let print = NoisePrint::learn(&[&x[..8192]], rate).expect("print");
            let print = Arc::new(print);
            let mut reference: Option<(Planar, Planar)> = None;
            for block in [1usize, 7, 64, 480, 1000] {
                let mut rnn = RnnDenoise::new();
                rnn.set_limit_db(20.0);
                rnn.set_mix(0.8);
                rnn.prepare(rate, 2, 1000);
                let a = run(&mut rnn, &input, block);
                let mut spec = SpectralDenoise::new(Some(print.clone()));
                spec.prepare(rate, 2, 1000);
                let b = run(&mut spec, &input, block);
                match &reference {
                    None => reference = Some((a, b)),
                    Some((ra, rb)) => {
                        assert_eq!(&a, ra, "rnn, rate {rate}, block {block}");
                        assert_eq!(&b, rb, "spectral, rate {rate}, block {block}");
                    }
                }
            }
        }
    }

    #[test]
    fn spectral_reduces_noise_by_the_reduction_and_reports_it() {
        let x = noise(48_000 * 2, 11, 0.1);
        let print = NoisePrint::learn(&[&x[..24_000]], 48_000).expect("print");
        for reduction in [6.0f32, 12.0, 24.0] {
            let mut d = SpectralDenoise::new(Some(Arc::new(print.clone())));
            d.set_reduction_db(reduction);
            d.prepare(48_000, 1, 512);
            let y = run(&mut d, std::slice::from_ref(&x), 512);
            let lat = d.latency();
            let e_in: f32 = x[24_000..90_000].iter().map(|v| v * v).sum();
            let e_out: f32 = y[0][24_000 + lat..90_000 + lat].iter().map(|v| v * v).sum();
            let got = -10.0 * (e_out / e_in).log10();
            // Deep settings leave a little more: the noise's own peaks lift
            // the estimated SNR of a few bins above the floor.
            let slack = (0.2 * reduction).max(1.0);
            assert!(
                got > reduction - slack && got < reduction + 0.5,
                "{reduction}: {got}"
            );
            assert!(
                (d.reduction_db() - reduction).abs() < 1.0,
                "{}",
                d.reduction_db()
            );
            assert_eq!(d.reduction_curve().len(), 1025);
            assert!(
                d.reduction_curve()
                    .iter()
                    .all(|g| *g <= 0.0 && *g >= -reduction - 1e-3)
            );
        }
    }

    #[test]
    fn a_print_from_another_rate_still_works() {
        // Learnt at 48 kHz, used at 44.1 kHz on the same noise (which,
        // being white at the sample level, has the density scaled by the
        // rate; the mapping assumes the physical density is the same, so
        // feed the 44.1 kHz run noise scaled by √(44.1/48)).
        let x = noise(48_000 * 2, 12, 0.1);
        let print = NoisePrint::learn(&[&x[..24_000]], 48_000).expect("print");
        let scale = (44_100.0f32 / 48_000.0).sqrt();
        let x44: Vec<f32> = noise(44_100 * 2, 13, 0.1)
            .iter()
            .map(|v| v * scale)
            .collect();
        let mut d = SpectralDenoise::new(Some(Arc::new(print)));
        d.set_reduction_db(12.0);
        d.prepare(44_100, 1, 512);
        let y = run(&mut d, std::slice::from_ref(&x44), 512);
        let lat = d.latency();
        let e_in: f32 = x44[22_050..80_000].iter().map(|v| v * v).sum();
        let e_out: f32 = y[0][22_050 + lat..80_000 + lat].iter().map(|v| v * v).sum();
        let got = -10.0 * (e_out / e_in).log10();
        assert!(got > 11.0 && got < 12.5, "{got}");
    }

    #[test]
    fn reset_forgets_earlier_audio() {
        let x = test_signal(48_000, 30_000, 14);
        let print = Arc::new(NoisePrint::learn(&[&x[..8192]], 48_000).expect("print"));
        let mut spec = SpectralDenoise::new(Some(print));
        spec.prepare(48_000, 1, 512);
        let fresh = run(&mut spec, std::slice::from_ref(&x), 512);
        spec.reset();
        let again = run(&mut spec, std::slice::from_ref(&x), 512);
        assert_eq!(fresh, again);

        let mut rnn = RnnDenoise::new();
        rnn.prepare(44_100, 1, 512);
        run(&mut rnn, std::slice::from_ref(&x), 512);
        rnn.reset();
        let quiet = run(&mut rnn, &[vec![0.0; 8000]], 512);
        // What is left is the decay of the model's 15 Hz input high-pass
        // (about −110 dBFS here).
        let tail = quiet[0].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(tail < 1e-5, "{tail}");
        assert_eq!(rnn.reduction_db(), 0.0);
    }

    #[test]
    fn setters_clamp_and_ignore_non_finite_values() {
        let mut rnn = RnnDenoise::new();
        rnn.set_mix(2.0);
        rnn.set_limit_db(-5.0);
        assert_eq!((rnn.mix(), rnn.limit_db()), (1.0, 0.0));
        rnn.set_mix(f32::NAN);
        rnn.set_limit_db(f32::INFINITY);
        assert_eq!((rnn.mix(), rnn.limit_db()), (1.0, 0.0));
        let mut spec = SpectralDenoise::new(None);
        spec.set_reduction_db(99.0);
        spec.set_smoothing(-1.0);
        assert_eq!((spec.reduction_setting_db(), spec.smoothing()), (40.0, 0.0));
        spec.set_reduction_db(f32::NAN);
        spec.set_smoothing(f32::NAN);
        assert_eq!((spec.reduction_setting_db(), spec.smoothing()), (40.0, 0.0));
    }

    #[test]
    fn unprepared_processors_leave_audio_alone() {
        let mut buf = vec![0.5f32; 64];
        let mut spec = SpectralDenoise::new(None);
        spec.process(&mut [&mut buf], None);
        assert!(buf.iter().all(|v| *v == 0.5));
        let mut rnn = RnnDenoise::new();
        rnn.process(&mut [&mut buf], None);
        assert!(buf.iter().all(|v| *v == 0.5));
    }
}
