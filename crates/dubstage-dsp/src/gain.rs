//! Decibels and linear gain, and a click-free gain ramp.

/// Gains at or below this many dB are silence.
pub const SILENCE_DB: f32 = -144.0;

/// dB to linear amplitude. `0 dB` is exactly `1.0`; −144 dB or less is `0.0`.
pub fn db_to_gain(db: f32) -> f32 {
    if db <= SILENCE_DB {
        0.0
    } else if db == 0.0 {
        1.0
    } else {
        (10f64.powf(f64::from(db) / 20.0)) as f32
    }
}

/// Linear amplitude to dB (`-inf` for 0).
pub fn gain_to_db(gain: f32) -> f32 {
    if gain <= 0.0 {
        f32::NEG_INFINITY
    } else {
        20.0 * gain.log10()
    }
}

/// A linear gain that moves to a new target over a fixed number of samples,
/// so control changes make no zipper noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainRamp {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
}

impl GainRamp {
    /// A ramp resting at `gain`.
    pub fn new(gain: f32) -> GainRamp {
        GainRamp {
            current: gain,
            target: gain,
            step: 0.0,
            remaining: 0,
        }
    }

    /// Glide to `target` over `samples` samples (jump when `samples` is 0).
    pub fn set_target(&mut self, target: f32, samples: u32) {
        self.target = target;
        if samples == 0 {
            self.current = target;
            self.remaining = 0;
            self.step = 0.0;
        } else {
            self.step = (target - self.current) / samples as f32;
            self.remaining = samples;
        }
    }

    /// Whether the gain is constant (no glide under way).
    pub fn is_settled(&self) -> bool {
        self.remaining == 0
    }

    pub fn current(&self) -> f32 {
        self.current
    }

    pub fn target(&self) -> f32 {
        self.target
    }

    /// The next per-sample gain.
    #[inline]
    pub fn next_gain(&mut self) -> f32 {
        if self.remaining == 0 {
            return self.current;
        }
        self.remaining -= 1;
        if self.remaining == 0 {
            self.current = self.target;
        } else {
            self.current += self.step;
        }
        self.current
    }

    /// Advances the ramp by `n` samples without producing values.
    pub fn skip(&mut self, n: usize) {
        if self.remaining == 0 {
            return;
        }
        if n as u64 >= u64::from(self.remaining) {
            self.current = self.target;
            self.remaining = 0;
        } else {
            self.remaining -= n as u32;
            self.current += self.step * n as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unity_is_exact() {
        assert_eq!(db_to_gain(0.0), 1.0);
        assert_eq!(db_to_gain(-200.0), 0.0);
        assert!((db_to_gain(-6.0) - 0.501_187).abs() < 1e-6);
        assert!((gain_to_db(0.5) + 6.0206).abs() < 1e-3);
    }

    #[test]
    fn ramp_reaches_target_exactly() {
        let mut r = GainRamp::new(0.0);
        r.set_target(1.0, 4);
        let v: Vec<f32> = (0..6).map(|_| r.next_gain()).collect();
        assert_eq!(v, [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        r.set_target(0.0, 10);
        r.skip(20);
        assert_eq!(r.current(), 0.0);
        assert!(r.is_settled());
    }
}
