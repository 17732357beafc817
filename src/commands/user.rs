//! `nf user add | passwd | rm | ls`: the users of the access file (the `access_file` key).
//! Passwords come from standard input when it is not a terminal (one line, as `htpasswd -i`),
//! else from a no-echo prompt asked twice, or are generated and printed once; only their
//! argon2id hash is written. The editing itself is [`crate::service::access_edit`]'s.

use std::io::{BufRead, IsTerminal};

use crate::cli::UserAction;
use crate::commands::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::output;
use crate::service::access::check_name;
use crate::service::access_edit::{self, AccessText};
use crate::service::password;

pub fn run(ctx: &Context, action: &UserAction) -> Result<()> {
    let file = &ctx.config.access_file;
    match action {
        UserAction::Add(args) => {
            let name = checked(&args.user.name, "user")?;
            for group in &args.groups {
                checked(group, "group")?;
            }
            // Refused before a password is asked for (and again under the lock).
            AccessText::load(file, true)?.check_new(name)?;
            let secret = new_password(name, args.generate)?;
            let phc = password::hash(&secret)?;
            access_edit::change(file, true, |a| a.add(name, &phc, &args.groups))?;
            done(ctx, &format!("added user {name} to {}", file.display()));
            show_generated(args.generate, &secret)
        }
        UserAction::Passwd(args) => {
            let name = &args.user.name;
            AccessText::load(file, false)?.user(name)?;
            let secret = new_password(name, args.generate)?;
            let phc = password::hash(&secret)?;
            access_edit::change(file, false, |a| a.set_password(name, &phc))?;
            done(
                ctx,
                &format!("changed the password of {name} in {}", file.display()),
            );
            show_generated(args.generate, &secret)
        }
        UserAction::Rm(args) => {
            access_edit::change(file, false, |a| a.remove(&args.name))?;
            done(
                ctx,
                &format!("removed user {} from {}", args.name, file.display()),
            );
            Ok(())
        }
        UserAction::Ls(args) => {
            let access = match AccessText::load(file, false) {
                Err(e) if e.kind == ErrorKind::NotFound => None,
                other => Some(other?),
            };
            let users = access.map(|a| a.access.users).unwrap_or_default();
            if args.json {
                let list: Vec<serde_json::Value> = users
                    .iter()
                    .map(|(name, user)| serde_json::json!({"name": name, "groups": user.groups}))
                    .collect();
                return output::print(&format!("{}\n", serde_json::Value::Array(list)));
            }
            let width = users.keys().map(|n| n.len()).max().unwrap_or(0);
            let table: String = users
                .iter()
                .map(|(name, user)| {
                    let line = format!("{name:width$}  {}", user.groups.join(", "));
                    format!("{}\n", line.trim_end())
                })
                .collect();
            output::print(&table)
        }
    }
}

/// `name` when it is a valid user or group name, else a usage error.
fn checked<'a>(name: &'a str, what: &str) -> Result<&'a str> {
    check_name(name, what).map_err(|why| Error::new(ErrorKind::Usage, why))?;
    Ok(name)
}

/// The new password of `name`: generated, one line of standard input, or asked twice.
fn new_password(name: &str, generate: bool) -> Result<String> {
    if generate {
        return password::generate();
    }
    let secret = if std::io::stdin().is_terminal() {
        asked(name)?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::io("cannot read the password from standard input", &e))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    if secret.is_empty() {
        return Err(Error::new(
            ErrorKind::Usage,
            "the password is empty; nothing changed (give one, or use --generate)",
        ));
    }
    Ok(secret)
}

/// Asks for the password twice on the terminal, without echo.
fn asked(name: &str) -> Result<String> {
    let first = crate::prompt::secret(&format!("New password for {name}: "))?;
    let again = crate::prompt::secret("Again: ")?;
    if first != again {
        return Err(Error::new(
            ErrorKind::Usage,
            "the two passwords differ; nothing changed",
        ));
    }
    Ok(first)
}

/// Prints a generated password once, on standard output.
fn show_generated(generated: bool, secret: &str) -> Result<()> {
    if generated {
        output::print(&format!("{secret}\n"))?;
    }
    Ok(())
}

/// Says what was done, on standard error (not with --quiet).
fn done(ctx: &Context, what: &str) {
    if !ctx.quiet {
        eprintln!("nf: {what}");
    }
}
