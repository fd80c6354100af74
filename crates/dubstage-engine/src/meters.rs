//! Meters shared between the audio thread (writer) and the UI (reader),
//! as lock-free atomics: one slot per track, per bus and for the master.

use crate::plan::MeterAcc;
use dubstage_model::{BusId, TrackId};
use std::sync::atomic::{AtomicU32, Ordering};

/// Peak and RMS of a stereo signal, linear (1.0 = 0 dBFS).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeterReading {
    /// Highest absolute sample since the previous read.
    pub peak: [f32; 2],
    /// RMS over the last audio callback.
    pub rms: [f32; 2],
}

/// One meter. The audio thread publishes, the UI takes.
#[derive(Debug, Default)]
pub struct MeterSlot {
    peak: [AtomicU32; 2],
    rms: [AtomicU32; 2],
}

impl MeterSlot {
    /// Called by the audio thread after each callback.
    pub(crate) fn publish(&self, acc: &MeterAcc) {
        for ch in 0..2 {
            // Non-negative floats order like their bit patterns, so fetch_max works.
            self.peak[ch].fetch_max(acc.peak[ch].to_bits(), Ordering::Relaxed);
            let rms = if acc.frames == 0 {
                0.0
            } else {
                (acc.sum_sq[ch] / acc.frames as f32).sqrt()
            };
            self.rms[ch].store(rms.to_bits(), Ordering::Relaxed);
        }
    }

    /// Reads the meter, resetting the peak (one reader: the UI).
    pub fn take(&self) -> MeterReading {
        let f = |a: &AtomicU32| f32::from_bits(a.load(Ordering::Relaxed));
        MeterReading {
            peak: [
                f32::from_bits(self.peak[0].swap(0, Ordering::Relaxed)),
                f32::from_bits(self.peak[1].swap(0, Ordering::Relaxed)),
            ],
            rms: [f(&self.rms[0]), f(&self.rms[1])],
        }
    }
}

/// The meters of one render plan: post-fader per track, per bus, and the master.
#[derive(Debug)]
pub struct MeterBank {
    tracks: Vec<(TrackId, MeterSlot)>,
    buses: Vec<(BusId, MeterSlot)>,
    master: MeterSlot,
}

impl MeterBank {
    pub(crate) fn new(tracks: Vec<TrackId>, buses: Vec<BusId>) -> MeterBank {
        MeterBank {
            tracks: tracks
                .into_iter()
                .map(|t| (t, MeterSlot::default()))
                .collect(),
            buses: buses
                .into_iter()
                .map(|b| (b, MeterSlot::default()))
                .collect(),
            master: MeterSlot::default(),
        }
    }

    pub fn track(&self, id: TrackId) -> Option<&MeterSlot> {
        self.tracks.iter().find(|(t, _)| *t == id).map(|(_, s)| s)
    }

    pub fn bus(&self, id: BusId) -> Option<&MeterSlot> {
        self.buses.iter().find(|(b, _)| *b == id).map(|(_, s)| s)
    }

    pub fn master(&self) -> &MeterSlot {
        &self.master
    }

    pub(crate) fn track_at(&self, i: usize) -> &MeterSlot {
        &self.tracks[i].1
    }

    pub(crate) fn bus_at(&self, i: usize) -> &MeterSlot {
        &self.buses[i].1
    }
}
