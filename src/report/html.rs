//! One self-contained HTML file for a migration assessment: verdict overview chart, per-artifact
//! table, top blockers, allow rules, and a searchable list of binaries with their findings.
//!
//! The JSON report is embedded in a `<script type="application/json">` element and rendered by a
//! small inline script (report.js) with inline styles (report.css). Nothing is fetched: the page
//! sets a Content-Security-Policy of `default-src 'none'` with inline script and style only.

use super::Report;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Render the report as one HTML document.
pub fn render_html(report: &Report) -> String {
    let data = serde_json::to_string(report).unwrap_or_else(|_| "{}".into());
    let title = format!("muslcheck: {}", report.target.describe());
    let mut out = String::with_capacity(data.len() + CSS.len() + JS.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape_text(&title)));
    out.push_str(&format!(
        "<style>\n{CSS}</style>\n</head>\n<body>\n<main id=\"app\">\n"
    ));
    out.push_str(
        "<noscript><p>This report is drawn by the inline script of this file (nothing is \
         fetched). Enable JavaScript to see it; the data is embedded below as JSON \
         (script#muslcheck-data).</p></noscript>\n</main>\n",
    );
    out.push_str("<script type=\"application/json\" id=\"muslcheck-data\">");
    out.push_str(&script_safe(&data));
    out.push_str("</script>\n<script>\n");
    out.push_str(JS);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

/// JSON that cannot end its `<script>` element early: `<`, `>` and `&` become `\u` escapes,
/// which JSON.parse reads back unchanged.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_the_script() {
        let s = script_safe(r#"{"path":"</script><b>&"}"#);
        assert!(!s.contains("</script"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back["path"], "</script><b>&");
    }
}
