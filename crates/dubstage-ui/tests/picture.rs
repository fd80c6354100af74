//! Picture in sync with the audio playhead: the frame the editor asks for
//! (and the frame decoded for it) is the frame that contains the sample being
//! heard, during real playback on the null backend's clock and after locates.

use dubstage_engine::backend::{Backend, DeviceRequest, NullBackend};
use dubstage_media::video::Tools;
use dubstage_media::video::test_movie::{self, MovieSpec};
use dubstage_model::{FrameRate, Picture, Project, SamplePos, Timecode, TrackKind, file};
use dubstage_ui::editor::PLAY_BLOCK;
use dubstage_ui::{Editor, EditorApp};
use egui::vec2;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn tools() -> Tools {
    Tools::locate().expect("ffmpeg is installed by `make test`")
}

fn make_movie(dir: &Path, name: &str, spec: &MovieSpec<'_>) -> PathBuf {
    let path = dir.join(name);
    test_movie::make(&tools(), &path, spec).expect("ffmpeg writes the test movie");
    path
}

fn null_engine(rate: u32) -> dubstage_engine::AudioEngine {
    NullBackend::paced()
        .open(
            &DeviceRequest {
                device: None,
                buffer_frames: Some(512),
                project_rate: rate,
            },
            PLAY_BLOCK,
        )
        .expect("the null backend always opens")
}

/// The frame for `heard`, computed independently with exact integers.
fn expected_frame(heard: i64, position: i64, num: i64, den: i64, sr: i64) -> Option<i64> {
    let rel = heard - position;
    (rel >= 0).then(|| (rel * num).div_euclid(den * sr))
}

/// Plays `editor` on the null backend and checks, at `checks` moments, that
/// the frame asked for matches the heard sample and that the decoded frame
/// carries that index.
fn check_playback(editor: &mut Editor, checks: usize, frames: i64) {
    let pic = editor.project().picture.clone().expect("picture set");
    let (num, den) = (
        i64::from(pic.frame_rate.num()),
        i64::from(pic.frame_rate.den()),
    );
    let sr = i64::from(editor.project().sample_rate.hz());
    let mut seen = 0;
    let mut tries = 0;
    while seen < checks {
        tries += 1;
        assert!(tries < checks * 200, "playback did not advance");
        std::thread::sleep(Duration::from_millis(15));
        editor.sync_engine();
        editor.sync_picture();
        if !editor.transport.telemetry.playing {
            continue;
        }
        let latency =
            (editor.transport.telemetry.output_latency.as_secs_f64() * sr as f64).round() as i64;
        assert!(
            latency > 0,
            "the null backend reports its buffer as latency"
        );
        let heard = editor.transport.telemetry.playhead.0 - latency;
        let want = editor.picture_frame();
        let expected = expected_frame(heard, pic.position.0, num, den, sr).filter(|&f| f < frames);
        if editor.playhead() != editor.transport.telemetry.playhead {
            continue; // the editor has not confirmed play from the engine yet
        }
        assert_eq!(want, expected, "heard sample {heard}");
        let Some(index) = want else { continue };
        let server = editor.picture.server().expect("server running");
        let f = server.wait_for(index, true, WAIT).expect("frame decodes");
        assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), index);
        seen += 1;
    }
}

#[test]
fn playback_shows_the_frame_of_the_heard_sample_at_every_film_rate() {
    let dir = tempfile::tempdir().unwrap();
    for (num, den, rate) in [
        (24000, 1001, FrameRate::FPS_23_976),
        (24, 1, FrameRate::FPS_24),
        (25, 1, FrameRate::FPS_25),
        (30000, 1001, FrameRate::FPS_29_97_NDF),
    ] {
        let frames = 300;
        let movie = make_movie(
            dir.path(),
            &format!("idx-{num}-{den}.mp4"),
            &MovieSpec {
                rate: (num, den),
                frames,
                ..MovieSpec::default()
            },
        );
        let mut project = Project::new("sync");
        project.frame_rate = rate;
        let mut editor = Editor::new(project, None, null_engine(48_000));
        assert!(editor.set_picture_file(&movie));
        // Start a little before the picture: black first, then frame 0.
        let mut pic = editor.project().picture.clone().unwrap();
        pic.position = SamplePos(4800);
        editor.apply(dubstage_model::Command::SetPicture { picture: Some(pic) });
        editor.sync_picture();
        editor.locate(SamplePos(0));
        editor.play();
        check_playback(&mut editor, 25, i64::from(frames));
        // Locate while playing, then keep checking.
        editor.locate(SamplePos(48_000 * 6));
        check_playback(&mut editor, 15, i64::from(frames));
        editor.stop();
    }
}

#[test]
fn stopped_the_viewer_follows_the_cursor_at_random_positions() {
    let dir = tempfile::tempdir().unwrap();
    let movie = make_movie(
        dir.path(),
        "cursor.mp4",
        &MovieSpec {
            rate: (25, 1),
            frames: 250,
            ..MovieSpec::default()
        },
    );
    let mut project = Project::new("cursor");
    project.frame_rate = FrameRate::FPS_25;
    let mut editor = Editor::new(project, None, null_engine(48_000));
    assert!(editor.set_picture_file(&movie));
    editor.sync_picture();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..100 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pos = (x % (48_000 * 10)) as i64;
        editor.locate(SamplePos(pos));
        editor.sync_engine();
        editor.sync_picture();
        let expected = pos * 25 / 48_000;
        assert_eq!(editor.picture_frame(), Some(expected));
        let f = editor
            .picture
            .server()
            .unwrap()
            .wait_for(expected, false, WAIT)
            .unwrap();
        assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), expected);
    }
    // Outside the picture: nothing is asked for.
    editor.locate(SamplePos(48_000 * 11));
    editor.sync_picture();
    assert_eq!(editor.picture_frame(), None);
}

fn harness(editor: Editor) -> Harness<'static, EditorApp> {
    let app = EditorApp::new(editor, Box::new(null_engine));
    let mut h = Harness::builder()
        .with_size(vec2(1500.0, 900.0))
        .build_ui_state(|ui, app: &mut EditorApp| app.ui(ui), app);
    h.run_steps(3);
    h
}

#[test]
fn viewer_offers_the_movie_rate_and_timecode_placement_undoably() {
    let dir = tempfile::tempdir().unwrap();
    let movie = make_movie(
        dir.path(),
        "reel 1.mov",
        &MovieSpec {
            rate: (25, 1),
            frames: 100,
            timecode: Some("01:00:00:00"),
            ..MovieSpec::default()
        },
    );
    let mut project = Project::new("viewer");
    project.start_timecode = Timecode::parse("00:59:58:00").unwrap();
    // Project at 24 fps, movie at 25: the viewer warns.
    let mut editor = Editor::new(project, None, null_engine(48_000));
    assert!(editor.set_picture_file(&movie));
    let mut h = harness(editor);
    h.get_by_label("Use movie rate").click();
    h.run_steps(2);
    assert_eq!(h.state().editor.project().frame_rate, FrameRate::FPS_25);
    assert!(h.query_by_label("Use movie rate").is_none());
    // By default the first frame sits at the session start; by timecode it
    // moves to 01:00:00:00, two seconds in.
    assert_eq!(
        h.state()
            .editor
            .project()
            .picture
            .as_ref()
            .unwrap()
            .position,
        SamplePos(0)
    );
    h.get_by_label("By movie timecode").click();
    h.run_steps(2);
    let pos = h
        .state()
        .editor
        .project()
        .picture
        .as_ref()
        .unwrap()
        .position;
    assert_eq!(pos, SamplePos(96_000));
    let map = h.state().editor.project().time_map();
    assert_eq!(map.timecode_at(pos).to_string(), "01:00:00:00");
    // Frame 0 shows exactly at 01:00:00:00, black just before.
    h.state_mut().editor.locate(pos);
    h.run_steps(1);
    assert_eq!(h.state().editor.picture_frame(), Some(0));
    h.state_mut().editor.locate(SamplePos(pos.0 - 1));
    h.run_steps(1);
    assert_eq!(h.state().editor.picture_frame(), None);
    // Undo twice: back to the session start and 24 fps.
    h.state_mut().editor.undo();
    h.state_mut().editor.undo();
    h.run_steps(1);
    assert_eq!(h.state().editor.project().frame_rate, FrameRate::FPS_24);
    assert_eq!(
        h.state()
            .editor
            .project()
            .picture
            .as_ref()
            .unwrap()
            .position,
        SamplePos(0)
    );
    // Burn-in and safe areas are toggles in the viewer.
    let burn = h.state().editor.picture.burn_in;
    h.get_by_label("Burn-in").click();
    h.get_by_label("Safe areas").click();
    h.run_steps(1);
    assert_eq!(h.state().editor.picture.burn_in, !burn);
    assert!(h.state().editor.picture.safe_area);
}

#[test]
fn picture_audio_becomes_a_guide_track_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let movie = make_movie(
        dir.path(),
        "with sound.mov",
        &MovieSpec {
            rate: (24, 1),
            frames: 96,
            audio: true,
            codec: &[
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "pcm_s24le",
            ],
            ..MovieSpec::default()
        },
    );
    let project_path = dir.path().join("guide.dubstage");
    let mut editor = Editor::new(
        Project::new("guide"),
        Some(project_path.clone()),
        null_engine(48_000),
    );
    assert!(editor.set_picture_file(&movie));
    let mut pic = editor.project().picture.clone().unwrap();
    pic.position = SamplePos(48_000);
    editor.apply(dubstage_model::Command::SetPicture { picture: Some(pic) });
    let mut app = EditorApp::new(editor, Box::new(null_engine));
    app.import_guide();
    app.finish_import();
    let p = app.editor.project();
    let guide = p
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Guide)
        .expect("a guide track");
    assert_eq!(guide.clips.len(), 1);
    let clip = &guide.clips[0];
    assert_eq!(clip.position, SamplePos(48_000));
    // ffmpeg stops the generated movie's audio near the last video frame.
    assert!(
        (168_000..=192_000).contains(&clip.length.0),
        "{}",
        clip.length.0
    );
    // The tone starts with the picture: sound in the first millisecond.
    let audio = app.editor.sources.get(clip.media).expect("decoded");
    let early: f32 = audio.channels[0][..48]
        .iter()
        .map(|s| s.abs())
        .fold(0.0, f32::max);
    assert!(early > 0.01, "{early}");
    // One undo step removes track, media and clip.
    app.editor.undo();
    assert!(
        app.editor
            .project()
            .tracks
            .iter()
            .all(|t| t.kind != TrackKind::Guide)
    );
    // The project saves with the picture relative to it and loads back.
    app.editor.redo();
    file::save(app.editor.project(), &project_path).unwrap();
    let text = std::fs::read_to_string(&project_path).unwrap();
    assert!(text.contains("\"with sound.mov\""), "{text}");
    let loaded = file::load(&project_path).unwrap().project;
    assert_eq!(loaded.picture, app.editor.project().picture);
}

#[test]
fn a_broken_movie_or_missing_tools_leave_the_editor_working() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("not a movie.mov");
    std::fs::write(&fake, b"plain text, no frames").unwrap();
    let mut editor = Editor::new(Project::new("bad"), None, null_engine(48_000));
    assert!(!editor.set_picture_file(&fake));
    assert!(editor.project().picture.is_none());
    let last = editor.notices.last().unwrap();
    assert!(
        last.error && last.text.contains("not a movie.mov"),
        "{last:?}"
    );
    // A project whose picture file is gone opens and says so.
    let mut project = Project::new("gone");
    project.picture = Some(Picture {
        path: dir.path().join("gone.mov"),
        frame_rate: FrameRate::FPS_24,
        frames: 10,
        position: SamplePos(0),
        timecode: None,
        width: 320,
        height: 180,
        av_offset_ms: 0.0,
    });
    let editor = Editor::new(project, None, null_engine(48_000));
    let mut h = harness(editor);
    h.run_steps(2);
    let err = h.state().editor.picture.error.clone().unwrap();
    assert!(err.contains("gone.mov"), "{err}");
    // Editing still works.
    h.state_mut()
        .editor
        .apply(dubstage_model::Command::AddTrack {
            kind: TrackKind::Foley,
            name: "Steps".into(),
        });
    assert_eq!(h.state().editor.project().tracks.len(), 1);
}

#[test]
fn dragging_in_the_ruler_or_the_playhead_updates_the_frame_live() {
    let dir = tempfile::tempdir().unwrap();
    let movie = make_movie(
        dir.path(),
        "scrub.mp4",
        &MovieSpec {
            frames: 240,
            ..MovieSpec::default()
        },
    );
    let mut editor = Editor::new(Project::new("scrub"), None, null_engine(48_000));
    assert!(editor.set_picture_file(&movie));
    editor.view.snap = false;
    let mut h = harness(editor);
    let ruler = h.get_by_label("Timeline ruler").rect();
    let from = ruler.left_center() + vec2(100.0, 0.0);
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    let mut frames = Vec::new();
    for k in 1..=4 {
        h.hover_at(from + vec2(60.0 * k as f32, 0.0));
        h.run_steps(1);
        let e = &h.state().editor;
        let f = e.picture_frame().expect("inside the picture");
        assert_eq!(e.picture.wanted, Some(f));
        frames.push(f);
    }
    assert!(frames.windows(2).all(|w| w[1] > w[0]), "{frames:?}");
    h.drop_at(from + vec2(240.0, 0.0));
    h.run_steps(2);
    // Released: the loop range is set and the cursor is back at its start.
    let (a, _) = h.state().editor.transport.loop_range.expect("range");
    assert_eq!(h.state().editor.playhead(), a);
    // Grab the playhead's handle and scrub.
    let spp = h.state().editor.view.samples_per_point;
    let scroll = h.state().editor.view.scroll_samples;
    let handle_x = ruler.left() + ((a.0 as f64 - scroll) / spp) as f32;
    let grab = egui::pos2(handle_x, ruler.bottom() - 3.0);
    h.hover_at(grab);
    h.run_steps(1);
    h.drag_at(grab);
    h.run_steps(1);
    h.hover_at(grab + vec2(150.0, 0.0));
    h.run_steps(1);
    let moved = h.state().editor.playhead();
    assert!(moved.0 > a.0 + (100.0 * spp) as i64, "{moved:?} vs {a:?}");
    assert_eq!(
        h.state().editor.picture_frame(),
        Some(moved.0 * 24 / 48_000)
    );
    h.drop_at(grab + vec2(150.0, 0.0));
    h.run_steps(1);
    assert_eq!(h.state().editor.transport.loop_range.map(|r| r.0), Some(a));
}
