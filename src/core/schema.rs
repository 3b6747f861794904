//! The schema stage: validates the resolved document against its format's schema
//! (`schemas/stella.schema.json` or `schemas/stella-config.schema.json`) and puts every
//! error on the exact key or value it concerns.
//!
//! Each validator is compiled once per process. Placement: an unknown key goes on the key;
//! a wrong type or value on the value (on the key when there is no value token); a missing
//! key on the key whose mapping lacks it, or on the `-` of a list item. An error in a value
//! that was merged in (`<<`) or reached through an alias is reported once, at the written
//! source, with related information at each place that pulled it in.

use std::collections::HashMap;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::core::diagnostic::{Code, Diagnostic};
use crate::core::span::Span;
use crate::core::suggest;
use crate::core::yaml::resolve::{self, Located, Segment};
use crate::core::yaml::{NodeId, NodeKind, ScalarStyle, Tree};
use crate::core::Format;

/// The parsed schema document of `.stella.yaml`.
pub fn schema() -> &'static Value {
    schema_for(Format::Stella)
}

/// The parsed schema document of `format`.
///
/// # Panics
/// Only if the embedded schema is not JSON, which the tests rule out.
pub fn schema_for(format: Format) -> &'static Value {
    static STELLA: OnceLock<Value> = OnceLock::new();
    static GLOBAL_CONFIG: OnceLock<Value> = OnceLock::new();
    let cell = match format {
        Format::Stella => &STELLA,
        Format::GlobalConfig => &GLOBAL_CONFIG,
    };
    cell.get_or_init(|| {
        serde_json::from_str(format.schema()).expect("the embedded schema is valid JSON")
    })
}

fn compile(schema: &Value) -> Validator {
    jsonschema::draft202012::new(schema).expect("the embedded schema is a valid 2020-12 schema")
}

/// The validator of whole `.stella.yaml` documents.
pub fn document_validator() -> &'static Validator {
    validator_for(Format::Stella)
}

/// The validator of whole documents of `format`.
pub fn validator_for(format: Format) -> &'static Validator {
    static STELLA: OnceLock<Validator> = OnceLock::new();
    static GLOBAL_CONFIG: OnceLock<Validator> = OnceLock::new();
    let cell = match format {
        Format::Stella => &STELLA,
        Format::GlobalConfig => &GLOBAL_CONFIG,
    };
    cell.get_or_init(|| compile(schema_for(format)))
}

/// The long collections of a document, which the incremental analysis splits into units
/// (one list item or mapping entry each) and validates on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    Components,
    Environments,
    Branches,
    IgnorePaths,
}

impl Section {
    pub const ALL: [Section; 4] =
        [Section::Components, Section::Environments, Section::Branches, Section::IgnorePaths];

    /// Where the collection sits in the document.
    pub fn path(self) -> Vec<Segment> {
        let keys: &[&str] = match self {
            Section::Components => &["components"],
            Section::Environments => &["auto_promote", "environments"],
            Section::Branches => &["branches"],
            Section::IgnorePaths => &["ignore_paths"],
        };
        keys.iter().map(|key| Segment::Key((*key).to_owned())).collect()
    }

    /// A list (its units are items) or a mapping (its units are entries).
    pub fn is_list(self) -> bool {
        self != Section::Branches
    }

    /// The JSON pointer of the collection's schema.
    fn pointer(self) -> &'static str {
        match self {
            Section::Components => "/properties/components",
            Section::Environments => "/properties/auto_promote/properties/environments",
            Section::Branches => "/properties/branches",
            Section::IgnorePaths => "/properties/ignore_paths",
        }
    }

    /// A schema for a collection of one unit: what the document's schema says of each
    /// item or entry, without the collection-wide constraints (those stay with the
    /// skeleton).
    fn unit_schema(self) -> Value {
        let collection = schema().pointer(self.pointer()).expect("the section is in the schema");
        let mut unit = serde_json::json!({ "$defs": schema()["$defs"].clone() });
        for keyword in ["type", "items", "additionalProperties", "propertyNames"] {
            if let Some(value) = collection.get(keyword) {
                unit[keyword] = value.clone();
            }
        }
        unit
    }
}

/// The validator for a collection of one unit of `section`.
pub fn unit_validator(section: Section) -> &'static Validator {
    static VALIDATORS: OnceLock<Vec<Validator>> = OnceLock::new();
    let validators = VALIDATORS.get_or_init(|| {
        Section::ALL.iter().map(|section| compile(&section.unit_schema())).collect()
    });
    &validators[Section::ALL.iter().position(|candidate| *candidate == section).unwrap_or(0)]
}

/// The validator of a document whose units in the `split` sections are replaced by
/// placeholders: the document's schema with those sections' unit schemas replaced by `true`.
pub fn skeleton_validator(split: &[Section]) -> &'static Validator {
    static VALIDATORS: [OnceLock<Validator>; 16] = [const { OnceLock::new() }; 16];
    let mask = split.iter().fold(0, |mask, section| mask | (1 << (*section as usize)));
    VALIDATORS[mask].get_or_init(|| {
        let mut skeleton = schema().clone();
        for section in split.iter().copied() {
            let Some(collection) =
                skeleton.pointer_mut(section.pointer()).and_then(Value::as_object_mut)
            else {
                continue;
            };
            for keyword in ["items", "additionalProperties"] {
                if collection.contains_key(keyword) {
                    collection.insert(keyword.to_owned(), Value::Bool(true));
                }
            }
            collection.remove("propertyNames");
        }
        compile(&skeleton)
    })
}

/// A value as validation sees it: its resolved JSON and the tree it came from.
pub struct Instance<'a> {
    pub tree: &'a Tree,
    /// `None` for an empty document, which is validated as an empty mapping.
    pub root: Option<NodeId>,
    pub value: &'a Value,
    pub text: &'a str,
    /// Where `root` sits in the document: empty for a whole document, the section's path
    /// for a unit. Messages and schema look-ups use the full path.
    pub prefix: &'a [Segment],
    pub validator: &'static Validator,
    /// Whose schema names the allowed keys in did-you-mean suggestions.
    pub format: Format,
    /// Finds the nodes errors are about; shared by all the errors of one validation.
    pub locator: resolve::Locator<'a>,
}

impl<'a> Instance<'a> {
    /// A whole `.stella.yaml` document.
    pub fn document(
        tree: &'a Tree,
        root: Option<NodeId>,
        value: &'a Value,
        text: &'a str,
    ) -> Instance<'a> {
        Instance::document_of(Format::Stella, tree, root, value, text)
    }

    /// A whole document of `format`.
    pub fn document_of(
        format: Format,
        tree: &'a Tree,
        root: Option<NodeId>,
        value: &'a Value,
        text: &'a str,
    ) -> Instance<'a> {
        Instance {
            tree,
            root,
            value,
            text,
            prefix: &[],
            validator: validator_for(format),
            format,
            locator: resolve::Locator::new(tree, true),
        }
    }
}

/// Every schema error of the document, placed and deduplicated, sorted by position.
pub fn diagnostics(instance: &Instance<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Unique::default();
    // The missing keys of each mapping, in the order the mappings were first reported.
    let mut missing: Vec<(Vec<Segment>, Vec<String>)> = Vec::new();
    let mut missing_index: HashMap<Vec<Segment>, usize> = HashMap::new();

    for error in instance.validator.iter_errors(instance.value) {
        let mut path = instance.prefix.to_vec();
        path.extend(segments(error.instance_path().segments()));
        if let ValidationErrorKind::Required { property } = error.kind() {
            let property = property.as_str().unwrap_or_default().to_owned();
            if let Some(&index) = missing_index.get(&path) {
                missing[index].1.push(property);
            } else {
                missing_index.insert(path.clone(), missing.len());
                missing.push((path, vec![property]));
            }
            continue;
        }
        for diagnostic in placed(instance, &error, &path) {
            diagnostics.push(diagnostic);
        }
    }

    for (path, properties) in missing {
        diagnostics.push(missing_keys(instance, &path, &properties));
    }

    let mut diagnostics = diagnostics.list;
    diagnostics.sort_by_key(|diagnostic| (diagnostic.span, diagnostic.code));
    diagnostics
}

/// Diagnostics without repeats: an equal one (same place, code and message, as when one
/// merged value is reached from several places) only adds its related information.
#[derive(Default)]
struct Unique {
    list: Vec<Diagnostic>,
    index: HashMap<(Span, Code, String), usize>,
}

impl Unique {
    fn push(&mut self, diagnostic: Diagnostic) {
        let key = (diagnostic.span, diagnostic.code, diagnostic.message.clone());
        let Some(&existing) = self.index.get(&key) else {
            self.index.insert(key, self.list.len());
            self.list.push(diagnostic);
            return;
        };
        let existing = &mut self.list[existing];
        for related in diagnostic.related {
            if !existing.related.contains(&related) {
                existing.related.push(related);
            }
        }
    }
}

fn segments<'a>(location: impl Iterator<Item = LocationSegment<'a>>) -> Vec<Segment> {
    location
        .map(|segment| match segment {
            LocationSegment::Property(name) => Segment::Key(name.into_owned()),
            LocationSegment::Index(index) => Segment::Index(index),
        })
        .collect()
}

/// Finds the node at a full path (one that starts with the instance's prefix).
fn locate(instance: &Instance<'_>, path: &[Segment]) -> Option<Located> {
    let relative = path.get(instance.prefix.len()..)?;
    instance.locator.locate(instance.root?, relative)
}

/// Related information for each `<<` or alias a located value was reached through.
fn with_via(mut diagnostic: Diagnostic, located: &Located) -> Diagnostic {
    for &span in &located.via {
        diagnostic = diagnostic.with_related(span, "the value comes in here");
    }
    diagnostic
}

fn placed(
    instance: &Instance<'_>,
    error: &ValidationError<'_>,
    path: &[Segment],
) -> Vec<Diagnostic> {
    let tree = instance.tree;
    let name = display_name(path);

    if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
        return unexpected.iter().map(|key| unknown_key(instance, path, key)).collect();
    }

    if let ValidationErrorKind::PropertyNames { error: inner } = error.kind() {
        let key = inner.instance().as_str().unwrap_or_default().to_owned();
        let mut key_path = path.to_vec();
        key_path.push(Segment::Key(key.clone()));
        let span = locate(instance, &key_path)
            .and_then(|located| located.key)
            .map_or(Span::empty(0), |key| tree.node(key).span);
        let message = if key.is_empty() {
            format!("{name} has an empty key")
        } else {
            format!("{name} has an invalid key `{key}`")
        };
        return vec![Diagnostic::new(Code::InvalidValue, span, message)];
    }

    let Some(located) = locate(instance, path) else {
        return vec![Diagnostic::new(
            Code::InvalidValue,
            Span::empty(0),
            lower_first(&error.to_string()),
        )];
    };
    let node = tree.node(located.node);
    let written = tree.node(located.written);
    let no_token = written.span.is_empty() && located.via.is_empty();
    let key_span = located.key.map(|key| tree.node(key).span);
    let value_span = match key_span {
        Some(key_span) if no_token => key_span,
        _ => node.span,
    };
    let source = &instance.text[node.span.range()];

    let (code, message) = match error.kind() {
        ValidationErrorKind::Type { kind } => (
            Code::WrongType,
            type_message(instance, &located, &name, expected_type(kind), no_token),
        ),
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|options| {
                    options.iter().map(|option| format!("`{}`", plain(option))).collect()
                })
                .unwrap_or_default();
            (
                Code::InvalidValue,
                format!("{name} must be one of {}; got `{source}`", options.join(", ")),
            )
        }
        ValidationErrorKind::Pattern { pattern } => (
            Code::InvalidValue,
            format!(
                "{name} `{}` does not match the required pattern `{pattern}`",
                plain(error.instance())
            ),
        ),
        ValidationErrorKind::MinLength { limit: 1 } => {
            (Code::InvalidValue, format!("{name} must not be empty"))
        }
        ValidationErrorKind::MinLength { limit } => {
            (Code::InvalidValue, format!("{name} must be at least {limit} characters long"))
        }
        ValidationErrorKind::MaxLength { limit } => {
            (Code::InvalidValue, format!("{name} must be at most {limit} characters long"))
        }
        ValidationErrorKind::MinItems { limit } => {
            let items = if *limit == 1 { "item" } else { "items" };
            (Code::InvalidValue, format!("{name} needs at least {limit} {items}"))
        }
        ValidationErrorKind::MinProperties { limit } => {
            let entries = if *limit == 1 { "entry" } else { "entries" };
            (Code::InvalidValue, format!("{name} needs at least {limit} {entries}"))
        }
        _ => (Code::InvalidValue, format!("{name}: {}", lower_first(&error.to_string()))),
    };

    // Collection-level errors read best on the key that names the collection.
    let span = match (&node.kind, key_span) {
        (NodeKind::Mapping(_) | NodeKind::Sequence(_), Some(key_span))
            if code == Code::InvalidValue =>
        {
            key_span
        }
        _ => value_span,
    };
    vec![with_via(Diagnostic::new(code, span, message), &located)]
}

/// An unknown key, on the key, with the closest allowed key as a suggestion.
fn unknown_key(instance: &Instance<'_>, path: &[Segment], key: &str) -> Diagnostic {
    let allowed = allowed_keys_for(instance.format, path);
    let mut key_path = path.to_vec();
    key_path.push(Segment::Key(key.to_owned()));
    let located = locate(instance, &key_path);
    let span = located
        .as_ref()
        .and_then(|located| located.key)
        .map_or(Span::empty(0), |key| instance.tree.node(key).span);

    let message = match suggest::closest(key, allowed.iter().map(String::as_str)) {
        Some(suggestion) => format!("unknown property `{key}` (did you mean `{suggestion}`?)"),
        None => format!("unknown property `{key}`; expected one of: {}", allowed.join(", ")),
    };
    let diagnostic = Diagnostic::new(Code::UnknownKey, span, message);
    match &located {
        Some(located) => with_via(diagnostic, located),
        None => diagnostic,
    }
}

fn type_message(
    instance: &Instance<'_>,
    located: &Located,
    name: &str,
    expected: &str,
    no_token: bool,
) -> String {
    let tree = instance.tree;
    let node = tree.node(located.node);
    let source = &instance.text[node.span.range()];

    let NodeKind::Scalar(scalar) = &node.kind else {
        let actual = if matches!(node.kind, NodeKind::Mapping(_)) { "a mapping" } else { "a list" };
        return format!("{name} must be {expected}, got {actual}");
    };

    if no_token {
        return format!("{name} has no value (null); give {expected} or remove the key");
    }
    let value = resolve::scalar_value(scalar, tree.tag(located.node));
    if value.is_null() {
        return format!("{name} must be {expected}; `{source}` is null");
    }
    if expected == "a boolean" && scalar.style == ScalarStyle::Plain {
        if let Some(meant) = yaml11_bool(&scalar.value) {
            return format!(
                "expected boolean, got the string `{source}` (YAML 1.2 reads `{source}` as text; write `{meant}`)"
            );
        }
    }
    let actual = match value {
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        _ => "a value",
    };
    format!("{name} must be {expected}, got {actual} `{source}`")
}

/// What a YAML 1.1 reader would have made of a plain word that YAML 1.2 reads as text.
pub fn yaml11_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "y" | "yes" | "on" => Some(true),
        "n" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn expected_type(kind: &TypeKind) -> &'static str {
    let json_type = match kind {
        TypeKind::Single(json_type) => *json_type,
        TypeKind::Multiple(types) => match types.iter().next() {
            Some(json_type) => json_type,
            None => return "a value",
        },
    };
    match json_type {
        jsonschema::JsonType::Array => "a list",
        jsonschema::JsonType::Boolean => "a boolean",
        jsonschema::JsonType::Integer => "an integer",
        jsonschema::JsonType::Null => "null",
        jsonschema::JsonType::Number => "a number",
        jsonschema::JsonType::Object => "a mapping",
        jsonschema::JsonType::String => "a string",
    }
}

/// One diagnostic for all the required keys a mapping lacks.
fn missing_keys(instance: &Instance<'_>, path: &[Segment], properties: &[String]) -> Diagnostic {
    let listed = properties.iter().map(|property| format!("`{property}`")).collect::<Vec<_>>();
    let what = if properties.len() == 1 {
        format!("missing required property {}", listed[0])
    } else {
        format!("missing required properties: {}", properties.join(", "))
    };

    let located = locate(instance, path);
    let Some(located) = located.filter(|_| !path.is_empty()) else {
        // The whole file: say it where the document starts.
        let start = instance.root.map_or(0, |root| instance.tree.node(root).span.start);
        return Diagnostic::new(Code::MissingKey, Span::empty(start), what);
    };

    let span = match located.key {
        Some(key) => instance.tree.node(key).span,
        None => item_marker(instance.text, instance.tree.node(located.written).span),
    };
    let message = match definition_noun(path).filter(|_| located.key.is_none()) {
        Some(noun) => format!("{noun} is {what}"),
        None => format!("{} is {what}", display_name(path)),
    };
    with_via(Diagnostic::new(Code::MissingKey, span, message), &located)
}

/// The `-` that starts a block list item, or the first character of a flow item.
fn item_marker(text: &str, item: Span) -> Span {
    let before = &text[..item.start];
    let trimmed = before.trim_end_matches([' ', '\t']);
    if trimmed.ends_with('-') {
        return Span::new(trimmed.len() - 1, trimmed.len());
    }
    let end = text[item.start..].chars().next().map_or(item.start, |c| item.start + c.len_utf8());
    Span::new(item.start, end)
}

/// How a message names the value at `path`: `` `image` ``, `` `components[2]` ``.
/// How a message names the value at `path`: `` `image` ``, `component`, ``an item of
/// `ignore_paths` ``. Never by index, so a message does not change when items move.
fn display_name(path: &[Segment]) -> String {
    match path.last() {
        None => "the file".to_owned(),
        Some(Segment::Key(key)) => format!("`{key}`"),
        Some(Segment::Index(_)) => match (definition_noun(path), path.iter().rev().nth(1)) {
            (Some(noun), _) => noun.to_owned(),
            (None, Some(Segment::Key(key))) => format!("an item of `{key}`"),
            (None, _) => "an item".to_owned(),
        },
    }
}

/// The noun for a list item, from the definition the schema gives it.
fn definition_noun(path: &[Segment]) -> Option<&'static str> {
    match (path.iter().rev().nth(1), path.last()) {
        (Some(Segment::Key(list)), Some(Segment::Index(_))) => match list.as_str() {
            "components" => Some("component"),
            "environments" => Some("environment"),
            "plugins" => Some("plugin"),
            _ => None,
        },
        _ => None,
    }
}

/// The keys the `.stella.yaml` schema allows for the mapping at `path`.
pub fn allowed_keys(path: &[Segment]) -> Vec<String> {
    allowed_keys_for(Format::Stella, path)
}

/// The keys the schema of `format` allows for the mapping at `path`.
pub fn allowed_keys_for(format: Format, path: &[Segment]) -> Vec<String> {
    let Some(subschema) = subschema_for(format, path) else {
        return Vec::new();
    };
    subschema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// The part of the `.stella.yaml` schema that describes the value at `path`, following
/// local `$ref`s.
pub fn subschema(path: &[Segment]) -> Option<&'static Value> {
    subschema_for(Format::Stella, path)
}

/// The part of the schema of `format` that describes the value at `path`, following local
/// `$ref`s.
pub fn subschema_for(format: Format, path: &[Segment]) -> Option<&'static Value> {
    let root = schema_for(format);
    let mut current = dereference(root, root);
    for segment in path {
        let next = match segment {
            Segment::Key(key) => current
                .get("properties")
                .and_then(|properties| properties.get(key))
                .or_else(|| current.get("additionalProperties").filter(|value| value.is_object())),
            Segment::Index(_) => current.get("items"),
        }?;
        current = dereference(root, next);
    }
    Some(current)
}

fn dereference(root: &'static Value, value: &'static Value) -> &'static Value {
    let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
        return value;
    };
    let Some(pointer) = reference.strip_prefix('#') else {
        return value;
    };
    root.pointer(pointer).unwrap_or(value)
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn lower_first(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => String::new(),
    }
}
