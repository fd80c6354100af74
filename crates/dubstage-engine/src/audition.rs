//! The audition path: a library sound played straight into the output,
//! after the mix and its meters, never through a track or bus, never into an
//! export.
//!
//! A voice either runs free (preview: it starts when it arrives) or is
//! pinned to the timeline: its in-point plays when the transport reaches
//! `at`, so it follows locates and loop wraps exactly like a clip would.

use dubstage_media::AudioBuffer;
use dubstage_model::SamplePos;
use std::sync::Arc;

/// A sound to audition, built on the UI thread and handed to the audio
/// thread in a `Box` (which comes back to be dropped there).
#[derive(Debug)]
pub struct AuditionVoice {
    audio: Arc<AudioBuffer>,
    start: usize,
    end: usize,
    looped: bool,
    at: Option<i64>,
    /// Free-running voices: frames played since the in-point.
    cursor: usize,
}

impl AuditionVoice {
    /// `audio` at the project rate; `range` the in/out points in frames
    /// (the whole sound when `None`); `at` pins the in-point to a timeline
    /// sample (`None`: play now).
    pub fn new(
        audio: Arc<AudioBuffer>,
        range: Option<(usize, usize)>,
        looped: bool,
        at: Option<SamplePos>,
    ) -> AuditionVoice {
        let frames = audio.frames();
        let (start, end) = range.unwrap_or((0, frames));
        let end = end.min(frames);
        let start = start.min(end);
        AuditionVoice {
            audio,
            start,
            end,
            looped,
            at: at.map(|p| p.0),
            cursor: 0,
        }
    }

    /// Frames between the in and out points.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_pinned(&self) -> bool {
        self.at.is_some()
    }

    /// The voice's frame for `offset` frames after its in-point, if it sounds there.
    fn frame(&self, offset: i64) -> Option<usize> {
        let len = self.len() as i64;
        if offset < 0 || len == 0 {
            return None;
        }
        let o = if self.looped {
            offset % len
        } else if offset < len {
            offset
        } else {
            return None;
        };
        Some(self.start + o as usize)
    }

    fn add(&self, frame: usize, gain: f32, l: &mut f32, r: &mut f32) {
        let ch = &self.audio.channels;
        match ch.len() {
            0 => {}
            1 => {
                let v = ch[0][frame] * gain;
                *l += v;
                *r += v;
            }
            _ => {
                *l += ch[0][frame] * gain;
                *r += ch[1][frame] * gain;
            }
        }
    }

    /// Pinned voices: adds the sound for timeline samples `pos..pos+n`.
    /// Returns the offset after the in-point at the block's end, while it sounds.
    pub(crate) fn mix_pinned(
        &self,
        pos: i64,
        l: &mut [f32],
        r: &mut [f32],
        gain: f32,
    ) -> Option<i64> {
        let at = self.at?;
        let mut last = None;
        for i in 0..l.len() {
            let offset = pos + i as i64 - at;
            if let Some(f) = self.frame(offset) {
                self.add(f, gain, &mut l[i], &mut r[i]);
                last = Some((f - self.start) as i64);
            }
        }
        last
    }

    /// Free voices: adds the next `n` frames.
    pub(crate) fn mix_free(&mut self, l: &mut [f32], r: &mut [f32], gain: f32) -> Option<i64> {
        let mut last = None;
        for i in 0..l.len() {
            if let Some(f) = self.frame(self.cursor as i64) {
                self.add(f, gain, &mut l[i], &mut r[i]);
                last = Some((f - self.start) as i64);
                self.cursor += 1;
            } else {
                break;
            }
        }
        last
    }
}
