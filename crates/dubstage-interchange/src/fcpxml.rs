//! FCPXML (Final Cut Pro 10, versions 1.8 to 1.11): the first project's
//! sequence, whose storylines and connected clips have no tracks. Each lane
//! becomes a track: the primary storyline's audio, then the connected lanes
//! below it (−1, −2, …) and above it, named after their audio role.
//!
//! Times are rational seconds (`1001/24000s`). An element's `offset` is in
//! its parent's local time, whose origin is the parent's `start`; a clip's
//! `start` is its source time in the asset's own clock (the asset's
//! `start` is the media's first sample), so source timecode comes out
//! exact at any rate.
//!
//! Carried: `asset-clip`, `clip`/`sync-clip` with `audio`, connected clips
//! and connected storylines (`spine` with a lane), split edits
//! (`audioStart`/`audioDuration`), transitions as crossfades, constant
//! `adjust-volume`, fade-in/out handles, markers, disabled clips (muted),
//! reel names, the reference movie. Flattened: compound clips (`ref-clip`).
//! Reported: volume keyframes, multicam clips, audio effects, video.

use crate::InterchangeError;
use crate::timeline::{
    Clip, Marker, MediaSource, PictureRef, Ramp, Time, Timeline, Track, url_to_path,
};
use dubstage_model::{FrameRate, Timecode};
use roxmltree::Node;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn bad(what: impl Into<String>) -> InterchangeError {
    InterchangeError::Malformed {
        format: "FCPXML",
        what: what.into(),
    }
}

/// `"1001/24000s"`, `"3600s"`, `"0s"` as an exact time.
pub fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim().strip_suffix('s')?;
    let (n, d) = match s.split_once('/') {
        Some((n, d)) => (
            n.trim().parse::<i128>().ok()?,
            d.trim().parse::<i128>().ok()?,
        ),
        None => {
            // Whole or decimal seconds.
            match s.split_once('.') {
                None => (s.parse::<i128>().ok()?, 1),
                Some((w, f)) if f.len() <= 12 && f.bytes().all(|b| b.is_ascii_digit()) => {
                    let scale = 10i128.pow(f.len() as u32);
                    let whole = if w.is_empty() || w == "-" {
                        0
                    } else {
                        w.parse::<i128>().ok()?
                    };
                    let frac = if f.is_empty() {
                        0
                    } else {
                        f.parse::<i128>().ok()?
                    };
                    let sign = if w.starts_with('-') { -1 } else { 1 };
                    (whole * scale + sign * frac, scale)
                }
                _ => return None,
            }
        }
    };
    if d <= 0 || n.abs() > i128::from(i64::MAX) || d > i128::from(i64::MAX) {
        return None;
    }
    Some(Time::new(n, d))
}

fn time_attr(n: Node<'_, '_>, name: &str) -> Result<Option<Time>, InterchangeError> {
    match n.attribute(name) {
        None => Ok(None),
        Some(v) => parse_time(v).map(Some).ok_or_else(|| {
            bad(format!(
                "<{}> {name}=\"{v}\" is not a time (like 1001/24000s)",
                n.tag_name().name()
            ))
        }),
    }
}

/// An asset (a media file) from the resources.
#[derive(Debug, Clone, Default)]
struct Asset {
    name: String,
    path: Option<PathBuf>,
    start: Time,
    duration: Option<Time>,
    audio: bool,
    video: bool,
    reel: String,
}

/// Where a container's local time sits on the timeline: timeline time =
/// local − `start` + `record`.
#[derive(Debug, Clone, Copy)]
struct Frame {
    start: Time,
    record: Time,
    lane: i64,
    enabled: bool,
}

impl Frame {
    fn at(&self, local: Time) -> Time {
        local - self.start + self.record
    }
}

/// A clip collected on a lane, with the storyline it is in (for
/// transitions).
struct Placed {
    lane: i64,
    storyline: usize,
    role: String,
    clip: Clip,
}

struct Reader<'a, 'i> {
    assets: HashMap<&'a str, Asset>,
    media: HashMap<&'a str, Node<'a, 'i>>,
    clips: Vec<Placed>,
    /// Transitions: (storyline, timeline start, duration).
    transitions: Vec<(usize, Time, Time)>,
    storylines: usize,
    tl: Timeline,
    depth: usize,
}

/// Reads an FCPXML document.
pub fn read(xml: &str) -> Result<Timeline, InterchangeError> {
    let doc = crate::parse_xml(xml).map_err(|e| bad(format!("not well-formed XML: {e}")))?;
    let root = doc.root_element();
    if !root.has_tag_name("fcpxml") {
        return Err(bad(format!(
            "the root element is <{}>, not <fcpxml>",
            root.tag_name().name()
        )));
    }
    let mut formats: HashMap<&str, Time> = HashMap::new();
    let mut assets = HashMap::new();
    let mut media = HashMap::new();
    if let Some(res) = root.children().find(|c| c.has_tag_name("resources")) {
        for r in res.children().filter(Node::is_element) {
            let Some(id) = r.attribute("id") else {
                continue;
            };
            match r.tag_name().name() {
                "format" => {
                    if let Some(fd) = time_attr(r, "frameDuration")? {
                        formats.insert(id, fd);
                    }
                }
                "asset" => {
                    let src = r.attribute("src").or_else(|| {
                        r.children()
                            .filter(|c| c.has_tag_name("media-rep"))
                            .find(|c| c.attribute("kind").is_none_or(|k| k == "original-media"))
                            .and_then(|c| c.attribute("src"))
                    });
                    let reel = r
                        .descendants()
                        .filter(|c| c.has_tag_name("md"))
                        .find(|c| c.attribute("key") == Some("com.apple.proapps.studio.reel"))
                        .and_then(|c| c.attribute("value"))
                        .unwrap_or_default();
                    assets.insert(
                        id,
                        Asset {
                            name: r.attribute("name").unwrap_or(id).to_owned(),
                            path: src.map(url_to_path),
                            start: time_attr(r, "start")?.unwrap_or_default(),
                            duration: time_attr(r, "duration")?,
                            audio: r.attribute("hasAudio") == Some("1"),
                            video: r.attribute("hasVideo") == Some("1"),
                            reel: reel.to_owned(),
                        },
                    );
                }
                "media" => {
                    media.insert(id, r);
                }
                _ => {}
            }
        }
    }
    let project = root
        .descendants()
        .find(|n| n.has_tag_name("project"))
        .ok_or_else(|| bad("no project"))?;
    let seq = project
        .children()
        .find(|n| n.has_tag_name("sequence"))
        .ok_or_else(|| bad("the project has no sequence"))?;
    let frame = seq
        .attribute("format")
        .and_then(|f| formats.get(f))
        .copied()
        .ok_or_else(|| bad("the sequence's format has no frame duration"))?;
    let (n, d) = frame.parts();
    let df = seq.attribute("tcFormat") == Some("DF");
    let rate = u32::try_from(d)
        .ok()
        .zip(u32::try_from(n).ok())
        .and_then(|(num, den)| {
            FrameRate::new(num, den, df)
                .or_else(|_| FrameRate::new(num, den, false))
                .ok()
        })
        .ok_or_else(|| bad(format!("frame duration {n}/{d}s is not a frame rate")))?;
    let mut tl = Timeline::new(project.attribute("name").unwrap_or_default(), rate);
    let tc_start = time_attr(seq, "tcStart")?.unwrap_or_default();
    tl.start = Timecode::from_frames(tc_start.to_frames(rate), rate);
    let spine = seq
        .children()
        .find(|n| n.has_tag_name("spine"))
        .ok_or_else(|| bad("the sequence has no spine"))?;
    if root
        .descendants()
        .filter(|n| n.has_tag_name("project"))
        .count()
        > 1
    {
        tl.note(
            "projects",
            "more than one project: only the first is carried",
        );
    }
    let mut r = Reader {
        assets,
        media,
        clips: Vec::new(),
        transitions: Vec::new(),
        storylines: 0,
        tl,
        depth: 0,
    };
    let top = Frame {
        start: tc_start,
        record: Time::ZERO,
        lane: 0,
        enabled: true,
    };
    r.storyline(spine, top)?;
    r.finish()
}

impl<'a, 'i> Reader<'a, 'i> {
    /// The elements of a storyline (a `spine`), in `frame`'s local time.
    fn storyline(&mut self, spine: Node<'a, 'i>, frame: Frame) -> Result<(), InterchangeError> {
        let id = self.storylines;
        self.storylines += 1;
        for e in spine.children().filter(Node::is_element) {
            if e.has_tag_name("transition") {
                let offset = time_attr(e, "offset")?.unwrap_or_default();
                let dur = time_attr(e, "duration")?.unwrap_or_default();
                self.transitions.push((id, frame.at(offset), dur));
                continue;
            }
            self.element(e, frame, id)?;
        }
        Ok(())
    }

    /// One story element at `frame`: its own audio on `frame.lane`, then
    /// the clips connected to it.
    fn element(
        &mut self,
        e: Node<'a, 'i>,
        frame: Frame,
        storyline: usize,
    ) -> Result<(), InterchangeError> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(bad("clips nested deeper than 64"));
        }
        let result = self.element_inner(e, frame, storyline);
        self.depth -= 1;
        result
    }

    fn element_inner(
        &mut self,
        e: Node<'a, 'i>,
        frame: Frame,
        storyline: usize,
    ) -> Result<(), InterchangeError> {
        let tag = e.tag_name().name();
        let offset = time_attr(e, "offset")?.unwrap_or_default();
        let start = time_attr(e, "start")?;
        let duration = time_attr(e, "duration")?.unwrap_or_default();
        let lane = e
            .attribute("lane")
            .and_then(|l| l.trim().parse::<i64>().ok());
        let record = frame.at(offset);
        let enabled = frame.enabled && e.attribute("enabled") != Some("0");
        let name = e.attribute("name").unwrap_or_default().to_owned();
        // A connected element sits on its own lane of the parent's.
        let lane = frame.lane + lane.unwrap_or(0);
        let own = Frame {
            start: start.unwrap_or_default(),
            record,
            lane,
            enabled,
        };
        match tag {
            "spine" => {
                // A connected storyline: its children in its own time.
                return self.storyline(e, own);
            }
            "asset-clip" | "audio" => {
                let asset = e.attribute("ref").and_then(|r| self.assets.get(r)).cloned();
                match asset {
                    Some(a) => {
                        if a.audio {
                            self.clip(e, &a, own, duration, storyline, &name)?;
                        }
                        if a.video {
                            self.picture(&a, own, &name);
                        }
                    }
                    None => self.tl.note(
                        label(lane, &name),
                        "a clip whose asset is not in the resources: not carried",
                    ),
                }
            }
            "video" => {
                if let Some(a) = e.attribute("ref").and_then(|r| self.assets.get(r)).cloned()
                    && a.video
                {
                    self.picture(&a, own, &name);
                }
            }
            "clip" | "sync-clip" | "gap" => {}
            "ref-clip" => {
                let inner = e.attribute("ref").and_then(|r| self.media.get(r)).copied();
                match inner.and_then(|m| m.children().find(|c| c.has_tag_name("sequence"))) {
                    Some(seq) => {
                        self.tl.note(
                            label(lane, &name),
                            "compound clip: flattened (its clips are carried on this lane)",
                        );
                        if let Some(spine) = seq.children().find(|c| c.has_tag_name("spine")) {
                            let inner_frame = Frame {
                                start: own.start,
                                record: own.record,
                                lane,
                                enabled,
                            };
                            // The compound clip's own duration bounds it;
                            // what its sequence has past that is unseen.
                            self.storyline(spine, inner_frame)?;
                        }
                    }
                    None => self.tl.note(
                        label(lane, &name),
                        "a compound clip whose media is not in the resources: not carried",
                    ),
                }
            }
            "mc-clip" => self.tl.note(
                label(lane, &name),
                "multicam clip: not carried (flatten it in Final Cut Pro first)",
            ),
            "audition" => {
                // Its first (active) pick, placed where the audition is.
                if let Some(pick) = e.children().find(Node::is_element) {
                    let at = Frame { lane, ..frame };
                    return self.element(pick, at, storyline);
                }
            }
            _ => {}
        }
        // Children: the clip's own audio (no lane), connected clips (a
        // lane), markers, in the element's local time.
        for c in e.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "marker" | "chapter-marker" => {
                    if let Some(at) = time_attr(c, "start")? {
                        self.tl.markers.push(Marker {
                            at: own.at(at),
                            name: c.attribute("value").unwrap_or_default().to_owned(),
                        });
                    }
                }
                "asset-clip" | "clip" | "sync-clip" | "gap" | "ref-clip" | "mc-clip" | "audio"
                | "spine" | "title" | "audition" => {
                    if tag == "asset-clip" && c.attribute("lane").is_none() {
                        continue;
                    }
                    self.element(c, own, storyline)?;
                }
                "adjust-volume" if tag == "asset-clip" || tag == "audio" => {}
                "filter-audio" => self.tl.note(
                    label(lane, &name),
                    format!(
                        "audio effect \"{}\": not carried",
                        c.attribute("name").unwrap_or("unnamed")
                    ),
                ),
                _ => {}
            }
        }
        Ok(())
    }

    fn clip(
        &mut self,
        e: Node<'a, 'i>,
        a: &Asset,
        own: Frame,
        duration: Time,
        storyline: usize,
        name: &str,
    ) -> Result<(), InterchangeError> {
        let name = if name.is_empty() {
            a.name.clone()
        } else {
            name.to_owned()
        };
        let label = label(own.lane, &name);
        // A split edit: the audio's own range.
        let audio_start = time_attr(e, "audioStart")?;
        let audio_duration = time_attr(e, "audioDuration")?;
        let (source_in, record, duration) = match audio_start {
            Some(s) => (
                s,
                own.record + (s - own.start),
                audio_duration.unwrap_or(duration),
            ),
            None => (own.start, own.record, audio_duration.unwrap_or(duration)),
        };
        if duration.is_negative() || duration.is_zero() {
            return Ok(());
        }
        let mut gain_db = 0.0f32;
        let mut fade_in = Ramp::default();
        let mut fade_out = Ramp::default();
        for adj in e.children().filter(|c| c.has_tag_name("adjust-volume")) {
            if let Some(amount) = adj.attribute("amount") {
                match parse_db(amount) {
                    Some(db) => gain_db += db,
                    None => self
                        .tl
                        .note(&label, format!("volume \"{amount}\": not carried")),
                }
            }
            for p in adj.children().filter(|c| c.has_tag_name("param")) {
                if p.children().any(|k| k.has_tag_name("keyframeAnimation")) {
                    self.tl.note(
                        &label,
                        "volume keyframes: not carried (the static volume is)",
                    );
                }
                for f in p.children() {
                    let d = time_attr(f, "duration")?.unwrap_or_default();
                    if f.has_tag_name("fadeIn") {
                        fade_in.length = d;
                    } else if f.has_tag_name("fadeOut") {
                        fade_out.length = d;
                    }
                }
            }
        }
        if let Some(end) = a.duration
            && source_in + duration > a.start + end
        {
            self.tl.note(
                &label,
                "plays past its media's end: kept, the rest is silence",
            );
        }
        let role = e
            .attribute("audioRole")
            .or_else(|| e.attribute("role"))
            .unwrap_or_default()
            .to_owned();
        self.clips.push(Placed {
            lane: own.lane,
            storyline,
            role,
            clip: Clip {
                name,
                record,
                duration,
                source_in,
                media: MediaSource {
                    path: a.path.clone(),
                    name: a
                        .path
                        .as_ref()
                        .and_then(|p| p.file_name())
                        .map_or_else(|| a.name.clone(), |n| n.to_string_lossy().into_owned()),
                    tape: a.reel.clone(),
                    start: Some(a.start),
                    length: a.duration,
                    embedded: None,
                },
                channel: None,
                gain_db,
                fade_in,
                fade_out,
                enabled: own.enabled,
            },
        });
        Ok(())
    }

    fn picture(&mut self, a: &Asset, own: Frame, name: &str) {
        if self.tl.picture.is_some() {
            return;
        }
        if let Some(path) = &a.path {
            self.tl.picture = Some(PictureRef {
                path: path.clone(),
                at: own.record - (own.start - a.start),
            });
            self.tl.note(
                label(own.lane, name),
                format!(
                    "video: not carried (its movie {} is the reference picture)",
                    path.display()
                ),
            );
        }
    }

    /// Transitions become crossfades; lanes become tracks.
    fn finish(mut self) -> Result<Timeline, InterchangeError> {
        for (storyline, at, dur) in std::mem::take(&mut self.transitions) {
            let end = at + dur;
            // The clips of that storyline either side of the cut inside it.
            let mut before = None;
            let mut after = None;
            for (i, p) in self.clips.iter().enumerate() {
                if p.storyline != storyline {
                    continue;
                }
                let (s, e) = (p.clip.record, p.clip.record + p.clip.duration);
                if s <= at && e > at && e <= end {
                    before = Some(i);
                }
                if s >= at && s < end && e >= end {
                    after = Some(i);
                }
            }
            let ramp = Ramp {
                length: dur,
                crossfade: before.is_some() && after.is_some(),
            };
            if let Some(i) = before {
                let c = &mut self.clips[i].clip;
                c.duration = end - c.record;
                c.fade_out = ramp;
            }
            if let Some(i) = after {
                let c = &mut self.clips[i].clip;
                let lead = c.record - at;
                c.record = at;
                c.source_in = c.source_in - lead;
                c.duration = c.duration + lead;
                c.fade_in = ramp;
            }
            if before.is_none() && after.is_none() {
                self.tl.note(
                    "transition",
                    "a transition that meets no audio: not carried",
                );
            }
        }
        // Lanes: the primary storyline's, then below it, then above.
        let mut lanes: BTreeMap<(i64, i64), Vec<Placed>> = BTreeMap::new();
        for p in self.clips {
            let key = match p.lane {
                0 => (0, 0),
                l if l < 0 => (1, -l),
                l => (2, l),
            };
            lanes.entry(key).or_default().push(p);
        }
        let mut names: HashMap<String, usize> = HashMap::new();
        for ((_, _), mut placed) in lanes {
            placed.sort_by_key(|p| p.clip.record);
            let lane = placed[0].lane;
            let role = placed[0]
                .role
                .split('.')
                .next()
                .unwrap_or_default()
                .to_owned();
            let same_role = placed
                .iter()
                .all(|p| p.role.split('.').next() == Some(role.as_str()));
            let base = if same_role && !role.is_empty() {
                let mut r = role.clone();
                if let Some(f) = r.get_mut(..1) {
                    f.make_ascii_uppercase();
                }
                r
            } else if lane == 0 {
                "Storyline".to_owned()
            } else {
                format!("Lane {lane}")
            };
            let n = names.entry(base.clone()).or_insert(0);
            *n += 1;
            let name = if *n == 1 { base } else { format!("{base} {n}") };
            // Clips that overlap on a lane (not crossfades) go to a lane of
            // their own below.
            let mut rows: Vec<Track> = Vec::new();
            for p in placed {
                let c = p.clip;
                let fits = |t: &Track| {
                    t.clips.last().is_none_or(|l| {
                        let end = l.record + l.duration;
                        end <= c.record
                            || (l.fade_out.crossfade && end - c.record <= l.fade_out.length)
                    })
                };
                match rows.iter_mut().find(|t| fits(t)) {
                    Some(t) => t.clips.push(c),
                    None => rows.push(Track {
                        name: if rows.is_empty() {
                            name.clone()
                        } else {
                            format!("{name} ({})", rows.len() + 1)
                        },
                        clips: vec![c],
                        ..Track::default()
                    }),
                }
            }
            self.tl.tracks.extend(rows);
        }
        Ok(self.tl)
    }
}

fn label(lane: i64, name: &str) -> String {
    if lane == 0 {
        format!("storyline, clip \"{name}\"")
    } else {
        format!("lane {lane}, clip \"{name}\"")
    }
}

/// `"-6dB"`, `"-6.5 dB"`, `"0dB"` in dB.
fn parse_db(s: &str) -> Option<f32> {
    let t = s.trim();
    let t = t
        .strip_suffix("dB")
        .or_else(|| t.strip_suffix("db"))
        .unwrap_or(t)
        .trim();
    let v: f32 = t.parse().ok()?;
    v.is_finite().then_some(v.clamp(-144.0, 24.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rational_seconds() {
        assert_eq!(parse_time("1001/24000s"), Some(Time::new(1001, 24000)));
        assert_eq!(parse_time("3600s"), Some(Time::new(3600, 1)));
        assert_eq!(parse_time("0s"), Some(Time::ZERO));
        assert_eq!(parse_time("1.5s"), Some(Time::new(3, 2)));
        assert_eq!(parse_time("1/0s"), None);
        assert_eq!(parse_time("12"), None);
        assert_eq!(parse_time("x/ys"), None);
        assert_eq!(parse_db("-6dB"), Some(-6.0));
        assert_eq!(parse_db("nan dB"), None);
    }
}
