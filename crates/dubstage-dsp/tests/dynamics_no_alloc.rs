//! The dynamics inserts under an allocation guard: after `prepare`, every
//! `process` (with and without a key input), `reset`, meter read and setter
//! must neither allocate nor free (an allocation aborts the test in debug
//! builds).

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_dsp::MAX_CHANNELS;
use dubstage_dsp::Processor;
use dubstage_dsp::dynamics::{Compressor, DeEsser, Detector, Gate};

#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

const FRAMES: usize = 256;

/// Fills `buf` with a loud, bright test signal (so every gain path runs).
fn fill(buf: &mut [[f32; FRAMES]], seed: u32) {
    let mut x = seed | 1;
    for (c, chan) in buf.iter_mut().enumerate() {
        for (i, v) in chan.iter_mut().enumerate() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let noise = (x as f32 / u32::MAX as f32) - 0.5;
            let tone = (i as f32 * (0.9 + 0.1 * c as f32)).sin();
            *v = 0.8 * tone + 0.4 * noise;
        }
    }
}

/// Runs a few blocks through `p` on `channels` channels, keyed or not, of
/// every length up to `FRAMES`.
fn blocks(p: &mut dyn Processor, channels: usize, keyed: bool) {
    let mut data = [[0f32; FRAMES]; MAX_CHANNELS];
    let mut key = [[0f32; FRAMES]; 2];
    fill(&mut data, 7);
    fill(&mut key, 11);
    let key_views: [&[f32]; 2] = [&key[0][..], &key[1][..]];
    for len in [1, 7, 64, FRAMES] {
        let mut io: [&mut [f32]; MAX_CHANNELS] = data.each_mut().map(|c| &mut c[..len]);
        let sc = keyed.then_some(&key_views[..]);
        assert_no_alloc(|| p.process(&mut io[..channels], sc));
    }
}

#[test]
fn compressor_never_allocates_after_prepare() {
    let mut c = Compressor::new();
    c.prepare(48_000, MAX_CHANNELS, FRAMES);
    for detector in [Detector::Peak, Detector::Rms] {
        for link in [true, false] {
            assert_no_alloc(|| {
                c.set_detector(detector);
                c.set_link(link);
            });
            for channels in [1, 2, MAX_CHANNELS] {
                blocks(&mut c, channels, false);
                blocks(&mut c, channels, true);
            }
        }
    }
    assert_no_alloc(|| {
        c.set_threshold_db(-30.0);
        c.set_ratio(8.0);
        c.set_knee_db(12.0);
        c.set_attack_ms(0.1);
        c.set_release_ms(3000.0);
        c.set_makeup_db(6.0);
        c.set_ratio(f32::NAN);
        let _ = c.static_gain_db(-10.0);
        let _ = c.reduction_db();
        let _ = c.latency();
        c.reset();
    });
    blocks(&mut c, 2, true);
}

#[test]
fn gate_never_allocates_after_prepare() {
    let mut g = Gate::new();
    g.prepare(48_000, MAX_CHANNELS, FRAMES);
    for ratio in [1.0, 4.0] {
        for link in [true, false] {
            assert_no_alloc(|| {
                g.set_ratio(ratio);
                g.set_link(link);
            });
            for channels in [1, 2, MAX_CHANNELS] {
                blocks(&mut g, channels, false);
                blocks(&mut g, channels, true);
            }
        }
    }
    assert_no_alloc(|| {
        g.set_threshold_db(-20.0);
        g.set_range_db(80.0);
        g.set_attack_ms(0.5);
        g.set_hold_ms(1000.0);
        g.set_release_ms(400.0);
        g.set_hold_ms(f32::INFINITY);
        let _ = g.static_gain_db(-40.0);
        let _ = g.reduction_db();
        let _ = g.latency();
        g.reset();
    });
    blocks(&mut g, 2, true);
}

#[test]
fn de_esser_never_allocates_after_prepare() {
    let mut d = DeEsser::new();
    d.prepare(48_000, MAX_CHANNELS, FRAMES);
    for split in [true, false] {
        for link in [true, false] {
            assert_no_alloc(|| {
                d.set_split_band(split);
                d.set_link(link);
            });
            for channels in [1, 2, MAX_CHANNELS] {
                blocks(&mut d, channels, false);
                blocks(&mut d, channels, true);
            }
        }
    }
    assert_no_alloc(|| {
        d.set_freq(5000.0);
        d.set_threshold_db(-40.0);
        d.set_range_db(18.0);
        d.set_freq(f32::NAN);
        let _ = d.static_reduction_db(-10.0);
        let _ = d.reduction_db();
        let _ = d.latency();
        d.reset();
    });
    blocks(&mut d, 2, false);
}
