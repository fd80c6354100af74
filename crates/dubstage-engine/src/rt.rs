//! Real-time playback: the [`AudioProcessor`] that runs inside the audio
//! callback, and the [`AudioEngine`] handle the UI thread talks to.
//!
//! Everything between them travels over `rtrb` ring buffers (UI → audio:
//! [`ToAudio`]; audio → UI: retired plans) or lives in atomics
//! ([`Telemetry`], meters). The processor never allocates, frees, locks,
//! prints or does I/O: plans are built by the UI thread and sent whole, and
//! replaced plans are sent back to be dropped there.
//!
//! Timing: messages are applied at the start of a callback, before anything
//! is rendered, so a message pushed before the callback that renders block N
//! begins takes effect in block N.

use crate::audition::AuditionVoice;
use crate::meters::MeterBank;
use crate::plan::{RenderPlan, Slot, StripKind, retarget};
use crate::render::Renderer;
use dubstage_dsp::db_to_gain;
use dubstage_model::{InsertId, ParamId, SamplePos, StripId, TrackId};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Glide time of continuous controls (fader, pan, mute, solo): 10 ms at 48 kHz.
pub const CONTROL_RAMP: u32 = 480;
/// Crossfade between the old and the new plan when an edit swaps plans.
pub const PLAN_CROSSFADE: u32 = 480;
/// Fade-out when the transport stops, so stopping never clicks.
pub const STOP_FADE: u32 = 256;
/// Capacity of the UI → audio ring.
pub const COMMAND_RING: usize = 1024;
/// Capacity of the audio → UI ring of retired plans.
pub const RETURN_RING: usize = 16;
/// Retired plans the processor can hold while the return ring is full.
const PENDING_SLOTS: usize = 8;

/// A live change of one mixer value (while a control is dragged), applied
/// with per-sample smoothing; the same addresses as the project's
/// [`dubstage_model::Command::SetParam`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    pub id: ParamId,
    pub value: f32,
}

impl Control {
    pub fn new(id: ParamId, value: f32) -> Control {
        Control { id, value }
    }
}

/// A message from the UI thread to the audio thread.
#[derive(Debug)]
pub enum ToAudio {
    /// Replace the render plan (crossfaded at the next block boundary).
    Plan(Box<RenderPlan>),
    Play,
    Stop,
    /// Move the playhead; while playing the jump is immediate and gapless.
    Locate(SamplePos),
    /// Loop on (with its range, end exclusive) or off.
    SetLoop(Option<(SamplePos, SamplePos)>),
    /// Play `[start, end)` once and stop (play selection).
    PlayRange {
        start: SamplePos,
        end: SamplePos,
    },
    /// When on, Stop returns the playhead to where play started (the
    /// Pro Tools habit); when off (default), it stays where it stopped.
    SetReturnToStart(bool),
    /// Shuttle: play at this many times normal speed, backwards when
    /// negative (J/K/L). Starts the transport; Play and Stop return to 1.
    Shuttle(i8),
    Control(Control),
    /// A control is held (true) or let go (false): while held, its live
    /// value overrides the parameter's automation lane.
    Touch(ParamId, bool),
    /// Start auditioning a sound (replaces the one auditioning).
    Audition(Box<AuditionVoice>),
    AuditionStop,
    /// Linear gain of the audition path.
    AuditionGain(f32),
    /// While a sound is auditioned, silence the mix (or play it under).
    AuditionMutesMix(bool),
    /// Copy this insert's output (mono) for a display spectrum, or stop.
    Tap(Option<InsertId>),
}

/// Why a device stopped or reported trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceError {
    /// The device went away (unplugged, or taken by another program).
    Disconnected,
    /// The stream is no longer valid and must be reopened.
    StreamInvalidated,
    /// Any other backend error.
    Other,
}

impl DeviceError {
    fn code(self) -> u32 {
        match self {
            DeviceError::Disconnected => 1,
            DeviceError::StreamInvalidated => 2,
            DeviceError::Other => 3,
        }
    }

    fn from_code(c: u32) -> Option<DeviceError> {
        match c {
            1 => Some(DeviceError::Disconnected),
            2 => Some(DeviceError::StreamInvalidated),
            3 => Some(DeviceError::Other),
            _ => None,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            DeviceError::Disconnected => "the audio device was disconnected",
            DeviceError::StreamInvalidated => "the audio stream stopped and must be reopened",
            DeviceError::Other => "the audio device reported an error",
        }
    }
}

/// Single values the audio thread publishes (and the backend's error
/// callback), read by the UI. All atomics: no locks anywhere.
#[derive(Debug, Default)]
pub struct Telemetry {
    playhead: AtomicI64,
    playing: AtomicBool,
    xruns: AtomicU64,
    callbacks: AtomicU64,
    load: AtomicU32,
    load_peak: AtomicU32,
    return_ring_full: AtomicU64,
    device_error: AtomicU32,
    latency_us: AtomicU32,
    /// Frames after the auditioned sound's in-point + 1 (0: not sounding).
    audition_pos: AtomicI64,
    /// Blocks the live loudness ring had no room for.
    loudness_dropped: AtomicU64,
    /// Inserts reset and bypassed for producing non-finite samples.
    insert_faults: AtomicU64,
    /// The last of them (0: none).
    last_fault: AtomicU32,
}

impl Telemetry {
    /// Counts an under/overrun (from a backend) while something is heard:
    /// the transport plays or a sound is auditioned. A late callback while
    /// all is silent loses nothing, and is not counted.
    pub fn count_xrun(&self) {
        if self.sounding() {
            self.xruns.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the output carries sound (playing, or an audition sounding).
    fn sounding(&self) -> bool {
        self.playing.load(Ordering::Relaxed) || self.audition_pos.load(Ordering::Relaxed) != 0
    }

    /// Records a device error (from a backend's error callback).
    pub fn report_device_error(&self, e: DeviceError) {
        self.device_error.store(e.code(), Ordering::Relaxed);
    }

    /// Records the device's output latency (from a backend).
    pub fn set_output_latency(&self, d: Duration) {
        let us = d.as_micros().min(u128::from(u32::MAX)) as u32;
        self.latency_us.store(us, Ordering::Relaxed);
    }
}

/// What the UI reads each frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TelemetrySnapshot {
    /// The sample being heard next (project rate).
    pub playhead: SamplePos,
    pub playing: bool,
    pub xruns: u64,
    pub callbacks: u64,
    /// Time spent in the last callback / its period (1.0 = 100 %).
    pub load: f32,
    /// Highest load since the previous snapshot.
    pub load_peak: f32,
    /// Times a replaced plan could not be returned at once (held and retried).
    pub return_ring_full: u64,
    pub device_error: Option<DeviceError>,
    /// Output latency the device reports (zero when unknown).
    pub output_latency: Duration,
    /// Where the auditioned sound is (frames after its in-point) while it sounds.
    pub audition: Option<i64>,
    /// Inserts reset and bypassed for producing non-finite samples, and the last one.
    pub insert_faults: u64,
    pub last_fault: Option<InsertId>,
}

/// How the processor is set up: the project rate it renders at and the
/// device format it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessorConfig {
    pub project_rate: u32,
    pub device_rate: u32,
    pub channels: u16,
    /// Largest block rendered at once; must match the plans sent (`CompileOptions::max_block`).
    pub max_block: usize,
}

/// Real-time-safe rate conversion for monitoring when the device cannot run
/// at the project rate: 4-point cubic Hermite interpolation. Exports never
/// go through it (they render at the project rate and resample offline).
#[derive(Debug)]
struct MonitorResampler {
    /// Source frames per device frame.
    step: f64,
    /// Read position in `l`/`r` (frame index, fractional).
    pos: f64,
    l: Vec<f32>,
    r: Vec<f32>,
    filled: usize,
}

impl MonitorResampler {
    fn new(project_rate: u32, device_rate: u32, max_block: usize) -> MonitorResampler {
        let cap = max_block + 8;
        MonitorResampler {
            step: f64::from(project_rate) / f64::from(device_rate),
            pos: 1.0,
            l: vec![0.0; cap],
            r: vec![0.0; cap],
            filled: 2,
        }
    }

    /// Source frames buffered but not yet heard.
    fn buffered(&self) -> i64 {
        (self.filled as f64 - self.pos).max(0.0) as i64
    }
}

fn hermite(y: [f32; 4], t: f32) -> f32 {
    let c0 = y[1];
    let c1 = 0.5 * (y[2] - y[0]);
    let c2 = y[0] - 2.5 * y[1] + 2.0 * y[2] - 0.5 * y[3];
    let c3 = 0.5 * (y[3] - y[0]) + 1.5 * (y[1] - y[2]);
    ((c3 * t + c2) * t + c1) * t + c0
}

/// The audio-thread side: owns the renderer and the transport.
#[derive(Debug)]
pub struct AudioProcessor {
    renderer: Renderer,
    has_plan: bool,
    commands: rtrb::Consumer<ToAudio>,
    returns: rtrb::Producer<Box<RenderPlan>>,
    pending: [Option<Box<RenderPlan>>; PENDING_SLOTS],
    /// A plan that arrived during a crossfade, started when that ends.
    queued: Option<Box<RenderPlan>>,
    telemetry: Arc<Telemetry>,
    config: ProcessorConfig,
    playing: bool,
    loop_range: Option<(i64, i64)>,
    stop_at: Option<i64>,
    /// Transport speed (1: normal; others: shuttle).
    speed: i8,
    stop_fade_left: u32,
    stop_position: i64,
    return_to_start: bool,
    play_start: i64,
    block_l: Vec<f32>,
    block_r: Vec<f32>,
    resampler: Option<MonitorResampler>,
    voice: Option<Box<AuditionVoice>>,
    voice_returns: rtrb::Producer<Box<AuditionVoice>>,
    /// A replaced voice waiting for room in `voice_returns`.
    voice_pending: Option<Box<AuditionVoice>>,
    audition_gain: f32,
    audition_mutes_mix: bool,
    /// Where the audition sounded in the last block (for telemetry).
    audition_at: Option<i64>,
    /// Master and bus samples for the UI's live loudness meters.
    loud_tx: rtrb::Producer<f32>,
    rnn_warm: bool,
    tap_tx: rtrb::Producer<f32>,
}

/// Buses the live loudness ring carries (the first ones of the project:
/// DIA, FX, MUS, then user buses).
pub const LOUDNESS_BUSES: usize = 8;

/// Channels per frame in the live loudness ring: master L/R, then L/R of
/// each of [`LOUDNESS_BUSES`] buses (silence where the project has fewer).
pub const LOUDNESS_CHANNELS: usize = 2 + 2 * LOUDNESS_BUSES;

/// An empty plan, so the processor always has something to render.
fn empty_plan(max_block: usize) -> Box<RenderPlan> {
    let project = dubstage_model::Project::new("");
    Box::new(crate::plan::compile(
        &project,
        &crate::plan::Sources::new(),
        crate::plan::CompileOptions { max_block },
    ))
}

impl AudioProcessor {
    /// The processor's format.
    pub fn config(&self) -> ProcessorConfig {
        self.config
    }

    pub fn telemetry(&self) -> &Arc<Telemetry> {
        &self.telemetry
    }

    /// The gain a track is heading to (fader × mute/solo, for its stereo
    /// clips' left side), for diagnostics and tests. `None` for an unknown track.
    pub fn track_gain_target(&self, id: TrackId) -> Option<f32> {
        self.renderer
            .plan()
            .strips
            .iter()
            .find(|s| s.kind == StripKind::Track(id))
            .map(|s| {
                // The fader's part of the output gain (pan law apart).
                if s.out_l.target() == 0.0 && s.out_r.target() == 0.0 {
                    0.0
                } else {
                    s.controls.level
                }
            })
    }

    /// Fills `out` (interleaved, `config.channels` per frame). This is the
    /// whole audio callback: messages, plan swaps, rendering, telemetry.
    ///
    /// It runs under `assert_no_alloc`'s guard, so any test whose binary
    /// installs that crate's allocator checks every callback, on whichever
    /// thread (a backend's included) calls it.
    pub fn process(&mut self, out: &mut [f32]) {
        assert_no_alloc::assert_no_alloc(|| self.process_unguarded(out));
    }

    fn process_unguarded(&mut self, out: &mut [f32]) {
        let started = Instant::now();
        self.flush_pending();
        self.handle_messages();
        let channels = usize::from(self.config.channels.max(1));
        let frames = out.len() / channels;
        if self.resampler.is_some() {
            self.process_resampled(out, channels);
        } else {
            let mut done = 0;
            while done < frames {
                let n = (frames - done).min(self.block_l.len());
                let (mut l, mut r) = (
                    std::mem::take(&mut self.block_l),
                    std::mem::take(&mut self.block_r),
                );
                self.pull(&mut l[..n], &mut r[..n]);
                write_interleaved(
                    &mut out[done * channels..(done + n) * channels],
                    &l,
                    &r,
                    channels,
                );
                self.block_l = l;
                self.block_r = r;
                done += n;
            }
            out[frames * channels..].fill(0.0);
        }
        self.flush_tap();
        self.publish(frames, started);
    }

    fn process_resampled(&mut self, out: &mut [f32], channels: usize) {
        let Some(mut rs) = self.resampler.take() else {
            return;
        };
        let frames = out.len() / channels;
        for f in 0..frames {
            if rs.pos as usize + 2 >= rs.filled {
                // Keep one frame of history before the read position, then refill.
                let keep_from = (rs.pos as usize).saturating_sub(1);
                rs.l.copy_within(keep_from..rs.filled, 0);
                rs.r.copy_within(keep_from..rs.filled, 0);
                rs.filled -= keep_from;
                rs.pos -= keep_from as f64;
                let cap = rs.l.len();
                let (fl, ff) = (rs.filled, cap);
                let (mut l, mut r) = (std::mem::take(&mut rs.l), std::mem::take(&mut rs.r));
                self.pull(&mut l[fl..ff], &mut r[fl..ff]);
                rs.l = l;
                rs.r = r;
                rs.filled = cap;
            }
            let i = rs.pos as usize;
            let t = (rs.pos - i as f64) as f32;
            let y = |b: &[f32]| [b[i.saturating_sub(1)], b[i], b[i + 1], b[i + 2]];
            let frame = &mut out[f * channels..(f + 1) * channels];
            let (lv, rv) = (hermite(y(&rs.l), t), hermite(y(&rs.r), t));
            write_interleaved(frame, &[lv], &[rv], channels);
            rs.pos += rs.step;
        }
        out[frames * channels..].fill(0.0);
        self.resampler = Some(rs);
    }

    /// Renders project-rate frames into `l`/`r` following the transport:
    /// loop wraps and range ends land on their exact sample.
    fn pull(&mut self, l: &mut [f32], r: &mut [f32]) {
        let n = l.len();
        let mut done = 0;
        while done < n {
            if !self.playing && self.stop_fade_left == 0 {
                l[done..].fill(0.0);
                r[done..].fill(0.0);
                self.mix_audition(None, &mut l[done..], &mut r[done..]);
                return;
            }
            if self.playing && self.speed != 1 {
                self.pull_shuttle(&mut l[done..], &mut r[done..]);
                return;
            }
            let pos = self.renderer.position().0;
            // The master lags the timeline by the plan's latency: a range
            // ends when its last sample has come out.
            let lat = self.renderer.latency() as i64;
            let mut want = n - done;
            if self.playing {
                if let Some((_, end)) = self.loop_range
                    && pos < end + lat
                {
                    want = want.min((end + lat - pos) as usize);
                }
                if let Some(end) = self.stop_at
                    && pos < end + lat
                {
                    want = want.min((end + lat - pos) as usize);
                }
            } else {
                want = want.min(self.stop_fade_left as usize);
            }
            let block = self.renderer.render_block(want);
            let k = block.frames;
            let (bl, br) = block.master();
            l[done..done + k].copy_from_slice(bl);
            r[done..done + k].copy_from_slice(br);
            if self.playing {
                // Live loudness: the mix as rendered (before any audition),
                // dropped whole when the UI is not keeping up.
                let need = k * LOUDNESS_CHANNELS;
                if self.loud_tx.slots() >= need {
                    let bus = |b: usize| (b < block.bus_count()).then(|| block.bus(b));
                    let buses: [_; LOUDNESS_BUSES] = std::array::from_fn(bus);
                    for i in 0..k {
                        let _ = self.loud_tx.push(bl[i]);
                        let _ = self.loud_tx.push(br[i]);
                        for b in &buses {
                            let (xl, xr) = b.map_or((0.0, 0.0), |(xl, xr)| (xl[i], xr[i]));
                            let _ = self.loud_tx.push(xl);
                            let _ = self.loud_tx.push(xr);
                        }
                    }
                } else {
                    self.telemetry
                        .loudness_dropped
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
            let timeline = self.playing.then_some(pos);
            self.mix_audition(timeline, &mut l[done..done + k], &mut r[done..done + k]);
            if !self.playing {
                // Stop fade: linear to silence over STOP_FADE samples.
                for i in 0..k {
                    let g = (self.stop_fade_left - i as u32) as f32 / STOP_FADE as f32;
                    l[done + i] *= g;
                    r[done + i] *= g;
                }
                self.stop_fade_left -= k as u32;
                if self.stop_fade_left == 0 {
                    self.renderer.locate(SamplePos(self.stop_position));
                }
            }
            let retired = self.renderer.take_retired();
            self.dispose(retired);
            self.start_queued();
            done += k;
            let pos = self.renderer.position().0;
            let lat = self.renderer.latency() as i64;
            if self.playing {
                if let Some((start, end)) = self.loop_range
                    && pos >= end + lat
                {
                    self.renderer.locate(SamplePos(start));
                }
                if let Some(end) = self.stop_at
                    && pos >= end + lat
                {
                    self.begin_stop();
                    if !self.return_to_start {
                        self.stop_position = end;
                    }
                }
            }
        }
    }

    /// Shuttle playback: every `|speed|`-th sample of the mix, backwards
    /// when the speed is negative (monitoring only: no loop, no loudness
    /// feed, no audition). Backwards play stops at the session start.
    fn pull_shuttle(&mut self, l: &mut [f32], r: &mut [f32]) {
        let step = usize::from(self.speed.unsigned_abs()).max(1);
        let n = l.len();
        let mut done = 0;
        while done < n {
            let max = self.renderer.plan().max_block.max(step);
            let span = ((n - done) * step).min(max / step * step);
            let pos = self.renderer.position().0;
            let start = if self.speed < 0 {
                (pos - span as i64).max(0)
            } else {
                pos
            };
            let want = if self.speed < 0 {
                (pos - start) as usize
            } else {
                span
            };
            if want < step {
                // Reached the start going backwards.
                l[done..].fill(0.0);
                r[done..].fill(0.0);
                self.playing = false;
                self.speed = 1;
                self.stop_at = None;
                self.stop_position = start;
                self.renderer.locate(SamplePos(start));
                return;
            }
            self.renderer.locate(SamplePos(start));
            let block = self.renderer.render_block(want);
            let got = block.frames;
            let (bl, br) = block.master();
            let k = (got / step).min(n - done);
            for i in 0..k {
                let src = if self.speed < 0 {
                    got - 1 - i * step
                } else {
                    i * step
                };
                l[done + i] = bl[src];
                r[done + i] = br[src];
            }
            if self.speed < 0 {
                self.renderer.locate(SamplePos(start));
            }
            let retired = self.renderer.take_retired();
            self.dispose(retired);
            self.start_queued();
            if k == 0 {
                // A plan that renders less than one step: silence, never a stall.
                l[done..].fill(0.0);
                r[done..].fill(0.0);
                return;
            }
            done += k;
        }
    }

    /// Adds the auditioned sound after the mix (and its meters). `timeline`
    /// is the position of the block's first sample while the transport plays.
    fn mix_audition(&mut self, timeline: Option<i64>, l: &mut [f32], r: &mut [f32]) {
        let gain = self.audition_gain;
        let Some(voice) = self.voice.as_mut() else {
            return;
        };
        if self.audition_mutes_mix {
            l.fill(0.0);
            r.fill(0.0);
        }
        let at = match (voice.is_pinned(), timeline) {
            (true, Some(pos)) => voice.mix_pinned(pos, l, r, gain),
            (true, None) => None,
            (false, _) => voice.mix_free(l, r, gain),
        };
        if at.is_some() {
            self.audition_at = at;
        }
    }

    /// Hands a replaced voice back to the UI thread (never drops it here).
    /// Returns false when it had to be kept (the caller waits).
    fn dispose_voice(&mut self, voice: Box<AuditionVoice>) {
        if let Err(rtrb::PushError::Full(v)) = self.voice_returns.push(voice) {
            match self.voice_pending.take() {
                None => self.voice_pending = Some(v),
                // Unreachable: a new voice is only taken with the slot free.
                Some(p) => {
                    self.voice_pending = Some(p);
                    std::mem::forget(v);
                }
            }
        }
    }

    fn begin_stop(&mut self) {
        self.speed = 1;
        if self.playing {
            self.playing = false;
            self.stop_at = None;
            self.stop_position = if self.return_to_start {
                self.play_start
            } else {
                self.renderer.position().0
            };
            self.stop_fade_left = STOP_FADE;
        }
    }

    fn handle_messages(&mut self) {
        loop {
            // A plan swap may hand back four plans (in silence: the one
            // fading out, one retired, one waiting and the current one):
            // only take it when all can be held.
            if let Ok(ToAudio::Plan(_)) = self.commands.peek()
                && self.free_pending() < 4
            {
                self.telemetry
                    .return_ring_full
                    .fetch_add(1, Ordering::Relaxed);
                return;
            }
            // Replacing a voice hands the old one back: only with room to hold it.
            if matches!(
                self.commands.peek(),
                Ok(ToAudio::Audition(_) | ToAudio::AuditionStop)
            ) && self.voice_pending.is_some()
            {
                return;
            }
            let Ok(msg) = self.commands.pop() else {
                return;
            };
            match msg {
                ToAudio::Plan(mut plan) => {
                    plan.metering = true;
                    if plan.uses_rnn && !self.rnn_warm {
                        // RNNoise's FFT keeps per-thread caches: filled
                        // once, on the first plan that needs them (the only
                        // allocation the audio thread ever makes).
                        assert_no_alloc::permit_alloc(
                            dubstage_dsp::denoise::RnnDenoise::warm_thread,
                        );
                        self.rnn_warm = true;
                    }
                    if self.has_plan && !self.playing && self.stop_fade_left == 0 {
                        // Nothing is heard: the plan replaces the current
                        // one outright, and a fading or waiting plan goes.
                        let fading = self.renderer.end_fade();
                        self.dispose(fading);
                        let retired = self.renderer.take_retired();
                        self.dispose(retired);
                        let waiting = self.queued.take();
                        self.dispose(waiting);
                        let old = self.renderer.swap_plan(plan);
                        self.dispose(Some(old));
                    } else if self.has_plan && self.renderer.is_crossfading() {
                        // Replacing the plan that is fading out would cut it
                        // off (a click): this one waits for the crossfade to
                        // end, and replaces any that was already waiting
                        // (never heard, so never missed).
                        let older = self.queued.replace(plan);
                        self.dispose(older);
                    } else if self.has_plan {
                        let cut = self.renderer.crossfade_to(plan, PLAN_CROSSFADE);
                        self.dispose(cut);
                    } else {
                        // The first real plan replaces the empty one outright.
                        let old = self.renderer.swap_plan(plan);
                        self.dispose(Some(old));
                        self.has_plan = true;
                    }
                }
                ToAudio::Shuttle(speed) => {
                    if !self.playing {
                        if self.stop_fade_left > 0 {
                            self.stop_fade_left = 0;
                            self.renderer.locate(SamplePos(self.stop_position));
                        }
                        self.play_start = self.renderer.position().0;
                    }
                    self.playing = speed != 0;
                    self.speed = if speed == 0 { 1 } else { speed };
                    self.stop_at = None;
                }
                ToAudio::Play => {
                    self.speed = 1;
                    if self.stop_fade_left > 0 {
                        self.stop_fade_left = 0;
                        self.renderer.locate(SamplePos(self.stop_position));
                    }
                    self.playing = true;
                    self.stop_at = None;
                    if let Some((start, end)) = self.loop_range {
                        let pos = self.renderer.position().0;
                        if pos < start || pos >= end {
                            self.renderer.locate(SamplePos(start));
                        }
                    }
                    self.play_start = self.renderer.position().0;
                }
                ToAudio::Stop => self.begin_stop(),
                ToAudio::Locate(p) => {
                    if self.stop_fade_left > 0 {
                        self.stop_position = p.0;
                    } else {
                        self.renderer.locate(p);
                    }
                }
                ToAudio::SetLoop(range) => {
                    self.loop_range = range.filter(|(s, e)| e > s).map(|(s, e)| (s.0, e.0));
                }
                ToAudio::PlayRange { start, end } => {
                    self.stop_fade_left = 0;
                    self.renderer.locate(start);
                    self.playing = end > start;
                    self.stop_at = Some(end.0);
                    self.play_start = start.0;
                }
                ToAudio::SetReturnToStart(on) => self.return_to_start = on,
                ToAudio::Audition(voice) => {
                    if let Some(old) = self.voice.replace(voice) {
                        self.dispose_voice(old);
                    }
                    self.audition_at = None;
                }
                ToAudio::AuditionStop => {
                    if let Some(old) = self.voice.take() {
                        self.dispose_voice(old);
                    }
                    self.audition_at = None;
                }
                ToAudio::AuditionGain(g) => self.audition_gain = g,
                ToAudio::AuditionMutesMix(on) => self.audition_mutes_mix = on,
                ToAudio::Tap(id) => self.renderer.set_tap(id),
                ToAudio::Control(c) => {
                    let (plan, pool) = self.renderer.plan_and_pool();
                    apply_control(plan, Some(pool), c);
                    if let Some(old) = self.renderer.fading_mut() {
                        apply_control(old, None, c);
                    }
                }
                ToAudio::Touch(id, on) => {
                    let (plan, _) = self.renderer.plan_and_pool();
                    crate::plan::touch(plan, id, on);
                    if let Some(old) = self.renderer.fading_mut() {
                        crate::plan::touch(old, id, on);
                    }
                    if let Some(next) = self.queued.as_deref_mut() {
                        crate::plan::touch(next, id, on);
                    }
                }
            }
        }
    }

    fn free_pending(&self) -> usize {
        self.pending.iter().filter(|p| p.is_none()).count()
    }

    /// Hands a replaced plan back to the UI thread (never drops it here).
    /// Starts the plan that waited for a crossfade, once that has ended.
    fn start_queued(&mut self) {
        if !self.renderer.is_crossfading()
            && let Some(plan) = self.queued.take()
        {
            let cut = self.renderer.crossfade_to(plan, PLAN_CROSSFADE);
            self.dispose(cut);
        }
    }

    fn dispose(&mut self, plan: Option<Box<RenderPlan>>) {
        let Some(plan) = plan else { return };
        if let Err(rtrb::PushError::Full(plan)) = self.returns.push(plan) {
            self.telemetry
                .return_ring_full
                .fetch_add(1, Ordering::Relaxed);
            match self.pending.iter_mut().find(|p| p.is_none()) {
                Some(slot) => *slot = Some(plan),
                // Unreachable by the two-free-slots rule in handle_messages;
                // leaking beats freeing on the audio thread.
                None => std::mem::forget(plan),
            }
        }
    }

    fn flush_pending(&mut self) {
        if let Some(v) = self.voice_pending.take()
            && let Err(rtrb::PushError::Full(v)) = self.voice_returns.push(v)
        {
            self.voice_pending = Some(v);
        }
        for slot in &mut self.pending {
            if let Some(plan) = slot.take()
                && let Err(rtrb::PushError::Full(plan)) = self.returns.push(plan)
            {
                *slot = Some(plan);
                return;
            }
        }
    }

    /// Moves the tapped insert output into its ring (what does not fit is dropped).
    fn flush_tap(&mut self) {
        let buf = self.renderer.take_tap();
        for &v in buf.iter() {
            if self.tap_tx.push(v).is_err() {
                break;
            }
        }
        buf.clear();
    }

    fn publish(&mut self, frames: usize, started: Instant) {
        let t = &self.telemetry;
        let heard = if self.playing {
            self.renderer.position().0
                - self.renderer.latency() as i64
                - self
                    .resampler
                    .as_ref()
                    .map_or(0, MonitorResampler::buffered)
        } else if self.stop_fade_left > 0 {
            self.stop_position
        } else {
            self.renderer.position().0
        };
        t.playhead.store(heard, Ordering::Relaxed);
        t.audition_pos.store(
            self.audition_at.take().map_or(0, |a| a + 1),
            Ordering::Relaxed,
        );
        t.playing.store(self.playing, Ordering::Relaxed);
        t.callbacks.fetch_add(1, Ordering::Relaxed);
        let period_ns = frames as f64 * 1e9 / f64::from(self.config.device_rate.max(1));
        let (faults, last) = self.renderer.faults();
        t.insert_faults.store(faults, Ordering::Relaxed);
        t.last_fault
            .store(last.map_or(0, |i| i.0), Ordering::Relaxed);
        let plan = self.renderer.plan_mut();
        let meters: &MeterBank = &plan.meters;
        for (i, &si) in plan.track_strips.iter().enumerate() {
            let s = &mut plan.strips[si];
            meters.track_at(i).publish(&s.meter, period_ns);
            s.meter = Default::default();
        }
        for (i, &si) in plan.bus_strips.iter().enumerate() {
            let s = &mut plan.strips[si];
            meters.bus_at(i).publish(&s.meter, period_ns);
            s.meter = Default::default();
        }
        meters.roll_inserts();
        let m = plan.master;
        meters.master().publish(&plan.strips[m].meter, period_ns);
        plan.strips[m].meter = Default::default();
        if frames > 0 {
            let period = frames as f64 / f64::from(self.config.device_rate.max(1));
            let load = (started.elapsed().as_secs_f64() / period) as f32;
            t.load.store(load.to_bits(), Ordering::Relaxed);
            t.load_peak.fetch_max(load.to_bits(), Ordering::Relaxed);
            if load > 1.0 {
                t.count_xrun();
            }
        }
    }
}

fn write_interleaved(out: &mut [f32], l: &[f32], r: &[f32], channels: usize) {
    if channels == 1 {
        for (i, o) in out.iter_mut().enumerate() {
            *o = 0.5 * (l[i] + r[i]);
        }
        return;
    }
    for (i, frame) in out.chunks_exact_mut(channels).enumerate() {
        frame[0] = l[i];
        frame[1] = r[i];
        frame[2..].fill(0.0);
    }
}

/// Applies a continuous control to a plan, gliding over [`CONTROL_RAMP`].
/// Applies a live control to a plan (and, with `pool`, to the processor it
/// addresses). The audibility rule is the model's.
fn apply_control(plan: &mut RenderPlan, pool: Option<&mut [Option<Box<Slot>>]>, c: Control) {
    let law = plan.pan_law;
    let on = c.value >= 0.5;
    let v = c.value;
    if !v.is_finite() {
        return;
    }
    fn strip_of(plan: &mut RenderPlan, id: StripId) -> Option<&mut crate::plan::PlanStrip> {
        plan.strips.iter_mut().find(|s| s.id() == id)
    }
    match c.id {
        ParamId::Fader(id) => {
            if let Some(s) = strip_of(plan, id) {
                s.controls.level = dubstage_dsp::db_to_gain(v.clamp(-144.0, 24.0));
            }
        }
        ParamId::Pan(id) => {
            if let Some(s) = strip_of(plan, id) {
                s.controls.pan = v.clamp(-1.0, 1.0);
            }
        }
        ParamId::Mute(id) => {
            if let Some(s) = strip_of(plan, id) {
                s.controls.mute = on;
            }
        }
        ParamId::Solo(t) => {
            if let Some(s) = strip_of(plan, StripId::Track(t)) {
                s.controls.solo = on;
            }
        }
        ParamId::SoloSafe(t) => {
            if let Some(s) = strip_of(plan, StripId::Track(t)) {
                s.controls.solo_safe = on;
            }
        }
        ParamId::SendLevel(id) | ParamId::SendMute(id) | ParamId::SendPre(id) => {
            for s in plan.strips.iter_mut() {
                for send in s.sends.iter_mut().filter(|x| x.id == id) {
                    match c.id {
                        ParamId::SendLevel(_) => {
                            send.level = dubstage_dsp::db_to_gain(v.clamp(-144.0, 24.0));
                        }
                        ParamId::SendMute(_) => send.mute = on,
                        _ => send.pre = on,
                    }
                }
            }
        }
        ParamId::Bypass(id) => {
            for ins in plan.strips.iter_mut().flat_map(|s| s.inserts.iter_mut()) {
                if ins.id == id {
                    ins.bypass = on;
                }
            }
            return;
        }
        ParamId::Insert(id, index) => {
            set_insert_param(plan, pool, id, index, v);
            return;
        }
    }
    // Mute and solo of one track change what every other track does.
    let any_solo = plan
        .strips
        .iter()
        .any(|s| matches!(s.kind, StripKind::Track(_)) && s.controls.solo);
    for s in plan.strips.iter_mut() {
        let c = s.controls;
        // An automated mute decides by its lane, not the static switch.
        let mute = c.mute && !crate::plan::mute_automated(s);
        let audible = match s.kind {
            StripKind::Track(_) => {
                dubstage_model::mixer::audible(mute, c.solo, c.solo_safe, any_solo)
            }
            StripKind::Bus(_) => !mute,
            StripKind::Master => true,
        };
        retarget(s, law, audible, CONTROL_RAMP);
    }
}

fn set_insert_param(
    plan: &mut RenderPlan,
    pool: Option<&mut [Option<Box<Slot>>]>,
    id: InsertId,
    index: u16,
    v: f32,
) {
    let i = usize::from(index);
    let Some(ins) = plan
        .strips
        .iter_mut()
        .flat_map(|s| s.inserts.iter_mut())
        .find(|x| x.id == id)
    else {
        return;
    };
    if i >= ins.n_values {
        return;
    }
    ins.values[i] = v;
    if let Some(pool) = pool
        && let Some(Some(slot)) = pool.get_mut(ins.slot)
        && slot.generation == ins.generation
    {
        let Slot { proc, values, .. } = &mut **slot;
        values[i] = v;
        proc.set_indexed(index, v, values);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the audio thread is not keeping up (message queue full)")]
    QueueFull,
}

/// The UI-thread side of playback.
pub struct AudioEngine {
    commands: rtrb::Producer<ToAudio>,
    returns: rtrb::Consumer<Box<RenderPlan>>,
    voice_returns: rtrb::Consumer<Box<AuditionVoice>>,
    loud_rx: rtrb::Consumer<f32>,
    telemetry: Arc<Telemetry>,
    meters: Option<Arc<MeterBank>>,
    config: ProcessorConfig,
    stream: Option<Box<dyn crate::backend::OutputStream>>,
    dropped_plans: u64,
    compiler: crate::plan::Compiler,
    tap_rx: rtrb::Consumer<f32>,
}

impl std::fmt::Debug for AudioEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioEngine")
            .field("config", &self.config)
            .field("stream", &self.stream.as_ref().map(|s| s.info().clone()))
            .finish_non_exhaustive()
    }
}

impl AudioEngine {
    /// A connected engine/processor pair. Backends move the processor into
    /// their audio callback; tests call `process` themselves.
    pub fn pair(config: ProcessorConfig) -> (AudioEngine, AudioProcessor) {
        let max_block = config.max_block.max(1);
        let config = ProcessorConfig {
            max_block,
            ..config
        };
        let (cmd_tx, cmd_rx) = rtrb::RingBuffer::new(COMMAND_RING);
        let (ret_tx, ret_rx) = rtrb::RingBuffer::new(RETURN_RING);
        let (voice_tx, voice_rx) = rtrb::RingBuffer::new(RETURN_RING);
        // One second of live loudness samples at the project rate.
        let (loud_tx, loud_rx) =
            rtrb::RingBuffer::new(config.project_rate.max(8_000) as usize * LOUDNESS_CHANNELS);
        let telemetry = Arc::new(Telemetry::default());
        let (tap_tx, tap_rx) = rtrb::RingBuffer::new(1 << 15);
        let resampler = (config.device_rate != config.project_rate)
            .then(|| MonitorResampler::new(config.project_rate, config.device_rate, max_block));
        let processor = AudioProcessor {
            renderer: Renderer::new(empty_plan(max_block)),
            has_plan: false,
            commands: cmd_rx,
            returns: ret_tx,
            pending: Default::default(),
            queued: None,
            telemetry: telemetry.clone(),
            config,
            playing: false,
            speed: 1,
            loop_range: None,
            stop_at: None,
            stop_fade_left: 0,
            stop_position: 0,
            return_to_start: false,
            play_start: 0,
            block_l: vec![0.0; max_block],
            block_r: vec![0.0; max_block],
            resampler,
            voice: None,
            voice_returns: voice_tx,
            voice_pending: None,
            audition_gain: 1.0,
            audition_mutes_mix: false,
            audition_at: None,
            loud_tx,
            rnn_warm: false,
            tap_tx,
        };
        let engine = AudioEngine {
            commands: cmd_tx,
            returns: ret_rx,
            voice_returns: voice_rx,
            loud_rx,
            telemetry,
            meters: None,
            config,
            stream: None,
            dropped_plans: 0,
            compiler: crate::plan::Compiler::new(),
            tap_rx,
        };
        (engine, processor)
    }

    /// Keeps the backend's stream alive as long as the engine.
    pub fn attach_stream(&mut self, stream: Box<dyn crate::backend::OutputStream>) {
        self.stream = Some(stream);
    }

    /// Stops the device (the processor goes with it).
    pub fn close(&mut self) {
        self.stream = None;
    }

    pub fn stream_info(&self) -> Option<&crate::backend::StreamInfo> {
        self.stream.as_ref().map(|s| s.info())
    }

    pub fn config(&self) -> ProcessorConfig {
        self.config
    }

    /// Whether the device is running at a rate other than the project's (monitoring resampled).
    pub fn is_resampling(&self) -> bool {
        self.config.device_rate != self.config.project_rate
    }

    pub fn send(&mut self, msg: ToAudio) -> Result<(), SendError> {
        self.collect_garbage();
        self.commands.push(msg).map_err(|_| SendError::QueueFull)
    }

    /// Sends a new plan (its meters become the ones [`AudioEngine::meters`] reads).
    pub fn set_plan(&mut self, plan: RenderPlan) -> Result<(), SendError> {
        let meters = plan.meters().clone();
        self.send(ToAudio::Plan(Box::new(plan)))?;
        self.meters = Some(meters);
        Ok(())
    }

    pub fn play(&mut self) -> Result<(), SendError> {
        self.send(ToAudio::Play)
    }

    pub fn stop(&mut self) -> Result<(), SendError> {
        self.send(ToAudio::Stop)
    }

    pub fn locate(&mut self, pos: SamplePos) -> Result<(), SendError> {
        self.send(ToAudio::Locate(pos))
    }

    pub fn set_loop(&mut self, range: Option<(SamplePos, SamplePos)>) -> Result<(), SendError> {
        self.send(ToAudio::SetLoop(range))
    }

    pub fn play_range(&mut self, start: SamplePos, end: SamplePos) -> Result<(), SendError> {
        self.send(ToAudio::PlayRange { start, end })
    }

    /// Whether Stop returns the playhead to where play started.
    /// Plays at `speed` times normal speed (negative: backwards).
    pub fn shuttle(&mut self, speed: i8) -> Result<(), SendError> {
        self.send(ToAudio::Shuttle(speed))
    }

    pub fn set_return_to_start(&mut self, on: bool) -> Result<(), SendError> {
        self.send(ToAudio::SetReturnToStart(on))
    }

    pub fn control(&mut self, c: Control) -> Result<(), SendError> {
        self.send(ToAudio::Control(c))
    }

    /// A control held or let go: while held its live value (from
    /// [`AudioEngine::control`]) overrides its automation lane, from the
    /// block the message reaches.
    pub fn touch(&mut self, id: ParamId, on: bool) -> Result<(), SendError> {
        self.send(ToAudio::Touch(id, on))
    }

    /// Drops the plans the audio thread has handed back. Call regularly (each UI frame).
    pub fn collect_garbage(&mut self) -> usize {
        let mut n = 0;
        while let Ok(plan) = self.returns.pop() {
            drop(plan);
            n += 1;
        }
        self.dropped_plans += n as u64;
        while let Ok(voice) = self.voice_returns.pop() {
            drop(voice);
        }
        n
    }

    /// Hands the live loudness samples rendered since the last call to `f`,
    /// as interleaved frames of [`LOUDNESS_CHANNELS`] (master L/R, then
    /// each bus's L/R). Returns how many frames there were.
    pub fn drain_loudness(&mut self, mut f: impl FnMut(&[f32])) -> usize {
        let n = self.loud_rx.slots() / LOUDNESS_CHANNELS * LOUDNESS_CHANNELS;
        if n == 0 {
            return 0;
        }
        if let Ok(chunk) = self.loud_rx.read_chunk(n) {
            let (a, b) = chunk.as_slices();
            // A frame may straddle the ring's wrap: join it.
            if a.len() % LOUDNESS_CHANNELS == 0 {
                f(a);
                f(b);
            } else {
                let mut joined = Vec::with_capacity(n);
                joined.extend_from_slice(a);
                joined.extend_from_slice(b);
                f(&joined);
            }
            chunk.commit_all();
        }
        n / LOUDNESS_CHANNELS
    }

    /// Auditions `voice` (replacing any sound auditioning): straight to the
    /// output, after the mix and its meters.
    pub fn audition(&mut self, voice: AuditionVoice) -> Result<(), SendError> {
        self.send(ToAudio::Audition(Box::new(voice)))
    }

    pub fn stop_audition(&mut self) -> Result<(), SendError> {
        self.send(ToAudio::AuditionStop)
    }

    /// The audition path's gain in dB (-inf..+12).
    pub fn set_audition_gain_db(&mut self, db: f32) -> Result<(), SendError> {
        self.send(ToAudio::AuditionGain(db_to_gain(db)))
    }

    /// Whether the mix is silenced while a sound is auditioned.
    pub fn set_audition_mutes_mix(&mut self, on: bool) -> Result<(), SendError> {
        self.send(ToAudio::AuditionMutesMix(on))
    }

    /// Plans dropped on this thread so far.
    pub fn plans_returned(&self) -> u64 {
        self.dropped_plans
    }

    pub fn meters(&self) -> Option<&Arc<MeterBank>> {
        self.meters.as_ref()
    }

    pub fn telemetry_handle(&self) -> &Arc<Telemetry> {
        &self.telemetry
    }

    pub fn telemetry(&self) -> TelemetrySnapshot {
        let t = &self.telemetry;
        TelemetrySnapshot {
            playhead: SamplePos(t.playhead.load(Ordering::Relaxed)),
            playing: t.playing.load(Ordering::Relaxed),
            xruns: t.xruns.load(Ordering::Relaxed),
            callbacks: t.callbacks.load(Ordering::Relaxed),
            load: f32::from_bits(t.load.load(Ordering::Relaxed)),
            load_peak: f32::from_bits(t.load_peak.swap(0, Ordering::Relaxed)),
            return_ring_full: t.return_ring_full.load(Ordering::Relaxed),
            device_error: DeviceError::from_code(t.device_error.load(Ordering::Relaxed)),
            output_latency: Duration::from_micros(u64::from(t.latency_us.load(Ordering::Relaxed))),
            audition: match t.audition_pos.load(Ordering::Relaxed) {
                0 => None,
                p => Some(p - 1),
            },
            insert_faults: t.insert_faults.load(Ordering::Relaxed),
            last_fault: match t.last_fault.load(Ordering::Relaxed) {
                0 => None,
                i => Some(InsertId(i)),
            },
        }
    }

    /// Taps an insert's output for a display spectrum (`None`: stop).
    pub fn set_tap(&mut self, id: Option<InsertId>) -> Result<(), SendError> {
        self.send(ToAudio::Tap(id))
    }

    /// Appends the tapped samples that arrived since the last call.
    pub fn drain_tap(&mut self, out: &mut Vec<f32>) {
        while let Ok(v) = self.tap_rx.pop() {
            out.push(v);
        }
    }

    /// Compiles `project` for this engine's renderer: inserts that are
    /// still there keep their processors (and state).
    pub fn compile(
        &mut self,
        project: &dubstage_model::Project,
        sources: &crate::plan::Sources,
    ) -> RenderPlan {
        self.compiler.compile(
            project,
            sources,
            crate::plan::CompileOptions {
                max_block: self.config.max_block,
            },
        )
    }

    /// Compiles `project` and sends the plan. When it cannot be sent the
    /// compiler forgets what the plan carried, so the next one rebuilds it.
    pub fn send_project(
        &mut self,
        project: &dubstage_model::Project,
        sources: &crate::plan::Sources,
    ) -> Result<(), SendError> {
        let before = self.compiler.clone();
        let plan = self.compile(project, sources);
        let r = self.set_plan(plan);
        if r.is_err() {
            self.compiler = before;
        }
        r
    }
}
