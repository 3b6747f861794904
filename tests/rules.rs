//! One test per rule of the schema and semantic stages, with exact ranges and messages,
//! and the staging between them.

use std::collections::HashMap;

use stella_lsp::core::{analyze, Analyzer, Context, Encoding, FileKind, FileSystem, LineIndex};

const REL: &str =
    "release:\n  name: app\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\n";
const COMP: &str = "components:\n  - name: api\n    image: registry.example/api\n    dockerfile: Dockerfile\n    build_context: .\n";
const ENVS: &str = "auto_promote:\n  environments:\n    - name: staging\n      auto_approve: true\n      require_tests: true\n    - name: production\n      auto_approve: false\n      require_tests: true\n";

/// An in-memory directory for the path rules.
struct Files(HashMap<&'static str, FileKind>);

impl FileSystem for Files {
    fn kind(&self, relative: &str) -> Option<FileKind> {
        self.0.get(relative).copied()
    }
}

fn render(text: &str, context: &Context<'_>) -> Vec<String> {
    let index = LineIndex::new(text);
    let position = |offset| {
        let line_col = index.line_col(text, offset, Encoding::Utf16);
        format!("{}:{}", line_col.line, line_col.col)
    };
    let full = analyze(text, context).diagnostics;
    let incremental = Analyzer::default().analyze(text, context).diagnostics;
    assert_eq!(incremental, full, "the incremental analysis differs from the full one");

    let mut lines = Vec::new();
    for diagnostic in full {
        lines.push(format!(
            "{}-{} {}[{}] {}",
            position(diagnostic.span.start),
            position(diagnostic.span.end),
            diagnostic.severity,
            diagnostic.code,
            diagnostic.message
        ));
        for related in diagnostic.related {
            lines.push(format!(
                "  {}-{} {}",
                position(related.span.start),
                position(related.span.end),
                related.message
            ));
        }
    }
    lines
}

fn check(text: &str) -> Vec<String> {
    render(text, &Context::default())
}

#[test]
fn unknown_key_without_a_close_match_lists_the_allowed_keys() {
    let text = format!("{REL}{COMP}colour: blue\n");
    assert_eq!(
        check(&text),
        ["9:0-9:6 error[unknown-key] unknown property `colour`; expected one of: auto_promote, branches, components, ignore_paths, release"]
    );
}

#[test]
fn wrong_type_names_what_was_found() {
    let text = format!("{REL}components:\n  - name: 10002\n    image: registry.example/api\n");
    assert_eq!(
        check(&text),
        ["5:10-5:15 error[wrong-type] `name` must be a string, got a number `10002`"]
    );
}

#[test]
fn a_quoted_yes_where_a_boolean_is_expected_is_a_plain_type_error() {
    let text =
        format!("{REL}{COMP}{}", ENVS.replace("auto_approve: true", "auto_approve: \"yes\""));
    assert_eq!(
        check(&text),
        ["12:20-12:25 error[wrong-type] `auto_approve` must be a boolean, got a string `\"yes\"`"]
    );
}

#[test]
fn a_list_where_a_mapping_is_expected() {
    let text = format!("release: [a]\n{COMP}");
    assert_eq!(
        check(&text),
        ["0:9-0:12 error[wrong-type] `release` must be a mapping, got a list"]
    );
}

#[test]
fn a_file_that_is_not_a_mapping() {
    assert_eq!(
        check("just text\n"),
        ["0:0-0:9 error[wrong-type] the file must be a mapping, got a string `just text`"]
    );
}

#[test]
fn pattern_and_length_errors_go_on_the_value() {
    let text = format!("{REL}components:\n  - name: Api_Server\n    image: registry.example/api\n");
    assert_eq!(
        check(&text),
        ["5:10-5:20 error[invalid-value] `name` `Api_Server` does not match the required pattern `^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`"]
    );
}

#[test]
fn an_empty_list_goes_on_its_key() {
    let text = format!("{REL}components: []\n");
    assert_eq!(check(&text), ["4:0-4:10 error[invalid-value] `components` needs at least 1 item"]);
}

#[test]
fn an_empty_string_is_reported_on_the_value() {
    let text = format!("{}{COMP}", REL.replace("tag_pattern: \"v*\"", "tag_pattern: \"\""));
    assert_eq!(check(&text), ["2:15-2:17 error[invalid-value] `tag_pattern` must not be empty"]);
}

#[test]
fn schema_errors_hold_back_the_semantic_rules() {
    // The duplicate component name would be reported, but the schema error comes first.
    let text =
        format!("{REL}{COMP}  - name: api\n    image: registry.example/api\n    colour: red\n");
    assert_eq!(check(&text), ["11:4-11:10 error[unknown-key] unknown property `colour`; expected one of: build_context, dockerfile, image, name"]);
}

#[test]
fn duplicate_component_names() {
    let text = format!("{REL}{COMP}  - name: api\n    image: registry.example/api2\n");
    assert_eq!(
        check(&text),
        [
            "9:10-9:13 error[duplicate-component] duplicate component name `api`",
            "  5:10-5:13 `api` is first named here"
        ]
    );
}

#[test]
fn duplicate_environment_names() {
    let text = format!("{REL}{COMP}{}", ENVS.replace("name: production", "name: staging"));
    assert_eq!(
        check(&text),
        [
            "14:12-14:19 error[duplicate-environment] duplicate environment name `staging`",
            "  11:12-11:19 `staging` is first named here",
        ]
    );
}

#[test]
fn invalid_globs() {
    let text = format!(
        "{}{COMP}branches:\n  \"release/[\":\n    environment: staging\nignore_paths:\n  - \"docs/{{a,b\"\n",
        REL.replace("\"v*\"", "\"v[z-a]\"")
    );
    assert_eq!(
        check(&text),
        [
            "2:15-2:23 error[invalid-glob] `tag_pattern` `v[z-a]` is not a valid glob: invalid range; 'z' > 'a'",
            "10:2-10:13 error[invalid-glob] the branch pattern `release/[` is not a valid glob: unclosed character class; missing ']'",
            "13:4-13:15 error[invalid-glob] the ignore path `docs/{a,b` is not a valid glob: unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)",
        ]
    );
}

#[test]
fn version_pattern_needs_one_placeholder() {
    let text = format!("{}{COMP}", REL.replace("v{version}", "v{version}-{version}"));
    assert_eq!(
        check(&text),
        ["3:19-3:41 error[version-placeholder] `version_pattern` must hold `{version}` exactly once (found 2)"]
    );
    let text = format!("{}{COMP}", REL.replace("v{version}", "v1"));
    assert_eq!(
        check(&text),
        ["3:19-3:23 error[version-placeholder] `version_pattern` must hold `{version}` exactly once (found none)"]
    );
}

#[test]
fn version_pattern_must_read_the_selected_tags() {
    let text = format!("{}{COMP}", REL.replace("\"v*\"", "\"release-*\""));
    assert_eq!(
        check(&text),
        [
            "3:19-3:31 error[version-mismatch] `version_pattern` `v{version}` reads tags like `v1.2.3`, but `tag_pattern` `release-*` selects none of them",
            "  2:15-2:26 the tags are selected here",
        ]
    );
}

#[test]
fn branch_environment_must_be_declared() {
    let text = format!("{REL}{COMP}{ENVS}branches:\n  main:\n    environment: stagign\n  dev:\n    environment: qa\n");
    assert_eq!(
        check(&text),
        [
            "19:17-19:24 error[unknown-environment] unknown environment `stagign` (did you mean `staging`?)",
            "21:17-21:19 error[unknown-environment] unknown environment `qa`; `auto_promote.environments` declares: staging, production",
        ]
    );
}

#[test]
fn branch_environment_is_free_without_declared_environments() {
    let text = format!("{REL}{COMP}branches:\n  main:\n    environment: anything\n");
    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn auto_approve_with_required_review_is_a_contradiction() {
    let text = format!(
        "{REL}{COMP}{}",
        ENVS.replace(
            "      require_tests: true\n    - name: production",
            "      require_tests: true\n      require_review: true\n    - name: production"
        )
    );
    assert_eq!(
        check(&text),
        [
            "12:20-12:24 error[approval-conflict] environment `staging` has `auto_approve: true` and `require_review: true`; a reviewed promotion cannot be approved automatically",
            "  14:22-14:26 review is required here",
        ]
    );
}

#[test]
fn image_references_follow_the_oci_grammar() {
    let text = format!("{REL}{}", COMP.replace("registry.example/api", "registry.example/API"));
    assert_eq!(
        check(&text),
        ["6:11-6:31 error[invalid-image] `registry.example/API` is not a valid image reference: `API` has upper-case letters; repository names are lower case"]
    );
}

#[test]
fn paths_must_exist_next_to_the_file() {
    let files =
        Files(HashMap::from([("Dockerfile", FileKind::Directory), ("ci.yml", FileKind::File)]));
    let text = format!(
        "{REL}{COMP}auto_promote:\n  environments:\n    - name: staging\n      auto_approve: true\n      require_tests: true\n      test_workflow: missing.yml\n    - name: production\n      auto_approve: false\n      require_tests: true\n      test_workflow: ci.yml\n"
    );
    assert_eq!(
        render(&text, &Context { files: Some(&files) }),
        [
            "7:16-7:26 warning[missing-path] `dockerfile` names `Dockerfile`, which is a directory, not a file",
            "8:19-8:20 warning[missing-path] `build_context` names `.`, which does not exist next to this file",
            "14:21-14:32 warning[missing-path] `test_workflow` names `missing.yml`, which does not exist next to this file",
        ]
    );
}

#[test]
fn path_rules_are_skipped_without_a_directory() {
    let text = format!("{REL}{COMP}");
    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn the_example_is_clean_on_disk() {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example");
    let files = stella_lsp::files::DiskFiles::around(&directory.join(".stella.yaml")).unwrap();
    let text = std::fs::read_to_string(directory.join(".stella.yaml")).unwrap();
    assert_eq!(render(&text, &Context { files: Some(&files) }), Vec::<String>::new());
}

#[test]
fn alias_that_contains_itself() {
    let text = "ignore_paths: &a [x, *a]\n";
    assert_eq!(
        check(text),
        ["0:21-0:23 error[alias-limit] this alias names a node that contains it, so it never ends"]
    );
}

#[test]
fn a_merge_of_a_scalar_is_invalid() {
    let text =
        format!("{REL}components:\n  - <<: text\n    name: api\n    image: registry.example/api\n");
    assert_eq!(
        check(&text),
        ["5:8-5:12 error[invalid-merge] a merge key `<<` takes a mapping or a list of mappings"]
    );
}

#[test]
fn a_collection_key_is_invalid() {
    let text = format!("{REL}{COMP}? [a]\n: b\n");
    assert_eq!(
        check(&text),
        ["9:2-9:5 error[invalid-key] a key must be text, not a list or a mapping"]
    );
}

#[test]
fn a_tab_in_the_indentation_is_marked_on_the_tab() {
    let text = format!("{REL}components:\n  - name: api\n\timage: x\n");
    assert_eq!(
        check(&text),
        ["6:0-6:1 error[syntax] a tab is not allowed here; YAML indents with spaces"]
    );
}

#[test]
fn a_key_without_its_colon_is_marked_on_its_line() {
    let text = format!("{REL}components:\n  - name: api\n    image registry.example/api\n    dockerfile: Dockerfile\n");
    assert_eq!(
        check(&text),
        ["6:4-6:30 error[syntax] expected `:` after the key on this line (write `key: value`)"]
    );

    let stray_last_line = format!("{REL}{COMP}  bad\n");
    assert_eq!(
        check(&stray_last_line),
        ["9:2-9:5 error[syntax] expected `:` after the key on this line (write `key: value`)"]
    );
}

#[test]
fn a_missing_colon_before_a_nested_key_is_reported_on_the_next_line() {
    // FIXME(syntax-positions): saphyr reads `name app` and the next line as one plain
    // scalar and fails at the `:` after `tag_pattern`; the mistake is the missing `:` on
    // line 1. Placing it there needs a look at the scalar the error interrupted.
    let text = "release:\n  name app\n  tag_pattern: \"v*\"\n";
    assert_eq!(
        check(text),
        ["2:13-2:14 error[syntax] mapping values are not allowed in this context"]
    );
}

#[test]
fn declared_environments_are_listed_once() {
    let text = format!(
        "{REL}{COMP}{}branches:\n  main:\n    environment: qa\n",
        ENVS.replace("name: production", "name: staging")
    );
    assert_eq!(
        check(&text),
        [
            "14:12-14:19 error[duplicate-environment] duplicate environment name `staging`",
            "  11:12-11:19 `staging` is first named here",
            "19:17-19:19 error[unknown-environment] unknown environment `qa`; `auto_promote.environments` declares: staging",
        ]
    );
}
