//! Themes: minijinja templates plus static assets. The default theme is
//! embedded in the binary; a theme directory from the configuration replaces
//! any template or asset file by file. Every template is compiled at start-up
//! so that a broken one stops the server with its file and line.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use include_dir::{Dir, include_dir};
use minijinja::Environment;
use serde::Serialize;

static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// A static file of the theme, addressed by a content-hashed URL.
#[derive(Debug, Clone)]
pub struct Asset {
    /// e.g. "/assets/site.3f2a9c01d4e5b6a7.css"
    pub url: String,
    pub content_type: &'static str,
    pub bytes: Arc<[u8]>,
}

pub struct Theme {
    env: Environment<'static>,
    assets: Vec<Asset>,
    /// Each asset's address by its name.
    asset_urls: Arc<HashMap<String, String>>,
}

impl Theme {
    /// Loads the embedded default theme with `override_dir`'s files on top.
    pub fn load(override_dir: Option<&Path>) -> anyhow::Result<Theme> {
        let templates = collect_files(override_dir, "templates")?;
        let asset_files = collect_files(override_dir, "assets")?;

        let mut asset_urls = HashMap::new();
        let mut assets = Vec::new();
        for (name, file) in asset_files {
            let url = hashed_url(&name, &file.bytes);
            asset_urls.insert(name.clone(), url.clone());
            assets.push(Asset {
                url,
                content_type: content_type_for(&name),
                bytes: file.bytes.into(),
            });
        }

        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_formatter(html_formatter);
        let asset_urls = Arc::new(asset_urls);
        let names = asset_urls.clone();
        env.add_function("asset", move |name: &str| {
            names.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("the theme has no asset named {name:?}"),
                )
            })
        });
        // Plain text where readers may expect HTML (RSS titles and
        // descriptions): its angle brackets escaped here, then everything
        // as XML by the template, so a reader's HTML shows `<img onerror>`
        // as words.
        env.add_filter("html_text", |text: &str| {
            crate::model::text::angle_brackets_escaped(text)
        });
        // A body as the schema's canonical HTML, safe to show whatever was
        // submitted: the desk draws it where the editor will be, so the
        // page opens on the text as it will look instead of raw markup.
        env.add_filter("as_document", |html: &str| {
            minijinja::Value::from_safe_string(
                crate::model::document::Document::from_html(html)
                    .as_str()
                    .to_string(),
            )
        });
        env.add_function("url", |name: &str, arg: Option<&str>| {
            crate::urls::by_name(name, arg).ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("url() knows no address named {name:?} with these arguments"),
                )
            })
        });
        for (name, file) in templates {
            let source = String::from_utf8(file.bytes)
                .map_err(|_| anyhow::anyhow!("{}: the template is not valid UTF-8", file.origin))?;
            env.add_template_owned(name, source)
                .map_err(|e| template_error(&file.origin, &e))?;
        }
        Ok(Theme {
            env,
            assets,
            asset_urls,
        })
    }

    pub fn render(&self, template: &str, context: impl Serialize) -> anyhow::Result<String> {
        let tmpl = self
            .env
            .get_template(template)
            .with_context(|| format!("the theme has no template {template:?}"))?;
        tmpl.render(context).map_err(|e| {
            let mut message = format!("rendering {template} failed: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                let _ = write!(message, ": {inner}");
                source = inner.source();
            }
            anyhow::anyhow!(message)
        })
    }

    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// The address of the asset named `name` (e.g. "favicon.svg").
    pub fn asset_url(&self, name: &str) -> Option<String> {
        self.asset_urls.get(name).cloned()
    }
}

/// Auto-escaping for HTML and XML that leaves `/` alone (minijinja's
/// default writes `&#x2f;`, which is valid but bloats every URL in a page)
/// and drops control characters (which neither allows).
fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let escaping = !matches!(state.auto_escape(), minijinja::AutoEscape::None);
    match value.as_str() {
        Some(text) if escaping && !value.is_safe() => {
            let mut last = 0;
            for (i, b) in text.bytes().enumerate() {
                let entity = match b {
                    // Control characters are valid in neither HTML nor XML.
                    b'\t' | b'\n' | b'\r' => continue,
                    0..=0x1f => "",
                    b'&' => "&amp;",
                    b'<' => "&lt;",
                    b'>' => "&gt;",
                    b'"' => "&quot;",
                    b'\'' => "&#39;",
                    _ => continue,
                };
                out.write_str(&text[last..i])?;
                out.write_str(entity)?;
                last = i + 1;
            }
            out.write_str(&text[last..])?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

struct ThemeFile {
    /// Where it came from, for error messages: a real path or "default theme: …".
    origin: String,
    bytes: Vec<u8>,
}

/// The files of one folder of the theme: embedded ones, then overrides on top.
fn collect_files(
    override_dir: Option<&Path>,
    folder: &str,
) -> anyhow::Result<Vec<(String, ThemeFile)>> {
    let mut files: HashMap<String, ThemeFile> = HashMap::new();
    if let Some(dir) = DEFAULT_THEME.get_dir(folder) {
        for file in walk_embedded(dir) {
            let name = file
                .path()
                .strip_prefix(folder)
                .unwrap_or(file.path())
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(
                name,
                ThemeFile {
                    origin: format!("default theme: {}", file.path().display()),
                    bytes: file.contents().to_vec(),
                },
            );
        }
    }
    if let Some(root) = override_dir {
        if !root.is_dir() {
            bail!(
                "the theme directory {} does not exist or is not a directory",
                root.display()
            );
        }
        let dir = root.join(folder);
        if dir.is_dir() {
            for path in walk_disk(&dir)? {
                let name = path
                    .strip_prefix(&dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("cannot read theme file {}", path.display()))?;
                files.insert(
                    name,
                    ThemeFile {
                        origin: path.display().to_string(),
                        bytes,
                    },
                );
            }
        }
    }
    let mut files: Vec<_> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn walk_embedded(dir: &'static Dir<'static>) -> Vec<&'static include_dir::File<'static>> {
    let mut out: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        out.extend(walk_embedded(sub));
    }
    out
}

fn walk_disk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk_disk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

fn template_error(origin: &str, e: &minijinja::Error) -> anyhow::Error {
    let line = e.line().map(|l| format!(":{l}")).unwrap_or_default();
    let detail = e.detail().unwrap_or("");
    anyhow::anyhow!("template error in {origin}{line}: {}: {detail}", e.kind())
}

/// "css/site.css" + bytes -> "/assets/css/site.<hash>.css": the URL changes
/// whenever the content does, so it can be cached forever.
fn hashed_url(name: &str, bytes: &[u8]) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let hash = format!("{:016x}", hasher.finish());
    match name.rsplit_once('.') {
        Some((stem, ext)) => crate::urls::asset(&format!("{stem}.{hash}.{ext}")),
        None => crate::urls::asset(&format!("{name}.{hash}")),
    }
}

pub fn content_type_for(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_compiles_and_hashes_assets() {
        let theme = Theme::load(None).unwrap();
        let css = theme
            .assets()
            .iter()
            .find(|a| a.url.starts_with("/assets/site.") && a.url.ends_with(".css"))
            .unwrap();
        assert_eq!(css.content_type, "text/css; charset=utf-8");
    }

    #[test]
    fn html_is_escaped_but_urls_stay_readable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/probe.html"),
            "<a href=\"{{ url }}\">{{ text }}</a>",
        )
        .unwrap();
        let theme = Theme::load(Some(dir.path())).unwrap();
        let html = theme
            .render(
                "probe.html",
                minijinja::context! { url => "/stories/a-b", text => "<b>\"Tom's\" & co</b>" },
            )
            .unwrap();
        assert_eq!(
            html,
            "<a href=\"/stories/a-b\">&lt;b&gt;&quot;Tom&#39;s&quot; &amp; co&lt;/b&gt;</a>"
        );
    }

    #[test]
    fn a_broken_override_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/home.html"),
            "<p>fine</p>\n<p>{{ broken( }}</p>\n",
        )
        .unwrap();
        let err = Theme::load(Some(dir.path())).err().unwrap().to_string();
        assert!(err.contains("home.html:2"), "{err}");
    }

    #[test]
    fn an_override_replaces_one_file_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("assets/site.css"), "body{color:red}").unwrap();
        let theme = Theme::load(Some(dir.path())).unwrap();
        let css = theme
            .assets()
            .iter()
            .find(|a| a.url.starts_with("/assets/site."))
            .unwrap();
        assert_eq!(&*css.bytes, b"body{color:red}");
        assert!(theme.assets().iter().any(|a| a.url.ends_with(".js")));
    }
}
