//! House rules that a test can check: every Rust file opens with a `//!` module doc, and no
//! line ends in whitespace.

use std::path::{Path, PathBuf};

fn rust_files(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_file_has_a_module_doc_and_no_trailing_whitespace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);

    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let relative = file.strip_prefix(root).unwrap().display();
        if !text.starts_with("//!") {
            problems.push(format!("{relative}: no `//!` module doc on the first line"));
        }
        for (index, line) in text.lines().enumerate() {
            if line.ends_with([' ', '\t']) {
                problems.push(format!("{relative}:{}: trailing whitespace", index + 1));
            }
        }
    }

    assert_eq!(problems, Vec::<String>::new());
}
