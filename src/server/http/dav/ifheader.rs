//! WebDAV's `If` request field (RFC 4918 §10.4), parsed: lists of conditions (a lock's state
//! token `<opaquelocktoken:…>` or an entity-tag `["…"]`, each possibly negated with `Not`),
//! each list about the request's resource or the one its tag (`<URL>`) names. The header is
//! true when any list is; its state tokens are the locks the client says it holds. A field
//! cut short inside its last list is read up to its end (what is cut matches nothing).

use crate::error::{Error, ErrorKind};

/// One condition of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Token(String),
    /// An entity-tag, with its quotes (`"…"`), `W/` dropped.
    Etag(String),
}

/// One list: its resource's tag (`None`: the request's resource) and its conditions, each
/// with whether it is negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub resource: Option<String>,
    pub conds: Vec<(bool, Cond)>,
}

fn bad(why: &str) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("the If field is malformed: {why} (RFC 4918 §10.4)"),
    )
}

/// Parses an `If` field's value.
pub fn parse(value: &str) -> Result<Vec<List>, Error> {
    let mut lists = Vec::new();
    let mut resource = None;
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let (url, after) = after
                .split_once('>')
                .ok_or_else(|| bad("a `<` without its `>`"))?;
            resource = Some(url.to_string());
            rest = after.trim_start();
            continue;
        }
        let Some(after) = rest.strip_prefix('(') else {
            return Err(bad("expected `(` or `<`"));
        };
        // A field cut short inside its last list (litmus cuts it at 200 bytes, inside a long
        // entity-tag) is read up to its end: the cut entity-tag matches none.
        let (inside, after) = after.split_once(')').unwrap_or((after, ""));
        lists.push(List {
            resource: resource.clone(),
            conds: conditions(inside)?,
        });
        rest = after.trim_start();
    }
    if lists.is_empty() {
        return Err(bad("no list"));
    }
    Ok(lists)
}

fn conditions(mut inside: &str) -> Result<Vec<(bool, Cond)>, Error> {
    let mut conds = Vec::new();
    loop {
        inside = inside.trim_start();
        if inside.is_empty() {
            break;
        }
        let not = match inside.get(..3) {
            Some(word) if word.eq_ignore_ascii_case("not") => {
                inside = inside[3..].trim_start();
                true
            }
            _ => false,
        };
        if let Some(after) = inside.strip_prefix('<') {
            let (token, after) = after
                .split_once('>')
                .ok_or_else(|| bad("a `<` without its `>`"))?;
            conds.push((not, Cond::Token(token.to_string())));
            inside = after;
        } else if let Some(after) = inside.strip_prefix('[') {
            let (tag, after) = after.split_once(']').unwrap_or((after, ""));
            let tag = tag.trim();
            conds.push((not, Cond::Etag(tag.strip_prefix("W/").unwrap_or(tag).to_string())));
            inside = after;
        } else {
            return Err(bad("expected a state token `<…>` or an entity-tag `[…]`"));
        }
    }
    if conds.is_empty() {
        return Err(bad("an empty list"));
    }
    Ok(conds)
}

/// Every state token the lists name.
pub fn tokens(lists: &[List]) -> Vec<&str> {
    lists
        .iter()
        .flat_map(|l| l.conds.iter())
        .filter_map(|(_, c)| match c {
            Cond::Token(t) => Some(t.as_str()),
            Cond::Etag(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_tags_tokens_etags_and_not() {
        let lists =
            parse(r#"<http://h/a> (<opaquelocktoken:x> ["e1"]) (Not <DAV:no-lock> [W/"e2"])"#).unwrap();
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[1].resource.as_deref(), Some("http://h/a"));
        assert_eq!(
            lists[1].conds,
            [
                (true, Cond::Token("DAV:no-lock".into())),
                (false, Cond::Etag("\"e2\"".into()))
            ]
        );
        assert_eq!(tokens(&lists), ["opaquelocktoken:x", "DAV:no-lock"]);
        let cut = parse(r#"(<a> ["e1"]) (Not <b> ["e2"#).unwrap();
        assert_eq!(cut[1].conds[1], (false, Cond::Etag("\"e2".into())));
        for bad in ["", "(", "()", "(<x)", "x", "(x)"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
