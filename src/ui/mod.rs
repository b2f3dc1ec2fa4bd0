//! The desktop UI (egui/eframe). Views read one immutable [`crate::analysis::Analysis`] per
//! frame and send [`worker::Command`]s; they never read files or compute signals themselves.

mod app;
pub mod worker;

pub use app::ReviewApp;
