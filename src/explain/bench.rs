//! Figures for `cardioppg bench explain`: the 300×300 map of one beat, and the per-class maps of
//! every usable beat of a 20-minute recording, on the chosen device.

use std::io::Write;
use std::time::Instant;

use burn::prelude::*;

use super::ig::{Explainer, IgSettings};
use super::quadrature::Partition;
use crate::dsp::beats::BeatAnalysis;
use crate::dsp::cycles::CYCLE_LEN;
use crate::model::Network;
use crate::model::infer::usable_beats;

/// What to time besides the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct BenchOptions {
    /// Time the class maps of the first N usable beats only (a limited run says so and how long
    /// all beats would take at the measured rate).
    pub max_beats: Option<usize>,
    /// Also time the 300×300 map with adaptive refinement to 1 % (up to 4 m steps; slow on a CPU).
    pub adaptive: bool,
    pub baseline: super::Baseline,
}

/// Lines are written as they are measured (a CPU run takes many minutes).
pub fn bench_explain(net: &Network, device: &Device, device_name: &str, analysis: &BeatAnalysis, recording_name: &str, options: BenchOptions, out: &mut dyn Write) -> Result<(), super::ExplainError> {
    let settings = IgSettings { baseline: options.baseline, ..IgSettings::default() };
    let explainer = Explainer::new(net, device, settings)?;
    let usable = usable_beats(analysis);
    let _ = writeln!(out, "device: {device_name}");
    let _ = writeln!(out, "recording: {recording_name}, {:.1} min, {} usable beats of {}", analysis.duration_secs / 60.0, usable.len(), analysis.beats.len());
    let _ = writeln!(out, "IG: {}, {} network evaluations per pass", settings.describe(), settings.chunk_samples);
    let Some(&first) = usable.first() else {
        let _ = writeln!(out, "no usable beat: nothing to time");
        return Ok(());
    };
    let cycle = analysis.ppg_cycle(first).expect("usable beats have cycles");
    // Warm-up: one class map (allocations, kernel compilation on a GPU).
    explainer.class_maps(cycle)?;

    let t = Instant::now();
    let map = explainer.ecg_map(cycle)?;
    let secs = t.elapsed().as_secs_f64();
    let evaluations = CYCLE_LEN * settings.steps;
    let _ = writeln!(
        out,
        "300x300 ECG map, one beat:        {secs:>8.2} s  ({evaluations} evaluations, {:.0}/s; completeness error {:.2e} abs, {:.3} % rel)",
        evaluations as f64 / secs,
        map.completeness.max_abs_error,
        100.0 * map.completeness.relative_error
    );

    // The paper's zero baseline with adaptive refinement to 1 % completeness.
    if options.adaptive {
        let adaptive = IgSettings { partition: Partition::Adaptive { tolerance: 0.01, max_steps: 4 * settings.steps }, ..settings };
        let t = Instant::now();
        let refined = Explainer::new(net, device, adaptive)?.ecg_map(cycle)?;
        let secs = t.elapsed().as_secs_f64();
        let _ = writeln!(
            out,
            "  same, adaptive to 1 % (≤ {} steps): {secs:>8.2} s  ({} steps in the sum; completeness error {:.2e} abs, {:.3} % rel)",
            4 * settings.steps,
            refined.steps_used,
            refined.completeness.max_abs_error,
            100.0 * refined.completeness.relative_error
        );
    }

    let timed: Vec<usize> = usable.iter().copied().take(options.max_beats.unwrap_or(usize::MAX)).collect();
    let cycles: Vec<f32> = timed.iter().flat_map(|&b| analysis.ppg_cycle(b).expect("usable").iter().copied()).collect();
    let t = Instant::now();
    let maps = explainer.class_maps(&cycles)?;
    let secs = t.elapsed().as_secs_f64();
    let worst = maps.iter().flat_map(|m| m.completeness.iter()).map(|c| c.max_abs_error).fold(0.0, f64::max);
    let mut relative: Vec<f64> = maps.iter().map(|m| m.completeness[0].relative_error).collect();
    relative.sort_by(f64::total_cmp);
    let within_1_percent = relative.iter().filter(|&&r| r <= 0.01).count();
    let evaluations = timed.len() * settings.steps * explainer.classes().saturating_sub(1).max(1);
    let _ = writeln!(
        out,
        "per-class maps, {:>5} beats:      {secs:>8.2} s  ({evaluations} evaluations, {:.0}/s; worst completeness error {worst:.2e})",
        timed.len(),
        evaluations as f64 / secs
    );
    let _ = writeln!(
        out,
        "  completeness of the first class: median {:.2} % rel, {within_1_percent} of {} beats within 1 %",
        100.0 * relative.get(relative.len() / 2).copied().unwrap_or(0.0),
        relative.len()
    );
    if timed.len() < usable.len() {
        let _ = writeln!(out, "  (a subset: all {} usable beats would take about {:.1} s at this rate)", usable.len(), secs * usable.len() as f64 / timed.len() as f64);
    }
    Ok(())
}
