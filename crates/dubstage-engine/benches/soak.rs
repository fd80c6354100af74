//! `make bench`: a soak run. The 32-track reference project plays on the
//! paced null backend (real-time pace, as a device would ask) while the
//! project is edited every 100 ms and a new plan is compiled and swapped in.
//! Prints xruns and the process's resident memory at start and end.
//! `SOAK_SECONDS` sets the length (default 600), `SOAK_BUFFER` the buffer
//! size in frames (default 256).

mod common;

use common::reference;
use dubstage_engine::backend::{Backend, DeviceRequest, NullBackend};
use dubstage_engine::{CompileOptions, compile};
use dubstage_model::{Command, SampleLen, SamplePos, Session};
use std::time::{Duration, Instant};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |pages| pages * 4096.0 / (1024.0 * 1024.0))
}

fn main() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let buffer: u32 = std::env::var("SOAK_BUFFER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let (project, sources) = reference(32, 400);
    let mut session = Session::new(project);
    let request = DeviceRequest {
        device: None,
        buffer_frames: Some(buffer),
        project_rate: 48_000,
    };
    let block = 512;
    let mut engine = NullBackend::paced()
        .open(&request, block)
        .expect("null backend");
    engine
        .set_plan(compile(
            session.project(),
            &sources,
            CompileOptions { max_block: block },
        ))
        .expect("plan");
    engine
        .set_loop(Some((SamplePos(0), SamplePos(600 * 48_000))))
        .expect("loop");
    engine.play().expect("play");
    let start_rss = rss_mib();
    println!(
        "Soak: {seconds} s on the paced null backend (256-frame buffers), 32 tracks / 400 clips, an edit + plan swap every 100 ms"
    );
    let t0 = Instant::now();
    let mut edits = 0u64;
    let mut last_report = Instant::now();
    while t0.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_millis(100));
        // A real edit: nudge a clip one frame back and forth, or undo it.
        let clips: Vec<_> = session
            .project()
            .clips()
            .map(|(t, c)| (t, c.id, c.position))
            .collect();
        let (track, clip, pos) = clips[(edits as usize * 7919) % clips.len()];
        if edits.is_multiple_of(2) {
            let _ = session.apply(Command::MoveClip {
                clip,
                track,
                position: pos + SampleLen(2000),
            });
        } else {
            session.undo();
        }
        let plan = compile(
            session.project(),
            &sources,
            CompileOptions { max_block: block },
        );
        if engine.set_plan(plan).is_err() {
            eprintln!("command ring full");
        }
        engine.collect_garbage();
        edits += 1;
        if last_report.elapsed() > Duration::from_secs(60) {
            let t = engine.telemetry();
            println!(
                "  {:>4.0} s: {} edits, {} xruns, rss {:.1} MiB",
                t0.elapsed().as_secs_f64(),
                edits,
                t.xruns,
                rss_mib()
            );
            last_report = Instant::now();
        }
    }
    let t = engine.telemetry();
    engine.close();
    engine.collect_garbage();
    println!("| seconds | edits | plan swaps returned | xruns | RSS start | RSS end |");
    println!("|--------:|------:|--------------------:|------:|----------:|--------:|");
    println!(
        "| {:>7.0} | {edits:>5} | {:>19} | {:>5} | {:>5.1} MiB | {:>3.1} MiB |",
        t0.elapsed().as_secs_f64(),
        engine.plans_returned(),
        t.xruns,
        start_rss,
        rss_mib()
    );
}
