//! The renderer: mixes a [`RenderPlan`] block by block. The same code runs
//! in the audio callback and in offline export, so both give identical samples.
//!
//! Real-time invariant: nothing in this module allocates, frees, locks or does I/O.

use crate::plan::{PlanClip, RenderPlan};
use dubstage_dsp::fade_gain;
use dubstage_dsp::mix::{add, add_scaled, scale};
use dubstage_model::SamplePos;

/// Renders a plan from a playhead position.
#[derive(Debug)]
pub struct Renderer {
    plan: Box<RenderPlan>,
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
}

impl Renderer {
    pub fn new(plan: Box<RenderPlan>) -> Renderer {
        Renderer { plan, position: 0 }
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

    /// Installs a new plan at a block boundary and hands back the old one
    /// (which the caller must not drop on the audio thread).
    pub fn swap_plan(&mut self, plan: Box<RenderPlan>) -> Box<RenderPlan> {
        std::mem::replace(&mut self.plan, plan)
    }

    /// Renders up to `frames` samples (at most the plan's `max_block`) from
    /// the playhead and advances it.
    pub fn render_block(&mut self, frames: usize) -> Block<'_> {
        let n = frames.min(self.plan.max_block);
        let start = self.position;
        mix_block(&mut self.plan, start, n);
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

fn mix_block(plan: &mut RenderPlan, start: i64, n: usize) {
    let RenderPlan {
        tracks,
        buses,
        master_gain,
        mono,
        left,
        right,
        master_left,
        master_right,
        ..
    } = plan;
    master_left[..n].fill(0.0);
    master_right[..n].fill(0.0);
    for b in buses.iter_mut() {
        b.left[..n].fill(0.0);
        b.right[..n].fill(0.0);
    }
    let end = start + n as i64;
    for track in tracks.iter() {
        if !track.audible {
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
        if !used_mono && !used_stereo {
            continue;
        }
        let (dl, dr) = match track.bus {
            Some(i) => {
                let b = &mut buses[i];
                (&mut b.left[..n], &mut b.right[..n])
            }
            None => (&mut master_left[..n], &mut master_right[..n]),
        };
        if used_stereo {
            let (bl, br) = track.stereo_gains;
            add_scaled(dl, &left[..n], track.gain * bl);
            add_scaled(dr, &right[..n], track.gain * br);
        }
        if used_mono {
            let (pl, pr) = track.mono_gains;
            add_scaled(dl, &mono[..n], track.gain * pl);
            add_scaled(dr, &mono[..n], track.gain * pr);
        }
    }
    let mg = *master_gain;
    // Tracks routed straight to the master, then the buses (post bus and
    // master fader, so the stems sum to the master).
    scale(&mut master_left[..n], mg);
    scale(&mut master_right[..n], mg);
    for b in buses.iter_mut() {
        let g = b.gain * mg;
        scale(&mut b.left[..n], g);
        scale(&mut b.right[..n], g);
        add(&mut master_left[..n], &b.left[..n]);
        add(&mut master_right[..n], &b.right[..n]);
    }
}

/// Adds the part of `clip` inside the block `[start, start + n)` into
/// `left` (and `right` for a stereo clip), with clip gain and fades.
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
