//! Model inserts → DSP processors: builds the processor for an insert kind
//! (off the audio thread) and maps a parameter index of the kind's table
//! ([`dubstage_model::InsertKind::params`]) onto the processor's typed
//! setter (real-time safe).

use dubstage_dsp::Processor;
use dubstage_dsp::denoise::{NoisePrint, RnnDenoise, SpectralDenoise};
use dubstage_dsp::dynamics::{Compressor, DeEsser, Detector, Gate};
use dubstage_dsp::filter::{Band, BandType, Eq, PassFilter};
use dubstage_dsp::limiter::Limiter;
use dubstage_dsp::reverb::{Reverb, ReverbPreset};
use dubstage_dsp::trim::Trim;
use dubstage_model::{EQ_BAND_PARAMS, Insert, InsertKind};
use std::sync::Arc;

/// Most parameters any kind has (the EQ's 6 bands × 5).
pub const MAX_PARAMS: usize = 32;

/// Look-ahead of the limiter insert (as the delivery limiter has always used).
pub const LIMITER_LOOKAHEAD_S: f32 = 0.0015;

/// One built processor of any kind (boxed in the pool's slots, so the
/// variants' sizes do not matter).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Proc {
    Pass(PassFilter),
    Eq(Eq),
    Comp(Compressor),
    Gate(Gate),
    Deess(DeEsser),
    Rnn(RnnDenoise),
    Spectral(SpectralDenoise),
    Limiter(Limiter),
    Reverb(Reverb),
    Trim(Trim),
}

/// What makes two builds of an insert interchangeable: a change here means
/// a new processor (a new denoise mode, another noise print, another layout).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Signature {
    pub kind: InsertKind,
    pub channels: usize,
    pub rate: u32,
    pub max_block: usize,
    pub mode: u8,
    pub print: u64,
}

impl Signature {
    pub(crate) fn of(ins: &Insert, channels: usize, rate: u32, max_block: usize) -> Signature {
        let mode = if ins.kind == InsertKind::Denoise {
            ins.get("mode").round() as u8
        } else {
            0
        };
        let print = ins.print.as_ref().map_or(0, |p| {
            // FNV-1a over the print's bits: cheap, and any change is a new print.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for v in std::iter::once(p.rate)
                .chain(std::iter::once(p.fft_size))
                .chain(p.magnitudes.iter().map(|m| m.to_bits()))
            {
                h ^= u64::from(v);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h | 1
        });
        Signature {
            kind: ins.kind,
            channels,
            rate,
            max_block,
            mode,
            print,
        }
    }
}

fn band_type(v: f32) -> BandType {
    BandType::ALL[(v.round().max(0.0) as usize).min(BandType::ALL.len() - 1)]
}

fn preset(v: f32) -> ReverbPreset {
    ReverbPreset::ALL[(v.round().max(0.0) as usize).min(ReverbPreset::ALL.len() - 1)]
}

impl Proc {
    /// Builds and prepares the processor for `ins` with all its parameters
    /// applied. Allocates: call off the audio thread.
    pub fn build(ins: &Insert, rate: u32, channels: usize, max_block: usize) -> Proc {
        let mut p = match ins.kind {
            InsertKind::Hpf => Proc::Pass(PassFilter::new(true, 80.0, 12)),
            InsertKind::Lpf => Proc::Pass(PassFilter::new(false, 12_000.0, 12)),
            InsertKind::Eq => Proc::Eq(Eq::new()),
            InsertKind::Comp => Proc::Comp(Compressor::new()),
            InsertKind::Gate => Proc::Gate(Gate::new()),
            InsertKind::Deess => Proc::Deess(DeEsser::new()),
            InsertKind::Denoise if ins.get("mode") < 0.5 => Proc::Rnn(RnnDenoise::new()),
            InsertKind::Denoise => {
                Proc::Spectral(SpectralDenoise::new(ins.print.as_ref().map(|p| {
                    Arc::new(NoisePrint {
                        rate: p.rate,
                        fft_size: p.fft_size as usize,
                        magnitudes: p.magnitudes.clone(),
                    })
                })))
            }
            InsertKind::Limiter => {
                Proc::Limiter(Limiter::new(rate, 0.89, LIMITER_LOOKAHEAD_S, 0.08))
            }
            InsertKind::Reverb => Proc::Reverb(Reverb::new(preset(ins.get("preset")))),
            InsertKind::Gain => Proc::Trim(Trim::new()),
        };
        p.processor().prepare(rate, channels, max_block);
        for (i, v) in ins.values().enumerate() {
            p.set(ins, i as u16, v);
        }
        p.processor().reset();
        p
    }

    /// Runs `self` over the stereo block `ra` and `other` over `rb` at
    /// once, where the two are of a kind that can (the filters, see
    /// [`PassFilter::process_pair`], and the compressor, see
    /// [`Compressor::process_pair`]): the same bits as each alone. Returns
    /// whether each output is all finite, or `None`, having done nothing,
    /// where they cannot.
    pub fn process_pair(
        &mut self,
        other: &mut Proc,
        ra: &mut [&mut [f32]],
        rb: &mut [&mut [f32]],
    ) -> Option<[bool; 2]> {
        match (self, other) {
            (Proc::Pass(x), Proc::Pass(y)) => x.process_pair(y, ra, rb),
            (Proc::Eq(x), Proc::Eq(y)) => x.process_pair(y, ra, rb),
            (Proc::Comp(x), Proc::Comp(y)) => x.process_pair(y, ra, rb),
            _ => None,
        }
    }

    /// The processor behind the enum.
    pub fn processor(&mut self) -> &mut dyn Processor {
        match self {
            Proc::Pass(p) => p,
            Proc::Eq(p) => p,
            Proc::Comp(p) => p,
            Proc::Gate(p) => p,
            Proc::Deess(p) => p,
            Proc::Rnn(p) => p,
            Proc::Spectral(p) => p,
            Proc::Limiter(p) => p,
            Proc::Reverb(p) => p,
            Proc::Trim(p) => p,
        }
    }

    pub fn latency(&mut self) -> usize {
        self.processor().latency()
    }

    /// Applies parameter `index` of the kind's table. Real-time safe. For
    /// an EQ band, the band's other values come from `current` (the values
    /// the audio side holds), so one parameter changes one field.
    pub fn set_indexed(&mut self, index: u16, value: f32, current: &[f32]) {
        let i = usize::from(index);
        let on = value >= 0.5;
        match self {
            Proc::Pass(f) => match i {
                0 => f.set_freq(value),
                1 => f.set_slope(value.round().max(0.0) as u32),
                _ => {}
            },
            Proc::Eq(eq) => {
                let band = i / EQ_BAND_PARAMS;
                let base = band * EQ_BAND_PARAMS;
                let get = |k: usize| {
                    if base + k == i {
                        value
                    } else {
                        current.get(base + k).copied().unwrap_or(0.0)
                    }
                };
                eq.set_band(
                    band,
                    Band {
                        kind: band_type(get(0)),
                        freq: get(1),
                        gain_db: get(2),
                        q: get(3),
                        enabled: get(4) >= 0.5,
                    },
                );
            }
            Proc::Comp(c) => match i {
                0 => c.set_threshold_db(value),
                1 => c.set_ratio(value),
                2 => c.set_knee_db(value),
                3 => c.set_attack_ms(value),
                4 => c.set_release_ms(value),
                5 => c.set_makeup_db(value),
                6 => c.set_detector(if on { Detector::Rms } else { Detector::Peak }),
                7 => c.set_link(on),
                _ => {}
            },
            Proc::Gate(g) => match i {
                0 => g.set_threshold_db(value),
                1 => g.set_range_db(value),
                2 => g.set_ratio(value),
                3 => g.set_attack_ms(value),
                4 => g.set_hold_ms(value),
                5 => g.set_release_ms(value),
                _ => {}
            },
            Proc::Deess(d) => match i {
                0 => d.set_freq(value),
                1 => d.set_threshold_db(value),
                2 => d.set_range_db(value),
                3 => d.set_split_band(on),
                _ => {}
            },
            // Mode (0) is structural: another mode is another processor.
            Proc::Rnn(r) => match i {
                1 => r.set_mix(value),
                2 => r.set_limit_db(value),
                _ => {}
            },
            Proc::Spectral(s) => match i {
                3 => s.set_reduction_db(value),
                4 => s.set_smoothing(value),
                _ => {}
            },
            Proc::Limiter(l) => match i {
                0 => l.set_ceiling(dubstage_dsp::db_to_gain(value)),
                1 => l.set_release(value / 1000.0),
                _ => {}
            },
            Proc::Reverb(r) => match i {
                0 => r.set_preset(preset(value)),
                1 => r.set_predelay_ms(value),
                2 => r.set_decay_s(value),
                3 => r.set_damping(value),
                4 => r.set_mix(value),
                _ => {}
            },
            Proc::Trim(t) => match i {
                0 => t.set_gain_db(value),
                1 => t.set_invert(on),
                2 => t.set_delay_ms(value),
                _ => {}
            },
        }
    }

    /// Applies parameter `index` with the other values taken from `ins`.
    pub fn set(&mut self, ins: &Insert, index: u16, value: f32) {
        let mut cur = [0.0f32; MAX_PARAMS];
        for (c, v) in cur.iter_mut().zip(ins.values()) {
            *c = v;
        }
        self.set_indexed(index, value, &cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dubstage_model::InsertId;

    #[test]
    fn a_new_reverb_has_the_settings_of_the_preset_it_names() {
        let ins = Insert::new(InsertId(1), InsertKind::Reverb);
        let v = |key: &str| ins.get(key);
        let d = preset(v("preset")).defaults();
        assert_eq!(
            [v("predelay"), v("decay"), v("damping")],
            [d.predelay_ms, d.decay_s, d.damping]
        );
    }

    #[test]
    fn every_kind_builds_and_fits_the_parameter_store() {
        for kind in InsertKind::ALL {
            assert!(kind.params().len() <= MAX_PARAMS, "{kind:?}");
            let ins = Insert::new(InsertId(1), kind);
            for ch in [1, 2] {
                let mut p = Proc::build(&ins, 48_000, ch, 256);
                let mut a = vec![0.1f32; 256];
                let mut b = vec![-0.1f32; 256];
                let mut rows: Vec<&mut [f32]> = vec![&mut a, &mut b];
                p.processor().process(&mut rows[..ch], None);
                assert!(a.iter().all(|v| v.is_finite()));
            }
        }
    }
}
