//! The user's global config, `~/.stella/config.yaml`: which paths it lives at, its schema,
//! and its analysis (the shared syntax stage, its own schema, then its own rules).
//!
//! The file is small, so it is always analysed whole; [`crate::core::Analyzer`] is only for
//! `.stella.yaml`. One rule, `token-in-config`, looks at keys wherever they are written,
//! valid or not, so it runs beside the schema stage rather than after it; it is a warning,
//! so it never holds back the rules.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::core::diagnostic::{Code, Diagnostic};
use crate::core::model::{self, Spanned};
use crate::core::yaml::resolve;
use crate::core::yaml::{NodeId, NodeKind, Tree};
use crate::core::{schema, sort, suggest, syntax, Analysis, Document, Format, Severity};

/// The JSON schema of the global config, as shipped in `schemas/stella-config.schema.json`.
pub const SCHEMA: &str = include_str!("../../schemas/stella-config.schema.json");

/// Whether `path` (a file path or the path of a `file:` uri, with `/` or `\` separators)
/// names a global config: a `config.yaml` or `config.yml` in a folder named `.stella`.
pub fn is_config_path(path: &str) -> bool {
    let mut components = path.rsplit(['/', '\\']);
    let file_name = components.next().unwrap_or_default();
    let folder = components.next().unwrap_or_default();
    folder == ".stella" && matches!(file_name, "config.yaml" | "config.yml")
}

/// Analyses one global config text. Never fails: every problem is a diagnostic.
pub fn analyze(text: &str) -> Analysis {
    Analysis { diagnostics: sort(stages(text)) }
}

fn stages(text: &str) -> Vec<Diagnostic> {
    let document = match syntax(text, Format::GlobalConfig) {
        Ok(document) => document,
        Err(diagnostics) => return diagnostics,
    };

    let Document { tree, root, value } = document;
    let instance = schema::Instance::document_of(Format::GlobalConfig, &tree, root, &value, text);
    let mut diagnostics = schema::diagnostics(&instance);
    if let Some(root) = root {
        diagnostics.extend(tokens(&tree, root));
    }
    if diagnostics.iter().any(|diagnostic| diagnostic.severity == Severity::Error) {
        return diagnostics;
    }
    drop(value);

    let Some(root) = root else {
        return diagnostics;
    };
    let config = config(&tree, root);
    unknown_context(&mut diagnostics, &config);
    insecure_servers(&mut diagnostics, &config);
    diagnostics
}

/// What the rules read of a global config that passed the schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct GlobalConfig {
    server: Option<Spanned<String>>,
    current_context: Option<Spanned<String>>,
    contexts: Vec<NamedContext>,
}

/// One entry of `contexts`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NamedContext {
    /// The key.
    name: Spanned<String>,
    server: Option<Spanned<String>>,
}

/// The value of `key` in the mapping `mapping` (merge keys applied).
fn field(tree: &Tree, mapping: NodeId, key: &str) -> Option<NodeId> {
    resolve::entries(tree, mapping, true)
        .into_iter()
        .find(|entry| tree.key_text(tree.deref(entry.key)) == Some(key))
        .map(|entry| entry.value)
}

fn config(tree: &Tree, root: NodeId) -> GlobalConfig {
    let string = |mapping: NodeId, key: &str| {
        field(tree, mapping, key).and_then(|value| model::string(tree, value))
    };

    let contexts = field(tree, root, "contexts").map_or_else(Vec::new, |contexts| {
        resolve::entries(tree, contexts, true)
            .into_iter()
            .filter_map(|entry| {
                let key = tree.deref(entry.key);
                let name =
                    Spanned { value: tree.key_text(key)?.to_owned(), span: tree.node(key).span };
                Some(NamedContext { name, server: string(entry.value, "server") })
            })
            .collect()
    });

    GlobalConfig {
        server: string(root, "server"),
        current_context: string(root, "current_context"),
        contexts,
    }
}

fn unknown_context(diagnostics: &mut Vec<Diagnostic>, config: &GlobalConfig) {
    let Some(current) = &config.current_context else {
        return;
    };
    let declared: Vec<&str> =
        config.contexts.iter().map(|context| context.name.value.as_str()).collect();
    if declared.contains(&current.value.as_str()) {
        return;
    }

    let message = match suggest::closest(&current.value, declared.iter().copied()) {
        Some(suggestion) => {
            format!("unknown context `{}` (did you mean `{suggestion}`?)", current.value)
        }
        None if declared.is_empty() => {
            format!("unknown context `{}`; `contexts` declares none", current.value)
        }
        None => format!(
            "unknown context `{}`; `contexts` declares: {}",
            current.value,
            declared.join(", ")
        ),
    };
    diagnostics.push(Diagnostic::new(Code::UnknownContext, current.span, message));
}

fn insecure_servers(diagnostics: &mut Vec<Diagnostic>, config: &GlobalConfig) {
    let context_servers = config.contexts.iter().filter_map(|context| context.server.as_ref());
    for server in config.server.iter().chain(context_servers) {
        if is_insecure(&server.value) {
            diagnostics.push(Diagnostic::new(
                Code::InsecureServer,
                server.span,
                "plain http is allowed only to loopback; use https",
            ));
        }
    }
}

/// Whether `url` is plain `http://` to a host that is not this machine. Anything else
/// (https, or text that is not an http URL, which the schema reports) is not.
fn is_insecure(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") {
        return false;
    }

    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_and_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host_and_port.split(':').next().unwrap_or_default(),
    };
    !is_loopback(host)
}

/// `localhost`, 127.0.0.0/8 and `::1` (also written as `::ffff:127.x.y.z`). Other names
/// that may resolve to this machine are not trusted: the name is all that can be checked.
fn is_loopback(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(address) = host.parse::<Ipv4Addr>() {
        return address.is_loopback();
    }
    if let Ok(address) = host.parse::<Ipv6Addr>() {
        return address.is_loopback()
            || address.to_ipv4_mapped().is_some_and(|mapped| mapped.is_loopback());
    }
    false
}

/// A warning on every key named `token` (in any case), wherever it is written, except the
/// names under `aliases`, which are command names and hold no secret. The value is never
/// quoted, so the secret does not end up in a log or CI output.
fn tokens(tree: &Tree, root: NodeId) -> Vec<Diagnostic> {
    let aliases = field(tree, root, "aliases").map(|aliases| tree.deref(aliases));

    let mut diagnostics = Vec::new();
    for (index, node) in tree.nodes.iter().enumerate() {
        let NodeKind::Mapping(entries) = &node.kind else {
            continue;
        };
        if u32::try_from(index).ok().map(NodeId) == aliases {
            continue;
        }
        for entry in entries {
            if tree.key_text(entry.key).is_some_and(|key| key.eq_ignore_ascii_case("token")) {
                diagnostics.push(Diagnostic::new(
                    Code::TokenInConfig,
                    tree.node(entry.key).span,
                    "tokens do not belong in the global config; keep them in `~/.stella/credentials.yaml` or the `STELLA_TOKEN` environment variable",
                ));
            }
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::{is_config_path, is_insecure};

    #[test]
    fn global_config_paths() {
        assert!(is_config_path("/home/u/.stella/config.yaml"));
        assert!(is_config_path("/home/u/.stella/config.yml"));
        assert!(is_config_path(".stella/config.yaml"));
        assert!(is_config_path(r"C:\Users\u\.stella\config.yaml"));
        assert!(!is_config_path("config.yaml"));
        assert!(!is_config_path("/home/u/stella/config.yaml"));
        assert!(!is_config_path("/home/u/.stella/credentials.yaml"));
        assert!(!is_config_path("/home/u/.stella/config.yaml.bak"));
        assert!(!is_config_path("/w/.stella.yaml"));
    }

    #[test]
    fn plain_http_is_insecure_unless_it_stays_on_this_machine() {
        let insecure: Vec<bool> = [
            "http://stella.example.com",
            "HTTP://stella.example.com:80/api",
            "http://127.0.0.1.evil.example",
            "http://user@10.0.0.1",
            "http://[2001:db8::1]:8080",
            "http://localhost.example",
            "https://stella.example.com",
            "http://localhost:8080",
            "http://LocalHost",
            "http://127.0.0.1",
            "http://127.1.2.3:9000/x",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]",
            "http://me:secret@localhost",
        ]
        .iter()
        .map(|url| is_insecure(url))
        .collect();

        assert_eq!(
            insecure,
            [
                true, true, true, true, true, true, false, false, false, false, false, false,
                false, false
            ]
        );
    }
}
