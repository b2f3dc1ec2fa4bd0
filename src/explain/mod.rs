//! Integrated-Gradients attributions of the network (paper section IV-C, Fig. 4 and 5): the
//! 300×300 GENERATED-ECG map of a beat, the per-class maps of every usable beat, their
//! summaries (top 20 %, per pulse phase, row-normalised), and the per-recording cache the
//! views read. Runs wherever the model runs: wgpu on a GPU, burn's Flex backend on the CPU.

pub mod baseline;
pub mod bench;
pub mod cache;
pub mod ig;
pub mod quadrature;
pub mod summary;

pub use baseline::Baseline;
pub use cache::AttributionCache;
pub use quadrature::Partition;
pub use ig::{ClassMaps, Completeness, EcgMap, ExplainError, Explainer, IgSettings};
