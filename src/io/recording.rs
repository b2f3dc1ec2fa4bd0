//! The in-memory recording every reader produces and every later stage reads.

use std::fmt;
use std::path::PathBuf;

/// Which container a recording came from; shown to the user and used by `cardioppg info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// EDF (1992), no EDF+ extensions.
    Edf,
    /// EDF+ continuous ("EDF+C").
    EdfPlusContinuous,
    /// EDF+ discontinuous ("EDF+D"): records carry their own onsets; gaps become NaN.
    EdfPlusDiscontinuous,
    /// PhysioNet WFDB record (`.hea` + signal files).
    Wfdb,
    /// NumPy `.npy` array.
    Npy,
    /// Comma-separated values, optionally gzip-compressed.
    Csv,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Edf => "EDF",
            Format::EdfPlusContinuous => "EDF+C",
            Format::EdfPlusDiscontinuous => "EDF+D",
            Format::Wfdb => "WFDB",
            Format::Npy => "NumPy .npy",
            Format::Csv => "CSV",
        })
    }
}

/// A calendar date and time of day, as written in the file header (no time zone: EDF and WFDB
/// store local clock time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StartDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// Fraction of the second in nanoseconds (EDF+ subsecond start, WFDB `hh:mm:ss.sss`).
    pub nanosecond: u32,
}

impl fmt::Display for StartDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanosecond != 0 {
            write!(f, ".{:03}", self.nanosecond / 1_000_000)?;
        }
        Ok(())
    }
}

/// Header facts as the file holds them. Nothing is invented: absent fields stay empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Patient identification field, verbatim (EDF "local patient identification").
    pub patient: String,
    /// Recording identification field, verbatim (EDF "local recording identification").
    pub recording: String,
    pub start: Option<StartDateTime>,
    /// Further named header fields (`("WFDB comment", …)`, `("EDF+ patient sex", …)`), in file order.
    pub fields: Vec<(String, String)>,
}

/// What a channel is for the analysis. Detected from the label; the user can override it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelRole {
    Ppg,
    /// An ECG lead; `lead` is the normalised lead name ("II", "aVR", "V1") when the label has one.
    Ecg { lead: Option<String> },
    Other,
}

impl fmt::Display for ChannelRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelRole::Ppg => f.write_str("PPG"),
            ChannelRole::Ecg { lead: Some(lead) } => write!(f, "ECG lead {lead}"),
            ChannelRole::Ecg { lead: None } => f.write_str("ECG (lead unknown)"),
            ChannelRole::Other => f.write_str("other"),
        }
    }
}

/// Where a channel's role came from, so the UI can say "detected" or "set by you".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    DetectedFromLabel,
    UserOverride,
}

/// One signal, in physical units, at one sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub label: String,
    /// Physical unit as the file states it ("mV", "NU"); empty when the format has none.
    pub unit: String,
    pub sample_rate_hz: f64,
    /// True when the file does not state the rate and the reader used an assumed one
    /// (NumPy, CSV without a time column). The UI and `info` must say so.
    pub sample_rate_assumed: bool,
    /// Samples in physical units. NaN marks a gap or an invalid sample.
    pub samples: Vec<f32>,
    pub role: ChannelRole,
    pub role_source: RoleSource,
    /// Transducer and pre-filter text where the format has them (EDF), verbatim.
    pub transducer: String,
    pub prefilter: String,
}

impl Channel {
    /// A channel whose role is detected from its label.
    pub fn new(label: impl Into<String>, unit: impl Into<String>, sample_rate_hz: f64, samples: Vec<f32>) -> Self {
        let label = label.into();
        let role = super::roles::detect_role(&label);
        Channel {
            label,
            unit: unit.into(),
            sample_rate_hz,
            sample_rate_assumed: false,
            samples,
            role,
            role_source: RoleSource::DetectedFromLabel,
            transducer: String::new(),
            prefilter: String::new(),
        }
    }

    pub fn duration_secs(&self) -> f64 {
        if self.sample_rate_hz > 0.0 { self.samples.len() as f64 / self.sample_rate_hz } else { 0.0 }
    }

    /// Millivolts per unit of the physical dimension; `None` when the unit is not a voltage.
    pub fn millivolts_per_unit(&self) -> Option<f64> {
        match self.unit.trim() {
            "mV" | "mv" | "MV" => Some(1.0),
            "uV" | "µV" | "μV" | "uv" => Some(1e-3),
            "V" | "v" => Some(1e3),
            _ => None,
        }
    }

    /// Millivolts per unit for drawing on ECG paper, and a note when the unit is not a voltage
    /// (then the trace is drawn as if in mV, and the label must say so).
    pub fn paper_scale_mv(&self) -> (f64, Option<String>) {
        match self.millivolts_per_unit() {
            Some(s) => (s, None),
            None => (1.0, Some(format!("unit “{}” is not a voltage: drawn as if mV", self.unit))),
        }
    }

    /// The baseline to centre an ECG trace on: the median of `range`'s finite samples in mV
    /// (the isoelectric line of a raw trace is unknown); 0 without finite samples.
    pub fn median_mv(&self, range: std::ops::Range<usize>, scale_mv: f64) -> f64 {
        let finite = self.samples[range].iter().filter(|v| v.is_finite()).map(|&v| f64::from(v) * scale_mv).collect();
        crate::dsp::median(finite).unwrap_or(0.0)
    }

    /// "lead II", or "lead unknown" for an ECG without a lead name.
    pub fn lead_label(&self) -> String {
        match &self.role {
            ChannelRole::Ecg { lead: Some(l) } => format!("lead {l}"),
            _ => "lead unknown".into(),
        }
    }

    /// The filter as the file states it, for every strip label.
    pub fn filter_label(&self) -> String {
        if self.prefilter.is_empty() { "filter: as recorded".into() } else { format!("filter: {}", self.prefilter) }
    }

    /// Share of samples that are NaN (gaps, invalid values).
    pub fn nan_fraction(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        self.samples.iter().filter(|v| v.is_nan()).count() as f64 / self.samples.len() as f64
    }
}

/// A time-stamped note from the file (EDF+ TAL, later also beats and review marks on export).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub onset_secs: f64,
    pub duration_secs: Option<f64>,
    pub text: String,
}

/// A recording as read from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub source_path: PathBuf,
    pub format: Format,
    pub metadata: Metadata,
    pub channels: Vec<Channel>,
    pub annotations: Vec<Annotation>,
    /// Facts the user must be told about how the file was read ("sample rate assumed: 125 Hz").
    pub notices: Vec<String>,
}

impl Recording {
    pub fn duration_secs(&self) -> f64 {
        self.channels.iter().map(Channel::duration_secs).fold(0.0, f64::max)
    }

    /// The channel the analysis uses as PPG: the first with that role.
    pub fn ppg_channel(&self) -> Option<usize> {
        self.channels.iter().position(|c| c.role == ChannelRole::Ppg)
    }

    /// The reference ECG: lead II when present (the network was trained on lead II), else the
    /// first ECG channel.
    pub fn ecg_channel(&self) -> Option<usize> {
        let is_lead_ii = |c: &Channel| matches!(&c.role, ChannelRole::Ecg { lead: Some(l) } if l == "II");
        self.channels
            .iter()
            .position(is_lead_ii)
            .or_else(|| self.channels.iter().position(|c| matches!(c.role, ChannelRole::Ecg { .. })))
    }

    /// The user says what a channel is; the override is remembered as such.
    pub fn set_role(&mut self, channel: usize, role: ChannelRole) {
        if let Some(c) = self.channels.get_mut(channel) {
            c.role = role;
            c.role_source = RoleSource::UserOverride;
        }
    }
}
