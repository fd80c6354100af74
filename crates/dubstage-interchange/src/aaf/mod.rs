//! AAF (Advanced Authoring Format), as Avid Media Composer, Premiere Pro
//! and Resolve write turnovers: the top-level composition's sound slots
//! become tracks; each source clip is followed through its master mob and
//! file source mob to the tape or import mob that carries its source
//! timecode; embedded essence is extracted to Broadcast Wave files
//! ([`extract_embedded`]).
//!
//! The compound-file container is read by the `cfb` crate; the object model
//! ([`store`]) and its mapping are here. Times stay exact: every position is
//! edit units over its own slot's edit rate, so a 48 kHz audio slot, a
//! 25 fps master mob and a 23.976 composition each keep their own.

pub mod essence;
pub mod store;

use crate::timeline::{Clip, MediaSource, PictureRef, Ramp, Time, Timeline, Track, url_to_path};
use dubstage_model::{FrameRate, Timecode};
pub use essence::{Embedded, Wrapping, extract_embedded};
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::PathBuf;
use store::{Obj, Store};
use uuid::Uuid;

/// The classes read, by the third field of their AUID
/// (`0d010101-0101-XXXX-060e-2b3402060101`).
mod class {
    pub const EDGE_CODE: u16 = 0x0400;
    pub const ESSENCE_GROUP: u16 = 0x0500;
    pub const EVENT: u16 = 0x0600;
    pub const COMMENT_MARKER: u16 = 0x0800;
    pub const FILLER: u16 = 0x0900;
    pub const OPERATION_GROUP: u16 = 0x0a00;
    pub const NESTED_SCOPE: u16 = 0x0b00;
    pub const PULLDOWN: u16 = 0x0c00;
    pub const SCOPE_REFERENCE: u16 = 0x0d00;
    pub const SELECTOR: u16 = 0x0e00;
    pub const SEQUENCE: u16 = 0x0f00;
    pub const SOURCE_CLIP: u16 = 0x1100;
    pub const TIMECODE: u16 = 0x1400;
    pub const TRANSITION: u16 = 0x1700;
    pub const WAVE_DESCRIPTOR: u16 = 0x2c00;
    pub const AIFC_DESCRIPTOR: u16 = 0x2600;
    pub const TAPE_DESCRIPTOR: u16 = 0x2e00;
    pub const COMPOSITION_MOB: u16 = 0x3500;
    pub const MASTER_MOB: u16 = 0x3600;
    pub const SOURCE_MOB: u16 = 0x3700;
    pub const EVENT_MOB_SLOT: u16 = 0x3900;
    pub const TIMELINE_MOB_SLOT: u16 = 0x3b00;
    pub const CONSTANT_VALUE: u16 = 0x3d00;
    pub const VARYING_VALUE: u16 = 0x3e00;
    pub const DESCRIPTIVE_MARKER: u16 = 0x4100;
    pub const SOUND_DESCRIPTOR: u16 = 0x4200;
    pub const MULTIPLE_DESCRIPTOR: u16 = 0x4400;
    pub const PCM_DESCRIPTOR: u16 = 0x4800;
    pub const IMPORT_DESCRIPTOR: u16 = 0x4a00;

    pub const HANDLED: [u16; 29] = [
        EDGE_CODE,
        ESSENCE_GROUP,
        EVENT,
        COMMENT_MARKER,
        FILLER,
        OPERATION_GROUP,
        NESTED_SCOPE,
        PULLDOWN,
        SCOPE_REFERENCE,
        SELECTOR,
        SEQUENCE,
        SOURCE_CLIP,
        TIMECODE,
        TRANSITION,
        WAVE_DESCRIPTOR,
        AIFC_DESCRIPTOR,
        TAPE_DESCRIPTOR,
        COMPOSITION_MOB,
        MASTER_MOB,
        SOURCE_MOB,
        EVENT_MOB_SLOT,
        TIMELINE_MOB_SLOT,
        CONSTANT_VALUE,
        VARYING_VALUE,
        DESCRIPTIVE_MARKER,
        SOUND_DESCRIPTOR,
        MULTIPLE_DESCRIPTOR,
        PCM_DESCRIPTOR,
        IMPORT_DESCRIPTOR,
    ];
}

/// The standard classes' parents, by the third field of their AUIDs (the
/// AAF object model's class tree).
const STANDARD_PARENTS: [(u16, u16); 91] = [
    (0x0200, 0x0100),
    (0x0300, 0x0200),
    (0x0400, 0x0300),
    (0x0500, 0x0300),
    (0x0600, 0x0300),
    (0x0700, 0x0600),
    (0x0800, 0x0600),
    (0x0900, 0x0300),
    (0x0a00, 0x0300),
    (0x0b00, 0x0300),
    (0x0c00, 0x0300),
    (0x0d00, 0x0300),
    (0x0e00, 0x0300),
    (0x0f00, 0x0300),
    (0x1000, 0x0300),
    (0x1100, 0x1000),
    (0x1200, 0x1000),
    (0x1300, 0x1200),
    (0x1400, 0x0300),
    (0x1500, 0x0300),
    (0x1600, 0x1500),
    (0x1700, 0x0200),
    (0x1800, 0x0100),
    (0x1900, 0x0100),
    (0x1a00, 0x0100),
    (0x1b00, 0x1a00),
    (0x1c00, 0x1a00),
    (0x1d00, 0x1a00),
    (0x1e00, 0x1a00),
    (0x1f00, 0x1a00),
    (0x2000, 0x1a00),
    (0x2100, 0x1a00),
    (0x2200, 0x0100),
    (0x2300, 0x0100),
    (0x2400, 0x0100),
    (0x2500, 0x2400),
    (0x2600, 0x2500),
    (0x2700, 0x2500),
    (0x2800, 0x2700),
    (0x2900, 0x2700),
    (0x2a00, 0x2500),
    (0x2b00, 0x2500),
    (0x2c00, 0x2500),
    (0x2d00, 0x2400),
    (0x2e00, 0x2400),
    (0x2f00, 0x0100),
    (0x3000, 0x0100),
    (0x3100, 0x0100),
    (0x3200, 0x3100),
    (0x3300, 0x3100),
    (0x3400, 0x0100),
    (0x3500, 0x3400),
    (0x3600, 0x3400),
    (0x3700, 0x3400),
    (0x3800, 0x0100),
    (0x3900, 0x3800),
    (0x3a00, 0x3800),
    (0x3b00, 0x3800),
    (0x3c00, 0x0100),
    (0x3d00, 0x3c00),
    (0x3e00, 0x3c00),
    (0x3f00, 0x0100),
    (0x4000, 0x0100),
    (0x4100, 0x0800),
    (0x4200, 0x2500),
    (0x4300, 0x2500),
    (0x4400, 0x2500),
    (0x4500, 0x1100),
    (0x4700, 0x4800),
    (0x4800, 0x4200),
    (0x4900, 0x2400),
    (0x4a00, 0x4900),
    (0x4b00, 0x4900),
    (0x4c00, 0x1a00),
    (0x4d00, 0x1a00),
    (0x4e00, 0x4900),
    (0x4f00, 0x0100),
    (0x5000, 0x4a00),
    (0x5100, 0x2800),
    (0x5900, 0x0100),
    (0x5a00, 0x5900),
    (0x5b00, 0x4300),
    (0x5c00, 0x4300),
    (0x5e00, 0x4200),
    (0x6700, 0x5900),
    (0x6800, 0x5900),
    (0x6a00, 0x5900),
    (0x6b00, 0x6a00),
    (0x6c00, 0x6a00),
    (0x6d00, 0x6a00),
    (0x6e00, 0x5900),
];

/// Property ids (the standard ones are the same in every file).
mod pid {
    pub const HEADER: u16 = 0x0002;
    pub const META_DICTIONARY: u16 = 0x0001;
    pub const CLASS_DEFINITIONS: u16 = 0x0003;
    pub const TYPE_DEFINITIONS: u16 = 0x0004;
    pub const IDENTIFICATION: u16 = 0x0005;
    pub const PARENT_CLASS: u16 = 0x0008;
    pub const PROPERTIES: u16 = 0x0009;
    pub const DATA_DEFINITION: u16 = 0x0201;
    pub const LENGTH: u16 = 0x0202;
    pub const CHOICES: u16 = 0x0501;
    pub const POSITION: u16 = 0x0601;
    pub const COMMENT: u16 = 0x0602;
    pub const ANNOTATION: u16 = 0x0901;
    pub const OPERATION: u16 = 0x0b01;
    pub const INPUT_SEGMENTS: u16 = 0x0b02;
    pub const PARAMETERS: u16 = 0x0b03;
    pub const NESTED_SLOTS: u16 = 0x0c01;
    pub const SELECTED: u16 = 0x0f01;
    pub const ALTERNATES: u16 = 0x0f02;
    pub const IDENTIFICATION_LIST: u16 = 0x3b06;
    pub const COMPANY_NAME: u16 = 0x3c01;
    pub const PRODUCT_NAME: u16 = 0x3c02;
    pub const COMPONENTS: u16 = 0x1001;
    pub const SOURCE_ID: u16 = 0x1101;
    pub const SOURCE_MOB_SLOT_ID: u16 = 0x1102;
    pub const START_TIME: u16 = 0x1201;
    pub const FADE_IN_LENGTH: u16 = 0x1202;
    pub const FADE_OUT_LENGTH: u16 = 0x1204;
    pub const TC_START: u16 = 0x1501;
    pub const TC_FPS: u16 = 0x1502;
    pub const TC_DROP: u16 = 0x1503;
    pub const CONTROL_VALUE: u16 = 0x1a02;
    pub const CONTROL_TIME: u16 = 0x1a03;
    pub const CONTENT: u16 = 0x3b03;
    pub const DICTIONARY: u16 = 0x3b04;
    pub const MOBS: u16 = 0x1901;
    pub const ESSENCE_DATA: u16 = 0x1902;
    pub const ESSENCE_MOB_ID: u16 = 0x2701;
    pub const ESSENCE_STREAM: u16 = 0x2702;
    pub const LOCATOR: u16 = 0x2f01;
    pub const SAMPLE_RATE: u16 = 0x3001;
    pub const DESCRIPTOR_LENGTH: u16 = 0x3002;
    pub const QUANTIZATION_BITS: u16 = 0x3d01;
    pub const AUDIO_SAMPLING_RATE: u16 = 0x3d03;
    pub const CHANNELS: u16 = 0x3d07;
    pub const BLOCK_ALIGN: u16 = 0x3d0a;
    pub const FILE_DESCRIPTORS: u16 = 0x3f01;
    pub const URL_STRING: u16 = 0x4001;
    pub const MOB_ID: u16 = 0x4401;
    pub const MOB_NAME: u16 = 0x4402;
    pub const SLOTS: u16 = 0x4403;
    pub const USAGE_CODE: u16 = 0x4408;
    pub const ESSENCE_DESCRIPTION: u16 = 0x4701;
    pub const SLOT_ID: u16 = 0x4801;
    pub const SLOT_NAME: u16 = 0x4802;
    pub const SEGMENT: u16 = 0x4803;
    pub const PHYSICAL_TRACK_NUMBER: u16 = 0x4804;
    pub const EVENT_EDIT_RATE: u16 = 0x4901;
    pub const EDIT_RATE: u16 = 0x4b01;
    pub const ORIGIN: u16 = 0x4b02;
    pub const PARAMETER_DEFINITION: u16 = 0x4c01;
    pub const CONSTANT: u16 = 0x4d01;
    pub const POINT_LIST: u16 = 0x4e02;
}

fn auid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap_or_default()
}

fn data_kind(id: Option<Uuid>) -> Kind {
    let Some(id) = id else { return Kind::Other };
    let s = id.to_string();
    match s.as_str() {
        "01030202-0200-0000-060e-2b3404010101" | "78e1ebe1-6cef-11d2-807d-006008143e6f" => {
            Kind::Sound
        }
        "01030202-0100-0000-060e-2b3404010101"
        | "6f3c8ce1-6cef-11d2-807d-006008143e6f"
        | "05cba732-1daa-11d3-80ad-006008143e6f" => Kind::Picture,
        "01030201-0100-0000-060e-2b3404010101" | "7f275e81-77e5-11d2-807f-006008143e6f" => {
            Kind::Timecode
        }
        _ => Kind::Other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sound,
    Picture,
    Timecode,
    Other,
}

const OP_MONO_GAIN: &str = "9d2ea894-0968-11d3-8a38-0050040ef7d2";
const OP_STEREO_GAIN: &str = "9d2ea895-0968-11d3-8a38-0050040ef7d2";
const OP_MONO_PAN: &str = "9d2ea893-0968-11d3-8a38-0050040ef7d2";
const PARAM_AMPLITUDE: &str = "e4962321-2267-11d3-8a4c-0050040ef7d2";
const PARAM_PAN: &str = "e4962322-2267-11d3-8a4c-0050040ef7d2";
const USAGE_TOP_LEVEL: &str = "0d010102-0101-0700-060e-2b3404010101";

/// The file's objects, with the class hierarchy it defines.
struct File {
    parents: HashMap<Uuid, Uuid>,
    mobs: Vec<Obj>,
    essence: HashMap<Vec<u8>, String>,
}

impl File {
    /// The class of `o` as a known class code (an unknown class is taken as
    /// its nearest known ancestor).
    fn class(&self, o: &Obj) -> Option<u16> {
        let mut c = o.class;
        for _ in 0..32 {
            if let Some(mut code) = known(c) {
                // A standard class this reader does not handle is read as
                // its nearest handled ancestor.
                for _ in 0..16 {
                    if class::HANDLED.contains(&code) {
                        break;
                    }
                    match STANDARD_PARENTS.iter().find(|(k, _)| *k == code) {
                        Some((_, p)) => code = *p,
                        None => break,
                    }
                }
                return Some(code);
            }
            c = *self.parents.get(&c)?;
        }
        None
    }

    fn is(&self, o: &Obj, code: u16) -> bool {
        self.class(o) == Some(code)
    }

    fn mob(&self, id: &[u8]) -> Option<&Obj> {
        self.mobs.iter().find(|m| m.data(pid::MOB_ID) == Some(id))
    }
}

fn known(c: Uuid) -> Option<u16> {
    let (d1, d2, d3, d4) = c.as_fields();
    (d1 == 0x0d01_0101 && d2 == 0x0101 && d4 == &[0x06, 0x0e, 0x2b, 0x34, 0x02, 0x06, 0x01, 0x01])
        .then_some(d3)
}

/// The largest position or length read, in edit units (2^48: 186 years
/// at 48 kHz); larger values are damage and are clamped, so sums of them
/// cannot overflow.
const MAX_UNITS: i64 = 1 << 48;

/// Components walked at most per file (a composition that nests itself
/// many times over is stopped there).
const MAX_COMPONENTS: usize = 2_000_000;

fn length(o: &Obj) -> i64 {
    o.i64(pid::LENGTH).unwrap_or(0).clamp(0, MAX_UNITS)
}

fn bounded(o: &Obj, pid: u16) -> i64 {
    o.i64(pid).unwrap_or(0).clamp(-MAX_UNITS, MAX_UNITS)
}

fn name(o: &Obj) -> String {
    o.string(pid::MOB_NAME).unwrap_or_default()
}

fn rate(o: &Obj) -> Option<(i64, i64)> {
    o.rational(pid::EDIT_RATE)
        .or_else(|| o.rational(pid::EVENT_EDIT_RATE))
        .filter(|r| r.0 > 0)
}

fn units(n: i64, r: (i64, i64)) -> Time {
    Time::new(i128::from(n) * i128::from(r.1), i128::from(r.0))
}

/// The edit unit `t` falls in.
fn to_units(t: Time, r: (i64, i64)) -> i64 {
    t.floor_units(r.0, r.1)
}

/// Reads an AAF file's top-level composition as a timeline.
pub fn read<F: Read + Seek>(inner: F) -> Result<Timeline, String> {
    let mut store = Store::open(inner)?;
    let root = store.read(
        "/",
        &[pid::TYPE_DEFINITIONS, pid::PROPERTIES, pid::DICTIONARY],
        0,
    )?;
    let mut parents = HashMap::new();
    if let Some(meta) = root.strong(pid::META_DICTIONARY) {
        for c in meta.objects(pid::CLASS_DEFINITIONS) {
            if let (Some(id), Some(parent)) =
                (c.auid(pid::IDENTIFICATION), c.weak_auid(pid::PARENT_CLASS))
                && id != parent
            {
                parents.insert(id, parent);
            }
        }
    }
    let header = root
        .strong(pid::HEADER)
        .ok_or("no header object: not an AAF file")?;
    // Who wrote the file (Pro Tools' quirks are undone below).
    let writer = header
        .objects(pid::IDENTIFICATION_LIST)
        .last()
        .map(|i| {
            (
                i.string(pid::COMPANY_NAME).unwrap_or_default(),
                i.string(pid::PRODUCT_NAME).unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let content = header
        .strong(pid::CONTENT)
        .ok_or("no content storage in the header")?;
    let mut essence = HashMap::new();
    for e in content.objects(pid::ESSENCE_DATA) {
        if let (Some(id), Some(s)) = (e.data(pid::ESSENCE_MOB_ID), e.stream(pid::ESSENCE_STREAM)) {
            essence.insert(id.to_vec(), s.to_owned());
        }
    }
    let mut mobs = Vec::new();
    // The content's mobs, moved out of the tree.
    let mut root = root;
    if let Some(store::Prop::Strong(h)) = root.props.get_mut(&pid::HEADER)
        && let Some(store::Prop::Strong(c)) = h.props.get_mut(&pid::CONTENT)
        && let Some(store::Prop::Objects(m)) = c.props.remove(&pid::MOBS)
    {
        mobs = m;
    }
    let file = File {
        parents,
        mobs,
        essence,
    };
    let mut reader = Reader {
        f: &file,
        embedded: Vec::new(),
        budget: MAX_COMPONENTS,
        nesting: Vec::new(),
    };
    let mut tl = reader.timeline()?;
    // Pro Tools writes its rendered fades and sample-accurate edits as
    // clips of their own: they become fades and longer clips again.
    if writer.0.starts_with("Digidesign")
        || writer.1.replace(' ', "").eq_ignore_ascii_case("ProTools")
    {
        protools(&mut tl);
    }
    tl.essence = reader.embedded;
    for e in &mut tl.essence {
        e.bytes = store.stream_len(&e.stream).unwrap_or(0);
    }
    Ok(tl)
}

struct Reader<'a> {
    f: &'a File,
    embedded: Vec<Embedded>,
    /// Components left to walk.
    budget: usize,
    /// The nested compositions being walked (a composition that contains
    /// itself is refused).
    nesting: Vec<Vec<u8>>,
}

/// What a source clip plays, followed down its mob chain.
#[derive(Debug, Default)]
struct Resolved {
    /// The master mob's (or the first named mob's) name.
    name: String,
    path: Option<PathBuf>,
    tape: String,
    /// Time into the file of the clip's first sample.
    file_offset: Option<Time>,
    /// The source timecode of the clip's first sample.
    source_tc: Option<Time>,
    length: Option<Time>,
    channel: Option<u16>,
    embedded: Option<usize>,
    /// Something on the way the reader could not follow.
    problem: Option<String>,
    kind: Option<Kind>,
}

impl Reader<'_> {
    fn timeline(&mut self) -> Result<Timeline, String> {
        let f = self.f;
        let comps: Vec<&Obj> = f
            .mobs
            .iter()
            .filter(|m| f.is(m, class::COMPOSITION_MOB))
            .collect();
        if comps.is_empty() {
            return Err("no composition (sequence) in the AAF".into());
        }
        let top = auid(USAGE_TOP_LEVEL);
        let comp = comps
            .iter()
            .find(|m| m.auid(pid::USAGE_CODE) == Some(top))
            .copied()
            .or_else(|| {
                // Else the composition no other composition uses, with the
                // most sound.
                let used: Vec<&[u8]> = comps
                    .iter()
                    .flat_map(|c| c.objects(pid::SLOTS))
                    .filter_map(|s| s.strong(pid::SEGMENT))
                    .flat_map(|s| {
                        let mut v = Vec::new();
                        collect_refs(s, &mut v, 0);
                        v
                    })
                    .collect();
                comps
                    .iter()
                    .filter(|c| !c.data(pid::MOB_ID).is_some_and(|id| used.contains(&id)))
                    .max_by_key(|c| c.objects(pid::SLOTS).len())
                    .copied()
            })
            .unwrap_or(comps[0]);
        let slots = comp.objects(pid::SLOTS);
        // The timeline's rate: the picture's, else the timecode's, else a
        // sound slot's at a picture rate.
        let kind_of = |s: &Obj| {
            s.strong(pid::SEGMENT).map_or(Kind::Other, |seg| {
                data_kind(seg.weak_auid(pid::DATA_DEFINITION))
            })
        };
        let tc = slots.iter().find_map(|s| {
            let seg = s.strong(pid::SEGMENT)?;
            let t = self.timecode_of(seg)?;
            Some((rate(s)?, t))
        });
        let picture_rate = slots
            .iter()
            .filter(|s| f.is(s, class::TIMELINE_MOB_SLOT) && kind_of(s) == Kind::Picture)
            .find_map(rate);
        let sound_rate = slots
            .iter()
            .filter(|s| kind_of(s) == Kind::Sound)
            .filter_map(rate)
            .find(|r| r.0 <= 1000 * r.1);
        let drop = tc.as_ref().is_some_and(|t| t.1.2);
        let r = picture_rate
            .or(tc.as_ref().map(|t| t.0))
            .or(sound_rate)
            .or_else(|| tc.as_ref().map(|t| (i64::from(t.1.1), 1)))
            .ok_or("no picture, timecode or sound slot says the frame rate")?;
        let frame_rate = frame_rate(r, drop)?;
        let mut tl = Timeline::new(&name(comp), frame_rate);
        // The timeline's start: the timecode slot's first frame.
        if let Some(((tr, _), (start, _, _))) = tc.map(|(tr, t)| ((tr, ()), t)) {
            let start_time = units(start, tr);
            tl.start = Timecode::from_frames(start_time.to_frames(frame_rate), frame_rate);
            if start_time != Time::frames(start_time.to_frames(frame_rate), frame_rate) {
                tl.note(
                    "timecode",
                    "the start timecode is not on a frame: rounded to the nearest",
                );
            }
        }
        let mut sound = 0;
        for slot in slots {
            let Some(seg) = slot.strong(pid::SEGMENT) else {
                continue;
            };
            let slot_name = slot.string(pid::SLOT_NAME).unwrap_or_default();
            if f.is(slot, class::EVENT_MOB_SLOT) {
                self.markers(slot, &mut tl);
                continue;
            }
            let Some(sr) = rate(slot) else { continue };
            let origin = bounded(slot, pid::ORIGIN);
            match kind_of(slot) {
                Kind::Sound => {
                    sound += 1;
                    let label = if slot_name.is_empty() {
                        slot.u32(pid::PHYSICAL_TRACK_NUMBER)
                            .map_or_else(|| format!("A{sound}"), |n| format!("A{n}"))
                    } else {
                        slot_name
                    };
                    let mut w = Walk {
                        rate: sr,
                        envelope: Vec::new(),
                        track_level: true,
                        track: Track {
                            name: label,
                            ..Track::default()
                        },
                        pending_in: None,
                    };
                    self.segment(&mut w, &mut tl, seg, origin.saturating_neg(), 0.0, 0);
                    tl.tracks.push(w.track);
                }
                Kind::Picture => {
                    let label = if slot_name.is_empty() {
                        "video".to_owned()
                    } else {
                        slot_name
                    };
                    if tl.picture.is_some()
                        || !self.picture(&mut tl, seg, sr, origin.saturating_neg(), &label)
                    {
                        tl.note(&label, "video track: not carried");
                    }
                }
                Kind::Timecode => {}
                Kind::Other => {
                    if !slot_name.is_empty() {
                        tl.note(
                            &slot_name,
                            "a slot of neither sound nor picture: not carried",
                        );
                    }
                }
            }
        }
        Ok(tl)
    }

    /// The first Timecode in `seg`: (start, fps, drop).
    fn timecode_of(&self, seg: &Obj) -> Option<(i64, u16, bool)> {
        let f = self.f;
        if f.is(seg, class::TIMECODE) {
            return Some((
                bounded(seg, pid::TC_START),
                seg.u16(pid::TC_FPS).unwrap_or(0),
                seg.u8(pid::TC_DROP).unwrap_or(0) != 0,
            ));
        }
        if f.is(seg, class::SEQUENCE) {
            return seg
                .objects(pid::COMPONENTS)
                .iter()
                .find_map(|c| self.timecode_of(c));
        }
        None
    }

    fn markers(&self, slot: &Obj, tl: &mut Timeline) {
        let Some(r) = rate(slot) else { return };
        let Some(seg) = slot.strong(pid::SEGMENT) else {
            return;
        };
        let events: Vec<&Obj> = if self.f.is(seg, class::SEQUENCE) {
            seg.objects(pid::COMPONENTS).iter().collect()
        } else {
            vec![seg]
        };
        for e in events {
            let Some(pos) = e.i64(pid::POSITION).map(|p| p.clamp(-MAX_UNITS, MAX_UNITS)) else {
                continue;
            };
            let name = e
                .string(pid::COMMENT)
                .filter(|s| !s.is_empty())
                .or_else(|| e.string(pid::ANNOTATION))
                .unwrap_or_default();
            tl.markers.push(crate::timeline::Marker {
                at: units(pos, r),
                name,
            });
        }
    }

    /// Takes the first movie on a video slot as the reference picture;
    /// false when there is none.
    fn picture(
        &mut self,
        tl: &mut Timeline,
        seg: &Obj,
        r: (i64, i64),
        pos: i64,
        label: &str,
    ) -> bool {
        let f = self.f;
        let mut at = pos;
        let comps: Vec<&Obj> = if f.is(seg, class::SEQUENCE) {
            seg.objects(pid::COMPONENTS).iter().collect()
        } else {
            vec![seg]
        };
        for c in comps {
            let len = length(c);
            if f.is(c, class::TRANSITION) {
                at = at.saturating_sub(len);
                continue;
            }
            if f.is(c, class::SOURCE_CLIP) {
                let res = self.clip_source(c, r);
                if let (Some(path), Some(off)) = (res.path, res.file_offset) {
                    tl.picture = Some(PictureRef {
                        path: path.clone(),
                        at: units(at, r) - off,
                    });
                    tl.note(
                        label,
                        format!(
                            "video track: not carried (its movie {} is the reference picture)",
                            path.display()
                        ),
                    );
                    return true;
                }
            }
            at = at.saturating_add(len);
        }
        false
    }

    /// Follows a source clip in a slot at rate `r` down to its media.
    fn clip_source(&mut self, c: &Obj, r: (i64, i64)) -> Resolved {
        let mut res = Resolved::default();
        let start = units(bounded(c, pid::START_TIME), r);
        match (c.data(pid::SOURCE_ID), c.u32(pid::SOURCE_MOB_SLOT_ID)) {
            (Some(id), Some(slot)) if id.iter().any(|&b| b != 0) => {
                self.follow(&mut res, id, slot, start, 0);
            }
            _ => res.problem = Some("a clip with no source".into()),
        }
        res
    }

    /// `offset` into slot `slot_id` of mob `id`.
    fn follow(&mut self, res: &mut Resolved, id: &[u8], slot_id: u32, offset: Time, depth: usize) {
        let f = self.f;
        if depth > 32 {
            res.problem = Some("mobs that refer to each other in a loop".into());
            return;
        }
        let Some(mob) = f.mob(id) else {
            if res.file_offset.is_none() {
                res.problem = Some("its master or source mob is not in the file".into());
            }
            return;
        };
        let mob_name = name(mob);
        let is_master = f.is(mob, class::MASTER_MOB);
        if res.name.is_empty() && !mob_name.is_empty() && (is_master || depth == 0) {
            res.name = mob_name.clone();
        }
        let slots = mob.objects(pid::SLOTS);
        let Some(slot) = slots.iter().find(|s| s.u32(pid::SLOT_ID) == Some(slot_id)) else {
            res.problem = Some(format!(
                "slot {slot_id} of \"{mob_name}\" is not in the file"
            ));
            return;
        };
        let r = rate(slot).unwrap_or((1, 1));
        let descriptor = mob.strong(pid::ESSENCE_DESCRIPTION);
        let dclass = descriptor.and_then(|d| f.class(d));
        let is_source = f.is(mob, class::SOURCE_MOB);
        let is_tape = matches!(dclass, Some(class::TAPE_DESCRIPTOR));
        let is_import = matches!(dclass, Some(class::IMPORT_DESCRIPTOR));
        // This mob's own timecode, at `offset`.
        let own_tc = slots.iter().find_map(|s| {
            let seg = s.strong(pid::SEGMENT)?;
            let (start, _, _) = self.timecode_of(seg)?;
            Some(units(start, rate(s)?) + offset)
        });
        if is_source && !is_tape && !is_import && res.file_offset.is_none() {
            // The file.
            res.file_offset = Some(offset);
            if let Some(d) = descriptor {
                self.describe(res, mob, d, slot, id);
            }
        } else if is_tape || is_import {
            if is_tape && res.tape.is_empty() {
                res.tape = mob_name.clone();
            }
            if is_import && res.path.is_none() {
                res.path = descriptor.and_then(locator);
            }
        }
        if res.source_tc.is_none() && is_source {
            res.source_tc = own_tc;
        }
        let Some(seg) = slot.strong(pid::SEGMENT) else {
            return;
        };
        // The segment at `offset` (from the slot's origin).
        let pos = to_units(offset, r).saturating_add(bounded(slot, pid::ORIGIN));
        let Some((c, c_start)) = self.component_at(seg, pos) else {
            return;
        };
        if f.is(c, class::SOURCE_CLIP)
            && let (Some(next), Some(next_slot)) =
                (c.data(pid::SOURCE_ID), c.u32(pid::SOURCE_MOB_SLOT_ID))
            && next.iter().any(|&b| b != 0)
        {
            let into = offset - units(c_start, r) + units(bounded(c, pid::START_TIME), r);
            self.follow(res, next, next_slot, into, depth + 1);
        }
    }

    /// The component of `seg` that covers `pos` (edit units), and where it
    /// starts; essence groups give their first choice, operation groups
    /// their first input.
    fn component_at<'o>(&self, seg: &'o Obj, pos: i64) -> Option<(&'o Obj, i64)> {
        let f = self.f;
        match f.class(seg) {
            Some(class::SEQUENCE) => {
                let mut at = 0i64;
                let comps = seg.objects(pid::COMPONENTS);
                for c in comps {
                    let len = length(c);
                    if f.is(c, class::TRANSITION) {
                        at = at.saturating_sub(len);
                        continue;
                    }
                    if pos < at.saturating_add(len) || std::ptr::eq(c, comps.last()?) {
                        let (inner, s) = self.component_at(c, pos.saturating_sub(at))?;
                        return Some((inner, s.saturating_add(at)));
                    }
                    at = at.saturating_add(len);
                }
                None
            }
            Some(class::ESSENCE_GROUP) => {
                self.component_at(seg.objects(pid::CHOICES).first()?, pos)
            }
            Some(class::OPERATION_GROUP) => {
                self.component_at(seg.objects(pid::INPUT_SEGMENTS).first()?, pos)
            }
            _ => Some((seg, 0)),
        }
    }

    /// The file's path, format, length and embedded essence.
    fn describe(&mut self, res: &mut Resolved, mob: &Obj, d: &Obj, slot: &Obj, id: &[u8]) {
        let f = self.f;
        let mut d = d;
        if f.is(d, class::MULTIPLE_DESCRIPTOR) {
            // The descriptor of the referenced slot's essence.
            let slot_id = slot.u32(pid::SLOT_ID).unwrap_or(1);
            let subs = d.objects(pid::FILE_DESCRIPTORS);
            if let Some(s) = subs
                .iter()
                .find(|s| s.u32(0x3006) == Some(slot_id))
                .or_else(|| subs.iter().find(|s| f.class(s) != Some(class::EDGE_CODE)))
            {
                d = s;
            }
        }
        res.path = locator(d).or_else(|| res.path.take());
        let sample_rate = d
            .rational(pid::AUDIO_SAMPLING_RATE)
            .or_else(|| d.rational(pid::SAMPLE_RATE));
        if let (Some(len), Some(sr)) = (d.i64(pid::DESCRIPTOR_LENGTH), d.rational(pid::SAMPLE_RATE))
            && sr.0 > 0
        {
            res.length = Some(units(len, sr));
        }
        let channels = d.u32(pid::CHANNELS).unwrap_or(1).max(1);
        // A multichannel file whose mob has a slot per channel: the slot's
        // channel.
        let sound_slots: Vec<&Obj> = mob
            .objects(pid::SLOTS)
            .iter()
            .filter(|s| {
                s.strong(pid::SEGMENT)
                    .is_some_and(|g| data_kind(g.weak_auid(pid::DATA_DEFINITION)) == Kind::Sound)
            })
            .collect();
        if channels > 1 && sound_slots.len() as u32 == channels {
            res.channel = sound_slots
                .iter()
                .position(|s| std::ptr::eq(*s, slot))
                .and_then(|i| u16::try_from(i).ok());
        }
        res.kind = slot
            .strong(pid::SEGMENT)
            .map(|g| data_kind(g.weak_auid(pid::DATA_DEFINITION)));
        let Some(stream) = f.essence.get(id) else {
            return;
        };
        if res.kind != Some(Kind::Sound) {
            return;
        }
        // One entry per essence stream, however many clips play it.
        if let Some(i) = self.embedded.iter().position(|e| e.stream == *stream) {
            res.embedded = Some(i);
            return;
        }
        let wrapping = match f.class(d) {
            Some(class::WAVE_DESCRIPTOR) => Wrapping::Wave,
            Some(class::AIFC_DESCRIPTOR) => Wrapping::Aifc,
            Some(class::PCM_DESCRIPTOR | class::SOUND_DESCRIPTOR) => Wrapping::Pcm,
            _ => Wrapping::Unknown,
        };
        let bits = d.u32(pid::QUANTIZATION_BITS).unwrap_or(0);
        let index = self.embedded.len();
        self.embedded.push(Embedded {
            stream: stream.clone(),
            name: res.name.clone(),
            wrapping,
            channels: u16::try_from(channels).unwrap_or(1),
            bits: u16::try_from(bits).unwrap_or(0),
            block_align: d.u16(pid::BLOCK_ALIGN),
            sample_rate: sample_rate
                .filter(|r| r.1 > 0 && r.0 % r.1 == 0)
                .and_then(|r| u32::try_from(r.0 / r.1).ok())
                .unwrap_or(0),
            time_reference: None,
            bytes: 0,
        });
        res.embedded = Some(index);
    }

    /// Walks a sound slot's segment from `pos` (edit units, from the
    /// timeline's start) and returns its length.
    fn segment(
        &mut self,
        w: &mut Walk,
        tl: &mut Timeline,
        seg: &Obj,
        pos: i64,
        gain_db: f32,
        depth: usize,
    ) -> i64 {
        let f = self.f;
        let len = length(seg);
        let label = w.track.name.clone();
        // Operation groups right under the slot are the track's; anything
        // below a sequence is a clip's.
        let track_level = std::mem::replace(&mut w.track_level, false);
        if depth > 48 {
            tl.note(&label, "effects nested too deep: not carried");
            return len;
        }
        if self.budget == 0 {
            return len;
        }
        self.budget -= 1;
        if self.budget == 0 {
            tl.note(
                "composition",
                format!("more than {MAX_COMPONENTS} components: the rest is not carried"),
            );
        }
        match f.class(seg) {
            Some(class::SEQUENCE) => {
                let mut at = pos;
                for c in seg.objects(pid::COMPONENTS) {
                    let clen = length(c);
                    if f.is(c, class::TRANSITION) {
                        at = at.saturating_sub(clen);
                        let r = Ramp {
                            length: units(clen, w.rate),
                            crossfade: true,
                        };
                        match w.track.clips.last_mut() {
                            Some(prev) if prev.record + prev.duration > units(at, w.rate) => {
                                prev.fade_out = r;
                                w.pending_in = Some(r);
                            }
                            _ => tl.note(&label, "a transition that meets no clip: not carried"),
                        }
                        continue;
                    }
                    at = at.saturating_add(self.segment(w, tl, c, at, gain_db, depth + 1));
                }
                w.pending_in = None;
                seg.objects(pid::COMPONENTS)
                    .iter()
                    .fold(0i64, |sum, c| {
                        let l = length(c);
                        if f.is(c, class::TRANSITION) {
                            sum.saturating_sub(l)
                        } else {
                            sum.saturating_add(l)
                        }
                    })
                    .max(len)
            }
            Some(class::FILLER) => {
                w.pending_in = None;
                len
            }
            Some(class::SOURCE_CLIP) => {
                self.source_clip(w, tl, seg, pos, gain_db, depth);
                len
            }
            Some(class::OPERATION_GROUP) => {
                let op = seg.weak_auid(pid::OPERATION).map(|u| u.to_string());
                let mut g = gain_db;
                let inputs = seg.objects(pid::INPUT_SEGMENTS);
                let whole_track = track_level;
                let mut env: Vec<(Time, f32)> = Vec::new();
                match op.as_deref() {
                    Some(OP_MONO_GAIN | OP_STEREO_GAIN) => match self.param(seg, PARAM_AMPLITUDE) {
                        Param::Constant(a) if a > 0.0 => {
                            let db = (20.0 * a.log10()) as f32;
                            if whole_track {
                                w.track.gain_db += db;
                            } else {
                                g += db;
                            }
                        }
                        Param::Constant(_) => {
                            tl.note(&label, "a gain of zero (silence): not carried");
                        }
                        Param::Varying(points) => {
                            // Control point times are fractions of the
                            // group's length.
                            let at = |(n, d): (i64, i64)| {
                                units(pos, w.rate)
                                    + Time::new(
                                        i128::from(len) * i128::from(w.rate.1) * i128::from(n),
                                        i128::from(w.rate.0) * i128::from(d),
                                    )
                            };
                            let db = |v: f64| (20.0 * v.max(1e-8).log10()).max(-144.0) as f32;
                            let keys: Vec<(Time, f32)> =
                                points.iter().map(|(t, v)| (at(*t), db(*v))).collect();
                            if whole_track {
                                w.track.volume.extend(keys);
                                tl.note(
                                    &label,
                                    format!(
                                        "volume automation ({} points): carried as the track's volume lane",
                                        points.len()
                                    ),
                                );
                            } else {
                                env = keys;
                                tl.note(
                                    &label,
                                    format!(
                                        "clip gain keyframes ({} points): carried as a clip-gain envelope",
                                        points.len()
                                    ),
                                );
                            }
                        }
                        Param::None => {}
                    },
                    Some(OP_MONO_PAN) => match self.param(seg, PARAM_PAN) {
                        Param::Constant(p) if whole_track => {
                            w.track.pan = (2.0 * p - 1.0).clamp(-1.0, 1.0) as f32;
                        }
                        Param::Varying(points) if whole_track => {
                            let n = points.len();
                            let first = points.first().map_or(0.5, |p| p.1);
                            w.track.pan = (2.0 * first - 1.0).clamp(-1.0, 1.0) as f32;
                            tl.note(
                                &label,
                                format!(
                                    "pan automation ({n} points): not carried (its first value is)"
                                ),
                            );
                        }
                        Param::None => {}
                        _ => tl.note(&label, "a clip pan: not carried"),
                    },
                    _ => {
                        let what = seg
                            .weak_auid(pid::OPERATION)
                            .map_or_else(|| "unknown".to_owned(), |u| u.to_string());
                        tl.note(
                            &label,
                            format!("an effect ({what}): not carried (its first input is)"),
                        );
                    }
                }
                if let Some(first) = inputs.first() {
                    w.track_level = track_level;
                    let outer = std::mem::replace(&mut w.envelope, env);
                    self.segment(w, tl, first, pos, g, depth + 1);
                    w.envelope = outer;
                    w.track_level = false;
                }
                len
            }
            Some(class::SELECTOR) => {
                let selected = seg.strong(pid::SELECTED);
                let alternates = seg.objects(pid::ALTERNATES);
                let empty = selected.is_none_or(|s| f.is(s, class::FILLER));
                if empty && let Some(alt) = alternates.first() {
                    // A disabled clip, as Resolve writes one: nothing
                    // selected, the clip kept as the alternate.
                    let before = w.track.clips.len();
                    self.segment(w, tl, alt, pos, gain_db, depth + 1);
                    for c in &mut w.track.clips[before..] {
                        c.enabled = false;
                    }
                } else if let Some(sel) = selected {
                    if !alternates.is_empty() {
                        tl.note(
                            &label,
                            "a selector's alternates: not carried (its selection is)",
                        );
                    }
                    self.segment(w, tl, sel, pos, gain_db, depth + 1);
                }
                len
            }
            Some(class::NESTED_SCOPE) => {
                tl.note(
                    &label,
                    "nested sequence: flattened (its last layer is carried)",
                );
                if let Some(last) = seg.objects(pid::NESTED_SLOTS).last() {
                    self.segment(w, tl, last, pos, gain_db, depth + 1);
                }
                len
            }
            Some(class::ESSENCE_GROUP) => {
                if let Some(first) = seg.objects(pid::CHOICES).first() {
                    self.segment(w, tl, first, pos, gain_db, depth + 1);
                }
                len
            }
            Some(class::SCOPE_REFERENCE) => {
                tl.note(&label, "a scope reference: not carried");
                len
            }
            Some(class::TIMECODE | class::EDGE_CODE | class::PULLDOWN) => len,
            Some(class::EVENT | class::COMMENT_MARKER | class::DESCRIPTIVE_MARKER) => 0,
            _ => {
                tl.note(&label, "a component of an unknown class: not carried");
                len
            }
        }
    }

    fn source_clip(
        &mut self,
        w: &mut Walk,
        tl: &mut Timeline,
        c: &Obj,
        pos: i64,
        gain_db: f32,
        depth: usize,
    ) {
        let len = length(c);
        if len <= 0 {
            return;
        }
        if self.nested(w, tl, c, pos, gain_db, depth) {
            return;
        }
        let res = self.clip_source(c, w.rate);
        let label = format!("{}, clip \"{}\"", w.track.name, res.name);
        if let Some(p) = &res.problem {
            tl.note(&label, format!("{p}: not carried"));
            return;
        }
        let file_offset = res.file_offset.unwrap_or(Time::ZERO);
        let media_start = res.source_tc.map_or(Time::ZERO, |tc| tc - file_offset);
        let duration = units(len, w.rate);
        if let Some(l) = res.length
            && file_offset + duration > l
        {
            tl.note(
                &label,
                "plays past its media's end: kept, the rest is silence",
            );
        }
        let name = res
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map_or_else(|| res.name.clone(), |n| n.to_string_lossy().into_owned());
        let mut fade_in = w.pending_in.take().unwrap_or_default();
        let mut fade_out = Ramp::default();
        if let Some(l) = c.i64(pid::FADE_IN_LENGTH).filter(|&l| l > 0)
            && fade_in.length.is_zero()
        {
            fade_in.length = units(l, w.rate);
        }
        if let Some(l) = c.i64(pid::FADE_OUT_LENGTH).filter(|&l| l > 0) {
            fade_out.length = units(l, w.rate);
        }
        let record = units(pos, w.rate);
        let source_in = media_start + file_offset;
        let envelope = w
            .envelope
            .iter()
            .map(|(t, db)| (source_in + (*t - record), *db))
            .collect();
        w.track.clips.push(Clip {
            envelope,
            name: res.name.clone(),
            record: units(pos, w.rate),
            duration,
            source_in: media_start + file_offset,
            media: MediaSource {
                path: res.path,
                name,
                tape: res.tape,
                start: Some(media_start),
                length: res.length,
                embedded: res.embedded,
            },
            channel: res.channel,
            gain_db,
            fade_in,
            fade_out,
            enabled: true,
        });
    }

    /// A source clip that plays part of another composition (a nested
    /// sequence): that composition's clips in the window the clip shows,
    /// moved to where it sits. False when it is not one.
    fn nested(
        &mut self,
        w: &mut Walk,
        tl: &mut Timeline,
        c: &Obj,
        pos: i64,
        gain_db: f32,
        depth: usize,
    ) -> bool {
        let f = self.f;
        let (Some(id), Some(slot_id)) = (c.data(pid::SOURCE_ID), c.u32(pid::SOURCE_MOB_SLOT_ID))
        else {
            return false;
        };
        let Some(mob) = f.mob(id).filter(|m| f.is(m, class::COMPOSITION_MOB)) else {
            return false;
        };
        let label = format!("{}, nested sequence \"{}\"", w.track.name, name(mob));
        let Some(slot) = mob
            .objects(pid::SLOTS)
            .iter()
            .find(|s| s.u32(pid::SLOT_ID) == Some(slot_id))
        else {
            tl.note(
                &label,
                format!("its slot {slot_id} is not in the file: not carried"),
            );
            return true;
        };
        let (Some(nr), Some(seg)) = (rate(slot), slot.strong(pid::SEGMENT)) else {
            tl.note(&label, "a slot with no edit rate or segment: not carried");
            return true;
        };
        let mut inner = Walk {
            rate: nr,
            envelope: Vec::new(),
            track_level: false,
            track: Track {
                name: w.track.name.clone(),
                ..Track::default()
            },
            pending_in: None,
        };
        let origin = bounded(slot, pid::ORIGIN);
        if self.nesting.iter().any(|n| n == id) {
            tl.note(
                &label,
                "a nested sequence that contains itself: not carried",
            );
            return true;
        }
        self.nesting.push(id.to_vec());
        self.segment(
            &mut inner,
            tl,
            seg,
            origin.saturating_neg(),
            gain_db,
            depth + 1,
        );
        self.nesting.pop();
        // The window of the nested sequence the clip shows, and where it
        // lands.
        let from = units(bounded(c, pid::START_TIME), w.rate);
        let to = from + units(length(c), w.rate);
        let shift = units(pos, w.rate) - from;
        let mut carried = 0;
        for clip in inner.track.clips {
            let Some(mut clip) = clip.window(from, to) else {
                continue;
            };
            clip.record = clip.record + shift;
            w.track.clips.push(clip);
            carried += 1;
        }
        tl.note(
            &label,
            format!("flattened: its {carried} clips in the part used are carried on this track"),
        );
        true
    }

    /// The value of parameter `def` of an operation group.
    fn param(&self, op: &Obj, def: &str) -> Param {
        let def = auid(def);
        for p in op.objects(pid::PARAMETERS) {
            if p.auid(pid::PARAMETER_DEFINITION) != Some(def) {
                continue;
            }
            match self.f.class(p) {
                Some(class::CONSTANT_VALUE) => {
                    if let Some(v) = p.data(pid::CONSTANT).and_then(indirect_number) {
                        return Param::Constant(v);
                    }
                }
                Some(class::VARYING_VALUE) => {
                    let mut points: Vec<((i64, i64), f64)> = p
                        .objects(pid::POINT_LIST)
                        .iter()
                        .filter_map(|cp| {
                            let t = cp.rational(pid::CONTROL_TIME).unwrap_or((0, 1));
                            let v = cp.data(pid::CONTROL_VALUE).and_then(indirect_number)?;
                            // A fraction of the group's length, 0 to 1.
                            let t = (t.0.clamp(0, t.1), t.1);
                            Some((t, v))
                        })
                        .collect();
                    points.sort_by(|a, b| {
                        (i128::from(a.0.0) * i128::from(b.0.1))
                            .cmp(&(i128::from(b.0.0) * i128::from(a.0.1)))
                    });
                    if !points.is_empty() {
                        return Param::Varying(points);
                    }
                }
                _ => {}
            }
        }
        Param::None
    }
}

enum Param {
    None,
    Constant(f64),
    /// Points: (time as a fraction of the group's length, value), in time
    /// order.
    Varying(Vec<((i64, i64), f64)>),
}

struct Walk {
    rate: (i64, i64),
    /// Clip-gain keyframes of the operation group being walked: (record
    /// time, dB).
    envelope: Vec<(Time, f32)>,
    /// The next segment walked is the slot's own (its operation groups are
    /// the track's gain and pan).
    track_level: bool,
    track: Track,
    /// The crossfade the next clip starts with.
    pending_in: Option<Ramp>,
}

/// Pro Tools' rendered fade clips (named "Fade " in its languages).
const PT_FADE_NAMES: [&str; 6] = ["Fade ", "Fondu ", "Fundido ", "페이드", "淡变 ", "淡變 "];
/// Pro Tools' sample-accurate edit clips.
const PT_SAE_NAMES: [&str; 8] = [
    "Sample accurate edit",
    "Samplegenaue Bearbeitung",
    "Edición con precisión de muestra",
    "Modification à l'échantillon près",
    "サンプル精度編集",
    "샘플 단위 정밀 편집",
    "精确采样编辑",
    "精確取樣編輯",
];

/// Replaces Pro Tools' rendered fade clips by fades of the clips they
/// touch (a crossfade when they touch both sides), and folds its
/// sample-accurate edit clips into the clip they extend, where the clips'
/// media has the handles for it; what cannot be folded stays, reported.
fn protools(tl: &mut Timeline) {
    let mut notes = Vec::new();
    for t in &mut tl.tracks {
        t.clips.sort_by_key(|c| c.record);
        // Handles: what a clip's media has after its end and before its
        // start (unknown lengths are taken as enough).
        let after = |c: &Clip| {
            c.media.length.map(|l| {
                let start = c.media.start.unwrap_or(Time::ZERO);
                start + l - (c.source_in + c.duration)
            })
        };
        let before = |c: &Clip| c.source_in - c.media.start.unwrap_or(Time::ZERO);
        let mut i = 0;
        while i < t.clips.len() {
            let name = t.clips[i].name.clone();
            let sae = PT_SAE_NAMES.contains(&name.as_str());
            let fade = PT_FADE_NAMES.contains(&name.as_str());
            if !sae && !fade {
                i += 1;
                continue;
            }
            let (start, len) = (t.clips[i].record, t.clips[i].duration);
            let prev = i
                .checked_sub(1)
                .filter(|&j| t.clips[j].record + t.clips[j].duration == start)
                .filter(|&j| after(&t.clips[j]).is_none_or(|h| h >= len));
            let next = Some(i + 1)
                .filter(|&j| j < t.clips.len() && t.clips[j].record == start + len)
                .filter(|&j| before(&t.clips[j]) >= len);
            let label = format!("{}, clip \"{name}\"", t.name);
            if sae {
                if let Some(j) = prev {
                    t.clips[j].duration = t.clips[j].duration + len;
                } else if let Some(j) = next {
                    let c = &mut t.clips[j];
                    c.record = c.record - len;
                    c.source_in = c.source_in - len;
                    c.duration = c.duration + len;
                } else {
                    notes.push((
                        label,
                        "a Pro Tools sample-accurate edit that meets no clip: kept",
                    ));
                    i += 1;
                    continue;
                }
                notes.push((
                    label,
                    "a Pro Tools sample-accurate edit: folded into its clip",
                ));
                t.clips.remove(i);
                continue;
            }
            if prev.is_none() && next.is_none() {
                notes.push((
                    label,
                    "a Pro Tools rendered fade with no clip to fade: kept as a clip",
                ));
                i += 1;
                continue;
            }
            let ramp = Ramp {
                length: len,
                crossfade: prev.is_some() && next.is_some(),
            };
            if let Some(j) = prev {
                let c = &mut t.clips[j];
                c.duration = c.duration + len;
                c.fade_out = ramp;
            }
            if let Some(j) = next {
                let c = &mut t.clips[j];
                c.record = c.record - len;
                c.source_in = c.source_in - len;
                c.duration = c.duration + len;
                c.fade_in = ramp;
            }
            notes.push((
                label,
                "a Pro Tools rendered fade: replaced by a fade of the clips it joins",
            ));
            t.clips.remove(i);
        }
    }
    for (item, what) in notes {
        tl.note(item, what);
    }
}

/// A number in an indirect value (byte order, type AUID, value): a rational
/// or an integer or a float, by its size.
fn indirect_number(d: &[u8]) -> Option<f64> {
    let v = d.get(17..)?;
    let ty = <[u8; 16]>::try_from(d.get(1..17)?)
        .ok()
        .map(Uuid::from_bytes_le)?;
    let s = ty.to_string();
    match (s.as_str(), v.len()) {
        // Rational.
        ("03010100-0000-0000-060e-2b3401040101", 8) => {
            store::rational(v).map(|(n, d)| n as f64 / d as f64)
        }
        // Float, Double.
        ("01030101-0000-0000-060e-2b3401040101", 4) => {
            Some(f64::from(f32::from_le_bytes(v.try_into().ok()?)))
        }
        ("01030102-0000-0000-060e-2b3401040101", 8) => Some(f64::from_le_bytes(v.try_into().ok()?)),
        (_, 8) => store::rational(v).map(|(n, d)| n as f64 / d as f64),
        (_, 4) => Some(f64::from(i32::from_le_bytes(v.try_into().ok()?))),
        _ => None,
    }
}

/// The path of a descriptor's first network locator.
fn locator(d: &Obj) -> Option<PathBuf> {
    d.objects(pid::LOCATOR)
        .iter()
        .find_map(|l| l.string(pid::URL_STRING).filter(|s| !s.is_empty()))
        .map(|u| url_to_path(&u))
}

/// The mob ids a segment's source clips refer to.
fn collect_refs<'o>(seg: &'o Obj, out: &mut Vec<&'o [u8]>, depth: usize) {
    if depth > 48 {
        return;
    }
    if let Some(id) = seg.data(pid::SOURCE_ID) {
        out.push(id);
    }
    for pid in [
        pid::COMPONENTS,
        pid::INPUT_SEGMENTS,
        pid::NESTED_SLOTS,
        pid::CHOICES,
    ] {
        for c in seg.objects(pid) {
            collect_refs(c, out, depth + 1);
        }
    }
    if let Some(s) = seg.strong(pid::SELECTED) {
        collect_refs(s, out, depth + 1);
    }
}

/// A frame rate from an edit rate (drop-frame when the timecode says).
fn frame_rate(r: (i64, i64), drop: bool) -> Result<FrameRate, String> {
    let (n, d) = (u32::try_from(r.0), u32::try_from(r.1));
    let (Ok(n), Ok(d)) = (n, d) else {
        return Err(format!("edit rate {}/{} is not a frame rate", r.0, r.1));
    };
    FrameRate::new(n, d, drop)
        .or_else(|_| FrameRate::new(n, d, false))
        .map_err(|e| format!("edit rate {n}/{d}: {e}"))
}
