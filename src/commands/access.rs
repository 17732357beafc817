//! `nf access check USER PATH`: what the access file gives a user (or anonymous) at a path,
//! which rules give it (as `file:line`), and whether the path is hidden from them or only
//! traversable, and the limits on writing there (the largest file, quotas, deadlines and
//! whether they passed). It reads the file as `nf serve` would and asks the same [`Access`]
//! the policy asks (a rule's deadline, `until`, judged now); no server is involved, so a
//! quota's use is not shown (the server counts it at each upload; a refusal says it).

use std::time::SystemTime;

use crate::cli::AccessAction;
use crate::commands::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::human::{rfc3339, size};
use crate::name::FileName;
use crate::output;
use crate::service;
use crate::service::access::{self, Access, Rule};
use crate::service::policy::{Principal, Right};
use crate::service::reload::shown_path;

pub fn run(ctx: &Context, action: &AccessAction) -> Result<()> {
    let AccessAction::Check(args) = action;
    let path = match args.path.trim_matches('/') {
        "" => None,
        p => Some(FileName::from_user(p)?),
    };
    let Some(access) = access::configured(&ctx.config)? else {
        return output::print(&format!(
            "no access file ({} does not exist): whoever the server lets in may do everything\n",
            ctx.config.access_file.display()
        ));
    };
    let who = principal(&access, &args.user)?;
    let mut check = Check::new(&access, &who, path.as_ref());
    check.server_max = ctx.config.max_file_size;
    output::print(&if args.json {
        format!("{}\n", check.json())
    } else {
        check.text()
    })
}

/// The principal `USER` names: anonymous, or a user of the file.
fn principal(access: &Access, user: &str) -> Result<Principal> {
    if user == "anonymous" {
        return Ok(Principal::Anonymous);
    }
    if !access.users.contains_key(user) {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no user named {user} in {} (`nf user ls` lists them; anonymous is whoever did \
                 not log in)",
                access.file.display()
            ),
        ));
    }
    Ok(Principal::User(user.into()))
}

/// What a rule gives at `now`, with its deadline if it has one.
fn gives(rule: &Rule, now: SystemTime) -> String {
    match &rule.until {
        None => format!("gives {}", rule.rights),
        Some((_, until)) if rule.rights_at(now) == rule.rights => {
            format!("gives {} until {until}", rule.rights)
        }
        Some((_, until)) => format!("gave {} until {until}; now {}", rule.rights, rule.rights_at(now)),
    }
}

/// What `who` has at a path.
struct Check<'a> {
    access: &'a Access,
    who: &'a Principal,
    /// The path as shown, with its leading `/`.
    shown: String,
    rules: Vec<&'a Rule>,
    rights: access::Rights,
    hidden: bool,
    traversable: bool,
    now: SystemTime,
    /// The rules that let `who` write there now (their limits apply).
    writers: Vec<&'a Rule>,
    /// The server's own `max_file_size`.
    server_max: u64,
}

impl<'a> Check<'a> {
    fn new(access: &'a Access, who: &'a Principal, path: Option<&'a FileName>) -> Check<'a> {
        let now = SystemTime::now();
        let rights = access.rights_at(who, path, now);
        Check {
            now,
            access,
            who,
            shown: format!("/{}", path.map_or("", |p| p.as_str())),
            rules: access.grants(who, path).collect(),
            rights,
            hidden: path.is_some_and(|p| !access.shows(who, p)),
            traversable: !rights.has(Right::List) && access.leads_to_grant(who, path),
            writers: service::writing_rules(access, who, path, now),
            server_max: u64::MAX,
        }
    }

    /// Where a rule is, as `FILE:LINE`.
    fn at(&self, rule: &Rule) -> String {
        format!("{}:{}", self.access.file.display(), rule.line)
    }

    /// The largest file `who` may put there and what sets it: a rule (`FILE:LINE`), or the
    /// server; `None` where it may not write.
    fn max_file(&self) -> Option<(u64, String)> {
        if self.writers.is_empty() {
            return None;
        }
        Some(match service::per_file(&self.writers) {
            Some((bytes, rule)) if bytes < self.server_max => (bytes, self.at(rule)),
            _ => (self.server_max, "max_file_size of the server".to_string()),
        })
    }

    /// The quotas that bound what `who` stores there: bytes, the folder counted, `FILE:LINE`.
    fn quotas(&self) -> Vec<(u64, String, String)> {
        if !service::quotas_apply(&self.writers) {
            return Vec::new();
        }
        self.writers
            .iter()
            .map(|r| {
                let folder = r.path_for(self.who).flatten();
                let shown = format!("/{}", folder.as_ref().map_or("", |f| f.as_str()));
                (r.quota.unwrap_or(u64::MAX), shown, self.at(r))
            })
            .collect()
    }

    /// The deadlines (`until`) of the rules that give `who` rights there: as written, in UTC,
    /// whether passed, `FILE:LINE`.
    fn deadlines(&self) -> Vec<(String, String, bool, String)> {
        self.rules
            .iter()
            .filter_map(|r| {
                let (when, written) = r.until.as_ref()?;
                Some((written.clone(), rfc3339(*when), self.now > *when, self.at(r)))
            })
            .collect()
    }

    fn limits_text(&self) -> String {
        let mut out = String::new();
        // The server's own bound is in `--json`; the text names a rule's only.
        if let Some((bytes, by)) = self.max_file().filter(|(b, _)| *b < self.server_max) {
            out.push_str(&format!("  max_file_size: {} ({by})\n", size(bytes)));
        }
        for (bytes, folder, by) in self.quotas() {
            out.push_str(&format!(
                "  quota: {} under {folder}, counted by the server at each upload ({by})\n",
                size(bytes)
            ));
        }
        for (written, utc, passed, by) in self.deadlines() {
            let state = if passed { "passed" } else { "not passed" };
            out.push_str(&format!("  deadline: {written} ({utc}), {state} ({by})\n"));
        }
        out
    }

    fn limits_json(&self) -> serde_json::Value {
        let quotas: Vec<serde_json::Value> = self
            .quotas()
            .into_iter()
            .map(|(bytes, path, by)| serde_json::json!({"bytes": bytes, "path": path, "rule": by}))
            .collect();
        let deadlines: Vec<serde_json::Value> = self
            .deadlines()
            .into_iter()
            .map(|(until, utc, passed, by)| {
                serde_json::json!({"until": until, "utc": utc, "passed": passed, "rule": by})
            })
            .collect();
        serde_json::json!({
            "max_file_size": self.max_file().map(|(bytes, by)| serde_json::json!({"bytes": bytes, "by": by})),
            "quotas": quotas,
            "deadlines": deadlines,
        })
    }

    fn text(&self) -> String {
        let mut out = format!("{} at {}: {}\n", self.who, self.shown, self.rights);
        for rule in &self.rules {
            out.push_str(&format!(
                "  {}:{}: {} on {} {}\n",
                self.access.file.display(),
                rule.line,
                rule.who
                    .iter()
                    .map(|w| w.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                shown_path(rule),
                gives(rule, self.now)
            ));
        }
        if self.hidden {
            out.push_str(&format!(
                "  hidden: {} is told there is no such file (no rule lets them list its folder)\n",
                self.who
            ));
        }
        if self.traversable {
            out.push_str(&format!(
                "  traversable: {} may list it, seeing only the names that lead to their grants\n",
                self.who
            ));
        }
        out.push_str(&self.limits_text());
        out
    }

    fn json(&self) -> serde_json::Value {
        let rules: Vec<serde_json::Value> = self
            .rules
            .iter()
            .map(|rule| {
                serde_json::json!({
                    "file": self.access.file.display().to_string(),
                    "line": rule.line,
                    "who": rule.who.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
                    "path": shown_path(rule),
                    "rights": rule.rights_at(self.now).words(),
                    "until": rule.until.as_ref().map(|(_, text)| text),
                })
            })
            .collect();
        serde_json::json!({
            "user": self.who.as_str(),
            "path": self.shown,
            "rights": self.rights.words(),
            "hidden": self.hidden,
            "traversable": self.traversable,
            "rules": rules,
            "limits": self.limits_json(),
        })
    }
}
