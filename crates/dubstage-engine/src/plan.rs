//! `compile()`: turns a project and its decoded sources into a [`RenderPlan`]
//! — the strip graph in processing order, every buffer preallocated, the
//! latency compensation worked out — and the [`Compiler`] that keeps each
//! insert's processor alive across plans.
//!
//! Processors are not part of a plan: they live in the renderer's pool,
//! keyed by slot, so a recompiled plan (any edit) keeps every compressor
//! envelope and reverb tail. A plan carries only the processors that are
//! new (built and prepared here, off the audio thread) and the slots whose
//! processors are gone (handed back inside the plan, to be freed off the
//! audio thread when the plan is).

use crate::automation::Curve;
use crate::inserts::{MAX_PARAMS, Proc, Signature};
use crate::meters::MeterBank;
use dubstage_dsp::{GainRamp, balance_gains, db_to_gain, pan_gains};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    BusId, ClipChannels, FadeShape, InsertId, MediaId, Output, PanLaw, ParamId, Project, SamplePos,
    SendId, StripId, TrackId,
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

/// Ids of the delivery chain's inserts on the master (see
/// [`dubstage_model::Master::delivery`]).
pub const DELIVERY_INSERT_IDS: u32 = u32::MAX - 2;

/// How long a strip's inserts keep running on silence after their input
/// stops, beyond their latency (see `PlanStrip::hold`).
pub(crate) const QUIET_HOLD: usize = 65_536;

/// Slots in a renderer's processor pool: the most inserts a project can have.
pub const POOL_SLOTS: usize = 4096;

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
    /// Its clip-gain envelope (source samples, dB).
    pub(crate) envelope: Option<Curve>,
}

/// A track's clips sorted by start, with the running maximum of their
/// ends, so the clips overlapping a block are found by a binary search:
/// the cost follows the clips that play, not the clips that exist.
#[derive(Debug, Default)]
pub(crate) struct ClipIndex {
    pub(crate) clips: Vec<PlanClip>,
    max_end: Vec<i64>,
}

impl ClipIndex {
    fn new(mut clips: Vec<PlanClip>) -> ClipIndex {
        clips.sort_by_key(|c| c.start);
        let mut m = i64::MIN;
        let max_end = clips
            .iter()
            .map(|c| {
                m = m.max(c.end);
                m
            })
            .collect();
        ClipIndex { clips, max_end }
    }

    /// The clips overlapping `[start, end)`.
    pub(crate) fn overlapping(&self, start: i64, end: i64) -> impl Iterator<Item = &PlanClip> {
        let first = self.max_end.partition_point(|e| *e <= start);
        self.clips[first..]
            .iter()
            .take_while(move |c| c.start < end)
            .filter(move |c| c.end > start)
    }
}

/// A processor of the pool, with the parameter values it was last given.
#[derive(Debug)]
pub struct Slot {
    pub(crate) insert: InsertId,
    pub(crate) generation: u32,
    pub(crate) proc: Proc,
    pub(crate) values: [f32; MAX_PARAMS],
    /// Produced a non-finite sample: reset and bypassed until rebuilt.
    pub(crate) failed: bool,
}

#[derive(Debug)]
pub(crate) struct PlanInsert {
    pub(crate) id: InsertId,
    pub(crate) slot: usize,
    pub(crate) generation: u32,
    pub(crate) bypass: bool,
    /// Index (in plan order, always earlier) of the strip keying it.
    pub(crate) sidechain: Option<usize>,
    pub(crate) values: [f32; MAX_PARAMS],
    pub(crate) n_values: usize,
    /// Index into the meter bank's insert slots.
    pub(crate) meter: usize,
    /// Automated parameters (by index in the kind's table) and bypass.
    pub(crate) lanes: Vec<(u16, Curve)>,
    pub(crate) bypass_lane: Option<Curve>,
    /// Its parameters whose controls are held (bit per index): their
    /// lanes wait.
    pub(crate) touched: u64,
    pub(crate) bypass_touched: bool,
    /// The latency of the inserts before it on the strip (its lanes are
    /// read that much earlier).
    pub(crate) lag: i64,
}

/// A fixed delay for latency compensation (planar, up to two channels).
#[derive(Debug)]
pub(crate) struct DelayLine {
    buf: [Vec<f32>; 2],
    pos: usize,
}

impl DelayLine {
    pub(crate) fn new(len: usize) -> Option<DelayLine> {
        (len > 0).then(|| DelayLine {
            buf: [vec![0.0; len], vec![0.0; len]],
            pos: 0,
        })
    }

    /// Delays `ch[c][..n]` in place.
    pub(crate) fn process(&mut self, ch: [&mut [f32]; 2]) {
        let len = self.buf[0].len();
        let start = self.pos;
        for (c, data) in ch.into_iter().enumerate() {
            let line = &mut self.buf[c];
            let mut p = start;
            for v in data.iter_mut() {
                std::mem::swap(v, &mut line[p]);
                p += 1;
                if p == len {
                    p = 0;
                }
            }
            self.pos = p;
        }
    }
}

impl DelayLine {
    /// `dst[c] += delay(src[c] · a[c] · b[c])` (copies of the ramps).
    pub(crate) fn add_through(
        &mut self,
        dst: [&mut [f32]; 2],
        src: [&[f32]; 2],
        a: [GainRamp; 2],
        b: [GainRamp; 2],
    ) {
        let len = self.buf[0].len();
        let start = self.pos;
        for (c, (d, s)) in dst.into_iter().zip(src).enumerate() {
            let (mut ra, mut rb) = (a[c], b[c]);
            let line = &mut self.buf[c];
            let mut p = start;
            for (dv, sv) in d.iter_mut().zip(s) {
                let x = *sv * ra.next_gain() * rb.next_gain();
                *dv += std::mem::replace(&mut line[p], x);
                p += 1;
                if p == len {
                    p = 0;
                }
            }
            self.pos = p;
        }
    }
}

#[derive(Debug)]
pub(crate) struct PlanSend {
    pub(crate) id: SendId,
    /// Index (in plan order, always later) of the bus strip.
    pub(crate) dest: usize,
    pub(crate) level: f32,
    pub(crate) mute: bool,
    pub(crate) pre: bool,
    pub(crate) gain: GainRamp,
    pub(crate) delay: Option<DelayLine>,
    /// Its level lane (dB) and mute lane, with room for their gains and
    /// the scaled signal (planar, two rows of `max_block`).
    pub(crate) auto: Option<Box<SendAuto>>,
}

#[derive(Debug)]
pub(crate) struct SendAuto {
    pub(crate) level: Option<Curve>,
    pub(crate) mute: Option<Curve>,
    /// Its controls are held: the live level or mute applies.
    pub(crate) level_touched: bool,
    pub(crate) mute_touched: bool,
    pub(crate) gain: Vec<f32>,
    pub(crate) tmp: Vec<f32>,
}

/// A strip's automated fader, pan and mute, with room for their
/// per-sample gains.
#[derive(Debug)]
pub(crate) struct StripAuto {
    pub(crate) fader: Option<Curve>,
    pub(crate) pan: Option<Curve>,
    pub(crate) mute: Option<Curve>,
    /// Fader gain per sample.
    pub(crate) gf: Vec<f32>,
    /// Pan (× mute) to the left and right, per sample.
    pub(crate) pl: Vec<f32>,
    pub(crate) pr: Vec<f32>,
    /// Buses: the master fader's gains for the stem.
    pub(crate) stem: Vec<f32>,
    pub(crate) law: PanLaw,
    /// Held controls: their live value, not the lane, applies.
    pub(crate) fader_touched: bool,
    pub(crate) pan_touched: bool,
    pub(crate) mute_touched: bool,
    /// The lanes' last gains (fader; pan × mute left and right), where a
    /// touch takes over from.
    pub(crate) last: (f32, f32, f32),
}

impl StripAuto {
    /// Whether pan or mute is automated (pre-fader sends need them).
    pub(crate) fn pans(&self) -> bool {
        self.pan.is_some() || self.mute.is_some()
    }

    /// The fader lane, unless its control is held.
    pub(crate) fn fader_lane(&self) -> Option<&Curve> {
        self.fader.as_ref().filter(|_| !self.fader_touched)
    }

    pub(crate) fn pan_lane(&self) -> Option<&Curve> {
        self.pan.as_ref().filter(|_| !self.pan_touched)
    }

    pub(crate) fn mute_lane(&self) -> Option<&Curve> {
        self.mute.as_ref().filter(|_| !self.mute_touched)
    }

    /// Fills this block's gains for timeline samples `t..t + n`.
    pub(crate) fn fill(&mut self, mono: bool, t: i64, n: usize) {
        let law = self.law;
        match self.fader.as_ref().filter(|_| !self.fader_touched) {
            Some(c) => c.fill_gain(t, &mut self.gf[..n]),
            None => self.gf[..n].fill(1.0),
        }
        match self.pan.as_ref().filter(|_| !self.pan_touched) {
            Some(c) => c.fill_pan(law, mono, t, &mut self.pl[..n], &mut self.pr[..n]),
            None => {
                self.pl[..n].fill(1.0);
                self.pr[..n].fill(1.0);
            }
        }
        if let Some(m) = self.mute.as_ref().filter(|_| !self.mute_touched) {
            let (pl, pr) = (&mut self.pl[..n], &mut self.pr[..n]);
            for (k, (l, r)) in pl.iter_mut().zip(pr.iter_mut()).enumerate() {
                if m.value(t + k as i64) >= 0.5 {
                    *l = 0.0;
                    *r = 0.0;
                }
            }
        }
        if n > 0 {
            self.last = (self.gf[n - 1], self.pl[n - 1], self.pr[n - 1]);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StripKind {
    Track(TrackId),
    Bus(BusId),
    Master,
}

/// A strip's fader, pan and switches as the audio thread sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StripControls {
    pub(crate) level: f32,
    pub(crate) pan: f32,
    pub(crate) mute: bool,
    pub(crate) solo: bool,
    pub(crate) solo_safe: bool,
}

#[derive(Debug)]
pub(crate) struct PlanStrip {
    pub(crate) kind: StripKind,
    /// 1 (mono track) or 2.
    pub(crate) channels: usize,
    /// The strip's signal: clip sum or inputs, then inserts (planar rows of `max_block`).
    pub(crate) buf: Vec<f32>,
    /// After fader and pan, always stereo.
    pub(crate) out: Vec<f32>,
    pub(crate) clips: ClipIndex,
    /// Tracks read their clips this many samples late (latency compensation).
    pub(crate) read_delay: i64,
    pub(crate) inserts: Vec<PlanInsert>,
    pub(crate) controls: StripControls,
    /// Fader × pan (× audibility) to the left and right output.
    pub(crate) out_l: GainRamp,
    pub(crate) out_r: GainRamp,
    /// Pan (× audibility) without the fader, for pre-fader sends.
    pub(crate) pre_l: GainRamp,
    pub(crate) pre_r: GainRamp,
    /// Index of the strip it feeds (`None` for the master).
    pub(crate) output: Option<usize>,
    pub(crate) out_delay: Option<DelayLine>,
    pub(crate) sends: Vec<PlanSend>,
    /// Buses: the stem (out × master fader), delayed to line up with the master.
    pub(crate) stem: Vec<f32>,
    pub(crate) stem_delay: Option<DelayLine>,
    pub(crate) meter: MeterAcc,
    /// Whether the clip sum was touched this block (tracks).
    pub(crate) active: bool,
    /// Buses and the master: whether any input carried signal this block.
    pub(crate) fed: bool,
    /// Samples for which the inserts' output has been silent (below −140
    /// dBFS) with no input. Past `hold` they are not run until input
    /// returns: their tails are over.
    pub(crate) quiet_run: usize,
    /// The inserts' latency plus 65,536 samples, so that look-ahead
    /// buffers, pre-delays and slap echoes have come out first.
    pub(crate) hold: usize,
    /// `out` holds only zeros.
    pub(crate) out_zero: bool,
    /// Whether this block's own part already ran on a worker.
    pub(crate) staged: crate::render::Staged,
    /// The faults of its inserts while staged, and the last one.
    pub(crate) staged_faults: (u64, Option<InsertId>),
    /// Its automation (fader, pan, mute lanes), if any.
    pub(crate) auto: Option<Box<StripAuto>>,
    /// How far the strip's input and output lag the timeline (latency
    /// compensation): automation is read at `start - lag`.
    pub(crate) lag_in: i64,
    pub(crate) lag_out: i64,
}

impl PlanStrip {
    /// Whether the strip contributes nothing now and will not until a control changes.
    pub(crate) fn is_silent(&self) -> bool {
        let quiet = |r: &GainRamp| r.is_settled() && r.current() == 0.0;
        quiet(&self.out_l)
            && quiet(&self.out_r)
            && (self.sends.iter().all(|s| quiet(&s.gain))
                || (quiet(&self.pre_l) && quiet(&self.pre_r)))
    }

    pub(crate) fn id(&self) -> StripId {
        match self.kind {
            StripKind::Track(t) => StripId::Track(t),
            StripKind::Bus(b) => StripId::Bus(b),
            StripKind::Master => StripId::Master,
        }
    }
}

/// Meter accumulation over the blocks of one callback (audio thread only).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct MeterAcc {
    pub(crate) peak: [f32; 2],
    pub(crate) sum_sq: [f32; 2],
    pub(crate) frames: u32,
    /// Time spent processing the strip (ns).
    pub(crate) cost_ns: u64,
}

impl MeterAcc {
    pub(crate) fn add(&mut self, l: &[f32], r: &[f32]) {
        for (ch, buf) in [l, r].into_iter().enumerate() {
            let (mut pk, mut sq) = (0.0f32, 0.0f32);
            for &v in buf {
                pk = pk.max(v.abs());
                sq += v * v;
            }
            // A NaN never sticks: max() drops it, and a non-finite sum is discarded.
            self.peak[ch] = self.peak[ch].max(pk);
            if sq.is_finite() {
                self.sum_sq[ch] += sq;
            }
        }
    }
}

/// A new processor travelling to the pool with the plan.
#[derive(Debug)]
pub(crate) struct Install {
    pub(crate) slot: usize,
    pub(crate) proc: Option<Box<Slot>>,
}

/// An immutable-shaped snapshot of the mix, ready to render. Built off the
/// audio thread; rendering it never allocates.
#[derive(Debug)]
pub struct RenderPlan {
    /// Strips in processing order (everything before what it feeds), master last.
    pub(crate) strips: Vec<PlanStrip>,
    /// Strip indices of the tracks and buses, in project order (meters, stems).
    pub(crate) track_strips: Vec<usize>,
    pub(crate) bus_strips: Vec<usize>,
    pub(crate) bus_names: Vec<(BusId, String)>,
    pub(crate) master: usize,
    pub(crate) installs: Vec<Install>,
    pub(crate) evict: Vec<usize>,
    /// Processors taken out of the pool, freed with the plan (boxes moved,
    /// never copied, so the audio thread only moves pointers).
    #[allow(clippy::vec_box)]
    pub(crate) evicted: Vec<Box<Slot>>,
    /// Track strips of the plan being crossfaded out, by this plan's strip.
    pub(crate) xfade_map: Vec<Option<usize>>,
    pub(crate) latency: usize,
    /// Runs an RNNoise insert (whose FFT caches are per thread).
    pub(crate) uses_rnn: bool,
    pub(crate) pan_law: PanLaw,
    /// Meter accumulation on (playback) or off (export, to save time).
    pub(crate) metering: bool,
    pub(crate) meters: Arc<MeterBank>,
    pub(crate) max_block: usize,
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
        self.bus_names.iter().map(|(b, n)| (*b, n.as_str()))
    }

    /// Track ids in project order.
    pub fn track_ids(&self) -> impl Iterator<Item = TrackId> + '_ {
        self.track_strips
            .iter()
            .filter_map(|i| match self.strips[*i].kind {
                StripKind::Track(t) => Some(t),
                _ => None,
            })
    }

    /// The meters this plan writes while it plays.
    pub fn meters(&self) -> &Arc<MeterBank> {
        &self.meters
    }

    pub fn bus_count(&self) -> usize {
        self.bus_strips.len()
    }

    /// Samples by which the master (and every stem) lags the timeline: the
    /// longest processing path, after compensation aligned every other path to it.
    pub fn latency(&self) -> usize {
        self.latency
    }

    /// The strips in processing order.
    pub fn strip_order(&self) -> impl Iterator<Item = StripId> + '_ {
        self.strips.iter().map(PlanStrip::id)
    }
}

/// What the compiler remembers of one insert whose processor is in the pool.
#[derive(Debug, Clone)]
struct Registered {
    slot: usize,
    generation: u32,
    signature: Signature,
    latency: usize,
}

/// Compiles plans for one renderer, keeping each insert's processor (and
/// its state) from one plan to the next. Use one per renderer: a
/// [`crate::AudioEngine`] has its own; offline renders use [`compile`].
#[derive(Debug, Default, Clone)]
pub struct Compiler {
    registry: HashMap<InsertId, Registered>,
    free: Vec<usize>,
    next_slot: usize,
    generation: u32,
    rate: u32,
}

/// Builds the render plan for `project` with `sources`, with fresh
/// processors (offline renders). Clips whose media is not in `sources`
/// stay in the plan as silence and are listed by [`RenderPlan::offline_media`].
pub fn compile(project: &Project, sources: &Sources, options: CompileOptions) -> RenderPlan {
    Compiler::new().compile(project, sources, options)
}

fn audible_track(p: &Project, t: &dubstage_model::Track) -> bool {
    p.track_audible(t)
}

/// Fader, pan law and audibility to the four output ramps of a strip.
pub(crate) fn retarget(s: &mut PlanStrip, law: PanLaw, audible: bool, ramp: u32) {
    let c = s.controls;
    // An automated fader or pan is applied per sample from its lane; the
    // ramps carry the rest.
    let (fader_lane, pan_lane) = s.auto.as_ref().map_or((false, false), |a| {
        (a.fader_lane().is_some(), a.pan_lane().is_some())
    });
    let level = if fader_lane { 1.0 } else { c.level };
    let g = if audible { level } else { 0.0 };
    let (pl, pr) = match s.kind {
        StripKind::Master => (1.0, 1.0),
        _ if pan_lane => (1.0, 1.0),
        _ if s.channels == 1 => pan_gains(law, c.pan),
        _ => balance_gains(c.pan),
    };
    let a = if audible { 1.0 } else { 0.0 };
    s.out_l.set_target(g * pl, ramp);
    s.out_r.set_target(g * pr, ramp);
    s.pre_l.set_target(a * pl, ramp);
    s.pre_r.set_target(a * pr, ramp);
    for send in &mut s.sends {
        let (level_lane, mute_lane) = send.auto.as_ref().map_or((false, false), |a| {
            (
                a.level.is_some() && !a.level_touched,
                a.mute.is_some() && !a.mute_touched,
            )
        });
        let level = if level_lane { 1.0 } else { send.level };
        let v = if send.mute && !mute_lane { 0.0 } else { level };
        send.gain.set_target(v, ramp);
    }
}

/// Whether a strip's mute is automated (its static mute then does not
/// count: the lane decides).
pub(crate) fn mute_automated(s: &PlanStrip) -> bool {
    s.auto.as_ref().is_some_and(|a| a.mute_lane().is_some())
}

/// A control held or let go: while held, its live value overrides its
/// lane (real-time safe: flags only, then the ramps retargeted).
pub(crate) fn touch(plan: &mut RenderPlan, id: ParamId, on: bool) {
    let law = plan.pan_law;
    let any_solo = plan
        .strips
        .iter()
        .any(|s| matches!(s.kind, StripKind::Track(_)) && s.controls.solo);
    for s in plan.strips.iter_mut() {
        let mut changed = false;
        // Taking over from a lane: the ramps start from where the lane
        // was, so the hand-over glides instead of jumping.
        let mut from: Option<(f32, f32)> = None;
        if let Some(a) = s.auto.as_mut() {
            let (g, l, r) = a.last;
            match id {
                ParamId::Fader(x) if x == s_id(s.kind) => {
                    if on && !a.fader_touched && a.fader.is_some() {
                        from = Some((g, g));
                    }
                    a.fader_touched = on;
                    changed = true;
                }
                ParamId::Pan(x) if x == s_id(s.kind) => {
                    if on && !a.pan_touched && a.pan.is_some() {
                        from = Some((l, r));
                    }
                    a.pan_touched = on;
                    changed = true;
                }
                ParamId::Mute(x) if x == s_id(s.kind) => {
                    a.mute_touched = on;
                    changed = true;
                }
                _ => {}
            }
        }
        if let Some((fl, fr)) = from {
            s.out_l = GainRamp::new(s.out_l.current() * fl);
            s.out_r = GainRamp::new(s.out_r.current() * fr);
        }
        for send in s.sends.iter_mut() {
            if let Some(sa) = send.auto.as_mut() {
                match id {
                    ParamId::SendLevel(x) if x == send.id => {
                        sa.level_touched = on;
                        changed = true;
                    }
                    ParamId::SendMute(x) if x == send.id => {
                        sa.mute_touched = on;
                        changed = true;
                    }
                    _ => {}
                }
            }
        }
        for ins in s.inserts.iter_mut() {
            match id {
                ParamId::Insert(x, k) if x == ins.id && k < 64 => {
                    if on {
                        ins.touched |= 1 << k;
                    } else {
                        ins.touched &= !(1u64 << k);
                    }
                }
                ParamId::Bypass(x) if x == ins.id => ins.bypass_touched = on,
                _ => {}
            }
        }
        if changed {
            let c = s.controls;
            let mute = c.mute && !mute_automated(s);
            let audible = match s.kind {
                StripKind::Track(_) => {
                    dubstage_model::mixer::audible(mute, c.solo, c.solo_safe, any_solo)
                }
                StripKind::Bus(_) => !mute,
                StripKind::Master => true,
            };
            retarget(s, law, audible, crate::rt::CONTROL_RAMP);
        }
    }
}

fn s_id(k: StripKind) -> StripId {
    match k {
        StripKind::Track(t) => StripId::Track(t),
        StripKind::Bus(b) => StripId::Bus(b),
        StripKind::Master => StripId::Master,
    }
}

impl Compiler {
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// Forgets every processor (the renderer it fed was replaced).
    pub fn reset(&mut self) {
        *self = Compiler::default();
    }

    fn take_slot(&mut self) -> Option<usize> {
        if let Some(s) = self.free.pop() {
            return Some(s);
        }
        (self.next_slot < POOL_SLOTS).then(|| {
            self.next_slot += 1;
            self.next_slot - 1
        })
    }

    /// Builds the plan for `project`, reusing the processors of inserts
    /// that are still there (same kind, layout and mode).
    pub fn compile(
        &mut self,
        project: &Project,
        sources: &Sources,
        options: CompileOptions,
    ) -> RenderPlan {
        let max_block = options.max_block.max(1);
        let rate = project.sample_rate.hz();
        let mut pre_evict = Vec::new();
        if self.rate != rate {
            // Every processor was prepared for another rate: all are rebuilt.
            for (_, r) in self.registry.drain() {
                self.free.push(r.slot);
                pre_evict.push(r.slot);
            }
            self.rate = rate;
        }
        self.compile_inner(project, sources, max_block, pre_evict)
    }

    fn compile_inner(
        &mut self,
        project: &Project,
        sources: &Sources,
        max_block: usize,
        pre_evict: Vec<usize>,
    ) -> RenderPlan {
        let rate = project.sample_rate.hz();
        // A routing loop cannot be in a project (commands and the loader
        // refuse it); should one appear anyway, fall back to list order.
        let order = project.routing_order().unwrap_or_else(|_| project.strips());
        let index_of = |s: StripId| order.iter().position(|x| *x == s);
        let mut offline = Vec::new();
        let mut installs: Vec<Install> = pre_evict
            .into_iter()
            .map(|slot| Install { slot, proc: None })
            .collect();
        let mut seen: Vec<InsertId> = Vec::new();
        let mut insert_meters: Vec<InsertId> = Vec::new();
        let mut strips: Vec<PlanStrip> = Vec::with_capacity(order.len());
        // The master's own inserts, then the delivery chain (ids reserved
        // at the top of the id space, never stored in the project).
        let mut master_inserts = project.master.inserts.clone();
        if let Some(d) = &project.master.delivery {
            master_inserts.extend(crate::export::delivery_inserts(
                d.gain_db,
                d.ceiling_dbtp.map(dubstage_dsp::db_to_gain),
                DELIVERY_INSERT_IDS,
            ));
        }
        let mut own_latency: Vec<usize> = Vec::with_capacity(order.len());
        for &sid in &order {
            let (kind, clips, inserts, sends, output, controls) = match sid {
                StripId::Track(id) => {
                    let Some(t) = project.track(id) else { continue };
                    let clips = plan_clips(t, sources, &mut offline);
                    (
                        StripKind::Track(id),
                        clips,
                        &t.inserts[..],
                        &t.sends[..],
                        Some(t.output),
                        StripControls {
                            level: db_to_gain(t.gain_db),
                            pan: t.pan,
                            mute: t.mute,
                            solo: t.solo,
                            solo_safe: t.solo_safe,
                        },
                    )
                }
                StripId::Bus(id) => {
                    let Some(b) = project.bus(id) else { continue };
                    (
                        StripKind::Bus(id),
                        Vec::new(),
                        &b.inserts[..],
                        &b.sends[..],
                        Some(b.output),
                        StripControls {
                            level: db_to_gain(b.gain_db),
                            pan: b.pan,
                            mute: b.mute,
                            solo: false,
                            solo_safe: false,
                        },
                    )
                }
                StripId::Master => (
                    StripKind::Master,
                    Vec::new(),
                    &master_inserts[..],
                    &[][..],
                    None,
                    StripControls {
                        level: db_to_gain(project.master.gain_db),
                        pan: 0.0,
                        mute: false,
                        solo: false,
                        solo_safe: false,
                    },
                ),
            };
            let channels = match kind {
                StripKind::Track(_)
                    if clips.iter().all(|c| c.right.is_none()) && !clips.is_empty() =>
                {
                    1
                }
                _ => 2,
            };
            let mut lat = 0;
            let mut plan_inserts = Vec::with_capacity(inserts.len());
            for ins in inserts {
                let sig = Signature::of(ins, channels, rate, max_block);
                let reuse = self
                    .registry
                    .get(&ins.id)
                    .filter(|r| r.signature == sig)
                    .cloned();
                let reg = match reuse {
                    Some(r) => r,
                    None => {
                        if let Some(old) = self.registry.remove(&ins.id) {
                            self.free.push(old.slot);
                            evict_later(&mut installs, old.slot);
                        }
                        let Some(slot) = self.take_slot() else {
                            continue; // more inserts than slots: this one is left out
                        };
                        self.generation = self.generation.wrapping_add(1);
                        let mut proc = Proc::build(ins, rate, channels, max_block);
                        let latency = proc.latency();
                        let mut values = [0.0; MAX_PARAMS];
                        for (v, x) in values.iter_mut().zip(ins.values()) {
                            *v = x;
                        }
                        installs.push(Install {
                            slot,
                            proc: Some(Box::new(Slot {
                                insert: ins.id,
                                generation: self.generation,
                                proc,
                                values,
                                failed: false,
                            })),
                        });
                        let r = Registered {
                            slot,
                            generation: self.generation,
                            signature: sig,
                            latency,
                        };
                        self.registry.insert(ins.id, r.clone());
                        r
                    }
                };
                seen.push(ins.id);
                let lag_before = lat as i64;
                if !ins.bypass {
                    lat += reg.latency;
                }
                let mut values = [0.0; MAX_PARAMS];
                for (v, x) in values.iter_mut().zip(ins.values()) {
                    *v = x;
                }
                let lanes = (0..ins.kind.params().len() as u16)
                    .filter_map(|k| {
                        let l = project.lane(ParamId::Insert(ins.id, k))?;
                        Some((k, Curve::new(&l.points, false)?))
                    })
                    .collect();
                let bypass_lane = project
                    .lane(ParamId::Bypass(ins.id))
                    .and_then(|l| Curve::new(&l.points, true));
                plan_inserts.push(PlanInsert {
                    id: ins.id,
                    slot: reg.slot,
                    generation: reg.generation,
                    bypass: ins.bypass,
                    sidechain: ins.sidechain.and_then(index_of),
                    values,
                    n_values: ins.kind.params().len(),
                    meter: insert_meters.len(),
                    lanes,
                    bypass_lane,
                    touched: 0,
                    bypass_touched: false,
                    lag: lag_before,
                });
                insert_meters.push(ins.id);
            }
            let plan_sends = sends
                .iter()
                .filter_map(|s| {
                    let dest = index_of(StripId::Bus(s.bus))?;
                    let level = project
                        .lane(ParamId::SendLevel(s.id))
                        .and_then(|l| Curve::new(&l.points, false));
                    let mute = project
                        .lane(ParamId::SendMute(s.id))
                        .and_then(|l| Curve::new(&l.points, true));
                    let strip_pans = !matches!(sid, StripId::Master)
                        && (project.lane(ParamId::Pan(sid)).is_some()
                            || project.lane(ParamId::Mute(sid)).is_some());
                    let pre_panned = s.pre_fader && strip_pans;
                    let auto = (level.is_some() || mute.is_some() || pre_panned).then(|| {
                        Box::new(SendAuto {
                            level,
                            mute,
                            level_touched: false,
                            mute_touched: false,
                            gain: vec![0.0; max_block],
                            tmp: vec![0.0; 2 * max_block],
                        })
                    });
                    Some(PlanSend {
                        id: s.id,
                        dest,
                        level: db_to_gain(s.level_db),
                        mute: s.mute,
                        pre: s.pre_fader,
                        gain: GainRamp::new(0.0),
                        delay: None,
                        auto,
                    })
                })
                .collect();
            let output = match output {
                Some(Output::Bus(b)) => {
                    index_of(StripId::Bus(b)).or_else(|| index_of(StripId::Master))
                }
                Some(Output::Master) => index_of(StripId::Master),
                None => None,
            };
            let mut strip = PlanStrip {
                kind,
                channels,
                buf: vec![0.0; 2 * max_block],
                out: vec![0.0; 2 * max_block],
                clips: ClipIndex::new(clips),
                read_delay: 0,
                inserts: plan_inserts,
                controls,
                out_l: GainRamp::new(0.0),
                out_r: GainRamp::new(0.0),
                pre_l: GainRamp::new(0.0),
                pre_r: GainRamp::new(0.0),
                output,
                out_delay: None,
                sends: plan_sends,
                stem: if matches!(kind, StripKind::Bus(_)) {
                    vec![0.0; 2 * max_block]
                } else {
                    Vec::new()
                },
                stem_delay: None,
                meter: MeterAcc::default(),
                active: false,
                fed: false,
                quiet_run: 0,
                hold: lat + QUIET_HOLD,
                out_zero: false,
                staged: crate::render::Staged::No,
                staged_faults: (0, None),
                auto: strip_auto(project, sid, max_block),
                lag_in: 0,
                lag_out: 0,
            };
            let muted_by_lane = mute_automated(&strip);
            let any_solo = project.tracks.iter().any(|t| t.solo);
            let audible = match sid {
                StripId::Track(id) => project.track(id).is_some_and(|t| {
                    if muted_by_lane {
                        dubstage_model::mixer::audible(false, t.solo, t.solo_safe, any_solo)
                    } else {
                        audible_track(project, t)
                    }
                }),
                StripId::Bus(_) => !controls.mute || muted_by_lane,
                StripId::Master => true,
            };
            retarget(&mut strip, project.pan_law, audible, 0);
            strips.push(strip);
            own_latency.push(lat);
        }
        // Processors whose inserts are gone.
        let gone: Vec<InsertId> = self
            .registry
            .keys()
            .filter(|k| !seen.contains(k))
            .copied()
            .collect();
        for id in gone {
            if let Some(r) = self.registry.remove(&id) {
                self.free.push(r.slot);
                evict_later(&mut installs, r.slot);
            }
        }
        let latency = compensate(&mut strips, &own_latency);
        let (evict, installs): (Vec<Install>, Vec<Install>) =
            installs.into_iter().partition(|i| i.proc.is_none());
        let evict: Vec<usize> = evict.into_iter().map(|i| i.slot).collect();
        let track_strips: Vec<usize> = project
            .tracks
            .iter()
            .filter_map(|t| strips.iter().position(|s| s.kind == StripKind::Track(t.id)))
            .collect();
        let bus_strips: Vec<usize> = project
            .buses
            .iter()
            .filter_map(|b| strips.iter().position(|s| s.kind == StripKind::Bus(b.id)))
            .collect();
        let master = strips
            .iter()
            .position(|s| s.kind == StripKind::Master)
            .unwrap_or(0);
        let meters = Arc::new(MeterBank::new(
            track_strips
                .iter()
                .filter_map(|i| match strips[*i].kind {
                    StripKind::Track(t) => Some(t),
                    _ => None,
                })
                .collect(),
            project.buses.iter().map(|b| b.id).collect(),
            insert_meters,
        ));
        let n_strips = strips.len();
        RenderPlan {
            bus_names: project
                .buses
                .iter()
                .map(|b| (b.id, b.name.clone()))
                .collect(),
            strips,
            track_strips,
            bus_strips,
            master,
            evicted: Vec::with_capacity(evict.len() + installs.len()),
            installs,
            evict,
            xfade_map: vec![None; n_strips],
            latency,
            uses_rnn: project.strips().into_iter().any(|s| {
                project
                    .strip_inserts(s)
                    .iter()
                    .any(|i| i.kind == dubstage_model::InsertKind::Denoise && i.get("mode") < 0.5)
            }),
            pan_law: project.pan_law,
            metering: false,
            meters,
            max_block,
            end: project.end(),
            offline,
        }
    }
}

/// Records that `slot`'s processor must leave the pool before new ones arrive.
fn evict_later(installs: &mut Vec<Install>, slot: usize) {
    installs.push(Install { slot, proc: None });
}

/// Latency compensation. `D(s)` is how late strip `s`'s output is relative
/// to the timeline; a strip's input arrives at the latest of its inputs,
/// and every earlier input is delayed to meet it. Tracks absorb their
/// delay by reading their clips later (free); what remains on an edge
/// (a track with paths of different lengths, a bus) is a delay line.
/// Returns the master's lateness.
fn compensate(strips: &mut [PlanStrip], own: &[usize]) -> usize {
    let n = strips.len();
    let mut arrival = vec![0usize; n];
    let mut late = vec![0usize; n];
    for i in 0..n {
        late[i] = arrival[i] + own[i];
        let mut dests: Vec<usize> = strips[i].sends.iter().map(|s| s.dest).collect();
        dests.extend(strips[i].output);
        for d in dests {
            arrival[d] = arrival[d].max(late[i]);
        }
    }
    // Now that every arrival is known, size the edge delays.
    for i in 0..n {
        let mut need: Vec<usize> = strips[i]
            .sends
            .iter()
            .map(|s| arrival[s.dest] - late[i])
            .collect();
        let out_need = strips[i].output.map(|d| arrival[d] - late[i]);
        let shift = if matches!(strips[i].kind, StripKind::Track(_)) {
            need.iter().copied().chain(out_need).min().unwrap_or(0)
        } else {
            0
        };
        strips[i].read_delay = shift as i64;
        for (s, k) in strips[i].sends.iter_mut().zip(need.iter_mut()) {
            s.delay = DelayLine::new(*k - shift);
        }
        strips[i].out_delay = out_need.and_then(|k| DelayLine::new(k - shift));
        late[i] += shift;
        strips[i].lag_in = (arrival[i] + shift) as i64;
        strips[i].lag_out = late[i] as i64;
    }
    let master = strips.iter().position(|s| s.kind == StripKind::Master);
    let total = master.map_or(0, |m| late[m]);
    for i in 0..n {
        if matches!(strips[i].kind, StripKind::Bus(_)) {
            strips[i].stem_delay = DelayLine::new(total.saturating_sub(late[i]));
        }
    }
    total
}

/// A strip's fader, pan and mute lanes, when it has any.
fn strip_auto(project: &Project, sid: StripId, max_block: usize) -> Option<Box<StripAuto>> {
    let curve =
        |id: ParamId, switch: bool| project.lane(id).and_then(|l| Curve::new(&l.points, switch));
    let fader = curve(ParamId::Fader(sid), false);
    let (pan, mute) = match sid {
        StripId::Master => (None, None),
        _ => (
            curve(ParamId::Pan(sid), false),
            curve(ParamId::Mute(sid), true),
        ),
    };
    // A bus's stem carries the master fader: room for its gains.
    let master_lane =
        matches!(sid, StripId::Bus(_)) && project.lane(ParamId::Fader(StripId::Master)).is_some();
    if fader.is_none() && pan.is_none() && mute.is_none() && !master_lane {
        return None;
    }
    Some(Box::new(StripAuto {
        fader,
        pan,
        mute,
        gf: vec![1.0; max_block],
        pl: vec![1.0; max_block],
        pr: vec![1.0; max_block],
        stem: if master_lane {
            vec![1.0; max_block]
        } else {
            Vec::new()
        },
        law: project.pan_law,
        fader_touched: false,
        pan_touched: false,
        mute_touched: false,
        last: (1.0, 1.0, 1.0),
    }))
}

fn plan_clips(
    t: &dubstage_model::Track,
    sources: &Sources,
    offline: &mut Vec<MediaId>,
) -> Vec<PlanClip> {
    t.clips
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
                envelope: Curve::envelope(&c.gain_envelope),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(start: i64, end: i64) -> PlanClip {
        PlanClip {
            start,
            end,
            source_offset: 0,
            gain: 1.0,
            fade_in: 0,
            fade_in_shape: FadeShape::Linear,
            fade_out: 0,
            fade_out_shape: FadeShape::Linear,
            source: None,
            left: 0,
            right: None,
            envelope: None,
        }
    }

    #[test]
    fn the_clip_index_finds_exactly_the_overlapping_clips() {
        let idx = ClipIndex::new(vec![
            clip(0, 1000),
            clip(100, 200),
            clip(300, 400),
            clip(350, 5000),
            clip(6000, 6100),
        ]);
        let found = |a, b| {
            idx.overlapping(a, b)
                .map(|c| (c.start, c.end))
                .collect::<Vec<_>>()
        };
        assert_eq!(found(150, 160), vec![(0, 1000), (100, 200)]);
        assert_eq!(found(1000, 1100), vec![(350, 5000)]);
        assert_eq!(found(5000, 6000), vec![]);
        assert_eq!(found(5999, 6001), vec![(6000, 6100)]);
        assert_eq!(found(-10, 0), vec![]);
    }
}
