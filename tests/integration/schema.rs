//! The two migration folders describe one logical schema.

use masthead::store::Store;

use crate::common::{block_on, drop_postgres_db, fresh_postgres_db};

#[test]
fn sqlite_and_postgres_schemas_match() {
    let Some(pg_url) = fresh_postgres_db() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("s.db").display());
    let (sqlite, postgres) = block_on(async {
        let sqlite = Store::connect(&sqlite_url).await.unwrap();
        sqlite.migrate().await.unwrap();
        let pg = Store::connect(&pg_url).await.unwrap();
        pg.migrate().await.unwrap();
        let a = sqlite.logical_schema().await.unwrap();
        let b = pg.logical_schema().await.unwrap();
        pg.close().await;
        (a, b)
    });
    drop_postgres_db(&pg_url);
    assert!(sqlite.len() > 50, "schema read: {sqlite:?}");
    assert_eq!(sqlite, postgres);
}
