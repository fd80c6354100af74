//! Automation lanes in the timeline, driven as a user would: show a lane,
//! click to add points, drag one, delete it, undo, each one step.

mod common;

use common::*;
use dubstage_model::{ParamId, StripId};
use egui::{Key, Modifiers, vec2};
use egui_kittest::kittest::Queryable;

#[test]
fn a_volume_lane_is_shown_edited_by_clicks_and_drags_and_undone_step_by_step() {
    let (mut h, _p) = demo();
    let track = h.state().editor.project().tracks[0].clone();
    let fader = ParamId::Fader(StripId::Track(track.id));
    h.state_mut().editor.selected_track = Some(track.id);
    // A shows the selected track's volume lane.
    h.key_press(Key::A);
    h.run_steps(2);
    assert_eq!(h.state().editor.view.lanes_of(track.id), &[fader]);
    let label = format!("{} Volume automation lane", track.name);
    let rect = h.get_by_label(&label).rect();
    let lane_now = |h: &egui_kittest::Harness<'static, dubstage_ui::EditorApp>| {
        h.state()
            .editor
            .project()
            .lane(fader)
            .map(|l| l.points.clone())
    };
    // A click adds a point at the pointer (snapped to a frame); the new
    // lane starts from the fader's value at the session start, so one
    // click does not move the whole track.
    h.get_by_label(&label).click();
    h.run_steps(2);
    let pts = lane_now(&h).expect("a lane");
    assert_eq!(pts.len(), 2, "{pts:?}");
    assert_eq!(pts[0].at.0, 0);
    assert_eq!(pts[0].value, track.gain_db);
    let (seed, first) = (pts[0], pts[1]);
    assert_eq!(h.state().editor.session.undo_label(), Some("Automation"));
    // ... a second one to its right, lower.
    let second_at = rect.center() + vec2(120.0, 14.0);
    drag(&mut h, second_at, second_at);
    h.run_steps(1);
    let pts = lane_now(&h).expect("lane");
    assert_eq!(pts.len(), 3, "{pts:?}");
    assert!(pts[2].value < first.value);
    // Dragging the second point up raises it, one undo step.
    drag(&mut h, second_at, second_at - vec2(0.0, 10.0));
    let raised = lane_now(&h).expect("lane")[2];
    assert!(raised.value > pts[2].value, "{raised:?}");
    assert_eq!(raised.at, pts[2].at, "a vertical drag keeps the time");
    // Delete removes the selected point (the dragged one).
    h.key_press(Key::Delete);
    h.run_steps(2);
    assert_eq!(lane_now(&h).expect("lane"), vec![seed, first]);
    // Undo, step by step: the point back, its move undone, then gone.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    assert_eq!(lane_now(&h).expect("lane")[2], raised);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    assert_eq!(lane_now(&h).expect("lane"), pts);
    for _ in 0..2 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run_steps(1);
    }
    assert!(lane_now(&h).is_none());
    // A again hides the lane.
    h.key_press(Key::A);
    h.run_steps(1);
    assert!(h.state().editor.view.lanes_of(track.id).is_empty());
}

#[test]
fn alt_click_draws_a_clip_gain_envelope_and_its_point_drags_with_undo() {
    let (mut h, _p) = demo();
    let name = "Room tone A";
    let label = format!("{name} clip");
    let rect = h.get_by_label(&label).rect();
    let clip = clip_by_name(h.state().editor.project(), name).id;
    // Alt+click at a third of the clip, then at two thirds, lower.
    let a = rect.left_center() + vec2(rect.width() / 3.0, 0.0);
    let b = rect.left_center() + vec2(2.0 * rect.width() / 3.0, 12.0);
    for p in [a, b] {
        alt_click(&mut h, p);
    }
    let env = |h: &egui_kittest::Harness<'static, dubstage_ui::EditorApp>| {
        h.state()
            .editor
            .project()
            .clip(clip)
            .expect("clip")
            .1
            .gain_envelope
            .clone()
    };
    let pts = env(&h);
    assert_eq!(pts.len(), 2, "{pts:?}");
    assert!(pts[1].db < pts[0].db);
    assert_eq!(
        h.state().editor.session.undo_label(),
        Some("Clip Gain Envelope")
    );
    // The first point dragged down lowers it, one step.
    let at = pos_of(&h, clip, 0);
    drag(&mut h, at, at + vec2(0.0, 8.0));
    let moved = env(&h);
    assert!(moved[0].db < pts[0].db, "{moved:?}");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    assert_eq!(env(&h), pts);
    // Alt+click on a point removes it.
    let at = pos_of(&h, clip, 1);
    alt_click(&mut h, at);
    assert_eq!(env(&h), vec![pts[0]]);
}

/// A click with Alt held.
fn alt_click(h: &mut egui_kittest::Harness<'static, dubstage_ui::EditorApp>, p: egui::Pos2) {
    h.event(egui::Event::ModifiersChanged(Modifiers::ALT));
    h.event(egui::Event::PointerMoved(p));
    h.run_steps(1);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::ALT,
        });
    }
    h.run_steps(2);
    h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    h.run_steps(1);
}

/// Where envelope point `i` of `clip` is drawn.
fn pos_of(
    h: &egui_kittest::Harness<'static, dubstage_ui::EditorApp>,
    clip: dubstage_model::ClipId,
    i: usize,
) -> egui::Pos2 {
    let e = h.state().editor.project();
    let (_, c) = e.clip(clip).expect("clip");
    let name = c.name.clone();
    let point = c.gain_envelope[i];
    let rect = h.get_by_label(&format!("{name} clip")).rect();
    let v = &h.state().editor.view;
    let x = rect.left()
        + ((c.position.0 + point.at.0 - c.source_offset.0 - c.position.0) as f64
            / v.samples_per_point) as f32;
    let inner = rect.shrink2(vec2(0.0, 3.0));
    let y = inner.bottom() - dubstage_ui::automation::Scale::Db.norm(point.db) * inner.height();
    egui::pos2(x, y)
}

/// Plays `seconds` in callbacks of 1,024 frames, a UI frame after each.
fn play_for(
    h: &mut egui_kittest::Harness<'static, dubstage_ui::EditorApp>,
    p: &mut dubstage_engine::AudioProcessor,
    seconds: f64,
) {
    let mut out = vec![0.0f32; 1024 * 2];
    let n = (seconds * 48_000.0 / 1024.0).round() as usize;
    for _ in 0..n {
        p.process(&mut out);
        h.run_steps(1);
    }
}

#[test]
fn a_touch_pass_writes_the_ride_and_glides_back_and_a_latch_pass_holds_to_stop() {
    use dubstage_model::automation::value_at;
    use dubstage_ui::automation::Mode;
    let (mut h, mut p) = demo();
    let track = h.state().editor.project().tracks[0].id;
    let fader = ParamId::Fader(StripId::Track(track));
    let strip = StripId::Track(track);
    h.state_mut().editor.writer.modes.insert(strip, Mode::Touch);
    h.state_mut().editor.locate(dubstage_model::SamplePos(0));
    h.run_steps(1);
    h.state_mut().editor.play();
    play_for(&mut h, &mut p, 0.5);
    // The ride: held at −10 dB, then down to −16 dB, let go.
    let start = h.state().editor.playhead().0;
    h.state_mut().editor.live_param(fader, -10.0);
    play_for(&mut h, &mut p, 0.4);
    let mid = h.state().editor.playhead().0;
    h.state_mut().editor.live_param(fader, -16.0);
    play_for(&mut h, &mut p, 0.4);
    let end = h.state().editor.playhead().0;
    h.state_mut().editor.commit_param(fader);
    h.run_steps(1);
    let lane = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("a lane")
        .clone();
    let at = |t: i64| value_at(&lane.points, t, false).expect("value") as f32;
    // Before the pass: as it was (the static 0 dB).
    assert_eq!(at(start - 1), 0.0);
    // The ride: −10 dB while held, −16 dB after the move.
    assert!(
        (at(start + 2_000) + 10.0).abs() < 0.01,
        "{}",
        at(start + 2_000)
    );
    assert!((at(mid - 2_000) + 10.0).abs() < 0.01);
    assert!((at(end - 1) + 16.0).abs() < 0.01, "{}", at(end - 1));
    // Let go: back to 0 dB over the glide (250 ms).
    let glide = 12_000;
    assert!(at(end + glide / 2) > -16.0 && at(end + glide / 2) < 0.0);
    assert_eq!(at(end + glide), 0.0);
    assert_eq!(
        h.state().editor.session.undo_label(),
        Some("Automation Pass")
    );
    // The engine plays the new lane: the fader follows it on screen.
    h.state_mut().editor.undo();
    assert!(
        h.state().editor.project().lane(fader).is_none(),
        "one undo removes the pass"
    );
    h.state_mut().editor.redo();

    // Latch: from the first touch until stop, holding the last value.
    h.state_mut().editor.writer.modes.insert(strip, Mode::Latch);
    h.state_mut().editor.stop();
    play_for(&mut h, &mut p, 0.1);
    let before = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("lane")
        .clone();
    h.state_mut()
        .editor
        .locate(dubstage_model::SamplePos(4 * 48_000));
    h.run_steps(1);
    h.state_mut().editor.play();
    play_for(&mut h, &mut p, 0.3);
    let l_start = h.state().editor.playhead().0;
    h.state_mut().editor.live_param(fader, -6.0);
    play_for(&mut h, &mut p, 0.2);
    h.state_mut().editor.commit_param(fader);
    play_for(&mut h, &mut p, 0.6);
    let held = h.state().editor.playhead().0;
    h.state_mut().editor.stop();
    play_for(&mut h, &mut p, 0.1);
    let lane = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("lane")
        .clone();
    let at = |t: i64| value_at(&lane.points, t, false).expect("value") as f32;
    assert!((at(l_start + 1_000) + 6.0).abs() < 0.01);
    assert!(
        (at(held - 1_000) + 6.0).abs() < 0.01,
        "held after release: {}",
        at(held - 1_000)
    );
    // The first pass is still there before it.
    assert!((at(start + 2_000) + 10.0).abs() < 0.01);
    assert_eq!(
        h.state().editor.session.undo_label(),
        Some("Automation Pass")
    );
    h.state_mut().editor.undo();
    assert_eq!(
        h.state().editor.project().lane(fader).expect("lane"),
        &before
    );
}

#[test]
fn automation_follows_a_moved_clip_and_stays_when_following_is_off() {
    use dubstage_model::automation::value_at;
    use dubstage_model::{AutoPoint, Command, SampleLen};
    let (mut h, _p) = demo();
    let c = clip_by_name(h.state().editor.project(), "Door close").clone();
    let (track, _) = h.state().editor.project().clip(c.id).expect("clip");
    let fader = ParamId::Fader(StripId::Track(track.id));
    let inside = c.position.0 + c.length.0 / 2;
    let outside = c.position.0 - 10_000;
    h.state_mut().editor.apply(Command::SetLane {
        param: fader,
        points: vec![AutoPoint::new(outside, -3.0), AutoPoint::new(inside, -12.0)],
    });
    let original = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("lane")
        .points
        .clone();
    let old = |t: i64| value_at(&original, t, false).expect("v");
    let now = |h: &egui_kittest::Harness<'static, dubstage_ui::EditorApp>, t: i64| {
        let pts = &h.state().editor.project().lane(fader).expect("lane").points;
        value_at(pts, t, false).expect("v")
    };
    // Nudged by a second, the curve under the clip comes along; one undo.
    h.state_mut().editor.selection = [c.id].into_iter().collect();
    h.state_mut().editor.nudge(SampleLen(48_000));
    for t in [c.position.0, inside, c.end().0 - 1] {
        assert!(
            (now(&h, t + 48_000) - old(t)).abs() < 1e-3,
            "moved curve at {t}"
        );
    }
    assert!(
        (now(&h, outside) - old(outside)).abs() < 1e-6,
        "the rest stays"
    );
    h.state_mut().editor.undo();
    let pts = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("lane")
        .points
        .clone();
    assert_eq!(pts, original);
    // Off: the clip moves, its automation stays.
    h.state_mut().editor.automation_follows_edit = false;
    h.state_mut().editor.nudge(SampleLen(48_000));
    let pts = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("lane")
        .points
        .clone();
    assert_eq!(pts, original);
    // On again, a deleted clip takes its automation with it.
    h.state_mut().editor.undo();
    h.state_mut().editor.automation_follows_edit = true;
    h.state_mut().editor.selection = [c.id].into_iter().collect();
    h.state_mut().editor.delete_selection();
    let pts = h
        .state()
        .editor
        .project()
        .lane(fader)
        .expect("lane")
        .points
        .clone();
    assert!(
        pts.iter()
            .all(|q| q.at.0 < c.position.0 || q.at.0 >= c.end().0)
    );
    assert!((now(&h, outside) - old(outside)).abs() < 1e-6);
}

#[test]
fn a_strip_with_automation_off_plays_and_exports_without_its_lanes() {
    use dubstage_model::{AutoPoint, Command};
    use dubstage_ui::automation::Mode;
    let (mut h, _p) = demo();
    let t = h.state().editor.project().tracks[0].id;
    let other = h.state().editor.project().tracks[1].id;
    for id in [t, other] {
        h.state_mut().editor.apply(Command::SetLane {
            param: ParamId::Fader(StripId::Track(id)),
            points: vec![AutoPoint::new(0, -20.0)],
        });
    }
    assert_eq!(h.state().editor.heard_project().automation.len(), 2);
    h.state_mut()
        .editor
        .writer
        .modes
        .insert(StripId::Track(t), Mode::Off);
    let heard = h.state().editor.heard_project();
    assert_eq!(heard.automation.len(), 1);
    assert_eq!(
        heard.automation[0].param,
        ParamId::Fader(StripId::Track(other))
    );
    // The project itself keeps the lane; the fader shows its static value.
    assert_eq!(h.state().editor.project().automation.len(), 2);
    assert_eq!(
        h.state().editor.param(ParamId::Fader(StripId::Track(t))),
        Some(h.state().editor.project().tracks[0].gain_db)
    );
}

#[test]
fn a_bus_volume_lane_is_shown_under_the_tracks_and_edited_there() {
    let (mut h, _p) = demo();
    let bus = dubstage_model::Stem::Dialogue.bus_id();
    let name = h
        .state()
        .editor
        .project()
        .bus(bus)
        .expect("bus")
        .name
        .clone();
    let fader = ParamId::Fader(StripId::Bus(bus));
    h.get_by_label(&format!("Volume lane of {name}")).click();
    h.run_steps(2);
    assert_eq!(
        h.state().editor.view.strip_lanes_of(StripId::Bus(bus)),
        &[fader]
    );
    // Scrolled to the bottom, the bus's lane is there to click.
    h.state_mut().editor.view.scroll_y = 10_000.0;
    h.run_steps(2);
    let label = format!("{name} Volume automation lane");
    h.get_by_label(&label).click();
    h.run_steps(2);
    assert!(h.state().editor.project().lane(fader).is_some());
    assert!(
        h.query_by_label(&format!("Automation mode of {name}"))
            .is_some()
    );
}
