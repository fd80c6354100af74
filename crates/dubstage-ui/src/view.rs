//! What the timeline shows: zoom, scroll, track heights, waveform zoom,
//! follow and snap. Kept in the project file (`SavedView`) across reopen.

use dubstage_model::{ParamId, StripId, TrackId};
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
    /// The automation lanes shown under each track, in order.
    pub lanes: HashMap<TrackId, Vec<ParamId>>,
    /// The height of an automation lane.
    pub lane_height: f32,
    /// Buses and the master with lanes shown, under the tracks, in order.
    pub strip_lanes: Vec<(StripId, Vec<ParamId>)>,
    /// Clip-gain lines drawn (and editable) over the clips.
    pub clip_gain_lines: bool,
}

/// Track heights offered in menus (label, points).
pub const TRACK_HEIGHTS: [(&str, f32); 5] = [
    ("Mini", 28.0),
    ("Small", 44.0),
    ("Medium", 64.0),
    ("Large", 110.0),
    ("Extra Large", 180.0),
];

/// The name row above a bus's or the master's lanes.
pub const STRIP_ROW_HEADER: f32 = 22.0;

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

    /// The lanes shown under a track.
    pub fn lanes_of(&self, track: TrackId) -> &[ParamId] {
        self.lanes.get(&track).map_or(&[], Vec::as_slice)
    }

    /// A track's row: its clips and the lanes under them.
    pub fn row_height(&self, track: TrackId) -> f32 {
        self.height_of(track) + self.lanes_of(track).len() as f32 * self.lane_height
    }

    /// The lanes shown for a strip: a track's under it, a bus's or the
    /// master's in the rows under the tracks.
    pub fn strip_lanes_of(&self, strip: StripId) -> &[ParamId] {
        match strip {
            StripId::Track(t) => self.lanes_of(t),
            _ => self
                .strip_lanes
                .iter()
                .find(|(s, _)| *s == strip)
                .map_or(&[], |(_, v)| v.as_slice()),
        }
    }

    /// Shows or hides a lane of any strip.
    pub fn toggle_strip_lane(&mut self, strip: StripId, param: ParamId) {
        if let StripId::Track(t) = strip {
            return self.toggle_lane(t, param);
        }
        match self.strip_lanes.iter().position(|(s, _)| *s == strip) {
            Some(i) => {
                let v = &mut self.strip_lanes[i].1;
                match v.iter().position(|p| *p == param) {
                    Some(k) => {
                        v.remove(k);
                    }
                    None => v.push(param),
                }
                if v.is_empty() {
                    self.strip_lanes.remove(i);
                }
            }
            None => self.strip_lanes.push((strip, vec![param])),
        }
    }

    /// The height of one bus's or the master's lane rows.
    pub fn strip_rows_height_of(&self, strip: StripId) -> f32 {
        let n = self.strip_lanes_of(strip).len();
        if n == 0 {
            0.0
        } else {
            STRIP_ROW_HEADER + n as f32 * self.lane_height
        }
    }

    /// The height of the bus and master lane rows under the tracks.
    pub fn strip_rows_height(&self) -> f32 {
        self.strip_lanes
            .iter()
            .map(|(_, v)| STRIP_ROW_HEADER + v.len() as f32 * self.lane_height)
            .sum()
    }

    /// Shows a parameter's lane under a track, or hides it.
    pub fn toggle_lane(&mut self, track: TrackId, param: ParamId) {
        let v = self.lanes.entry(track).or_default();
        match v.iter().position(|p| *p == param) {
            Some(i) => {
                v.remove(i);
            }
            None => v.push(param),
        }
        if v.is_empty() {
            self.lanes.remove(&track);
        }
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
            lanes: HashMap::new(),
            lane_height: crate::automation::LANE_HEIGHT,
            strip_lanes: Vec::new(),
            clip_gain_lines: true,
        }
    }
}
