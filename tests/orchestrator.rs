//! The orchestrator client against the fake server of `support::fake`: what goes over the
//! wire for each call, and the sentence the user reads for each way a call can fail
//! (cases B23 timeouts, B24 retries, B26 the token in logs and answers, B27 the choice of
//! server), and how many requests one client has in flight.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use stella_lsp::orchestrator::client::MAX_IN_FLIGHT;
use stella_lsp::orchestrator::{api, ApiError, Client, Settings, Timeouts, Token};
use support::fake::{closed_port_url, Fake, Reply, TOKEN};

fn settings(server: &str) -> Settings {
    Settings {
        server: Some(server.to_owned()),
        context: None,
        token: Some(Token::new(TOKEN.to_owned())),
        timeouts: Timeouts::default(),
        warnings: Vec::new(),
        config_path: PathBuf::from("/nonexistent/.stella/config.yaml"),
    }
}

fn client(server: &str) -> Client {
    Client::new(&settings(server)).unwrap()
}

/// A client that gives up after 300 ms, for the tests that wait on a silent server.
fn impatient_client(server: &str) -> Client {
    let mut settings = settings(server);
    settings.timeouts = Timeouts {
        connect: Duration::from_millis(300),
        request: Duration::from_millis(300),
        log_idle: Duration::from_millis(300),
    };
    Client::new(&settings).unwrap()
}

fn document() -> api::ConfigDocument {
    api::ConfigDocument {
        content: "release:\n  name: app\n".into(),
        path: Some(".stella.yaml".into()),
    }
}

fn promotion() -> api::PromotionRequest {
    api::PromotionRequest {
        release_id: "rel-abc123".into(),
        target_environment_id: "env-prd".into(),
        auto_approve: false,
    }
}

#[tokio::test]
async fn version_goes_without_the_token() {
    let fake = Fake::start();
    let mut settings = settings(&fake.url);
    settings.token = None;
    let client = Client::new(&settings).unwrap();
    assert!(!client.has_token());

    let version = client.version().await.unwrap();
    assert_eq!(version, api::Version { server_version: "2.4.1".into(), api_version: "1.0".into() });
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api/v1/cli/version");
    assert_eq!(requests[0].query, None);
    assert_eq!(requests[0].header("authorization"), None);
    assert_eq!(requests[0].header("accept"), Some("application/json"));

    // With a token the version probe still goes without it.
    client_with_token_skips_it_on_version(&fake).await;
}

async fn client_with_token_skips_it_on_version(fake: &Fake) {
    client(&fake.url).version().await.unwrap();
    assert_eq!(fake.requests()[1].header("authorization"), None);
}

#[tokio::test]
async fn without_a_token_nothing_is_sent() {
    let fake = Fake::start();
    let mut settings = settings(&fake.url);
    settings.token = None;
    let client = Client::new(&settings).unwrap();

    let error = client.promote(&promotion()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Not signed in to Stella at {}: run `stella auth login` or set STELLA_TOKEN",
            fake.url
        )
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn reads_send_the_token_and_decode_the_answers() {
    let fake = Fake::start();
    let client = client(&fake.url);

    let who = client.whoami().await.unwrap();
    assert_eq!(
        who,
        api::WhoAmI {
            user: "jane@example.com".into(),
            organization: "acme-corp".into(),
            token_expires_at: None
        }
    );

    let environments = client.environments().await.unwrap();
    let names: Vec<_> = environments.iter().map(|environment| environment.name.as_str()).collect();
    assert_eq!(names, ["development", "staging", "production"]);
    assert_eq!(environments[2].current_release_id, None);
    assert_eq!(environments[1].current_release_id.as_deref(), Some("rel-abc123"));

    let release = client.release("rel-abc123").await.unwrap();
    assert_eq!(release.environments, ["development", "staging"]);
    assert_eq!(release.components[0].tag.as_deref(), Some("1.2.0"));

    let query = api::ReleaseQuery {
        name: Some("my-service".into()),
        env: Some("staging".into()),
        status: None,
        limit: Some(5),
    };
    assert_eq!(client.releases(&query).await.unwrap(), [release]);
    client.releases(&api::ReleaseQuery::default()).await.unwrap();

    let deployments = api::DeploymentQuery { env: Some("production".into()), limit: None };
    let listed = client.deployments(&deployments).await.unwrap();
    assert_eq!(
        listed.iter().map(|deployment| deployment.id.as_str()).collect::<Vec<_>>(),
        ["dep-1"]
    );
    assert_eq!(listed[0].status, "succeeded");

    let requests = fake.requests();
    let lines: Vec<(String, String, Option<String>)> = requests
        .iter()
        .map(|request| (request.method.clone(), request.path.clone(), request.query.clone()))
        .collect();
    let expected = [
        ("GET", "/api/v1/auth/whoami", None),
        ("GET", "/api/v1/environments", None),
        ("GET", "/api/v1/releases/rel-abc123", None),
        ("GET", "/api/v1/releases", Some("name=my-service&env=staging&limit=5")),
        ("GET", "/api/v1/releases", None),
        ("GET", "/api/v1/deployments", Some("env=production")),
    ]
    .map(|(method, path, query)| (method.to_owned(), path.to_owned(), query.map(str::to_owned)));
    assert_eq!(lines, expected);
    for request in &requests {
        assert_eq!(request.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.body, "");
    }
}

#[tokio::test]
async fn writes_send_the_contracts_bodies() {
    let fake = Fake::start();
    let client = client(&fake.url);

    let create = api::CreateRelease {
        name: "my-service".into(),
        version: "1.3.0".into(),
        source_ref: Some("v1.3.0".into()),
        labels: None,
        components: vec![api::ReleaseComponent {
            name: "api".into(),
            image: "registry.example.com/my-service/api".into(),
            tag: Some("1.3.0".into()),
            digest: None,
        }],
    };
    let created = client.create_release(&create).await.unwrap();
    assert_eq!((created.id.as_str(), created.status.as_str()), ("rel-new001", "draft"));

    let promoted = client.promote(&promotion()).await.unwrap();
    assert_eq!(
        promoted,
        api::Promotion {
            id: "pro-1".into(),
            release_id: "rel-abc123".into(),
            target_environment_id: "env-prd".into(),
            status: "pending_approval".into(),
            created_at: None,
        }
    );

    let deploy = api::DeployRequest {
        release_id: "rel-abc123".into(),
        environment_id: "env-stg".into(),
        strategy: None,
    };
    let deployment = client.deploy(&deploy).await.unwrap();
    assert_eq!((deployment.id.as_str(), deployment.status.as_str()), ("dep-1", "queued"));
    assert_eq!(deployment.strategy.as_deref(), Some("rolling"));

    let validation = client.validate(&document()).await.unwrap();
    assert_eq!(validation, api::Validation { valid: true, errors: Vec::new() });
    assert_eq!(client.diff(&document()).await.unwrap(), api::ConfigDiff::default());
    assert!(!client.apply(&document(), true).await.unwrap().applied);
    assert!(client.apply(&document(), false).await.unwrap().applied);

    let requests = fake.requests();
    let bodies: Vec<(String, String)> =
        requests.iter().map(|request| (request.path.clone(), request.body.clone())).collect();
    let document_body = r#"{"content":"release:\n  name: app\n","path":".stella.yaml"}"#;
    let expected = [
        ("/api/v1/releases", r#"{"name":"my-service","version":"1.3.0","source_ref":"v1.3.0","components":[{"name":"api","image":"registry.example.com/my-service/api","tag":"1.3.0"}]}"#),
        ("/api/v1/promotions", r#"{"release_id":"rel-abc123","target_environment_id":"env-prd","auto_approve":false}"#),
        ("/api/v1/deployments", r#"{"release_id":"rel-abc123","environment_id":"env-stg"}"#),
        ("/api/v1/config/validate", document_body),
        ("/api/v1/config/diff", document_body),
        ("/api/v1/config/apply", r#"{"content":"release:\n  name: app\n","path":".stella.yaml","dry_run":true}"#),
        ("/api/v1/config/apply", r#"{"content":"release:\n  name: app\n","path":".stella.yaml","dry_run":false}"#),
    ]
    .map(|(path, body)| (path.to_owned(), body.to_owned()));
    assert_eq!(bodies, expected);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.query, None);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    }
}

#[tokio::test]
async fn log_pages_follow_after() {
    let fake = Fake::start();
    let client = client(&fake.url);

    let page = client.deployment_logs("dep-1", None).await.unwrap();
    assert!(page.complete);
    assert_eq!(page.lines.iter().map(|line| line.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(page.lines[0].step.as_deref(), Some("pull"));

    let page = client.deployment_logs("dep-1", Some(1)).await.unwrap();
    assert_eq!(page.lines.len(), 1);
    assert_eq!(page.lines[0].message, "rollout complete");

    let queries: Vec<_> = fake.requests().into_iter().map(|request| request.query).collect();
    assert_eq!(queries, [None, Some("after=1".to_owned())]);
}

#[tokio::test]
async fn ids_are_one_path_segment() {
    let fake = Fake::start();
    let client = client(&fake.url);

    let error = client.release("../config/apply").await.unwrap_err();
    assert_eq!(error.to_string(), "Not found on Stella: release ..%2Fconfig%2Fapply not found");
    assert_eq!(fake.requests()[0].path, "/api/v1/releases/..%2Fconfig%2Fapply");

    let error = client.release("..").await.unwrap_err();
    assert_eq!(error.to_string(), "Not found on Stella: `..` is not a release id");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_401_shows_the_servers_message_without_the_token() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/auth/whoami",
        Reply::Json(
            401,
            json!({"error": {"code": "unauthorized", "message": format!("token {TOKEN} revoked")}}),
        ),
    );

    let error = client(&fake.url).whoami().await.unwrap_err();
    assert!(matches!(error, ApiError::NotSignedIn { .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "Not signed in to Stella at {}: run `stella auth login` or set STELLA_TOKEN (server said: token *** revoked)",
            fake.url
        )
    );
    assert!(!format!("{error:?}").contains("stl_TESTTOKEN"));
}

#[tokio::test]
async fn a_wrong_token_gets_the_default_401() {
    let fake = Fake::start();
    let mut settings = settings(&fake.url);
    settings.token = Some(Token::new("stl_WRONG".into()));

    let error = Client::new(&settings).unwrap().environments().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Not signed in to Stella at {}: run `stella auth login` or set STELLA_TOKEN (server said: missing or invalid token)",
            fake.url
        )
    );
}

#[tokio::test]
async fn refusals_and_failures_read_as_sentences() {
    let fake = Fake::start();
    let client = client(&fake.url);

    fake.on(
        "POST",
        "/api/v1/promotions",
        Reply::Sequence(vec![
            Reply::Json(403, json!({"error": {"code": "forbidden", "message": "you may not promote to production"}})),
            Reply::Json(409, json!({"error": {"code": "environment_frozen", "message": "production is frozen until 2026-12-27"}})),
            Reply::Json(500, json!({"error": {"code": "internal", "message": "database unavailable"}})),
            Reply::Raw { status: 500, headers: Vec::new(), body: String::new() },
        ]),
    );
    let forbidden = client.promote(&promotion()).await.unwrap_err();
    assert_eq!(
        forbidden.to_string(),
        "Stella refused: you may not promote to production (your account may not do this)"
    );
    let frozen = client.promote(&promotion()).await.unwrap_err();
    assert_eq!(frozen.to_string(), "Stella refused: production is frozen until 2026-12-27");
    assert_eq!(frozen.code(), Some("environment_frozen"));
    assert!(!frozen.is_offline());
    let failed = client.promote(&promotion()).await.unwrap_err();
    assert_eq!(
        failed.to_string(),
        format!("Stella at {} failed (500): database unavailable", fake.url)
    );
    let bare = client.promote(&promotion()).await.unwrap_err();
    assert_eq!(
        bare.to_string(),
        format!("Stella at {} failed (500): Internal Server Error", fake.url)
    );

    let missing = client.release("rel-missing").await.unwrap_err();
    assert_eq!(missing.to_string(), "Not found on Stella: release rel-missing not found");

    fake.on(
        "POST",
        "/api/v1/config/apply",
        Reply::Json(422, json!({"error": {"code": "invalid_config", "message": "environment `qa` does not exist"}})),
    );
    let rejected = client.apply(&document(), false).await.unwrap_err();
    assert_eq!(
        rejected.to_string(),
        "Stella rejected the request (422): environment `qa` does not exist"
    );
    assert_eq!(rejected.code(), Some("invalid_config"));
}

#[tokio::test]
async fn an_answer_that_is_not_json_is_malformed() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/environments",
        Reply::Raw { status: 200, headers: Vec::new(), body: "<html>maintenance</html>".into() },
    );
    fake.on("GET", "/api/v1/auth/whoami", Reply::Json(200, json!({"user": "jane@example.com"})));
    let client = client(&fake.url);

    let error = client.environments().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Stella at {} sent an answer that is not valid JSON (expected value at line 1 column 1)",
            fake.url
        )
    );
    let error = client.whoami().await.unwrap_err();
    assert!(matches!(error, ApiError::Malformed { .. }), "{error}");
    assert!(error.to_string().contains("missing field `organization`"), "{error}");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/config/validate",
        Reply::Delay(
            Duration::from_secs(3),
            Box::new(Reply::Json(200, json!({"valid": true, "errors": []}))),
        ),
    );

    let started = Instant::now();
    let error = impatient_client(&fake.url).validate(&document()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(error.is_offline());
    assert_eq!(
        error.to_string(),
        format!("Stella at {} did not answer within 0.3 s; local checks still run", fake.url)
    );
    assert_eq!(fake.count("POST", "/api/v1/config/validate"), 1);
}

#[tokio::test]
async fn a_blackhole_times_out_with_the_log_timeout_for_logs() {
    let fake = Fake::start();
    fake.on("GET", "/api/v1/environments", Reply::Blackhole);
    fake.on("GET", "/api/v1/deployments/dep-1/logs", Reply::Blackhole);

    let mut settings = settings(&fake.url);
    settings.timeouts.request = Duration::from_millis(200);
    settings.timeouts.log_idle = Duration::from_millis(400);
    let client = Client::new(&settings).unwrap();

    let started = Instant::now();
    let error = client.environments().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(
        error.to_string(),
        format!("Stella at {} did not answer within 0.2 s; local checks still run", fake.url)
    );

    let started = Instant::now();
    let error = client.deployment_logs("dep-1", None).await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    assert_eq!(
        error.to_string(),
        format!("Stella at {} did not answer within 0.4 s; local checks still run", fake.url)
    );
    assert_eq!(fake.count("GET", "/api/v1/environments"), 1);
    assert_eq!(fake.count("GET", "/api/v1/deployments/dep-1/logs"), 1);
}

#[tokio::test]
async fn a_closed_port_fails_fast() {
    for url in [closed_port_url(), closed_port_url().replace("http:", "https:")] {
        let started = Instant::now();
        let error = client(&url).version().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        assert!(error.is_offline());
        assert_eq!(
            error.to_string(),
            format!("Cannot reach {url} (connection refused); local checks still run")
        );
    }
}

#[tokio::test]
async fn a_connection_refused_once_is_tried_once_more() {
    let url = closed_port_url();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let client = client(&url);

    // The first attempt finds the port closed; the fake opens it before the retry.
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        Fake::start_on(port)
    });
    let promoted = client.promote(&promotion()).await;
    let fake = opener.join().unwrap();

    assert_eq!(promoted.unwrap().id, "pro-1");
    assert_eq!(fake.count("POST", "/api/v1/promotions"), 1);
}

#[tokio::test]
async fn a_post_whose_answer_is_lost_is_not_sent_again() {
    let fake = Fake::start();
    fake.on("POST", "/api/v1/promotions", Reply::ResetAfterBody);

    let error = client(&fake.url).promote(&promotion()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "The request was sent to {} but no answer came back; it may have been carried out",
            fake.url
        )
    );
    assert!(!error.is_offline());

    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fake.count("POST", "/api/v1/promotions"), 1);
    assert_eq!(
        fake.requests()[0].json(),
        json!({"release_id": "rel-abc123", "target_environment_id": "env-prd", "auto_approve": false})
    );
}

#[tokio::test]
async fn a_503_on_a_post_is_not_retried() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/promotions",
        Reply::Json(
            503,
            json!({"error": {"code": "unavailable", "message": "maintenance until 10:00"}}),
        ),
    );

    let error = client(&fake.url).promote(&promotion()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Stella at {} failed (503): maintenance until 10:00", fake.url)
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fake.count("POST", "/api/v1/promotions"), 1);
}

#[tokio::test]
async fn a_429_tells_when_to_come_back() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/environments",
        Reply::Raw {
            status: 429,
            headers: vec![("Retry-After".into(), "30".into())],
            body: r#"{"error":{"code":"rate_limited","message":"too many requests"}}"#.into(),
        },
    );

    let error = client(&fake.url).environments().await.unwrap_err();
    let ApiError::RateLimited { retry_after, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(30)));
    assert_eq!(
        error.to_string(),
        "Stella is receiving too many requests (too many requests); try again in 30 s"
    );
    assert_eq!(fake.count("GET", "/api/v1/environments"), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let fake = Fake::start();
    let elsewhere = Fake::start();
    let location = format!("{}/api/v1/auth/whoami", elsewhere.url);
    fake.on(
        "GET",
        "/api/v1/auth/whoami",
        Reply::Raw {
            status: 302,
            headers: vec![("Location".into(), location.clone())],
            body: String::new(),
        },
    );

    let error = client(&fake.url).whoami().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Stella at {} answered with a redirect to {location}; redirects are not followed",
            fake.url
        )
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn plain_http_to_another_host_is_refused_before_connecting() {
    for url in [
        "http://stella.invalid",
        "http://192.0.2.1:8080",
        "http://localhost.:8080",
        "http://LocalHost.",
    ] {
        let error = Client::new(&settings(url)).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("Refusing plain http to {url}: use https (plain http is allowed only to 127.0.0.1, ::1 and localhost)")
        );
    }

    let mut unset = settings("x");
    unset.server = None;
    assert_eq!(
        Client::new(&unset).unwrap_err().to_string(),
        "No Stella server is configured: set `server` in ~/.stella/config.yaml or STELLA_SERVER"
    );
}

#[tokio::test]
async fn https_to_a_server_that_does_not_speak_tls_fails_the_handshake() {
    let http = raw_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    let error = client(&http).version().await.unwrap_err();
    let ApiError::Unreachable { reason, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(reason.starts_with("TLS handshake failed: "), "{error}");

    let silent = raw_server(b"");
    let error = client(&silent).version().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Cannot reach {silent} (TLS handshake failed: the server closed the connection); local checks still run"
        )
    );
}

/// `https://127.0.0.1:P` where a server writes `bytes` on each connection, then ends its
/// side and reads what comes until the client closes (so the client sees an orderly end,
/// never a reset).
fn raw_server(bytes: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else {
                continue;
            };
            std::thread::spawn(move || {
                let _ = stream.write_all(bytes);
                let _ = stream.shutdown(std::net::Shutdown::Write);
                let _ = std::io::copy(&mut stream, &mut std::io::sink());
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let url = untrusted_tls_server();

    let error = client(&url).version().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "Cannot reach {url} (its TLS certificate is not trusted: invalid peer certificate: UnknownIssuer); local checks still run"
        )
    );
}

/// `https://127.0.0.1:P` served with the self-signed certificate of `tests/fixtures/tls`
/// (made for this test only; its key guards nothing).
fn untrusted_tls_server() -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
    let certificates = CertificateDer::pem_file_iter(format!("{fixtures}/cert.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{fixtures}/key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
    let config = Arc::new(config);

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else {
                continue;
            };
            let mut connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            // The client gives up during the handshake; nothing is served.
            let _ = connection.complete_io(&mut stream);
        }
    });
    format!("https://127.0.0.1:{port}")
}

/// A client whose log pages fail after `log_idle` without a byte.
fn log_client(server: &str, log_idle: Duration) -> Client {
    let mut settings = settings(server);
    settings.timeouts.log_idle = log_idle;
    Client::new(&settings).unwrap()
}

/// `{"complete":true,"lines":[…]}` with one line saying `message`.
fn one_line_page(message: &str) -> api::LogPage {
    api::LogPage {
        complete: true,
        lines: vec![api::LogLine {
            seq: 1,
            timestamp: "2026-12-04T10:00:00Z".into(),
            level: Some("info".into()),
            step: None,
            message: message.into(),
        }],
    }
}

#[tokio::test]
async fn the_token_is_scrubbed_from_successful_answers() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/config/validate",
        Reply::Json(
            200,
            json!({"valid": false, "errors": [
                {"path": format!("/env/{TOKEN}"), "message": format!("token {TOKEN} is not a key; {TOKEN}!")}
            ]}),
        ),
    );
    let mut release = support::fake::release();
    release["name"] = json!(format!("{TOKEN}-service"));
    release["labels"] = json!({ TOKEN: "leaked", "owner": TOKEN });
    fake.on("GET", "/api/v1/releases", Reply::Json(200, json!([release])));
    // The token written with JSON escapes (`\u0073` is `s`, `\/` is `/`) and in plain text.
    let escaped = TOKEN.replacen('s', "\\u0073", 1);
    fake.on(
        "GET",
        "/api/v1/deployments/dep-1/logs",
        Reply::Raw {
            status: 200,
            headers: Vec::new(),
            body: format!(
                r#"{{"complete":true,"lines":[{{"seq":1,"timestamp":"2026-12-04T10:00:00Z","level":"info","message":"login with {escaped} and {TOKEN}"}}]}}"#
            ),
        },
    );
    let client = client(&fake.url);

    let validation = client.validate(&document()).await.unwrap();
    assert_eq!(
        validation,
        api::Validation {
            valid: false,
            errors: vec![api::ValidationError {
                path: "/env/***".into(),
                message: "token *** is not a key; ***!".into(),
                severity: None,
            }],
        }
    );

    let releases = client.releases(&api::ReleaseQuery::default()).await.unwrap();
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].name, "***-service");
    assert_eq!(
        releases[0].labels,
        Some([("***", "leaked"), ("owner", "***")].map(|(k, v)| (k.into(), v.into())).into())
    );

    let page = client.deployment_logs("dep-1", None).await.unwrap();
    assert_eq!(page, one_line_page("login with *** and ***"));

    let everything = format!("{validation:?} {releases:?} {page:?}");
    assert!(!everything.contains(TOKEN), "{everything}");
}

#[tokio::test]
async fn a_log_page_that_drips_is_read_to_the_end() {
    let fake = Fake::start();
    let body = r#"{"complete":true,"lines":[{"seq":1,"timestamp":"2026-12-04T10:00:00Z","level":"info","message":"slow"}]}"#;
    fake.on(
        "GET",
        "/api/v1/deployments/dep-1/logs",
        Reply::Drip {
            status: 200,
            body: body.into(),
            every: Duration::from_millis(200),
            dripped: 6,
        },
    );

    let started = Instant::now();
    let page = log_client(&fake.url, Duration::from_millis(500))
        .deployment_logs("dep-1", None)
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(page, one_line_page("slow"));
    // Six bytes 200 ms apart: far more than the idle timeout in all, never that long apart.
    assert!(elapsed >= Duration::from_millis(1200), "{elapsed:?}");
}

#[tokio::test]
async fn a_log_page_that_stalls_fails_after_the_idle_timeout() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/deployments/dep-1/logs",
        Reply::Stall { status: 200, body: r#"{"complete":true,"lines":[]}"#.into(), sent: 10 },
    );

    let started = Instant::now();
    let error = log_client(&fake.url, Duration::from_millis(500))
        .deployment_logs("dep-1", None)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        error.to_string(),
        format!("Stella at {} did not answer within 0.5 s; local checks still run", fake.url)
    );
    assert!(error.is_offline());
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(fake.count("GET", "/api/v1/deployments/dep-1/logs"), 1);
}

#[tokio::test]
async fn a_log_page_that_drips_for_too_long_fails_at_ten_idle_timeouts() {
    let fake = Fake::start();
    fake.on(
        "GET",
        "/api/v1/deployments/dep-1/logs",
        Reply::Drip {
            status: 200,
            body: r#"{"complete":true,"lines":[]}"#.into(),
            every: Duration::from_millis(100),
            dripped: 25,
        },
    );

    let started = Instant::now();
    let error = log_client(&fake.url, Duration::from_millis(200))
        .deployment_logs("dep-1", None)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        error.to_string(),
        format!("Stella at {} did not answer within 2 s; local checks still run", fake.url)
    );
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2400), "{elapsed:?}");
}

#[tokio::test]
async fn at_most_8_requests_are_in_flight_at_once() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/config/validate",
        Reply::Delay(
            Duration::from_millis(200),
            Box::new(Reply::Json(200, json!({"valid": true, "errors": []}))),
        ),
    );
    let client = client(&fake.url);

    let started = Instant::now();
    let document = document();
    let results = join_all((0..20).map(|_| client.validate(&document))).await;
    let elapsed = started.elapsed();

    let valid: Vec<bool> = results.into_iter().map(|result| result.unwrap().valid).collect();
    assert_eq!(valid, [true; 20]);
    assert_eq!(MAX_IN_FLIGHT, 8);
    assert_eq!(fake.most_in_flight(), 8);
    assert_eq!(fake.count("POST", "/api/v1/config/validate"), 20);
    // 20 requests, 8 at a time: three rounds of 200 ms.
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
}

#[tokio::test]
async fn a_request_that_waited_for_its_turn_still_has_its_whole_timeout() {
    let fake = Fake::start();
    fake.on(
        "POST",
        "/api/v1/config/validate",
        Reply::Delay(
            Duration::from_millis(600),
            Box::new(Reply::Json(200, json!({"valid": true, "errors": []}))),
        ),
    );
    let mut settings = settings(&fake.url);
    settings.timeouts.request = Duration::from_secs(1);
    let client = Client::new(&settings).unwrap();

    // The second eight wait about 600 ms for a turn, then take 600 ms: more than the
    // 1 s timeout in all, less than it each.
    let document = document();
    let timed = (0..16).map(|_| async {
        let started = Instant::now();
        let result = client.validate(&document).await;
        (result.map(|validation| validation.valid), started.elapsed())
    });
    let results = join_all(timed).await;

    let valid: Vec<bool> = results.iter().map(|(result, _)| *result.as_ref().unwrap()).collect();
    assert_eq!(valid, [true; 16]);
    let slowest = results.iter().map(|(_, elapsed)| *elapsed).max().unwrap();
    assert!(slowest >= Duration::from_millis(1200), "{slowest:?}");
    assert_eq!(fake.most_in_flight(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_gets_no_turn_in_time_is_not_sent() {
    let fake = Fake::start();
    fake.on("GET", "/api/v1/deployments/dep-1/logs", Reply::Blackhole);
    let mut settings = settings(&fake.url);
    settings.timeouts.request = Duration::from_millis(300);
    settings.timeouts.log_idle = Duration::from_secs(10);
    let client = Client::new(&settings).unwrap();

    // Eight log pages (each its own URL) hold every turn while the fake stays silent.
    let holders: Vec<_> = (0..8)
        .map(|after| {
            let client = client.clone();
            tokio::spawn(async move { client.deployment_logs("dep-1", Some(after)).await })
        })
        .collect();
    assert!(fake.wait_for("GET", "/api/v1/deployments/dep-1/logs", 8, Duration::from_secs(5)));

    let started = Instant::now();
    let error = client.environments().await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        error.to_string(),
        format!("Too many requests to Stella at {} are waiting; try again", fake.url)
    );
    assert!(!error.is_offline());
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(fake.count("GET", "/api/v1/environments"), 0);

    for holder in &holders {
        holder.abort();
    }
    // Once the turns are free again, requests go out.
    for holder in holders {
        let _ = holder.await;
    }
    assert_eq!(client.environments().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_get_whose_connection_drops_asks_to_try_again() {
    let fake = Fake::start();
    fake.on("GET", "/api/v1/environments", Reply::ResetAfterBody);

    let error = client(&fake.url).environments().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Stella at {} closed the connection before a complete answer; try again", fake.url)
    );
    assert!(!error.is_offline());
    assert_eq!(fake.count("GET", "/api/v1/environments"), 1);
}

#[tokio::test]
async fn unexpected_statuses_are_named() {
    let fake = Fake::start();
    let raw = |status: u16, headers: &[(&str, &str)], body: &str| Reply::Raw {
        status,
        headers: headers.iter().map(|&(name, value)| (name.into(), value.into())).collect(),
        body: body.into(),
    };
    let statuses = [202, 204, 304, 302, 300, 600, 999];
    fake.on(
        "GET",
        "/api/v1/auth/whoami",
        Reply::Sequence(vec![
            raw(202, &[], r#"{"user":"jane@example.com","organization":"acme-corp"}"#),
            raw(204, &[], ""),
            raw(304, &[], ""),
            raw(302, &[], ""),
            raw(300, &[("Location", "https://elsewhere.invalid/")], ""),
            raw(600, &[], r#"{"user":"jane@example.com","organization":"acme-corp"}"#),
            raw(999, &[], ""),
        ]),
    );
    let client = client(&fake.url);

    let mut sentences = Vec::new();
    for _ in statuses {
        sentences.push(client.whoami().await.unwrap_err().to_string());
    }
    let expected: Vec<String> = statuses
        .iter()
        .map(|status| format!("Stella at {} answered with an unexpected status {status}", fake.url))
        .collect();
    assert_eq!(sentences, expected);
}

#[tokio::test]
async fn an_answer_over_8_mib_says_so() {
    let fake = Fake::start();
    let big = format!(r#"{{"user":"{}","organization":"acme-corp"}}"#, "x".repeat(8 << 20));
    fake.on(
        "GET",
        "/api/v1/auth/whoami",
        Reply::Raw { status: 200, headers: Vec::new(), body: big },
    );
    let error = client(&fake.url).whoami().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("Stella at {} sent an answer larger than 8 MiB", fake.url)
    );

    // Without a Content-Length the answer is cut off while it is read.
    let mut unannounced = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    unannounced.resize(unannounced.len() + (9 << 20), b' ');
    let server = raw_http_server(unannounced);
    let error = client(&server).whoami().await.unwrap_err();
    assert_eq!(error.to_string(), format!("Stella at {server} sent an answer larger than 8 MiB"));
}

/// `http://127.0.0.1:P` where a server reads one request head, answers with `bytes` and
/// closes the connection.
fn raw_http_server(bytes: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Some(Ok(mut stream)) = listener.incoming().next() else {
            return;
        };
        let mut head = Vec::new();
        let mut byte = [0];
        while !head.ends_with(b"\r\n\r\n") && stream.read_exact(&mut byte).is_ok() {
            head.push(byte[0]);
        }
        let _ = stream.write_all(&bytes);
    });
    format!("http://127.0.0.1:{port}")
}

/// Everything written to the log during the test that looks for the token.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// reqwest and rustls log through the `log` crate: this logger copies their records into
/// the same buffer as the `tracing` events.
struct LogCopy(Buffer);

impl log::Log for LogCopy {
    fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let mut buffer = self.0.clone();
        let _ = writeln!(buffer, "{} {}: {}", record.level(), record.target(), record.args());
    }

    fn flush(&self) {}
}

/// Every `tracing` event at any level, and every `log` record, of every test of this file
/// from the first call on. Global rather than per test: a scoped subscriber can miss
/// events whose call sites another thread met first.
fn captured_logs() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log::set_logger(Box::leak(Box::new(LogCopy(buffer.clone())))).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
        buffer
    })
}

#[tokio::test]
async fn the_token_never_reaches_a_log_line() {
    let logs = captured_logs();

    let fake = Fake::start();
    let elsewhere = Fake::start();
    fake.on(
        "GET",
        "/api/v1/environments",
        Reply::Json(
            401,
            json!({"error": {"code": "unauthorized", "message": format!("token {TOKEN} revoked")}}),
        ),
    );
    fake.on(
        "GET",
        "/api/v1/releases",
        Reply::Raw {
            status: 302,
            headers: vec![("Location".into(), format!("{}/?token={TOKEN}", elsewhere.url))],
            body: String::new(),
        },
    );
    fake.on("POST", "/api/v1/promotions", Reply::ResetAfterBody);
    let stella = client(&fake.url);

    stella.version().await.unwrap();
    stella.whoami().await.unwrap();
    stella
        .create_release(&api::CreateRelease {
            name: "app".into(),
            version: "1.0.0".into(),
            source_ref: None,
            labels: None,
            components: Vec::new(),
        })
        .await
        .unwrap();
    let errors = [
        stella.environments().await.unwrap_err(),
        stella.releases(&api::ReleaseQuery::default()).await.unwrap_err(),
        stella.promote(&promotion()).await.unwrap_err(),
        client(&closed_port_url()).whoami().await.unwrap_err(),
    ];
    for error in &errors {
        tracing::info!(%error, ?error, "shown to the user");
    }
    tracing::info!(client = ?stella, settings = ?settings(&fake.url), "state");

    let logs = logs.text();
    assert!(logs.contains("path=\"/api/v1/auth/whoami\" status=200"), "{logs}");
    assert!(logs.contains("path=\"/api/v1/environments\" status=401"), "{logs}");
    assert!(logs.contains("authorization: Bearer ***"), "{logs}");
    assert!(logs.contains("token *** revoked"), "{logs}");
    assert!(logs.contains("TRACE hyper_util::"), "hyper's own log lines were not captured: {logs}");
    assert!(logs.contains(" reqwest::"), "reqwest's own log lines were not captured: {logs}");
    assert!(!logs.contains("stl_TESTTOKEN"), "{logs}");
}
