//! Reader errors. Every error names the file and the field it is about, so a user can tell
//! what is wrong with which file without reading code.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, independent of where.
#[derive(Debug, thiserror::Error)]
pub enum ReadErrorKind {
    #[error("cannot be read: {0}")]
    Io(#[source] std::io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("the file ends early: {needed_bytes} bytes needed, {available_bytes} present")]
    Truncated { needed_bytes: u64, available_bytes: u64 },
    #[error("invalid value {value:?}: {reason}")]
    Invalid { value: String, reason: String },
    #[error("not this format: {0}")]
    WrongMagic(String),
    #[error("companion file {} is missing or unreadable: {source}", .companion.display())]
    MissingCompanion {
        companion: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("text is not valid UTF-8 (or ASCII where the format requires it)")]
    NotText,
}

/// A reader error: the file, the field within it, and what is wrong.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    /// The header field, column or section at fault ("number of data records",
    /// "signal 2 physical minimum", "column `ppg`", "signal file").
    pub field: String,
    pub kind: ReadErrorKind,
}

impl ReadError {
    pub fn new(path: &Path, field: impl Into<String>, kind: ReadErrorKind) -> Self {
        ReadError { path: path.to_path_buf(), field: field.into(), kind }
    }

    pub fn invalid(path: &Path, field: impl Into<String>, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(path, field, ReadErrorKind::Invalid { value: value.into(), reason: reason.into() })
    }

    pub fn truncated(path: &Path, field: impl Into<String>, needed_bytes: u64, available_bytes: u64) -> Self {
        Self::new(path, field, ReadErrorKind::Truncated { needed_bytes, available_bytes })
    }

    pub fn io(path: &Path, field: impl Into<String>, err: std::io::Error) -> Self {
        Self::new(path, field, ReadErrorKind::Io(err))
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.path.display(), self.field, self.kind)
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.kind)
    }
}

pub type ReadResult<T> = Result<T, ReadError>;
