//! `make bench`: offline render speed in × real time for generated reference
//! projects (sources already decoded), 48 kHz stereo out, 10 minutes.
//!
//! The reference project is 32 tracks with 400 clips with fades and gains;
//! 8 and 128 tracks scale the clip count with the track count.

mod common;

use common::{MINUTES, RATE, reference};
use dubstage_engine::{CompileOptions, Renderer, Sources, compile};
use dubstage_model::Project;
use std::hint::black_box;
use std::time::Instant;

const BLOCK: usize = 512;

/// Seconds to render the whole project once.
fn render_once(project: &Project, sources: &Sources) -> f64 {
    let plan = compile(project, sources, CompileOptions { max_block: BLOCK });
    let mut r = Renderer::new(Box::new(plan));
    let total = (MINUTES * 60 * RATE) as usize;
    let mut out = vec![0.0f32; BLOCK * 2];
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
    // `cargo bench` passes `--bench`; a filter argument selects track counts.
    let filter: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    let runs = 3;
    println!(
        "Offline render, {MINUTES} min at 48 kHz stereo, block {BLOCK}, one thread, best of {runs}"
    );
    println!("| tracks | clips | render time | × real time | µs per 512-frame block |");
    println!("|-------:|------:|------------:|------------:|-----------------------:|");
    for (tracks, clips) in [(8usize, 100usize), (32, 400), (128, 1600)] {
        if filter.is_some_and(|f| f != tracks) {
            continue;
        }
        let (project, sources) = reference(tracks, clips);
        let clip_count = project.clips().count();
        let best = (0..runs)
            .map(|_| render_once(&project, &sources))
            .fold(f64::INFINITY, f64::min);
        let seconds = (MINUTES * 60) as f64;
        let blocks = (MINUTES * 60 * RATE) as f64 / BLOCK as f64;
        println!(
            "| {tracks:>6} | {clip_count:>5} | {best:>9.3} s | {:>10.0}× | {:>22.2} |",
            seconds / best,
            best / blocks * 1e6
        );
    }
}
