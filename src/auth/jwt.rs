//! RS256 JSON web tokens signed with an RSA private key read from PEM (PKCS#1 as GitHub hands it
//! out, or PKCS#8), and the SHA-1 / SHA-256 thumbprints of a certificate for Entra ID assertions.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

/// An RSA private key that signs RS256 tokens. Its `Debug` never shows the key.
pub struct SigningKey {
    pair: RsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl SigningKey {
    /// Reads a PEM private key (`RSA PRIVATE KEY` or `PRIVATE KEY`). The error says what is
    /// wrong without quoting the text.
    pub fn from_pem(pem: &[u8]) -> Result<SigningKey, String> {
        let der = PrivateKeyDer::from_pem_slice(pem)
            .map_err(|_| "it holds no PEM private key (`-----BEGIN RSA PRIVATE KEY-----`)".to_string())?;
        let pair = match &der {
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            _ => return Err("it holds an elliptic-curve key; an RSA key (2048 bits or more) is needed".into()),
        }
        .map_err(|e| format!("it is not a usable RSA private key ({e})"))?;
        Ok(SigningKey { pair })
    }

    /// `header.claims.signature`, with `alg: RS256` added to `header`.
    pub fn sign(&self, mut header: Value, claims: &Value) -> Result<String, String> {
        header["alg"] = Value::from("RS256");
        header["typ"] = Value::from("JWT");
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), input.as_bytes(), &mut signature)
            .map_err(|_| "the key could not sign".to_string())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The `x5t` (SHA-1) and `x5t#S256` thumbprints of the first certificate in `pem`, base64url.
pub fn thumbprints(pem: &[u8]) -> Result<(String, String), String> {
    let cert = CertificateDer::from_pem_slice(pem)
        .map_err(|_| "it holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)".to_string())?;
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.as_ref());
    let sha256 = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    Ok((URL_SAFE_NO_PAD.encode(sha1.as_ref()), URL_SAFE_NO_PAD.encode(sha256.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../tests/fixtures/auth/app-key.pem");
    const CERT: &str = include_str!("../../tests/fixtures/auth/entra-cert.pem");

    #[test]
    fn signs_a_token_whose_parts_decode() {
        let key = SigningKey::from_pem(KEY.as_bytes()).unwrap();
        let token = key.sign(serde_json::json!({}), &serde_json::json!({"iss": "42"})).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256, "a 2048-bit signature");
        assert_eq!(format!("{key:?}"), "SigningKey(***)");
    }

    #[test]
    fn refuses_what_is_not_a_key_without_quoting_it() {
        for text in ["not a key at all", CERT] {
            let e = SigningKey::from_pem(text.as_bytes()).unwrap_err();
            assert!(e.contains("no PEM private key"), "{e}");
            assert!(!e.contains("BEGIN CERTIFICATE") && !e.contains("not a key at"), "{e}");
        }
    }

    #[test]
    fn thumbprints_a_certificate() {
        let (x5t, s256) = thumbprints(CERT.as_bytes()).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(x5t).unwrap().len(), 20);
        assert_eq!(URL_SAFE_NO_PAD.decode(s256).unwrap().len(), 32);
        assert!(thumbprints(KEY.as_bytes()).is_err());
    }
}
