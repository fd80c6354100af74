//! The one list of the editor's actions. Menus (with each shortcut shown),
//! key handling and Help → Keyboard Shortcuts are all generated from
//! [`ACTIONS`]; nothing else lists them.

use crate::app::{EditorApp, Pending};
use crate::dialogs::{FileRequest, Purpose};
use crate::file_browser::BrowseMode;
use dubstage_model::{SamplePos, TrackKind};
use egui::{Key, KeyboardShortcut, Modifiers};

/// The menus, in menu-bar order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    File,
    Edit,
    Transport,
    Track,
    Picture,
    Library,
    View,
    Help,
}

impl Menu {
    pub const ALL: [Menu; 8] = [
        Menu::File,
        Menu::Edit,
        Menu::Transport,
        Menu::Track,
        Menu::Picture,
        Menu::Library,
        Menu::View,
        Menu::Help,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Menu::File => "File",
            Menu::Edit => "Edit",
            Menu::Transport => "Transport",
            Menu::Track => "Track",
            Menu::Picture => "Picture",
            Menu::Library => "Library",
            Menu::View => "View",
            Menu::Help => "Help",
        }
    }
}

/// One action: where it sits, what it is called, its keys, when it can
/// run, what it does, and (for on/off settings) whether it is on.
pub struct Action {
    pub id: &'static str,
    pub menu: Menu,
    pub label: &'static str,
    /// The first is shown in the menu; all of them work.
    pub keys: &'static [KeyboardShortcut],
    /// A separator goes above this action in its menu.
    pub separator: bool,
    pub enabled: fn(&EditorApp) -> bool,
    pub run: fn(&mut EditorApp),
    pub checked: Option<fn(&EditorApp) -> bool>,
}

const NONE: Modifiers = Modifiers::NONE;
const CMD: Modifiers = Modifiers::COMMAND;
const SHIFT: Modifiers = Modifiers::SHIFT;
const CMD_SHIFT: Modifiers = Modifiers {
    alt: false,
    ctrl: false,
    shift: true,
    mac_cmd: false,
    command: true,
};
const CMD_ALT: Modifiers = Modifiers {
    alt: true,
    ctrl: false,
    shift: false,
    mac_cmd: false,
    command: true,
};

const fn k(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

fn always(_: &EditorApp) -> bool {
    true
}

fn has_selection(a: &EditorApp) -> bool {
    !a.editor.selection.is_empty() || !a.editor.lane_selection.is_empty()
}

fn has_track(a: &EditorApp) -> bool {
    a.editor.selected_track.is_some()
}

fn has_picture(a: &EditorApp) -> bool {
    a.editor.project().picture.is_some()
}

fn no_dialog(a: &EditorApp) -> bool {
    !a.dialogs.is_open()
}

macro_rules! action {
    ($id:literal, $menu:ident, $label:literal, [$($key:expr),*], $enabled:expr, $run:expr) => {
        Action {
            id: $id,
            menu: Menu::$menu,
            label: $label,
            keys: &[$($key),*],
            separator: false,
            enabled: $enabled,
            run: $run,
            checked: None,
        }
    };
}

/// Marks an action as starting a new group in its menu.
const fn sep(mut a: Action) -> Action {
    a.separator = true;
    a
}

/// Makes an action an on/off setting.
const fn toggle(mut a: Action, checked: fn(&EditorApp) -> bool) -> Action {
    a.checked = Some(checked);
    a
}

fn new_track(a: &mut EditorApp, kind: TrackKind) {
    a.add_track(kind);
}

/// Every action, in menu order.
pub const ACTIONS: &[Action] = &[
    // File
    action!("file.new", File, "New…", [k(CMD, Key::N)], always, |a| a
        .request(Pending::New)),
    action!(
        "file.open",
        File,
        "Open…",
        [k(CMD, Key::O)],
        no_dialog,
        |a| a.request(Pending::Open(None))
    ),
    action!("file.save", File, "Save", [k(CMD, Key::S)], always, |a| a
        .save()),
    action!(
        "file.save_as",
        File,
        "Save As…",
        [k(CMD_SHIFT, Key::S)],
        no_dialog,
        |a| a.save_as(None)
    ),
    action!(
        "file.settings",
        File,
        "Project Settings…",
        [],
        always,
        |a| a.open_project_settings(false)
    ),
    sep(action!(
        "file.import",
        File,
        "Import Audio…",
        [k(CMD, Key::I)],
        no_dialog,
        |a| a.import_dialog()
    )),
    action!(
        "file.import_turnover",
        File,
        "Import Turnover…",
        [k(CMD_SHIFT, Key::I)],
        no_dialog,
        |a| a.import_turnover_dialog()
    ),
    action!(
        "file.export",
        File,
        "Export…",
        [k(CMD_SHIFT, Key::E)],
        always,
        |a| a.open_export()
    ),
    action!(
        "file.export_mix",
        File,
        "Export Mix As…",
        [],
        no_dialog,
        |a| a.export_mix_dialog()
    ),
    action!(
        "file.relink",
        File,
        "Relink Offline Media…",
        [],
        |a| !a.editor.offline.is_empty() && no_dialog(a),
        |a| a.relink_dialog()
    ),
    sep(action!(
        "file.quit",
        File,
        "Quit",
        [k(CMD, Key::Q)],
        always,
        |a| a.request(Pending::Quit)
    )),
    // Edit
    action!(
        "edit.undo",
        Edit,
        "Undo",
        [k(CMD, Key::Z)],
        |a| a.editor.session.can_undo(),
        |a| a.editor.undo()
    ),
    action!(
        "edit.redo",
        Edit,
        "Redo",
        [k(CMD_SHIFT, Key::Z), k(CMD, Key::Y)],
        |a| a.editor.session.can_redo(),
        |a| a.editor.redo()
    ),
    sep(action!(
        "edit.cut",
        Edit,
        "Cut",
        [k(CMD, Key::X)],
        has_selection,
        |a| a.editor.cut_selection()
    )),
    action!(
        "edit.copy",
        Edit,
        "Copy",
        [k(CMD, Key::C)],
        has_selection,
        |a| a.editor.copy_selection()
    ),
    action!(
        "edit.paste",
        Edit,
        "Paste at Playhead",
        [k(CMD, Key::V)],
        always,
        |a| a.editor.paste()
    ),
    action!(
        "edit.duplicate",
        Edit,
        "Duplicate",
        [k(CMD, Key::D)],
        has_selection,
        |a| a.editor.duplicate_selection()
    ),
    action!(
        "edit.delete",
        Edit,
        "Delete",
        [k(NONE, Key::Delete), k(NONE, Key::Backspace)],
        has_selection,
        |a| a.editor.delete_selection()
    ),
    toggle(
        action!(
            "edit.automation_follows",
            Edit,
            "Automation Follows Edit",
            [],
            always,
            |a| { a.editor.automation_follows_edit = !a.editor.automation_follows_edit }
        ),
        |a| a.editor.automation_follows_edit,
    ),
    action!(
        "edit.split",
        Edit,
        "Split at Playhead",
        [k(NONE, Key::S)],
        always,
        |a| a.editor.split_at_playhead()
    ),
    action!(
        "edit.split_mouse",
        Edit,
        "Split at Mouse",
        [k(SHIFT, Key::S)],
        always,
        |a| a.split_at_mouse()
    ),
    action!(
        "edit.select_all",
        Edit,
        "Select All",
        [k(CMD, Key::A)],
        always,
        |a| a.editor.select_all()
    ),
    sep(action!(
        "edit.nudge_left",
        Edit,
        "Nudge Left One Frame",
        [k(NONE, Key::Comma)],
        has_selection,
        |a| a.nudge_frames(-1)
    )),
    action!(
        "edit.nudge_right",
        Edit,
        "Nudge Right One Frame",
        [k(NONE, Key::Period)],
        has_selection,
        |a| a.nudge_frames(1)
    ),
    action!(
        "edit.nudge_left_s",
        Edit,
        "Nudge Left One Second",
        [k(SHIFT, Key::Comma)],
        has_selection,
        |a| a.nudge_seconds(-1)
    ),
    action!(
        "edit.nudge_right_s",
        Edit,
        "Nudge Right One Second",
        [k(SHIFT, Key::Period)],
        has_selection,
        |a| a.nudge_seconds(1)
    ),
    sep(action!(
        "edit.marker",
        Edit,
        "Add Marker",
        [k(NONE, Key::M)],
        always,
        |a| a.editor.add_marker()
    )),
    sep(action!(
        "edit.audio",
        Edit,
        "Audio Device…",
        [],
        always,
        |a| a.open_audio_device()
    )),
    // Transport
    action!(
        "transport.play",
        Transport,
        "Play / Stop",
        [k(NONE, Key::Space)],
        always,
        |a| a.play_or_preview()
    ),
    action!(
        "transport.home",
        Transport,
        "Return to Start",
        [k(NONE, Key::Enter), k(NONE, Key::Home)],
        always,
        |a| a.editor.locate(SamplePos::ZERO)
    ),
    action!(
        "transport.end",
        Transport,
        "Go to End",
        [k(NONE, Key::End)],
        always,
        |a| {
            let end = a.editor.project().end();
            a.editor.locate(end)
        }
    ),
    toggle(
        action!(
            "transport.loop",
            Transport,
            "Loop",
            [k(CMD, Key::L)],
            always,
            |a| {
                let on = !a.editor.transport.loop_on;
                a.editor.set_loop(on, None)
            }
        ),
        |a| a.editor.transport.loop_on,
    ),
    sep(action!(
        "transport.frame_back",
        Transport,
        "Back One Frame",
        [k(NONE, Key::ArrowLeft)],
        always,
        |a| a.editor.step_frames(-1)
    )),
    action!(
        "transport.frame_fwd",
        Transport,
        "Forward One Frame",
        [k(NONE, Key::ArrowRight)],
        always,
        |a| a.editor.step_frames(1)
    ),
    action!(
        "transport.second_back",
        Transport,
        "Back One Second",
        [k(SHIFT, Key::ArrowLeft)],
        always,
        |a| a.step_seconds(-1)
    ),
    action!(
        "transport.second_fwd",
        Transport,
        "Forward One Second",
        [k(SHIFT, Key::ArrowRight)],
        always,
        |a| a.step_seconds(1)
    ),
    action!(
        "transport.edge_prev",
        Transport,
        "Previous Clip Edge",
        [k(SHIFT, Key::Tab)],
        has_track,
        |a| a.editor.jump_clip_edge(false)
    ),
    action!(
        "transport.edge_next",
        Transport,
        "Next Clip Edge",
        [k(NONE, Key::Tab)],
        has_track,
        |a| a.editor.jump_clip_edge(true)
    ),
    action!(
        "transport.marker_prev",
        Transport,
        "Previous Marker",
        [k(CMD_ALT, Key::ArrowLeft)],
        always,
        |a| a.editor.jump_marker(false)
    ),
    action!(
        "transport.marker_next",
        Transport,
        "Next Marker",
        [k(CMD_ALT, Key::ArrowRight)],
        always,
        |a| a.editor.jump_marker(true)
    ),
    sep(action!(
        "transport.shuttle_back",
        Transport,
        "Shuttle Backwards (again: faster)",
        [k(NONE, Key::J)],
        always,
        |a| a.shuttle_back()
    )),
    action!(
        "transport.shuttle_stop",
        Transport,
        "Shuttle Stop",
        [k(NONE, Key::K)],
        always,
        |a| a.editor.shuttle(0)
    ),
    action!(
        "transport.shuttle_fwd",
        Transport,
        "Shuttle Forwards (again: faster)",
        [k(NONE, Key::L)],
        always,
        |a| a.shuttle_forward()
    ),
    sep(toggle(
        action!(
            "transport.rts",
            Transport,
            "Return to Start on Stop",
            [],
            always,
            |a| {
                let on = !a.editor.transport.return_to_start;
                a.editor.set_return_to_start(on)
            }
        ),
        |a| a.editor.transport.return_to_start,
    )),
    // Track
    action!(
        "track.new_dia",
        Track,
        "New Dialogue Track",
        [],
        always,
        |a| new_track(a, TrackKind::Dialogue)
    ),
    action!(
        "track.new_foley",
        Track,
        "New Foley Track",
        [],
        always,
        |a| new_track(a, TrackKind::Foley)
    ),
    action!("track.new_sfx", Track, "New SFX Track", [], always, |a| {
        new_track(a, TrackKind::Sfx)
    }),
    action!(
        "track.new_amb",
        Track,
        "New Ambience Track",
        [],
        always,
        |a| new_track(a, TrackKind::Ambience)
    ),
    action!("track.new_mus", Track, "New Music Track", [], always, |a| {
        new_track(a, TrackKind::Music)
    }),
    action!(
        "track.new_guide",
        Track,
        "New Guide Track",
        [],
        always,
        |a| new_track(a, TrackKind::Guide)
    ),
    sep(action!(
        "track.rename",
        Track,
        "Rename Track",
        [],
        has_track,
        |a| a.rename_selected_track()
    )),
    action!(
        "track.prev",
        Track,
        "Select Previous Track",
        [k(NONE, Key::ArrowUp)],
        always,
        |a| a.select_track_by(-1)
    ),
    action!(
        "track.next",
        Track,
        "Select Next Track",
        [k(NONE, Key::ArrowDown)],
        always,
        |a| a.select_track_by(1)
    ),
    action!("track.delete", Track, "Delete Track", [], has_track, |a| a
        .delete_selected_track()),
    action!(
        "track.volume_lane",
        Track,
        "Show Volume Automation",
        [k(NONE, Key::A)],
        has_track,
        |a| {
            if let Some(t) = a.editor.selected_track {
                a.editor.view.toggle_lane(
                    t,
                    dubstage_model::ParamId::Fader(dubstage_model::StripId::Track(t)),
                );
            }
        }
    ),
    // Picture
    action!(
        "picture.set",
        Picture,
        "Set Picture…",
        [],
        no_dialog,
        |a| a.set_picture_dialog()
    ),
    action!(
        "picture.place",
        Picture,
        "Place by Movie Timecode",
        [],
        |a| a
            .editor
            .project()
            .picture
            .as_ref()
            .is_some_and(|p| p.timecode.is_some()),
        |a| a.editor.place_picture_by_timecode()
    ),
    action!(
        "picture.rate",
        Picture,
        "Use Movie Frame Rate",
        [],
        has_picture,
        |a| a.editor.use_movie_frame_rate()
    ),
    action!(
        "picture.guide",
        Picture,
        "Import Picture Audio as Guide Track",
        [],
        has_picture,
        |a| a.import_guide()
    ),
    sep(toggle(
        action!(
            "picture.viewer",
            Picture,
            "Picture Viewer",
            [],
            always,
            |a| a.editor.picture.show = !a.editor.picture.show
        ),
        |a| a.editor.picture.show,
    )),
    toggle(
        action!(
            "picture.burn_in",
            Picture,
            "Timecode Burn-in",
            [],
            always,
            |a| a.editor.picture.burn_in = !a.editor.picture.burn_in
        ),
        |a| a.editor.picture.burn_in,
    ),
    toggle(
        action!(
            "picture.safe",
            Picture,
            "Safe Area Guides",
            [],
            always,
            |a| a.editor.picture.safe_area = !a.editor.picture.safe_area
        ),
        |a| a.editor.picture.safe_area,
    ),
    sep(action!(
        "picture.remove",
        Picture,
        "Remove Picture",
        [],
        has_picture,
        |a| a.editor.remove_picture()
    )),
    // Library
    toggle(
        action!(
            "library.show",
            Library,
            "Sound Library",
            [k(CMD, Key::B)],
            always,
            |a| a.library.show = !a.library.show
        ),
        |a| a.library.show,
    ),
    action!(
        "library.add",
        Library,
        "Add Library Folder…",
        [],
        no_dialog,
        |a| a.add_library_folder()
    ),
    sep(action!(
        "library.audition",
        Library,
        "Audition at Playhead",
        [k(CMD, Key::Space)],
        always,
        |a| crate::library::audition_at_playhead(&mut a.library, &mut a.editor)
    )),
    action!(
        "library.spot",
        Library,
        "Spot to Playhead",
        [k(CMD, Key::Enter)],
        always,
        |a| crate::library::spot_to_playhead(&mut a.library, &mut a.editor)
    ),
    // View
    action!(
        "view.zoom_in",
        View,
        "Zoom In",
        [k(NONE, Key::Plus), k(NONE, Key::Equals)],
        always,
        |a| a.zoom_on_playhead(2.0)
    ),
    action!(
        "view.zoom_out",
        View,
        "Zoom Out",
        [k(NONE, Key::Minus)],
        always,
        |a| a.zoom_on_playhead(0.5)
    ),
    action!(
        "view.zoom_fit",
        View,
        "Zoom to Fit",
        [k(CMD, Key::Num0)],
        always,
        |a| {
            let w = a.timeline.clip_area_width;
            a.editor.zoom_to_fit(w)
        }
    ),
    action!(
        "view.wave_in",
        View,
        "Waveform Taller",
        [k(CMD_ALT, Key::CloseBracket)],
        always,
        |a| a.waveform_zoom(2.0)
    ),
    action!(
        "view.wave_out",
        View,
        "Waveform Shorter",
        [k(CMD_ALT, Key::OpenBracket)],
        always,
        |a| a.waveform_zoom(0.5)
    ),
    action!(
        "view.wave_reset",
        View,
        "Waveform Full Scale",
        [],
        always,
        |a| a.editor.view.waveform_zoom = 1.0
    ),
    action!(
        "view.taller",
        View,
        "All Tracks Taller",
        [k(CMD, Key::ArrowDown)],
        always,
        |a| a.all_tracks_height(1.25)
    ),
    action!(
        "view.shorter",
        View,
        "All Tracks Shorter",
        [k(CMD, Key::ArrowUp)],
        always,
        |a| a.all_tracks_height(0.8)
    ),
    sep(toggle(
        action!("view.mixer", View, "Mixer", [], always, |a| a
            .editor
            .show_mixer =
            !a.editor.show_mixer),
        |a| a.editor.show_mixer,
    )),
    toggle(
        action!(
            "view.markers",
            View,
            "Markers",
            [k(CMD, Key::Num5)],
            always,
            |a| a.windows.markers = !a.windows.markers
        ),
        |a| a.windows.markers,
    ),
    toggle(
        action!("view.pool", View, "Media Pool", [], always, |a| a
            .editor
            .show_side_panel =
            !a.editor.show_side_panel),
        |a| a.editor.show_side_panel,
    ),
    toggle(
        action!("view.loudness", View, "Loudness", [], always, |a| a
            .show_loudness =
            !a.show_loudness),
        |a| a.show_loudness,
    ),
    toggle(
        action!(
            "view.loudness_graph",
            View,
            "Loudness Graph",
            [],
            always,
            |a| a.timeline.show_loudness_lane = !a.timeline.show_loudness_lane
        ),
        |a| a.timeline.show_loudness_lane,
    ),
    sep(toggle(
        action!(
            "view.follow",
            View,
            "Follow Playhead",
            [k(NONE, Key::F)],
            always,
            |a| a.editor.view.follow = !a.editor.view.follow
        ),
        |a| a.editor.view.follow,
    )),
    toggle(
        action!(
            "view.follow_continuous",
            View,
            "Scroll Continuously",
            [],
            |a| a.editor.view.follow,
            |a| a.editor.view.follow_continuous = !a.editor.view.follow_continuous
        ),
        |a| a.editor.view.follow_continuous,
    ),
    toggle(
        action!("view.snap", View, "Snap", [k(NONE, Key::N)], always, |a| {
            a.editor.view.snap = !a.editor.view.snap
        }),
        |a| a.editor.view.snap,
    ),
    toggle(
        action!(
            "view.clip_gain_lines",
            View,
            "Clip Gain Lines (Alt+Click Adds a Point)",
            [],
            always,
            |a| { a.editor.view.clip_gain_lines = !a.editor.view.clip_gain_lines }
        ),
        |a| a.editor.view.clip_gain_lines,
    ),
    // Help
    action!(
        "help.shortcuts",
        Help,
        "Keyboard Shortcuts",
        [k(NONE, Key::F1)],
        always,
        |a| a.editor.show_shortcuts = true
    ),
    action!("help.about", Help, "About Dubstage", [], always, |a| a
        .editor
        .show_about =
        true),
];

/// Mouse gestures, listed in Help after the actions (they are not actions).
pub const GESTURES: &[(&str, &str)] = &[
    ("Drag on empty space", "Rubber-band selection (Shift adds)"),
    ("Alt+drag", "Copy clips"),
    (
        "Drag a clip edge / fade handle / gain",
        "Trim, fade, clip gain (selects the clip)",
    ),
    (
        "Right-click a clip",
        "Rename, typed gain and fades, spot to timecode, fade shapes, channels",
    ),
    (
        "Right-click a track header",
        "Rename, kind, colour, height, delete",
    ),
    ("Drag a track header's lower edge", "Track height"),
    ("Drag the playhead in the ruler", "Scrub (heard)"),
    ("Drag in the ruler", "Loop range"),
    ("Ctrl+Wheel", "Zoom around the mouse"),
    ("Shift+Wheel", "Scroll in time"),
    ("Shift+drag fader", "Fine fader"),
    ("Double-click fader / pan", "Reset to 0 dB / centre"),
    (
        "Space (library active)",
        "Preview the selected sound / stop",
    ),
    (
        "Drag a library result",
        "Spot it onto a track at the drop point",
    ),
    ("Escape", "Close the front window or dialog"),
];

/// The action with this id.
pub fn action(id: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.id == id)
}

/// A shortcut's text as menus and Help show it (`Ctrl+Shift+S`, `Ctrl+Alt+]`).
pub fn shortcut_text(ctx: &egui::Context, k: &KeyboardShortcut) -> String {
    let key = match k.logical_key {
        Key::Plus => "+",
        Key::Minus => "-",
        Key::Equals => "=",
        Key::Comma => ",",
        Key::Period => ".",
        Key::OpenBracket => "[",
        Key::CloseBracket => "]",
        Key::ArrowLeft => "Left",
        Key::ArrowRight => "Right",
        Key::ArrowUp => "Up",
        Key::ArrowDown => "Down",
        _ => return ctx.format_shortcut(k),
    };
    let m = k.modifiers;
    let mut parts: Vec<&str> = Vec::new();
    if m.command || m.ctrl {
        parts.push("Ctrl");
    }
    if m.alt {
        parts.push("Alt");
    }
    if m.shift {
        parts.push("Shift");
    }
    parts.push(key);
    parts.join("+")
}

/// Runs the action whose key was pressed this frame (at most one per key
/// event). Shortcuts with more modifiers are tried first, so Shift+S is not
/// taken for S. Does nothing while a text field has the keyboard.
pub fn handle_keys(app: &mut EditorApp, ctx: &egui::Context) {
    if ctx.text_edit_focused() {
        return;
    }
    // Most frames carry no key press: nothing to look up.
    let pressed = ctx.input(|i| {
        i.events
            .iter()
            .any(|e| matches!(e, egui::Event::Key { pressed: true, .. }))
    });
    if !pressed {
        return;
    }
    for &(a, k) in keyed() {
        if ctx.input_mut(|i| i.consume_shortcut(k)) && (a.enabled)(app) {
            run(app, a);
        }
    }
}

/// Every (action, shortcut) pair, those with more modifiers first, so that
/// Shift+S is tried before S (egui lets a plain S match with Shift held).
/// Built once.
fn keyed() -> &'static [(&'static Action, &'static KeyboardShortcut)] {
    static KEYED: std::sync::OnceLock<Vec<(&'static Action, &'static KeyboardShortcut)>> =
        std::sync::OnceLock::new();
    KEYED.get_or_init(|| {
        let mut keyed: Vec<(&'static Action, &'static KeyboardShortcut)> = ACTIONS
            .iter()
            .flat_map(|a| a.keys.iter().map(move |k| (a, k)))
            .collect();
        let weight =
            |m: Modifiers| u8::from(m.alt) + u8::from(m.shift) + u8::from(m.command || m.ctrl);
        keyed.sort_by_key(|(_, k)| std::cmp::Reverse(weight(k.modifiers)));
        keyed
    })
}

/// Runs one action (from a menu, a key or a test).
pub fn run(app: &mut EditorApp, a: &Action) {
    app.last_action = Some(a.id);
    (a.run)(app);
}

/// Draws the menu bar: every menu and its actions, each with its shortcut.
pub fn menu_bar(app: &mut EditorApp, ui: &mut egui::Ui) {
    egui::MenuBar::new().ui(ui, |ui| {
        for menu in Menu::ALL {
            ui.menu_button(menu.label(), |ui| menu_items(app, ui, menu));
        }
    });
}

fn menu_items(app: &mut EditorApp, ui: &mut egui::Ui, menu: Menu) {
    for a in ACTIONS.iter().filter(|a| a.menu == menu) {
        if a.separator {
            ui.separator();
        }
        let enabled = (a.enabled)(app);
        let keys = a.keys.first().map(|k| shortcut_text(ui.ctx(), k));
        let clicked = match a.checked {
            Some(checked) => {
                // On/off settings are check boxes, their key beside them.
                let mut on = checked(app);
                ui.horizontal(|ui| {
                    let r = ui.add_enabled(enabled, egui::Checkbox::new(&mut on, a.label));
                    if let Some(k) = &keys {
                        ui.weak(k);
                    }
                    r.clicked()
                })
                .inner
            }
            None => {
                let mut button = egui::Button::new(label_of(app, a));
                if let Some(k) = keys {
                    button = button.shortcut_text(k);
                }
                ui.add_enabled(enabled, button).clicked()
            }
        };
        if clicked {
            run(app, a);
            ui.close();
        }
        // Submenus that list data rather than actions.
        match a.id {
            "file.open" => recent_menu(app, ui),
            "file.relink" => autosave_menu(app, ui),
            "track.delete" => track_submenus(app, ui),
            "view.shorter" => height_menu(app, ui),
            _ => {}
        }
    }
}

/// Undo and Redo name what they undo.
fn label_of(app: &EditorApp, a: &Action) -> String {
    let s = &app.editor.session;
    match a.id {
        "edit.undo" => s
            .undo_label()
            .map_or("Undo".to_owned(), |l| format!("Undo {l}")),
        "edit.redo" => s
            .redo_label()
            .map_or("Redo".to_owned(), |l| format!("Redo {l}")),
        _ => a.label.to_owned(),
    }
}

fn recent_menu(app: &mut EditorApp, ui: &mut egui::Ui) {
    ui.menu_button("Open Recent", |ui| {
        if app.recent.is_empty() {
            ui.label("(none yet)");
        }
        for p in app.recent.clone() {
            let name = p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            if ui
                .button(name)
                .on_hover_text(p.display().to_string())
                .clicked()
            {
                app.request(Pending::Open(Some(p)));
                ui.close();
            }
        }
    });
}

fn autosave_menu(app: &mut EditorApp, ui: &mut egui::Ui) {
    ui.menu_button("Autosave", |ui| {
        for (secs, label) in [
            (30, "Every 30 seconds"),
            (60, "Every minute"),
            (300, "Every 5 minutes"),
            (0, "Off"),
        ] {
            let current = app.editor.autosave_interval.as_secs();
            if ui.radio(current == secs, label).clicked() {
                app.editor.set_autosave_seconds(secs);
            }
        }
    });
}

fn track_submenus(app: &mut EditorApp, ui: &mut egui::Ui) {
    let Some(id) = app.editor.selected_track else {
        return;
    };
    let Some(track) = app.editor.project().track(id).cloned() else {
        return;
    };
    ui.menu_button("Track Kind", |ui| {
        for kind in TrackKind::ALL {
            if ui.radio(track.kind == kind, kind.label()).clicked() {
                app.editor.apply(dubstage_model::Command::SetTrackKind {
                    track: id,
                    kind,
                    output: None,
                });
                ui.close();
            }
        }
    });
}

fn height_menu(app: &mut EditorApp, ui: &mut egui::Ui) {
    ui.menu_button("Track Height", |ui| {
        for (name, h) in crate::editor::TRACK_HEIGHTS {
            let all_same = app.editor.view.track_heights.is_empty();
            let on = all_same && (app.editor.view.track_height - h).abs() < 0.5;
            if ui.radio(on, format!("All: {name}")).clicked() {
                app.editor.view.set_all_heights(h);
                ui.close();
            }
        }
    });
}

/// Help → Keyboard Shortcuts: every action with keys, then the gestures.
pub fn shortcuts_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard Shortcuts")
        .open(open)
        .default_height(560.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for menu in Menu::ALL {
                        let mut first = true;
                        for a in ACTIONS
                            .iter()
                            .filter(|a| a.menu == menu && !a.keys.is_empty())
                        {
                            if first {
                                ui.strong(menu.label());
                                ui.end_row();
                                first = false;
                            }
                            let keys: Vec<String> =
                                a.keys.iter().map(|k| shortcut_text(ctx, k)).collect();
                            ui.label(egui::RichText::new(keys.join(" / ")).monospace());
                            ui.label(a.label);
                            ui.end_row();
                        }
                    }
                    ui.strong("Mouse");
                    ui.end_row();
                    for (k, what) in GESTURES {
                        ui.label(egui::RichText::new(*k).monospace());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            });
        });
}

/// A request for the Open dialog.
pub fn open_request(app: &EditorApp) -> FileRequest {
    FileRequest::new(Purpose::OpenProject, "Open project", BrowseMode::OpenFile)
        .filter("Dubstage project", &[dubstage_model::file::EXTENSION])
        .in_dir(app.editor.path.as_deref().and_then(std::path::Path::parent))
}
