//! From a turnover [`Timeline`] to a Dubstage project, and the report of
//! what was carried.
//!
//! Positions are relative to the timeline's start timecode, which becomes
//! the project's; every time is converted to samples once, from its exact
//! fraction, so sources at other rates keep their own times. A clip's
//! source offset is its source time less its media's origin: the start the
//! turnover gives the media (FCP7 XML, OTIO), else the file's BWF time
//! reference, else (an EDL whose media is offline) the earliest source time
//! used, kept in the media entry as its `time_reference` so the clip keeps
//! its source timecode.

use crate::timeline::{Time, Timeline};
use dubstage_model::{
    ClipChannels, Command, Created, Fade, FadeShape, MediaId, NewClip, ParamId, Project, SampleLen,
    SamplePos, SampleRate, Session, StripId, TrackKind,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the turnover says of one media file, for finding it.
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    pub path: Option<&'a Path>,
    pub name: &'a str,
    pub tape: &'a str,
    /// The source times the clips use (in the media's own timecode).
    pub from: Time,
    pub to: Time,
}

/// A media file found for a [`Wanted`].
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub path: PathBuf,
    pub channels: u16,
    /// Length in samples at the project rate.
    pub length: i64,
    /// The file's BWF time reference in samples at the project rate, if any.
    pub time_reference: Option<i64>,
    /// How it was found ("at its path", "by name", "by tape and timecode").
    pub how: String,
}

/// Finds media files (the caller's: it probes the disk).
pub trait MediaResolver {
    fn resolve(&mut self, wanted: &Wanted<'_>) -> Option<Found>;
}

/// Finds nothing: every clip stays offline.
pub struct NoMedia;

impl MediaResolver for NoMedia {
    fn resolve(&mut self, _: &Wanted<'_>) -> Option<Found> {
        None
    }
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub item: String,
    pub what: String,
}

/// What an import carried, dropped and approximated.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Report {
    pub source: String,
    pub format: String,
    pub frame_rate: String,
    pub start_timecode: String,
    pub tracks: usize,
    pub clips: usize,
    pub markers: usize,
    pub media_found: usize,
    pub media_offline: usize,
    pub carried: Vec<Item>,
    pub dropped: Vec<Item>,
    pub approximated: Vec<Item>,
}

impl Report {
    /// The report as lines of text.
    pub fn text(&self) -> String {
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        let mut s = format!(
            "Imported {} ({}): {}, {}, {} at {}, starting {}\n\
             Media: {} found, {} offline\n",
            self.source,
            self.format,
            n(self.tracks, "track", "tracks"),
            n(self.clips, "clip", "clips"),
            n(self.markers, "marker", "markers"),
            match self.frame_rate.strip_suffix(" DF") {
                Some(r) => format!("{r} fps drop-frame"),
                None => format!("{} fps", self.frame_rate),
            },
            self.start_timecode,
            self.media_found,
            self.media_offline
        );
        for (title, items) in [
            ("Not carried", &self.dropped),
            ("Approximated", &self.approximated),
            ("Carried", &self.carried),
        ] {
            if items.is_empty() {
                continue;
            }
            s.push_str(&format!("\n{title}:\n"));
            for i in items {
                s.push_str(&format!("  {}: {}\n", i.item, i.what));
            }
        }
        s
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("a report is strings and numbers, which always serialise")
    }
}

/// The kind a track's name suggests: production tracks (`A1`, `Audio 2`,
/// boom, lav, dialogue) are dialogue.
pub fn guess_kind(name: &str) -> TrackKind {
    let n = name.to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|w| n.contains(w));
    if has(&["music", "mus", "mx", "score"]) {
        TrackKind::Music
    } else if has(&["foley", "fol"]) {
        TrackKind::Foley
    } else if has(&["amb", "bg", "atmo", "room tone", "roomtone"]) {
        TrackKind::Ambience
    } else if has(&["sfx", "fx", "effect"]) {
        TrackKind::Sfx
    } else {
        TrackKind::Dialogue
    }
}

/// Options of an import.
#[derive(Debug, Clone)]
pub struct Options {
    pub sample_rate: u32,
    /// Track kinds to use instead of the guesses, by track index.
    pub kinds: Vec<Option<TrackKind>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            sample_rate: 48_000,
            kinds: Vec::new(),
        }
    }
}

/// Builds a project from `tl`. `source` names the turnover in the report.
pub fn build(
    tl: &Timeline,
    source: &str,
    format: &str,
    options: &Options,
    media: &mut dyn MediaResolver,
) -> Result<(Project, Report), dubstage_model::EditError> {
    let sr = options.sample_rate;
    let mut project = Project::new(if tl.name.is_empty() {
        "Turnover"
    } else {
        &tl.name
    });
    project.sample_rate = SampleRate::new(sr).unwrap_or_default();
    project.frame_rate = tl.rate;
    project.start_timecode = tl.start;
    let mut report = Report {
        source: source.to_owned(),
        format: format.to_owned(),
        frame_rate: tl.rate.label(),
        start_timecode: tl.start.to_string_with(tl.rate.is_drop_frame()),
        ..Report::default()
    };
    for n in &tl.notes {
        let item = Item {
            item: n.item.clone(),
            what: n.what.clone(),
        };
        if n.what.starts_with("embedded media") {
            report.carried.push(item);
        } else if n.what.contains("not carried") || n.what.contains("skipped") {
            report.dropped.push(item);
        } else {
            report.approximated.push(item);
        }
    }
    let mut s = Session::new(project);
    // The media, one entry per file: found or offline.
    type Key = (Option<PathBuf>, String, String);
    let mut uses: BTreeMap<Key, (Time, Time, Option<Time>, Option<Time>)> = BTreeMap::new();
    for c in tl
        .tracks
        .iter()
        .flat_map(|t| &t.clips)
        .filter(|c| c.enabled)
    {
        let key = (
            c.media.path.clone(),
            c.media.name.clone(),
            c.media.tape.clone(),
        );
        let e = uses.entry(key).or_insert((
            c.source_in,
            c.source_in + c.duration,
            c.media.start,
            c.media.length,
        ));
        e.0 = e.0.min(c.source_in);
        e.1 = e.1.max(c.source_in + c.duration);
    }
    let mut ids: BTreeMap<Key, (MediaId, Time, u16)> = BTreeMap::new();
    // Each media entry's timecode origin and tape, set once built.
    let mut fixups: Vec<(MediaId, i64, String)> = Vec::new();
    for (key, (from, to, start, length)) in &uses {
        let wanted = Wanted {
            path: key.0.as_deref(),
            name: &key.1,
            tape: &key.2,
            from: *from,
            to: *to,
        };
        let found = media.resolve(&wanted);
        let label = if key.1.is_empty() {
            key.2.clone()
        } else {
            key.1.clone()
        };
        let path = match &found {
            Some(f) => f.path.clone(),
            None => key.0.clone().unwrap_or_default(),
        };
        let Created::Media(id) = s.apply(Command::AddMedia {
            path,
            name: label.clone(),
            channels: found.as_ref().map_or(0, |f| f.channels),
            length: SampleLen(
                found
                    .as_ref()
                    .map_or_else(|| length.map_or(0, |l| l.samples(sr)), |f| f.length),
            ),
        })?
        else {
            continue;
        };
        let file_origin = found
            .as_ref()
            .and_then(|f| f.time_reference)
            .map(|t| Time::new(i128::from(t), i128::from(sr)));
        let origin = start.or(file_origin).unwrap_or(*from);
        match &found {
            Some(f) => {
                report.media_found += 1;
                report.carried.push(Item {
                    item: label.clone(),
                    what: format!("found {} ({})", f.how, f.path.display()),
                });
            }
            None => {
                report.media_offline += 1;
                report.dropped.push(Item {
                    item: label.clone(),
                    what: match &key.0 {
                        Some(p) => format!(
                            "media not found (was {}): offline, ready to relink",
                            p.display()
                        ),
                        None => "media not found: offline, ready to relink".to_owned(),
                    },
                });
            }
        }
        ids.insert(
            key.clone(),
            (id, origin, found.as_ref().map_or(0, |f| f.channels)),
        );
        fixups.push((id, origin.samples(sr), key.2.clone()));
    }
    for (ti, t) in tl.tracks.iter().enumerate() {
        if t.clips.is_empty() {
            report.dropped.push(Item {
                item: t.name.clone(),
                what: "empty track: not carried".into(),
            });
            continue;
        }
        let kind = options
            .kinds
            .get(ti)
            .copied()
            .flatten()
            .unwrap_or_else(|| guess_kind(&t.name));
        let Created::Track(track) = s.apply(Command::AddTrack {
            kind,
            name: t.name.clone(),
        })?
        else {
            continue;
        };
        report.tracks += 1;
        if t.gain_db != 0.0 {
            s.apply(Command::SetParam {
                id: ParamId::Fader(StripId::Track(track)),
                value: t.gain_db.clamp(-144.0, 24.0),
            })?;
        }
        if t.pan != 0.0 {
            s.apply(Command::SetParam {
                id: ParamId::Pan(StripId::Track(track)),
                value: t.pan.clamp(-1.0, 1.0),
            })?;
        }
        if !t.volume.is_empty() {
            s.apply(Command::SetLane {
                param: ParamId::Fader(StripId::Track(track)),
                points: t
                    .volume
                    .iter()
                    .map(|(at, db)| {
                        dubstage_model::AutoPoint::new(at.samples(sr), db.clamp(-144.0, 24.0))
                    })
                    .collect(),
            })?;
        }
        for c in &t.clips {
            let label = format!("{}, clip \"{}\"", t.name, c.name);
            if !c.enabled {
                report.dropped.push(Item {
                    item: label,
                    what: "disabled in the turnover: not carried".into(),
                });
                continue;
            }
            let key = (
                c.media.path.clone(),
                c.media.name.clone(),
                c.media.tape.clone(),
            );
            let Some(&(media, origin, channels)) = ids.get(&key) else {
                continue;
            };
            let position = c.record.samples(sr);
            let length = c.duration.samples(sr);
            if length <= 0 {
                report.dropped.push(Item {
                    item: label,
                    what: "no length: not carried".into(),
                });
                continue;
            }
            let mut offset = (c.source_in - origin).samples(sr);
            if offset < 0 {
                report.approximated.push(Item {
                    item: label.clone(),
                    what: format!(
                        "starts {:.3} s before its media: moved to the media's start",
                        -offset as f64 / f64::from(sr)
                    ),
                });
                offset = 0;
            }
            let media_len = s
                .project()
                .media
                .iter()
                .find(|m| m.id == media)
                .map_or(0, |m| m.length.0);
            if media_len > 0 && offset + length > media_len {
                report.approximated.push(Item {
                    item: label.clone(),
                    what: "runs past its media's end: silent there".into(),
                });
            }
            let fade = |r: crate::timeline::Ramp| {
                let len = r.length.samples(sr).clamp(0, length);
                Fade::new(
                    SampleLen(len),
                    if r.crossfade {
                        FadeShape::EqualPower
                    } else {
                        FadeShape::Linear
                    },
                )
            };
            let channels = match c.channel {
                Some(ch) if channels == 0 || ch < channels => ClipChannels::Mono(ch),
                Some(ch) => {
                    report.approximated.push(Item {
                        item: label.clone(),
                        what: format!(
                            "plays source channel {} of a {channels}-channel file: plays channel 1",
                            ch + 1
                        ),
                    });
                    ClipChannels::Mono(0)
                }
                None if channels == 1 => ClipChannels::Mono(0),
                None => ClipChannels::Stereo,
            };
            s.apply(Command::AddClip {
                track,
                clip: NewClip {
                    media,
                    name: c.name.clone(),
                    position: SamplePos(position),
                    length: SampleLen(length),
                    source_offset: SamplePos(offset),
                    gain_db: c.gain_db.clamp(-144.0, 24.0),
                    fade_in: fade(c.fade_in),
                    fade_out: fade(c.fade_out),
                    channels,
                    // Clip-gain keyframes, counted in the source as the
                    // offset is.
                    gain_envelope: c
                        .envelope
                        .iter()
                        .map(|(t, db)| dubstage_model::EnvPoint {
                            at: SamplePos((*t - origin).samples(sr)),
                            db: db.clamp(-144.0, 24.0),
                        })
                        .collect(),
                },
            })?;
            report.clips += 1;
        }
    }
    for m in &tl.markers {
        s.apply(Command::AddMarker {
            position: SamplePos(m.at.samples(sr)),
            name: m.name.clone(),
        })?;
        report.markers += 1;
    }
    let mut project = s.project().clone();
    for (id, origin, tape) in fixups {
        if let Some(m) = project.media.iter_mut().find(|m| m.id == id) {
            m.time_reference = Some(origin);
            m.tape = tape;
        }
    }
    Ok((project, report))
}

/// The commands that add `imported` (a turnover built by [`build`] at
/// `current`'s sample rate) to `current`, `offset` samples later: its
/// media (with their timecode and tape), tracks with their clips and
/// levels, markers, and its picture when `current` has none. Applied as
/// one group they are one undo step; the ids they create are predicted
/// from [`Project::peek_next_id`] (a group hands ids out in order).
pub fn merge_commands(current: &Project, imported: &Project, offset: i64) -> Vec<Command> {
    let mut cmds = Vec::new();
    let mut next = current.peek_next_id();
    let mut media = BTreeMap::new();
    for m in &imported.media {
        cmds.push(Command::AddMedia {
            path: m.path.clone(),
            name: m.name.clone(),
            channels: m.channels,
            length: m.length,
        });
        let id = MediaId(next);
        next += 1;
        media.insert(m.id, id);
        if m.time_reference.is_some() || !m.tape.is_empty() {
            cmds.push(Command::SetMediaOrigin {
                media: id,
                time_reference: m.time_reference,
                tape: m.tape.clone(),
            });
        }
    }
    for t in &imported.tracks {
        cmds.push(Command::AddTrack {
            kind: t.kind,
            name: t.name.clone(),
        });
        let track = dubstage_model::TrackId(next);
        next += 1;
        if t.gain_db != 0.0 {
            cmds.push(Command::SetParam {
                id: ParamId::Fader(StripId::Track(track)),
                value: t.gain_db,
            });
        }
        if t.pan != 0.0 {
            cmds.push(Command::SetParam {
                id: ParamId::Pan(StripId::Track(track)),
                value: t.pan,
            });
        }
        for c in &t.clips {
            let Some(&m) = media.get(&c.media) else {
                continue;
            };
            cmds.push(Command::AddClip {
                track,
                clip: NewClip {
                    media: m,
                    name: c.name.clone(),
                    position: SamplePos(c.position.0.saturating_add(offset)),
                    length: c.length,
                    source_offset: c.source_offset,
                    gain_db: c.gain_db,
                    fade_in: c.fade_in,
                    fade_out: c.fade_out,
                    channels: c.channels,
                    gain_envelope: c.gain_envelope.clone(),
                },
            });
            next += 1;
        }
    }
    for m in &imported.markers {
        cmds.push(Command::AddMarker {
            position: SamplePos(m.position.0.saturating_add(offset)),
            name: m.name.clone(),
        });
    }
    if current.picture.is_none()
        && let Some(p) = &imported.picture
    {
        let mut p = p.clone();
        p.position = SamplePos(p.position.0.saturating_add(offset));
        cmds.push(Command::SetPicture { picture: Some(p) });
    }
    cmds
}

/// Samples from `current`'s start to `imported`'s start (so the turnover
/// lands at its own timecode), at `current`'s rate.
pub fn timecode_offset(current: &Project, imported: &Project) -> Option<i64> {
    let sr = current.sample_rate.hz();
    let at = |p: &Project| {
        p.start_timecode
            .to_frames(p.frame_rate)
            .ok()
            .map(|f| Time::frames(f, p.frame_rate).samples(sr))
    };
    Some(at(imported)? - at(current)?)
}
