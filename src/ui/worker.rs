//! The worker thread: the UI sends [`Command`]s and reads [`Event`]s back; it never does file
//! or signal work itself, so a 24-hour file never freezes a frame.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use crate::analysis::Analysis;
use crate::io::{self, ChannelRole, OpenOptions};

#[derive(Debug, Clone)]
pub enum Command {
    OpenFile(PathBuf, OpenOptions),
    /// The user says what a channel is.
    SetChannelRole { channel: usize, role: ChannelRole },
}

#[derive(Debug)]
pub enum Event {
    Opening(PathBuf),
    Opened(Arc<Analysis>),
    /// The reader's error, verbatim: it names the file and the field.
    OpenFailed(String),
}

/// The UI's end of the worker.
pub struct Worker {
    commands: Sender<Command>,
    events: Receiver<Event>,
}

impl Worker {
    /// Starts the thread; `wake` is called after every event so the UI repaints.
    pub fn spawn(wake: impl Fn() + Send + 'static) -> Self {
        let (commands, command_rx) = channel::<Command>();
        let (event_tx, events) = channel::<Event>();
        thread::Builder::new()
            .name("cardioppg-worker".into())
            .spawn(move || run(command_rx, event_tx, wake))
            .expect("spawning the worker thread");
        Worker { commands, events }
    }

    pub fn send(&self, command: Command) {
        // The worker only stops when the UI drops its sender, so a send cannot fail while we live.
        let _ = self.commands.send(command);
    }

    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

fn run(commands: Receiver<Command>, events: Sender<Event>, wake: impl Fn()) {
    let mut current: Option<Arc<Analysis>> = None;
    let emit = |event: Event| {
        let _ = events.send(event);
        wake();
    };
    while let Ok(command) = commands.recv() {
        match command {
            Command::OpenFile(path, options) => {
                emit(Event::Opening(path.clone()));
                match io::open_with(&path, &options) {
                    Ok(recording) => {
                        let analysis = Arc::new(Analysis::new(recording));
                        current = Some(analysis.clone());
                        emit(Event::Opened(analysis));
                    }
                    Err(e) => emit(Event::OpenFailed(e.to_string())),
                }
            }
            Command::SetChannelRole { channel, role } => {
                if let Some(analysis) = &current {
                    let mut recording = (*analysis.recording).clone();
                    recording.set_role(channel, role);
                    let analysis = Arc::new(analysis.with_roles_changed(recording));
                    current = Some(analysis.clone());
                    emit(Event::Opened(analysis));
                }
            }
        }
    }
}
