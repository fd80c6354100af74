//! Deterministic mutation tests of every reader of untrusted bytes in this
//! crate: the decoder (WAV, RF64, AIFF, FLAC, MP3, Ogg, MP4 headers), the
//! library's header reader, the peak cache and the library index. Fixed
//! seeds, a bounded number of inputs: each mutated input must give an error
//! or a value, never a panic, and never allocate more than a bound while
//! being read (a counting allocator watches).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use dubstage_media::library::{Library, ScanProgress, read_header, scan};
use dubstage_media::{
    AudioBuffer, CacheKey, PeakPyramid, WavFileWriter, WavFormat, decode_file,
    install_quiet_decode_panic_hook,
};

/// Counts live bytes and the peak since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Most any one input may allocate while it is read (its own size is a few
/// hundred kilobytes at most).
const BOUND: usize = 64 << 20;

/// One reader at a time in this binary (the counts are process-wide).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A mutant of `seed`: header bytes flipped, a size field set to an
/// extreme, a cut, bytes inserted or removed, or noise anywhere.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let head = b.len().min(512);
        match rng.below(6) {
            0 if head > 0 => {
                for _ in 0..=rng.below(8) {
                    let i = rng.below(head);
                    b[i] ^= 1 << rng.below(8);
                }
            }
            1 => {
                let i = rng.below(head.saturating_sub(4).max(1)) & !1;
                let v: u32 = [
                    0,
                    1,
                    2,
                    0xFFFF_FFFF,
                    0x7FFF_FFFF,
                    0x8000_0000,
                    0xFFFF,
                    48_000,
                ][rng.below(8)];
                if i + 4 <= b.len() {
                    b[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            2 => b.truncate(rng.below(b.len() + 1)),
            3 => {
                let i = rng.below(head + 1).min(b.len());
                let n = rng.below(64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(i..i, bytes);
            }
            4 => {
                let i = rng.below(head + 1).min(b.len());
                let end = (i + rng.below(64)).min(b.len());
                b.drain(i..end);
            }
            _ => {
                if !b.is_empty() {
                    for _ in 0..=rng.below(16) {
                        let i = rng.below(b.len());
                        b[i] = rng.next() as u8;
                    }
                }
            }
        }
    }
    b
}

/// Reads every mutant of `seed` with `read` under the checks; returns how
/// many were read.
fn fuzz(name: &str, seed: &[u8], count: usize, salt: u64, read: &mut dyn FnMut(&Path)) -> usize {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ salt);
    for k in 0..count {
        let input = mutate(seed, &mut rng);
        std::fs::write(&path, &input).expect("write");
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&path)));
        let used = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        if outcome.is_err() || used > BOUND {
            let keep = std::env::temp_dir().join(format!("dubstage-fuzz-{name}-{k}"));
            let _ = std::fs::write(&keep, &input);
            panic!(
                "{name} mutant {k}: {} (allocated {used} bytes); input kept at {}",
                if outcome.is_err() {
                    "panicked"
                } else {
                    "over the bound"
                },
                keep.display()
            );
        }
    }
    count
}

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/media/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn ours(format: WavFormat, channels: usize, rf64: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("seed.wav");
    let x: Vec<f32> = (0..3000).map(|i| ((i % 97) as f32 / 97.0) - 0.5).collect();
    let chans: Vec<&[f32]> = (0..channels).map(|_| x.as_slice()).collect();
    let mut w = WavFileWriter::create(&p, format, 48_000, channels).expect("create");
    if rf64 {
        w = w.rf64_above(0);
    }
    w.write_planar(&chans).expect("write");
    w.finish().expect("finish");
    std::fs::read(&p).expect("read")
}

#[test]
fn decoding_and_header_reading_survive_thousands_of_mutated_files() {
    install_quiet_decode_panic_hook();
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("a.wav", ours(WavFormat::Int16, 2, false)),
        ("b.wav", ours(WavFormat::Int24, 1, false)),
        ("c.wav", ours(WavFormat::Float32, 6, false)),
        ("d.wav", ours(WavFormat::Int24, 2, true)),
        ("e.aiff", fixture("ref.aiff")[..8_000].to_vec()),
        ("f.flac", fixture("ref16.flac")),
        ("g.mp3", fixture("ref.mp3")),
        ("h.ogg", fixture("ref.ogg")),
        ("i.m4a", fixture("ref.m4a")),
    ];
    let mut total = 0;
    for (i, (name, seed)) in seeds.iter().enumerate() {
        total += fuzz(name, seed, 400, i as u64, &mut |p| {
            let _ = decode_file(p);
            let _ = read_header(p);
        });
    }
    assert_eq!(total, 3_600);
}

#[test]
fn the_peak_cache_reader_survives_mutated_caches() {
    let audio = AudioBuffer {
        sample_rate: 48_000,
        channels: vec![(0..20_000).map(|i| (i as f32 * 0.01).sin()).collect()],
    };
    let pyramid = PeakPyramid::build(&audio, &AtomicBool::new(false), &mut |_| {}).expect("build");
    let dir = tempfile::tempdir().expect("dir");
    let src = dir.path().join("src.wav");
    std::fs::write(&src, b"source").expect("source");
    let key = CacheKey::for_file(&src, &audio).expect("key");
    let cache = dir.path().join("c.peaks");
    pyramid.save(&cache, &key).expect("save");
    let seed = std::fs::read(&cache).expect("read");
    let n = fuzz("c.peaks", &seed, 1_500, 77, &mut |p| {
        let _ = PeakPyramid::load(p, &key);
    });
    assert_eq!(n, 1_500);
}

#[test]
fn the_library_index_reader_survives_mutated_indexes() {
    let dir = tempfile::tempdir().expect("dir");
    for (i, f) in ["mono.wav", "bwf.wav", "ref16.flac"]
        .into_iter()
        .enumerate()
    {
        std::fs::write(dir.path().join(format!("{i}_{f}")), fixture(f)).expect("copy");
    }
    let (lib, _) = scan(
        &[dir.path().to_path_buf()],
        &Library::default(),
        &ScanProgress::default(),
    );
    assert_eq!(lib.entries.len(), 3);
    let index = dir.path().join("library.idx");
    lib.save(&index).expect("save");
    let seed = std::fs::read(&index).expect("read");
    let n = fuzz("library.idx", &seed, 1_500, 99, &mut |p| {
        let _ = Library::load(p);
    });
    assert_eq!(n, 1_500);
}

#[test]
fn the_counting_allocator_sees_allocations() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let v = vec![0u8; 1 << 20];
    assert!(PEAK.load(Ordering::Relaxed) - base >= 1 << 20);
    drop(v);
}
