//! Which kind of track a sound file probably belongs on, guessed from its
//! name and header: a UCS CatID, a metadata category, then whole words
//! (`dia_ben_01`, `Sc12_Tk3_Boom`, `room tone kitchen`, `door_slam_fx`).

use super::meta::HeaderInfo;
use super::ucs::{SoundKind, category_from_name, kind_of_category};
use std::path::Path;

/// How much a word says about the kind: a clear label (`dx`, `sfx`) or a
/// hint that a clearer word elsewhere outweighs (`boom`, `cue`).
const STRONG: u32 = 3;
const WEAK: u32 = 1;

/// The kind a single word points to.
fn word_kind(w: &str) -> Option<(SoundKind, u32)> {
    use SoundKind::*;
    Some(match w {
        "dia" | "dialog" | "dialogue" | "dialogues" | "dlg" | "dx" | "adr" | "vo" | "vox"
        | "voiceover" | "lav" | "lavs" | "lavalier" | "lavaliere" => (Dialogue, STRONG),
        "dial" | "boom" | "mic" | "production" | "prod" => (Dialogue, WEAK),
        "fx" | "sfx" | "efx" | "pfx" | "effect" | "effects" => (Effect, STRONG),
        "amb" | "ambs" | "ambience" | "ambiences" | "ambiance" | "atmos" | "atmo"
        | "atmosphere" | "bg" | "bgs" | "roomtone" | "rt" => (Ambience, STRONG),
        "ambient" | "background" => (Ambience, WEAK),
        "foley" | "fol" | "footsteps" | "footstep" | "steps" | "feet" | "cloth" => (Foley, STRONG),
        "mus" | "music" | "score" | "song" | "songs" | "mx" | "soundtrack" => (Music, STRONG),
        "cue" | "cues" => (Music, WEAK),
        _ => return None,
    })
}

/// Lower-case words of `s`: split at anything not a letter or digit, at
/// lower-to-upper case changes (`DiaBen`), before the last capital of a
/// run followed by lower case (`SFXDoor`), and between letters and digits
/// (`Sc12`).
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&p) = i.checked_sub(1).and_then(|j| chars.get(j))
            && p.is_alphanumeric()
        {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (p.is_lowercase() && c.is_uppercase())
                || (p.is_uppercase() && c.is_uppercase() && next_lower)
                || (p.is_alphabetic() != c.is_alphabetic());
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The kind the words of `text` point to most (ties go to the kind named
/// first). Weak words only count when `weak` is set (names and labels, not
/// prose descriptions).
fn words_kind(text: &str, weak: bool) -> Option<SoundKind> {
    const KINDS: [SoundKind; 5] = [
        SoundKind::Dialogue,
        SoundKind::Foley,
        SoundKind::Ambience,
        SoundKind::Effect,
        SoundKind::Music,
    ];
    let w = words(text);
    let mut score = [0u32; 5];
    let mut first = [usize::MAX; 5];
    let mut add = |kind: SoundKind, weight: u32, at: usize| {
        if weight == WEAK && !weak {
            return;
        }
        let k = KINDS.iter().position(|&x| x == kind).unwrap_or(0);
        score[k] += weight;
        first[k] = first[k].min(at);
    };
    for (i, word) in w.iter().enumerate() {
        let next = w.get(i + 1).map(String::as_str);
        let numbered = next.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
        match (word.as_str(), next) {
            // "Room tone"; "tone" alone says nothing.
            ("room", Some("tone")) => add(SoundKind::Ambience, STRONG, i),
            // Scene and take numbers of production recordings.
            ("sc" | "scn" | "scene" | "tk" | "take", _) if numbered => {
                add(SoundKind::Dialogue, WEAK, i);
            }
            _ => {
                if let Some((kind, weight)) = word_kind(word) {
                    add(kind, weight, i);
                }
            }
        }
    }
    (0..5)
        .filter(|&k| score[k] > 0)
        .max_by(|&a, &b| score[a].cmp(&score[b]).then(first[b].cmp(&first[a])))
        .map(|k| KINDS[k])
}

/// What kind of track the file at `path` probably belongs on: the UCS CatID
/// of its name, else the category in its metadata, else whole words of its
/// name, metadata category and description (`dia`, `adr`, `boom`, `amb`,
/// `room tone`, `foley`, `sfx`, `music`, `score` …), else dialogue when the
/// iXML names a scene or take (a production recorder's file). `None` when
/// nothing says.
pub fn kind_hint(path: &Path, header: Option<&HeaderInfo>) -> Option<SoundKind> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(c) = category_from_name(&stem) {
        return Some(c.kind);
    }
    if let Some(k) = header.and_then(|h| kind_of_category(&h.category)) {
        return Some(k);
    }
    if let Some(k) = words_kind(&stem, true) {
        return Some(k);
    }
    let h = header?;
    words_kind(&h.category, true)
        .or_else(|| words_kind(&h.description, false))
        .or_else(|| (!h.scene.is_empty() || !h.take.is_empty()).then_some(SoundKind::Dialogue))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SoundKind::*;

    #[test]
    fn kinds_from_file_names() {
        let table: &[(&str, Option<SoundKind>)] = &[
            // Production sound.
            ("Sc12_Tk3_Boom.wav", Some(Dialogue)),
            ("dia_ben_01.wav", Some(Dialogue)),
            ("DX_Sc4_T2_lav.wav", Some(Dialogue)),
            ("ADR_ben_line12.wav", Some(Dialogue)),
            ("VO narration take 2.wav", Some(Dialogue)),
            ("DiaBen01.wav", Some(Dialogue)),
            ("12A-3_boom.wav", Some(Dialogue)),
            ("BELLA_Sc12_Tk3.wav", Some(Dialogue)),
            // Ambience.
            ("AMBRoom_Kitchen.wav", Some(Ambience)),
            ("room tone kitchen.wav", Some(Ambience)),
            ("RoomTone_Kitchen.wav", Some(Ambience)),
            ("KitchenRT.wav", Some(Ambience)),
            ("BG_city_night.wav", Some(Ambience)),
            ("Atmos forest dawn.wav", Some(Ambience)),
            // Foley.
            ("FOLYFtsp_gravel.wav", Some(Foley)),
            ("foley_cloth_jacket.wav", Some(Foley)),
            ("footsteps_gravel_01.wav", Some(Foley)),
            // Effects.
            ("door_slam_fx.wav", Some(Effect)),
            ("SFXDoorSlam.wav", Some(Effect)),
            ("DOORWood_Slam.wav", Some(Effect)),
            ("PFX_sc12_tk3.wav", Some(Effect)),
            // Music.
            ("Score cue 3.wav", Some(Music)),
            ("MX_reel2_v3.wav", Some(Music)),
            ("Production Music cue 4.wav", Some(Music)),
            ("ADR cue 12.wav", Some(Dialogue)),
            // Nothing to go by, and no parts of words.
            ("mix.wav", None),
            ("diary.wav", None),
            ("ambulance_siren.wav", None),
            ("effective_test.wav", None),
            ("tone_1k.wav", None),
            ("musician.wav", None),
            ("scene.wav", None),
            ("", None),
        ];
        for (name, expected) in table {
            assert_eq!(kind_hint(Path::new(name), None), *expected, "{name}");
        }
    }

    #[test]
    fn kinds_from_headers() {
        let h = |f: &dyn Fn(&mut HeaderInfo)| {
            let mut h = HeaderInfo::default();
            f(&mut h);
            h
        };
        let p = Path::new("T001.wav");
        assert_eq!(kind_hint(p, Some(&HeaderInfo::default())), None);
        // A production recorder's file: scene and take, nothing else.
        let prod = h(&|h| {
            h.scene = "12A".into();
            h.take = "3".into();
        });
        assert_eq!(kind_hint(p, Some(&prod)), Some(Dialogue));
        // The metadata category, as a name or in words.
        let cat = h(&|h| h.category = "Foley".into());
        assert_eq!(kind_hint(p, Some(&cat)), Some(Foley));
        let genre = h(&|h| h.category = "Sound Effects".into());
        assert_eq!(kind_hint(p, Some(&genre)), Some(Effect));
        // Clear words of the description; weak ones there say nothing.
        let desc = h(&|h| h.description = "Kitchen room tone, fridge hum".into());
        assert_eq!(kind_hint(p, Some(&desc)), Some(Ambience));
        let weak = h(&|h| h.description = "recorded with a boom mic".into());
        assert_eq!(kind_hint(p, Some(&weak)), None);
        // The file name comes first, then the metadata category.
        assert_eq!(
            kind_hint(Path::new("AMBForst_Dawn.wav"), Some(&cat)),
            Some(Ambience)
        );
        assert_eq!(
            kind_hint(Path::new("sfx_door.wav"), Some(&cat)),
            Some(Foley)
        );
        assert_eq!(
            kind_hint(Path::new("sfx_door.wav"), Some(&prod)),
            Some(Effect)
        );
    }

    #[test]
    fn words_split_at_case_and_digit_changes() {
        assert_eq!(words("SFXDoorSlam_01"), ["sfx", "door", "slam", "01"]);
        assert_eq!(words("Sc12Tk3"), ["sc", "12", "tk", "3"]);
        assert_eq!(words("room tone-Kitchen"), ["room", "tone", "kitchen"]);
        assert_eq!(words("ÉtéAmb"), ["été", "amb"]);
    }
}
