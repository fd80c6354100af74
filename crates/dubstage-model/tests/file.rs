//! The project file: round trip, version checks, readable parse errors,
//! offline media kept, atomic save with backup.

use dubstage_model::file::{self, FileError};
use dubstage_model::{
    Command, Fade, FadeShape, FrameRate, NewClip, ParamId, Project, SampleLen, SamplePos, Session,
    StripId, TrackKind,
};
use std::path::Path;

fn sample_project(media_dir: &Path) -> Project {
    let mut s = Session::new(Project::new("Round trip"));
    let dubstage_model::Created::Media(m) = s
        .apply(Command::AddMedia {
            path: media_dir.join("audio/line one.wav"),
            name: "line one.wav".into(),
            channels: 1,
            length: SampleLen(96_000),
        })
        .expect("media")
    else {
        panic!()
    };
    let dubstage_model::Created::Track(t) = s
        .apply(Command::AddTrack {
            kind: TrackKind::Dialogue,
            name: "DIA 1".into(),
        })
        .expect("track")
    else {
        panic!()
    };
    s.apply(Command::AddClip {
        track: t,
        clip: NewClip {
            fade_in: Fade::new(SampleLen(480), FadeShape::SCurve),
            gain_db: -3.5,
            ..NewClip::new(m, SamplePos(48_000), SampleLen(50_000))
        },
    })
    .expect("clip");
    s.apply(Command::AddMarker {
        position: SamplePos(1234),
        name: "Door".into(),
    })
    .expect("marker");
    s.apply(Command::SetParam {
        id: ParamId::Pan(StripId::Track(t)),
        value: -0.25,
    })
    .expect("pan");
    // Automation: a fader ride, a mute switch, a clip-gain envelope.
    s.apply(Command::SetLane {
        param: ParamId::Fader(StripId::Track(t)),
        points: vec![
            dubstage_model::AutoPoint::new(48_000, 0.0),
            dubstage_model::AutoPoint::new(72_000, -12.5),
        ],
    })
    .expect("lane");
    s.apply(Command::SetLane {
        param: ParamId::Mute(StripId::Master),
        points: Vec::new(),
    })
    .expect("no lane");
    let clip = s.project().tracks[0].clips[0].id;
    s.apply(Command::SetClipEnvelope {
        clip,
        points: vec![dubstage_model::EnvPoint {
            at: SamplePos(60_000),
            db: -4.0,
        }],
    })
    .expect("envelope");
    let mut p = s.project().clone();
    p.frame_rate = FrameRate::FPS_29_97_DF;
    p
}

#[test]
fn save_and_load_round_trip_with_relative_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().canonicalize().expect("canonical");
    let p = sample_project(&base);
    let path = base.join("scene.dubstage");
    file::save(&p, &path).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("format_version: 4"), "{text}");
    assert!(
        text.contains("\"audio/line one.wav\""),
        "paths are relative: {text}"
    );
    assert!(text.contains("automation:"), "{text}");
    assert!(text.contains("gain_envelope:"), "{text}");
    let loaded = file::load(&path).expect("load");
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.project, p);
    assert_eq!(loaded.project.automation.len(), 1);
    // Saving again keeps the previous file as a backup, and leaves no temp files.
    file::save(&p, &path).expect("save again");
    assert!(base.join("scene.dubstage.bak").exists());
    let names: Vec<_> = std::fs::read_dir(&base)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

fn load_text(text: &str) -> Result<file::Loaded, FileError> {
    file::from_str(text, Path::new("/p/x.dubstage"), Path::new("/p"))
}

fn check_error(text: &str, expected: &str) {
    let e = load_text(text).expect_err("must be refused");
    assert_eq!(e.to_string(), expected);
}

#[test]
fn newer_version_is_refused_clearly() {
    check_error(
        "(format_version: 7, project: (name: \"x\", some_new_field: 3))",
        "/p/x.dubstage: project format version 7 is newer than this Dubstage supports (up to 4); open it with a newer Dubstage",
    );
}

#[test]
fn malformed_file_reports_line_and_column() {
    let e = load_text("(\n  format_version: 1,\n  project: (name: \"x\",, ),\n)")
        .expect_err("malformed");
    let msg = e.to_string();
    assert!(msg.starts_with("/p/x.dubstage:3:"), "{msg}");
    check_error(
        "",
        "/p/x.dubstage: the file is empty, not a Dubstage project",
    );
}

#[test]
fn wrong_types_report_position() {
    let e = load_text("(format_version: 1, project: (name: 5))").expect_err("bad type");
    assert!(e.to_string().starts_with("/p/x.dubstage:1:"), "{e}");
}

#[test]
fn unknown_media_is_kept_offline() {
    let text = r#"(format_version: 1, project: (
        name: "x",
        tracks: [(id: 200, name: "A", kind: Foley, output: Bus(2), clips: [
            (id: 300, media: 150, position: 0, length: 10),
        ])],
    ))"#;
    let loaded = load_text(text).expect("loads");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let m = loaded
        .project
        .media(dubstage_model::MediaId(150))
        .expect("kept");
    // Not the project folder: that made a render blame "is a directory".
    assert!(m.path.as_os_str().is_empty(), "{}", m.path.display());
    assert_eq!(loaded.project.tracks[0].clips.len(), 1);
    assert!(loaded.project.next_id > 300);
}

#[test]
fn invalid_references_are_refused() {
    check_error(
        r#"(format_version: 1, project: (name: "x", tracks: [(id: 5, name: "A", kind: Foley, output: Bus(9))]))"#,
        "/p/x.dubstage:1:52: track \"A\" is routed to bus 9, which does not exist",
    );
    check_error(
        r#"(format_version: 1, project: (name: "x", tracks: [(id: 1, name: "A", kind: Foley, output: Master)]))"#,
        "/p/x.dubstage:1:52: id 1 is used twice (second time by a track)",
    );
    check_error(
        r#"(format_version: 1, project: (name: "x", sample_rate: 22050))"#,
        "/p/x.dubstage:1:55: sample rate 22050 Hz is not supported (use 44100, 48000 or 96000)",
    );
}

#[test]
fn minimal_hand_written_project_gets_defaults() {
    let loaded = load_text(r#"(format_version: 1, project: (name: "Hand"))"#).expect("loads");
    let p = loaded.project;
    assert_eq!(p.sample_rate.hz(), 48_000);
    assert_eq!(p.start_timecode.to_string(), "01:00:00:00");
    assert_eq!(p.buses.len(), 3);
}

/// Each of these once loaded silently into something else; each is now
/// refused with the line and column it concerns.
#[test]
fn implausible_values_are_refused_with_line_and_column() {
    let cases = [
        // 30 frames at 24 fps silently became 01:00:01:06.
        (
            "(format_version: 3, project: (name: \"x\", frame_rate: (num: 24, den: 1),\n start_timecode: \"01:00:00:30\"))",
            "2:2",
            "start_timecode",
        ),
        (
            "(format_version: 3, project: (name: \"x\", frame_rate: (num: 25, den: 1),\n start_timecode: \"01:00:00;00\"))",
            "2:2",
            "drop-frame",
        ),
        (
            "(format_version: 3, project: (name: \"x\", frame_rate: (num: 1, den: 4294967295)))",
            "1:",
            "frame rate",
        ),
        (
            "(format_version: 3, project: (name: \"x\", media: [(id: 100, path: \"a.wav\")],\n tracks: [(id: 200, name: \"A\", kind: Foley, output: Master, clips: [\n (id: 300, media: 100, position: 9223372036854775000, length: 48000)])]))",
            "3:3",
            "past the end of time",
        ),
        (
            "(format_version: 3, project: (name: \"x\",\n tracks: [(id: 0, name: \"A\", kind: Foley, output: Master)]))",
            "2:12",
            "id 0",
        ),
        (
            "(format_version: 3, project: (name: \"x\",\n tracks: [(id: 7, name: \"A\", kind: Foley, output: Master, gain_db: NaN)]))",
            "2:12",
            "gain_db NaN",
        ),
        (
            "(format_version: 3, project: (name: \"x\",\n tracks: [(id: 7, name: \"A\", kind: Foley, output: Master, gain_db: 1e30)]))",
            "2:12",
            "outside -144 to +24 dB",
        ),
        (
            "(format_version: 3, project: (name: \"x\",\n tracks: [(id: 7, name: \"A\", kind: Foley, output: Master, pan: inf)]))",
            "2:12",
            "pan inf",
        ),
        // Once overflowed the next free id (a panic in debug builds).
        (
            "(format_version: 3, project: (name: \"x\",\n tracks: [(id: 4294967295, name: \"A\", kind: Foley, output: Master)]))",
            "2:12",
            "above the largest id",
        ),
        (
            "(format_version: 3, project: (name: \"x\", master: (gain_db: -inf)))",
            "1:",
            "the master",
        ),
    ];
    for (text, at, needle) in cases {
        let e = load_text(text).expect_err(text).to_string();
        assert!(e.starts_with(&format!("/p/x.dubstage:{at}")), "{text}\n{e}");
        assert!(e.contains(needle), "{text}\n{e}");
    }
}

#[test]
fn unknown_fields_are_named_in_warnings() {
    let loaded = load_text(
        "(format_version: 3, project: (name: \"x\", gain_bd: 3.0, tracks: [(id: 7, name: \"A\", kind: Foley, output: Master, colr: 1)]))",
    )
    .expect("loads");
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0].contains("project.gain_bd"),
        "{:?}",
        loaded.warnings
    );
    assert!(loaded.warnings[1].contains("colr"), "{:?}", loaded.warnings);
}

#[test]
fn a_deeply_nested_file_says_so_in_plain_words() {
    let text = format!(
        "(format_version: 3, project: (name: \"x\", markers: {}{}))",
        "[".repeat(200),
        "]".repeat(200)
    );
    let e = load_text(&text).expect_err("too deep").to_string();
    assert!(e.contains("nested too deeply"), "{e}");
    assert!(
        !e.contains("serde_stacker") && !e.contains("recursion_limit"),
        "{e}"
    );
}

#[test]
fn a_version_3_file_loads_without_automation_and_bad_lanes_are_named() {
    let v3 = "(format_version: 3, project: (name: \"x\"))";
    let loaded = load_text(v3).expect("a version 3 file loads");
    assert!(loaded.project.automation.is_empty());
    // A lane of a track that is not there is dropped with a warning; a
    // lane value that is not a number is refused.
    let orphan = "(format_version: 4, project: (name: \"x\", automation: [(param: Fader(Track(999)), points: [(at: 0, value: -3.0)])]))";
    let loaded = load_text(orphan).expect("loads");
    assert!(loaded.project.automation.is_empty());
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("automation lane")),
        "{:?}",
        loaded.warnings
    );
    let nan = "(format_version: 4, project: (name: \"x\", automation: [(param: Fader(Master), points: [(at: 0, value: NaN)])]))";
    assert!(load_text(nan).is_err());
    // Out of order points are sorted.
    let unsorted = "(format_version: 4, project: (name: \"x\", automation: [(param: Fader(Master), points: [(at: 50, value: -3.0), (at: 10, value: 1.0)])]))";
    let loaded = load_text(unsorted).expect("loads");
    let at: Vec<i64> = loaded.project.automation[0]
        .points
        .iter()
        .map(|q| q.at.0)
        .collect();
    assert_eq!(at, vec![10, 50]);
}
