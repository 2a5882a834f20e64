//! Atomicity: does a story's activity join two actions ("add or remove members",
//! "enter my zip code and get a list")? A single action on two objects ("see dates and times")
//! is one thing and passes. Tuned against the labelled references in `tests/story_data.rs`.

/// Two actions found joined in one activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedActions {
    /// How they are written, e.g. `add` and `remove`, or `query` and `report` for `query/report`.
    pub first: String,
    pub second: String,
    /// The joining word: `and`, `or`, `&`, `then` or `/`.
    pub joiner: &'static str,
}

/// Base-form verbs people use in activities. Sorted: looked up with a binary search.
#[rustfmt::skip]
const VERBS: &[&str] = &[
    "accept", "access", "activate", "add", "adjust", "aggregate", "allow", "analyse", "analyze",
    "answer", "apply", "approve", "archive", "arrange", "ask", "assign", "attach", "attend",
    "authorise", "authorize", "block", "book", "bookmark", "browse", "build", "buy", "calculate",
    "call", "cancel", "capture", "change", "chat", "check", "choose", "claim", "clear", "click",
    "close", "collect", "combine", "comment", "communicate", "compare", "complete", "compose",
    "conduct", "configure", "confirm", "connect", "contact", "control", "convert", "convey", "copy",
    "correct", "create", "customise", "customize", "deactivate", "decide", "define", "delete",
    "deny", "deploy", "describe", "design", "detect", "determine", "develop", "disable", "discover",
    "discuss", "dismiss", "display", "distribute", "do", "download", "draft", "drag", "edit",
    "email", "enable", "enter", "estimate", "evaluate", "examine", "execute", "explore", "export",
    "extend", "fetch", "fill", "filter", "find", "finish", "fix", "flag", "follow", "forward",
    "generate", "get", "give", "go", "grant", "hide", "identify", "implement", "import", "improve",
    "include", "inform", "insert", "inspect", "install", "integrate", "invite", "issue", "join",
    "keep", "know", "label", "launch", "learn", "leave", "link", "list", "load", "locate", "lock",
    "log", "login", "logout", "maintain", "make", "manage", "mark", "measure", "merge", "migrate",
    "modify", "monitor", "move", "navigate", "notify", "obtain", "open", "organise", "organize",
    "pay", "perform", "pick", "plan", "play", "post", "prepare", "present", "preview", "print",
    "prioritise", "prioritize", "process", "provide", "publish", "purchase", "put", "query", "rate",
    "read", "receive", "record", "recover", "register", "reject", "remove", "rename", "reopen",
    "reorder", "reply", "report", "request", "reschedule", "research", "reset", "resolve",
    "respond", "restore", "restrict", "resubmit", "retrieve", "return", "reuse", "review", "revoke",
    "run", "save", "scan", "schedule", "search", "see", "select", "sell", "send", "set", "share",
    "show", "sign", "sort", "specify", "start", "stop", "store", "submit", "subscribe", "suggest",
    "support", "suspend", "switch", "sync", "synchronise", "synchronize", "tag", "take", "test",
    "track", "transfer", "translate", "trigger", "turn", "undo", "unlock", "unsubscribe", "update",
    "upgrade", "upload", "use", "validate", "verify", "view", "visit", "vote", "watch", "withdraw",
    "write",
];

/// Pairs that read as one action: "drag and drop", "copy/paste", "turn on/off".
#[rustfmt::skip]
const ONE_THING: &[(&str, &str)] = &[
    ("and", "or"), ("check", "out"), ("copy", "paste"), ("cut", "paste"), ("drag", "drop"),
    ("find", "replace"), ("he", "she"), ("his", "her"), ("i", "o"), ("in", "out"),
    ("input", "output"), ("on", "off"), ("pass", "fail"), ("pick", "choose"), ("plug", "play"),
    ("read", "write"), ("search", "replace"), ("true", "false"), ("yes", "no"),
];

/// Words after a joined verb that show it is used as a verb: an object's determiner, a pronoun,
/// a particle.
#[rustfmt::skip]
const OBJECT_STARTS: &[&str] = &[
    "a", "about", "across", "all", "an", "another", "any", "around", "away", "back", "down", "each",
    "every", "from", "her", "him", "his", "how", "if", "in", "into", "it", "its", "me", "more",
    "my", "new", "off", "on", "other", "our", "out", "over", "some", "that", "the", "their", "them",
    "these", "this", "those", "through", "up", "us", "what", "whether", "which", "who", "with",
    "your",
];

/// Particles that may follow the head verb before the joiner: "prepare for and support".
#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "back", "down", "for", "in", "into", "off", "on", "out", "through", "up", "with",
];

/// Words skipped before a verb: "successfully conduct", "and then send", "and also see".
fn is_adverb(w: &str) -> bool {
    (w.len() > 4 && w.ends_with("ly"))
        || matches!(w, "also" | "always" | "just" | "only" | "still" | "then" | "first" | "later" | "directly")
}

fn is_verb(w: &str) -> bool {
    VERBS.binary_search(&w).is_ok()
}

fn is_one_thing(a: &str, b: &str) -> bool {
    ONE_THING.iter().any(|&(x, y)| (x == a && y == b) || (x == b && y == a))
}

/// A word token (lowercased) or one separator character.
fn tokens(lower: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in lower.char_indices() {
        let word = c.is_alphanumeric() || c == '\'' || c == '’' || c == '-';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&lower[s..i]);
                start = None;
            }
            _ => {}
        }
        if !word && matches!(c, ',' | ';' | '&' | '/' | '(' | ')' | '{' | '}' | '.') {
            out.push(&lower[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&lower[s..]);
    }
    out
}

/// The two actions the activity joins, if it joins two.
pub fn joined_actions(activity: &str) -> Option<JoinedActions> {
    let lower = activity.to_lowercase();
    joined_by_word(&lower).or_else(|| two_things_wanted(&lower)).or_else(|| joined_by_slash(activity))
}

/// Words that end a noun phrase: prepositions, relative words, infinitives.
#[rustfmt::skip]
const PHRASE_ENDS: &[&str] = &[
    "about", "after", "at", "by", "for", "from", "in", "into", "like", "of", "on", "so", "such",
    "than", "that", "to", "where", "which", "while", "who", "whose", "with", "within", "without",
];

/// "have a great UI and UX", "have access to user stats and schedules": wanting to have two
/// things is two stories. Only when the things follow `have` directly (no preposition, relative
/// clause or verb in between), so "have a dashboard that shows stats and locations" and "have the
/// application work in IE 6 and 7" pass.
fn two_things_wanted(lower: &str) -> Option<JoinedActions> {
    let toks = tokens(lower);
    let head = toks.iter().position(|w| !is_adverb(w))?;
    if toks[head] != "have" {
        return None;
    }
    let mut i = head + 1;
    if toks.get(i..i + 2) == Some(&["access", "to"]) {
        i += 2;
    }
    let start = i;
    while let Some(&w) = toks.get(i) {
        if matches!(w, "and" | "&") {
            break;
        }
        let ends = PHRASE_ENDS.contains(&w) || w.ends_with("ing") || w.ends_with("ed");
        if ends || !w.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-') {
            return None;
        }
        i += 1;
    }
    let first = *toks.get(i.checked_sub(1)?).filter(|_| i > start)?;
    let second = *toks.get(i + 1)?;
    let noun = |w: &str| w.chars().all(char::is_alphabetic) && !OBJECT_STARTS.contains(&w) && !is_verb(w);
    (noun(first) && noun(second) && !is_one_thing(first, second)).then(|| JoinedActions {
        first: first.to_string(),
        second: second.to_string(),
        joiner: if toks[i] == "&" { "&" } else { "and" },
    })
}

/// "add or remove", "enter my zip code and get a list", "research X and to select Y".
fn joined_by_word(lower: &str) -> Option<JoinedActions> {
    let toks = tokens(lower);
    let head = toks.iter().position(|w| !is_adverb(w))?;
    for (i, &tok) in toks.iter().enumerate().skip(head + 1) {
        let joiner = match tok {
            "and" => "and",
            "or" => "or",
            "&" => "&",
            "then" if toks[i - 1] == "," => "then",
            _ => continue,
        };
        // The word after the joiner ("and/or" counts once), past adverbs; "and to select" is an
        // action as well.
        let mut j = i + 1;
        if tok == "and" && toks.get(j..j + 2) == Some(&["/", "or"]) {
            j += 2;
        }
        while toks.get(j).is_some_and(|w| is_adverb(w)) {
            j += 1;
        }
        let to_infinitive = toks.get(j) == Some(&"to");
        if to_infinitive {
            j += 1;
        }
        let Some(&second) = toks.get(j) else { continue };
        let left = toks[i - 1];
        if is_one_thing(left, second) {
            continue;
        }
        let next = toks.get(j + 1).copied();
        let starts_object = next.is_some_and(|n| OBJECT_STARTS.contains(&n));
        let verb_chain = verb_chain_from_head(&toks[head..i]);
        let after_to = toks[..i].ends_with(&["to", left]) && is_verb(left);
        let joined = is_verb(second) && (to_infinitive || starts_object || verb_chain || after_to);
        if joined {
            let first = first_verb(&toks[head..i]);
            return Some(JoinedActions { first: first.to_string(), second: second.to_string(), joiner });
        }
    }
    None
}

/// The tokens between the head verb and the joiner are only verbs, commas and particles:
/// "conduct", "prepare for", "filter , sort".
fn verb_chain_from_head(run: &[&str]) -> bool {
    is_verb(run[0])
        && run[1..].iter().enumerate().all(|(k, w)| *w == "," || is_verb(w) || (k == 0 && PARTICLES.contains(w)))
}

/// The first verb before the joiner (for the message), or the head word.
fn first_verb<'a>(run: &[&'a str]) -> &'a str {
    run.iter().find(|w| is_verb(w)).copied().unwrap_or(run[0])
}

/// "query/report": two words joined by a slash leave open which one is meant.
fn joined_by_slash(activity: &str) -> Option<JoinedActions> {
    activity.split_whitespace().find_map(|word| {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '/');
        let (a, b) = word.split_once('/')?;
        let plain = |s: &str| s.chars().count() >= 2 && s.chars().all(|c| c.is_alphabetic() || c == '-');
        if b.contains('/') || !plain(a) || !plain(b) {
            return None;
        }
        let (la, lb) = (a.to_lowercase(), b.to_lowercase());
        let same_word = |x: &str, y: &str| y.strip_prefix(x).is_some_and(|rest| matches!(rest, "" | "s" | "es"));
        (!is_one_thing(&la, &lb) && !same_word(&la, &lb) && !same_word(&lb, &la)).then(|| JoinedActions {
            first: a.to_string(),
            second: b.to_string(),
            joiner: "/",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_sorted_for_binary_search() {
        assert!(VERBS.windows(2).all(|w| w[0] < w[1]), "keep VERBS sorted and unique");
    }

    #[test]
    fn finds_two_joined_actions() {
        let cases = [
            ("add and remove members", "add", "remove", "and"),
            ("Add or Remove recycling facilities", "add", "remove", "or"),
            ("create an account and log in", "create", "log", "and"),
            ("enter my zip code and get a list of facilities", "enter", "get", "and"),
            ("research requirements and to select a service", "research", "select", "and"),
            ("Prepare for and Support Hearing Execution", "prepare", "support", "and"),
            ("successfully Conduct a Plan Review Meeting and record the outcome", "conduct", "record", "and"),
            ("have ALFRED to detect falls and send an alert", "detect", "send", "and"),
            ("filter, sort and aggregate data", "filter", "aggregate", "and"),
            ("select a card, then confirm it", "select", "confirm", "then"),
            ("to create and use dataset instances", "create", "use", "and"),
            ("check the history and also keep a record of it", "check", "keep", "and"),
            ("create a custom query/report", "query", "report", "/"),
            ("export the file and/or print it", "export", "print", "and"),
            ("have a great UI and UX from the sites", "ui", "ux", "and"),
            ("have access to user stats and schedules", "stats", "schedules", "and"),
            ("have clear instructions and service after sales", "instructions", "service", "and"),
        ];
        for (activity, first, second, joiner) in cases {
            let got = joined_actions(activity).unwrap_or_else(|| panic!("no joined actions in {activity:?}"));
            assert_eq!(
                (got.first.to_lowercase().as_str(), got.second.to_lowercase().as_str(), got.joiner),
                (first, second, joiner),
                "{activity}"
            );
        }
    }

    #[test]
    fn one_action_on_two_objects_is_atomic() {
        for activity in [
            "see dates and times in my local timezone",
            "scroll back through the stories and estimates from prior rounds",
            "log in using my account name and password",
            "create a new game by entering a name and an optional description",
            "enter my name and email address",
            "have the application work in Internet Explorer 6 and 7",
            "change my estimate until the last person selects a card and all are shown",
            "select an item to be estimated or re-estimated",
            "copy/paste stories from a spreadsheet",
            "drag and drop cards",
            "turn on/off the lights",
            "update my dataset as the source file/files change",
            "see a list and map of the sites",
            "send it to Bob and to Alice",
            "decide whether or not the aggregator works",
            "invite up to 15 estimators",
            "meet with DIS / cloud.gov",
            "have a dashboard that shows usage stats and locations",
            "have the application function correctly in Internet Explorer 6 and 7",
            "have written a site which is compliant with XHTML and CSS standards",
            "have a prioritized list of features and elements of a page",
            "have alfred on all my computers, tablets and phone",
            "have the api to be well defined and well documented",
            "",
        ] {
            assert_eq!(joined_actions(activity), None, "{activity}");
        }
    }
}
