//! What the app remembers between runs: recent files, the screen calibration, the ECG scale,
//! the reviewer's name, export and heatmap settings, and whether the CPU notice was read. Kept
//! in the app's data folder, written atomically like reviews (a kill mid-save keeps the old file).
//! Every field has a default, so a settings file from an older version still loads.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::paper::{DEFAULT_GAIN_MM_PER_MV, DEFAULT_SCREEN_DPI, DEFAULT_SPEED_MM_PER_S, GAINS_MM_PER_MV, SPEEDS_MM_PER_S};
use crate::explain::Baseline;

const RECENT_MAX: usize = 10;
const FILE_NAME: &str = "settings.json";
pub const SCREEN_DPI_RANGE: std::ops::RangeInclusive<f32> = 50.0..=400.0;
/// The step counts the Settings window offers for the beat heatmap.
pub const HEATMAP_STEPS: [usize; 5] = [8, 16, 32, 64, 128];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub recent: Vec<PathBuf>,
    /// Physical dots per inch of the screen, set against a ruler so ECG millimetres are true.
    pub screen_dpi: f32,
    /// ECG paper speed and gain of the strip, as last set.
    pub speed_mm_per_s: f32,
    pub gain_mm_per_mv: f32,
    /// Filled into the Reviewer field of a review that has no name yet.
    pub reviewer_name: String,
    /// Reports leave out the patient and recording identification the file holds.
    pub anonymise_exports: bool,
    /// The beat heatmap's IG settings, when the user changed them from the app's defaults.
    pub heatmap_steps: Option<usize>,
    pub heatmap_baseline: Option<Baseline>,
    /// The "running on the CPU" notice was dismissed for good.
    pub cpu_notice_dismissed: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            recent: Vec::new(),
            screen_dpi: DEFAULT_SCREEN_DPI,
            speed_mm_per_s: DEFAULT_SPEED_MM_PER_S,
            gain_mm_per_mv: DEFAULT_GAIN_MM_PER_MV,
            reviewer_name: String::new(),
            anonymise_exports: false,
            heatmap_steps: None,
            heatmap_baseline: None,
            cpu_notice_dismissed: false,
        }
    }
}

impl Prefs {
    /// The saved preferences, or the defaults with the reason they could not be read.
    pub fn load(data_dir: &Path) -> (Self, Option<String>) {
        let path = data_dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(prefs) => Self::sanitised(prefs, &path),
                Err(e) => (Self::default(), Some(format!("{}: not a settings file ({e}); using defaults", path.display()))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (Self::default(), Some(format!("{}: {e}; using defaults", path.display()))),
        }
    }

    /// A hand-edited value the views cannot use (a speed not on the dial, a DPI of 0) falls
    /// back to its default, with a warning naming the file and the field.
    fn sanitised(mut prefs: Self, path: &Path) -> (Self, Option<String>) {
        let defaults = Self::default();
        let mut bad = Vec::new();
        if !SPEEDS_MM_PER_S.contains(&prefs.speed_mm_per_s) {
            bad.push("speed_mm_per_s");
            prefs.speed_mm_per_s = defaults.speed_mm_per_s;
        }
        if !GAINS_MM_PER_MV.contains(&prefs.gain_mm_per_mv) {
            bad.push("gain_mm_per_mv");
            prefs.gain_mm_per_mv = defaults.gain_mm_per_mv;
        }
        if !(SCREEN_DPI_RANGE.contains(&prefs.screen_dpi)) {
            bad.push("screen_dpi");
            prefs.screen_dpi = defaults.screen_dpi;
        }
        if prefs.heatmap_steps.is_some_and(|s| !HEATMAP_STEPS.contains(&s)) {
            bad.push("heatmap_steps");
            prefs.heatmap_steps = None;
        }
        // A cycle is 300 samples: a low-pass cut-off must lie between 0 and 150 cycles per beat.
        if let Some(Baseline::LowPass { cutoff_per_beat }) = prefs.heatmap_baseline
            && !(cutoff_per_beat > 0.0 && cutoff_per_beat < 150.0)
        {
            bad.push("heatmap_baseline");
            prefs.heatmap_baseline = None;
        }
        let warning = (!bad.is_empty()).then(|| format!("{}: {} out of range; using the default", path.display(), bad.join(", ")));
        (prefs, warning)
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
        prefs.reviewer_name = "Dr. Müller".into();
        prefs.gain_mm_per_mv = 20.0;
        prefs.heatmap_baseline = Some(Baseline::Mean);
        prefs.save(dir.path()).unwrap();
        assert_eq!(Prefs::load(dir.path()), (prefs, None));
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        let (fallback, warning) = Prefs::load(dir.path());
        assert_eq!(fallback, Prefs::default());
        assert!(warning.unwrap().contains("settings.json"));
    }

    #[test]
    fn a_settings_file_from_an_older_version_keeps_what_it_has_and_defaults_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), br#"{"recent": [], "screen_dpi": 120.0, "anonymise_exports": true}"#).unwrap();
        let (prefs, warning) = Prefs::load(dir.path());
        assert_eq!(warning, None);
        assert_eq!((prefs.screen_dpi, prefs.anonymise_exports), (120.0, true));
        assert_eq!((prefs.speed_mm_per_s, prefs.gain_mm_per_mv, prefs.reviewer_name.as_str()), (DEFAULT_SPEED_MM_PER_S, DEFAULT_GAIN_MM_PER_MV, ""));
    }

    #[test]
    fn hand_edited_values_out_of_range_fall_back_with_a_warning_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), br#"{"speed_mm_per_s": 0.0, "screen_dpi": 96.0, "heatmap_steps": 3, "heatmap_baseline": {"LowPass": {"cutoff_per_beat": -1.0}}, "reviewer_name": "A"}"#).unwrap();
        let (prefs, warning) = Prefs::load(dir.path());
        let warning = warning.unwrap();
        assert!(warning.contains("settings.json") && warning.contains("speed_mm_per_s") && warning.contains("heatmap_steps") && warning.contains("heatmap_baseline"), "{warning}");
        assert!(!warning.contains("screen_dpi"), "{warning}");
        assert_eq!((prefs.speed_mm_per_s, prefs.heatmap_steps, prefs.heatmap_baseline, prefs.reviewer_name.as_str()), (DEFAULT_SPEED_MM_PER_S, None, None, "A"));
    }
}
