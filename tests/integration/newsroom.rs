//! People of a test newsroom, signed in over HTTP: what the desk tests act as.

use masthead::model::accounts::Role;
use masthead::services::accounts;

use crate::common::{Reply, TestSite, block_on, http_post, http_post_form};

pub const PASSWORD: &str = "a tram at dawn, then rain";

/// A signed-in person: their session cookie and the form token of it.
pub struct Person {
    pub cookie: String,
    pub csrf: String,
}

/// Creates an account with a password and signs it in.
pub fn person(site: &TestSite, email: &str, name: &str, role: Role) -> Person {
    let (_, token) = block_on(accounts::add_user(
        &site.store,
        accounts::Actor::CommandLine,
        email,
        name,
        role,
    ))
    .unwrap();
    block_on(accounts::set_password(
        &site.store,
        &token,
        "",
        PASSWORD,
        PASSWORD,
    ))
    .unwrap();
    sign_in(site, email)
}

/// Signs an existing account in (with the tests' password) again.
pub fn sign_in(site: &TestSite, email: &str) -> Person {
    let reply = http_post_form(
        &format!("{}/desk/login", site.url),
        &format!("email={}&password={}", enc(email), enc(PASSWORD)),
        &[],
    );
    assert_eq!(reply.status, 303, "{email} signs in: {}", reply.text());
    let cookie = reply
        .header("set-cookie")
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let home = site.get_with("/desk", &[("cookie", &cookie)]);
    Person {
        csrf: csrf_of(&home.text()),
        cookie,
    }
}

impl Person {
    pub fn get(&self, site: &TestSite, path: &str) -> Reply {
        site.get_with(path, &[("cookie", &self.cookie)])
    }

    /// Posts a form with this person's token added.
    pub fn post(&self, site: &TestSite, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut body = format!("csrf={}", self.csrf);
        for (name, value) in fields {
            body.push_str(&format!("&{name}={}", enc(value)));
        }
        self.post_raw(site, path, &body)
    }

    /// Uploads a file to the media library as a browser's form would
    /// (`json`: as the editor's script does).
    pub fn upload(
        &self,
        site: &TestSite,
        file_name: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
        json: bool,
    ) -> Reply {
        self.upload_to(site, "/desk/media", file_name, bytes, fields, json)
    }

    /// A multipart form with one file, to any desk address.
    pub fn upload_to(
        &self,
        site: &TestSite,
        path: &str,
        file_name: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
        json: bool,
    ) -> Reply {
        let boundary = "masthead-test-boundary-7e3f";
        let mut body = Vec::new();
        let mut text = |name: &str, value: &str| {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        };
        text("csrf", &self.csrf);
        for (name, value) in fields {
            text(name, value);
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut headers = vec![("cookie", self.cookie.as_str())];
        if json {
            headers.push(("accept", "application/json"));
        }
        http_post(
            &format!("{}{path}", site.url),
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
            &headers,
        )
    }

    pub fn post_raw(&self, site: &TestSite, path: &str, body: &str) -> Reply {
        http_post_form(
            &format!("{}{path}", site.url),
            body,
            &[("cookie", &self.cookie)],
        )
    }
}

/// The id of the author profile of `who`, named `name` (made when they
/// first open the story editor).
pub fn profile_of(site: &TestSite, who: &Person, name: &str) -> String {
    assert_eq!(who.get(site, "/desk/stories/new").status, 200);
    block_on(site.store.authors())
        .unwrap()
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{name} has a profile"))
        .id
}

/// Percent-encodes a form value.
pub fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The CSRF token of a desk page's forms.
pub fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token")
        + 19;
    page[at..at + 64].to_string()
}

/// The value of the input named `name` on a page (first one).
pub fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("an input named {name}"))
        + name.len()
        + 15;
    page[at..].split('"').next().unwrap().to_string()
}

/// The path a 303 answer leads to, without its query.
pub fn location_path(reply: &Reply) -> String {
    let location = reply.header("location").expect("a redirect");
    location.split('?').next().unwrap().to_string()
}
