//! A submitted desk form as name/value pairs, for forms of many parts:
//! repeated names (the ordered author choices) keep their order, and a
//! missing field reads as empty. Read through
//! [`super::session::CheckedForm`], which checks the session's token first.

use serde::{Deserialize, Deserializer};

pub struct Fields(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<(String, String)>::deserialize(deserializer).map(Fields)
    }
}

impl Fields {
    /// The first value of `name`, or "" when the form had none.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`, in the order sent.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every value of `name`, empty ones too, in the order sent (the rows
    /// of a table of inputs, which line up by their place).
    pub fn every(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}
