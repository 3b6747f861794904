//! Completion in a `.stella.yaml`: what may be typed at a byte offset.
//!
//! The text is often broken while a line is being typed, so the context is not taken from
//! a parse. It comes from the lines alone: the cursor's line says whether a key or a value
//! is being typed, and the lines above, read by indentation, give the path of the mapping
//! it is in (a `key:` line less indented is its parent; a `- ` item makes the mapping a
//! list item). Only the names of declared environments come from a parse, of the text
//! with the cursor's line blanked, which is the last good parse whenever only that line is
//! broken.

use serde_json::Value;

use crate::core::actions::Document;
use crate::core::schema;
use crate::core::span::Span;
use crate::core::yaml::resolve::Segment;

/// What a completion item inserts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    /// Replaces `replace`; keeps the file's line endings and indentation.
    pub insert: String,
    /// The part of the word already typed.
    pub replace: Span,
    /// What sorts first; required keys come before the others.
    pub sort: String,
    pub detail: Option<String>,
}

/// What the caller looked up outside the text: local git branches, and the environments
/// the orchestrator's cache knows.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub branches: Vec<String>,
    pub environments: Vec<String>,
}

/// The completion items at `offset`, in no particular order (see [`Item::sort`]).
pub fn items(text: &str, offset: usize, known: &Known) -> Vec<Item> {
    let offset = crate::core::line_index::floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let before = &text[line_start..offset];
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };

    let Some(cursor) = Line::read(before) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text[..line_start].lines().collect();
    let Some(path) = path(&lines, cursor.key_column, cursor.dash.is_some()) else {
        return Vec::new();
    };

    match &cursor.key {
        Some(key) if cursor.after_colon => {
            let partial = cursor.value.as_str();
            let replace = Span { start: offset - partial.len(), end: offset };
            let mut value_path = path.clone();
            value_path.push(Segment::Key(key.clone()));
            let mut items = values(text, line_start, &value_path, replace, known);
            // Right after the colon, a value needs its space to read as one.
            if before.ends_with(':') {
                for item in &mut items {
                    item.insert.insert(0, ' ');
                }
            }
            items
        }
        _ => {
            let partial = cursor.key.as_deref().unwrap_or_default();
            let replace = Span { start: offset - partial.len(), end: offset };
            let present = siblings(text, line_start, cursor.key_column);
            let indent = " ".repeat(cursor.key_column);
            keys(&path, &present, &indent, eol, replace, known)
        }
    }
}

/// The keys allowed at `path` and not yet `present`, or the local branches under
/// `branches`.
fn keys(
    path: &[Segment],
    present: &[String],
    indent: &str,
    eol: &str,
    replace: Span,
    known: &Known,
) -> Vec<Item> {
    if let [Segment::Key(branches)] = path {
        if branches == "branches" {
            return known
                .branches
                .iter()
                .filter(|branch| !present.contains(branch))
                .map(|branch| Item {
                    label: branch.clone(),
                    insert: format!("{}:{eol}{indent}  environment: ", quoted(branch)),
                    replace,
                    sort: format!("1{branch}"),
                    detail: Some("local branch".to_owned()),
                })
                .collect();
        }
    }

    let Some(subschema) = schema::subschema(path) else {
        return Vec::new();
    };
    let required: Vec<&str> = subschema
        .get("required")
        .and_then(Value::as_array)
        .map(|all| all.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();

    schema::allowed_keys(path)
        .into_iter()
        .filter(|key| !present.contains(key))
        .map(|key| {
            let mut key_path = path.to_vec();
            key_path.push(Segment::Key(key.clone()));
            let kind = schema::subschema(&key_path)
                .and_then(|value| value.get("type"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let insert = match kind {
                "object" => format!("{key}:{eol}{indent}  "),
                "array" => format!("{key}:{eol}{indent}  - "),
                _ => format!("{key}: "),
            };
            let is_required = required.contains(&key.as_str());
            Item {
                sort: format!("{}{key}", if is_required { "0" } else { "1" }),
                detail: is_required.then(|| "required".to_owned()),
                label: key,
                insert,
                replace,
            }
        })
        .collect()
}

/// The values allowed for the key at `path`: its enum, `true` and `false` for a boolean,
/// and the environments (declared, then those on Stella) for a branch's `environment`.
fn values(
    text: &str,
    line_start: usize,
    path: &[Segment],
    replace: Span,
    known: &Known,
) -> Vec<Item> {
    let item = |value: String, detail: Option<&str>| Item {
        label: value.clone(),
        insert: value.clone(),
        replace,
        sort: value,
        detail: detail.map(str::to_owned),
    };

    if let [Segment::Key(branches), Segment::Key(_), Segment::Key(environment)] = path {
        if branches == "branches" && environment == "environment" {
            let declared = declared_environments(text, line_start);
            let on_stella = known.environments.iter().filter(|name| !declared.contains(name));
            let on_stella: Vec<Item> =
                on_stella.map(|name| item(name.clone(), Some("on Stella"))).collect();
            let mut items: Vec<Item> =
                declared.into_iter().map(|name| item(name, Some("declared environment"))).collect();
            items.extend(on_stella);
            return items;
        }
    }

    let Some(subschema) = schema::subschema(path) else {
        return Vec::new();
    };
    if let Some(choices) = subschema.get("enum").and_then(Value::as_array) {
        return choices
            .iter()
            .filter_map(Value::as_str)
            .map(|c| item(c.to_owned(), None))
            .collect();
    }
    if subschema.get("type").and_then(Value::as_str) == Some("boolean") {
        return ["true", "false"].into_iter().map(|value| item(value.to_owned(), None)).collect();
    }
    Vec::new()
}

/// The environments `auto_promote.environments` declares, read from the text with the
/// line at `line_start` blanked.
fn declared_environments(text: &str, line_start: usize) -> Vec<String> {
    let line_end = text[line_start..].find('\n').map_or(text.len(), |index| line_start + index);
    let blank = " ".repeat(text[line_start..line_end].trim_end_matches('\r').len());
    let blanked = format!("{}{blank}{}", &text[..line_start], &text[line_end..]);

    let Ok(document) = Document::read(&blanked) else {
        return Vec::new();
    };
    document
        .config
        .auto_promote
        .iter()
        .flat_map(|auto| &auto.environments)
        .map(|environment| environment.name.value.clone())
        .collect()
}

/// One line, as far as completion reads it.
#[derive(Debug)]
struct Line {
    /// The column of the first `- ` of the line, when it starts a list item.
    dash: Option<usize>,
    /// The column where the key (or the text) starts, after any `- `.
    key_column: usize,
    /// The key, or the word being typed when there is no colon yet.
    key: Option<String>,
    after_colon: bool,
    /// What follows `key: `.
    value: String,
}

impl Line {
    /// Reads a line (without its break); `None` for a comment.
    fn read(line: &str) -> Option<Line> {
        let line = line.trim_end_matches('\r');
        let mut column = line.len() - line.trim_start_matches(' ').len();
        let mut dash = None;
        while line[column..] == *"-" || line[column..].starts_with("- ") {
            dash.get_or_insert(column);
            column += 1;
            column += line[column..].len() - line[column..].trim_start_matches(' ').len();
        }

        let rest = &line[column..];
        if rest.starts_with('#') {
            return None;
        }
        let colon = rest.find(": ").or_else(|| rest.strip_suffix(':').map(str::len));
        let (key, after_colon, value) = match colon {
            Some(colon) => {
                let value = rest[colon + 1..].trim_start();
                (rest[..colon].trim(), true, value.to_owned())
            }
            None => (rest.trim_end(), false, String::new()),
        };
        let key = key.trim_matches(|c| c == '"' || c == '\'');
        let key = (!key.is_empty()).then(|| key.to_owned());
        Some(Line { dash, key_column: column, key, after_colon, value })
    }

    /// Whether the line only opens a nested collection: `key:` with nothing after it.
    fn opens(&self) -> bool {
        self.after_colon && (self.value.is_empty() || self.value.starts_with('#'))
    }
}

/// The path of the mapping whose keys start at `column`, read upwards from `lines` (those
/// above the cursor). `in_item` when the cursor's own line starts a list item.
fn path(lines: &[&str], column: usize, in_item: bool) -> Option<Vec<Segment>> {
    let mut path = Vec::new();
    let mut column = column;
    let mut sequence = in_item.then_some(column);
    if in_item {
        path.push(Segment::Index(0));
    }

    for raw in lines.iter().rev() {
        if raw.trim().is_empty() {
            continue;
        }
        let Some(line) = Line::read(raw) else {
            continue;
        };

        if let Some(dash_column) = sequence {
            // Other items of the same list, and what is inside them, are skipped.
            let dash_column = column.min(dash_column);
            if line.key_column > dash_column || line.dash.is_some_and(|dash| dash >= dash_column) {
                continue;
            }
            if !line.opens() {
                return None;
            }
            path.push(Segment::Key(line.key.clone()?));
            sequence = None;
            column = line.key_column;
            if let Some(dash) = line.dash {
                path.push(Segment::Index(0));
                sequence = Some(dash);
            }
            continue;
        }

        if line.key_column > column {
            continue;
        }
        if line.key_column == column {
            // A sibling that starts a list item: this mapping is that item.
            if let Some(dash) = line.dash {
                path.push(Segment::Index(0));
                sequence = Some(dash);
            }
            continue;
        }
        if !line.opens() {
            return None;
        }
        path.push(Segment::Key(line.key.clone()?));
        column = line.key_column;
        if let Some(dash) = line.dash {
            path.push(Segment::Index(0));
            sequence = Some(dash);
        }
    }

    path.reverse();
    Some(path)
}

/// The keys already written in the mapping whose keys start at `column`, around the line
/// at `line_start` (which is left out).
fn siblings(text: &str, line_start: usize, column: usize) -> Vec<String> {
    let line_end = text[line_start..].find('\n').map_or(text.len(), |index| line_start + index);
    let above: Vec<&str> = text[..line_start].lines().collect();
    let below: Vec<&str> = text[(line_end + 1).min(text.len())..].lines().collect();
    let current = Line::read(&text[line_start..line_end]);
    let mut keys = Vec::new();

    // Upwards, until the mapping's first key (a less indented line, or this item's dash).
    let starts_item = current.as_ref().is_some_and(|line| line.dash.is_some());
    if !starts_item {
        for raw in above.iter().rev() {
            let Some(line) = Line::read(raw).filter(|_| !raw.trim().is_empty()) else {
                continue;
            };
            if line.key_column < column {
                break;
            }
            if line.key_column == column {
                keys.extend(line.key.clone());
                if line.dash.is_some() {
                    break;
                }
            }
        }
    }

    // Downwards, until a less indented line or the next item.
    for raw in below {
        let Some(line) = Line::read(raw).filter(|_| !raw.trim().is_empty()) else {
            continue;
        };
        if line.key_column < column || (line.key_column == column && line.dash.is_some()) {
            break;
        }
        if line.key_column == column {
            keys.extend(line.key.clone());
        }
    }
    keys
}

/// A branch name as a key: quoted when YAML would not read it as plain text.
fn quoted(branch: &str) -> String {
    let plain = branch.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
    if plain {
        branch.to_owned()
    } else {
        format!("\"{branch}\"")
    }
}
