//! Problems found in input: returned as data, never thrown.
//!
//! Every problem has a stable snake_case `code` (part of the public contract: users match
//! on it), an RFC 6901 JSON Pointer `path` into the input, a human `message`, and where the
//! input was text, the byte `offset` plus 1-based `line` and `column` (counted in Unicode
//! characters) of the spot. The JSON reader reports in these terms, and the writer
//! writes them (`json::writer`).

/// The stable identifiers of everything the validators can find wrong (or odd) in input.
///
/// Adding a code is fine; renaming or removing one breaks users who match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    // The body as a whole.
    EmptyBody,
    BodyTooLarge,
    InvalidUtf8,
    InvalidJson,
    NestingTooDeep,
    ByteOrderMark,
    // Shape.
    NotAnObject,
    MissingField,
    WrongType,
    EmptyString,
    DuplicateKey,
    UnknownField,
    LoneSurrogate,
    // Meaning.
    UnknownAction,
    NotAnInteger,
    PageOutOfRange,
    TooManyMembers,
    DuplicateMember,
    LongId,
    TooManyProblems,
    InvalidArgument,
    // What the real sender does that its docs do not say.
    NoPageInfo,
    ReservedDistinctId,
    TooLong,
    /// A character no store can keep in an id (U+0000).
    ForbiddenCharacter,
}

impl ProblemCode {
    /// The code as users see it (`"missing_field"`).
    pub fn as_str(self) -> &'static str {
        use ProblemCode::*;
        match self {
            EmptyBody => "empty_body",
            BodyTooLarge => "body_too_large",
            InvalidUtf8 => "invalid_utf8",
            InvalidJson => "invalid_json",
            NestingTooDeep => "nesting_too_deep",
            ByteOrderMark => "byte_order_mark",
            NotAnObject => "not_an_object",
            MissingField => "missing_field",
            WrongType => "wrong_type",
            EmptyString => "empty_string",
            DuplicateKey => "duplicate_key",
            UnknownField => "unknown_field",
            LoneSurrogate => "lone_surrogate",
            UnknownAction => "unknown_action",
            NotAnInteger => "not_an_integer",
            PageOutOfRange => "page_out_of_range",
            TooManyMembers => "too_many_members",
            DuplicateMember => "duplicate_member",
            LongId => "long_id",
            TooManyProblems => "too_many_problems",
            InvalidArgument => "invalid_argument",
            NoPageInfo => "no_page_info",
            ReservedDistinctId => "reserved_distinct_id",
            TooLong => "too_long",
            ForbiddenCharacter => "forbidden_character",
        }
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with (or worth knowing about) an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: ProblemCode,
    /// RFC 6901 JSON Pointer; `""` is the whole document.
    pub path: String,
    pub message: String,
    /// 1-based line of the spot, when the input was text.
    pub line: Option<u32>,
    /// 1-based column of the spot, in Unicode characters.
    pub column: Option<u32>,
    /// Byte offset of the spot in the UTF-8 input.
    pub offset: Option<u64>,
}

impl Problem {
    pub fn new(code: ProblemCode, path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { code, path: path.into(), message: message.into(), line: None, column: None, offset: None }
    }

    /// The same problem, pinned to a byte offset of the input (line and column are filled
    /// in later, all at once, by [`crate::json::position::locate`]).
    pub fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset as u64);
        self
    }
}

/// A bounded list of problems: hostile input can hold a million mistakes, and a report
/// of a million entries helps nobody. Past `limit` entries, one `too_many_problems`
/// entry says how many more there were.
#[derive(Debug, Clone)]
pub struct ProblemList {
    items: Vec<Problem>,
    limit: usize,
    dropped: usize,
}

/// How many problems of one severity a report lists before it summarises the rest.
pub const DEFAULT_PROBLEM_LIMIT: usize = 100;

impl Default for ProblemList {
    fn default() -> Self {
        ProblemList::with_limit(DEFAULT_PROBLEM_LIMIT)
    }
}

impl ProblemList {
    pub fn with_limit(limit: usize) -> Self {
        ProblemList { items: Vec::new(), limit, dropped: 0 }
    }

    pub fn push(&mut self, problem: Problem) {
        if self.items.len() < self.limit {
            self.items.push(problem);
        } else {
            self.dropped += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.dropped == 0
    }

    pub fn items_mut(&mut self) -> &mut Vec<Problem> {
        &mut self.items
    }

    /// The listed problems, followed by a `too_many_problems` entry when some were dropped.
    pub fn finish(mut self) -> Vec<Problem> {
        if self.dropped > 0 {
            self.items.push(Problem::new(
                ProblemCode::TooManyProblems,
                "",
                format!("{} more problems of this kind were found but not listed", self.dropped),
            ));
        }
        self.items
    }
}
