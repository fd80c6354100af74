//! Categories from file names in the Universal Category System style that
//! many commercial sound libraries use: `CatID_FXName_CreatorID_SourceID`,
//! where the CatID is an upper-case category code followed by a subcategory
//! (`FOLYFtsp`, `AMBForst`, `DOORWood`).

/// What kind of track a sound usually goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoundKind {
    Dialogue,
    Foley,
    Ambience,
    Effect,
    Music,
}

/// Category codes and their names (the UCS main categories).
const CATEGORIES: &[(&str, &str, SoundKind)] = &[
    ("AERO", "AIRCRAFT", SoundKind::Effect),
    ("AIR", "AIR", SoundKind::Effect),
    ("ALRM", "ALARMS", SoundKind::Effect),
    ("AMB", "AMBIENCE", SoundKind::Ambience),
    ("ANML", "ANIMALS", SoundKind::Effect),
    ("ARCH", "ARCHIVED", SoundKind::Effect),
    ("BEEP", "BEEPS", SoundKind::Effect),
    ("BELL", "BELLS", SoundKind::Effect),
    ("BIRD", "BIRDS", SoundKind::Ambience),
    ("BLLT", "BULLETS", SoundKind::Effect),
    ("BOAT", "BOATS", SoundKind::Effect),
    ("CERM", "CERAMICS", SoundKind::Foley),
    ("CHAIN", "CHAINS", SoundKind::Foley),
    ("CLOCK", "CLOCKS", SoundKind::Effect),
    ("CLOTH", "CLOTH", SoundKind::Foley),
    ("COMM", "COMMUNICATIONS", SoundKind::Effect),
    ("COMP", "COMPUTERS", SoundKind::Effect),
    ("CREA", "CREATURES", SoundKind::Effect),
    ("CROWD", "CROWDS", SoundKind::Ambience),
    ("DSGN", "DESIGNED", SoundKind::Effect),
    ("DEST", "DESTRUCTION", SoundKind::Effect),
    ("DIRT", "DIRT & SAND", SoundKind::Foley),
    ("DOOR", "DOORS", SoundKind::Effect),
    ("DRWR", "DRAWERS", SoundKind::Foley),
    ("ELEC", "ELECTRICITY", SoundKind::Effect),
    ("EQUIP", "EQUIPMENT", SoundKind::Foley),
    ("EXPL", "EXPLOSIONS", SoundKind::Effect),
    ("FGHT", "FIGHT", SoundKind::Foley),
    ("FIRE", "FIRE", SoundKind::Effect),
    ("FIREWRK", "FIREWORKS", SoundKind::Effect),
    ("FOLY", "FOLEY", SoundKind::Foley),
    ("FOOD", "FOOD & DRINK", SoundKind::Foley),
    ("FEET", "FOOTSTEPS", SoundKind::Foley),
    ("GAME", "GAMES", SoundKind::Effect),
    ("GLAS", "GLASS", SoundKind::Foley),
    ("GORE", "GORE", SoundKind::Foley),
    ("GUN", "GUNS", SoundKind::Effect),
    ("HORN", "HORNS", SoundKind::Effect),
    ("HMN", "HUMAN", SoundKind::Foley),
    ("ICE", "ICE", SoundKind::Foley),
    ("LASR", "LASERS", SoundKind::Effect),
    ("LTHR", "LEATHER", SoundKind::Foley),
    ("LIQ", "LIQUID & MUD", SoundKind::Foley),
    ("MACH", "MACHINES", SoundKind::Effect),
    ("MAGC", "MAGIC", SoundKind::Effect),
    ("MECH", "MECHANICAL", SoundKind::Effect),
    ("METL", "METAL", SoundKind::Foley),
    ("MOTR", "MOTORS", SoundKind::Effect),
    ("MOVE", "MOVEMENT", SoundKind::Foley),
    ("MUSC", "MUSICAL", SoundKind::Music),
    ("NTRL", "NATURAL DISASTER", SoundKind::Effect),
    ("OBJ", "OBJECTS", SoundKind::Foley),
    ("PAPR", "PAPER", SoundKind::Foley),
    ("PLAS", "PLASTIC", SoundKind::Foley),
    ("RAIN", "RAIN", SoundKind::Ambience),
    ("ROBO", "ROBOTS", SoundKind::Effect),
    ("ROCK", "ROCKS", SoundKind::Foley),
    ("ROPE", "ROPE", SoundKind::Foley),
    ("RUBR", "RUBBER", SoundKind::Foley),
    ("SCI", "SCIFI", SoundKind::Effect),
    ("SNOW", "SNOW", SoundKind::Foley),
    ("SPRT", "SPORTS", SoundKind::Effect),
    ("SWSH", "SWOOSHES", SoundKind::Effect),
    ("TOOL", "TOOLS", SoundKind::Foley),
    ("TOY", "TOYS", SoundKind::Foley),
    ("TRAIN", "TRAINS", SoundKind::Effect),
    ("UI", "USER INTERFACE", SoundKind::Effect),
    ("VEG", "VEGETATION", SoundKind::Foley),
    ("VEH", "VEHICLES", SoundKind::Effect),
    ("VOX", "VOICES", SoundKind::Dialogue),
    ("WATR", "WATER", SoundKind::Effect),
    ("WEAP", "WEAPONS", SoundKind::Effect),
    ("WTHR", "WEATHER", SoundKind::Ambience),
    ("WHSH", "WHOOSHES", SoundKind::Effect),
    ("WIND", "WIND", SoundKind::Ambience),
    ("WINDW", "WINDOWS", SoundKind::Foley),
    ("WING", "WINGS", SoundKind::Effect),
    ("WOOD", "WOOD", SoundKind::Foley),
];

/// A category found in a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// The CatID as written (`FOLYFtsp`).
    pub cat_id: String,
    /// The main category's name (`FOLEY`).
    pub name: String,
    /// The subcategory part of the CatID (`Ftsp`).
    pub sub: String,
    pub kind: SoundKind,
}

/// The category of a file named `stem` (without extension), when its first
/// `_`-separated part is a CatID: a known upper-case code followed by a
/// capitalised subcategory (or the code alone).
pub fn category_from_name(stem: &str) -> Option<Category> {
    let first = stem.split(['_', ' ', '-']).next()?;
    let upper: String = first.chars().take_while(char::is_ascii_uppercase).collect();
    if upper.len() < 2 {
        return None;
    }
    // The code is the longest known prefix; a CatID like "FOLYFtsp" has the
    // subcategory's capital F after "FOLY".
    let (code, name, kind) = CATEGORIES
        .iter()
        .filter(|(code, _, _)| upper.starts_with(code))
        .max_by_key(|(code, _, _)| code.len())?;
    let sub = &first[code.len()..];
    if !sub.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(Category {
        cat_id: first.to_owned(),
        name: (*name).to_owned(),
        sub: sub.to_owned(),
        kind: *kind,
    })
}

/// The kind for a category name found in metadata (`FOLEY`, `Ambience`, …).
pub fn kind_of_category(name: &str) -> Option<SoundKind> {
    let upper = name.trim().to_ascii_uppercase();
    CATEGORIES
        .iter()
        .find(|(code, full, _)| upper == *full || upper == *code)
        .map(|(_, _, k)| *k)
        .or_else(|| category_from_name(name).map(|c| c.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catids_from_file_names() {
        let c = category_from_name("FOLYFtsp_Heels On Wood Floor_ACME_Steps01").unwrap();
        assert_eq!((c.name.as_str(), c.sub.as_str()), ("FOLEY", "Ftsp"));
        assert_eq!(c.kind, SoundKind::Foley);
        let c = category_from_name("AMBForst_Night Crickets_XY").unwrap();
        assert_eq!(c.name, "AMBIENCE");
        assert_eq!(c.kind, SoundKind::Ambience);
        let c = category_from_name("WINDWOpen_Sash").unwrap();
        assert_eq!(c.name, "WINDOWS");
        assert_eq!(
            category_from_name("DOORWood_Slam").unwrap().kind,
            SoundKind::Effect
        );
        assert_eq!(category_from_name("door_slam_01"), None);
        assert_eq!(category_from_name("XYZAbc_thing"), None);
    }

    #[test]
    fn kinds_from_metadata_categories() {
        assert_eq!(kind_of_category("Foley"), Some(SoundKind::Foley));
        assert_eq!(kind_of_category("AMBIENCE"), Some(SoundKind::Ambience));
        assert_eq!(kind_of_category("jazz"), None);
    }
}
