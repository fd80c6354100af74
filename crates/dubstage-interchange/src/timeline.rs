//! The neutral form every reader produces and every writer takes: tracks of
//! clips with exact rational times, what each clip plays from its media,
//! and notes of what a reader could not carry.

use dubstage_model::{FrameRate, Timecode};
use std::path::PathBuf;

/// A time in seconds as an exact fraction (`num / den`, `den > 0`), so
/// 23.976 and 29.97 material keeps its own times with no rounding until a
/// sample position is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Default for Time {
    fn default() -> Time {
        Time::ZERO
    }
}

impl Time {
    pub const ZERO: Time = Time { num: 0, den: 1 };

    /// `num / den` seconds (`den` must not be zero; a zero `den` gives zero).
    pub fn new(num: i128, den: i128) -> Time {
        if den == 0 {
            return Time::ZERO;
        }
        let g = gcd(num, den);
        let s = if den < 0 { -1 } else { 1 };
        Time {
            num: s * num / g,
            den: s * den / g,
        }
    }

    /// `frames` frames at `rate`.
    pub fn frames(frames: i64, rate: FrameRate) -> Time {
        Time::new(
            i128::from(frames) * i128::from(rate.den()),
            i128::from(rate.num()),
        )
    }

    /// The nearest sample at `sample_rate` (halves away from zero).
    pub fn samples(self, sample_rate: u32) -> i64 {
        let Some(n) = self.num.checked_mul(i128::from(sample_rate)) else {
            return if self.num < 0 { i64::MIN } else { i64::MAX };
        };
        let d = self.den;
        let q = if n >= 0 {
            (2 * n + d) / (2 * d)
        } else {
            -((-2 * n + d) / (2 * d))
        };
        q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The nearest whole frame at `rate`.
    pub fn to_frames(self, rate: FrameRate) -> i64 {
        let (Some(n), Some(d)) = (
            self.num.checked_mul(i128::from(rate.num())),
            self.den.checked_mul(i128::from(rate.den())),
        ) else {
            return if self.num < 0 { i64::MIN } else { i64::MAX };
        };
        let q = if n >= 0 {
            (2 * n + d) / (2 * d)
        } else {
            -((-2 * n + d) / (2 * d))
        };
        q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The numerator and (positive) denominator.
    pub fn parts(self) -> (i128, i128) {
        (self.num, self.den)
    }

    /// The largest whole number of `1/rate` units not after this time.
    pub fn floor_units(self, rate_num: i64, rate_den: i64) -> i64 {
        let (Some(n), Some(d)) = (
            self.num.checked_mul(i128::from(rate_num)),
            self.den.checked_mul(i128::from(rate_den)),
        ) else {
            return if self.num < 0 { i64::MIN } else { i64::MAX };
        };
        if d == 0 {
            return 0;
        }
        n.div_euclid(d)
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    pub fn seconds(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn is_negative(self) -> bool {
        self.num < 0
    }

    pub fn max(self, o: Time) -> Time {
        if self < o { o } else { self }
    }

    pub fn min(self, o: Time) -> Time {
        if self < o { self } else { o }
    }
}

/// `a·d ± c·b` over `b·d` when it fits, else the nearest on a
/// nanosecond grid (only damaged input has denominators that large).
fn combine(a: Time, c: Time, sign: i128) -> Time {
    let exact = (|| {
        let l = a.num.checked_mul(c.den)?;
        let r = c.num.checked_mul(a.den)?.checked_mul(sign)?;
        Some(Time::new(l.checked_add(r)?, a.den.checked_mul(c.den)?))
    })();
    exact.unwrap_or_else(|| {
        let v = a.num as f64 / a.den as f64 + sign as f64 * (c.num as f64 / c.den as f64);
        let v = v.clamp(-9.0e18, 9.0e18);
        Time::new((v * 1e9).round() as i128, 1_000_000_000)
    })
}

impl std::ops::Add for Time {
    type Output = Time;
    fn add(self, o: Time) -> Time {
        combine(self, o, 1)
    }
}

impl std::ops::Sub for Time {
    type Output = Time;
    fn sub(self, o: Time) -> Time {
        combine(self, o, -1)
    }
}

impl PartialOrd for Time {
    fn partial_cmp(&self, o: &Time) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Time {
    fn cmp(&self, o: &Time) -> std::cmp::Ordering {
        match (self.num.checked_mul(o.den), o.num.checked_mul(self.den)) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => (self.num as f64 / self.den as f64).total_cmp(&(o.num as f64 / o.den as f64)),
        }
    }
}

/// The time of timecode `tc` since midnight at `rate` (drop-frame aware).
pub fn timecode_time(tc: Timecode, rate: FrameRate) -> Option<Time> {
    tc.to_frames(rate).ok().map(|f| Time::frames(f, rate))
}

/// The media a clip plays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MediaSource {
    /// The path the turnover gives (decoded from a `file://` URL), if any.
    pub path: Option<PathBuf>,
    /// The file name or the clip's source name, for finding it elsewhere.
    pub name: String,
    /// Tape or reel name, empty when none.
    pub tape: String,
    /// The media's own start (its timecode origin, seconds since
    /// midnight), when the turnover says.
    pub start: Option<Time>,
    /// The media's length, when the turnover says.
    pub length: Option<Time>,
    /// The embedded essence it plays (an index into
    /// [`Timeline::essence`]), for an AAF that carries its media.
    pub embedded: Option<usize>,
}

/// A fade at one end of a clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ramp {
    pub length: Time,
    /// An equal-power crossfade (from a transition) rather than a plain
    /// fade.
    pub crossfade: bool,
}

/// One clip on a track.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    pub name: String,
    /// Where it starts on the timeline, from the timeline's start.
    pub record: Time,
    pub duration: Time,
    /// What it plays: the source time of its first sample, in the media's
    /// own timecode (the same clock as [`MediaSource::start`]).
    pub source_in: Time,
    pub media: MediaSource,
    /// The source channel it plays (0-based), when the turnover picks one.
    pub channel: Option<u16>,
    pub gain_db: f32,
    pub fade_in: Ramp,
    pub fade_out: Ramp,
    /// Disabled (muted) in the turnover.
    pub enabled: bool,
    /// Clip-gain keyframes: (source time, the clock of `source_in`; dB
    /// on top of `gain_db`).
    pub envelope: Vec<(Time, f32)>,
}

impl Clip {
    /// The part of the clip inside `[from, to)` on its timeline (trimmed
    /// at either end, losing the fade there), or `None` when it is outside.
    pub fn window(mut self, from: Time, to: Time) -> Option<Clip> {
        let end = self.record + self.duration;
        if end <= from || self.record >= to {
            return None;
        }
        if self.record < from {
            let cut = from - self.record;
            self.record = from;
            self.source_in = self.source_in + cut;
            self.duration = self.duration - cut;
            self.fade_in = Ramp::default();
        }
        if end > to {
            self.duration = to - self.record;
            self.fade_out = Ramp::default();
        }
        Some(self)
    }
}

/// One track.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    pub name: String,
    pub clips: Vec<Clip>,
    /// Track volume in dB and pan (−1..1), when the turnover has them.
    pub gain_db: f32,
    pub pan: f32,
    /// Volume automation: (time from the timeline's start, dB).
    pub volume: Vec<(Time, f32)>,
}

/// A named point on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub at: Time,
    pub name: String,
}

/// What a reader saw and could not carry (or carried only roughly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Where in the turnover (a track and clip name, an event number).
    pub item: String,
    /// What happened to it.
    pub what: String,
}

/// A whole turnover timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub name: String,
    pub rate: FrameRate,
    /// The timecode of the timeline's first frame.
    pub start: Timecode,
    pub tracks: Vec<Track>,
    pub markers: Vec<Marker>,
    /// Items dropped or approximated while reading.
    pub notes: Vec<Note>,
    /// The reference movie the turnover names, if any.
    pub picture: Option<PictureRef>,
    /// The media embedded in the turnover (AAF), to extract before the
    /// media search ([`crate::aaf::extract_embedded`]).
    pub essence: Vec<crate::aaf::Embedded>,
}

/// The reference movie on a turnover's video track.
#[derive(Debug, Clone, PartialEq)]
pub struct PictureRef {
    /// The path the turnover gives.
    pub path: PathBuf,
    /// Where the movie's first frame sits, from the timeline's start
    /// (negative when it starts before).
    pub at: Time,
}

impl Timeline {
    pub fn new(name: &str, rate: FrameRate) -> Timeline {
        Timeline {
            name: name.to_owned(),
            rate,
            start: Timecode::new(0, 0, 0, 0),
            tracks: Vec::new(),
            markers: Vec::new(),
            notes: Vec::new(),
            picture: None,
            essence: Vec::new(),
        }
    }

    pub fn note(&mut self, item: impl Into<String>, what: impl Into<String>) {
        self.notes.push(Note {
            item: item.into(),
            what: what.into(),
        });
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes a `file://` URL (percent escapes included) or returns a plain
/// path as it is.
pub fn url_to_path(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("file://localhost")
        .or_else(|| url.strip_prefix("file://"))
        .or_else(|| url.strip_prefix("file:"))
        .unwrap_or(url);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

/// A `file://` URL for `path` (spaces and other unsafe bytes escaped).
pub fn path_to_url(path: &std::path::Path) -> String {
    let s = path.to_string_lossy();
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A frame rate from a floating-point rate as OTIO and others write it:
/// the NTSC rates snap to their exact fractions.
pub fn rate_from_f64(rate: f64, drop_frame: bool) -> Option<FrameRate> {
    if !rate.is_finite() || rate <= 0.0 || rate > 1000.0 {
        return None;
    }
    for (num, den) in [
        (24_000u32, 1001u32),
        (30_000, 1001),
        (60_000, 1001),
        (48_000, 1001),
    ] {
        if (rate - f64::from(num) / f64::from(den)).abs() < 0.005 {
            let df = drop_frame && den == 1001 && (num == 30_000 || num == 60_000);
            return FrameRate::new(num, den, df).ok();
        }
    }
    if (rate - rate.round()).abs() < 1e-6 {
        return FrameRate::new(rate.round() as u32, 1, false).ok();
    }
    FrameRate::new((rate * 1000.0).round() as u32, 1000, false).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_exact_fractions() {
        let r = FrameRate::FPS_23_976;
        let t = Time::frames(1, r);
        assert_eq!(t.samples(48_000), 2002);
        assert_eq!(
            Time::frames(3, FrameRate::FPS_29_97_NDF).samples(48_000),
            4805
        );
        assert_eq!((t + t - t), t);
        assert!(Time::new(-1, 2).is_negative());
        assert_eq!(Time::new(1, -2), Time::new(-1, 2));
        assert_eq!(Time::new(-3, 2).samples(2), -3);
        assert_eq!(Time::frames(100, r).to_frames(r), 100);
        // Denominators too large to add exactly: close, and no overflow.
        let big = Time::new(1, (1 << 62) - 57) + Time::new(1, (1 << 62) - 93);
        let big = big + Time::new(1, (1 << 61) - 1) - Time::new(i128::from(i64::MAX), 3);
        assert!(big.is_negative());
        assert!(Time::new(i128::MAX / 2, 1).samples(48_000) == i64::MAX);
    }

    #[test]
    fn urls_and_paths() {
        assert_eq!(
            url_to_path("file:///media/Day%201/A001.wav"),
            PathBuf::from("/media/Day 1/A001.wav")
        );
        assert_eq!(
            url_to_path("file://localhost/a.wav"),
            PathBuf::from("/a.wav")
        );
        assert_eq!(url_to_path("/plain/b.wav"), PathBuf::from("/plain/b.wav"));
        // A `%` before a character of more than one byte is kept as it is.
        assert_eq!(
            url_to_path("file:///a/%2\u{e9}.wav"),
            PathBuf::from("/a/%2\u{e9}.wav")
        );
        assert_eq!(url_to_path("file:///a%"), PathBuf::from("/a%"));
        let p = std::path::Path::new("/media/Day 1/ü.wav");
        assert_eq!(url_to_path(&path_to_url(p)), p);
        assert_eq!(rate_from_f64(23.976, false), Some(FrameRate::FPS_23_976));
        assert_eq!(rate_from_f64(29.97, true), Some(FrameRate::FPS_29_97_DF));
        assert_eq!(rate_from_f64(25.0, false), Some(FrameRate::FPS_25));
        assert_eq!(rate_from_f64(f64::NAN, false), None);
    }
}
