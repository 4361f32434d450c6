//! TLS client certificates (R-8322-5.3-e): a certificate the TLS layer verified against the
//! configured CA is mapped to a principal by a configured table. A verified certificate that
//! matches no row is refused: trusting the CA is not the same as granting access.

use async_trait::async_trait;
use rolie_model::Restriction;
use serde::Deserialize;

use super::{AuthError, Authenticator};
use crate::{AuthMethod, Credentials, Principal, Scopes};

/// One row of the certificate table. A row matches when every name it gives is present.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateMapping {
    /// Subject common name to match.
    #[serde(default)]
    pub common_name: Option<String>,
    /// Subject alternative name (DNS, e-mail or URI) to match.
    #[serde(default)]
    pub san: Option<String>,
    /// Subject of the resulting principal.
    pub subject: String,
    /// Scopes granted.
    #[serde(default)]
    pub scope: String,
    /// Clearance granted.
    pub clearance: Restriction,
}

/// Authenticates by verified client certificate.
pub struct ClientCertAuthenticator {
    table: Vec<CertificateMapping>,
}

impl ClientCertAuthenticator {
    /// An authenticator over `table`.
    pub fn new(table: Vec<CertificateMapping>) -> Self {
        ClientCertAuthenticator { table }
    }
}

#[async_trait]
impl Authenticator for ClientCertAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> Result<Option<Principal>, AuthError> {
        // An explicit Authorization header takes precedence over the connection's certificate.
        if credentials.authorization.is_some() {
            return Ok(None);
        }
        let Some(certificate) = credentials.client_certificate else {
            return Ok(None);
        };
        let names = certificate
            .names()
            .ok_or_else(|| AuthError::Invalid("the client certificate cannot be read".into()))?;
        let row = self.table.iter().find(|row| {
            (row.common_name.is_some() || row.san.is_some())
                && row
                    .common_name
                    .as_ref()
                    .is_none_or(|cn| names.common_names.contains(cn))
                && row
                    .san
                    .as_ref()
                    .is_none_or(|san| names.alternative_names.contains(san))
        });
        match row {
            Some(row) => Ok(Some(Principal {
                subject: row.subject.clone(),
                display_name: names.common_names.first().cloned(),
                scopes: Scopes::parse(&row.scope),
                clearance: row.clearance,
                method: AuthMethod::ClientCertificate,
            })),
            None => Err(AuthError::Invalid(format!(
                "the client certificate \"{}\" is not mapped to any identity",
                names.subject
            ))),
        }
    }
}
