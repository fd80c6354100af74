//! Opening and saving a project through every kind of path: absolute,
//! relative with leading `..`, `./`, through a symlink. Media must resolve
//! beside the real project file and save back as the same relative path.
//!
//! Only the first test changes the working directory (which every thread
//! of the process shares); the others here use absolute paths.

use std::path::{Path, PathBuf};

use dubstage_model::file::{load, save};
use dubstage_model::{Command, Project, SampleLen, Session};

const TEXT_PATH: &str = "audio/x.wav";

fn project_file(dir: &Path) -> PathBuf {
    let mut s = Session::new(Project::new("paths"));
    s.apply(Command::AddMedia {
        path: dir.join(TEXT_PATH),
        name: "x.wav".into(),
        channels: 1,
        length: SampleLen(48_000),
    })
    .expect("media");
    let p = dir.join("p.dubstage");
    save(s.project(), &p).expect("save");
    p
}

#[test]
fn media_resolve_and_save_right_from_every_kind_of_project_path() {
    let root = tempfile::tempdir().expect("dir");
    let root = root.path().canonicalize().expect("canonical");
    let proj = root.join("proj");
    std::fs::create_dir_all(proj.join("audio")).expect("audio");
    std::fs::write(proj.join(TEXT_PATH), b"RIFF").expect("media file");
    std::fs::create_dir_all(root.join("a/b/c")).expect("cwd");
    std::fs::create_dir_all(root.join("links")).expect("links");
    let p = project_file(&proj);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&p, root.join("links/p.dubstage")).expect("link");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let expected = proj.join(TEXT_PATH);

    let mut cases: Vec<(PathBuf, PathBuf)> = vec![
        (root.clone(), p.clone()),
        (root.join("a/b"), "../../proj/p.dubstage".into()),
        (root.join("a/b/c"), "../../../proj/p.dubstage".into()),
        (root.join("a/b/c"), "../../../a/../proj/./p.dubstage".into()),
        (proj.clone(), "p.dubstage".into()),
        (proj.clone(), "./p.dubstage".into()),
        (root.clone(), "proj/p.dubstage".into()),
        (proj.join("audio"), "../p.dubstage".into()),
    ];
    if cfg!(unix) {
        cases.push((root.join("a/b"), "../../links/p.dubstage".into()));
        cases.push((root.clone(), root.join("links/p.dubstage")));
    }
    let before = std::env::current_dir().expect("cwd");
    for (cwd, path) in &cases {
        std::env::set_current_dir(cwd).expect("cd");
        let loaded = load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let media = &loaded.project.media[0].path;
        assert!(
            media.is_absolute(),
            "{}: {}",
            path.display(),
            media.display()
        );
        assert_eq!(
            media,
            &expected,
            "from {} as {}",
            cwd.display(),
            path.display()
        );
        // A plain save writes the same relative path back, into the real
        // file (a link stays a link), keeping its permissions.
        save(&loaded.project, path).expect("save");
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(
            text.contains(&format!("path: \"{TEXT_PATH}\"")),
            "{}: {text}",
            path.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let link = std::fs::symlink_metadata(root.join("links/p.dubstage")).expect("link");
            assert!(link.file_type().is_symlink(), "the link is kept");
            let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "permissions kept");
        }
        let bak = proj.join("p.dubstage.bak");
        assert!(load(&bak).is_ok(), "the backup is a whole project");
        let stray: Vec<_> = std::fs::read_dir(&proj)
            .expect("ls")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }
    std::env::set_current_dir(before).expect("cd back");
}

/// A save killed between its fsync and its rename leaves `.<name>.tmp-<pid>`;
/// the next load or save removes it when that process is gone, and leaves a
/// live process's temp alone.
#[test]
fn temps_of_killed_saves_are_removed() {
    let dir = tempfile::tempdir().expect("dir");
    let dir = dir.path().canonicalize().expect("canonical");
    let p = project_file(&dir);
    // PID 4194304 is above Linux's pid_max: no such process.
    let dead = dir.join(".p.dubstage.tmp-4194304");
    let live = dir.join(format!(".p.dubstage.tmp-{}", std::process::id()));
    let other = dir.join(".q.dubstage.tmp-4194304");
    for f in [&dead, &live, &other] {
        std::fs::write(f, b"(partial").expect("temp");
    }
    load(&p).expect("load");
    assert!(!dead.exists() || !Path::new("/proc/self").exists());
    assert!(live.exists(), "our own temp is not touched");
    assert!(other.exists(), "another project's temp is not touched");
}
