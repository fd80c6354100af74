//! Automation from the command line: `info` lists the lanes, and `render`
//! (the export and delivery path) plays them.

use dubstage_media::{WavFileWriter, WavFormat};
use dubstage_model::{
    AutoPoint, ClipChannels, Command, Created, EnvPoint, NewClip, ParamId, Project, SampleLen,
    SamplePos, Session, StripId, TrackKind, file,
};
use std::path::Path;
use std::process::Command as Run;

fn dubstage(args: &[&str]) -> (bool, String, String) {
    let out = Run::new(env!("CARGO_BIN_EXE_dubstage"))
        .args(args)
        .output()
        .expect("run dubstage");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn steady_wav(path: &Path, seconds: usize) {
    let mut w = WavFileWriter::create(path, WavFormat::Float32, 48_000, 1).expect("create");
    let row = vec![0.25f32; seconds * 48_000];
    w.write_planar(&[&row]).expect("write");
    w.finish().expect("finish");
}

#[test]
fn info_lists_the_lanes_and_render_plays_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("tone.wav");
    steady_wav(&wav, 2);
    let mut s = Session::new(Project::new("Ride"));
    let Ok(Created::Media(m)) = s.apply(Command::AddMedia {
        path: wav.clone(),
        name: "tone.wav".into(),
        channels: 1,
        length: SampleLen(96_000),
    }) else {
        panic!("media")
    };
    let Ok(Created::Track(t)) = s.apply(Command::AddTrack {
        kind: TrackKind::Music,
        name: "Score".into(),
    }) else {
        panic!("track")
    };
    let mut clip = NewClip::new(m, SamplePos::ZERO, SampleLen(96_000));
    clip.channels = ClipChannels::Mono(0);
    clip.gain_envelope = vec![EnvPoint {
        at: SamplePos(0),
        db: 0.0,
    }];
    s.apply(Command::AddClip { track: t, clip }).expect("clip");
    // Full level for the first second, off from 1.5 s.
    s.apply(Command::SetLane {
        param: ParamId::Fader(StripId::Track(t)),
        points: vec![AutoPoint::new(48_000, 0.0), AutoPoint::new(72_000, -144.0)],
    })
    .expect("lane");
    let project = dir.path().join("ride.dubstage");
    file::save(s.project(), &project).expect("save");
    let p = project.to_str().expect("utf-8");
    let (ok, out, err) = dubstage(&["info", p]);
    assert!(ok, "{err}");
    assert!(out.contains("Automation 1 lanes"), "{out}");
    assert!(out.contains("Score fader: 2 points"), "{out}");
    assert!(out.contains("gain envelope of 1 points"), "{out}");
    let (ok, json, err) = dubstage(&["info", p, "--json"]);
    assert!(ok, "{err}");
    let j: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(j["automation"][0]["points"], 2);
    assert_eq!(j["automation"][0]["param"], "Score fader");
    // The render follows the lane: heard at first, silent at the end.
    let mix = dir.path().join("mix.wav");
    let (ok, _, err) = dubstage(&["render", p, "-o", mix.to_str().expect("utf-8")]);
    assert!(ok, "{err}");
    let mut r = hound::WavReader::open(&mix).expect("mix");
    let spec = r.spec();
    let full = (1i64 << (spec.bits_per_sample - 1)) as f32;
    let left: Vec<f32> = r
        .samples::<i32>()
        .step_by(usize::from(spec.channels))
        .map(|v| v.expect("sample") as f32 / full)
        .collect();
    assert!(
        left[24_000].abs() > 0.1,
        "heard before the ride: {}",
        left[24_000]
    );
    assert!(
        left[80_000].abs() < 1e-5,
        "silent after it: {}",
        left[80_000]
    );
    // Half-way down the ride it is −72 dB below full.
    let mid = 20.0 * (left[60_000].abs() / left[24_000].abs()).log10();
    assert!((mid + 72.0).abs() < 0.1, "{mid} dB");
}
