//! What the app remembers between runs: recent files and the screen calibration. Kept in the
//! app's data folder, written atomically like reviews (a kill mid-save keeps the old file).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::paper::DEFAULT_SCREEN_DPI;

const RECENT_MAX: usize = 10;
const FILE_NAME: &str = "settings.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub recent: Vec<PathBuf>,
    /// Physical dots per inch of the screen, set against a ruler so ECG millimetres are true.
    pub screen_dpi: f32,
    /// Reports leave out the patient and recording identification the file holds.
    pub anonymise_exports: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self { recent: Vec::new(), screen_dpi: DEFAULT_SCREEN_DPI, anonymise_exports: false }
    }
}

impl Prefs {
    /// The saved preferences, or the defaults with the reason they could not be read.
    pub fn load(data_dir: &Path) -> (Self, Option<String>) {
        let path = data_dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(prefs) => (prefs, None),
                Err(e) => (Self::default(), Some(format!("{}: not a settings file ({e}); using defaults", path.display()))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (Self::default(), Some(format!("{}: {e}; using defaults", path.display()))),
        }
    }

    pub fn save(&self, data_dir: &Path) -> Result<(), String> {
        let path = data_dir.join(FILE_NAME);
        let json = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(data_dir).and_then(|()| crate::review::write_atomic(&path, &json)).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn remember(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| *p != path);
        self.recent.insert(0, path);
        self.recent.truncate(RECENT_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_files_are_most_recent_first_without_duplicates_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let mut prefs = Prefs::default();
        for name in ["a", "b", "a"] {
            prefs.remember(&dir.path().join(name));
        }
        assert_eq!(prefs.recent, vec![dir.path().join("a"), dir.path().join("b")]);
        prefs.screen_dpi = 110.0;
        prefs.save(dir.path()).unwrap();
        assert_eq!(Prefs::load(dir.path()), (prefs, None));
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        let (fallback, warning) = Prefs::load(dir.path());
        assert_eq!(fallback, Prefs::default());
        assert!(warning.unwrap().contains("settings.json"));
    }
}
