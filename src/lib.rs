//! CardioPPG Review: the library behind the `cardioppg` desktop app and CLI.
//!
//! Data flows one way: [`io`] (files → [`io::Recording`]) → [`dsp`] (beats, cycles, display
//! decimation) → [`model`] → [`explain`] → [`analysis`] → [`ui`] / report. [`resources`] finds
//! the shipped model and samples in a source tree or an installed package. `io` and `dsp` never see
//! egui or burn types, so they can be tested, fuzzed and reused headless.

pub mod analysis;
pub mod batch;
pub mod dsp;
pub mod explain;
pub mod export;
pub mod headless;
pub mod io;
pub mod model;
pub mod report;
pub mod resources;
pub mod review;
#[cfg(feature = "gui")]
pub mod ui;
