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

/// Smallest and largest finite value; `None` when there is none (empty, all NaN or infinite).
pub fn finite_range(x: &[f32]) -> Option<(f32, f32)> {
    let (lo, hi) = x.iter().filter(|v| v.is_finite()).fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    (lo <= hi).then_some((lo, hi))
}
