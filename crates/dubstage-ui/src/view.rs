//! What the timeline shows: zoom, scroll, track heights, waveform zoom,
//! follow and snap. Kept in the project file (`SavedView`) across reopen.

use dubstage_model::TrackId;
use std::collections::HashMap;

/// What the timeline shows: zoom, scroll, track heights.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// Samples per horizontal point.
    pub samples_per_point: f64,
    /// Timeline sample at the left edge of the clip area.
    pub scroll_samples: f64,
    /// Vertical scroll of the track area, in points.
    pub scroll_y: f32,
    /// Height of every track without its own.
    pub track_height: f32,
    /// Tracks with their own height (dragged at the header's lower edge).
    pub track_heights: HashMap<TrackId, f32>,
    /// Vertical waveform zoom: 1 draws full scale at the lane's height.
    pub waveform_zoom: f32,
    /// Keep the playhead in view while playing.
    pub follow: bool,
    /// Scroll continuously (playhead fixed on screen) instead of by pages.
    pub follow_continuous: bool,
    pub snap: bool,
}

/// Track heights offered in menus (label, points).
pub const TRACK_HEIGHTS: [(&str, f32); 5] = [
    ("Mini", 28.0),
    ("Small", 44.0),
    ("Medium", 64.0),
    ("Large", 110.0),
    ("Extra Large", 180.0),
];

/// Smallest and largest track height, in points.
pub const MIN_TRACK_HEIGHT: f32 = 24.0;
pub const MAX_TRACK_HEIGHT: f32 = 400.0;

impl View {
    /// The height of a track.
    pub fn height_of(&self, track: TrackId) -> f32 {
        self.track_heights
            .get(&track)
            .copied()
            .unwrap_or(self.track_height)
    }

    /// Sets one track's height (clamped).
    pub fn set_height(&mut self, track: TrackId, h: f32) {
        self.track_heights
            .insert(track, h.clamp(MIN_TRACK_HEIGHT, MAX_TRACK_HEIGHT));
    }

    /// Sets every track's height (clamped), dropping per-track heights.
    pub fn set_all_heights(&mut self, h: f32) {
        self.track_height = h.clamp(MIN_TRACK_HEIGHT, MAX_TRACK_HEIGHT);
        self.track_heights.clear();
    }
}

impl Default for View {
    fn default() -> Self {
        View {
            samples_per_point: 480.0,
            scroll_samples: -4800.0,
            scroll_y: 0.0,
            track_height: 64.0,
            track_heights: HashMap::new(),
            waveform_zoom: 1.0,
            follow: true,
            follow_continuous: false,
            snap: true,
        }
    }
}
