//! `share`, `shares` and `unshare`: making, listing and removing the caller's share links
//! (the service keeps them, [`crate::service::Service::share`]); each reply carries the
//! server's `public_url`, if it has one, for the client to make the link's URL.

use std::time::Duration;

use super::{Handled, Session};
use crate::protocol::{ShareInfo, ShareReply, SharesReply};
use crate::service::ShareAsk;

impl Session<'_> {
    pub(super) fn share(&mut self, path: Option<String>, ask: (bool, Option<u64>, Option<u64>)) -> Handled {
        let (upload, expires_secs, max_uses) = ask;
        let ask = ShareAsk {
            upload,
            expires: expires_secs.map(Duration::from_secs),
            max_uses,
        };
        let made = match path.as_deref() {
            None | Some("") => self.svc.share(&self.who, None, ask),
            Some(raw) => self
                .name(raw)
                .and_then(|n| self.svc.share(&self.who, Some(&n), ask)),
        };
        let result = self.reply_share(made);
        Handled::new(path, 0, result)
    }

    pub(super) fn shares(&mut self) -> Handled {
        let result = match self.svc.shares(&self.who) {
            Ok(shares) => self.reply(&SharesReply {
                ok: true,
                shares,
                public_url: self.svc.settings.public_url.clone(),
            }),
            Err(e) => self.reply_error(e),
        };
        Handled::new(None, 0, result)
    }

    pub(super) fn unshare(&mut self, id: String) -> Handled {
        let removed = self.svc.unshare(&self.who, &id);
        let result = self.reply_share(removed);
        Handled::new(Some(id), 0, result)
    }

    fn reply_share(&mut self, share: crate::error::Result<ShareInfo>) -> Result<(), crate::error::Error> {
        match share {
            Ok(share) => self.reply(&ShareReply {
                ok: true,
                share,
                public_url: self.svc.settings.public_url.clone(),
            }),
            Err(e) => self.reply_error(e),
        }
    }
}
