//! Placeholder until the edf reader lands.
use super::{OpenOptions, ReadError, ReadErrorKind, ReadResult, Reader, Recording};
use std::path::Path;

pub struct EdfReader;

impl Reader for EdfReader {
    fn name(&self) -> &'static str { "edf" }
    fn extensions(&self) -> &'static [&'static str] { &[] }
    fn sniff(&self, _head: &[u8]) -> bool { false }
    fn read(&self, path: &Path, _options: &OpenOptions) -> ReadResult<Recording> {
        Err(ReadError::new(path, "file", ReadErrorKind::Unsupported("not yet".into())))
    }
}
