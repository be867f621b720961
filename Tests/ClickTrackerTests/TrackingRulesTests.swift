import Testing

@testable import ClickTracker

@Suite("Section paths and tracking rules")
struct TrackingRulesTests {
    @Test(
        "Paths are normalised",
        arguments: [
            ("/papers/", "/papers"), ("//papers//a.html", "/papers/a.html"), ("/", "/"), ("///", "/"),
        ]
    )
    func normalisation(input: String, expected: String) throws {
        #expect(try SectionPath(input).value == expected)
    }

    @Test("Relative, dot-segment and query paths are refused")
    func invalidPaths() {
        #expect(throws: SectionPath.ValidationError.notAbsolute) { try SectionPath("papers") }
        #expect(throws: SectionPath.ValidationError.dotSegment) { try SectionPath("/papers/../etc") }
        #expect(throws: SectionPath.ValidationError.dotSegment) { try SectionPath("/./papers") }
        #expect(throws: SectionPath.ValidationError.invalidCharacter) { try SectionPath("/papers?x=1") }
        #expect(throws: SectionPath.ValidationError.invalidCharacter) { try SectionPath("/a\nb") }
    }

    @Test("A section contains itself and what is below it at a / boundary only")
    func boundaries() throws {
        let section = try SectionPath("/a")
        #expect(section.contains(try SectionPath("/a")))
        #expect(section.contains(try SectionPath("/a/b")))
        #expect(section.contains(try SectionPath("/a/b/c.html")))
        #expect(!section.contains(try SectionPath("/ab")))
        #expect(!section.contains(try SectionPath("/ab/c")))
        #expect(!section.contains(try SectionPath("/")))
        #expect(SectionPath.root.contains(try SectionPath("/anything")))
    }

    @Test("The nearest marked ancestor tracks a page")
    func inheritance() throws {
        let rules = TrackingRules(sections: [try SectionPath("/papers"), try SectionPath("/papers/2026/december")])
        #expect(rules.trackingSection(for: try SectionPath("/papers")) == (try SectionPath("/papers")))
        #expect(rules.trackingSection(for: try SectionPath("/papers/budget.html")) == (try SectionPath("/papers")))
        #expect(rules.trackingSection(for: try SectionPath("/papers/2026/december/a.html")) == (try SectionPath("/papers/2026/december")))
        #expect(rules.trackingSection(for: try SectionPath("/papers/2026/november/a.html")) == (try SectionPath("/papers")))
        #expect(rules.trackingSection(for: try SectionPath("/papersx/a.html")) == nil)
        #expect(rules.trackingSection(for: try SectionPath("/notices.html")) == nil)
    }

    @Test("URL paths are percent-decoded before they are normalised")
    func urlPaths() throws {
        #expect(try SectionPath(urlPath: "/%70apers//budget%2Ehtml").value == "/papers/budget.html")
        #expect(try SectionPath(urlPath: "/papers/Chair%27s%20report.html").value == "/papers/Chair's report.html")
        #expect(try SectionPath(urlPath: "/papers/Chair%27s%20report.html").urlEncoded == "/papers/Chair's%20report.html")
        #expect(throws: SectionPath.ValidationError.dotSegment) { try SectionPath(urlPath: "/papers/..%2F..%2Fetc") }
        #expect(throws: SectionPath.ValidationError.invalidEncoding) { try SectionPath(urlPath: "/papers/%zz") }
        #expect(throws: SectionPath.ValidationError.tooLong) { try SectionPath("/" + String(repeating: "a", count: 1100)) }
        #expect(try SectionPath("/a\"b<c>").urlEncoded == "/a%22b%3Cc%3E")
    }

    @Test("The site root cannot be marked")
    func rootIsNeverMarked() throws {
        let rules = TrackingRules(sections: [SectionPath.root])
        #expect(rules.sections.isEmpty)
        #expect(rules.trackingSection(for: try SectionPath("/papers/a.html")) == nil)
    }
}
