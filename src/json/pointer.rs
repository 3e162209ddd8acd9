//! RFC 6901 JSON Pointers, the `path` of every problem.

/// Appends one reference token to `pointer`, escaping `~` as `~0` and `/` as `~1`.
pub fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for ch in token.chars() {
        match ch {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            _ => pointer.push(ch),
        }
    }
}

/// Builds a pointer from its tokens: `pointer(&["parameters", "members", "3"])`.
pub fn pointer(tokens: &[&str]) -> String {
    let mut out = String::new();
    for token in tokens {
        push_token(&mut out, token);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_rfc_6901_says() {
        assert_eq!(pointer(&[]), "");
        assert_eq!(pointer(&["parameters", "members", "3"]), "/parameters/members/3");
        assert_eq!(pointer(&["a/b", "m~n", ""]), "/a~1b/m~0n/");
    }
}
