//! A look-ahead true-peak limiter for delivery: the output is delayed by the
//! look-ahead, and the gain is already down when a peak arrives, so no
//! sample exceeds the ceiling and nothing below it is touched except around
//! peaks (a smoothed gain over the look-ahead, then an exponential release).
//!
//! Peaks are detected on the 4× oversampled signal (the BS.1770-4 Annex 2
//! interpolator of [`crate::loudness`]), so the gain also comes down for
//! peaks *between* samples; the audio is delayed by the interpolator's
//! group delay on top of the look-ahead to line the two up. What gain
//! modulation itself adds is left to the caller's verify pass (see the
//! engine's `deliver` module). Allocation happens in `new` only.

use crate::loudness::{TP_GAIN, TP_HISTORY, TP_TAPS};

/// Samples by which the interpolated peaks lag the input: the centre of the
/// 12-tap window, plus one for safety.
const DETECT_DELAY: usize = 7;

/// Linked-stereo look-ahead limiter.
#[derive(Debug, Clone)]
pub struct Limiter {
    rate: u32,
    lookahead_s: f32,
    release_s: f32,
    ceiling: f32,
    look: usize,
    release: f32,
    /// Delay line of input frames and required gains (ring buffers).
    dl: Vec<f32>,
    dr: Vec<f32>,
    /// Monotonic queue (sample index, required gain) for the sliding
    /// minimum over the last 2·look samples; a fixed ring, never grown.
    queue: Vec<(u64, f32)>,
    q_head: usize,
    q_len: usize,
    /// Running sum of the window minimum over the last `look` samples.
    mins: Vec<f32>,
    min_sum: f64,
    pos: usize,
    gain: f32,
    /// Samples processed (the first `look` outputs are the delay's silence).
    seen: u64,
    /// The last 12 input samples per channel (newest last), for the
    /// interpolated peak.
    hist: [[f32; TP_HISTORY + 1]; 2],
}

impl Limiter {
    /// `ceiling` linear (e.g. 0.89 for −1 dBFS), look-ahead and release in seconds.
    pub fn new(rate: u32, ceiling: f32, lookahead_s: f32, release_s: f32) -> Limiter {
        let look = ((rate as f32 * lookahead_s).round() as usize).max(1);
        Limiter {
            rate,
            lookahead_s,
            release_s,
            ceiling,
            look,
            release: 1.0 - (-1.0 / (rate as f32 * release_s.max(1e-3))).exp(),
            dl: vec![0.0; look + DETECT_DELAY],
            dr: vec![0.0; look + DETECT_DELAY],
            queue: vec![(0, 1.0); 2 * look + 1],
            q_head: 0,
            q_len: 0,
            mins: vec![1.0; look],
            min_sum: look as f64,
            pos: 0,
            gain: 1.0,
            seen: 0,
            hist: [[0.0; TP_HISTORY + 1]; 2],
        }
    }

    /// The largest magnitude of the 4× interpolated signal around the
    /// newest samples (and of the samples themselves).
    fn interpolated_peak(&mut self, l: f32, r: f32) -> f32 {
        let mut peak = 0f32;
        for (h, x) in self.hist.iter_mut().zip([l, r]) {
            h.copy_within(1.., 0);
            h[TP_HISTORY] = x;
            let loudest = h.iter().fold(0f32, |m, v| m.max(v.abs()));
            if loudest * TP_GAIN <= self.ceiling {
                // No interpolated value can reach the ceiling: nothing to
                // limit here, whatever the exact peak.
                peak = peak.max(loudest);
                continue;
            }
            let mut acc = [0f32; 4];
            for (k, taps) in TP_TAPS.iter().enumerate() {
                let v = h[TP_HISTORY - k];
                for (a, t) in acc.iter_mut().zip(taps) {
                    *a += t * v;
                }
            }
            peak = acc.iter().fold(peak, |m, a| m.max(a.abs()));
            peak = peak.max(h[TP_HISTORY - DETECT_DELAY + 1].abs());
            peak = peak.max(h[TP_HISTORY - DETECT_DELAY + 2].abs());
        }
        peak
    }

    /// Sets the ceiling (linear); takes effect from the next sample.
    pub fn set_ceiling(&mut self, ceiling: f32) {
        if ceiling.is_finite() && ceiling > 0.0 {
            self.ceiling = ceiling;
        }
    }

    /// Sets the release time in seconds.
    pub fn set_release(&mut self, release_s: f32) {
        if release_s.is_finite() {
            self.release_s = release_s.clamp(1e-3, 10.0);
            self.release = 1.0 - (-1.0 / (self.rate as f32 * self.release_s)).exp();
        }
    }

    /// Delay the output has relative to the input, in samples.
    pub fn latency(&self) -> usize {
        self.look + DETECT_DELAY
    }

    /// Processes one frame; returns the output frame (delayed by `latency`).
    pub fn process(&mut self, l: f32, r: f32) -> (f32, f32) {
        let p = self.interpolated_peak(l, r);
        let required = if p > self.ceiling {
            self.ceiling / p
        } else {
            1.0
        };
        // Minimum of the required gains over the last 2·look samples: covers
        // every sample the averaging window below can reach.
        let cap = self.queue.len();
        while self.q_len > 0 {
            let back = (self.q_head + self.q_len - 1) % cap;
            if self.queue[back].1 >= required {
                self.q_len -= 1;
            } else {
                break;
            }
        }
        self.queue[(self.q_head + self.q_len) % cap] = (self.seen, required);
        self.q_len += 1;
        let window = 2 * self.look as u64;
        while self.queue[self.q_head].0 + window <= self.seen {
            self.q_head = (self.q_head + 1) % cap;
            self.q_len -= 1;
        }
        let m = self.queue[self.q_head].1;
        let i = (self.seen as usize) % self.look;
        self.min_sum += f64::from(m) - f64::from(self.mins[i]);
        self.mins[i] = m;
        let target = (self.min_sum / self.look as f64) as f32;
        self.gain = if target < self.gain {
            target
        } else {
            self.gain + (target - self.gain) * self.release
        };
        let out = (self.dl[self.pos] * self.gain, self.dr[self.pos] * self.gain);
        self.dl[self.pos] = l;
        self.dr[self.pos] = r;
        self.pos = (self.pos + 1) % self.dl.len();
        self.seen += 1;
        // Guard against rounding: the ceiling is a hard limit.
        (
            out.0.clamp(-self.ceiling, self.ceiling),
            out.1.clamp(-self.ceiling, self.ceiling),
        )
    }

    /// Processes planar blocks in place.
    pub fn process_block(&mut self, l: &mut [f32], r: &mut [f32]) {
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            let (x, y) = self.process(*a, *b);
            *a = x;
            *b = y;
        }
    }
}

/// As an insert: mono strips are limited as one channel (fed to both
/// sides), stereo strips linked; channels past the second pass through
/// delayed by the same latency is not attempted (strips are mono or stereo).
impl crate::Processor for Limiter {
    fn prepare(&mut self, rate: u32, _channels: usize, _max_block: usize) {
        *self = Limiter::new(rate, self.ceiling, self.lookahead_s, self.release_s);
    }

    fn process(&mut self, io: &mut [&mut [f32]], _sidechain: Option<&[&[f32]]>) {
        match io {
            [] => {}
            [mono] => {
                for v in mono.iter_mut() {
                    *v = self.process(*v, *v).0;
                }
            }
            [l, r, ..] => self.process_block(l, r),
        }
    }

    fn latency(&self) -> usize {
        Limiter::latency(self)
    }

    fn reset(&mut self) {
        *self = Limiter::new(self.rate, self.ceiling, self.lookahead_s, self.release_s);
    }

    fn reduction_db(&self) -> f32 {
        if self.gain > 0.0 {
            -20.0 * self.gain.log10()
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_held_under_the_ceiling_and_quiet_audio_passes_untouched() {
        let rate = 48_000;
        let mut lim = Limiter::new(rate, 0.5, 0.002, 0.05);
        let n = 48_000;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let s = (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin();
                if (20_000..20_480).contains(&i) {
                    0.9 * s
                } else {
                    0.2 * s
                }
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for &v in &x {
            out.push(lim.process(v, v).0);
        }
        let d = lim.latency();
        assert!(out.iter().all(|v| v.abs() <= 0.5));
        // Far from the burst, the output is the input, delayed.
        for i in (d + 1_000)..19_000 {
            assert!((out[i] - x[i - d]).abs() < 1e-6, "sample {i}");
        }
        for i in 40_000..n {
            assert!((out[i] - x[i - d]).abs() < 1e-4, "sample {i}");
        }
        // The burst came through, limited.
        let peak = out[20_000..21_000]
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak > 0.45, "{peak}");
    }

    #[test]
    fn inter_sample_peaks_are_limited_too() {
        // Loud bright material (noise and a 11 kHz tone), limited by 10 dB:
        // the 4x oversampled peak of the output stays near the ceiling.
        let rate = 48_000;
        let ceiling = 10f32.powf(-1.0 / 20.0);
        let mut lim = Limiter::new(rate, ceiling, 0.0015, 0.08);
        let mut x = 0x1357_9bdfu32;
        let sig: Vec<f32> = (0..rate as usize * 4)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let noise = (x as f32 / u32::MAX as f32) * 2.0 - 1.0;
                let tone =
                    (2.0 * std::f32::consts::PI * 11_000.0 * i as f32 / rate as f32 + 0.7).sin();
                2.0 * (0.5 * noise + 0.5 * tone)
            })
            .collect();
        let (mut l, mut r) = (sig.clone(), sig);
        lim.process_block(&mut l, &mut r);
        // The limiter's own measure, the 4× interpolator of BS.1770. (White
        // noise reaches the Nyquist frequency, where the exact inter-sample
        // peak the meter reads can be higher still; a delivery checks its
        // file with that and lowers the ceiling until it passes.)
        let padded: Vec<f32> = [vec![0.0; TP_HISTORY], l.clone(), vec![0.0; TP_HISTORY]].concat();
        let mut peak = 0f32;
        for n in TP_HISTORY..padded.len() {
            let mut acc = [0f32; 4];
            for (k, taps) in TP_TAPS.iter().enumerate() {
                for (a, t) in acc.iter_mut().zip(taps) {
                    *a += t * padded[n - k];
                }
            }
            peak = acc.iter().fold(peak, |m, v| m.max(v.abs()));
        }
        let over_db = 20.0 * (peak / ceiling).log10();
        assert!(over_db < 0.1, "4x peak {over_db:.2} dB over the ceiling");
        assert!(l.iter().all(|v| v.abs() <= ceiling));
    }
}
