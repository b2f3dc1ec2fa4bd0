//! Channel roles from labels, as monitors and archives spell them: "Pleth", "PLETH", "PPG",
//! "SpO2 pleth" are PPG; "II", "ECG II", "ECG lead II", "EKG", "MLII", "V5" are ECG leads.

use super::recording::ChannelRole;

/// Leads as they are conventionally written, matched case-insensitively.
const LEADS: [&str; 14] = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "V", "MCL"];

/// Detects a channel's role from its label, case-insensitively.
pub fn detect_role(label: &str) -> ChannelRole {
    let lower = label.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has_word = |w: &str| words.contains(&w);

    // A model's output written back into a file (our EDF+ export's "GENERATED ECG") is never a
    // recorded signal: it must not become the reference ECG or the PPG of a later analysis.
    if has_word("generated") || has_word("synthetic") {
        return ChannelRole::Other;
    }
    if has_word("ppg") || has_word("pleth") || has_word("plethysmogram") || lower.contains("pleth") || has_word("pulse") && has_word("oximetry") || has_word("bvp") {
        return ChannelRole::Ppg;
    }
    let ecg_word = has_word("ecg") || has_word("ekg");
    // "MLII" (modified lead II, MIT-BIH) and "ML2" name lead II.
    if has_word("mlii") || has_word("ml2") {
        return ChannelRole::Ecg { lead: Some("II".into()) };
    }
    // "ECG2", "ECGII" glue the lead to the word.
    let glued_lead = words.iter().find_map(|w| {
        let rest = w.strip_prefix("ecg").or_else(|| w.strip_prefix("ekg"))?;
        lead_name(rest).or_else(|| roman_from_digit(rest))
    });
    if glued_lead.is_some() {
        return ChannelRole::Ecg { lead: glued_lead };
    }
    let lead = words.iter().rev().find_map(|w| lead_name(w));
    // A bare lead name is an ECG only when it is the whole label ("II", "V5", "aVR"):
    // "I" alone inside a longer label ("Resp I") is not a lead.
    let bare_lead = words.len() == 1 && lead.is_some();
    if ecg_word || bare_lead || (lead.is_some() && words.contains(&"lead")) {
        return ChannelRole::Ecg { lead };
    }
    ChannelRole::Other
}

fn lead_name(word: &str) -> Option<String> {
    LEADS.iter().find(|l| l.eq_ignore_ascii_case(word)).map(|l| (*l).to_string())
}

fn roman_from_digit(word: &str) -> Option<String> {
    match word {
        "1" => Some("I".into()),
        "2" => Some("II".into()),
        "3" => Some("III".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecg(lead: &str) -> ChannelRole {
        ChannelRole::Ecg { lead: Some(lead.into()) }
    }

    #[test]
    fn ppg_labels_seen_in_real_files() {
        for label in ["PPG", "Pleth", "PLETH", "pleth", "SpO2 pleth", "Fingertip PPG", "BVP", "ppg"] {
            assert_eq!(detect_role(label), ChannelRole::Ppg, "{label}");
        }
    }

    #[test]
    fn ecg_labels_seen_in_real_files() {
        assert_eq!(detect_role("II"), ecg("II"));
        assert_eq!(detect_role("GENERATED ECG"), ChannelRole::Other, "our export's model output is never a recorded ECG");
        assert_eq!(detect_role("ECG II"), ecg("II"));
        assert_eq!(detect_role("ECG lead II"), ecg("II"));
        assert_eq!(detect_role("ecg ii"), ecg("II"));
        assert_eq!(detect_role("MLII"), ecg("II"));
        assert_eq!(detect_role("ECG2"), ecg("II"));
        assert_eq!(detect_role("AVR"), ecg("aVR"));
        assert_eq!(detect_role("V"), ecg("V"));
        assert_eq!(detect_role("V5"), ecg("V5"));
        assert_eq!(detect_role("MCL"), ecg("MCL"));
        assert_eq!(detect_role("ECG"), ChannelRole::Ecg { lead: None });
        assert_eq!(detect_role("EKG"), ChannelRole::Ecg { lead: None });
    }

    #[test]
    fn other_labels_are_other() {
        for label in ["RESP", "resp", "ABP", "CVP", "Time [s]", "RSP", "SpO2", "Resp I", "EDF Annotations"] {
            assert_eq!(detect_role(label), ChannelRole::Other, "{label}");
        }
    }
}
