//! The analysis of one recording: what the views read, immutably, each frame. Built off the UI
//! thread by the worker; later stages (beats, model outputs, attributions) join it here.

use std::sync::Arc;

use crate::dsp::minmax::MinMaxPyramid;
use crate::io::Recording;

#[derive(Debug)]
pub struct Analysis {
    pub recording: Arc<Recording>,
    /// One display pyramid per channel, same order as `recording.channels`.
    pub pyramids: Arc<Vec<MinMaxPyramid>>,
}

impl Analysis {
    pub fn new(recording: Recording) -> Self {
        Self::with_recording(Arc::new(recording))
    }

    /// The same signals with changed channel facts (roles): the display pyramids are reused.
    pub fn with_roles_changed(&self, recording: Recording) -> Self {
        Analysis { recording: Arc::new(recording), pyramids: self.pyramids.clone() }
    }

    pub fn with_recording(recording: Arc<Recording>) -> Self {
        let pyramids = Arc::new(recording.channels.iter().map(|c| MinMaxPyramid::build(&c.samples)).collect());
        Analysis { recording, pyramids }
    }
}
