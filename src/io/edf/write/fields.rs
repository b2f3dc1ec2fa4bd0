//! Text of the fixed-width header fields. The EDF spec allows printable US-ASCII only, left
//! aligned and space padded, and numbers without exponents; our reader and edfplus both refuse
//! or misread anything else, so every string here is made to fit before it is placed.

use crate::io::StartDateTime;

/// Width of the numeric fields (physical/digital extremes, record count, record duration).
pub const NUMBER_WIDTH: usize = 8;

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// Printable ASCII: 'µ' and 'μ' become 'u' (the EDF spelling of "uV"), white space a space,
/// anything else outside 0x20..=0x7e '?', so that a reader sees that something was there.
pub fn printable_ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'µ' | 'μ' => 'u',
            ' '..='~' => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect()
}

/// At most `width` characters of already-ASCII text.
pub fn truncated(text: &str, width: usize) -> &str {
    &text[..text.len().min(width)]
}

/// A label, unit or other short field as the reader will give it back: printable, cut to
/// `width`, without the surrounding spaces the reader trims.
pub fn short_field(text: &str, width: usize) -> String {
    let ascii = printable_ascii(text);
    truncated(ascii.trim(), width).trim_end().to_string()
}

/// Appends `text` left-aligned and space-padded to exactly `width` bytes (cut if longer, which
/// callers avoid, so that a header is never misaligned).
pub fn put(out: &mut Vec<u8>, text: &str, width: usize) {
    let bytes = &text.as_bytes()[..text.len().min(width)];
    out.extend_from_slice(bytes);
    out.resize(out.len() + width - bytes.len(), b' ');
}

/// `value` rounded away from the data (down for a minimum, `up` for a maximum) to the most
/// decimals that fit [`NUMBER_WIDTH`] characters, so that every sample stays inside the range
/// a reader parses back. `None` when even the integer part does not fit.
pub fn outward(value: f64, up: bool) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    (0..=7).rev().find_map(|decimals: i32| {
        let scale = 10f64.powi(decimals);
        let mut units = if up { (value * scale).ceil() } else { (value * scale).floor() };
        if !units.is_finite() || units.abs() >= 1e15 {
            return None;
        }
        // `value * scale` can round across an integer; one unit further out repairs that.
        for _ in 0..2 {
            let text = trimmed(format!("{:.*}", decimals as usize, units / scale));
            let back: f64 = text.parse().ok()?;
            let outside = if up { back >= value } else { back <= value };
            if outside {
                return (text.len() <= NUMBER_WIDTH).then_some(text);
            }
            units += if up { 1.0 } else { -1.0 };
        }
        None
    })
}

/// Seconds for a TAL: sign, up to 7 decimals (the 100 ns resolution edfplus keeps), trailing
/// zeros trimmed ("+0.5", "-2", "+12.0000001").
pub fn tal_seconds(value: f64) -> String {
    let text = trimmed(format!("{value:+.7}"));
    // `trimmed` drops the sign of a zero, which a TAL onset must keep.
    if text.starts_with(['+', '-']) { text } else { format!("+{text}") }
}

/// A TAL duration: like [`tal_seconds`] without a sign (durations are never negative).
pub fn tal_duration(value: f64) -> String {
    trimmed(format!("{value:.7}"))
}

/// Drops trailing zeros after the decimal point, the point itself when nothing follows, and the
/// sign of a zero.
fn trimmed(mut text: String) -> String {
    if text.contains('.') {
        let keep = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(keep);
    }
    if text == "-0" { "0".into() } else { text }
}

/// A record duration for the header ("1", "0.25").
pub fn seconds_field(value: f64) -> String {
    trimmed(format!("{value:.7}"))
}

/// The patient field: kept verbatim when it already has the EDF+ sub-fields (code, sex,
/// birthdate, name, separated by spaces), else "X X X <name>" with the text as the name.
pub fn patient_identification(patient: &str) -> String {
    let patient = patient.trim();
    if is_clean(patient) && patient.split_whitespace().count() >= 4 {
        return patient.to_string();
    }
    let name: String = printable_ascii(patient).chars().map(|c| if c == ' ' { '_' } else { c }).collect();
    let name = if name.is_empty() { "X" } else { truncated(&name, 80 - "X X X ".len()) };
    format!("X X X {name}")
}

/// The recording field: kept when it is already EDF+ ("Startdate …"), else built from the start.
pub fn recording_identification(recording: &str, start: Option<&StartDateTime>) -> String {
    let recording = recording.trim();
    if recording.starts_with("Startdate ") {
        return truncated(&printable_ascii(recording), 80).to_string();
    }
    match start {
        Some(s) => {
            let month = usize::from(s.month).checked_sub(1).and_then(|m| MONTHS.get(m)).unwrap_or(&"X");
            format!("Startdate {:02}-{month}-{:04} X X X", s.day, s.year)
        }
        None => "Startdate X X X X".into(),
    }
}

/// Header start date and time ("dd.mm.yy", "hh.mm.ss"); 01.01.85 00.00.00 when unknown, the
/// EDF+ spec's placeholder.
pub fn start_fields(start: Option<&StartDateTime>) -> (String, String) {
    match start {
        Some(s) => (
            format!("{:02}.{:02}.{:02}", s.day, s.month, s.year.rem_euclid(100)),
            format!("{:02}.{:02}.{:02}", s.hour, s.minute, s.second),
        ),
        None => ("01.01.85".into(), "00.00.00".into()),
    }
}

/// Why a start cannot be written, or `None` when it can.
pub fn start_problem(s: &StartDateTime) -> Option<&'static str> {
    if !(0..=9999).contains(&s.year) {
        Some("the year must have four digits")
    } else if !(1..=12).contains(&s.month) || !(1..=31).contains(&s.day) {
        Some("not a calendar date")
    } else if s.hour > 23 || s.minute > 59 || s.second > 59 || s.nanosecond >= 1_000_000_000 {
        Some("not a time of day")
    } else {
        None
    }
}

fn is_clean(text: &str) -> bool {
    text.len() <= 80 && text.bytes().all(|b| (0x20..=0x7e).contains(&b))
}
