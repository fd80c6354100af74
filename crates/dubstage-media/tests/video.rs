//! Picture decoding against movies whose frames carry their own index.

use dubstage_media::video::test_movie::{self, MovieSpec};
use dubstage_media::video::{FrameServer, FrameSource, ServerConfig, Tools, VideoError, probe};
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn tools() -> Tools {
    Tools::locate().expect("ffmpeg is installed by `make test`")
}

fn movie(dir: &Path, name: &str, spec: &MovieSpec<'_>) -> PathBuf {
    let path = dir.join(name);
    test_movie::make(&tools(), &path, spec).expect("ffmpeg writes the test movie");
    path
}

fn wait_for_proxy(server: &FrameServer) {
    let start = std::time::Instant::now();
    while !server.proxy_progress().is_some_and(|(_, _, done)| done) {
        assert!(start.elapsed() < WAIT, "proxy not built in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn probe_reads_rate_frames_timecode_and_audio() {
    let dir = tempfile::tempdir().unwrap();
    let spec = MovieSpec {
        rate: (24000, 1001),
        frames: 48,
        timecode: Some("01:00:00:00"),
        audio: true,
        codec: &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ],
        ..MovieSpec::default()
    };
    let path = movie(dir.path(), "tc.mov", &spec);
    let info = probe(&tools(), &path).unwrap();
    assert_eq!((info.rate.num, info.rate.den), (24000, 1001));
    assert_eq!(info.frames, 48);
    assert_eq!((info.width, info.height), (320, 180));
    assert_eq!(info.timecode.as_deref(), Some("01:00:00:00"));
    assert_eq!(info.audio.len(), 1);
    assert_eq!(info.audio[0].channels, 2);
    assert_eq!(info.codec, "h264");
}

#[test]
fn random_seeks_deliver_exactly_the_requested_frame_from_the_movie() {
    let dir = tempfile::tempdir().unwrap();
    let spec = MovieSpec {
        frames: 240,
        ..MovieSpec::default()
    };
    let path = movie(dir.path(), "seek.mp4", &spec);
    let info = probe(&tools(), &path).unwrap();
    // No proxy: every jump is an accurate seek in the H.264 movie.
    let server = FrameServer::start(&tools(), info, ServerConfig::default());
    for (n, index) in test_movie::random_indices(100, 240, 7)
        .into_iter()
        .enumerate()
    {
        let f = server.wait_for(index, false, WAIT).unwrap();
        assert_eq!(f.index, index);
        assert_eq!(
            test_movie::read_index(f.width, f.height, &f.rgba),
            index,
            "seek #{n}"
        );
    }
}

#[test]
fn the_proxy_serves_every_frame_exactly_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let spec = MovieSpec {
        frames: 240,
        ..MovieSpec::default()
    };
    let path = movie(dir.path(), "proxy.mp4", &spec);
    let info = probe(&tools(), &path).unwrap();
    let config = ServerConfig {
        proxy_dir: Some(cache.clone()),
        ..ServerConfig::default()
    };
    let server = FrameServer::start(&tools(), info.clone(), config.clone());
    wait_for_proxy(&server);
    assert_eq!(server.proxy_progress(), Some((240, 240, true)));
    assert_eq!(server.proxy_error(), None);
    for index in test_movie::random_indices(100, 240, 11) {
        let f = server.wait_for(index, false, WAIT).unwrap();
        assert_eq!(f.source, FrameSource::Proxy);
        assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), index);
    }
    // Thumbnails come from the proxy.
    let t = loop {
        if let Some(t) = server.thumbnail(100) {
            break t;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(t.height, 54);
    assert_eq!(test_movie::read_index(t.width, t.height, &t.rgba), 100);
    drop(server);
    // A second server finds the finished proxy on disk.
    let again = FrameServer::start(&tools(), info, config);
    assert_eq!(again.proxy_progress(), Some((240, 240, true)));
}

#[test]
fn sequential_playback_reads_forward_without_seeking() {
    let dir = tempfile::tempdir().unwrap();
    let spec = MovieSpec {
        frames: 120,
        rate: (30000, 1001),
        ..MovieSpec::default()
    };
    let path = movie(dir.path(), "play.mp4", &spec);
    let info = probe(&tools(), &path).unwrap();
    let server = FrameServer::start(&tools(), info, ServerConfig::default());
    for index in 10..110 {
        let f = server.wait_for(index, true, WAIT).unwrap();
        assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), index);
    }
    // Locate back, then play on.
    for index in (5..40).chain(90..100) {
        let f = server.wait_for(index, true, WAIT).unwrap();
        assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), index);
    }
}

#[test]
fn odd_file_names_are_names_not_options() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "-starts with dash.mov",
        "it's \"quoted\" $HOME.mp4",
        "a;b|c&d.mkv",
    ] {
        let spec = MovieSpec {
            frames: 24,
            ..MovieSpec::default()
        };
        let path = movie(dir.path(), name, &spec);
        let info = probe(&tools(), &path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(info.frames, 24, "{name}");
        let server = FrameServer::start(&tools(), info, ServerConfig::default());
        let f = server.wait_for(17, false, WAIT).unwrap();
        assert_eq!(
            test_movie::read_index(f.width, f.height, &f.rgba),
            17,
            "{name}"
        );
    }
}

#[test]
fn a_text_file_named_mov_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.mov");
    std::fs::write(&path, "these are not frames\n".repeat(100)).unwrap();
    let err = probe(&tools(), &path).unwrap_err();
    assert!(matches!(err, VideoError::Unreadable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("notes.mov"), "{msg}");
    let missing = probe(&tools(), &dir.path().join("gone.mov")).unwrap_err();
    assert!(missing.to_string().contains("gone.mov"), "{missing}");
    // An audio file is not a picture.
    let wav = dir.path().join("tone.wav");
    dubstage_media::write_wav(
        &wav,
        dubstage_media::WavFormat::Float32,
        48_000,
        &[&[0.0; 4800]],
    )
    .unwrap();
    assert!(matches!(
        probe(&tools(), &wav),
        Err(VideoError::NoVideo { .. })
    ));
}

#[test]
fn a_truncated_movie_gives_what_it_has_and_errors_beyond() {
    let dir = tempfile::tempdir().unwrap();
    let spec = MovieSpec {
        frames: 240,
        // Fragmented MP4 stays playable when cut; the index is at the front.
        codec: &[
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "24",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "frag_keyframe+empty_moov",
        ],
        ..MovieSpec::default()
    };
    let path = movie(dir.path(), "whole.mp4", &spec);
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let info = match probe(&tools(), &cut) {
        Ok(info) => info,
        Err(e) => {
            // Refusing it outright is fine too, as long as it says why.
            assert!(e.to_string().contains("cut.mp4"), "{e}");
            return;
        }
    };
    let cache = dir.path().join("cache");
    let server = FrameServer::start(
        &tools(),
        info.clone(),
        ServerConfig {
            proxy_dir: Some(cache),
            ..ServerConfig::default()
        },
    );
    let f = server.wait_for(3, false, WAIT).unwrap();
    assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), 3);
    // Far past the cut: an error, not a panic or a wrong frame.
    match server.wait_for(info.frames.max(240) - 1, false, WAIT) {
        Ok(f) => assert_eq!(test_movie::read_index(f.width, f.height, &f.rgba), f.index),
        Err(e) => assert!(e.to_string().contains("cut.mp4"), "{e}"),
    }
    wait_for_proxy(&server);
}

#[test]
fn missing_ffmpeg_is_reported_with_the_install_command() {
    let err = Tools::locate_in(Some(std::ffi::OsStr::new(""))).unwrap_err();
    assert_eq!(err, VideoError::ToolMissing { tool: "ffmpeg" });
    assert!(err.to_string().contains("sudo apt install ffmpeg"));
    // A tool path that vanished after locating: the spawn error says the same.
    let gone = Tools {
        ffmpeg: "/nonexistent/ffmpeg".into(),
        ffprobe: "/nonexistent/ffprobe".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.mov");
    std::fs::write(&f, b"x").unwrap();
    assert_eq!(
        probe(&gone, &f).unwrap_err(),
        VideoError::ToolMissing { tool: "ffprobe" }
    );
}
