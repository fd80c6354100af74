//! Offline renders checked against expectations computed independently here.

use dubstage_engine::{CompileOptions, Renderer, Sources, compile};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    BusId, ClipChannels, Command, Created, Fade, FadeShape, MediaId, NewClip, Output, PanLaw,
    ParamId, Project, SampleLen, SamplePos, Session, StripId, TrackId, TrackKind,
};
use std::sync::Arc;

/// A deterministic test signal: distinct, non-trivial values per channel.
fn signal(channels: usize, frames: usize, seed: u32) -> AudioBuffer {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let channels = (0..channels)
        .map(|_| {
            (0..frames)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x as f32 / u32::MAX as f32) * 1.6 - 0.8
                })
                .collect()
        })
        .collect();
    AudioBuffer {
        sample_rate: 48_000,
        channels,
    }
}

/// A session plus the decoded sources of its media.
struct Fixture {
    s: Session,
    sources: Sources,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            s: Session::new(Project::new("t")),
            sources: Sources::new(),
        }
    }

    fn media(&mut self, audio: AudioBuffer) -> MediaId {
        let frames = audio.frames() as i64;
        let Ok(Created::Media(id)) = self.s.apply(Command::AddMedia {
            path: "/none.wav".into(),
            name: "m".into(),
            channels: audio.channels.len() as u16,
            length: SampleLen(frames),
        }) else {
            panic!("add media")
        };
        self.sources.insert(id, Arc::new(audio));
        id
    }

    fn track(&mut self, kind: TrackKind) -> TrackId {
        let Ok(Created::Track(id)) = self.s.apply(Command::AddTrack {
            kind,
            name: "t".into(),
        }) else {
            panic!("add track")
        };
        id
    }

    fn clip(&mut self, track: TrackId, clip: NewClip) {
        self.s
            .apply(Command::AddClip { track, clip })
            .expect("add clip");
    }

    /// A media entry with no samples among the sources (offline).
    fn offline_media(&mut self, channels: u16, frames: i64) -> MediaId {
        let Ok(Created::Media(id)) = self.s.apply(Command::AddMedia {
            path: "/missing.wav".into(),
            name: "missing".into(),
            channels,
            length: SampleLen(frames),
        }) else {
            panic!("add media")
        };
        id
    }

    fn cmd(&mut self, c: Command) {
        self.s.apply(c).expect("command applies");
    }

    /// Renders `[from, from + frames)` in blocks of `block`: (master L, master R, per-bus L/R).
    fn render_with(&self, from: i64, frames: usize, block: usize) -> Render {
        let plan = compile(
            self.s.project(),
            &self.sources,
            CompileOptions { max_block: block },
        );
        let buses = plan.bus_count();
        let mut r = Renderer::new(Box::new(plan));
        r.locate(SamplePos(from));
        let mut out = Render {
            l: Vec::new(),
            r: Vec::new(),
            bus: vec![(Vec::new(), Vec::new()); buses],
        };
        while out.l.len() < frames {
            let b = r.render_block(frames - out.l.len());
            let (l, rr) = b.master();
            out.l.extend_from_slice(l);
            out.r.extend_from_slice(rr);
            for i in 0..buses {
                let (bl, br) = b.bus(i);
                out.bus[i].0.extend_from_slice(bl);
                out.bus[i].1.extend_from_slice(br);
            }
        }
        out
    }

    fn render(&self, from: i64, frames: usize) -> Render {
        self.render_with(from, frames, 512)
    }
}

struct Render {
    l: Vec<f32>,
    r: Vec<f32>,
    bus: Vec<(Vec<f32>, Vec<f32>)>,
}

fn db(d: f32) -> f32 {
    10f32.powf(d / 20.0)
}

fn assert_close(a: f32, b: f32, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: {a} != {b}"
    );
}

#[test]
fn stereo_clip_at_unity_is_bit_exact() {
    let mut f = Fixture::new();
    let src = signal(2, 10_000, 1);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Music);
    f.clip(t, NewClip::new(m, SamplePos(0), SampleLen(10_000)));
    for block in [1, 64, 333, 512, 4096] {
        let out = f.render_with(0, 10_000, block);
        assert_eq!(out.l, src.channels[0], "block {block}");
        assert_eq!(out.r, src.channels[1], "block {block}");
    }
}

#[test]
fn clip_boundaries_and_source_offset_land_on_the_exact_sample() {
    let mut f = Fixture::new();
    let src = signal(2, 5_000, 2);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Sfx);
    f.clip(
        t,
        NewClip {
            source_offset: SamplePos(100),
            ..NewClip::new(m, SamplePos(1_001), SampleLen(2_000))
        },
    );
    let out = f.render(0, 4_000);
    for i in 0..4_000usize {
        let want = if (1_001..3_001).contains(&i) {
            src.channels[0][i - 1_001 + 100]
        } else {
            0.0
        };
        assert_eq!(out.l[i], want, "sample {i}");
    }
}

#[test]
fn clip_starting_before_zero_and_ending_after_the_range() {
    let mut f = Fixture::new();
    let src = signal(2, 3_000, 3);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Sfx);
    f.clip(t, NewClip::new(m, SamplePos(-500), SampleLen(3_000)));
    let out = f.render(0, 1_000);
    assert_eq!(out.l[..], src.channels[0][500..1_500]);
    // Rendering from before zero works too.
    let out = f.render(-600, 200);
    assert_eq!(out.l[..100], [0.0; 100]);
    assert_eq!(out.l[100..], src.channels[0][..100]);
}

#[test]
fn clip_longer_than_its_source_is_silent_past_the_source() {
    let mut f = Fixture::new();
    let src = signal(1, 1_000, 4);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Sfx);
    f.clip(
        t,
        NewClip {
            source_offset: SamplePos(900),
            ..NewClip::new(m, SamplePos(0), SampleLen(500))
        },
    );
    let out = f.render(0, 500);
    let g = std::f32::consts::FRAC_1_SQRT_2;
    for i in 0..100 {
        assert_close(out.l[i], src.channels[0][900 + i] * g, "in source");
    }
    assert!(out.l[100..].iter().all(|&v| v == 0.0));
}

/// Fade-in curves evaluated independently of the engine.
fn curve(shape: FadeShape, x: f64) -> f64 {
    match shape {
        FadeShape::Linear => x,
        FadeShape::EqualPower => (x * std::f64::consts::PI / 2.0).sin(),
        FadeShape::SCurve => 0.5 - 0.5 * (x * std::f64::consts::PI).cos(),
        FadeShape::Exponential => (10f64.powf(3.0 * x) - 1.0) / 999.0,
    }
}

#[test]
fn fade_gains_at_start_middle_and_end_of_each_shape() {
    let len = 1_000i64;
    for shape in FadeShape::ALL {
        let mut f = Fixture::new();
        let dc = AudioBuffer {
            sample_rate: 48_000,
            channels: vec![vec![1.0; 4_000], vec![1.0; 4_000]],
        };
        let m = f.media(dc);
        let t = f.track(TrackKind::Music);
        f.clip(
            t,
            NewClip {
                fade_in: Fade::new(SampleLen(len), shape),
                fade_out: Fade::new(SampleLen(len), shape),
                ..NewClip::new(m, SamplePos(0), SampleLen(4_000))
            },
        );
        let out = f.render(0, 4_000);
        let name = shape.label();
        // Fade in: sample k gets curve(k / L).
        assert_eq!(out.l[0], 0.0, "{name} starts silent");
        assert_close(out.l[500], curve(shape, 0.5) as f32, name);
        assert_close(out.l[999], curve(shape, 0.999) as f32, name);
        assert_eq!(out.l[1_000], 1.0, "{name} ends at unity");
        // Fade out mirrors it: the k-th sample from the end gets curve(k / L).
        assert_eq!(out.l[2_999], 1.0);
        assert_close(out.l[3_000], curve(shape, 0.999) as f32, name);
        assert_close(out.l[3_499], curve(shape, 0.5) as f32, name);
        assert_eq!(out.l[3_999], 0.0, "{name} ends silent");
    }
    // The middle values are what each shape promises.
    assert_close(curve(FadeShape::Linear, 0.5) as f32, 0.5, "linear");
    assert_close(
        curve(FadeShape::EqualPower, 0.5) as f32,
        db(-3.0103),
        "equal power",
    );
    assert_close(curve(FadeShape::SCurve, 0.5) as f32, 0.5, "s-curve");
    assert_close(
        curve(FadeShape::Exponential, 0.5) as f32,
        0.030_653_4,
        "exp",
    );
}

#[test]
fn clip_gain_and_track_gain_multiply() {
    let mut f = Fixture::new();
    let src = signal(2, 1_000, 5);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Sfx);
    f.clip(
        t,
        NewClip {
            gain_db: -6.0,
            ..NewClip::new(m, SamplePos(0), SampleLen(1_000))
        },
    );
    f.cmd(Command::SetParam {
        id: ParamId::Fader(StripId::Track(t)),
        value: 3.0,
    });
    let out = f.render(0, 1_000);
    for i in [0, 17, 999] {
        assert_close(out.l[i], src.channels[0][i] * db(-6.0) * db(3.0), "gain");
        assert_close(out.r[i], src.channels[1][i] * db(-6.0) * db(3.0), "gain");
    }
}

/// Renders a mono DC clip on a track panned to `pan` under `law`: (L, R).
fn mono_pan(law: PanLaw, pan: f32) -> (f32, f32) {
    let mut f = Fixture::new();
    let m = f.media(AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![1.0; 16]],
    });
    let t = f.track(TrackKind::Foley);
    f.clip(t, NewClip::new(m, SamplePos(0), SampleLen(16)));
    f.cmd(Command::SetPanLaw { pan_law: law });
    f.cmd(Command::SetParam {
        id: ParamId::Pan(StripId::Track(t)),
        value: pan,
    });
    let out = f.render(0, 16);
    (out.l[8], out.r[8])
}

#[test]
fn pan_law_values_at_centre_and_extremes() {
    let check = |law, pan, l_db: f32, r: f32| {
        let (gl, gr) = mono_pan(law, pan);
        let want_l = if l_db.is_finite() { db(l_db) } else { 0.0 };
        assert!(
            (gl - want_l).abs() < 1e-4,
            "{law:?} pan {pan}: L {gl} want {want_l}"
        );
        assert!((gr - r).abs() < 1e-4, "{law:?} pan {pan}: R {gr} want {r}");
    };
    check(PanLaw::ConstantPower3dB, 0.0, -3.0103, db(-3.0103));
    check(PanLaw::Compromise4_5dB, 0.0, -4.515, db(-4.515));
    check(PanLaw::Linear6dB, 0.0, -6.0206, 0.5);
    check(PanLaw::Balance0dB, 0.0, 0.0, 1.0);
    for law in PanLaw::ALL {
        check(law, -1.0, 0.0, 0.0);
        check(law, 1.0, f32::NEG_INFINITY, 1.0);
    }
    // Extremes are exact.
    assert_eq!(mono_pan(PanLaw::ConstantPower3dB, 1.0), (0.0, 1.0));
    assert_eq!(mono_pan(PanLaw::ConstantPower3dB, -1.0), (1.0, 0.0));
}

#[test]
fn stereo_clip_uses_balance_not_pan_law() {
    let mut f = Fixture::new();
    let src = signal(2, 100, 6);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Music);
    f.clip(t, NewClip::new(m, SamplePos(0), SampleLen(100)));
    f.cmd(Command::SetParam {
        id: ParamId::Pan(StripId::Track(t)),
        value: 0.5,
    });
    let out = f.render(0, 100);
    assert_close(out.l[10], src.channels[0][10] * 0.5, "left attenuated");
    assert_eq!(out.r[10], src.channels[1][10], "right untouched");
}

#[test]
fn mono_channel_of_a_stereo_source() {
    let mut f = Fixture::new();
    let src = signal(2, 100, 7);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Dialogue);
    f.clip(
        t,
        NewClip {
            channels: ClipChannels::Mono(1),
            ..NewClip::new(m, SamplePos(0), SampleLen(100))
        },
    );
    f.cmd(Command::SetPanLaw {
        pan_law: PanLaw::Balance0dB,
    });
    let out = f.render(0, 100);
    assert_eq!(out.l, src.channels[1]);
    assert_eq!(out.r, src.channels[1]);
}

/// Three tracks of DC at distinct levels: returns master L for mute/solo states.
fn mute_solo(states: [(bool, bool, bool); 3]) -> f32 {
    let mut f = Fixture::new();
    let m = f.media(AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![1.0; 8], vec![1.0; 8]],
    });
    let levels = [1.0, 2.0, 4.0];
    for (i, (mute, solo, safe)) in states.into_iter().enumerate() {
        let t = f.track(TrackKind::Sfx);
        f.clip(
            t,
            NewClip {
                gain_db: 20.0 * (levels[i] as f32).log10(),
                ..NewClip::new(m, SamplePos(0), SampleLen(8))
            },
        );
        f.cmd(Command::SetParam {
            id: ParamId::Mute(StripId::Track(t)),
            value: if mute { 1.0 } else { 0.0 },
        });
        f.cmd(Command::SetParam {
            id: ParamId::Solo(t),
            value: if solo { 1.0 } else { 0.0 },
        });
        f.cmd(Command::SetParam {
            id: ParamId::SoloSafe(t),
            value: if safe { 1.0 } else { 0.0 },
        });
    }
    f.render(0, 8).l[4]
}

#[test]
fn mute_solo_and_solo_safe_combinations() {
    let n = (false, false, false);
    let check = |s, want: f32| assert_close(mute_solo(s), want, &format!("{s:?}"));
    check([n, n, n], 7.0);
    check([(true, false, false), n, n], 6.0);
    check([n, (false, true, false), n], 2.0);
    check([(false, true, false), (false, true, false), n], 3.0);
    check([n, (false, true, false), (false, false, true)], 6.0);
    // A muted soloed track stays silent, but still silences the others.
    check([(true, true, false), n, n], 0.0);
    check([(true, true, false), n, (false, false, true)], 4.0);
}

#[test]
fn buses_sum_into_master_and_stems_sum_to_master() {
    let mut f = Fixture::new();
    let a = signal(2, 2_000, 8);
    let b = signal(2, 2_000, 9);
    let c = signal(1, 2_000, 10);
    let (ma, mb, mc) = (f.media(a.clone()), f.media(b.clone()), f.media(c.clone()));
    let dia = f.track(TrackKind::Dialogue);
    let fx = f.track(TrackKind::Foley);
    let mus = f.track(TrackKind::Music);
    f.clip(dia, NewClip::new(ma, SamplePos(0), SampleLen(2_000)));
    f.clip(fx, NewClip::new(mb, SamplePos(0), SampleLen(2_000)));
    f.clip(mus, NewClip::new(mc, SamplePos(0), SampleLen(2_000)));
    f.cmd(Command::SetParam {
        id: ParamId::Fader(StripId::Bus(BusId(2))),
        value: -6.0,
    });
    f.cmd(Command::SetParam {
        id: ParamId::Mute(StripId::Bus(BusId(3))),
        value: 1.0,
    });
    f.cmd(Command::SetParam {
        id: ParamId::Fader(StripId::Master),
        value: -1.0,
    });
    let out = f.render(0, 2_000);
    let mg = db(-1.0);
    for i in [0, 1, 999, 1_999] {
        let want = (a.channels[0][i] + b.channels[0][i] * db(-6.0)) * mg;
        assert_close(out.l[i], want, "master");
        assert_close(out.bus[0].0[i], a.channels[0][i] * mg, "DIA stem");
        assert_close(out.bus[1].0[i], b.channels[0][i] * db(-6.0) * mg, "FX stem");
        assert_eq!(out.bus[2].0[i], 0.0, "muted MUS stem");
        let sum: f32 = out.bus.iter().map(|s| s.0[i]).sum();
        assert_close(sum, out.l[i], "stems sum to master");
    }
    // Rerouting the music track straight to the master bypasses the stems.
    f.cmd(Command::SetTrackOutput {
        track: mus,
        output: Output::Master,
    });
    let out = f.render(0, 2_000);
    let g = std::f32::consts::FRAC_1_SQRT_2;
    let want = (a.channels[0][5] + b.channels[0][5] * db(-6.0) + c.channels[0][5] * g) * mg;
    assert_close(out.l[5], want, "direct to master");
}

#[test]
fn offline_media_renders_silence_and_is_reported() {
    let mut f = Fixture::new();
    let m = f.media(signal(2, 100, 11));
    let t = f.track(TrackKind::Sfx);
    f.clip(t, NewClip::new(m, SamplePos(0), SampleLen(100)));
    f.sources.remove(m);
    let plan = compile(f.s.project(), &f.sources, CompileOptions::default());
    assert_eq!(plan.offline_media(), [m]);
    let out = f.render(0, 100);
    assert!(out.l.iter().all(|&v| v == 0.0));
}

#[test]
fn overlapping_clips_on_a_track_sum() {
    let mut f = Fixture::new();
    let a = signal(2, 1_000, 12);
    let m = f.media(a.clone());
    let t = f.track(TrackKind::Music);
    f.clip(t, NewClip::new(m, SamplePos(0), SampleLen(1_000)));
    f.clip(t, NewClip::new(m, SamplePos(500), SampleLen(500)));
    let out = f.render(0, 1_000);
    assert_eq!(out.l[499], a.channels[0][499]);
    assert_close(out.l[600], a.channels[0][600] + a.channels[0][100], "sum");
}

#[test]
fn interleaved_output_matches_block_output() {
    let mut f = Fixture::new();
    let src = signal(2, 3_000, 13);
    let m = f.media(src.clone());
    let t = f.track(TrackKind::Music);
    f.clip(t, NewClip::new(m, SamplePos(0), SampleLen(3_000)));
    let plan = compile(f.s.project(), &f.sources, CompileOptions { max_block: 256 });
    let mut r = Renderer::new(Box::new(plan));
    let mut out = vec![9.0f32; 3_000 * 4];
    r.process_interleaved(&mut out, 4);
    for i in 0..3_000 {
        assert_eq!(out[i * 4], src.channels[0][i]);
        assert_eq!(out[i * 4 + 1], src.channels[1][i]);
        assert_eq!(out[i * 4 + 2], 0.0);
    }
    assert_eq!(r.position(), SamplePos(3_000));
}

#[test]
fn overlapping_offline_and_mono_clips_sum_as_each_alone() {
    // One track holding an offline clip, a stereo clip and a mono clip
    // that overlap sounds as three tracks each holding one of them, at any
    // block size: the clip that writes the block first (not the offline
    // one) leaves zeros around its part, the others add.
    let mut f = Fixture::new();
    let stereo = f.media(signal(2, 6_000, 7));
    let offline = f.offline_media(2, 6_000);
    let clips = [
        NewClip::new(offline, SamplePos(0), SampleLen(3_000)),
        NewClip {
            gain_db: -6.0,
            ..NewClip::new(stereo, SamplePos(1_000), SampleLen(1_500))
        },
        NewClip {
            channels: ClipChannels::Mono(1),
            source_offset: SamplePos(300),
            fade_in: Fade::new(SampleLen(400), FadeShape::EqualPower),
            fade_out: Fade::new(SampleLen(700), FadeShape::SCurve),
            ..NewClip::new(stereo, SamplePos(2_000), SampleLen(2_000))
        },
    ];
    // A stereo clip far past the range keeps every track stereo.
    let far = || NewClip::new(stereo, SamplePos(100_000), SampleLen(10));
    let together = f.track(TrackKind::Dialogue);
    for c in &clips {
        f.clip(together, c.clone());
    }
    f.clip(together, far());
    let one = f.render_with(0, 5_000, 5_000);
    let mut g = Fixture::new();
    let stereo2 = g.media(signal(2, 6_000, 7));
    assert_eq!(stereo2, stereo);
    let offline2 = g.offline_media(2, 6_000);
    assert_eq!(offline2, offline);
    for c in &clips {
        let t = g.track(TrackKind::Dialogue);
        g.clip(t, c.clone());
        g.clip(t, far());
    }
    let apart = g.render_with(0, 5_000, 5_000);
    assert!(one.l[1_200].abs() > 0.01 && one.r[3_000].abs() > 0.01);
    for k in 0..5_000 {
        assert!((one.l[k] - apart.l[k]).abs() < 1e-6, "left {k}");
        assert!((one.r[k] - apart.r[k]).abs() < 1e-6, "right {k}");
    }
    for block in [1, 7, 512, 999] {
        let b = f.render_with(0, 5_000, block);
        assert!(b.l == one.l && b.r == one.r, "block {block}");
    }
}
