//! Who may ask: with a `token` set, every request must carry it, as `Authorization: Bearer
//! TOKEN` (scripts) or Basic with any user name and the token as the password (so a browser
//! shows its login prompt and remembers the answer). Without it the answer is 401 with a
//! `WWW-Authenticate` challenge and nothing else: not a listing, not whether a name exists.

use base64::Engine;

use super::head::Head;
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::service::token_matches;

/// The challenge sent with a 401: Basic, which browsers answer with their login prompt.
pub const CHALLENGE: &str = "Basic realm=\"nf\", charset=\"UTF-8\"";

/// Checks the request's credentials against the server's token (none set: anyone).
pub fn check(settings: &Config, head: &Head) -> Result<(), Error> {
    let Some(token) = &settings.token else {
        return Ok(());
    };
    let given = head.field("authorization").and_then(presented);
    match given {
        Some(given) if token_matches(token, &given) => Ok(()),
        Some(_) => Err(Error::new(ErrorKind::Auth, "wrong token")),
        None => Err(Error::new(
            ErrorKind::Auth,
            "this server needs a token: send `Authorization: Bearer TOKEN`, or log in with any \
             user name and the token as the password",
        )),
    }
}

/// The token an `Authorization` value presents: a Bearer token, or a Basic password.
fn presented(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_user, password) = text.split_once(':')?;
        return Some(password.to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: Option<&str>) -> Head {
        let field = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        super::super::head::parse(format!("GET / HTTP/1.1\r\nHost: h\r\n{field}\r\n").as_bytes(), 8).unwrap()
    }

    #[test]
    fn bearer_and_basic_with_the_token_as_password_are_let_in() {
        let mut settings = Config::defaults();
        assert!(check(&settings, &with(None)).is_ok(), "no token set: open");
        settings.token = Some("s3cret".into());
        let basic = |user_pass: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user_pass)
            )
        };
        assert!(check(&settings, &with(Some("Bearer s3cret"))).is_ok());
        assert!(check(&settings, &with(Some("bearer  s3cret"))).is_ok());
        assert!(check(&settings, &with(Some(&basic("anyone:s3cret")))).is_ok());
        assert!(check(&settings, &with(Some(&basic(":s3cret")))).is_ok());
        for wrong in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer"),
            Some("s3cret"),
            Some("Digest s3cret"),
            Some("Basic !!!"),
        ] {
            let wrong_owned = wrong.map(str::to_string);
            let err = check(&settings, &with(wrong_owned.as_deref())).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Auth, "{wrong:?}");
        }
        let err = check(&settings, &with(Some(&basic("s3cret:nope")))).unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::Auth,
            "the token as user name is not the password"
        );
    }
}
