//! Code lenses and commands against a fake orchestrator on 127.0.0.1, over stdio with the
//! built binary: what the editor is shown, and the exact requests the fake received.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::fake::{Fake, Reply, TOKEN};
use support::git::run_git;
use support::orchestrated::{full_capabilities, Options, Orchestrated, EXAMPLE};
use support::range;

const INFO: i64 = 3;
const WARNING: i64 = 2;
const ERROR: i64 = 1;

async fn started(fake: Fake, capabilities: Value) -> Orchestrated {
    let mut orchestrated = Orchestrated::start(fake, Options::default());
    orchestrated.open(capabilities).await;
    orchestrated
}

/// One content change of a `didChange`.
fn edit(start: (u32, u32), end: (u32, u32), text: &str) -> Value {
    json!({"range": range(start, end), "text": text})
}

fn lens(
    start: (u32, u32),
    end: (u32, u32),
    uri: &str,
    kind: &str,
    env: Option<&str>,
    version: i32,
) -> Value {
    let mut data = json!({"v": 1, "uri": uri, "kind": kind, "docVersion": version});
    if let Some(env) = env {
        data["env"] = json!(env);
    }
    json!({"range": range(start, end), "data": data})
}

/// The lenses of the example, as a client that resolves commands lazily gets them.
fn example_lenses(uri: &str, version: i32, shift: u32) -> Value {
    json!([
        lens((3, 0), (3, 7), uri, "createRelease", None, version),
        lens((3, 0), (3, 7), uri, "validate", None, version),
        lens((3, 0), (3, 7), uri, "diff", None, version),
        lens((24 + shift, 12), (24 + shift, 23), uri, "promote", Some("development"), version),
        lens((28 + shift, 12), (28 + shift, 19), uri, "promote", Some("staging"), version),
        lens((33 + shift, 12), (33 + shift, 22), uri, "promote", Some("production"), version),
        lens((41 + shift, 17), (41 + shift, 24), uri, "promote", Some("staging"), version),
        lens((44 + shift, 17), (44 + shift, 27), uri, "promote", Some("production"), version),
    ])
}

async fn code_lenses(orchestrated: &mut Orchestrated) -> Value {
    let uri = orchestrated.uri.clone();
    let response = orchestrated
        .client
        .request("textDocument/codeLens", json!({"textDocument": {"uri": uri}}))
        .await;
    response["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn lenses_keep_their_place_through_edits_and_a_moment_of_broken_syntax() {
    let mut orchestrated = started(Fake::start(), full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    assert_eq!(code_lenses(&mut orchestrated).await, example_lenses(&uri, 1, 0));

    // Two lines inserted above `auto_promote:` (line 21): the lenses below move down.
    orchestrated.client.did_change(&uri, 2, json!([edit((20, 0), (20, 0), "# one\n# two\n")]));
    assert_eq!(code_lenses(&mut orchestrated).await, example_lenses(&uri, 2, 2));

    // An unclosed flow sequence on the `ignore_paths` line: the text no longer parses, and
    // the last good lenses come back, moved through this edit too (one line inserted above
    // `auto_promote:` and the break below every lens).
    orchestrated.client.did_change(
        &uri,
        3,
        json!([edit((0, 0), (0, 0), "# three\n"), edit((50, 0), (50, 0), "oops: [\n")]),
    );
    let broken = code_lenses(&mut orchestrated).await;
    let mut expected = example_lenses(&uri, 3, 3);
    for (index, lens) in expected.as_array_mut().unwrap().iter_mut().enumerate() {
        if index < 3 {
            lens["range"] = range((4, 0), (4, 7));
        }
        lens["data"]["docVersion"] = json!(2);
    }
    // Remembered lenses say which version they were computed for.
    for lens in expected.as_array_mut().unwrap() {
        lens["data"]["docVersion"] = json!(3);
    }
    assert_eq!(broken, expected);

    // Fixed again: computed afresh.
    orchestrated.client.did_change(&uri, 4, json!([edit((50, 0), (51, 0), "")]));
    let fixed = code_lenses(&mut orchestrated).await;
    assert_eq!(fixed, expected_fixed(&uri));
}

fn expected_fixed(uri: &str) -> Value {
    let mut expected = example_lenses(uri, 4, 3);
    for lens in expected.as_array_mut().unwrap().iter_mut().take(3) {
        lens["range"] = range((4, 0), (4, 7));
    }
    expected
}

#[tokio::test(flavor = "multi_thread")]
async fn resolve_fills_titles_from_the_cache_and_keeps_data() {
    let fake = Fake::start();
    let mut orchestrated = started(fake, full_capabilities()).await;
    let uri = orchestrated.uri.clone();
    let lenses = code_lenses(&mut orchestrated).await;

    let mut titles = Vec::new();
    for lens in lenses.as_array().unwrap() {
        let resolved =
            orchestrated.client.request("codeLens/resolve", lens.clone()).await["result"].clone();
        assert_eq!(resolved["data"], lens["data"], "resolve keeps data");
        titles.push((
            resolved["command"]["title"].clone(),
            resolved["command"]["command"].clone(),
            resolved["command"]["arguments"].clone(),
        ));
    }
    let promote = |env: &str| json!([{"uri": uri, "env": env}]);
    let file = json!([{"uri": uri}]);
    assert_eq!(
        titles,
        [
            (json!("Create release"), json!("stella.createRelease"), file.clone()),
            (json!("Validate with server"), json!("stella.validate"), file.clone()),
            (json!("Diff with server"), json!("stella.diff"), file),
            (
                json!("Promote to development (rel-abc123 running)"),
                json!("stella.promote"),
                promote("development")
            ),
            (
                json!("Promote to staging (rel-abc123 running)"),
                json!("stella.promote"),
                promote("staging")
            ),
            (json!("Promote to production"), json!("stella.promote"), promote("production")),
            (
                json!("Promote to staging (rel-abc123 running)"),
                json!("stella.promote"),
                promote("staging")
            ),
            (json!("Promote to production"), json!("stella.promote"), promote("production")),
        ]
    );

    // B16 step 4: a resolved lens sent again, without data, comes back unchanged; no request.
    let before = orchestrated.fake.requests().len();
    let resolved_again = json!({"range": range((3, 0), (3, 7)), "command": {"title": "Create release", "command": "stella.createRelease", "arguments": [{"uri": uri}]}});
    let answer = orchestrated.client.request("codeLens/resolve", resolved_again.clone()).await;
    assert_eq!(answer["result"], resolved_again);

    // B16 step 5: the environment left the file after the lens was made.
    orchestrated.client.did_change(
        &uri,
        2,
        json!([edit((41, 17), (41, 24), "stage"), edit((28, 12), (28, 19), "stage")]),
    );
    let old = lenses[4].clone();
    let answer = orchestrated.client.request("codeLens/resolve", old.clone()).await;
    assert_eq!(
        answer["result"]["command"],
        json!({"title": "staging (no longer in file)", "command": "stella.noop"})
    );
    assert_eq!(answer["result"]["data"], old["data"]);
    let production = lenses[5].clone();
    let answer = orchestrated.client.request("codeLens/resolve", production).await;
    assert_eq!(answer["result"]["command"]["title"], "Promote to production");

    assert_eq!(
        orchestrated.fake.requests()[before..]
            .iter()
            .filter(|request| {
                !["/api/v1/environments", "/api/v1/config/validate"]
                    .contains(&request.path.as_str())
            })
            .count(),
        0,
        "resolving never calls the orchestrator"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_that_cannot_resolve_get_commands_at_once() {
    let mut orchestrated = started(Fake::start(), json!({})).await;
    let lenses = code_lenses(&mut orchestrated).await;

    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|lens| lens["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Create release",
            "Validate with server",
            "Diff with server",
            "Promote to development (rel-abc123 running)",
            "Promote to staging (rel-abc123 running)",
            "Promote to production",
            "Promote to staging (rel-abc123 running)",
            "Promote to production",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn promote_sends_one_promotion_and_says_so() {
    let mut orchestrated = started(Fake::start(), full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    let result =
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert_eq!(result, Value::Null, "the flow runs in the background");
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Promotion pro-1 of rel-abc123 to staging created (pending approval)".to_owned())
    );

    let releases: Vec<_> =
        orchestrated.fake.requests().into_iter().filter(|r| r.path == "/api/v1/releases").collect();
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].method, "GET");
    assert_eq!(releases[0].query.as_deref(), Some("name=my-service&limit=5"));

    let posts: Vec<_> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/promotions")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].method, "POST");
    assert_eq!(posts[0].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(posts[0].header("content-type"), Some("application/json"));
    assert_eq!(
        posts[0].body,
        r#"{"release_id":"rel-abc123","target_environment_id":"env-stg","auto_approve":false}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_click_while_a_promotion_runs_sends_nothing() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/promotions",
        Reply::Delay(Duration::from_secs(2), Box::new(Reply::Json(201, json!({"id": "pro-1", "release_id": "rel-abc123", "target_environment_id": "env-stg", "status": "pending_approval"})))),
    );
    let mut orchestrated = started(fake, full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    let first = orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert!(orchestrated.fake.wait_for("POST", "/api/v1/promotions", 1, Duration::from_secs(5)));
    let second =
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;

    assert_eq!(first, Value::Null);
    assert_eq!(second, json!("A promotion of rel-abc123 to staging is already in progress"));
    assert_eq!(
        orchestrated.message().await,
        (INFO, "A promotion of rel-abc123 to staging is already in progress".to_owned())
    );
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Promotion pro-1 of rel-abc123 to staging created (pending approval)".to_owned())
    );
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 1);

    // Done: a new click promotes again.
    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    orchestrated.message().await;
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_acts_on_the_text_current_at_the_click() {
    let mut orchestrated = started(Fake::start(), full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    // `staging` renamed in both places, and the file broken by an unclosed flow sequence on
    // line 14, which the parser reports on line 15, where the sequence should have ended.
    orchestrated.client.did_change(
        &uri,
        2,
        json!([
            edit((41, 17), (41, 24), "stage"),
            edit((28, 12), (28, 19), "stage"),
            edit((13, 0), (13, 0), "    extra: [\n"),
        ]),
    );
    let broken =
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert_eq!(broken, json!(".stella.yaml does not parse (line 15); fix it before promoting"));
    assert_eq!(
        orchestrated.message().await,
        (WARNING, ".stella.yaml does not parse (line 15); fix it before promoting".to_owned())
    );
    let published = orchestrated.client.published(&uri, Some(2)).await;
    assert_eq!(
        published["diagnostics"][0]["range"]["start"]["line"], 14,
        "the same line as the syntax error"
    );

    orchestrated.client.did_change(&uri, 3, json!([edit((13, 0), (14, 0), "")]));
    let renamed =
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert_eq!(renamed, json!("Environment \"staging\" is no longer in .stella.yaml"));
    orchestrated.message().await;

    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn promoting_where_approval_is_needed_asks_first() {
    let mut orchestrated = started(Fake::start(), full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    // Esc (a `null` answer, the client's default here): nothing is sent.
    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "production"})).await;
    let asked = orchestrated
        .client
        .wait_for("the question", |m| m["method"] == "window/showMessageRequest")
        .await;
    assert_eq!(
        asked["params"],
        json!({"type": 2, "message": "Promote rel-abc123 to production?", "actions": [{"title": "Promote"}, {"title": "Cancel"}]})
    );
    assert_eq!(
        orchestrated.message().await,
        (WARNING, "Promotion to production not confirmed; nothing was sent".to_owned())
    );
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 0);

    // Yes: one promotion.
    orchestrated.client.answer_with(|request| {
        Some(if request["method"] == "window/showMessageRequest" {
            json!({"title": "Promote"})
        } else {
            Value::Null
        })
    });
    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "production"})).await;
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Promotion pro-1 of rel-abc123 to production created (pending approval)".to_owned())
    );
    let posts: Vec<_> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/promotions")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].body,
        r#"{"release_id":"rel-abc123","target_environment_id":"env-prd","auto_approve":false}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_cannot_ask_is_told_how_to_confirm() {
    let mut orchestrated = started(Fake::start(), json!({})).await;
    let uri = orchestrated.uri.clone();

    let refused =
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "production"})).await;
    assert_eq!(
        refused,
        json!(
            "Promotion to production needs confirmation; run stella.promote with \"confirm\": true"
        )
    );
    orchestrated.message().await;
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 0);

    orchestrated
        .execute("stella.promote", json!({"uri": uri, "env": "production", "confirm": true}))
        .await;
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Promotion pro-1 of rel-abc123 to production created (pending approval)".to_owned())
    );
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_question_sends_nothing_and_blocks_nothing() {
    let fake = Fake::start();
    let mut orchestrated = Orchestrated::start(
        fake,
        Options { env: vec![("STELLA_PROMPT_TIMEOUT", "1s".to_owned())], ..Options::default() },
    );
    orchestrated.open(full_capabilities()).await;
    let uri = orchestrated.uri.clone();
    orchestrated.client.answer_with(|request| {
        (request["method"] != "window/showMessageRequest").then_some(Value::Null)
    });

    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "production"})).await;
    orchestrated
        .client
        .wait_for("the question", |m| m["method"] == "window/showMessageRequest")
        .await;

    // While the question waits, lenses and diagnostics are served.
    assert_eq!(code_lenses(&mut orchestrated).await.as_array().unwrap().len(), 8);
    orchestrated.client.did_change(&uri, 2, json!([edit((22, 11), (22, 15), "maybe")]));
    let published = orchestrated.client.published(&uri, Some(2)).await;
    assert_eq!(published["diagnostics"][0]["code"], "wrong-type");

    assert_eq!(
        orchestrated.message().await,
        (WARNING, "Promotion to production not confirmed; nothing was sent".to_owned())
    );
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn orchestrator_errors_are_one_clear_sentence_each() {
    let cases = [
        (
            Reply::Json(
                401,
                json!({"error": {"code": "unauthorized", "message": format!("token {TOKEN} revoked")}}),
            ),
            ERROR,
        ),
        (
            Reply::Json(
                403,
                json!({"error": {"code": "forbidden", "message": "jane@example.com may not promote to staging"}}),
            ),
            ERROR,
        ),
        (
            Reply::Json(
                404,
                json!({"error": {"code": "not_found", "message": "release rel-abc123 not found"}}),
            ),
            ERROR,
        ),
        (
            Reply::Json(
                500,
                json!({"error": {"code": "internal", "message": "database unavailable"}}),
            ),
            ERROR,
        ),
        (
            Reply::Raw {
                status: 201,
                headers: vec![("content-type".to_owned(), "application/json".to_owned())],
                body: "{not json".to_owned(),
            },
            ERROR,
        ),
    ];
    let mut sentences = Vec::new();
    for (reply, kind) in cases {
        let fake = Fake::start();
        fake.on("POST", "/api/v1/promotions", reply);
        let mut orchestrated = started(fake, full_capabilities()).await;
        let uri = orchestrated.uri.clone();

        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
        let (shown, sentence) = orchestrated.message().await;
        assert_eq!(shown, kind);
        sentences.push(sentence.replace(&orchestrated.fake.url, "URL"));

        // Diagnostics keep flowing.
        orchestrated.client.did_change(&uri, 2, json!([edit((22, 11), (22, 15), "maybe")]));
        let published = orchestrated.client.published(&uri, Some(2)).await;
        assert_eq!(published["diagnostics"][0]["code"], "wrong-type");
    }

    assert_eq!(
        sentences,
        [
            "Not signed in to Stella at URL: run `stella auth login` or set STELLA_TOKEN (server said: token *** revoked)",
            "Stella refused: jane@example.com may not promote to staging (your account may not do this)",
            "Not found on Stella: release rel-abc123 not found",
            "Stella at URL failed (500): database unavailable",
            "Stella at URL sent an answer that is not valid JSON (key must be a string at line 1 column 2)",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_environment_says_until_when_and_why() {
    let fake = Fake::start();
    let mut environments = fake_environments();
    environments[2]["status"] = json!("frozen");
    environments[2]["frozen_until"] = json!("2099-01-01T18:00:00Z");
    environments[2]["freeze_reason"] = json!("year-end change freeze");
    fake.on("GET", "/api/v1/environments", Reply::Json(200, Value::Array(environments)));
    fake.on("POST", "/api/v1/promotions", Reply::Json(409, json!({"error": {"code": "environment_frozen", "message": "environment production is frozen"}})));
    let mut orchestrated = started(fake, json!({"window": {"showMessage": {}}})).await;
    let uri = orchestrated.uri.clone();

    let lenses = code_lenses(&mut orchestrated).await;
    assert_eq!(
        lenses[5]["command"]["title"],
        "Promote to production (frozen until 2099-01-01 18:00 UTC)"
    );

    orchestrated
        .execute("stella.promote", json!({"uri": uri, "env": "production", "confirm": true}))
        .await;
    assert_eq!(
        orchestrated.message().await,
        (WARNING, "production is frozen until 2099-01-01 18:00 UTC (year-end change freeze); nothing was promoted".to_owned())
    );
}

fn fake_environments() -> Vec<Value> {
    vec![
        json!({"id": "env-dev", "name": "development", "promotion_order": 1, "status": "active", "current_release_id": "rel-abc123"}),
        json!({"id": "env-stg", "name": "staging", "promotion_order": 2, "status": "active", "current_release_id": "rel-abc123"}),
        json!({"id": "env-prd", "name": "production", "promotion_order": 3, "status": "active", "current_release_id": null}),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn create_release_reads_the_version_from_the_newest_matching_tag() {
    let fake = Fake::start();
    let mut orchestrated = Orchestrated::start(fake, Options::default());
    let workspace = orchestrated.workspace.path().to_path_buf();
    let git = |args: &[&str]| {
        run_git(&workspace, args);
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    for tag in ["v1.2.0", "v1.10.0", "v1.11.0-rc.1", "other-9.0"] {
        git(&["tag", tag]);
    }
    orchestrated.open(json!({"window": {"showMessage": {}}})).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.createRelease", json!({"uri": uri})).await;
    let url = orchestrated.fake.url.clone();
    assert_eq!(
        orchestrated.message().await,
        (
            INFO,
            format!(
                "Created release rel-new001 (my-service 1.11.0-rc.1): {url}/releases/rel-new001"
            )
        )
    );
    let posts: Vec<_> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/releases")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].json(),
        json!({
            "name": "my-service",
            "version": "1.11.0-rc.1",
            "source_ref": "v1.11.0-rc.1",
            "components": [
                {"name": "api", "image": "registry.example.com/my-service/api", "tag": "1.11.0-rc.1"},
                {"name": "worker", "image": "registry.example.com/my-service/worker", "tag": "1.11.0-rc.1"},
            ],
        })
    );

    // A version given explicitly wins.
    orchestrated.execute("stella.createRelease", json!({"uri": uri, "version": "2.0.0"})).await;
    orchestrated.message().await;
    let last = orchestrated
        .fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST" && r.path == "/api/v1/releases");
    assert_eq!(last.unwrap().json()["version"], "2.0.0");
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_maps_the_servers_findings_onto_the_text() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/config/validate",
        Reply::Json(200, json!({"valid": false, "errors": [
            {"path": "/auto_promote/environments/2/name", "message": "environment production requires 2 approvers"},
            {"path": "/branches/release~1*/environment", "message": "branch rule overlaps main", "severity": "warning"},
        ]})),
    );
    let mut orchestrated = started(fake, full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.validate", json!({"uri": uri})).await;
    assert_eq!(
        orchestrated.message().await,
        (WARNING, "Stella found 2 problems in .stella.yaml; see the diagnostics".to_owned())
    );
    let request = orchestrated
        .fake
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/v1/config/validate")
        .unwrap();
    assert_eq!(request.json(), json!({"content": EXAMPLE, "path": ".stella.yaml"}));

    let published = orchestrated
        .client
        .wait_for("the server's findings", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["diagnostics"].as_array().is_some_and(|d| d.len() == 2)
        })
        .await;
    assert_eq!(
        published["params"]["diagnostics"],
        json!([
            {"range": range((33, 12), (33, 22)), "severity": 1, "code": "server-validation", "source": "stella-server", "message": "environment production requires 2 approvers"},
            {"range": range((44, 17), (44, 27)), "severity": 2, "code": "server-validation", "source": "stella-server", "message": "branch rule overlaps main"},
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_and_apply_report_what_would_change() {
    let fake = Fake::start();
    let diff = json!({"added_components": ["worker"], "removed_environments": ["qa"], "modified_components": [{"name": "api", "changes": ["image: a -> b"]}]});
    fake.on("POST", "/api/v1/config/diff", Reply::Json(200, diff.clone()));
    fake.on(
        "POST",
        "/api/v1/config/apply",
        Reply::Json(200, json!({"applied": false, "diff": diff})),
    );
    let mut orchestrated = started(fake, full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.diff", json!({"uri": uri})).await;
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Compared with Stella, .stella.yaml would add component worker; change component api; remove environment qa".to_owned())
    );

    orchestrated.execute("stella.apply", json!({"uri": uri, "dryRun": true})).await;
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Dry run: applying .stella.yaml would add component worker; change component api; remove environment qa".to_owned())
    );
    let apply = orchestrated
        .fake
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/v1/config/apply")
        .unwrap();
    assert_eq!(apply.json(), json!({"content": EXAMPLE, "path": ".stella.yaml", "dry_run": true}));

    // A real apply asks first; "Cancel" sends nothing.
    orchestrated.client.answer_with(|request| {
        Some(if request["method"] == "window/showMessageRequest" {
            json!({"title": "Cancel"})
        } else {
            Value::Null
        })
    });
    orchestrated.execute("stella.apply", json!({"uri": uri})).await;
    assert_eq!(
        orchestrated.message().await,
        (WARNING, "Applying .stella.yaml not confirmed; nothing was sent".to_owned())
    );
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/config/apply"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_custom_requests_answer_with_the_orchestrators_state() {
    let mut orchestrated = started(Fake::start(), full_capabilities()).await;
    let url = orchestrated.fake.url.clone();

    let status = orchestrated.client.request("stella/status", Value::Null).await;
    assert_eq!(
        status["result"],
        json!({"context": "test", "server": url, "signedInAs": "jane@example.com", "organization": "acme-corp", "reachable": true, "apiVersion": "1.0", "serverVersion": "2.4.1", "lastError": null, "warnings": []})
    );

    let environments = orchestrated.client.request("stella/environments", json!({})).await;
    assert_eq!(environments["result"].as_array().unwrap().len(), 3);
    let releases = orchestrated
        .client
        .request("stella/releases", json!({"name": "my-service", "limit": 3}))
        .await;
    assert_eq!(releases["result"][0]["id"], "rel-abc123");
    assert_eq!(
        orchestrated
            .fake
            .requests()
            .into_iter()
            .rfind(|r| r.path == "/api/v1/releases")
            .unwrap()
            .query
            .as_deref(),
        Some("name=my-service&limit=3")
    );
    let deployments =
        orchestrated.client.request("stella/deployments", json!({"env": "staging"})).await;
    assert_eq!(deployments["result"][0]["status"], "succeeded");
    assert_eq!(
        orchestrated
            .fake
            .requests()
            .into_iter()
            .rfind(|r| r.path == "/api/v1/deployments")
            .unwrap()
            .query
            .as_deref(),
        Some("env=staging")
    );

    let first = orchestrated.client.request("stella/deploymentLogs", json!({"id": "dep-1"})).await;
    assert_eq!(first["result"]["after"], 2);
    assert_eq!(first["result"]["complete"], true);
    let next = orchestrated
        .client
        .request("stella/deploymentLogs", json!({"id": "dep-1", "after": 1}))
        .await;
    assert_eq!(next["result"]["lines"].as_array().unwrap().len(), 1);
    assert_eq!(
        orchestrated
            .fake
            .requests()
            .into_iter()
            .rfind(|r| r.path == "/api/v1/deployments/dep-1/logs")
            .unwrap()
            .query
            .as_deref(),
        Some("after=1")
    );

    let missing =
        orchestrated.client.request("stella/deploymentLogs", json!({"id": "dep-9"})).await;
    assert_eq!(missing["error"]["code"], -32803);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_lens_is_also_a_code_action() {
    let mut orchestrated = started(Fake::start(), json!({})).await;
    let uri = orchestrated.uri.clone();

    let on_staging = orchestrated
        .client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range((28, 14), (28, 14)), "context": {"diagnostics": []}}),
        )
        .await;
    let actions: Vec<(String, Value)> = on_staging["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| {
            assert_eq!(action["title"], action["command"]["title"]);
            (
                action["title"].as_str().unwrap().to_owned(),
                json!([action["command"]["command"], action["command"]["arguments"]]),
            )
        })
        .collect();
    let file = json!([{"uri": uri}]);
    assert_eq!(
        actions,
        [
            ("Create release".to_owned(), json!(["stella.createRelease", file])),
            ("Validate with server".to_owned(), json!(["stella.validate", file])),
            ("Diff with server".to_owned(), json!(["stella.diff", file])),
            (
                "Promote to staging (rel-abc123 running)".to_owned(),
                json!(["stella.promote", [{"uri": uri, "env": "staging"}]])
            ),
            (
                "Deploy to staging".to_owned(),
                json!(["stella.deploy", [{"uri": uri, "env": "staging"}]])
            ),
            (
                "Apply to server (dry run)".to_owned(),
                json!(["stella.apply", [{"uri": uri, "dryRun": true}]])
            ),
            (
                "Apply to server".to_owned(),
                json!(["stella.apply", [{"uri": uri, "dryRun": false}]])
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_polls_now_and_says_so() {
    let mut orchestrated = started(Fake::start(), full_capabilities()).await;
    let polled = orchestrated.fake.count("GET", "/api/v1/environments");

    let result = orchestrated.execute("stella.refresh", Value::Null).await;

    assert_eq!(result, Value::Null);
    let url = orchestrated.fake.url.clone();
    assert_eq!(orchestrated.message().await, (INFO, format!("Refreshed from Stella at {url}")));
    assert!(orchestrated.fake.count("GET", "/api/v1/environments") > polled);
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_takes_effect_without_a_restart() {
    let mut orchestrated =
        Orchestrated::start(Fake::start(), Options { no_token: true, ..Options::default() });
    orchestrated.client.initialize_with(None, full_capabilities()).await;
    let uri = orchestrated.uri.clone();
    orchestrated.client.did_open(&uri, 1, EXAMPLE);
    let url = orchestrated.fake.url.clone();

    let signed_out = orchestrated
        .client
        .wait_for("the not-signed-in notice", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
        })
        .await;
    assert_eq!(
        signed_out["params"]["diagnostics"],
        json!([{
            "range": range((3, 0), (3, 7)),
            "severity": 3,
            "code": "not-signed-in",
            "source": "stella-server",
            "message": format!("Not signed in to Stella at {url}: run `stella auth login` or set STELLA_TOKEN"),
        }])
    );
    assert_eq!(orchestrated.fake.count("GET", "/api/v1/auth/whoami"), 0, "no token, no request");

    // What `stella auth login` would write.
    let credentials = orchestrated.home.path().join(".stella/credentials.yaml");
    std::fs::write(&credentials, format!("contexts:\n  test:\n    token: {TOKEN}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // Read again at the next poll: the notice goes, and the user is known.
    let signed_in = orchestrated
        .client
        .wait_for("the notice to go", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["diagnostics"] == json!([])
        })
        .await;
    assert_eq!(signed_in["params"]["version"], 1);
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/auth/whoami", 1, Duration::from_secs(10)));
    let mut status = Value::Null;
    for _ in 0..100 {
        status = orchestrated.client.request("stella/status", Value::Null).await["result"].clone();
        if status["signedInAs"] != Value::Null {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status["signedInAs"], "jane@example.com");
    let whoami =
        orchestrated.fake.requests().into_iter().find(|r| r.path == "/api/v1/auth/whoami").unwrap();
    assert_eq!(whoami.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_is_reported_by_the_status_it_ends_with() {
    let fake = Fake::start();
    let deployment = |status: &str| json!([{"id": "dep-1", "release_id": "rel-abc123", "environment_id": "env-stg", "status": status}]);
    fake.on(
        "GET",
        "/api/v1/deployments",
        Reply::Sequence(vec![
            Reply::Json(200, deployment("succeeded")),
            Reply::Json(200, deployment("failed")),
            Reply::Json(200, deployment("rolled_back")),
            Reply::Json(200, json!([])),
        ]),
    );
    let mut orchestrated = started(fake, json!({})).await;
    let uri = orchestrated.uri.clone();

    let mut shown = Vec::new();
    for _ in 0..4 {
        orchestrated.execute("stella.deploy", json!({"uri": uri, "env": "staging"})).await;
        shown.push(orchestrated.message().await);
    }

    assert_eq!(
        shown,
        [
            (INFO, "Deployed rel-abc123 to staging".to_owned()),
            (ERROR, "Deployment dep-1 of rel-abc123 to staging failed; its log is complete".to_owned()),
            (ERROR, "Deployment dep-1 of rel-abc123 to staging was rolled back".to_owned()),
            (WARNING, "Deployment dep-1 of rel-abc123 to staging finished its log; Stella does not list it, so its status is unknown".to_owned()),
        ]
    );
    let reads: Vec<_> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v1/deployments")
        .collect();
    assert_eq!(reads.len(), 4);
    assert_eq!(reads[0].query.as_deref(), Some("env=staging&limit=20"));
}
