//! `cargo bench -p dubstage-media --bench peaks`: waveform peak pyramid
//! build speed in × real time, and cache save/load times, for 10 minutes of
//! 48 kHz audio (stereo and mono), one thread, best of 3.
//!
//! Save includes the `fsync` and rename; load reads a file the save just
//! wrote, so it is usually served from the OS page cache (a cold load is
//! bounded by the disk instead).

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use dubstage_media::AudioBuffer;
use dubstage_media::peaks::{CacheKey, PeakPyramid};

const RATE: u32 = 48_000;
const MINUTES: usize = 10;
const RUNS: usize = 3;

/// Noise over a slow sine, different per channel: realistic enough for a
/// min/max scan, whose speed does not depend on the values.
fn signal(frames: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..frames)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            0.5 * (i as f32 * 0.001).sin() + 0.2 * noise
        })
        .collect()
}

/// Best of `RUNS` wall-clock seconds of `f`.
fn best<T>(mut f: impl FnMut() -> T) -> f64 {
    (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let frames = MINUTES * 60 * RATE as usize;
    let seconds = (MINUTES * 60) as f64;
    let dir = tempfile::tempdir().expect("temporary directory");
    println!("Peak pyramids, {MINUTES} min at 48 kHz, one thread, best of {RUNS}");
    println!("| source | build | × real time | peaks in RAM | cache file | save (fsync) | load |");
    println!("|--------|------:|------------:|------------:|-----------:|-------------:|-----:|");
    for (label, channels) in [("stereo", 2usize), ("mono", 1)] {
        let audio = AudioBuffer {
            sample_rate: RATE,
            channels: (0..channels)
                .map(|c| signal(frames, c as u64 + 1))
                .collect(),
        };
        let cancel = AtomicBool::new(false);
        let build = || PeakPyramid::build(&audio, &cancel, &mut |_| {}).expect("built");
        let build_secs = best(build);
        let peaks = build();
        let key = CacheKey {
            source_len_bytes: 0,
            source_mtime_ns: 0,
            frames: peaks.frames(),
            channels: channels as u32,
            sample_rate: RATE,
        };
        let path = dir.path().join(format!("{label}.dspk"));
        let save_secs = best(|| peaks.save(&path, &key).expect("saved"));
        let load_secs = best(|| {
            PeakPyramid::load(&path, &key)
                .expect("loaded")
                .expect("key matches")
        });
        let loaded = PeakPyramid::load(&path, &key)
            .expect("loaded")
            .expect("key matches");
        assert!(loaded == peaks, "round trip");
        println!(
            "| {label} | {:.1} ms | {:.0}× | {} | {} | {:.1} ms | {:.1} ms |",
            build_secs * 1e3,
            seconds / build_secs,
            mib(peaks.memory_bytes() as u64),
            mib(file_len(&path)),
            save_secs * 1e3,
            load_secs * 1e3,
        );
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}
