//! EDF+ Time-stamped Annotation Lists (EDF+ spec, section 2.2.2): `+onset[\x15duration]\x14text\x14…\0`.
//! The first TAL of every data record is the record's time-keeping onset, with no text.

/// One parsed TAL with its texts (empty for a time-keeping TAL).
#[derive(Debug, Clone, PartialEq)]
pub struct Tal {
    pub onset_secs: f64,
    pub duration_secs: Option<f64>,
    pub texts: Vec<String>,
}

/// The TALs of one data record's annotation bytes, and a count of malformed ones skipped.
#[derive(Debug, Default)]
pub struct RecordTals {
    pub tals: Vec<Tal>,
    pub malformed: usize,
    pub non_utf8: usize,
}

pub fn parse_record_tals(bytes: &[u8]) -> RecordTals {
    let mut out = RecordTals::default();
    // TALs end with "\x14\0"; what follows the last one is zero padding.
    for chunk in bytes.split(|&b| b == 0).filter(|c| !c.is_empty()) {
        match parse_tal(chunk) {
            Some((tal, lossy)) => {
                out.non_utf8 += usize::from(lossy);
                out.tals.push(tal);
            }
            None => out.malformed += 1,
        }
    }
    out
}

fn parse_tal(chunk: &[u8]) -> Option<(Tal, bool)> {
    if !matches!(chunk.first(), Some(b'+' | b'-')) || chunk.last() != Some(&0x14) {
        return None;
    }
    let mut parts = chunk[..chunk.len() - 1].split(|&b| b == 0x14);
    let timing = parts.next()?;
    let (onset, duration) = match timing.iter().position(|&b| b == 0x15) {
        Some(p) => (&timing[..p], Some(&timing[p + 1..])),
        None => (timing, None),
    };
    let number = |b: &[u8]| -> Option<f64> {
        let s = std::str::from_utf8(b).ok()?;
        // The spec allows only [+-]digits[.digits]: reject "inf", "1e9" and the like.
        let body = s.strip_prefix(['+', '-']).unwrap_or(s);
        if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            return None;
        }
        s.parse::<f64>().ok().filter(|v| v.is_finite())
    };
    let onset_secs = number(onset)?;
    let duration_secs = match duration {
        Some(d) => Some(number(d).filter(|v| *v >= 0.0)?),
        None => None,
    };
    let mut lossy = false;
    let texts = parts
        .filter(|t| !t.is_empty())
        .map(|t| match std::str::from_utf8(t) {
            Ok(s) => s.to_string(),
            Err(_) => {
                lossy = true;
                String::from_utf8_lossy(t).into_owned()
            }
        })
        .collect();
    Some((Tal { onset_secs, duration_secs, texts }, lossy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keeping_and_annotations() {
        let bytes = b"+0\x14\x14\0+1.5\x152\x14conformance excerpt\x14\0\0\0";
        let r = parse_record_tals(bytes);
        assert_eq!(r.malformed, 0);
        assert_eq!(r.tals.len(), 2);
        assert_eq!(r.tals[0], Tal { onset_secs: 0.0, duration_secs: None, texts: vec![] });
        assert_eq!(r.tals[1].onset_secs, 1.5);
        assert_eq!(r.tals[1].duration_secs, Some(2.0));
        assert_eq!(r.tals[1].texts, vec!["conformance excerpt".to_string()]);
    }

    #[test]
    fn garbage_is_counted_not_dropped_silently() {
        let r = parse_record_tals(b"+0\x14\x14\0garbage\x14\0+1e9\x14x\x14\0+inf\x14y\x14\0");
        assert_eq!(r.tals.len(), 1);
        assert_eq!(r.malformed, 3);
    }

    #[test]
    fn non_utf8_text_is_kept_lossily_and_counted() {
        let r = parse_record_tals(b"+0\x14\x14\0+2\x14caf\xe9\x14\0");
        assert_eq!(r.non_utf8, 1);
        assert_eq!(r.tals[1].texts[0], "caf\u{fffd}");
    }
}
