//! The Settings window. Everything set here is kept in `settings.json` (see `prefs`); the app
//! saves when this returns that something changed.

use egui::Color32;

use super::paper::{GAINS_MM_PER_MV, SPEEDS_MM_PER_S, points_per_mm};
use super::prefs::{HEATMAP_STEPS, Prefs, SCREEN_DPI_RANGE};
use super::view::ViewState;
use crate::explain::{Baseline, IgSettings};

#[derive(Default)]
pub struct Changed {
    pub prefs: bool,
    /// The beat heatmap's settings changed: maps computed with the old ones are dropped.
    pub heatmap: bool,
    pub show_cpu_notice: bool,
}

pub fn window(ctx: &egui::Context, open: &mut bool, prefs: &mut Prefs, view: &mut ViewState, class_maps: &IgSettings, beat_map: &mut IgSettings) -> Changed {
    let mut changed = Changed::default();
    egui::Window::new("Settings").open(open).resizable(false).show(ctx, |ui| {
        ui.strong("Reviewer");
        ui.horizontal(|ui| {
            ui.label("Name:");
            let response = ui.add(egui::TextEdit::singleline(&mut prefs.reviewer_name).hint_text("filled into new reviews").desired_width(200.0));
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Reviewer name"));
            // Saved as typed (a small atomic write), so quitting mid-word keeps it.
            changed.prefs |= response.changed();
        });
        changed.prefs |= ui.checkbox(&mut prefs.anonymise_exports, "Anonymise exported reports (leave out patient and recording identification)").changed();

        ui.separator();
        ui.strong("ECG paper");
        ui.label("Screen calibration: measure the bar below with a ruler and adjust until it is 50 mm.");
        let mut dpi = view.screen_dpi;
        ui.add(egui::Slider::new(&mut dpi, SCREEN_DPI_RANGE).text("screen DPI"));
        let mm = points_per_mm(dpi, ctx.pixels_per_point());
        let (rect, _) = ui.allocate_exact_size(egui::vec2(50.0 * mm, 12.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 0.0, Color32::BLACK);
        ui.label("50 mm");
        view.screen_dpi = dpi;
        egui::ComboBox::from_label("paper speed").selected_text(format!("{} mm/s", view.speed_mm_per_s)).show_ui(ui, |ui| {
            for s in SPEEDS_MM_PER_S {
                ui.selectable_value(&mut view.speed_mm_per_s, s, format!("{s} mm/s"));
            }
        });
        egui::ComboBox::from_label("gain").selected_text(format!("{} mm/mV", view.gain_mm_per_mv)).show_ui(ui, |ui| {
            for g in GAINS_MM_PER_MV {
                ui.selectable_value(&mut view.gain_mm_per_mv, g, format!("{g} mm/mV"));
            }
        });

        ui.separator();
        ui.strong("Attributions");
        ui.label(format!("Per-class maps: {}", class_maps.describe()));
        ui.label(format!("Beat heatmap: {}", beat_map.describe()));
        let mut steps = beat_map.steps;
        egui::ComboBox::from_label("heatmap steps").selected_text(steps.to_string()).show_ui(ui, |ui| {
            for s in HEATMAP_STEPS {
                ui.selectable_value(&mut steps, s, s.to_string());
            }
        });
        let mut baseline = beat_map.baseline;
        egui::ComboBox::from_label("heatmap baseline").selected_text(baseline.describe()).show_ui(ui, |ui| {
            for b in [Baseline::Zero, Baseline::Mean, Baseline::DEFAULT_LOW_PASS] {
                ui.selectable_value(&mut baseline, b, b.describe());
            }
        });
        if steps != beat_map.steps || baseline != beat_map.baseline {
            *beat_map = IgSettings { steps, baseline, ..*beat_map };
            prefs.heatmap_steps = Some(steps);
            prefs.heatmap_baseline = Some(baseline);
            changed.heatmap = true;
            changed.prefs = true;
        }
        if prefs.cpu_notice_dismissed && ui.button("Show the CPU notice again").clicked() {
            prefs.cpu_notice_dismissed = false;
            changed.prefs = true;
            changed.show_cpu_notice = true;
        }
    });
    changed
}
