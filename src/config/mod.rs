//! Layered settings (defaults < file < environment), validated, secrets redacted.
