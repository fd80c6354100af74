//! Final Cut Pro 7 XML (`xmeml`, versions 4 and 5, as Premiere Pro and
//! Resolve also write it): the first sequence's audio tracks.
//!
//! Carried: clip items with their record range (`start`/`end`, including
//! the `-1` of a clip that meets a transition), source range (`in`/`out`
//! against the file's own timecode), source channel (`sourcetrack`),
//! Audio Levels gain, enabled state; cross dissolves as crossfades;
//! sequence and clip markers; track enable. Files are given once in full
//! and later by id. Reported: level keyframes, nested sequences, other
//! filters, video tracks.

use crate::InterchangeError;
use crate::timeline::{
    Clip, Marker, MediaSource, Ramp, Time, Timeline, Track, rate_from_f64, url_to_path,
};
use dubstage_model::{FrameRate, Timecode};
use roxmltree::Node;
use std::collections::HashMap;

fn bad(what: impl Into<String>) -> InterchangeError {
    InterchangeError::Malformed {
        format: "FCP7 XML",
        what: what.into(),
    }
}

fn child<'a>(n: Node<'a, 'a>, name: &str) -> Option<Node<'a, 'a>> {
    n.children().find(|c| c.has_tag_name(name))
}

fn text<'a>(n: Node<'a, 'a>, name: &str) -> Option<&'a str> {
    child(n, name).and_then(|c| c.text()).map(str::trim)
}

fn int(n: Node<'_, '_>, name: &str) -> Option<i64> {
    text(n, name).and_then(|t| t.parse().ok())
}

/// A `<rate>` (timebase and NTSC flag) as a frame rate.
fn rate_of(n: Node<'_, '_>) -> Option<FrameRate> {
    let r = child(n, "rate")?;
    let base: f64 = text(r, "timebase")?.parse().ok()?;
    let ntsc = text(r, "ntsc").is_some_and(|t| t.eq_ignore_ascii_case("TRUE"));
    if ntsc {
        rate_from_f64(base * 1000.0 / 1001.0, false)
    } else {
        rate_from_f64(base, false)
    }
}

/// A `<timecode>`'s time since midnight, and the timecode.
fn timecode_of(n: Node<'_, '_>, fallback: FrameRate) -> Option<(Time, Timecode)> {
    let tcn = child(n, "timecode")?;
    let mut rate = rate_of(tcn).unwrap_or(fallback);
    let df = text(tcn, "displayformat").is_some_and(|d| d.eq_ignore_ascii_case("DF"));
    if df {
        rate = FrameRate::new(rate.num(), rate.den(), true).unwrap_or(rate);
    }
    if let Some(frame) = int(tcn, "frame") {
        return Some((
            Time::frames(frame, rate),
            Timecode::from_frames(frame, rate),
        ));
    }
    let tc = Timecode::parse(text(tcn, "string")?).ok()?;
    let frames = tc.to_frames(rate).ok()?;
    Some((Time::frames(frames, rate), tc))
}

/// Reads an FCP7 XML document.
pub fn read(xml: &str) -> Result<Timeline, InterchangeError> {
    let doc = crate::parse_xml(xml).map_err(|e| bad(format!("not well-formed XML: {e}")))?;
    let root = doc.root_element();
    if !root.has_tag_name("xmeml") {
        return Err(bad(format!(
            "the root element is <{}>, not <xmeml>",
            root.tag_name().name()
        )));
    }
    let seq = root
        .descendants()
        .find(|n| n.has_tag_name("sequence") && child(*n, "media").is_some())
        .ok_or_else(|| bad("no sequence"))?;
    let rate = rate_of(seq).ok_or_else(|| bad("the sequence has no frame rate"))?;
    let mut tl = Timeline::new(text(seq, "name").unwrap_or_default(), rate);
    if let Some((_, tc)) = timecode_of(seq, rate) {
        tl.start = tc;
        if tc.drop_frame {
            tl.rate = FrameRate::new(rate.num(), rate.den(), true).unwrap_or(rate);
        }
    }
    let rate = tl.rate;
    let media = child(seq, "media").ok_or_else(|| bad("the sequence has no media"))?;
    // The reference movie: the first file on a video track.
    let movie = child(media, "video").and_then(|v| {
        v.descendants()
            .filter(|c| c.has_tag_name("clipitem"))
            .find_map(|c| {
                let f = child(c, "file")?;
                let f = if f.has_children() {
                    f
                } else {
                    root.descendants().find(|n| {
                        n.has_tag_name("file")
                            && n.has_children()
                            && n.attribute("id") == f.attribute("id")
                    })?
                };
                let url = text(f, "pathurl")?;
                let r = rate_of(c).unwrap_or(rate);
                let start = int(c, "start").filter(|s| *s >= 0).unwrap_or(0);
                let inn = int(c, "in").unwrap_or(0);
                Some(crate::timeline::PictureRef {
                    path: url_to_path(url),
                    at: Time::frames(start, rate) - Time::frames(inn, r),
                })
            })
    });
    if let Some(p) = movie {
        tl.note(
            "video",
            format!(
                "video tracks: not carried (their movie {} is the reference picture)",
                p.path.display()
            ),
        );
        tl.picture = Some(p);
    } else if child(media, "video").is_some_and(|v| {
        v.children()
            .any(|t| t.has_tag_name("track") && t.has_children())
    }) {
        tl.note("video", "video tracks: not carried");
    }
    // Files are given in full once, then by id.
    let mut files: HashMap<String, Node<'_, '_>> = HashMap::new();
    for f in root.descendants().filter(|n| n.has_tag_name("file")) {
        if let Some(id) = f.attribute("id")
            && f.has_children()
        {
            files.entry(id.to_owned()).or_insert(f);
        }
    }
    let audio = child(media, "audio");
    let tracks = audio
        .into_iter()
        .flat_map(|a| a.children().filter(|t| t.has_tag_name("track")));
    for (ti, t) in tracks.enumerate() {
        let label = format!("A{}", ti + 1);
        if text(t, "enabled").is_some_and(|e| e.eq_ignore_ascii_case("FALSE")) {
            tl.note(&label, "disabled track: not carried");
            continue;
        }
        let mut track = Track {
            name: label.clone(),
            ..Track::default()
        };
        let mut transitions = Vec::new();
        for item in t.children().filter(Node::is_element) {
            match item.tag_name().name() {
                "clipitem" => {
                    if let Some(clip) = read_clip(&mut tl, &label, item, &files, rate)? {
                        track.clips.push(clip);
                    }
                }
                "transitionitem" => {
                    let (Some(s), Some(e)) = (int(item, "start"), int(item, "end")) else {
                        tl.note(&label, "a transition without start and end: not carried");
                        continue;
                    };
                    let align = text(item, "alignment").unwrap_or("center").to_owned();
                    transitions.push((Time::frames(s, rate), Time::frames(e, rate), align));
                }
                "enabled" | "locked" | "outputchannelindex" => {}
                other => tl.note(&label, format!("<{other}> on the track: not carried")),
            }
        }
        for (s, e, align) in transitions {
            let len = e - s;
            let black_in = align.contains("start-black");
            let black_out = align.contains("end-black");
            let mut carried = false;
            for c in &mut track.clips {
                if !black_in && c.record + c.duration == e {
                    c.fade_out = Ramp {
                        length: len,
                        crossfade: !black_out,
                    };
                    carried = true;
                }
                if !black_out && c.record == s {
                    c.fade_in = Ramp {
                        length: len,
                        crossfade: !black_in,
                    };
                    carried = true;
                }
            }
            if !carried {
                tl.note(&label, "a transition that meets no clip: not carried");
            }
        }
        tl.tracks.push(track);
    }
    for m in seq.children().filter(|n| n.has_tag_name("marker")) {
        if let Some(at) = int(m, "in") {
            tl.markers.push(Marker {
                at: Time::frames(at, rate),
                name: text(m, "name").unwrap_or_default().to_owned(),
            });
        }
    }
    Ok(tl)
}

fn read_clip(
    tl: &mut Timeline,
    track: &str,
    item: Node<'_, '_>,
    files: &HashMap<String, Node<'_, '_>>,
    seq_rate: FrameRate,
) -> Result<Option<Clip>, InterchangeError> {
    let name = text(item, "name").unwrap_or_default().to_owned();
    let label = format!("{track}, clip \"{name}\"");
    let clip_rate = rate_of(item).unwrap_or(seq_rate);
    let (inn, out) = match (int(item, "in"), int(item, "out")) {
        (Some(i), Some(o)) if o >= i => (i, o),
        _ => return Err(bad(format!("{label}: no valid in and out"))),
    };
    let len = out - inn;
    let (start, end) = match (int(item, "start"), int(item, "end")) {
        (Some(s), Some(e)) if s >= 0 && e >= 0 => (s, e),
        (Some(s), _) if s >= 0 => (s, s + len),
        (_, Some(e)) if e >= 0 => (e - len, e),
        _ => return Err(bad(format!("{label}: no record position"))),
    };
    if child(item, "sequence").is_some() {
        tl.note(&label, "nested sequence: not carried");
        return Ok(None);
    }
    let file = child(item, "file").and_then(|f| {
        if f.has_children() {
            Some(f)
        } else {
            f.attribute("id").and_then(|id| files.get(id).copied())
        }
    });
    let mut media = MediaSource {
        name: name.clone(),
        ..MediaSource::default()
    };
    let mut source_start = Time::ZERO;
    if let Some(f) = file {
        if let Some(url) = text(f, "pathurl") {
            media.path = Some(url_to_path(url));
        }
        if let Some(n) = text(f, "name") {
            media.name = n.to_owned();
        }
        let frate = rate_of(f).unwrap_or(clip_rate);
        if let Some((t, _)) = timecode_of(f, frate) {
            source_start = t;
        }
        media.start = Some(source_start);
        if let Some(d) = int(f, "duration") {
            media.length = Some(Time::frames(d, frate));
        }
        if let Some(reel) = child(f, "timecode")
            .and_then(|t| child(t, "reel"))
            .and_then(|r| text(r, "name"))
        {
            media.tape = reel.to_owned();
        }
    } else {
        tl.note(&label, "no file: kept offline");
    }
    let channel = child(item, "sourcetrack")
        .and_then(|s| int(s, "trackindex"))
        .and_then(|i| u16::try_from(i - 1).ok());
    let mut gain_db = 0.0f32;
    for f in item.children().filter(|n| n.has_tag_name("filter")) {
        let Some(e) = child(f, "effect") else {
            continue;
        };
        let id = text(e, "effectid")
            .or_else(|| text(e, "name"))
            .unwrap_or("");
        if id.eq_ignore_ascii_case("audiolevels") || id.eq_ignore_ascii_case("Audio Levels") {
            for p in e.children().filter(|n| n.has_tag_name("parameter")) {
                if text(p, "parameterid").is_some_and(|i| i == "level") {
                    if p.children().any(|k| k.has_tag_name("keyframe")) {
                        tl.note(&label, "level keyframes: not carried (the static level is)");
                    }
                    if let Some(v) = text(p, "value").and_then(|v| v.parse::<f32>().ok())
                        && v > 0.0
                        && v.is_finite()
                    {
                        gain_db += 20.0 * v.log10();
                    }
                }
            }
        } else {
            tl.note(&label, format!("filter \"{id}\": not carried"));
        }
    }
    for m in item.children().filter(|n| n.has_tag_name("marker")) {
        if let Some(at) = int(m, "in") {
            tl.markers.push(Marker {
                at: Time::frames(start, seq_rate) + Time::frames(at - inn, clip_rate),
                name: text(m, "name").unwrap_or_default().to_owned(),
            });
        }
    }
    let enabled = !text(item, "enabled").is_some_and(|e| e.eq_ignore_ascii_case("FALSE"));
    Ok(Some(Clip {
        name,
        record: Time::frames(start, seq_rate),
        duration: Time::frames(end - start, seq_rate),
        source_in: source_start + Time::frames(inn, clip_rate),
        media,
        channel,
        gain_db,
        fade_in: Ramp::default(),
        fade_out: Ramp::default(),
        enabled,
        envelope: Vec::new(),
    }))
}
