use std::path::Path;
use std::time::Instant;
fn main() {
    let iters: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(200);
    std::panic::set_hook(Box::new(|_| {}));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/media/fixtures");
    let tmp = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9E3779B97F4A7C15;
    let mut rnd = move || { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; seed };
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let orig = std::fs::read(&p).unwrap();
        let (mut ok, mut warn, mut err, mut crash) = (0, 0, 0, 0);
        let mut slowest = 0.0f64;
        for i in 0..iters {
            let mut d = orig.clone();
            match rnd() % 4 {
                0 => { let n = 1 + rnd() % 16; for _ in 0..n { let at = (rnd() as usize) % d.len(); d[at] = rnd() as u8; } }
                1 => { let at = (rnd() as usize) % 200.min(d.len()); d[at] = rnd() as u8; let l = d.len(); d[(rnd() as usize) % l] ^= 0xff; }
                2 => { let at = (rnd() as usize) % d.len(); d.truncate(at.max(1)); }
                _ => { let at = (rnd() as usize) % d.len(); let len = (rnd() as usize % 512).min(d.len()-at); for b in &mut d[at..at+len] { *b = rnd() as u8; } }
            }
            let f = tmp.path().join(format!("f{i}.{}", p.extension().unwrap().to_string_lossy()));
            std::fs::write(&f, &d).unwrap();
            let t = Instant::now();
            match dubstage_media::decode_file(&f) {
                Ok(dd) if dd.warning.is_some() => warn += 1,
                Ok(_) => ok += 1,
                Err(e) => { let m = e.to_string(); if m.contains("crashed") { crash += 1; println!("  CRASH {}: {m}", p.display()); std::fs::copy(&f, format!("/tmp/crash_{}_{i}", p.file_name().unwrap().to_string_lossy())).unwrap(); } else { err += 1 } }
            }
            slowest = slowest.max(t.elapsed().as_secs_f64());
            std::fs::remove_file(&f).unwrap();
        }
        println!("{}: ok={ok} warn={warn} err={err} crash={crash} slowest={slowest:.3}s", p.file_name().unwrap().to_string_lossy());
    }
}
