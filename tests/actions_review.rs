//! Faults a review of the editor actions found, each kept as a test: what a command may
//! read, how clicks are deduplicated, and the limits that keep the server answering.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::fake::{Fake, Reply};
use support::orchestrated::{file_uri, full_capabilities, Options, Orchestrated, EXAMPLE};

const ERROR: i64 = 1;

async fn started(fake: Fake) -> Orchestrated {
    let mut orchestrated = Orchestrated::start(fake, Options::default());
    orchestrated.open(full_capabilities()).await;
    orchestrated
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_act_only_on_stella_files_and_read_only_regular_ones() {
    let mut orchestrated = started(Fake::start()).await;
    let home = orchestrated.home.path().to_path_buf();
    let workspace = orchestrated.workspace.path().to_path_buf();
    let fifo = workspace.join("pipe.stella.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let folder = workspace.join("folder.stella.yaml");
    std::fs::create_dir(&folder).unwrap();

    let credentials_path = home.join(".stella/credentials.yaml");
    std::fs::write(&credentials_path, "contexts:\n  other:\n    token: marker-not-to-send\n")
        .unwrap();
    let credentials = file_uri(&credentials_path);
    let refused = orchestrated.execute("stella.validate", json!({"uri": credentials})).await;
    assert_eq!(refused, json!("stella.validate acts on .stella.yaml and .stella.yml files; credentials.yaml is neither"));
    let stdin =
        orchestrated.execute("stella.validate", json!({"uri": "file:///proc/self/fd/0"})).await;
    assert_eq!(
        stdin,
        json!("stella.validate acts on .stella.yaml and .stella.yml files; 0 is neither")
    );
    let pipe = orchestrated.execute("stella.validate", json!({"uri": file_uri(&fifo)})).await;
    assert_eq!(pipe, json!("Cannot read pipe.stella.yaml: it is not a regular file"));
    let directory =
        orchestrated.execute("stella.validate", json!({"uri": file_uri(&folder)})).await;
    assert_eq!(directory, json!("Cannot read folder.stella.yaml: it is not a regular file"));

    // The server still answers, and nothing was sent.
    let status = orchestrated.client.request("stella/status", Value::Null).await;
    assert_eq!(status["result"]["reachable"], true);
    let bodies: Vec<String> = orchestrated.fake.requests().into_iter().map(|r| r.body).collect();
    assert!(bodies.iter().all(|body| !body.contains("marker-not-to-send")), "{bodies:?}");
    for _ in 0..4 {
        assert_eq!(orchestrated.message().await.0, ERROR);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_not_open_is_read_from_disk() {
    let mut orchestrated = started(Fake::start()).await;
    let closed = orchestrated.workspace.path().join("other/.stella.yaml");
    std::fs::create_dir_all(closed.parent().unwrap()).unwrap();
    std::fs::write(&closed, EXAMPLE).unwrap();

    orchestrated.execute("stella.validate", json!({"uri": file_uri(&closed)})).await;

    assert_eq!(orchestrated.message().await.1, "Stella accepts .stella.yaml");
    let sent = orchestrated
        .fake
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/v1/config/validate")
        .unwrap();
    assert_eq!(sent.json()["content"], EXAMPLE);
}

#[tokio::test(flavor = "multi_thread")]
async fn clicks_for_the_same_file_environment_and_release_send_one_promotion() {
    let fake = Fake::start();
    let promotion = json!({"id": "pro-1", "release_id": "rel-abc123", "target_environment_id": "env-stg", "status": "pending_approval"});
    fake.on(
        "POST",
        "/api/v1/promotions",
        Reply::Delay(Duration::from_secs(2), Box::new(Reply::Json(201, promotion))),
    );
    let mut orchestrated = started(fake).await;
    let uri = orchestrated.uri.clone();
    let folder = orchestrated.workspace.path().display().to_string();

    let spellings = [
        json!({"uri": uri, "env": "staging"}),
        json!({"uri": uri, "env": "staging", "release": "rel-abc123"}),
        json!({"uri": format!("file://{folder}/./.stella.yaml"), "env": "staging"}),
        json!({"uri": format!("file://{folder}/%2Estella.yaml"), "env": "staging"}),
    ];
    let mut results = Vec::new();
    for arguments in spellings {
        results.push(orchestrated.execute("stella.promote", arguments).await);
        assert!(orchestrated.fake.wait_for(
            "POST",
            "/api/v1/promotions",
            1,
            Duration::from_secs(5)
        ));
    }

    let in_progress = json!("A promotion of rel-abc123 to staging is already in progress");
    assert_eq!(results, [Value::Null, in_progress.clone(), in_progress.clone(), in_progress]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_initialized_starts_no_second_poller() {
    let fake = Fake::start();
    let mut orchestrated = Orchestrated::start(
        fake,
        Options { env: vec![("STELLA_POLL_INTERVAL", "1h".to_owned())], ..Options::default() },
    );
    orchestrated.client.initialize_with(None, json!({})).await;
    for _ in 0..5 {
        orchestrated.client.notify("initialized", json!({}));
    }
    orchestrated.client.did_open(&orchestrated.uri.clone(), 1, EXAMPLE);
    orchestrated.wait_online().await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(orchestrated.fake.count("GET", "/api/v1/cli/version"), 1);
    assert_eq!(orchestrated.fake.count("GET", "/api/v1/environments"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_refresh_runs_at_a_time() {
    let fake = Fake::start();
    let options =
        Options { env: vec![("STELLA_POLL_INTERVAL", "1h".to_owned())], ..Options::default() };
    let mut orchestrated = Orchestrated::start(fake, options);
    orchestrated.open(full_capabilities()).await;
    orchestrated.fake.on(
        "GET",
        "/api/v1/environments",
        Reply::Delay(Duration::from_secs(1), Box::new(Reply::Json(200, json!([])))),
    );
    let polled = orchestrated.fake.count("GET", "/api/v1/environments");

    let first = orchestrated.execute("stella.refresh", Value::Null).await;
    let second = orchestrated.execute("stella.refresh", Value::Null).await;

    assert_eq!(first, Value::Null);
    assert_eq!(second, json!("A refresh from Stella is already in progress"));
    let url = orchestrated.fake.url.clone();
    assert_eq!(orchestrated.message().await.1, format!("Refreshed from Stella at {url}"));
    assert_eq!(orchestrated.fake.count("GET", "/api/v1/environments"), polled + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_custom_requests_are_limited_and_everything_else_goes_on() {
    let fake = Fake::start();
    fake.on("GET", "/api/v1/releases", Reply::Blackhole);
    let mut orchestrated = Orchestrated::start(
        fake,
        Options { env: vec![("STELLA_REQUEST_TIMEOUT", "60s".to_owned())], ..Options::default() },
    );
    orchestrated.open(full_capabilities()).await;
    let uri = orchestrated.uri.clone();

    let waiting: Vec<i64> = (1..=4)
        .map(|limit| {
            orchestrated
                .client
                .send_request("stella/releases", json!({"name": "my-service", "limit": limit}))
        })
        .collect();
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/releases", 4, support::TIMEOUT));
    let refused = orchestrated.client.request("stella/releases", json!({"name": "other"})).await;

    assert_eq!(
        refused["error"],
        json!({"code": -32803, "message": "4 requests to Stella from this editor are still waiting; try again when they finish"})
    );
    let status = orchestrated.client.request("stella/status", Value::Null).await;
    assert_eq!(status["result"]["reachable"], true);
    orchestrated.client.did_change(
        &uri,
        2,
        json!([{"range": support::range((22, 11), (22, 15)), "text": "maybe"}]),
    );
    let published = orchestrated.client.published(&uri, Some(2)).await;
    assert_eq!(published["diagnostics"][0]["code"], "wrong-type");
    assert_eq!(waiting.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_global_config_is_never_sent_to_the_orchestrator() {
    let mut orchestrated = started(Fake::start()).await;
    let config = orchestrated.home.path().join(".stella/config.yaml");
    let text = std::fs::read_to_string(&config).unwrap()
        + "plugins:\n  - name: slack\n    config:\n      token: xoxb-secret\n";
    let uri = file_uri(&config);

    orchestrated.client.did_open(&uri, 1, &text);
    let published = orchestrated.client.published(&uri, Some(1)).await;
    assert_eq!(published["diagnostics"][0]["code"], "token-in-config");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let uploads: Vec<String> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body)
        .collect();
    assert!(uploads.iter().all(|body| !body.contains("xoxb-secret")), "{uploads:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_too_long_to_be_names_are_refused_without_echoing_them() {
    let mut orchestrated = started(Fake::start()).await;
    let uri = orchestrated.uri.clone();

    let refused =
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "x".repeat(5000)})).await;

    assert_eq!(
        refused,
        json!("\"env\" of stella.promote is not a name: it is 5000 characters long")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_accepted_with_an_unexpected_answer_may_have_been_created() {
    let fake = Fake::start();
    fake.on("POST", "/api/v1/promotions", Reply::Json(202, json!({})));
    let mut orchestrated = started(fake).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;

    assert_eq!(
        orchestrated.message().await,
        (2, "The promotion request was sent and accepted with an unexpected answer (status 202); it may have been created. Check the orchestrator's releases before promoting again".to_owned())
    );
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_timings_are_told_once_and_their_defaults_used() {
    let options = Options {
        env: vec![
            ("STELLA_POLL_INTERVAL", "abc".to_owned()),
            ("STELLA_PROMPT_TIMEOUT", "0s".to_owned()),
        ],
        ..Options::default()
    };
    let mut orchestrated = Orchestrated::start(Fake::start(), options);
    orchestrated.open(json!({})).await;

    assert_eq!(
        [orchestrated.message().await, orchestrated.message().await],
        [
            (2, "STELLA_POLL_INTERVAL=abc is not a duration like 30s or 2m; using 10 s".to_owned()),
            (2, "STELLA_PROMPT_TIMEOUT=0s must be more than 0 s; using 120 s".to_owned()),
        ]
    );
}
