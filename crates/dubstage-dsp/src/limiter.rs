//! A look-ahead peak limiter for delivery: the output is delayed by the
//! look-ahead, and the gain is already down when a peak arrives, so no
//! sample exceeds the ceiling and nothing below it is touched except around
//! peaks (a smoothed gain over the look-ahead, then an exponential release).
//!
//! Inter-sample (true) peaks are handled by the caller with a ceiling a
//! little under the true-peak target and a verify pass (see the engine's
//! `deliver` module). Allocation happens in `new` only.

/// Linked-stereo look-ahead limiter.
#[derive(Debug, Clone)]
pub struct Limiter {
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
}

impl Limiter {
    /// `ceiling` linear (e.g. 0.89 for −1 dBFS), look-ahead and release in seconds.
    pub fn new(rate: u32, ceiling: f32, lookahead_s: f32, release_s: f32) -> Limiter {
        let look = ((rate as f32 * lookahead_s).round() as usize).max(1);
        Limiter {
            ceiling,
            look,
            release: 1.0 - (-1.0 / (rate as f32 * release_s.max(1e-3))).exp(),
            dl: vec![0.0; look],
            dr: vec![0.0; look],
            queue: vec![(0, 1.0); 2 * look + 1],
            q_head: 0,
            q_len: 0,
            mins: vec![1.0; look],
            min_sum: look as f64,
            pos: 0,
            gain: 1.0,
            seen: 0,
        }
    }

    /// Delay the output has relative to the input, in samples.
    pub fn latency(&self) -> usize {
        self.look
    }

    /// Processes one frame; returns the output frame (delayed by `latency`).
    pub fn process(&mut self, l: f32, r: f32) -> (f32, f32) {
        let p = l.abs().max(r.abs());
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
        self.pos = (self.pos + 1) % self.look;
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
}
