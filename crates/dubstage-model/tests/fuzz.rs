//! Deterministic mutation tests of the project loader: thousands of
//! mutants of real project files (the demo, a hand-written one, one with
//! every processor) must each load or give an error, never panic, and never
//! allocate more than a bound while being read.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use dubstage_model::file;

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

/// Most one mutant (tens of kilobytes of text) may allocate while loading.
const BOUND: usize = 64 << 20;

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

/// Values that break parsers and models: extremes, signs, non-numbers.
const NASTY: [&str; 14] = [
    "0",
    "-1",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "\"\"",
    "[]",
    "(",
];

fn mutate(seed: &str, rng: &mut Rng) -> String {
    let mut b: Vec<u8> = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(3) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len());
        match rng.below(6) {
            // A number replaced by a nasty value.
            0 => {
                if let Some(start) = (i..b.len()).find(|&k| b[k].is_ascii_digit()) {
                    let end = (start..b.len())
                        .find(|&k| !(b[k].is_ascii_digit() || b[k] == b'.'))
                        .unwrap_or(b.len());
                    let v = NASTY[rng.below(NASTY.len())].as_bytes().to_vec();
                    b.splice(start..end, v);
                }
            }
            1 => b[i] = b"()[],:\"0a-. \n"[rng.below(13)],
            2 => {
                let end = (i + rng.below(80)).min(b.len());
                b.drain(i..end);
            }
            3 => {
                let end = (i + rng.below(200)).min(b.len());
                let copy = b[i..end].to_vec();
                let at = rng.below(b.len());
                b.splice(at..at, copy);
            }
            4 => b.truncate(i),
            _ => {
                let nest = "(".repeat(rng.below(400));
                b.splice(i..i, nest.into_bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn seeds() -> Vec<(String, String)> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read =
        |p: &str| std::fs::read_to_string(repo.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    vec![
        ("demo".into(), read("assets/demo/demo.dubstage")),
        ("hand".into(), read("tests/projects/hand_written.dubstage")),
    ]
}

#[test]
fn the_project_loader_survives_thousands_of_mutated_projects() {
    let mut loaded = 0;
    let mut refused = 0;
    for (name, text) in seeds() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ name.len() as u64);
        for k in 0..3_000 {
            let input = mutate(&text, &mut rng);
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let outcome = std::panic::catch_unwind(|| {
                file::from_str(&input, Path::new("/p/x.dubstage"), Path::new("/p")).is_ok()
            });
            let used = PEAK.load(Ordering::Relaxed).saturating_sub(base);
            match outcome {
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
                Err(_) => {
                    let keep =
                        std::env::temp_dir().join(format!("dubstage-fuzz-{name}-{k}.dubstage"));
                    let _ = std::fs::write(&keep, &input);
                    panic!("{name} mutant {k} panicked; kept at {}", keep.display());
                }
            }
            assert!(used <= BOUND, "{name} mutant {k} allocated {used} bytes");
        }
    }
    assert_eq!(loaded + refused, 6_000);
    // The mutants exercise both outcomes.
    assert!(
        loaded > 100 && refused > 1_000,
        "{loaded} loaded, {refused} refused"
    );
}
