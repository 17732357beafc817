//! The native handshake: the greeting line `NF/<version>` and the `hello` message, checked by
//! the accept loop before the connection gets a worker. Pure: lines in, a reply or a refusal
//! out. A refusal says which step refused, for the log.

use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::protocol::{self, HelloReply, Request};
use crate::service::token_matches;

/// Why a handshake was refused, and at which step (`greeting` or `hello`).
pub struct Refused {
    pub step: &'static str,
    pub error: Error,
}

fn refused(step: &'static str, error: Error) -> Refused {
    Refused { step, error }
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

/// Checks the hello line (without its `\n`) against this server's token; the reply to send.
pub fn hello(line: &[u8], settings: &Config) -> Result<HelloReply, Refused> {
    let request: Request = serde_json::from_slice(line).map_err(|e| {
        refused(
            "hello",
            Error::new(ErrorKind::Protocol, format!("malformed message: {e}")),
        )
    })?;
    let Request::Hello { token, .. } = request else {
        return Err(refused(
            "hello",
            Error::new(
                ErrorKind::Protocol,
                format!("expected hello, got {}", request.op()),
            ),
        ));
    };
    if let Some(expected) = &settings.token {
        if !token_matches(expected, token.as_deref().unwrap_or("")) {
            return Err(refused(
                "hello",
                Error::new(
                    ErrorKind::Auth,
                    "this server needs a token: set the same `token` (or NF_TOKEN) on the client",
                ),
            ));
        }
    }
    Ok(HelloReply {
        ok: true,
        version: protocol::VERSION,
        server: protocol::software(),
        max_file_size: Some(settings.max_file_size),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_and_hellos_are_checked() {
        assert!(greeting(b"NF/1").is_ok());
        assert_eq!(greeting(b"NF/2").err().unwrap().error.kind, ErrorKind::Version);
        assert_eq!(greeting(b"HELLO").err().unwrap().step, "greeting");
        let mut settings = Config::defaults();
        assert!(hello(br#"{"op":"hello","client":"x"}"#, &settings).is_ok());
        settings.token = Some("t".into());
        let refused = hello(br#"{"op":"hello","client":"x"}"#, &settings).err().unwrap();
        assert_eq!(refused.error.kind, ErrorKind::Auth);
        assert!(hello(br#"{"op":"hello","token":"t"}"#, &settings).is_ok());
        let refused = hello(br#"{"op":"list"}"#, &settings).err().unwrap();
        assert_eq!(refused.error.kind, ErrorKind::Protocol);
    }
}
