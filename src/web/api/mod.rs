//! The JSON APIs (`/ghost/api/…`), shaped like Ghost 5's so that Ghost's
//! own clients and the tools built on them work unchanged:
//!
//! - `content.rs`: the Content API (read-only, `?key=`), its answers kept
//!   per generation by address and query (`App::api_cache`);
//! - `admin.rs`: the Admin API (read-write, `Authorization: Ghost <jwt>`),
//!   acting as the integration's own staff account;
//! - `params.rs`: the query parameters both read (filter, include, fields,
//!   formats, limit, page, order).
//!
//! Every answer is JSON, errors included, in Ghost's shape
//! (`{"errors": [{"message", "type", …}]}`), never a themed HTML page.
//! API clients authenticate with keys and tokens, not cookies, so no CSRF
//! layer applies. Both APIs are also served under the versioned prefixes
//! older clients use (`/ghost/api/v4/content/…`, v2, v3 and canary).

mod admin;
mod content;
mod params;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::App;
use crate::services::ghost::{Formats, Include, Known, PieceResource, Shaped, Shaper};
use crate::store::StoreError;
use crate::store::browse::{Audience, Browse, BrowseError, Resource};

/// What the Content-Version header says the API speaks.
const CONTENT_VERSION: &str = "v5.0";

/// The prefixes older clients put before `content/` and `admin/`.
const VERSION_PREFIXES: [&str; 5] = ["", "/v2", "/v3", "/v4", "/canary"];

/// An API error as Ghost clients expect it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Ghost's error type name, e.g. "NotFoundError".
    pub kind: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "NotFoundError", message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "BadRequestError", message)
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "ValidationError", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "UnauthorizedError", message)
    }

    pub fn no_permission(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "NoPermissionError", message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeError",
            message,
        )
    }

    pub fn collision(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "UpdateCollisionError", message)
    }

    /// The database failed: the cause goes to the log, the client learns
    /// whether trying again may help.
    pub fn storage(e: impl std::fmt::Display) -> ApiError {
        tracing::warn!(error = %e, "an API request could not reach the database");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "InternalServerError",
            "The database did not answer: try again in a moment.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("Resource not found."),
            other => ApiError::storage(other),
        }
    }
}

impl From<BrowseError> for ApiError {
    fn from(e: BrowseError) -> Self {
        match e {
            BrowseError::Store(e) => e.into(),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "errors": [{
                "message": self.message,
                "context": null,
                "type": self.kind,
                "details": null,
                "property": null,
                "help": null,
                "code": null,
                "id": crate::model::new_id(),
                "ghostErrorCode": null,
            }]
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// A JSON answer with the headers every API answer carries.
fn json_answer(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("content-version", HeaderValue::from_static(CONTENT_VERSION));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Version"));
    response
}

pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    let mut router = Router::new();
    for prefix in VERSION_PREFIXES {
        router = router
            .nest(&format!("{prefix}/content"), content::router(app))
            .nest(&format!("{prefix}/admin"), admin::router(app));
    }
    router
        .fallback(|| async {
            ApiError::not_found("Resource not found: no API endpoint answers at this address.")
        })
        .layer(axum::middleware::from_fn(json_errors))
}

/// `path` and `path/`: Ghost's addresses end in a slash, and clients
/// written by hand often leave it off.
fn both_forms(path: &str) -> [String; 2] {
    [path.to_string(), format!("{path}/")]
}

/// Errors raised before a handler runs (a method not allowed, a garbled
/// address) leave axum as plain text: give them the API's JSON shape.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let (kind, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "MethodNotAllowedError",
            "This endpoint does not take that method.",
        ),
        StatusCode::NOT_FOUND => ("NotFoundError", "Resource not found."),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "RequestEntityTooLargeError",
            "The request is larger than this endpoint accepts.",
        ),
        StatusCode::REQUEST_TIMEOUT => ("RequestTimeoutError", "The request took too long."),
        s if s.is_server_error() => ("InternalServerError", "Something went wrong on our side."),
        _ => ("BadRequestError", "The request could not be read."),
    };
    let mut json = ApiError::new(status, kind, message).into_response();
    if let Some(allow) = allow {
        json.headers_mut().insert(header::ALLOW, allow);
    }
    json
}

/// The envelope name of a resource.
fn envelope(resource: Resource) -> &'static str {
    match resource {
        Resource::Posts | Resource::PostsWithBriefs => "posts",
        Resource::Pages => "pages",
        Resource::Tags => "tags",
        Resource::Authors => "authors",
    }
}

/// An answer: `{name: list, "meta": meta}`, serialized as it is.
pub struct Envelope<'a, T> {
    name: &'a str,
    list: Vec<T>,
    meta: Option<Value>,
}

impl<T: Serialize> Serialize for Envelope<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1 + usize::from(self.meta.is_some())))?;
        map.serialize_entry(self.name, &self.list)?;
        if let Some(meta) = &self.meta {
            map.serialize_entry("meta", meta)?;
        }
        map.end()
    }
}

/// What readers' answers of the current generation share; staff see
/// drafts, which do not move the generation, so theirs is read afresh.
async fn known_to_readers(app: &App, audience: &Audience) -> Result<Option<Arc<Known>>, ApiError> {
    if *audience != Audience::Readers {
        return Ok(None);
    }
    Ok(Some(known(app).await?))
}

/// What the Content API's answers of the current generation share.
async fn known(app: &App) -> Result<Arc<Known>, ApiError> {
    let generation = app.api_cache.freshness.current().await?.generation;
    Ok(app
        .api_known
        .get(generation, || Known::load(&app.store))
        .await?)
}

/// The shaped resources for these ids, in their order, with the fields
/// `params` asks for.
async fn shaped(
    app: &App,
    resource: Resource,
    ids: &[String],
    params: &params::Params,
    known: Option<&Known>,
) -> Result<Vec<Shaped>, ApiError> {
    let mut list = shaped_whole(app, resource, ids, params.formats, params.include, known).await?;
    crate::services::ghost::keep_shaped_fields(&mut list, &params.fields);
    Ok(list)
}

async fn shaped_whole(
    app: &App,
    resource: Resource,
    ids: &[String],
    formats: Formats,
    include: Include,
    known: Option<&Known>,
) -> Result<Vec<Shaped>, ApiError> {
    let shaper = Shaper {
        store: &app.store,
        public_url: &app.public_url,
        known,
    };
    Ok(match resource {
        Resource::Posts => {
            let mut cards = app.store.story_cards_by_ids(ids).await?;
            in_order(&mut cards, ids, |c| Some(&c.story.id));
            pieces(shaper.posts(&cards, formats, include).await?)
        }
        Resource::PostsWithBriefs => {
            let (stories, briefs) = tokio::try_join!(
                app.store.story_cards_by_ids(ids),
                app.store.brief_cards_by_ids(ids)
            )?;
            let (stories, briefs) = tokio::try_join!(
                shaper.posts(&stories, formats, include),
                shaper.brief_posts(&briefs, formats, include)
            )?;
            let mut posts = pieces(stories.into_iter().chain(briefs));
            in_order(&mut posts, ids, Shaped::id);
            posts
        }
        Resource::Pages => {
            let mut pages = app.store.pages().await?;
            pages.retain(|p| ids.contains(&p.id));
            in_order(&mut pages, ids, |p| Some(&p.id));
            pieces(shaper.pages(&pages, formats).await?)
        }
        Resource::Tags => values(shaper.tags(ids, include.count_posts).await?),
        Resource::Authors => values(shaper.authors(ids, include.count_posts).await?),
    })
}

fn pieces(list: impl IntoIterator<Item = PieceResource>) -> Vec<Shaped> {
    list.into_iter().map(Shaped::from).collect()
}

fn values(list: Vec<Value>) -> Vec<Shaped> {
    list.into_iter().map(Shaped::Value).collect()
}

/// Sorts `items` into the order of `ids` (a listing of every story may
/// hold thousands: each id's place is looked up, not searched for).
fn in_order<T>(items: &mut [T], ids: &[String], id_of: impl Fn(&T) -> Option<&str>) {
    let place: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    items.sort_by_key(|item| id_of(item).and_then(|id| place.get(id).copied()));
}

/// One page of a resource in Ghost's envelope, its list named `name`
/// (the Admin API's users are authors), with its pagination.
async fn browse<'a>(
    app: &App,
    resource: Resource,
    name: &'a str,
    params: &params::Params,
    audience: Audience,
) -> Result<Envelope<'a, Shaped>, ApiError> {
    let limit = params.limit;
    let page = params.page;
    let resource = match (&params.filter, resource) {
        (Some(filter), Resource::Posts) if crate::store::browse::names_brief_tag(filter) => {
            Resource::PostsWithBriefs
        }
        _ => resource,
    };
    let known = known_to_readers(app, &audience).await?;
    let asked = Browse {
        resource,
        filter: params.filter.clone(),
        order: params.order.clone(),
        limit,
        offset: limit.map_or(0, |l| (page - 1).saturating_mul(l)),
        audience,
        known_total: None,
    };
    let found = match &known {
        Some(known) => known.browse(&app.store, &asked).await?,
        None => app.store.browse(&asked).await?,
    };
    let list = shaped(app, resource, &found.ids, params, known.as_deref()).await?;
    let pages = match limit {
        Some(l) if l > 0 => ((found.total + l - 1) / l).max(1),
        _ => 1,
    };
    let pagination = json!({
        "page": page,
        "limit": limit.map_or(json!("all"), |l| json!(l)),
        "pages": pages,
        "total": found.total,
        "next": if page < pages { json!(page + 1) } else { Value::Null },
        "prev": if page > 1 { json!(page - 1) } else { Value::Null },
    });
    Ok(Envelope {
        name,
        list,
        meta: Some(json!({ "pagination": pagination })),
    })
}

/// Which resource a read names: by id or by slug.
enum Lookup<'a> {
    Id(&'a str),
    Slug(&'a str),
}

/// One resource in Ghost's envelope (a list of one named `name`, without meta).
async fn read_one<'a>(
    app: &App,
    resource: Resource,
    name: &'a str,
    lookup: Lookup<'_>,
    params: &params::Params,
    audience: Audience,
) -> Result<Envelope<'a, Shaped>, ApiError> {
    use crate::model::nql::{Condition, Filter, Op, Value as NqlValue};
    let (field, value) = match lookup {
        Lookup::Id(id) => ("id", id),
        Lookup::Slug(slug) => ("slug", slug),
    };
    let one = |resource| Browse {
        resource,
        filter: Some(Filter::Condition(Condition {
            field: field.into(),
            negated: false,
            op: Op::Eq,
            value: NqlValue::Text(value.to_string()),
        })),
        order: vec![],
        limit: Some(1),
        offset: 0,
        audience: audience.clone(),
        known_total: None,
    };
    let mut found = app.store.browse(&one(resource)).await?;
    let mut resource = resource;
    // A brief is a post too: read when no story has that id or slug.
    if found.ids.is_empty() && resource == Resource::Posts {
        resource = Resource::PostsWithBriefs;
        found = app.store.browse(&one(resource)).await?;
    }
    if found.ids.is_empty() {
        let what = match resource {
            Resource::Posts | Resource::PostsWithBriefs => "Post",
            Resource::Pages => "Page",
            Resource::Tags => "Tag",
            Resource::Authors => "Author",
        };
        return Err(ApiError::not_found(format!("{what} not found.")));
    }
    let known = known_to_readers(app, &audience).await?;
    let list = shaped(app, resource, &found.ids, params, known.as_deref()).await?;
    Ok(Envelope {
        name,
        list,
        meta: None,
    })
}
