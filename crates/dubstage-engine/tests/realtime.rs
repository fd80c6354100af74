//! The real-time path (the processor the audio callback runs), driven block by
//! block as a device would, compared with the offline renderer. The whole
//! binary runs under an allocation guard: any allocation or free inside
//! `process` aborts the test (debug builds).

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_engine::backend::{Backend, DeviceRequest, NullBackend};
use dubstage_engine::rt::{CONTROL_RAMP, PLAN_CROSSFADE, STOP_FADE};
use dubstage_engine::{
    AudioEngine, AudioProcessor, CompileOptions, Control, ProcessorConfig, Renderer, Sources,
    compile,
};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    Command, Created, NewClip, ParamId, Project, SampleLen, SamplePos, Session, StripId, TrackId,
    TrackKind,
};
use std::sync::Arc;

#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

const BLOCK: usize = 512;

/// A deterministic noise source.
fn noise(channels: usize, frames: usize, seed: u32) -> AudioBuffer {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    AudioBuffer {
        sample_rate: 48_000,
        channels: (0..channels)
            .map(|_| {
                (0..frames)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        (x as f32 / u32::MAX as f32) - 0.5
                    })
                    .collect()
            })
            .collect(),
    }
}

fn dc(value: f32, frames: usize) -> AudioBuffer {
    AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![value; frames], vec![value; frames]],
    }
}

struct Scene {
    s: Session,
    sources: Sources,
    tracks: Vec<TrackId>,
}

impl Scene {
    /// Tracks of the given sources, each with one clip from 0.
    fn new(audio: Vec<AudioBuffer>) -> Scene {
        let mut s = Session::new(Project::new("rt"));
        let mut sources = Sources::new();
        let mut tracks = Vec::new();
        for (i, a) in audio.into_iter().enumerate() {
            let len = a.frames() as i64;
            let Ok(Created::Media(m)) = s.apply(Command::AddMedia {
                path: "/x.wav".into(),
                name: "x".into(),
                channels: 2,
                length: SampleLen(len),
            }) else {
                panic!("media")
            };
            sources.insert(m, Arc::new(a));
            let Ok(Created::Track(t)) = s.apply(Command::AddTrack {
                kind: TrackKind::ALL[i % 5],
                name: format!("t{i}"),
            }) else {
                panic!("track")
            };
            s.apply(Command::AddClip {
                track: t,
                clip: NewClip::new(m, SamplePos(0), SampleLen(len)),
            })
            .expect("clip");
            tracks.push(t);
        }
        Scene { s, sources, tracks }
    }

    fn plan(&self) -> dubstage_engine::RenderPlan {
        compile(
            self.s.project(),
            &self.sources,
            CompileOptions { max_block: BLOCK },
        )
    }

    /// Offline render of `[from, from + frames)`, interleaved stereo.
    fn offline(&self, from: i64, frames: usize) -> Vec<f32> {
        let mut r = Renderer::new(Box::new(self.plan()));
        r.locate(SamplePos(from));
        let mut out = vec![0.0; frames * 2];
        r.process_interleaved(&mut out, 2);
        out
    }

    /// A processor pair at 48 kHz stereo with this scene's plan installed.
    fn start(&self) -> (AudioEngine, AudioProcessor) {
        let (mut engine, processor) = AudioEngine::pair(ProcessorConfig {
            project_rate: 48_000,
            device_rate: 48_000,
            channels: 2,
            max_block: BLOCK,
        });
        engine.set_plan(self.plan()).expect("send plan");
        (engine, processor)
    }
}

/// Runs one callback of `frames` under the allocation guard.
fn callback(p: &mut AudioProcessor, frames: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; frames * 2];
    assert_no_alloc(|| p.process(&mut out));
    out
}

fn run(p: &mut AudioProcessor, callbacks: usize, frames: usize) -> Vec<f32> {
    let mut all = Vec::new();
    for _ in 0..callbacks {
        all.extend(callback(p, frames));
    }
    all
}

fn scene() -> Scene {
    Scene::new(vec![
        noise(2, 96_000, 1),
        noise(1, 60_000, 2),
        noise(2, 80_000, 3),
    ])
}

#[test]
fn realtime_output_is_bit_identical_to_offline() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    // Odd callback sizes, some larger than the plan's block.
    let mut out = Vec::new();
    for frames in [300, 1000, 64, 777, 2048, 1] {
        out.extend(callback(&mut p, frames));
    }
    let n = out.len() / 2;
    assert_eq!(out, sc.offline(0, n));
    assert_eq!(e.telemetry().playhead, SamplePos(n as i64));
    assert!(e.telemetry().playing);
}

#[test]
fn realtime_output_is_bit_identical_to_offline_with_inserts_sends_and_latency() {
    let mut sc = scene();
    use dubstage_model::InsertKind;
    let add = |sc: &mut Scene, strip, kind| {
        let Ok(Created::Insert(id)) = sc.s.apply(Command::AddInsert {
            strip,
            index: usize::MAX,
            kind,
        }) else {
            panic!("insert")
        };
        id
    };
    let t = sc.tracks.clone();
    add(&mut sc, StripId::Track(t[0]), InsertKind::Eq);
    add(&mut sc, StripId::Track(t[0]), InsertKind::Comp);
    add(&mut sc, StripId::Track(t[1]), InsertKind::Limiter);
    add(
        &mut sc,
        StripId::Bus(dubstage_model::Stem::Effects.bus_id()),
        InsertKind::Reverb,
    );
    add(&mut sc, StripId::Master, InsertKind::Limiter);
    sc.s.apply(Command::AddSend {
        strip: StripId::Track(t[2]),
        bus: dubstage_model::Stem::Effects.bus_id(),
    })
    .expect("send");
    let latency = sc.plan().latency();
    assert!(latency > 0);
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    let mut out = Vec::new();
    for frames in [300, 1000, 64, 777, 2048, 1] {
        out.extend(callback(&mut p, frames));
    }
    let n = out.len() / 2;
    assert_eq!(out, sc.offline(0, n));
    // The heard playhead is the rendered position less the latency.
    assert_eq!(e.telemetry().playhead, SamplePos(n as i64 - latency as i64));
}

#[test]
fn loop_wraps_on_the_exact_sample() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    let (a, b) = (10_000i64, 13_333i64);
    e.set_loop(Some((SamplePos(a), SamplePos(b))))
        .expect("loop");
    e.locate(SamplePos(12_000)).expect("locate");
    e.play().expect("play");
    let out = run(&mut p, 20, 500);
    let mut want = sc.offline(12_000, (b - 12_000) as usize);
    while want.len() < out.len() {
        want.extend(sc.offline(a, (b - a) as usize));
    }
    want.truncate(out.len());
    assert_eq!(out, want);
}

#[test]
fn play_outside_the_loop_starts_at_the_loop_start() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.set_loop(Some((SamplePos(5_000), SamplePos(6_000))))
        .expect("loop");
    e.locate(SamplePos(40_000)).expect("locate");
    e.play().expect("play");
    let out = run(&mut p, 1, 800);
    assert_eq!(out, sc.offline(5_000, 800));
}

#[test]
fn locate_while_playing_takes_effect_in_the_next_block_gaplessly() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    let first = run(&mut p, 3, 256);
    // Sent before block N (the fourth callback): block N starts at the new position.
    e.locate(SamplePos(50_000)).expect("locate");
    let second = run(&mut p, 4, 256);
    assert_eq!(first, sc.offline(0, 768));
    assert_eq!(second, sc.offline(50_000, 1024));
}

#[test]
fn play_sent_before_a_block_is_heard_in_that_block() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    let silent = callback(&mut p, 256);
    assert!(
        silent.iter().all(|&v| v == 0.0),
        "stopped transport is silent"
    );
    e.play().expect("play");
    assert_eq!(callback(&mut p, 256), sc.offline(0, 256));
}

#[test]
fn stop_fades_out_and_keeps_the_playhead() {
    let sc = Scene::new(vec![dc(0.5, 48_000)]);
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    run(&mut p, 2, 500);
    e.stop().expect("stop");
    let out = callback(&mut p, 1000);
    // Linear fade over STOP_FADE samples, then silence: no click.
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    for w in left.windows(2) {
        assert!((w[0] - w[1]).abs() <= 0.5 / STOP_FADE as f32 + 1e-6);
    }
    assert!(left[STOP_FADE as usize..].iter().all(|&v| v == 0.0));
    let t = e.telemetry();
    assert!(!t.playing);
    assert_eq!(t.playhead, SamplePos(1000));
    // Playing again continues from where it stopped.
    e.play().expect("play");
    let clean = Scene::new(vec![dc(0.5, 48_000)]);
    assert_eq!(callback(&mut p, 100), clean.offline(1000, 100));
}

#[test]
fn play_range_stops_at_its_end() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.play_range(SamplePos(2_000), SamplePos(2_700))
        .expect("range");
    let out = callback(&mut p, 2_000);
    assert_eq!(out[..1400], sc.offline(2_000, 700)[..]);
    assert!(
        out[(700 + STOP_FADE as usize) * 2..]
            .iter()
            .all(|&v| v == 0.0)
    );
    assert_eq!(e.telemetry().playhead, SamplePos(2_700));
    assert!(!e.telemetry().playing);
}

/// Largest sample-to-sample jump on the left channel.
fn max_step(out: &[f32]) -> f32 {
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    left.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn fader_moves_are_smoothed() {
    let sc = Scene::new(vec![dc(0.5, 48_000)]);
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    run(&mut p, 1, 256);
    e.control(Control::new(
        ParamId::Fader(StripId::Track(sc.tracks[0])),
        -144.0,
    ))
    .expect("fader");
    let out = run(&mut p, 4, 256);
    // DC 0.5 through a dialogue track (stereo clip, balance centre) to silence
    // over CONTROL_RAMP samples: steps of 0.5 / CONTROL_RAMP, no jump.
    assert!(
        max_step(&out) <= 0.5 / CONTROL_RAMP as f32 + 1e-5,
        "{}",
        max_step(&out)
    );
    assert_eq!(out[out.len() - 1], 0.0);
    assert!(out[0] > 0.49);
}

#[test]
fn mute_and_solo_are_smoothed_and_follow_solo_rules() {
    let sc = Scene::new(vec![dc(0.25, 48_000), dc(0.5, 48_000)]);
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    run(&mut p, 1, 256);
    e.control(Control::new(ParamId::Solo(sc.tracks[1]), 1.0))
        .expect("solo");
    let out = run(&mut p, 4, 256);
    assert!(max_step(&out) <= 0.25 / CONTROL_RAMP as f32 + 1e-5);
    assert!(
        (out[out.len() - 2] - 0.5).abs() < 1e-6,
        "only the soloed track"
    );
    e.control(Control::new(
        ParamId::Mute(StripId::Track(sc.tracks[1])),
        1.0,
    ))
    .expect("mute");
    let out = run(&mut p, 4, 256);
    assert_eq!(out[out.len() - 2], 0.0, "soloed but muted: silence");
}

#[test]
fn removing_a_track_while_playing_crossfades_and_returns_the_old_plan() {
    let mut sc = Scene::new(vec![dc(0.5, 96_000), dc(0.25, 96_000)]);
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    let mut out = run(&mut p, 2, 256);
    let removed = sc.tracks[0];
    sc.s.apply(Command::RemoveTrack { track: removed })
        .expect("remove");
    // The new plan is built here, off the audio thread.
    e.set_plan(sc.plan()).expect("plan");
    // Measured across the swap (it once was measured only after it, and
    // the deleted track's cut went unseen).
    out.extend(run(&mut p, 6, 256));
    assert!((out[0] - 0.75).abs() < 1e-6, "both tracks before");
    // 0.75 → 0.25 over PLAN_CROSSFADE samples: no click beyond the ramp's slope.
    assert!(
        max_step(&out) <= 0.5 / PLAN_CROSSFADE as f32 + 1e-5,
        "{}",
        max_step(&out)
    );
    assert!((out[out.len() - 2] - 0.25).abs() < 1e-6);
    // Both replaced plans (the empty start plan and the one with the track)
    // came back to this thread and were dropped here.
    e.collect_garbage();
    assert_eq!(e.plans_returned(), 2);
}

#[test]
fn removing_a_clip_mid_block_stream_keeps_rendering() {
    let mut sc = scene();
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    for i in 0..20 {
        run(&mut p, 1, 333);
        let clips: Vec<_> = sc.s.project().clips().map(|(_, c)| c.id).collect();
        if let Some(c) = clips.first() {
            sc.s.apply(Command::RemoveClip { clip: *c })
                .expect("remove");
        } else {
            sc.s.undo();
        }
        e.set_plan(sc.plan()).expect("plan");
        if i % 3 == 0 {
            e.collect_garbage();
        }
    }
    run(&mut p, 5, 333);
    e.collect_garbage();
    assert!(e.telemetry().return_ring_full == 0 || e.plans_returned() > 0);
    // (No assertion on xruns: they count callbacks that took longer than
    // their period, which depends on how busy the machine is.)
    assert!(e.telemetry().callbacks >= 25);
}

#[test]
fn a_long_run_with_swaps_moves_locates_and_wraps_never_allocates() {
    let mut sc = scene();
    let (mut e, mut p) = sc.start();
    e.set_loop(Some((SamplePos(1_000), SamplePos(30_000))))
        .expect("loop");
    e.play().expect("play");
    for i in 0..400 {
        match i % 7 {
            0 => {
                let t = sc.tracks[i % sc.tracks.len()];
                sc.s.apply(Command::SetParam {
                    id: ParamId::Fader(StripId::Track(t)),
                    value: -((i % 12) as f32),
                })
                .expect("gain");
                e.set_plan(sc.plan()).expect("plan");
            }
            1 => e
                .control(Control::new(
                    ParamId::Pan(StripId::Track(sc.tracks[1])),
                    (i % 3) as f32 - 1.0,
                ))
                .expect("pan"),
            2 => e
                .locate(SamplePos((i * 997 % 40_000) as i64))
                .expect("locate"),
            3 => e
                .control(Control::new(
                    ParamId::Fader(StripId::Master),
                    -((i % 5) as f32),
                ))
                .expect("master"),
            4 => e
                .control(Control::new(
                    ParamId::Fader(StripId::Bus(dubstage_model::Stem::Effects.bus_id())),
                    -3.0,
                ))
                .expect("bus"),
            5 => e
                .set_loop(Some((SamplePos(2_000), SamplePos(2_000 + (i as i64) * 10))))
                .expect("loop"),
            _ => {}
        }
        callback(&mut p, [64, 128, 333, 512, 1024][i % 5]);
        e.collect_garbage();
    }
    let meters = e.meters().expect("meters").master().take();
    assert!(meters.peak[0] > 0.0);
}

#[test]
fn monitoring_resampler_keeps_pitch_and_level() {
    // A 1 kHz sine at 48 kHz played on a 44.1 kHz device.
    let sine: Vec<f32> = (0..96_000)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48_000.0).sin())
        .collect();
    let sc = Scene::new(vec![AudioBuffer {
        sample_rate: 48_000,
        channels: vec![sine.clone(), sine],
    }]);
    let (mut e, mut p) = AudioEngine::pair(ProcessorConfig {
        project_rate: 48_000,
        device_rate: 44_100,
        channels: 2,
        max_block: BLOCK,
    });
    assert!(e.is_resampling());
    e.set_plan(sc.plan()).expect("plan");
    e.play().expect("play");
    let out = run(&mut p, 40, 441);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    // 17640 frames at 44.1 kHz = 0.4 s = 400 cycles = 800 zero crossings.
    let crossings = left
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    assert!((798..=802).contains(&crossings), "{crossings}");
    let rms = (left[100..].iter().map(|v| v * v).sum::<f32>() / (left.len() - 100) as f32).sqrt();
    assert!((rms - 0.5 / 2f32.sqrt()).abs() < 0.005, "{rms}");
    // The playhead is reported at the project rate.
    let ph = e.telemetry().playhead.0;
    assert!((ph - 19_200).abs() < 16, "{ph}");
}

#[test]
fn null_backend_plays_without_a_device() {
    let sc = scene();
    let capture = Arc::new(std::sync::Mutex::new(Vec::new()));
    let backend = NullBackend::unpaced().capturing(capture.clone());
    let request = DeviceRequest {
        device: None,
        buffer_frames: Some(256),
        project_rate: 48_000,
    };
    let mut e = backend.open(&request, BLOCK).expect("null backend opens");
    assert_eq!(e.stream_info().expect("stream").backend, "null");
    e.set_plan(sc.plan()).expect("plan");
    e.play().expect("play");
    // Wait (without asserting on time) until a second has been rendered.
    let mut spins = 0;
    while e.telemetry().playhead.0 < 48_000 && spins < 100_000 {
        std::thread::yield_now();
        e.collect_garbage();
        spins += 1;
    }
    e.close();
    let captured = capture.lock().expect("capture").clone();
    // The captured stream is the offline render, after the silent buffers
    // rendered before Play arrived.
    let start = captured
        .chunks(512)
        .position(|c| c.iter().any(|&v| v != 0.0))
        .expect("some audio")
        * 512;
    let audio = &captured[start..];
    let n = (audio.len() / 2).min(48_000);
    assert_eq!(audio[..n * 2], sc.offline(0, n)[..]);
}

#[test]
fn buffer_sizes_outside_the_range_are_refused() {
    for bad in [32, 4096] {
        let r = NullBackend::paced().open(
            &DeviceRequest {
                device: None,
                buffer_frames: Some(bad),
                project_rate: 48_000,
            },
            BLOCK,
        );
        assert!(r.is_err());
    }
}

#[test]
fn stop_can_return_to_where_play_started() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.set_return_to_start(true).expect("option");
    e.locate(SamplePos(7_000)).expect("locate");
    e.play().expect("play");
    run(&mut p, 4, 512);
    e.stop().expect("stop");
    run(&mut p, 1, 512);
    assert_eq!(e.telemetry().playhead, SamplePos(7_000));
    // Playing again starts from there.
    e.play().expect("play");
    assert_eq!(callback(&mut p, 256), sc.offline(7_000, 256));
}

#[test]
fn an_engine_can_be_closed_and_reopened() {
    let sc = scene();
    let request = DeviceRequest {
        device: None,
        buffer_frames: Some(128),
        project_rate: 48_000,
    };
    for _ in 0..3 {
        let mut e = NullBackend::unpaced().open(&request, BLOCK).expect("opens");
        e.set_plan(sc.plan()).expect("plan");
        e.play().expect("play");
        let mut spins = 0;
        while e.telemetry().playhead.0 < 4_800 && spins < 100_000 {
            std::thread::yield_now();
            spins += 1;
        }
        assert!(e.telemetry().callbacks > 0);
        e.close();
        e.collect_garbage();
    }
}

/// A mono ramp that is easy to recognise sample by sample.
fn ramp(frames: usize) -> Arc<AudioBuffer> {
    Arc::new(AudioBuffer {
        sample_rate: 48_000,
        channels: vec![(0..frames).map(|i| 0.25 + i as f32 * 1e-6).collect()],
    })
}

#[test]
fn audition_at_playhead_starts_on_the_exact_sample_over_the_mix() {
    use dubstage_engine::AuditionVoice;
    let sc = scene();
    let capture = Arc::new(std::sync::Mutex::new(Vec::new()));
    let backend = NullBackend::unpaced().capturing(capture.clone());
    let request = DeviceRequest {
        device: None,
        buffer_frames: Some(256),
        project_rate: 48_000,
    };
    let mut e = backend.open(&request, BLOCK).expect("null backend opens");
    e.set_plan(sc.plan()).expect("plan");
    // Playhead at 30 000, two seconds... of pre-roll shortened to 10 000 samples.
    let (playhead, preroll) = (30_000i64, 10_000i64);
    let sound = ramp(20_000);
    e.audition(AuditionVoice::new(
        sound.clone(),
        None,
        false,
        Some(SamplePos(playhead)),
    ))
    .expect("audition");
    e.locate(SamplePos(playhead - preroll)).expect("locate");
    e.play().expect("play");
    let mut spins = 0;
    while e.telemetry().playhead.0 < playhead + 30_000 && spins < 100_000 {
        std::thread::yield_now();
        e.collect_garbage();
        spins += 1;
    }
    e.close();
    let captured = capture.lock().expect("capture").clone();
    let start = captured
        .chunks(512)
        .position(|c| c.iter().any(|&v| v != 0.0))
        .expect("some audio")
        * 512;
    let audio = &captured[start..];
    let n = (audio.len() / 2).min(40_000);
    let mut want = sc.offline(playhead - preroll, n);
    for i in preroll as usize..n {
        let k = i - preroll as usize;
        if k < 20_000 {
            want[2 * i] += sound.channels[0][k];
            want[2 * i + 1] += sound.channels[0][k];
        }
    }
    assert_eq!(audio[..n * 2], want[..]);
}

#[test]
fn free_preview_plays_its_selection_in_a_loop_with_the_transport_stopped() {
    use dubstage_engine::AuditionVoice;
    let sc = scene();
    let (mut e, mut p) = sc.start();
    let sound = ramp(1_000);
    e.set_audition_gain_db(-6.0).expect("gain");
    e.audition(AuditionVoice::new(
        sound.clone(),
        Some((100, 400)),
        true,
        None,
    ))
    .expect("audition");
    let out = run(&mut p, 4, 256);
    let g = dubstage_dsp::db_to_gain(-6.0);
    for i in 0..1024 {
        let v = sound.channels[0][100 + i % 300] * g;
        assert_eq!((out[2 * i], out[2 * i + 1]), (v, v), "frame {i}");
    }
    assert_eq!(e.telemetry().audition, Some((1023 % 300) as i64));
    // The mix's meters never see the audition.
    let meters = e.meters().expect("meters").clone();
    assert_eq!(meters.master().take().peak, [0.0, 0.0]);
    // Stop: silence, and the voice comes back to this thread.
    e.stop_audition().expect("stop");
    let out = run(&mut p, 2, 256);
    assert!(out.iter().all(|&v| v == 0.0));
    assert_eq!(e.telemetry().audition, None);
}

#[test]
fn audition_can_silence_the_mix_and_never_changes_the_offline_render() {
    use dubstage_engine::AuditionVoice;
    let sc = scene();
    let before = sc.offline(0, 4_096);
    let (mut e, mut p) = sc.start();
    let sound = ramp(10_000);
    e.set_audition_mutes_mix(true).expect("mute mix");
    e.audition(AuditionVoice::new(
        sound.clone(),
        None,
        false,
        Some(SamplePos(0)),
    ))
    .expect("audition");
    e.play().expect("play");
    let out = run(&mut p, 8, 512);
    for i in 0..4_096 {
        let v = sound.channels[0][i];
        assert_eq!((out[2 * i], out[2 * i + 1]), (v, v), "frame {i}");
    }
    // Replacing voices many times while playing: never allocates in the
    // callback (the guard), and every voice is handed back.
    for k in 0..50 {
        e.audition(AuditionVoice::new(
            sound.clone(),
            None,
            k % 2 == 0,
            Some(SamplePos(0)),
        ))
        .expect("audition");
        run(&mut p, 1, 64);
        e.collect_garbage();
    }
    e.stop_audition().expect("stop");
    run(&mut p, 1, 64);
    e.collect_garbage();
    assert_eq!(
        Arc::strong_count(&sound),
        1,
        "all voices returned and dropped here"
    );
    // What is exported is the project alone.
    assert_eq!(sc.offline(0, 4_096), before);
}

#[test]
fn shuttle_forward_plays_every_second_sample_at_twice_speed() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.locate(SamplePos(1_000)).expect("locate");
    e.shuttle(2).expect("shuttle");
    let out = callback(&mut p, 700);
    let offline = sc.offline(1_000, 1_400);
    for i in 0..700 {
        assert_eq!(out[2 * i], offline[4 * i], "left at {i}");
        assert_eq!(out[2 * i + 1], offline[4 * i + 1], "right at {i}");
    }
    assert_eq!(e.telemetry().playhead, SamplePos(2_400));
    assert!(e.telemetry().playing);
}

#[test]
fn shuttle_backwards_plays_the_mix_reversed_and_stops_at_the_start() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    e.locate(SamplePos(3_000)).expect("locate");
    e.shuttle(-1).expect("shuttle");
    let out = callback(&mut p, 1_000);
    let offline = sc.offline(2_000, 1_000);
    for i in 0..1_000 {
        assert_eq!(out[2 * i], offline[2 * (999 - i)], "left at {i}");
    }
    assert_eq!(e.telemetry().playhead, SamplePos(2_000));
    // Four times backwards reaches the session start and stops there.
    e.shuttle(-4).expect("shuttle");
    let _ = run(&mut p, 4, 512);
    let t = e.telemetry();
    assert_eq!(t.playhead, SamplePos(0));
    assert!(!t.playing);
    // Play returns to normal speed.
    e.play().expect("play");
    let out = callback(&mut p, 256);
    assert_eq!(out, sc.offline(0, 256));
}

#[test]
fn xruns_are_counted_only_while_something_is_heard() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    let _ = callback(&mut p, 256);
    // Stopped: a late callback loses nothing and is not counted.
    p.telemetry().count_xrun();
    assert_eq!(e.telemetry().xruns, 0);
    e.play().expect("play");
    let _ = callback(&mut p, 256);
    p.telemetry().count_xrun();
    assert_eq!(e.telemetry().xruns, 1);
}

/// A plan that arrived during a crossfade once replaced the plan fading
/// out, cutting it off (a click): it waits for the crossfade to end.
#[test]
fn a_plan_arriving_during_a_crossfade_waits_for_it_without_a_click() {
    let mut sc = Scene::new(vec![dc(0.5, 96_000), dc(0.25, 96_000), dc(0.125, 96_000)]);
    let (mut e, mut p) = sc.start();
    e.play().expect("play");
    let mut out = run(&mut p, 2, 64);
    let (first, second) = (sc.tracks[0], sc.tracks[1]);
    sc.s.apply(Command::RemoveTrack { track: first })
        .expect("remove");
    e.set_plan(sc.plan()).expect("plan");
    // Half way through that crossfade (0.875 → 0.375), another edit. It
    // used to cut the fading plan off: a jump of 0.25.
    out.extend(run(&mut p, 4, 64));
    sc.s.apply(Command::RemoveTrack { track: second })
        .expect("remove");
    e.set_plan(sc.plan()).expect("plan");
    out.extend(run(&mut p, 30, 64));
    // Each crossfade moves at most 0.5 over PLAN_CROSSFADE samples.
    assert!(
        max_step(&out) <= 0.5 / PLAN_CROSSFADE as f32 + 1e-5,
        "{}",
        max_step(&out)
    );
    assert!(
        (out[out.len() - 2] - 0.125).abs() < 1e-6,
        "the last track alone"
    );
    e.collect_garbage();
    assert_eq!(e.plans_returned(), 3);
}

/// A plan sent while stopped replaces the current one outright (nothing
/// is heard), and the next Play is exactly the offline render.
#[test]
fn a_plan_sent_while_stopped_takes_over_without_a_crossfade() {
    let sc = scene();
    let (mut e, mut p) = sc.start();
    run(&mut p, 2, 256);
    e.set_plan(sc.plan()).expect("plan");
    e.set_plan(sc.plan()).expect("plan");
    run(&mut p, 1, 256);
    e.locate(SamplePos(10_000)).expect("locate");
    e.play().expect("play");
    let out = run(&mut p, 8, 256);
    assert_eq!(out, sc.offline(10_000, 8 * 256));
}

/// A zero block size (a plan compiled with `max_block: 0`, a processor set
/// up with it) cannot make the callback spin: both become one frame.
#[test]
fn a_zero_block_size_cannot_make_the_callback_spin() {
    let sc = scene();
    let (mut e, mut p) = AudioEngine::pair(ProcessorConfig {
        project_rate: 48_000,
        device_rate: 48_000,
        channels: 2,
        max_block: 0,
    });
    e.set_plan(compile(
        sc.s.project(),
        &sc.sources,
        CompileOptions { max_block: 0 },
    ))
    .expect("plan");
    e.play().expect("play");
    let out = run(&mut p, 2, 64);
    let mut r = Renderer::new(Box::new(compile(
        sc.s.project(),
        &sc.sources,
        CompileOptions { max_block: 0 },
    )));
    let mut want = vec![0.0; 128 * 2];
    r.process_interleaved(&mut want, 2);
    assert_eq!(out, want);
}

/// Mono and four-channel devices through the null backend's thread (whose
/// callbacks run under the allocation guard like every other): mono gets
/// the mid, four channels get left, right and silence.
#[test]
fn mono_and_four_channel_devices_play_the_mix() {
    let sc = scene();
    for channels in [1u16, 4] {
        let capture = Arc::new(std::sync::Mutex::new(Vec::new()));
        let backend = NullBackend::unpaced()
            .with_channels(channels)
            .capturing(capture.clone());
        let request = DeviceRequest {
            device: None,
            buffer_frames: Some(256),
            project_rate: 48_000,
        };
        let mut e = backend.open(&request, BLOCK).expect("null backend opens");
        assert_eq!(e.stream_info().expect("stream").channels, channels);
        e.set_plan(sc.plan()).expect("plan");
        e.play().expect("play");
        let mut spins = 0;
        while e.telemetry().playhead.0 < 20_000 && spins < 100_000 {
            std::thread::yield_now();
            e.collect_garbage();
            spins += 1;
        }
        e.close();
        let c = usize::from(channels);
        let captured = capture.lock().expect("capture").clone();
        let start = captured
            .chunks(256 * c)
            .position(|b| b.iter().any(|&v| v != 0.0))
            .expect("some audio")
            * 256
            * c;
        let audio = &captured[start..];
        let n = (audio.len() / c).min(20_000);
        let want = sc.offline(0, n);
        for i in 0..n {
            let (l, r) = (want[2 * i], want[2 * i + 1]);
            let frame = &audio[i * c..(i + 1) * c];
            if c == 1 {
                assert_eq!(frame[0], 0.5 * (l + r), "frame {i}");
            } else {
                assert_eq!(frame, [l, r, 0.0, 0.0], "frame {i}");
            }
        }
    }
}
