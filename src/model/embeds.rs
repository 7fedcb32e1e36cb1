//! Embedded videos and posts: a paragraph that is nothing but the address
//! of a video or a social post becomes a card. Nothing is fetched from the
//! other site until the reader asks: the card links to the original, and
//! for videos the site's script offers to play it in place (from the
//! provider's privacy-enhanced player).

/// What a card shows for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The address as written (the card's link).
    pub url: String,
    /// Who serves it, as readers know them ("YouTube").
    pub provider: &'static str,
    /// The player to load on request (videos only).
    pub player: Option<String>,
}

/// Hosts whose posts get a card (they are followed, not loaded in place).
const SOCIAL: &[(&str, &str)] = &[
    ("bsky.app", "Bluesky"),
    ("x.com", "X"),
    ("twitter.com", "X"),
    ("www.instagram.com", "Instagram"),
    ("www.threads.net", "Threads"),
    ("mastodon.social", "Mastodon"),
    ("www.tiktok.com", "TikTok"),
];

fn id_safe(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The embed for an address standing alone, if it is one.
pub fn detect(text: &str) -> Option<Embed> {
    let url = text.trim();
    if url.contains(char::is_whitespace) || !url.starts_with("https://") {
        return None;
    }
    let rest = &url["https://".len()..];
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let query_value = |name: &str| {
        path.split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .find_map(|pair| pair.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    let youtube = |id: &str| {
        id_safe(id).then(|| Embed {
            url: url.to_string(),
            provider: "YouTube",
            player: Some(format!("https://www.youtube-nocookie.com/embed/{id}")),
        })
    };
    match host.as_str() {
        "www.youtube.com" | "youtube.com" | "m.youtube.com" => {
            if path.starts_with("watch") {
                youtube(query_value("v")?)
            } else {
                let id = path.strip_prefix("shorts/")?.split(['?', '/']).next()?;
                youtube(id)
            }
        }
        "youtu.be" => youtube(path.split(['?', '/']).next()?),
        "vimeo.com" | "www.vimeo.com" => {
            let id = path.split(['?', '/']).next()?;
            (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| Embed {
                url: url.to_string(),
                provider: "Vimeo",
                player: Some(format!("https://player.vimeo.com/video/{id}")),
            })
        }
        _ => SOCIAL
            .iter()
            .find(|(h, _)| *h == host)
            .filter(|_| !path.is_empty())
            .map(|(_, provider)| Embed {
                url: url.to_string(),
                provider,
                player: None,
            }),
    }
}

/// The embed for a player's address (an `<iframe>` another platform
/// wrote), as the card for the video's own page.
pub fn from_player(src: &str) -> Option<Embed> {
    let src = src.trim();
    let src = src
        .strip_prefix("https:")
        .or_else(|| src.strip_prefix("http:"))
        .unwrap_or(src);
    let rest = src.strip_prefix("//")?;
    let (host, path) = rest.split_once('/')?;
    let id = |path: &str| path.split(['?', '/', '#']).next().map(str::to_string);
    match host.to_ascii_lowercase().as_str() {
        "www.youtube.com" | "youtube.com" | "www.youtube-nocookie.com" | "youtube-nocookie.com" => {
            let id = id(path.strip_prefix("embed/")?)?;
            detect(&format!("https://www.youtube.com/watch?v={id}"))
        }
        "player.vimeo.com" => {
            let id = id(path.strip_prefix("video/")?)?;
            detect(&format!("https://vimeo.com/{id}"))
        }
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Embed {
    /// The card's HTML (it goes through the sanitizer with the rest).
    pub fn card(&self) -> String {
        let url = escape(&self.url);
        match &self.player {
            Some(player) => format!(
                "<figure class=\"embed\" data-player=\"{}\" data-provider=\"{p}\"><a href=\"{url}\">Watch the video on {p}</a><figcaption>Playing it here loads it from {p}.</figcaption></figure>",
                escape(player),
                p = self.provider
            ),
            None => format!(
                "<figure class=\"embed\" data-provider=\"{p}\"><a href=\"{url}\">See the post on {p}</a></figure>",
                p = self.provider
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_and_posts_are_recognized_and_nothing_else() {
        let yt = detect("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10").unwrap();
        assert_eq!(
            yt.player.as_deref(),
            Some("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
        );
        assert_eq!(
            detect("https://youtu.be/abc_DEF-123")
                .unwrap()
                .player
                .as_deref(),
            Some("https://www.youtube-nocookie.com/embed/abc_DEF-123")
        );
        assert_eq!(
            detect("https://vimeo.com/76979871")
                .unwrap()
                .player
                .as_deref(),
            Some("https://player.vimeo.com/video/76979871")
        );
        let post = detect("https://bsky.app/profile/a.example/post/3k").unwrap();
        assert_eq!((post.provider, post.player), ("Bluesky", None));
        assert_eq!(detect("https://www.youtube.com/watch?v=\"><script>"), None);
        assert_eq!(detect("http://youtu.be/abc"), None, "https only");
        assert_eq!(detect("https://example.org/video"), None);
        assert_eq!(detect("see https://youtu.be/abc"), None);
        assert!(yt.card().contains("&amp;t=10"));
    }
}
