//! `cardioppg bench ui`: frame time of the review workspace while panning a 24-hour recording,
//! measured headless (egui layout and tessellation, what the CPU does per frame; the GPU's
//! share, uploading and drawing the triangles, is not in it).

use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use super::app::{AppConfig, ReviewApp};
use super::view::Tab;
use crate::analysis::{Analysis, results_from_outputs};
use crate::io::{self, OpenOptions};
use crate::model::bundle;
use crate::model::device::DevicePreference;
use crate::model::infer::{BeatOutput, run_usable_beats};

const HOURS: usize = 24;
/// The network runs on this many beats; their outputs are reused for the rest, since what a
/// frame costs does not depend on the values drawn (running 100 000 beats would take minutes).
const MODEL_BEATS: usize = 600;

pub fn bench_ui(frames: usize, device: &burn::tensor::Device) -> Result<String, String> {
    let mut out = String::new();
    let dir = io::samples::sample_data_dir().ok_or("no sample data folder")?;
    let path = dir.join("mimic_perform_non_af_002_nonAF_60s.hea");
    let mut recording = io::open(&path).map_err(|e| e.to_string())?;
    let repeats = HOURS * 60;
    for channel in &mut recording.channels {
        channel.samples = channel.samples.repeat(repeats);
    }
    let t = Instant::now();
    let analysis = Analysis::new(recording);
    let beats = analysis.beats.clone().ok_or("the sample has no PPG")?;
    let _ = writeln!(out, "recording: {} repeated {repeats} times ({HOURS} h, {} beats); signals and beats analysed in {:.1} s", path.display(), beats.beats.len(), t.elapsed().as_secs_f64());

    let model = bundle::load_default(device).map_err(|e| e.to_string())?;
    let mut head = (*beats).clone();
    head.beats.truncate(MODEL_BEATS);
    let computed = run_usable_beats(&model.network, &head, device, 256);
    if computed.is_empty() {
        return Err("the network ran on no beat".into());
    }
    let mut outputs: Vec<Option<BeatOutput>> = vec![None; beats.beats.len()];
    let usable = crate::model::infer::usable_beats(&beats);
    for (k, &beat) in usable.iter().enumerate() {
        let source = &computed[k % computed.len()];
        outputs[beat] = Some(BeatOutput { beat, ..source.clone() });
    }
    let analysis = Arc::new(analysis.with_model(results_from_outputs(&model.manifest, &beats, outputs)));

    let data_dir = tempfile_dir()?;
    let ctx = egui::Context::default();
    let config = AppConfig { device: DevicePreference::Cpu, data_dir: data_dir.clone(), ..AppConfig::for_user(OpenOptions::default()) };
    let mut app = ReviewApp::new(&ctx, None, config);
    app.show_analysis(analysis.clone());
    let input = || egui::RawInput { screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0))), ..Default::default() };
    let duration = analysis.recording.duration_secs();
    for (tab, name) in [(Tab::Strip, "strip"), (Tab::Channels, "channels")] {
        app.view_mut().tab = tab;
        let mut times_ms = Vec::with_capacity(frames);
        for f in 0..frames + 5 {
            // A pan across the whole day, as dragging the overview window does.
            app.view_mut().strip_start_secs = duration * f as f64 / frames as f64;
            let t = Instant::now();
            let mut output = ctx.run_ui(input(), |ui| app.show(ui));
            let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
            // Font atlas uploads would go to the GPU; there is none here.
            output.textures_delta.clear();
            if f >= 5 {
                times_ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        times_ms.sort_by(f64::total_cmp);
        let mean = times_ms.iter().sum::<f64>() / times_ms.len() as f64;
        let p95 = times_ms[(times_ms.len() * 95 / 100).min(times_ms.len() - 1)];
        let _ = writeln!(out, "{name:>8} tab, panning 24 h, {frames} frames at 1600×1000: mean {mean:.2} ms, p95 {p95:.2} ms, max {:.2} ms per frame (goal < 16 ms)", times_ms.last().unwrap_or(&0.0));
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(out)
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("cardioppg-bench-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
