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
    // Real denominators are frame and sample rates (24000, 30000, 2500):
    // far larger ones are damage, and would overflow sums of times.
    if d <= 0 || n.unsigned_abs() > 1 << 62 || d > 1 << 40 {
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
    /// Volume of the containers above, in dB.
    gain_db: f32,
    /// Inside a clip (or its video): an `audio` there is the clip's own.
    inside_clip: bool,
}

impl Frame {
    fn at(&self, local: Time) -> Time {
        local - self.start + self.record
    }
}

/// A clip collected on a lane.
struct Placed {
    lane: i64,
    role: String,
    clip: Clip,
}

struct Reader<'a, 'i> {
    assets: HashMap<&'a str, Asset>,
    media: HashMap<&'a str, Node<'a, 'i>>,
    clips: Vec<Placed>,
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
        tl,
        depth: 0,
    };
    let top = Frame {
        start: tc_start,
        record: Time::ZERO,
        lane: 0,
        enabled: true,
        gain_db: 0.0,
        inside_clip: false,
    };
    r.storyline(spine, top)?;
    r.finish()
}

impl<'a, 'i> Reader<'a, 'i> {
    /// The elements of a storyline (a `spine`), in `frame`'s local time.
    /// A transition crossfades the clips of the elements either side of it.
    fn storyline(&mut self, spine: Node<'a, 'i>, frame: Frame) -> Result<(), InterchangeError> {
        // Each child: the element's own clip, or a transition.
        enum Item {
            Own(Option<usize>),
            Transition(Time, Time),
        }
        let mut items = Vec::new();
        for e in spine.children().filter(Node::is_element) {
            if e.has_tag_name("transition") {
                let offset = time_attr(e, "offset")?.unwrap_or_default();
                let dur = time_attr(e, "duration")?.unwrap_or_default();
                items.push(Item::Transition(frame.at(offset), dur));
                continue;
            }
            if matches!(
                e.tag_name().name(),
                "asset-clip"
                    | "clip"
                    | "sync-clip"
                    | "gap"
                    | "ref-clip"
                    | "mc-clip"
                    | "audio"
                    | "video"
                    | "title"
                    | "audition"
                    | "spine"
            ) {
                items.push(Item::Own(self.element(e, frame)?));
            }
        }
        for (k, item) in items.iter().enumerate() {
            let Item::Transition(at, dur) = *item else {
                continue;
            };
            let end = at + dur;
            let before = match k.checked_sub(1).map(|j| &items[j]) {
                Some(Item::Own(c)) => *c,
                _ => None,
            };
            let after = match items.get(k + 1) {
                Some(Item::Own(c)) => *c,
                _ => None,
            };
            let ramp = Ramp {
                length: dur,
                crossfade: before.is_some() && after.is_some(),
            };
            if let Some(i) = before {
                let c = &mut self.clips[i].clip;
                if end > c.record {
                    c.duration = end - c.record;
                }
                c.fade_out = ramp;
            }
            if let Some(i) = after {
                let c = &mut self.clips[i].clip;
                let lead = c.record - at;
                if !lead.is_negative() {
                    c.record = at;
                    c.source_in = c.source_in - lead;
                    c.duration = c.duration + lead;
                }
                c.fade_in = ramp;
            }
            if before.is_none() && after.is_none() {
                self.tl.note(
                    "transition",
                    "a transition that meets no audio: not carried",
                );
            }
        }
        Ok(())
    }

    /// One story element at `frame`: its own audio on `frame.lane`, then
    /// the clips connected to it. Returns its own clip (for transitions).
    fn element(
        &mut self,
        e: Node<'a, 'i>,
        frame: Frame,
    ) -> Result<Option<usize>, InterchangeError> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(bad("clips nested deeper than 64"));
        }
        let result = self.element_inner(e, frame);
        self.depth -= 1;
        result
    }

    fn element_inner(
        &mut self,
        e: Node<'a, 'i>,
        frame: Frame,
    ) -> Result<Option<usize>, InterchangeError> {
        let tag = e.tag_name().name();
        let offset = time_attr(e, "offset")?.unwrap_or_default();
        let start = time_attr(e, "start")?;
        let duration = time_attr(e, "duration")?.unwrap_or_default();
        let lane_attr = e
            .attribute("lane")
            .and_then(|l| l.trim().parse::<i64>().ok())
            .map(|l| l.clamp(-1000, 1000));
        let record = frame.at(offset);
        let enabled = frame.enabled && e.attribute("enabled") != Some("0");
        let name = e.attribute("name").unwrap_or_default().to_owned();
        // A connected element sits on its own lane of the parent's; a
        // clip's own audio (an `audio` inside a clip or its video) stays on
        // the clip's lane.
        let lane = if tag == "audio" && frame.inside_clip {
            frame.lane
        } else {
            frame.lane + lane_attr.unwrap_or(0)
        };
        // Volume on a container applies to everything in it.
        let mut gain_db = frame.gain_db;
        if matches!(tag, "clip" | "sync-clip" | "ref-clip" | "mc-clip") {
            for adj in e.children().filter(|c| c.has_tag_name("adjust-volume")) {
                if let Some(db) = adj.attribute("amount").and_then(parse_db) {
                    gain_db += db;
                }
            }
        }
        let own = Frame {
            start: start.unwrap_or_default(),
            record,
            lane,
            enabled,
            gain_db,
            inside_clip: matches!(tag, "clip" | "sync-clip" | "video"),
        };
        // `srcEnable` picks the audio or the video of a clip.
        let audio_on = e.attribute("srcEnable") != Some("video");
        let video_on = e.attribute("srcEnable") != Some("audio");
        let mut own_clip = None;
        match tag {
            "spine" => {
                // A connected storyline: its children in its own time.
                self.storyline(e, own)?;
                return Ok(None);
            }
            "asset-clip" | "audio" => {
                let asset = e.attribute("ref").and_then(|r| self.assets.get(r)).cloned();
                match asset {
                    Some(a) => {
                        if a.audio && audio_on {
                            own_clip = self.clip(e, &a, own, duration, &name)?;
                        }
                        if a.video && video_on && tag == "asset-clip" {
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
            "sync-clip"
                if e.descendants().any(|c| {
                    c.has_tag_name("audio-role-source") && c.attribute("active") == Some("0")
                }) =>
            {
                self.tl.note(
                    label(lane, &name),
                    "a synchronized clip's disabled audio roles: not carried apart (its audio is)",
                );
            }
            "ref-clip" => {
                let inner = e.attribute("ref").and_then(|r| self.media.get(r)).copied();
                match inner.and_then(|m| m.children().find(|c| c.has_tag_name("sequence"))) {
                    Some(seq) => {
                        self.tl.note(
                            label(lane, &name),
                            "compound clip: flattened (its clips are carried on this lane)",
                        );
                        if let Some(spine) = seq.children().find(|c| c.has_tag_name("spine")) {
                            let first = self.clips.len();
                            let inner_frame = Frame {
                                inside_clip: false,
                                ..own
                            };
                            self.storyline(spine, inner_frame)?;
                            // Only the part of the compound the clip shows.
                            self.window(first, record, record + duration);
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
                    return self.element(pick, at);
                }
            }
            _ => {}
        }
        // Children: the clip's own content (no lane; for a clip, its video
        // and audio), connected clips (a lane), markers, in the element's
        // local time.
        for c in e.children().filter(Node::is_element) {
            let ctag = c.tag_name().name();
            match ctag {
                "marker" | "chapter-marker" => {
                    if let Some(at) = time_attr(c, "start")? {
                        self.tl.markers.push(Marker {
                            at: own.at(at),
                            name: c.attribute("value").unwrap_or_default().to_owned(),
                        });
                    }
                }
                "asset-clip" | "clip" | "sync-clip" | "gap" | "ref-clip" | "mc-clip" | "audio"
                | "video" | "spine" | "title" | "audition" => {
                    let connected = c.attribute("lane").is_some();
                    let own_content = matches!(tag, "clip" | "sync-clip" | "video")
                        && (!connected || ctag == "audio");
                    if !connected && !own_content {
                        continue;
                    }
                    if own_content && !audio_on && ctag == "audio" {
                        continue;
                    }
                    let got = self.element(c, own)?;
                    if own_content && own_clip.is_none() {
                        own_clip = got;
                    }
                }
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
        Ok(own_clip)
    }

    /// Trims the clips collected from `first` on to `[from, to)` (the part
    /// of a compound clip that shows).
    fn window(&mut self, first: usize, from: Time, to: Time) {
        let kept: Vec<Placed> = self
            .clips
            .drain(first..)
            .filter_map(|p| {
                let clip = p.clip.window(from, to)?;
                Some(Placed { clip, ..p })
            })
            .collect();
        self.clips.extend(kept);
    }

    /// The clip (or one clip per active channel source) of an
    /// `asset-clip` or `audio`; returns the first.
    fn clip(
        &mut self,
        e: Node<'a, 'i>,
        a: &Asset,
        own: Frame,
        duration: Time,
        name: &str,
    ) -> Result<Option<usize>, InterchangeError> {
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
            return Ok(None);
        }
        let mut gain_db = own.gain_db;
        let mut fade_in = Ramp::default();
        let mut fade_out = Ramp::default();
        // Volume keyframes: (the clip's own time = its source time, dB).
        let mut keys: Vec<(Time, f32)> = Vec::new();
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
                for anim in p.children().filter(|k| k.has_tag_name("keyframeAnimation")) {
                    for k in anim.children().filter(|k| k.has_tag_name("keyframe")) {
                        if let (Some(t), Some(db)) = (
                            time_attr(k, "time")?,
                            k.attribute("value").and_then(parse_db),
                        ) {
                            keys.push((t, db));
                        }
                    }
                }
                if !keys.is_empty() {
                    self.tl.note(
                        &label,
                        format!(
                            "volume keyframes ({} points): carried as a clip-gain envelope",
                            keys.len()
                        ),
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
        // The channels it plays: `srcCh` on an `audio`, or the active
        // `audio-channel-source`s of an `asset-clip` (one clip each).
        let first_channel = |s: &str| -> Option<u16> {
            let mut it = s.split(',').map(str::trim).filter(|t| !t.is_empty());
            let one = it.next()?.parse::<u16>().ok()?;
            (it.next().is_none() && one >= 1).then(|| one - 1)
        };
        let mut sources: Vec<(Option<u16>, String)> = Vec::new();
        let acs: Vec<Node<'_, '_>> = e
            .children()
            .filter(|c| c.has_tag_name("audio-channel-source"))
            .collect();
        if acs.is_empty() {
            sources.push((e.attribute("srcCh").and_then(first_channel), role));
        } else {
            for c in acs {
                if c.attribute("active") == Some("0") {
                    continue;
                }
                sources.push((
                    c.attribute("srcCh").and_then(first_channel),
                    c.attribute("role")
                        .map_or_else(|| role.clone(), str::to_owned),
                ));
            }
            if sources.is_empty() {
                self.tl
                    .note(&label, "every audio channel turned off: not carried");
                return Ok(None);
            }
        }
        let first = self.clips.len();
        for (channel, role) in sources {
            self.clips.push(Placed {
                lane: own.lane,
                role,
                clip: Clip {
                    name: name.clone(),
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
                    channel,
                    gain_db,
                    fade_in,
                    fade_out,
                    enabled: own.enabled,
                    // Keyframes are the whole volume: relative to the
                    // static part.
                    envelope: keys
                        .iter()
                        .map(|(t, db)| (*t, *db - (gain_db - own.gain_db)))
                        .collect(),
                },
            });
        }
        Ok(Some(first))
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

    /// Lanes become tracks.
    fn finish(self) -> Result<Timeline, InterchangeError> {
        let mut tl = self.tl;
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
            tl.tracks.extend(rows);
        }
        Ok(tl)
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
        // Too large to be a time: refused, not overflowed.
        assert_eq!(parse_time(&format!("{}.5s", "9".repeat(40))), None);
        assert_eq!(
            parse_time("-170141183460469231731687303715884105728/1s"),
            None
        );
        assert_eq!(
            parse_time("1/170141183460469231731687303715884105727s"),
            None
        );
        assert_eq!(parse_db("-6dB"), Some(-6.0));
        assert_eq!(parse_db("nan dB"), None);
    }
}
