//! Delivery: normalisation to every preset, measured back from the written
//! files; stems summing to the master; the QC report.

use dubstage_engine::deliver::{PRESETS, ReportInfo, checks, deliver, measure_file, write_reports};
use dubstage_engine::export::{ExportSettings, export};
use dubstage_engine::{CompileOptions, RenderPlan, Sources, compile};
use dubstage_media::{AudioBuffer, WavFormat};
use dubstage_model::{
    Command, Created, NewClip, Project, SampleLen, SamplePos, Session, TrackKind,
};
use std::path::Path;
use std::sync::Arc;

const RATE: u32 = 48_000;
const SECONDS: usize = 12;

/// Dialogue lines with sharp transients, an FX bed and a music pad.
fn scene() -> (Project, Sources) {
    scene_with(0.03)
}

/// The scene with its effects track at `noise` (white noise, up to the
/// Nyquist frequency: bright material whose peaks lie between samples).
fn scene_with(noise_level: f32) -> (Project, Sources) {
    let n = RATE as usize * SECONDS;
    let mut x = 0x2468_ACE1u32;
    let mut noise = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (x as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let dia: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let on = (t % 3.0) < 1.6;
            let click = if i % 24_000 < 3 { 0.9 } else { 0.0 };
            if on {
                0.25 * (2.0 * std::f32::consts::PI * 330.0 * t).sin() + click
            } else {
                0.0
            }
        })
        .collect();
    let fx: Vec<f32> = (0..n).map(|_| noise_level * noise()).collect();
    let mus: Vec<f32> = (0..n)
        .map(|i| 0.05 * (2.0 * std::f32::consts::PI * 220.0 * i as f32 / RATE as f32).sin())
        .collect();
    let mut s = Session::new(Project::new("deliver"));
    let mut sources = Sources::new();
    for (kind, audio) in [
        (TrackKind::Dialogue, dia),
        (TrackKind::Sfx, fx),
        (TrackKind::Music, mus),
    ] {
        let Ok(Created::Media(m)) = s.apply(Command::AddMedia {
            path: "/x.wav".into(),
            name: "x".into(),
            channels: 1,
            length: SampleLen(n as i64),
        }) else {
            panic!("media")
        };
        sources.insert(
            m,
            Arc::new(AudioBuffer {
                sample_rate: RATE,
                channels: vec![audio],
            }),
        );
        let Ok(Created::Track(t)) = s.apply(Command::AddTrack {
            kind,
            name: format!("{kind:?}"),
        }) else {
            panic!("track")
        };
        s.apply(Command::AddClip {
            track: t,
            clip: NewClip::new(m, SamplePos(0), SampleLen(n as i64)),
        })
        .expect("clip");
    }
    (s.project().clone(), sources)
}

fn settings(dir: &Path, name: &str, format: WavFormat) -> ExportSettings {
    ExportSettings {
        start: SamplePos(0),
        end: SamplePos((RATE as usize * SECONDS) as i64),
        format,
        sample_rate: RATE,
        master: dir.join(format!("{name}.wav")),
        stems_dir: Some(dir.join(format!("{name}-stems"))),
        overwrite: false,
        dither: false,
        bwf: None,
        gain_db: 0.0,
        limiter_ceiling: None,
        flac: false,
        stem_template: None,
        protect: Vec::new(),
    }
}

fn plan_of(p: &Project, s: &Sources) -> RenderPlan {
    compile(p, s, CompileOptions { max_block: 4096 })
}

#[test]
fn every_preset_lands_on_target_under_its_ceiling() {
    let (project, sources) = scene();
    let dir = tempfile::tempdir().unwrap();
    for preset in PRESETS {
        let s = settings(dir.path(), preset.name, WavFormat::Float32);
        let d = deliver(
            &mut || plan_of(&project, &sources),
            RATE,
            &s,
            preset,
            &mut |_, _| true,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", preset.name));
        // Measured back from the file, independently of the delivery loop.
        let master = measure_file(&s.master).unwrap();
        assert!(
            master.true_peak_dbtp <= preset.ceiling_dbtp,
            "{}: {} dBTP",
            preset.name,
            master.true_peak_dbtp
        );
        if preset.dialogue_gated {
            let g = d.after.dialogue_gated.unwrap();
            assert!(
                (g - preset.target_lufs).abs() <= 0.1,
                "{}: {g}",
                preset.name
            );
        } else {
            let i = master.integrated.unwrap();
            assert!(
                (i - preset.target_lufs).abs() <= 0.1,
                "{}: {i}",
                preset.name
            );
        }
        assert!(
            checks(&d).iter().all(|c| c.pass),
            "{}: {:?}",
            preset.name,
            checks(&d)
        );
        assert_eq!(d.files.len(), 4, "master and three stems");
    }
}

#[test]
fn stems_sum_to_the_master_with_gain_and_no_limiter() {
    let (project, sources) = scene();
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path(), "sum", WavFormat::Float32);
    s.gain_db = -4.5;
    let files = export(plan_of(&project, &sources), &s, &mut |_| true).unwrap();
    let read = |p: &Path| -> Vec<f32> {
        hound::WavReader::open(p)
            .expect("wav")
            .samples::<f32>()
            .map(|v| v.expect("sample"))
            .collect()
    };
    let master = read(&files[0].path);
    let stems: Vec<Vec<f32>> = files[1..].iter().map(|f| read(&f.path)).collect();
    for (i, m) in master.iter().enumerate() {
        let sum: f32 = stems.iter().map(|s| s[i]).sum();
        assert!((sum - m).abs() <= 1e-6, "sample {i}: {sum} vs {m}");
    }
}

#[test]
fn the_qc_report_states_figures_and_verdicts() {
    let (project, sources) = scene();
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), "qc", WavFormat::Int24);
    let d = deliver(
        &mut || plan_of(&project, &sources),
        RATE,
        &s,
        PRESETS[0],
        &mut |_, _| true,
    )
    .unwrap();
    let info = ReportInfo {
        project: "deliver \"test\"".into(),
        start_timecode: "01:00:00:00".into(),
        duration_s: SECONDS as f64,
        format: "WAV 24-bit".into(),
        sample_rate: RATE,
    };
    let reports = write_reports(&d, &info).unwrap();
    let j = std::fs::read_to_string(&reports.json).unwrap();
    assert!(j.contains("\"preset\": \"ebu-r128\""), "{j}");
    assert!(j.contains("\"project\": \"deliver \\\"test\\\"\""), "{j}");
    assert!(j.contains("\"result\": \"PASS\""), "{j}");
    assert_eq!(j.matches("\"stem\":").count(), 4);
    let t = std::fs::read_to_string(&reports.txt).unwrap();
    assert!(t.contains("PASS  integrated loudness -23.00 LUFS"), "{t}");
    assert!(t.contains("Overall: PASS"), "{t}");
    // The page names every file with its figures, escapes the project
    // name, and states the verdicts.
    let h = std::fs::read_to_string(&reports.html).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(h.contains("deliver &quot;test&quot;"), "{h}");
    assert!(h.contains("Overall: PASS"));
    assert_eq!(h.matches("<td class=\"pass\">PASS</td>").count(), 2);
    for f in &d.files {
        let name = f
            .file
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let row = format!(
            "<td>{name}</td><td>{:.2}</td>",
            f.figures.integrated.unwrap()
        );
        assert!(h.contains(&row), "{row} in {h}");
    }
}

#[test]
fn civil_dates_for_file_names_and_bext() {
    use dubstage_engine::export::civil_date;
    assert_eq!(civil_date(0), (1970, 1, 1));
    assert_eq!(civil_date(11_016), (2000, 2, 29));
    assert_eq!(civil_date(20_780), (2026, 11, 23));
}

/// A target the mix cannot reach under its ceiling: the limiter holds the
/// true peak, the delivery stops once more gain buys no loudness, and says
/// so instead of passing.
#[test]
fn an_unreachable_target_is_reported_not_forced() {
    let (project, sources) = scene();
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), "hot", WavFormat::Int24);
    let preset = dubstage_engine::deliver::Preset {
        name: "custom",
        label: "custom -3 LUFS, -1 dBTP",
        target_lufs: -3.0,
        ceiling_dbtp: -1.0,
        dialogue_gated: false,
        max_limiting_db: dubstage_engine::deliver::DEFAULT_MAX_LIMITING_DB,
    };
    let d = deliver(
        &mut || plan_of(&project, &sources),
        RATE,
        &s,
        preset,
        &mut |_, _| true,
    )
    .expect("delivered, with a failed check");
    assert!(d.limited);
    assert!(d.passes <= dubstage_engine::deliver::MAX_PASSES);
    let note = d.note.clone().expect("a note on the miss");
    assert!(note.contains("cannot be reached"), "{note}");
    let master = measure_file(&s.master).unwrap();
    assert!(master.true_peak_dbtp <= -1.0, "{}", master.true_peak_dbtp);
    let c = checks(&d);
    assert!(!c[0].pass, "loudness misses");
    assert!(c[1].pass, "the ceiling holds");
    // Stopped by the limiting cap on bright material (it once stopped there
    // with the true peak still over the ceiling): the ceiling holds
    // whatever the cap.
    let (project, sources) = scene_with(0.4);
    for (target, cap) in [(-7.0, 6.0), (-7.0, 2.0), (-12.0, 0.5), (-9.0, 1.0)] {
        let s = settings(dir.path(), &format!("cap{cap}"), WavFormat::Int24);
        let preset = dubstage_engine::deliver::Preset {
            target_lufs: target,
            max_limiting_db: cap,
            ..preset
        };
        let d = deliver(
            &mut || plan_of(&project, &sources),
            RATE,
            &s,
            preset,
            &mut |_, _| true,
        )
        .expect("delivered");
        let master = measure_file(&s.master).unwrap();
        assert!(
            master.true_peak_dbtp <= -1.0,
            "{target} LUFS, cap {cap} dB: {} dBTP",
            master.true_peak_dbtp
        );
        assert!(checks(&d)[1].pass);
    }
}

/// An existing file is never replaced without leave: the delivery refuses
/// before it renders anything, and the file is untouched.
#[test]
fn a_delivery_never_replaces_a_file_unasked() {
    let (project, sources) = scene();
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), "taken", WavFormat::Int24);
    std::fs::write(&s.master, b"precious").unwrap();
    let mut stages = Vec::new();
    let r = deliver(
        &mut || plan_of(&project, &sources),
        RATE,
        &s,
        PRESETS[0],
        &mut |stage, _| {
            stages.push(stage.to_owned());
            true
        },
    );
    assert!(
        matches!(
            r,
            Err(dubstage_engine::deliver::DeliverError::Export(
                dubstage_engine::export::ExportError::Exists(_)
            ))
        ),
        "{r:?}"
    );
    assert!(stages.is_empty(), "nothing rendered: {stages:?}");
    assert_eq!(std::fs::read(&s.master).unwrap(), b"precious");
}
