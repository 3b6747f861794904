//! Progress, prompts and the end of the server's life, over stdio with the built binary
//! against the fake orchestrator: cases B20 (`$/progress`), B21 (`showMessageRequest` and
//! `showDocument`) and B30 (`shutdown`, `exit`, end of input, the editor's process) of
//! `shared/cases/actions.md`. Each test checks the exact LSP messages and the exact
//! requests the fake received.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::fake::{release, Fake, Recorded, Reply};
use support::orchestrated::{full_capabilities, Options, Orchestrated, EXAMPLE};
use support::range;
use tokio::time::{timeout, Instant};

const INFO: i64 = 3;
const WARNING: i64 = 2;
const ERROR: i64 = 1;

const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const REQUEST_CANCELLED: i64 = -32800;

const CREATE: &str = "window/workDoneProgress/create";
const PROGRESS: &str = "$/progress";
const SHOW_MESSAGE: &str = "window/showMessage";
const LOG_MESSAGE: &str = "window/logMessage";
const ASK: &str = "window/showMessageRequest";
const SHOW_DOCUMENT: &str = "window/showDocument";

const STAGING: &str = "staging";

/// A client that shows progress and can ask, but opens no documents.
fn progress_capabilities() -> Value {
    json!({"window": {"workDoneProgress": true, "showMessage": {}}})
}

fn with_env(env: &[(&'static str, &str)]) -> Options {
    Options {
        env: env.iter().map(|(name, value)| (*name, (*value).to_owned())).collect(),
        ..Options::default()
    }
}

async fn started(fake: Fake, options: Options, capabilities: Value) -> Orchestrated {
    let mut orchestrated = Orchestrated::start(fake, options);
    orchestrated.open(capabilities).await;
    orchestrated
}

fn method(message: &Value) -> &str {
    message["method"].as_str().unwrap_or_default()
}

fn is_show_message(message: &Value) -> bool {
    method(message) == SHOW_MESSAGE
}

fn is_progress(message: &Value, kind: &str) -> bool {
    method(message) == PROGRESS && message["params"]["value"]["kind"] == kind
}

fn is_response(message: &Value, id: i64) -> bool {
    message.get("method").is_none() && message["id"] == json!(id)
}

/// What a flow shows the user: prompts, progress, log lines and messages, as
/// `{method, params}` in arrival order; diagnostics and lens refreshes left out.
fn shown(messages: &[Value]) -> Vec<Value> {
    messages
        .iter()
        .filter(|message| {
            [CREATE, PROGRESS, SHOW_MESSAGE, LOG_MESSAGE, ASK, SHOW_DOCUMENT]
                .contains(&method(message))
        })
        .map(|message| json!({"method": message["method"], "params": message["params"]}))
        .collect()
}

fn create(token: &str) -> Value {
    json!({"method": CREATE, "params": {"token": token}})
}

fn begin(token: &str, title: &str) -> Value {
    json!({"method": PROGRESS, "params": {"token": token, "value": {"kind": "begin", "title": title, "cancellable": true}}})
}

fn report(token: &str, message: &str) -> Value {
    json!({"method": PROGRESS, "params": {"token": token, "value": {"kind": "report", "message": message, "cancellable": true}}})
}

fn end(token: &str, message: &str) -> Value {
    json!({"method": PROGRESS, "params": {"token": token, "value": {"kind": "end", "message": message}}})
}

fn show_message(kind: i64, message: &str) -> Value {
    json!({"method": SHOW_MESSAGE, "params": {"type": kind, "message": message}})
}

fn log_message(message: &str) -> Value {
    json!({"method": LOG_MESSAGE, "params": {"type": INFO, "message": message}})
}

/// The requests that change something on the orchestrator (validation and diff do not).
fn mutating(fake: &Fake) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|request| request.method != "GET")
        .filter(|request| {
            !["/api/v1/config/validate", "/api/v1/config/diff"].contains(&request.path.as_str())
        })
        .map(|request: &Recorded| format!("{} {}", request.method, request.path))
        .collect()
}

fn deploy_to(uri: &str, env: &str) -> Value {
    json!({"uri": uri, "env": env})
}

// B20: `$/progress`.

/// Deploys to staging with `create` answered by `answer` and returns what was shown.
async fn deploy_with_create_answered(answer: Value) -> (Vec<Value>, Orchestrated) {
    let mut orchestrated =
        started(Fake::start(), Options::default(), progress_capabilities()).await;
    orchestrated.client.answer_with(move |request| {
        Some(if request["method"] == CREATE { answer.clone() } else { Value::Null })
    });
    let uri = orchestrated.uri.clone();

    let result = orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let messages = orchestrated.client.take_until("the deploy's message", is_show_message).await;

    assert_eq!(result, Value::Null, "the flow runs in the background");
    (shown(&messages), orchestrated)
}

fn deploy_progress() -> Vec<Value> {
    vec![
        create("stella-1"),
        begin("stella-1", "Deploying my-service to staging"),
        report("stella-1", "Deployment dep-1 started"),
        report("stella-1", "pulling images"),
        report("stella-1", "rollout complete"),
        end("stella-1", "Deployed rel-abc123 to staging"),
        show_message(INFO, "Deployed rel-abc123 to staging"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_create_answered_with_an_empty_object_counts_as_success() {
    let (shown, orchestrated) = deploy_with_create_answered(json!({})).await;

    assert_eq!(shown, deploy_progress());
    let posts: Vec<Recorded> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path == "/api/v1/deployments")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].json(), json!({"release_id": "rel-abc123", "environment_id": "env-stg"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_create_answered_with_null_shows_the_same_progress() {
    let (shown, orchestrated) = deploy_with_create_answered(Value::Null).await;

    assert_eq!(shown, deploy_progress());
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_create_refused_means_no_progress_and_the_deploy_still_runs_once() {
    let refusal = json!({"error": {"code": METHOD_NOT_FOUND, "message": "Method not found"}});
    let (shown, mut orchestrated) = deploy_with_create_answered(refusal).await;

    assert_eq!(
        shown,
        [
            create("stella-1"),
            log_message("Deployment dep-1 started"),
            log_message("pulling images"),
            log_message("rollout complete"),
            show_message(INFO, "Deployed rel-abc123 to staging"),
        ]
    );
    let later = orchestrated.client.collect_for(Duration::from_millis(300)).await;
    assert_eq!(later.iter().filter(|message| method(message) == PROGRESS).count(), 0);
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_a_client_without_progress_gets_one_log_line_per_step_and_one_message() {
    let capabilities = json!({"window": {"showMessage": {}}});
    let mut orchestrated = started(Fake::start(), Options::default(), capabilities).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let mut messages =
        orchestrated.client.take_until("the deploy's message", is_show_message).await;
    messages.extend(orchestrated.client.collect_for(Duration::from_millis(300)).await);

    assert_eq!(
        shown(&messages),
        [
            log_message("Deploying my-service to staging"),
            log_message("Deployment dep-1 started"),
            log_message("pulling images"),
            log_message("rollout complete"),
            show_message(INFO, "Deployed rel-abc123 to staging"),
        ]
    );
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_cancel_before_the_post_sends_nothing() {
    // The release list is slow, so the user cancels while the server still looks for the
    // release; the flow must stop at once, not when the answer comes.
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/releases",
        Reply::Delay(Duration::from_secs(60), Box::new(Reply::Json(200, json!([release()])))),
    );
    let mut orchestrated = started(fake, Options::default(), progress_capabilities()).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let started = orchestrated.client.take_until("the begin", |m| is_progress(m, "begin")).await;
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/releases", 1, support::TIMEOUT));
    orchestrated.client.notify("window/workDoneProgress/cancel", json!({"token": "stella-1"}));
    let stopped = orchestrated.client.take_until("the deploy's message", is_show_message).await;

    assert_eq!(
        shown(&[started, stopped].concat()),
        [
            create("stella-1"),
            begin("stella-1", "Deploying my-service to staging"),
            end("stella-1", "Deploy cancelled; nothing was sent"),
            show_message(WARNING, "Deploy cancelled; nothing was sent"),
        ]
    );
    assert_eq!(mutating(&orchestrated.fake), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_cancel_while_following_the_logs_stops_watching_and_undoes_nothing() {
    let fake = Fake::start();
    let line = json!({"seq": 1, "timestamp": "2026-12-04T10:00:00Z", "level": "info", "step": "pull", "message": "pulling images"});
    fake.on(
        "GET",
        "/api/v1/deployments/dep-1/logs",
        Reply::Json(200, json!({"complete": false, "lines": [line]})),
    );
    let options = with_env(&[("STELLA_LOG_POLL_INTERVAL", "50ms")]);
    let mut orchestrated = started(fake, options, progress_capabilities()).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let following = orchestrated
        .client
        .take_until("the first log line", |m| {
            is_progress(m, "report") && m["params"]["value"]["message"] == "pulling images"
        })
        .await;
    assert!(orchestrated.fake.wait_for(
        "GET",
        "/api/v1/deployments/dep-1/logs",
        2,
        support::TIMEOUT
    ));
    orchestrated.client.notify("window/workDoneProgress/cancel", json!({"token": "stella-1"}));
    let stopped = orchestrated.client.take_until("the deploy's message", is_show_message).await;

    assert_eq!(
        shown(&[following, stopped].concat()),
        [
            create("stella-1"),
            begin("stella-1", "Deploying my-service to staging"),
            report("stella-1", "Deployment dep-1 started"),
            report("stella-1", "pulling images"),
            end("stella-1", "Stopped watching; deployment dep-1 continues on the server"),
            show_message(INFO, "Stopped watching; deployment dep-1 continues on the server"),
        ]
    );
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);

    // The logs are no longer read: over ten poll intervals, at most the one page that was
    // already on its way.
    let pages = orchestrated.fake.count("GET", "/api/v1/deployments/dep-1/logs");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(orchestrated.fake.count("GET", "/api/v1/deployments/dep-1/logs") <= pages + 1);
}

/// Deploys to staging once, as a client with progress, and returns the progress values and
/// the final message.
async fn deploy_failing(fake: Fake, options: Options) -> (Vec<Value>, (i64, String)) {
    let mut orchestrated = started(fake, options, progress_capabilities()).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let messages = orchestrated.client.take_until("the deploy's message", is_show_message).await;
    let later = orchestrated.client.collect_for(Duration::from_millis(300)).await;

    let values: Vec<Value> = [messages.as_slice(), later.as_slice()]
        .concat()
        .iter()
        .filter(|message| method(message) == PROGRESS)
        .map(|message| message["params"].clone())
        .collect();
    let last = messages.last().unwrap();
    let message =
        (last["params"]["type"].as_i64().unwrap(), last["params"]["message"].as_str().unwrap());
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
    (values, (message.0, message.1.to_owned()))
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_a_refused_deploy_ends_its_progress_once() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/deployments",
        Reply::Json(500, json!({"error": {"code": "internal", "message": "database unavailable"}})),
    );
    let url = fake.url.clone();

    let (progress, message) = deploy_failing(fake, Options::default()).await;

    let sentence = format!("Stella at {url} failed (500): database unavailable");
    assert_eq!(message, (ERROR, sentence.clone()));
    assert_eq!(
        progress,
        [
            json!({"token": "stella-1", "value": {"kind": "begin", "title": "Deploying my-service to staging", "cancellable": true}}),
            json!({"token": "stella-1", "value": {"kind": "end", "message": sentence}}),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_a_deploy_that_times_out_ends_its_progress_once() {
    let fake = Fake::start();
    fake.on("POST", "/api/v1/deployments", Reply::Blackhole);
    let options = with_env(&[("STELLA_REQUEST_TIMEOUT", "1s")]);

    let (progress, (kind, sentence)) = deploy_failing(fake, options).await;

    // The deployment may have started: the user is told so, not that it failed.
    assert_eq!(kind, WARNING);
    assert_eq!(
        sentence,
        "The deployment request was sent but no answer came back within 1 s; it may have been started. Check the orchestrator's deployments before deploying again"
    );
    assert_eq!(
        progress,
        [
            json!({"token": "stella-1", "value": {"kind": "begin", "title": "Deploying my-service to staging", "cancellable": true}}),
            json!({"token": "stella-1", "value": {"kind": "end", "message": sentence}}),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn b20_create_never_answered_deploys_without_progress_after_a_while() {
    // The wait for the answer is bounded by the prompt timeout when that is shorter than 5 s.
    let options = with_env(&[("STELLA_PROMPT_TIMEOUT", "1s")]);
    let mut orchestrated = started(Fake::start(), options, progress_capabilities()).await;
    orchestrated.client.answer_with(|request| (request["method"] != CREATE).then_some(Value::Null));
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let messages = orchestrated.client.take_until("the deploy's message", is_show_message).await;
    let later = orchestrated.client.collect_for(Duration::from_millis(300)).await;

    assert_eq!(
        shown(&[messages, later].concat()),
        [
            create("stella-1"),
            log_message("Deployment dep-1 started"),
            log_message("pulling images"),
            log_message("rollout complete"),
            show_message(INFO, "Deployed rel-abc123 to staging"),
        ]
    );
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

// B21: `window/showMessageRequest` and `window/showDocument`.

/// Answers the server's request `id` with `null` (Esc), long after it was asked.
fn dismiss(orchestrated: &Orchestrated, id: &Value) {
    let body = json!({"jsonrpc": "2.0", "id": id, "result": null}).to_string();
    let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
    orchestrated.client.send_raw(framed.as_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn b21_while_questions_wait_every_other_request_is_answered() {
    // More questions wait than tower-lsp has handler slots (4): a handler that awaited its
    // question would block the read loop for good.
    let options = with_env(&[("STELLA_PROMPT_TIMEOUT", "60s")]);
    let mut orchestrated = started(Fake::start(), options, full_capabilities()).await;
    orchestrated.client.answer_with(|request| (request["method"] != ASK).then_some(Value::Null));
    let uri = orchestrated.uri.clone();

    for n in 1..=5 {
        let argument = json!({"uri": uri, "env": "production", "release": format!("rel-{n}")});
        assert_eq!(orchestrated.execute("stella.promote", argument).await, Value::Null);
    }
    let mut asked = Vec::new();
    for _ in 1..=5 {
        asked.push(orchestrated.client.wait_for("a question", |m| method(m) == ASK).await);
    }
    let mut questions: Vec<Value> = asked.iter().map(|asked| asked["params"].clone()).collect();
    questions.sort_by_key(|params| params["message"].as_str().unwrap().to_owned());
    let expected: Vec<Value> = (1..=5)
        .map(|n| json!({"type": WARNING, "message": format!("Promote rel-{n} to production?"), "actions": [{"title": "Promote"}, {"title": "Cancel"}]}))
        .collect();
    assert_eq!(questions, expected);

    // Edits, lenses, diagnostics, hover and another command, while all five wait.
    for version in 2..=151 {
        orchestrated.client.did_change(
            &uri,
            version,
            json!([{"range": range((0, 0), (0, 0)), "text": "#\n"}]),
        );
    }
    let lenses = orchestrated
        .client
        .request("textDocument/codeLens", json!({"textDocument": {"uri": uri}}))
        .await;
    assert_eq!(lenses["result"].as_array().unwrap().len(), 8);
    assert_eq!(lenses["result"][0]["range"], range((153, 0), (153, 7)));
    let published = orchestrated.client.published(&uri, Some(151)).await;
    assert_eq!(published["diagnostics"], json!([]));
    let hover = orchestrated
        .client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 153, "character": 2}}),
        )
        .await;
    let release =
        "**release**\n\nHow releases of this repository are named and which git tags create them.";
    assert_eq!(
        hover["result"],
        json!({"contents": {"kind": "markdown", "value": release}, "range": range((153, 0), (153, 7))})
    );
    orchestrated.execute("stella.validate", json!({"uri": uri})).await;
    assert_eq!(orchestrated.message().await, (INFO, "Stella accepts .stella.yaml".to_owned()));

    // Esc on each, late: nothing is sent.
    for question in &asked {
        dismiss(&orchestrated, &question["id"]);
    }
    for _ in 1..=5 {
        assert_eq!(
            orchestrated.message().await,
            (WARNING, "Promotion to production not confirmed; nothing was sent".to_owned())
        );
    }
    assert_eq!(mutating(&orchestrated.fake), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn b21_only_the_promote_title_confirms() {
    let mut orchestrated = started(Fake::start(), Options::default(), full_capabilities()).await;
    let uri = orchestrated.uri.clone();
    let answers = [
        json!({"title": "Cancel"}),
        json!({"title": "promote"}),
        json!({"error": {"code": METHOD_NOT_FOUND, "message": "Method not found"}}),
    ];

    for answer in answers {
        orchestrated.client.answer_with(move |request| {
            Some(if request["method"] == ASK { answer.clone() } else { Value::Null })
        });
        orchestrated.execute("stella.promote", json!({"uri": uri, "env": "production"})).await;

        assert_eq!(
            orchestrated.message().await,
            (WARNING, "Promotion to production not confirmed; nothing was sent".to_owned())
        );
    }
    assert_eq!(mutating(&orchestrated.fake), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn b21_a_client_that_cannot_ask_is_told_how_to_confirm_a_deploy() {
    let mut orchestrated = started(Fake::start(), Options::default(), json!({})).await;
    let uri = orchestrated.uri.clone();
    let sentence =
        "Deployment to production needs confirmation; run stella.deploy with \"confirm\": true";

    let refused = orchestrated.execute("stella.deploy", deploy_to(&uri, "production")).await;
    assert_eq!(refused, json!(sentence));
    assert_eq!(orchestrated.message().await, (WARNING, sentence.to_owned()));
    assert_eq!(mutating(&orchestrated.fake), Vec::<String>::new());

    orchestrated
        .execute("stella.deploy", json!({"uri": uri, "env": "production", "confirm": true}))
        .await;
    assert_eq!(
        orchestrated.message().await,
        (INFO, "Deployed rel-abc123 to production".to_owned())
    );
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn b21_the_release_page_opens_only_where_show_document_is_supported() {
    let capabilities = json!({"window": {"showMessage": {}, "showDocument": {"support": true}}});
    let mut supported = started(Fake::start(), Options::default(), capabilities).await;
    supported.client.answer_with(|request| {
        Some(if request["method"] == SHOW_DOCUMENT {
            json!({"success": true})
        } else {
            Value::Null
        })
    });
    let uri = supported.uri.clone();
    let url = supported.fake.url.clone();

    supported.execute("stella.createRelease", json!({"uri": uri, "version": "1.2.0"})).await;
    let opened = supported.client.wait_for("showDocument", |m| method(m) == SHOW_DOCUMENT).await;
    assert_eq!(
        opened["params"],
        json!({"uri": format!("{url}/releases/rel-new001"), "external": true})
    );
    assert_eq!(
        supported.message().await,
        (INFO, "Created release rel-new001 (my-service 1.2.0)".to_owned())
    );
    assert_eq!(mutating(&supported.fake), ["POST /api/v1/releases"]);

    let capabilities = json!({"window": {"showMessage": {}, "showDocument": {"support": false}}});
    let mut unsupported = started(Fake::start(), Options::default(), capabilities).await;
    let uri = unsupported.uri.clone();
    let url = unsupported.fake.url.clone();

    unsupported.execute("stella.createRelease", json!({"uri": uri, "version": "1.2.0"})).await;
    let mut messages = unsupported.client.take_until("the message", is_show_message).await;
    messages.extend(unsupported.client.collect_for(Duration::from_millis(300)).await);
    assert_eq!(
        shown(&messages),
        [
            log_message("Creating release my-service 1.2.0"),
            show_message(
                INFO,
                &format!(
                    "Created release rel-new001 (my-service 1.2.0): {url}/releases/rel-new001"
                )
            )
        ]
    );
}

// B30: `shutdown`, `exit`, the end of input and the editor's process.

#[tokio::test(flavor = "multi_thread")]
async fn b30_1_shutdown_during_a_stalled_deploy_ends_its_progress_answers_and_exits_0() {
    let fake = Fake::start();
    fake.on("POST", "/api/v1/deployments", Reply::Blackhole);
    let options = with_env(&[("STELLA_REQUEST_TIMEOUT", "60s")]);
    let mut orchestrated = started(fake, options, progress_capabilities()).await;
    let uri = orchestrated.uri.clone();
    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    orchestrated.client.take_until("the begin", |m| is_progress(m, "begin")).await;
    assert!(orchestrated.fake.wait_for("POST", "/api/v1/deployments", 1, support::TIMEOUT));

    let asked = Instant::now();
    let id = orchestrated.client.send_request("shutdown", Value::Null);
    let until_answer =
        orchestrated.client.take_until("the shutdown answer", |m| is_response(m, id)).await;
    let answered = asked.elapsed();
    let after_answer = orchestrated.client.collect_for(Duration::from_millis(500)).await;
    // `exit` with stdin still open, as Helix leaves it.
    orchestrated.client.notify("exit", Value::Null);
    let code = timeout(Duration::from_secs(1), orchestrated.client.exit_code()).await;
    let after_exit = orchestrated.client.collect_for(Duration::from_millis(100)).await;

    assert!(answered < Duration::from_secs(2), "shutdown answered after {answered:?}");
    assert_eq!(
        shown(&until_answer),
        [end("stella-1", "Stopped: the language server is shutting down")]
    );
    assert_eq!(until_answer.last().unwrap(), &json!({"jsonrpc": "2.0", "id": id, "result": null}));
    assert_eq!(after_answer, Vec::<Value>::new(), "nothing is sent after the shutdown answer");
    assert_eq!(code.expect("the server exits within 1 s of exit"), Some(0));
    assert_eq!(after_exit, Vec::<Value>::new());
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn b30_shutdown_while_create_waits_ends_no_progress_that_never_began() {
    let options = with_env(&[("STELLA_PROMPT_TIMEOUT", "60s")]);
    let mut orchestrated = started(Fake::start(), options, progress_capabilities()).await;
    orchestrated.client.answer_with(|request| (request["method"] != CREATE).then_some(Value::Null));
    let uri = orchestrated.uri.clone();
    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    let asked = orchestrated.client.take_until("the create", |m| method(m) == CREATE).await;

    let id = orchestrated.client.send_request("shutdown", Value::Null);
    let until_answer =
        orchestrated.client.take_until("the shutdown answer", |m| is_response(m, id)).await;
    let after_answer = orchestrated.client.collect_for(Duration::from_millis(300)).await;
    orchestrated.client.notify("exit", Value::Null);

    assert_eq!(shown(&[asked, until_answer].concat()), [create("stella-1")]);
    assert_eq!(after_answer, Vec::<Value>::new());
    assert_eq!(mutating(&orchestrated.fake), Vec::<String>::new());
    assert_eq!(orchestrated.client.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn b30_no_mutating_request_starts_after_shutdown() {
    // A deploy waits for the release list when `shutdown` comes; the list arrives later.
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/releases",
        Reply::Delay(Duration::from_millis(800), Box::new(Reply::Json(200, json!([release()])))),
    );
    let mut orchestrated = started(fake, Options::default(), progress_capabilities()).await;
    let uri = orchestrated.uri.clone();
    orchestrated.execute("stella.deploy", deploy_to(&uri, STAGING)).await;
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/releases", 1, support::TIMEOUT));

    let id = orchestrated.client.send_request("shutdown", Value::Null);
    let until_answer =
        orchestrated.client.take_until("the shutdown answer", |m| is_response(m, id)).await;
    let refused = orchestrated
        .client
        .request(
            "workspace/executeCommand",
            json!({"command": "stella.createRelease", "arguments": [{"uri": uri, "version": "1.2.0"}]}),
        )
        .await;
    // Well past the release list's answer.
    let quiet = orchestrated.client.collect_for(Duration::from_millis(1500)).await;
    orchestrated.client.notify("exit", Value::Null);

    assert_eq!(until_answer.last().unwrap(), &json!({"jsonrpc": "2.0", "id": id, "result": null}));
    assert_eq!(refused["error"]["code"], INVALID_REQUEST);
    assert_eq!(quiet, Vec::<Value>::new());
    assert_eq!(mutating(&orchestrated.fake), Vec::<String>::new());
    assert_eq!(orchestrated.client.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn b30_shutdown_is_answered_while_four_requests_wait_on_the_orchestrator() {
    let fake = Fake::start();
    fake.on("GET", "/api/v1/releases", Reply::Blackhole);
    let options = with_env(&[("STELLA_REQUEST_TIMEOUT", "60s")]);
    let mut orchestrated = started(fake, options, progress_capabilities()).await;
    // Four different URLs: the same GET twice would share one request.
    let ids: Vec<i64> = (1..=4)
        .map(|limit| {
            orchestrated
                .client
                .send_request("stella/releases", json!({"name": "my-service", "limit": limit}))
        })
        .collect();
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/releases", 4, support::TIMEOUT));

    let asked = Instant::now();
    let id = orchestrated.client.send_request("shutdown", Value::Null);
    let until_answer =
        orchestrated.client.take_until("the shutdown answer", |m| is_response(m, id)).await;
    let answered = asked.elapsed();
    orchestrated.client.notify("exit", Value::Null);

    assert!(answered < Duration::from_secs(2), "shutdown answered after {answered:?}");
    let mut cancelled: Vec<(i64, i64)> = until_answer
        .iter()
        .filter(|message| message.get("method").is_none())
        .filter_map(|message| Some((message["id"].as_i64()?, message["error"]["code"].as_i64()?)))
        .collect();
    cancelled.sort_unstable();
    assert_eq!(cancelled, ids.iter().map(|&id| (id, REQUEST_CANCELLED)).collect::<Vec<_>>());
    assert_eq!(orchestrated.client.exit_code().await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn b30_2_end_of_input_without_shutdown_exits_1_without_waiting_for_requests() {
    let fake = Fake::start();
    fake.on("GET", "/api/v1/releases", Reply::Blackhole);
    fake.on("POST", "/api/v1/deployments", Reply::Blackhole);
    let options = with_env(&[("STELLA_REQUEST_TIMEOUT", "60s")]);
    let mut orchestrated = started(fake, options, progress_capabilities()).await;
    let uri = orchestrated.uri.clone();
    let argument = json!({"uri": uri, "env": STAGING, "release": "rel-abc123"});
    orchestrated.execute("stella.deploy", argument).await;
    orchestrated.client.send_request("stella/releases", json!({"name": "my-service"}));
    assert!(orchestrated.fake.wait_for("POST", "/api/v1/deployments", 1, support::TIMEOUT));
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/releases", 1, support::TIMEOUT));

    orchestrated.client.close_input();
    let code = timeout(Duration::from_secs(2), orchestrated.client.exit_code()).await;

    assert_eq!(code.expect("the server exits within 2 s of the end of its input"), Some(1));
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn b30_3_the_server_exits_when_the_editors_process_is_gone() {
    let mut editor = tokio::process::Command::new("sleep")
        .arg("300")
        .kill_on_drop(true)
        .spawn()
        .expect("sleep starts");
    let editor_pid = editor.id().expect("sleep runs");
    let mut orchestrated = Orchestrated::start(Fake::start(), Options::default());
    let initialized = orchestrated
        .client
        .request(
            "initialize",
            json!({"processId": editor_pid, "rootUri": null, "capabilities": {}}),
        )
        .await;
    assert!(initialized["result"]["capabilities"].is_object(), "{initialized}");
    orchestrated.client.notify("initialized", json!({}));
    let uri = orchestrated.uri.clone();
    orchestrated.client.did_open(&uri, 1, EXAMPLE);
    orchestrated.wait_online().await;

    // Killed and reaped, so that no zombie keeps its pid alive; stdin stays open.
    editor.kill().await.unwrap();
    let code = timeout(Duration::from_secs(10), orchestrated.client.exit_code()).await;

    assert_eq!(code.expect("the server exits within 10 s (it looks every 5 s)"), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn b30_4_exit_without_shutdown_exits_1_at_once() {
    let fake = Fake::start();
    fake.on("POST", "/api/v1/deployments", Reply::Blackhole);
    fake.on("GET", "/api/v1/releases", Reply::Blackhole);
    let options = with_env(&[("STELLA_REQUEST_TIMEOUT", "60s")]);
    let mut orchestrated = started(fake, options, progress_capabilities()).await;
    let uri = orchestrated.uri.clone();
    let argument = json!({"uri": uri, "env": STAGING, "release": "rel-abc123"});
    orchestrated.execute("stella.deploy", argument).await;
    orchestrated.client.send_request("stella/releases", json!({"name": "my-service"}));
    assert!(orchestrated.fake.wait_for("POST", "/api/v1/deployments", 1, support::TIMEOUT));
    assert!(orchestrated.fake.wait_for("GET", "/api/v1/releases", 1, support::TIMEOUT));

    orchestrated.client.notify("exit", Value::Null);
    let code = timeout(Duration::from_secs(1), orchestrated.client.exit_code()).await;

    assert_eq!(code.expect("the server exits within 1 s of exit"), Some(1));
    assert_eq!(mutating(&orchestrated.fake), ["POST /api/v1/deployments"]);
}
