//! Signal processing. No UI or model types here: everything is plain slices and numbers.

pub mod minmax;
pub mod filter;
pub mod ppg_beats;
pub mod ecg_peaks;
pub mod beats;
pub mod eval;
pub mod cycles;
pub mod quality;
pub mod bench;
