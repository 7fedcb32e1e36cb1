//! The Admin API: read and write with `Authorization: Ghost <jwt>`, signed
//! with an integration's Admin API key. Every action goes through the same
//! services as the desk, as the integration's own staff account: its role
//! is checked by the permission table and its changes are logged under its
//! name. Never cached.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::params::Params;
use super::{ApiError, ApiResult, Lookup, both_forms, browse, json_answer, read_one};
use crate::model::accounts::User;
use crate::model::{SiteSettings, Status, text};
use crate::services::editing::{self, Step, StoryFields};
use crate::services::ghost::{self, Include, Shaper};
use crate::services::integrations::{self, AuthError};
use crate::services::media::{MediaError, Upload};
use crate::services::pages::{self as page_rules, PageFields};
use crate::services::publishing::ContentError;
use crate::services::taxonomy::{self, TaxonomyError};
use crate::store::browse::Resource;
use crate::web::App;

/// Admin API answers name their tags and authors unless asked otherwise.
const ADMIN_INCLUDE: Include = Include {
    tags: true,
    authors: true,
    count_posts: false,
};

/// What the Admin API writes: staff accounts and their profiles are
/// managed in the desk only (their addresses answer 405 to writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writable {
    Posts,
    Pages,
    Tags,
}

impl Writable {
    fn of(resource: Resource) -> Option<Writable> {
        match resource {
            Resource::Posts => Some(Writable::Posts),
            Resource::Pages => Some(Writable::Pages),
            Resource::Tags => Some(Writable::Tags),
            // Briefs are written in the desk only.
            Resource::Authors | Resource::PostsWithBriefs => None,
        }
    }

    fn resource(self) -> Resource {
        match self {
            Writable::Posts => Resource::Posts,
            Writable::Pages => Resource::Pages,
            Writable::Tags => Resource::Tags,
        }
    }

    /// The list a write's body holds and its answer names.
    fn envelope(self) -> &'static str {
        super::envelope(self.resource())
    }
}

/// JSON bodies larger than this are refused (a long story is far less).
const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    let max_upload_bytes = app.library.limits.max_upload_mb * 1024 * 1024;
    let mut router = Router::new();
    for (name, resource) in [
        ("posts", Resource::Posts),
        ("pages", Resource::Pages),
        ("tags", Resource::Tags),
        ("users", Resource::Authors),
        ("authors", Resource::Authors),
    ] {
        let writable = Writable::of(resource);
        for path in both_forms(&format!("/{name}")) {
            let mut methods = get(move |s, h, q| browse_resource(s, h, q, resource, name));
            if let Some(w) = writable {
                methods = methods.post(move |s, h, q, b| add(s, h, q, b, w));
            }
            router = router.route(&path, methods);
        }
        for path in both_forms(&format!("/{name}/slug/{{slug}}")) {
            router = router.route(
                &path,
                get(move |s, h, slug, q| read(s, h, |k| Lookup::Slug(k), slug, q, resource, name)),
            );
        }
        for path in both_forms(&format!("/{name}/{{id}}")) {
            let mut methods =
                get(move |s, h, id, q| read(s, h, |k| Lookup::Id(k), id, q, resource, name));
            if let Some(w) = writable {
                methods = methods
                    .put(move |s, h, id, q, b| edit(s, h, id, q, b, w))
                    .delete(move |s, h, id| delete(s, h, id, w));
            }
            router = router.route(&path, methods);
        }
    }
    let mut uploads = Router::new();
    for path in both_forms("/images/upload") {
        uploads = uploads.route(&path, axum::routing::post(upload_image));
    }
    let uploads = uploads.layer(DefaultBodyLimit::max(max_upload_bytes + 64 * 1024));
    // Everything but /site/ acts as someone: the token is checked before a
    // body is read, so no one unknown can make the server read megabytes.
    let signed = router
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            authenticate,
        ));
    let mut open = Router::new();
    for path in both_forms("/site") {
        open = open.route(&path, get(site));
    }
    signed.merge(open)
}

/// The staff account of the integration whose token a request carries,
/// found before its body is read (`authenticate`).
#[derive(Clone)]
struct Caller(User);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::no_permission("Authorization failed."))
    }
}

/// Checks the request's token and names its account, or refuses the
/// request without reading its body.
async fn authenticate(
    State(app): State<Arc<App>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match caller(&app, request.headers()).await {
        Ok(user) => {
            request.extensions_mut().insert(Caller(user));
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The account an Admin API request acts as.
async fn caller(app: &App, headers: &HeaderMap) -> Result<User, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header.strip_prefix("Ghost ").map(str::trim).unwrap_or("");
    if token.is_empty() {
        return Err(ApiError::no_permission(
            "Authorization failed: send Authorization: Ghost <token>, a JWT signed with an Admin API key from the desk's Integrations page.",
        ));
    }
    match integrations::authenticate_admin(&app.store, token, app.store.clock().now()).await {
        Ok((_, user)) => Ok(user),
        Err(AuthError::Refused(why)) => Err(ApiError::unauthorized(why)),
        Err(AuthError::Missing(why)) => Err(ApiError::no_permission(why)),
        Err(AuthError::Store(e)) => Err(e.into()),
    }
}

fn answer(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let mut response = json_answer(status, body);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

async fn browse_resource(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
    resource: Resource,
    name: &str,
) -> ApiResult {
    let params = Params::read(query.as_deref(), ADMIN_INCLUDE)?;
    let body = browse(&app, resource, name, &params, editing::audience(&user)).await?;
    Ok(answer(StatusCode::OK, &body))
}

async fn read(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    lookup: fn(&str) -> Lookup<'_>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    resource: Resource,
    name: &str,
) -> ApiResult {
    let params = Params::read(query.as_deref(), ADMIN_INCLUDE)?;
    let body = read_one(
        &app,
        resource,
        name,
        lookup(&key),
        &params,
        editing::audience(&user),
    )
    .await?;
    Ok(answer(StatusCode::OK, &body))
}

/// A body that could not be read: too large, or cut off.
fn body_refused(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!(
            "The request body is larger than the {} MB a post or tag may be: send the images with images.upload and their addresses in the post.",
            MAX_JSON_BYTES / 1024 / 1024
        ))
    } else {
        ApiError::bad_request(format!(
            "The request body could not be read: {}",
            e.body_text()
        ))
    }
}

/// The one resource a write sends: `{"posts": [{…}]}`.
fn first_of(body: &Bytes, envelope: &str) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}.")))?;
    match value.get(envelope).and_then(|v| v.get(0)) {
        Some(Value::Object(map)) => Ok(map.clone()),
        _ => Err(ApiError::validation(format!(
            "Send the resource as {{\"{envelope}\": [{{…}}]}}."
        ))),
    }
}

fn content_error(e: ContentError) -> ApiError {
    match e {
        ContentError::Forbidden(why) => ApiError::no_permission(why),
        ContentError::Stale => ApiError::collision(
            "Saving failed! Someone else is editing this post: load it again and reapply your change.",
        ),
        ContentError::Storage(e) => e.into(),
        other => ApiError::validation(crate::model::text::capitalized(&other.to_string())),
    }
}

fn taxonomy_error(e: TaxonomyError) -> ApiError {
    match e {
        TaxonomyError::Forbidden(why) => ApiError::no_permission(why),
        TaxonomyError::NotFound => ApiError::not_found("Tag not found."),
        TaxonomyError::Storage(e) => e.into(),
        other => ApiError::validation(other.to_string()),
    }
}

fn text_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => Some(String::new()),
        _ => None,
    }
}

/// The body of a post or page as HTML for the document reader: `html` is
/// read only with `?source=html`, as Ghost reads it; Ghost's editor
/// documents (`lexical`, `mobiledoc`) are rendered to HTML first. Sizes
/// are checked when the body is read (`publishing::read_body`).
async fn body_of(map: &Map<String, Value>, params: &Params) -> Result<Option<String>, ApiError> {
    if params.source.as_deref() == Some("html")
        && let Some(html) = text_of(map, "html")
    {
        return Ok(Some(html));
    }
    for (key, render) in [
        (
            "lexical",
            crate::moving::ghost_documents::lexical_html as fn(&str) -> Result<String, String>,
        ),
        ("mobiledoc", crate::moving::ghost_documents::mobiledoc_html),
    ] {
        if let Some(document) = text_of(map, key).filter(|d| !d.trim().is_empty()) {
            if document.len() > crate::model::document::MAX_HTML_BYTES {
                return Err(ApiError::validation(format!(
                    "The {key} document could not be read: {}.",
                    text::capitalized(&text::Unrenderable::TooLong.to_string())
                )));
            }
            return crate::cpu::run(move || render(&document))
                .await
                .map(Some)
                .map_err(|e| {
                    ApiError::validation(format!(
                        "The {key} document could not be read: {}.",
                        text::capitalized(&e)
                    ))
                });
        }
    }
    Ok(None)
}

/// The Ghost status a write asks for, as a workflow step from `stored`.
fn step_for(status: Option<&str>, stored: Option<Status>) -> Result<Step, ApiError> {
    let public = stored.is_some_and(|s| matches!(s, Status::Published | Status::Scheduled));
    Ok(match status {
        None => Step::Save,
        Some("published") if stored == Some(Status::Published) => Step::Save,
        Some("published") => Step::Publish,
        Some("scheduled") => Step::Schedule,
        Some("draft") if public => Step::Unpublish,
        Some("draft") => Step::Save,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "status must be draft, published or scheduled (it was {other:?})."
            )));
        }
    })
}

/// What a tag reference in a write names: an id, a slug or a name.
fn tag_refs(value: &Value) -> Vec<(Option<String>, Option<String>, Option<String>)> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .map(|t| match t {
                    Value::String(name) => (None, None, Some(name.clone())),
                    other => {
                        let get =
                            |k: &str| other.get(k).and_then(Value::as_str).map(str::to_string);
                        (get("id"), get("slug"), get("name"))
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Applies a Ghost post's fields onto a story's editable fields.
async fn apply_post(
    app: &App,
    map: &Map<String, Value>,
    params: &Params,
    fields: &mut StoryFields,
) -> Result<(), ApiError> {
    let store = &app.store;
    if let Some(title) = text_of(map, "title") {
        fields.headline = title;
    }
    if let Some(body) = body_of(map, params).await? {
        fields.body = body;
    }
    if let Some(dek) = text_of(map, "custom_excerpt") {
        fields.dek = dek;
    }
    if let Some(slug) = text_of(map, "slug") {
        fields.slug = slug;
    }
    if let Some(featured) = map.get("featured").and_then(Value::as_bool) {
        fields.featured = featured;
    }
    if let Some(title) = text_of(map, "meta_title") {
        fields.seo_title = title;
    }
    if let Some(description) = text_of(map, "meta_description") {
        fields.seo_description = description;
    }
    if let Some(at) = text_of(map, "published_at").filter(|t| !t.is_empty()) {
        fields.publish_at = Some(crate::store::browse::parse_time_text(&at).ok_or_else(|| {
            ApiError::validation(format!("published_at {at:?} is not a time; send ISO 8601."))
        })?);
    }
    if let Some(alt) = text_of(map, "feature_image_alt") {
        fields.hero_alt = alt;
    }
    if let Some(caption) = text_of(map, "feature_image_caption") {
        fields.hero_caption = caption;
    }
    if let Some(url) = text_of(map, "feature_image") {
        fields.hero_image_id = if url.is_empty() {
            String::new()
        } else {
            let file = url.rsplit('/').next().unwrap_or_default();
            let file = url::form_urlencoded::parse(format!("f={file}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            match store.image_by_file(&file).await? {
                Some(image) => image.id,
                None => {
                    return Err(ApiError::validation(
                        "feature_image must be an image of this site's library: upload it first with images.upload and send the url it answers.",
                    ));
                }
            }
        };
    }
    let masthead = map.get("masthead").and_then(Value::as_object);
    if let Some(label) = masthead.and_then(|m| text_of(m, "label")) {
        fields.label = label;
    }
    if let Some(teaser) = masthead.and_then(|m| text_of(m, "teaser")) {
        fields.custom_excerpt = teaser;
    }
    if let Some(credit) = masthead.and_then(|m| text_of(m, "feature_image_credit")) {
        fields.hero_credit = credit;
    }
    if let Some(tags) = map.get("tags") {
        // The first tag that is a section becomes the story's section
        // (Ghost's primary tag); the others are its tags.
        let sections = store.sections().await?;
        let known = store.tags().await?;
        let mut names = Vec::new();
        let mut section = None;
        for (id, slug, name) in tag_refs(tags) {
            let is = |s_id: &str, s_slug: &str, s_name: &str| {
                id.as_deref() == Some(s_id)
                    || slug.as_deref() == Some(s_slug)
                    || name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(s_name))
            };
            if section.is_none()
                && let Some(s) = sections.iter().find(|s| is(&s.id, &s.slug, &s.name))
            {
                section = Some(s.id.clone());
                continue;
            }
            match known.iter().find(|t| is(&t.id, &t.slug, &t.name)) {
                Some(t) => names.push(t.name.clone()),
                None => match name.or(slug) {
                    Some(n) => names.push(n),
                    None => {
                        return Err(ApiError::validation(
                            "A tag given by id must be one of this site's tags.",
                        ));
                    }
                },
            }
        }
        if let Some(section) = section {
            fields.section_id = section;
        }
        fields.tags = names;
    }
    if let Some(section) = masthead.and_then(|m| text_of(m, "section")) {
        let sections = store.sections().await?;
        fields.section_id = sections
            .iter()
            .find(|s| s.slug == section || s.id == section)
            .map(|s| s.id.clone())
            .ok_or_else(|| ApiError::validation(format!("There is no section {section:?}.")))?;
    }
    if let Some(authors) = map.get("authors").and_then(Value::as_array) {
        fields.author_ids = author_ids_of(store, authors).await?;
    }
    Ok(())
}

/// The authors a write names, by id, slug or email, in its order.
async fn author_ids_of(
    store: &crate::store::Store,
    authors: &[Value],
) -> Result<Vec<String>, ApiError> {
    let known = store.authors().await?;
    let users = store.users().await?;
    let mut ids = Vec::new();
    for a in authors {
        let get = |k: &str| a.get(k).and_then(Value::as_str);
        let by_email = get("email").and_then(|email| {
            users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(email))
                .and_then(|u| u.author_id.clone())
        });
        let found = known
            .iter()
            .find(|k| Some(k.id.as_str()) == get("id") || Some(k.slug.as_str()) == get("slug"))
            .map(|k| k.id.clone())
            .or(by_email);
        match found {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => {
                return Err(ApiError::validation(
                    "Each author must be one of this site's authors, by id, slug or email.",
                ));
            }
        }
    }
    Ok(ids)
}

/// Fields a new story starts from: the first section and label, and the
/// byline of the key's own account (as Ghost credits an integration's
/// staff user) until the post names its authors.
async fn new_story_fields(
    app: &App,
    settings: &SiteSettings,
    user: &User,
) -> Result<StoryFields, ApiError> {
    let store = &app.store;
    let sections = store.sections().await?;
    let byline = editing::author_of(store, user)
        .await
        .map_err(content_error)?
        .id;
    Ok(StoryFields {
        headline: "(Untitled)".into(),
        section_id: sections.first().map(|s| s.id.clone()).unwrap_or_default(),
        label: settings.labels.first().cloned().unwrap_or_default(),
        author_ids: vec![byline],
        ..StoryFields::default()
    })
}

async fn add(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
    kind: Writable,
) -> ApiResult {
    let body = body.map_err(body_refused)?;
    let params = Params::read(query.as_deref(), ADMIN_INCLUDE)?;
    let store = &app.store;
    let map = first_of(&body, kind.envelope())?;
    let id = match kind {
        Writable::Posts => {
            let settings = store.site_settings().await.map_err(ApiError::storage)?;
            let mut fields = new_story_fields(&app, &settings, &user).await?;
            apply_post(&app, &map, &params, &mut fields).await?;
            let step = step_for(map.get("status").and_then(Value::as_str), None)?;
            editing::save_story(store, &settings, &user, None, fields, step, None)
                .await
                .map_err(content_error)?
                .id
        }
        Writable::Pages => {
            let mut fields = PageFields {
                title: "(Untitled)".into(),
                ..PageFields::default()
            };
            apply_page(store, &map, &params, &mut fields).await?;
            let step = match map.get("status").and_then(Value::as_str) {
                Some("published") => Step::Publish,
                _ => Step::Save,
            };
            page_rules::save(store, &user, None, fields, step, None)
                .await
                .map_err(content_error)?
                .id
        }
        Writable::Tags => {
            let name = text_of(&map, "name").unwrap_or_default();
            let slug = text_of(&map, "slug").unwrap_or_default();
            let description = text_of(&map, "description").unwrap_or_default();
            taxonomy::add_tag(store, &user, &name, &slug, &description)
                .await
                .map_err(taxonomy_error)?
                .id
        }
    };
    let body = read_one(
        &app,
        kind.resource(),
        kind.envelope(),
        Lookup::Id(&id),
        &params,
        editing::audience(&user),
    )
    .await?;
    Ok(answer(StatusCode::CREATED, &body))
}

async fn apply_page(
    store: &crate::store::Store,
    map: &Map<String, Value>,
    params: &Params,
    fields: &mut PageFields,
) -> Result<(), ApiError> {
    if let Some(authors) = map.get("authors").and_then(Value::as_array) {
        fields.author_ids = author_ids_of(store, authors).await?;
    }
    if let Some(title) = text_of(map, "title") {
        fields.title = title;
    }
    if let Some(slug) = text_of(map, "slug") {
        fields.slug = slug;
    }
    if let Some(body) = body_of(map, params).await? {
        fields.body = body;
    }
    Ok(())
}

/// An edit must say which version it changes (`updated_at`, as read):
/// one made on an older copy is refused, as Ghost refuses it.
fn check_fresh(map: &Map<String, Value>, updated_at: i64, revision: i64) -> Result<(), ApiError> {
    let sent = text_of(map, "updated_at").unwrap_or_default();
    if sent.is_empty() {
        return Err(ApiError::validation(
            "An edit must carry the updated_at it was read at, so that it cannot overwrite a newer change.",
        ));
    }
    if !ghost::is_current(&sent, updated_at, revision) {
        let current = ghost::updated_time(updated_at, revision);
        return Err(ApiError::collision(format!(
            "Saving failed! Someone else changed this since you read it (it is now at {}, your copy at {sent}). Read it again and reapply your change.",
            current.as_str().unwrap_or_default()
        )));
    }
    Ok(())
}

async fn edit(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
    kind: Writable,
) -> ApiResult {
    let body = body.map_err(body_refused)?;
    let params = Params::read(query.as_deref(), ADMIN_INCLUDE)?;
    let store = &app.store;
    let map = first_of(&body, kind.envelope())?;
    match kind {
        Writable::Posts => {
            let card = story_to_change(store, &id).await?;
            check_fresh(&map, card.story.updated_at, card.story.revision)?;
            let tags = store.tags().await?;
            let mut fields = StoryFields::of(&card, &tags);
            apply_post(&app, &map, &params, &mut fields).await?;
            let step = step_for(
                map.get("status").and_then(Value::as_str),
                Some(card.story.status),
            )?;
            let settings = store.site_settings().await.map_err(ApiError::storage)?;
            editing::save_story(
                store,
                &settings,
                &user,
                Some(&card),
                fields,
                step,
                Some(card.story.revision),
            )
            .await
            .map_err(content_error)?;
        }
        Writable::Pages => {
            let page = store
                .page_by_id(&id)
                .await?
                .ok_or_else(|| ApiError::not_found("Page not found."))?;
            check_fresh(&map, page.updated_at, page.revision)?;
            let mut fields = PageFields::of(&page);
            apply_page(store, &map, &params, &mut fields).await?;
            let step = match map.get("status").and_then(Value::as_str) {
                Some("published") if !page.is_public() => Step::Publish,
                Some("draft") if page.is_public() => Step::Unpublish,
                _ => Step::Save,
            };
            page_rules::save(store, &user, Some(&page), fields, step, Some(page.revision))
                .await
                .map_err(content_error)?;
        }
        Writable::Tags => {
            let tag = store
                .tags_by_ids(std::slice::from_ref(&id))
                .await?
                .pop()
                .ok_or_else(|| {
                    ApiError::not_found(
                        "Tag not found (a section is changed in the desk's Sections page).",
                    )
                })?;
            taxonomy::save_tag(
                store,
                &user,
                &tag.id,
                &text_of(&map, "name").unwrap_or(tag.name.clone()),
                &text_of(&map, "slug").unwrap_or(tag.slug.clone()),
                &text_of(&map, "description").unwrap_or(tag.description.clone()),
            )
            .await
            .map_err(taxonomy_error)?;
        }
    }
    let body = read_one(
        &app,
        kind.resource(),
        kind.envelope(),
        Lookup::Id(&id),
        &params,
        editing::audience(&user),
    )
    .await?;
    Ok(answer(StatusCode::OK, &body))
}

async fn delete(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    kind: Writable,
) -> ApiResult {
    let store = &app.store;
    match kind {
        Writable::Posts => {
            let card = story_to_change(store, &id).await?;
            editing::delete_story(store, &user, &card)
                .await
                .map_err(content_error)?;
        }
        Writable::Pages => {
            let page = store
                .page_by_id(&id)
                .await?
                .ok_or_else(|| ApiError::not_found("Page not found."))?;
            page_rules::delete(store, &user, &page)
                .await
                .map_err(content_error)?;
        }
        Writable::Tags => {
            taxonomy::delete_tag(store, &user, &id)
                .await
                .map_err(taxonomy_error)?;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /site/`: what a client shows before it signs in (no key needed).
async fn site(State(app): State<Arc<App>>) -> ApiResult {
    let shaper = Shaper {
        store: &app.store,
        public_url: &app.public_url,
        known: None,
    };
    let settings = shaper.settings().await.map_err(ApiError::storage)?;
    Ok(answer(
        StatusCode::OK,
        &json!({
            "site": {
                "title": settings["title"],
                "description": settings["description"],
                "logo": settings["logo"],
                "icon": null,
                "accent_color": null,
                "locale": settings["locale"],
                "url": settings["url"],
                "version": "5.0",
            }
        }),
    ))
}

/// `POST /images/upload/`: multipart `file` (with `purpose` and `ref`)
/// into the media library.
async fn upload_image(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult {
    let mut multipart = multipart.map_err(|_| {
        ApiError::bad_request("Send the image as multipart/form-data with a field named file.")
    })?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("The upload could not be read: {}", e.body_text()))
    };
    let (mut file_name, mut bytes, mut reference) = (String::new(), Vec::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "file" => {
                file_name = field.file_name().unwrap_or("upload").to_string();
                bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            }
            "ref" => reference = Some(field.text().await.map_err(unreadable)?),
            _ => {}
        }
    }
    if bytes.is_empty() {
        return Err(ApiError::validation(
            "Send the image in a field named file.",
        ));
    }
    let upload = Upload {
        file_name,
        bytes,
        alt: String::new(),
        caption: String::new(),
        credit: String::new(),
    };
    let image = app
        .library
        .upload(&app.store, &user, upload)
        .await
        .map_err(|e| match e {
            MediaError::Forbidden(why) => ApiError::no_permission(why),
            MediaError::Storage(e) => e.into(),
            MediaError::Files(why) => {
                tracing::error!(error = why, "an uploaded image could not be stored");
                ApiError::storage("the media files could not be written")
            }
            other => ApiError::validation(other.to_string()),
        })?;
    let url = app.public_url.absolute(&crate::urls::media(&image.file));
    Ok(answer(
        StatusCode::CREATED,
        &json!({ "images": [{ "url": url, "ref": reference }] }),
    ))
}

/// The story a write names. A brief reads as a post but is changed in the
/// desk only: say so rather than "not found".
async fn story_to_change(
    store: &crate::store::Store,
    id: &str,
) -> Result<crate::store::StoryCard, ApiError> {
    if let Some(card) = store.story_cards_by_ids(&[id.to_string()]).await?.pop() {
        return Ok(card);
    }
    Err(ApiError::not_found(
        if store.brief_by_id(id).await?.is_some() {
            "Post not found among the stories: this post is a brief, and briefs are written and changed in the desk."
        } else {
            "Post not found."
        },
    ))
}
