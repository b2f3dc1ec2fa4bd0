//! What the views and the report read off an attribution map: the top-20 % points of a class
//! map (paper Fig. 5), rows normalised to [0, 1] for the heatmap (paper Fig. 4), and the
//! attribution per pulse phase, the phases cut at the PPG fiducials of the beat step.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::dsp::cycles::CYCLE_LEN;
use crate::dsp::ppg_beats::PulseFiducials;

/// The paper highlights the 20 % most important points.
pub const TOP_FRACTION: f64 = 0.2;

/// The `fraction` of points with the largest |attribution| (ties broken by position, so the
/// count is exact): importance is magnitude, whichever way a point pushes the output.
pub fn top_fraction_mask(attributions: &[f32], fraction: f64) -> Vec<bool> {
    let keep = ((attributions.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    let mut order: Vec<usize> = (0..attributions.len()).collect();
    order.sort_by(|&a, &b| attributions[b].abs().total_cmp(&attributions[a].abs()).then(a.cmp(&b)));
    let mut mask = vec![false; attributions.len()];
    for &i in &order[..keep] {
        mask[i] = true;
    }
    mask
}

/// ColorBrewer RdBu stops: blue negative, white zero, red positive.
const RDBU: [[f32; 3]; 5] = [[5.0, 48.0, 97.0], [67.0, 147.0, 195.0], [247.0, 247.0, 247.0], [214.0, 96.0, 77.0], [103.0, 0.0, 31.0]];

/// `value` in [-1, 1] (clamped) to RdBu as RGB; `None` for NaN. One map for the screen and the
/// report, so a colour means the same on both.
pub fn diverging_rgb(value: f32) -> Option<[u8; 3]> {
    if !value.is_finite() {
        return None;
    }
    let x = (value.clamp(-1.0, 1.0) + 1.0) * 2.0; // 0..4 across the 5 stops
    let i = (x.floor() as usize).min(3);
    let t = x - i as f32;
    let mix = |k: usize| (RDBU[i][k] + (RDBU[i + 1][k] - RDBU[i][k]) * t).round() as u8;
    Some([mix(0), mix(1), mix(2)])
}

/// Each `width`-long row min–max scaled to [0, 1], as the paper draws Fig. 4 (a constant row
/// becomes zeros).
pub fn normalise_rows(map: &[f32], width: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(map.len());
    for row in map.chunks(width.max(1)) {
        let (lo, hi) = row.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let span = hi - lo;
        out.extend(row.iter().map(|&v| if span > 0.0 { (v - lo) / span } else { 0.0 }));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PulsePhase {
    Upstroke,
    SystolicPeak,
    DicroticNotch,
    Diastole,
}

impl PulsePhase {
    pub const ALL: [PulsePhase; 4] = [PulsePhase::Upstroke, PulsePhase::SystolicPeak, PulsePhase::DicroticNotch, PulsePhase::Diastole];

    pub fn label(self) -> &'static str {
        match self {
            PulsePhase::Upstroke => "upstroke",
            PulsePhase::SystolicPeak => "systolic peak",
            PulsePhase::DicroticNotch => "dicrotic notch",
            PulsePhase::Diastole => "diastole",
        }
    }
}

/// The phases of a beat on its 300-sample cycle, contiguous and covering it:
/// upstroke from the onset to halfway between the steepest upslope and the systolic peak; the
/// systolic peak from there to halfway between peak and notch; the dicrotic notch from there
/// as far past the notch as it began before it; diastole to the next onset. Without a notch the
/// peak's window is as wide after the peak as before it (at least the peak sample), and the
/// notch phase is absent; a notch at or before the peak counts as no notch.
pub fn phase_spans(f: &PulseFiducials) -> Vec<(PulsePhase, Range<usize>)> {
    let beat_len = f.next_onset.saturating_sub(f.onset).max(1) as f64;
    // Fiducial sample → position on the 300-sample cycle.
    let at = |sample: usize| ((sample.saturating_sub(f.onset) as f64 / beat_len) * CYCLE_LEN as f64).round().clamp(0.0, CYCLE_LEN as f64) as usize;
    let (upslope, peak) = (at(f.max_upslope), at(f.systolic_peak));
    let b1 = (upslope + peak).div_ceil(2).clamp(1, CYCLE_LEN - 1);
    let mut spans = vec![(PulsePhase::Upstroke, 0..b1)];
    let end_of = |b: usize| b.clamp(b1, CYCLE_LEN);
    match f.dicrotic_notch.map(at).filter(|&n| n > peak) {
        Some(notch) => {
            let b2 = end_of((peak + notch).div_ceil(2).min(notch));
            let b3 = end_of((2 * notch).saturating_sub(b2).max(notch + 1)).max(b2);
            spans.push((PulsePhase::SystolicPeak, b1..b2));
            spans.push((PulsePhase::DicroticNotch, b2..b3));
            spans.push((PulsePhase::Diastole, b3..CYCLE_LEN));
        }
        None => {
            let b2 = end_of((2 * peak).saturating_sub(b1).max(peak + 1));
            spans.push((PulsePhase::SystolicPeak, b1..b2));
            spans.push((PulsePhase::Diastole, b2..CYCLE_LEN));
        }
    }
    spans.retain(|(_, r)| !r.is_empty());
    spans
}

/// A phase's part of one attribution vector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhaseAttribution {
    pub phase: PulsePhase,
    /// Cycle samples [start, end).
    pub start: usize,
    pub end: usize,
    /// Signed sum: which way the phase pushes the output.
    pub sum: f64,
    /// Σ|attribution| in the phase over Σ|attribution| on the cycle: how much of the
    /// explanation lies there (0 for a zero map).
    pub share_of_magnitude: f64,
}

pub fn phase_attribution(attributions: &[f32], spans: &[(PulsePhase, Range<usize>)]) -> Vec<PhaseAttribution> {
    let total: f64 = attributions.iter().map(|&v| f64::from(v).abs()).sum();
    spans
        .iter()
        .map(|(phase, r)| {
            let part = &attributions[r.start.min(attributions.len())..r.end.min(attributions.len())];
            let magnitude: f64 = part.iter().map(|&v| f64::from(v).abs()).sum();
            PhaseAttribution {
                phase: *phase,
                start: r.start,
                end: r.end,
                sum: part.iter().map(|&v| f64::from(v)).sum(),
                share_of_magnitude: if total > 0.0 { magnitude / total } else { 0.0 },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_fraction_keeps_the_largest_magnitudes_exactly() {
        let a: Vec<f32> = (0..300).map(|i| if i % 2 == 0 { i as f32 } else { -(i as f32) }).collect();
        let mask = top_fraction_mask(&a, TOP_FRACTION);
        assert_eq!(mask.iter().filter(|&&m| m).count(), 60);
        assert!(mask[299] && mask[240] && !mask[239]);
        // Ties: an all-zero map still marks exactly 20 %, the first points.
        let zeros = top_fraction_mask(&[0.0; 10], 0.2);
        assert_eq!(zeros, [true, true, false, false, false, false, false, false, false, false]);
    }

    #[test]
    fn rows_are_scaled_to_unit_range() {
        let out = normalise_rows(&[-2.0, 0.0, 2.0, 5.0, 5.0, 5.0], 3);
        assert_eq!(out, [0.0, 0.5, 1.0, 0.0, 0.0, 0.0]);
    }

    fn fiducials(notch: Option<usize>) -> PulseFiducials {
        // A 1-s beat at 125 Hz: upslope at 0.1 s, peak 0.2 s, notch 0.4 s.
        PulseFiducials { onset: 1000, max_upslope: 1012, systolic_peak: 1025, dicrotic_notch: notch, next_onset: 1125, mid_amplitude: 1012 }
    }

    #[test]
    fn phases_tile_the_cycle_in_order() {
        for f in [fiducials(Some(1050)), fiducials(None)] {
            let spans = phase_spans(&f);
            assert_eq!(spans.first().unwrap().1.start, 0);
            assert_eq!(spans.last().unwrap().1.end, CYCLE_LEN);
            for w in spans.windows(2) {
                assert_eq!(w[0].1.end, w[1].1.start);
            }
            let peak = 60; // 0.2 s of a 1-s beat on 300 samples
            assert!(spans.iter().any(|(p, r)| *p == PulsePhase::SystolicPeak && r.contains(&peak)));
        }
        let with_notch = phase_spans(&fiducials(Some(1050)));
        assert!(with_notch.iter().any(|(p, r)| *p == PulsePhase::DicroticNotch && r.contains(&120)));
        assert!(!phase_spans(&fiducials(None)).iter().any(|(p, _)| *p == PulsePhase::DicroticNotch));
    }

    #[test]
    fn phases_survive_fiducials_that_touch() {
        // Steepest upslope on the peak, no notch: the peak still has its phase.
        let f = PulseFiducials { max_upslope: 1025, ..fiducials(None) };
        assert!(phase_spans(&f).iter().any(|(p, r)| *p == PulsePhase::SystolicPeak && r.contains(&60)));
        // A notch one cycle sample after the peak (125 Hz → 300 samples: 1 sample ≈ 2.4).
        let f = fiducials(Some(1026));
        let spans = phase_spans(&f);
        assert!(spans.iter().any(|(p, _)| *p == PulsePhase::DicroticNotch), "{spans:?}");
        assert!(spans.iter().any(|(p, _)| *p == PulsePhase::SystolicPeak), "{spans:?}");
    }

    #[test]
    fn phase_sums_add_up() {
        let spans = phase_spans(&fiducials(Some(1050)));
        let a: Vec<f32> = (0..CYCLE_LEN).map(|i| (i as f32 / 30.0).sin()).collect();
        let phases = phase_attribution(&a, &spans);
        let total: f64 = a.iter().map(|&v| f64::from(v)).sum();
        assert!((phases.iter().map(|p| p.sum).sum::<f64>() - total).abs() < 1e-4);
        assert!((phases.iter().map(|p| p.share_of_magnitude).sum::<f64>() - 1.0).abs() < 1e-9);
    }
}
