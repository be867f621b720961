import NIOCore
import Testing

@testable import ClickTracker

@Suite("HTML injector")
struct HTMLInjectorTests {
    let snippet = "<script src=\"/t.js\"></script>"

    func inject(_ chunks: [String]) -> String {
        var injector = HTMLInjector(snippet: snippet)
        var output = ""
        for chunk in chunks {
            output += String(buffer: injector.process(ByteBuffer(string: chunk)))
        }
        output += String(buffer: injector.finish())
        return output
    }

    @Test("The snippet goes right before </body>")
    func beforeBody() {
        #expect(inject(["<html><body><p>x</p></body></html>"]) == "<html><body><p>x</p>\(snippet)</body></html>")
    }

    @Test("A closing tag split across chunks at every position is found")
    func splitAnywhere() {
        let page = "<html><body><p>Budget</p></body>\n</html>"
        let expected = "<html><body><p>Budget</p>\(snippet)</body>\n</html>"
        for first in 1..<page.count {
            for second in first..<page.count {
                let a = String(page.prefix(first))
                let b = String(page.dropFirst(first).prefix(second - first))
                let c = String(page.dropFirst(second))
                #expect(inject([a, b, c]) == expected, "split at \(first), \(second)")
            }
        }
    }

    @Test("The snippet is made with the page's <title>, read across chunks; without one, with none")
    func title() {
        func title(_ chunks: [String]) -> String {
            var injector = HTMLInjector { _, title in "<!--\(title ?? "none")-->" }
            var output = ""
            for chunk in chunks { output += String(buffer: injector.process(ByteBuffer(string: chunk))) }
            output += String(buffer: injector.finish())
            return String(output.split(separator: "<!--").last?.prefix { $0 != "-" } ?? "")
        }
        #expect(title(["<html><head><TITLE>Budget &amp; \n plan</TITLE></head><body>x</body></html>"]) == "Budget & plan")
        #expect(title(["<html><head><ti", "tle>Minutes</ti", "tle></head><body>x</bo", "dy></html>"]) == "Minutes")
        #expect(title(["<html><body>no title</body></html>"]) == "none")
        #expect(title(["<html><head><title>cut off"]) == "none")
        #expect(title(["<html><head><title></title></head><body>", "<title>not this</title></body></html>"]) == "none")
        // Only the first 64 KiB are searched, and a page without a title in many chunks is read once.
        #expect(title(["<html><head>", String(repeating: "<meta name=x>", count: 6000), "<title>Too late</title></head></html>"]) == "none")
        #expect(title(Array(repeating: "<p>no title here</p>", count: 10_000)) == "none")
        #expect(title(["<html><head><title>", String(repeating: "🏛️", count: 500), "</title></head></html>"]).utf8.count <= 600)
    }

    @Test("One byte at a time")
    func byteByByte() {
        let page = "<p>a</p></BODY></html>"
        #expect(inject(page.map { String($0) }) == "<p>a</p>\(snippet)</BODY></html>")
    }

    @Test("Upper case, attributes and white space in the closing tag")
    func caseAndSpace() {
        #expect(inject(["x</BODY >"]) == "x\(snippet)</BODY >")
        #expect(inject(["x</Body\n>"]) == "x\(snippet)</Body\n>")
    }

    @Test("Look-alike tags are not the closing tag")
    func lookAlikes() {
        #expect(inject(["<bodyguard></bodyguard>x"]) == "<bodyguard></bodyguard>x\(snippet)")
        #expect(inject(["</bodyx>"]) == "</bodyx>\(snippet)")
    }

    @Test("Without </body> the snippet goes at the end of the document")
    func noBody() {
        #expect(inject(["<p>fragment</p>"]) == "<p>fragment</p>\(snippet)")
        #expect(inject(["<p>fragment</bo", "dy"]) == "<p>fragment</body\(snippet)")
        #expect(inject([]) == snippet)
    }

    @Test("Only the first </body> gets the snippet, and the body grows by exactly its length")
    func exactlyOnce() {
        let page = "<body>a</body><body>b</body>"
        let output = inject([page])
        #expect(output == "<body>a\(snippet)</body><body>b</body>")
        #expect(output.utf8.count == page.utf8.count + snippet.utf8.count)
    }

    @Test("A </body> inside a script or a comment is not the closing tag, however the chunks fall")
    func scriptsAndComments() {
        let page =
            "<html><head><script>document.write('</body>')</script><!-- </body> --></head>"
            + "<body><SCRIPT type=module>var s = \"</body>\";</SCRIPT>x</body></html>"
        let expected = page.replacingOccurrences(of: "x</body></html>", with: "x\(snippet)</body></html>")
        #expect(inject([page]) == expected)
        for split in 1..<page.count {
            #expect(inject([String(page.prefix(split)), String(page.dropFirst(split))]) == expected, "split at \(split)")
        }
        #expect(inject(page.map { String($0) }) == expected)
    }

    @Test("An unterminated comment means the snippet goes at the end")
    func unterminatedComment() {
        #expect(inject(["<body>a<!-- </body>"]) == "<body>a<!-- </body>\(snippet)")
    }

    @Test("Multi-byte characters around the tag survive")
    func utf8() {
        #expect(inject(["<p>Über 5 €</p></bo", "dy>"]) == "<p>Über 5 €</p>\(snippet)</body>")
    }
}
