//! Which media files each piece's text names (`media_refs`), written in the
//! same transaction as the piece, so "where is this image used" looks up
//! the image's own file names in an index instead of searching every body.

use crate::model::Image;

use super::{ImageUse, PieceKind, Store, StoreResult, exec, read};

/// The most names kept for one piece (a body naming more is unusual and
/// past this is abuse; the first are kept).
const MAX_REFS: usize = 200;

/// The media files a body names: what follows `/media/` in its addresses
/// (an `src`, a `srcset`, a link, absolute or not), each once.
pub fn referenced_files(body: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (at, _) in body.match_indices("/media/") {
        let rest = &body[at + "/media/".len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || "\"'<>()?#,&;\\".contains(c))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && name.len() <= 255 && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
            if names.len() == MAX_REFS {
                break;
            }
        }
    }
    names
}

/// Every name an image is served under: its file, each smaller width, and
/// the WebP copies of each.
pub fn served_names(image: &Image) -> Vec<String> {
    let mut widths = image.smaller_widths();
    widths.push(image.width);
    let mut names = Vec::new();
    for width in widths {
        names.push(image.file_at(width, None));
        if image.webp {
            names.push(image.file_at(width, Some("webp")));
        }
    }
    names.push(image.file.clone());
    names.sort();
    names.dedup();
    names
}

macro_rules! queries {
    () => {
        pub mod media_refs {
            use sqlx::{Pool, QueryBuilder};

            use super::{Conn, Db};
            use crate::store::media_refs::referenced_files;
            use crate::store::{ImageUse, PieceKind, StoreResult};

            /// Keeps what `body` names as the piece's references.
            pub async fn set(conn: &mut Conn, kind: PieceKind, id: &str, body: &str) -> StoreResult<()> {
                clear(conn, kind, id).await?;
                let names = referenced_files(body);
                if names.is_empty() {
                    return Ok(());
                }
                let mut qb = QueryBuilder::<Db>::new("INSERT INTO media_refs (piece_kind, piece_id, name) ");
                qb.push_values(&names, |mut row, name| {
                    row.push_bind(kind.as_str()).push_bind(id.to_string()).push_bind(name.clone());
                });
                qb.push(" ON CONFLICT DO NOTHING");
                qb.build().execute(&mut *conn).await?;
                Ok(())
            }

            pub async fn clear(conn: &mut Conn, kind: PieceKind, id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM media_refs WHERE piece_kind = $1 AND piece_id = $2")
                    .bind(kind.as_str())
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Pieces showing the image (`id`) or naming one of its files
            /// (`names`) in their text, and authors whose photo it is.
            pub async fn uses(pool: &Pool<Db>, id: &str, names: &[String]) -> StoreResult<Vec<ImageUse>> {
                let mut qb = QueryBuilder::<Db>::new("");
                for (n, (kind, table, title, image)) in [
                    ("story", "stories", "headline", "hero_image_id"),
                    ("brief", "briefs", "headline", "image_id"),
                    ("page", "pages", "title", "hero_image_id"),
                ]
                .into_iter()
                .enumerate()
                {
                    if n > 0 {
                        qb.push(" UNION ALL ");
                    }
                    // Two look-ups, each by an index (an OR of them would
                    // read every piece); UNION drops a piece found by both.
                    qb.push(format!(
                        "SELECT '{kind}' AS kind, p.id, p.{title} AS title FROM {table} p WHERE p.{image} = "
                    ));
                    qb.push_bind(id.to_string());
                    qb.push(format!(
                        " UNION SELECT '{kind}' AS kind, p.id, p.{title} AS title FROM {table} p
                          WHERE p.id IN (SELECT r.piece_id FROM media_refs r WHERE r.piece_kind = '{kind}' AND r.name IN "
                    ));
                    super::sql::push_id_list(&mut qb, names);
                    qb.push(")");
                }
                qb.push(" UNION ALL SELECT 'author' AS kind, a.id, a.name AS title FROM authors a WHERE a.photo_id = ");
                qb.push_bind(id.to_string());
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// A batch of a kind's pieces after `after` (by id): id and body.
            pub async fn bodies(
                pool: &Pool<Db>,
                table: &str,
                after: &str,
                limit: i64,
            ) -> StoreResult<Vec<(String, String)>> {
                let mut qb = QueryBuilder::<Db>::new(format!("SELECT id, body FROM {table} WHERE id > "));
                qb.push_bind(after.to_string()).push(" ORDER BY id");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn pending(pool: &Pool<Db>, name: &str) -> StoreResult<bool> {
                let found: Option<String> = sqlx::query_scalar("SELECT name FROM pending_rebuilds WHERE name = $1")
                    .bind(name)
                    .fetch_optional(pool)
                    .await?;
                Ok(found.is_some())
            }

            pub async fn mark_pending(conn: &mut Conn, name: &str) -> StoreResult<()> {
                sqlx::query("INSERT INTO pending_rebuilds (name) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn done(pool: &Pool<Db>, name: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM pending_rebuilds WHERE name = $1")
                    .bind(name)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            /// Keeps a batch of pieces' references (a rebuild).
            pub async fn set_many(pool: &Pool<Db>, kind: PieceKind, pieces: &[(String, String)]) -> StoreResult<()> {
                let mut tx = pool.begin().await?;
                for (id, body) in pieces {
                    set(&mut tx, kind, id, body).await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

/// Pieces read at once while the references are built again.
const REBUILD_BATCH: i64 = 500;

impl Store {
    /// Where an image appears: pieces that show it or name one of its files
    /// in their text, and authors whose photo it is.
    pub async fn image_uses(&self, image: &Image) -> StoreResult<Vec<ImageUse>> {
        let names = served_names(image);
        read!(self, media_refs::uses(&image.id, &names))
    }

    /// Builds the references of every piece again when a migration or a
    /// loaded backup asked for it (once; later saves keep them).
    pub async fn rebuild_media_refs_if_pending(&self) -> StoreResult<usize> {
        if !exec!(self, media_refs::pending("media_refs"))? {
            return Ok(0);
        }
        let mut count = 0;
        for (kind, table) in [
            (PieceKind::Story, "stories"),
            (PieceKind::Brief, "briefs"),
            (PieceKind::Page, "pages"),
        ] {
            let mut after = String::new();
            loop {
                let batch = exec!(self, media_refs::bodies(table, &after, REBUILD_BATCH))?;
                let Some((last, _)) = batch.last() else { break };
                after = last.clone();
                exec!(self, media_refs::set_many(kind, &batch))?;
                count += batch.len();
            }
        }
        exec!(self, media_refs::done("media_refs"))?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_name_their_media_files_once() {
        let body = r#"<figure><img src="/media/ferry-640.jpg" srcset="/media/ferry-640.webp 640w, /media/ferry.webp 1200w" alt=""></figure>
            <p><a href="https://example.org/media/report.pdf?x=1">report</a> /media/ferry-640.jpg again</p>"#;
        assert_eq!(
            referenced_files(body),
            [
                "ferry-640.jpg",
                "ferry-640.webp",
                "ferry.webp",
                "report.pdf"
            ]
        );
        assert!(referenced_files("<p>No media here.</p>").is_empty());
    }

    #[test]
    fn an_image_is_served_under_each_width_and_webp() {
        let image = Image {
            file: "ferry.jpg".into(),
            width: 1200,
            widths: "320,640".into(),
            webp: true,
            ..Default::default()
        };
        assert_eq!(
            served_names(&image),
            [
                "ferry-320.jpg",
                "ferry-320.webp",
                "ferry-640.jpg",
                "ferry-640.webp",
                "ferry.jpg",
                "ferry.webp"
            ]
        );
    }
}
