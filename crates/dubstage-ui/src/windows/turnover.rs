//! File → Import Turnover…: the picture editor's timeline (OTIO, FCP7 XML,
//! CMX3600 EDL) as a new project. The window takes the folders to search
//! for the media and an EDL's frame rate, shows progress with Cancel while
//! the media are found, then the import report.

use crate::turnover::TurnoverJob;
use dubstage_interchange::Format;
use dubstage_model::{FrameRate, TrackKind};
use std::path::PathBuf;

/// Where the turnover goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A new project (the current one is closed, after asking to save).
    NewProject,
    /// Into this project, its start timecode on the same session timecode.
    HereAtTimecode,
    /// Into this project, its start at the playhead.
    HereAtPlayhead,
}

/// The window's state.
pub struct TurnoverDialog {
    pub file: PathBuf,
    /// What the file is (from its content), or why it cannot be read.
    pub format: Result<Format, String>,
    /// Why the timeline does not read (at this EDL rate, say), if it does not.
    pub read_error: Option<String>,
    pub media_dirs: Vec<PathBuf>,
    pub edl_rate: FrameRate,
    pub job: Option<TurnoverJob>,
    /// The finished import's report, or its error.
    pub outcome: Option<Result<String, String>>,
    pub destination: Destination,
    /// The turnover's tracks with the kind each will get (guessed, changeable).
    pub tracks: Vec<(String, TrackKind)>,
    /// The AAF's embedded media files and their bytes, when it has some.
    pub embedded: Option<(usize, u64)>,
    /// The current project's folder (where embedded media goes when the
    /// turnover is imported into this project).
    pub project_dir: Option<PathBuf>,
}

impl std::fmt::Debug for TurnoverDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnoverDialog")
            .field("file", &self.file)
            .field("media_dirs", &self.media_dirs)
            .field("running", &self.job.is_some())
            .finish()
    }
}

impl TurnoverDialog {
    /// The window for `file`, searching its folder by default.
    pub fn new(file: PathBuf, project_rate: FrameRate) -> TurnoverDialog {
        // The first megabyte tells the format (an AAF with its media
        // embedded can be gigabytes).
        let format = std::fs::File::open(&file)
            .and_then(|f| {
                use std::io::Read;
                let mut b = Vec::new();
                f.take(1 << 20).read_to_end(&mut b)?;
                Ok(b)
            })
            .map_err(|e| e.to_string())
            .and_then(|b| {
                dubstage_interchange::detect_bytes(&b).ok_or_else(|| {
                    "not an AAF, OTIO, FCP7 XML, FCPXML or CMX3600 EDL timeline".to_owned()
                })
            });
        let mut d = TurnoverDialog {
            media_dirs: file
                .parent()
                .map(|p| vec![p.to_owned()])
                .unwrap_or_default(),
            file,
            format,
            edl_rate: project_rate,
            job: None,
            outcome: None,
            destination: Destination::NewProject,
            tracks: Vec::new(),
            read_error: None,
            embedded: None,
            project_dir: None,
        };
        d.read_tracks();
        // An EDL does not say its rate: when it does not read at the
        // project's, take the first common rate its timecodes fit.
        if d.read_error.is_some() && matches!(d.format, Ok(Format::Edl)) {
            for r in [
                FrameRate::FPS_24,
                FrameRate::FPS_25,
                FrameRate::FPS_23_976,
                FrameRate::FPS_29_97_DF,
                FrameRate::FPS_29_97_NDF,
                FrameRate::FPS_30,
            ] {
                d.edl_rate = r;
                d.read_tracks();
                if d.read_error.is_none() {
                    break;
                }
            }
            if d.read_error.is_some() {
                d.edl_rate = project_rate;
                d.read_tracks();
            }
        }
        d
    }

    /// Reads the turnover's tracks (again, for an EDL whose rate changed),
    /// keeping kinds already chosen.
    pub fn read_tracks(&mut self) {
        match dubstage_interchange::read_file(&self.file, self.edl_rate) {
            Ok((_, tl)) => {
                let old = std::mem::take(&mut self.tracks);
                self.tracks = tl
                    .tracks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let kind = old.get(i).map_or_else(
                            || dubstage_interchange::import::guess_kind(&t.name),
                            |k| k.1,
                        );
                        (t.name.clone(), kind)
                    })
                    .collect();
                self.embedded = (!tl.essence.is_empty())
                    .then(|| (tl.essence.len(), tl.essence.iter().map(|e| e.bytes).sum()));
                self.read_error = None;
            }
            Err(e) => {
                self.tracks.clear();
                self.read_error = Some(e.to_string());
            }
        }
    }

    /// Where an AAF's embedded media will be extracted to.
    pub fn essence_dir(&self) -> PathBuf {
        let beside = match self.destination {
            Destination::NewProject => None,
            _ => self.project_dir.as_deref(),
        };
        crate::turnover::default_essence_dir(&self.file, beside)
    }

    /// The kinds chosen, by the turnover's track index.
    pub fn kinds(&self) -> Vec<Option<TrackKind>> {
        self.tracks.iter().map(|t| Some(t.1)).collect()
    }
}

/// What the user asked for.
pub enum TurnoverAction {
    None,
    Close,
    Start,
    AddFolder,
}

/// Draws the window.
pub fn show(ctx: &egui::Context, d: &mut TurnoverDialog) -> TurnoverAction {
    let mut action = TurnoverAction::None;
    let mut open = true;
    egui::Window::new("Import Turnover")
        .default_pos(ctx.content_rect().center())
        .pivot(egui::Align2::CENTER_CENTER)
        .default_width(560.0)
        .collapsible(false)
        .open(&mut open)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label("Timeline:");
                ui.monospace(d.file.display().to_string());
            });
            match &d.format {
                Ok(f) => {
                    ui.label(format!("Format: {}", f.label()));
                }
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
            }
            if d.format.is_ok()
                && let Some(e) = &d.read_error
            {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            if let Some(outcome) = &d.outcome {
                ui.separator();
                match outcome {
                    Ok(text) => {
                        ui.label(match d.destination {
                            Destination::NewProject => {
                                "Imported as a new project (File > Save to choose where it lives)."
                            }
                            _ => "Imported into this project (Edit > Undo takes it out again).",
                        });
                        egui::ScrollArea::vertical()
                            .max_height(360.0)
                            .show(ui, |ui| {
                                ui.add(
                                    egui::Label::new(egui::RichText::new(text).monospace())
                                        .selectable(true),
                                );
                            });
                    }
                    Err(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, format!("Not imported: {e}"));
                    }
                }
                ui.separator();
                if ui.button("Close").clicked() {
                    action = TurnoverAction::Close;
                }
                return;
            }
            if let Some(job) = &d.job {
                ui.separator();
                ui.horizontal(|ui| {
                    ui.spinner();
                    match job.extracting() {
                        Some((done, total)) => {
                            ui.label(format!(
                                "Extracting embedded media: {:.1} of {:.1} MB",
                                done as f64 / 1e6,
                                total as f64 / 1e6
                            ));
                        }
                        None => {
                            ui.label(format!("Finding media: {} searched", job.searched()));
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        job.cancel();
                    }
                });
                return;
            }
            ui.separator();
            ui.label(
                "Folders searched for the media (by path, by file name, by tape and timecode):",
            );
            let mut remove = None;
            for (i, dir) in d.media_dirs.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.monospace(dir.display().to_string());
                    if ui.small_button("Remove").clicked() {
                        remove = Some(i);
                    }
                });
            }
            if let Some(i) = remove {
                d.media_dirs.remove(i);
            }
            if ui.button("Add Folder…").clicked() {
                action = TurnoverAction::AddFolder;
            }
            if matches!(d.format, Ok(Format::Edl)) {
                let before = d.edl_rate;
                ui.horizontal(|ui| {
                    ui.label("EDL frame rate:");
                    egui::ComboBox::from_id_salt("turnover edl rate")
                        .selected_text(d.edl_rate.label())
                        .show_ui(ui, |ui| {
                            for r in FrameRate::ALL {
                                ui.selectable_value(&mut d.edl_rate, r, r.label());
                            }
                        })
                        .response
                        .on_hover_text("An EDL does not say its rate");
                });
                if d.edl_rate != before {
                    d.read_tracks();
                }
            }
            if !d.tracks.is_empty() {
                ui.separator();
                ui.label("Tracks:");
                egui::Grid::new("turnover tracks").show(ui, |ui| {
                    for (i, (name, kind)) in d.tracks.iter_mut().enumerate() {
                        ui.label(name.as_str());
                        egui::ComboBox::from_id_salt(("turnover kind", i))
                            .selected_text(kind.label())
                            .show_ui(ui, |ui| {
                                for k in TrackKind::ALL {
                                    ui.selectable_value(kind, k, k.label());
                                }
                            });
                        ui.end_row();
                    }
                });
            }
            ui.separator();
            ui.label("Into:");
            ui.radio_value(&mut d.destination, Destination::NewProject, "A new project");
            ui.radio_value(
                &mut d.destination,
                Destination::HereAtTimecode,
                "This project, at the turnover's timecode",
            );
            ui.radio_value(
                &mut d.destination,
                Destination::HereAtPlayhead,
                "This project, starting at the playhead",
            );
            if let Some((files, bytes)) = d.embedded {
                ui.separator();
                ui.label(format!(
                    "Embedded media: {files} file{} ({:.1} MB), extracted as Broadcast Wave to:",
                    if files == 1 { "" } else { "s" },
                    bytes as f64 / 1e6
                ));
                ui.monospace(d.essence_dir().display().to_string());
            }
            ui.separator();
            ui.horizontal(|ui| {
                let ready = d.format.is_ok() && d.read_error.is_none();
                if ui.add_enabled(ready, egui::Button::new("Import")).clicked() {
                    action = TurnoverAction::Start;
                }
                if ui.button("Cancel").clicked() {
                    action = TurnoverAction::Close;
                }
            });
        });
    if !open {
        if let Some(job) = &d.job {
            job.cancel();
        }
        return TurnoverAction::Close;
    }
    action
}
