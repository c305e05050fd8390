//! Safe redirects: `next=` parameters may only point inside Recourse (no open redirects).

/// Returns `next` when it is a local path (`/…` but not `//…` or `/\…`), else `None`.
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_accepted() {
        assert_eq!(local_path("/rules?x=1"), Some("/rules?x=1"));
        for bad in
            ["//evil.example", "/\\evil.example", "https://evil.example", "", "rules", "/a\r\nSet-Cookie: x"]
        {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
