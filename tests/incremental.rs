//! The incremental analysis against the full one: on a generated file with planted
//! errors, through a long run of edits (some of which break the syntax), every result must
//! be exactly what the full analysis gives.

use std::fmt::Write as _;

use stella_lsp::core::{analyze, Analyzer, Context};

/// A file shaped like the benchmark's: components, environments, branches, ignore paths.
fn generated(components: usize) -> String {
    let mut text = String::from(
        "# generated\nrelease:\n  name: \"svc\"\n  tag_pattern: \"v*\"\n  version_pattern: \"v{version}\"\ncomponents:\n",
    );
    for index in 0..components {
        let _ = write!(
            text,
            "  - name: comp-{index}\n    image: registry.example.com/svc/comp-{index}\n    dockerfile: ./comp-{index}/Dockerfile\n    build_context: ./comp-{index}\n"
        );
    }
    text.push_str("auto_promote:\n  enabled: true\n  environments:\n");
    for (index, name) in ["development", "staging", "production", "staging-eu"].iter().enumerate() {
        let _ = write!(
            text,
            "    - name: {name}\n      auto_approve: {}\n      require_tests: true\n",
            index % 2 == 0
        );
    }
    text.push_str("branches:\n  main:\n    environment: staging\n    auto_deploy: true\n  \"release/*\":\n    environment: production\nignore_paths:\n  - \"*.md\"\n  - docs/**\n");
    text
}

/// A small deterministic generator (xorshift), so a failure always reproduces.
struct Random(u64);

impl Random {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % below as u64).unwrap()
    }
}

#[test]
fn edits_give_the_same_diagnostics_as_the_full_analysis() {
    let inserts =
        ["x", "1", ":", " ", "-", "\n", "\"", "#", "*", "&a ", "y", "  - name: extra\n", "é", "🚀"];
    let mut random = Random(0x5eed_1234_abcd_0042);
    let mut analyzer = Analyzer::default();
    let mut text = generated(40);
    let mut split_runs = 0;

    for step in 0..400 {
        let boundaries: Vec<usize> =
            (0..=text.len()).filter(|&offset| text.is_char_boundary(offset)).collect();
        let at = boundaries[random.next(boundaries.len())];
        if random.next(3) == 0 && at < text.len() {
            let end = boundaries[boundaries.iter().position(|&offset| offset == at).unwrap() + 1];
            text.replace_range(at..end, "");
        } else {
            text.insert_str(at, inserts[random.next(inserts.len())]);
        }
        // Every so often, go back to a clean file so that edits keep landing on valid YAML.
        if step % 4 == 3 {
            text = generated(40 + step / 4 % 7);
        }

        let incremental = analyzer.analyze(&text, &Context::default()).diagnostics;
        let full = analyze(&text, &Context::default()).diagnostics;
        assert_eq!(incremental, full, "step {step}, text:\n{text}");
        if analyzer.split_last_time() {
            split_runs += 1;
        }
    }

    // The comparison means something only if the split was used most of the time.
    assert!(split_runs > 150, "the split was used in only {split_runs} of 400 steps");
}

#[test]
fn a_clean_generated_file_goes_through_the_split() {
    let text = generated(100);
    let mut analyzer = Analyzer::default();

    assert_eq!(analyzer.analyze(&text, &Context::default()).diagnostics, Vec::new());
    assert!(analyzer.split_last_time());
}

#[test]
fn nesting_near_the_limit_inside_a_unit_matches_the_full_analysis() {
    for levels in [250, 252, 253, 254, 255, 256] {
        let mut text = String::from("release:\n  name: app\n  tag_pattern: v*\ncomponents:\n  - name: api\n    image: registry.example/api\n    build_context:\n");
        for depth in 0..levels {
            text.push_str(&" ".repeat(6 + depth * 2));
            text.push_str("-\n");
        }

        let incremental = Analyzer::default().analyze(&text, &Context::default()).diagnostics;
        assert_eq!(incremental, analyze(&text, &Context::default()).diagnostics, "{levels} levels");
    }
}

#[test]
fn sections_the_splitter_leaves_whole_are_still_checked_in_full() {
    // `environments :` (a space before the colon) is not cut into units, and neither is a
    // flow list; their items are checked with the skeleton, against their full schema.
    let spaced = generated(3).replace("  environments:\n", "  environments :\n").replace(
        "      auto_approve: true\n      require_tests: true\n    - name: staging\n",
        "      auto_approve: true\n      requi re_tests: true\n    - name: staging\n",
    );
    let flow = generated(3)
        .replace("ignore_paths:\n  - \"*.md\"\n  - docs/**\n", "ignore_paths: [\"*.md\", 7]\n");

    for text in [spaced, flow] {
        let mut analyzer = Analyzer::default();
        let incremental = analyzer.analyze(&text, &Context::default()).diagnostics;
        let full = analyze(&text, &Context::default()).diagnostics;

        assert_ne!(full, Vec::new());
        assert_eq!(incremental, full);
        assert!(analyzer.split_last_time());
    }
}
