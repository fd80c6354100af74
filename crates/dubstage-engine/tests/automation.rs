//! Automation in the engine: fader, pan, mute, send and insert-parameter
//! lanes and clip-gain envelopes render as their curves say, the same bits
//! at any block size, and the callback never allocates with them.

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_engine::{AudioEngine, CompileOptions, ProcessorConfig, Renderer, Sources, compile};
use dubstage_media::AudioBuffer;
use dubstage_model::automation::{AutoPoint, value_at};
use dubstage_model::{
    ClipChannels, ClipId, Command, Created, EnvPoint, InsertKind, MediaId, NewClip, PanLaw,
    ParamId, Project, SampleLen, SamplePos, Session, Stem, StripId, TrackId, TrackKind,
};
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

const RATE: usize = 48_000;

struct Mix {
    s: Session,
    sources: Sources,
}

impl Mix {
    fn new() -> Mix {
        let mut p = Project::new("automation");
        p.pan_law = PanLaw::ConstantPower3dB;
        Mix {
            s: Session::new(p),
            sources: Sources::new(),
        }
    }

    fn media(&mut self, audio: Vec<f32>) -> MediaId {
        let frames = audio.len() as i64;
        let Ok(Created::Media(id)) = self.s.apply(Command::AddMedia {
            path: "/none.wav".into(),
            name: "m".into(),
            channels: 1,
            length: SampleLen(frames),
        }) else {
            panic!("media")
        };
        self.sources.insert(
            id,
            Arc::new(AudioBuffer {
                sample_rate: RATE as u32,
                channels: vec![audio],
            }),
        );
        id
    }

    /// A track playing `audio` from the start, and its clip.
    fn track(&mut self, kind: TrackKind, audio: Vec<f32>) -> (TrackId, ClipId) {
        let n = audio.len() as i64;
        let m = self.media(audio);
        let Ok(Created::Track(t)) = self.s.apply(Command::AddTrack {
            kind,
            name: format!("{kind:?}"),
        }) else {
            panic!("track")
        };
        let mut clip = NewClip::new(m, SamplePos::ZERO, SampleLen(n));
        clip.channels = ClipChannels::Mono(0);
        let Ok(Created::Clip(c)) = self.s.apply(Command::AddClip { track: t, clip }) else {
            panic!("clip")
        };
        (t, c)
    }

    fn lane(&mut self, param: ParamId, points: &[(i64, f32)]) {
        self.s
            .apply(Command::SetLane {
                param,
                points: points.iter().map(|&(t, v)| AutoPoint::new(t, v)).collect(),
            })
            .expect("lane");
    }

    fn render(&self, frames: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
        let plan = compile(
            self.s.project(),
            &self.sources,
            CompileOptions { max_block: block },
        );
        let mut r = Renderer::new(Box::new(plan));
        let mut out = vec![0.0f32; frames * 2];
        r.process_interleaved(&mut out, 2);
        (
            out.iter().step_by(2).copied().collect(),
            out.iter().skip(1).step_by(2).copied().collect(),
        )
    }
}

fn steady(n: usize) -> Vec<f32> {
    vec![0.25; n]
}

fn db(x: f32) -> f64 {
    20.0 * f64::from(x.abs()).log10()
}

#[test]
fn a_fader_lane_is_followed_within_a_hundredth_of_a_db_at_every_sample() {
    let n = 3 * RATE;
    let mut m = Mix::new();
    let (t, _) = m.track(TrackKind::Dialogue, steady(n));
    let (reference, _) = m.render(n, 4096);
    // 0 dB to −20 dB over one second, from 0.5 s.
    let pts = [(RATE as i64 / 2, 0.0), (RATE as i64 * 3 / 2, -20.0)];
    m.lane(ParamId::Fader(StripId::Track(t)), &pts);
    let (left, _) = m.render(n, 4096);
    let points: Vec<AutoPoint> = pts.iter().map(|&(t, v)| AutoPoint::new(t, v)).collect();
    for k in 0..n {
        let want = value_at(&points, k as i64, false).expect("value");
        let got = db(left[k]) - db(reference[k]);
        assert!(
            (got - want).abs() < 0.01,
            "sample {k}: {got:.4} dB, the curve says {want:.4}"
        );
    }
    // Held before the first point and after the last.
    assert_eq!(left[100], reference[100]);
    assert!((db(left[n - 1]) - db(reference[n - 1]) + 20.0).abs() < 1e-4);
}

#[test]
fn a_mute_lane_switches_on_its_exact_sample() {
    let n = RATE;
    let mut m = Mix::new();
    let (t, _) = m.track(TrackKind::Dialogue, steady(n));
    m.lane(
        ParamId::Mute(StripId::Track(t)),
        &[(0, 0.0), (12_345, 1.0), (30_001, 0.0)],
    );
    for block in [4096, 128, 61] {
        let (l, _) = m.render(n, block);
        assert!(l[12_344].abs() > 0.1, "heard just before ({block})");
        assert_eq!(l[12_345], 0.0, "silent from its sample ({block})");
        assert_eq!(l[30_000], 0.0);
        assert!(l[30_001].abs() > 0.1, "heard again ({block})");
    }
}

#[test]
fn pan_and_send_level_lanes_move_the_signal_as_their_static_values_would() {
    let n = RATE;
    let mut m = Mix::new();
    let (t, _) = m.track(TrackKind::Foley, steady(n));
    m.lane(
        ParamId::Pan(StripId::Track(t)),
        &[(0, -1.0), (RATE as i64, 1.0)],
    );
    let (l, r) = m.render(n, 512);
    // Hard left at the start, centre half-way, the law's gains between.
    assert!(r[0].abs() < 1e-6 && l[0].abs() > 0.2);
    let (gl, gr) = dubstage_dsp::pan_gains(PanLaw::ConstantPower3dB, 0.0);
    let half = RATE / 2;
    assert!((l[half] / 0.25 - gl).abs() < 1e-3, "{}", l[half]);
    assert!((r[half] / 0.25 - gr).abs() < 1e-3, "{}", r[half]);
    // A send to a bus whose output is what the send level lane says.
    let mut m = Mix::new();
    let (t, _) = m.track(TrackKind::Foley, steady(n));
    m.s.apply(Command::SetParam {
        id: ParamId::Mute(StripId::Track(t)),
        value: 0.0,
    })
    .expect("unmute");
    m.s.apply(Command::AddBus {
        name: "Verb".into(),
    })
    .expect("bus");
    let bus = m.s.project().buses.last().expect("bus").id;
    m.s.apply(Command::AddSend {
        strip: StripId::Track(t),
        bus,
    })
    .expect("send");
    let send = m.s.project().tracks[0].sends[0].id;
    // The track's own output silenced, so only the send is heard.
    m.s.apply(Command::SetParam {
        id: ParamId::Fader(StripId::Track(t)),
        value: -144.0,
    })
    .expect("fader");
    m.s.apply(Command::SetParam {
        id: ParamId::SendPre(send),
        value: 1.0,
    })
    .expect("pre");
    let (flat, _) = m.render(n, 512);
    m.lane(ParamId::SendLevel(send), &[(0, 0.0), (RATE as i64, -12.0)]);
    let (ramped, _) = m.render(n, 512);
    for k in [0usize, RATE / 4, RATE / 2, RATE - 1] {
        let want = -12.0 * k as f64 / RATE as f64;
        let got = db(ramped[k]) - db(flat[k]);
        assert!(
            (got - want).abs() < 0.01,
            "sample {k}: {got} dB, want {want}"
        );
    }
}

#[test]
fn an_eq_gain_lane_sounds_as_its_static_value_at_each_point() {
    let n = RATE;
    let tone: Vec<f32> = (0..n)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / RATE as f32).sin())
        .collect();
    let render_static = |gain: f32| {
        let mut m = Mix::new();
        let (t, _) = m.track(TrackKind::Dialogue, tone.clone());
        let Ok(Created::Insert(eq)) = m.s.apply(Command::AddInsert {
            strip: StripId::Track(t),
            index: 0,
            kind: InsertKind::Eq,
        }) else {
            panic!("eq")
        };
        for (key, v) in [("b2.on", 1.0), ("b2.freq", 1000.0), ("b2.gain", gain)] {
            let i = InsertKind::Eq.param_index(key).expect("key");
            m.s.apply(Command::SetParam {
                id: ParamId::Insert(eq, i),
                value: v,
            })
            .expect("param");
        }
        (m, eq)
    };
    let (a, _) = render_static(-9.0).0.render(n, 4096);
    let (b, _) = render_static(6.0).0.render(n, 4096);
    // The lane: −9 dB held to half-way, then +6 dB.
    let (mut m, eq) = render_static(0.0);
    let gain = InsertKind::Eq.param_index("b2.gain").expect("key");
    m.s.apply(Command::SetLane {
        param: ParamId::Insert(eq, gain),
        points: vec![
            AutoPoint {
                shape: dubstage_model::Shape::Hold,
                ..AutoPoint::new(0, -9.0)
            },
            AutoPoint::new(RATE as i64 / 2, 6.0),
        ],
    })
    .expect("lane");
    let (got, _) = m.render(n, 4096);
    assert_eq!(&got[..RATE / 2], &a[..RATE / 2], "as the static −9 dB");
    let tail = RATE / 2 + 4800..n;
    for k in tail {
        assert!(
            (got[k] - b[k]).abs() < 1e-4,
            "sample {k}: as the static +6 dB"
        );
    }
}

#[test]
fn a_clip_gain_envelope_stays_with_its_audio_through_edits() {
    let n = RATE;
    let mut m = Mix::new();
    let (t, c) = m.track(TrackKind::Dialogue, steady(n));
    let (flat, _) = m.render(2 * n, 4096);
    // −12 dB at source sample 10,000 rising to 0 dB at 20,000.
    m.s.apply(Command::SetClipEnvelope {
        clip: c,
        points: vec![
            EnvPoint {
                at: SamplePos(10_000),
                db: -12.0,
            },
            EnvPoint {
                at: SamplePos(20_000),
                db: 0.0,
            },
        ],
    })
    .expect("envelope");
    let envelope = m.s.project().clip(c).expect("clip").1.gain_envelope.clone();
    let env_db = |s: i64| dubstage_model::automation::envelope_db(&envelope, s);
    let (l, _) = m.render(2 * n, 4096);
    for s in [0i64, 10_000, 15_000, 20_000, 30_000] {
        let got = db(l[s as usize]) - db(flat[s as usize]);
        assert!((got - env_db(s)).abs() < 0.01, "source {s}: {got}");
    }
    // Moved 7,000 samples later, trimmed at the head, split, duplicated:
    // the same source sample gets the same gain.
    m.s.apply(Command::MoveClip {
        clip: c,
        track: t,
        position: SamplePos(7_000),
    })
    .expect("move");
    m.s.apply(Command::TrimClipStart {
        clip: c,
        position: SamplePos(9_000),
    })
    .expect("trim");
    m.s.apply(Command::SplitClip {
        clip: c,
        at: SamplePos(22_000),
    })
    .expect("split");
    m.s.apply(Command::DuplicateClip {
        clip: c,
        to: Some((t, SamplePos(60_000))),
    })
    .expect("duplicate");
    let (l2, _) = m.render(2 * n, 4096);
    for s in [3_000i64, 10_000, 15_000, 20_000, 30_000] {
        let at = (s + 7_000) as usize;
        let got = db(l2[at]) - db(flat[s as usize]);
        assert!((got - env_db(s)).abs() < 0.01, "source {s} at {at}: {got}");
    }
    // The duplicate (of the first half: source 2,000..15,000) at 60,000.
    let dup_source = 12_000i64;
    let at = 60_000 + (dup_source - 2_000) as usize;
    let got = db(l2[at]) - db(flat[dup_source as usize]);
    assert!((got - env_db(dup_source)).abs() < 0.01, "duplicate: {got}");
}

/// A session with every kind of lane at once.
fn automated_mix(n: usize) -> Mix {
    let mut m = Mix::new();
    let (a, ca) = m.track(TrackKind::Dialogue, steady(n));
    let (b, _) = m.track(TrackKind::Music, steady(n));
    let (c, _) = m.track(TrackKind::Foley, steady(n));
    m.lane(
        ParamId::Fader(StripId::Track(a)),
        &[(1_000, 0.0), (20_000, -30.0), (20_100, 3.0)],
    );
    m.lane(
        ParamId::Pan(StripId::Track(b)),
        &[(0, -0.5), (n as i64, 0.7)],
    );
    m.lane(ParamId::Mute(StripId::Track(c)), &[(0, 0.0), (9_999, 1.0)]);
    m.lane(
        ParamId::Fader(StripId::Bus(Stem::Music.bus_id())),
        &[(0, 0.0), (n as i64, -6.0)],
    );
    m.lane(
        ParamId::Fader(StripId::Master),
        &[(5_000, 0.0), (15_000, -3.0)],
    );
    m.s.apply(Command::SetClipEnvelope {
        clip: ca,
        points: vec![
            EnvPoint {
                at: SamplePos(0),
                db: -6.0,
            },
            EnvPoint {
                at: SamplePos(n as i64),
                db: 2.0,
            },
        ],
    })
    .expect("envelope");
    let Ok(Created::Insert(eq)) = m.s.apply(Command::AddInsert {
        strip: StripId::Track(b),
        index: 0,
        kind: InsertKind::Eq,
    }) else {
        panic!("eq")
    };
    let on = InsertKind::Eq.param_index("b1.on").expect("key");
    m.s.apply(Command::SetParam {
        id: ParamId::Insert(eq, on),
        value: 1.0,
    })
    .expect("on");
    let g = InsertKind::Eq.param_index("b1.gain").expect("key");
    m.lane(ParamId::Insert(eq, g), &[(0, -6.0), (n as i64, 6.0)]);
    m
}

#[test]
fn real_time_equals_offline_with_automation_at_any_block_size() {
    let n = RATE;
    let m = automated_mix(n);
    let (l, r) = m.render(n, 4096);
    for block in [128, 256, 61, 1000] {
        let (l2, r2) = m.render(n, block);
        assert!(l == l2 && r == r2, "blocks of {block} differ from offline");
    }
    // And the stems' master fader follows its lane too (via the export path
    // that renders them): the mix is not silent and finite.
    assert!(l.iter().all(|v| v.is_finite()) && l.iter().any(|v| v.abs() > 0.01));
}

#[test]
fn the_callback_never_allocates_with_automation_and_plan_swaps() {
    let n = 4 * RATE;
    let mut m = automated_mix(n);
    let config = ProcessorConfig {
        project_rate: RATE as u32,
        device_rate: RATE as u32,
        channels: 2,
        max_block: 128,
    };
    let (mut engine, mut p) = AudioEngine::pair(config);
    engine
        .send_project(m.s.project(), &m.sources)
        .expect("plan");
    engine.play().expect("play");
    let mut out = vec![0.0f32; 128 * 2];
    p.process(&mut out);
    for round in 0..60 {
        if round % 9 == 4 {
            // An edit of the automation while playing: a new plan.
            let t = m.s.project().tracks[0].id;
            m.lane(
                ParamId::Fader(StripId::Track(t)),
                &[(0, -(round as f32)), (n as i64, 0.0)],
            );
            engine
                .send_project(m.s.project(), &m.sources)
                .expect("plan");
        }
        // Touch writes: a fader, a pan and an EQ gain held and moved, let
        // go a few rounds later.
        let t = m.s.project().tracks[round % 3].id;
        for (id, v) in [
            (ParamId::Fader(StripId::Track(t)), -(round as f32 % 9.0)),
            (ParamId::Pan(StripId::Track(t)), (round as f32 * 0.1).sin()),
        ] {
            engine.touch(id, round % 5 != 4).expect("touch");
            engine
                .control(dubstage_engine::Control::new(id, v))
                .expect("control");
        }
        assert_no_alloc(|| p.process(&mut out));
        engine.collect_garbage();
    }
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn a_held_control_overrides_its_lane_until_it_is_let_go() {
    let n = 4 * RATE;
    let mut m = Mix::new();
    let (t, _) = m.track(TrackKind::Dialogue, steady(n));
    let fader = ParamId::Fader(StripId::Track(t));
    m.lane(fader, &[(0, -20.0)]);
    let (mut engine, mut p) = AudioEngine::pair(ProcessorConfig {
        project_rate: RATE as u32,
        device_rate: RATE as u32,
        channels: 2,
        max_block: 256,
    });
    engine
        .send_project(m.s.project(), &m.sources)
        .expect("plan");
    engine.play().expect("play");
    let mut out = vec![0.0f32; 256 * 2];
    let mut level = |p: &mut dubstage_engine::AudioProcessor| {
        for _ in 0..8 {
            p.process(&mut out);
        }
        db(out[out.len() - 2])
    };
    let lane_level = level(&mut p);
    // Held at 0 dB: the lane no longer applies.
    engine.touch(fader, true).expect("touch");
    engine
        .control(dubstage_engine::Control::new(fader, 0.0))
        .expect("control");
    let held = level(&mut p);
    assert!(
        (held - lane_level - 20.0).abs() < 0.01,
        "{held} vs {lane_level}"
    );
    // Let go: back on the lane.
    engine.touch(fader, false).expect("release");
    let released = level(&mut p);
    assert!(
        (released - lane_level).abs() < 0.01,
        "{released} vs {lane_level}"
    );
    assert_no_alloc(|| {
        for _ in 0..4 {
            p.process(&mut out);
        }
    });
}

#[test]
fn taking_a_control_over_from_its_lane_glides_without_a_burst() {
    // The lane at −30 dB; the fader grabbed at −30 dB: nothing jumps.
    let n = 2 * RATE;
    let mut m = Mix::new();
    let (t, _) = m.track(TrackKind::Dialogue, steady(n));
    let fader = ParamId::Fader(StripId::Track(t));
    m.lane(fader, &[(0, -30.0)]);
    let (mut engine, mut p) = AudioEngine::pair(ProcessorConfig {
        project_rate: RATE as u32,
        device_rate: RATE as u32,
        channels: 2,
        max_block: 256,
    });
    engine
        .send_project(m.s.project(), &m.sources)
        .expect("plan");
    engine.play().expect("play");
    let mut out = vec![0.0f32; 256 * 2];
    for _ in 0..8 {
        p.process(&mut out);
    }
    let lane_level = db(out[out.len() - 2]);
    engine.touch(fader, true).expect("touch");
    engine
        .control(dubstage_engine::Control::new(fader, -30.0))
        .expect("control");
    let mut loudest = f64::MIN;
    for _ in 0..8 {
        p.process(&mut out);
        for v in out.iter().step_by(2) {
            loudest = loudest.max(db(*v));
        }
    }
    assert!(
        loudest < lane_level + 0.1,
        "the hand-over jumped to {loudest:.1} dB from {lane_level:.1} dB"
    );
}
