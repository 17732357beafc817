//! The native handshake: the greeting line `NF/<version>` and the `hello` message, checked by
//! the accept loop before the connection gets a worker. Lines in, a reply or a refusal out; the
//! token is checked by the service, which slows an address that guesses. A hello with `user`
//! and `secret` asks for a login, which the accept loop awaits off its thread
//! ([`crate::service::login`]). A refusal says which step refused, for the log.

use std::net::IpAddr;

use crate::error::{Error, ErrorKind};
use crate::protocol::{self, HelloReply, LinkReply, Request};
use crate::service::login;
use crate::service::{Principal, Service, TokenCheck};

/// Why a handshake was refused, and at which step (`greeting` or `hello`); `log`: false for a
/// try refused because its address must wait (the service logs those once a minute).
pub struct Refused {
    pub step: &'static str,
    pub error: Error,
    pub log: bool,
}

fn refused(step: &'static str, error: Error) -> Refused {
    Refused {
        step,
        error,
        log: true,
    }
}

/// Checks the greeting line (without its `\n`).
pub fn greeting(line: &[u8]) -> Result<(), Refused> {
    let Some(version) = protocol::parse_greeting(line) else {
        return Err(refused("greeting", super::super::router::garbage_error()));
    };
    if version != protocol::VERSION {
        return Err(refused(
            "hello",
            Error::new(
                ErrorKind::Version,
                format!(
                    "this server speaks nf protocol {}, the client speaks {version}; use the same nf \
                     version on both sides (server: {})",
                    protocol::VERSION,
                    protocol::software()
                ),
            ),
        ));
    }
    Ok(())
}

/// Whether the hello line (already accepted by [`hello`]) asks for notices while a request
/// waits in line.
pub fn wants_notices(line: &[u8]) -> bool {
    matches!(
        serde_json::from_slice(line),
        Ok(Request::Hello { notices: true, .. })
    )
}

/// What a hello that was not refused asks for.
#[derive(Debug)]
pub enum Admit {
    /// The connection acts for this principal (the token, or nobody in particular).
    As(Principal),
    /// A user logs in: the service checks the secret ([`Service::login_async`]).
    Login { user: String, secret: String },
    /// A share link's holder: the service opens the link ([`Service::open_share`]), off the
    /// event loop (it reads the store).
    Link(String),
}

/// Checks the hello line (without its `\n`) from `peer` against this server's token and
/// users: who the connection acts for, or the login to check.
pub fn hello(line: &[u8], svc: &Service, peer: IpAddr) -> Result<Admit, Refused> {
    let request: Request = serde_json::from_slice(line).map_err(|e| {
        refused(
            "hello",
            Error::new(ErrorKind::Protocol, format!("malformed message: {e}")),
        )
    })?;
    let Request::Hello {
        token,
        user,
        secret,
        link,
        ..
    } = request
    else {
        return Err(refused(
            "hello",
            Error::new(
                ErrorKind::Protocol,
                format!("expected hello, got {}", request.op()),
            ),
        ));
    };
    if let Some(id) = link {
        return Ok(Admit::Link(id));
    }
    let users = svc.policy().access().is_some();
    match (user, secret) {
        (Some(user), Some(secret)) => return Ok(Admit::Login { user, secret }),
        (Some(_), None) | (None, Some(_)) => {
            return Err(refused(
                "hello",
                Error::new(ErrorKind::Auth, "a login needs both a user name and a secret"),
            ))
        }
        (None, None) => {}
    }
    match svc.check_token(peer, token.as_deref()) {
        TokenCheck::Fine if token.is_some() && svc.settings.token.is_some() => {
            Ok(Admit::As(Principal::Token))
        }
        TokenCheck::Fine | TokenCheck::Missing if users => Ok(Admit::As(Principal::Anonymous)),
        TokenCheck::Fine => Ok(Admit::As(svc.admitted())),
        TokenCheck::Wait(wait) => Err(Refused {
            step: "hello",
            error: wait.error(),
            log: false,
        }),
        TokenCheck::Missing | TokenCheck::Wrong => Err(refused(
            "hello",
            Error::new(
                ErrorKind::Auth,
                "this server needs a token: set the same `token` (or NF_TOKEN) on the client",
            ),
        )),
    }
}

/// The refusal of a login (logged by the service: a wrong one on its own line for fail2ban,
/// a try while waiting once a minute).
pub fn login_refused(why: login::Refused) -> Refused {
    Refused {
        step: "hello",
        error: why.error(),
        log: false,
    }
}

/// The refusal of a share link that is unknown or no longer works.
pub fn link_refused(error: Error) -> Refused {
    refused("hello", error)
}

/// The reply to a hello that was let in (as `who`: a link's reply says what it shares).
pub fn reply(svc: &Service, who: &Principal) -> HelloReply {
    let link = match who {
        Principal::Link(link) => Some(LinkReply {
            path: link
                .root
                .as_ref()
                .map_or(String::new(), |r| r.as_str().to_string()),
            folder: link.folder,
            kind: if link.upload { "upload" } else { "read" }.to_string(),
        }),
        _ => None,
    };
    HelloReply {
        ok: true,
        version: protocol::VERSION,
        server: protocol::software(),
        max_file_size: Some(svc.settings.max_file_size),
        link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_and_hellos_are_checked() {
        assert!(greeting(b"NF/1").is_ok());
        assert_eq!(greeting(b"NF/2").err().unwrap().error.kind, ErrorKind::Version);
        assert_eq!(greeting(b"HELLO").err().unwrap().step, "greeting");
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let (open, _dir) = crate::service::for_tests(crate::config::Config::defaults());
        assert!(matches!(
            hello(br#"{"op":"hello","client":"x"}"#, &open, peer),
            Ok(Admit::As(Principal::Anonymous))
        ));
        let mut settings = crate::config::Config::defaults();
        settings.token = Some("t".into());
        let (svc, _dir) = crate::service::for_tests(settings);
        let refused = hello(br#"{"op":"hello","client":"x"}"#, &svc, peer)
            .err()
            .unwrap();
        assert_eq!(refused.error.kind, ErrorKind::Auth);
        assert!(matches!(
            hello(br#"{"op":"hello","token":"t"}"#, &svc, peer),
            Ok(Admit::As(Principal::Token))
        ));
        assert!(matches!(
            hello(
                br#"{"op":"hello","token":"t","user":"a","secret":"s"}"#,
                &svc,
                peer
            ),
            Ok(Admit::Login { .. })
        ));
        let refused = hello(br#"{"op":"list"}"#, &svc, peer).err().unwrap();
        assert_eq!(refused.error.kind, ErrorKind::Protocol);
    }

    #[test]
    fn with_users_a_hello_without_credentials_is_anonymous_even_with_a_token() {
        let mut settings = crate::config::Config::defaults();
        settings.token = Some("t".into());
        let (svc, _dir) = crate::service::for_tests(settings);
        let access = crate::service::access::Access::parse("", std::path::Path::new("a.toml")).unwrap();
        svc.set_access(Some(access));
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let admit = |line: &[u8]| hello(line, &svc, peer);
        assert!(matches!(
            admit(br#"{"op":"hello"}"#),
            Ok(Admit::As(Principal::Anonymous))
        ));
        assert!(matches!(
            admit(br#"{"op":"hello","token":"t"}"#),
            Ok(Admit::As(Principal::Token))
        ));
        let Ok(Admit::Login { user, secret }) = admit(br#"{"op":"hello","user":"al","secret":"pw"}"#) else {
            panic!("a login")
        };
        assert_eq!((user.as_str(), secret.as_str()), ("al", "pw"));
        let half = admit(br#"{"op":"hello","user":"al"}"#).err().unwrap();
        assert_eq!(half.error.kind, ErrorKind::Auth);
        assert_eq!(
            admit(br#"{"op":"hello","token":"x"}"#).err().unwrap().error.kind,
            ErrorKind::Auth,
            "a wrong token is still refused"
        );
    }

    #[test]
    fn wrong_tokens_make_their_address_wait_and_are_logged_once() {
        let mut settings = crate::config::Config::defaults();
        settings.token = Some("t".into());
        let (svc, _dir) = crate::service::for_tests(settings);
        let guesser: IpAddr = "127.0.0.9".parse().unwrap();
        for _ in 0..crate::service::guess::FREE {
            let refused = hello(br#"{"op":"hello","token":"x"}"#, &svc, guesser)
                .err()
                .unwrap();
            assert!(refused.log);
        }
        let refused = hello(br#"{"op":"hello","token":"t"}"#, &svc, guesser)
            .err()
            .unwrap();
        assert!(!refused.log, "a try while waiting is not logged on its own");
        assert!(refused.error.message.contains("wait 2 s"), "{}", refused.error);
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        assert!(hello(br#"{"op":"hello","token":"t"}"#, &svc, other).is_ok());
    }
}
