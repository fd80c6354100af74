//! `dubstage import-timeline`, `export-timeline` and `info --json`, run as
//! a user would: the committed turnover fixtures, real Broadcast Wave
//! media found on disk, a project that renders.

use dubstage_media::{BwfInfo, WavFileWriter, WavFormat};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dubstage-interchange/tests/fixtures")
        .join(name)
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn dubstage(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_dubstage"))
        .args(args)
        .output()
        .expect("run dubstage");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `dubstage import-timeline TURNOVER -o PROJECT ARGS...`
fn import_timeline(turnover: &str, project: &str, args: &[&str]) -> Run {
    let mut all = vec!["import-timeline", turnover, "-o", project];
    all.extend_from_slice(args);
    dubstage(&all)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A 48 kHz WAV of `seconds` with `channels` channels, a BWF time
/// reference when given.
fn wav(path: &Path, seconds: usize, channels: usize, time_reference: Option<u64>) {
    let mut w = WavFileWriter::create(path, WavFormat::Int24, 48_000, channels).expect("create");
    if let Some(t) = time_reference {
        w = w.with_bwf(BwfInfo {
            originator: "recorder".into(),
            time_reference: t,
            ..BwfInfo::default()
        });
    }
    let n = seconds * 48_000;
    let rows: Vec<Vec<f32>> = (0..channels)
        .map(|c| {
            (0..n)
                .map(|i| ((i as f32) * 0.01 * (c + 1) as f32).sin() * 0.25)
                .collect()
        })
        .collect();
    let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
    w.write_planar(&refs).expect("write");
    w.finish().expect("finish");
}

/// The scene's media at 25 fps timecode: the takes at 10:00:00:00 and
/// 10:02:00:00, the score without a time reference.
fn scene_media(dir: &Path, take3: &str, take4: &str) {
    std::fs::create_dir_all(dir).expect("media dir");
    let hour = 3600 * 48_000u64;
    wav(&dir.join(take3), 8, 1, Some(10 * hour));
    wav(&dir.join(take4), 8, 1, Some(10 * hour + 120 * 48_000));
    wav(&dir.join("Score_01.wav"), 6, 2, None);
}

fn info_json(project: &Path) -> Value {
    let r = dubstage(&["info", s(project), "--json"]);
    assert!(r.ok, "{}", r.stderr);
    serde_json::from_str(&r.stdout).expect("info --json prints JSON")
}

#[test]
fn an_otio_turnover_becomes_a_project_that_finds_its_media_and_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let media = dir.path().join("Production Sound");
    scene_media(&media, "A001_C003.wav", "A001_C004.wav");
    let project = dir.path().join("scene12.dubstage");
    let report = dir.path().join("report.json");
    let r = import_timeline(
        s(&fixture("scene12_25.otio")),
        s(&project),
        &["--media-dir", s(&media), "--report", s(&report)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("3 found, 0 offline"), "{}", r.stdout);
    let rep: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert_eq!(rep["clips"], 3);
    assert_eq!(rep["media_found"], 3);
    let j = info_json(&project);
    assert_eq!(j["sample_rate"], 48_000);
    assert_eq!(j["frame_rate"]["num"], 25);
    assert_eq!(j["start_timecode"], "01:00:00:00");
    let dia = &j["tracks"][0];
    assert_eq!(dia["kind"], "Dialogue");
    // 12 frames at 25 fps = 23,040 samples; 48 frames into the take.
    assert_eq!(dia["clips"][0]["position"], 23_040);
    assert_eq!(dia["clips"][0]["source_offset"], 92_160);
    assert_eq!(dia["clips"][0]["offline"], false);
    assert_eq!(dia["clips"][1]["source_offset"], 94 * 1920);
    let take3 = dia["clips"][0]["media"].as_str().expect("path");
    assert!(take3.ends_with("Production Sound/A001_C003.wav"), "{take3}");
    assert_eq!(j["markers"][0]["name"], "Door slam");
    // It plays: the render has sound.
    let mix = dir.path().join("mix.wav");
    let r = dubstage(&["render", s(&project), "-o", s(&mix)]);
    assert!(r.ok, "{}", r.stderr);
    let mut reader = hound::WavReader::open(&mix).expect("mix");
    let full = (1i64 << (reader.spec().bits_per_sample - 1)) as f32;
    let peak = reader
        .samples::<i32>()
        .map(|v| v.expect("sample").unsigned_abs() as f32 / full)
        .fold(0.0f32, f32::max);
    assert!(peak > 0.05, "the imported clips are heard (peak {peak})");
    // Again over the same project: refused without --force, untouched.
    let before = std::fs::read(&project).expect("read");
    let r = import_timeline(s(&fixture("scene12_25.xml")), s(&project), &[]);
    assert!(!r.ok);
    assert!(r.stderr.contains("exists (use --force"), "{}", r.stderr);
    assert_eq!(std::fs::read(&project).expect("read"), before);
}

/// A 25 fps movie of `seconds` whose timecode starts at `timecode`.
fn movie(path: &Path, seconds: u32, timecode: &str) {
    let ok = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=160x90:rate=25:duration={seconds}"))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-timecode", timecode])
        .arg(path)
        .status()
        .expect("ffmpeg runs (installed by make test)")
        .success();
    assert!(ok, "ffmpeg made the movie");
}

#[test]
fn the_turnovers_reference_movie_becomes_the_picture_where_the_cut_uses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let media = dir.path().join("media");
    scene_media(&media, "A001_C003.wav", "A001_C004.wav");
    let pictures = dir.path().join("Picture Cut");
    std::fs::create_dir_all(&pictures).expect("dir");
    movie(&pictures.join("scene12_ref.mov"), 8, "00:59:58:00");
    let project = dir.path().join("p.dubstage");
    let r = import_timeline(
        s(&fixture("scene12_25.otio")),
        s(&project),
        &["--media-dir", s(&media), "--media-dir", s(&pictures)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("reference picture"), "{}", r.stdout);
    let j = info_json(&project);
    let pic = &j["picture"];
    assert!(
        pic["path"]
            .as_str()
            .expect("path")
            .ends_with("Picture Cut/scene12_ref.mov"),
        "{pic}"
    );
    // Used from 2 s in at the start: its first frame sits 2 s before it.
    assert_eq!(pic["position"], -96_000);
    assert_eq!(pic["frames"], 200);
    assert_eq!(pic["frame_rate"]["num"], 25);
    // Without it the report says so and the project still imports.
    let bare = dir.path().join("bare.dubstage");
    let r = import_timeline(
        s(&fixture("scene12_25.otio")),
        s(&bare),
        &["--media-dir", s(&media)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("reference movie not found"),
        "{}",
        r.stdout
    );
    assert!(info_json(&bare)["picture"].is_null());
}

#[test]
fn an_edl_finds_renamed_takes_by_tape_and_timecode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let media = dir.path().join("media");
    // The recorder named the files after the reel, not the clip.
    scene_media(&media, "A001C003_T3.wav", "A001C004_T1.wav");
    let edl = dir.path().join("reel.edl");
    let text = std::fs::read_to_string(fixture("scene12_25.edl")).expect("edl");
    let text: String = text
        .lines()
        .filter(|l| !l.contains("A001_C00") || !l.starts_with("* SOURCE FILE"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&edl, text).expect("write");
    let project = dir.path().join("p.dubstage");
    let r = import_timeline(
        s(&edl),
        s(&project),
        &["--edl-rate", "25", "--media-dir", s(&media)],
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("by tape and timecode"), "{}", r.stdout);
    let j = info_json(&project);
    let c = &j["tracks"][0]["clips"][0];
    assert!(
        c["media"]
            .as_str()
            .expect("path")
            .ends_with("A001C003_T3.wav"),
        "{c}"
    );
    assert_eq!(c["source_offset"], 92_160);
    assert_eq!(j["tracks"][0]["clips"][1]["source_offset"], 94 * 1920);
}

#[test]
fn missing_media_is_reported_offline_and_the_project_still_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("p.dubstage");
    let r = import_timeline(s(&fixture("scene12_23976.xml")), s(&project), &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("0 found, 3 offline"), "{}", r.stdout);
    assert!(
        r.stdout.contains("/turnover/media/A001_C003.wav"),
        "{}",
        r.stdout
    );
    let j = info_json(&project);
    assert_eq!(j["tracks"][0]["clips"][0]["offline"], true);
    assert_eq!(j["frame_rate"]["den"], 1001);
    let r = dubstage(&["info", s(&project)]);
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn export_timeline_writes_otio_and_edl_that_import_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let media = dir.path().join("media");
    scene_media(&media, "A001_C003.wav", "A001_C004.wav");
    let project = dir.path().join("p.dubstage");
    let r = import_timeline(
        s(&fixture("scene12_25.edl")),
        s(&project),
        &["--edl-rate", "25", "--media-dir", s(&media)],
    );
    assert!(r.ok, "{}", r.stderr);
    let clips = |j: &Value| -> Vec<(i64, i64, i64)> {
        j["tracks"]
            .as_array()
            .expect("tracks")
            .iter()
            .flat_map(|t| t["clips"].as_array().expect("clips").clone())
            .map(|c| {
                (
                    c["position"].as_i64().expect("pos"),
                    c["length"].as_i64().expect("len"),
                    c["source_offset"].as_i64().expect("offset"),
                )
            })
            .collect()
    };
    let want = clips(&info_json(&project));
    for ext in ["otio", "edl"] {
        let out = dir.path().join(format!("back.{ext}"));
        let r = dubstage(&["export-timeline", s(&project), "-o", s(&out)]);
        assert!(r.ok, "{}", r.stderr);
        let again = dir.path().join(format!("again_{ext}.dubstage"));
        let r = import_timeline(
            s(&out),
            s(&again),
            &["--edl-rate", "25", "--media-dir", s(&media)],
        );
        assert!(r.ok, "{ext}: {}", r.stderr);
        assert_eq!(clips(&info_json(&again)), want, "{ext}");
        // Existing output: refused without --force.
        let r = dubstage(&["export-timeline", s(&project), "-o", s(&out)]);
        assert!(!r.ok && r.stderr.contains("exists"), "{}", r.stderr);
    }
    let r = dubstage(&[
        "export-timeline",
        s(&project),
        "-o",
        s(&dir.path().join("x.aaf")),
    ]);
    assert!(!r.ok && r.stderr.contains(".otio or .edl"), "{}", r.stderr);
}

#[test]
fn a_malformed_turnover_is_one_clear_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("cut.xml");
    let xml = std::fs::read_to_string(fixture("scene12_25.xml")).expect("xml");
    std::fs::write(&bad, &xml[..xml.len() / 2]).expect("write");
    let project = dir.path().join("p.dubstage");
    let report = dir.path().join("r.json");
    let r = import_timeline(s(&bad), s(&project), &["--report", s(&report)]);
    assert!(!r.ok);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("cut.xml"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("not well-formed"), "{}", lines[0]);
    assert!(!project.exists() && !report.exists());
}

#[test]
fn an_aaf_or_fcpxml_with_linked_media_finds_it_by_name_and_lands_on_the_samples() {
    for (fixture_name, label) in [("scene12_25.aaf", "AAF"), ("scene12_25.fcpxml", "FCPXML")] {
        let dir = tempfile::tempdir().expect("tempdir");
        let media = dir.path().join("Production Sound");
        scene_media(&media, "A001_C003.wav", "A001_C004.wav");
        let project = dir.path().join("scene12.dubstage");
        let r = import_timeline(
            s(&fixture(fixture_name)),
            s(&project),
            &["--media-dir", s(&media)],
        );
        assert!(r.ok, "{}", r.stderr);
        assert!(r.stdout.contains("3 found, 0 offline"), "{}", r.stdout);
        assert!(r.stdout.contains(label), "{}", r.stdout);
        let j = info_json(&project);
        assert_eq!(j["start_timecode"], "01:00:00:00");
        let dia = &j["tracks"][0];
        assert_eq!(dia["clips"][0]["position"], 23_040);
        assert_eq!(dia["clips"][0]["source_offset"], 92_160);
        assert_eq!(dia["clips"][1]["source_offset"], 94 * 1920);
        // -6.02 dB (an amplitude of 1/2) in the AAF, -6 dB in the FCPXML.
        assert!((dia["clips"][1]["gain_db"].as_f64().expect("gain") + 6.0).abs() < 0.03);
        assert_eq!(j["markers"][0]["name"], "Door slam");
        // No embedded media: no folder made beside the project.
        assert!(!dir.path().join("scene12 Media").exists());
    }
}

#[test]
fn an_aaf_with_embedded_media_extracts_it_beside_the_project_and_plays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("scene12.dubstage");
    let r = import_timeline(s(&fixture("scene12_25_embedded.aaf")), s(&project), &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("3 found, 0 offline"), "{}", r.stdout);
    assert!(r.stdout.contains("extracted to"), "{}", r.stdout);
    let extracted = dir.path().join("scene12 Media");
    for name in ["A001_C003.wav", "A001_C004.wav", "Score_01.wav"] {
        assert!(extracted.join(name).is_file(), "{name}");
    }
    let j = info_json(&project);
    let dia = &j["tracks"][0];
    assert!(
        dia["clips"][0]["media"]
            .as_str()
            .expect("path")
            .ends_with("scene12 Media/A001_C003.wav")
    );
    assert_eq!(dia["clips"][0]["offline"], false);
    assert_eq!(dia["clips"][0]["source_offset"], 92_160);
    let mix = dir.path().join("mix.wav");
    let r = dubstage(&["render", s(&project), "-o", s(&mix)]);
    assert!(r.ok, "{}", r.stderr);
    let mut reader = hound::WavReader::open(&mix).expect("mix");
    let peak = reader
        .samples::<i32>()
        .map(|v| v.expect("sample").unsigned_abs())
        .max()
        .unwrap_or(0);
    assert!(peak > 0, "the extracted media is heard");
    // A truncated AAF: a clear error naming the file, nothing written.
    let bad = dir.path().join("cut.aaf");
    let good = std::fs::read(fixture("scene12_25.aaf")).expect("read");
    std::fs::write(&bad, &good[..good.len() / 3]).expect("write");
    let out = dir.path().join("cut.dubstage");
    let r = import_timeline(s(&bad), s(&out), &[]);
    assert!(!r.ok);
    assert!(r.stderr.contains("cut.aaf"), "{}", r.stderr);
    assert!(r.stderr.contains("not a readable AAF"), "{}", r.stderr);
    assert!(!out.exists());
    assert!(!dir.path().join("cut Media").exists());
}
