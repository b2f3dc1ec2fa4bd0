//! Readers: files on disk → [`Recording`]. One [`Reader`] per format, one [`open`] that picks the
//! reader by content first and extension second. Readers are tolerant in what they read (NaN for
//! gaps and invalid samples, notices for assumptions) and strict in what they report: a file they
//! cannot read gives a [`ReadError`] naming the file and the field, never a panic, and no reader
//! allocates more than a small multiple of the file's size, whatever its header claims.

pub mod csv;
pub mod edf;
mod error;
pub mod npy;
mod recording;
pub mod roles;
pub mod samples;
pub mod wfdb;

use std::io::Read;
use std::path::Path;

pub use error::{ReadError, ReadErrorKind, ReadResult};
pub use recording::{Annotation, Channel, ChannelRole, Format, Metadata, Recording, RoleSource, StartDateTime};

/// The rate assumed for formats that do not store one, as the CardioPPG example data uses.
pub const DEFAULT_ASSUMED_SAMPLE_RATE_HZ: f64 = 125.0;

/// How a 2-D NumPy array is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NpyLayout {
    /// Decide from the shape (few long rows → channels, many rows → segments) and say so.
    #[default]
    Auto,
    /// `[channels, samples]`: each row is a simultaneous channel.
    Channels,
    /// `[segments, samples]`: each row is a separate excerpt of one PPG signal.
    Segments,
}

/// Choices the user can make when opening a file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenOptions {
    /// Sample rate for formats that do not store one (NumPy; CSV without a time column).
    /// `None`: [`DEFAULT_ASSUMED_SAMPLE_RATE_HZ`], reported to the user as assumed.
    pub sample_rate_hz: Option<f64>,
    pub npy_layout: NpyLayout,
    /// CSV: the columns to load, by header name. `None`: every numeric column.
    pub csv_columns: Option<Vec<String>>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { sample_rate_hz: None, npy_layout: NpyLayout::Auto, csv_columns: None }
    }
}

/// One file format.
pub trait Reader: Sync {
    /// Human name of the format ("EDF/EDF+").
    fn name(&self) -> &'static str;
    /// Lower-case file name endings this reader claims (".edf", ".csv.gz").
    fn extensions(&self) -> &'static [&'static str];
    /// True when the first bytes of the file are this format's signature.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads the whole recording.
    fn read(&self, path: &Path, options: &OpenOptions) -> ReadResult<Recording>;
}

/// Every reader, in the order [`open`] tries their signatures.
pub fn readers() -> [&'static dyn Reader; 4] {
    [&edf::EdfReader, &npy::NpyReader, &wfdb::WfdbReader, &csv::CsvReader]
}

/// Opens a recording with default options.
pub fn open(path: &Path) -> ReadResult<Recording> {
    open_with(path, &OpenOptions::default())
}

/// Opens a recording: the reader whose signature matches the content wins; when none does, the
/// file name's extension decides.
pub fn open_with(path: &Path, options: &OpenOptions) -> ReadResult<Recording> {
    let head = read_head(path)?;
    let by_content = readers().into_iter().find(|r| r.sniff(&head));
    let by_extension = || {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        readers().into_iter().find(|r| r.extensions().iter().any(|ext| name.ends_with(ext)))
    };
    match by_content.or_else(by_extension) {
        Some(reader) => reader.read(path, options),
        None => Err(ReadError::new(
            path,
            "file type",
            ReadErrorKind::WrongMagic(
                "neither an EDF/EDF+, WFDB (.hea/.dat), NumPy (.npy) nor CSV (.csv, .csv.gz) file".into(),
            ),
        )),
    }
}

/// The first bytes of a file, for signature checks.
fn read_head(path: &Path) -> ReadResult<Vec<u8>> {
    let file = std::fs::File::open(path).map_err(|e| ReadError::io(path, "file", e))?;
    let mut head = Vec::with_capacity(512);
    file.take(512).read_to_end(&mut head).map_err(|e| ReadError::io(path, "file", e))?;
    Ok(head)
}

/// Reads a whole file into memory, naming `field` in any error.
pub(crate) fn read_all(path: &Path, field: &str) -> ReadResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| ReadError::io(path, field, e))
}

/// The rate to use where the file states none: `(rate_hz, assumed, notice for the user)`.
pub(crate) fn assumed_rate(path: &Path, options: &OpenOptions, what: &str) -> ReadResult<(f64, bool, Option<String>)> {
    match options.sample_rate_hz {
        Some(rate) if rate.is_finite() && rate > 0.0 && rate <= 1.0e6 => Ok((rate, false, None)),
        Some(rate) => Err(ReadError::invalid(path, "sample rate option", rate.to_string(), "must be a positive number of Hz up to 1 MHz")),
        None => Ok((
            DEFAULT_ASSUMED_SAMPLE_RATE_HZ,
            true,
            Some(format!(
                "{what} does not store a sample rate: {DEFAULT_ASSUMED_SAMPLE_RATE_HZ} Hz assumed (set it with --rate)"
            )),
        )),
    }
}
