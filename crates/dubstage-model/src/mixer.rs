//! The mixer as data: strips (every track, bus and the master), their
//! inserts and sends, the one address of every mixer value ([`ParamId`]),
//! each insert kind's parameter table, and the routing order (a DAG; a
//! cycle is refused).
//!
//! Insert parameters are numbers keyed by name in the file (`"freq": 80.0`)
//! and addressed by their index in the kind's table ([`InsertKind::params`])
//! everywhere else: the command that sets one, the engine control that
//! carries it while a control is dragged, and automation.

use crate::project::{BusId, InsertId, Output, Project, SendId, TrackId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The audibility rule, in one place: a track is heard unless muted, and
/// while any track is soloed only soloed and solo-safe tracks are heard.
pub fn audible(mute: bool, solo: bool, solo_safe: bool, any_solo: bool) -> bool {
    !mute && (!any_solo || solo || solo_safe)
}

/// A strip: what has a fader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StripId {
    Track(TrackId),
    Bus(BusId),
    Master,
}

/// The address of one mixer value. Values are `f32` in the parameter's own
/// unit (dB for faders and send levels, −1…+1 for pan, 0/1 for switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ParamId {
    /// Fader level in dB (−144 … +24).
    Fader(StripId),
    /// Pan (tracks) or balance (buses), −1 … +1. The master has none.
    Pan(StripId),
    /// 0 or 1. The master has none.
    Mute(StripId),
    Solo(TrackId),
    SoloSafe(TrackId),
    /// Send level in dB.
    SendLevel(SendId),
    /// 0 or 1.
    SendMute(SendId),
    /// 1: the send taps before the fader; 0: after fader and pan.
    SendPre(SendId),
    /// 0 or 1.
    Bypass(InsertId),
    /// Parameter `index` of the insert's kind table.
    Insert(InsertId, u16),
}

/// What a parameter's number means, for display and entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Db,
    Hz,
    Ms,
    Seconds,
    /// `N:1`.
    Ratio,
    /// 0 … 1 shown as 0 … 100 %.
    Fraction,
    Q,
    /// An index into [`ParamSpec::choices`].
    Choice,
    /// 0 or 1.
    Switch,
    /// dB per octave (6, 12, 18, 24).
    Slope,
}

/// One entry of an insert kind's parameter table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Key in the project file and on the command line.
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub min: f32,
    pub max: f32,
    pub default: f32,
    /// Allowed steps (0: continuous). Slopes step by 6, choices by 1.
    pub step: f32,
    /// Names of the values of a [`Unit::Choice`].
    pub choices: &'static [&'static str],
}

impl ParamSpec {
    const fn new(
        key: &'static str,
        label: &'static str,
        unit: Unit,
        range: (f32, f32),
        default: f32,
    ) -> ParamSpec {
        ParamSpec {
            key,
            label,
            unit,
            min: range.0,
            max: range.1,
            default,
            step: match unit {
                Unit::Switch => 1.0,
                Unit::Slope => 6.0,
                _ => 0.0,
            },
            choices: &[],
        }
    }

    const fn choice(
        key: &'static str,
        label: &'static str,
        choices: &'static [&'static str],
        default: f32,
    ) -> ParamSpec {
        ParamSpec {
            key,
            label,
            unit: Unit::Choice,
            min: 0.0,
            max: (choices.len() - 1) as f32,
            default,
            step: 1.0,
            choices,
        }
    }

    /// `v` clamped to the range and rounded to the step; `None` when not finite.
    pub fn sanitise(&self, v: f32) -> Option<f32> {
        if !v.is_finite() {
            return None;
        }
        let mut v = v.clamp(self.min, self.max);
        if self.step > 0.0 {
            v = self.min + ((v - self.min) / self.step).round() * self.step;
        }
        Some(v)
    }

    /// The value as a mixer shows it ("80 Hz", "−4.0 dB", "4.0:1", "Bell").
    pub fn format(&self, v: f32) -> String {
        match self.unit {
            Unit::Db => format!("{v:.1} dB"),
            Unit::Hz if v >= 1000.0 => format!("{:.2} kHz", v / 1000.0),
            Unit::Hz => format!("{v:.0} Hz"),
            Unit::Ms => format!("{v:.1} ms"),
            Unit::Seconds => format!("{v:.2} s"),
            Unit::Ratio => format!("{v:.1}:1"),
            Unit::Fraction => format!("{:.0} %", v * 100.0),
            Unit::Q => format!("{v:.2}"),
            Unit::Choice => self
                .choices
                .get(v.round().max(0.0) as usize)
                .copied()
                .unwrap_or("?")
                .to_owned(),
            Unit::Switch => if v >= 0.5 { "on" } else { "off" }.to_owned(),
            Unit::Slope => format!("{v:.0} dB/oct"),
        }
    }
}

/// Number of bands of the `eq` insert.
pub const EQ_BANDS: usize = 6;
/// Parameters per EQ band: type, freq, gain, q, on.
pub const EQ_BAND_PARAMS: usize = 5;

/// Names of the EQ band types, in the order of their values.
pub const EQ_TYPES: &[&str] = &["bell", "lowshelf", "highshelf", "notch", "hpf", "lpf"];
/// Names of the reverb presets, in the order of their values.
pub const REVERB_PRESETS: &[&str] = &["small room", "room", "hall", "car", "exterior slap"];

const HPF: &[ParamSpec] = &[
    ParamSpec::new("freq", "Frequency", Unit::Hz, (20.0, 20_000.0), 80.0),
    ParamSpec::new("slope", "Slope", Unit::Slope, (6.0, 24.0), 12.0),
];
const LPF: &[ParamSpec] = &[
    ParamSpec::new("freq", "Frequency", Unit::Hz, (20.0, 20_000.0), 12_000.0),
    ParamSpec::new("slope", "Slope", Unit::Slope, (6.0, 24.0), 12.0),
];

macro_rules! band {
    ($n:literal, $f:expr) => {
        [
            ParamSpec::choice(
                concat!("b", $n, ".type"),
                concat!("Band ", $n, " type"),
                EQ_TYPES,
                0.0,
            ),
            ParamSpec::new(
                concat!("b", $n, ".freq"),
                concat!("Band ", $n, " frequency"),
                Unit::Hz,
                (20.0, 20_000.0),
                $f,
            ),
            ParamSpec::new(
                concat!("b", $n, ".gain"),
                concat!("Band ", $n, " gain"),
                Unit::Db,
                (-30.0, 30.0),
                0.0,
            ),
            ParamSpec::new(
                concat!("b", $n, ".q"),
                concat!("Band ", $n, " Q"),
                Unit::Q,
                (0.1, 40.0),
                0.707,
            ),
            ParamSpec::new(
                concat!("b", $n, ".on"),
                concat!("Band ", $n, " on"),
                Unit::Switch,
                (0.0, 1.0),
                0.0,
            ),
        ]
    };
}

const EQ: &[ParamSpec] = &{
    let bands = [
        band!("1", 100.0),
        band!("2", 250.0),
        band!("3", 1000.0),
        band!("4", 3000.0),
        band!("5", 6000.0),
        band!("6", 12000.0),
    ];
    let mut out = [bands[0][0]; EQ_BANDS * EQ_BAND_PARAMS];
    let mut i = 0;
    while i < EQ_BANDS * EQ_BAND_PARAMS {
        out[i] = bands[i / EQ_BAND_PARAMS][i % EQ_BAND_PARAMS];
        i += 1;
    }
    out
};

const COMP: &[ParamSpec] = &[
    ParamSpec::new("threshold", "Threshold", Unit::Db, (-60.0, 0.0), -20.0),
    ParamSpec::new("ratio", "Ratio", Unit::Ratio, (1.0, 100.0), 4.0),
    ParamSpec::new("knee", "Knee", Unit::Db, (0.0, 24.0), 6.0),
    ParamSpec::new("attack", "Attack", Unit::Ms, (0.05, 500.0), 10.0),
    ParamSpec::new("release", "Release", Unit::Ms, (1.0, 5000.0), 120.0),
    ParamSpec::new("makeup", "Make-up", Unit::Db, (-24.0, 24.0), 0.0),
    ParamSpec::choice("detector", "Detector", &["peak", "rms"], 0.0),
    ParamSpec::new("link", "Stereo link", Unit::Switch, (0.0, 1.0), 1.0),
];
const GATE: &[ParamSpec] = &[
    ParamSpec::new("threshold", "Threshold", Unit::Db, (-90.0, 0.0), -50.0),
    ParamSpec::new("range", "Range", Unit::Db, (0.0, 100.0), 40.0),
    ParamSpec::new("ratio", "Ratio", Unit::Ratio, (1.0, 20.0), 1.0),
    ParamSpec::new("attack", "Attack", Unit::Ms, (0.05, 500.0), 1.0),
    ParamSpec::new("hold", "Hold", Unit::Ms, (0.0, 2000.0), 50.0),
    ParamSpec::new("release", "Release", Unit::Ms, (1.0, 5000.0), 150.0),
];
const DEESS: &[ParamSpec] = &[
    ParamSpec::new("freq", "Frequency", Unit::Hz, (2000.0, 16_000.0), 6500.0),
    ParamSpec::new("threshold", "Threshold", Unit::Db, (-60.0, 0.0), -30.0),
    ParamSpec::new("range", "Range", Unit::Db, (0.0, 24.0), 10.0),
    ParamSpec::new("split", "Split band", Unit::Switch, (0.0, 1.0), 1.0),
];
const DENOISE: &[ParamSpec] = &[
    ParamSpec::choice("mode", "Mode", &["rnn", "spectral"], 1.0),
    ParamSpec::new("mix", "Mix", Unit::Fraction, (0.0, 1.0), 1.0),
    ParamSpec::new("limit", "Attenuation limit", Unit::Db, (0.0, 100.0), 100.0),
    ParamSpec::new("reduction", "Reduction", Unit::Db, (0.0, 40.0), 12.0),
    ParamSpec::new("smoothing", "Smoothing", Unit::Fraction, (0.0, 1.0), 0.5),
];
const LIMITER: &[ParamSpec] = &[
    ParamSpec::new("ceiling", "Ceiling (dBTP)", Unit::Db, (-20.0, 0.0), -1.0),
    ParamSpec::new("release", "Release", Unit::Ms, (1.0, 1000.0), 80.0),
];
const REVERB: &[ParamSpec] = &[
    ParamSpec::choice("preset", "Preset", REVERB_PRESETS, 1.0),
    ParamSpec::new("predelay", "Pre-delay", Unit::Ms, (0.0, 250.0), 8.0),
    ParamSpec::new("decay", "Decay", Unit::Seconds, (0.1, 10.0), 0.7),
    ParamSpec::new("damping", "Damping", Unit::Fraction, (0.0, 1.0), 0.4),
    ParamSpec::new("mix", "Mix", Unit::Fraction, (0.0, 1.0), 1.0),
];
const GAIN: &[ParamSpec] = &[
    ParamSpec::new("gain", "Gain", Unit::Db, (-144.0, 24.0), 0.0),
    ParamSpec::new("invert", "Polarity invert", Unit::Switch, (0.0, 1.0), 0.0),
    ParamSpec::new("delay", "Delay", Unit::Ms, (0.0, 1000.0), 0.0),
];

/// The built-in processors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InsertKind {
    Hpf,
    Lpf,
    Eq,
    Comp,
    Gate,
    Deess,
    Denoise,
    Limiter,
    Reverb,
    Gain,
}

impl InsertKind {
    pub const ALL: [InsertKind; 10] = [
        InsertKind::Hpf,
        InsertKind::Lpf,
        InsertKind::Eq,
        InsertKind::Comp,
        InsertKind::Gate,
        InsertKind::Deess,
        InsertKind::Denoise,
        InsertKind::Limiter,
        InsertKind::Reverb,
        InsertKind::Gain,
    ];

    /// The parameter table; a parameter's index in it is its address.
    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            InsertKind::Hpf => HPF,
            InsertKind::Lpf => LPF,
            InsertKind::Eq => EQ,
            InsertKind::Comp => COMP,
            InsertKind::Gate => GATE,
            InsertKind::Deess => DEESS,
            InsertKind::Denoise => DENOISE,
            InsertKind::Limiter => LIMITER,
            InsertKind::Reverb => REVERB,
            InsertKind::Gain => GAIN,
        }
    }

    /// The name in files and on the command line (`hpf`, `eq`, …).
    pub fn key(self) -> &'static str {
        match self {
            InsertKind::Hpf => "hpf",
            InsertKind::Lpf => "lpf",
            InsertKind::Eq => "eq",
            InsertKind::Comp => "comp",
            InsertKind::Gate => "gate",
            InsertKind::Deess => "deess",
            InsertKind::Denoise => "denoise",
            InsertKind::Limiter => "limiter",
            InsertKind::Reverb => "reverb",
            InsertKind::Gain => "gain",
        }
    }

    pub fn from_key(key: &str) -> Option<InsertKind> {
        InsertKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The name a mixer shows.
    pub fn label(self) -> &'static str {
        match self {
            InsertKind::Hpf => "High-pass",
            InsertKind::Lpf => "Low-pass",
            InsertKind::Eq => "EQ",
            InsertKind::Comp => "Compressor",
            InsertKind::Gate => "Gate / Expander",
            InsertKind::Deess => "De-esser",
            InsertKind::Denoise => "Noise Reduction",
            InsertKind::Limiter => "Limiter",
            InsertKind::Reverb => "Reverb",
            InsertKind::Gain => "Gain / Delay",
        }
    }

    /// Index of the parameter called `key`.
    pub fn param_index(self, key: &str) -> Option<u16> {
        self.params()
            .iter()
            .position(|p| p.key == key)
            .map(|i| i as u16)
    }

    /// Whether the kind takes a sidechain (key) input.
    pub fn has_sidechain(self) -> bool {
        matches!(self, InsertKind::Comp | InsertKind::Gate)
    }
}

/// A learned noise print (mean magnitude per FFT bin of a stretch of room
/// tone), kept in the project so renders are reproducible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoisePrintData {
    pub rate: u32,
    pub fft_size: u32,
    pub magnitudes: Vec<f32>,
    /// Where it was learned (timeline samples, or seconds of a file), for the UI.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// A processor on a strip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insert {
    pub id: InsertId,
    pub kind: InsertKind,
    #[serde(default)]
    pub bypass: bool,
    /// Parameter values by key; a missing key has its default.
    #[serde(default)]
    pub params: BTreeMap<String, f32>,
    /// The key input of a compressor or gate: another strip's post-fader signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidechain: Option<StripId>,
    /// The noise print of a spectral noise reduction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print: Option<NoisePrintData>,
}

impl Insert {
    /// A new insert with every parameter at its default.
    pub fn new(id: InsertId, kind: InsertKind) -> Insert {
        Insert {
            id,
            kind,
            bypass: false,
            params: kind
                .params()
                .iter()
                .map(|p| (p.key.to_owned(), p.default))
                .collect(),
            sidechain: None,
            print: None,
        }
    }

    /// The value of parameter `index` (its default when unset).
    pub fn value(&self, index: u16) -> f32 {
        let Some(spec) = self.kind.params().get(usize::from(index)) else {
            return 0.0;
        };
        self.params.get(spec.key).copied().unwrap_or(spec.default)
    }

    /// The value of the parameter called `key` (its default when unset).
    pub fn get(&self, key: &str) -> f32 {
        self.kind.param_index(key).map_or(0.0, |i| self.value(i))
    }

    /// Every parameter's value, in table order.
    pub fn values(&self) -> impl Iterator<Item = f32> + '_ {
        (0..self.kind.params().len()).map(|i| self.value(i as u16))
    }

    /// Checks every stored key and value against the kind's table.
    pub fn validate(&self) -> Result<(), String> {
        for (k, v) in &self.params {
            let Some(i) = self.kind.param_index(k) else {
                let known: Vec<&str> = self.kind.params().iter().map(|p| p.key).collect();
                return Err(format!(
                    "insert {}: {} has no parameter '{k}' (it has: {})",
                    self.id,
                    self.kind.key(),
                    known.join(", ")
                ));
            };
            let spec = &self.kind.params()[usize::from(i)];
            if !v.is_finite() || *v < spec.min || *v > spec.max {
                return Err(format!(
                    "insert {}: {} '{k}' = {v} is outside {} … {}",
                    self.id,
                    self.kind.key(),
                    spec.min,
                    spec.max
                ));
            }
        }
        Ok(())
    }
}

/// A send from a strip to a bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuxSend {
    pub id: SendId,
    pub bus: BusId,
    #[serde(default)]
    pub level_db: f32,
    /// Taps before the fader (and pan) when set; after them otherwise.
    #[serde(default)]
    pub pre_fader: bool,
    #[serde(default)]
    pub mute: bool,
}

/// Why a routing was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("that routing would make a loop: {0}")]
    Cycle(String),
    #[error("no bus with id {0}")]
    NoBus(BusId),
    #[error("no track with id {0}")]
    NoTrack(TrackId),
}

/// How a strip uses a bus ([`Project::bus_uses`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusUse {
    /// Its output goes to the bus.
    Output,
    /// It sends to the bus.
    Send,
    /// One of its inserts is keyed by the bus.
    Key,
}

impl Project {
    /// The strips that feed `strip` (outputs, sends and sidechain keys),
    /// i.e. what must be computed before it.
    fn strip_inputs(&self, strip: StripId) -> Vec<StripId> {
        let mut out = Vec::new();
        let feeds = |output: Output, sends: &[AuxSend]| -> bool {
            let by_output = match (strip, output) {
                (StripId::Bus(b), Output::Bus(o)) => b == o,
                (StripId::Master, Output::Master) => true,
                _ => false,
            };
            by_output || matches!(strip, StripId::Bus(b) if sends.iter().any(|s| s.bus == b))
        };
        for t in &self.tracks {
            if feeds(t.output, &t.sends) {
                out.push(StripId::Track(t.id));
            }
        }
        for b in &self.buses {
            if feeds(b.output, &b.sends) {
                out.push(StripId::Bus(b.id));
            }
        }
        for ins in self.strip_inserts(strip) {
            if let Some(sc) = ins.sidechain
                && !out.contains(&sc)
            {
                out.push(sc);
            }
        }
        out
    }

    /// The inserts of a strip (empty for an unknown one).
    pub fn strip_inserts(&self, strip: StripId) -> &[Insert] {
        match strip {
            StripId::Track(id) => self.track(id).map_or(&[], |t| &t.inserts),
            StripId::Bus(id) => self.bus(id).map_or(&[], |b| &b.inserts),
            StripId::Master => &self.master.inserts,
        }
    }

    /// Mutable inserts of a strip.
    pub fn strip_inserts_mut(&mut self, strip: StripId) -> Option<&mut Vec<Insert>> {
        match strip {
            StripId::Track(id) => self.track_mut(id).map(|t| &mut t.inserts),
            StripId::Bus(id) => self.bus_mut(id).map(|b| &mut b.inserts),
            StripId::Master => Some(&mut self.master.inserts),
        }
    }

    /// Mutable sends of a strip (the master has none).
    pub fn strip_sends_mut(&mut self, strip: StripId) -> Option<&mut Vec<AuxSend>> {
        match strip {
            StripId::Track(id) => self.track_mut(id).map(|t| &mut t.sends),
            StripId::Bus(id) => self.bus_mut(id).map(|b| &mut b.sends),
            StripId::Master => None,
        }
    }

    /// The strip holding insert `id`, and its index there.
    pub fn find_insert(&self, id: InsertId) -> Option<(StripId, usize)> {
        self.strips().into_iter().find_map(|s| {
            self.strip_inserts(s)
                .iter()
                .position(|i| i.id == id)
                .map(|i| (s, i))
        })
    }

    pub fn insert(&self, id: InsertId) -> Option<&Insert> {
        let (s, i) = self.find_insert(id)?;
        self.strip_inserts(s).get(i)
    }

    pub fn insert_mut(&mut self, id: InsertId) -> Option<&mut Insert> {
        let (s, i) = self.find_insert(id)?;
        self.strip_inserts_mut(s)?.get_mut(i)
    }

    /// The strip holding send `id`, and its index there.
    pub fn find_send(&self, id: SendId) -> Option<(StripId, usize)> {
        self.tracks
            .iter()
            .find_map(|t| {
                t.sends
                    .iter()
                    .position(|s| s.id == id)
                    .map(|i| (StripId::Track(t.id), i))
            })
            .or_else(|| {
                self.buses.iter().find_map(|b| {
                    b.sends
                        .iter()
                        .position(|s| s.id == id)
                        .map(|i| (StripId::Bus(b.id), i))
                })
            })
    }

    pub fn send(&self, id: SendId) -> Option<&AuxSend> {
        self.tracks
            .iter()
            .flat_map(|t| &t.sends)
            .chain(self.buses.iter().flat_map(|b| &b.sends))
            .find(|s| s.id == id)
    }

    pub fn send_mut(&mut self, id: SendId) -> Option<&mut AuxSend> {
        self.tracks
            .iter_mut()
            .flat_map(|t| &mut t.sends)
            .chain(self.buses.iter_mut().flat_map(|b| &mut b.sends))
            .find(|s| s.id == id)
    }

    /// What uses bus `bus`: every strip that feeds it, sends to it or keys
    /// an insert with it, in strip order. A bus can be removed only when
    /// there is none. Allocates nothing, so the mixer asks every frame.
    pub fn bus_uses(&self, bus: BusId) -> impl Iterator<Item = (StripId, BusUse)> + '_ {
        let none: &[AuxSend] = &[];
        let tracks = self.tracks.iter().map(|t| {
            (
                StripId::Track(t.id),
                Some(t.output),
                &t.sends[..],
                &t.inserts[..],
            )
        });
        let buses = self.buses.iter().map(|b| {
            (
                StripId::Bus(b.id),
                Some(b.output),
                &b.sends[..],
                &b.inserts[..],
            )
        });
        let master = std::iter::once((StripId::Master, None, none, &self.master.inserts[..]));
        tracks
            .chain(buses)
            .chain(master)
            .flat_map(move |(strip, output, sends, inserts)| {
                let feeds = output == Some(Output::Bus(bus));
                let sent = sends.iter().any(|s| s.bus == bus);
                let keyed = inserts
                    .iter()
                    .any(|i| i.sidechain == Some(StripId::Bus(bus)));
                [
                    feeds.then_some((strip, BusUse::Output)),
                    sent.then_some((strip, BusUse::Send)),
                    keyed.then_some((strip, BusUse::Key)),
                ]
                .into_iter()
                .flatten()
            })
    }

    /// [`Project::bus_uses`] as the mixer names them: "Music",
    /// "Foley Steps (send)", "Music (key)".
    pub fn bus_users(&self, bus: BusId) -> Vec<String> {
        self.bus_uses(bus)
            .map(|(strip, how)| {
                let name = self.strip_name(strip);
                match how {
                    BusUse::Output => name,
                    BusUse::Send => format!("{name} (send)"),
                    BusUse::Key => format!("{name} (key)"),
                }
            })
            .collect()
    }

    /// Every strip: tracks, buses, then the master.
    pub fn strips(&self) -> Vec<StripId> {
        self.tracks
            .iter()
            .map(|t| StripId::Track(t.id))
            .chain(self.buses.iter().map(|b| StripId::Bus(b.id)))
            .chain(std::iter::once(StripId::Master))
            .collect()
    }

    /// A strip's name as the mixer shows it.
    pub fn strip_name(&self, strip: StripId) -> String {
        match strip {
            StripId::Track(id) => self
                .track(id)
                .map_or_else(|| format!("track {id}"), |t| t.name.clone()),
            StripId::Bus(id) => self
                .bus(id)
                .map_or_else(|| format!("bus {id}"), |b| b.name.clone()),
            StripId::Master => "Master".to_owned(),
        }
    }

    /// The strips in processing order: every strip after everything that
    /// feeds it (outputs, sends, sidechain keys). Err names a loop.
    pub fn routing_order(&self) -> Result<Vec<StripId>, RoutingError> {
        let strips = self.strips();
        let inputs: Vec<Vec<StripId>> = strips.iter().map(|s| self.strip_inputs(*s)).collect();
        let index = |s: StripId| strips.iter().position(|x| *x == s);
        // Depth-first, with the path kept to name a cycle.
        let mut state = vec![0u8; strips.len()]; // 0 new, 1 on path, 2 done
        let mut order = Vec::with_capacity(strips.len());
        let mut path: Vec<usize> = Vec::new();
        for start in 0..strips.len() {
            if state[start] != 0 {
                continue;
            }
            // Iterative DFS: (node, next input to visit).
            let mut stack = vec![(start, 0usize)];
            state[start] = 1;
            path.push(start);
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&inp) = inputs[node].get(*next) {
                    *next += 1;
                    let Some(j) = index(inp) else { continue };
                    match state[j] {
                        0 => {
                            state[j] = 1;
                            path.push(j);
                            stack.push((j, 0));
                        }
                        1 => {
                            let from = path.iter().position(|p| *p == j).unwrap_or(0);
                            let mut names: Vec<String> = path[from..]
                                .iter()
                                .rev()
                                .map(|k| self.strip_name(strips[*k]))
                                .collect();
                            // Back to where the sound started: `j` feeds `node`.
                            names.push(self.strip_name(strips[node]));
                            return Err(RoutingError::Cycle(names.join(" → ")));
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    order.push(strips[node]);
                    path.pop();
                    stack.pop();
                }
            }
        }
        Ok(order)
    }

    /// The value of a mixer parameter, `None` for an unknown address.
    pub fn param(&self, id: ParamId) -> Option<f32> {
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        Some(match id {
            ParamId::Fader(StripId::Track(t)) => self.track(t)?.gain_db,
            ParamId::Fader(StripId::Bus(x)) => self.bus(x)?.gain_db,
            ParamId::Fader(StripId::Master) => self.master.gain_db,
            ParamId::Pan(StripId::Track(t)) => self.track(t)?.pan,
            ParamId::Pan(StripId::Bus(x)) => self.bus(x)?.pan,
            ParamId::Pan(StripId::Master) | ParamId::Mute(StripId::Master) => return None,
            ParamId::Mute(StripId::Track(t)) => b(self.track(t)?.mute),
            ParamId::Mute(StripId::Bus(x)) => b(self.bus(x)?.mute),
            ParamId::Solo(t) => b(self.track(t)?.solo),
            ParamId::SoloSafe(t) => b(self.track(t)?.solo_safe),
            ParamId::SendLevel(s) => self.send(s)?.level_db,
            ParamId::SendMute(s) => b(self.send(s)?.mute),
            ParamId::SendPre(s) => b(self.send(s)?.pre_fader),
            ParamId::Bypass(i) => b(self.insert(i)?.bypass),
            ParamId::Insert(i, p) => {
                let ins = self.insert(i)?;
                ins.kind.params().get(usize::from(p))?;
                ins.value(p)
            }
        })
    }

    /// The range and unit of a parameter: (min, max, spec of an insert parameter).
    pub fn param_range(&self, id: ParamId) -> Option<(f32, f32)> {
        Some(match id {
            ParamId::Fader(_) | ParamId::SendLevel(_) => (-144.0, 24.0),
            ParamId::Pan(_) => (-1.0, 1.0),
            ParamId::Insert(i, p) => {
                let spec = self.insert(i)?.kind.params().get(usize::from(p))?;
                (spec.min, spec.max)
            }
            _ => (0.0, 1.0),
        })
    }

    /// Sets a parameter (clamped to its range, switches rounded) and returns
    /// the value it had. `None` for an unknown address or a non-finite value.
    pub fn set_param(&mut self, id: ParamId, value: f32) -> Option<f32> {
        if !value.is_finite() {
            return None;
        }
        let old = self.param(id)?;
        let (lo, hi) = self.param_range(id)?;
        let v = value.clamp(lo, hi);
        let on = v >= 0.5;
        match id {
            ParamId::Fader(StripId::Track(t)) => self.track_mut(t)?.gain_db = v,
            ParamId::Fader(StripId::Bus(x)) => self.bus_mut(x)?.gain_db = v,
            ParamId::Fader(StripId::Master) => self.master.gain_db = v,
            ParamId::Pan(StripId::Track(t)) => self.track_mut(t)?.pan = v,
            ParamId::Pan(StripId::Bus(x)) => self.bus_mut(x)?.pan = v,
            ParamId::Pan(StripId::Master) | ParamId::Mute(StripId::Master) => return None,
            ParamId::Mute(StripId::Track(t)) => self.track_mut(t)?.mute = on,
            ParamId::Mute(StripId::Bus(x)) => self.bus_mut(x)?.mute = on,
            ParamId::Solo(t) => self.track_mut(t)?.solo = on,
            ParamId::SoloSafe(t) => self.track_mut(t)?.solo_safe = on,
            ParamId::SendLevel(s) => self.send_mut(s)?.level_db = v,
            ParamId::SendMute(s) => self.send_mut(s)?.mute = on,
            ParamId::SendPre(s) => self.send_mut(s)?.pre_fader = on,
            ParamId::Bypass(i) => self.insert_mut(i)?.bypass = on,
            ParamId::Insert(i, p) => {
                let ins = self.insert_mut(i)?;
                let spec = *ins.kind.params().get(usize::from(p))?;
                let v = spec.sanitise(v)?;
                ins.params.insert(spec.key.to_owned(), v);
            }
        }
        Some(old)
    }

    /// A short name for a parameter ("Dialogue 1 fader", "EQ band 2 gain").
    /// A parameter named with its strip, as an automation lane is listed
    /// ("Anna fader", "Foley send to Verb level", "Anna EQ band 2 gain").
    pub fn lane_label(&self, id: ParamId) -> String {
        let send = |s: SendId| {
            let (strip, i) = self.find_send(s)?;
            let bus = match strip {
                StripId::Track(t) => self.track(t)?.sends.get(i)?.bus,
                StripId::Bus(b) => self.bus(b)?.sends.get(i)?.bus,
                StripId::Master => return None,
            };
            Some(format!(
                "{} send to {}",
                self.strip_name(strip),
                self.bus(bus).map_or("?", |b| b.name.as_str())
            ))
        };
        let with = |prefix: Option<String>, what: &str| match prefix {
            Some(p) => format!("{p} {what}"),
            None => self.param_label(id),
        };
        match id {
            ParamId::SendLevel(s) => with(send(s), "level"),
            ParamId::SendMute(s) => with(send(s), "mute"),
            ParamId::SendPre(s) => with(send(s), "pre/post"),
            ParamId::Insert(i, _) | ParamId::Bypass(i) => match self.find_insert(i) {
                Some((strip, _)) => format!("{} {}", self.strip_name(strip), self.param_label(id)),
                None => self.param_label(id),
            },
            _ => self.param_label(id),
        }
    }

    pub fn param_label(&self, id: ParamId) -> String {
        match id {
            ParamId::Fader(s) => format!("{} fader", self.strip_name(s)),
            ParamId::Pan(s) => format!("{} pan", self.strip_name(s)),
            ParamId::Mute(s) => format!("{} mute", self.strip_name(s)),
            ParamId::Solo(t) => format!("{} solo", self.strip_name(StripId::Track(t))),
            ParamId::SoloSafe(t) => format!("{} solo safe", self.strip_name(StripId::Track(t))),
            ParamId::SendLevel(_) => "Send level".to_owned(),
            ParamId::SendMute(_) => "Send mute".to_owned(),
            ParamId::SendPre(_) => "Send pre/post".to_owned(),
            ParamId::Bypass(i) => self.insert(i).map_or_else(
                || "Bypass".to_owned(),
                |x| format!("{} bypass", x.kind.label()),
            ),
            ParamId::Insert(i, p) => self
                .insert(i)
                .and_then(|x| {
                    x.kind
                        .params()
                        .get(usize::from(p))
                        .map(|s| format!("{} {}", x.kind.label(), s.label))
                })
                .unwrap_or_else(|| "Parameter".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_unique_keys_and_defaults_in_range() {
        for k in InsertKind::ALL {
            let ps = k.params();
            for (i, p) in ps.iter().enumerate() {
                assert!(
                    p.min <= p.default && p.default <= p.max,
                    "{} {}",
                    k.key(),
                    p.key
                );
                assert_eq!(k.param_index(p.key), Some(i as u16));
            }
            assert_eq!(InsertKind::from_key(k.key()), Some(k));
        }
        assert_eq!(InsertKind::Eq.params().len(), 30);
        assert_eq!(InsertKind::Eq.params()[7].key, "b2.gain");
    }

    #[test]
    fn sanitise_clamps_and_steps() {
        let slope = InsertKind::Hpf.params()[1];
        assert_eq!(slope.sanitise(20.0), Some(18.0));
        assert_eq!(slope.sanitise(100.0), Some(24.0));
        assert_eq!(slope.sanitise(f32::NAN), None);
    }
}
