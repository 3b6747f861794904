//! The server and the network, over stdio with the built binary against a fake orchestrator
//! on 127.0.0.1: lens refreshes from polling (B19), timeouts and being offline (B23),
//! retries and rate limits (B24), the token in logs and messages (B26), and a workspace that
//! names another server (B27). Every "other host" is a listener on 127.0.0.1 that counts the
//! connections it gets.

mod support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use stella_lsp::orchestrator::{api, Client, Settings, Timeouts, Token};
use support::fake::{closed_port_url, Fake, Reply, TOKEN};
use support::orchestrated::{file_uri, full_capabilities, Options, Orchestrated, EXAMPLE};
use support::{range, TIMEOUT};

const INFO: i64 = 3;
const WARNING: i64 = 2;
const ERROR: i64 = 1;

const REFRESH: &str = "workspace/codeLens/refresh";
const ENVIRONMENTS: &str = "/api/v1/environments";
const VERSION: &str = "/api/v1/cli/version";

/// The environments of the fake's default answer.
fn environments() -> Vec<Value> {
    vec![
        json!({"id": "env-dev", "name": "development", "promotion_order": 1, "status": "active", "current_release_id": "rel-abc123"}),
        json!({"id": "env-stg", "name": "staging", "promotion_order": 2, "status": "active", "current_release_id": "rel-abc123"}),
        json!({"id": "env-prd", "name": "production", "promotion_order": 3, "status": "active", "current_release_id": null}),
    ]
}

/// The same environments, listed in reverse with production's order changed: nothing a
/// lens title shows is different.
fn environments_reordered() -> Vec<Value> {
    let mut reordered = environments();
    reordered.reverse();
    reordered[0]["promotion_order"] = json!(9);
    reordered
}

/// Staging frozen until a fixed instant.
fn environments_staging_frozen() -> Vec<Value> {
    let mut frozen = environments();
    frozen[1]["status"] = json!("frozen");
    frozen[1]["frozen_until"] = json!("2099-01-01T18:00:00Z");
    frozen[1]["freeze_reason"] = json!("release freeze");
    frozen
}

/// Staging and production frozen.
fn environments_both_frozen() -> Vec<Value> {
    let mut frozen = environments_staging_frozen();
    frozen[2]["status"] = json!("frozen");
    frozen
}

fn answer(environments: Vec<Value>) -> Reply {
    Reply::Json(200, Value::Array(environments))
}

fn env(name: &'static str, value: &str) -> (&'static str, String) {
    (name, value.to_owned())
}

async fn started(
    fake: Fake,
    capabilities: Value,
    env: Vec<(&'static str, String)>,
) -> Orchestrated {
    let mut orchestrated = Orchestrated::start(fake, Options { env, ..Options::default() });
    orchestrated.open(capabilities).await;
    orchestrated
}

/// One content change of a `didChange`.
fn edit(start: (u32, u32), end: (u32, u32), text: &str) -> Value {
    json!({"range": range(start, end), "text": text})
}

/// The lens titles of `uri`, resolved one by one as a lazy client does.
async fn titles(orchestrated: &mut Orchestrated, uri: &str) -> Vec<String> {
    let lenses = orchestrated
        .client
        .request("textDocument/codeLens", json!({"textDocument": {"uri": uri}}))
        .await["result"]
        .clone();
    let mut titles = Vec::new();
    for lens in lenses.as_array().unwrap() {
        let resolved = orchestrated.client.request("codeLens/resolve", lens.clone()).await;
        titles.push(resolved["result"]["command"]["title"].as_str().unwrap().to_owned());
    }
    titles
}

/// How many requests of `method` the server has sent the client so far.
fn sent(orchestrated: &Orchestrated, method: &str) -> usize {
    orchestrated.client.transcript().iter().filter(|message| message["method"] == method).count()
}

/// Waits until the fake has read `n` requests to `method path`.
fn requests_reach(orchestrated: &Orchestrated, method: &str, path: &str, n: usize) {
    assert!(
        orchestrated.fake.wait_for(method, path, n, TIMEOUT),
        "{n} requests to {method} {path} within {TIMEOUT:?}; got {}",
        orchestrated.fake.count(method, path)
    );
}

/// Waits until the server's log holds `needle`, and returns the log.
async fn log_holding(orchestrated: &Orchestrated, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let log = orchestrated.log_text();
        if log.contains(needle) {
            return log;
        }
        assert!(tokio::time::Instant::now() < deadline, "the log never held {needle:?}: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks `stella/status` until `done` holds for its result, and returns it.
async fn status_when(orchestrated: &mut Orchestrated, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let status =
            orchestrated.client.request("stella/status", json!({})).await["result"].clone();
        if done(&status) {
            return status;
        }
        assert!(tokio::time::Instant::now() < deadline, "stella/status never got there: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A listener on 127.0.0.1 that counts the connections it accepts and closes each at once.
struct Counting {
    url: String,
    accepted: Arc<AtomicUsize>,
}

impl Counting {
    fn start() -> Counting {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Counting { url, accepted }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// The `server-unreachable` notice on `release:` (line 3 of the example).
fn offline_notice(sentence: &str) -> Value {
    json!({"range": range((3, 0), (3, 7)), "severity": 3, "code": "server-unreachable", "source": "stella-server", "message": sentence})
}

// B19: lens refreshes.

#[tokio::test(flavor = "multi_thread")]
async fn b19_identical_polls_refresh_nothing_and_a_visible_change_refreshes_once() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Sequence(
            [vec![answer(environments()); 3], vec![answer(environments_reordered()); 8]]
                .concat()
                .into_iter()
                .chain([answer(environments_staging_frozen())])
                .collect(),
        ),
    );
    let mut orchestrated = started(fake, full_capabilities(), Vec::new()).await;

    // The first fill of the cache, identical answers, and a change no title shows; the
    // eleventh poll comes at least 1.4 s after the fourth, so a refresh for either would
    // have been sent by then.
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, 11);
    assert_eq!(sent(&orchestrated, REFRESH), 0);

    orchestrated.client.wait_for(REFRESH, |m| m["method"] == REFRESH).await;
    let polls_at_refresh = orchestrated.fake.count("GET", ENVIRONMENTS);
    assert!(polls_at_refresh >= 12, "{polls_at_refresh}");

    // Six more polls with the same frozen answer: more than the second in which changes
    // are merged, and nothing new to show.
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, polls_at_refresh + 6);
    assert_eq!(sent(&orchestrated, REFRESH), 1);

    let uri = orchestrated.uri.clone();
    assert_eq!(
        titles(&mut orchestrated, &uri).await[4],
        "Promote to staging (rel-abc123 running, frozen until 2099-01-01 18:00 UTC)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn b19_changes_within_a_second_make_one_refresh() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Sequence(vec![
            answer(environments()),
            answer(environments_staging_frozen()),
            answer(environments_both_frozen()),
        ]),
    );
    let mut orchestrated =
        started(fake, full_capabilities(), vec![env("STELLA_POLL_INTERVAL", "1h")]).await;
    let url = orchestrated.fake.url.clone();
    // This client never answers the refresh.
    orchestrated
        .client
        .answer_with(|request| (request["method"] != REFRESH).then_some(Value::Null));

    // Two polls back to back (one refresh runs at a time), each with a change.
    let refreshed = (INFO, format!("Refreshed from Stella at {url}"));
    orchestrated.execute("stella.refresh", json!({})).await;
    assert_eq!(orchestrated.message().await, refreshed);
    orchestrated.execute("stella.refresh", json!({})).await;
    assert_eq!(orchestrated.message().await, refreshed);
    assert_eq!(orchestrated.fake.count("GET", ENVIRONMENTS), 3);

    orchestrated.client.wait_for(REFRESH, |m| m["method"] == REFRESH).await;
    // A second refresh would come within a second of the second change.
    orchestrated.client.collect_for(Duration::from_millis(1500)).await;
    assert_eq!(sent(&orchestrated, REFRESH), 1);

    // The unanswered refresh holds nothing up.
    let uri = orchestrated.uri.clone();
    orchestrated.client.did_change(&uri, 2, json!([edit((22, 11), (22, 15), "maybe")]));
    let published = orchestrated.client.published(&uri, Some(2)).await;
    assert_eq!(published["diagnostics"][0]["code"], "wrong-type");
    let titles = titles(&mut orchestrated, &uri).await;
    assert_eq!(
        titles[3..6],
        [
            "Promote to development (rel-abc123 running)",
            "Promote to staging (rel-abc123 running, frozen until 2099-01-01 18:00 UTC)",
            "Promote to production (frozen)",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn b19_a_refused_refresh_is_logged_at_debug_and_not_sent_again() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Sequence(vec![
            answer(environments()),
            answer(environments()),
            answer(environments_staging_frozen()),
        ]),
    );
    let mut orchestrated = Orchestrated::start(fake, Options::default());
    orchestrated.client.answer_with(|request| {
        Some(if request["method"] == REFRESH {
            json!({"error": {"code": -32601, "message": "refresh is not supported here"}})
        } else {
            Value::Null
        })
    });
    orchestrated.open(full_capabilities()).await;

    orchestrated.client.wait_for(REFRESH, |m| m["method"] == REFRESH).await;
    let log = log_holding(&orchestrated, "the client refused workspace/codeLens/refresh").await;
    let refused: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("the client refused workspace/codeLens/refresh"))
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains(" DEBUG "), "{}", refused[0]);

    // Six more polls, past the merge window: no second try.
    let polls = orchestrated.fake.count("GET", ENVIRONMENTS);
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, polls + 6);
    assert_eq!(sent(&orchestrated, REFRESH), 1);
    let log = orchestrated.log_text();
    assert_eq!(log.matches("the client refused workspace/codeLens/refresh").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn b19_a_client_without_refresh_support_gets_none_and_the_new_title_when_it_asks() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Sequence(vec![answer(environments()), answer(environments_staging_frozen())]),
    );
    // No `workspace.codeLens.refreshSupport`, no lazy resolve: commands come with the lens.
    let mut orchestrated = started(fake, json!({}), Vec::new()).await;
    let uri = orchestrated.uri.clone();

    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let frozen = "Promote to staging (rel-abc123 running, frozen until 2099-01-01 18:00 UTC)";
    loop {
        let lenses = orchestrated
            .client
            .request("textDocument/codeLens", json!({"textDocument": {"uri": uri}}))
            .await;
        if lenses["result"][4]["command"]["title"] == frozen {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the new title never came: {lenses}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let polls = orchestrated.fake.count("GET", ENVIRONMENTS);
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, polls + 6);
    assert_eq!(sent(&orchestrated, REFRESH), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn b19_ten_documents_share_one_poller_and_their_lenses_call_nothing() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Sequence(vec![answer(environments()), answer(environments_staging_frozen())]),
    );
    let mut orchestrated = Orchestrated::start(
        fake,
        Options { env: vec![env("STELLA_POLL_INTERVAL", "1h")], ..Options::default() },
    );
    orchestrated.client.initialize_with(None, full_capabilities()).await;
    let uris: Vec<String> = (0..10)
        .map(|index| {
            file_uri(&orchestrated.workspace.path().join(format!("s{index}/.stella.yaml")))
        })
        .collect();
    for uri in &uris {
        orchestrated.client.did_open(uri, 1, EXAMPLE);
    }
    orchestrated.wait_online().await;
    for uri in &uris {
        orchestrated.client.published(uri, Some(1)).await;
    }

    let before = orchestrated.fake.requests().len();
    for uri in &uris {
        assert_eq!(titles(&mut orchestrated, uri).await.len(), 8);
    }
    let during: Vec<String> = orchestrated.fake.requests()[before..]
        .iter()
        .filter(|request| request.path != "/api/v1/config/validate")
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    assert_eq!(during, Vec::<String>::new(), "lenses never call the orchestrator");
    assert_eq!(orchestrated.fake.count("GET", ENVIRONMENTS), 1, "one poller for ten documents");

    // One poll, one change: one refresh for all ten.
    orchestrated.execute("stella.refresh", json!({})).await;
    orchestrated.message().await;
    assert_eq!(orchestrated.fake.count("GET", ENVIRONMENTS), 2);
    orchestrated.client.wait_for(REFRESH, |m| m["method"] == REFRESH).await;
    orchestrated.client.collect_for(Duration::from_millis(1500)).await;
    assert_eq!(sent(&orchestrated, REFRESH), 1);
}

// B23: timeouts and being offline.

#[tokio::test(flavor = "multi_thread")]
async fn b23_a_silent_server_times_out_and_everything_local_goes_on() {
    let fake = Fake::start();
    fake.on("GET", VERSION, Reply::Blackhole);
    fake.on("POST", "/api/v1/config/validate", Reply::Blackhole);
    let url = fake.url.clone();
    let mut orchestrated = Orchestrated::start(
        fake,
        Options { env: vec![env("STELLA_REQUEST_TIMEOUT", "1s")], ..Options::default() },
    );
    let uri = orchestrated.uri.clone();
    let sentence = format!("Stella at {url} did not answer within 1 s; local checks still run");

    // Starting does not wait on the network.
    let initialized = orchestrated.client.initialize_with(None, full_capabilities()).await;
    assert_eq!(initialized["serverInfo"]["name"], "stella-lsp");
    orchestrated.client.did_open(&uri, 1, EXAMPLE);
    orchestrated.client.published(&uri, Some(1)).await;

    let status = status_when(&mut orchestrated, |status| status["reachable"] == false).await;
    assert_eq!(
        status,
        json!({"context": "test", "server": url, "signedInAs": null, "organization": null, "reachable": false, "apiVersion": null, "serverVersion": null, "lastError": sentence, "warnings": []})
    );

    // While offline: lenses, diagnostics and the status come from what the server has.
    let before = orchestrated.fake.requests().len();
    assert_eq!(titles(&mut orchestrated, &uri).await.len(), 8);
    orchestrated.client.did_change(&uri, 2, json!([edit((22, 11), (22, 15), "maybe")]));
    let published = orchestrated.client.published(&uri, Some(2)).await;
    let codes: Vec<&str> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|diagnostic| diagnostic["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["wrong-type", "server-unreachable"]);
    assert_eq!(published["diagnostics"][1], offline_notice(&sentence));
    let status = orchestrated.client.request("stella/status", json!({})).await;
    assert_eq!(status["result"]["lastError"], sentence.as_str());
    let during: Vec<String> = orchestrated.fake.requests()[before..]
        .iter()
        .map(|request| format!("{} {}", request.method, request.path))
        .filter(|request| request != &format!("GET {VERSION}"))
        .collect();
    assert_eq!(during, Vec::<String>::new(), "only the background probe talks to Stella");

    // A command waits the request timeout, then says so.
    orchestrated.execute("stella.validate", json!({"uri": uri})).await;
    assert_eq!(orchestrated.message().await, (ERROR, sentence));
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/config/validate"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn b23_a_closed_port_is_one_notice_per_publish_until_the_server_comes() {
    let url = closed_port_url();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let sentence = format!("Cannot reach {url} (connection refused); local checks still run");
    let mut orchestrated = Orchestrated::start(
        Fake::start(),
        Options { server: Some(url.clone()), ..Options::default() },
    );
    let uri = orchestrated.uri.clone();

    orchestrated.client.initialize_with(None, full_capabilities()).await;
    orchestrated.client.did_open(&uri, 1, EXAMPLE);
    let notice = offline_notice(&sentence);
    let published = orchestrated
        .client
        .wait_for("the offline notice", |m| {
            support::is_publish_for(m, &uri) && m["params"]["diagnostics"][0] == notice
        })
        .await;
    assert_eq!(published["params"]["diagnostics"], json!([notice]));

    let status = orchestrated.client.request("stella/status", json!({})).await;
    assert_eq!(status["result"]["reachable"], false);
    assert_eq!(status["result"]["lastError"], sentence.as_str());

    // Each publish while offline carries the notice once. The edits stay in the first
    // line's comment, so `release:` stays on line 3.
    for version in [2, 3] {
        orchestrated.client.did_change(&uri, version, json!([edit((0, 1), (0, 1), "x")]));
        let published = orchestrated.client.published(&uri, Some(version)).await;
        assert_eq!(published["diagnostics"], json!([notice]));
    }
    assert_eq!(titles(&mut orchestrated, &uri).await.len(), 8);

    orchestrated.execute("stella.validate", json!({"uri": uri})).await;
    assert_eq!(orchestrated.message().await, (ERROR, sentence));

    // The server comes: the next probe finds it and the notice goes.
    let fake = Fake::start_on(port);
    let published = orchestrated
        .client
        .wait_for("a publish without the notice", |m| {
            support::is_publish_for(m, &uri)
                && m["params"]["version"] == 3
                && m["params"]["diagnostics"] == json!([])
        })
        .await;
    assert_eq!(published["params"]["diagnostics"], json!([]));
    let status = status_when(&mut orchestrated, |status| status["reachable"] == true).await;
    assert_eq!(status["lastError"], Value::Null);
    assert_eq!(fake.requests()[0].path, VERSION, "the probe that found it");
}

/// The gaps between the arrivals of the version probes.
fn probe_gaps(fake: &Fake) -> Vec<Duration> {
    let probes: Vec<_> =
        fake.requests().into_iter().filter(|request| request.path == VERSION).collect();
    probes.windows(2).map(|pair| pair[1].at - pair[0].at).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn b23_offline_probes_read_the_version_with_growing_pauses() {
    let fake = Fake::start();
    fake.on("GET", VERSION, Reply::Blackhole);
    let mut orchestrated = Orchestrated::start(
        fake,
        Options { env: vec![env("STELLA_REQUEST_TIMEOUT", "100ms")], ..Options::default() },
    );
    orchestrated.client.initialize_with(None, json!({})).await;

    requests_reach(&orchestrated, "GET", VERSION, 4);
    let paths: Vec<String> =
        orchestrated.fake.requests().into_iter().map(|request| request.path).collect();
    assert_eq!(paths[..4], [VERSION; 4]);

    // After each timeout the poller pauses 200 ms (the poll interval, under 5 s), then
    // 400 ms, then 800 ms. Only the pauses are certain lower bounds of the gaps between
    // arrivals: the fake may read a request late.
    let gaps = probe_gaps(&orchestrated.fake);
    for (gap, least) in gaps.iter().zip([200, 400, 800]) {
        assert!(*gap >= Duration::from_millis(least), "{gaps:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn b23_the_first_probe_pause_is_at_most_five_seconds() {
    let fake = Fake::start();
    fake.on("GET", VERSION, Reply::Blackhole);
    let mut orchestrated = Orchestrated::start(
        fake,
        Options {
            env: vec![env("STELLA_REQUEST_TIMEOUT", "100ms"), env("STELLA_POLL_INTERVAL", "1h")],
            ..Options::default()
        },
    );
    orchestrated.client.initialize_with(None, json!({})).await;

    // With an hour between polls, the second probe still comes (within the wait's bound),
    // after a 5 s pause.
    requests_reach(&orchestrated, "GET", VERSION, 2);
    let gaps = probe_gaps(&orchestrated.fake);
    assert!(gaps[0] >= Duration::from_secs(5), "{gaps:?}");
}

// B24: retries and rate limits.

#[tokio::test(flavor = "multi_thread")]
async fn b24_a_promotion_whose_answer_is_lost_is_sent_once_then_looked_up() {
    let fake = Fake::start();
    fake.on("POST", "/api/v1/promotions", Reply::ResetAfterBody);
    let mut orchestrated = started(fake, full_capabilities(), Vec::new()).await;
    let uri = orchestrated.uri.clone();

    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert_eq!(
        orchestrated.message().await,
        (WARNING, "The promotion request was sent but no answer came back; it may have been created. Check the orchestrator's releases before promoting again".to_owned())
    );

    let polls = orchestrated.fake.count("GET", ENVIRONMENTS);
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, polls + 3);
    let releases: Vec<String> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|request| request.path == "/api/v1/releases")
        .map(|request| format!("{} {}", request.method, request.query.unwrap_or_default()))
        .collect();
    assert_eq!(releases, ["GET name=my-service&limit=5", "GET name=my-service&env=staging"]);
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn b24_a_503_on_a_promotion_is_shown_and_never_retried() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/promotions",
        Reply::Json(
            503,
            json!({"error": {"code": "unavailable", "message": "maintenance until 10:00"}}),
        ),
    );
    let mut orchestrated = started(fake, full_capabilities(), Vec::new()).await;
    let uri = orchestrated.uri.clone();
    let sentence =
        format!("Stella at {} failed (503): maintenance until 10:00", orchestrated.fake.url);

    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert_eq!(orchestrated.message().await, (ERROR, sentence.clone()));
    let polls = orchestrated.fake.count("GET", ENVIRONMENTS);
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, polls + 3);
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 1);

    // The user may click again: one more promotion.
    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    assert_eq!(orchestrated.message().await, (ERROR, sentence));
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 2);
}

/// A log writer that opens a fake on `port` the moment the client says it will try once
/// more, so that the retry, and only the retry, finds the port open.
#[derive(Clone)]
struct OpenOnRetry {
    port: u16,
    fake: Arc<Mutex<Option<Fake>>>,
    retries: Arc<AtomicUsize>,
}

impl std::io::Write for OpenOnRetry {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if String::from_utf8_lossy(bytes).contains("no connection was made; trying once more") {
            self.retries.fetch_add(1, Ordering::SeqCst);
            let mut fake = self.fake.lock().unwrap();
            if fake.is_none() {
                *fake = Some(Fake::start_on(self.port));
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn client_for(server: &str) -> Client {
    Client::new(&Settings {
        server: Some(server.to_owned()),
        context: None,
        token: Some(Token::new(TOKEN.to_owned())),
        timeouts: Timeouts::default(),
        warnings: Vec::new(),
        config_path: "/nonexistent/.stella/config.yaml".into(),
    })
    .unwrap()
}

fn promotion() -> api::PromotionRequest {
    api::PromotionRequest {
        release_id: "rel-abc123".into(),
        target_environment_id: "env-stg".into(),
        auto_approve: false,
    }
}

#[tokio::test]
async fn b24_a_refused_connection_is_tried_once_more_and_no_more() {
    let url = closed_port_url();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let writer = OpenOnRetry { port, fake: Arc::default(), retries: Arc::default() };
    let make_writer = writer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || make_writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    // Refused, then open: the POST goes once, on the second attempt.
    let promoted = client_for(&url).promote(&promotion()).await.unwrap();
    assert_eq!(promoted.id, "pro-1");
    let posts =
        writer.fake.lock().unwrap().as_ref().map(|fake| fake.count("POST", "/api/v1/promotions"));
    assert_eq!(posts, Some(1), "the retry found the port open");
    assert_eq!(writer.retries.load(Ordering::SeqCst), 1);

    // Refused twice: one retry, then the sentence.
    let closed = closed_port_url();
    let error = client_for(&closed).promote(&promotion()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Cannot reach {closed} (connection refused); local checks still run")
    );
    assert_eq!(writer.retries.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn b24_a_rate_limited_read_is_not_sent_again_before_retry_after() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Raw {
            status: 429,
            headers: vec![("Retry-After".into(), "30".into())],
            body: r#"{"error":{"code":"rate_limited","message":"too many requests"}}"#.into(),
        },
    );
    let mut orchestrated = started(fake, full_capabilities(), Vec::new()).await;
    let uri = orchestrated.uri.clone();

    // Ten poll intervals: no GET of the environments.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(orchestrated.fake.count("GET", ENVIRONMENTS), 1);

    // Nor from a request or a command that needs them; both say when to try again.
    let asked = orchestrated.client.request("stella/environments", json!({})).await;
    let message = asked["error"]["message"].as_str().unwrap().to_owned();
    let seconds = try_again_in(&message);
    assert!((20..=30).contains(&seconds), "{message}");
    assert_eq!(asked["error"]["code"], -32803);

    orchestrated.execute("stella.promote", json!({"uri": uri, "env": "staging"})).await;
    let (kind, message) = orchestrated.message().await;
    assert_eq!(kind, ERROR);
    let seconds = try_again_in(&message);
    assert!((20..=30).contains(&seconds), "{message}");

    assert_eq!(orchestrated.fake.count("GET", ENVIRONMENTS), 1);
    assert_eq!(orchestrated.fake.count("POST", "/api/v1/promotions"), 0);
}

/// The seconds of `Stella is receiving too many requests (too many requests); try again
/// in N s`, checking the rest of the sentence.
fn try_again_in(message: &str) -> u64 {
    let seconds = message
        .strip_prefix("Stella is receiving too many requests (too many requests); try again in ")
        .and_then(|rest| rest.strip_suffix(" s"))
        .unwrap_or_else(|| panic!("{message}"));
    seconds.parse().unwrap_or_else(|_| panic!("{message}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn b24_one_get_of_a_url_is_in_flight_at_a_time() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Delay(Duration::from_secs(3), Box::new(answer(environments()))),
    );
    let mut orchestrated = Orchestrated::start(
        fake,
        Options {
            env: vec![env("STELLA_POLL_INTERVAL", "1h"), env("STELLA_REQUEST_TIMEOUT", "10s")],
            ..Options::default()
        },
    );
    orchestrated.client.initialize_with(None, json!({})).await;
    requests_reach(&orchestrated, "GET", ENVIRONMENTS, 1);

    // The poller's GET is on its way; two requests for the same list join it.
    let first = orchestrated.client.send_request("stella/environments", json!({}));
    let second = orchestrated.client.send_request("stella/environments", json!({}));
    for id in [first, second] {
        let answered = orchestrated
            .client
            .wait_for("the environments", |m| m.get("method").is_none() && m["id"] == id)
            .await;
        let mut expected = environments();
        expected[2].as_object_mut().unwrap().remove("current_release_id");
        assert_eq!(answered["result"], Value::Array(expected));
    }
    assert_eq!(orchestrated.fake.count("GET", ENVIRONMENTS), 1);
    assert_eq!(orchestrated.log_text().matches("joining the same GET in flight").count(), 2);
}

// B26: the token.

/// A log without the token; the checks that show the log was written at trace level.
fn assert_clean(log: &str, transcript: &[Value]) {
    assert!(log.contains("authorization: Bearer ***"), "{log}");
    assert_eq!(log.matches("stl_TESTTOKEN").count(), 0, "{log}");
    let messages = serde_json::to_string(transcript).unwrap();
    assert_eq!(messages.matches("stl_TESTTOKEN").count(), 0, "{messages}");
}

#[tokio::test(flavor = "multi_thread")]
async fn b26_the_token_reaches_neither_the_log_nor_the_editor() {
    let redirected = Counting::start();
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/promotions",
        Reply::Json(
            401,
            json!({"error": {"code": "unauthorized", "message": format!("token {TOKEN} revoked")}}),
        ),
    );
    fake.on(
        "POST",
        "/api/v1/config/diff",
        Reply::Raw {
            status: 302,
            headers: vec![(
                "Location".into(),
                format!("{}/api/v1/config/diff?token={TOKEN}", redirected.url),
            )],
            body: String::new(),
        },
    );
    let mut orchestrated = started(fake, full_capabilities(), Vec::new()).await;
    orchestrated.client.answer_with(|request| {
        Some(if request["method"] == "window/showMessageRequest" {
            request["params"]["actions"][0].clone()
        } else {
            Value::Null
        })
    });
    let uri = orchestrated.uri.clone();
    let url = orchestrated.fake.url.clone();

    let mut shown = Vec::new();
    for (command, argument) in [
        ("stella.createRelease", json!({"uri": uri, "version": "2.0.0"})),
        ("stella.promote", json!({"uri": uri, "env": "staging"})),
        ("stella.deploy", json!({"uri": uri, "env": "staging"})),
        ("stella.validate", json!({"uri": uri})),
        ("stella.diff", json!({"uri": uri})),
        ("stella.apply", json!({"uri": uri, "dryRun": true})),
        ("stella.apply", json!({"uri": uri})),
        ("stella.refresh", json!({})),
    ] {
        orchestrated.execute(command, argument).await;
        shown.push(orchestrated.message().await.1.replace(&url, "URL"));
    }
    assert_eq!(orchestrated.execute("stella.noop", json!({})).await, Value::Null);
    assert_eq!(
        shown,
        [
            "Created release rel-new001 (my-service 2.0.0)",
            "Not signed in to Stella at URL: run `stella auth login` or set STELLA_TOKEN (server said: token *** revoked)",
            "Deployed rel-abc123 to staging",
            "Stella accepts .stella.yaml",
            &format!("Stella at URL answered with a redirect to {}/api/v1/config/diff?token=***; redirects are not followed", redirected.url),
            "Dry run: applying .stella.yaml would change nothing",
            "Applied .stella.yaml; nothing changed",
            "Refreshed from Stella at URL",
        ]
    );
    assert_eq!(redirected.accepted(), 0, "the redirect is not followed");

    for (method, params) in [
        ("stella/status", json!({})),
        ("stella/releases", json!({"name": "my-service"})),
        ("stella/environments", json!({})),
        ("stella/deployments", json!({"env": "staging"})),
        ("stella/deploymentLogs", json!({"id": "dep-1"})),
    ] {
        let response = orchestrated.client.request(method, params).await;
        assert!(response.get("error").is_none(), "{method}: {response}");
    }
    let status = orchestrated.client.request("stella/status", json!({})).await;
    assert_eq!(status["result"]["signedInAs"], "jane@example.com");
    titles(&mut orchestrated, &uri).await;

    // The 401 became a notice in the file, scrubbed, and went once a signed-in call worked.
    let notice = orchestrated
        .client
        .transcript()
        .into_iter()
        .filter(|m| support::is_publish_for(m, &uri))
        .flat_map(|m| m["params"]["diagnostics"].as_array().cloned().unwrap_or_default())
        .find(|diagnostic| diagnostic["code"] == "not-signed-in")
        .expect("a not-signed-in notice");
    assert_eq!(
        notice["message"].as_str().unwrap().replace(&url, "URL"),
        "Not signed in to Stella at URL: run `stella auth login` or set STELLA_TOKEN (server said: token *** revoked)"
    );
    status_when(&mut orchestrated, |status| status["lastError"].is_null()).await;

    let authorizations: Vec<Option<String>> = orchestrated
        .fake
        .requests()
        .into_iter()
        .filter(|request| request.path != VERSION)
        .map(|request| request.header("authorization").map(str::to_owned))
        .collect();
    assert!(!authorizations.is_empty());
    assert!(authorizations.iter().all(|header| *header == Some(format!("Bearer {TOKEN}"))));

    let log = orchestrated.log_text();
    assert!(log.contains("token *** revoked"), "{log}");
    assert_clean(&log, &orchestrated.client.transcript());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn b26_a_credentials_file_others_can_read_is_one_warning_and_its_token_is_used() {
    let credentials = format!("contexts:\n  test:\n    token: {TOKEN}\n");
    let mut orchestrated = Orchestrated::start(
        Fake::start(),
        Options { no_token: true, credentials: Some((credentials, 0o644)), ..Options::default() },
    );
    orchestrated.open(full_capabilities()).await;
    let warning = format!(
        "{} is readable by other users; run chmod 600 on it",
        orchestrated.home.path().join(".stella/credentials.yaml").display()
    );

    let messages: Vec<Value> = orchestrated
        .client
        .transcript()
        .into_iter()
        .filter(|m| m["method"] == "window/showMessage")
        .map(|m| m["params"].clone())
        .collect();
    assert_eq!(messages, [json!({"type": WARNING, "message": warning})]);
    let status = orchestrated.client.request("stella/status", json!({})).await;
    assert_eq!(status["result"]["warnings"], json!([warning]));

    let whoami = orchestrated
        .fake
        .requests()
        .into_iter()
        .find(|request| request.path == "/api/v1/auth/whoami")
        .unwrap();
    assert_eq!(whoami.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_clean(&orchestrated.log_text(), &orchestrated.client.transcript());
}

// B27: the workspace cannot pick the server.

#[tokio::test(flavor = "multi_thread")]
async fn b27_nothing_in_the_workspace_chooses_the_server() {
    let evil = Counting::start();
    let metadata = Counting::start();
    let fake = Fake::start();
    let url = fake.url.clone();
    let stella_comment = format!("# stella: server={}", evil.url);
    let text = format!(
        "# yaml-language-server: $schema={}/latest/meta-data/\n{stella_comment}\n{EXAMPLE}",
        metadata.url
    );
    let workspace_config = format!(
        "server: {0}\ncurrent_context: evil\ncontexts:\n  evil:\n    server: {0}\n",
        evil.url
    );
    let mut orchestrated = Orchestrated::start(
        fake,
        Options {
            files: vec![
                (".stella.yaml", text.clone()),
                (".vscode/settings.json", json!({"stella.api.url": evil.url}).to_string()),
                (".stella/config.yaml", workspace_config.clone()),
            ],
            ..Options::default()
        },
    );
    let uri = orchestrated.uri.clone();
    let root = file_uri(orchestrated.workspace.path());
    orchestrated.client.answer_with({
        let evil = evil.url.clone();
        move |request| {
            Some(if request["method"] == "workspace/configuration" {
                json!([{"api": {"url": evil}}])
            } else {
                Value::Null
            })
        }
    });

    let capabilities = full_capabilities();
    orchestrated
        .client
        .request(
            "initialize",
            json!({"processId": null, "rootUri": root, "workspaceFolders": [{"uri": root, "name": "w"}], "capabilities": capabilities, "initializationOptions": {"stella.api.url": evil.url, "server": evil.url}}),
        )
        .await;
    orchestrated.client.notify("initialized", json!({}));
    orchestrated.client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"stella": {"api": {"url": evil.url}}}}),
    );
    orchestrated.client.did_open(&uri, 1, &text);
    let config_uri = file_uri(&orchestrated.workspace.path().join(".stella/config.yaml"));
    orchestrated.client.did_open(&config_uri, 1, &workspace_config);
    orchestrated.wait_online().await;

    let ignored = json!({
        "range": range((1, 0), (1, u32::try_from(stella_comment.len()).unwrap())),
        "severity": 3,
        "code": "workspace-server-ignored",
        "source": "stella",
        "message": format!("This file asks for server {}; Stella uses your ~/.stella context ({url})", evil.url),
    });
    let published = orchestrated.client.published(&uri, Some(1)).await;
    assert_eq!(published["diagnostics"], json!([ignored]));

    orchestrated.execute("stella.validate", json!({"uri": uri})).await;
    assert_eq!(orchestrated.message().await, (INFO, "Stella accepts .stella.yaml".to_owned()));
    orchestrated.execute("stella.refresh", json!({})).await;
    assert_eq!(orchestrated.message().await, (INFO, format!("Refreshed from Stella at {url}")));
    assert_eq!(titles(&mut orchestrated, &uri).await.len(), 8);
    let status = orchestrated.client.request("stella/status", json!({})).await;
    assert_eq!(status["result"]["server"], url.as_str());
    assert_eq!(status["result"]["context"], "test");

    assert_eq!(evil.accepted(), 0);
    assert_eq!(metadata.accepted(), 0);
    let validated = orchestrated
        .fake
        .requests()
        .into_iter()
        .find(|request| request.path == "/api/v1/config/validate")
        .unwrap();
    assert_eq!(validated.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
}

#[tokio::test]
async fn b24_a_retry_after_beyond_reason_waits_an_hour() {
    let fake = Fake::start();
    fake.on(
        "GET",
        ENVIRONMENTS,
        Reply::Raw {
            status: 429,
            headers: vec![("Retry-After".into(), "18446744073709551615".into())],
            body: r#"{"error":{"code":"rate_limited","message":"too many requests"}}"#.into(),
        },
    );
    let client = client_for(&fake.url);

    let first = client.environments().await.unwrap_err();
    assert_eq!(
        first.to_string(),
        "Stella is receiving too many requests (too many requests); try again in 3600 s"
    );
    let second = client.environments().await.unwrap_err();
    assert_eq!(try_again_in(&second.to_string()), 3600);
    assert_eq!(fake.count("GET", ENVIRONMENTS), 1);
}
