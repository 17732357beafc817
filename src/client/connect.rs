//! Opening a connection to a server: resolve, connect, and decide on TLS (`tls = "auto"`: to
//! every server not on loopback, and on loopback too when the client holds a token or the
//! server's key is pinned or recorded in `known_servers`, so that a secret never goes to a
//! program that merely holds the port). Over TLS, the server is trusted as
//! [`crate::tls::trust`] says, before anything but the TLS handshake is sent; a token is never
//! sent in clear to a server that is not on loopback, and on loopback only with `--tls never`.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use super::resolve;
use crate::config::TlsMode;
use crate::error::{describe_io, Error, ErrorKind, Result};
use crate::protocol;
use crate::tls::stream::TlsStream;
use crate::tls::trust::{Decision, Trust};
use crate::transport::{Io, Transport};

/// How to reach a server.
#[derive(Clone, Debug)]
pub struct Target {
    /// `HOST:PORT`, `[V6]:PORT`, or `HOST` for the default port.
    pub addr: String,
    pub timeout: Duration,
    pub token: Option<String>,
    /// A user to log in as, and their secret.
    pub login: Option<Login>,
    pub tls: TlsMode,
    /// The fingerprint the server must present, if pinned.
    pub fingerprint: Option<String>,
    /// Where servers trusted on first use are recorded.
    pub known_servers: PathBuf,
    /// A share link's ID to act as (instead of a token or a login).
    pub link: Option<String>,
}

/// A user name and secret to log in with. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub secret: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login {{ user: {:?}, secret: (set) }}", self.user)
    }
}

/// A connection made, and what the user should know about it.
pub struct Opened {
    pub transport: Transport,
    /// A server trusted on first use just now: its fingerprint, recorded in `known_servers`.
    pub first_use: Option<String>,
}

impl Target {
    /// `HOST:PORT` with the port written out and the host in lower case: how this server is
    /// named in `known_servers`.
    pub fn server_key(&self) -> String {
        let (host, port) = split_host(&self.addr);
        let host = host.to_ascii_lowercase();
        if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }

    /// Connects, with TLS when the settings say so, and trusts the server or says why not.
    pub fn open(&self) -> Result<Opened> {
        let addrs = resolve(&self.addr)?;
        let loopback = addrs.iter().all(|a| a.ip().is_loopback());
        // A pinned fingerprint asks for the server to be checked, even on loopback.
        let pinned = self.fingerprint.is_some();
        let tls = match self.tls {
            TlsMode::Always => true,
            TlsMode::Never if pinned => {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "--tls never (or tls = \"never\") and a pinned fingerprint contradict each other: \
                     without TLS the server's identity cannot be checked",
                ))
            }
            TlsMode::Never => false,
            TlsMode::Auto => pinned || !loopback || self.has_secret() || self.recorded().is_some(),
        };
        if self.has_secret() && !tls && !loopback {
            let what = if self.token.is_some() {
                "the token"
            } else {
                "a password"
            };
            return Err(Error::new(
                ErrorKind::Denied,
                format!(
                    "refusing to send {what} in clear to {}, which is not on loopback: use TLS \
                     (--tls auto or always)",
                    self.addr
                ),
            ));
        }
        let sock = self.tcp(&addrs)?;
        if !tls {
            let transport = Transport::plain(sock, self.timeout)
                .map_err(|e| Error::io(format!("cannot talk to {}", self.addr), &e))?;
            return Ok(Opened {
                transport,
                first_use: None,
            });
        }
        self.tls_session(sock)
    }

    /// True when this client holds a secret to send (the token, or a user's password).
    fn has_secret(&self) -> bool {
        self.token.is_some() || self.login.is_some()
    }

    fn tcp(&self, addrs: &[SocketAddr]) -> Result<TcpStream> {
        let mut last = None;
        for sa in addrs {
            match TcpStream::connect_timeout(sa, self.timeout.min(Duration::from_secs(10))) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        let why = last
            .map(|e| describe_io(&e))
            .unwrap_or_else(|| "no address".into());
        Err(Error::new(
            ErrorKind::Connect,
            format!(
                "cannot connect to {}: {why}; is `nf serve` running there?",
                self.addr
            ),
        ))
    }

    /// The TLS handshake, done before anything else is sent.
    fn tls_session(&self, sock: TcpStream) -> Result<Opened> {
        let trust = Trust::new(
            &self.server_key(),
            self.fingerprint.as_deref(),
            &self.known_servers,
        );
        let config = crate::tls::trust::client_config(Arc::clone(&trust))?;
        let (host, _) = split_host(&self.addr);
        let name = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(host.to_string()).map_err(|_| {
                Error::new(
                    ErrorKind::Usage,
                    format!("{host:?} is not a host name TLS can check"),
                )
            })?,
        };
        let conn = rustls::ClientConnection::new(config, name)
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot start TLS: {e}")))?;
        let talk = |e: std::io::Error| Error::io(format!("cannot talk to {}", self.addr), &e);
        sock.set_read_timeout(Some(self.timeout)).map_err(talk)?;
        sock.set_write_timeout(Some(self.timeout)).map_err(talk)?;
        let (mut conn, mut sock) = (conn, sock);
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut sock) {
                return Err(trust
                    .refusal()
                    .or_else(|| self.not_the_recorded_server(&e))
                    .unwrap_or_else(|| self.handshake_failed(&e)));
            }
        }
        let stream = TlsStream::new(conn, sock, Vec::new());
        let first_use = match trust.decision() {
            Some(Decision::FirstUse(fp)) => {
                trust.remember(&fp)?;
                Some(fp)
            }
            _ => None,
        };
        let transport = Transport::client(Io::TlsClient(Box::new(stream)), self.timeout).map_err(talk)?;
        Ok(Opened { transport, first_use })
    }

    /// The line of `known_servers` that records this server's key, if one does.
    fn recorded(&self) -> Option<usize> {
        crate::tls::trust::recorded_line(&self.known_servers, &self.server_key())
    }

    /// The error for a failed handshake with a server whose key is recorded: whatever answers
    /// there did not prove it holds that key, and nothing was sent to it.
    fn not_the_recorded_server(&self, e: &std::io::Error) -> Option<Error> {
        let line = self.recorded()?;
        Some(Error::new(
            ErrorKind::Connect,
            format!(
                "{} did not complete a TLS handshake ({}), yet its key is recorded in {}:{line}: \
                 the program on that port may not be the nf server you used before; nothing was \
                 sent to it. If that server now runs without TLS, delete that line (and use --tls \
                 never only on a machine you trust)",
                self.addr,
                describe_io(e),
                self.known_servers.display()
            ),
        ))
    }

    fn handshake_failed(&self, e: &std::io::Error) -> Error {
        let detail = e.to_string();
        if detail.contains("InvalidContentType") || detail.contains("corrupt message") {
            return Error::new(
                ErrorKind::Connect,
                format!(
                    "the server at {} does not speak TLS (an older nf, or not nf); on a network you \
                     trust, --tls never",
                    self.addr
                ),
            );
        }
        Error::new(
            ErrorKind::Connect,
            format!("TLS handshake with {} failed: {}", self.addr, describe_io(e)),
        )
    }
}

/// The host and port of an address as typed (the default port when it names none).
fn split_host(addr: &str) -> (&str, u16) {
    if let Ok(sa) = addr.parse::<SocketAddr>() {
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        return (host.trim_start_matches('[').trim_end_matches(']'), sa.port());
    }
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => match port.parse() {
            Ok(p) => (host.trim_start_matches('[').trim_end_matches(']'), p),
            Err(_) => (addr, protocol::DEFAULT_PORT),
        },
        _ => (
            addr.trim_start_matches('[').trim_end_matches(']'),
            protocol::DEFAULT_PORT,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(addr: &str) -> String {
        Target {
            addr: addr.into(),
            timeout: Duration::from_secs(1),
            token: None,
            login: None,
            tls: TlsMode::Auto,
            fingerprint: None,
            known_servers: PathBuf::new(),
            link: None,
        }
        .server_key()
    }

    #[test]
    fn servers_are_named_with_their_port_in_known_servers() {
        assert_eq!(key("FileServer"), "fileserver:8889");
        assert_eq!(key("fileserver:9000"), "fileserver:9000");
        assert_eq!(key("10.0.0.5"), "10.0.0.5:8889");
        assert_eq!(key("[::1]:9000"), "[::1]:9000");
        assert_eq!(key("::1"), "[::1]:8889");
        assert_eq!(key("127.0.0.1:8889"), "127.0.0.1:8889");
    }
}
