//! File dialogs that never block the frame loop: the desktop's own dialog
//! runs on a thread of its own (the editor keeps drawing, playing and
//! showing progress under it), and where the desktop has none (no file
//! chooser portal, no zenity: a bare window manager) the built-in
//! [`FileBrowser`] opens instead. A typed path always works in the
//! built-in one.

use crate::file_browser::{BrowseMode, BrowseOutcome, FileBrowser};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

/// What a chosen path is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    OpenProject,
    SaveProjectAs,
    ImportAudio,
    SetPicture,
    AddLibraryFolder,
    ExportFolder,
    ExportMix,
    RelinkFolder,
    ImportTurnover,
    TurnoverFolder,
}

/// A request for one dialog.
#[derive(Debug, Clone)]
pub struct FileRequest {
    pub purpose: Purpose,
    pub title: String,
    pub mode: BrowseMode,
    /// (label, extensions without the dot).
    pub filters: Vec<(String, Vec<String>)>,
    pub start_dir: Option<PathBuf>,
    /// Save dialogs: the suggested name.
    pub file_name: Option<String>,
}

impl FileRequest {
    pub fn new(purpose: Purpose, title: &str, mode: BrowseMode) -> FileRequest {
        FileRequest {
            purpose,
            title: title.to_owned(),
            mode,
            filters: Vec::new(),
            start_dir: None,
            file_name: None,
        }
    }

    pub fn filter(mut self, label: &str, extensions: &[&str]) -> FileRequest {
        self.filters.push((
            label.to_owned(),
            extensions.iter().map(|e| (*e).to_owned()).collect(),
        ));
        self
    }

    pub fn in_dir(mut self, dir: Option<&Path>) -> FileRequest {
        self.start_dir = dir.map(Path::to_owned);
        self
    }

    pub fn named(mut self, name: &str) -> FileRequest {
        self.file_name = Some(name.to_owned());
        self
    }
}

/// A desktop dialog answered on its thread.
struct Native {
    request: FileRequest,
    started: Instant,
    answer: Receiver<Option<Vec<PathBuf>>>,
}

/// A desktop dialog that answers "nothing chosen" faster than this did
/// not open at all (no portal): nobody cancels a real one that quickly.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(400);

/// Which dialogs to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogBackend {
    /// The desktop's, falling back to the built-in browser when it has none.
    Desktop,
    /// Always the built-in browser.
    BuiltIn,
}

/// The editor's file dialogs: at most one open at a time.
pub struct Dialogs {
    pub backend: DialogBackend,
    native: Option<Native>,
    browser: Option<(Purpose, FileBrowser)>,
    /// A built-in browser's last folder, where the next one starts.
    last_dir: Option<PathBuf>,
}

impl Default for Dialogs {
    fn default() -> Self {
        Dialogs::new()
    }
}

impl Dialogs {
    /// The desktop's dialogs when the session looks like it has a portal
    /// (a D-Bus session bus) and `DUBSTAGE_FILE_DIALOG` is not `builtin`;
    /// the built-in browser otherwise.
    pub fn new() -> Dialogs {
        let builtin = std::env::var("DUBSTAGE_FILE_DIALOG").is_ok_and(|v| v == "builtin")
            || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none();
        Dialogs {
            backend: if builtin {
                DialogBackend::BuiltIn
            } else {
                DialogBackend::Desktop
            },
            native: None,
            browser: None,
            last_dir: None,
        }
    }

    /// Dialogs that always use the built-in browser (tests, bare desktops).
    pub fn built_in() -> Dialogs {
        Dialogs {
            backend: DialogBackend::BuiltIn,
            ..Dialogs::new()
        }
    }

    /// Whether a dialog is open.
    pub fn is_open(&self) -> bool {
        self.native.is_some() || self.browser.is_some()
    }

    /// The built-in browser, when it is the open dialog.
    pub fn browser(&self) -> Option<&FileBrowser> {
        self.browser.as_ref().map(|(_, b)| b)
    }

    /// Opens a dialog for `request` (replacing nothing: a second request
    /// while one is open is refused with a message).
    pub fn open(&mut self, ctx: &egui::Context, request: FileRequest) -> Result<(), String> {
        if self.is_open() {
            return Err("a file dialog is already open".to_owned());
        }
        match self.backend {
            DialogBackend::BuiltIn => self.open_builtin(request),
            DialogBackend::Desktop => self.open_native(ctx, request),
        }
        Ok(())
    }

    fn open_builtin(&mut self, request: FileRequest) {
        let start = request
            .start_dir
            .clone()
            .filter(|d| d.is_dir())
            .or_else(|| self.last_dir.clone())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let filters: Vec<(&str, Vec<&str>)> = request
            .filters
            .iter()
            .map(|(l, e)| (l.as_str(), e.iter().map(String::as_str).collect()))
            .collect();
        let filters: Vec<(&str, &[&str])> =
            filters.iter().map(|(l, e)| (*l, e.as_slice())).collect();
        let mut b = FileBrowser::new(&request.title, request.mode, &start, &filters);
        if let Some(name) = &request.file_name {
            b = b.with_file_name(name);
        }
        self.browser = Some((request.purpose, b));
    }

    fn open_native(&mut self, ctx: &egui::Context, request: FileRequest) {
        let (tx, rx) = channel();
        let r = request.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("dubstage-file-dialog".into())
            .spawn(move || {
                let mut d = rfd::FileDialog::new().set_title(&r.title);
                for (label, ext) in &r.filters {
                    d = d.add_filter(label, ext);
                }
                if let Some(dir) = &r.start_dir {
                    d = d.set_directory(dir);
                }
                if let Some(name) = &r.file_name {
                    d = d.set_file_name(name);
                }
                let answer = match r.mode {
                    BrowseMode::OpenFile => d.pick_file().map(|p| vec![p]),
                    BrowseMode::OpenFiles => d.pick_files(),
                    BrowseMode::PickFolder => d.pick_folder().map(|p| vec![p]),
                    BrowseMode::SaveFile => d.save_file().map(|p| vec![p]),
                };
                let _ = tx.send(answer);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => {
                self.native = Some(Native {
                    request,
                    started: Instant::now(),
                    answer: rx,
                });
            }
            Err(_) => self.open_builtin(request),
        }
    }

    /// Call every frame: draws the built-in browser when open, and returns
    /// what the user chose once a dialog closes with a choice.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<(Purpose, Vec<PathBuf>)> {
        if let Some(n) = &self.native {
            match n.answer.try_recv() {
                Ok(Some(paths)) if !paths.is_empty() => {
                    let purpose = n.request.purpose.clone();
                    self.native = None;
                    return Some((purpose, paths));
                }
                Ok(_) | Err(TryRecvError::Disconnected) => {
                    let quick = n.started.elapsed() < NO_DIALOG_WITHIN;
                    let request = n.request.clone();
                    self.native = None;
                    if quick {
                        // No desktop dialog here: use the built-in one from now on.
                        self.backend = DialogBackend::BuiltIn;
                        self.open_builtin(request);
                    }
                }
                Err(TryRecvError::Empty) => {}
            }
        }
        let (purpose, browser) = self.browser.as_mut()?;
        let outcome = browser.show(ctx)?;
        let purpose = purpose.clone();
        self.last_dir = Some(browser.current_dir().to_owned());
        self.browser = None;
        match outcome {
            BrowseOutcome::Picked(paths) if !paths.is_empty() => Some((purpose, paths)),
            _ => None,
        }
    }
}
