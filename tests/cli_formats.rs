//! `check --format sarif` and `check --format github`: whole outputs on small files, a CRLF
//! file and a file with an astral character before a diagnostic (columns in SARIF count
//! UTF-16 code units; GitHub columns count code points, as the human format does).

mod support;

use serde_json::{json, Value};
use support::run_cli;

/// `a.stella.yaml`: a duplicate key (with related information) and an unknown key.
const DUPLICATE: &str = "release:\n  name: app\n  name: app\n";
/// `c:d,e.stella.yaml`: a name and a key that GitHub's escaping must protect.
const ESCAPES: &str = "release:\n  name: app\n  \"n%:,\\r\": 1\n";
/// `b.stella.yaml`, CRLF: an unknown key after an astral character (U+1F680, two UTF-16
/// units, one code point) on its line.
const ASTRAL_CRLF: &str = "release:\r\n  name: app\r\n  tag_pattern: \"v*\"\r\n  version_pattern: \"v{version}\"\r\ncomponents:\r\n  - {name: \"\u{1F680}\", imgae: x}\r\n";

fn run(format: &str) -> (std::process::Output, tempfile::TempDir) {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("a.stella.yaml"), DUPLICATE).unwrap();
    std::fs::write(directory.path().join("b.stella.yaml"), ASTRAL_CRLF).unwrap();
    if format == "github" {
        std::fs::write(directory.path().join("c:d,e.stella.yaml"), ESCAPES).unwrap();
    }
    let output = run_cli(directory.path(), &["check", "--format", format]);
    (output, directory)
}

#[test]
#[allow(clippy::too_many_lines, reason = "the whole expected SARIF log, inline")]
fn sarif_log() {
    let (output, _directory) = run("sarif");

    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    // The astral character is two UTF-16 units: `imgae` starts at column 18, not 17.
    assert_eq!(
        log,
        json!(        {
          "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
          "runs": [
            {
              "columnKind": "utf16CodeUnits",
              "results": [
                {
                  "level": "error",
                  "locations": [
                    {
                      "physicalLocation": {
                        "artifactLocation": {
                          "uri": "a.stella.yaml"
                        },
                        "region": {
                          "endColumn": 7,
                          "endLine": 3,
                          "startColumn": 3,
                          "startLine": 3
                        }
                      }
                    }
                  ],
                  "message": {
                    "text": "duplicate key `name`"
                  },
                  "relatedLocations": [
                    {
                      "id": 0,
                      "message": {
                        "text": "`name` is first set here"
                      },
                      "physicalLocation": {
                        "artifactLocation": {
                          "uri": "a.stella.yaml"
                        },
                        "region": {
                          "endColumn": 7,
                          "endLine": 2,
                          "startColumn": 3,
                          "startLine": 2
                        }
                      }
                    }
                  ],
                  "ruleId": "duplicate-key"
                },
                {
                  "level": "error",
                  "locations": [
                    {
                      "physicalLocation": {
                        "artifactLocation": {
                          "uri": "b.stella.yaml"
                        },
                        "region": {
                          "endColumn": 4,
                          "endLine": 6,
                          "startColumn": 3,
                          "startLine": 6
                        }
                      }
                    }
                  ],
                  "message": {
                    "text": "component is missing required property `image`"
                  },
                  "ruleId": "missing-key"
                },
                {
                  "level": "error",
                  "locations": [
                    {
                      "physicalLocation": {
                        "artifactLocation": {
                          "uri": "b.stella.yaml"
                        },
                        "region": {
                          "endColumn": 16,
                          "endLine": 6,
                          "startColumn": 12,
                          "startLine": 6
                        }
                      }
                    }
                  ],
                  "message": {
                    "text": "`name` `\u{1F680}` does not match the required pattern `^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`"
                  },
                  "ruleId": "invalid-value"
                },
                {
                  "level": "error",
                  "locations": [
                    {
                      "physicalLocation": {
                        "artifactLocation": {
                          "uri": "b.stella.yaml"
                        },
                        "region": {
                          "endColumn": 23,
                          "endLine": 6,
                          "startColumn": 18,
                          "startLine": 6
                        }
                      }
                    }
                  ],
                  "message": {
                    "text": "unknown property `imgae` (did you mean `image`?)"
                  },
                  "ruleId": "unknown-key"
                }
              ],
              "tool": {
                "driver": {
                  "name": "stella-lsp",
                  "rules": [
                    {
                      "defaultConfiguration": {
                        "level": "error"
                      },
                      "id": "duplicate-key",
                      "shortDescription": {
                        "text": "a key appears twice in one mapping"
                      }
                    },
                    {
                      "defaultConfiguration": {
                        "level": "error"
                      },
                      "id": "unknown-key",
                      "shortDescription": {
                        "text": "a key the format does not define (with a did-you-mean)"
                      }
                    },
                    {
                      "defaultConfiguration": {
                        "level": "error"
                      },
                      "id": "missing-key",
                      "shortDescription": {
                        "text": "a required key is missing"
                      }
                    },
                    {
                      "defaultConfiguration": {
                        "level": "error"
                      },
                      "id": "invalid-value",
                      "shortDescription": {
                        "text": "a value breaks a constraint of the schema (pattern, length, allowed values)"
                      }
                    }
                  ],
                  "version": "0.1.0"
                }
              }
            }
          ],
          "version": "2.1.0"
        })
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn github_annotations() {
    let (output, _directory) = run("github");

    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "::error file=a.stella.yaml,line=3,col=3,endLine=3,endColumn=7,title=duplicate-key::duplicate key `name`%0Aa.stella.yaml:2:3: `name` is first set here",
            "::error file=b.stella.yaml,line=6,col=3,endLine=6,endColumn=4,title=missing-key::component is missing required property `image`",
            "::error file=b.stella.yaml,line=6,col=12,endLine=6,endColumn=15,title=invalid-value::`name` `\u{1F680}` does not match the required pattern `^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`",
            "::error file=b.stella.yaml,line=6,col=17,endLine=6,endColumn=22,title=unknown-key::unknown property `imgae` (did you mean `image`?)",
            "::error file=c%3Ad%2Ce.stella.yaml,line=1,col=1,endLine=1,endColumn=1,title=missing-key::missing required property `components`",
            "::error file=c%3Ad%2Ce.stella.yaml,line=1,col=1,endLine=1,endColumn=8,title=missing-key::`release` is missing required property `tag_pattern`",
            "::error file=c%3Ad%2Ce.stella.yaml,line=3,col=3,endLine=3,endColumn=11,title=unknown-key::unknown property `n%25:,%0D`; expected one of: name, tag_pattern, version_pattern",
        ]
    );
    assert_eq!(output.status.code(), Some(1));
}
