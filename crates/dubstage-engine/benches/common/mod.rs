//! The generated reference project shared by the benchmarks: `tracks`
//! tracks with `clips` clips (fades, gains, pans, mono and stereo) spread
//! over ten minutes, sources already decoded.

use dubstage_engine::Sources;
use dubstage_media::AudioBuffer;
use dubstage_model::{
    ClipChannels, Command, Created, Fade, FadeShape, NewClip, ParamId, Project, SampleLen,
    SamplePos, Session, StripId, TrackKind,
};
use std::sync::Arc;

pub const RATE: i64 = 48_000;
pub const MINUTES: i64 = 10;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
}

fn noise(rng: &mut Rng, channels: usize, frames: usize) -> AudioBuffer {
    AudioBuffer {
        sample_rate: RATE as u32,
        channels: (0..channels)
            .map(|_| {
                (0..frames)
                    .map(|_| (rng.next() >> 40) as f32 / (1u64 << 24) as f32 * 0.5 - 0.25)
                    .collect()
            })
            .collect(),
    }
}

/// `tracks` tracks with `clips` clips spread over 10 minutes.
pub fn reference(tracks: usize, clips: usize) -> (Project, Sources) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = Session::new(Project::new("bench"));
    let mut sources = Sources::new();
    let source_len = 30 * RATE;
    let mut media = Vec::new();
    for i in 0..8 {
        let audio = noise(
            &mut rng,
            if i % 2 == 0 { 2 } else { 1 },
            source_len as usize,
        );
        let Ok(Created::Media(id)) = s.apply(Command::AddMedia {
            path: format!("/bench/{i}.wav").into(),
            name: format!("{i}.wav"),
            channels: audio.channels.len() as u16,
            length: SampleLen(source_len),
        }) else {
            panic!("media")
        };
        sources.insert(id, Arc::new(audio));
        media.push(id);
    }
    let kinds = [
        TrackKind::Dialogue,
        TrackKind::Foley,
        TrackKind::Sfx,
        TrackKind::Ambience,
        TrackKind::Music,
    ];
    let mut track_ids = Vec::new();
    for i in 0..tracks {
        let Ok(Created::Track(t)) = s.apply(Command::AddTrack {
            kind: kinds[i % kinds.len()],
            name: format!("T{i}"),
        }) else {
            panic!("track")
        };
        s.apply(Command::SetParam {
            id: ParamId::Fader(StripId::Track(t)),
            value: -((i % 7) as f32),
        })
        .expect("gain");
        s.apply(Command::SetParam {
            id: ParamId::Pan(StripId::Track(t)),
            value: ((i % 5) as f32 - 2.0) / 2.0,
        })
        .expect("pan");
        track_ids.push(t);
    }
    let total = MINUTES * 60 * RATE;
    for (ti, t) in track_ids.iter().enumerate() {
        // Spread the clip count exactly: the first tracks get one more.
        let per_track = clips / tracks + usize::from(ti < clips % tracks);
        // Clips laid end to end with gaps, each 5–40 s.
        let slot = total / per_track as i64;
        for k in 0..per_track {
            let len = rng.range(5 * RATE, 40 * RATE).min(slot);
            let pos = k as i64 * slot + rng.range(0, (slot - len).max(1));
            let m = media[(ti + k) % media.len()];
            let offset = rng.range(0, (source_len - len).max(1));
            s.apply(Command::AddClip {
                track: *t,
                clip: NewClip {
                    source_offset: SamplePos(offset),
                    gain_db: -(rng.range(0, 12) as f32),
                    fade_in: Fade::new(SampleLen(rng.range(480, RATE)), FadeShape::EqualPower),
                    fade_out: Fade::new(SampleLen(rng.range(480, 2 * RATE)), FadeShape::SCurve),
                    channels: if k % 3 == 0 {
                        ClipChannels::Mono(0)
                    } else {
                        ClipChannels::Stereo
                    },
                    ..NewClip::new(m, SamplePos(pos), SampleLen(len))
                },
            })
            .expect("clip");
        }
    }
    (s.project().clone(), sources)
}
