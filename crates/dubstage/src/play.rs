//! `dubstage play` and `dubstage devices`: real-time playback from the
//! command line, through the same engine the editor uses.

use crate::cli::{db, load_project, parse_position};
use anyhow::{Context, Result, bail};
use dubstage_engine::backend::{
    Backend, CpalBackend, DeviceRequest, NullBackend, open_output, output_devices,
};
use dubstage_engine::{CompileOptions, compile, load_sources};
use dubstage_model::SamplePos;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Largest block the engine renders at once during playback.
const PLAY_BLOCK: usize = 1024;

pub struct PlayOptions {
    pub project: PathBuf,
    pub from: Option<String>,
    pub to: Option<String>,
    pub looped: bool,
    pub device: Option<String>,
    pub buffer: Option<u32>,
    pub null: bool,
    pub allow_missing: bool,
}

pub fn devices() -> Result<()> {
    match output_devices() {
        Ok(names) if !names.is_empty() => {
            for (i, n) in names.iter().enumerate() {
                println!("{}{n}", if i == 0 { "* " } else { "  " });
            }
            println!("(* = default)");
        }
        Ok(_) => println!("no audio output devices; playback uses the silent null backend"),
        Err(e) => {
            println!("cannot list audio devices ({e}); playback uses the silent null backend")
        }
    }
    Ok(())
}

pub fn play(o: &PlayOptions) -> Result<()> {
    let project = load_project(&o.project)?;
    let start = match &o.from {
        Some(s) => parse_position(&project, s)?,
        None => SamplePos::ZERO,
    };
    let end = match &o.to {
        Some(s) => parse_position(&project, s)?,
        None => project.end(),
    };
    if end <= start {
        bail!(
            "nothing to play: the end ({}) is not after the start",
            project.time_map().timecode_at(end)
        );
    }
    let loaded = load_sources(&project, &|_, _| {});
    let offline: Vec<String> = loaded.offline().map(ToString::to_string).collect();
    if !offline.is_empty() && !o.allow_missing {
        bail!(
            "{} media file(s) missing or unreadable (use --allow-missing to play them as silence): {}",
            offline.len(),
            offline.join("; ")
        );
    }
    let request = DeviceRequest {
        device: o.device.clone(),
        buffer_frames: o.buffer,
        project_rate: project.sample_rate.hz(),
    };
    let mut engine = if o.null {
        NullBackend::paced().open(&request, PLAY_BLOCK)?
    } else if o.device.is_some() {
        CpalBackend
            .open(&request, PLAY_BLOCK)
            .context("cannot open the requested device")?
    } else {
        let (engine, fallback) = open_output(&request, PLAY_BLOCK);
        if let Some(msg) = fallback {
            eprintln!("warning: {msg}");
        }
        engine
    };
    if let Some(info) = engine.stream_info() {
        println!("output: {}", info.describe());
    }
    let plan = compile(
        &project,
        &loaded.sources,
        CompileOptions {
            max_block: PLAY_BLOCK,
        },
    );
    engine.set_plan(plan)?;
    if o.looped {
        engine.set_loop(Some((start, end)))?;
        engine.locate(start)?;
        engine.play()?;
    } else {
        engine.play_range(start, end)?;
    }
    let map = project.time_map();
    let tty = std::io::stdout().is_terminal();
    let mut started = false;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        engine.collect_garbage();
        let t = engine.telemetry();
        if let Some(err) = t.device_error {
            engine.close();
            bail!("{}; playback stopped", err.message());
        }
        started |= t.playing;
        let master = engine
            .meters()
            .map(|m| m.master().take())
            .unwrap_or_default();
        let line = format!(
            "{}  peak L {:>10} R {:>10}  load {:>5.1}%  xruns {}  latency {:.1} ms",
            map.timecode_at(t.playhead),
            db(master.peak[0]),
            db(master.peak[1]),
            t.load_peak * 100.0,
            t.xruns,
            t.output_latency.as_secs_f64() * 1000.0
        );
        if tty {
            print!("\r{line}");
            let _ = std::io::stdout().flush();
        }
        if started && !t.playing {
            if tty {
                println!();
            } else {
                println!("{line}");
            }
            println!(
                "played {} – {} ({} xruns)",
                map.timecode_at(start),
                map.timecode_at(end),
                t.xruns
            );
            return Ok(());
        }
        if !started && t.callbacks > 0 && !t.playing && t.playhead >= end {
            return Ok(());
        }
    }
}
