//! URL slugs: lowercase words joined by hyphens, stable once published.

const MAX_LEN: usize = 80;

/// Turns a headline or name into a slug: "Q3: Kessel's 2% rise" -> "q3-kessels-2-rise".
pub fn slugify(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_hyphen = false;
    for ch in input.chars().flat_map(fold_accent) {
        if ch == '\'' || ch == '’' {
            continue; // "Kessel's" reads better as "kessels" than "kessel-s"
        }
        if ch.is_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.extend(ch.to_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    if out.len() > MAX_LEN {
        let mut cut = MAX_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        if let Some(at) = out.rfind('-') {
            out.truncate(at);
        }
    }
    if out.is_empty() {
        out.push_str("untitled");
    }
    out
}

/// Whether a string is already a well-formed slug (what editors may type by hand).
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_LEN
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .chars()
            .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()))
}

/// "slug", "slug-2", "slug-3", ...: candidates tried until one is free.
pub fn candidates(base: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(base.to_string()).chain((2..).map(move |n| format!("{base}-{n}")))
}

/// Latin letters with diacritics fold to their base letter so URLs stay ASCII
/// for the common European cases; other scripts are kept as they are.
fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            "a"
        }
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ě' | 'Ę' => {
            "e"
        }
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ł' | 'Ł' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
            "o"
        }
        'ß' => "ss",
        'ś' | 'š' | 'Ś' | 'Š' => "s",
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        _ => "",
    };
    let mut buf = [None, None];
    if folded.is_empty() {
        buf[0] = Some(c);
    } else {
        let mut it = folded.chars();
        buf[0] = it.next();
        buf[1] = it.next();
    }
    buf.into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_makes_readable_ascii_slugs() {
        assert_eq!(slugify("Q3: Kessel's 2% rise"), "q3-kessels-2-rise");
        assert_eq!(
            slugify("  Über die Grenzen — Łódź  "),
            "uber-die-grenzen-lodz"
        );
        assert_eq!(slugify("***"), "untitled");
        assert_eq!(slugify("Straße"), "strasse");
    }

    #[test]
    fn long_headlines_are_cut_at_a_word() {
        let s = slugify(&"word ".repeat(40));
        assert!(s.len() <= MAX_LEN);
        assert!(!s.ends_with('-'));
        assert!(s.ends_with("word"));
    }

    #[test]
    fn validity_and_candidates() {
        assert!(is_valid("a-good-slug-2"));
        assert!(!is_valid("Bad Slug"));
        assert!(!is_valid("-x"));
        assert!(!is_valid("a--b"));
        let c: Vec<_> = candidates("x").take(3).collect();
        assert_eq!(c, ["x", "x-2", "x-3"]);
    }
}
