//! A built-in file browser window: open one or several files, pick a folder,
//! or choose where to save.
//!
//! The caller keeps a [`FileBrowser`] while it is open and calls
//! [`FileBrowser::show`] every frame; the first `Some` it returns is the
//! user's answer, after which the browser draws nothing and can be dropped.
//!
//! A folder is read once, when it is entered (and again on "Refresh"), and
//! only the rows in view are drawn, so folders with thousands of entries stay
//! cheap. The browser reacts to input only: it never schedules a repaint of
//! its own, so an idle window costs nothing. When a click changes what is
//! shown in the middle of a frame, it asks egui to redo that same frame
//! (`request_discard`) instead.
//!
//! Keyboard: Escape cancels (or dismisses the replace question); with no
//! text field focused, Up/Down move the selection, Enter opens it and
//! Alt+Up goes to the parent folder.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use egui::text::{CCursor, CCursorRange};
use egui::{
    Align, Align2, Button, ComboBox, Context, Id, Key, Layout, Modifiers, Popup, Rect, Role,
    ScrollArea, Sense, TextEdit, TextStyle, Ui, WidgetInfo, pos2, vec2,
};

/// What the browser is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowseMode {
    /// Pick one existing file.
    OpenFile,
    /// Pick one or more existing files (Ctrl/Cmd-click and Shift-click
    /// select several).
    OpenFiles,
    /// Pick a folder: the current one, or the selected sub-folder.
    PickFolder,
    /// Choose a file to save to; an existing file is only returned after the
    /// user agreed to replace it.
    SaveFile,
}

/// How a browser ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowseOutcome {
    /// The chosen paths, absolute. One path in every mode but
    /// [`BrowseMode::OpenFiles`], which returns its files in listing order.
    Picked(Vec<PathBuf>),
    /// Cancel, Escape, or the window's close button.
    Cancelled,
}

/// Width kept free at the right of each row for the file size.
const SIZE_COLUMN: f32 = 90.0;

/// Width of the icon column at the left of each row.
const ICON_COLUMN: f32 = 20.0;

/// One choice of the "File type" box.
struct Filter {
    /// What the box shows, e.g. "Audio (*.wav, *.flac)".
    title: String,
    /// Lower-case extensions, without the dot.
    exts: Vec<String>,
    /// The same as ".ext", matched against lower-case names.
    suffixes: Vec<String>,
}

impl Filter {
    fn new(label: &str, exts: &[&str]) -> Filter {
        let exts: Vec<String> = exts
            .iter()
            .map(|e| e.trim().trim_start_matches('.').to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        let suffixes = exts.iter().map(|e| format!(".{e}")).collect();
        let patterns = exts
            .iter()
            .map(|e| format!("*.{e}"))
            .collect::<Vec<_>>()
            .join(", ");
        let title = if patterns.is_empty() {
            label.to_owned()
        } else {
            format!("{label} ({patterns})")
        };
        Filter {
            title,
            exts,
            suffixes,
        }
    }

    /// Whether a file with this lower-case name passes. A filter without
    /// extensions passes everything.
    fn matches(&self, lower_name: &str) -> bool {
        self.suffixes.is_empty()
            || self
                .suffixes
                .iter()
                .any(|s| lower_name.ends_with(s.as_str()))
    }
}

/// One file or folder of the current folder.
struct Entry {
    name: String,
    /// `name` in lower case, for sorting and filtering.
    lower: String,
    path: PathBuf,
    is_dir: bool,
    hidden: bool,
    /// The file size as shown ("12.5 KB"); empty for folders.
    size: String,
}

impl Entry {
    fn new(name: String, path: PathBuf, is_dir: bool, size: Option<u64>) -> Entry {
        Entry {
            lower: name.to_lowercase(),
            hidden: name.starts_with('.'),
            size: size.map(format_size).unwrap_or_default(),
            name,
            path,
            is_dir,
        }
    }
}

/// A click in the listing: which row, with which modifiers, when.
struct RowClick {
    pos: usize,
    modifiers: Modifiers,
    time: f64,
}

/// A file browser window. See the module documentation.
/// How many browsers were made (each gets a window of its own).
static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub struct FileBrowser {
    title: String,
    id: Id,
    mode: BrowseMode,
    dir: PathBuf,
    home: Option<PathBuf>,
    filters: Vec<Filter>,
    /// Index into `filters`; `filters.len()` is "All files".
    filter: usize,
    show_hidden: bool,
    /// Everything in `dir`, hidden entries included, folders first.
    entries: Vec<Entry>,
    /// Indices into `entries` of the rows shown, ascending.
    visible: Vec<usize>,
    /// Indices into `entries`; always a subset of `visible`.
    selected: BTreeSet<usize>,
    /// The entry a Shift-click range starts from.
    anchor: Option<usize>,
    /// The entry clicked last and when, to tell a double-click.
    last_click: Option<(usize, f64)>,
    path_text: String,
    file_name: String,
    error: Option<String>,
    /// Save mode: the existing file waiting for "Replace".
    confirm: Option<PathBuf>,
    finished: bool,
    /// Save mode: focus the file name field when first shown.
    focus_name: bool,
    scroll_top: bool,
    /// Row position to bring into view.
    scroll_to: Option<usize>,
    /// The listing's scroll offset and height at the last frame.
    view: (f32, f32),
    /// Height of everything below the listing at the last frame.
    bottom_height: f32,
    /// Something shown changed after it was drawn this frame.
    dirty: bool,
}

impl FileBrowser {
    /// A browser titled `title`, starting in `start_dir` (or the nearest
    /// readable folder above it; a file path starts in its folder with the
    /// file selected).
    ///
    /// `filters`: (label, extensions without dot), e.g. ("Audio", &["wav","flac"]).
    /// Empty = all files. The first filter is active at first; "All files"
    /// is always offered as well. Folders are never filtered.
    pub fn new(
        title: &str,
        mode: BrowseMode,
        start_dir: &Path,
        filters: &[(&str, &[&str])],
    ) -> FileBrowser {
        let mut browser = FileBrowser {
            title: title.to_owned(),
            // A new window each time (its size does not carry over and
            // grow from one opening to the next).
            id: Id::unique((
                "dubstage_file_browser",
                title,
                OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            )),
            mode,
            dir: PathBuf::new(),
            home: home_from_env(),
            filters: filters
                .iter()
                .map(|(label, exts)| Filter::new(label, exts))
                .collect(),
            filter: 0,
            show_hidden: false,
            entries: Vec::new(),
            visible: Vec::new(),
            selected: BTreeSet::new(),
            anchor: None,
            last_click: None,
            path_text: String::new(),
            file_name: String::new(),
            error: None,
            confirm: None,
            finished: false,
            focus_name: mode == BrowseMode::SaveFile,
            scroll_top: true,
            scroll_to: None,
            view: (0.0, 0.0),
            bottom_height: 0.0,
            dirty: false,
        };
        browser.start_in(start_dir);
        browser
    }

    /// Save mode: the suggested file name.
    pub fn with_file_name(mut self, name: &str) -> FileBrowser {
        name.clone_into(&mut self.file_name);
        self
    }

    /// The folder the "Home" button and a leading `~` stand for; by default
    /// `$HOME`.
    pub fn with_home_dir(mut self, home: &Path) -> FileBrowser {
        self.home = Some(absolute(home));
        self
    }

    /// Start with hidden (dot) entries shown or not (not, by default).
    pub fn with_show_hidden(mut self, show: bool) -> FileBrowser {
        self.show_hidden = show;
        self.refilter();
        self
    }

    /// Draws the browser as a window; Some(outcome) once the user picks or cancels.
    ///
    /// After that the browser draws nothing and returns `None`.
    pub fn show(&mut self, ctx: &Context) -> Option<BrowseOutcome> {
        if self.finished {
            return None;
        }
        let mut open = true;
        let mut outcome = None;
        egui::Window::new(self.title.as_str())
            .id(self.id)
            .open(&mut open)
            .default_size([720.0, 480.0])
            .min_size([380.0, 240.0])
            .default_pos(ctx.content_rect().center())
            .pivot(Align2::CENTER_CENTER)
            .resizable(true)
            .collapsible(false)
            .show(ctx, |ui| outcome = self.contents(ui));
        if outcome.is_none() && !open {
            outcome = Some(BrowseOutcome::Cancelled);
        }
        if outcome.is_some() {
            self.finished = true;
            // Redo this frame without the window, so it does not linger on
            // screen until the next input event.
            ctx.request_discard("file browser closed");
        }
        outcome
    }

    /// The folder being listed.
    pub fn current_dir(&self) -> &Path {
        &self.dir
    }

    /// What the browser is for.
    pub fn mode(&self) -> BrowseMode {
        self.mode
    }

    /// The message of the red error line, if one is shown.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The selected entries, in listing order.
    pub fn selection(&self) -> Vec<PathBuf> {
        self.selected
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .map(|e| e.path.clone())
            .collect()
    }

    // ------------------------------------------------------------------
    // Window contents

    fn contents(&mut self, ui: &mut Ui) -> Option<BrowseOutcome> {
        // A blinking cursor would wake the app twice a second.
        ui.visuals_mut().text_cursor.blink = false;
        let ctx = ui.ctx().clone();
        let path_id = self.id.with("path");
        let name_id = self.id.with("file name");

        if let Some(outcome) = self.keyboard(&ctx) {
            return Some(outcome);
        }
        // Keyboard changes happened before anything was drawn.
        self.dirty = false;

        let confirming = self.confirm.is_some();
        let mut outcome = ui
            .add_enabled_ui(!confirming, |ui| self.top_bar(ui, path_id))
            .inner;

        if let Some(message) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, message.as_str());
        }

        let row_click = ui.add_enabled_ui(!confirming, |ui| self.listing(ui)).inner;
        if let Some(click) = row_click {
            let delay = ctx.options(|o| o.input_options.max_double_click_delay);
            outcome = outcome.or(self.row_click(click, delay));
        }

        let top = ui.cursor().min.y;
        if let Some(picked) = self.bottom(ui, name_id) {
            outcome = Some(picked);
        }
        let used = ui.cursor().min.y - top;
        if (used - self.bottom_height).abs() > 0.5 {
            self.bottom_height = used;
            self.dirty = true;
        }

        if std::mem::take(&mut self.dirty) && outcome.is_none() {
            ctx.request_discard("file browser changed");
        }
        outcome
    }

    /// Keys that act on the whole window. Escape always does; the others
    /// only while no widget has keyboard focus.
    fn keyboard(&mut self, ctx: &Context) -> Option<BrowseOutcome> {
        if !Popup::is_any_open(ctx)
            && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
        {
            if self.confirm.take().is_some() {
                return None;
            }
            return Some(BrowseOutcome::Cancelled);
        }
        if self.confirm.is_some() || ctx.memory(|m| m.focused().is_some()) {
            return None;
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::ALT, Key::ArrowUp)) {
            self.go_up();
        } else if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowUp)) {
            self.step_selection(-1);
        } else if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::ArrowDown)) {
            self.step_selection(1);
        } else if ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter)) {
            return self.activate_selection();
        }
        None
    }

    /// "Up", "Home" and the Path field.
    fn top_bar(&mut self, ui: &mut Ui, path_id: Id) -> Option<BrowseOutcome> {
        let mut outcome = None;
        ui.horizontal(|ui| {
            if ui
                .add_enabled(self.dir.parent().is_some(), Button::new("Up"))
                .clicked()
            {
                self.go_up();
            }
            if ui
                .add_enabled(self.home.is_some(), Button::new("Home"))
                .clicked()
                && let Some(home) = self.home.clone()
            {
                self.navigate(&home);
            }
            if ui.button("Refresh").clicked() {
                self.refresh();
            }
            let enabled = ui.is_enabled();
            let response = ui.add(
                TextEdit::singleline(&mut self.path_text)
                    .id(path_id)
                    .hint_text("Folder or file path")
                    .desired_width(ui.available_width()),
            );
            response.widget_info(|| WidgetInfo::labeled(Role::TextInput, enabled, "Path"));
            if response.gained_focus() {
                select_in(ui.ctx(), path_id, 0, self.path_text.chars().count());
            }
            if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                let typed = self.path_text.clone();
                outcome = self.go_typed(&typed);
                self.dirty = true;
            }
        });
        outcome
    }

    /// The rows of the current folder, only those in view drawn.
    fn listing(&mut self, ui: &mut Ui) -> Option<RowClick> {
        let row_height = ui
            .spacing()
            .interact_size
            .y
            .max(ui.text_style_height(&TextStyle::Body) + 4.0);
        let height = (ui.available_height() - self.bottom_height).max(row_height * 3.0);

        let mut area = ScrollArea::vertical()
            .id_salt(self.id.with("entries"))
            .auto_shrink([false, false])
            .max_height(height);
        let (mut offset, mut view_height) = self.view;
        if std::mem::take(&mut self.scroll_top) {
            offset = 0.0;
            area = area.vertical_scroll_offset(0.0);
        }
        if view_height <= 0.0 {
            view_height = height;
        }
        if let Some(pos) = self.scroll_to.take() {
            let top = pos as f32 * row_height;
            if top < offset {
                area = area.vertical_scroll_offset(top);
            } else if top + row_height > offset + view_height {
                area = area.vertical_scroll_offset(top + row_height - view_height);
            }
        }

        let this = &*self;
        let output = ui.scope(|ui| {
            ui.spacing_mut().item_spacing.y = 0.0;
            area.show_rows(ui, row_height, this.visible.len(), |ui, rows| {
                let mut action = None;
                for pos in rows {
                    if let Some(a) = this.row(ui, pos, row_height) {
                        action = Some(a);
                    }
                }
                action
            })
        });
        let output = output.inner;
        if self.visible.is_empty() {
            let message = if self.entries.is_empty() {
                "This folder is empty"
            } else {
                "Nothing here matches"
            };
            ui.painter().text(
                output.inner_rect.center(),
                Align2::CENTER_CENTER,
                message,
                TextStyle::Body.resolve(ui.style()),
                ui.visuals().weak_text_color(),
            );
        }
        self.view = (output.state.clamped_offset().y, output.inner_rect.height());
        output.inner
    }

    /// One row of the listing.
    fn row(&self, ui: &mut Ui, pos: usize, row_height: f32) -> Option<RowClick> {
        let idx = *self.visible.get(pos)?;
        let entry = self.entries.get(idx)?;
        let selectable = entry.is_dir || self.mode != BrowseMode::PickFolder;
        let selected = self.selected.contains(&idx);
        let (_, rect) = ui.allocate_space(vec2(ui.available_width(), row_height));
        let sense = if selectable {
            Sense::click()
        } else {
            Sense::hover()
        };
        let response = ui.interact(rect, self.id.with(&entry.path), sense);
        let enabled = selectable && ui.is_enabled();
        response.widget_info(|| WidgetInfo::selected(Role::Button, enabled, selected, &entry.name));

        if ui.is_rect_visible(rect) {
            let visuals = ui.style().interact_selectable(&response, selected);
            if selected || (selectable && response.hovered()) {
                ui.painter()
                    .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
            }
            let text_color = if !selectable {
                ui.visuals().weak_text_color()
            } else if selected {
                visuals.text_color()
            } else {
                ui.visuals().text_color()
            };
            let font = TextStyle::Body.resolve(ui.style());
            let pad = ui.spacing().button_padding.x;
            if entry.is_dir {
                let icon = Rect::from_min_size(
                    rect.min + vec2(pad, 0.0),
                    vec2(ICON_COLUMN, rect.height()),
                );
                paint_folder_icon(ui.painter(), icon, text_color.gamma_multiply(0.8));
            }
            let name_clip =
                Rect::from_min_max(rect.min, pos2(rect.max.x - SIZE_COLUMN, rect.max.y))
                    .intersect(ui.clip_rect());
            ui.painter().with_clip_rect(name_clip).text(
                rect.left_center() + vec2(pad + ICON_COLUMN + 4.0, 0.0),
                Align2::LEFT_CENTER,
                &entry.name,
                font.clone(),
                text_color,
            );
            if !entry.size.is_empty() {
                let size_color = if selected {
                    text_color
                } else {
                    ui.visuals().weak_text_color()
                };
                ui.painter().text(
                    rect.right_center() - vec2(pad, 0.0),
                    Align2::RIGHT_CENTER,
                    &entry.size,
                    font,
                    size_color,
                );
            }
        }

        (selectable && response.clicked()).then(|| {
            // The modifiers the button was released with, or those held now
            // (a click through the accessibility tree has no pointer event).
            let (modifiers, time) = ui.input(|i| {
                let released_with = i.events.iter().rev().find_map(|e| match e {
                    egui::Event::PointerButton {
                        button: egui::PointerButton::Primary,
                        pressed: false,
                        modifiers,
                        ..
                    } => Some(*modifiers),
                    _ => None,
                });
                (released_with.unwrap_or(i.modifiers), i.time)
            });
            RowClick {
                pos,
                modifiers,
                time,
            }
        })
    }

    /// The file name field (save mode), the options and the buttons, or the
    /// replace question.
    fn bottom(&mut self, ui: &mut Ui, name_id: Id) -> Option<BrowseOutcome> {
        let mut outcome = None;
        ui.separator();
        if self.mode == BrowseMode::SaveFile {
            let confirming = self.confirm.is_some();
            ui.add_enabled_ui(!confirming, |ui| {
                ui.horizontal(|ui| {
                    ui.label("File name:");
                    let enabled = ui.is_enabled();
                    let response = ui.add(
                        TextEdit::singleline(&mut self.file_name)
                            .id(name_id)
                            .desired_width(ui.available_width()),
                    );
                    response
                        .widget_info(|| WidgetInfo::labeled(Role::TextInput, enabled, "File name"));
                    if std::mem::take(&mut self.focus_name) {
                        response.request_focus();
                        // Select the name without its extension, so typing
                        // replaces it.
                        let stem = match self.file_name.rfind('.') {
                            Some(dot) if dot > 0 => self.file_name.get(..dot).unwrap_or_default(),
                            _ => self.file_name.as_str(),
                        };
                        select_in(ui.ctx(), name_id, 0, stem.chars().count());
                    }
                    if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                        outcome = self.save_typed();
                        self.dirty = true;
                    }
                });
            });
        }

        if let Some(target) = self.confirm.clone() {
            ui.horizontal(|ui| {
                let name = target
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ui.colored_label(ui.visuals().warn_fg_color, format!("Replace {name}?"));
                ui.weak("A file with this name already exists.");
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui.button("Replace").clicked() {
                        outcome = Some(BrowseOutcome::Picked(vec![target.clone()]));
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm = None;
                        self.dirty = true;
                    }
                });
            });
            return outcome;
        }

        ui.horizontal(|ui| {
            if ui.checkbox(&mut self.show_hidden, "Show hidden").changed() {
                self.refilter();
            }
            if !self.filters.is_empty() {
                let enabled = ui.is_enabled();
                let mut choice = self.filter;
                // Long type lists are cut short, clear of the buttons.
                let room = (ui.available_width() - 170.0).clamp(120.0, 340.0);
                let combo = ComboBox::from_id_salt(self.id.with("file type"))
                    .width(room)
                    .truncate()
                    .selected_text(self.filter_title(self.filter))
                    .show_ui(ui, |ui| {
                        for i in 0..=self.filters.len() {
                            ui.selectable_value(&mut choice, i, self.filter_title(i));
                        }
                    });
                combo
                    .response
                    .widget_info(|| WidgetInfo::labeled(Role::ComboBox, enabled, "File type"));
                if choice != self.filter {
                    self.filter = choice;
                    self.refilter();
                }
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let label = match self.mode {
                    BrowseMode::OpenFile | BrowseMode::OpenFiles => "Open",
                    BrowseMode::PickFolder => "Choose Folder",
                    BrowseMode::SaveFile => "Save",
                };
                if ui
                    .add_enabled(self.primary_enabled(), Button::new(label))
                    .clicked()
                {
                    outcome = self.primary();
                    self.dirty = true;
                }
                if ui.button("Cancel").clicked() {
                    outcome = Some(BrowseOutcome::Cancelled);
                }
            });
        });
        outcome
    }

    fn filter_title(&self, i: usize) -> &str {
        self.filters
            .get(i)
            .map_or("All files", |f| f.title.as_str())
    }

    // ------------------------------------------------------------------
    // Actions

    /// A click on a row, or the second click of a double-click on the same
    /// entry. (Counted here rather than by egui, which would take a third
    /// quick click, even on another row, for a triple-click.)
    fn row_click(&mut self, click: RowClick, double_click_delay: f64) -> Option<BrowseOutcome> {
        self.dirty = true;
        let idx = *self.visible.get(click.pos)?;
        let double = self
            .last_click
            .is_some_and(|(last, at)| last == idx && click.time - at < double_click_delay);
        if double {
            self.last_click = None;
            return self.activate(idx);
        }
        self.click(click.pos, click.modifiers);
        self.last_click = Some((idx, click.time));
        None
    }

    /// A click on the row at `pos`: select it, toggle it (Ctrl/Cmd) or
    /// select a range (Shift); several only in [`BrowseMode::OpenFiles`].
    fn click(&mut self, pos: usize, modifiers: Modifiers) {
        let Some(&idx) = self.visible.get(pos) else {
            return;
        };
        let multi = self.mode == BrowseMode::OpenFiles;
        let toggle = multi && (modifiers.ctrl || modifiers.command);
        let anchor_pos = self
            .anchor
            .and_then(|a| self.visible.binary_search(&a).ok());
        match anchor_pos {
            Some(from) if multi && modifiers.shift => {
                if !toggle {
                    self.selected.clear();
                }
                let (lo, hi) = if from <= pos {
                    (from, pos)
                } else {
                    (pos, from)
                };
                self.selected.extend(
                    self.visible
                        .get(lo..=hi)
                        .unwrap_or_default()
                        .iter()
                        .copied(),
                );
            }
            _ if toggle => {
                if !self.selected.remove(&idx) {
                    self.selected.insert(idx);
                }
                self.anchor = Some(idx);
            }
            _ => {
                self.selected.clear();
                self.selected.insert(idx);
                self.anchor = Some(idx);
            }
        }
        self.take_name_of(idx);
    }

    /// Save mode: a file chosen in the listing fills the file name field.
    fn take_name_of(&mut self, idx: usize) {
        if self.mode == BrowseMode::SaveFile
            && let Some(entry) = self.entries.get(idx)
            && !entry.is_dir
        {
            self.file_name.clone_from(&entry.name);
        }
    }

    /// A double-click (or Enter) on an entry: enter a folder, pick a file.
    fn activate(&mut self, idx: usize) -> Option<BrowseOutcome> {
        let entry = self.entries.get(idx)?;
        let path = entry.path.clone();
        if entry.is_dir {
            self.navigate(&path);
            return None;
        }
        match self.mode {
            BrowseMode::OpenFile | BrowseMode::OpenFiles => Some(BrowseOutcome::Picked(vec![path])),
            BrowseMode::PickFolder => None,
            BrowseMode::SaveFile => {
                self.take_name_of(idx);
                self.save_to(path)
            }
        }
    }

    /// Enter with no widget focused: act on a single selected entry as a
    /// double-click would, or on several as the main button would.
    fn activate_selection(&mut self) -> Option<BrowseOutcome> {
        let mut selected = self.selected.iter().copied();
        match (selected.next(), selected.next()) {
            (None, _) => None,
            (Some(idx), None) => self.activate(idx),
            (Some(_), Some(_)) => self.primary(),
        }
    }

    /// Move a single selection up or down the listing (arrow keys).
    fn step_selection(&mut self, delta: isize) {
        let len = self.visible.len();
        if len == 0 {
            return;
        }
        let current = self
            .anchor
            .and_then(|a| self.visible.binary_search(&a).ok());
        let mut pos = match current {
            Some(p) => p.checked_add_signed(delta),
            None if delta > 0 => Some(0),
            None => Some(len - 1),
        };
        while let Some(p) = pos.filter(|&p| p < len) {
            let selectable = self
                .visible
                .get(p)
                .and_then(|&i| self.entries.get(i))
                .is_some_and(|e| e.is_dir || self.mode != BrowseMode::PickFolder);
            if selectable {
                if let Some(&idx) = self.visible.get(p) {
                    self.selected.clear();
                    self.selected.insert(idx);
                    self.anchor = Some(idx);
                    self.scroll_to = Some(p);
                    self.take_name_of(idx);
                }
                return;
            }
            pos = p.checked_add_signed(delta);
        }
    }

    fn primary_enabled(&self) -> bool {
        match self.mode {
            BrowseMode::OpenFile | BrowseMode::OpenFiles => {
                self.selected.len() == 1 || self.selected_files().next().is_some()
            }
            BrowseMode::PickFolder => true,
            BrowseMode::SaveFile => !self.file_name.trim().is_empty(),
        }
    }

    /// "Open", "Choose Folder" or "Save".
    fn primary(&mut self) -> Option<BrowseOutcome> {
        match self.mode {
            BrowseMode::OpenFile | BrowseMode::OpenFiles => {
                let files: Vec<PathBuf> = self.selected_files().map(|e| e.path.clone()).collect();
                if !files.is_empty() {
                    return Some(BrowseOutcome::Picked(files));
                }
                // A single selected folder: open it.
                let folder = self
                    .selected
                    .first()
                    .and_then(|&i| self.entries.get(i))
                    .filter(|e| e.is_dir)
                    .map(|e| e.path.clone());
                if let Some(folder) = folder {
                    self.navigate(&folder);
                }
                None
            }
            BrowseMode::PickFolder => {
                let folder = self
                    .selected
                    .first()
                    .and_then(|&i| self.entries.get(i))
                    .filter(|e| e.is_dir)
                    .map_or_else(|| self.dir.clone(), |e| e.path.clone());
                Some(BrowseOutcome::Picked(vec![folder]))
            }
            BrowseMode::SaveFile => self.save_typed(),
        }
    }

    fn selected_files(&self) -> impl Iterator<Item = &Entry> {
        self.selected
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .filter(|e| !e.is_dir)
    }

    /// Enter in the Path field: go to a folder, or pick a file.
    fn go_typed(&mut self, typed: &str) -> Option<BrowseOutcome> {
        let typed = typed.trim();
        if typed.is_empty() {
            self.path_text = self.dir.display().to_string();
            return None;
        }
        let Some(path) = self.resolve(typed) else {
            self.set_error("No home folder is known for ~".to_owned());
            return None;
        };
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                self.navigate(&path);
                None
            }
            Ok(_) => match self.mode {
                BrowseMode::OpenFile | BrowseMode::OpenFiles => {
                    Some(BrowseOutcome::Picked(vec![path]))
                }
                BrowseMode::PickFolder => {
                    self.set_error(format!("Not a folder: {}", path.display()));
                    None
                }
                BrowseMode::SaveFile => self.save_to(path),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.mode == BrowseMode::SaveFile && !ends_with_separator(typed) {
                    self.save_to(path)
                } else {
                    self.set_error(format!("No such file or folder: {}", path.display()));
                    None
                }
            }
            Err(e) => {
                self.set_error(path_error(&e, &path));
                None
            }
        }
    }

    /// "Save" or Enter in the File name field. A name of an existing
    /// folder enters it.
    fn save_typed(&mut self) -> Option<BrowseOutcome> {
        let typed = self.file_name.trim().to_owned();
        if typed.is_empty() {
            return None;
        }
        let Some(path) = self.resolve(&typed) else {
            self.set_error("No home folder is known for ~".to_owned());
            return None;
        };
        if path.is_dir() {
            if self.navigate(&path) {
                self.file_name.clear();
            }
            return None;
        }
        if ends_with_separator(&typed) {
            self.set_error(format!("No such folder: {}", path.display()));
            return None;
        }
        self.save_to(path)
    }

    /// Save mode: return `path` (with the filter's extension added) if
    /// nothing is there, ask first if something is.
    fn save_to(&mut self, path: PathBuf) -> Option<BrowseOutcome> {
        let path = self.with_default_extension(path);
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            self.set_error("Type a file name".to_owned());
            return None;
        };
        match std::fs::metadata(parent) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                self.set_error(format!("Not a folder: {}", parent.display()));
                return None;
            }
            Err(e) => {
                self.set_error(path_error(&e, parent));
                return None;
            }
        }
        if parent == self.dir {
            self.file_name = name.to_string_lossy().into_owned();
        }
        match std::fs::symlink_metadata(&path) {
            Ok(_) if path.is_dir() => {
                self.navigate(&path);
                None
            }
            Ok(_) => {
                self.confirm = Some(path);
                self.dirty = true;
                None
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Some(BrowseOutcome::Picked(vec![path]))
            }
            Err(e) => {
                self.set_error(format!("Cannot save to {}: {e}", path.display()));
                None
            }
        }
    }

    /// With a file type of exactly one extension chosen, a name that does
    /// not already end in it gets it appended ("Reel 1 v1.2" becomes
    /// "Reel 1 v1.2.wav").
    fn with_default_extension(&self, path: PathBuf) -> PathBuf {
        let Some(filter) = self.filters.get(self.filter) else {
            return path;
        };
        let [ext] = filter.exts.as_slice() else {
            return path;
        };
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return path;
        };
        if filter.matches(&name.to_lowercase()) {
            return path;
        }
        let stem = name.strip_suffix('.').unwrap_or(&name);
        path.with_file_name(format!("{stem}.{ext}"))
    }

    fn go_up(&mut self) {
        let Some(parent) = self.dir.parent().map(Path::to_path_buf) else {
            return;
        };
        let from = self.dir.clone();
        if !self.navigate(&parent) {
            return;
        }
        // Point at the folder we came from.
        if let Some(idx) = self.entries.iter().position(|e| e.path == from)
            && let Ok(pos) = self.visible.binary_search(&idx)
        {
            self.scroll_to = Some(pos);
            if self.mode != BrowseMode::PickFolder {
                self.selected.insert(idx);
                self.anchor = Some(idx);
            }
        }
    }

    /// List `dir`. On failure the error line says why and nothing else
    /// changes.
    fn navigate(&mut self, dir: &Path) -> bool {
        let dir = normalize(dir);
        match read_folder(&dir) {
            Ok(entries) => {
                self.enter(dir, entries);
                self.error = None;
                true
            }
            Err(e) => {
                self.set_error(path_error(&e, &dir));
                false
            }
        }
    }

    /// Read the current folder again, keeping the selection and the scroll
    /// position.
    fn refresh(&mut self) {
        match read_folder(&self.dir) {
            Ok(entries) => {
                let selected: Vec<PathBuf> = self.selection();
                let anchor = self
                    .anchor
                    .and_then(|a| self.entries.get(a))
                    .map(|e| e.path.clone());
                self.entries = entries;
                self.selected = self
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| selected.contains(&e.path))
                    .map(|(i, _)| i)
                    .collect();
                self.anchor = anchor.and_then(|a| self.entries.iter().position(|e| e.path == a));
                self.last_click = None;
                self.error = None;
                self.refilter();
            }
            Err(e) => {
                let message = path_error(&e, &self.dir);
                self.set_error(message);
            }
        }
    }

    fn enter(&mut self, dir: PathBuf, entries: Vec<Entry>) {
        self.path_text = dir.display().to_string();
        self.dir = dir;
        self.entries = entries;
        self.selected.clear();
        self.anchor = None;
        self.last_click = None;
        self.scroll_top = true;
        self.scroll_to = None;
        self.refilter();
    }

    /// The first folder that can be read of `start`, its ancestors and
    /// home.
    fn start_in(&mut self, start: &Path) {
        let start = absolute(start);
        let start_file = std::fs::metadata(&start).is_ok_and(|m| !m.is_dir());
        let mut first_error = None;
        let candidates = start
            .ancestors()
            .map(Path::to_path_buf)
            .chain(self.home.clone());
        for candidate in candidates {
            match read_folder(&candidate) {
                Ok(entries) => {
                    let here = candidate == start;
                    self.enter(candidate, entries);
                    if !here && !start_file {
                        self.error = first_error;
                    }
                    if start_file {
                        self.pick_start_file(&start);
                    }
                    return;
                }
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(path_error(&e, &candidate));
                    }
                }
            }
        }
        self.path_text = start.display().to_string();
        self.dir = start;
        self.error = first_error;
    }

    /// Starting from a file: select it, and in save mode take its name.
    fn pick_start_file(&mut self, file: &Path) {
        let Some(idx) = self.entries.iter().position(|e| e.path == file) else {
            return;
        };
        if let Ok(pos) = self.visible.binary_search(&idx) {
            self.selected.insert(idx);
            self.anchor = Some(idx);
            self.scroll_to = Some(pos);
        }
        self.take_name_of(idx);
    }

    /// Recompute the shown rows after a change of folder, file type or
    /// "Show hidden". Only ever drops selected entries that are no longer
    /// shown.
    fn refilter(&mut self) {
        let filter = self.filters.get(self.filter);
        let show_hidden = self.show_hidden;
        self.visible = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| show_hidden || !e.hidden)
            .filter(|(_, e)| e.is_dir || filter.is_none_or(|f| f.matches(&e.lower)))
            .map(|(i, _)| i)
            .collect();
        let visible = &self.visible;
        self.selected.retain(|i| visible.binary_search(i).is_ok());
        if self
            .anchor
            .is_some_and(|a| self.visible.binary_search(&a).is_err())
        {
            self.anchor = None;
        }
        self.dirty = true;
    }

    fn set_error(&mut self, message: String) {
        self.error = Some(message);
        self.dirty = true;
    }

    /// `typed` as an absolute path: `~` is the home folder, a relative
    /// path is taken from the current folder. `None` for `~` without a
    /// home folder.
    fn resolve(&self, typed: &str) -> Option<PathBuf> {
        let path = if typed == "~" {
            self.home.clone()?
        } else if let Some(rest) = typed
            .strip_prefix("~/")
            .or_else(|| typed.strip_prefix(if cfg!(windows) { "~\\" } else { "~/" }))
        {
            self.home.as_ref()?.join(rest)
        } else {
            PathBuf::from(typed)
        };
        let path = if path.is_absolute() {
            path
        } else {
            self.dir.join(path)
        };
        Some(normalize(&path))
    }
}

// ----------------------------------------------------------------------
// Helpers

/// Read a folder: folders first, then files, each in natural
/// case-insensitive order. Entries that cannot be read are left out.
fn read_folder(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let Ok(item) = item else {
            continue;
        };
        let name = item.file_name().to_string_lossy().into_owned();
        let path = item.path();
        let (is_dir, size) = match item.file_type() {
            Ok(kind) if kind.is_symlink() => match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => (true, None),
                Ok(meta) => (false, Some(meta.len())),
                // A link to nothing is listed as a file of unknown size.
                Err(_) => (false, None),
            },
            Ok(kind) if kind.is_dir() => (true, None),
            Ok(_) => (false, item.metadata().ok().map(|m| m.len())),
            Err(_) => (false, None),
        };
        entries.push(Entry::new(name, path, is_dir, size));
    }
    entries.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| natural_cmp(&a.lower, &b.lower))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(entries)
}

/// Compare strings with runs of digits taken as numbers, so "Take 2" comes
/// before "Take 10".
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        if x.is_ascii_digit() && y.is_ascii_digit() {
            let (start_a, start_b) = (i, j);
            while a.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let na = trim_zeros(a.get(start_a..i).unwrap_or_default());
            let nb = trim_zeros(b.get(start_b..j).unwrap_or_default());
            let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if order != Ordering::Equal {
                return order;
            }
        } else {
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i.min(a.len())).cmp(&(b.len() - j.min(b.len())))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    digits.get(zeros..).unwrap_or_default()
}

/// "812 B", "12.5 KB", "3.2 MB", "1.75 GB" (powers of 1024).
fn format_size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < K * K {
        format!("{:.1} KB", b / K)
    } else if b < K * K * K {
        format!("{:.1} MB", b / (K * K))
    } else {
        format!("{:.2} GB", b / (K * K * K))
    }
}

/// The error line for a path that could not be opened.
fn path_error(error: &io::Error, path: &Path) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => format!("No such folder: {}", path.display()),
        io::ErrorKind::PermissionDenied => format!("Permission denied: {}", path.display()),
        io::ErrorKind::NotADirectory => format!("Not a folder: {}", path.display()),
        _ => format!("Cannot open {}: {error}", path.display()),
    }
}

fn ends_with_separator(typed: &str) -> bool {
    typed.ends_with('/') || (cfg!(windows) && typed.ends_with('\\'))
}

fn home_from_env() -> Option<PathBuf> {
    ["HOME", "USERPROFILE"]
        .into_iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `path` made absolute against the process's working folder, and
/// normalized.
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        match std::env::current_dir() {
            Ok(cwd) => normalize(&cwd.join(path)),
            Err(_) => normalize(path),
        }
    }
}

/// Remove `.` and resolve `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A small filled folder, centred in `rect`.
fn paint_folder_icon(painter: &egui::Painter, rect: Rect, color: egui::Color32) {
    let h = (rect.height() * 0.5).min(rect.width() * 0.6);
    let w = h * 1.35;
    let body = Rect::from_center_size(rect.center() + vec2(0.0, h * 0.1), vec2(w, h * 0.8));
    let tab = Rect::from_min_size(
        pos2(body.min.x, body.min.y - h * 0.2),
        vec2(w * 0.45, h * 0.3),
    );
    painter.rect_filled(tab, 1.0, color);
    painter.rect_filled(body, 1.5, color);
}

/// Select characters `from..to` of the text field `id`.
fn select_in(ctx: &Context, id: Id, from: usize, to: usize) {
    let mut state = TextEdit::load_state(ctx, id).unwrap_or_default();
    state.cursor.set_char_range(Some(CCursorRange::two(
        CCursor::new(from),
        CCursor::new(to),
    )));
    TextEdit::store_state(ctx, id, state);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT as _, Queryable};
    use std::fs;

    /// The app around the browser: it keeps every outcome it was given.
    struct Probe {
        browser: FileBrowser,
        outcomes: Vec<BrowseOutcome>,
    }

    impl Probe {
        fn outcome(&self) -> Option<&BrowseOutcome> {
            assert!(
                self.outcomes.len() <= 1,
                "more than one outcome: {:?}",
                self.outcomes
            );
            self.outcomes.first()
        }
    }

    const TITLE: &str = "Test browser";

    fn harness(browser: FileBrowser) -> Harness<'static, Probe> {
        let mut h = Harness::builder()
            .with_size(vec2(900.0, 700.0))
            // Fast enough steps for two clicks to count as a double-click.
            .with_step_dt(1.0 / 60.0)
            .build_ui_state(
                |ui, probe: &mut Probe| {
                    if let Some(outcome) = probe.browser.show(ui.ctx()) {
                        probe.outcomes.push(outcome);
                    }
                },
                Probe {
                    browser,
                    outcomes: Vec::new(),
                },
            );
        h.run_steps(3);
        h
    }

    fn browser(mode: BrowseMode, dir: &Path) -> FileBrowser {
        FileBrowser::new(TITLE, mode, dir, &[])
    }

    fn write(path: &Path, bytes: usize) {
        fs::write(path, vec![0u8; bytes]).unwrap();
    }

    /// root/
    ///   .cache/  Amb/  Foley/steps.wav
    ///   .hidden.wav  Crash.WAV  door.wav (1500 B)  mix.flac  notes.txt
    ///   Take 2.wav  Take 10.wav
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in [".cache", "Amb", "Foley"] {
            fs::create_dir(root.join(folder)).unwrap();
        }
        write(&root.join("Foley/steps.wav"), 10);
        write(&root.join("door.wav"), 1500);
        for file in [
            ".hidden.wav",
            "Crash.WAV",
            "mix.flac",
            "notes.txt",
            "Take 2.wav",
            "Take 10.wav",
        ] {
            write(&root.join(file), 100);
        }
        dir
    }

    fn picked(paths: &[PathBuf]) -> BrowseOutcome {
        BrowseOutcome::Picked(paths.to_vec())
    }

    fn double_click(h: &mut Harness<'static, Probe>, label: &str) {
        let node = h.get_by_label(label);
        node.click();
        node.click();
        h.run_steps(3);
    }

    fn click(h: &mut Harness<'static, Probe>, label: &str) {
        h.get_by_label(label).click();
        h.run_steps(3);
    }

    /// Replace the text of a field as a user would (click, select all,
    /// type) and press Enter.
    fn type_and_enter(h: &mut Harness<'static, Probe>, label: &str, text: &str) {
        click(h, label);
        h.key_press_modifiers(Modifiers::COMMAND, Key::A);
        h.run_steps(1);
        h.get_by_label(label).type_text(text);
        h.run_steps(2);
        h.key_press(Key::Enter);
        h.run_steps(3);
    }

    fn top(h: &Harness<'static, Probe>, label: &str) -> f32 {
        h.get_by_label(label).rect().min.y
    }

    fn disabled(h: &Harness<'static, Probe>, label: &str) -> bool {
        h.get_by_label(label).accesskit_node().is_disabled()
    }

    #[test]
    fn lists_folders_first_in_natural_order_without_hidden_entries() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        let order = [
            "Amb",
            "Foley",
            "Crash.WAV",
            "door.wav",
            "mix.flac",
            "notes.txt",
            "Take 2.wav",
            "Take 10.wav",
        ];
        for pair in order.windows(2) {
            assert!(
                top(&h, pair[0]) < top(&h, pair[1]),
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        assert!(h.query_by_label(".hidden.wav").is_none());
        assert!(h.query_by_label(".cache").is_none());

        click(&mut h, "Show hidden");
        assert!(h.query_by_label(".hidden.wav").is_some());
        assert!(top(&h, ".cache") < top(&h, "Amb"));
        assert!(top(&h, "Foley") < top(&h, ".hidden.wav"));
        assert!(top(&h, ".hidden.wav") < top(&h, "Crash.WAV"));
        assert!(h.state().outcome().is_none());
    }

    #[test]
    fn double_click_on_a_folder_enters_it() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        double_click(&mut h, "Foley");
        assert_eq!(h.state().browser.current_dir(), dir.path().join("Foley"));
        assert!(h.query_by_label("steps.wav").is_some());
        assert!(h.query_by_label("door.wav").is_none());
        let shown = h.get_by_label("Path").value().unwrap();
        assert_eq!(shown, dir.path().join("Foley").display().to_string());
        assert!(h.state().outcome().is_none());
    }

    #[test]
    fn path_field_goes_to_typed_folders() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(browser(BrowseMode::OpenFile, root).with_home_dir(root));

        type_and_enter(&mut h, "Path", "Foley");
        assert_eq!(h.state().browser.current_dir(), root.join("Foley"));
        assert!(h.query_by_label("steps.wav").is_some());

        type_and_enter(&mut h, "Path", "..");
        assert_eq!(h.state().browser.current_dir(), root);

        type_and_enter(&mut h, "Path", "~/Amb");
        assert_eq!(h.state().browser.current_dir(), root.join("Amb"));

        let absolute = root.join("Foley").display().to_string();
        type_and_enter(&mut h, "Path", &absolute);
        assert_eq!(h.state().browser.current_dir(), root.join("Foley"));
        assert!(h.state().outcome().is_none());
    }

    #[test]
    fn clicking_the_path_field_selects_it_so_typing_replaces_it() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        click(&mut h, "Path");
        h.get_by_label("Path").type_text("Amb");
        h.run_steps(2);
        assert_eq!(h.get_by_label("Path").value().as_deref(), Some("Amb"));
        h.key_press(Key::Enter);
        h.run_steps(3);
        assert_eq!(h.state().browser.current_dir(), dir.path().join("Amb"));
    }

    #[test]
    fn a_bad_typed_path_shows_an_error_and_keeps_the_browser_open() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        type_and_enter(&mut h, "Path", "no such place");
        assert!(
            h.query_by_label_contains("No such file or folder")
                .is_some()
        );
        assert_eq!(h.state().browser.current_dir(), dir.path());
        assert!(h.state().outcome().is_none());
        assert!(h.query_by_label("door.wav").is_some());

        // Going somewhere that works clears the error.
        type_and_enter(&mut h, "Path", "Amb");
        assert!(h.query_by_label_contains("No such").is_none());
        assert!(h.state().browser.error().is_none());
    }

    #[test]
    fn a_file_typed_where_a_folder_is_wanted_is_an_error() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::PickFolder, dir.path()));
        type_and_enter(&mut h, "Path", "door.wav");
        assert!(h.query_by_label_contains("Not a folder").is_some());
        assert!(h.state().outcome().is_none());
    }

    #[test]
    fn a_missing_start_folder_falls_back_to_its_parent_and_says_so() {
        let dir = tree();
        let h = harness(browser(
            BrowseMode::OpenFile,
            &dir.path().join("gone/deeper"),
        ));
        assert_eq!(h.state().browser.current_dir(), dir.path());
        assert!(h.query_by_label_contains("No such folder").is_some());
    }

    #[test]
    fn double_click_on_a_file_picks_it() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        double_click(&mut h, "door.wav");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("door.wav")]))
        );
        // The window is gone once it answered.
        assert!(h.query_by_label(TITLE).is_none());
        assert!(h.query_by_label("door.wav").is_none());
    }

    #[test]
    fn open_picks_the_selected_file_and_is_disabled_without_one() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        assert!(disabled(&h, "Open"));
        click(&mut h, "Open");
        assert!(h.state().outcome().is_none());

        click(&mut h, "mix.flac");
        assert!(!disabled(&h, "Open"));
        click(&mut h, "Open");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("mix.flac")]))
        );
    }

    #[test]
    fn open_with_a_folder_selected_enters_it() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        click(&mut h, "Foley");
        click(&mut h, "Open");
        assert_eq!(h.state().browser.current_dir(), dir.path().join("Foley"));
        assert!(h.state().outcome().is_none());
    }

    #[test]
    fn typing_a_file_path_picks_it() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        type_and_enter(&mut h, "Path", "Foley/steps.wav");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Foley/steps.wav")]))
        );
    }

    #[test]
    fn ctrl_click_selects_several_files_in_open_files_mode() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(browser(BrowseMode::OpenFiles, root));
        click(&mut h, "door.wav");
        h.get_by_label("Take 2.wav")
            .click_modifiers(Modifiers::CTRL);
        h.run_steps(3);
        h.get_by_label("mix.flac").click_modifiers(Modifiers::CTRL);
        h.run_steps(3);
        // Ctrl-click again removes.
        h.get_by_label("Take 2.wav")
            .click_modifiers(Modifiers::CTRL);
        h.run_steps(3);
        click(&mut h, "Open");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[root.join("door.wav"), root.join("mix.flac")]))
        );
    }

    #[test]
    fn shift_click_selects_a_range_in_open_files_mode() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(browser(BrowseMode::OpenFiles, root));
        click(&mut h, "Crash.WAV");
        h.get_by_label("mix.flac").click_modifiers(Modifiers::SHIFT);
        h.run_steps(3);
        click(&mut h, "Open");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[
                root.join("Crash.WAV"),
                root.join("door.wav"),
                root.join("mix.flac")
            ]))
        );
    }

    #[test]
    fn ctrl_click_keeps_a_single_selection_in_open_file_mode() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(browser(BrowseMode::OpenFile, root));
        click(&mut h, "door.wav");
        h.get_by_label("mix.flac").click_modifiers(Modifiers::CTRL);
        h.run_steps(3);
        assert_eq!(h.state().browser.selection(), vec![root.join("mix.flac")]);
    }

    #[test]
    fn the_filter_hides_other_files_but_not_folders() {
        let dir = tree();
        let filters: &[(&str, &[&str])] = &[("WAV audio", &["wav"]), ("FLAC audio", &["flac"])];
        let mut h = harness(FileBrowser::new(
            TITLE,
            BrowseMode::OpenFile,
            dir.path(),
            filters,
        ));
        for shown in ["Amb", "Foley", "door.wav", "Crash.WAV", "Take 2.wav"] {
            assert!(h.query_by_label(shown).is_some(), "{shown} shown");
        }
        for hidden in ["notes.txt", "mix.flac"] {
            assert!(h.query_by_label(hidden).is_none(), "{hidden} hidden");
        }

        click(&mut h, "File type");
        click(&mut h, "FLAC audio (*.flac)");
        assert!(h.query_by_label("mix.flac").is_some());
        assert!(h.query_by_label("door.wav").is_none());
        assert!(h.query_by_label("Foley").is_some());

        click(&mut h, "File type");
        click(&mut h, "All files");
        for shown in ["notes.txt", "mix.flac", "door.wav", "Foley"] {
            assert!(h.query_by_label(shown).is_some(), "{shown} shown");
        }
    }

    #[test]
    fn a_selected_file_hidden_by_the_filter_is_no_longer_selected() {
        let dir = tree();
        let filters: &[(&str, &[&str])] = &[("WAV audio", &["wav"])];
        let mut h = harness(FileBrowser::new(
            TITLE,
            BrowseMode::OpenFile,
            dir.path(),
            filters,
        ));
        click(&mut h, "File type");
        click(&mut h, "All files");
        click(&mut h, "notes.txt");
        click(&mut h, "File type");
        click(&mut h, "WAV audio (*.wav)");
        assert!(h.state().browser.selection().is_empty());
        assert!(disabled(&h, "Open"));
    }

    fn save_browser(dir: &Path, name: &str) -> FileBrowser {
        let filters: &[(&str, &[&str])] = &[("WAV audio", &["wav"])];
        FileBrowser::new(TITLE, BrowseMode::SaveFile, dir, filters).with_file_name(name)
    }

    #[test]
    fn save_appends_the_extension_of_the_file_type() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "Reel 1 mix"));
        click(&mut h, "Save");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Reel 1 mix.wav")]))
        );
    }

    #[test]
    fn save_keeps_a_name_that_has_the_extension_and_adds_it_after_a_version_dot() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "Final.WAV"));
        click(&mut h, "Save");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Final.WAV")]))
        );

        let mut h = harness(save_browser(dir.path(), "R1 v1.2"));
        click(&mut h, "Save");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("R1 v1.2.wav")]))
        );
    }

    #[test]
    fn enter_in_the_file_name_field_saves() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), ""));
        assert!(disabled(&h, "Save"));
        type_and_enter(&mut h, "File name", "Amb/printmaster");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Amb/printmaster.wav")]))
        );
    }

    #[test]
    fn save_asks_before_replacing_and_replace_returns_the_file() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "door"));
        click(&mut h, "Save");
        assert!(h.state().outcome().is_none());
        assert!(h.query_by_label("Replace door.wav?").is_some());
        click(&mut h, "Replace");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("door.wav")]))
        );
        assert_eq!(
            fs::metadata(dir.path().join("door.wav")).unwrap().len(),
            1500
        );
    }

    #[test]
    fn cancel_in_the_replace_question_keeps_the_browser_open() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "door.wav"));
        click(&mut h, "Save");
        assert!(h.query_by_label("Replace door.wav?").is_some());
        click(&mut h, "Cancel");
        assert!(h.state().outcome().is_none());
        assert!(h.query_by_label("Replace door.wav?").is_none());
        assert!(h.query_by_label("Save").is_some());

        // Escape in the question also only dismisses it.
        click(&mut h, "Save");
        assert!(h.query_by_label("Replace door.wav?").is_some());
        h.key_press(Key::Escape);
        h.run_steps(3);
        assert!(h.query_by_label("Replace door.wav?").is_none());
        assert!(h.state().outcome().is_none());
    }

    #[test]
    fn double_click_on_an_existing_file_in_save_mode_asks_first() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "new"));
        double_click(&mut h, "Take 2.wav");
        assert!(h.state().outcome().is_none());
        assert!(h.query_by_label("Replace Take 2.wav?").is_some());
    }

    #[test]
    fn save_into_a_missing_folder_is_an_error() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "x"));
        type_and_enter(&mut h, "Path", "nowhere/x.wav");
        assert!(h.query_by_label_contains("No such folder").is_some());
        assert!(h.state().outcome().is_none());
        // A typed path in an existing folder is taken.
        type_and_enter(&mut h, "Path", "Foley/bounce.wav");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Foley/bounce.wav")]))
        );
    }

    #[test]
    fn pick_folder_returns_the_current_folder() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::PickFolder, dir.path()));
        assert!(
            disabled(&h, "door.wav"),
            "files are shown but cannot be chosen"
        );
        double_click(&mut h, "Foley");
        click(&mut h, "Choose Folder");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Foley")]))
        );
    }

    #[test]
    fn pick_folder_returns_the_selected_sub_folder() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::PickFolder, dir.path()));
        click(&mut h, "Amb");
        click(&mut h, "Choose Folder");
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[dir.path().join("Amb")]))
        );
    }

    #[test]
    fn escape_cancels() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        h.key_press(Key::Escape);
        h.run_steps(3);
        assert_eq!(h.state().outcome(), Some(&BrowseOutcome::Cancelled));
    }

    #[test]
    fn escape_cancels_while_typing_a_file_name() {
        let dir = tree();
        let mut h = harness(save_browser(dir.path(), "mix"));
        assert!(h.get_by_label("File name").is_focused());
        h.key_press(Key::Escape);
        h.run_steps(3);
        assert_eq!(h.state().outcome(), Some(&BrowseOutcome::Cancelled));
    }

    #[test]
    fn cancel_and_the_close_button_cancel() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        click(&mut h, "Cancel");
        assert_eq!(h.state().outcome(), Some(&BrowseOutcome::Cancelled));

        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        click(&mut h, "Close window");
        assert_eq!(h.state().outcome(), Some(&BrowseOutcome::Cancelled));
    }

    #[test]
    fn up_returns_to_the_parent_with_the_folder_selected_and_home_goes_home() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(
            browser(BrowseMode::OpenFile, &root.join("Foley")).with_home_dir(&root.join("Amb")),
        );
        click(&mut h, "Up");
        assert_eq!(h.state().browser.current_dir(), root);
        assert_eq!(h.state().browser.selection(), vec![root.join("Foley")]);
        click(&mut h, "Home");
        assert_eq!(h.state().browser.current_dir(), root.join("Amb"));
    }

    #[test]
    fn arrow_keys_and_enter_work_the_listing() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(browser(BrowseMode::OpenFile, root));
        click(&mut h, "Amb");
        h.key_press(Key::ArrowDown);
        h.run_steps(2);
        assert_eq!(h.state().browser.selection(), vec![root.join("Foley")]);
        h.key_press(Key::Enter);
        h.run_steps(2);
        assert_eq!(h.state().browser.current_dir(), root.join("Foley"));
        h.key_press(Key::ArrowDown);
        h.run_steps(2);
        h.key_press(Key::Enter);
        h.run_steps(2);
        assert_eq!(
            h.state().outcome(),
            Some(&picked(&[root.join("Foley/steps.wav")]))
        );
    }

    #[test]
    fn the_folder_is_read_once_and_again_on_refresh() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        click(&mut h, "door.wav");
        write(&dir.path().join("late.wav"), 1);
        h.run_steps(5);
        assert!(
            h.query_by_label("late.wav").is_none(),
            "not re-read every frame"
        );
        click(&mut h, "Refresh");
        assert!(h.query_by_label("late.wav").is_some());
        assert_eq!(
            h.state().browser.selection(),
            vec![dir.path().join("door.wav")]
        );
    }

    #[test]
    fn a_big_folder_draws_only_the_rows_in_view() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..3000 {
            write(&dir.path().join(format!("take {i:04}.wav")), 1);
        }
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        assert!(h.query_by_label("take 0000.wav").is_some());
        assert!(h.query_by_label("take 2999.wav").is_none());
        let rows = h
            .root()
            .children_recursive()
            .filter(|n| {
                n.accesskit_node()
                    .label()
                    .is_some_and(|l| l.starts_with("take "))
            })
            .count();
        assert!(rows < 60, "{rows} rows drawn");

        let started = std::time::Instant::now();
        for _ in 0..20 {
            h.get_by_label("take 0003.wav").hover();
            h.run_steps(1);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));

        // The keyboard scrolls the selection into view.
        click(&mut h, "take 0000.wav");
        for _ in 0..40 {
            h.key_press(Key::ArrowDown);
        }
        h.run_steps(3);
        assert_eq!(
            h.state().browser.selection(),
            vec![dir.path().join("take 0040.wav")]
        );
        assert!(h.query_by_label("take 0040.wav").is_some());
    }

    #[test]
    fn an_idle_browser_asks_for_no_repaint() {
        let dir = tree();
        for b in [
            browser(BrowseMode::OpenFile, dir.path()),
            save_browser(dir.path(), "mix"),
        ] {
            let mut h = harness(b);
            // An app keeps egui's blinking text cursor; the harness turns it off.
            h.ctx
                .all_styles_mut(|style| style.visuals.text_cursor.blink = true);
            h.run_steps(2);
            h.get_by_label("door.wav").hover();
            h.run_steps(5);
            let delay = h
                .output()
                .viewport_output
                .get(&egui::ViewportId::ROOT)
                .map(|v| v.repaint_delay);
            assert_eq!(delay, Some(std::time::Duration::MAX));
        }
    }

    #[test]
    fn the_window_fits_its_default_size_and_keeps_it() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        let path = h.get_by_label("Path").rect();
        let cancel = h.get_by_label("Cancel").rect();
        let height = cancel.max.y - path.min.y;
        assert!(height > 380.0 && height < 480.0, "content height {height}");
        assert!(top(&h, "Take 10.wav") < cancel.min.y);
        h.run_steps(30);
        assert_eq!(
            h.get_by_label("Cancel").rect(),
            cancel,
            "no creeping growth"
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_folder_is_an_error_line_not_a_panic() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tree();
        let locked = dir.path().join("Amb");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        let readable = fs::read_dir(&locked).is_ok(); // true when run as root
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        double_click(&mut h, "Amb");
        if readable {
            assert_eq!(h.state().browser.current_dir(), locked);
        } else {
            assert!(h.query_by_label_contains("Permission denied").is_some());
            assert_eq!(h.state().browser.current_dir(), dir.path());
        }
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(h.state().outcome().is_none());
    }

    fn toggled(h: &Harness<'static, Probe>, label: &str) -> bool {
        h.get_by_label(label).accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
    }

    #[test]
    fn a_click_shows_in_the_frame_it_happens() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        h.get_by_label("door.wav").click();
        h.step();
        assert!(toggled(&h, "door.wav"));
        h.get_by_label("mix.flac").click();
        h.step();
        assert!(toggled(&h, "mix.flac"));
        assert!(!toggled(&h, "door.wav"));

        // Right after a click elsewhere.
        double_click(&mut h, "Foley");
        assert!(h.query_by_label("steps.wav").is_some());

        h.get_by_label("Cancel").click();
        h.step();
        assert_eq!(h.state().outcome(), Some(&BrowseOutcome::Cancelled));
        assert!(
            h.query_by_label(TITLE).is_none(),
            "the window is gone in the same frame"
        );
    }

    #[test]
    fn escape_with_the_file_type_list_open_only_closes_the_list() {
        let dir = tree();
        let filters: &[(&str, &[&str])] = &[("WAV audio", &["wav"])];
        let mut h = harness(FileBrowser::new(
            TITLE,
            BrowseMode::OpenFile,
            dir.path(),
            filters,
        ));
        click(&mut h, "File type");
        assert!(h.query_by_label("All files").is_some());
        h.key_press(Key::Escape);
        h.run_steps(3);
        assert!(h.query_by_label("All files").is_none());
        assert!(h.state().outcome().is_none());
        h.key_press(Key::Escape);
        h.run_steps(3);
        assert_eq!(h.state().outcome(), Some(&BrowseOutcome::Cancelled));
    }

    #[test]
    fn a_tilde_alone_is_home() {
        let dir = tree();
        let root = dir.path();
        let mut h = harness(browser(BrowseMode::OpenFile, &root.join("Foley")).with_home_dir(root));
        type_and_enter(&mut h, "Path", "~");
        assert_eq!(h.state().browser.current_dir(), root);
    }

    #[test]
    fn starting_from_a_file_selects_it() {
        let dir = tree();
        let root = dir.path();
        let h = harness(browser(BrowseMode::OpenFile, &root.join("door.wav")));
        assert_eq!(h.state().browser.current_dir(), root);
        assert_eq!(h.state().browser.selection(), vec![root.join("door.wav")]);
        assert!(h.state().browser.error().is_none());
    }

    fn click_at(h: &mut Harness<'static, Probe>, pos: egui::Pos2) {
        h.hover_at(pos);
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: Modifiers::NONE,
            });
        }
        h.run_steps(1);
    }

    #[test]
    fn two_slow_clicks_only_select() {
        let dir = tree();
        let mut h = harness(browser(BrowseMode::OpenFile, dir.path()));
        click(&mut h, "door.wav");
        h.run_steps(30);
        click(&mut h, "door.wav");
        assert!(h.state().outcome().is_none());
        assert_eq!(
            h.state().browser.selection(),
            vec![dir.path().join("door.wav")]
        );
    }

    #[test]
    fn a_triple_click_on_a_folder_does_not_pick_what_lands_under_the_pointer() {
        let dir = tree();
        let root = dir.path();
        write(&root.join("Foley/b.wav"), 1);
        let mut h = harness(browser(BrowseMode::OpenFile, root));
        // "Foley" is the second row, where "steps.wav" will be inside it.
        let at = h.get_by_label("Foley").rect().center();
        for _ in 0..3 {
            click_at(&mut h, at);
        }
        h.run_steps(3);
        assert_eq!(h.state().browser.current_dir(), root.join("Foley"));
        assert!(h.state().outcome().is_none());
        assert_eq!(
            h.state().browser.selection(),
            vec![root.join("Foley/steps.wav")]
        );
    }

    #[test]
    fn natural_order_compares_numbers_by_value() {
        let mut names = vec!["take 10", "take 2", "take 02b", "take 1", "a", "take"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            vec!["a", "take", "take 1", "take 2", "take 02b", "take 10"]
        );
        assert_eq!(natural_cmp("r1", "r1"), Ordering::Equal);
    }

    #[test]
    fn sizes_read_as_kb_and_mb() {
        assert_eq!(format_size(812), "812 B");
        assert_eq!(format_size(1500), "1.5 KB");
        assert_eq!(format_size(5 * 1024 * 1024 + 300 * 1024), "5.3 MB");
        assert_eq!(format_size(3 * 1024 * 1024 * 1024), "3.00 GB");
    }

    #[test]
    fn paths_are_normalized_without_the_file_system() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }
}
