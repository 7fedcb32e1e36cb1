//! `masthead_rank`, an FTS5 ranking function registered on every SQLite
//! connection.
//!
//! FTS5's own `bm25()` counts, once per query, every document that holds
//! each phrase (to weigh rare words above common ones) and looks each
//! ranked row's length up in a side table. On a deep archive that was
//! five sixths of a search's time, spent on numbers that barely matter
//! here: search ranks only the newest matches of a query, and each of
//! those holds every word asked for (words missing from some documents
//! appear only when a search broadens to any word).
//!
//! `masthead_rank(search_index, w0, w1, …)` scores a row from the phrase
//! instances the index has already read for it: for each phrase and
//! column, `weight × tf / (tf + 1.2)` (BM25's saturation: the tenth
//! mention adds little), summed over the phrases and columns, negated so
//! that, like `bm25()`, lower is better.

use std::ffi::{CStr, c_int, c_void};
use std::ptr;

use libsqlite3_sys as ffi;

/// BM25's term-frequency saturation constant.
const K1: f64 = 1.2;
/// Phrases a query may hold at most that are scored (the query reader
/// allows ten words and ten exclusions); more are not counted.
const MAX_PHRASES: usize = 20;
/// Columns scored at most (the search index has four).
const MAX_COLUMNS: usize = 4;

const NAME: &CStr = c"masthead_rank";

/// Registers `masthead_rank` on a connection.
///
/// # Safety
/// `db` must be an open connection that no other thread uses meanwhile.
pub(crate) unsafe fn register(db: *mut ffi::sqlite3) -> Result<(), String> {
    // SAFETY: the caller holds `db` for the duration; the fts5 API pointer
    // is obtained as SQLite documents it (`SELECT fts5(?1)` with a bound
    // pointer of type "fts5_api_ptr") and lives as long as the connection.
    unsafe {
        let api = fts5_api(db)?;
        let create = (*api)
            .xCreateFunction
            .ok_or("this SQLite has no FTS5 function registration")?;
        let rc = create(api, NAME.as_ptr(), ptr::null_mut(), Some(rank), None);
        if rc != ffi::SQLITE_OK {
            return Err(format!(
                "registering masthead_rank failed (SQLite code {rc})"
            ));
        }
    }
    Ok(())
}

unsafe fn fts5_api(db: *mut ffi::sqlite3) -> Result<*mut ffi::fts5_api, String> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: see `register`; the statement is finalized on every path.
    unsafe {
        let rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc != ffi::SQLITE_OK {
            return Err(format!("this SQLite has no FTS5 (SQLite code {rc})"));
        }
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
    }
    if api.is_null() {
        return Err("this SQLite did not hand out its FTS5 API".into());
    }
    Ok(api)
}

/// The function itself; see the module's comment.
unsafe extern "C" fn rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_args: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite calls this with a valid API table, context and
    // `n_args` argument values, on the thread running the statement.
    unsafe {
        match score(&*api, fts, n_args, args) {
            Ok(score) => ffi::sqlite3_result_double(ctx, -score),
            Err(rc) => ffi::sqlite3_result_error_code(ctx, rc),
        }
    }
}

unsafe fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_args: c_int,
    args: *mut *mut ffi::sqlite3_value,
) -> Result<f64, c_int> {
    let mut weights = [1.0f64; MAX_COLUMNS];
    let given = usize::try_from(n_args).unwrap_or(0).min(MAX_COLUMNS);
    let (Some(phrase_count), Some(first), Some(next)) =
        (api.xPhraseCount, api.xPhraseFirst, api.xPhraseNext)
    else {
        return Err(ffi::SQLITE_MISUSE);
    };
    let mut tf = [[0u32; MAX_COLUMNS]; MAX_PHRASES];
    // SAFETY: `args` holds `n_args` values (see `rank`), and the API's
    // functions are called with the context SQLite gave; a phrase
    // iterator is only advanced after `first` set it up.
    unsafe {
        for (i, weight) in weights.iter_mut().enumerate().take(given) {
            *weight = ffi::sqlite3_value_double(*args.add(i));
        }
        // Each phrase's positions straight from its position list (no
        // merged, sorted list of every phrase's hits is built).
        let phrases = phrase_count(fts).clamp(0, MAX_PHRASES as c_int);
        for (phrase, counts) in (0..phrases).zip(tf.iter_mut()) {
            let mut iter = ffi::Fts5PhraseIter {
                a: ptr::null(),
                b: ptr::null(),
            };
            let (mut column, mut offset) = (0, 0);
            let rc = first(fts, phrase, &mut iter, &mut column, &mut offset);
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            while column >= 0 {
                if let Some(count) = usize::try_from(column).ok().and_then(|c| counts.get_mut(c)) {
                    *count += 1;
                }
                next(fts, &mut iter, &mut column, &mut offset);
            }
        }
    }
    Ok(saturated(&tf, &weights))
}

/// The score of a row's counts: each phrase's count in each column,
/// saturated, times the column's weight.
fn saturated(tf: &[[u32; MAX_COLUMNS]; MAX_PHRASES], weights: &[f64; MAX_COLUMNS]) -> f64 {
    tf.iter()
        .flat_map(|columns| columns.iter().zip(weights))
        .filter(|(n, _)| **n > 0)
        .map(|(n, w)| {
            let n = f64::from(*n);
            w * n / (n + K1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_saturate_and_columns_weigh() {
        let weights = [10.0, 4.0, 1.0, 3.0];
        let mut once_in_headline = [[0; MAX_COLUMNS]; MAX_PHRASES];
        once_in_headline[0][0] = 1;
        let mut often_in_body = [[0; MAX_COLUMNS]; MAX_PHRASES];
        often_in_body[0][2] = 40;
        // One mention in the headline outweighs forty in the body.
        assert!(saturated(&once_in_headline, &weights) > saturated(&often_in_body, &weights));
        // But more mentions still count for something.
        let mut twice = often_in_body;
        twice[0][2] = 2;
        let mut once = often_in_body;
        once[0][2] = 1;
        assert!(saturated(&twice, &weights) > saturated(&once, &weights));
        // Two phrases found beat one.
        let mut both = once;
        both[1][2] = 1;
        assert!(saturated(&both, &weights) > saturated(&once, &weights));
    }
}
