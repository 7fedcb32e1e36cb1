//! Ghost's filter language (NQL), as API clients write it in `?filter=`:
//! parsed into a tree that the store turns into bound SQL (no value of a
//! client's ever reaches the SQL text).
//!
//! `field:value` is equality; after the colon come `-` (not), `>`, `>=`,
//! `<`, `<=`, `~` (contains), `~^` (starts with), `~$` (ends with), or a
//! list `[a,b]` (any of). Values are `null`, `true`, `false`, whole
//! numbers, `'quoted strings'` (`\'` for a quote), relative times
//! (`now-30d`), or bare literals (`tag:news`). `+` is and, `,` is or (and
//! binds tighter), parentheses group.
//!
//! Bad input is an `NqlError` naming the position and what was expected:
//! API clients answer it with a 400. Length, nesting and the number of
//! conditions are bounded, so no filter can make the parser recurse deep
//! or the query grow large.

use std::fmt;

/// Longest filter read, in bytes.
pub const MAX_LENGTH: usize = 4096;
/// Parentheses nested at most.
const MAX_DEPTH: usize = 8;
/// Conditions in one filter at most (each list value counts).
const MAX_CONDITIONS: usize = 100;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Condition(Condition),
}

impl Filter {
    /// Whether what it matches moves with the clock (`published_at:>now-30d`).
    pub fn depends_on_now(&self) -> bool {
        match self {
            Filter::All(parts) | Filter::Any(parts) => parts.iter().any(Filter::depends_on_now),
            Filter::Condition(c) => c.value.depends_on_now(),
        }
    }
}

/// `field:op value`, possibly negated.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Lowercase, dotted (`tags.slug`, `primary_tag`).
    pub field: String,
    pub negated: bool,
    pub op: Op,
    pub value: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Any of a list.
    In,
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(i64),
    /// A quoted string or a bare literal.
    Text(String),
    /// `now` moved by this many seconds (`now-30d`: −2,592,000).
    Relative(i64),
    List(Vec<Value>),
}

impl Value {
    fn depends_on_now(&self) -> bool {
        match self {
            Value::Relative(_) => true,
            Value::List(values) => values.iter().any(Value::depends_on_now),
            _ => false,
        }
    }
}

/// A filter that is not one, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NqlError {
    /// Byte offset in the filter.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for NqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "The filter could not be read at character {}: {}",
            self.at + 1,
            self.message
        )
    }
}

impl std::error::Error for NqlError {}

/// Parses a filter; an empty one (or only spaces) is `None`.
pub fn parse(input: &str) -> Result<Option<Filter>, NqlError> {
    if input.len() > MAX_LENGTH {
        return Err(NqlError {
            at: 0,
            message: format!("a filter may be at most {MAX_LENGTH} characters long."),
        });
    }
    let mut parser = Parser {
        text: input,
        at: 0,
        depth: 0,
        conditions: 0,
    };
    parser.skip_spaces();
    if parser.at == input.len() {
        return Ok(None);
    }
    let filter = parser.any()?;
    parser.skip_spaces();
    if parser.at < input.len() {
        return Err(parser.error(match parser.peek() {
            Some(')') => "a closing parenthesis without an opening one.".into(),
            _ => format!(
                "expected + (and) or , (or) before {}.",
                parser.describe_next()
            ),
        }));
    }
    Ok(Some(filter))
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
    conditions: usize,
}

/// Characters a bare literal cannot hold.
fn ends_literal(c: char) -> bool {
    c.is_whitespace() || "'\"+,()><=[]".contains(c)
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.at += prefix.len();
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, message: impl Into<String>) -> NqlError {
        NqlError {
            at: self.at,
            message: message.into(),
        }
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            None => "the end of the filter".into(),
            Some(c) => format!("\u{201c}{c}\u{201d}"),
        }
    }

    /// Conditions joined by `,`.
    fn any(&mut self) -> Result<Filter, NqlError> {
        self.joined(",", Self::all, Filter::Any)
    }

    /// Conditions joined by `+`.
    fn all(&mut self) -> Result<Filter, NqlError> {
        self.joined("+", Self::term, Filter::All)
    }

    /// One or more `part`s separated by `joiner`; several are `group`ed.
    fn joined(
        &mut self,
        joiner: &str,
        part: fn(&mut Self) -> Result<Filter, NqlError>,
        group: fn(Vec<Filter>) -> Filter,
    ) -> Result<Filter, NqlError> {
        let mut parts = vec![part(self)?];
        loop {
            self.skip_spaces();
            if !self.eat(joiner) {
                break;
            }
            parts.push(part(self)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            group(parts)
        })
    }

    /// A group in parentheses or one condition.
    fn term(&mut self) -> Result<Filter, NqlError> {
        self.skip_spaces();
        if self.eat("(") {
            if self.depth == MAX_DEPTH {
                return Err(self.error(format!(
                    "parentheses may be nested at most {MAX_DEPTH} deep."
                )));
            }
            self.depth += 1;
            let inner = self.any()?;
            self.skip_spaces();
            if !self.eat(")") {
                return Err(self.error(format!(
                    "expected ) to close the group, found {}.",
                    self.describe_next()
                )));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.condition().map(Filter::Condition)
    }

    fn condition(&mut self) -> Result<Condition, NqlError> {
        let field = self.field()?;
        self.skip_spaces();
        if !self.eat(":") {
            return Err(self.error(format!(
                "expected : after \u{201c}{field}\u{201d}, found {}.",
                self.describe_next()
            )));
        }
        self.skip_spaces();
        let negated = self.eat("-");
        let op = if self.eat("~^") {
            Op::StartsWith
        } else if self.eat("~$") {
            Op::EndsWith
        } else if self.eat("~") {
            Op::Contains
        } else if !negated && self.eat(">=") {
            Op::Gte
        } else if !negated && self.eat("<=") {
            Op::Lte
        } else if !negated && self.eat(">") {
            Op::Gt
        } else if !negated && self.eat("<") {
            Op::Lt
        } else {
            Op::Eq
        };
        self.skip_spaces();
        let value = if self.peek() == Some('[') {
            if op != Op::Eq {
                return Err(self.error("a list [a,b] can only follow : or :-."));
            }
            self.list()?
        } else {
            self.count_condition()?;
            self.value()?
        };
        let op = if matches!(value, Value::List(_)) {
            Op::In
        } else {
            op
        };
        if matches!(op, Op::Contains | Op::StartsWith | Op::EndsWith)
            && !matches!(value, Value::Text(_))
        {
            return Err(self.error("~, ~^ and ~$ compare with text: quote it, as in ~'word'."));
        }
        Ok(Condition {
            field,
            negated,
            op,
            value,
        })
    }

    fn count_condition(&mut self) -> Result<(), NqlError> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(self.error(format!(
                "a filter may compare at most {MAX_CONDITIONS} values."
            )));
        }
        Ok(())
    }

    /// `[a-zA-Z_][a-zA-Z0-9_.]*`, lowercased.
    fn field(&mut self) -> Result<String, NqlError> {
        let start = self.at;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
            _ => {
                return Err(self.error(format!(
                    "expected a field name (such as tag or published_at), found {}.",
                    self.describe_next()
                )));
            }
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.bump();
        }
        Ok(self.text[start..self.at].to_ascii_lowercase())
    }

    fn list(&mut self) -> Result<Value, NqlError> {
        self.eat("[");
        let mut values = Vec::new();
        loop {
            self.skip_spaces();
            self.count_condition()?;
            let value = self.value()?;
            values.push(value);
            self.skip_spaces();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                return Ok(Value::List(values));
            }
            return Err(self.error(format!(
                "expected , or ] in the list, found {}.",
                self.describe_next()
            )));
        }
    }

    fn value(&mut self) -> Result<Value, NqlError> {
        match self.peek() {
            Some('\'') | Some('"') => self.quoted().map(Value::Text),
            Some(c) if !ends_literal(c) && c != '-' => {
                let start = self.at;
                while self.peek().is_some_and(|c| !ends_literal(c)) {
                    self.bump();
                }
                let word = &self.text[start..self.at];
                Ok(literal(word).unwrap_or_else(|| Value::Text(word.to_string())))
            }
            _ => Err(self.error(format!(
                "expected a value (a word, a 'quoted text', a number, true, false or null), found {}.",
                self.describe_next()
            ))),
        }
    }

    /// `'…'` or `"…"`, with `\` escaping the next character.
    fn quoted(&mut self) -> Result<String, NqlError> {
        let start = self.at;
        let quote = self.bump().unwrap_or('\'');
        let mut text = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(NqlError {
                        at: start,
                        message: format!("this quoted text has no closing {quote}."),
                    });
                }
                Some('\\') => match self.bump() {
                    Some(c) => text.push(c),
                    None => return Err(self.error("a \\ at the end escapes nothing.")),
                },
                Some(c) if c == quote => return Ok(text),
                Some(c) => text.push(c),
            }
        }
    }
}

/// The unquoted words that are not text: null, booleans, whole numbers
/// and relative times.
fn literal(word: &str) -> Option<Value> {
    match word.to_ascii_lowercase().as_str() {
        "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse().ok().map(Value::Number);
    }
    relative(word).map(Value::Relative)
}

/// `now`, `now-30d`, `now+2h` (units s, m, h, d, w, M, y) in seconds.
fn relative(word: &str) -> Option<i64> {
    let rest = word.strip_prefix("now")?;
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match rest.as_bytes().first()? {
        b'-' => (-1, &rest[1..]),
        b'+' => (1, &rest[1..]),
        _ => return None,
    };
    let unit = rest.chars().last()?;
    let amount: i64 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'M' => 30 * 86_400,
        'y' => 365 * 86_400,
        _ => return None,
    };
    amount.checked_mul(seconds)?.checked_mul(sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &str) -> Condition {
        match parse(input) {
            Ok(Some(Filter::Condition(c))) => c,
            other => panic!("{input:?} gave {other:?}"),
        }
    }

    fn cond(field: &str, negated: bool, op: Op, value: Value) -> Filter {
        Filter::Condition(Condition {
            field: field.into(),
            negated,
            op,
            value,
        })
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn every_operator() {
        let cases = [
            ("tag:news", false, Op::Eq, text("news")),
            ("tag:-news", true, Op::Eq, text("news")),
            ("featured:true", false, Op::Eq, Value::Bool(true)),
            ("feature_image:null", false, Op::Eq, Value::Null),
            ("feature_image:-null", true, Op::Eq, Value::Null),
            ("reading_time:>5", false, Op::Gt, Value::Number(5)),
            ("reading_time:>=5", false, Op::Gte, Value::Number(5)),
            ("reading_time:<5", false, Op::Lt, Value::Number(5)),
            ("reading_time:<=5", false, Op::Lte, Value::Number(5)),
            (
                "published_at:>'2025-01-01'",
                false,
                Op::Gt,
                text("2025-01-01"),
            ),
            (
                "published_at:>now-30d",
                false,
                Op::Gt,
                Value::Relative(-30 * 86_400),
            ),
            ("title:~'harbour'", false, Op::Contains, text("harbour")),
            ("title:-~'harbour'", true, Op::Contains, text("harbour")),
            ("slug:~^'kald'", false, Op::StartsWith, text("kald")),
            ("slug:~$'vote'", false, Op::EndsWith, text("vote")),
            (
                "tags:[europe,'climate desk']",
                false,
                Op::In,
                Value::List(vec![text("europe"), text("climate desk")]),
            ),
            (
                "tags:-[europe, asia]",
                true,
                Op::In,
                Value::List(vec![text("europe"), text("asia")]),
            ),
        ];
        for (input, negated, op, value) in cases {
            let c = one(input);
            assert_eq!(
                (c.negated, c.op, &c.value),
                (negated, op, &value),
                "{input}"
            );
        }
    }

    #[test]
    fn fields_are_lowercased_and_dotted() {
        assert_eq!(one("Primary_Tag:news").field, "primary_tag");
        assert_eq!(one("authors.slug:ana").field, "authors.slug");
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let parsed = parse("tag:a+featured:true,tag:b").unwrap().unwrap();
        assert_eq!(
            parsed,
            Filter::Any(vec![
                Filter::All(vec![
                    cond("tag", false, Op::Eq, text("a")),
                    cond("featured", false, Op::Eq, Value::Bool(true)),
                ]),
                cond("tag", false, Op::Eq, text("b")),
            ])
        );
        let grouped = parse("tag:a+(featured:true,tag:b)").unwrap().unwrap();
        assert_eq!(
            grouped,
            Filter::All(vec![
                cond("tag", false, Op::Eq, text("a")),
                Filter::Any(vec![
                    cond("featured", false, Op::Eq, Value::Bool(true)),
                    cond("tag", false, Op::Eq, text("b")),
                ]),
            ])
        );
    }

    #[test]
    fn quotes_escape_and_keep_what_is_inside() {
        assert_eq!(
            one(r"title:'it\'s a + b, (c)'").value,
            text("it's a + b, (c)")
        );
        assert_eq!(one("title:\"double\"").value, text("double"));
        assert_eq!(one("slug:a-b-c").value, text("a-b-c"));
        // a number in quotes stays text
        assert_eq!(one("slug:'2025'").value, text("2025"));
    }

    #[test]
    fn spaces_around_operators_are_allowed_and_empty_is_none() {
        assert!(parse("tag:a + tag:b , tag:c").unwrap().is_some());
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn mistakes_say_where_and_what() {
        let cases = [
            ("tag", 3, "expected :"),
            ("tag:", 4, "expected a value"),
            (":news", 0, "expected a field name"),
            ("tag:news+", 9, "expected a field name"),
            ("tag:'news", 4, "no closing '"),
            ("(tag:news", 9, "expected )"),
            ("tag:news)", 8, "closing parenthesis"),
            ("tag:news tag:b", 9, "expected + (and) or , (or)"),
            ("tags:[a,b", 9, "expected , or ]"),
            ("tags:>[a]", 6, "a list"),
            ("title:~5", 8, "quote it"),
            ("tag:->5", 5, "expected a value"),
        ];
        for (input, at, says) in cases {
            let e = parse(input).expect_err(input);
            assert_eq!(e.at, at, "{input}: {e}");
            assert!(e.message.contains(says), "{input}: {e}");
        }
    }

    #[test]
    fn limits_hold() {
        let deep = format!("{}tag:a{}", "(".repeat(9), ")".repeat(9));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
        let shallow = format!("{}tag:a{}", "(".repeat(8), ")".repeat(8));
        assert!(parse(&shallow).is_ok());
        let many = vec!["tag:a"; 101].join(",");
        assert!(parse(&many).unwrap_err().message.contains("at most 100"));
        let long = format!("title:'{}'", "a".repeat(MAX_LENGTH));
        assert!(
            parse(&long)
                .unwrap_err()
                .message
                .contains("characters long")
        );
    }

    #[test]
    fn relative_times() {
        assert_eq!(relative("now"), Some(0));
        assert_eq!(relative("now+2h"), Some(7_200));
        assert_eq!(relative("now-1w"), Some(-604_800));
        assert_eq!(relative("now-1x"), None);
        assert_eq!(relative("now-99999999999999999y"), None);
        assert_eq!(one("published_at:<now").value, Value::Relative(0));
    }

    #[test]
    fn filters_on_the_clock_are_told_apart() {
        let moves = |text: &str| parse(text).unwrap().unwrap().depends_on_now();
        assert!(moves("published_at:>now-30d"));
        assert!(moves("tag:news+(featured:true,published_at:<now)"));
        assert!(!moves("tag:news+published_at:>'2025-01-01'"));
        assert!(!moves("tag:[news,europe]"));
    }

    /// Fuzzing: random filters from NQL's own characters (and a few
    /// others, multibyte included) never panic, and every error points
    /// inside the input.
    #[test]
    fn random_filters_never_panic() {
        let alphabet: Vec<char> = "tag:news-~^$><=[],+()'\"\\ 0123456789abnowdé✓\u{0}"
            .chars()
            .collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let length = (next() % 40) as usize;
            let input: String = (0..length)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if let Err(e) = parse(&input) {
                assert!(e.at <= input.len(), "{input:?}: {e}");
                assert!(input.is_char_boundary(e.at), "{input:?}: {e}");
            }
        }
    }
}
