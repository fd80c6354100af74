//! The renderer: mixes a [`RenderPlan`] block by block. The same code runs
//! in the audio callback and in offline export, so both give identical samples.
//!
//! Real-time invariant: nothing in this module allocates, frees, locks or does I/O.

use crate::plan::{PlanClip, RenderPlan};
use dubstage_dsp::mix::{add, add_scaled, scale};
use dubstage_dsp::{GainRamp, fade_gain};
use dubstage_model::SamplePos;

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
        (
            &self.plan.master_left[..self.frames],
            &self.plan.master_right[..self.frames],
        )
    }

    /// Output of bus `index` (in [`RenderPlan::bus_names`] order), after the
    /// bus fader and the master fader, so the stems sum to the master.
    pub fn bus(&self, index: usize) -> (&'a [f32], &'a [f32]) {
        let b = &self.plan.buses[index];
        (&b.left[..self.frames], &b.right[..self.frames])
    }

    /// Number of buses.
    pub fn bus_count(&self) -> usize {
        self.plan.buses.len()
    }
}

impl Renderer {
    pub fn new(plan: Box<RenderPlan>) -> Renderer {
        Renderer {
            plan,
            fading: None,
            xfade_done: 0,
            xfade_len: 0,
            retired: None,
            position: 0,
        }
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

    /// Starts a linear crossfade of `len` samples from the current plan to
    /// `plan`. Returns a plan that must be disposed of off the audio thread:
    /// one whose crossfade was cut short by this call.
    pub fn crossfade_to(&mut self, plan: Box<RenderPlan>, len: u32) -> Option<Box<RenderPlan>> {
        let old = std::mem::replace(&mut self.plan, plan);
        if len == 0 {
            return Some(old);
        }
        self.xfade_done = 0;
        self.xfade_len = len;
        self.fading.replace(old)
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
    pub fn swap_plan(&mut self, plan: Box<RenderPlan>) -> Box<RenderPlan> {
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
        mix_block(&mut self.plan, start, n);
        if let Some(old) = self.fading.as_deref_mut() {
            mix_block(old, start, n);
            let (done, len) = (self.xfade_done, self.xfade_len);
            let new = &mut *self.plan;
            blend(&old.master_left[..n], &mut new.master_left[..n], done, len);
            blend(
                &old.master_right[..n],
                &mut new.master_right[..n],
                done,
                len,
            );
            if old.buses.len() == new.buses.len() {
                for (ob, nb) in old.buses.iter().zip(new.buses.iter_mut()) {
                    blend(&ob.left[..n], &mut nb.left[..n], done, len);
                    blend(&ob.right[..n], &mut nb.right[..n], done, len);
                }
            }
            self.xfade_done = done.saturating_add(n as u32);
            if self.xfade_done >= len && self.retired.is_none() {
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

/// Adds `src · ramp` into `dst`, per sample while the ramp glides.
#[inline]
fn add_ramped(dst: &mut [f32], src: &[f32], ramp: &mut GainRamp) {
    if ramp.is_settled() {
        add_scaled(dst, src, ramp.current());
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d += *s * ramp.next_gain();
        }
    }
}

/// Multiplies `buf` by `a · b`, per sample while either ramp glides. The
/// ramps are copies: the caller advances the originals once per block.
#[inline]
fn scale_ramped(buf: &mut [f32], mut a: GainRamp, mut b: GainRamp) {
    if a.is_settled() && b.is_settled() {
        scale(buf, a.current() * b.current());
    } else {
        for v in buf.iter_mut() {
            *v *= a.next_gain() * b.next_gain();
        }
    }
}

pub(crate) fn mix_block(plan: &mut RenderPlan, start: i64, n: usize) {
    let RenderPlan {
        tracks,
        buses,
        master_gain,
        master_meter,
        metering,
        mono,
        left,
        right,
        master_left,
        master_right,
        ..
    } = plan;
    let metering = *metering;
    master_left[..n].fill(0.0);
    master_right[..n].fill(0.0);
    for b in buses.iter_mut() {
        b.left[..n].fill(0.0);
        b.right[..n].fill(0.0);
    }
    let end = start + n as i64;
    for track in tracks.iter_mut() {
        if track.is_silent() {
            continue;
        }
        let (mut used_mono, mut used_stereo) = (false, false);
        for clip in &track.clips {
            if clip.end <= start || clip.start >= end {
                continue;
            }
            if clip.right.is_some() {
                if !used_stereo {
                    left[..n].fill(0.0);
                    right[..n].fill(0.0);
                    used_stereo = true;
                }
                mix_clip(clip, start, n, &mut left[..n], Some(&mut right[..n]));
            } else {
                if !used_mono {
                    mono[..n].fill(0.0);
                    used_mono = true;
                }
                mix_clip(clip, start, n, &mut mono[..n], None);
            }
        }
        let (dl, dr) = match track.bus {
            Some(i) => {
                let b = &mut buses[i];
                (&mut b.left[..n], &mut b.right[..n])
            }
            None => (&mut master_left[..n], &mut master_right[..n]),
        };
        if used_stereo {
            if metering {
                let (gl, gr) = (track.stereo_l.target(), track.stereo_r.target());
                track.meter.add_scaled(&left[..n], &right[..n], gl, gr);
            }
            add_ramped(dl, &left[..n], &mut track.stereo_l);
            add_ramped(dr, &right[..n], &mut track.stereo_r);
        } else {
            track.stereo_l.skip(n);
            track.stereo_r.skip(n);
        }
        if used_mono {
            if metering {
                let (gl, gr) = (track.mono_l.target(), track.mono_r.target());
                track.meter.add_scaled(&mono[..n], &mono[..n], gl, gr);
            }
            add_ramped(dl, &mono[..n], &mut track.mono_l);
            add_ramped(dr, &mono[..n], &mut track.mono_r);
        } else {
            track.mono_l.skip(n);
            track.mono_r.skip(n);
        }
        if metering {
            track.meter.frames += n as u32;
        }
    }
    // Tracks routed straight to the master, then the buses (post bus and
    // master fader, so the stems sum to the master).
    let unity = GainRamp::new(1.0);
    scale_ramped(&mut master_left[..n], *master_gain, unity);
    scale_ramped(&mut master_right[..n], *master_gain, unity);
    for b in buses.iter_mut() {
        scale_ramped(&mut b.left[..n], b.gain, *master_gain);
        scale_ramped(&mut b.right[..n], b.gain, *master_gain);
        b.gain.skip(n);
        add(&mut master_left[..n], &b.left[..n]);
        add(&mut master_right[..n], &b.right[..n]);
        if metering {
            b.meter.add(&b.left[..n], &b.right[..n]);
            b.meter.frames += n as u32;
        }
    }
    master_gain.skip(n);
    if metering {
        master_meter.add(&master_left[..n], &master_right[..n]);
        master_meter.frames += n as u32;
    }
}

/// Adds the part of `clip` inside the block `[start, start + n)` into
/// `left` (and `right` for a stereo clip), with clip gain and fades.
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

fn mix_clip(clip: &PlanClip, start: i64, n: usize, left: &mut [f32], right: Option<&mut [f32]>) {
    let Some(src) = &clip.source else {
        return; // offline media: silence
    };
    let src_len = src.frames() as i64;
    // Timeline range where the source has samples.
    let src_lo = clip.start - clip.source_offset;
    let src_hi = src_lo + src_len;
    let a = clip.start.max(start).max(src_lo);
    let b = clip.end.min(start + n as i64).min(src_hi);
    if a >= b {
        return;
    }
    let fi_end = clip.start + clip.fade_in;
    let fo_start = clip.end - clip.fade_out;
    let mut cuts = [a, fi_end.clamp(a, b), fo_start.clamp(a, b), b];
    cuts.sort_unstable();
    let l_src = &src.channels[clip.left];
    let r_src = clip.right.and_then(|ch| src.channels.get(ch));
    let mut right = right;
    for w in cuts.windows(2) {
        let (x, y) = (w[0], w[1]);
        if x >= y {
            continue;
        }
        let dst = (x - start) as usize..(y - start) as usize;
        let s = (clip.source_offset + (x - clip.start)) as usize;
        let srcr = s..s + (y - x) as usize;
        let fading = x < fi_end || y > fo_start;
        if !fading {
            add_scaled(&mut left[dst.clone()], &l_src[srcr.clone()], clip.gain);
            if let (Some(r), Some(rs)) = (right.as_deref_mut(), r_src) {
                add_scaled(&mut r[dst], &rs[srcr], clip.gain);
            }
            continue;
        }
        for (k, t) in (x..y).enumerate() {
            let mut g = clip.gain;
            if t < fi_end {
                g *= fade_gain(
                    clip.fade_in_shape,
                    (t - clip.start) as f64 / clip.fade_in as f64,
                );
            }
            if t >= fo_start {
                g *= fade_gain(
                    clip.fade_out_shape,
                    (clip.end - 1 - t) as f64 / clip.fade_out as f64,
                );
            }
            let d = dst.start + k;
            let si = srcr.start + k;
            left[d] += l_src[si] * g;
            if let (Some(r), Some(rs)) = (right.as_deref_mut(), r_src) {
                r[d] += rs[si] * g;
            }
        }
    }
}
