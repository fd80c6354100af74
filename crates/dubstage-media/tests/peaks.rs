//! Waveform peak pyramids: queries against brute force over the raw samples
//! (random signals, ranges and zooms, every level), level selection, channel
//! layouts, the cache file (round trip, stale keys, every kind of damage,
//! no allocation from lying headers), cache naming, cancellation, progress.
//!
//! Everything is deterministic (a fixed-seed generator) and nothing depends
//! on wall-clock time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use dubstage_media::peaks::{BASE, CACHE_EXTENSION};
use dubstage_media::{AudioBuffer, CacheKey, MediaError, Peak, PeakPyramid, cache_path};

// ---------------------------------------------------------------------------
// Allocation tracking: the largest single allocation made by this thread.

struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| {
        if size > l.get() {
            l.set(size);
        }
    });
}

// SAFETY: forwards to `System` unchanged; only records sizes.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// Runs `f` and returns its result with the largest allocation it made.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    let result = f();
    (result, LARGEST.with(Cell::get))
}

// ---------------------------------------------------------------------------
// Helpers.

/// SplitMix64: small, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi] (inclusive).
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    /// Log-uniform in [lo, hi).
    fn log(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.unit() * (hi.ln() - lo.ln())).exp()
    }
}

/// A test signal: segments of noise at random levels (including overs
/// above full scale), sines, silence, DC and single-sample spikes.
fn signal(rng: &mut Rng, frames: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(frames);
    while out.len() < frames {
        let len = (rng.log(1.0, 5000.0) as usize).min(frames - out.len());
        let kind = rng.next() % 5;
        let amp = rng.log(1e-4, 2.0);
        let freq = rng.unit() * 0.2;
        let dc = (rng.unit() * 2.0 - 1.0) as f32;
        for i in 0..len {
            let x = match kind {
                0 => (rng.unit() * 2.0 - 1.0) * amp,
                1 => (i as f64 * freq).sin() * amp,
                2 => 0.0,
                3 => f64::from(dc),
                _ if rng.next().is_multiple_of(50) => (rng.unit() * 2.0 - 1.0) * 1.5,
                _ => (rng.unit() * 2.0 - 1.0) * 1e-3,
            };
            out.push(x as f32);
        }
    }
    out
}

fn audio(rng: &mut Rng, frames: usize, channels: usize) -> AudioBuffer {
    AudioBuffer {
        sample_rate: 48_000,
        channels: (0..channels).map(|_| signal(rng, frames)).collect(),
    }
}

fn build(audio: &AudioBuffer) -> PeakPyramid {
    PeakPyramid::build(audio, &AtomicBool::new(false), &mut |_| {}).expect("built")
}

/// Min/max over `samples[a..b]` (clipped to ±1, as stored).
fn brute(samples: &[f32], a: usize, b: usize) -> (f32, f32) {
    assert!(a < b && b <= samples.len(), "brute over {a}..{b}");
    samples[a..b]
        .iter()
        .map(|x| x.clamp(-1.0, 1.0))
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
}

/// One step of the stored scale, plus room for `f32` rounding.
const Q: f32 = 1.0 / 32767.0 + 1e-6;

/// `got` encloses `want` and is at most one quantisation step wider.
fn assert_quantised(got: (f32, f32), want: (f32, f32), context: &dyn Fn() -> String) {
    let ok = got.0 <= want.0 + 1e-6
        && got.0 >= want.0 - Q
        && got.1 >= want.1 - 1e-6
        && got.1 <= want.1 + Q;
    assert!(ok, "got {got:?}, brute force {want:?}: {}", context());
}

/// Samples `[first_block · block, last_block · block)` clipped to `frames`.
fn blocks_window(first_block: u64, last_block: u64, block: u64, frames: usize) -> (usize, usize) {
    let a = (first_block * block) as usize;
    let b = ((last_block * block) as usize).min(frames);
    (a, b)
}

const SIZES: [usize; 14] = [
    1, 5, 15, 16, 17, 31, 32, 33, 100, 1000, 4097, 16_384, 65_543, 200_003,
];

// ---------------------------------------------------------------------------
// Structure.

#[test]
fn levels_halve_up_to_one_pair_covering_the_source() {
    let mut rng = Rng(1);
    for frames in SIZES {
        let audio = audio(&mut rng, frames, 2);
        let p = build(&audio);
        assert_eq!(p.frames(), frames as u64);
        assert_eq!(p.channels(), 2);
        assert_eq!(p.sample_rate(), 48_000);
        let top = p.levels() - 1;
        assert!(PeakPyramid::block_size(top) >= frames as u64);
        assert!(top == 0 || PeakPyramid::block_size(top - 1) < frames as u64);
        for ch in 0..2 {
            for level in 0..p.levels() {
                let pairs = p.pairs(ch, level).expect("level exists");
                let block = PeakPyramid::block_size(level) as usize;
                assert_eq!(
                    pairs.len(),
                    frames.div_ceil(block),
                    "{frames} level {level}"
                );
                if level > 0 {
                    // Level n+1 combines pairs 2i and 2i+1 of level n.
                    let below = p.pairs(ch, level - 1).expect("level exists");
                    for (i, pair) in pairs.iter().enumerate() {
                        let mut want = below[2 * i];
                        if let Some(&next) = below.get(2 * i + 1) {
                            want = want.union(next);
                        }
                        assert_eq!(*pair, want, "{frames} level {level} pair {i}");
                    }
                }
            }
            let whole = p.pairs(ch, top).expect("top")[0].to_f32();
            assert_quantised(whole, brute(&audio.channels[ch], 0, frames), &|| {
                format!("{frames} frames: top pair")
            });
        }
        assert!(p.pairs(2, 0).is_none());
        assert!(p.pairs(0, p.levels()).is_none());
    }
}

#[test]
fn level0_pairs_enclose_their_block_within_one_step() {
    let mut rng = Rng(2);
    let audio = audio(&mut rng, 10_007, 1);
    let p = build(&audio);
    for (i, pair) in p.pairs(0, 0).expect("level 0").iter().enumerate() {
        let a = i * BASE;
        let b = (a + BASE).min(10_007);
        assert_quantised(pair.to_f32(), brute(&audio.channels[0], a, b), &|| {
            format!("pair {i}")
        });
    }
}

#[test]
fn full_scale_overs_nan_and_infinity() {
    let mut samples = vec![0.25f32; 64];
    samples[0] = 1.0;
    samples[1] = -1.0;
    samples[16] = 3.0; // over: clamps to full scale
    samples[17] = -7.5;
    samples[32] = f32::NAN; // ignored in a block with other samples
    samples[33] = -0.5;
    samples[48..64].fill(f32::NAN); // a block of only NaN is (0, 0)
    let p = build(&AudioBuffer {
        sample_rate: 48_000,
        channels: vec![samples],
    });
    let pairs = p.pairs(0, 0).expect("level 0");
    assert_eq!(
        pairs[0],
        Peak {
            min: -32767,
            max: 32767
        }
    );
    assert_eq!(
        pairs[1],
        Peak {
            min: -32767,
            max: 32767
        }
    );
    assert_eq!(pairs[2].min, (-0.5f64 * 32767.0).floor() as i16);
    assert_eq!(pairs[2].max, (0.25f64 * 32767.0).ceil() as i16);
    assert_eq!(pairs[3], Peak::default());
    assert_eq!(p.range(0, 0, 16), Some((-1.0, 1.0)));

    let inf = build(&AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![f32::INFINITY, f32::NEG_INFINITY, 0.0]],
    });
    assert_eq!(inf.range(0, 0, 3), Some((-1.0, 1.0)));
}

#[test]
fn empty_and_inconsistent_buffers_do_not_panic() {
    let cancel = AtomicBool::new(false);
    for channels in [vec![], vec![vec![]], vec![vec![], vec![]]] {
        let count = channels.len();
        let p = PeakPyramid::build(
            &AudioBuffer {
                sample_rate: 44_100,
                channels,
            },
            &cancel,
            &mut |_| {},
        )
        .expect("built");
        assert_eq!((p.frames(), p.channels(), p.levels()), (0, count, 1));
        assert_eq!(p.range(0, 0, 100), None);
        assert_eq!(p.range_at_level(0, 0, 0, 100), None);
        let mut out = [(1.0, 1.0); 8];
        p.columns(0, 0.0, 10.0, &mut out);
        assert_eq!(out, [(0.0, 0.0); 8]);
    }
    // A second channel shorter than the first reads as silence past its end.
    let p = build(&AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![0.5; 100], vec![-0.5; 20]],
    });
    assert_eq!(p.frames(), 100);
    let (lo, hi) = p.range(1, 0, 100).expect("in range");
    assert!((lo + 0.5).abs() < Q && hi == 0.0, "{lo} {hi}");
    assert_eq!(p.range(1, 40, 100), Some((0.0, 0.0)));
}

// ---------------------------------------------------------------------------
// Queries against brute force.

#[test]
fn range_equals_brute_force_over_the_covered_level0_blocks() {
    let mut rng = Rng(3);
    let mut checked = 0;
    for (n, frames) in SIZES.into_iter().enumerate() {
        let channels = [1, 2, 6][n % 3];
        let audio = audio(&mut rng, frames, channels);
        let p = build(&audio);
        let f = frames as i64;
        for _ in 0..400 {
            let ch = rng.next() as usize % channels;
            let start = rng.int(-40, f + 40);
            let width = rng.log(1.0, 2.0 * f as f64 + 100.0) as i64 - 1;
            let end = start + width;
            let got = p.range(ch, start, end);
            let (s, e) = (start.clamp(0, f), end.clamp(0, f));
            if s >= e {
                assert_eq!(got, None, "{frames} frames, {start}..{end}");
                continue;
            }
            let b = BASE as u64;
            let (a, z) = blocks_window(s as u64 / b, (e as u64).div_ceil(b), b, frames);
            let got = got.expect("non-empty range");
            assert_quantised(got, brute(&audio.channels[ch], a, z), &|| {
                format!("{frames} frames, ch {ch}, {start}..{end}")
            });
            // The answer always encloses the exact range.
            let exact = brute(&audio.channels[ch], s as usize, e as usize);
            assert!(got.0 <= exact.0 + 1e-6 && got.1 >= exact.1 - 1e-6);
            checked += 1;
        }
    }
    assert!(checked > 2500, "{checked}");
}

#[test]
fn block_aligned_ranges_are_exact() {
    let mut rng = Rng(4);
    let frames = 123_457;
    let audio = audio(&mut rng, frames, 2);
    let p = build(&audio);
    for _ in 0..2000 {
        let ch = rng.next() as usize % 2;
        let a = rng.int(0, (frames / BASE) as i64) * BASE as i64;
        let blocks = 1 << rng.int(0, 13);
        let b = (a + rng.int(1, blocks) * BASE as i64).min(frames as i64);
        if a >= b {
            continue;
        }
        let want = brute(&audio.channels[ch], a as usize, b as usize);
        assert_quantised(p.range(ch, a, b).expect("in range"), want, &|| {
            format!("{a}..{b}")
        });
    }
}

#[test]
fn narrow_ranges_give_the_level0_pair_containing_them() {
    let mut rng = Rng(5);
    let audio = audio(&mut rng, 4096, 1);
    let p = build(&audio);
    let pairs = p.pairs(0, 0).expect("level 0");
    for _ in 0..1000 {
        let block = rng.int(0, 255);
        let a = block * 16 + rng.int(0, 15);
        let b = rng.int(a + 1, block * 16 + 16);
        assert_eq!(p.range(0, a, b), Some(pairs[block as usize].to_f32()));
        assert_eq!(
            p.range_at_level(0, 0, a, b),
            Some(pairs[block as usize].to_f32())
        );
    }
}

#[test]
fn range_at_every_level_equals_brute_force_over_that_levels_blocks() {
    let mut rng = Rng(6);
    for (n, frames) in SIZES.into_iter().enumerate() {
        let channels = [2, 6, 1][n % 3];
        let audio = audio(&mut rng, frames, channels);
        let p = build(&audio);
        let f = frames as i64;
        // One level past the top is capped to the top.
        for level in 0..=p.levels() {
            let block = PeakPyramid::block_size(level.min(p.levels() - 1));
            for _ in 0..60 {
                let ch = rng.next() as usize % channels;
                let start = rng.int(-20, f + 20);
                let end = start + rng.log(1.0, 2.0 * f as f64 + 100.0) as i64 - 1;
                let got = p.range_at_level(ch, level, start, end);
                let (s, e) = (start.clamp(0, f), end.clamp(0, f));
                if s >= e {
                    assert_eq!(got, None);
                    continue;
                }
                let (a, z) =
                    blocks_window(s as u64 / block, (e as u64).div_ceil(block), block, frames);
                assert_quantised(
                    got.expect("non-empty range"),
                    brute(&audio.channels[ch], a, z),
                    &|| format!("{frames} frames, level {level}, {start}..{end}"),
                );
            }
        }
    }
}

/// Checks `columns` against brute force for one view, returning how many
/// columns overlapped the source.
fn check_columns(
    p: &PeakPyramid,
    audio: &AudioBuffer,
    ch: usize,
    start: f64,
    spp: f64,
    n: usize,
) -> usize {
    let frames = audio.frames();
    let samples = &audio.channels[ch];
    let mut out = vec![(f32::NAN, f32::NAN); n];
    p.columns(ch, start, spp, &mut out);
    let level = p.level_for(spp);
    let block = PeakPyramid::block_size(level);
    let pairs = p.pairs(ch, level).expect("level").len() as u64;
    let mut inside = 0;
    for (i, &got) in out.iter().enumerate() {
        let x0 = start + i as f64 * spp;
        let x1 = start + (i + 1) as f64 * spp;
        let context = || format!("{frames} frames, ch {ch}, start {start}, spp {spp}, column {i}");
        if x1 <= 0.0 || x0 >= frames as f64 {
            assert_eq!(got, (0.0, 0.0), "outside: {}", context());
            continue;
        }
        inside += 1;
        // Exactly the level's blocks touched by [x0, x1) (at least one).
        let first = ((x0 / block as f64).floor().max(0.0) as u64).min(pairs - 1);
        let last = ((x1 / block as f64).ceil() as u64).clamp(first + 1, pairs);
        let (a, z) = blocks_window(first, last, block, frames);
        assert_quantised(got, brute(samples, a, z), &context);
        // Independently of the block arithmetic: it encloses the samples
        // inside the column, and stays within one column width (or BASE)
        // of it on either side.
        let s = x0.ceil().max(0.0) as usize;
        let e = (x1.ceil().max(0.0) as usize).min(frames);
        if s < e {
            let exact = brute(samples, s, e);
            assert!(
                got.0 <= exact.0 + 1e-6 && got.1 >= exact.1 - 1e-6,
                "{}",
                context()
            );
        }
        let margin = spp.max(BASE as f64);
        let wa = (x0 - margin).floor().max(0.0) as usize;
        let wz = ((x1 + margin).ceil().max(0.0) as usize).min(frames);
        let wide = brute(samples, wa, wz);
        assert!(got.0 >= wide.0 - Q && got.1 <= wide.1 + Q, "{}", context());
    }
    inside
}

#[test]
fn columns_equal_brute_force_at_every_zoom() {
    let mut rng = Rng(7);
    let mut inside = 0;
    let mut levels_seen = std::collections::BTreeSet::new();
    for (n, frames) in SIZES.into_iter().enumerate() {
        let channels = [6, 1, 2][n % 3];
        let audio = audio(&mut rng, frames, channels);
        let p = build(&audio);
        for _ in 0..40 {
            let ch = rng.next() as usize % channels;
            let spp = rng.log(0.05, 4.0 * frames as f64 + 64.0);
            let width = rng.int(1, 300) as usize;
            let start = (rng.unit() * 1.4 - 0.3) * frames as f64 - rng.unit() * spp * 10.0;
            levels_seen.insert(p.level_for(spp));
            inside += check_columns(&p, &audio, ch, start, spp, width);
        }
        // Integer and block-aligned views, as a UI would use.
        for level in 0..p.levels() {
            let spp = PeakPyramid::block_size(level) as f64;
            inside += check_columns(&p, &audio, 0, 0.0, spp, frames / spp as usize + 2);
        }
    }
    assert!(inside > 20_000, "{inside}");
    assert!(levels_seen.len() >= 12, "{levels_seen:?}");
}

#[test]
fn aligned_columns_are_exact() {
    let mut rng = Rng(8);
    let frames = 96_000;
    let audio = audio(&mut rng, frames, 1);
    let p = build(&audio);
    // Exact when the column width is a power of two (so a whole number of
    // the chosen level's blocks) and the view starts on a block boundary.
    for spp in [16usize, 32, 64, 256, 1024, 4096, 16_384] {
        let start = 3 * spp;
        let mut out = vec![(0.0, 0.0); frames / spp - 3];
        p.columns(0, start as f64, spp as f64, &mut out);
        for (i, &got) in out.iter().enumerate() {
            let a = start + i * spp;
            let want = brute(&audio.channels[0], a, (a + spp).min(frames));
            assert_quantised(got, want, &|| format!("spp {spp}, column {i}"));
        }
    }
}

#[test]
fn columns_outside_the_source_are_zero() {
    let mut rng = Rng(9);
    let audio = audio(&mut rng, 1000, 2);
    let p = build(&audio);
    let mut out = [(9.0f32, 9.0f32); 100];
    // Entirely before, entirely after.
    p.columns(0, -2000.0, 10.0, &mut out);
    assert!(out.iter().all(|&c| c == (0.0, 0.0)));
    p.columns(1, 1000.0, 0.5, &mut out);
    assert!(out.iter().all(|&c| c == (0.0, 0.0)));
    // Straddling the start: 20 columns before (exactly ending at 0), then audio.
    p.columns(0, -200.0, 10.0, &mut out);
    assert!(out[..20].iter().all(|&c| c == (0.0, 0.0)));
    assert_eq!(out[20], p.range(0, 0, 16).expect("in range"));
    // Straddling the end: columns from 1000 on are zero.
    p.columns(0, 500.0, 10.0, &mut out);
    assert!(out[..50].iter().any(|&c| c != (0.0, 0.0)));
    assert!(out[50..].iter().all(|&c| c == (0.0, 0.0)));
    // Missing channel, degenerate zoom or position: all zero.
    for (ch, start, spp) in [
        (2, 0.0, 10.0),
        (0, 0.0, 0.0),
        (0, 0.0, -5.0),
        (0, 0.0, f64::NAN),
        (0, 0.0, f64::INFINITY),
        (0, f64::NAN, 10.0),
        (0, f64::NEG_INFINITY, 10.0),
    ] {
        out.fill((9.0, 9.0));
        p.columns(ch, start, spp, &mut out);
        assert!(out.iter().all(|&c| c == (0.0, 0.0)), "{ch} {start} {spp}");
    }
    // Zero columns is fine.
    p.columns(0, 0.0, 10.0, &mut []);
    assert_eq!(p.range(2, 0, 10), None);
    assert_eq!(p.range(0, 1000, 2000), None);
    assert_eq!(p.range(0, -10, 0), None);
    assert_eq!(p.range(0, 50, 50), None);
    assert_eq!(p.range(0, i64::MIN, i64::MAX), p.range(0, 0, 1000));
}

#[test]
fn columns_do_not_allocate() {
    let mut rng = Rng(10);
    let audio = audio(&mut rng, 100_000, 2);
    let p = build(&audio);
    let mut out = vec![(0.0, 0.0); 2000];
    let ((), largest) = largest_allocation(|| {
        for spp in [0.3, 1.0, 17.0, 50.0, 1000.0, 1e6] {
            p.columns(1, -100.0, spp, &mut out);
            let _ = p.range(1, 5, 99_000);
        }
    });
    assert_eq!(largest, 0);
}

#[test]
fn level_selection() {
    let p = build(&AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![0.0; 1_000_000]],
    });
    // 16 << 16 = 1_048_576 is the first block covering a million frames.
    assert_eq!(p.levels(), 17);
    for (spp, level) in [
        (f64::NAN, 0),
        (-3.0, 0),
        (0.0, 0),
        (0.5, 0),
        (15.99, 0),
        (16.0, 0),
        (31.99, 0),
        (32.0, 1),
        (63.0, 1),
        (64.0, 2),
        (100.0, 2),
        (1024.0, 6),
        (1_048_575.9, 15),
        (1_048_576.0, 16),
        (1e12, 16),
        (f64::INFINITY, 16),
    ] {
        assert_eq!(p.level_for(spp), level, "spp {spp}");
    }
    let mut rng = Rng(11);
    for _ in 0..10_000 {
        let spp = rng.log(16.0, 1e8);
        let level = p.level_for(spp);
        assert!(PeakPyramid::block_size(level) as f64 <= spp, "{spp}");
        assert!(
            level == 16 || PeakPyramid::block_size(level + 1) as f64 > spp,
            "{spp}"
        );
    }
    let tiny = build(&AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![0.0; 10]],
    });
    assert_eq!(tiny.levels(), 1);
    assert_eq!(tiny.level_for(1e9), 0);
}

#[test]
fn channels_are_independent_mono_stereo_six() {
    for channels in [1usize, 2, 6] {
        // Channel c is a square wave at amplitude (c+1)/8, offset by c.
        let frames = 5000;
        let audio = AudioBuffer {
            sample_rate: 48_000,
            channels: (0..channels)
                .map(|c| {
                    let amp = (c + 1) as f32 / 8.0;
                    (0..frames)
                        .map(|i| {
                            if (i / 7 + c) % 2 == 0 {
                                amp
                            } else {
                                -amp * 0.5
                            }
                        })
                        .collect()
                })
                .collect(),
        };
        let p = build(&audio);
        assert_eq!(p.channels(), channels);
        for c in 0..channels {
            let amp = (c + 1) as f32 / 8.0;
            assert_quantised(
                p.range(c, 0, frames as i64).expect("in range"),
                (-amp * 0.5, amp),
                &|| format!("{channels} channels, channel {c}"),
            );
            let mut out = [(0.0, 0.0); 10];
            p.columns(c, 0.0, 500.0, &mut out);
            for col in out {
                assert_quantised(col, (-amp * 0.5, amp), &|| format!("channel {c}"));
            }
        }
        assert_eq!(p.range(channels, 0, 10), None);
    }
}

// ---------------------------------------------------------------------------
// Cancellation and progress.

#[test]
fn cancel_before_start_and_during_build() {
    let mut rng = Rng(12);
    let audio = audio(&mut rng, 1_000_000, 2);
    let cancel = AtomicBool::new(true);
    let mut calls = 0;
    let r = PeakPyramid::build(&audio, &cancel, &mut |_| calls += 1);
    assert!(matches!(r, Err(MediaError::Cancelled)), "{r:?}");
    assert_eq!(calls, 0);
    assert_eq!(MediaError::Cancelled.path(), None);

    // Cancelled from the progress callback (as a UI thread would, via the
    // flag): the build stops before finishing.
    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let r = PeakPyramid::build(&audio, &cancel, &mut |f| {
        seen.push(f);
        if f >= 0.3 {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    assert!(matches!(r, Err(MediaError::Cancelled)), "{r:?}");
    assert!(
        seen.last().is_some_and(|&f| (0.3..0.4).contains(&f)),
        "{seen:?}"
    );
}

#[test]
fn progress_rises_to_one_at_most_a_hundred_times() {
    let mut rng = Rng(13);
    for (frames, channels) in [(0, 1), (10, 1), (100_000, 1), (3_000_000, 2), (700_001, 6)] {
        let audio = audio(&mut rng, frames, channels);
        let mut seen = Vec::new();
        PeakPyramid::build(&audio, &AtomicBool::new(false), &mut |f| seen.push(f)).expect("built");
        assert!(
            !seen.is_empty() && seen.len() <= 100,
            "{} calls",
            seen.len()
        );
        assert_eq!(seen.last(), Some(&1.0));
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert!(seen.iter().all(|&f| f > 0.0 && f <= 1.0));
        if frames * channels >= 3_000_000 {
            assert!(
                seen.len() >= 50,
                "{} calls for {frames}×{channels}",
                seen.len()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Cache files.

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn key_for(p: &PeakPyramid) -> CacheKey {
    CacheKey {
        source_len_bytes: 1_234_567,
        source_mtime_ns: 1_700_000_000_123_456_789,
        frames: p.frames(),
        channels: p.channels() as u32,
        sample_rate: p.sample_rate(),
    }
}

/// The documented checksum, implemented independently.
fn format_checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x100_0000_01b3);
    }
    (h ^ bytes.len() as u64).wrapping_mul(0x100_0000_01b3)
}

/// Replaces the checksum of a cache image with the right one for its body.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 8;
    let sum = format_checksum(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
}

/// A small saved cache (stereo, 100 frames) and its key.
fn small_cache(dir: &Path) -> (PathBuf, CacheKey, PeakPyramid, Vec<u8>) {
    let mut rng = Rng(14);
    let p = build(&audio(&mut rng, 100, 2));
    let key = key_for(&p);
    let path = dir.join("small.dspk");
    p.save(&path, &key).expect("saved");
    let bytes = fs::read(&path).expect("read back");
    (path, key, p, bytes)
}

fn expect_corrupt(r: Result<Option<PeakPyramid>, MediaError>, path: &Path, what: &str) {
    match r {
        Err(e @ MediaError::CorruptPeakCache { .. }) => {
            assert_eq!(e.path(), Some(path), "{what}");
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{what}: {msg}");
        }
        other => panic!("{what}: expected a corrupt-cache error, got {other:?}"),
    }
}

#[test]
fn cache_round_trip_equals_the_built_pyramid() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng(15);
    for (frames, channels) in [(0, 1), (1, 1), (17, 2), (4097, 6), (200_003, 2)] {
        let p = build(&audio(&mut rng, frames, channels));
        let key = key_for(&p);
        // The directory is created on demand.
        let sub = dir.path().join(format!("cache-{frames}"));
        let path = sub.join("x.dspk");
        p.save(&path, &key).expect("saved");
        assert_eq!(listing(&sub), ["x.dspk"], "no temporary file left");
        let loaded = PeakPyramid::load(&path, &key)
            .expect("readable")
            .expect("key matches");
        assert_eq!(loaded, p, "{frames} frames × {channels}");
        assert_eq!(loaded.levels(), p.levels());

        // The documented layout.
        let bytes = fs::read(&path).expect("read");
        assert_eq!(&bytes[0..4], b"DSPK");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().expect("4")), 1);
        assert_eq!(
            u64::from_le_bytes(bytes[8..16].try_into().expect("8")),
            key.source_len_bytes
        );
        assert_eq!(
            i128::from_le_bytes(bytes[16..32].try_into().expect("16")),
            key.source_mtime_ns
        );
        assert_eq!(
            u64::from_le_bytes(bytes[32..40].try_into().expect("8")),
            frames as u64
        );
        assert_eq!(
            u32::from_le_bytes(bytes[40..44].try_into().expect("4")),
            channels as u32
        );
        assert_eq!(
            u32::from_le_bytes(bytes[44..48].try_into().expect("4")),
            48_000
        );
        assert_eq!(u32::from_le_bytes(bytes[48..52].try_into().expect("4")), 16);
        assert_eq!(
            u32::from_le_bytes(bytes[52..56].try_into().expect("4")),
            p.levels() as u32
        );
        let pairs: usize = (0..p.levels())
            .map(|l| p.pairs(0, l).map_or(0, <[Peak]>::len))
            .sum();
        assert_eq!(bytes.len(), 56 + pairs * channels * 4 + 8);
        if frames > 0 {
            let first = p.pairs(0, 0).expect("level 0")[0];
            assert_eq!(i16::from_le_bytes([bytes[56], bytes[57]]), first.min);
            assert_eq!(i16::from_le_bytes([bytes[58], bytes[59]]), first.max);
        }
        let n = bytes.len() - 8;
        assert_eq!(
            u64::from_le_bytes(bytes[n..].try_into().expect("8")),
            format_checksum(&bytes[..n])
        );
    }
}

#[test]
fn save_replaces_an_existing_cache_atomically() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng(16);
    let a = build(&audio(&mut rng, 1000, 1));
    let b = build(&audio(&mut rng, 3000, 2));
    let path = dir.path().join("c.dspk");
    a.save(&path, &key_for(&a)).expect("saved");
    b.save(&path, &key_for(&b)).expect("replaced");
    assert_eq!(listing(dir.path()), ["c.dspk"]);
    assert_eq!(
        PeakPyramid::load(&path, &key_for(&a)).expect("readable"),
        None
    );
    assert_eq!(
        PeakPyramid::load(&path, &key_for(&b)).expect("readable"),
        Some(b)
    );
}

#[test]
fn save_refuses_a_key_that_does_not_describe_the_peaks() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let p = build(&AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![0.1; 500]],
    });
    let path = dir.path().join("c.dspk");
    for key in [
        CacheKey {
            frames: 501,
            ..key_for(&p)
        },
        CacheKey {
            channels: 2,
            ..key_for(&p)
        },
        CacheKey {
            sample_rate: 44_100,
            ..key_for(&p)
        },
    ] {
        let r = p.save(&path, &key);
        assert!(matches!(r, Err(MediaError::Write { .. })), "{r:?}");
    }
    assert!(listing(dir.path()).is_empty());
    // A directory where the file should be: an I/O error, temp file removed.
    fs::create_dir(&path).expect("directory");
    let r = p.save(&path, &key_for(&p));
    assert!(matches!(r, Err(MediaError::Io { .. })), "{r:?}");
    assert_eq!(listing(dir.path()), ["c.dspk"]);
}

#[test]
fn stale_keys_missing_files_and_other_versions_load_as_none() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (path, key, p, bytes) = small_cache(dir.path());
    assert_eq!(PeakPyramid::load(&path, &key).expect("readable"), Some(p));
    for stale in [
        CacheKey {
            source_len_bytes: key.source_len_bytes + 1,
            ..key
        },
        CacheKey {
            source_mtime_ns: key.source_mtime_ns - 1,
            ..key
        },
        CacheKey {
            frames: key.frames + 1,
            ..key
        },
        CacheKey { channels: 1, ..key },
        CacheKey {
            sample_rate: 44_100,
            ..key
        },
    ] {
        assert_eq!(
            PeakPyramid::load(&path, &stale).expect("readable"),
            None,
            "{stale:?}"
        );
    }
    assert_eq!(
        PeakPyramid::load(&dir.path().join("missing.dspk"), &key).expect("no error"),
        None
    );
    let mut other_version = bytes.clone();
    other_version[4..8].copy_from_slice(&2u32.to_le_bytes());
    fs::write(&path, &other_version).expect("written");
    assert_eq!(PeakPyramid::load(&path, &key).expect("readable"), None);
}

#[test]
fn key_for_file_tracks_length_and_modification_time() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let source = dir.path().join("door.wav");
    fs::write(&source, vec![0u8; 1000]).expect("written");
    let audio = AudioBuffer {
        sample_rate: 48_000,
        channels: vec![vec![0.0; 10]; 3],
    };
    let key = CacheKey::for_file(&source, &audio).expect("key");
    let mtime = fs::metadata(&source)
        .expect("meta")
        .modified()
        .expect("mtime");
    let ns = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos() as i128;
    assert_eq!(
        key,
        CacheKey {
            source_len_bytes: 1000,
            source_mtime_ns: ns,
            frames: 10,
            channels: 3,
            sample_rate: 48_000,
        }
    );
    // A set modification time (no sleeping): the key follows it.
    let file = fs::File::options().write(true).open(&source).expect("open");
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
        .expect("set mtime");
    drop(file);
    let touched = CacheKey::for_file(&source, &audio).expect("key");
    assert_eq!(touched.source_mtime_ns, 1_000_000_000_000_000);
    fs::write(&source, vec![0u8; 1001]).expect("rewritten");
    assert_eq!(
        CacheKey::for_file(&source, &audio)
            .expect("key")
            .source_len_bytes,
        1001
    );

    let missing = CacheKey::for_file(&dir.path().join("gone.wav"), &audio);
    assert!(matches!(missing, Err(MediaError::Io { .. })), "{missing:?}");
}

#[test]
fn every_truncation_is_an_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (path, key, _, bytes) = small_cache(dir.path());
    for len in 0..bytes.len() {
        fs::write(&path, &bytes[..len]).expect("written");
        expect_corrupt(
            PeakPyramid::load(&path, &key),
            &path,
            &format!("{len} bytes"),
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    fs::write(&path, &longer).expect("written");
    expect_corrupt(PeakPyramid::load(&path, &key), &path, "trailing byte");
}

#[test]
fn every_single_bit_flip_is_detected() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (path, key, _, bytes) = small_cache(dir.path());
    let mut rng = Rng(17);
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 1 << (rng.next() % 8);
        fs::write(&path, &damaged).expect("written");
        let r = PeakPyramid::load(&path, &key);
        match i {
            // Version or key: some other file's cache — stale, not corrupt.
            4..48 => assert!(matches!(r, Ok(None)), "byte {i}: {r:?}"),
            _ => expect_corrupt(r, &path, &format!("bit flip in byte {i}")),
        }
    }
}

#[test]
fn wrong_magic_and_random_bytes_are_errors() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (path, key, _, bytes) = small_cache(dir.path());
    let mut wrong = bytes.clone();
    wrong[0..4].copy_from_slice(b"RIFF");
    fs::write(&path, &wrong).expect("written");
    expect_corrupt(PeakPyramid::load(&path, &key), &path, "wrong magic");

    let mut rng = Rng(18);
    for trial in 0..300 {
        let len = rng.int(0, 3000) as usize;
        let mut junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Half the time behind a valid header, so the body is what is judged.
        if trial % 2 == 1 && len >= 56 {
            junk[..56].copy_from_slice(&bytes[..56]);
        }
        fs::write(&path, &junk).expect("written");
        expect_corrupt(
            PeakPyramid::load(&path, &key),
            &path,
            &format!("junk {trial}"),
        );
    }
}

#[test]
fn out_of_range_pairs_with_a_valid_checksum_are_errors() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (path, key, p, bytes) = small_cache(dir.path());
    // Our independent checksum reproduces the file exactly.
    let mut same = bytes.clone();
    reseal(&mut same);
    assert_eq!(same, bytes);
    for (min, max) in [(100i16, -100i16), (i16::MIN, 0), (i16::MIN, i16::MIN)] {
        let mut bad = bytes.clone();
        bad[60..62].copy_from_slice(&min.to_le_bytes());
        bad[62..64].copy_from_slice(&max.to_le_bytes());
        reseal(&mut bad);
        fs::write(&path, &bad).expect("written");
        expect_corrupt(
            PeakPyramid::load(&path, &key),
            &path,
            &format!("pair ({min}, {max})"),
        );
    }
    // A resealed but otherwise valid edit loads (the checksum is the only
    // guard against in-range damage).
    let mut edited = bytes.clone();
    edited[56..58].copy_from_slice(&(-32767i16).to_le_bytes());
    reseal(&mut edited);
    fs::write(&path, &edited).expect("written");
    let loaded = PeakPyramid::load(&path, &key).expect("valid").expect("key");
    assert_ne!(loaded, p);
    assert_eq!(loaded.pairs(0, 0).expect("level 0")[0].min, -32767);
}

#[test]
fn lying_headers_fail_before_allocating() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("liar.dspk");
    // Positive control: the tracker sees large allocations.
    let (v, largest) = largest_allocation(|| vec![0u8; 8 << 20]);
    drop(v);
    assert!(largest >= 8 << 20);

    let header = |key: &CacheKey, base: u32, levels: u32| {
        let mut h = Vec::new();
        h.extend_from_slice(b"DSPK");
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&key.source_len_bytes.to_le_bytes());
        h.extend_from_slice(&key.source_mtime_ns.to_le_bytes());
        h.extend_from_slice(&key.frames.to_le_bytes());
        h.extend_from_slice(&key.channels.to_le_bytes());
        h.extend_from_slice(&key.sample_rate.to_le_bytes());
        h.extend_from_slice(&base.to_le_bytes());
        h.extend_from_slice(&levels.to_le_bytes());
        h
    };
    let key = |frames: u64, channels: u32| CacheKey {
        source_len_bytes: 1,
        source_mtime_ns: 2,
        frames,
        channels,
        sample_rate: 48_000,
    };
    let levels_for = |frames: u64| {
        let mut n = 0u32;
        while (16u128 << n) < u128::from(frames) {
            n += 1;
        }
        n + 1
    };
    let cases = [
        (
            key(u64::MAX, u32::MAX),
            16,
            levels_for(u64::MAX),
            "maximal sizes",
        ),
        (
            key(1 << 40, 6),
            16,
            levels_for(1 << 40),
            "a terabyte of frames",
        ),
        (
            key(100_000_000, 2),
            16,
            levels_for(100_000_000),
            "plausible sizes, short file",
        ),
        (key(1 << 40, 6), 16, u32::MAX, "huge level count"),
        (key(1000, 1), 16, 0, "zero levels"),
        (key(1000, 1), 0, levels_for(1000), "block size 0"),
        (key(1000, 1), u32::MAX, levels_for(1000), "huge block size"),
        (
            key(0, u32::MAX),
            16,
            1,
            "no frames, many channels, garbage body",
        ),
    ];
    for (key, base, levels, what) in cases {
        let mut bytes = header(&key, base, levels);
        bytes.extend_from_slice(&[0x55; 4096]);
        reseal(&mut bytes);
        fs::write(&path, &bytes).expect("written");
        let (r, largest) = largest_allocation(|| PeakPyramid::load(&path, &key));
        expect_corrupt(r, &path, what);
        assert!(largest < 1 << 20, "{what}: allocated {largest} bytes");
    }
}

// ---------------------------------------------------------------------------
// Cache naming.

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn cache_paths_are_stem_plus_path_hash() {
    let dir = Path::new("/project/peaks");
    let source = Path::new("/media/sfx/door_close.wav");
    let path = cache_path(dir, source);
    let hash = fnv1a64(b"/media/sfx/door_close.wav");
    assert_eq!(
        path,
        dir.join(format!("door_close-{hash:016x}.{CACHE_EXTENSION}"))
    );
    assert_eq!(cache_path(dir, source), path, "stable");
    assert_ne!(
        cache_path(dir, Path::new("/media/other/door_close.wav")),
        path
    );
    assert_ne!(
        cache_path(dir, Path::new("/media/sfx/door_close.flac")),
        path
    );

    // Relative sources are made absolute against the current directory.
    let cwd = std::env::current_dir().expect("current directory");
    assert_eq!(
        cache_path(dir, Path::new("a/take 1.wav")),
        cache_path(dir, &cwd.join("a/take 1.wav"))
    );

    let name = |source: &str| {
        cache_path(dir, Path::new(source))
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned()
    };
    let stem = |source: &str| {
        let n = name(source);
        n[..n.len() - ".dspk".len() - 17].to_string()
    };
    assert_eq!(stem("/x/take 1 (alt)*?.wav"), "take 1 _alt___");
    assert_eq!(stem("/x/Été-01_b.v2.wav"), "Été-01_b.v2");
    assert_eq!(stem("/"), "source");
    assert_eq!(stem(&format!("/x/{}.wav", "a".repeat(300))), "a".repeat(64));
    assert!(name("/x/y.wav").ends_with(".dspk"));
}
