//! Completion in a `.stella.yaml`: what may be typed at a byte offset.
//!
//! The text is often broken while a line is being typed, so the context is not taken from
//! a parse. It comes from the lines alone: the cursor's line says whether a key or a value
//! is being typed, and the lines above, read by indentation, give the path of the mapping
//! it is in (a `key:` line less indented is its parent; a `- ` item makes the mapping a
//! list item). Only the names of declared environments come from a parse, of the text
//! with the cursor's line blanked, which is the last good parse whenever only that line is
//! broken.
//!
//! What the text alone cannot answer is asked for by name: [`wants_branches`] says when the
//! local branches are worth looking up, and a path value gives a [`PathQuery`] whose folder
//! the caller lists for [`path_items`]. Every insertion keeps the file's line endings and
//! its indentation step (2 or 4 spaces, as the file's first indented line has it).

use std::fmt::Write as _;

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
    /// The same insertion with tab stops (`${1:api}`), for editors that take snippets;
    /// `insert` then holds the placeholders as plain text.
    pub snippet: Option<String>,
    pub kind: Option<Kind>,
    /// The part of the word already typed.
    pub replace: Span,
    /// What sorts first; required keys come before the others.
    pub sort: String,
    pub detail: Option<String>,
}

/// What an item stands for, when it is more than a key or a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole list item to fill in.
    Snippet,
    File,
    Folder,
}

/// What the caller looked up outside the text: local git branches (needed only where
/// [`wants_branches`] says so), and the environments the orchestrator's cache knows.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub branches: Vec<String>,
    pub environments: Vec<String>,
}

/// The completion items at `offset`, in no particular order (see [`Item::sort`]). Paths
/// are not among them: see [`path_query`].
pub fn items(text: &str, offset: usize, known: &Known) -> Vec<Item> {
    let Some(cursor) = Cursor::at(text, offset) else {
        return Vec::new();
    };
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let step = " ".repeat(indent_step(text));
    let offset = cursor.offset;

    match &cursor.line.key {
        Some(key) if cursor.line.after_colon => {
            let partial = cursor.line.value.as_str();
            let replace = Span { start: offset - partial.len(), end: offset };
            let mut value_path = cursor.path.clone();
            value_path.push(Segment::Key(key.clone()));
            let mut items = values(text, cursor.line_start, &value_path, replace, known);
            // Right after the colon, a value needs its space to read as one.
            if cursor.before.ends_with(':') {
                for item in &mut items {
                    item.insert.insert(0, ' ');
                }
            }
            items
        }
        _ => {
            let partial = cursor.line.key.as_deref().unwrap_or_default();
            let replace = Span { start: offset - partial.len(), end: offset };
            let present = siblings(text, cursor.line_start, cursor.line.key_column);
            let layout = Layout { indent: " ".repeat(cursor.line.key_column), step, eol };
            let mut items = keys(&cursor.path, &present, &layout, replace, known);
            if present.is_empty() {
                items.extend(list_item(&cursor, &layout, replace));
            }
            items
        }
    }
}

/// Whether the cursor is where a branch name is typed (a new key under `branches`), the
/// only place [`Known::branches`] is used.
pub fn wants_branches(text: &str, offset: usize) -> bool {
    let Some(cursor) = Cursor::at(text, offset) else {
        return false;
    };
    let typing_key = !(cursor.line.key.is_some() && cursor.line.after_colon);
    typing_key && matches!(cursor.path.as_slice(), [Segment::Key(key)] if key == "branches")
}

/// The cursor's line and where it sits.
struct Cursor<'a> {
    /// The cursor, moved back to a char boundary.
    offset: usize,
    line_start: usize,
    /// The cursor's line up to the cursor.
    before: &'a str,
    line: Line,
    /// The path of the mapping the cursor's line belongs to.
    path: Vec<Segment>,
}

impl Cursor<'_> {
    fn at(text: &str, offset: usize) -> Option<Cursor<'_>> {
        let offset = crate::core::line_index::floor_char_boundary(text, offset.min(text.len()));
        let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
        let before = &text[line_start..offset];

        let line = Line::read(before)?;
        let path = path(text[..line_start].lines().rev(), line.key_column, line.dash)?;
        Some(Cursor { offset, line_start, before, line, path })
    }
}

/// How inserted lines are laid out: the cursor's indentation, the file's indentation step
/// and its line break.
struct Layout<'a> {
    indent: String,
    step: String,
    eol: &'a str,
}

/// The file's indentation step: the indentation of its first indented line (1 to 8
/// spaces), else 2.
fn indent_step(text: &str) -> usize {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|line| line.len() - line.trim_start_matches(' ').len())
        .find(|&indent| indent > 0)
        .map_or(2, |indent| indent.min(8))
}

/// The keys allowed at `path` and not yet `present`, or the local branches under
/// `branches`.
fn keys(
    path: &[Segment],
    present: &[String],
    layout: &Layout,
    replace: Span,
    known: &Known,
) -> Vec<Item> {
    let Layout { indent, step, eol } = layout;
    if let [Segment::Key(branches)] = path {
        if branches == "branches" {
            return known
                .branches
                .iter()
                .filter(|branch| !present.contains(branch))
                .map(|branch| Item {
                    label: branch.clone(),
                    insert: format!("{}:{eol}{indent}{step}environment: ", quoted(branch)),
                    snippet: None,
                    kind: None,
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
                "object" => format!("{key}:{eol}{indent}{step}"),
                "array" => format!("{key}:{eol}{indent}{step}- "),
                _ => format!("{key}: "),
            };
            let is_required = required.contains(&key.as_str());
            Item {
                sort: format!("{}{key}", if is_required { "0" } else { "1" }),
                detail: is_required.then(|| "required".to_owned()),
                label: key,
                insert,
                snippet: None,
                kind: None,
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
        snippet: None,
        kind: None,
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

/// A whole new item of `components` or `auto_promote.environments`, its required keys
/// filled with the schema's first examples: on a `- ` line with no key yet, or, with its
/// `- `, on a line of the list that has none.
fn list_item(cursor: &Cursor, layout: &Layout, replace: Span) -> Option<Item> {
    let (list, dash) = match cursor.path.split_last() {
        Some((Segment::Index(_), list)) if cursor.line.dash.is_some() => (list, ""),
        _ if cursor.line.dash.is_none() => (cursor.path.as_slice(), "- "),
        _ => return None,
    };
    let noun = match list {
        [Segment::Key(components)] if components == "components" => "component",
        [Segment::Key(auto_promote), Segment::Key(environments)]
            if auto_promote == "auto_promote" && environments == "environments" =>
        {
            "environment"
        }
        _ => return None,
    };
    let mut item_path = list.to_vec();
    item_path.push(Segment::Index(0));
    let subschema = schema::subschema(&item_path)?;
    let properties = subschema.get("properties")?;
    let required: Vec<&str> =
        subschema.get("required")?.as_array()?.iter().filter_map(Value::as_str).collect();

    // The keys after the first line up with it, after the `- `.
    let indent =
        if dash.is_empty() { layout.indent.clone() } else { format!("{}  ", layout.indent) };
    let mut insert = dash.to_owned();
    let mut snippet = dash.to_owned();
    for (index, key) in required.iter().enumerate() {
        let stop = index + 1;
        let example = properties
            .get(key)
            .and_then(|property| property.get("examples"))
            .and_then(Value::as_array)
            .and_then(|examples| examples.first());
        let (plain, tab_stop) = match example {
            // A new item never switches an option on by itself, whatever the example says:
            // `false` comes first, as in the quick fixes.
            Some(Value::Bool(_)) => ("false".to_owned(), format!("${{{stop}|false,true|}}")),
            Some(Value::String(text)) => (text.clone(), format!("${{{stop}:{}}}", escaped(text))),
            _ => (String::new(), format!("${stop}")),
        };
        let separator = if index == 0 { String::new() } else { format!("{}{indent}", layout.eol) };
        let _ = write!(insert, "{separator}{key}: {plain}");
        let _ = write!(snippet, "{separator}{key}: {tab_stop}");
    }

    Some(Item {
        label: noun.to_owned(),
        insert,
        snippet: Some(snippet),
        kind: Some(Kind::Snippet),
        replace,
        sort: format!("00{noun}"),
        detail: Some(format!("new {noun}: {}", required.join(", "))),
    })
}

/// Text for a snippet placeholder, with the characters snippets give a meaning escaped.
fn escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '$' | '}' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The keys whose values are paths next to the `.stella.yaml`, as the `missing-path` rule
/// reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKey {
    /// A component's `dockerfile`: a file.
    Dockerfile,
    /// A component's `build_context`: a folder.
    BuildContext,
    /// An environment's `test_workflow`: a file, usually YAML.
    TestWorkflow,
}

/// A path being typed as the value of `dockerfile`, `build_context` or `test_workflow`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathQuery {
    pub key: PathKey,
    /// The folder typed so far, up to its last `/` (`docker/`, `../`, or empty for the
    /// folder of the `.stella.yaml` itself), relative to the folder of the `.stella.yaml`.
    pub folder: String,
    /// The name typed after the folder, which the items replace.
    pub replace: Span,
    /// The quote the value opens with, if any.
    quote: Option<char>,
    /// Whether the cursor is right after the colon, so that a value needs its space.
    space: bool,
}

/// One entry of a folder the caller listed for a [`PathQuery`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_folder: bool,
}

/// What the disk must be asked for when the cursor is in a path value; `None` elsewhere,
/// and for an absolute path (the paths are relative to the file) or a closed quote.
pub fn path_query(text: &str, offset: usize) -> Option<PathQuery> {
    let cursor = Cursor::at(text, offset)?;
    let key = cursor.line.key.as_deref().filter(|_| cursor.line.after_colon)?;
    let key = match (cursor.path.as_slice(), key) {
        ([Segment::Key(list), Segment::Index(_)], "dockerfile") if list == "components" => {
            PathKey::Dockerfile
        }
        ([Segment::Key(list), Segment::Index(_)], "build_context") if list == "components" => {
            PathKey::BuildContext
        }
        ([Segment::Key(auto_promote), Segment::Key(list), Segment::Index(_)], "test_workflow")
            if auto_promote == "auto_promote" && list == "environments" =>
        {
            PathKey::TestWorkflow
        }
        _ => return None,
    };

    let value = cursor.line.value.as_str();
    let quote = value.chars().next().filter(|&c| c == '"' || c == '\'');
    let typed = if quote.is_some() { &value[1..] } else { value };
    let closed = quote.is_some_and(|quote| typed.contains(quote));
    let commented = quote.is_none() && typed.contains(" #");
    if closed || commented || typed.starts_with('/') {
        return None;
    }

    let folder_end = typed.rfind('/').map_or(0, |index| index + 1);
    let name = &typed[folder_end..];
    Some(PathQuery {
        key,
        folder: typed[..folder_end].to_owned(),
        replace: Span { start: cursor.offset - name.len(), end: cursor.offset },
        quote,
        space: cursor.before.ends_with(':'),
    })
}

/// The items for the entries of the folder `query` names: folders with a trailing `/`,
/// files (none for `build_context`), `.git` left out, and for `test_workflow` the YAML
/// files first. A name that plain YAML would misread where it starts an unquoted value is
/// written in double quotes; any other name that could not be written inside the value as
/// it is quoted is left out.
pub fn path_items(query: &PathQuery, entries: &[Entry]) -> Vec<Item> {
    entries
        .iter()
        .filter(|entry| entry.name != ".git")
        .filter(|entry| entry.is_folder || query.key != PathKey::BuildContext)
        .filter_map(|entry| Some((entry, written_name(query, &entry.name)?)))
        .map(|(entry, quoted)| {
            let extension = std::path::Path::new(&entry.name).extension();
            let workflow = extension.is_some_and(|extension| {
                extension.eq_ignore_ascii_case("yml") || extension.eq_ignore_ascii_case("yaml")
            });
            let rank = match (query.key, entry.is_folder) {
                (PathKey::TestWorkflow, false) if workflow => 0,
                (PathKey::TestWorkflow, false) => 2,
                _ => 1,
            };
            let label =
                if entry.is_folder { format!("{}/", entry.name) } else { entry.name.clone() };
            let written = if quoted { format!("\"{label}\"") } else { label.clone() };
            Item {
                insert: if query.space { format!(" {written}") } else { written },
                snippet: None,
                kind: Some(if entry.is_folder { Kind::Folder } else { Kind::File }),
                replace: query.replace,
                sort: format!("{rank}{label}"),
                detail: None,
                label,
            }
        })
        .collect()
}

/// How `name` is written where `query` types it: as it is (`Some(false)`), in double
/// quotes (`Some(true)`, where it starts an unquoted value that plain YAML would misread),
/// or not at all (`None`).
fn written_name(query: &PathQuery, name: &str) -> Option<bool> {
    if writable(query, name) {
        return Some(false);
    }
    let quotable = query.quote.is_none() && query.folder.is_empty();
    let plain_in_quotes = !name.contains(['"', '\\']) && !name.chars().any(char::is_control);
    (quotable && plain_in_quotes).then_some(true)
}

/// Whether `name` can be written where `query` types it without ending or changing the
/// scalar.
fn writable(query: &PathQuery, name: &str) -> bool {
    // A line break or another control character would end or fold the value.
    if name.chars().any(char::is_control) {
        return false;
    }
    match query.quote {
        Some('"') => !name.contains(['"', '\\']),
        Some(_) => !name.contains('\''),
        None => {
            // An indicator only matters where the name starts the value.
            let starts_scalar = query.folder.is_empty();
            let indicator = name.starts_with([
                '*', '&', '!', '|', '>', '%', '@', '`', '"', '\'', '{', '[', '#', ',',
            ]);
            let breaks = name.contains(": ") || name.contains(" #") || name.ends_with(':');
            // `- `, `? ` and `: ` start a list item, a key and a value, not text.
            let marker = ["- ", "? ", ": "].iter().any(|marker| name.starts_with(marker))
                || matches!(name, "-" | "?" | ":");
            !(breaks || starts_scalar && (indicator || marker))
        }
    }
}

/// The environments `auto_promote.environments` declares, read from the text with the
/// line at `line_start` blanked. Only the top-level `auto_promote:` block is parsed when it
/// reads on its own, which keeps this cheap in a file of thousands of components; else
/// (an alias into the rest of the file, a flow-style document) the whole text is.
fn declared_environments(text: &str, line_start: usize) -> Vec<String> {
    let line_end = text[line_start..].find('\n').map_or(text.len(), |index| line_start + index);
    let blank = " ".repeat(text[line_start..line_end].trim_end_matches('\r').len());
    let blanked = format!("{}{blank}{}", &text[..line_start], &text[line_end..]);

    let block = top_level_block(&blanked, "auto_promote");
    let document = match block.map(|block| Document::read(&blanked[block.range()])) {
        Some(Ok(document)) => document,
        _ => match Document::read(&blanked) {
            Ok(document) => document,
            Err(_) => return Vec::new(),
        },
    };
    document
        .config
        .auto_promote
        .iter()
        .flat_map(|auto| &auto.environments)
        .map(|environment| environment.name.value.clone())
        .collect()
}

/// The lines of the top-level block `key:` (from its key to the next line that starts in
/// column 0 with anything but a comment), when the text has exactly one such key.
fn top_level_block(text: &str, key: &str) -> Option<Span> {
    let mut block: Option<Span> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let starts_block = line
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with(':'));
        let top_level = !line.starts_with([' ', '\t', '#', '\r', '\n']);
        if starts_block {
            if block.is_some() {
                return None;
            }
            block = Some(Span::new(offset, offset + line.len()));
        } else if let Some(span) = block.as_mut().filter(|span| span.end == offset && !top_level) {
            span.end += line.len();
        }
        offset += line.len();
    }
    block
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

/// The path of the mapping whose keys start at `column`, read from `lines_upwards` (those
/// above the cursor, nearest first) until the top level is reached. `dash` is the column
/// of the `- ` when the cursor's own line starts a list item.
fn path<'a>(
    lines_upwards: impl Iterator<Item = &'a str>,
    column: usize,
    dash: Option<usize>,
) -> Option<Vec<Segment>> {
    let mut path = Vec::new();
    let mut column = column;
    let mut sequence = dash;
    if dash.is_some() {
        path.push(Segment::Index(0));
    }

    for raw in lines_upwards {
        // At the top level, the lines further up are its siblings: nothing more to learn.
        if column == 0 && sequence.is_none() {
            break;
        }
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
    let above = text[..line_start].lines().rev();
    let below = text[(line_end + 1).min(text.len())..].lines();
    let current = Line::read(&text[line_start..line_end]);
    let mut keys = Vec::new();

    // Upwards, until the mapping's first key (a less indented line, or this item's dash).
    let starts_item = current.as_ref().is_some_and(|line| line.dash.is_some());
    if !starts_item {
        for raw in above {
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
