//! The paper's multi-task network in burn: the network, its training data, training,
//! the shipped model bundle and the compute device.

pub mod bench;
pub mod blocks;
pub mod bundle;
pub mod crossval;
pub mod data;
pub mod device;
pub mod evaluate;
pub mod infer;
pub mod network;
pub mod pipeline;
pub mod rhythm;
pub mod train;

pub use network::{Network, NetworkOutput, Variant};
