//! IODEF documents the tests publish (authored for this repository; see
//! `crates/rolie-iodef/tests/fixtures`).

/// A minimal IODEF v2 incident without a restriction attribute (so private applies).
pub const MINIMAL_V2: &str = include_str!("../../rolie-iodef/tests/fixtures/minimal-v2.xml");
/// A minimal IODEF v1 incident.
pub const MINIMAL_V1: &str = include_str!("../../rolie-iodef/tests/fixtures/minimal-v1.xml");
/// A rich IODEF v2 document: several incidents, contacts, indicators, unicode.
pub const RICH_V2: &str = include_str!("../../rolie-iodef/tests/fixtures/rich-v2.xml");
/// A JSON IODEF document.
pub const JSON: &str = include_str!("../../rolie-iodef/tests/fixtures/incidents.json");

/// An IODEF v2 incident with its own id, restriction and description, for tests that need
/// many distinct documents.
pub fn incident(id: &str, restriction: &str, description: &str) -> String {
    let description = description.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting" restriction="{restriction}">
    <IncidentID name="csirt.example.test">{id}</IncidentID>
    <GenerationTime>2024-03-05T09:30:12Z</GenerationTime>
    <Description>{description}</Description>
    <Contact type="organization" role="creator">
      <ContactName>Example Test CSIRT</ContactName>
      <Email><EmailTo>csirt@example.test</EmailTo></Email>
    </Contact>
  </Incident>
</IODEF-Document>
"#
    )
}

/// An Atom entry marked as a draft (`app:draft` `yes`) whose inline content is `iodef`.
pub fn draft_entry(iodef: &str) -> String {
    format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:app="http://www.w3.org/2007/app">
  <title>Work in progress</title>
  <app:control><app:draft>yes</app:draft></app:control>
  <content type="application/xml">{}</content>
</entry>"#,
        iodef.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    )
}

/// An IODEF v2 document carrying an indicator, for `indicator` collections.
pub fn indicator(id: &str, restriction: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="watch" restriction="{restriction}">
    <IncidentID name="csirt.example.test">{id}</IncidentID>
    <GenerationTime>2024-03-05T09:30:12Z</GenerationTime>
    <Contact type="organization" role="creator"><Email><EmailTo>csirt@example.test</EmailTo></Email></Contact>
    <IndicatorData>
      <Indicator>
        <IndicatorID name="csirt.example.test" version="1">ind-{id}</IndicatorID>
        <Observable><Address category="ipv4-addr">192.0.2.1</Address></Observable>
      </Indicator>
    </IndicatorData>
  </Incident>
</IODEF-Document>
"#
    )
}
