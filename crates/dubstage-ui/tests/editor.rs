//! The editor driven as a user would, through accessible labels, with no
//! display and no sound card (the engine's processor is stepped here).

mod common;

use common::*;
use dubstage_model::{Command, SampleLen, SamplePos, file};
use dubstage_ui::import::ImportTarget;
use dubstage_ui::{Editor, EditorApp};
use egui::{Key, Modifiers, Pos2, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};

#[test]
fn dragging_a_clip_moves_it_and_undo_restores() {
    let (mut h, _p) = demo();
    let before = clip_by_name(h.state().editor.project(), "Door close").clone();
    let rect = h.get_by_label("Door close clip").rect();
    let spp = h.state().editor.view.samples_per_point;
    let from = rect.center() + vec2(0.0, 12.0);
    drag(&mut h, from, from + vec2(60.0, 0.0));
    let after = clip_by_name(h.state().editor.project(), "Door close").clone();
    let moved = after.position.0 - before.position.0;
    let expected = (60.0 * spp).round() as i64;
    assert!(
        (moved - expected).abs() <= 1,
        "moved {moved}, expected {expected}"
    );
    assert_eq!(after.length, before.length);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(
        clip_by_name(h.state().editor.project(), "Door close"),
        &before
    );
}

#[test]
fn dragging_the_right_edge_trims_the_end() {
    let (mut h, _p) = demo();
    let before = clip_by_name(h.state().editor.project(), "Ben 1: Sorry, the bridge").clone();
    let rect = h.get_by_label("Ben 1: Sorry, the bridge clip").rect();
    let spp = h.state().editor.view.samples_per_point;
    let from = Pos2::new(rect.right() - 2.0, rect.center().y + 14.0);
    drag(&mut h, from, from - vec2(20.0, 0.0));
    let after = clip_by_name(h.state().editor.project(), "Ben 1: Sorry, the bridge").clone();
    let trimmed = before.end().0 - after.end().0;
    let expected = (20.0 * spp).round() as i64;
    assert!(
        (trimmed - expected).abs() <= 1,
        "trimmed {trimmed}, expected {expected}"
    );
    assert_eq!(after.position, before.position);
    assert_eq!(h.state().editor.session.undo_label(), Some("Trim End"));
}

#[test]
fn s_splits_at_the_playhead_and_undo_restores() {
    let (mut h, _p) = demo();
    let before = h.state().editor.project().clone();
    let clip = clip_by_name(&before, "Room tone A").clone();
    let track = before.clip(clip.id).expect("clip").0.id;
    let at = clip.position + SampleLen(48_000 * 5);
    h.state_mut().editor.locate(at);
    h.state_mut().editor.selected_track = Some(track);
    h.run_steps(1);
    h.key_press(Key::S);
    h.run_steps(2);
    let p = h.state().editor.project();
    let t = p.track(track).expect("track");
    assert_eq!(
        t.clips.len(),
        before.track(track).expect("track").clips.len() + 1
    );
    assert!(t.clips.iter().any(|c| c.position == at));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(h.state().editor.project(), &before);
}

#[test]
fn a_fader_drag_is_heard_live_and_becomes_one_undo_step() {
    let (mut h, mut processor) = demo();
    let track = h.state().editor.project().tracks[0].clone();
    let rect = h.get_by_label(&format!("{} fader", track.name)).rect();
    let from = Pos2::new(rect.center().x, rect.bottom() - rect.height() * 0.69);
    let to = from + vec2(0.0, 40.0);
    // Press and move without releasing: the engine hears it already.
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    for k in 1..=4 {
        h.hover_at(from + (to - from) * (k as f32 / 4.0));
        h.run_steps(1);
    }
    let mut out = vec![0.0f32; 512];
    processor.process(&mut out);
    let live = processor
        .track_gain_target(track.id)
        .expect("track in plan");
    assert!(live < 0.9, "live gain {live}");
    assert_eq!(
        h.state().editor.project().tracks[0].gain_db,
        0.0,
        "not committed yet"
    );
    h.drop_at(to);
    h.run_steps(2);
    let committed = h.state().editor.project().tracks[0].gain_db;
    assert!(committed < -1.0, "committed {committed}");
    assert_eq!(h.state().editor.session.undo_label(), Some("Track Gain"));
    // The new plan carries the committed gain.
    processor.process(&mut out);
    let target = processor.track_gain_target(track.id).expect("track");
    assert!((target - 10f32.powf(committed / 20.0)).abs() < 1e-4);
    h.state_mut().editor.undo();
    assert_eq!(h.state().editor.project().tracks[0].gain_db, 0.0);
}

#[test]
fn mute_and_solo_buttons_edit_the_track() {
    let (mut h, _p) = demo();
    let name = h.state().editor.project().tracks[1].name.clone();
    h.get_by_label(&format!("Mute {name}")).click();
    h.run_steps(2);
    assert!(h.state().editor.project().tracks[1].mute);
    h.get_by_label(&format!("Solo {name} (mixer)")).click();
    h.run_steps(2);
    assert!(h.state().editor.project().tracks[1].solo);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    let t = &h.state().editor.project().tracks[1];
    assert!(!t.mute && !t.solo);
}

#[test]
fn importing_a_wav_adds_media_and_a_clip_at_the_playhead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("knock.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).expect("create wav");
    for i in 0..24_000 {
        w.write_sample(((i as f32 * 0.05).sin() * 8000.0) as i16)
            .expect("write");
    }
    w.finalize().expect("finalize");
    let bad = dir.path().join("broken.wav");
    std::fs::write(&bad, b"RIFF....WAVEjunk").expect("write bad");
    let (mut h, _p) = demo();
    let track = h.state().editor.project().tracks[6].id;
    let at = SamplePos(48_000 * 3);
    let media_before = h.state().editor.project().media.len();
    h.state_mut().start_import(
        vec![bad, wav.clone()],
        ImportTarget::AtPlayhead {
            track: Some(track),
            position: at,
        },
    );
    h.state_mut().finish_import();
    h.run_steps(2);
    let p = h.state().editor.project();
    assert_eq!(p.media.len(), media_before + 1, "the good file only");
    let clip = p
        .track(track)
        .expect("track")
        .clip_at(at)
        .expect("clip at playhead");
    assert_eq!(clip.position, at);
    assert_eq!(clip.length, SampleLen(24_000));
    assert!(h.state().editor.sources.get(clip.media).is_some());
    assert!(
        h.state()
            .editor
            .notices
            .iter()
            .any(|n| n.error && n.text.contains("broken.wav")),
        "the bad file is reported"
    );
    h.get_by_label("knock clip");
    assert_eq!(h.state().editor.session.undo_label(), Some("Import"));
    h.state_mut().editor.undo();
    assert_eq!(h.state().editor.project().media.len(), media_before);
}

#[test]
fn save_then_reopen_gives_the_same_project() {
    let (mut h, _p) = demo();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("copy.dubstage");
    h.state_mut().editor.add_marker();
    assert!(h.state_mut().editor.save_to(&path));
    assert!(!h.state().editor.session.is_dirty());
    let saved = h.state().editor.project().clone();
    let reopened = Editor::open(&path, engine(48_000).0).expect("reopens");
    // The file also keeps how the editor showed it; the project is the same.
    assert!(reopened.project().view.is_some());
    let mut project = reopened.project().clone();
    project.view = None;
    assert_eq!(project, saved);
    assert!(reopened.offline.is_empty());
}

#[test]
fn zoom_scroll_playhead_and_track_heights_are_kept_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = demo_copy(dir.path());
    let loaded = file::load(&path).expect("copy loads");
    let (mut h, _p) = harness(loaded.project, Some(path.clone()));
    let anna = h.state().editor.project().tracks[0].id;
    h.state_mut().editor.locate(SamplePos(480_000));
    h.run_steps(1);
    {
        // Scrolled away from the playhead, as a user may leave it.
        let e = &mut h.state_mut().editor;
        e.view.samples_per_point = 123.0;
        e.view.scroll_samples = 48_000.0;
        e.view.set_height(anna, 150.0);
        e.view.waveform_zoom = 4.0;
    }
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_steps(2);
    let loaded = file::load(&path).expect("saved project loads");
    let (h2, _p2) = harness(loaded.project, Some(path));
    let v = &h2.state().editor.view;
    assert_eq!(v.samples_per_point, 123.0);
    assert_eq!(v.scroll_samples, 48_000.0);
    assert_eq!(v.height_of(anna), 150.0);
    assert_eq!(v.waveform_zoom, 4.0);
    assert_eq!(h2.state().editor.playhead(), SamplePos(480_000));
}

#[test]
fn a_project_with_a_missing_file_opens_with_an_offline_clip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing.dubstage");
    std::fs::write(
        &path,
        r#"(format_version: 1, project: (name: "Missing",
            media: [(id: 100, path: "gone.wav")],
            tracks: [(id: 200, name: "FX", kind: Sfx, output: Bus(2), clips: [
                (id: 300, media: 100, name: "Gone", position: 0, length: 48000)])]))"#,
    )
    .expect("write project");
    let loaded = file::load(&path).expect("loads");
    let (h, _p) = harness(loaded.project, Some(path));
    assert_eq!(h.state().editor.project().clips().count(), 1, "kept");
    assert!(!h.state().editor.offline.is_empty());
    h.get_by_label("Gone clip, offline");
    // The media pool (View → Media Pool) lists it as offline too.
    let mut h = h;
    h.state_mut().editor.show_side_panel = true;
    h.run_steps(2);
    h.get_by_label("gone.wav (offline)");
    assert!(
        h.state()
            .editor
            .notices
            .iter()
            .any(|n| n.text.contains("gone.wav"))
    );
}

#[test]
fn space_plays_and_the_transport_shows_timecode() {
    let (mut h, mut processor) = demo();
    h.get_by_label("01:00:00:00");
    h.key_press(Key::Space);
    h.run_steps(1);
    let mut out = vec![0.0f32; 2048];
    for _ in 0..24 {
        processor.process(&mut out);
    }
    h.run_steps(1);
    assert!(h.state().editor.is_playing());
    assert!(h.state().editor.playhead() > SamplePos(20_000));
    h.key_press(Key::Space);
    h.run_steps(1);
    assert!(!h.state().editor.is_playing());
}

/// A project in `dir` with one clip on `media.wav` (which may not exist).
fn project_in(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.dubstage"));
    std::fs::write(
        &path,
        r#"(format_version: 1, project: (name: "Scene",
            media: [(id: 100, path: "media.wav")],
            tracks: [(id: 200, name: "FX", kind: Sfx, output: Bus(2), clips: [
                (id: 300, media: 100, name: "Hit", position: 0, length: 4800)])]))"#,
    )
    .expect("write project");
    path
}

fn write_wav(path: &Path, frames: usize) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..frames {
        w.write_sample(((i as f32 * 0.1).sin() * 9000.0) as i16)
            .expect("sample");
    }
    w.finalize().expect("finalize");
}

#[test]
fn relink_finds_missing_files_by_name_and_undo_takes_them_offline_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = project_in(dir.path(), "relink");
    let elsewhere = dir.path().join("moved/deeper");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    write_wav(&elsewhere.join("media.wav"), 4800);
    let loaded = file::load(&path).expect("loads");
    let (mut h, _p) = harness(loaded.project, Some(path));
    h.get_by_label("Hit clip, offline");
    h.state_mut().editor.relink_in(&dir.path().join("moved"));
    h.run_steps(2);
    assert!(h.state().editor.offline.is_empty());
    h.get_by_label("Hit clip");
    assert_eq!(h.state().editor.session.undo_label(), Some("Relink Media"));
    h.state_mut().editor.undo();
    h.run_steps(2);
    h.get_by_label("Hit clip, offline");
}

#[test]
fn relink_finds_an_edls_renamed_take_by_tape_and_timecode_and_keeps_its_source_timecode() {
    // An EDL imported without its media: the take is offline, its clips
    // placed against the earliest source timecode they use.
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dubstage-interchange/tests/fixtures");
    let (_, tl) = dubstage_interchange::read_file(
        &fixtures.join("scene12_25.edl"),
        dubstage_model::FrameRate::FPS_25,
    )
    .expect("reads");
    let (project, _) = dubstage_interchange::build(
        &tl,
        "scene12_25.edl",
        "EDL",
        &dubstage_interchange::import::Options::default(),
        &mut dubstage_interchange::import::NoMedia,
    )
    .expect("builds");
    assert_eq!(project.tracks[0].clips[0].source_offset, SamplePos(0));
    // The recorder's file, named after its reel, starting at 10:00:00:00.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("A001C003_T3.wav");
    let mut w =
        dubstage_media::WavFileWriter::create(&file, dubstage_media::WavFormat::Int24, 48_000, 1)
            .expect("create")
            .with_bwf(dubstage_media::BwfInfo {
                time_reference: 10 * 3600 * 48_000,
                ..dubstage_media::BwfInfo::default()
            });
    let tone: Vec<f32> = (0..8 * 48_000)
        .map(|i| (i as f32 * 0.01).sin() * 0.2)
        .collect();
    w.write_planar(&[&tone]).expect("write");
    w.finish().expect("finish");
    let (mut h, _p) = harness(project, None);
    h.state_mut().editor.relink_in(dir.path());
    h.run_steps(2);
    let p = h.state().editor.project().clone();
    let clip = &p.tracks[0].clips[0];
    let media = p.media.iter().find(|m| m.id == clip.media).expect("media");
    assert_eq!(media.path, file);
    // 48 frames into the file: the source timecode the EDL gave.
    assert_eq!(clip.source_offset, SamplePos(48 * 1920));
    assert_eq!(media.time_reference, Some(10 * 3600 * 48_000));
    h.state_mut().editor.undo();
    assert_eq!(
        h.state().editor.project().tracks[0].clips[0].source_offset,
        SamplePos(0)
    );
}

#[test]
fn autosave_writes_a_recovery_file_that_is_offered_on_the_next_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_wav(&dir.path().join("media.wav"), 4800);
    let path = project_in(dir.path(), "crashy");
    let loaded = file::load(&path).expect("loads");
    let (mut h, _p) = harness(loaded.project, Some(path.clone()));
    h.state_mut().editor.autosave_edits = 3;
    for k in 0..3 {
        h.state_mut().editor.locate(SamplePos(1000 * k));
        h.state_mut().editor.add_marker();
        h.run_steps(1);
    }
    let recovery = h.state().editor.recovery_file();
    assert!(recovery.exists(), "autosaved after 3 edits");
    let edited = h.state().editor.project().clone();
    // "Crash": the editor goes away without saving. The next start offers the recovery.
    drop(h);
    let loaded = file::load(&path).expect("loads");
    let (mut h, _p) = harness(loaded.project, Some(path.clone()));
    assert!(h.state().recovery_offer.is_some());
    h.get_by_label("Recover").click();
    h.run_steps(2);
    assert_eq!(h.state().editor.project().markers, edited.markers);
    assert!(
        h.state().editor.session.is_dirty(),
        "recovered work is unsaved"
    );
    assert_eq!(h.state().editor.path.as_deref(), Some(path.as_path()));
    // Saving removes the recovery file.
    assert!(h.state_mut().editor.save());
    assert!(!recovery.exists());
}

#[test]
fn a_marker_is_renamed_from_the_ruler() {
    let (mut h, _p) = demo();
    let marker = h.state().editor.project().markers[0].clone();
    let label = format!("Marker {}", marker.name);
    h.get_by_label(&label).click();
    h.run_steps(1);
    assert_eq!(
        h.state().editor.playhead(),
        marker.position,
        "click locates"
    );
    h.get_by_label(&label).click_secondary();
    h.run_steps(2);
    assert!(
        h.state().timeline.renaming_marker.is_some(),
        "right-click opens rename"
    );
    h.state_mut().timeline.renaming_marker =
        Some((marker.id, dubstage_ui::widgets::LineEdit::new("Door slam")));
    h.run_steps(1);
    h.get_by_label("Rename").click();
    h.run_steps(2);
    assert_eq!(h.state().editor.project().markers[0].name, "Door slam");
    assert_eq!(h.state().editor.session.undo_label(), Some("Rename Marker"));
}

#[test]
fn stop_can_return_to_where_play_started() {
    let (mut h, mut processor) = demo();
    h.state_mut().editor.set_return_to_start(true);
    h.state_mut().editor.locate(SamplePos(96_000));
    h.key_press(Key::Space);
    h.run_steps(1);
    let mut out = vec![0.0f32; 2048];
    for _ in 0..10 {
        processor.process(&mut out);
    }
    h.run_steps(1);
    assert!(h.state().editor.playhead() > SamplePos(96_000));
    h.key_press(Key::Space);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), SamplePos(96_000));
}

/// A file dropped from the file manager.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropping_a_file_on_a_track_imports_it_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("creak.wav");
    write_wav(&wav, 9_600);
    let (mut h, _p) = demo();
    let target = h.state().editor.project().tracks[1].clone();
    // Drop over the second track's lane, right of the headers.
    let lane = h.get_by_label("Ben 1: Sorry, the bridge clip").rect();
    let drop_at = Pos2::new(lane.right() + 60.0, lane.center().y);
    h.hover_at(drop_at);
    h.run_steps(1);
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(wav.clone())));
    h.run_steps(1);
    h.state_mut().finish_import();
    h.run_steps(2);
    let t = h
        .state()
        .editor
        .project()
        .track(target.id)
        .expect("track")
        .clone();
    assert_eq!(t.clips.len(), target.clips.len() + 1);
    let added = t
        .clips
        .iter()
        .find(|c| c.name == "creak")
        .expect("the dropped file is on the track");
    assert_eq!(added.length, SampleLen(9_600));
    h.get_by_label("creak clip");
}

/// Clicks the transport's timecode (showing `shown`), types `typed` over
/// it and presses Enter.
fn type_timecode(h: &mut Harness<'static, EditorApp>, shown: &str, typed: &str) {
    h.get_by_label(shown).click();
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_label("Locate to timecode").type_text(typed);
    h.run_steps(1);
    h.key_press(Key::Enter);
    h.run_steps(2);
}

#[test]
fn typing_a_timecode_in_the_transport_locates_there() {
    let (mut h, _p) = demo();
    type_timecode(&mut h, "01:00:00:00", "01:00:12:00");
    assert_eq!(h.state().editor.playhead(), SamplePos(12 * 48_000));
    assert!(h.state().timecode_edit.is_none());
    // A bad timecode says why and stays put.
    type_timecode(&mut h, "01:00:12:00", "01:00:12:99");
    assert_eq!(h.state().editor.playhead(), SamplePos(12 * 48_000));
    assert!(h.state().editor.notices.last().is_some_and(|n| n.error));
    // So does a timecode before the session's start (01:00:00:00).
    let notices = h.state().editor.notices.len();
    type_timecode(&mut h, "01:00:12:00", "00:59:59:00");
    assert_eq!(h.state().editor.playhead(), SamplePos(12 * 48_000));
    assert_eq!(h.state().editor.notices.len(), notices + 1);
    assert!(
        h.state()
            .editor
            .notices
            .last()
            .is_some_and(|n| n.error && n.text.contains("before the start")),
        "{:?}",
        h.state().editor.notices.last()
    );
    // Escape cancels.
    h.get_by_label("01:00:12:00").click();
    h.run_steps(2);
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().timecode_edit.is_none());
}

/// Steps the UI until the background render or analysis has finished.
fn wait_for_job(h: &mut Harness<'static, EditorApp>) {
    for _ in 0..6000 {
        h.run_steps(1);
        if h.state().job.is_none() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the background job did not finish");
}

#[test]
fn the_export_dialog_delivers_master_and_stems_to_a_preset_with_a_report() {
    let (mut h, _p) = demo();
    let dir = tempfile::tempdir().unwrap();
    let opts = dubstage_ui::export::ExportOptions::new(&h.state().editor);
    h.state_mut().export_options = Some(opts);
    h.run_steps(2);
    {
        let o = h.state_mut().export_options.as_mut().expect("dialog open");
        o.folder = dir.path().to_owned();
        o.template = "{project}_{stem}".into();
        o.preset = Some(0); // EBU R128
        o.range = dubstage_ui::export::RangeChoice::Markers(0, 1);
        o.review_copy = true;
    }
    h.run_steps(1);
    h.get_by_label("Start Export").click();
    h.run_steps(1);
    assert!(h.state().job.is_some(), "rendering in the background");
    wait_for_job(&mut h);
    let last = h.state().editor.notices.last().expect("a notice").clone();
    assert!(!last.error, "{last:?}");
    assert!(last.text.contains("all checks pass"), "{}", last.text);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for suffix in [
        "demo_MIX.wav",
        "demo_DIA.wav",
        "demo_FX.wav",
        "demo_MUS.wav",
        "MIX.qc.json",
        "MIX.qc.txt",
        "MIX.qc.html",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(suffix)),
            "{suffix} in {names:?}"
        );
    }
    // The result stays on screen: verdict, every file's figures, and the
    // report to open.
    h.run_steps(2);
    let (d, reports) = h.state().delivered.clone().expect("delivery shown");
    assert!(reports.is_ok());
    assert_eq!(d.files.len(), 4);
    assert!(h.query_by_label("Open Report").is_some());
    assert!(h.query_by_label("Show Folder").is_some());
    assert!(h.query_by_label_contains("demo_DIA.wav").is_some());
    assert!(
        h.query_by_label_contains("PASS  integrated loudness")
            .is_some()
    );
    h.get_by_label("Close").click();
    h.run_steps(2);
    assert!(h.state().delivered.is_none());
}

#[test]
fn the_loudness_window_analyses_the_mix_with_dialogue_gating() {
    let (mut h, _p) = demo();
    h.state_mut().show_loudness = true;
    h.run_steps(2);
    h.get_by_label("Analyse").click();
    h.run_steps(1);
    wait_for_job(&mut h);
    let a = h.state().analysis.clone().expect("analysed");
    assert!(a.master.integrated.is_some());
    assert_eq!(a.stems.len(), 3);
    assert!(a.dialogue_gated.is_some());
    h.run_steps(1);
    assert!(
        h.query_by_label_contains("Dialogue-gated loudness")
            .is_some()
    );
}

#[test]
fn live_loudness_follows_playback_and_draws_the_graph() {
    let (mut h, mut processor) = demo();
    h.state_mut().timeline.show_loudness_lane = true;
    h.state_mut().editor.locate(SamplePos(14 * 48_000)); // dialogue and music
    h.key_press(Key::Space);
    h.run_steps(1);
    let mut out = vec![0.0f32; 2048];
    for _ in 0..30 {
        for _ in 0..4 {
            processor.process(&mut out);
        }
        h.run_steps(1);
    }
    let f = h.state().live.figures();
    let master = f[0];
    assert!(
        master.momentary.is_some_and(|m| (-60.0..0.0).contains(&m)),
        "{master:?}"
    );
    assert!(master.short_term.is_some());
    assert!(master.true_peak_max.is_finite());
    assert!(f[1].momentary.is_some(), "DIA is metered");
    let curve = &h.state().timeline.loudness_curve;
    assert!(curve.len() >= 10, "{} points", curve.len());
    assert!(
        curve.windows(2).all(|w| w[0].0 <= w[1].0),
        "in timeline order"
    );
    h.key_press(Key::Space);
    h.run_steps(1);
}

#[test]
fn a_user_bus_is_added_renamed_metered_and_removed_from_the_mixer() {
    let (mut h, _p) = demo();
    h.get_by_label("Add Bus").click();
    h.run_steps(2);
    let bus = h.state().editor.project().buses[3].clone();
    assert_eq!(bus.name, "BUS4");
    assert_eq!(h.state().editor.session.undo_label(), Some("Add Bus"));
    // Rename in the strip: one undo step on Enter.
    h.get_by_label("Name of BUS4 bus").click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Name of BUS4 bus").type_text("Walla");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert_eq!(
        h.state()
            .editor
            .project()
            .bus(bus.id)
            .map(|b| b.name.clone()),
        Some("Walla".to_owned())
    );
    // A track sent to it: the bus cannot be removed, and it is measured
    // and exported like the stem buses.
    let track = h.state().editor.project().tracks[0].id;
    h.state_mut().editor.apply(Command::SetTrackOutput {
        track,
        output: dubstage_model::Output::Bus(bus.id),
    });
    h.run_steps(2);
    h.get_by_label("Remove Walla bus").click();
    h.run_steps(2);
    assert_eq!(h.state().editor.project().buses.len(), 4, "still in use");
    h.state_mut().show_loudness = true;
    h.run_steps(2);
    h.get_by_label("Analyse").click();
    h.run_steps(1);
    wait_for_job(&mut h);
    let a = h.state().analysis.clone().expect("analysed");
    assert_eq!(a.stems.len(), 4);
    assert_eq!(a.stems[3].1, "Walla");
    assert!(
        a.stems[3].2.integrated.is_some(),
        "the dialogue track feeds it"
    );
    h.state_mut().show_loudness = false;
    h.state_mut().editor.undo(); // the routing
    h.run_steps(2);
    // A compressor keyed by the bus uses it too: Remove is greyed out, and
    // the command says what uses it.
    let comp = match h.state_mut().editor.apply(Command::AddInsert {
        strip: dubstage_model::StripId::Track(track),
        index: 0,
        kind: dubstage_model::InsertKind::Comp,
    }) {
        Some(dubstage_model::Created::Insert(id)) => id,
        other => panic!("a compressor, not {other:?}"),
    };
    h.state_mut().editor.apply(Command::SetSidechain {
        insert: comp,
        source: Some(dubstage_model::StripId::Bus(bus.id)),
    });
    h.run_steps(2);
    {
        use egui_kittest::kittest::NodeT;
        assert!(
            h.get_by_label("Remove Walla bus")
                .accesskit_node()
                .is_disabled()
        );
    }
    let name = h.state().editor.project().tracks[0].name.clone();
    h.state_mut()
        .editor
        .apply(Command::RemoveBus { bus: bus.id });
    assert_eq!(h.state().editor.project().buses.len(), 4);
    assert!(
        h.state()
            .editor
            .notices
            .last()
            .is_some_and(|n| n.text.contains(&format!("{name} (key)"))),
        "{:?}",
        h.state().editor.notices.last()
    );
    h.state_mut().editor.undo(); // the key
    h.state_mut().editor.undo(); // the compressor
    h.run_steps(2);
    h.get_by_label("Remove Walla bus").click();
    h.run_steps(2);
    assert_eq!(h.state().editor.project().buses.len(), 3);
    h.state_mut().editor.undo();
    assert_eq!(h.state().editor.project().buses.len(), 4);
}

/// The Export dialog's checks are the command line's: no output may be one
/// of the project's own files (even with Overwrite ticked), and an existing
/// review copy is not replaced without it.
#[test]
fn the_export_dialog_never_replaces_the_projects_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let line = dir.path().join("line.wav");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/media/fixtures/mono.wav");
    std::fs::copy(&fixture, &line).unwrap();
    let before = std::fs::read(&line).unwrap();
    let mut s = dubstage_model::Session::new(dubstage_model::Project::new("own"));
    let Ok(dubstage_model::Created::Media(m)) = s.apply(Command::AddMedia {
        path: line.clone(),
        name: "line.wav".into(),
        channels: 1,
        length: SampleLen(12_000),
    }) else {
        panic!("media")
    };
    let Ok(dubstage_model::Created::Track(t)) = s.apply(Command::AddTrack {
        kind: dubstage_model::TrackKind::Dialogue,
        name: "Dia".into(),
    }) else {
        panic!("track")
    };
    s.apply(Command::AddClip {
        track: t,
        clip: dubstage_model::NewClip::new(m, SamplePos(0), SampleLen(12_000)),
    })
    .unwrap();
    let mut project = s.project().clone();
    let movie = dir.path().join("movie.mp4");
    std::fs::write(&movie, b"not probed here").unwrap();
    project.picture = Some(dubstage_model::Picture {
        path: movie.clone(),
        frame_rate: dubstage_model::FrameRate::FPS_24,
        frames: 48,
        position: SamplePos(0),
        timecode: None,
        width: 320,
        height: 180,
        av_offset_ms: 0.0,
    });
    let (mut h, _p) = harness(project, None);
    let mut opts = dubstage_ui::export::ExportOptions::new(&h.state().editor);
    opts.folder = dir.path().to_owned();
    opts.template = "line".into();
    opts.stems = false;
    opts.overwrite = true;
    let editor = &mut h.state_mut().editor;
    assert!(dubstage_ui::export::start_export(editor, &opts).is_none());
    let n = editor.notices.last().expect("a notice").clone();
    assert!(
        n.error && n.text.contains("one of the project's own files"),
        "{}",
        n.text
    );
    assert_eq!(std::fs::read(&line).unwrap(), before, "the media is intact");
    // An existing review copy beside a new master.
    opts.template = "mix".into();
    opts.overwrite = false;
    opts.review_copy = true;
    let review = dir.path().join("mix_review.mov");
    std::fs::write(&review, b"keep").unwrap();
    assert!(dubstage_ui::export::start_export(editor, &opts).is_none());
    let n = editor.notices.last().expect("a notice").clone();
    assert!(n.error && n.text.contains("mix_review.mov"), "{}", n.text);
    assert!(n.text.contains("already exists"), "{}", n.text);
    assert_eq!(std::fs::read(&review).unwrap(), b"keep");
    assert!(!dir.path().join("mix.wav").exists());
}
