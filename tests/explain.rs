//! Integrated Gradients on the shipped model and real beats: completeness, gradients against
//! finite differences, determinism, batching, the wgpu path, the summaries and the cache.

mod common;
use common::{max_abs, max_abs_diff, sample_beats, usable_cycles};

use std::sync::Arc;

use burn::prelude::*;
use cardioppg::dsp::cycles::CYCLE_LEN;
use cardioppg::explain::summary::{TOP_FRACTION, phase_attribution, phase_spans, top_fraction_mask};
use cardioppg::explain::{AttributionCache, Baseline, Explainer, IgSettings, Partition};
use cardioppg::model::infer::predict_cycles;
use cardioppg::model::{Network, Variant, bundle};

fn shipped(device: &Device) -> Network {
    bundle::load_default(device).unwrap_or_else(|e| panic!("{e}")).network
}

/// A small randomly initialised network (seeded): fast enough to differentiate one output at a time.
fn small_network(device: &Device) -> Network {
    device.seed(7);
    Network::new(Variant::Lightweight, 3, device)
}

fn settings(baseline: Baseline, steps: usize, chunk_samples: usize) -> IgSettings {
    IgSettings { baseline, steps, partition: Partition::Uniform, chunk_samples }
}

/// Completeness on real beats through the shipped network. Its class outputs have narrow steep
/// stretches along the path (layer norm, the channel gate's max/min), which equal steps hit or
/// miss — with the shipped weights, 64, 256 and 1,024 uniform steps from the low-pass baseline
/// leave 6–16 %, 1–9 % and 2–14 % on the first four beats — so the class maps are checked with
/// adaptive refinement, which must reach 1 %. The 300×300 map is held to the error measured at
/// the app's 64 uniform steps (4.2 %, printed beside every map in the app): refining it costs 300
/// gradients per step, more than a test should spend.
#[test]
fn completeness_holds_on_real_beats() {
    let cpu = Device::flex();
    let a = sample_beats();
    let adaptive = IgSettings { partition: Partition::Adaptive { tolerance: 0.01, max_steps: 1024 }, ..settings(Baseline::DEFAULT_LOW_PASS, 64, 512) };
    let ex = Explainer::new(&shipped(&cpu), &cpu, adaptive).unwrap();
    for (b, maps) in ex.class_maps(&usable_cycles(&a, 4)).unwrap().iter().enumerate() {
        for (c, done) in maps.completeness.iter().enumerate() {
            eprintln!("beat {b} class {c} from the low-pass baseline, {} steps: {done:?}", maps.steps_used);
            assert!(done.relative_error < 0.01, "beat {b} class {c}: {done:?} after {} steps", maps.steps_used);
        }
        assert!((64..1024).contains(&maps.steps_used), "{}", maps.steps_used);
    }
    let ex = Explainer::new(&shipped(&cpu), &cpu, settings(Baseline::DEFAULT_LOW_PASS, 64, 512)).unwrap();
    let cycle = usable_cycles(&a, 1);
    let map = ex.ecg_map(&cycle).unwrap();
    eprintln!("ECG map from the low-pass baseline: {:?}", map.completeness);
    assert!(map.completeness.relative_error < 0.05, "{:?}", map.completeness);
    assert_eq!(map.attributions.len(), CYCLE_LEN * CYCLE_LEN);
    // The map explains the generated ECG the model gives for this cycle.
    let direct = predict_cycles(&shipped(&cpu), &cycle, &cpu).ecg;
    assert!(direct.iter().zip(&map.generated_ecg).all(|(p, q)| (p - q).abs() < 1e-5));
}

/// The paper's zero baseline is where this network is steep (layer norm near α = 0): adaptive
/// refinement must meet its tolerance whenever it stops short of its budget, and never do
/// worse than the uniform rule it starts from.
#[test]
fn adaptive_refinement_meets_its_tolerance_from_the_zero_baseline() {
    let cpu = Device::flex();
    let net = shipped(&cpu);
    let cycles = usable_cycles(&sample_beats(), 3);
    let uniform = Explainer::new(&net, &cpu, settings(Baseline::Zero, 64, 512)).unwrap().class_maps(&cycles).unwrap();
    let adaptive_settings = IgSettings { partition: Partition::Adaptive { tolerance: 0.01, max_steps: 512 }, ..settings(Baseline::Zero, 64, 512) };
    let adaptive = Explainer::new(&net, &cpu, adaptive_settings).unwrap().class_maps(&cycles).unwrap();
    for (u, a) in uniform.iter().zip(&adaptive) {
        let (eu, ea) = (u.completeness[0].max_abs_error, a.completeness[0].max_abs_error);
        assert!(ea <= eu, "adaptive {ea} worse than uniform {eu}");
        if a.steps_used < 512 {
            assert!(a.completeness[0].relative_error <= 0.01 || ea <= 1e-6, "{:?} with {} steps", a.completeness[0], a.steps_used);
        }
    }
    assert!(adaptive.iter().any(|a| a.steps_used > 64), "the zero baseline needed no refinement?");
}

/// IG with one step is `x ⊙ ∇f(x/2)` from a zero baseline: its rows must match central
/// differences of the network along random directions. The network is piecewise smooth (ReLU
/// kinks), so single differences can straddle a kink: the check is on all 300 rows and the
/// class outputs together (relative l2 error and correlation), which a wrong gradient fails.
#[test]
fn gradients_match_finite_differences_on_a_small_network() {
    let cpu = Device::flex();
    let net = small_network(&cpu);
    let x = usable_cycles(&sample_beats(), 1);
    let ex = Explainer::new(&net, &cpu, settings(Baseline::Zero, 1, 512)).unwrap();
    let ecg_map = ex.ecg_map(&x).unwrap();
    let class_maps = &ex.class_maps(&x).unwrap()[0];
    let mid: Vec<f32> = x.iter().map(|v| 0.5 * v).collect();
    // Measured: relative error 0.13 at h = 1e-2, 0.05 at 1e-3, 0.02 at 3e-4 (kinks straddled
    // less often); far from f32's noise floor at this h.
    let h = 3e-4f32;
    let (mut autodiff, mut finite) = (Vec::new(), Vec::new());
    for seed in 0..3u32 {
        // Direction v = x ⊙ u, so that ∇f·v = Σ IG ⊙ u.
        let u: Vec<f32> = (0..CYCLE_LEN).map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) % 1000) as f32 / 500.0 - 1.0).collect();
        let shifted = |sign: f32| -> Vec<f32> { mid.iter().zip(&x).zip(&u).map(|((m, xi), ui)| m + sign * h * xi * ui).collect() };
        let (plus, minus) = (predict_cycles(&net, &shifted(1.0), &cpu), predict_cycles(&net, &shifted(-1.0), &cpu));
        let along = |row: &[f32]| -> f64 { row.iter().zip(&u).map(|(&g, &ui)| f64::from(g) * f64::from(ui)).sum() };
        for j in 0..CYCLE_LEN {
            autodiff.push(along(ecg_map.row(j)));
            finite.push(f64::from(plus.ecg[j] - minus.ecg[j]) / (2.0 * f64::from(h)));
        }
        for c in 0..ex.classes() {
            autodiff.push(along(class_maps.class(c)));
            finite.push(f64::from(plus.probs[c] - minus.probs[c]) / (2.0 * f64::from(h)));
        }
    }
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let diff: Vec<f64> = autodiff.iter().zip(&finite).map(|(a, f)| a - f).collect();
    let relative = norm(&diff) / norm(&finite);
    let r = cardioppg::model::evaluate::pearson(&autodiff.iter().map(|&v| v as f32).collect::<Vec<_>>(), &finite.iter().map(|&v| v as f32).collect::<Vec<_>>());
    eprintln!("autodiff vs finite differences: relative l2 {relative:.4}, r {r:.5}");
    assert!(relative < 0.05 && r > 0.999, "autodiff vs finite differences: relative l2 {relative}, r {r}");
}

#[test]
fn one_row_at_a_time_gives_the_same_map_as_all_rows_at_once() {
    let cpu = Device::flex();
    let net = small_network(&cpu);
    let x = usable_cycles(&sample_beats(), 2);
    // 300 rows × 8 steps in one pass, against one network evaluation per pass, and against
    // chunks of 7 that cut rows apart.
    let batched = Explainer::new(&net, &cpu, settings(Baseline::Zero, 8, 2400)).unwrap();
    let single = Explainer::new(&net, &cpu, settings(Baseline::Zero, 8, 1)).unwrap();
    let odd = Explainer::new(&net, &cpu, settings(Baseline::Zero, 8, 7)).unwrap();
    let c = odd.ecg_map(&x[..CYCLE_LEN]).unwrap();
    let (a, b) = (batched.ecg_map(&x[..CYCLE_LEN]).unwrap(), single.ecg_map(&x[..CYCLE_LEN]).unwrap());
    let worst = max_abs_diff(&a.attributions, &b.attributions);
    let scale = max_abs(&a.attributions);
    assert!(worst <= 1e-5 * scale, "batched and one-at-a-time differ by {worst} (map scale {scale})");
    let worst = max_abs_diff(&a.attributions, &c.attributions);
    assert!(worst <= 1e-5 * scale, "batched and chunks of 7 differ by {worst} (map scale {scale})");
    // Beats batched together, against each beat alone.
    let together = batched.class_maps(&x).unwrap();
    for (k, cycle) in x.chunks(CYCLE_LEN).enumerate() {
        let alone = &single.class_maps(cycle).unwrap()[0];
        let worst = max_abs_diff(&together[k].attributions, &alone.attributions);
        assert!(worst <= 1e-6, "beat {k}: {worst}");
    }
}

#[test]
fn results_are_deterministic() {
    let cpu = Device::flex();
    let net = shipped(&cpu);
    let x = usable_cycles(&sample_beats(), 2);
    let ex = Explainer::new(&net, &cpu, settings(Baseline::Mean, 16, 512)).unwrap();
    let (a, b) = (ex.class_maps(&x).unwrap(), ex.class_maps(&x).unwrap());
    for (p, q) in a.iter().zip(&b) {
        assert_eq!(p.attributions, q.attributions);
        assert_eq!(p.completeness, q.completeness);
    }
}

/// The wgpu path (Mesa lavapipe in CI) gives the CPU's attributions.
#[test]
fn wgpu_and_cpu_attributions_agree() {
    let Some(gpu) = common::wgpu_device() else { return };
    let cpu = Device::flex();
    let x = usable_cycles(&sample_beats(), 1);
    let s = settings(Baseline::Zero, 4, 64);
    let on_cpu = &Explainer::new(&shipped(&cpu), &cpu, s).unwrap().class_maps(&x).unwrap()[0];
    let on_gpu = &Explainer::new(&shipped(&gpu.device), &gpu.device, s).unwrap().class_maps(&x).unwrap()[0];
    let scale = max_abs(&on_cpu.attributions);
    let worst = max_abs_diff(&on_cpu.attributions, &on_gpu.attributions);
    assert!(worst <= 1e-3 * scale + 1e-6, "{}: differs from the CPU by {worst} (scale {scale})", gpu.description);
}

#[test]
fn summaries_of_a_real_class_map() {
    let cpu = Device::flex();
    let a = sample_beats();
    let beat = (0..a.beats.len()).find(|&i| a.beats[i].usable()).unwrap();
    let ex = Explainer::new(&shipped(&cpu), &cpu, settings(Baseline::Zero, 16, 512)).unwrap();
    let maps = &ex.class_maps(a.ppg_cycle(beat).unwrap()).unwrap()[0];
    let mask = top_fraction_mask(maps.class(0), TOP_FRACTION);
    assert_eq!(mask.iter().filter(|&&m| m).count(), 60);
    let smallest_kept = (0..CYCLE_LEN).filter(|&i| mask[i]).map(|i| maps.class(0)[i].abs()).fold(f32::INFINITY, f32::min);
    assert!((0..CYCLE_LEN).filter(|&i| !mask[i]).all(|i| maps.class(0)[i].abs() <= smallest_kept));
    let spans = phase_spans(&a.beats[beat].fiducials);
    let phases = phase_attribution(maps.class(0), &spans);
    let total: f64 = maps.class(0).iter().map(|&v| f64::from(v)).sum();
    assert!((phases.iter().map(|p| p.sum).sum::<f64>() - total).abs() < 1e-5);
}

#[test]
fn the_cache_computes_every_usable_beat_and_keeps_the_beat_map() {
    let cpu = Device::flex();
    let a = sample_beats();
    let ex = Explainer::new(&small_network(&cpu), &cpu, settings(Baseline::Zero, 4, 512)).unwrap();
    let mut cache = AttributionCache::start(ex, &a);
    cache.focus(a.beats.len() / 2);
    let beat = cache.usable_beats()[0];
    let first = cache.ecg_map(beat).unwrap();
    assert!(Arc::ptr_eq(&first, &cache.ecg_map(beat).unwrap()), "the beat's map was computed twice");
    cache.wait().unwrap();
    let progress = cache.progress();
    assert!(progress.finished && progress.done_beats == progress.total_beats && progress.total_beats > 40, "{progress:?}");
    for &b in cache.usable_beats() {
        assert_eq!(cache.class_maps(b).unwrap().attributions.len(), 3 * CYCLE_LEN);
    }
    let unusable = (0..a.beats.len()).find(|i| !cache.usable_beats().contains(i));
    assert!(unusable.is_none_or(|b| cache.class_maps(b).is_none()));
}

#[test]
fn cancelling_the_cache_stops_the_background_work() {
    let cpu = Device::flex();
    let a = sample_beats();
    let ex = Explainer::new(&small_network(&cpu), &cpu, settings(Baseline::Zero, 4, 512)).unwrap();
    let mut cache = AttributionCache::start(ex, &a);
    cache.cancel();
    cache.wait().unwrap();
    let progress = cache.progress();
    // At most the step under way when cancelled completes.
    assert!(progress.finished && progress.done_beats <= cardioppg::explain::cache::BEATS_PER_STEP, "{progress:?}");
}
