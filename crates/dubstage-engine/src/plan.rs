//! `compile()`: turns a project and its decoded sources into a [`RenderPlan`],
//! everything the renderer needs, with all buffers preallocated.

use crate::meters::MeterBank;
use dubstage_dsp::{GainRamp, balance_gains, db_to_gain, pan_gains};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    BusId, ClipChannels, FadeShape, MediaId, Output, PanLaw, Project, SamplePos, TrackId,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Decoded media, by media id, already at the project sample rate.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    map: HashMap<MediaId, Arc<AudioBuffer>>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn insert(&mut self, id: MediaId, audio: Arc<AudioBuffer>) {
        self.map.insert(id, audio);
    }

    pub fn get(&self, id: MediaId) -> Option<&Arc<AudioBuffer>> {
        self.map.get(&id)
    }

    pub fn remove(&mut self, id: MediaId) -> Option<Arc<AudioBuffer>> {
        self.map.remove(&id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// How to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    /// The largest block `render_block` accepts; larger requests are rendered in chunks.
    pub max_block: usize,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions { max_block: 1024 }
    }
}

#[derive(Debug)]
pub(crate) struct PlanClip {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) source_offset: i64,
    pub(crate) gain: f32,
    pub(crate) fade_in: i64,
    pub(crate) fade_in_shape: FadeShape,
    pub(crate) fade_out: i64,
    pub(crate) fade_out_shape: FadeShape,
    /// `None` when the media is offline: the clip renders as silence.
    pub(crate) source: Option<Arc<AudioBuffer>>,
    pub(crate) left: usize,
    /// `None` for a mono clip.
    pub(crate) right: Option<usize>,
}

/// A track's mixer settings as the audio thread sees them. Continuous
/// controls change these and re-target the gain ramps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TrackControls {
    pub(crate) gain: f32,
    pub(crate) pan: f32,
    pub(crate) mute: bool,
    pub(crate) solo: bool,
    pub(crate) solo_safe: bool,
}

#[derive(Debug)]
pub(crate) struct PlanTrack {
    pub(crate) id: TrackId,
    pub(crate) clips: Vec<PlanClip>,
    pub(crate) controls: TrackControls,
    /// Per-sample gains from the track buffers to the output: stereo clips
    /// (gain × balance) and mono clips (gain × pan law), left and right.
    pub(crate) stereo_l: GainRamp,
    pub(crate) stereo_r: GainRamp,
    pub(crate) mono_l: GainRamp,
    pub(crate) mono_r: GainRamp,
    /// Index into `RenderPlan::buses`, or `None` for the master.
    pub(crate) bus: Option<usize>,
    pub(crate) meter: MeterAcc,
}

impl PlanTrack {
    /// Whether the track contributes nothing now and will not until a control changes.
    pub(crate) fn is_silent(&self) -> bool {
        [&self.stereo_l, &self.stereo_r, &self.mono_l, &self.mono_r]
            .iter()
            .all(|r| r.is_settled() && r.current() == 0.0)
    }
}

#[derive(Debug)]
pub(crate) struct PlanBus {
    pub(crate) id: BusId,
    pub(crate) name: String,
    /// Fader level (linear), kept apart from mute so either can change.
    pub(crate) level: f32,
    pub(crate) mute: bool,
    pub(crate) gain: GainRamp,
    pub(crate) left: Vec<f32>,
    pub(crate) right: Vec<f32>,
    pub(crate) meter: MeterAcc,
}

/// Meter accumulation over the blocks of one callback (audio thread only).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct MeterAcc {
    pub(crate) peak: [f32; 2],
    pub(crate) sum_sq: [f32; 2],
    pub(crate) frames: u32,
}

impl MeterAcc {
    pub(crate) fn add(&mut self, l: &[f32], r: &[f32]) {
        self.add_scaled(l, r, 1.0, 1.0);
    }

    /// Accumulates `l·gl` and `r·gr`.
    pub(crate) fn add_scaled(&mut self, l: &[f32], r: &[f32], gl: f32, gr: f32) {
        for (ch, (buf, g)) in [(l, gl), (r, gr)].into_iter().enumerate() {
            let (mut pk, mut sq) = (0.0f32, 0.0f32);
            for &v in buf {
                pk = pk.max(v.abs());
                sq += v * v;
            }
            self.peak[ch] = self.peak[ch].max(pk * g.abs());
            self.sum_sq[ch] += sq * g * g;
        }
    }
}

/// An immutable-shaped snapshot of the mix, ready to render. Built off the
/// audio thread; rendering it never allocates.
#[derive(Debug)]
pub struct RenderPlan {
    pub(crate) tracks: Vec<PlanTrack>,
    pub(crate) buses: Vec<PlanBus>,

    pub(crate) master_gain: GainRamp,
    pub(crate) master_meter: MeterAcc,
    pub(crate) pan_law: PanLaw,
    /// Meter accumulation on (playback) or off (export, to save time).
    pub(crate) metering: bool,
    pub(crate) meters: Arc<MeterBank>,
    pub(crate) max_block: usize,
    pub(crate) mono: Vec<f32>,
    pub(crate) left: Vec<f32>,
    pub(crate) right: Vec<f32>,
    pub(crate) master_left: Vec<f32>,
    pub(crate) master_right: Vec<f32>,
    end: SamplePos,
    offline: Vec<MediaId>,
}

impl RenderPlan {
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// End of the last clip.
    pub fn end(&self) -> SamplePos {
        self.end
    }

    /// Media referenced by clips but absent from the sources (rendered as silence).
    pub fn offline_media(&self) -> &[MediaId] {
        &self.offline
    }

    /// Bus ids and names, in output order (the stems).
    pub fn bus_names(&self) -> impl Iterator<Item = (BusId, &str)> {
        self.buses.iter().map(|b| (b.id, b.name.as_str()))
    }

    /// Track ids in mixing order.
    pub fn track_ids(&self) -> impl Iterator<Item = TrackId> + '_ {
        self.tracks.iter().map(|t| t.id)
    }

    /// The meters this plan writes while it plays.
    pub fn meters(&self) -> &Arc<MeterBank> {
        &self.meters
    }

    pub fn bus_count(&self) -> usize {
        self.buses.len()
    }
}

/// Builds the render plan for `project` with `sources`. Clips whose media is
/// not in `sources` stay in the plan as silence and are listed by
/// [`RenderPlan::offline_media`].
pub fn compile(project: &Project, sources: &Sources, options: CompileOptions) -> RenderPlan {
    let max_block = options.max_block.max(1);
    let buses: Vec<PlanBus> = project
        .buses
        .iter()
        .map(|b| PlanBus {
            id: b.id,
            name: b.name.clone(),
            level: db_to_gain(b.gain_db),
            mute: b.mute,
            gain: GainRamp::new(if b.mute { 0.0 } else { db_to_gain(b.gain_db) }),
            left: vec![0.0; max_block],
            right: vec![0.0; max_block],
            meter: MeterAcc::default(),
        })
        .collect();
    let mut offline = Vec::new();
    let tracks: Vec<PlanTrack> = project
        .tracks
        .iter()
        .map(|t| {
            let clips: Vec<PlanClip> = t
                .clips
                .iter()
                .map(|c| {
                    let source = sources.get(c.media).cloned();
                    if source.is_none() && !offline.contains(&c.media) {
                        offline.push(c.media);
                    }
                    let n_ch = source.as_ref().map_or(0, |s| s.channels.len());
                    let (left, right) = match c.channels {
                        ClipChannels::Stereo if n_ch >= 2 => (0, Some(1)),
                        ClipChannels::Stereo => (0, None),
                        ClipChannels::Mono(ch) => (usize::from(ch), None),
                    };
                    // A channel the source does not have plays as silence.
                    let source = source.filter(|s| left < s.channels.len());
                    let len = c.length.0.max(0);
                    // Fades that overlap both apply where they overlap.
                    let fi = c.fade_in.length.0.clamp(0, len);
                    let fo = c.fade_out.length.0.clamp(0, len);
                    PlanClip {
                        start: c.position.0,
                        end: c.position.0 + len,
                        source_offset: c.source_offset.0,
                        gain: db_to_gain(c.gain_db),
                        fade_in: fi,
                        fade_in_shape: c.fade_in.shape,
                        fade_out: fo,
                        fade_out_shape: c.fade_out.shape,
                        source,
                        left,
                        right,
                    }
                })
                .collect();
            let bus = match t.output {
                Output::Bus(id) => buses.iter().position(|b| b.id == id),
                Output::Master => None,
            };
            let controls = TrackControls {
                gain: db_to_gain(t.gain_db),
                pan: t.pan,
                mute: t.mute,
                solo: t.solo,
                solo_safe: t.solo_safe,
            };
            let mut track = PlanTrack {
                id: t.id,
                clips,
                controls,
                stereo_l: GainRamp::new(0.0),
                stereo_r: GainRamp::new(0.0),
                mono_l: GainRamp::new(0.0),
                mono_r: GainRamp::new(0.0),
                bus,
                meter: MeterAcc::default(),
            };
            let audible = project.track_audible(t);
            retarget(&mut track, project.pan_law, audible, 0);
            track
        })
        .collect();
    let meters = Arc::new(MeterBank::new(
        tracks.iter().map(|t: &PlanTrack| t.id).collect(),
        buses.iter().map(|b| b.id).collect(),
    ));
    RenderPlan {
        tracks,
        buses,
        master_gain: GainRamp::new(db_to_gain(project.master.gain_db)),
        master_meter: MeterAcc::default(),
        pan_law: project.pan_law,
        metering: false,
        meters,
        max_block,
        mono: vec![0.0; max_block],
        left: vec![0.0; max_block],
        right: vec![0.0; max_block],
        master_left: vec![0.0; max_block],
        master_right: vec![0.0; max_block],
        end: project.end(),
        offline,
    }
}

/// Sets the track's four output-gain ramps from its controls, gliding over
/// `ramp` samples (0 = jump).
pub(crate) fn retarget(t: &mut PlanTrack, law: PanLaw, audible: bool, ramp: u32) {
    let g = if audible { t.controls.gain } else { 0.0 };
    let (bl, br) = balance_gains(t.controls.pan);
    let (pl, pr) = pan_gains(law, t.controls.pan);
    t.stereo_l.set_target(g * bl, ramp);
    t.stereo_r.set_target(g * br, ramp);
    t.mono_l.set_target(g * pl, ramp);
    t.mono_r.set_target(g * pr, ramp);
}
