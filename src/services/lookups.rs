//! Look-ups by id kept for one generation of the content: tags, the newest
//! stories under each tag, teasers of stories shown as related. Filled on
//! first use (one query for everything missing), shared by every render of
//! the generation, dropped with it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::RwLock;

pub struct Lookups<V> {
    entries: RwLock<HashMap<String, V>>,
    /// Beyond this many entries the map starts afresh: memory stays bounded
    /// on a site with a very large number of tags or stories.
    max_entries: usize,
}

impl<V: Clone> Lookups<V> {
    pub fn new(max_entries: usize) -> Lookups<V> {
        Lookups {
            entries: RwLock::default(),
            max_entries,
        }
    }

    /// The values for `ids` in the order asked (ids `fetch` does not find
    /// are left out); `fetch` is called once with the ids not yet known.
    pub async fn get<E, F, Fut>(&self, ids: &[String], fetch: F) -> Result<Vec<V>, E>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<(String, V)>, E>>,
    {
        let missing: Vec<String> = {
            let known = self.entries.read().unwrap_or_else(|e| e.into_inner());
            let mut missing: Vec<String> = ids
                .iter()
                .filter(|id| !known.contains_key(*id))
                .cloned()
                .collect();
            missing.sort();
            missing.dedup();
            missing
        };
        let mut fetched = HashMap::new();
        if !missing.is_empty() {
            fetched.extend(fetch(missing).await?);
            let mut known = self.entries.write().unwrap_or_else(|e| e.into_inner());
            if known.len() + fetched.len() > self.max_entries {
                known.clear();
            }
            known.extend(fetched.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let known = self.entries.read().unwrap_or_else(|e| e.into_inner());
        Ok(ids
            .iter()
            .filter_map(|id| known.get(id).or_else(|| fetched.get(id)).cloned())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_id_is_fetched_once() {
        let lookups = Lookups::<u32>::new(16);
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let fetch = |asked: Vec<String>| async move {
            Ok::<_, ()>(
                asked
                    .into_iter()
                    .filter(|id| id != "none")
                    .map(|id| (id.clone(), id.len() as u32))
                    .collect(),
            )
        };
        assert_eq!(
            lookups.get(&ids(&["a", "bb", "none"]), fetch).await,
            Ok(vec![1, 2])
        );
        let refused = |_: Vec<String>| async { Err::<Vec<(String, u32)>, _>("asked again") };
        assert_eq!(
            lookups.get(&ids(&["bb", "a"]), refused).await,
            Ok(vec![2, 1])
        );
    }
}
