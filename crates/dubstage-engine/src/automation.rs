//! Automation on the audio thread: lanes compiled into curves that fill a
//! block with per-sample values, without allocating.
//!
//! Every value depends only on the timeline sample it is for, never on the
//! block it falls in, so playback (any buffer size) and offline renders
//! give the same bits:
//!
//! - a gain curve (faders, send levels) is linear in dB between points; its
//!   linear gain is computed exactly at every 64th timeline sample and
//!   carried to the samples between by the segment's constant per-sample
//!   ratio (one multiply per sample, in `f64`: within 1e-9 dB of the exact
//!   curve);
//! - a pan curve's left/right gains are computed exactly at every 64th
//!   sample and interpolated linearly between (the pan law is smooth);
//! - a switch (mute) changes on its point's sample.

use dubstage_dsp::pan::{balance_gains, pan_gains};
use dubstage_model::automation::{AutoPoint, Shape};
use dubstage_model::{EnvPoint, PanLaw};

/// The gain grid: exact values at multiples of this many samples.
const GAIN_GRID: i64 = 64;
/// The pan grid.
const PAN_GRID: i64 = 64;
/// At or below this, a gain is silence (as the faders have it).
const SILENCE_DB: f64 = -144.0;

/// A lane compiled for rendering.
#[derive(Debug, Clone)]
pub(crate) struct Curve {
    at: Box<[i64]>,
    v: Box<[f64]>,
    hold: Box<[bool]>,
    /// The segment found last (playback reads forward, so the next lookup
    /// is usually the same segment or the next).
    hint: std::cell::Cell<usize>,
    /// The per-sample gain ratio of the segment computed last.
    ratio: std::cell::Cell<(usize, f64)>,
}

/// A dB value as a linear gain (silence at or below −144 dB).
pub(crate) fn gain_of(db: f64) -> f64 {
    if db <= SILENCE_DB {
        0.0
    } else {
        10f64.powf(db / 20.0)
    }
}

impl Curve {
    /// The curve of a lane's points (sorted, one per sample); `None` with
    /// no points.
    pub(crate) fn new(points: &[AutoPoint], switch: bool) -> Option<Curve> {
        if points.is_empty() {
            return None;
        }
        Some(Curve {
            at: points.iter().map(|p| p.at.0).collect(),
            v: points.iter().map(|p| f64::from(p.value)).collect(),
            hold: points
                .iter()
                .map(|p| switch || p.shape == Shape::Hold)
                .collect(),
            hint: std::cell::Cell::new(0),
            ratio: std::cell::Cell::new((usize::MAX, 1.0)),
        })
    }

    /// The curve of a clip-gain envelope (source samples, dB).
    pub(crate) fn envelope(points: &[EnvPoint]) -> Option<Curve> {
        if points.is_empty() {
            return None;
        }
        Some(Curve {
            at: points.iter().map(|p| p.at.0).collect(),
            v: points.iter().map(|p| f64::from(p.db)).collect(),
            hold: vec![false; points.len()].into_boxed_slice(),
            hint: std::cell::Cell::new(0),
            ratio: std::cell::Cell::new((usize::MAX, 1.0)),
        })
    }

    /// The segment `t` is in: `None` before the first point, else the
    /// index of the point at or before it.
    fn segment(&self, t: i64) -> Option<usize> {
        let n = self.at.len();
        let h = self.hint.get();
        // The hinted segment or the one after it, else a binary search.
        for i in [h, h + 1] {
            if i < n && self.at[i] <= t && (i + 1 == n || t < self.at[i + 1]) {
                self.hint.set(i);
                return Some(i);
            }
        }
        let i = self.at.partition_point(|&a| a <= t).checked_sub(1)?;
        self.hint.set(i);
        Some(i)
    }

    /// The value at `t` (the lane's own unit).
    pub(crate) fn value(&self, t: i64) -> f64 {
        match self.segment(t) {
            None => self.v[0],
            Some(i) if i + 1 == self.at.len() || self.hold[i] => self.v[i],
            Some(i) => {
                let (a, b) = (self.at[i], self.at[i + 1]);
                self.v[i] + (self.v[i + 1] - self.v[i]) * ((t - a) as f64 / (b - a) as f64)
            }
        }
    }

    /// Where the piece holding `t` ends (the next point, or never), and
    /// whether it is constant.
    fn piece(&self, t: i64) -> (i64, Option<usize>) {
        match self.segment(t) {
            None => (self.at[0], None),
            Some(i) if i + 1 == self.at.len() => (i64::MAX, None),
            Some(i) if self.hold[i] || self.v[i] == self.v[i + 1] => (self.at[i + 1], None),
            Some(i) => (self.at[i + 1], Some(i)),
        }
    }

    /// Linear gains of a dB curve for samples `start..start + out.len()`.
    pub(crate) fn fill_gain(&self, start: i64, out: &mut [f32]) {
        let n = out.len() as i64;
        let mut t = start;
        while t < start + n {
            let (end, ramp) = self.piece(t);
            let stop = end.min(start + n);
            let dst = &mut out[(t - start) as usize..(stop - start) as usize];
            match ramp {
                None => dst.fill(gain_of(self.value(t)) as f32),
                Some(i) => {
                    let (a, b) = (self.at[i], self.at[i + 1]);
                    let ratio = match self.ratio.get() {
                        (k, r) if k == i => r,
                        _ => {
                            let slope = (self.v[i + 1] - self.v[i]) / (b - a) as f64;
                            let r = 10f64.powf(slope / 20.0);
                            self.ratio.set((i, r));
                            r
                        }
                    };
                    // A ramp between two silences is silence; one that
                    // leaves or reaches −144 dB passes through tiny gains.
                    let silent = self.v[i] <= SILENCE_DB && self.v[i + 1] <= SILENCE_DB;
                    let mut k = 0usize;
                    let mut u = t;
                    while u < stop {
                        // From the grid point at or before `u` (or the
                        // segment's start), exactly.
                        let anchor = (u - u.rem_euclid(GAIN_GRID)).max(a);
                        let next = (anchor + GAIN_GRID - anchor.rem_euclid(GAIN_GRID)).min(stop);
                        let mut g = 10f64.powf(self.value(anchor) / 20.0);
                        for _ in anchor..u {
                            g *= ratio;
                        }
                        for _ in u..next {
                            dst[k] = if silent { 0.0 } else { g as f32 };
                            g *= ratio;
                            k += 1;
                        }
                        u = next;
                    }
                }
            }
            t = stop;
        }
    }

    /// Left/right gains of a pan curve for samples `start..` (`mono`: the
    /// pan law; else the balance control).
    pub(crate) fn fill_pan(
        &self,
        law: PanLaw,
        mono: bool,
        start: i64,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let gains = |t: i64| {
            let p = self.value(t) as f32;
            if mono {
                pan_gains(law, p)
            } else {
                balance_gains(p)
            }
        };
        let n = left.len().min(right.len()) as i64;
        let mut t = start;
        let mut next: Option<(i64, (f32, f32))> = None;
        while t < start + n {
            let a = t - t.rem_euclid(PAN_GRID);
            let b = a + PAN_GRID;
            // The previous cell's end is this one's start.
            let (la, ra) = match next {
                Some((x, g)) if x == a => g,
                _ => gains(a),
            };
            let (lb, rb) = gains(b);
            next = Some((b, (lb, rb)));
            let stop = b.min(start + n);
            for u in t..stop {
                let x = (u - a) as f32 / PAN_GRID as f32;
                let k = (u - start) as usize;
                left[k] = la + (lb - la) * x;
                right[k] = ra + (rb - ra) * x;
            }
            t = stop;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_follow_the_curve_whatever_the_blocks() {
        let c = Curve::new(
            &[
                AutoPoint::new(1000, 0.0),
                AutoPoint::new(49_000, -20.0),
                AutoPoint::new(60_000, -20.0),
                AutoPoint::new(60_010, 6.0),
            ],
            false,
        )
        .expect("curve");
        let total = 70_000usize;
        let mut whole = vec![0.0f32; total];
        c.fill_gain(0, &mut whole);
        for (t, g) in whole.iter().enumerate() {
            let want = dubstage_model::automation::value_at(
                &[
                    AutoPoint::new(1000, 0.0),
                    AutoPoint::new(49_000, -20.0),
                    AutoPoint::new(60_000, -20.0),
                    AutoPoint::new(60_010, 6.0),
                ],
                t as i64,
                false,
            )
            .expect("value");
            let got = 20.0 * f64::from(*g).log10();
            assert!((got - want).abs() < 1e-4, "at {t}: {got} dB, want {want}");
        }
        // In blocks of 37 and of 128: the same bits.
        for size in [37usize, 128, 4096] {
            let mut parts = vec![0.0f32; total];
            for (i, chunk) in parts.chunks_mut(size).enumerate() {
                c.fill_gain((i * size) as i64, chunk);
            }
            assert_eq!(parts, whole, "blocks of {size}");
        }
    }

    #[test]
    fn switches_flip_on_their_sample_and_pan_is_block_independent() {
        let m =
            Curve::new(&[AutoPoint::new(0, 0.0), AutoPoint::new(100, 1.0)], true).expect("curve");
        assert!((0..100).all(|t| m.value(t) == 0.0));
        assert!((100..200).all(|t| m.value(t) == 1.0));
        let p = Curve::new(&[AutoPoint::new(0, -1.0), AutoPoint::new(4800, 1.0)], false)
            .expect("curve");
        let (mut l, mut r) = (vec![0.0f32; 5000], vec![0.0f32; 5000]);
        p.fill_pan(PanLaw::ConstantPower3dB, true, 0, &mut l, &mut r);
        assert!((l[0] - 1.0).abs() < 1e-6 && r[0].abs() < 1e-6);
        assert!((l[2400] - r[2400]).abs() < 1e-6);
        let (mut l2, mut r2) = (vec![0.0f32; 5000], vec![0.0f32; 5000]);
        for i in 0..(5000 / 100) {
            let s = i * 100;
            p.fill_pan(
                PanLaw::ConstantPower3dB,
                true,
                s as i64,
                &mut l2[s..s + 100],
                &mut r2[s..s + 100],
            );
        }
        assert_eq!(l, l2);
        assert_eq!(r, r2);
    }
}
