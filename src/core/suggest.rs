//! "Did you mean" suggestions for misspelt keys and names.

/// The candidate closest to `wanted`, when it is close enough to be what was meant.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    ranked(wanted, candidates).into_iter().next()
}

/// Every candidate close enough to `wanted` to be what was meant, closest first; equally
/// close ones keep their order. The first is [`closest`].
pub fn ranked<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut close: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= threshold(wanted.len().max(candidate.len())))
        .collect();
    close.sort_by_key(|&(distance, _)| distance);
    close.into_iter().map(|(_, candidate)| candidate).collect()
}

/// How many edits still read as a typo: one for short words, a third of longer ones.
fn threshold(length: usize) -> usize {
    (length / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::{closest, ranked};

    #[test]
    fn a_swapped_pair_of_letters_is_a_typo() {
        assert_eq!(closest("imgae", ["name", "image", "dockerfile"]), Some("image"));
    }

    #[test]
    fn ranked_lists_every_close_candidate_closest_first() {
        assert_eq!(ranked("stagin", ["prod", "staging", "stage"]), ["staging", "stage"]);
    }

    #[test]
    fn an_unrelated_word_gets_no_suggestion() {
        assert_eq!(closest("colour", ["name", "image", "dockerfile"]), None);
    }
}
