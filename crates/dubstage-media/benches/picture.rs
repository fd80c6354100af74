//! Picture benchmark: time from locate to the right frame being ready, and
//! sustained decode rate while playing, at the viewer size (960x540).
//!
//! Movies (1080p, 24 fps, 20 s, test pattern with grain so the encoders
//! work as on footage) are generated once into `target/bench-media/`:
//! H.264 at 16 Mbit/s (a typical 1080p delivery) with a keyframe every
//! second, the same with a single keyframe, and ProRes 422. For each: random seeks decoded from the movie itself (a fresh
//! accurate seek per locate), then the proxy build, then random seeks and
//! playback served from the proxy.
//!
//! `PICTURE_SEEKS` sets the number of movie seeks per file (default 30).

use dubstage_media::video::{FrameServer, FrameSource, ServerConfig, Tools, probe, test_movie};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

struct Movie {
    label: &'static str,
    file: &'static str,
    codec: &'static [&'static str],
}

const MOVIES: &[Movie] = &[
    Movie {
        label: "H.264 1080p, keyframe every 1 s",
        file: "h264_16M_gop24.mp4",
        codec: &[
            "-c:v", "libx264", "-preset", "veryfast", "-b:v", "16M", "-maxrate", "20M", "-bufsize",
            "32M", "-g", "24", "-bf", "3", "-pix_fmt", "yuv420p",
        ],
    },
    Movie {
        label: "H.264 1080p, single keyframe",
        file: "h264_16M_onekey.mp4",
        codec: &[
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-g",
            "100000",
            "-keyint_min",
            "100000",
            "-sc_threshold",
            "0",
            "-bf",
            "3",
            "-pix_fmt",
            "yuv420p",
        ],
    },
    Movie {
        label: "ProRes 422 1080p",
        file: "prores422.mov",
        codec: &[
            "-c:v",
            "prores_ks",
            "-profile:v",
            "2",
            "-pix_fmt",
            "yuv422p10le",
        ],
    },
];

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-media")
}

fn generate(tools: &Tools, m: &Movie) -> PathBuf {
    let path = bench_dir().join(m.file);
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(bench_dir()).expect("bench folder");
    eprintln!("generating {} …", m.file);
    let ok = Command::new(&tools.ffmpeg)
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1920x1080:rate=24:duration=20")
        .args(["-vf", "noise=alls=6:allf=t"])
        .args(m.codec)
        .arg(&path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "ffmpeg generated {}", m.file);
    path
}

fn stats(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (pick(0.5), pick(0.95))
}

/// Random seeks: request → the right frame delivered, in ms.
fn seeks(server: &FrameServer, frames: i64, n: usize, seed: u64) -> (f64, f64) {
    let mut last = -1000;
    let mut times = Vec::new();
    for index in test_movie::random_indices(n * 2, frames, seed) {
        // Jumps of less than two seconds would be read forward, not sought.
        if (index - last).abs() < 60 {
            continue;
        }
        last = index;
        let t = Instant::now();
        let f = server.wait_for(index, false, WAIT).expect("frame decodes");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(f.index, index);
        if times.len() == n {
            break;
        }
    }
    stats(times)
}

/// Playback: frames per second delivered in order, `playing` = true.
fn playback(server: &FrameServer, from: i64, count: i64) -> (f64, FrameSource) {
    server.wait_for(from, true, WAIT).expect("first frame");
    let t = Instant::now();
    let mut source = FrameSource::Movie;
    for i in from + 1..from + 1 + count {
        source = server
            .wait_for(i, true, WAIT)
            .expect("frame decodes")
            .source;
    }
    (count as f64 / t.elapsed().as_secs_f64(), source)
}

fn main() {
    let tools = match Tools::locate() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("picture benchmark skipped: {e}");
            return;
        }
    };
    let n: usize = std::env::var("PICTURE_SEEKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    println!("Picture: locate → correct frame ready, and playback decode rate, at 960x540");
    println!("| movie | source | seek median | seek p95 | playback fps | proxy build |");
    println!("|---|---|---|---|---|---|");
    for m in MOVIES {
        let path = generate(&tools, m);
        let info = probe(&tools, &path).expect("probe");
        let frames = info.frames;
        let fps = info.rate.fps();
        // From the movie itself: no proxy.
        let direct = FrameServer::start(&tools, info.clone(), ServerConfig::default());
        let (med, p95) = seeks(&direct, frames, n, 0x5EED);
        let (play, _) = playback(&direct, 10, 120);
        println!(
            "| {} | movie (ffmpeg seek) | {med:.0} ms | {p95:.0} ms | {play:.0} ({:.1}x) | |",
            m.label,
            play / fps
        );
        drop(direct);
        // Through the proxy, built fresh.
        let cache = bench_dir().join(format!("proxy-{}", m.file));
        let _ = std::fs::remove_dir_all(&cache);
        let t = Instant::now();
        let proxied = FrameServer::start(
            &tools,
            info,
            ServerConfig {
                proxy_dir: Some(cache),
                ..ServerConfig::default()
            },
        );
        while !proxied.proxy_progress().is_some_and(|(_, _, done)| done) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let build = t.elapsed().as_secs_f64();
        let (med, p95) = seeks(&proxied, frames, 100, 0xF00D);
        let (play, source) = playback(&proxied, 10, 240);
        assert_eq!(source, FrameSource::Proxy);
        println!(
            "| {} | proxy | {med:.1} ms | {p95:.1} ms | {play:.0} ({:.1}x) | {build:.1} s ({:.0} fps) |",
            m.label,
            play / fps,
            frames as f64 / build
        );
    }
}
