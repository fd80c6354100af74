//! Meters shared between the audio thread (writer) and the UI (reader),
//! as lock-free atomics: one slot per track, per bus and for the master.

use crate::plan::MeterAcc;
use dubstage_model::{BusId, InsertId, TrackId};
use std::sync::atomic::{AtomicU32, Ordering};

/// Peak and RMS of a stereo signal, linear (1.0 = 0 dBFS).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeterReading {
    /// Highest absolute sample since the previous read.
    pub peak: [f32; 2],
    /// RMS over the last audio callback.
    pub rms: [f32; 2],
    /// Share of the callback period the strip's processing took (0.01 = 1 %).
    pub cost: f32,
}

/// One meter. The audio thread publishes, the UI takes.
#[derive(Debug, Default)]
pub struct MeterSlot {
    peak: [AtomicU32; 2],
    rms: [AtomicU32; 2],
    cost: AtomicU32,
}

/// Gain reduction of one insert (dynamics, limiter, noise reduction), in dB:
/// the largest of the last audio callback.
#[derive(Debug, Default)]
pub struct ReductionSlot {
    acc: AtomicU32,
    last: AtomicU32,
}

impl ReductionSlot {
    pub(crate) fn publish_reduction(&self, db: f32) {
        let db = if db.is_finite() { db.max(0.0) } else { 0.0 };
        self.acc.fetch_max(db.to_bits(), Ordering::Relaxed);
    }

    /// Ends a callback: its largest reduction becomes the reading.
    pub(crate) fn roll(&self) {
        let v = self.acc.swap(0, Ordering::Relaxed);
        self.last.store(v, Ordering::Relaxed);
    }

    /// The largest reduction of the last callback (any number of readers).
    pub fn get(&self) -> f32 {
        f32::from_bits(self.last.load(Ordering::Relaxed))
    }
}

impl MeterSlot {
    /// Called by the audio thread after each callback.
    pub(crate) fn publish(&self, acc: &MeterAcc, period_ns: f64) {
        if period_ns > 0.0 {
            let c = (acc.cost_ns as f64 / period_ns) as f32;
            self.cost.store(c.to_bits(), Ordering::Relaxed);
        }
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
            cost: f(&self.cost),
        }
    }
}

/// The meters of one render plan: post-fader per track, per bus, and the master.
#[derive(Debug)]
pub struct MeterBank {
    tracks: Vec<(TrackId, MeterSlot)>,
    buses: Vec<(BusId, MeterSlot)>,
    master: MeterSlot,
    inserts: Vec<(InsertId, ReductionSlot)>,
}

impl MeterBank {
    pub(crate) fn new(
        tracks: Vec<TrackId>,
        buses: Vec<BusId>,
        inserts: Vec<InsertId>,
    ) -> MeterBank {
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
            inserts: inserts
                .into_iter()
                .map(|i| (i, ReductionSlot::default()))
                .collect(),
        }
    }

    pub fn track(&self, id: TrackId) -> Option<&MeterSlot> {
        self.tracks.iter().find(|(t, _)| *t == id).map(|(_, s)| s)
    }

    pub fn bus(&self, id: BusId) -> Option<&MeterSlot> {
        self.buses.iter().find(|(b, _)| *b == id).map(|(_, s)| s)
    }

    /// The gain-reduction meter of an insert.
    pub fn insert(&self, id: InsertId) -> Option<&ReductionSlot> {
        self.inserts.iter().find(|(i, _)| *i == id).map(|(_, s)| s)
    }

    pub(crate) fn insert_at(&self, i: usize) -> &ReductionSlot {
        &self.inserts[i].1
    }

    pub(crate) fn roll_inserts(&self) {
        for (_, s) in &self.inserts {
            s.roll();
        }
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
