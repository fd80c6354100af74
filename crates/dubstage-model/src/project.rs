//! The project: tracks of clips routed into buses and the master, the media
//! pool, and markers. Plain data; every change goes through [`crate::Command`].

use crate::mixer::{AuxSend, Insert};
use crate::time::{FrameRate, SampleLen, SamplePos, SampleRate, TimeMap, Timecode};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// Identifies a track for the life of the project.
    TrackId
);
id_type!(
    /// Identifies a clip for the life of the project.
    ClipId
);
id_type!(
    /// Identifies an entry of the media pool.
    MediaId
);
id_type!(
    /// Identifies a bus.
    BusId
);
id_type!(
    /// Identifies a marker.
    MarkerId
);
id_type!(
    /// Identifies an insert (a processor on a strip) for the life of the project.
    InsertId
);
id_type!(
    /// Identifies a send from a strip to a bus.
    SendId
);

/// What a track carries. Decides its colour and its default output bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrackKind {
    Dialogue,
    Foley,
    Sfx,
    Ambience,
    Music,
    /// Reference audio (the picture's own sound). Routed to the master and
    /// muted by default so it never leaks into a deliverable unnoticed.
    Guide,
}

impl TrackKind {
    pub const ALL: [TrackKind; 6] = [
        TrackKind::Dialogue,
        TrackKind::Foley,
        TrackKind::Sfx,
        TrackKind::Ambience,
        TrackKind::Music,
        TrackKind::Guide,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TrackKind::Dialogue => "Dialogue",
            TrackKind::Foley => "Foley",
            TrackKind::Sfx => "SFX",
            TrackKind::Ambience => "Ambience",
            TrackKind::Music => "Music",
            TrackKind::Guide => "Guide",
        }
    }

    /// The stem this kind belongs to by default.
    pub fn default_stem(self) -> Option<Stem> {
        match self {
            TrackKind::Dialogue => Some(Stem::Dialogue),
            TrackKind::Foley | TrackKind::Sfx | TrackKind::Ambience => Some(Stem::Effects),
            TrackKind::Music => Some(Stem::Music),
            TrackKind::Guide => None,
        }
    }
}

/// The three standard stems of a DME mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Stem {
    Dialogue,
    Effects,
    Music,
}

impl Stem {
    pub const ALL: [Stem; 3] = [Stem::Dialogue, Stem::Effects, Stem::Music];

    /// Short bus name: DIA, FX, MUS.
    pub fn short_name(self) -> &'static str {
        match self {
            Stem::Dialogue => "DIA",
            Stem::Effects => "FX",
            Stem::Music => "MUS",
        }
    }

    /// The fixed id of the standard bus for this stem.
    pub fn bus_id(self) -> BusId {
        match self {
            Stem::Dialogue => BusId(1),
            Stem::Effects => BusId(2),
            Stem::Music => BusId(3),
        }
    }
}

/// Where a track's signal goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Output {
    Bus(BusId),
    Master,
}

/// How a pan control distributes a mono signal: the level of each side at centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PanLaw {
    /// Constant power, −3 dB per side at centre (default).
    #[default]
    ConstantPower3dB,
    /// −4.5 dB at centre (compromise law).
    Compromise4_5dB,
    /// −6 dB at centre (linear, sums to unity in mono).
    Linear6dB,
    /// 0 dB at centre (balance-style: the far side is attenuated only).
    Balance0dB,
}

impl PanLaw {
    pub const ALL: [PanLaw; 4] = [
        PanLaw::ConstantPower3dB,
        PanLaw::Compromise4_5dB,
        PanLaw::Linear6dB,
        PanLaw::Balance0dB,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PanLaw::ConstantPower3dB => "-3 dB (constant power)",
            PanLaw::Compromise4_5dB => "-4.5 dB",
            PanLaw::Linear6dB => "-6 dB (linear)",
            PanLaw::Balance0dB => "0 dB",
        }
    }
}

/// Shape of a fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FadeShape {
    Linear,
    /// Equal power: sin/cos quarter wave. Two overlapping equal-power fades keep constant power.
    #[default]
    EqualPower,
    /// S-curve: raised cosine, gentle at both ends.
    SCurve,
    /// Exponential: linear in dB from −60 dB, reaching silence exactly at the end.
    Exponential,
}

impl FadeShape {
    pub const ALL: [FadeShape; 4] = [
        FadeShape::Linear,
        FadeShape::EqualPower,
        FadeShape::SCurve,
        FadeShape::Exponential,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FadeShape::Linear => "Linear",
            FadeShape::EqualPower => "Equal power",
            FadeShape::SCurve => "S-curve",
            FadeShape::Exponential => "Exponential",
        }
    }
}

/// A fade at one end of a clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Fade {
    pub length: SampleLen,
    #[serde(default)]
    pub shape: FadeShape,
}

impl Fade {
    pub const NONE: Fade = Fade {
        length: SampleLen(0),
        shape: FadeShape::EqualPower,
    };

    pub fn new(length: SampleLen, shape: FadeShape) -> Fade {
        Fade { length, shape }
    }
}

/// Which source channels a clip plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ClipChannels {
    /// Channels 1–2 as left/right (a mono source plays as mono). Panned with a balance control.
    #[default]
    Stereo,
    /// One channel (0-based), played as mono and panned with the track's pan law.
    Mono(u16),
}

/// A region of a media file placed on a track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub id: ClipId,
    pub media: MediaId,
    #[serde(default)]
    pub name: String,
    /// Timeline position of the clip's first sample.
    pub position: SamplePos,
    /// Length on the timeline.
    pub length: SampleLen,
    /// Position in the (project-rate) source of the clip's first sample.
    #[serde(default)]
    pub source_offset: SamplePos,
    #[serde(default)]
    pub gain_db: f32,
    #[serde(default)]
    pub fade_in: Fade,
    #[serde(default)]
    pub fade_out: Fade,
    #[serde(default)]
    pub channels: ClipChannels,
    /// Clip-gain envelope: points in source samples (see
    /// [`crate::automation`]), on top of `gain_db` and the fades.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gain_envelope: Vec<crate::automation::EnvPoint>,
}

impl Clip {
    /// One past the last timeline sample of the clip.
    pub fn end(&self) -> SamplePos {
        self.position + self.length
    }

    /// Whether timeline sample `pos` lies inside the clip.
    pub fn contains(&self, pos: SamplePos) -> bool {
        pos >= self.position && pos < self.end()
    }
}

/// A track: clips of one kind, with its mixer settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: TrackId,
    pub name: String,
    pub kind: TrackKind,
    #[serde(default)]
    pub gain_db: f32,
    /// −1 (left) … 0 (centre) … +1 (right).
    #[serde(default)]
    pub pan: f32,
    #[serde(default)]
    pub mute: bool,
    #[serde(default)]
    pub solo: bool,
    /// A solo-safe track keeps playing when other tracks are soloed.
    #[serde(default)]
    pub solo_safe: bool,
    pub output: Output,
    /// Processors, in signal order, after the clip sum and before the fader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inserts: Vec<Insert>,
    /// Sends to buses (FX returns, pre-mixes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sends: Vec<AuxSend>,
    /// The user's colour for the track (RGB); `None`: the kind's colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<[u8; 3]>,
    /// Clips ordered by position (kept sorted by every command).
    #[serde(default)]
    pub clips: Vec<Clip>,
}

impl Track {
    pub fn clip(&self, id: ClipId) -> Option<&Clip> {
        self.clips.iter().find(|c| c.id == id)
    }

    /// The clip under timeline sample `pos`, the latest-starting one if several overlap.
    pub fn clip_at(&self, pos: SamplePos) -> Option<&Clip> {
        self.clips.iter().rev().find(|c| c.contains(pos))
    }

    /// End of the last clip, or zero.
    pub fn end(&self) -> SamplePos {
        self.clips
            .iter()
            .map(Clip::end)
            .max()
            .unwrap_or(SamplePos::ZERO)
    }
}

/// A pan position as a mixer shows it: "C", "L40", "R100".
pub fn pan_label(pan: f32) -> String {
    if pan.abs() < 0.005 {
        "C".to_owned()
    } else if pan < 0.0 {
        format!("L{:.0}", -pan * 100.0)
    } else {
        format!("R{:.0}", pan * 100.0)
    }
}

/// A mix bus (DIA, FX, MUS or a user bus). Buses feed the master; their outputs are the stems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bus {
    pub id: BusId,
    pub name: String,
    #[serde(default)]
    pub gain_db: f32,
    #[serde(default)]
    pub mute: bool,
    /// Balance, −1 … +1.
    #[serde(default)]
    pub pan: f32,
    /// Where the bus goes: the master, or another bus (a pre-mix).
    #[serde(default = "master_output")]
    pub output: Output,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inserts: Vec<Insert>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sends: Vec<AuxSend>,
}

impl Bus {
    /// A bus at unity, centred, into the master, with an empty strip.
    pub fn new(id: BusId, name: &str) -> Bus {
        Bus {
            id,
            name: name.to_owned(),
            gain_db: 0.0,
            mute: false,
            pan: 0.0,
            output: Output::Master,
            inserts: Vec::new(),
            sends: Vec::new(),
        }
    }
}

fn master_output() -> Output {
    Output::Master
}

/// The master output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Master {
    #[serde(default)]
    pub gain_db: f32,
    /// Processors after the master fader, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inserts: Vec<Insert>,
    /// The delivery chain last set by a delivery preset: gain, then a
    /// true-peak limiter, after the master's own inserts. Playback and
    /// every export play it, so what is heard is what was delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryChain>,
}

/// The master's delivery gain and limiter (see [`Master::delivery`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryChain {
    /// The preset that set it ("EBU R128", …).
    #[serde(default)]
    pub preset: String,
    pub gain_db: f32,
    /// The limiter's ceiling in dBTP; `None`: no limiter was needed.
    #[serde(default)]
    pub ceiling_dbtp: Option<f32>,
}

impl Project {
    /// The automation lane of `param`, if it has one.
    pub fn lane(&self, param: crate::mixer::ParamId) -> Option<&crate::automation::Lane> {
        self.automation.iter().find(|l| l.param == param)
    }

    /// The project as a delivery renders it: without the delivery chain
    /// (the delivery applies its own, with the gain it finds).
    pub fn without_delivery(&self) -> Project {
        let mut p = self.clone();
        p.master.delivery = None;
        p
    }
}

/// A named position on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub id: MarkerId,
    pub position: SamplePos,
    #[serde(default)]
    pub name: String,
}

/// An entry of the media pool: one audio file. In memory the path is
/// absolute; in the project file it is relative to the project file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaRef {
    pub id: MediaId,
    pub path: PathBuf,
    /// Display name (defaults to the file name).
    #[serde(default)]
    pub name: String,
    /// Channel count found at import, or 0 when never read.
    #[serde(default)]
    pub channels: u16,
    /// Length at the project rate, found at import (0 when never read).
    #[serde(default)]
    pub length: SampleLen,
    /// Where the media sits in its own timecode: its first sample as
    /// project-rate samples since midnight (a BWF time reference, or the
    /// start timecode a turnover gives it), when known. An offline clip
    /// keeps its source timecode through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_reference: Option<i64>,
    /// Tape or reel name (from a turnover), empty when none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tape: String,
}

/// The film's picture: a movie file placed on the timeline. Frames are
/// decoded elsewhere; the model knows where the movie sits and how fast it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    /// In memory absolute; in the project file relative to the project file.
    pub path: PathBuf,
    /// The movie's frame rate (rational, as probed).
    pub frame_rate: FrameRate,
    /// Number of frames.
    pub frames: i64,
    /// Timeline position of the movie's first frame.
    pub position: SamplePos,
    /// The movie's own start timecode, when it carries one.
    #[serde(default)]
    pub timecode: Option<Timecode>,
    /// Picture size in pixels (as probed, for display).
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    /// Extra picture delay in milliseconds (positive shows frames later),
    /// for displays that lag or lead.
    #[serde(default)]
    pub av_offset_ms: f32,
}

impl Picture {
    /// The movie frame shown when timeline sample `pos` is heard, or `None`
    /// outside the movie. `pos` already includes any output-latency
    /// correction; the A/V offset is applied here.
    pub fn frame_at(&self, pos: SamplePos, rate: SampleRate) -> Option<i64> {
        let offset = (f64::from(self.av_offset_ms) * f64::from(rate.hz()) / 1000.0).round() as i64;
        let rel = SamplePos(pos.0 - self.position.0 - offset);
        let frame = self.frame_rate.samples_to_frame(rel, rate);
        (0..self.frames).contains(&frame).then_some(frame)
    }

    /// The first timeline sample of movie frame `frame` (ignoring the A/V offset).
    pub fn frame_position(&self, frame: i64, rate: SampleRate) -> SamplePos {
        SamplePos(self.position.0 + self.frame_rate.frame_to_samples(frame, rate).0)
    }

    /// Timeline position just after the last frame.
    pub fn end(&self, rate: SampleRate) -> SamplePos {
        self.frame_position(self.frames, rate)
    }

    /// The position that puts the movie's own start timecode at the same
    /// timecode on the session's timeline (`None` when the movie has none).
    pub fn position_by_timecode(&self, map: TimeMap) -> Option<SamplePos> {
        let tc = self.timecode?;
        let rate = map.sample_rate;
        let movie = self
            .frame_rate
            .frame_to_samples(tc.to_frames(self.frame_rate).ok()?, rate);
        let start = map.start.to_frames(map.frame_rate).ok()?;
        let session = map.frame_rate.frame_to_samples(start, rate);
        Some(SamplePos(movie.0 - session.0))
    }
}

/// A whole project. Plain data: no threads, no I/O besides [`crate::file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    #[serde(default)]
    pub sample_rate: SampleRate,
    #[serde(default)]
    pub frame_rate: FrameRate,
    #[serde(default)]
    pub start_timecode: Timecode,
    #[serde(default)]
    pub pan_law: PanLaw,
    #[serde(default)]
    pub media: Vec<MediaRef>,
    #[serde(default)]
    pub tracks: Vec<Track>,
    #[serde(default = "default_buses")]
    pub buses: Vec<Bus>,
    #[serde(default)]
    pub markers: Vec<Marker>,
    #[serde(default)]
    pub master: Master,
    /// The film's picture, when one is set.
    #[serde(default)]
    pub picture: Option<Picture>,
    /// Automation lanes, one per parameter, sorted by parameter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automation: Vec<crate::automation::Lane>,
    /// The next free id (shared by every kind of id). Kept in the file so ids are never reused.
    #[serde(default)]
    pub next_id: u32,
    /// How the editor last showed the project (zoom, scroll, playhead,
    /// track heights). Not an edit: no command changes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<SavedView>,
}

/// The editor's view of a project, kept in the file so it reopens as it was left.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SavedView {
    /// Timeline samples per horizontal point.
    #[serde(default)]
    pub samples_per_point: f64,
    /// Timeline sample at the left edge of the clip area.
    #[serde(default)]
    pub scroll_samples: f64,
    /// Vertical scroll of the track area, in points.
    #[serde(default)]
    pub scroll_y: f32,
    /// Where the playhead was.
    #[serde(default)]
    pub playhead: SamplePos,
    /// Height of every track without its own, in points.
    #[serde(default)]
    pub track_height: f32,
    /// Tracks with their own height.
    #[serde(default)]
    pub track_heights: Vec<(TrackId, f32)>,
    /// Vertical waveform zoom (1 = full scale).
    #[serde(default)]
    pub waveform_zoom: f32,
    /// The automation lanes shown under each track.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<(TrackId, Vec<crate::mixer::ParamId>)>,
    /// The height of an automation lane (0: the default).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lane_height: f32,
    /// The buses' and the master's lanes shown under the tracks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strip_lanes: Vec<(crate::mixer::StripId, Vec<crate::mixer::ParamId>)>,
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

fn default_buses() -> Vec<Bus> {
    Stem::ALL
        .into_iter()
        .map(|s| Bus::new(s.bus_id(), s.short_name()))
        .collect()
}

/// The first id handed out to new objects; ids below are reserved for the standard buses.
pub const FIRST_FREE_ID: u32 = 100;

impl Default for Project {
    fn default() -> Self {
        Project::new("Untitled")
    }
}

impl Project {
    /// An empty project at 48 kHz / 24 fps starting at 01:00:00:00, with DIA, FX and MUS buses.
    pub fn new(name: &str) -> Project {
        Project {
            name: name.to_owned(),
            sample_rate: SampleRate::default(),
            frame_rate: FrameRate::default(),
            start_timecode: Timecode::ONE_HOUR,
            pan_law: PanLaw::default(),
            media: Vec::new(),
            tracks: Vec::new(),
            buses: default_buses(),
            markers: Vec::new(),
            master: Master::default(),
            picture: None,
            automation: Vec::new(),
            next_id: FIRST_FREE_ID,
            view: None,
        }
    }

    pub fn time_map(&self) -> TimeMap {
        TimeMap {
            sample_rate: self.sample_rate,
            frame_rate: self.frame_rate,
            start: self.start_timecode,
        }
    }

    /// Hands out a fresh id number. Ids are never reused within a project.
    pub fn alloc_id(&mut self) -> u32 {
        self.next_id = self.next_id.max(FIRST_FREE_ID);
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// The id the next created object will get. Within one command group,
    /// ids are handed out in order from here, one per created object.
    pub fn peek_next_id(&self) -> u32 {
        self.next_id.max(FIRST_FREE_ID)
    }

    /// Makes `next_id` larger than every id in use (after loading a hand-written file).
    pub fn fix_next_id(&mut self) {
        let max = self
            .tracks
            .iter()
            .flat_map(|t| std::iter::once(t.id.0).chain(t.clips.iter().map(|c| c.id.0)))
            .chain(self.media.iter().map(|m| m.id.0))
            .chain(self.buses.iter().map(|b| b.id.0))
            .chain(self.markers.iter().map(|m| m.id.0))
            .chain(self.strips().into_iter().flat_map(|s| {
                self.strip_inserts(s)
                    .iter()
                    .map(|i| i.id.0)
                    .collect::<Vec<_>>()
            }))
            .chain(
                self.tracks
                    .iter()
                    .flat_map(|t| &t.sends)
                    .chain(self.buses.iter().flat_map(|b| &b.sends))
                    .map(|s| s.id.0),
            )
            .max()
            .unwrap_or(0);
        self.next_id = self.next_id.max(max.saturating_add(1)).max(FIRST_FREE_ID);
    }

    pub fn track(&self, id: TrackId) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    pub fn track_mut(&mut self, id: TrackId) -> Option<&mut Track> {
        self.tracks.iter_mut().find(|t| t.id == id)
    }

    pub fn track_index(&self, id: TrackId) -> Option<usize> {
        self.tracks.iter().position(|t| t.id == id)
    }

    pub fn bus(&self, id: BusId) -> Option<&Bus> {
        self.buses.iter().find(|b| b.id == id)
    }

    pub fn bus_mut(&mut self, id: BusId) -> Option<&mut Bus> {
        self.buses.iter_mut().find(|b| b.id == id)
    }

    pub fn media(&self, id: MediaId) -> Option<&MediaRef> {
        self.media.iter().find(|m| m.id == id)
    }

    /// The clip with this id and the track that holds it.
    pub fn clip(&self, id: ClipId) -> Option<(&Track, &Clip)> {
        self.tracks.iter().find_map(|t| t.clip(id).map(|c| (t, c)))
    }

    /// Every clip, with the id of its track.
    pub fn clips(&self) -> impl Iterator<Item = (TrackId, &Clip)> {
        self.tracks
            .iter()
            .flat_map(|t| t.clips.iter().map(move |c| (t.id, c)))
    }

    /// End of the last clip: the natural length of the session.
    pub fn end(&self) -> SamplePos {
        self.tracks
            .iter()
            .map(Track::end)
            .max()
            .unwrap_or(SamplePos::ZERO)
    }

    /// The default output for a new track of `kind`: its stem bus when present, else the master.
    pub fn default_output(&self, kind: TrackKind) -> Output {
        kind.default_stem()
            .map(Stem::bus_id)
            .filter(|id| self.bus(*id).is_some())
            .map_or(Output::Master, Output::Bus)
    }

    /// Whether any non-muted track is soloed (then only soloed and solo-safe tracks play).
    pub fn any_solo(&self) -> bool {
        self.tracks.iter().any(|t| t.solo)
    }

    /// Whether a track is heard given mute, solo and solo-safe of all tracks.
    pub fn track_audible(&self, track: &Track) -> bool {
        crate::mixer::audible(track.mute, track.solo, track.solo_safe, self.any_solo())
    }
}
