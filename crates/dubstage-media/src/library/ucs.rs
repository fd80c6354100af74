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
    // Codes as UCS v8 spells them where they differ from the ones above, and
    // the weather codes that stand alone (`THUN_Distant Roll`).
    ("CMPT", "COMPUTERS", SoundKind::Effect),
    ("COM", "COMMUNICATIONS", SoundKind::Effect),
    ("CRWD", "CROWDS", SoundKind::Ambience),
    ("DESTR", "DESTRUCTION", SoundKind::Effect),
    ("FRWK", "FIREWORKS", SoundKind::Effect),
    ("HAIL", "WEATHER", SoundKind::Ambience),
    ("NATD", "NATURAL DISASTER", SoundKind::Effect),
    ("STORM", "WEATHER", SoundKind::Ambience),
    ("THUN", "WEATHER", SoundKind::Ambience),
    ("TOON", "CARTOON", SoundKind::Effect),
    ("TRN", "TRAINS", SoundKind::Effect),
    ("VEGE", "VEGETATION", SoundKind::Foley),
    ("WHST", "WHISTLES", SoundKind::Effect),
    ("WNDW", "WINDOWS", SoundKind::Foley),
];

/// Subcategory codes by main category name, with the subcategory's full
/// name (UCS v8, plus a few spellings common in older libraries, marked).
const SUBCATEGORIES: &[(&str, &str, &str)] = &[
    ("AMBIENCE", "Air", "AIR"),
    ("AMBIENCE", "Alpn", "ALPINE"),
    ("AMBIENCE", "Amus", "AMUSEMENT"),
    ("AMBIENCE", "Bird", "BIRDSONG"),
    ("AMBIENCE", "Cele", "CELEBRATION"),
    ("AMBIENCE", "Cnst", "CONSTRUCTION"),
    ("AMBIENCE", "Dsrt", "DESERT"),
    ("AMBIENCE", "Dsgn", "DESIGNED"),
    ("AMBIENCE", "Emrg", "EMERGENCY"),
    ("AMBIENCE", "Fant", "FANTASY"),
    ("AMBIENCE", "Farm", "FARM"),
    ("AMBIENCE", "Forst", "FOREST"),
    ("AMBIENCE", "Gras", "GRASSLAND"),
    ("AMBIENCE", "Hist", "HISTORICAL"),
    ("AMBIENCE", "Tech", "HITECH"),
    ("AMBIENCE", "Home", "RESIDENTIAL"),
    ("AMBIENCE", "Hosp", "HOSPITAL"),
    ("AMBIENCE", "Ind", "INDUSTRIAL"),
    ("AMBIENCE", "Insc", "INSECT"),
    ("AMBIENCE", "Lake", "LAKESIDE"),
    ("AMBIENCE", "Mrkt", "MARKET"),
    ("AMBIENCE", "Misc", "MISC"),
    ("AMBIENCE", "Naut", "NAUTICAL"),
    ("AMBIENCE", "Offc", "OFFICE"),
    ("AMBIENCE", "Park", "PARK"),
    ("AMBIENCE", "Prisn", "PRISON"),
    ("AMBIENCE", "Prtst", "PROTEST"),
    ("AMBIENCE", "Publ", "PUBLIC PLACE"),
    ("AMBIENCE", "Rest", "RESTAURANT & BAR"),
    ("AMBIENCE", "Rlgn", "RELIGIOUS"),
    ("AMBIENCE", "Room", "ROOM TONE"),
    ("AMBIENCE", "Rurl", "RURAL"),
    ("AMBIENCE", "Schl", "SCHOOL"),
    ("AMBIENCE", "Sci", "SCIFI"),
    ("AMBIENCE", "Sea", "SEASIDE"),
    ("AMBIENCE", "Sprt", "SPORT"),
    ("AMBIENCE", "Subn", "SUBURBAN"),
    ("AMBIENCE", "Swmp", "SWAMP"),
    ("AMBIENCE", "Tndra", "TUNDRA"),
    ("AMBIENCE", "Town", "TOWN"),
    ("AMBIENCE", "Traf", "TRAFFIC"),
    ("AMBIENCE", "Tran", "TRANSPORTATION"),
    ("AMBIENCE", "Trop", "TROPICAL"),
    ("AMBIENCE", "Undr", "UNDERGROUND"),
    ("AMBIENCE", "Undwtr", "UNDERWATER"),
    ("AMBIENCE", "Urbn", "URBAN"),
    ("AMBIENCE", "War", "WARFARE"),
    // Older spellings.
    ("AMBIENCE", "City", "CITY"),
    ("AMBIENCE", "Ext", "EXTERIOR"),
    ("AMBIENCE", "Int", "INTERIOR"),
    ("AMBIENCE", "Trfc", "TRAFFIC"),
    ("AMBIENCE", "Wind", "WIND"),
    ("DOORS", "Antq", "ANTIQUE"),
    ("DOORS", "Appl", "APPLIANCE"),
    ("DOORS", "Cab", "CABINET"),
    ("DOORS", "Comp", "COMPOSITE"),
    ("DOORS", "Creak", "CREAK"),
    ("DOORS", "Dungn", "DUNGEON"),
    ("DOORS", "Elec", "ELECTRIC"),
    ("DOORS", "Gate", "GATE"),
    ("DOORS", "Glas", "GLASS"),
    ("DOORS", "Hdwr", "HARDWARE"),
    ("DOORS", "Tech", "HITECH"),
    ("DOORS", "Hydr", "HYDRAULIC & PNEUMATIC"),
    ("DOORS", "Knck", "KNOCK"),
    ("DOORS", "Metl", "METAL"),
    ("DOORS", "Misc", "MISC"),
    ("DOORS", "Plas", "PLASTIC"),
    ("DOORS", "Prisn", "PRISON"),
    ("DOORS", "Revl", "REVOLVING"),
    ("DOORS", "Slid", "SLIDING"),
    ("DOORS", "Ston", "STONE"),
    ("DOORS", "Swng", "SWINGING"),
    ("DOORS", "Wood", "WOOD"),
    // Older spellings.
    ("DOORS", "Car", "CAR"),
    ("DOORS", "Hndl", "HANDLE"),
    ("FOLEY", "Clth", "CLOTH"),
    ("FOLEY", "Feet", "FEET"),
    ("FOLEY", "Hand", "HANDS"),
    ("FOLEY", "Misc", "MISC"),
    ("FOLEY", "Prop", "PROP"),
    // Older spellings.
    ("FOLEY", "Body", "BODY"),
    ("FOLEY", "Cloth", "CLOTH"),
    ("FOLEY", "Ftsp", "FOOTSTEPS"),
    ("FOLEY", "Props", "PROPS"),
    ("FOOTSTEPS", "Anml", "ANIMAL"),
    ("FOOTSTEPS", "Crea", "CREATURE"),
    ("FOOTSTEPS", "Hors", "HORSE"),
    ("FOOTSTEPS", "Hmn", "HUMAN"),
    ("FOOTSTEPS", "Misc", "MISC"),
    // Surfaces, as older libraries name them.
    ("FOOTSTEPS", "Conc", "CONCRETE"),
    ("FOOTSTEPS", "Dirt", "DIRT"),
    ("FOOTSTEPS", "Gras", "GRASS"),
    ("FOOTSTEPS", "Grvl", "GRAVEL"),
    ("FOOTSTEPS", "Metl", "METAL"),
    ("FOOTSTEPS", "Sand", "SAND"),
    ("FOOTSTEPS", "Snow", "SNOW"),
    ("FOOTSTEPS", "Watr", "WATER"),
    ("FOOTSTEPS", "Wood", "WOOD"),
    ("VEHICLES", "Alrm", "ALARM"),
    ("VEHICLES", "Antq", "ANTIQUE"),
    ("VEHICLES", "Atv", "ATV"),
    ("VEHICLES", "Bike", "BICYCLE"),
    ("VEHICLES", "Brake", "BRAKE"),
    ("VEHICLES", "Bus", "BUS"),
    ("VEHICLES", "By", "GENERIC BY"),
    ("VEHICLES", "Car", "CAR"),
    ("VEHICLES", "Cnst", "CONSTRUCTION"),
    ("VEHICLES", "Door", "DOOR"),
    ("VEHICLES", "Elec", "ELECTRIC"),
    ("VEHICLES", "Emrg", "EMERGENCY"),
    ("VEHICLES", "Farm", "FARM"),
    ("VEHICLES", "Frght", "FREIGHT"),
    ("VEHICLES", "Horn", "HORN"),
    ("VEHICLES", "Int", "INTERIOR"),
    ("VEHICLES", "Jalop", "JALOPY"),
    ("VEHICLES", "Mech", "MECHANISM"),
    ("VEHICLES", "Mil", "MILITARY"),
    ("VEHICLES", "Misc", "MISC"),
    ("VEHICLES", "Moto", "MOTORCYCLE"),
    ("VEHICLES", "Race", "RACING"),
    ("VEHICLES", "Sirn", "SIREN"),
    ("VEHICLES", "Skid", "SKID"),
    ("VEHICLES", "Susp", "SUSPENSION"),
    ("VEHICLES", "Tire", "TIRE"),
    ("VEHICLES", "Truck", "TRUCK VAN & SUV"),
    ("VEHICLES", "Util", "UTILITY"),
    ("VEHICLES", "Wagn", "WAGON"),
    ("VEHICLES", "Wndw", "WINDOW"),
    ("WATER", "Bubl", "BUBBLES"),
    ("WATER", "Dran", "DRAIN"),
    ("WATER", "Drip", "DRIP"),
    ("WATER", "Fall", "WATERFALL"),
    ("WATER", "Fizz", "FIZZ"),
    ("WATER", "Flow", "FLOW"),
    ("WATER", "Foun", "FOUNTAIN"),
    ("WATER", "Impt", "IMPACT"),
    ("WATER", "Lap", "LAP"),
    ("WATER", "Misc", "MISC"),
    ("WATER", "Mvmt", "MOVEMENT"),
    ("WATER", "Plmb", "PLUMBING"),
    ("WATER", "Pour", "POUR"),
    ("WATER", "Splsh", "SPLASH"),
    ("WATER", "Spray", "SPRAY"),
    ("WATER", "Stm", "STEAM"),
    ("WATER", "Surf", "SURF"),
    ("WATER", "Turb", "TURBULENT"),
    ("WATER", "Undwtr", "UNDERWATER"),
    ("WATER", "Wave", "WAVE"),
    ("RAIN", "Clth", "CLOTH"),
    ("RAIN", "Conc", "CONCRETE"),
    ("RAIN", "Glas", "GLASS"),
    ("RAIN", "Int", "INTERIOR"),
    ("RAIN", "Metl", "METAL"),
    ("RAIN", "Misc", "MISC"),
    ("RAIN", "Plas", "PLASTIC"),
    ("RAIN", "Vege", "VEGETATION"),
    ("RAIN", "Watr", "WATER"),
    ("RAIN", "Wood", "WOOD"),
    ("WIND", "Dsgn", "DESIGNED"),
    ("WIND", "Gust", "GUST"),
    ("WIND", "Int", "INTERIOR"),
    ("WIND", "Tonl", "TONAL"),
    ("WIND", "Turb", "TURBULENT"),
    ("WIND", "Vege", "VEGETATION"),
    ("GUNS", "Antq", "ANTIQUE"),
    ("GUNS", "Artl", "ARTILLERY"),
    ("GUNS", "Auto", "AUTOMATIC"),
    ("GUNS", "Cano", "CANNON"),
    ("GUNS", "Hndl", "HANDLE"),
    ("GUNS", "Mech", "MECHANISM"),
    ("GUNS", "Misc", "MISC"),
    ("GUNS", "Pis", "PISTOL"),
    ("GUNS", "Rif", "RIFLE"),
    ("GUNS", "Shotg", "SHOTGUN"),
    ("GUNS", "Supr", "SUPPRESSED"),
    ("GUNS", "Tech", "HITECH"),
    ("CLOTH", "Flp", "FLAP"),
    ("CLOTH", "Hndl", "HANDLE"),
    ("CLOTH", "Impt", "IMPACT"),
    ("CLOTH", "Misc", "MISC"),
    ("CLOTH", "Mvmt", "MOVEMENT"),
    ("CLOTH", "Rip", "RIP"),
    ("MOVEMENT", "Actv", "ACTIVITY"),
    ("MOVEMENT", "Anml", "ANIMAL"),
    ("MOVEMENT", "Crea", "CREATURE"),
    ("MOVEMENT", "Crwd", "CROWD"),
    ("MOVEMENT", "Hmn", "HUMAN"),
    ("MOVEMENT", "Insc", "INSECT"),
    ("MOVEMENT", "Misc", "MISC"),
    ("MOVEMENT", "Pres", "PRESENCE"),
    ("CROWDS", "Angr", "ANGRY"),
    ("CROWDS", "Apls", "APPLAUSE"),
    ("CROWDS", "Batl", "BATTLE"),
    ("CROWDS", "Cele", "CELEBRATION"),
    ("CROWDS", "Cheer", "CHEERING"),
    ("CROWDS", "Chld", "CHILDREN"),
    ("CROWDS", "Conv", "CONVERSATION"),
    ("CROWDS", "Laff", "LAUGHTER"),
    ("CROWDS", "Loop", "LOOP GROUP"),
    ("CROWDS", "Misc", "MISC"),
    ("CROWDS", "Panic", "PANIC"),
    ("CROWDS", "Quiet", "QUIET"),
    ("CROWDS", "Reac", "REACTION"),
    ("CROWDS", "Sing", "SINGING"),
    ("CROWDS", "Sprt", "SPORT"),
    ("CROWDS", "Walla", "WALLA"),
    ("VOICES", "Alien", "ALIEN"),
    ("VOICES", "Baby", "BABY"),
    ("VOICES", "Cheer", "CHEER"),
    ("VOICES", "Chld", "CHILD"),
    ("VOICES", "Cry", "CRYING"),
    ("VOICES", "Efrt", "EFFORTS"),
    ("VOICES", "Fem", "FEMALE"),
    ("VOICES", "Futz", "FUTZED"),
    ("VOICES", "Hist", "HISTORICAL"),
    ("VOICES", "Laff", "LAUGH"),
    ("VOICES", "Male", "MALE"),
    ("VOICES", "Misc", "MISC"),
    ("VOICES", "Reac", "REACTION"),
    ("VOICES", "Scrm", "SCREAM"),
    ("VOICES", "Sing", "SINGING"),
    ("VOICES", "Whsp", "WHISPER"),
    ("FIRE", "Brst", "BURST"),
    ("FIRE", "Burn", "BURNING"),
    ("FIRE", "Crkl", "CRACKLE"),
    ("FIRE", "Gas", "GAS"),
    ("FIRE", "Ign", "IGNITE"),
    ("FIRE", "Misc", "MISC"),
    ("FIRE", "Sizz", "SIZZLE"),
    ("FIRE", "Trch", "TORCH"),
    ("FIRE", "Turb", "TURBULENT"),
    ("FIRE", "Whsh", "WHOOSH"),
    ("EXPLOSIONS", "Dsgn", "DESIGNED"),
    ("EXPLOSIONS", "Misc", "MISC"),
    ("EXPLOSIONS", "Real", "REAL"),
    ("GLASS", "Brk", "BREAK"),
    ("GLASS", "Crsh", "CRASH & DEBRIS"),
    ("GLASS", "Fric", "FRICTION"),
    ("GLASS", "Hndl", "HANDLE"),
    ("GLASS", "Impt", "IMPACT"),
    ("GLASS", "Misc", "MISC"),
    ("GLASS", "Mvmt", "MOVEMENT"),
    ("GLASS", "Tonl", "TONAL"),
    ("FIGHT", "Bf", "BODYFALL"),
    ("FIGHT", "Clth", "CLOTH"),
    ("FIGHT", "Grab", "GRAB"),
    ("FIGHT", "Impt", "IMPACT"),
    ("FIGHT", "Misc", "MISC"),
    ("HUMAN", "Blow", "BLOW"),
    ("HUMAN", "Brth", "BREATH"),
    ("HUMAN", "Burp", "BURP"),
    ("HUMAN", "Cough", "COUGH"),
    ("HUMAN", "Hart", "HEARTBEAT"),
    ("HUMAN", "Kiss", "KISS"),
    ("HUMAN", "Misc", "MISC"),
    ("HUMAN", "Skin", "SKIN"),
    ("HUMAN", "Sneez", "SNEEZE"),
    ("HUMAN", "Sniff", "SNIFF"),
    ("HUMAN", "Snor", "SNORE"),
    ("HUMAN", "Spit", "SPIT"),
    ("BIRDS", "Crow", "CROW"),
    ("BIRDS", "Fowl", "FOWL"),
    ("BIRDS", "Misc", "MISC"),
    ("BIRDS", "Prey", "BIRD OF PREY"),
    ("BIRDS", "Sea", "SEA"),
    ("BIRDS", "Song", "SONGBIRD"),
    ("BIRDS", "Trop", "TROPICAL"),
    ("BIRDS", "Wade", "WADING"),
    ("ANIMALS", "Amph", "AMPHIBIAN"),
    ("ANIMALS", "Aqua", "AQUATIC"),
    ("ANIMALS", "Cat", "CAT DOMESTIC"),
    ("ANIMALS", "Dog", "DOG"),
    ("ANIMALS", "Farm", "FARM"),
    ("ANIMALS", "Hors", "HORSE"),
    ("ANIMALS", "Insc", "INSECT"),
    ("ANIMALS", "Misc", "MISC"),
    ("ANIMALS", "Prim", "PRIMATE"),
    ("ANIMALS", "Rdnt", "RODENT"),
    ("ANIMALS", "Rept", "REPTILE"),
    ("ANIMALS", "Wcat", "CAT WILD"),
    ("ANIMALS", "Wdog", "DOG WILD"),
    ("ANIMALS", "Wild", "WILD"),
    ("DESIGNED", "Bass", "BASS DIVE"),
    ("DESIGNED", "Boom", "BOOM"),
    ("DESIGNED", "Bram", "BRAAM"),
    ("DESIGNED", "Dron", "DRONE"),
    ("DESIGNED", "Erie", "EERIE"),
    ("DESIGNED", "Impt", "IMPACT"),
    ("DESIGNED", "Misc", "MISC"),
    ("DESIGNED", "Rise", "RISER"),
    ("DESIGNED", "Rmbl", "RUMBLE"),
    ("DESIGNED", "Stngr", "STINGER"),
    ("DESIGNED", "Whsh", "WHOOSH"),
    ("MUSICAL", "Bell", "BELLS"),
    ("MUSICAL", "Brass", "BRASS"),
    ("MUSICAL", "Chim", "CHIME"),
    ("MUSICAL", "Chor", "CHORAL"),
    ("MUSICAL", "Keyd", "KEYED"),
    ("MUSICAL", "Loop", "LOOP"),
    ("MUSICAL", "Misc", "MISC"),
    ("MUSICAL", "Perc", "PERCUSSION"),
    ("MUSICAL", "Pluck", "PLUCKED"),
    ("MUSICAL", "Prfm", "PERFORMANCE"),
    ("MUSICAL", "Smpl", "SAMPLE"),
    ("MUSICAL", "Song", "SONG & PHRASE"),
    ("MUSICAL", "Stngr", "STINGER"),
    ("MUSICAL", "Str", "STRINGED"),
    ("MUSICAL", "Synth", "SYNTHESIZED"),
    ("MUSICAL", "Wind", "WOODWIND"),
];

/// Subcategories named by a code that stands alone as the whole CatID
/// (`THUN_Distant Roll`, `WHSH_Fast By`).
const LONE_CODES: &[(&str, &str)] = &[
    ("HAIL", "HAIL"),
    ("STORM", "STORM"),
    ("SWSH", "SWISH"),
    ("THUN", "THUNDER"),
    ("WHSH", "WHOOSH"),
];

/// Other words a category or subcategory name is searched by (lower case;
/// singular and plural forms are added separately).
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "ambience",
        &[
            "ambiance",
            "ambient",
            "atmos",
            "atmosphere",
            "bg",
            "background",
        ],
    ),
    ("room tone", &["roomtone", "rt"]),
    ("footsteps", &["footstep", "steps", "step", "feet"]),
    ("feet", &["footsteps", "footstep", "steps", "step"]),
    ("whooshes", &["woosh", "swish", "swoosh"]),
    ("whoosh", &["woosh", "swish", "swoosh"]),
    ("swooshes", &["swish", "whoosh", "woosh"]),
    ("swish", &["swoosh", "whoosh"]),
    ("crowds", &["walla"]),
    ("walla", &["crowd"]),
    ("voices", &["vocal", "vox"]),
    ("guns", &["gunshot", "gunfire", "firearm"]),
    ("musical", &["music", "instrument"]),
    ("interior", &["int", "inside", "indoor"]),
    ("exterior", &["ext", "outside", "outdoor"]),
    ("urban", &["city", "downtown"]),
    ("city", &["urban"]),
    ("suburban", &["suburb", "suburbs"]),
    ("rural", &["countryside", "country"]),
    ("forest", &["woods", "woodland"]),
    ("cloth", &["clothing", "clothes", "fabric"]),
    ("hardware", &["knob", "lock", "latch"]),
    ("knock", &["knocking"]),
    ("sliding", &["slide"]),
    ("handle", &["handling"]),
    ("movement", &["move", "moving"]),
    ("impact", &["hit"]),
    ("misc", &["miscellaneous"]),
    ("motorcycle", &["motorbike"]),
    ("bicycle", &["bike"]),
    ("residential", &["home", "house", "apartment"]),
    ("scifi", &["sci-fi"]),
    ("thunder", &["lightning"]),
    ("storm", &["thunderstorm"]),
    ("efforts", &["effort", "grunt"]),
    ("birdsong", &["bird", "birds"]),
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

impl Category {
    /// The subcategory's full name (`FOOTSTEPS` for `FOLYFtsp`, `THUNDER`
    /// for `THUN`), when it is a known one.
    pub fn sub_name(&self) -> Option<&'static str> {
        if self.sub.is_empty() {
            LONE_CODES
                .iter()
                .find(|(code, _)| *code == self.cat_id)
                .map(|(_, name)| *name)
        } else {
            subcategory_name(&self.name, &self.sub)
        }
    }
}

/// Whether `sub` can follow a category code in a CatID: nothing, or a
/// capitalised word (`Ftsp`, `Undwtr`), never more capitals (`AMBER`).
fn is_sub_code(sub: &str) -> bool {
    let mut chars = sub.chars();
    match chars.next() {
        None => true,
        Some(first) => {
            first.is_ascii_uppercase()
                && sub.chars().all(|c| c.is_ascii_alphanumeric())
                && chars.any(|c| c.is_ascii_lowercase())
        }
    }
}

/// The category of a file named `stem` (without extension), when its first
/// `_`-separated part is a CatID: a known upper-case code followed by a
/// capitalised subcategory (or the code alone), or a category's name in
/// capitals (`DOORS_Slam`).
pub fn category_from_name(stem: &str) -> Option<Category> {
    let first = stem.split(['_', ' ', '-']).next()?;
    let upper = first.bytes().take_while(u8::is_ascii_uppercase).count();
    if upper < 2 {
        return None;
    }
    let found = |code: &str, name: &str, kind: SoundKind| Category {
        cat_id: first.to_owned(),
        name: name.to_owned(),
        sub: first[code.len()..].to_owned(),
        kind,
    };
    // The code is the longest known prefix that leaves a subcategory: a
    // CatID like "FOLYFtsp" has the subcategory's capital F after "FOLY",
    // and "COMMisc" is "COM" and "Misc".
    for len in (2..=upper).rev() {
        let prefix = &first[..len];
        if let Some((code, name, kind)) = CATEGORIES.iter().find(|(code, _, _)| *code == prefix)
            && is_sub_code(&first[len..])
        {
            return Some(found(code, name, *kind));
        }
    }
    if upper == first.len() {
        return CATEGORIES
            .iter()
            .find(|(_, name, _)| *name == first)
            .map(|(_, name, kind)| found(first, name, *kind));
    }
    None
}

/// The full name of subcategory `sub` (`Ftsp`, any case) of the category
/// named `category` (its name, `FOLEY`, or code, `FOLY`).
pub fn subcategory_name(category: &str, sub: &str) -> Option<&'static str> {
    if sub.is_empty() {
        return None;
    }
    let name = CATEGORIES
        .iter()
        .find(|(code, _, _)| *code == category)
        .map_or(category, |(_, name, _)| *name);
    SUBCATEGORIES
        .iter()
        .find(|(cat, code, _)| *cat == name && code.eq_ignore_ascii_case(sub))
        .map(|(_, _, full)| *full)
}

/// `word`'s singular or plural (`doors` → `door`, `forest` → `forests`), if
/// simple rules give one.
fn other_form(word: &str) -> Option<String> {
    if word.len() < 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    if ["misc", "general", "foley", "scifi", "hitech"].contains(&word) {
        return None;
    }
    let ends = |s: &str| word.ends_with(s);
    let cut = |n: usize| &word[..word.len() - n];
    if ends("ies") && word.len() > 4 {
        return Some(format!("{}y", cut(3)));
    }
    if ["sses", "shes", "ches", "xes", "zes"]
        .iter()
        .any(|s| ends(s))
    {
        return Some(cut(2).to_owned());
    }
    if ends("ss") || ends("sh") || ends("ch") || ends("x") || ends("z") {
        return Some(format!("{word}es"));
    }
    if ends("s") {
        let singular = word.len() > 3 && !ends("us") && !ends("is");
        return singular.then(|| cut(1).to_owned());
    }
    if ends("y")
        && !matches!(
            word.as_bytes()[word.len() - 2],
            b'a' | b'e' | b'i' | b'o' | b'u'
        )
    {
        return Some(format!("{}ies", cut(1)));
    }
    // Adjectives have no plural.
    if [
        "ing", "ed", "al", "ic", "ous", "ive", "ful", "an", "ern", "ary",
    ]
    .iter()
    .any(|s| ends(s))
    {
        return None;
    }
    Some(format!("{word}s"))
}

/// The words a sound of `category` (`FOOTSTEPS`) and subcategory `sub_name`
/// (`GRAVEL`) is also found by: the subcategory's name, the words of both
/// names in singular and plural, and common synonyms. Lower case, without
/// repeats.
pub fn search_terms(category: &str, sub_name: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    };
    for phrase in [Some(category), sub_name].into_iter().flatten() {
        let phrase = phrase.trim().to_lowercase();
        add(&phrase);
        let words: Vec<&str> = phrase
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .collect();
        let several = words.len() > 1;
        for w in std::iter::once(phrase.as_str()).chain(words.iter().copied().filter(|_| several)) {
            add(w);
            if let Some(f) = other_form(w) {
                add(&f);
            }
            if let Some((_, syn)) = SYNONYMS.iter().find(|(k, _)| *k == w) {
                for s in *syn {
                    add(s);
                }
            }
        }
    }
    out
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

    #[test]
    fn catid_subcategories_must_be_capitalised_words() {
        // A capitalised name is no CatID: "BELLA" is not BELLS + "A".
        assert_eq!(category_from_name("BELLA_Sc12_Tk3"), None);
        assert_eq!(category_from_name("AMBER_Dialogue"), None);
        assert_eq!(category_from_name("AMB01_thing"), None);
        // A category's name or a code alone is.
        let c = category_from_name("DOORS_SLAM").unwrap();
        assert_eq!((c.name.as_str(), c.sub.as_str()), ("DOORS", ""));
        let c = category_from_name("THUN_Distant Roll").unwrap();
        assert_eq!(
            (c.name.as_str(), c.sub_name()),
            ("WEATHER", Some("THUNDER"))
        );
        // The longest code that leaves a subcategory: COM + Misc, not COMM + isc.
        let c = category_from_name("COMMisc_Fax").unwrap();
        assert_eq!(
            (c.name.as_str(), c.sub.as_str()),
            ("COMMUNICATIONS", "Misc")
        );
        let c = category_from_name("VEGETree_Branch Snap").unwrap();
        assert_eq!((c.name.as_str(), c.sub.as_str()), ("VEGETATION", "Tree"));
    }

    #[test]
    fn subcategory_names() {
        let c = category_from_name("FOLYFtsp_Gravel").unwrap();
        assert_eq!(c.sub_name(), Some("FOOTSTEPS"));
        assert_eq!(subcategory_name("AMBIENCE", "Room"), Some("ROOM TONE"));
        assert_eq!(subcategory_name("AMB", "room"), Some("ROOM TONE"));
        assert_eq!(subcategory_name("DOORS", "Slid"), Some("SLIDING"));
        assert_eq!(subcategory_name("FOOTSTEPS", "Grvl"), Some("GRAVEL"));
        assert_eq!(subcategory_name("DOORS", "Xyzw"), None);
        assert_eq!(subcategory_name("DOORS", ""), None);
    }

    #[test]
    fn the_tables_are_consistent() {
        for (i, (code, _, _)) in CATEGORIES.iter().enumerate() {
            assert!(
                CATEGORIES[i + 1..].iter().all(|(c, _, _)| c != code),
                "{code} twice"
            );
        }
        for (i, (cat, sub, full)) in SUBCATEGORIES.iter().enumerate() {
            assert!(
                CATEGORIES.iter().any(|(_, name, _)| name == cat),
                "{cat} is no category"
            );
            assert!(is_sub_code(sub), "{cat} {sub}");
            assert_eq!(full.to_uppercase(), *full);
            assert!(
                SUBCATEGORIES[i + 1..]
                    .iter()
                    .all(|(c, s, _)| !(c == cat && s == sub)),
                "{cat} {sub} twice"
            );
        }
        for (code, _) in LONE_CODES {
            assert!(CATEGORIES.iter().any(|(c, _, _)| c == code), "{code}");
        }
    }

    #[test]
    fn singular_and_plural_forms() {
        for (w, f) in [
            ("doors", Some("door")),
            ("footsteps", Some("footstep")),
            ("whooshes", Some("whoosh")),
            ("batteries", Some("battery")),
            ("forest", Some("forests")),
            ("city", Some("cities")),
            ("glass", Some("glasses")),
            ("rural", None),
            ("sliding", None),
            ("bus", None),
            ("gas", None),
            ("misc", None),
            ("sci-fi", None),
        ] {
            assert_eq!(other_form(w).as_deref(), f, "{w}");
        }
    }

    #[test]
    fn search_terms_cover_names_forms_and_synonyms() {
        let t = search_terms("FOLEY", Some("FOOTSTEPS"));
        for w in ["foley", "footsteps", "footstep", "steps"] {
            assert!(t.iter().any(|x| x == w), "{w} in {t:?}");
        }
        let t = search_terms("AMBIENCE", Some("ROOM TONE"));
        for w in [
            "room tone",
            "room",
            "tone",
            "roomtone",
            "ambiance",
            "atmos",
            "bg",
        ] {
            assert!(t.iter().any(|x| x == w), "{w} in {t:?}");
        }
        let t = search_terms("DOORS", None);
        assert!(t.iter().any(|x| x == "door"), "{t:?}");
        let t = search_terms("FOOD & DRINK", None);
        assert!(!t.iter().any(|x| x == "&"), "{t:?}");
        assert!(t.iter().any(|x| x == "drink"), "{t:?}");
        let mut dedup = t.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), t.len());
    }
}
