//! Input trim: gain, polarity and an alignment delay, the first insert of a
//! strip.
//!
//! The delay is deliberate (lining up a boom with a lav, a source with its
//! picture), so it is not reported as latency to compensate. Gain and
//! polarity changes glide over 5 ms; a polarity flip passes through zero
//! rather than jumping.

use crate::gain::{GainRamp, db_to_gain};
use crate::processor::{MAX_CHANNELS, Processor};

/// Largest trim gain in dB.
pub const MAX_GAIN_DB: f32 = 24.0;
/// Longest alignment delay in milliseconds.
pub const MAX_DELAY_MS: f32 = 1000.0;
/// Duration of a gain or polarity glide, in seconds.
const RAMP_S: f32 = 0.005;

/// Gain, polarity invert and alignment delay. At unity gain, no invert and
/// no delay the signal passes bit for bit.
#[derive(Debug, Clone)]
pub struct Trim {
    gain_db: f32,
    invert: bool,
    delay_ms: f32,
    rate: u32,
    ramp: GainRamp,
    /// One ring of `len` samples per prepared channel, back to back.
    ring: Vec<f32>,
    len: usize,
    channels: usize,
    write: usize,
    delay: usize,
}

impl Default for Trim {
    fn default() -> Trim {
        Trim::new()
    }
}

impl Trim {
    /// Unity gain, no invert, no delay.
    pub fn new() -> Trim {
        Trim {
            gain_db: 0.0,
            invert: false,
            delay_ms: 0.0,
            rate: 48_000,
            ramp: GainRamp::new(1.0),
            ring: Vec::new(),
            len: 0,
            channels: 0,
            write: 0,
            delay: 0,
        }
    }

    /// The signed linear gain the ramp heads for.
    fn target(&self) -> f32 {
        let g = db_to_gain(self.gain_db);
        if self.invert { -g } else { g }
    }

    fn retarget(&mut self) {
        let samples = (RAMP_S * self.rate as f32).round() as u32;
        let target = self.target();
        if target != self.ramp.target() {
            self.ramp.set_target(target, samples);
        }
    }

    /// Gain in dB, at most +24 dB; −∞ (or −144 dB and below) is silence.
    /// NaN and +∞ are ignored.
    pub fn set_gain_db(&mut self, db: f32) {
        if db.is_nan() || db == f32::INFINITY {
            return;
        }
        self.gain_db = db.min(MAX_GAIN_DB);
        self.retarget();
    }

    /// Polarity invert.
    pub fn set_invert(&mut self, invert: bool) {
        self.invert = invert;
        self.retarget();
    }

    /// Alignment delay in ms, 0..=1000, rounded to whole samples. Non-finite
    /// values are ignored. Takes effect at once (no glide).
    pub fn set_delay_ms(&mut self, ms: f32) {
        if !ms.is_finite() {
            return;
        }
        self.delay_ms = ms.clamp(0.0, MAX_DELAY_MS);
        self.delay = self.delay_samples();
    }

    fn delay_samples(&self) -> usize {
        let d = (f64::from(self.delay_ms) * f64::from(self.rate) / 1000.0).round() as usize;
        d.min(self.len.saturating_sub(1))
    }

    /// Gain in dB as set.
    pub fn gain_db(&self) -> f32 {
        self.gain_db
    }

    /// Whether the polarity is inverted.
    pub fn invert(&self) -> bool {
        self.invert
    }

    /// Delay in ms as set.
    pub fn delay_ms(&self) -> f32 {
        self.delay_ms
    }

    /// Delay in samples now applied (0 before `prepare`).
    pub fn delay_in_samples(&self) -> usize {
        self.delay
    }
}

impl Processor for Trim {
    fn prepare(&mut self, rate: u32, channels: usize, _max_block: usize) {
        self.rate = rate.max(1);
        self.channels = channels.min(MAX_CHANNELS);
        let max = (f64::from(MAX_DELAY_MS) * f64::from(self.rate) / 1000.0).round() as usize;
        self.len = max + 1;
        self.ring = vec![0.0; self.len * self.channels];
        self.delay = self.delay_samples();
        self.reset();
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        let frames = io.first().map_or(0, |c| c.len());
        let start = self.ramp;
        let mut end = start;
        let len = self.len;
        for (c, buf) in io.iter_mut().take(MAX_CHANNELS).enumerate() {
            // Every prepared channel's ring is written even without delay,
            // so a delay set later reads the real past.
            if c < self.channels && len > 0 {
                let ring = &mut self.ring[c * len..(c + 1) * len];
                let mut w = self.write;
                if self.delay == 0 {
                    for &v in buf.iter() {
                        ring[w] = v;
                        w += 1;
                        if w == len {
                            w = 0;
                        }
                    }
                } else {
                    let mut r = (w + len - self.delay) % len;
                    for v in buf.iter_mut() {
                        ring[w] = *v;
                        *v = ring[r];
                        w += 1;
                        if w == len {
                            w = 0;
                        }
                        r += 1;
                        if r == len {
                            r = 0;
                        }
                    }
                }
            }
            if start.is_settled() {
                let g = start.current();
                if g != 1.0 {
                    for v in buf.iter_mut() {
                        *v *= g;
                    }
                }
            } else {
                let mut ramp = start;
                for v in buf.iter_mut() {
                    *v *= ramp.next_gain();
                }
                end = ramp;
            }
        }
        if io.is_empty() {
            end.skip(frames);
        }
        self.ramp = end;
        if len > 0 {
            self.write = (self.write + frames) % len;
        }
    }

    fn reset(&mut self) {
        self.ring.fill(0.0);
        self.write = 0;
        self.ramp = GainRamp::new(self.target());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

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

    fn run(t: &mut Trim, chans: &mut [Vec<f32>], block: usize) {
        let frames = chans[0].len();
        let mut start = 0;
        while start < frames {
            let end = (start + block).min(frames);
            let mut views: Vec<&mut [f32]> = chans.iter_mut().map(|c| &mut c[start..end]).collect();
            t.process(&mut views, None);
            start = end;
        }
    }

    #[test]
    fn unity_is_bit_exact() {
        let mut t = Trim::new();
        t.prepare(RATE, 2, 512);
        // Setting neutral values again changes nothing.
        t.set_gain_db(0.0);
        t.set_invert(false);
        t.set_delay_ms(0.0);
        let input = vec![noise(2000, 1), noise(2000, 2)];
        let mut out = input.clone();
        run(&mut t, &mut out, 512);
        assert_eq!(out, input);
        assert_eq!(t.latency(), 0);
    }

    #[test]
    fn gain_is_exact_once_settled_and_invert_flips_the_sign() {
        let mut t = Trim::new();
        t.prepare(RATE, 1, 1024);
        t.set_gain_db(-6.0);
        let mut warm = vec![vec![0.5f32; 240]];
        run(&mut t, &mut warm, 64);
        // The glide lasts 5 ms (240 samples), ending on the target.
        let g = db_to_gain(-6.0);
        assert!(warm[0][0] > 0.5 * g && warm[0][0] < 0.5);
        assert_eq!(warm[0][239], 0.5 * g);
        let input = noise(1000, 3);
        let mut out = vec![input.clone()];
        run(&mut t, &mut out, 1000);
        for (o, i) in out[0].iter().zip(&input) {
            assert_eq!(*o, *i * g);
        }
        t.set_invert(true);
        let mut glide = vec![vec![1.0f32; 240]];
        run(&mut t, &mut glide, 240);
        assert_eq!(glide[0][239], -g);
        // It passes through zero, not a jump.
        assert!(glide[0].windows(2).all(|w| (w[0] - w[1]).abs() < 0.01));
        let mut out = vec![input.clone()];
        run(&mut t, &mut out, 1000);
        for (o, i) in out[0].iter().zip(&input) {
            assert_eq!(*o, -(*i * g));
        }
    }

    #[test]
    fn gain_is_clamped_and_bad_values_are_ignored() {
        let mut t = Trim::new();
        t.set_gain_db(40.0);
        assert_eq!(t.gain_db(), MAX_GAIN_DB);
        t.set_gain_db(f32::NAN);
        t.set_gain_db(f32::INFINITY);
        assert_eq!(t.gain_db(), MAX_GAIN_DB);
        t.set_gain_db(f32::NEG_INFINITY);
        t.prepare(RATE, 1, 64);
        let mut x = vec![noise(64, 4)];
        run(&mut t, &mut x, 64);
        assert!(x[0].iter().all(|&v| v == 0.0));
        t.set_delay_ms(5000.0);
        assert_eq!(t.delay_ms(), MAX_DELAY_MS);
        assert_eq!(t.delay_in_samples(), RATE as usize);
        t.set_delay_ms(f32::NAN);
        t.set_delay_ms(-3.0);
        assert_eq!(t.delay_ms(), 0.0);
    }

    #[test]
    fn ten_ms_delays_an_impulse_by_a_hundredth_of_the_rate() {
        for rate in [44_100u32, 48_000, 96_000] {
            let mut t = Trim::new();
            t.set_delay_ms(10.0);
            t.prepare(rate, 2, 256);
            let n = rate as usize / 100;
            let mut x = vec![vec![0.0f32; 3 * n], vec![0.0f32; 3 * n]];
            x[0][5] = 1.0;
            x[1][6] = -0.5;
            run(&mut t, &mut x, 256);
            let at: Vec<usize> = (0..x[0].len()).filter(|&i| x[0][i] != 0.0).collect();
            assert_eq!(at, [5 + n], "rate {rate}");
            assert_eq!(x[0][5 + n], 1.0);
            assert_eq!(x[1][6 + n], -0.5);
            assert_eq!(x[1].iter().filter(|&&v| v != 0.0).count(), 1);
            assert_eq!(t.latency(), 0);
        }
    }

    #[test]
    fn the_longest_delay_fits() {
        let mut t = Trim::new();
        t.prepare(8000, 1, 4096);
        t.set_delay_ms(1000.0);
        let mut x = vec![vec![0.0f32; 9000]];
        x[0][0] = 1.0;
        run(&mut t, &mut x, 4096);
        assert_eq!(x[0][8000], 1.0);
        assert_eq!(x[0].iter().filter(|&&v| v != 0.0).count(), 1);
    }

    #[test]
    fn a_delay_set_later_reads_the_real_past() {
        let mut t = Trim::new();
        t.prepare(RATE, 1, 1000);
        let input = noise(2000, 5);
        let mut a = vec![input[..1000].to_vec()];
        let mut b = vec![input[1000..].to_vec()];
        run(&mut t, &mut a, 1000);
        assert_eq!(a[0], input[..1000]);
        t.set_delay_ms(1.0);
        run(&mut t, &mut b, 1000);
        assert_eq!(b[0], input[1000 - 48..2000 - 48]);
    }

    #[test]
    fn output_does_not_depend_on_the_block_size() {
        let input = vec![noise(4800, 6), noise(4800, 7), noise(4800, 8)];
        let render = |block: usize| {
            let mut t = Trim::new();
            t.set_delay_ms(3.3);
            t.prepare(RATE, 3, 480);
            t.set_gain_db(7.0);
            t.set_invert(true);
            let mut x = input.clone();
            run(&mut t, &mut x, block);
            x
        };
        let whole = render(4800);
        for block in [1, 7, 64, 480] {
            assert_eq!(render(block), whole, "block {block}");
        }
    }

    #[test]
    fn channels_are_independent() {
        let mut t = Trim::new();
        t.set_delay_ms(2.0);
        t.set_gain_db(3.0);
        t.prepare(RATE, 3, 512);
        let mut x = vec![noise(512, 9), vec![0.0; 512], vec![0.0; 512]];
        run(&mut t, &mut x, 512);
        assert!(x[0].iter().any(|&v| v != 0.0));
        assert!(x[1].iter().chain(&x[2]).all(|&v| v == 0.0));
    }
}
