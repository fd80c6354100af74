//! `make bench`: what mixing costs. Each built-in processor in ns per
//! sample; the audio callback with a full film mix (64 stereo tracks each
//! with HPF + 4-band EQ + compressor, 4 buses with EQ + compressor, a
//! reverb return) and with 128 dry tracks, as % of a 128-frame period; the
//! offline render of the 32-track reference with a dialogue strip on every
//! track, on one thread and on every core (as exports run); and playback
//! of a track of 100,000 clips at a 64-frame buffer.
//!
//! `MIXER_BENCH=processors|callback|offline` runs one part;
//! `MIXER_BENCH_ONLY=NAME` one processor; `MIXER_BENCH_THREADS=1,2` the
//! offline thread counts; `MIXER_BENCH_BASELINE=0` leaves out the offline
//! runs on the x86_64 baseline (for profiling one build of the kernels).

mod common;

use common::{MINUTES, RATE, reference};
use dubstage_engine::inserts::Proc;
use dubstage_engine::{AudioEngine, CompileOptions, ProcessorConfig, Renderer, Sources, compile};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    AuxSend, Bus, BusId, Command, Insert, InsertId, InsertKind, NewClip, NoisePrintData, Project,
    SampleLen, SamplePos, SendId, Session, TrackKind,
};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

fn insert(p: &mut Project, kind: InsertKind, params: &[(&str, f32)]) -> Insert {
    let mut ins = Insert::new(InsertId(p.alloc_id()), kind);
    for (k, v) in params {
        ins.params.insert((*k).to_owned(), *v);
    }
    ins
}

fn eq4(p: &mut Project) -> Insert {
    let mut v = Vec::new();
    for b in 1..=4 {
        v.push((format!("b{b}.on"), 1.0));
        v.push((format!("b{b}.gain"), if b % 2 == 0 { -3.0 } else { 2.0 }));
    }
    let refs: Vec<(&str, f32)> = v.iter().map(|(k, x)| (k.as_str(), *x)).collect();
    insert(p, InsertKind::Eq, &refs)
}

fn dialogue_strip(p: &mut Project) -> Vec<Insert> {
    vec![
        insert(p, InsertKind::Hpf, &[("freq", 80.0), ("slope", 24.0)]),
        eq4(p),
        insert(p, InsertKind::Comp, &[("threshold", -24.0), ("ratio", 3.0)]),
    ]
}

/// This thread's CPU time in seconds: unlike the wall clock, it leaves out
/// the time a shared machine gives to others.
fn thread_cpu_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn per_processor() {
    println!(
        "\nEach processor alone, stereo, 48 kHz, 128-frame blocks, 20 s of noise (best of 7, thread CPU time)"
    );
    println!(
        "| processor | ns per sample (per channel) | the same on the x86_64 baseline | two tracks at once (offline), per track | % of one core at 48 kHz stereo |"
    );
    println!("|---|---:|---:|---:|---:|");
    let n = 20 * 48_000;
    let mut x = 0x2545_f491u32;
    let noise: Vec<f32> = (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32) * 0.5 - 0.25
        })
        .collect();
    let print =
        dubstage_dsp::denoise::NoisePrint::learn(&[&noise[..48_000]], 48_000).expect("print");
    let mut p = Project::new("b");
    let mut cases: Vec<(String, Insert)> = Vec::new();
    for kind in InsertKind::ALL {
        let mut ins = if kind == InsertKind::Eq {
            eq4(&mut p)
        } else {
            insert(&mut p, kind, &[])
        };
        let name = match kind {
            InsertKind::Eq => "eq (4 bands)".to_owned(),
            InsertKind::Denoise => "denoise spectral".to_owned(),
            k => k.key().to_owned(),
        };
        if kind == InsertKind::Denoise {
            ins.print = Some(NoisePrintData {
                rate: print.rate,
                fft_size: print.fft_size as u32,
                magnitudes: print.magnitudes.clone(),
                source: String::new(),
            });
            let mut rnn = insert(&mut p, kind, &[("mode", 0.0)]);
            rnn.print = None;
            cases.push(("denoise rnn".to_owned(), rnn));
        }
        cases.push((name, ins));
    }
    dubstage_dsp::denoise::RnnDenoise::warm_thread();
    let only = std::env::var("MIXER_BENCH_ONLY").ok();
    for (name, ins) in cases {
        if only.as_ref().is_some_and(|o| !name.starts_with(o.as_str())) {
            continue;
        }
        // The best of seven runs: a shared machine only ever adds time.
        // Each run also times the kernels held to the x86_64 baseline,
        // right after, so both see the machine alike.
        let mut secs = [f64::INFINITY; 2];
        for _ in 0..7 {
            for (wide, best) in [true, false].into_iter().zip(secs.iter_mut()) {
                dubstage_dsp::simd::use_avx2(wide);
                let mut proc = Proc::build(&ins, 48_000, 2, 128);
                let (mut l, mut r) = (noise.clone(), noise.clone());
                let t = thread_cpu_secs();
                for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
                    let mut rows: [&mut [f32]; 2] = [a, b];
                    proc.processor().process(&mut rows, None);
                }
                *best = best.min(thread_cpu_secs() - t);
                black_box((&l, &r));
            }
        }
        dubstage_dsp::simd::use_avx2(true);
        let [ns, base] = secs.map(|s| s * 1e9 / (2 * n) as f64);
        // Two tracks at once, as offline renders run matching tracks.
        let mut paired = f64::INFINITY;
        for _ in 0..7 {
            let (mut pa, mut pb) = (
                Proc::build(&ins, 48_000, 2, 128),
                Proc::build(&ins, 48_000, 2, 128),
            );
            let mut rows = [noise.clone(), noise.clone(), noise.clone(), noise.clone()];
            let [l, r, x, y] = &mut rows;
            let t = thread_cpu_secs();
            let mut ran = true;
            for ((a, b), (c, d)) in l
                .chunks_mut(128)
                .zip(r.chunks_mut(128))
                .zip(x.chunks_mut(128).zip(y.chunks_mut(128)))
            {
                ran &= pa.process_pair(&mut pb, &mut [a, b], &mut [c, d]).is_some();
            }
            let secs = thread_cpu_secs() - t;
            black_box(&rows);
            if !ran {
                break;
            }
            paired = paired.min(secs);
        }
        let paired = if paired.is_finite() {
            format!("{:.1}", paired * 1e9 / (4 * n) as f64)
        } else {
            "–".to_owned()
        };
        println!(
            "| {name} | {ns:.1} | {base:.1} | {paired} | {:.2}% |",
            ns * 2.0 * 48_000.0 / 1e7
        );
    }
}

/// The full mix: 64 stereo tracks with HPF + EQ + comp, each also sending
/// to a reverb return; the stem buses and one user bus with EQ + comp.
fn film_mix() -> (Project, Sources) {
    let (mut project, sources) = reference(64, 800);
    let verb = BusId(project.alloc_id());
    let mut b = Bus::new(verb, "VERB");
    b.inserts
        .push(insert(&mut project, InsertKind::Reverb, &[]));
    project.buses.push(b);
    let pre = BusId(project.alloc_id());
    project.buses.push(Bus::new(pre, "PREMIX"));
    for i in 0..project.buses.len() {
        if project.buses[i].id == verb {
            continue;
        }
        let e = eq4(&mut project);
        let c = insert(&mut project, InsertKind::Comp, &[]);
        project.buses[i].inserts.extend([e, c]);
    }
    for i in 0..project.tracks.len() {
        let strip = dialogue_strip(&mut project);
        let id = SendId(project.alloc_id());
        let t = &mut project.tracks[i];
        t.inserts = strip;
        t.sends.push(AuxSend {
            id,
            bus: verb,
            level_db: -12.0,
            pre_fader: false,
            mute: false,
        });
    }
    (project, sources)
}

/// An engine playing `project` from `at` (no device: the test steps it).
fn playing(
    project: &Project,
    sources: &Sources,
    at: i64,
) -> (AudioEngine, dubstage_engine::AudioProcessor) {
    let (mut engine, processor) = AudioEngine::pair(ProcessorConfig {
        project_rate: 48_000,
        device_rate: 48_000,
        channels: 2,
        max_block: 512,
    });
    engine
        .send_project(project, sources)
        .expect("ring has room");
    engine.locate(SamplePos(at)).expect("room");
    engine.play().expect("room");
    (engine, processor)
}

fn callback_case(
    label: &str,
    project: &Project,
    sources: &Sources,
    frames: usize,
    seconds: f64,
    at: i64,
) {
    let (mut engine, mut processor) = playing(project, sources, at);
    let mut out = vec![0.0f32; frames * 2];
    let callbacks = (seconds * 48_000.0 / frames as f64) as usize;
    let mut worst = 0.0f64;
    let t0 = Instant::now();
    for _ in 0..callbacks {
        let t = Instant::now();
        processor.process(&mut out);
        worst = worst.max(t.elapsed().as_secs_f64());
    }
    let total = t0.elapsed().as_secs_f64();
    engine.collect_garbage();
    let period = frames as f64 / 48_000.0;
    let mean = total / callbacks as f64;
    let xruns = engine.telemetry().xruns;
    println!(
        "| {label} | {frames} | {:.1} µs | {:.2}% | {:.1}% | {xruns} |",
        mean * 1e6,
        mean / period * 100.0,
        worst / period * 100.0
    );
}

/// The mean callback cost, % of the period, in this thread's CPU time
/// (best of `rounds`; wall-clock time on a shared machine moves by more
/// than the difference measured).
fn callback_mean(
    project: &Project,
    sources: &Sources,
    frames: usize,
    seconds: f64,
    at: i64,
    rounds: usize,
) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let (mut engine, mut processor) = playing(project, sources, at);
        let mut out = vec![0.0f32; frames * 2];
        // Warm up (the plan arrives, caches fill).
        for _ in 0..50 {
            processor.process(&mut out);
        }
        let callbacks = (seconds * 48_000.0 / frames as f64) as usize;
        let t0 = thread_cpu_secs();
        for _ in 0..callbacks {
            processor.process(&mut out);
        }
        let mean = (thread_cpu_secs() - t0) / callbacks as f64;
        engine.collect_garbage();
        best = best.min(mean / (frames as f64 / 48_000.0) * 100.0);
    }
    best
}

/// `project` with a fader and a pan lane on every track, a point every
/// 10 ms from `from` for `seconds`.
fn with_automation(project: &Project, from: i64, seconds: i64) -> Project {
    let mut p = project.clone();
    let step = 480;
    let n = seconds * 48_000 / step;
    for t in &project.tracks {
        let strip = dubstage_model::StripId::Track(t.id);
        let fader: Vec<dubstage_model::AutoPoint> = (0..n)
            .map(|k| {
                dubstage_model::AutoPoint::new(
                    from + k * step,
                    -6.0 + 6.0 * ((k as f32) * 0.05).sin(),
                )
            })
            .collect();
        let pan: Vec<dubstage_model::AutoPoint> = (0..n)
            .map(|k| dubstage_model::AutoPoint::new(from + k * step, ((k as f32) * 0.01).sin()))
            .collect();
        p.automation.push(dubstage_model::Lane {
            param: dubstage_model::ParamId::Fader(strip),
            points: fader,
        });
        p.automation.push(dubstage_model::Lane {
            param: dubstage_model::ParamId::Pan(strip),
            points: pan,
        });
    }
    p.automation.sort_by_key(|l| l.param);
    p
}

fn hundred_thousand_clips() -> (Project, Sources) {
    let mut s = Session::new(Project::new("many"));
    let Ok(dubstage_model::Created::Media(m)) = s.apply(Command::AddMedia {
        path: "/none.wav".into(),
        name: "m".into(),
        channels: 1,
        length: SampleLen(4_800),
    }) else {
        panic!("media")
    };
    let Ok(dubstage_model::Created::Track(t)) = s.apply(Command::AddTrack {
        kind: TrackKind::Sfx,
        name: "many".into(),
    }) else {
        panic!("track")
    };
    let mut p = s.project().clone();
    // 100,000 back-to-back 4,800-sample clips (100 ms each): one audible at a time.
    let track = p.track_mut(t).expect("track");
    for i in 0..100_000i64 {
        let mut c = NewClip::new(m, SamplePos(i * 4_800), SampleLen(4_800));
        c.channels = dubstage_model::ClipChannels::Mono(0);
        track.clips.push(dubstage_model::Clip {
            id: dubstage_model::ClipId(1_000_000 + i as u32),
            media: c.media,
            name: String::new(),
            position: c.position,
            length: c.length,
            source_offset: c.source_offset,
            gain_db: 0.0,
            fade_in: c.fade_in,
            fade_out: c.fade_out,
            channels: c.channels,
            gain_envelope: Vec::new(),
        });
    }
    p.fix_next_id();
    let mut sources = Sources::new();
    sources.insert(
        m,
        Arc::new(AudioBuffer {
            sample_rate: 48_000,
            channels: vec![(0..4_800).map(|i| (i as f32 * 0.01).sin() * 0.3).collect()],
        }),
    );
    (p, sources)
}

/// The offline block: the export's ([`dubstage_engine::export::EXPORT_BLOCK`]).
const BLOCK: usize = dubstage_engine::export::EXPORT_BLOCK;

/// Seconds to render the whole reference offline on `threads` threads.
fn offline(project: &Project, sources: &Sources, threads: usize) -> f64 {
    let plan = compile(project, sources, CompileOptions { max_block: BLOCK });
    let mut r = Renderer::new(Box::new(plan));
    r.use_threads(Some(threads));
    let total = (MINUTES * 60 * RATE) as usize;
    let mut out = vec![0.0f32; 2 * BLOCK];
    let t = Instant::now();
    let mut done = 0;
    while done < total {
        let n = BLOCK.min(total - done);
        r.process_interleaved(&mut out[..n * 2], 2);
        black_box(&out);
        done += n;
    }
    t.elapsed().as_secs_f64()
}

fn main() {
    // MIXER_BENCH=processors|callback|offline runs one part.
    let part = std::env::var("MIXER_BENCH").unwrap_or_default();
    let run = |p: &str| part.is_empty() || part == p;
    if run("processors") {
        per_processor();
    }
    if run("callback") {
        callbacks();
    }
    if run("offline") {
        offline_renders();
    }
}

fn callbacks() {
    println!("\nAudio callback cost at 48 kHz, % of the period, 10 s of playback a minute in");
    println!("| mix | buffer | mean cost | mean % | worst % | xruns |");
    println!("|---|---:|---:|---:|---:|---:|");
    let (mix, mix_sources) = film_mix();
    callback_case(
        "64 tracks HPF+EQ4+comp, send to reverb; 5 buses EQ4+comp",
        &mix,
        &mix_sources,
        128,
        10.0,
        60 * 48_000,
    );
    let (dry, dry_sources) = reference(128, 1600);
    callback_case("128 dry tracks", &dry, &dry_sources, 128, 10.0, 60 * 48_000);
    // Automation: a fader and a pan lane on each of the 64 tracks, a point
    // every 10 ms, against the same session without (best of 3 each).
    let auto = with_automation(&mix, 50 * 48_000, 30);
    let (mut plain, mut automated) = (f64::MAX, f64::MAX);
    // Alternated, so a busy moment of the machine hits both alike.
    for _ in 0..3 {
        plain = plain.min(callback_mean(&mix, &mix_sources, 128, 3.0, 60 * 48_000, 1));
        automated = automated.min(callback_mean(&auto, &mix_sources, 128, 3.0, 60 * 48_000, 1));
    }
    println!(
        "| the same 64 tracks with a fader and a pan lane each (a point per 10 ms) | 128 | | {automated:.2}% | | |"
    );
    println!(
        "\nAutomation on 64 tracks costs {:+.2} percentage points of the 128-frame period ({plain:.2}% without, {automated:.2}% with; thread CPU time, best of 3 alternated runs).",
        automated - plain
    );
    let (many, many_sources) = hundred_thousand_clips();
    callback_case(
        "1 track of 100,000 clips",
        &many,
        &many_sources,
        64,
        20.0,
        2_000 * 48_000,
    );
}

fn offline_renders() {
    println!(
        "\nOffline render, {MINUTES} min at 48 kHz stereo, blocks of {BLOCK} (as the export); best and worst of 3 alternated runs"
    );
    println!("| project | time | × real time | the same on the x86_64 baseline |");
    println!("|---|---:|---:|---:|");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: Vec<usize> = match std::env::var("MIXER_BENCH_THREADS") {
        Ok(t) => t.split(',').filter_map(|t| t.parse().ok()).collect(),
        Err(_) => vec![1, cores],
    };
    let (dry, s32) = reference(32, 400);
    let mut strip = dry.clone();
    for i in 0..strip.tracks.len() {
        let inserts = dialogue_strip(&mut strip);
        strip.tracks[i].inserts = inserts;
    }
    let cases: Vec<(&str, &Project, usize)> = [
        ("32-track reference, dry", &dry),
        ("32-track reference, HPF+EQ4+comp on every track", &strip),
    ]
    .into_iter()
    .flat_map(|(label, p)| threads.iter().map(move |&t| (label, p, t)))
    .collect();
    // Alternated, so a slow spell of a shared machine is spread over all;
    // each case with the AVX2 kernels (pairs of tracks among them) and on
    // the x86_64 baseline.
    let baseline = std::env::var("MIXER_BENCH_BASELINE").map_or(true, |v| v != "0");
    let kernels: &[bool] = if baseline { &[true, false] } else { &[true] };
    let mut secs = vec![[Vec::new(), Vec::new()]; cases.len()];
    for _ in 0..3 {
        for (case, times) in cases.iter().zip(secs.iter_mut()) {
            for (&wide, t) in kernels.iter().zip(times.iter_mut()) {
                dubstage_dsp::simd::use_avx2(wide);
                t.push(offline(case.1, &s32, case.2));
            }
        }
    }
    dubstage_dsp::simd::use_avx2(true);
    let real = (MINUTES * 60) as f64;
    let span = |times: &[f64]| {
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        let worst = times.iter().copied().fold(0.0, f64::max);
        (best, worst)
    };
    for ((label, _, t), [wide, base]) in cases.iter().zip(&secs) {
        let (best, worst) = span(wide);
        let (base_best, base_worst) = span(base);
        let base = if base.is_empty() {
            "–".to_string()
        } else {
            format!("{:.0}–{:.0}×", real / base_worst, real / base_best)
        };
        println!(
            "| {label}, {t} thread{} | {best:.2}–{worst:.2} s | {:.0}–{:.0}× | {base} |",
            if *t > 1 { "s" } else { "" },
            real / worst,
            real / best,
        );
    }
}
