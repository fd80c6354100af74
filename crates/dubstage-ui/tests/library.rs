//! The sound library panel driven as a user would: search, preview,
//! audition at the playhead, spot (button, shortcut and drag).

use dubstage_engine::{AudioEngine, AudioProcessor, ProcessorConfig};
use dubstage_media::{WavFormat, write_wav};
use dubstage_model::{Command, Project, SamplePos, TrackKind};
use dubstage_ui::editor::PLAY_BLOCK;
use dubstage_ui::library::{self, LibraryState};
use dubstage_ui::{Editor, EditorApp};
use egui::{Key, Modifiers, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

fn engine(rate: u32) -> (AudioEngine, AudioProcessor) {
    AudioEngine::pair(ProcessorConfig {
        project_rate: rate,
        device_rate: rate,
        channels: 2,
        max_block: PLAY_BLOCK,
    })
}

fn tone(path: &Path, seconds: f32, value: f32) {
    let n = (48_000.0 * seconds) as usize;
    let ch = vec![value; n];
    write_wav(path, WavFormat::Float32, 48_000, &[&ch]).expect("write test sound");
}

/// A library folder with a Foley, an ambience and a door sound.
fn sounds(dir: &Path) {
    std::fs::create_dir_all(dir.join("Foley")).expect("mkdir");
    std::fs::create_dir_all(dir.join("Amb")).expect("mkdir");
    tone(&dir.join("Foley/FOLYFtsp_Heel Steps Wood.wav"), 1.0, 0.1);
    tone(&dir.join("Amb/AMBNight_Crickets Field.wav"), 3.0, 0.05);
    tone(&dir.join("DOORWood_Slam Heavy.wav"), 0.5, 0.2);
}

fn project() -> Project {
    let mut p = Project::new("lib");
    let mut s = dubstage_model::Session::new(p.clone());
    for (kind, name) in [
        (TrackKind::Dialogue, "DIA"),
        (TrackKind::Foley, "Steps"),
        (TrackKind::Ambience, "Amb"),
    ] {
        s.apply(Command::AddTrack {
            kind,
            name: name.into(),
        })
        .expect("track");
    }
    p = s.project().clone();
    p
}

fn harness(dir: &Path) -> (Harness<'static, EditorApp>, AudioProcessor) {
    let (e, processor) = engine(48_000);
    let mut editor = Editor::new(project(), None, e);
    editor.view.snap = false;
    let mut app = EditorApp::new(editor, Box::new(|rate| engine(rate).0));
    let (mut lib, warning) = LibraryState::with_index(dir.join("index/library.dslb"));
    assert!(warning.is_none());
    lib.show = true;
    app.library = lib;
    app.library.add_folder(dir.join("sounds"));
    library::settle(&mut app.library, &mut app.editor);
    let mut h = Harness::builder()
        .with_size(vec2(1500.0, 900.0))
        .build_ui_state(|ui, app: &mut EditorApp| app.ui(ui), app);
    h.run_steps(3);
    (h, processor)
}

fn select_first_result(h: &mut Harness<'static, EditorApp>, query: &str) {
    h.get_by_label("Library search").click();
    h.run_steps(1);
    h.get_by_label("Library search").type_text(query);
    h.run_steps(2);
    let first = h.state().library.results()[0];
    let name = h.state().library.library.entries[first].name();
    h.get_by_label_contains(&name).click();
    h.run_steps(1);
    let app = h.state_mut();
    library::settle(&mut app.library, &mut app.editor);
    h.run_steps(1);
}

#[test]
fn search_preview_and_spot_to_playhead_lands_on_the_matching_track() {
    let dir = tempfile::tempdir().unwrap();
    sounds(&dir.path().join("sounds"));
    let (mut h, _p) = harness(dir.path());
    assert_eq!(h.state().library.library.entries.len(), 3);
    // The index was saved for the next launch.
    assert!(dir.path().join("index/library.dslb").exists());
    select_first_result(&mut h, "heel wood");
    assert_eq!(h.state().library.results().len(), 1);
    assert!(h.state().library.preview().is_some(), "decoded for preview");
    // Playhead at 2 s; the DIA track is selected but the sound is Foley.
    let dia = h.state().editor.project().tracks[0].id;
    h.state_mut().editor.selected_track = Some(dia);
    h.state_mut().editor.locate(SamplePos(96_000));
    h.run_steps(1);
    let before = h.state().editor.project().clone();
    h.get_by_label("Spot to Playhead").click();
    h.run_steps(2);
    let p = h.state().editor.project();
    let steps = p
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Foley)
        .unwrap();
    assert_eq!(steps.clips.len(), 1);
    assert_eq!(steps.clips[0].position, SamplePos(96_000));
    assert_eq!(steps.clips[0].length.0, 48_000);
    assert_eq!(p.media.len(), 1);
    assert!(h.state().editor.sources.get(p.media[0].id).is_some());
    // Exactly one undo step.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    assert_eq!(h.state().editor.project(), &before);
}

#[test]
fn a_selection_spots_only_that_part_and_ambience_goes_to_the_ambience_track() {
    let dir = tempfile::tempdir().unwrap();
    sounds(&dir.path().join("sounds"));
    let (mut h, _p) = harness(dir.path());
    select_first_result(&mut h, "crickets");
    h.state_mut().library.range = Some((24_000, 72_000));
    h.state_mut().editor.locate(SamplePos(10_000));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run_steps(2);
    let p = h.state().editor.project();
    let amb = p
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Ambience)
        .unwrap();
    assert_eq!(amb.clips.len(), 1);
    let c = &amb.clips[0];
    assert_eq!(
        (c.position, c.source_offset),
        (SamplePos(10_000), SamplePos(24_000))
    );
    assert_eq!(c.length.0, 48_000);
}

#[test]
fn preview_plays_on_the_audition_path_and_audition_at_playhead_prerolls() {
    let dir = tempfile::tempdir().unwrap();
    sounds(&dir.path().join("sounds"));
    let (mut h, mut processor) = harness(dir.path());
    select_first_result(&mut h, "door");
    // Space previews while the library is active (the row was just clicked).
    h.key_press(Key::Space);
    h.run_steps(1);
    assert!(h.state().library.previewing);
    assert!(!h.state().editor.is_playing(), "the timeline stays stopped");
    let mut out = vec![0.0f32; 2 * 1024];
    processor.process(&mut out);
    assert!(
        out.iter().all(|&v| (v - 0.2).abs() < 1e-6),
        "the door sound, alone"
    );
    h.key_press(Key::Space);
    h.run_steps(1);
    assert!(!h.state().library.previewing);
    // Audition at the playhead: the timeline plays from the pre-roll.
    h.state_mut().library.preroll = 1.0;
    h.state_mut().editor.locate(SamplePos(96_000));
    h.run_steps(1);
    h.get_by_label("Audition at Playhead").click();
    h.run_steps(1);
    assert!(h.state().editor.is_playing());
    assert!(h.state().library.auditioning);
    processor.process(&mut out);
    h.run_steps(1);
    let ph = h.state().editor.transport.telemetry.playhead.0;
    assert!(
        (48_000..48_000 + 4096).contains(&ph),
        "pre-roll from 1 s: {ph}"
    );
    // Silence until the playhead (no clips), then the sound.
    assert!(out.iter().all(|&v| v == 0.0));
    // Stopping the transport ends the audition.
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(!h.state().library.auditioning);
    assert_eq!(h.state().editor.playhead(), SamplePos(96_000));
}

#[test]
fn dragging_a_result_onto_a_track_spots_it_at_the_drop_point() {
    let dir = tempfile::tempdir().unwrap();
    sounds(&dir.path().join("sounds"));
    let (mut h, _p) = harness(dir.path());
    select_first_result(&mut h, "door");
    // The result row (below the preview, which shows the same name).
    let row = h
        .get_all_by_label_contains("DOORWood_Slam Heavy.wav")
        .map(|n| n.rect())
        .max_by(|a, b| a.top().total_cmp(&b.top()))
        .unwrap();
    // The track header (the mixer strip below has the same name).
    let header = h
        .get_all_by_label("Amb")
        .map(|n| n.rect())
        .min_by(|a, b| a.top().total_cmp(&b.top()))
        .unwrap();
    let target = egui::pos2(header.right() + 300.0, header.center().y);
    h.hover_at(row.center());
    h.run_steps(1);
    h.drag_at(row.center());
    h.run_steps(1);
    for k in 1..=6 {
        let t = k as f32 / 6.0;
        h.hover_at(row.center() + (target - row.center()) * t);
        h.run_steps(1);
    }
    h.drop_at(target);
    h.run_steps(3);
    let p = h.state().editor.project();
    let amb = p.tracks.iter().find(|t| t.name == "Amb").unwrap();
    assert_eq!(amb.clips.len(), 1, "dropped on the Amb track");
    let spp = h.state().editor.view.samples_per_point;
    let x0 = h.state().editor.view.scroll_samples;
    let left = h.get_by_label("Timeline ruler").rect().left();
    let expected = x0 + f64::from(target.x - left) * spp;
    let got = amb.clips[0].position.0 as f64;
    assert!((got - expected).abs() <= spp * 2.0, "{got} vs {expected}");
}

#[test]
fn stopping_an_audition_with_space_returns_to_its_point_and_spot_lands_there() {
    let dir = tempfile::tempdir().unwrap();
    sounds(&dir.path().join("sounds"));
    let (mut h, mut processor) = harness(dir.path());
    select_first_result(&mut h, "heel wood");
    h.state_mut().library.preroll = 0.5;
    let point = SamplePos(96_000);
    h.state_mut().editor.locate(point);
    h.run_steps(1);
    h.get_by_label("Audition at Playhead").click();
    h.run_steps(1);
    assert!(h.state().library.auditioning);
    // Play two seconds: the transport runs past the audition point.
    let mut out = vec![0.0f32; 2 * 1024];
    for _ in 0..94 {
        processor.process(&mut out);
    }
    h.run_steps(1);
    assert!(h.state().editor.playhead() > point + dubstage_model::SampleLen(24_000));
    // The library has the keyboard (the user clicked in it): Space stops.
    h.state_mut().library.active = true;
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(!h.state().library.auditioning);
    assert_eq!(
        h.state().editor.playhead(),
        point,
        "back to the audition point"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.run_steps(2);
    let p = h.state().editor.project();
    let steps = p
        .tracks
        .iter()
        .find(|t| t.kind == TrackKind::Foley)
        .unwrap();
    assert_eq!(steps.clips[0].position, point, "spotted where auditioned");
}

#[test]
fn searching_footsteps_finds_ucs_footstep_sounds() {
    let dir = tempfile::tempdir().unwrap();
    let sounds_dir = dir.path().join("sounds");
    std::fs::create_dir_all(&sounds_dir).unwrap();
    tone(&sounds_dir.join("FOLYFtsp_Heel Gravel_ABC.wav"), 0.5, 0.1);
    tone(&sounds_dir.join("DOORWood_Slam Heavy.wav"), 0.5, 0.2);
    let (mut h, _p) = harness(dir.path());
    for query in ["footsteps", "footstep"] {
        h.get_by_label("Library search").click();
        h.run_steps(1);
        h.key_press_modifiers(Modifiers::COMMAND, Key::A);
        h.get_by_label("Library search").type_text(query);
        h.run_steps(2);
        let lib = &h.state().library;
        let names: Vec<String> = lib
            .results()
            .iter()
            .map(|&i| lib.library.entries[i].name())
            .collect();
        assert_eq!(
            names,
            vec!["FOLYFtsp_Heel Gravel_ABC.wav".to_owned()],
            "{query}"
        );
    }
}
