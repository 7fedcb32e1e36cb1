//! Prometheus metrics, served on a listener of their own (`--metrics-listen`)
//! so that they are never public by accident: requests by route and status,
//! latency by route, the page cache, the database pool and the content version.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::cache::Cache;
use super::encoded::RouteLabel;
use crate::store::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 13 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl Metrics {
    pub fn new(store: Store, cache: Arc<Cache>) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "masthead_http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "masthead_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register_collector(Box::new(StateCollector { store, cache }));
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Middleware around the whole service that counts and times every
/// request, by the route named on the response (see `label_route`).
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or_else(|| "unmatched".to_string(), |r| route_label(&r.0));
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// Names the matched route on the response: the metrics layer runs before
/// routing (so that responses from the page cache are counted too).
pub async fn label_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| RouteLabel(p.as_str().into()));
    let mut response = next.run(request).await;
    if let Some(route) = route
        && response.extensions().get::<RouteLabel>().is_none()
    {
        response.extensions_mut().insert(route);
    }
    response
}

/// Routes as written in the router; a nested surface shows as its prefix.
fn route_label(matched: &str) -> String {
    match matched.find("/{*__private") {
        Some(at) => format!("{}/*", &matched[..at]),
        None => matched.to_string(),
    }
}

/// The `/metrics` answer of the metrics listener.
pub async fn serve(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(),
    )
        .into_response()
}

/// Figures read at scrape time from the page cache, the pool and the events.
#[derive(Debug)]
struct StateCollector {
    store: Store,
    cache: Arc<Cache>,
}

impl Collector for StateCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.cache.pages.stats();
        let pool = self.store.pool_use();
        let counters = [
            (
                "masthead_page_cache_hits",
                "Requests answered from the page cache",
                stats.hits,
            ),
            (
                "masthead_page_cache_misses",
                "Requests the page cache had to render",
                stats.misses,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "masthead_page_cache_bytes",
                "Bytes of responses held by the page cache",
                stats.bytes as i64,
            ),
            (
                "masthead_page_cache_entries",
                "Responses held by the page cache",
                stats.entries as i64,
            ),
            (
                "masthead_db_pool_connections",
                "Database connections open",
                i64::from(pool.open),
            ),
            (
                "masthead_db_pool_idle_connections",
                "Database connections open and idle",
                i64::from(pool.idle),
            ),
            (
                "masthead_db_pool_max_connections",
                "Database connections the pool may open",
                i64::from(pool.max),
            ),
            (
                "masthead_content_version",
                "The content version this instance serves",
                self.store.events().version(),
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nested_surfaces_are_labelled_by_prefix() {
        assert_eq!(
            super::route_label("/desk/{*__private__axum_nest_tail_param}"),
            "/desk/*"
        );
        assert_eq!(super::route_label("/stories/{slug}"), "/stories/{slug}");
    }
}
