//! Who may ask, and who is asking. With a `token` set, a request carries it as
//! `Authorization: Bearer TOKEN` (scripts) or Basic with any user name and the token as the
//! password (so a browser shows its login prompt and remembers the answer). On a server with
//! users (an access file), Basic `NAME:PASSWORD` logs a user in (`curl -u NAME`), and so does
//! `Bearer NAME:SECRET` (a secret from `nf user add --generate`; a Bearer without `:` is the
//! token); a request without credentials acts as anonymous. Wrong credentials answer 401 with a
//! `WWW-Authenticate` challenge and nothing else: not a listing, not whether a name exists. An
//! address (or, for passwords, address and user name) that sent too many wrong ones is answered
//! 429 with `Retry-After` until its wait is over ([`crate::service::guess`],
//! [`crate::service::login`]).

use std::net::IpAddr;

use base64::Engine;

use super::head::Head;
use crate::error::{Error, ErrorKind};
use crate::service::guess::Wait;
use crate::service::{login, token_matches, Principal, Service, TokenCheck};

/// Why a request's credentials are refused.
pub enum Refused {
    /// No token, or a wrong one, or a wrong user name or password: 401.
    Auth(Error),
    /// Its address must wait: 429 with `Retry-After`.
    Wait(Wait),
}

/// The challenge sent with a 401: Basic, which browsers answer with their login prompt.
pub const CHALLENGE: &str = "Basic realm=\"nf\", charset=\"UTF-8\"";

/// Who a request acts for, and whether it presented credentials at all.
pub struct Admitted {
    pub who: Principal,
    pub presented: bool,
}

/// What an `Authorization` field presents.
enum Credentials {
    /// A secret and, when one was named, a user name (Basic's, or Bearer's `NAME:`).
    Secret { user: Option<String>, secret: String },
    /// A field nf cannot read (another scheme, bad base64).
    Unreadable,
}

/// Checks the credentials of a request from `peer`: the token, a user's password, or none.
pub fn check(svc: &Service, head: &Head, peer: IpAddr) -> Result<Admitted, Refused> {
    let users = svc.policy().access().is_some();
    let presented = head.field("authorization").map(|v| presented(v, users));
    let any = presented.is_some();
    let who = match presented {
        None if users => Ok(Principal::Anonymous),
        None => token(svc, peer, None),
        Some(Credentials::Unreadable) if users => Err(Refused::Auth(Error::new(
            ErrorKind::Auth,
            "the Authorization field is neither `Basic` (NAME:PASSWORD) nor `Bearer NAME:SECRET`",
        ))),
        Some(Credentials::Unreadable) => token(svc, peer, None),
        Some(Credentials::Secret { user, secret }) => {
            let is_token = svc
                .settings
                .token
                .as_deref()
                .is_some_and(|t| token_matches(t, &secret));
            match user {
                Some(user) if users && !is_token => svc.login(peer, &user, &secret).map_err(|r| match r {
                    login::Refused::Wait(w) => Refused::Wait(w),
                    login::Refused::Error(e) => Refused::Auth(e),
                }),
                _ => token(svc, peer, Some(&secret)),
            }
        }
    }?;
    Ok(Admitted { who, presented: any })
}

/// The principal of a request that presents `given` as the token (or nothing).
fn token(svc: &Service, peer: IpAddr, given: Option<&str>) -> Result<Principal, Refused> {
    match svc.check_token(peer, given) {
        TokenCheck::Fine if given.is_some() && svc.settings.token.is_some() => Ok(Principal::Token),
        TokenCheck::Fine => Ok(svc.admitted()),
        TokenCheck::Wait(wait) => Err(Refused::Wait(wait)),
        TokenCheck::Wrong => Err(Refused::Auth(Error::new(ErrorKind::Auth, wrong(svc)))),
        TokenCheck::Missing => Err(Refused::Auth(Error::new(
            ErrorKind::Auth,
            "this server needs a token: send `Authorization: Bearer TOKEN`, or log in with any \
             user name and the token as the password",
        ))),
    }
}

/// The refusal of a wrong secret: the token's, or a user's (one answer for a wrong password
/// and an unknown user).
fn wrong(svc: &Service) -> &'static str {
    if svc.policy().access().is_some() {
        login::WRONG
    } else {
        "wrong token"
    }
}

/// What an `Authorization` value presents: a Bearer token (or, on a server with `users`,
/// `NAME:SECRET`), or Basic's user name and password.
fn presented(value: &str, users: bool) -> Credentials {
    let Some((scheme, rest)) = value.trim().split_once(' ') else {
        return Credentials::Unreadable;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return match rest.split_once(':') {
            Some((user, secret)) if users => Credentials::Secret {
                user: Some(user.to_string()),
                secret: secret.to_string(),
            },
            _ => Credentials::Secret {
                user: None,
                secret: rest.to_string(),
            },
        };
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok();
        let text = decoded.and_then(|d| String::from_utf8(d).ok());
        if let Some((user, secret)) = text.as_deref().and_then(|t| t.split_once(':')) {
            return Credentials::Secret {
                user: Some(user.to_string()).filter(|u| !u.is_empty()),
                secret: secret.to_string(),
            };
        }
    }
    Credentials::Unreadable
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
        check(svc, head, peer).map(|_| ()).map_err(|r| match r {
            Refused::Auth(e) => e,
            Refused::Wait(w) => w.error(),
        })
    }

    #[test]
    fn with_users_no_credentials_is_anonymous_and_the_token_still_works() {
        let mut settings = Config::defaults();
        settings.token = Some("s3cret".into());
        let (svc, _dir) = crate::service::for_tests(settings);
        let access = crate::service::access::Access::parse("", std::path::Path::new("a.toml")).unwrap();
        svc.set_access(Some(access));
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let who = |auth: Option<&str>| check(&svc, &with(auth), peer).ok().map(|a| (a.who, a.presented));
        assert_eq!(who(None), Some((Principal::Anonymous, false)));
        assert_eq!(who(Some("Bearer s3cret")), Some((Principal::Token, true)));
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("x:s3cret")
        );
        assert_eq!(who(Some(&basic)), Some((Principal::Token, true)));
        assert_eq!(who(Some("Bearer nope")), None, "a wrong token is refused");
    }

    #[test]
    fn bearer_names_its_user_only_on_a_server_with_users() {
        let user_of = |value: &str, users: bool| match presented(value, users) {
            Credentials::Secret { user, secret } => Some((user, secret)),
            Credentials::Unreadable => None,
        };
        assert_eq!(
            user_of("Bearer alice:s3:cret", true),
            Some((Some("alice".into()), "s3:cret".into()))
        );
        assert_eq!(user_of("Bearer tok:en", false), Some((None, "tok:en".into())));
        assert_eq!(user_of("Bearer token", true), Some((None, "token".into())));
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("bob:pw")
        );
        assert_eq!(user_of(&basic, true), Some((Some("bob".into()), "pw".into())));
        assert!(user_of("Digest x", true).is_none());
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
