//! Signal processing. No UI or model types here: everything is plain slices and numbers.

pub mod minmax;
