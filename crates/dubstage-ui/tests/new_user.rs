//! What stopped a new user, pinned: each test drives the editor through its
//! accessible labels as a sound editor would, with no display, no desktop
//! file dialogs and no sound card.

mod common;

use common::*;
use dubstage_media::{BwfInfo, WavFileWriter, WavFormat};
use dubstage_model::{Output, SampleLen, SamplePos, Stem, TrackKind};
use dubstage_ui::actions::{ACTIONS, Menu};
use egui::{Key, Modifiers, vec2};
use egui_kittest::kittest::{NodeT, Queryable};
use std::path::Path;

/// Double-clicks the topmost widget called `label` (a track's name is in
/// its header and in its mixer strip).
fn double_click(h: &mut egui_kittest::Harness<'static, dubstage_ui::EditorApp>, label: &str) {
    let at = h
        .get_all_by_label(label)
        .map(|n| n.rect().center())
        .min_by(|a, b| a.y.total_cmp(&b.y))
        .expect("widget exists");
    for _ in 0..2 {
        h.hover_at(at);
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::NONE,
        });
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: Modifiers::NONE,
        });
        h.run_steps(1);
    }
    h.run_steps(1);
}

fn track_named<'a>(p: &'a dubstage_model::Project, name: &str) -> &'a dubstage_model::Track {
    p.tracks
        .iter()
        .find(|t| t.name == name)
        .expect("track exists")
}

/// Types `text` into the field with the keyboard (replacing what is there).
fn type_into(
    h: &mut egui_kittest::Harness<'static, dubstage_ui::EditorApp>,
    label: &str,
    text: &str,
) {
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, label)
        .type_text(text);
    h.run_steps(1);
}

// 1. Renaming a track (and a marker) commits on Enter and gives the keyboard back.

#[test]
fn renaming_a_track_commits_on_enter_and_space_plays_again() {
    let (mut h, _p) = demo();
    double_click(&mut h, "DIA Anna");
    assert!(
        h.state().timeline.renaming.is_some(),
        "double-click opens the field"
    );
    type_into(&mut h, "Name of DIA Anna", "ANNA boom");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(
        h.state().timeline.renaming.is_none(),
        "Enter closes the field"
    );
    assert_eq!(h.state().editor.project().tracks[0].name, "ANNA boom");
    assert_eq!(h.state().editor.session.undo_label(), Some("Rename Track"));
    // The keyboard is back: Space plays.
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(h.state().editor.is_playing(), "Space plays after a rename");
}

#[test]
fn escape_cancels_a_rename_and_a_click_elsewhere_commits_it() {
    let (mut h, _p) = demo();
    double_click(&mut h, "DIA Ben");
    type_into(&mut h, "Name of DIA Ben", "half typed");
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().timeline.renaming.is_none());
    assert_eq!(h.state().editor.project().tracks[1].name, "DIA Ben");
    // The half-typed name does not follow to the next rename.
    // Half a second later (a quick third click would count as a triple-click).
    h.run_steps(30);
    double_click(&mut h, "Room Tone");
    let text = h
        .state()
        .timeline
        .renaming
        .as_ref()
        .map(|(_, e)| e.text.clone());
    assert_eq!(text.as_deref(), Some("Room Tone"));
    type_into(&mut h, "Name of Room Tone", "RT kitchen");
    // Click on empty timeline space: the name is kept.
    let ruler = h.get_by_label("Timeline ruler").rect();
    h.hover_at(ruler.center() + vec2(0.0, 400.0));
    h.run_steps(1);
    h.get_by_label("Timeline overview").click();
    h.run_steps(2);
    assert!(h.state().timeline.renaming.is_none());
    assert_eq!(h.state().editor.project().tracks[2].name, "RT kitchen");
}

#[test]
fn a_marker_rename_commits_on_enter() {
    let (mut h, _p) = demo();
    let marker = h.state().editor.project().markers[0].clone();
    h.get_by_label(&format!("Marker {}", marker.name))
        .click_secondary();
    h.run_steps(2);
    type_into(&mut h, "Marker name", "Door slam");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(h.state().timeline.renaming_marker.is_none());
    assert_eq!(h.state().editor.project().markers[0].name, "Door slam");
    h.key_press(Key::Space);
    h.run_steps(1);
    assert!(h.state().editor.is_playing());
}

// 2. File dialogs: with no desktop dialog the built-in browser opens, and a typed path works.

#[test]
fn save_as_without_a_desktop_dialog_uses_the_built_in_browser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut h, _p) = harness(dubstage_model::Project::new("Scene 12"), None);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    h.run_steps(2);
    assert!(h.state().dialogs.browser().is_some(), "a browser opened");
    let target = dir.path().join("scene12.dubstage");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File name")
        .click();
    h.run_steps(1);
    type_into(&mut h, "File name", &target.display().to_string());
    h.key_press(Key::Enter);
    h.run_steps(3);
    assert!(target.exists(), "saved where typed");
    assert_eq!(h.state().editor.path.as_deref(), Some(target.as_path()));
    assert!(!h.state().dialogs.is_open());
}

// 3. Import: one track per file, kinds guessed, spotted to BWF time.

/// A mono WAV at 48 kHz of `seconds`, with a BWF time reference.
fn bwf(path: &Path, seconds: f64, time_reference: Option<u64>) {
    let n = (seconds * 48_000.0) as usize;
    let mut w = WavFileWriter::create(path, WavFormat::Int24, 48_000, 1).expect("create");
    if let Some(t) = time_reference {
        w = w.with_bwf(BwfInfo {
            description: String::new(),
            originator: "recorder".into(),
            originator_reference: String::new(),
            origination_date: "2026-11-30".into(),
            origination_time: "10:00:00".into(),
            time_reference: t,
            ixml: None,
        });
    }
    let ch: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.01).sin() * 0.2).collect();
    w.write_planar(&[&ch]).expect("write");
    w.finish().expect("finish");
}

#[test]
fn import_puts_each_file_on_its_own_track_of_its_kind_at_its_bwf_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hour = 3600 * 48_000u64;
    let files = [
        ("Sc12_T3_dia_anna.wav", Some(hour + 10 * 48_000)),
        ("Sc12_T3_dia_ben.wav", Some(hour + 12 * 48_000 + 24_000)),
        ("Sc12_T4_dia_anna.wav", Some(hour + 20 * 48_000)),
        ("room tone kitchen.wav", Some(hour + 30 * 48_000)),
    ];
    let _paths: Vec<_> = files
        .iter()
        .map(|(name, tr)| {
            let p = dir.path().join(name);
            bwf(&p, 1.0, *tr);
            p
        })
        .collect();
    let (mut h, _p) = harness(dubstage_model::Project::new("imp"), None);
    h.key_press_modifiers(Modifiers::COMMAND, Key::I);
    h.run_steps(2);
    assert!(
        h.state().dialogs.browser().is_some(),
        "Ctrl+I opens a file browser"
    );
    // Type the folder, then pick the files in it.
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Path")
        .click();
    h.run_steps(1);
    type_into(&mut h, "Path", &dir.path().display().to_string());
    h.key_press(Key::Enter);
    h.run_steps(2);
    for (i, (name, _)) in files.iter().enumerate() {
        let m = if i == 0 {
            Modifiers::NONE
        } else {
            Modifiers::COMMAND
        };
        h.get_by_label(name).click_modifiers(m);
        h.run_steps(1);
    }
    h.get_by_label("Open").click();
    h.run_steps(2);
    // The Import dialog: kinds guessed, BWF placement chosen.
    let d = h
        .state()
        .windows
        .import
        .as_ref()
        .expect("import dialog open");
    assert_eq!(d.files.len(), 4);
    for f in &d.files {
        let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let expected = if name.starts_with("room") {
            TrackKind::Ambience
        } else {
            TrackKind::Dialogue
        };
        assert_eq!(f.kind, expected, "{name}");
    }
    assert_eq!(d.placement, dubstage_ui::import::Placement::TimeReference);
    h.get_by_label("Import").click();
    h.run_steps(1);
    h.state_mut().finish_import();
    h.run_steps(1);
    let p = h.state().editor.project();
    assert_eq!(p.tracks.len(), 4, "one track per file");
    for (name, tr) in &files {
        let stem = name.trim_end_matches(".wav");
        let t = track_named(p, stem);
        assert_eq!(t.clips.len(), 1);
        let expected = tr.expect("reference") as i64 - hour as i64;
        assert_eq!(
            t.clips[0].position,
            SamplePos(expected),
            "{name} at its time"
        );
        let (kind, stem_bus) = if name.starts_with("room") {
            (TrackKind::Ambience, Stem::Effects)
        } else {
            (TrackKind::Dialogue, Stem::Dialogue)
        };
        assert_eq!(
            (t.kind, t.output),
            (kind, Output::Bus(stem_bus.bus_id())),
            "{name}"
        );
    }
    // ... and the kind of a track can be changed afterwards; its bus follows.
    let amb = track_named(p, "room tone kitchen").id;
    h.state_mut()
        .editor
        .apply(dubstage_model::Command::SetTrackKind {
            track: amb,
            kind: TrackKind::Music,
            output: None,
        });
    let t = h
        .state()
        .editor
        .project()
        .track(amb)
        .expect("track")
        .clone();
    assert_eq!(t.output, Output::Bus(Stem::Music.bus_id()));
    h.state_mut().editor.undo();
    let t = h
        .state()
        .editor
        .project()
        .track(amb)
        .expect("track")
        .clone();
    assert_eq!(
        (t.kind, t.output),
        (TrackKind::Ambience, Output::Bus(Stem::Effects.bus_id()))
    );
}

#[test]
fn a_track_rerouted_by_hand_keeps_its_bus_when_its_kind_changes() {
    let (mut h, _p) = demo();
    let steps = track_named(h.state().editor.project(), "Foley Steps").id;
    let e = &mut h.state_mut().editor;
    e.apply(dubstage_model::Command::SetTrackOutput {
        track: steps,
        output: Output::Master,
    });
    e.apply(dubstage_model::Command::SetTrackKind {
        track: steps,
        kind: TrackKind::Sfx,
        output: None,
    });
    let t = e.project().track(steps).expect("track");
    assert_eq!((t.kind, t.output), (TrackKind::Sfx, Output::Master));
}

// 4. The playhead steps by frames and seconds, shuttles, and jumps to clip edges.

#[test]
fn arrows_step_the_playhead_by_one_frame_and_shift_by_one_second() {
    let (mut h, _p) = demo();
    let map = h.state().editor.project().time_map();
    h.key_press(Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), map.frame_start(1));
    h.key_press(Key::ArrowRight);
    h.key_press(Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), map.frame_start(3));
    h.key_press(Key::ArrowLeft);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), map.frame_start(2));
    h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
    h.run_steps(1);
    assert_eq!(
        h.state().editor.playhead(),
        map.frame_start(2) + SampleLen(48_000)
    );
}

#[test]
fn j_k_l_shuttle_and_tab_goes_to_the_next_clip_edge() {
    let (mut h, mut p) = demo();
    h.key_press(Key::L);
    h.run_steps(1);
    assert!(h.state().editor.is_playing());
    assert_eq!(h.state().editor.shuttle_speed(), 0, "first L plays");
    h.key_press(Key::L);
    h.run_steps(1);
    assert_eq!(
        h.state().editor.shuttle_speed(),
        2,
        "L again: twice as fast"
    );
    h.key_press(Key::K);
    h.run_steps(1);
    assert!(!h.state().editor.is_playing(), "K stops");
    h.key_press(Key::J);
    h.run_steps(1);
    assert_eq!(h.state().editor.shuttle_speed(), -1, "J plays backwards");
    h.key_press(Key::K);
    h.run_steps(1);
    let mut out = vec![0.0f32; 2048];
    p.process(&mut out);
    // Tab: the next clip edge on the selected track (DIA Anna).
    let anna = track_named(h.state().editor.project(), "DIA Anna").clone();
    h.state_mut().editor.selected_track = Some(anna.id);
    h.state_mut().editor.locate(SamplePos::ZERO);
    h.key_press(Key::Tab);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), anna.clips[0].position);
    h.key_press(Key::Tab);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), anna.clips[0].end());
    h.key_press_modifiers(Modifiers::SHIFT, Key::Tab);
    h.run_steps(1);
    assert_eq!(h.state().editor.playhead(), anna.clips[0].position);
}

#[test]
fn dragging_the_playhead_in_the_ruler_scrubs_with_sound() {
    let (mut h, mut p) = demo();
    let start = track_named(h.state().editor.project(), "DIA Anna").clips[0].position;
    h.state_mut().editor.locate(start);
    h.run_steps(2);
    let mut out = vec![0.0f32; 2048];
    p.process(&mut out);
    let ruler = h.get_by_label("Timeline ruler").rect();
    let spp = h.state().editor.view.samples_per_point as f32;
    let scroll = h.state().editor.view.scroll_samples as f32;
    let x = ruler.left() + (start.0 as f32 - scroll) / spp;
    let from = egui::pos2(x, ruler.bottom() - 3.0);
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    h.hover_at(from + vec2(30.0, 0.0));
    h.run_steps(1);
    // The engine plays a short burst from the new position.
    p.process(&mut out);
    assert!(
        h.state().editor.transport.engine.telemetry().playing,
        "scrub is heard"
    );
    assert!(
        !h.state().editor.is_playing(),
        "the transport stays stopped"
    );
    h.drop_at(from + vec2(30.0, 0.0));
    h.run_steps(1);
    assert!(h.state().editor.playhead() > start);
}

// 6. The selected track is visible, and touching a clip selects it.

#[test]
fn trimming_a_clip_selects_it_and_s_splits_that_clip() {
    let (mut h, _p) = demo();
    // At load the first track is selected, and the header says so.
    let node = h.get_by_label("Track header DIA Anna");
    assert_eq!(
        node.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True),
        "the selected track's header shows it"
    );
    let before = clip_by_name(h.state().editor.project(), "Ben 1: Sorry, the bridge").clone();
    let rect = h.get_by_label("Ben 1: Sorry, the bridge clip").rect();
    let from = egui::pos2(rect.right() - 2.0, rect.center().y + 14.0);
    drag(&mut h, from, from - vec2(10.0, 0.0));
    assert!(
        h.state().editor.selection.contains(&before.id),
        "trim selects the clip"
    );
    let ben_track = track_named(h.state().editor.project(), "DIA Ben").id;
    assert_eq!(h.state().editor.selected_track, Some(ben_track));
    // S splits the trimmed clip, not the room tone under the playhead.
    h.state_mut().editor.selection.clear();
    let at = before.position + SampleLen(48_000);
    h.state_mut().editor.locate(at);
    h.key_press(Key::S);
    h.run_steps(2);
    let p = h.state().editor.project();
    assert_eq!(track_named(p, "DIA Ben").clips.len(), 5, "Ben's clip split");
    assert_eq!(
        track_named(p, "Room Tone").clips.len(),
        2,
        "room tone untouched"
    );
}

// 7. The clip and track menus open, and typed values apply.

#[test]
fn the_clip_menu_opens_and_typed_gain_and_fades_apply() {
    let (mut h, _p) = demo();
    h.get_by_label("Door close clip").click_secondary();
    h.run_steps(2);
    assert!(
        h.query_by_label("Fade-in Shape").is_some(),
        "the menu stays open"
    );
    h.get_by_label("Clip Gain…").click();
    h.run_steps(2);
    type_into(&mut h, "Clip gain (dB)", "-6.5");
    h.key_press(Key::Enter);
    h.run_steps(2);
    let c = clip_by_name(h.state().editor.project(), "Door close").clone();
    assert_eq!(c.gain_db, -6.5);
    h.get_by_role_and_label(
        egui::accesskit::Role::TextInput,
        "Fade in (frames or timecode)",
    )
    .click();
    h.run_steps(1);
    type_into(&mut h, "Fade in (frames or timecode)", "3");
    h.key_press(Key::Enter);
    h.run_steps(2);
    let c = clip_by_name(h.state().editor.project(), "Door close").clone();
    let map = h.state().editor.project().time_map();
    assert_eq!(c.fade_in.length.0, map.frame_start(3).0);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Start timecode")
        .click();
    h.run_steps(1);
    type_into(&mut h, "Start timecode", "01:00:20:00");
    h.key_press(Key::Enter);
    h.run_steps(2);
    let c = clip_by_name(h.state().editor.project(), "Door close").clone();
    assert_eq!(c.position, SamplePos(20 * 48_000), "spotted to timecode");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Clip name")
        .click();
    h.run_steps(1);
    type_into(&mut h, "Clip name", "Door slam");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(
        h.state()
            .editor
            .project()
            .clips()
            .any(|(_, c)| c.name == "Door slam")
    );
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(
        h.state().timeline.clip_props.is_none(),
        "Escape closes the clip window"
    );
}

#[test]
fn the_track_header_menu_changes_kind_and_colour() {
    let (mut h, _p) = demo();
    h.get_by_label("Track header FX Hard").click_secondary();
    h.run_steps(2);
    h.get_by_label_contains("Kind").hover();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::RadioButton, "Music")
        .click();
    h.run_steps(2);
    let t = track_named(h.state().editor.project(), "FX Hard").clone();
    assert_eq!(t.kind, TrackKind::Music);
    assert_eq!(t.output, Output::Bus(Stem::Music.bus_id()));
    assert_eq!(h.state().editor.session.undo_label(), Some("Track Kind"));
}

// 8. An idle editor asks for no frames.

#[test]
fn an_idle_editor_stops_asking_for_frames() {
    let (mut h, _p) = demo();
    // Settles within a few frames (it used to request one forever).
    let steps = h.try_run();
    assert!(
        steps.is_ok(),
        "the editor keeps repainting while idle: {steps:?}"
    );
}

// 10. Track heights, waveform zoom, overview, zoom around the playhead.

#[test]
fn a_track_height_is_dragged_and_zoom_keeps_the_playhead_in_place() {
    let (mut h, _p) = demo();
    let anna = track_named(h.state().editor.project(), "DIA Anna").id;
    let before = h.state().editor.view.height_of(anna);
    let edge = h.get_by_label("Height of DIA Anna").rect();
    drag(&mut h, edge.center(), edge.center() + vec2(0.0, 40.0));
    let after = h.state().editor.view.height_of(anna);
    assert!((after - before - 40.0).abs() < 2.0, "{before} -> {after}");
    let ben = track_named(h.state().editor.project(), "DIA Ben").id;
    assert_eq!(
        h.state().editor.view.height_of(ben),
        before,
        "others keep theirs"
    );
    // Waveform zoom.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::ALT, Key::CloseBracket);
    h.run_steps(1);
    assert_eq!(h.state().editor.view.waveform_zoom, 2.0);
    // Zoom in with the playhead on screen: it stays where it was.
    h.state_mut().editor.locate(SamplePos(30 * 48_000));
    h.run_steps(1);
    let x_of = |h: &egui_kittest::Harness<'static, dubstage_ui::EditorApp>| {
        let v = &h.state().editor.view;
        (h.state().editor.playhead().0 as f64 - v.scroll_samples) / v.samples_per_point
    };
    let x0 = x_of(&h);
    h.key_press(Key::Plus);
    h.run_steps(1);
    assert!((x_of(&h) - x0).abs() < 1.0, "playhead moved on screen");
    h.get_by_label("Timeline overview");
}

// The action table: every action with a shortcut is in its menu and on its key.

#[test]
fn every_action_with_a_shortcut_is_in_the_menus_and_on_the_keyboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = demo_copy(dir.path());
    let loaded = dubstage_model::file::load(&path).expect("copy loads");
    for a in ACTIONS.iter().filter(|a| !a.keys.is_empty()) {
        let (mut h, _p) = harness(loaded.project.clone(), Some(path.clone()));
        // A selection, so the actions that need one are enabled.
        let clip = clip_by_name(h.state().editor.project(), "Door close").id;
        h.state_mut().editor.selection.insert(clip);
        h.run_steps(1);
        // In its menu.
        h.get_by_label(a.menu.label()).click();
        h.run_steps(2);
        assert!(
            h.query_all_by_label_contains(a.label).next().is_some()
                || (a.id == "edit.undo" || a.id == "edit.redo"),
            "{} is not in the {} menu",
            a.id,
            a.menu.label()
        );
        h.key_press(Key::Escape);
        h.run_steps(2);
        // On its key.
        if !(a.enabled)(h.state()) {
            continue;
        }
        h.state_mut().last_action = None;
        h.key_press_modifiers(a.keys[0].modifiers, a.keys[0].logical_key);
        h.run_steps(1);
        assert_eq!(h.state().last_action, Some(a.id), "the key of {}", a.id);
    }
    assert!(Menu::ALL.len() >= 7);
}

#[test]
fn a_playhead_moved_off_screen_by_a_key_brings_the_view_to_it() {
    let (mut h, _p) = demo();
    h.state_mut().editor.view.samples_per_point = 20.0;
    h.state_mut().editor.view.scroll_samples = 0.0;
    h.run_steps(1);
    for _ in 0..3 {
        h.key_press_modifiers(Modifiers::SHIFT, Key::ArrowRight);
        h.run_steps(1);
    }
    h.run_steps(1);
    let e = &h.state().editor;
    let width = f64::from(h.state().timeline.clip_area_width);
    let ph = e.playhead().0 as f64;
    let (left, right) = (
        e.view.scroll_samples,
        e.view.scroll_samples + width * e.view.samples_per_point,
    );
    assert!(left <= ph && ph <= right, "{ph} not in {left}..{right}");
}

#[test]
fn shortcuts_read_as_keys_in_menus() {
    let ctx = egui::Context::default();
    let k = |m, key| egui::KeyboardShortcut::new(m, key);
    let text = |s| dubstage_ui::actions::shortcut_text(&ctx, &s);
    assert_eq!(
        text(k(Modifiers::COMMAND | Modifiers::ALT, Key::CloseBracket)),
        "Ctrl+Alt+]"
    );
    assert_eq!(text(k(Modifiers::NONE, Key::Plus)), "+");
    assert_eq!(text(k(Modifiers::SHIFT, Key::Comma)), "Shift+,");
}

// Turnover: File → Import Turnover… brings the picture editor's timeline in.

/// The 25 fps OTIO fixture in a temporary folder, with its production
/// sound beside it (the takes carry their BWF timecode).
fn turnover_scene() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dubstage-interchange/tests/fixtures");
    let otio = dir.path().join("scene12_25.otio");
    std::fs::copy(fixtures.join("scene12_25.otio"), &otio).expect("copy");
    let hour = 3600 * 48_000u64;
    bwf(&dir.path().join("A001_C003.wav"), 8.0, Some(10 * hour));
    bwf(
        &dir.path().join("A001_C004.wav"),
        8.0,
        Some(10 * hour + 120 * 48_000),
    );
    bwf(&dir.path().join("Score_01.wav"), 6.0, None);
    (dir, otio)
}

/// Runs frames until `done` holds (background work finishing), 4 s at most.
fn wait_until(
    h: &mut egui_kittest::Harness<'static, dubstage_ui::EditorApp>,
    done: impl Fn(&dubstage_ui::EditorApp) -> bool,
) {
    for _ in 0..200 {
        h.run_steps(1);
        if done(h.state()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn import_turnover_makes_the_timeline_the_project_and_shows_the_report() {
    let (dir, otio) = turnover_scene();
    let (mut h, _p) = harness(dubstage_model::Project::new("before"), None);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::I);
    h.run_steps(2);
    assert!(
        h.state().dialogs.browser().is_some(),
        "Ctrl+Shift+I opens a file browser"
    );
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Path")
        .click();
    h.run_steps(1);
    type_into(&mut h, "Path", &otio.display().to_string());
    h.key_press(Key::Enter);
    h.run_steps(3);
    let d = h
        .state()
        .windows
        .turnover
        .as_ref()
        .expect("turnover window open");
    assert_eq!(d.media_dirs, vec![dir.path().to_owned()]);
    h.get_by_label("Import").click();
    wait_until(&mut h, |a| {
        a.windows
            .turnover
            .as_ref()
            .is_some_and(|d| d.outcome.is_some())
    });
    h.run_steps(2);
    let p = h.state().editor.project().clone();
    assert_eq!(p.name, "Scene 12");
    assert_eq!(p.tracks.len(), 2);
    assert_eq!(p.tracks[0].kind, TrackKind::Dialogue);
    assert_eq!(p.tracks[0].clips[0].position, SamplePos(12 * 1920));
    assert_eq!(p.tracks[0].clips[0].source_offset, SamplePos(48 * 1920));
    assert!(
        p.media.iter().all(|m| m.path.starts_with(dir.path())),
        "{:?}",
        p.media
    );
    assert!(
        h.state().editor.session.is_dirty(),
        "the imported project is unsaved"
    );
    // The report is shown; Close closes it.
    assert!(h.query_by_label_contains("3 found, 0 offline").is_some());
    h.get_by_label("Close").click();
    h.run_steps(2);
    assert!(h.state().windows.turnover.is_none());
}

#[test]
fn an_aaf_with_embedded_media_is_extracted_beside_it_and_plays_from_the_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dubstage-interchange/tests/fixtures");
    let aaf = dir.path().join("reel 1.aaf");
    std::fs::copy(fixtures.join("scene12_25_embedded.aaf"), &aaf).expect("copy");
    let (mut h, _p) = harness(dubstage_model::Project::new("before"), None);
    h.state_mut().windows.turnover = Some(dubstage_ui::windows::turnover::TurnoverDialog::new(
        aaf.clone(),
        dubstage_model::FrameRate::FPS_25,
    ));
    h.run_steps(2);
    {
        let d = h.state().windows.turnover.as_ref().expect("window");
        assert_eq!(
            d.format.as_ref().ok(),
            Some(&dubstage_interchange::Format::Aaf)
        );
        assert_eq!(d.tracks.len(), 2, "{:?}", d.read_error);
        assert_eq!(d.embedded.map(|e| e.0), Some(3));
    }
    // The window says where the embedded media will go before it does.
    assert!(
        h.query_by_label_contains("Embedded media: 3 files")
            .is_some(),
        "the window names the embedded media"
    );
    assert!(h.query_by_label_contains("reel 1 Media").is_some());
    h.get_by_label("Import").click();
    wait_until(&mut h, |a| {
        a.windows
            .turnover
            .as_ref()
            .is_some_and(|d| d.outcome.is_some())
    });
    h.run_steps(2);
    let p = h.state().editor.project().clone();
    assert_eq!(p.name, "Scene 12");
    let media_dir = dir.path().join("reel 1 Media");
    assert!(
        p.media.iter().all(|m| m.path.starts_with(&media_dir)),
        "{:?}",
        p.media
    );
    assert!(media_dir.join("A001_C003.wav").is_file());
    assert_eq!(p.tracks[0].clips[0].source_offset, SamplePos(48 * 1920));
    assert!(h.query_by_label_contains("3 found, 0 offline").is_some());
    assert!(h.query_by_label_contains("extracted to").is_some());
}

#[test]
fn a_turnover_imported_into_this_project_lands_at_its_timecode_and_undoes_in_one_step() {
    let (_dir, otio) = turnover_scene();
    // A session already under way, starting a minute before the turnover.
    let mut start = dubstage_model::Project::new("mix");
    start.frame_rate = dubstage_model::FrameRate::FPS_25;
    start.start_timecode = dubstage_model::Timecode::new(0, 59, 0, 0);
    let mut s = dubstage_model::Session::new(start);
    s.apply(dubstage_model::Command::AddTrack {
        kind: TrackKind::Foley,
        name: "Feet".into(),
    })
    .expect("track");
    let (mut h, _p) = harness(s.project().clone(), None);
    let before = h.state().editor.project().clone();
    let mut d = dubstage_ui::windows::turnover::TurnoverDialog::new(
        otio,
        dubstage_model::FrameRate::FPS_25,
    );
    assert_eq!(
        d.tracks.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(),
        ["A1", "Music"]
    );
    // The music track as SFX instead of the guess.
    assert_eq!(d.tracks[1].1, TrackKind::Music);
    d.tracks[1].1 = TrackKind::Sfx;
    h.state_mut().windows.turnover = Some(d);
    h.run_steps(2);
    h.get_by_label("This project, at the turnover's timecode")
        .click();
    h.run_steps(1);
    h.get_by_label("Import").click();
    wait_until(&mut h, |a| {
        a.windows
            .turnover
            .as_ref()
            .is_some_and(|d| d.outcome.is_some())
    });
    h.run_steps(2);
    let p = h.state().editor.project().clone();
    assert_eq!(p.name, "mix", "the same project");
    assert_eq!(p.tracks.len(), 3);
    assert_eq!(p.tracks[0].name, "Feet");
    assert_eq!(p.tracks[2].kind, TrackKind::Sfx);
    // 01:00:00:00 is one minute into this session; the clip 12 frames later.
    assert_eq!(
        p.tracks[1].clips[0].position,
        SamplePos(60 * 48_000 + 12 * 1920)
    );
    assert!(
        h.query_by_label_contains("Edit > Undo takes it out again")
            .is_some()
    );
    h.get_by_label("Close").click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    assert_eq!(
        h.state().editor.project().tracks,
        before.tracks,
        "one undo takes it out"
    );
    assert_eq!(h.state().editor.project().media, before.media);
}

#[test]
fn a_turnover_as_a_new_project_asks_about_unsaved_changes_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dubstage-interchange/tests/fixtures");
    let edl = dir.path().join("scene12_25.edl");
    std::fs::copy(fixtures.join("scene12_25.edl"), &edl).expect("copy");
    let (mut h, _p) = harness(dubstage_model::Project::new("work in progress"), None);
    h.state_mut()
        .editor
        .apply(dubstage_model::Command::AddTrack {
            kind: TrackKind::Foley,
            name: "Feet".into(),
        });
    assert!(h.state().editor.session.is_dirty());
    let d =
        dubstage_ui::windows::turnover::TurnoverDialog::new(edl, dubstage_model::FrameRate::FPS_25);
    assert!(matches!(d.format, Ok(dubstage_interchange::Format::Edl)));
    h.state_mut().windows.turnover = Some(d);
    h.run_steps(2);
    h.get_by_label("Import").click();
    wait_until(&mut h, |a| a.confirm.is_some());
    h.run_steps(2);
    assert_eq!(
        h.state().editor.project().name,
        "work in progress",
        "nothing replaced yet"
    );
    h.get_by_label("Don't Save").click();
    h.run_steps(2);
    let p = h.state().editor.project();
    assert_eq!(p.name, "Scene 12");
    assert_eq!(p.tracks.len(), 2);
    // The takes are offline (not beside the EDL) and the report says so.
    assert!(h.query_by_label_contains("0 found, 3 offline").is_some());
}

#[test]
fn a_file_that_is_no_turnover_says_so_and_cannot_be_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("notes.xml");
    std::fs::write(&bad, "<html><body>cut list</body></html>").expect("write");
    let d =
        dubstage_ui::windows::turnover::TurnoverDialog::new(bad, dubstage_model::FrameRate::FPS_25);
    assert!(
        d.format
            .as_ref()
            .is_err_and(|e| e.contains("not an AAF, OTIO")),
        "{:?}",
        d.format
    );
    assert!(d.tracks.is_empty());
    let (mut h, _p) = harness(dubstage_model::Project::new("keep"), None);
    h.state_mut().windows.turnover = Some(d);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("not an AAF, OTIO, FCP7 XML, FCPXML or CMX3600 EDL")
            .is_some()
    );
    h.get_by_label("Import").click();
    h.run_steps(2);
    let d = h.state().windows.turnover.as_ref().expect("still open");
    assert!(d.job.is_none(), "Import is disabled");
    assert_eq!(h.state().editor.project().name, "keep");
}

#[test]
fn an_edl_that_does_not_fit_the_project_rate_opens_at_a_rate_it_fits() {
    // A 25 fps EDL (frame numbers up to 24) in a 24 fps project: it used to
    // fail to read at 24 and hide the rate choice, so it could not be
    // imported at all.
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../dubstage-interchange/tests/fixtures");
    let edl = dir.path().join("scene12_25.edl");
    std::fs::copy(fixtures.join("scene12_25.edl"), &edl).expect("copy");
    assert!(
        dubstage_interchange::read_file(&edl, dubstage_model::FrameRate::FPS_24).is_err(),
        "the EDL's timecodes do not fit 24 fps"
    );
    let mut d =
        dubstage_ui::windows::turnover::TurnoverDialog::new(edl, dubstage_model::FrameRate::FPS_24);
    assert!(matches!(d.format, Ok(dubstage_interchange::Format::Edl)));
    assert_eq!(d.edl_rate, dubstage_model::FrameRate::FPS_25);
    assert!(d.read_error.is_none());
    assert_eq!(d.tracks.len(), 2);
    // Choosing a rate it does not fit says why and disables Import.
    d.edl_rate = dubstage_model::FrameRate::FPS_24;
    d.read_tracks();
    assert!(
        d.read_error
            .as_ref()
            .is_some_and(|e| e.contains("out of range"))
    );
    let (mut h, _p) = harness(dubstage_model::Project::new("keep"), None);
    h.state_mut().windows.turnover = Some(d);
    h.run_steps(2);
    assert!(h.query_by_label_contains("EDL frame rate").is_some());
    h.get_by_label("Import").click();
    h.run_steps(2);
    assert!(
        h.state()
            .windows
            .turnover
            .as_ref()
            .is_some_and(|d| d.job.is_none())
    );
}
