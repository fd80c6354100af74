//! OpenTimelineIO JSON (`.otio`): read and write.
//!
//! Read: the timeline's audio tracks (`Track.1` of kind `Audio`) with their
//! clips (`Clip.1`/`Clip.2`, external or missing media references), gaps,
//! transitions (carried as crossfades) and markers; nested stacks are
//! flattened, video tracks and time effects reported. Write: one audio
//! track per Dubstage track, times in samples at the project rate (so a
//! round trip is exact), each clip's gain and fades kept in its metadata
//! under `dubstage`.

use crate::InterchangeError;
use crate::timeline::{
    Clip, Marker, MediaSource, Ramp, Time, Timeline, Track, path_to_url, rate_from_f64, url_to_path,
};
use dubstage_model::{FrameRate, Project, Timecode};
use serde_json::{Map, Value, json};

fn bad(what: impl Into<String>) -> InterchangeError {
    InterchangeError::Malformed {
        format: "OTIO",
        what: what.into(),
    }
}

fn schema(v: &Value) -> &str {
    v.get("OTIO_SCHEMA").and_then(Value::as_str).unwrap_or("")
}

/// A `RationalTime.1` as an exact time (and its rate as written).
fn rational(v: &Value) -> Option<(Time, f64)> {
    let rate = v.get("rate")?.as_f64()?;
    let value = v.get("value")?.as_f64()?;
    let (num, den) = rate_ratio(rate)?;
    if !value.is_finite() || value.abs() > 1e15 {
        return None;
    }
    let t = if value.fract() == 0.0 {
        Time::new(value as i128 * den, num)
    } else {
        Time::new((value * 1e6).round() as i128 * den, num * 1_000_000)
    };
    Some((t, rate))
}

/// A rate written as a float, as an exact fraction (the NTSC rates snap
/// to theirs; sample rates are whole numbers).
fn rate_ratio(rate: f64) -> Option<(i128, i128)> {
    if !rate.is_finite() || rate <= 0.0 || rate > 1e7 {
        return None;
    }
    for (num, den) in [
        (24_000, 1001),
        (30_000, 1001),
        (60_000, 1001),
        (48_000, 1001),
    ] {
        if (rate - num as f64 / den as f64).abs() < 0.005 {
            return Some((num, den));
        }
    }
    if (rate - rate.round()).abs() < 1e-6 {
        return Some((rate.round() as i128, 1));
    }
    Some(((rate * 1000.0).round() as i128, 1000))
}

/// A `TimeRange.1` as (start, duration).
fn range(v: &Value) -> Option<(Time, Time)> {
    let (start, _) = rational(v.get("start_time")?)?;
    let (dur, _) = rational(v.get("duration")?)?;
    Some((start, dur))
}

fn name_of(v: &Value) -> String {
    v.get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The media reference a clip uses (`Clip.2` keeps several by key).
fn media_reference(clip: &Value) -> Option<&Value> {
    if let Some(refs) = clip.get("media_references").and_then(Value::as_object) {
        let key = clip
            .get("active_media_reference_key")
            .and_then(Value::as_str)
            .unwrap_or("DEFAULT_MEDIA");
        return refs.get(key).or_else(|| refs.values().next());
    }
    clip.get("media_reference").filter(|r| !r.is_null())
}

/// Reads an OTIO JSON document.
pub fn read(text: &str) -> Result<Timeline, InterchangeError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "not JSON (line {}, column {}: {e})",
            e.line(),
            e.column()
        ))
    })?;
    let root = match schema(&root) {
        s if s.starts_with("Timeline.") => root,
        s if s.starts_with("SerializableCollection.") => root
            .get("children")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|t| schema(t).starts_with("Timeline.")))
            .cloned()
            .ok_or_else(|| bad("the collection holds no timeline"))?,
        "" => return Err(bad("no OTIO_SCHEMA at the top level")),
        s => return Err(bad(format!("the top level is a {s}, not a Timeline"))),
    };
    let stack = root
        .get("tracks")
        .filter(|s| schema(s).starts_with("Stack."))
        .ok_or_else(|| bad("the timeline has no tracks stack"))?;
    let start = root.get("global_start_time").and_then(rational);
    let rate = start
        .and_then(|(_, r)| rate_from_f64(r, false))
        .or_else(|| first_rate(stack))
        .unwrap_or(FrameRate::FPS_24);
    let mut tl = Timeline::new(&name_of(&root), rate);
    let origin = start.map_or(Time::ZERO, |(t, _)| t);
    tl.start = Timecode::from_frames(origin.to_frames(rate), rate);
    let children = stack
        .get("children")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("the tracks stack has no children"))?;
    for (i, t) in children.iter().enumerate() {
        if !schema(t).starts_with("Track.") {
            tl.note(format!("stack item {}", i + 1), "not a track: skipped");
            continue;
        }
        let name = name_of(t);
        let label = if name.is_empty() {
            format!("track {}", i + 1)
        } else {
            name.clone()
        };
        if t.get("kind").and_then(Value::as_str) != Some("Audio") {
            if tl.picture.is_none()
                && let Some(p) = reference_movie(t)
            {
                tl.note(
                    &label,
                    format!(
                        "video track: not carried (its movie {} is the reference picture)",
                        p.path.display()
                    ),
                );
                tl.picture = Some(p);
            } else {
                tl.note(label, "video track: not carried");
            }
            continue;
        }
        if t.get("enabled").and_then(Value::as_bool) == Some(false) {
            tl.note(label, "disabled track: not carried");
            continue;
        }
        let mut track = Track {
            name,
            ..Track::default()
        };
        let mut at = Time::ZERO;
        read_items(&mut tl, &label, t, &mut at, &mut track.clips, 0)?;
        for m in t
            .get("markers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            read_marker(&mut tl, m, Time::ZERO);
        }
        tl.tracks.push(track);
    }
    for m in stack
        .get("markers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        read_marker(&mut tl, m, Time::ZERO);
    }
    Ok(tl)
}

/// The first movie on a video track, placed so its first frame sits where
/// the clip shows it.
fn reference_movie(track: &Value) -> Option<crate::timeline::PictureRef> {
    let mut at = Time::ZERO;
    for item in track.get("children")?.as_array()? {
        let (start, dur) = item.get("source_range").and_then(range)?;
        if schema(item).starts_with("Clip.")
            && let Some(r) = media_reference(item)
            && schema(r).starts_with("ExternalReference.")
            && let Some(url) = r.get("target_url").and_then(Value::as_str)
        {
            let origin = r
                .get("available_range")
                .and_then(range)
                .map_or(start, |a| a.0);
            return Some(crate::timeline::PictureRef {
                path: url_to_path(url),
                at: at - (start - origin),
            });
        }
        if !schema(item).starts_with("Transition.") {
            at = at + dur;
        }
    }
    None
}

fn first_rate(stack: &Value) -> Option<FrameRate> {
    let tracks = stack.get("children")?.as_array()?;
    for t in tracks {
        for c in t.get("children")?.as_array()? {
            if let Some(r) = c
                .get("source_range")
                .and_then(|r| r.get("duration"))
                .and_then(|d| d.get("rate"))
                .and_then(Value::as_f64)
            {
                return rate_from_f64(r, false);
            }
        }
    }
    None
}

fn read_marker(tl: &mut Timeline, m: &Value, offset: Time) {
    if let Some((at, _)) = m.get("marked_range").and_then(range) {
        tl.markers.push(Marker {
            at: offset + at,
            name: name_of(m),
        });
    }
}

/// Reads a track's (or nested stack's) items from `at` on.
fn read_items(
    tl: &mut Timeline,
    label: &str,
    parent: &Value,
    at: &mut Time,
    clips: &mut Vec<Clip>,
    depth: usize,
) -> Result<(), InterchangeError> {
    if depth > 16 {
        return Err(bad(format!("{label}: stacks nested more than 16 deep")));
    }
    let items = parent
        .get("children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // A transition waiting for the clip after it: (in, out) offsets.
    let mut pending: Option<(Time, Time)> = None;
    for (k, item) in items.iter().enumerate() {
        let s = schema(item);
        let item_label = format!("{label}, item {}", k + 1);
        match s {
            s if s.starts_with("Gap.") => {
                let (_, d) = item
                    .get("source_range")
                    .and_then(range)
                    .ok_or_else(|| bad(format!("{item_label}: a gap without a length")))?;
                if pending.take().is_some() {
                    tl.note(&item_label, "transition into a gap: not carried");
                }
                *at = *at + d;
            }
            s if s.starts_with("Transition.") => {
                let inn = item.get("in_offset").and_then(rational).map(|r| r.0);
                let out = item.get("out_offset").and_then(rational).map(|r| r.0);
                let (inn, out) = (inn.unwrap_or(Time::ZERO), out.unwrap_or(Time::ZERO));
                let kind = item
                    .get("transition_type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if kind != "SMPTE_Dissolve" {
                    tl.note(
                        &item_label,
                        format!("{kind} transition carried as a crossfade"),
                    );
                }
                match clips.last_mut() {
                    Some(prev) if prev.record + prev.duration == *at => {
                        prev.duration = prev.duration + out;
                        prev.fade_out = Ramp {
                            length: inn + out,
                            crossfade: true,
                        };
                    }
                    _ => tl.note(&item_label, "transition out of a gap: carried as a fade-in"),
                }
                pending = Some((inn, out));
            }
            s if s.starts_with("Clip.") => {
                let name = name_of(item);
                let clip_label = format!("{label}, clip \"{name}\"");
                let r = media_reference(item);
                let available = r.and_then(|r| r.get("available_range")).and_then(range);
                let (source_in, duration) = item
                    .get("source_range")
                    .and_then(range)
                    .or(available)
                    .ok_or_else(|| bad(format!("{clip_label}: no source range")))?;
                if duration.is_negative() {
                    return Err(bad(format!("{clip_label}: negative duration")));
                }
                let mut media = MediaSource {
                    name: name.clone(),
                    start: available.map(|a| a.0),
                    length: available.map(|a| a.1),
                    ..MediaSource::default()
                };
                if let Some(r) = r {
                    match schema(r) {
                        s if s.starts_with("ExternalReference.") => {
                            if let Some(url) = r.get("target_url").and_then(Value::as_str) {
                                let path = url_to_path(url);
                                if let Some(n) = path.file_name() {
                                    media.name = n.to_string_lossy().into_owned();
                                }
                                media.path = Some(path);
                            }
                        }
                        s if s.starts_with("MissingReference.") => {
                            if !name_of(r).is_empty() {
                                media.name = name_of(r);
                            }
                        }
                        s => tl.note(&clip_label, format!("{s} media: kept offline")),
                    }
                    if let Some(tape) = r
                        .get("metadata")
                        .and_then(|m| m.pointer("/cmx_3600/reel"))
                        .and_then(Value::as_str)
                    {
                        media.tape = tape.to_owned();
                    }
                }
                for e in item
                    .get("effects")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    tl.note(
                        &clip_label,
                        format!("{} effect: not carried (plays at normal speed)", schema(e)),
                    );
                }
                let enabled = item.get("enabled").and_then(Value::as_bool) != Some(false);
                let mut clip = Clip {
                    name,
                    record: *at,
                    duration,
                    source_in,
                    media,
                    channel: None,
                    gain_db: 0.0,
                    fade_in: Ramp::default(),
                    fade_out: Ramp::default(),
                    enabled,
                    envelope: Vec::new(),
                };
                if let Some((inn, out)) = pending.take() {
                    clip.record = clip.record - inn;
                    clip.source_in = clip.source_in - inn;
                    clip.duration = clip.duration + inn;
                    clip.fade_in = Ramp {
                        length: inn + out,
                        crossfade: true,
                    };
                }
                if let Some(d) = item.get("metadata").and_then(|m| m.get("dubstage")) {
                    exact_metadata(&mut clip, d);
                }
                for m in item
                    .get("markers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    read_marker(tl, m, *at - source_in);
                }
                *at = *at + duration;
                clips.push(clip);
            }
            s if s.starts_with("Stack.") || s.starts_with("Track.") => {
                tl.note(&item_label, "nested sequence: flattened");
                let start = *at;
                let mut inner_at = start;
                let before = clips.len();
                read_items(tl, &item_label, item, &mut inner_at, clips, depth + 1)?;
                let len = item
                    .get("source_range")
                    .and_then(range)
                    .map_or(inner_at - start, |r| r.1);
                // Clips of the nested sequence past its used range are cut.
                clips.truncate(before.max(clips.len()));
                *at = start + len;
            }
            other => tl.note(&item_label, format!("{other}: not carried")),
        }
    }
    if pending.is_some() {
        tl.note(
            label,
            "transition at the track's end: carried as a fade-out",
        );
    }
    Ok(())
}

/// Dubstage's own exact values, written by [`write`].
fn exact_metadata(clip: &mut Clip, d: &Value) {
    let rate = d.get("rate").and_then(Value::as_i64).unwrap_or(0);
    let t = |key: &str| {
        d.get(key)
            .and_then(Value::as_i64)
            .filter(|_| rate > 0)
            .map(|v| Time::new(i128::from(v), i128::from(rate)))
    };
    if let Some(g) = d.get("gain_db").and_then(Value::as_f64) {
        clip.gain_db = g as f32;
    }
    if let Some(l) = t("fade_in") {
        clip.fade_in.length = l;
    }
    if let Some(l) = t("fade_out") {
        clip.fade_out.length = l;
    }
    if let Some(ch) = d.get("channel").and_then(Value::as_u64) {
        clip.channel = u16::try_from(ch).ok();
    }
}

fn rt(value: i64, rate: u32) -> Value {
    json!({"OTIO_SCHEMA": "RationalTime.1", "rate": f64::from(rate), "value": value as f64})
}

fn tr(start: i64, dur: i64, rate: u32) -> Value {
    json!({"OTIO_SCHEMA": "TimeRange.1", "start_time": rt(start, rate), "duration": rt(dur, rate)})
}

/// Writes `project` as OTIO JSON: one audio track per track, times in
/// samples at the project rate.
pub fn write(project: &Project) -> String {
    let sr = project.sample_rate.hz();
    let fr = project.frame_rate;
    let start_frames = project.start_timecode.to_frames(fr).unwrap_or(0);
    let mut tracks = Vec::new();
    for t in &project.tracks {
        let mut clips: Vec<&dubstage_model::Clip> = t.clips.iter().collect();
        clips.sort_by_key(|c| (c.position, c.id));
        let mut children = Vec::new();
        let mut at = 0i64;
        for (k, c) in clips.iter().enumerate() {
            let media = project.media.iter().find(|m| m.id == c.media);
            let origin = media.and_then(|m| m.time_reference).unwrap_or(0);
            // A clip overlapping the one before starts where that one ends
            // in the track, and reaches back by a transition.
            let inn = (at - c.position.0).max(0);
            if c.position.0 > at {
                children.push(json!({
                    "OTIO_SCHEMA": "Gap.1", "name": "", "metadata": {},
                    "source_range": tr(0, c.position.0 - at, sr),
                    "effects": [], "markers": [], "enabled": true,
                }));
                at = c.position.0;
            }
            if inn > 0 && k > 0 {
                children.push(json!({
                    "OTIO_SCHEMA": "Transition.1", "name": "", "metadata": {},
                    "transition_type": "SMPTE_Dissolve",
                    "in_offset": rt(inn, sr), "out_offset": rt(0, sr),
                }));
            }
            let mut reference = Map::new();
            match media.filter(|m| !m.path.as_os_str().is_empty()) {
                Some(m) => {
                    reference.insert("OTIO_SCHEMA".into(), "ExternalReference.1".into());
                    reference.insert("target_url".into(), path_to_url(&m.path).into());
                    reference.insert("name".into(), m.name.clone().into());
                    if m.length.0 > 0 {
                        reference.insert("available_range".into(), tr(origin, m.length.0, sr));
                    }
                    let mut meta = Map::new();
                    if !m.tape.is_empty() {
                        meta.insert("cmx_3600".into(), json!({"reel": m.tape}));
                    }
                    reference.insert("metadata".into(), meta.into());
                }
                None => {
                    reference.insert("OTIO_SCHEMA".into(), "MissingReference.1".into());
                    reference.insert(
                        "name".into(),
                        media.map(|m| m.name.clone()).unwrap_or_default().into(),
                    );
                    reference.insert("metadata".into(), json!({}));
                }
            }
            let channel = match c.channels {
                dubstage_model::ClipChannels::Mono(ch) => Some(ch),
                dubstage_model::ClipChannels::Stereo => None,
            };
            let body = c.length.0 - inn;
            children.push(json!({
                "OTIO_SCHEMA": "Clip.1",
                "name": c.name,
                "metadata": {"dubstage": {
                    "rate": sr, "gain_db": c.gain_db,
                    "fade_in": c.fade_in.length.0, "fade_out": c.fade_out.length.0,
                    "channel": channel,
                }},
                "source_range": tr(origin + c.source_offset.0 + inn, body, sr),
                "media_reference": Value::Object(reference),
                "effects": [], "markers": [], "enabled": true,
            }));
            at += body;
        }
        tracks.push(json!({
            "OTIO_SCHEMA": "Track.1", "name": t.name, "kind": "Audio",
            "metadata": {"dubstage": {"kind": t.kind.label(), "gain_db": t.gain_db, "pan": t.pan}},
            "source_range": null, "effects": [], "markers": [], "enabled": true,
            "children": children,
        }));
    }
    let markers: Vec<Value> = project
        .markers
        .iter()
        .map(|m| {
            json!({"OTIO_SCHEMA": "Marker.2", "name": m.name, "metadata": {}, "color": "RED",
                "marked_range": tr(m.position.0, 0, sr)})
        })
        .collect();
    let start = json!({
        "OTIO_SCHEMA": "RationalTime.1",
        "rate": f64::from(fr.num()) / f64::from(fr.den()),
        "value": start_frames as f64,
    });
    let doc = json!({
        "OTIO_SCHEMA": "Timeline.1",
        "name": project.name,
        "metadata": {},
        "global_start_time": start,
        "tracks": {
            "OTIO_SCHEMA": "Stack.1", "name": "tracks", "metadata": {},
            "source_range": null, "effects": [], "markers": markers, "enabled": true,
            "children": tracks,
        },
    });
    serde_json::to_string_pretty(&doc).expect("a JSON value with string keys always serialises")
}
