//! Page-number pagination as GitHub does it: `per_page` (default 30, at most 100), `page`
//! (default 1), and the `Link` header with `prev`, `next`, `last`, `first` in that order.

/// The page asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub per_page: usize,
    pub page: usize,
}

impl PageRequest {
    /// Reads `per_page` and `page` from query pairs, as GitHub reads them: missing or unreadable
    /// values take the default, `per_page` is capped at 100 and `page` is at least 1.
    pub fn from_query(query: &[(String, String)]) -> PageRequest {
        let get = |name: &str| query.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse::<usize>().ok());
        PageRequest { per_page: get("per_page").unwrap_or(30).clamp(1, 100), page: get("page").unwrap_or(1).max(1) }
    }

    /// The index range of this page within `total` items.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = start.saturating_add(self.per_page).min(total);
        start..end
    }

    /// The `Link` header for this page of `total` items at `url` (no query), keeping the other
    /// query parameters in their order; `None` when everything fits on one page.
    pub fn link_header(&self, url: &str, query: &[(String, String)], total: usize) -> Option<String> {
        let last = total.div_ceil(self.per_page).max(1);
        if last == 1 && self.page == 1 {
            return None;
        }
        let link = |page: usize, rel: &str| {
            let mut pairs: Vec<String> = query
                .iter()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            pairs.push(format!("page={page}"));
            format!("<{url}?{}>; rel=\"{rel}\"", pairs.join("&"))
        };
        let mut links = Vec::new();
        if self.page > 1 {
            links.push(link((self.page - 1).min(last), "prev"));
        }
        if self.page < last {
            links.push(link(self.page + 1, "next"));
            links.push(link(last, "last"));
        }
        if self.page > 1 {
            links.push(link(1, "first"));
        }
        Some(links.join(", "))
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b':' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Parses a raw query string into decoded pairs, keeping their order.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn page_requests_default_and_cap_like_github() {
        let cases = [
            (vec![], 30, 1),
            (vec![("per_page", "100"), ("page", "3")], 100, 3),
            (vec![("per_page", "500")], 100, 1),
            (vec![("per_page", "abc"), ("page", "0")], 30, 1),
        ];
        for (query, per_page, page) in cases {
            let request = PageRequest::from_query(&q(&query));
            assert_eq!((request.per_page, request.page), (per_page, page), "{query:?}");
        }
    }

    #[test]
    fn link_header_table() {
        let url = "http://h/repos/o/r/issues";
        let query = q(&[("state", "all"), ("per_page", "100"), ("page", "2")]);
        let at = |page| PageRequest { per_page: 100, page };
        assert_eq!(at(1).link_header(url, &query, 100), None);
        assert_eq!(at(1).link_header(url, &query, 0), None);
        assert_eq!(
            at(1).link_header(url, &query, 250).unwrap(),
            "<http://h/repos/o/r/issues?state=all&per_page=100&page=2>; rel=\"next\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=3>; rel=\"last\""
        );
        assert_eq!(
            at(2).link_header(url, &query, 250).unwrap(),
            "<http://h/repos/o/r/issues?state=all&per_page=100&page=1>; rel=\"prev\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=3>; rel=\"next\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=3>; rel=\"last\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=1>; rel=\"first\""
        );
        assert_eq!(
            at(3).link_header(url, &query, 250).unwrap(),
            "<http://h/repos/o/r/issues?state=all&per_page=100&page=2>; rel=\"prev\", \
             <http://h/repos/o/r/issues?state=all&per_page=100&page=1>; rel=\"first\""
        );
        assert_eq!(at(3).range(250), 200..250);
        assert_eq!(at(4).range(250), 250..250);
    }

    #[test]
    fn queries_round_trip() {
        let pairs = parse_query(Some("labels=good%20first%20issue,bug&since=2024-01-01T00:00:00Z"));
        assert_eq!(pairs[0].1, "good first issue,bug");
        assert_eq!(encode(&pairs[0].1), "good%20first%20issue,bug");
        assert_eq!(pairs[1].1, "2024-01-01T00:00:00Z");
    }
}
