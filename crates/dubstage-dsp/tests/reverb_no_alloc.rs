//! The reverb neither allocates nor frees after `prepare`: processing,
//! every setter (preset changes included) and `reset`.

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_dsp::Processor;
use dubstage_dsp::reverb::{Reverb, ReverbPreset, ReverbSettings};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

#[test]
fn reverb_is_real_time_safe_after_prepare() {
    for channels in [1usize, 2, 6] {
        let mut r = Reverb::new(ReverbPreset::Car);
        r.prepare(48_000, channels, 480);
        let mut data = vec![0.0f32; channels * 480];
        for (i, v) in data.iter_mut().enumerate() {
            *v = ((i * 7919) % 1000) as f32 / 1000.0 - 0.5;
        }
        let settings = ReverbSettings {
            predelay_ms: 37.0,
            decay_s: 3.0,
            damping: 0.2,
            mix: 0.5,
        };
        assert_no_alloc(|| {
            let mut block = |r: &mut Reverb, frames: usize| {
                let mut rows: [&mut [f32]; 6] = Default::default();
                for (row, chunk) in rows.iter_mut().zip(data.chunks_mut(480)) {
                    *row = &mut chunk[..frames];
                }
                r.process(&mut rows[..channels], None);
            };
            for p in ReverbPreset::ALL {
                r.set_preset(p);
                block(&mut r, 480);
                block(&mut r, 1);
                block(&mut r, 480);
                r.load_preset(p);
                block(&mut r, 133);
            }
            r.set_predelay_ms(250.0);
            r.set_predelay_ms(0.0);
            r.set_decay_s(10.0);
            r.set_decay_s(0.1);
            r.set_damping(1.0);
            r.set_mix(1.0);
            r.set_mix(0.0);
            r.set_settings(settings);
            r.set_decay_s(f32::NAN);
            block(&mut r, 480);
            r.set_preset(ReverbPreset::Hall);
            r.reset();
            block(&mut r, 480);
            let _ = (r.latency(), r.reduction_db(), r.preset(), r.settings());
        });
    }
}
