//! Pages of a newest-first list read by a key instead of an OFFSET: the
//! next page starts after the last line shown, so page 500 of the log
//! costs what page 1 does, and a line added meanwhile neither repeats nor
//! hides one. A list orders by a time and breaks ties by id.

use crate::model::UnixTime;

/// A line of a list, as the key of the page beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: UnixTime,
    pub id: String,
}

impl Cursor {
    /// Reads the key of an address (`1767225600.01abc…`); none if it is not one.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (at, id) = text.split_once('.')?;
        let at = at.parse().ok()?;
        let plausible = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Cursor {
            at,
            id: id.to_string(),
        })
    }

    /// The key as an address writes it.
    pub fn token(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }
}

/// Which page of a newest-first list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PageKey {
    #[default]
    Newest,
    /// The lines older than this one.
    Older(Cursor),
    /// The lines newer than this one (the page before, going back).
    Newer(Cursor),
}

/// A page of lines with the keys of the pages on either side.
#[derive(Debug, Clone)]
pub struct KeyedPage<T> {
    pub rows: Vec<T>,
    pub older: Option<Cursor>,
    pub newer: Option<Cursor>,
}

impl<T> KeyedPage<T> {
    /// Makes the page from what the query read: up to `size + 1` lines in
    /// the query's order (see `push_keyset`), the extra one telling that
    /// there is more beyond.
    pub fn from_rows(
        mut rows: Vec<T>,
        key: &PageKey,
        size: i64,
        cursor: impl Fn(&T) -> Cursor,
    ) -> KeyedPage<T> {
        let size = usize::try_from(size.max(1)).unwrap_or(1);
        let more = rows.len() > size;
        rows.truncate(size);
        if matches!(key, PageKey::Newer(_)) {
            // Read oldest first to find the lines just newer; shown newest first.
            rows.reverse();
        }
        let first = rows.first().map(&cursor);
        let last = rows.last().map(&cursor);
        let (older, newer) = match key {
            PageKey::Newest => (last.filter(|_| more), None),
            PageKey::Older(_) => (last.filter(|_| more), first),
            PageKey::Newer(_) => (last, first.filter(|_| more)),
        };
        KeyedPage { rows, older, newer }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(n: &i64) -> Cursor {
        Cursor {
            at: *n,
            id: format!("id{n}"),
        }
    }

    #[test]
    fn keys_read_back_and_refuse_what_is_not_one() {
        let key = Cursor {
            at: 1_767_225_600,
            id: "01abc".into(),
        };
        assert_eq!(Cursor::parse(&key.token()), Some(key));
        for bad in ["", "12", "x.abc", "12.", "12.a b", "12.a'--"] {
            assert_eq!(Cursor::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn pages_know_their_neighbours() {
        // Newest page of 2 from 5,4,3 (the third says there is more).
        let page = KeyedPage::from_rows(vec![5, 4, 3], &PageKey::Newest, 2, cursor);
        assert_eq!(page.rows, vec![5, 4]);
        assert_eq!(page.older, Some(cursor(&4)));
        assert_eq!(page.newer, None);
        // Older than 4: 3,2 and no more.
        let page = KeyedPage::from_rows(vec![3, 2], &PageKey::Older(cursor(&4)), 2, cursor);
        assert_eq!(page.rows, vec![3, 2]);
        assert_eq!((page.older, page.newer), (None, Some(cursor(&3))));
        // Newer than 2, read oldest first: 3,4,5 means more beyond 4.
        let page = KeyedPage::from_rows(vec![3, 4, 5], &PageKey::Newer(cursor(&2)), 2, cursor);
        assert_eq!(page.rows, vec![4, 3]);
        assert_eq!(
            (page.older, page.newer),
            (Some(cursor(&3)), Some(cursor(&4)))
        );
    }
}
