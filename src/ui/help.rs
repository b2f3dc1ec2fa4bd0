//! Keyboard shortcuts: one table drives both the handling and the help overlay, so the overlay
//! cannot drift from what the keys do.

use egui::{Key, KeyboardShortcut, Modifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    NextBeat,
    PreviousBeat,
    PageForward,
    PageBack,
    ZoomIn,
    ZoomOut,
    FirstBeat,
    LastBeat,
    MarkBeat,
    StripTab,
    BeatTab,
    Undo,
    Redo,
    RedoAlt,
    Open,
    Help,
}

pub const SHORTCUTS: [(Shortcut, Modifiers, Key, &str); 16] = [
    (Shortcut::NextBeat, Modifiers::NONE, Key::ArrowRight, "next beat"),
    (Shortcut::PreviousBeat, Modifiers::NONE, Key::ArrowLeft, "previous beat"),
    (Shortcut::PageForward, Modifiers::NONE, Key::PageDown, "page the strip forward"),
    (Shortcut::PageBack, Modifiers::NONE, Key::PageUp, "page the strip back"),
    (Shortcut::ZoomIn, Modifiers::NONE, Key::Plus, "zoom in (faster paper speed)"),
    (Shortcut::ZoomOut, Modifiers::NONE, Key::Minus, "zoom out (slower paper speed)"),
    (Shortcut::FirstBeat, Modifiers::NONE, Key::Home, "first beat"),
    (Shortcut::LastBeat, Modifiers::NONE, Key::End, "last beat"),
    (Shortcut::MarkBeat, Modifiers::NONE, Key::M, "mark / unmark the current beat"),
    (Shortcut::StripTab, Modifiers::NONE, Key::S, "Strip view"),
    (Shortcut::BeatTab, Modifiers::NONE, Key::B, "Beat view"),
    (Shortcut::Undo, Modifiers::COMMAND, Key::Z, "undo a review edit"),
    (Shortcut::Redo, Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z, "redo"),
    (Shortcut::RedoAlt, Modifiers::COMMAND, Key::Y, "redo"),
    (Shortcut::Open, Modifiers::COMMAND, Key::O, "open a recording"),
    (Shortcut::Help, Modifiers::NONE, Key::F1, "this help (also ?)"),
];

/// The shortcuts pressed this frame. Plain keys are ignored while a text field has the focus,
/// so typing a note never pages beats; Ctrl shortcuts that a text field handles itself (undo)
/// are left to it too.
pub fn pressed(ctx: &egui::Context) -> Vec<Shortcut> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut out = Vec::new();
    ctx.input_mut(|i| {
        // Most specific first: Ctrl+Shift+Z must not also read as Ctrl+Z.
        let mut ordered = SHORTCUTS;
        ordered.sort_by_key(|(_, m, _, _)| std::cmp::Reverse(m.shift as u8 + m.command as u8 + m.ctrl as u8 + m.alt as u8));
        for (what, modifiers, key, _) in ordered {
            if typing && (modifiers.is_none() || matches!(what, Shortcut::Undo | Shortcut::Redo | Shortcut::RedoAlt)) {
                continue;
            }
            if i.consume_shortcut(&KeyboardShortcut::new(modifiers, key)) {
                out.push(what);
            }
        }
        // '?' is Shift+/ on most layouts: read it as text.
        if !typing && i.events.iter().any(|e| matches!(e, egui::Event::Text(t) if t == "?")) {
            out.push(Shortcut::Help);
        }
        // Many keyboards send '=' for the unshifted '+' key.
        if !typing && i.consume_key(Modifiers::NONE, Key::Equals) {
            out.push(Shortcut::ZoomIn);
        }
    });
    out
}

pub fn overlay(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts").open(open).collapsible(false).resizable(false).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(ctx, |ui| {
        egui::Grid::new("shortcut-grid").striped(true).num_columns(2).show(ui, |ui| {
            for (_, modifiers, key, what) in SHORTCUTS {
                ui.monospace(ctx.format_shortcut(&KeyboardShortcut::new(modifiers, key)));
                ui.label(what);
                ui.end_row();
            }
        });
        ui.label("Mouse: click a beat in the strip to select it; drag or click the overview to move; click a heatmap cell for linked cursors.");
    });
}
