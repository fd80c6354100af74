//! The Dubstage project model: typed time, the project data, edit commands
//! with undo, and the project file format.
//!
//! Architecture invariant: this crate knows nothing of threads, audio I/O,
//! decoding or UI. Apart from [`file`] it does no I/O and cannot fail except
//! by refusing an invalid edit.

pub mod command;
pub mod file;
pub mod project;
pub mod time;

pub use command::{Command, Created, EditError, NewClip, Session};
pub use project::{
    Bus, BusId, Clip, ClipChannels, ClipId, Fade, FadeShape, Marker, MarkerId, Master, MediaId,
    MediaRef, Output, PanLaw, Picture, Project, SavedView, Stem, Track, TrackId, TrackKind,
    pan_label,
};
pub use time::{FrameRate, SampleLen, SamplePos, SampleRate, TimeError, TimeMap, Timecode};
