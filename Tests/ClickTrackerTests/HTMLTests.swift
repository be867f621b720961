import ClickTracker
import Testing

@Suite("HTML escaping")
struct HTMLTests {
    @Test("The five characters that matter are escaped; everything else, non-ASCII text too, is copied as it is")
    func escaping() {
        #expect(HTML.escape("Board <meeting> & \"papers\" 'n' más ✓") == "Board &lt;meeting&gt; &amp; &quot;papers&quot; &#39;n&#39; más ✓")
        #expect(HTML.escape("plain café") == "plain café")
        #expect(HTML.escape("") == "")
        #expect(HTML.escape("<script>alert(1)</script>".dropFirst(1)) == "script&gt;alert(1)&lt;/script&gt;")
    }
}
