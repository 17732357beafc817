//! Who may ask: with a `token` set, every request must carry it, as `Authorization: Bearer
//! TOKEN` (scripts) or Basic with any user name and the token as the password (so a browser
//! shows its login prompt and remembers the answer). Without it the answer is 401 with a
//! `WWW-Authenticate` challenge and nothing else: not a listing, not whether a name exists.
//! An address that sent too many wrong tokens is answered 429 with `Retry-After` until its
//! wait is over ([`crate::service::guess`]).

use std::net::IpAddr;

use base64::Engine;

use super::head::Head;
use crate::error::{Error, ErrorKind};
use crate::service::guess::Wait;
use crate::service::{Service, TokenCheck};

/// Why a request's credentials are refused.
pub enum Refused {
    /// No token, or a wrong one: 401.
    Auth(Error),
    /// Its address must wait: 429 with `Retry-After`.
    Wait(Wait),
}

/// The challenge sent with a 401: Basic, which browsers answer with their login prompt.
pub const CHALLENGE: &str = "Basic realm=\"nf\", charset=\"UTF-8\"";

/// Checks the credentials of a request from `peer` against the server's token (none set:
/// anyone).
pub fn check(svc: &Service, head: &Head, peer: IpAddr) -> Result<(), Refused> {
    let given = head.field("authorization").and_then(presented);
    match svc.check_token(peer, given.as_deref()) {
        TokenCheck::Fine => Ok(()),
        TokenCheck::Wait(wait) => Err(Refused::Wait(wait)),
        TokenCheck::Wrong => Err(Refused::Auth(Error::new(ErrorKind::Auth, "wrong token"))),
        TokenCheck::Missing => Err(Refused::Auth(Error::new(
            ErrorKind::Auth,
            "this server needs a token: send `Authorization: Bearer TOKEN`, or log in with any \
             user name and the token as the password",
        ))),
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
    use crate::config::Config;

    fn with(auth: Option<&str>) -> Head {
        let field = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        super::super::head::parse(format!("GET / HTTP/1.1\r\nHost: h\r\n{field}\r\n").as_bytes(), 8).unwrap()
    }

    /// Checks `head` from a fresh address each time (so no try is slowed by the ones before).
    fn check_from_anywhere(svc: &Service, head: &Head) -> Result<(), Error> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let peer = IpAddr::V4(NEXT.fetch_add(1, Ordering::Relaxed).into());
        check(svc, head, peer).map_err(|r| match r {
            Refused::Auth(e) => e,
            Refused::Wait(w) => w.error(),
        })
    }

    #[test]
    fn bearer_and_basic_with_the_token_as_password_are_let_in() {
        let (open, _dir) = crate::service::for_tests(Config::defaults());
        assert!(
            check_from_anywhere(&open, &with(None)).is_ok(),
            "no token set: open"
        );
        let mut settings = Config::defaults();
        settings.token = Some("s3cret".into());
        let (svc, _dir) = crate::service::for_tests(settings);
        let basic = |user_pass: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(user_pass)
            )
        };
        assert!(check_from_anywhere(&svc, &with(Some("Bearer s3cret"))).is_ok());
        assert!(check_from_anywhere(&svc, &with(Some("bearer  s3cret"))).is_ok());
        assert!(check_from_anywhere(&svc, &with(Some(&basic("anyone:s3cret")))).is_ok());
        assert!(check_from_anywhere(&svc, &with(Some(&basic(":s3cret")))).is_ok());
        for wrong in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer"),
            Some("s3cret"),
            Some("Digest s3cret"),
            Some("Basic !!!"),
        ] {
            let wrong_owned = wrong.map(str::to_string);
            let err = check_from_anywhere(&svc, &with(wrong_owned.as_deref())).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Auth, "{wrong:?}");
        }
        let err = check_from_anywhere(&svc, &with(Some(&basic("s3cret:nope")))).unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::Auth,
            "the token as user name is not the password"
        );
    }
}
