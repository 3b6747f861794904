//! "Did you mean" suggestions for misspelt keys and names.

/// The candidate closest to `wanted`, when it is close enough to be what was meant.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= threshold(wanted.len().max(candidate.len())))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// How many edits still read as a typo: one for short words, a third of longer ones.
fn threshold(length: usize) -> usize {
    (length / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn a_swapped_pair_of_letters_is_a_typo() {
        assert_eq!(closest("imgae", ["name", "image", "dockerfile"]), Some("image"));
    }

    #[test]
    fn an_unrelated_word_gets_no_suggestion() {
        assert_eq!(closest("colour", ["name", "image", "dockerfile"]), None);
    }
}
