//! Where reviews live and how they get there: the sidecar next to the recording, the fallback in
//! the app's data dir, atomic replace on save, and setting aside files we cannot read.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{FORMAT_VERSION, Review, ReviewError, ReviewSession, Target, now_unix_secs};
use crate::model::bundle::sha256_hex;

const SUFFIX: &str = ".cardioppg-review.json";

/// `<recording file name>.cardioppg-review.json` in the recording's folder (for WFDB the
/// recording path is the `.hea`).
pub fn sidecar_path(recording_path: &Path) -> PathBuf {
    let mut name = recording_path.file_name().map(OsString::from).unwrap_or_default();
    name.push(SUFFIX);
    recording_path.with_file_name(name)
}

/// `fallback_dir/<16 hex of the SHA-256 of the absolute path>-<file name>.cardioppg-review.json`:
/// the hash keeps same-named recordings from different folders apart, the name keeps it legible.
pub fn fallback_path(recording_path: &Path, fallback_dir: &Path) -> PathBuf {
    let absolute = recording_path
        .canonicalize()
        .or_else(|_| std::path::absolute(recording_path))
        .unwrap_or_else(|_| recording_path.to_path_buf());
    let key = sha256_hex(absolute.as_os_str().as_encoded_bytes());
    let name = recording_path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    fallback_dir.join(format!("{}-{name}{SUFFIX}", &key[..16]))
}

/// `$XDG_DATA_HOME/cardioppg/reviews`, else the platform's per-user data folder
/// (`%APPDATA%\cardioppg\reviews` on Windows, `~/Library/Application Support/cardioppg/reviews`
/// on macOS, `~/.local/share/cardioppg/reviews` elsewhere), else `<temp dir>/cardioppg/reviews`
/// (the app keeps its settings in the parent folder, so it must be the app's own).
/// Relative or empty variables are ignored, as XDG says.
pub fn default_fallback_dir() -> PathBuf {
    let absolute_var = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let platform = if cfg!(windows) {
        absolute_var("APPDATA")
    } else if cfg!(target_os = "macos") {
        absolute_var("HOME").map(|h| h.join("Library/Application Support"))
    } else {
        absolute_var("HOME").map(|h| h.join(".local/share"))
    };
    match absolute_var("XDG_DATA_HOME").or(platform) {
        Some(data) => data.join("cardioppg").join("reviews"),
        None => std::env::temp_dir().join("cardioppg").join("reviews"),
    }
}

/// What one sidecar location held.
enum Found {
    Missing,
    Review(Review),
    /// Unreadable as a review; renamed to `aside`, so the location is free again.
    SetAside { problem: String, aside: PathBuf },
    /// Unreadable and it could not be renamed: the location must never be written.
    Stuck { problem: String, source: io::Error },
}

impl ReviewSession {
    /// Opens the review of `recording_path` (or starts one): looks for the sidecar next to it and
    /// in `fallback_dir`. Returns warnings for the UI to show (recording changed, file set aside,
    /// two copies found). Fails only when the recording cannot be read, or a review file exists but
    /// cannot be read, or an unreadable fallback file cannot be moved aside.
    pub fn open(recording_path: &Path, fallback_dir: &Path) -> Result<(Self, Vec<String>), ReviewError> {
        let sha_now = hash_file(recording_path)
            .map_err(|source| ReviewError::ReadRecording { path: recording_path.to_path_buf(), source })?;
        let file_name = recording_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let primary_path = sidecar_path(recording_path);
        let fallback_path = fallback_path(recording_path, fallback_dir);
        let primary = load(&primary_path)?;
        let fallback = load(&fallback_path)?;
        let primary_blocked = matches!(primary, Found::Stuck { .. });
        if let Found::Stuck { source, .. } = fallback {
            return Err(ReviewError::SetAside { path: fallback_path, source });
        }

        let mut warnings = Vec::new();
        for (path, found) in [(&primary_path, &primary), (&fallback_path, &fallback)] {
            match found {
                Found::SetAside { problem, aside } => {
                    warnings.push(format!("{}: {problem}; kept as {}", path.display(), aside.display()));
                }
                Found::Stuck { problem, source } => warnings.push(format!(
                    "{}: {problem}; it could not be moved aside ({source}) and is left untouched, so this review is saved to {}",
                    path.display(),
                    fallback_path.display()
                )),
                Found::Missing | Found::Review(_) => {}
            }
        }

        let (review, target) = match (primary, fallback) {
            (Found::Review(p), Found::Review(f)) => {
                // Equal times prefer the primary: it travels with the recording.
                let fallback_newer = f.updated_unix_secs > p.updated_unix_secs;
                let (newer, older) = if fallback_newer {
                    ((&fallback_path, f.updated_unix_secs), (&primary_path, p.updated_unix_secs))
                } else {
                    ((&primary_path, p.updated_unix_secs), (&fallback_path, f.updated_unix_secs))
                };
                warnings.push(format!(
                    "two saved reviews of this recording: using {} (changed at {} s since 1970), not the older {} (changed at {} s), which is left as it was",
                    newer.0.display(),
                    newer.1,
                    older.0.display(),
                    older.1
                ));
                if fallback_newer { (f, Target::Fallback) } else { (p, Target::Primary) }
            }
            (Found::Review(p), _) => {
                append_to_all(&mut warnings, &format!(", using the review at {}", primary_path.display()));
                (p, Target::Primary)
            }
            (_, Found::Review(f)) => {
                append_to_all(&mut warnings, &format!(", using the review at {}", fallback_path.display()));
                (f, Target::Fallback)
            }
            _ => {
                append_to_all(&mut warnings, ", starting a new review");
                let target = if primary_blocked { Target::Fallback } else { Target::Primary };
                (Review::new(file_name.clone(), sha_now.clone()), target)
            }
        };
        if review.recording_sha256 != sha_now {
            warnings.push(format!(
                "the recording changed since this review was saved (SHA-256 differs: reviewed {}, now {}); check verdicts and beat marks, your next edit records the review against the recording as it is now",
                short(&review.recording_sha256),
                short(&sha_now)
            ));
        }

        let session = ReviewSession {
            review,
            undo: VecDeque::new(),
            redo: Vec::new(),
            open_group: None,
            dirty: false,
            recording_sha256_now: sha_now,
            recording_file_now: file_name,
            primary_path,
            fallback_path,
            target,
            primary_blocked,
            #[cfg(test)]
            fail_primary_write: None,
        };
        Ok((session, warnings))
    }

    /// Writes the review atomically (the file on disk is always the old or the new one, never a
    /// mix) and returns where. Nothing is written when nothing changed since open or the last save.
    /// When the recording's folder is not writable the review goes to the fallback dir, and stays
    /// there for this session; compare [`Self::path`] before and after to tell the user.
    pub fn save(&mut self) -> Result<PathBuf, ReviewError> {
        if !self.dirty {
            return Ok(self.path().to_path_buf());
        }
        let mut json = serde_json::to_vec_pretty(&self.review)
            .map_err(|source| ReviewError::Serialize { path: self.path().to_path_buf(), source })?;
        json.push(b'\n');
        if self.target == Target::Primary && !self.primary_blocked {
            match self.write_primary(&json) {
                Ok(()) => {
                    self.dirty = false;
                    return Ok(self.primary_path.clone());
                }
                Err(source) if is_unwritable(&source) => self.target = Target::Fallback,
                Err(source) => return Err(ReviewError::Write { path: self.primary_path.clone(), source }),
            }
        }
        if let Some(dir) = self.fallback_path.parent() {
            fs::create_dir_all(dir).map_err(|source| ReviewError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        write_atomic(&self.fallback_path, &json)
            .map_err(|source| ReviewError::Write { path: self.fallback_path.clone(), source })?;
        self.target = Target::Fallback;
        self.dirty = false;
        Ok(self.fallback_path.clone())
    }

    fn write_primary(&self, json: &[u8]) -> io::Result<()> {
        // Tests run as root, where a 0o555 folder is still writable: this stands in for it.
        #[cfg(test)]
        if let Some(kind) = self.fail_primary_write {
            return Err(io::Error::from(kind));
        }
        write_atomic(&self.primary_path, json)
    }
}

/// Only set-aside lines are in `warnings` when this runs: it finishes them with what replaced them.
fn append_to_all(warnings: &mut [String], tail: &str) {
    for line in warnings {
        line.push_str(tail);
    }
}

fn is_unwritable(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem)
}

/// Streams the file so large recordings are not held in memory twice.
fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn short(sha256: &str) -> String {
    if sha256.is_empty() { "unknown".to_owned() } else { format!("{}…", &sha256[..sha256.len().min(12)]) }
}

fn load(path: &Path) -> Result<Found, ReviewError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Missing),
        // Unreadable but present: starting afresh would overwrite it on the first save.
        Err(source) => return Err(ReviewError::ReadSidecar { path: path.to_path_buf(), source }),
    };
    let (problem, label) = match serde_json::from_slice::<Review>(&bytes) {
        Ok(review) if (1..=FORMAT_VERSION).contains(&review.format_version) => return Ok(Found::Review(review)),
        Ok(review) if review.format_version == 0 => ("not a review file (no format_version)".to_owned(), "corrupt".to_owned()),
        Ok(review) => (
            format!("written by a newer CardioPPG Review (format {}, this one reads {FORMAT_VERSION})", review.format_version),
            format!("format{}", review.format_version),
        ),
        Err(e) => (format!("not a review file (JSON error: {e})"), "corrupt".to_owned()),
    };
    Ok(match set_aside(path, &label) {
        Ok(aside) => Found::SetAside { problem, aside },
        Err(source) => Found::Stuck { problem, source },
    })
}

/// Renames `path` to `<path>.<label>-<unix secs>` (plus `-N` if taken), so the original bytes
/// survive and the location is free for the new review.
fn set_aside(path: &Path, label: &str) -> io::Result<PathBuf> {
    let stem = format!(".{label}-{}", now_unix_secs());
    for n in 0..1000 {
        let mut name = path.as_os_str().to_owned();
        name.push(&stem);
        if n > 0 {
            name.push(format!("-{n}"));
        }
        let aside = PathBuf::from(name);
        match fs::symlink_metadata(&aside) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::rename(path, &aside)?;
                return Ok(aside);
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free name to move it aside"))
}

/// Temp file in the same folder (rename is only atomic within one file system), data synced
/// before the rename so a crash cannot leave a renamed-but-empty file, folder synced after so the
/// rename itself survives a power loss.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp_name = path.file_name().map(OsString::from).unwrap_or_default();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Best effort: not every platform or file system can open and sync a directory.
    let _ = File::open(dir).and_then(|d| d.sync_all());
    Ok(())
}
