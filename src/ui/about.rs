//! Help → About: versions (the app, its main components, the model and where it runs), the
//! model card of the weights actually loaded, and the licences of everything the app ships.

use std::path::{Path, PathBuf};

use egui::{RichText, Ui};

use super::markdown;
use super::worker::ModelInfo;

/// Every crate in Cargo.lock with its declared licence (packaging/third-party.py writes it;
/// tests/packaging.rs checks it against Cargo.lock), so the versions shown are the ones built.
const THIRD_PARTY: &str = include_str!("../../packaging/third-party.tsv");
const LICENSE_MIT: &str = include_str!("../../LICENSE-MIT");
const LICENSE_APACHE: &str = include_str!("../../LICENSE-APACHE");
/// The report font is compiled into the binary, so its licence is too.
const LICENSE_DEJAVU: &str = include_str!("../../assets/fonts/LICENSE-DejaVu.txt");

/// The components a user or a bug report asks about first.
const COMPONENTS: [(&str, &str); 9] = [
    ("burn", "neural network (CPU: Flex; GPU: wgpu)"),
    ("wgpu", "GPU access"),
    ("egui", "user interface"),
    ("eframe", "window"),
    ("egui_plot", "plots"),
    ("krilla", "PDF reports"),
    ("edfplus", "EDF+ reading"),
    ("ndarray-npy", "NumPy reading"),
    ("rfd", "file dialogs"),
];

#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    About,
    ModelCard,
    Licences,
}

/// Read from disk when the window opens: what is installed, not what was compiled.
struct Documents {
    model_card: Result<String, String>,
    /// (file name, text) of sample-data/README.md and each sample-data/LICENSES/* file.
    data_notices: Vec<(String, Result<String, String>)>,
}

#[derive(Default)]
pub struct About {
    pub open: bool,
    pub tab: Tab,
    filter: String,
    documents: Option<Documents>,
}

pub struct Context<'a> {
    pub device: Option<&'a str>,
    pub model: Option<&'a Result<ModelInfo, String>>,
    pub data_dir: &'a Path,
    pub sample_dir: Option<&'a Path>,
}

/// (crate, version, licence, repository) rows of the third-party list, parsed once: the About
/// window reads them every frame it is open.
pub fn third_party() -> &'static [[&'static str; 4]] {
    static ROWS: std::sync::OnceLock<Vec<[&'static str; 4]>> = std::sync::OnceLock::new();
    ROWS.get_or_init(|| {
        THIRD_PARTY
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split('\t');
                Some([f.next()?, f.next()?, f.next()?, f.next().unwrap_or("")])
            })
            .collect()
    })
}

pub fn component_version(name: &str) -> Option<&'static str> {
    // Two versions of one crate can be locked (a dependency's older copy): show the newest.
    third_party().iter().filter(|r| r[0] == name).map(|r| r[1]).max_by_key(|v| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl About {
    pub fn window(&mut self, ctx: &egui::Context, info: Context<'_>) {
        if !self.open {
            self.documents = None;
            return;
        }
        let documents = self.documents.get_or_insert_with(|| load_documents(&info));
        let mut open = self.open;
        egui::Window::new("About CardioPPG Review").open(&mut open).default_size([760.0, 560.0]).max_width(ctx.content_rect().width() - 40.0).resizable(true).show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.tab, Tab::About, "Versions");
                ui.selectable_value(&mut self.tab, Tab::ModelCard, "Model card");
                ui.selectable_value(&mut self.tab, Tab::Licences, "Licences");
            });
            ui.separator();
            egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| match self.tab {
                Tab::About => versions(ui, &info),
                Tab::ModelCard => match &documents.model_card {
                    Ok(text) => markdown::show(ui, text),
                    Err(e) => {
                        ui.colored_label(egui::Color32::from_rgb(190, 30, 30), format!("The model card could not be read: {e}"));
                    }
                },
                Tab::Licences => licences(ui, documents, &mut self.filter),
            });
        });
        self.open = open;
    }
}

fn load_documents(info: &Context<'_>) -> Documents {
    let model_card = match info.model {
        Some(Ok(m)) => read(&m.manifest_path.parent().unwrap_or(Path::new(".")).join("README.md")),
        Some(Err(e)) => Err(format!("no model is loaded ({e})")),
        None => Err("the model is still loading; open About again in a moment".into()),
    };
    let mut data_notices = Vec::new();
    if let Some(dir) = info.sample_dir {
        data_notices.push(("sample-data/README.md".to_string(), read(&dir.join("README.md"))));
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("LICENSES")).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        for f in files {
            let name = f.file_name().map_or(String::new(), |n| format!("sample-data/LICENSES/{}", n.to_string_lossy()));
            data_notices.push((name, read(&f)));
        }
    }
    Documents { model_card, data_notices }
}

fn versions(ui: &mut Ui, info: &Context<'_>) {
    ui.heading(format!("CardioPPG Review {}", env!("CARGO_PKG_VERSION")));
    ui.label(env!("CARGO_PKG_DESCRIPTION"));
    ui.label(RichText::new("A review aid for clinicians and researchers, not a diagnostic device. The generated ECG is a model output, not a recording.").italics());
    ui.add_space(8.0);
    egui::Grid::new("about-grid").num_columns(2).striped(true).show(ui, |ui| {
        ui.label("Network runs on");
        ui.label(info.device.unwrap_or("starting…"));
        ui.end_row();
        match info.model {
            Some(Ok(m)) => {
                ui.label("Model");
                ui.label(format!("{} {} ({})", m.name, m.version, m.variant));
                ui.end_row();
                ui.label("Trained on");
                ui.label(&m.trained_on);
                ui.end_row();
                ui.label("Weights SHA-256");
                ui.monospace(&m.sha256);
                ui.end_row();
                ui.label("Rhythm extension");
                ui.label(m.rhythm.as_deref().unwrap_or("none beside this model"));
                ui.end_row();
                ui.label("Model folder");
                ui.label(m.manifest_path.parent().map_or(String::new(), |p| p.display().to_string()));
                ui.end_row();
            }
            Some(Err(e)) => {
                ui.label("Model");
                ui.label(format!("not loaded: {e}"));
                ui.end_row();
            }
            None => {
                ui.label("Model");
                ui.label("loading…");
                ui.end_row();
            }
        }
        ui.label("Sample recordings");
        ui.label(info.sample_dir.map_or("not found".into(), |p| p.display().to_string()));
        ui.end_row();
        ui.label("Settings and reviews of read-only folders");
        ui.label(info.data_dir.display().to_string());
        ui.end_row();
    });
    ui.add_space(8.0);
    ui.strong("Main components");
    egui::Grid::new("components-grid").num_columns(3).striped(true).show(ui, |ui| {
        for (name, what) in COMPONENTS {
            ui.label(name);
            ui.label(component_version(name).unwrap_or("?"));
            ui.label(what);
            ui.end_row();
        }
    });
    ui.add_space(8.0);
    ui.label("The app works offline: it never connects to a network.");
}

fn licences(ui: &mut Ui, documents: &Documents, filter: &mut String) {
    ui.strong("CardioPPG Review");
    ui.label("MIT OR Apache-2.0, at your option.");
    collapsing_text(ui, "LICENSE-MIT", LICENSE_MIT);
    collapsing_text(ui, "LICENSE-APACHE", LICENSE_APACHE);
    ui.add_space(6.0);
    ui.strong("Bundled data and the model's training data");
    ui.label("Sample excerpts and the data the bundled weights were trained on: MIMIC PERform AF (ODbL 1.0: attribution, share-alike), BIDMC (ODC-By 1.0: attribution), NeuroKit2 example data (MIT).");
    if documents.data_notices.is_empty() {
        ui.label("The sample-data folder was not found, so its notices cannot be shown.");
    }
    for (name, text) in &documents.data_notices {
        match text {
            Ok(text) => collapsing_text(ui, name, text),
            Err(e) => {
                ui.label(format!("{name}: {e}"));
            }
        }
    }
    ui.add_space(6.0);
    ui.strong("Fonts");
    ui.label("DejaVu Sans, embedded in PDF reports: Bitstream Vera licence, DejaVu changes in the public domain.");
    collapsing_text(ui, "LICENSE-DejaVu.txt", LICENSE_DEJAVU);
    ui.add_space(6.0);
    let rows = third_party();
    ui.strong(format!("Rust crates compiled in or locked for other platforms ({})", rows.len()));
    ui.horizontal(|ui| {
        ui.label("Find:");
        ui.add(egui::TextEdit::singleline(filter).hint_text("crate or licence").desired_width(200.0));
    });
    match crate::resources::licence_texts() {
        Some(path) => ui.label(format!("The licence and notice texts these crates ship: {}", path.display())),
        None => ui.label("The full licence texts are installed with the packages (third-party-licenses.txt); in a source checkout, python3 packaging/third-party.py --texts target/third-party-licenses.txt writes them."),
    };
    let needle = filter.to_lowercase();
    egui::Grid::new("third-party-grid").num_columns(3).striped(true).show(ui, |ui| {
        for [name, version, licence, _] in rows.iter().filter(|r| needle.is_empty() || r[0].contains(&needle) || r[2].to_lowercase().contains(&needle)) {
            ui.label(*name);
            ui.label(*version);
            ui.label(*licence);
            ui.end_row();
        }
    });
}

fn collapsing_text(ui: &mut Ui, title: &str, text: &str) {
    egui::CollapsingHeader::new(title).id_salt(title).show(ui, |ui| {
        if title.ends_with(".md") {
            markdown::show(ui, text);
        } else {
            ui.label(RichText::new(text).monospace().size(11.0));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_components_shown_are_in_the_third_party_list() {
        for (name, _) in COMPONENTS {
            assert!(component_version(name).is_some(), "{name} not in packaging/third-party.tsv");
        }
        assert_eq!(component_version("egui").map(|v| v.split('.').take(2).collect::<Vec<_>>().join(".")), Some("0.37".into()));
    }
}
