//! SVG syntax for every chart pipecut draws (the Gantt chart of this crate
//! and the report charts of `pipecut-harness`): a [`Document`] with a white
//! background, [`Element`]s written attribute by attribute, the one text
//! escape ([`escape`]), the one coordinate format ([`coord`]) and "nice" axis
//! steps ([`nice_step`]). Charts decide layout and colours; this module only
//! writes. It is hand-written rather than `plotters` because `plotters` lays
//! text out with a font backend (system fonts or a bundled TTF) that a
//! headless box may lack, while plain SVG `<text>` leaves fonts to the viewer.
//!
//! ```
//! use pipecut_sim::svg::{line, text, Document};
//!
//! let mut doc = Document::new(200.0, 100.0, "sans-serif");
//! doc.push(line(10.0, 90.0, 190.0, 90.0).attr("stroke", "#333"));
//! doc.push(text(100.0, 20.0, "a < b & c").attr("text-anchor", "middle"));
//! let svg = doc.finish();
//! assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
//! assert!(svg.contains(r##"<line x1="10" y1="90" x2="190" y2="90" stroke="#333"/>"##));
//! assert!(svg.contains(">a &lt; b &amp; c</text>"));
//! ```

use std::fmt::{Display, Write as _};

/// An SVG document being written: the `<svg>` header and a white background
/// rectangle come first, then every pushed element on its own line.
#[derive(Debug, Clone)]
pub struct Document {
    width: f64,
    height: f64,
    out: String,
}

impl Document {
    /// A `width` x `height` pixel document (view box from the origin) whose
    /// text uses `font_family`.
    pub fn new(width: f64, height: f64, font_family: &str) -> Self {
        let (w, h) = (coord(width), coord(height));
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{}">"#,
            escape(font_family)
        );
        let mut doc = Document { width, height, out };
        doc.push(rect(0.0, 0.0, width, height).attr("fill", "white"));
        doc
    }

    /// Width in pixels.
    pub fn width(&self) -> f64 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// Appends an element (and a line break).
    pub fn push(&mut self, element: Element) {
        element.write_to(&mut self.out);
        self.out.push('\n');
    }

    /// Closes the document and returns its text.
    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// One SVG element: a name, attributes in the order they were added, and
/// optional content (escaped text or child elements).
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    name: &'static str,
    attributes: String,
    content: Option<String>,
}

impl Element {
    /// An empty element `<name/>`.
    pub fn new(name: &'static str) -> Self {
        Element {
            name,
            attributes: String::new(),
            content: None,
        }
    }

    /// Adds `name="value"`, the value escaped.
    pub fn attr(mut self, name: &str, value: impl Display) -> Self {
        let value = value.to_string();
        let _ = write!(self.attributes, r#" {name}="{}""#, escape(&value));
        self
    }

    /// Adds `name="v"` with `v` written by [`coord`].
    pub fn coord(self, name: &str, v: f64) -> Self {
        self.attr(name, coord(v))
    }

    /// Appends text content, escaped.
    pub fn text(mut self, text: &str) -> Self {
        self.content
            .get_or_insert_with(String::new)
            .push_str(&escape(text));
        self
    }

    /// Appends a child element.
    pub fn child(mut self, child: Element) -> Self {
        child.write_to(self.content.get_or_insert_with(String::new));
        self
    }

    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "<{}{}", self.name, self.attributes);
        match &self.content {
            None => out.push_str("/>"),
            Some(content) => {
                let _ = write!(out, ">{content}</{}>", self.name);
            }
        }
    }
}

/// `<rect x y width height>` (negative sizes drawn as zero).
pub fn rect(x: f64, y: f64, width: f64, height: f64) -> Element {
    Element::new("rect")
        .coord("x", x)
        .coord("y", y)
        .coord("width", width.max(0.0))
        .coord("height", height.max(0.0))
}

/// `<line x1 y1 x2 y2>`.
pub fn line(x1: f64, y1: f64, x2: f64, y2: f64) -> Element {
    Element::new("line")
        .coord("x1", x1)
        .coord("y1", y1)
        .coord("x2", x2)
        .coord("y2", y2)
}

/// `<circle cx cy r>`.
pub fn circle(cx: f64, cy: f64, r: f64) -> Element {
    Element::new("circle")
        .coord("cx", cx)
        .coord("cy", cy)
        .coord("r", r)
}

/// `<polyline points="x,y x,y ...">`.
pub fn polyline(points: &[(f64, f64)]) -> Element {
    let points: Vec<String> = points
        .iter()
        .map(|&(x, y)| format!("{},{}", coord(x), coord(y)))
        .collect();
    Element::new("polyline").attr("points", points.join(" "))
}

/// `<text x y>content</text>`, the content escaped.
pub fn text(x: f64, y: f64, content: &str) -> Element {
    Element::new("text")
        .coord("x", x)
        .coord("y", y)
        .text(content)
}

/// The `transform` value that rotates by `degrees` about `(x, y)`.
pub fn rotate(degrees: f64, x: f64, y: f64) -> String {
    format!("rotate({} {} {})", coord(degrees), coord(x), coord(y))
}

/// Text made safe for XML content and attribute values: `&`, `<`, `>`, `"`
/// and `'` as entities; characters XML 1.0 cannot carry at all (control
/// characters other than tab, line feed and carriage return) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A pixel coordinate (or any drawing number): two decimals, trailing zeros
/// dropped, `0` for anything that rounds to zero.
pub fn coord(v: f64) -> String {
    if (v * 100.0).round() == 0.0 {
        return "0".into();
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The axis step for about `target` ticks over `span`: the smallest of 1, 2,
/// 5 or 10 times a power of ten that is at least `span / target`.
pub fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_xml_special_character() {
        assert_eq!(
            escape("a<b & \"c\" 'd' >"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;"
        );
        assert_eq!(escape("x\u{1}y\tz\u{ffff}"), "xy\tz");
        assert_eq!(escape("µs"), "µs");
    }

    #[test]
    fn coordinates_drop_trailing_zeros() {
        assert_eq!(coord(12.5), "12.5");
        assert_eq!(coord(3.0), "3");
        assert_eq!(coord(405.004), "405");
        assert_eq!(coord(-0.001), "0");
        assert_eq!(coord(-2.25), "-2.25");
    }

    #[test]
    fn elements_keep_attribute_order_and_nest() {
        let e = rect(1.0, 2.0, -3.0, 4.5)
            .attr("fill", "#fff")
            .child(Element::new("title").text("a & b"));
        let mut out = String::new();
        e.write_to(&mut out);
        assert_eq!(
            out,
            r##"<rect x="1" y="2" width="0" height="4.5" fill="#fff"><title>a &amp; b</title></rect>"##
        );
        let p = polyline(&[(0.0, 1.0), (2.5, 3.0)]).attr("fill", "none");
        let mut out = String::new();
        p.write_to(&mut out);
        assert_eq!(out, r#"<polyline points="0,1 2.5,3" fill="none"/>"#);
        assert_eq!(rotate(-45.0, 10.0, 20.5), "rotate(-45 10 20.5)");
    }

    #[test]
    fn documents_have_a_header_and_a_background() {
        let doc = Document::new(640.5, 120.0, "A & B");
        assert_eq!((doc.width(), doc.height()), (640.5, 120.0));
        let svg = doc.finish();
        assert!(svg.starts_with(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="640.5" height="120" viewBox="0 0 640.5 120" font-family="A &amp; B">"#
        ));
        assert!(svg.contains(r#"<rect x="0" y="0" width="640.5" height="120" fill="white"/>"#));
        assert!(svg.ends_with("</svg>\n"));
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(33.0, 8.0), 5.0);
        assert_eq!(nice_step(1.0, 5.0), 0.2);
        assert_eq!(nice_step(30.0, 6.0), 5.0);
        assert!((nice_step(0.0123, 8.0) - 0.002).abs() < 1e-15);
        assert_eq!(nice_step(100.0, 1.0), 100.0);
    }
}
