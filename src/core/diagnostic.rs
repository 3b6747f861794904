//! The diagnostic type every stage of the analysis produces, and the stable rule codes.

use std::fmt;

use crate::core::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "info",
            Severity::Hint => "hint",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which stage of the analysis a rule belongs to. Later stages run only when the earlier
/// ones found no error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Syntax,
    Schema,
    Semantic,
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $stage:ident, $severity:ident, $summary:literal; )*) => {
        /// A stable rule code. The string form is what users see, write in suppressions and
        /// match in `check --format json`; it never changes once released.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$( Code::$variant, )*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Code::$variant => $name, )*
                }
            }

            pub const fn stage(self) -> Stage {
                match self {
                    $( Code::$variant => Stage::$stage, )*
                }
            }

            /// The severity the rule reports with.
            pub const fn severity(self) -> Severity {
                match self {
                    $( Code::$variant => Severity::$severity, )*
                }
            }

            /// One line for the rules table in the README and `--help`.
            pub const fn summary(self) -> &'static str {
                match self {
                    $( Code::$variant => $summary, )*
                }
            }

            pub fn from_name(name: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|code| code.as_str() == name)
            }
        }
    };
}

codes! {
    Syntax = "syntax", Syntax, Error, "the text is not valid YAML";
    UndefinedAlias = "undefined-alias", Syntax, Error, "an alias (`*name`) names no anchor; a glob starting with `*` must be quoted";
    AliasLimit = "alias-limit", Syntax, Error, "aliases expand to more nodes than the file's size allows (an alias bomb)";
    NestingLimit = "nesting-limit", Syntax, Error, "collections nest deeper than 256 levels";
    MultipleDocuments = "multiple-documents", Syntax, Error, "a `.stella.yaml` holds exactly one YAML document";
    DuplicateKey = "duplicate-key", Syntax, Error, "a key appears twice in one mapping";
    InvalidKey = "invalid-key", Syntax, Error, "a mapping key is a collection or alias instead of text";
    InvalidMerge = "invalid-merge", Syntax, Error, "a merge key `<<` takes a mapping or a list of mappings";
    UnknownKey = "unknown-key", Schema, Error, "a key the format does not define (with a did-you-mean)";
    MissingKey = "missing-key", Schema, Error, "a required key is missing";
    WrongType = "wrong-type", Schema, Error, "a value has the wrong type (`yes`/`no` are text in YAML 1.2)";
    InvalidValue = "invalid-value", Schema, Error, "a value breaks a constraint of the schema (pattern, length, allowed values)";
    DuplicateComponent = "duplicate-component", Semantic, Error, "two components share a name";
    DuplicateEnvironment = "duplicate-environment", Semantic, Error, "two environments share a name";
    InvalidGlob = "invalid-glob", Semantic, Error, "`tag_pattern`, a branch pattern or an ignore path is not a valid glob";
    VersionPlaceholder = "version-placeholder", Semantic, Error, "`version_pattern` must hold `{version}` exactly once";
    VersionMismatch = "version-mismatch", Semantic, Error, "`version_pattern` cannot read a version from the tags `tag_pattern` selects";
    UnknownEnvironment = "unknown-environment", Semantic, Error, "a branch names an environment that `auto_promote.environments` does not declare";
    ApprovalConflict = "approval-conflict", Semantic, Error, "`auto_approve: true` contradicts `require_review: true`";
    MissingPath = "missing-path", Semantic, Warning, "`dockerfile`, `build_context` or `test_workflow` names a path that does not exist";
    InvalidImage = "invalid-image", Semantic, Error, "`image` is not a valid OCI image reference";
    TokenInConfig = "token-in-config", Schema, Warning, "global config: a `token` key; tokens belong in `~/.stella/credentials.yaml` or `STELLA_TOKEN`";
    UnknownContext = "unknown-context", Semantic, Error, "global config: `current_context` names no entry of `contexts` (with a did-you-mean)";
    InsecureServer = "insecure-server", Semantic, Error, "global config: a `server` uses plain `http://` to a host other than localhost, 127.0.0.0/8 or ::1";
    UnusedSuppression = "unused-suppression", Semantic, Warning, "a `# stella-ignore` comment names a code that suppressed nothing, an unknown code or a syntax error";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A second place that explains a diagnostic (the first of two duplicate keys, the `<<`
/// that merged a value in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// A diagnostic with the rule's own severity and no related information.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            severity: code.severity(),
            code,
            message: message.into(),
            related: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related { span, message: message.into() });
        self
    }
}
