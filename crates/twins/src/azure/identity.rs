//! People of the emulated organization: resolving what a client writes into an identity field
//! (`"Name <mail>"`, a mail, a display name, an identity ref object) and rendering identity refs.

use serde_json::{Value, json};
use uuid::Uuid;

use super::errors::AzureError;

/// One person of the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Stable id (derived from the mail, so the same person keeps the same id across resets).
    pub id: Uuid,
    /// The name people see (`Alice Smith`).
    pub display_name: String,
    /// The sign-in name, usually a mail (`alice@contoso.com`).
    pub unique_name: String,
}

impl Identity {
    /// A person from a display name and a mail.
    pub fn new(display_name: &str, unique_name: &str) -> Identity {
        let key = unique_name.to_ascii_lowercase();
        Identity {
            id: super::store::stable_uuid(&format!("mailto:{key}")),
            display_name: display_name.to_string(),
            unique_name: unique_name.to_string(),
        }
    }

    /// Parses `Name <mail>` or a bare mail (`alice.smith@x` becomes `Alice Smith`).
    pub fn parse(text: &str) -> Option<Identity> {
        let text = text.trim();
        if let (Some(open), true) = (text.find('<'), text.ends_with('>')) {
            let mail = text[open + 1..text.len() - 1].trim();
            let name = text[..open].trim();
            if mail.contains('@') {
                let name = if name.is_empty() { name_from_mail(mail) } else { name.to_string() };
                return Some(Identity::new(&name, mail));
            }
            return None;
        }
        if text.contains('@') && !text.contains(' ') {
            return Some(Identity::new(&name_from_mail(text), text));
        }
        None
    }

    /// `Name <mail>`, the form service hooks and WIQL use.
    pub fn combo(&self) -> String {
        if self.unique_name.is_empty() {
            self.display_name.clone()
        } else {
            format!("{} <{}>", self.display_name, self.unique_name)
        }
    }

    /// The identity descriptor (`aad.…`).
    pub fn descriptor(&self) -> String {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(self.id.as_bytes());
        format!("aad.{encoded}")
    }

    /// The `IdentityRef` the REST API returns, with links under `base` (`http://127.0.0.1:P/org`).
    pub fn to_ref(&self, base: &str) -> Value {
        let descriptor = self.descriptor();
        json!({
            "displayName": self.display_name,
            "url": format!("{base}/_apis/Identities/{}", self.id),
            "_links": { "avatar": { "href": format!("{base}/_apis/GraphProfile/MemberAvatars/{descriptor}") } },
            "id": self.id.to_string(),
            "uniqueName": self.unique_name,
            "imageUrl": format!("{base}/_api/_common/identityImage?id={}", self.id),
            "descriptor": descriptor,
        })
    }

    /// Reads back an identity from a stored `IdentityRef`.
    pub fn from_ref(value: &Value) -> Option<Identity> {
        let display = value.get("displayName")?.as_str()?;
        let unique = value.get("uniqueName").and_then(Value::as_str).unwrap_or("");
        let mut identity = Identity::new(display, unique);
        if let Some(id) = value.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()) {
            identity.id = id;
        }
        Some(identity)
    }

    /// Whether `text` names this person (display name, mail or `Name <mail>`, any case).
    pub fn answers_to(&self, text: &str) -> bool {
        let text = text.trim();
        text.eq_ignore_ascii_case(&self.display_name)
            || (!self.unique_name.is_empty() && text.eq_ignore_ascii_case(&self.unique_name))
            || text.eq_ignore_ascii_case(&self.combo())
    }
}

fn name_from_mail(mail: &str) -> String {
    let local = mail.split('@').next().unwrap_or(mail);
    local
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The people the twin knows: whoever was seeded or has written, plus anyone named by mail.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    people: Vec<Identity>,
    /// Whether anyone named by mail joins (the seed, as people added to the organization); the
    /// API itself only accepts members, as the service does.
    pub open: bool,
}

impl Directory {
    /// Adds (or returns the known) person with this identity's mail.
    pub fn register(&mut self, identity: Identity) -> Identity {
        if let Some(known) = self
            .people
            .iter()
            .find(|p| !identity.unique_name.is_empty() && p.unique_name.eq_ignore_ascii_case(&identity.unique_name))
        {
            return known.clone();
        }
        self.people.push(identity.clone());
        identity
    }

    /// Resolves what a client wrote into an identity field.
    ///
    /// Only members resolve (by display name, mail or `Name <mail>`): anyone else is the
    /// service's TF401320 rule error, unless the directory is `open` (seeding), where a mail
    /// joins. With `bypass_rules` any text is stored as a name-only identity, as the service does.
    pub fn resolve(&mut self, value: &Value, field: &str, bypass_rules: bool) -> Result<Identity, AzureError> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Object(_) => {
                if let Some(unique) = value.get("uniqueName").and_then(Value::as_str)
                    && let Some(known) = self.people.iter().find(|p| p.unique_name.eq_ignore_ascii_case(unique))
                {
                    return Ok(known.clone());
                }
                let unknown = || invalid_identity(field, &value.to_string());
                let identity = Identity::from_ref(value).ok_or_else(unknown)?;
                return if self.open { Ok(self.register(identity)) } else { Err(unknown()) };
            }
            other => other.to_string(),
        };
        if let Some(known) = self.people.iter().find(|p| p.answers_to(&text)) {
            return Ok(known.clone());
        }
        if let Some(parsed) = Identity::parse(&text) {
            // A member named by mail, whatever display name comes with it.
            if let Some(known) = self.people.iter().find(|p| p.unique_name.eq_ignore_ascii_case(&parsed.unique_name)) {
                return Ok(known.clone());
            }
            if self.open {
                return Ok(self.register(parsed));
            }
        }
        if bypass_rules {
            return Ok(Identity { id: Uuid::nil(), display_name: text, unique_name: String::new() });
        }
        Err(invalid_identity(field, &text))
    }
}

fn invalid_identity(field: &str, text: &str) -> AzureError {
    AzureError::RuleViolation {
        field: field.to_string(),
        reference: field.to_string(),
        flags: "HasValues, LimitedToValues, AllowsOldValue, InvalidIdentity".to_string(),
        detail: format!("The identity value '{text}' for field '{field}' is an unknown identity."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        let cases = [
            ("Alice Smith <alice@contoso.com>", Some(("Alice Smith", "alice@contoso.com"))),
            ("bob.jones@contoso.com", Some(("Bob Jones", "bob.jones@contoso.com"))),
            ("<carol@contoso.com>", Some(("Carol", "carol@contoso.com"))),
            ("Just A Name", None),
            ("Name <not-a-mail>", None),
        ];
        for (text, want) in cases {
            let got = Identity::parse(text).map(|i| (i.display_name, i.unique_name));
            assert_eq!(got, want.map(|(a, b)| (a.to_string(), b.to_string())), "{text}");
        }
    }

    #[test]
    fn resolves_known_names_and_refuses_unknown_ones() {
        let mut dir = Directory::default();
        let err = dir.resolve(&json!("Alice <alice@contoso.com>"), "System.AssignedTo", false).unwrap_err();
        assert!(err.to_string().starts_with("TF401320"), "not a member: {err}");
        dir.register(Identity::new("Alice", "alice@contoso.com"));
        let alice = dir.resolve(&json!("Alice <alice@contoso.com>"), "System.AssignedTo", false).unwrap();
        assert_eq!(dir.resolve(&json!("alice"), "System.AssignedTo", false).unwrap(), alice);
        assert_eq!(dir.resolve(&json!("ALICE@contoso.com"), "System.AssignedTo", false).unwrap(), alice);
        let object = alice.to_ref("http://x/org");
        assert_eq!(dir.resolve(&object, "System.AssignedTo", false).unwrap(), alice);
        let err = dir.resolve(&json!("Nobody Known"), "System.AssignedTo", false).unwrap_err();
        assert!(err.to_string().starts_with("TF401320"));
        let loose = dir.resolve(&json!("Invalid Value"), "System.AssignedTo", true).unwrap();
        assert_eq!(loose.display_name, "Invalid Value");
    }

    #[test]
    fn identity_ref_round_trips() {
        let bob = Identity::new("Bob", "bob@contoso.com");
        let r = bob.to_ref("http://127.0.0.1:1/contoso");
        assert_eq!(r["uniqueName"], "bob@contoso.com");
        assert!(r["descriptor"].as_str().unwrap().starts_with("aad."));
        assert_eq!(Identity::from_ref(&r), Some(bob.clone()));
        assert_eq!(bob.combo(), "Bob <bob@contoso.com>");
    }
}
