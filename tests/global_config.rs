//! The global config, `~/.stella/config.yaml`: its schema and rules with exact ranges and
//! messages, and the same diagnostics through the language server and `check`.

mod support;

use serde_json::{json, Value};
use stella_lsp::core::{global, Encoding, LineIndex};
use support::{range, run_cli, TestClient};

/// The example from the design document, as `tests/fixtures/global-config.yaml` ships it.
const EXAMPLE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/global-config.yaml"));

const URI: &str = "file:///nonexistent-stella-test/home/.stella/config.yaml";

/// Each diagnostic as `line:col-line:col severity[code] message` (0-based, UTF-16).
fn check(text: &str) -> Vec<String> {
    let index = LineIndex::new(text);
    let position = |offset| {
        let line_col = index.line_col(text, offset, Encoding::Utf16);
        format!("{}:{}", line_col.line, line_col.col)
    };

    global::analyze(text)
        .diagnostics
        .into_iter()
        .map(|diagnostic| {
            format!(
                "{}-{} {}[{}] {}",
                position(diagnostic.span.start),
                position(diagnostic.span.end),
                diagnostic.severity,
                diagnostic.code,
                diagnostic.message
            )
        })
        .collect()
}

#[test]
fn the_shipped_example_is_clean() {
    assert_eq!(check(EXAMPLE), Vec::<String>::new());
}

#[test]
fn an_empty_file_is_clean() {
    assert_eq!(check(""), Vec::<String>::new());
    assert_eq!(check("# nothing set yet\n"), Vec::<String>::new());
}

#[test]
fn an_unknown_top_level_key_gets_a_did_you_mean() {
    let text = "server: https://stella.example.com\ncurent_context: production\n";

    assert_eq!(
        check(text),
        ["1:0-1:14 error[unknown-key] unknown property `curent_context` (did you mean `current_context`?)"]
    );
}

#[test]
fn an_unknown_key_without_a_close_match_lists_the_allowed_keys() {
    assert_eq!(
        check("colour: blue\n"),
        ["0:0-0:6 error[unknown-key] unknown property `colour`; expected one of: aliases, contexts, current_context, defaults, plugins, server"]
    );
}

#[test]
fn unknown_keys_inside_a_context_and_defaults() {
    let text = "contexts:\n  production:\n    server: https://stella.example.com\n    organisation: acme\ndefaults:\n  output_fromat: json\n";

    assert_eq!(
        check(text),
        [
            "3:4-3:16 error[unknown-key] unknown property `organisation` (did you mean `organization`?)",
            "5:2-5:15 error[unknown-key] unknown property `output_fromat` (did you mean `output_format`?)",
        ]
    );
}

#[test]
fn wrong_types_and_values() {
    let text = "\
server: 8080
contexts:
  production:
    organization: acme-corp
defaults:
  output_format: xml
  timeout: 5 minutes
  auto_approve: yes
aliases:
  p: [promote]
plugins:
  - config: {}
";

    assert_eq!(
        check(text),
        [
            "0:8-0:12 error[wrong-type] `server` must be a string, got a number `8080`",
            "2:2-2:12 error[missing-key] `production` is missing required property `server`",
            "5:17-5:20 error[invalid-value] `output_format` must be one of `human`, `json`, `yaml`, `table`; got `xml`",
            "6:11-6:20 error[invalid-value] `timeout` `5 minutes` does not match the required pattern `^(?:[0-9]+h(?:[0-9]+m)?(?:[0-9]+s)?|[0-9]+m(?:[0-9]+s)?|[0-9]+s)$`",
            "7:16-7:19 error[wrong-type] expected boolean, got the string `yes` (YAML 1.2 reads `yes` as text; write `true`)",
            "9:5-9:14 error[wrong-type] `p` must be a string, got a list",
            "11:2-11:3 error[missing-key] plugin is missing required property `name`",
        ]
    );
}

#[test]
fn durations_in_hours_minutes_and_seconds_are_valid() {
    for timeout in ["30s", "5m", "1h", "1h30m", "1h30m15s", "90m", "2m30s"] {
        let text = format!("defaults:\n  timeout: {timeout}\n");
        assert_eq!(check(&text), Vec::<String>::new(), "{timeout}");
    }
}

#[test]
fn a_server_must_be_an_http_or_https_url() {
    let text = "server: stella.example.com\n";

    assert_eq!(
        check(text),
        ["0:8-0:26 error[invalid-value] `server` `stella.example.com` does not match the required pattern `^https?://[^/?#\\s]+(?:[/?#]\\S*)?$`"]
    );
}

#[test]
fn current_context_must_name_a_context() {
    let close = "current_context: prodution\ncontexts:\n  production:\n    server: https://a.example\n  staging:\n    server: https://b.example\n";
    let far = close.replace("prodution\n", "prod\n");
    let none = "current_context: production\n";

    assert_eq!(
        check(close),
        ["0:17-0:26 error[unknown-context] unknown context `prodution` (did you mean `production`?)"]
    );
    assert_eq!(
        check(&far),
        ["0:17-0:21 error[unknown-context] unknown context `prod`; `contexts` declares: production, staging"]
    );
    assert_eq!(
        check(none),
        ["0:17-0:27 error[unknown-context] unknown context `production`; `contexts` declares none"]
    );
}

#[test]
fn plain_http_to_another_machine_is_an_error_at_top_level_and_in_contexts() {
    let text = "server: http://stella.example.com\ncontexts:\n  staging:\n    server: http://10.0.0.5:8080/api\n  secure:\n    server: https://stella.example.com\n";

    assert_eq!(
        check(text),
        [
            "0:8-0:33 error[insecure-server] plain http is allowed only to loopback; use https",
            "3:12-3:36 error[insecure-server] plain http is allowed only to loopback; use https",
        ]
    );
}

#[test]
fn plain_http_to_loopback_is_allowed() {
    let text = "server: http://127.0.0.1:8080\ncontexts:\n  local:\n    server: http://localhost:3000\n  six:\n    server: http://[::1]:3000/\n";

    assert_eq!(check(text), Vec::<String>::new());
}

#[test]
fn a_token_key_is_a_warning_on_the_key_without_the_secret() {
    let text = "\
server: https://stella.example.com
aliases:
  token: auth token
plugins:
  - name: stella-plugin-slack
    config:
      Token: s3cr3t-value
";

    let diagnostics = check(text);

    assert_eq!(
        diagnostics,
        ["6:6-6:11 warning[token-in-config] tokens do not belong in the global config; keep them in `~/.stella/credentials.yaml` or the `STELLA_TOKEN` environment variable"]
    );
    assert!(diagnostics.iter().all(|line| !line.contains("s3cr3t")));
}

#[test]
fn a_token_where_the_format_has_no_such_key_is_also_an_unknown_key() {
    let text = "contexts:\n  production:\n    server: https://stella.example.com\n    token: s3cr3t-value\ncurrent_context: nope\n";

    assert_eq!(
        check(text),
        [
            "3:4-3:9 error[unknown-key] unknown property `token`; expected one of: environment, organization, server",
            "3:4-3:9 warning[token-in-config] tokens do not belong in the global config; keep them in `~/.stella/credentials.yaml` or the `STELLA_TOKEN` environment variable",
        ],
        "the rules wait for the schema errors to be fixed"
    );
}

#[test]
fn a_warning_alone_does_not_hold_back_the_rules() {
    let text = "current_context: nope\nplugins:\n  - name: p\n    config: {token: x}\n";

    assert_eq!(
        check(text),
        [
            "0:17-0:21 error[unknown-context] unknown context `nope`; `contexts` declares none",
            "3:13-3:18 warning[token-in-config] tokens do not belong in the global config; keep them in `~/.stella/credentials.yaml` or the `STELLA_TOKEN` environment variable",
        ]
    );
}

#[test]
fn a_syntax_error_stops_the_analysis() {
    let text =
        "server: https://stella.example.com\ncontexts:\n  production:\n    server: [unclosed\n";

    assert_eq!(
        check(text),
        ["4:0-4:0 error[syntax] while parsing a flow sequence, expected ',' or ']'"]
    );
}

#[test]
fn a_second_document_names_the_global_config() {
    let text = "server: https://stella.example.com\n---\nserver: https://other.example.com\n";

    assert_eq!(
        check(text),
        ["1:0-1:3 error[multiple-documents] the global config holds a single YAML document; remove this document marker and what follows, or move it to its own file"]
    );
}

/// Every property of the schema says what it is and shows an example, since hovers show
/// both; the example file validates against the schema as plain JSON Schema too.
#[test]
fn every_property_of_the_schema_has_a_description_and_examples() {
    fn visit(path: &str, schema: &Value, missing: &mut Vec<String>) {
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            let path = format!("{path}/{name}");
            for keyword in ["description", "examples"] {
                if property.get(keyword).is_none() {
                    missing.push(format!("{path}: {keyword}"));
                }
            }
            visit(&path, property, missing);
        }
        for (name, definition) in schema["$defs"].as_object().into_iter().flatten() {
            visit(&format!("{path}/$defs/{name}"), definition, missing);
        }
    }

    let schema: Value = serde_json::from_str(global::SCHEMA).unwrap();
    let mut missing = Vec::new();
    visit("", &schema, &mut missing);

    assert_eq!(missing, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_publishes_global_config_diagnostics() {
    let (mut client, _store) = TestClient::in_process();
    client.initialize().await;
    let text = "server: http://stella.example.com\ncurrent_context: prodution\ncontexts:\n  production:\n    server: https://stella.example.com\n";

    client.did_open(URI, 1, text);
    let published = client.published(URI, Some(1)).await;

    assert_eq!(
        published,
        json!({
            "uri": URI,
            "version": 1,
            "diagnostics": [
                {
                    "range": range((0, 8), (0, 33)),
                    "severity": 1,
                    "code": "insecure-server",
                    "source": "stella",
                    "message": "plain http is allowed only to loopback; use https",
                },
                {
                    "range": range((1, 17), (1, 26)),
                    "severity": 1,
                    "code": "unknown-context",
                    "source": "stella",
                    "message": "unknown context `prodution` (did you mean `production`?)",
                },
            ],
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_checks_the_global_config_with_its_own_schema() {
    let (mut client, _store) = TestClient::in_process();
    client.initialize().await;

    client.did_open(URI, 1, EXAMPLE);
    let example = client.published(URI, Some(1)).await;
    let stella_uri = "file:///nonexistent-stella-test/home/.stella.yaml";
    client.did_open(stella_uri, 1, EXAMPLE);
    let as_stella = client.published(stella_uri, Some(1)).await;

    assert_eq!(example, json!({"uri": URI, "version": 1, "diagnostics": []}));
    let codes: Vec<&Value> =
        as_stella["diagnostics"].as_array().unwrap().iter().map(|item| &item["code"]).collect();
    assert_eq!(
        codes,
        [
            "missing-key",
            "unknown-key",
            "unknown-key",
            "unknown-key",
            "unknown-key",
            "unknown-key",
            "unknown-key"
        ]
    );
}

#[test]
fn check_uses_the_global_schema_for_a_config_in_a_stella_folder() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".stella");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("config.yaml"), "server: http://stella.example.com\n").unwrap();

    let from_home = run_cli(home.path(), &["check", ".stella/config.yaml"]);
    let from_inside = run_cli(&folder, &["check", "config.yaml"]);

    assert_eq!(
        String::from_utf8(from_home.stdout).unwrap(),
        ".stella/config.yaml:1:9: error[insecure-server]: plain http is allowed only to loopback; use https\n"
    );
    assert_eq!(
        String::from_utf8(from_home.stderr).unwrap(),
        "checked 1 file: 1 error, 0 warnings\n"
    );
    assert_eq!(from_home.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(from_inside.stdout).unwrap(),
        "config.yaml:1:9: error[insecure-server]: plain http is allowed only to loopback; use https\n"
    );
}

#[test]
fn check_reports_the_token_warning_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".stella");
    std::fs::create_dir(&folder).unwrap();
    let text = "plugins:\n  - name: p\n    config:\n      token: s3cr3t-value\n";
    std::fs::write(folder.join("config.yml"), text).unwrap();

    let output = run_cli(home.path(), &["check", ".stella/config.yml"]);

    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        ".stella/config.yml:4:7: warning[token-in-config]: tokens do not belong in the global config; keep them in `~/.stella/credentials.yaml` or the `STELLA_TOKEN` environment variable\n"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn schema_global_prints_the_global_schema() {
    let directory = tempfile::tempdir().unwrap();

    let output = run_cli(directory.path(), &["schema", "--global"]);

    let schema = global::SCHEMA;
    let expected = if schema.ends_with('\n') { schema.to_owned() } else { format!("{schema}\n") };
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert_eq!(output.status.code(), Some(0));
}
