//! The Dubstage editor as a library of egui panels: timeline, mixer,
//! transport, menus. The binary hosts [`EditorApp`] in an eframe window;
//! tests drive it with egui_kittest through accessible labels.
//!
//! Architecture invariant: no cpal here. The editor talks to playback only
//! through `dubstage_engine::AudioEngine` (messages and telemetry), and to
//! the project only through `Session` commands.

pub mod actions;
pub mod app;
pub mod automation;
pub mod dialogs;
pub mod editor;
pub mod export;
pub mod file_browser;
pub mod import;
pub mod library;
pub mod mixer;
pub mod paths;
pub mod picture;
pub mod picture_edit;
pub mod timeline;
pub mod transport;
pub mod turnover;
pub mod view;
pub mod widgets;
pub mod windows;

pub use app::EditorApp;
pub use editor::Editor;
