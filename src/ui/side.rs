//! The side panel: findings with the reviewer's verdicts, the review (name, notes, beat marks),
//! and the lists to jump from (worst beats, flagged beats, marked beats). Returns what the
//! reviewer did; the app applies it (so every edit goes through undo and the atomic save).

use egui::{Color32, RichText, Ui};

use super::colors;
use super::worker::ModelInfo;
use crate::analysis::Analysis;
use crate::review::{Edit, Review, Verdict};

#[derive(Debug, Clone, PartialEq)]
pub enum SideAction {
    Edit(Edit),
    JumpToBeat(usize),
    Undo,
    Redo,
    /// A text field lost the focus: the next typing there is a new undo step.
    EndUndoGroup,
}

const NOT_A_DIAGNOSIS: &str = "Model output for review, not a diagnosis.";

pub fn findings(ui: &mut Ui, analysis: &Analysis, model: Option<&ModelInfo>, review: Option<&Review>, actions: &mut Vec<SideAction>) {
    ui.heading("Findings");
    let Some(results) = &analysis.model else {
        ui.label(if analysis.beats.is_none() { "No PPG channel: the network has nothing to run on." } else { "The network is running…" });
        return;
    };
    for (k, finding) in results.findings.iter().enumerate() {
        let s = &finding.stats;
        ui.group(|ui| {
            ui.horizontal(|ui| {
                ui.colored_label(colors::class_color(k), RichText::new(format!("P({})", s.class)).strong());
                if finding.readable {
                    ui.label(format!("{:.2} ± {:.2}", s.mean_probability, s.sd_probability));
                } else {
                    ui.colored_label(colors::FLAGGED_BEAT, "unreadable");
                }
            });
            if finding.readable {
                ui.add(egui::ProgressBar::new(s.mean_probability as f32).desired_height(6.0));
                ui.small(format!("mean ± sd over the {} beats with a usable PPG", s.usable_beats));
            } else {
                ui.small(format!("only {} beats with a usable PPG; at least {} are needed", s.usable_beats, crate::analysis::MIN_USABLE_BEATS));
            }
            let current = review.and_then(|r| r.verdicts.get(&s.class).copied());
            ui.horizontal(|ui| {
                for (verdict, label) in [(Verdict::Agree, "Agree"), (Verdict::Disagree, "Disagree")] {
                    let selected = current == Some(verdict);
                    let response = ui.selectable_label(selected, label).on_hover_text(format!("{label} with the finding P({})", s.class));
                    if response.clicked() {
                        let verdict = if selected { None } else { Some(verdict) };
                        actions.push(SideAction::Edit(Edit::SetVerdict { class: s.class.clone(), verdict }));
                    }
                }
            });
        });
    }
    ui.label(RichText::new(NOT_A_DIAGNOSIS).italics());
    if let Some(m) = model {
        ui.small(format!("{} {} ({}), trained on {}", m.name, m.version, m.variant, m.trained_on));
    }
    if let Some(r) = &results.rhythm {
        rhythm_extension(ui, r);
    }
}

/// The rhythm extension, apart from the network's findings and without a verdict of its own: it
/// reads the pulse intervals, which the single-cycle network cannot see.
fn rhythm_extension(ui: &mut Ui, r: &crate::analysis::RhythmFinding) {
    ui.add_space(4.0);
    ui.group(|ui| {
        ui.label(RichText::new("Rhythm extension (not the network)").strong());
        match &r.assessment {
            Some(a) => {
                ui.horizontal(|ui| {
                    ui.label("P(AF) from pulse-interval irregularity");
                    ui.label(RichText::new(format!("{:.2}", a.af_probability)).strong());
                });
                ui.add(egui::ProgressBar::new(a.af_probability as f32).desired_height(6.0));
                ui.small(format!("{} windows of {} usable pulses; median nRMSSD {:.3}, Shannon entropy {:.2}", a.windows, r.window_beats, a.median_nrmssd, a.median_shannon_entropy));
            }
            None => {
                ui.colored_label(colors::FLAGGED_BEAT, "unreadable");
                ui.small(format!("needs {} usable pulses within {} consecutive beats", r.window_beats, r.window_beats + crate::model::rhythm::MAX_FLAGGED_IN_WINDOW));
            }
        }
        ui.small(format!("{}, fitted on {}", r.model, r.trained_on));
    });
}

pub fn review_panel(ui: &mut Ui, review: Option<&Review>, current_beat: usize, can_undo: bool, can_redo: bool, actions: &mut Vec<SideAction>) {
    ui.heading("Review");
    let Some(review) = review else {
        ui.label("Open a recording to review it.");
        return;
    };
    ui.horizontal(|ui| {
        ui.label("Reviewer:");
        let mut name = review.reviewer.clone();
        let response = ui.add(egui::TextEdit::singleline(&mut name).hint_text("your name").desired_width(150.0));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Reviewer"));
        if response.changed() {
            actions.push(SideAction::Edit(Edit::SetReviewer(name)));
        }
        if response.lost_focus() {
            actions.push(SideAction::EndUndoGroup);
        }
    });
    ui.label("Notes:");
    let mut notes = review.notes.clone();
    let response = ui.add(egui::TextEdit::multiline(&mut notes).hint_text("your interpretation").desired_rows(4).desired_width(f32::INFINITY));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::MultilineTextInput, true, "Notes"));
    if response.changed() {
        actions.push(SideAction::Edit(Edit::SetNotes(notes)));
    }
    if response.lost_focus() {
        actions.push(SideAction::EndUndoGroup);
    }
    ui.horizontal(|ui| {
        ui.label(format!("Mark beat {}:", current_beat + 1));
        let mut mark = review.beat_marks.get(&current_beat).cloned().unwrap_or_default();
        let response = ui.add(egui::TextEdit::singleline(&mut mark).hint_text("label (M marks)").desired_width(120.0));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Beat mark"));
        if response.changed() {
            let mark = (!mark.is_empty()).then_some(mark);
            actions.push(SideAction::Edit(Edit::SetBeatMark { beat: current_beat, mark }));
        }
        if response.lost_focus() {
            actions.push(SideAction::EndUndoGroup);
        }
    });
    sign_off_row(ui, review, actions);
    ui.horizontal(|ui| {
        if ui.add_enabled(can_undo, egui::Button::new("Undo")).on_hover_text("Ctrl+Z").clicked() {
            actions.push(SideAction::Undo);
        }
        if ui.add_enabled(can_redo, egui::Button::new("Redo")).on_hover_text("Ctrl+Shift+Z or Ctrl+Y").clicked() {
            actions.push(SideAction::Redo);
        }
    });
    if !review.beat_marks.is_empty() {
        egui::CollapsingHeader::new(format!("Marked beats ({})", review.beat_marks.len())).default_open(true).show(ui, |ui| {
            for (&beat, mark) in &review.beat_marks {
                if ui.link(format!("beat {}: {mark}", beat + 1)).clicked() {
                    actions.push(SideAction::JumpToBeat(beat));
                }
            }
        });
    }
}

/// Beats worth a second look: the worst generated-vs-real fits and the flagged beats.
pub fn beat_lists(ui: &mut Ui, analysis: &Analysis, actions: &mut Vec<SideAction>) {
    let Some(beats) = &analysis.beats else { return };
    if let Some(model) = &analysis.model {
        let worst = &model.worst_fits;
        egui::CollapsingHeader::new("Worst beats (lowest r)").default_open(true).show(ui, |ui| {
            if worst.is_empty() {
                ui.label("No real ECG to compare with.");
            }
            for &(beat, fit) in worst {
                if ui.link(format!("beat {} at {:.1} s: r = {:.2}, rRMSE = {:.2}", beat + 1, beats.beats[beat].onset_secs, fit.pearson_r, fit.rrmse)).clicked() {
                    actions.push(SideAction::JumpToBeat(beat));
                }
            }
        });
    }
    let flagged = &analysis.flagged_beats;
    egui::CollapsingHeader::new(format!("Flagged beats ({})", flagged.len())).default_open(false).show(ui, |ui| {
        egui::ScrollArea::vertical().max_height(160.0).show(ui, |ui| {
            for &beat in flagged.iter().take(500) {
                let reasons: Vec<&str> = beats.beats[beat].issues.iter().map(|r| r.describe()).collect();
                if ui.link(RichText::new(format!("beat {} at {:.1} s: {}", beat + 1, beats.beats[beat].onset_secs, reasons.join("; "))).color(Color32::from_rgb(170, 90, 0))).clicked() {
                    actions.push(SideAction::JumpToBeat(beat));
                }
            }
        });
    });
}

/// Sign-off: needs a reviewer name; an edit after it is shown, and signing again covers it.
fn sign_off_row(ui: &mut Ui, review: &Review, actions: &mut Vec<SideAction>) {
    ui.horizontal(|ui| {
        let named = !review.reviewer.trim().is_empty();
        let label = if review.signed_off_unix_secs.is_some() { "Sign off again" } else { "Sign off" };
        let hint = if named { "Sign the review with your name and the current time" } else { "Enter your name first" };
        if ui.add_enabled(named, egui::Button::new(label)).on_hover_text(hint).on_disabled_hover_text(hint).clicked() {
            actions.push(SideAction::Edit(Edit::SignOff { at: Some(crate::review::now_unix_secs()), edited_after: false }));
        }
        match review.signed_off_unix_secs {
            Some(t) if review.changed_after_sign_off() => ui.colored_label(egui::Color32::from_rgb(200, 100, 0), format!("signed off {} — changed since", crate::report::utc_time(t))),
            Some(t) => ui.label(format!("signed off {}", crate::report::utc_time(t))),
            None => ui.label("not signed off"),
        };
    });
}
