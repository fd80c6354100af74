//! CMX3600 edit decision lists (`.edl`): read and write.
//!
//! Read: `TITLE:`, `FCM:` (drop frame or not), events with reels of any
//! length (the File32/File128 variants), audio channels `A`, `A2`–`A9`,
//! `AA`, `AA/V`, `A/V` and `B` (each channel its own track, playing that
//! channel of its source), cuts and dissolves (crossfades), `* FROM CLIP
//! NAME:`, `* SOURCE FILE:` and `* LOC:` comments. Wipes and keys become
//! crossfades, speed changes (`M2`) and video-only events are reported.
//! Write: the project's first four tracks as channels `A`–`A4`, at the
//! project's frame rate, with a `* SESSION START:` comment (read back, and
//! ignored by other readers like every comment) so a session that does
//! not start on an hour comes back where it was; without it the timeline
//! starts on the hour of its first record timecode.

use crate::InterchangeError;
use crate::timeline::{Clip, Marker, MediaSource, Ramp, Time, Timeline, Track, timecode_time};
use dubstage_model::{FrameRate, Project, Timecode};

fn bad(line: usize, what: impl Into<String>) -> InterchangeError {
    InterchangeError::Malformed {
        format: "EDL",
        what: format!("line {line}: {}", what.into()),
    }
}

/// The audio channels (1-based) an event's channel field names; empty for
/// video alone.
fn channels(field: &str) -> Option<Vec<u16>> {
    let f = field.to_ascii_uppercase();
    let audio = f.split('/').next().unwrap_or_default();
    Some(match audio {
        "V" => Vec::new(),
        "A" | "B" | "A1" => vec![1],
        "AA" => vec![1, 2],
        a if a.starts_with('A') && a.len() == 2 => {
            let n = a[1..].parse::<u16>().ok()?;
            if n == 0 {
                return None;
            }
            vec![n]
        }
        _ => return None,
    })
}

/// Reads a CMX3600 EDL. The timeline starts on the hour of its first
/// record timecode (01:00:00:00 for most), at `rate` (the EDL does not
/// say its rate; `FCM: DROP FRAME` makes 29.97 drop-frame).
pub fn read(text: &str, rate: FrameRate) -> Result<Timeline, InterchangeError> {
    let mut tl = Timeline::new("", rate);
    let mut drop_frame = rate.is_drop_frame();
    // Per channel: the clips, and the last event's clip index.
    let mut by_channel: std::collections::BTreeMap<u16, Vec<Clip>> = Default::default();
    // Record timecodes as read (relative to midnight); moved to the
    // timeline start at the end.
    let mut last_event: Vec<(u16, usize)> = Vec::new();
    let mut events = 0usize;
    // Dubstage's own comment: the session's start, when not on an hour.
    let mut session_start: Option<Timecode> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(t) = line.strip_prefix("TITLE:") {
            tl.name = t.trim().to_owned();
            continue;
        }
        if let Some(f) = line.strip_prefix("FCM:") {
            let f = f.trim().to_ascii_uppercase();
            drop_frame = f.starts_with("DROP");
            if !f.starts_with("DROP") && !f.starts_with("NON") {
                return Err(bad(line_no, format!("unknown frame code mode \"{}\"", f)));
            }
            continue;
        }
        if let Some(c) = line.strip_prefix('*') {
            let c = c.trim();
            let upper = c.to_ascii_uppercase();
            let value = |prefix: &str| c[prefix.len()..].trim().to_owned();
            if upper.starts_with("FROM CLIP NAME:") {
                let name = value("FROM CLIP NAME:");
                for (ch, i) in &last_event {
                    if let Some(clip) = by_channel.get_mut(ch).and_then(|v| v.get_mut(*i)) {
                        clip.name = name.clone();
                        if clip.media.name.is_empty()
                            || clip.media.name == clip.media.tape && clip.media.path.is_none()
                        {
                            clip.media.name = name.clone();
                        }
                    }
                }
            } else if upper.starts_with("SOURCE FILE:") {
                let file = value("SOURCE FILE:");
                for (ch, i) in &last_event {
                    if let Some(clip) = by_channel.get_mut(ch).and_then(|v| v.get_mut(*i)) {
                        clip.media.name = file.clone();
                    }
                }
            } else if upper.starts_with("SESSION START:") {
                let t = value("SESSION START:");
                session_start = Some(
                    Timecode::parse(&t)
                        .map_err(|_| bad(line_no, format!("\"{t}\" is not a timecode")))?,
                );
            } else if upper.starts_with("LOC:") {
                let rest = value("LOC:");
                let mut parts = rest.split_whitespace();
                let tc = parts
                    .next()
                    .and_then(|t| Timecode::parse(t).ok())
                    .ok_or_else(|| bad(line_no, "a LOC comment without a timecode"))?;
                let at = timecode_time(tc, tl_rate(rate, drop_frame))
                    .ok_or_else(|| bad(line_no, format!("timecode {tc} is not valid")))?;
                let name: Vec<&str> = parts.skip(1).collect();
                tl.markers.push(Marker {
                    at,
                    name: name.join(" "),
                });
            }
            continue;
        }
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("M2") {
            tl.note(
                format!("line {line_no}"),
                "speed change (M2): not carried, the clip plays at normal speed",
            );
            continue;
        }
        if upper.starts_with("SPLIT") || upper.starts_with("AUD") {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !fields[0].chars().all(|c| c.is_ascii_digit()) {
            return Err(bad(line_no, format!("cannot read \"{line}\"")));
        }
        if fields.len() < 8 {
            return Err(bad(
                line_no,
                "an event needs reel, channels, transition and four timecodes",
            ));
        }
        events += 1;
        let reel = fields[1].to_owned();
        let chans = channels(fields[2])
            .ok_or_else(|| bad(line_no, format!("unknown channels \"{}\"", fields[2])))?;
        let trans = fields[3].to_ascii_uppercase();
        let (dur, tcs) = if trans == "C" {
            (0i64, &fields[4..])
        } else {
            let d = fields
                .get(4)
                .and_then(|d| d.parse::<i64>().ok())
                .ok_or_else(|| bad(line_no, "a transition without a length in frames"))?;
            (d, &fields[5..])
        };
        if tcs.len() < 4 {
            return Err(bad(line_no, "an event needs four timecodes"));
        }
        let r = tl_rate(rate, drop_frame);
        let mut tc = [Time::ZERO; 4];
        for (slot, t) in tc.iter_mut().zip(tcs) {
            let parsed = Timecode::parse(t)
                .map_err(|_| bad(line_no, format!("\"{t}\" is not a timecode")))?;
            *slot = timecode_time(parsed, r).ok_or_else(|| {
                bad(
                    line_no,
                    format!("timecode {t} is out of range at {}", r.label()),
                )
            })?;
        }
        let [src_in, src_out, rec_in, rec_out] = tc;
        if src_out < src_in || rec_out < rec_in {
            return Err(bad(line_no, "an out timecode before its in"));
        }
        if chans.is_empty() {
            tl.note(format!("event {}", fields[0]), "video only: not carried");
            last_event.clear();
            continue;
        }
        if !trans.starts_with('C') && !trans.starts_with('D') {
            tl.note(
                format!("event {}", fields[0]),
                format!("transition {trans} carried as a crossfade"),
            );
        }
        if reel.eq_ignore_ascii_case("BL") {
            last_event.clear();
            continue;
        }
        let fade = Time::frames(dur, r);
        // AX (auxiliary: a file) names no tape.
        let aux = reel.eq_ignore_ascii_case("AX");
        last_event.clear();
        for ch in chans {
            let clips = by_channel.entry(ch).or_default();
            if rec_out == rec_in {
                // The outgoing side of a dissolve: its clip is the one before.
                continue;
            }
            let mut clip = Clip {
                name: String::new(),
                record: rec_in,
                duration: rec_out - rec_in,
                source_in: src_in,
                media: MediaSource {
                    name: if aux { String::new() } else { reel.clone() },
                    tape: if aux { String::new() } else { reel.clone() },
                    ..MediaSource::default()
                },
                channel: Some(ch - 1),
                gain_db: 0.0,
                fade_in: Ramp::default(),
                fade_out: Ramp::default(),
                enabled: true,
                envelope: Vec::new(),
            };
            if dur > 0 {
                match clips.last_mut() {
                    Some(prev) if prev.record + prev.duration == rec_in => {
                        prev.duration = prev.duration + fade;
                        prev.fade_out = Ramp {
                            length: fade,
                            crossfade: true,
                        };
                        clip.fade_in = Ramp {
                            length: fade,
                            crossfade: true,
                        };
                    }
                    _ => {
                        clip.fade_in = Ramp {
                            length: fade,
                            crossfade: false,
                        }
                    }
                }
            }
            clips.push(clip);
            last_event.push((ch, clips.len() - 1));
        }
    }
    if events == 0 {
        return Err(InterchangeError::Malformed {
            format: "EDL",
            what: "no events".into(),
        });
    }
    let r = tl_rate(rate, drop_frame);
    tl.rate = r;
    let first = by_channel
        .values()
        .flatten()
        .map(|c| c.record)
        .min()
        .unwrap_or(Time::ZERO);
    let hour = Time::frames(first.to_frames(r), r);
    let hour_tc = Timecode::from_frames(hour.to_frames(r), r);
    let start = session_start.unwrap_or(Timecode {
        minutes: 0,
        seconds: 0,
        frames: 0,
        ..hour_tc
    });
    let origin = timecode_time(start, r).unwrap_or(Time::ZERO);
    tl.start = start;
    for (ch, mut clips) in by_channel {
        for c in &mut clips {
            c.record = c.record - origin;
        }
        tl.tracks.push(Track {
            name: format!("A{ch}"),
            clips,
            ..Track::default()
        });
    }
    for m in &mut tl.markers {
        m.at = m.at - origin;
    }
    Ok(tl)
}

fn tl_rate(rate: FrameRate, drop_frame: bool) -> FrameRate {
    if drop_frame && rate.den() == 1001 && (rate.num() == 30_000 || rate.num() == 60_000) {
        FrameRate::new(rate.num(), rate.den(), true).unwrap_or(rate)
    } else if !drop_frame && rate.is_drop_frame() {
        FrameRate::new(rate.num(), rate.den(), false).unwrap_or(rate)
    } else {
        rate
    }
}

/// Writes the project's first four tracks as a CMX3600 EDL at its frame
/// rate, with the names of the tracks left out (an EDL has four audio
/// channels).
pub fn write(project: &Project) -> (String, Vec<String>) {
    let fr = project.frame_rate;
    let sr = i128::from(project.sample_rate.hz());
    let frames = |samples: i64| Time::new(i128::from(samples), sr).to_frames(fr);
    let tc = |f: i64| Timecode::from_frames(f, fr).to_string_with(fr.is_drop_frame());
    let start = project.start_timecode.to_frames(fr).unwrap_or(0);
    let mut out = format!(
        "TITLE: {}\nFCM: {}\n* SESSION START: {}\n\n",
        project.name,
        if fr.is_drop_frame() {
            "DROP FRAME"
        } else {
            "NON-DROP FRAME"
        },
        tc(start)
    );
    let mut left_out = Vec::new();
    let mut event = 0;
    for (ti, t) in project.tracks.iter().enumerate() {
        if ti >= 4 {
            left_out.push(t.name.clone());
            continue;
        }
        let chan = if ti == 0 {
            "A".to_owned()
        } else {
            format!("A{}", ti + 1)
        };
        let mut clips: Vec<&dubstage_model::Clip> = t.clips.iter().collect();
        clips.sort_by_key(|c| (c.position, c.id));
        for c in clips {
            event += 1;
            let media = project.media.iter().find(|m| m.id == c.media);
            let origin = media.and_then(|m| m.time_reference).unwrap_or(0);
            let reel = media
                .map(|m| {
                    if m.tape.is_empty() {
                        "AX"
                    } else {
                        m.tape.as_str()
                    }
                })
                .unwrap_or("AX");
            let s_in = frames(origin + c.source_offset.0);
            let len = frames(c.length.0);
            let r_in = start + frames(c.position.0);
            out.push_str(&format!(
                "{event:03}  {reel:<8} {chan:<5} C        {} {} {} {}\n",
                tc(s_in),
                tc(s_in + len),
                tc(r_in),
                tc(r_in + len)
            ));
            if !c.name.is_empty() {
                out.push_str(&format!("* FROM CLIP NAME: {}\n", c.name));
            }
            if let Some(file) = media.and_then(|m| m.path.file_name()) {
                out.push_str(&format!("* SOURCE FILE: {}\n", file.to_string_lossy()));
            }
            out.push('\n');
        }
    }
    for m in &project.markers {
        out.push_str(&format!(
            "* LOC: {} RED {}\n",
            tc(start + frames(m.position.0)),
            m.name
        ));
    }
    (out, left_out)
}
