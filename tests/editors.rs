//! The editor clients under `editors/` against the server and the README, without running
//! any editor:
//!
//! - every command id (`"stella.…"`) and custom request (`"stella/…"`) a client's sources
//!   name is one the server advertises (`executeCommandProvider`) or handles, except the
//!   VS Code extension's own ids: the commands it registers (never a server command's id),
//!   and the commands, views and settings its `package.json` declares (each command there
//!   registered by the extension or the server's);
//! - the VS Code extension reads only the settings its `package.json` declares, and reads
//!   every one of them (when `editors/vscode` is there);
//! - the `JetBrains` plugin's `plugin.xml` is well-formed, every class it names in the plugin's
//!   package is declared in its Kotlin sources, and its server id and notification group are
//!   the ones the code uses;
//! - the Helix `languages.toml` reads as TOML (the small part of it these files use) and
//!   starts `stella-lsp serve`;
//! - each README code block for an editor is the whole of the file it comes from.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::{Launch, TestClient};
use tempfile::TempDir;

/// Folders that hold what a client's build or package manager made, not its sources.
const GENERATED: [&str; 6] = ["node_modules", "dist", "out", "build", ".gradle", ".vscode-test"];

/// Kinds of files whose strings name commands, requests and settings.
const SOURCES: [&str; 9] = ["ts", "js", "mjs", "json", "kt", "xml", "lua", "el", "toml"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The client source files below `folder`, sorted.
fn client_sources(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !GENERATED.contains(&name.as_str()) {
                client_sources(&path, found);
            }
        } else if name != "package-lock.json"
            && path
                .extension()
                .is_some_and(|extension| SOURCES.contains(&extension.to_string_lossy().as_ref()))
        {
            found.push(path);
        }
    }
    found.sort();
}

/// Every string literal in `text` (in `"` or `'`, on one line) that starts with `prefix`.
fn literals(text: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (index, quote) in text.char_indices().filter(|(_, c)| *c == '"' || *c == '\'') {
        let rest = &text[index + 1..];
        if !rest.starts_with(prefix) {
            continue;
        }
        let Some(end) = rest.find([quote, '\n']) else {
            continue;
        };
        let literal = &rest[..end];
        let is_name = literal
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/' || c == '_' || c == '-');
        if rest[end..].starts_with(quote) && is_name && literal.len() > prefix.len() {
            found.push(literal.to_owned());
        }
    }
    found
}

/// Which client a file belongs to: the folder under `editors/`.
fn client_of(path: &Path) -> String {
    let relative = path.strip_prefix(root().join("editors")).unwrap();
    relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned()
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

/// What the VS Code extension declares in its `package.json`: its own command ids, view
/// (container) ids and settings.
#[derive(Default)]
struct VsCodeManifest {
    commands: BTreeSet<String>,
    views: BTreeSet<String>,
    settings: BTreeSet<String>,
}

fn vscode_manifest() -> Option<VsCodeManifest> {
    let folder = root().join("editors/vscode");
    if !folder.is_dir() {
        return None;
    }
    let manifest: Value = serde_json::from_str(&read(&folder.join("package.json")))
        .expect("editors/vscode/package.json is JSON");
    let contributes = &manifest["contributes"];

    let mut declared = VsCodeManifest::default();
    for command in contributes["commands"].as_array().into_iter().flatten() {
        declared.commands.insert(command["command"].as_str().unwrap().to_owned());
    }
    for key in ["views", "viewsContainers"] {
        for group in contributes[key].as_object().into_iter().flat_map(|groups| groups.values()) {
            for view in group.as_array().into_iter().flatten() {
                declared.views.insert(view["id"].as_str().unwrap().to_owned());
            }
        }
    }
    // `configuration` is one object or a list of them.
    let configurations = match &contributes["configuration"] {
        Value::Array(list) => list.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    for configuration in configurations {
        for key in configuration["properties"].as_object().into_iter().flat_map(|p| p.keys()) {
            declared.settings.insert(key.clone());
        }
    }
    Some(declared)
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_name_only_the_commands_and_requests_the_server_has() {
    let home = TempDir::new().unwrap();
    let mut client = TestClient::launch(&Launch {
        env: vec![("HOME".to_owned(), home.path().display().to_string())],
        ..Launch::default()
    });
    let initialized = client.initialize().await;
    let advertised: BTreeSet<String> = initialized["capabilities"]["executeCommandProvider"]
        ["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|command| command.as_str().unwrap().to_owned())
        .collect();
    let manifest = vscode_manifest().unwrap_or_default();

    let mut files = Vec::new();
    client_sources(&root().join("editors"), &mut files);
    let mut wrong = Vec::new();

    // The VS Code extension's own commands, which it registers itself. vscode-languageclient
    // registers the server's, so registering one of those too would fail at activation.
    let mut registered = BTreeSet::new();
    for file in files.iter().filter(|file| client_of(file) == "vscode") {
        for id in literals_after(&read(file), "registerCommand(") {
            if advertised.contains(&id) {
                wrong.push(format!("{}: registers `{id}`, a server command", relative(file)));
            }
            registered.insert(id);
        }
    }
    for id in &manifest.commands {
        if !registered.contains(id) && !advertised.contains(id) {
            wrong.push(format!(
                "editors/vscode/package.json declares `{id}`, which nothing registers"
            ));
        }
    }

    let mut requests = BTreeMap::<String, String>::new();
    for file in &files {
        let text = read(file);
        let vscode = client_of(file) == "vscode";
        for name in literals(&text, "stella/") {
            requests.entry(name).or_insert_with(|| relative(file));
        }
        for id in literals(&text, "stella.") {
            // A prefix such as `stella.client.` names the extension's own commands.
            let prefix_of_own =
                id.ends_with('.') && registered.iter().any(|own| own.starts_with(&id));
            let own = vscode
                && (prefix_of_own
                    || registered.contains(&id)
                    || manifest.commands.contains(&id)
                    || manifest.views.contains(&id)
                    || manifest.settings.contains(&id));
            if !advertised.contains(&id) && !own {
                wrong.push(format!(
                    "{}: `{id}` is neither a server command nor declared by the client",
                    relative(file)
                ));
            }
        }
    }
    for id in &manifest.views {
        if advertised.contains(id) {
            wrong.push(format!(
                "editors/vscode/package.json has a view `{id}`, a server command's id"
            ));
        }
    }

    // A request the server does not handle is answered "method not found" (-32601); given
    // a string for params, one it handles fails on the params without asking the orchestrator.
    for (name, file) in &requests {
        let response = client.request(name, json!("not params")).await;
        if response["error"]["code"] == -32601 {
            wrong.push(format!("{file}: the server does not handle `{name}`"));
        }
        if !stella_lsp::lsp::requests::ALL.contains(&name.as_str()) {
            wrong.push(format!("{file}: `{name}` is not in the server's list of custom requests"));
        }
    }
    assert_eq!(wrong, Vec::<String>::new());

    // The check sees what it should: the JetBrains plugin's two requests, at least.
    assert!(requests.contains_key("stella/releases"), "{requests:?}");
    assert!(requests.contains_key("stella/deployments"), "{requests:?}");
    // And a made-up request name is refused, so the live check above can fail.
    let response = client.request("stella/noSuchRequest", json!("not params")).await;
    assert_eq!(response["error"]["code"], -32601);
}

/// The settings a configuration section reads by its short name: `.get('server.path')`,
/// `.get<string>('context')`, `.inspect<…>(…)`, `.update(…)`, in a file that opens the
/// `stella` section.
fn settings_read(text: &str) -> Vec<String> {
    if !text.contains("getConfiguration('stella')")
        && !text.contains("getConfiguration(\"stella\")")
    {
        return Vec::new();
    }
    let mut found = Vec::new();
    for method in [".get", ".inspect", ".update"] {
        for (index, _) in text.match_indices(method) {
            let mut rest = &text[index + method.len()..];
            if let Some(generic) = rest.strip_prefix('<') {
                let mut depth = 1;
                let Some(end) = generic.find(|c| {
                    match c {
                        '<' => depth += 1,
                        '>' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                }) else {
                    continue;
                };
                rest = &generic[end + 1..];
            }
            let Some(argument) = rest.strip_prefix('(') else {
                continue;
            };
            let argument = argument.trim_start();
            let Some(quote) = argument.chars().next().filter(|c| *c == '\'' || *c == '"') else {
                continue;
            };
            let Some(end) = argument[1..].find(quote) else {
                continue;
            };
            found.push(format!("stella.{}", &argument[1..=end]));
        }
    }
    found
}

#[test]
fn vscode_reads_exactly_the_settings_it_declares() {
    let Some(manifest) = vscode_manifest() else {
        // The VS Code extension is not in this tree; nothing to compare.
        return;
    };
    let mut files = Vec::new();
    client_sources(&root().join("editors/vscode/src"), &mut files);
    assert!(!files.is_empty(), "editors/vscode/src has no sources");

    let mut read_settings = BTreeSet::new();
    let mut wrong = Vec::new();
    for file in &files {
        let text = read(file);
        for setting in settings_read(&text) {
            if !manifest.settings.contains(&setting) {
                wrong.push(format!(
                    "{}: reads `{setting}`, which package.json does not declare",
                    relative(file)
                ));
            }
            read_settings.insert(setting);
        }
        for literal in literals(&text, "stella.") {
            if manifest.settings.contains(&literal) {
                read_settings.insert(literal);
            }
        }
    }
    // vscode-languageclient reads `<client id>.trace.server` by itself.
    read_settings.insert("stella.trace.server".to_owned());
    for setting in &manifest.settings {
        if !read_settings.contains(setting) {
            wrong.push(format!(
                "package.json declares `{setting}`, which editors/vscode/src never reads"
            ));
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
}

#[test]
fn settings_are_found_where_a_section_reads_them() {
    let text = "const section = vscode.workspace.getConfiguration('stella');\n\
                section.inspect<string>('server.path')?.globalValue;\n\
                section.get<Array<string>>(\"server.extraArgs\", []);\n\
                map.get(key);\n";
    assert_eq!(settings_read(text), ["stella.server.extraArgs", "stella.server.path"]);
    assert_eq!(settings_read("map.get('x')"), Vec::<String>::new());
    assert_eq!(
        literals(
            "run('stella.promote'); x = \"stella/releases\"; y = 'stella.' + z; \"dev.stella.a\"",
            "stella."
        ),
        ["stella.promote"]
    );
}

/// Attributes of `plugin.xml` whose value is a class name.
const CLASS_ATTRIBUTES: [&str; 12] = [
    "class",
    "clientImpl",
    "documentMatcher",
    "factoryClass",
    "implementation",
    "implementationClass",
    "instance",
    "provider",
    "serverInterface",
    "serviceImplementation",
    "serviceInterface",
    "testServiceImplementation",
];

/// The classes, objects and interfaces declared at the top level of the Kotlin sources below
/// `folder`, by full name.
fn kotlin_declarations(folder: &Path) -> (BTreeSet<String>, String) {
    let mut files = Vec::new();
    client_sources(folder, &mut files);
    let mut declared = BTreeSet::new();
    let mut all_text = String::new();
    for file in files.iter().filter(|file| file.extension().is_some_and(|e| e == "kt")) {
        let text = read(file);
        let package = text
            .lines()
            .find_map(|line| line.strip_prefix("package "))
            .unwrap_or_else(|| panic!("{} has no package line", relative(file)))
            .trim()
            .to_owned();
        for line in text.lines() {
            let mut words = line.split_whitespace().peekable();
            if line.starts_with(char::is_whitespace) {
                continue;
            }
            while let Some(word) = words.next() {
                if ["class", "object", "interface"].contains(&word) {
                    if let Some(name) = words.next() {
                        let name: String =
                            name.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        declared.insert(format!("{package}.{name}"));
                    }
                    break;
                }
                let modifier = [
                    "public",
                    "internal",
                    "private",
                    "open",
                    "abstract",
                    "data",
                    "sealed",
                    "final",
                    "enum",
                    "annotation",
                    "fun",
                ];
                if !modifier.contains(&word) {
                    break;
                }
            }
        }
        all_text.push_str(&text);
    }
    (declared, all_text)
}

#[test]
fn the_jetbrains_plugin_xml_names_only_what_its_sources_declare() {
    let plugin = root().join("editors/jetbrains");
    let xml = read(&plugin.join("src/main/resources/META-INF/plugin.xml"));
    let document = roxmltree::Document::parse(&xml).expect("plugin.xml is well-formed XML");
    let root_element = document.root_element();
    assert_eq!(root_element.tag_name().name(), "idea-plugin");

    let child_text = |name: &str| -> Vec<String> {
        root_element
            .children()
            .filter(|node| node.has_tag_name(name))
            .map(|node| node.text().unwrap_or_default().trim().to_owned())
            .collect()
    };
    let id = child_text("id").pop().expect("plugin.xml has an <id>");
    assert!(child_text("depends").contains(&"com.redhat.devtools.lsp4ij".to_owned()));

    let (declared, kotlin) = kotlin_declarations(&plugin.join("src/main/kotlin"));
    let mut named = BTreeSet::new();
    let mut wrong = Vec::new();
    for node in document.descendants().filter(roxmltree::Node::is_element) {
        for attribute in node.attributes().filter(|a| CLASS_ATTRIBUTES.contains(&a.name())) {
            let class = attribute.value().to_owned();
            if class.starts_with(&format!("{id}.")) {
                if !declared.contains(&class) {
                    wrong.push(format!(
                        "<{}> names {class}, which no Kotlin file declares",
                        node.tag_name().name()
                    ));
                }
                named.insert(class);
            } else if !class.starts_with("com.intellij.")
                && !class.starts_with("com.redhat.devtools.lsp4ij.")
            {
                wrong.push(format!(
                    "<{}> names {class}, outside the plugin and the platform",
                    node.tag_name().name()
                ));
            }
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
    assert_eq!(
        named,
        [
            "dev.stella.intellij.lsp.StellaLanguageServerFactory",
            "dev.stella.intellij.settings.StellaConfigurable",
            "dev.stella.intellij.settings.StellaSettings",
            "dev.stella.intellij.toolwindow.StellaToolWindowFactory",
        ]
        .map(str::to_owned)
        .into()
    );

    // The server, its file mapping and the code agree on the server's id, and the code
    // posts only to notification groups plugin.xml declares.
    let elements = |name: &str| -> Vec<roxmltree::Node<'_, '_>> {
        document.descendants().filter(|node| node.has_tag_name(name)).collect()
    };
    let servers: Vec<&str> =
        elements("server").iter().map(|node| node.attribute("id").unwrap()).collect();
    assert_eq!(servers, ["stella"]);
    for mapping in elements("fileNamePatternMapping") {
        assert_eq!(mapping.attribute("serverId"), Some("stella"));
        assert_eq!(mapping.attribute("patterns"), Some("*.stella.yaml;*.stella.yml"));
    }
    assert!(
        kotlin.contains("SERVER_ID = \"stella\""),
        "the tool window asks for the server by its id"
    );
    let groups: BTreeSet<&str> =
        elements("notificationGroup").iter().map(|node| node.attribute("id").unwrap()).collect();
    for used in literals_after(&kotlin, ".getNotificationGroup(") {
        assert!(groups.contains(used.as_str()), "notification group {used} is not declared");
    }
    assert_eq!(groups, BTreeSet::from(["Stella"]));
}

/// The string literal (in `"` or `'`) right after each `call` in `text`.
fn literals_after(text: &str, call: &str) -> Vec<String> {
    text.match_indices(call)
        .filter_map(|(index, _)| {
            let rest = text[index + call.len()..].trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let rest = &rest[1..];
            Some(rest[..rest.find(quote)?].to_owned())
        })
        .collect()
}

/// The part of TOML that `editors/helix/languages.toml` uses, as JSON: comments, `[a.b]`
/// and `[[a]]` headers, and `key = "string"` or `key = ["string", …]`. Anything else fails,
/// so a change beyond this part is noticed.
fn small_toml(text: &str) -> Value {
    let mut document = json!({});
    let mut path: Vec<String> = Vec::new();
    let mut in_array = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        let fail = || -> ! { not_small(number, line) };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix("[[").and_then(|l| l.strip_suffix("]]")) {
            path = header.split('.').map(str::to_owned).collect();
            in_array = true;
            let slot = table_at(&mut document, &path[..path.len() - 1]);
            let list = slot
                .as_object_mut()
                .unwrap()
                .entry(path.last().unwrap().clone())
                .or_insert_with(|| json!([]));
            list.as_array_mut().unwrap_or_else(|| fail()).push(json!({}));
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            path = header.split('.').map(str::to_owned).collect();
            in_array = false;
            table_at(&mut document, &path);
            continue;
        }
        let Some((key, value)) = line.split_once(" = ") else { fail() };
        let value = if let Some(items) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Value::Array(
                items.split(", ").map(|item| string(item).unwrap_or_else(|| fail())).collect(),
            )
        } else {
            string(value).unwrap_or_else(|| fail())
        };
        let table = if in_array {
            let list = table_at(&mut document, &path[..path.len() - 1])[path.last().unwrap()]
                .as_array_mut()
                .unwrap();
            list.last_mut().unwrap()
        } else {
            table_at(&mut document, &path)
        };
        table[key.trim()] = value;
    }
    document
}

fn not_small(number: usize, line: &str) -> ! {
    panic!("languages.toml:{}: not in the small part of TOML: {line}", number + 1)
}

fn table_at<'a>(document: &'a mut Value, path: &[String]) -> &'a mut Value {
    let mut table = document;
    for key in path {
        table = table.as_object_mut().unwrap().entry(key.clone()).or_insert_with(|| json!({}));
    }
    table
}

/// A basic TOML string without escapes.
fn string(text: &str) -> Option<Value> {
    let inner = text.trim().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then(|| json!(inner))
}

#[test]
fn the_helix_languages_toml_starts_the_server_for_yaml() {
    let text = read(&root().join("editors/helix/languages.toml"));
    assert_eq!(
        small_toml(&text),
        json!({
            "language-server": {"stella-lsp": {"command": "stella-lsp", "args": ["serve"]}},
            "language": [{"name": "yaml", "language-servers": ["yaml-language-server", "stella-lsp"]}],
        })
    );
}

/// The fenced code blocks of the README section under `heading`, up to the next heading.
fn code_blocks(readme: &str, heading: &str) -> Vec<String> {
    let mut lines = readme.lines().skip_while(|line| *line != heading);
    assert!(lines.next().is_some(), "the README has no `{heading}`");

    let mut blocks = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            break;
        }
        if line.starts_with("```") {
            let mut block = String::new();
            for line in lines.by_ref().take_while(|line| !line.starts_with("```")) {
                block.push_str(line);
                block.push('\n');
            }
            blocks.push(block);
        }
    }
    blocks
}

#[test]
fn the_readme_shows_the_editor_files_whole() {
    let readme = read(&root().join("README.md"));
    let sections: [(&str, &[&str]); 4] = [
        ("### Neovim", &["editors/neovim/stella.lua", "editors/neovim/stella-0.7.lua"]),
        ("### Helix", &["editors/helix/languages.toml"]),
        ("### Emacs", &["editors/emacs/stella.el"]),
        ("### JetBrains IDEs", &[]),
    ];
    for (heading, files) in sections {
        let expected: Vec<String> = files.iter().map(|file| read(&root().join(file))).collect();
        assert_eq!(code_blocks(&readme, heading), expected, "the README's `{heading}`");
    }
}
