//! Typed time: sample positions, sample rates, rational frame rates and timecode.
//!
//! All conversions are exact integer arithmetic (`i128` intermediates), so a
//! timecode converts to a sample and back without drift at every frame rate,
//! drop-frame included.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// A position on the timeline (or in a source), in samples at the project rate.
/// Sample 0 of the timeline is the session start timecode.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SamplePos(pub i64);

/// A duration in samples at the project rate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SampleLen(pub i64);

impl SamplePos {
    pub const ZERO: SamplePos = SamplePos(0);
}

impl SampleLen {
    pub const ZERO: SampleLen = SampleLen(0);
}

impl Add<SampleLen> for SamplePos {
    type Output = SamplePos;
    fn add(self, rhs: SampleLen) -> SamplePos {
        SamplePos(self.0 + rhs.0)
    }
}

impl AddAssign<SampleLen> for SamplePos {
    fn add_assign(&mut self, rhs: SampleLen) {
        self.0 += rhs.0;
    }
}

impl Sub<SampleLen> for SamplePos {
    type Output = SamplePos;
    fn sub(self, rhs: SampleLen) -> SamplePos {
        SamplePos(self.0 - rhs.0)
    }
}

impl SubAssign<SampleLen> for SamplePos {
    fn sub_assign(&mut self, rhs: SampleLen) {
        self.0 -= rhs.0;
    }
}

impl Sub for SamplePos {
    type Output = SampleLen;
    fn sub(self, rhs: SamplePos) -> SampleLen {
        SampleLen(self.0 - rhs.0)
    }
}

impl Add for SampleLen {
    type Output = SampleLen;
    fn add(self, rhs: SampleLen) -> SampleLen {
        SampleLen(self.0 + rhs.0)
    }
}

impl Sub for SampleLen {
    type Output = SampleLen;
    fn sub(self, rhs: SampleLen) -> SampleLen {
        SampleLen(self.0 - rhs.0)
    }
}

impl Neg for SampleLen {
    type Output = SampleLen;
    fn neg(self) -> SampleLen {
        SampleLen(-self.0)
    }
}

/// The project sample rate. Dubstage works at 44.1, 48 (default) or 96 kHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SampleRate(u32);

impl SampleRate {
    pub const HZ_44100: SampleRate = SampleRate(44_100);
    pub const HZ_48000: SampleRate = SampleRate(48_000);
    pub const HZ_96000: SampleRate = SampleRate(96_000);
    pub const ALLOWED: [SampleRate; 3] = [Self::HZ_44100, Self::HZ_48000, Self::HZ_96000];

    /// A project rate; only 44 100, 48 000 and 96 000 Hz are allowed.
    pub fn new(hz: u32) -> Result<SampleRate, TimeError> {
        Self::ALLOWED
            .into_iter()
            .find(|r| r.0 == hz)
            .ok_or(TimeError::UnsupportedSampleRate(hz))
    }

    pub fn hz(self) -> u32 {
        self.0
    }

    /// Whole seconds to samples.
    pub fn seconds(self, s: i64) -> SampleLen {
        SampleLen(s * i64::from(self.0))
    }

    /// Seconds (possibly fractional) to the nearest sample.
    pub fn seconds_f64(self, s: f64) -> SampleLen {
        SampleLen((s * f64::from(self.0)).round() as i64)
    }

    /// A duration in seconds, for display and statistics.
    pub fn to_seconds(self, len: SampleLen) -> f64 {
        len.0 as f64 / f64::from(self.0)
    }
}

impl Default for SampleRate {
    fn default() -> Self {
        Self::HZ_48000
    }
}

impl TryFrom<u32> for SampleRate {
    type Error = TimeError;
    fn try_from(hz: u32) -> Result<Self, TimeError> {
        SampleRate::new(hz)
    }
}

impl From<SampleRate> for u32 {
    fn from(r: SampleRate) -> u32 {
        r.0
    }
}

impl fmt::Display for SampleRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{} kHz", self.0 / 1000)
        } else {
            write!(f, "{:.1} kHz", f64::from(self.0) / 1000.0)
        }
    }
}

/// A rational frame rate (`num / den` frames per second), optionally counted
/// in drop-frame timecode (only for the 1001-denominator rates 29.97 and 59.94).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "FrameRateRepr", into = "FrameRateRepr")]
pub struct FrameRate {
    num: u32,
    den: u32,
    drop_frame: bool,
}

/// The serialized form of a frame rate: `(num: 24000, den: 1001, drop_frame: false)`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename = "FrameRate")]
struct FrameRateRepr {
    num: u32,
    den: u32,
    #[serde(default)]
    drop_frame: bool,
}

impl TryFrom<FrameRateRepr> for FrameRate {
    type Error = TimeError;
    fn try_from(r: FrameRateRepr) -> Result<Self, TimeError> {
        FrameRate::new(r.num, r.den, r.drop_frame)
    }
}

impl From<FrameRate> for FrameRateRepr {
    fn from(r: FrameRate) -> Self {
        FrameRateRepr {
            num: r.num,
            den: r.den,
            drop_frame: r.drop_frame,
        }
    }
}

impl FrameRate {
    pub const FPS_23_976: FrameRate = FrameRate::const_new(24_000, 1001, false);
    pub const FPS_24: FrameRate = FrameRate::const_new(24, 1, false);
    pub const FPS_25: FrameRate = FrameRate::const_new(25, 1, false);
    pub const FPS_29_97_NDF: FrameRate = FrameRate::const_new(30_000, 1001, false);
    pub const FPS_29_97_DF: FrameRate = FrameRate::const_new(30_000, 1001, true);
    pub const FPS_30: FrameRate = FrameRate::const_new(30, 1, false);
    pub const FPS_50: FrameRate = FrameRate::const_new(50, 1, false);
    pub const FPS_59_94_NDF: FrameRate = FrameRate::const_new(60_000, 1001, false);
    pub const FPS_59_94_DF: FrameRate = FrameRate::const_new(60_000, 1001, true);
    pub const FPS_60: FrameRate = FrameRate::const_new(60, 1, false);

    /// Every rate Dubstage offers, in menu order.
    pub const ALL: [FrameRate; 10] = [
        Self::FPS_23_976,
        Self::FPS_24,
        Self::FPS_25,
        Self::FPS_29_97_DF,
        Self::FPS_29_97_NDF,
        Self::FPS_30,
        Self::FPS_50,
        Self::FPS_59_94_DF,
        Self::FPS_59_94_NDF,
        Self::FPS_60,
    ];

    const fn const_new(num: u32, den: u32, drop_frame: bool) -> FrameRate {
        FrameRate {
            num,
            den,
            drop_frame,
        }
    }

    /// A frame rate `num/den`. Drop-frame counting is only defined for
    /// 30000/1001 and 60000/1001.
    pub fn new(num: u32, den: u32, drop_frame: bool) -> Result<FrameRate, TimeError> {
        if num == 0 || den == 0 {
            return Err(TimeError::InvalidFrameRate { num, den });
        }
        let g = gcd(u64::from(num), u64::from(den));
        let (n, d) = (u64::from(num) / g, u64::from(den) / g);
        let (num, den) = (n as u32, d as u32);
        if drop_frame && !(den == 1001 && (num == 30_000 || num == 60_000)) {
            return Err(TimeError::DropFrameNotAllowed { num, den });
        }
        // Nominal rates above 1000 fps are not film rates; refuse them so
        // timecode fields stay small. Below 1 fps is no picture rate either
        // (`1/4294967295` is damage).
        if num < den || num / den > 1000 {
            return Err(TimeError::InvalidFrameRate { num, den });
        }
        Ok(FrameRate {
            num,
            den,
            drop_frame,
        })
    }

    pub fn num(self) -> u32 {
        self.num
    }

    pub fn den(self) -> u32 {
        self.den
    }

    pub fn is_drop_frame(self) -> bool {
        self.drop_frame
    }

    /// Frames per second as a float, for display only.
    pub fn fps(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// The integer frame count of one timecode second (24 for 23.976, 30 for 29.97).
    pub fn timecode_base(self) -> u32 {
        self.num.div_ceil(self.den)
    }

    /// Frames dropped from the count at each minute not divisible by ten.
    fn dropped_per_minute(self) -> i64 {
        if self.drop_frame {
            i64::from(self.timecode_base() / 15)
        } else {
            0
        }
    }

    /// The first sample of frame `frame` (frame 0 starts at sample 0).
    pub fn frame_to_samples(self, frame: i64, rate: SampleRate) -> SamplePos {
        let v = i128::from(frame) * i128::from(rate.hz()) * i128::from(self.den);
        SamplePos(v.div_euclid(i128::from(self.num)) as i64)
    }

    /// The frame that contains sample `pos` (floor; negative positions give negative frames).
    pub fn samples_to_frame(self, pos: SamplePos, rate: SampleRate) -> i64 {
        // Frame f covers [ceil-ish start(f), start(f+1)). start(f) = floor(f*sr*den/num).
        // pos is in frame f iff f*sr*den/num < pos+1 ... solve with exact integers:
        // f = floor((pos*num + num - 1) / (sr*den)) would be ceil; we need the largest f
        // with floor(f*sr*den/num) <= pos, i.e. f*sr*den < (pos+1)*num.
        let a = i128::from(rate.hz()) * i128::from(self.den);
        let b = (i128::from(pos.0) + 1) * i128::from(self.num);
        // largest f with f*a < b  =>  f = ceil(b/a) - 1
        let f = (b + a - 1).div_euclid(a) - 1;
        f as i64
    }

    /// Human name as used in menus: "23.976", "29.97 DF", "25".
    pub fn label(self) -> String {
        let base = if self.den == 1 {
            format!("{}", self.num)
        } else if self.den == 1001 {
            match self.num {
                24_000 => "23.976".to_owned(),
                30_000 => "29.97".to_owned(),
                60_000 => "59.94".to_owned(),
                48_000 => "47.952".to_owned(),
                _ => format!("{:.3}", self.fps()),
            }
        } else {
            format!("{:.3}", self.fps())
        };
        if self.drop_frame {
            format!("{base} DF")
        } else if self.den == 1001 && (self.num == 30_000 || self.num == 60_000) {
            format!("{base} NDF")
        } else {
            base
        }
    }
}

impl Default for FrameRate {
    fn default() -> Self {
        Self::FPS_24
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A SMPTE timecode `HH:MM:SS:FF` (`;` before the frames when drop-frame).
/// Always within one day; frame counts wrap at 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timecode {
    pub hours: u8,
    pub minutes: u8,
    pub seconds: u8,
    pub frames: u16,
    pub drop_frame: bool,
}

impl Timecode {
    /// 01:00:00:00, the film convention for the first frame of picture.
    pub const ONE_HOUR: Timecode = Timecode {
        hours: 1,
        minutes: 0,
        seconds: 0,
        frames: 0,
        drop_frame: false,
    };

    pub fn new(hours: u8, minutes: u8, seconds: u8, frames: u16) -> Timecode {
        Timecode {
            hours,
            minutes,
            seconds,
            frames,
            drop_frame: false,
        }
    }

    /// Parses `HH:MM:SS:FF`, `HH:MM:SS;FF` (drop-frame) or `HH:MM:SS.FF`.
    pub fn parse(s: &str) -> Result<Timecode, TimeError> {
        let s = s.trim();
        let bad = || TimeError::BadTimecode(s.to_owned());
        let drop_frame = s.contains(';');
        let parts: Vec<&str> = s.split([':', ';', '.']).collect();
        if parts.len() != 4 {
            return Err(bad());
        }
        let num = |p: &str| -> Result<u32, TimeError> {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse().map_err(|_| bad())
        };
        let (h, m, sec, f) = (
            num(parts[0])?,
            num(parts[1])?,
            num(parts[2])?,
            num(parts[3])?,
        );
        if h > 23 || m > 59 || sec > 59 || f > 999 {
            return Err(bad());
        }
        Ok(Timecode {
            hours: h as u8,
            minutes: m as u8,
            seconds: sec as u8,
            frames: f as u16,
            drop_frame,
        })
    }

    /// The frame count since 00:00:00:00 for this timecode at `rate`.
    /// Fails when a field is out of range for the rate, or the timecode
    /// names a frame that drop-frame counting skips (e.g. 00:01:00;00).
    pub fn to_frames(self, rate: FrameRate) -> Result<i64, TimeError> {
        let base = i64::from(rate.timecode_base());
        let err = || TimeError::TimecodeOutOfRange {
            timecode: self.to_string_with(rate.is_drop_frame()),
            rate: rate.label(),
        };
        if i64::from(self.frames) >= base || self.minutes > 59 || self.seconds > 59 {
            return Err(err());
        }
        let drop = rate.dropped_per_minute();
        let (h, m, s, f) = (
            i64::from(self.hours),
            i64::from(self.minutes),
            i64::from(self.seconds),
            i64::from(self.frames),
        );
        if drop > 0 && s == 0 && m % 10 != 0 && f < drop {
            return Err(err());
        }
        let total_minutes = 60 * h + m;
        let nominal = ((h * 3600 + m * 60 + s) * base) + f;
        Ok(nominal - drop * (total_minutes - total_minutes / 10))
    }

    /// The timecode of frame `frame` (counted from 00:00:00:00) at `rate`,
    /// wrapping at 24 hours.
    pub fn from_frames(frame: i64, rate: FrameRate) -> Timecode {
        let base = i64::from(rate.timecode_base());
        let drop = rate.dropped_per_minute();
        let frames_per_day = if drop > 0 {
            // 24 h of drop-frame counting.
            let per_10_min = base * 600 - drop * 9;
            per_10_min * 6 * 24
        } else {
            base * 86_400
        };
        let mut f = frame.rem_euclid(frames_per_day);
        if drop > 0 {
            let per_10_min = base * 600 - drop * 9;
            let per_min = base * 60 - drop;
            let tens = f / per_10_min;
            let rem = f % per_10_min;
            // The first minute of each ten keeps all its frames.
            let extra = if rem < base * 60 {
                0
            } else {
                drop * ((rem - base * 60) / per_min + 1)
            };
            f += drop * 9 * tens + extra;
        }
        let frames = f % base;
        let total_seconds = f / base;
        Timecode {
            hours: (total_seconds / 3600) as u8,
            minutes: ((total_seconds / 60) % 60) as u8,
            seconds: (total_seconds % 60) as u8,
            frames: frames as u16,
            drop_frame: rate.is_drop_frame(),
        }
    }

    /// Formats with `;` before the frames when `drop_frame`.
    pub fn to_string_with(self, drop_frame: bool) -> String {
        let sep = if drop_frame { ';' } else { ':' };
        format!(
            "{:02}:{:02}:{:02}{sep}{:02}",
            self.hours, self.minutes, self.seconds, self.frames
        )
    }
}

impl Default for Timecode {
    fn default() -> Self {
        Self::ONE_HOUR
    }
}

impl fmt::Display for Timecode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_with(self.drop_frame))
    }
}

impl TryFrom<String> for Timecode {
    type Error = TimeError;
    fn try_from(s: String) -> Result<Self, TimeError> {
        Timecode::parse(&s)
    }
}

impl From<Timecode> for String {
    fn from(t: Timecode) -> String {
        t.to_string()
    }
}

/// Maps timeline samples to timecode and back for one session: sample 0 is
/// `start` (by default 01:00:00:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeMap {
    pub sample_rate: SampleRate,
    pub frame_rate: FrameRate,
    pub start: Timecode,
}

impl TimeMap {
    fn start_frame(self) -> i64 {
        // A start timecode that is invalid for the rate (checked at load) falls
        // back to its nominal count, which keeps conversions total.
        self.start.to_frames(self.frame_rate).unwrap_or_else(|_| {
            let base = i64::from(self.frame_rate.timecode_base());
            (i64::from(self.start.hours) * 3600
                + i64::from(self.start.minutes) * 60
                + i64::from(self.start.seconds))
                * base
                + i64::from(self.start.frames)
        })
    }

    /// The timecode of the frame containing timeline sample `pos`.
    pub fn timecode_at(self, pos: SamplePos) -> Timecode {
        let frame = self.frame_rate.samples_to_frame(pos, self.sample_rate);
        Timecode::from_frames(self.start_frame() + frame, self.frame_rate)
    }

    /// The first timeline sample of the frame named by `tc`.
    pub fn samples_at(self, tc: Timecode) -> Result<SamplePos, TimeError> {
        let frame = tc.to_frames(self.frame_rate)? - self.start_frame();
        Ok(self.frame_rate.frame_to_samples(frame, self.sample_rate))
    }

    /// Frame index (since the session start) of a timeline sample.
    pub fn frame_at(self, pos: SamplePos) -> i64 {
        self.frame_rate.samples_to_frame(pos, self.sample_rate)
    }

    /// The first sample of the frame at index `frame` since the session start.
    pub fn frame_start(self, frame: i64) -> SamplePos {
        self.frame_rate.frame_to_samples(frame, self.sample_rate)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("sample rate {0} Hz is not supported (use 44100, 48000 or 96000)")]
    UnsupportedSampleRate(u32),
    #[error("frame rate {num}/{den} is not valid")]
    InvalidFrameRate { num: u32, den: u32 },
    #[error("drop-frame timecode is only defined for 29.97 and 59.94 fps, not {num}/{den}")]
    DropFrameNotAllowed { num: u32, den: u32 },
    #[error("`{0}` is not a timecode (expected HH:MM:SS:FF)")]
    BadTimecode(String),
    #[error("timecode {timecode} does not exist at {rate} fps")]
    TimecodeOutOfRange { timecode: String, rate: String },
}
