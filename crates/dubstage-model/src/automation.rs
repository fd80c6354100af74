//! Automation: a lane of points per mixer parameter ([`ParamId`]), and
//! clip-gain envelopes.
//!
//! A lane's points are (timeline sample, value in the parameter's own unit),
//! sorted, one per sample. Between two points the value moves linearly in
//! that unit (dB for gains, so a fade on a lane is linear in dB) or holds
//! (the segment's shape, set on its first point; switches always hold).
//! Before the first point and after the last the value holds.
//!
//! A clip-gain envelope's points are (source sample, dB): they are counted
//! in the clip's source, the same clock as [`crate::Clip::source_offset`],
//! so moving, trimming, splitting and duplicating a clip keep every point
//! on the audio it was drawn on. The envelope multiplies with the clip's
//! static gain and its fades.

use crate::mixer::ParamId;
use crate::time::SamplePos;
use serde::{Deserialize, Serialize};

/// How a lane moves from a point to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Shape {
    /// Linearly, in the parameter's unit.
    #[default]
    Linear,
    /// Holds this point's value up to the next point.
    Hold,
}

/// One point of a lane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoPoint {
    /// Timeline sample.
    pub at: SamplePos,
    /// In the parameter's unit.
    pub value: f32,
    /// The shape of the segment from this point to the next.
    #[serde(default, skip_serializing_if = "is_linear")]
    pub shape: Shape,
}

fn is_linear(s: &Shape) -> bool {
    *s == Shape::Linear
}

impl AutoPoint {
    pub fn new(at: i64, value: f32) -> AutoPoint {
        AutoPoint {
            at: SamplePos(at),
            value,
            shape: Shape::Linear,
        }
    }
}

/// The automation of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    pub param: ParamId,
    pub points: Vec<AutoPoint>,
}

/// Whether a parameter is a switch (its lane holds between points).
pub fn is_switch(param: ParamId) -> bool {
    matches!(
        param,
        ParamId::Mute(_)
            | ParamId::Solo(_)
            | ParamId::SoloSafe(_)
            | ParamId::SendMute(_)
            | ParamId::SendPre(_)
            | ParamId::Bypass(_)
    )
}

/// The value of sorted `points` at timeline sample `t` (`None` with no
/// points), exactly: the reference every render is measured against.
pub fn value_at(points: &[AutoPoint], t: i64, switch: bool) -> Option<f64> {
    let first = points.first()?;
    if t <= first.at.0 {
        return Some(f64::from(first.value));
    }
    let i = points.partition_point(|p| p.at.0 <= t);
    let a = points[i - 1];
    let Some(b) = points.get(i) else {
        return Some(f64::from(a.value));
    };
    if switch || a.shape == Shape::Hold {
        return Some(f64::from(a.value));
    }
    let span = (b.at.0 - a.at.0) as f64;
    let x = (t - a.at.0) as f64 / span;
    Some(f64::from(a.value) + (f64::from(b.value) - f64::from(a.value)) * x)
}

/// One point of a clip-gain envelope.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EnvPoint {
    /// Source sample (the clock of the clip's `source_offset`).
    pub at: SamplePos,
    pub db: f32,
}

/// The envelope's gain in dB at source sample `s` (0 dB with no points),
/// linear in dB between points, holding before the first and after the
/// last.
pub fn envelope_db(points: &[EnvPoint], s: i64) -> f64 {
    let Some(first) = points.first() else {
        return 0.0;
    };
    if s <= first.at.0 {
        return f64::from(first.db);
    }
    let i = points.partition_point(|p| p.at.0 <= s);
    let a = points[i - 1];
    let Some(b) = points.get(i) else {
        return f64::from(a.db);
    };
    let x = (s - a.at.0) as f64 / (b.at.0 - a.at.0) as f64;
    f64::from(a.db) + (f64::from(b.db) - f64::from(a.db)) * x
}

/// Times of automation points are kept within ±2^53 samples (6,000 years
/// at 48 kHz), so differences of them cannot overflow.
pub const MAX_TIME: i64 = 1 << 53;

/// The shape of the segment that holds `t` (for anchor points that split
/// it).
fn shape_at(points: &[AutoPoint], t: i64) -> Shape {
    let i = points.partition_point(|p| p.at.0 <= t);
    i.checked_sub(1).map_or(Shape::Linear, |i| points[i].shape)
}

/// A point on the old curve at `t`, shaped as the segment it splits.
fn anchor(points: &[AutoPoint], t: i64, switch: bool) -> Option<AutoPoint> {
    let v = value_at(points, t, switch)? as f32;
    Some(AutoPoint {
        at: SamplePos(t),
        value: v,
        shape: shape_at(points, t),
    })
}

/// The lane after clips move: each range `[from, to)` moved by `dt`, all
/// from the original points (ranges that overlap or abut are fine). The
/// moved stretches keep their exact curve (anchored at their edges), the
/// ranges they land on are replaced, and what they leave behind joins the
/// curve around it.
pub fn shift_ranges(
    points: &[AutoPoint],
    moves: &[(i64, i64, i64)],
    switch: bool,
) -> Vec<AutoPoint> {
    if points.is_empty() || moves.iter().all(|m| m.2 == 0) {
        return points.to_vec();
    }
    let inside = |t: i64| moves.iter().any(|&(a, b, _)| t >= a && t < b);
    let landing = |t: i64| moves.iter().any(|&(a, b, d)| t >= a + d && t < b + d);
    let mut out: Vec<AutoPoint> = points
        .iter()
        .filter(|q| !inside(q.at.0) && !landing(q.at.0))
        .copied()
        .collect();
    for &(a, b, d) in moves {
        if b <= a {
            continue;
        }
        // The curve around the landing range stays as it was.
        for t in [a + d - 1, b + d] {
            if !inside(t) && !landing(t) {
                out.extend(anchor(points, t, switch));
            }
        }
        // What is left behind joins its neighbours.
        for t in [a - 1, b] {
            if !inside(t) && !landing(t) {
                out.extend(anchor(points, t, switch));
            }
        }
        // The moved stretch, with its edges.
        out.extend(anchor(points, a, switch).map(|q| AutoPoint {
            at: SamplePos(a + d),
            ..q
        }));
        out.extend(anchor(points, b - 1, switch).map(|q| AutoPoint {
            at: SamplePos(b - 1 + d),
            ..q
        }));
        out.extend(
            points
                .iter()
                .filter(|q| q.at.0 >= a && q.at.0 < b)
                .map(|q| AutoPoint {
                    at: SamplePos(q.at.0 + d),
                    ..*q
                }),
        );
    }
    for q in &mut out {
        q.at.0 = q.at.0.clamp(-MAX_TIME, MAX_TIME);
    }
    normalise(&out, |q| q.at.0)
}

/// The points of `[from, to)` moved by `dt` (see [`shift_ranges`]).
pub fn shift_range(points: &[AutoPoint], from: i64, to: i64, dt: i64) -> Vec<AutoPoint> {
    shift_ranges(points, &[(from, to, dt)], false)
}

/// The lane with `[from, to)` cleared (automation removed with a clip):
/// the curve around it joins across.
pub fn clear_range(points: &[AutoPoint], from: i64, to: i64) -> Vec<AutoPoint> {
    if points.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<AutoPoint> = points
        .iter()
        .filter(|q| q.at.0 < from || q.at.0 >= to)
        .copied()
        .collect();
    if points.iter().any(|q| q.at.0 >= from && q.at.0 < to) {
        out.extend(anchor(points, from - 1, false));
        out.extend(anchor(points, to, false));
    }
    normalise(&out, |q| q.at.0)
}

/// Sorts points by time, one per sample (the last given wins).
pub fn normalise<T: Copy>(points: &[T], at: impl Fn(&T) -> i64) -> Vec<T> {
    let mut v: Vec<(usize, T)> = points.iter().copied().enumerate().collect();
    v.sort_by_key(|(i, p)| (at(p), std::cmp::Reverse(*i)));
    v.dedup_by_key(|(_, p)| at(p));
    v.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixer::StripId;

    #[test]
    fn lanes_interpolate_in_their_unit_and_hold_outside() {
        let p = [AutoPoint::new(100, 0.0), AutoPoint::new(200, -20.0)];
        assert_eq!(value_at(&p, 0, false), Some(0.0));
        assert_eq!(value_at(&p, 150, false), Some(-10.0));
        assert_eq!(value_at(&p, 200, false), Some(-20.0));
        assert_eq!(value_at(&p, 10_000, false), Some(-20.0));
        assert_eq!(value_at(&p, 150, true), Some(0.0));
        let mut h = p;
        h[0].shape = Shape::Hold;
        assert_eq!(value_at(&h, 199, false), Some(0.0));
        assert_eq!(value_at(&[], 5, false), None);
        assert!(is_switch(ParamId::Mute(StripId::Master)));
        assert!(!is_switch(ParamId::Fader(StripId::Master)));
    }

    #[test]
    fn ranges_move_with_their_curve_and_leave_the_rest_as_it_was() {
        // 0 dB at 0, −20 at 1500, 0 at 3000; the clip over 1000..2000
        // moves +10,000.
        let p = [
            AutoPoint::new(0, 0.0),
            AutoPoint::new(1500, -20.0),
            AutoPoint::new(3000, 0.0),
        ];
        let moved = shift_range(&p, 1000, 2000, 10_000);
        let at = |t| value_at(&moved, t, false).expect("value");
        let old = |t| value_at(&p, t, false).expect("value");
        // The moved stretch sounds as it did, where it landed.
        for t in [1000, 1200, 1500, 1999] {
            assert!((at(t + 10_000) - old(t)).abs() < 1e-4, "at {t}");
        }
        // Before it and after where it landed, as before.
        assert!((at(500) - old(500)).abs() < 1e-4);
        assert_eq!(at(20_000), 0.0);
        assert!((at(10_999) - old(10_999)).abs() < 1e-4);
        // Two abutting clips moved together: each from the original.
        let both = shift_ranges(&p, &[(0, 1500, 500), (1500, 3000, 500)], false);
        for t in [0, 700, 1500, 2999] {
            let v = value_at(&both, t + 500, false).expect("value");
            assert!((v - old(t)).abs() < 1e-3, "at {t}: {v} vs {}", old(t));
        }
        // Cleared: the curve joins across.
        let c = clear_range(&p, 1000, 2000);
        assert!((value_at(&c, 999, false).expect("v") - old(999)).abs() < 1e-4);
        assert!((value_at(&c, 2000, false).expect("v") - old(2000)).abs() < 1e-4);
    }

    #[test]
    fn envelopes_are_linear_in_db() {
        let e = [
            EnvPoint {
                at: SamplePos(10),
                db: -6.0,
            },
            EnvPoint {
                at: SamplePos(20),
                db: 0.0,
            },
        ];
        assert_eq!(envelope_db(&e, 0), -6.0);
        assert_eq!(envelope_db(&e, 15), -3.0);
        assert_eq!(envelope_db(&e, 99), 0.0);
        assert_eq!(envelope_db(&[], 99), 0.0);
        let n = normalise(&[(5, 'a'), (1, 'b'), (5, 'c')], |p: &(i64, char)| p.0);
        assert_eq!(n, vec![(1, 'b'), (5, 'c')]);
    }
}
