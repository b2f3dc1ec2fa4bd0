//! The worker threads: the UI sends [`Command`]s and reads [`Event`]s back; it never does file,
//! signal or network work itself, so a 24-hour file never freezes a frame. One thread opens
//! files and runs the network stage by stage; a second computes 300×300 beat maps, which take
//! long on a CPU, so that opening another file never waits behind one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use crate::analysis::{Analysis, run_model};
use crate::explain::{AttributionCache, ClassMaps, EcgMap, Explainer, IgSettings};
use crate::headless::{Analysed, gather_report};
use crate::report::{KnownAttributions, ReportOptions};
use crate::io::{self, ChannelRole, OpenOptions};
use crate::model::bundle::{self, LoadedModel};
use crate::model::device::{self, ComputeDevice, DevicePreference};

/// Cycles per network pass when the worker runs the model.
const MODEL_BATCH: usize = 64;

#[derive(Debug, Clone)]
pub enum Command {
    OpenFile(PathBuf, OpenOptions),
    /// The user says what a channel is.
    SetChannelRole { channel: usize, role: ChannelRole },
    /// Recompute every usable beat's per-class maps with these settings.
    SetClassMapSettings(IgSettings),
    /// The 300×300 map of one beat's PPG cycle. Only the latest request is served.
    ExplainBeat { generation: u64, beat: usize, cycle: Vec<f32>, settings: IgSettings },
    /// The PDF report of what is on screen, with the reviewer's state; attributions already
    /// computed are reused. Runs on its own thread.
    ExportPdf { path: PathBuf, analysed: Analysed, options: ReportOptions, known: Arc<KnownMaps> },
    /// The recording as EDF+ with the GENERATED ECG and the annotations of the analysis.
    ExportEdf { path: PathBuf, analysed: Analysed },
}

/// The workspace's attributions, offered to the report so it does not compute them again.
#[derive(Default)]
pub struct KnownMaps {
    pub cache: Option<Arc<AttributionCache>>,
    pub beat_maps: std::collections::HashMap<usize, Arc<EcgMap>>,
}

impl std::fmt::Debug for KnownMaps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownMaps {{ cache: {}, beat maps: {:?} }}", self.cache.is_some(), self.beat_maps.keys().collect::<Vec<_>>())
    }
}

impl KnownAttributions for KnownMaps {
    fn class_maps(&self, beat: usize) -> Option<Arc<ClassMaps>> {
        self.cache.as_ref()?.class_maps(beat)
    }
    fn ecg_map(&self, beat: usize) -> Option<Arc<EcgMap>> {
        self.beat_maps.get(&beat).cloned()
    }
}

pub enum Event {
    /// Where the network runs and which model is loaded (or why none is).
    Ready { device: String, is_gpu: bool, model: Result<ModelInfo, String> },
    Opening(PathBuf),
    /// Signals and beats, before the network has run.
    Opened(Arc<Analysis>),
    /// The reader's error, verbatim: it names the file and the field.
    OpenFailed(String),
    /// The network's progress over the usable beats.
    Progress { done: usize, total: usize },
    /// The same analysis with the network's outputs.
    ModelDone(Arc<Analysis>),
    Cancelled,
    /// Per-class maps computing in the background for the current analysis.
    Attributions(Arc<AttributionCache>),
    BeatMap { generation: u64, beat: usize, settings: IgSettings, result: Result<Arc<EcgMap>, String> },
    /// What an export is computing now.
    ExportProgress(String),
    /// The file written, or why not.
    Exported(Result<PathBuf, String>),
}

#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub name: String,
    pub version: String,
    pub trained_on: String,
    pub sha256: String,
    pub variant: String,
    /// The manifest loaded; its folder holds the model card (README.md).
    pub manifest_path: PathBuf,
    /// "CardioPPG rhythm extension 1.0.1 (not the network), fitted on …", when one ships.
    pub rhythm: Option<String>,
}

/// The UI's end of the workers.
pub struct Worker {
    commands: Sender<Command>,
    events: Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl Worker {
    /// Starts the threads; `wake` is called after every event so the UI repaints.
    pub fn spawn(preference: DevicePreference, class_map_settings: IgSettings, wake: impl Fn() + Send + Sync + 'static) -> Self {
        let (commands, command_rx) = channel::<Command>();
        let (event_tx, events) = channel::<Event>();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        thread::Builder::new()
            .name("cardioppg-worker".into())
            .spawn(move || run(preference, class_map_settings, command_rx, event_tx, flag, Arc::new(wake)))
            .expect("spawning the worker thread");
        Worker { commands, events, cancel }
    }

    pub fn send(&self, command: Command) {
        if matches!(command, Command::OpenFile(..) | Command::SetChannelRole { .. }) {
            // A new file supersedes whatever is being computed for the old one.
            self.cancel.store(true, Ordering::Release);
        }
        // The worker only stops when the UI drops its sender, so a send cannot fail while we live.
        let _ = self.commands.send(command);
    }

    /// Stops the running stage at its next batch.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Release);
    }

    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

type Wake = Arc<dyn Fn() + Send + Sync>;

fn run(preference: DevicePreference, mut class_map_settings: IgSettings, commands: Receiver<Command>, events: Sender<Event>, cancel: Arc<AtomicBool>, wake: Wake) {
    let emit = |event: Event| {
        let _ = events.send(event);
        wake();
    };
    let compute = device::select(preference);
    let model = bundle::load_default(&compute.device).map_err(|e| e.to_string());
    emit(Event::Ready { device: compute.description.clone(), is_gpu: compute.is_gpu, model: model.as_ref().map(model_info).map_err(Clone::clone) });
    let model = model.ok().map(Arc::new);
    let beat_maps = model.as_ref().map(|m| spawn_beat_maps(m.clone(), compute.clone(), events.clone(), wake.clone()));

    let mut current: Option<Arc<Analysis>> = None;
    let mut attributions: Option<Arc<AttributionCache>> = None;
    while let Ok(command) = commands.recv() {
        let analysis = match command {
            Command::OpenFile(path, options) => {
                cancel.store(false, Ordering::Release);
                emit(Event::Opening(path.clone()));
                match io::open_with(&path, &options) {
                    Ok(recording) => Arc::new(Analysis::new(recording)),
                    Err(e) => {
                        emit(Event::OpenFailed(e.to_string()));
                        continue;
                    }
                }
            }
            Command::SetChannelRole { channel, role } => {
                cancel.store(false, Ordering::Release);
                let Some(analysis) = &current else { continue };
                let mut recording = (*analysis.recording).clone();
                recording.set_role(channel, role);
                Arc::new(analysis.with_roles_changed(recording))
            }
            Command::SetClassMapSettings(settings) => {
                class_map_settings = settings;
                if let (Some(analysis), Some(model)) = (&current, &model) {
                    start_attributions(analysis, model, &compute, settings, &mut attributions, &emit);
                }
                continue;
            }
            Command::ExplainBeat { .. } => {
                if let Some(tx) = &beat_maps {
                    let _ = tx.send(command);
                }
                continue;
            }
            Command::ExportPdf { .. } | Command::ExportEdf { .. } => {
                match &model {
                    Some(model) => spawn_export(command, model.clone(), compute.clone(), events.clone(), wake.clone()),
                    None => emit(Event::Exported(Err("no model is loaded, so there are no results to export".into()))),
                }
                continue;
            }
        };
        if let Some(old) = attributions.take() {
            old.cancel();
        }
        current = Some(analysis.clone());
        emit(Event::Opened(analysis.clone()));
        let (Some(model), Some(beats)) = (&model, &analysis.beats) else { continue };
        let keep_going = || !cancel.load(Ordering::Acquire);
        let progress = |done, total| emit(Event::Progress { done, total });
        match run_model(&model.network, &model.manifest, beats, model.rhythm.as_ref(), &compute.device, MODEL_BATCH, keep_going, progress) {
            Ok(results) => {
                let with_model = Arc::new(analysis.with_model(results));
                current = Some(with_model.clone());
                emit(Event::ModelDone(with_model.clone()));
                start_attributions(&with_model, model, &compute, class_map_settings, &mut attributions, &emit);
            }
            Err(_) => emit(Event::Cancelled),
        }
    }
    if let Some(old) = attributions {
        old.cancel();
    }
}

fn start_attributions(analysis: &Analysis, model: &LoadedModel, compute: &ComputeDevice, settings: IgSettings, slot: &mut Option<Arc<AttributionCache>>, emit: &impl Fn(Event)) {
    let Some(beats) = &analysis.beats else { return };
    if let Some(old) = slot.take() {
        old.cancel();
    }
    match Explainer::new(&model.network, &compute.device, settings) {
        Ok(explainer) => {
            let cache = Arc::new(AttributionCache::start(explainer, beats));
            *slot = Some(cache.clone());
            emit(Event::Attributions(cache));
        }
        // Settings come from the UI's own choices; a refusal is shown where the maps would be.
        Err(e) => emit(Event::OpenFailed(format!("attribution settings refused: {e}"))),
    }
}

fn model_info(model: &LoadedModel) -> ModelInfo {
    let m = &model.manifest;
    ModelInfo {
        name: m.name.clone(),
        version: m.version.clone(),
        trained_on: m.trained_on.clone(),
        sha256: m.weights_sha256.clone(),
        variant: format!("{:?}", m.variant),
        manifest_path: model.manifest_path.clone(),
        rhythm: model.rhythm.as_ref().map(|r| format!("{} {} (not the network), fitted on {}", r.name, r.version, r.trained_on)),
    }
}

/// The beat-map thread: serves the newest [`Command::ExplainBeat`] and skips older ones.
fn spawn_beat_maps(model: Arc<LoadedModel>, compute: ComputeDevice, events: Sender<Event>, wake: Wake) -> Sender<Command> {
    let (tx, rx) = channel::<Command>();
    let failures = events.clone();
    let spawned = thread::Builder::new().name("cardioppg-beat-maps".into()).spawn(move || {
        while let Ok(mut request) = rx.recv() {
            while let Ok(newer) = rx.try_recv() {
                request = newer;
            }
            let Command::ExplainBeat { generation, beat, cycle, settings } = request else { continue };
            let result = Explainer::new(&model.network, &compute.device, settings).and_then(|e| e.ecg_map(&cycle)).map(Arc::new).map_err(|e| e.to_string());
            let _ = events.send(Event::BeatMap { generation, beat, settings, result });
            wake();
        }
    });
    if let Err(e) = spawned {
        let _ = failures.send(Event::OpenFailed(format!("could not start the beat-map thread: {e}")));
    }
    tx
}

/// An export on its own thread: a report that computes heatmaps takes minutes on a CPU, and
/// the worker must stay free to open files meanwhile.
fn spawn_export(command: Command, model: Arc<LoadedModel>, compute: ComputeDevice, events: Sender<Event>, wake: Wake) {
    let failures = (events.clone(), wake.clone());
    let spawned = thread::Builder::new().name("cardioppg-export".into()).spawn(move || {
        let emit = |event: Event| {
            let _ = events.send(event);
            wake();
        };
        let export = || match command {
            Command::ExportPdf { path, analysed, options, known } => {
                let mut progress = |step: &str| emit(Event::ExportProgress(format!("Report: computing {step}…")));
                gather_report(&model, &compute, &analysed, options, known.as_ref(), &mut progress)
                    .map_err(|e| e.to_string())
                    .and_then(|input| crate::report::write_pdf(&path, &input).map_err(|e| e.to_string()))
                    .map(|()| path)
            }
            Command::ExportEdf { path, analysed } => crate::export::export_edf(&path, &analysed.analysis, &analysed.review).map_err(|e| e.to_string()).map(|()| path),
            _ => Err("not an export".into()),
        };
        // The UI waits for `Exported`: it must come even if the export panics.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(export)).unwrap_or_else(|_| Err("internal error during the export (a panic); nothing was written under the chosen name".into()));
        emit(Event::Exported(result));
    });
    if let Err(e) = spawned {
        let _ = failures.0.send(Event::Exported(Err(format!("could not start the export: {e}"))));
        (failures.1)();
    }
}
