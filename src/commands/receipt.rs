//! `nf receipt verify`: checks receipts offline against a key the user has a reason to trust
//! (`--fingerprint`, or a server recorded in known_servers), and says what each proves.

use std::path::Path;

use crate::cli::{ReceiptAction, ReceiptArgs, ReceiptVerifyArgs};
use crate::commands::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::name::quote;
use crate::output;
use crate::receipt::Receipt;

pub fn run(ctx: &Context, args: &ReceiptArgs) -> Result<()> {
    match &args.action {
        ReceiptAction::Verify(verify) => run_verify(ctx, verify),
    }
}

fn run_verify(ctx: &Context, args: &ReceiptVerifyArgs) -> Result<()> {
    let mut failed = 0;
    for path in &args.receipts {
        match verify_one(ctx, args, path) {
            Ok(line) => {
                if !ctx.quiet {
                    output::print(&line)?;
                }
            }
            Err(err) => {
                failed += 1;
                eprintln!("nf: error: {}: {err}", path.display());
            }
        }
    }
    if failed > 0 {
        return Err(Error::reported(ErrorKind::HashMismatch));
    }
    if !ctx.quiet {
        output::print(
            "Each proves that the server holding that key accepted exactly this content (size and \
             BLAKE3) under that name, at that time, from that sender; not that it still holds it.\n",
        )?;
    }
    Ok(())
}

/// Checks one receipt file; the line saying what it states.
fn verify_one(ctx: &Context, args: &ReceiptVerifyArgs, path: &Path) -> Result<String> {
    let text = std::fs::read(path).map_err(|e| Error::io("cannot read it", &e))?;
    let receipt: Receipt = serde_json::from_slice(&text)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("not a receipt: {e}")))?;
    let signer = match &args.fingerprint {
        Some(fp) => {
            receipt.verify(fp)?;
            format!("{fp} (given with --fingerprint)")
        }
        None => {
            let known = &ctx.config.known_servers;
            let servers = crate::tls::trust::servers_with(known, &receipt.server);
            let Some((server, line)) = servers.first() else {
                return Err(Error::new(
                    ErrorKind::HashMismatch,
                    format!(
                        "it is signed by {}, a key with no reason to be trusted: it is recorded \
                         for no server in {}; give the server's fingerprint with --fingerprint \
                         (its operator prints it with `nf serve --fingerprint`)",
                        receipt.server,
                        known.display()
                    ),
                ));
            };
            receipt.verify(&receipt.server)?;
            format!("{server} ({}:{line})", known.display())
        }
    };
    if let Some(local) = &args.file {
        check_file(&receipt, local)?;
    }
    let matched = args
        .file
        .as_ref()
        .map(|f| format!("; {} is that content", f.display()))
        .unwrap_or_default();
    Ok(format!(
        "{}: valid: {signer} accepted {} ({} bytes, BLAKE3 {}) at {} from {}{matched}\n",
        path.display(),
        quote(&receipt.path),
        receipt.size,
        receipt.blake3,
        receipt.committed,
        receipt.principal
    ))
}

/// `Ok` when the local file `local` is the content `receipt` states.
fn check_file(receipt: &Receipt, local: &Path) -> Result<()> {
    let mut hasher = blake3::Hasher::new();
    let mut file =
        std::fs::File::open(local).map_err(|e| Error::io(format!("cannot read {}", local.display()), &e))?;
    let size = std::io::copy(&mut file, &mut hasher)
        .map_err(|e| Error::io(format!("cannot read {}", local.display()), &e))?;
    let hash = hasher.finalize().to_hex().to_string();
    if size != receipt.size || hash != receipt.blake3 {
        return Err(Error::new(
            ErrorKind::HashMismatch,
            format!(
                "the receipt verifies, but {} is not the content it states ({size} bytes, BLAKE3 \
                 {hash}; the receipt: {} bytes, BLAKE3 {})",
                local.display(),
                receipt.size,
                receipt.blake3
            ),
        ));
    }
    Ok(())
}
