//! The GitHub twin (issues, comments, labels, sub-issues, rate limits, webhooks).
