//! What a request presents to prove who it is.

use std::sync::{Arc, OnceLock};

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// A client certificate that the TLS layer already verified against the configured CA.
///
/// It is the same for every request of a connection: clones share the bytes, and its names
/// are read once, when first asked for.
#[derive(Debug, Clone)]
pub struct ClientCertificate(Arc<Leaf>);

#[derive(Debug)]
struct Leaf {
    der: Vec<u8>,
    names: OnceLock<Option<CertificateNames>>,
}

/// Names read from a client certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateNames {
    /// Subject common names.
    pub common_names: Vec<String>,
    /// Subject alternative names: DNS names, e-mail addresses and URIs.
    pub alternative_names: Vec<String>,
    /// The subject distinguished name as text.
    pub subject: String,
}

impl ClientCertificate {
    /// The certificate with these DER bytes (the leaf of the verified chain).
    pub fn from_der(der: Vec<u8>) -> Self {
        ClientCertificate(Arc::new(Leaf {
            der,
            names: OnceLock::new(),
        }))
    }

    /// The names in the certificate; `None` if it does not parse (it was verified, so this
    /// means an encoding x509-parser does not read).
    pub fn names(&self) -> Option<&CertificateNames> {
        self.0
            .names
            .get_or_init(|| read_names(&self.0.der))
            .as_ref()
    }
}

fn read_names(der: &[u8]) -> Option<CertificateNames> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let common_names = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
        .collect();
    let mut alternative_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) | GeneralName::RFC822Name(n) | GeneralName::URI(n) => {
                    alternative_names.push((*n).to_owned());
                }
                _ => {}
            }
        }
    }
    Some(CertificateNames {
        common_names,
        alternative_names,
        subject: cert.subject().to_string(),
    })
}

/// Credentials of one request.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The verified client certificate of the connection, if any.
    pub client_certificate: Option<&'a ClientCertificate>,
    /// Whether the request arrived over TLS (or through a TLS-terminating proxy the
    /// operator declared): HTTP Basic is refused otherwise (R-5023-14-a).
    pub secure: bool,
}
