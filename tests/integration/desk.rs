//! The desk's accounts and sessions over real HTTP, on both databases:
//! one-time links, signing in (throttled), cookies, CSRF tokens, sessions
//! that expire and end everywhere; the public site stays cookie-free.

use masthead::clock::Clock;
use masthead::model::accounts::Role;
use masthead::services::accounts;

use crate::common::{Backend, Reply, TestSite, block_on, http_post_form};
use crate::on_both_backends;

const PASSWORD: &str = "a tram at dawn, then rain";

/// Creates an account; returns the path of its set-password link.
fn add_user(site: &TestSite, email: &str, role: Role) -> String {
    let (_, token) = block_on(accounts::add_user(
        &site.store,
        accounts::Actor::CommandLine,
        email,
        "Ines Marlow",
        role,
    ))
    .unwrap();
    masthead::urls::desk_password(&token)
}

fn post(site: &TestSite, path: &str, body: &str, cookie: Option<&str>) -> Reply {
    let mut headers = vec![];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    http_post_form(&format!("{}{path}", site.url), body, &headers)
}

/// Signs in; returns the `name=value` of the session cookie.
fn sign_in(site: &TestSite, email: &str, password: &str) -> Result<String, Reply> {
    let reply = post(
        site,
        "/desk/login",
        &format!("email={}&password={}", enc(email), enc(password)),
        None,
    );
    if reply.status != 303 {
        return Err(reply);
    }
    let cookie = reply.header("set-cookie").expect("a session cookie");
    Ok(cookie.split(';').next().unwrap().to_string())
}

fn enc(text: &str) -> String {
    text.replace('%', "%25")
        .replace(' ', "+")
        .replace('@', "%40")
        .replace(',', "%2C")
}

/// The CSRF token of a desk page's forms.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token")
        + 19;
    page[at..at + 64].to_string()
}

fn desk_page(site: &TestSite, cookie: &str) -> Reply {
    site.get_with("/desk", &[("cookie", cookie)])
}

on_both_backends!(
    a_person_sets_a_password_and_signs_in_and_out,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let link = add_user(&site, "ines@example.org", Role::Owner);
        assert_eq!(site.get("/desk").status, 303, "the desk asks to sign in");
        assert_eq!(site.get("/desk").header("location"), Some("/desk/login"));

        // the link shows whose password it sets; a short one is refused by name
        let form = site.get(&link);
        assert_eq!(form.status, 200);
        assert!(form.text().contains("ines@example.org"));
        assert_eq!(form.header("cache-control"), Some("no-store"));
        assert!(
            form.text().contains("value=\"Ines Marlow\""),
            "it asks for the name bylines show, filled in"
        );
        let short = post(&site, &link, "password=short&repeated=short", None);
        assert_eq!(short.status, 400);
        assert!(short.text().contains("at least 10 characters"));
        assert!(short.text().contains("aria-invalid=\"true\""));
        let long_name = format!("name={}&password=x&repeated=x", "n".repeat(101));
        let refused = post(&site, &link, &long_name, None);
        assert_eq!(refused.status, 400);
        assert!(refused.text().contains("100 characters at most"));
        // Choosing the password signs the person in, under the name given.
        let set = post(
            &site,
            &link,
            &format!(
                "name=In%C3%AAs+Marlow&password={}&repeated={}",
                enc(PASSWORD),
                enc(PASSWORD)
            ),
            None,
        );
        assert_eq!(set.status, 303);
        assert_eq!(set.header("location"), Some("/desk?done=password"));
        let first_cookie = set
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let welcome = site.get_with("/desk?done=password", &[("cookie", &first_cookie)]);
        assert_eq!(welcome.status, 200);
        assert!(
            welcome.text().contains("Welcome, Inês Marlow"),
            "{}",
            welcome.text()
        );
        assert!(
            welcome
                .text()
                .contains("Your password is saved, and you are signed in.")
        );
        let again = site.get(&link);
        assert_eq!(again.status, 404, "a link works once");
        assert!(again.text().contains("already been used or has expired"));

        // a wrong password never says which part was wrong
        let wrong = sign_in(&site, "ines@example.org", "not the password").unwrap_err();
        assert_eq!(wrong.status, 401);
        assert!(wrong.text().contains("do not match an account"));
        let unknown = sign_in(&site, "nobody@example.org", PASSWORD).unwrap_err();
        assert!(unknown.text().contains("do not match an account"));

        let response = post(
            &site,
            "/desk/login",
            &format!("email=Ines%40Example.org&password={}", enc(PASSWORD)),
            None,
        );
        assert_eq!(response.status, 303);
        let set_cookie = response.header("set-cookie").unwrap();
        for attribute in ["Path=/desk", "HttpOnly", "SameSite=Lax"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let page = desk_page(&site, &cookie);
        assert_eq!(page.status, 200);
        assert!(page.text().contains("Welcome, Inês Marlow"));
        assert!(
            page.text().contains("href=\"/desk/people\""),
            "owners find the people"
        );
        assert!(page.text().contains("signed in"), "and the activity");

        // the public site sets no cookie and keeps serving cached pages
        for path in ["/", "/latest/", "/newsletter/"] {
            let public = site.get_with(path, &[("cookie", &cookie)]);
            assert!(public.header("set-cookie").is_none(), "{path}");
            assert!(
                public.header("etag").is_some(),
                "{path} came from the page cache"
            );
        }

        // signing out needs the page's token
        let refused = post(&site, "/desk/logout", "csrf=0000", Some(&cookie));
        assert_eq!(refused.status, 403);
        assert_eq!(desk_page(&site, &cookie).status, 200, "still signed in");
        let csrf = csrf_of(&page.text());
        let out = post(
            &site,
            "/desk/logout",
            &format!("csrf={csrf}"),
            Some(&cookie),
        );
        assert_eq!(out.status, 303);
        assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
        assert_eq!(desk_page(&site, &cookie).status, 303, "the session is over");
    }
);

on_both_backends!(
    sessions_expire_rotate_and_end_everywhere,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
            return;
        };
        let link = add_user(&site, "ed@example.org", Role::Editor);
        post(
            &site,
            &link,
            &format!("password={}&repeated={}", enc(PASSWORD), enc(PASSWORD)),
            None,
        );
        let phone = sign_in(&site, "ed@example.org", PASSWORD).unwrap();
        let laptop = sign_in(&site, "ed@example.org", PASSWORD).unwrap();
        assert_ne!(phone, laptop);

        // a new sign-in in a browser that still had a session replaces it
        let rotated = post(
            &site,
            "/desk/login",
            &format!("email=ed%40example.org&password={}", enc(PASSWORD)),
            Some(&laptop),
        );
        let laptop_new = rotated
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert_ne!(laptop_new, laptop);
        assert_eq!(
            desk_page(&site, &laptop).status,
            303,
            "the old session id is gone"
        );
        let page = desk_page(&site, &laptop_new);
        assert_eq!(page.status, 200);
        assert!(
            !page.text().contains("href=\"/desk/people\""),
            "editors do not manage people"
        );

        // sessions end when unused for long
        clock.advance(accounts::SESSION_IDLE_SECS - 60);
        assert_eq!(
            desk_page(&site, &phone).status,
            200,
            "still within the idle limit"
        );
        clock.advance(accounts::SESSION_IDLE_SECS + 1);
        assert_eq!(desk_page(&site, &phone).status, 303, "idle too long");

        // and "sign out everywhere" ends every one
        let other = sign_in(&site, "ed@example.org", PASSWORD).unwrap();
        let csrf = csrf_of(&desk_page(&site, &other).text());
        let everywhere = post(
            &site,
            "/desk/logout-everywhere",
            &format!("csrf={csrf}"),
            Some(&other),
        );
        assert_eq!(everywhere.status, 303);
        assert_eq!(desk_page(&site, &laptop_new).status, 303);
        assert_eq!(desk_page(&site, &other).status, 303);

        // however active, a session ends a month after sign-in
        let long = sign_in(&site, "ed@example.org", PASSWORD).unwrap();
        for _ in 0..62 {
            clock.advance(accounts::SESSION_IDLE_SECS);
            if desk_page(&site, &long).status != 200 {
                break;
            }
        }
        assert_eq!(desk_page(&site, &long).status, 303);
    }
);

on_both_backends!(
    sign_in_is_throttled_but_nobody_is_locked_out,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
            return;
        };
        let link = add_user(&site, "owner@example.org", Role::Owner);
        post(
            &site,
            &link,
            &format!("password={}&repeated={}", enc(PASSWORD), enc(PASSWORD)),
            None,
        );
        for _ in 0..accounts::PER_ACCOUNT_AND_CLIENT.max {
            assert_eq!(
                sign_in(&site, "owner@example.org", "guess guess")
                    .unwrap_err()
                    .status,
                401
            );
        }
        let throttled = sign_in(&site, "owner@example.org", PASSWORD).unwrap_err();
        assert_eq!(throttled.status, 429, "even the right password waits");
        assert!(throttled.text().contains("Too many failed attempts"));
        assert!(throttled.header("retry-after").is_some());

        // a reset link always works, and clears the account's failures
        let (_, token) = block_on(accounts::reset_link(
            &site.store,
            accounts::Actor::CommandLine,
            "owner@example.org",
        ))
        .unwrap();
        let reset = post(
            &site,
            &masthead::urls::desk_password(&token),
            &format!(
                "password={}&repeated={}",
                enc("a brand new password"),
                enc("a brand new password")
            ),
            None,
        );
        assert_eq!(reset.status, 303);
        assert!(sign_in(&site, "owner@example.org", "a brand new password").is_ok());

        // and failures are forgotten when the window passes
        for _ in 0..accounts::PER_ACCOUNT_AND_CLIENT.max {
            let _ = sign_in(&site, "owner@example.org", "guess guess");
        }
        let waiting = sign_in(&site, "owner@example.org", "a brand new password").unwrap_err();
        assert_eq!(waiting.status, 429);
        let wait: i64 = waiting.header("retry-after").unwrap().parse().unwrap();
        assert!(wait <= accounts::THROTTLE_WINDOW_SECS * 16 / 15, "{wait}");
        clock.advance(wait);
        assert!(sign_in(&site, "owner@example.org", "a brand new password").is_ok());
    }
);

on_both_backends!(
    links_expire_and_forms_from_elsewhere_are_refused,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
            return;
        };
        let link = add_user(&site, "late@example.org", Role::Contributor);
        clock.advance(accounts::LINK_SECS + 1);
        let expired = post(
            &site,
            &link,
            &format!("password={}&repeated={}", enc(PASSWORD), enc(PASSWORD)),
            None,
        );
        assert_eq!(expired.status, 404);
        assert!(expired.text().contains("expired"));
        let forged = http_post_form(
            &format!("{}/desk/login", site.url),
            "email=late%40example.org&password=x",
            &[("origin", "https://elsewhere.example")],
        );
        assert_eq!(forged.status, 403);
    }
);

/// Sets the password behind a link and signs in; returns the cookie.
fn join(site: &TestSite, link: &str, email: &str) -> String {
    let set = post(
        site,
        link,
        &format!("password={}&repeated={}", enc(PASSWORD), enc(PASSWORD)),
        None,
    );
    assert_eq!(set.status, 303, "{}", set.text());
    sign_in(site, email, PASSWORD).unwrap()
}

/// The path of the first invitation link a people page shows.
fn shown_link(page: &str) -> String {
    let at = page.find("/desk/password/").expect("a link on the page");
    page[at..at + "/desk/password/".len() + 64].to_string()
}

on_both_backends!(
    owners_manage_people_and_nobody_else_does,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let owner = join(
            &site,
            &add_user(&site, "owner@example.org", Role::Owner),
            "owner@example.org",
        );
        let people = site.get_with("/desk/people", &[("cookie", &owner)]);
        assert_eq!(people.status, 200);
        let csrf = csrf_of(&people.text());

        // an invitation shows the link to pass on, absolute
        let invited = post(
            &site,
            "/desk/people",
            &format!("csrf={csrf}&email=ed%40example.org&name=Ed+Ito&role=editor"),
            Some(&owner),
        );
        assert_eq!(invited.status, 200, "{}", invited.text());
        assert!(
            invited
                .text()
                .contains("Ed Ito &lt;ed@example.org&gt; is invited as editor")
        );
        assert!(
            invited
                .text()
                .contains(&format!("value=\"{}/desk/password/", site.url))
        );
        let again = post(
            &site,
            "/desk/people",
            &format!("csrf={csrf}&email=ED%40example.org&name=&role=author"),
            Some(&owner),
        );
        assert_eq!(again.status, 400);
        assert!(
            again
                .text()
                .contains("There is already an account for ed@example.org")
        );
        assert!(again.text().contains("aria-invalid=\"true\""));

        // the editor joins; people are not theirs to manage, whatever they send
        let editor = join(&site, &shown_link(&invited.text()), "ed@example.org");
        assert_eq!(
            site.get_with("/desk/people", &[("cookie", &editor)]).status,
            403
        );
        let editor_csrf = csrf_of(&desk_page(&site, &editor).text());
        let ed = block_on(site.store.user_by_email("ed@example.org"))
            .unwrap()
            .unwrap();
        let own = block_on(site.store.user_by_email("owner@example.org"))
            .unwrap()
            .unwrap();
        for (path, body) in [
            (
                "/desk/people".to_string(),
                format!("csrf={editor_csrf}&email=x%40example.org&name=&role=owner"),
            ),
            (
                masthead::urls::desk_person(&ed.id, "role"),
                format!("csrf={editor_csrf}&role=owner"),
            ),
            (
                masthead::urls::desk_person(&own.id, "sign-out"),
                format!("csrf={editor_csrf}"),
            ),
        ] {
            let crafted = post(&site, &path, &body, Some(&editor));
            assert_eq!(crafted.status, 403, "POST {path}");
            assert!(crafted.text().contains("Only an owner"), "POST {path}");
        }
        assert_eq!(
            block_on(site.store.user_by_email("ed@example.org"))
                .unwrap()
                .unwrap()
                .role,
            Role::Editor
        );

        // the owner changes roles, but the last owner stays an owner
        let changed = post(
            &site,
            &masthead::urls::desk_person(&ed.id, "role"),
            &format!("csrf={csrf}&role=author"),
            Some(&owner),
        );
        assert_eq!(changed.status, 200);
        assert_eq!(
            block_on(site.store.user_by_email("ed@example.org"))
                .unwrap()
                .unwrap()
                .role,
            Role::Author
        );
        let demoted = post(
            &site,
            &masthead::urls::desk_person(&own.id, "role"),
            &format!("csrf={csrf}&role=editor"),
            Some(&owner),
        );
        assert_eq!(demoted.status, 409);
        assert!(demoted.text().contains("is the only owner"));

        // a reset link for someone, and their sessions ended
        let reset = post(
            &site,
            &masthead::urls::desk_person(&ed.id, "reset-link"),
            &format!("csrf={csrf}"),
            Some(&owner),
        );
        assert!(
            reset
                .text()
                .contains("can choose a new password with this link")
        );
        assert_eq!(desk_page(&site, &editor).status, 200);
        let ended = post(
            &site,
            &masthead::urls::desk_person(&ed.id, "sign-out"),
            &format!("csrf={csrf}"),
            Some(&owner),
        );
        assert_eq!(ended.status, 200);
        assert_eq!(
            desk_page(&site, &editor).status,
            303,
            "their session is over"
        );

        // all of it is in the activity log
        let home = desk_page(&site, &owner).text();
        for action in [
            "account created",
            "role changed",
            "password reset link made",
            "sessions ended",
        ] {
            assert!(home.contains(action), "{action} missing from the activity");
        }
    }
);
