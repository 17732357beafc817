//! nf: a fast, safe network file tool. The library holds everything; `main.rs` only parses
//! the command line, calls [`run`], and maps the error to an exit code.
//!
//! Data flows one way: `cli` → `commands` → `client` → `protocol` ⇄ TCP ⇄ `protocol` →
//! `server` → `store` → disk; `server` hands the old text dialects to `compat`. See
//! docs/ARCHITECTURE.md.

#![deny(unsafe_code)]

pub mod cidr;
pub mod cli;
pub mod client;
pub mod commands;
pub mod compat;
pub mod config;
pub mod error;
pub mod fsutil;
pub mod glob;
pub mod hashpipe;
pub mod human;
pub mod localname;
pub mod localtree;
pub mod man;
pub mod name;
pub mod output;
pub mod pace;
pub mod progress;
pub mod prompt;
pub mod protocol;
pub mod qr;
pub mod receipt;
pub mod server;
pub mod service;
pub mod signals;
pub mod store;
pub mod sys;
pub mod tls;
pub mod transport;

pub use commands::run;
pub use error::{Error, ErrorKind, Result};
