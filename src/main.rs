//! `cardioppg`: the desktop app and its command line. A thin layer over the library; errors
//! reach the user through anyhow with the reader's own message (file and field).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use cardioppg::io::{self, NpyLayout, OpenOptions, Recording};

#[derive(Parser)]
#[command(name = "cardioppg", version, about = "CardioPPG Review: review PPG recordings with a PPG-to-ECG network")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    /// Recording to open in the window (without one, the welcome screen lists the bundled samples).
    file: Option<PathBuf>,
    #[command(flatten)]
    open: OpenArgs,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print what a recording holds: format, header fields, channels, annotations.
    Info {
        file: PathBuf,
        #[command(flatten)]
        open: OpenArgs,
        /// Where the network runs.
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
    },
    /// Benchmarks that print figures (run on a release build).
    Bench {
        #[arg(value_enum)]
        what: BenchWhat,
        /// Where the network runs (model and explain benchmarks).
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
        /// The recording the explain benchmark uses (default: the 20-minute MIMIC PERform AF
        /// record 001 of the shared data, else the bundled 60-s excerpt repeated 20 times).
        #[arg(long)]
        recording: Option<PathBuf>,
        /// Time the per-class maps of only the first N usable beats (and extrapolate).
        #[arg(long)]
        max_beats: Option<usize>,
        /// Also time the 300x300 map with adaptive refinement (slow on a CPU).
        #[arg(long)]
        adaptive: bool,
        /// The IG baseline of the explain benchmark.
        #[arg(long, value_enum, default_value_t = BaselineArg::Zero)]
        baseline: BaselineArg,
    },
    /// Train the full network and the pruned lightweight one on the train patients of
    /// splits.csv; writes both model bundles (weights + manifest with SHA-256).
    Train {
        /// The shared data folder (default: ../shared/data).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Where the bundles are written.
        #[arg(long, default_value = "models")]
        out: PathBuf,
        /// Epochs of the full network (the paper: 40; the learning rate drops after half).
        #[arg(long, default_value_t = 40)]
        epochs: usize,
        /// Fine-tuning epochs of the lightweight network (the paper: 20).
        #[arg(long, default_value_t = 20)]
        light_epochs: usize,
        /// Cycles per batch (the paper: 10).
        #[arg(long, default_value_t = 10)]
        batch_size: usize,
        /// Initial learning rate of Adam (the paper: 5e-4); it drops to a fifth after half the epochs.
        #[arg(long, default_value_t = 5e-4)]
        lr: f64,
        /// At most this many usable cycles per record (default: all).
        #[arg(long)]
        max_cycles_per_record: Option<usize>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
        /// Instead of training the bundles: patient-level cross-validation of the full network's
        /// recipe inside the train patients, with this many folds; prints a table, writes nothing.
        #[arg(long)]
        cv_folds: Option<usize>,
    },
    /// Fit the rhythm extension (P(AF) from pulse-interval irregularity; not the network) on the
    /// labelled train patients of splits.csv; writes cardioppg-rhythm-extension.json.
    TrainRhythm {
        /// The shared data folder (default: ../shared/data).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Where the extension file is written.
        #[arg(long, default_value = "models")]
        out: PathBuf,
    },
    /// Print the evaluation table of the shipped models: held-out test patients and the paper's
    /// protocol (random split of the train patients' cycles).
    Evaluate {
        #[arg(long)]
        data: Option<PathBuf>,
        /// Folder with the model bundles (default: the bundled models).
        #[arg(long)]
        models: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
    },
    /// Write the annotated PDF report of a recording (with the review saved beside it, if any).
    Report {
        file: PathBuf,
        /// The PDF to write.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        open: OpenArgs,
        #[command(flatten)]
        report: ReportArgs,
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
    },
    /// Every readable recording of a folder: one PDF each and a summary.csv, all cores in use;
    /// a rerun skips recordings already done with the same file and model.
    Batch {
        dir: PathBuf,
        /// Output folder for the PDFs and summary.csv.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        open: OpenArgs,
        #[command(flatten)]
        report: ReportArgs,
        /// Recordings processed at once (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
    },
    /// Write the recording as EDF+ with the GENERATED ECG as an extra channel and the beats,
    /// quality flags, findings and review marks as annotations.
    ExportEdf {
        file: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        open: OpenArgs,
        #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
        device: DeviceArg,
    },
    /// Score PPG beat detection against ECG-derived reference beats on every MIMIC PERform AF
    /// record (Charlton et al. 2022's method); prints F1, sensitivity and PPV by rhythm and split.
    EvalBeats {
        /// The `mimic-perform-af` folder (default: ../shared/data/mimic-perform-af).
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

#[derive(clap::Args, Clone, Default)]
struct OpenArgs {
    /// Sample rate in Hz for files that do not store one (NumPy, CSV without a time column).
    #[arg(long)]
    rate: Option<f64>,
    /// Layout of a 2-D NumPy array.
    #[arg(long, value_enum, default_value_t = LayoutArg::Auto)]
    npy_layout: LayoutArg,
    /// CSV columns to load, by header name (comma-separated; default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
}

#[derive(clap::Args, Clone)]
struct ReportArgs {
    /// Leave the patient and recording identification of the file out of the report.
    #[arg(long)]
    anonymise: bool,
    /// At most this many beat pages (the reviewer's marked beats, else the most and least typical).
    #[arg(long, default_value_t = 6)]
    max_beats: usize,
    /// 300x300 IG heatmaps for the first N beat pages (each takes minutes on a CPU at 64 steps).
    #[arg(long, default_value_t = 3)]
    heatmaps: usize,
    /// Riemann steps of the attributions the report computes (the paper: 64).
    #[arg(long, default_value_t = cardioppg::explain::ig::DEFAULT_STEPS)]
    ig_steps: usize,
    /// The IG baseline of the 300x300 heatmaps (the paper's: zero).
    #[arg(long, value_enum, default_value_t = BaselineArg::Zero)]
    baseline: BaselineArg,
    /// The IG baseline of the per-class maps (the PPG highlight and the phase table).
    #[arg(long, value_enum, default_value_t = BaselineArg::LowPass)]
    class_baseline: BaselineArg,
}

impl ReportArgs {
    fn options(&self) -> cardioppg::report::ReportOptions {
        let mut options = cardioppg::report::ReportOptions { anonymise: self.anonymise, max_beats: self.max_beats, max_heatmaps: self.heatmaps, ..Default::default() };
        options.ig.steps = self.ig_steps.max(1);
        options.ig.baseline = self.baseline.into();
        options.class_ig.steps = self.ig_steps.max(1);
        options.class_ig.baseline = self.class_baseline.into();
        options
    }
}

#[derive(ValueEnum, Clone, Copy)]
enum BenchWhat {
    /// 24 h of 125-Hz PPG through filter, beats, cycles and quality, on one core.
    Beats,
    /// What one frame of panning costs on a 24-h channel (min/max decimation query).
    Display,
    /// Batched inference and training throughput of both network variants (cycles/s).
    Model,
    /// Integrated Gradients: one beat's 300x300 map, a 20-minute recording's per-class maps.
    Explain,
    /// Frame time of the review workspace while panning a 24-hour recording.
    Ui,
}

#[derive(ValueEnum, Clone, Copy, Default)]
enum DeviceArg {
    /// A hardware GPU when one is found, else the CPU.
    #[default]
    Auto,
    /// wgpu, even on a software adapter such as Mesa lavapipe.
    Gpu,
    Cpu,
}

impl DeviceArg {
    fn select(self) -> cardioppg::model::device::ComputeDevice {
        use cardioppg::model::device::{DevicePreference, select};
        select(match self {
            DeviceArg::Auto => DevicePreference::Auto,
            DeviceArg::Gpu => DevicePreference::Gpu,
            DeviceArg::Cpu => DevicePreference::Cpu,
        })
    }
}

#[derive(ValueEnum, Clone, Copy)]
enum BaselineArg {
    /// All-zero cycle (the paper's).
    Zero,
    /// A flat line at the cycle's mean.
    Mean,
    /// The cycle low-passed at 2 cycles per beat.
    LowPass,
}

impl From<BaselineArg> for cardioppg::explain::Baseline {
    fn from(b: BaselineArg) -> Self {
        use cardioppg::explain::Baseline;
        match b {
            BaselineArg::Zero => Baseline::Zero,
            BaselineArg::Mean => Baseline::Mean,
            BaselineArg::LowPass => Baseline::DEFAULT_LOW_PASS,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Default)]
enum LayoutArg {
    #[default]
    Auto,
    Channels,
    Segments,
}

impl OpenArgs {
    fn options(&self) -> OpenOptions {
        OpenOptions {
            sample_rate_hz: self.rate,
            npy_layout: match self.npy_layout {
                LayoutArg::Auto => NpyLayout::Auto,
                LayoutArg::Channels => NpyLayout::Channels,
                LayoutArg::Segments => NpyLayout::Segments,
            },
            csv_columns: self.columns.clone(),
        }
    }
}

/// `print!` that returns the write error instead of panicking on it (`println!` panics when the
/// reader of a pipe has gone, as in `cardioppg eval-beats | head`).
macro_rules! out {
    ($($arg:tt)*) => { write_stdout(&format!($($arg)*))? };
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// A reader that closed the pipe early has what it wanted: end quietly, as ripgrep does.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

fn main() -> Result<()> {
    match run() {
        Err(error) if is_broken_pipe(&error) => Ok(()),
        result => result,
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Cmd::Info { file, open, device }) => {
            let recording = io::open_with(&file, &open.options())?;
            out!("{}", describe(&recording));
            let beats = cardioppg::analysis::detect_beats(&recording);
            out!("{}", describe_beats(beats.as_ref()));
            if let Some(beats) = &beats {
                out!("{}", describe_model(beats, device)?);
            }
            Ok(())
        }
        Some(Cmd::Bench { what, device, recording, max_beats, adaptive, baseline }) => {
            match what {
                BenchWhat::Beats => out!("{}", cardioppg::dsp::bench::bench_24h()),
                BenchWhat::Display => out!("{}", cardioppg::dsp::minmax::bench_24h_display()),
                BenchWhat::Model => {
                    let compute = device.select();
                    out!("{}", cardioppg::model::bench::bench_model(&compute.device, &compute.description));
                }
                BenchWhat::Ui => {
                    let compute = device.select();
                    out!("{}", cardioppg::ui::bench::bench_ui(200, &compute.device).map_err(anyhow::Error::msg)?);
                }
                BenchWhat::Explain => {
                    let compute = device.select();
                    let model = cardioppg::model::bundle::load_default(&compute.device)?;
                    let (name, beats) = bench_recording(recording)?;
                    out!("model: {}\n", model.manifest.label());
                    cardioppg::explain::bench::bench_explain(&model.network, &compute.device, &compute.description, &beats, &name, cardioppg::explain::bench::BenchOptions { max_beats, adaptive, baseline: baseline.into() }, &mut std::io::stdout())?;
                }
            }
            Ok(())
        }
        Some(Cmd::EvalBeats { data }) => {
            let dir = data
                .or_else(|| io::samples::shared_data_dir().map(|d| d.join("mimic-perform-af")))
                .context("no data folder: pass --data PATH/mimic-perform-af")?;
            let report = cardioppg::dsp::eval::evaluate_mimic_perform(&dir)?;
            out!("{report}");
            Ok(())
        }
        Some(Cmd::Train { data, out, epochs, light_epochs, batch_size, lr, max_cycles_per_record, seed, device, cv_folds }) => {
            use cardioppg::model::pipeline::{DataConfig, TrainPlan, train_models};
            use cardioppg::model::train::TrainConfig;
            use cardioppg::model::Variant;
            let data = data.or_else(io::samples::shared_data_dir).context("no data folder: pass --data PATH (the folder with splits.csv)")?;
            let schedule = |variant, epochs: usize, lr_initial| TrainConfig {
                epochs,
                lr_switch_epoch: epochs / 2,
                lr_initial,
                lr_final: lr_initial / 5.0,
                batch_size,
                seed,
                ..TrainConfig::paper(variant)
            };
            let plan = TrainPlan {
                data: DataConfig { max_cycles_per_record, holdout_fraction: 0.2, seed },
                full: schedule(Variant::Full, epochs, lr),
                lightweight: schedule(Variant::Lightweight, light_epochs, lr),
            };
            let compute = device.select();
            eprintln!("training on {}", compute.description);
            if let Some(folds) = cv_folds {
                out!("{}", cardioppg::model::crossval::cross_validate(&data, &plan, folds, &compute.device, |line| eprintln!("{line}"))?);
                return Ok(());
            }
            let command = invocation();
            train_models(&data, &out, &plan, &compute.device, &command, |line| eprintln!("{line}"))?;
            eprintln!("wrote the bundles to {}", out.display());
            Ok(())
        }
        Some(Cmd::TrainRhythm { data, out }) => {
            let data = data.or_else(io::samples::shared_data_dir).context("no data folder: pass --data PATH (the folder with splits.csv)")?;
            let command = invocation();
            let fit = cardioppg::model::pipeline::train_rhythm(&data, &out, &command)?;
            let m = &fit.model;
            out!("leave-one-patient-out inside the train patients (the test patients are not read):\n");
            for (record, is_af, p) in &fit.cv_recordings {
                out!("  {record:<26} {:<6} mean P(AF) {p:.3}\n", if *is_af { "AF" } else { "non-AF" });
            }
            out!("  AUC over windows {:.3}, over recordings {:.3}\n", fit.cv_window_auc, fit.cv_recording_auc);
            eprintln!(
                "fitted on {} windows: coefficients {:?} (standardised {:?}), intercept {:.3}; wrote {}",
                m.fitted_windows,
                m.coefficients,
                m.features,
                m.intercept,
                out.join(cardioppg::model::rhythm::RHYTHM_FILE).display()
            );
            Ok(())
        }
        Some(Cmd::Evaluate { data, models, device }) => {
            let data = data.or_else(io::samples::shared_data_dir).context("no data folder: pass --data PATH (the folder with splits.csv)")?;
            let models = models.or_else(cardioppg::model::bundle::models_dir).context("no model bundles found: pass --models DIR")?;
            let compute = device.select();
            out!("device: {}\n\n", compute.description);
            out!("{}", cardioppg::model::pipeline::evaluate_models(&data, &models, &compute.device)?);
            Ok(())
        }
        Some(Cmd::Report { file, output, open, report, device }) => {
            let headless = cardioppg::headless::Headless::load(device.select())?;
            eprintln!("model {} on {}", headless.model.manifest.label(), headless.compute.description);
            let analysed = headless.analyse(&file, &open.options())?;
            let input = headless.report(&analysed, report.options(), &cardioppg::report::NoneKnown, &mut |step| eprintln!("computing: {step}"))?;
            cardioppg::report::write_pdf(&output, &input).with_context(|| format!("report of {}", file.display()))?;
            eprintln!("wrote {}", output.display());
            Ok(())
        }
        Some(Cmd::Batch { dir, output, open, report, jobs, device }) => run_batch(&dir, &output, open, report, jobs, device),
        Some(Cmd::ExportEdf { file, output, open, device }) => {
            let headless = cardioppg::headless::Headless::load(device.select())?;
            let analysed = headless.analyse(&file, &open.options())?;
            cardioppg::export::export_edf(&output, &analysed.analysis, &analysed.review)?;
            eprintln!("wrote {}", output.display());
            Ok(())
        }
        None => run_app(cli.file, cli.open.options()),
    }
}

fn run_app(initial: Option<PathBuf>, options: OpenOptions) -> Result<()> {
    let mut viewport = egui::ViewportBuilder::default().with_title("CardioPPG Review").with_app_id("cardioppg").with_inner_size([1400.0, 900.0]);
    // The icon is compiled in; a broken PNG would be a build defect, so it only costs the icon.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(include_bytes!("../assets/icon-256.png")) {
        viewport = viewport.with_icon(icon);
    }
    let native_options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "CardioPPG Review",
        native_options,
        Box::new(move |cc| Ok(Box::new(cardioppg::ui::ReviewApp::new(&cc.egui_ctx, initial, cardioppg::ui::AppConfig::for_user(options))))),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("starting the window")
}

fn run_batch(dir: &std::path::Path, output: &std::path::Path, open: OpenArgs, report: ReportArgs, jobs: Option<usize>, device: DeviceArg) -> Result<()> {
    use cardioppg::batch::{BatchOptions, recordings_in, run_batch};
    let headless = cardioppg::headless::Headless::load(device.select())?;
    let threads = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = recordings_in(dir)?.len();
    eprintln!("{total} recordings in {}, {threads} at a time, model {} on {}", dir.display(), headless.model.manifest.label(), headless.compute.description);
    let bar = ProgressBar::new(total);
    let options = BatchOptions { report: report.options(), open: open.options(), threads };
    let rows = run_batch(dir, output, &headless, &options, &|row| {
        let status = if row.skipped { "skipped (done before)" } else if row.error.is_empty() { "ok" } else { "FAILED" };
        bar.step(&format!("{}: {status}", row.file));
    })?;
    eprintln!();
    let failed: Vec<_> = rows.iter().filter(|r| !r.error.is_empty()).collect();
    eprintln!("{} done, {} skipped, {} failed; summary in {}", rows.len() - failed.len(), rows.iter().filter(|r| r.skipped).count(), failed.len(), output.join(cardioppg::batch::SUMMARY_FILE).display());
    for row in failed {
        eprintln!("  {}: {}", row.file, row.error);
    }
    Ok(())
}

/// A one-line terminal progress bar on stderr. (indicatif would switch on a feature of
/// portable-atomic that the whole burn stack depends on, rebuilding it: 30 minutes of CI.)
struct ProgressBar {
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    started: std::time::Instant,
}

impl ProgressBar {
    fn new(total: usize) -> Self {
        Self { total, done: 0.into(), started: std::time::Instant::now() }
    }

    fn step(&self, message: &str) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        // Files added to the folder while the batch runs can make `done` pass `total`.
        let filled = (30 * done / self.total.max(1)).min(30);
        let elapsed = self.started.elapsed().as_secs();
        let left = if done > 0 { elapsed * (self.total.saturating_sub(done)) as u64 / done as u64 } else { 0 };
        eprint!("\r[{}{}] {done}/{} recordings, {elapsed} s elapsed, ~{left} s left  {message}\x1b[K", "#".repeat(filled), ".".repeat(30 - filled), self.total);
    }
}

/// Beat count, mean heart rate and the share of usable beats, as the app's side panel shows them.
fn describe_beats(beats: Option<&cardioppg::dsp::beats::BeatAnalysis>) -> String {
    let Some(beats) = beats else {
        return "Beats:       no channel has the PPG role\n".to_string();
    };
    let s = &beats.summary;
    let hr = s.mean_heart_rate_bpm.map_or("no usable beats".to_string(), |hr| format!("{hr:.1} bpm"));
    let mut out = format!(
        "Beats:       {} detected, {} usable ({:.1} %), mean heart rate {hr}, {} R-peaks in the reference ECG\n",
        s.count,
        s.usable_count,
        100.0 * s.usable_share,
        beats.r_peaks.len()
    );
    if s.no_ecg_match_count > 0 {
        out.push_str(&format!("             {} more have a usable PPG but no matching R-peak\n", s.no_ecg_match_count));
    }
    for note in &beats.notes {
        out.push_str(&format!("Beat note:   {note}\n"));
    }
    out
}

/// The command line as typed ("cardioppg train …"), recorded beside what it trained.
fn invocation() -> String {
    std::env::args().skip(1).fold("cardioppg".to_string(), |a, b| a + " " + &b)
}

/// The bundled model on the usable beats: which model, on which device, and the recording-level
/// probability of each class with its spread.
fn describe_model(beats: &cardioppg::dsp::beats::BeatAnalysis, device: DeviceArg) -> Result<String> {
    use cardioppg::model::{bundle, infer};
    let compute = device.select();
    let model = bundle::load_default(&compute.device)?;
    let outputs = infer::run_usable_beats(&model.network, beats, &compute.device, 256);
    let mut out = format!("Model:       {} on {}\n", model.manifest.label(), compute.description);
    for f in infer::summarise(&outputs, &model.manifest.classes) {
        if f.usable_beats == 0 {
            out.push_str(&format!("P({}):{:>w$}unreadable: no usable beats\n", f.class, "", w = 8usize.saturating_sub(f.class.len())));
        } else {
            out.push_str(&format!(
                "P({}):{:>w$}{:.3} ± {:.3} (mean ± sd over the {} beats with a usable PPG; model output, not a diagnosis)\n",
                f.class,
                "",
                f.mean_probability,
                f.sd_probability,
                f.usable_beats,
                w = 8usize.saturating_sub(f.class.len())
            ));
        }
    }
    if let Some(rhythm) = &model.rhythm {
        out.push_str(&format!("Rhythm:      {}\n", cardioppg::analysis::RhythmFinding::new(rhythm, beats).summary()));
    }
    Ok(out)
}

/// The explain benchmark's recording and its beats: the given file, else the shared data's
/// 20-minute MIMIC PERform AF record 001, else the bundled 60-s excerpt repeated 20 times.
fn bench_recording(path: Option<PathBuf>) -> Result<(String, cardioppg::dsp::beats::BeatAnalysis)> {
    let shared = || io::samples::shared_data_dir().map(|d| d.join("mimic-perform-af/mimic_perform_af_wfdb/mimic_perform_af_001.hea")).filter(|p| p.is_file());
    let (path, repeats) = match path.or_else(shared) {
        Some(path) => (path, 1),
        None => (io::samples::sample_data_dir().context("no sample data found")?.join("mimic_perform_non_af_002_nonAF_60s.hea"), 20),
    };
    let mut recording = io::open(&path)?;
    for channel in &mut recording.channels {
        channel.samples = channel.samples.repeat(repeats);
    }
    let beats = cardioppg::analysis::detect_beats(&recording).with_context(|| format!("{}: no PPG channel", path.display()))?;
    let name = if repeats == 1 { path.display().to_string() } else { format!("{} repeated {repeats} times", path.display()) };
    Ok((name, beats))
}

/// The facts `info` prints, the same the app shows.
fn describe(recording: &Recording) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let meta = &recording.metadata;
    let _ = writeln!(out, "File:        {}", recording.source_path.display());
    let _ = writeln!(out, "Format:      {}", recording.format);
    let _ = writeln!(out, "Patient:     {}", if meta.patient.is_empty() { "(not stated)" } else { &meta.patient });
    let _ = writeln!(out, "Recording:   {}", if meta.recording.is_empty() { "(not stated)" } else { &meta.recording });
    for (name, value) in &meta.fields {
        let _ = writeln!(out, "  {name}: {value}");
    }
    let start = meta.start.map_or("(not stated)".to_string(), |s| s.to_string());
    let _ = writeln!(out, "Start:       {start}");
    let _ = writeln!(out, "Duration:    {:.3} s", recording.duration_secs());
    let _ = writeln!(out, "Channels:    {}", recording.channels.len());
    let label_width = recording.channels.iter().map(|c| c.label.chars().count()).max().unwrap_or(5).max(5);
    let _ = writeln!(out, "  {:>2}  {:<label_width$} {:<20} {:<6} {:>16} {:>10} {:>7}", "#", "label", "role", "unit", "rate", "samples", "gaps");
    for (i, c) in recording.channels.iter().enumerate() {
        let rate = format!("{} Hz{}", c.sample_rate_hz, if c.sample_rate_assumed { " (assumed)" } else { "" });
        let _ = writeln!(
            out,
            "  {:>2}  {:<label_width$} {:<20} {:<6} {:>16} {:>10} {:>6.2}%",
            i + 1,
            c.label,
            c.role.to_string(),
            c.unit,
            rate,
            c.samples.len(),
            100.0 * c.nan_fraction()
        );
    }
    let _ = writeln!(out, "Annotations: {}", recording.annotations.len());
    for a in recording.annotations.iter().take(20) {
        let duration = a.duration_secs.map_or(String::new(), |d| format!(" ({d} s)"));
        let _ = writeln!(out, "  {:>10.3} s{duration}  {}", a.onset_secs, a.text);
    }
    if recording.annotations.len() > 20 {
        let _ = writeln!(out, "  … {} more", recording.annotations.len() - 20);
    }
    for notice in &recording.notices {
        let _ = writeln!(out, "Notice:      {notice}");
    }
    out
}
