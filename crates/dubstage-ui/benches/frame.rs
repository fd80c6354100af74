//! `make bench`: editor frame time (layout + tessellation, no GPU) for a
//! generated 64-track, 2,000-clip timeline at three zoom levels while the
//! playhead moves.

use dubstage_engine::{AudioEngine, ProcessorConfig};
use dubstage_model::{
    Command, Created, NewClip, Project, SampleLen, SamplePos, Session, TrackKind,
};
use dubstage_ui::editor::PLAY_BLOCK;
use dubstage_ui::{Editor, EditorApp};
use std::time::Instant;

fn write_source(path: &std::path::Path, seconds: usize, seed: u32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    let mut x = seed | 1;
    for i in 0..seconds * 48_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let env = ((i as f32 / 9000.0).sin().abs() * 0.8 + 0.1) * 12_000.0;
        let v = ((x as f32 / u32::MAX as f32) - 0.5) * env;
        w.write_sample(v as i16).expect("sample");
        w.write_sample((v * 0.7) as i16).expect("sample");
    }
    w.finalize().expect("finalize");
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Session::new(Project::new("frame bench"));
    let mut media = Vec::new();
    for i in 0..8 {
        let path = dir.path().join(format!("src{i}.wav"));
        write_source(&path, 30, i + 1);
        let Ok(Created::Media(m)) = s.apply(Command::AddMedia {
            path,
            name: format!("src{i}.wav"),
            channels: 2,
            length: SampleLen(30 * 48_000),
        }) else {
            panic!("media")
        };
        media.push(m);
    }
    let kinds = [
        TrackKind::Dialogue,
        TrackKind::Foley,
        TrackKind::Sfx,
        TrackKind::Ambience,
        TrackKind::Music,
    ];
    for t in 0..64 {
        let Ok(Created::Track(track)) = s.apply(Command::AddTrack {
            kind: kinds[t % kinds.len()],
            name: format!("Track {t}"),
        }) else {
            panic!("track")
        };
        for k in 0..31 + usize::from(t < 16) {
            let pos = (k as i64) * 19 * 48_000 + (t as i64) * 4_800;
            s.apply(Command::AddClip {
                track,
                clip: NewClip {
                    name: format!("clip {t}.{k}"),
                    ..NewClip::new(media[(t + k) % 8], SamplePos(pos), SampleLen(15 * 48_000))
                },
            })
            .expect("clip");
        }
    }
    let project = s.project().clone();
    let clips = project.clips().count();
    let (engine, _processor) = AudioEngine::pair(ProcessorConfig {
        project_rate: 48_000,
        device_rate: 48_000,
        channels: 2,
        max_block: PLAY_BLOCK,
    });
    let editor = Editor::new(project, None, engine);
    let mut app = EditorApp::new(
        editor,
        Box::new(|rate| {
            AudioEngine::pair(ProcessorConfig {
                project_rate: rate,
                device_rate: rate,
                channels: 2,
                max_block: PLAY_BLOCK,
            })
            .0
        }),
    );
    let ctx = egui::Context::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1600.0, 900.0),
        )),
        ..Default::default()
    };
    // Settle fonts and layout caches.
    for _ in 0..5 {
        let out = ctx.run_ui(input(), |ui| app.ui(ui));
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
    }
    println!(
        "Editor frame time, 1600×900, {} tracks, {clips} clips, mixer open, playhead moving (layout + tessellation, no GPU)",
        64
    );
    println!("| zoom | visible | median frame | p95 frame |");
    println!("|------|--------:|-------------:|----------:|");
    for (name, spp) in [
        ("whole session", 0.0),
        ("1 minute", 60.0 * 48_000.0 / 1400.0),
        ("5 seconds", 5.0 * 48_000.0 / 1400.0),
    ] {
        if spp == 0.0 {
            app.editor.zoom_to_fit(1400.0);
        } else {
            app.editor.view.samples_per_point = spp;
        }
        let visible = app.editor.view.samples_per_point * 1400.0 / 48_000.0;
        let mut times = Vec::new();
        for f in 0..120 {
            let pos = SamplePos(60 * 48_000 + f * 800);
            app.editor.locate(pos);
            app.editor.view.scroll_samples =
                pos.0 as f64 - 200.0 * app.editor.view.samples_per_point;
            let t = Instant::now();
            let out = ctx.run_ui(input(), |ui| app.ui(ui));
            let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
            std::hint::black_box(prims);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {name} | {visible:.1} s | {:.2} ms | {:.2} ms |",
            times[times.len() / 2],
            times[times.len() * 95 / 100]
        );
    }
}
