//! Turnovers from the command line: `import-timeline`, `export-timeline`
//! and `info --json` (the media search is the editor's,
//! `dubstage_ui::turnover`).

use anyhow::{Context, Result, bail};
use dubstage_model::{ClipChannels, FrameRate, Project, file};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A frame rate from `23.976`, `24`, `25`, `29.97`, `29.97df`, `30`, … as
/// given on the command line.
pub fn parse_rate(s: &str) -> Result<FrameRate> {
    let t = s.trim().to_ascii_lowercase();
    let (num, df) = match t.strip_suffix("df") {
        Some(n) => (n.trim(), true),
        None => (t.strip_suffix("ndf").unwrap_or(&t).trim(), false),
    };
    let v: f64 = num
        .parse()
        .with_context(|| format!("\"{s}\" is not a frame rate (e.g. 23.976, 25, 29.97df)"))?;
    dubstage_interchange::timeline::rate_from_f64(v, df)
        .with_context(|| format!("\"{s}\" is not a frame rate (e.g. 23.976, 25, 29.97df)"))
}

/// Imports a turnover into a new project file (and its report).
pub struct ImportArgs<'a> {
    pub file: &'a Path,
    pub output: &'a Path,
    pub media_dirs: &'a [PathBuf],
    pub report: Option<&'a Path>,
    pub edl_rate: FrameRate,
    pub sample_rate: u32,
    pub force: bool,
}

pub fn import_timeline(a: &ImportArgs<'_>) -> Result<()> {
    for out in std::iter::once(a.output).chain(a.report) {
        if out.exists() && !a.force {
            bail!("{} exists (use --force to replace it)", out.display());
        }
    }
    if a.report == Some(a.output) {
        bail!("the report and the project cannot be the same file");
    }
    // An AAF's embedded media goes beside the project written, in a folder
    // named after it.
    let essence_dir = dubstage_ui::turnover::default_essence_dir(a.output, a.output.parent());
    let (project, report) = dubstage_ui::turnover::import(
        a.file,
        a.media_dirs,
        a.edl_rate,
        a.sample_rate,
        None,
        Vec::new(),
        Some(&essence_dir),
    )
    .map_err(anyhow::Error::msg)?;
    file::save(&project, a.output).with_context(|| format!("saving {}", a.output.display()))?;
    if let Some(r) = a.report {
        file::write_atomic(r, report.json().as_bytes())
            .with_context(|| format!("writing {}", r.display()))?;
    }
    print!("{}", report.text());
    println!("\nWrote {}", a.output.display());
    Ok(())
}

pub fn export_timeline(project: &Path, output: &Path, force: bool) -> Result<()> {
    let p = crate::cli::load_project(project)?;
    if output.exists() && !force {
        bail!("{} exists (use --force to replace it)", output.display());
    }
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let text = match ext.as_str() {
        "otio" => dubstage_interchange::otio::write(&p),
        "edl" => {
            let (text, left_out) = dubstage_interchange::edl::write(&p);
            for t in left_out {
                eprintln!("warning: track \"{t}\" left out (an EDL has four audio channels)");
            }
            text
        }
        _ => bail!(
            "{}: the extension says the format: .otio or .edl",
            output.display()
        ),
    };
    file::write_atomic(output, text.as_bytes())
        .with_context(|| format!("writing {}", output.display()))?;
    println!("Wrote {}", output.display());
    Ok(())
}

/// The project as JSON for scripts (documented in docs/project-json.md).
pub fn info_json(path: &Path) -> Result<()> {
    let p = crate::cli::load_project(path)?;
    println!("{}", project_json(&p));
    Ok(())
}

pub fn project_json(p: &Project) -> String {
    let fade =
        |f: &dubstage_model::Fade| json!({"length": f.length.0, "shape": format!("{:?}", f.shape)});
    let tracks: Vec<serde_json::Value> = p
        .tracks
        .iter()
        .map(|t| {
            let clips: Vec<serde_json::Value> = t
                .clips
                .iter()
                .map(|c| {
                    let m = p.media.iter().find(|m| m.id == c.media);
                    json!({
                        "name": c.name,
                        "position": c.position.0,
                        "length": c.length.0,
                        "source_offset": c.source_offset.0,
                        "gain_db": c.gain_db,
                        "fade_in": fade(&c.fade_in),
                        "fade_out": fade(&c.fade_out),
                        "channel": match c.channels { ClipChannels::Mono(ch) => Some(ch), ClipChannels::Stereo => None },
                        "media": m.map(|m| m.path.display().to_string()),
                        "media_name": m.map(|m| m.name.clone()),
                        "offline": m.is_none_or(|m| !m.path.is_file()),
                        "gain_envelope": c.gain_envelope.iter().map(|e| json!({"at": e.at.0, "db": e.db})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "name": t.name,
                "kind": t.kind.label(),
                "output": match t.output {
                    dubstage_model::Output::Bus(b) => p.bus(b).map_or("?".to_owned(), |b| b.name.clone()),
                    dubstage_model::Output::Master => "master".to_owned(),
                },
                "gain_db": t.gain_db,
                "pan": t.pan,
                "mute": t.mute,
                "clips": clips,
            })
        })
        .collect();
    let media: Vec<serde_json::Value> = p
        .media
        .iter()
        .map(|m| {
            json!({
                "name": m.name, "path": m.path.display().to_string(), "channels": m.channels,
                "length": m.length.0, "time_reference": m.time_reference, "tape": m.tape,
                "offline": !m.path.is_file(),
            })
        })
        .collect();
    let markers: Vec<serde_json::Value> = p
        .markers
        .iter()
        .map(|m| json!({"name": m.name, "position": m.position.0}))
        .collect();
    let automation: Vec<serde_json::Value> = p
        .automation
        .iter()
        .map(|l| {
            json!({
                "param": p.lane_label(l.param),
                "id": format!("{:?}", l.param),
                "points": l.points.len(),
                "first": l.points.first().map(|q| q.at.0),
                "last": l.points.last().map(|q| q.at.0),
            })
        })
        .collect();
    let doc = json!({
        "name": p.name,
        "sample_rate": p.sample_rate.hz(),
        "frame_rate": {"num": p.frame_rate.num(), "den": p.frame_rate.den(), "drop_frame": p.frame_rate.is_drop_frame(), "label": p.frame_rate.label()},
        "start_timecode": p.start_timecode.to_string_with(p.frame_rate.is_drop_frame()),
        "tracks": tracks,
        "media": media,
        "markers": markers,
        "automation": automation,
        "picture": p.picture.as_ref().map(|pic| json!({
            "path": pic.path.display().to_string(),
            "position": pic.position.0,
            "frames": pic.frames,
            "frame_rate": {"num": pic.frame_rate.num(), "den": pic.frame_rate.den()},
            "offline": !pic.path.is_file(),
        })),
    });
    serde_json::to_string_pretty(&doc).expect("a JSON value with string keys always serialises")
}
