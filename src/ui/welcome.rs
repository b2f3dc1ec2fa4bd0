//! The first screen: the bundled sample recordings, recent files, and how to open one's own.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};


/// The bundled samples with what each shows (see sample-data/README.md for provenance).
pub const SAMPLES: [(&str, &str); 4] = [
    ("mimic_perform_af_001_AF_60s.edf", "EDF+ · PPG + ECG lead II · AF (MIMIC PERform AF, ODbL 1.0)"),
    ("mimic_perform_non_af_002_nonAF_60s.hea", "WFDB · PPG + ECG lead II · non-AF (MIMIC PERform AF, ODbL 1.0)"),
    ("bidmc_01_60s.csv", "CSV · PPG + ECG lead II · no rhythm label (BIDMC, ODC-By 1.0)"),
    ("neurokit2_bio_resting_60s_ppg.npy", "NumPy · PPG only, no ECG (NeuroKit2, MIT)"),
];

/// The README's user guide in five lines.
const FIRST_STEPS: [&str; 5] = [
    "Open a sample above, or your own recording with Open… (EDF/EDF+, WFDB, NumPy, CSV).",
    "Step through the beats with ← and →; the Strip shows the PPG, the real ECG and the GENERATED ECG on ECG paper, the Beat tab the attribution heatmap.",
    "On the left: the model's findings with your verdict on each, your notes, and marks on beats (M). Everything is saved as you type.",
    "Enter your name (remembered in Settings) and Sign off.",
    "Export PDF… writes the annotated report; Help → About shows the model card and licences.",
];

/// Returns the file the user picked.
pub fn show(ui: &mut Ui, sample_dir: Option<&Path>, recent: &[PathBuf]) -> Option<PathBuf> {
    let mut picked = None;
    ui.vertical_centered(|ui| {
        ui.add_space(30.0);
        ui.heading(RichText::new("CardioPPG Review").size(28.0));
        ui.label("Review PPG recordings with a PPG-to-ECG network and its Integrated-Gradients attributions.");
        ui.label("The generated ECG and the probabilities are model outputs for review, not a diagnosis.");
        ui.add_space(20.0);
    });
    ui.columns(2, |columns| {
        columns[0].heading("Sample recordings");
        match sample_dir {
            Some(dir) => {
                for (file, what) in SAMPLES {
                    let path = dir.join(file);
                    if !path.is_file() {
                        continue;
                    }
                    columns[0].horizontal(|ui| {
                        if ui.button(format!("Open {file}")).clicked() {
                            picked = Some(path.clone());
                        }
                        ui.label(what);
                    });
                }
            }
            None => {
                columns[0].label("The sample-data folder was not found.");
            }
        }
        columns[1].heading("Recent files");
        if recent.is_empty() {
            columns[1].label("None yet. Open a file with Open… (Ctrl+O) or drop it on the window.");
        }
        for path in recent {
            let exists = Path::new(path).exists();
            let response = columns[1].add_enabled(exists, egui::Link::new(path.display().to_string()));
            if response.clicked() {
                picked = Some(path.clone());
            }
        }
    });
    ui.add_space(20.0);
    ui.heading("First steps");
    for (i, step) in FIRST_STEPS.iter().enumerate() {
        ui.label(format!("{}. {step}", i + 1));
    }
    picked
}
