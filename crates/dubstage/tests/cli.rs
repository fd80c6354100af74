//! The `dubstage` command line, run as a user would: real files in, real
//! WAV files out, one readable line and a non-zero exit on every bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn project(name: &str) -> PathBuf {
    repo().join("tests/projects").join(name)
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn dubstage(args: &[&str]) -> Run {
    finish(Command::new(env!("CARGO_BIN_EXE_dubstage")).args(args))
}

fn finish(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run dubstage");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The command fails with exactly one line on stderr, `error: …` containing every `needle`.
fn check_fails(args: &[&str], needles: &[&str]) {
    let r = dubstage(args);
    assert!(!r.ok, "{args:?} must fail; stdout: {}", r.stdout);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    for n in needles {
        assert!(lines[0].contains(n), "`{n}` not in: {}", lines[0]);
    }
}

fn render_bad(name: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.wav");
    let p = project(name);
    check_fails(
        &[
            "render",
            p.to_str().expect("utf-8 path"),
            "-o",
            out.to_str().expect("utf-8"),
        ],
        needles,
    );
    assert!(!out.exists(), "no output for a refused render");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "no temp files left"
    );
}

#[test]
fn missing_media_is_refused_listing_the_file() {
    render_bad(
        "missing_media.dubstage",
        &["does/not/exist.wav", "file not found", "--allow-missing"],
    );
}

#[test]
fn corrupt_media_is_refused_naming_file_and_cause() {
    render_bad("corrupt_media.dubstage", &["random.wav"]);
}

#[test]
fn malformed_project_reports_line_and_column() {
    render_bad("malformed.dubstage", &["malformed.dubstage:7:"]);
}

#[test]
fn future_version_is_refused() {
    render_bad("future_version.dubstage", &["format version 99 is newer"]);
}

#[test]
fn empty_binary_and_unknown_projects_are_refused() {
    render_bad("empty.dubstage", &["empty"]);
    render_bad("binary.dubstage", &["binary.dubstage"]);
    render_bad(
        "unknown_kind.dubstage",
        &["unknown_kind.dubstage:1:", "Theremin"],
    );
    render_bad(
        "no_such_file.dubstage",
        &["no_such_file.dubstage", "No such file"],
    );
}

#[test]
fn info_of_bad_projects_fails_cleanly() {
    for name in [
        "malformed.dubstage",
        "future_version.dubstage",
        "empty.dubstage",
    ] {
        let p = project(name);
        check_fails(&["info", p.to_str().expect("utf-8")], &[name]);
    }
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<f32>) {
    let mut r = hound::WavReader::open(path).expect("valid wav");
    let spec = r.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.expect("sample")).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.expect("sample") as f32 / scale)
                .collect()
        }
    };
    (spec, samples)
}

#[test]
fn hand_written_project_renders_master_and_stems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("mix.wav");
    let stems = dir.path().join("stems");
    let p = project("hand_written.dubstage");
    let args = [
        "render",
        p.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--stems",
        stems.to_str().expect("utf-8"),
        "--format",
        "wav32f",
    ];
    let r = dubstage(&args);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("peak"), "{}", r.stdout);
    let (spec, master) = read_wav(&out);
    assert_eq!((spec.channels, spec.sample_rate), (2, 48_000));
    // The session ends with the music clip at 12000 + 48000.
    assert_eq!(master.len(), 60_000 * 2);
    assert!(master.iter().any(|&s| s.abs() > 0.01), "audible");
    let mut sum = vec![0.0f32; master.len()];
    for bus in ["DIA", "FX", "MUS"] {
        let (_, stem) = read_wav(&stems.join(format!("mix_{bus}.wav")));
        assert_eq!(stem.len(), master.len());
        for (s, v) in sum.iter_mut().zip(stem) {
            *s += v;
        }
    }
    for (a, b) in sum.iter().zip(&master) {
        assert!((a - b).abs() < 1e-6, "stems sum to the master");
    }
    // Existing output is not overwritten without --force.
    check_fails(&args, &["already exists", "--force"]);
    let mut forced = args.to_vec();
    forced.push("--force");
    assert!(dubstage(&forced).ok);
}

#[test]
fn range_in_timecode_seconds_and_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = project("hand_written.dubstage");
    for (i, (a, b)) in [
        ("01:00:00:05", "01:00:01:00"),
        ("0.2s", "1s"),
        ("9600", "48000"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("r{i}.wav"));
        let r = dubstage(&[
            "render",
            p.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
            "--range",
            a,
            b,
            "--format",
            "wav16",
        ]);
        assert!(r.ok, "{}", r.stderr);
        let (spec, samples) = read_wav(&out);
        assert_eq!(spec.bits_per_sample, 16);
        // 25 fps: frame 5 = 0.2 s = 9600 samples; each range is 38400 frames.
        assert_eq!(samples.len(), 38_400 * 2, "range {a} {b}");
    }
    check_fails(
        &[
            "render",
            p.to_str().expect("utf-8"),
            "-o",
            "/tmp/x.wav",
            "--range",
            "1s",
            "0.5s",
        ],
        &["range is empty"],
    );
    check_fails(
        &[
            "render",
            p.to_str().expect("utf-8"),
            "-o",
            "/tmp/x.wav",
            "--range",
            "abc",
            "1s",
        ],
        &["abc"],
    );
}

#[test]
fn allow_missing_renders_silence_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("m.wav");
    let p = project("missing_media.dubstage");
    let r = dubstage(&[
        "render",
        p.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--allow-missing",
    ]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("does/not/exist.wav"), "{}", r.stderr);
    let (_, s) = read_wav(&out);
    assert_eq!(s.len(), 48_000 * 2);
    assert!(s[..24_000 * 2].iter().any(|&v| v != 0.0));
    assert!(
        s[24_000 * 2..].iter().all(|&v| v == 0.0),
        "missing clip is silent"
    );
}

#[test]
fn info_lists_tracks_clips_duration_and_missing_media() {
    let p = project("missing_media.dubstage");
    let r = dubstage(&["info", p.to_str().expect("utf-8")]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("Tracks    1"), "{}", r.stdout);
    assert!(
        r.stdout.contains("01:00:00:00 – 01:00:00:12"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Duration  00:00:01:00 (1.00 s)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("missing: "), "{}", r.stdout);
    assert!(r.stdout.contains("does/not/exist.wav"), "{}", r.stdout);
}

#[test]
fn output_into_a_missing_folder_fails_cleanly() {
    let p = project("hand_written.dubstage");
    check_fails(
        &[
            "render",
            p.to_str().expect("utf-8"),
            "-o",
            "/nonexistent/dir/x.wav",
        ],
        &["/nonexistent/dir"],
    );
}

#[test]
fn every_file_of_the_bad_media_corpus_is_refused_or_partly_used_never_a_panic() {
    let bad = repo().join("tests/media/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&bad)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus present");
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, f) in files.iter().enumerate() {
        let project = dir.path().join(format!("p{i}.dubstage"));
        std::fs::write(
            &project,
            format!(
                r#"(format_version: 1, project: (name: "bad {i}",
                    media: [(id: 100, path: "{}")],
                    tracks: [(id: 200, name: "FX", kind: Sfx, output: Bus(2), clips: [
                        (id: 300, media: 100, position: 0, length: 4800)])]))"#,
                f.display()
            ),
        )
        .expect("write project");
        let out = dir.path().join(format!("o{i}.wav"));
        let r = dubstage(&[
            "render",
            project.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
        if r.ok {
            // Partly decodable files render, with a warning naming them.
            assert!(
                r.stderr.contains(&name),
                "{name}: warning expected: {}",
                r.stderr
            );
        } else {
            let lines: Vec<&str> = r.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{name}: {}", r.stderr);
            assert!(
                lines[0].starts_with("error: ") && lines[0].contains(&name),
                "{}",
                lines[0]
            );
        }
    }
}

#[test]
fn play_works_without_an_audio_device() {
    let p = project("hand_written.dubstage");
    // The null backend explicitly, then whatever the machine has (on a
    // machine without a sound card this is the fallback to the null backend).
    for extra in [&["--null"][..], &[][..]] {
        let mut args = vec!["play", p.to_str().expect("utf-8"), "--to", "0.3s"];
        args.extend_from_slice(extra);
        let r = dubstage(&args);
        assert!(r.ok, "{}", r.stderr);
        assert!(
            r.stdout.contains("played 01:00:00:00 – 01:00:00:07"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("output: "), "{}", r.stdout);
    }
}

#[test]
fn devices_lists_or_explains() {
    let r = dubstage(&["devices"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(!r.stdout.is_empty());
}

/// A 2-second 25 fps H.264 movie with a start timecode and a tone.
fn test_movie(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let ok = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x180:rate=25:duration=2")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-c:a", "aac", "-timecode", "01:00:00:00", "-shortest"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs (installed by make test)")
        .success();
    assert!(ok, "ffmpeg made the test movie");
    path
}

#[test]
fn picture_probes_a_movie_and_decodes_a_frame() {
    let dir = tempfile::tempdir().unwrap();
    let movie = test_movie(dir.path(), "-reel 'one' $1.mov");
    let r = dubstage(&["picture", movie.to_str().unwrap(), "--frame", "37"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("h264 320x180"), "{}", r.stdout);
    assert!(r.stdout.contains("25 fps (25/1)"), "{}", r.stdout);
    assert!(r.stdout.contains("Frames    50"), "{}", r.stdout);
    assert!(r.stdout.contains("Timecode  01:00:00:00"), "{}", r.stdout);
    assert!(r.stdout.contains("aac 1 ch"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Decoded   frame 37 at 320x180"),
        "{}",
        r.stdout
    );
}

#[test]
fn picture_errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("renamed.mov");
    std::fs::write(&fake, "not a movie at all\n").unwrap();
    check_fails(
        &["picture", fake.to_str().unwrap()],
        &["renamed.mov", "not a movie ffmpeg can read"],
    );
    let movie = test_movie(dir.path(), "short.mov");
    check_fails(
        &["picture", movie.to_str().unwrap(), "--frame", "50"],
        &["frame 50 is outside the movie (0 to 49)"],
    );
    // ffmpeg absent: PATH without it.
    let out = Command::new(env!("CARGO_BIN_EXE_dubstage"))
        .args(["picture", movie.to_str().unwrap()])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ffmpeg was not found") && err.contains("sudo apt install ffmpeg"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

fn dubstage_with_data(args: &[&str], data: &Path) -> Run {
    finish(
        Command::new(env!("CARGO_BIN_EXE_dubstage"))
            .args(args)
            .env("XDG_DATA_HOME", data),
    )
}

#[test]
fn library_scans_searches_and_forgets_folders() {
    let dir = tempfile::tempdir().unwrap();
    let sounds = dir.path().join("sfx");
    std::fs::create_dir_all(&sounds).unwrap();
    for name in ["FOLYFtsp_Gravel Steps.wav", "DOORMetl_Slam Hard.wav"] {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(sounds.join(name), spec).unwrap();
        for _ in 0..4800 {
            w.write_sample(0i16).unwrap();
        }
        w.finalize().unwrap();
    }
    std::fs::write(sounds.join("broken.wav"), b"RIFF....WAVE").unwrap();
    let data = dir.path().join("data");
    let r = dubstage_with_data(&["library", "scan", sounds.to_str().unwrap()], &data);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("3 files in 1 folders: 3 new"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("unreadable:") && r.stdout.contains("broken.wav"),
        "{}",
        r.stdout
    );
    assert!(data.join("dubstage/library/index.dslb").exists());
    let r = dubstage_with_data(&["library", "search", "gravel", "steps"], &data);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("FOLEY") && r.stdout.contains("Gravel Steps"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("1 results"), "{}", r.stdout);
    // Rescan: nothing new.
    let r = dubstage_with_data(&["library", "scan"], &data);
    assert!(
        r.stdout.contains("0 new, 0 changed, 0 removed"),
        "{}",
        r.stdout
    );
    // The UCS subcategory is found by the words a Foley editor types.
    for query in ["footsteps", "footstep"] {
        let r = dubstage_with_data(&["library", "search", query], &data);
        assert!(
            r.ok && r.stdout.contains("Gravel Steps") && r.stdout.contains("1 results"),
            "{query}: {}",
            r.stdout
        );
    }
    let r = dubstage_with_data(&["library", "remove", sounds.to_str().unwrap()], &data);
    assert!(
        r.ok && r.stdout.contains("0 files in 0 folders"),
        "{}",
        r.stdout
    );
    let r = dubstage_with_data(&["library", "scan", "/nonexistent/folder"], &data);
    assert!(!r.ok && r.stderr.contains("not a folder"), "{}", r.stderr);
}

#[test]
fn loudness_measures_master_stems_and_dialogue() {
    let demo = repo().join("assets/demo/demo.dubstage");
    let r = dubstage(&["loudness", demo.to_str().unwrap(), "--range", "0s", "30s"]);
    assert!(r.ok, "{}", r.stderr);
    let master = r
        .stdout
        .lines()
        .find(|l| l.starts_with("Master"))
        .expect("a master row");
    let lufs: f64 = master.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((-40.0..-15.0).contains(&lufs), "{master}");
    for stem in ["DIA ", "FX ", "MUS "] {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(stem)),
            "{}",
            r.stdout
        );
    }
    assert!(
        r.stdout.contains("Dialogue-gated loudness -"),
        "{}",
        r.stdout
    );
    check_fails(
        &["loudness", demo.to_str().unwrap(), "--range", "10s", "5s"],
        &["the range is empty"],
    );
}

/// Integrated loudness, loudness range and true peak of a file as ffmpeg's
/// `ebur128` filter measures them (its summary).
fn ffmpeg_r128(path: &Path) -> (f64, f64, f64) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-filter_complex", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is installed by make test");
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = text.rsplit("Summary:").next().expect("a summary");
    let value = |key: &str| -> f64 {
        summary
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {summary}"))
    };
    (value("I:"), value("LRA:"), value("Peak:"))
}

/// The body of chunk `id` of a WAV file.
fn chunk_of(path: &Path, id: &[u8; 4]) -> Vec<u8> {
    let b = std::fs::read(path).expect("read");
    let mut i = 12;
    while i + 8 <= b.len() {
        let n = u32::from_le_bytes(b[i + 4..i + 8].try_into().expect("4 bytes")) as usize;
        if &b[i..i + 4] == id {
            return b[i + 8..i + 8 + n].to_vec();
        }
        i += 8 + n + (n & 1);
    }
    panic!(
        "no {} chunk in {}",
        String::from_utf8_lossy(id),
        path.display()
    )
}

fn bext_of(path: &Path) -> Vec<u8> {
    chunk_of(path, b"bext")
}

#[test]
fn renders_are_broadcast_wave_at_their_timecode_and_16_bit_is_dithered() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("mix.wav");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "10s",
        "11s",
        "--stems",
        dir.path().join("stems").to_str().unwrap(),
        "--scene",
        "12A",
        "--take",
        "3",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let ixml = String::from_utf8(chunk_of(&out, b"iXML")).expect("UTF-8 iXML");
    for part in [
        "<PROJECT>Kitchen – Night (demo)</PROJECT>",
        "<SCENE>12A</SCENE>",
        "<TAKE>3</TAKE>",
        "<TIMECODE_RATE>24/1</TIMECODE_RATE>",
    ] {
        assert!(ixml.contains(part), "{part} in {ixml}");
    }
    let bext = bext_of(&out);
    let tref = u64::from(u32::from_le_bytes(bext[338..342].try_into().unwrap()))
        | (u64::from(u32::from_le_bytes(bext[342..346].try_into().unwrap())) << 32);
    // 01:00:10:00 at 48 kHz.
    assert_eq!(tref, 3610 * 48_000);
    assert!(String::from_utf8_lossy(&bext[..256]).contains("(master)"));
    let stem = bext_of(&dir.path().join("stems/mix_DIA.wav"));
    assert!(String::from_utf8_lossy(&stem[..256]).contains("(DIA stem)"));
    // 16-bit: dithered by default, exact with --no-dither.
    let silent = |extra: &[&str]| {
        let f = dir.path().join(format!("s{}.wav", extra.len()));
        let mut args = vec![
            "render",
            demo.to_str().unwrap(),
            "-o",
            f.to_str().unwrap(),
            "--format",
            "wav16",
            "--range",
            "0s",
            "0.2s",
            "--force",
        ];
        args.extend_from_slice(extra);
        let r = dubstage(&args);
        assert!(r.ok, "{}", r.stderr);
        let mut rd = hound::WavReader::open(&f).unwrap();
        rd.samples::<i16>().map(|s| s.unwrap()).collect::<Vec<_>>()
    };
    let plain = silent(&["--no-dither"]);
    let dithered = silent(&[]);
    assert_ne!(plain, dithered, "dither changes the 16-bit samples");
    assert!(plain.iter().zip(&dithered).all(|(a, b)| (a - b).abs() <= 1));
}

#[test]
fn render_with_a_preset_normalises_and_writes_the_qc_report() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("r128.wav");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "0s",
        "20s",
        "--preset",
        "ebu-r128",
    ]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains("PASS  integrated loudness -23.00 LUFS"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("PASS  true peak at most -1.00 dBTP"),
        "{}",
        r.stdout
    );
    let json = std::fs::read_to_string(dir.path().join("r128.qc.json")).unwrap();
    assert!(json.contains("\"result\": \"PASS\""), "{json}");
    assert!(dir.path().join("r128.qc.txt").exists());
    assert!(dir.path().join("r128.qc.html").exists());
    // An independent meter (ffmpeg's ebur128 filter) agrees with the report.
    let (i, lra, tp) = ffmpeg_r128(&out);
    assert!((i - -23.0).abs() <= 0.1, "ffmpeg integrated {i}");
    let report_lra: f64 = json
        .split("\"loudness_range_lu\": ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.trim().parse().ok())
        .expect("the master's LRA in the report");
    assert!((lra - report_lra).abs() <= 1.0, "LRA {lra} vs {report_lra}");
    assert!(tp <= -1.0 + 0.2, "ffmpeg true peak {tp}");
    check_fails(
        &[
            "render",
            demo.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--force",
            "--preset",
            "loud",
        ],
        &["unknown preset `loud`", "ebu-r128"],
    );
}

#[test]
fn renders_flac_master_and_stems_that_decode_back() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("mix.flac");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "10s",
        "12s",
        "--format",
        "flac24",
        "--stems",
        dir.path().to_str().unwrap(),
    ]);
    assert!(r.ok, "{}", r.stderr);
    let wav = dir.path().join("ref.wav");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        wav.to_str().unwrap(),
        "--range",
        "10s",
        "12s",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let flac = dubstage_media::decode_file(&out).expect("FLAC decodes");
    let pcm = dubstage_media::decode_file(&wav).expect("WAV decodes");
    assert_eq!(flac.info.bits_per_sample, Some(24));
    assert_eq!(flac.audio, pcm.audio, "lossless: the same 24-bit samples");
    assert!(dir.path().join("mix_DIA.flac").exists());
}

#[test]
fn renders_at_another_sample_rate_with_the_right_length_and_timecode() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("m441.wav");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "10s",
        "12s",
        "--sample-rate",
        "44100",
        "--stems",
        dir.path().to_str().unwrap(),
    ]);
    assert!(r.ok, "{}", r.stderr);
    let rd = hound::WavReader::open(&out).unwrap();
    assert_eq!(rd.spec().sample_rate, 44_100);
    assert_eq!(rd.duration(), 88_200, "two seconds at 44.1 kHz");
    let bext = bext_of(&out);
    let tref = u64::from(u32::from_le_bytes(bext[338..342].try_into().unwrap()));
    assert_eq!(tref, 3610 * 44_100, "01:00:10:00 in 44.1 kHz samples");
    assert_eq!(
        hound::WavReader::open(dir.path().join("m441_DIA.wav"))
            .unwrap()
            .spec()
            .sample_rate,
        44_100
    );
    // No temporary render folder is left behind.
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".dubstage-render")
    }));
}

#[test]
fn a_review_copy_puts_the_master_on_the_picture_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("mix.wav");
    let review = dir.path().join("review.mov");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "10s",
        "14s",
        "--review-copy",
        review.to_str().unwrap(),
    ]);
    assert!(r.ok, "{}", r.stderr);
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,start_time",
            "-of",
            "flat",
        ])
        .arg(&review)
        .output()
        .expect("ffprobe");
    let s = String::from_utf8_lossy(&probe.stdout);
    assert!(s.contains("codec_name=\"h264\""), "picture copied: {s}");
    assert!(
        s.contains("codec_name=\"pcm_s24le\""),
        "PCM sound in a .mov: {s}"
    );
    // The audio starts 10 s into the picture (the range's start).
    let audio_start: f64 = s
        .lines()
        .filter(|l| l.contains("start_time"))
        .filter_map(|l| l.split('"').nth(1).and_then(|v| v.parse().ok()))
        .fold(0.0, f64::max);
    assert!((audio_start - 10.0).abs() < 0.01, "{s}");
    // Without a picture it says why.
    check_fails(
        &[
            "render",
            project("hand_written.dubstage").to_str().unwrap(),
            "-o",
            dir.path().join("x.wav").to_str().unwrap(),
            "--review-copy",
            dir.path().join("x.mov").to_str().unwrap(),
            "--allow-missing",
        ],
        &["needs a picture"],
    );
}

/// A write that fails part-way (here a file-size limit, which fails writes
/// the way a full disk does) and a destination that cannot be written give
/// one clear error line, and no file — finished or temporary — is left.
#[test]
fn a_failing_write_leaves_no_file_behind_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("mix.wav");
    for preset in [None, Some("ebu-r128")] {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg("ulimit -f 400 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_dubstage"))
            .args([
                "render",
                demo.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .arg("--stems")
            .arg(dir.path());
        if let Some(p) = preset {
            cmd.args(["--preset", p]);
        }
        let r = finish(&mut cmd);
        assert!(!r.ok, "the render must fail: {}", r.stdout);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", r.stderr);
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains("mix"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("too large"), "{}", lines[0]);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
    // A "folder" that is a file.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    check_fails(
        &[
            "render",
            demo.to_str().unwrap(),
            "-o",
            file.join("mix.wav").to_str().unwrap(),
            "--range",
            "0s",
            "1s",
        ],
        &["not-a-folder"],
    );
}

/// A range can run between two markers, named as in the project.
#[test]
fn a_range_between_two_markers_renders_exactly_that() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("scene.wav");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "door",
        "Ben sits",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let frames = hound::WavReader::open(&out).unwrap().duration();
    assert_eq!(frames, 1_179_569 - 576_000);
    check_fails(
        &[
            "render",
            demo.to_str().unwrap(),
            "-o",
            dir.path().join("x.wav").to_str().unwrap(),
            "--range",
            "Door",
            "Window",
        ],
        &["`Window` is not", "a marker", "\"Ben sits\""],
    );
}

/// A copy of the demo project in `dir` (its audio and picture copied, so a
/// faulty check could only damage the copy).
#[cfg(unix)]
fn demo_copy(dir: &Path) -> PathBuf {
    let demo = repo().join("assets/demo");
    std::fs::create_dir(dir.join("audio")).expect("demo copy");
    for e in std::fs::read_dir(demo.join("audio"))
        .expect("demo copy")
        .flatten()
    {
        std::fs::copy(e.path(), dir.join("audio").join(e.file_name())).expect("demo copy");
    }
    std::fs::create_dir(dir.join("picture")).expect("demo copy");
    std::fs::copy(
        demo.join("picture/kitchen_night.mp4"),
        dir.join("picture/kitchen_night.mp4"),
    )
    .expect("demo copy");
    std::fs::copy(demo.join("demo.dubstage"), dir.join("demo.dubstage")).expect("demo copy");
    dir.join("demo.dubstage")
}

/// No output (the review copy included) replaces one of the project's own
/// files, with or without --force, and an existing review copy is not
/// replaced without --force.
#[cfg(unix)]
#[test]
fn outputs_never_replace_the_projects_inputs_or_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path());
    let picture = dir.path().join("picture/kitchen_night.mp4");
    let before = std::fs::read(&picture).unwrap();
    let out = dir.path().join("mix.wav");
    let (p, out_s, pic) = (
        p.to_str().unwrap(),
        out.to_str().unwrap(),
        picture.to_str().unwrap(),
    );
    let base = ["render", p, "-o", out_s, "--range", "10s", "11s"];
    for force in [false, true] {
        let mut args = base.to_vec();
        args.extend(["--review-copy", pic]);
        if force {
            args.push("--force");
        }
        check_fails(
            &args,
            &["kitchen_night.mp4", "one of the project's own files"],
        );
        assert_eq!(
            std::fs::read(&picture).unwrap(),
            before,
            "the picture is intact"
        );
        assert!(!out.exists(), "nothing rendered");
    }
    // The master onto one of the project's audio files, with --force.
    let media = dir
        .path()
        .join("audio")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    check_fails(
        &[
            "render",
            p,
            "-o",
            media.to_str().unwrap(),
            "--range",
            "10s",
            "11s",
            "--force",
        ],
        &["one of the project's own files"],
    );
    // An existing review copy needs --force, and is checked before rendering.
    let review = dir.path().join("review.mov");
    std::fs::write(&review, b"keep me").unwrap();
    let mut args = base.to_vec();
    args.extend(["--review-copy", review.to_str().unwrap()]);
    check_fails(&args, &["review.mov", "already exists", "--force"]);
    assert_eq!(std::fs::read(&review).unwrap(), b"keep me");
    assert!(!out.exists(), "refused up front");
}

/// `-o` onto a device, pipe or folder is refused even with --force. (The
/// device is a copy of /dev/null's node made in a temporary folder, where
/// it is made at all: a regression must not be able to replace the
/// system's own /dev/null.)
#[cfg(unix)]
#[test]
fn outputs_onto_non_regular_files_are_refused_even_with_force() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let p = project("hand_written.dubstage");
    let fifo = dir.path().join("pipe.wav");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut targets = vec![fifo.clone(), dir.path().to_path_buf()];
    let device = dir.path().join("null.wav");
    let made = Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        targets.push(device.clone());
    }
    for target in &targets {
        check_fails(
            &[
                "render",
                p.to_str().unwrap(),
                "-o",
                target.to_str().unwrap(),
                "--force",
            ],
            &["not a regular file"],
        );
    }
    assert!(fifo.metadata().unwrap().file_type().is_fifo());
    if made {
        assert!(device.metadata().unwrap().file_type().is_char_device());
    }
}

/// The review copy's name reaches ffmpeg as a file: a name that looks like
/// an option or a protocol is written as a file of that name.
#[cfg(unix)]
#[test]
fn a_review_copy_named_like_an_option_or_protocol_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_copy(dir.path());
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for name in ["-y.mov", "pipe:1.mov"] {
        let r = finish(
            Command::new(env!("CARGO_BIN_EXE_dubstage"))
                .current_dir(&work)
                .args([
                    "render",
                    p.to_str().unwrap(),
                    "-o",
                    "mix.wav",
                    "--range",
                    "10s",
                    "11s",
                ])
                .arg("--force")
                .arg(format!("--review-copy={name}")),
        );
        assert!(r.ok, "{name}: {}", r.stderr);
        assert!(
            work.join(name).metadata().unwrap().len() > 1000,
            "{name} written"
        );
        assert!(!r.stdout.contains("ftyp"), "nothing on stdout");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temp left: {leftovers:?}");
}

/// Bus names that sanitise alike, or repeat, give one stem file each, the
/// listing names every file, and the stems still sum to the master.
#[test]
fn stem_names_that_collide_get_distinct_files() {
    let dir = tempfile::tempdir().unwrap();
    let media = repo().join("tests/media/fixtures/mono.wav");
    assert!(media.exists(), "{}", media.display());
    let names = ["A B", "A_B", "A.B", "DIA"];
    let mut buses = String::from("(id: 1, name: \"DIA\"), ");
    let mut tracks = String::new();
    for (i, n) in names.iter().enumerate() {
        buses.push_str(&format!("(id: {}, name: \"{n}\"), ", 10 + i));
        tracks.push_str(&format!(
            "(id: {}, name: \"T{i}\", kind: Sfx, output: Bus({}), clips: [(id: {}, media: 100, position: {}, length: 12000)]), ",
            200 + i,
            10 + i,
            300 + i,
            i * 6000
        ));
    }
    tracks.push_str(
        "(id: 299, name: \"Dia\", kind: Dialogue, output: Bus(1), clips: [(id: 399, media: 100, position: 0, length: 6000)]), ",
    );
    let text = format!(
        "(format_version: 3, project: (name: \"Clash\", sample_rate: 48000, frame_rate: (num: 25, den: 1), \
         media: [(id: 100, path: \"{}\")], buses: [{buses}], tracks: [{tracks}]))",
        media.display()
    );
    let p = dir.path().join("clash.dubstage");
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("mix.wav");
    let stems = dir.path().join("stems");
    let r = dubstage(&[
        "render",
        p.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--stems",
        stems.to_str().unwrap(),
        "--format",
        "wav32f",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let files: Vec<PathBuf> = std::fs::read_dir(&stems)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 5, "{files:?}");
    let listed = r.stdout.lines().filter(|l| l.contains("stems/")).count();
    assert_eq!(listed, files.len(), "{}", r.stdout);
    let (_, master) = read_wav(&out);
    let mut sum = vec![0.0f32; master.len()];
    for f in &files {
        let (_, stem) = read_wav(f);
        for (s, v) in sum.iter_mut().zip(stem) {
            *s += v;
        }
    }
    for (a, b) in sum.iter().zip(&master) {
        assert!((a - b).abs() < 1e-6, "stems sum to the master");
    }
}

/// Each subcommand's one-line description in `--help` is its own (those of
/// `loudness` and `picture` were once swapped).
#[test]
fn help_describes_each_subcommand_as_itself() {
    let r = dubstage(&["--help"]);
    assert!(r.ok, "{}", r.stderr);
    let line = |cmd: &str| -> String {
        r.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{cmd} ")))
            .unwrap_or_else(|| panic!("{cmd} in {}", r.stdout))
            .to_owned()
    };
    assert!(
        line("loudness").contains("loudness"),
        "{}",
        line("loudness")
    );
    assert!(line("picture").contains("movie"), "{}", line("picture"));
    assert!(!line("loudness").contains("movie"), "{}", line("loudness"));
}

/// SIGTERM or SIGINT in the middle of a render stops it with a non-zero
/// exit, removes every temporary file and publishes nothing; the next
/// render removes what a killed process left.
#[cfg(unix)]
#[test]
fn an_interrupted_render_cleans_up_and_stale_temps_are_removed() {
    let demo = repo().join("assets/demo/demo.dubstage");
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("mix.wav");
        let stems = dir.path().join("stems");
        // An hour: long enough to be caught while writing.
        let mut child = Command::new(env!("CARGO_BIN_EXE_dubstage"))
            .args([
                "render",
                demo.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .args(["--stems", stems.to_str().unwrap(), "--range", "0s", "3600s"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let temp_seen = || {
            std::fs::read_dir(dir.path())
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".mix.wav.tmp-"))
        };
        while !temp_seen() {
            assert!(child.try_wait().unwrap().is_none(), "still rendering");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // SAFETY: signalling our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
        let status = child.wait_with_output().unwrap();
        assert_eq!(status.status.code(), Some(code), "{sig}");
        assert!(String::from_utf8_lossy(&status.stderr).contains("interrupted"));
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .chain(
                std::fs::read_dir(&stems)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.file_name()),
            )
            .collect();
        assert!(left.iter().all(|n| n == "stems"), "left behind: {left:?}");
    }
    // What a killed process (a PID above Linux's pid_max) left is removed.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mix.wav");
    std::fs::write(dir.path().join(".mix.wav.tmp-4194304-0"), vec![0u8; 4096]).unwrap();
    std::fs::create_dir(dir.path().join(".dubstage-render-4194304")).unwrap();
    std::fs::write(dir.path().join(".dubstage-render-4194304/master.wav"), b"x").unwrap();
    let keep = dir.path().join(".other.wav.tmp-4194304-0");
    std::fs::write(&keep, b"not ours").unwrap();
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "10s",
        "11s",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".other.wav.tmp-4194304-0", "mix.wav"]);
}

/// The peak of a file oversampled 16× by ffmpeg's SoX resampler (an
/// interpolation computed independently of Dubstage's meter), in dBFS.
fn peak_16x(path: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args([
            "-af",
            "aresample=768000:resampler=soxr:precision=28,astats=measure_perchannel=none:measure_overall=Peak_level",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg is installed by make test");
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| l.split("Peak level dB:").nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("a peak in {text}"))
}

/// Three limited deliveries: each master sits at or under its true-peak
/// ceiling on ffmpeg's meter and on a 16× oversampled check, and within
/// 0.02 LU of its target on Dubstage's meter (0.1 on ffmpeg's). Figures
/// print with two decimals.
#[test]
fn limited_deliveries_sit_under_their_ceiling_on_independent_meters() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    for (name, target, ceiling, args) in [
        ("s16", -16.0, -1.0, vec!["--preset", "stream-16"]),
        (
            "c18",
            -18.0,
            -2.0,
            vec!["--target-lufs", "-18", "--ceiling-dbtp", "-2"],
        ),
        (
            "c20",
            -20.0,
            -3.0,
            vec!["--target-lufs", "-20", "--ceiling-dbtp", "-3"],
        ),
    ] {
        let out = dir.path().join(format!("{name}.wav"));
        let mut a = vec![
            "render",
            demo.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        a.extend(["--range", "30s", "45s"]);
        a.extend(args);
        let r = dubstage(&a);
        assert!(r.ok, "{name}: {}", r.stderr);
        assert!(r.stdout.contains(", limited"), "{name}: {}", r.stdout);
        let measured: f64 = r
            .stdout
            .lines()
            .find(|l| l.contains("loudness") && l.contains("PASS"))
            .and_then(|l| l.rsplit(": ").next())
            .and_then(|v| v.trim_end_matches(" LUFS").parse().ok())
            .unwrap_or_else(|| panic!("{}", r.stdout));
        assert!((measured - target).abs() <= 0.02, "{name}: {measured}");
        assert!(
            r.stdout.contains(&format!("{measured:.2} LUFS")),
            "two decimals: {}",
            r.stdout
        );
        let (i, _, tp) = ffmpeg_r128(&out);
        assert!((i - target).abs() <= 0.1, "{name}: ffmpeg integrated {i}");
        assert!(
            tp <= ceiling,
            "{name}: ffmpeg true peak {tp} over {ceiling}"
        );
        let p16 = peak_16x(&out);
        assert!(p16 <= ceiling, "{name}: 16x peak {p16:.3} over {ceiling}");
    }
}

/// A target that needs more than the allowed limiting fails (non-zero
/// exit, the reason said) after at most that much limiting, instead of
/// crushing the mix and exiting 0.
#[test]
fn an_unreachable_delivery_fails_and_limits_no_more_than_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let demo = repo().join("assets/demo/demo.dubstage");
    let out = dir.path().join("loud.wav");
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--range",
        "30s",
        "45s",
        "--target-lufs",
        "-5",
        "--ceiling-dbtp",
        "-1",
    ]);
    assert!(!r.ok, "{}", r.stdout);
    assert!(r.stderr.contains("does not meet"), "{}", r.stderr);
    assert!(
        r.stdout.contains("at most 6.0 dB of limiting"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("FAIL  integrated loudness"),
        "{}",
        r.stdout
    );
    // The report says so too.
    let json = std::fs::read_to_string(dir.path().join("loud.qc.json")).unwrap();
    assert!(json.contains("\"result\": \"FAIL\""), "{json}");
    // Missing the loudness never lets a peak over the ceiling (it once
    // stopped at the cap with the true peak still over).
    assert!(r.stdout.contains("PASS  true peak"), "{}", r.stdout);
    let (_, _, tp) = ffmpeg_r128(&out);
    assert!(tp <= -1.0, "ffmpeg true peak {tp}");
    // The gain applied left the loudest peak at most 6 dB over the ceiling
    // before limiting: gain <= ceiling - peak before + 6.
    let (_, _, tp_before) = {
        let plain = dir.path().join("plain.wav");
        let r = dubstage(&[
            "render",
            demo.to_str().unwrap(),
            "-o",
            plain.to_str().unwrap(),
            "--range",
            "30s",
            "45s",
        ]);
        assert!(r.ok, "{}", r.stderr);
        ffmpeg_r128(&plain)
    };
    let gain: f64 = json
        .split("\"gain_db\": ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.trim().parse().ok())
        .expect("gain in the report");
    assert!(
        gain <= -1.0 - tp_before + 6.0 + 0.3,
        "gain {gain} (peak before {tp_before})"
    );
    // More limiting can be allowed.
    let r = dubstage(&[
        "render",
        demo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--force",
        "--range",
        "30s",
        "45s",
        "--target-lufs",
        "-5",
        "--ceiling-dbtp",
        "-1",
        "--max-limiting",
        "abc",
    ]);
    assert!(!r.ok);
}

/// A typo in a clip length (1e12 samples: 231 days) is refused before
/// anything is written or measured, naming the clip; `--max-length`
/// allows a long render that is meant. So are more stems than one render
/// writes, with no temporary file left.
#[test]
fn absurd_lengths_and_output_plans_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let media = repo().join("tests/media/fixtures/mono.wav");
    let long = dir.path().join("long.dubstage");
    std::fs::write(
        &long,
        format!(
            "(format_version: 3, project: (name: \"Long\", media: [(id: 100, path: \"{}\")], \
             tracks: [(id: 200, name: \"Door\", kind: Sfx, output: Bus(2), clips: [\
             (id: 300, media: 100, position: 0, length: 1000000000000)])]))",
            media.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out.wav");
    let (l, o) = (long.to_str().unwrap(), out.to_str().unwrap());
    check_fails(
        &["render", l, "-o", o],
        &["hours long", "clip 300", "Door", "--max-length"],
    );
    check_fails(&["loudness", l], &["hours long", "--max-length"]);
    check_fails(
        &["render", l, "-o", o, "--max-length", "soon"],
        &["not a length"],
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "nothing written"
    );
    // 300 buses, each a stem.
    let mut buses = String::new();
    for i in 0..300 {
        buses.push_str(&format!("(id: {}, name: \"B{i}\"), ", 1000 + i));
    }
    let many = dir.path().join("many.dubstage");
    std::fs::write(
        &many,
        format!(
            "(format_version: 3, project: (name: \"Many\", media: [(id: 100, path: \"{}\")], \
             buses: [(id: 1, name: \"DIA\"), {buses}], tracks: [(id: 200, name: \"T\", kind: Dialogue, \
             output: Bus(1), clips: [(id: 300, media: 100, position: 0, length: 4800)])]))",
            media.display()
        ),
    )
    .unwrap();
    let stems = dir.path().join("stems");
    check_fails(
        &[
            "render",
            many.to_str().unwrap(),
            "-o",
            o,
            "--stems",
            stems.to_str().unwrap(),
        ],
        &["302 output files", "too many", "at most 256"],
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n != "long.dubstage" && n != "many.dubstage")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
