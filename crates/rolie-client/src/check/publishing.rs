//! `rolie check --write`: publishes one probe incident to a collection that takes IODEF,
//! revises it, and deletes it again, checking each AtomPub step from outside (R-5023-9.2,
//! 9.3, 9.4, 9.5, 9.6) and the CSIRT profile's `content-id` rule on the entry the server
//! made (R-CSIRT-IODEF-c). The probe is deleted whatever the checks find, so a run leaves
//! the server as it found it unless the server refuses the deletion (which is reported).

use bytes::Bytes;
use reqwest::Method;
use rolie_model::read::{EntryMode, read_entry};
use rolie_model::vocabulary::{information_type, media_type, property, rel, scheme};
use rolie_model::{Categories, Collection, Entry, MediaType};

use super::{Report, limits};
use crate::client::{Client, Response};

/// Where a probe goes: the first collection typed `incident` that takes IODEF XML.
pub(super) fn target(collections: &[&Collection]) -> Option<String> {
    let xml = MediaType::parse(media_type::XML)?;
    collections
        .iter()
        .find(|c| {
            let incident = c.categories.iter().any(|categories| match categories {
                Categories::Inline { categories, .. } => categories.iter().any(|c| {
                    c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE)
                        && c.term == information_type::INCIDENT
                }),
                Categories::OutOfLine { .. } => false,
            });
            incident && rolie_publish::accepted_by(&c.accept, &xml)
        })
        .map(|c| c.href.clone())
}

/// A minimal IODEF v2 incident with an identifier no one else uses.
fn probe_document(id: &str, description: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting" restriction="green">
    <IncidentID name="rolie-check.invalid">{id}</IncidentID>
    <GenerationTime>2026-01-01T00:00:00Z</GenerationTime>
    <Description>{description}</Description>
    <Contact type="organization" role="creator">
      <ContactName>rolie check</ContactName>
    </Contact>
  </Incident>
</IODEF-Document>
"#
    )
}

/// Publishes, revises and deletes a probe in the collection at `collection`.
pub(super) async fn probe(client: &Client, collection: &str, report: &mut Report) {
    let id = format!("rolie-check-{}", uuid::Uuid::new_v4());
    let body = probe_document(
        &id,
        "A conformance probe of rolie check; it deletes it at once.",
    );
    let created = match client
        .post(collection, media_type::XML, Bytes::from(body))
        .await
    {
        Ok(response) => response,
        Err(e) => {
            report.error("R-5023-9.2-a", collection, format!("POST failed: {e}"));
            return;
        }
    };
    report.writes += 1;
    if created.status != 201 {
        report.error(
            "R-5023-9.2-a",
            collection,
            format!(
                "POST of an IODEF document answered {}, not 201: {}",
                created.status,
                Client::status_error(&created)
            ),
        );
        return;
    }
    let entry = read_entry(&created.body, EntryMode::Document, &limits()).ok();
    if entry.is_none() {
        report.warning(
            "R-5023-9.2-c",
            collection,
            "the 201 answer's body is not the Atom entry created",
        );
    }
    let location = created.header("location").map(str::to_owned).or_else(|| {
        entry
            .as_ref()
            .and_then(|e| e.link(rel::EDIT))
            .map(|l| l.href.clone())
    });
    if created.header("location").is_none() {
        report.error("R-5023-9.2-b", collection, "the 201 answer has no Location");
    }
    let Some(location) = location else {
        report.error(
            "R-5023-9.4-a",
            collection,
            format!("the probe {id} cannot be deleted: nothing says where it is"),
        );
        return;
    };
    if let Some(entry) = &entry {
        examine(client, &location, entry, &id, report).await;
    }
    delete(client, &location, report).await;
}

/// What the server made of the probe: its identifier, its media, a stale revision
/// refused, a current one taken.
async fn examine(client: &Client, location: &str, entry: &Entry, id: &str, report: &mut Report) {
    if !entry
        .properties
        .iter()
        .any(|p| p.name == property::CONTENT_ID && p.value == id)
    {
        report.error(
            "R-CSIRT-IODEF-c",
            location,
            format!("the entry created has no content-id property {id}"),
        );
    }
    match client.fetch(location, media_type::ATOM_ENTRY).await {
        Ok(response) => {
            let same = read_entry(&response.body, EntryMode::Document, &limits())
                .is_ok_and(|read| read.id == entry.id);
            if !same {
                report.error(
                    "R-5023-9.1-a",
                    location,
                    "the Location does not serve the entry created",
                );
            }
        }
        Err(e) => report.error("R-5023-9.1-a", location, format!("cannot be read: {e}")),
    }
    let Some(media) = entry.link(rel::EDIT_MEDIA).map(|l| l.href.clone()) else {
        report.warning(
            "R-5023-9.6-c",
            location,
            "the media link entry has no edit-media link",
        );
        return;
    };
    let revised = Bytes::from(probe_document(id, "A revised conformance probe."));
    match client
        .put(
            &media,
            media_type::XML,
            "\"rolie-check-stale\"",
            revised.clone(),
        )
        .await
    {
        Ok(response) if response.status == 412 => {}
        Ok(response) => report.warning(
            "R-5023-9.5-a",
            &media,
            format!(
                "a PUT under an If-Match the content never had answered {}, not 412",
                response.status
            ),
        ),
        Err(e) => report.warning("R-5023-9.5-a", &media, e.to_string()),
    }
    let current = match client.fetch(&media, media_type::XML).await {
        Ok(current) => current,
        Err(e) => {
            report.error("R-8322-6.2.1-b", &media, format!("cannot be read: {e}"));
            return;
        }
    };
    let Some(etag) = current.etag().map(str::to_owned) else {
        report.warning("R-HTTP-cond-a", &media, "no ETag to revise it under");
        return;
    };
    match client
        .put(&media, media_type::XML, &etag, revised.clone())
        .await
    {
        Ok(response) if (200..300).contains(&response.status) => {
            match client.fetch(&media, media_type::XML).await {
                Ok(now) if now.body == revised => {}
                Ok(_) => report.error(
                    "R-5023-9.3-a",
                    &media,
                    "after a successful PUT the content is not what was sent",
                ),
                Err(e) => report.error("R-5023-9.3-a", &media, e.to_string()),
            }
        }
        Ok(response) => report.error(
            "R-5023-9.3-a",
            &media,
            format!(
                "a PUT under the current ETag answered {}: {}",
                response.status,
                Client::status_error(&response)
            ),
        ),
        Err(e) => report.error("R-5023-9.3-a", &media, e.to_string()),
    }
}

/// Deletes the probe (under its current ETag, for servers that require one) and checks
/// that it is gone.
async fn delete(client: &Client, location: &str, report: &mut Report) {
    let etag = client
        .fetch(location, media_type::ATOM_ENTRY)
        .await
        .ok()
        .and_then(|r: Response| r.etag().map(str::to_owned));
    let mut headers = Vec::new();
    if let Some(etag) = &etag {
        headers.push(("if-match", etag.as_str()));
    }
    match client
        .request(Method::DELETE, location, &headers, None)
        .await
    {
        Ok(response) if (200..300).contains(&response.status) => {}
        Ok(response) => {
            report.error(
                "R-5023-9.4-a",
                location,
                format!(
                    "DELETE answered {}; the probe may still be there: {}",
                    response.status,
                    Client::status_error(&response)
                ),
            );
            return;
        }
        Err(e) => {
            report.error("R-5023-9.4-a", location, format!("DELETE failed: {e}"));
            return;
        }
    }
    match client
        .request(
            Method::GET,
            location,
            &[("accept", media_type::ATOM_ENTRY)],
            None,
        )
        .await
    {
        Ok(response) if matches!(response.status, 404 | 410) => {}
        Ok(response) => report.error(
            "R-5023-9.4-a",
            location,
            format!("after DELETE the entry answers {}", response.status),
        ),
        Err(e) => report.error("R-5023-9.4-a", location, e.to_string()),
    }
}
