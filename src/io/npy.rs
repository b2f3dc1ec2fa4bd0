//! Placeholder until the npy reader lands.
use super::{OpenOptions, ReadError, ReadErrorKind, ReadResult, Reader, Recording};
use std::path::Path;

pub struct NpyReader;

impl Reader for NpyReader {
    fn name(&self) -> &'static str { "npy" }
    fn extensions(&self) -> &'static [&'static str] { &[] }
    fn sniff(&self, _head: &[u8]) -> bool { false }
    fn read(&self, path: &Path, _options: &OpenOptions) -> ReadResult<Recording> {
        Err(ReadError::new(path, "file", ReadErrorKind::Unsupported("not yet".into())))
    }
}
