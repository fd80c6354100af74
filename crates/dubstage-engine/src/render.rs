//! The renderer: runs a [`RenderPlan`]'s strip graph block by block. The
//! same code runs in the audio callback and in offline export, so both give
//! identical samples.
//!
//! Per block, in the plan's order (everything before what it feeds): a
//! track sums the clips that overlap the block (found through its clip
//! index) into its own layout, runs its inserts, applies fader and pan,
//! adds the result to its output bus and its sends; buses and the master
//! do the same with what arrived. Processors live in the renderer's pool,
//! not in the plan, so a new plan keeps their state.
//!
//! Real-time invariant: nothing in this module allocates, frees, locks or does I/O.

use crate::meters::MeterBank;
use crate::plan::{DelayLine, PlanClip, PlanInsert, PlanStrip, RenderPlan, Slot, StripKind};
use crate::team::Team;
use dubstage_dsp::fade::scale_by_fade;
use dubstage_dsp::mix::{add, add_scaled};
use dubstage_dsp::{GainRamp, MAX_CHANNELS, split_rows};
use dubstage_model::{InsertId, SamplePos};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Renders a plan from a playhead position.
#[derive(Debug)]
pub struct Renderer {
    plan: Box<RenderPlan>,
    /// The previous plan while a crossfade to `plan` is under way.
    fading: Option<Box<RenderPlan>>,
    xfade_done: u32,
    xfade_len: u32,
    /// A plan whose crossfade finished, waiting to be handed back.
    retired: Option<Box<RenderPlan>>,
    position: i64,
    /// The processors, by slot (see [`crate::plan::Compiler`]).
    pool: Vec<Option<Box<Slot>>>,
    faults: u64,
    last_fault: Option<InsertId>,
    tap: Tap,
    /// Offline only: threads that run the tracks of a block at once.
    workers: Option<Workers>,
}

/// The output of one insert, copied (mono sum) for a display spectrum.
#[derive(Debug, Default)]
pub(crate) struct Tap {
    pub(crate) id: Option<InsertId>,
    pub(crate) buf: Vec<f32>,
}

/// The output of one rendered block: master and bus (stem) signals.
#[derive(Debug)]
pub struct Block<'a> {
    pub start: SamplePos,
    pub frames: usize,
    plan: &'a RenderPlan,
}

impl<'a> Block<'a> {
    /// Master left and right.
    pub fn master(&self) -> (&'a [f32], &'a [f32]) {
        let s = &self.plan.strips[self.plan.master];
        let mb = self.plan.max_block;
        (&s.out[..self.frames], &s.out[mb..mb + self.frames])
    }

    /// Output of bus `index` (in [`RenderPlan::bus_names`] order), after the
    /// bus fader and the master fader (not the master's inserts), delayed
    /// to line up with the master.
    pub fn bus(&self, index: usize) -> (&'a [f32], &'a [f32]) {
        let s = &self.plan.strips[self.plan.bus_strips[index]];
        let mb = self.plan.max_block;
        (&s.stem[..self.frames], &s.stem[mb..mb + self.frames])
    }

    /// Number of buses.
    pub fn bus_count(&self) -> usize {
        self.plan.bus_strips.len()
    }
}

/// Samples the tap holds between reads.
const TAP_CAPACITY: usize = 16_384;

/// Flush-to-zero and denormals-are-zero while rendering, restored after.
struct DenormalGuard {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

impl DenormalGuard {
    #[inline]
    fn new() -> DenormalGuard {
        #[cfg(target_arch = "x86_64")]
        {
            let mut saved: u32 = 0;
            // SAFETY: reads and writes the SSE control register of this
            // thread only; FTZ|DAZ change no memory and are undone on drop.
            unsafe {
                std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved, options(nostack));
                let on = saved | 0x8040;
                std::arch::asm!("ldmxcsr [{}]", in(reg) &on, options(nostack, readonly));
            }
            DenormalGuard { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        DenormalGuard {}
    }
}

impl Drop for DenormalGuard {
    #[inline]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: restores the value read in `new`.
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &self.saved, options(nostack, readonly));
        }
    }
}

impl Renderer {
    pub fn new(mut plan: Box<RenderPlan>) -> Renderer {
        let mut pool = Vec::with_capacity(crate::plan::POOL_SLOTS);
        pool.resize_with(crate::plan::POOL_SLOTS, || None);
        let mut r = Renderer {
            plan: Box::new(crate::plan::compile(
                &dubstage_model::Project::new(""),
                &crate::plan::Sources::new(),
                crate::plan::CompileOptions { max_block: 1 },
            )),
            fading: None,
            xfade_done: 0,
            xfade_len: 0,
            retired: None,
            position: 0,
            pool,
            faults: 0,
            last_fault: None,
            tap: Tap {
                id: None,
                buf: Vec::with_capacity(TAP_CAPACITY),
            },
            workers: None,
        };
        r.install(&mut plan);
        r.plan = plan;
        r
    }

    /// For offline renders: runs the tracks of each block on `threads`
    /// threads (the machine's cores for `None`; one means none of its own),
    /// two stereo tracks at a time where their inserts match. The samples
    /// are the same bits as without. Never for a renderer on the audio
    /// thread: handing work to threads takes locks.
    pub fn use_threads(&mut self, threads: Option<usize>) {
        let threads = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, 64);
        self.workers = Some(Workers {
            team: Team::new(threads),
            order: Vec::new(),
            routes: Vec::new(),
        });
    }

    /// Renders and drops the plan's latency, so the next block is what the
    /// timeline holds at the located position (offline renders start so;
    /// the real-time processor reports an earlier playhead instead).
    pub fn skip_latency(&mut self) {
        let mut pre = self.plan.latency;
        while pre > 0 {
            let want = pre.min(self.plan.max_block.max(1));
            let frames = self.render_block(want).frames;
            if frames == 0 {
                break;
            }
            pre -= frames.min(pre);
        }
    }

    /// Threads rendering each block (1 without workers).
    pub fn threads(&self) -> usize {
        self.workers
            .as_ref()
            .and_then(|w| w.team.as_ref())
            .map_or(1, Team::threads)
    }

    /// The next sample to be rendered.
    pub fn position(&self) -> SamplePos {
        SamplePos(self.position)
    }

    /// Moves the playhead; the next block starts at `pos`.
    pub fn locate(&mut self, pos: SamplePos) {
        self.position = pos.0;
    }

    pub fn plan(&self) -> &RenderPlan {
        &self.plan
    }

    pub(crate) fn plan_mut(&mut self) -> &mut RenderPlan {
        &mut self.plan
    }

    /// The plan being crossfaded out, if any.
    pub(crate) fn fading_mut(&mut self) -> Option<&mut RenderPlan> {
        self.fading.as_deref_mut()
    }

    pub(crate) fn plan_and_pool(&mut self) -> (&mut RenderPlan, &mut [Option<Box<Slot>>]) {
        (&mut self.plan, &mut self.pool)
    }

    /// Copies the output of insert `id` (mono sum) for [`Renderer::take_tap`].
    pub fn set_tap(&mut self, id: Option<InsertId>) {
        self.tap.id = id;
        self.tap.buf.clear();
    }

    /// The tapped samples since the last call (see [`Renderer::set_tap`]).
    pub fn take_tap(&mut self) -> &mut Vec<f32> {
        &mut self.tap.buf
    }

    /// Samples by which the master lags the timeline (see [`RenderPlan::latency`]).
    pub fn latency(&self) -> usize {
        self.plan.latency
    }

    /// Inserts that produced a non-finite sample (and were reset and
    /// bypassed), and the last of them.
    pub fn faults(&self) -> (u64, Option<InsertId>) {
        (self.faults, self.last_fault)
    }

    /// Moves the plan's new processors into the pool (and the removed
    /// ones into the plan, to be freed with it off the audio thread), then
    /// gives every processor the plan's parameter values.
    fn install(&mut self, plan: &mut RenderPlan) {
        let RenderPlan {
            evict,
            evicted,
            installs,
            strips,
            ..
        } = plan;
        let keep = |b: Box<Slot>, evicted: &mut Vec<Box<Slot>>| {
            if evicted.len() < evicted.capacity() {
                evicted.push(b);
            } else {
                // Never free on the audio thread; sized so this cannot happen.
                std::mem::forget(b);
            }
        };
        for &slot in evict.iter() {
            if let Some(b) = self.pool.get_mut(slot).and_then(Option::take) {
                keep(b, evicted);
            }
        }
        for ins in installs.iter_mut() {
            if let (Some(b), Some(dst)) = (ins.proc.take(), self.pool.get_mut(ins.slot))
                && let Some(old) = dst.replace(b)
            {
                keep(old, evicted);
            }
        }
        for strip in strips.iter() {
            for ins in &strip.inserts {
                let Some(Some(slot)) = self.pool.get_mut(ins.slot) else {
                    continue;
                };
                if slot.generation != ins.generation || slot.insert != ins.id {
                    continue;
                }
                let Slot { proc, values, .. } = &mut **slot;
                for i in 0..ins.n_values {
                    if values[i].to_bits() != ins.values[i].to_bits() {
                        values[i] = ins.values[i];
                        proc.set_indexed(i as u16, ins.values[i], values);
                    }
                }
            }
        }
    }

    /// Starts a linear crossfade of `len` samples from the current plan to
    /// `plan` (of each track's clip sum: the strips after it run once, on
    /// the new plan, so no processor runs twice). Returns a plan that must
    /// be disposed of off the audio thread: one whose crossfade was cut
    /// short by this call.
    pub fn crossfade_to(&mut self, mut plan: Box<RenderPlan>, len: u32) -> Option<Box<RenderPlan>> {
        self.install(&mut plan);
        let old = std::mem::replace(&mut self.plan, plan);
        if len == 0 {
            return Some(old);
        }
        // Match the new plan's tracks with the old plan's.
        let new = &mut *self.plan;
        for (i, s) in new.strips.iter().enumerate() {
            new.xfade_map[i] = match s.kind {
                StripKind::Track(_) => old.strips.iter().position(|o| o.kind == s.kind),
                _ => None,
            };
        }
        self.xfade_done = 0;
        self.xfade_len = len;
        self.fading.replace(old)
    }

    /// Ends a crossfade at once (in silence, where nothing can click) and
    /// hands back the plan that was fading out.
    pub fn end_fade(&mut self) -> Option<Box<RenderPlan>> {
        self.xfade_done = self.xfade_len;
        self.fading.take()
    }

    /// Takes the plan whose crossfade has finished, to be handed back.
    pub fn take_retired(&mut self) -> Option<Box<RenderPlan>> {
        self.retired.take()
    }

    /// Whether a crossfade is under way.
    pub fn is_crossfading(&self) -> bool {
        self.fading.is_some()
    }

    /// Installs a new plan at a block boundary and hands back the old one
    /// (which the caller must not drop on the audio thread).
    pub fn swap_plan(&mut self, mut plan: Box<RenderPlan>) -> Box<RenderPlan> {
        self.install(&mut plan);
        std::mem::replace(&mut self.plan, plan)
    }

    /// Renders up to `frames` samples (at most the plan's `max_block`) from
    /// the playhead and advances it.
    pub fn render_block(&mut self, frames: usize) -> Block<'_> {
        let mut n = frames.min(self.plan.max_block);
        if let Some(old) = &self.fading {
            n = n.min(old.max_block);
        }
        let start = self.position;
        {
            let _ftz = DenormalGuard::new();
            let xfade = self
                .fading
                .as_deref_mut()
                .map(|old| (old, self.xfade_done, self.xfade_len));
            let (faults, last) = mix_block(
                &mut self.plan,
                &mut self.pool,
                &mut self.tap,
                xfade,
                self.workers.as_mut(),
                start,
                n,
            );
            if faults > 0 {
                self.faults += faults;
                self.last_fault = last;
            }
        }
        if self.fading.is_some() {
            self.xfade_done = self.xfade_done.saturating_add(n as u32);
            if self.xfade_done >= self.xfade_len && self.retired.is_none() {
                self.retired = self.fading.take();
            }
        }
        self.position += n as i64;
        Block {
            start: SamplePos(start),
            frames: n,
            plan: &self.plan,
        }
    }

    /// Renders interleaved output of any length (chunked by `max_block`):
    /// master L/R in channels 1–2, silence in any further channels, and the
    /// L/R average on a mono device.
    pub fn process_interleaved(&mut self, out: &mut [f32], channels: usize) {
        if channels == 0 {
            return;
        }
        let mut done = 0;
        let total = out.len() / channels;
        while done < total {
            let block = self.render_block(total - done);
            let (l, r) = block.master();
            let frames = block.frames;
            let dst = &mut out[done * channels..(done + frames) * channels];
            if channels == 1 {
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = 0.5 * (l[i] + r[i]);
                }
            } else {
                for (i, frame) in dst.chunks_exact_mut(channels).enumerate() {
                    frame[0] = l[i];
                    frame[1] = r[i];
                    for extra in &mut frame[2..] {
                        *extra = 0.0;
                    }
                }
            }
            done += frames;
        }
        out[total * channels..].fill(0.0);
    }
}

/// `dst = src · ramp` (a copy of the ramp: the caller advances the original).
#[inline]
fn write_ramped(dst: &mut [f32], src: &[f32], mut ramp: GainRamp) {
    if ramp.is_settled() {
        let g = ramp.current();
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s * g;
        }
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s * ramp.next_gain();
        }
    }
}

/// `buf *= ramp` (a copy of the ramp).
#[inline]
fn scale_ramped(buf: &mut [f32], mut ramp: GainRamp) {
    if ramp.is_settled() {
        let g = ramp.current();
        if g != 1.0 {
            for v in buf.iter_mut() {
                *v *= g;
            }
        }
    } else {
        for v in buf.iter_mut() {
            *v *= ramp.next_gain();
        }
    }
}

/// `dst += src · a · b` (copies of the ramps).
#[inline]
fn add_ramped2(dst: &mut [f32], src: &[f32], mut a: GainRamp, mut b: GainRamp) {
    if a.is_settled() && b.is_settled() {
        let g = a.current() * b.current();
        if g == 0.0 {
            return;
        }
        for (d, s) in dst.iter_mut().zip(src) {
            *d += *s * g;
        }
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d += *s * a.next_gain() * b.next_gain();
        }
    }
}

/// Linear crossfade: `new = old·(1−g) + new·g`, with `g` rising from
/// `(done+1)/len` to 1 over the block. Linear, not equal-power, because the
/// two plans mostly carry the same (correlated) audio: linear keeps its level.
fn blend(old: &[f32], new: &mut [f32], done: u32, len: u32) {
    let len = len.max(1) as f32;
    for (i, (o, v)) in old.iter().zip(new.iter_mut()).enumerate() {
        let g = ((done as f32 + i as f32 + 1.0) / len).min(1.0);
        *v = *o + (*v - *o) * g;
    }
}

/// Sums a track's clips overlapping the block into its rows; returns
/// whether any clip was there. The first clip that has samples here writes
/// the rows (zeros around its part) and the others add to them, instead of
/// clearing the rows first.
fn sum_clips(s: &mut PlanStrip, mb: usize, start: i64, n: usize) -> bool {
    let at = start - s.read_delay;
    let (l, r) = s.buf.split_at_mut(mb);
    let mut any = false;
    let mut written = false;
    for clip in s.clips.overlapping(at, at + n as i64) {
        any = true;
        let right = (s.channels == 2).then_some(&mut r[..n]);
        written |= mix_clip(clip, at, n, &mut l[..n], right, !written);
    }
    if !written {
        l[..n].fill(0.0);
        if s.channels == 2 {
            r[..n].fill(0.0);
        }
    }
    any
}

/// Mixes one block of the whole graph. Returns the number of inserts that
/// faulted (non-finite output) and the last one.
pub(crate) fn mix_block(
    plan: &mut RenderPlan,
    pool: &mut [Option<Box<Slot>>],
    tap: &mut Tap,
    mut xfade: Option<(&mut RenderPlan, u32, u32)>,
    workers: Option<&mut Workers>,
    start: i64,
    n: usize,
) -> (u64, Option<InsertId>) {
    let RenderPlan {
        strips,
        metering,
        meters,
        max_block,
        xfade_map,
        master,
        ..
    } = plan;
    let (metering, mb, master) = (*metering, *max_block, *master);
    let mut faults = 0u64;
    let mut last_fault = None;
    // Buses and the master collect their inputs from earlier strips.
    for s in strips.iter_mut() {
        if !matches!(s.kind, StripKind::Track(_)) {
            s.buf[..n].fill(0.0);
            s.buf[mb..mb + n].fill(0.0);
            s.fed = false;
        }
    }
    // A track the new plan no longer has (deleted while playing) fades out
    // over the crossfade into the strip it fed, instead of stopping dead.
    if let Some((old, d, len)) = xfade.as_mut() {
        let omb = old.max_block;
        for j in 0..old.strips.len() {
            if !matches!(old.strips[j].kind, StripKind::Track(_)) || xfade_map.contains(&Some(j)) {
                continue;
            }
            let Some(dest_kind) = old.strips[j]
                .output
                .and_then(|o| old.strips.get(o))
                .map(|s| s.kind)
            else {
                continue;
            };
            let Some(dest) = strips.iter_mut().find(|s| s.kind == dest_kind) else {
                continue;
            };
            let o = &mut old.strips[j];
            if !sum_clips(o, omb, start, n) {
                continue;
            }
            let (bl, br) = o.buf.split_at(omb);
            let br = if o.channels == 2 { &br[..n] } else { &bl[..n] };
            let (ol, or) = o.out.split_at_mut(omb);
            write_ramped(&mut ol[..n], &bl[..n], o.out_l);
            write_ramped(&mut or[..n], br, o.out_r);
            let (dl, dr) = dest.buf.split_at_mut(mb);
            let fade = (*len).max(1) as f32;
            for k in 0..n {
                let g = 1.0 - ((*d as f32 + k as f32 + 1.0) / fade).min(1.0);
                dl[k] += ol[k] * g;
                dr[k] += or[k] * g;
            }
            dest.fed = true;
        }
    }
    // With workers, the tracks that no sidechain keys run their own part
    // (clip sum, inserts, fader and pan) at once, one per worker; their
    // routing below stays in plan order, so the sums are the same bits.
    let mut workers = workers;
    let staged = match workers.as_deref_mut() {
        Some(w) if xfade.is_none() && tap.id.is_none() => {
            stage_tracks(w, strips, pool, meters, metering, start, n, mb)
        }
        _ => None,
    };
    if let Some((f, last)) = staged {
        faults += f;
        last_fault = last.or(last_fault);
    }
    // The staged tracks at the head of the plan add their outputs (and
    // steady sends) into what they feed on every thread at once, each over
    // its own frames: every sample still gets its terms in plan order.
    let routed = match workers {
        Some(w) if staged.is_some() => route_head(w, strips, n, mb),
        _ => 0,
    };
    let mut slots = Slots::Owned(pool);
    for i in 0..strips.len() {
        let (done, rest) = strips.split_at_mut(i);
        let Some((s, later)) = rest.split_first_mut() else {
            break;
        };
        let staged = std::mem::replace(&mut s.staged, Staged::No);
        let t0 = (metering && !s.inserts.is_empty()).then(Instant::now);
        let sounding = match staged {
            Staged::Skipped => continue,
            Staged::Sounding(sounding) => sounding,
            Staged::No => {
                let old = match xfade.as_mut() {
                    Some((old, d, len)) => {
                        let omb = old.max_block;
                        xfade_map
                            .get(i)
                            .copied()
                            .flatten()
                            .and_then(|j| old.strips.get_mut(j))
                            .map(|o| (o, omb, *d, *len))
                    }
                    None => None,
                };
                let mut tap = Some(&mut *tap);
                let local = strip_local(
                    s, done, &mut slots, &mut tap, meters, metering, old, start, n, mb,
                );
                match local {
                    Local::Skipped => continue,
                    Local::Sounding {
                        sounding,
                        faults: f,
                        last,
                    } => {
                        faults += f;
                        last_fault = last.or(last_fault);
                        sounding
                    }
                }
            }
        };
        let added = i < routed;
        strip_route(
            s, i, later, master, sounding, added, metering, t0, start, n, mb,
        );
    }
    (faults, last_fault)
}

/// What [`stage_tracks`] left in a strip for the routing pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Staged {
    /// Not run yet: the routing pass runs it whole.
    No,
    /// Ran and feeds nothing this block.
    Skipped,
    /// Ran; whether it sounds (its output to be routed).
    Sounding(bool),
}

/// What [`strip_local`] did.
enum Local {
    Skipped,
    Sounding {
        sounding: bool,
        faults: u64,
        last: Option<InsertId>,
    },
}

/// The processor pool, owned by one thread or shared by the workers of
/// [`stage_tracks`] (each of which touches only its strips' slots).
enum Slots<'a> {
    Owned(&'a mut [Option<Box<Slot>>]),
    Shared(&'a Disjoint<Option<Box<Slot>>>),
}

impl Slots<'_> {
    fn get(&mut self, i: usize) -> Option<&mut Slot> {
        match self {
            Slots::Owned(p) => p.get_mut(i).and_then(|s| s.as_deref_mut()),
            // SAFETY: `stage_tracks` hands a slot only to the strip whose
            // insert names it, and it checks first that no slot is named
            // twice; a strip is on one worker only.
            Slots::Shared(p) => unsafe { p.get(i) }.and_then(|s| s.as_deref_mut()),
        }
    }
}

/// A slice behind a pointer, for threads that each take elements no other
/// thread takes: the pool's slots, the plan's strips.
struct Disjoint<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Disjoint<T> {
    fn new(items: &mut [T]) -> Disjoint<T> {
        Disjoint {
            ptr: items.as_mut_ptr(),
            len: items.len(),
        }
    }

    /// # Safety
    /// No other reference to element `i` may be alive while the result is.
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        // SAFETY: in bounds; exclusive by the caller's promise.
        Some(unsafe { &mut *self.ptr.add(i) })
    }
}

// SAFETY: elements are only reached through `Disjoint::get`, whose callers
// touch disjoint elements; the elements are `Send`.
unsafe impl<T: Send> Sync for Disjoint<T> {}

/// Runs the own part of every track no insert keys from, on the team (on
/// this thread without one), two stereo tracks at a time where they match.
/// Returns `None` (nothing staged) when a slot is named twice, else the
/// faults met and the last one (in plan order).
#[allow(clippy::too_many_arguments)]
fn stage_tracks(
    workers: &mut Workers,
    strips: &mut [PlanStrip],
    pool: &mut [Option<Box<Slot>>],
    meters: &MeterBank,
    metering: bool,
    start: i64,
    n: usize,
    mb: usize,
) -> Option<(u64, Option<InsertId>)> {
    let own = |s: &PlanStrip| {
        matches!(s.kind, StripKind::Track(_)) && s.inserts.iter().all(|i| i.sidechain.is_none())
    };
    // Handing tracks to threads costs more than summing clips: only tracks
    // with inserts to run are worth it, and at least two of them.
    let busy = strips
        .iter()
        .filter(|s| own(s) && s.inserts.iter().any(|i| !i.bypass))
        .count();
    if busy < 2 {
        return None;
    }
    let mut named = [0u64; crate::plan::POOL_SLOTS / 64];
    for s in strips.iter().filter(|s| own(s)) {
        for ins in &s.inserts {
            let (w, b) = (ins.slot / 64, 1u64 << (ins.slot % 64));
            match named.get_mut(w) {
                Some(word) if *word & b == 0 => *word |= b,
                _ => return None,
            }
        }
    }
    // The tracks with inserts to run go first, so the last ones taken are
    // the cheap ones and the threads finish together. Among them, two
    // stereo tracks with as many inserts go as a pair, whose inserts of a
    // kind run together ([`pair_local`]).
    let Workers { team, order, .. } = workers;
    order.clear();
    let mut pending: Option<usize> = None;
    for (i, s) in strips.iter().enumerate() {
        if !own(s) || !running(s, start, n) {
            continue;
        }
        if s.channels != 2 || s.inserts.is_empty() {
            order.push([i, NONE]);
            continue;
        }
        match pending {
            Some(p) if strips[p].inserts.len() == s.inserts.len() => {
                order.push([p, i]);
                pending = None;
            }
            Some(p) => {
                order.push([p, NONE]);
                pending = Some(i);
            }
            None => pending = Some(i),
        }
    }
    if let Some(p) = pending {
        order.push([p, NONE]);
    }
    for (i, s) in strips.iter().enumerate() {
        if own(s) && !running(s, start, n) {
            order.push([i, NONE]);
        }
    }
    let shared = Disjoint::new(pool);
    let rows = Disjoint::new(strips);
    let next = AtomicUsize::new(0);
    let (order, shared, rows, next) = (&*order, &shared, &rows, &next);
    let job = || {
        let _ftz = DenormalGuard::new();
        let keep = |s: &mut PlanStrip, local: Local| {
            (s.staged, s.staged_faults) = match local {
                Local::Skipped => (Staged::Skipped, (0, None)),
                Local::Sounding {
                    sounding,
                    faults,
                    last,
                } => (Staged::Sounding(sounding), (faults, last)),
            };
        };
        while let Some(&[i, j]) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            // SAFETY: `order` names each strip once and each entry is
            // taken by one thread only.
            let (Some(a), b) = (unsafe { rows.get(i) }, unsafe { rows.get(j) }) else {
                continue;
            };
            match b {
                Some(b) => {
                    let (la, lb) = pair_local(a, b, shared, meters, metering, start, n, mb);
                    keep(a, la);
                    keep(b, lb);
                }
                None => {
                    let mut slots = Slots::Shared(shared);
                    let local = strip_local(
                        a,
                        &[],
                        &mut slots,
                        &mut None,
                        meters,
                        metering,
                        None,
                        start,
                        n,
                        mb,
                    );
                    keep(a, local);
                }
            }
        }
    };
    match team {
        Some(team) => team.run(&job),
        None => job(),
    }
    let mut faults = 0;
    let mut last = None;
    for s in strips.iter_mut().filter(|s| own(s)) {
        let (f, l) = std::mem::take(&mut s.staged_faults);
        faults += f;
        last = l.or(last);
    }
    Some((faults, last))
}

/// One addition of [`route_head`]: `dst[k] += src[k]` (or `src[k] · gain`)
/// for both sides, over the frames a thread takes.
#[derive(Clone, Copy)]
struct Route {
    src: [*const f32; 2],
    dst: [*mut f32; 2],
    gain: Option<f32>,
}

// SAFETY: a `Route` is only followed inside `route_head`, where no other
// reference to its buffers is alive and each thread touches its own
// frames of them.
unsafe impl Send for Route {}
// SAFETY: as above.
unsafe impl Sync for Route {}

/// Whether strip `s`'s additions into what it feeds can be split by frames
/// ([`route_head`]): a staged track with no delay on its output or sends,
/// and sends with steady, unautomated gains.
fn splits_by_frames(s: &PlanStrip) -> bool {
    matches!(s.kind, StripKind::Track(_))
        && s.staged != Staged::No
        && s.out_delay.is_none()
        && s.sends.iter().all(|send| {
            send.delay.is_none()
                && send.auto.is_none()
                && send.gain.is_settled()
                && (!send.pre || (s.pre_l.is_settled() && s.pre_r.is_settled()))
        })
}

/// Adds the outputs and sends of the strips at the head of the plan that
/// [`splits_by_frames`] allows into the strips they feed, on every thread
/// of the team, each thread over its own part of the block's frames, in
/// plan order within it: the same additions in the same order for every
/// sample as [`strip_route`] makes. Returns how many strips it did (their
/// routing then skips the additions); 0 without a team of two or more.
fn route_head(workers: &mut Workers, strips: &mut [PlanStrip], n: usize, mb: usize) -> usize {
    let Workers { team, routes, .. } = workers;
    let Some(team) = team.as_ref().filter(|t| t.threads() >= 2) else {
        return 0;
    };
    let head = strips.iter().take_while(|s| splits_by_frames(s)).count();
    if head < 2 {
        return 0;
    }
    routes.clear();
    for i in 0..head {
        let (front, later) = strips.split_at_mut(i + 1);
        let s = &front[i];
        let Staged::Sounding(true) = s.staged else {
            continue;
        };
        let rows = |v: &Vec<f32>, stereo: bool| {
            let p = v.as_ptr();
            // SAFETY: a strip's rows are `mb` long each, the second after the first.
            [p, if stereo { unsafe { p.add(mb) } } else { p }]
        };
        let mut feed = |dest: usize, src: [*const f32; 2], gain: Option<f32>| {
            if let Some(d) = dest.checked_sub(i + 1).and_then(|d| later.get_mut(d)) {
                let p = d.buf.as_mut_ptr();
                // SAFETY: as above.
                routes.push(Route {
                    src,
                    dst: [p, unsafe { p.add(mb) }],
                    gain,
                });
            }
        };
        for send in &s.sends {
            // As `add_ramped2` with settled ramps: one gain, nothing added
            // when it is zero.
            let (src, g) = if send.pre {
                let src = rows(&s.buf, s.channels == 2);
                (
                    src,
                    [
                        send.gain.current() * s.pre_l.current(),
                        send.gain.current() * s.pre_r.current(),
                    ],
                )
            } else {
                // After the fader: `add_ramped2` with a unit second ramp.
                (rows(&s.out, true), [send.gain.current() * 1.0; 2])
            };
            if g[0] == g[1] {
                if g[0] != 0.0 {
                    feed(send.dest, src, Some(g[0]));
                }
            } else {
                // Each side on its own gain.
                for side in 0..2 {
                    if g[side] != 0.0 {
                        let mut one_side = src;
                        one_side[1 - side] = std::ptr::null();
                        feed(send.dest, one_side, Some(g[side]));
                    }
                }
            }
        }
        if let Some(o) = s.output {
            feed(o, rows(&s.out, true), None);
        }
    }
    let parts = team.threads();
    let chunk = n.div_ceil(parts).next_multiple_of(16);
    let next = AtomicUsize::new(0);
    let routes = &*routes;
    team.run(&|| {
        loop {
            let lo = next.fetch_add(1, Ordering::Relaxed) * chunk;
            if lo >= n {
                break;
            }
            let hi = (lo + chunk).min(n);
            for r in routes {
                for side in 0..2 {
                    if r.src[side].is_null() {
                        continue;
                    }
                    // SAFETY: the pointers are to rows of `mb ≥ n` frames
                    // of strips no one else touches during this run; the
                    // sources are only read, and each thread writes its
                    // own frames `lo..hi` of the destinations.
                    let (src, dst) = unsafe {
                        (
                            std::slice::from_raw_parts(r.src[side].add(lo), hi - lo),
                            std::slice::from_raw_parts_mut(r.dst[side].add(lo), hi - lo),
                        )
                    };
                    match r.gain {
                        None => add(dst, src),
                        Some(g) => add_scaled(dst, src, g),
                    }
                }
            }
        }
    });
    head
}

/// Whether a track's inserts run this block: a clip plays in it, or their
/// tail is still sounding.
fn running(s: &PlanStrip, start: i64, n: usize) -> bool {
    let at = start - s.read_delay;
    s.clips.overlapping(at, at + n as i64).next().is_some()
        || (!s.inserts.is_empty() && s.quiet_run < s.hold)
}

/// The workers of an offline renderer: the team, and the order in which
/// it takes a block's tracks.
pub(crate) struct Workers {
    /// None for one thread: the calling thread does it all.
    team: Option<Team>,
    /// The additions of [`route_head`], kept between blocks.
    routes: Vec<Route>,
    /// Pairs of strip indices; a lone strip has [`NONE`] beside it.
    order: Vec<[usize; 2]>,
}

/// No strip, in [`Workers::order`].
const NONE: usize = usize::MAX;

/// [`strip_local`] for two stereo tracks at once, on one worker. Where
/// insert `k` of both is plain ([`plain_slot`]) and of a kind that runs two
/// at once (filters, compressors), both run together ([`crate::inserts::Proc::process_pair`]),
/// with the same bits as each alone; every other insert runs as
/// [`run_insert`] runs it.
#[allow(clippy::too_many_arguments)]
fn pair_local(
    a: &mut PlanStrip,
    b: &mut PlanStrip,
    shared: &Disjoint<Option<Box<Slot>>>,
    meters: &MeterBank,
    metering: bool,
    start: i64,
    n: usize,
    mb: usize,
) -> (Local, Local) {
    let ha = strip_head(a, None, metering, start, n, mb);
    let hb = strip_head(b, None, metering, start, n, mb);
    let runs = |h: &Head| matches!(h, Head::Run(Live { idle: false, .. }));
    let (run_a, run_b) = (runs(&ha), runs(&hb));
    let (mut fa, mut fb) = (Faults::default(), Faults::default());
    let mut slots = Slots::Shared(shared);
    let mut no_tap = None;
    let inserts = if run_a || run_b {
        a.inserts.len().max(b.inserts.len())
    } else {
        0
    };
    for k in 0..inserts {
        let both = run_a && run_b && k < a.inserts.len() && k < b.inserts.len();
        if both && a.channels == 2 && b.channels == 2 {
            let (ia, ib) = (&a.inserts[k], &b.inserts[k]);
            // SAFETY: `stage_tracks` checked that no slot is named twice,
            // so these are two slots, reached by no one else while this
            // thread holds the two strips; the references end before the
            // pool is reached again.
            let (sa, sb) = unsafe { (shared.get(ia.slot), shared.get(ib.slot)) };
            let sa = plain_slot(ia, sa.and_then(|s| s.as_deref_mut()));
            let sb = plain_slot(ib, sb.and_then(|s| s.as_deref_mut()));
            if let (Some(sa), Some(sb)) = (sa, sb) {
                let mut ra: [&mut [f32]; MAX_CHANNELS] = Default::default();
                let mut rb: [&mut [f32]; MAX_CHANNELS] = Default::default();
                split_rows(&mut a.buf, mb, n, &mut ra);
                split_rows(&mut b.buf, mb, n, &mut rb);
                let finite = sa
                    .proc
                    .process_pair(&mut sb.proc, &mut ra[..2], &mut rb[..2]);
                if let Some([fin_a, fin_b]) = finite {
                    let mut post = |s, slot, finite, faults| {
                        let (tap, m) = (&mut no_tap, metering);
                        after_insert(s, k, slot, tap, meters, m, Some(finite), n, mb, faults);
                    };
                    post(&mut *a, sa, fin_a, &mut fa);
                    post(&mut *b, sb, fin_b, &mut fb);
                    continue;
                }
            }
        }
        for (s, runs, f) in [(&mut *a, run_a, &mut fa), (&mut *b, run_b, &mut fb)] {
            if runs && k < s.inserts.len() {
                run_insert(
                    s,
                    k,
                    &[],
                    &mut slots,
                    &mut no_tap,
                    meters,
                    metering,
                    start,
                    n,
                    mb,
                    f,
                );
            }
        }
    }
    let tail = |s: &mut PlanStrip, h: Head, f: Faults| match h {
        Head::Done(local) => local,
        Head::Run(live) => strip_tail(s, live, f, start, n, mb),
    };
    (tail(a, ha, fa), tail(b, hb, fb))
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("threads", &self.team.as_ref().map_or(1, Team::threads))
            .finish_non_exhaustive()
    }
}

/// A strip's own part of a block: its input (a track's clip sum, blended
/// over a crossfade with `old`, the strip it replaces), its inserts, and
/// fader and pan into `out`.
#[allow(clippy::too_many_arguments)]
fn strip_local(
    s: &mut PlanStrip,
    done: &[PlanStrip],
    slots: &mut Slots<'_>,
    tap: &mut Option<&mut Tap>,
    meters: &MeterBank,
    metering: bool,
    old: Option<(&mut PlanStrip, usize, u32, u32)>,
    start: i64,
    n: usize,
    mb: usize,
) -> Local {
    let live = match strip_head(s, old, metering, start, n, mb) {
        Head::Done(local) => return local,
        Head::Run(live) => live,
    };
    let mut faults = Faults::default();
    if !live.idle {
        for k in 0..s.inserts.len() {
            run_insert(
                s,
                k,
                done,
                slots,
                tap,
                meters,
                metering,
                start,
                n,
                mb,
                &mut faults,
            );
        }
    }
    strip_tail(s, live, faults, start, n, mb)
}

/// Whether a strip's input carries signal this block, and whether its
/// inserts are to run ([`strip_head`]).
#[derive(Clone, Copy)]
struct Live {
    input: bool,
    idle: bool,
}

/// What [`strip_head`] decided.
enum Head {
    /// Nothing more to do this block.
    Done(Local),
    /// Inserts (unless idle) and tail to follow.
    Run(Live),
}

/// The faults a strip's inserts met in a block, and the last one.
#[derive(Default)]
struct Faults {
    count: u64,
    last: Option<InsertId>,
}

/// The first part of [`strip_local`]: a track's clip sum (with the
/// crossfade from `old`), whether anything is left to run, and the master's
/// fader (which comes before its inserts).
fn strip_head(
    s: &mut PlanStrip,
    old: Option<(&mut PlanStrip, usize, u32, u32)>,
    metering: bool,
    start: i64,
    n: usize,
    mb: usize,
) -> Head {
    if let StripKind::Track(_) = s.kind {
        if s.is_silent() && s.inserts.is_empty() {
            zero_out(s);
            skip_ramps(s, n, true);
            return Head::Done(Local::Skipped);
        }
        let mut active = sum_clips(s, mb, start, n);
        if let Some((o, omb, d, len)) = old {
            let old_active = sum_clips(o, omb, start, n);
            if active || old_active {
                for c in 0..s.channels {
                    let oc = c.min(o.channels - 1);
                    let src = &o.buf[oc * omb..oc * omb + n];
                    blend(src, &mut s.buf[c * mb..c * mb + n], d, len);
                }
                active = true;
            }
        }
        s.active = active;
        if !active && s.inserts.is_empty() {
            zero_out(s);
            skip_ramps(s, n, true);
            if metering {
                s.meter.frames += n as u32;
            }
            return Head::Done(Local::Skipped);
        }
    }
    // No input, and the inserts' tails are over: nothing to run.
    let input_live = match s.kind {
        StripKind::Track(_) => s.active,
        _ => s.fed,
    };
    let idle = !input_live && (s.inserts.is_empty() || s.quiet_run >= s.hold);
    // The master's fader comes before its inserts, so a limiter there
    // is the last word (the delivery chain).
    if s.kind == StripKind::Master && !idle {
        let (bl, br) = s.buf.split_at_mut(mb);
        scale_ramped(&mut bl[..n], s.out_l);
        scale_ramped(&mut br[..n], s.out_r);
        if let Some(a) = s.auto.as_mut().filter(|a| a.fader_lane().is_some()) {
            a.fill(false, start - s.lag_in, n);
            for (v, g) in bl[..n].iter_mut().zip(&a.gf[..n]) {
                *v *= g;
            }
            for (v, g) in br[..n].iter_mut().zip(&a.gf[..n]) {
                *v *= g;
            }
        }
    }
    Head::Run(Live {
        input: input_live,
        idle,
    })
}

/// The slot insert `ins` runs in, when it runs this block as a whole with
/// its static values and no key: not bypassed, no automation, built for
/// this plan and not failed. Such inserts of two tracks may run as a pair.
fn plain_slot<'a>(ins: &PlanInsert, slot: Option<&'a mut Slot>) -> Option<&'a mut Slot> {
    let plain =
        !ins.bypass && ins.bypass_lane.is_none() && ins.lanes.is_empty() && ins.sidechain.is_none();
    slot.filter(|slot| plain && slot.generation == ins.generation && !slot.failed)
}

/// Runs insert `k` of strip `s` over the block (in runs on the automation
/// grid when it has lanes), then [`after_insert`].
#[allow(clippy::too_many_arguments)]
fn run_insert(
    s: &mut PlanStrip,
    k: usize,
    done: &[PlanStrip],
    slots: &mut Slots<'_>,
    tap: &mut Option<&mut Tap>,
    meters: &MeterBank,
    metering: bool,
    start: i64,
    n: usize,
    mb: usize,
    faults: &mut Faults,
) {
    let ins = &s.inserts[k];
    // A bypass lane decides, whatever the static switch says.
    if ins.bypass && ins.bypass_lane.is_none() {
        return;
    }
    let Some(slot) = slots.get(ins.slot) else {
        return;
    };
    if slot.generation != ins.generation || slot.failed {
        return;
    }
    let key_rows;
    let key = match ins.sidechain.and_then(|k| done.get(k)) {
        Some(k) => {
            key_rows = [&k.out[..n], &k.out[mb..mb + n]];
            Some(&key_rows[..])
        }
        None => None,
    };
    let mut rows: [&mut [f32]; MAX_CHANNELS] = Default::default();
    split_rows(&mut s.buf, mb, n, &mut rows);
    let bypass_lane = ins.bypass_lane.as_ref().filter(|_| !ins.bypass_touched);
    if ins.lanes.is_empty() && bypass_lane.is_none() {
        slot.proc.processor().process(&mut rows[..s.channels], key);
    } else {
        // Automated: in runs on the 64-sample grid of the timeline,
        // each with the lanes' values at its start (so any block size
        // gives the same bits).
        let t0 = start - s.lag_in - ins.lag;
        let mut a = 0usize;
        while a < n {
            let t = t0 + a as i64;
            let b = (a + (64 - t.rem_euclid(64)) as usize).min(n);
            let Slot { proc, values, .. } = &mut *slot;
            // The values at the run's grid point, wherever the block
            // began.
            let grid = t - t.rem_euclid(64);
            for (index, curve) in &ins.lanes {
                if *index < 64 && ins.touched & (1 << index) != 0 {
                    continue;
                }
                let i = usize::from(*index);
                let v = curve.value(grid) as f32;
                if i < values.len() && values[i] != v {
                    values[i] = v;
                    proc.set_indexed(*index, v, &values[..]);
                }
            }
            let bypassed = bypass_lane.is_some_and(|c| c.value(grid) >= 0.5);
            if !bypassed {
                let mut sub: [&mut [f32]; MAX_CHANNELS] = Default::default();
                for (dst, row) in sub.iter_mut().zip(rows.iter_mut()).take(s.channels) {
                    *dst = &mut row[a..b];
                }
                let key_sub;
                let key_part = match key {
                    Some(k) => {
                        key_sub = [&k[0][a..b], &k[1][a..b]];
                        Some(&key_sub[..])
                    }
                    None => None,
                };
                proc.processor().process(&mut sub[..s.channels], key_part);
            }
            a = b;
        }
    }
    after_insert(s, k, slot, tap, meters, metering, None, n, mb, faults);
}

/// What follows an insert's processing: a non-finite output is silenced
/// and the insert reset and bypassed (a fault); its gain reduction goes to
/// the meters; its output to the tap when the tap listens to it. `finite`
/// is whether the output is all finite, where the processor checked it
/// already (`None`: look here).
#[allow(clippy::too_many_arguments)]
fn after_insert(
    s: &mut PlanStrip,
    k: usize,
    slot: &mut Slot,
    tap: &mut Option<&mut Tap>,
    meters: &MeterBank,
    metering: bool,
    finite: Option<bool>,
    n: usize,
    mb: usize,
    faults: &mut Faults,
) {
    let ins = &s.inserts[k];
    let mut rows: [&mut [f32]; MAX_CHANNELS] = Default::default();
    split_rows(&mut s.buf, mb, n, &mut rows);
    let proc = slot.proc.processor();
    let finite = finite.unwrap_or_else(|| rows[..s.channels].iter().all(|r| all_finite(r)));
    if !finite {
        for r in rows[..s.channels].iter_mut() {
            r.fill(0.0);
        }
        proc.reset();
        slot.failed = true;
        faults.count += 1;
        faults.last = Some(ins.id);
    }
    if metering {
        meters
            .insert_at(ins.meter)
            .publish_reduction(proc.reduction_db());
    }
    if let Some(tap) = tap.as_mut()
        && tap.id == Some(ins.id)
    {
        let room = tap.buf.capacity() - tap.buf.len();
        let scale = 1.0 / s.channels as f32;
        for k in 0..n.min(room) {
            let v: f32 = rows[..s.channels].iter().map(|r| r[k]).sum();
            tap.buf.push(v * scale);
        }
    }
}

/// The last part of [`strip_local`]: how long the inserts' output has been
/// quiet, then fader and pan into `out`.
fn strip_tail(
    s: &mut PlanStrip,
    live: Live,
    faults: Faults,
    start: i64,
    n: usize,
    mb: usize,
) -> Local {
    let Live {
        input: input_live,
        idle,
    } = live;
    if !idle {
        let quiet = !input_live && {
            let (bl, br) = s.buf.split_at(mb);
            let quiet = |b: &[f32]| b.iter().all(|v| v.abs() < QUIET);
            quiet(&bl[..n]) && (s.channels == 1 || quiet(&br[..n]))
        };
        s.quiet_run = if quiet {
            s.quiet_run.saturating_add(n)
        } else {
            0
        };
    }
    // Fader and pan.
    if idle {
        zero_out(s);
    } else {
        s.out_zero = false;
        let (bl, br) = s.buf.split_at(mb);
        let br = if s.channels == 2 { &br[..n] } else { &bl[..n] };
        let (ol, or) = s.out.split_at_mut(mb);
        if s.kind == StripKind::Master {
            ol[..n].copy_from_slice(&bl[..n]);
            or[..n].copy_from_slice(br);
        } else {
            write_ramped(&mut ol[..n], &bl[..n], s.out_l);
            write_ramped(&mut or[..n], br, s.out_r);
            if let Some(a) = s.auto.as_mut() {
                a.fill(s.channels == 1, start - s.lag_out, n);
                for k in 0..n {
                    ol[k] *= a.gf[k] * a.pl[k];
                    or[k] *= a.gf[k] * a.pr[k];
                }
            }
        }
    }
    Local::Sounding {
        sounding: !idle,
        faults: faults.count,
        last: faults.last,
    }
}

/// A strip's routing for a block: its sends and output into the strips
/// after it (`later`, from index `i + 1`), a bus's stem, its meter.
#[allow(clippy::too_many_arguments)]
fn strip_route(
    s: &mut PlanStrip,
    i: usize,
    later: &mut [PlanStrip],
    master: usize,
    sounding: bool,
    added: bool,
    metering: bool,
    t0: Option<Instant>,
    start: i64,
    n: usize,
    mb: usize,
) {
    // Sends.
    for send in s.sends.iter_mut() {
        let Some(dest) = send.dest.checked_sub(i + 1).and_then(|d| later.get_mut(d)) else {
            continue;
        };
        if !sounding && send.delay.is_none() {
            send.gain.skip(n);
            continue;
        }
        dest.fed |= sounding;
        if added {
            // Added already ([`route_head`]).
            send.gain.skip(n);
            continue;
        }
        let (dl, dr) = dest.buf.split_at_mut(mb);
        let (sl, sr, pa, pb) = if send.pre {
            let (bl, br) = s.buf.split_at(mb);
            let br = if s.channels == 2 { &br[..n] } else { &bl[..n] };
            (&bl[..n], br, s.pre_l, s.pre_r)
        } else {
            let (ol, or) = s.out.split_at(mb);
            (&ol[..n], &or[..n], GainRamp::new(1.0), GainRamp::new(1.0))
        };
        // Automated level or mute (and, before the fader, the strip's
        // automated pan and mute): the signal scaled per sample first.
        let (sl, sr) = match send.auto.as_deref_mut() {
            Some(sa) => {
                let t = start - s.lag_out;
                match sa.level.as_ref().filter(|_| !sa.level_touched) {
                    Some(c) => c.fill_gain(t, &mut sa.gain[..n]),
                    None => sa.gain[..n].fill(1.0),
                }
                if let Some(m) = sa.mute.as_ref().filter(|_| !sa.mute_touched) {
                    for (k, g) in sa.gain[..n].iter_mut().enumerate() {
                        if m.value(t + k as i64) >= 0.5 {
                            *g = 0.0;
                        }
                    }
                }
                let (tl, tr) = sa.tmp.split_at_mut(mb);
                let pan = s.auto.as_deref().filter(|a| send.pre && a.pans());
                for k in 0..n {
                    let (fl, fr) = match pan {
                        Some(a) => (a.pl[k], a.pr[k]),
                        None => (1.0, 1.0),
                    };
                    tl[k] = sl[k] * sa.gain[k] * fl;
                    tr[k] = sr[k] * sa.gain[k] * fr;
                }
                (&tl[..n], &tr[..n])
            }
            None => (sl, sr),
        };
        match send.delay.as_mut() {
            None => {
                add_ramped2(&mut dl[..n], sl, send.gain, pa);
                add_ramped2(&mut dr[..n], sr, send.gain, pb);
            }
            Some(line) => {
                delayed_add(
                    line,
                    [&mut dl[..n], &mut dr[..n]],
                    [sl, sr],
                    [send.gain, send.gain],
                    [pa, pb],
                );
            }
        }
        send.gain.skip(n);
    }
    // Output.
    if let Some(dest) = s
        .output
        .and_then(|o| o.checked_sub(i + 1))
        .and_then(|d| later.get_mut(d))
        .filter(|_| sounding || s.out_delay.is_some())
    {
        dest.fed |= sounding;
        let (dl, dr) = dest.buf.split_at_mut(mb);
        let (ol, or) = s.out.split_at(mb);
        match s.out_delay.as_mut() {
            None if added => {}
            None => {
                add(&mut dl[..n], &ol[..n]);
                add(&mut dr[..n], &or[..n]);
            }
            Some(line) => {
                let one = GainRamp::new(1.0);
                delayed_add(
                    line,
                    [&mut dl[..n], &mut dr[..n]],
                    [&ol[..n], &or[..n]],
                    [one, one],
                    [one, one],
                );
            }
        }
    }
    // Stems: bus output × the master fader, lined up with the master.
    if let StripKind::Bus(_) = s.kind {
        let fader = master
            .checked_sub(i + 1)
            .and_then(|m| later.get(m))
            .map_or(GainRamp::new(1.0), |m| m.out_l);
        let (ol, or) = s.out.split_at(mb);
        let (tl, tr) = s.stem.split_at_mut(mb);
        write_ramped(&mut tl[..n], &ol[..n], fader);
        write_ramped(&mut tr[..n], &or[..n], fader);
        // An automated master fader, at the stem's own time.
        let master_lane = master
            .checked_sub(i + 1)
            .and_then(|m| later.get(m))
            .and_then(|m| m.auto.as_deref())
            .and_then(|a| a.fader_lane());
        if let (Some(curve), Some(a)) = (master_lane, s.auto.as_deref_mut())
            && a.stem.len() >= n
        {
            curve.fill_gain(start - s.lag_out, &mut a.stem[..n]);
            for k in 0..n {
                tl[k] *= a.stem[k];
                tr[k] *= a.stem[k];
            }
        }
        if let Some(line) = s.stem_delay.as_mut() {
            line.process([&mut tl[..n], &mut tr[..n]]);
        }
    }
    skip_ramps(s, n, false);
    if metering {
        let (ol, or) = s.out.split_at(mb);
        s.meter.add(&ol[..n], &or[..n]);
        s.meter.frames += n as u32;
        if let Some(t0) = t0 {
            s.meter.cost_ns += t0.elapsed().as_nanos() as u64;
        }
    }
}

/// Whether every sample is finite: a sample's exponent bits are all ones
/// only for an infinity or a NaN. The flags of all samples are or-ed
/// together: integer operations reorder freely, so the loop vectorises
/// over several registers at once with the baseline's instructions (a
/// floating-point sum would have made every eight samples wait for the
/// eight before).
#[inline]
fn all_finite(r: &[f32]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    r.iter().fold(0u32, |bad, v| {
        bad | u32::from(v.to_bits() & EXPONENT == EXPONENT)
    }) == 0
}

/// Below this a signal is silence for the purpose of skipping work (−140 dBFS).
const QUIET: f32 = 1e-7;

/// Zeroes a strip's output (once: it stays zero until written).
fn zero_out(s: &mut PlanStrip) {
    if !s.out_zero {
        s.out.fill(0.0);
        s.out_zero = true;
    }
}

fn skip_ramps(s: &mut PlanStrip, n: usize, sends: bool) {
    s.out_l.skip(n);
    s.out_r.skip(n);
    s.pre_l.skip(n);
    s.pre_r.skip(n);
    if sends {
        for send in s.sends.iter_mut() {
            send.gain.skip(n);
        }
    }
}

/// `dst += delay(src · a · b)`, sample by sample through the line.
fn delayed_add(
    line: &mut DelayLine,
    dst: [&mut [f32]; 2],
    src: [&[f32]; 2],
    a: [GainRamp; 2],
    b: [GainRamp; 2],
) {
    line.add_through(dst, src, a, b);
}

/// Adds the part of `clip` inside the block `[start, start + n)` into
/// `left` (and `right` for a stereo clip), with clip gain and fades; with
/// `write`, writes it there instead, and zeros around it. Returns whether
/// the clip had samples in the block (if not, nothing was touched).
fn mix_clip(
    clip: &PlanClip,
    start: i64,
    n: usize,
    left: &mut [f32],
    right: Option<&mut [f32]>,
    write: bool,
) -> bool {
    let Some(src) = &clip.source else {
        return false; // offline media: silence
    };
    let src_len = src.frames() as i64;
    // Timeline range where the source has samples.
    let src_lo = clip.start - clip.source_offset;
    let src_hi = src_lo + src_len;
    let a = clip.start.max(start).max(src_lo);
    let b = clip.end.min(start + n as i64).min(src_hi);
    if a >= b {
        return false;
    }
    let fi_end = clip.start + clip.fade_in;
    let fo_start = clip.end - clip.fade_out;
    let mut cuts = [a, fi_end.clamp(a, b), fo_start.clamp(a, b), b];
    cuts.sort_unstable();
    let l_src = &src.channels[clip.left];
    // A mono clip on a stereo strip plays on both sides.
    let r_src = match clip.right {
        Some(ch) => src.channels.get(ch),
        None if right.is_some() => Some(l_src),
        None => None,
    };
    let mut right = right;
    if write {
        // Zeros where the clip is not, and on a right row it has no
        // channel for.
        let (lo, hi) = ((a - start) as usize, (b - start) as usize);
        left[..lo].fill(0.0);
        left[hi..].fill(0.0);
        if let Some(r) = right.as_deref_mut() {
            if r_src.is_some() {
                r[..lo].fill(0.0);
                r[hi..].fill(0.0);
            } else {
                r.fill(0.0);
            }
        }
    }
    for w in cuts.windows(2) {
        let (x, y) = (w[0], w[1]);
        if x >= y {
            continue;
        }
        let dst = (x - start) as usize..(y - start) as usize;
        let s = (clip.source_offset + (x - clip.start)) as usize;
        let srcr = s..s + (y - x) as usize;
        let fading = x < fi_end || y > fo_start || clip.envelope.is_some();
        if !fading {
            let put = if write { write_scaled } else { add_scaled };
            put(&mut left[dst.clone()], &l_src[srcr.clone()], clip.gain);
            if let (Some(r), Some(rs)) = (right.as_deref_mut(), r_src) {
                put(&mut r[dst], &rs[srcr], clip.gain);
            }
            continue;
        }
        // The gains in runs of up to 64 samples: the clip gain, times the
        // fades this window is in (windows never straddle a fade's end),
        // times the envelope, in that order for every sample.
        let mut gains = [0.0f32; 64];
        let mut done = 0;
        let total = (y - x) as usize;
        while done < total {
            let m = (total - done).min(gains.len());
            let t0 = x + done as i64;
            let g = &mut gains[..m];
            g.fill(clip.gain);
            if x < fi_end {
                scale_by_fade(clip.fade_in_shape, g, t0 - clip.start, 1, clip.fade_in);
            }
            if y > fo_start {
                scale_by_fade(clip.fade_out_shape, g, clip.end - 1 - t0, -1, clip.fade_out);
            }
            if let Some(env) = &clip.envelope {
                for (k, v) in g.iter_mut().enumerate() {
                    // Counted in the source: the same sample keeps its
                    // gain wherever the clip moves or is trimmed.
                    let s = clip.source_offset + (t0 + k as i64 - clip.start);
                    *v *= crate::automation::gain_of(env.value(s)) as f32;
                }
            }
            let d = dst.start + done..dst.start + done + m;
            let si = srcr.start + done..srcr.start + done + m;
            let put = if write { write_gains } else { add_gains };
            put(&mut left[d.clone()], &l_src[si.clone()], g);
            if let (Some(r), Some(rs)) = (right.as_deref_mut(), r_src) {
                put(&mut r[d], &rs[si], g);
            }
            done += m;
        }
    }
    true
}

/// `dst[i] = src[i] · gains[i]`.
fn write_gains(dst: &mut [f32], src: &[f32], gains: &[f32]) {
    for ((d, s), g) in dst.iter_mut().zip(src).zip(gains) {
        *d = *s * g;
    }
}

/// `dst[i] += src[i] · gains[i]`.
fn add_gains(dst: &mut [f32], src: &[f32], gains: &[f32]) {
    for ((d, s), g) in dst.iter_mut().zip(src).zip(gains) {
        *d += *s * g;
    }
}

/// `dst[i] = src[i] · gain`.
fn write_scaled(dst: &mut [f32], src: &[f32], gain: f32) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s * gain;
    }
}

#[cfg(test)]
mod tests {
    use super::all_finite;

    #[test]
    fn a_block_is_finite_until_one_sample_is_infinite_or_nan() {
        let mut block = vec![0.25f32; 1_001];
        block[3] = f32::MAX;
        block[4] = -f32::MAX;
        block[5] = f32::MIN_POSITIVE / 4.0;
        block[6] = -0.0;
        assert!(all_finite(&block));
        assert!(all_finite(&[]));
        for bad in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -f32::NAN] {
            for at in [0, 7, 500, 1_000] {
                let mut b = block.clone();
                b[at] = bad;
                assert!(!all_finite(&b), "{bad} at {at}");
            }
        }
    }
}
