//! Words as search sees them: split on anything that is not a letter or a
//! digit, folded (lower case, accents removed: "Gdańsk" is "gdansk") and,
//! where matching needs it, stemmed for English ("strikes" is "strike").
//! Indexing, queries and result highlighting all go through here, so a word
//! is the same word everywhere.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A word of some text: where it is (bytes) and its folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub at: Range<usize>,
    pub folded: String,
}

/// The words of `text`, in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut found = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                found.push(word(text, s..i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        found.push(word(text, s..text.len()));
    }
    found
}

fn word(text: &str, at: Range<usize>) -> Word {
    let folded = fold(&text[at.clone()]);
    Word { at, folded }
}

/// Lower case without accents; letters without a decomposition of their own
/// (ø, æ, ß, ł) written as a reader would type them on an English keyboard.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ß' => out.push_str("ss"),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The folded words of `text` joined by single spaces: two texts with the
/// same key read the same to a reader ("Port strike: day two" and
/// "port strike — day two").
pub fn key(text: &str) -> String {
    let folded: Vec<String> = words(text).into_iter().map(|w| w.folded).collect();
    folded.join(" ")
}

/// The English stem of a folded word.
pub fn stem(folded: &str) -> String {
    thread_local! {
        static STEMMER: rust_stemmers::Stemmer =
            rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    }
    STEMMER.with(|s| s.stem(folded).into_owned())
}

/// Words too common to say what a story is about.
pub fn is_stopword(folded: &str) -> bool {
    const STOPWORDS: &[&str] = &[
        "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "at", "be",
        "been", "before", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had",
        "has", "have", "he", "her", "his", "how", "i", "if", "in", "into", "is", "it", "its",
        "just", "more", "most", "no", "not", "now", "of", "on", "one", "only", "or", "other",
        "our", "out", "over", "said", "says", "she", "so", "some", "than", "that", "the", "their",
        "them", "then", "there", "these", "they", "this", "those", "to", "two", "up", "was", "we",
        "were", "what", "when", "where", "which", "while", "who", "will", "with", "would", "year",
        "years", "you",
    ];
    STOPWORDS.binary_search(&folded).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_located() {
        let text = "Gdańsk's port—Straße, e-bikes!";
        let found = words(text);
        let folded: Vec<&str> = found.iter().map(|w| w.folded.as_str()).collect();
        assert_eq!(folded, ["gdansk", "s", "port", "strasse", "e", "bikes"]);
        assert_eq!(&text[found[0].at.clone()], "Gdańsk");
        assert_eq!(&text[found[3].at.clone()], "Straße");
        assert_eq!(key("Port strike: day two"), key("port  STRIKE — day two"));
        assert_eq!(fold("Ærø København"), "aero kobenhavn");
    }

    #[test]
    fn stems_join_forms_of_one_word() {
        assert_eq!(stem("strikes"), stem("striking"));
        assert_eq!(stem("elections"), stem("election"));
        assert_ne!(stem("port"), stem("portal"));
    }

    #[test]
    fn the_stopword_list_is_sorted() {
        assert!(is_stopword("the") && is_stopword("with") && !is_stopword("harbour"));
    }
}
