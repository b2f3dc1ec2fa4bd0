//! The workspace's analysis without a window, for `cardioppg report`, `export-edf` and `batch`:
//! open the file, find the beats, run the bundled network, read the reviewer's sidecar, and
//! gather a report. The same library calls the app's worker makes, so a report from the command
//! line says what the window shows.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::{Analysis, run_model};
use crate::explain::Explainer;
use crate::io::{self, OpenOptions, ReadError};
use crate::model::bundle::{self, LoadedModel, ModelError};
use crate::model::device::ComputeDevice;
use crate::report::{self, KnownAttributions, Provenance, ReportError, ReportInput, ReportOptions};
use crate::review::{Review, ReviewError, ReviewSession, default_fallback_dir, now_unix_secs};

/// Cycles per network pass.
const MODEL_BATCH: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("{}: no channel has the PPG role, so there are no beats to analyse", .0.display())]
    NoPpg(PathBuf),
    #[error("{}: {source}", .path.display())]
    Report { path: PathBuf, source: ReportError },
}

/// The bundled model on a device.
pub struct Headless {
    pub model: LoadedModel,
    pub compute: ComputeDevice,
}

/// A recording analysed as the workspace would: network outputs and the saved review.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub analysis: Arc<Analysis>,
    pub review: Review,
    /// Of the file the user named (for WFDB, the `.hea`).
    pub recording_sha256: String,
    /// What opening the review found (file changed since the review, a sidecar set aside).
    pub review_warnings: Vec<String>,
}

impl Headless {
    pub fn load(compute: ComputeDevice) -> Result<Self, HeadlessError> {
        Ok(Self { model: bundle::load_default(&compute.device)?, compute })
    }

    pub fn analyse(&self, path: &Path, options: &OpenOptions) -> Result<Analysed, HeadlessError> {
        let analysis = self.run(path, options)?;
        let (session, review_warnings) = ReviewSession::open(path, &default_fallback_dir())?;
        Ok(Self::with_review(analysis, &session, review_warnings))
    }

    /// As [`Headless::analyse`], with the review already open (the batch opened it to decide
    /// whether the recording is done already).
    pub fn analyse_reviewed(&self, path: &Path, options: &OpenOptions, session: &ReviewSession, review_warnings: Vec<String>) -> Result<Analysed, HeadlessError> {
        Ok(Self::with_review(self.run(path, options)?, session, review_warnings))
    }

    /// The file through beats and the network.
    fn run(&self, path: &Path, options: &OpenOptions) -> Result<Analysis, HeadlessError> {
        let analysis = Analysis::new(io::open_with(path, options)?);
        let beats = analysis.beats.clone().ok_or_else(|| HeadlessError::NoPpg(path.to_path_buf()))?;
        let results = run_model(&self.model.network, &self.model.manifest, &beats, self.model.rhythm.as_ref(), &self.compute.device, MODEL_BATCH, || true, |_, _| {})
            .expect("never cancelled: keep_going is always true");
        Ok(analysis.with_model(results))
    }

    fn with_review(analysis: Analysis, session: &ReviewSession, review_warnings: Vec<String>) -> Analysed {
        Analysed {
            analysis: Arc::new(analysis),
            review: session.review().clone(),
            recording_sha256: session.recording_sha256().to_string(),
            review_warnings,
        }
    }

    /// Gathers the report of an analysed recording, computing the attributions it shows.
    pub fn report(&self, analysed: &Analysed, options: ReportOptions, known: &dyn KnownAttributions, progress: &mut dyn FnMut(&str)) -> Result<ReportInput, HeadlessError> {
        gather_report(&self.model, &self.compute, analysed, options, known, progress)
    }
}

/// What the report prints about the app, the model and the device.
pub fn provenance(model: &LoadedModel, compute: &ComputeDevice, recording_sha256: &str) -> Provenance {
    let m = &model.manifest;
    Provenance {
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        recording_sha256: recording_sha256.to_string(),
        model_name: m.name.clone(),
        model_version: m.version.clone(),
        model_variant: format!("{:?}", m.variant).to_lowercase(),
        trained_on: m.trained_on.clone(),
        weights_sha256: m.weights_sha256.clone(),
        device: compute.description.clone(),
        created_unix_secs: now_unix_secs(),
    }
}

/// The report of an analysed recording (the command line's and the workspace's).
pub fn gather_report(model: &LoadedModel, compute: &ComputeDevice, analysed: &Analysed, options: ReportOptions, known: &dyn KnownAttributions, progress: &mut dyn FnMut(&str)) -> Result<ReportInput, HeadlessError> {
    let path = analysed.analysis.recording.source_path.clone();
    let fail = |source| HeadlessError::Report { path: path.clone(), source };
    let ecg_explainer = Explainer::new(&model.network, &compute.device, options.ig).map_err(|e| fail(e.into()))?;
    let class_explainer = Explainer::new(&model.network, &compute.device, options.class_ig).map_err(|e| fail(e.into()))?;
    let provenance = provenance(model, compute, &analysed.recording_sha256);
    report::prepare(analysed.analysis.clone(), analysed.review.clone(), analysed.review_warnings.clone(), provenance, options, &ecg_explainer, &class_explainer, known, progress).map_err(fail)
}
