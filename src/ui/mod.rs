//! The desktop UI (egui/eframe). Views read one immutable [`crate::analysis::Analysis`] per
//! frame and send [`worker::Command`]s; they never read files or compute signals themselves.

mod about;
mod app;
mod beat_view;
pub mod bench;
mod channels;
mod colors;
pub mod help;
mod markdown;
mod overview;
pub mod paper;
mod prefs;
mod settings;
mod side;
mod strip;
pub mod view;
mod welcome;
pub mod worker;

pub use app::{AppConfig, ExportKind, ReviewApp};
