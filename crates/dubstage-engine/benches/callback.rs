//! `make bench`: the cost of one audio callback (messages, render, meters,
//! telemetry — the whole `AudioProcessor::process`) as a percentage of the
//! buffer period at 48 kHz, for 8/32/128 tracks at 64/128/512-frame buffers.

mod common;

use common::reference;
use dubstage_engine::{AudioEngine, CompileOptions, ProcessorConfig, compile};
use std::time::Instant;

fn main() {
    let seconds_per_case = 20.0;
    println!(
        "Audio callback cost, % of the buffer period (48 kHz, one core), playing {seconds_per_case} s of the reference project per case"
    );
    println!("| tracks | buffer | period | mean cost | mean % | worst callback % |");
    println!("|-------:|-------:|-------:|----------:|-------:|-----------------:|");
    for (tracks, clips) in [(8usize, 100usize), (32, 400), (128, 1600)] {
        let (project, sources) = reference(tracks, clips);
        for frames in [64usize, 128, 512] {
            let plan = compile(&project, &sources, CompileOptions { max_block: 512 });
            let (mut engine, mut processor) = AudioEngine::pair(ProcessorConfig {
                project_rate: 48_000,
                device_rate: 48_000,
                channels: 2,
                max_block: 512,
            });
            engine.set_plan(plan).expect("ring has room");
            // Start a minute in, where every track is busy.
            engine
                .locate(dubstage_model::SamplePos(60 * 48_000))
                .expect("room");
            engine.play().expect("room");
            let mut out = vec![0.0f32; frames * 2];
            let callbacks = (seconds_per_case * 48_000.0 / frames as f64) as usize;
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
            println!(
                "| {tracks:>6} | {frames:>6} | {:>4.2} ms | {:>6.1} µs | {:>5.2}% | {:>15.1}% |",
                period * 1e3,
                mean * 1e6,
                mean / period * 100.0,
                worst / period * 100.0
            );
        }
    }
}
