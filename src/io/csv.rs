//! Placeholder until the csv reader lands.
use super::{OpenOptions, ReadError, ReadErrorKind, ReadResult, Reader, Recording};
use std::path::Path;

pub struct CsvReader;

impl Reader for CsvReader {
    fn name(&self) -> &'static str { "csv" }
    fn extensions(&self) -> &'static [&'static str] { &[] }
    fn sniff(&self, _head: &[u8]) -> bool { false }
    fn read(&self, path: &Path, _options: &OpenOptions) -> ReadResult<Recording> {
        Err(ReadError::new(path, "file", ReadErrorKind::Unsupported("not yet".into())))
    }
}
