//! The shipped model: a burnpack weights file and its manifest (name, version, classes, what it
//! was trained on, the SHA-256 of the weights). Loading verifies the checksum first, so a
//! corrupted or swapped weights file is refused with a message that names it.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::network::{Network, Variant};

/// The model the app loads at start.
pub const DEFAULT_MANIFEST: &str = "cardioppg-af-full.json";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid model manifest: {what}")]
    Manifest { path: PathBuf, what: String },
    #[error("{path}: SHA-256 {actual} does not match the manifest's weights_sha256 {expected}; the weights file is corrupted or not the one the manifest describes")]
    Checksum { path: PathBuf, expected: String, actual: String },
    #[error("{path}: the weights do not fit the {variant:?} network with {classes} classes: {what}")]
    Weights { path: PathBuf, variant: Variant, classes: usize, what: String },
    #[error(transparent)]
    Rhythm(#[from] super::rhythm::RhythmError),
    #[error("no model found: looked for {DEFAULT_MANIFEST} in {0}")]
    NotFound(String),
}

/// What the manifest says about a model; shown with every probability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelManifest {
    pub name: String,
    pub version: String,
    pub variant: Variant,
    /// Class names, in the order of the network's outputs.
    pub classes: Vec<String>,
    /// One line on the training data, e.g. "MIMIC PERform AF + BIDMC, train patients".
    pub trained_on: String,
    pub weights_file: String,
    pub weights_sha256: String,
    /// The command that produced the weights.
    pub train_command: String,
    /// Training settings, as run.
    #[serde(default)]
    pub train_config: serde_json::Value,
}

impl ModelManifest {
    /// "CardioPPG-AF 1.1.0 (full; trained on …)".
    pub fn label(&self) -> String {
        format!("{} {} ({:?}; trained on {})", self.name, self.version, self.variant, self.trained_on)
    }
}

/// A loaded, verified model.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    pub manifest: ModelManifest,
    pub manifest_path: PathBuf,
    pub network: Network,
    /// The rhythm extension found beside the manifest ([`super::rhythm::RHYTHM_FILE`]), if any:
    /// shown beside the network's probabilities, never instead of them.
    pub rhythm: Option<super::rhythm::RhythmModel>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The bundled `models/` folder (see [`crate::resources`] for where it is looked for).
pub fn models_dir() -> Option<PathBuf> {
    crate::resources::bundled_dir("models", "CARDIOPPG_MODELS", DEFAULT_MANIFEST)
}

pub fn load_default(device: &Device) -> Result<LoadedModel, ModelError> {
    let dir = models_dir().ok_or_else(|| ModelError::NotFound("$CARDIOPPG_MODELS, the install folders (../share/cardioppg/models, ../Resources/models, models/ beside the program) and the source tree's models/".into()))?;
    load(&dir.join(DEFAULT_MANIFEST), device)
}

pub fn read_manifest(path: &Path) -> Result<ModelManifest, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.into(), source })?;
    let manifest: ModelManifest = serde_json::from_str(&text).map_err(|e| ModelError::Manifest { path: path.into(), what: e.to_string() })?;
    if manifest.classes.is_empty() {
        return Err(ModelError::Manifest { path: path.into(), what: "field classes is empty".into() });
    }
    if manifest.weights_file.is_empty() || Path::new(&manifest.weights_file).components().count() != 1 || manifest.weights_file == ".." {
        return Err(ModelError::Manifest { path: path.into(), what: "field weights_file must name a file beside the manifest".into() });
    }
    if manifest.weights_sha256.len() != 64 {
        return Err(ModelError::Manifest { path: path.into(), what: "field weights_sha256 is not a SHA-256 in hex".into() });
    }
    Ok(manifest)
}

/// Reads the manifest, checks the weights' SHA-256, then loads them into the network.
pub fn load(manifest_path: &Path, device: &Device) -> Result<LoadedModel, ModelError> {
    let manifest = read_manifest(manifest_path)?;
    let weights_path = manifest_path.parent().unwrap_or(Path::new(".")).join(&manifest.weights_file);
    let bytes = std::fs::read(&weights_path).map_err(|source| ModelError::Io { path: weights_path.clone(), source })?;
    let actual = sha256_hex(&bytes);
    if !actual.eq_ignore_ascii_case(&manifest.weights_sha256) {
        return Err(ModelError::Checksum { path: weights_path, expected: manifest.weights_sha256.clone(), actual });
    }
    let weights_err = |what: String| ModelError::Weights { path: weights_path.clone(), variant: manifest.variant, classes: manifest.classes.len(), what };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| weights_err(e.to_string()))?;
    let network = Network::new(manifest.variant, manifest.classes.len(), device)
        .try_load_record(record)
        .map_err(|e| weights_err(e.to_string()))?;
    // A rhythm file that is there but unreadable is refused like corrupted weights, not skipped.
    let rhythm_path = manifest_path.parent().unwrap_or(Path::new(".")).join(super::rhythm::RHYTHM_FILE);
    let rhythm = if rhythm_path.exists() { Some(super::rhythm::RhythmModel::load(&rhythm_path)?) } else { None };
    Ok(LoadedModel { manifest, manifest_path: manifest_path.into(), network, rhythm })
}

/// Writes `<stem>.bpk` and `<stem>.json` into `dir`; the manifest gets the weights' SHA-256.
pub fn save(network: Network, mut manifest: ModelManifest, dir: &Path, stem: &str) -> Result<PathBuf, ModelError> {
    let weights_path = dir.join(format!("{stem}.bpk"));
    let bytes = network.into_record().into_bytes().map_err(|e| ModelError::Manifest { path: weights_path.clone(), what: e.to_string() })?;
    manifest.weights_file = format!("{stem}.bpk");
    manifest.weights_sha256 = sha256_hex(&bytes);
    write_atomically(&weights_path, &bytes)?;
    let manifest_path = dir.join(format!("{stem}.json"));
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| ModelError::Manifest { path: manifest_path.clone(), what: e.to_string() })?;
    write_atomically(&manifest_path, json.as_bytes())?;
    Ok(manifest_path)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    crate::review::write_atomic(path, bytes).map_err(|source| ModelError::Io { path: path.into(), source })
}
