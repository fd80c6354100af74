//! The Dubstage project model: typed time, the project data, edit commands
//! with undo, and the project file format.
//!
//! Architecture invariant: this crate knows nothing of threads, audio I/O,
//! decoding or UI. Apart from [`file`] it does no I/O and cannot fail except
//! by refusing an invalid edit.

pub mod automation;
pub mod command;
pub mod file;
pub mod mixer;
pub mod project;
pub mod time;

pub use automation::{AutoPoint, EnvPoint, Lane, Shape};
pub use command::{Command, Created, EditError, NewClip, Session};
pub use mixer::{
    AuxSend, BusUse, EQ_BAND_PARAMS, EQ_BANDS, Insert, InsertKind, NoisePrintData, ParamId,
    ParamSpec, RoutingError, StripId, Unit,
};
pub use project::{
    Bus, BusId, Clip, ClipChannels, ClipId, DeliveryChain, Fade, FadeShape, InsertId, Marker,
    MarkerId, Master, MediaId, MediaRef, Output, PanLaw, Picture, Project, SavedView, SendId, Stem,
    Track, TrackId, TrackKind, pan_label,
};
pub use time::{FrameRate, SampleLen, SamplePos, SampleRate, TimeError, TimeMap, Timecode};
