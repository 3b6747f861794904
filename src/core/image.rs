//! The OCI image reference grammar (the distribution spec's `reference` production):
//! `[registry[:port]/]path[:tag][@algorithm:digest]`.

/// Why `reference` is not a valid image reference, or `None` when it is.
pub fn problem(reference: &str) -> Option<String> {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    if let Some(problem) = digest.and_then(digest_problem) {
        return Some(problem);
    }

    // A `:` after the last `/` starts a tag; one before it belongs to a registry port.
    let last_slash = rest.rfind('/').map_or(0, |index| index + 1);
    let (name, tag) = match rest[last_slash..].find(':') {
        Some(colon) => (&rest[..last_slash + colon], Some(&rest[last_slash + colon + 1..])),
        None => (rest, None),
    };
    if let Some(problem) = tag.and_then(tag_problem) {
        return Some(problem);
    }
    name_problem(name)
}

fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the repository name is empty".to_owned());
    }
    if name.len() > 255 {
        return Some("the repository name is longer than 255 characters".to_owned());
    }

    let mut components: Vec<&str> = name.split('/').collect();
    let first = components[0];
    let is_domain = components.len() > 1
        && (first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase()));
    if is_domain {
        if let Some(problem) = domain_problem(first) {
            return Some(problem);
        }
        components.remove(0);
    }

    components.iter().find_map(|component| path_component_problem(component))
}

fn domain_problem(domain: &str) -> Option<String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|byte| byte.is_ascii_digit()) {
            return Some(format!("the registry port `{port}` is not a number"));
        }
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.split('.').all(valid_label) {
        None
    } else {
        Some(format!("the registry `{host}` is not a valid host name"))
    }
}

/// `[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*`
fn path_component_problem(component: &str) -> Option<String> {
    if component.is_empty() {
        return Some(
            "the repository name has an empty path component (`//` or a trailing `/`)".to_owned(),
        );
    }
    if component.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return Some(format!(
            "`{component}` has upper-case letters; repository names are lower case"
        ));
    }

    let bytes = component.as_bytes();
    let mut index = 0;
    loop {
        let run = bytes[index..]
            .iter()
            .take_while(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
            .count();
        if run == 0 {
            return Some(format!(
                "`{component}` must start and end with a letter or digit, with only `.`, `_`, `__` or `-` between them"
            ));
        }
        index += run;
        if index == bytes.len() {
            return None;
        }
        let separator = &component[index..];
        let length = if separator.starts_with("__") {
            2
        } else if separator.starts_with(['.', '_']) {
            1
        } else {
            separator.bytes().take_while(|&byte| byte == b'-').count()
        };
        if length == 0 {
            return Some(format!("`{component}` has a character not allowed in a repository name"));
        }
        index += length;
    }
}

/// `[\w][\w.-]{0,127}`
fn tag_problem(tag: &str) -> Option<String> {
    if tag.is_empty() {
        return Some("the tag after `:` is empty".to_owned());
    }
    let word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let bytes = tag.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes.iter().all(|&byte| word(byte) || byte == b'.' || byte == b'-');
    if valid {
        None
    } else {
        Some(format!("the tag `{tag}` must be 1 to 128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"))
    }
}

/// `algorithm:hex`, where sha256 takes exactly 64 lower-case hex digits.
fn digest_problem(digest: &str) -> Option<String> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Some(format!("the digest `{digest}` must be `algorithm:hex`, such as `sha256:…`"));
    };
    let valid_algorithm = !algorithm.is_empty()
        && algorithm.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"+._-".contains(&byte)
        });
    if !valid_algorithm {
        return Some(format!("the digest algorithm `{algorithm}` is not valid"));
    }
    let hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    if algorithm == "sha256" && (encoded.len() != 64 || !encoded.bytes().all(hex)) {
        return Some("a sha256 digest is exactly 64 lower-case hex digits".to_owned());
    }
    if encoded.len() < 32
        || !encoded.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"=_-".contains(&byte))
    {
        return Some(format!("the digest `{digest}` is not valid"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn valid_references() {
        for reference in [
            "registry.example/api",
            "registry.example.com/my-service/api",
            "nginx",
            "library/nginx:1.25",
            "localhost:5000/team/app:v1.2.3",
            "ghcr.io/acme/worker_2__x",
            "a.b/c@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(problem(reference), None, "{reference}");
        }
    }

    #[test]
    fn invalid_references_say_why() {
        assert_eq!(
            problem("registry.example/My-Api").as_deref(),
            Some("`My-Api` has upper-case letters; repository names are lower case")
        );
        assert_eq!(
            problem("registry.example//api").as_deref(),
            Some("the repository name has an empty path component (`//` or a trailing `/`)")
        );
        assert_eq!(
            problem("registry.example/api:.bad").as_deref(),
            Some("the tag `.bad` must be 1 to 128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`")
        );
        assert_eq!(
            problem("registry.example/api@sha256:abc").as_deref(),
            Some("a sha256 digest is exactly 64 lower-case hex digits")
        );
        assert_eq!(problem("registry.example/api:").as_deref(), Some("the tag after `:` is empty"));
        assert_eq!(
            problem("registry.example:port/api").as_deref(),
            Some("the registry port `port` is not a number")
        );
        assert_eq!(
            problem("registry.example/-api").as_deref(),
            Some("`-api` must start and end with a letter or digit, with only `.`, `_`, `__` or `-` between them")
        );
    }
}
