//! Sound library benchmark: indexing speed over a tree of 20,000 WAV files
//! (BWF with a `bext` description), first scan and rescan, and search latency
//! over a 100,000-entry index.
//!
//! The trees are generated once into `target/bench-media/library-*`.

use dubstage_media::library::{Library, Query, ScanProgress, scan};
use std::path::{Path, PathBuf};
use std::time::Instant;

const WORDS: &[&str] = &[
    "door",
    "slam",
    "wood",
    "metal",
    "creak",
    "footsteps",
    "gravel",
    "heels",
    "concrete",
    "rain",
    "wind",
    "forest",
    "night",
    "crickets",
    "city",
    "traffic",
    "distant",
    "close",
    "glass",
    "break",
    "water",
    "splash",
    "cloth",
    "rustle",
    "leather",
    "jacket",
    "kitchen",
    "fridge",
    "hum",
    "room",
    "tone",
    "car",
    "pass",
    "engine",
    "idle",
    "horn",
    "bird",
    "chirp",
    "dog",
    "bark",
    "crowd",
    "murmur",
    "applause",
    "phone",
    "ring",
    "keys",
    "jingle",
    "paper",
    "tear",
    "drawer",
];
const CATS: &[&str] = &[
    "FOLYFtsp",
    "AMBForst",
    "DOORWood",
    "WATRSplsh",
    "CLOTHMvmt",
    "VEHCar",
    "BIRDSong",
    "GLASBrk",
];

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn wav_bytes(description: &str, frames: u32) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    let mut chunk = |id: &[u8; 4], b: &[u8]| {
        body.extend_from_slice(id);
        body.extend_from_slice(&(b.len() as u32).to_le_bytes());
        body.extend_from_slice(b);
        if b.len() % 2 == 1 {
            body.push(0);
        }
    };
    let mut fmt = Vec::new();
    for v in [1u16, 2] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    fmt.extend_from_slice(&48_000u32.to_le_bytes());
    fmt.extend_from_slice(&(48_000u32 * 6).to_le_bytes());
    fmt.extend_from_slice(&6u16.to_le_bytes());
    fmt.extend_from_slice(&24u16.to_le_bytes());
    chunk(b"fmt ", &fmt);
    let mut bext = description.as_bytes().to_vec();
    bext.resize(602, 0);
    chunk(b"bext", &bext);
    chunk(b"data", &vec![0u8; frames as usize * 6]);
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}

/// `n` files in folders of 500, names and descriptions from the word list.
fn tree(root: &Path, n: usize) -> PathBuf {
    let marker = root.join(".complete");
    if marker.exists() {
        return root.to_owned();
    }
    eprintln!("generating {n} files in {} …", root.display());
    let _ = std::fs::remove_dir_all(root);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..n {
        let dir = root.join(format!("bank{:03}", i / 500));
        if i % 500 == 0 {
            std::fs::create_dir_all(&dir).expect("mkdir");
        }
        let mut pick = || WORDS[(xorshift(&mut x) % WORDS.len() as u64) as usize];
        let name = format!(
            "{}_{} {} {}_{i:06}.wav",
            CATS[i % CATS.len()],
            pick(),
            pick(),
            pick()
        );
        let desc = format!("{} {} {} {} {}", pick(), pick(), pick(), pick(), pick());
        std::fs::write(dir.join(name), wav_bytes(&desc, 16)).expect("write");
    }
    std::fs::write(&marker, b"").expect("marker");
    root.to_owned()
}

fn main() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-media");
    let small = tree(&base.join("library-20k"), 20_000);
    let folders = vec![small];
    // First scan (headers read; files in the OS cache after generation).
    let t = Instant::now();
    let (lib, report) = scan(&folders, &Library::default(), &ScanProgress::default());
    let first = t.elapsed().as_secs_f64();
    assert_eq!(report.added, 20_000);
    // Second scan of the same folder with a fresh index: warm OS cache.
    let t = Instant::now();
    let (_, _) = scan(&folders, &Library::default(), &ScanProgress::default());
    let warm = t.elapsed().as_secs_f64();
    // Rescan with the index: only size and mtime are checked.
    let t = Instant::now();
    let (_, r) = scan(&folders, &lib, &ScanProgress::default());
    let rescan = t.elapsed().as_secs_f64();
    assert_eq!(r.unchanged, 20_000);
    println!("Library indexing, 20,000 BWF files:");
    println!("| pass | time | files/s |");
    println!("|---|---|---|");
    println!(
        "| first scan (headers read) | {first:.2} s | {:.0} |",
        20_000.0 / first
    );
    println!(
        "| full scan, warm cache | {warm:.2} s | {:.0} |",
        20_000.0 / warm
    );
    println!(
        "| rescan, nothing changed | {rescan:.2} s | {:.0} |",
        20_000.0 / rescan
    );

    let big = tree(&base.join("library-100k"), 100_000);
    let (lib, _) = scan(&[big], &Library::default(), &ScanProgress::default());
    assert_eq!(lib.entries.len(), 100_000);
    let queries = [
        "door",
        "wood slam",
        "footsteps gravel",
        "night crickets forest",
        "glass",
        "rain wind",
        "kitchen fridge hum",
        "zzz",
        "a",
        "car pass engine",
    ];
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..5 {
        for q in queries {
            let query = Query {
                text: q.into(),
                ..Query::default()
            };
            let t = Instant::now();
            hits += lib.search(&query).len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let p95 = times[(times.len() as f64 * 0.95) as usize];
    println!(
        "Library search over 100,000 entries: median {median:.2} ms, p95 {p95:.2} ms ({} queries, {hits} hits)",
        times.len()
    );
}
