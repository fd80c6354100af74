//! The editor's windows, one module each; each owns its state and borrows
//! only the part of the editor it shows.

pub mod audio_device;
pub mod delivery;
pub mod export;
pub mod import;
pub mod insert;
pub mod loudness;
pub mod markers;
pub mod project_settings;
pub mod turnover;

/// Which windows are open, with their state.
#[derive(Debug, Default)]
pub struct Windows {
    pub markers: bool,
    pub markers_state: markers::MarkersWindow,
    pub settings: Option<project_settings::ProjectSettings>,
    pub import: Option<import::ImportDialog>,
    pub turnover: Option<turnover::TurnoverDialog>,
}
