//! `make bench`: offline loudness analysis and a normalised delivery (master
//! and stems, 24-bit BWF, EBU R128) of the 10-minute, 32-track reference
//! project, in × real time. Files go to a temporary folder.

mod common;

use common::{MINUTES, RATE, reference};
use dubstage_engine::deliver::{PRESETS, deliver};
use dubstage_engine::export::{EXPORT_BLOCK, ExportSettings};
use dubstage_engine::loudness::analyse;
use dubstage_engine::{CompileOptions, compile};
use dubstage_media::WavFormat;
use dubstage_model::SamplePos;
use std::time::Instant;

fn main() {
    let (project, sources) = reference(32, 400);
    let seconds = (MINUTES * 60) as f64;
    let end = SamplePos(MINUTES * 60 * RATE);
    let plan = || {
        compile(
            &project,
            &sources,
            CompileOptions {
                max_block: EXPORT_BLOCK,
            },
        )
    };
    println!(
        "Loudness and delivery, {MINUTES} min, 32 tracks, 48 kHz (renderer and two meter threads)"
    );
    println!("| step | time | × real time |");
    println!("|---|---|---|");
    let t = Instant::now();
    let a = analyse(plan(), RATE as u32, SamplePos(0), end, &mut |_| true).expect("analysis");
    let analysis = t.elapsed().as_secs_f64();
    println!(
        "| analysis: master + 3 stems, R128 + true peak + dialogue gate | {analysis:.2} s | {:.0}× |",
        seconds / analysis
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = ExportSettings {
        start: SamplePos(0),
        end,
        format: WavFormat::Int24,
        sample_rate: RATE as u32,
        master: dir.path().join("mix.wav"),
        stems_dir: Some(dir.path().to_owned()),
        overwrite: true,
        dither: false,
        bwf: Some(dubstage_engine::export::bwf_info(
            &project,
            SamplePos(0),
            &dubstage_engine::export::Slate::default(),
        )),
        gain_db: 0.0,
        limiter_ceiling: None,
        flac: false,
        stem_template: None,
        protect: Vec::new(),
    };
    let mut make = plan;
    // A custom target louder than the mix's peaks allow: the limiter is
    // needed, and more passes.
    let loud = dubstage_engine::deliver::Preset {
        name: "custom -7 LUFS / -1 dBTP",
        label: "custom -7 LUFS, -1 dBTP",
        target_lufs: -7.0,
        ceiling_dbtp: -1.0,
        dialogue_gated: false,
        max_limiting_db: dubstage_engine::deliver::DEFAULT_MAX_LIMITING_DB,
    };
    for preset in PRESETS.into_iter().chain([loud]) {
        let t = Instant::now();
        let d =
            deliver(&mut make, RATE as u32, &settings, preset, &mut |_, _| true).expect("delivery");
        let delivery = t.elapsed().as_secs_f64();
        let master = d.files[0].figures;
        println!(
            "| delivery to {}: analyse, render master + 3 stems, verify ({} pass{}, {}; delivered {:.2} LUFS{}, {:.2} dBTP) | {delivery:.2} s | {:.0}× |",
            preset.name,
            d.passes,
            if d.passes == 1 { "" } else { "es" },
            if d.limited {
                "limited"
            } else {
                "no limiting needed"
            },
            master.integrated.unwrap_or(f64::NEG_INFINITY),
            if preset.dialogue_gated {
                format!(
                    ", dialogue-gated {:.2}",
                    d.after.dialogue_gated.unwrap_or(f64::NEG_INFINITY)
                )
            } else {
                String::new()
            },
            master.true_peak_dbtp,
            seconds / delivery
        );
    }
    println!(
        "(programme measured {:.1} LUFS before normalisation)",
        a.master.integrated.unwrap_or(f64::NEG_INFINITY)
    );
}
