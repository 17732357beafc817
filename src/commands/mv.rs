//! `nf mv SRC DST`: move or rename a file or a directory on the server. A DST that is a
//! directory (or is written with a trailing `/`) receives SRC under its own name, as `mv`
//! does.

use crate::cli::MvArgs;
use crate::commands::{other_spelling, Context};
use crate::error::{Error, ErrorKind, Result};
use crate::name::{quote, FileName};

pub fn run(ctx: &Context, args: MvArgs) -> Result<()> {
    let from = FileName::from_user(&args.from)?;
    let into = args.to.ends_with('/');
    let to = FileName::from_user_dir(&args.to)?;
    let mut client = ctx.connect()?;
    let from = match client
        .stat(std::slice::from_ref(&from))?
        .pop()
        .expect("one result")
    {
        Ok((None, _)) => other_spelling(&mut client, &from)?.unwrap_or(from),
        _ => from,
    };
    let to = match to {
        // The top of the tree: into it.
        None => FileName::child(None, from.leaf())?,
        Some(to) => {
            let is_dir = match client.stat(std::slice::from_ref(&to))?.pop().expect("one result") {
                Ok((Some(held), _)) => held.is_dir(),
                _ => false,
            };
            if is_dir || into {
                FileName::child(Some(&to), from.leaf())?
            } else {
                to
            }
        }
    };
    if to == from {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("{} and its destination are the same", quote(from.as_str())),
        ));
    }
    client.rename(&from, &to, args.force)?;
    if !ctx.quiet {
        eprintln!("moved {} to {}", quote(from.as_str()), quote(to.as_str()));
    }
    Ok(())
}
