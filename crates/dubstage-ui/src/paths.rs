//! Where the editor keeps files of its own.

use std::path::PathBuf;

/// Where autosaves of never-saved projects go: `$XDG_DATA_HOME/dubstage`
/// (or `~/.local/share/dubstage`).
pub fn data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("dubstage")
}
