//! The Content API: what readers may see, for any holder of a Content API
//! key (`?key=`). Answers are kept per generation by their whole address
//! (the key included), so a browse costs a lookup in memory until content
//! changes; revoking a key moves the generation, so no kept answer
//! outlives its key. Open to every origin (CORS), as Ghost's is.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::params::Params;
use super::{ApiError, ApiResult, Lookup, both_forms, browse, envelope, json_answer, read_one};
use crate::services::ghost::{Include, Shaper};
use crate::services::integrations::{self, AuthError};
use crate::store::browse::{Audience, Resource};
use crate::web::App;
use crate::web::cache;

pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    let mut router = Router::new();
    for (name, resource) in [
        ("posts", Resource::Posts),
        ("pages", Resource::Pages),
        ("tags", Resource::Tags),
        ("authors", Resource::Authors),
    ] {
        for path in both_forms(&format!("/{name}")) {
            router = router.route(
                &path,
                get(move |state, query| browse_resource(state, query, resource)),
            );
        }
        for path in both_forms(&format!("/{name}/slug/{{slug}}")) {
            router = router.route(
                &path,
                get(move |state, slug, query| {
                    read(state, |k| Lookup::Slug(k), slug, query, resource)
                }),
            );
        }
        for path in both_forms(&format!("/{name}/{{id}}")) {
            router = router.route(
                &path,
                get(move |state, id, query| read(state, |k| Lookup::Id(k), id, query, resource)),
            );
        }
    }
    for path in both_forms("/settings") {
        router = router.route(&path, get(settings));
    }
    for path in both_forms("/newsletters") {
        router = router.route(&path, get(newsletters));
    }
    for path in both_forms("/tiers") {
        router = router.route(&path, get(tiers));
    }
    router
        .route_layer(axum::middleware::from_fn_with_state(
            app.api_cache.clone(),
            cache::serve,
        ))
        .layer(axum::middleware::from_fn(cors))
}

/// Any origin may read the Content API (its key is public by design);
/// a preflight is answered here.
async fn cors(request: Request, next: Next) -> Response {
    let preflight = request.method() == axum::http::Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    // The kept answer says it varies by coding; it varies by version too.
    let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(v) if !v.to_ascii_lowercase().contains("accept-version") => {
            format!("{v}, Accept-Version")
        }
        Some(v) => v.to_string(),
        None => "Accept-Version".into(),
    };
    if let Ok(vary) = HeaderValue::from_str(&vary) {
        headers.insert(header::VARY, vary);
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Accept-Version, Content-Type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
    }
    response
}

/// Reads the parameters and checks the key: the start of every handler.
async fn admitted(app: &App, query: Option<&str>) -> Result<Params, ApiError> {
    let params = Params::read(query, Include::default())?;
    // A key found live stays live for the generation: revoking moves it.
    let known = super::known(app).await?;
    if let Some(key) = params.key.as_deref()
        && known.key_is_live(key)
    {
        return Ok(params);
    }
    match integrations::check_content_key(&app.store, params.key.as_deref()).await {
        Ok(()) => {
            known.remember_live_key(params.key.as_deref().unwrap_or_default());
            Ok(params)
        }
        Err(AuthError::Missing(why)) => Err(ApiError::no_permission(why)),
        Err(AuthError::Refused(why)) => Err(ApiError::unauthorized(why)),
        Err(AuthError::Store(e)) => Err(e.into()),
    }
}

async fn browse_resource(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
    resource: Resource,
) -> ApiResult {
    let params = admitted(&app, query.as_deref()).await?;
    let body = browse(
        &app,
        resource,
        envelope(resource),
        &params,
        Audience::Readers,
    )
    .await?;
    Ok(json_answer(StatusCode::OK, &body))
}

async fn read(
    State(app): State<Arc<App>>,
    lookup: fn(&str) -> Lookup<'_>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    resource: Resource,
) -> ApiResult {
    let params = admitted(&app, query.as_deref()).await?;
    let body = read_one(
        &app,
        resource,
        envelope(resource),
        lookup(&key),
        &params,
        Audience::Readers,
    )
    .await?;
    Ok(json_answer(StatusCode::OK, &body))
}

async fn settings(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> ApiResult {
    admitted(&app, query.as_deref()).await?;
    let shaper = Shaper {
        store: &app.store,
        public_url: &app.public_url,
        known: None,
    };
    let settings = shaper.settings().await.map_err(ApiError::storage)?;
    Ok(json_answer(
        StatusCode::OK,
        &json!({ "settings": settings, "meta": {} }),
    ))
}

/// A whole list in Ghost's envelope, on one page.
fn all_of(name: &str, list: Vec<serde_json::Value>) -> super::Envelope<'_, serde_json::Value> {
    let total = list.len();
    let meta = json!({ "pagination": {
        "page": 1, "limit": "all", "pages": 1, "total": total, "next": null, "prev": null,
    } });
    super::Envelope {
        name,
        list,
        meta: Some(meta),
    }
}

/// `GET /newsletters/`: those readers may sign up to.
async fn newsletters(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> ApiResult {
    let params = admitted(&app, query.as_deref()).await?;
    let shaper = Shaper {
        store: &app.store,
        public_url: &app.public_url,
        known: None,
    };
    let mut list = shaper.newsletters().await?;
    crate::services::ghost::keep_fields(&mut list, &params.fields);
    Ok(json_answer(StatusCode::OK, &all_of("newsletters", list)))
}

/// `GET /tiers/`: the one free tier (Masthead has no paywall).
async fn tiers(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> ApiResult {
    let params = admitted(&app, query.as_deref()).await?;
    let shaper = Shaper {
        store: &app.store,
        public_url: &app.public_url,
        known: None,
    };
    let mut list = shaper.tiers().await.map_err(ApiError::storage)?;
    crate::services::ghost::keep_fields(&mut list, &params.fields);
    Ok(json_answer(StatusCode::OK, &all_of("tiers", list)))
}
