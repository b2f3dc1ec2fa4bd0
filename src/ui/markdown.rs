//! Just enough Markdown for the model card and the data notices in Help → About: headings,
//! paragraphs, bullets and pipe tables. Emphasis and code marks are dropped rather than shown
//! raw; links keep their text. The full documents ship beside the app for anything finer.

use egui::{RichText, Ui};

enum Block {
    Heading(usize, String),
    Paragraph(String),
    Bullet(String),
    Table(Vec<Vec<String>>),
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut paragraph = String::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    let flush = |out: &mut Vec<Block>, paragraph: &mut String, table: &mut Vec<Vec<String>>| {
        if !paragraph.is_empty() {
            out.push(Block::Paragraph(std::mem::take(paragraph)));
        }
        if !table.is_empty() {
            out.push(Block::Table(std::mem::take(table)));
        }
    };
    let mut in_code = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush(&mut out, &mut paragraph, &mut table);
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push(Block::Paragraph(format!("    {line}")));
            continue;
        }
        if trimmed.starts_with('|') {
            if !paragraph.is_empty() {
                out.push(Block::Paragraph(std::mem::take(&mut paragraph)));
            }
            let cells: Vec<String> = trimmed.trim_matches('|').split('|').map(|c| inline(c.trim())).collect();
            // The header's underline row (| --- | :-: |) carries no text.
            if !cells.iter().all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':'))) {
                table.push(cells);
            }
            continue;
        }
        if !table.is_empty() {
            out.push(Block::Table(std::mem::take(&mut table)));
        }
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            flush(&mut out, &mut paragraph, &mut table);
            out.push(Block::Heading(hashes, inline(trimmed[hashes..].trim())));
        } else if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            flush(&mut out, &mut paragraph, &mut table);
            out.push(Block::Bullet(inline(item)));
        } else if trimmed.is_empty() {
            flush(&mut out, &mut paragraph, &mut table);
        } else if paragraph.is_empty() && matches!(out.last(), Some(Block::Bullet(_))) && line.starts_with("  ") {
            // A wrapped bullet continues the bullet.
            if let Some(Block::Bullet(b)) = out.last_mut() {
                b.push(' ');
                b.push_str(&inline(trimmed));
            }
        } else {
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(&inline(trimmed));
        }
    }
    flush(&mut out, &mut paragraph, &mut table);
    out
}

/// Drops `**` / `*` emphasis and backticks (underscores stay: identifiers have them); `[text](url)` becomes `text (url)` for external
/// addresses (the app does not open them: it never reaches the network) and `text` otherwise.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let Some(close) = rest[start..].find("](").map(|i| start + i) else { break };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else { break };
        out.push_str(&rest[..start]);
        let (label, url) = (&rest[start + 1..close], &rest[close + 2..end]);
        out.push_str(label);
        if url.starts_with("http") {
            out.push_str(&format!(" ({url})"));
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.replace('*', "").replace('`', "")
}

pub fn show(ui: &mut Ui, text: &str) {
    for (i, block) in blocks(text).into_iter().enumerate() {
        match block {
            Block::Heading(1, t) => {
                ui.heading(t);
            }
            Block::Heading(_, t) => {
                ui.add_space(6.0);
                ui.label(RichText::new(t).strong().size(15.0));
            }
            Block::Paragraph(t) => {
                ui.label(t);
            }
            Block::Bullet(t) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label("•");
                    ui.label(t);
                });
            }
            Block::Table(rows) => {
                // Wide tables scroll sideways; the text around them wraps to the window.
                egui::ScrollArea::horizontal().id_salt(("md-table-scroll", i)).show(ui, |ui| {
                    egui::Grid::new(("md-table", i)).striped(true).show(ui, |ui| {
                        for (r, row) in rows.iter().enumerate() {
                            for cell in row {
                                if r == 0 { ui.strong(cell) } else { ui.label(cell) };
                            }
                            ui.end_row();
                        }
                    });
                });
            }
        }
        ui.add_space(2.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_tables_bullets_and_paragraphs_are_told_apart() {
        let text = "# Card\n\n**Not a diagnostic device.** *Read*\nthis.\n\n| a | b |\n| --- | :-: |\n| `x` | [y](http://e.org) |\n\n- one\n  more\n- two\n\n## Next\n";
        let b = blocks(text);
        assert!(matches!(&b[0], Block::Heading(1, t) if t == "Card"));
        assert!(matches!(&b[1], Block::Paragraph(t) if t == "Not a diagnostic device. Read this."));
        assert!(matches!(&b[2], Block::Table(rows) if rows == &vec![vec!["a".to_string(), "b".into()], vec!["x".into(), "y (http://e.org)".into()]]));
        assert!(matches!(&b[3], Block::Bullet(t) if t == "one more"));
        assert!(matches!(&b[4], Block::Bullet(t) if t == "two"));
        assert!(matches!(&b[5], Block::Heading(2, t) if t == "Next"));
        assert_eq!(b.len(), 6);
    }

    #[test]
    fn the_shipped_model_card_parses_into_its_sections() {
        let card = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/README.md")).unwrap();
        let headings: Vec<String> = blocks(&card).into_iter().filter_map(|b| if let Block::Heading(_, t) = b { Some(t) } else { None }).collect();
        assert!(headings.iter().any(|h| h.starts_with("Model card")), "{headings:?}");
        assert!(headings.len() >= 5, "{headings:?}");
    }
}
