//! The strip graph: inserts and sends in playback and offline render alike,
//! latency compensation, processor state across plan swaps, sidechains,
//! and the allocation guard over all of it.

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_engine::{AudioEngine, Control, ProcessorConfig, Renderer, Sources, compile};
use dubstage_engine::{CompileOptions, Compiler};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    ClipChannels, Command, Created, InsertId, InsertKind, MediaId, NewClip, ParamId, Project,
    SampleLen, SamplePos, Session, Stem, StripId, TrackId, TrackKind,
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
        Mix {
            s: Session::new(Project::new("mix")),
            sources: Sources::new(),
        }
    }

    fn media(&mut self, channels: Vec<Vec<f32>>) -> MediaId {
        let frames = channels[0].len() as i64;
        let Ok(Created::Media(id)) = self.s.apply(Command::AddMedia {
            path: "/none.wav".into(),
            name: "m".into(),
            channels: channels.len() as u16,
            length: SampleLen(frames),
        }) else {
            panic!("media")
        };
        self.sources.insert(
            id,
            Arc::new(AudioBuffer {
                sample_rate: RATE as u32,
                channels,
            }),
        );
        id
    }

    fn track_with(&mut self, kind: TrackKind, audio: Vec<f32>) -> TrackId {
        let m = self.media(vec![audio.clone()]);
        let Ok(Created::Track(t)) = self.s.apply(Command::AddTrack {
            kind,
            name: format!("{kind:?}"),
        }) else {
            panic!("track")
        };
        let mut clip = NewClip::new(m, SamplePos::ZERO, SampleLen(audio.len() as i64));
        clip.channels = ClipChannels::Mono(0);
        self.s
            .apply(Command::AddClip { track: t, clip })
            .expect("clip");
        t
    }

    /// A track playing a stereo clip of `l` and `r` from `at`.
    fn stereo_track(&mut self, l: Vec<f32>, r: Vec<f32>, at: i64) -> TrackId {
        let len = l.len() as i64;
        let m = self.media(vec![l, r]);
        let Ok(Created::Track(t)) = self.s.apply(Command::AddTrack {
            kind: TrackKind::Dialogue,
            name: "stereo".into(),
        }) else {
            panic!("track")
        };
        let clip = NewClip::new(m, SamplePos(at), SampleLen(len));
        self.s
            .apply(Command::AddClip { track: t, clip })
            .expect("clip");
        t
    }

    fn insert(&mut self, strip: StripId, kind: InsertKind, params: &[(&str, f32)]) -> InsertId {
        let Ok(Created::Insert(id)) = self.s.apply(Command::AddInsert {
            strip,
            index: usize::MAX,
            kind,
        }) else {
            panic!("insert")
        };
        for (k, v) in params {
            let i = kind.param_index(k).expect("key");
            self.s
                .apply(Command::SetParam {
                    id: ParamId::Insert(id, i),
                    value: *v,
                })
                .expect("param");
        }
        id
    }

    /// Renders as the audio callback does: one strip at a time, in plan
    /// order, on this thread.
    fn render(&self, frames: usize, block: usize) -> (Vec<f32>, Vec<f32>) {
        self.render_with(frames, block, None)
    }

    /// [`Mix::render`] as offline renders do it, with the tracks of each
    /// block on `threads` threads (pairs of matching tracks at a time).
    fn render_on(&self, frames: usize, block: usize, threads: usize) -> (Vec<f32>, Vec<f32>) {
        self.render_with(frames, block, Some(threads))
    }

    fn render_with(
        &self,
        frames: usize,
        block: usize,
        threads: Option<usize>,
    ) -> (Vec<f32>, Vec<f32>) {
        let plan = compile(
            self.s.project(),
            &self.sources,
            CompileOptions { max_block: block },
        );
        let mut r = Renderer::new(Box::new(plan));
        if let Some(threads) = threads {
            r.use_threads(Some(threads));
            assert_eq!(r.threads(), threads);
        }
        let mut out = vec![0.0f32; frames * 2];
        r.process_interleaved(&mut out, 2);
        (
            out.iter().step_by(2).copied().collect(),
            out.iter().skip(1).step_by(2).copied().collect(),
        )
    }
}

fn sine(freq: f32, amp: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / RATE as f32).sin())
        .collect()
}

fn impulse(at: usize, n: usize) -> Vec<f32> {
    let mut v = vec![0.0; n];
    v[at] = 0.5;
    v
}

fn first_nonzero(v: &[f32]) -> Option<usize> {
    v.iter().position(|x| x.abs() > 1e-6)
}

fn rms(v: &[f32]) -> f32 {
    (v.iter().map(|x| x * x).sum::<f32>() / v.len().max(1) as f32).sqrt()
}

#[test]
fn an_impulse_through_a_limiter_strip_and_one_through_no_inserts_meet_on_the_same_sample() {
    let n = 4_000;
    let mut m = Mix::new();
    let a = m.track_with(TrackKind::Dialogue, impulse(1_000, n));
    let b = m.track_with(TrackKind::Sfx, impulse(1_000, n));
    m.insert(StripId::Track(a), InsertKind::Limiter, &[]);
    // Each alone, to find where each arrives.
    let plan = compile(m.s.project(), &m.sources, CompileOptions::default());
    let latency = plan.latency();
    assert!(latency > 0, "a limiter has look-ahead");
    m.s.apply(Command::SetParam {
        id: ParamId::Mute(StripId::Track(b)),
        value: 1.0,
    })
    .expect("mute");
    let (la, _) = m.render(n, 256);
    m.s.apply(Command::SetParam {
        id: ParamId::Mute(StripId::Track(b)),
        value: 0.0,
    })
    .expect("unmute");
    m.s.apply(Command::SetParam {
        id: ParamId::Mute(StripId::Track(a)),
        value: 1.0,
    })
    .expect("mute");
    let (lb, _) = m.render(n, 256);
    let (ia, ib) = (first_nonzero(&la), first_nonzero(&lb));
    assert_eq!(ia, ib, "both paths reach the master on the same sample");
    assert_eq!(ia, Some(1_000 + latency), "and the plan reports the delay");
}

#[test]
fn real_time_equals_offline_with_inserts_and_sends_at_any_block_size() {
    let n = 24_000;
    let mut m = Mix::new();
    let d = m.track_with(TrackKind::Dialogue, sine(220.0, 0.4, n));
    let f = m.track_with(TrackKind::Foley, sine(1_300.0, 0.3, n));
    let mus = m.track_with(TrackKind::Music, sine(440.0, 0.5, n));
    m.insert(
        StripId::Track(d),
        InsertKind::Hpf,
        &[("freq", 90.0), ("slope", 24.0)],
    );
    m.insert(
        StripId::Track(d),
        InsertKind::Eq,
        &[("b2.on", 1.0), ("b2.gain", -4.0)],
    );
    m.insert(StripId::Track(d), InsertKind::Comp, &[("threshold", -30.0)]);
    let duck = m.insert(
        StripId::Track(mus),
        InsertKind::Comp,
        &[("threshold", -40.0), ("ratio", 8.0)],
    );
    m.s.apply(Command::SetSidechain {
        insert: duck,
        source: Some(StripId::Track(d)),
    })
    .expect("key");
    m.s.apply(Command::AddBus {
        name: "Verb".into(),
    })
    .expect("bus");
    let verb = m.s.project().buses.last().expect("bus").id;
    m.insert(StripId::Bus(verb), InsertKind::Reverb, &[]);
    m.s.apply(Command::AddSend {
        strip: StripId::Track(f),
        bus: verb,
    })
    .expect("send");
    m.insert(StripId::Master, InsertKind::Limiter, &[("ceiling", -3.0)]);
    let (l1, r1) = m.render(n, 1024);
    let (l2, r2) = m.render(n, 37);
    assert_eq!(l1, l2);
    assert_eq!(r1, r2);
    // The reverb return is heard: more energy than without the send.
    assert!(rms(&l1) > 0.01);
}

#[test]
fn rendering_the_tracks_on_threads_gives_the_same_bits() {
    // Every processor on its own track, a keyed compressor (that track
    // runs in plan order), a send to a reverb bus and a limited master:
    // one, two or three threads give exactly the samples of the strips run
    // one at a time.
    let n = 30_000;
    let mut m = Mix::new();
    let d = m.track_with(TrackKind::Dialogue, sine(220.0, 0.4, n));
    m.insert(StripId::Track(d), InsertKind::Hpf, &[("freq", 90.0)]);
    m.insert(StripId::Track(d), InsertKind::Comp, &[("threshold", -30.0)]);
    let mut last = d;
    for (i, kind) in InsertKind::ALL.into_iter().enumerate() {
        let t = m.track_with(TrackKind::Sfx, sine(150.0 + 97.0 * i as f32, 0.3, n));
        m.insert(StripId::Track(t), kind, &[]);
        last = t;
    }
    let mus = m.track_with(TrackKind::Music, sine(440.0, 0.5, n));
    let duck = m.insert(StripId::Track(mus), InsertKind::Comp, &[("ratio", 8.0)]);
    m.s.apply(Command::SetSidechain {
        insert: duck,
        source: Some(StripId::Track(d)),
    })
    .expect("key");
    m.s.apply(Command::AddBus {
        name: "Verb".into(),
    })
    .expect("bus");
    let verb = m.s.project().buses.last().expect("bus").id;
    m.insert(StripId::Bus(verb), InsertKind::Reverb, &[]);
    m.s.apply(Command::AddSend {
        strip: StripId::Track(last),
        bus: verb,
    })
    .expect("send");
    m.insert(StripId::Master, InsertKind::Limiter, &[("ceiling", -3.0)]);
    let one = m.render(n, 512);
    assert!(rms(&one.0) > 0.01);
    for threads in [1, 2, 3] {
        assert!(one == m.render_on(n, 512, threads), "{threads} threads");
    }
}

#[test]
fn stereo_tracks_whose_inserts_run_in_pairs_give_the_bits_of_one_at_a_time() {
    // Offline, on any number of threads, stereo tracks with as many
    // inserts go two at a time and run their filters and compressors
    // together. Pairs that fit (other cutoffs, other
    // gains, clips starting in other blocks so their flush grids differ)
    // and pairs that do not (another slope, a bypassed or automated
    // insert, a mono track) all give the samples of the strips run one at
    // a time, as the audio callback runs them.
    let n = 40_000;
    let mut m = Mix::new();
    let mut tracks = Vec::new();
    for i in 0..9 {
        let f = 110.0 + 61.0 * i as f32;
        let t = m.stereo_track(sine(f, 0.3, n), sine(f * 1.5, 0.2, n), 137 * i as i64);
        let mut eq = vec![];
        let keys: Vec<(String, f32)> = (1..=4)
            .flat_map(|b| {
                [
                    (format!("b{b}.on"), 1.0),
                    (
                        format!("b{b}.gain"),
                        if (b + i) % 2 == 0 { -3.0 } else { 4.0 },
                    ),
                ]
            })
            .collect();
        eq.extend(keys.iter().map(|(k, v)| (k.as_str(), *v)));
        let slope = if i == 4 { 12.0 } else { 24.0 };
        let hpf = m.insert(
            StripId::Track(t),
            InsertKind::Hpf,
            &[("freq", 60.0 + 10.0 * i as f32), ("slope", slope)],
        );
        m.insert(StripId::Track(t), InsertKind::Eq, &eq);
        m.insert(StripId::Track(t), InsertKind::Comp, &[("threshold", -24.0)]);
        if i == 6 {
            m.s.apply(Command::SetParam {
                id: ParamId::Bypass(hpf),
                value: 1.0,
            })
            .expect("bypass");
        }
        tracks.push((t, hpf));
    }
    // An automated cutoff on one of them.
    let (_, hpf7) = tracks[7];
    let lane = ParamId::Insert(hpf7, InsertKind::Hpf.param_index("freq").expect("freq"));
    m.s.apply(Command::SetLane {
        param: lane,
        points: vec![
            dubstage_model::AutoPoint::new(0, 50.0),
            dubstage_model::AutoPoint::new(n as i64, 400.0),
        ],
    })
    .expect("lane");
    let mono = m.track_with(TrackKind::Sfx, sine(300.0, 0.3, n));
    m.insert(StripId::Track(mono), InsertKind::Hpf, &[("freq", 90.0)]);
    m.insert(StripId::Track(mono), InsertKind::Eq, &[("b1.on", 1.0)]);
    m.insert(StripId::Track(mono), InsertKind::Comp, &[]);
    // Sends before and after the fader, one panned, one from the mono
    // track, into a bus the stems also feed: the additions into it are
    // split by frames across the threads and must keep plan order.
    m.s.apply(Command::AddBus {
        name: "Verb".into(),
    })
    .expect("bus");
    let verb = m.s.project().buses.last().expect("bus").id;
    m.insert(StripId::Bus(verb), InsertKind::Reverb, &[]);
    for (k, strip) in [tracks[0].0, tracks[1].0, tracks[5].0, mono]
        .into_iter()
        .enumerate()
    {
        let Ok(Created::Send(send)) = m.s.apply(Command::AddSend {
            strip: StripId::Track(strip),
            bus: verb,
        }) else {
            panic!("send")
        };
        for (id, value) in [
            (ParamId::SendLevel(send), -6.0 - k as f32),
            (ParamId::SendPre(send), (k % 2) as f32),
            (ParamId::Pan(StripId::Track(strip)), 0.4 - 0.3 * k as f32),
        ] {
            m.s.apply(Command::SetParam { id, value }).expect("set");
        }
    }
    for block in [512, 333] {
        let one = m.render(n, block);
        assert!(rms(&one.0) > 0.01);
        for threads in [1, 2, 3] {
            assert!(
                one == m.render_on(n, block, threads),
                "{threads} threads, block {block}"
            );
        }
    }
}

#[test]
fn a_sidechain_ducks_the_music_under_the_dialogue() {
    let n = RATE;
    let mut m = Mix::new();
    let mut dia = vec![0.0; n];
    dia[RATE / 2..].copy_from_slice(&sine(300.0, 0.5, n - RATE / 2));
    let d = m.track_with(TrackKind::Dialogue, dia);
    m.s.apply(Command::SetParam {
        id: ParamId::Fader(StripId::Track(d)),
        value: -144.0,
    })
    .expect("silence the dialogue itself");
    let mus = m.track_with(TrackKind::Music, sine(440.0, 0.3, n));
    let comp = m.insert(
        StripId::Track(mus),
        InsertKind::Comp,
        &[("threshold", -40.0), ("ratio", 10.0), ("attack", 1.0)],
    );
    // The key is the dialogue's post-fader signal: give it a pre-fader... no: keep the fader at unity for the key.
    m.s.apply(Command::SetParam {
        id: ParamId::Fader(StripId::Track(d)),
        value: 0.0,
    })
    .expect("unity");
    m.s.apply(Command::SetParam {
        id: ParamId::Mute(StripId::Bus(Stem::Dialogue.bus_id())),
        value: 1.0,
    })
    .expect("mute DIA bus");
    m.s.apply(Command::SetSidechain {
        insert: comp,
        source: Some(StripId::Track(d)),
    })
    .expect("key");
    let (l, _) = m.render(n, 512);
    let before = rms(&l[RATE / 8..RATE / 2 - 1_000]);
    let during = rms(&l[RATE / 2 + 4_800..]);
    let drop_db = 20.0 * (during / before).log10();
    assert!(
        drop_db < -10.0,
        "music ducks by {drop_db:.1} dB under the dialogue"
    );
    // Without a key the music (at −13.5 dBFS RMS) is compressed by itself only.
    m.s.apply(Command::SetSidechain {
        insert: comp,
        source: None,
    })
    .expect("no key");
    let (l, _) = m.render(n, 512);
    let steady = 20.0 * (rms(&l[RATE / 2 + 4_800..]) / rms(&l[RATE / 8..RATE / 2 - 1_000])).log10();
    assert!(steady.abs() < 0.1, "{steady}");
}

#[test]
fn a_plan_swap_in_the_middle_of_a_compressor_release_continues_the_envelope() {
    // A loud burst then quiet: the compressor is releasing when an edit
    // (a new plan) arrives. With state kept, the output equals one
    // uninterrupted render.
    let n = RATE;
    let mut audio = vec![0.05f32; n];
    for v in &mut audio[..RATE / 4] {
        *v = 0.9;
    }
    let mut m = Mix::new();
    let t = m.track_with(TrackKind::Dialogue, audio);
    m.insert(
        StripId::Track(t),
        InsertKind::Comp,
        &[("threshold", -30.0), ("ratio", 10.0), ("release", 500.0)],
    );
    let (reference, _) = m.render(n, 480);

    let mut compiler = Compiler::new();
    let opts = CompileOptions { max_block: 480 };
    let plan = compiler.compile(m.s.project(), &m.sources, opts);
    let mut r = Renderer::new(Box::new(plan));
    let mut out = vec![0.0f32; n * 2];
    let half = RATE / 4 + 2_400;
    r.process_interleaved(&mut out[..half * 2], 2);
    // An unrelated edit: a marker. A new plan, same processors.
    m.s.apply(Command::AddMarker {
        position: SamplePos(10),
        name: "m".into(),
    })
    .expect("marker");
    let plan = compiler.compile(m.s.project(), &m.sources, opts);
    let old = r.swap_plan(Box::new(plan));
    drop(old);
    r.process_interleaved(&mut out[half * 2..], 2);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    assert_eq!(left, reference, "the release continued across the swap");

    // A fresh compiler (no state kept) would restart the envelope: the
    // test can tell the difference.
    let plan = compile(m.s.project(), &m.sources, opts);
    let mut r2 = Renderer::new(Box::new(plan));
    r2.locate(SamplePos(half as i64));
    let mut tail = vec![0.0f32; (n - half) * 2];
    r2.process_interleaved(&mut tail, 2);
    assert_ne!(tail[0], out[half * 2]);
}

#[test]
fn playback_of_a_limited_master_equals_the_written_delivery_chain() {
    // The delivery chain (gain, limiter) built by the export equals the
    // same inserts on the master strip played back.
    let n = 20_000;
    let mut m = Mix::new();
    m.track_with(TrackKind::Music, sine(997.0, 0.9, n));
    let settings_gain = 6.0;
    let ceiling = dubstage_dsp::db_to_gain(-2.0);
    let plan = compile(
        m.s.project(),
        &m.sources,
        CompileOptions { max_block: 4096 },
    );
    let mut r = Renderer::new(Box::new(plan));
    let mut dry = vec![0.0f32; n * 2];
    r.process_interleaved(&mut dry, 2);
    let (dl, dr): (Vec<f32>, Vec<f32>) = (
        dry.iter().step_by(2).copied().collect(),
        dry.iter().skip(1).step_by(2).copied().collect(),
    );
    let settings = dubstage_engine::export::ExportSettings {
        start: SamplePos::ZERO,
        end: SamplePos(n as i64),
        format: dubstage_media::WavFormat::Float32,
        sample_rate: RATE as u32,
        master: "/dev/null".into(),
        stems_dir: None,
        overwrite: true,
        dither: false,
        bwf: None,
        gain_db: settings_gain,
        limiter_ceiling: Some(ceiling),
        flac: false,
        stem_template: None,
        protect: Vec::new(),
    };
    let mut chain = dubstage_engine::export::MasterChain::new(&settings);
    let delay = chain.delay() as usize;
    let (cl, _) = chain.process(&dl, &dr);
    let written: Vec<f32> = cl.to_vec();
    // The same inserts on the master, played back.
    for ins in dubstage_engine::export::delivery_inserts(settings_gain, Some(ceiling), 9_000) {
        let id = ins.id;
        m.s.apply(Command::RestoreInsert {
            strip: StripId::Master,
            index: usize::MAX,
            insert: ins,
        })
        .expect("insert");
        let _ = id;
    }
    let (pl, _) = m.render(n, 4096);
    assert_eq!(&pl[delay..], &written[..n - delay]);
    assert!(pl.iter().all(|v| v.abs() <= ceiling));
}

#[test]
fn the_audio_callback_never_allocates_with_every_processor_sends_swaps_and_controls() {
    let n = 8_000;
    let mut m = Mix::new();
    let mut tracks = Vec::new();
    for (i, kind) in [TrackKind::Dialogue, TrackKind::Foley, TrackKind::Music]
        .into_iter()
        .enumerate()
    {
        tracks.push(m.track_with(kind, sine(200.0 + 300.0 * i as f32, 0.4, n)));
    }
    let mut ids = Vec::new();
    for (i, kind) in InsertKind::ALL.into_iter().enumerate() {
        let strip = StripId::Track(tracks[i % tracks.len()]);
        ids.push(m.insert(strip, kind, &[]));
    }
    let denoise = ids[6];
    let rnn = m.insert(
        StripId::Track(tracks[0]),
        InsertKind::Denoise,
        &[("mode", 0.0)],
    );
    let _ = denoise;
    m.s.apply(Command::AddSend {
        strip: StripId::Track(tracks[1]),
        bus: Stem::Music.bus_id(),
    })
    .expect("send");
    let comp = ids[3];
    m.s.apply(Command::SetSidechain {
        insert: comp,
        source: Some(StripId::Track(tracks[2])),
    })
    .expect("key");
    m.insert(StripId::Master, InsertKind::Limiter, &[]);

    let config = ProcessorConfig {
        project_rate: RATE as u32,
        device_rate: RATE as u32,
        channels: 2,
        max_block: 256,
    };
    let (mut engine, mut p) = AudioEngine::pair(config);
    engine
        .send_project(m.s.project(), &m.sources)
        .expect("plan");
    engine.play().expect("play");
    let mut out = vec![0.0f32; 256 * 2];
    // The first plan with RNNoise warms its per-thread FFT caches (once).
    p.process(&mut out);
    for round in 0..40 {
        if round % 7 == 3 {
            // An edit while playing: a new plan (processors kept, one added).
            m.s.apply(Command::SetParam {
                id: ParamId::Insert(rnn, 1),
                value: 0.5,
            })
            .expect("mix");
            engine
                .send_project(m.s.project(), &m.sources)
                .expect("plan");
        }
        engine
            .control(Control::new(
                ParamId::Fader(StripId::Track(tracks[round % 3])),
                -(round as f32 % 12.0),
            ))
            .expect("fader");
        engine
            .control(Control::new(
                ParamId::Insert(ids[2], 7),
                round as f32 % 10.0 - 5.0,
            ))
            .expect("eq");
        engine
            .control(Control::new(
                ParamId::Insert(ids[0], 0),
                60.0 + round as f32,
            ))
            .expect("hpf");
        assert_no_alloc(|| p.process(&mut out));
        engine.collect_garbage();
    }
    assert!(out.iter().all(|v| v.is_finite()));
    let _ = TrackId(0);
}

/// Every path the callback has, at once, under the allocation guard: all
/// processors, sends, a sidechain, master and bus inserts, plan swaps (two
/// in one callback, so one waits for the other's crossfade), controls, a
/// pinned audition and a free preview, the insert tap, a loop, shuttle both
/// ways, stop and locate, on mono, stereo and four-channel devices.
#[test]
fn every_path_of_the_callback_at_once_never_allocates() {
    use dubstage_engine::AuditionVoice;
    let n = 8_000;
    let mut m = Mix::new();
    let mut tracks = Vec::new();
    for (i, kind) in [TrackKind::Dialogue, TrackKind::Foley, TrackKind::Music]
        .into_iter()
        .enumerate()
    {
        tracks.push(m.track_with(kind, sine(200.0 + 300.0 * i as f32, 0.4, n)));
    }
    let mut ids = Vec::new();
    for (i, kind) in InsertKind::ALL.into_iter().enumerate() {
        ids.push(m.insert(StripId::Track(tracks[i % tracks.len()]), kind, &[]));
    }
    m.insert(
        StripId::Track(tracks[0]),
        InsertKind::Denoise,
        &[("mode", 0.0)],
    );
    m.insert(StripId::Bus(Stem::Music.bus_id()), InsertKind::Eq, &[]);
    m.insert(
        StripId::Bus(Stem::Effects.bus_id()),
        InsertKind::Reverb,
        &[],
    );
    m.s.apply(Command::AddSend {
        strip: StripId::Track(tracks[1]),
        bus: Stem::Effects.bus_id(),
    })
    .expect("send");
    m.s.apply(Command::SetSidechain {
        insert: ids[3],
        source: Some(StripId::Track(tracks[2])),
    })
    .expect("key");
    m.insert(StripId::Master, InsertKind::Limiter, &[]);
    let sound = Arc::new(AudioBuffer {
        sample_rate: RATE as u32,
        channels: vec![sine(700.0, 0.2, 6_000)],
    });
    for channels in [1u16, 2, 4] {
        let (mut engine, mut p) = AudioEngine::pair(ProcessorConfig {
            project_rate: RATE as u32,
            device_rate: RATE as u32,
            channels,
            max_block: 256,
        });
        engine
            .send_project(m.s.project(), &m.sources)
            .expect("plan");
        engine.set_tap(Some(ids[2])).expect("tap");
        engine
            .set_loop(Some((SamplePos(1_000), SamplePos(5_000))))
            .expect("loop");
        engine.play().expect("play");
        let mut out = vec![0.0f32; 200 * usize::from(channels)];
        for round in 0..60 {
            match round % 12 {
                1 => engine
                    .audition(AuditionVoice::new(
                        sound.clone(),
                        None,
                        false,
                        Some(SamplePos(2_000)),
                    ))
                    .expect("pinned"),
                3 => {
                    // Two plans at once: the second waits for the first's crossfade.
                    engine
                        .send_project(m.s.project(), &m.sources)
                        .expect("plan");
                    engine
                        .send_project(m.s.project(), &m.sources)
                        .expect("plan");
                }
                5 => engine.shuttle(2).expect("shuttle"),
                6 => engine.shuttle(-2).expect("back"),
                7 => engine.shuttle(1).expect("normal"),
                8 => engine.stop().expect("stop"),
                9 => {
                    engine
                        .audition(AuditionVoice::new(
                            sound.clone(),
                            Some((0, 3_000)),
                            true,
                            None,
                        ))
                        .expect("preview");
                    engine.locate(SamplePos(3_000)).expect("locate");
                    engine
                        .send_project(m.s.project(), &m.sources)
                        .expect("plan while stopped");
                }
                10 => {
                    engine.stop_audition().expect("stop audition");
                    engine.play().expect("play");
                }
                _ => {}
            }
            engine
                .control(Control::new(
                    ParamId::Fader(StripId::Track(tracks[round % 3])),
                    -(round as f32 % 12.0),
                ))
                .expect("fader");
            engine
                .control(Control::new(
                    ParamId::Insert(ids[2], 7),
                    round as f32 % 10.0 - 5.0,
                ))
                .expect("eq");
            assert_no_alloc(|| p.process(&mut out));
            engine.collect_garbage();
            let mut tapped = Vec::new();
            engine.drain_tap(&mut tapped);
            engine.drain_loudness(|_| {});
        }
        assert!(out.iter().all(|v| v.is_finite()), "{channels} channels");
    }
}

#[test]
fn the_delivery_chain_on_the_master_plays_what_the_delivery_wrote() {
    let n = 20_000;
    let mut m = Mix::new();
    m.track_with(TrackKind::Music, sine(997.0, 0.9, n));
    let (dl, dr) = m.render(n, 4096);
    let chain = dubstage_model::DeliveryChain {
        preset: "test".into(),
        gain_db: 4.0,
        ceiling_dbtp: Some(-1.5),
    };
    let settings = dubstage_engine::export::ExportSettings {
        start: SamplePos::ZERO,
        end: SamplePos(n as i64),
        format: dubstage_media::WavFormat::Float32,
        sample_rate: RATE as u32,
        master: "/dev/null".into(),
        stems_dir: None,
        overwrite: true,
        dither: false,
        bwf: None,
        gain_db: chain.gain_db,
        limiter_ceiling: chain.ceiling_dbtp.map(dubstage_dsp::db_to_gain),
        flac: false,
        stem_template: None,
        protect: Vec::new(),
    };
    let mut mc = dubstage_engine::export::MasterChain::new(&settings);
    let delay = mc.delay() as usize;
    let written = mc.process(&dl, &dr).0.to_vec();
    m.s.apply(Command::SetDelivery {
        delivery: Some(chain),
    })
    .expect("chain");
    let plan = compile(
        m.s.project(),
        &m.sources,
        CompileOptions { max_block: 4096 },
    );
    assert_eq!(
        plan.latency(),
        delay,
        "the chain's delay is the plan's latency"
    );
    let (pl, _) = m.render(n, 4096);
    assert_eq!(&pl[delay..], &written[..n - delay]);
    // A delivery renders without it (it applies the gain it finds).
    assert_eq!(m.s.project().without_delivery().master.delivery, None);
}

#[test]
fn an_insert_that_outputs_non_finite_samples_is_reset_bypassed_and_counted() {
    let n = 4_096;
    let mut audio = sine(500.0, 0.3, n);
    audio[1_000] = f32::INFINITY;
    let mut m = Mix::new();
    let t = m.track_with(TrackKind::Dialogue, audio);
    let eq = m.insert(
        StripId::Track(t),
        InsertKind::Eq,
        &[("b1.on", 1.0), ("b1.gain", 6.0)],
    );
    let plan = compile(m.s.project(), &m.sources, CompileOptions { max_block: 256 });
    let mut r = Renderer::new(Box::new(plan));
    let mut out = vec![0.0f32; n * 2];
    r.process_interleaved(&mut out, 2);
    assert!(
        out.iter().all(|v| v.is_finite()),
        "nothing non-finite reaches the output"
    );
    assert_eq!(r.faults(), (1, Some(eq)));
    // Bypassed from then on: the later blocks carry the dry signal.
    assert!(out[3_000 * 2].abs() > 0.0);
}

#[test]
fn a_fault_in_a_pair_of_tracks_is_the_faulting_tracks_alone() {
    // Two stereo tracks whose filters and compressors run as a pair; an
    // infinity in one track's clip faults that track's first insert only,
    // as one at a time, on any number of threads.
    let n = 8_192;
    let mut m = Mix::new();
    let mut l = sine(300.0, 0.3, n);
    l[5_000] = f32::INFINITY;
    let bad = m.stereo_track(l, sine(450.0, 0.3, n), 0);
    let good = m.stereo_track(sine(200.0, 0.3, n), sine(350.0, 0.3, n), 0);
    let mut first = None;
    for t in [bad, good] {
        let hpf = m.insert(StripId::Track(t), InsertKind::Hpf, &[("slope", 24.0)]);
        m.insert(
            StripId::Track(t),
            InsertKind::Eq,
            &[("b2.on", 1.0), ("b2.gain", 4.0)],
        );
        m.insert(StripId::Track(t), InsertKind::Comp, &[("threshold", -30.0)]);
        first.get_or_insert(hpf);
    }
    let render = |threads: Option<usize>| {
        let plan = compile(
            m.s.project(),
            &m.sources,
            CompileOptions { max_block: 1_024 },
        );
        let mut r = Renderer::new(Box::new(plan));
        if let Some(t) = threads {
            r.use_threads(Some(t));
        }
        let mut out = vec![0.0f32; n * 2];
        r.process_interleaved(&mut out, 2);
        (out, r.faults())
    };
    let (want, faults) = render(None);
    assert_eq!(faults, (1, first));
    assert!(want.iter().all(|v| v.is_finite()));
    for threads in [1, 2] {
        assert!(
            render(Some(threads)) == (want.clone(), faults),
            "{threads} threads"
        );
    }
}

#[test]
fn inserts_stop_running_only_after_their_tails_and_delays_have_come_out() {
    // A short click into a reverb with the longest pre-delay: the clip
    // ends long before the reverb answers, and the answer must still come.
    let n = RATE * 4;
    let mut click = vec![0.0f32; 2_000];
    click[0] = 0.9;
    let mut m = Mix::new();
    let t = m.track_with(TrackKind::Sfx, click);
    m.insert(
        StripId::Track(t),
        InsertKind::Reverb,
        &[
            ("predelay", 250.0),
            ("mix", 1.0),
            ("decay", 0.3),
            ("preset", 3.0),
        ],
    );
    let (l, _) = m.render(n, 128);
    let first = first_nonzero(&l).expect("the reverb answers");
    assert!(
        (first as i64 - RATE as i64 / 4).abs() < 200,
        "at the pre-delay: {first}"
    );
    // Long after, the strip is idle and silent.
    assert!(l[n - 1_000..].iter().all(|v| *v == 0.0));
}
